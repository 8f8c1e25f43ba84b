"""The network as a diagram: columns of units (bias units marked) and the links between them,
each named by its weight, optionally with the numbers at one point of training.

At a point (an epoch and a sample, or a step) each unit carries that sample's h, z and δ and
each link the weight the forward pass used, the step's gradient J'(W) and the weight after
the step: the labels the article writes on its own diagram.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from backtrace import records
from backtrace.errors import UsageError
from backtrace.frozen import frozen
from backtrace.records import sending_names

BIAS_TERM = "1"  # how names.py calls the constant a bias term multiplies
MOST_UNITS = 12  # per column in a drawing; a larger layer shows its first and last units


@frozen
class Unit:
    key: str  # unique in the diagram (two layers' bias terms are both called 1)
    name: str
    bias: bool = False
    h: float | None = None
    z: float | None = None
    delta: float | None = None


@frozen
class Link:
    weight: str
    source: str  # unit keys
    target: str
    w: float | None = None  # the weight the forward pass used
    grad: float | None = None  # J'(W) for the step
    new: float | None = None  # the weight after the step

    def label(self, fmt: Callable[[float], str], before_new: str) -> str:
        """The weight's name, and at a step its value, J'(W) and (after `before_new`) its new
        value, one per line."""
        if self.w is None:
            return self.weight
        label = f"{self.weight} = {fmt(self.w)}"
        if self.grad is not None:
            label += f"\nJ' = {fmt(self.grad)}"
        if self.new is not None:
            label += f"{before_new}{fmt(self.new)}"
        return label

    def named_label(self, fmt: Callable[[float], str]) -> str:
        """One line in which each number is named: `W10: 1 → 1.4, J' = -4` (the weight goes
        from 1 to 1.4; its gradient is -4), or `W10 = 1, J' = -4` without a new value."""
        if self.w is None:
            return self.weight
        if self.new is not None:
            label = f"{self.weight}: {fmt(self.w)} → {fmt(self.new)}"
        else:
            label = f"{self.weight} = {fmt(self.w)}"
        if self.grad is not None:
            label += f", J' = {fmt(self.grad)}"
        return label


@frozen
class Column:
    title: str  # "input", "hidden 1 · sigmoid", "output · identity"
    prefix: str | None  # the weight prefix of the links into it (W, V), when it has one
    units: tuple[Unit, ...]


@frozen
class Diagram:
    title: str
    columns: tuple[Column, ...]
    links: tuple[tuple[Link, ...], ...]  # links[i]: into columns[i + 1]
    point: records.Sample | None = None  # the sample whose numbers are shown, if any

    @property
    def weights(self) -> int:
        return len({link.weight for layer in self.links for link in layer})


def network_diagram(title: str, layers: tuple[records.Layer, ...]) -> Diagram:
    """The diagram of a network from its layers' names."""
    columns: list[Column] = []
    links: list[tuple[Link, ...]] = []
    hidden = len(layers) - 2
    for index, layer in enumerate(layers):
        units = [Unit(layer.bias_unit, layer.bias_unit, bias=True)] if layer.bias_unit else []
        units += [Unit(name, name) for name in layer.units]
        following = layers[index + 1] if index + 1 < len(layers) else None
        if following is not None and following.bias == "term":
            units.insert(0, Unit(f"{BIAS_TERM}@{index}", BIAS_TERM, bias=True))
        if index == 0:
            title_text = "input"
        elif index == len(layers) - 1:
            title_text = f"output · {layer.activation}"
        else:
            number = f" {index}" if hidden > 1 else ""
            title_text = f"hidden{number} · {layer.activation}"
        columns.append(Column(title_text, layer.weight_prefix, tuple(units)))
        if index == 0:
            continue
        sources = [
            f"{BIAS_TERM}@{index - 1}" if name == BIAS_TERM else name
            for name in sending_names(layers, index)
        ]
        links.append(
            tuple(
                Link(weight, source, target)
                for target, row in zip(layer.units, layer.weights)
                for source, weight in zip(sources, row)
            )
        )
    return Diagram(title, tuple(columns), tuple(links))


@frozen
class Place:
    """Where a drawing puts a unit: its column, its row from the top, and how many rows the
    column has. `unit` None is the gap of a large layer whose middle units are left out."""

    unit: Unit | None
    column: int
    row: int
    rows: int


def placed(diagram: Diagram) -> list[list[Place]]:
    """Each column's shown units, top to bottom: every unit, or for a layer of more than
    `MOST_UNITS` its first eight and last three around a gap. The TikZ and SVG pictures
    both draw from these places."""
    columns = []
    for index, column in enumerate(diagram.columns):
        units = list(column.units)
        shown = units if len(units) <= MOST_UNITS else [*units[:8], None, *units[-3:]]
        columns.append([Place(unit, index, row, len(shown)) for row, unit in enumerate(shown)])
    return columns


@frozen
class Point:
    """Where to read the numbers: a sample of an epoch, or the first sample of a step."""

    epoch: int | None = None
    sample: int | None = None
    step: int | None = None

    def describe(self) -> str:
        if self.step is not None and self.epoch is None:
            return f"step {self.step}"
        return f"epoch {self.epoch or 1}, sample {self.sample or 1}"


def at_point(diagram: Diagram, stream: Iterable[records.Record], point: Point) -> Diagram:
    """The diagram with the numbers of one sample (h, z, δ) and of its step (W, J'(W), the
    new W), read from a trace that holds that sample's epoch."""
    sample_record: records.Sample | None = None
    values: dict[str, dict[str, float]] = {}
    updates: dict[str, records.Update] = {}
    for record in stream:
        if isinstance(record, records.Diverged):
            raise UsageError(
                f"training diverged at epoch {record.epoch} (step {record.step}), before "
                f"{point.describe()}; there are no numbers to show there"
            )
        if (
            isinstance(record, records.Sample)
            and sample_record is None
            and _is_point(record, point)
        ):
            sample_record = record
        if sample_record is None:
            continue
        same = (
            getattr(record, "sample", None) == sample_record.sample
            and getattr(record, "epoch", None) == sample_record.epoch
        )
        if isinstance(record, records.Forward) and same:
            values.setdefault(record.unit, {}).update(h=record.h, z=record.z)
        elif isinstance(record, records.Delta) and same:
            values.setdefault(record.unit, {})["delta"] = record.delta
        elif isinstance(record, records.Update) and record.step == sample_record.step:
            updates[record.weight] = record
    if sample_record is None:
        raise UsageError(f"the trace has no {point.describe()}")
    inputs = dict(sample_record.inputs)
    columns = tuple(
        replace(
            column,
            units=tuple(
                replace(unit, z=inputs[unit.name])
                if unit.name in inputs
                else replace(unit, z=1.0)
                if unit.bias
                else replace(unit, **values.get(unit.name, {}))
                for unit in column.units
            ),
        )
        for column in diagram.columns
    )
    links = tuple(
        tuple(
            replace(link, w=update.old, grad=update.grad, new=update.new)
            if (update := updates.get(link.weight)) is not None
            else link
            for link in layer
        )
        for layer in diagram.links
    )
    return replace(diagram, columns=columns, links=links, point=sample_record)


def point_text(diagram: Diagram, fmt: Callable[[float], str]) -> str | None:
    """'epoch 1, sample 1 (step 1): X1 = 0, X2 = 0; target Y0 = 0', or None without numbers."""
    sample = diagram.point
    if sample is None:
        return None
    inputs = ", ".join(f"{name} = {fmt(value)}" for name, value in sample.inputs)
    targets = ", ".join(f"{name} = {fmt(value)}" for name, value in sample.targets)
    return (
        f"epoch {sample.epoch}, sample {sample.sample} (step {sample.step}): {inputs}; "
        f"target {targets}"
    )


def _is_point(record: records.Sample, point: Point) -> bool:
    if point.step is not None and record.step != point.step:
        return False
    if point.epoch is not None and record.epoch != point.epoch:
        return False
    return point.sample is None or record.sample == point.sample
