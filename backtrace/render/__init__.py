"""Renderers: one per output format, all with the signature render(records, out, options)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from backtrace.engine.records import Record
from backtrace.render import jsonl, table
from backtrace.render.options import RenderOptions

Renderer = Callable[[Iterable[Record], TextIO, RenderOptions], None]

RENDERERS: dict[str, Renderer] = {
    "table": table.render,
    "jsonl": jsonl.render,
}

__all__ = ["RENDERERS", "RenderOptions", "Renderer"]
