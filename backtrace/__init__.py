"""backtrace: step through backpropagation on small dense networks, number by number.

The Python API (docs/api.md):

    import backtrace
    trace = backtrace.run(backtrace.load("xor"), epochs=3, trace="all")
    trace.render("markdown")

`load`, `run`, `render`, `Trace`, `Spec` and `__version__` are looked up on first use, so
that the command line's start-up does not pay for what it does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backtrace.errors import BacktraceError, ConfigError, TraceError, UsageError

if TYPE_CHECKING:
    from backtrace.api import Trace, check, diff, grade, load, quiz, read_trace, render, run
    from backtrace.config import Spec

__all__ = [
    "BacktraceError",
    "ConfigError",
    "Spec",
    "Trace",
    "TraceError",
    "UsageError",
    "__version__",
    "check",
    "diff",
    "grade",
    "load",
    "quiz",
    "read_trace",
    "render",
    "run",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    if name in ("load", "run", "check", "render", "Trace", "quiz", "grade", "diff", "read_trace"):
        from backtrace import api

        return getattr(api, name)
    if name == "Spec":
        from backtrace.config import Spec

        return Spec
    raise AttributeError(f"module 'backtrace' has no attribute {name!r}")


# The name on the package index, which "backtrace" there is another project's; the command and
# the import name stay backtrace.
DISTRIBUTION = "backtrace-nn"


def _version() -> str:
    # importlib.metadata costs more to import than the rest of --help together.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
