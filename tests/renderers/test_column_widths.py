"""Columns are narrowed a level at a time (a fraction's 20,000 digits took seconds one column
at a time); the widths must be those of narrowing one column at a time, as the docstring of
`layout.column_widths` describes it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backtrace.renderers import layout


def one_at_a_time(table: list[list[str]], room: int, fold: bool, matrix: bool) -> list[int]:
    """The rule, step by step: a column from the widest above its floor (its longest word),
    the first of equals, until the table fits; then, with `fold`, from the widest down to 1."""
    columns = list(zip(*table))
    widths = [max(len(line) for cell in column for line in cell.split("\n")) for column in columns]
    if sum(widths) <= room:
        return widths
    floors = [max((len(word) for cell in column for word in cell.split()), default=0)
              for column in columns]  # fmt: skip
    if matrix:
        floors[0] = widths[0]
    while sum(widths) > room:
        shrinkable = [index for index in range(len(widths)) if widths[index] > floors[index]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda index: widths[index])] -= 1
    while fold and sum(widths) > room and max(widths) > 1:
        widths[widths.index(max(widths))] -= 1
    return widths


WORDS = st.text(alphabet="ab1", min_size=0, max_size=30)
CELLS = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)


@given(
    st.integers(1, 5).flatmap(
        lambda count: st.lists(st.lists(CELLS, min_size=count, max_size=count), min_size=1, max_size=4)
    ),
    st.integers(0, 150),
    st.booleans(),
    st.booleans(),
)
def test_widths_are_those_of_narrowing_one_column_at_a_time(table, room, fold, matrix) -> None:
    assert layout.column_widths(table, room, fold=fold, matrix=matrix) == one_at_a_time(
        table, room, fold, matrix
    )


def test_a_long_fraction_is_folded_to_the_room_left() -> None:
    table = [["W10", "1" * 20_000 + "/" + "3" * 20_000, "ok"]]
    assert layout.column_widths(table, 80, fold=True) == [3, 75, 2]
    assert layout.column_widths(table, 80) == [3, 40_001, 2]  # never inside a word unfolded
