"""JSON Lines: one record per line, valid JSON only (inf and NaN become null)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from fractions import Fraction
from typing import Any, TextIO

from backtrace import records
from backtrace.renderers.numbers import machine_number
from backtrace.renderers.options import RenderOptions


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


def record_line(record: records.Record, digits: int | None) -> str:
    """The record as one line of JSON; an exact run adds an `exact` object with each value's
    fraction beside the floats."""
    data, exact = json_ready(record.as_dict(), digits)
    if exact:
        data["exact"] = exact
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    digits = options.digits(machine=True)
    for record in stream:
        if not isinstance(record, records.Pause):
            out.write(record_line(record, digits) + "\n")
