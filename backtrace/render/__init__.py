"""Renderers: one per output format, all with the signature render(records, out, options).

`FORMATS` is the registry the CLI offers in --format and consults for -o file extensions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TextIO

from backtrace.engine.records import Record
from backtrace.render import csv, jsonl, markdown, table, text
from backtrace.render.options import RenderOptions

Renderer = Callable[[Iterable[Record], TextIO, RenderOptions], None]


@dataclass(frozen=True)
class Format:
    name: str
    render: Renderer
    extensions: tuple[str, ...]  # file endings that choose this format for -o
    piece: Literal["record", "section"] | None  # what `step` shows between keys; None: no pacing
    description: str


FORMATS: dict[str, Format] = {
    entry.name: entry
    for entry in (
        Format("table", table.render, (".txt",), "section", "rich tables"),
        Format("text", text.render, (), "record", "plain blocks laid out like worked arithmetic"),
        Format(
            "jsonl",
            jsonl.render,
            (".jsonl", ".ndjson", ".json"),
            "record",
            "one JSON object per line",
        ),
        Format(
            "csv", csv.render, (".csv",), "record", "one table per event kind, with header rows"
        ),
        Format(
            "markdown",
            markdown.render,
            (".md", ".markdown"),
            "section",
            "tables and formulas for handouts",
        ),
    )
}


def format_for_path(path: str) -> str | None:
    """The format a file name asks for by its ending, if any."""
    lowered = path.lower()
    for entry in FORMATS.values():
        if lowered.endswith(entry.extensions):
            return entry.name
    return None


__all__ = ["FORMATS", "Format", "RenderOptions", "Renderer", "format_for_path"]
