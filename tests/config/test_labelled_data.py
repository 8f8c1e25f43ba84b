"""A CSV column of class labels as the targets: one-hot, one output unit per class."""

from __future__ import annotations

import numpy as np
import pytest

import backtrace
from helpers import CONFIGS


def network(tmp_path, text: str, outputs: int = 3, target: str = "kind") -> dict:
    (tmp_path / "data.csv").write_text(text)
    return {
        "inputs": 2,
        "layers": [{"units": outputs, "activation": "softmax", "weights": 0}],
        "loss": "softmax_cross_entropy",
        "optimizer": {"learning_rate": 0.1},
        "data": {"csv": str(tmp_path / "data.csv"), "target": target},
    }


def test_labels_become_one_hot_targets_in_sorted_order(tmp_path) -> None:
    spec = backtrace.load(network(tmp_path, "a,kind,b\n1,dog,2\n3,cat,4\n5,emu,6\n7,cat,8\n"))
    assert spec.classes == ("cat", "dog", "emu")
    assert spec.inputs.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]  # every other column
    assert spec.targets.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]]
    note = next(r for r in backtrace.run(spec) if r.event == "note" and r.topic == "classes")
    assert "D0 is cat, D1 is dog, D2 is emu" in note.text


def test_numeric_labels_sort_as_numbers(tmp_path) -> None:
    spec = backtrace.load(network(tmp_path, "a,b,kind\n1,2,10\n3,4,9\n5,6,100\n"))
    assert spec.classes == ("9", "10", "100")


@pytest.mark.parametrize(
    ("text", "changes", "words"),
    [
        ("a,b,kinds\n1,2,x\n", {}, "has no column 'kind' in its header; did you mean 'kinds'?"),
        ("a,b,c,kind\n1,2,3,x\n", {}, "has 3 columns besides kind, but the network has 2 inputs"),
        (
            "a,kind,b\n1,x,2\n3,y,4\n",
            {},
            "holds 2 classes (x, y), but the output layer has 3 units",
        ),
        ("a,kind,b\n1,x,2\nthree,y,4\n", {}, "line 3: every input must be a number, and 'three'"),
        ("a,kind,b\n1,x\n", {}, "line 2: has 2 cells but the header names 3"),
    ],
)
def test_mistakes_name_the_column_or_line(tmp_path, text: str, changes: dict, words: str) -> None:
    with pytest.raises(backtrace.ConfigError) as error:
        backtrace.load(network(tmp_path, text) | changes)
    assert words in str(error.value), str(error.value)


def test_a_target_needs_a_csv_file() -> None:
    document = backtrace.load("xor").config.as_document()
    document["data"] = {"rows": [[0, 0, 0]], "target": "y"}
    with pytest.raises(backtrace.ConfigError, match="target names a column of a CSV file"):
        backtrace.load(document)


def test_iris_reaches_its_documented_accuracy() -> None:
    trace = backtrace.run("iris", trace="none")
    last = [r for r in trace.records if r.event == "epoch"][-1]  # kept: used twice
    assert (last.epoch, last.correct, last.accuracy) == (100, 147, 0.98)
    # The final weights, run by hand over the 150 flowers: 148 predicted right.
    first, second = trace.final_weights
    x = np.loadtxt(CONFIGS / "iris.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))
    hidden = np.tanh(np.hstack([np.ones((150, 1)), x]) @ first.T)
    predicted = (np.hstack([np.ones((150, 1)), hidden]) @ second.T).argmax(axis=1)
    species = np.loadtxt(CONFIGS / "iris.csv", delimiter=",", skiprows=1, usecols=4, dtype=str)
    truth = np.searchsorted(["setosa", "versicolor", "virginica"], species)
    assert (predicted == truth).sum() == 148
