"""The network diagram as a TikZ picture, for LaTeX handouts: a column of circles per layer
(bias units dashed), every link an arrow, labelled with its weight's name while there are
few enough links to read them."""

from __future__ import annotations

from backtrace.expressions.latex import name, text_escaped
from backtrace.pictures.diagram import Diagram, placed

MOST_LABELS = 16  # links per layer that are labelled; more would cover each other


def picture(diagram: Diagram) -> str:
    """The TikZ code of the diagram (a `tikzpicture`, to put in a figure or a centre)."""
    columns = [[place.unit for place in places] for places in placed(diagram)]
    tallest = max(len(units) for units in columns)
    step_y = 1.1 if tallest <= 6 else 6.6 / tallest
    step_x = 3.2 if len(columns) <= 4 else 12.0 / (len(columns) - 1)
    lines = [
        r"\begin{tikzpicture}[>=stealth, unit/.style={circle, draw, minimum size=7mm,"
        r" inner sep=1pt, font=\small}, bias/.style={unit, dashed},"
        r" weight/.style={font=\scriptsize, fill=white, inner sep=1pt}]"
    ]
    shown: dict[str, str] = {}
    for index, (column, units) in enumerate(zip(diagram.columns, columns)):
        x = index * step_x
        top = (len(units) - 1) * step_y / 2
        lines.append(
            rf"\node[font=\footnotesize\itshape] at ({x:.2f}, {top + 0.9:.2f})"
            rf" {{{text_escaped(column.title)}}};"
        )
        for row, unit in enumerate(units):
            y = top - row * step_y
            if unit is None:
                lines.append(rf"\node at ({x:.2f}, {y:.2f}) {{$\vdots$}};")
                continue
            node = f"u{len(shown)}"
            shown[unit.key] = node
            style = "bias" if unit.bias else "unit"
            lines.append(
                rf"\node[{style}] ({node}) at ({x:.2f}, {y:.2f}) {{${name(unit.name)}$}};"
            )
    for links in diagram.links:
        drawn = [link for link in links if link.source in shown and link.target in shown]
        labelled = len(drawn) <= MOST_LABELS
        for link in drawn:
            label = (
                rf" node[weight, pos=0.7] {{${name(link.weight)}$}}" if labelled else ""
            )
            lines.append(
                rf"\draw[->, gray] ({shown[link.source]}) -- ({shown[link.target]}){label};"
            )
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"

