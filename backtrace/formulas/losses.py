"""Losses: one registry entry each, with everything the program knows of it.

An entry carries the name a config uses, the per-sample value, dL/dŷ and the rule that turns
it into the output delta, the formulas and worked arithmetic the trace prints, the output
activation it needs (if any), the targets it accepts, and a caveat for the reader. The schema,
the checks, the engine and the renderers all read `LOSSES`; adding a loss is one entry here
plus its tests.

For every loss but `article`, the output delta is the true derivative dL/dh of the loss with
respect to the output units' weighted sums. `article` reproduces the article instead: its error
y - ŷ is used as the delta as it stands (see docs/article.md for why that climbs the error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from backtrace.formulas.activations import Activation

Array = np.ndarray
# Operand texts, one (ŷ, y) pair per output unit -> (symbolic form, form with numbers).
Worked = Callable[[Sequence[tuple[str, str]]], tuple[str, str]]
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
    caveat: str | None = None  # shown to the reader as a note at the start of the trace
    worked: Worked | None = None  # the loss's arithmetic; None: only its formula is shown
    requires_output: tuple[str, str] | None = None  # (output activation, why it is needed)
    bad_targets: Callable[[Array], str | None] = lambda targets: None  # what is wrong, if any

    def output_delta(
        self,
        h: Array,
        z: Array,
        y: Array,
        activation: Activation,
        loss_gradient: Array,
        derivative: Array | None,
    ) -> Array:
        """δ for the output units, by this loss's rule, from dL/dŷ and f'(h) (when it has one)."""
        if self.rule == "article":
            return y - z
        if self.rule == "direct":
            return z - y
        if derivative is not None:
            return loss_gradient * derivative
        return activation.backward(h, z, loss_gradient)


def _softplus(h: Array) -> Array:
    """log(1 + e^h) without overflow."""
    return np.logaddexp(0.0, h)


def _log_softmax(h: Array) -> Array:
    shifted = h - np.max(h, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _article_worked(pairs: Sequence[tuple[str, str]]) -> tuple[str, str]:
    if len(pairs) == 1:
        y_hat, y = pairs[0]
        return "error = y - ŷ", f"{y} - {y_hat}"
    return "error = Σ (y - ŷ)", " + ".join(f"({y} - {y_hat})" for y_hat, y in pairs)


def _squares(pairs: Sequence[tuple[str, str]]) -> str:
    squares = " + ".join(f"({y_hat} - {y})²" for y_hat, y in pairs)
    return f"({squares})" if len(pairs) > 1 else squares


def _squared_error_worked(pairs: Sequence[tuple[str, str]]) -> tuple[str, str]:
    return "L = ½·Σ (ŷ - y)²", f"½·{_squares(pairs)}"


def _mean_squared_error_worked(pairs: Sequence[tuple[str, str]]) -> tuple[str, str]:
    if len(pairs) == 1:
        return "L = (ŷ - y)²", _squares(pairs)
    scale = f"(1/{len(pairs)})·"
    return f"L = {scale}Σ (ŷ - y)²", f"{scale}{_squares(pairs)}"


def _probabilities(targets: Array) -> str | None:
    if ((targets < 0) | (targets > 1)).any():
        return "needs targets between 0 and 1"
    return None


def _one_hot(targets: Array) -> str | None:
    if (targets < 0).any() or not np.allclose(targets.sum(axis=1), 1.0):
        return "needs each sample's targets to be >= 0 and sum to 1 (one-hot classes)"
    return None


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
            worked=_article_worked,
        ),
        Loss(
            "squared_error",
            "L = ½·Σ (ŷ - y)²",
            "ŷ - y",
            "({y_hat} - {y})",
            "chain",
            lambda h, z, y: 0.5 * np.sum((z - y) ** 2, axis=-1),
            lambda z, y: z - y,
            worked=_squared_error_worked,
        ),
        Loss(
            "mean_squared_error",
            "L = (1/K)·Σ (ŷ - y)², K output units",
            "(2/K)·(ŷ - y)",
            "(2/{outputs})·({y_hat} - {y})",
            "chain",
            lambda h, z, y: np.mean((z - y) ** 2, axis=-1),
            lambda z, y: 2.0 * (z - y) / z.shape[-1],
            worked=_mean_squared_error_worked,
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
            requires_output=(
                "sigmoid",
                "it takes logs of outputs that must lie between 0 and 1",
            ),
            bad_targets=_probabilities,
        ),
        Loss(
            "softmax_cross_entropy",
            "L = -Σ y·ln ŷ",
            "-y/ŷ",
            "-{y}/{y_hat}",
            "direct",
            lambda h, z, y: -np.sum(y * _log_softmax(h), axis=-1),
            lambda z, y: -y / z,
            requires_output=("softmax", "it reads the outputs as class probabilities"),
            bad_targets=_one_hot,
        ),
    )
}
