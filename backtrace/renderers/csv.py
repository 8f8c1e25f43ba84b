"""CSV, in two shapes.

`render` writes one table that pandas and spreadsheets read as it is: the header is `event`
and then every column of every kind of record the trace may hold, in one long table, rows in
the trace's order, each row's cells under its kind's columns and the others empty. The
`event` column says which kind (which table) each row belongs to:
`pandas.read_csv(f).query("event == 'update'").dropna(axis=1, how="all")` is the update table.

`render_tables` writes one table per event kind, each with its own header row, separated by
blank lines: what `-o DIR/` cuts into DIR/forward.csv, DIR/update.csv ... Every row starts
with its `event`, so a table says what it holds even when cut out alone.

In `render_tables`, the first table's rows are written as they come. The other kinds' rows are spooled (to
memory, then to a temporary file past a megabyte) while the trace runs and written out kind
by kind at the end, so long traces do not grow memory. Because a spooling run may write
nothing for a long time, it asks a pipe now and then whether anyone still reads it, so that
`| head -1` ends the run instead of waiting for it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import io
import tempfile
import typing
from collections.abc import Iterable
from fractions import Fraction
from typing import IO, TextIO

from backtrace import records
from backtrace.errors import OutputError
from backtrace.formulas.optimizers import OPTIMIZERS
from backtrace.frozen import frozen
from backtrace.numbers import machine_number, plain_number
from backtrace.renderers.options import RenderOptions
from backtrace.terminal import ReaderWatch

# The kinds that become tables, in the order the tables are written.
TABLES: tuple[type[records.Record], ...] = tuple(kind for kind in records.KINDS if kind.csv_table)
SPOOL_BYTES = 1 << 20


@frozen
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
        hints = records.field_types(kind)
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
    hints = records.field_types(kind)
    plain = {
        name for name, hint in hints.items() if float in typing.get_args(hint) or hint is float
    }
    return frozenset(plain | set(_state(kind, layout)))


def rows(
    record: records.Record, digits: int | None, layout: Layout = Layout()
) -> list[list[object]]:
    """The record's rows of cells (a `weights` record has one row per weight)."""
    return _row_maker(type(record), layout, digits)(record)


@functools.cache
def _row_maker(
    kind: type[records.Record], layout: Layout, digits: int | None
) -> typing.Callable[[records.Record], list[list[object]]]:
    """The function that turns a record of this kind into rows, made once per kind."""
    return _exact_rows(kind, layout, digits) if layout.exact else _float_rows(kind, layout, digits)


def _float_rows(
    kind: type[records.Record], layout: Layout, digits: int | None
) -> typing.Callable[[records.Record], list[list[object]]]:
    """Rows of a float64 run, from one expression per kind: each field's cell is written as its
    type says (the field names are known and fixed), so a row is one list display."""

    def number(value: object) -> object:
        if type(value) is float:
            written = plain_number(value, digits)
            return "" if written is None else written
        return "" if value is None else value  # an int from the config stays as written

    def blank(value: object) -> object:
        return "" if value is None else value

    helpers = {"number": number, "blank": blank}
    if kind is records.Weights:
        return lambda record: [
            [record.event, record.when, record.epoch, name, number(value)]
            for name, value in record.values
        ]
    hints = records.field_types(kind)
    cells = [repr(kind.event)]
    for name in columns(kind)[1:]:
        hint, field = hints[name], f"record.{name}"
        if hint is bool:
            cells.append(f"('true' if {field} else 'false')")  # as JSON writes them
        elif hint is float or float in typing.get_args(hint):
            cells.append(f"number({field})")
        elif hint in (int, str) or typing.get_origin(hint) is typing.Literal:
            cells.append(field)
        else:
            cells.append(f"blank({field})")
    state = _state(kind, layout)
    if state:
        cells += [f"number(held.get({name!r}))" for name in state]
        source = f"lambda record, held=None: [[{', '.join(cells)}]]"
        with_held = eval(source, helpers)  # noqa: S307 - built from our own field names only
        return lambda record: with_held(record, dict(getattr(record, "state", ())))
    return eval(f"lambda record: [[{', '.join(cells)}]]", helpers)  # noqa: S307 - as above


def _exact_rows(
    kind: type[records.Record], layout: Layout, digits: int | None
) -> typing.Callable[[records.Record], list[list[object]]]:
    """Rows of an exact run: each number's float, then its fraction in a `_exact` column."""
    numeric = _numeric_fields(kind, layout)

    def cells(name: str) -> typing.Callable[[object], list[object]]:
        exact_column = name in numeric  # a `<name>_exact` column follows this one

        def write(item: object) -> list[object]:
            if isinstance(item, bool):
                return ["true" if item else "false"]  # as JSON writes them
            if isinstance(item, (float, Fraction)):
                number, text = machine_number(item, digits)
                return ["" if number is None else number] + ([text or ""] if exact_column else [])
            return ["" if item is None else item] + ([""] if exact_column else [])

        return write

    if kind is records.Weights:
        value = cells("value")
        return lambda record: [
            [record.event, record.when, record.epoch, name, *value(number)]
            for name, number in record.values
        ]
    event = kind.event
    plain = [(name, cells(name)) for name in columns(kind)[1:]]
    state = [(name, cells(name)) for name in _state(kind, layout)]

    def make(record: records.Record) -> list[list[object]]:
        held = dict(getattr(record, "state", ())) if state else {}
        return [
            [event]
            + [cell for name, write in plain for cell in write(getattr(record, name))]
            + [cell for name, write in state for cell in write(held.get(name))]
        ]

    return make


def long_columns(kinds: Iterable[type[records.Record]], layout: Layout) -> list[str]:
    """The long table's header: `event`, then each kind's columns not named before, in the
    order of TABLES (a column shared by several kinds, such as `epoch`, appears once)."""
    header: list[str] = []
    for kind in kinds:
        header += [name for name in columns(kind, layout) if name not in header]
    return header


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    """One long table: a row per record (a weight per row for weights), as they come."""
    digits = options.digits(machine=True)
    kinds = [kind for kind in TABLES if options.events is None or kind.event in options.events]
    layout = Layout()  # until the start record says otherwise
    writer = csv.writer(out, lineterminator="\n")
    header: list[str] | None = None
    places: dict[type, tuple[list[int], typing.Callable[[records.Record], list[list[object]]]]]
    places = {}
    for record in stream:
        kind = type(record)
        if kind is records.Start:
            layout = Layout.of(typing.cast(records.Start, record))
            places = {}  # the columns follow the layout
        if kind not in kinds:
            continue
        if header is None:  # the first row to write: the start record has come, if any
            header = long_columns(kinds, layout)
            writer.writerow(header)
        if kind not in places:
            position = {name: index for index, name in enumerate(header)}
            places[kind] = (
                [position[name] for name in columns(kind, layout)],
                _row_maker(kind, layout, digits),
            )
        indices, make = places[kind]
        for cells in make(record):
            row: list[object] = [""] * len(header)
            for index, cell in zip(indices, cells):
                row[index] = cell
            writer.writerow(row)
    if header is None and kinds:  # no rows: the header still says what the table holds
        writer.writerow(long_columns(kinds, layout))


def render_tables(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    """One table per event kind, each with its header, separated by blank lines."""
    digits = options.digits(machine=True)
    kinds = [kind for kind in TABLES if options.events is None or kind.event in options.events]
    streamed = kinds[0] if kinds else None  # its table comes first, so it needs no spool
    layout = Layout()  # until the start record says otherwise
    writer = csv.writer(out, lineterminator="\n")
    started = False  # whether the streamed table has its header yet
    reader = ReaderWatch(out)
    spools: dict[type, _SpoolWriter] = {}
    makers: dict[type, typing.Callable[[records.Record], list[list[object]]]] = {}
    try:
        for record in stream:
            kind = type(record)
            if kind is records.Start:
                layout = Layout.of(typing.cast(records.Start, record))
                makers = {}  # the columns follow the layout
            if kind not in makers:
                makers[kind] = _row_maker(kind, layout, digits)
            if kind is streamed:
                if not started:
                    writer.writerow(columns(kind, layout))
                    started = True
                writer.writerows(makers[kind](record))
            elif kind in kinds:
                _spool(spools, kind, layout).writerows(makers[kind](record))
                reader.check()
        first = not started
        for kind in kinds:
            if kind in spools:
                if not first:
                    out.write("\n")
                first = False
                spools[kind].flush()
                for chunk in _read_back(spools[kind].spool):
                    out.write(chunk)
    finally:
        for writer in spools.values():
            with contextlib.suppress(OSError):  # unwritten spool data is thrown away anyway
                writer.spool.close()


def _read_back(spool: IO[str]) -> typing.Iterator[str]:
    """A spool's text, in pieces; its failures (buffered writes reaching a full disk only
    now) are the spool's, not the trace's target's."""
    try:
        spool.seek(0)
        while chunk := spool.read(1 << 16):
            yield chunk
    except OSError as error:
        raise _spool_error(error) from None


def _spool(
    spools: dict[type, _SpoolWriter], kind: type[records.Record], layout: Layout
) -> _SpoolWriter:
    """The CSV writer for a kind's spool, made (with its header row) on first use."""
    if kind not in spools:
        try:
            spool = tempfile.SpooledTemporaryFile(
                SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
            )
        except OSError as error:
            raise _spool_error(error) from None
        spools[kind] = _SpoolWriter(spool)
        spools[kind].writerows([columns(kind, layout)])
    return spools[kind]


class _SpoolWriter:
    """A CSV writer whose failures say that the spool, not the trace's target, failed. Rows
    are gathered and written a thousand at a time, since each write to a spool costs more
    than making a row."""

    GATHERED_ROWS = 1024

    def __init__(self, spool: IO[str]) -> None:
        self.spool = spool
        self.pending: list[list[object]] = []

    def writerows(self, table: list[list[object]]) -> None:
        self.pending += table
        if len(self.pending) >= self.GATHERED_ROWS:
            self.flush()

    def flush(self) -> None:
        gathered = io.StringIO()
        csv.writer(gathered, lineterminator="\n").writerows(self.pending)
        self.pending = []
        try:
            self.spool.write(gathered.getvalue())
        except OSError as error:
            raise _spool_error(error) from None


def _spool_error(error: OSError) -> OutputError:
    return OutputError(
        f"cannot hold the CSV tables until the end of the run in {tempfile.gettempdir()}: "
        f"{error.strerror or error} (set TMPDIR to a folder with room)"
    )
