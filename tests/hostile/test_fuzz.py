"""A fuzzer: valid configs and command lines, mutated at random, must never give a traceback
or hang; every run ends with a documented status and at most one line on stderr.

The budget is small and fixed (derandomized, so CI runs the same examples every time). When
changing the readers, run many more random examples by hand:
BACKTRACE_FUZZ_EXAMPLES=5000 python -m pytest tests/hostile/test_fuzz.py. Each example runs
in this process, bounded as the corpus is.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import CONFIGS
from hostile.bounded import assert_bounded, in_process
from hostile.cases import BASE, as_json

MAX_EXAMPLES = int(os.environ.get("BACKTRACE_FUZZ_EXAMPLES", "40"))
STATUSES = {0, 1, 2, 3}  # docs/cli.md: done, not written, bad input, diverged
SEEDS = [BASE, (CONFIGS / "xor.yaml").read_text(), (CONFIGS / "xor-sigmoid.yaml").read_text()]
# Runs stay short whatever the mutation does to epochs or the network.
QUICK = ["--trace", "none", "--format", "jsonl", "--max-epochs", "20", "-o", "/dev/null"]
# Characters that mean something to YAML, JSON or CSV, and some that mean trouble.
NOISE = "[]{}:,-&*!|>'\"#%@`?<=~\t\n\r\\ 0123456789.eE+_xoabyz\x00\x1b\u2028\ufeffé"
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize="BACKTRACE_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def mutated(draw, seed: st.SearchStrategy[str]) -> str:
    """A text with a few random edits: cut a span, repeat a span, or insert noise."""
    text = draw(seed)
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        edit = draw(st.sampled_from(["cut", "repeat", "insert", "replace"]))
        if edit == "cut":
            text = text[:start] + text[end:]
        elif edit == "repeat":
            text = text[:end] + text[start:end] * draw(st.integers(1, 30)) + text[end:]
        else:
            noise = draw(st.text(st.sampled_from(NOISE), min_size=1, max_size=8))
            text = text[:start] + noise + text[end if edit == "replace" else start :]
    return text


def assert_well_behaved(outcome) -> None:
    assert outcome.status in STATUSES, outcome.stderr
    lines = outcome.stderr.splitlines()
    errors = [line for line in lines if not line.startswith("backtrace: note: ")]
    assert len(errors) <= 1 and all(line.startswith("backtrace: error: ") for line in errors)
    assert (outcome.status == 0) == (not errors), outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert_bounded(outcome)


def run_config(text: str, name: str, extra: list[str] = ()) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, name).write_text(text, encoding="utf-8", errors="surrogatepass")
        outcome = in_process(["run", name, *QUICK, *extra], cwd=Path(folder))
    assert_well_behaved(outcome)


@SETTINGS
@given(mutated(st.sampled_from(SEEDS)))
def test_mutated_yaml_configs(text: str) -> None:
    run_config(text, "net.yaml")


@SETTINGS
@given(mutated(st.just(as_json())))
def test_mutated_json_configs(text: str) -> None:
    run_config(text, "net.json")


VALUES = st.one_of(
    st.sampled_from(["0", "-1", "1", "3", "2-1", "1,2", "all", "none", "last", "9" * 40, "",
                     "Z*", "W1?", "[", "{", "\x1b[2J", "1e999", "nan", "-0", "first,last"]),
    st.text(st.sampled_from(NOISE), max_size=12),
)  # fmt: skip
FIELDS = st.sampled_from(["epochs", "title", "seed", "bias", "loss", "inputs", "layers",
                          "layers[0].units", "layers[1].weights", "optimizer.learning_rate",
                          "optimizer.batch_size", "data", "frozen", "reference", "x.y[2]"])  # fmt: skip
OPTIONS = st.one_of(
    st.tuples(st.sampled_from(["--trace", "--sample", "--unit", "--weight", "--phase",
                               "--precision", "--width", "--epochs", "--max-rows"]), VALUES),
    st.tuples(st.just("--set"), st.builds(lambda f, v: f"{f}={v}", FIELDS, VALUES)),
    st.tuples(st.just("--format"), st.sampled_from(["latex", "markdown", "text", "jsonl", "html"])),
    st.sampled_from([("--math",), ("--fragment",)]),
)  # fmt: skip


@SETTINGS
@given(st.lists(OPTIONS, max_size=4))
def test_mutated_command_lines(options: list[tuple[str, str]]) -> None:
    run_config(BASE, "net.yaml", [part for option in options for part in option])


PATTERN_NOISE = "{}[]:!.<>^=0123456789nhjkw_' \x1b\t"
PATTERN_FIELDS = st.sampled_from(["names", "weight_names", "bias_names"])


@SETTINGS
@given(PATTERN_FIELDS, st.text(st.sampled_from(PATTERN_NOISE + "{n}{j}{to}"), min_size=1, max_size=24))
def test_random_name_patterns(field: str, pattern: str) -> None:
    # Any pattern either names the units or weights, or is refused in one line, quickly:
    # format specs and braces cannot make names of unbounded length.
    layer = "{units: 3, activation: identity, weights: 1, " + field + ": " + json.dumps(pattern) + "}"
    run_config(BASE.replace("{units: 3, activation: identity, weights: 1}", layer), "net.yaml")


TEACHING_STATUSES = STATUSES | {5, 6}  # docs/cli.md: answers wrong, traces differ
QUIZ_OPTIONS = st.tuples(
    st.sampled_from(["--blank", "--unit", "--weight", "--count", "--seed", "--students",
                     "--sample", "--epoch", "--format", "--precision", "--key", "-o"]),
    VALUES,
)  # fmt: skip
ANSWERS = "name,value,sample\nh_Z1,1,1\ndelta_D0,4,1\nW10_new,1.4,1\nloss,-4,2\n"


def run_teaching(arguments: list[str], files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            Path(folder, name).write_text(text, encoding="utf-8", errors="surrogatepass")
        outcome = in_process([*arguments, "--max-epochs", "20"], cwd=Path(folder))
    assert outcome.status in TEACHING_STATUSES, outcome.stderr
    assert_well_behaved_beside(outcome)


def assert_well_behaved_beside(outcome) -> None:
    """As `assert_well_behaved`, for commands whose 'no' is a status of its own (5, 6)."""
    errors = [line for line in outcome.stderr.splitlines() if not line.startswith("backtrace: note: ")]
    assert len(errors) <= 1 and all(line.startswith("backtrace: error: ") for line in errors)
    assert (outcome.status in (0, 5, 6)) == (not errors), outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert_bounded(outcome)


@SETTINGS
@given(st.lists(QUIZ_OPTIONS, max_size=4))
def test_mutated_quiz_command_lines(options: list[tuple[str, str]]) -> None:
    run_teaching(["quiz", "net.yaml", *[part for option in options for part in option]],
                 {"net.yaml": BASE})  # fmt: skip


@SETTINGS
@given(mutated(st.just(ANSWERS)), st.sampled_from(["a.csv", "a.yaml", "a.json"]))
def test_mutated_answer_files(text: str, name: str) -> None:
    run_teaching(["grade", "net.yaml", name], {"net.yaml": BASE, name: text})


TRACE = None


@SETTINGS
@given(st.data())
def test_mutated_saved_traces(data) -> None:
    global TRACE
    if TRACE is None:
        import backtrace

        TRACE = backtrace.run(backtrace.load(BASE)).render("jsonl")
    text = data.draw(mutated(st.just(TRACE)))
    run_teaching(["diff", "net.yaml", "t.jsonl"], {"net.yaml": BASE, "t.jsonl": text})
