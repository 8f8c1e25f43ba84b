"""Activation functions f(h): one registry entry each, with everything the program knows of it.

An entry carries the name a config uses, f and f' on whole (samples, units) arrays, the
formulas the trace prints, and whether the function may only sit on the output layer. The
config schema, the checks, the engine and the renderers all read `ACTIVATIONS`; adding an
activation is one entry here plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

LEAKY_SLOPE = 0.01  # leaky_relu's slope for h < 0


@dataclass(frozen=True)
class Activation:
    """f and f', vectorised over (samples, units); `derivative` is None for coupled functions."""

    name: str  # as a config writes it
    formula: str  # f(h) as the trace prints it
    derivative_formula: str  # f'(h) as the trace prints it
    value: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array] | None  # f'(h) given h and z = f(h)
    applied: str = "{name}({h})"  # one unit's z = f(h) as the trace writes it, before "= z"
    output_only: str | None = None  # why it is only allowed on the output layer, if it is

    def applied_text(self, h: str, unit: str) -> str:
        """'sigmoid(0.5)', or for a coupled function the unit's share: 'softmax(h)[D1]'."""
        return self.applied.format(name=self.name, h=h, unit=unit)

    def backward(self, h: Array, z: Array, upstream: Array) -> Array:
        """dL/dh from dL/dz: elementwise f'(h)·upstream, or the Jacobian product for softmax."""
        if self.derivative is not None:
            return upstream * self.derivative(h, z)
        # softmax: dz_i/dh_j = z_i (1[i=j] - z_j), so dL/dh = z * (g - <g, z>)
        return z * (upstream - np.sum(upstream * z, axis=-1, keepdims=True))


def _sigmoid(h: Array) -> Array:
    # Split by sign so that exp never overflows.
    out = np.empty_like(h, dtype=np.float64)
    positive = h >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-h[positive]))
    exp_h = np.exp(h[~positive])
    out[~positive] = exp_h / (1.0 + exp_h)
    return out


def _softmax(h: Array) -> Array:
    shifted = np.exp(h - np.max(h, axis=-1, keepdims=True))
    return shifted / np.sum(shifted, axis=-1, keepdims=True)


ACTIVATIONS: dict[str, Activation] = {
    activation.name: activation
    for activation in (
        Activation(
            "identity",
            "f(h) = h",
            "f'(h) = 1",
            lambda h: h.astype(np.float64, copy=True),
            lambda h, z: np.ones_like(h),
        ),
        Activation(
            "sigmoid",
            "σ(h) = 1/(1 + e^-h)",
            "σ'(h) = σ(h)·(1 - σ(h))",
            _sigmoid,
            lambda h, z: z * (1.0 - z),
        ),
        Activation(
            "tanh",
            "tanh(h)",
            "tanh'(h) = 1 - tanh(h)²",
            np.tanh,
            lambda h, z: 1.0 - z * z,
        ),
        Activation(
            "relu",
            "relu(h) = max(0, h)",
            "relu'(h) = 1 if h > 0 else 0",
            lambda h: np.maximum(h, 0.0),
            lambda h, z: (h > 0).astype(np.float64),
        ),
        Activation(
            "leaky_relu",
            f"leaky_relu(h) = h if h > 0 else {LEAKY_SLOPE}·h",
            f"leaky_relu'(h) = 1 if h > 0 else {LEAKY_SLOPE}",
            lambda h: np.where(h > 0, h, LEAKY_SLOPE * h),
            lambda h, z: np.where(h > 0, 1.0, LEAKY_SLOPE),
        ),
        Activation(
            "softmax",
            "softmax(h)_i = e^h_i / Σ_j e^h_j",
            "∂z_i/∂h_j = z_i·(1[i=j] - z_j)",
            _softmax,
            None,
            applied="softmax(h)[{unit}]",
            output_only="softmax couples all units of a layer",
        ),
    )
}
