"""A long run in a terminal: a progress bar on stderr (never in a file or a pipe), epoch
summaries thinned, and a loss curve in one line at the end."""

from __future__ import annotations

import json
import re

from helpers import invoke_in

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Clock:
    """Time that passes by `tick` seconds each time it is read."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def plain(text: str) -> str:
    return ESCAPES.sub("", text)


def test_a_long_run_shows_its_progress_on_a_terminals_stderr() -> None:
    arguments = ["run", "xor-sigmoid", "--epochs", "15", "--trace", "none", "--format", "jsonl"]
    result = invoke_in(arguments, stderr_terminal=True, clock=Clock(0.2))
    assert result.status == 0
    shown = plain(result.stderr)
    assert re.search(r"epoch\s+\d+/15 .* loss 0\.\d+ · \S+ left", shown), shown[:500]
    # The trace on stdout is the same as without a bar, line for line.
    assert result.stdout == invoke_in(arguments).stdout
    assert all(json.loads(line) for line in result.stdout.splitlines())


def test_no_progress_when_the_run_is_quick_or_stderr_is_not_seen() -> None:
    arguments = ["run", "xor-sigmoid", "--epochs", "15", "--trace", "none", "--format", "jsonl"]
    quick = invoke_in(arguments, stderr_terminal=True, clock=Clock(0.001))  # 15 epochs < 1 s
    assert "epoch " not in plain(quick.stderr)
    piped = invoke_in(arguments, stderr_terminal=False, clock=Clock(0.2))
    assert piped.stderr == ""
    quiet = invoke_in([*arguments, "--quiet"], stderr_terminal=True, clock=Clock(0.2))
    assert quiet.stderr == ""


def test_the_run_ends_with_its_loss_curve_in_one_line() -> None:
    result = invoke_in(
        ["run", "xor-sigmoid", "--trace", "none", "--format", "jsonl", "--epochs", "70"],
        stderr_terminal=True,
        clock=Clock(0.0),
        env={"COLUMNS": "80"},
    )
    losses = [
        json.loads(line)["loss"]
        for line in result.stdout.splitlines()
        if json.loads(line)["event"] == "epoch"
    ]
    line = result.stderr.strip()
    first, bars, last = re.fullmatch(
        r"loss per epoch: (\S+) ([▁▂▃▄▅▆▇█]+) (\S+) \(70 epochs\)", line
    ).groups()
    assert (first, last) == (f"{losses[0]:.6g}", f"{losses[-1]:.6g}")
    assert bars[0] == "█" and bars[-1] == "▁"
    assert len(line) == 79  # as many bars (averaging 70 epochs) as fit in 80 columns
    wide = invoke_in(
        ["run", "xor-sigmoid", "--trace", "none", "--format", "jsonl", "--epochs", "70"],
        stderr_terminal=True,
        clock=Clock(0.0),
        env={"COLUMNS": "200"},
    )
    assert len(re.search("[▁▂▃▄▅▆▇█]+", wide.stderr).group()) == 60  # and never more than 60


def test_a_run_that_blows_up_is_shown_as_it_is() -> None:
    result = invoke_in(
        ["run", "xor", "--epochs", "10", "--trace", "none", "--format", "jsonl"],
        stderr_terminal=True,
        clock=Clock(0.0),
    )
    assert result.status == 3
    summary = result.stderr.splitlines()[0]
    # The reason is the error line's to give (the trace's, on a terminal): said once.
    assert summary == "loss per epoch: -728.538 █▁✗ stopped at epoch 3, log scale"
    assert result.stderr.count("h of D0 became inf") == 1


def test_every_thins_the_epoch_lines() -> None:
    result = invoke_in(["run", "xor-sigmoid", "--trace", "none", "--epochs", "25", "--every", "10"])
    epochs = re.findall(r"^Epoch (\d+): mean loss", result.stdout, flags=re.M)
    assert epochs == ["1", "10", "20", "25"]  # the first and the last as well
    data = invoke_in(
        [
            "run",
            "xor-sigmoid",
            "--trace",
            "none",
            "--epochs",
            "25",
            "--every",
            "10",
            "--format",
            "jsonl",
        ]
    )
    assert [
        json.loads(line)["epoch"] for line in data.stdout.splitlines() if '"event": "epoch"' in line
    ] == [1, 10, 20, 25]


def test_long_runs_thin_their_epoch_lines_by_themselves() -> None:
    text = invoke_in(
        ["run", "xor-sigmoid", "--trace", "last", "--epochs", "125", "--format", "text"]
    )
    epochs = [int(n) for n in re.findall(r"^Epoch (\d+): mean loss", text.stdout, flags=re.M)]
    assert epochs == [1, *range(10, 121, 10), 125]  # every 10th, the first and the last
    from backtrace.progress import automatic_every

    assert [automatic_every(n, "table") for n in (100, 101, 1000, 1001, 5000)] == [
        1,
        10,
        10,
        100,
        100,
    ]
    assert automatic_every(5000, "jsonl") == 1  # data formats keep every epoch


def test_sparkline_scales() -> None:
    from backtrace.pictures.curves import sparkline

    assert sparkline([4, 3, 2, 1]) == "█▆▃▁"
    assert sparkline([1, 1, 1]) == "▁▁▁"
    assert sparkline([10.0**n for n in range(8)]) == "▁▂▃▄▅▆▇█"  # log scale: even steps
    assert sparkline([5, 1], diverged_at=3) == "█▁✗"
    assert len(sparkline(list(range(1000)), width=60)) == 60
