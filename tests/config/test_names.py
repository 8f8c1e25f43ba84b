from __future__ import annotations

from backtrace.config import build_spec
from helpers import article_document


def names_for(layers, inputs=2, **extra):
    document = (
        article_document()
        | {"inputs": inputs, "layers": layers, "data": [[0.0] * (inputs + layers[-1]["units"])]}
        | extra
    )
    return build_spec(document).names


def test_deeper_networks_get_layer_numbered_names() -> None:
    names = names_for(
        [
            {"units": 2, "activation": "tanh"},
            {"units": 2, "activation": "tanh"},
            {"units": 1, "activation": "sigmoid"},
        ]
    )
    assert names.all_units == (
        "X0",
        "X1",
        "X2",
        "Z1_0",
        "Z1_1",
        "Z1_2",
        "Z2_0",
        "Z2_1",
        "Z2_2",
        "D0",
    )
    assert names.layers[1].weights[0] == ("W1_10", "W1_11", "W1_12")
    assert names.layers[3].weights == (("W3_00", "W3_01", "W3_02"),)


def test_ten_or_more_units_separate_the_indices() -> None:
    names = names_for(
        [{"units": 10, "activation": "tanh"}, {"units": 1, "activation": "identity"}], inputs=11
    )
    assert names.layers[1].weights[9][11] == "W10_11"  # into Z10 from X11
    assert names.layers[1].weights[0][1] == "W1_1"
    assert len(set(names.all_weights)) == len(names.all_weights)


def test_single_layer_and_custom_prefixes() -> None:
    names = names_for(
        [{"units": 1, "activation": "sigmoid", "unit_prefix": "Out", "weight_prefix": "w"}]
    )
    assert names.all_units == ("X0", "X1", "X2", "Out0")
    assert names.all_weights == ("w00", "w01", "w02")
    assert names.bias_weights == ("w00",)


def test_weight_tables_are_labelled_by_prefix() -> None:
    import io

    from backtrace.engine import train
    from backtrace.renderers import FORMATS, RenderOptions

    layers = [
        {"units": 2, "activation": "tanh"},
        {"units": 2, "activation": "tanh"},
        {"units": 1, "activation": "sigmoid"},
    ]
    document = article_document() | {"layers": layers, "data": [[0, 0, 0]]}
    out = io.StringIO()
    FORMATS["table"].render(
        train(build_spec(document), lambda epoch: False), out, RenderOptions(width=100)
    )
    for prefix in ("W1_", "W2_", "W3_"):
        assert f" {prefix} into ↓ from →" in out.getvalue()
