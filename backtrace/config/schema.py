"""The shape of a config file, as frozen dataclasses: types, ranges and defaults, field by field.

Each field is declared once (type hint, `Field` constraints, default); `validation.py` reads
that declaration to check a document, fill in defaults and write the JSON Schema.
docs/config.md documents every field; keep the two in step. Checks that need more than one
field at a time (matrix shapes, data widths, names) live in `checks.py`.
"""

# No `from __future__ import annotations`: the hints are read as objects, not evaluated later.

import unicodedata
from typing import Annotated, Any, Literal

from backtrace import limits
from backtrace.config.validation import Field, Model, Rule, Tagged
from backtrace.formulas import ACTIVATIONS, LOSSES
from backtrace.formulas.optimizers import OPTIMIZERS
from backtrace.formulas.slips import SLIPS, Slips
from backtrace.records import QUANTITIES

HYPER_PARAMETERS = ("momentum", "beta1", "beta2", "epsilon", "weight_decay")
RANDOM_INITS = (
    "uniform",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
)
Activation = Literal[tuple(ACTIVATIONS)]  # type: ignore[valid-type]
LossName = Literal[tuple(LOSSES)]  # type: ignore[valid-type]
Prefix = Annotated[str, Rule(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=16)]
# YAML already gives numbers as numbers: a quoted "1.5" or a `true` where a number belongs is a
# mistake worth reporting, so the validator's scalars are strict (lists still become tuples).
Number = float
Whole = int
Flag = bool


def _plain(allowed: str) -> Any:
    """A check that text holds no control characters but `allowed`: config text is printed
    as it is, so an escape sequence in a title would reach terminals, pipes and files."""

    def check(text: str) -> str:
        for character in text:
            if character not in allowed and unicodedata.category(character) in ("Cc", "Cs"):
                code = ord(character)
                shown = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
                raise ValueError(f"contains the control character {shown}; write plain text")
        return text

    return Rule(check=check)


Text = Annotated[str, _plain("")]
Paragraph = Annotated[str, _plain("\n\t")]  # a note may run over several lines


MAX_UNITS = (
    4096  # a tracer for small networks; this also keeps hostile configs from exhausting memory
)


Name = Annotated[str, Rule(pattern=r"^[A-Za-z][A-Za-z0-9_']*$", max_length=24)]
# Names given one by one, or as a pattern such as "h{n}" (docs/names.md lists the fields).
Names = tuple[Name, ...] | Annotated[str, Rule(min_length=1, max_length=48)]
BiasMode = Literal["shared"]


class Inputs(Model):
    units: Whole = Field(ge=1, le=MAX_UNITS)
    unit_prefix: Prefix = "X"
    names: Names | None = None  # the input units' own names, e.g. [i1, i2]


class ConstantWeights(Model):
    init: Literal["constant"] = "constant"
    value: Number


class MatrixWeights(Model):
    init: Literal["matrix"] = "matrix"
    rows: tuple[tuple[Number, ...], ...]


class RandomWeights(Model):
    init: Literal[RANDOM_INITS]  # type: ignore[valid-type]
    low: Number = -1.0  # uniform only
    high: Number = 1.0  # uniform only
    mean: Number = 0.0  # normal only
    std: Number = Field(default=1.0, gt=0)  # normal only
    bias: Number | None = None  # a constant for the bias column instead of a random draw

    def _consistent(self) -> None:
        used = {"uniform": {"low", "high"}, "normal": {"mean", "std"}}.get(self.init, set())
        unused = sorted(self.fields_set - used - {"init", "bias"})
        if unused:
            raise ValueError(
                f"{', '.join(unused)} has no effect on {self.init}; it takes {', '.join(sorted(used)) or 'no parameters besides bias'}"
            )
        if self.init == "uniform" and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")


Weights = Annotated[ConstantWeights | MatrixWeights | RandomWeights, Tagged("init")]

INIT_ALIASES = {"xavier": "xavier_uniform", "glorot": "xavier_uniform", "he": "he_normal"}


def _expand_weight_shorthand(value: Any) -> Any:
    """A bare number means a constant; a list of rows an explicit matrix."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"init": "constant", "value": value}
    if isinstance(value, list):
        return {"init": "matrix", "rows": value}
    if not isinstance(value, (dict, Model)):
        raise ValueError("needs a number, a matrix (list of rows), or a mapping with 'init'")
    if (
        isinstance(value, dict)
        and isinstance(value.get("init"), str)
        and value["init"] in INIT_ALIASES
    ):
        return {**value, "init": INIT_ALIASES[value["init"]]}
    return value


class Layer(Model):
    units: Whole = Field(ge=1, le=MAX_UNITS)
    activation: Activation
    unit_prefix: Prefix | None = None  # default chosen by position, see names.py
    weight_prefix: Prefix | None = None
    weights: Weights = Field(
        default_factory=lambda: RandomWeights(init="xavier_uniform"), before=_expand_weight_shorthand
    )
    bias: Flag | BiasMode | None = None  # per unit, none, or one shared; None: the config's
    names: Names | None = None  # the units' own names, e.g. [h1, h2] or "h{n}"
    weight_names: tuple[Names, ...] | Names | None = None  # rows of names, or a pattern
    bias_names: Names | None = None  # e.g. [b1] for a shared bias, or "b{j}"
    slope: Number | None = Field(default=None, gt=0)  # leaky_relu's slope below 0

    def _consistent(self) -> None:
        takes = ACTIVATIONS[self.activation].parameters
        if self.slope is not None and "slope" not in takes:
            raise ValueError(f"slope has no effect on {self.activation}; only leaky_relu has one")


class Schedule(Model):
    """How the learning rate changes from step to step (steps are updates, counted from 1)."""

    kind: Literal["constant", "step", "exponential"] = "constant"
    gamma: Number | None = Field(default=None, gt=0)  # the factor: every N steps, or each step
    every: Whole | None = Field(default=None, ge=1)  # step only

    def _consistent(self) -> None:
        needs = {"constant": set(), "step": {"gamma", "every"}, "exponential": {"gamma"}}
        wanted = needs[self.kind]
        missing = sorted(name for name in wanted if getattr(self, name) is None)
        extra = sorted(self.fields_set - wanted - {"kind"})
        if missing:
            raise ValueError(f"a {self.kind} schedule needs {' and '.join(missing)}")
        if extra:
            raise ValueError(f"{', '.join(extra)} has no effect on a {self.kind} schedule")


def _samples_or_all(value: Any) -> Any:
    # Checked by hand so that one bad value gives one message, not one per union member.
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not (value == "all" or (whole and value >= 1)):
        raise ValueError(f"must be a whole number of samples (1 or more) or 'all', not {value!r}")
    return value


class Optimizer(Model):
    name: Literal[tuple(OPTIMIZERS)] = "gradient_descent"  # type: ignore[valid-type]
    learning_rate: Number = Field(gt=0)
    batch_size: Whole | Literal["all"] = Field(default=1, before=_samples_or_all)
    shuffle: Flag = False  # take the samples in a new seeded order every epoch
    schedule: Schedule = Field(default_factory=Schedule)
    # Each optimizer's own settings; None means its default (formulas/optimizers.py).
    momentum: Number | None = Field(default=None, ge=0)
    beta1: Number | None = Field(default=None, ge=0, lt=1)
    beta2: Number | None = Field(default=None, ge=0, lt=1)
    epsilon: Number | None = Field(default=None, gt=0)
    weight_decay: Number | None = Field(default=None, ge=0)

    def _consistent(self) -> None:
        allowed = set(OPTIMIZERS[self.name].parameters)
        given = {name for name in HYPER_PARAMETERS if getattr(self, name) is not None}
        if given - allowed:
            raise ValueError(
                f"{', '.join(sorted(given - allowed))} has no effect on {self.name}; it takes "
                f"{', '.join(sorted(allowed)) or 'only learning_rate'}"
            )


class Data(Model):
    rows: tuple[tuple[Number, ...], ...] | None = None
    csv: Text | None = None
    # The header name of a CSV column of class labels: one-hot targets, one output per class.
    target: Text | None = None

    def _consistent(self) -> None:
        if (self.rows is None) == (self.csv is None):
            raise ValueError("give either 'rows' (inline numbers) or 'csv' (a file path)")
        if self.target is not None and self.csv is None:
            raise ValueError("target names a column of a CSV file, so it needs 'csv'")


class Reference(Model):
    """A value printed in a reference text (the article), checked against the computed one."""

    quantity: Literal[QUANTITIES]  # type: ignore[valid-type]
    name: Text | None = None  # unit for h/z/delta, weight for grad/new; none for loss
    printed: Number
    note: Paragraph | None = None  # why the printed value differs, when it does
    epoch: Whole = Field(default=1, ge=1)
    sample: Whole = Field(default=1, ge=1)  # for new: the update that follows this sample


class ReferenceText(Model):
    source: Text = "reference"  # how the trace names the text, e.g. "the article"
    values: tuple[Reference, ...] = ()


SlipName = Literal[tuple(name for name in SLIPS if name != "round_as_you_go")]  # type: ignore[valid-type]


class RoundAsYouGo(Model):
    """The one slip with a setting: how many decimals each intermediate keeps."""

    round_as_you_go: Whole = Field(ge=0, le=15)


def _slip_entries(value: Any) -> Any:
    """Each entry a slip's name, or {round_as_you_go: k}; one message per bad entry, with a
    suggestion, rather than one per member of the union."""
    if not isinstance(value, (list, tuple)):
        return value
    names = list(SLIPS)
    for number, entry in enumerate(value, start=1):
        if entry == "round_as_you_go":
            raise ValueError(
                f"entry {number}: round_as_you_go needs its decimals: write "
                "{round_as_you_go: 3}"
            )
        if isinstance(entry, dict):
            digits = entry.get("round_as_you_go")
            whole = isinstance(digits, int) and not isinstance(digits, bool)
            if set(entry) != {"round_as_you_go"} or not (whole and 0 <= digits <= 15):
                raise ValueError(
                    f"entry {number}: a slip with a setting is {{round_as_you_go: k}}, with k "
                    f"a whole number of decimals from 0 to 15, not {entry!r}"
                )
        if isinstance(entry, str) and entry not in SLIPS:
            started = [name for name in names if name.startswith(entry)]
            import difflib  # only a mistake needs it, and every run imports this module

            close = started or difflib.get_close_matches(entry, names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"entry {number}: {entry!r} is not one of {', '.join(names)}{hint}"
            )
        if not isinstance(entry, (str, dict, RoundAsYouGo)):
            raise ValueError(
                f"entry {number}: needs a slip's name or {{round_as_you_go: k}}, not "
                f"{type(entry).__name__}"
            )
    return value


def _epochs_within_the_limit(value: int) -> int:
    refusal = limits.epochs_refusal(value)
    if refusal:
        raise ValueError(refusal)
    return value


def _inputs_shorthand(value: Any) -> Any:
    """A bare number is the number of inputs."""
    return {"units": value} if isinstance(value, int) and not isinstance(value, bool) else value


def _data_shorthand(value: Any) -> Any:
    """A list is the rows themselves; a text names a CSV file."""
    if isinstance(value, list):
        return {"rows": value}
    if isinstance(value, str):
        return {"csv": value}
    return value


class Config(Model):
    title: Text | None = None
    inputs: Inputs = Field(before=_inputs_shorthand)
    layers: tuple[Layer, ...] = Field(min_length=1)
    bias: Flag = True  # every layer's, unless it says otherwise
    bias_notation: Literal["unit", "term"] = "unit"  # W10 from a bias unit X0, or a term b1
    output_numbering: Literal[0, 1] = 0  # the output units' first number: D0 or D1
    loss: LossName
    optimizer: Optimizer
    frozen: tuple[Text, ...] = ()
    epochs: Whole = Field(default=1, ge=1, check=_epochs_within_the_limit)
    seed: Whole = Field(default=0, ge=0)
    data: Data = Field(before=_data_shorthand)
    reference: ReferenceText | None = None
    # Classic mistakes made on purpose, to show beside the right method (formulas/slips.py).
    slips: tuple[SlipName | RoundAsYouGo, ...] = Field(default=(), before=_slip_entries)

    @property
    def slips_written(self) -> list[str | dict[str, int]]:
        """The slips as a config writes them: names, and {round_as_you_go: k}."""
        return [entry if isinstance(entry, str) else entry.as_document() for entry in self.slips]

    @property
    def slip_set(self) -> Slips:
        """The slips as the engine reads them, in the order the config lists them."""
        names: list[str] = []
        decimals = None
        for entry in self.slips:
            if isinstance(entry, RoundAsYouGo):
                decimals = entry.round_as_you_go
                entry = "round_as_you_go"
            if entry not in names:
                names.append(entry)
        return Slips(tuple(names), decimals)
