"""Finding where training first stopped being finite, so the trace can stop there and say so."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from backtrace import records
from backtrace.formulas.numeric import Array, Numbers

# Checks run every step, traced or not: each is one whole-array test before any search.
# Exact numbers are always finite, so with them nothing is ever found.


def first_nonfinite_forward(
    numbers: Numbers,
    layers: Sequence[records.Layer],
    h: list[Array],
    z: list[Array],
    losses: Array,
    epoch: int,
    step: int,
    indices: np.ndarray,
) -> records.Diverged | None:
    """The first h, z or loss that is inf or NaN, sample by sample, layer by layer."""
    if numbers.finite(losses).all() and all(numbers.finite(values).all() for values in h):
        return None
    for row, index in enumerate(indices):
        for layer, (h_layer, z_layer) in enumerate(zip(h, z), start=1):
            for quantity, values in (("h", h_layer), ("z", z_layer)):
                bad = np.flatnonzero(~np.isfinite(values[row]))
                if bad.size:
                    unit = layers[layer].units[bad[0]]
                    value = float(values[row, bad[0]])
                    return diverged(epoch, int(index) + 1, step, "forward", unit, quantity, value)
        if not np.isfinite(losses[row]):
            value = float(losses[row])
            return diverged(epoch, int(index) + 1, step, "loss", "loss", "loss", value)
    raise AssertionError("a non-finite value was seen but not located")


def first_nonfinite_delta(
    numbers: Numbers,
    layers: Sequence[records.Layer],
    deltas: list[Array],
    epoch: int,
    step: int,
    indices: np.ndarray,
) -> records.Diverged | None:
    """The first δ that is inf or NaN, sample by sample, from the output layer back."""
    if all(numbers.finite(delta).all() for delta in deltas):
        return None
    for row, index in enumerate(indices):
        for layer in range(len(deltas), 0, -1):
            bad = np.flatnonzero(~np.isfinite(deltas[layer - 1][row]))
            if bad.size:
                unit = layers[layer].units[bad[0]]
                value = float(deltas[layer - 1][row, bad[0]])
                return diverged(epoch, int(index) + 1, step, "backward", unit, "delta", value)
    raise AssertionError("a non-finite delta was seen but not located")


def first_nonfinite_weight(
    numbers: Numbers, layers: Sequence[records.Layer], weights: list[Array], epoch: int, step: int
) -> records.Diverged | None:
    """The first new weight that is inf or NaN, in name order."""
    if all(numbers.finite(matrix).all() for matrix in weights):
        return None
    for names, matrix in zip(layers[1:], weights):
        bad = np.argwhere(~np.isfinite(matrix))
        if len(bad):
            row, column = bad[0]
            value = float(matrix[row, column])
            return diverged(epoch, None, step, "update", names.weights[row][column], "new", value)
    return None


def diverged(
    epoch: int, sample: int | None, step: int, during: str, name: str, quantity: str, value: float
) -> records.Diverged:
    non_finite = "nan" if value != value else ("inf" if value > 0 else "-inf")
    return records.Diverged(epoch, sample, step, during, name, quantity, value, non_finite)
