"""Pacing for `backtrace step`: wait for a key between pieces of the trace.

A piece is one section of the layout (a sample's forward table, its loss, its deltas, a
step's updates), the same in every format. A sample's heading belongs to the piece after it.
Before each piece but the first, the pacer hands the renderer a `Pause`, so that what it
holds reaches the screen, and then waits for a key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Literal, TextIO

from backtrace import records
from backtrace.renderers.layout import sections

KEYS_HELP = "[enter] next   [s] next sample   [c] continue to the end   [q] quit"
NEXT_KEYS = ("\r", "\n", " ", "n", "j")
CLEAR_LINE = "\r\x1b[2K"


def paced(
    stream: Iterable[records.Record],
    read_key: Callable[[], str],
    prompt: TextIO,
    flush: Callable[[], None] = lambda: None,
) -> Iterator[records.Record]:
    """The stream, stopping for a key before each piece; 'q' ends it early."""
    mode: Literal["piece", "sample", "continue"] = "piece"
    started = after_heading = False
    for section in sections(stream):
        first = section.records[0]
        heading = isinstance(first, records.Sample)
        starts_piece = (section.name is not None or heading) and not after_heading
        if starts_piece and started:
            if mode == "sample" and heading:
                mode = "piece"  # arrived at the next sample: show its first piece straight away
            elif mode == "piece":
                yield records.Pause()
                flush()
                key = ask(read_key, prompt)
                if key == "q":
                    return
                mode = {"s": "sample", "c": "continue"}.get(key, "piece")
        started = started or starts_piece
        after_heading = heading
        yield from section.records


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
