"""Gradient check: backpropagation's gradients beside central finite differences.

Training runs, exactly as `train` runs it, up to the step asked for. There, for each weight,
the backward pass's gradient J'(W) (the mean over the step's batch) is set beside a numerical
derivative of the same loss on the same batch at the same weights:

    (L(W + ε) - L(W - ε)) / 2ε,   ε = 10⁻⁶·max(1, |W|)

The relative error |J' - n| / max(|J'|, |n|, 10⁻⁸) decides the verdict against a tolerance.
"""

from __future__ import annotations

from collections.abc import Iterator

from backtrace import records
from backtrace.config import Spec
from backtrace.engine.tracer import Step, Tracer
from backtrace.engine.trainer import Training
from backtrace.errors import UsageError
from backtrace.formulas import LOSSES
from backtrace.formulas.numeric import FLOAT64, Array

DEFAULT_TOLERANCE = 1e-6  # float64 central differences of smooth losses agree far better
RELATIVE_STEP = 1e-6  # ε relative to the weight; near the cube root of float64's epsilon
ERROR_FLOOR = 1e-8  # gradients smaller than this are compared absolutely


def resolve_step(steps_per_epoch: int, epoch: int | None, step: int | None) -> tuple[int, int]:
    """(epoch, step) from either or both: steps count from 1 over the whole run, as in a trace."""
    if step is None:
        epoch = epoch or 1
        return epoch, (epoch - 1) * steps_per_epoch + 1
    in_epoch = (step - 1) // steps_per_epoch + 1
    if epoch is not None and epoch != in_epoch:
        first = (epoch - 1) * steps_per_epoch + 1
        raise UsageError(
            f"--step {step} is in epoch {in_epoch}; epoch {epoch} has steps "
            f"{first} to {first + steps_per_epoch - 1}"
        )
    return in_epoch, step


def gradient_check(
    spec: Spec,
    *,
    epoch: int | None = None,
    step: int | None = None,
    weights: frozenset[str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Iterator[records.Record]:
    """The check's records: start, a note where the loss explains the result, the weights'
    check records and a summary; or a divergence record if training blew up first."""
    training = Training(spec, FLOAT64)
    target_epoch, target_step = resolve_step(training.steps_per_epoch, epoch, step)
    tracer = Tracer(spec, FLOAT64, training.batch_size)
    yield tracer.start(training.optimizer)
    loss = LOSSES[spec.config.loss]
    if loss.checked_against:
        yield records.Note("check", loss.check_note or "")

    step_number = 0
    for current_epoch in range(1, target_epoch + 1):
        _, epoch_batches = training.epoch_batches()
        for indices in epoch_batches:
            step_number += 1
            computed = training.compute(current_epoch, step_number, indices)
            if isinstance(computed, records.Diverged):
                yield computed
                return
            if step_number == target_step:
                yield from _compare(spec, training, computed, weights, tolerance)
                return
            new_weights = training.update(computed)
            if isinstance(new_weights, records.Diverged):
                yield new_weights
                return
            training.network.weights = new_weights


def _compare(
    spec: Spec,
    training: Training,
    step: Step,
    chosen: frozenset[str] | None,
    tolerance: float,
) -> Iterator[records.Record]:
    network = training.network
    differentiated = LOSSES[spec.config.loss].checked_against or spec.config.loss
    x, y = training.inputs[step.indices], training.targets[step.indices]

    def mean_loss(weights: list[Array]) -> float:
        kept, network.weights = network.weights, weights
        try:
            with FLOAT64.quiet():
                forward = network.forward(x)
                losses = LOSSES[differentiated].value(forward.h[-1], forward.z[-1], y, FLOAT64)
            return FLOAT64.total(losses) / len(losses)
        finally:
            network.weights = kept

    # Each weight once, with every place it sits (a shared bias sits on every row of its
    # layer's bias column, and moves as one).
    places: dict[str, list[tuple[int, int, int]]] = {}
    for layer, names in enumerate(training.layers[1:]):
        for row, row_names in enumerate(names.weights):
            for column, name in enumerate(row_names):
                places.setdefault(name, []).append((layer, row, column))
    checks = []
    for name, where in places.items():
        if chosen is not None and name not in chosen:
            continue
        layer, row, column = where[0]
        value = float(network.weights[layer][row, column])
        epsilon = RELATIVE_STEP * max(1.0, abs(value))
        up, down = [m.copy() for m in network.weights], [m.copy() for m in network.weights]
        for place_layer, place_row, place_column in where:
            up[place_layer][place_row, place_column] = value + epsilon
            down[place_layer][place_row, place_column] = value - epsilon
        span = (value + epsilon) - (value - epsilon)  # the step as float64 really took it
        numeric = (mean_loss(up) - mean_loss(down)) / span
        backprop = float(step.gradients.mean[layer][row, column])
        error = abs(backprop - numeric) / max(abs(backprop), abs(numeric), ERROR_FLOOR)
        checks.append(
            records.Check(
                step.epoch,
                step.step,
                name,
                value,
                backprop,
                numeric,
                backprop / numeric if numeric != 0 else None,
                error,
                error <= tolerance,
            )
        )
    yield from checks
    worst = max(checks, key=lambda check: check.error, default=None)
    yield records.CheckSummary(
        step.epoch,
        step.step,
        step.samples,
        differentiated,
        tolerance,
        len(checks),
        sum(not check.passed for check in checks),
        worst.error if worst else 0.0,
        worst.weight if worst else "",
    )
