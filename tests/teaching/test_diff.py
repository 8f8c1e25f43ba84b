"""`backtrace diff` and `read_trace`: planted changes found at their first record, saved traces
that diff clean against the config that made them, and traces that cannot be read refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import backtrace
from backtrace.errors import TraceError
from backtrace.expressions.nodes import Address
from helpers import CONFIGS, invoke_in


@pytest.mark.parametrize("config", ["xor", "mazur", "xor-adam", "iris"])
@pytest.mark.parametrize("ending", [".jsonl", ".json"])
def test_a_saved_trace_reads_back_as_the_same_records(
    config: str, ending: str, tmp_path: Path
) -> None:
    trace = backtrace.run(config)
    saved = tmp_path / f"trace{ending}"
    saved.write_text(trace.render(ending[1:]))
    assert backtrace.read_trace(saved) == trace.records
    result = invoke_in(["diff", config, saved.name], cwd=tmp_path)
    assert result.status == 0, result.stdout
    assert "The traces are the same" in result.stdout


def test_an_exact_trace_reads_back_as_fractions(tmp_path: Path) -> None:
    saved = tmp_path / "exact.jsonl"
    saved.write_text(backtrace.run("xor", exact=True).render("jsonl"))
    update = next(r for r in backtrace.read_trace(saved) if r.event == "update")
    assert str(update.new) == "7/5"  # 1 - (1/10)·(-4), exactly


def changed_config(tmp_path: Path, change) -> str:
    document = yaml.safe_load((CONFIGS / "xor.yaml").read_text())
    change(document)
    document.pop("reference")
    (tmp_path / "changed.yaml").write_text(yaml.safe_dump(document))
    return "changed.yaml"


def test_one_changed_initial_weight_is_found_where_it_first_counts(tmp_path: Path) -> None:
    """V02 = 2 instead of 1: the forward sums of the hidden units do not use V, so the first
    value to change is D0's h: 1·1 + 1·1 + 2·1 + 1·1 = 5 against 4."""

    def change(document: dict) -> None:
        document["layers"][1]["weights"] = [[1, 1, 2, 1]]

    name = changed_config(tmp_path, change)
    found = backtrace.diff("xor", tmp_path / name)
    assert found.first.address == Address("h", "D0", 1, 1)
    assert (found.first.a.value, found.first.b.value) == (4, 5)
    assert found.first.marked == {Address("weight", "V02", 1, 1)}
    result = invoke_in(["diff", "xor", name], cwd=tmp_path)
    assert result.status == 6
    assert "They part first at D0's h, epoch 1, sample 1: A 4, B 5" in result.stdout
    assert (
        "B: h_D0 = V00·Z0 + V01·Z1 + V02·Z2 + V03·Z3 = 1·1 + 1·1 + ⟨2⟩·1 + 1·1 = 5" in result.stdout
    )


def test_a_changed_learning_rate_first_shows_in_the_first_update(tmp_path: Path) -> None:
    """α = 0.5: nothing of sample 1 changes before its update, W10 := 1 - 0.5·(-4) = 3."""
    found = backtrace.diff("xor", "xor", overrides_b=["optimizer.learning_rate=0.5"])
    assert found.first.address == Address("new", "W10", 1, None, 1)
    assert (found.first.a.value, found.first.b.value) == (pytest.approx(1.4), 3)
    forward = found.tallies[("forward", 1)]
    # 4 samples × 4 units × (h, z); samples 2 to 4 start from the changed weights.
    assert forward.compared == 32 and forward.differing == 24


def test_a_slip_departs_where_it_should() -> None:
    """Stale weights change nothing before the hidden deltas; Mazur's δ_h1 moves first."""
    found = backtrace.diff("mazur", "mazur", overrides_b={"slips": ["stale_weights"]})
    assert found.first.address == Address("delta", "h1", 1, 1)
    assert found.first.marked == {Address("weight", "w5", 1, 1), Address("weight", "w7", 1, 1)}
    assert "B makes slips on purpose: stale_weights" in found.notes


def test_the_tolerance_and_the_json_form(tmp_path: Path) -> None:
    same = invoke_in(["diff", "xor", "xor", "--set-b", "optimizer.learning_rate=0.1000001",
                      "--sample", "1", "--tolerance", "1e-5", "--format", "json"], cwd=tmp_path)  # fmt: skip
    assert same.status == 0 and json.loads(same.stdout)["same"] is True
    apart = invoke_in(["diff", "xor", "xor", "--set-b", "optimizer.learning_rate=0.1000001",
                       "--format", "json"], cwd=tmp_path)  # fmt: skip
    data = json.loads(apart.stdout)
    assert apart.status == 6 and data["first"]["subject"] == "W10"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"event": "sample"}\n', "t.jsonl:1: is not a backtrace trace: it does not begin"),
        ("not json\n", "t.jsonl:1: is not a JSON object"),
        ("", "t.jsonl: is empty"),
        ('{"event": "start", "format_version": 99}\n', "trace format 99, newer than the 1"),
        ('{"event": "start", "title": 3}\n', "t.jsonl:1: start record:"),
    ],
)
def test_files_that_are_not_traces_are_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "t.jsonl").write_text(text)
    with pytest.raises(TraceError) as caught:
        backtrace.read_trace(tmp_path / "t.jsonl")
    assert message in str(caught.value).replace(str(tmp_path) + "/", "")
    result = invoke_in(["diff", "xor", "t.jsonl"], cwd=tmp_path)
    assert result.status == 2 and len(result.stderr.strip().splitlines()) == 1


def test_a_sample_neither_trace_holds_is_refused(tmp_path: Path) -> None:
    result = invoke_in(["diff", "xor", "xor", "--sample", "9"], cwd=tmp_path)
    assert result.status == 2
    assert "--sample: selects no sample either trace holds" in result.stderr


def test_different_networks_are_said_to_be_so_first() -> None:
    found = backtrace.diff("xor", "mazur")
    assert found.notes[0].startswith("A and B are different networks")
    assert not found.same


def test_a_sample_and_a_phase_together() -> None:
    """--sample 1 --phase backward: sample 1's 4 deltas and 13 gradients are compared (the
    sample's own record belongs to the forward phase, and must not make it look absent)."""
    found = backtrace.diff("xor", "xor", sample="1", phase="backward")
    assert found.same and found.tallies[("backward", 1)].compared == 4 + 13
