"""Printing a tree as HTML: the Unicode arithmetic of the tables, with every number in an
element that says what it is, so that a page can point from an operand to where it came from.

`HtmlPrinter` keeps `TextPrinter`'s layout (parentheses, where a negative number needs them)
and changes only the notation: subscripts as `<sub>`, line breaks as `<br>`, and each number
as `<span data-q="weight" data-s="W10" data-f="3">1</span>`: its quantity, its unit or
weight, and the piece of the page that computed it (short names: an epoch's page holds tens
of thousands of numbers). Every piece of text,
a config's names included, is escaped, so that no name can open a tag or end a script.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Callable

from backtrace.expressions.nodes import Address, Number, Symbol
from backtrace.expressions.printing import Formatter, TextPrinter

# Where an addressed number was computed, as the page knows it (a piece's index), or None.
Source = Callable[[Address], int | None]


def escaped(text: str) -> str:
    """Text as HTML shows it: `<`, `>`, `&` and quotes as entities."""
    return html.escape(text, quote=True)


class HtmlPrinter(TextPrinter):
    """Trees as HTML: names as the config writes them, a quantity's unit as a subscript,
    numbers tagged with their address and, through `source`, the piece that computed them."""

    line_break = "<br>"

    def __init__(self, fmt: Formatter, source: Source | None = None) -> None:
        super().__init__(fmt)
        self.source = source

    def words(self, text: str) -> str:
        return escaped(text).replace("\n", "<br>")

    def prose(self, text: str) -> str:
        return escaped(text)

    def relation(self, relation: str) -> str:
        return escaped(relation)

    def symbol(self, symbol: Symbol) -> str:
        text = unicodedata.normalize("NFC", symbol.name + "\u0302") if symbol.hat else symbol.name
        text = escaped(text) + ("'" if symbol.prime else "")
        if symbol.subscript:
            text += f"<sub>{escaped(symbol.subscript)}</sub>"
        return text

    def number(self, number: Number, operand: bool) -> str:
        text = self.numeral(number)
        shown = escaped(text)
        address = number.address
        if address is not None:
            attributes = f' data-q="{escaped(address.quantity)}"'
            if address.subject is not None:
                attributes += f' data-s="{escaped(address.subject)}"'
            where = self.source(address) if self.source is not None else None
            if where is not None:
                attributes += f' data-f="{where}"'
            shown = f"<span{attributes}>{shown}</span>"
        return f"({shown})" if operand and text.startswith("-") else shown
