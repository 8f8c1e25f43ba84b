"""Every file a command writes (-o, --plot, schema -o, init, CSV tables) goes through here:
planned and checked before anything is written, then written whole or not at all, and never
over a file the run reads, a read-only file, or the target of a link planted in a folder.

A regular file (or a new one) is written beside its final place and put there only when the
trace is complete, so a failed or interrupted run leaves the earlier file as it was. Where
Linux allows it the unfinished file has no name at all (O_TMPFILE) and is linked in at the
end, so even `kill -9` leaves nothing behind; elsewhere it has a name that says what it is,
and a later run writing the same target removes any such file whose process has died.

Anything that is not a regular file is written in place: a device (/dev/null, a terminal),
a named pipe, or an open descriptor named by path (/dev/stdout, /dev/fd/3, /proc/self/fd/3),
which is written through the descriptor itself so that `-o /dev/stdout >> log` appends and
`-o /dev/stdout | less` works.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any, TextIO

from backtrace.errors import ExitStatus, Interrupted, OutputError, UsageError
from backtrace.frozen import frozen

# Paths that name one of this process's open descriptors rather than a file.
if TYPE_CHECKING:
    from backtrace.config.files import FileId

_DESCRIPTOR_PATH = re.compile(
    r"^/dev/(?:(?P<std>stdin|stdout|stderr)|fd/(?P<dev_fd>\d+))$"
    r"|^/proc/(?P<pid>self|thread-self|\d+)/fd/(?P<proc_fd>\d+)$"
)
_STANDARD = {"stdin": 0, "stdout": 1, "stderr": 2}
TEMPORARY_MARK = "~backtrace-"  # in every temporary name: .NAME~backtrace-PID-XXXXXXXX.tmp
TEMPORARY_SUFFIX = ".tmp"


def descriptor_named(path: str) -> int | None:
    """The descriptor number a path like /dev/stdout or /proc/self/fd/3 names, or None."""
    match = _DESCRIPTOR_PATH.match(os.path.normpath(path) if path.startswith("/") else "")
    if match is None:
        return None
    if match["std"]:
        return _STANDARD[match["std"]]
    pid = match["pid"]
    if pid is not None and pid not in ("self", "thread-self") and int(pid) != os.getpid():
        return None  # another process's descriptor: an ordinary path as far as we can tell
    return int(match["dev_fd"] or match["proc_fd"])


@frozen
class Target:
    """One file a command is going to write, already checked: planning every target of a
    command before it trains is what lets each refusal come before anything is written."""

    path: str  # as the user gave it, for messages
    where: str  # the path from this process's folder
    option: str  # the option that named it (-o, --plot), for messages
    how: str  # "descriptor", "in place" (a device, a FIFO) or "whole" (a regular file)
    identity: tuple[Any, ...]  # what says two targets are the same file
    descriptor: int | None = None
    binary: bool = False
    in_folder: bool = False  # a table in a folder backtrace fills: its name is never followed
    inputs: tuple[Any, ...] = ()
    streams: Mapping[int, Any] | None = None
    # A named pipe's descriptor, opened when planned to learn that it has a reader, and kept
    # open for the trace: closing it would tell that reader the trace has ended.
    held: int | None = field(default=None, compare=False)

    @contextlib.contextmanager
    def open(self) -> Iterator[Any]:
        """A stream for the file, which appears whole when the block succeeds."""
        if self.how == "descriptor":
            with _descriptor_stream(
                self.path, self.descriptor, self.inputs, self.streams or {}, self.binary  # type: ignore[arg-type]
            ) as stream:
                yield stream
        elif self.how == "in place":
            with _in_place(
                self.path, self.where, self.binary, follow=not self.in_folder, held=self.held
            ) as stream:
                yield stream
        else:
            with _whole(self.path, self.where, self.binary, follow=not self.in_folder) as stream:
                yield stream

    @property
    def is_a_file(self) -> bool:
        """Whether this names a file on disk (two outputs may share a device, not a file)."""
        return self.how == "whole" or self.identity[0] == "file"


def plan(
    path: str,
    *,
    option: str = "-o",
    inputs: Collection[FileId] = (),
    streams: Mapping[int, TextIO] | None = None,
    cwd: str | os.PathLike | None = None,
    binary: bool = False,
    replace: bool = True,
    in_folder: bool = False,
) -> Target:
    """Check that `path` can be written, and how, without writing anything.

    Refused here: one of the run's `inputs` (by any path, link or hard link), a folder, an
    existing file when the command does not `replace` files (init and schema without
    --force), a read-only file (as a shell's `>` refuses it), a missing or read-only folder,
    a full file system, and, `in_folder`, a symbolic link under the file's name. A symbolic
    link named by the user is followed, so its target is what gets written."""
    common = dict(option=option, binary=binary, in_folder=in_folder, inputs=tuple(inputs))
    descriptor = descriptor_named(path)
    if descriptor is not None:
        given = (streams or {}).get(descriptor)
        try:
            status: os.stat_result | None = os.fstat(
                given.fileno() if given is not None else descriptor
            )
        except (OSError, ValueError, AttributeError):
            if given is None:
                raise OutputError(
                    f"cannot write {path}: descriptor {descriptor} is not open"
                ) from None
            status = None  # a stream with no descriptor (a test's): nothing on disk to protect
        identity: tuple[Any, ...] = ("stream", descriptor)
        if status is not None:
            _refuse_inputs(path, status, inputs, option)
            identity = _identity(status)
        return Target(path, path, how="descriptor", identity=identity, descriptor=descriptor,
                      streams=streams, **common)  # fmt: skip
    where = os.path.join(cwd, path) if cwd is not None else path
    try:
        status = os.lstat(where) if in_folder else os.stat(where)
    except FileNotFoundError:
        status = None
    except (OSError, ValueError) as error:
        raise OutputError(f"cannot write {path}: {_reason(error)}") from None
    if status is not None:
        _refuse_inputs(path, status, inputs, option)
        if stat.S_ISLNK(status.st_mode):
            raise OutputError(
                f"cannot write {path}: it is a symbolic link, and backtrace follows no link "
                "inside a folder it fills; remove the link"
            )
        if stat.S_ISDIR(status.st_mode):
            raise OutputError(f"cannot write {path}: it is a directory")
        if not replace:
            raise UsageError(f"{path} already exists; add --force to replace it")
        if not stat.S_ISREG(status.st_mode):
            if _always_full(status):
                raise OutputError(f"cannot write {path}: No space left on device")
            held = None
            if stat.S_ISFIFO(status.st_mode):  # a pipe nobody reads: refused before training
                held = _open_in_place(path, where, follow=not in_folder)
            return Target(path, where, how="in place", identity=_identity(status), held=held,
                          **common)  # fmt: skip
        if not _writable(where, status):
            raise OutputError(f"cannot write {path}: it is read-only (Permission denied)")
    folder = os.path.dirname(_resolved(where, follow=not in_folder)) or "."
    if not (in_folder and not os.path.lexists(folder)):  # a folder yet to be made is checked
        _check_folder(path, folder)  # by whoever makes it (csv_files.plan_tables)
    identity = _identity(status) if status is not None else ("new", _resolved(where, follow=False))
    return Target(path, where, how="whole", identity=identity, **common)


def distinct(targets: Sequence[Target | None]) -> None:
    """Refuse two outputs of one run that name the same file: the second would replace the
    first. Devices (/dev/null) and streams may be shared."""
    seen: dict[tuple[Any, ...], Target] = {}
    for target in targets:
        if target is None or not target.is_a_file:
            continue
        earlier = seen.setdefault(target.identity, target)
        if earlier is not target:
            raise UsageError(
                f"{earlier.option} {earlier.path} and {target.option} {target.path} name the "
                "same file, so one would replace the other; choose two files"
            )


def _identity(status: os.stat_result) -> tuple[Any, ...]:
    kind = "file" if stat.S_ISREG(status.st_mode) else "special"
    return (kind, status.st_dev, status.st_ino)


def _resolved(where: str, *, follow: bool) -> str:
    """The absolute path; only the folder's links are resolved unless `follow`."""
    if follow:
        return os.path.realpath(where)
    folder, name = os.path.split(os.path.abspath(where))
    return os.path.join(os.path.realpath(folder), name)


def _writable(where: str, status: os.stat_result) -> bool:
    """As a shell's `>` sees it: the user may write the file. A file without any write
    permission counts as read-only even for root, whose shell would write it, since someone
    made it so on purpose."""
    return bool(status.st_mode & 0o222) and os.access(where, os.W_OK)


def _always_full(status: os.stat_result) -> bool:
    """/dev/full (character device 1, 7 on Linux), which fails every write."""
    return (
        sys.platform.startswith("linux")
        and stat.S_ISCHR(status.st_mode)
        and (os.major(status.st_rdev), os.minor(status.st_rdev)) == (1, 7)
    )


def _check_folder(path: str, folder: str) -> None:
    """The folder a new file goes into exists, may be written, and has room."""
    try:
        status = os.stat(folder)
    except (OSError, ValueError) as error:
        raise OutputError(f"cannot write {path}: {_reason(error)}") from None
    if not stat.S_ISDIR(status.st_mode):
        raise OutputError(f"cannot write {path}: {os.strerror(errno.ENOTDIR)}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: {os.strerror(errno.EACCES)}")
    if no_room(folder):
        raise OutputError(f"cannot write {path}: {os.strerror(errno.ENOSPC)}")


def no_room(folder: str) -> bool:
    """Whether the file system holding `folder` has no free block for this user."""
    try:
        usage = os.statvfs(folder)
    except (OSError, AttributeError):
        return False  # cannot tell: the write itself will say
    free = usage.f_bfree if os.geteuid() == 0 else usage.f_bavail
    return usage.f_blocks > 0 and free == 0


@contextlib.contextmanager
def output_file(
    path: str,
    *,
    inputs: Collection[FileId] = (),
    streams: Mapping[int, TextIO] | None = None,
    cwd: str | os.PathLike | None = None,
    binary: bool = False,
) -> Iterator[Any]:
    """A stream for the trace that appears at `path` whole when the block succeeds (a
    binary one, for a picture, with `binary`): `plan` and `Target.open` in one."""
    with plan(path, inputs=inputs, streams=streams, cwd=cwd, binary=binary).open() as stream:
        yield stream


def _mode(binary: bool) -> dict[str, str]:
    """open()'s mode and encoding for a trace (text) or a picture (bytes)."""
    return {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8"}


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno == errno.ELOOP:
        return "it is a loop of symbolic links"
    if isinstance(error, ValueError):
        return "the name contains a NUL character"
    return str(getattr(error, "strerror", None) or error)


def _refuse_inputs(
    path: str, status: os.stat_result, inputs: Collection[FileId], option: str = "-o"
) -> None:
    for read in inputs:
        if read.same_file(status):
            raise UsageError(
                f"{option} {path} is {read.role} this run reads ({read.name}); writing the trace "
                "there would destroy it, so choose another file"
            )


@contextlib.contextmanager
def _descriptor_stream(
    path: str,
    descriptor: int,
    inputs: Collection[FileId],
    streams: Mapping[int, TextIO],
    binary: bool,
) -> Iterator[Any]:
    """Write through an open descriptor, as the shell set it up (appending, a pipe ...)."""
    given = streams.get(descriptor)
    try:
        status = os.fstat(given.fileno() if given is not None else descriptor)
    except (OSError, ValueError):
        if given is None:
            raise OutputError(f"cannot write {path}: descriptor {descriptor} is not open") from None
        status = None  # a stream with no descriptor (a test's): nothing on disk to protect
    if status is not None:
        _refuse_inputs(path, status, inputs)
    if given is not None:
        target = getattr(given, "buffer", None) if binary else given
        if target is None:
            raise OutputError(f"cannot write {path}: it takes text only")
        given.flush()
        yield target
        target.flush()
        return
    try:
        stream = open(os.dup(descriptor), **_mode(binary))  # noqa: SIM115
    except OSError as error:
        raise OutputError(f"cannot write {path}: {_reason(error)}") from None
    with _as_output_errors(path):
        with stream:
            yield stream


def _open_in_place(path: str, where: str, *, follow: bool = True) -> int:
    """A descriptor for writing a device or a named pipe where it is."""
    # O_NONBLOCK: a FIFO with no reader would otherwise hold the open forever; it fails with
    # ENXIO instead, which is how a pipe nobody reads is found.
    flags = os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    if not follow:
        flags |= os.O_NOFOLLOW  # a link planted since the plan is refused, not followed
    try:
        fd = os.open(where, flags)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise OutputError(f"cannot write {path}: nothing is reading that pipe") from None
        raise OutputError(f"cannot write {path}: {_reason(error)}") from None
    os.set_blocking(fd, True)
    return fd


@contextlib.contextmanager
def _in_place(
    path: str, where: str, binary: bool, *, follow: bool = True, held: int | None = None
) -> Iterator[Any]:
    """Write a device or a named pipe where it is; renaming over it would replace it.
    `held` is the descriptor planning opened (a named pipe's), else one is opened now."""
    fd = held if held is not None else _open_in_place(path, where, follow=follow)
    with _as_output_errors(path):
        with open(fd, **_mode(binary)) as stream:
            yield stream


@contextlib.contextmanager
def _as_output_errors(path: str) -> Iterator[None]:
    """OSErrors while writing `path` as one-line OutputErrors; a closed pipe stays itself."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(f"cannot write {path}: {_reason(error)}") from None


@contextlib.contextmanager
def _whole(path: str, where: str, binary: bool, *, follow: bool = True) -> Iterator[Any]:
    """Write a new file beside the target and rename it into place. Without `follow`, the
    name itself is replaced even if it has become a symbolic link: rename never follows."""
    target = _resolved(where, follow=follow)
    directory, name = os.path.split(target)
    try:
        status: os.stat_result | None = os.lstat(target)
    except OSError:
        status = None
    keep = status is not None and stat.S_ISREG(status.st_mode)
    mode = stat.S_IMODE(status.st_mode) if keep else 0o666 & ~_umask()  # type: ignore[union-attr]
    temporary: str | None = None  # the temporary file's name, while it has one
    try:
        folder = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {_reason(error)}") from None
    try:
        _remove_stale_temporaries(folder, name)
        fd, temporary = _new_file(folder, name, mode)
        try:
            with open(fd, **_mode(binary), closefd=False) as stream:
                yield stream
            os.fchmod(fd, mode)
            if temporary is None:  # unnamed until now: name it beside the target
                temporary = _temporary_name(folder, name)
                os.link(f"/proc/self/fd/{fd}", temporary, dst_dir_fd=folder)
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
            temporary = None
        finally:
            os.close(fd)
    except BaseException as error:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            raise OutputError(f"cannot write {path}: {_reason(error)}") from None
        raise
    finally:
        os.close(folder)


def _new_file(folder: int, name: str, mode: int) -> tuple[int, str | None]:
    """A new file in the folder for the trace, and its name: none where the system allows
    (so that nothing is left if the process is killed), else a temporary one."""
    flags = os.O_WRONLY | os.O_CLOEXEC
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):  # to link it in later
        try:
            return os.open(".", flags | os.O_TMPFILE, mode, dir_fd=folder), None
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
    temporary = _temporary_name(folder, name)  # an older kernel, or a file system without it
    return os.open(temporary, flags | os.O_CREAT | os.O_EXCL, mode, dir_fd=folder), temporary


def _temporary_name(folder: int, name: str) -> str:
    """.NAME~backtrace-PID-XXXXXXXX.tmp, NAME shortened to fit the longest file name the
    folder's file system allows."""
    tail = f"{TEMPORARY_MARK}{os.getpid()}-{os.urandom(4).hex()}{TEMPORARY_SUFFIX}"
    room = _name_max(folder) - len(os.fsencode("." + tail))
    stem = os.fsencode(name)[: max(room, 0)]
    return f".{_whole_characters(stem)}{tail}"


def _whole_characters(encoded: bytes) -> str:
    """A shortened file name, without a multi-byte character cut in half at its end."""
    while encoded:
        try:
            return encoded.decode(sys.getfilesystemencoding())
        except UnicodeDecodeError:
            encoded = encoded[:-1]
    return ""


def _name_max(folder: int) -> int:
    try:
        return os.fpathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _remove_stale_temporaries(folder: int, name: str) -> None:
    """Remove temporary files that an earlier, killed run left for this target."""
    prefix = _temporary_name(folder, name).split(TEMPORARY_MARK)[0] + TEMPORARY_MARK
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not (entry.name.startswith(prefix) and entry.name.endswith(TEMPORARY_SUFFIX)):
                continue
            pid = entry.name[len(prefix) :].split("-")[0]
            if pid.isdigit() and not _alive(int(pid)) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.name, dir_fd=folder)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# -- signals -----------------------------------------------------------------------------------

# Signals that end a run the way Ctrl-C does: the unfinished -o file is removed.
STOPPING_SIGNALS = {
    signal.SIGTERM: ExitStatus.TERMINATED,
    signal.SIGHUP: ExitStatus.HANGUP,
}


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Interrupted`, as SIGINT raises
    KeyboardInterrupt, so that the same clean-up runs; the old handlers come back after."""

    def interrupt(number: int, frame: object) -> None:
        raise Interrupted(STOPPING_SIGNALS[signal.Signals(number)], signal.Signals(number).name)

    previous = {number: signal.signal(number, interrupt) for number in STOPPING_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
