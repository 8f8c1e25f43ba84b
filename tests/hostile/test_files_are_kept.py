"""-o never costs a file: not the run's inputs, not the previous trace, and nothing is left
behind, whether the run fails, is interrupted, or is killed. Special targets are written in
place, so shell redirections keep their meaning."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from backtrace.errors import OutputError
from backtrace.output import TEMPORARY_MARK, output_file
from helpers import article_document
from hostile.bounded import BACKTRACE, HANG_SECONDS, assert_bounded, in_a_process

LONG_RUN = ["run", "xor-sigmoid", "--epochs", "1000000", "--trace", "none"]


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_nothing_named_exists_while_the_trace_is_written(tmp_path) -> None:
    target = tmp_path / "trace.txt"
    target.write_text("the good trace\n")
    with output_file(str(target)) as handle:
        handle.write("half a trace")
        assert names(tmp_path) == ["trace.txt"]  # the new file has no name yet
        assert target.read_text() == "the good trace\n"
    assert target.read_text() == "half a trace"


def without_unnamed_files(monkeypatch) -> None:
    """Pretend to be a system without O_TMPFILE, as some file systems and kernels are."""
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)


def test_a_named_temporary_file_says_what_it_is_and_goes_away(tmp_path, monkeypatch) -> None:
    without_unnamed_files(monkeypatch)
    target = tmp_path / "trace.txt"
    target.write_text("the good trace\n")
    with pytest.raises(KeyboardInterrupt):
        with output_file(str(target)) as handle:
            handle.write("half")
            (temporary,) = [name for name in names(tmp_path) if name != "trace.txt"]
            assert temporary.startswith(f".trace.txt{TEMPORARY_MARK}{os.getpid()}-")
            raise KeyboardInterrupt
    assert names(tmp_path) == ["trace.txt"] and target.read_text() == "the good trace\n"


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named"])
def test_a_long_target_name_gets_a_temporary_name_that_fits(tmp_path, monkeypatch, unnamed) -> None:
    if not unnamed:
        without_unnamed_files(monkeypatch)
    target = tmp_path / ("é" * 120 + ".txt")  # 244 bytes: the temporary name must be shorter
    with output_file(str(target)) as handle:
        handle.write("trace")
    assert names(tmp_path) == [target.name] and target.read_text() == "trace"


def test_stale_temporary_files_of_dead_runs_are_removed(tmp_path) -> None:
    dead = _a_dead_pid()
    stale = tmp_path / f".trace.txt{TEMPORARY_MARK}{dead}-0badf00d.tmp"
    alive = tmp_path / f".trace.txt{TEMPORARY_MARK}{os.getpid()}-0badf00d.tmp"
    unrelated = tmp_path / f".other.txt{TEMPORARY_MARK}{dead}-0badf00d.tmp"
    for path in (stale, alive, unrelated):
        path.write_text("half a trace")
    with output_file(str(tmp_path / "trace.txt")) as handle:
        handle.write("trace")
    assert names(tmp_path) == sorted([alive.name, unrelated.name, "trace.txt"])


def _a_dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_failed_write_leaves_the_previous_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "trace.txt"
    target.write_text("the good trace\n")

    def full(*arguments, **keywords):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError, match="cannot write .*trace.txt: No space left on device"):
        with output_file(str(target)) as handle:
            handle.write("x" * 100)
            monkeypatch.setattr(os, "replace", full)
    assert names(tmp_path) == ["trace.txt"] and target.read_text() == "the good trace\n"


# -- real processes --------------------------------------------------------------------------


def writing_in(pid: int, folder: Path) -> bool:
    """Whether the process has written part of a file in `folder` (named or not)."""
    try:
        return any(
            os.readlink(fd).startswith(f"{folder}/") and fd.stat().st_size > 0
            for fd in Path(f"/proc/{pid}/fd").iterdir()
        )
    except OSError:
        return False


@pytest.mark.parametrize(
    ("stop", "status", "said"),
    [
        (signal.SIGTERM, 143, "\nbacktrace: interrupted by SIGTERM\n"),
        (signal.SIGHUP, 129, "\nbacktrace: interrupted by SIGHUP\n"),
        (signal.SIGKILL, -9, ""),
    ],
    ids=["SIGTERM", "SIGHUP", "SIGKILL"],
)
def test_a_stopped_run_leaves_the_previous_file_and_nothing_else(
    tmp_path, stop, status, said
) -> None:
    target = tmp_path / "t.jsonl"
    target.write_text("the good trace\n")
    process = subprocess.Popen(
        [BACKTRACE, *LONG_RUN, "-o", str(target)], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + HANG_SECONDS
    while not writing_in(process.pid, tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=HANG_SECONDS)
    assert (process.returncode, stderr) == (status, said)
    assert names(tmp_path) == ["t.jsonl"] and target.read_text() == "the good trace\n"


def test_dev_stdout_appends_where_the_shell_says(tmp_path) -> None:
    (tmp_path / "net.yaml").write_text(yaml.safe_dump(article_document()))
    (tmp_path / "log.jsonl").write_text("first\n")
    command = "{bt} run net.yaml -o /dev/stdout --format jsonl >> log.jsonl && " \
              "exec {bt} run net.yaml -o /proc/self/fd/1 --format jsonl | head -1"  # fmt: skip
    outcome = in_a_process(command, cwd=tmp_path)
    assert (outcome.status, outcome.stderr) == (0, "")
    assert json.loads(outcome.stdout)["event"] == "start"  # a pipe is written in place
    log = (tmp_path / "log.jsonl").read_text().splitlines()
    assert log[0] == "first" and json.loads(log[1])["event"] == "start"  # appended, not replaced
    assert json.loads(log[-1])["event"] == "weights"
    assert_bounded(outcome, processes=2)


def test_a_csv_reader_that_goes_away_ends_a_long_run(tmp_path) -> None:
    # CSV streams its long table; the run must notice that nobody reads.
    command = "set -o pipefail; {bt} run xor-sigmoid --epochs 1000000 --format csv | head -1"
    outcome = in_a_process(command, cwd=tmp_path)
    assert (outcome.status, outcome.stderr) == (0, "")
    header = outcome.stdout.splitlines()
    assert len(header) == 1 and header[0].startswith("event,epoch,sample,layer,unit,h,z,")
    quiet = in_a_process(
        "set -o pipefail; {bt} run xor-sigmoid --epochs 1000000 --trace none --format csv | true",
        cwd=tmp_path,
    )
    assert (quiet.status, quiet.stderr) == (0, "")
    assert_bounded(outcome)
    assert_bounded(quiet)


@pytest.mark.parametrize(
    "arguments",
    [
        ["check", "xor-sigmoid", "--step", "200000", "--max-epochs", "1000000"],
        ["check", "xor-sigmoid", "--epoch", "900000"],
        ["graph", "xor-sigmoid", "--step", "3000000"],
        ["step", "xor-sigmoid", "--set", "epochs=900000", "--epoch", "900000"],
        ["quiz", "xor-sigmoid", "--set", "epochs=900000", "--epoch", "900000"],
    ],
    ids=["check-step", "check-epoch", "graph-step", "step-epoch", "quiz-epoch"],
)
def test_a_reader_that_goes_away_ends_the_training_before_what_it_shows(
    arguments, tmp_path
) -> None:
    # They write nothing while they train up to their point (minutes here), so they must ask
    # the pipe whether it is still read: a reader gone (`| head`) ends them, with status 0.
    with (tmp_path / "stderr").open("wb") as stderr:
        process = subprocess.Popen([BACKTRACE, *arguments], stdout=subprocess.PIPE, stderr=stderr)
        time.sleep(1.5)  # started and training by now: the reader leaves during the training
        process.stdout.close()  # type: ignore[union-attr]
        gone = time.monotonic()
        try:
            status = process.wait(timeout=HANG_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"still training {HANG_SECONDS:g} s after its reader went away")
    assert time.monotonic() - gone < 5
    assert (status, (tmp_path / "stderr").read_text()) == (0, "")
