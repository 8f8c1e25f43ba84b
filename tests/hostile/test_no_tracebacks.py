"""Round two's tracebacks: exact values past float64's range, and Ctrl-C while the command
line is still importing itself."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction

from backtrace import records
from backtrace.numbers import as_float, machine_number
from backtrace.pictures.curves import Curves, loss_summary
from backtrace.renderers.jsonl import reference_line
from hostile.bounded import assert_bounded, in_process

HUGE = Fraction(10**400, 3)  # far past the largest float64, and far below the digit limit


def test_a_fraction_past_float_range_is_written_as_its_fraction_alone() -> None:
    assert as_float(HUGE) == math.inf and as_float(-HUGE) == -math.inf
    assert machine_number(HUGE) == (None, str(HUGE))
    line = json.loads(reference_line(records.EpochEnd(1, HUGE, 4, True), None))
    assert line["loss"] is None and Fraction(line["exact"]["loss"]) == HUGE


def test_the_loss_line_takes_a_fraction_past_float_range() -> None:
    curves = Curves()
    for epoch, loss in enumerate([Fraction(1), HUGE, -HUGE], start=1):
        curves.note(records.EpochEnd(epoch, loss, epoch, False))
    assert loss_summary(curves, str).startswith("loss per epoch: ")


def test_an_exact_run_past_float_range_writes_every_format(tmp_path) -> None:
    # Epoch 3's weights pass 1.8e308 before their digits pass the limit: the records up to
    # there are written, null where a float cannot hold the value, then one line says why.
    # (text and tables print all 20,000 digits of each number, which takes seconds here)
    for output_format in ("jsonl", "csv", "json"):
        arguments = ["run", "xor", "--exact", "--epochs", "9", "--trace", "all"]
        outcome = in_process([*arguments, "--format", output_format], cwd=tmp_path)
        assert outcome.status == 2, outcome.stderr
        assert outcome.stderr.startswith("backtrace: error: --exact: after epoch 3, step 10")
        assert outcome.stderr.count("\n") == 1
        assert_bounded(outcome)
        if output_format == "jsonl":
            past = [
                record
                for record in map(json.loads, outcome.stdout.splitlines())
                if record.get("event") == "update" and record["new"] is None
            ]
            numerator, _, denominator = past[0]["exact"]["new"].partition("/")
            assert past and len(numerator.lstrip("-")) - len(denominator) > 309  # > 1.8e308


INTERRUPTED_IMPORT = """
import sys

class Interrupt:  # Ctrl-C, arriving while the command line's modules load
    def find_spec(self, name, path=None, target=None):
        if name == "click":
            raise KeyboardInterrupt

sys.meta_path.insert(0, Interrupt())
from backtrace.__main__ import main
main()
"""


def test_ctrl_c_while_importing_is_an_interrupt_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IMPORT], capture_output=True, text=True, timeout=20
    )
    assert (done.returncode, done.stderr, done.stdout) == (130, "\nbacktrace: interrupted\n", "")


def test_the_installed_command_starts_from_the_guarded_entry_point() -> None:
    from importlib.metadata import entry_points

    (script,) = [entry for entry in entry_points(group="console_scripts") if entry.name == "backtrace"]
    assert script.value == "backtrace.__main__:main"


def test_ctrl_d_at_the_prompt_is_end_of_input() -> None:
    # Without line editing (step's key mode), Ctrl-D arrives as the byte 4, not as an end.
    import os

    import pytest

    from backtrace.terminal import read_key

    reading, writing = os.pipe()
    with os.fdopen(reading, "rb") as stream, os.fdopen(writing, "wb") as keys:
        keys.write(b"q\x04")
        keys.flush()
        assert read_key(stream) == "q"
        with pytest.raises(EOFError):
            read_key(stream)
