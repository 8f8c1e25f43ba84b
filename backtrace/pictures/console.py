"""The network diagram in the terminal, drawn with rich: one panel of units per layer, left
to right with arrows between them, then each layer's links as a matrix of weight names (a
row per receiving unit, a column per sending unit), which stays legible where crossing lines
could not. Large layers are summarised: the first and last units, and how many are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TextIO, TypeVar

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backtrace.pictures.diagram import Column, Diagram, Link, Unit, point_text
from backtrace.terminal import rich_console

Formatter = Callable[[float], str]
Item = TypeVar("Item")
MOST_UNITS = 9  # a layer with more units than this is summarised
HEAD, TAIL = 5, 2  # units shown at the start and the end of a summarised layer
GAP = "⋯"


def render(diagram: Diagram, out: TextIO, *, width: int, color: bool, fmt: Formatter) -> None:
    console = rich_console(  # a closed pipe ends quietly, as docs/cli.md says
        file=out,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
    )
    for renderable in renderables(diagram, fmt, console):
        console.print(renderable)


def summarised(items: Sequence[Item], most: int = MOST_UNITS) -> list[Item | None]:
    """The items, or the first and last few with None where the rest are left out."""
    if len(items) <= most:
        return list(items)
    return [*items[:HEAD], None, *items[-TAIL:]]


def renderables(diagram: Diagram, fmt: Formatter, console: Console) -> Iterator[RenderableType]:
    yield Text(diagram.title, style="bold")
    shape = " → ".join(_size(column) for column in diagram.columns)
    yield Text(f"{shape} · {diagram.weights:,} weights", style="dim")
    where = point_text(diagram, fmt)
    if where:
        yield Text(f"at {where}")
    yield Text("")
    yield _units_row(diagram, fmt, console)
    for column, links in zip(diagram.columns[1:], diagram.links):
        yield Text("")
        yield _link_matrix(diagram, column, links, fmt, console.width)


def _size(column: Column) -> str:
    count = sum(not unit.bias for unit in column.units)
    kind = column.title.split(" · ")[0]
    return f"{count:,} {kind}{'s' if kind == 'input' and count != 1 else ''}"


def _units_row(diagram: Diagram, fmt: Formatter, console: Console) -> RenderableType:
    panels = [_unit_panel(column, diagram.point is not None, fmt) for column in diagram.columns]
    arrows = [
        Text(
            f"──{column.prefix or ''}──▶\n{len(links):,} link{'s' if len(links) != 1 else ''}",
            justify="center",
            style="dim",
        )
        for column, links in zip(diagram.columns[1:], diagram.links)
    ]
    row = Table.grid(padding=(0, 1))
    cells: list[RenderableType] = []
    for index, panel in enumerate(panels):
        if index:
            cells.append(arrows[index - 1])
        cells.append(panel)
    for _ in cells:
        row.add_column(vertical="middle")
    row.add_row(*cells)
    # Side by side only if every number fits whole: rich would otherwise cut cells short.
    needed = sum(Measurement.get(console, console.options, cell).maximum for cell in cells)
    if needed + len(cells) - 1 <= console.width:
        return row
    # Too wide side by side: one layer under the other.
    stacked: list[RenderableType] = []
    for index, panel in enumerate(panels):
        if index:
            links = arrows[index - 1].plain.split("\n")[1]
            prefix = diagram.columns[index].prefix
            stacked.append(Text(f"  ↓ {prefix + ': ' if prefix else ''}{links}", style="dim"))
        stacked.append(panel)
    return Group(*stacked)


def _unit_panel(column: Column, numbers: bool, fmt: Formatter) -> Panel:
    table = Table(box=None, show_header=numbers, padding=(0, 1), pad_edge=False)
    table.add_column("unit", no_wrap=True)
    present = [
        index
        for index in range(3)
        if numbers and any(_unit_values(unit)[index] is not None for unit in column.units)
    ]
    for index in present:
        table.add_column(("h", "z", "δ")[index], justify="right", no_wrap=True)
    shown = summarised(column.units)
    for unit in shown:
        if unit is None:
            hidden = len(column.units) - HEAD - TAIL
            table.add_row(Text(f"{GAP} {hidden:,} more", style="dim"))
            continue
        label = Text(unit.name)
        if unit.bias:
            label.append(" bias", style="dim")
        values = _unit_values(unit)
        table.add_row(label, *(_value(values[index], fmt) for index in present))
    return Panel(table, title=Text(column.title), title_align="left", expand=False)


def _unit_values(unit: Unit) -> tuple[float | None, float | None, float | None]:
    return unit.h, unit.z, unit.delta


def _value(value: float | None, fmt: Formatter) -> Text:
    return Text("" if value is None else fmt(value))


def _link_matrix(
    diagram: Diagram, column: Column, links: tuple[Link, ...], fmt: Formatter, width: int
) -> RenderableType:
    by_pair = {(link.target, link.source): link for link in links}
    sources = list(dict.fromkeys(link.source for link in links))
    targets = list(dict.fromkeys(link.target for link in links))
    names = {unit.key: unit.name for layer in diagram.columns for unit in layer.units}
    numbers = diagram.point is not None
    cell_width = (
        max(len(line) for link in links for line in _cell(link, fmt, numbers).split("\n")) + 3
    )
    room = max(3, (width - 12) // max(cell_width, 1))
    shown_sources = summarised(sources, most=min(MOST_UNITS, room))
    shown_targets = summarised(targets)
    prefix = f" ({column.prefix})" if column.prefix else ""
    title = f"links into {column.title}{prefix}: a row per receiving unit, a column per sender"
    table = Table(box=box.ROUNDED, padding=(0, 1))
    table.add_column("into ↓ from →", no_wrap=True)
    for source in shown_sources:
        table.add_column(names[source] if source is not None else GAP, no_wrap=True)
    for target in shown_targets:
        if target is None:
            table.add_row(GAP, *(GAP for _ in shown_sources))
            continue
        cells = [
            Text(GAP)
            if source is None or (target, source) not in by_pair
            else Text(_cell(by_pair[(target, source)], fmt, numbers))
            for source in shown_sources
        ]
        table.add_row(names[target], *cells)
    left_out = len(links) - sum(
        (target, source) in by_pair
        for target in shown_targets
        for source in shown_sources
        if target is not None and source is not None
    )
    parts: list[RenderableType] = [Text(title), table]
    if left_out:
        parts.append(Text(f"{left_out:,} more links not shown", style="dim"))
    return Group(*parts)


def _cell(link: Link, fmt: Formatter, numbers: bool) -> str:
    if not numbers or link.w is None:
        return link.weight
    lines = [f"{link.weight} = {fmt(link.w)}"]
    if link.grad is not None:
        lines.append(f"J' = {fmt(link.grad)}")
    if link.new is not None:
        lines.append(f"new {fmt(link.new)}")
    return "\n".join(lines)
