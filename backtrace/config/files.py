"""Opening the files a run reads, so that no file can make it block forever or read without end.

A path may name a regular file, a named pipe (FIFO) with no writer yet, a device such as
/dev/zero, a directory, or a loop of symbolic links. Each is opened without blocking, checked
for what it is, and read only as far as a limit allows. Every failure is a `ConfigError` that
says what went wrong in words, never an OSError that would pass for a write error.

Each opened file's identity (device and inode) is kept, so `-o` can refuse to overwrite a file
the run read, whatever path names it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import select
import stat
from typing import IO, Any

from backtrace import limits
from backtrace.errors import ConfigError
from backtrace.frozen import frozen

READ_BYTES = 1 << 16


@frozen
class FileId:
    """One file, however it is named: its device and inode, and how the run named it."""

    device: int
    inode: int
    name: str
    role: str  # "the config" or "the data file"

    @classmethod
    def of(cls, status: os.stat_result, name: str, role: str) -> FileId:
        return cls(status.st_dev, status.st_ino, name, role)

    def same_file(self, status: os.stat_result) -> bool:
        return (self.device, self.inode) == (status.st_dev, status.st_ino)


class _Prefixed(io.RawIOBase):
    """A file descriptor to read from, with bytes already taken from it put back in front."""

    def __init__(self, fd: int, prefix: bytes) -> None:
        self.fd, self.prefix = fd, prefix

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.prefix:
            count = min(len(buffer), len(self.prefix))
            buffer[:count], self.prefix = self.prefix[:count], self.prefix[count:]
            return count
        data = os.read(self.fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


def describe_error(error: OSError, path: str) -> str:
    """What an OSError from opening `path` means, in words."""
    if error.errno == errno.ENOENT and os.path.islink(path):
        return f"is a symbolic link to {os.readlink(path)}, which does not exist"
    if error.errno == errno.ELOOP:
        return "is a loop of symbolic links"
    if error.errno == errno.ENOENT:
        return "no such file"
    return error.strerror.lower() if error.strerror else str(error)


def open_input(path: str, *, what: str, role: str) -> tuple[IO[bytes], FileId]:
    """`path` opened for reading as a binary stream, and its identity.

    A directory is refused. A named pipe is given `limits.active().fifo_wait_seconds` to get a
    writer; the caller bounds how much it reads. `what` is how messages name the file."""
    if "\0" in path:
        raise ConfigError("a file name cannot contain a NUL character", source=what)
    try:
        # O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, maybe forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise ConfigError(describe_error(error, path), source=what) from None
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise ConfigError("is a directory, not a file", source=what)
        prefix = _wait_for_writer(fd, what) if stat.S_ISFIFO(status.st_mode) else b""
        os.set_blocking(fd, True)
        raw = _Prefixed(fd, prefix)
    except BaseException:
        os.close(fd)
        raise
    return io.BufferedReader(raw), FileId.of(status, what, role)


def _wait_for_writer(fd: int, what: str) -> bytes:
    """Wait a little for a FIFO's writer; the bytes it took to tell whether there is one."""
    seconds = limits.active().fifo_wait_seconds
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if poller.poll(int(seconds * 1000)):
        return b""  # data, or a writer that came and went: reading will tell which
    try:
        first = os.read(fd, 1)
    except BlockingIOError:
        return b""  # a writer is there, it just has not written yet
    if not first:
        raise ConfigError(
            f"is a named pipe (FIFO) with nothing writing to it (waited {seconds:g} s)",
            source=what,
        )
    return first


def read_bounded(stream: IO[bytes], limit: int, what: str, kind: str) -> bytes:
    """All of `stream`, refusing it once it passes `limit` bytes."""
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= limit:  # in pieces: read(limit) would set aside the whole limit at once
            chunk = stream.read(min(READ_BYTES, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as error:
        raise ConfigError(f"cannot read it: {error.strerror or error}", source=what) from None
    data = b"".join(chunks)
    if len(data) > limit:
        raise ConfigError(f"is larger than {size(limit)}, the most {kind} may be", source=what)
    return data


def decode(data: bytes, what: str) -> str:
    """UTF-8 text, a leading byte-order mark dropped (spreadsheets and Windows editors write
    one); bytes that are not UTF-8 are reported with their line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"is not UTF-8 text (byte {error.start + 1} cannot be decoded)",
            source=what,
            line=line,
        ) from None


def read_config(path: str, *, what: str) -> tuple[str, FileId]:
    """A config file's text, no more than `limits.active().config_bytes` of it."""
    limit = limits.active().config_bytes
    stream, identity = open_input(path, what=what, role="the config")
    with stream:
        status = os.fstat(stream.fileno())
        if stat.S_ISREG(status.st_mode) and status.st_size > limit:
            raise ConfigError(
                f"is {status.st_size:,} bytes; a config may be at most {size(limit)} "
                "(put large data in a CSV file)",
                source=what,
            )
        data = read_bounded(stream, limit, what, "a config")
    return decode(data, what), identity


def read_stdin(stdin: Any, what: str = "<stdin>") -> tuple[str, FileId | None]:
    """The config on standard input, bounded like a file; and its identity if it is a file
    (`run - < net.yaml -o net.yaml` must not overwrite what it reads)."""
    limit = limits.active().config_bytes
    if stdin is None:
        raise ConfigError("there is no standard input to read the config from", source=what)
    binary = getattr(stdin, "buffer", None)
    try:
        if binary is None:  # a text stream handed in by a caller (or a test)
            text = stdin.read(limit + 1)
            if len(text) > limit:
                raise ConfigError(
                    f"is larger than {size(limit)}, the most a config may be", source=what
                )
            return text.removeprefix("\ufeff"), None
        identity = None
        with contextlib.suppress(io.UnsupportedOperation):  # a stream with no descriptor
            status = os.fstat(binary.fileno())
            if stat.S_ISREG(status.st_mode):
                identity = FileId.of(status, what, "the config")
        return decode(read_bounded(binary, limit, what, "a config"), what), identity
    except OSError as error:
        raise ConfigError(
            f"cannot read standard input: {error.strerror or error}", source=what
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"is not UTF-8 text ({error.reason})", source=what) from None


def size(count: int) -> str:
    """A byte count as people say it: 1 MB, 1.5 KB, 300 bytes."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"
