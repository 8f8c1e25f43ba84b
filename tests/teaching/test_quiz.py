"""`backtrace quiz`: worksheets whose blanks are results, with keys that hold the right values."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import backtrace
from backtrace import api
from helpers import ARTICLE, invoke_in


def full_trace_values(config: str, sample: int = 1, epoch: int = 1, **changes) -> dict:
    """Every value of a plain run, by (quantity, name), independently of the quiz code."""
    values = {}
    trace = backtrace.run(backtrace.load(config, changes or None), trace=epoch, sample=sample)
    for r in trace:
        if r.event == "forward":
            values[("h", r.unit)], values[("z", r.unit)] = r.h, r.z
        elif r.event == "loss":
            values[("loss", None)] = r.loss
        elif r.event == "delta":
            values[("delta", r.unit)] = r.delta
        elif r.event == "gradient":
            values[("grad", r.weight)] = r.grad
        elif r.event == "update":
            values[("new", r.weight)] = r.new
    return values


@pytest.mark.parametrize("seed", range(6))
def test_every_blank_of_the_article_sheet_holds_the_articles_number(seed: int) -> None:
    (sheet,) = api.quiz("xor", seed=seed, blank="h,z,loss,delta,grad,new", count=8)
    assert len(sheet.key) == 8
    for entry in sheet.key:
        assert entry.value == pytest.approx(ARTICLE[entry.name], abs=1e-15), entry.name


@pytest.mark.parametrize("config", ["xor-sigmoid", "mazur", "xor-adam", "xor-deep", "iris"])
def test_key_values_equal_the_full_traces(config: str) -> None:
    own_seed = backtrace.load(config).config.seed
    for sheet in api.quiz(config, seed=0, students=2, sample=1):
        # --seed 0 keeps the config's own numbers; version 2 draws them with its seed + 1.
        truth = full_trace_values(config, seed=own_seed + sheet.seed)
        assert sheet.key
        for entry in sheet.key:
            assert entry.value == truth[(entry.address.quantity, entry.address.subject)]


def test_two_seeds_give_different_blanks() -> None:
    chosen = {seed: [e.name for e in api.quiz("xor", seed=seed)[0].key] for seed in range(4)}
    assert len({tuple(names) for names in chosen.values()}) > 1


def test_the_default_mix_is_forward_values_deltas_and_updates() -> None:
    (sheet,) = api.quiz("xor-sigmoid", seed=1)
    groups = [entry.address.quantity for entry in sheet.key]
    assert groups.count("h") + groups.count("z") == 2
    assert groups.count("delta") == 2
    assert "delta_D0" in [entry.name for entry in sheet.key]  # the output delta
    assert groups.count("new") == 2


def test_a_blank_replaces_the_result_and_the_sheet_keeps_the_operands() -> None:
    (sheet,) = api.quiz("xor", blank="delta", unit="Z1")
    assert [entry.name for entry in sheet.key] == ["delta_Z1"]
    text = backtrace.render(list(sheet.records), "text", width=100, blanks=sheet.blanks)
    assert "δ_Z1 = V01·δ_D0·f'(h_Z1) = 1·(-4)·1 = [#1:____]" in text
    # Z1's delta is an operand of W10's gradient: that line shows its box, not its value.
    assert "X0·δ_Z1 = 1·[#1:____] = -4" in text
    # Nothing that would give the answers away: no reference marks, no final weights.
    assert "✓" not in text and "✗" not in text and "after epoch" not in text


def test_seeded_random_weights_give_each_student_their_own_numbers() -> None:
    sheets = api.quiz("xor-sigmoid", students=3, seed=10, blank="new", count=1)
    own_seed = backtrace.load("xor-sigmoid").config.seed
    assert [sheet.seed for sheet in sheets] == [10, 11, 12]
    firsts = {next(r.values for r in sheet.records if r.event == "weights") for sheet in sheets}
    assert len(firsts) == 3
    for sheet in sheets:  # each version's key comes from its own numbers
        truth = full_trace_values("xor-sigmoid", seed=own_seed + sheet.seed)
        (entry,) = sheet.key
        assert entry.value == truth[("new", entry.address.subject)]


def test_the_cli_writes_sheets_and_keys_one_file_per_student(tmp_path: Path) -> None:
    result = invoke_in(
        ["quiz", "xor", "--students", "2", "--seed", "4", "-o", "sheet.md", "--key", "key.json"],
        cwd=tmp_path,
    )
    assert result.status == 0, result.stderr
    for version, seed in ((1, 4), (2, 5)):
        sheet = (tmp_path / f"sheet-{version}.md").read_text()
        key = json.loads((tmp_path / f"key-{version}.json").read_text())
        assert key["seed"] == seed and key["version"] == version
        assert f"seed {seed}" in sheet
        for blank in key["blanks"]:
            assert f"[#{blank['number']}:____]" in sheet
            assert blank["value"] == ARTICLE[blank["name"]]


def test_a_csv_key_holds_every_digit(tmp_path: Path) -> None:
    result = invoke_in(["quiz", "mazur", "--blank", "z", "--key", "key.csv"], cwd=tmp_path)
    assert result.status == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "key.csv").read_text())))
    truth = full_trace_values("mazur")
    assert [row["name"] for row in rows] == ["z_h1", "z_h2", "z_o1", "z_o2"]
    for row in rows:
        assert float(row["value"]) == truth[("z", row["name"][2:])]
    assert rows[0]["printed"] == "0.59327"  # Mazur's 0.593269992 at six digits


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--blank", "weights"], "--blank weights: blanks are h, z, loss, delta, grad, new"),
        # 4 units × (h, z), the loss, 4 deltas, 13 gradients and 13 new weights: 39 results.
        (["--count", "500"], "--count: asks for more blanks than the 39 results"),
        (["--unit", "Q*"], "--unit: 'Q*' matches no unit"),
        (["--format", "jsonl"], "'jsonl' is not one of 'table', 'text', 'markdown', 'latex'"),
        (["-o", "sheet.jsonl"], "a worksheet is written as text, markdown, latex, table, not jsonl"),
        (["--key", "key.xlsx"], "--key key.xlsx: a key is written as .json, .csv"),
        (["--sample", "9"], "--sample: sample 9 is out of range"),
    ],
)
def test_bad_quiz_options_get_one_line(arguments: list[str], message: str, tmp_path) -> None:
    result = invoke_in(["quiz", "xor", *arguments], cwd=tmp_path)
    assert result.status == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_sheets_and_keys_compile(tmp_path: Path) -> None:
    result = invoke_in(
        ["quiz", "xor-sigmoid", "-o", "sheet.tex", "--key", "key.tex", "--seed", "2"],
        cwd=tmp_path,
    )
    assert result.status == 0, result.stderr
    for name in ("sheet", "key"):
        compiled = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        log = (tmp_path / f"{name}.log").read_text(errors="replace")
        assert compiled.returncode == 0, log[-2000:]
        assert not re.search(r"^! ", log, re.MULTILINE)
    assert "\\boxed" in (tmp_path / "sheet.tex").read_text()


def test_an_epoch_past_the_config_is_refused_in_quiz_words(tmp_path: Path) -> None:
    result = invoke_in(["quiz", "xor", "--epoch", "2"], cwd=tmp_path)
    assert result.status == 2
    assert result.stderr.startswith("backtrace: error: --epoch: epoch 2 is out of range")
