"""Faults on the way out: a CSV spool with no room, and widths that would need gigabytes."""

from __future__ import annotations

import tempfile

import pytest
import yaml

from backtrace.renderers import csv as csv_format
from helpers import article_document
from hostile.bounded import assert_bounded, in_process


def test_a_full_spool_is_one_line_about_the_spool(tmp_path, monkeypatch) -> None:
    # The spool moves to a temporary file past SPOOL_BYTES; make that file a full disk.
    monkeypatch.setattr(csv_format, "SPOOL_BYTES", 100)
    monkeypatch.setattr(
        tempfile, "TemporaryFile", lambda **arguments: open("/dev/full", "w+", **_text(arguments))
    )
    # Only the separate tables (-o DIR/) are spooled: stdout's one long table streams.
    import io

    import backtrace
    from backtrace.errors import OutputError

    with pytest.raises(OutputError) as raised:
        backtrace.render(backtrace.run(article_document()), "csv", io.StringIO(), tables=True)
    message = str(raised.value)
    assert message.startswith("cannot hold the CSV tables until the end")
    assert message.endswith("No space left on device (set TMPDIR to a folder with room)")
    assert "\n" not in message


def _text(arguments: dict) -> dict:
    return {key: arguments[key] for key in ("encoding", "newline") if key in arguments}


def test_a_huge_columns_is_capped(tmp_path) -> None:
    (tmp_path / "net.yaml").write_text(yaml.safe_dump(article_document()))
    arguments = ["run", "net.yaml", "--sample", "1", "--phase", "loss"]  # a few rich tables
    outcome = in_process(arguments, cwd=tmp_path, env={"COLUMNS": "1000000000"})
    assert (outcome.status, outcome.stderr) == (0, "")
    widest = max(len(line) for line in outcome.stdout.splitlines())
    assert 80 < widest <= 10_000  # wider than the default, no wider than the cap
    assert_bounded(outcome)
