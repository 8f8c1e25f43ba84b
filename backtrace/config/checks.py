"""Checks that need several fields at once: shapes, pairings, names, data ranges.

They run before any arithmetic, so a bad config fails with its field named instead of a numpy
broadcasting error deep in the engine.
"""

from __future__ import annotations

import fnmatch

import numpy as np

from backtrace import limits
from backtrace.config.names import Names
from backtrace.config.schema import Config, MatrixWeights
from backtrace.errors import ConfigError
from backtrace.formulas import ACTIVATIONS, LOSSES
from backtrace.formulas.slips import SLIPS
from backtrace.records import QUANTITY_KINDS, bias_column

BIAS_KEYWORD = "bias"  # in `frozen`, stands for every weight leaving a bias unit


def check_config(config: Config, names: Names, inputs: np.ndarray, targets: np.ndarray) -> None:
    _check_activations(config)
    _check_weight_matrices(config, names)
    _check_names(names)
    _check_targets(config, targets)
    _check_batch_size(config, len(inputs))
    _check_references(config, names, len(inputs))
    _check_slips(config)


def check_size(config: Config) -> None:
    """Refuse a network with more weights than the limit allows, naming the layer that
    crosses it."""
    most = limits.active().weights
    total = 0
    sending = config.inputs.units
    for index, layer in enumerate(config.layers):
        total += layer.units * (sending + (1 if config.bias else 0))
        if total > most:
            raise ConfigError(
                f"brings the network to {total:,} weights, more than the {most:,} allowed"
                + limits.how_to_raise("weights"),
                field=f"layers[{index}].units",
            )
        sending = layer.units


def _check_activations(config: Config) -> None:
    for index, layer in enumerate(config.layers[:-1]):
        why = ACTIVATIONS[layer.activation].output_only
        if why:
            raise ConfigError(
                f"{why} and is only allowed on the output layer",
                field=f"layers[{index}].activation",
            )
    output = config.layers[-1].activation
    required = LOSSES[config.loss].requires_output
    if required:
        needed, why = required
        if output != needed:
            raise ConfigError(
                f"{config.loss} needs a {needed} output layer ({why}), but the output is {output}",
                field="loss",
            )


def _check_slips(config: Config) -> None:
    """A slip that has no meaning for the config's loss is refused, with the reason."""
    for name in config.slip_set.names:
        losses = SLIPS[name].losses
        if name == "flipped_error_sign" and config.loss == "article":
            raise ConfigError(
                "flipped_error_sign is already how loss: article takes its error (y - ŷ); "
                "show the slip on a true loss instead: loss: squared_error",
                field="slips",
            )
        if losses is not None and config.loss not in losses:
            raise ConfigError(
                f"{name} is a slip of {' or '.join(losses)}, not of {config.loss}",
                field="slips",
            )


def _check_weight_matrices(config: Config, names: Names) -> None:
    for index, (layer, layout) in enumerate(zip(config.layers, names.layers[1:])):
        if not isinstance(layer.weights, MatrixWeights):
            continue
        columns = len(layout.weights[0])
        where = {"unit": " (the bias column first)", "term": " (the bias column last)"}
        shape = (
            f"{layer.units} rows (one per receiving unit) of {columns} numbers"
            f"{where.get(layout.bias, '')}"
        )
        rows = layer.weights.rows
        if len(rows) != layer.units:
            raise ConfigError(
                f"has {len(rows)} row{'s' if len(rows) != 1 else ''}; this layer needs {shape}",
                field=f"layers[{index}].weights",
            )
        for row_number, row in enumerate(rows):
            if len(row) != columns:
                raise ConfigError(
                    f"has {len(row)} number{'s' if len(row) != 1 else ''}; this layer needs {shape}",
                    field=f"layers[{index}].weights[{row_number}]",
                )
        if layout.shared_bias:
            column = 0 if layout.bias == "unit" else columns - 1
            if len({row[column] for row in rows}) > 1:
                raise ConfigError(
                    "gives its shared bias different values on different rows; a shared bias "
                    "has one value, so write the same number in every row's bias column",
                    field=f"layers[{index}].weights",
                )


def _check_names(names: Names) -> None:
    """No name may stand for two things; a shared bias is one weight, however many rows."""
    seen: set[str] = set()
    for layer in names.layers:
        named = [*((layer.bias_unit,) if layer.bias_unit else ()), *layer.units]
        for row_number, row in enumerate(layer.weights):
            for column, name in enumerate(row):
                is_shared = layer.shared_bias and column == bias_column(layer)
                if not (is_shared and row_number > 0):
                    named.append(name)
        for name in named:
            if name in seen:
                raise ConfigError(
                    f"the name {name} would be given to two things; choose other names or prefixes",
                    field="layers",
                )
            seen.add(name)


def _check_targets(config: Config, targets: np.ndarray) -> None:
    field = "data.csv" if config.data.csv is not None else "data.rows"
    problem = LOSSES[config.loss].bad_targets(targets)
    if problem:
        raise ConfigError(f"{config.loss} {problem}", field=field)


def _check_batch_size(config: Config, samples: int) -> None:
    size = config.optimizer.batch_size
    if size != "all" and size > samples:
        raise ConfigError(
            f"is {size}, but the data has only {samples} samples; use {samples} or 'all'",
            field="optimizer.batch_size",
        )


def _check_references(config: Config, names: Names, samples: int) -> None:
    pools = {"unit": set(names.all_units), "weight": set(names.all_weights)}
    values = config.reference.values if config.reference else ()
    for index, reference in enumerate(values):
        field = f"reference.values[{index}]"
        if reference.sample > samples:
            raise ConfigError(
                f"sample {reference.sample} does not exist; there are {samples}",
                field=f"{field}.sample",
            )
        subject = QUANTITY_KINDS[reference.quantity].subject
        if subject is None:  # the loss: one per sample, no name needed
            continue
        if reference.name is None:
            raise ConfigError(f"a {reference.quantity} reference needs a name", field=field)
        if reference.name not in pools[subject]:
            existing = names.all_units if subject == "unit" else names.all_weights
            raise ConfigError(
                f"{reference.name!r} is not a {subject}"
                f"{did_you_mean(reference.name, sorted(pools[subject]))}; "
                f"the {subject}s are {listed(existing)}",
                field=f"{field}.name",
            )


def resolve_frozen(config: Config, names: Names) -> frozenset[str]:
    """The weight names that `frozen` picks, by exact name, glob pattern or the word 'bias'."""
    frozen: set[str] = set()
    for index, pattern in enumerate(config.frozen):
        if pattern == BIAS_KEYWORD:
            matched = set(names.bias_weights)
        else:
            matched = set(fnmatch.filter(names.all_weights, pattern))
        if not matched:
            raise ConfigError(
                f"{pattern!r} matches no weight{did_you_mean(pattern, names.all_weights)}; "
                f"weights are {listed(names.all_weights)}",
                field=f"frozen[{index}]",
            )
        frozen |= matched
    return frozenset(frozen)


LISTED = 24  # names a message lists before it says how many more there are
SUGGESTED_FROM = 10_000  # past this many choices, finding the closest one takes too long


def listed(names: list[str] | tuple[str, ...]) -> str:
    """Names for a message: all of them if few, else the first ones and a count, so that a
    typo on a wide network is one readable line rather than megabytes."""
    if len(names) <= LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED])} ... ({len(names):,} in all)"


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    if len(choices) > SUGGESTED_FROM:
        return ""
    import difflib  # here, not at the top: only a mistake needs it, and every run imports this

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
