"""`run --plot`: loss per epoch, accuracy for classification, chosen weights' values, and a
blow-up shown as one: a log scale and a mark where the numbers stopped being finite."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from helpers import invoke_in

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None,
    reason="the plot extra (matplotlib) is not installed",
)


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_loss_curve_as_svg(tmp_path: Path) -> None:
    result = invoke_in(
        [
            "run",
            "xor-sigmoid",
            "--epochs",
            "60",
            "--trace",
            "none",
            "--plot",
            "loss.svg",
            "--format",
            "jsonl",
        ],
        cwd=tmp_path,
    )
    assert result.status == 0, result.stderr
    labels = texts((tmp_path / "loss.svg").read_text())
    assert "mean loss" in labels and "epoch" in labels and "accuracy" not in labels


def test_accuracy_and_weights_join_the_loss(tmp_path: Path) -> None:
    result = invoke_in(
        [
            "run",
            "xor-deep",
            "--epochs",
            "4",
            "--trace",
            "none",
            "--plot",
            "curves.svg",
            "--plot-weight",
            "W3_0*",
            "--format",
            "jsonl",
        ],
        cwd=tmp_path,
    )
    assert result.status == 0, result.stderr
    labels = texts((tmp_path / "curves.svg").read_text())
    assert "accuracy" in labels and "weight" in labels
    assert {"W3_00", "W3_01", "W3_02", "W3_03", "W3_04"} <= set(labels)
    assert "epoch (0: the initial weights)" in labels


def test_the_weight_history_is_each_epochs_end() -> None:
    import backtrace
    from backtrace import api

    history = api.weight_history("xor-gradient", "V01")
    assert history["V01"][0] == 1  # the initial weight
    trace = backtrace.run("xor-gradient", epochs=len(history["V01"]) - 1, trace="all")
    ends = [r.new for r in trace if r.event == "update" and r.weight == "V01"][3::4]
    assert history["V01"][1:] == ends


def test_a_run_that_blows_up_is_drawn_on_a_log_scale_with_a_mark(tmp_path: Path) -> None:
    result = invoke_in(
        ["run", "xor", "--epochs", "10", "--trace", "none", "--plot", "blow.svg"], cwd=tmp_path
    )
    assert result.status == 3  # it diverged, and still drew
    labels = texts((tmp_path / "blow.svg").read_text())
    assert "−mean loss, log scale" in labels
    assert "epoch 3: h of D0 became inf; training stopped" in labels


def test_plot_needs_a_picture_name_and_plot_weight_needs_plot(tmp_path: Path) -> None:
    wrong = invoke_in(["run", "xor", "--plot", "loss.pdf"], cwd=tmp_path)
    assert (
        wrong.status == 2
        and "--plot loss.pdf: a picture is written as .svg or .png" in wrong.stderr
    )
    alone = invoke_in(["run", "xor", "--plot-weight", "W10"], cwd=tmp_path)
    assert alone.status == 2 and "add --plot" in alone.stderr
    unknown = invoke_in(["run", "xor", "--plot", "a.png", "--plot-weight", "Q1"], cwd=tmp_path)
    assert (
        unknown.status == 2
        and "--plot-weight: no weight matches 'Q1'; the weights are W10" in unknown.stderr
    )
    assert list(tmp_path.iterdir()) == []


def test_plot_weight_trains_the_run_once(tmp_path: Path, monkeypatch) -> None:
    # --plot-weight used to train the whole run a second time for its curves (issue 18).
    from backtrace import api

    calls = []
    real_train = api.train

    def counted(*arguments, **keywords):
        calls.append(arguments[0].config.epochs)
        return real_train(*arguments, **keywords)

    monkeypatch.setattr(api, "train", counted)
    arguments = ["run", "xor-gradient", "--epochs", "5", "--trace", "2", "--format", "jsonl",
                 "--plot", "curves.svg", "--plot-weight", "V01"]  # fmt: skip
    result = invoke_in(arguments, cwd=tmp_path)
    assert result.status == 0, result.stderr
    assert calls == [5]
    assert "V01" in texts((tmp_path / "curves.svg").read_text())


def test_the_runs_own_weight_history_is_each_epochs_end() -> None:
    import backtrace
    from backtrace import api

    history = api.WeightHistory(["V01"])
    trace = backtrace.run("xor-gradient", epochs=6, trace="3", weights_seen=history.note)
    list(trace)
    list(trace)  # iterated twice: the history is still one run's
    series = history.series["V01"]
    assert len(series) == 7 and series[0] == 1  # the initial weight, then after each epoch
    everything = backtrace.run("xor-gradient", epochs=6, trace="all")
    ends = [r.new for r in everything if r.event == "update" and r.weight == "V01"][3::4]
    assert series[1:] == ends
    assert api.weight_history(backtrace.load("xor-gradient", epochs=6), "V01")["V01"] == series


def drawn(figure):
    """The figure laid out and drawn, so that its artists report where they are."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    return figure.canvas.get_renderer()


def test_the_weights_legend_stays_off_the_curves() -> None:
    # With loc="best" the legend sat on the curves (issue 18); it goes beside the axes.
    from backtrace.numbers import format_number
    from backtrace.pictures.curves import Curves
    from backtrace.pictures.figures import curves_figure

    curves = Curves()
    curves.losses = [0.8, 0.5, 0.3, 0.2]
    curves.weights = {f"W3_0{index}": [index - 2.0, index - 1.5, index - 1.0, index - 0.5, index]
                      for index in range(5)}  # fmt: skip
    figure = curves_figure(curves, "five weights", format_number)
    renderer = drawn(figure)
    weight_axes = figure.axes[-1]
    legend = weight_axes.get_legend()
    assert legend is not None
    box, axes_box = legend.get_window_extent(renderer), weight_axes.get_window_extent(renderer)
    assert not box.overlaps(axes_box)
    assert box.x0 >= axes_box.x1 and box.x1 <= figure.bbox.x1  # to the right, inside the page
