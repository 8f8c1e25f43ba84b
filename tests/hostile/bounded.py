"""Running one hostile case with its time and memory measured, so the bound is an assertion.

Every refusal must come within `CPU_SECONDS` of processor time and `MEMORY_BYTES` of memory.
Processor time, not the wall clock, is what is bounded: a loaded CI machine stretches the wall
clock, not the work. The wall clock only guards against hangs (`HANG_SECONDS`, generous), and
waits that use no processor (a FIFO given a second to get a writer) stay within it.

In-process cases run the CLI as `helpers.invoke_in` does, measured with `time.process_time`
and tracemalloc (which sees Python's and numpy's allocations). Cases that need a real process
(a closed stdout, an environment variable) run the installed `backtrace` with its exact
processor time and peak resident memory read back from `os.wait4`.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import backtrace.api  # noqa: E402,F401 - imported once, before any case is measured
import backtrace.cli  # noqa: E402,F401

CPU_SECONDS = 2.0
MEMORY_BYTES = 200 << 20
HANG_SECONDS = 20.0
BACKTRACE = str(Path(sys.executable).parent / "backtrace")


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str
    cpu_seconds: float
    memory_bytes: int  # tracemalloc's peak in-process; peak resident memory for a process


class Hung(AssertionError):
    pass


@contextlib.contextmanager
def wall_clock_guard(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fail the case, rather than the whole run, if it blocks for `seconds`."""

    def expire(number: int, frame: object) -> None:
        raise Hung(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def in_process(
    arguments: list[str],
    *,
    cwd: Path,
    stdin: str = "",
    env: dict[str, str] | None = None,
    stdin_from: str | None = None,
    stdout_to: str | None = None,
) -> Outcome:
    """Run the CLI in this process, as `helpers.invoke_in` does, with real streams where a
    case asks for them: `stdin_from` and `stdout_to` name a file to open (relative to `cwd`),
    or "closed", or (for stdin) "write-only", or (for stdout) "ascii" (a stream that can
    encode only ASCII)."""
    from backtrace.cli import cli
    from backtrace.terminal import ClosedStream, Terminal

    with contextlib.ExitStack() as opened:
        if stdin_from == "closed":
            stdin = None
        elif stdin_from == "write-only":
            fd = os.open(cwd / "stdin.txt", os.O_WRONLY | os.O_CREAT)
            stdin = opened.enter_context(open(fd, encoding="utf-8"))
        elif stdin_from is not None:
            stdin = opened.enter_context(open(cwd / stdin_from, encoding="utf-8"))
        else:
            stdin = io.StringIO(stdin)
        if stdout_to == "closed":
            stdout = ClosedStream("standard output")
        elif stdout_to == "ascii":
            stdout = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
        elif stdout_to is not None:
            stdout = opened.enter_context(open(cwd / stdout_to, "r+", encoding="utf-8"))
        else:
            stdout = io.StringIO()
        stderr = io.StringIO()
        terminal = Terminal(stdin, stdout, stderr, env or {}, cwd, stdin_is_terminal=False,
                            stdout_is_terminal=False)  # fmt: skip
        tracemalloc.start()
        started = time.process_time()
        try:
            with wall_clock_guard():
                try:
                    cli.main(arguments, prog_name="backtrace", obj=terminal)
                    status = 0
                except SystemExit as exit:
                    status = int(exit.code or 0)
            cpu = time.process_time() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        written = stdout.getvalue() if isinstance(stdout, io.StringIO) else ""
    return Outcome(status, written, stderr.getvalue(), cpu, peak)


# Runs `bash -c COMMAND` and writes its exit status, processor time and peak memory to a file.
# It is a separate small interpreter because Linux counts a child's peak memory from before
# its exec: a child forked from the test process itself would start at the test's size.
MEASURER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp("bash", ["bash", "-c", sys.argv[2]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_utime + usage.ru_stime} "
                 f"{usage.ru_maxrss}")
"""


def in_a_process(command: str, *, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    """Run `command` with bash (`{bt}` is the installed backtrace); bash should `exec` the
    command so that the measured process is backtrace itself."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "BACKTRACE_CONFIG")
    }
    environment.update(env or {})
    with tempfile.TemporaryDirectory() as folder:
        report, out, err = (Path(folder, name) for name in ("report", "out", "err"))
        with out.open("wb") as stdout, err.open("wb") as stderr:
            measurer = subprocess.Popen(
                [sys.executable, "-S", "-c", MEASURER, str(report),
                 command.replace("{bt}", BACKTRACE)],
                cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=stdout,
                stderr=stderr, start_new_session=True,
            )  # fmt: skip
            try:
                measurer.wait(timeout=HANG_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(measurer.pid, signal.SIGKILL)
                measurer.wait()
                raise Hung(f"{command!r} still running after {HANG_SECONDS:g} s") from None
        status, cpu, peak = report.read_text().split()
        return Outcome(
            int(status),
            out.read_text("utf-8", "replace"),
            err.read_text("utf-8", "replace"),
            float(cpu),
            int(peak) * 1024,  # Linux reports kilobytes
        )


def assert_bounded(outcome: Outcome, processes: int = 1) -> None:
    """Within the CPU bound for each backtrace process the case started, and the memory bound."""
    assert outcome.cpu_seconds <= CPU_SECONDS * processes, (
        f"took {outcome.cpu_seconds:.2f} s of CPU"
    )
    assert outcome.memory_bytes <= MEMORY_BYTES, f"used {outcome.memory_bytes >> 20} MB"
