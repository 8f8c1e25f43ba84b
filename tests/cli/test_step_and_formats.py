"""`step`, the selectors and the output formats, through click's test runner."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from backtrace.cli import cli
from backtrace.output import output_file
from helpers import CONFIGS, ROOT


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("BACKTRACE_CONFIG", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *arguments: str, **kwargs):
    result = runner.invoke(cli, list(arguments), **kwargs)
    assert result.exit_code == 0, result.stderr
    return result


def csv_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """The CSV format's long table cut into its tables, keyed by the event of their rows."""
    tables: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        tables.setdefault(row["event"], []).append(row)
    return tables


def test_csv_on_stdout_is_one_table_every_row_as_wide_as_its_header(runner: CliRunner) -> None:
    # Several tables with their own headers in one stream put one table's rows under
    # another's columns for pandas.read_csv (issue 18): stdout is one long table instead.
    for arguments in (["run", "xor"], ["run", "xor", "--exact"], ["run", "xor-adam"],
                      ["check", "xor-sigmoid"], ["run", "xor-sigmoid", "--epochs", "3"]):  # fmt: skip
        text = invoke(runner, *arguments, "--format", "csv").stdout
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        assert header[0] == "event" and len(set(header)) == len(header), arguments
        assert all(len(row) == len(header) for row in rows), arguments  # no blank lines either
        assert header.count("event") == 1 and sum(row == header for row in rows) == 1
    # The article's first update, under its own columns of the long table.
    updates = csv_tables(invoke(runner, "run", "xor", "--format", "csv").stdout)["update"]
    assert (updates[0]["weight"], updates[0]["old"], updates[0]["grad"], updates[0]["new"]) == (
        "W10", "1", "-4", "1.4",
    )  # fmt: skip


def test_text_lays_out_the_articles_arithmetic(runner: CliRunner) -> None:
    text = invoke(runner, "run", "configs/xor.yaml", "--format", "text", "--width", "100").stdout
    lines = text.splitlines()
    row = lines.index(
        "  Z1    W10·X0 + W11·X1 + W12·X2           identity(1) = 1  ✓ h = 1, ✓ z = 1"
    )
    assert lines[row + 1] == "        = 1·1 + 1·0 + 1·0 = 1"
    assert "  D0    V00·Z0 + V01·Z1 + V02·Z2 + V03·Z3  identity(4) = 4  ✓ h = 4, ✓ z = 4" in lines
    assert "Loss (article): error = y - ŷ = 0 - 4 = -4 (the article: ✓ -4)" in lines
    assert "  W10     X0·δ_Z1 = 1·(-4) = -4  1 - 0.1·(-4) = 1.4  ✓ 1.4" in lines
    assert not any(mark in text for mark in "─│╭")  # no box drawing in plain text


def test_csv_and_jsonl_carry_the_same_numbers(runner: CliRunner) -> None:
    tables = csv_tables(invoke(runner, "run", "configs/xor.yaml", "--format", "csv").stdout)
    records = [
        json.loads(line)
        for line in invoke(
            runner, "run", "configs/xor.yaml", "--format", "jsonl"
        ).stdout.splitlines()
    ]
    for event, keys in {
        "forward": ("unit", "h", "z"),
        "delta": ("unit", "delta"),
        "update": ("weight", "old", "grad", "new"),
    }.items():
        from_json = [tuple(str(r[key]) for key in keys) for r in records if r["event"] == event]
        from_csv = [tuple(row[key] for key in keys) for row in tables[event]]
        assert from_csv == from_json and from_csv, event
    first_update = tables["update"][0]
    assert (first_update["weight"], float(first_update["new"])) == ("W10", 1.4)
    assert [float(row["loss"]) for row in tables["loss"]][0] == -4


def test_csv_with_one_phase_is_one_table(runner: CliRunner) -> None:
    text = invoke(runner, "run", "configs/xor.yaml", "--format", "csv", "--phase", "update").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 13 * 4 and {row["event"] for row in rows} == {"update"}


def test_markdown_tables(runner: CliRunner) -> None:
    text = invoke(runner, "run", "configs/xor.yaml", "--format", "markdown").stdout
    assert "| W10 | X0·δ_Z1 = 1·(-4) = -4 | 1 - 0.1·(-4) = 1.4 | ✓ 1.4 |" in text
    assert "| unit | h = Σ w·z | z = f(h) | the article |\n| --- | --- | --- | --- |" in text


def test_selectors(runner: CliRunner) -> None:
    out = invoke(
        runner,
        "run",
        "xor",
        "--format",
        "jsonl",
        "--unit",
        "Z*",
        "--phase",
        "backward",
        "--sample",
        "2-3",
    ).stdout
    records = [json.loads(line) for line in out.splitlines()]
    traced = [
        r
        for r in records
        if r["event"] in ("sample", "forward", "loss", "delta", "gradient", "update")
    ]
    assert {r["event"] for r in traced} == {"sample", "delta", "gradient"}  # headings stay
    assert {r["unit"] for r in traced if r["event"] == "delta"} == {"Z1", "Z2", "Z3"}
    assert {r["sample"] for r in traced} == {2, 3}
    weights = [
        json.loads(line)
        for line in invoke(
            runner, "run", "xor", "--format", "jsonl", "--weight", "V0*", "--phase", "update"
        ).stdout.splitlines()
    ]
    assert {r["weight"] for r in weights if r["event"] == "update"} == {"V00", "V01", "V02", "V03"}


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--unit", "Q1"], "no unit matches 'Q1'; the units are Z0, Z1, Z2, Z3, D0"),
        (["--weight", "W9*"], "no weight matches 'W9*'; the weights are W10, W11"),
        (["--sample", "5"], "--sample: sample 5 is out of range; there are samples 1 to 4"),
        (["--phase", "sideways"], "Invalid value for '--phase'"),
        (["--unit", "X1"], "no unit matches 'X1'"),  # inputs have no records of their own
        (["--sample", "none"], "--sample: selects no sample"),
        (["--trace", "5-3"], "the range 5-3 runs backwards"),
    ],
)
def test_selecting_what_does_not_exist(runner: CliRunner, arguments: list[str], words: str) -> None:
    result = runner.invoke(cli, ["run", "xor", *arguments])
    assert result.exit_code == 2 and words in result.stderr


def test_step_without_a_terminal_prints_the_whole_epoch(runner: CliRunner) -> None:
    result = invoke(runner, "step", "xor", "--epoch", "1")
    assert result.stdout.count("Forward pass") == 4  # every sample, no waiting
    assert "[enter] next" not in result.stdout + result.stderr


def test_step_trains_silently_up_to_the_epoch(runner: CliRunner) -> None:
    out = invoke(runner, "step", "xor-sigmoid", "--epoch", "3", "--format", "jsonl").stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["epoch"] for r in records if r["event"] == "forward"} == {3}
    assert [r["epoch"] for r in records if r["event"] == "epoch"] == [3]
    assert [r["when"] for r in records if r["event"] == "weights"] == [
        "initial",
        "current",
        "final",
    ]
    # The weights shown at the start of epoch 3 are those the first forward record uses.
    current = next(r for r in records if r["event"] == "weights" and r["when"] == "current")[
        "values"
    ]
    z1 = next(r for r in records if r["event"] == "forward" and r["unit"] == "Z1")
    assert [t["w"] for t in z1["terms"]] == [current[name] for name in ("W10", "W11", "W12")]


def test_step_finds_its_config(
    runner: CliRunner, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = runner.invoke(cli, ["step"])
    assert missing.exit_code == 2
    assert "looked for backtrace.yaml, backtrace.yml, backtrace.json" in missing.stderr
    assert "BACKTRACE_CONFIG" in missing.stderr
    (tmp_path / "backtrace.yaml").write_text((CONFIGS / "xor-gradient.yaml").read_text())
    found = invoke(runner, "step", "--format", "jsonl").stdout
    assert json.loads(found.splitlines()[0])["source"] == "backtrace.yaml"
    monkeypatch.setenv("BACKTRACE_CONFIG", str(CONFIGS / "xor.yaml"))
    chosen = invoke(runner, "step", "--format", "jsonl").stdout
    assert json.loads(chosen.splitlines()[0])["source"].endswith("xor.yaml")


def test_unknown_config_name_lists_the_bundled_examples(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "xorr"])
    assert result.exit_code == 2
    from backtrace.config.discovery import bundled_names

    listed = result.stderr.partition("bundled examples you can name instead: ")[2].strip()
    assert result.stderr.startswith("backtrace: error: xorr: no such file; ")
    assert listed.split(", ") == bundled_names() and "xor-gradient" in listed


def test_output_file_takes_its_format_from_the_extension(runner: CliRunner, tmp_path) -> None:
    target = tmp_path / "trace.jsonl"
    result = invoke(runner, "run", "xor", "-o", str(target))
    assert result.stdout == ""
    assert json.loads(target.read_text().splitlines()[0])["event"] == "start"
    markdown = tmp_path / "trace.md"
    invoke(runner, "run", "xor", "-o", str(markdown))
    assert markdown.read_text().startswith("# The article's XOR network")
    forced = tmp_path / "trace.txt"  # .txt leaves the choice to --format
    invoke(runner, "run", "xor", "-o", str(forced), "--format", "csv")
    assert forced.read_text().startswith("event,epoch,sample,layer,unit,h,z")


def test_output_file_is_whole_or_untouched(tmp_path) -> None:
    target = tmp_path / "trace.txt"
    target.write_text("the good trace\n")
    with pytest.raises(KeyboardInterrupt):
        with output_file(str(target)) as handle:
            handle.write("half a trace")
            raise KeyboardInterrupt
    assert target.read_text() == "the good trace\n"
    assert [path.name for path in tmp_path.iterdir()] == ["trace.txt"]  # no temporary file left


def test_output_into_a_missing_directory(runner: CliRunner, tmp_path) -> None:
    result = runner.invoke(cli, ["run", "xor", "-o", str(tmp_path / "nowhere" / "trace.txt")])
    assert result.exit_code == 1
    assert (
        result.stderr.startswith("backtrace: error: cannot write")
        and result.stderr.count("\n") == 1
    )


def test_width_option(runner: CliRunner) -> None:
    narrow = invoke(runner, "run", "xor", "--width", "60").stdout
    assert max(len(line) for line in narrow.splitlines()) <= 60


def test_same_input_same_bytes(runner: CliRunner) -> None:
    for output_format in ("table", "jsonl", "csv"):
        arguments = (
            "run",
            "xor-sigmoid",
            "--format",
            output_format,
            "--epochs",
            "3",
            "--trace",
            "all",
        )
        first, second = (invoke(runner, *arguments).stdout_bytes for _ in range(2))
        assert first == second


def test_step_with_no_epoch_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["step", "xor", "--epoch", "none"])
    assert result.exit_code == 2 and "selects no epoch" in result.stderr


def test_reference_notes_survive_filtering(runner: CliRunner) -> None:
    for output_format in ("table", "markdown", "text"):
        out = invoke(
            runner,
            "run",
            "xor",
            "--unit",
            "Z0",
            "--phase",
            "backward",
            "--sample",
            "1",
            "--format",
            output_format,
            "--width",
            "200",
        ).stdout
        assert "the article prints -4 for δ_Z0; the tool computes no such value." in out, (
            output_format
        )


def test_negative_numbers_are_bracketed_in_differences(runner: CliRunner) -> None:
    # Output weights of -1 make D0 = -1 - 1 - 1 - 1 = -4 on the first sample.
    out = invoke(
        runner,
        "run",
        "xor",
        "--set",
        "layers[1].weights=-1",
        "--set",
        "reference=null",
        "--format",
        "text",
        "--sample",
        "1",
    ).stdout
    assert "error = y - ŷ = 0 - (-4) = 4" in out
    assert "δ_D0 = y - ŷ = 0 - (-4) = 4" in out


def test_output_to_special_files_and_links(runner: CliRunner, tmp_path) -> None:
    import os
    import stat

    link = tmp_path / "link.jsonl"
    real = tmp_path / "real.jsonl"
    real.write_text("old")
    real.chmod(0o640)
    link.symlink_to(real)
    invoke(runner, "run", "xor", "-o", str(link))
    assert link.is_symlink() and json.loads(real.read_text().splitlines()[0])["event"] == "start"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file keeps its permissions
    invoke(runner, "run", "xor", "-o", os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # written to, not replaced
    result = runner.invoke(cli, ["run", "xor", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "is a directory" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["run", "xor", "--format", "xml"], "Invalid value for '--format'"),
        (["run", "xor", "--bogus"], "No such option '--bogus'"),
        (["run", "xor", "extra"], "unexpected extra argument"),
        (["run", "xor", "--precision", "0"], "Invalid value for '--precision'"),
    ],
)
def test_command_line_mistakes_are_one_line(
    runner: CliRunner, arguments: list[str], words: str
) -> None:
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 2
    assert result.stderr.startswith("backtrace: error: ") and result.stderr.count("\n") == 1
    assert words in result.stderr and "--help" in result.stderr


def test_missing_config_messages(
    runner: CliRunner, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    nothing = runner.invoke(cli, ["run"])
    assert nothing.stderr.startswith("backtrace: error: no config given")
    monkeypatch.setenv("BACKTRACE_CONFIG", "nope.yaml")
    named = runner.invoke(cli, ["run"])
    assert named.exit_code == 2
    assert (
        named.stderr == "backtrace: error: BACKTRACE_CONFIG names nope.yaml, which does not exist\n"
    )


def test_output_extensions(runner: CliRunner, tmp_path) -> None:
    unknown = runner.invoke(cli, ["run", "xor", "-o", str(tmp_path / "trace.pdf")])
    assert unknown.exit_code == 2 and "cannot tell the format from '.pdf'" in unknown.stderr
    assert list(tmp_path.iterdir()) == []
    invoke(runner, "step", "xor", "-o", str(tmp_path / "notes.txt"))
    assert (
        "Forward pass\n  unit  h = Σ w·z" in (tmp_path / "notes.txt").read_text()
    )  # step's format: text
    invoke(runner, "run", "xor", "-o", str(tmp_path / "tables.txt"))
    assert "╭" in (tmp_path / "tables.txt").read_text()  # run's, tables


def test_bundled_examples_are_named_by_name(
    runner: CliRunner, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = json.loads(invoke(runner, "run", "xor", "--format", "jsonl").stdout.splitlines()[0])
    assert first["source"] == "xor"


def test_references_are_dropped_when_set_changes_the_network(runner: CliRunner) -> None:
    changed = invoke(runner, "run", "xor", "--set", "loss=squared_error", "--format", "jsonl")
    assert not any(json.loads(line)["event"] == "reference" for line in changed.stdout.splitlines())
    assert (
        changed.stderr
        == "backtrace: note: --set changed the config, so its reference values are not checked\n"
    )
    kept = invoke(runner, "run", "xor", "--set", "title=Mine", "--epochs", "2", "--format", "jsonl")
    assert any(json.loads(line)["event"] == "reference" for line in kept.stdout.splitlines())
    assert kept.stderr == ""


def test_paced_text_keeps_one_heading_per_section() -> None:
    from backtrace.config import load_config
    from backtrace.engine import train
    from backtrace.renderers import FORMATS, RenderOptions
    from backtrace.stepping import paced

    out, prompts = io.StringIO(), io.StringIO()
    stream = paced(train(load_config(str(CONFIGS / "xor.yaml"))), lambda: "\r", prompts)
    FORMATS["text"].render(stream, out, RenderOptions())
    assert out.getvalue().count("Backward pass") == 4  # once per sample, not once per key press
    assert out.getvalue().count("Update, step") == 4
    # A key before each piece after the first: forward, loss, deltas, updates of 4 samples.
    assert prompts.getvalue().count("[enter] next") == 4 * 4 - 1


def test_each_step_gets_its_own_update_table(runner: CliRunner) -> None:
    for output_format, title in (
        ("table", "Update, step"),
        ("markdown", "Update, step"),
        ("text", "Update, step"),
    ):
        out = invoke(
            runner,
            "run",
            "xor",
            "--phase",
            "update",
            "--weight",
            "W10",
            "--format",
            output_format,
            "--width",
            "200",
        ).stdout
        assert [f"{title} {n} (sample {n})" in out for n in (1, 2, 3, 4)] == [True] * 4, (
            output_format
        )


def test_an_epoch_past_the_ceiling_names_the_option() -> None:
    from helpers import invoke_in

    result = invoke_in(["step", "xor", "--epoch", "2000000"])
    assert result.status == 2
    # No hint to train that far: a run may not (limits.epochs).
    assert result.stderr == (
        "backtrace: error: --epoch: epoch 2000000 is out of range; there are epochs 1 to 1\n"
    )


@pytest.mark.parametrize("command", [["step", "xor", "--epoch"], ["run", "xor", "--trace"]])
def test_step_and_run_refuse_an_epoch_past_the_config_alike(command: list[str]) -> None:
    # configs/xor.yaml trains for 1 epoch: epoch 5 is not part of its run, for either command
    # (step used to train on to epoch 5 quietly; issue 18).
    from helpers import invoke_in

    result = invoke_in([*command, "5"])
    assert result.status == 2 and result.stdout == ""
    assert result.stderr == (
        f"backtrace: error: {command[-1]}: epoch 5 is out of range; there are epochs 1 to 1 "
        "(--set epochs=5 trains that far)\n"
    )
    # As the hint says (epoch 2: the article's network diverges in epoch 3).
    further = invoke_in([*command, "2", "--set", "epochs=2", "--format", "jsonl"])
    assert further.status == 0 and '"epoch": 2, "sample": 1' in further.stdout
