"""CSV as one file per table, for spreadsheets and pandas, which read one table per file.

The CSV renderer's `render_tables` writes every table into one stream, each with its header
row, separated by blank lines (stdout's CSV is one long table instead). Here that stream goes to a temporary file, and is then read back with the csv
module (so that a quoted note running over several lines stays one cell) and cut into
DIR/forward.csv, DIR/delta.csv ...: one file per event kind, each written whole.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TextIO

from backtrace.config.files import FileId
from backtrace.errors import OutputError
from backtrace.frozen import frozen
from backtrace.output import Target, no_room, plan


def is_folder_target(path: str, cwd: str | os.PathLike, *, csv: bool) -> bool:
    """Whether -o names a folder to fill: it ends in a slash, or (when CSV was asked for
    by name) it is a folder already. Otherwise an existing folder stays an error."""
    if path.endswith(("/", os.sep)):
        return True
    return csv and os.path.isdir(os.path.join(cwd, path))


def tables(text: TextIO) -> Iterator[tuple[str, list[list[str]]]]:
    """Each table of the combined CSV: its event name and its rows, header first."""
    rows: list[list[str]] = []
    for row in csv.reader(text):
        if not row:
            if len(rows) > 1:
                yield rows[1][0], rows
            rows = []
        else:
            rows.append(row)
    if len(rows) > 1:
        yield rows[1][0], rows


@frozen
class TablePlan:
    """The folder -o DIR/ fills, and each table file it may write, checked before any is."""

    folder: str
    where: str
    targets: dict[str, Target]  # by event name

    @property
    def all(self) -> list[Target]:
        return list(self.targets.values())


def plan_tables(
    folder: str,
    events: Collection[str] | None = None,
    *,
    inputs: Collection[FileId] = (),
    streams: Mapping[int, TextIO] | None = None,
    cwd: str | os.PathLike = ".",
) -> TablePlan:
    """Check the folder and every table the run may write into it (those of `events`, or
    all): a table under a link's name, a read-only one, or a file the run reads is refused
    here, before a single table is written."""
    from backtrace.records import KINDS

    where = os.path.join(cwd, folder)
    _check_room_for_folder(folder, where)
    names = [
        kind.event
        for kind in KINDS
        if kind.csv_table and (events is None or kind.event in events)
    ]
    targets = {
        event: plan(
            os.path.join(folder, f"{event}.csv"),
            inputs=inputs,
            streams=streams,
            cwd=cwd,
            in_folder=True,
        )
        for event in names
    }
    return TablePlan(folder, where, targets)


def _check_room_for_folder(folder: str, where: str) -> None:
    """The folder exists, or its nearest existing parent is a folder it can be made in."""
    existing = os.path.abspath(where)
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise OutputError(f"cannot write tables into {folder}: it is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {folder}: {os.strerror(errno.EACCES)}")
    if no_room(existing):
        raise OutputError(f"cannot write {folder}: {os.strerror(errno.ENOSPC)}")


def write_tables(render: Callable[[TextIO], None], planned: TablePlan) -> list[str]:
    """Render the CSV once, then write each of its tables to FOLDER/<event>.csv; the
    folder is made if it does not exist. Every table is written in full before any takes
    its place. Returns the files written, as the user named them."""
    try:
        os.makedirs(planned.where, exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"cannot write tables into {planned.folder}: it is a file, not a folder"
        ) from None
    except OSError as error:
        raise OutputError(f"cannot write {planned.folder}: {error.strerror or error}") from None
    written = []
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as combined:
        render(combined)
        combined.seek(0)
        with contextlib.ExitStack() as opened:  # each file is put in place as the stack ends
            for event, rows in tables(combined):
                target = planned.targets.get(event)
                if target is None:
                    raise OutputError(f"cannot write {planned.folder}: no plan for {event}.csv")
                out = opened.enter_context(target.open())
                csv.writer(out, lineterminator="\n").writerows(rows)
                written.append(target.path)
    return written


def earlier_tables(
    folder: str, written: Collection[str], cwd: str | os.PathLike = "."
) -> list[str]:
    """Tables in FOLDER that this run did not write (another run's, or another command's):
    they are left alone, but a reader should know that they do not belong to this trace."""
    from backtrace.records import KINDS

    tables = {f"{kind.event}.csv" for kind in KINDS if kind.csv_table}
    names = {os.path.basename(name) for name in written}
    try:
        present = os.listdir(os.path.join(cwd, folder))
    except OSError:
        return []
    return sorted(name for name in present if name in tables and name not in names)
