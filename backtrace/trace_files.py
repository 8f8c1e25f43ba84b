"""Reading a saved trace back: the JSON Lines or JSON that `run` writes, as the same records.

A trace starts with its `start` record, whose `format_version` says which version of the
format wrote it (docs/trace-format.md); a trace from a newer version is refused rather than
misread. Exact runs carry each fraction in an `exact` object beside the floats, and come
back as fractions. Files are read with the same bounds as configs, but a larger limit.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import Any

from backtrace import records
from backtrace.config.files import decode, open_input, read_bounded
from backtrace.errors import ConfigError, TraceError

TRACE_BYTES = 256 * 1024 * 1024  # a saved trace may be large (iris, every epoch), not unbounded
TRACE_ENDINGS = (".jsonl", ".ndjson", ".json")


def looks_like_trace(path: str) -> bool:
    """Whether `path` names a saved trace rather than a config: a .jsonl file, or a .json file
    holding a list (a JSON config is an object)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".jsonl", ".ndjson"):
        return True
    if suffix != ".json" or not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"[")


def read_trace(path: str | os.PathLike, *, shown_as: str | None = None) -> list[records.Record]:
    """The records of the trace saved at `path` (.jsonl, or .json as one list)."""
    name = os.fspath(path)
    where = shown_as or name
    try:
        stream, _ = open_input(name, what=where, role="the trace")
        with stream:
            text = decode(read_bounded(stream, TRACE_BYTES, where, "a trace"), where)
    except ConfigError as error:  # the file layer's errors, said of a trace
        raise TraceError(error.message, source=where, line=error.line) from None
    if name.lower().endswith(".json"):
        try:
            items = json.loads(text)
        except ValueError as error:
            raise TraceError(f"is not JSON: {error}", source=where) from None
        if not isinstance(items, list):
            raise TraceError("is not a backtrace trace: a JSON trace is a list of records",
                             source=where)  # fmt: skip
        numbered = [(None, item) for item in items]
    else:
        numbered = []
        for line_number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                numbered.append((line_number, json.loads(line)))
            except ValueError as error:
                raise TraceError(f"is not a JSON object: {error}", source=where,
                                 line=line_number) from None  # fmt: skip
    return list(_records(numbered, where))


def _records(numbered: list[tuple[int | None, Any]], where: str):  # type: ignore[no-untyped-def]
    if not numbered:
        raise TraceError("is empty: a trace starts with its start record", source=where)
    for index, (line, item) in enumerate(numbered):
        if not isinstance(item, dict) or "event" not in item:
            raise TraceError("is not a backtrace trace: each record is an object with an "
                             "event", source=where, line=line)  # fmt: skip
        if index == 0:
            if item["event"] != "start":
                raise TraceError("is not a backtrace trace: it does not begin with a start "
                                 "record", source=where, line=line)  # fmt: skip
            version = item.get("format_version", 1)
            if not isinstance(version, int) or version > records.TRACE_FORMAT_VERSION:
                raise TraceError(
                    f"was written in trace format {version}, newer than the "
                    f"{records.TRACE_FORMAT_VERSION} this backtrace reads; upgrade backtrace",
                    source=where, line=line,
                )  # fmt: skip
        exact = item.pop("exact", None)
        if exact:
            item = _with_fractions(item, exact)
        try:
            yield records.from_dict(item)
        except (TypeError, ValueError) as error:
            raise TraceError(f"{item['event']} record: {error}", source=where,
                             line=line) from None  # fmt: skip


def _with_fractions(value: Any, exact: Any) -> Any:
    """The record's data with each number that has an exact text replaced by its fraction."""
    if isinstance(exact, str):
        return Fraction(exact)
    if isinstance(value, dict) and isinstance(exact, dict):
        return {k: _with_fractions(v, exact[k]) if k in exact else v for k, v in value.items()}
    if isinstance(value, list) and isinstance(exact, list):
        return [v if e is None else _with_fractions(v, e) for v, e in zip(value, exact)]
    return value
