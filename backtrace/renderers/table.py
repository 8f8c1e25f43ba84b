"""Rich tables: the worked arithmetic of each traced sample, laid out like a textbook example."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import COLOR_SYSTEMS, Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from backtrace import records
from backtrace.frozen import frozen
from backtrace.numbers import NumberFormatter
from backtrace.renderers import layout
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
        height=25,  # given, so that rich never asks the terminal (it would, for every table)
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
    plain = console.no_color and not console.options.ascii_only
    for item in renderables(stream, options, console):
        if isinstance(item, Drawn):
            item.write(console)
        elif plain and (text := plain_line(item, console.width)) is not None:
            out.write(text)
        else:
            console.print(item)


def plain_line(item: RenderableType, width: int) -> str | None:
    """Without colour, a heading's rule or a line that fits, as rich would print it, but
    without rich's rendering machinery (a trace has thousands of them); None for anything
    else, which rich prints."""
    if isinstance(item, Rule) and item.align == "left" and isinstance(item.title, Text):
        title = item.title.plain
        if not title or "\n" in title or "\t" in title or cell_len(title) + 4 > width:
            return None
        return f"{title} {item.characters * (width - cell_len(title) - 1)}\n"
    if isinstance(item, Text) and "\n" not in item.plain and "\t" not in item.plain:
        return item.plain + "\n" if cell_len(item.plain) <= width else None
    return None


def renderables(
    stream: Iterable[records.Record], options: RenderOptions, console: Console | None = None
) -> Iterator[RenderableType]:
    """What the table format draws: a rich renderable for each heading, panel and line, and
    each table drawn here as lines of text (or parts of a table too wide for the console)."""
    console = console or make_console(io.StringIO(), options)
    fmt = NumberFormatter(options.digits(machine=False))

    fitting: dict[int, tuple[layout.Grid, list[int]]] = {}  # widths of grids that fit

    def fits(grid: layout.Grid) -> bool:
        room = console.width - overhead(grid)
        widths = layout.column_widths(cells(grid), room, matrix=grid.matrix)
        if sum(widths) <= room and layout.readable_header(grid, widths):
            fitting[id(grid)] = (grid, widths)  # draw() would compute the same again
            return True
        return False

    for block in layout.blocks(stream, fmt, blanks=options.blanks):
        if isinstance(block, layout.Grid):
            for part in layout.fitted(block, fits):
                known = fitting.get(id(part))
                widths = known[1] if known is not None and known[0] is part else None
                yield Drawn(draw(part, console.width, widths), part.notes)
            fitting.clear()
        elif isinstance(block, layout.Heading) and len(block.text) + 4 > console.width:
            # A rule would cut a long heading short: write it whole, then the rule.
            yield Text(block.text, style="bold cyan" if block.level == 2 else "bold")
            yield Rule()
        else:
            yield renderable(block)


def html(stream: Iterable[records.Record], options: RenderOptions) -> str:
    """The tables as HTML with inline styles, for notebooks."""
    console = Console(
        file=io.StringIO(),
        record=True,
        width=options.width,
        height=25,
        force_terminal=True,
        markup=False,
    )
    for item in renderables(stream, options, console):
        if isinstance(item, Drawn):
            item.write(console)
        else:
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
    return Drawn(draw(block, UNBOUNDED), block.notes)


# -- tables, drawn line by line ----------------------------------------------------------------
# Drawing them here rather than with rich's Table keeps the cost of a table near the cost of
# its text: rich measures and wraps every cell through its whole rendering machinery.

Styled = list[tuple[str, str]]  # a line as (text, style) pieces; "" is no style


@frozen
class Drawn:
    """A table as styled lines, and its footnotes."""

    lines: list[Styled]
    notes: tuple[str, ...]

    def write(self, console: Console) -> None:
        if console.no_color and not console.record:
            console.file.write(
                "".join(text for line in self.lines for text, _ in line + [("\n", "")])
            )
        elif not console.record and console.color_system is not None:
            # Each piece wrapped in its style's codes, as rich's own print would write them,
            # but without measuring and splitting every line again (the tables are already
            # laid out): one write per table instead of one print per line.
            ansi = _ansi_codes(console)
            console.file.write(
                "".join(
                    "".join(ansi(style, text) if style else text for text, style in line) + "\n"
                    for line in self.lines
                )
            )
        else:
            for line in self.lines:
                console.print(
                    Text.assemble(*[(text, style or None) for text, style in line]),
                    no_wrap=True,
                    crop=False,
                    overflow="ignore",
                    soft_wrap=True,
                )
        for number, note in enumerate(self.notes, start=1):
            console.print(Text(f"[{number}] {note}", style="yellow"))

    def __rich_console__(self, console: Console, options: Any) -> Iterator[RenderableType]:
        for line in self.lines:
            yield Text.assemble(*[(text, style or None) for text, style in line])
        for number, note in enumerate(self.notes, start=1):
            yield Text(f"[{number}] {note}", style="yellow")


def _ansi_codes(console: Console) -> Any:
    """`ansi(style, text)`: text in a style's escape codes for this console's colours, each
    style's codes found once (rich writes `ESC[<codes>m text ESC[0m` for a styled piece)."""
    system = COLOR_SYSTEMS[console.color_system or "standard"]
    known: dict[str, tuple[str, str]] = {}

    def ansi(style: str, text: str) -> str:
        if style not in known:
            marked = console.get_style(style).render("\0", color_system=system)
            before, _, after = marked.partition("\0")
            known[style] = (before, after)
        before, after = known[style]
        return f"{before}{text}{after}"

    return ansi


def overhead(grid: layout.Grid) -> int:
    """Columns a grid's table spends on padding and lines: a space either side of each
    cell, and a line between cells and at both edges unless it is a borderless matrix."""
    columns = len(grid.columns)
    return 3 * columns - 1 if grid.matrix else 3 * columns + 1


def cells(grid: layout.Grid) -> list[tuple[str, ...]]:
    return [grid.columns, *grid.rows] if grid.header else list(grid.rows)


def draw(grid: layout.Grid, width: int, widths: list[int] | None = None) -> list[Styled]:
    """A grid as the lines of a table: rounded boxes for arithmetic, a plain matrix (a rule
    under its header, numbers right-aligned) for weights. Columns are as wide as their widest
    line, narrowed widest first to fit `width`, never below their longest word unless a word
    is wider than the page, which is then folded whole over lines."""
    if widths is None:  # else the caller measured them, for a grid that fits `width`
        widths = layout.column_widths(
            cells(grid), width - overhead(grid), fold=True, matrix=grid.matrix
        )
    total = sum(widths) + overhead(grid)
    lines: list[Styled] = []
    if grid.title:
        lines += [
            [(text.ljust(total), "bold")]
            for text in layout.cell_lines(grid.title, total, fold=True)
        ]
    label = "bold" if grid.matrix or not grid.header else ""

    last = len(widths) - 1
    # Per column: how its text is aligned, and what follows it.
    aligned = [bool(grid.matrix and index) for index in range(len(widths))]
    separators = [
        (" " if index < last else "") if grid.matrix else "│" for index in range(len(widths))
    ]

    def row_lines(row: tuple[str, ...], header: bool) -> list[Styled]:
        wrapped = [layout.cell_lines(cell, w, fold=True) for cell, w in zip(row, widths)]
        styles = ["bold"] * len(widths) if header else [label] + [""] * last
        drawn = []
        for depth in range(max(len(cell) for cell in wrapped)):
            line: Styled = [] if grid.matrix else [("│", "")]
            for cell, w, align, style, separator in zip(
                wrapped, widths, aligned, styles, separators
            ):
                text = layout.padded(cell[depth] if depth < len(cell) else "", w, right=align)
                line += [(" ", ""), (text, style), (" ", ""), (separator, "")]
            drawn.append(line)
        return drawn

    if grid.matrix:
        if grid.header:
            lines += row_lines(grid.columns, True)
            lines.append([("─" * total, "")])
        for row in grid.rows:
            lines += row_lines(row, False)
    else:

        def rule(left: str, middle: str, right: str) -> Styled:
            return [(left + middle.join("─" * (w + 2) for w in widths) + right, "")]

        lines.append(rule("╭", "┬", "╮"))
        if grid.header:
            lines += row_lines(grid.columns, True)
            lines.append(rule("├", "┼", "┤"))
        for row in grid.rows:
            lines += row_lines(row, False)
        lines.append(rule("╰", "┴", "╯"))
    if grid.caption:
        lines += [
            [(text.ljust(total), "dim")]
            for text in layout.cell_lines(grid.caption, total, fold=True)
        ]
    return lines


def with_notes(main: RenderableType, notes: tuple[str, ...]) -> RenderableType:
    if not notes:
        return main
    return Group(
        main,
        *(Text(f"[{number}] {note}", style="yellow") for number, note in enumerate(notes, start=1)),
    )
