"""Renderers: one per output format, all with the signature render(records, out, options).

`FORMATS` is the registry the CLI offers in --format and consults for -o file extensions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from backtrace.errors import UsageError
from backtrace.records import Record
from backtrace.renderers import csv, jsonl, markdown, table, text
from backtrace.renderers.options import RenderOptions

Renderer = Callable[[Iterable[Record], TextIO, RenderOptions], None]


@dataclass(frozen=True)
class Format:
    name: str
    render: Renderer
    extensions: tuple[str, ...]  # file endings that choose this format for -o
    paced: bool  # whether `step` can pause between sections (the output appears as it comes)
    description: str


FORMATS: dict[str, Format] = {
    entry.name: entry
    for entry in (
        Format("table", table.render, (), True, "rich tables"),
        Format("text", text.render, (), True, "the same tables in plain text"),
        Format(
            "jsonl", jsonl.render, (".jsonl", ".ndjson", ".json"), True, "one JSON object per line"
        ),
        # CSV holds each kind's rows until the end, so there is nothing to show between keys.
        Format("csv", csv.render, (".csv",), False, "one table per event kind, with header rows"),
        Format(
            "markdown",
            markdown.render,
            (".md", ".markdown"),
            True,
            "tables and formulas for handouts",
        ),
    )
}


def format_for_path(path: str, default: str) -> str:
    """The format a file name asks for by its ending: `default` (the command's own format)
    for .txt or no ending at all; an ending no format claims is an error."""
    suffix = Path(path).suffix.lower()
    if suffix in ("", ".txt"):
        return default
    for entry in FORMATS.values():
        if suffix in entry.extensions:
            return entry.name
    known = ", ".join(
        sorted({ext for entry in FORMATS.values() for ext in entry.extensions} | {".txt"})
    )
    raise UsageError(
        f"-o {path}: cannot tell the format from {suffix!r} (known: {known}); add --format"
    )


__all__ = ["FORMATS", "Format", "RenderOptions", "Renderer", "format_for_path"]
