"""The worked arithmetic, as strings, shared by every human-readable renderer.

Each function takes a record and a number formatter and returns the text a textbook would
print, e.g. `W10·X0 + W11·X1 + W12·X2 = 1·1 + 1·0 + 1·0 = 1`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from backtrace import records
from backtrace.formulas import ACTIVATIONS, LOSSES
from backtrace.formulas.activations import Bound
from backtrace.formulas.numeric import FLOAT64
from backtrace.numbers import ALL_DIGITS, HUMAN_DIGITS, NumberFormatter

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
    fmt = telling_apart(first, fmt)
    if first.computed is None:
        computed = "the tool computes no such value"
    else:
        computed = f"computed {fmt(first.computed)}"
    text = f"{first.source} prints {fmt(first.printed)} for {names}; {computed}."
    return f"{text} {first.note}" if first.note else text


def telling_apart(reference: records.Reference, fmt: Formatter) -> Formatter:
    """`fmt`, or one with just enough more digits to show how a disagreeing reference's
    printed and computed values differ: 0.291027924 against 0.291027774, where six digits
    would print 0.291028 for both."""
    printed, computed = reference.printed, reference.computed
    if computed is None or fmt(printed) != fmt(computed):
        return fmt
    for digits in range(digits_of(fmt) + 1, ALL_DIGITS + 1):
        finer = NumberFormatter(digits)
        if finer(printed) != finer(computed):
            return finer
    return fmt


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


# -- "=" only where the printed numbers give the printed result -------------------------------
#
# Rounded to a few digits, the numbers of a line need not give its rounded result: with
# 21.21797 and 19.35077 shown as 21.218 and 19.3508, "21.218 + 19.3508 + 2.4672 = 43.0359"
# sums to 43.036 by hand. Such a line is written with "≈" before its result, so that every
# "=" a reader checks holds: its numbers, evaluated in the usual order (· and / before + and
# -, each left to right), give a value that rounds to the printed result (an exact tie, as
# 33.53805 to 33.5381, counts as rounding either way). At --precision 17 every "=" holds
# exactly, by construction, and so does every "=" of an exact run: neither is checked.

_RESULT = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?(?= \([^-\d(]|$)")
# A number, or a negative one in the parentheses an operand gets: "(-4)" reads as one number,
# so that a sum's shape does not depend on the signs of its terms.
_NUMBER = re.compile(
    r"(\(-[0-9]+(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?\)|[0-9]+(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?)"
)
_CALL = re.compile(r"(\w+)\((-?\d+(?:\.\d+)?(?:e-?\d+)?)\)")
_NUMERIC = re.compile(r"[0-9.e+\-·/()²½√ ]+")


def checks_approximations(fmt: Formatter, exact: bool) -> bool:
    """Whether lines printed with `fmt` need `approximations_marked` at all."""
    return not exact and digits_of(fmt) < ALL_DIGITS


def approximations_marked(text: str, fmt: Formatter) -> str:
    """`text` with "≈" for the "=" before its result when the numbers printed before it do not
    give that result (see above). Anything else comes back unchanged. Only for floats printed
    with fewer than every digit (`checks_approximations`)."""
    if "= " not in text:
        return text
    # A chain's result follows its last "=", which may start a line of its own.
    last = max(text.rfind(" = "), text.rfind("\n= "))
    if last < 0:
        return text
    result = _RESULT.match(text, last + 3)
    if result is None:
        return text
    before = max(text.rfind(" = ", 0, last), text.rfind("\n= ", 0, last))
    expression = text[before + 3 if before >= 0 else 0 : last].rpartition(": ")[2]
    shown, printed = _value_of(expression), float(result.group())
    if shown is None or not math.isfinite(shown) or shown == printed:
        return text
    if fmt(shown) == result.group():
        return text
    # Within half a unit of the last printed digit, counting a tie (to float64's rounding
    # error) as a rounding the reader may make: 33.538049999... for 33.53805 gives 33.5381.
    unit = 10.0 ** (math.floor(math.log10(abs(printed))) - digits_of(fmt) + 1) if printed else 0.0
    if abs(shown - printed) <= unit / 2 * (1 + 1e-9):
        return text
    return f"{text[:last]}{text[last : last + 3].replace('=', '≈')}{text[last + 3 :]}"


def digits_of(fmt: Formatter) -> int:
    """The significant digits a formatter prints: a `NumberFormatter`, or a partial of
    `format_number`."""
    digits = getattr(fmt, "digits", None)
    if digits is None:
        digits = (getattr(fmt, "keywords", None) or {}).get("digits", HUMAN_DIGITS)
    return digits


def _value_of(expression: str) -> float | None:
    """The float64 value of an all-number expression or of f(number) as printed; None for
    anything else (symbols, words, functions of no single number, what cannot be computed)."""
    expression = expression.strip()
    try:
        call = _CALL.fullmatch(expression) if expression[-1:] == ")" else None
        if call is not None:
            function = _function(call.group(1))
            return None if function is None else float(function.value(np.float64(call.group(2))))
        if not _NUMERIC.fullmatch(expression):
            return None
        compact = expression.replace(" ", "")
        if "½" in compact:
            compact = compact.replace("½", "0.5")
        # Evaluate through code compiled once per shape (the expression with each number
        # written as n): a trace repeats a few shapes thousands of times.
        pieces = _NUMBER.split(compact)  # operators, number, operators, ..., operators
        numbers = pieces[1::2]
        if not numbers:
            return None
        evaluate = _compiled("n".join(pieces[0::2]))
        if evaluate is None:
            return None
        return evaluate([float(n[1:-1]) if n[0] == "(" else float(n) for n in numbers])
    except (ArithmeticError, ValueError):  # 1/0, √ of a negative: no value to compare
        return None


@functools.cache
def _function(name: str) -> Bound | None:
    """The activation a printed f(h) names, with its parameters' defaults (a parameter that
    matters is written out in the line's own arithmetic); None for a name that is none, or
    a function of a whole layer."""
    function = ACTIVATIONS.get(name)
    return None if function is None or function.output_only else function.bind(FLOAT64)


def _square(value: Any) -> Any:
    return value * value


@functools.lru_cache(maxsize=1024)
def _compiled(shape: str) -> Callable[[list[float]], float] | None:
    """A function of the numbers' values for one shape, or None if the shape is not an
    expression Python can compile."""
    try:
        source = _Generation(shape).source()
        # Built only from the shape's own operators, v[i], square() and sqrt().
        namespace = {"__builtins__": {}, "square": _square, "sqrt": math.sqrt}
        return eval(f"lambda v: {source}", namespace)  # noqa: S307
    except (IndexError, ValueError, SyntaxError, RecursionError, MemoryError):
        return None


class _Generation:
    """Recursive descent over + - · / ² √ and parentheses (each operator left to right),
    writing Python that computes the same in the same order, taking the numbers from `v`."""

    def __init__(self, shape: str) -> None:
        self.shape, self.position, self.numbers = shape, 0, 0

    def source(self) -> str:
        result = self.sum()
        if self.position != len(self.shape):
            raise ValueError("tokens left over")
        return result

    def peek(self) -> str | None:
        return self.shape[self.position] if self.position < len(self.shape) else None

    def take(self) -> str:
        self.position += 1
        return self.shape[self.position - 1]

    def sum(self) -> str:
        return self.left_to_right({"+": "+", "-": "-"}, self.product)

    def product(self) -> str:
        return self.left_to_right({"·": "*", "/": "/"}, self.square)

    def left_to_right(self, operators: dict[str, str], operand: Callable[[], str]) -> str:
        """Operands joined by operators of one precedence; Python groups them from the left,
        as the trace does, so they need no parentheses (a long sum nests none)."""
        result = operand()
        while self.peek() in operators:
            operator = operators[self.take()]
            result = f"{result} {operator} {operand()}"
        return result

    def square(self) -> str:
        result = self.primary()
        while self.peek() == "²":
            self.take()
            result = f"square({result})"
        return result

    def primary(self) -> str:
        token = self.take()
        if token == "(":
            result = self.sum()
            if self.take() != ")":
                raise ValueError("unclosed parenthesis")
            return f"({result})"
        if token == "-":
            return f"(-{self.primary()})"
        if token == "√":
            return f"sqrt({self.primary()})"
        if token == "n":
            self.numbers += 1
            return f"v[{self.numbers - 1}]"
        raise ValueError(f"unexpected {token}")
