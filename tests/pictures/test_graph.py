"""`backtrace graph`: the network named as the article names it, in the terminal, in DOT and
as a picture, with the numbers of one sample when asked."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from helpers import article_document, invoke_in

# Found, not imported: collecting the tests should not pay for matplotlib.
PLOT = importlib.util.find_spec("matplotlib") is not None
needs_plot = pytest.mark.skipif(not PLOT, reason="the plot extra (matplotlib) is not installed")

ARTICLE_WEIGHTS = [f"W{i}{j}" for i in (1, 2, 3) for j in (0, 1, 2)] + [f"V0{j}" for j in range(4)]


def test_the_terminal_drawing_names_every_unit_and_weight() -> None:
    result = invoke_in(["graph", "xor", "--width", "100"])
    assert result.status == 0 and result.stderr == ""
    text = result.stdout
    assert "2 inputs → 3 hidden → 1 output · 13 weights" in text
    assert re.search(r"│ X0 bias", text) and re.search(r"│ Z0 bias", text)
    assert "D0 bias" not in text
    for weight in ARTICLE_WEIGHTS:
        assert re.search(rf"\b{weight}\b", text), weight
    # The matrix of links into the hidden layer: a row per receiving unit.
    assert re.search(r"│ Z1\s+│ W10 │ W11 │ W12 │", text)
    assert re.search(r"│ D0\s+│ V00 │ V01 │ V02 │ V03 │", text)


def test_the_numbers_of_a_sample_are_the_articles() -> None:
    result = invoke_in(["graph", "xor", "--epoch", "1", "--sample", "1", "--width", "120"])
    text = result.stdout
    assert "at epoch 1, sample 1 (step 1): X1 = 0, X2 = 0; target D0 = 0" in text
    # h, z and δ of the first sample, as the article works them out by hand.
    assert re.search(r"│ Z1\s+1\s+1\s+-4\s+│", text)
    assert re.search(r"│ D0\s+4\s+4\s+-4\s+│", text)
    assert re.search(r"│ X0 bias\s+1 │", text) and re.search(r"│ X2\s+0 │", text)
    # W10 = 1, its gradient X0·δ_Z1 = -4, and after the step 1 - 0.1·(-4) = 1.4.
    assert re.search(r"W10 = 1\s+│.*\n.*J' = -4\s+│.*\n.*new 1\.4", text)


def test_a_step_picks_its_sample() -> None:
    by_step = invoke_in(["graph", "xor", "--step", "2", "--width", "120"]).stdout
    by_sample = invoke_in(
        ["graph", "xor", "--epoch", "1", "--sample", "2", "--width", "120"]
    ).stdout
    assert by_step == by_sample and "sample 2 (step 2)" in by_step
    later = invoke_in(["graph", "xor-sigmoid", "--step", "6", "--width", "120"]).stdout
    assert "at epoch 2, sample 2 (step 6)" in later  # four steps an epoch


def test_points_that_do_not_exist_are_errors() -> None:
    both = invoke_in(["graph", "xor", "--step", "2", "--epoch", "1"])
    assert both.status == 2 and "--step: counts steps over the whole run, so it takes no epoch" in both.stderr
    diverged = invoke_in(["graph", "xor", "--epoch", "5"])
    assert diverged.status == 2 and "training diverged at epoch 3" in diverged.stderr
    far = invoke_in(["graph", "xor", "--sample", "9"])
    assert far.status == 2 and "there are samples 1 to 4" in far.stderr


def test_a_wide_layer_is_summarised(tmp_path: Path) -> None:
    import yaml

    wide = {**article_document(), "inputs": 40, "data": [[0] * 40 + [1]]}
    wide["layers"][0]["units"] = 30
    (tmp_path / "wide.yaml").write_text(yaml.safe_dump(wide))
    text = invoke_in(["graph", "wide.yaml", "--width", "100"], cwd=tmp_path).stdout
    assert "⋯ 34 more" in text  # 40 inputs and a bias unit: the first 5 and the last 2
    assert "⋯ 24 more" in text  # 30 hidden units and a bias unit
    assert "│ Z30           │ W30_0 │" in text
    assert "more links not shown" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def dot(*arguments: str) -> str:
    result = invoke_in(["graph", "xor", "--format", "dot", *arguments])
    assert result.status == 0
    return result.stdout


def test_dot_names_the_articles_units_and_weights() -> None:
    text = dot()
    assert text.startswith("digraph network {\n") and text.endswith("}\n")
    edges = re.findall(r'"(\w+)" -> "(\w+)" \[label="(\w+)"\];', text)
    expected = [(f"X{j}", f"Z{i}", f"W{i}{j}") for i in (1, 2, 3) for j in (0, 1, 2)]
    expected += [(f"Z{j}", "D0", f"V0{j}") for j in range(4)]
    assert edges == expected
    assert '"X0" [label="X0 (bias)", style=dashed];' in text
    assert '"Z0" [label="Z0 (bias)", style=dashed];' in text
    assert text.count("subgraph cluster_") == 3


def test_dot_with_numbers_labels_units_and_links() -> None:
    text = dot("--sample", "1")
    assert '"Z1" [label="Z1\\nh = 1\\nz = 1\\nδ = -4", shape=box, style=rounded];' in text
    assert '"X0" -> "Z1" [label="W10 = 1\\nJ\' = -4\\nnew 1.4"];' in text


def test_dot_quotes_what_it_must() -> None:
    from backtrace.pictures.dot import quoted

    assert quoted('say "hi"\\') == '"say \\"hi\\"\\\\"'


def test_dot_from_the_file_name_and_contradictions(tmp_path: Path) -> None:
    written = invoke_in(["graph", "xor", "-o", "net.gv"], cwd=tmp_path)
    assert written.status == 0 and (tmp_path / "net.gv").read_text() == dot()
    wrong = invoke_in(["graph", "xor", "--format", "dot", "-o", "net.svg"], cwd=tmp_path)
    assert wrong.status == 2 and "--format dot contradicts -o net.svg" in wrong.stderr
    unknown = invoke_in(["graph", "xor", "-o", "net.pdf"], cwd=tmp_path)
    assert (
        unknown.status == 2
        and "a diagram is written as .txt, .dot, .gv, .svg, .png" in unknown.stderr
    )


@needs_plot
def test_an_svg_picture_carries_the_articles_names(tmp_path: Path) -> None:
    result = invoke_in(["graph", "xor", "--sample", "1", "-o", "net.svg"], cwd=tmp_path)
    assert result.status == 0, result.stderr
    svg = (tmp_path / "net.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for name in ["X0", "X1", "X2", "Z0", "Z1", "Z2", "Z3", "D0"]:
        assert name in texts, name
    # Each number named (issue 18): "W10: 1 → 1.4" over "J' = -4", as the article's first
    # step has it; the weights from X1 and X2, 0 in sample 1, get J' = 0·δ = 0 and stay 1.
    lines = list(zip(texts, texts[1:]))
    for weight in ARTICLE_WEIGHTS:
        moved = weight[-1] == "0" or weight.startswith("V")
        expected = (f"{weight}: 1 → 1.4", "J' = -4") if moved else (f"{weight}: 1 → 1", "J' = 0")
        assert expected in lines, weight
    assert not any("J' = -4 →" in text for text in texts)
    assert "δ = -4" in texts
    again = invoke_in(["graph", "xor", "--sample", "1", "-o", "again.svg"], cwd=tmp_path)
    assert again.status == 0 and (tmp_path / "again.svg").read_text() == svg  # same bytes


@needs_plot
def test_a_png_picture(tmp_path: Path) -> None:
    result = invoke_in(["graph", "mazur", "-o", "net.png"], cwd=tmp_path)
    assert result.status == 0, result.stderr
    assert (tmp_path / "net.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_picture_without_matplotlib_says_how_to_get_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    result = invoke_in(["graph", "xor", "-o", "net.svg"], cwd=tmp_path)
    assert result.status == 2
    assert result.stderr == (
        "backtrace: error: --format svg needs matplotlib, which is not installed; install it "
        "with pip install 'backtrace-nn[plot]'\n"
    )
    plot = invoke_in(["run", "xor", "--plot", "loss.png"], cwd=tmp_path)
    assert plot.status == 2 and "pip install 'backtrace-nn[plot]'" in plot.stderr
    assert list(tmp_path.iterdir()) == []


def test_graph_decides_its_epochs_itself() -> None:
    result = invoke_in(["graph", "xor", "--epochs", "3"])
    assert result.status == 2 and "graph has no --epochs" in result.stderr


def link_labels(figure) -> tuple[list, object]:
    """The diagram's link labels, drawn, with the renderer that measured them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    labels = [text for text in figure.axes[0].texts if (text.get_gid() or "").startswith("link-")]
    return labels, renderer


@needs_plot
@pytest.mark.parametrize(
    "config, point",
    [("xor", {"sample": 1}), ("xor", {}), ("xor-deep", {"sample": 2}), ("xor-deep", {}),
     ("mazur", {"sample": 1}), ("mazur", {})],
)  # fmt: skip
def test_no_two_link_labels_overlap(config: str, point: dict) -> None:
    # W11's label sat under W30's where their links cross (issue 18). Measured as matplotlib
    # draws them: no two label boxes overlap, and none covers a unit.
    from backtrace import api
    from backtrace.numbers import format_number
    from backtrace.pictures.figures import diagram_figure

    drawn = api.diagram(config, **point)
    figure = diagram_figure(drawn, format_number)
    labels, renderer = link_labels(figure)
    assert len(labels) == sum(len(links) for links in drawn.links)  # every link labelled
    boxes = [label.get_window_extent(renderer) for label in labels]
    for first in range(len(boxes)):
        for second in range(first + 1, len(boxes)):
            pair = (labels[first].get_text(), labels[second].get_text())
            assert not boxes[first].overlaps(boxes[second]), pair
    units = [patch.get_window_extent(renderer) for patch in figure.axes[0].patches]
    assert not any(box.overlaps(unit) for box in boxes for unit in units)


@needs_plot
def test_a_large_diagram_leaves_its_links_unlabelled_and_says_so(tmp_path: Path) -> None:
    # A 64-32-10 network's labels were a heap (issue 18).
    from backtrace import api
    from backtrace.numbers import format_number
    from backtrace.pictures.figures import diagram_figure

    big = {**article_document(), "inputs": 64, "data": [[0.5] * 64 + [0] * 9 + [1]]}
    big["layers"] = [{"units": 32, "activation": "relu", "weights": 0.1},
                     {"units": 10, "activation": "identity", "weights": 0.1}]  # fmt: skip
    figure = diagram_figure(api.diagram(big, sample=1), format_number)
    labels, _ = link_labels(figure)
    assert labels == []
    weights = 64 * 32 + 32 + 32 * 10 + 10  # each unit's weights, bias included
    assert f"links unlabelled: {weights:,} weights are too many to label" in (
        figure.axes[0].get_title()
    )
    small = diagram_figure(api.diagram("xor", sample=1), format_number)
    assert "unlabelled" not in small.axes[0].get_title()
