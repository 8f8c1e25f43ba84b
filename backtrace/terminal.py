"""Where input comes from and output goes, and what kind of things they are.

One `Terminal` is built per command from the process, or handed in by a test, so nothing
else reaches for sys.stdout, os.environ, isatty or the terminal's size. Tests can then
pretend to be a pipe or a terminal of any width without a pseudo-terminal.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import click

DEFAULT_WIDTH = 80


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
        return cls(sys.stdin, sys.stdout, sys.stderr, dict(os.environ), Path.cwd())

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
        """--width, else COLUMNS, else the terminal's width, else 80."""
        if requested:
            return requested
        columns = self.env.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        if to_terminal:
            return self.columns or shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        return DEFAULT_WIDTH

    def interactive(self) -> bool:
        """Whether a person is at both ends: keys can be read and output is seen at once."""
        return bool(self.stdin_is_terminal and self.stdout_is_terminal)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
