"""The registry of record kinds: every kind is declared once, and every format handles it."""

from __future__ import annotations

import dataclasses
import json

import pytest

from backtrace import records
from backtrace.config import load_config
from backtrace.engine import train
from backtrace.engine.check import gradient_check
from backtrace.renderers import FORMATS, RenderOptions
from backtrace.renderers.layout import sections
from helpers import CONFIGS


def one_of_each_kind() -> dict[type, records.Record]:
    """A real record of every kind: the article's first epoch has all of training's kinds but
    divergence, which its twentieth epoch supplies; a gradient check adds its own."""
    found: dict[type, records.Record] = {}
    spec = load_config(str(CONFIGS / "xor.yaml"), epochs=20)
    for record in train(spec, lambda epoch: epoch == 1):
        found.setdefault(type(record), record)
    for record in gradient_check(spec):  # the kinds a gradient check adds
        found.setdefault(type(record), record)
    shuffled = load_config(str(CONFIGS / "xor.yaml"), overrides=["optimizer.shuffle=true"])
    for record in train(shuffled, lambda epoch: False):
        found.setdefault(type(record), record)
    return found


def test_every_kind_is_registered_and_produced() -> None:
    assert set(one_of_each_kind()) == set(records.KINDS)
    assert len({kind.event for kind in records.KINDS}) == len(records.KINDS)


def test_declarations_agree_with_each_other() -> None:
    for kind in records.KINDS:
        # A kind shown in a table is chosen by a phase; a kind naming a subject has its field.
        if kind.section is not None:
            assert kind.phase is not None, kind
        if kind.subject is not None:
            assert kind.subject in kind.__dataclass_fields__, kind
        for quantity in kind.quantities:
            assert records.QUANTITY_KINDS[quantity] is kind
    assert set(records.QUANTITIES) == {"h", "z", "loss", "delta", "grad", "new"}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_shows_every_kind(name: str) -> None:
    kinds = one_of_each_kind()
    start = kinds[records.Start]
    alone = FORMATS[name].render
    for kind, record in kinds.items():
        if kind is records.Start:
            continue
        if name == "csv" and not kind.csv_table:
            continue  # CSV holds the tables of the kinds that declare one
        with_start, only_start = _rendered(alone, [start, record]), _rendered(alone, [start])
        assert len(with_start) > len(only_start), (name, kind.__name__)


def test_every_kind_finds_its_section() -> None:
    kinds = one_of_each_kind()
    batched = dataclasses.replace(kinds[records.Start], batch_size=2)
    for kind, record in kinds.items():
        *_, section = sections([batched, record])
        assert section.name == record.kind.section and section.records == (record,), kind
    # With one sample per step, each gradient is shown in its update's row instead.
    *_, section = sections([kinds[records.Start], kinds[records.Gradient]])
    assert section.name == "update"


def test_jsonl_names_each_kind_by_its_event() -> None:
    for kind, record in one_of_each_kind().items():
        line = _rendered(FORMATS["jsonl"].render, [record])
        assert json.loads(line)["event"] == kind.event


def _rendered(render, stream: list[records.Record]) -> str:
    import io

    out = io.StringIO()
    render(stream, out, RenderOptions(width=100))
    return out.getvalue()


def test_field_types_are_what_typing_makes_of_the_annotations():
    import dataclasses
    import typing

    for kind in records.KINDS:
        hints = typing.get_type_hints(kind)
        expected = {item.name: hints[item.name] for item in dataclasses.fields(kind)}
        assert records.field_types(kind) == expected, kind
