"""Training as a stream of trace records.

`train` runs the epochs and yields records; it never prints. Each step is: forward pass,
loss, backward pass, gradients (all from the weights the forward pass used), then the
optimizer's update as a separate step. Untraced epochs do only that arithmetic and yield one
summary record each; traced epochs also hand the arrays to the tracer. Order within a traced
step: for each sample of the batch, its sample, forward, loss, delta and gradient records;
then the step's update records.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from backtrace import limits, records
from backtrace.config import Spec
from backtrace.engine import divergence
from backtrace.engine.network import Backward, ForwardPass, Gradients, Network, generator
from backtrace.engine.notes import notes
from backtrace.engine.tracer import Step, Tracer
from backtrace.errors import UsageError
from backtrace.formulas import ACTIVATIONS, LOSSES, compiled
from backtrace.formulas.numeric import EXACT, FLOAT64, Array, Float64, Numbers
from backtrace.formulas.optimizers import OPTIMIZERS, Optimizer, Schedule
from backtrace.numbers import ALL_DIGITS, format_number

EpochFilter = Callable[[int], bool]


def trace_all(epoch: int) -> bool:
    return True


def batches(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Consecutive runs of the sample indices in `order`; the last may be shorter."""
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def resolved_batch_size(spec: Spec) -> int:
    size = spec.config.optimizer.batch_size
    return len(spec.inputs) if size == "all" else size


def number_system(spec: Spec, exact: bool) -> Numbers:
    """float64, or exact fractions when asked and every function of the network allows it."""
    if not exact:
        return FLOAT64
    optimizer = OPTIMIZERS[spec.config.optimizer.name]
    if not optimizer.exact:
        raise UsageError(
            f"--exact: the optimizer {optimizer.name} takes square roots, which have no exact "
            f"rational values; exact arithmetic needs "
            f"{', '.join(name for name, kind in OPTIMIZERS.items() if kind.exact)}"
        )
    loss = LOSSES[spec.config.loss]
    if not loss.exact:
        exact_losses = [name for name, entry in LOSSES.items() if entry.exact]
        raise UsageError(
            f"--exact: the loss {loss.name} takes logarithms, which have no exact rational "
            f"values; exact arithmetic needs {', '.join(exact_losses)}"
        )
    rational = [name for name, function in ACTIVATIONS.items() if function.exact]
    for index, layer in enumerate(spec.config.layers):
        if not ACTIVATIONS[layer.activation].exact:
            units = spec.names.layers[index + 1].units
            raise UsageError(
                f"--exact: layer {index + 1} ({units[0]}...{units[-1]}) uses {layer.activation}, "
                f"which has no exact rational values; exact arithmetic needs "
                f"{', '.join(rational)}"
            )
    return EXACT


def make_optimizer(spec: Spec, numbers: Numbers) -> Optimizer:
    """The optimizer the config asks for, with its schedule and the frozen weights masked."""
    settings = spec.config.optimizer
    frozen = [
        np.isin(np.array(layer.weights, dtype=object), list(spec.frozen))
        for layer in spec.names.layers[1:]
    ]
    schedule = Schedule(
        numbers,
        settings.learning_rate,
        settings.schedule.kind,
        settings.schedule.gamma or 1,
        settings.schedule.every or 1,
    )
    kind = OPTIMIZERS[settings.name]
    given = {name: getattr(settings, name) for name in kind.parameters}
    return kind(numbers, frozen, schedule, **{k: v for k, v in given.items() if v is not None})


QUIET_PIECE = 256  # untraced steps between two looks at whether the kernels are ready


@dataclass
class EpochTotals:
    """What an epoch adds up as it goes: its samples' losses, and how many it got right."""

    loss: Any
    correct: int


class Training:
    """One run's state: the network, the optimizer, the data in the run's number system, and
    the batches of an epoch. `compute` and `update` are the two halves of a step, used by
    `train` and by the gradient check alike."""

    def __init__(self, spec: Spec, numbers: Numbers = FLOAT64) -> None:
        self.spec = spec
        self.numbers = numbers
        self.network = Network(spec, numbers=numbers)
        self.optimizer = make_optimizer(spec, numbers)
        self.inputs, self.targets = numbers.array(spec.inputs), numbers.array(spec.targets)
        self.batch_size = resolved_batch_size(spec)
        self.layers = spec.names.layers
        in_order = np.arange(len(spec.inputs))
        self._unshuffled = batches(in_order, self.batch_size)  # the same every epoch
        # The order is drawn from the seed, but from a stream of its own, so that shuffling
        # changes no initial weight.
        self._shuffler = generator([spec.config.seed, 1]) if spec.config.optimizer.shuffle else None
        self.steps_per_epoch = len(self._unshuffled)
        self.slips = spec.config.slip_set
        self.kernels: compiled.Kernels | None = None  # lent to the number system when untraced
        self._kernels_pending = False  # whether to load them once `compiled.WAIT` has passed
        self._kernels_loading = False  # whether they are being loaded in the background
        self._untraced_left, self._untraced_seconds = 0, 0.0
        self._held_batches: dict[int, tuple[np.ndarray, Array, Array]] = {}

    def _batch_data(self, indices: np.ndarray) -> tuple[Array, Array]:
        """A batch's inputs and targets; the same batches come back every unshuffled epoch,
        so theirs are taken out once."""
        key = id(indices)
        held = self._held_batches.get(key)
        if held is None or held[0] is not indices:
            held = (indices, self.inputs[indices], self.targets[indices])
            if self._shuffler is None:
                self._held_batches[key] = held
        return held[1], held[2]

    def epoch_batches(self) -> tuple[np.ndarray | None, list[np.ndarray]]:
        """The next epoch's sample order when shuffled (else None), and its batches."""
        if self._shuffler is None:
            return None, self._unshuffled
        order = self._shuffler.permutation(len(self.inputs))
        return order, batches(order, self.batch_size)

    def compute(self, epoch: int, step: int, indices: np.ndarray) -> Step | records.Diverged:
        """Forward pass, losses, backward pass and gradients for one batch, with the current
        weights; or where they first stopped being finite."""
        with self.numbers.quiet():
            return self._compute(epoch, step, indices)

    def _compute(self, epoch: int, step: int, indices: np.ndarray) -> Step | records.Diverged:
        numbers, network, layers = self.numbers, self.network, self.layers
        y = self.targets[indices]
        forward = network.forward(self.inputs[indices])
        losses = network.losses(forward, y)
        problem = divergence.first_nonfinite_forward(
            numbers, layers, forward.h, forward.z, losses, epoch, step, indices
        )
        if problem is not None:
            return problem
        backward, gradients = self.backward(forward, y)
        problem = divergence.first_nonfinite_delta(
            numbers, layers, backward.deltas, epoch, step, indices
        )
        if problem is not None:
            return problem
        return Step(epoch, step, indices, forward, losses, backward, gradients)

    def compile_for(self, untraced_steps: int) -> None:
        """Plan to use the compiled kernels for the `untraced_steps` ahead, when numba is
        installed and they are enough work to pay for loading them (the bits are the same).
        Once a second of untraced training has gone by and the steps left still pay, they
        load in the background while numpy trains on (with BACKTRACE_COMPILED=1: at once, in
        this thread), so a short run never starts numba and no run waits for it."""
        if self.numbers is not FLOAT64 or self.kernels is not None:
            return
        self._untraced_left = untraced_steps
        self._untraced_seconds = 0.0 if compiled.choice() != "1" else compiled.WAIT
        self._kernels_pending = self._worth_compiling(untraced_steps)
        self._load_kernels_when_due()

    def _worth_compiling(self, steps: int) -> bool:
        samples = min(self.batch_size, len(self.inputs))
        units = sum(len(layer.units) for layer in self.layers[1:])
        weights = sum(matrix.size for matrix in self.network.weights)  # forward, back, gradient
        return compiled.worth_compiling(steps, samples * units, 3 * samples * weights)

    def _load_kernels_when_due(self) -> None:
        if self._kernels_loading:
            if not compiled.still_loading():
                self._kernels_loading = False
                self.kernels = compiled.kernels_if_they_load()  # loaded now, or None if failed
            return
        if not self._kernels_pending or self._untraced_seconds < compiled.WAIT:
            return
        self._kernels_pending = False
        if not self._worth_compiling(self._untraced_left):
            return
        if compiled.choice() == "1":
            self.kernels = compiled.kernels_if_they_load()
        else:  # numpy trains on meanwhile, and the kernels take over once they are loaded
            compiled.load_in_background()
            self._kernels_loading = True

    @contextlib.contextmanager
    def _fast_kernels(self) -> Iterator[None]:
        if self.kernels is None:
            yield
            return
        assert isinstance(self.numbers, Float64)
        before, self.numbers.kernels = self.numbers.kernels, self.kernels
        try:
            yield
        finally:
            self.numbers.kernels = before

    def quiet_epoch(
        self, epoch: int, steps_before: int, epoch_batches: list[np.ndarray]
    ) -> EpochTotals | records.Diverged:
        """An untraced epoch: the same arithmetic as `compute` and `update`, step by step, but
        under one errstate, with no records and one cheap finiteness check per step instead
        of one per array. Only when it fails does the careful search say where."""
        totals = EpochTotals(self.numbers.number(0), 0)
        # In pieces, so that a long epoch too takes the kernels once they pay, not only the
        # epochs after it.
        for start in range(0, len(epoch_batches), QUIET_PIECE):
            piece = epoch_batches[start : start + QUIET_PIECE]
            started = time.perf_counter()
            diverged = self._quiet_steps(epoch, steps_before + start, piece, totals)
            self._untraced_left -= len(piece)
            self._untraced_seconds += time.perf_counter() - started
            self._load_kernels_when_due()
            if diverged is not None:
                return diverged
        return totals

    def _quiet_steps(
        self, epoch: int, steps_before: int, batches: list[np.ndarray], totals: EpochTotals
    ) -> records.Diverged | None:
        """Untraced steps, each added to `totals`; where one diverges, the record saying so."""
        numbers, network, optimizer = self.numbers, self.network, self.optimizer
        judge = LOSSES[self.spec.config.loss].correct
        exact = numbers is EXACT
        with numbers.quiet(), self._fast_kernels():
            for offset, indices in enumerate(batches):
                step = steps_before + offset + 1
                x, y = self._batch_data(indices)
                forward = network.forward(x)
                losses = network.losses(forward, y)
                backward, gradients = self.backward(forward, y, per_sample=False)
                new_weights = self.stepped(optimizer, gradients.mean)
                if not numbers.all_finite([losses, *forward.h, *backward.deltas, *new_weights]):
                    # Say where, if anywhere, as the traced path would: the forward pass and
                    # deltas first, then the new weights.
                    computed = self._compute(epoch, step, indices)
                    if isinstance(computed, records.Diverged):
                        return computed
                    problem = divergence.first_nonfinite_weight(
                        numbers, self.layers, new_weights, epoch, step
                    )
                    if problem is not None:
                        return problem
                if exact:
                    self.within_exact_limit(new_weights, epoch, step)
                network.weights = new_weights
                totals.loss = totals.loss + numbers.total(losses)
                if judge is not None:
                    totals.correct += int(np.count_nonzero(judge(forward.z[-1], y)))
        return None

    def backward(
        self, forward: ForwardPass, y: Array, per_sample: bool = True
    ) -> tuple[Backward, Gradients]:
        """The deltas and gradients of a batch; with `per_sample` (for the trace) also each
        sample's gradients and dL/dŷ. Under the stale_weights slip the hidden deltas are
        taken through the weights as this step's update leaves them: layer by layer from
        the output back, each layer's new weights coming from deltas already taken that
        way, which one pass per hidden layer settles."""
        network = self.network
        backward = network.backward(forward, y, traced=per_sample)
        gradients = network.gradients(forward, backward, per_sample)
        if "stale_weights" in self.slips:
            for _ in range(len(network.weights) - 1):
                ahead = self.stepped(self.optimizer.preview(), gradients.mean)
                backward = network.backward(forward, y, through=ahead, traced=per_sample)
                gradients = network.gradients(forward, backward, per_sample)
        return backward, gradients

    def stepped(self, optimizer: Optimizer, gradients: list[Array]) -> list[Array]:
        """The optimizer's new weights from the current ones (kept as the run keeps numbers)."""
        new_weights = optimizer.step(self.network.weights, gradients)
        if self.network.decimals is None:
            return new_weights
        return [self.network.kept(w) for w in new_weights]

    def update(self, step: Step) -> list[Array] | records.Diverged:
        """The optimizer's new weights for a computed step (not yet applied)."""
        with self.numbers.quiet():
            new_weights = self.stepped(self.optimizer, step.gradients.mean)
        problem = divergence.first_nonfinite_weight(
            self.numbers, self.layers, new_weights, step.epoch, step.step
        )
        if problem is None and self.numbers is EXACT:
            self.within_exact_limit(new_weights, step.epoch, step.step)
        return problem if problem is not None else new_weights

    def within_exact_limit(self, new_weights: list[Array], epoch: int, step: int) -> None:
        """Exact runs stop, with one line, once a step leaves a fraction longer than the
        limit: the next steps would take ever longer and print pages per number."""
        state = [array for arrays in self.optimizer.state.values() for array in arrays]
        digits = self.numbers.longest([*new_weights, *state])
        limit = limits.active().exact_digits
        if digits > limit:
            raise UsageError(
                f"--exact: after epoch {epoch}, step {step} the weights' fractions have "
                f"{digits:,} digits, past the limit of {limit:,}; exact runs suit a few steps: "
                f"ask for fewer epochs, or drop --exact"
            )


def epoch_end(
    numbers: Numbers,
    epoch: int,
    totals: EpochTotals,
    samples: int,
    steps: int,
    traced: bool,
    judged: bool,
) -> records.EpochEnd:
    """The epoch's summary: its mean loss, and its accuracy for classification losses."""
    mean_loss = numbers.scalar(totals.loss / numbers.number(samples))
    accuracy = (totals.correct, totals.correct / samples) if judged else (None, None)
    return records.EpochEnd(epoch, mean_loss, steps, traced, *accuracy)


def train(
    spec: Spec,
    traced: EpochFilter = trace_all,
    numbers: Numbers = FLOAT64,
    weights_seen: Callable[[records.Weights], None] | None = None,
) -> Iterator[records.Record]:
    """Train for `spec.config.epochs` epochs, yielding the trace; epochs where `traced` is true
    are traced in full, the rest get only their `epoch` summary. `weights_seen`, if given, is
    handed every weight before training and after each epoch, traced or not (for a picture
    of the weights from the same run), without changing the trace."""
    training = Training(spec, numbers)
    network = training.network
    untraced = sum(1 for epoch in range(1, spec.config.epochs + 1) if not traced(epoch))
    training.compile_for(untraced * training.steps_per_epoch)
    tracer = Tracer(spec, numbers, training.batch_size)
    yield tracer.start(training.optimizer)
    yield from notes(spec)
    initial = tracer.weights("initial", 0, network.weights)
    if weights_seen is not None:
        weights_seen(initial)
    yield initial

    judge = LOSSES[spec.config.loss].correct
    step_number = 0
    samples = len(training.inputs)
    totals_loss: Any = None  # the last epoch's mean loss
    for epoch in range(1, spec.config.epochs + 1):
        tracing = traced(epoch)
        if tracing and epoch > 1:
            yield tracer.weights("current", epoch - 1, network.weights)  # this epoch's start
        order, epoch_batches = training.epoch_batches()
        if order is not None:
            yield records.Shuffle(epoch, tuple((order + 1).tolist()))  # Python ints
        if not tracing:
            totals = training.quiet_epoch(epoch, step_number, epoch_batches)
            if isinstance(totals, records.Diverged):
                yield totals
                return
            step_number += len(epoch_batches)
            if weights_seen is not None:
                weights_seen(tracer.weights("current", epoch, network.weights))
            summary = epoch_end(
                numbers, epoch, totals, samples, step_number, False, judge is not None
            )
            totals_loss = summary.loss
            yield summary
            continue
        loss_total = numbers.number(0)
        correct = 0
        for indices in epoch_batches:
            step_number += 1
            step = training.compute(epoch, step_number, indices)
            if isinstance(step, records.Diverged):
                yield step
                return
            if tracing:
                yield from tracer.samples(step, network.weights)
            new_weights = training.update(step)
            if isinstance(new_weights, records.Diverged):
                yield new_weights
                return
            if tracing:
                yield from tracer.updates(step, training.optimizer, network.weights, new_weights)
            network.weights = new_weights
            loss_total = loss_total + numbers.total(step.losses)
            if judge is not None:
                correct += int(
                    np.count_nonzero(judge(step.forward.z[-1], training.targets[indices]))
                )
        totals = EpochTotals(loss_total, correct)
        if weights_seen is not None:
            weights_seen(tracer.weights("current", epoch, network.weights))
        summary = epoch_end(numbers, epoch, totals, samples, step_number, True, judge is not None)
        totals_loss = summary.loss
        yield summary
    final = tracer.weights("final", spec.config.epochs, network.weights)
    yield final
    if spec.config.slip_set.decimals is not None:
        yield rounding_drift(spec, numbers, final, totals_loss)


def rounding_drift(
    spec: Spec, numbers: Numbers, rounded: records.Weights, rounded_loss: Any
) -> records.Note:
    """How far rounding as it went moved the run: the same training without that slip, and
    the weight that ended furthest from its unrounded value."""
    kept = [entry for entry in spec.config.slips_written if not isinstance(entry, dict)]
    unrounded_spec = spec.with_fields(slips=kept)
    final, loss = None, None
    for record in train(unrounded_spec, lambda epoch: False, numbers):
        if isinstance(record, records.Diverged):
            return records.Note("slip", "Without the rounding, the same training diverges.")
        if isinstance(record, records.EpochEnd):
            loss = record.loss
        if isinstance(record, records.Weights) and record.when == "final":
            final = dict(record.values)
    assert final is not None
    name, value = max(rounded.values, key=lambda pair: abs(pair[1] - final[pair[0]]))
    decimals, epochs = spec.config.slip_set.decimals, spec.config.epochs
    return records.Note(
        "slip",
        f"Drift from rounding to {decimals} decimals as it went: after {epochs} "
        f"epoch{'s' if epochs != 1 else ''} the weight furthest from the unrounded run's is "
        f"{name}, {format_number(value, ALL_DIGITS)} against "
        f"{format_number(final[name], ALL_DIGITS)} (a difference of "
        f"{format_number(abs(value - final[name]), ALL_DIGITS)}); the last epoch's mean "
        f"loss is {format_number(rounded_loss, ALL_DIGITS)} against "
        f"{format_number(loss, ALL_DIGITS)}.",
    )
