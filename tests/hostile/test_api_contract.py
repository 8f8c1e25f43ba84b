"""The Python API raises only what docs/api.md lists (ConfigError, UsageError, both
BacktraceErrors), with messages in its own parameters' names, whatever it is handed."""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backtrace
from backtrace import api
from backtrace.errors import BacktraceError, ConfigError, TraceError, UsageError


def stopped() -> None:
    raise UsageError("stopped by its pulse")


CALLS = [
    ("load(None)", lambda: backtrace.load(None), ConfigError, "source should be a path"),
    ("load(42)", lambda: backtrace.load(42), ConfigError, "not an int"),
    ("load(list)", lambda: backtrace.load([1, 2]), ConfigError, "not a list"),
    ("load(bytes)", lambda: backtrace.load(b"inputs: 2"), ConfigError, "source is bytes"),
    ("run(None)", lambda: backtrace.run(None), ConfigError, "source should be a path"),
    ("load(str overrides)", lambda: backtrace.load("xor", "epochs=3"), ConfigError, "overrides should map"),
    ("load(huge text)", lambda: backtrace.load("#" * (2 << 20) + "\n"), ConfigError, "a config may be at most 1 MB"),
    ("load(epochs=1e9)", lambda: backtrace.load("xor", epochs=10**9), ConfigError, "raise it with backtrace.limits.raised(epochs=...)"),
    ("check(step=-1)", lambda: backtrace.check("xor", step=-1), UsageError, "step=-1: should be a whole number from 1"),
    ("check(step='2')", lambda: backtrace.check("xor", step="2"), UsageError, "step='2'"),
    ("check(tolerance=-1)", lambda: backtrace.check("xor", tolerance=-1), UsageError, "tolerance=-1"),
    ("check(tolerance=nan)", lambda: backtrace.check("xor", tolerance=math.nan), UsageError, "tolerance=nan"),
    ("check(step=1e12)", lambda: backtrace.check("xor", step=10**12), UsageError, "step=1000000000000: is in epoch"),
    ("render(None)", lambda: backtrace.render(None, "jsonl"), UsageError, "stream=None"),
    ("render(format=xml)", lambda: backtrace.render([], "xml"), UsageError, "format='xml'"),
    ("epoch(99)", lambda: backtrace.run("xor").epoch(99), UsageError, "number=99: the trace holds no epoch 99"),
    ("step(-1)", lambda: backtrace.run("xor").step(-1), UsageError, "number=-1"),
    ("run(sample=9)", lambda: backtrace.run("xor", sample=9), UsageError, "sample=9: sample 9 is out of range"),
    ("run(sample=[1, 9])", lambda: backtrace.run("xor", sample=[1, 9]), UsageError, "sample=[1, 9]: sample 9 is out of range"),
    ("check(weight=5)", lambda: backtrace.check("xor", weight=5), UsageError, "weight=5: no weight matches '5'"),
    ("weight_history(weight=[7])", lambda: api.weight_history("xor", [7]), UsageError, "weight=[7]: no weight matches '7'"),
    ("run(unit=None)", lambda: backtrace.run("xor", unit=None), UsageError, "unit=None"),
    ("diagram(step=0)", lambda: api.diagram("xor", step=0), UsageError, "step=0"),
    ("check(pulse=5)", lambda: backtrace.check("xor", pulse=5), UsageError, "pulse=5: should be a function of no arguments"),
    ("diagram(pulse='x')", lambda: api.diagram("xor", step=1, pulse="x"), UsageError, "pulse='x'"),
    ("quiz(pulse=[])", lambda: api.quiz("xor", pulse=[]), UsageError, "pulse=[]"),
    ("check(pulse stops)", lambda: backtrace.check("xor", step=9, pulse=stopped).records, UsageError, "stopped by its pulse"),
    ("weight_history(*)", lambda: api.weight_history(api.load("xor"), 5.5), UsageError, "weight=5.5"),
    ("quiz(blank=x)", lambda: api.quiz("xor", blank="x"), UsageError, "blank='x': blanks are"),
    ("quiz(count=0)", lambda: api.quiz("xor", count=0), UsageError, "count=0"),
    ("quiz(count=99)", lambda: api.quiz("xor", count=99), UsageError, "count=99: asks for more blanks"),
    ("quiz(seed=-1)", lambda: api.quiz("xor", seed=-1), UsageError, "seed=-1"),
    ("grade(None)", lambda: api.grade("xor", None), UsageError, "answers=None: should be a path"),
    ("grade(tolerance=nan)", lambda: api.grade("xor", "a.csv", tolerance=math.nan), UsageError, "tolerance=nan"),
    ("read_trace(None)", lambda: api.read_trace(None), UsageError, "path=None"),
    ("read_trace(missing)", lambda: api.read_trace("/nonexistent/t.jsonl"), TraceError, "/nonexistent/t.jsonl"),
    ("diff(tolerance=-1)", lambda: api.diff("xor", "xor", tolerance=-1), UsageError, "tolerance=-1"),
    ("diff(phase=x)", lambda: api.diff("xor", "xor", phase="x"), UsageError, "phase='x'"),
    ("diff(sample=a)", lambda: api.diff("xor", "xor", sample="a"), UsageError, "sample='a'"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "expected", "words"), [c[1:] for c in CALLS], ids=[c[0] for c in CALLS])
def test_each_misuse_raises_a_documented_error(call, expected, words) -> None:
    with pytest.raises(expected) as raised:
        call()
    assert words in str(raised.value)
    assert "--" not in str(raised.value)  # the API's words, not the command line's


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**13), st.floats(), st.text(max_size=8),
    st.binary(max_size=8), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
SETTINGS = settings(
    max_examples=int(os.environ.get("BACKTRACE_FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize="BACKTRACE_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow],
)
SPEC = api.load("xor")


@SETTINGS
@given(
    st.sampled_from(["run", "check", "diagram", "render", "epoch", "step", "load", "quiz",
                     "diff"]),
    st.sampled_from(["sample", "unit", "weight", "phase", "trace", "epoch", "step", "tolerance",
                     "precision", "width", "format", "source", "epochs", "blank", "count",
                     "seed", "students", "pulse"]),
    VALUES,
)  # fmt: skip
def test_any_argument_gives_a_result_or_a_documented_error(function, parameter, value) -> None:
    trace = api.run(SPEC)
    calls = {
        "run": lambda: api.run(SPEC, **{parameter: value}).records,
        "check": lambda: api.check(SPEC, **{parameter: value}).records,
        "diagram": lambda: api.diagram(SPEC, **{parameter: value}),
        "render": lambda: api.render(trace, **{parameter: value}),
        "epoch": lambda: trace.epoch(value),
        "step": lambda: trace.step(value),
        "load": lambda: api.load(value),
        "quiz": lambda: api.quiz(SPEC, **{parameter: value}),
        "diff": lambda: api.diff(SPEC, SPEC, **{parameter: value}),
    }
    try:
        calls[function]()
    except BacktraceError:
        pass
    except TypeError as error:  # a keyword the function does not take at all: Python's own
        assert "unexpected keyword argument" in str(error)
