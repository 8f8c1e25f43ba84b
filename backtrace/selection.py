"""What the reader asked to see: epochs, samples, units, weights and phases.

Epochs decide what the engine traces; the rest filter the record stream on its way to the
renderer. Summary records (start, notes, weights, epoch summaries) always pass.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from backtrace.engine import records
from backtrace.errors import UsageError

EPOCH_WORDS = ("all", "none", "first", "last")
PHASES = ("forward", "loss", "backward", "update")
PHASE_EVENTS = {
    phase: frozenset(kind.event for kind in records.TRACED_KINDS if kind.phase == phase)
    for phase in PHASES
}
QUANTITY_PHASE = {
    "h": "forward",
    "z": "forward",
    "loss": "loss",
    "delta": "backward",
    "grad": "backward",
    "new": "update",
}
WEIGHT_QUANTITIES = ("grad", "new")
SAMPLE_PHASES = frozenset({"forward", "loss", "backward"})


@dataclass(frozen=True)
class NumberSet:
    """Whole numbers as inclusive ranges, so 'all' of a billion epochs costs nothing."""

    ranges: tuple[tuple[int, int], ...]

    def __contains__(self, number: object) -> bool:
        return any(low <= number <= high for low, high in self.ranges)  # type: ignore[operator]

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __iter__(self) -> Iterator[int]:
        """The numbers in order; only for small sets, such as samples."""
        return iter(
            sorted({number for low, high in self.ranges for number in range(low, high + 1)})
        )

    def largest(self) -> int:
        return max(high for _, high in self.ranges)


def parse_numbers(
    text: str, total: int, *, option: str, what: str, allow_beyond: bool = False
) -> NumberSet:
    """Numbers from 1 to `total` named by words (all, none, first, last), lists and ranges."""
    ranges: list[tuple[int, int]] = []
    for raw in text.split(","):
        token = raw.strip().lower()
        if token == "all":
            ranges.append((1, total))
        elif token == "none":
            continue
        elif token == "first":
            ranges.append((1, 1))
        elif token == "last":
            ranges.append((total, total))
        else:
            start, dash, end = token.partition("-")
            try:
                low = int(start)
                high = int(end) if dash else low
            except ValueError:
                raise UsageError(
                    f"{option}: {raw.strip()!r} is not a valid {what}; use {', '.join(EPOCH_WORDS)}, "
                    "numbers like 1,10,100 or ranges like 3-5"
                ) from None
            if low > high:
                raise UsageError(
                    f"{option}: the range {raw.strip()} runs backwards; write it low-high"
                )
            if not (1 <= low and (allow_beyond or high <= total)):
                raise UsageError(
                    f"{option}: {what} {raw.strip()} is out of range; there are {what}s 1 to {total}"
                )
            ranges.append((low, high))
    return NumberSet(tuple(ranges))


def parse_epochs(
    text: str, total: int, *, option: str = "--trace", allow_beyond: bool = False
) -> NumberSet:
    """The epochs a selection names ('all', 'first,last', '1,10,100', '3-5')."""
    return parse_numbers(text, total, option=option, what="epoch", allow_beyond=allow_beyond)


def parse_samples(texts: Sequence[str], total: int) -> frozenset[int] | None:
    """The samples --sample names (repeatable), or None when it was not given."""
    if not texts:
        return None
    chosen = frozenset(
        number
        for text in texts
        for number in parse_numbers(text, total, option="--sample", what="sample")
    )
    if not chosen:
        raise UsageError("--sample selects no sample")
    return chosen


def resolve_names(
    patterns: Sequence[str], names: Sequence[str], *, option: str, what: str
) -> frozenset[str] | None:
    """Names matching any of the glob patterns; a pattern matching nothing is an error."""
    if not patterns:
        return None
    chosen: set[str] = set()
    for pattern in patterns:
        matched = fnmatch.filter(names, pattern)
        if not matched:
            raise UsageError(
                f"{option}: no {what} matches {pattern!r}; the {what}s are {', '.join(names)}"
            )
        chosen.update(matched)
    return frozenset(chosen)


@dataclass(frozen=True)
class RecordFilter:
    """Which traced records to keep; None in a field means no restriction."""

    samples: frozenset[int] | None = None
    units: frozenset[str] | None = None
    weights: frozenset[str] | None = None
    phases: frozenset[str] | None = None

    @property
    def events(self) -> frozenset[str] | None:
        """Event kinds the phases allow (None: all)."""
        if self.phases is None:
            return None
        return frozenset().union(*(PHASE_EVENTS[phase] for phase in self.phases))

    def keeps(self, record: records.Record) -> bool:
        if isinstance(
            record, records.Sample
        ):  # the heading of its forward, loss and backward pieces
            return self._sample(record.sample) and (
                self.phases is None or not self.phases.isdisjoint(SAMPLE_PHASES)
            )
        if isinstance(record, records.Reference):
            name = record.name or ""
            wanted = (
                self._weight(name)
                if record.quantity in WEIGHT_QUANTITIES
                else record.quantity == "loss" or self._unit(name)
            )
            return (
                self._sample(record.sample)
                and self._phase(QUANTITY_PHASE[record.quantity])
                and wanted
            )
        if record.phase is None:  # start, notes, weights, epoch summaries, divergence
            return True
        if isinstance(record, records.Update):
            sampled = self.samples is None or not self.samples.isdisjoint(record.samples)
        else:
            sampled = self._sample(getattr(record, "sample", None))
        unit, weight = getattr(record, "unit", None), getattr(record, "weight", None)
        return (
            sampled
            and self._phase(record.phase)
            and (unit is None or self._unit(unit))
            and (weight is None or self._weight(weight))
        )

    def _sample(self, sample: int | None) -> bool:
        return self.samples is None or sample in self.samples

    def _phase(self, phase: str) -> bool:
        return self.phases is None or phase in self.phases

    def _unit(self, name: str) -> bool:
        return self.units is None or name in self.units

    def _weight(self, name: str) -> bool:
        return self.weights is None or name in self.weights

    def apply(self, stream: Iterable[records.Record]) -> Iterator[records.Record]:
        return (record for record in stream if self.keeps(record))
