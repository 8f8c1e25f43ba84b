"""Plain text laid out like a worked example on paper: a block per unit, a line per formula.

Every record is written as soon as it arrives (nothing is buffered but the current sample's
gradients), which is what lets `backtrace step` show one piece at a time.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from functools import partial
from typing import TextIO

from backtrace.engine import records
from backtrace.render import arithmetic, layout
from backtrace.render.numbers import format_number
from backtrace.render.options import RenderOptions

INDENT = "  "


class TextRenderer:
    def __init__(self, out: TextIO, options: RenderOptions) -> None:
        self.out = out
        self.fmt = partial(format_number, digits=options.digits(machine=False))
        self.width = options.width or 80
        self.batch_size = 1
        self.outputs = 1
        self.layers: tuple[records.LayerInfo, ...] = ()
        self.gradients: dict[str, records.Gradient] = {}
        self.heading_for: str | None = None  # the section whose heading was printed last

    def write(self, *lines: str) -> None:
        self.out.write("".join(line + "\n" for line in lines))

    def wrapped(self, text: str, indent: str = "") -> list[str]:
        return textwrap.wrap(
            text, self.width, initial_indent=indent, subsequent_indent=indent + INDENT
        ) or [""]

    def section(self, name: str, title: str) -> None:
        """A heading line the first time a section's records appear in a row."""
        if self.heading_for != name:
            self.write("", title)
            self.heading_for = name

    def render(self, stream: Iterable[records.Record]) -> None:
        references: list[records.Reference] = []
        for record in stream:
            if isinstance(record, records.Reference):
                references.append(record)  # they follow their section; shown together
                continue
            if references:
                self.references(references)
                references = []
            if isinstance(record, records.Pause):
                continue  # a stepper's pause: nothing to show, and the section goes on after it
            if layout.section_of(record) is None:
                self.heading_for = None
            self.show(record)
        if references:
            self.references(references)

    def show(self, record: records.Record) -> None:  # noqa: C901 - one branch per record kind
        fmt = self.fmt
        if isinstance(record, records.Start):
            self.batch_size, self.layers = record.batch_size, record.layers
            self.outputs = len(record.layers[-1].units)
            banner = layout.banner(record, fmt)
            self.write(banner.title, *(INDENT + line for line in banner.lines))
        elif isinstance(record, records.Note):
            self.write("", *self.wrapped(f"Note: {record.text}"))
        elif isinstance(record, records.Weights):
            self.write("", arithmetic.weights_heading(record) + ":")
            values = dict(record.values)
            for layer in self.layers[1:]:
                for row in layer.weights:
                    self.write(INDENT + "  ".join(f"{name} = {fmt(values[name])}" for name in row))
        elif isinstance(record, records.Sample):
            self.write("", layout.sample_heading(record, fmt).replace(" · ", ", "))
            self.gradients = {}
        elif isinstance(record, records.Forward):
            self.write(
                "",
                f"Unit {record.unit}:",
                f"{INDENT}h(x) = {arithmetic.forward_h(record, fmt)}",
                f"{INDENT}z = f(h) = {arithmetic.forward_z(record, fmt)}",
            )
            self.heading_for = "forward"
        elif isinstance(record, records.Loss):
            self.write("", f"Loss ({record.name}):", INDENT + arithmetic.loss_line(record, fmt))
            self.heading_for = "loss"
        elif isinstance(record, records.Delta):
            self.section("backward", "Deltas:")
            self.write(INDENT + arithmetic.delta_line(record, fmt, self.outputs))
        elif isinstance(record, records.Gradient):
            if self.batch_size == 1:
                self.gradients[record.weight] = record  # written out in the update line instead
                return
            self.section(f"gradient {record.sample}", f"Gradients, sample {record.sample}:")
            self.write(INDENT + arithmetic.gradient_line(record, fmt))
        elif isinstance(record, records.Update):
            self.section(
                f"update {record.step}",
                arithmetic.update_heading(record).replace("Update,", "Updates,") + ":",
            )
            gradient = self.gradients.get(record.weight) if len(record.samples) == 1 else None
            self.write(INDENT + arithmetic.update_line(record, gradient, fmt))
        elif isinstance(record, records.EpochEnd):
            self.write("", f"Epoch {record.epoch}: mean loss {fmt(record.loss)}")
        elif isinstance(record, records.Diverged):
            self.write("", *self.wrapped(layout.diverged_message(record, fmt)))

    def references(self, references: list[records.Reference]) -> None:
        agreeing = [
            f"{arithmetic.reference_target(r)} = {self.fmt(r.printed)}"
            for r in references
            if r.agrees
        ]
        if agreeing:
            self.write(
                *self.wrapped(f"✓ {references[0].source} agrees: " + ", ".join(agreeing), INDENT)
            )
        for group in arithmetic.disagreements(references):
            self.write(*self.wrapped("✗ " + arithmetic.reference_note(group, self.fmt), INDENT))


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    TextRenderer(out, options).render(stream)
