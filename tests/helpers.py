"""Paths and small builders shared by the tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
GOLDEN = Path(__file__).resolve().parent / "golden"


def article_document() -> dict:
    """The article's network as plain data, for tests that vary one field at a time."""
    return {
        "inputs": 2,
        "layers": [
            {"units": 3, "activation": "identity", "weights": 1},
            {"units": 1, "activation": "identity", "weights": 1},
        ],
        "loss": "article",
        "optimizer": {"learning_rate": 0.1},
        "data": [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]],
    }
