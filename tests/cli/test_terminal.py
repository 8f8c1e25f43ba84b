"""Terminals, pipes and key presses.

Most of these run the CLI in-process with an injected `Terminal` (tests/helpers.py): a pipe or
a terminal of any width, colour settings, and key presses read in order. A few run the
installed `backtrace` as a real process, where only a real one will do: the console script,
a reader that closes the pipe, Ctrl-C, and key presses through a pseudo-terminal.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from helpers import ROOT, invoke_in

BACKTRACE = str(Path(sys.executable).parent / "backtrace")
ANSI = "\x1b["
PROMPT = "[enter] next"


class FailingStream(io.StringIO):
    """A stdout that fails after `room` characters, as a full disk or a closed pipe does."""

    def __init__(self, error: OSError, room: int = 0) -> None:
        super().__init__()
        self.error, self.room = error, room

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.room:
            raise self.error
        return super().write(text)

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no file descriptor")


# -- in-process, with an injected terminal --------------------------------------------------


def test_no_escape_codes_in_a_pipe_unless_forced() -> None:
    assert ANSI not in invoke_in(["run", "xor"]).stdout
    assert ANSI in invoke_in(["run", "xor"], env={"FORCE_COLOR": "1"}).stdout
    assert ANSI not in invoke_in(["run", "xor"], env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert ANSI in invoke_in(["run", "xor"], terminal=True).stdout
    assert ANSI not in invoke_in(["run", "xor"], terminal=True, env={"TERM": "dumb"}).stdout


def test_width_comes_from_the_option_columns_or_the_terminal() -> None:
    def widest(**settings) -> int:
        return max(len(line) for line in invoke_in(["run", "xor"], **settings).stdout.splitlines())

    assert widest(env={"COLUMNS": "132"}) == 132
    assert widest(terminal=True, columns=90, env={"NO_COLOR": "1"}) == 90
    assert widest() == 80  # a pipe with no COLUMNS
    assert widest(env={"COLUMNS": "132"}, columns=90) == 132


def test_a_full_disk_is_one_line() -> None:
    full = FailingStream(OSError(errno.ENOSPC, "No space left on device"))
    result = invoke_in(["run", "xor"], stdout=full)
    assert result.status == 1
    assert result.stderr == "backtrace: error: cannot write the trace: No space left on device\n"


@pytest.mark.parametrize("output_format", ["table", "text", "jsonl", "csv", "markdown"])
def test_a_reader_that_goes_away_ends_quietly(output_format: str) -> None:
    closed = FailingStream(BrokenPipeError(errno.EPIPE, "Broken pipe"), room=300)
    arguments = ["run", "xor-sigmoid", "--epochs", "3", "--trace", "all"]
    result = invoke_in([*arguments, "--format", output_format], stdout=closed)
    assert (result.status, result.stderr) == (0, "")


def test_diagnostics_go_to_stderr() -> None:
    result = invoke_in(["run", "xor", "--epochs", "40", "--format", "jsonl"])
    assert result.status == 3
    assert result.stderr.startswith("backtrace: error: Training diverged at epoch")
    assert result.stderr.count("\n") == 1
    assert all(line.startswith("{") for line in result.stdout.splitlines())


def test_step_waits_for_a_key_between_pieces() -> None:
    result = invoke_in(["step", "xor", "--epoch", "1", "--sample", "1"], keys="\r\r", terminal=True)
    # Keys: after the forward table, after the loss; then input ends, which means quit.
    assert result.status == 0
    assert "Forward pass" in result.stdout and "Loss (article)" in result.stdout
    assert "Backward pass" in result.stdout and "Update, step" not in result.stdout
    assert result.stderr.count(PROMPT) == 3


def test_step_keys_skip_to_the_next_sample_and_continue() -> None:
    result = invoke_in(["step", "xor"], keys="sq", terminal=True)
    assert "sample 2: X1 = 0, X2 = 1" in result.stdout
    sample_two = result.stdout.split("sample 2:")[1]
    assert "Forward pass" in sample_two and "Backward pass" not in sample_two
    finished = invoke_in(["step", "xor", "--format", "table"], keys="c", terminal=True)
    assert "Weights after epoch 1" in finished.stdout and finished.stderr.count(PROMPT) == 1


def test_every_key_in_table_stepping_shows_a_new_table() -> None:
    seen = []
    out = io.StringIO()

    def key() -> str:
        seen.append(out.getvalue())
        return "\r"

    from backtrace.cli import cli
    from backtrace.terminal import Terminal

    fake = Terminal(io.StringIO(), out, io.StringIO(), {}, ROOT, key, True, True, 100)
    with pytest.raises(SystemExit):
        cli.main(["step", "xor", "--format", "table", "--sample", "1"], obj=fake)
    seen.append(out.getvalue())
    new_parts = [later[len(earlier) :] for earlier, later in zip(seen, seen[1:])]
    titles = ["Loss (article)", "Backward pass", "Update, step 1"]
    assert [title in part for title, part in zip(titles, new_parts)] == [True] * 3
    assert "Forward pass" in seen[0] and "Loss" not in seen[0]


def test_step_does_not_wait_when_either_end_is_not_a_terminal() -> None:
    result = invoke_in(["step", "xor"], keys="")
    assert result.stdout.count("Forward pass") == 4 and result.stderr == ""


# -- real processes ----------------------------------------------------------------------------


def environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "BACKTRACE_CONFIG")
    }
    return env | extra


def test_the_console_script_is_installed() -> None:
    assert Path(BACKTRACE).is_file(), "install the package first (see the README)"


def test_head_closes_the_pipe_quietly() -> None:
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {BACKTRACE} run xor-sigmoid --epochs 30 --trace all "
         "--format jsonl | head -3"],
        cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert len(result.stdout.splitlines()) == 3


def writing_in(pid: int, folder: Path) -> bool:
    """Whether the process has written to a file in `folder` (which may have no name)."""
    try:
        return any(
            os.readlink(fd).startswith(f"{folder}/") and fd.stat().st_size > 0
            for fd in Path(f"/proc/{pid}/fd").iterdir()
        )
    except OSError:
        return False


# A shell without job control starts background jobs with Ctrl-C ignored, and a program must
# keep it ignored. When the tests themselves run that way (`pytest &` in a script), the run
# still has to be given the Ctrl-C a user at a terminal has: reset it, then become backtrace.
WITH_CTRL_C = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
]


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    target = tmp_path / "t.jsonl"
    process = subprocess.Popen(
        [
            *WITH_CTRL_C,
            BACKTRACE,
            "run",
            "xor-sigmoid",
            "--epochs",
            "1000000",
            "--trace",
            "none",
            "-o",
            target,
        ],
        cwd=ROOT,
        env=environment(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Wait until the run has written part of its trace: by then it is training and handles
        # Ctrl-C itself. (Earlier, numpy may still be importing numpy.random, which can swallow
        # the KeyboardInterrupt and leave the run going.)
        deadline = time.monotonic() + 30
        while not writing_in(process.pid, tmp_path) and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()  # never leave a million-epoch run behind when an assertion fails
        process.wait()
    assert process.returncode == 130
    assert stderr == "\nbacktrace: interrupted\n"
    assert list(tmp_path.iterdir()) == []  # the unfinished trace was not left behind


def test_real_key_presses_in_a_pseudo_terminal() -> None:
    child = pexpect.spawn(
        BACKTRACE,
        ["step", "xor", "--epoch", "1"],
        cwd=str(ROOT),
        env=environment(COLUMNS="100", TERM="xterm"),
        encoding="utf-8",
        timeout=15,
        dimensions=(40, 100),
    )
    child.expect("Forward pass")
    child.expect_exact(PROMPT)
    assert "Loss (article)" not in child.before  # it waits
    child.send(" ")
    child.expect_exact("Loss (article)")
    child.expect_exact(PROMPT)
    child.send("s")  # on to the next sample
    child.expect_exact("sample 2: X1 = 0, X2 = 1")
    child.expect_exact(PROMPT)
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
