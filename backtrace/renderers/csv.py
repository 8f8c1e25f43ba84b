"""CSV: one table per event kind, each with a header row, tables separated by a blank line.

Every row starts with its `event`, so a table says what it holds even when cut out alone.

The first table's rows are written as they come. The other kinds' rows are spooled (to
memory, then to a temporary file past a megabyte) while the trace runs and written out kind
by kind at the end, so long traces do not grow memory. Because a spooling run may write
nothing for a long time, it asks a pipe now and then whether anyone still reads it, so that
`| head -1` ends the run instead of waiting for it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import functools
import os
import select
import stat
import tempfile
import time
import typing
from collections.abc import Iterable
from fractions import Fraction
from typing import IO, TextIO

from backtrace import records
from backtrace.errors import OutputError
from backtrace.formulas.optimizers import OPTIMIZERS
from backtrace.renderers.numbers import machine_number
from backtrace.renderers.options import RenderOptions

# The kinds that become tables, in the order the tables are written.
TABLES: tuple[type[records.Record], ...] = tuple(kind for kind in records.KINDS if kind.csv_table)
SPOOL_BYTES = 1 << 20
READER_CHECK_SECONDS = 0.25  # how often a spooling run asks whether its pipe is still read


@dataclasses.dataclass(frozen=True)
class Layout:
    """What the start record tells about every table: whether numbers are exact (each then
    gets a `<field>_exact` column beside it), and the optimizer's state keys, which become
    columns of the update table."""

    exact: bool = False
    state: tuple[str, ...] = ()

    @classmethod
    def of(cls, start: records.Start) -> Layout:
        keys = OPTIMIZERS[start.optimizer].state_keys(dict(start.settings))
        return cls(start.arithmetic == "exact", keys)


@functools.cache  # asked for every row; the answer never changes
def columns(kind: type[records.Record], layout: Layout = Layout()) -> list[str]:
    """The record's scalar fields; nested terms and name/value pairs stay in JSON Lines, but
    an update's optimizer state has one column per variable."""
    if kind is records.Weights:
        names = ["event", "when", "epoch", "weight", "value"]
    else:
        hints = typing.get_type_hints(kind)
        names = ["event"] + [
            f.name
            for f in dataclasses.fields(kind)
            if typing.get_origin(hints[f.name]) is not tuple
        ]
    names += list(_state(kind, layout))
    if not layout.exact:
        return names
    numeric = _numeric_fields(kind, layout)
    return [column for name in names for column in (name, f"{name}_exact")[: 1 + (name in numeric)]]


def _state(kind: type[records.Record], layout: Layout) -> tuple[str, ...]:
    return layout.state if kind is records.Update else ()


@functools.cache
def _numeric_fields(kind: type[records.Record], layout: Layout) -> frozenset[str]:
    if kind is records.Weights:
        return frozenset({"value"})
    hints = typing.get_type_hints(kind)
    plain = {
        name for name, hint in hints.items() if float in typing.get_args(hint) or hint is float
    }
    return frozenset(plain | set(_state(kind, layout)))


def rows(
    record: records.Record, digits: int | None, layout: Layout = Layout()
) -> list[list[object]]:
    kind = type(record)
    numeric = _numeric_fields(kind, layout) if layout.exact else frozenset()

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
    state = _state(kind, layout)
    plain = columns(kind)[1:]
    held = dict(getattr(record, "state", ())) if state else {}
    return [
        [record.event]
        + [cell for name in plain for cell in cells(name, getattr(record, name))]
        + [cell for name in state for cell in cells(name, held.get(name))]
    ]


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    digits = options.digits(machine=True)
    kinds = [kind for kind in TABLES if options.events is None or kind.event in options.events]
    streamed = kinds[0] if kinds else None  # its table comes first, so it needs no spool
    layout = Layout()  # until the start record says otherwise
    writer = csv.writer(out, lineterminator="\n")
    started = False  # whether the streamed table has its header yet
    reader = _ReaderWatch(out)
    spools: dict[type, IO[str]] = {}
    try:
        for record in stream:
            kind = type(record)
            if isinstance(record, records.Start):
                layout = Layout.of(record)
            if kind is streamed:
                if not started:
                    writer.writerow(columns(kind, layout))
                    started = True
                writer.writerows(rows(record, digits, layout))
            elif kind in kinds:
                _spool(spools, kind, layout).writerows(rows(record, digits, layout))
                reader.check()
        first = not started
        for kind in kinds:
            if kind in spools:
                if not first:
                    out.write("\n")
                first = False
                for chunk in _read_back(spools[kind]):
                    out.write(chunk)
    finally:
        for spool in spools.values():
            with contextlib.suppress(OSError):  # unwritten spool data is thrown away anyway
                spool.close()


def _read_back(spool: IO[str]) -> typing.Iterator[str]:
    """A spool's text, in pieces; its failures (buffered writes reaching a full disk only
    now) are the spool's, not the trace's target's."""
    try:
        spool.seek(0)
        while chunk := spool.read(1 << 16):
            yield chunk
    except OSError as error:
        raise _spool_error(error) from None


def _spool(spools: dict[type, IO[str]], kind: type[records.Record], layout: Layout) -> typing.Any:
    """The CSV writer for a kind's spool, made (with its header row) on first use."""
    try:
        if kind not in spools:
            spools[kind] = tempfile.SpooledTemporaryFile(
                SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
            )
            csv.writer(spools[kind], lineterminator="\n").writerow(columns(kind, layout))
        return _SpoolWriter(spools[kind])
    except OSError as error:
        raise _spool_error(error) from None


class _SpoolWriter:
    """A CSV writer whose failures say that the spool, not the trace's target, failed."""

    def __init__(self, spool: IO[str]) -> None:
        self.spool = spool
        self.writer = csv.writer(spool, lineterminator="\n")

    def writerows(self, table: list[list[object]]) -> None:
        try:
            self.writer.writerows(table)
        except OSError as error:
            raise _spool_error(error) from None


def _spool_error(error: OSError) -> OutputError:
    return OutputError(
        f"cannot hold the CSV tables until the end of the run in {tempfile.gettempdir()}: "
        f"{error.strerror or error} (set TMPDIR to a folder with room)"
    )


class _ReaderWatch:
    """Tells, at most every READER_CHECK_SECONDS, whether the pipe `out` writes to has lost
    its reader; raises BrokenPipeError when it has, as a write would."""

    def __init__(self, out: TextIO) -> None:
        self.fd: int | None = None
        try:
            fd = out.fileno()
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                self.fd = fd
        except (OSError, ValueError, AttributeError):
            pass  # not a pipe, or no descriptor at all: writes will tell
        self.next = time.monotonic() + READER_CHECK_SECONDS

    def check(self) -> None:
        if self.fd is None or time.monotonic() < self.next:
            return
        self.next = time.monotonic() + READER_CHECK_SECONDS
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT)
        for _, events in poller.poll(0):
            if events & (select.POLLERR | select.POLLHUP):
                raise BrokenPipeError(errno.EPIPE, "the reader of the pipe has gone")
