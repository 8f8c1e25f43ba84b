"""Optimizers: how a step's gradients become new weights. One class per rule.

Each follows the algorithm torch.optim documents for it (SGD with momentum and Nesterov, Adam,
AdamW), written out step by step in the order the trace prints it, so that every printed
expression evaluates to its printed result. An optimizer is built once per run with its
hyper-parameters and the mask of weights it may change. It keeps what it needs between steps
in `state` (a velocity per weight, Adam's moments ...), leaves frozen weights and their state
alone, applies one update per `step()`, and describes each weight's update for the trace,
state variables included. The training loop only calls `step` and `describe`, so a new rule
is a new class here and an entry in `OPTIMIZERS`.

Learning-rate schedules multiply the rate step by step instead of taking powers, so the rate
in force is the same to the last bit on every machine.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from backtrace.expressions.nodes import (
    ONE,
    Address,
    Apply,
    Chain,
    Node,
    Number,
    Phrase,
    Power,
    Root,
    Symbol,
    equation,
    minus,
    over,
    plus,
    setting,
    squared,
    substituted,
    times,
)
from backtrace.formulas.numeric import Array, Numbers
from backtrace.frozen import frozen

Operand = Callable[[Any], str]  # a number as it is written inside an expression


@frozen
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
    state: tuple[tuple[str, Any], ...] = ()  # the optimizer's own variables, by name


# The symbols the update rules are written in.
W, ALPHA, G, LAMBDA, MU = Symbol("W"), Symbol("α"), Symbol("g"), Symbol("λ"), Symbol("μ")
GRADIENT = Apply(Symbol("J", prime=True), W)
VELOCITY, STEP, M, V = Symbol("v"), Symbol("s"), Symbol("m"), Symbol("v")
M_HAT, V_HAT, T = Symbol("m", hat=True), Symbol("v", hat=True), Symbol("t")
BETA1, BETA2, EPSILON = Symbol("β1"), Symbol("β2"), Symbol("ε")
Where = Callable[[str], Address]  # what a value of the update is, from its key


@frozen
class Column:
    """One column of the update table, declared once as a formula over symbols. Its heading is
    the formula (`m := β1·m + (1 - β1)·g`); a cell is the same formula with each symbol
    replaced by the number it stands for, then the result: `0.9·0 + (1 - 0.9)·6.5 = 0.65`.

    `symbols` says what each symbol of `formula` stands for: the key of a value of the
    weight's update ('W', 'J', 'm_before' ...) or a setting's number."""

    target: Node | None  # what the column computes; None for a bare expression: W·(1 - α·λ)
    formula: Node
    result: str  # the key of the computed value
    symbols: Mapping[Node, Any]
    assigns: bool = True  # ':=' for a variable that changes; '=' for a value computed once

    @property
    def title(self) -> Node:
        if self.target is None:
            return self.formula
        return equation(self.target, self.formula, relation=":=" if self.assigns else "=")

    def worked(self, values: Mapping[str, Any], where: Where) -> Chain:
        bindings = {
            symbol: Number(values[key], where(key)) if isinstance(key, str) else setting(key, "setting")
            for symbol, key in self.symbols.items()
        }
        return equation(
            substituted(self.formula, bindings), Number(values[self.result], where(self.result))
        )


class Schedule:
    """The learning rate in force at each step: constant, ×γ every N steps, or ×γ each step."""

    def __init__(self, numbers: Numbers, initial: Any, kind: str, gamma: Any, every: int) -> None:
        self.kind, self.gamma, self.every = kind, numbers.number(gamma), every
        self.rate = numbers.number(initial)
        self.steps = 0

    def advance(self) -> Any:
        """The rate for the next step (the first step uses the initial rate)."""
        self.steps += 1
        if self.steps > 1 and (
            self.kind == "exponential"
            or (self.kind == "step" and (self.steps - 1) % self.every == 0)
        ):
            self.rate = self.rate * self.gamma
        return self.rate

    def describe(self, text: Operand) -> str:
        if self.kind == "step":
            return f"×{text(self.gamma)} every {self.every} steps"
        if self.kind == "exponential":
            return f"×{text(self.gamma)} each step"
        return "constant"


class Optimizer:
    """What every optimizer shares: the mask, the schedule, the state and `describe`."""

    name: ClassVar[str]
    summary: ClassVar[str]  # the rule in one line, for the trace's header
    parameters: ClassVar[Mapping[str, float]] = {}  # name -> default, besides the rate
    exact: ClassVar[bool] = True  # whether fractions in give fractions out

    def __init__(
        self, numbers: Numbers, frozen: list[Array], schedule: Schedule, **values: Any
    ) -> None:
        self.numbers = numbers
        self.frozen = frozen  # True where a weight never changes, one mask per matrix
        self.any_frozen = any(mask.any() for mask in frozen)
        self.schedule = schedule
        self.hyper = {
            name: numbers.number(values.get(name, default))
            for name, default in self.parameters.items()
        }
        self.state: dict[str, list[Array]] = {}
        self.learning_rate = schedule.rate
        self.t = 0  # steps taken
        self._last: dict[str, list[Array]] = {}

    def step(self, weights: list[Array], gradients: list[Array]) -> list[Array]:
        """The new weights; frozen weights, and their state, come back unchanged."""
        self.t += 1
        self.learning_rate = self.schedule.advance()
        values: dict[str, list[Array]] = {"W": weights, "J": gradients}
        for name in self.state_names():
            values[f"{name}_before"] = self.state.get(name) or [
                self.numbers.full(w.shape, 0) for w in weights
            ]
        computed = self.compute(values)
        if self.any_frozen:
            new = [
                np.where(mask, w, n) for w, n, mask in zip(weights, computed["new"], self.frozen)
            ]
        else:
            new = computed["new"]
        for name in self.state_names():
            self.state[name] = (
                [
                    np.where(mask, before, after)
                    for before, after, mask in zip(
                        values[f"{name}_before"], computed[name], self.frozen
                    )
                ]
                if self.any_frozen
                else computed[name]
            )
        # What the trace shows: frozen weights' state as it stays, not as it would have been.
        self._last = {**values, **computed, **self.state, "new": new}
        return new

    def preview(self) -> Optimizer:
        """A copy to take a step with and throw away: this optimizer's state, its step count
        and its schedule stay as they are."""
        copy = _copy.copy(self)
        copy.state = dict(self.state)
        copy.schedule = _copy.copy(self.schedule)
        return copy

    def state_names(self) -> tuple[str, ...]:
        """The per-weight variables kept from step to step."""
        return ()

    def compute(self, values: dict[str, list[Array]]) -> dict[str, list[Array]]:
        """This step's quantities, matrix by matrix, from W, J and the state before it."""
        raise NotImplementedError

    @classmethod
    def shown(cls, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        """The per-weight quantities each update computes and shows, in order."""
        return ()

    @classmethod
    def state_keys(cls, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        """The keys of an update's state, in order: its quantities, then the step count t
        (and whatever else a rule keeps per step)."""
        shown = cls.shown(hyper)
        return (*shown, "t") if shown else ()

    def scalars(self) -> dict[str, Any]:
        """The per-step numbers an update's state holds besides the per-weight ones."""
        return {"t": self.t}

    @classmethod
    def columns(cls, hyper: Mapping[str, Any]) -> list[Column]:
        """The update table's columns after J'(W): one per quantity, the new W last."""
        raise NotImplementedError

    @classmethod
    def step_line(cls, hyper: Mapping[str, Any], state: Mapping[str, Any]) -> Phrase:
        """What the update table's title adds about the step as a whole (() for nothing)."""
        return ()

    def describe(
        self, old: list[Array], new: list[Array], gradients: list[Array]
    ) -> Iterator[WeightUpdate]:
        """What the last step did to each weight, layer by layer, row by row."""
        scalars = self.scalars()
        keys = self.state_keys(self.hyper)
        rate = self.learning_rate
        for layer, (before, after, gradient, mask) in enumerate(
            zip(old, new, gradients, self.frozen)
        ):
            # Whole matrices as Python numbers in one call each, not element by element.
            held = {key: self._last[key][layer].tolist() for key in keys if key not in scalars}
            masks = mask.tolist()
            for row, (olds, news, grads) in enumerate(
                zip(before.tolist(), after.tolist(), gradient.tolist())
            ):
                for column, (value, updated, grad) in enumerate(zip(olds, news, grads)):
                    frozen = masks[row][column]
                    # A frozen weight shows only the state it keeps: nothing was computed.
                    state = tuple(
                        (key, scalars[key] if key in scalars else held[key][row][column])
                        for key in (self.state_names() if frozen else keys)
                    )
                    yield WeightUpdate(
                        layer, row, column, value, grad, updated, rate, frozen, state
                    )

    @classmethod
    def header(cls, hyper: Mapping[str, Any], text: Operand) -> str:
        """The rule and its settings, for the trace's header."""
        settings = [f"{symbol} = {text(hyper[name])}" for name, symbol in cls.symbols(hyper)]
        return f"{cls.name}: {cls.summary}" + (f" ({', '.join(settings)})" if settings else "")

    @classmethod
    def symbols(cls, hyper: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(parameter, symbol) for the settings the header shows."""
        return [("weight_decay", "λ")] if hyper.get("weight_decay") else []

    # Shared by the rules that add L2 weight decay to the gradient (all but AdamW).
    def _decayed(self, values: dict[str, list[Array]]) -> list[Array]:
        decay = self.hyper.get("weight_decay", 0)
        if not decay:
            return values["J"]
        return [j + decay * w for j, w in zip(values["J"], values["W"])]

    @staticmethod
    def _decay_columns(hyper: Mapping[str, Any]) -> list[Column]:
        decay = hyper.get("weight_decay")
        if not decay:
            return []
        return [
            Column(
                G, plus(GRADIENT, times(LAMBDA, W)), "g", {GRADIENT: "J", LAMBDA: decay, W: "W"},
                assigns=False,
            )
        ]  # fmt: skip

    @staticmethod
    def _decay_shown(hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return ("g",) if hyper.get("weight_decay") else ()


class GradientDescent(Optimizer):
    """W := W - α·g, with g = J'(W) (+ λ·W with weight decay)."""

    name = "gradient_descent"
    summary = "W := W - α·J'(W)"
    parameters = {"weight_decay": 0.0}

    def compute(self, values: dict[str, list[Array]]) -> dict[str, list[Array]]:
        g = self._decayed(values)
        rate = self.learning_rate
        return {"g": g, "new": [w - rate * gi for w, gi in zip(values["W"], g)]}

    @classmethod
    def shown(cls, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return cls._decay_shown(hyper)

    @classmethod
    def columns(cls, hyper: Mapping[str, Any]) -> list[Column]:
        gradient = G if hyper.get("weight_decay") else GRADIENT
        key = "g" if gradient is G else "J"
        return cls._decay_columns(hyper) + [
            Column(
                W, minus(W, times(ALPHA, gradient)), "new", {W: "W", ALPHA: "α", gradient: key}
            )
        ]


class Momentum(Optimizer):
    """v := μ·v + g (v starts at 0, so it is g after the first step), W := W - α·v: torch's
    SGD with momentum and no dampening. With `nesterov`, the step uses g + μ·v instead."""

    name = "momentum"
    summary = "v := μ·v + g, W := W - α·v"
    parameters = {"momentum": 0.9, "weight_decay": 0.0}
    nesterov = False

    def state_names(self) -> tuple[str, ...]:
        return ("velocity",)

    def compute(self, values: dict[str, list[Array]]) -> dict[str, list[Array]]:
        g = self._decayed(values)
        mu, rate = self.hyper["momentum"], self.learning_rate
        # torch starts the buffer at the first gradient itself; μ·0 + g is exactly g.
        velocity = [mu * v + gi for v, gi in zip(values["velocity_before"], g)]
        result = {"g": g, "velocity": velocity}
        step = velocity
        if self.nesterov:
            step = [gi + mu * v for gi, v in zip(g, velocity)]
            result["step"] = step
        result["new"] = [w - rate * s for w, s in zip(values["W"], step)]
        return result

    @classmethod
    def shown(cls, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        names = (*cls._decay_shown(hyper), "velocity_before", "velocity")
        return (*names, "step") if cls.nesterov else names

    @classmethod
    def symbols(cls, hyper: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("momentum", "μ"), *super().symbols(hyper)]

    @classmethod
    def columns(cls, hyper: Mapping[str, Any]) -> list[Column]:
        g = "g" if hyper.get("weight_decay") else "J"
        mu = hyper["momentum"]
        columns = cls._decay_columns(hyper) + [
            Column(
                VELOCITY,
                plus(times(MU, VELOCITY), G),
                "velocity",
                {MU: mu, VELOCITY: "velocity_before", G: g},
            )
        ]
        if cls.nesterov:
            columns.append(
                Column(
                    STEP,
                    plus(G, times(MU, VELOCITY)),
                    "step",
                    {G: g, MU: mu, VELOCITY: "velocity"},
                    assigns=False,
                )
            )
        taken = STEP if cls.nesterov else VELOCITY
        columns.append(
            Column(
                W,
                minus(W, times(ALPHA, taken)),
                "new",
                {W: "W", ALPHA: "α", taken: "step" if cls.nesterov else "velocity"},
            )
        )
        return columns


class Nesterov(Momentum):
    """Momentum that steps with g + μ·v, as torch's SGD(nesterov=True) does."""

    name = "nesterov"
    summary = "v := μ·v + g, W := W - α·(g + μ·v)"
    nesterov = True


def adam_rule(
    start: Any, g: Any, m: Any, v: Any, beta1: float, beta2: float,
    beta1_power: float, beta2_power: float, rate: float, epsilon: float,
) -> tuple[Any, Any, Any, Any, Any]:
    """One Adam step, weight by weight: m and v after it, m̂, v̂ and the new weight. Written
    once, for whole arrays here and compiled by `formulas.compiled` for one number at a
    time; each is the same IEEE operations in the same order. β^t is `beta1_power`."""
    m = beta1 * m + (1.0 - beta1) * g
    v = beta2 * v + (1.0 - beta2) * (g * g)
    m_hat = m / (1.0 - beta1_power)
    v_hat = v / (1.0 - beta2_power)
    new = start - rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return m, v, m_hat, v_hat, new


class Adam(Optimizer):
    """m := β1·m + (1 - β1)·g, v := β2·v + (1 - β2)·g², m̂ = m/(1 - β1^t),
    v̂ = v/(1 - β2^t), W := W - α·m̂/(√v̂ + ε)."""

    name = "adam"
    summary = "W := W - α·m̂/(√v̂ + ε)"
    parameters = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0}
    exact = False  # √v̂
    decoupled = False  # AdamW decays the weights themselves instead of the gradient

    def __init__(self, *arguments: Any, **values: Any) -> None:
        super().__init__(*arguments, **values)
        one = self.numbers.number(1)
        self.powers = {"beta1": one, "beta2": one}  # β^t, one multiplication per step

    def state_names(self) -> tuple[str, ...]:
        return ("m", "v")

    def compute(self, values: dict[str, list[Array]]) -> dict[str, list[Array]]:
        h = self.hyper
        for name in self.powers:
            self.powers[name] = self.powers[name] * h[name]
        g = self._decoupled(values)
        start = self._start(values)
        settings = (
            h["beta1"], h["beta2"], self.powers["beta1"], self.powers["beta2"],
            self.learning_rate, h["epsilon"],
        )  # fmt: skip
        kernels = getattr(self.numbers, "kernels", None)  # compiled, while they are lent
        rule = adam_rule if kernels is None else kernels.adam
        steps = [
            rule(w, gi, m, v, *settings)
            for w, gi, m, v in zip(start, g, values["m_before"], values["v_before"])
        ]
        m, v, m_hat, v_hat, new = map(list, zip(*steps))
        return {"g": g, "m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat, "start": start, "new": new}

    def _decoupled(self, values: dict[str, list[Array]]) -> list[Array]:
        return self._decayed(values)

    def _start(self, values: dict[str, list[Array]]) -> list[Array]:
        """The weights the Adam step starts from (AdamW decays them first)."""
        return values["W"]

    @classmethod
    def shown(cls, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        before = ("start",) if cls.decoupled else cls._decay_shown(hyper)
        return (*before, "m_before", "m", "v_before", "v", "m_hat", "v_hat")

    @classmethod
    def state_keys(cls, hyper: Mapping[str, Any]) -> tuple[str, ...]:
        return (*super().state_keys(hyper), "beta1_t", "beta2_t")

    def scalars(self) -> dict[str, Any]:
        return {
            **super().scalars(),
            "beta1_t": self.powers["beta1"],
            "beta2_t": self.powers["beta2"],
        }

    @classmethod
    def symbols(cls, hyper: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [("beta1", "β1"), ("beta2", "β2"), ("epsilon", "ε"), *super().symbols(hyper)]

    @classmethod
    def step_line(cls, hyper: Mapping[str, Any], state: Mapping[str, Any]) -> Phrase:
        # The step count t and the powers it gives, which m̂ and v̂ divide by.
        if "beta1_t" not in state:
            return ()
        t = Number(state["t"], Address("t"))

        def power(symbol: Symbol, name: str) -> Chain:
            # β as the config gives it, in full: rounded to two digits, 0.999 would read as 1.
            beta = Number(hyper[name], Address(name), repr(float(hyper[name])).removesuffix(".0"))
            return equation(
                Power(symbol, T), Power(beta, t), Number(state[f"{name}_t"], Address(f"{name}_t"))
            )

        return (
            equation(T, t), ": ", power(BETA1, "beta1"), ", ", power(BETA2, "beta2"),
        )  # fmt: skip

    @classmethod
    def columns(cls, hyper: Mapping[str, Any]) -> list[Column]:
        b1, b2, eps = hyper["beta1"], hyper["beta2"], hyper["epsilon"]
        g = "g" if hyper.get("weight_decay") and not cls.decoupled else "J"
        start = "start" if cls.decoupled else "W"
        beta1_t, beta2_t = Power(BETA1, T), Power(BETA2, T)
        return cls._adam_decay_columns(hyper) + [
            Column(
                M,
                plus(times(BETA1, M), times(minus(ONE, BETA1), G)),
                "m",
                {BETA1: b1, M: "m_before", G: g},
            ),
            Column(
                V,
                plus(times(BETA2, V), times(minus(ONE, BETA2), squared(G))),
                "v",
                {BETA2: b2, V: "v_before", G: g},
            ),
            Column(
                M_HAT, over(M, minus(ONE, beta1_t)), "m_hat", {M: "m", beta1_t: "beta1_t"},
                assigns=False,
            ),
            Column(
                V_HAT, over(V, minus(ONE, beta2_t)), "v_hat", {V: "v", beta2_t: "beta2_t"},
                assigns=False,
            ),
            Column(
                W,
                minus(W, over(times(ALPHA, M_HAT), plus(Root(V_HAT), EPSILON))),
                "new",
                {W: start, ALPHA: "α", M_HAT: "m_hat", V_HAT: "v_hat", EPSILON: eps},
            ),
        ]  # fmt: skip

    @classmethod
    def _adam_decay_columns(cls, hyper: Mapping[str, Any]) -> list[Column]:
        return cls._decay_columns(hyper)


class AdamW(Adam):
    """Adam with decoupled weight decay: W := W·(1 - α·λ) first, then the Adam step, and the
    gradient itself left alone (torch's AdamW; λ defaults to 0.01 as there)."""

    name = "adamw"
    summary = "W := W·(1 - α·λ), then W := W - α·m̂/(√v̂ + ε)"
    parameters = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01}
    decoupled = True

    def _decoupled(self, values: dict[str, list[Array]]) -> list[Array]:
        return values["J"]

    def _start(self, values: dict[str, list[Array]]) -> list[Array]:
        one = self.numbers.number(1)
        shrink = one - self.learning_rate * self.hyper["weight_decay"]
        return [w * shrink for w in values["W"]]

    @classmethod
    def _adam_decay_columns(cls, hyper: Mapping[str, Any]) -> list[Column]:
        decay = hyper["weight_decay"]
        return [
            Column(
                None,
                times(W, minus(ONE, times(ALPHA, LAMBDA))),
                "start",
                {W: "W", ALPHA: "α", LAMBDA: decay},
            )
        ]


OPTIMIZERS: dict[str, type[Optimizer]] = {
    kind.name: kind for kind in (GradientDescent, Momentum, Nesterov, Adam, AdamW)
}
