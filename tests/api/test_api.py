"""The Python API as a notebook user meets it: only names from `import backtrace`."""

from __future__ import annotations

import json

import pytest

import backtrace
from helpers import CONFIGS, article_document


def test_a_notebook_session_on_the_articles_network() -> None:
    spec = backtrace.load("xor")
    trace = backtrace.run(spec)
    first_w10 = next(r for r in trace if r.event == "update" and r.weight == "W10")
    # The article: W10 := W10 - α·Z_X0·δ_Z1 = 1 - 0.1·1·(-4) = 1.4.
    assert first_w10.new == pytest.approx(1.4, abs=1e-15) and first_w10.step == 1
    markdown = trace.step(1).render("markdown")
    assert markdown.startswith("# The article's XOR network")
    assert "| W10 | X0·δ_Z1 = 1·(-4) = -4 | 1 - 0.1·(-4) = 1.4 | ✓ 1.4 |" in markdown
    assert "sample 2" not in markdown  # one step only
    losses = backtrace.run(spec, epochs=2, trace="none").losses
    assert len(losses) == 2 and losses[1] < losses[0] < 0  # the article's sign climbs the error


def test_load_takes_paths_text_dicts_and_overrides() -> None:
    by_path = backtrace.load(CONFIGS / "xor-gradient.yaml")
    by_text = backtrace.load((CONFIGS / "xor-gradient.yaml").read_text())
    by_dict = backtrace.load(article_document(), {"loss": "squared_error"})
    assert by_path.config == by_text.config
    assert by_dict.config.loss == "squared_error" and by_path.config.loss == "squared_error"
    overridden = backtrace.load("xor", {"optimizer.learning_rate": 0.5}, epochs=3)
    assert overridden.config.optimizer.learning_rate == 0.5 and overridden.config.epochs == 3
    assert (
        overridden.references_dropped
    )  # a new learning rate: the article's numbers no longer apply
    with pytest.raises(backtrace.ConfigError, match="overrides: layers\\[5\\]"):
        backtrace.load("xor", {"layers[5].units": 2})


def test_run_selects_like_the_command_line() -> None:
    trace = backtrace.run("xor", sample=2, unit="Z*", phase="backward")
    kinds = {record.event for record in trace}
    assert kinds <= {
        "start",
        "note",
        "weights",
        "sample",
        "delta",
        "gradient",
        "epoch",
        "reference",
    }
    assert {r.unit for r in trace if r.event == "delta"} == {"Z1", "Z2", "Z3"}
    assert {r.sample for r in trace if r.event == "delta"} == {2}


def test_final_weights_come_as_matrices() -> None:
    # One update of the gradient config by hand: W10 = 1 - 0.1·1·4 = 0.6, W11 = 1 (X1 = 0).
    spec = backtrace.load("xor-gradient", {"data.rows": [[0, 0, 0]]})
    weights = backtrace.run(spec).final_weights
    assert [matrix.shape for matrix in weights] == [(3, 3), (1, 4)]
    assert weights[0][0].tolist() == pytest.approx([0.6, 1, 1])
    assert weights[1][0].tolist() == pytest.approx([0.6, 0.6, 0.6, 0.6])


def test_records_as_plain_data_and_every_format_as_text() -> None:
    trace = backtrace.run("xor", trace="none")
    assert json.loads(json.dumps(trace.as_dicts()))[0]["event"] == "start"
    for name in ("table", "text", "jsonl", "csv", "markdown"):
        assert trace.render(name).strip(), name
    assert backtrace.render(trace.records[:1], "jsonl").startswith('{"event": "start"')


def test_a_trace_shows_itself_in_a_notebook() -> None:
    bundle = backtrace.run("xor").epoch(1)._repr_mimebundle_()
    assert bundle["text/plain"] == "<Trace of xor: 1 epoch>"
    assert "<span" in bundle["text/html"] and "Forward pass" in bundle["text/html"]


def test_a_diverged_run_says_so() -> None:
    trace = backtrace.run("xor", epochs=40, trace="none")
    assert trace.records[-1].event == "diverged" and trace.diverged is not None
    with pytest.raises(backtrace.BacktraceError, match="diverged"):
        _ = trace.final_weights
