"""`python -m backtrace` and the `backtrace` command.

The command line's modules are imported inside `main`, so that Ctrl-C while they load (the
first fraction of a second) ends like any other interrupt, not with a traceback."""

import sys


def main() -> None:
    try:
        from backtrace.cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("\nbacktrace: interrupted\n")
        raise SystemExit(130) from None  # ExitStatus.INTERRUPTED, not imported to stay quick
    command_line()


if __name__ == "__main__":
    main()
