"""Teaching notes: what a reader should know about a network before reading its trace."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from backtrace import records
from backtrace.config import Spec
from backtrace.formulas import LOSSES
from backtrace.formulas.numeric import Array


def notes(spec: Spec) -> Iterator[records.Note]:
    """The slips made on purpose, the loss's caveat, and whether an all-identity network can fit the data at all."""
    for account in spec.config.slip_set.accounts():
        yield records.Note("slip", account)
    caveat = LOSSES[spec.config.loss].caveat
    if caveat:
        yield records.Note("loss", caveat)
    if spec.classes:
        units = spec.names.layers[-1].units
        pairs = ", ".join(f"{unit} is {label}" for unit, label in zip(units, spec.classes))
        yield records.Note(
            "classes",
            f"The targets are one-hot classes from the {spec.config.data.target} column, "
            f"one output unit per class in sorted order: {pairs}.",
        )
    if all(layer.activation == "identity" for layer in spec.config.layers):
        bias = spec.config.bias
        error = best_linear_fit_error(spec.inputs, spec.targets, intercept=bias)
        kind = "affine" if bias else "linear"
        if error > 1e-12:
            yield records.Note(
                "linear",
                f"Every activation is the identity, so the whole network computes one {kind} "
                f"function of its inputs, whatever its weights. The best {kind} fit to this data "
                f"still has a mean squared error of {error:.6g}, so no weights can fit it.",
            )


def best_linear_fit_error(inputs: Array, targets: Array, *, intercept: bool) -> float:
    """Mean squared error of the least-squares linear map (affine, with `intercept`) from inputs
    to targets: the best any all-identity network with (or without) bias units can do."""
    design = np.hstack([np.ones((len(inputs), 1)), inputs]) if intercept else inputs
    coefficients, *_ = np.linalg.lstsq(design, targets, rcond=None)
    return float(np.mean((design @ coefficients - targets) ** 2))
