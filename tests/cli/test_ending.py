"""How the `backtrace` command ends: at once (`__main__._end`), with its exit status and all
of its output, whatever it wrote and wherever."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from backtrace import __main__ as entry
from backtrace import api


def backtrace(*arguments: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backtrace", *arguments], capture_output=True, **options
    )


def test_a_long_trace_arrives_whole_through_a_pipe() -> None:
    done = backtrace("run", "xor-sigmoid", "--trace", "all", "--epochs", "40", "--format", "jsonl")
    expected = io.StringIO()
    api.run("xor-sigmoid", trace="all", epochs=40).render("jsonl", expected)
    assert done.returncode == 0
    assert done.stdout.decode() == expected.getvalue()  # not one byte held back
    assert len(done.stdout) > 200_000  # more than any stream's buffer


def test_a_trace_written_to_a_file_is_whole(tmp_path) -> None:
    target = tmp_path / "trace.jsonl"
    done = backtrace("run", "xor", "--format", "jsonl", "-o", str(target))
    assert done.returncode == 0
    lines = target.read_text().splitlines()
    assert json.loads(lines[0])["event"] == "start" and all(json.loads(line) for line in lines)


@pytest.mark.parametrize(
    "arguments, status",
    [
        (("run", "no-such-config.yaml"), 2),  # ExitStatus.BAD_INPUT
        (("run", "xor", "--epochs", "0"), 2),
        (("--version",), 0),
    ],
)
def test_the_exit_status_and_the_message_survive(arguments, status) -> None:
    done = backtrace(*arguments)
    assert done.returncode == status
    assert (done.stderr if status else done.stdout).strip()  # its message was flushed


def test_a_status_that_is_not_a_number_takes_the_usual_way(monkeypatch) -> None:
    monkeypatch.setattr(entry.sys, "gettrace", lambda: None)  # as when not under coverage
    monkeypatch.setattr(entry.os, "_exit", lambda status: pytest.fail("ended at once"))
    with pytest.raises(SystemExit) as raised:
        entry._end("a message")
    assert raised.value.code == "a message"


def test_a_stream_that_cannot_be_flushed_takes_the_usual_way(monkeypatch) -> None:
    class Gone(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError

    monkeypatch.setattr(entry.sys, "stdout", Gone())
    monkeypatch.setattr(entry.sys, "gettrace", lambda: None)
    monkeypatch.setattr(entry.atexit, "_run_exitfuncs", lambda: None)
    monkeypatch.setattr(entry.os, "_exit", lambda status: pytest.fail("ended at once"))
    with pytest.raises(SystemExit) as raised:
        entry._end(0)
    assert raised.value.code == 0


def test_otherwise_the_process_ends_at_once_after_the_handlers_and_a_flush(monkeypatch) -> None:
    happened: list[str] = []

    class Stream(io.StringIO):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        def flush(self) -> None:
            happened.append(f"flush {self.name}")

    monkeypatch.setattr(entry.sys, "stdout", Stream("stdout"))
    monkeypatch.setattr(entry.sys, "stderr", Stream("stderr"))
    monkeypatch.setattr(entry.sys, "gettrace", lambda: None)  # as when not under pytest's
    monkeypatch.setattr(entry.atexit, "_run_exitfuncs", lambda: happened.append("handlers"))
    monkeypatch.setattr(entry.os, "_exit", lambda status: happened.append(f"exit {status}"))
    entry._end(3)
    assert happened == ["handlers", "flush stdout", "flush stderr", "exit 3"]


def test_exit_handlers_still_run(tmp_path) -> None:
    """An atexit handler (matplotlib's removes its temporary folder) runs before the end."""
    mark = tmp_path / "handled"
    code = (
        "import atexit, pathlib, sys; "
        f"atexit.register(pathlib.Path({str(mark)!r}).write_text, 'yes'); "
        "sys.argv = ['backtrace', '--version']; "
        "from backtrace.__main__ import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert done.returncode == 0 and mark.read_text() == "yes"


def test_a_profiler_still_reports() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-m", "backtrace", "--version"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "function calls" in done.stdout
