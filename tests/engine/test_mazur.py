"""Mazur's worked example (configs/mazur.yaml): his printed numbers, checked by the trace's
own reference section and, for the training he reports, here."""

from __future__ import annotations

import math

import pytest

import backtrace


def test_every_printed_value_agrees() -> None:
    trace = backtrace.run("mazur")
    references = [r for r in trace if r.event == "reference"]
    assert len(references) == 18 and all(r.agrees for r in references)  # epoch 1


def test_his_names_are_used_everywhere() -> None:
    spec = backtrace.load("mazur")
    assert spec.names.all_units == ("i1", "i2", "h1", "h2", "o1", "o2")
    assert spec.names.all_weights == (
        "w1", "w2", "b1", "w3", "w4", "w5", "w6", "b2", "w7", "w8",
    )  # fmt: skip
    chosen = backtrace.run(spec, weight="w*", phase="update")
    assert {r.weight for r in chosen if r.event == "update"} == {f"w{n}" for n in range(1, 9)}
    frozen = {r.weight: r for r in backtrace.run(spec) if r.event == "update"}
    assert frozen["b1"].frozen and frozen["b1"].new == 0.35


def test_the_shared_bias_takes_the_sum_of_its_layers_deltas() -> None:
    # Mazur's δ_h1 and δ_h2 (his ∂E/∂net_h1, ∂E/∂net_h2): b1's gradient is their sum.
    records = list(backtrace.run("mazur"))
    deltas = {r.unit: r.delta for r in records if r.event == "delta"}
    b1 = next(r for r in records if r.event == "gradient" and r.weight == "b1")
    assert b1.grad == deltas["h1"] + deltas["h2"]
    assert [term.unit for term in b1.terms] == ["h1", "h2"]


def mazur_by_hand(rounds: int, through_updated_weights: bool) -> tuple[float, list[float]]:
    """His network trained in plain Python, the biases fixed; the hidden deltas taken through
    the output weights before this round's update (his stated rule) or after it."""
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    i, t, rate = [0.05, 0.10], [0.01, 0.99], 0.5
    w1, w2, b1, b2 = [[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]], 0.35, 0.60

    def forward(w1, w2):
        h = [sigmoid(w1[j][0] * i[0] + w1[j][1] * i[1] + b1) for j in range(2)]
        return h, [sigmoid(w2[k][0] * h[0] + w2[k][1] * h[1] + b2) for k in range(2)]

    for _ in range(rounds):
        h, o = forward(w1, w2)
        d_out = [(o[k] - t[k]) * o[k] * (1 - o[k]) for k in range(2)]
        new_w2 = [[w2[k][j] - rate * d_out[k] * h[j] for j in range(2)] for k in range(2)]
        through = new_w2 if through_updated_weights else w2
        d_hidden = [
            sum(d_out[k] * through[k][j] for k in range(2)) * h[j] * (1 - h[j]) for j in range(2)
        ]
        w1 = [[w1[j][m] - rate * d_hidden[j] * i[m] for m in range(2)] for j in range(2)]
        w2 = new_w2
    _, o = forward(w1, w2)
    return sum(0.5 * (tt - oo) ** 2 for tt, oo in zip(t, o)), o


def test_the_training_he_reports_follows_updated_weights_not_his_rule() -> None:
    # His figures: 0.291027924 after one round; after 10,000, outputs 0.015912196 and
    # 0.984065734. The by-hand run that breaks his rule reproduces them ...
    assert mazur_by_hand(1, True)[0] == pytest.approx(0.291027924, abs=5e-10)
    error, outputs = mazur_by_hand(10_000, True)
    assert outputs == pytest.approx([0.015912196, 0.984065734], abs=5e-10)
    # ... but not his error after 10,000 rounds, 0.0000351085: his own outputs give 0.0000350848.
    from_his_outputs = 0.5 * (0.01 - 0.015912196) ** 2 + 0.5 * (0.99 - 0.984065734) ** 2
    assert from_his_outputs == pytest.approx(0.0000350848, abs=5e-11)
    assert error == pytest.approx(from_his_outputs, abs=5e-11)
    # ... and the trace, which keeps the rule, agrees with the by-hand run that keeps it.
    trace = backtrace.run("mazur", epochs=10001, trace="10001")
    kept_error, kept_outputs = mazur_by_hand(10_000, False)
    assert trace.losses[1] == pytest.approx(mazur_by_hand(1, False)[0], rel=1e-12)
    assert trace.losses[10000] == pytest.approx(kept_error, rel=1e-9)
    traced = [r.z for r in trace if r.event == "forward" and r.layer == 2]
    assert traced == pytest.approx(kept_outputs, rel=1e-9)
    assert abs(trace.losses[1] - 0.291027924) > 1e-7  # his printed value is not the rule's


def test_the_second_epoch_marks_the_slip() -> None:
    references = [r for r in backtrace.run("mazur", trace="all") if r.event == "reference"]
    slips = [r for r in references if not r.agrees]
    assert [(r.epoch, r.quantity) for r in slips] == [(2, "loss")] and slips[0].note
