"""Start-up: each command imports only what it needs (benchmarks/startup.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pydantic", "rich", "yaml", "matplotlib", "importlib.metadata")


def test_each_command_imports_only_what_it_needs() -> None:
    code = """
import io, json, sys
from backtrace.cli import cli
try:
    cli.main(['--help'], prog_name='backtrace')
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
from backtrace import api
api.run('xor').render('jsonl', io.StringIO())
print(json.dumps(sorted(sys.modules)))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after_help, after_run = (set(json.loads(line)) for line in done.stdout.splitlines()[-2:])
    assert "click" in after_help
    assert not {name for name in HEAVY if name in after_help}  # --help: none of them
    assert "numpy" in after_run and "pydantic" not in after_run  # the config needs no pydantic
    assert (
        not {"matplotlib", "rich", "backtrace.pictures.figures"} & after_run
    )  # JSON draws nothing


# Modules that a plain JSON Lines run has no use for, each milliseconds to import: numpy's
# random generators (only random weights and shuffling draw), secrets and hashlib (they came
# in with it and with temporary file names), and shutil (the terminal's width).
NOT_FOR_A_PLAIN_RUN = ("numpy.random", "secrets", "hashlib", "shutil")


def test_a_plain_jsonl_run_imports_none_of_the_extras() -> None:
    code = """
import json, sys
from backtrace.cli import cli
try:
    cli.main(['run', 'xor', '--trace', 'none', '--format', 'jsonl'], prog_name='backtrace')
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported = set(json.loads(done.stderr.splitlines()[-1]))
    assert done.stdout.startswith('{"event": "start"')  # the run itself happened
    assert not {name for name in NOT_FOR_A_PLAIN_RUN if name in imported}


def test_random_weights_and_shuffling_still_draw() -> None:
    """numpy.random is imported only when a run draws; the draws are numpy's own."""
    import numpy as np

    from backtrace import api

    spec = {
        "inputs": {"units": 2},
        "layers": [
            {
                "units": 2,
                "activation": "sigmoid",
                "weights": {"init": "uniform", "low": -1, "high": 1},
            },
            {"units": 1, "activation": "sigmoid", "weights": 1},
        ],
        "loss": "mean_squared_error",
        "optimizer": {"learning_rate": 0.5, "batch_size": 1, "shuffle": True},
        "epochs": 3,
        "seed": 7,
        "data": {"rows": [[0, 0, 0], [1, 0, 1], [0, 1, 1]]},
    }
    first = list(api.run(spec, trace="all"))
    assert first == list(api.run(spec, trace="all"))  # drawn from the seed, both times
    initial = next(record for record in first if record.event == "weights")
    drawn = np.random.default_rng(7).uniform(-1, 1, size=(2, 3))  # the first layer, row by row
    assert [value for _, value in initial.values[:6]] == list(drawn.ravel())
    orders = [record.order for record in first if record.event == "shuffle"]
    shuffler = np.random.default_rng([7, 1])  # the shuffle's own stream, as docs/formulas.md says
    assert [list(order) for order in orders] == [
        [int(i) + 1 for i in shuffler.permutation(3)] for _ in range(3)
    ]
