"""Every printed expression evaluates to its printed result.

At --precision 17 every float prints in full, so a reader who evaluates a printed expression
in float64, in the usual order (· and / before + and -, each left to right), must get exactly
the number printed after it. This file holds its own small evaluator for that, and checks
every arithmetic cell of the table, text and Markdown formats (all drawn from the same
layout blocks) for the shipped configs and for random networks. Function values such as
sigmoid(0.5) are checked against Python's math module to within a few units in the last
place, since they are computed portably rather than by the C library.
"""

from __future__ import annotations

import io
import math
import re
from fractions import Fraction
from functools import partial

import pytest
from hypothesis import given, settings

from backtrace.config import build_spec, load_config
from backtrace.expressions.nodes import Symbol
from backtrace.engine import train
from backtrace.formulas.numeric import EXACT
from backtrace.numbers import format_number
from backtrace.renderers import FORMATS, RenderOptions, layout
from helpers import CONFIGS
from strategies import networks

NUMERIC = re.compile(r"^[0-9.e+\-·/()²½√ ]+$")
FUNCTIONS = {
    "identity": lambda h: h,
    "sigmoid": lambda h: 1 / (1 + math.exp(-h)) if h >= 0 else math.exp(h) / (1 + math.exp(h)),
    "tanh": math.tanh,
    "relu": lambda h: max(0.0, h),
    # leaky_relu writes out slope·h, which the arithmetic check evaluates.
}


class Evaluator:
    """Recursive descent over + - · / ² and parentheses, numbers of one type."""

    def __init__(self, text: str, number=float) -> None:
        self.tokens = re.findall(r"\d+(?:\.\d*)?(?:e[+-]?\d+)?|[-+·/()²½√]", text.replace(" ", ""))
        self.number = number
        self.position = 0
        assert "".join(self.tokens) == text.replace(" ", ""), text

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        self.position += 1
        return self.tokens[self.position - 1]

    def value(self):
        result = self.expression()
        assert self.peek() is None, f"left over: {self.tokens[self.position :]}"
        return result

    def expression(self):
        result = self.term()
        while self.peek() in ("+", "-"):
            operator, operand = self.take(), self.term()
            result = result + operand if operator == "+" else result - operand
        return result

    def term(self):
        result = self.power()
        while self.peek() in ("·", "/"):
            operator, operand = self.take(), self.power()
            result = result * operand if operator == "·" else result / operand
        return result

    def power(self):
        result = self.primary()
        while self.peek() == "²":
            self.take()
            result = result * result
        return result

    def primary(self):
        token = self.take()
        if token == "(":
            result = self.expression()
            assert self.take() == ")"
            return result
        if token == "-":
            return -self.primary()
        if token == "√":  # correctly rounded in IEEE 754, as numpy's is
            return math.sqrt(self.primary())
        if token == "½":
            return self.number("0.5") if self.number is float else self.number(1, 2)
        return self.number(token)


def checked_cells(blocks, number=float) -> dict[str, int]:
    """Check every arithmetic chain in the blocks; count the checks by kind of cell."""
    counts: dict[str, int] = {}
    for block in blocks:
        texts = []
        if isinstance(block, layout.Grid):
            texts = [cell for row in block.rows for cell in row[1:]]
        elif isinstance(block, layout.Line):
            texts = [block.text.split(" (the article")[0]]
        for text in texts:
            kind = check_chain(text.replace("\n", " "), number)
            if kind:
                counts[kind] = counts.get(kind, 0) + 1
    return counts


def check_chain(text: str, number) -> str | None:
    """'symbols = numbers = result': each all-number part must evaluate to the result."""
    parts = text.split(" = ")
    if len(parts) < 2:
        return None
    result = parts[-1].strip()
    if not NUMERIC.match(result) or "nan" in text or "inf" in text:
        return None
    expected = Evaluator(result, number).value()
    kind = None
    for part in parts[:-1]:
        part = part.split(": ")[-1].strip()
        called = re.fullmatch(r"(\w+)\(([-0-9.e]+)\)", part)
        if called and called.group(1) in FUNCTIONS:
            argument = float(called.group(2))
            oracle = FUNCTIONS[called.group(1)](argument)
            assert abs(float(expected) - oracle) <= 4 * math.ulp(oracle), text
            kind = "function"
        elif NUMERIC.match(part) and any(ch.isdigit() for ch in part):
            assert Evaluator(part, number).value() == expected, text
            kind = kind or "arithmetic"
    return kind


def rounds_to(value, printed: str, digits: int) -> bool:
    """Whether `value` rounds to `printed` at `digits` significant digits, a tie (to within
    float64's rounding of the printed numbers) counting as rounding either way."""
    if digits >= 17:
        return format_number(float(value), digits) == printed
    target = Fraction(printed)
    if target == 0:
        return value == 0
    exponent = math.floor(math.log10(abs(target)))
    unit = Fraction(10) ** (exponent - digits + 1)
    return abs(Fraction(value) - target) <= unit / 2 * (1 + Fraction(1, 10**9))


def rounded_chains(blocks, digits: int) -> dict[str, int]:
    """At a precision below every digit, "=" before a result must mean the printed numbers
    give it, rounded to `digits` as the trace rounds; "≈" must mean they do not."""
    counts = {"=": 0, "≈": 0}
    for block in blocks:
        texts = []
        if isinstance(block, layout.Grid):
            texts = [cell for row in block.rows for cell in row[1:]]
        elif isinstance(block, layout.Line):
            texts = [block.text.split(" (the article")[0].split(" (Mazur")[0]]
        for text in texts:
            parts = re.split(r"\s([=≈])\s", text.replace("\n", " "))
            for index in range(2, len(parts), 2):
                expression = parts[index - 2].split(": ")[-1].strip()
                result = parts[index].strip()
                if not re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?", result):
                    continue
                called = re.fullmatch(r"(\w+)\(([-0-9.e]+)\)", expression)
                if called and called.group(1) in FUNCTIONS:
                    value = FUNCTIONS[called.group(1)](float(called.group(2)))
                    if abs(value - float(result)) <= 4 * math.ulp(value):
                        value = float(result)  # the C library's, a few ulp from the portable
                elif NUMERIC.match(expression) and any(ch.isdigit() for ch in expression):
                    value = Evaluator(expression).value()  # in float64, left to right
                else:
                    continue
                sign = parts[index - 1]
                gives = rounds_to(value, result, digits)
                assert gives == (sign == "="), (sign, text)
                counts[sign] += 1
    return counts


def blocks_of(spec, digits: int = 17, numbers=None):
    stream = train(spec) if numbers is None else train(spec, numbers=numbers)
    return list(layout.blocks(stream, partial(format_number, digits=digits)))


@pytest.mark.parametrize("config", ["xor", "xor-gradient", "xor-sigmoid"])
def test_every_expression_of_the_shipped_configs(config: str) -> None:
    spec = load_config(str(CONFIGS / f"{config}.yaml"), epochs=2)
    counts = checked_cells(blocks_of(spec))
    # Forward sums, losses, deltas, gradients and updates all took part.
    assert counts["arithmetic"] > 100 and (config != "xor-sigmoid" or counts["function"] > 20)


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer.name": "momentum", "optimizer.weight_decay": 0.01},
        {"optimizer.name": "nesterov", "optimizer.batch_size": 2},
        {"optimizer.name": "adam", "optimizer.weight_decay": 0.01},
        {"optimizer.name": "adamw", "optimizer.schedule": {"kind": "exponential", "gamma": 0.9}},
    ],
)
def test_every_optimizers_arithmetic(changes: dict) -> None:
    spec = load_config(
        str(CONFIGS / "xor-sigmoid.yaml"),
        overrides=[(tuple(key.split(".")), value) for key, value in changes.items()],
        epochs=2,
    )
    assert checked_cells(blocks_of(spec))["arithmetic"] > 200


def test_batch_means_and_exact_fractions_evaluate_too() -> None:
    batched = load_config(str(CONFIGS / "xor-gradient.yaml"), overrides=["optimizer.batch_size=2"])
    assert checked_cells(blocks_of(batched))["arithmetic"] > 50
    exact = load_config(str(CONFIGS / "xor.yaml"), epochs=2)
    assert checked_cells(blocks_of(exact, numbers=EXACT), Fraction)["arithmetic"] > 100


@settings(max_examples=40, deadline=None)
@given(networks(batches=True))
def test_every_expression_of_random_networks(document: dict) -> None:
    checked_cells(blocks_of(build_spec(document)))


def test_the_formats_print_the_checked_cells() -> None:
    """The table, text and Markdown formats show the very cells checked above."""
    spec = load_config(str(CONFIGS / "xor-gradient.yaml"))
    cells = [
        cell
        for block in blocks_of(spec)
        if isinstance(block, layout.Grid) and block.title and block.title.startswith("Update")
        for row in block.rows
        for cell in row[1:]
    ]
    for name in ("table", "text", "markdown"):
        out = io.StringIO()
        FORMATS[name].render(train(spec), out, RenderOptions(precision=17, width=250))
        assert all(cell in out.getvalue() for cell in cells), name


@pytest.mark.parametrize("config", ["xor", "xor-gradient", "xor-sigmoid", "xor-adam", "mazur"])
@pytest.mark.parametrize("digits", [6, 3])
def test_rounded_numbers_say_equals_only_where_they_give_the_result(config, digits) -> None:
    # The newcomer's check: 21.218 + 19.3508 + 2.4672 printed "= 43.0359" sums to 43.036.
    spec = load_config(str(CONFIGS / f"{config}.yaml"), epochs=2)
    counts = rounded_chains(blocks_of(spec, digits), digits)
    assert counts["="] > 30
    assert config in ("mazur", "xor-adam") or counts["≈"] > 0  # the others have such lines


@settings(max_examples=25, deadline=None)
@given(networks(batches=True))
def test_rounded_numbers_of_random_networks(document: dict) -> None:
    rounded_chains(blocks_of(build_spec(document), 6), 6)


def test_full_precision_and_exact_runs_never_say_approximately() -> None:
    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"), epochs=2)
    assert rounded_chains(blocks_of(spec, 17), 17)["≈"] == 0
    exact = load_config(str(CONFIGS / "xor.yaml"), epochs=2)
    texts = [str(block) for block in blocks_of(exact, 6, numbers=EXACT)]
    # A long fraction standing alone has its rounded decimal beside it, "(≈ -728.538)"
    # (numbers.with_decimal); no line of arithmetic is approximate.
    beside = re.compile(r" \(≈ -?[0-9.e-]+\)")
    assert any(beside.search(text) for text in texts)
    assert not any("≈" in beside.sub("", text) for text in texts)


def six(value) -> str:
    return format_number(value, digits=6)


def _chain(formula, result: float):
    from backtrace.expressions.nodes import Number, equation

    return equation(Symbol("L"), formula, Number(result))


def test_a_long_sum_is_checked_term_by_term_from_its_printed_numbers() -> None:
    from backtrace.expressions.evaluation import approximations_marked
    from backtrace.expressions.nodes import Number, plus, times

    six_digits = partial(format_number, digits=6)
    terms = [((-1) ** (i // 3)) * (0.1 + i / 1000) + 1e-9 for i in range(2500)]
    # By hand: each term as printed, added left to right.
    total = 0.0
    for term in terms:
        total += float(six(term)) * 1.0
    formula = plus(*(times(Number(term), Number(1.0)) for term in terms))
    assert approximations_marked(_chain(formula, total), six_digits, 6).relations[-1] == "="
    # A result 0.004 away is not what the printed numbers give: marked.
    exact_total = total + 0.004
    marked = approximations_marked(_chain(formula, exact_total), six_digits, 6)
    assert marked.relations[-1] == "≈"


def test_ties_and_lines_with_nothing_to_compare() -> None:
    from backtrace.expressions.evaluation import approximations_marked
    from backtrace.expressions.nodes import HALF, Number, Root, minus, over, squared, times

    six_digits = partial(format_number, digits=6)
    square = times(HALF, squared(minus(Number(8.19), Number(0.0))))
    # ½·8.19² is exactly 33.53805: a reader rounding the tie up gets the printed 33.5381.
    assert approximations_marked(_chain(square, 33.5381), six_digits, 6).relations[-1] == "="
    assert approximations_marked(_chain(square, 33.5382), six_digits, 6).relations[-1] == "≈"
    for formula in (
        over(Number(1.0), Number(0.0)),  # no value
        Root(minus(Number(0.0), Number(4.0))),  # no real value
        times(Number(1e300), Number(1e300), Number(0.0)),  # inf·0: nothing to compare
        times(Symbol("W"), Number(2.0)),  # a symbol: not arithmetic
    ):
        chain = _chain(formula, 3.0)
        assert approximations_marked(chain, six_digits, 6) == chain


def test_exact_runs_are_never_parsed_and_stop_cleanly_at_their_limit() -> None:
    from helpers import invoke_in

    result = invoke_in(
        ["run", "xor", "--exact", "--epochs", "3", "--trace", "last", "--format", "text"]
    )
    assert result.status == 2
    assert result.stderr.startswith("backtrace: error: --exact: after epoch 3, step 10")
    assert "Traceback" not in result.stderr
