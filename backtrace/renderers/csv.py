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
from fractions import Fraction
from typing import IO, TextIO

from backtrace import records
from backtrace.formulas.optimizers import OPTIMIZERS
from backtrace.renderers.numbers import machine_number
from backtrace.renderers.options import RenderOptions

# The kinds that become tables, in the order the tables are written.
TABLES: tuple[type[records.Record], ...] = tuple(kind for kind in records.KINDS if kind.csv_table)
SPOOL_BYTES = 1 << 20


def update_state(start: records.Start) -> dict[type, tuple[str, ...]]:
    """The update table's state columns: the keys the run's optimizer declares."""
    return {records.Update: OPTIMIZERS[start.optimizer].state_keys(dict(start.settings))}


def columns(
    kind: type[records.Record], exact: bool = False, state: tuple[str, ...] = ()
) -> list[str]:
    """The record's scalar fields; nested terms and name/value pairs stay in JSON Lines, but
    an update's optimizer state becomes one column per variable (`state`, the run's keys).
    An exact run adds a `<field>_exact` column after each number's."""
    if kind is records.Weights:
        names = ["event", "when", "epoch", "weight", "value"]
    else:
        hints = typing.get_type_hints(kind)
        names = ["event"] + [
            f.name
            for f in dataclasses.fields(kind)
            if typing.get_origin(hints[f.name]) is not tuple
        ]
    names += list(state)
    if not exact:
        return names
    numeric = _numeric_fields(kind) | set(state)
    return [column for name in names for column in (name, f"{name}_exact")[: 1 + (name in numeric)]]


def _numeric_fields(kind: type[records.Record]) -> set[str]:
    if kind is records.Weights:
        return {"value"}
    hints = typing.get_type_hints(kind)
    return {name for name, hint in hints.items() if float in typing.get_args(hint) or hint is float}


def rows(
    record: records.Record, digits: int | None, exact: bool = False, state: tuple[str, ...] = ()
) -> list[list[object]]:
    numeric = (_numeric_fields(type(record)) | set(state)) if exact else set()
    held = dict(getattr(record, "state", ()))

    def cells(name: str, item: object) -> list[object]:
        if isinstance(item, bool):
            return ["true" if item else "false"]  # as JSON writes them
        if isinstance(item, (float, Fraction)):
            number, text = machine_number(item, digits)
            return ["" if number is None else number] + ([text or ""] if name in numeric else [])
        return ["" if item is None else item] + ([""] if name in numeric else [])

    if isinstance(record, records.Weights):
        return [
            [record.event, record.when, record.epoch, name, *cells("value", number)]
            for name, number in record.values
        ]
    plain = columns(type(record))[1:]
    return [
        [record.event]
        + [cell for name in plain for cell in cells(name, getattr(record, name))]
        + [cell for name in state for cell in cells(name, held.get(name))]
    ]


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    digits = options.digits(machine=True)
    kinds = [kind for kind in TABLES if options.events is None or kind.event in options.events]
    exact = False  # the start record says, before any table is written
    state: dict[type, tuple[str, ...]] = {}  # per kind: the optimizer's state columns
    if len(kinds) == 1:
        writer = csv.writer(out, lineterminator="\n")
        header_written = False
        for record in stream:
            if isinstance(record, records.Start):
                exact, state = record.arithmetic == "exact", update_state(record)
            if type(record) is kinds[0]:
                extra = state.get(kinds[0], ())
                if not header_written:
                    writer.writerow(columns(kinds[0], exact, extra))
                    header_written = True
                writer.writerows(rows(record, digits, exact, extra))
        if not header_written:
            writer.writerow(columns(kinds[0], exact, state.get(kinds[0], ())))
        return
    spools: dict[type, IO[str]] = {}
    try:
        for record in stream:
            kind = type(record)
            if isinstance(record, records.Start):
                exact, state = record.arithmetic == "exact", update_state(record)
            if kind not in kinds:
                continue
            extra = state.get(kind, ())
            if kind not in spools:
                spools[kind] = tempfile.SpooledTemporaryFile(
                    SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
                )
                csv.writer(spools[kind], lineterminator="\n").writerow(columns(kind, exact, extra))
            csv.writer(spools[kind], lineterminator="\n").writerows(
                rows(record, digits, exact, extra)
            )
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
