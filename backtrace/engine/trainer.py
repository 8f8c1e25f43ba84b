"""Training as a stream of trace records.

`train` runs the epochs and yields records; it never prints. Each step is: forward pass,
loss, backward pass, gradients (all from the weights the forward pass used), then the
optimizer's update as a separate step. Untraced epochs do only that arithmetic and yield one
summary record each; traced epochs also hand the arrays to the tracer. Order within a traced
step: for each sample of the batch, its sample, forward, loss, delta and gradient records;
then the step's update records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from backtrace import records
from backtrace.config import Spec
from backtrace.engine import divergence
from backtrace.engine.network import Network
from backtrace.engine.notes import notes
from backtrace.engine.tracer import Step, Tracer
from backtrace.formulas.numeric import FLOAT64, Numbers
from backtrace.formulas.optimizers import GradientDescent, Optimizer

EpochFilter = Callable[[int], bool]


def trace_all(epoch: int) -> bool:
    return True


def batches(samples: int, batch_size: int) -> list[np.ndarray]:
    """Consecutive runs of sample indices in data order; the last may be shorter."""
    return [
        np.arange(start, min(start + batch_size, samples))
        for start in range(0, samples, batch_size)
    ]


def resolved_batch_size(spec: Spec) -> int:
    size = spec.config.optimizer.batch_size
    return len(spec.inputs) if size == "all" else size


def make_optimizer(spec: Spec, numbers: Numbers) -> Optimizer:
    """The optimizer the config asks for, with the frozen weights masked out."""
    frozen = [
        np.isin(np.array(layer.weights, dtype=object), list(spec.frozen))
        for layer in spec.names.layers[1:]
    ]
    return GradientDescent(numbers.number(spec.config.optimizer.learning_rate), frozen)


def train(
    spec: Spec, traced: EpochFilter = trace_all, numbers: Numbers = FLOAT64
) -> Iterator[records.Record]:
    """Train for `spec.config.epochs` epochs, yielding the trace; epochs where `traced` is true
    are traced in full, the rest get only their `epoch` summary."""
    network = Network(spec, numbers=numbers)
    optimizer = make_optimizer(spec, numbers)
    inputs, targets = numbers.array(spec.inputs), numbers.array(spec.targets)
    batch_size = resolved_batch_size(spec)
    tracer = Tracer(spec, numbers, batch_size)
    layers = spec.names.layers
    yield tracer.start()
    yield from notes(spec)
    yield tracer.weights("initial", 0, network.weights)

    epoch_batches = batches(len(spec.inputs), batch_size)  # the same every epoch
    step_number = 0
    for epoch in range(1, spec.config.epochs + 1):
        tracing = traced(epoch)
        if tracing and epoch > 1:
            yield tracer.weights("current", epoch - 1, network.weights)  # this epoch's start
        loss_total = numbers.number(0)
        for indices in epoch_batches:
            step_number += 1
            y = targets[indices]
            forward = network.forward(inputs[indices])
            losses = network.losses(forward, y)
            problem = divergence.first_nonfinite_forward(
                numbers, layers, forward.h, forward.z, losses, epoch, step_number, indices
            )
            if problem is None:
                backward = network.backward(forward, y)
                problem = divergence.first_nonfinite_delta(
                    numbers, layers, backward.deltas, epoch, step_number, indices
                )
            if problem is not None:
                yield problem
                return
            gradients = network.gradients(forward, backward)
            step = Step(epoch, step_number, indices, forward, losses, backward, gradients)
            if tracing:
                yield from tracer.samples(step, network.weights)
            with numbers.quiet():
                new_weights = optimizer.step(network.weights, gradients.mean)
            problem = divergence.first_nonfinite_weight(
                numbers, layers, new_weights, epoch, step_number
            )
            if problem is not None:
                yield problem
                return
            if tracing:
                yield from tracer.updates(step, optimizer, network.weights, new_weights)
            network.weights = new_weights
            loss_total = loss_total + numbers.total(losses)
        mean_loss = numbers.scalar(loss_total / numbers.number(len(inputs)))
        yield records.EpochEnd(epoch, mean_loss, step_number, tracing)
    yield tracer.weights("final", spec.config.epochs, network.weights)
