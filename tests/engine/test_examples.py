"""The shipped examples do what their comments say, checked by hand where a hand can."""

from __future__ import annotations

import numpy as np
import pytest

import backtrace


def test_momentum_keeps_a_velocity_per_weight() -> None:
    first = next(r for r in backtrace.run("xor-momentum") if r.event == "update")
    state = dict(first.state)
    # Sample 1: ŷ = 4, y = 0, so δ_D0 = 4 and J'(W10) = X0·δ_Z1 = 1·4 = 4.
    # v := 0.9·0 + 4 = 4; W10 := 1 - 0.02·4 = 0.92.
    assert (first.weight, state["velocity_before"], state["velocity"]) == ("W10", 0, 4)
    assert first.new == pytest.approx(0.92, abs=1e-15)


def test_adam_shows_its_moments() -> None:
    v00 = next(r for r in backtrace.run("xor-adam") if r.event == "update" and r.weight == "V00")
    state = dict(v00.state)
    # With every weight 1 the four samples give δ_D0 = 4, 6, 6, 10 (ŷ = 4, 7, 7, 10), so
    # J'(V00) = (4 + 6 + 6 + 10)/4 = 6.5, and on Adam's first step:
    # m = 0.1·6.5, v = 0.001·6.5², m̂ = 6.5, v̂ = 42.25, V00 = 1 - 0.1·6.5/(6.5 + 1e-8).
    assert v00.grad == 6.5 and state["t"] == 1
    assert state["m"] == pytest.approx(0.65) and state["v"] == pytest.approx(0.04225)
    assert state["m_hat"] == pytest.approx(6.5) and state["v_hat"] == pytest.approx(42.25)
    assert v00.new == pytest.approx(1 - 0.1 * 6.5 / (6.5 + 1e-8), rel=1e-14)


def test_the_deep_network_learns_xor() -> None:
    trace = backtrace.run("xor-deep", trace="none")
    accuracies = [r.accuracy for r in trace.records if r.event == "epoch"]  # kept: used again
    assert accuracies[24:] == [1.0] * (200 - 24) and accuracies[23] < 1  # from epoch 25 on
    # The final weights, run by hand: every output on the target's side of ½.
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    z = x
    for index, matrix in enumerate(trace.final_weights):
        h = np.hstack([np.ones((4, 1)), z]) @ matrix.T
        z = np.tanh(h) if index < 2 else 1 / (1 + np.exp(-h))
    assert ((z[:, 0] > 0.5) == np.array([False, True, True, False])).all()
    assert trace.losses[-1] < 0.003
