"""Rich tables: the worked arithmetic of each traced sample, laid out like a textbook example."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from functools import partial
from typing import TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from backtrace import records
from backtrace.renderers import layout
from backtrace.renderers.numbers import format_number
from backtrace.renderers.options import RenderOptions

UNBOUNDED = 1_000_000  # a width no table reaches


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit with status 1 here; the CLI decides what a closed pipe means.
        raise BrokenPipeError


def make_console(out: TextIO, options: RenderOptions) -> Console:
    """A console that writes only to `out`, as wide and as colourful as the options say."""
    return _Console(
        file=out,
        width=options.width,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="auto" if options.color else None,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    console = make_console(out, options)
    for item in renderables(stream, options, console):
        console.print(item)


def renderables(
    stream: Iterable[records.Record], options: RenderOptions, console: Console | None = None
) -> Iterator[RenderableType]:
    """What the table format draws, one rich renderable per block (or per part of a block
    too wide for the console)."""
    console = console or make_console(io.StringIO(), options)
    fmt = partial(format_number, digits=options.digits(machine=False))

    def fits(grid: layout.Grid) -> bool:
        room = console.width - overhead(grid)
        return sum(layout.column_widths(cells(grid), room, matrix=grid.matrix)) <= room

    for block in layout.blocks(stream, fmt):
        if isinstance(block, layout.Grid):
            for part in layout.fitted(block, fits):
                yield with_notes(grid_table(part, console.width), part.notes)
        elif isinstance(block, layout.Heading) and len(block.text) + 4 > console.width:
            # A rule would cut a long heading short: write it whole, then the rule.
            yield Text(block.text, style="bold cyan" if block.level == 2 else "bold")
            yield Rule()
        else:
            yield renderable(block)


def html(stream: Iterable[records.Record], options: RenderOptions) -> str:
    """The tables as HTML with inline styles, for notebooks."""
    console = Console(
        file=io.StringIO(), record=True, width=options.width, force_terminal=True, markup=False
    )
    for item in renderables(stream, options, console):
        console.print(item)
    return console.export_html(inline_styles=True)


def renderable(block: layout.Block) -> RenderableType:
    if isinstance(block, layout.Banner):
        return Panel(Text("\n".join(block.lines)), title=block.title, title_align="left")
    if isinstance(block, layout.Remark):
        return Panel(
            Text(block.text),
            title=block.title,
            title_align="left",
            border_style="red" if block.tone == "alarm" else "yellow",
        )
    if isinstance(block, layout.Heading):
        return Rule(
            Text(block.text, style="bold cyan" if block.level == 2 else "bold"), align="left"
        )
    if isinstance(block, layout.Line):
        return with_notes(Text(block.text, style="bold" if block.strong else ""), block.notes)
    return with_notes(grid_table(block), block.notes)


def overhead(grid: layout.Grid) -> int:
    """Columns a grid's table spends on padding and lines: a space either side of each
    cell, and a line between cells and at both edges unless it is a borderless matrix."""
    columns = len(grid.columns)
    return 3 * columns - 1 if grid.matrix else 3 * columns + 1


def cells(grid: layout.Grid) -> list[tuple[str, ...]]:
    return [grid.columns, *grid.rows] if grid.header else list(grid.rows)


def grid_table(grid: layout.Grid, width: int = UNBOUNDED) -> Table:
    """A grid as a rich table, its columns sized here rather than by rich: as wide as their
    widest line, narrowed widest first to fit `width`, never below their longest word, so
    cells wrap between words and no number is cut. `layout.fitted` makes the grid fit."""
    table = Table(
        title=grid.title,
        title_justify="left",
        title_style="bold",
        caption=grid.caption,
        caption_justify="left",
        show_header=grid.header,
        box=box.SIMPLE_HEAD if grid.matrix else box.ROUNDED,
        show_edge=not grid.matrix,
    )
    widths = layout.column_widths(
        cells(grid), width - overhead(grid), fold=True, matrix=grid.matrix
    )
    for index, (column, column_width) in enumerate(zip(grid.columns, widths)):
        table.add_column(
            column,
            justify="right" if grid.matrix and index else "left",
            style="bold" if (grid.matrix or not grid.header) and index == 0 else "",
            overflow="fold",
            width=column_width,
        )
    for row in grid.rows:
        table.add_row(*row)
    return table


def with_notes(main: RenderableType, notes: tuple[str, ...]) -> RenderableType:
    if not notes:
        return main
    return Group(
        main,
        *(Text(f"[{number}] {note}", style="yellow") for number, note in enumerate(notes, start=1)),
    )
