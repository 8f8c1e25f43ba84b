"""The installed `backtrace` as a real process: pipes, colour, and stepping in a pseudo-terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from helpers import ROOT

BACKTRACE = str(Path(sys.executable).parent / "backtrace")
ANSI = "\x1b["


def environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "BACKTRACE_CONFIG")
    }
    return env | extra


def shell(command: str, **env: str) -> subprocess.CompletedProcess:
    """Run a shell pipeline from the repository, as a user would type it."""
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_console_script_is_installed() -> None:
    assert Path(BACKTRACE).is_file(), "install the package first (see the README)"


@pytest.mark.parametrize("output_format", ["table", "text", "jsonl", "csv", "markdown"])
def test_head_closes_the_pipe_quietly(output_format: str) -> None:
    result = shell(
        f"{BACKTRACE} run configs/xor-sigmoid.yaml --epochs 30 --trace all --format {output_format} | head -3"
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == ""


def test_no_escape_codes_in_a_pipe_unless_forced() -> None:
    piped = shell(f"{BACKTRACE} run configs/xor.yaml | cat")
    assert piped.returncode == 0 and ANSI not in piped.stdout
    forced = shell(f"{BACKTRACE} run configs/xor.yaml | cat", FORCE_COLOR="1")
    assert ANSI in forced.stdout
    both = shell(f"{BACKTRACE} run configs/xor.yaml | cat", FORCE_COLOR="1", NO_COLOR="1")
    assert ANSI not in both.stdout


def test_columns_sets_the_width() -> None:
    result = shell(f"{BACKTRACE} run configs/xor.yaml | cat", COLUMNS="132")
    assert max(len(line) for line in result.stdout.splitlines()) == 132


def test_a_full_disk_is_one_line() -> None:
    result = shell(f"{BACKTRACE} run configs/xor.yaml > /dev/full")
    assert result.returncode == 1
    assert result.stderr == "backtrace: error: cannot write the trace: No space left on device\n"


def test_diagnostics_go_to_stderr() -> None:
    result = shell(f"{BACKTRACE} run configs/xor.yaml --epochs 40 --format jsonl > /dev/null")
    assert result.returncode == 3
    assert result.stderr.startswith("backtrace: error: Training diverged at epoch")


def test_two_runs_are_byte_identical(tmp_path) -> None:
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    for target in (first, second):
        result = shell(
            f"{BACKTRACE} run configs/xor-sigmoid.yaml --trace all --epochs 5 -o {target}"
        )
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes() and first.stat().st_size > 0


def test_ctrl_c_exits_130_with_one_line(tmp_path) -> None:
    child = pexpect.spawn(
        BACKTRACE,
        [
            "run",
            "configs/xor-sigmoid.yaml",
            "--epochs",
            "1000000",
            "--trace",
            "none",
            "-o",
            str(tmp_path / "t.jsonl"),
        ],
        cwd=str(ROOT),
        env=environment(),
        encoding="utf-8",
        timeout=20,
    )
    child.expect(pexpect.TIMEOUT, timeout=1.5)  # let it get going
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "backtrace: interrupted" in child.before and "Traceback" not in child.before
    assert list(tmp_path.iterdir()) == []  # the unfinished trace was not left behind


def spawn_step(*arguments: str) -> pexpect.spawn:
    return pexpect.spawn(
        BACKTRACE,
        ["step", *arguments],
        cwd=str(ROOT),
        env=environment(COLUMNS="100", TERM="xterm"),
        encoding="utf-8",
        timeout=15,
        dimensions=(40, 100),
    )


def test_step_waits_for_keys_in_a_terminal() -> None:
    child = spawn_step("xor", "--epoch", "1")
    child.expect("Unit Z1:")
    child.expect(r"\[enter\] next")
    assert "Unit Z2:" not in child.before  # it waits
    child.send(" ")
    child.expect("Unit Z2:")
    child.expect(r"\[enter\] next")
    child.send("\r")
    child.expect("Unit Z3:")
    child.expect(r"\[enter\] next")
    child.send("s")  # on to the next sample
    child.expect("sample 2: X1 = 0, X2 = 1")
    child.expect(r"\[enter\] next")
    assert "Unit D0" not in child.before.split("sample 2")[-1]
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_step_continue_runs_to_the_end() -> None:
    child = spawn_step("xor", "--epoch", "1", "--format", "table")
    child.expect("Forward pass")
    child.expect(r"\[enter\] next")
    child.send("c")
    child.expect("Weights after epoch 1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_every_key_in_table_stepping_shows_something() -> None:
    child = spawn_step("xor", "--epoch", "1", "--format", "table", "--sample", "1")
    seen = []
    child.expect(r"\[enter\] next")
    for _ in range(4):  # forward table, loss, backward table, update table
        seen.append(child.before)
        child.send("\r")
        index = child.expect([r"\[enter\] next", pexpect.EOF])
        if index == 1:
            break
    seen.append(child.before)
    child.close()
    titles = ["Forward pass", "Loss (article)", "Backward pass", "Update, step 1"]
    for title, screen in zip(titles, seen):
        assert title in screen, (title, screen[-300:])
