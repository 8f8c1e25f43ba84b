"""The documentation's examples run, and print what the documentation says they print."""

from __future__ import annotations

import re

import pytest

from helpers import ROOT

DOCS = ROOT / "docs"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def checked_statements(block: str) -> list[tuple[str, str | None]]:
    """(statement, expected repr) pairs: a line followed by `# ...` lines is an expression
    whose repr those lines show; other lines (and multi-line statements) are run as they are."""
    pieces: list[tuple[str, str | None]] = []
    lines = block.splitlines()
    index = 0
    while index < len(lines):
        statement = [lines[index]]
        index += 1
        while index < len(lines) and (
            lines[index].startswith((" ", ")", "]", "}")) or not lines[index].strip()
        ):
            statement.append(lines[index])
            index += 1
        expected = []
        while index < len(lines) and lines[index].startswith("# "):
            expected.append(lines[index][2:])
            index += 1
        pieces.append(("\n".join(statement), "\n".join(expected) if expected else None))
    return pieces


@pytest.mark.parametrize("page", ["api.md"])
def test_python_examples_print_what_the_page_says(page: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace: dict = {}
    for block in python_blocks((DOCS / page).read_text()):
        for statement, expected in checked_statements(block):
            if expected is None:
                exec(statement, namespace)
            else:
                code = statement.split("#")[0].strip()
                assert repr(eval(code, namespace)) == expected, code


def test_the_readmes_selection_examples_show_what_they_say() -> None:
    # README said `--unit 'Z*' --phase backward` shows "only the hidden units' deltas", but
    # --unit leaves gradients (weight records) alone: all 13 of them were shown (issue 18).
    import json
    import shlex

    from helpers import invoke_in

    readme = (ROOT / "README.md").read_text()
    lines = {
        line.partition("#")[2].strip(): shlex.split(line.partition("#")[0])[1:]
        for line in readme.splitlines()
        if line.startswith("backtrace run xor --unit 'Z*'")
    }
    assert set(lines) == {"hidden units' deltas; all 13 gradients", "... and only W's gradients"}
    for said, arguments in lines.items():
        out = invoke_in([*arguments, "--format", "jsonl"]).stdout
        shown = [json.loads(line) for line in out.splitlines()]
        deltas = {r["unit"] for r in shown if r["event"] == "delta"}
        gradients = {r["weight"] for r in shown if r["event"] == "gradient"}
        assert deltas == {"Z1", "Z2", "Z3"}  # the bias unit Z0 has no delta
        assert not any(r["event"] in ("forward", "update") for r in shown)
        if said.startswith("..."):
            assert gradients == {f"W{unit}{source}" for unit in (1, 2, 3) for source in (0, 1, 2)}
        else:
            assert len(gradients) == 13  # the article's 2-3-1 network with bias units
