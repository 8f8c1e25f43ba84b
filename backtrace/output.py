"""Writing the trace to a file named by -o: whole, or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from backtrace.errors import OutputError


@contextlib.contextmanager
def output_file(path: str) -> Iterator[TextIO]:
    """A file that appears at `path` whole when the block succeeds, and not at all otherwise.

    A regular file (or a new one) is written to a temporary file beside it and renamed over it
    at the end, so a failed or interrupted run never leaves half a trace where a good one was.
    The new file gets the old one's permissions, or the usual ones for a new file. Anything
    else (a device such as /dev/null, a pipe) is opened and written in place: renaming over it
    would replace it. A symbolic link is followed, so its target is what gets written."""
    target = Path(path).resolve()
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    try:
        if target.exists() and not target.is_file():
            with open(target, "w", encoding="utf-8") as special:
                yield special
            return
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=target.parent,
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with handle:
            yield handle
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
