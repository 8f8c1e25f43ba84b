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
    for item in renderables(stream, options):
        console.print(item)


def renderables(
    stream: Iterable[records.Record], options: RenderOptions
) -> Iterator[RenderableType]:
    """What the table format draws, one rich renderable per block."""
    fmt = partial(format_number, digits=options.digits(machine=False))
    for block in layout.blocks(stream, fmt):
        yield renderable(block)


def html(stream: Iterable[records.Record], options: RenderOptions) -> str:
    """The tables as HTML with inline styles, for notebooks."""
    console = Console(
        file=io.StringIO(), record=True, width=options.width, force_terminal=True, markup=False
    )
    for item in renderables(stream, options):
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


def grid_table(grid: layout.Grid) -> Table:
    if grid.matrix:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        table.add_column(grid.columns[0], style="bold")
        for column in grid.columns[1:]:
            table.add_column(column, justify="right")
    else:
        table = Table(title=grid.title, title_justify="left", title_style="bold", box=box.ROUNDED)
        for column in grid.columns:
            table.add_column(column, overflow="fold")
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
