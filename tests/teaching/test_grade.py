"""`backtrace grade`: right answers pass, and planted wrong ones are found with their cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import ARTICLE, invoke_in


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return name


def grade(tmp_path: Path, config: str, answers: str, *options: str):
    return invoke_in(["grade", config, answers, *options], cwd=tmp_path)


def test_the_articles_numbers_all_pass(tmp_path: Path) -> None:
    rows = "".join(f"{name},{value}\n" for name, value in ARTICLE.items())
    result = grade(tmp_path, "xor", write(tmp_path, "a.csv", "name,value\n" + rows))
    assert result.status == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith(f"{len(ARTICLE)} of {len(ARTICLE)} right")
    assert "✗" not in result.stdout


def test_a_flipped_sign_and_what_follows_from_it(tmp_path: Path) -> None:
    # The error's sign flipped: δ_D0 = 4 instead of the article rule's -4; δ_Z1 = 1·4·1 = 4
    # then follows from it, and so does V01 := 1 - 0.1·(1·4) = 0.6 via grad_V01 = 4.
    answers = "name,value\ndelta_D0,4\ndelta_Z1,4\ngrad_V01,4\nV01,0.6\nh_Z1,1\n"
    result = grade(tmp_path, "xor", write(tmp_path, "a.csv", answers))
    assert result.status == 5
    lines = result.stdout.splitlines()
    assert "1 of 5 right" in lines[-1]
    text = result.stdout
    assert (
        "your delta_D0 = 4: it has the right size but the opposite sign; 3 later answers "
        "follow from this one." in text
    )
    assert "δ_Z1 = V01·δ_D0·f'(h_Z1) = 1·⟨-4⟩·1 = -4" in text  # the operand at fault, marked
    assert "your delta_Z1 = 4: it follows from your delta_D0 = 4" in text
    assert "your V01 = 0.6: it follows from your grad_V01 = 4" in text


def test_a_wrong_input(tmp_path: Path) -> None:
    # W11's gradient is X1·δ_Z1 = 0·(-4) = 0 on the first sample; -4 takes X1 = 1.
    result = grade(tmp_path, "xor", write(tmp_path, "a.csv", "name,value\ngrad_W11,-4\n"))
    assert result.status == 5
    assert "J'(W11) = X1·δ_Z1 = ⟨0⟩·(-4) = 0" in result.stdout
    assert "it assumes X1 = 1; X1 = 0 for this sample" in result.stdout


def test_stale_weights(tmp_path: Path) -> None:
    """δ_h1 through the updated w5 = 0.35891648 and w7 = 0.51130127 (Mazur's own updated
    values): (0.35891648·0.138498562 + 0.51130127·(-0.0380982366))·0.593269992·(1 -
    0.593269992) ≈ 0.00729446, where the original weights give Mazur's 0.00877135."""
    result = grade(tmp_path, "mazur", write(tmp_path, "a.yaml", "delta_h1: 0.00729446\n"))
    assert result.status == 5
    assert "it uses the updated w5, w7 (stale weights)" in result.stdout
    assert "(⟨0.4⟩·0.138499 + ⟨0.5⟩·(-0.0380982))" in result.stdout  # both weights marked


def test_the_tolerance_fits_the_printed_digits(tmp_path: Path) -> None:
    # Mazur's out_h1 = 0.593269992: six significant digits print 0.59327.
    answers = "name,value\nz_h1,0.59327\nz_h2,0.5969\n"
    result = grade(tmp_path, "mazur", write(tmp_path, "a.csv", answers))
    assert result.status == 5
    assert result.stdout.startswith("✓ z_h1")
    assert "z_h2  0.5969: the right value is 0.596884" in result.stdout
    assert "it is the right value rounded to 4 decimals; give more digits" in result.stdout
    loose = grade(tmp_path, "mazur", "a.csv", "--tolerance", "0.001")
    assert loose.status == 0 and "2 of 2 right (within 0.001)" in loose.stdout


def test_a_quiz_key_is_read_as_answers(tmp_path: Path) -> None:
    made = invoke_in(["quiz", "xor-sigmoid", "--count", "7", "--blank", "h,z,delta,new",
                      "--key", "key.json"], cwd=tmp_path)  # fmt: skip
    assert made.status == 0, made.stderr
    result = grade(tmp_path, "xor-sigmoid", "key.json")
    assert result.status == 0, result.stdout
    assert "7 of 7 right" in result.stdout


def test_answers_for_several_samples_and_json_out(tmp_path: Path) -> None:
    answers = json.dumps([
        {"name": "z_D0", "value": 4, "sample": 1},
        # Sample 2 starts from the weights after sample 1's update, all 1.4 but W11, W21,
        # W31, W12, W22, W32 (still 1): h_Z1 = 1.4·1 + 1·0 + 1·1 = 2.4.
        {"name": "h_Z1", "value": 2.4, "sample": 2},
    ])  # fmt: skip
    result = grade(tmp_path, "xor", write(tmp_path, "a.json", answers), "--format", "json")
    assert result.status == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["right"] == 2 and [g["sample"] for g in data["grades"]] == [1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,value\nq_Z1,1\n", "a.csv:2: answer 1 (q_Z1): is not a name this network has"),
        ("name,value\nh_Z9,1\n", "answer 1 (h_Z9): 'Z9' is not a unit of this network"),
        ("name,value\nh_Z1,one\n", "answer 1 (h_Z1): 'one' is not a finite number"),
        ("unit,number\nZ1,1\n", "a.csv:1: needs a header row with name and value columns"),
        ("name,value\n", "a.csv: holds no answers"),
        ("name,value\nh_X1,1\n", "the trace has no h of X1"),
        ("name,value\nh_Z1,1e400\n", "'1e400' is not a finite number"),
        ("name,value\nh_Z1,\n", "answer 1 (h_Z1): has no value"),
        ("name,value,epoch\nloss,1,5\n", "a.csv:2: loss: epoch 5 is past the config's 1; grade it"),
    ],
)
def test_bad_answer_files_get_one_line(tmp_path: Path, text: str, message: str) -> None:
    result = grade(tmp_path, "xor", write(tmp_path, "a.csv", text))
    assert result.status == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_the_tolerance_counts_significant_digits_not_printed_ones(tmp_path: Path) -> None:
    """1 prints as "1", but six significant digits of it are 1.00000: 1.4 is wrong (the
    article's own W11 slip), and so is 1.49; 1.000001 is within half a unit of the sixth."""
    answers = "name,value\nW11_new,1.4\nW11_new,1.49\nh_Z1,1.4\nh_Z1,1.000001\n"
    result = grade(tmp_path, "xor", write(tmp_path, "a.csv", answers))
    assert result.status == 5
    marks = [line.split()[0] for line in result.stdout.splitlines() if line[:1] in "✓✗"]
    assert marks == ["✗", "✗", "✗", "✓"]


@pytest.mark.parametrize(
    ("config", "quiz_options"),
    [
        ("xor-sigmoid", ["--students", "2"]),  # version 2 draws its own weights
        ("iris", ["--seed", "1"]),  # so does any sheet with a seed of its own
        ("xor", ["--sample", "3"]),  # its updates follow sample 3, not 1
        ("xor-deep", []),  # names with underscores: W1_11_new
        ("xor", ["--set", "loss=squared_error", "--set", "slips=[stale_weights]"]),
    ],
)
def test_every_quiz_key_grades_all_right(config: str, quiz_options: list, tmp_path: Path) -> None:
    made = invoke_in(["quiz", config, *quiz_options, "-o", "s.txt", "--key", "k.json"],
                     cwd=tmp_path)  # fmt: skip
    assert made.status == 0, made.stderr
    keys = sorted(tmp_path.glob("k*.json"))
    overrides = [o for o in quiz_options if o.startswith("loss=")]
    for key in keys:
        extra = ["--set", overrides[0]] if overrides else []
        result = grade(tmp_path, config, key.name, *extra)
        assert result.status == 0, result.stdout


def test_a_slip_carried_through_a_line_the_student_did_not_write(tmp_path: Path) -> None:
    """δ_Z1 = 4 (from δ_D0 = 4) gives J'(W10) = 1·4 = 4, which the student never wrote, and
    W10 := 1 - 0.1·4 = 0.6: the update follows from δ_Z1, and δ_D0 explains both."""
    answers = "name,value\ndelta_D0,4\ndelta_Z1,4\nW10_new,0.6\n"
    result = grade(tmp_path, "xor", write(tmp_path, "a.csv", answers))
    assert "your W10_new = 0.6: it follows from your delta_Z1 = 4, carried through" in result.stdout
    assert (
        "your delta_D0 = 4: it has the right size but the opposite sign; 2 later answers"
        in result.stdout
    )
