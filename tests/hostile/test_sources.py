"""Pipes are welcome as configs and data: a named pipe whose writer comes a little late, and
process substitution, both work; only a pipe that never gets a writer is refused."""

from __future__ import annotations

import json
import os
import threading
import time

import yaml

from helpers import article_document, invoke_in
from hostile.bounded import in_a_process, wall_clock_guard


def write_later(path, text: str, delay: float) -> threading.Thread:
    def write() -> None:
        time.sleep(delay)
        with open(path, "w") as pipe:  # blocks until the reader has opened the pipe
            pipe.write(text)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def test_a_named_pipe_whose_writer_comes_late(tmp_path) -> None:
    os.mkfifo(tmp_path / "net.yaml")
    os.mkfifo(tmp_path / "d.csv")
    write_later(tmp_path / "net.yaml", yaml.safe_dump(article_document() | {"data": "d.csv"}), 0.3)
    write_later(tmp_path / "d.csv", "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", 0.3)
    with wall_clock_guard():
        result = invoke_in(["run", "net.yaml", "--format", "jsonl"], cwd=tmp_path)
    assert (result.status, result.stderr) == (0, "")
    start = json.loads(result.stdout.splitlines()[0])
    assert start["event"] == "start" and start["samples"] == 4


def test_process_substitution(tmp_path) -> None:
    (tmp_path / "net.yaml").write_text(yaml.safe_dump(article_document()))
    outcome = in_a_process("exec {bt} run <(cat net.yaml) --format jsonl", cwd=tmp_path)
    assert (outcome.status, outcome.stderr) == (0, "")
    assert json.loads(outcome.stdout.splitlines()[-1])["when"] == "final"
