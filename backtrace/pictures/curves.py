"""What a run's curves show: each epoch's mean loss and accuracy, chosen weights epoch by
epoch (from `api.weight_history`), and where training stopped being finite; and the loss as
a one-line sparkline.

A run that blows up grows by orders of magnitude before it stops, so the curves switch to a
logarithmic scale when the values span more than `LOG_SPAN`, and mark the epoch where values
stopped being finite instead of leaving the curve to end without a word.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from backtrace import records
from backtrace.numbers import as_float

LOG_SPAN = 1_000  # largest / smallest magnitude past which a curve is drawn on a log scale
BARS = "▁▂▃▄▅▆▇█"
MIN_BARS, MAX_BARS = 10, 60  # a sparkline's width: legible, and within a line where it fits
DIVERGED_MARK = "✗"


@dataclass
class Curves:
    """Per-epoch values gathered from a record stream as it passes (see `watch`)."""

    losses: list[float] = field(default_factory=list)  # index e-1: epoch e's mean loss
    accuracies: list[float] = field(default_factory=list)  # classification losses only
    weights: dict[str, list[float]] = field(default_factory=dict)  # index e: after epoch e
    diverged: records.Diverged | None = None

    def watch(self, stream: Iterable[records.Record]) -> Iterator[records.Record]:
        """The stream unchanged, noting what the curves need on the way."""
        for record in stream:
            self.note(record)
            yield record

    def note(self, record: records.Record) -> None:
        if isinstance(record, records.EpochEnd):
            self.losses.append(as_float(record.loss))
            if record.accuracy is not None:
                self.accuracies.append(as_float(record.accuracy))
        elif isinstance(record, records.Diverged):
            self.diverged = record


def log_scaled(values: Iterable[float]) -> bool:
    """Whether values span so many orders of magnitude that a linear scale hides all but the
    largest."""
    magnitudes = [abs(value) for value in values if math.isfinite(value) and value != 0]
    return bool(magnitudes) and max(magnitudes) / min(magnitudes) > LOG_SPAN


def symmetric_log(value: float, floor: float) -> float:
    """log10 of the magnitude measured in `floor`s, keeping the sign: negative losses (the
    article's signed error) stay below positive ones, and 0 stays 0."""
    return math.copysign(math.log10(1 + abs(value) / floor), value)


def sparkline(losses: list[float], *, diverged_at: int | None = None, width: int = 60) -> str:
    """Losses as a row of bars (▁ lowest, █ highest), averaged into at most `width` bars;
    a run that stopped at `diverged_at` ends in ✗."""
    if not losses:
        return DIVERGED_MARK if diverged_at is not None else ""
    # An exact loss past float64's range arrives as ±inf; held to half the largest float,
    # it draws as the extreme it is, and no average or span below can overflow.
    most = sys.float_info.max / 2
    values = [max(-most, min(most, value)) for value in losses]
    if log_scaled(values):
        if all(value > 0 for value in values) or all(value < 0 for value in values):
            values = [math.copysign(math.log10(abs(value)), value) for value in values]
        else:  # mixed signs (or zeros): a symmetric log keeps the order
            floor = min(abs(value) for value in values if value != 0)
            values = [symmetric_log(value, floor) for value in values]
    buckets = min(width, len(values))
    averaged = [
        sum(value / len(part) for value in part)
        for part in (
            values[len(values) * index // buckets : len(values) * (index + 1) // buckets]
            for index in range(buckets)
        )
    ]
    low, high = min(averaged), max(averaged)
    span = high - low
    bars = "".join(
        BARS[0 if span == 0 else round((value - low) / span * (len(BARS) - 1))]
        for value in averaged
    )
    return bars + (DIVERGED_MARK if diverged_at is not None else "")


def loss_summary(curves: Curves, fmt: Callable[[float], str], columns: int = 80) -> str | None:
    """One line for the end of a run, at most `columns` wide where it can be: the loss's
    first and last value around its sparkline, the scale, and where the run stopped if it
    blew up. None for a single epoch."""
    losses = curves.losses
    stopped = curves.diverged
    if len(losses) + (stopped is not None) < 2:
        return None
    first = fmt(losses[0]) if losses else "?"
    scale = ", log scale" if log_scaled(losses) else ""
    if stopped is not None:
        before = f"loss per epoch: {first} "
        # Where and why it blew up is said once, by the trace or the error line after this.
        after = f" stopped at epoch {stopped.epoch}{scale}"
    else:
        before = f"loss per epoch: {first} "
        after = f" {fmt(losses[-1])} ({len(losses):,} epochs{scale})"
    room = max(MIN_BARS, min(MAX_BARS, columns - 1 - len(before) - len(after)))
    line = sparkline(losses, diverged_at=stopped.epoch if stopped else None, width=room)
    return before + line + after
