"""Headings and short lines are written without rich when there is no colour; they must be
the very bytes rich would print."""

from __future__ import annotations

import io

import pytest
from rich.rule import Rule
from rich.text import Text

from backtrace.renderers.options import RenderOptions
from backtrace.renderers.table import make_console, plain_line

TEXTS = ["Epoch 1 · sample 1: X1 = 0", "Loss: L = ½·(8.19 - 0)² = 33.5381", "网络 🙂 ends", "x", ""]


@pytest.mark.parametrize("width", [6, 12, 30, 57, 80, 100])
@pytest.mark.parametrize("text", TEXTS)
def test_plain_lines_are_what_rich_prints(width: int, text: str) -> None:
    for item in (Rule(Text(text, style="bold cyan"), align="left"), Text(text, style="bold")):
        out = io.StringIO()
        make_console(out, RenderOptions(width=width)).print(item)
        plain = plain_line(item, width)
        # Either the same bytes, or left to rich (None) where the line would not fit.
        assert plain is None or plain == out.getvalue(), (width, text)
    assert plain_line(Text("short", style="bold"), width) is not None or width < 6
