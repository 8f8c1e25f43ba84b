"""The command line: options in, the API called, errors out as one line and an exit status.

Each group of options (which network, what to show, where to write) reaches a command as one
small object, so commands share them without sharing a grab-bag of everything. Errors from
the library arrive as `BacktraceError`s and leave through `reported_errors` as one line on
stderr with a status from `ExitStatus` (docs/cli.md lists them); --debug shows the traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from backtrace import __version__, api, limits
from backtrace.config import Spec
from backtrace.config.discovery import find_config
from backtrace.engine.check import DEFAULT_TOLERANCE
from backtrace.errors import BacktraceError, ExitStatus, Interrupted, UsageError, printable
from backtrace.output import output_file, signals_interrupt
from backtrace.records import PHASES
from backtrace.renderers import FORMATS, format_for_path
from backtrace.renderers.layout import diverged_message
from backtrace.renderers.numbers import format_number
from backtrace.terminal import Terminal

MESSAGE_CHARS = 8_000  # past this, a message (a list of every name, say) is cut short


def error_line(message: str) -> str:
    """One line for stderr: control characters escaped, and no longer than a screenful."""
    text = printable(message)
    if len(text) > MESSAGE_CHARS:
        text = f"{text[:MESSAGE_CHARS]} ... ({len(text) - MESSAGE_CHARS:,} more characters)"
    return f"backtrace: error: {text}"


def terminal() -> Terminal:
    """The terminal a test handed to the command group (as `obj`), or the process's own."""
    context = click.get_current_context(silent=True)
    given = context.find_object(Terminal) if context else None
    return given or Terminal.current()


@contextlib.contextmanager
def reported_errors(debug: bool, term: Terminal) -> Iterator[None]:
    """Turn failures into one line on stderr and a documented exit status."""
    try:
        yield
    except BacktraceError as error:
        if debug:
            raise
        term.stderr.write(error_line(str(error)) + "\n")
        sys.exit(error.exit_status)
    except BrokenPipeError:
        # The reader (head, less ...) has gone: not an error. Point stdout at /dev/null so the
        # interpreter's final flush has nowhere to fail.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, term.stdout.fileno())
        sys.exit(ExitStatus.OK)
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM or SIGHUP (errors.Interrupted)
        if debug:
            raise
        by = f" by {error}" if isinstance(error, Interrupted) else ""  # the signal's name
        term.stderr.write(f"\nbacktrace: interrupted{by}\n")
        sys.exit(getattr(error, "exit_status", ExitStatus.INTERRUPTED))
    except UnicodeEncodeError as error:  # PYTHONIOENCODING=ascii, a Latin-1 locale ...
        if debug:
            raise
        message = (
            f"cannot write the trace: the output's encoding ({error.encoding}) cannot show "
            f"{error.object[error.start : error.end]!r}; use a UTF-8 locale or set "
            "PYTHONIOENCODING=utf-8"
        )
        term.stderr.write(error_line(message) + "\n")
        sys.exit(ExitStatus.ERROR)
    except OSError as error:  # stdout itself failed: a full disk, a closed file ...
        if debug:
            raise
        term.stderr.write(error_line(f"cannot write the trace: {error.strerror or error}") + "\n")
        sys.exit(ExitStatus.ERROR)


# -- groups of options ---------------------------------------------------------------------


def option_group(group: type, decorators: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """A decorator adding click options (first one outermost) that reach the command as one
    `group` object, passed as the keyword `group.keyword`."""
    names = [field.name for field in dataclasses.fields(group)]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def gathered(**arguments: Any) -> Any:
            values = group(**{name: arguments.pop(name) for name in names})
            return command(**arguments, **{group.keyword: values})

        for decorator in reversed(decorators):
            gathered = decorator(gathered)
        return gathered

    return decorate


@dataclasses.dataclass(frozen=True)
class NetworkChoice:
    """Which network: CONFIG, --set and --epochs."""

    keyword = "network"
    config: str | None
    overrides: tuple[str, ...]
    epochs: int | None
    max_weights: int | None
    max_rows: int | None
    max_epochs: int | None

    def load(self, term: Terminal) -> Spec:
        raised = {"weights": self.max_weights, "rows": self.max_rows, "epochs": self.max_epochs}
        raised = {name: value for name, value in raised.items() if value is not None}
        context = click.get_current_context(silent=True)
        if raised and context is not None:  # for the rest of the command, training included
            context.with_resource(limits.raised(**raised))
        refusal = limits.epochs_refusal(self.epochs) if self.epochs is not None else None
        if refusal:
            raise UsageError(f"--epochs {self.epochs} {refusal}")
        path, shown_as = find_config(self.config, cwd=term.cwd, env=term.env)
        if path != "-":
            path = str(term.cwd / path)  # where the terminal is, whatever this process's folder
        chosen = {} if self.epochs is None else {"epochs": self.epochs}
        spec = api.load(path, self.overrides, stdin=term.stdin, name=shown_as, **chosen)
        if spec.references_dropped:
            term.stderr.write(
                "backtrace: note: --set changed the config, so its reference values are not "
                "checked\n"
            )
        return spec


network_options = option_group(
    NetworkChoice,
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
        click.option(
            "--max-weights",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help=f"Accept networks of up to N weights (default {limits.Limits.weights:,}).",
        ),
        click.option(
            "--max-rows",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help=f"Accept CSV data of up to N rows (default {limits.Limits.rows:,}).",
        ),
        click.option(
            "--max-epochs",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help=f"Accept up to N epochs (default {limits.Limits.epochs:,}).",
        ),
    ],
)


@dataclasses.dataclass(frozen=True)
class SelectionChoice:
    """What to show of a traced epoch: --sample, --unit, --weight and --phase."""

    keyword = "selection"
    samples: tuple[str, ...]
    units: tuple[str, ...]
    weights: tuple[str, ...]
    phases: tuple[str, ...]

    def arguments(self) -> dict[str, tuple[str, ...]]:
        """As `api.run` takes them."""
        return {
            "sample": self.samples,
            "unit": self.units,
            "weight": self.weights,
            "phase": self.phases,
        }


selection_options = option_group(
    SelectionChoice,
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


@dataclasses.dataclass(frozen=True)
class OutputChoice:
    """How and where the trace is written: --format, -o, --precision and --width."""

    keyword = "output"
    output_format: str | None
    path: str | None
    precision: int | None
    width: int | None

    def write(self, trace: api.Trace, term: Terminal, *, default: str, paced: bool) -> None:
        """Render the trace to stdout or the -o file; pace it when a person is stepping."""
        name = self.output_format or (format_for_path(self.path, default) if self.path else default)
        to_terminal = self.path is None and bool(term.stdout_is_terminal)
        settings: dict[str, Any] = dict(
            precision=self.precision,
            width=term.width(self.width, to_terminal=to_terminal),
            color=self.path is None and term.wants_color(),
        )
        if paced and self.path is None and term.interactive():
            settings["keys"] = api.Keys(term.read_key, term.stderr)
        if self.path is None:
            trace.render(name, term.stdout, **settings)
            term.stdout.flush()
        else:
            streams = {1: term.stdout, 2: term.stderr}  # for -o /dev/stdout and the like
            with output_file(
                self.path, inputs=trace.spec.files, streams=streams, cwd=term.cwd
            ) as handle:
                trace.render(name, handle, **settings)
        if trace.diverged is not None:
            term.stderr.write(error_line(diverged_message(trace.diverged, format_number)) + "\n")
            sys.exit(ExitStatus.DIVERGED)


output_options = option_group(
    OutputChoice,
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
            "path",
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
            type=click.IntRange(min=20, max=limits.Limits.width),
            default=None,
            help="Columns for tables and text.",
        ),
    ],
)

debug_option = click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
exact_option = click.option(
    "--exact",
    is_flag=True,
    help="Compute in exact fractions (identity, relu and leaky_relu units; the article's, "
    "squared or mean squared error). Config numbers are read as the decimals written.",
)


# -- the commands ----------------------------------------------------------------------------


class Commands(click.Group):
    """The command group, with click's own errors (bad options, missing values) reported the
    way every other error is: one line on stderr and exit status 2."""

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra.pop("standalone_mode", None)
        given = extra.get("obj")
        stderr = given.stderr if isinstance(given, Terminal) else None
        try:
            result = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else "backtrace"
            message = error_line(f"{error.format_message()} (see '{command} --help')")
            click.echo(message, err=True, file=stderr)
            sys.exit(ExitStatus.BAD_INPUT)
        except click.ClickException as error:
            click.echo(error_line(error.format_message()), err=True, file=stderr)
            sys.exit(error.exit_code)
        except click.Abort as error:
            click.echo("\nbacktrace: interrupted", err=True, file=stderr)
            sys.exit(getattr(error.__context__, "exit_status", ExitStatus.INTERRUPTED))
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
@network_options
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
@exact_option
@output_options
@debug_option
def run(
    network: NetworkChoice,
    trace: str,
    selection: SelectionChoice,
    exact: bool,
    output: OutputChoice,
    debug: bool,
) -> None:
    """Train on CONFIG and print the trace of the traced epochs."""
    term = terminal()
    with reported_errors(debug, term):
        result = api.run(network.load(term), trace=trace, exact=exact, **selection.arguments())
        output.write(result, term, default="table", paced=False)


@cli.command()
@network_options
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
@exact_option
@output_options
@debug_option
def step(
    network: NetworkChoice,
    trace: str,
    selection: SelectionChoice,
    exact: bool,
    output: OutputChoice,
    debug: bool,
) -> None:
    """Walk through one epoch of CONFIG a piece at a time.

    In a terminal, each piece (a sample's forward pass, its loss, its deltas, a step's
    updates) waits for a key: enter or space for the next piece, s for the next sample, c to
    run to the end, q to quit. When stdin or stdout is not a terminal, everything is printed
    at once.
    """
    term = terminal()
    with reported_errors(debug, term):
        result = api.run(
            network.load(term),
            trace=trace,
            through_traced=True,
            exact=exact,
            **selection.arguments(),
        )
        output.write(result, term, default="text", paced=True)


@cli.command()
@network_options
@click.option(
    "--epoch", type=click.IntRange(min=1), default=None, help="Check at the first step of epoch N."
)
@click.option(
    "--step",
    type=click.IntRange(min=1),
    default=None,
    help="Check at step N, counted over the whole run as the trace counts it. Default: 1.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TOLERANCE,
    show_default=True,
    help="The largest relative error that passes.",
)
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="NAME",
    help="Weights to check; patterns like 'V0*'. Repeatable. Default: all.",
)
@output_options
@debug_option
def check(
    network: NetworkChoice,
    epoch: int | None,
    step: int | None,
    tolerance: float,
    weights: tuple[str, ...],
    output: OutputChoice,
    debug: bool,
) -> None:
    """Check CONFIG's gradients against central finite differences.

    Trains up to the step asked for, then sets each weight's gradient from backpropagation
    beside (L(W+ε) - L(W-ε))/2ε on the same batch. Exits 4 when any weight's relative error
    is above the tolerance.
    """
    term = terminal()
    with reported_errors(debug, term):
        result = api.check(
            network.load(term), epoch=epoch, step=step, weight=weights, tolerance=tolerance
        )
        output.write(result, term, default="table", paced=False)
        if result.failed_checks:
            term.stderr.write(
                error_line(f"{result.failed_checks} weights fail the gradient check") + "\n"
            )
            sys.exit(ExitStatus.CHECK_FAILED)


def main() -> None:
    with signals_interrupt():  # SIGTERM and SIGHUP clean up as Ctrl-C does
        cli(prog_name="backtrace")
