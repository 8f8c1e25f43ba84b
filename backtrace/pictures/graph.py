"""Writing the network diagram where `backtrace graph` was asked to: drawn in the terminal,
as Graphviz DOT, or as an SVG or PNG picture, to stdout or whole into an -o file."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from backtrace.numbers import HUMAN_DIGITS, format_number
from backtrace.pictures.diagram import Diagram
from backtrace.terminal import Terminal


def write_diagram(
    diagram: Diagram,
    output_format: str,
    path: str | None,
    term: Terminal,
    *,
    precision: int | None = None,
    width: int | None = None,
    inputs: Collection[Any] = (),
    target: Any = None,
) -> None:
    """Draw the diagram to stdout, or into `path` (through `target` when it was planned)."""
    digits = precision or HUMAN_DIGITS

    def fmt(value: float) -> str:
        return format_number(value, digits)

    picture = output_format in ("svg", "png")
    if path is None:
        if picture:
            out = getattr(term.stdout, "buffer", None)
            if out is None or term.stdout_is_terminal:
                from backtrace.errors import UsageError

                raise UsageError(
                    f"a {output_format} picture is not for the terminal; write it with -o FILE"
                )
            term.stdout.flush()
            _draw(diagram, output_format, out, term, fmt, width, to_terminal=False)
            out.flush()
            return
        to_terminal = bool(term.stdout_is_terminal)
        _draw(diagram, output_format, term.stdout, term, fmt, width, to_terminal=to_terminal)
        term.stdout.flush()
        return
    from backtrace.output import plan

    if target is None:
        streams = {1: term.stdout, 2: term.stderr}
        target = plan(path, inputs=inputs, streams=streams, cwd=term.cwd, binary=picture)
    with target.open() as out:
        _draw(diagram, output_format, out, term, fmt, width, to_terminal=False)


def _draw(
    diagram: Diagram,
    output_format: str,
    out: Any,
    term: Terminal,
    fmt: Any,
    width: int | None,
    *,
    to_terminal: bool,
) -> None:
    if output_format == "dot":
        from backtrace.pictures import dot

        dot.render(diagram, out, fmt=fmt)
    elif output_format in ("svg", "png"):
        from backtrace.pictures.figures import diagram_figure, save

        save(diagram_figure(diagram, fmt), out, output_format)
    else:
        from backtrace.pictures import console

        color = to_terminal and term.wants_color()
        console.render(
            diagram, out, width=term.width(width, to_terminal=to_terminal), color=color, fmt=fmt
        )
