"""Every install hint names the project's own distribution (issue 18): "backtrace" on the
package index is an unrelated project, so a hint that names it installs someone else's code."""

from __future__ import annotations

import re
import shlex
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest

import backtrace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# "pip install" and what follows, up to the end of the code span, string or line it sits in.
HINT = re.compile(r"pip install ([^`\"\n)]*(?:'[^'\n]*')?[^`\"\n)]*)")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def hinted_requirements() -> list[tuple[str, str]]:
    """(file, requirement) for every package a `pip install` in the sources or docs names."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    files += sorted((ROOT / "backtrace").rglob("*.py"))
    found = []
    for path in files:
        for match in HINT.finditer(path.read_text(encoding="utf-8")):
            try:
                words = shlex.split(match.group(1))
            except ValueError:  # an unbalanced quote: take the words as written
                words = match.group(1).split()
            for word in words:
                if word.startswith("-") or word.startswith("."):  # options, local paths
                    continue
                if word in {"&&", "|", ";"}:
                    break
                found.append((str(path.relative_to(ROOT)), word.rstrip(".,;:")))
    return found


def test_the_distribution_name_is_not_the_taken_one() -> None:
    assert normalized(PROJECT["name"]) != "backtrace"
    assert "backtrace" in PROJECT["scripts"]  # the command keeps its name
    assert normalized(backtrace.DISTRIBUTION) == normalized(PROJECT["name"])


def test_every_install_hint_names_this_distribution() -> None:
    hints = hinted_requirements()
    assert any(file == "README.md" for file, _ in hints)  # the scan sees the README's hint
    assert any(file.startswith("backtrace/") for file, _ in hints)  # and the messages'
    for file, requirement in hints:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert name and normalized(name.group()) == normalized(PROJECT["name"]), (
            file,
            requirement,
        )


def test_the_installed_distribution_is_found_under_its_name() -> None:
    installed = distribution(PROJECT["name"])
    assert installed.version == PROJECT["version"] == backtrace.__version__
    scripts = {entry.name for entry in installed.entry_points if entry.group == "console_scripts"}
    assert "backtrace" in scripts
