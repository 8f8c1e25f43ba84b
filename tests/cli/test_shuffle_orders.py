"""Shuffled runs show the sample order of traced epochs only (issue 18): an untraced epoch
is one summary line, not a line of 150 sample numbers besides."""

from __future__ import annotations

import json

from helpers import invoke_in

ORDER_LINE = "takes the samples in this order"


def test_untraced_epochs_do_not_print_their_order() -> None:
    # iris shuffles (configs/iris.yaml: shuffle: true); five epochs, none traced.
    result = invoke_in(["run", "iris", "--epochs", "5", "--trace", "none", "--format", "text"])
    assert result.status == 0
    assert ORDER_LINE not in result.stdout
    assert sum(line.startswith("Epoch ") for line in result.stdout.splitlines()) == 5


def test_a_traced_epochs_order_is_the_order_its_samples_are_used_in() -> None:
    result = invoke_in(["run", "iris", "--epochs", "5", "--trace", "3", "--format", "jsonl"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    shuffles = [row for row in rows if row["event"] == "shuffle"]
    assert [row["epoch"] for row in shuffles] == [3]
    # Independently of the shuffle record: the samples epoch 3's trace walks through, in turn.
    used = [row["sample"] for row in rows if row["event"] == "sample"]
    assert shuffles[0]["order"] == used and sorted(used) == list(range(1, 151))
    text = invoke_in(["run", "iris", "--epochs", "5", "--trace", "3", "--format", "text"])
    assert text.stdout.count(ORDER_LINE) == 1 and f"Epoch 3 {ORDER_LINE}" in text.stdout


def test_an_epochs_order_does_not_depend_on_what_else_is_traced() -> None:
    def order(trace: str) -> list[int]:
        result = invoke_in(["run", "iris", "--epochs", "3", "--trace", trace, "--format", "jsonl"])
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        return next(r["order"] for r in rows if r["event"] == "shuffle" and r["epoch"] == 3)

    assert order("3") == order("1-3")
