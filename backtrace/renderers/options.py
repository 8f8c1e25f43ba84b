"""What every renderer is told besides the records and where to write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from backtrace.frozen import frozen
from backtrace.numbers import HUMAN_DIGITS

if TYPE_CHECKING:
    from backtrace.expressions.nodes import Address


@frozen
class RenderOptions:
    precision: int | None = None  # significant digits; None means the format's own default
    width: int | None = None  # columns for tables; None: the terminal's, COLUMNS, or 80
    color: bool = False  # whether ANSI colour and styles may be written
    events: frozenset[str] | None = None  # the event kinds --phase selected; None: all
    math: bool = False  # Markdown: the arithmetic as $...$ math
    fragment: bool = False  # LaTeX: the body only, without preamble and \begin{document}
    # A worksheet's blanks: the results left for a student, each by its number (`quiz`).
    blanks: Mapping[Address, int] | None = None

    def digits(self, machine: bool) -> int | None:
        """Significant digits to print; None (machine formats, by default) means exact."""
        if self.precision is not None:
            return self.precision
        return None if machine else HUMAN_DIGITS
