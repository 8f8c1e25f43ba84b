"""JSON Lines: one record per line, valid JSON only (inf and NaN become null).

Float runs take a direct path: each record is written as JSON text straight from its fields,
in one pass, with the field names' text made once per kind and names' quoting cached. Its
output is byte for byte what `json.dumps` gives for `record.as_dict()` with every number as
`plain_number` writes it, which `reference_line` keeps as the definition (and a test holds
the two together). Exact runs, which add the fractions beside the floats, take that
reference path.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Iterable
from fractions import Fraction
from functools import cache
from typing import Any, TextIO

from backtrace import records
from backtrace.numbers import machine_number, rounded_to
from backtrace.renderers.options import RenderOptions

WRITE_CHUNK = 1 << 16  # characters gathered before each write


def json_ready(value: Any, digits: int | None) -> tuple[Any, Any]:
    """Nested data with every number as `machine_number` writes it (non-finite: null), and
    beside it the same shape holding the exact values' text, or None where there are none."""
    if isinstance(value, (float, Fraction)):
        return machine_number(value, digits)
    if isinstance(value, dict):
        pairs = {key: json_ready(item, digits) for key, item in value.items()}
        exact = {key: text for key, (_, text) in pairs.items() if text is not None}
        return {key: plain for key, (plain, _) in pairs.items()}, exact or None
    if isinstance(value, list):
        items = [json_ready(item, digits) for item in value]
        texts = [text for _, text in items]
        return [plain for plain, _ in items], texts if any(t is not None for t in texts) else None
    return value, None


def reference_line(record: records.Record, digits: int | None) -> str:
    """The record as one line of JSON, by definition; an exact run adds an `exact` object with
    each value's fraction beside the floats."""
    data, exact = json_ready(record.as_dict(), digits)
    if exact:
        data["exact"] = exact
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


# -- the direct path --------------------------------------------------------------------------


@cache
def _string(text: str) -> str:
    """A string as JSON writes it (names repeat on every record, so each is quoted once)."""
    return json.dumps(text, ensure_ascii=False)


_WHOLE_LIMIT = float(2**53)  # whole floats below this in size are written as ints


def _number(value: float, digits: int | None) -> str:
    """As `plain_number` then `json.dumps` write it: whole numbers without a point, the
    shortest round-trip text otherwise, null when not finite. An int (a config's `1` in a
    number field) stays as it is."""
    if digits is not None and type(value) is float and math.isfinite(value):
        value = rounded_to(value, digits)
    return _shortest(value)


def _shortest(value: float) -> str:
    """`_number` without a precision, from the text `repr` gives (the hot path: one call per
    number). repr ends in ".0" only for a whole float, and in "f" or "n" only for inf or nan;
    an int's repr is already what JSON writes."""
    text = repr(value)
    if text[-2:] == ".0":
        if -_WHOLE_LIMIT < value < _WHOLE_LIMIT:
            return "0" if text == "-0.0" else text[:-2]
        return text
    if text[-1] in "fn":
        return "null"
    return text


class Encoder:
    """Writes records as JSON text, with a precision (None: exact float64). Each kind's
    fields get a writer chosen once from their types, so a record is one join of texts."""

    def __init__(self, digits: int | None) -> None:
        self.digits = digits
        self.kinds: dict[type, Callable[[Any], str]] = {}

    def record(self, record: records.Record, with_event: bool = True) -> str:
        kind = type(record)
        write = self.kinds.get(kind)
        if write is None:
            write = self.kinds[kind] = self._compile(kind)
        text = write(record)
        return f'{{"event": {_string(kind.event)}, {text}' if with_event else "{" + text

    def _compile(self, kind: type) -> Callable[[Any], str]:
        """One function per kind that writes its fields as a single f-string: the field names
        are known and fixed, so only the values are formatted at run time."""
        hints = records.field_types(kind)
        writers: dict[str, Any] = {}
        parts = []
        for number, field in enumerate(dataclasses.fields(kind)):
            hint = hints[field.name]
            if hint is int:
                value = f"{{record.{field.name}}}"  # an int formats as JSON writes it
            else:
                writers[f"w{number}"] = self._writer(hint, field.name in kind.objects)
                value = f"{{w{number}(record.{field.name})}}"
            key = _string(field.name).replace("{", "{{").replace("}", "}}")
            parts.append(f"{key}: {value}")
        source = "lambda record: f'" + ", ".join(parts).replace("'", "\\'") + "}}'"
        return eval(source, writers)  # noqa: S307 - built from our own field names only

    def _writer(self, hint: Any, as_object: bool = False) -> Callable[[Any], str]:
        """The function that writes a value of this type as JSON text."""
        digits = self.digits
        origin, arguments = typing.get_origin(hint), typing.get_args(hint)
        if hint is bool:
            return lambda value: "true" if value else "false"
        if hint is int:
            return str
        if hint is float:
            return _shortest if digits is None else lambda value: _number(value, digits)
        if hint is str or origin is typing.Literal:
            return _string
        if origin in (typing.Union, types.UnionType):
            inner = self._writer(next(a for a in arguments if a is not type(None)))
            return lambda value: "null" if value is None else inner(value)
        if origin is tuple:
            element = arguments[0]
            if typing.get_origin(element) is tuple and typing.get_args(element)[1] is float:
                return lambda pairs: self._pairs(pairs, as_object)
            item = (
                (lambda value: self.record(value, with_event=False))
                if isinstance(element, type) and issubclass(element, records.Record)
                else self._writer(element)
            )
            return lambda values: "[" + ", ".join([item(value) for value in values]) + "]"
        raise TypeError(f"no JSON writer for {hint}")  # a new field type: teach it here

    def _pairs(self, pairs: tuple, as_object: bool) -> str:
        # (name, number) pairs make an object, as `records._plain` decides (an empty tuple is
        # a list there, unless the kind declares the field an object).
        if not pairs and not as_object:
            return "[]"
        digits = self.digits
        number = _shortest if digits is None else lambda value: _number(value, digits)
        return "{" + ", ".join([f"{_string(name)}: {number(value)}" for name, value in pairs]) + "}"


def line_maker(digits: int | None) -> Callable[[records.Record], str]:
    """Record to JSON text: the direct path, until a start record says the run is exact."""
    encoder = Encoder(digits)
    exact = False

    def line(record: records.Record) -> str:
        nonlocal exact
        if isinstance(record, records.Start):
            exact = record.arithmetic == "exact"  # fractions beside the floats from here on
        return reference_line(record, digits) if exact else encoder.record(record)

    return line


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    line = line_maker(options.digits(machine=True))
    pending: list[str] = []
    size = 0
    for record in stream:
        if isinstance(record, records.Pause):
            out.write("".join(pending))  # a stepper waits after this: show what we hold
            pending, size = [], 0
            continue
        text = line(record) + "\n"
        pending.append(text)
        size += len(text)
        if size >= WRITE_CHUNK:
            out.write("".join(pending))
            pending, size = [], 0
    out.write("".join(pending))
