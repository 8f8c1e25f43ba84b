"""The few exceptions backtrace raises, and the exit statuses the CLI maps them to."""

from __future__ import annotations

import enum
import unicodedata


class ExitStatus(enum.IntEnum):
    """Documented exit statuses (see docs/cli.md)."""

    OK = 0
    ERROR = 1  # the run could not finish: an output file could not be written, ...
    BAD_INPUT = 2  # bad command line or bad config file
    DIVERGED = 3  # training produced inf or NaN and was stopped
    CHECK_FAILED = 4  # `check` found a gradient that disagrees with its finite difference
    WRONG_ANSWERS = 5  # `grade` found an answer that is not the trace's value
    DIFFERENT = 6  # `diff` found the two traces part
    HANGUP = 129  # SIGHUP (the terminal closed), as shells report it: 128 + 1
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT: 128 + 2
    TERMINATED = 143  # SIGTERM (kill, a service manager), as shells report it: 128 + 15


MESSAGE_CHARS = 8_000  # past this, a message (a list of every name, say) is cut short


def bounded(text: str, most: int = MESSAGE_CHARS) -> str:
    """`text` cut to `most` characters, saying how much was left out: a message may quote
    anything (a name list, a pattern, a value), and must still fit on a screen."""
    if len(text) <= most:
        return text
    return f"{text[:most]} ... ({len(text) - most:,} more characters)"


class BacktraceError(Exception):
    """Base class: every error backtrace reports as a one-line message."""

    exit_status = ExitStatus.ERROR

    def __str__(self) -> str:
        return bounded(super().__str__())


class ConfigError(BacktraceError):
    """A config file (or a --set override) that cannot be turned into a valid network."""

    exit_status = ExitStatus.BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.field = field
        self.line = line

    def located(self, *, source: str | None = None, line: int | None = None) -> ConfigError:
        """The same error with the file (and line) filled in where it was unknown."""
        return ConfigError(
            self.message,
            source=self.source or source,
            field=self.field,
            line=self.line if self.line is not None else line,
        )

    def __str__(self) -> str:
        where = self.source or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return bounded(f"{where}:{field} {self.message}")


class TraceError(BacktraceError):
    """A saved trace (JSON Lines or JSON) that backtrace cannot read back: not a trace, from
    a newer format version, or damaged."""

    exit_status = ExitStatus.BAD_INPUT

    def __init__(self, message: str, *, source: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.source, self.line = message, source, line

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return bounded(f"{where}: {self.message}")


class OutputError(BacktraceError):
    """The trace could not be written where it was asked to go."""


class UsageError(BacktraceError):
    """An argument that names nothing real (an unknown unit, an empty selection ...).

    When one argument is at fault, `parameter` names it as the Python API does (`sample`),
    and the message reads `sample=9: ...`; the command line says `--sample: ...` instead
    (`for_option`)."""

    exit_status = ExitStatus.BAD_INPUT

    def __init__(self, message: str, *, parameter: str | None = None, value: object = None):
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.value = value

    def __str__(self) -> str:
        if self.parameter is None:
            return bounded(self.message)
        return bounded(f"{self.parameter}={bounded(repr(self.value), 200)}: {self.message}")

    def for_option(self, option: str) -> str:
        """The message as the command line reports it, naming its option."""
        return bounded(f"{option}: {self.message}")


class Interrupted(KeyboardInterrupt):
    """A signal other than SIGINT that stops a run as Ctrl-C does (SIGTERM, SIGHUP)."""

    def __init__(self, exit_status: ExitStatus, name: str) -> None:
        super().__init__(name)
        self.exit_status = exit_status


def printable(text: str) -> str:
    """`text` as one line that is safe on a terminal: control and format characters (escape
    sequences, line breaks, direction overrides) and lone surrogates written as escapes
    instead of sent as they are."""
    if text.isprintable():
        return text
    return "".join(
        character
        if character == " " or unicodedata.category(character) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
        else (f"\\x{ord(character):02x}" if ord(character) <= 0xFF else f"\\u{ord(character):04x}")
        for character in text
    )
