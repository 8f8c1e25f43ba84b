"""What the reader asked to see: epochs, samples, units, weights and phases.

Epochs decide what the engine traces; the rest filter the record stream on its way to the
renderer. Summary records (start, notes, weights, epoch summaries) always pass.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence

from backtrace import records
from backtrace.config import Spec
from backtrace.config.checks import did_you_mean, listed
from backtrace.errors import UsageError, bounded
from backtrace.frozen import frozen

EPOCH_WORDS = ("all", "none", "first", "last")
PHASES = records.PHASES


@frozen
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
    text: str, total: int, *, parameter: str, what: str, allow_beyond: bool = False
) -> NumberSet:
    """Numbers from 1 to `total` named by words (all, none, first, last), lists and ranges;
    errors name the API's `parameter` (the command line turns it into its option)."""
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
                    f"{raw.strip()!r} is not a valid {what}; use {', '.join(EPOCH_WORDS)}, "
                    "numbers like 1,10,100 or ranges like 3-5",
                    parameter=parameter,
                    value=text,
                ) from None
            if low > high:
                raise UsageError(
                    f"the range {raw.strip()} runs backwards; write it low-high",
                    parameter=parameter,
                    value=text,
                )
            if not (1 <= low and (allow_beyond or high <= total)):
                raise UsageError(
                    f"{what} {raw.strip()} is out of range; there are {what}s 1 to {total}"
                    + (further_epochs(high) if what == "epoch" and low >= 1 else ""),
                    parameter=parameter,
                    value=text,
                )
            ranges.append((low, high))
    return NumberSet(tuple(ranges))


def further_epochs(epoch: int) -> str:
    """How to reach an epoch past the run's last, when a run may train that far."""
    from backtrace import limits

    if limits.epochs_refusal(epoch):
        return ""
    how = f"--set epochs={epoch}" if limits.command_line() else f"load it with epochs={epoch}"
    return f" ({how} trains that far)"


def parse_epochs(
    text: str, total: int, *, parameter: str = "trace", allow_beyond: bool = False
) -> NumberSet:
    """The epochs a selection names ('all', 'first,last', '1,10,100', '3-5'). Every command
    that shows epochs of a run (run's trace, step's epochs) checks them here, against the
    epochs the run trains: one rule, so that no command quietly trains past them."""
    return parse_numbers(
        text, total, parameter=parameter, what="epoch", allow_beyond=allow_beyond
    )


def parse_samples(texts: Sequence[str], total: int) -> frozenset[int] | None:
    """The samples --sample names (repeatable), or None when it was not given."""
    if not texts:
        return None
    chosen = frozenset(
        number
        for text in texts
        for number in parse_numbers(text, total, parameter="sample", what="sample")
    )
    if not chosen:
        raise UsageError("selects no sample", parameter="sample", value=", ".join(texts))
    return chosen


def resolve_names(
    patterns: Sequence[str], names: Sequence[str], *, parameter: str, what: str
) -> frozenset[str] | None:
    """Names matching any of the glob patterns; a pattern matching nothing is an error."""
    if not patterns:
        return None
    chosen: set[str] = set()
    for pattern in patterns:
        matched = fnmatch.filter(names, pattern)
        if not matched:
            raise UsageError(
                f"no {what} matches {bounded(repr(pattern), 200)}"
                f"{did_you_mean(pattern, list(names))}; the {what}s are {listed(list(names))}",
                parameter=parameter,
                value=pattern,
            )
        chosen.update(matched)
    return frozenset(chosen)


def units_with_records(spec: Spec) -> list[str]:
    """Units a trace says something about: those that compute h and δ, and any unit (a bias
    unit, say) that the config's reference values mention."""
    computing = {unit for layer in spec.names.layers[1:] for unit in layer.units}
    referenced = (
        {value.name for value in spec.config.reference.values} if spec.config.reference else set()
    )
    return [unit for unit in spec.names.all_units if unit in computing or unit in referenced]


def record_filter(
    spec: Spec,
    *,
    samples: Sequence[str] = (),
    units: Sequence[str] = (),
    weights: Sequence[str] = (),
    phases: Sequence[str] = (),
) -> RecordFilter:
    """The filter for what a reader asked to see, checked against the network's names."""
    for phase in phases:
        if phase not in PHASES:
            raise UsageError(
                f"{bounded(repr(phase), 200)} is not one of {', '.join(PHASES)}",
                parameter="phase",
                value=phase,
            )
    return RecordFilter(
        samples=parse_samples(samples, len(spec.inputs)),
        units=resolve_names(units, units_with_records(spec), parameter="unit", what="unit"),
        weights=resolve_names(
            weights, spec.names.all_weights, parameter="weight", what="weight"
        ),
        phases=frozenset(phases) or None,
    )


@frozen
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
        return frozenset(kind.event for kind in records.KINDS if kind.phase in self.phases)

    def keeps(self, record: records.Record) -> bool:
        if isinstance(record, records.Sample):  # the heading of a sample's pieces
            return self._sample(record.sample) and (
                self.phases is None or not self.phases.isdisjoint(record.heads)
            )
        kind = record.kind
        if kind.phase is None:  # start, notes, weights, epoch summaries, divergence
            return True
        samples = getattr(record, "samples", None) or (getattr(record, "sample", None),)
        name = record.subject_name
        wanted = {"unit": self.units, "weight": self.weights}.get(kind.subject or "")
        return (
            (self.samples is None or not self.samples.isdisjoint(samples))
            and (self.phases is None or kind.phase in self.phases)
            and (wanted is None or name in wanted)
        )

    def _sample(self, sample: int) -> bool:
        return self.samples is None or sample in self.samples

    def apply(self, stream: Iterable[records.Record]) -> Iterable[records.Record]:
        if self == RecordFilter():
            return stream  # nothing to leave out: no need to look at each record
        return (record for record in stream if self.keeps(record))
