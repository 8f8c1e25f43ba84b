"""Activation functions f(h): one registry entry each, with everything the program knows of it.

An entry carries the name a config uses, f and f' on whole (samples, units) arrays in any
number system, the formulas the trace prints, its parameters and their defaults, whether it
has exact rational values, and whether it may only sit on the output layer. The config
schema, the checks, the engine and the renderers all read `ACTIVATIONS`; adding an
activation is one entry here plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from fractions import Fraction
from typing import Any

import numpy as np

from backtrace.expressions.nodes import Apply, Node, Number, Symbol, equation, setting, times
from backtrace.formulas.numeric import EXACT, FLOAT64, Array, Numbers
from backtrace.frozen import frozen

Parameters = Mapping[str, Any]  # an activation's parameters, in the number system in use
Value = Callable[[Array, Numbers, Parameters], Array]
Derivative = Callable[[Array, Array, Numbers, Parameters], Array]  # f'(h) from h and z = f(h)


@frozen
class Activation:
    name: str  # as a config writes it
    formula: str  # f(h) as the trace prints it; {parameter} fields are filled in
    derivative_formula: str  # f'(h) as the trace prints it
    value: Value
    derivative: Derivative | None  # None for a function that couples a layer's units
    coupled: bool = False  # z of one unit depends on the whole layer's h: softmax(h)[D1]
    output_only: str | None = None  # why it is only allowed on the output layer, if it is
    exact: bool = False  # whether rational inputs give rational outputs
    parameters: Mapping[str, float] = field(default_factory=dict)  # name -> default
    # The arithmetic of f(h) for one unit, as a tree of the number h and the parameters'
    # numbers; None where f(h) is only its value (sigmoid(0.5) = 0.622459).
    worked: Callable[[Number, Mapping[str, Number]], Node | None] | None = None

    def applied(self, h: Number, unit: str, parameters: Mapping[str, Any]) -> Apply:
        """f applied to one unit's h, 'sigmoid(0.5)', and able to compute itself; for a
        coupled function, the unit's share of the layer's: 'softmax(h)[D1]'."""
        if self.coupled:
            return Apply(Symbol(self.name), Symbol("h"), index=unit)

        def evaluate(value: Any) -> Any:
            numbers = EXACT if isinstance(value, Fraction) else FLOAT64
            bound = self.bind(numbers, **parameters)
            return bound.value(numbers.array([value]))[0]

        return Apply(Symbol(self.name), h, evaluate=evaluate)

    def equation(self, h: Number, z: Number, unit: str, parameters: Mapping[str, Any]) -> Node:
        """z = f(h) with its numbers: sigmoid(0.5) = 0.622459, leaky_relu(-2) = 0.01·(-2) = -0.02."""
        values = {**self.parameters, **parameters}
        worked = self.worked and self.worked(
            h, {name: setting(value, name) for name, value in values.items()}
        )
        applied = self.applied(h, unit, parameters)
        return equation(applied, worked, z) if worked else equation(applied, z)

    def bind(self, numbers: Numbers = FLOAT64, **parameters: Any) -> Bound:
        """This function with its parameters set (the defaults for any not given)."""
        values = {name: numbers.number(parameters.get(name, default))
                  for name, default in self.parameters.items()}  # fmt: skip
        return Bound(self, numbers, values)


@frozen
class Bound:
    """An activation ready to use on one layer: its number system and parameters fixed."""

    function: Activation
    numbers: Numbers
    parameters: Parameters

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def has_derivative(self) -> bool:
        return self.function.derivative is not None

    def value(self, h: Array) -> Array:
        return self.function.value(h, self.numbers, self.parameters)

    def derivative(self, h: Array, z: Array) -> Array:
        assert self.function.derivative is not None, f"{self.name} has no elementwise derivative"
        return self.function.derivative(h, z, self.numbers, self.parameters)

    def backward(self, h: Array, z: Array, upstream: Array) -> Array:
        """dL/dh from dL/dz: elementwise f'(h)·upstream, or the Jacobian product for softmax."""
        if self.function.derivative is not None:
            return upstream * self.derivative(h, z)
        # softmax: dz_i/dh_j = z_i (1[i=j] - z_j), so dL/dh = z·(g - Σ_j g_j·z_j)
        return z * (upstream - self.numbers.row_sums(upstream * z)[..., None])


def _ones(h: Array, numbers: Numbers) -> Array:
    return numbers.full(h.shape, 1)


def _sigmoid(h: Array, numbers: Numbers, parameters: Parameters) -> Array:
    return numbers.sigmoid(h)  # numeric's, which keeps e^x from overflowing


def _softmax(h: Array, numbers: Numbers, parameters: Parameters) -> Array:
    _, exponentials, sums = softmax_parts(h, numbers)
    return exponentials / sums[..., None]


_last_parts: tuple[Any, ...] | None = None  # (h, its bytes, numbers, its parts): the last h's


def softmax_parts(h: Array, numbers: Numbers) -> tuple[Array, Array, Array]:
    """s = h - max h, e^s and Σ e^s, row by row: where softmax(h) = e^s/Σ e^s and
    ln softmax(h) = s - ln Σ e^s both start. The last h's parts are kept, because the loss
    takes ln softmax of the very array the output layer has just taken softmax of: they
    are used again for the same array holding the same bytes, and cannot be written to."""
    global _last_parts
    last = _last_parts
    if last is not None and last[0] is h and last[2] is numbers and last[1] == h.tobytes():
        return last[3], last[4], last[5]
    kernels = getattr(numbers, "kernels", None)  # compiled, while they are lent
    parts = kernels.softmax_parts(h) if kernels is not None else None
    if parts is None:
        # np.max is this reduction behind a Python wrapper that costs more than the reduction.
        # Adding 0 makes a largest value of -0 into +0: which zero numpy's reduction returns
        # for a row holding both depends on how its vector loop splits the row, which can
        # differ between CPUs, and the shifted zeros' signs would follow it.
        largest = np.maximum.reduce(h, axis=-1, keepdims=True) + numbers.number(0)
        shifted = h - largest
        exponentials = numbers.exp(shifted)
        sums = numbers.row_sums(exponentials)
    else:
        shifted, exponentials, sums = parts
    for part in (shifted, exponentials, sums):
        part.flags.writeable = False
    _last_parts = (h, h.tobytes(), numbers, shifted, exponentials, sums)
    return shifted, exponentials, sums


def _relu(h: Array, numbers: Numbers, parameters: Parameters) -> Array:
    return np.where(h > 0, h, numbers.number(0))


def _step(h: Array, z: Array, numbers: Numbers, parameters: Parameters) -> Array:
    return np.where(h > 0, numbers.number(1), numbers.number(0))


def _leaky(h: Array, numbers: Numbers, parameters: Parameters) -> Array:
    return np.where(h > 0, h, parameters["slope"] * h)


def _leaky_slope(h: Array, z: Array, numbers: Numbers, parameters: Parameters) -> Array:
    return np.where(h > 0, numbers.number(1), parameters["slope"])


ACTIVATIONS: dict[str, Activation] = {
    activation.name: activation
    for activation in (
        Activation(
            "identity",
            "f(h) = h",
            "f'(h) = 1",
            lambda h, numbers, parameters: h.copy(),
            lambda h, z, numbers, parameters: _ones(h, numbers),
            exact=True,
        ),
        Activation(
            "sigmoid",
            "σ(h) = 1/(1 + e^-h)",
            "σ'(h) = σ(h)·(1 - σ(h))",
            _sigmoid,
            lambda h, z, numbers, parameters: z * (1.0 - z),
        ),
        Activation(
            "tanh",
            "tanh(h)",
            "tanh'(h) = 1 - tanh(h)²",
            lambda h, numbers, parameters: numbers.tanh(h),
            lambda h, z, numbers, parameters: 1.0 - z * z,
        ),
        Activation(
            "relu",
            "relu(h) = max(0, h)",
            "relu'(h) = 1 if h > 0 else 0",
            _relu,
            _step,
            exact=True,
        ),
        Activation(
            "leaky_relu",
            "leaky_relu(h) = h if h > 0 else {slope}·h",
            "leaky_relu'(h) = 1 if h > 0 else {slope}",
            _leaky,
            _leaky_slope,
            exact=True,
            parameters={"slope": 0.01},
            worked=lambda h, parameters: None if h.value > 0 else times(parameters["slope"], h),
        ),
        Activation(
            "softmax",
            "softmax(h)_i = e^h_i / Σ_j e^h_j",
            "∂z_i/∂h_j = z_i·(1[i=j] - z_j)",
            _softmax,
            None,
            coupled=True,
            output_only="softmax couples all units of a layer",
        ),
    )
}
