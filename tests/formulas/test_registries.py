"""The activation and loss registries: each entry is the only place its knowledge lives."""

from __future__ import annotations

import pytest

from backtrace.config import build_spec
from backtrace.errors import ConfigError
from backtrace.formulas import ACTIVATIONS, LOSSES
from helpers import article_document


def with_output(activation: str, loss: str) -> dict:
    document = article_document()
    document["layers"][-1] = {"units": 2, "activation": activation, "weights": 0.5}
    document["loss"] = loss
    document["data"] = [[0, 0, 1, 0], [1, 1, 0, 1]]
    return document


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_is_accepted_by_name(name: str) -> None:
    entry = ACTIVATIONS[name]
    assert entry.name == name and entry.formula and entry.derivative_formula
    loss = "squared_error"  # a loss that takes any output activation
    spec = build_spec(with_output(name, loss))
    assert spec.config.layers[-1].activation == name
    if entry.output_only:
        hidden = with_output(name, loss)
        hidden["layers"][0]["activation"] = name
        with pytest.raises(ConfigError, match="only allowed on the output layer"):
            build_spec(hidden)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_is_accepted_by_name_with_the_output_it_needs(name: str) -> None:
    entry = LOSSES[name]
    assert entry.name == name and entry.formula
    needed = entry.requires_output[0] if entry.requires_output else "identity"
    assert needed in ACTIVATIONS
    assert build_spec(with_output(needed, name)).config.loss == name
    if entry.requires_output:
        other = next(activation for activation in ACTIVATIONS if activation != needed)
        with pytest.raises(ConfigError, match=f"needs a {needed} output layer"):
            build_spec(with_output(other, name))


def test_unknown_names_list_the_registry() -> None:
    document = article_document()
    document["loss"] = "mse"
    with pytest.raises(ConfigError) as error:
        build_spec(document)
    assert all(name in str(error.value) for name in LOSSES)


def test_the_loss_reuses_the_softmax_parts_only_of_the_same_array():
    """softmax and the cross-entropy's ln softmax share s = h - max h and Σ e^s; the loss
    takes them from the output layer's softmax of the same h, to the same bits as afresh."""
    import numpy as np

    from backtrace.formulas import activations, losses
    from backtrace.formulas.numeric import FLOAT64

    rng = np.random.default_rng(3)
    h = rng.normal(0, 30, size=(7, 5))
    softmax = ACTIVATIONS["softmax"].bind(FLOAT64)
    loss = LOSSES["softmax_cross_entropy"]
    y = np.eye(5)[rng.integers(0, 5, size=7)]
    alone = loss.value(h.copy(), None, y, FLOAT64)  # nothing kept for this copy
    z = softmax.value(h)
    assert activations._last_parts[0] is h
    shared = loss.value(h, z, y, FLOAT64)
    assert shared.tobytes() == alone.tobytes()
    # ln softmax by hand, from numpy's own reductions: the same value to rounding.
    shifted = h - h.max(axis=1, keepdims=True)
    by_hand = -(y * (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))).sum(axis=1)
    np.testing.assert_allclose(shared, by_hand, rtol=1e-12, atol=1e-12)
    other = h * 2.0  # a different array: its own parts
    assert (
        losses._log_softmax(other, FLOAT64).tobytes() != losses._log_softmax(h, FLOAT64).tobytes()
    )


def test_softmax_parts_are_made_again_for_an_array_changed_in_place():
    import numpy as np
    import pytest as _pytest

    from backtrace.formulas import activations
    from backtrace.formulas.numeric import FLOAT64

    h = np.array([[1.0, 2.0, 3.0]])
    _, _, sums = activations.softmax_parts(h, FLOAT64)
    h[0, 0] = 100.0  # the same object, other numbers
    shifted, exponentials, again = activations.softmax_parts(h, FLOAT64)
    assert list(shifted[0]) == [0.0, -98.0, -97.0]  # 100 is now the row's largest
    assert again[0] != sums[0]
    with _pytest.raises(ValueError):  # the kept parts cannot be changed by a caller
        exponentials *= 0


def test_a_rows_largest_zero_shifts_by_plus_zero_at_every_width():
    """For a row holding both zeros, which one numpy's maximum.reduce returns depends on how
    its vector loop splits the row, which can differ from CPU to CPU. The softmax shifts by +0
    then, and x - (+0) is x to the bit, zeros' signs too: the shifted row is the row."""
    import numpy as np

    from backtrace.formulas import activations
    from backtrace.formulas.numeric import FLOAT64

    rng = np.random.default_rng(11)
    for width in range(1, 41):
        for _ in range(10):
            h = rng.choice([0.0, -0.0, -1.5, -300.0], size=(3, width))
            h[:, 0] = rng.choice([0.0, -0.0], size=3)  # every row's largest is a zero
            activations._last_parts = None
            shifted, exponentials, sums = activations.softmax_parts(h, FLOAT64)
            assert shifted.tobytes() == h.tobytes(), (width, h)
            assert (exponentials[h == 0] == 1.0).all()
    activations._last_parts = None
