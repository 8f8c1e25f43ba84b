"""No control character from outside reaches the output raw: a config's file name, a CSV
file's class labels and the command line's own words are escaped before any renderer sees
them, so every format, and the diagram, is checked here with random control characters."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile.bounded import assert_bounded, in_process

FORMATS = [["table"], ["text"], ["markdown"], ["markdown", "--math"], ["jsonl"], ["json"],
           ["csv"], ["latex"], ["latex", "--fragment"], ["html"]]  # fmt: skip
# C0 and C1 controls, DEL, and the format characters that reorder or hide text.
CONTROLS = [chr(code) for code in [*range(1, 32), *range(0x7F, 0xA0)]] + ["\u202e", "\u2066"]
LETTERS = "abcXYZ;[]0123456789 "
SETTINGS = settings(
    max_examples=int(os.environ.get("BACKTRACE_FUZZ_EXAMPLES", "15")),
    deadline=None,
    derandomize="BACKTRACE_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# A label keeps what a CSV cell can hold unquoted and strip() leaves: no separator, quote or
# line break, and at least one letter so that two labels can differ.
LABEL = st.text(
    st.sampled_from([c for c in CONTROLS if c not in "\n\r\x1c\x1d\x1e\x85"] + list("abc[]")),
    min_size=1,
    max_size=8,
).map(lambda text: "k" + text + "k")
FILE_NAME = st.text(st.sampled_from(CONTROLS + list(LETTERS)), min_size=1, max_size=12).map(
    lambda text: "n" + text.replace("/", "") + ".yaml"
)

CONFIG = """\
inputs: 2
layers:
  - {units: 2, activation: sigmoid}
  - {units: 2, activation: softmax}
loss: softmax_cross_entropy
optimizer: {learning_rate: 0.1}
data: {csv: d.csv, target: label}
"""


def raw_controls(text: str) -> list[str]:
    """The control and format characters in `text`, apart from the line breaks and tabs the
    formats themselves write."""
    return [
        character
        for character in text
        if character not in "\n\t" and unicodedata.category(character) in ("Cc", "Cf")
    ]


@SETTINGS
@given(FILE_NAME, st.lists(LABEL, min_size=2, max_size=2, unique=True))
def test_outside_text_never_reaches_the_output_raw(name: str, labels: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        (here / name).write_text(CONFIG, encoding="utf-8")
        rows = "".join(f"{i % 2},{i // 2},{label}\n" for i, label in enumerate(labels * 2))
        (here / "d.csv").write_text("a,b,label\n" + rows, encoding="utf-8")
        for output_format in FORMATS:
            outcome = in_process(["run", name, "--format", *output_format], cwd=here)
            assert outcome.status == 0, outcome.stderr
            assert raw_controls(outcome.stdout) == [], output_format
            assert raw_controls(outcome.stderr) == []
            assert_bounded(outcome)
        for drawing in (["--format", "text"], ["--format", "dot"]):
            outcome = in_process(["graph", name, "--sample", "1", *drawing], cwd=here)
            assert outcome.status == 0, outcome.stderr
            assert raw_controls(outcome.stdout) == []


@SETTINGS
@given(st.text(st.sampled_from(CONTROLS + list(LETTERS)), min_size=1, max_size=20))
def test_command_line_words_in_messages_are_escaped(word: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for arguments in (["run", "xor", "--unit", word], ["run", "xor", "--trace", word],
                          ["run", word], ["graph", "xor", "-o", word + ".bad"],
                          ["run", "xor", "--set", f"title={word}"]):  # fmt: skip
            outcome = in_process(arguments, cwd=Path(folder))
            assert raw_controls(outcome.stderr) == [], arguments
            assert raw_controls(outcome.stdout) == [], arguments
