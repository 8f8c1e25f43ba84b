"""Markdown: the same tables as the terminal view, as text a teacher can paste into a handout.
With `math`, the arithmetic is written as $...$ math, which GitHub and Jupyter typeset."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from backtrace import records
from backtrace.expressions.latex import MarkdownMathPrinter
from backtrace.numbers import NumberFormatter
from backtrace.renderers import layout
from backtrace.renderers.options import RenderOptions


def cell(text: str) -> str:
    """Table cell text: pipes escaped, line breaks as <br>."""
    return text.replace("|", "\\|").replace("\n", "<br>")


def markdown(block: layout.Block) -> str:
    if isinstance(block, layout.Banner):
        return f"# {block.title}\n\n" + "".join(f"- {line}\n" for line in block.lines)
    if isinstance(block, layout.Remark):
        return f"> **{block.title}.** {block.text}\n"
    if isinstance(block, layout.Heading):
        return f"{'#' * block.level} {block.text}\n"
    if isinstance(block, layout.Line):
        text = f"**{block.text}**" if block.strong else block.text
        return f"{text}\n" + footnotes(block.notes)
    title = f"**{block.title}**\n\n" if block.title else ""
    align = ["---"] + ["---:" if block.matrix else "---"] * (len(block.columns) - 1)
    lines = [
        "| " + " | ".join(cell(column) for column in block.columns) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(cell(text) for text in row) + " |" for row in block.rows),
    ]
    return title + "\n".join(lines) + "\n" + footnotes(block.notes)


def footnotes(notes: tuple[str, ...]) -> str:
    if not notes:
        return ""
    return "\n" + "".join(f"{number}. {note}\n" for number, note in enumerate(notes, start=1))


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    fmt = NumberFormatter(options.digits(machine=False))
    printer = MarkdownMathPrinter(fmt) if options.math else None
    for number, block in enumerate(layout.blocks(stream, fmt, printer, options.blanks)):
        out.write(("\n" if number else "") + markdown(block))
