"""The command line: parse options, load the config, wire the engine's records to a renderer.

Errors from the library arrive as `BacktraceError`s and leave here as one line on stderr with
the exit status from `ExitStatus` (docs/cli.md lists them); --debug shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import click

from backtrace import __version__
from backtrace.config import load_config
from backtrace.engine import train
from backtrace.engine.records import Diverged, Record
from backtrace.errors import BacktraceError, ExitStatus
from backtrace.render import RENDERERS, RenderOptions
from backtrace.render.numbers import format_number
from backtrace.render.table import diverged_message
from backtrace.selection import parse_epochs


@dataclass(frozen=True)
class Streams:
    """Where input comes from and output goes, and what kind of thing stdout is.

    Built once per command from the real process (or from click's test runner), so nothing else
    reaches for sys.stdout or os.environ.
    """

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: dict[str, str]

    @classmethod
    def current(cls) -> Streams:
        return cls(sys.stdin, sys.stdout, sys.stderr, dict(os.environ))

    @property
    def stdout_is_terminal(self) -> bool:
        return _isatty(self.stdout)

    def wants_color(self) -> bool:
        """NO_COLOR wins, then FORCE_COLOR, then: colour only on a terminal."""
        if self.env.get("NO_COLOR"):
            return False
        if self.env.get("FORCE_COLOR"):
            return True
        return self.stdout_is_terminal and self.env.get("TERM") != "dumb"


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def error_line(message: str) -> str:
    return f"backtrace: error: {message}"


@contextlib.contextmanager
def reported_errors(debug: bool) -> Iterator[None]:
    """Turn library errors into one line on stderr and their exit status."""
    try:
        yield
    except BacktraceError as error:
        if debug:
            raise
        click.echo(error_line(str(error)), err=True)
        sys.exit(error.exit_status)


class DivergenceWatch:
    """Passes records through, remembering a `diverged` record if one goes by."""

    def __init__(self, stream: Iterable[Record]) -> None:
        self.stream = stream
        self.diverged: Diverged | None = None

    def __iter__(self) -> Iterator[Record]:
        for record in self.stream:
            if isinstance(record, Diverged):
                self.diverged = record
            yield record


# -- options shared by the commands -----------------------------------------------------------


def config_options(command: Any) -> Any:
    """--set and --epochs: changes to the config made on the command line."""
    command = click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="PATH=VALUE",
        help="Override a config field, e.g. --set optimizer.learning_rate=0.5 or "
        "--set layers[0].activation=tanh. Repeatable.",
    )(command)
    command = click.option(
        "--epochs",
        type=click.IntRange(min=1),
        default=None,
        help="Train for N epochs (overrides the config).",
    )(command)
    return command


def output_options(command: Any) -> Any:
    """--format, --precision and --debug."""
    command = click.option(
        "--format",
        "output_format",
        type=click.Choice(sorted(RENDERERS)),
        default="table",
        show_default=True,
        help="How to write the trace.",
    )(command)
    command = click.option(
        "--precision",
        type=click.IntRange(1, 17),
        default=None,
        help="Significant digits for numbers (default: 6 in tables, 15 in JSON).",
    )(command)
    command = click.option("--debug", is_flag=True, help="Show the full traceback on errors.")(
        command
    )
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backtrace")
def cli() -> None:
    """Trace backpropagation through a small dense network, number by number.

    Describe the network in YAML or JSON (see docs/config.md) and run it:

        backtrace run configs/xor.yaml
    """


@cli.command()
@click.argument("config", metavar="CONFIG")
@config_options
@click.option(
    "--trace",
    default="first",
    show_default=True,
    metavar="EPOCHS",
    help="Epochs traced in full: all, none, first, last, numbers (1,10,100) or ranges (3-5). "
    "Every epoch still gets its summary line.",
)
@output_options
def run(
    config: str,
    overrides: tuple[str, ...],
    epochs: int | None,
    trace: str,
    output_format: str,
    precision: int | None,
    debug: bool,
) -> None:
    """Train on CONFIG (a file, or - for stdin) and print the trace."""
    streams = Streams.current()
    with reported_errors(debug):
        spec = load_config(config, overrides=overrides, epochs=epochs, stdin=streams.stdin)
        traced = parse_epochs(trace, spec.config.epochs)
        watch = DivergenceWatch(train(spec, traced.__contains__))
        color = streams.wants_color()
        options = RenderOptions(
            precision=precision, color=color, terminal=streams.stdout_is_terminal
        )
        RENDERERS[output_format](watch, streams.stdout, options)
        if watch.diverged is not None:
            message = diverged_message(watch.diverged, format_number)
            click.echo(error_line(message), err=True)
            sys.exit(ExitStatus.DIVERGED)


def main() -> None:
    cli(prog_name="backtrace")
