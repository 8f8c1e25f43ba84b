"""The article's worked example, checked against the article's own hand arithmetic."""

from __future__ import annotations

import math

import pytest

from backtrace import records
from backtrace.config import load_config
from backtrace.engine import train
from helpers import CONFIGS


def first_step(config: str) -> dict[str, list[records.Record]]:
    """Records of epoch 1, sample 1 (and step 1), grouped by event."""
    grouped: dict[str, list[records.Record]] = {}
    for record in train(load_config(str(CONFIGS / config))):
        if (
            getattr(record, "sample", 1) == 1
            and getattr(record, "step", 1) == 1
            and getattr(record, "epoch", 1) == 1
        ):
            grouped.setdefault(record.event, []).append(record)
    return grouped


@pytest.fixture(scope="module")
def article() -> dict[str, list[records.Record]]:
    return first_step("xor.yaml")


def test_names_follow_the_article() -> None:
    spec = load_config(str(CONFIGS / "xor.yaml"))
    assert spec.names.all_units == ("X0", "X1", "X2", "Z0", "Z1", "Z2", "Z3", "D0")
    assert spec.names.all_weights == (
        "W10", "W11", "W12", "W20", "W21", "W22", "W30", "W31", "W32",
        "V00", "V01", "V02", "V03",
    )  # fmt: skip


def test_forward_pass_matches_the_article(article) -> None:
    # Article: h(x) = 1·1 + 1·0 + 1·0 = 1 for Z1..Z3, and 1·1 + 1·1 + 1·1 + 1·1 = 4 for D0.
    forward = {record.unit: record for record in article["forward"]}
    assert {unit: (r.h, r.z) for unit, r in forward.items()} == {
        "Z1": (1, 1), "Z2": (1, 1), "Z3": (1, 1), "D0": (4, 4),
    }  # fmt: skip
    terms = [(t.weight, t.w, t.unit, t.value) for t in forward["Z1"].terms]
    assert terms == [("W10", 1, "X0", 1), ("W11", 1, "X1", 0), ("W12", 1, "X2", 0)]


def test_loss_is_the_articles_signed_error(article) -> None:
    # Article: Loss = actual_y - predicted_y = 0 - 4 = -4.
    assert [record.loss for record in article["loss"]] == [-4]


def test_deltas_match_the_article_and_bias_units_get_none(article) -> None:
    # Article: delta_D0 = -4 and delta_Zj = W·delta_D0·f'(Zj) = 1·(-4)·1 = -4.
    deltas = {record.unit: record.delta for record in article["delta"]}
    assert deltas == {"D0": -4, "Z1": -4, "Z2": -4, "Z3": -4}  # no Z0, no inputs


def test_updates_follow_the_articles_rule(article) -> None:
    # W := W - α·Z·δ with α = 0.1 and δ = -4: 1 - 0.1·1·(-4) = 1.4 where the sending unit is 1
    # (X0, Z0..Z3), and 1 - 0.1·0·(-4) = 1 where it is X1 = 0 or X2 = 0.
    new = {record.weight: record.new for record in article["update"]}
    for name in ("W10", "W20", "W30", "V00", "V01", "V02", "V03"):
        assert new[name] == pytest.approx(1.4, abs=1e-15), name
    for name in ("W11", "W12", "W21", "W22", "W31", "W32"):
        assert new[name] == 1, name


def test_second_sample_by_hand() -> None:
    # After step 1: W_j0 = 1.4, W_j1 = W_j2 = 1, V = 1.4. Sample 2 is X = (0, 1), y = 1.
    # Z_j = 1.4·1 + 1·0 + 1·1 = 2.4; D0 = 1.4 + 3·(1.4·2.4) = 11.48; error = 1 - 11.48;
    # δ_Zj = 1.4·(-10.48)·1 = -14.672.
    sample_two = [
        r for r in train(load_config(str(CONFIGS / "xor.yaml"))) if getattr(r, "sample", None) == 2
    ]
    forward = {r.unit: r.z for r in sample_two if r.event == "forward"}
    assert forward == pytest.approx({"Z1": 2.4, "Z2": 2.4, "Z3": 2.4, "D0": 11.48})
    deltas = {r.unit: r.delta for r in sample_two if r.event == "delta"}
    assert deltas == pytest.approx({"D0": -10.48, "Z1": -14.672, "Z2": -14.672, "Z3": -14.672})


def test_reference_values_flag_exactly_the_articles_slips(article) -> None:
    disagreements = {(r.quantity, r.name) for r in article["reference"] if not r.agrees}
    assert disagreements == {
        ("delta", "Z0"),
        ("new", "W11"), ("new", "W12"), ("new", "W21"),
        ("new", "W22"), ("new", "W31"), ("new", "W32"),
    }  # fmt: skip
    z0 = next(r for r in article["reference"] if r.name == "Z0")
    assert z0.computed is None and z0.note


def test_article_config_notes_its_sign_and_linearity() -> None:
    notes = [r for r in train(load_config(str(CONFIGS / "xor.yaml"))) if r.event == "note"]
    topics = {note.topic: note.text for note in notes}
    assert set(topics) == {"loss", "linear"}
    # The best affine fit to XOR predicts 0.5 everywhere: mean squared error (0.5)² = 0.25.
    assert "0.25" in topics["linear"]


def test_squared_error_reverses_the_step() -> None:
    # δ_D0 = ŷ - y = 4 - 0 = 4, so W10 = 1 - 0.1·1·4 = 0.6 and V00 = 0.6.
    step = first_step("xor-gradient.yaml")
    assert {r.unit: r.delta for r in step["delta"]} == {"D0": 4, "Z1": 4, "Z2": 4, "Z3": 4}
    new = {r.weight: r.new for r in step["update"]}
    assert new["W10"] == pytest.approx(0.6) and new["V00"] == pytest.approx(0.6)
    assert new["W11"] == 1
    assert not any(
        r.event == "note" and r.topic == "loss"
        for r in train(load_config(str(CONFIGS / "xor-gradient.yaml")))
    )


def test_articles_sign_blows_up_and_says_where() -> None:
    spec = load_config(str(CONFIGS / "xor.yaml"), epochs=20)
    stream = list(train(spec, lambda epoch: False))
    last = stream[-1]
    assert isinstance(last, records.Diverged)
    assert 1 < last.epoch <= 20 and last.sample is not None
    assert not math.isfinite(last.value)
    summaries = [r for r in stream if r.event == "epoch"]
    assert len(summaries) == last.epoch - 1  # the diverged epoch gets no summary
    assert all(math.isfinite(r.loss) for r in summaries)
    # Weight magnitudes grow every epoch: the article's sign climbs the error.
    losses = [abs(r.loss) for r in summaries]
    assert losses == sorted(losses)


def test_whole_runs_agree_with_an_independent_implementation() -> None:
    from oracle import train_online

    xor = [((0.0, 0.0), (0.0,)), ((0.0, 1.0), (1.0,)), ((1.0, 0.0), (1.0,)), ((1.0, 1.0), (0.0,))]
    ones = [[[1.0] * 3 for _ in range(3)], [[1.0] * 4]]
    for config, loss in (("xor.yaml", "article"), ("xor-gradient.yaml", "squared_error")):
        expected = train_online(ones, ["identity", "identity"], loss, 0.1, xor, epochs=1)
        stream = list(train(load_config(str(CONFIGS / config))))
        final = dict(stream[-1].values)
        names = [[f"W{j}{k}" for k in range(3)] for j in (1, 2, 3)], [[f"V0{k}" for k in range(4)]]
        for matrix, matrix_names in zip(expected, names):
            for row, row_names in zip(matrix, matrix_names):
                for value, name in zip(row, row_names):
                    assert final[name] == pytest.approx(value, rel=1e-12), (config, name)


def test_sigmoid_run_agrees_with_an_independent_implementation() -> None:
    from oracle import train_online

    spec = load_config(str(CONFIGS / "xor-sigmoid.yaml"), epochs=25)
    stream = list(train(spec, lambda epoch: False))
    weights = [record for record in stream if record.event == "weights"]
    initial, final = dict(weights[0].values), dict(weights[-1].values)
    names = [[[f"W{j}{k}" for k in range(3)] for j in (1, 2, 3)], [[f"V0{k}" for k in range(4)]]]
    start = [[[initial[name] for name in row] for row in matrix] for matrix in names]
    data = [(tuple(x), tuple(y)) for x, y in zip(spec.inputs.tolist(), spec.targets.tolist())]
    expected = train_online(
        start, ["sigmoid", "sigmoid"], "mean_squared_error", 2.0, data, epochs=25
    )
    for matrix, matrix_names in zip(expected, names):
        for row, row_names in zip(matrix, matrix_names):
            for value, name in zip(row, row_names):
                assert final[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_divergence_point_agrees_with_an_independent_implementation() -> None:
    from oracle import train_online

    xor = [((0.0, 0.0), (0.0,)), ((0.0, 1.0), (1.0,)), ((1.0, 0.0), (1.0,)), ((1.0, 1.0), (0.0,))]
    ones = [[[1.0] * 3 for _ in range(3)], [[1.0] * 4]]
    with pytest.raises(OverflowError) as overflow:
        train_online(ones, ["identity", "identity"], "article", 0.1, xor, epochs=20)
    epoch, sample, layer, hs = overflow.value.args[0]
    diverged = list(train(load_config(str(CONFIGS / "xor.yaml"), epochs=20), lambda e: False))[-1]
    assert (diverged.epoch, diverged.sample, diverged.quantity) == (epoch, sample, "h")
    unit = ["Z1", "Z2", "Z3"] if layer == 1 else ["D0"]
    first_bad = next(i for i, h in enumerate(hs) if math.isinf(h) or math.isnan(h))
    assert diverged.name == unit[first_bad]
    assert diverged.non_finite == (
        "inf" if hs[first_bad] > 0 else "-inf" if hs[first_bad] < 0 else "nan"
    )
