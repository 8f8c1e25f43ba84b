"""Lay the trace out as blocks (headings, tables, lines, notes) that any page-like format can draw.

The table, text, Markdown and LaTeX renderers share this: it decides what goes in which table
and which arithmetic each cell holds; they only decide how a block looks. A cell is text or a
phrase holding expression trees (`backtrace.expressions`): `worked_blocks` yields them as
trees, for a format with its own notation, and `blocks` as the Unicode text of the tables.
Records are grouped into sections (a sample's forward pass, its deltas, a step's updates ...);
a section becomes a block as soon as the next one begins or a `Pause` arrives, so memory stays
bounded by one sample.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from backtrace import records
from backtrace.expressions.evaluation import approximations_marked
from backtrace.expressions.nodes import (
    Address,
    Blank,
    Blanks,
    Cell,
    Chain,
    Node,
    Number,
    Phrase,
    Symbol,
    equation,
    numbers_mapped,
    substituted,
)
from backtrace.expressions.printing import TextPrinter
from backtrace.formulas.optimizers import OPTIMIZERS
from backtrace.frozen import frozen
from backtrace.numbers import NumberFormatter, with_decimal
from backtrace.records import sending_names
from backtrace.renderers import wording, worked

Formatter = Callable[[float], str]


@frozen
class Banner:
    """The run's header: what is trained, on what, how."""

    title: str
    lines: tuple[str, ...]


@frozen
class Remark:
    title: str
    text: str
    tone: Literal["note", "alarm"] = "note"


@frozen
class Heading:
    text: str
    level: int = 2  # 2: a sample or a weights listing; 3: an epoch summary


@frozen
class Grid:
    """A table: column titles, rows of cells, and numbered footnotes. A grid of `blocks` has
    text cells and keeps the grid of trees it was printed from (`source`), so that a grid too
    wide for the page can be written another way."""

    title: Cell | None
    columns: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    matrix: bool = False  # a weight matrix: numbers right-aligned, first column a label
    caption: str | None = None  # how the grid was split to fit the page, when it was
    header: bool = True  # whether the column titles are shown
    source: Any = field(default=None, compare=False, repr=False)  # (grid of trees, printer)


def column_widths(
    table: Sequence[Sequence[str]], room: int, *, fold: bool = False, matrix: bool = False
) -> list[int]:
    """Each column's width: its widest line, narrowed (widest column first) until the table
    fits in `room`, but never below its longest word. When even that is too wide, `fold`
    narrows the widest columns further, so that a word too long for any page (a fraction of
    a hundred digits) is folded over lines, whole, and the other columns keep their width;
    without it, the table runs past `room` rather than break a word. A matrix's corner
    heading counts as one word, so that it reads on one line."""
    columns = list(zip(*table))
    widths = [max(map(_cell_width, column)) for column in columns]
    if sum(widths) <= room:
        return widths  # the usual case: every column as wide as its widest line
    floors = [
        max((width_of(word) for cell in column for word in cell.split()), default=0)
        for column in columns
    ]
    if matrix:
        floors[0] = widths[0]
    _narrow(widths, floors, room)
    if fold:
        _narrow(widths, [1] * len(widths), room)
    return widths


def _narrow(widths: list[int], floors: list[int], room: int) -> None:
    """Take a column from the widest above its floor (the first of equals), one at a time,
    until the widths fit in `room` or none is above its floor. Done a level at a time: one
    column at a time took seconds for the width of a fraction of 20,000 digits."""
    while (excess := sum(widths) - room) > 0:
        shrinkable = [index for index, width in enumerate(widths) if width > floors[index]]
        if not shrinkable:
            return
        top = max(widths[index] for index in shrinkable)
        widest = [index for index in shrinkable if widths[index] == top]
        below = max((widths[index] for index in shrinkable if widths[index] < top), default=0)
        rounds = min(top - below, top - max(floors[index] for index in widest),
                     excess // len(widest))  # fmt: skip
        if rounds == 0:  # less than a round left: the first of the widest give a column each
            for index in widest[:excess]:
                widths[index] -= 1
            return
        for index in widest:
            widths[index] -= rounds


def _cell_width(cell: str) -> int:
    """The length of a cell's longest line."""
    return max(map(width_of, cell.split("\n"))) if "\n" in cell else width_of(cell)


def width_of(text: str) -> int:
    """The columns a text takes on screen: a combining mark (the hat of m̂) takes none, a wide
    character two (rich's measure, which the table format's console uses too)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len  # here: the machine formats use layout and not rich

    return cell_len(text)


def padded(text: str, width: int, right: bool = False) -> str:
    """`text` filled with spaces to `width` columns, on the right (or the left, for numbers)."""
    fill = " " * max(width - width_of(text), 0)
    return fill + text if right else text + fill


def cell_lines(cell: str, width: int, *, fold: bool = False) -> list[str]:
    """A cell's text as lines at most `width` long, broken between words; a word longer than
    that is folded over lines with `fold`, else left whole on a line of its own."""
    lines = []
    for paragraph in cell.split("\n"):
        if width_of(paragraph) <= width and paragraph == paragraph.strip():
            lines.append(paragraph)  # most cells fit: no need to look for breaks
        else:
            lines += textwrap.wrap(
                paragraph, width, break_long_words=fold, break_on_hyphens=False
            ) or [""]
    return lines


def readable_header(grid: Grid, widths: Sequence[int]) -> bool:
    """Whether every column title fits its width in at most two lines: a heading broken into
    one word per line does not read as a formula."""
    if not grid.header or grid.matrix:
        return True
    return all(
        len(cell_lines(title, width)) <= 2
        for title, width in zip(grid.columns, widths)
        if isinstance(title, str)
    )


def fitted(grid: Grid, fits: Callable[[Grid], bool]) -> list[Grid]:
    """The grid as drawn within a page that `fits` tells the size of, never cutting a number.

    A grid that fits is drawn whole. A weight matrix too wide is split into blocks of
    columns, each repeating the row labels. Any other table too wide is written as a listing:
    a small block per row (a weight, a unit), one line per column, the column's formula
    joined to the row's arithmetic: `m := 0.9·0 + (1 - 0.9)·6.5 = 0.65`."""
    if fits(grid):
        return [grid]
    if grid.matrix:
        return _column_blocks(grid, fits)
    return _listing(grid)


def _column_blocks(grid: Grid, fits: Callable[[Grid], bool]) -> list[Grid]:
    sending = grid.columns[1:]
    # As many columns per block as fit (at least one), then the same number in each block
    # where that fits too, so the last block is not left with a single column.
    widest = 1
    while widest < len(sending) and fits(_columns(grid, 0, widest + 1, "")):
        widest += 1
    count = -(-len(sending) // widest)
    even = [(len(sending) * part // count, len(sending) * (part + 1) // count) for part in
            range(count)]  # fmt: skip
    if all(fits(_columns(grid, first, last, "")) for first, last in even):
        parts = even
    else:
        parts = [
            (first, min(first + widest, len(sending))) for first in range(0, len(sending), widest)
        ]
    return [
        _columns(
            grid,
            first,
            last,
            f"columns {sending[first]}–{sending[last - 1]}, part {number} of {len(parts)}",
            notes=grid.notes if number == len(parts) else (),
        )
        for number, (first, last) in enumerate(parts, start=1)
    ]


def _columns(grid: Grid, first: int, last: int, caption: str, notes: tuple[str, ...] = ()) -> Grid:
    """The label column and value columns first..last-1 of a matrix."""
    return Grid(
        grid.title,
        (grid.columns[0], *grid.columns[1 + first : 1 + last]),
        tuple((row[0], *row[1 + first : 1 + last]) for row in grid.rows),
        notes,
        matrix=True,
        caption=caption,
    )


def _listing(grid: Grid) -> list[Grid]:
    """One headerless block per row, its first cell as the heading and a line per column."""
    if grid.source is None:
        source, printer = grid, TextPrinter(str)
    else:
        source, printer = grid.source
    blocks = []
    for number, row in enumerate(source.rows):
        label = printer.cell(row[0])
        lines = tuple(
            (printer.cell(listed(title, cell, label)),)
            for title, cell in zip(source.columns[1:], row[1:])
            if cell
        )
        blocks.append(
            Grid(
                f"{printer.cell(source.title)}\n{label}" if source.title and not number else label,
                ("",),
                lines,
                grid.notes if number == len(source.rows) - 1 else (),
                caption="one block per row: the table is wider than the page"
                if number == len(source.rows) - 1 and len(source.rows) > 1
                else None,
                header=False,
            )
        )
    return blocks


def listed(title: Cell, cell: Cell, subject: str | None = None) -> Cell:
    """A column's title and a row's cell as one line. A title that is a formula lends the
    line its left-hand side (`m :=` before `0.9·0 + ... = 0.65`), named for the row's
    `subject` where it stands for it (`W10 :=`, `J'(W10) =`, `h_Z1 =`); any other title is
    put before the cell as a label."""
    title_chain = _only_chain(title)
    cell_chain = _only_chain(cell)
    if title_chain is not None and cell_chain is not None:
        left = title_chain.parts[0]
        if subject:
            left = substituted(
                left,
                {
                    Symbol("W"): Symbol(subject),
                    Symbol("h"): Symbol("h", subject),
                    Symbol("z"): Symbol("z", subject),
                },
            )
        relation = title_chain.relations[0] if title_chain.relations else "="
        return (equation(left, cell_chain, relation=relation),)
    if title_chain is None and isinstance(title, str) and title in ("", "δ", "J'(W)"):
        return cell
    prefix: Phrase = (title,) if isinstance(title, str) else title
    rest: Phrase = (cell,) if isinstance(cell, str) else cell
    return (*prefix, ": ", *rest)


def _only_chain(cell: Cell) -> Chain | None:
    """The chain a cell consists of, if it is one formula alone (a bare number is a chain
    of one part)."""
    if isinstance(cell, tuple) and len(cell) == 1 and not isinstance(cell[0], str):
        return cell[0] if isinstance(cell[0], Chain) else Chain((cell[0],), ())
    return None


@frozen
class Line:
    text: str
    notes: tuple[str, ...] = ()
    strong: bool = True  # a result worth emphasis (the loss), not a running summary


Block = Banner | Remark | Heading | Grid | Line


@frozen
class Section:
    """Records shown together: one table's worth (a sample's forward pass, its deltas, a
    step's updates ...), or a single record that stands alone (`name` None)."""

    name: str | None
    records: tuple[records.Record, ...]


def sections(stream: Iterable[records.Record]) -> Iterator[Section]:
    """The stream grouped into sections, in order.

    Records join the section their kind declares; a reference joins its quantity's section.
    With one sample per step, a sample's gradients join the update section that follows
    them, because each update row then writes its gradient out as Z·δ. A section ends when
    the next record belongs elsewhere, when a new step's updates begin, or at a `Pause`,
    so memory stays bounded by one section.
    """
    batch_size = 1
    name: str | None = None
    pending: list[records.Record] = []
    step: int | None = None
    for record in stream:
        if isinstance(record, records.Start):
            batch_size = record.batch_size
        if isinstance(record, records.Pause):
            if pending:
                yield Section(name, tuple(pending))
                pending = []
            continue
        wanted = record.kind.section
        if wanted == "gradient" and batch_size == 1:
            wanted = "update"
        new_step = isinstance(record, records.Update) and step is not None and record.step != step
        if pending and (wanted != name or new_step):
            yield Section(name, tuple(pending))
            pending, step = [], None
        if wanted is None:
            yield Section(None, (record,))
            continue
        name = wanted
        pending.append(record)
        if isinstance(record, records.Update):
            step = record.step
    if pending:
        yield Section(name, tuple(pending))


@dataclass
class _Context:
    """What earlier records told the layout about the run."""

    layers: tuple[records.Layer, ...] = ()
    optimizer: str = "gradient_descent"
    settings: dict[str, float] = field(default_factory=dict)
    schedule: str = "constant"
    samples: int = 0
    exact: bool = False  # fractions, not floats
    # Each weight's per-sample gradients shown since the last update, for the update table.
    step_gradients: dict[str, list[records.Gradient]] = field(default_factory=dict)
    # The samples whose records were shown since the last weights: a selection of samples
    # makes the weights that follow, after every sample, worth saying so (issue 18).
    shown_samples: set[int] = field(default_factory=set)


def blocks(
    stream: Iterable[records.Record],
    fmt: Formatter,
    printer: TextPrinter | None = None,
    blanks: Mapping[Address, int] | None = None,
) -> Iterator[Block]:
    """The blocks for a record stream, in order, every cell printed as text by `printer`
    (the Unicode arithmetic of the tables, by default), with any `blanks` left blank."""
    printer = printer or TextPrinter(fmt)
    for block in worked_blocks(stream, fmt, blanks):
        yield printed(block, printer)


def worked_blocks(
    stream: Iterable[records.Record],
    fmt: Formatter,
    blanks: Mapping[Address, int] | Blanks | None = None,
) -> Iterator[Block]:
    """The blocks for a record stream, in order, their arithmetic as trees. Words and the
    numbers inside them are formatted with `fmt`; each chain's last "=" is "≈" where the
    numbers `fmt` prints do not give the result it prints. A result whose address is in
    `blanks` is left as that numbered blank (a worksheet)."""
    context = _Context()
    for section in sections(stream):
        for record in section.records:
            if record.kind.phase is not None:  # a sample's own record, or a step's
                samples = getattr(record, "samples", None) or (getattr(record, "sample", None),)
                context.shown_samples.update(s for s in samples if isinstance(s, int))
        if section.name is None:
            yield from _whole(section.records[0], context, fmt)
        else:
            for block in _section(section.name, list(section.records), context, fmt):
                block = _approximations_marked(block, context, fmt)
                yield blanked(block, blanks) if blanks else block


def results(cell: Cell) -> Iterator[tuple[Chain, Number]]:
    """The chains of a cell whose last part is a number: a worked line and its result."""
    for piece in () if isinstance(cell, str) else cell:
        if isinstance(piece, Chain) and isinstance(piece.parts[-1], Number):
            yield piece, piece.parts[-1]


def blanked(block: Block, blanks: Mapping[Address, int] | Blanks) -> Block:
    """The block with each result in `blanks` replaced by its blank. With `Blanks` that say
    `everywhere`, every number printed under one of its addresses becomes that blank, so no
    later line gives the answer away; otherwise the result itself, and the same number
    wherever else its row shows it (z = identity(h) would give h away), but not in other
    rows."""

    everywhere = isinstance(blanks, Blanks) and blanks.everywhere

    def row_blanked(cells: tuple[Cell, ...]) -> tuple[Cell, ...]:
        found = (
            blanks
            if everywhere
            else {
                result.address: blanks[result.address]
                for cell in cells
                for _, result in results(cell)
                if result.address in blanks
            }
        )
        if not found:
            return cells

        def blank(number: Number) -> Node:
            if number.address is None or number.address not in found:
                return number
            return Blank(found[number.address], number.address)

        return tuple(
            cell if isinstance(cell, str) else
            tuple(piece if isinstance(piece, str) else numbers_mapped(piece, blank) for piece in cell)
            for cell in cells
        )  # fmt: skip

    if isinstance(block, Grid):
        return dataclasses.replace(block, rows=tuple(row_blanked(row) for row in block.rows))
    if isinstance(block, Line) and not isinstance(block.text, str):
        return dataclasses.replace(block, text=row_blanked((block.text,))[0])
    return block


def printed(block: Block, printer: TextPrinter) -> Block:
    """The block with every cell as text."""
    if isinstance(block, Grid):
        return dataclasses.replace(
            block,
            title=None if block.title is None else printer.cell(block.title),
            columns=tuple(printer.cell(column) for column in block.columns),
            rows=tuple(tuple(printer.cell(cell) for cell in row) for row in block.rows),
            source=(block, printer),
        )
    if isinstance(block, Line) and not isinstance(block.text, str):
        return dataclasses.replace(block, text=printer.cell(block.text))
    return block


def _approximations_marked(block: Block, context: _Context, fmt: Formatter) -> Block:
    """The block with "≈" where the printed numbers do not give the printed result."""
    if not wording.checks_approximations(fmt, context.exact):
        return block
    digits = wording.digits_of(fmt)

    def marked(cell: Cell) -> Cell:
        if isinstance(cell, str):
            return cell
        return tuple(
            approximations_marked(piece, fmt, digits) if isinstance(piece, Chain) else piece
            for piece in cell
        )

    if isinstance(block, Grid):
        rows = tuple(tuple(marked(cell) for cell in row) for row in block.rows)
        return dataclasses.replace(block, rows=rows)
    if isinstance(block, Line):
        return dataclasses.replace(block, text=marked(block.text))
    return block


def _whole(record: records.Record, context: _Context, fmt: Formatter) -> Iterator[Block]:
    if isinstance(record, records.Start):
        context.layers = record.layers
        context.optimizer, context.settings = record.optimizer, dict(record.settings)
        context.schedule, context.samples = record.schedule, record.samples
        context.exact = record.arithmetic == "exact"
        yield banner(record, fmt)
    elif isinstance(record, records.Note):
        yield Remark("Note", record.text)
    elif isinstance(record, records.Weights):
        shown = sorted(context.shown_samples) if record.when != "initial" else []
        context.shown_samples = set()
        yield Heading(wording.weights_heading(record, shown, context.samples))
        yield from weight_grids(context.layers, dict(record.values), readable(fmt))
    elif isinstance(record, records.Sample):
        yield Heading(sample_heading(record, fmt))
    elif isinstance(record, records.EpochEnd):
        shown = readable(fmt)
        text = f"Epoch {record.epoch}: mean loss {shown(record.loss)}"
        if record.accuracy is not None:
            text += f", accuracy {shown(record.accuracy)} ({record.correct} of {context.samples})"
        yield Line(text, strong=False)
    elif isinstance(record, records.Shuffle):
        order = ", ".join(str(sample) for sample in record.order)
        yield Line(f"Epoch {record.epoch} takes the samples in this order: {order}", strong=False)
    elif isinstance(record, records.Diverged):
        yield Remark("Diverged", diverged_message(record, fmt), "alarm")
    elif isinstance(record, records.CheckSummary):
        yield Line(check_verdict(record, fmt))


def banner(record: records.Start, fmt: Formatter) -> Banner:
    layers = []
    for layer in record.layers:
        units = ((layer.bias_unit,) if layer.bias_unit else ()) + layer.units
        label = " ".join(units)
        layers.append(f"{label} ({layer.activation})" if layer.activation else label)
    epochs = plural(record.epochs, "epoch")
    lines = [
        f"config: {record.source}",
        "network: " + " → ".join(layers),
        f"loss: {record.loss}, {record.loss_formula}",
        f"learning rate α = {fmt(record.learning_rate)}, batch size {record.batch_size}, "
        f"{epochs}, {plural(record.samples, 'sample')}",
    ]
    settings = dict(record.settings)
    if record.optimizer != "gradient_descent" or any(settings.values()):
        lines.append("optimizer: " + OPTIMIZERS[record.optimizer].header(settings, fmt))
    if record.schedule != "constant":
        every = f" every {record.schedule_every} steps" if record.schedule_every else " each step"
        lines.append(f"learning rate schedule: ×{fmt(record.schedule_gamma)}{every}")
    if record.shuffle:
        lines.append("samples shuffled every epoch (seeded)")
    if record.frozen:
        lines.append("frozen: " + ", ".join(record.frozen))
    if record.slips:
        lines.append("SLIPS ON PURPOSE (not the right method): " + ", ".join(record.slips))
    return Banner(record.title or "backtrace", tuple(lines))


def check_verdict(record: records.CheckSummary, fmt: Formatter) -> str:
    """'All 13 weights agree ...' or '10 of 13 weights fail ...', with the worst error."""
    worst = f"the worst relative error is {fmt(record.worst)} ({record.worst_weight})"
    test = f"|J' - n| ≤ {fmt(record.atol)} + {fmt(record.tolerance)}·|n|"
    noisy = (
        f"; {record.noise_limited} noise-limited (below what the difference can resolve)"
        if record.noise_limited
        else ""
    )
    if record.failed:
        return f"{record.failed} of {record.checked} weights fail {test}{noisy}: {worst}."
    return f"All {record.checked} weights agree within {test}{noisy}: {worst}."


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sample_heading(record: records.Sample, fmt: Formatter) -> str:
    inputs = ", ".join(f"{name} = {fmt(value)}" for name, value in record.inputs)
    targets = ", ".join(f"{name} = {fmt(value)}" for name, value in record.targets)
    return f"Epoch {record.epoch} · sample {record.sample}: {inputs}; target {targets}"


def readable(fmt: Formatter) -> Formatter:
    """`fmt` for a value that stands alone: a long exact fraction gets its decimal beside it
    (numbers.with_decimal), which a line of arithmetic, already long, does without."""
    digits = wording.digits_of(fmt)
    return lambda value: with_decimal(value, digits)


def weight_grids(
    layers: tuple[records.Layer, ...], values: dict[str, float], fmt: Formatter
) -> Iterator[Grid]:
    """One matrix per weight layer: a row per receiving unit, a column per sending unit (and
    one for the bias, headed by its bias unit, or 'bias' for a bias term)."""
    for index in range(1, len(layers)):
        layer = layers[index]
        sending = tuple("bias" if name == "1" else name for name in sending_names(layers, index))
        corner = f"{layer.weight_prefix} into ↓ from →" if layer.weight_prefix else "into ↓ from →"
        rows = tuple(
            (unit, *(fmt(values[name]) for name in row))
            for unit, row in zip(layer.units, layer.weights)
        )
        yield Grid(None, (corner, *sending), rows, matrix=True)


def diverged_message(record: records.Diverged, fmt: Formatter) -> str:
    where = (
        f"epoch {record.epoch}"
        + (f", sample {record.sample}" if record.sample else "")
        + f" (step {record.step})"
    )
    what = {
        "h": f"h of {record.name}",
        "z": f"z of {record.name}",
        "delta": f"δ_{record.name}",
        "loss": "the loss",
        "new": f"the new value of {record.name}",
    }[record.quantity]
    return (
        f"Training diverged at {where}: {what} became {fmt(record.value)}. "
        "Stopped before printing numbers that no longer mean anything."
    )


# -- sections ----------------------------------------------------------------------------------


def reference_cells(
    references: list[records.Reference], fmt: Formatter
) -> tuple[dict[str | None, str], tuple[str, ...]]:
    """The reference column's text per row name, and the footnotes. References that disagree
    in the same way share one note, so six weights with the same slip get one footnote."""
    notes: list[str] = []
    numbers: dict[int, int] = {}
    for group in wording.disagreements(references):
        notes.append(wording.reference_note(group, fmt))
        for reference in group:
            numbers[id(reference)] = len(notes)
    cells: dict[str | None, str] = {}
    for reference in references:
        if reference.agrees:
            value = fmt(reference.printed)
            mark = (
                f"✓ {reference.quantity} = {value}"
                if reference.quantity in ("h", "z")
                else f"✓ {value}"
            )
        else:
            shown = wording.telling_apart(reference, fmt)(reference.printed)
            mark = f"✗ prints {shown} [{numbers[id(reference)]}]"
        key = reference.name
        cells[key] = f"{cells[key]}, {mark}" if key in cells else mark
    return cells, tuple(notes)


def _section(
    section: str | None, pending: list[records.Record], context: _Context, fmt: Formatter
) -> Iterator[Block]:
    rows = [record for record in pending if not isinstance(record, records.Reference)]
    references = [record for record in pending if isinstance(record, records.Reference)]
    cells, notes = reference_cells(references, fmt)
    extra = (references[0].source,) if references else ()

    def grid(title: Cell, columns: tuple[Cell, ...], body: list[tuple[Cell, ...]]) -> Grid:
        return Grid(title, columns + extra, tuple(body), notes)

    def with_reference(name: str | None, *cells_before: Cell) -> tuple[Cell, ...]:
        return (*cells_before, cells.pop(name, "")) if references else cells_before

    if section == "forward":
        body = []
        for record in rows:
            layer = context.layers[record.layer] if record.layer < len(context.layers) else None
            parameters = dict(layer.parameters) if layer else {}
            body.append(
                with_reference(
                    record.unit,
                    record.unit,
                    (worked.forward_h(record),),
                    (worked.forward_z(record, parameters),),
                )
            )
        # References to units with no weighted sum (bias and input units) still deserve a row.
        body += [
            (name or "", "not computed: no weights feed this unit", "", cell)
            for name, cell in cells.items()
        ]
        yield grid("Forward pass", ("unit", (worked.WEIGHTED_SUM,), (worked.ACTIVATION,)), body)
    elif section == "loss":
        comparison = f" ({references[0].source}: {cells[None]})" if None in cells else ""
        for record in rows:
            yield Line((f"Loss ({record.name}): ", worked.loss_line(record), comparison), notes)
        if not rows:
            yield Line(f"Loss:{comparison}", notes)
    elif section == "check":
        checks = [r for r in rows if isinstance(r, records.Check)]
        title = f"Gradient check at epoch {checks[0].epoch}, step {checks[0].step}"
        columns = (
            "weight",
            "W",
            "backprop J'(W)",
            "(L(W+ε) - L(W-ε))/2ε",
            "ratio",
            "relative error",
            "truncation",
            "rounding",
            "verdict",
        )
        body = [
            (
                r.weight,
                fmt(r.value),
                fmt(r.backprop),
                fmt(r.numeric),
                "" if r.ratio is None else fmt(r.ratio),
                fmt(r.error),
                fmt(r.truncation),
                fmt(r.rounding),
                "FAILS" if r.verdict == "fails" else r.verdict,
            )
            for r in checks
        ]
        yield grid(title, columns, body)
    elif section == "backward":
        outputs = len(context.layers[-1].units) if context.layers else 1
        body = [
            with_reference(r.unit, r.unit, (worked.delta_line(r, outputs),)) for r in rows
        ]
        body += [
            (name or "", "no delta: no weights feed this unit", cell)
            for name, cell in cells.items()
        ]
        yield grid("Backward pass", ("unit", "δ"), body)
    else:  # gradients, or a step's updates with a one-sample step's gradients folded in
        updates = [r for r in rows if isinstance(r, records.Update)]
        gradients = [r for r in rows if isinstance(r, records.Gradient)]
        for record in gradients:
            context.step_gradients.setdefault(record.weight, []).append(record)
        if updates:
            title, columns, body = _update_table(updates, context, fmt, with_reference)
            blank = ("",) * (len(columns) - 1)
            body += [(name or "", *blank, cell) for name, cell in cells.items()]
            yield grid(title, columns, body)
            context.step_gradients = {}
        else:
            body = [
                with_reference(r.weight, r.weight, (worked.gradient_line(r),))
                for r in gradients
            ]
            body += [(name or "", "", cell) for name, cell in cells.items()]
            yield grid("Gradients J'(W) = Z·δ", ("weight", "J'(W)"), body)


def _update_table(
    updates: list[records.Update],
    context: _Context,
    fmt: Formatter,
    with_reference: Callable[..., tuple[Cell, ...]],
) -> tuple[Cell, tuple[Cell, ...], list[tuple[Cell, ...]]]:
    """Title, columns and rows of a step's update table: each weight's gradient, then one
    column per quantity the optimizer computes, the new weight last. A one-sample step
    writes the gradient out as Z·δ; a batch's is the mean of its samples' gradients."""
    one_sample = len(updates[0].samples) == 1
    optimizer = OPTIMIZERS[context.optimizer]
    columns = optimizer.columns(context.settings)

    body = []
    for record in updates:
        shown = context.step_gradients.get(record.weight, [])
        if one_sample and shown:
            gradient: Cell = (worked.gradient_cell(shown[-1]),)
        else:
            gradient = (worked.batch_mean_cell(record, shown),)
        cells: list[Cell]
        if record.frozen:
            cells = [""] * (len(columns) - 1) + [f"frozen: stays {fmt(record.old)}"]
        else:
            values = {
                "W": record.old,
                "J": record.grad,
                "new": record.new,
                "α": record.learning_rate,
                **dict(record.state),
            }

            def where(key: str, record: records.Update = record) -> Address:
                return Address(key, record.weight, epoch=record.epoch, step=record.step)

            cells = [(column.worked(values, where),) for column in columns]
        body.append(with_reference(record.weight, record.weight, gradient, *cells))
    gradient_column = (
        worked.one_sample_gradient_title() if one_sample else worked.batch_gradient_title()
    )
    title = wording.update_heading(updates[0])
    if context.schedule != "constant":
        title += f", α = {fmt(updates[0].learning_rate)}"
    step_line = optimizer.step_line(context.settings, dict(updates[0].state))
    full_title: Cell = (title, "; ", *step_line) if step_line else title
    columns_cells: tuple[Cell, ...] = tuple((c.title,) for c in columns)
    return full_title, ("weight", (gradient_column,), *columns_cells), body


def worked_lines(shown: Iterable[records.Record], digits: int) -> dict[Address, Cell]:
    """Each result's full worked line, keyed by the result's address: a column's formula
    joined to its arithmetic (`h_Z1 = W10·X0 + ... = 1`), as a too-wide table lists it."""
    lines: dict[Address, Cell] = {}
    for block in worked_blocks(shown, NumberFormatter(digits)):
        if isinstance(block, Grid) and not block.matrix:
            for row in block.rows:
                label = row[0] if isinstance(row[0], str) else None
                for title, cell in zip(block.columns[1:], row[1:]):
                    for _, result in results(cell):
                        lines.setdefault(result.address, listed(title, cell, label))
        elif isinstance(block, Line) and not isinstance(block.text, str):
            for chain, result in results(block.text):
                lines.setdefault(result.address, (chain,))
    return lines
