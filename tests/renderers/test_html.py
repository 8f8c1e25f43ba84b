"""The HTML page: the article's numbers in its pieces and on its diagram, the JSON renderer's
records inside it, the same bytes from two runs, escaped outside text, and the record limit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import backtrace
from backtrace import limits
from backtrace.errors import UsageError
from backtrace.expressions.html import HtmlPrinter
from backtrace.expressions.nodes import Address, Number, Symbol, equation, times
from backtrace.numbers import NumberFormatter
from helpers import invoke_in

DATA = re.compile(r'<script type="application/json" id="trace">(.*?)</script>', re.S)


def page(config: str = "xor", **selection) -> str:
    return backtrace.run(backtrace.load(config), **selection).render("html")


def embedded(html: str) -> dict:
    found = DATA.findall(html)
    assert len(found) == 1, "the records are serialised once"
    return json.loads(found[0])


def piece_named(data: dict, what: str, sample: int = 1) -> dict:
    return next(p for p in data["pieces"] if p["what"] == what and p.get("sample") == sample)


def visible_row(data: dict, piece: dict) -> str:
    """The text of the piece's own row of its table, tags removed."""
    block = data["blocks"][piece["block"]]
    row = re.search(rf'<tr data-row="{piece.get("row", 0)}">(.*?)</tr>', block).group(1)
    return re.sub(r"<[^>]+>", "", row)


def labels(data: dict, upto: dict) -> dict[tuple[str, str], str]:
    """What the diagram shows at a piece: the labels the pieces up to it set, the last wins."""
    shown: dict[tuple[str, str], str] = {}
    for piece in data["pieces"][: data["pieces"].index(upto) + 1]:
        for what, key, text in piece.get("sets", []):
            shown[(what, key)] = text
    return shown


def test_the_article_first_sample_as_the_page_shows_it() -> None:
    # The article works the first sample by hand: every weight 1, X = (1, 0, 0).
    data = embedded(page())
    forward = piece_named(data, "forward · D0")
    assert visible_row(data, forward).count("= 4") >= 1  # h_D0 = 1·1 + 1·1 + 1·1 + 1·1 = 4
    assert forward["links"] == ["V00", "V01", "V02", "V03"] and forward["units"] == ["D0"]
    assert labels(data, forward)[("h", "D0")] == "h = 4"
    delta = piece_named(data, "backward · Z1")
    assert "= -4" in visible_row(data, delta)  # δ_Z1 = 1·(-4)·1 = -4
    assert labels(data, delta)[("d", "Z1")] == "δ = -4"
    # W10 := W10 - α·Z_X0·δ_Z1 = 1 - 0.1·1·(-4) = 1.4
    update = piece_named(data, "update · W10")
    row = visible_row(data, update)
    assert "1 - 0.1·(-4) = 1.4" in row and "✓ 1.4" in row
    assert update["links"] == ["W10"]
    assert labels(data, update)[("w", "W10")] == " = 1.4"
    assert labels(data, update)[("g", "W10")] == "J' = -4"
    # The article's slip (W11 printed 1.4, computed 1) is marked as the tables mark it.
    assert "✗ prints 1.4 [1]" in visible_row(data, piece_named(data, "update · W11"))


def test_numbers_print_as_a_person_writes_them() -> None:
    text = page()
    assert "1.4000000000000001" not in text.split('"records"')[0]
    assert not re.search(r"-4\.0\b", re.sub(r'"records": \[.*?\], "pieces"', "", text, flags=re.S))


def test_the_page_holds_the_json_renderers_records() -> None:
    trace = backtrace.run(backtrace.load("xor"))
    assert embedded(trace.render("html"))["records"] == json.loads(trace.render("json"))


def test_every_operand_knows_its_source() -> None:
    data = embedded(page())
    update = piece_named(data, "update · W10")
    block = data["blocks"][update["block"]]
    # X0·δ_Z1 = 1·(-4): the -4 is the delta computed in the backward piece of Z1.
    delta = data["pieces"].index(piece_named(data, "backward · Z1"))
    assert f'<span data-q="delta" data-s="Z1" data-f="{delta}">-4</span>' in block


def test_the_printer_escapes_and_tags() -> None:
    printer = HtmlPrinter(NumberFormatter(6), lambda address: 7)
    tree = equation(times(Symbol("<W>"), Symbol("δ", "Z1")), Number(-4.0, Address("delta", "Z1")))
    assert printer.node(tree) == (
        '&lt;W&gt;·δ<sub>Z1</sub> = <span data-q="delta" data-s="Z1" data-f="7">-4</span>'
    )
    assert printer.node(times(Number(1.0), Number(-4.0))) == "1·(-4)"


def test_two_runs_write_the_same_bytes_well_under_a_megabyte(tmp_path: Path) -> None:
    for name in ("one.html", "two.html"):
        outcome = invoke_in(["run", "xor", "-o", name], cwd=tmp_path)
        assert outcome.status == 0, outcome.stderr
    one = (tmp_path / "one.html").read_bytes()
    assert one == (tmp_path / "two.html").read_bytes()
    assert len(one) < 500_000
    # Self-contained: nothing is fetched from anywhere.
    assert not re.search(rb"""(src|href)=["']?(https?:)?//""", one)
    assert b"<style>" in one and b"<svg" in one


def test_outside_text_is_escaped(tmp_path: Path) -> None:
    config = (
        'title: "</script><img src=x onerror=alert(1)>"\n'
        "inputs: 2\n"
        "layers:\n  - {units: 2, activation: sigmoid}\n  - {units: 1, activation: identity}\n"
        "loss: squared_error\noptimizer: {learning_rate: 0.1}\ndata:\n  rows: [[0, 1, 1]]\n"
        'reference:\n  source: "</script><b>"\n  values:\n'
        '    - {quantity: h, name: Z1, printed: 2, note: "</script><img src=y onerror=alert(3)>"}\n'
    )
    name = "e\x1b[31m<img onerror=b()>.yaml"
    (tmp_path / name).write_text(config)
    outcome = invoke_in(["run", name, "-o", "page.html"], cwd=tmp_path)
    assert outcome.status == 0, outcome.stderr
    text = (tmp_path / "page.html").read_text()
    assert text.count("</script>") == 2  # the data block's and the script's own
    assert "<img" not in text and "<b>" not in text and "\x1b" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # shown, as text
    data = embedded(text)
    assert data["records"][0]["title"] == "</script><img src=x onerror=alert(1)>"


def test_a_diverging_run_shows_where() -> None:
    data = embedded(page("xor", epochs=20, trace="last"))
    last = data["pieces"][-1]
    assert last["what"] == "diverged" and last["alarm"] is True
    assert "Training diverged at epoch" in data["blocks"][last["block"]]


def test_past_the_record_limit_the_page_is_refused_with_a_narrower_selection() -> None:
    trace = backtrace.run(backtrace.load("xor"))
    with limits.raised(html_records=120), pytest.raises(UsageError) as refused:
        trace.render("html")
    message = str(refused.value)
    assert "at most 120 records and this selection has 175" in message
    assert "--sample 1-" in message and "\n" not in message
    # The narrower selection it names fits.
    fewer = re.search(r"--sample 1-(\d+)", message).group(1)
    with limits.raised(html_records=120):
        assert backtrace.run(backtrace.load("xor"), sample=f"1-{fewer}").render("html")


def test_the_command_line_refuses_a_page_too_large(tmp_path: Path) -> None:
    outcome = invoke_in(["run", "iris", "--trace", "1-3", "-q", "-o", "big.html"], cwd=tmp_path)
    assert outcome.status == 2
    assert "an HTML page holds at most 30,000 records" in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "big.html").exists()
