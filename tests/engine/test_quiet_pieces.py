"""A long untraced epoch looks at the compiled kernels between pieces of steps, so that a
run of one huge epoch takes them over once they have loaded, not only at its next epoch."""

from __future__ import annotations

import numpy as np

from backtrace import api
from backtrace.engine import trainer
from backtrace.formulas import compiled, numeric
from backtrace.formulas.optimizers import adam_rule

XOR_ROWS = [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]]


def one_long_epoch(rows: int) -> dict:
    return {
        "inputs": {"units": 2},
        "layers": [
            {"units": 3, "activation": "sigmoid", "weights": 0.5},
            {"units": 1, "activation": "sigmoid", "weights": -0.25},
        ],
        "loss": "mean_squared_error",
        "optimizer": {"learning_rate": 0.5, "batch_size": 1},
        "epochs": 1,
        "data": {"rows": XOR_ROWS * (rows // 4)},
    }


def counting_kernels(calls: list[str]) -> numeric.Kernels:
    """Kernels that are numpy's own float64 arithmetic (a Float64 no kernel is lent to),
    noting each call of the forward pass's sums."""
    plain = numeric.Float64()

    def weighted_sums(layer_input, matrix):
        calls.append("weighted_sums")
        return plain.weighted_sums(layer_input, matrix)

    return numeric.Kernels(
        exp=plain.exp,
        log=plain.log,
        tanh=plain.tanh,
        sigmoid=plain.sigmoid,
        weighted_sums=weighted_sums,
        backpropagated=plain.backpropagated,
        mean_gradients=plain.mean_gradients,
        row_sums=plain.row_sums,
        adam=adam_rule,
        softmax_parts=lambda h: None,  # numpy's way
    )


def test_the_kernels_take_over_after_the_first_piece_of_a_long_epoch(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.delenv("BACKTRACE_COMPILED", raising=False)
    monkeypatch.setattr(compiled, "WAIT", 0.0)  # due at once
    monkeypatch.setattr(compiled, "load_in_background", lambda: None)
    monkeypatch.setattr(compiled, "still_loading", lambda: False)  # and loaded already
    monkeypatch.setattr(compiled, "kernels_if_they_load", lambda: counting_kernels(calls))
    monkeypatch.setattr(trainer.Training, "_worth_compiling", lambda self, steps: True)
    steps = 2_000
    spec = api.load(one_long_epoch(steps))
    training = trainer.Training(spec)
    training.compile_for(steps)
    assert training.kernels is None  # loading: numpy trains on meanwhile
    _, batches = training.epoch_batches()
    assert len(batches) == steps
    with_kernels = training.quiet_epoch(1, 0, batches)
    # numpy alone for the first piece, then the kernels for the rest, two layers a step
    assert len(calls) == 2 * (steps - trainer.QUIET_PIECE)
    monkeypatch.setenv("BACKTRACE_COMPILED", "0")
    alone = trainer.Training(spec)
    alone.compile_for(steps)
    numpy_alone = alone.quiet_epoch(1, 0, alone.epoch_batches()[1])
    assert (with_kernels.loss, with_kernels.correct) == (numpy_alone.loss, numpy_alone.correct)
    for ours, theirs in zip(training.network.weights, alone.network.weights, strict=True):
        assert np.array_equal(ours, theirs)


def test_an_epoch_in_pieces_adds_up_as_one(monkeypatch) -> None:
    """The loss of an epoch is the same sum, piece or no piece: one step's loss after another."""
    monkeypatch.setenv("BACKTRACE_COMPILED", "0")
    spec = api.load(one_long_epoch(600))
    training = trainer.Training(spec)
    totals = training.quiet_epoch(1, 0, training.epoch_batches()[1])
    again = trainer.Training(spec)
    by_hand = 0.0
    for indices in again.epoch_batches()[1]:
        x, y = again._batch_data(indices)
        forward = again.network.forward(x)
        by_hand = by_hand + float(numeric.FLOAT64.total(again.network.losses(forward, y)))
        _, gradients = again.backward(forward, y, per_sample=False)
        again.network.weights = again.stepped(again.optimizer, gradients.mean)
    assert totals.loss == by_hand


def test_a_step_that_diverges_in_a_later_piece_is_named_as_traced(monkeypatch) -> None:
    monkeypatch.setenv("BACKTRACE_COMPILED", "0")
    config = one_long_epoch(600)
    config["layers"][0]["weights"] = 1.0
    config["data"]["rows"][299] = [1e308, 1e308, 0]  # h = 1 + 1e308 + 1e308 = inf at step 300
    quiet = [r for r in api.run(config, trace="none") if r.event == "diverged"]
    traced = [r for r in api.run(config, trace="all") if r.event == "diverged"]
    assert len(quiet) == 1 and quiet == traced
    assert quiet[0].step == 300 > trainer.QUIET_PIECE  # found in the second piece
