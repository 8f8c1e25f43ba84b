"""Optimizers: how a step's gradients become new weights. One class per rule.

An optimizer is built once per run with its hyper-parameters and the mask of weights it may
change. It keeps whatever it needs between steps in `state` (nothing, for plain gradient
descent; a velocity per weight, for momentum), applies one update per `step()`, and describes
each weight's update for the trace. The training loop only ever calls `step` and `describe`,
so a new rule is a new class here and an entry in `OPTIMIZERS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from backtrace.formulas.numeric import Array


@dataclass(frozen=True)
class WeightUpdate:
    """One weight's update, as the optimizer did it: the values the trace shows."""

    layer: int  # 0: the matrix into the first layer after the inputs
    row: int
    column: int
    old: Any
    grad: Any
    new: Any
    learning_rate: Any
    frozen: bool
    state: tuple[tuple[str, Any], ...] = ()  # the optimizer's own variables after the step


class Optimizer(Protocol):
    name: str
    formula: str  # the update rule as the trace prints it
    state: dict[str, list[Array]]  # per-weight variables kept between steps, by name

    def step(self, weights: list[Array], gradients: list[Array]) -> list[Array]:
        """The new weights; frozen weights come back unchanged."""
        ...

    def describe(
        self, old: list[Array], new: list[Array], gradients: list[Array]
    ) -> Iterator[WeightUpdate]:
        """What the last step did to each weight, layer by layer, row by row."""
        ...


@dataclass
class GradientDescent:
    """W := W - α·J'(W), with J'(W) the mean gradient of the step's samples."""

    learning_rate: Any
    frozen: list[Array]  # True where a weight never changes, one mask per weight matrix
    name: str = "gradient_descent"
    formula: str = "W := W - α·J'(W)"
    state: dict[str, list[Array]] = field(default_factory=dict)  # it remembers nothing

    def step(self, weights: list[Array], gradients: list[Array]) -> list[Array]:
        return [
            np.where(mask, matrix, matrix - self.learning_rate * gradient)
            for matrix, gradient, mask in zip(weights, gradients, self.frozen)
        ]

    def describe(
        self, old: list[Array], new: list[Array], gradients: list[Array]
    ) -> Iterator[WeightUpdate]:
        for layer, (before, after, gradient, mask) in enumerate(
            zip(old, new, gradients, self.frozen)
        ):
            for (row, column), value in np.ndenumerate(before):
                yield WeightUpdate(
                    layer,
                    row,
                    column,
                    value,
                    gradient[row, column],
                    after[row, column],
                    self.learning_rate,
                    bool(mask[row, column]),
                )


OPTIMIZERS: dict[str, type] = {"gradient_descent": GradientDescent}
