"""Training behaviour: batches, frozen weights, tracing, and a network that learns XOR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backtrace.config import build_spec, load_config
from backtrace.engine import train
from helpers import CONFIGS, article_document


def events(stream, kind: str) -> list:
    return [record for record in stream if record.event == kind]


def final_weights(stream) -> dict[str, float]:
    return dict(events(stream, "weights")[-1].values)


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_xor_sigmoid_learns_xor() -> None:
    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"))
    w = final_weights(list(train(spec, lambda epoch: False)))
    # An independent forward pass, unit by unit, from the final weights.
    outputs = []
    for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        z = {j: sigmoid(w[f"W{j}0"] + w[f"W{j}1"] * x1 + w[f"W{j}2"] * x2) for j in (1, 2, 3)}
        outputs.append(sigmoid(w["V00"] + sum(w[f"V0{j}"] * z[j] for j in (1, 2, 3))))
    targets = [0, 1, 1, 0]
    assert np.mean((np.array(outputs) - targets) ** 2) < 0.01
    assert [output > 0.5 for output in outputs] == [bool(t) for t in targets]


def test_untraced_epochs_yield_only_summaries() -> None:
    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"), epochs=5)
    stream = list(train(spec, {2, 5}.__contains__))
    assert sorted({r.epoch for r in stream if r.event == "forward"}) == [2, 5]
    assert [r.epoch for r in events(stream, "epoch")] == [1, 2, 3, 4, 5]
    assert [r.traced for r in events(stream, "epoch")] == [False, True, False, False, True]


def test_tracing_does_not_change_the_numbers() -> None:
    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"), epochs=20)
    traced = list(train(spec))
    untraced = list(train(spec, lambda epoch: False))
    assert final_weights(traced) == final_weights(untraced)
    assert [r.loss for r in events(traced, "epoch")] == [r.loss for r in events(untraced, "epoch")]


def test_full_batch_update_uses_the_mean_gradient() -> None:
    document = article_document() | {
        "loss": "squared_error",
        "optimizer": {"learning_rate": 0.1, "batch_size": "all"},
    }
    stream = list(train(build_spec(document)))
    # All four samples use the initial weights (all 1). Z_j = 1 + x1 + x2, ŷ = 1 + 3·Z_j.
    # δ_D0 = ŷ - y per sample: (4-0, 7-1, 7-1, 10-0) = (4, 6, 6, 10); J'(V00) = mean δ = 6.5.
    updates = {r.weight: r for r in events(stream, "update")}
    assert updates["V00"].grad == pytest.approx(6.5)
    assert updates["V00"].new == pytest.approx(1 - 0.1 * 6.5)
    assert updates["V00"].samples == (1, 2, 3, 4)
    # J'(W11) = mean(X1·δ_Z1) with δ_Z1 = V01·δ_D0 = δ_D0: (0·4 + 0·6 + 1·6 + 1·10)/4 = 4.
    assert updates["W11"].grad == pytest.approx(4.0)
    assert {r.step for r in events(stream, "update")} == {1}
    assert {r.step for r in events(stream, "gradient")} == {1}


def test_batches_of_two_make_two_steps_per_epoch() -> None:
    document = article_document() | {
        "optimizer": {"learning_rate": 0.1, "batch_size": 2},
        "epochs": 2,
    }
    stream = list(train(build_spec(document)))
    assert sorted({(r.epoch, r.step, r.samples) for r in events(stream, "update")}) == [
        (1, 1, (1, 2)), (1, 2, (3, 4)), (2, 3, (1, 2)), (2, 4, (3, 4)),
    ]  # fmt: skip


def test_frozen_weights_keep_their_value_but_report_a_gradient() -> None:
    document = article_document() | {"frozen": ["bias", "V01"]}
    stream = list(train(build_spec(document)))
    first = [r for r in events(stream, "update") if r.step == 1]
    frozen = {r.weight for r in first if r.frozen}
    assert frozen == {"W10", "W20", "W30", "V00", "V01"}
    for record in first:
        if record.frozen:
            assert record.new == record.old == 1 and record.grad != 0
    assert all(final_weights(stream)[name] == 1 for name in frozen)


def test_no_bias_units() -> None:
    document = article_document() | {"bias": False}
    spec = build_spec(document)
    assert spec.names.all_units == ("X1", "X2", "Z1", "Z2", "Z3", "D0")
    stream = list(train(spec))
    first = [r for r in events(stream, "forward") if r.sample == 1]
    # With X = (0, 0) and no bias, every weighted sum is 0.
    assert [(r.unit, r.h) for r in first] == [("Z1", 0), ("Z2", 0), ("Z3", 0), ("D0", 0)]


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    document = article_document() | {
        "layers": [
            {"units": 2, "activation": "tanh", "weights": {"init": "he"}},
            {"units": 1, "activation": "identity"},
        ]
    }
    first = final_weights(list(train(build_spec(document | {"seed": 4}))))
    again = final_weights(list(train(build_spec(document | {"seed": 4}))))
    other = final_weights(list(train(build_spec(document | {"seed": 5}))))
    assert first == again and first != other


def test_random_schemes_have_the_documented_spread() -> None:
    from backtrace.engine.network import initial_weights

    layers = [{"units": 400, "activation": "tanh", "weights": {"init": "xavier_uniform"}},
              {"units": 300, "activation": "identity", "weights": {"init": "he_normal", "bias": 0}}]  # fmt: skip
    document = article_document() | {
        "inputs": 200,
        "layers": layers,
        "data": [[0.0] * 200 + [0.0] * 300],
    }
    xavier, he = initial_weights(build_spec(document))
    limit = math.sqrt(6 / (200 + 400))
    assert np.abs(xavier).max() <= limit and np.abs(xavier).max() > 0.95 * limit
    assert np.std(he[:, 1:]) == pytest.approx(math.sqrt(2 / 400), rel=0.05)
    assert (he[:, 0] == 0).all()


def test_traced_forward_terms_are_the_weights_in_use() -> None:
    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"), epochs=1)
    stream = list(train(spec))
    initial = dict(events(stream, "weights")[0].values)
    z1 = next(r for r in events(stream, "forward") if r.sample == 1 and r.unit == "Z1")
    assert [(t.weight, t.w) for t in z1.terms] == [
        (name, initial[name]) for name in ("W10", "W11", "W12")
    ]
    assert z1.z == pytest.approx(sigmoid(sum(t.w * t.value for t in z1.terms)))


def test_records_are_plain_json_ready_data() -> None:
    import json

    for record in train(load_config(str(CONFIGS / "xor.yaml"))):
        json.dumps(record.as_dict(), allow_nan=False)


def test_linear_note_without_bias_fits_through_the_origin() -> None:
    # y = 1 for x = 0 and x = 1: an affine map fits exactly (no note), a linear one cannot.
    document = article_document() | {"inputs": 1, "data": [[0, 1], [1, 1]]}
    with_bias = [
        r for r in train(build_spec(document)) if r.event == "note" and r.topic == "linear"
    ]
    without = [
        r
        for r in train(build_spec(document | {"bias": False}))
        if r.event == "note" and r.topic == "linear"
    ]
    assert with_bias == []
    # Best y = w·x: w = 1, error (1 - 0)² / 2 = 0.5.
    assert len(without) == 1 and "linear function" in without[0].text and "0.5," in without[0].text


def test_shuffling_draws_a_new_order_each_epoch_from_the_seed() -> None:
    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"), overrides=["optimizer.shuffle=true"])
    spec = spec.with_epochs(5)
    stream = list(train(spec, lambda epoch: epoch == 2))
    orders = [r.order for r in stream if r.event == "shuffle"]
    assert len(orders) == 5 and all(sorted(order) == [1, 2, 3, 4] for order in orders)
    assert len(set(orders)) > 1  # not the same order every epoch
    traced = [r.sample for r in stream if r.event == "sample"]
    assert tuple(traced) == orders[1]  # epoch 2 is traced in its shuffled order
    again = [r.order for r in train(spec, lambda epoch: False) if r.event == "shuffle"]
    assert again == orders  # the seed decides
    plain = load_config(str(CONFIGS / "xor-sigmoid.yaml"))
    initial = [r for r in train(plain.with_epochs(1), lambda e: False) if r.event == "weights"]
    assert initial[0] == stream[next(i for i, r in enumerate(stream) if r.event == "weights")]


def test_shuffled_batches_average_the_samples_they_hold() -> None:
    spec = load_config(
        str(CONFIGS / "xor-gradient.yaml"),
        overrides=["optimizer.shuffle=true", "optimizer.batch_size=2"],
    )
    stream = list(train(spec))
    order = next(r.order for r in stream if r.event == "shuffle")
    first = next(r for r in stream if r.event == "update" and r.weight == "V00")
    assert first.samples == order[:2]
    gradients = [r.grad for r in stream if r.event == "gradient" and r.weight == "V00"][:2]
    assert first.grad == (gradients[0] + gradients[1]) / 2


def test_classification_losses_count_right_answers() -> None:
    document = {
        "inputs": 1,
        "layers": [{"units": 2, "activation": "softmax", "weights": [[0, 1], [0, -1]]}],
        "loss": "softmax_cross_entropy",
        "optimizer": {"learning_rate": 0.01},
        "data": [[2, 1, 0], [-1, 0, 1], [3, 0, 1]],
    }
    # h = (x, -x): x > 0 predicts class 1 (D0), x < 0 class 2 (D1). Samples 1 and 2 right, 3 wrong.
    summary = next(r for r in train(build_spec(document)) if r.event == "epoch")
    assert (summary.correct, summary.accuracy) == (2, 2 / 3)
    regression = next(
        r for r in train(load_config(str(CONFIGS / "xor.yaml"))) if r.event == "epoch"
    )
    assert regression.accuracy is None
