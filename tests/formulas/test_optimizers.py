"""Every optimizer, traced step by step, against the plain-Python oracle (tests/oracle.py)."""

from __future__ import annotations

import math

import pytest

import backtrace
from backtrace.formulas.optimizers import OPTIMIZERS
from oracle import train_batches

XOR = [((0.0, 0.0), (0.0,)), ((0.0, 1.0), (1.0,)), ((1.0, 0.0), (1.0,)), ((1.0, 1.0), (0.0,))]
NAMES = [[[f"W{j}{k}" for k in range(3)] for j in (1, 2, 3)], [[f"V0{k}" for k in range(4)]]]
FROZEN = ("W11", "V02")
STATE = ("velocity", "m", "v", "m_hat", "v_hat")


def position(name: str) -> tuple[int, int, int]:
    for layer, matrix in enumerate(NAMES):
        for j, row in enumerate(matrix):
            if name in row:
                return layer, j, row.index(name)
    raise KeyError(name)


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch", [1, 2, "all"])
@pytest.mark.parametrize("decay", [0.0, 0.01])
def test_each_step_and_state_variable_agrees_with_the_oracle(kind, batch, decay) -> None:
    settings = {name: default for name, default in OPTIMIZERS[kind].parameters.items()}
    settings["weight_decay"] = decay
    changes = {
        "optimizer.name": kind,
        "optimizer.batch_size": batch,
        "optimizer.learning_rate": 0.5,
        "frozen": list(FROZEN),
        **{f"optimizer.{name}": value for name, value in settings.items()},
    }
    spec = backtrace.load("xor-sigmoid", changes, epochs=3)
    trace = backtrace.run(spec, trace="all")
    updates: dict[int, dict] = {}
    for record in trace:
        if record.event == "update":
            updates.setdefault(record.step, {})[record.weight] = record
    initial = dict(trace.records[next(i for i, r in enumerate(trace.records)
                                      if r.event == "weights")].values)  # fmt: skip
    start = [[[initial[name] for name in row] for row in matrix] for matrix in NAMES]
    compared = 0

    def on_step(step, weights, states):
        nonlocal compared
        for name, record in updates[step].items():
            layer, j, k = position(name)
            assert math.isclose(record.new, weights[layer][j][k], rel_tol=1e-11, abs_tol=1e-14), (
                step,
                name,
            )
            state = dict(record.state)
            expected = states.get((layer, j, k), {})
            for key in STATE:
                if key in state:
                    want = expected.get(key, 0.0)  # frozen weights keep their state at 0
                    assert math.isclose(state[key], want, rel_tol=1e-11, abs_tol=1e-14), (
                        step,
                        name,
                        key,
                    )
                    compared += 1
            if record.frozen:
                assert record.new == record.old and name in FROZEN

    train_batches(
        start, ["sigmoid", "sigmoid"], "mean_squared_error", 0.5, XOR, 3,
        len(XOR) if batch == "all" else batch, kind, settings,
        frozen={position(name) for name in FROZEN}, on_step=on_step,
    )  # fmt: skip
    assert len(updates) == 3 * math.ceil(4 / (4 if batch == "all" else batch))
    assert compared > 0 or kind == "gradient_descent"


def test_schedules_multiply_the_rate_as_documented() -> None:
    stepped = backtrace.load(
        "xor-gradient",
        {"optimizer.schedule": {"kind": "step", "every": 3, "gamma": 0.5}},
        epochs=2,
    )
    rates = {r.step: r.learning_rate for r in backtrace.run(stepped, trace="all")
             if r.event == "update"}  # fmt: skip
    assert [rates[step] for step in range(1, 9)] == [0.1] * 3 + [0.05] * 3 + [0.025] * 2
    exponential = backtrace.load(
        "xor-gradient", {"optimizer.schedule": {"kind": "exponential", "gamma": 0.9}}
    )
    rates = [r.learning_rate for r in backtrace.run(exponential) if r.event == "update"]
    assert sorted(set(rates), reverse=True) == pytest.approx([0.1, 0.09, 0.081, 0.0729])


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"optimizer.beta1": 0.8}, "beta1 has no effect on gradient_descent"),
        ({"optimizer.name": "adam", "optimizer.momentum": 0.9}, "momentum has no effect on adam"),
        ({"optimizer.name": "rmsprop"}, "'rmsprop' is not one of"),
        ({"optimizer.schedule": {"kind": "step", "gamma": 0.5}}, "needs every"),
        ({"optimizer.schedule": {"kind": "constant", "gamma": 0.5}}, "gamma has no effect"),
    ],
)
def test_settings_are_checked_against_the_optimizer(changes: dict, words: str) -> None:
    with pytest.raises(backtrace.ConfigError, match=words):
        backtrace.load("xor-gradient", changes)


def test_adam_is_refused_in_exact_arithmetic() -> None:
    with pytest.raises(backtrace.UsageError, match="optimizer adam takes square roots"):
        backtrace.run(backtrace.load("xor", {"optimizer.name": "adam"}), exact=True)


def test_csv_gives_each_state_variable_a_column() -> None:
    import csv
    import io

    table = backtrace.run("xor-adam", phase="update").render("csv")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert list(rows[0])[-9:] == [
        "m_before", "m", "v_before", "v", "m_hat", "v_hat", "t", "beta1_t", "beta2_t",
    ]  # fmt: skip
    assert (rows[0]["weight"], rows[0]["t"], rows[0]["m_hat"]) == ("W10", "1", "6.500000000000001")


def test_adams_step_count_and_powers_head_each_update_table() -> None:
    # The issue asks for every state variable in the table, t included: by hand,
    # 0.9² = 0.81 and 0.999² = 0.998001 at the second step.
    import backtrace

    text = backtrace.run(backtrace.load("xor-adam"), epochs=2, trace="all").render("text")
    assert "t = 1: β1^t = 0.9^1 = 0.9, β2^t = 0.999^1 = 0.999" in text
    assert "t = 2: β1^t = 0.9^2 = 0.81, β2^t = 0.999^2 = 0.998001" in text
