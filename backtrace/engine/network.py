"""The network's arithmetic: initial weights, the forward pass, deltas and gradients.

Everything works a layer at a time on (samples, units) arrays, and every sum goes through the
number system in `formulas.numeric`. Callers silence numpy's overflow warnings once around a
whole step (`Numbers.quiet`): a diverging run is reported as a record instead. Nothing here changes the weights: `backward` and
`gradients` read them, and the optimizer applies the update as a separate step.
Index note: `weights[l]` is the matrix *into* layer l+1 (layer 0 being the inputs), with one row
per receiving unit and its columns in the order the sum is printed: a bias column first when
the bias comes from a bias unit (so `weights[0][j-1, k]` is the article's W_jk), last when it
is a term b, none when the layer has no bias. A shared bias is one column of equal values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backtrace.config import Spec
from backtrace.config.schema import ConstantWeights, MatrixWeights, RandomWeights
from backtrace.formulas import ACTIVATIONS, LOSSES, Loss
from backtrace.formulas.activations import Bound
from backtrace.formulas.numeric import FLOAT64, Array, Numbers
from backtrace.frozen import frozen
from backtrace.records import bias_column


@frozen
class ForwardPass:
    """What the forward pass computed for a batch, layer by layer (index l = layer l+1)."""

    layer_inputs: list[Array]  # (samples, 1 + sending units) with bias, else (samples, sending)
    h: list[Array]  # (samples, units): weighted sums
    z: list[Array]  # (samples, units): activations


@frozen
class Backward:
    """What the backward pass computed for a batch, layer by layer (index l = layer l+1)."""

    deltas: list[Array]  # (samples, units)
    derivatives: list[Array | None]  # f'(h) where a delta used it; None where none entered
    loss_gradient: Array | None  # dL/dŷ, (samples, outputs); None if untraced and unused
    through: list[Array] | None = None  # the weights the hidden deltas used, if not the current


@frozen
class Gradients:
    """J'(W) for a batch: each sample's own, and their mean, which the update uses."""

    per_sample: list[Array]  # (samples, receiving, sending) per weight matrix
    mean: list[Array]  # (receiving, sending) per weight matrix


def initial_weights(spec: Spec, numbers: Numbers = FLOAT64) -> list[Array]:
    """Weight matrices as the config describes them; random schemes draw from `seed` in order."""
    rng = None  # made for the first random scheme: numpy.random takes milliseconds to import
    matrices = []
    sending = spec.config.inputs.units
    for layer, layout in zip(spec.config.layers, spec.names.layers[1:]):
        has_bias = layout.bias != "none"
        shape = (layer.units, sending + (1 if has_bias else 0))
        bias = bias_column(layout) if has_bias else None
        scheme = layer.weights
        if isinstance(scheme, ConstantWeights):
            matrix = numbers.full(shape, scheme.value)
        elif isinstance(scheme, MatrixWeights):
            matrix = numbers.array(scheme.rows)
        else:
            rng = rng or generator(spec.config.seed)
            drawn = draw_random(scheme, shape, fan_in=sending, fan_out=layer.units, rng=rng)
            if scheme.bias is not None and bias is not None:
                drawn[:, bias] = scheme.bias
            if layout.shared_bias:
                drawn[:, bias] = drawn[0, bias]  # one bias for the layer: the first row's draw
            matrix = numbers.array(drawn)
        matrices.append(matrix)
        sending = layer.units
    return matrices


def generator(seed: Any) -> np.random.Generator:
    """numpy's random generator for `seed`. numpy.random is imported here by a statement:
    numpy's own lazy import of it, on first use of `np.random`, would lose a signal that
    arrived during that import."""
    import numpy.random

    return numpy.random.default_rng(seed)


def draw_random(
    scheme: RandomWeights,
    shape: tuple[int, int],
    *,
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
) -> Array:
    """One matrix from a random scheme; fans count real units, not the bias."""
    if scheme.init == "uniform":
        return rng.uniform(scheme.low, scheme.high, size=shape)
    if scheme.init == "normal":
        return rng.normal(scheme.mean, scheme.std, size=shape)
    if scheme.init == "xavier_uniform":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)
    if scheme.init == "xavier_normal":
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
    if scheme.init == "he_uniform":
        limit = np.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape)
    if scheme.init == "he_normal":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    raise AssertionError(f"unhandled weight scheme {scheme.init}")  # the schema allows no other


def losses_taken(spec: Spec) -> tuple[Loss, Loss]:
    """The loss whose value a run takes and the one whose derivative forms its output delta:
    the config's loss for both, but for the slips that drop the ½ from one of them."""
    slips, loss = spec.config.slip_set, LOSSES[spec.config.loss]
    without_half = LOSSES["sum_squared_error"]
    return (
        without_half if "half_dropped_from_loss" in slips else loss,
        without_half if "half_dropped_from_gradient" in slips else loss,
    )


class Network:
    """Weights plus the functions that use them. Only `weights` changes, and only by assignment."""

    def __init__(
        self, spec: Spec, weights: list[Array] | None = None, numbers: Numbers = FLOAT64
    ) -> None:
        self.numbers = numbers
        # Per weight layer: where its bias column is ("unit": first, "term": last, "none"),
        # and whether the layer shares one bias.
        self.layouts = [(layer.bias, layer.shared_bias) for layer in spec.names.layers[1:]]
        self.activations: list[Bound] = [
            ACTIVATIONS[layer.activation].bind(numbers, **dict(layer.parameters))
            for layer in spec.names.layers[1:]
        ]
        slips = spec.config.slip_set
        self.loss, self.gradient_loss = losses_taken(spec)
        self.flipped_error = "flipped_error_sign" in slips
        self.decimals = slips.decimals  # round every value the trace shows to this many, if set
        self.weights: list[Array] = (
            weights if weights is not None else initial_weights(spec, numbers)
        )
        self._ones_by_rows: dict[int, Array] = {}

    def kept(self, values: Array) -> Array:
        """The values as the run keeps them: rounded as it goes under round_as_you_go."""
        if self.decimals is None:
            return values
        return self.numbers.rounded(values, self.decimals)

    def _ones(self, rows: int) -> Array:
        """The bias units' column of ones for a batch of `rows`, made once per batch size."""
        if rows not in self._ones_by_rows:
            self._ones_by_rows[rows] = self.numbers.ones(rows)
        return self._ones_by_rows[rows]

    def forward(self, x: Array) -> ForwardPass:
        """h = W·[1, z_prev] and z = f(h), layer by layer, for a (samples, inputs) batch."""
        weighted_sums, rounding = self.numbers.weighted_sums, self.decimals is not None
        layer_inputs, hs, zs = [], [], []
        z = x
        ones = self._ones(len(z))
        for matrix, activation, (bias, _) in zip(self.weights, self.activations, self.layouts):
            if bias == "unit":
                layer_input = np.concatenate((ones, z), axis=1)
            elif bias == "term":
                layer_input = np.concatenate((z, ones), axis=1)
            else:
                layer_input = z
            h = weighted_sums(layer_input, matrix)
            if rounding:
                h = self.kept(h)
            z = activation.value(h)
            if rounding:
                z = self.kept(z)
            layer_inputs.append(layer_input)
            hs.append(h)
            zs.append(z)
        return ForwardPass(layer_inputs, hs, zs)

    def losses(self, forward: ForwardPass, y: Array) -> Array:
        """Each sample's loss, shape (samples,)."""
        return self.kept(self.loss.value(forward.h[-1], forward.z[-1], y, self.numbers))

    def backward(
        self,
        forward: ForwardPass,
        y: Array,
        through: list[Array] | None = None,
        traced: bool = True,
    ) -> Backward:
        """δ per layer: the loss's output delta, then δ_l = (Σ W_{l+1}·δ_{l+1}) ⊙ f'(h_l).

        The sum over the next layer's units leaves out the bias column, because a bias unit
        has no incoming links and so no delta. `through` are the weights the hidden deltas
        are taken through, when not the current ones (the stale_weights slip). Untraced,
        dL/dŷ is formed only where the loss's rule takes it.
        """
        numbers, kept, loss = self.numbers, self.kept, self.gradient_loss
        last = len(self.weights) - 1
        output = self.activations[last]
        loss_gradient = None
        if traced or loss.rule == "chain":
            loss_gradient = loss.gradient(forward.z[last], y, numbers)
            if self.flipped_error:
                loss_gradient = -loss_gradient  # y - ŷ where ŷ - y belongs
            loss_gradient = kept(loss_gradient)
        derivatives: list[Array | None] = [None] * len(self.weights)
        if loss.rule == "chain" and output.has_derivative:
            derivatives[last] = kept(output.derivative(forward.h[last], forward.z[last]))
        deltas: list[Array] = [None] * len(self.weights)  # type: ignore[list-item] # all set below
        deltas[last] = kept(
            loss.output_delta(
                forward.h[last], forward.z[last], y, output, loss_gradient, derivatives[last]
            )
        )
        for index in range(last - 1, -1, -1):
            outgoing = self.without_bias(index + 1, through)
            derivatives[index] = kept(
                self.activations[index].derivative(forward.h[index], forward.z[index])
            )
            flowing_back = numbers.backpropagated(deltas[index + 1], outgoing)
            deltas[index] = kept(flowing_back * derivatives[index])
        return Backward(deltas, derivatives, loss_gradient, through)

    def gradients(
        self, forward: ForwardPass, backward: Backward, per_sample: bool = True
    ) -> Gradients:
        """J'(W) = Z·δ for every weight and sample, and its mean over the batch. With
        `per_sample` false only the mean is kept (per_sample is then empty), formed in one
        pass where the run keeps every sample's product as it is."""
        layers = list(zip(backward.deltas, forward.layer_inputs, self.layouts))
        if not per_sample and self.decimals is None:
            return Gradients(
                [],
                [
                    self.numbers.batch_mean(self._per_sample(delta, layer_input, layout))
                    if layout[1]
                    else self.numbers.mean_gradients(delta, layer_input)
                    for delta, layer_input, layout in layers
                ],
            )
        each = [
            self._per_sample(delta, layer_input, layout) for delta, layer_input, layout in layers
        ]
        return Gradients(each, [self.kept(self.numbers.batch_mean(g)) for g in each])

    def _per_sample(self, delta: Array, layer_input: Array, layout: tuple[str, bool]) -> Array:
        """One layer's J'(W) for each sample of the batch."""
        numbers = self.numbers
        gradients = self.kept(numbers.per_sample_gradients(delta, layer_input))
        bias, shared = layout
        if shared:
            # One bias feeds every unit of the layer: its gradient is the sum of the units'
            # 1·δ, added in unit order, and every row holds it.
            column = 0 if bias == "unit" else -1
            total = self.kept(numbers.ordered_sum(gradients[:, :, column], axis=1))
            gradients[:, :, column] = total[:, None]
        return gradients

    def without_bias(self, index: int, weights: list[Array] | None = None) -> Array:
        """Weight matrix `index` (of `weights`, else the current ones) without its bias column:
        the links between real units."""
        bias, _ = self.layouts[index]
        matrix = (weights or self.weights)[index]
        return matrix[:, 1:] if bias == "unit" else matrix[:, :-1] if bias == "term" else matrix
