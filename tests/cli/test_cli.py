"""The command line through click's test runner: output, errors and exit statuses."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from backtrace.cli import cli
from helpers import CONFIGS, ROOT


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(ROOT)
    return CliRunner()


def jsonl(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_every_command_has_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        assert command.help, name
        sub = runner.invoke(cli, [name, "--help"])
        assert sub.exit_code == 0 and "Usage:" in sub.output


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("backtrace, version ")


def test_run_prints_the_articles_tables(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "configs/xor.yaml"])
    assert result.exit_code == 0, result.stderr
    assert "│ W10    │ X0·δ_Z1 = 1·(-4) = -4 │ 1 - 0.1·(-4) = 1.4 │ ✓ 1.4 " in result.stdout
    assert "Epoch 1: mean loss" in result.stdout
    assert result.stderr == ""


def test_run_jsonl_is_only_json(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "configs/xor.yaml", "--format", "jsonl"])
    assert result.exit_code == 0
    records = jsonl(result.stdout)
    deltas = {r["unit"]: r["delta"] for r in records if r["event"] == "delta" and r["sample"] == 1}
    assert deltas == {"D0": -4, "Z1": -4, "Z2": -4, "Z3": -4}


def test_set_and_epochs(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "run",
            "configs/xor.yaml",
            "--format",
            "jsonl",
            "--set",
            "loss=squared_error",
            "--set",
            "reference=null",
            "--epochs",
            "2",
            "--trace",
            "none",
        ],
    )
    assert result.exit_code == 0, result.stderr
    records = jsonl(result.stdout)
    assert [r["epoch"] for r in records if r["event"] == "epoch"] == [1, 2]
    assert not any(r["event"] == "forward" for r in records)


def test_trace_selection(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "run",
            "configs/xor-sigmoid.yaml",
            "--format",
            "jsonl",
            "--epochs",
            "12",
            "--trace",
            "first,10-11,last",
        ],
    )
    traced = sorted({r["epoch"] for r in jsonl(result.stdout) if r["event"] == "forward"})
    assert traced == [1, 10, 11, 12]


def test_config_on_stdin(runner: CliRunner) -> None:
    text = (CONFIGS / "xor-gradient.yaml").read_text()
    result = runner.invoke(cli, ["run", "-", "--format", "jsonl"], input=text)
    assert result.exit_code == 0
    first = jsonl(result.stdout)[0]
    assert first["event"] == "start" and first["source"] == "<stdin>"


def test_bad_config_is_one_line_and_exit_2(runner: CliRunner, tmp_path) -> None:
    document = yaml.safe_load((CONFIGS / "xor.yaml").read_text())
    document["optimizer"]["learning_rate"] = "fast"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(cli, ["run", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert (
        result.stderr.startswith(f"backtrace: error: {path}:")
        and "optimizer.learning_rate" in result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["run", "missing.yaml"], "missing.yaml: no such file"),
        (["run", "configs/xor.yaml", "--trace", "7"], "out of range"),
        (["run", "configs/xor.yaml", "--trace", "soon"], "is not a valid epoch"),
        (["run", "configs/xor.yaml", "--set", "nonsense"], "PATH=VALUE"),
        (["run", "configs/xor.yaml", "--format", "pdf"], "Invalid value for '--format'"),
        (["run", "configs/xor.yaml", "--epochs", "0"], "Invalid value for '--epochs'"),
    ],
)
def test_bad_command_lines_exit_2(runner: CliRunner, arguments: list[str], words: str) -> None:
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_divergence_exits_3_and_says_where(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "configs/xor.yaml", "--epochs", "50", "--trace", "none"])
    assert result.exit_code == 3
    assert "Training diverged at epoch" in result.stderr and result.stderr.count("\n") == 1
    assert "nan" not in result.stdout and result.stdout.count("inf") == 1  # only in the message
    assert result.stdout.count("Epoch ") < 50  # it stopped instead of printing pages of nan


def test_debug_shows_the_traceback(runner: CliRunner) -> None:
    from backtrace.errors import ConfigError

    result = runner.invoke(cli, ["run", "missing.yaml", "--debug"])
    assert isinstance(result.exception, ConfigError)  # raised, not turned into SystemExit
    quiet = runner.invoke(cli, ["run", "missing.yaml"])
    assert isinstance(quiet.exception, SystemExit)


@pytest.mark.parametrize("output_format", ["table", "text", "markdown"])
def test_divergence_on_a_terminal_is_said_once(output_format: str) -> None:
    # The trace on screen ends with its "Diverged" remark; a second line on the same screen,
    # `backtrace: error: Training diverged ...`, said it again (issue 18). The status stays 3.
    from helpers import invoke_in

    arguments = ["run", "xor", "--epochs", "10", "--trace", "none", "--format", output_format]
    shown = invoke_in(arguments, terminal=True, stderr_terminal=True)
    assert shown.status == 3
    assert shown.stdout.count("Training diverged at epoch 3") == 1
    assert "Training diverged" not in shown.stderr and "error" not in shown.stderr
    # The loss line on stderr marks the end of the curve without saying why again.
    assert "stopped at epoch 3" in shown.stderr and "became inf" not in shown.stderr
    # Where the trace is not on the screen, or not in words, stderr says it.
    for elsewhere in (
        invoke_in(arguments),  # a pipe
        invoke_in(arguments, terminal=True),  # stderr to a log
        invoke_in([*arguments[:-1], "jsonl"], terminal=True, stderr_terminal=True),
    ):
        assert elsewhere.status == 3
        assert elsewhere.stderr.count("backtrace: error: Training diverged at epoch 3") == 1
