"""Training as a stream of trace records.

`train` runs the epochs and yields records; it never prints. Untraced epochs do only the matrix
work (plus one summary record each); traced epochs also turn the arrays into per-unit records.
Order within a step: for each sample in the batch, its sample, forward, loss, delta and gradient
records; then the step's update records. Gradients always use the weights of the forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from backtrace.config import Spec
from backtrace.engine import records
from backtrace.engine.network import Array, ForwardPass, Network, quiet
from backtrace.engine.references import ReferenceBook

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


@dataclass
class _Step:
    """Everything computed for one batch, before the update is applied."""

    epoch: int
    step: int
    indices: np.ndarray
    forward: ForwardPass
    losses: Array
    deltas: list[Array]
    gradients: list[Array]


def train(spec: Spec, traced: EpochFilter = trace_all) -> Iterator[records.Record]:
    """Train for `spec.config.epochs` epochs, yielding the trace; epochs where `traced` is true
    are traced in full, the rest get only their `epoch` summary."""
    network = Network(spec)
    tracer = _Tracer(spec, network)
    yield tracer.start()
    yield from tracer.notes()
    yield tracer.weights("initial", 0)

    learning_rate = spec.config.optimizer.learning_rate
    frozen_masks = [
        np.isin(np.array(layer.weights, dtype=object), list(spec.frozen))
        for layer in spec.names.layers[1:]
    ]
    epoch_batches = batches(len(spec.inputs), resolved_batch_size(spec))  # the same every epoch
    step = 0
    for epoch in range(1, spec.config.epochs + 1):
        tracing = traced(epoch)
        if tracing and epoch > 1:
            yield tracer.weights("current", epoch - 1)  # what this epoch starts from
        loss_total = 0.0
        for indices in epoch_batches:
            step += 1
            y = spec.targets[indices]
            forward = network.forward(spec.inputs[indices])
            losses = network.losses(forward, y)
            problem = tracer.first_nonfinite_forward(forward, losses, epoch, step, indices)
            if problem is None:
                deltas = network.backward(forward, y)
                problem = tracer.first_nonfinite_delta(deltas, epoch, step, indices)
            if problem is not None:
                yield problem
                return
            gradients = network.gradients(forward, deltas)
            current = _Step(epoch, step, indices, forward, losses, deltas, gradients)
            if tracing:
                yield from tracer.samples(current)
            with quiet():
                new_weights = [
                    np.where(mask, matrix, matrix - learning_rate * gradient)
                    for matrix, gradient, mask in zip(network.weights, gradients, frozen_masks)
                ]
            problem = tracer.first_nonfinite_weight(new_weights, epoch, step)
            if problem is not None:
                yield problem
                return
            if tracing:
                yield from tracer.updates(current, network.weights, new_weights, frozen_masks)
            network.weights = new_weights
            loss_total += float(losses.sum())
        yield records.EpochEnd(epoch, loss_total / len(spec.inputs), step, tracing)
    yield tracer.weights("final", spec.config.epochs)


class _Tracer:
    """Turns the trainer's arrays into records; only ever called for what is traced."""

    def __init__(self, spec: Spec, network: Network) -> None:
        self.spec = spec
        self.network = network
        self.layers = spec.names.layers
        self.references = ReferenceBook(spec)

    def start(self) -> records.Start:
        config = self.spec.config
        layers = tuple(
            records.LayerInfo(
                index,
                names.units,
                names.bias_unit,
                config.layers[index - 1].activation if index else None,
                names.weights,
                names.weight_prefix,
            )
            for index, names in enumerate(self.layers)
        )
        return records.Start(
            title=config.title,
            source=self.spec.source,
            loss=config.loss,
            loss_formula=self.network.loss.formula,
            learning_rate=config.optimizer.learning_rate,
            batch_size=resolved_batch_size(self.spec),
            epochs=config.epochs,
            samples=len(self.spec.inputs),
            layers=layers,
            frozen=tuple(name for name in self.spec.names.all_weights if name in self.spec.frozen),
        )

    def notes(self) -> Iterator[records.Note]:
        if self.network.loss.caveat:
            yield records.Note("loss", self.network.loss.caveat)
        if all(layer.activation == "identity" for layer in self.spec.config.layers):
            bias = self.spec.config.bias
            error = best_linear_fit_error(self.spec.inputs, self.spec.targets, intercept=bias)
            kind = "affine" if bias else "linear"
            if error > 1e-12:
                yield records.Note(
                    "linear",
                    f"Every activation is the identity, so the whole network computes one {kind} "
                    f"function of its inputs, whatever its weights. The best {kind} fit to this data "
                    f"still has a mean squared error of {error:.6g}, so no weights can fit it.",
                )

    def weights(self, when: str, epoch: int) -> records.Weights:
        values = tuple(
            (name, float(value))
            for names, matrix in zip(self.layers[1:], self.network.weights)
            for row_names, row in zip(names.weights, matrix)
            for name, value in zip(row_names, row)
        )
        return records.Weights(when, epoch, values)  # type: ignore[arg-type]

    # -- per-sample records -------------------------------------------------------------------

    def _sending_names(self, layer: int) -> tuple[str, ...]:
        """Names of the units feeding layer `layer` (1-based), bias unit first when present."""
        previous = self.layers[layer - 1]
        return ((previous.bias_unit,) if previous.bias_unit else ()) + previous.units

    def samples(self, step: _Step) -> Iterator[records.Record]:
        for row, index in enumerate(step.indices):
            yield from self._sample(step, row, int(index) + 1)

    def _sample(self, step: _Step, row: int, sample: int) -> Iterator[records.Record]:
        epoch, forward, network = step.epoch, step.forward, self.network
        output_names = self.layers[-1].units
        yield records.Sample(
            epoch,
            sample,
            step.step,
            _pairs(self.layers[0].units, self.spec.inputs[sample - 1]),
            _pairs(output_names, self.spec.targets[sample - 1]),
        )
        values: dict[tuple[str, str | None], float] = {}
        for layer in range(1, len(self.layers)):
            sending = self._sending_names(layer)
            matrix = network.weights[layer - 1]
            layer_input = forward.layer_inputs[layer - 1][row]
            for unit_index, unit in enumerate(self.layers[layer].units):
                h, z = (
                    float(forward.h[layer - 1][row, unit_index]),
                    float(forward.z[layer - 1][row, unit_index]),
                )
                terms = tuple(
                    records.Term(weight, float(w), source, float(value))
                    for weight, w, source, value in zip(
                        self.layers[layer].weights[unit_index],
                        matrix[unit_index],
                        sending,
                        layer_input,
                    )
                )
                values[("h", unit)], values[("z", unit)] = h, z
                yield records.Forward(
                    epoch, sample, layer, unit, h, z, network.activations[layer - 1].name, terms
                )
        yield from self.references.check(epoch, sample, ("h", "z"), values)

        loss = float(step.losses[row])
        yield records.Loss(
            epoch,
            sample,
            loss,
            network.loss.name,
            _pairs(output_names, forward.z[-1][row]),
            _pairs(output_names, self.spec.targets[sample - 1]),
        )
        yield from self.references.check(epoch, sample, ("loss",), {("loss", None): loss})

        values = {}
        yield from self._deltas(step, row, sample, values)
        yield from self.references.check(epoch, sample, ("delta",), values)

        values = {}
        for layer in range(1, len(self.layers)):
            sending = self._sending_names(layer)
            layer_input = forward.layer_inputs[layer - 1][row]
            delta = step.deltas[layer - 1][row]
            for unit_index, unit in enumerate(self.layers[layer].units):
                for weight, source, z in zip(
                    self.layers[layer].weights[unit_index], sending, layer_input
                ):
                    grad = float(z * delta[unit_index])
                    values[("grad", weight)] = grad
                    yield records.Gradient(
                        epoch,
                        sample,
                        step.step,
                        weight,
                        source,
                        float(z),
                        unit,
                        float(delta[unit_index]),
                        grad,
                    )
        yield from self.references.check(epoch, sample, ("grad",), values)

    def _deltas(
        self, step: _Step, row: int, sample: int, values: dict[tuple[str, str | None], float]
    ) -> Iterator[records.Delta]:
        """Deltas from the output layer back, as the backward pass computes them."""
        network, forward = self.network, step.forward
        last = len(self.layers) - 1
        loss = network.loss
        output_activation = network.activations[-1]
        with quiet():
            loss_gradient = loss.gradient(
                forward.z[-1][row : row + 1], self.spec.targets[[step.indices[row]]]
            )[0]
        for layer in range(last, 0, -1):
            activation = network.activations[layer - 1]
            h_row, z_row = forward.h[layer - 1][row], forward.z[layer - 1][row]
            derivative = activation.derivative(h_row, z_row) if activation.derivative else None
            for unit_index, unit in enumerate(self.layers[layer].units):
                delta = float(step.deltas[layer - 1][row, unit_index])
                values[("delta", unit)] = delta
                f_prime = float(derivative[unit_index]) if derivative is not None else None
                common = dict(
                    epoch=step.epoch,
                    sample=sample,
                    layer=layer,
                    unit=unit,
                    delta=delta,
                    h=float(h_row[unit_index]),
                    loss=loss.name,
                )
                if layer == last:
                    yield records.Delta(
                        **common,
                        f_prime=f_prime
                        if loss.rule == "chain" and output_activation.derivative
                        else None,
                        rule=loss.rule,
                        terms=(),
                        y_hat=float(z_row[unit_index]),
                        y=float(self.spec.targets[sample - 1][unit_index]),
                        loss_gradient=float(loss_gradient[unit_index]),
                    )
                    continue
                # The links leaving this unit: column (unit_index + bias) of the next matrix.
                column = unit_index + (1 if network.bias else 0)
                next_matrix = network.weights[layer]
                terms = tuple(
                    records.Term(
                        self.layers[layer + 1].weights[receiver][column],
                        float(next_matrix[receiver, column]),
                        receiver_name,
                        float(step.deltas[layer][row, receiver]),
                    )
                    for receiver, receiver_name in enumerate(self.layers[layer + 1].units)
                )
                yield records.Delta(**common, f_prime=f_prime, rule="hidden", terms=terms)

    def updates(
        self, step: _Step, old: list[Array], new: list[Array], frozen_masks: list[Array]
    ) -> Iterator[records.Record]:
        learning_rate = self.spec.config.optimizer.learning_rate
        samples = tuple(int(index) + 1 for index in step.indices)
        values: dict[tuple[str, str | None], float] = {}
        for names, before, after, gradient, mask in zip(
            self.layers[1:], old, new, step.gradients, frozen_masks
        ):
            for row, row_names in enumerate(names.weights):
                for column, name in enumerate(row_names):
                    position = (row, column)
                    values[("new", name)] = float(after[position])
                    yield records.Update(
                        step.epoch,
                        step.step,
                        name,
                        float(before[position]),
                        float(gradient[position]),
                        float(after[position]),
                        learning_rate,
                        bool(mask[position]),
                        samples,
                    )
        for sample in samples:
            yield from self.references.check(step.epoch, sample, ("new",), values)

    # -- divergence ----------------------------------------------------------------------------

    def first_nonfinite_forward(
        self, forward: ForwardPass, losses: Array, epoch: int, step: int, indices: np.ndarray
    ) -> records.Diverged | None:
        if np.isfinite(losses).all() and all(np.isfinite(h).all() for h in forward.h):
            return None
        for row, index in enumerate(indices):
            for layer, (h, z) in enumerate(zip(forward.h, forward.z), start=1):
                for quantity, values in (("h", h), ("z", z)):
                    bad = np.flatnonzero(~np.isfinite(values[row]))
                    if bad.size:
                        unit = self.layers[layer].units[bad[0]]
                        return _diverged(
                            epoch,
                            int(index) + 1,
                            step,
                            "forward",
                            unit,
                            quantity,
                            float(values[row, bad[0]]),
                        )
            if not np.isfinite(losses[row]):
                return _diverged(
                    epoch, int(index) + 1, step, "loss", "loss", "loss", float(losses[row])
                )
        raise AssertionError("a non-finite value was seen but not located")

    def first_nonfinite_delta(
        self, deltas: list[Array], epoch: int, step: int, indices: np.ndarray
    ) -> records.Diverged | None:
        if all(np.isfinite(delta).all() for delta in deltas):
            return None
        for row, index in enumerate(indices):
            for layer in range(len(deltas), 0, -1):
                bad = np.flatnonzero(~np.isfinite(deltas[layer - 1][row]))
                if bad.size:
                    unit = self.layers[layer].units[bad[0]]
                    value = float(deltas[layer - 1][row, bad[0]])
                    return _diverged(epoch, int(index) + 1, step, "backward", unit, "delta", value)
        raise AssertionError("a non-finite delta was seen but not located")

    def first_nonfinite_weight(
        self, weights: list[Array], epoch: int, step: int
    ) -> records.Diverged | None:
        for names, matrix in zip(self.layers[1:], weights):
            bad = np.argwhere(~np.isfinite(matrix))
            if len(bad):
                row, column = bad[0]
                value = float(matrix[row, column])
                return _diverged(
                    epoch, None, step, "update", names.weights[row][column], "new", value
                )
        return None


def _diverged(
    epoch: int, sample: int | None, step: int, during: str, name: str, quantity: str, value: float
) -> records.Diverged:
    non_finite = "nan" if value != value else ("inf" if value > 0 else "-inf")
    return records.Diverged(epoch, sample, step, during, name, quantity, value, non_finite)


def _pairs(names: tuple[str, ...], values: Array) -> tuple[tuple[str, float], ...]:
    return tuple((name, float(value)) for name, value in zip(names, values))


def best_linear_fit_error(inputs: Array, targets: Array, *, intercept: bool) -> float:
    """Mean squared error of the least-squares linear map (affine, with `intercept`) from inputs
    to targets: the best any all-identity network with (or without) bias units can do."""
    design = np.hstack([np.ones((len(inputs), 1)), inputs]) if intercept else inputs
    coefficients, *_ = np.linalg.lstsq(design, targets, rcond=None)
    return float(np.mean((design @ coefficients - targets) ** 2))
