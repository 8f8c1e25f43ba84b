"""Unit and weight names: the article's by default (X0..X2, Z0..Z3, D0, W10..W32, V00..V03),
or a textbook's own (i1, h1, o1, w1..w8, b1, b2). docs/names.md tells users the rules.

Default rules:
- A layer that feeds another layer numbers its units from 1, keeping 0 for its bias unit (X0,
  Z0), even when bias units are switched off, so names do not shift. The output layer has no
  bias unit and numbers from `output_numbering` (0, the article's D0, or 1).
- A weight's name is the weight prefix, the receiving unit's number, then the sending unit's
  number (W12: from X2 into Z1). If any number in a layer reaches 10, an underscore separates
  them (W12_3), so no name can be read two ways.
- With `bias_notation: term`, a layer's biases are terms b of their own instead of weights
  from a bias unit: b_Z1 for unit Z1, or b1 for the one bias a whole layer 1 shares.

Each weight matrix's columns are in the order its weighted sum is printed: the bias column
first from a bias unit (W10·X0 + W11·X1 + ...), last as a term (w1·i1 + w2·i2 + b1).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from backtrace.config.schema import Config
from backtrace.errors import ConfigError, printable
from backtrace.formulas import ACTIVATIONS
from backtrace.frozen import frozen
from backtrace.records import Layer, bias_column

PATTERN_FIELDS = {
    "names": ("n",),
    "weight_names": ("n", "j", "k", "layer", "to", "from"),
    "bias_names": ("j", "layer", "to"),
}


@frozen
class Names:
    """Every layer's unit and weight names (`records.Layer`), with lookups across layers."""

    layers: tuple[Layer, ...]  # layers[0] is the input layer

    @property
    def all_units(self) -> tuple[str, ...]:
        return tuple(
            name
            for layer in self.layers
            for name in ((layer.bias_unit,) if layer.bias_unit else ()) + layer.units
        )

    @property
    def all_weights(self) -> tuple[str, ...]:
        """Each weight once, in network order (a shared bias where it first appears)."""
        return tuple(
            dict.fromkeys(name for layer in self.layers for row in layer.weights for name in row)
        )

    @property
    def bias_weights(self) -> tuple[str, ...]:
        """The weights that are biases: from a bias unit, or bias terms."""
        return tuple(
            dict.fromkeys(
                row[bias_column(layer)]
                for layer in self.layers[1:]
                if layer.bias != "none"
                for row in layer.weights
            )
        )


def default_unit_prefixes(hidden_layers: int) -> list[str]:
    hidden = ["Z"] if hidden_layers == 1 else [f"Z{i}_" for i in range(1, hidden_layers + 1)]
    return hidden + ["D"]


def default_weight_prefixes(weight_layers: int) -> list[str]:
    if weight_layers == 1:
        return ["W"]
    if weight_layers == 2:
        return ["W", "V"]
    return [f"W{i}_" for i in range(1, weight_layers + 1)]


def weight_name(prefix: str, receiving: int, sending: int, *, separate: bool) -> str:
    return f"{prefix}{receiving}_{sending}" if separate else f"{prefix}{receiving}{sending}"


def build_names(config: Config) -> Names:
    """Every unit's and weight's name, layer by layer."""
    unit_defaults = default_unit_prefixes(len(config.layers) - 1)
    weight_defaults = default_weight_prefixes(len(config.layers))
    sizes = [config.inputs.units] + [layer.units for layer in config.layers]
    prefixes = [config.inputs.unit_prefix] + [
        layer.unit_prefix or default for layer, default in zip(config.layers, unit_defaults)
    ]
    last = len(sizes) - 1
    numbers = [
        range(config.output_numbering, config.output_numbering + size)
        if index == last
        else range(1, size + 1)
        for index, size in enumerate(sizes)
    ]
    modes = [config.bias if layer.bias is None else layer.bias for layer in config.layers]
    term = config.bias_notation == "term"
    given = [config.inputs.names] + [layer.names for layer in config.layers]
    units = [
        _unit_names(given[index], prefixes[index], numbers[index], index)
        for index in range(len(sizes))
    ]

    def bias_unit(index: int) -> str | None:
        """A layer's bias unit: it exists when the next layer takes its bias from one."""
        feeds_bias = index < last and modes[index] is not False and not term
        return f"{prefixes[index]}0" if feeds_bias else None

    layers = [Layer(0, units[0], bias_unit(0), None, (), None)]
    running = 0  # the {n} of weight-name patterns: weights counted across the whole network
    for index in range(1, len(sizes)):
        spec = config.layers[index - 1]
        prefix = spec.weight_prefix or weight_defaults[index - 1]
        mode = modes[index - 1]
        receiving, sending = list(numbers[index]), list(numbers[index - 1])
        separate = max([0, *sending, *receiving]) >= 10
        plain = _weight_names(
            spec, index, prefix, receiving, sending, units[index], units[index - 1], separate,
            running,
        )  # fmt: skip
        running += len(receiving) * len(sending)
        bias = "none" if mode is False else ("term" if term else "unit")
        if bias == "none":
            rows = plain
        else:
            column = _bias_names(
                spec, index, prefix, receiving, units[index], mode == "shared", separate, term
            )
            rows = tuple(
                (name, *row) if bias == "unit" else (*row, name) for name, row in zip(column, plain)
            )
        layers.append(
            Layer(
                index,
                units[index],
                bias_unit(index),
                spec.activation,
                rows,
                None if spec.weight_names is not None else prefix,  # a prefix no name has
                bias,
                mode == "shared",
                _parameters(spec),
            )
        )
    return Names(tuple(layers))


def _parameters(spec: Any) -> tuple[tuple[str, float], ...]:
    """The activation's parameters as the layer sets them, defaults filled in."""
    declared = ACTIVATIONS[spec.activation].parameters
    return tuple((name, getattr(spec, name, None) or default) for name, default in declared.items())


def _field(index: int, name: str) -> str:
    return f"inputs.{name}" if index == 0 else f"layers[{index - 1}].{name}"


# A made name holds what a listed name may, and at most this many characters: two 24-character
# unit names and a little text (`{from}_{to}`) fit.
MADE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_']*")
MADE_NAME_CHARS = 64


@functools.lru_cache(maxsize=256)
def _pattern_parts(text: str, field: str) -> tuple[tuple[str, str | None], ...]:
    """A pattern as (literal text, field or None) pairs. Only bare fields are allowed: no
    format spec or conversion ({n:09999} would make names of any length) and no unclosed or
    stray brace; {{ and }} stand for a brace, which no name may hold anyway."""
    allowed = PATTERN_FIELDS[field.rpartition(".")[2]]
    fields = ", ".join(f"{{{a}}}" for a in allowed)
    import string  # only a config with a name pattern needs it; every run imports this module

    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ConfigError(
            f"the pattern {printable(text)!r} has an unclosed or unmatched brace; write fields "
            f"as {fields}",
            field=field,
        ) from None
    parts = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion or name not in allowed):
            written = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else ""
            ) + "}"
            raise ConfigError(
                f"the pattern {printable(text)!r} has {printable(written)}; a pattern here may "
                f"use {fields}, each as it is, with nothing after a colon",
                field=field,
            )
        parts.append((literal, name))
    return tuple(parts)


def _pattern(text: str, field: str, values: dict[str, Any]) -> str:
    """A name from a pattern like 'w{n}', with a message naming the field on a bad one."""
    made = "".join(
        literal + (str(values[name]) if name is not None else "")
        for literal, name in _pattern_parts(text, field)
    )
    if len(made) > MADE_NAME_CHARS or not MADE_NAME.fullmatch(made):
        shown = made if len(made) <= MADE_NAME_CHARS else made[:MADE_NAME_CHARS] + "..."
        raise ConfigError(
            f"the pattern {printable(text)!r} makes the name {printable(shown)!r}; a name "
            "starts with a letter, holds only letters, digits, _ and ', and has at most "
            f"{MADE_NAME_CHARS} characters",
            field=field,
        )
    return made


def _listed(given: Any, count: int, field: str, what: str) -> tuple[str, ...] | None:
    """Names given one by one, checked for their number; None when a pattern is given."""
    if given is None or isinstance(given, str):
        return None
    if len(given) != count:
        raise ConfigError(
            f"lists {len(given)} name{'s' if len(given) != 1 else ''}; this layer needs "
            f"{count} ({what})",
            field=field,
        )
    return tuple(given)


def _unit_names(given: Any, prefix: str, numbers: range, index: int) -> tuple[str, ...]:
    field = _field(index, "names")
    listed = _listed(given, len(numbers), field, "one per unit")
    if listed is not None:
        return listed
    if isinstance(given, str):
        return tuple(_pattern(given, field, {"n": n}) for n in range(1, len(numbers) + 1))
    return tuple(f"{prefix}{n}" for n in numbers)


def _weight_names(
    spec: Any,
    layer: int,
    prefix: str,
    receiving: list[int],
    sending: list[int],
    to: tuple[str, ...],
    source: tuple[str, ...],
    separate: bool,
    running: int,
) -> tuple[tuple[str, ...], ...]:
    """Names of the weights from real units, rows by receiving unit. `layer` counts weight
    layers from 1; `running` is how many weights the earlier layers have."""
    field = f"{_field(layer, 'weight_names')}"
    given = spec.weight_names
    if isinstance(given, tuple):
        if not all(isinstance(row, tuple) for row in given):
            raise ConfigError(
                "needs rows of names, one list per receiving unit, or a pattern such as 'w{n}'",
                field=field,
            )
        if len(given) != len(receiving) or any(len(row) != len(sending) for row in given):
            raise ConfigError(
                f"needs {len(receiving)} rows (one per receiving unit) of {len(sending)} names "
                "(one per sending unit, the bias left out)",
                field=field,
            )
        return tuple(tuple(row) for row in given)
    if isinstance(given, str):
        return tuple(
            tuple(
                _pattern(
                    given,
                    field,
                    {
                        "n": running + row * len(sending) + column + 1,
                        "j": j,
                        "k": k,
                        "layer": layer,
                        "to": to[row],
                        "from": source[column],
                    },
                )
                for column, k in enumerate(sending)
            )
            for row, j in enumerate(receiving)
        )
    return tuple(
        tuple(weight_name(prefix, j, k, separate=separate) for k in sending) for j in receiving
    )


def _bias_names(
    spec: Any,
    layer: int,
    prefix: str,
    receiving: list[int],
    to: tuple[str, ...],
    shared: bool,
    separate: bool,
    term: bool,
) -> tuple[str, ...]:
    """Each receiving unit's bias name (the same name on every row when the bias is shared)."""
    field = _field(layer, "bias_names")
    count, what = (1, "one for the shared bias") if shared else (len(receiving), "one per unit")
    listed = _listed(spec.bias_names, count, field, what)
    if listed is not None:
        return listed * len(receiving) if shared else listed
    if isinstance(spec.bias_names, str):
        names = [
            _pattern(spec.bias_names, field, {"j": j, "layer": layer, "to": to[row]})
            for row, j in enumerate(receiving)
        ]
        return (names[0],) * len(receiving) if shared else tuple(names)
    if shared:
        return (f"b{layer}" if term else f"{prefix}0",) * len(receiving)
    if term:
        return tuple(f"b_{unit}" for unit in to)
    return tuple(weight_name(prefix, j, 0, separate=separate) for j in receiving)
