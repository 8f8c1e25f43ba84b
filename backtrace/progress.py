"""What a person at a terminal sees while a long run trains: a progress bar on stderr, and
epoch summary lines thinned so that thousands of epochs do not bury the trace.

The bar appears only once a run has taken `DELAY_SECONDS`, only when stderr is a terminal,
and never in a file or a pipe. When the trace goes to the same screen, the bar steps aside
before each record that may print and comes back after it, so the two never mix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from backtrace import records
from backtrace.frozen import frozen

DELAY_SECONDS = 1.0  # runs shorter than this never show a bar
REFRESH_SECONDS = 0.1  # at most this often
SUMMARY_LINES = 100  # automatic thinning keeps about this many epoch lines at most
HUMAN_FORMATS = ("table", "text", "markdown")


def automatic_every(epochs: int, output_format: str) -> int:
    """The default interval between epoch summary lines: every epoch in the data formats
    and in runs of up to `SUMMARY_LINES` epochs; otherwise the smallest power of ten that
    keeps at most about that many lines (10 for 500 epochs, 100 for 5,000)."""
    if output_format not in HUMAN_FORMATS or epochs <= SUMMARY_LINES:
        return 1
    return 10 ** math.ceil(math.log10(epochs / SUMMARY_LINES))


@frozen
class Thinning:
    """Which epoch summaries are written: every `every`-th, the first, the last, traced
    epochs, and the epoch a run stopped in."""

    every: int
    last: int

    def keeps(self, record: records.EpochEnd) -> bool:
        epoch = record.epoch
        return (
            self.every == 1
            or record.traced
            or epoch == 1
            or epoch == self.last
            or epoch % self.every == 0
        )


class ProgressBar:
    """A rich progress bar (epoch, loss, time left) on a terminal's stderr."""

    def __init__(
        self,
        stream: TextIO,
        total: int,
        *,
        clock: Callable[[], float],
        width: int,
        color: bool,
        fmt: Callable[[float], str],
    ) -> None:
        self.stream, self.total, self.clock, self.fmt = stream, total, clock, fmt
        self.width, self.color = width, color
        self.started_at = clock()
        self.drawn_at: float | None = None
        self.progress: Any = None  # rich's Progress, made when first needed
        self.task: Any = None
        self.done = 0
        self.loss = ""

    def advance(self, record: records.EpochEnd) -> None:
        self.done, self.loss = record.epoch, self.fmt(record.loss)

    def due(self) -> bool:
        now = self.clock()
        if now - self.started_at < DELAY_SECONDS:
            return False
        return self.drawn_at is None or now - self.drawn_at >= REFRESH_SECONDS

    def draw(self) -> None:
        if self.progress is None:
            self._make()
        self.progress.update(self.task, completed=self.done, loss=self.loss)
        if not self.progress.live.is_started:
            self.progress.start()
        self.progress.refresh()
        self.drawn_at = self.clock()

    def hide(self) -> None:
        """Take the bar off the screen (it comes back at the next `draw`)."""
        if self.progress is not None and self.progress.live.is_started:
            self.progress.stop()

    def _make(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        console = Console(
            file=self.stream,
            width=self.width,
            force_terminal=True,
            color_system="standard" if self.color else None,
            highlight=False,
        )
        self.progress = Progress(
            TextColumn("epoch"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("·"),
            TimeRemainingColumn(),
            TextColumn("left"),
            console=console,
            auto_refresh=False,  # drawn between records, so no thread writes behind our back
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            get_time=self.clock,
        )
        self.task = self.progress.add_task("training", total=self.total, loss="")


def watched(
    stream: Iterable[records.Record],
    *,
    thinning: Thinning | None = None,
    bar: ProgressBar | None = None,
    shares_screen: bool = False,
) -> Iterator[records.Record]:
    """The records a renderer should get: epoch summaries thinned, and a progress bar kept
    up to date as epochs end, stepping aside before anything that may print on its screen."""
    try:
        for record in stream:
            if isinstance(record, records.EpochEnd):
                if bar is not None:
                    bar.advance(record)
                if thinning is not None and not thinning.keeps(record):
                    if bar is not None and bar.due():
                        bar.draw()
                    continue
            if bar is not None and shares_screen:
                bar.hide()
            yield record
            if bar is not None and bar.due():
                bar.draw()
    finally:
        if bar is not None:
            bar.hide()
