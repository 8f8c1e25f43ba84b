"""BACKTRACE_COMPILED, the fast extra's switch, read from the environment: any value, however
odd, gives the same trace on stdout and nothing on stderr (only "0" and "1" mean anything),
and every value but "1" leaves a short run as cheap as ever."""

from __future__ import annotations

import pytest

from hostile.bounded import assert_bounded, in_a_process


@pytest.mark.parametrize("value", ["0", "1", "", "yes", "\x1b[31mred\x1b[0m", "9" * 5000, "1\n0"])
def test_any_value_of_the_switch_gives_the_same_trace(value: str, tmp_path) -> None:
    command = "exec {bt} run xor-sigmoid --epochs 3 --trace last --format jsonl"
    plain = in_a_process(command, cwd=tmp_path, env={"BACKTRACE_COMPILED": "0"})
    switched = in_a_process(command, cwd=tmp_path, env={"BACKTRACE_COMPILED": value})
    assert (switched.status, switched.stderr) == (0, "")
    assert switched.stdout == plain.stdout and len(plain.stdout) > 1000
    if value != "1":  # "1" asks for numba even on a short run, and loading it costs seconds
        assert_bounded(switched)
