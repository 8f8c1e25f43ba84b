"""JSON Lines: one record per line, valid JSON only (inf and NaN become null)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from backtrace import records
from backtrace.renderers.numbers import plain_number
from backtrace.renderers.options import RenderOptions


def json_ready(value: Any, digits: int | None) -> Any:
    """Every float in nested data as `plain_number` writes it (non-finite: null)."""
    if isinstance(value, float):
        return plain_number(value, digits)
    if isinstance(value, dict):
        return {key: json_ready(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item, digits) for item in value]
    return value


def record_line(record: records.Record, digits: int | None) -> str:
    return json.dumps(json_ready(record.as_dict(), digits), ensure_ascii=False, allow_nan=False)


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    digits = options.digits(machine=True)
    for record in stream:
        if not isinstance(record, records.Pause):
            out.write(record_line(record, digits) + "\n")
