"""Where two traces part: the first value that differs, and a summary of the rest.

Two traces are compared value by value: each h, z, loss, delta, gradient and new weight of
the traced epochs, by its address (quantity, unit or weight, epoch, sample or step), then
each epoch's mean loss and the weights after training. Values within `tolerance` of each
other count as the same. The first difference comes with both worked lines, their
differing operands marked; values only one trace has are counted apart (a different
network, or another selection).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from backtrace import records
from backtrace.expressions.nodes import Address, Cell, numbers
from backtrace.frozen import frozen
from backtrace.teaching.results import results

# The phase each compared quantity is counted under: the phase its record kind declares, and
# two of the summaries' own.
PHASE_OF = {
    **{quantity: kind.phase for quantity, kind in records.QUANTITY_KINDS.items()},
    "epoch loss": "epoch",
    "final": "weights",
}
PHASE_ORDER = (*records.PHASES, "epoch", "weights")


@frozen
class Part:
    """One side's value at an address, and the worked line it came from."""

    value: float
    line: Cell | None


@frozen
class FirstDifference:
    address: Address
    a: Part
    b: Part
    marked: frozenset[Address]  # operands whose values differ between the two lines


@dataclass
class Tally:
    compared: int = 0
    differing: int = 0
    largest: float = 0.0
    where: Address | None = None  # the address of the largest difference


@frozen
class TraceDiff:
    names: tuple[str, str]
    tolerance: float
    first: FirstDifference | None
    tallies: dict[tuple[str, int], Tally]  # by (phase, epoch)
    only_a: int
    only_b: int
    example_only: Address | None = None  # one address only one side has
    notes: tuple[str, ...] = field(default=())

    @property
    def same(self) -> bool:
        return self.first is None and not self.only_a and not self.only_b


def values_of(trace: Sequence[records.Record]) -> dict[Address, float]:
    """Every comparable value of a trace by address, in trace order."""
    found: dict[Address, float] = {address: value for address, value, _ in results(trace)}
    for record in trace:
        if isinstance(record, records.EpochEnd):
            found[Address("epoch loss", None, record.epoch)] = record.loss
        elif isinstance(record, records.Weights) and record.when == "final":
            for name, value in record.values:
                found[Address("final", name, record.epoch)] = value
    return found


def differ(a: float, b: float, tolerance: float) -> bool:
    if a != a and b != b:  # both NaN: the same non-number
        return False
    return not abs(a - b) <= tolerance


def compare(
    a: Sequence[records.Record],
    b: Sequence[records.Record],
    *,
    names: tuple[str, str] = ("A", "B"),
    tolerance: float = 0.0,
    lines_of: Callable[[Sequence[records.Record]], Mapping[Address, Cell]] = lambda _: {},
) -> TraceDiff:
    """How trace `b` differs from trace `a`. `lines_of` gives a trace's worked lines by
    their results' addresses (`layout.worked_lines`); only the first difference needs them."""
    values_a, values_b = values_of(a), values_of(b)
    tallies: dict[tuple[str, int], Tally] = {}
    first_address = None
    for address, value in values_a.items():
        if address not in values_b:
            continue
        other = values_b[address]
        tally = tallies.setdefault((PHASE_OF[address.quantity], address.epoch or 0), Tally())
        tally.compared += 1
        if differ(value, other, tolerance):
            tally.differing += 1
            gap = abs(value - other)
            if not gap <= tally.largest:
                tally.largest, tally.where = gap, address
            if first_address is None:
                first_address = address
    only_a = [address for address in values_a if address not in values_b]
    only_b = [address for address in values_b if address not in values_a]
    first = None
    if first_address is not None:
        lines_a, lines_b = lines_of(a), lines_of(b)
        line_a, line_b = lines_a.get(first_address), lines_b.get(first_address)
        first = FirstDifference(
            first_address,
            Part(values_a[first_address], line_a),
            Part(values_b[first_address], line_b),
            _differing_operands(line_a, line_b, tolerance) - {first_address},
        )
    starts = [
        trace[0] if trace and isinstance(trace[0], records.Start) else None for trace in (a, b)
    ]
    notes = tuple(
        f"{label} makes slips on purpose: {', '.join(start.slips)}"
        for label, start in zip("AB", starts)
        if start is not None and start.slips
    )
    if None not in starts and starts[0].layers != starts[1].layers:  # type: ignore[union-attr]
        notes = ("A and B are different networks (their layers, units or weights differ): "
                 "only the values both name are compared", *notes)  # fmt: skip
    tallies = dict(
        sorted(tallies.items(), key=lambda item: (item[0][1], PHASE_ORDER.index(item[0][0])))
    )
    return TraceDiff(
        names, tolerance, first, tallies, len(only_a), len(only_b),
        (only_a or only_b or [None])[0], notes,
    )  # fmt: skip


def _differing_operands(a: Cell | None, b: Cell | None, tolerance: float) -> frozenset[Address]:
    """The numbers of two lines, paired in printed order, whose values differ."""
    if a is None or b is None:
        return frozenset()
    pieces_a = [n for piece in a if not isinstance(piece, str) for n in numbers(piece)]
    pieces_b = [n for piece in b if not isinstance(piece, str) for n in numbers(piece)]
    return frozenset(
        x.address
        for x, y in zip(pieces_a, pieces_b)
        if x.address is not None
        and x.address == y.address
        and differ(float(x.value), float(y.value), tolerance)
    )
