"""CSV as one file per table, for spreadsheets and pandas, which read one table per file.

The CSV renderer writes every table into one stream, each with its header row, separated by
blank lines. Here that stream goes to a temporary file, and is then read back with the csv
module (so that a quoted note running over several lines stays one cell) and cut into
DIR/forward.csv, DIR/delta.csv ...: one file per event kind, each written whole.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TextIO

from backtrace.config.files import FileId
from backtrace.errors import OutputError
from backtrace.output import output_file


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


def write_tables(
    render: Callable[[TextIO], None],
    folder: str,
    *,
    inputs: Collection[FileId] = (),
    streams: Mapping[int, TextIO] | None = None,
    cwd: str | os.PathLike = ".",
) -> list[str]:
    """Render the CSV once, then write each of its tables to FOLDER/<event>.csv; the
    folder is made if it does not exist. Returns the files written, as the user named them."""
    where = os.path.join(cwd, folder)
    try:
        os.makedirs(where, exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"cannot write tables into {folder}: it is a file, not a folder"
        ) from None
    except OSError as error:
        raise OutputError(f"cannot write {folder}: {error.strerror or error}") from None
    written = []
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as combined:
        render(combined)
        combined.seek(0)
        for event, rows in tables(combined):
            name = os.path.join(folder, f"{event}.csv")
            with output_file(name, inputs=inputs, streams=streams, cwd=cwd) as out:
                csv.writer(out, lineterminator="\n").writerows(rows)
            written.append(name)
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
