"""Rendered output of the bundled configs, compared with reviewed files in tests/golden/.

Regenerate with `pytest --update-golden` and read the diff before committing: the numbers in
these files are checked against hand arithmetic elsewhere (tests/engine/test_article.py); these
tests pin the layout.
"""

from __future__ import annotations

import io

import pytest

from backtrace.config import load_config
from backtrace.engine import train
from backtrace.renderers import FORMATS, RenderOptions
from helpers import GOLDEN, ROOT


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # so the traces name configs/xor.yaml as a user would type it


CASES = [
    ("xor", "table", "txt", None),
    ("xor", "jsonl", "jsonl", None),
    ("xor-gradient", "table", "txt", None),
    ("xor-sigmoid", "table", "txt", 2),
]


def rendered(config: str, output_format: str, epochs: int | None) -> str:
    spec = load_config(f"configs/{config}.yaml", epochs=epochs)
    out = io.StringIO()
    FORMATS[output_format].render(train(spec), out, RenderOptions(width=100))
    return out.getvalue()


@pytest.mark.parametrize(("config", "output_format", "extension", "epochs"), CASES)
def test_golden(
    config: str, output_format: str, extension: str, epochs: int | None, update_golden: bool
) -> None:
    path = GOLDEN / config / f"{output_format}.{extension}"
    text = rendered(config, output_format, epochs)
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_table_shows_the_articles_arithmetic() -> None:
    text = rendered("xor", "table", None)
    for line in [
        "W10·X0 + W11·X1 + W12·X2",
        "= 1·1 + 1·0 + 1·0 = 1",
        "identity(4) = 4",
        "error = y - ŷ = 0 - 4 = -4",
        "δ_Z1 = V01·δ_D0·f'(h_Z1) = 1·(-4)·1 = -4",
        "│ W10    │ X0·δ_Z1 = 1·(-4) = -4 │ 1 - 0.1·(-4) = 1.4 │ ✓ 1.4 ",
        "│ W11    │ X1·δ_Z1 = 0·(-4) = 0  │ 1 - 0.1·0 = 1      │ ✗ prints 1.4 [1] │",
        "the article prints 1.4 for W11, W21, W31, W12, W22, W32; computed 1.",
        "the article prints -4 for δ_Z0; the tool computes no such value.",
    ]:
        assert line in text, line
    assert "\x1b[" not in text  # no colour unless asked for
    assert "1.4000000000000001" not in text and "-4.0" not in text
