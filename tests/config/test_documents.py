"""The config readers: YAML 1.2 scalars, merge keys, aliases left unexpanded, JSON read once,
checked against PyYAML and the json module wherever the two agree on what a document means."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from backtrace.config import documents, load_config
from backtrace.config.documents import parse_json, parse_yaml
from backtrace.config.loading import line_of
from backtrace.errors import ConfigError
from helpers import CONFIGS

# What YAML 1.2's core schema makes of plain scalars, written out by hand from the spec.
CORE_SCHEMA = [
    ("0", 0), ("-0", 0), ("+1", 1), ("12", 12), ("0x1F", 31), ("0o17", 15),
    ("1e-3", 0.001), ("2E+2", 200.0), ("-0.5", -0.5), (".5", 0.5), ("1.", 1.0),
    ("true", True), ("True", True), ("FALSE", False), ("~", None), ("null", None), ("", None),
    ("yes", "yes"), ("off", "off"), ("y", "y"), ("1_000", "1_000"), ("1:30", "1:30"),
    ("0b11", "0b11"), ("2001-12-14", "2001-12-14"), ("=", "="), ("0x", "0x"),
    ("'010'", "010"), ('"true"', "true"), ("!!str 5", "5"), ("!!float 3", 3.0),
    ("!!int 0x10", 16), ("!!null ''", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("written", "meant"), CORE_SCHEMA, ids=[w or "empty" for w, _ in CORE_SCHEMA]
)
def test_scalars_follow_yaml_1_2(written: str, meant) -> None:
    value = parse_yaml(f"key: {written}\n")[0]["key"]
    assert value == meant and type(value) is type(meant)


def test_special_floats() -> None:
    values = parse_yaml("[.inf, -.Inf, +.INF, .nan]")[0]
    assert values[:3] == [math.inf, -math.inf, math.inf] and math.isnan(values[3])


@pytest.mark.parametrize("written", ["010", "-007", "+00", "00"])
def test_integers_with_a_leading_zero_are_refused(written: str) -> None:
    with pytest.raises(ConfigError, match="starts with 0, which YAML 1.1 reads as octal"):
        parse_yaml(f"epochs: {written}")


@pytest.mark.parametrize("name", ["xor.yaml", "xor-gradient.yaml", "xor-sigmoid.yaml"])
def test_bundled_configs_read_as_pyyaml_reads_them(name: str) -> None:
    # They use no YAML 1.1-only scalars, so both readers must agree, merge keys included.
    text = (CONFIGS / name).read_text()
    assert parse_yaml(text)[0] == yaml.safe_load(text)


def test_merge_keys_keep_explicit_keys_and_the_first_merged_mapping() -> None:
    text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc: {<<: [*a, *b], x: 3}\nd: {x: 4, <<: *b}\n"
    document = parse_yaml(text)[0]
    assert document["c"] == {"x": 3, "y": 1, "z": 2}
    assert document["d"] == {"x": 4, "y": 2, "z": 2}
    assert document == yaml.safe_load(text)


def test_aliases_are_shared_not_copied_and_their_lines_not_walked() -> None:
    document, lines = parse_yaml("a: &row\n  - 1\n  - 2\nb:\n  - *row\n  - *row\n")
    assert document["b"][0] is document["a"] and document["b"][1] is document["a"]
    assert lines[("a", 1)] == 3 and lines[("b", 1)] == 6
    assert ("b", 0, 1) not in lines  # the alias's inside belongs to where it was written


def test_the_alias_budget_counts_repeated_values_exactly() -> None:
    anchor = "x: &x [" + ", ".join(["0"] * 99) + "]\n"  # 100 values: the list and its items
    parse_yaml(anchor + "y: [" + ", ".join(["*x"] * 1000) + "]")  # 100,000: allowed
    with pytest.raises(ConfigError, match="more than 100,000 values"):
        parse_yaml(anchor + "y: [" + ", ".join(["*x"] * 1001) + "]")


def test_lines_point_at_keys_and_items() -> None:
    _, lines = parse_yaml("a:\n  b: 1\n  c:\n    - 2\n    - [3,\n       4]\n")
    assert lines[("a", "b")] == 2 and lines[("a", "c")] == 3
    assert lines[("a", "c", 0)] == 4 and lines[("a", "c", 1)] == 5
    assert line_of(lines, ("a", "c", 1, 1)) == 5  # a number in [ ... ]: its list's line


def test_json_lines_point_at_keys_and_items() -> None:
    text = '{\n "a": {\n  "b": [1,\n   2]\n },\n "c": "x"\n}'
    document, lines = parse_json(text)
    assert document == json.loads(text)
    assert lines[("a",)] == 2 and lines[("a", "b")] == 3 and lines[("c",)] == 6
    assert line_of(lines, ("a", "b", 1)) == 3


def test_json_files_are_read_by_the_json_reader_alone(tmp_path, monkeypatch) -> None:
    def no_yaml(text: str):
        raise AssertionError("a .json config went through the YAML reader")

    monkeypatch.setattr(documents, "parse_yaml", no_yaml)
    monkeypatch.setattr("backtrace.config.loading.parse_yaml", no_yaml)
    document = yaml.safe_load((CONFIGS / "xor.yaml").read_text())
    (tmp_path / "net.json").write_text(json.dumps(document, indent="\t"))  # tabs: not YAML
    assert load_config(str(tmp_path / "net.json")).config.loss == "article"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(json_values)
def test_json_reader_agrees_with_the_json_module(value) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=2, ensure_ascii=False)):
        assert parse_json(text)[0] == json.loads(text)


plain_text = st.text(st.sampled_from("abc XYZ:#-[]{},'\"&*!|>%@`é"), max_size=10)
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(allow_nan=False)
    | plain_text,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(plain_text, children, max_size=4),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=60, deadline=None, derandomize=True)
@given(yaml_values, st.booleans())
def test_yaml_reader_reads_back_what_pyyaml_writes(value, flow: bool) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    assert parse_yaml(text)[0] == value
