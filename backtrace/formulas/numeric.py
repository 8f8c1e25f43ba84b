"""The number systems the engine computes in: float64 arrays, or exact fractions.

Every sum the engine forms, and every elementary function it calls, goes through here, for
two reasons:

- The order of additions decides the last digits of a float64 result. Here every sum is
  formed left to right, in the order the trace prints it (the bias term first, then the
  sending units in order; the samples of a batch in order), so a reader who evaluates a
  printed expression left to right gets exactly the printed value, and the trace is the
  same on every machine. numpy's matrix product and `sum` would hand the order to the CPU's
  BLAS kernel or to pairwise summation.
- numpy's exp, log and tanh use different code on different CPUs (with AVX-512, say), so
  they may differ in the last bit from machine to machine. The elementary functions below are
  built from +, -, ·, / and exact scaling by powers of two only, which IEEE 754 defines to
  the bit, after the fdlibm algorithms (accurate to about one unit in the last place).

`Exact` runs the same engine on numpy arrays of Python `Fraction`s, for networks whose
functions have exact rational values (no exp, no log).
"""

from __future__ import annotations

import contextlib
import decimal
import math
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from backtrace.frozen import frozen

Array = np.ndarray
Number = float | Fraction


@frozen
class Kernels:
    """Faster versions of float64's hot spots, with the same bits, that `Float64` uses while
    they are lent to it (`formulas.compiled` makes them)."""

    exp: Callable[[Array], Array]
    log: Callable[[Array], Array]
    tanh: Callable[[Array], Array]
    sigmoid: Callable[[Array], Array]
    weighted_sums: Callable[[Array, Array], Array]
    backpropagated: Callable[[Array, Array], Array]
    mean_gradients: Callable[[Array, Array], Array]
    row_sums: Callable[[Array], Array]  # of a 2-D array
    adam: Callable[..., tuple[Array, ...]]  # optimizers.adam_rule on one weight matrix
    # activations.softmax_parts of a matrix, or None for a layout they were not compiled for
    softmax_parts: Callable[[Array], tuple[Array, Array, Array] | None]


class Numbers:
    """What the engine needs of a number system. Sums run left to right along one axis."""

    name: str
    dtype: Any

    # -- making arrays --------------------------------------------------------------------

    def number(self, value: Any) -> Any:
        """A config value (an int or a float read from a file) in this system."""
        raise NotImplementedError

    def array(self, values: Iterable[Any]) -> Array:
        return np.vectorize(self.number, otypes=[self.dtype])(np.asarray(values, dtype=object))

    def full(self, shape: tuple[int, ...], value: Any) -> Array:
        return np.full(shape, self.number(value), dtype=self.dtype)

    def ones(self, rows: int) -> Array:
        """A (rows, 1) column of ones: the bias units' value."""
        return self.full((rows, 1), 1)

    def scalar(self, value: Any) -> Number:
        """One number as the records hold it: a Python float, or a Fraction."""
        raise NotImplementedError

    # -- sums in a fixed order ------------------------------------------------------------

    def ordered_sum(self, values: Array, axis: int) -> Array:
        """The sum along `axis`, added left to right: ((v0 + v1) + v2) + ..."""
        return np.add.accumulate(values, axis=axis).take(-1, axis=axis)

    def weighted_sums(self, layer_input: Array, matrix: Array) -> Array:
        """h[s, j] = W[j, 0]·z[s, 0] + W[j, 1]·z[s, 1] + ..., left to right."""
        return self.ordered_sum(matrix[None, :, :] * layer_input[:, None, :], axis=2)

    def backpropagated(self, deltas: Array, outgoing: Array) -> Array:
        """Σ_j outgoing[j, k]·δ[s, j] over the receiving units j in order: what flows back
        into each sending unit k."""
        return self.ordered_sum(outgoing[None, :, :] * deltas[:, :, None], axis=1)

    def per_sample_gradients(self, deltas: Array, layer_input: Array) -> Array:
        """g[s, j, k] = z[s, k]·δ[s, j]: each sample's J'(W_jk) = Z_k·δ_j."""
        return layer_input[:, None, :] * deltas[:, :, None]

    def mean_gradients(self, deltas: Array, layer_input: Array) -> Array:
        """The batch's mean J'(W), (Σ_s Z_s·δ_s)/n: each sample's product, added in sample
        order, as `batch_mean` of `per_sample_gradients` adds them."""
        return self.batch_mean(self.per_sample_gradients(deltas, layer_input))

    def batch_mean(self, per_sample: Array) -> Array:
        """(g_1 + g_2 + ... + g_n)/n over the batch (axis 0), the samples added in order."""
        if len(per_sample) == 1:
            return per_sample[0]  # g/1 is g, to the bit
        return self.ordered_sum(per_sample, axis=0) / self.number(len(per_sample))

    def row_sums(self, values: Array) -> Array:
        """The sum over the last axis (the output units), left to right."""
        return self.ordered_sum(values, axis=-1)

    def total(self, values: Array) -> Number:
        """The sum of a 1-D array, left to right, as a scalar."""
        return self.scalar(self.ordered_sum(values, axis=0))

    def rounded(self, values: Array, decimals: int) -> Array:
        """Each value rounded to `decimals` decimals as a person with a calculator rounds the
        number it shows: half away from zero, from the value's decimal digits (0.3925 goes to
        0.393, though the float nearest it is a hair below). Decimal arithmetic, so the same
        on every machine."""
        kept = [calculator_rounded(value, decimals) for value in np.ravel(values).tolist()]
        return np.array(kept, dtype=self.dtype).reshape(np.shape(values))

    # -- the rest ---------------------------------------------------------------------------

    def finite(self, values: Array) -> Array:
        raise NotImplementedError

    def all_finite(self, arrays: Iterable[Array]) -> bool:
        """Whether every number in the arrays is finite; a True is certain, a False may come
        from a sum that overflowed, so the caller looks closer before believing it."""
        return True

    def longest(self, arrays: Iterable[Array]) -> int:
        """About how many decimal digits the longest numerator or denominator in the arrays
        has (exact numbers only: a float64 has no such growth, so 0)."""
        return 0

    def exp(self, x: Array) -> Array:
        raise NotImplementedError

    def log(self, x: Array) -> Array:
        raise NotImplementedError

    def tanh(self, x: Array) -> Array:
        raise NotImplementedError

    def sqrt(self, x: Array) -> Array:
        raise NotImplementedError

    def sigmoid(self, x: Array) -> Array:
        raise NotImplementedError

    def quiet(self) -> contextlib.AbstractContextManager[Any]:
        """Overflow to inf and inf - inf are expected when training diverges; the trainer
        reports them as a `diverged` record, so numpy's warnings would only be noise. (numpy's
        own context manager, not one wrapped in a generator: a third of the cost, which an
        untraced epoch of a few steps pays once and a traced step twice.)"""
        return np.errstate(all="ignore")


class Float64(Numbers):
    """IEEE double precision, the same to the last bit on every machine."""

    name = "float64"
    dtype = np.float64

    def number(self, value: Any) -> float:
        return float(value)

    def array(self, values: Iterable[Any]) -> Array:
        return np.asarray(values, dtype=np.float64)  # float64 data is used as it is, not copied

    def scalar(self, value: Any) -> float:
        return float(value)

    def finite(self, values: Array) -> Array:
        return np.isfinite(values)

    # The two sums of products that every step makes, in one C-level call each and without
    # a running accumulate: the products are laid out with the summed index first, in a
    # C-ordered array, and numpy's add.reduce along that outermost axis adds one whole slice
    # after another in index order, out = ((p0 + p1) + p2) + ..., the same left-to-right sum
    # as `ordered_sum`, bit for bit. (Along the innermost axis numpy sums pairwise instead,
    # which is why a slice of a single number falls back to `ordered_sum`.)
    # tests/formulas/test_ordered_reduce.py pins this against a pure-Python oracle.

    kernels: Kernels | None = None  # compiled versions, while `formulas.compiled` lends them

    def weighted_sums(self, layer_input: Array, matrix: Array) -> Array:
        if self.kernels is not None:
            return self.kernels.weighted_sums(layer_input, matrix)
        samples, units = layer_input.shape[0], matrix.shape[0]
        if samples * units < 2:
            return super().weighted_sums(layer_input, matrix)
        products = np.empty((matrix.shape[1], samples, units))
        np.multiply(layer_input.T[:, :, None], matrix.T[:, None, :], out=products)
        return np.add.reduce(products, axis=0)

    def backpropagated(self, deltas: Array, outgoing: Array) -> Array:
        if self.kernels is not None:
            return self.kernels.backpropagated(deltas, outgoing)
        samples, senders = deltas.shape[0], outgoing.shape[1]
        if samples * senders < 2:
            return super().backpropagated(deltas, outgoing)
        products = np.empty((outgoing.shape[0], samples, senders))
        np.multiply(outgoing[:, None, :], deltas.T[:, :, None], out=products)
        return np.add.reduce(products, axis=0)

    def row_sums(self, values: Array) -> Array:
        if self.kernels is not None and values.ndim == 2 and values.shape[1] > 0:
            return self.kernels.row_sums(values)
        return super().row_sums(values)

    def total(self, values: Array) -> float:
        if self.kernels is not None and values.ndim == 1 and values.size > 0:
            return float(self.kernels.row_sums(values[None, :])[0])
        return super().total(values)

    def mean_gradients(self, deltas: Array, layer_input: Array) -> Array:
        if self.kernels is not None:
            return self.kernels.mean_gradients(deltas, layer_input)
        return super().mean_gradients(deltas, layer_input)

    def batch_mean(self, per_sample: Array) -> Array:
        # The samples' axis is the outermost of a C-ordered array: add.reduce along it adds
        # slice after slice, in order (see above), where a running accumulate also stores
        # every partial sum.
        if len(per_sample) > 1 and per_sample.flags.c_contiguous and per_sample[0].size > 1:
            return np.add.reduce(per_sample, axis=0) / float(len(per_sample))
        return super().batch_mean(per_sample)

    def all_finite(self, arrays: Iterable[Array]) -> bool:
        # One sum of every number: inf or NaN anywhere makes it inf or NaN (inf - inf is NaN).
        listed = list(arrays)
        return not listed or math.isfinite(np.add.reduce(np.concatenate(listed, axis=None)))

    def exp(self, x: Array) -> Array:
        if self.kernels is not None:
            return self.kernels.exp(x)
        return portable_exp(x)

    def log(self, x: Array) -> Array:
        if self.kernels is not None:
            return self.kernels.log(x)
        return portable_log(x)

    def tanh(self, x: Array) -> Array:
        if self.kernels is not None:
            return self.kernels.tanh(x)
        return portable_tanh(x)

    def sigmoid(self, x: Array) -> Array:
        if self.kernels is not None:
            return self.kernels.sigmoid(x)
        return portable_sigmoid(x)

    def sqrt(self, x: Array) -> Array:
        return np.sqrt(x)  # correctly rounded by IEEE 754 everywhere


class Exact(Numbers):
    """Rational numbers, as numpy arrays of `Fraction`s. Config values are read as the
    decimals they print as (0.1 is 1/10, not the float nearest to it)."""

    name = "exact"
    dtype = object

    def number(self, value: Any) -> Fraction:
        if isinstance(value, Fraction):
            return value
        if isinstance(value, (int, np.integer)):
            return Fraction(int(value))
        # A float read from a file prints as the shortest decimal that reads back as it,
        # which is what was written whenever that had 15 significant digits or fewer.
        return Fraction(repr(float(value)))

    def scalar(self, value: Any) -> Fraction:
        return self.number(value)

    def finite(self, values: Array) -> Array:
        return np.ones(np.shape(values), dtype=bool)

    def longest(self, arrays: Iterable[Array]) -> int:
        bits = max(
            (
                max(abs(value.numerator).bit_length(), value.denominator.bit_length())
                for array in arrays
                for value in np.ravel(array)
            ),
            default=0,
        )
        return math.ceil(bits * math.log10(2))

    def _no(self, function: str) -> Any:
        raise ArithmeticError(f"{function} has no exact rational value")

    def exp(self, x: Array) -> Array:
        return self._no("exp")

    def log(self, x: Array) -> Array:
        return self._no("log")

    def tanh(self, x: Array) -> Array:
        return self._no("tanh")

    def sqrt(self, x: Array) -> Array:
        return self._no("sqrt")

    def sigmoid(self, x: Array) -> Array:
        return self._no("sigmoid")


FLOAT64 = Float64()
EXACT = Exact()


# -- portable elementary functions ----------------------------------------------------------
# After fdlibm (Sun Microsystems, freely distributable): e_exp.c, e_log.c, s_expm1.c, s_tanh.c. Each
# step is one IEEE operation on whole arrays, so the result is the same on every machine.

_LN2_HI = 6.93147180369123816490e-01  # ln 2, leading bits: k·_LN2_HI is exact for |k| < 2^11
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_INV_LN2 = 1.44269504088896338700e00
_EXP_P = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)
_EXP_OVERFLOW = 7.09782712893383973096e02  # above this, e^x is inf
_EXP_UNDERFLOW = -7.45133219101941108420e02  # below this, e^x is 0
_EXP_SAFE = 708.0  # within ±this, e^x is a normal number and needs no special case
_LOG_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
_SQRT_HALF = 7.07106781186547524401e-01
_TANH_ONE = 22.0  # from here on, tanh |x| is 1 to double precision
_EXPM1_Q = (
    -3.33333333333331316428e-02,
    1.58730158725481460165e-03,
    -7.93650757867487942473e-05,
    4.00821782732936239552e-06,
    -2.01099218183624371326e-07,
)


_DECIMALS = decimal.Context(prec=40)


def calculator_rounded(value: Any, decimals: int) -> Any:
    """`value` to `decimals` decimals, half away from zero: a fraction exactly, a float from
    the 15 significant digits a calculator would show of it. Floats beyond 15 digits before
    the point, and inf and NaN, stay as they are."""
    if isinstance(value, Fraction):
        scaled = abs(value) * 10**decimals
        whole = math.floor(scaled + Fraction(1, 2))
        return Fraction(whole if value >= 0 else -whole, 10**decimals)
    if not math.isfinite(value) or abs(value) >= 1e15:
        return value
    shown = decimal.Decimal(format(value, ".15g"))
    step = decimal.Decimal(1).scaleb(-decimals)
    return float(shown.quantize(step, rounding=decimal.ROUND_HALF_UP, context=_DECIMALS))


def portable_exp(x: Any) -> Array:
    """e^x: x = k·ln 2 + r with |r| ≤ ½ ln 2, e^r from a rational approximation, times 2^k."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return _exp(x)


def portable_log(x: Any) -> Array:
    """ln x: x = 2^k·(1 + f) with √½ ≤ 1 + f < √2, then ln(1 + f) from s = f/(2 + f)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return _log(x)


def portable_expm1(x: Any) -> Array:
    """e^x - 1 without losing the digits of small x: fdlibm's reduction x = k·ln 2 + r and
    a rational approximation of e^r - 1, then 2^k·(e^r - 1) + 2^k - 1 arranged per case."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return _expm1(x)


def portable_tanh(x: Any) -> Array:
    """tanh x = 1 - 2/(t + 2) with t = e^2|x| - 1 for |x| ≥ 1, and -t/(t + 2) with
    t = e^-2|x| - 1 below, so small arguments keep their digits; then the sign of x."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return _tanh(x)


# -- the definitions ---------------------------------------------------------------------------
# Written once, to run two ways: here on whole float64 arrays, and compiled by numba on one
# number at a time (`formulas.compiled`, which gives the helpers below scalar versions).
# Every case is computed and the right one chosen with `_where`, so both ways do the same
# IEEE operations on every element. The shortcuts that skip the special cases when no
# element needs them (`_largest`, `_smallest`) change no value, only the work.


def _where(condition: Any, when_true: Any, when_false: Any) -> Any:
    return np.where(condition, when_true, when_false)


def _largest(x: Array) -> Any:
    return x.max(initial=-np.inf)  # NaN if any element is NaN, so no shortcut is taken


def _smallest(x: Array) -> Any:
    return x.min(initial=np.inf)


def _frexp(x: Array) -> tuple[Array, Array]:
    return np.frexp(x)


def _whole(x: Array) -> Array:
    """Integral floats as integers, for ldexp."""
    return x.astype(np.int64)


def _power_of_two(k: Array) -> Array:
    """2^k for integral floats -1022 ≤ k ≤ 1023: a normal number, exactly."""
    return np.ldexp(1.0, _whole(k))


def _scaled(y: Any, k: Array) -> Array:
    """y·2^k for integral floats k, as ldexp rounds it: exactly, or rounded once where the
    result is subnormal or overflows."""
    return np.ldexp(y, _whole(k))


def _real(x: Array) -> Array:
    return x.astype(np.float64)


def _within(x: Array, low: float, high: float) -> Array:
    """x clipped to [low, high], NaN as 0: where the special cases are settled afterwards."""
    return _where(np.isnan(x), 0.0, np.minimum(np.maximum(x, low), high))


def _exp_core(x: Array) -> Array:
    """e^x for finite x within the range where the result neither overflows nor vanishes."""
    k = np.rint(x * _INV_LN2)
    hi = x - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    p1, p2, p3, p4, p5 = _EXP_P
    c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)  # e^r, within [√½, √2]
    return _scaled(y, k)


def _exp(x: Array) -> Array:
    if _largest(np.abs(x)) <= _EXP_SAFE:  # the usual case: no inf, NaN or overflow
        return _exp_core(x)
    result = _exp_core(_within(x, _EXP_UNDERFLOW - 1, _EXP_OVERFLOW + 1))
    result = _where(x > _EXP_OVERFLOW, np.inf, result)
    result = _where(x < _EXP_UNDERFLOW, 0.0, result)
    return _where(np.isnan(x), x, result)


def _log(x: Array) -> Array:
    # The usual case, every x positive and finite (False for NaN), needs no special case.
    usual = _smallest(x) > 0 and _largest(x) < np.inf
    usable = x if usual else _where((x > 0) & np.isfinite(x), x, 1.0)
    mantissa, exponent = _frexp(usable)  # usable = mantissa·2^exponent, ½ ≤ mantissa < 1
    low = mantissa < _SQRT_HALF
    mantissa = _where(low, mantissa * 2.0, mantissa)
    k = _real(exponent - low)
    f = mantissa - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    lg1, lg2, lg3, lg4, lg5, lg6, lg7 = _LOG_LG
    t1 = w * (lg2 + w * (lg4 + w * lg6))
    t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    r = t2 + t1
    half_f_squared = 0.5 * f * f
    result = k * _LN2_HI - ((half_f_squared - (s * (half_f_squared + r) + k * _LN2_LO)) - f)
    if usual:
        return result
    result = _where(x == 0, -np.inf, result)
    result = _where(x < 0, np.nan, result)
    result = _where(x == np.inf, np.inf, result)
    return _where(np.isnan(x), x, result)


def _expm1(x: Array) -> Array:
    usual = _largest(np.abs(x)) <= 60.0  # False for NaN: no special case needed
    inside = x if usual else _within(x, -60.0, 709.0)
    reduce = np.abs(inside) > 0.5 * _LN2_HI  # |x| > ½ ln 2
    k = _where(reduce, np.rint(inside * _INV_LN2), 0.0)
    hi = inside - k * _LN2_HI
    lo = k * _LN2_LO
    r = _where(reduce, hi - lo, inside)
    correction = _where(reduce, (hi - r) - lo, 0.0)
    half_r = 0.5 * r
    hrs = r * half_r
    q1, q2, q3, q4, q5 = _EXPM1_Q
    r1 = 1.0 + hrs * (q1 + hrs * (q2 + hrs * (q3 + hrs * (q4 + hrs * q5))))
    t = 3.0 - r1 * half_r
    e = hrs * ((r1 - t) / (6.0 - r * t))
    unreduced = r - (r * e - hrs)
    e = (r * (e - correction) - correction) - hrs
    scale = _power_of_two(k)  # k is whole, -87 ≤ k ≤ 1023
    minus_one = 0.5 * (r - e) - 0.5
    plus_one = _where(r < -0.25, -2.0 * (e - (r + 0.5)), 1.0 + 2.0 * (r - e))
    far = (1.0 - (e - r)) * scale - 1.0
    inverse_scale = _scaled(1.0, -k)  # 2^-1023 is subnormal
    near = _where(
        k < 20,
        ((1.0 - inverse_scale) - (e - r)) * scale,
        ((r - (e + inverse_scale)) + 1.0) * scale,
    )
    result = _where((k <= -2) | (k > 56), far, near)
    result = _where(k == 1, plus_one, result)
    result = _where(k == -1, minus_one, result)
    result = _where(k == 0, unreduced, result)
    result = _where(np.abs(x) < 2.0**-54, x, result)
    if usual:
        return result
    result = _where(x > 709.0, _exp(x) - 1.0, result)
    result = _where(x < -60.0, -1.0, result)
    return _where(np.isnan(x), x, result)


def _tanh(x: Array) -> Array:
    a = np.abs(x)
    usual = _largest(a) < _TANH_ONE  # no NaN, and no |x| where tanh is ±1 to the bit
    above_one = a >= 1.0
    # One e^x - 1 for both cases: each element needs only the argument of its own case.
    doubled = 2.0 * (a if usual else np.minimum(a, _TANH_ONE))
    t = _expm1(_where(above_one, doubled, -2.0 * a))
    # 1 - 2/(t + 2) above 1, -t/(t + 2) below: one division for either case.
    quotient = _where(above_one, 2.0, -t) / (t + 2.0)
    result = _where(above_one, 1.0 - quotient, quotient)
    if not usual:
        result = _where(a >= _TANH_ONE, 1.0, result)  # tanh is 1 to double precision there
    result = _where(a < 2.0**-55, a, result)
    if usual:
        return np.copysign(result, x)
    return _where(np.isnan(x), x, np.copysign(result, x))


def _sigmoid(h: Array) -> Array:
    """1/(1 + e^-h) for h ≥ 0 and e^h/(1 + e^h) below, so that e^x never overflows."""
    e = _exp(-np.abs(h))
    return _where(h >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def portable_sigmoid(h: Any) -> Array:
    h = np.asarray(h, dtype=np.float64)
    with np.errstate(all="ignore"):
        return _sigmoid(h)
