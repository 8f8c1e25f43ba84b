"""LaTeX: a handout a teacher compiles with pdflatex, or pastes into a document of their own.

The same blocks as the tables, typeset: the run's description and the network as a TikZ
diagram, then each sample's forward pass, loss, backward pass and updates as `align*`
blocks, one line per quantity, aligned at their first relation, with the network's own
names as subscripts (W_{10}, \\delta_{Z1}). The ✓/✗ of a reference and the row's name stand
at the right of its first line; footnotes follow their block. With `fragment`, only the
body is written, and the packages it needs are listed in a comment at its top.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TextIO

from backtrace import records
from backtrace.expressions.latex import LatexPrinter, numeral, text_escaped
from backtrace.expressions.nodes import (
    Cell,
    Chain,
    Difference,
    Node,
    Product,
    Sum,
    phrase_nodes,
)
from backtrace.expressions.printing import PRODUCT, SUM, TextPrinter
from backtrace.numbers import NumberFormatter
from backtrace.pictures.diagram import network_diagram
from backtrace.pictures.tikz import picture
from backtrace.renderers import layout
from backtrace.renderers.options import RenderOptions

PACKAGES = ("amsmath", "amssymb", "pifont", "tikz")
PREAMBLE = (
    "\\documentclass[a4paper,10pt]{article}\n"
    "\\usepackage[utf8]{inputenc}\n"
    "\\usepackage[margin=2cm]{geometry}\n"
    f"\\usepackage{{{','.join(PACKAGES)}}}\n"
    "\\allowdisplaybreaks\n"
    "\\setlength{\\parindent}{0pt}\n"
    "\\setlength{\\parskip}{0.4em}\n"
    "\\sloppy\n"
    "\\begin{document}\n"
)
# Characters of a line of math before it is broken: a4 at 10pt with 2 cm margins holds
# about 90 characters of text; math is wider, and the tag at the right needs room.
LINE_BUDGET = 62
PAGE_CHARACTERS = 90  # of a table's plain text
_NUMBER = re.compile(r"-?[0-9][0-9.]*(?:e[+-]?[0-9]+)?(?:/[0-9]+)?")


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    fmt = NumberFormatter(options.digits(machine=False))
    handout = Handout(LatexPrinter(fmt), TextPrinter(fmt))
    if options.fragment:
        out.write(f"% backtrace handout: needs \\usepackage{{{','.join(PACKAGES)}}}\n")
    else:
        out.write(PREAMBLE)
    starts: list[records.Start] = []
    for block in layout.worked_blocks(_noting_starts(stream, starts), fmt, options.blanks):
        out.write(handout.block(block, starts[-1] if starts else None))
    if not options.fragment:
        out.write("\\end{document}\n")


def _fits_page(grid: layout.Grid) -> bool:
    """Whether a table of plain text cells fits the page: its columns' widths in characters,
    with the space between them, within what a line of the page holds."""
    cells = [grid.columns, *grid.rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(*cells)]
    return sum(widths) + 2 * len(widths) <= PAGE_CHARACTERS


def _noting_starts(
    stream: Iterable[records.Record], starts: list[records.Start]
) -> Iterator[records.Record]:
    for record in stream:
        if isinstance(record, records.Start):
            starts.append(record)
        yield record


class Handout:
    """Blocks as LaTeX, with `printer` for the math and `measure` to tell how wide a piece of
    it reads (its Unicode text's length)."""

    def __init__(self, printer: LatexPrinter, measure: TextPrinter) -> None:
        self.printer, self.measure = printer, measure

    def block(self, block: layout.Block, start: records.Start | None) -> str:
        if isinstance(block, layout.Banner):
            return self.banner(block, start)
        if isinstance(block, layout.Remark):
            return f"\\paragraph{{{text_escaped(block.title)}.}} {text_escaped(block.text)}\n\n"
        if isinstance(block, layout.Heading):
            command = "subsection" if block.level == 2 else "subsubsection"
            return f"\\{command}*{{{text_escaped(block.text)}}}\n"
        if isinstance(block, layout.Line):
            text = self.printer.cell(block.text)
            text = f"\\textbf{{{text}}}" if block.strong else text
            return f"{text}\n{self.notes(block.notes)}\n"
        if block.matrix or not any(
            list(phrase_nodes(cell)) for row in block.rows for cell in row
        ):
            return self.tabular(block)
        return self.aligned(block)

    def banner(self, block: layout.Banner, start: records.Start | None) -> str:
        items = "".join(f"  \\item {text_escaped(line)}\n" for line in block.lines)
        text = (
            f"\\section*{{{text_escaped(block.title)}}}\n"
            f"\\begin{{itemize}}\\setlength{{\\itemsep}}{{0pt}}\n{items}\\end{{itemize}}\n"
        )
        if start is not None and start.layers:
            diagram = network_diagram(start.title or start.source, start.layers)
            text += f"\\begin{{center}}\n{picture(diagram)}\\end{{center}}\n"
        return text

    def notes(self, notes: tuple[str, ...]) -> str:
        return "".join(
            f"\\par{{\\footnotesize [{number}] {text_escaped(note)}}}\n"
            for number, note in enumerate(notes, start=1)
        )

    def tabular(self, grid: layout.Grid) -> str:
        """A weight matrix (in blocks of columns where it is wider than the page), or a table
        of plain values (the gradient check), as a tabular."""
        if grid.matrix:
            parts = layout.fitted(grid, _fits_page)
            if len(parts) > 1:
                return "".join(self._tabular(part) for part in parts)
        return self._tabular(grid)

    def _tabular(self, grid: layout.Grid) -> str:
        spec = "l" + ("r" if grid.matrix else "l") * (len(grid.columns) - 1)
        lines = [f"\\begin{{tabular}}{{{spec}}}"]
        if grid.header:
            lines.append(" & ".join(self.value(column) for column in grid.columns) + r" \\")
            lines.append(r"\hline")
        for row in grid.rows:
            lines.append(" & ".join(self.value(cell) for cell in row) + r" \\")
        lines.append(r"\end{tabular}")
        if grid.caption:
            lines.append(f"\\\\[2pt]{{\\footnotesize ({text_escaped(grid.caption)})}}")
        title = f"\\paragraph{{{self.printer.cell(grid.title)}}}\n" if grid.title else ""
        size = "" if grid.matrix else "\\footnotesize\n"
        return f"{title}{{{size}{chr(10).join(lines)}}}\n{self.notes(grid.notes)}\n"

    def value(self, cell: Cell) -> str:
        """A table cell: a number as math, anything else as text."""
        if not isinstance(cell, str):
            return self.printer.cell(cell)
        return f"${numeral(cell)}$" if _NUMBER.fullmatch(cell) else text_escaped(cell)

    def aligned(self, grid: layout.Grid) -> str:
        """Each row's quantities as lines of an align*, aligned at their first relation; the
        row's name and its references tagged at the right of its first line."""
        lines: list[str] = []
        for row in grid.rows:
            label = [self.printer.cell(row[0])] if row[0] else []
            tags = [text_escaped(cell) for cell in row[1:] if isinstance(cell, str) and cell]
            row_lines: list[str] = []
            subject = row[0] if isinstance(row[0], str) else None
            for title, cell in zip(grid.columns[1:], row[1:]):
                if isinstance(cell, str):
                    continue
                listed = layout.listed(title, cell, subject)
                chain = listed[0] if len(listed) == 1 and isinstance(listed[0], Chain) else None
                if chain is None:
                    row_lines.append(f"&\\text{{{self.printer.cell(listed)}}}")
                else:
                    row_lines += self.chain_lines(chain)
            if not row_lines:
                row_lines = [r"&\text{}"]
            tag = "; ".join(label + tags)
            if tag:
                row_lines[0] += f" \\tag*{{{tag}}}"
            lines += row_lines
        title = f"\\paragraph{{{self.printer.cell(grid.title)}}}\n" if grid.title else ""
        body = " \\\\\n".join(lines)
        return f"{title}\\begin{{align*}}\n{body}\n\\end{{align*}}\n{self.notes(grid.notes)}\n"

    def chain_lines(self, chain: Chain) -> list[str]:
        """One chain as align* lines: `lhs &= first` and then `&= next` wherever the line
        would grow too long or the chain asks to break, a long sum over several lines."""
        printer = self.printer
        lines = [f"{printer.node(chain.parts[0])} &"]
        used = len(self.measure.node(chain.parts[0]))
        for index, (relation, part) in enumerate(zip(chain.relations, chain.parts[1:])):
            width = len(self.measure.node(part)) + 3
            if index and (index in chain.breaks or used + width > LINE_BUDGET):
                lines.append("&")
                used = 0
            pieces = self.pieces(part)
            lines[-1] += f" {printer.relation(relation)} {pieces[0][0]}"
            used += pieces[0][1] + 3
            for text, size in pieces[1:]:
                if used + size > LINE_BUDGET:
                    lines.append("&\\qquad")
                    used = 4
                lines[-1] += f" {text}"
                used += size
        return lines

    def pieces(self, part: Node, force: bool = False) -> list[tuple[str, int]]:
        """A part as pieces a line may break between, with their widths: a long sum's terms
        (each after the first with its + or -), else the whole part."""
        width = len(self.measure.node(part))
        if force and isinstance(part, (Sum, Difference)):
            return self._terms(part)
        if width <= LINE_BUDGET or not isinstance(part, (Sum, Difference, Product)):
            return [(self.printer.node(part), width)]
        if isinstance(part, Product) and isinstance(part.factors[0], (Sum, Difference)):
            # (a + b + c)·f': the sum in parentheses breaks, the factors after it follow it.
            inner = self.pieces(part.factors[0], force=True)
            rest = part.factors[1:]
            after = "".join(
                self.printer.times + self.printer.child(factor, PRODUCT + 1, operand=True)
                for factor in rest
            )
            size = sum(
                len(self.measure.times + self.measure.child(factor, PRODUCT + 1, operand=True))
                for factor in rest
            )
            inner[0] = ("(" + inner[0][0], inner[0][1] + 1)
            inner[-1] = (inner[-1][0] + ")" + after, inner[-1][1] + 1 + size)
            return inner
        if isinstance(part, Product):
            return [(self.printer.node(part), width)]
        return self._terms(part)

    def _terms(self, part: Node) -> list[tuple[str, int]]:
        """A sum's or difference's terms as pieces, each after the first with its sign."""
        terms = part.terms if isinstance(part, Sum) else (part.left, part.right)
        signs = ["+"] * len(terms) if isinstance(part, Sum) else ["+", "-"]
        pieces = [
            (
                self.printer.child(terms[0], SUM, operand=False),
                len(self.measure.child(terms[0], SUM, operand=False)),
            )
        ]
        for sign, term in zip(signs[1:], terms[1:]):
            text = self.printer.child(term, SUM + 1, operand=True)
            size = len(self.measure.child(term, SUM + 1, operand=True)) + 3
            pieces.append((f"{sign} {text}", size))
        return pieces
