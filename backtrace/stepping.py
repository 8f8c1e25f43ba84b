"""Pacing for `backtrace step`: wait for a key between pieces of the trace.

A piece is one section of the layout (a sample's forward table, its loss, its deltas, a
step's updates), the same in every format. A sample's heading belongs to the piece after it,
and records that stand alone (the banner, weights, epoch summaries) join the piece they
follow. The pacer gathers the stepped epochs' pieces first, so that it can say where the
reader is ("piece 5 of 16") and go back. Before each piece but the first, it hands the
renderer a `Pause`, so that what the renderer holds reaches the screen, and waits for a key.
Going back redraws, as a pager does: the screen is cleared and the earlier piece drawn again
at its top, so that what is on screen reads in the trace's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from backtrace import records
from backtrace.frozen import frozen
from backtrace.renderers.layout import sections

# What each key does, in the order the help lists them. Arrow keys arrive as escape sequences.
KEYS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "next",
        ("\r", "\n", " ", "n", "j", "\x1b[C", "\x1b[B"),
        "enter, space, n or → : the next piece",
    ),
    (
        "back",
        ("b", "k", "p", "\x7f", "\x08", "\x1b[D", "\x1b[A"),
        "b, backspace or ← : the piece before, again",
    ),
    ("sample", ("s",), "s : on to the next sample"),
    ("continue", ("c",), "c : the rest, without stopping"),
    ("quit", ("q", "\x1b"), "q or Escape : quit"),
    ("help", ("?", "h"), "? : these keys"),
)
KEY_ACTIONS = {key: action for action, keys, _ in KEYS for key in keys}
# The prompt's list of keys, longest first: the longest that fits the terminal's width with
# the position before it is shown, since a prompt that wraps could not be erased.
KEYS_HELPS = (
    "[enter] next [b] back [s] sample [c] rest [q] quit [?] keys",
    "enter b s c q ?",
    "? keys",
    "",
)
FULL_HELP = "".join(f"  {line}\n" for *_, line in KEYS)
CLEAR_LINE = "\r\x1b[2K"
# Cursor home, erase the screen, then the scrollback: what a pager does to redraw.
CLEAR_SCREEN = "\x1b[H\x1b[2J\x1b[3J"
AT_FIRST = "This is the first piece; there is none before it.\n"


@frozen
class Piece:
    records: tuple[records.Record, ...]

    @property
    def starts_sample(self) -> bool:
        return any(isinstance(record, records.Sample) for record in self.records)


def pieces(stream: Iterable[records.Record]) -> list[Piece]:
    """The stream cut into the pieces a reader steps through."""
    gathered: list[list[records.Record]] = []
    current: list[records.Record] = []
    started = after_heading = False
    for section in sections(stream):
        heading = isinstance(section.records[0], records.Sample)
        starts_piece = (section.name is not None or heading) and not after_heading
        if starts_piece and started:
            gathered.append(current)
            current = []
        started = started or starts_piece
        after_heading = heading
        current.extend(section.records)
    if current:
        gathered.append(current)
    return [Piece(tuple(piece)) for piece in gathered]


def paced(
    stream: Iterable[records.Record],
    read_key: Callable[[], str],
    prompt: TextIO,
    flush: Callable[[], None] = lambda: None,
    *,
    width: int = 80,
    clear: Callable[[], None] = lambda: None,
) -> Iterator[records.Record]:
    """The stream, stopping for a key before each piece; 'q' ends it early, 'b' clears the
    screen (`clear`) and shows the piece before again. The prompt fits in `width` columns."""
    chosen = pieces(stream)
    if not chosen:
        return
    yield from chosen[0].records
    shown = 0  # the piece on screen
    while shown + 1 < len(chosen):
        yield records.Pause()
        flush()
        action = ask(read_key, prompt, f"piece {shown + 1} of {len(chosen)}", width)
        if action == "quit":
            return
        if action == "continue":
            for piece in chosen[shown + 1 :]:
                yield from piece.records
            return
        if action == "back":
            if shown == 0:
                prompt.write(AT_FIRST)
                continue
            shown -= 1
            clear()
            yield from chosen[shown].records
            continue
        shown += 1
        if action == "sample":  # on to the next sample's first piece, shown straight away
            while shown + 1 < len(chosen) and not chosen[shown].starts_sample:
                yield from chosen[shown].records
                shown += 1
        yield from chosen[shown].records


def prompt_line(where: str, width: int) -> str:
    """Where the reader is and as many of the keys as fit in one line of `width` columns
    (the last column stays empty: a terminal may wrap on writing it)."""
    for keys in KEYS_HELPS:
        line = f"{where} · {keys}" if keys else where
        if len(line) < width:
            return line
    return where


def ask(read_key: Callable[[], str], prompt: TextIO, where: str, width: int = 80) -> str:
    """Show where the reader is and the keys, read one, erase the prompt. Any other key
    lists every key (and stays on screen) and asks again. End of input counts as quit;
    Ctrl-C is left to interrupt the program as it would anywhere else."""
    while True:
        prompt.write(prompt_line(where, width))
        prompt.flush()
        try:
            key = read_key()
        except EOFError:
            key = "q"
        finally:
            prompt.write(CLEAR_LINE)
            prompt.flush()
        action = KEY_ACTIONS.get(key) or KEY_ACTIONS.get(key.lower())
        if action is not None and action != "help":
            return action
        unknown = "" if action == "help" else f"{key!r} is not a key here. "
        prompt.write(f"{unknown}The keys:\n{FULL_HELP}")
