"""Compiled versions of the float64 arithmetic's hot spots, made with numba when it is installed
(`pip install 'backtrace-nn[fast]'`); the results are the same to the bit.

Four kinds of code are compiled here, and none defines arithmetic of its own:

- The portable e^x, ln x, e^x - 1, tanh x and the logistic sigmoid are `formulas.numeric`'s own
  definitions, compiled from their code objects to run on one number at a time: their calls
  to one another resolve to the compiled copies, and numeric's array helpers (`_where`,
  `_largest`, `_frexp`, ...) to scalar ones here. numba without `fastmath` keeps every IEEE
  operation as written: no reassociation, no fused multiply-add. On a C-ordered array whose
  every element is in the usual range (`_each`), a second copy, compiled for the usual path
  only and inlined whole, runs with no branch and no call in its loop (2^k is built from
  its bits, not by ldexp), so the compiler handles several elements at once.
- The three sums of products each step makes, as loops that add in the order
  `Numbers.weighted_sums`, `Numbers.backpropagated` and `Numbers.mean_gradients` define: the
  first term, then each later term added to the running sum, one at a time. The loop over
  the independent outputs is the inner one, so the compiler may process several outputs at
  once without changing any output's order of additions; two output rows go side by side,
  and each pass adds four terms to a running sum, one after the other.
- Adam's step, `optimizers.adam_rule` compiled for one weight and run over a whole matrix in
  one pass, where numpy takes fourteen calls a matrix.
- The softmax's parts (`activations.softmax_parts`): each row's largest value, the row less
  it, the compiled e^x of that and the row sums, in one call where numpy takes five.

tests/formulas/test_compiled.py checks them against the numpy path, bit for bit. Importing
numba takes about half a second and compiling the kernels the first time tens of seconds
(numba keeps them in its cache after that), so the trainer asks for them only when the cache
is there and the untraced work is long enough to win the loading back (`worth_compiling`),
or when BACKTRACE_COMPILED=1 asks for them anyway.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import threading
import types
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from backtrace.formulas import numeric, optimizers
from backtrace.formulas.numeric import Kernels

# numeric's definitions, compiled from their own code; each may call the ones before it.
DEFINITIONS = ("_within", "_exp_core", "_exp", "_log", "_expm1", "_tanh", "_sigmoid")
# What the kernels save a step, roughly (measured on x86-64 against numpy alone): a fixed part
# for the calls they merge, and parts per value of the elementary functions (units × samples)
# and per product of the sums (weights × samples). They are loaded when the savings would
# pass what loading numba and reading its cache costs, with room to spare.
SAVED_PER_STEP = 40e-6
SAVED_PER_VALUE = 1e-6
SAVED_PER_PRODUCT = 0.03e-6
LOADING = 1.5  # seconds, numba imported and its cache read
WAIT = 1.0  # seconds of untraced training before they are loaded (none with BACKTRACE_COMPILED=1)


def choice() -> str:
    """BACKTRACE_COMPILED: "0" never uses the kernels, "1" always does for untraced work
    (when numba is installed), anything else leaves it to `worth_compiling`."""
    return os.environ.get("BACKTRACE_COMPILED", "")


def installed() -> bool:
    """Whether numba can be imported (without importing it), and is not switched off with
    BACKTRACE_COMPILED=0."""
    return choice() != "0" and importlib.util.find_spec("numba") is not None


def worth_compiling(steps: int, values: int, products: int) -> bool:
    """Whether `steps` untraced steps, each computing `values` activations and `products`
    multiplications in its sums, are enough work to pay for loading the kernels."""
    if steps <= 0 or not installed():
        return False
    if choice() == "1":
        return True
    # Compiling the first time takes tens of seconds in which a run could not notice that its
    # reader has gone, so only BACKTRACE_COMPILED=1 compiles; after that, runs read the cache.
    saved = steps * (SAVED_PER_STEP + SAVED_PER_VALUE * values + SAVED_PER_PRODUCT * products)
    return saved >= LOADING and cached()


def cached() -> bool:
    """Whether numba's cache beside numeric.py seems to hold the kernels already (its index
    files for the elementary functions are there); a cache elsewhere counts as none."""
    folder = Path(numeric.__file__).parent / "__pycache__"
    version = f"py{sys.version_info.major}{sys.version_info.minor}"
    mark = sources_mark()
    return all(
        (
            folder / f"numeric.{name}_{mark}-{getattr(numeric, name).__code__.co_firstlineno}"
            f".{version}.nbi"
        ).exists()
        for name in ("_exp", "_log", "_tanh", "_sigmoid")
    )


@cache
def sources_mark() -> str:
    """A fingerprint of the three files the kernels are made from, in the names they are
    cached under. numba checks a cached function only against the time stamp of the file
    it was written in, but numeric's definitions are compiled with this file's helpers, and
    the array loops here inline numeric's definitions and the optimizers' rules: a change
    to any of them must not find the old machine code."""
    total = 0
    for module in (numeric, optimizers, sys.modules[__name__]):
        total = zlib.crc32(Path(module.__file__).read_bytes(), total)
    return f"{total:08x}"


# numeric's array helpers, for one number at a time.


def _where(condition: bool, when_true: float, when_false: float) -> float:
    return when_true if condition else when_false


def _itself(x: float) -> float:
    return x


def _frexp(x: float) -> tuple[float, int]:
    return math.frexp(x)


def _whole(x: float) -> int:
    return int(x)


def _real(x: float) -> float:
    return float(x)


_WHOLE_SHIFT = 4503599627371519.0  # 2^52 + 1023: k + this holds k + 1023 in its lowest bits


def _power_of_two(k: float) -> float:
    """2^k for a whole float -1022 ≤ k ≤ 1023, built from its bits: k + 2^52 + 1023 holds the
    exponent field k + 1023 in the low bits of its pattern, and shifting that left by 52 drops
    the rest. Only arithmetic and bit moves, which vectorise where a call to ldexp does not.
    (`_float_from_bits` and `_bits_of_float` are numba intrinsics, given to the compiled copy.)"""
    return _float_from_bits(_bits_of_float(k + _WHOLE_SHIFT) << 52)  # noqa: F821


def _scaled(y: float, k: float) -> float:
    """y·2^k as ldexp rounds it, for every y and whole -2044 ≤ k ≤ 2046, in two IEEE
    multiplications: by 2^a, then by 2^b, with b = k clipped to [-1022, 1023] and a = k - b.
    For k within [-1022, 1023], a = 0 and the one rounding is y·2^k's. Above, y·2^a is exact
    or already overflows (and so does y·2^k). Below, y·2^a is exact when it is a normal
    number, and when it is not, y·2^k is below 2^-2044 and both give a zero of y's sign."""
    b = min(max(k, -1022.0), 1023.0)
    return (y * _power_of_two(k - b)) * _power_of_two(b)


def _none_above(x: float) -> float:
    return -np.inf  # as numpy's max of no elements


def _none_below(x: float) -> float:
    return np.inf


SCALAR_HELPERS = {
    "_where": _where,
    "_largest": _itself,
    "_smallest": _itself,
    "_frexp": _frexp,
    "_whole": _whole,
    "_real": _real,
    "_scaled": _scaled,
    "_power_of_two": _power_of_two,
}
# For the array kernels, once they have checked that no element needs a special case: every
# definition takes its usual path, as the numpy path does on such an array.
USUAL_HELPERS = {**SCALAR_HELPERS, "_largest": _none_above, "_smallest": _none_below}


# When an element needs no special case in a definition (nor in the ones it calls): the
# definitions' own tests for their usual path, one element at a time (False for NaN).


def _tanh_usual(x: float) -> bool:
    return abs(x) < numeric._TANH_ONE  # then |2x| < 44, within e^x - 1's usual ±60


def _exp_usual(x: float) -> bool:
    return abs(x) <= numeric._EXP_SAFE  # for the sigmoid too: its e^-|h|


def _log_usual(x: float) -> bool:
    return 0.0 < x < np.inf


USUAL = {"_exp": _exp_usual, "_log": _log_usual, "_tanh": _tanh_usual, "_sigmoid": _exp_usual}


def _each(x: np.ndarray) -> np.ndarray:
    """A definition of numeric's applied to every element of a C-ordered array. When every
    element passes its usual test, each goes through the copy compiled for the usual path
    (`USUAL_HELPERS`), whose loop has no branch and no call, so that the compiler can run it
    on several elements at once; otherwise every element goes through the full one. Either
    way each element gets the value numeric's definition gives it."""
    out = np.empty(x.shape)
    values, into = x.ravel(), out.ravel()
    for i in range(values.size):
        if not _usual(values[i]):  # noqa: F821 - given to each compiled copy
            for j in range(values.size):
                into[j] = _any(values[j])  # noqa: F821
            return out
    for i in range(values.size):
        into[i] = _one_usual(values[i])  # noqa: F821
    return out


# The kernels that call other kernels (`_combined`, `_adam_rule`, given as globals when
# compiled). h[s] = Σ_k z[s, k]·W[:, k], back[s] = Σ_j δ[s, j]·W[j], J'[j] = Σ_s δ[s, j]·Z[s]/n.


def _weighted_sums(layer_input: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    if matrix.shape[0] < layer_input.shape[0]:
        # Fewer units than samples (an output layer): the samples side by side instead,
        # h.T[j] = Σ_k W[j, k]·z.T[k], the same products added in the same order.
        transposed = _combined(matrix, np.ascontiguousarray(layer_input.T))  # noqa: F821
        return np.ascontiguousarray(transposed.T)
    return _combined(layer_input, np.ascontiguousarray(matrix.T))  # noqa: F821


def _backpropagated(deltas: np.ndarray, outgoing: np.ndarray) -> np.ndarray:
    return _combined(deltas, np.ascontiguousarray(outgoing))  # noqa: F821 - a slice, C-ordered


def _mean_gradients(deltas: np.ndarray, layer_input: np.ndarray) -> np.ndarray:
    total = _combined(np.ascontiguousarray(deltas.T), layer_input)  # noqa: F821
    if len(deltas) > 1:
        total /= len(deltas)  # in place: the same division of each sum
    return total


def _adam_matrix(
    start: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray,
    beta1: float, beta2: float, beta1_power: float, beta2_power: float,
    rate: float, epsilon: float,
) -> np.ndarray:
    """optimizers.adam_rule for every weight of a matrix, in one pass: m, v, m̂, v̂ and the
    new weights, one after the other in one block."""
    rows, columns = start.shape
    out = np.empty((5, rows, columns))
    for i in range(rows):
        for j in range(columns):
            (
                out[0, i, j], out[1, i, j], out[2, i, j], out[3, i, j], out[4, i, j]
            ) = _adam_rule(  # noqa: F821
                start[i, j], g[i, j], m[i, j], v[i, j],
                beta1, beta2, beta1_power, beta2_power, rate, epsilon,
            )
    return out


def _softmax_parts(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """activations.softmax_parts of a matrix in one call: each row's largest value (NaN if
    the row holds one, as numpy's maximum.reduce gives; a largest zero as +0), the row less
    it, the e^x of that (the compiled exp, `_exp_each`) and the rows' sums, left to right.
    Every number is numpy's to the bit, but for which NaN a row with several NaNs gets: NaN
    for NaN, as everywhere between the two paths (every NaN prints as nan)."""
    rows, columns = h.shape
    shifted = np.empty((rows, columns))
    for i in range(rows):
        largest = h[i, 0]
        for k in range(1, columns):
            value = h[i, k]
            if value > largest or value != value:  # any NaN makes the row's largest a NaN
                largest = value  # the last NaN met, where numpy may keep another one
        largest = largest + 0.0
        for k in range(columns):
            shifted[i, k] = h[i, k] - largest
    exponentials = _exp_each(shifted)  # noqa: F821 - given as a global when compiled
    return shifted, exponentials, _row_sums(exponentials)  # noqa: F821


def _compiled_layout(x: Any) -> bool:
    """Whether `x` is an array of the layout the array kernels are compiled for beforehand:
    C-ordered, writable, aligned float64. Any other (a read-only or unaligned array, say)
    would make numba compile another copy halfway through a training, so it goes to numpy."""
    if type(x) is not np.ndarray or x.dtype != np.float64:
        return False
    flags = x.flags
    return bool(flags.c_contiguous and flags.writeable and flags.aligned)


COMPILED_HELPERS: dict[str, Any] = {}  # the scalar helpers as compiled, by name (for the tests)


@cache
def kernels() -> Kernels:
    """The compiled kernels, compiled (or read from numba's cache) on first use. numba checks
    its cache of numeric's definitions against numeric.py's time stamp only: after changing a
    scalar helper here, delete backtrace/formulas/__pycache__/*.nbi and *.nbc."""
    import numba
    from llvmlite import ir
    from numba.core import types as numba_types
    from numba.core.extending import intrinsic

    @intrinsic
    def float_from_bits(typing_context: Any, bits: Any) -> Any:
        def generated(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
            return builder.bitcast(arguments[0], ir.DoubleType())

        return numba_types.float64(numba_types.int64), generated

    @intrinsic
    def bits_of_float(typing_context: Any, x: Any) -> Any:
        def generated(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
            return builder.bitcast(arguments[0], ir.IntType(64))

        return numba_types.int64(numba_types.float64), generated

    def compiled(function: Callable[..., Any], inline: str = "never") -> Any:
        # "numpy" error model: x/0 is inf or NaN as in numpy, not a ZeroDivisionError.
        return numba.njit(function, cache=True, error_model="numpy", fastmath=False, inline=inline)

    # The scalar helpers, compiled with their calls to one another resolved to compiled copies.
    own = dict(globals(), _float_from_bits=float_from_bits, _bits_of_float=bits_of_float)
    own["_power_of_two"] = compiled(
        types.FunctionType(_power_of_two.__code__, own, "_power_of_two")
    )
    helpers = {
        helper: compiled(types.FunctionType(helper.__code__, own, helper.__name__))
        for helper in {*SCALAR_HELPERS.values(), *USUAL_HELPERS.values()} - {_power_of_two}
    }
    helpers[_power_of_two] = own["_power_of_two"]
    COMPILED_HELPERS.update({helper.__name__: made for helper, made in helpers.items()})

    def definitions(helper_set: dict[str, Any], suffix: str, inline: str) -> dict[str, Any]:
        """numeric's definitions compiled for one number, with these helpers. Each copy has
        a name of its own (`suffix`): numba's cache tells functions apart by name and code."""
        made = dict(vars(numeric))
        made.update({name: helpers[helper] for name, helper in helper_set.items()})
        for name in DEFINITIONS:
            original = getattr(numeric, name)
            function = types.FunctionType(original.__code__, made, name, original.__defaults__)
            function.__qualname__ = f"{name}{suffix}_{sources_mark()}"
            made[name] = compiled(function, inline)
        return made

    names = definitions(SCALAR_HELPERS, "", "never")
    # Inlined whole into the array loops (LLVM's own inliner leaves e^x - 1 a call), so that
    # the loop over the elements has no call in it.
    usual_names = definitions(USUAL_HELPERS, "_usual", "always")

    def on_arrays(name: str, ufunc: Any) -> Callable[[np.ndarray], np.ndarray]:
        each = types.FunctionType(
            _each.__code__,
            dict(
                own,
                _usual=compiled(types.FunctionType(USUAL[name].__code__, own, "usual")),
                _any=names[name],
                _one_usual=usual_names[name],
            ),
            "_each",
        )
        each.__qualname__ = f"_each{name}_{sources_mark()}"
        kernel = compiled(each)

        def applied(x: Any) -> Any:
            if 0 < getattr(x, "ndim", 0) <= 2 and _compiled_layout(x):
                return kernel(x)
            return ufunc(x)

        applied.kernel = kernel  # type: ignore[attr-defined]
        return applied

    def elementwise(name: str) -> Callable[[np.ndarray], np.ndarray]:
        original = getattr(numeric, name)
        function = types.FunctionType(original.__code__, names, name, original.__defaults__)
        function.__qualname__ = f"{name}_ufunc_{sources_mark()}"  # not the njit copy's name
        made = numba.vectorize(["float64(float64)"], cache=True)(function)  # no error_model here
        return made.ufunc  # numpy's own ufunc object, called without numba's Python wrapper

    @compiled
    def combined(coefficients: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """out[i] = c[i, 0]·rows[0] + c[i, 1]·rows[1] + ..., added left to right: each sum
        starts from its first term and adds the next ones one at a time. The sums of whole
        output rows run side by side, two rows at a time (they share the rows they read),
        so the innermost loop is over independent outputs; it adds four terms to each
        running sum per pass, one after the other, ((s + p_t) + p_t+1) + ..., which is the
        same order as one term a pass, with fewer trips through memory."""
        outputs, terms = coefficients.shape
        width = rows.shape[1]
        out = np.empty((outputs, width))
        first = rows[0]
        for i in range(0, outputs - 1, 2):
            j = i + 1
            one, other = out[i], out[j]
            a, b = coefficients[i, 0], coefficients[j, 0]
            for n in range(width):
                one[n] = first[n] * a
                other[n] = first[n] * b
            t = 1
            while t + 4 <= terms:
                a0, a1 = coefficients[i, t], coefficients[i, t + 1]
                a2, a3 = coefficients[i, t + 2], coefficients[i, t + 3]
                b0, b1 = coefficients[j, t], coefficients[j, t + 1]
                b2, b3 = coefficients[j, t + 2], coefficients[j, t + 3]
                r0, r1, r2, r3 = rows[t], rows[t + 1], rows[t + 2], rows[t + 3]
                for n in range(width):
                    x0, x1, x2, x3 = r0[n], r1[n], r2[n], r3[n]
                    one[n] = (((one[n] + x0 * a0) + x1 * a1) + x2 * a2) + x3 * a3
                    other[n] = (((other[n] + x0 * b0) + x1 * b1) + x2 * b2) + x3 * b3
                t += 4
            while t < terms:
                a0, b0, r0 = coefficients[i, t], coefficients[j, t], rows[t]
                for n in range(width):
                    one[n] = one[n] + r0[n] * a0
                    other[n] = other[n] + r0[n] * b0
                t += 1
        if outputs % 2:  # the last row of an odd count, alone
            i = outputs - 1
            one = out[i]
            a = coefficients[i, 0]
            for n in range(width):
                one[n] = first[n] * a
            t = 1
            while t + 4 <= terms:
                a0, a1 = coefficients[i, t], coefficients[i, t + 1]
                a2, a3 = coefficients[i, t + 2], coefficients[i, t + 3]
                r0, r1, r2, r3 = rows[t], rows[t + 1], rows[t + 2], rows[t + 3]
                for n in range(width):
                    one[n] = (((one[n] + r0[n] * a0) + r1[n] * a1) + r2[n] * a2) + r3[n] * a3
                t += 4
            while t < terms:
                a0, r0 = coefficients[i, t], rows[t]
                for n in range(width):
                    one[n] = one[n] + r0[n] * a0
                t += 1
        return out

    @compiled
    def row_sums(values: np.ndarray) -> np.ndarray:
        """Each row's sum, its entries added left to right."""
        rows, columns = values.shape
        out = np.empty(rows)
        for i in range(rows):
            total = values[i, 0]
            for k in range(1, columns):
                total = total + values[i, k]
            out[i] = total
        return out

    # The kernels that call other kernels are written at module level and given them as
    # globals: numba's cache cannot recognise a function whose closure holds a dispatcher,
    # and compiled them again on every load (seconds of each run that took the kernels).
    exp = on_arrays("_exp", elementwise("_exp"))
    callers = dict(
        own,
        _combined=combined,
        _adam_rule=compiled(optimizers.adam_rule, "always"),
        _exp_each=exp.kernel,  # type: ignore[attr-defined]
        _row_sums=row_sums,
    )

    def calling(function: Callable[..., Any], name: str) -> Any:
        made = types.FunctionType(function.__code__, callers, name)
        made.__qualname__ = f"{name}_{sources_mark()}"  # adam_matrix inlines adam_rule
        return compiled(made)

    weighted_sums = calling(_weighted_sums, "weighted_sums")
    backpropagated = calling(_backpropagated, "backpropagated")
    mean_gradients = calling(_mean_gradients, "mean_gradients")
    adam_matrix = calling(_adam_matrix, "adam_matrix")
    parts_kernel = calling(_softmax_parts, "softmax_parts")

    def softmax_parts(h: Any) -> tuple[Any, Any, Any] | None:
        # A matrix with a column or more; for anything else the caller takes numpy's way.
        if getattr(h, "ndim", 0) == 2 and h.shape[1] and _compiled_layout(h):
            return parts_kernel(h)  # type: ignore[no-any-return]
        return None

    def adam(start: Any, g: Any, m: Any, v: Any, *settings: float) -> tuple[Any, ...]:
        # The layout compiled beforehand, C-ordered float64 matrices; anything else (which
        # would make numba compile another copy mid-training) takes numpy's way.
        for array in (start, g, m, v):
            if not (
                type(array) is np.ndarray and array.dtype == np.float64 and array.ndim == 2
                and array.flags.c_contiguous
            ):  # fmt: skip
                return optimizers.adam_rule(start, g, m, v, *settings)
        out = adam_matrix(start, g, m, v, *settings)  # one block: one array to hand back
        return out[0], out[1], out[2], out[3], out[4]

    made = Kernels(
        adam=adam,
        exp=exp,
        log=on_arrays("_log", elementwise("_log")),
        tanh=on_arrays("_tanh", elementwise("_tanh")),
        sigmoid=on_arrays("_sigmoid", elementwise("_sigmoid")),
        weighted_sums=weighted_sums,
        backpropagated=backpropagated,
        mean_gradients=mean_gradients,
        row_sums=row_sums,
        softmax_parts=softmax_parts,
    )
    # Compile (or read from the cache) every kernel for the array layouts the engine hands
    # them, here rather than halfway through a training: a C-ordered matrix, and a slice of
    # one (a weight matrix without its bias column).
    block = np.ones((2, 3))
    for matrix in (block, block[:, 1:]):
        made.weighted_sums(block[:, : matrix.shape[1]], matrix)
        made.backpropagated(block[:, :2], matrix)
        made.mean_gradients(block, block)
        made.row_sums(matrix)
    for function in (made.exp, made.log, made.tanh, made.sigmoid):
        function(block)
        function(block[0])
    made.adam(block, block, block, block, 0.9, 0.999, 0.9, 0.999, 0.01, 1e-8)
    made.softmax_parts(block)
    return made


_loading: threading.Thread | None = None


def load_in_background() -> None:
    """Start loading the kernels in a thread of their own, so that a training goes on (and
    still notices a reader that has gone away) while numba is imported and its cache read."""
    global _loading
    if _loading is None:
        _loading = threading.Thread(target=kernels_if_they_load, name="kernels", daemon=True)
        _loading.start()


def still_loading() -> bool:
    return _loading is not None and _loading.is_alive()


@cache  # a failure too is remembered: later trainings do not try numba again
def kernels_if_they_load() -> Kernels | None:
    """The compiled kernels, or None if numba fails to import or to compile them (a numba
    release that does not support this numpy, say): they only save time, so the run goes
    on with numpy alone, to the same bits."""
    try:
        return kernels()
    except Exception:  # noqa: BLE001 - any failure of an optional accelerator, see above
        return None

