"""The number system the engine computes in. float64 numpy arrays today.

Every sum the engine forms goes through here, so that the order of additions, and with it
every last digit, is decided in one place, and so that another number system (exact
fractions) can be put in without touching the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

Array = np.ndarray


class Float64:
    """IEEE double precision in numpy arrays."""

    name = "float64"

    def array(self, values: Iterable[Any]) -> Array:
        return np.array(values, dtype=np.float64)

    def full(self, shape: tuple[int, ...], value: Any) -> Array:
        return np.full(shape, value, dtype=np.float64)

    def ones(self, rows: int) -> Array:
        """A (rows, 1) column of ones: the bias units' value."""
        return np.ones((rows, 1))

    def weighted_sums(self, layer_input: Array, matrix: Array) -> Array:
        """h[s, j] = Σ_k matrix[j, k]·layer_input[s, k]."""
        return layer_input @ matrix.T

    def backpropagated(self, deltas: Array, outgoing: Array) -> Array:
        """Σ_j outgoing[j, k]·deltas[s, j]: what flows back into each sending unit k."""
        return deltas @ outgoing

    def per_sample_gradients(self, deltas: Array, layer_input: Array) -> Array:
        """g[s, j, k] = layer_input[s, k]·deltas[s, j]: each sample's J'(W_jk) = Z_k·δ_j."""
        return deltas[:, :, None] * layer_input[:, None, :]

    def batch_mean(self, per_sample: Array) -> Array:
        """The mean over the batch (axis 0)."""
        return per_sample.sum(axis=0) / len(per_sample)

    def total(self, values: Array) -> Any:
        """The sum of a 1-D array, as a scalar."""
        return values.sum()

    def scalar(self, value: Any) -> float:
        """One number as the records hold it."""
        return float(value)

    def finite(self, values: Array) -> Array:
        return np.isfinite(values)


FLOAT64 = Float64()
