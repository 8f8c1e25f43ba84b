"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

OUTPUT_FOR_LOSS = {
    "squared_error": ["identity", "sigmoid", "tanh", "softmax"],
    "mean_squared_error": ["identity", "sigmoid", "tanh", "leaky_relu"],
    "sum_squared_error": ["identity", "sigmoid", "tanh", "relu"],
    "binary_cross_entropy": ["sigmoid"],
    "softmax_cross_entropy": ["softmax"],
}


@st.composite
def networks(draw, batches: bool = False):
    """A small random network, loss and data, as a config document; with `batches`, one
    update per sample or one per epoch."""
    loss = draw(st.sampled_from(sorted(OUTPUT_FOR_LOSS)))
    output_activation = draw(st.sampled_from(OUTPUT_FOR_LOSS[loss]))
    inputs = draw(st.integers(1, 3))
    hidden = draw(
        st.lists(
            st.tuples(
                st.integers(1, 3),
                st.sampled_from(["identity", "sigmoid", "tanh", "relu", "leaky_relu"]),
            ),
            max_size=2,
        )
    )
    outputs = draw(st.integers(2 if "softmax" in (loss, output_activation) else 1, 3))
    samples = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    bias = draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, inputs))
    if loss == "softmax_cross_entropy":
        y = np.eye(outputs)[rng.integers(0, outputs, size=samples)]
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(samples, outputs)).astype(float)
    else:
        y = rng.normal(size=(samples, outputs))
    layers = [
        {"units": units, "activation": activation, "weights": {"init": "normal", "std": 0.8}}
        for units, activation in hidden
    ]
    layers.append(
        {
            "units": outputs,
            "activation": output_activation,
            "weights": {"init": "normal", "std": 0.8},
        }
    )
    # The textbook conventions: a bias per layer (per unit, shared by the layer, or none),
    # written as bias units or as terms, and leaky_relu's slope.
    for layer in layers:
        layer["bias"] = draw(st.sampled_from([True, False, "shared"]))
        if layer["activation"] == "leaky_relu":
            layer["slope"] = draw(st.sampled_from([0.01, 0.2, 0.5]))
    batch = draw(st.sampled_from([1, "all"])) if batches else "all"
    return {
        "inputs": inputs,
        "layers": layers,
        "bias": bias,
        "bias_notation": draw(st.sampled_from(["unit", "term"])),
        "loss": loss,
        "optimizer": {"learning_rate": 0.1, "batch_size": batch},
        "seed": seed,
        "data": np.hstack([x, y]).tolist(),
    }
