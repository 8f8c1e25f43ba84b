"""Renderers: one per output format, all with the signature render(records, out, options).

`FORMATS` is the registry the CLI offers in --format and consults for -o file extensions.
Each format names its module rather than holding it, so that `--help` and commands that
write nothing do not import rich or any renderer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from backtrace.errors import UsageError
from backtrace.frozen import frozen

if TYPE_CHECKING:
    from backtrace.records import Record
    from backtrace.renderers.options import RenderOptions

Renderer = Callable[[Iterable["Record"], TextIO, "RenderOptions"], None]
PLAIN_EXTENSIONS = ("", ".txt")  # file endings that leave the choice to the command


@frozen
class Format:
    name: str
    module: str  # the module in backtrace.renderers that holds its `render`
    extensions: tuple[str, ...]  # file endings that choose this format for -o
    paced: bool  # whether `step` can pause between sections (the output appears as it comes)
    description: str

    @property
    def render(self) -> Renderer:
        return importlib.import_module(f"backtrace.renderers.{self.module}").render


FORMATS: dict[str, Format] = {
    entry.name: entry
    for entry in (
        Format("table", "table", (), True, "rich tables"),
        Format("text", "text", (), True, "the same tables in plain text"),
        Format("jsonl", "jsonl", (".jsonl", ".ndjson"), True, "one JSON object per line"),
        Format("json", "json", (".json",), True, "one JSON document: a list of the records"),
        # CSV holds each kind's rows until the end, so there is nothing to show between keys.
        Format("csv", "csv", (".csv",), False, "one long table (an event column names each row's kind); -o DIR/ writes one file per table"),
        Format(
            "markdown", "markdown", (".md", ".markdown"), True, "tables and formulas for handouts"
        ),
        Format("latex", "latex", (".tex",), True, "a LaTeX handout, ready for pdflatex"),
        # The page holds every piece at once, to step back and forth in the browser.
        Format("html", "html", (".html", ".htm"), False, "one page that steps through the trace"),
    )
}


def format_for_path(path: str, default: str) -> str:
    """The format a file name asks for by its ending: `default` (the command's own format)
    for .txt or no ending at all; an ending no format claims is an error."""
    suffix = Path(path).suffix.lower()
    if suffix in PLAIN_EXTENSIONS:
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


def chosen_format(requested: str | None, path: str | None, default: str) -> str:
    """The format to write: --format if given, else the -o file's ending, else `default`.
    A --format that another format's file ending contradicts is an error, so that CSV never
    lands in a file called trace.md."""
    if path is None:
        return requested or default
    if requested is None:
        return format_for_path(path, default)
    suffix = Path(path).suffix.lower()
    claimed_by = [entry.name for entry in FORMATS.values() if suffix in entry.extensions]
    if claimed_by and requested not in claimed_by:
        raise UsageError(
            f"--format {requested} contradicts -o {path}, whose ending {suffix} means "
            f"{claimed_by[0]}; change the file name or drop --format"
        )
    return requested


def __getattr__(name: str) -> Any:
    if name == "RenderOptions":  # kept importable from here, without importing it up front
        from backtrace.renderers.options import RenderOptions

        return RenderOptions
    raise AttributeError(f"module 'backtrace.renderers' has no attribute {name!r}")


__all__ = ["FORMATS", "Format", "RenderOptions", "Renderer", "chosen_format", "format_for_path"]
