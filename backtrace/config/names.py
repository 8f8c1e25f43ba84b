"""Unit and weight names, following the article: X0..X2, Z0..Z3, D0, W10..W32, V00..V03.

Rules (docs/names.md tells them to users):
- A layer that feeds another layer numbers its units from 1, keeping 0 for its bias unit (X0, Z0),
  even when bias units are switched off, so names do not shift. The output layer has no bias
  unit and numbers from 0 (the article's D0).
- Weight names are the weight prefix, the receiving unit's number, then the sending unit's
  number (W12: from X2 into Z1). If either number in a layer reaches 10, an underscore
  separates them (W12_3) so no name can be read two ways.
"""

from __future__ import annotations

from dataclasses import dataclass

from backtrace.config.schema import Config
from backtrace.records import Layer


@dataclass(frozen=True)
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
        return tuple(name for layer in self.layers for row in layer.weights for name in row)

    @property
    def bias_weights(self) -> tuple[str, ...]:
        """Weights leaving a bias unit (the first column of each matrix, when bias is on)."""
        return tuple(
            row[0]
            for layer, previous in zip(self.layers[1:], self.layers[:-1])
            if previous.bias_unit
            for row in layer.weights
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


def unit_numbers(units: int, *, is_output: bool) -> range:
    return range(0, units) if is_output else range(1, units + 1)


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
    numbers = [unit_numbers(size, is_output=index == last) for index, size in enumerate(sizes)]

    inputs = tuple(f"{prefixes[0]}{n}" for n in numbers[0])
    bias_input = f"{prefixes[0]}0" if config.bias else None
    layers = [Layer(0, inputs, bias_input, None, (), None)]
    for index in range(1, len(sizes)):
        spec = config.layers[index - 1]
        prefix = spec.weight_prefix or weight_defaults[index - 1]
        sending = ([0] if config.bias else []) + list(numbers[index - 1])
        receiving = list(numbers[index])
        separate = max(sending + receiving) >= 10
        weights = tuple(
            tuple(weight_name(prefix, j, k, separate=separate) for k in sending) for j in receiving
        )
        units = tuple(f"{prefixes[index]}{n}" for n in receiving)
        bias_unit = f"{prefixes[index]}0" if config.bias and index != last else None
        layers.append(Layer(index, units, bias_unit, spec.activation, weights, prefix))
    return Names(tuple(layers))
