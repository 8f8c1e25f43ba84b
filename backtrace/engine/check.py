"""Gradient check: backpropagation's gradients beside central finite differences.

Training runs, exactly as `train` runs it, up to the step asked for. There, for each weight,
the backward pass's gradient J'(W) (the mean over the step's batch) is set beside a numerical
derivative of the same loss on the same batch at the same weights:

    (L(W + ε) - L(W - ε)) / 2ε,   ε = 10⁻⁶·max(1, |W|)

The verdict is a mixed test, as numpy.testing.assert_allclose and torch's gradcheck make it:

    |J' - n| ≤ atol + rtol·|n|

and where that fails but the disagreement is within what the central difference itself can
resolve (its truncation error, estimated from a second step 2ε, plus its rounding error
u·|L|/ε), the verdict is "noise-limited", which passes: the difference cannot tell such a
gradient from the true one. The relative error is still reported, for the reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from backtrace import records
from backtrace.config import Spec
from backtrace.engine.tracer import Step, Tracer
from backtrace.engine.trainer import Training
from backtrace.errors import UsageError
from backtrace.formulas import LOSSES
from backtrace.formulas.numeric import FLOAT64, Array

DEFAULT_TOLERANCE = 1e-6  # rtol: a central difference of a smooth loss agrees to ~9 digits
# atol: float64 rounding costs a central difference about u·|L|/ε ≈ 2·10⁻¹⁰ for a loss of
# order 1 at ε = 10⁻⁶ (u = 2.2·10⁻¹⁶); 10⁻⁸ sits fifty times above that, and far below any
# gradient a wrong delta produces. Larger losses are covered by the noise-limited verdict.
DEFAULT_ATOL = 1e-8
UNIT_ROUNDOFF = 2.0**-52  # float64's machine epsilon
NOISE_MARGIN = 4.0  # how far beyond the estimated error of n a disagreement is still noise
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
    atol: float = DEFAULT_ATOL,
    pulse: Callable[[], None] | None = None,
) -> Iterator[records.Record]:
    """The check's records: start, a note where the loss explains the result, the weights'
    check records and a summary; or a divergence record if training blew up first. `pulse`,
    if given, is called before each epoch trained on the way (untraced, as `train` runs
    them), each step of the checked epoch and each weight's comparison, which yield nothing
    for a long time; it may raise to stop the check (the CLI's, when no one reads
    its output any more)."""
    pulse = pulse or _no_pulse
    training = Training(spec, FLOAT64)
    target_epoch, target_step = resolve_step(training.steps_per_epoch, epoch, step)
    tracer = Tracer(spec, FLOAT64, training.batch_size)
    yield tracer.start(training.optimizer)
    loss = LOSSES[spec.config.loss]
    if loss.checked_against:
        yield records.Note("check", loss.check_note or "")

    training.compile_for((target_epoch - 1) * training.steps_per_epoch)
    step_number = 0
    for current_epoch in range(1, target_epoch + 1):
        _, epoch_batches = training.epoch_batches()
        if current_epoch < target_epoch:  # an epoch before the checked one, untraced
            pulse()
            totals = training.quiet_epoch(current_epoch, step_number, epoch_batches)
            if isinstance(totals, records.Diverged):
                yield totals
                return
            step_number += len(epoch_batches)
            continue
        for indices in epoch_batches:
            pulse()
            step_number += 1
            computed = training.compute(current_epoch, step_number, indices)
            if isinstance(computed, records.Diverged):
                yield computed
                return
            if step_number == target_step:
                yield from _compare(spec, training, computed, weights, tolerance, atol, pulse)
                return
            new_weights = training.update(computed)
            if isinstance(new_weights, records.Diverged):
                yield new_weights
                return
            training.network.weights = new_weights


def _no_pulse() -> None:
    pass


def _compare(
    spec: Spec,
    training: Training,
    step: Step,
    chosen: frozenset[str] | None,
    tolerance: float,
    atol: float,
    pulse: Callable[[], None],
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
        pulse()
        layer, row, column = where[0]
        value = float(network.weights[layer][row, column])
        epsilon = RELATIVE_STEP * max(1.0, abs(value))

        def shifted(by: float) -> float:
            """The mean loss with this weight (every place it sits) moved by `by`."""
            moved = [m.copy() for m in network.weights]
            for place_layer, place_row, place_column in where:
                moved[place_layer][place_row, place_column] = value + by
            return mean_loss(moved)

        def central(step: float) -> tuple[float, float]:
            """The central difference at `step`, and the larger of its two losses."""
            up, down = shifted(step), shifted(-step)
            span = (value + step) - (value - step)  # the step as float64 really took it
            return (up - down) / span, max(abs(up), abs(down))

        numeric, scale = central(epsilon)
        # n(ε) = J' + cε² + …, n(2ε) = J' + 4cε² + …: their difference is three truncations.
        truncation = abs(central(2 * epsilon)[0] - numeric) / 3
        rounding = UNIT_ROUNDOFF * scale / epsilon
        backprop = float(step.gradients.mean[layer][row, column])
        difference = abs(backprop - numeric)
        error = difference / max(abs(backprop), abs(numeric), ERROR_FLOOR)
        if difference <= atol + tolerance * abs(numeric):
            verdict = "ok"
        elif difference <= NOISE_MARGIN * (truncation + rounding):
            verdict = "noise-limited"
        else:
            verdict = "fails"
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
                verdict != "fails",
                verdict,
                truncation,
                rounding,
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
        atol,
        len(checks),
        sum(not check.passed for check in checks),
        sum(check.verdict == "noise-limited" for check in checks),
        worst.error if worst else 0.0,
        worst.weight if worst else "",
    )
