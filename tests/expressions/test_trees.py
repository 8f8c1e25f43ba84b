"""The expression trees: each formula's tree computes what the engine computed, bit for bit
(and exactly, in exact runs), and prints as the tables print it.

The truths here are the engine's own array arithmetic (formulas.activations/losses/optimizers
run on whole arrays, never through a tree) and hand-written strings for the printers.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backtrace
from backtrace import records
from backtrace.config import load_config
from backtrace.engine import train
from backtrace.renderers import worked
from backtrace.expressions.evaluation import approximations_marked, evaluate
from backtrace.expressions.nodes import (
    Address,
    Chain,
    Group,
    Negation,
    Number,
    Root,
    Symbol,
    minus,
    numbers,
    over,
    plus,
    squared,
    times,
)
from backtrace.expressions.printing import TextPrinter
from backtrace.formulas import ACTIVATIONS, LOSSES
from backtrace.formulas.numeric import EXACT, FLOAT64
from backtrace.formulas.optimizers import OPTIMIZERS
from backtrace.numbers import NumberFormatter
from helpers import CONFIGS

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False)
probability = st.floats(0.001, 0.999)


def worked_part(chain: Chain):
    """The part before the result: what the line claims gives it."""
    return chain.parts[-2]


@given(h=finite, slope=st.floats(0.001, 0.5))
def test_every_activations_tree_is_its_value(h: float, slope: float) -> None:
    for name, function in ACTIVATIONS.items():
        if function.coupled:
            continue
        parameters = {"slope": slope} if "slope" in function.parameters else {}
        engine = function.bind(FLOAT64, **parameters).value(np.array([[h]]))[0, 0]
        chain = function.equation(Number(h), Number(float(engine)), "Z1", parameters)
        # Each step of the chain, computed, is the engine's z to the last bit.
        for part in chain.parts[:-1]:
            assert evaluate(part) == engine, (name, h)


@given(h=st.fractions(-50, 50, max_denominator=1000), slope=st.sampled_from(["0.01", "0.2"]))
def test_exact_activations_trees_are_exact(h: Fraction, slope: str) -> None:
    for name, function in ACTIVATIONS.items():
        if not function.exact:
            continue
        parameters = {"slope": float(slope)} if "slope" in function.parameters else {}
        engine = function.bind(EXACT, **parameters).value(EXACT.array([[h]]))[0, 0]
        chain = function.equation(
            Number(h), Number(engine), "Z1", {"slope": Fraction(slope)} if parameters else {}
        )
        for part in chain.parts[:-1]:
            assert evaluate(part, exact=True) == engine, (name, h)


@settings(max_examples=60)
@given(st.data())
def test_every_losses_tree_is_its_value_and_its_gradient(data) -> None:
    outputs = data.draw(st.integers(1, 3))
    z = np.array([data.draw(st.lists(probability, min_size=outputs, max_size=outputs))])
    y = np.array([data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=outputs,
                                     max_size=outputs))])  # fmt: skip
    h = np.log(z / (1 - z))
    for name, loss in LOSSES.items():
        if loss.worked is None:
            continue
        engine = loss.value(h, z, y, FLOAT64)[0]
        pairs = [(Number(float(a)), Number(float(b))) for a, b in zip(z[0], y[0])]
        assert evaluate(loss.worked(pairs)) == engine, name
        gradient = loss.gradient(z, y, FLOAT64)[0]
        for k in range(outputs):
            tree = loss.gradient_tree(pairs[k][0], pairs[k][1], Number(outputs))
            assert evaluate(tree) == gradient[k], name


def test_exact_losses_trees_are_exact() -> None:
    z = EXACT.array([[Fraction(7, 5), Fraction(-1, 3)]])
    y = EXACT.array([[Fraction(1), Fraction(0)]])
    for name, loss in LOSSES.items():
        if not loss.exact:
            continue
        engine = loss.value(z, z, y, EXACT)[0]
        pairs = [(Number(a), Number(b)) for a, b in zip(z[0], y[0])]
        assert evaluate(loss.worked(pairs), exact=True) == engine, name
    # By hand: ½·((7/5 - 1)² + (-1/3 - 0)²) = ½·(4/25 + 1/9) = 61/450.
    squared_error = LOSSES["squared_error"].worked(pairs)
    assert evaluate(squared_error, exact=True) == Fraction(61, 450)


SETTINGS = {
    "gradient_descent": {"weight_decay": 0.01},
    "momentum": {"momentum": 0.9, "weight_decay": 0.01},
    "nesterov": {"momentum": 0.8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.02},
    "adamw": {"beta1": 0.85, "beta2": 0.99, "epsilon": 1e-8, "weight_decay": 0.01},
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizers_columns_compute_the_updates_the_engine_made(optimizer: str) -> None:
    overrides = [f"optimizer.name={optimizer}"] + [
        f"optimizer.{key}={value}" for key, value in SETTINGS[optimizer].items()
    ]
    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"), overrides=overrides, epochs=3)
    rule = OPTIMIZERS[optimizer]
    start = next(record for record in train(spec) if isinstance(record, records.Start))
    columns = rule.columns(dict(start.settings))
    checked = 0
    for record in train(spec):
        if not isinstance(record, records.Update) or record.frozen:
            continue
        values = {"W": record.old, "J": record.grad, "new": record.new,
                  "α": record.learning_rate, **dict(record.state)}  # fmt: skip
        for column in columns:
            chain = column.worked(values, lambda key: Address(key, record.weight))
            assert evaluate(worked_part(chain)) == values[column.result], (column.result, record)
            checked += 1
    assert checked > 100


def traced(config: str, **options):
    spec = load_config(str(CONFIGS / f"{config}.yaml"), epochs=options.pop("epochs", 2))
    return list(train(spec, **options))


@pytest.mark.parametrize("config", ["xor", "xor-sigmoid", "xor-deep", "mazur", "iris"])
def test_every_records_tree_computes_its_result(config: str) -> None:
    stream = traced(config, epochs=1)
    outputs = len(stream[0].layers[-1].units)
    counts = dict.fromkeys(("forward", "delta", "gradient", "loss"), 0)
    for record in stream:
        if isinstance(record, records.Forward):
            chain = worked.forward_h(record)
            assert evaluate(worked_part(chain)) == record.h
            counts["forward"] += 1
        elif isinstance(record, records.Delta) and not (
            record.rule == "chain" and record.f_prime is None  # softmax's Jacobian: in words
        ):
            chain = worked.delta_line(record, outputs)
            assert evaluate(worked_part(chain)) == record.delta, record
            counts["delta"] += 1
        elif isinstance(record, records.Gradient):
            assert evaluate(worked_part(worked.gradient_cell(record))) == record.grad
            counts["gradient"] += 1
        elif isinstance(record, records.Loss) and LOSSES[record.name].worked is not None:
            assert evaluate(worked_part(worked.loss_line(record))) == record.loss
            counts["loss"] += 1
    assert counts["forward"] and counts["delta"] and counts["gradient"]


def test_exact_runs_trees_are_exact() -> None:
    spec = load_config(str(CONFIGS / "xor.yaml"), overrides=["loss=squared_error"], epochs=2)
    seen = 0
    for record in train(spec, numbers=EXACT):
        if isinstance(record, records.Forward):
            assert evaluate(worked_part(worked.forward_h(record)), exact=True) == record.h
            seen += 1
        if isinstance(record, records.Delta):
            assert evaluate(worked_part(worked.delta_line(record)), exact=True) == record.delta
            seen += 1
        if isinstance(record, records.Loss):
            assert evaluate(worked_part(worked.loss_line(record)), exact=True) == record.loss
            assert isinstance(record.loss, Fraction)
            seen += 1
    assert seen > 50


def test_every_number_knows_what_it_is() -> None:
    stream = traced("xor", epochs=1)
    forward = next(r for r in stream if isinstance(r, records.Forward) and r.unit == "D0")
    addresses = [number.address for number in numbers(worked.forward_h(forward))]
    assert addresses[0] == Address("weight", "V00", epoch=1, sample=1)
    assert addresses[1] == Address("z", "Z0", epoch=1, sample=1)
    assert addresses[-1] == Address("h", "D0", epoch=1, sample=1)
    delta = next(r for r in stream if isinstance(r, records.Delta) and r.unit == "Z2")
    quantities = [(n.address.quantity, n.address.subject) for n in numbers(worked.delta_line(delta))]
    assert quantities == [("weight", "V02"), ("delta", "D0"), ("f'", "Z2"), ("delta", "Z2")]


# -- printing ---------------------------------------------------------------------------------

six = NumberFormatter(6)
text = TextPrinter(six).node
a, b, c = Symbol("a"), Symbol("b"), Symbol("c")


@pytest.mark.parametrize(
    ("tree", "printed"),
    [
        (minus(a, minus(b, c)), "a - (b - c)"),
        (minus(minus(a, b), c), "a - b - c"),
        (times(plus(a, b), c), "(a + b)·c"),
        (over(times(a, b), plus(Root(c), a)), "a·b/(√c + a)"),
        (over(a, times(b, c)), "a/(b·c)"),
        (times(over(a, b), c), "a/b·c"),
        (squared(minus(Symbol("y", hat=True), Symbol("y"))), "(ŷ - y)²"),
        (Group(over(Number(1), Number(3))), "(1/3)"),
        (over(Negation(Symbol("y")), Symbol("y", hat=True)), "-y/ŷ"),
        (plus(Number(-4.0), Number(-0.5)), "-4 + (-0.5)"),
        (minus(Number(1.0), times(Number(0.1), Number(-4.0))), "1 - 0.1·(-4)"),
        (squared(Number(-3.99)), "(-3.99)²"),
        (Symbol("m", hat=True), "m̂"),
        (Symbol("δ", "Z1"), "δ_Z1"),
    ],
)
def test_text_puts_parentheses_where_the_order_or_a_sign_needs_them(tree, printed) -> None:
    assert text(tree) == printed


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=6))
def test_a_printed_sum_evaluates_to_its_tree(values) -> None:
    # Reading the printed text back, left to right, gives what the tree computes.
    tree = plus(*(times(Number(v), Number(2.0)) for v in values))
    full = TextPrinter(NumberFormatter(17)).node(tree)
    python = full.replace("·", "*")
    assert eval(python) == evaluate(tree)  # noqa: S307 - digits and operators only


def test_the_tables_print_the_trees_text() -> None:
    trace = backtrace.run(backtrace.load("xor-sigmoid"), epochs=1, trace="all")
    out = trace.render("text", width=400)
    printer = TextPrinter(six)

    def printed(chain: Chain) -> str:
        return printer.node(approximations_marked(chain, six, 6))

    checked = 0
    for record in trace:
        if isinstance(record, records.Delta):
            assert printed(worked.delta_line(record)) in out
            checked += 1
        if isinstance(record, records.Forward):
            for line in printed(worked.forward_h(record)).split("\n"):
                assert line in out
            checked += 1
    assert checked > 20


def test_no_worked_line_is_parsed_back_from_text() -> None:
    # The regular-expression evaluator and its eval() are gone from the package.
    root = Path(backtrace.__file__).parent
    arithmetic = [*(root / "expressions").glob("*.py"), *(root / "formulas").glob("*.py"),
                  root / "renderers" / "layout.py", root / "renderers" / "wording.py"]  # fmt: skip
    for path in arithmetic:
        source = path.read_text().replace("evaluate(", "")
        assert "eval(" not in source, path
        # Only the LaTeX printer reads text, and only to typeset names and printed numbers.
        assert "import re\n" not in source or path.name == "latex.py", path
    assert not (root / "renderers" / "arithmetic.py").exists()
