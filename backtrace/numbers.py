"""Numbers as a person writes them: 1.4 not 1.4000000000000001, -4 not -4.0, 7/5 exactly."""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

HUMAN_DIGITS = 6  # significant digits in tables and text, unless --precision says otherwise
ALL_DIGITS = 17  # enough for any float64: from here on, every float prints in full


def format_number(value: float | Fraction, digits: int = HUMAN_DIGITS) -> str:
    """`value` rounded to `digits` significant digits, without trailing zeros or a '-0'.

    From 17 digits on, a float prints as the shortest decimal that reads back as the same
    float64 (0.1, not 0.10000000000000001), so it can be computed with again exactly. An
    exact fraction always prints exactly: -4, 7/5."""
    if isinstance(value, Fraction):
        with _long_integers():
            return str(value.numerator) if value.denominator == 1 else str(value)
    return _format_float(value, digits)


# A fraction with more digits than this above or below its bar is hard to read at a glance.
READABLE_DIGITS = 6


def with_decimal(value: float | Fraction, digits: int = HUMAN_DIGITS) -> str:
    """`format_number(value, digits)`, and beside a fraction too long to read at a glance its
    decimal, marked as rounded: `-4342422296361513473499/5960464477539062500 (≈ -728.538)`.
    Every digit of the fraction stays; the decimal has `digits` significant digits (and `=`
    when it is the fraction's exact value). What text formats print for values that stand
    alone: an epoch's mean loss, a table of weights."""
    text = format_number(value, digits)
    numerator, bar, denominator = text.lstrip("-").partition("/")
    if not bar or max(len(numerator), len(denominator)) <= READABLE_DIGITS:
        return text
    decimal = _format_float(as_float(value), min(digits, ALL_DIGITS - 1))
    exactly = math.isfinite(as_float(value)) and Fraction(Decimal(decimal)) == value
    return f"{text} ({'=' if exactly else '≈'} {decimal})"


class NumberFormatter:
    """`format_number` at a fixed number of digits, as renderers call it for every number, and
    which tells how many digits it prints (recent floats come from `_format_float`'s cache)."""

    def __init__(self, digits: int = HUMAN_DIGITS) -> None:
        self.digits = digits

    def __call__(self, value: float | Fraction) -> str:
        return format_number(value, self.digits)


# A step prints the same numbers several times (a weight in the forward pass, in its update,
# in the next sample's table), so recent ones are kept; few enough to keep memory flat.
@functools.lru_cache(maxsize=4096, typed=True)
def _format_float(value: float, digits: int) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(float(value)) if digits >= ALL_DIGITS else f"{value:.{digits}g}"
    if "e" in text and -5 <= int(text.partition("e")[2]) < max(min(digits, 16), 6):
        # People write 10, not 1e1, and 0.0000800926, not 8.00926e-5, for numbers of this size.
        text = format(Decimal(text), "f")
    mantissa, e, exponent = text.partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    if e:
        sign = "-" if exponent.startswith("-") else ""
        return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return "0" if mantissa in ("-0", "0") else mantissa


@contextlib.contextmanager
def _long_integers() -> Iterator[None]:
    """Python refuses to print integers of more than 4,300 digits unless told; an exact run's
    fractions may have more (up to the `exact_digits` limit), and each is printed in full."""
    if not hasattr(sys, "set_int_max_str_digits"):  # Pythons before the limit have none
        yield
        return
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)


def as_float(value: float | Fraction) -> float:
    """`value` as a float64; an exact fraction beyond its range is ±inf, as float arithmetic
    would have made it, rather than an OverflowError."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def machine_number(value: float | Fraction, digits: int | None = None) -> tuple[Any, str | None]:
    """A number for JSON and CSV: its float (see `plain_number`), and for an exact value the
    fraction as text ('7/5'), to be written beside it. A fraction past float64's range has
    no float (null, an empty cell): its text alone holds it."""
    if isinstance(value, Fraction):
        return plain_number(as_float(value), digits), format_number(value)
    return plain_number(value, digits), None


def rounded_to(value: float, digits: int) -> float:
    """A finite float rounded to `digits` significant digits; a value that would round past
    the largest float64 (1.5e308 to one digit) stays as it is, since a machine format has no
    number beyond it."""
    rounded = float(f"{value:.{digits}g}")
    return rounded if math.isfinite(rounded) else value


def plain_number(value: float, digits: int | None = None) -> float | int | None:
    """`value` for JSON and CSV: whole numbers as ints, non-finite as None, and otherwise the
    float itself, which Python writes in the shortest form that reads back as the same float64
    (1.4, not 1.4000000000000001, unless that is the value). `digits` rounds it first."""
    if not math.isfinite(value):
        return None
    rounded = value if digits is None else rounded_to(value, digits)
    if rounded.is_integer() and abs(rounded) < 2**53:
        return int(rounded)
    return rounded
