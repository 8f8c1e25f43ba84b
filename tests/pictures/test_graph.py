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
    for weight in ARTICLE_WEIGHTS:
        assert any(text.startswith(f"{weight} = 1") for text in texts), weight
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
