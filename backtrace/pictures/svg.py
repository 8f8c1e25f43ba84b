"""The network diagram as SVG, for the HTML page: a column of circles per layer (bias units
dashed), a line per link, each unit with room for its h, z and δ below it and each link
with its weight's name, value and gradient near the unit it feeds.

The picture is drawn from the same places as the TikZ one (`diagram.placed`). Its numbers
are left empty: the page fills them in from the trace as the reader steps, by the
`data-unit` and `data-weight` attributes of each unit's and link's group.
"""

from __future__ import annotations

from backtrace.expressions.html import escaped
from backtrace.pictures.diagram import Diagram, Place, placed

DX = 250  # between columns
DY = 110  # between units of a column: the circle and three lines of numbers below it
RADIUS = 22
TOP = 58  # room for the column titles
LABEL_AT = 0.8  # where along a link its label ends (0: the sending unit, 1: the receiving)
MOST_LABELS = 16  # links into a layer that are labelled at all times; more only when lit
CHARACTER = 8.2  # the width of a character of a unit's name (bold), roughly, for the margin
SHORT_NAME = 4  # characters that fit inside a circle


def picture(diagram: Diagram) -> str:
    """The SVG element of the diagram."""
    columns = placed(diagram)
    tallest = max(len(places) for places in columns)
    first = [p.unit.name for p in columns[0] if p.unit is not None]
    left = RADIUS + 16 + max((len(name) for name in first), default=0) * CHARACTER
    width = left + DX * (len(columns) - 1) + RADIUS + 44
    height = TOP + DY * tallest + 10
    where: dict[str, tuple[float, float]] = {}
    for places in columns:
        for place in places:
            if place.unit is not None:
                where[place.unit.key] = _position(place, tallest, left)
    parts = [
        f'<svg class="diagram" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="group" '
        f'aria-label="{escaped(diagram.title)}: the network">'
    ]
    for index, column in enumerate(diagram.columns):
        x = left + DX * index
        parts.append(f'<text class="title" x="{x:.0f}" y="20">{escaped(column.title)}</text>')
    labels = []  # drawn after every line, so that no line crosses a label
    for links in diagram.links:
        labelled = len(links) <= MOST_LABELS
        for link in links:
            if link.source in where and link.target in where:
                line, label = _link(link.weight, where[link.source], where[link.target], labelled)
                parts.append(line)
                labels.append(label)
    parts += labels
    for places in columns:
        for place in places:
            parts.append(_unit(place, tallest, left))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _position(place: Place, tallest: int, left: float) -> tuple[float, float]:
    offset = (tallest - place.rows) * DY / 2  # shorter columns centred
    return left + DX * place.column, TOP + RADIUS + offset + DY * place.row


def _link(
    weight: str, start: tuple[float, float], end: tuple[float, float], labelled: bool
) -> tuple[str, str]:
    """The link's line, and its label (its weight's name, value and gradient)."""
    (x1, y1), (x2, y2) = start, end
    length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1.0)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    lx, ly = x1 + (x2 - x1) * LABEL_AT, y1 + (y2 - y1) * LABEL_AT
    name = escaped(weight)
    shown = "" if labelled else " quiet"
    # Labelled links sit a line apart, so the gradient follows the weight on its line; a
    # label shown only while lit has room below, and takes it, to stay clear of the units.
    gradient_at = 'dx="8"' if labelled else f'x="{lx:.1f}" dy="14"'

    line = (
        f'<g class="link" data-weight="{name}">'
        f'<line x1="{x1 + ux * RADIUS:.1f}" y1="{y1 + uy * RADIUS:.1f}" '
        f'x2="{x2 - ux * (RADIUS + 4):.1f}" y2="{y2 - uy * (RADIUS + 4):.1f}"/></g>'
    )
    label = (
        f'<g class="link label{shown}" data-weight="{name}">'
        f'<text x="{lx:.1f}" y="{ly + 4:.1f}"><tspan class="name">{name}</tspan>'
        f'<tspan class="w"></tspan><tspan class="g" {gradient_at}></tspan></text></g>'
    )
    return line, label


def _unit(place: Place, tallest: int, left: float) -> str:
    x, y = _position(place, tallest, left)
    unit = place.unit
    if unit is None:
        return f'<text class="gap" x="{x:.0f}" y="{y + 6:.0f}">⋮</text>'
    name = escaped(unit.name)
    kind = "unit bias" if unit.bias else "unit"
    if len(unit.name) <= SHORT_NAME:
        label = f'<text class="name" x="{x:.0f}" y="{y + 5:.0f}">{name}</text>'
    elif place.column == 0:  # nothing to the left of the inputs: the name goes there
        label = f'<text class="name side" x="{x - RADIUS - 6:.0f}" y="{y + 5:.0f}">{name}</text>'
    else:
        label = f'<text class="name above" x="{x:.0f}" y="{y - RADIUS - 5:.0f}">{name}</text>'
    values = "".join(
        f'<text class="{quantity}" x="{x:.0f}" y="{y + RADIUS + 14 * row:.0f}"></text>'
        for row, quantity in enumerate(("h", "z", "d"), start=1)
    )
    return (
        f'<g class="{kind}" data-unit="{escaped(unit.key)}" tabindex="0" role="button" '
        f'aria-label="unit {name}: show its lines">'
        f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{RADIUS}"/>{label}{values}</g>'
    )
