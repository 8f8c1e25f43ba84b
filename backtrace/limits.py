"""Every size and count backtrace accepts from its input, in one place.

A config or data file may come from a stranger, a pipe or a device, so each way in is
bounded: past a limit, loading stops with one line naming the limit instead of eating memory
or time. docs/cli.md lists these values (tests/test_limits.py checks that it does).

The limits in force are `active()`. The command line raises the three that legitimately grow
with a user's work (--max-weights, --max-rows, --max-epochs) through `raised`; Python code
can do the same:

    with backtrace.limits.raised(rows=5_000_000):
        spec = backtrace.load("big.yaml")
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator

from backtrace.frozen import frozen


@frozen
class Limits:
    # A config file, or standard input, in bytes: hand-written networks are far smaller,
    # and bigger data belongs in a CSV file.
    config_bytes: int = 1 << 20
    # Any one string in a config: a title, a note, a key, a --set value's text.
    text_chars: int = 10_000
    # Any one number as written (digits, sign, point and exponent).
    number_chars: int = 100
    # Lists and mappings inside one another; configs need about six.
    depth: int = 32
    # Values that YAML aliases (*name) and merge keys (<<) may add to a document, counted as
    # they are read; a few aliases repeating each other ("billion laughs") hit this at once.
    alias_values: int = 100_000
    # One line of a CSV data file, in characters.
    csv_line_chars: int = 1 << 20
    # Weights in the network (--max-weights raises it): every weight is named, traced and
    # kept per sample, so a 4096-wide layer would cost gigabytes before the first step.
    weights: int = 250_000
    # Samples in a CSV data file (--max-rows raises it); at one sample a step, training
    # on this many already takes tens of seconds an epoch.
    rows: int = 100_000
    # Epochs a run may train (--max-epochs raises it).
    epochs: int = 1_000_000
    # Columns for tables and text: --width above this is refused, COLUMNS above it is capped.
    width: int = 10_000
    # Decimal digits in any one numerator or denominator of an --exact run. Each step
    # multiplies fractions by fractions that depend on them, so their digits can double per
    # step; a few steps stay small, and a long run would crawl and print pages per number.
    exact_digits: int = 10_000
    # How long a named pipe (FIFO) given as a file may go without a writer.
    fifo_wait_seconds: float = 0.5
    # Weights one gradient check compares: each costs two losses over the batch, so a check
    # grows with the square of the network; this many take about a second.
    checked_weights: int = 1_000
    # A diagram (graph, and its pictures) of more layers or units than this is unreadable,
    # and drawing one took minutes and gigabytes.
    diagram_layers: int = 64
    diagram_units: int = 2_000
    # Records one HTML page holds. Two traced epochs of iris (29,417 records, 43 MB) open in
    # about 3.5 s in headless Chromium and step in about 30 ms; the file and the wait to open
    # it grow with the records, while stepping stays quick (docs/html.md has the numbers).
    html_records: int = 30_000
    # Curves --plot-weight may add to one picture; each is a line and a legend entry.
    plotted_weights: int = 100


# Which option raises a limit, for messages that say how.
RAISED_BY = {"weights": "--max-weights", "rows": "--max-rows", "epochs": "--max-epochs"}
# Whether messages speak to a command line or to Python code (which raises limits with
# `raised`); the command line sets it, so the library's own words are Python's.
_SPOKEN_TO: contextvars.ContextVar[str] = contextvars.ContextVar("spoken_to", default="python")

_ACTIVE: contextvars.ContextVar[Limits] = contextvars.ContextVar("limits", default=Limits())  # noqa: B039 - frozen


def active() -> Limits:
    """The limits in force here."""
    return _ACTIVE.get()


@contextlib.contextmanager
def raised(**changes: int) -> Iterator[Limits]:
    """The limits with some changed, for the duration of the block."""
    token = _ACTIVE.set(dataclasses.replace(_ACTIVE.get(), **changes))
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def how_to_raise(name: str) -> str:
    """'; raise it with --max-rows' for a limit an option raises, else ''."""
    option = RAISED_BY.get(name)
    if option is None:
        return ""
    if _SPOKEN_TO.get() == "python":
        return f"; raise it with backtrace.limits.raised({name}=...)"
    return f"; raise it with {option}"


def command_line() -> bool:
    """Whether messages are for the command line (see speaking_to_command_line)."""
    return _SPOKEN_TO.get() == "command line"


@contextlib.contextmanager
def speaking_to_command_line() -> Iterator[None]:
    """Within the block, messages name the command line's options."""
    token = _SPOKEN_TO.set("command line")
    try:
        yield
    finally:
        _SPOKEN_TO.reset(token)


def epochs_refusal(count: int) -> str | None:
    """Why `count` epochs are refused, or None if the limit allows them."""
    most = active().epochs
    if count <= most:
        return None
    return f"is more than the {most:,} epochs a run may train{how_to_raise('epochs')}"
