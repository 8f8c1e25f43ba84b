"""The command line: parse options, load the config, wire the engine's records to a renderer.

Errors from the library arrive as `BacktraceError`s and leave here as one line on stderr with
the exit status from `ExitStatus` (docs/cli.md lists them); --debug shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from backtrace import __version__
from backtrace.config import Spec, load_config
from backtrace.config.discovery import find_config
from backtrace.engine import train
from backtrace.engine.records import Diverged, EpochEnd, Record
from backtrace.errors import BacktraceError, ExitStatus, UsageError
from backtrace.render import FORMATS, RenderOptions, format_for_path
from backtrace.render.layout import diverged_message
from backtrace.render.numbers import format_number
from backtrace.selection import PHASES, RecordFilter, parse_epochs, parse_samples, resolve_names
from backtrace.stepping import paced


class OutputError(BacktraceError):
    """The trace could not be written where it was asked to go."""


@dataclasses.dataclass(frozen=True)
class Streams:
    """Where input comes from and output goes, and what kind of things they are.

    Built once per command from the process (or from click's test runner), so nothing else
    reaches for sys.stdout, os.environ or the terminal.
    """

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: dict[str, str]
    cwd: Path
    read_key: Callable[[], str] = click.getchar

    @classmethod
    def current(cls) -> Streams:
        return cls(sys.stdin, sys.stdout, sys.stderr, dict(os.environ), Path.cwd())

    @property
    def stdout_is_terminal(self) -> bool:
        return _isatty(self.stdout)

    @property
    def stdin_is_terminal(self) -> bool:
        return _isatty(self.stdin)

    def wants_color(self) -> bool:
        """NO_COLOR wins, then FORCE_COLOR; otherwise colour only on a terminal."""
        if self.env.get("NO_COLOR"):
            return False
        if self.env.get("FORCE_COLOR"):
            return True
        return self.stdout_is_terminal and self.env.get("TERM") != "dumb"

    def width(self, requested: int | None, *, to_terminal: bool) -> int:
        """--width, else COLUMNS, else the terminal's width, else 80."""
        if requested:
            return requested
        columns = self.env.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        if to_terminal:
            return shutil.get_terminal_size((80, 24)).columns
        return 80


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def error_line(message: str) -> str:
    return f"backtrace: error: {message}"


@contextlib.contextmanager
def reported_errors(debug: bool, streams: Streams) -> Iterator[None]:
    """Turn failures into one line on stderr and a documented exit status."""
    try:
        yield
    except BacktraceError as error:
        if debug:
            raise
        click.echo(error_line(str(error)), err=True)
        sys.exit(error.exit_status)
    except BrokenPipeError:
        # The reader (head, less ...) has gone: not an error. Point stdout at /dev/null so the
        # interpreter's final flush has nowhere to fail.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, streams.stdout.fileno())
        sys.exit(ExitStatus.OK)
    except KeyboardInterrupt:
        if debug:
            raise
        click.echo("\nbacktrace: interrupted", err=True)
        sys.exit(ExitStatus.INTERRUPTED)
    except OSError as error:  # stdout itself failed: a full disk, a closed file ...
        if debug:
            raise
        click.echo(error_line(f"cannot write the trace: {error.strerror or error}"), err=True)
        sys.exit(ExitStatus.ERROR)


@contextlib.contextmanager
def output_file(path: str) -> Iterator[TextIO]:
    """A file that appears at `path` whole when the block succeeds, and not at all otherwise.

    A regular file (or a new one) is written to a temporary file beside it and renamed over it
    at the end, so a failed or interrupted run never leaves half a trace where a good one was.
    The new file gets the old one's permissions, or the usual ones for a new file. Anything
    else (a device such as /dev/null, a pipe) is opened and written in place: renaming over it
    would replace it. A symbolic link is followed, so its target is what gets written."""
    target = Path(path).resolve()
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    try:
        if target.exists() and not target.is_file():
            with open(target, "w", encoding="utf-8") as special:
                yield special
            return
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=target.parent,
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with handle:
            yield handle
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


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


def stacked(command: Any, decorators: list[Any]) -> Any:
    """`command` under a list of click decorators, the first of them outermost (as if written
    above it in that order)."""
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def config_options(command: Any) -> Any:
    """CONFIG, --set and --epochs: which network, and changes made on the command line."""
    return stacked(
        command,
        [
            click.argument("config", metavar="[CONFIG]", required=False),
            click.option(
                "--set",
                "overrides",
                multiple=True,
                metavar="PATH=VALUE",
                help="Override a config field, e.g. --set optimizer.learning_rate=0.5 or "
                "--set layers[0].activation=tanh. Repeatable.",
            ),
            click.option(
                "--epochs", type=click.IntRange(min=1), default=None, help="Train for N epochs."
            ),
        ],
    )


def selection_options(command: Any) -> Any:
    """--sample, --unit, --weight and --phase: which parts of a traced epoch to show."""
    return stacked(
        command,
        [
            click.option(
                "--sample",
                "samples",
                multiple=True,
                metavar="K",
                help="Samples to show: 2, 1,3 or 2-4. Repeatable.",
            ),
            click.option(
                "--unit",
                "units",
                multiple=True,
                metavar="NAME",
                help="Units to show; glob patterns like 'Z*'. Repeatable.",
            ),
            click.option(
                "--weight",
                "weights",
                multiple=True,
                metavar="NAME",
                help="Weights to show; patterns like 'V0*'. Repeatable.",
            ),
            click.option(
                "--phase",
                "phases",
                multiple=True,
                type=click.Choice(PHASES),
                help="Phases to show. Repeatable.",
            ),
        ],
    )


def output_options(command: Any) -> Any:
    """--format, -o, --precision, --width and --debug: how and where the trace is written."""
    return stacked(
        command,
        [
            click.option(
                "--format",
                "output_format",
                type=click.Choice(list(FORMATS)),
                default=None,
                help="How to write the trace: "
                + "; ".join(f"{entry.name}: {entry.description}" for entry in FORMATS.values())
                + ". Default: from the -o file's extension, else table (run) or text (step).",
            ),
            click.option(
                "-o",
                "--output",
                metavar="FILE",
                default=None,
                help="Write the trace to FILE (whole, or not at all) instead of stdout.",
            ),
            click.option(
                "--precision",
                type=click.IntRange(1, 17),
                default=None,
                help="Significant digits (default: 6 in table, text and markdown; JSON and CSV exact).",
            ),
            click.option(
                "--width",
                type=click.IntRange(min=20),
                default=None,
                help="Columns for tables and text.",
            ),
            click.option("--debug", is_flag=True, help="Show the full traceback on errors."),
        ],
    )


@dataclasses.dataclass(frozen=True)
class Request:
    """Everything a command asks for, parsed but not yet checked against the network."""

    config: str | None
    overrides: tuple[str, ...]
    epochs: int | None
    trace: str
    samples: tuple[str, ...]
    units: tuple[str, ...]
    weights: tuple[str, ...]
    phases: tuple[str, ...]
    output_format: str | None
    output: str | None
    precision: int | None
    width: int | None
    debug: bool


def units_with_records(spec: Spec) -> list[str]:
    """Units a trace says something about: those that compute h and δ, and any unit (a bias
    unit, say) that the config's reference values mention."""
    computing = [unit for layer in spec.names.layers[1:] for unit in layer.units]
    referenced = (
        {value.name for value in spec.config.reference.values} if spec.config.reference else set()
    )
    return [unit for unit in spec.names.all_units if unit in computing or unit in referenced]


def record_filter(request: Request, spec: Spec) -> RecordFilter:
    return RecordFilter(
        samples=parse_samples(request.samples, len(spec.inputs)),
        units=resolve_names(request.units, units_with_records(spec), option="--unit", what="unit"),
        weights=resolve_names(
            request.weights, spec.names.all_weights, option="--weight", what="weight"
        ),
        phases=frozenset(request.phases) or None,
    )


def execute(request: Request, *, stepping: bool) -> None:
    """Load, train, filter and render, as `run` (everything) or `step` (one epoch, paced)."""
    streams = Streams.current()
    with reported_errors(request.debug, streams):
        path, shown_as = find_config(request.config, cwd=streams.cwd, env=streams.env)
        spec = load_config(
            path,
            overrides=request.overrides,
            epochs=request.epochs,
            stdin=streams.stdin,
            name=shown_as,
        )
        if spec.references_dropped:
            click.echo(
                "backtrace: note: --set changed the config, so its reference values are not checked",
                err=True,
            )
        traced = parse_epochs(
            request.trace,
            spec.config.epochs,
            option="--epoch" if stepping else "--trace",
            allow_beyond=stepping,
        )
        if stepping:
            if not traced:
                raise UsageError("--epoch selects no epoch to step through")
            # Stepping trains exactly as far as the last epoch asked for, even past the config's.
            spec = dataclasses.replace(
                spec, config=spec.config.model_copy(update={"epochs": traced.largest()})
            )
        selection = record_filter(request, spec)
        default_format = "text" if stepping else "table"
        name = request.output_format or (
            format_for_path(request.output, default_format) if request.output else default_format
        )

        stream: Iterable[Record] = selection.apply(train(spec, traced.__contains__))
        if stepping:
            stream = (r for r in stream if not (isinstance(r, EpochEnd) and not r.traced))
        interactive = (
            stepping
            and request.output is None
            and streams.stdin_is_terminal
            and streams.stdout_is_terminal
        )
        piece = FORMATS[name].piece
        if interactive and piece is not None:  # csv holds its tables to the end: nothing to pace
            stream = paced(stream, piece, streams.read_key, streams.stderr)
        watch = DivergenceWatch(stream)

        to_terminal = request.output is None and streams.stdout_is_terminal
        options = RenderOptions(
            precision=request.precision,
            width=streams.width(request.width, to_terminal=to_terminal),
            color=request.output is None and streams.wants_color(),
            events=selection.events,
        )
        if request.output is None:
            FORMATS[name].render(watch, streams.stdout, options)
            streams.stdout.flush()
        else:
            with output_file(request.output) as handle:
                FORMATS[name].render(watch, handle, options)
        if watch.diverged is not None:
            click.echo(error_line(diverged_message(watch.diverged, format_number)), err=True)
            sys.exit(ExitStatus.DIVERGED)


class Commands(click.Group):
    """The command group, with click's own errors (bad options, missing values) reported the
    way every other error is: one line on stderr and exit status 2."""

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra.pop("standalone_mode", None)
        try:
            result = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else "backtrace"
            click.echo(error_line(f"{error.format_message()} (see '{command} --help')"), err=True)
            sys.exit(ExitStatus.BAD_INPUT)
        except click.ClickException as error:
            click.echo(error_line(error.format_message()), err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("\nbacktrace: interrupted", err=True)
            sys.exit(ExitStatus.INTERRUPTED)
        sys.exit(result if isinstance(result, int) else ExitStatus.OK)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backtrace")
def cli() -> None:
    """Trace backpropagation through a small dense network, number by number.

    Describe the network in YAML or JSON (see docs/config.md), then:

    \b
        backtrace run configs/xor.yaml          every table for the first epoch
        backtrace step xor --epoch 1            walk epoch 1 a piece at a time
        backtrace run xor --format jsonl | jq   the trace as data

    CONFIG may be a path, - for stdin, or the name of a bundled example (xor, xor-gradient,
    xor-sigmoid). Without it, backtrace uses $BACKTRACE_CONFIG or backtrace.yaml, backtrace.yml
    or backtrace.json in the current directory.
    """


@cli.command()
@config_options
@click.option(
    "--trace",
    "--epoch",
    "trace",
    default="first",
    show_default=True,
    metavar="EPOCHS",
    help="Epochs traced in full: all, none, first, last, numbers (1,10,100) or ranges (3-5). "
    "Every epoch still gets its summary line.",
)
@selection_options
@output_options
def run(**arguments: Any) -> None:
    """Train on CONFIG and print the trace of the traced epochs."""
    execute(Request(**arguments), stepping=False)


@cli.command()
@config_options
@click.option(
    "--epoch",
    "--trace",
    "trace",
    default="1",
    show_default=True,
    metavar="EPOCHS",
    help="The epoch to walk through (or several: 2,5 or 3-4). Earlier epochs are trained silently.",
)
@selection_options
@output_options
def step(**arguments: Any) -> None:
    """Walk through one epoch of CONFIG a piece at a time.

    In a terminal, each piece (a unit's forward arithmetic, the loss, a delta, the updates)
    waits for a key: enter or space for the next piece, s for the next sample, c to run to the
    end, q to quit. When stdin or stdout is not a terminal, everything is printed at once.
    """
    execute(Request(**arguments), stepping=True)


def main() -> None:
    cli(prog_name="backtrace")
