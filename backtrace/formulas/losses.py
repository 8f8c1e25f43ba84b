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
from typing import Literal

import numpy as np

from backtrace.expressions.nodes import (
    HALF,
    ONE,
    Group,
    Negation,
    Node,
    Number,
    Summation,
    Symbol,
    Words,
    constant,
    equation,
    minus,
    over,
    plus,
    squared,
    times,
)
from backtrace.formulas.activations import Bound, softmax_parts
from backtrace.formulas.numeric import Array, Numbers
from backtrace.frozen import frozen

# One (ŷ, y) pair of numbers per output unit -> the loss's arithmetic with those numbers.
Worked = Callable[[Sequence[tuple[Node, Node]]], Node]
# (ŷ, y, K) -> dL/dŷ for one output unit; given symbols it is the formula, given numbers
# the arithmetic.
Gradient = Callable[[Node, Node, Node], Node]

Y_HAT, Y, K = Symbol("y", hat=True), Symbol("y"), Symbol("K")
ERROR, L = Symbol("error"), Symbol("L")
# How the output delta is formed, so renderers can show the right arithmetic:
#   article: δ = y - ŷ, used as it stands;
#   direct:  δ = ŷ - y, the simplified dL/dh of a loss paired with its natural output activation;
#   chain:   δ = dL/dŷ · f'(h) (or the softmax Jacobian product).
DeltaRule = Literal["article", "direct", "chain"]


@frozen
class Loss:
    name: str
    formula: str  # L as the trace's header prints it
    gradient_tree: Gradient  # dL/dŷ_k, declared once: the formula and its arithmetic
    rule: DeltaRule
    # (h, z, y, numbers) -> each sample's loss, shape (samples,)
    value: Callable[[Array, Array, Array, Numbers], Array]
    # (z, y, numbers) -> dL/dŷ, shape (samples, outputs)
    gradient: Callable[[Array, Array, Numbers], Array]
    caveat: str | None = None  # shown to the reader as a note at the start of the trace
    # The loss as the trace works it: its formula for K outputs (error = ..., L = ...) and
    # its arithmetic (None: only the formula's value is shown).
    symbolic: Callable[[int], Node] | None = None  # every loss declares it
    worked: Worked | None = None
    requires_output: tuple[str, str] | None = None  # (output activation, why it is needed)
    bad_targets: Callable[[Array], str | None] = lambda targets: None  # what is wrong, if any
    exact: bool = False  # whether rational outputs give a rational loss and delta
    # The loss whose gradient the output delta should be, when it is not this loss's own
    # (the article's error stands in for the squared error's gradient); `check` uses it.
    checked_against: str | None = None
    check_note: str | None = None  # what a gradient check should expect, and why
    # For classification losses: which samples the outputs predict right, shape (samples,).
    correct: Callable[[Array, Array], Array] | None = None

    def output_delta(
        self,
        h: Array,
        z: Array,
        y: Array,
        activation: Bound,
        loss_gradient: Array | None,
        derivative: Array | None,
    ) -> Array:
        """δ for the output units, by this loss's rule, from dL/dŷ and f'(h) (when it has one);
        `loss_gradient` may be None for the rules that do not take it."""
        if self.rule == "article":
            return y - z
        if self.rule == "direct":
            return z - y
        assert loss_gradient is not None, "the chain rule takes dL/dŷ"
        if derivative is not None:
            return loss_gradient * derivative
        return activation.backward(h, z, loss_gradient)


def _softplus(h: Array, numbers: Numbers) -> Array:
    """ln(1 + e^h) = max(h, 0) + ln(1 + e^-|h|), which never overflows. ln(1 + u) is taken
    as ln(w)·u/(w - 1) with w = 1 + u, so that a tiny u keeps its digits."""
    u = numbers.exp(-np.abs(h))
    w = 1.0 + u
    log1p = np.where(w == 1.0, u, numbers.log(w) * u / np.where(w == 1.0, 1.0, w - 1.0))
    return np.maximum(h, 0.0) + log1p


def _log_softmax(h: Array, numbers: Numbers) -> Array:
    shifted, _, sums = softmax_parts(h, numbers)
    return shifted - numbers.log(sums)[..., None]


def _squared(z: Array, y: Array) -> Array:
    difference = z - y
    return difference * difference


def _article_worked(pairs: Sequence[tuple[Node, Node]]) -> Node:
    if len(pairs) == 1:
        y_hat, y = pairs[0]
        return minus(y, y_hat)
    return plus(*(Group(minus(y, y_hat)) for y_hat, y in pairs))


def _squares(pairs: Sequence[tuple[Node, Node]]) -> Node:
    if len(pairs) == 1:
        return squared(minus(*pairs[0]))
    return plus(*(squared(minus(y_hat, y)) for y_hat, y in pairs))


def _mean_scale(outputs: int) -> Node:
    return Group(over(ONE, Number(outputs, glyph=str(outputs))))


def _mean_squared_error_symbolic(outputs: int) -> Node:
    if outputs == 1:
        return equation(L, squared(minus(Y_HAT, Y)))
    return equation(L, times(_mean_scale(outputs), Summation(squared(minus(Y_HAT, Y)))))


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
            lambda y_hat, y, outputs: minus(y, y_hat),
            "article",
            lambda h, z, y, numbers: numbers.row_sums(y - z),
            lambda z, y, numbers: y - z,
            caveat=ARTICLE_CAVEAT,
            symbolic=lambda outputs: equation(
                ERROR, minus(Y, Y_HAT) if outputs == 1 else Summation(minus(Y, Y_HAT))
            ),
            worked=_article_worked,
            exact=True,
            checked_against="squared_error",
            check_note=(
                "The article's error y - ŷ is used as the output delta, and it is exactly the "
                "negative of dL/dŷ = ŷ - y for the squared error L = ½·Σ (ŷ - y)², the loss it "
                "is compared with here. So every gradient backpropagation gives is -1 times the "
                "true gradient, every ratio below is -1, and the check fails: each update "
                "climbs the error instead of descending it."
            ),
        ),
        Loss(
            "squared_error",
            "L = ½·Σ (ŷ - y)²",
            lambda y_hat, y, outputs: minus(y_hat, y),
            "chain",
            lambda h, z, y, numbers: numbers.number(0.5) * numbers.row_sums(_squared(z, y)),
            lambda z, y, numbers: z - y,
            symbolic=lambda outputs: equation(L, times(HALF, Summation(squared(minus(Y_HAT, Y))))),
            worked=lambda pairs: times(
                HALF, _squares(pairs) if len(pairs) == 1 else Group(_squares(pairs))
            ),
            exact=True,
        ),
        Loss(
            "sum_squared_error",
            "L = Σ (ŷ - y)², without the ½",
            lambda y_hat, y, outputs: times(constant(2), minus(y_hat, y)),
            "chain",
            lambda h, z, y, numbers: numbers.row_sums(_squared(z, y)),
            lambda z, y, numbers: numbers.number(2) * (z - y),
            symbolic=lambda outputs: equation(
                L,
                squared(minus(Y_HAT, Y)) if outputs == 1 else Summation(squared(minus(Y_HAT, Y))),
            ),
            worked=_squares,
            exact=True,
        ),
        Loss(
            "mean_squared_error",
            "L = (1/K)·Σ (ŷ - y)², K output units",
            lambda y_hat, y, outputs: times(Group(over(constant(2), outputs)), minus(y_hat, y)),
            "chain",
            # As printed: (1/K)·Σ (ŷ - y)² and (2/K)·(ŷ - y), the fraction formed first.
            lambda h, z, y, numbers: (
                (numbers.number(1) / numbers.number(z.shape[-1])) * numbers.row_sums(_squared(z, y))
            ),
            lambda z, y, numbers: (numbers.number(2) / numbers.number(z.shape[-1])) * (z - y),
            symbolic=_mean_squared_error_symbolic,
            worked=lambda pairs: (
                _squares(pairs)
                if len(pairs) == 1
                else times(_mean_scale(len(pairs)), Group(_squares(pairs)))
            ),
            exact=True,
        ),
        Loss(
            "binary_cross_entropy",
            "L = -Σ [y·ln ŷ + (1 - y)·ln(1 - ŷ)]",
            lambda y_hat, y, outputs: over(minus(y_hat, y), times(y_hat, minus(ONE, y_hat))),
            "direct",
            # From h rather than ŷ: ln σ(h) = -softplus(-h) stays finite when σ(h) rounds to 1.
            lambda h, z, y, numbers: numbers.row_sums(_softplus(h, numbers) - y * h),
            lambda z, y, numbers: (z - y) / (z * (1.0 - z)),
            symbolic=lambda outputs: equation(
                L,
                Words(
                    "-Σ [y·ln ŷ + (1 - y)·ln(1 - ŷ)]",
                    r"-\sum \left[y \ln \hat{y} + (1 - y) \ln(1 - \hat{y})\right]",
                ),
            ),
            requires_output=(
                "sigmoid",
                "it takes logs of outputs that must lie between 0 and 1",
            ),
            bad_targets=_probabilities,
            # Right when every output is on the target's side of ½.
            correct=lambda z, y: ((z >= 0.5) == (y >= 0.5)).all(axis=-1),
        ),
        Loss(
            "softmax_cross_entropy",
            "L = -Σ y·ln ŷ",
            lambda y_hat, y, outputs: over(Negation(y), y_hat),
            "direct",
            lambda h, z, y, numbers: -numbers.row_sums(y * _log_softmax(h, numbers)),
            lambda z, y, numbers: -y / z,
            symbolic=lambda outputs: equation(L, Words("-Σ y·ln ŷ", r"-\sum y \ln \hat{y}")),
            requires_output=("softmax", "it reads the outputs as class probabilities"),
            bad_targets=_one_hot,
            # Right when the most probable class is the target's class.
            correct=lambda z, y: z.argmax(axis=-1) == y.argmax(axis=-1),
        ),
    )
}
