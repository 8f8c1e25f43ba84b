"""Computing a tree: in float64 or in exact fractions, in the order it prints.

Every operator takes its operands left to right, as a reader working the line by hand
does: `a + b + c` is (a + b) + c, `a·b/c` is (a·b)/c. The engine forms its sums in the same
order, so a tree of the values the engine used gives the engine's result to the last bit.

The "≈" rule lives here too. Rounded to a few digits, a line's numbers need not give its
rounded result: 21.21797 + 19.35077 + 2.46722 printed as 21.218 + 19.3508 + 2.46722 sums to
43.036 by hand, not 43.0359. Such a line gets "≈" before its result, so that every "=" a
reader checks holds: its operands, as printed, give a value that rounds to the printed
result (a tie, such as 33.53805 to 33.5381, counts as rounding either way).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from backtrace.expressions.nodes import (
    Apply,
    Blank,
    Chain,
    Difference,
    Group,
    Negation,
    Node,
    Number,
    Power,
    Product,
    Quotient,
    Root,
    Sum,
    Summation,
    Symbol,
    Words,
)

# The value of each number as the evaluation should see it.
Reading = Callable[[Number], Any]

GLYPHS = {"½": Fraction(1, 2), "²": 2}
POWER_LIMIT = 10_000  # repeated multiplication beyond this is not worth checking a line for


class NotComputable(Exception):
    """The tree holds a symbol, prose, or an operation with no value here (√ of a negative,
    a division by zero, √ in exact arithmetic)."""


def as_computed(number: Number) -> Any:
    """A number as the engine holds it, a float64 or a Fraction."""
    return float(number.value) if isinstance(number.value, int) else number.value


def evaluate(node: Node, reading: Reading = as_computed, exact: bool = False) -> Any:
    """The tree's value, left to right. In exact arithmetic every number becomes a Fraction
    (a float exactly as it is stored); else every number is a float64."""
    if isinstance(node, Chain):
        return evaluate(node.parts[-1], reading, exact)
    return _value(node, reading, exact)


def _value(node: Node, reading: Reading, exact: bool) -> Any:
    if isinstance(node, Number):
        value = reading(node)
        return Fraction(value) if exact else float(value)
    if isinstance(node, Sum):
        total = _value(node.terms[0], reading, exact)
        for term in node.terms[1:]:
            total = total + _value(term, reading, exact)
        return total
    if isinstance(node, Difference):
        return _value(node.left, reading, exact) - _value(node.right, reading, exact)
    if isinstance(node, Product):
        result = _value(node.factors[0], reading, exact)
        for factor in node.factors[1:]:
            result = result * _value(factor, reading, exact)
        return result
    if isinstance(node, Quotient):
        denominator = _value(node.denominator, reading, exact)
        numerator = _value(node.numerator, reading, exact)
        if denominator == 0:
            raise NotComputable("division by zero")
        return numerator / denominator
    if isinstance(node, Power):
        return _power(node, reading, exact)
    if isinstance(node, Root):
        radicand = _value(node.radicand, reading, exact)
        if exact or radicand < 0:
            raise NotComputable("square root")
        return math.sqrt(radicand)
    if isinstance(node, Negation):
        return -_value(node.operand, reading, exact)
    if isinstance(node, Group):
        return _value(node.inner, reading, exact)
    if isinstance(node, Apply) and node.evaluate is not None:
        result = node.evaluate(_value(node.argument, reading, exact))
        return Fraction(result) if exact else float(result)
    if isinstance(node, (Symbol, Words, Summation, Apply, Chain, Blank)):
        raise NotComputable(type(node).__name__)
    raise TypeError(f"not a node: {node!r}")


def _power(node: Power, reading: Reading, exact: bool) -> Any:
    """x^n by n - 1 multiplications, as the optimizers form β^t step by step."""
    base = _value(node.base, reading, exact)
    exponent = _value(node.exponent, reading, exact)
    if exponent != int(exponent) or not 1 <= exponent <= POWER_LIMIT:
        raise NotComputable("power")
    result = base
    for _ in range(int(exponent) - 1):
        result = result * base
    return result


def computable(node: Node, reading: Reading = as_computed) -> Any | None:
    """`evaluate` in float64, or None where the tree has no value."""
    try:
        value = evaluate(node, reading)
    except (NotComputable, ArithmeticError, ValueError):
        return None
    return value


def approximations_marked(chain: Chain, fmt: Callable[[Any], str], digits: int) -> Chain:
    """The chain with "≈" for its last "=" when the numbers of the part before it, as
    `fmt` prints them, do not give the printed result (see the module's docstring)."""
    if len(chain.parts) < 2 or chain.relations[-1] != "=":
        return chain
    result = chain.parts[-1]
    if not isinstance(result, Number) or isinstance(result.value, Fraction):
        return chain
    printed_result = fmt(result.value)
    try:
        printed = float(printed_result)
    except ValueError:
        return chain

    def as_printed(number: Number) -> float:
        if number.glyph is not None:
            return GLYPHS.get(number.glyph, number.value)
        return float(fmt(number.value))

    shown = computable(chain.parts[-2], as_printed)
    if shown is None and computable(chain.parts[-2]) is not None:
        # Rounded, the numbers have no value (0.0016/(1 - 1) for 1 - 0.9999): only ≈ holds.
        return Chain(chain.parts, (*chain.relations[:-1], "≈"), chain.breaks)
    if shown is None or not math.isfinite(shown) or shown == printed:
        return chain
    if fmt(shown) == printed_result:
        return chain
    # Within half a unit of the last printed digit, counting a tie (to float64's rounding
    # error) as a rounding the reader may make: 33.538049999... for 33.53805 gives 33.5381.
    unit = 10.0 ** (math.floor(math.log10(abs(printed))) - digits + 1) if printed else 0.0
    if abs(shown - printed) <= unit / 2 * (1 + 1e-9):
        return chain
    return Chain(chain.parts, (*chain.relations[:-1], "≈"), chain.breaks)
