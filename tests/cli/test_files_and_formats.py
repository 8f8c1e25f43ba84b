"""-o and --format: one JSON document in .json, formats that contradict the file's ending
refused, and CSV as one file per table that a spreadsheet or pandas opens as it is."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from helpers import invoke_in


def test_dot_json_is_one_json_document(tmp_path: Path) -> None:
    result = invoke_in(["run", "xor", "-o", "trace.json"], cwd=tmp_path)
    assert result.status == 0, result.stderr
    document = json.loads((tmp_path / "trace.json").read_text())
    lines = invoke_in(["run", "xor", "--format", "jsonl"]).stdout.splitlines()
    assert document == [json.loads(line) for line in lines]


def test_json_of_a_part_with_nothing_in_it_is_still_json(tmp_path: Path) -> None:
    import io

    from backtrace.renderers import FORMATS
    from backtrace.renderers.options import RenderOptions

    out = io.StringIO()
    FORMATS["json"].render([], out, RenderOptions())
    assert json.loads(out.getvalue()) == []


@pytest.mark.parametrize(
    ("requested", "path", "means"),
    [("csv", "out.md", "markdown"), ("jsonl", "out.json", "json"), ("markdown", "t.csv", "csv")],
)
def test_a_format_the_file_name_contradicts_is_refused(
    tmp_path: Path, requested: str, path: str, means: str
) -> None:
    result = invoke_in(["run", "xor", "--format", requested, "-o", path], cwd=tmp_path)
    assert result.status == 2
    assert result.stderr == (
        f"backtrace: error: --format {requested} contradicts -o {path}, whose ending "
        f"{Path(path).suffix} means {means}; change the file name or drop --format\n"
    )
    assert list(tmp_path.iterdir()) == []


def read_table(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_csv_into_a_folder_is_one_file_per_table(tmp_path: Path) -> None:
    result = invoke_in(["run", "xor", "-o", "tables/"], cwd=tmp_path)
    assert result.status == 0, result.stderr
    written = sorted(path.name for path in (tmp_path / "tables").iterdir())
    assert written == [
        "delta.csv",
        "epoch.csv",
        "forward.csv",
        "gradient.csv",
        "loss.csv",
        "reference.csv",
        "update.csv",
        "weights.csv",
    ]
    import csv
    import io

    combined = invoke_in(["run", "xor", "--format", "csv"]).stdout  # one long table
    long_rows = list(csv.DictReader(io.StringIO(combined)))
    for name in written:
        rows = read_table(tmp_path / "tables" / name)
        header, body = rows[0], rows[1:]
        assert header[0] == "event" and body, name
        assert {row[0] for row in body} == {name.removesuffix(".csv")}
        assert all(len(row) == len(header) for row in body), name  # one rectangular table
        # The same rows as the long table's of this event, in its own columns only.
        event = name.removesuffix(".csv")
        assert body == [[row[column] for column in header] for row in long_rows
                        if row["event"] == event], name  # fmt: skip
    update = read_table(tmp_path / "tables" / "update.csv")
    w10 = next(row for row in update[1:] if row[update[0].index("weight")] == "W10")
    assert w10[update[0].index("new")] == "1.4"


def test_csv_keeps_a_note_with_blank_lines_in_one_cell(tmp_path: Path) -> None:
    import io

    from backtrace.csv_files import tables

    text = 'event,note\nreference,"one\n\ntwo"\n\nevent,x\nepoch,1\n'
    assert list(tables(io.StringIO(text))) == [
        ("reference", [["event", "note"], ["reference", "one\n\ntwo"]]),
        ("epoch", [["event", "x"], ["epoch", "1"]]),
    ]


def test_an_existing_folder_takes_tables_only_when_csv_is_named(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    refused = invoke_in(["run", "xor", "-o", "out"], cwd=tmp_path)
    assert refused.status == 1 and "cannot write out: it is a directory" in refused.stderr
    named = invoke_in(["run", "xor", "--format", "csv", "-o", "out"], cwd=tmp_path)
    assert named.status == 0 and (tmp_path / "out" / "forward.csv").is_file()
    other = invoke_in(["run", "xor", "--format", "markdown", "-o", "out/"], cwd=tmp_path)
    assert other.status == 2 and "only --format csv can fill" in other.stderr


def test_tables_left_by_an_earlier_run_are_named_not_mixed_in_silently(tmp_path: Path) -> None:
    first = invoke_in(["run", "xor", "-o", "d/"], cwd=tmp_path)
    assert first.status == 0 and first.stderr == ""  # an empty folder: nothing to say
    again = invoke_in(["run", "xor", "-o", "d/"], cwd=tmp_path)
    assert again.stderr == ""  # the same tables, all rewritten
    check = invoke_in(["check", "xor-gradient", "--format", "csv", "-o", "d/"], cwd=tmp_path)
    assert check.status == 0
    assert "d/ also holds delta.csv, epoch.csv, forward.csv" in check.stderr
    assert "check.csv" not in check.stderr
    assert (tmp_path / "d" / "update.csv").is_file()  # left alone: never delete a user's file


def test_a_file_where_the_folder_should_be_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("mine\n")
    result = invoke_in(["run", "xor", "--format", "csv", "-o", "f.csv/"], cwd=tmp_path)
    assert result.status == 1
    assert "cannot write tables into f.csv/: it is a file, not a folder" in result.stderr
    assert (tmp_path / "f.csv").read_text() == "mine\n"
