"""Turning what the network computed into trace records. Only called for traced epochs.

The tracer computes nothing: every value in a record is read from the arrays of the forward
pass, the backward pass, the gradients or the optimizer's description of its step. After
each section's records it asks the reference book whether a reference text printed the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from backtrace import records
from backtrace.config import Spec
from backtrace.engine.network import Backward, ForwardPass, Gradients, losses_taken
from backtrace.engine.references import ReferenceBook
from backtrace.formulas import LOSSES
from backtrace.formulas.numeric import Array, Numbers
from backtrace.formulas.optimizers import Optimizer, WeightUpdate
from backtrace.frozen import frozen
from backtrace.records import bias_column, sending_names

Computed = dict[tuple[str, str | None], float]  # (quantity, unit or weight name) -> value


def plain(values: Array) -> list:
    """An array's numbers as Python numbers in one call: floats, or the fractions as they are."""
    return values.tolist()


@frozen
class Step:
    """Everything computed for one batch, before its update."""

    epoch: int
    step: int
    indices: np.ndarray  # the batch's samples, 0-based
    forward: ForwardPass
    losses: Array
    backward: Backward
    gradients: Gradients

    @property
    def samples(self) -> tuple[int, ...]:
        return tuple(int(index) + 1 for index in self.indices)


class Tracer:
    def __init__(self, spec: Spec, numbers: Numbers, batch_size: int) -> None:
        self.spec = spec
        self.numbers = numbers
        self.number = numbers.scalar
        self.layers = spec.names.layers
        self.batch_size = batch_size
        self.references = ReferenceBook(spec, numbers)
        self.value_loss = losses_taken(spec)[0].name  # the loss whose value each sample shows
        self.flipped = "flipped_error_sign" in spec.config.slip_set
        # The data in the run's number system (exact runs show their inputs as fractions).
        self.inputs, self.targets = numbers.array(spec.inputs), numbers.array(spec.targets)

    def start(self, optimizer: Optimizer) -> records.Start:
        config = self.spec.config
        schedule = optimizer.schedule
        return records.Start(
            title=config.title,
            source=self.spec.source,
            loss=config.loss,
            loss_formula=LOSSES[config.loss].formula,
            learning_rate=self.number(config.optimizer.learning_rate),
            batch_size=self.batch_size,
            epochs=config.epochs,
            samples=len(self.spec.inputs),
            layers=self.layers,
            frozen=tuple(name for name in self.spec.names.all_weights if name in self.spec.frozen),
            arithmetic=self.numbers.name,
            optimizer=optimizer.name,
            settings=tuple((name, self.number(value)) for name, value in optimizer.hyper.items()),
            schedule=schedule.kind,
            schedule_gamma=self.number(schedule.gamma) if schedule.kind != "constant" else None,
            schedule_every=schedule.every if schedule.kind == "step" else None,
            shuffle=config.optimizer.shuffle,
            slips=config.slip_set.names,
        )

    def weights(self, when: str, epoch: int, matrices: list[Array]) -> records.Weights:
        """Every weight's value, each weight once (a shared bias sits on every row)."""
        values: dict[str, float] = {}
        for names, matrix in zip(self.layers[1:], matrices):
            for row_names, row in zip(names.weights, matrix.tolist()):
                for name, value in zip(row_names, row):
                    values.setdefault(name, self.number(value))
        return records.Weights(when, epoch, tuple(values.items()))  # type: ignore[arg-type]

    def samples(self, step: Step, weights: list[Array]) -> Iterator[records.Record]:
        """Each sample's records in turn: heading, forward, loss, deltas, gradients."""
        for row, sample in enumerate(step.samples):
            yield from self._sample(step, weights, row, sample)

    def updates(
        self, step: Step, optimizer: Optimizer, old: list[Array], new: list[Array]
    ) -> Iterator[records.Record]:
        """The step's update records, from the optimizer's own account of it."""
        computed: Computed = {}
        for update in optimizer.describe(old, new, step.gradients.mean):
            record = self._update(step, update)
            if ("new", record.weight) in computed:
                continue  # a shared bias: its other rows hold the same weight
            computed[("new", record.weight)] = record.new
            yield record
        for sample in step.samples:
            yield from self.references.check(step.epoch, sample, ("new",), computed)

    # -- one sample ------------------------------------------------------------------------

    def _sending(self, layer: int) -> tuple[str, ...]:
        """Names of the columns of layer `layer`'s weights (1-based), in the order summed."""
        return sending_names(self.layers, layer)

    def _pairs(self, names: Iterable[str], values: Array) -> tuple[tuple[str, float], ...]:
        return tuple(zip(names, plain(values)))

    def _sample(
        self, step: Step, weights: list[Array], row: int, sample: int
    ) -> Iterator[records.Record]:
        epoch, forward, number = step.epoch, step.forward, self.number
        inputs, targets = self.inputs[sample - 1], self.targets[sample - 1]
        outputs = self.layers[-1].units
        yield records.Sample(
            epoch,
            sample,
            step.step,
            self._pairs(self.layers[0].units, inputs),
            self._pairs(outputs, targets),
        )

        computed: Computed = {}
        for layer in range(1, len(self.layers)):
            names = self.layers[layer]
            sending = self._sending(layer)
            layer_input = plain(forward.layer_inputs[layer - 1][row])
            h_row, z_row = plain(forward.h[layer - 1][row]), plain(forward.z[layer - 1][row])
            activation = names.activation or ""
            for unit, weight_names, w_row, h, z in zip(
                names.units, names.weights, plain(weights[layer - 1]), h_row, z_row
            ):
                terms = tuple(map(records.Term, weight_names, w_row, sending, layer_input))
                computed[("h", unit)], computed[("z", unit)] = h, z
                yield records.Forward(epoch, sample, layer, unit, h, z, activation, terms)
        yield from self.references.check(epoch, sample, ("h", "z"), computed)

        loss = number(step.losses[row])
        yield records.Loss(
            epoch,
            sample,
            loss,
            self.value_loss,
            self._pairs(outputs, forward.z[-1][row]),
            self._pairs(outputs, targets),
        )
        yield from self.references.check(epoch, sample, ("loss",), {("loss", None): loss})

        computed = {}
        for record in self._deltas(step, weights, row, sample):
            computed[("delta", record.unit)] = record.delta
            yield record
        yield from self.references.check(epoch, sample, ("delta",), computed)

        computed = {}
        for layer in range(1, len(self.layers)):
            for record in self._gradients(step, layer, row, sample):
                computed[("grad", record.weight)] = record.grad
                yield record
        yield from self.references.check(epoch, sample, ("grad",), computed)

    def _gradients(
        self, step: Step, layer: int, row: int, sample: int
    ) -> Iterator[records.Gradient]:
        """Each weight's J'(W) = Z·δ for one sample; a shared bias's is the sum over its
        layer's units, written out term by term."""
        names = self.layers[layer]
        layer_input = plain(step.forward.layer_inputs[layer - 1][row])
        delta = plain(step.backward.deltas[layer - 1][row])
        gradient = plain(step.gradients.per_sample[layer - 1][row])
        shared = bias_column(names) if names.shared_bias else None
        epoch, number, sending = step.epoch, step.step, self._sending(layer)
        for unit_index, unit in enumerate(names.units):
            unit_delta = delta[unit_index]
            for column, (weight, source, z, grad) in enumerate(
                zip(names.weights[unit_index], sending, layer_input, gradient[unit_index])
            ):
                if column != shared:
                    yield records.Gradient(
                        epoch, sample, number, weight, source, z, unit, unit_delta, grad
                    )
        if shared is not None:
            name, one = names.weights[0][shared], layer_input[shared]
            terms = tuple(
                records.Term(name, one, unit, value) for unit, value in zip(names.units, delta)
            )
            yield records.Gradient(
                epoch, sample, number, name, "1", one, "", None, gradient[0][shared], terms
            )

    def _deltas(
        self, step: Step, weights: list[Array], row: int, sample: int
    ) -> Iterator[records.Delta]:
        """Deltas from the output layer back, as the backward pass computed them."""
        number, backward, forward = self.number, step.backward, step.forward
        last = len(self.layers) - 1
        _, loss = losses_taken(self.spec)
        rule = "flipped" if self.flipped and loss.rule == "chain" else loss.rule
        through = backward.through or weights  # the weights the hidden deltas were taken through
        for layer in range(last, 0, -1):
            names = self.layers[layer]
            h_row, z_row = forward.h[layer - 1][row], forward.z[layer - 1][row]
            derivative = backward.derivatives[layer - 1]
            for unit_index, unit in enumerate(names.units):
                f_prime = number(derivative[row, unit_index]) if derivative is not None else None
                common = dict(
                    epoch=step.epoch,
                    sample=sample,
                    layer=layer,
                    unit=unit,
                    delta=number(backward.deltas[layer - 1][row, unit_index]),
                    h=number(h_row[unit_index]),
                    f_prime=f_prime,
                    loss=loss.name,
                )
                if layer == last:
                    yield records.Delta(
                        **common,
                        rule=rule,
                        terms=(),
                        y_hat=number(z_row[unit_index]),
                        y=number(self.targets[sample - 1][unit_index]),
                        loss_gradient=number(backward.loss_gradient[row, unit_index]),
                    )
                    continue
                # The links leaving this unit: its column of the next layer's matrix.
                receivers = self.layers[layer + 1]
                column = unit_index + (1 if receivers.bias == "unit" else 0)
                terms = tuple(
                    records.Term(
                        receivers.weights[receiver][column],
                        number(through[layer][receiver, column]),
                        receiver_name,
                        number(backward.deltas[layer][row, receiver]),
                    )
                    for receiver, receiver_name in enumerate(receivers.units)
                )
                yield records.Delta(**common, rule="hidden", terms=terms)

    def _update(self, step: Step, update: WeightUpdate) -> records.Update:
        number = self.number
        return records.Update(
            step.epoch,
            step.step,
            self.layers[update.layer + 1].weights[update.row][update.column],
            number(update.old),
            number(update.grad),
            number(update.new),
            number(update.learning_rate),
            update.frozen,
            step.samples,
            tuple((name, value if name == "t" else number(value)) for name, value in update.state),
        )
