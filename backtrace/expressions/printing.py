"""Printing a tree as text: the Unicode arithmetic of the tables, text and Markdown formats.

`TextPrinter` decides everything about layout that every notation shares: which operand
needs parentheses (by precedence, each operator grouping from the left, as the tree
evaluates), and where a negative number needs them so that its minus never reads as an
operator: `1·(-4)` and `0.5 - (-4)`, but `-4` alone or first in a sum. Subclasses only say
how each piece looks (`latex.LatexPrinter`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection
from typing import Any

from backtrace.expressions.nodes import (
    Apply,
    Blank,
    Cell,
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

Formatter = Callable[[Any], str]

# How tightly each kind of node binds; a child that binds less tightly than its place
# needs is put in parentheses.
CHAIN, SUM, PRODUCT, NEGATION, POWER, ATOM = range(6)
PRECEDENCE: dict[type, int] = {
    Chain: CHAIN,
    Sum: SUM,
    Difference: SUM,
    Product: PRODUCT,
    Quotient: PRODUCT,
    Negation: NEGATION,
    Power: POWER,
    Root: POWER,
}


def precedence(node: Node) -> int:
    return PRECEDENCE.get(type(node), ATOM)


# The printer's method for each kind of node (numbers take the fast path in `node`).
_METHODS: dict[type, str] = {
    Symbol: "symbol", Words: "words_node", Chain: "chain", Sum: "sum",
    Difference: "difference", Product: "product", Quotient: "quotient", Power: "power",
    Root: "root", Negation: "negation", Group: "group", Summation: "summation", Apply: "apply",
    Blank: "blank",
}  # fmt: skip


class TextPrinter:
    """Trees as the Unicode text the tables print: `W10·X0 + W11·X1 = 1·1 + 1·0 = 1`."""

    times = "·"
    plus = " + "
    minus = " - "
    divide = "/"
    negative = "-"
    line_break = "\n"

    def __init__(self, fmt: Formatter) -> None:
        self.fmt = fmt

    # -- cells: text with trees in it -------------------------------------------------------

    def cell(self, cell: Cell) -> str:
        if isinstance(cell, str):
            return self.words(cell)
        return "".join(
            self.words(piece) if isinstance(piece, str) else self.formula(piece) for piece in cell
        )

    def words(self, text: str) -> str:
        """Plain text of a cell."""
        return text

    def formula(self, node: Node) -> str:
        """A tree inside a cell."""
        return self.node(node)

    # -- nodes --------------------------------------------------------------------------------

    def node(self, node: Node, operand: bool = False) -> str:
        """A tree's text. `operand`: the node stands where a negative number needs
        parentheses (after an operator, as a factor, as a base)."""
        if type(node) is Number:  # most nodes are numbers: no lookup for them
            return self.number(node, operand)
        try:
            return getattr(self, _METHODS[type(node)])(node)
        except KeyError:
            raise TypeError(f"not a node: {node!r}") from None

    def difference(self, node: Difference) -> str:
        return (
            self.child(node.left, SUM, operand=False)
            + self.minus
            + self.child(node.right, SUM + 1, operand=True)
        )

    def negation(self, node: Negation) -> str:
        return self.negative + self.child(node.operand, NEGATION + 1, operand=True)

    def group(self, node: Group) -> str:
        return self.parenthesized(self.node(node.inner))

    def words_node(self, node: Words) -> str:
        return self.prose(node.text)

    def child(self, node: Node, needed: int, operand: bool) -> str:
        """A child in a place that needs precedence `needed`, in parentheses if it binds less."""
        if precedence(node) < needed:
            return self.parenthesized(self.node(node))
        return self.node(node, operand)

    def parenthesized(self, text: str) -> str:
        return f"({text})"

    def number(self, number: Number, operand: bool) -> str:
        text = self.numeral(number)
        return self.parenthesized(text) if operand and text.startswith("-") else text

    def numeral(self, number: Number) -> str:
        if number.glyph is not None:
            return number.glyph
        if isinstance(number.value, int):
            return str(number.value)
        return self.fmt(number.value)

    def blank(self, blank: Blank) -> str:
        """A box to write in, with its number: [#3:____], which no one reads as a value (and
        which has no space, so a line never breaks inside it)."""
        return f"[#{blank.number}:____]"

    def symbol(self, symbol: Symbol) -> str:
        text = unicodedata.normalize("NFC", symbol.name + "\u0302") if symbol.hat else symbol.name
        if symbol.prime:
            text += "'"
        return f"{text}_{symbol.subscript}" if symbol.subscript else text

    def prose(self, text: str) -> str:
        return text

    def chain(self, chain: Chain) -> str:
        text = self.node(chain.parts[0])
        for index, (relation, part) in enumerate(zip(chain.relations, chain.parts[1:])):
            before = self.line_break if index in chain.breaks else " "
            text += f"{before}{self.relation(relation)} {self.node(part)}"
        return text

    def relation(self, relation: str) -> str:
        return relation

    def sum(self, node: Sum) -> str:
        first, *rest = node.terms
        return self.child(first, SUM, operand=False) + "".join(
            self.plus + self.child(term, SUM + 1, operand=True) for term in rest
        )

    def product(self, node: Product) -> str:
        first, *rest = node.factors
        return self.child(first, PRODUCT, operand=True) + "".join(
            self.times + self.child(factor, PRODUCT + 1, operand=True) for factor in rest
        )

    def quotient(self, node: Quotient) -> str:
        return (
            self.child(node.numerator, PRODUCT, operand=True)
            + self.divide
            + self.child(node.denominator, PRODUCT + 1, operand=True)
        )

    def power(self, node: Power) -> str:
        base = self.child(node.base, ATOM, operand=True)
        exponent = node.exponent
        if isinstance(exponent, Number) and exponent.glyph == "²":
            return base + "²"
        return f"{base}^{self.child(exponent, ATOM, operand=True)}"

    def root(self, node: Root) -> str:
        return "√" + self.child(node.radicand, ATOM, operand=True)

    def summation(self, node: Summation) -> str:
        return "Σ " + self.child(node.body, PRODUCT, operand=True)

    def apply(self, node: Apply) -> str:
        text = f"{self.symbol(node.function)}({self.node(node.argument)})"
        return f"{text}[{node.index}]" if node.index else text


class MarkedPrinter(TextPrinter):
    """The text printer with some numbers marked, ⟨-4⟩, by address: the operand a grade or a
    diff points at. The same number elsewhere in the line (another address) stays plain."""

    def __init__(self, fmt: Formatter, marked: Collection[Any]) -> None:
        super().__init__(fmt)
        self.marked = frozenset(marked)

    def numeral(self, number: Number) -> str:
        text = super().numeral(number)
        return f"⟨{text}⟩" if number.address is not None and number.address in self.marked else text
