"""Plain text: the same blocks as the table and Markdown formats, drawn with spaces only.

No box drawing and no colour, so the output reads the same in a terminal, a file, an email
or a diff. Tables are aligned in columns; a table wider than the page wraps its widest
cells between words (never inside a number), and a word longer than its column is left
whole, so no digit is ever cut.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TextIO

from backtrace import records
from backtrace.numbers import NumberFormatter
from backtrace.renderers import layout
from backtrace.renderers.options import RenderOptions

INDENT = "  "
GAP = "  "  # between columns


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    fmt = NumberFormatter(options.digits(machine=False))
    width = options.width or 80
    for block in layout.blocks(stream, fmt, blanks=options.blanks):
        out.write("\n".join(draw(block, width)) + "\n")


def draw(block: layout.Block, width: int) -> list[str]:
    """The lines of one block."""
    if isinstance(block, layout.Banner):
        return [
            block.title,
            *(line for text in block.lines for line in wrapped(text, width, INDENT)),
        ]
    if isinstance(block, layout.Remark):
        return ["", *wrapped(f"{block.title}: {block.text}", width)]
    if isinstance(block, layout.Heading):
        return ["", *wrapped(block.text, width)]
    if isinstance(block, layout.Line):
        return ["", *wrapped(block.text, width), *footnotes(block.notes, width)]
    room = width - len(INDENT)
    lines: list[str] = []
    measured: dict[int, tuple[layout.Grid, list[int]]] = {}  # widths of the grids that fit

    def fitting(grid: layout.Grid) -> bool:
        widths = fits(grid, room)
        if widths is not None:
            measured[id(grid)] = (grid, widths)  # plain_table would compute them again
        return widths is not None

    for part in layout.fitted(block, fitting):
        lines += [""]
        if part.title is not None:  # a listing's first block: the table's title, then the row's
            lines += [line for title in part.title.split("\n") for line in wrapped(title, width)]
        known = measured.get(id(part))
        widths = known[1] if known is not None and known[0] is part else None
        lines += [INDENT + line for line in plain_table(part, room, widths)]
        if part.caption:
            lines += wrapped(f"({part.caption})", width, INDENT)
        lines += footnotes(part.notes, width)
    return lines


def fits(grid: layout.Grid, width: int) -> list[int] | None:
    """The columns' widths if the grid fits `width` with readable headings, else None."""
    room = width - len(GAP) * (len(grid.columns) - 1)
    widths = layout.column_widths(table_cells(grid), room, matrix=grid.matrix)
    return widths if sum(widths) <= room and layout.readable_header(grid, widths) else None


def table_cells(grid: layout.Grid) -> list[tuple[str, ...]]:
    return [grid.columns, *grid.rows] if grid.header else list(grid.rows)


def wrapped(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]


def footnotes(notes: Sequence[str], width: int) -> list[str]:
    return [
        line
        for number, note in enumerate(notes, start=1)
        for line in wrapped(f"[{number}] {note}", width, INDENT)
    ]


def plain_table(grid: layout.Grid, width: int, widths: list[int] | None = None) -> list[str]:
    """The grid as aligned columns, a header line first; cells may span several lines.
    `widths`: the columns' widths, when the caller has measured them."""
    table = table_cells(grid)
    if widths is None:
        widths = layout.column_widths(
            table, width - len(GAP) * (len(grid.columns) - 1), matrix=grid.matrix
        )
    lines = []
    for row in table:
        cells = [layout.cell_lines(cell, column_width) for cell, column_width in zip(row, widths)]
        for depth in range(max(len(cell) for cell in cells)):
            parts = []
            for index, (cell, column_width) in enumerate(zip(cells, widths)):
                text = cell[depth] if depth < len(cell) else ""
                numeric = grid.matrix and index > 0
                parts.append(layout.padded(text, column_width, right=numeric))
            lines.append(GAP.join(parts).rstrip())
    return lines
