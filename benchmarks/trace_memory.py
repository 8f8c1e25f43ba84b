"""Check that tracing streams: peak memory for 10,000 traced epochs stays within 20% of 10.

Runs `backtrace run configs/xor-sigmoid.yaml --trace all --format jsonl` in fresh processes,
reports each one's peak resident memory, how soon the first line arrived and the total time,
and exits 1 if the memory target is missed. Not part of the test suite: timings belong here.

    python benchmarks/trace_memory.py [--epochs 10000] [--format jsonl]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import resource, sys
from backtrace.cli import cli
try:
    cli(sys.argv[1:], prog_name="backtrace")
except SystemExit:
    pass
sys.stdout.flush()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def measure(epochs: int, output_format: str) -> tuple[int, float, float, int]:
    """(peak RSS in KiB, seconds to the first line, seconds in all, bytes written)."""
    arguments = [
        "run",
        "configs/xor-sigmoid.yaml",
        "--trace",
        "all",
        "--epochs",
        str(epochs),
        "--format",
        output_format,
    ]
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    first_line = child.stdout.readline()
    first = time.perf_counter() - started
    written = len(first_line)
    for chunk in iter(lambda: child.stdout.read(1 << 16), b""):
        written += len(chunk)
    _, stderr = child.communicate()
    total = time.perf_counter() - started
    peak = int(stderr.decode().strip().splitlines()[-1])
    return peak, first, total, written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--format", default="jsonl")
    options = parser.parse_args()
    small = measure(10, options.format)
    large = measure(options.epochs, options.format)
    for epochs, (peak, first, total, written) in ((10, small), (options.epochs, large)):
        print(
            f"{epochs:>6} epochs: peak {peak / 1024:7.1f} MiB, first line after {first:6.3f} s, "
            f"total {total:7.2f} s, {written / 1e6:8.1f} MB written"
        )
    ratio = large[0] / small[0]
    verdict = "ok" if ratio <= 1.2 else "MISSED"
    print(f"peak memory ratio {ratio:.3f} (target <= 1.2): {verdict}")
    return 0 if ratio <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
