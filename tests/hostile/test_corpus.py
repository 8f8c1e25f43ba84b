"""Every case of the hostile corpus ends in its one line and exit status, within the bounds.

See cases.py for the corpus and bounded.py for how time and memory are measured.
"""

from __future__ import annotations

import os

import pytest

from hostile.bounded import assert_bounded, in_a_process, in_process
from hostile.cases import CASES, Case, Fifo, Folder, HardLink, Link, ReadOnly


def materialise(case: Case, folder) -> None:
    for name, content in case.files.items():
        path = folder / name
        if isinstance(content, Fifo):
            os.mkfifo(path)
        elif isinstance(content, Folder):
            path.mkdir()
        elif isinstance(content, ReadOnly):
            path.write_text(content.text, encoding="utf-8")
            path.chmod(0o444)
        elif isinstance(content, Link):
            path.symlink_to(content.target)
        elif isinstance(content, HardLink):
            os.link(folder / content.target, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def test_the_corpus_is_large_and_named_uniquely() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 100 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_gets_one_line(case: Case, tmp_path) -> None:
    materialise(case, tmp_path)
    if case.command is not None:
        outcome = in_a_process(case.command, cwd=tmp_path, env=case.env)
    else:
        arguments = [argument.replace("{d}", str(tmp_path)) for argument in case.arguments]
        outcome = in_process(
            arguments,
            cwd=tmp_path,
            stdin=case.stdin,
            env=case.env,
            stdin_from=case.stdin_from,
            stdout_to=case.stdout_to,
        )
    assert outcome.stderr.startswith("backtrace: error: "), outcome.stderr[-2000:]
    assert outcome.stderr.count("\n") == 1 and outcome.stderr.endswith("\n"), outcome.stderr[-2000:]
    assert case.expect in outcome.stderr, outcome.stderr
    assert "\x1b" not in outcome.stderr  # escape sequences are shown, not sent
    assert len(outcome.stderr) < 10_000  # a line a person can read
    assert outcome.status == case.status, outcome.stderr
    if case.status == 2:
        assert outcome.stdout == ""  # refused before anything was written
    for name, content in case.files.items():  # never a lost file
        if isinstance(content, ReadOnly):
            content = content.text
        if isinstance(content, str) and (tmp_path / name).is_file():
            assert (tmp_path / name).read_text(encoding="utf-8") == content, name
    assert_bounded(outcome)
