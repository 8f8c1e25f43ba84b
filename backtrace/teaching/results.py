"""The results a student computes, read off the trace: each h, z, loss, δ, gradient and new
weight with the Address its worked line gives it (renderers/worked.py), its value and the
record it comes from. Worksheets blank them, grading compares with them, diffs pair them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from backtrace import records
from backtrace.expressions.nodes import Address

Result = tuple[Address, float, records.Record]


def results(trace: Iterable[records.Record]) -> Iterator[Result]:
    """Every result of the records, in trace order."""
    for r in trace:
        if isinstance(r, records.Forward):
            yield Address("h", r.unit, r.epoch, r.sample), r.h, r
            yield Address("z", r.unit, r.epoch, r.sample), r.z, r
        elif isinstance(r, records.Loss):
            yield Address("loss", None, r.epoch, r.sample), r.loss, r
        elif isinstance(r, records.Delta):
            yield Address("delta", r.unit, r.epoch, r.sample), r.delta, r
        elif isinstance(r, records.Gradient):
            yield Address("grad", r.weight, r.epoch, r.sample, r.step), r.grad, r
        elif isinstance(r, records.Update):
            yield Address("new", r.weight, r.epoch, None, r.step), r.new, r
