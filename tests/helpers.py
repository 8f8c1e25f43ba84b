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


class Invocation:
    """What one in-process command wrote, and its exit status."""

    def __init__(self, status: int, stdout: str, stderr: str) -> None:
        self.status, self.stdout, self.stderr = status, stdout, stderr


def invoke_in(
    arguments: list[str],
    *,
    keys: str = "",
    terminal: bool = False,
    env: dict[str, str] | None = None,
    columns: int | None = None,
    stdout=None,
    cwd: Path = ROOT,
    stdin: str = "",
    stderr_terminal: bool = False,
    clock=None,
) -> Invocation:
    """Run the CLI in-process with an injected terminal: `terminal` makes stdin and stdout
    look like a terminal (`stderr_terminal` stderr), `keys` are the key presses it will read,
    in order, `stdin` is what standard input holds, and `clock` stands in for time.monotonic."""
    import io

    from backtrace.cli import cli
    from backtrace.terminal import Terminal

    pressed = iter(keys)

    def read_key() -> str:
        try:
            return next(pressed)
        except StopIteration:
            raise EOFError from None

    out, err = stdout if stdout is not None else io.StringIO(), io.StringIO()
    fake = Terminal(
        stdin=io.StringIO(stdin),
        stdout=out,
        stderr=err,
        env=env or {},
        cwd=cwd,
        read_key=read_key,
        stdin_is_terminal=terminal,
        stdout_is_terminal=terminal,
        columns=columns,
        stderr_is_terminal=stderr_terminal,
        **({"clock": clock} if clock is not None else {}),
    )
    try:
        cli.main(arguments, prog_name="backtrace", obj=fake)
        status = 0
    except SystemExit as exit:
        status = int(exit.code or 0)
    written = out.getvalue() if hasattr(out, "getvalue") else ""
    return Invocation(status, written, err.getvalue())


# The article's first sample, worked by hand: every hidden unit sums 1·1 + 1·0 + 1·0 = 1,
# D0 sums four ones to 4, the error is 0 - 4 = -4 and so is every delta; a gradient is the
# sending value times -4 (X1 = X2 = 0 here), and W := 1 - 0.1·J'(W).
ARTICLE = {
    **{f"h_Z{j}": 1 for j in (1, 2, 3)},
    **{f"z_Z{j}": 1 for j in (1, 2, 3)},
    "h_D0": 4, "z_D0": 4, "loss": -4,
    **{f"delta_{unit}": -4 for unit in ("D0", "Z1", "Z2", "Z3")},
    **{f"grad_W{j}0": -4 for j in (1, 2, 3)},
    **{f"grad_W{j}{k}": 0 for j in (1, 2, 3) for k in (1, 2)},
    **{f"grad_V0{k}": -4 for k in range(4)},
    **{f"W{j}0_new": 1.4 for j in (1, 2, 3)},
    **{f"W{j}{k}_new": 1 for j in (1, 2, 3) for k in (1, 2)},
    **{f"V0{k}_new": 1.4 for k in range(4)},
}  # fmt: skip


def left_to_right(terms: list[float]) -> float:
    """The sum of the terms added one at a time from the first: the order every sum in the
    engine keeps, as a pure-Python oracle."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def order_sensitive(rng, shape: tuple[int, ...]):
    """Numbers of wildly different sizes, whose float64 sum depends on the order of adding."""
    return rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 9, size=shape)
