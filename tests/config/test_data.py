"""CSV data: what a spreadsheet writes is read, and a large file costs about its numbers."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import yaml

from backtrace import limits
from backtrace.config import load_config
from backtrace.errors import ConfigError
from helpers import article_document


def config_reading(tmp_path, csv_text: str | bytes):
    data = tmp_path / "d.csv"
    if isinstance(csv_text, bytes):
        data.write_bytes(csv_text)
    else:
        data.write_text(csv_text)
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(article_document() | {"data": "d.csv"}))
    return str(path)


@pytest.mark.parametrize(
    "csv_text",
    [
        "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n",
        "\n\nx1,x2,y\n0,0,0\n0,1,1\n\n1,0,1\n1,1,0\n",  # the header after blank lines
        '"x1","x2","y"\r\n"0","0","0"\r\n0, 1 ,1\r\n1,0,1\r\n1,1,0\r\n',  # quoted, CRLF, spaces
        "\ufeff0,0,0\n0,1,1\n1,0,1\n1,1,0",  # a byte-order mark, no final line break
        "0.0,0e0,-0\n0,1,1.0\n1,0,1\n1,1,0\n",
    ],
)
def test_what_spreadsheets_write_is_read(tmp_path, csv_text: str) -> None:
    spec = load_config(config_reading(tmp_path, csv_text))
    assert spec.inputs.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert spec.targets.tolist() == [[0], [1], [1], [0]]
    assert spec.inputs.dtype == np.float64


def test_max_rows_is_a_limit_that_can_be_raised(tmp_path) -> None:
    path = config_reading(tmp_path, "0,0,0\n" * 5)
    with limits.raised(rows=4), pytest.raises(ConfigError, match="more than 4 rows"):
        load_config(path)
    with limits.raised(rows=5):
        assert len(load_config(path).inputs) == 5


def test_large_data_costs_a_small_multiple_of_its_numbers(tmp_path) -> None:
    rows = 60_000
    values = np.random.default_rng(0).random((rows, 3)).round(6)
    text = "x1,x2,y\n" + "\n".join(f"{a},{b},{c}" for a, b, c in values.tolist()) + "\n"
    path = config_reading(tmp_path, text)
    tracemalloc.start()
    try:
        spec = load_config(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    numbers = values.nbytes  # 1.4 MB of float64; the text is about 1.6 MB
    assert peak < 3 * numbers + (2 << 20), f"peak {peak >> 20} MB for {numbers >> 20} MB of data"
    assert np.array_equal(np.hstack([spec.inputs, spec.targets]), values)
