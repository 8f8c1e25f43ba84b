"""A student's answers: a small CSV, YAML or JSON file of name, value pairs, read into
typed answers. Names are the network's own in a student's words (`h_Z1`, `z_Z1`,
`delta_D0`, `W10_new`, `grad_W10`, `loss`); a bare weight's name means its new value, a
bare unit's name its output z. A `backtrace quiz` key (JSON or CSV) is read as answers too.

Every problem is a ConfigError naming the file, the line where it is known, and the entry.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from backtrace.config.files import decode, open_input, read_bounded
from backtrace.config.loading import load_yaml
from backtrace.errors import ConfigError
from backtrace.frozen import frozen

MAX_ANSWERS = 10_000
ANSWER_BYTES = 1 << 20  # a class's answers fit many times over
# The words a student may use for each quantity, before or after the name's underscore.
QUANTITY_WORDS = {
    "h": "h", "z": "z", "out": "z", "net": "h",
    "delta": "delta", "δ": "delta", "d": "delta",
    "grad": "grad", "gradient": "grad", "J": "grad", "dW": "grad",
    "new": "new", "updated": "new",
}  # fmt: skip
LOSS_WORDS = ("loss", "L", "E", "error")
NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


@frozen
class Answer:
    name: str  # as the student wrote it
    quantity: str  # h, z, loss, delta, grad, new
    subject: str | None  # the unit or weight
    value: float
    text: str  # the number as written, which tells how many digits were given
    sample: int
    epoch: int
    line: int | None  # where in the file


def key_settings(path: str, shown_as: str | None = None) -> dict[str, Any]:
    """What a `backtrace quiz` JSON key says about the numbers it was made with (the seed the
    weights were drawn with, the slips); {} for any other answers file."""
    if Path(path).suffix.lower() != ".json":
        return {}
    text = _read(path, shown_as or path)
    try:
        data = json.loads(text)
    except ValueError:
        return {}  # read_answers says what is wrong with it
    if not (isinstance(data, dict) and data.get("key") == "backtrace quiz"):
        return {}
    return {name: data[name] for name in ("weights_seed", "slips") if name in data}


def _read(path: str, where: str) -> str:
    stream, _ = open_input(path, what=where, role="the answers")
    with stream:  # read as far as the limit and no further, even from a pipe
        return decode(read_bounded(stream, ANSWER_BYTES, where, "an answer file"), where)


def decimals_written(text: str) -> int | None:
    """The decimal place of the last digit written: 3 for 0.593, 0 for 4, -2 for 4e2 (in
    hundreds), 7 for 1.25e-5. None for a fraction, which is exact."""
    if "/" in text:
        return None
    mantissa, _, exponent = text.strip().lower().partition("e")
    places = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return places - (int(exponent) if exponent else 0)


def resolve(name: str, units: Sequence[str], weights: Sequence[str]) -> tuple[str, str | None]:
    """(quantity, subject) for a student's name, or a ValueError saying what was expected."""
    cleaned = name.strip()
    if cleaned in LOSS_WORDS:
        return "loss", None
    if cleaned in weights:
        return "new", cleaned
    if cleaned in units:
        return "z", cleaned
    readings = []  # (quantity, subject): h_Z1, delta_D0, grad_W10, J(W10), W10_new, W1_11_new
    for word, quantity in QUANTITY_WORDS.items():
        for separator in ("_", " ", "(", "'"):
            if cleaned.startswith(word + separator):
                readings.append((quantity, cleaned[len(word) + 1 :].strip().rstrip(")")))
            if cleaned.endswith(separator + word):
                readings.append((quantity, cleaned[: -len(word) - 1].strip()))
    for quantity, subject in readings:
        if subject in (weights if quantity in ("grad", "new") else units):
            return quantity, subject
    if readings:
        quantity, subject = readings[0]
        kind = "weight" if quantity in ("grad", "new") else "unit"
        known = weights if kind == "weight" else units
        raise ValueError(f"{subject!r} is not a {kind} of this network; its {kind}s are "
                         f"{', '.join(known[:12])}{' ...' if len(known) > 12 else ''}")  # fmt: skip
    raise ValueError(
        "is not a name this network has: write h_Z1, z_Z1, delta_D0, grad_W10, W10_new (or "
        "just W10), or loss"
    )


def read_answers(
    path: str,
    *,
    units: Sequence[str],
    weights: Sequence[str],
    sample: int,
    epoch: int,
    shown_as: str | None = None,
) -> list[Answer]:
    """The answers in the file at `path`, each resolved to a quantity of the network."""
    where = shown_as or path
    text = _read(path, where)
    suffix = Path(path).suffix.lower()
    rows = _csv_rows(text, where) if suffix == ".csv" else _document_rows(text, where, suffix)
    if not rows:
        raise ConfigError("holds no answers: write one name, value pair per line", source=where)
    if len(rows) > MAX_ANSWERS:
        raise ConfigError(f"holds {len(rows):,} answers, more than the {MAX_ANSWERS:,} a "
                          "grade takes", source=where)  # fmt: skip
    answers = []
    for number, (name, value, row_sample, row_epoch, line) in enumerate(rows, start=1):
        field = f"answer {number} ({name})" if isinstance(name, str) else f"answer {number}"
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("needs a name", source=where, field=field, line=line)
        try:
            quantity, subject = resolve(name, units, weights)
        except ValueError as error:
            raise ConfigError(str(error), source=where, field=field, line=line) from None
        written, parsed = _number(value)
        if value is None or value == "":
            raise ConfigError("has no value", source=where, field=field, line=line)
        if parsed is None or not math.isfinite(parsed):
            raise ConfigError(f"{value!r} is not a finite number", source=where, field=field,
                              line=line)  # fmt: skip
        answers.append(
            Answer(name.strip(), quantity, subject, parsed, written,
                   _whole(row_sample, sample, where, field, line),
                   _whole(row_epoch, epoch, where, field, line), line)
        )  # fmt: skip
    return answers


def _number(value: Any) -> tuple[str, float | None]:
    if isinstance(value, bool):
        return str(value), None
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
        return text, float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if NUMBER.match(text):
            return text, float(text)
        if re.match(r"^[-+]?\d+/\d+$", text) and not text.endswith("/0"):
            return text, float(Fraction(text))
    return str(value), None


def _whole(value: Any, default: int, where: str, field: str, line: int | None) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"sample and epoch are whole numbers from 1, not {value!r}",
                          source=where, field=field, line=line)  # fmt: skip
    return number


Row = tuple[Any, Any, Any, Any, int | None]


def _csv_rows(text: str, where: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ConfigError(f"cannot be read as CSV: {error}", source=where,
                          line=reader.line_num) from None  # fmt: skip
    if not lines:
        return []
    header = [cell.strip().lower() for cell in lines[0][1]]
    if "name" not in header or "value" not in header:
        raise ConfigError("needs a header row with name and value columns (sample and epoch "
                          "may follow)", source=where, line=lines[0][0])  # fmt: skip
    at = {column: header.index(column) for column in header}

    def cell(row: list[str], column: str) -> Any:
        index = at.get(column)
        return row[index] if index is not None and index < len(row) else None

    return [
        (cell(row, "name"), cell(row, "value"), cell(row, "sample"), cell(row, "epoch"), line)
        for line, row in lines[1:]
    ]


def _document_rows(text: str, where: str, suffix: str) -> list[Row]:
    try:
        data = json.loads(text) if suffix == ".json" else load_yaml(text)
    except (ValueError, ConfigError) as error:
        message = error.message if isinstance(error, ConfigError) else str(error)
        raise ConfigError(f"cannot be read: {message}", source=where) from None
    if isinstance(data, dict) and isinstance(data.get("blanks"), list):  # a quiz key
        data = data["blanks"]
    if isinstance(data, dict):
        return [(name, value, None, None, None) for name, value in data.items()]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return [
            (item.get("name"), item.get("value"), item.get("sample"), item.get("epoch"), None)
            for item in data
        ]
    raise ConfigError(
        "needs name: value pairs, or a list of {name, value, sample} entries", source=where
    )
