from __future__ import annotations

import compileall
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "backtrace"

# pytest rewrites every test module's asserts on import, and keeps the result only where Python
# may write bytecode; with PYTHONDONTWRITEBYTECODE set each worker would redo it on every run
# (about 3 s here). The caches go to __pycache__, which git ignores.
sys.dont_write_bytecode = False


def pytest_configure(config: pytest.Config) -> None:
    # Many tests start backtrace as a real process. Where Python may not write bytecode
    # (PYTHONDONTWRITEBYTECODE, as on this project's machines) each of them would compile
    # the whole package again; compiling it once here (workers skip it) saves that.
    if not hasattr(config, "workerinput"):
        compileall.compile_dir(PACKAGE, quiet=1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff before committing).",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
