"""Where input comes from and output goes, and what kind of things they are.

One `Terminal` is built per command from the process, or handed in by a test, so nothing
else reaches for sys.stdout, os.environ, isatty or the terminal's size. Tests can then
pretend to be a pipe or a terminal of any width without a pseudo-terminal.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from backtrace import limits
from backtrace.frozen import frozen

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


@frozen
class Terminal:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]
    cwd: Path
    read_key: Callable[[], str] = lambda: read_key(sys.stdin)
    stdin_is_terminal: bool | None = None  # None: ask the stream
    stdout_is_terminal: bool | None = None
    columns: int | None = None  # None: ask the operating system
    stderr_is_terminal: bool | None = None
    clock: Callable[[], float] = time.monotonic  # seconds, for progress and its delay

    @classmethod
    def current(cls) -> Terminal:
        """The process's own streams, environment and folder."""
        stdout = sys.stdout or ClosedStream("standard output")
        # With stderr closed there is nowhere to report to; the exit status still tells.
        stderr = sys.stderr or open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        return cls(sys.stdin, stdout, stderr, dict(os.environ), Path.cwd())

    def __post_init__(self) -> None:
        for name, stream in (
            ("stdin", self.stdin),
            ("stdout", self.stdout),
            ("stderr", self.stderr),
        ):
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
            import shutil  # here: it imports the compression modules, which a run rarely needs

            size = self.columns or shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
            return min(size, most)
        return DEFAULT_WIDTH

    def interactive(self) -> bool:
        """Whether a person is at both ends: keys can be read and output is seen at once."""
        return bool(self.stdin_is_terminal and self.stdout_is_terminal)

    def watched(self) -> bool:
        """Whether a person sees stderr, so that progress and summaries there are worth it."""
        return bool(self.stderr_is_terminal) and self.env.get("TERM") != "dumb"

    def stderr_color(self) -> bool:
        """Colour on stderr: NO_COLOR wins, then FORCE_COLOR, else only on a terminal."""
        if self.env.get("NO_COLOR"):
            return False
        return bool(self.env.get("FORCE_COLOR")) or self.watched()

    def holding_keys(self) -> contextlib.AbstractContextManager[None]:
        """For `step`: from now on, keys reach the program one at a time and unechoed, so
        that those typed while it starts are kept for the first prompts."""
        return key_mode(self.stdin) if self.interactive() else contextlib.nullcontext()


@contextlib.contextmanager
def key_mode(stream: Any) -> Iterator[None]:
    """The terminal behind `stream` without line editing or echo, until the block ends.

    The change applies at once (TCSANOW) rather than after discarding pending input, which is
    what raw mode does by default, and what used to lose the keys typed during start-up.
    Ctrl-C still interrupts."""
    try:
        import termios

        descriptor = stream.fileno()
        saved = termios.tcgetattr(descriptor)
    except (ImportError, AttributeError, ValueError, OSError, io.UnsupportedOperation):
        yield  # not a real terminal (a test's stream): nothing to change
        return
    changed = termios.tcgetattr(descriptor)
    changed[3] &= ~(termios.ICANON | termios.ECHO)
    changed[6][termios.VMIN], changed[6][termios.VTIME] = 1, 0
    termios.tcsetattr(descriptor, termios.TCSANOW, changed)
    try:
        yield
    finally:
        termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)


def read_key(stream: Any) -> str:
    """One key press from the terminal behind `stream`, read byte by byte so that keys typed
    ahead stay separate; an arrow key's escape sequence (or a character of several bytes)
    comes whole. End of input raises EOFError."""
    import select

    descriptor = stream.fileno()
    first = os.read(descriptor, 1)
    if not first or first == b"\x04":  # without line editing, Ctrl-D arrives as a byte
        raise EOFError
    data = first
    if first == b"\x1b":  # an escape sequence arrives at once; a lone Escape has nothing after
        while len(data) < 8 and select.select([descriptor], [], [], 0.05)[0]:
            data += os.read(descriptor, 1)
            if len(data) > 2 and 0x40 <= data[-1] <= 0x7E:
                break
    elif first[0] >= 0xC0:  # the rest of a UTF-8 character
        extra = 1 if first[0] < 0xE0 else 2 if first[0] < 0xF0 else 3
        data += os.read(descriptor, extra)
    return data.decode("utf-8", errors="replace")


def rich_console(**settings: Any) -> Any:
    """A rich Console for which a closed pipe is a BrokenPipeError, as for every other write:
    rich would exit with status 1 itself, where the CLI's rule (docs/cli.md) is a quiet 0."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return PipeConsole(**settings)


READER_CHECK_SECONDS = 0.2  # how often work that writes nothing asks whether it is still read


class ReaderWatch:
    """Whether the pipe `out` writes to still has a reader, for work that writes nothing for
    a long time (training before a check or a diagram, a check's table written at its end,
    CSV tables spooled until the end of the run), so that `| head` ends the work rather than
    waiting for it. `check()` raises BrokenPipeError, as a write would, once the reader has
    gone; it asks the pipe at most every READER_CHECK_SECONDS, so it may be called often."""

    def __init__(self, out: Any) -> None:
        import stat

        self.fd: int | None = None
        try:
            fd = out.fileno()
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                self.fd = fd
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass  # not a pipe, or no descriptor at all: writes will tell
        self.due = time.monotonic() + READER_CHECK_SECONDS

    def check(self) -> None:
        if self.fd is None or time.monotonic() < self.due:
            return
        import select

        self.due = time.monotonic() + READER_CHECK_SECONDS
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT)
        if any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0)):
            raise BrokenPipeError(errno.EPIPE, "the reader of the pipe has gone")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
