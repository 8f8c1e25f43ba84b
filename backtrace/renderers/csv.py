"""CSV: one table per event kind, each with a header row, tables separated by a blank line.

Every row starts with its `event`, so a table says what it holds even when cut out alone.

Rows of each kind are spooled (to memory, then to a temporary file past a megabyte) while the
trace runs and written out kind by kind at the end, so long traces do not grow memory. Asked
for a single phase's kinds, the renderer streams instead: there is only one table to write.
"""

from __future__ import annotations

import csv
import dataclasses
import tempfile
import typing
from collections.abc import Iterable
from typing import IO, TextIO

from backtrace import records
from backtrace.renderers.numbers import plain_number
from backtrace.renderers.options import RenderOptions

# The kinds that become tables, in the order the tables are written.
TABLES: tuple[type[records.Record], ...] = tuple(kind for kind in records.KINDS if kind.csv_table)
SPOOL_BYTES = 1 << 20


def columns(kind: type[records.Record]) -> list[str]:
    """The record's scalar fields; nested terms and name/value pairs stay in JSON Lines."""
    if kind is records.Weights:
        return ["event", "when", "epoch", "weight", "value"]
    hints = typing.get_type_hints(kind)
    return ["event"] + [
        f.name for f in dataclasses.fields(kind) if typing.get_origin(hints[f.name]) is not tuple
    ]


def rows(record: records.Record, digits: int | None) -> list[list[object]]:
    def value(item: object) -> object:
        if isinstance(item, bool):
            return "true" if item else "false"  # as JSON writes them
        if isinstance(item, float):
            number = plain_number(item, digits)
            return "" if number is None else number
        return "" if item is None else item

    if isinstance(record, records.Weights):
        return [
            [record.event, record.when, record.epoch, name, value(number)]
            for name, number in record.values
        ]
    return [[record.event] + [value(getattr(record, name)) for name in columns(type(record))[1:]]]


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    digits = options.digits(machine=True)
    kinds = [kind for kind in TABLES if options.events is None or kind.event in options.events]
    if len(kinds) == 1:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns(kinds[0]))
        for record in stream:
            if type(record) is kinds[0]:
                writer.writerows(rows(record, digits))
        return
    spools: dict[type, IO[str]] = {}
    try:
        for record in stream:
            kind = type(record)
            if kind not in kinds:
                continue
            if kind not in spools:
                spools[kind] = tempfile.SpooledTemporaryFile(
                    SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
                )
                csv.writer(spools[kind], lineterminator="\n").writerow(columns(kind))
            csv.writer(spools[kind], lineterminator="\n").writerows(rows(record, digits))
        first = True
        for kind in kinds:
            if kind in spools:
                if not first:
                    out.write("\n")
                first = False
                spools[kind].seek(0)
                for chunk in iter(lambda spool=spools[kind]: spool.read(1 << 16), ""):
                    out.write(chunk)
    finally:
        for spool in spools.values():
            spool.close()
