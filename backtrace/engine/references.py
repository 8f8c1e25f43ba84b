"""Compare values printed in a reference text (the article) with the values computed for them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from backtrace import records
from backtrace.config import Spec
from backtrace.config.schema import Reference as ReferenceValue
from backtrace.formulas.numeric import FLOAT64, Numbers


def printed_tolerance(printed: float) -> float:
    """Half a unit in the last decimal the text printed: 1.4 agrees with 1.4499 but not 1.45."""
    text = repr(printed)
    if "e" in text or "E" in text:
        return abs(printed) * 1e-9
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return 0.5 * 10.0**-decimals + 1e-12


class ReferenceBook:
    """The config's reference values, looked up by (epoch, sample, quantity)."""

    def __init__(self, spec: Spec, numbers: Numbers = FLOAT64) -> None:
        self.number = numbers.scalar  # the printed values in the run's number system
        reference = spec.config.reference
        self.source = reference.source if reference else "reference"
        self._by_place: dict[tuple[int, int, str], list[ReferenceValue]] = defaultdict(list)
        for value in reference.values if reference else ():
            self._by_place[(value.epoch, value.sample, value.quantity)].append(value)

    def check(
        self,
        epoch: int,
        sample: int,
        quantities: Iterable[str],
        computed: dict[tuple[str, str | None], float],
    ) -> Iterator[records.Reference]:
        """A record per reference value at this place; `computed` maps (quantity, name) to value."""
        for quantity in quantities:
            for value in self._by_place.get((epoch, sample, quantity), ()):
                actual = computed.get((quantity, value.name if quantity != "loss" else None))
                printed = self.number(value.printed)
                agrees = actual is not None and abs(actual - printed) <= printed_tolerance(
                    value.printed
                )
                yield records.Reference(
                    epoch,
                    sample,
                    quantity,
                    value.name,
                    value.printed,  # as the text prints it, a decimal
                    actual,
                    agrees,
                    value.note,
                    self.source,
                )
