"""The compiled kernels (numba, the `fast` extra) give the numpy path's bits, number for number.

Each kernel is checked against the numpy definition it is compiled from or stands in for:
the elementary functions over every kind of float64 (hypothesis draws subnormals, huge
values, infinities and NaN), the sums of products against a left-to-right pure-Python sum,
and whole trainings with the kernels lent against the same trainings without them.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backtrace
from backtrace.config.discovery import bundled_names
from backtrace.engine import trainer
from backtrace.formulas import compiled, numeric
from helpers import left_to_right, order_sensitive

pytest.importorskip("numba", reason="numba is optional (pip install 'backtrace-nn[fast]')")
KERNELS = compiled.kernels()
DEFINITIONS = {
    "exp": numeric.portable_exp,
    "log": numeric.portable_log,
    "tanh": numeric.portable_tanh,
    "sigmoid": numeric.portable_sigmoid,
}
EDGES = np.array(
    [0.0, -0.0, 5e-324, -5e-324, 2.0**-1022, 2.0**-55, 2.0**-54, 0.25, 0.5, 1.0, -1.0, 2.0,
     22.0, -22.0, 60.0, -60.0, 708.0, 709.0, 709.78, 709.79, -745.13, -745.14, 1e308, -1e308,
     np.inf, -np.inf, np.nan, 0.5 * 6.93147180369123816490e-01]
)  # fmt: skip


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", DEFINITIONS)
def test_each_elementary_function_keeps_its_bits_at_the_edges(name: str) -> None:
    x = np.concatenate([EDGES, -EDGES, np.nextafter(EDGES, np.inf), np.nextafter(EDGES, -np.inf)])
    with np.errstate(all="ignore"):
        assert same_bits(getattr(KERNELS, name)(x), DEFINITIONS[name](x))
        grid = x.reshape(4, -1)  # any shape, as the engine's (samples, units) arrays
        assert same_bits(getattr(KERNELS, name)(grid), DEFINITIONS[name](grid))


@pytest.mark.parametrize("name", DEFINITIONS)
@settings(max_examples=300, deadline=None)
@given(
    x=hnp.arrays(
        np.float64, st.integers(1, 40), elements=st.floats(allow_nan=True, allow_infinity=True)
    )
)
def test_each_elementary_function_keeps_its_bits_anywhere(name: str, x: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        assert same_bits(getattr(KERNELS, name)(x), DEFINITIONS[name](x))


def test_the_usual_ranges_keep_their_bits_in_bulk() -> None:
    rng = np.random.default_rng(20)
    for name, (low, high) in {
        "exp": (-40, 40), "log": (1e-9, 1e3), "tanh": (-6, 6), "sigmoid": (-40, 40)
    }.items():  # fmt: skip
        x = rng.uniform(low, high, 200_000)
        assert same_bits(getattr(KERNELS, name)(x), DEFINITIONS[name](x)), name


@pytest.mark.parametrize(
    "samples, senders, units",
    [(1, 1, 1), (1, 3, 1), (1, 1, 4), (4, 3, 1), (2, 9, 3), (10, 5, 8), (32, 65, 32), (3, 129, 17),
     (5, 6, 7), (7, 4, 3), (9, 10, 11), (32, 33, 10)],  # fmt: skip
)
def test_the_sums_of_products_add_left_to_right(samples: int, senders: int, units: int) -> None:
    rng = np.random.default_rng(samples * 10_000 + senders * 100 + units)
    z, w, d = order_sensitive(rng, (samples, senders)), order_sensitive(rng, (units, senders)), order_sensitive(
        rng, (samples, units)
    )
    sums = KERNELS.weighted_sums(z, w)
    back = KERNELS.backpropagated(d, w)
    mean = KERNELS.mean_gradients(d, z)
    for s in range(samples):
        for j in range(units):
            assert sums[s, j] == left_to_right([w[j, k] * z[s, k] for k in range(senders)])
        for k in range(senders):
            assert back[s, k] == left_to_right([w[j, k] * d[s, j] for j in range(units)])
    for j in range(units):
        for k in range(senders):
            total = left_to_right([z[s, k] * d[s, j] for s in range(samples)])
            assert mean[j, k] == (total / samples if samples > 1 else total)
    rows = KERNELS.row_sums(z)
    for s in range(samples):
        assert rows[s] == left_to_right(list(z[s]))
    float64 = numeric.FLOAT64
    assert same_bits(rows, float64.row_sums(z))
    assert same_bits(sums, float64.weighted_sums(z, w))
    assert same_bits(back, float64.backpropagated(d, w))
    assert same_bits(mean, float64.mean_gradients(d, z))


def untraced(spec: backtrace.Spec, epochs: int, lent: bool) -> list[dict]:
    """The epoch summaries and final weights of an untraced run, with or without kernels."""
    original = trainer.Training.compile_for

    def chosen(training: trainer.Training, steps: int) -> None:
        training.kernels = KERNELS if lent and training.numbers is numeric.FLOAT64 else None

    trainer.Training.compile_for = chosen  # type: ignore[method-assign]
    try:
        trace = backtrace.run(spec, epochs=epochs, trace="none")
    finally:
        trainer.Training.compile_for = original  # type: ignore[method-assign]
    kept = [r for r in trace if r.event in ("epoch", "weights", "diverged")]
    return [json.dumps(r.as_dict()) for r in kept]  # every bit, and -0.0 apart from 0.0


@pytest.mark.parametrize("name", bundled_names())
def test_training_with_the_kernels_lent_gives_the_same_run(name: str) -> None:
    spec = backtrace.load(name)
    epochs = min(spec.config.epochs, 40)
    assert untraced(spec, epochs, lent=True) == untraced(spec, epochs, lent=False)


@pytest.mark.parametrize(
    "changes",
    [
        {"layers[0].activation": "tanh", "loss": "binary_cross_entropy"},
        {"optimizer.batch_size": 2},
        {"optimizer.batch_size": "all", "optimizer.learning_rate": 3.0},
        {"optimizer.learning_rate": 1e6},  # diverges: found and located the same way
    ],
)
def test_the_kernels_keep_variants_of_a_network_the_same(changes: dict) -> None:
    spec = backtrace.load("xor-sigmoid", changes)
    assert untraced(spec, 200, lent=True) == untraced(spec, 200, lent=False)


def test_long_untraced_runs_borrow_the_kernels_and_short_ones_do_not(monkeypatch) -> None:
    monkeypatch.delenv("BACKTRACE_COMPILED", raising=False)
    monkeypatch.setattr(compiled, "cached", lambda: True)  # loading costs 1.5 s
    # XOR 2-3-1, one sample a step: 4 activations and 3·13 products a step save about
    # 40 + 4 + 1.2 µs, so 8,000 steps (0.36 s) are not worth loading numba, 40,000 (1.8 s) are.
    assert not compiled.worth_compiling(8_000, 4, 39)
    assert compiled.worth_compiling(40_000, 4, 39)
    # 64-32-10 in batches of 32: 32·42 activations, 3·32·2,410 products, 8.3 ms a step.
    assert compiled.worth_compiling(200, 32 * 42, 3 * 32 * 2410)
    assert not compiled.worth_compiling(0, 10**6, 10**9)
    monkeypatch.setattr(compiled, "cached", lambda: False)  # only an explicit request compiles
    assert not compiled.worth_compiling(10**6, 32 * 42, 3 * 32 * 2410)
    monkeypatch.setenv("BACKTRACE_COMPILED", "1")  # always, for any untraced work
    assert compiled.worth_compiling(1, 1, 1)
    monkeypatch.setenv("BACKTRACE_COMPILED", "0")  # never: numpy alone
    assert not compiled.worth_compiling(10**9, 10**6, 10**12)


def train_untraced_for(training: trainer.Training, seconds: float) -> None:
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        _, batches = training.epoch_batches()
        training.quiet_epoch(1, steps, batches)
        steps += len(batches)


def test_a_long_untraced_training_loads_the_kernels_after_a_second_of_numpy(monkeypatch) -> None:
    monkeypatch.delenv("BACKTRACE_COMPILED", raising=False)
    spec = backtrace.load("xor-sigmoid")
    long, short = trainer.Training(spec), trainer.Training(spec)
    long.compile_for(10**6)
    short.compile_for(10)
    assert long.kernels is None  # not yet: a run stopped in its first second never waits
    train_untraced_for(long, compiled.WAIT / 2)
    assert long.kernels is None
    train_untraced_for(long, compiled.WAIT)
    train_untraced_for(short, compiled.WAIT * 1.5)
    assert long.kernels is KERNELS and short.kernels is None
    monkeypatch.setenv("BACKTRACE_COMPILED", "1")  # at once
    eager = trainer.Training(spec)
    eager.compile_for(1)
    assert eager.kernels is KERNELS
    exact = trainer.Training(backtrace.load("xor"), numeric.EXACT)
    exact.compile_for(10**6)
    assert exact.kernels is None  # fractions never go through float64 kernels


def test_a_numba_that_fails_to_load_leaves_the_run_to_numpy(monkeypatch) -> None:
    def broken() -> compiled.Kernels:
        raise ImportError("numba 0.0 does not support this numpy")

    monkeypatch.setattr(compiled, "kernels", broken)
    compiled.kernels_if_they_load.cache_clear()
    training = trainer.Training(backtrace.load("xor-sigmoid"))
    monkeypatch.setenv("BACKTRACE_COMPILED", "1")
    training.compile_for(10)
    assert training.kernels is None
    fell_back = backtrace.run("xor-sigmoid", epochs=1100, trace="none")
    monkeypatch.setenv("BACKTRACE_COMPILED", "0")
    numpy_alone = backtrace.run("xor-sigmoid", epochs=1100, trace="none")
    assert [r.as_dict() for r in fell_back] == [r.as_dict() for r in numpy_alone]
    compiled.kernels_if_they_load.cache_clear()  # the real kernels again, for later tests


def test_kernels_once_made_are_found_in_the_cache_beside_numeric() -> None:
    assert KERNELS is compiled.kernels()
    assert compiled.cached()  # this checkout's __pycache__ is writable, so numba saved them


def test_powers_of_two_come_from_their_bits_at_every_exponent() -> None:
    power = compiled.COMPILED_HELPERS["_power_of_two"]
    for k in range(-1022, 1024):
        assert power(float(k)) == np.ldexp(1.0, k) == 2.0**k, k


def scaled_each(y: np.ndarray, k: np.ndarray) -> np.ndarray:
    scaled = compiled.COMPILED_HELPERS["_scaled"]
    return np.array([scaled(a, b) for a, b in zip(y.tolist(), k.tolist())])


def test_scaling_by_a_power_of_two_rounds_as_ldexp_does() -> None:
    """y·2^k in two multiplications against np.ldexp, at every k the definitions use and
    beyond (-2044 ≤ k ≤ 2046): exact results, subnormal ones (ties to even included), zeros
    and overflows, for y in e^x's range [√½, √2], 1, the ends of the float64 range, signed
    zeros, infinities and NaN."""
    rng = np.random.default_rng(7)
    ks = np.arange(-2044, 2047, dtype=np.float64)
    specials = np.array(
        [1.0, 0.5, 2.0, np.nextafter(2.0, 0), 1.5, 1 + 2.0**-52, 1 - 2.0**-53, 0.7071067811865476,
         1.4142135623730951, 5e-324, 2.0**-1022, np.nextafter(2.0**-1022, 0), 1.7976931348623157e308,
         0.0, -0.0, np.inf, -np.inf, np.nan, -1.25, -(1 + 2.0**-52)]
    )  # fmt: skip
    for y in [*specials, *rng.uniform(0.70710678, 1.41421357, 6), *(-rng.uniform(0.5, 2, 2))]:
        ys = np.full(ks.shape, y)
        with np.errstate(over="ignore"):
            expected = np.ldexp(ys, ks.astype(np.int64))
        assert same_bits(scaled_each(ys, ks), expected), y
    # Every bit pattern of the mantissa near the subnormal range, where the rounding happens.
    ys = rng.uniform(0.70710678, 1.41421357, 20_000)
    ks = rng.integers(-1080, -1015, ys.size).astype(np.float64)
    assert same_bits(scaled_each(ys, ks), np.ldexp(ys, ks.astype(np.int64)))


usual = {
    "exp": st.floats(-708.0, 708.0),
    "log": st.floats(5e-324, 1.7976931348623157e308),
    "tanh": st.floats(-21.999999999999996, 21.999999999999996),
    "sigmoid": st.floats(-708.0, 708.0),
}


@pytest.mark.parametrize("name", DEFINITIONS)
@settings(max_examples=200, deadline=None)
@given(data=st.data(), rows=st.integers(1, 3))
def test_arrays_that_need_no_special_case_keep_their_bits(name: str, data, rows: int) -> None:
    """Such arrays go through the compiled usual paths, several elements at a time."""
    x = data.draw(
        hnp.arrays(np.float64, (rows, data.draw(st.integers(1, 40))), elements=usual[name])
    )
    with np.errstate(all="ignore"):
        assert same_bits(getattr(KERNELS, name)(x), DEFINITIONS[name](x))
        assert same_bits(getattr(KERNELS, name)(x[0]), DEFINITIONS[name](x[0]))
        assert same_bits(getattr(KERNELS, name)(x.T), DEFINITIONS[name](x.T))  # not C-ordered


@pytest.mark.parametrize("name", DEFINITIONS)
def test_the_usual_paths_hold_up_to_their_ends(name: str) -> None:
    ends = {"exp": 708.0, "log": 1.7976931348623157e308, "tanh": 22.0, "sigmoid": 708.0}[name]
    rng = np.random.default_rng(3)
    with np.errstate(over="ignore"):
        above = np.nextafter(ends, np.inf)
    for end in (ends, np.nextafter(ends, 0), above):
        edge = np.array([end, -end, 5e-324, -5e-324, 0.0, -0.0, 2.0**-55, 1.0, 0.5])
        bulk = rng.uniform(-min(end, 30.0), min(end, 30.0), 1000)
        for x in (edge, np.concatenate([bulk, edge]), np.abs(bulk) + 5e-324):
            with np.errstate(all="ignore"):
                assert same_bits(getattr(KERNELS, name)(x), DEFINITIONS[name](x))
    locked = np.linspace(0.25, 3.0, 12).reshape(3, 4)
    locked.flags.writeable = False
    for x in (np.float64(0.5), np.array(0.5), np.array([[1.0, 2.0]]), np.ones((2, 2, 2)),
              np.empty(0), np.empty((0, 3)), np.empty((3, 0)), locked):  # fmt: skip
        assert same_bits(np.asarray(getattr(KERNELS, name)(x)), DEFINITIONS[name](x))


ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=ANY_FLOAT),
    st.data(),
)
def test_the_adam_kernel_keeps_the_rules_bits(start: np.ndarray, data: st.DataObject) -> None:
    """The compiled Adam step against optimizers.adam_rule on numpy arrays, for any float64
    weights, gradients and state (inf, NaN, subnormals, v < 0), and any settings."""
    from backtrace.formulas.optimizers import adam_rule

    like = hnp.arrays(np.float64, start.shape, elements=ANY_FLOAT)
    g, m, v = data.draw(like), data.draw(like), data.draw(like)
    settings_ = tuple(data.draw(ANY_FLOAT) for _ in range(6))
    with np.errstate(all="ignore"):
        expected = adam_rule(start, g, m, v, *settings_)
        got = KERNELS.adam(start, g, m, v, *settings_)
    for a, b in zip(got, expected, strict=True):
        # NaN where numpy has NaN (which NaN may differ: the compiler may swap the operands
        # of + and ·, and x86 keeps the first one's; every NaN prints as nan), else the bits.
        assert np.array_equal(np.isnan(a), np.isnan(b))
        assert same_bits(np.where(np.isnan(a), 0.0, a), np.where(np.isnan(b), 0.0, b))


def test_the_adam_kernel_leaves_other_layouts_to_numpy() -> None:
    from backtrace.formulas.optimizers import adam_rule

    block = np.arange(1.0, 13.0).reshape(3, 4)
    sliced = block[:, 1:]  # not C-ordered: numpy's way, to the same bits
    settings_ = (0.9, 0.999, 0.9, 0.999, 0.01, 1e-8)
    got = KERNELS.adam(sliced, sliced, sliced, sliced, *settings_)
    expected = adam_rule(sliced, sliced, sliced, sliced, *settings_)
    assert all(same_bits(a, b) for a, b in zip(got, expected, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 12)),
        elements=st.one_of(ANY_FLOAT, st.floats(-60.0, 60.0), st.sampled_from([0.0, -0.0])),
    )
)
def test_the_softmax_parts_kernel_keeps_the_numpy_paths_bits(h: np.ndarray) -> None:
    """Each row's largest value, the row less it, its e^x and the row sums in one compiled
    call, against activations.softmax_parts with numpy alone, for any float64: rows with NaN
    or infinities, both zeros, values far below the largest."""
    from backtrace.formulas import activations

    assert numeric.FLOAT64.kernels is None  # the numpy path, as the trainer leaves it
    with np.errstate(all="ignore"):
        activations._last_parts = None
        expected = activations.softmax_parts(h, numeric.FLOAT64)
        activations._last_parts = None
        got = KERNELS.softmax_parts(h.copy())
    assert got is not None
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(np.isnan(a), np.isnan(b))  # NaN for NaN, whichever NaN
        assert same_bits(np.where(np.isnan(a), 0.0, a), np.where(np.isnan(b), 0.0, b))


def test_the_softmax_parts_kernel_leaves_other_layouts_to_numpy() -> None:
    block = np.arange(1.0, 13.0).reshape(3, 4)
    read_only = block.copy()
    read_only.flags.writeable = False
    for h in (block[:, 1:], block[0], read_only, block.T, np.ones((2, 0))):
        assert KERNELS.softmax_parts(h) is None  # numpy's way: nothing compiled midway
    assert KERNELS.softmax_parts(block) is not None
