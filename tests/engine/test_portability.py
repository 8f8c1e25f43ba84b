"""The same config gives the same bytes whatever code paths the CPU takes.

A new user's machine may run numpy's OpenBLAS with another kernel (OPENBLAS_CORETYPE), or
numpy's own loops with other vector instructions (NPY_DISABLE_CPU_FEATURES), with numba's
compiled kernels for another CPU (NUMBA_CPU_NAME) or without them (BACKTRACE_COMPILED=0).
Each run below renders the shipped configs, a network using tanh, exp and log, and two long
untraced runs, which take the compiled kernels where numba is installed, in a fresh process
with one such setting; all of them must write identical bytes.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import signal
import subprocess
import sys

import pytest

from helpers import ROOT

NUMBA = importlib.util.find_spec("numba") is not None

RENDER_ALL = """
import backtrace
cases = [
    ("xor", {}, 3),
    ("xor-gradient", {}, 3),
    ("xor-sigmoid", {}, 20),
    ("xor-sigmoid", {"layers[0].activation": "tanh", "loss": "binary_cross_entropy"}, 20),
]
for name, changes, epochs in cases:
    trace = backtrace.run(backtrace.load(name, changes), epochs=epochs, trace="first,last")
    print(trace.render("jsonl"))  # every bit of every number; other formats only format them
for name, epochs in (("xor-sigmoid", 1100), ("iris", 280)):  # long untraced runs
    print(backtrace.run(name, epochs=epochs, trace="last").render("jsonl"))
import sys
from backtrace.formulas import compiled
sys.stderr.write(f"kernels loaded: {compiled.kernels.cache_info().currsize}\\n")
"""


def render_all(**env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RENDER_ALL],
        cwd=ROOT,
        env={**os.environ, "BACKTRACE_COMPILED": "1", **env},  # the kernels, where installed
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 kernel names")
def test_identical_bytes_under_other_kernels_and_vector_paths() -> None:
    settings = [{"OPENBLAS_CORETYPE": kernel} for kernel in ("Haswell", "Prescott", "SkylakeX")]
    settings.append({"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4"})  # numpy's baseline loops
    settings.append({"NUMBA_CPU_NAME": "generic"})  # compiled for no particular CPU
    settings.append({"BACKTRACE_COMPILED": "0"})  # numpy alone
    outputs = {}
    running = [(env, render_all(**env)) for env in settings]  # side by side: they are independent
    for env, process in running:
        stdout, stderr = process.communicate(timeout=300)
        if process.returncode == -signal.SIGILL:
            continue  # a kernel for instructions this CPU lacks: nobody can run it here
        assert process.returncode == 0, (env, stderr[-2000:])
        if NUMBA and env.get("BACKTRACE_COMPILED") != "0":
            assert "kernels loaded: 1" in stderr, (env, stderr[-2000:])
        outputs[str(env)] = stdout
    kernels = [env for env in outputs if "OPENBLAS" in env]
    assert len(kernels) >= 2, "need at least two OpenBLAS kernels to compare"
    first = next(iter(outputs.values()))
    assert len(first) > 100_000
    for env, output in outputs.items():
        assert output == first, f"{env} printed other bytes"
