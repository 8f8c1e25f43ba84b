"""The worked arithmetic as a tree: what every printed line of arithmetic is made of.

A line such as `W10·X0 + W11·X1 = 1·1 + 1·0 = 1` is a `Chain` of three parts: a sum of
products of symbols, the same sum of products of numbers, and a number. Each `Number`
carries its `Address` (what quantity it is, of which unit or weight, at which sample or
step), so that a renderer can typeset it, a quiz can blank it and a diff can point at it.
Printers (`printing`, `latex`) turn a tree into a string; `evaluation` computes it.

Trees are immutable and compare by value. Only a setting's full digits are formatted here
(`setting`); every other number is formatted by the printers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import field, fields, replace
from typing import Any, Union

from backtrace.frozen import frozen
from backtrace.numbers import ALL_DIGITS, format_number


@frozen
class Address:
    """What a number is: the quantity (h, z, delta, grad, new, weight, loss, a state variable
    such as m ...), the unit or weight it belongs to, and when it was computed."""

    quantity: str
    subject: str | None = None
    epoch: int | None = None
    sample: int | None = None
    step: int | None = None


@frozen
class Number:
    """A value as computed (float or Fraction). `glyph` prints in its place where a textbook
    writes a constant its own way (½), or a setting in full (β1 = 0.999, never rounded)."""

    value: Any
    address: Address | None = field(default=None, compare=False)
    glyph: str | None = None


@frozen
class Symbol:
    """A name: a unit's or weight's own (`W10`, `Z1`), or a quantity's letter with the unit it
    belongs to as a subscript (δ of Z1), a hat (ŷ, m̂) or a prime (f')."""

    name: str
    subscript: str | None = None
    hat: bool = False
    prime: bool = False


@frozen
class Words:
    """Prose inside a formula ('mean over the batch'), printed as it is, or a formula kept
    whole as it is written (`latex` then says how to typeset it)."""

    text: str
    latex: str | None = None


@frozen
class Sum:
    terms: tuple[Node, ...]


@frozen
class Difference:
    left: Node
    right: Node


@frozen
class Product:
    factors: tuple[Node, ...]


@frozen
class Quotient:
    numerator: Node
    denominator: Node


@frozen
class Power:
    base: Node
    exponent: Node


@frozen
class Root:
    """The square root."""

    radicand: Node


@frozen
class Negation:
    operand: Node


@frozen
class Group:
    """Parentheses a textbook writes though the order of operations needs none: (1/K)·Σ."""

    inner: Node


@frozen
class Summation:
    """Σ over the output units, in a formula: Σ (ŷ - y)²."""

    body: Node


@frozen
class Apply:
    """A function applied: sigmoid(0.5), f'(h_Z1), softmax(h)[D1]. `evaluate`, when given,
    computes it for one number (float or Fraction); without it the line is not checked."""

    function: Symbol
    argument: Node
    index: str | None = None
    evaluate: Callable[[Any], Any] | None = field(default=None, compare=False)


@frozen
class Blank:
    """A result left for a student to fill in, numbered as a worksheet numbers its blanks.
    It stands where the number was, keeps that number's address, and has no value."""

    number: int
    address: Address | None = field(default=None, compare=False)


@frozen
class Blanks:
    """A worksheet's blanks: the number of each blanked value, by every address it is printed
    under. `everywhere`: each of those numbers is a blank wherever it is printed (a later
    line that uses a blanked δ shows its box too); otherwise only where it is a line's result
    and in that line's row."""

    numbers: Mapping[Address, int]
    everywhere: bool = True

    def __contains__(self, address: object) -> bool:
        return address in self.numbers

    def __getitem__(self, address: Address) -> int:
        return self.numbers[address]

    def __bool__(self) -> bool:
        return bool(self.numbers)


@frozen
class Chain:
    """a = b = c: parts joined by relations ('=', ':=', '≈'). `breaks` holds the positions of
    relations a printer may start a new line with (`W10·X0 + ...` / `= 1·1 + ...`)."""

    parts: tuple[Node, ...]
    relations: tuple[str, ...]
    breaks: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        assert len(self.relations) == len(self.parts) - 1, "a relation between each two parts"


Node = Union[
    Number, Symbol, Words, Sum, Difference, Product, Quotient, Power, Root, Negation, Group,
    Summation, Apply, Chain, Blank,
]  # fmt: skip

# A table cell or a line of text: plain text with trees in it, e.g. ("Loss: ", chain).
Phrase = tuple[Union[str, Node], ...]
Cell = Union[str, Phrase]


def equation(*parts: Node, relation: str = "=", breaks: frozenset[int] = frozenset()) -> Chain:
    """parts joined by one relation; a part that is itself a chain is spliced in."""
    flat: list[Node] = []
    relations: list[str] = []
    shifted: set[int] = set()
    for part in parts:
        if flat:
            if len(flat) - 1 in breaks:
                shifted.add(len(relations))
            relations.append(relation)
        if isinstance(part, Chain):
            base = len(relations)
            flat += part.parts
            relations += part.relations
            shifted |= {base + index for index in part.breaks}
        else:
            flat.append(part)
    return Chain(tuple(flat), tuple(relations), frozenset(shifted))


def numbers(node: Node) -> Iterator[Number]:
    """Every number in a tree, in printed order."""
    if isinstance(node, Number):
        yield node
        return
    for child in children(node):
        yield from numbers(child)


def children(node: Node) -> tuple[Node, ...]:
    """A node's subtrees, in printed order."""
    found: list[Node] = []
    for value in _subtrees(node).values():
        found += value if isinstance(value, tuple) else [value]
    return tuple(found)


def substituted(node: Node, bindings: dict[Node, Node]) -> Node:
    """The tree with each node found in `bindings` replaced: a formula's symbols by numbers."""
    return rebuilt(node, lambda part: bindings.get(part))


def numbers_mapped(node: Node, function: Callable[[Number], Node]) -> Node:
    """The tree with each number replaced by `function(number)`; unlike `substituted`, which
    matches by value, this sees each number's address."""
    return rebuilt(node, lambda part: function(part) if isinstance(part, Number) else None)


def rebuilt(node: Node, replacement: Callable[[Node], Node | None]) -> Node:
    """The tree with each node for which `replacement` gives a node replaced by it (and not
    looked into further); the rest rebuilt around the replacements."""
    found = replacement(node)
    if found is not None:
        return found
    changes = {
        name: (
            tuple(rebuilt(item, replacement) for item in value)
            if isinstance(value, tuple)
            else rebuilt(value, replacement)
        )
        for name, value in _subtrees(node).items()
    }
    return replace(node, **changes) if changes else node


def _subtrees(node: Node) -> dict[str, Node | tuple[Node, ...]]:
    """The fields of a node that hold trees (one, or a tuple of them), by name."""
    return {
        item.name: value
        for item in fields(node)
        if isinstance(value := getattr(node, item.name), NODE_TYPES)
        or isinstance(value, tuple) and value and isinstance(value[0], NODE_TYPES)
    }


NODE_TYPES = (
    Number, Symbol, Words, Sum, Difference, Product, Quotient, Power, Root, Negation, Group,
    Summation, Apply, Chain, Blank,
)  # fmt: skip


def phrase_nodes(cell: Cell) -> Iterator[Node]:
    """The trees in a cell."""
    if isinstance(cell, str):
        return
    for piece in cell:
        if not isinstance(piece, str):
            yield piece


# Shorthands for declaring formulas, so that a declaration reads like the formula it is.
def plus(*terms: Node) -> Sum:
    return Sum(terms)


def minus(left: Node, right: Node) -> Difference:
    return Difference(left, right)


def times(*factors: Node) -> Product:
    return Product(factors)


def over(numerator: Node, denominator: Node) -> Quotient:
    return Quotient(numerator, denominator)


def squared(base: Node) -> Power:
    """base², written with the superscript (a power of 2 that is a step count prints as ^2)."""
    return Power(base, Number(2, glyph="²"))


def constant(value: Any, glyph: str | None = None) -> Number:
    return Number(value, None, glyph)


def setting(value: Any, name: str) -> Number:
    """A setting (a rate, β, ε, a slope) as the config gives it: printed in full at any
    precision, so that 0.999 never reads as 1 and the arithmetic around it still holds."""
    if isinstance(value, float):
        return Number(value, Address(name), format_number(value, ALL_DIGITS))
    return Number(value, Address(name))


ONE = Number(1)
HALF = Number(0.5, glyph="½")  # as textbooks write the ½ of the squared error
