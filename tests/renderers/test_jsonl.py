from __future__ import annotations

import io
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from backtrace.config import build_spec, load_config
from backtrace.engine import train
from backtrace.numbers import plain_number
from backtrace.renderers import FORMATS, RenderOptions
from helpers import CONFIGS, article_document
from strategies import networks


def lines(spec, **options) -> list[dict]:
    out = io.StringIO()
    FORMATS["jsonl"].render(train(spec), out, RenderOptions(**options))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_required_keys_and_article_values() -> None:
    records = lines(load_config(str(CONFIGS / "xor.yaml")))
    required = {
        "forward": {"event", "epoch", "sample", "unit", "h", "z"},
        "loss": {"event", "epoch", "sample", "loss"},
        "delta": {"event", "epoch", "sample", "unit", "delta"},
        "update": {"event", "epoch", "step", "weight", "old", "grad", "new"},
        "epoch": {"event", "epoch", "loss"},
    }
    for record in records:
        assert required.get(record["event"], set()) <= set(record)
    first = [r for r in records if r.get("sample") == 1 or r.get("step") == 1]
    assert {r["unit"]: r["z"] for r in first if r["event"] == "forward"} == {
        "Z1": 1,
        "Z2": 1,
        "Z3": 1,
        "D0": 4,
    }
    assert [r["loss"] for r in first if r["event"] == "loss"] == [-4]
    assert {
        r["weight"]: r["new"]
        for r in first
        if r["event"] == "update" and r["weight"] in ("W10", "V03")
    } == {"W10": 1.4, "V03": 1.4}
    assert sum(r["event"] == "update" for r in records) == 13 * 4  # every weight, every step
    assert records[0]["event"] == "start" and records[-1]["event"] == "weights"


def test_no_bare_nan_or_infinity_when_training_diverges() -> None:
    out = io.StringIO()
    spec = load_config(str(CONFIGS / "xor.yaml"), epochs=30)
    FORMATS["jsonl"].render(train(spec), out, RenderOptions())
    text = out.getvalue()
    assert "NaN" not in text and "Infinity" not in text
    last = json.loads(text.splitlines()[-1])
    assert last["event"] == "diverged" and last["value"] is None


def test_precision_rounds_machine_numbers_too() -> None:
    document = article_document() | {"optimizer": {"learning_rate": 1 / 3}}
    records = lines(build_spec(document), precision=3)
    assert records[0]["learning_rate"] == 0.333


def test_updates_read_back_exactly() -> None:
    # The trace carries float64 exactly, so W := W - α·J'(W) holds bit for bit on the numbers read back.
    records = lines(load_config(str(CONFIGS / "xor-sigmoid.yaml"), epochs=3))
    updates = [r for r in records if r["event"] == "update"]
    assert updates and all(r["old"] - r["learning_rate"] * r["grad"] == r["new"] for r in updates)


def every_kind_of_record() -> list:
    import backtrace
    from backtrace.config.discovery import bundled_names

    collected = []
    for name in bundled_names():
        records = backtrace.run(name, epochs=2, trace="all").records
        # The iris trace repeats the same kinds 29,000 times; its ends show every one.
        collected += records[:600] + records[-300:] if len(records) > 2000 else records
    collected += backtrace.check("mazur").records
    collected += backtrace.run("xor", epochs=20, trace="none").records  # divergence: inf, NaN
    return collected


def test_the_direct_writer_matches_the_reference_byte_for_byte() -> None:
    from backtrace.renderers.jsonl import Encoder, reference_line

    compared = 0
    records = every_kind_of_record()
    for digits in (None, 3, 17):
        encoder = Encoder(digits)
        for record in records:
            assert encoder.record(record) == reference_line(record, digits), (digits, record)
            compared += 1
    assert compared > 3000


@settings(max_examples=30, deadline=None)
@given(networks(batches=True))
def test_the_direct_writer_matches_on_random_networks(document: dict) -> None:
    from backtrace.config import build_spec
    from backtrace.engine import train
    from backtrace.renderers.jsonl import Encoder, reference_line

    encoder = Encoder(None)
    for record in train(build_spec(document)):
        assert encoder.record(record) == reference_line(record, None)


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(2**60), 2**60),
        st.sampled_from([2.0**53, -(2.0**53), 2.0**53 - 1, 1e16, 1e22, -0.0, 5e-324]),
    ),
    st.sampled_from([None, 1, 3, 17]),
)
def test_every_number_is_written_as_json_writes_its_plain_value(value, digits) -> None:
    # The direct writer reads the number off repr's text; the definition is plain_number
    # (an int in a number field is written as it is, as json_ready leaves it).
    from backtrace.renderers.jsonl import _number

    expected = value if isinstance(value, int) else plain_number(value, digits)
    written = _number(value, digits)
    assert written == json.dumps(expected)
    # Valid JSON, even where rounding to few digits would pass the largest float (1.5e308 to
    # one digit): json.loads would read such a number back as inf.
    assert written == "null" or math.isfinite(json.loads(written))
