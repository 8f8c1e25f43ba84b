"""Config loading: what good configs become, and the one-line message each bad one gets."""

from __future__ import annotations

import io
import json
import re

import pytest
import yaml

from backtrace.config import build_spec, load_config
from backtrace.config.loading import apply_override, parse_override
from backtrace.errors import ConfigError
from helpers import CONFIGS, article_document

ARTICLE_YAML = (CONFIGS / "xor.yaml").read_text()


def write(tmp_path, text: str, name: str = "net.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_yaml_and_json_give_the_same_spec(tmp_path) -> None:
    document = yaml.safe_load(ARTICLE_YAML)
    from_yaml = load_config(write(tmp_path, ARTICLE_YAML))
    from_json = load_config(write(tmp_path, json.dumps(document), "net.json"))
    assert from_yaml.config == from_json.config
    assert (from_yaml.inputs == from_json.inputs).all()


def test_stdin(tmp_path) -> None:
    spec = load_config("-", stdin=io.StringIO(ARTICLE_YAML))
    assert spec.source == "<stdin>" and spec.config.loss == "article"


def test_csv_data_relative_to_the_config(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "xor.csv").write_text("x1,x2,y\n0,0,0\n0,1,1\n\n1,0,1\n1,1,0\n")
    document = article_document() | {"data": {"csv": "data/xor.csv"}}
    path = write(tmp_path, yaml.safe_dump(document))
    spec = load_config(path)
    assert spec.inputs.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert spec.targets.tolist() == [[0], [1], [1], [0]]


def test_overrides_and_epochs(tmp_path) -> None:
    spec = load_config(
        str(CONFIGS / "xor.yaml"),
        overrides=["optimizer.learning_rate=0.5", "layers[0].activation=tanh", "frozen=[bias]"],
        epochs=7,
    )
    assert spec.config.optimizer.learning_rate == 0.5
    assert spec.config.layers[0].activation == "tanh"
    assert spec.config.epochs == 7
    assert spec.frozen == {"W10", "W20", "W30", "V00"}


def test_override_parsing() -> None:
    assert parse_override("layers.1.units=4") == (("layers", 1, "units"), 4)
    assert parse_override("title=Hello there") == (("title",), "Hello there")
    assert apply_override({"a": [{"b": 1}]}, ("a", 0, "b"), 2) == {"a": [{"b": 2}]}


def test_weight_shorthands() -> None:
    layers = [
        {"units": 2, "activation": "tanh", "weights": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]},
        {"units": 1, "activation": "identity", "weights": {"init": "glorot"}},
    ]
    config = build_spec(article_document() | {"layers": layers}).config
    assert config.layers[0].weights.rows[1] == (0.4, 0.5, 0.6)
    assert config.layers[1].weights.init == "xavier_uniform"


BAD = [
    # (change to the article's document, field in the message, words in the message)
    ({"loss": "squared_eror"}, "loss", "did you mean 'squared_error'"),
    ({"layers": [{"units": 3, "activation": "sigmoidd"}, {"units": 1, "activation": "identity"}]},
     "layers[0].activation", "did you mean 'sigmoid'"),
    ({"optimizer": {"learnig_rate": 0.1}}, "optimizer.learnig_rate", "did you mean 'learning_rate'"),
    ({"optimizer": {"learning_rate": -1}}, "optimizer.learning_rate", "greater than 0"),
    ({"optimizer": {"learning_rate": "0.1"}}, "optimizer.learning_rate", "number"),
    ({"optimizer": {"learning_rate": 0.1, "batch_size": 0}}, "optimizer.batch_size", "1 or more"),
    ({"optimizer": {"learning_rate": 0.1, "batch_size": 9}}, "optimizer.batch_size", "only 4 samples"),
    ({"epochs": 0}, "epochs", "greater than or equal to 1"),
    ({"inputs": 3}, "data.rows[0]", "each sample needs 4"),
    ({"data": []}, "data.rows", "no samples"),
    ({"layers": [{"units": 3, "activation": "identity", "weights": [[1, 1, 1]]}, {"units": 1, "activation": "identity"}]},
     "layers[0].weights", "3 rows (one per receiving unit) of 3 numbers"),
    ({"layers": [{"units": 1, "activation": "identity", "weights": [[1, 1]]}, {"units": 1, "activation": "identity"}]},
     "layers[0].weights[0]", "has 2 numbers"),
    ({"layers": [{"units": 3, "activation": "identity", "weights": {"init": "xavierr"}}, {"units": 1, "activation": "identity"}]},
     "layers[0].weights", "did you mean 'xavier'"),
    ({"layers": [{"units": 3, "activation": "softmax"}, {"units": 1, "activation": "identity"}]},
     "layers[0].activation", "only allowed on the output layer"),
    ({"loss": "binary_cross_entropy"}, "loss", "needs a sigmoid output layer"),
    ({"frozen": ["Q*"]}, "frozen[0]", "matches no weight"),
    ({"frozen": ["W01"]}, "frozen[0]", "did you mean"),
    ({"bias": "yes"}, "bias", "boolean"),
    ({"layers": []}, "layers", "at least 1"),
    ({"layers": [{"units": 3, "activation": "identity", "unit_prefix": "X"}, {"units": 1, "activation": "identity"}]},
     "layers", "would be given to two things"),
    ({"reference": {"values": [{"quantity": "new", "name": "W99", "printed": 1}]}}, "reference.values[0].name", "not a weight"),
    ({"colour": "blue"}, "colour", "unknown field 'colour'"),
    ({"seed": -1}, "seed", "greater than or equal to 0"),
    ({"layers": [{"units": 3, "activation": "tanh", "weights": {"init": "xavier", "low": -2}}, {"units": 1, "activation": "identity"}]},
     "layers[0].weights", "low has no effect on xavier_uniform"),
    ({"layers": [{"units": 1, "activation": "tanh", "weights": [[1, 1, "x"]]}, {"units": 1, "activation": "identity"}]},
     "layers[0].weights[0][2]", "valid number"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "words"), BAD)
def test_bad_config_names_the_field(change: dict, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_spec(article_document() | change, "net.yaml")
    message = str(caught.value)
    assert caught.value.field == field
    assert message.startswith("net.yaml") and f" {field}: " in message and words in message
    assert "\n" not in message


def test_missing_field(tmp_path) -> None:
    document = article_document()
    del document["loss"]
    with pytest.raises(ConfigError, match=r"net.yaml: loss: is required but missing"):
        build_spec(document, "net.yaml")


def test_line_numbers_point_at_the_field(tmp_path) -> None:
    text = ARTICLE_YAML.replace("activation: identity", "activation: sigmoidd", 1)
    path = write(tmp_path, text)
    expected_line = next(i for i, line in enumerate(text.splitlines(), 1) if "sigmoidd" in line)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.line == expected_line
    assert str(caught.value).startswith(f"{path}:{expected_line}: layers[0].activation: ")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("inputs: [1, 2\n", "invalid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("loss: article\nloss: squared_error\n", "appears twice"),
        ("", "must be a mapping"),
    ],
)
def test_unreadable_documents(tmp_path, text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_config(write(tmp_path, text))


def test_bad_json_has_a_line(tmp_path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, '{\n "inputs": 2,\n "loss": }', "net.json"))
    assert caught.value.line == 3 and "invalid JSON" in str(caught.value)


def test_missing_file_and_bad_override(tmp_path) -> None:
    with pytest.raises(ConfigError, match="nope.yaml: no such file"):
        load_config(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="--set: .*PATH=VALUE"):
        load_config(str(CONFIGS / "xor.yaml"), overrides=["learning_rate"])
    with pytest.raises(ConfigError, match=r"--set: layers\[5\]"):
        load_config(str(CONFIGS / "xor.yaml"), overrides=["layers[5].units=2"])


def test_lines_inside_an_overridden_value_are_forgotten(tmp_path) -> None:
    # The file's `frozen: []` sits on some line; after --set replaces the list, an error inside
    # the new list must not point at the file.
    path = write(tmp_path, yaml.safe_dump(article_document() | {"frozen": ["W10"]}))
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides=["frozen=[W9]"])
    assert caught.value.field == "frozen[0]" and caught.value.line is None


def test_csv_errors_count_file_lines(tmp_path) -> None:
    (tmp_path / "d.csv").write_text("x1,x2,y\n0,0,0\n0,1\n")
    path = write(tmp_path, yaml.safe_dump(article_document() | {"data": {"csv": "d.csv"}}))
    with pytest.raises(ConfigError, match="data.csv: d.csv line 3 has 2 values"):
        load_config(path)


def test_missing_csv(tmp_path) -> None:
    path = write(tmp_path, yaml.safe_dump(article_document() | {"data": {"csv": "gone.csv"}}))
    with pytest.raises(ConfigError, match="data.csv: cannot read gone.csv"):
        load_config(path)


def test_yaml_exponent_floats(tmp_path) -> None:
    text = ARTICLE_YAML.replace("learning_rate: 0.1", "learning_rate: 1e-3")
    assert load_config(write(tmp_path, text)).config.optimizer.learning_rate == 0.001
    spec = load_config(str(CONFIGS / "xor.yaml"), overrides=["optimizer.learning_rate=2E-2"])
    assert spec.config.optimizer.learning_rate == 0.02


def test_byte_order_marks_are_ignored(tmp_path) -> None:
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbf0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    path = write(
        tmp_path, "\ufeff" + yaml.safe_dump(article_document() | {"data": {"csv": "d.csv"}})
    )
    assert len(load_config(path).inputs) == 4  # the first row is data, not a header


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        (
            "inputs: 2\nlayers: [{units: 100000000, activation: identity}]\n",
            "less than or equal to 4096",
        ),
        (
            "inputs: 2\nlayers: [{units: 1, activation: identity, weights: " + "9" * 400 + "}]\n",
            "layers[0].weights",
        ),
    ],
)
def test_hostile_documents_get_a_message(tmp_path, text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_config(write(tmp_path, text))


def test_errors_in_overridden_values_name_the_override() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(str(CONFIGS / "xor.yaml"), overrides=["optimizer.learning_rate=-1"])
    assert str(caught.value).startswith("--set: optimizer.learning_rate: ")
