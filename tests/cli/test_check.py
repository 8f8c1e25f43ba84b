"""`backtrace check`: backpropagation against central finite differences, through the CLI."""

from __future__ import annotations

import json

import pytest

from backtrace.formulas import ACTIVATIONS
from backtrace.formulas.activations import Activation
from helpers import invoke_in


def checks(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if '"event": "check"' in line]


@pytest.mark.parametrize("config", ["xor-gradient", "xor-sigmoid"])
def test_true_gradients_pass(config: str) -> None:
    result = invoke_in(["check", config, "--width", "120"])
    assert result.status == 0, result.stderr
    assert "All 13 weights agree within 1e-6" in result.stdout and result.stderr == ""


def test_the_articles_error_is_minus_the_gradient() -> None:
    result = invoke_in(["check", "xor", "--format", "jsonl"])
    assert result.status == 4
    assert result.stderr == "backtrace: error: 7 weights fail the gradient check\n"
    rows = checks(result.stdout)
    moving = [row for row in rows if row["backprop"] != 0]
    # Sample 1 by hand: backprop gives X0·δ = 1·(-4) = -4; ½(ŷ - y)² has dL/dW10 = 1·(4 - 0) = 4.
    assert {row["weight"]: row["backprop"] for row in moving}["W10"] == -4
    assert all(row["ratio"] == pytest.approx(-1, abs=1e-8) for row in moving) and len(moving) == 7
    note = next(json.loads(line) for line in result.stdout.splitlines() if '"note"' in line)
    assert note["topic"] == "check" and "-1" in note["text"]


def test_a_later_point_of_training() -> None:
    at_six = checks(invoke_in(["check", "xor-sigmoid", "--step", "6", "--format", "jsonl"]).stdout)
    in_two = checks(invoke_in(["check", "xor-sigmoid", "--epoch", "2", "--format", "jsonl"]).stdout)
    assert {row["step"] for row in at_six} == {6} and {row["step"] for row in in_two} == {5}
    assert at_six[0]["value"] != in_two[0]["value"]  # the weights moved between steps 5 and 6
    clash = invoke_in(["check", "xor-sigmoid", "--epoch", "1", "--step", "6"])
    assert clash.status == 2 and "--step 6 is in epoch 2" in clash.stderr


def test_weights_and_tolerance_can_be_chosen() -> None:
    result = invoke_in(["check", "xor-sigmoid", "--weight", "V0*", "--format", "jsonl"])
    assert [row["weight"] for row in checks(result.stdout)] == ["V00", "V01", "V02", "V03"]
    strict = invoke_in(["check", "xor-sigmoid", "--tolerance", "1e-12"])
    assert strict.status == 4 and "fail the tolerance 1e-12" in strict.stdout


def test_a_planted_wrong_derivative_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    sigmoid = ACTIVATIONS["sigmoid"]
    wrong = Activation(
        sigmoid.name,
        sigmoid.formula,
        sigmoid.derivative_formula,
        sigmoid.value,
        lambda h, z, numbers, parameters: z * (1.0 - z) * 1.001,  # off by a tenth of a percent
    )
    monkeypatch.setitem(ACTIVATIONS, "sigmoid", wrong)
    result = invoke_in(["check", "xor-sigmoid", "--format", "jsonl"])
    assert result.status == 4
    failing = {row["weight"] for row in checks(result.stdout) if not row["passed"]}
    assert {"W10", "V00"} <= failing


def test_check_writes_every_format() -> None:
    for name in ("table", "text", "markdown", "csv", "jsonl"):
        result = invoke_in(["check", "xor-gradient", "--format", name])
        assert result.status == 0 and "V03" in result.stdout, name
