"""The classic slips, made on purpose: each reproduces the published number it is named after,
changes exactly what it says, and is named as a slip wherever the trace is read."""

from __future__ import annotations

import json

import pytest

import backtrace
from backtrace.errors import ConfigError

XOR_SQUARED = {"loss": "squared_error"}


def first_step(config: str, changes: dict, quantity: str, name: str | None = None):
    """The value of `quantity` (of unit or weight `name`) in epoch 1's first sample/step."""
    for record in backtrace.run(backtrace.load(config, changes), trace="all"):
        if record.event == "forward" and record.sample == 1 and record.unit == name:
            if quantity in ("h", "z"):
                return getattr(record, quantity)
        if record.event == "delta" and quantity == "delta" and record.sample == 1:
            if record.unit == name:
                return record.delta
        if record.event == "loss" and quantity == "loss" and record.sample == 1:
            return record.loss
        if record.event == "update" and quantity == "new" and record.step == 1:
            if record.weight == name:
                return record.new
    raise AssertionError(f"no {quantity} {name}")


def epoch_losses(config: str, changes: dict) -> list[float]:
    trace = backtrace.run(backtrace.load(config, changes), trace="none")
    return [record.loss for record in trace if record.event == "epoch"]


def test_stale_weights_reproduce_mazurs_error_after_one_round() -> None:
    # Mazur prints 0.291027924 for the error after the first update; the rule he states
    # (hidden deltas through the original w5..w8) gives 0.291027774 instead.
    assert round(epoch_losses("mazur", {"slips": ["stale_weights"]})[1], 9) == 0.291027924
    assert round(epoch_losses("mazur", {})[1], 9) == 0.291027774


def test_stale_weights_take_the_hidden_delta_through_the_updated_weight() -> None:
    """By hand on the article's network with the squared error: δ_D0 = 4 - 0 = 4; V01 is
    updated to 1 - 0.1·1·4 = 0.6 in the same step, so the stale δ_Z1 = 0.6·4·1 = 2.4
    (the right one is 1·4·1 = 4), and W10 := 1 - 0.1·1·2.4 = 0.76."""
    changes = {**XOR_SQUARED, "slips": ["stale_weights"]}
    trace = backtrace.run(backtrace.load("xor", changes))
    delta = next(r for r in trace if r.event == "delta" and r.unit == "Z1" and r.sample == 1)
    assert delta.delta == pytest.approx(2.4, abs=1e-15)
    assert [(term.weight, term.w) for term in delta.terms] == [("V01", pytest.approx(0.6))]
    assert first_step("xor", changes, "new", "W10") == pytest.approx(0.76, abs=1e-15)
    assert first_step("xor", XOR_SQUARED, "new", "W10") == pytest.approx(0.6, abs=1e-15)


def test_flipped_error_sign_reproduces_the_articles_updates_but_not_its_w11() -> None:
    """The article's 1.4 comes from the error y - ŷ = -4 under W := W - α·Z·δ. The slip gives
    the same 1.4 for W10 and V01 on the squared error, and W11 stays 1 since X1 = 0."""
    changes = {**XOR_SQUARED, "slips": ["flipped_error_sign"]}
    assert first_step("xor", changes, "delta", "D0") == -4
    assert first_step("xor", changes, "new", "W10") == pytest.approx(1.4, abs=1e-15)
    assert first_step("xor", changes, "new", "V01") == pytest.approx(1.4, abs=1e-15)
    assert first_step("xor", changes, "new", "W11") == 1
    assert first_step("xor", XOR_SQUARED, "delta", "D0") == 4  # the right sign


def test_the_flipped_sign_is_printed_as_it_was_computed() -> None:
    text = backtrace.run(
        backtrace.load("xor", {**XOR_SQUARED, "slips": ["flipped_error_sign"]}),
        sample=1,
        phase="backward",
    ).render("text", width=100)
    assert "δ_D0 = (y - ŷ)·f'(h_D0) = (0 - 4)·1 = -4" in text


@pytest.mark.parametrize(
    ("slip", "loss", "delta"),
    [
        # ŷ = 4, y = 0, identity output: ½·4² = 8 and δ = 4 are the right pair.
        ("half_dropped_from_loss", 16, 4),  # 4² without the ½, δ still ŷ - y
        ("half_dropped_from_gradient", 8, 8),  # ½·4², but δ = 2·(ŷ - y)
    ],
)
def test_a_dropped_half(slip: str, loss: float, delta: float) -> None:
    changes = {**XOR_SQUARED, "slips": [slip]}
    assert first_step("xor", changes, "loss") == loss
    assert first_step("xor", changes, "delta", "D0") == delta
    assert first_step("xor", XOR_SQUARED, "loss") == 8
    assert first_step("xor", XOR_SQUARED, "delta", "D0") == 4


def test_rounding_as_you_go_keeps_three_decimals_everywhere() -> None:
    trace = backtrace.run(backtrace.load("mazur", {"slips": [{"round_as_you_go": 3}]}), trace="all")
    values = []
    for record in trace:
        if record.event == "forward":
            values += [record.h, record.z]
        if record.event in ("delta", "gradient"):
            values.append(getattr(record, record.event if record.event == "delta" else "grad"))
        if record.event == "update":
            values.append(record.new)
    assert values and all(value == round(value, 3) for value in values)
    # Mazur's out_h1 = 0.593269992, to three decimals.
    assert first_step("mazur", {"slips": [{"round_as_you_go": 3}]}, "z", "h1") == 0.593
    drift = [r for r in trace if r.event == "note" and r.text.startswith("Drift")]
    assert len(drift) == 1 and "0.29102777369359933" in drift[0].text  # the unrounded loss


def test_the_option_and_the_config_entry_are_the_same_slip() -> None:
    by_option = backtrace.load("mazur").with_rounding(2)
    by_config = backtrace.load("mazur", {"slips": [{"round_as_you_go": 2}]})
    assert by_option.config.slip_set == by_config.config.slip_set
    assert backtrace.run(by_option).as_dicts() == backtrace.run(by_config).as_dicts()


@pytest.mark.parametrize("output", ["text", "markdown", "latex", "jsonl", "table"])
def test_a_slip_is_named_as_one_in_every_readable_output(output: str) -> None:
    trace = backtrace.run(backtrace.load("mazur", {"slips": ["stale_weights"]}))
    written = trace.render(output, width=100)
    assert "Slip on purpose" in written
    if output == "jsonl":
        start = json.loads(written.splitlines()[0])
        assert start["slips"] == ["stale_weights"] and start["format_version"] == 1


def test_without_slips_nothing_is_said_about_them() -> None:
    written = backtrace.run(backtrace.load("mazur")).render("text", width=100)
    assert "slip" not in written.lower()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slips": ["stale"]}, "did you mean 'stale_weights'?"),
        ({"slips": ["round_as_you_go"]}, "needs its decimals: write {round_as_you_go: 3}"),
        ({"slips": [{"round_as_you_go": 30}]}, "a whole number of decimals from 0 to 15"),
        ({"slips": ["flipped_error_sign"]}, "already how loss: article takes its error"),
        (
            {"loss": "mean_squared_error", "slips": ["half_dropped_from_loss"]},
            "half_dropped_from_loss is a slip of squared_error, not of mean_squared_error",
        ),
    ],
)
def test_slips_that_cannot_apply_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        backtrace.load("xor", changes)
    assert "slips" in str(caught.value) and message in str(caught.value)


def test_slips_keep_the_reference_values(tmp_path) -> None:
    """A slip changes the method, not the network: the printed numbers still apply, and the
    stale-weights run agrees with Mazur's printed error where the right run does not."""
    trace = backtrace.run(backtrace.load("mazur", {"slips": ["stale_weights"]}), trace="all")
    epoch_two = [
        r for r in trace if r.event == "reference" and r.quantity == "loss" and r.epoch == 2
    ]
    assert [r.agrees for r in epoch_two] == [True]
    right = backtrace.run(backtrace.load("mazur"), trace="all")
    assert [r.agrees for r in right if r.event == "reference" and r.epoch == 2] == [False]


def test_rounding_as_you_go_rounds_half_up_as_a_calculator_does() -> None:
    """Mazur's h2 = 0.25·0.05 + 0.3·0.1 + 0.35·1 = 0.3925, which a person rounds up to 0.393
    (the float sum is a hair below 0.3925, so rounding the float would give 0.392)."""
    assert first_step("mazur", {"slips": [{"round_as_you_go": 3}]}, "h", "h2") == 0.393


def test_a_diagram_of_a_slip_says_so() -> None:
    from backtrace import api

    drawn = api.diagram(backtrace.load("mazur", {"slips": ["stale_weights"]}), sample=1)
    assert "slips on purpose: stale_weights" in drawn.title
