"""Numbers as a person writes them: 1.4 not 1.4000000000000001, -4 not -4.0."""

from __future__ import annotations

import math

HUMAN_DIGITS = 6  # significant digits in tables and text, unless --precision says otherwise
MACHINE_DIGITS = 15  # in JSON and CSV: the most digits that always survive a round trip


def format_number(value: float, digits: int = HUMAN_DIGITS) -> str:
    """`value` rounded to `digits` significant digits, without trailing zeros or a '-0'."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{digits}g}"
    mantissa, e, exponent = text.partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    if e:
        sign = "-" if exponent.startswith("-") else ""
        return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return "0" if mantissa in ("-0", "0") else mantissa


def plain_number(value: float, digits: int = MACHINE_DIGITS) -> float | int | None:
    """`value` for JSON: rounded to `digits`, whole numbers as ints, non-finite as None."""
    if not math.isfinite(value):
        return None
    rounded = float(f"{value:.{digits}g}")
    if rounded.is_integer() and abs(rounded) < 2**53:
        return int(rounded)
    return rounded
