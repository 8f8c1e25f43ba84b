"""Untraced epochs take a leaner path; it must give the traced path's numbers to the bit."""

from __future__ import annotations

import pytest

import backtrace
from backtrace.config.discovery import bundled_names


@pytest.mark.parametrize("name", bundled_names())
def test_untraced_and_traced_training_agree_to_the_bit(name: str) -> None:
    spec = backtrace.load(name)
    epochs = min(spec.config.epochs, 3)
    quiet = backtrace.run(spec, epochs=epochs, trace="none")
    traced = backtrace.run(spec, epochs=epochs, trace="all")
    untraced_summaries = [r for r in quiet if r.event in ("epoch", "weights", "diverged")]
    traced_summaries = [
        r for r in traced if r.event in ("epoch", "weights", "diverged")
        and not (r.event == "weights" and r.when == "current")
    ]  # fmt: skip
    strip = [
        (r.event, r.as_dict() | {"traced": None}) for r in untraced_summaries
    ]  # fmt: skip
    assert strip == [(r.event, r.as_dict() | {"traced": None}) for r in traced_summaries]


def test_a_divergence_found_quietly_is_located_as_when_traced() -> None:
    quiet = backtrace.run("xor", epochs=20, trace="none").records[-1]
    traced = backtrace.run("xor", epochs=20, trace="all").records[-1]
    assert quiet.event == traced.event == "diverged" and quiet == traced


@pytest.mark.parametrize("name", ["iris", "xor-sigmoid"])
def test_untraced_deltas_skip_only_what_their_rule_does_not_take(name: str) -> None:
    """Untraced, dL/dŷ is formed only where the output delta is made from it (the chain
    rule); the deltas are the traced ones to the bit either way."""
    from backtrace.engine.trainer import Training
    from backtrace.formulas import LOSSES

    spec = backtrace.load(name)
    training = Training(spec)
    x, y = training.inputs[:4], training.targets[:4]
    forward = training.network.forward(x)
    traced = training.network.backward(forward, y)
    quiet = training.network.backward(forward, y, traced=False)
    assert traced.loss_gradient is not None
    chain = LOSSES[spec.config.loss].rule == "chain"
    assert (quiet.loss_gradient is not None) == chain
    assert [d.tobytes() for d in quiet.deltas] == [d.tobytes() for d in traced.deltas]
