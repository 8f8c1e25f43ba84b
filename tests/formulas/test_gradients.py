"""Deltas and gradients against central finite differences, on small random networks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from backtrace.config import build_spec
from backtrace.engine.network import Network
from backtrace.formulas import ACTIVATIONS, LOSSES
from backtrace.formulas.numeric import FLOAT64
from backtrace.records import bias_column
from strategies import networks

EPSILON = 1e-6


def central_difference(function, x: np.ndarray) -> np.ndarray:
    """d function / dx, one coordinate at a time: (f(x + ε) - f(x - ε)) / 2ε."""
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = EPSILON
        gradient[index] = (function(x + step) - function(x - step)) / (2 * EPSILON)
    return gradient


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"softmax"}))
def test_activation_derivative(name: str) -> None:
    activation = ACTIVATIONS[name].bind()
    # Points away from 0, where relu and leaky_relu have their kink.
    h = np.array([[-3.0, -0.7, -0.01, 0.02, 0.5, 2.5]])
    z = activation.value(h)
    numeric = np.array(
        [
            [
                (activation.value(h + EPSILON)[0, i] - activation.value(h - EPSILON)[0, i])
                / (2 * EPSILON)
                for i in range(h.shape[1])
            ]
        ]
    )
    assert activation.derivative(h, z) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_activation_values_by_hand() -> None:
    h = np.array([[0.0, 2.0, -2.0]])
    assert ACTIVATIONS["sigmoid"].bind().value(h) == pytest.approx(
        np.array([[0.5, 1 / (1 + np.exp(-2)), 1 / (1 + np.exp(2))]])
    )
    assert ACTIVATIONS["relu"].bind().value(h).tolist() == [[0.0, 2.0, 0.0]]
    assert ACTIVATIONS["leaky_relu"].bind().value(h).tolist() == [[0.0, 2.0, -0.02]]
    assert ACTIVATIONS["softmax"].bind().value(np.array([[0.0, np.log(3.0)]])) == pytest.approx(
        np.array([[0.25, 0.75]])
    )
    # Large inputs must not overflow.
    assert ACTIVATIONS["sigmoid"].bind().value(np.array([[-1000.0, 1000.0]])).tolist() == [
        [0.0, 1.0]
    ]


def test_softmax_backward_is_the_jacobian_product() -> None:
    rng = np.random.default_rng(3)
    h = rng.normal(size=(1, 4))
    upstream = rng.normal(size=(1, 4))
    softmax = ACTIVATIONS["softmax"].bind()
    numeric = central_difference(lambda x: float(np.sum(upstream * softmax.value(x))), h)
    assert softmax.backward(h, softmax.value(h), upstream) == pytest.approx(
        numeric, rel=1e-6, abs=1e-9
    )


@pytest.mark.parametrize(
    "name", ["squared_error", "sum_squared_error", "mean_squared_error", "binary_cross_entropy"]
)
def test_loss_gradient_with_respect_to_outputs(name: str) -> None:
    """dL/dŷ, which the chain rule uses and the trace prints, against finite differences in ŷ."""
    loss = LOSSES[name]
    z = np.array([[0.2, 0.7, 0.45]])
    y = np.array([[0.0, 1.0, 0.0]])
    logit = lambda x: np.log(x / (1 - x))  # noqa: E731  (the cross-entropy reads h = logit ŷ)
    numeric = central_difference(lambda x: float(loss.value(logit(x), x, y, FLOAT64)[0]), z)
    assert loss.gradient(z, y, FLOAT64) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_softmax_cross_entropy_gradient_is_minus_y_over_y_hat() -> None:
    z = np.array([[0.2, 0.5, 0.3]])
    y = np.array([[0.0, 1.0, 0.0]])
    numeric = central_difference(lambda x: float(-np.sum(y * np.log(x))), z)
    assert LOSSES["softmax_cross_entropy"].gradient(z, y, FLOAT64) == pytest.approx(
        numeric, rel=1e-6
    )


@pytest.mark.parametrize(
    ("name", "activation"),
    [
        (loss, activation)
        for loss in ("squared_error", "sum_squared_error", "mean_squared_error")
        for activation in ("identity", "sigmoid", "tanh", "softmax")
    ]
    + [("binary_cross_entropy", "sigmoid"), ("softmax_cross_entropy", "softmax")],
)
def test_output_delta_is_dL_dh(name: str, activation: str) -> None:
    loss, function = LOSSES[name], ACTIVATIONS[activation].bind()
    h = np.array([[0.3, -1.2, 0.8]])
    y = np.array([[0.0, 1.0, 0.0]])
    numeric = central_difference(
        lambda x: float(loss.value(x, function.value(x), y, FLOAT64)[0]), h
    )
    z = function.value(h)
    derivative = function.derivative(h, z) if function.has_derivative else None
    assert loss.output_delta(
        h, z, y, function, loss.gradient(z, y, FLOAT64), derivative
    ) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_loss_values_by_hand() -> None:
    z, y = np.array([[4.0]]), np.array([[0.0]])
    assert LOSSES["article"].value(z, z, y, FLOAT64).tolist() == [-4.0]
    assert LOSSES["squared_error"].value(z, z, y, FLOAT64).tolist() == [8.0]  # ½·(4 - 0)²
    assert LOSSES["sum_squared_error"].value(z, z, y, FLOAT64).tolist() == [16.0]  # (4 - 0)²
    assert LOSSES["sum_squared_error"].gradient(z, y, FLOAT64).tolist() == [[8.0]]  # 2·(4 - 0)
    assert LOSSES["mean_squared_error"].value(
        np.array([[1.0, 3.0]]), np.array([[1.0, 3.0]]), np.array([[0.0, 0.0]]), FLOAT64
    ).tolist() == [5.0]
    # Binary cross-entropy at h = 0 (ŷ = 0.5) is ln 2 whatever the target.
    assert LOSSES["binary_cross_entropy"].value(
        np.array([[0.0]]), np.array([[0.5]]), np.array([[1.0]]), FLOAT64
    ) == pytest.approx([np.log(2)])


@settings(max_examples=60, deadline=None)
@given(networks())
def test_backprop_gradient_matches_finite_differences(document: dict) -> None:
    spec = build_spec(document)
    network = Network(spec)
    forward = network.forward(spec.inputs)
    # Skip draws that sit on a relu kink, where the derivative is not defined.
    if any(abs(h).min() < 1e-4 for h in forward.h[:-1]):
        return
    analytic = network.gradients(forward, network.backward(forward, spec.targets)).mean

    for layer, matrix in enumerate(network.weights):

        def mean_loss(candidate: np.ndarray, layer: int = layer) -> float:
            weights = [
                candidate if index == layer else w for index, w in enumerate(network.weights)
            ]
            trial = Network(spec, weights)
            return float(np.mean(trial.losses(trial.forward(spec.inputs), spec.targets)))

        names = spec.names.layers[layer + 1]
        if names.shared_bias:
            # One bias for the whole layer: it moves as one, all rows of its column together.
            column = bias_column(names)
            tied = np.zeros_like(matrix)
            tied[:, column] = EPSILON
            shared = (mean_loss(matrix + tied) - mean_loss(matrix - tied)) / (2 * EPSILON)
            assert analytic[layer][:, column] == pytest.approx(shared, rel=1e-4, abs=1e-6)
            others = np.delete(np.arange(matrix.shape[1]), column)
            numeric = central_difference(mean_loss, matrix)[:, others]
            assert analytic[layer][:, others] == pytest.approx(numeric, rel=1e-4, abs=1e-6)
        else:
            numeric = central_difference(mean_loss, matrix)
            assert analytic[layer] == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_article_delta_is_the_signed_error_not_a_gradient() -> None:
    document = {
        "inputs": 1,
        "layers": [{"units": 1, "activation": "sigmoid", "weights": 0.5}],
        "loss": "article",
        "optimizer": {"learning_rate": 0.1},
        "data": [[2.0, 1.0]],
    }
    spec = build_spec(document)
    network = Network(spec)
    forward = network.forward(spec.inputs)
    y_hat = 1 / (1 + np.exp(-(0.5 + 0.5 * 2.0)))
    assert network.backward(forward, spec.targets).deltas[0][0, 0] == pytest.approx(1.0 - y_hat)
