"""Every writer (-o FILE, -o DIR/, --plot, graph -o, schema -o, init) plans its files before
it writes any: a refusal comes before training starts and before a byte is written, and no
file the user did not name changes, byte for byte, whatever links, modes or names it finds.

Each refusing case runs a long training (a million epochs): staying within the corpus's CPU
bound shows that the refusal came first.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hostile.bounded import BACKTRACE, HANG_SECONDS, assert_bounded, in_process

LONG = ["xor-sigmoid", "--epochs", "1000000", "--trace", "none"]
PLOT = pytest.importorskip  # matplotlib is optional; cases with --plot skip without it


@dataclass(frozen=True)
class Planted:
    id: str
    arguments: list[str]
    status: int
    expect: str
    # name: content; "->x" is a symbolic link to x, "=>x" a hard link, "" a valid config
    files: dict[str, str] = field(default_factory=dict)
    folders: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()
    picture: bool = False


CASES = [
    Planted("schema-over-a-config", ["schema", "-o", "base.yaml"], 2,
            "base.yaml already exists; add --force to replace it", {"base.yaml": "mine\n"}),
    Planted("init-over-a-config", ["init", "-o", "base.yaml"], 2,
            "base.yaml already exists; add --force", {"base.yaml": "mine\n"}),
    Planted("table-is-a-link", ["run", *LONG, "-o", "DIR/"], 1,
            "cannot write DIR/update.csv: it is a symbolic link, and backtrace follows no link",
            {"victim.txt": "victim\n", "DIR/update.csv": "->../victim.txt"}, ("DIR",)),
    Planted("table-is-a-dangling-link", ["run", *LONG, "-o", "DIR/"], 1,
            "cannot write DIR/forward.csv: it is a symbolic link",
            {"DIR/forward.csv": "->../made.txt"}, ("DIR",)),
    Planted("table-is-the-config", ["run", "net.yaml", "--epochs", "1000000", "--trace", "none",
            "-o", "DIR/"], 2, "-o DIR/weights.csv is the config this run reads",
            {"net.yaml": "", "DIR/forward.csv": "old forward\n", "DIR/weights.csv": "=>net.yaml"},
            ("DIR",)),
    Planted("table-is-read-only", ["run", *LONG, "-o", "DIR/"], 1,
            "cannot write DIR/epoch.csv: it is read-only (Permission denied)",
            {"DIR/epoch.csv": "old\n", "DIR/forward.csv": "old forward\n"}, ("DIR",),
            read_only=("DIR/epoch.csv",)),
    Planted("o-read-only", ["run", *LONG, "-o", "t.jsonl"], 1,
            "cannot write t.jsonl: it is read-only (Permission denied)",
            {"t.jsonl": "precious\n"}, read_only=("t.jsonl",)),
    Planted("o-into-a-read-only-link-target", ["run", *LONG, "-o", "t.jsonl"], 1,
            "cannot write t.jsonl: it is read-only",
            {"real.jsonl": "precious\n", "t.jsonl": "->real.jsonl"}, read_only=("real.jsonl",)),
    Planted("o-missing-folder-before-training", ["run", *LONG, "-o", "nowhere/t.jsonl"], 1,
            "cannot write nowhere/t.jsonl: No such file or directory"),
    Planted("o-under-a-file", ["run", *LONG, "-o", "f.txt/t.jsonl"], 1,
            "cannot write f.txt/t.jsonl: Not a directory", {"f.txt": "file\n"}),
    Planted("o-dev-full-before-training", ["run", *LONG, "-o", "/dev/full"], 1,
            "cannot write /dev/full: No space left on device"),
    Planted("folder-under-a-file", ["run", *LONG, "-o", "f.txt/sub/"], 1,
            "cannot write tables into f.txt/sub/: it is a file, not a folder", {"f.txt": "x\n"}),
    Planted("graph-o-read-only", ["graph", "xor", "--step", "3", "-o", "g.dot"], 1,
            "cannot write g.dot: it is read-only", {"g.dot": "mine\n"}, read_only=("g.dot",)),
    Planted("plot-same-as-o", ["run", *LONG, "-o", "out/x.svg", "--plot", "out/x.svg",
            "--format", "text"], 2,
            "-o out/x.svg and --plot out/x.svg name the same file", {"out/x.svg": "old\n"},
            ("out",), picture=True),
    Planted("plot-same-as-o-by-another-path", ["run", *LONG, "-o", "x.svg", "--plot",
            "./out/../x.svg", "--format", "text"], 2, "name the same file", folders=("out",),
            picture=True),
    Planted("plot-same-as-o-by-a-link", ["run", *LONG, "-o", "x.svg", "--plot", "y.svg",
            "--format", "text"], 2, "name the same file",
            {"x.svg": "old\n", "y.svg": "->x.svg"}, picture=True),
    Planted("plot-missing-folder", ["run", *LONG, "--plot", "nowhere/x.svg"], 1,
            "cannot write nowhere/x.svg: No such file or directory", picture=True),
    Planted("plot-read-only", ["run", *LONG, "--plot", "x.svg"], 1,
            "cannot write x.svg: it is read-only", {"x.svg": "old\n"}, read_only=("x.svg",),
            picture=True),
    Planted("plot-is-the-config", ["run", "net.yaml", "--plot", "net.svg"], 2,
            "--plot net.svg is the config this run reads",
            {"net.yaml": "", "net.svg": "->net.yaml"}, picture=True),
]  # fmt: skip


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder`: a link's target, a file's bytes and mode."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = ("link", os.readlink(path))
        elif path.is_file():
            found[name] = ("file", path.read_bytes(), path.stat().st_mode)
        else:
            found[name] = ("folder",)
    return found


def materialise(case: Planted, folder: Path) -> None:
    from hostile.cases import BASE

    for name in case.folders:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content.startswith("->"):
            path.symlink_to(content[2:])
        elif content.startswith("=>"):
            os.link(folder / content[2:], path)
        else:
            path.write_text(content or BASE.replace("epochs: 1", "epochs: 5"), encoding="utf-8")
    for name in case.read_only:
        (folder / name).chmod(0o444)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_refused_output_changes_nothing_and_comes_first(case: Planted, tmp_path) -> None:
    if case.picture:
        PLOT("matplotlib")
    materialise(case, tmp_path)
    before = snapshot(tmp_path)
    outcome = in_process(case.arguments, cwd=tmp_path)
    assert outcome.stderr.startswith("backtrace: error: "), outcome.stderr
    assert case.expect in outcome.stderr and outcome.stderr.count("\n") == 1, outcome.stderr
    assert outcome.status == case.status, outcome.stderr
    assert outcome.stdout == ""
    assert snapshot(tmp_path) == before  # nothing written, replaced or followed
    assert_bounded(outcome)  # well under a million epochs' time: refused before training


def test_forcing_schema_replaces_the_file(tmp_path) -> None:
    (tmp_path / "s.json").write_text("old")
    outcome = in_process(["schema", "-o", "s.json", "--force"], cwd=tmp_path)
    assert (outcome.status, outcome.stderr) == (0, "")
    assert (tmp_path / "s.json").read_text().startswith("{")


def test_a_link_planted_between_plan_and_write_is_replaced_not_followed(tmp_path) -> None:
    # The plan saw no link; one appears before the table is put in place. Rename replaces
    # the link itself, so the file it points at is never written.
    from backtrace.csv_files import plan_tables, write_tables

    (tmp_path / "victim.txt").write_text("victim\n")
    planned = plan_tables("DIR/", {"update"}, cwd=tmp_path)
    (tmp_path / "DIR").mkdir()
    (tmp_path / "DIR" / "update.csv").symlink_to("../victim.txt")
    rows = "event,epoch\nupdate,1\n"
    write_tables(lambda out: out.write(rows), planned)
    assert (tmp_path / "victim.txt").read_text() == "victim\n"
    assert not (tmp_path / "DIR" / "update.csv").is_symlink()
    assert (tmp_path / "DIR" / "update.csv").read_text() == rows


def test_tables_are_all_written_or_none(tmp_path, monkeypatch) -> None:
    # The third table fails to write: the two before it must not replace the old ones.
    from backtrace import output
    from backtrace.csv_files import plan_tables, write_tables

    folder = tmp_path / "DIR"
    folder.mkdir()
    for event in ("forward", "loss"):
        (folder / f"{event}.csv").write_text(f"old {event}\n")
    before = snapshot(tmp_path)
    planned = plan_tables("DIR/", cwd=tmp_path)
    opened = []
    real = output.Target.open

    def failing(self):
        opened.append(self.path)
        if len(opened) == 3:
            raise output.OutputError(f"cannot write {self.path}: No space left on device")
        return real(self)

    monkeypatch.setattr(output.Target, "open", failing)
    rows = "event,x\nforward,1\n\nevent,x\nloss,1\n\nevent,x\ndelta,1\n"
    with pytest.raises(output.OutputError, match="No space left"):
        write_tables(lambda out: out.write(rows), planned)
    assert snapshot(tmp_path) == before


def test_a_full_file_system_is_refused_before_training(tmp_path, monkeypatch) -> None:
    import collections

    Usage = collections.namedtuple("Usage", "f_blocks f_bfree f_bavail")
    monkeypatch.setattr(os, "statvfs", lambda path: Usage(1000, 0, 0))
    for target in (["-o", "t.jsonl"], ["-o", "DIR/"]):
        outcome = in_process(["run", *LONG, *target], cwd=tmp_path)
        assert outcome.status == 1 and "No space left on device" in outcome.stderr, outcome.stderr
        assert list(tmp_path.iterdir()) == []
        assert_bounded(outcome)


def test_a_named_pipe_that_is_read_gets_the_whole_trace(tmp_path) -> None:
    """Planning opens a named pipe to learn that someone reads it, and keeps that descriptor
    for the trace: closing it in between would be an end of file to the reader (`cat`), which
    would then miss the trace."""
    os.mkfifo(tmp_path / "pipe.jsonl")
    arguments = ["run", "xor", "--format", "jsonl"]
    reader = subprocess.Popen(["cat", "pipe.jsonl"], cwd=tmp_path, stdout=subprocess.PIPE)
    try:
        for _ in range(200):  # until cat has opened its end, nothing reads the pipe
            written = subprocess.run([BACKTRACE, *arguments, "-o", "pipe.jsonl"], cwd=tmp_path,
                                     capture_output=True, text=True, timeout=HANG_SECONDS)  # fmt: skip
            if "nothing is reading" not in written.stderr:
                break
            time.sleep(0.05)
        got, _ = reader.communicate(timeout=HANG_SECONDS)
    finally:
        reader.kill()
    assert (written.returncode, written.stderr) == (0, "")
    assert got.decode("utf-8") == in_process(arguments, cwd=tmp_path).stdout
