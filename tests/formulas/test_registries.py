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
