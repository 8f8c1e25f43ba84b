"""The trace: plain, immutable records that the engine yields and every renderer reads.

Values are Python floats (already taken out of numpy), so a record is cheap to serialise and
safe to keep. docs/trace-format.md documents each record's JSON form; `event` is its kind.
Epochs, samples and steps count from 1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

Phase = Literal["forward", "loss", "backward", "update"]


@dataclass(frozen=True)
class Record:
    event: ClassVar[str]
    phase: ClassVar[Phase | None] = None

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data: `event` first, then the fields in order."""
        data: dict[str, Any] = {"event": self.event}
        for field in fields(self):
            data[field.name] = _plain(getattr(self, field.name))
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
        and isinstance(item[1], float)
    )


@dataclass(frozen=True)
class LayerInfo(Record):
    event: ClassVar[str] = "layer"
    index: int  # 0 is the input layer
    units: tuple[str, ...]
    bias_unit: str | None
    activation: str | None  # None for the input layer
    weights: tuple[tuple[str, ...], ...]  # [receiving unit][sending unit, bias first]
    weight_prefix: str | None  # None for the input layer


@dataclass(frozen=True)
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
    layers: tuple[LayerInfo, ...]
    frozen: tuple[str, ...]


@dataclass(frozen=True)
class Note(Record):
    """A remark the reader should see: a caveat of the chosen loss, a limit of the network."""

    event: ClassVar[str] = "note"
    topic: str
    text: str


@dataclass(frozen=True)
class Weights(Record):
    """Every weight's value, before training ('initial') or after it ('final')."""

    event: ClassVar[str] = "weights"
    when: Literal["initial", "current", "final"]  # current: at the start of a traced epoch
    epoch: int  # epochs completed when this was taken
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Sample(Record):
    """The start of one sample: its inputs and targets."""

    event: ClassVar[str] = "sample"
    phase: ClassVar[Phase] = "forward"
    epoch: int
    sample: int
    step: int  # the update this sample contributes to
    inputs: tuple[tuple[str, float], ...]
    targets: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Term(Record):
    """One product in a sum: weight · unit value (forward) or weight · delta (backward)."""

    event: ClassVar[str] = "term"
    weight: str
    w: float
    unit: str
    value: float


@dataclass(frozen=True)
class Forward(Record):
    """h = Σ w·z over the incoming links, then z = f(h)."""

    event: ClassVar[str] = "forward"
    phase: ClassVar[Phase] = "forward"
    epoch: int
    sample: int
    layer: int
    unit: str
    h: float
    z: float
    activation: str
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Loss(Record):
    event: ClassVar[str] = "loss"
    phase: ClassVar[Phase] = "loss"
    epoch: int
    sample: int
    loss: float
    name: str
    outputs: tuple[tuple[str, float], ...]  # ŷ per output unit
    targets: tuple[tuple[str, float], ...]  # y per output unit


@dataclass(frozen=True)
class Delta(Record):
    """δ for one unit. Output units: from the loss. Hidden units: Σ w·δ_next, times f'(h)."""

    event: ClassVar[str] = "delta"
    phase: ClassVar[Phase] = "backward"
    epoch: int
    sample: int
    layer: int
    unit: str
    delta: float
    h: float
    f_prime: float | None  # f'(h); None where it does not enter (article, direct, softmax)
    rule: str  # 'hidden', or the loss's rule: 'article', 'direct', 'chain'
    loss: str  # the loss's name (it decides the output delta's formula)
    terms: tuple[Term, ...]  # hidden units: the outgoing links, weight · downstream delta
    y_hat: float | None = None  # output units only
    y: float | None = None
    loss_gradient: float | None = None  # dL/dŷ, output units only


@dataclass(frozen=True)
class Gradient(Record):
    """One sample's J'(W) = Z·δ for one weight."""

    event: ClassVar[str] = "gradient"
    phase: ClassVar[Phase] = "backward"
    epoch: int
    sample: int
    step: int
    weight: str
    source: str  # the sending unit, whose Z it uses
    z: float
    target: str  # the receiving unit, whose delta it uses
    delta: float
    grad: float


@dataclass(frozen=True)
class Update(Record):
    """W := W - α·J'(W), with J'(W) the mean of the batch's per-sample gradients."""

    event: ClassVar[str] = "update"
    phase: ClassVar[Phase] = "update"
    epoch: int
    step: int
    weight: str
    old: float
    grad: float
    new: float
    learning_rate: float
    frozen: bool
    samples: tuple[int, ...]  # the samples whose gradients were averaged


@dataclass(frozen=True)
class Reference(Record):
    """A value printed in a reference text, beside the value computed for it."""

    event: ClassVar[str] = "reference"
    epoch: int
    sample: int
    quantity: str
    name: str | None
    printed: float
    computed: float | None  # None when the tool computes no such value (a bias unit's delta)
    agrees: bool
    note: str | None
    source: str


@dataclass(frozen=True)
class EpochEnd(Record):
    event: ClassVar[str] = "epoch"
    epoch: int
    loss: float  # mean of the per-sample losses seen during the epoch
    steps: int  # updates made so far, all epochs together
    traced: bool


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Pause(Record):
    """Not part of the trace: a stepper's request to show everything received so far now."""

    event: ClassVar[str] = "pause"


# The per-sample kinds a traced epoch adds, in the order they come; one piece each in `step`.
TRACED_KINDS = (Sample, Forward, Loss, Delta, Gradient, Update)
