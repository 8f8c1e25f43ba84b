"""The network diagram as Graphviz DOT: a cluster per layer, left to right, every unit a node
(bias units dashed) and every link an edge labelled with its weight's name, and with its
numbers when the diagram has them. `dot -Tsvg net.dot -o net.svg` draws it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from backtrace.pictures.diagram import Diagram, Unit, point_text

Formatter = Callable[[float], str]


def quoted(text: str) -> str:
    """A DOT string: quotes and backslashes escaped, line breaks as DOT's centred \\n."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render(diagram: Diagram, out: TextIO, *, fmt: Formatter) -> None:
    title = diagram.title
    where = point_text(diagram, fmt)
    if where:
        title += f"\nat {where}"
    out.write("digraph network {\n")
    out.write(
        f"  graph [rankdir=LR, labelloc=t, label={quoted(title)}, nodesep=0.4, ranksep=1.6];\n"
    )
    out.write('  node [shape=circle, fontname="Helvetica", fontsize=11];\n')
    out.write('  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];\n')
    for index, column in enumerate(diagram.columns):
        out.write(f"  subgraph cluster_{index} {{\n")
        out.write(f"    label={quoted(column.title)}; style=rounded; color=gray;\n")
        for unit in column.units:
            out.write(f"    {quoted(unit.key)} [{_unit_attributes(unit, fmt)}];\n")
        out.write("  }\n")
    for links in diagram.links:
        for link in links:
            label = quoted(link.label(fmt, before_new="\nnew "))
            out.write(f"  {quoted(link.source)} -> {quoted(link.target)} [label={label}];\n")
    out.write("}\n")


def _unit_attributes(unit: Unit, fmt: Formatter) -> str:
    lines = [unit.name + (" (bias)" if unit.bias else "")]
    for symbol, value in (("h", unit.h), ("z", unit.z), ("δ", unit.delta)):
        if value is not None:
            lines.append(f"{symbol} = {fmt(value)}")
    attributes = [f"label={quoted(chr(10).join(lines))}"]
    if len(lines) > 1:
        attributes.append("shape=box, style=rounded")
    if unit.bias:
        attributes.append('style="dashed,rounded"' if len(lines) > 1 else "style=dashed")
    return ", ".join(attributes)
