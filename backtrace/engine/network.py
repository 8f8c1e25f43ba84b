"""The network's arithmetic: initial weights, the forward pass, deltas and gradients.

Everything works a layer at a time on (samples, units) arrays. Nothing here changes the weights:
`backward` and `gradients` read them, and the trainer applies updates as a separate step.
Index note: `weights[l]` is the matrix *into* layer l+1 (layer 0 being the inputs), with one row
per receiving unit and the bias column first, so `weights[0][j-1, k]` is the article's W_jk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtrace.config import Spec
from backtrace.config.schema import ConstantWeights, MatrixWeights, RandomWeights
from backtrace.engine.activations import ACTIVATIONS, Activation
from backtrace.engine.losses import LOSSES, Loss

Array = np.ndarray


# Overflow to inf and inf - inf are expected when training diverges; the trainer reports them
# as a `diverged` record, so numpy's warnings would only be noise on stderr.
def quiet() -> np.errstate:
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


@dataclass(frozen=True)
class ForwardPass:
    """What the forward pass computed for a batch, layer by layer (index l = layer l+1)."""

    layer_inputs: list[Array]  # (samples, 1 + sending units) with bias, else (samples, sending)
    h: list[Array]  # (samples, units): weighted sums
    z: list[Array]  # (samples, units): activations


def initial_weights(spec: Spec) -> list[Array]:
    """Weight matrices as the config describes them; random schemes draw from `seed` in order."""
    rng = np.random.default_rng(spec.config.seed)
    bias_columns = 1 if spec.config.bias else 0
    matrices = []
    sending = spec.config.inputs.units
    for layer in spec.config.layers:
        shape = (layer.units, sending + bias_columns)
        scheme = layer.weights
        if isinstance(scheme, ConstantWeights):
            matrix = np.full(shape, scheme.value, dtype=np.float64)
        elif isinstance(scheme, MatrixWeights):
            matrix = np.array(scheme.rows, dtype=np.float64)
        else:
            matrix = draw_random(scheme, shape, fan_in=sending, fan_out=layer.units, rng=rng)
            if scheme.bias is not None and bias_columns:
                matrix[:, 0] = scheme.bias
        matrices.append(matrix)
        sending = layer.units
    return matrices


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


class Network:
    """Weights plus the functions that use them. Only `weights` changes, and only by assignment."""

    def __init__(self, spec: Spec, weights: list[Array] | None = None) -> None:
        self.bias = spec.config.bias
        self.activations: list[Activation] = [
            ACTIVATIONS[layer.activation] for layer in spec.config.layers
        ]
        self.loss: Loss = LOSSES[spec.config.loss]
        self.weights: list[Array] = weights if weights is not None else initial_weights(spec)

    def forward(self, x: Array) -> ForwardPass:
        """h = W·[1, z_prev] and z = f(h), layer by layer, for a (samples, inputs) batch."""
        with quiet():
            layer_inputs, hs, zs = [], [], []
            z = x
            for matrix, activation in zip(self.weights, self.activations):
                layer_input = np.hstack([np.ones((len(z), 1)), z]) if self.bias else z
                h = layer_input @ matrix.T
                z = activation.value(h)
                layer_inputs.append(layer_input)
                hs.append(h)
                zs.append(z)
        return ForwardPass(layer_inputs, hs, zs)

    def losses(self, forward: ForwardPass, y: Array) -> Array:
        """Each sample's loss, shape (samples,)."""
        with quiet():
            return self.loss.value(forward.h[-1], forward.z[-1], y)

    def backward(self, forward: ForwardPass, y: Array) -> list[Array]:
        """δ per layer: the loss's output delta, then δ_l = (δ_{l+1}·W_{l+1}) ⊙ f'(h_l).

        The sum over the next layer's units is the matrix product; the bias column is left out
        because a bias unit has no incoming links and so no delta.
        """
        with quiet():
            deltas = [np.empty(0)] * len(self.weights)
            deltas[-1] = self.loss.output_delta(
                forward.h[-1], forward.z[-1], y, self.activations[-1]
            )
            for index in range(len(self.weights) - 2, -1, -1):
                outgoing = self.weights[index + 1][:, 1:] if self.bias else self.weights[index + 1]
                derivative = self.activations[index].derivative
                assert derivative is not None  # softmax is only allowed on the output layer
                deltas[index] = (deltas[index + 1] @ outgoing) * derivative(
                    forward.h[index], forward.z[index]
                )
        return deltas

    def gradients(self, forward: ForwardPass, deltas: list[Array]) -> list[Array]:
        """J'(W) = Z·δ for every weight, averaged over the batch."""
        with quiet():
            return [
                delta.T @ layer_input / len(delta)
                for delta, layer_input in zip(deltas, forward.layer_inputs)
            ]
