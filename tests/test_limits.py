"""The limits live in one module, docs/cli.md lists each one and every exit status, and the
limits the command line can raise are raised by it."""

from __future__ import annotations

import dataclasses
import re

from backtrace import limits
from backtrace.errors import ExitStatus
from helpers import ROOT, invoke_in
from hostile.cases import BASE

CLI_DOCS = (ROOT / "docs" / "cli.md").read_text()


def table_rows(heading: str) -> dict[str, list[str]]:
    """The rows of the first table under `## heading`, by the text of their first cell."""
    section = CLI_DOCS.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("|")]
    return {cells[0].strip().strip("`"): [cell.strip() for cell in cells] for cells in rows[2:]}


def test_every_limit_is_documented_with_its_value() -> None:
    rows = table_rows("Limits")
    for field in dataclasses.fields(limits.Limits):
        value = field.default
        assert field.name in rows, f"docs/cli.md does not list the limit {field.name}"
        shown = f"{value:,}" if isinstance(value, int) else f"{value:g}"
        assert re.search(rf"(?<![\d,.]){re.escape(shown)}(?![\d,])", rows[field.name][1]), (
            field.name
        )
        option = limits.RAISED_BY.get(field.name)
        assert rows[field.name][3] == (f"`{option} N`" if option else "")
    assert set(rows) == {field.name for field in dataclasses.fields(limits.Limits)}


def test_every_exit_status_is_documented() -> None:
    assert set(table_rows("Exit statuses")) == {str(int(status)) for status in ExitStatus}


def test_the_command_line_raises_weights_rows_and_epochs(tmp_path) -> None:
    (tmp_path / "net.yaml").write_text(BASE.split("data:")[0] + "data: d.csv\n")
    (tmp_path / "d.csv").write_text("0,0,0\n" * 3)
    quick = ["--trace", "none", "--format", "jsonl"]
    refused = invoke_in(["run", "net.yaml", "--max-rows", "2", *quick], cwd=tmp_path)
    assert refused.status == 2 and "raise it with --max-rows" in refused.stderr
    allowed = invoke_in(["run", "net.yaml", "--max-rows", "3", *quick], cwd=tmp_path)
    assert allowed.status == 0, allowed.stderr
    # BASE has 3·3 + 1·4 = 13 weights.
    (tmp_path / "xor.yaml").write_text(BASE)
    few = invoke_in(["run", "xor.yaml", "--max-weights", "12", *quick], cwd=tmp_path)
    assert few.status == 2 and "brings the network to 13 weights" in few.stderr
    assert invoke_in(["run", "xor.yaml", "--max-weights", "13", *quick], cwd=tmp_path).status == 0
    # With the limit raised, the run is allowed past the default ceiling, and stops only
    # because BASE diverges (the article's network on XOR does, in epoch 3).
    ceiling = limits.Limits().epochs
    longer = ["--epochs", str(ceiling + 1), "--max-epochs", str(ceiling + 1)]
    raised = invoke_in(["run", "xor.yaml", *longer, *quick], cwd=tmp_path)
    assert raised.status == 3 and "Training diverged" in raised.stderr
    assert limits.active() == limits.Limits()  # raised for that command only
