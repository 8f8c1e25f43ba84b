"""The portable elementary functions against values worked out to 80 digits.

The truth comes from Python's decimal module, which rounds exp and ln correctly at any
precision; e^x - 1 and tanh are built from its exp with digits to spare. Errors are measured
in units in the last place (ulp) of the true value rounded to float64.
"""

from __future__ import annotations

import decimal
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtrace.formulas.numeric import portable_exp, portable_expm1, portable_log, portable_tanh

CONTEXT = decimal.Context(prec=80, Emax=10**6, Emin=-(10**6))
D = decimal.Decimal


def true_exp(x: float) -> D:
    return CONTEXT.exp(D(x))


def true_log(x: float) -> D:
    return CONTEXT.ln(D(x))


def true_expm1(x: float) -> D:
    if abs(x) < 1e-30:  # e^x - 1 = x + x²/2 + ..., and x²/2 is already far below x's last digit
        return CONTEXT.add(D(x), CONTEXT.multiply(D(x), D(x)) / 2)
    return CONTEXT.subtract(CONTEXT.exp(D(x)), 1)


def true_tanh(x: float) -> D:
    if abs(x) > 40:  # 1 - tanh|x| < 2e-34 there
        return D(1).copy_sign(D(x))
    if abs(x) < 1e-30:
        return D(x)
    e = CONTEXT.exp(CONTEXT.multiply(2, D(x)))
    return CONTEXT.divide(CONTEXT.subtract(e, 1), CONTEXT.add(e, 1))


def ulps(got: float, truth: D) -> float:
    nearest = float(truth)
    if nearest == 0:
        return 0.0 if got == 0 else math.inf
    return float(abs(D(got) - truth) / D(math.ulp(nearest)))


def worst_error(function, truth, xs: list[float]) -> float:
    results = function(np.array(xs, dtype=np.float64))
    return max(ulps(float(got), truth(x)) for got, x in zip(results, xs))


def finite(low: float, high: float):
    return st.lists(
        st.floats(low, high, allow_nan=False, allow_infinity=False), min_size=1, max_size=50
    )


SMALL = st.floats(-1e-3, 1e-3, allow_nan=False, allow_subnormal=True)


@settings(max_examples=60, deadline=None)
@given(finite(-745.0, 709.7) | st.lists(SMALL, min_size=1, max_size=50))
def test_exp_within_one_ulp(xs) -> None:
    assert worst_error(portable_exp, true_exp, xs) < 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=5e-324, max_value=1.7e308), min_size=1, max_size=50))
def test_log_within_one_ulp(xs) -> None:
    assert worst_error(portable_log, true_log, xs) < 1


@settings(max_examples=60, deadline=None)
@given(finite(-80.0, 709.7) | st.lists(SMALL, min_size=1, max_size=50))
def test_expm1_within_one_ulp(xs) -> None:
    assert worst_error(portable_expm1, true_expm1, xs) < 1


@settings(max_examples=60, deadline=None)
@given(finite(-50.0, 50.0) | st.lists(SMALL, min_size=1, max_size=50))
def test_tanh_within_two_ulps(xs) -> None:
    assert worst_error(portable_tanh, true_tanh, xs) < 2


def test_a_dense_sweep_where_networks_live() -> None:
    # The usual arguments of a small network, every 0.08: every case of each function.
    xs = list(np.linspace(-40.0, 40.0, 1001))
    assert worst_error(portable_exp, true_exp, xs) < 1
    assert worst_error(portable_expm1, true_expm1, xs) < 1
    assert worst_error(portable_tanh, true_tanh, xs) < 2
    positive = list(np.geomspace(1e-6, 1e6, 501))
    assert worst_error(portable_log, true_log, positive) < 1


@pytest.mark.parametrize(
    ("function", "x", "expected"),
    [
        (portable_exp, 0.0, 1.0),
        (portable_exp, math.inf, math.inf),
        (portable_exp, -math.inf, 0.0),
        (portable_exp, 710.0, math.inf),
        (portable_exp, -746.0, 0.0),
        (portable_log, 1.0, 0.0),
        (portable_log, 0.0, -math.inf),
        (portable_log, math.inf, math.inf),
        (portable_expm1, -math.inf, -1.0),
        (portable_expm1, math.inf, math.inf),
        (portable_expm1, 1e-300, 1e-300),
        (portable_expm1, -0.0, -0.0),
        (portable_tanh, math.inf, 1.0),
        (portable_tanh, -math.inf, -1.0),
        (portable_tanh, 5e-324, 5e-324),
        (portable_tanh, -0.0, -0.0),
    ],
)
def test_edges(function, x: float, expected: float) -> None:
    got = float(function(np.array([x]))[0])
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)


@pytest.mark.parametrize("function", [portable_exp, portable_log, portable_expm1, portable_tanh])
def test_nan_stays_nan_and_leaves_its_neighbours_alone(function) -> None:
    got = function(np.array([math.nan, 0.5]))
    assert math.isnan(got[0]) and got[1] == function(np.array([0.5]))[0]


def test_log_of_a_negative_number_is_nan() -> None:
    assert math.isnan(float(portable_log(np.array([-1.0]))[0]))
