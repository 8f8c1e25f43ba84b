"""Rich tables: the worked arithmetic of each traced sample, laid out like a textbook example.

Records are grouped into sections (a sample's forward pass, its deltas, a step's updates ...);
a section is printed as soon as the next one begins, so memory stays bounded by one sample.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TextIO

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from backtrace.engine import records
from backtrace.render import arithmetic
from backtrace.render.numbers import format_number
from backtrace.render.options import RenderOptions

SECTION_OF = {
    records.Forward: "forward",
    records.Loss: "loss",
    records.Delta: "backward",
    records.Gradient: "gradient",
    records.Update: "update",
}


def make_console(out: TextIO, options: RenderOptions) -> Console:
    """A console that writes only to `out`, with colour and width as the options say."""
    return Console(
        file=out,
        width=options.width,
        force_terminal=options.color or None,
        no_color=not options.color,
        color_system="auto" if options.color else None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
    )


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    TableRenderer(make_console(out, options), options).render(stream)


class TableRenderer:
    def __init__(self, console: Console, options: RenderOptions) -> None:
        self.console = console
        self.fmt = partial(format_number, digits=options.digits(machine=False))
        self.section: str | None = None
        self.pending: list[records.Record] = []
        self.batch_size = 1
        self.layer_names: tuple[records.LayerInfo, ...] = ()
        self.gradients: dict[str, records.Gradient] = {}  # the current sample's, for batch size 1

    def render(self, stream: Iterable[records.Record]) -> None:
        for record in stream:
            section = SECTION_OF.get(type(record))
            if isinstance(record, records.Reference):
                self.pending.append(record)  # belongs to the section it follows
                continue
            if section is None or section != self.section:
                self.flush()
            if section is not None:
                self.section = section
                self.pending.append(record)
            else:
                self.show(record)
        self.flush()

    # -- whole records -------------------------------------------------------------------------

    def show(self, record: records.Record) -> None:
        print_ = self.console.print
        if isinstance(record, records.Start):
            self.batch_size = record.batch_size
            self.layer_names = record.layers
            print_(self.start_panel(record))
        elif isinstance(record, records.Note):
            print_(
                Panel(Text(record.text), title="Note", title_align="left", border_style="yellow")
            )
        elif isinstance(record, records.Weights):
            title = (
                "Initial weights"
                if record.when == "initial"
                else f"Weights after epoch {record.epoch}"
            )
            print_(Rule(Text(title, style="bold"), align="left"))
            for table in self.weight_tables(dict(record.values)):
                print_(table)
        elif isinstance(record, records.Sample):
            inputs = ", ".join(f"{name} = {self.fmt(value)}" for name, value in record.inputs)
            targets = ", ".join(f"{name} = {self.fmt(value)}" for name, value in record.targets)
            heading = f"Epoch {record.epoch} · sample {record.sample}: {inputs}; target {targets}"
            print_(Rule(Text(heading, style="bold cyan"), align="left"))
        elif isinstance(record, records.EpochEnd):
            print_(Text(f"Epoch {record.epoch}: mean loss {self.fmt(record.loss)}", style="bold"))
        elif isinstance(record, records.Diverged):
            print_(
                Panel(
                    Text(diverged_message(record, self.fmt)), title="Diverged", border_style="red"
                )
            )

    def start_panel(self, record: records.Start) -> Panel:
        layers = []
        for layer in record.layers:
            units = ((layer.bias_unit,) if layer.bias_unit else ()) + layer.units
            label = " ".join(units)
            layers.append(f"{label} ({layer.activation})" if layer.activation else label)
        epochs = f"{record.epochs} epoch{'s' if record.epochs != 1 else ''}"
        lines = [
            f"config: {record.source}",
            "network: " + " → ".join(layers),
            f"loss: {record.loss}, {record.loss_formula}",
            f"learning rate α = {self.fmt(record.learning_rate)}, batch size {record.batch_size}, "
            f"{epochs}, {record.samples} samples",
        ]
        if record.frozen:
            lines.append("frozen: " + ", ".join(record.frozen))
        return Panel(Text("\n".join(lines)), title=record.title or "backtrace", title_align="left")

    def weight_tables(self, values: dict[str, float]) -> list[Table]:
        tables = []
        for previous, layer in zip(self.layer_names, self.layer_names[1:]):
            sending = ((previous.bias_unit,) if previous.bias_unit else ()) + previous.units
            prefix = layer.weights[0][0].rstrip("0123456789_") if layer.weights else ""
            table = Table(box=box.SIMPLE_HEAD, title=None, show_edge=False)
            table.add_column(f"{prefix} into ↓ from →", style="bold")
            for name in sending:
                table.add_column(name, justify="right")
            for unit, row in zip(layer.units, layer.weights):
                table.add_row(unit, *(self.fmt(values[name]) for name in row))
            tables.append(table)
        return tables

    # -- sections ------------------------------------------------------------------------------

    def flush(self) -> None:
        if self.pending:
            main = [record for record in self.pending if not isinstance(record, records.Reference)]
            references = [
                record for record in self.pending if isinstance(record, records.Reference)
            ]
            handler = {
                "forward": self.forward_section,
                "loss": self.loss_section,
                "backward": self.backward_section,
                "gradient": self.gradient_section,
                "update": self.update_section,
            }[self.section or ""]
            handler(main, references)
        self.pending = []
        self.section = None

    def section_table(
        self, title: str, columns: list[str], references: list[records.Reference]
    ) -> Table:
        table = Table(title=title, title_justify="left", box=box.ROUNDED, title_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        if references:
            table.add_column(references[0].source, overflow="fold")
        return table

    def reference_cells(
        self, references: list[records.Reference], notes: list[str]
    ) -> dict[str | None, str]:
        """The reference column's text per row name; disagreements share one numbered note per
        distinct explanation, so six weights with the same slip get one footnote."""
        cells: dict[str | None, str] = {}
        groups: dict[tuple, list[records.Reference]] = {}
        for reference in references:
            if not reference.agrees:
                groups.setdefault(
                    (reference.note, reference.printed, reference.computed), []
                ).append(reference)
        numbers = {}
        for group in groups.values():
            notes.append(arithmetic.reference_note(group, self.fmt))
            for reference in group:
                numbers[id(reference)] = len(notes)
        for reference in references:
            if reference.agrees:
                value = self.fmt(reference.printed)
                mark = (
                    f"✓ {reference.quantity} = {value}"
                    if reference.quantity in ("h", "z")
                    else f"✓ {value}"
                )
            else:
                mark = f"✗ prints {self.fmt(reference.printed)} [{numbers[id(reference)]}]"
            key = reference.name
            cells[key] = f"{cells[key]}, {mark}" if key in cells else mark
        return cells

    def print_with_notes(self, table: Table, notes: list[str]) -> None:
        parts: list = [table]
        parts.extend(
            Text(f"[{number}] {note}", style="yellow") for number, note in enumerate(notes, start=1)
        )
        self.console.print(Group(*parts))

    def forward_section(self, rows: list, references: list[records.Reference]) -> None:
        table = self.section_table("Forward pass", ["unit", "h = Σ w·z", "z = f(h)"], references)
        notes: list[str] = []
        cells = self.reference_cells(references, notes)
        for record in rows:
            symbols, numbers = arithmetic.weighted_sum(record.terms, self.fmt)
            h = f"{symbols}\n= {numbers} = {self.fmt(record.h)}"
            row = [record.unit, h, arithmetic.forward_z(record, self.fmt)]
            table.add_row(*row, *([cells.pop(record.unit, "")] if references else []))
        self.print_with_notes(table, notes)

    def loss_section(self, rows: list, references: list[records.Reference]) -> None:
        notes: list[str] = []
        cells = self.reference_cells(references, notes)
        for record in rows:
            line = f"Loss ({record.name}): {arithmetic.loss_line(record, self.fmt)}"
            if None in cells:
                line += f"    {references[0].source}: {cells[None]}"
            self.console.print(Text(line, style="bold"))
        for number, note in enumerate(notes, start=1):
            self.console.print(Text(f"[{number}] {note}", style="yellow"))

    def backward_section(self, rows: list, references: list[records.Reference]) -> None:
        table = self.section_table("Backward pass", ["unit", "δ"], references)
        notes: list[str] = []
        cells = self.reference_cells(references, notes)
        for record in rows:
            table.add_row(
                record.unit,
                arithmetic.delta_line(record, self.fmt, len(self.layer_names[-1].units)),
                *([cells.pop(record.unit, "")] if references else []),
            )
        for name, cell in cells.items():  # references to units that have no delta (bias, input)
            table.add_row(name or "", "no delta: nothing feeds this unit", cell)
        self.print_with_notes(table, notes)
        self.gradients = {}

    def gradient_section(self, rows: list, references: list[records.Reference]) -> None:
        # With one sample per step, the update table writes each gradient out as Z·δ itself.
        if self.batch_size == 1:
            self.gradients = {record.weight: record for record in rows}
            if not references:
                return
        table = self.section_table("Gradients J'(W) = Z·δ", ["weight", "J'(W)"], references)
        notes: list[str] = []
        cells = self.reference_cells(references, notes)
        for record in rows:
            table.add_row(
                record.weight,
                arithmetic.gradient_line(record, self.fmt),
                *([cells.pop(record.weight, "")] if references else []),
            )
        self.print_with_notes(table, notes)

    def update_section(self, rows: list, references: list[records.Reference]) -> None:
        first = rows[0]
        samples = first.samples
        span = (
            f"sample {samples[0]}"
            if len(samples) == 1
            else f"samples {samples[0]}-{samples[-1]}, mean gradient"
        )
        table = self.section_table(
            f"Update, step {first.step} ({span})", ["weight", "W := W - α·J'(W)"], references
        )
        notes: list[str] = []
        cells = self.reference_cells(references, notes)
        gradients = self.gradients if len(samples) == 1 else {}
        for record in rows:
            line = arithmetic.update_line(record, gradients.get(record.weight), self.fmt)
            table.add_row(
                record.weight, line, *([cells.pop(record.weight, "")] if references else [])
            )
        self.print_with_notes(table, notes)


def diverged_message(record: records.Diverged, fmt) -> str:
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
    return f"Training diverged at {where}: {what} became {fmt(record.value)}. Stopped before printing numbers that no longer mean anything."
