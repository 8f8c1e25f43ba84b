"""The bundled examples as starting points: a one-line list of them, and `init`, which copies
one (the article's network unless another is named) into a folder as a config to edit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from backtrace.config.discovery import (
    SCHEMA_FILE,
    bundled_directory,
    bundled_names,
    bundled_path,
)
from backtrace.errors import ConfigError, OutputError, UsageError

DEFAULT_EXAMPLE = "xor"
DEFAULT_TARGET = "backtrace.yaml"  # the first name `run` looks for when given no config
SCHEMA_COMMENT = "# yaml-language-server: $schema="


def _document(path: Path) -> Any:
    from backtrace.config.documents import parse_json, parse_yaml

    text = path.read_text(encoding="utf-8")
    try:
        return (parse_json if path.suffix == ".json" else parse_yaml)(text)[0]
    except ConfigError:
        return None


def describe(path: Path) -> str:
    """An example's title, or else the first line of its opening comment."""
    document = _document(path)
    if isinstance(document, dict) and isinstance(document.get("title"), str):
        return document["title"]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and not line.startswith(SCHEMA_COMMENT):
            return line.lstrip("# ").strip()
    return ""


def examples() -> list[tuple[str, str]]:
    """Each bundled example's name and what it shows, in one line."""
    found = []
    for name in bundled_names():
        path = bundled_path(name)
        if path is not None:
            found.append((name, describe(path)))
    return found


def schema_path() -> Path | None:
    directory = bundled_directory()
    if directory is None or not (directory / SCHEMA_FILE).is_file():
        return None
    return directory / SCHEMA_FILE


def example_path(name: str) -> Path:
    path = bundled_path(name)
    if path is None:
        import difflib

        names = bundled_names()
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"no bundled example is called {name!r}{guess}; the examples are {', '.join(names)}"
        )
    return path


def starter_text(name: str) -> str:
    """The example's text, its schema comment pointing at the installed schema, so that an
    editor completes fields wherever the copy goes."""
    text = example_path(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith(SCHEMA_COMMENT)]
    schema = schema_path()
    if schema is not None:
        lines.insert(0, f"{SCHEMA_COMMENT}{schema}\n")
    return "".join(lines)


def data_file(name: str) -> str | None:
    """The CSV file an example reads, as the example names it, if it reads one."""
    document = _document(example_path(name))
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, str):
        return data
    if isinstance(data, dict) and isinstance(data.get("csv"), str):
        return data["csv"]
    return None


def write_starter(name: str, path: str, *, cwd: Path, force: bool) -> list[Path]:
    """Copy the example to `path` (from `cwd`), and the CSV file it reads beside it, each
    written whole; an existing file is kept unless `force`. Both are checked before either
    is written. Returns the files written."""
    from backtrace.output import distinct, plan

    target = cwd / path
    text = starter_text(name)
    planned = [(plan(path, cwd=cwd, replace=force), text.encode("utf-8"))]
    csv = data_file(name)
    directory = bundled_directory()
    if csv is not None and directory is not None and not os.path.isabs(csv):
        copy = os.path.join(os.path.dirname(path), csv)
        if force or not os.path.lexists(cwd / copy):  # an existing copy is the user's data
            try:
                (cwd / copy).parent.mkdir(parents=True, exist_ok=True)
                data = (directory / csv).read_bytes()
            except OSError as error:
                raise OutputError(f"cannot write {copy}: {error.strerror or error}") from None
            planned.append((plan(copy, cwd=cwd, replace=force, binary=True), data))
    distinct([each for each, _ in planned])
    written = []
    for each, content in planned:
        with each.open() as out:
            out.write(content if each.binary else content.decode("utf-8"))
        written.append(cwd / each.path)
    return written
