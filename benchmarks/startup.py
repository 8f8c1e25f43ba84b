"""How long backtrace takes to start, beside the bare imports it cannot avoid.

Each case runs as a fresh process, a number of times, in turn with the others (so that a busy
moment on the machine falls on every case alike), and the median wall-clock time is shown.
The bare imports of python, click, numpy and rich are timed in the same run, so the figure
for a command reads as what backtrace adds to them. Not part of the test suite: timings
belong here.

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
BACKTRACE = str(BIN / "backtrace")
CASES = [
    ("python, doing nothing", [sys.executable, "-c", "pass"]),
    ("import click", [sys.executable, "-c", "import click"]),
    ("import numpy, rich, click", [sys.executable, "-c", "import numpy, rich.console, click"]),
    (
        "import numpy, rich, click, yaml",
        [sys.executable, "-c", "import numpy, rich.console, click, yaml"],
    ),
    ("backtrace --help", [BACKTRACE, "--help"]),
    ("backtrace examples", [BACKTRACE, "examples"]),
    ("backtrace run xor", [BACKTRACE, "run", "xor"]),
    ("backtrace run xor --format jsonl", [BACKTRACE, "run", "xor", "--format", "jsonl"]),
    ("backtrace graph xor", [BACKTRACE, "graph", "xor"]),
]


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per case (default 15)")
    runs = parser.parse_args().runs
    os.environ.setdefault("COLUMNS", "100")
    for _, command in CASES:  # once each, so that files are in the page cache
        seconds(command)
    times: dict[str, list[float]] = {name: [] for name, _ in CASES}
    for _ in range(runs):
        for name, command in CASES:
            times[name].append(seconds(command))
    print(f"median of {runs} fresh processes each, Python {sys.version.split()[0]}")
    print(f"{'':44} {'median':>8} {'fastest':>8}")
    for name, _ in CASES:
        print(f"{name:44} {statistics.median(times[name]):7.3f}s {min(times[name]):7.3f}s")


if __name__ == "__main__":
    main()
