"""The worked arithmetic of each trace record, as trees: what a textbook writes for it.

Each function takes a record and returns the chain the tables print, e.g. for a forward
record `W10·X0 + W11·X1 + W12·X2 = 1·1 + 1·0 + 1·0 = 1`, with every number addressed to
the quantity it is. The formulas of activations, losses and optimizers come from their
own declarations in `backtrace.formulas`; what is assembled here is the arithmetic that
backpropagation itself shares: weighted sums, deltas, Z·δ and batch means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backtrace import records
from backtrace.expressions.nodes import (
    ONE,
    Address,
    Apply,
    Chain,
    Node,
    Number,
    Quotient,
    Summation,
    Symbol,
    Words,
    equation,
    minus,
    plus,
    times,
)
from backtrace.expressions.latex import math_escaped
from backtrace.formulas import ACTIVATIONS, LOSSES

GRADIENT_OF_W = Apply(Symbol("J", prime=True), Symbol("W"))
# The forward table's column headings: h = Σ w·z and z = f(h).
WEIGHTED_SUM = equation(Symbol("h"), Summation(times(Symbol("w"), Symbol("z"))))
ACTIVATION = equation(Symbol("z"), Apply(Symbol("f"), Symbol("h")))


def gradient_of(weight: str) -> Apply:
    """J'(W10)."""
    return Apply(Symbol("J", prime=True), Symbol(weight))


def delta_of(unit: str) -> Symbol:
    """δ_Z1."""
    return Symbol("δ", unit)


def derivative_at(unit: str) -> Apply:
    """f'(h_Z1)."""
    return Apply(Symbol("f", prime=True), Symbol("h", unit))


def _sums(
    terms: Sequence[records.Term], quantity: str, record: Any, symbol: Any = Symbol
) -> tuple[Node, Node]:
    """The symbols and the numbers of Σ w·z (or Σ w·δ): W10·X0 + W11·X1 and 1·1 + 1·0."""
    where = _when(record)
    symbols = plus(*(times(Symbol(term.weight), symbol(term.unit)) for term in terms))
    values = plus(
        *(
            times(
                Number(term.w, Address("weight", term.weight, **where)),
                Number(term.value, Address(quantity, term.unit, **where)),
            )
            for term in terms
        )
    )
    return symbols, values


def _when(record: Any) -> dict[str, int | None]:
    return {
        "epoch": getattr(record, "epoch", None),
        "sample": getattr(record, "sample", None),
        "step": getattr(record, "step", None),
    }


def _number(record: Any, value: Any, quantity: str, subject: str | None) -> Number:
    return Number(value, Address(quantity, subject, **_when(record)))


def forward_h(record: records.Forward) -> Chain:
    """W10·X0 + W11·X1 + W12·X2 = 1·1 + 1·0 + 1·0 = 1, which may break before its numbers."""
    symbols, values = _sums(record.terms, "z", record)
    return equation(
        symbols, values, _number(record, record.h, "h", record.unit), breaks=frozenset({0})
    )


def forward_z(record: records.Forward, parameters: Mapping[str, float] | None = None) -> Node:
    """z = f(h) with its numbers: sigmoid(0.5) = 0.622459, leaky_relu(-2) = 0.01·(-2) = -0.02."""
    return ACTIVATIONS[record.activation].equation(
        _number(record, record.h, "h", record.unit),
        _number(record, record.z, "z", record.unit),
        record.unit,
        parameters or {},
    )


def loss_line(record: records.Loss) -> Chain:
    """The loss with its numbers, e.g. error = y - ŷ = 0 - 4 = -4."""
    loss = LOSSES[record.name]
    result = _number(record, record.loss, "loss", None)
    if loss.worked is None:
        return equation(loss.symbolic(len(record.outputs)), result)
    pairs = [
        (_number(record, y_hat, "output", unit), _number(record, y, "target", unit))
        for (unit, y_hat), (_, y) in zip(record.outputs, record.targets)
    ]
    return equation(loss.symbolic(len(pairs)), loss.worked(pairs), result)


def delta_line(record: records.Delta, outputs: int = 1) -> Chain:
    """How the unit's delta was formed, symbol by symbol and then number by number.
    `outputs` is the number of output units (the K of the mean squared error)."""
    delta = _number(record, record.delta, "delta", record.unit)
    d = delta_of(record.unit)
    if record.rule == "hidden":
        symbols, values = _sums(record.terms, "delta", record, delta_of)
        f_prime = _number(record, record.f_prime, "f'", record.unit)
        if len(record.terms) == 1:
            symbols, values = symbols.terms[0], values.terms[0]
        return equation(
            d, times(symbols, derivative_at(record.unit)), times(values, f_prime), delta
        )
    y_hat = _number(record, record.y_hat or 0.0, "output", record.unit)
    y = _number(record, record.y or 0.0, "target", record.unit)
    hat, plain = Symbol("y", hat=True), Symbol("y")
    if record.rule == "article":
        return equation(d, minus(plain, hat), minus(y, y_hat), delta)
    if record.rule == "direct":
        return equation(d, minus(hat, plain), minus(y_hat, y), delta)
    if record.f_prime is None:  # softmax output under a loss without the direct shortcut
        h = math_escaped(record.unit)
        chain_rule = Words(
            f"Σ_j ∂L/∂ŷ_j·∂ŷ_j/∂h_{record.unit}",
            rf"\sum_j \frac{{\partial L}}{{\partial \hat{{y}}_j}} \cdot "
            rf"\frac{{\partial \hat{{y}}_j}}{{\partial h_{{{h}}}}}",
        )
        return equation(d, chain_rule, delta)
    gradient = LOSSES[record.loss].gradient_tree
    f_prime = _number(record, record.f_prime, "f'", record.unit)
    if record.rule == "flipped":  # the slip: y - ŷ where the loss's derivative has ŷ - y
        hat, plain, y_hat, y = plain, hat, y, y_hat
    return equation(
        d,
        times(gradient(hat, plain, Symbol("K")), derivative_at(record.unit)),
        times(gradient(y_hat, y, Number(outputs, glyph=str(outputs))), f_prime),
        delta,
    )


def gradient_cell(record: records.Gradient) -> Chain:
    """One sample's J'(W) = Z·δ with its numbers: X0·δ_Z1 = 1·(-4) = -4; for a bias the whole
    layer shares, the sum over its units: 1·δ_h1 + 1·δ_h2 = 1·0.1 + 1·(-0.2) = -0.1."""
    grad = _number(record, record.grad, "grad", record.weight)
    if record.terms:
        where = _when(record)
        symbols = plus(*(times(ONE, delta_of(term.unit)) for term in record.terms))
        values = plus(
            *(
                times(
                    Number(term.w, Address("z", "1", **where)),
                    Number(term.value, Address("delta", term.unit, **where)),
                )
                for term in record.terms
            )
        )
        return equation(symbols, values, grad)
    source = ONE if record.source == "1" else Symbol(record.source)
    return equation(
        times(source, delta_of(record.target)),
        times(
            _number(record, record.z, "z", record.source),
            _number(record, record.delta, "delta", record.target),
        ),
        grad,
    )


def gradient_line(record: records.Gradient) -> Chain:
    """J'(W10) = X0·δ_Z1 = 1·(-4) = -4."""
    return equation(gradient_of(record.weight), gradient_cell(record))


def batch_mean_cell(record: records.Update, gradients: Sequence[records.Gradient]) -> Node:
    """The step's gradient as the mean of its samples' gradients, added in sample order:
    (-4 + 0.5)/2 = -1.75; just the number when the samples' gradients were not shown."""
    grad = _number(record, record.grad, "grad", record.weight)
    if len(gradients) != len(record.samples):
        return grad
    terms = plus(*(_number(g, g.grad, "grad", g.weight) for g in gradients))
    count = len(gradients)
    return equation(Quotient(terms, Number(count, glyph=str(count))), grad)


def one_sample_gradient_title() -> Chain:
    """The heading of the gradient column of a one-sample step: J'(W) = Z·δ."""
    return equation(GRADIENT_OF_W, times(Symbol("Z"), Symbol("δ")))


def batch_gradient_title() -> Chain:
    return equation(GRADIENT_OF_W, Words("mean over the batch"))
