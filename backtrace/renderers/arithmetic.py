"""The worked arithmetic, as strings, shared by every human-readable renderer.

Each function takes a record and a number formatter and returns the text a textbook would
print, e.g. `W10·X0 + W11·X1 + W12·X2 = 1·1 + 1·0 + 1·0 = 1`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from backtrace import records
from backtrace.formulas import ACTIVATIONS, LOSSES

Formatter = Callable[[float], str]


def factor(value: float, fmt: Formatter) -> str:
    """A number as an operand: negatives in parentheses, as in 1·(-4) or 0 - (-4)."""
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


def weighted_sum(terms: Sequence[records.Term], fmt: Formatter) -> tuple[str, str]:
    """('W10·X0 + W11·X1', '1·1 + 1·0') for a forward sum."""
    symbols = " + ".join(f"{term.weight}·{term.unit}" for term in terms)
    numbers = " + ".join(f"{factor(term.w, fmt)}·{factor(term.value, fmt)}" for term in terms)
    return symbols, numbers


def forward_h(record: records.Forward, fmt: Formatter) -> str:
    symbols, numbers = weighted_sum(record.terms, fmt)
    return f"{symbols} = {numbers} = {fmt(record.h)}"


def forward_z(
    record: records.Forward, fmt: Formatter, parameters: dict[str, float] | None = None
) -> str:
    """z = f(h) with its numbers: 'sigmoid(0.5) = 0.622459', 'leaky_relu(-2) = 0.01·(-2) = -0.02'."""
    function = ACTIVATIONS[record.activation]
    applied = function.applied_text(fmt(record.h), record.unit)
    values = {**function.parameters, **(parameters or {})}
    worked = function.worked and function.worked(record.h, values, lambda v: factor(v, fmt))
    return f"{applied} = {worked} = {fmt(record.z)}" if worked else f"{applied} = {fmt(record.z)}"


def loss_line(record: records.Loss, fmt: Formatter) -> str:
    """The loss with its numbers, e.g. `error = y - ŷ = 0 - 4 = -4`."""
    loss = LOSSES[record.name]
    if loss.worked is None:
        return f"{loss.formula} = {fmt(record.loss)}"
    pairs = [
        (factor(y_hat, fmt), factor(y, fmt))
        for (_, y_hat), (_, y) in zip(record.outputs, record.targets)
    ]
    symbolic, numbers = loss.worked(pairs)
    return f"{symbolic} = {numbers} = {fmt(record.loss)}"


def delta_line(record: records.Delta, fmt: Formatter, outputs: int = 1) -> str:
    """How the unit's delta was formed, symbol by symbol and then number by number.

    `outputs` is the number of output units (the K in the mean squared error)."""
    d = f"δ_{record.unit}"
    if record.rule == "hidden":
        derivative = f"f'(h_{record.unit})"
        f_prime = factor(record.f_prime if record.f_prime is not None else float("nan"), fmt)
        symbols = " + ".join(f"{term.weight}·δ_{term.unit}" for term in record.terms)
        numbers = " + ".join(
            f"{factor(term.w, fmt)}·{factor(term.value, fmt)}" for term in record.terms
        )
        if len(record.terms) > 1:
            symbols, numbers = f"({symbols})", f"({numbers})"
        return f"{d} = {symbols}·{derivative} = {numbers}·{f_prime} = {fmt(record.delta)}"
    y_hat, y = factor(record.y_hat or 0.0, fmt), factor(record.y or 0.0, fmt)
    if record.rule == "article":
        return f"{d} = y - ŷ = {y} - {y_hat} = {fmt(record.delta)}"
    if record.rule == "direct":
        return f"{d} = ŷ - y = {y_hat} - {y} = {fmt(record.delta)}"
    if record.f_prime is None:  # softmax output under a loss without the direct shortcut
        return f"{d} = Σ_j ∂L/∂ŷ_j·∂ŷ_j/∂h_{record.unit} = {fmt(record.delta)}"
    loss = LOSSES[record.loss]
    symbolic = loss.gradient_formula
    numbers = loss.gradient_template.format(
        y_hat=factor(record.y_hat or 0.0, fmt), y=factor(record.y or 0.0, fmt), outputs=outputs
    )
    if " " in symbolic and not symbolic.endswith(")"):
        symbolic = f"({symbolic})"
    return f"{d} = {symbolic}·f'(h_{record.unit}) = {numbers}·{factor(record.f_prime, fmt)} = {fmt(record.delta)}"


def gradient_cell(record: records.Gradient, fmt: Formatter) -> str:
    """One sample's J'(W) = Z·δ with its numbers: 'X0·δ_Z1 = 1·(-4) = -4'; for a bias the
    whole layer shares, the sum over its units: '1·δ_h1 + 1·δ_h2 = 1·0.1 + 1·(-0.2) = -0.1'."""
    if record.terms:
        symbols = " + ".join(f"1·δ_{term.unit}" for term in record.terms)
        numbers = " + ".join(
            f"{factor(term.w, fmt)}·{factor(term.value, fmt)}" for term in record.terms
        )
        return f"{symbols} = {numbers} = {fmt(record.grad)}"
    return (
        f"{record.source}·δ_{record.target} = "
        f"{factor(record.z, fmt)}·{factor(record.delta, fmt)} = {fmt(record.grad)}"
    )


def gradient_line(record: records.Gradient, fmt: Formatter) -> str:
    return f"J'({record.weight}) = {gradient_cell(record, fmt)}"


def batch_mean_cell(record: records.Update, gradients: Sequence[float], fmt: Formatter) -> str:
    """The step's gradient as the mean of its samples' gradients, added in sample order:
    '(-4 + 0.5)/2 = -1.75'; just the number when the samples' gradients were not shown."""
    if len(gradients) != len(record.samples):
        return fmt(record.grad)
    terms = " + ".join(fmt(g) if i == 0 else factor(g, fmt) for i, g in enumerate(gradients))
    return f"({terms})/{len(gradients)} = {fmt(record.grad)}"


def reference_note(group: Sequence[records.Reference], fmt: Formatter) -> str:
    """One footnote for references that disagree in the same way: what the text prints, what
    was computed, and the config's explanation."""
    first = group[0]
    names = ", ".join(reference_target(reference) for reference in group)
    if first.computed is None:
        computed = "the tool computes no such value"
    else:
        computed = f"computed {fmt(first.computed)}"
    text = f"{first.source} prints {fmt(first.printed)} for {names}; {computed}."
    return f"{text} {first.note}" if first.note else text


def disagreements(references: Sequence[records.Reference]) -> list[list[records.Reference]]:
    """References that disagree, grouped so that one explanation covers each group."""
    groups: dict[tuple, list[records.Reference]] = {}
    for reference in references:
        if not reference.agrees:
            groups.setdefault((reference.note, reference.printed, reference.computed), []).append(
                reference
            )
    return list(groups.values())


def reference_target(reference: records.Reference) -> str:
    if reference.quantity == "delta":
        return f"δ_{reference.name}"
    if reference.quantity in ("h", "z"):
        return f"{reference.quantity} of {reference.name}"
    if reference.quantity == "grad":
        return f"J'({reference.name})"
    return reference.name or "the loss"


def update_heading(record: records.Update) -> str:
    """'Update, step 1 (sample 1)', or '... (samples 1-4, mean gradient)' for a batch."""
    samples = record.samples
    span = (
        f"sample {samples[0]}"
        if len(samples) == 1
        else f"samples {samples[0]}-{samples[-1]}, mean gradient"
    )
    return f"Update, step {record.step} ({span})"


def weights_heading(record: records.Weights) -> str:
    return "Initial weights" if record.when == "initial" else f"Weights after epoch {record.epoch}"
