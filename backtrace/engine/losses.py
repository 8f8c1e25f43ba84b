"""Losses: a per-sample value and the output delta, with the formulas the trace prints.

For every loss but `article`, the output delta is the true derivative dL/dh of the loss with
respect to the output units' weighted sums. `article` reproduces the article instead: its error
y - ŷ is used as the delta as it stands (see docs/article.md for why that climbs the error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from backtrace.engine.activations import Activation

Array = np.ndarray
# How the output delta is formed, so renderers can show the right arithmetic:
#   article: δ = y - ŷ, used as it stands;
#   direct:  δ = ŷ - y, the simplified dL/dh of a loss paired with its natural output activation;
#   chain:   δ = dL/dŷ · f'(h) (or the softmax Jacobian product).
DeltaRule = Literal["article", "direct", "chain"]


@dataclass(frozen=True)
class Loss:
    name: str
    formula: str  # L as the trace prints it
    gradient_formula: str  # dL/dŷ_k, symbolically
    gradient_template: str  # dL/dŷ_k with {y_hat}, {y} and {outputs} to substitute
    rule: DeltaRule
    value: Callable[[Array, Array, Array], Array]  # (h, z, y) -> per-sample loss, shape (samples,)
    gradient: Callable[[Array, Array], Array]  # (z, y) -> dL/dz, shape (samples, outputs)
    caveat: str | None = None

    def output_delta(self, h: Array, z: Array, y: Array, activation: Activation) -> Array:
        """δ for the output units, by this loss's rule."""
        if self.rule == "article":
            return y - z
        if self.rule == "direct":
            return z - y
        return activation.backward(h, z, self.gradient(z, y))


def _softplus(h: Array) -> Array:
    """log(1 + e^h) without overflow."""
    return np.logaddexp(0.0, h)


def _log_softmax(h: Array) -> Array:
    shifted = h - np.max(h, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


ARTICLE_CAVEAT = (
    "The article's error y - ŷ is used as the output delta as it stands. The derivative of the "
    "squared error is ŷ - y, the opposite sign, so each update W := W - α·Z·δ moves the weights "
    "uphill and the error grows; use loss: squared_error for true gradient descent."
)

LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "article",
            "error = Σ (y - ŷ)",
            "y - ŷ",
            "{y} - {y_hat}",
            "article",
            lambda h, z, y: np.sum(y - z, axis=-1),
            lambda z, y: y - z,
            caveat=ARTICLE_CAVEAT,
        ),
        Loss(
            "squared_error",
            "L = ½·Σ (ŷ - y)²",
            "ŷ - y",
            "({y_hat} - {y})",
            "chain",
            lambda h, z, y: 0.5 * np.sum((z - y) ** 2, axis=-1),
            lambda z, y: z - y,
        ),
        Loss(
            "mean_squared_error",
            "L = (1/K)·Σ (ŷ - y)², K output units",
            "(2/K)·(ŷ - y)",
            "(2/{outputs})·({y_hat} - {y})",
            "chain",
            lambda h, z, y: np.mean((z - y) ** 2, axis=-1),
            lambda z, y: 2.0 * (z - y) / z.shape[-1],
        ),
        Loss(
            "binary_cross_entropy",
            "L = -Σ [y·ln ŷ + (1 - y)·ln(1 - ŷ)]",
            "(ŷ - y)/(ŷ·(1 - ŷ))",
            "({y_hat} - {y})/({y_hat}·(1 - {y_hat}))",
            "direct",
            # From h rather than ŷ: ln σ(h) = -softplus(-h) stays finite when σ(h) rounds to 1.
            lambda h, z, y: np.sum(_softplus(h) - y * h, axis=-1),
            lambda z, y: (z - y) / (z * (1.0 - z)),
        ),
        Loss(
            "softmax_cross_entropy",
            "L = -Σ y·ln ŷ",
            "-y/ŷ",
            "-{y}/{y_hat}",
            "direct",
            lambda h, z, y: -np.sum(y * _log_softmax(h), axis=-1),
            lambda z, y: -y / z,
        ),
    )
}
