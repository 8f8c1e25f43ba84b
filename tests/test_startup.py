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
