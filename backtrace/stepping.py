"""Pacing for `backtrace step`: wait for a key between pieces of the trace.

A piece is one record (a unit's forward arithmetic, the loss, a delta, an update) for formats
that write records as they come, or one section (a whole table) for formats that lay records out
in tables. Before each piece after the first, the pacer hands the renderer a `Pause`, so what it
holds reaches the screen, then waits for a key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Literal, TextIO

from backtrace.engine import records
from backtrace.render.layout import section_of

KEYS_HELP = "[enter] next   [s] next sample   [c] continue to the end   [q] quit"
NEXT_KEYS = ("\r", "\n", " ", "n", "j")
CLEAR_LINE = "\r\x1b[2K"


def piece_boundaries(
    stream: Iterable[records.Record], piece: Literal["record", "section"]
) -> Iterator[tuple[bool, records.Record]]:
    """Each record, with whether a new piece starts at it.

    A sample's heading belongs to the piece that follows it, so it starts the piece and the
    record after it does not."""
    previous_section: str | None = None
    after_heading = False
    batch_size = 1
    for record in stream:
        if isinstance(record, records.Start):
            batch_size = record.batch_size
        if not isinstance(record, records.TRACED_KINDS) or (
            isinstance(record, records.Gradient) and batch_size == 1
        ):
            # With one sample per step, gradients are shown inside the update lines, not alone.
            yield False, record
            continue
        section = section_of(record)
        if isinstance(record, records.Sample):
            starts, after_heading = True, True
        elif after_heading:
            starts, after_heading = False, False
        elif piece == "section":
            starts = section != previous_section
        else:
            starts = True
        previous_section = section
        yield starts, record


def paced(
    stream: Iterable[records.Record],
    piece: Literal["record", "section"],
    read_key: Callable[[], str],
    prompt: TextIO,
) -> Iterator[records.Record]:
    """The stream, stopping for a key before each piece; 'q' ends it early."""
    mode: Literal["piece", "sample", "continue"] = "piece"
    started = False
    for starts, record in piece_boundaries(stream, piece):
        if starts and started:
            if mode == "sample" and isinstance(record, records.Sample):
                mode = "piece"  # arrived at the next sample: show its first piece straight away
            elif mode == "piece":
                yield records.Pause()
                key = ask(read_key, prompt)
                if key == "q":
                    return
                mode = {"s": "sample", "c": "continue"}.get(key, "piece")
        started = started or starts
        yield record


def ask(read_key: Callable[[], str], prompt: TextIO) -> str:
    """Show the keys, read one, erase the prompt. End of input counts as quit; Ctrl-C is left
    to interrupt the program as it would anywhere else."""
    prompt.write(KEYS_HELP)
    prompt.flush()
    try:
        key = read_key()
    except EOFError:
        key = "q"
    finally:
        prompt.write(CLEAR_LINE)
        prompt.flush()
    return "n" if key in NEXT_KEYS else key.lower()
