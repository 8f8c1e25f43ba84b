"""Stepping: one table a piece in every format, where the reader is, a key to go back, help
for a key that means nothing, and keys typed while the program starts."""

from __future__ import annotations

import re

import pytest

from helpers import invoke_in

PROMPT = re.compile(r"piece (\d+) of (\d+) · ")


def prompts(stderr: str) -> list[tuple[int, int]]:
    return [(int(at), int(of)) for at, of in PROMPT.findall(stderr)]


def test_an_epoch_of_the_article_is_sixteen_pieces() -> None:
    # 4 samples × (forward, loss, deltas, updates): the updates of a step are one table.
    result = invoke_in(["step", "xor"], keys="\r" * 20, terminal=True)
    assert result.status == 0
    assert prompts(result.stderr) == [(number, 16) for number in range(1, 16)]
    longest = max(len(line) for line in result.stderr.split("\r\x1b[2K"))
    assert longest <= 80  # a prompt that wrapped could not be erased
    assert result.stdout.count("Update, step") == 4


@pytest.mark.parametrize("output_format", ["text", "table", "markdown", "jsonl", "json"])
def test_each_piece_is_one_table_in_every_paced_format(output_format: str) -> None:
    result = invoke_in(["step", "xor", "--format", output_format], keys="\r" * 20, terminal=True)
    assert result.status == 0 and len(prompts(result.stderr)) == 15


def test_csv_in_a_terminal_asks_for_no_keys() -> None:
    result = invoke_in(["step", "xor", "--format", "csv"], keys="", terminal=True)
    assert result.status == 0
    assert prompts(result.stderr) == [] and result.stdout.startswith("event,")


def test_back_shows_the_piece_before_again() -> None:
    forward = invoke_in(["step", "xor"], keys="\rq", terminal=True).stdout
    back = invoke_in(["step", "xor"], keys="\rbq", terminal=True)
    assert prompts(back.stderr) == [(1, 16), (2, 16), (1, 16)]
    # Piece 1 (the banner, weights and sample 1's forward pass), piece 2, then piece 1 again.
    assert back.stdout.count("Forward pass") == forward.count("Forward pass") + 1
    assert back.stdout.count("Loss (article)") == 1


def test_back_redraws_the_piece_before_as_a_pager_does() -> None:
    from backtrace.stepping import CLEAR_SCREEN

    back = invoke_in(["step", "xor"], keys="\rbq", terminal=True)
    assert back.stdout.count(CLEAR_SCREEN) == 1
    # After the clear, the screen holds piece 1 alone: the loss of piece 2 is gone from it.
    redrawn = back.stdout.split(CLEAR_SCREEN)[1]
    assert "Forward pass" in redrawn and "Loss (article)" not in redrawn


def test_back_at_the_first_piece_says_it_is_the_first() -> None:
    quit_at_once = invoke_in(["step", "xor"], keys="q", terminal=True)
    back = invoke_in(["step", "xor"], keys="bq", terminal=True)
    assert "This is the first piece; there is none before it." in back.stderr
    assert prompts(back.stderr) == [(1, 16), (1, 16)]
    assert back.stdout == quit_at_once.stdout  # nothing redrawn, nothing cleared


@pytest.mark.parametrize("columns", [20, 40, 60, 79])
def test_the_prompt_fits_a_narrow_terminal(columns: int) -> None:
    # A prompt that wraps leaves its first lines behind when it is erased (issue 18).
    result = invoke_in(["step", "xor"], keys="\r" * 20, terminal=True, columns=columns)
    assert len(prompts(result.stderr)) == 15 or columns < 25
    shown = result.stderr.split("\r\x1b[2K")
    assert max(len(line) for line in shown) < columns
    assert all("piece" in line for line in shown if line)


def test_an_unknown_key_shows_the_keys_and_does_not_move() -> None:
    result = invoke_in(["step", "xor"], keys="x\rq", terminal=True)
    assert prompts(result.stderr) == [(1, 16), (1, 16), (2, 16)]
    assert (
        "'x' is not a key here. The keys:\n  enter, space, n or → : the next piece\n"
        in result.stderr
    )
    assert result.stdout.count("Loss (article)") == 1  # x moved nothing; enter did


def test_arrow_keys_move_too() -> None:
    result = invoke_in(["step", "xor"], keys=["\x1b[C", "\x1b[D", "q"], terminal=True)
    assert prompts(result.stderr) == [(1, 16), (2, 16), (1, 16)]


def test_next_sample_and_continue() -> None:
    result = invoke_in(["step", "xor"], keys="sc", terminal=True)
    assert prompts(result.stderr) == [(1, 16), (5, 16)]
    assert result.stdout.count("Update, step") == 4


def test_keys_typed_while_it_starts_are_kept() -> None:
    import os
    import sys
    from pathlib import Path

    import pexpect

    from helpers import ROOT

    child = pexpect.spawn(
        str(Path(sys.executable).parent / "backtrace"),
        ["step", "xor"],
        cwd=str(ROOT),
        env={"PATH": os.environ.get("PATH", ""), "TERM": "xterm", "COLUMNS": "100"},
        encoding="utf-8",
        timeout=15,
        dimensions=(40, 100),
    )
    child.delaybeforesend = child.delayafterclose = child.delayafterterminate = 0
    child.send("  q")  # before the program has even started: next, next, quit
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Backward pass" in child.before and "Update, step 1" not in child.before
