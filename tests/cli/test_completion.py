"""Shell completion: options, file names and the bundled examples' names. The last test
types into a real interactive bash, since only bash itself can show what a tab does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner

from backtrace.cli import cli
from helpers import ROOT

BIN = Path(sys.executable).parent


def completions(line: str, shell: str = "bash") -> list[str]:
    words = line.split(" ")
    result = CliRunner().invoke(
        cli,
        [],
        prog_name="backtrace",
        env={
            "_BACKTRACE_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },
    )
    return result.output.splitlines()


def test_config_completes_to_files_and_examples() -> None:
    offered = completions("backtrace run xor-s")
    assert offered[0] == "file,xor-s"  # the shell lists the matching files
    assert "plain,xor-sigmoid" in offered and "plain,xor" not in offered


def test_options_topics_and_examples_complete() -> None:
    assert "plain,--plot-weight" in completions("backtrace run xor --plot")
    assert completions("backtrace docs con") == ["plain,config"]
    assert completions("backtrace init maz") == ["plain,mazur"]
    assert completions("backtrace run xor -o tr") == ["file,tr"]


def test_the_completion_scripts_are_there_for_bash_zsh_and_fish() -> None:
    for shell, marker in (("bash", "complete -o nosort"), ("zsh", "compdef"), ("fish", "complete")):
        script = (
            CliRunner()
            .invoke(cli, [], prog_name="backtrace", env={"_BACKTRACE_COMPLETE": f"{shell}_source"})
            .output
        )
        assert marker in script, shell


@pytest.mark.skipif(not os.path.exists("/bin/bash"), reason="bash is not installed")
def test_tab_in_bash_completes_co_to_configs(tmp_path: Path) -> None:
    environment = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "TERM": "xterm",
        "PS1": "$ ",
        "INPUTRC": "/dev/null",
    }
    script = subprocess.run(
        [str(BIN / "backtrace")],
        env={**environment, "_BACKTRACE_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (tmp_path / "complete.bash").write_text(script)
    bash = pexpect.spawn(
        "/bin/bash",
        ["--norc", "--noprofile", "-i"],
        cwd=str(ROOT),
        env=environment,
        encoding="utf-8",
        timeout=15,
        dimensions=(24, 200),
    )
    bash.delaybeforesend = bash.delayafterclose = bash.delayafterterminate = 0
    try:
        bash.expect_exact("$ ")
        bash.sendline(f"source {tmp_path / 'complete.bash'}")
        bash.expect_exact("$ ")
        bash.send("backtrace run co\t")
        bash.expect_exact("backtrace run configs/")
        bash.sendcontrol("u")  # erase the line, then leave
        bash.sendline("exit")
        bash.expect(pexpect.EOF)
    finally:
        bash.close(force=True)
