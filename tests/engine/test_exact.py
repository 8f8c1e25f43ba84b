"""--exact: the same trace in fractions, and refused where exactness is impossible."""

from __future__ import annotations

import csv
import io
import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backtrace
from backtrace import records
from helpers import invoke_in


def test_the_articles_first_update_is_seven_fifths() -> None:
    result = invoke_in(["run", "xor", "--exact", "--sample", "1", "--width", "120"])
    assert result.status == 0, result.stderr
    # W10 := 1 - 1/10·(-4) = 7/5: the article's 1.4, with no rounding anywhere.
    assert "│ W10    │ X0·δ_Z1 = 1·(-4) = -4 │ 1 - 1/10·(-4) = 7/5 │ ✓ 1.4 " in result.stdout
    assert "learning rate α = 1/10" in result.stdout


def test_config_numbers_are_the_decimals_written() -> None:
    spec = backtrace.load("xor", {"data.rows": [[0.1, 0.2, 0.3]], "optimizer.learning_rate": 0.3})
    start, *_ = backtrace.run(spec, exact=True).records
    assert start.learning_rate == Fraction(3, 10) and start.arithmetic == "exact"
    sample = next(r for r in backtrace.run(spec, exact=True) if r.event == "sample")
    assert dict(sample.inputs) == {"X1": Fraction(1, 10), "X2": Fraction(1, 5)}


def numbers_of(record: records.Record) -> list:
    """Every number a record computed, in order. A reference's printed value is the text's, and
    the layers' parameters the config's, as written."""
    found = []
    for key, value in record.as_dict().items():
        if key in ("printed", "layers"):
            continue
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, (float, Fraction)) and not isinstance(item, bool):
                found.append(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found


def assert_same_within_rounding(spec) -> None:
    floats = list(backtrace.run(spec, trace="all"))
    fractions = list(backtrace.run(spec, trace="all", exact=True))
    assert len(floats) == len(fractions)
    compared = 0
    for approximate, exact in zip(floats, fractions):
        assert type(approximate) is type(exact)
        for a, e in zip(numbers_of(approximate), numbers_of(exact), strict=True):
            assert isinstance(e, Fraction)
            assert math.isclose(a, float(e), rel_tol=1e-9, abs_tol=1e-12), (approximate, exact)
            compared += 1
    assert compared > 100


@pytest.mark.parametrize("config", ["xor", "xor-gradient"])
def test_exact_and_float64_agree_within_rounding(config: str) -> None:
    assert_same_within_rounding(backtrace.load(config, epochs=2))


SMALL_DECIMALS = st.sampled_from([-1, -0.5, -0.2, 0, 0.1, 0.3, 0.7, 1.5])


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from(["identity", "relu", "leaky_relu"]),
    st.sampled_from(["squared_error", "mean_squared_error"]),
    st.sampled_from([1, 2, "all"]),
    st.lists(SMALL_DECIMALS, min_size=9, max_size=9),
    st.lists(SMALL_DECIMALS, min_size=4, max_size=4),
)
def test_rational_networks_agree_within_rounding(activation, loss, batch, hidden, output) -> None:
    # Hand-sized numbers, as exact arithmetic is meant for: a fraction's digits grow with
    # every step, so 17-digit random weights would make a long run of huge numbers.
    spec = backtrace.load(
        "xor-sigmoid",
        {
            "layers[0].activation": activation,
            "layers[0].weights": [hidden[0:3], hidden[3:6], hidden[6:9]],
            "layers[1].activation": "identity",
            "layers[1].weights": [output],
            "loss": loss,
            "optimizer.batch_size": batch,
            "optimizer.learning_rate": 0.05,
        },
        epochs=2,
    )
    with backtrace.limits.raised(exact_digits=100_000):  # eight steps of slope 1/100 grow long
        assert_same_within_rounding(spec)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ([], "--exact: layer 1 (Z1...Z3) uses sigmoid, which has no exact rational values"),
        (
            ["--set", "loss=binary_cross_entropy"],
            "--exact: the loss binary_cross_entropy takes logarithms",
        ),
    ],
)
def test_functions_without_exact_values_are_refused(changes: list[str], words: str) -> None:
    result = invoke_in(["run", "xor-sigmoid", "--exact", *changes])
    assert result.status == 2 and result.stdout == ""
    assert result.stderr.startswith("backtrace: error: " + words) and result.stderr.count("\n") == 1


def test_machine_formats_write_the_fraction_beside_the_float() -> None:
    jsonl = invoke_in(["run", "xor", "--exact", "--format", "jsonl", "--phase", "update"]).stdout
    w10 = next(
        json.loads(line)
        for line in jsonl.splitlines()
        if '"weight": "W10"' in line and '"step": 1,' in line
    )
    assert (w10["new"], w10["exact"]["new"], w10["exact"]["learning_rate"]) == (1.4, "7/5", "1/10")
    table = invoke_in(["run", "xor", "--exact", "--format", "csv", "--phase", "update"]).stdout
    first = next(csv.DictReader(io.StringIO(table)))
    assert (first["weight"], first["new"], first["new_exact"]) == ("W10", "1.4", "7/5")


def test_fractions_past_pythons_printing_limit_print_in_full() -> None:
    from backtrace.numbers import format_number

    # Python refuses str() of an int over 4,300 digits unless told; an exact trace may hold one.
    value = Fraction(10**5000 + 1, 3)
    text = format_number(value)
    numerator, slash, denominator = text.partition("/")
    assert slash and denominator == "3" and len(numerator) == 5001
    assert numerator == "1" + "0" * 4999 + "1"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "table"])
def test_the_second_epoch_of_momentum_prints(fmt: str) -> None:
    # Its eighth step holds fractions of thousands of digits, past Python's printing limit.
    result = invoke_in(["run", "xor-momentum", "--exact", "--epochs", "2", "--format", fmt])
    assert result.status == 0, result.stderr[-500:]
    assert result.stderr == ""


def test_growing_fractions_stop_the_run_with_one_line() -> None:
    result = invoke_in(["run", "xor", "--exact", "--epochs", "50", "--format", "jsonl"])
    assert result.status == 2
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    # The article's 2-3-1 network passes 10,000 digits on its tenth step.
    assert "--exact: after epoch 3, step 10" in message and "limit of 10,000" in message


def test_the_digit_limit_counts_numerators_and_denominators() -> None:
    import numpy as np

    from backtrace.formulas.numeric import EXACT, FLOAT64

    arrays = [np.array([Fraction(1, 10**40), Fraction(-(10**99))], dtype=object)]
    assert EXACT.longest(arrays) == 100  # -10^99 has 100 digits, 10^40 has 41
    assert FLOAT64.longest([np.array([1e300])]) == 0
