"""Colour tables are written as rich would write them, byte for byte, without rich printing
every line (issue 20: colour tables as fast as files)."""

from __future__ import annotations

import io

import pytest
from rich.text import Text

import backtrace
from backtrace.renderers import table
from backtrace.renderers.options import RenderOptions


def through_rich(self: table.Drawn, console) -> None:
    """The table written line by line with rich's own print: the reference."""
    for line in self.lines:
        styled = Text.assemble(*[(text, style or None) for text, style in line])
        console.print(styled, no_wrap=True, crop=False, overflow="ignore", soft_wrap=True)
    for number, note in enumerate(self.notes, start=1):
        console.print(Text(f"[{number}] {note}", style="yellow"))


@pytest.mark.parametrize(
    ("config", "selection"),
    [("xor", {}), ("iris", {"sample": "1-2"}), ("xor-adam", {}), ("mazur", {"trace": "all"})],
)
@pytest.mark.parametrize("width", [60, 120])
def test_colour_tables_are_what_rich_would_write(config, selection, width, monkeypatch) -> None:
    records = backtrace.run(config, **selection).records
    options = RenderOptions(width=width, color=True)
    fast = io.StringIO()
    table.render(records, fast, options)
    monkeypatch.setattr(table.Drawn, "write", through_rich)
    reference = io.StringIO()
    table.render(records, reference, options)
    assert "\x1b[" in fast.getvalue()  # it is in colour
    assert fast.getvalue() == reference.getvalue()
