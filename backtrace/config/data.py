"""Training data from a CSV file, streamed row by row into one float64 array.

Rows never become Python lists of floats kept for the whole file: each row's numbers go
straight into a growing array of doubles, so memory stays near 8 bytes a number however
long the file. Lines, cells and rows are bounded (`backtrace.limits`), so a file without
line breaks (/dev/zero), a spreadsheet cell of megabytes or an endless pipe is refused with
its line instead of read to the end.
"""

from __future__ import annotations

import array
import csv
import io
import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from backtrace import limits
from backtrace.config import files
from backtrace.config.checks import did_you_mean
from backtrace.config.files import FileId
from backtrace.errors import ConfigError

FIELD = "data.csv"
BLOCK_LINES = 4096  # lines read and converted together on the quick path


def read_csv(path: Path, as_written: str, width: int, layout: str) -> tuple[np.ndarray, FileId]:
    """The file's samples as a (rows, width) array, and the file's identity; `layout` says
    what a row holds, for the message when one has the wrong number of values.

    The first row that is not blank and not all numbers is taken as a header. Errors name the
    file and the line, counting every line from 1."""
    try:
        stream, identity = files.open_input(str(path), what=as_written, role="the data file")
    except ConfigError as error:
        raise ConfigError(f"cannot read {as_written}: {error.message}", field=FIELD) from None
    with stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        table = _Table(as_written, width, layout)
        try:
            table.read(_bounded_lines(text, as_written, table.chosen.csv_line_chars))
        except UnicodeDecodeError as error:
            raise ConfigError(
                f"{as_written} is not UTF-8 text (near line {table.line + 1}: {error.reason})",
                field=FIELD,
            ) from None
        except OSError as error:
            raise ConfigError(
                f"cannot read {as_written}: {error.strerror or error}", field=FIELD
            ) from None
    return np.frombuffer(table.numbers, dtype=np.float64).reshape(-1, width), identity


class _Table:
    """The numbers read so far, and where reading is.

    Plain blocks of lines (no quotes, every line `width` numbers) take a quick path: split on
    commas and convert in one go. Anything else, and any block the quick path has doubts
    about, goes through the csv module row by row, which gives every message its line."""

    def __init__(self, as_written: str, width: int, layout: str) -> None:
        self.as_written, self.width, self.layout = as_written, width, layout
        self.chosen = limits.active()
        self.numbers = array.array("d")
        self.rows = 0
        self.line = 0  # lines read so far
        self.header_allowed = True

    def read(self, lines: Iterator[str]) -> None:
        first = True
        while True:
            block = list(itertools.islice(lines, BLOCK_LINES))
            if not block:
                return
            if any('"' in line for line in block):
                # A quoted cell may run over several lines, and over the end of this block.
                self.by_row(itertools.chain(block, lines))
                return
            if first or not self.quickly(block):
                self.by_row(iter(block))
            first = False  # the first block goes row by row: it may hold the header

    def quickly(self, block: list[str]) -> bool:
        """Read a block in one go; False, having read nothing, if it needs a closer look."""
        commas = self.width - 1
        if self.rows + len(block) > self.chosen.rows:
            return False
        if any(line.count(",") != commas for line in block):
            return False  # blank lines, wrong widths: row by row says which
        cells = "".join(block).replace("\r\n", "\n").rstrip("\n").replace("\n", ",").split(",")
        if "_" in "".join(cells) or max(map(len, cells)) > self.chosen.number_chars:
            return False
        try:
            values = array.array("d", map(float, cells))
        except ValueError:
            return False
        if not np.isfinite(np.frombuffer(values, dtype=np.float64)).all():
            return False
        self.numbers.extend(values)
        self.rows += len(block)
        self.line += len(block)
        return True

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.as_written} line {self.line + 1}: {message}", field=FIELD)

    def by_row(self, lines: Iterator[str]) -> None:
        start = self.line
        reader = csv.reader(lines, strict=True)
        try:
            for cells in reader:
                self.row(cells)
                self.line = start + reader.line_num
        except csv.Error as error:
            raise self.fail(_csv_problem(str(error))) from None

    def row(self, cells: list[str]) -> None:
        if not cells or all(not cell.strip() for cell in cells):
            return
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            if self.header_allowed:
                self.header_allowed = False
                return
            bad = next(cell for cell in cells if not _is_float(cell))
            raise self.fail(f"every cell must be a number, and {_shown(bad)} is not") from None
        self.header_allowed = False
        if len(values) != self.width:
            raise ConfigError(
                f"{self.as_written} line {self.line + 1} has {len(values)} values but each "
                f"sample needs {self.width}: {self.layout}",
                field=FIELD,
            )
        most = self.chosen.number_chars
        for cell, value in zip(cells, values):
            if not math.isfinite(value) or "_" in cell or len(cell) > most:
                raise self.fail(_why_not_data(cell.strip(), value, most))
        self.rows += 1
        if self.rows > self.chosen.rows:
            raise self.fail(
                f"the file has more than {self.chosen.rows:,} rows, the most data may have"
                + limits.how_to_raise("rows")
            )
        self.numbers.extend(values)


def read_labelled_csv(
    path: Path, as_written: str, inputs: int, target: str, outputs: int
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], FileId]:
    """A CSV file with a header whose `target` column holds class labels: the inputs (every
    other column, in order) as a (rows, inputs) array, each row's class as an index, the
    classes in order, and the file's identity.

    The classes are sorted (numerically when every label is a number), so the same labels
    give the same output units whatever order the rows come in; there must be as many as the
    output layer has units."""
    try:
        stream, identity = files.open_input(str(path), what=as_written, role="the data file")
    except ConfigError as error:
        raise ConfigError(f"cannot read {as_written}: {error.message}", field=FIELD) from None
    chosen = limits.active()
    numbers = array.array("d")
    labels: list[str] = []
    header: list[str] | None = None
    column = 0
    with stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(_bounded_lines(text, as_written, chosen.csv_line_chars), strict=True)

        def fail(message: str) -> ConfigError:
            return ConfigError(f"{as_written} line {reader.line_num}: {message}", field=FIELD)

        try:
            for cells in reader:
                if not cells or all(not cell.strip() for cell in cells):
                    continue
                if header is None:
                    header = [cell.strip() for cell in cells]
                    if target not in header:
                        raise ConfigError(
                            f"{as_written} has no column {target!r} in its header"
                            f"{did_you_mean(target, header)}; its columns are "
                            f"{', '.join(header)}",
                            field="data.target",
                        )
                    column = header.index(target)
                    if len(header) - 1 != inputs:
                        raise ConfigError(
                            f"{as_written} has {len(header) - 1} columns besides {target}, "
                            f"but the network has {inputs} inputs",
                            field="data.target",
                        )
                    continue
                if len(cells) != len(header):
                    raise fail(f"has {len(cells)} cells but the header names {len(header)}")
                values = cells[:column] + cells[column + 1 :]
                try:
                    row = [float(cell) for cell in values]
                except ValueError:
                    bad = next(cell for cell in values if not _is_float(cell))
                    raise fail(f"every input must be a number, and {_shown(bad)} is not") from None
                for cell, value in zip(values, row):
                    if not math.isfinite(value) or "_" in cell or len(cell) > chosen.number_chars:
                        raise fail(_why_not_data(cell.strip(), value, chosen.number_chars))
                if len(labels) >= chosen.rows:
                    raise fail(
                        f"the file has more than {chosen.rows:,} rows, the most data may have"
                        + limits.how_to_raise("rows")
                    )
                numbers.extend(row)
                labels.append(cells[column].strip())
        except csv.Error as error:
            raise fail(_csv_problem(str(error))) from None
        except UnicodeDecodeError as error:
            raise ConfigError(
                f"{as_written} is not UTF-8 text ({error.reason})", field=FIELD
            ) from None
    if header is None:
        raise ConfigError(f"{as_written} holds no header and no samples", field=FIELD)
    found = set(labels)
    numeric = all(_is_float(label) for label in found)
    classes = tuple(sorted(found, key=float if numeric else str))
    if len(classes) != outputs:
        raise ConfigError(
            f"the {target} column of {as_written} holds {len(classes)} classes "
            f"({', '.join(classes[:10])}{', ...' if len(classes) > 10 else ''}), but the output "
            f"layer has {outputs} units; it needs one per class",
            field="data.target",
        )
    index = {label: number for number, label in enumerate(classes)}
    table = np.frombuffer(numbers, dtype=np.float64).reshape(-1, inputs)
    return table, np.array([index[label] for label in labels], dtype=np.intp), classes, identity


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    """Each sample's class as a row of targets: 1 for its class, 0 for the others."""
    return np.eye(classes)[labels]


def _bounded_lines(text: io.TextIOWrapper, as_written: str, limit: int) -> Iterator[str]:
    """The file's lines, refusing one longer than `limit` before reading all of it."""
    number = 0
    while True:
        line = text.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith("\n"):
            raise ConfigError(
                f"{as_written} line {number} is longer than {limit:,} characters",
                field=FIELD,
            )
        yield line


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _shown(cell: str, room: int = 40) -> str:
    return repr(cell if len(cell) <= room else cell[:room] + "…")


def _why_not_data(cell: str, value: float, most: int) -> str:
    if len(cell) > most:
        return f"a number written with {len(cell):,} characters is longer than the {most} allowed"
    if "_" in cell:
        return f"{_shown(cell)} is not a number here; write it without '_'"
    return f"{_shown(cell)}: NaN and infinity are not data"


def _csv_problem(message: str) -> str:
    if "field larger than field limit" in message:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    if "unexpected end of data" in message or "newline inside string" in message:
        return 'a quote (") is opened but never closed'
    if "NUL" in message:
        return "the file holds NUL bytes, so it is not a text file"
    return message
