"""Where input comes from and output goes, and what kind of things they are.

One `Terminal` is built per command from the process, or handed in by a test, so nothing
else reaches for sys.stdout, os.environ, isatty or the terminal's size. Tests can then
pretend to be a pipe or a terminal of any width without a pseudo-terminal.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import click

from backtrace import limits

DEFAULT_WIDTH = 80


class ClosedStream(io.TextIOBase):
    """Stands in for a standard stream the shell closed (`>&-`): Python then has no stream
    at all, and writing fails as it would on a closed descriptor."""

    def __init__(self, name: str) -> None:
        self.name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, f"{self.name} is closed")

    def isatty(self) -> bool:
        return False


@dataclasses.dataclass(frozen=True)
class Terminal:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]
    cwd: Path
    read_key: Callable[[], str] = click.getchar
    stdin_is_terminal: bool | None = None  # None: ask the stream
    stdout_is_terminal: bool | None = None
    columns: int | None = None  # None: ask the operating system

    @classmethod
    def current(cls) -> Terminal:
        """The process's own streams, environment and folder."""
        stdout = sys.stdout or ClosedStream("standard output")
        # With stderr closed there is nowhere to report to; the exit status still tells.
        stderr = sys.stderr or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        return cls(sys.stdin, stdout, stderr, dict(os.environ), Path.cwd())

    def __post_init__(self) -> None:
        for name, stream in (("stdin", self.stdin), ("stdout", self.stdout)):
            field = f"{name}_is_terminal"
            if getattr(self, field) is None:
                object.__setattr__(self, field, _isatty(stream))

    def wants_color(self) -> bool:
        """NO_COLOR wins, then FORCE_COLOR; otherwise colour only on a terminal."""
        if self.env.get("NO_COLOR"):
            return False
        if self.env.get("FORCE_COLOR"):
            return True
        return bool(self.stdout_is_terminal) and self.env.get("TERM") != "dumb"

    def width(self, requested: int | None, *, to_terminal: bool) -> int:
        """--width, else COLUMNS, else the terminal's width, else 80; COLUMNS and the
        terminal's width are capped at the width limit (--width is checked on the way in)."""
        if requested:
            return requested
        most = limits.active().width
        columns = self.env.get("COLUMNS", "")
        if columns.isascii() and columns.isdigit() and columns.strip("0"):
            return most if len(columns) > len(str(most)) else min(int(columns), most)
        if to_terminal:
            size = self.columns or shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
            return min(size, most)
        return DEFAULT_WIDTH

    def interactive(self) -> bool:
        """Whether a person is at both ends: keys can be read and output is seen at once."""
        return bool(self.stdin_is_terminal and self.stdout_is_terminal)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
