"""Which config file a command means: a path, a bundled example's name, or one found nearby."""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from pathlib import Path

from backtrace.errors import ConfigError, UsageError

DEFAULT_NAMES = ("backtrace.yaml", "backtrace.yml", "backtrace.json")
ENVIRONMENT_VARIABLE = "BACKTRACE_CONFIG"
EXTENSIONS = (".yaml", ".yml", ".json")
SCHEMA_FILE = "backtrace.schema.json"  # beside the examples, for editors; not an example


def packaged(folder: str) -> Path | None:
    """A folder the wheel installs inside the package (configs, docs), or the same folder of
    a source checkout, which editable installs read."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / folder, package.parent / folder):
        if candidate.is_dir():
            return candidate
    return None


def bundled_directory() -> Path | None:
    """Where the example configs live: inside an installed package, or in a source checkout."""
    return packaged("configs")


def bundled_names() -> list[str]:
    directory = bundled_directory()
    if directory is None:
        return []
    return sorted(
        path.stem
        for path in directory.iterdir()
        if path.suffix in EXTENSIONS and path.name != SCHEMA_FILE
    )


def bundled_path(name: str) -> Path | None:
    directory = bundled_directory()
    if directory is None or "/" in name or "\\" in name:
        return None
    stem = name[: -len(Path(name).suffix)] if name.endswith(EXTENSIONS) else name
    if stem not in bundled_names():
        return None
    for extension in EXTENSIONS:
        candidate = directory / f"{stem}{extension}"
        if candidate.is_file():
            return candidate
    return None


def _present(path: Path, as_given: str) -> bool:
    """Whether something is at `path`, even a broken or looping symbolic link, which reading
    then explains better than "no such file" would."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except ValueError:
        raise ConfigError("a file name cannot contain a NUL character", source=as_given) from None
    except OSError as error:  # a name too long, a file where a folder should be ...
        if error.errno == errno.ENOTDIR:
            return False
        raise ConfigError(str(error.strerror or error).lower(), source=as_given) from None
    return True


def find_config(
    argument: str | None, *, cwd: Path, env: Mapping[str, str]
) -> tuple[str, str | None]:
    """The config path to load for a command-line argument (which may be absent), and the name
    to show for it: what the user typed, a bundled example's short name, or None for stdin."""
    if argument is not None:
        if argument == "-":
            return argument, None
        bundled = bundled_path(argument)
        # A file of that name wins over a bundled example; a folder does not (`run xor -o xor/`
        # writes one, and `run xor` should still mean the example afterwards).
        if _present(cwd / argument, argument) and not (bundled and (cwd / argument).is_dir()):
            return argument, argument
        if bundled is not None:
            return str(bundled), bundled.stem
        names = bundled_names()
        import difflib  # only a name that finds nothing needs it

        close = difflib.get_close_matches(argument, names, n=1, cutoff=0.6)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        hint = f"; bundled examples you can name instead: {', '.join(names)}" if names else ""
        raise ConfigError(f"no such file{guess}{hint}", source=argument)
    if env.get(ENVIRONMENT_VARIABLE):
        path = env[ENVIRONMENT_VARIABLE]
        if not _present(cwd / path, path):
            raise UsageError(f"{ENVIRONMENT_VARIABLE} names {path}, which does not exist")
        return path, path
    for name in DEFAULT_NAMES:
        if (cwd / name).is_file():
            return name, name
    raise UsageError(
        f"no config given, and none found: looked for {', '.join(DEFAULT_NAMES)} in {cwd} and for "
        f"the {ENVIRONMENT_VARIABLE} environment variable"
    )
