"""The trace: plain, immutable records that the engine yields and every renderer reads.

Each record class is one *kind* and declares, once, everything the rest of the program needs
to know about it: its `event` name in JSON, the `phase` that `--phase` selects it by, the
`section` (table) it is laid out in, the reference `quantities` it carries, whether its
`name` is a unit or a weight, and whether it gets a CSV table. `KINDS` lists them all;
selection, layout, stepping and every renderer read these declarations instead of keeping
tables of their own.

Values are Python numbers (taken out of numpy), so a record is cheap to serialise and safe
to keep. docs/trace-format.md documents each record's JSON form. Epochs, samples and steps
count from 1.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from dataclasses import MISSING, fields
from fractions import Fraction
from typing import Any, ClassVar, Literal

from backtrace.frozen import frozen

Phase = Literal["forward", "loss", "backward", "update"]
PHASES: tuple[Phase, ...] = ("forward", "loss", "backward", "update")
Section = Literal["forward", "loss", "backward", "gradient", "update", "check"]
Subject = Literal["unit", "weight"]
TRACE_FORMAT_VERSION = 1  # what Start.format_version holds in traces written now


# Every kind is a frozen dataclass made by `frozen`, which shares its methods instead of
# writing them for each kind as dataclass does: that was most of what importing this module
# cost, and every run pays it.
kind_of_record = frozen


@frozen
class Record:
    """One step of the trace; each subclass is one kind of record."""

    event: ClassVar[str]
    phase: ClassVar[Phase | None] = None  # None: a summary, shown whatever --phase says
    section: ClassVar[Section | None] = None  # the table it joins; None: it stands alone
    quantities: ClassVar[tuple[str, ...]] = ()  # reference quantities it carries
    subject: ClassVar[Subject | None] = None  # what the record's unit/weight field names
    csv_table: ClassVar[bool] = False  # whether CSV writes a table of this kind
    objects: ClassVar[tuple[str, ...]] = ()  # (name, value) fields written as objects, even empty

    @property
    def kind(self) -> type[Record]:
        """The kind whose phase and section this record shares (itself, but for references)."""
        return type(self)

    @property
    def subject_name(self) -> str | None:
        """The unit or weight the record is about, if its kind has a subject."""
        subject = self.kind.subject
        return getattr(self, subject) if subject else None

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data: `event` first, then the fields in order."""
        data: dict[str, Any] = {"event": self.event}
        for field in fields(self):
            value = getattr(self, field.name)
            data[field.name] = (
                {name: number for name, number in value}
                if field.name in self.objects
                else _plain(value)
            )
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        data = value.as_dict()
        data.pop("event")
        return data
    if isinstance(value, tuple):
        if value and all(_is_named_value(item) for item in value):
            return {name: number for name, number in value}  # (name, value) pairs: an object
        return [_plain(item) for item in value]
    return value


def _is_named_value(item: Any) -> bool:
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], (float, Fraction))
    )


@kind_of_record
class Layer(Record):
    """One layer's names: its units and, past the input layer, the weights into it.

    The config layer builds these (config/names.py) and the start record carries them, so
    the names are described once for the engine, the renderers and the reader of a trace."""

    event: ClassVar[str] = "layer"
    index: int  # 0 is the input layer
    units: tuple[str, ...]
    bias_unit: str | None
    activation: str | None  # None for the input layer
    weights: tuple[tuple[str, ...], ...]  # [receiving unit][column, in the order summed]
    weight_prefix: str | None  # None for the input layer
    bias: str = "none"  # "unit": a first column from a bias unit; "term": a last column b
    shared_bias: bool = False  # one bias for the whole layer, the same name on every row
    parameters: tuple[tuple[str, float], ...] = ()  # the activation's, e.g. leaky_relu's slope
    objects: ClassVar[tuple[str, ...]] = ("parameters",)


def bias_column(layer: Layer) -> int:
    """Where a layer's bias column sits in its weight matrix."""
    return 0 if layer.bias == "unit" else len(layer.weights[0]) - 1


def sending_names(layers: tuple[Layer, ...], index: int) -> tuple[str, ...]:
    """Names of the columns of layer `index`'s weight matrix, in order: the bias unit first
    (unit notation), the sending units, the bias term last (term notation)."""
    layer, previous = layers[index], layers[index - 1]
    if layer.bias == "unit":
        return (previous.bias_unit or "", *previous.units)
    if layer.bias == "term":
        return (*previous.units, "1")
    return previous.units


@kind_of_record
class Start(Record):
    """What is being trained: shown once, before anything else."""

    event: ClassVar[str] = "start"
    title: str | None
    source: str
    loss: str
    loss_formula: str
    learning_rate: float
    batch_size: int
    epochs: int
    samples: int
    layers: tuple[Layer, ...]
    frozen: tuple[str, ...]
    arithmetic: str = "float64"  # or "exact": every number a fraction (docs/formulas.md)
    optimizer: str = "gradient_descent"
    settings: tuple[tuple[str, float], ...] = ()  # the optimizer's, defaults filled in
    objects: ClassVar[tuple[str, ...]] = ("settings",)
    schedule: str = "constant"  # or "step", "exponential"
    schedule_gamma: float | None = None
    schedule_every: int | None = None
    shuffle: bool = False
    slips: tuple[str, ...] = ()  # mistakes made on purpose (formulas/slips.py); () for none
    # The trace format's version, raised whenever a record's fields change meaning, so that
    # `read_trace` can refuse a trace written by a newer backtrace.
    format_version: int = 1


@kind_of_record
class Note(Record):
    """A remark the reader should see: a caveat of the chosen loss, a limit of the network."""

    event: ClassVar[str] = "note"
    topic: str
    text: str


@kind_of_record
class Weights(Record):
    """Every weight's value, before training ('initial') or after it ('final')."""

    event: ClassVar[str] = "weights"
    csv_table: ClassVar[bool] = True
    when: Literal["initial", "current", "final"]  # current: at the start of a traced epoch
    epoch: int  # epochs completed when this was taken
    values: tuple[tuple[str, float], ...]


@kind_of_record
class Sample(Record):
    """The start of one sample: its inputs and targets."""

    event: ClassVar[str] = "sample"
    phase: ClassVar[Phase] = "forward"
    heads: ClassVar[frozenset[Phase]] = frozenset({"forward", "loss", "backward"})  # shown with any
    epoch: int
    sample: int
    step: int  # the update this sample contributes to
    inputs: tuple[tuple[str, float], ...]
    targets: tuple[tuple[str, float], ...]


@kind_of_record
class Term(Record):
    """One product in a sum: weight · unit value (forward) or weight · delta (backward)."""

    event: ClassVar[str] = "term"
    weight: str
    w: float
    unit: str
    value: float


@kind_of_record
class Forward(Record):
    """h = Σ w·z over the incoming links, then z = f(h)."""

    event: ClassVar[str] = "forward"
    phase: ClassVar[Phase] = "forward"
    section: ClassVar[Section] = "forward"
    quantities: ClassVar[tuple[str, ...]] = ("h", "z")
    subject: ClassVar[Subject] = "unit"
    csv_table: ClassVar[bool] = True
    epoch: int
    sample: int
    layer: int
    unit: str
    h: float
    z: float
    activation: str
    terms: tuple[Term, ...]


@kind_of_record
class Loss(Record):
    """The loss of one sample, with the outputs and targets it compares."""

    event: ClassVar[str] = "loss"
    phase: ClassVar[Phase] = "loss"
    section: ClassVar[Section] = "loss"
    quantities: ClassVar[tuple[str, ...]] = ("loss",)
    csv_table: ClassVar[bool] = True
    epoch: int
    sample: int
    loss: float
    name: str
    outputs: tuple[tuple[str, float], ...]  # ŷ per output unit
    targets: tuple[tuple[str, float], ...]  # y per output unit


@kind_of_record
class Delta(Record):
    """δ for one unit. Output units: from the loss. Hidden units: Σ w·δ_next, times f'(h)."""

    event: ClassVar[str] = "delta"
    phase: ClassVar[Phase] = "backward"
    section: ClassVar[Section] = "backward"
    quantities: ClassVar[tuple[str, ...]] = ("delta",)
    subject: ClassVar[Subject] = "unit"
    csv_table: ClassVar[bool] = True
    epoch: int
    sample: int
    layer: int
    unit: str
    delta: float
    h: float
    f_prime: float | None  # f'(h); None where it does not enter (article, direct, softmax)
    rule: str  # 'hidden', or the loss's rule: 'article', 'direct', 'chain'; 'flipped': the
    # chain rule with the error's sign flipped on purpose (the flipped_error_sign slip)
    loss: str  # the loss's name (it decides the output delta's formula)
    terms: tuple[Term, ...]  # hidden units: the outgoing links, weight · downstream delta
    y_hat: float | None = None  # output units only
    y: float | None = None
    loss_gradient: float | None = None  # dL/dŷ, output units only


@kind_of_record
class Gradient(Record):
    """One sample's J'(W) = Z·δ for one weight."""

    event: ClassVar[str] = "gradient"
    phase: ClassVar[Phase] = "backward"
    section: ClassVar[Section] = "gradient"
    quantities: ClassVar[tuple[str, ...]] = ("grad",)
    subject: ClassVar[Subject] = "weight"
    csv_table: ClassVar[bool] = True
    epoch: int
    sample: int
    step: int
    weight: str
    source: str  # the sending unit, whose Z it uses ("1" for a bias term)
    z: float
    target: str  # the receiving unit, whose delta it uses ("" for a shared bias)
    delta: float | None  # None for a shared bias, which takes every unit's: see `terms`
    grad: float
    terms: tuple[Term, ...] = ()  # a shared bias: Z·δ for each unit of its layer, summed


@kind_of_record
class Update(Record):
    """W := W - α·J'(W), with J'(W) the mean of the batch's per-sample gradients."""

    event: ClassVar[str] = "update"
    phase: ClassVar[Phase] = "update"
    section: ClassVar[Section] = "update"
    quantities: ClassVar[tuple[str, ...]] = ("new",)
    subject: ClassVar[Subject] = "weight"
    csv_table: ClassVar[bool] = True
    epoch: int
    step: int
    weight: str
    old: float
    grad: float
    new: float
    learning_rate: float  # the rate in force at this step
    frozen: bool
    samples: tuple[int, ...]  # the samples whose gradients were averaged
    state: tuple[tuple[str, float], ...] = ()  # the optimizer's variables (velocity, m, v ...)
    objects: ClassVar[tuple[str, ...]] = ("state",)


@kind_of_record
class Reference(Record):
    """A value printed in a reference text, beside the value computed for it."""

    event: ClassVar[str] = "reference"
    csv_table: ClassVar[bool] = True
    epoch: int
    sample: int
    quantity: str
    name: str | None
    printed: float
    computed: float | None  # None when the tool computes no such value (a bias unit's delta)
    agrees: bool
    note: str | None
    source: str

    @property
    def kind(self) -> type[Record]:
        """A reference is shown, and selected, with the records of its quantity."""
        return QUANTITY_KINDS[self.quantity]

    @property
    def subject_name(self) -> str | None:
        return self.name


@kind_of_record
class Shuffle(Record):
    """The order an epoch takes the samples in, when the config shuffles them."""

    event: ClassVar[str] = "shuffle"
    epoch: int
    order: tuple[int, ...]  # sample numbers, in the order they are used


@kind_of_record
class EpochEnd(Record):
    """The end of an epoch: its mean loss, and its accuracy where the loss classifies."""

    event: ClassVar[str] = "epoch"
    csv_table: ClassVar[bool] = True
    epoch: int
    loss: float  # mean of the per-sample losses seen during the epoch
    steps: int  # updates made so far, all epochs together
    traced: bool
    correct: int | None = None  # classification losses: samples whose prediction was right
    accuracy: float | None = None  # correct / samples


@kind_of_record
class Diverged(Record):
    """Training met inf or NaN and stopped: where it first appeared."""

    event: ClassVar[str] = "diverged"
    epoch: int
    sample: int | None
    step: int
    during: str  # the phase that produced it: forward, loss, backward or update
    name: str  # the unit or weight
    quantity: str  # h, z, loss, delta or new
    value: float  # null in JSON, which has no inf or NaN: see `non_finite`
    non_finite: str  # "inf", "-inf" or "nan"


@kind_of_record
class Check(Record):
    """One weight's gradient from backpropagation beside a central finite difference of the
    loss on the same batch, at the same weights."""

    event: ClassVar[str] = "check"
    phase: ClassVar[Phase] = "backward"  # it checks what the backward pass computed
    section: ClassVar[Section] = "check"
    subject: ClassVar[Subject] = "weight"
    csv_table: ClassVar[bool] = True
    epoch: int
    step: int
    weight: str
    value: float  # the weight at this point of training
    backprop: float  # J'(W) as the backward pass computes it (the batch mean)
    numeric: float  # (L(W + ε) - L(W - ε)) / 2ε
    ratio: float | None  # backprop / numeric; None when the difference is 0
    error: float  # |backprop - numeric| / max(|backprop|, |numeric|, floor)
    passed: bool  # |backprop - numeric| ≤ atol + rtol·|numeric|, or within the noise
    verdict: str  # "ok", "noise-limited" (passes) or "fails"
    truncation: float  # estimated truncation error of numeric, |n(2ε) - n(ε)| / 3
    rounding: float  # estimated rounding error of numeric, u·|L|/ε


@kind_of_record
class CheckSummary(Record):
    """How a gradient check went: the worst weight, against the tolerance."""

    event: ClassVar[str] = "check_summary"
    csv_table: ClassVar[bool] = True
    epoch: int
    step: int
    samples: tuple[int, ...]  # the batch the loss was taken on
    loss: str  # the loss differentiated numerically
    tolerance: float  # rtol, relative to |numeric|
    atol: float
    checked: int
    failed: int
    noise_limited: int  # weights that pass only because n cannot resolve them
    worst: float  # the largest relative error
    worst_weight: str


@kind_of_record
class Pause(Record):
    """Not part of the trace: a stepper's request to show everything received so far now."""

    event: ClassVar[str] = "pause"


# Every kind of record in a trace, in the order they first appear; CSV writes its tables in
# this order.
KINDS: tuple[type[Record], ...] = (
    Start,
    Note,
    Shuffle,
    Sample,
    Forward,
    Loss,
    Delta,
    Gradient,
    Update,
    Reference,
    EpochEnd,
    Weights,
    Diverged,
    Check,
    CheckSummary,
)
# Which kind computes each quantity a reference text can print.
QUANTITY_KINDS: dict[str, type[Record]] = {
    quantity: kind for kind in KINDS for quantity in kind.quantities
}
QUANTITIES: tuple[str, ...] = tuple(QUANTITY_KINDS)

EVENTS: dict[str, type[Record]] = {kind.event: kind for kind in KINDS}


def from_dict(data: dict[str, Any]) -> Record:
    """The record a JSON object describes: the inverse of `Record.as_dict`, for traces read
    back (`backtrace.read_trace`). Raises ValueError naming what does not fit."""
    kind = EVENTS.get(data.get("event"))  # type: ignore[arg-type]
    if kind is None:
        raise ValueError(f"{data.get('event')!r} is not an event of a backtrace trace")
    return _built(kind, data)


@functools.cache
def field_types(kind: type[Record]) -> dict[str, Any]:
    """Each field's type, as `typing.get_type_hints` gives it, but for the fields alone and
    each distinct annotation evaluated once: the hints of every ClassVar of every kind cost
    a JSON Lines run milliseconds."""
    return {item.name: _evaluated(item.type) for item in fields(kind)}


@functools.cache
def _evaluated(annotation: Any) -> Any:
    # Every kind is defined here, so its annotations are written in this module's names.
    return eval(annotation, globals()) if isinstance(annotation, str) else annotation  # noqa: S307


@functools.cache
def _fields_of(kind: type) -> tuple[tuple[Any, Any], ...]:
    """Each field of a record kind with its type, resolved once per kind."""
    hints = field_types(kind)
    return tuple((item, hints[item.name]) for item in fields(kind))


def _built(kind: type, data: dict[str, Any]) -> Any:
    values = {}
    for item, hint in _fields_of(kind):
        if item.name not in data:
            if item.default is MISSING:
                raise ValueError(f"a {getattr(kind, 'event', kind.__name__)} record needs "
                                 f"{item.name!r}")  # fmt: skip
            continue
        values[item.name] = _decoded(data[item.name], hint, item.name)
    return kind(**values)


def _decoded(value: Any, hint: Any, name: str) -> Any:
    """A JSON value as the field's type holds it: lists as tuples, objects of named numbers
    as (name, value) pairs, nested records built, whole numbers as floats where a float
    belongs."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        for argument in arguments:
            if argument is type(None):
                continue
            try:
                return _decoded(value, argument, name)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"{name}: {value!r} does not fit")
    if origin is typing.Literal:
        if value not in arguments:
            raise ValueError(f"{name}: {value!r} is not one of {', '.join(map(str, arguments))}")
        return value
    if origin is tuple:
        if isinstance(value, dict):  # (name, number) pairs, written as an object
            return tuple((key, _number(item, name)) for key, item in value.items())
        if not isinstance(value, list):
            raise ValueError(f"{name}: needs a list, not {type(value).__name__}")
        item_hint = arguments[0] if arguments else Any
        return tuple(_decoded(item, item_hint, name) for item in value)
    if isinstance(hint, type) and issubclass(hint, Record) or hint is Term:
        if not isinstance(value, dict):
            raise ValueError(f"{name}: needs an object")
        return _built(hint, value)
    if hint is float:
        return _number(value, name)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    if hint is Any:
        return value
    raise TypeError(f"{name}: {value!r} is not a {getattr(hint, '__name__', hint)}")


def _number(value: Any, name: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        if value is None:
            return math.nan  # JSON's null for inf or NaN (see Diverged.non_finite)
        raise TypeError(f"{name}: {value!r} is not a number")
    return float(value) if isinstance(value, int) else value
