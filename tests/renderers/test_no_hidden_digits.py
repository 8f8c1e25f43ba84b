"""No digit is ever hidden: wide tables wrap, split into column blocks, or go one row per table.

A 4-8-8-3 network is rendered at 60, 80 and 120 columns, and every number of its trace must
appear whole in the output, at the precision asked for, with no line past the width.
"""

from __future__ import annotations

import re

import pytest

import backtrace
from backtrace import records
from backtrace.numbers import format_number

WIDE = {
    "title": "a 4-8-8-3 network",
    "inputs": 4,
    "layers": [
        {"units": 8, "activation": "tanh", "weights": {"init": "xavier_uniform"}},
        {"units": 8, "activation": "tanh", "weights": {"init": "xavier_uniform"}},
        {"units": 3, "activation": "softmax", "weights": {"init": "xavier_uniform"}},
    ],
    "loss": "softmax_cross_entropy",
    "optimizer": {"learning_rate": 0.1},
    "seed": 3,
    "data": [[5.1, 3.5, 1.4, 0.2, 1, 0, 0], [7.0, 3.2, 4.7, 1.4, 0, 1, 0]],
}


def every_number(trace: backtrace.Trace, digits: int) -> set[str]:
    """Each number the trace holds, as the human formats print it."""
    numbers = set()
    for record in trace.records:
        values: list[float] = []
        if isinstance(record, records.Weights):
            values = [value for _, value in record.values]
        elif isinstance(record, records.Forward):
            values = [record.h, record.z, *(t.w for t in record.terms)]
        elif isinstance(record, records.Delta):
            values = [record.delta]
        elif isinstance(record, records.Update):
            values = [record.old, record.grad, record.new]
        numbers.update(format_number(value, digits) for value in values)
    return numbers


@pytest.mark.parametrize("output_format", ["table", "text"])
@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize("precision", [None, 3])
def test_every_number_is_printed_whole(output_format: str, width: int, precision) -> None:
    trace = backtrace.run(WIDE, sample=1)
    out = trace.render(output_format, width=width, precision=precision)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= width
    printed = set(re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", out))
    missing = every_number(trace, precision or 6) - printed
    assert not missing, sorted(missing)[:10]


def test_wide_matrices_say_how_they_were_split() -> None:
    out = backtrace.run(WIDE, trace="none").render("table", width=60)
    assert "columns Z1_0–Z1_2, part 1 of 3" in out and "columns Z1_6–Z1_8, part 3 of 3" in out
    # Each block repeats the row labels.
    rows = [line for line in out.splitlines() if line.startswith(" Z2_8 ")]
    assert len(rows) == 3 * 2  # W2_ in three blocks, for the initial and final weights
    assert "W2_ into ↓ from →" in out  # the corner heading stays on one line


def test_tables_too_wide_for_the_page_go_one_block_per_row() -> None:
    narrow = dict(WIDE, layers=[dict(layer, units=2) for layer in WIDE["layers"][:2]])
    narrow["layers"].append(WIDE["layers"][2])
    out = backtrace.run(narrow, sample=1, phase="forward").render("table", width=20 + 2)
    assert "one block per row" in out
    assert max(len(line) for line in out.splitlines()) <= 22


def test_a_disagreeing_reference_shows_the_digits_where_it_differs() -> None:
    # Mazur's post prints the second epoch's loss as 0.291027924; the tool computes
    # 0.291027774. At six digits both read 0.291028, which would make "✗" look like a slip.
    text = backtrace.run(backtrace.load("mazur"), trace="all").render("text", width=120)
    notes = re.findall(r"prints\s+(\S+)\s+for\s+the\s+loss;\s+computed\s+(\S+)\.", text)
    marks = re.findall(r"✗\s+prints\s+(\S+)\s+\[", text)
    assert notes and marks
    for printed, computed in notes:
        assert printed != computed
        assert (
            abs(float(printed) - 0.291027924) < 1e-7 and abs(float(computed) - 0.291027774) < 1e-7
        )
    assert all(mark in {printed for printed, _ in notes} for mark in marks)
