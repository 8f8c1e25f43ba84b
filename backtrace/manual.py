"""The documentation, installed with the package: `backtrace docs` lists its pages and shows
one. The topics are the installed pages themselves, so a new page is a new topic."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

from backtrace.config.discovery import packaged
from backtrace.errors import UsageError

if TYPE_CHECKING:
    from backtrace.terminal import Terminal


def docs_directory() -> Path | None:
    return packaged("docs")


def topics() -> dict[str, str]:
    """Each page's topic (its file name) and its title (its first heading)."""
    directory = docs_directory()
    if directory is None:
        return {}
    found = {}
    for path in sorted(directory.glob("*.md")):
        title = next(
            (
                line.lstrip("# ").strip()
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.startswith("# ")
            ),
            path.stem,
        )
        found[path.stem] = title
    return found


def page(topic: str) -> str:
    """A page's Markdown text."""
    known = topics()
    name = topic.removesuffix(".md").lower()
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"no page is called {topic!r}{guess}; the topics are {', '.join(known)}")
    directory = docs_directory()
    assert directory is not None  # topics() found the page there
    return (directory / f"{name}.md").read_text(encoding="utf-8")


def show(topic: str, term: Terminal) -> None:
    """A page on stdout: drawn as Markdown on a terminal, as its plain text elsewhere."""
    text = page(topic)
    if not term.stdout_is_terminal:
        term.stdout.write(text)
        return
    from rich.markdown import Markdown

    from backtrace.terminal import rich_console

    color = term.wants_color()
    rich_console(
        file=term.stdout,
        width=term.width(None, to_terminal=True),
        color_system="standard" if color else None,
        force_terminal=color,
    ).print(Markdown(text))
