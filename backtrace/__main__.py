"""`python -m backtrace` and the `backtrace` command.

The command line's modules are imported inside `main`, so that Ctrl-C while they load (the
first fraction of a second) ends like any other interrupt, not with a traceback."""

import atexit
import os
import sys


def main() -> None:
    try:
        from backtrace.cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("\nbacktrace: interrupted\n")
        raise SystemExit(130) from None  # ExitStatus.INTERRUPTED, not imported to stay quick
    try:
        command_line()
    except SystemExit as finished:
        _end(finished.code)
    _end(0)


def _end(status: object) -> None:
    """End the process at once, without taking the interpreter apart: that teardown is about a
    tenth of a short run's time, and nothing is left for it to do. Every file the command
    wrote is closed by now; the exit handlers still run (matplotlib's removes its temporary
    folder) and the standard streams are flushed. Under a profiler or a tracer (cProfile,
    trace), which report after the program returns, and should anything fail on the way,
    Python's own exit takes over, as it always did."""
    if not isinstance(status, int) or isinstance(status, bool):
        raise SystemExit(status)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(status)
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - any trouble: leave it to the usual exit
        raise SystemExit(status) from None
    os._exit(status)


if __name__ == "__main__":
    main()
