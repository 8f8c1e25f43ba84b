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
    assert "All 13 weights agree within |J' - n| ≤ 1e-8 + 1e-6·|n|" in result.stdout
    assert result.stderr == ""


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
    strict = invoke_in(
        ["check", "xor-sigmoid", "--rtol", "1e-12", "--atol", "0", "--width", "200"]
    )
    # So strict a test leaves only the noise verdict between these true gradients and a fail.
    assert strict.status == 0 and "within |J' - n| ≤ 0 + 1e-12·|n|; " in strict.stdout
    assert "noise-limited (below what the difference can resolve)" in strict.stdout


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


# Every bundled example whose backward pass is a gradient (all but the article's own xor,
# whose error is -1 times the gradient by design), at the points issue 18 found false alarms.
CORRECT_GRADIENTS = [
    ["iris"],
    ["iris", "--epoch", "50"],
    ["iris", "--epoch", "100"],
    ["xor-deep"],
    ["xor-deep", "--step", "1000"],
    ["mazur"],
    ["mazur", "--step", "3"],
    ["xor-adam", "--epoch", "200"],
    ["xor-gradient", "--epoch", "500"],
    ["xor-momentum", "--step", "300"],
    ["xor-sigmoid", "--step", "1000"],
]


@pytest.mark.parametrize("arguments", CORRECT_GRADIENTS, ids=" ".join)
def test_correct_gradients_never_fail(arguments: list[str]) -> None:
    result = invoke_in(["check", *arguments, "--format", "jsonl"])
    assert result.status == 0, result.stdout[-400:]
    assert all(row["verdict"] in ("ok", "noise-limited") for row in checks(result.stdout))


def test_a_gradient_too_small_to_resolve_is_noise_limited_and_passes() -> None:
    # W40's gradient at iris's first step is about -4e-5, where backprop and the difference
    # agree to 5-6 digits (issue 18); with no absolute tolerance only the noise test saves it.
    result = invoke_in(["check", "iris", "--atol", "0", "--format", "jsonl"])
    assert result.status == 0
    w40 = next(row for row in checks(result.stdout) if row["weight"] == "W40")
    assert abs(w40["backprop"]) < 1e-4 and w40["error"] > 1e-6  # the old test failed it
    assert w40["verdict"] == "noise-limited" and w40["passed"]
    # The disagreement is within a few times the estimated error of the difference itself.
    assert abs(w40["backprop"] - w40["numeric"]) <= 4 * (w40["truncation"] + w40["rounding"])
    table = invoke_in(["check", "iris", "--atol", "0", "--width", "200"])
    assert "noise-limited" in table.stdout and "truncation" in table.stdout


def test_the_error_estimates_bound_a_correct_gradients_disagreement() -> None:
    # xor-sigmoid's gradients are large and smooth: the estimates should account for the gap.
    rows = checks(invoke_in(["check", "xor-sigmoid", "--format", "jsonl"]).stdout)
    for row in rows:
        # rounding ≥ u·|L|/ε with ε = 10⁻⁶·max(1, |W|) and a loss well above 10⁻³ here
        assert row["rounding"] > 2.0**-52 * 1e-3 / (1e-6 * max(1, abs(row["value"])))
        gap = abs(row["backprop"] - row["numeric"])
        assert gap <= 4 * (row["truncation"] + row["rounding"]), row["weight"]


@pytest.mark.parametrize("factor", [1.01, 1.0001])
def test_a_planted_wrong_delta_still_fails(monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    """One hidden unit's delta off by a small factor: the weights into that unit fail."""
    from dataclasses import replace

    import backtrace
    from backtrace.engine import network

    true_backward = network.Network.backward

    def planted(self, forward, y, **options):
        backward = true_backward(self, forward, y, **options)
        deltas = list(backward.deltas)
        if len(deltas) > 1:
            deltas[0] = deltas[0].copy()
            deltas[0][:, 0] *= factor  # hidden unit 1's delta only
        return replace(backward, deltas=deltas)

    monkeypatch.setattr(network.Network, "backward", planted)
    result = invoke_in(["check", "iris", "--format", "jsonl"])
    assert result.status == 4
    into_unit = set(backtrace.load("iris").names.layers[1].weights[0])
    failing = {row["weight"] for row in checks(result.stdout) if row["verdict"] == "fails"}
    assert failing and failing <= into_unit
