"""A new user's first hour: help, examples, a starter config, the schema, the manual, and
messages that say what to do. Each test is one stumble from issue 9's list."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from helpers import CONFIGS, ROOT, article_document, invoke_in

DOCS = ROOT / "docs"


def test_a_bare_backtrace_prints_the_help_and_succeeds() -> None:
    result = invoke_in([])
    assert result.status == 0
    assert result.stdout.startswith("Usage: backtrace [OPTIONS] [COMMAND] [ARGS]...")
    assert "Commands:" in result.stdout and result.stderr == ""
    assert "(see 'backtrace --help')" not in result.stdout


def test_python_dash_m_backtrace_prints_the_help_too() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "backtrace"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and done.stdout.startswith("Usage: backtrace")


def test_examples_lists_every_bundled_config_with_its_title() -> None:
    result = invoke_in(["examples"])
    assert result.status == 0
    lines = result.stdout.splitlines()
    bundled = sorted(path.stem for path in CONFIGS.glob("*.yaml"))
    assert [line.split()[0] for line in lines] == bundled
    titles = {
        path.stem: yaml.safe_load(path.read_text())["title"] for path in CONFIGS.glob("*.yaml")
    }
    for line in lines:
        name, description = line.split(maxsplit=1)
        assert description == titles[name]


def test_init_then_run_in_an_empty_folder(tmp_path: Path) -> None:
    made = invoke_in(["init"], cwd=tmp_path)
    assert made.status == 0, made.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backtrace.yaml"]
    assert "wrote backtrace.yaml" in made.stderr and made.stdout == ""
    text = (tmp_path / "backtrace.yaml").read_text()
    assert sum("#" in line for line in text.splitlines()) > 10  # the comments came along
    ran = invoke_in(["run", "backtrace.yaml", "--format", "jsonl"], cwd=tmp_path)
    assert ran.status == 0, ran.stderr
    updates = [json.loads(line) for line in ran.stdout.splitlines()]
    assert next(r["new"] for r in updates if r["event"] == "update" and r["weight"] == "W10") == 1.4
    found = invoke_in(["run", "--trace", "none", "--format", "jsonl"], cwd=tmp_path)
    assert found.status == 0 and '"source": "backtrace.yaml"' in found.stdout


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    mine = tmp_path / "backtrace.yaml"
    mine.write_text("my own work\n")
    refused = invoke_in(["init", "xor-sigmoid"], cwd=tmp_path)
    assert refused.status == 2
    assert (
        refused.stderr
        == "backtrace: error: backtrace.yaml already exists; add --force to replace it\n"
    )
    assert mine.read_text() == "my own work\n"
    forced = invoke_in(["init", "xor-sigmoid", "--force"], cwd=tmp_path)
    assert forced.status == 0
    assert yaml.safe_load(mine.read_text())["title"].startswith("XOR with sigmoid units")
    other = invoke_in(["init", "mazur", "-o", "mine.yaml"], cwd=tmp_path)
    assert other.status == 0 and (tmp_path / "mine.yaml").is_file()


def test_init_suggests_an_example_for_a_typo(tmp_path: Path) -> None:
    result = invoke_in(["init", "xor-sigmod"], cwd=tmp_path)
    assert result.status == 2
    assert "did you mean 'xor-sigmoid'?" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_bundled_example_runs_from_any_folder(tmp_path: Path) -> None:
    result = invoke_in(["run", "xor", "--format", "jsonl"], cwd=tmp_path)
    assert result.status == 0
    assert json.loads(result.stdout.splitlines()[0])["source"] == "xor"


def test_a_folder_written_by_a_csv_run_does_not_hide_the_example(tmp_path: Path) -> None:
    # `run xor -o xor/` writes a folder named xor; `run xor` must still find the example.
    assert invoke_in(["run", "xor", "--format", "csv", "-o", "xor/"], cwd=tmp_path).status == 0
    assert (tmp_path / "xor").is_dir()
    result = invoke_in(["run", "xor", "--format", "jsonl"], cwd=tmp_path)
    assert result.status == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["source"] == "xor"
    # A folder that names no example is still refused, with its name.
    (tmp_path / "mine").mkdir()
    refused = invoke_in(["run", "mine"], cwd=tmp_path)
    assert refused.status == 2 and "mine" in refused.stderr


def schema() -> dict:
    result = invoke_in(["schema"])
    assert result.status == 0
    return json.loads(result.stdout)


def test_the_schema_accepts_every_bundled_config_and_rejects_mistakes() -> None:
    import jsonschema

    printed = schema()
    jsonschema.Draft202012Validator.check_schema(printed)
    validator = jsonschema.Draft202012Validator(printed)
    for path in CONFIGS.glob("*.yaml"):
        validator.validate(yaml.safe_load(path.read_text()))
    validator.validate(article_document())  # the shorthands: inputs: 2, data: [...]
    assert not validator.is_valid({**article_document(), "learning_rate": 0.1})
    assert not validator.is_valid({**article_document(), "loss": "mse"})
    layer = {"units": 3, "activation": "tanh", "weights": {"init": "he"}}  # a scheme's alias
    assert validator.is_valid({**article_document(), "layers": [layer, layer]})


def test_the_bundled_configs_declare_the_schema_which_is_current() -> None:
    committed = json.loads((CONFIGS / "backtrace.schema.json").read_text())
    assert committed == schema(), (
        "configs/backtrace.schema.json is out of date: run "
        "'backtrace schema -o configs/backtrace.schema.json'"
    )
    for path in CONFIGS.glob("*.yaml"):
        assert path.read_text().startswith(
            "# yaml-language-server: $schema=backtrace.schema.json\n"
        ), path.name


def test_init_points_the_copy_at_the_installed_schema(tmp_path: Path) -> None:
    invoke_in(["init"], cwd=tmp_path)
    first = (tmp_path / "backtrace.yaml").read_text().splitlines()[0]
    declared = Path(first.removeprefix("# yaml-language-server: $schema="))
    assert declared.is_absolute() and json.loads(declared.read_text()) == schema()


def test_docs_lists_the_installed_pages() -> None:
    result = invoke_in(["docs"])
    assert result.status == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == sorted(path.stem for path in DOCS.glob("*.md"))
    assert "config  " in result.stdout


def test_docs_shows_a_page_and_suggests_a_topic() -> None:
    page = invoke_in(["docs", "config"])
    assert page.status == 0 and page.stdout == (DOCS / "config.md").read_text()
    on_screen = invoke_in(["docs", "names"], terminal=True, columns=90)
    assert on_screen.status == 0 and "#" not in on_screen.stdout.splitlines()[0]
    wrong = invoke_in(["docs", "confg"])
    assert wrong.status == 2 and "did you mean 'config'?" in wrong.stderr


def test_messages_point_to_the_installed_docs_not_the_repository() -> None:
    from click.testing import CliRunner

    from backtrace.cli import cli

    help_text = CliRunner().invoke(cli, ["--help"]).stdout
    assert "docs/" not in help_text and "backtrace docs config" in help_text
    for command in cli.commands:
        assert "docs/" not in CliRunner().invoke(cli, [command, "--help"]).stdout, command


def write(folder: Path, name: str, document: dict | str) -> str:
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    (folder / name).write_text(text)
    return name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"learning_rate": 0.1},
            "learning_rate: unknown field 'learning_rate'; it belongs under optimizer.learning_rate",
        ),
        (
            {"loss": "mse"},
            "loss: 'mse' is not one of article, squared_error, sum_squared_error, mean_squared_error, "
            "binary_cross_entropy, softmax_cross_entropy; did you mean 'mean_squared_error'?",
        ),
        (
            {"frozen": "bias"},
            "frozen: input should be a list (got 'bias'); write it as a list: [bias]",
        ),
        (
            {"reference": {"values": [{"quantity": "new", "name": "W99", "printed": 1}]}},
            "reference.values[0].name: 'W99' is not a weight; the weights are W10, W11, W12, "
            "W20, W21, W22, W30, W31, W32, V00, V01, V02, V03",
        ),
    ],
)
def test_messages_say_what_to_write(tmp_path: Path, change: dict, message: str) -> None:
    name = write(tmp_path, "net.yaml", {**article_document(), **change})
    result = invoke_in(["run", name], cwd=tmp_path)
    assert result.status == 2
    assert result.stderr.endswith(f" {message}\n"), result.stderr


def test_a_short_data_row_is_named_with_its_line(tmp_path: Path) -> None:
    text = yaml.safe_dump({**article_document(), "data": None}, sort_keys=False).replace(
        "data: null", "data:\n- [0, 0, 0]\n- [0, 1]\n"
    )
    line = text.splitlines().index("- [0, 1]") + 1
    result = invoke_in(["run", write(tmp_path, "net.yaml", text)], cwd=tmp_path)
    assert result.stderr == (
        f"backtrace: error: net.yaml:{line}: data.rows[1]: has 2 values but each sample needs 3: "
        "2 inputs, then 1 target\n"
    )


def test_a_misspelt_example_gets_a_suggestion(tmp_path: Path) -> None:
    result = invoke_in(["run", "xor-sigmod"], cwd=tmp_path)
    assert result.status == 2
    assert "xor-sigmod: no such file; did you mean 'xor-sigmoid'?" in result.stderr


def test_a_data_file_on_the_command_line_is_read_from_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "iris").mkdir()
    (tmp_path / "iris" / "xor.csv").write_text("0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    result = invoke_in(
        ["run", "xor", "--set", "data=iris/xor.csv", "--trace", "none", "--format", "jsonl"],
        cwd=tmp_path,
    )
    assert result.status == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["samples"] == 4


def test_cannot_read_shows_the_full_path_tried(tmp_path: Path) -> None:
    missing = invoke_in(["run", "xor", "--set", "data=iris/iris.csv"], cwd=tmp_path)
    assert missing.stderr == (
        "backtrace: error: --set: data.csv: cannot read iris/iris.csv: no such file "
        f"(looked for {tmp_path / 'iris' / 'iris.csv'})\n"
    )
    (tmp_path / "nets").mkdir()
    write(tmp_path / "nets", "net.yaml", {**article_document(), "data": "rows.csv"})
    in_file = invoke_in(["run", "nets/net.yaml"], cwd=tmp_path)
    assert f"(looked for {tmp_path / 'nets' / 'rows.csv'})" in in_file.stderr


def test_epoch_and_epochs_cannot_be_confused() -> None:
    run = invoke_in(["run", "xor", "--epoch", "3"])
    assert run.status == 2
    assert (
        "run has no --epoch: --trace N traces epoch N in full, and --epochs N trains" in run.stderr
    )
    step = invoke_in(["step", "xor", "--epochs", "3"])
    assert step.status == 2 and "step has no --epochs" in step.stderr
    from click.testing import CliRunner

    from backtrace.cli import cli

    assert "--epoch " not in CliRunner().invoke(cli, ["run", "--help"]).stdout
    assert "--epochs" not in CliRunner().invoke(cli, ["step", "--help"]).stdout


def test_one_sample_is_one_sample(tmp_path: Path) -> None:
    name = write(tmp_path, "one.yaml", {**article_document(), "data": [[0, 1, 1]]})
    result = invoke_in(["run", name, "--width", "120"], cwd=tmp_path)
    assert "1 epoch, 1 sample " in result.stdout and "1 samples" not in result.stdout


def test_every_command_is_in_the_cli_docs() -> None:
    from backtrace.cli import cli

    text = (DOCS / "cli.md").read_text()
    synopsis = text.split("```")[1]
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    for name in cli.commands:
        assert re.search(rf"^backtrace {name} ", synopsis, flags=re.M), name
        assert any(f"`{name}`" in heading for heading in headings), name


@pytest.mark.parametrize("command", ["graph xor --width 100", "graph xor --sample 1 --width 100"])
def test_the_cli_docs_show_what_graph_prints(command: str) -> None:
    text = (DOCS / "cli.md").read_text()
    shown = re.search(rf"\$ backtrace {re.escape(command)}\n(.*?)```", text, flags=re.S)
    assert shown, command
    printed = invoke_in(command.split()).stdout
    assert shown.group(1) == "".join(line.rstrip() + "\n" for line in printed.splitlines())


def test_the_readme_example_is_real() -> None:
    text = (ROOT / "README.md").read_text()
    command = "backtrace run xor --sample 1 --phase backward --format text"
    shown = re.search(rf"\$ {re.escape(command)}\n\.\.\.\n(.*?)```", text, flags=re.S)
    assert shown
    printed = invoke_in(command.split()[1:], columns=80).stdout
    assert shown.group(1) in printed


def test_the_wheel_installs_the_docs_and_examples_inside_the_package() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib comes with Python 3.11")

    from backtrace.config.discovery import packaged

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included == {"configs": "backtrace/configs", "docs": "backtrace/docs"}
    # An installed package looks inside itself first (a checkout has no backtrace/docs).
    assert packaged("docs") == DOCS and not (ROOT / "backtrace" / "docs").exists()


def test_init_copies_the_data_file_an_example_reads(tmp_path: Path, monkeypatch) -> None:
    import backtrace.config.discovery as discovery
    import backtrace.starter as starter

    examples = tmp_path / "examples"
    examples.mkdir()
    document = {**article_document(), "title": "From a file", "data": "rows.csv"}
    (examples / "from-file.yaml").write_text(yaml.safe_dump(document))
    (examples / "rows.csv").write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    monkeypatch.setattr(discovery, "bundled_directory", lambda: examples)
    monkeypatch.setattr(starter, "bundled_directory", lambda: examples)
    work = tmp_path / "work"
    work.mkdir()
    made = invoke_in(["init", "from-file"], cwd=work)
    assert made.status == 0 and "wrote backtrace.yaml, rows.csv" in made.stderr
    ran = invoke_in(["run", "--trace", "none", "--format", "jsonl"], cwd=work)
    assert ran.status == 0 and json.loads(ran.stdout.splitlines()[0])["samples"] == 4


def test_init_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = invoke_in(["init", "-o", "no/such/net.yaml"], cwd=tmp_path)
    assert result.status == 1
    assert result.stderr.startswith("backtrace: error: cannot write no/such/net.yaml: ")
    assert list(tmp_path.iterdir()) == []


def test_a_handout_of_one_sample_says_whose_weights_end_it(tmp_path: Path) -> None:
    # After sample 1's step the article's W10 is 1.4; the closing block holds the weights
    # after all four samples, which must not pass for that step's result (issue 18).
    result = invoke_in(["run", "xor", "--sample", "1", "-o", "handout.md"], cwd=tmp_path)
    assert result.status == 0
    handout = (tmp_path / "handout.md").read_text()
    headings = [line for line in handout.splitlines() if line.startswith("## Weights")]
    assert headings == [
        "## Weights after epoch 1, after all 4 samples (the trace above shows sample 1 only)"
    ]
    assert "| W10 | X0·δ_Z1 = 1·(-4) = -4 | 1 - 0.1·(-4) = 1.4 |" in handout  # the step's own
    # Without a selection of samples the heading is the plain one.
    whole = invoke_in(["run", "xor", "--format", "markdown"]).stdout
    assert "## Weights after epoch 1\n" in whole
