from __future__ import annotations

import json

import pytest

from backtrace.numbers import format_number, plain_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.4000000000000001, "1.4"),
        (1 - 0.1 * 1 * -4, "1.4"),
        (-4.0, "-4"),
        (4.0, "4"),
        (0.0, "0"),
        (-0.0, "0"),
        (-1e-20, "-1e-20"),
        (0.1 + 0.2, "0.3"),
        (11.48, "11.48"),
        (-14.672000000000002, "-14.672"),
        (2.0 / 3.0, "0.666667"),
        (1234567.0, "1.23457e6"),
        (0.0001234, "0.0001234"),
        (8.00926e-05, "0.0000800926"),  # small numbers keep their six digits
        (-1.9096e-05, "-0.000019096"),
        (9.99e-6, "9.99e-6"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (float("nan"), "nan"),
    ],
)
def test_human_numbers(value: float, text: str) -> None:
    assert format_number(value) == text


def test_precision() -> None:
    assert format_number(2 / 3, 3) == "0.667"
    assert format_number(11.48, 1) == "10"  # not 1e1
    assert format_number(1234567.0) == "1.23457e6"  # more digits than asked for: exponent
    # From 17 digits on: the shortest decimal that reads back as the same float64.
    assert format_number(2 / 3, 17) == "0.6666666666666666"
    assert format_number(0.1, 17) == "0.1" and format_number(0.1 + 0.2, 17) == "0.30000000000000004"
    assert format_number(1e22, 17) == "1e22" and format_number(-1.5e-5, 17) == "-0.000015"
    assert format_number(2852.7996888509247, 17) == "2852.7996888509247"
    for value in (2 / 3, 1e-300, 123456789.123, -7.0, 5e-324):
        assert float(format_number(value, 17)) == value


def test_exact_numbers_print_exactly() -> None:
    from fractions import Fraction

    assert format_number(Fraction(7, 5)) == "7/5" and format_number(Fraction(-4)) == "-4"
    assert format_number(Fraction(1, 3), 2) == "1/3"  # precision rounds floats, not fractions


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (-4.0, -4),
        (1 - 0.1 * -4, 1.4),
        (0.1 + 0.2, 0.30000000000000004),  # exact: a trace must read back as the same float64
        (1e300, 1e300),
        (float("nan"), None),
        (float("inf"), None),
    ],
)
def test_machine_numbers_are_exact(value: float, plain) -> None:
    result = plain_number(value)
    assert result == plain and type(result) is type(plain)
    if plain is not None:
        assert json.loads(json.dumps(result)) == value


def test_machine_numbers_rounded_on_request() -> None:
    assert plain_number(0.1 + 0.2, 15) == 0.3
    assert json.dumps(plain_number(2 / 3, 3)) == "0.667"


def test_a_long_fraction_gets_its_decimal_beside_it() -> None:
    from fractions import Fraction

    from backtrace.numbers import with_decimal

    loss = Fraction(-4342422296361513473499, 5960464477539062500)
    # Every digit of the fraction, then a decimal marked as rounded (issue 18).
    assert with_decimal(loss) == "-4342422296361513473499/5960464477539062500 (≈ -728.538)"
    assert with_decimal(loss, 10) == "-4342422296361513473499/5960464477539062500 (≈ -728.5375683)"
    assert with_decimal(Fraction(7, 5)) == "7/5"  # short enough to read as it is
    assert with_decimal(Fraction(-4)) == "-4"
    assert with_decimal(1.4) == "1.4" and with_decimal(-4.0) == "-4"
    # A decimal that is the fraction's exact value says "=".
    assert with_decimal(Fraction(1234567, 1000000), 7) == "1234567/1000000 (= 1.234567)"
    assert with_decimal(Fraction(1, 3 * 10**7)) == "1/30000000 (≈ 3.33333e-8)"


def test_an_exact_run_ends_with_a_mean_loss_a_person_can_read() -> None:
    import re
    from fractions import Fraction

    from helpers import invoke_in

    for output_format in ("text", "table", "markdown"):
        exact = invoke_in(["run", "xor", "--exact", "--format", output_format]).stdout
        found = re.search(r"mean loss (-?\d+/\d+) \(≈ (-?[\d.]+)\)", exact)
        assert found, output_format
        fraction, decimal = Fraction(found[1]), found[2]
        assert decimal == f"{float(fraction):.6g}"
        # The float64 run of the same network computes the same mean loss to many digits.
        floats = invoke_in(["run", "xor", "--format", output_format]).stdout
        assert f"mean loss {decimal}" in floats
        assert "…" not in exact
