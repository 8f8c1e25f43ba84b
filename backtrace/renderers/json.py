"""JSON: the whole trace as one document, a list of the records that JSON Lines writes one
per line, so that `json.load` reads it back. Records are written as they come."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from backtrace import records
from backtrace.renderers.jsonl import line_maker
from backtrace.renderers.options import RenderOptions


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    line = line_maker(options.digits(machine=True))
    separator = "[\n"
    for record in stream:
        if not isinstance(record, records.Pause):
            out.write(separator + line(record))
            separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")
