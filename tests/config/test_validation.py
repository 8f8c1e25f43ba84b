"""The config validator's own cases: one declaration per field checks, defaults and describes."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle

import pytest

import backtrace
from backtrace.config.schema import Config, Layer, Optimizer, RandomWeights
from backtrace.config.validation import Field, Invalid, Model

LAYER = {"units": 1, "activation": "identity", "weights": 1}
DOCUMENT = {
    "inputs": 2,
    "layers": [LAYER],
    "loss": "article",
    "optimizer": {"learning_rate": 0.1},
    "data": [[0, 0, 0], [1, 1, 1]],
}


def refusal(**changes) -> str:
    """The one-line message for DOCUMENT with top-level fields changed."""
    with pytest.raises(backtrace.ConfigError) as error:
        backtrace.load({**DOCUMENT, **changes})
    return str(error.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epoch": 3}, "<dict>: epoch: unknown field 'epoch'; did you mean 'epochs'?"),
        (
            {"learning_rate": 0.1},
            "<dict>: learning_rate: unknown field 'learning_rate'; it belongs under "
            "optimizer.learning_rate",
        ),
        (
            {"loss": None},
            "<dict>: loss: None is not one of article, squared_error, "
            "sum_squared_error, mean_squared_error, binary_cross_entropy, softmax_cross_entropy",
        ),
        ({"loss": "bce"}, "did you mean 'binary_cross_entropy'?"),
        ({"epochs": 2.0}, "<dict>: epochs: input should be a valid integer (got 2.0)"),
        ({"epochs": True}, "<dict>: epochs: input should be a valid integer (got True)"),
        ({"epochs": 0}, "<dict>: epochs: input should be greater than or equal to 1 (got 0)"),
        ({"bias": "yes"}, "<dict>: bias: input should be a valid boolean (got 'yes')"),
        ({"title": 5}, "<dict>: title: input should be a valid string (got 5)"),
        (
            {"frozen": "bias"},
            "frozen: input should be a list (got 'bias'); write it as a list: [bias]",
        ),
        ({"layers": []}, "<dict>: layers: list should have at least 1 item, not 0"),
        ({"layers": [5]}, "<dict>: layers[0]: should be a mapping of fields (got 5)"),
        (
            {"inputs": {"units": 2, "names": 5}},
            "<dict>: inputs.names: input should be a list (got 5)",
        ),
        (
            {"inputs": {"units": 2, "unit_prefix": "x" * 17}},
            "inputs.unit_prefix: string should have at most 16 characters",
        ),
        (
            {"inputs": {"units": 2, "unit_prefix": "1X"}},
            "inputs.unit_prefix: string should match pattern '^[A-Za-z][A-Za-z0-9_]*$' (got '1X')",
        ),
        ({"inputs": {}}, "<dict>: inputs.units: is required but missing"),
        ({"title": "a\x1bb"}, "title: contains the control character \\x1b; write plain text"),
    ],
)
def test_each_mistake_gets_its_message(changes: dict, message: str) -> None:
    assert message in refusal(**changes)


@pytest.mark.parametrize("rate", ["0.1", True, math.nan, math.inf, -math.inf, 10**400])
def test_numbers_are_strict_and_finite(rate) -> None:
    message = refusal(optimizer={"learning_rate": rate})
    expected = "a finite number" if isinstance(rate, float) else "a valid number"
    assert f"optimizer.learning_rate: input should be {expected}" in message


@pytest.mark.parametrize(
    ("rate", "words"),
    [(0, "greater than 0 (got 0)"), (-1.5, "greater than 0 (got -1.5)")],
)
def test_ranges_show_the_value_as_written(rate, words: str) -> None:
    assert refusal(optimizer={"learning_rate": rate}).endswith(
        f"learning_rate: input should be {words}"
    )


def test_a_whole_number_is_a_number_where_a_number_belongs() -> None:
    optimizer = Config.validate({**DOCUMENT, "optimizer": {"learning_rate": 1}}).optimizer
    assert optimizer.learning_rate == 1.0 and isinstance(optimizer.learning_rate, float)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (0.5, "ConstantWeights(init='constant', value=0.5)"),
        ([[1, 2, 3]], "MatrixWeights(init='matrix', rows=((1.0, 2.0, 3.0),))"),
        ({"init": "he"}, "RandomWeights(init='he_normal'"),
        ({"init": "uniform", "low": -2}, "RandomWeights(init='uniform', low=-2.0"),
    ],
)
def test_weight_schemes_are_chosen_by_their_tag(weights, expected: str) -> None:
    layer = Config.validate({**DOCUMENT, "layers": [{**LAYER, "weights": weights}]}).layers[0]
    assert repr(layer.weights).startswith(expected)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"init": "gauss"}, "layers[0].weights: unknown weight scheme 'gauss'; use a number"),
        (
            {"std": 1},
            "layers[0].weights: needs a number, a matrix (list of rows), or a mapping with 'init'",
        ),
        (
            "one",
            "layers[0].weights: needs a number, a matrix (list of rows), or a mapping with 'init' (got 'one')",
        ),
        (
            {"init": "normal", "low": 0},
            "layers[0].weights: low has no effect on normal; it takes mean, std",
        ),
        (
            {"init": "normal", "std": 0},
            "layers[0].weights.std: input should be greater than 0 (got 0)",
        ),
        ([[1, "a", 1]], "layers[0].weights[0][1]: input should be a valid number (got 'a')"),
        # The fields known are the named scheme's own, not another scheme's.
        ({"init": "uniform", "lo": 0}, "unknown field 'lo'; did you mean 'low'?"),
        (
            {"init": "he", "xyz": 0},
            "unknown field 'xyz'; known fields: init, low, high, mean, std, bias",
        ),
    ],
)
def test_weight_scheme_mistakes(weights, message: str) -> None:
    assert message in refusal(layers=[{**LAYER, "weights": weights}])


def test_a_misspelt_field_is_named_rather_than_the_one_then_missing() -> None:
    message = refusal(optimizer={"lerning_rate": 0.1})
    assert (
        message
        == "<dict>: optimizer.lerning_rate: unknown field 'lerning_rate'; did you mean 'learning_rate'?"
    )


def test_models_are_frozen_and_compare_by_value() -> None:
    config = Config.validate(DOCUMENT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.epochs = 3  # type: ignore[misc]
    assert config == Config.validate(DOCUMENT) and hash(config) == hash(Config.validate(DOCUMENT))
    assert dataclasses.is_dataclass(config) and isinstance(config.layers, tuple)
    for copied in (pickle.loads(pickle.dumps(config)), copy.deepcopy(config)):
        assert copied == config and copied.fields_set == config.fields_set


def test_keywords_are_checked_as_a_document_is() -> None:
    assert RandomWeights(init="he_normal").std == 1.0
    with pytest.raises(Invalid) as error:
        Layer(units=0, activation="tanh")
    assert [(problem.location, problem.kind) for problem in error.value.problems] == [
        (("units",), "wrong")
    ]
    with pytest.raises(Invalid):
        Optimizer(learning_rate=0.1, momentum=0.9)  # gradient descent takes no momentum


def test_the_document_holds_only_what_was_written() -> None:
    config = Config.validate({**DOCUMENT, "epochs": 3})
    written = config.as_document()
    assert set(written) == {*DOCUMENT, "epochs"}
    assert written["optimizer"] == {"learning_rate": 0.1}
    assert written["layers"] == [
        {"units": 1, "activation": "identity", "weights": {"init": "constant", "value": 1.0}}
    ]
    assert Config.validate(written) == config


class Counted(Model):
    count: int = Field(default=1, ge=1)


class Named(Counted):
    name: "str" = "x"  # noqa: UP037 - text, as `from __future__ import annotations` leaves it


def test_inherited_and_textual_hints_are_read_too() -> None:
    made = Named.validate({"count": 2, "name": "y"})
    assert (made.count, made.name, made.fields_set) == (2, "y", {"count", "name"})
    with pytest.raises(Invalid) as error:
        Named(count=0)
    assert error.value.problems[0].detail == "input should be greater than or equal to 1"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (True, "data.rows[2][1]: input should be a valid number (got True)"),
        ("1.5", "data.rows[2][1]: input should be a valid number (got '1.5')"),
        (math.nan, "data.rows[2][1]: input should be a finite number (got nan)"),
        (10**400, "data.rows[2][1]: input should be a valid number (got 1000"),
    ],
)
def test_a_bad_number_among_many_rows_is_named(bad, message: str) -> None:
    rows = [[0.5, 1, 0.0] for _ in range(3)]
    rows[2][1] = bad
    assert f"<dict>: {message}" in refusal(data=rows)


def test_rows_of_numbers_become_tuples_of_floats() -> None:
    for rows in ([[0, 1, 1], [1.5, 0.0, 2]], [[0.5, 1.0, 0.0]], [(0.5, 1.0, 0.0)]):
        kept = Config.validate({**DOCUMENT, "data": rows}).data.rows
        assert kept == tuple(tuple(float(x) for x in row) for row in rows)
        assert {type(x) for row in kept for x in row} == {float} and type(kept[0]) is tuple


@pytest.mark.parametrize("prefix", ["X\n", "X\nY", "1X", ""])
def test_a_pattern_holds_to_the_end_of_the_text(prefix: str) -> None:
    message = refusal(inputs={"units": 2, "unit_prefix": prefix})
    assert (
        f"inputs.unit_prefix: string should match pattern '^[A-Za-z][A-Za-z0-9_]*$' (got {prefix!r})"
        in message
    )


def test_a_python_caller_may_give_a_set_where_a_list_belongs() -> None:
    assert (
        backtrace.load({**DOCUMENT, "frozen": {"bias"}}).frozen
        == backtrace.load({**DOCUMENT, "frozen": ["bias"]}).frozen
    )
