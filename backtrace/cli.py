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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from backtrace import limits
from backtrace.errors import (
    BacktraceError,
    ExitStatus,
    Interrupted,
    UsageError,
    bounded,
    printable,
)
from backtrace.frozen import frozen
from backtrace.records import PHASES
from backtrace.renderers import FORMATS, chosen_format
from backtrace.terminal import ReaderWatch, Terminal

if TYPE_CHECKING:  # the rest is imported by the commands that use it, to start quickly
    from backtrace import api
    from backtrace.config import Spec

class FileName(click.ParamType):
    """A file named on the command line, taken as written: whether it can be read or written
    is checked where it is used (output.plan, config.files), which say why in one line. Only
    a NUL, which no file name holds, is refused here."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail("a file name cannot contain a NUL character", param, ctx)
        return value

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type="file")]  # the shell lists the files


FILE_NAME = FileName()


def error_line(message: str) -> str:
    """One line for stderr: control characters escaped, and no longer than a screenful."""
    return f"backtrace: error: {bounded(printable(message))}"


# The command line's name for each of the API's parameters that a UsageError may name.
OPTIONS = {
    "plot_weight": "--plot-weight",
    "tolerance": "--tolerance",
    "atol": "--atol",
    "format": "--format",
}


def cli_message(error: BacktraceError, options: dict[str, str] | None = None) -> str:
    """The error as the command line says it: an API parameter (`sample=9`) becomes the
    option that set it (`--sample`)."""
    if isinstance(error, UsageError) and error.parameter is not None:
        named = {**OPTIONS, **(options or {})}
        return error.for_option(named.get(error.parameter, f"--{error.parameter}"))
    return str(error)


def terminal() -> Terminal:
    """The terminal a test handed to the command group (as `obj`), or the process's own."""
    context = click.get_current_context(silent=True)
    given = context.find_object(Terminal) if context else None
    return given or Terminal.current()


@contextlib.contextmanager
def reported_errors(
    debug: bool, term: Terminal, options: dict[str, str] | None = None
) -> Iterator[None]:
    """Turn failures into one line on stderr and a documented exit status; `options` maps
    the API's parameters to this command's options where they differ from the usual."""
    try:
        yield
    except BacktraceError as error:
        if debug:
            raise
        term.stderr.write(error_line(cli_message(error, options)) + "\n")
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


def complete_config(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """File names (the shell lists them) and the bundled examples' names."""
    from click.shell_completion import CompletionItem

    from backtrace.config.discovery import bundled_names

    # The file item comes first: bash's script starts its reply afresh when it meets it.
    return [CompletionItem(incomplete, type="file")] + [
        CompletionItem(name) for name in bundled_names() if name.startswith(incomplete)
    ]


def complete_example(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    from backtrace.config.discovery import bundled_names

    return [CompletionItem(name) for name in bundled_names() if name.startswith(incomplete)]


def complete_topic(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    from backtrace.manual import topics

    return [CompletionItem(name) for name in topics() if name.startswith(incomplete)]


def refused(message: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    """A callback for an option kept only to explain, when it is used, what to use instead."""

    def refuse(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            raise click.UsageError(message, ctx)

    return refuse


@frozen
class NetworkChoice:
    """Which network: CONFIG, --set and --epochs."""

    keyword = "network"
    config: str | None
    overrides: tuple[str, ...]
    epochs: int | None
    max_weights: int | None
    max_rows: int | None
    max_epochs: int | None
    round_as_you_go: int | None

    def load(self, term: Terminal) -> Spec:
        from backtrace import api
        from backtrace.config.discovery import find_config

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
            path = term.cwd / path  # type: ignore[assignment] - a Path is never read as text
        chosen = {} if self.epochs is None else {"epochs": self.epochs}
        spec = api.load(
            path, self.overrides, stdin=term.stdin, name=shown_as, cwd=term.cwd, **chosen
        )
        if self.round_as_you_go is not None:
            spec = spec.with_rounding(self.round_as_you_go)
        if spec.references_dropped:
            term.stderr.write(
                "backtrace: note: --set changed the config, so its reference values are not "
                "checked\n"
            )
        return spec


def network_options(count_help: str | None, refusal: str = "") -> Callable[[Any], Any]:
    """CONFIG, --set, --epochs and the limits. With `count_help` None, --epochs is only
    there to say (`refusal`) that this command decides the epochs itself."""
    if count_help is None:
        epochs = click.option("--epochs", hidden=True, default=None, callback=refused(refusal))
    else:
        epochs = click.option(
            "--epochs", type=click.IntRange(min=1), default=None, metavar="N", help=count_help
        )
    return option_group(
        NetworkChoice,
        [
            click.argument(
                "config", metavar="[CONFIG]", required=False, shell_complete=complete_config
            ),
            click.option(
                "--set",
                "overrides",
                multiple=True,
                metavar="PATH=VALUE",
                help="Override a config field, e.g. --set optimizer.learning_rate=0.5 or "
                "--set layers[0].activation=tanh. A file named here is read from the current "
                "folder. Repeatable.",
            ),
            epochs,
            limit_option("--max-weights", "networks of up to N weights", limits.Limits.weights),
            limit_option("--max-rows", "CSV data of up to N rows", limits.Limits.rows),
            limit_option("--max-epochs", "up to N epochs", limits.Limits.epochs),
            click.option(
                "--round-as-you-go",
                "round_as_you_go",
                type=click.IntRange(0, 15),
                default=None,
                metavar="K",
                help="Make a slip on purpose: round every value the trace shows to K decimals, as a "
                "person with a calculator does, and show the drift at the end (the "
                "config's slips: [{round_as_you_go: K}]).",
            ),
        ],
    )


def limit_option(name: str, accepted: str, default: int) -> Callable[[Any], Any]:
    """An option that raises one of the limits (see limits.RAISED_BY)."""
    return click.option(
        name,
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help=f"Accept {accepted} (default {default:,}).",
    )


TRAIN_FOR = "Train for N epochs (the config's epochs otherwise)."


@frozen
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


@frozen
class OutputChoice:
    """How and where the trace is written: --format, -o, --precision, --width, and the
    handout formats' --math and --fragment."""

    keyword = "output"
    output_format: str | None
    path: str | None
    precision: int | None
    width: int | None
    math: bool = False
    fragment: bool = False

    def chosen(self, default: str, term: Terminal) -> str:
        """The format to write. -o DIR/ means CSV, one file per table."""
        if self.path is not None and self._into_folder(term):
            if self.output_format not in (None, "csv"):
                raise UsageError(
                    f"-o {self.path} is a folder, which only --format csv can fill (one file "
                    "per table); name a file instead"
                )
            return "csv"
        return chosen_format(self.output_format, self.path, default)

    def _into_folder(self, term: Terminal) -> bool:
        from backtrace.csv_files import is_folder_target

        return is_folder_target(self.path or "", term.cwd, csv=self.output_format == "csv")

    def write(
        self,
        trace: api.Trace,
        term: Terminal,
        *,
        default: str,
        paced: bool,
        through: Callable[[Any, str, bool], Any] | None = None,
        beside: Sequence[Any] = (),
    ) -> None:
        """Render the trace to stdout or the -o file (or folder); pace it when a person is
        stepping. `through(records, format, on_screen)` may wrap the records on their way.
        `beside` are the run's other planned outputs (--plot), which must not be the same file."""
        from backtrace import api

        name = self.chosen(default, term)
        if self.math and name != "markdown":
            raise UsageError(f"--math writes Markdown's formulas as $...$; it needs --format "
                             f"markdown, not {name}")  # fmt: skip
        if self.fragment and name != "latex":
            raise UsageError(f"--fragment writes a LaTeX body without its preamble; it needs "
                             f"--format latex, not {name}")  # fmt: skip
        planned = self.plan(name, trace, term)  # every refusal before training starts
        from backtrace.output import distinct

        distinct([*_targets(planned), *beside])
        to_terminal = self.path is None and bool(term.stdout_is_terminal)
        settings: dict[str, Any] = dict(
            precision=self.precision,
            width=term.width(self.width, to_terminal=to_terminal),
            color=self.path is None and term.wants_color(),
            events=trace.selection.events,
            math=self.math,
            fragment=self.fragment,
        )
        stream: Any = trace if through is None else through(trace, name, to_terminal)
        if paced and self.path is None and term.interactive():
            prompt_width = term.width(None, to_terminal=True)  # the screen's, not --width
            settings["keys"] = api.Keys(term.read_key, term.stderr, prompt_width, redraw=True)
        if planned is None:
            api.render(stream, name, term.stdout, **settings)
            term.stdout.flush()
            return
        from backtrace.csv_files import TablePlan

        if isinstance(planned, TablePlan):
            from backtrace.csv_files import earlier_tables, write_tables

            written = write_tables(
                lambda out: api.render(stream, name, out, tables=True, **settings), planned
            )
            earlier = earlier_tables(self.path, written, cwd=term.cwd)  # type: ignore[arg-type]
            if earlier:
                term.stderr.write(
                    f"backtrace: note: {printable(self.path or '')} also holds "
                    f"{', '.join(earlier)}, which this run did not write: they are from an "
                    "earlier run\n"
                )
            return
        with planned.open() as handle:
            api.render(stream, name, handle, **settings)

    def plan(self, name: str, trace: api.Trace, term: Terminal) -> Any:
        """The -o file or folder, checked (see output.plan); None for stdout."""
        if self.path is None:
            return None
        streams = {1: term.stdout, 2: term.stderr}  # for -o /dev/stdout and the like
        if name == "csv" and self._into_folder(term):
            from backtrace.csv_files import plan_tables

            return plan_tables(
                self.path,
                trace.selection.events,
                inputs=trace.spec.files,
                streams=streams,
                cwd=term.cwd,
            )
        from backtrace.output import plan

        return plan(self.path, inputs=trace.spec.files, streams=streams, cwd=term.cwd)


def reader_pulse(term: Terminal, path: str | None) -> Callable[[], None] | None:
    """For work that writes nothing for a long time (training up to a check's step, a
    diagram's point, the epoch `step` shows): a call that raises BrokenPipeError once no one
    reads stdout (`| head`). None when the output is a file or stdout is not a pipe."""
    if path is not None:
        return None
    watch = ReaderWatch(term.stdout)
    return watch.check if watch.fd is not None else None


def _targets(planned: Any) -> list[Any]:
    """The files a plan writes: none for stdout, one, or a folder's tables."""
    if planned is None:
        return []
    return list(planned.all) if hasattr(planned, "all") else [planned]


# Formats whose trace says in words that training diverged (layout's "Diverged" remark).
WORDED_FORMATS = ("table", "text", "markdown", "latex")


def stop_if_diverged(
    trace: api.Trace, term: Terminal, output: OutputChoice | None = None, default: str = ""
) -> None:
    """A run that blew up ends with its own exit status, and one line on stderr unless the
    trace on the same screen has just said it in words (say it once)."""
    if trace.diverged is not None:
        from backtrace.numbers import format_number
        from backtrace.renderers.layout import diverged_message

        said = (
            output is not None
            and output.path is None
            and bool(term.stdout_is_terminal and term.stderr_is_terminal)
            and output.chosen(default, term) in WORDED_FORMATS
        )
        if not said:
            term.stderr.write(error_line(diverged_message(trace.diverged, format_number)) + "\n")
        sys.exit(ExitStatus.DIVERGED)


def output_options(formats: str, offered: Sequence[str] | None = None) -> Callable[[Any], Any]:
    """--format (among `offered`, all formats by default; `formats` the default one), -o,
    --precision, --width, --math and --fragment."""
    entries = [entry for entry in FORMATS.values() if offered is None or entry.name in offered]
    return option_group(
        OutputChoice,
        [
            click.option(
                "--format",
                "output_format",
                type=click.Choice([entry.name for entry in entries]),
                default=None,
                help="How to write it: "
                + "; ".join(f"{entry.name}: {entry.description}" for entry in entries)
                + f". Default: from the -o file's extension, else {formats}.",
            ),
            click.option(
                "-o",
                "--output",
                "path",
                metavar="FILE",
                type=FILE_NAME,
                default=None,
                help="Write the trace to FILE (whole, or not at all) instead of stdout. CSV to "
                "stdout or FILE is one long table (its event column names each row's kind); "
                "-o DIR/ (or a folder with --format csv) writes CSV, one file per table.",
            ),
            click.option(
                "--precision",
                type=click.IntRange(1, 17),
                default=None,
                help="Significant digits (default: 6 in table, text and markdown; JSON and "
                "CSV exact).",
            ),
            click.option(
                "--width",
                type=click.IntRange(min=20, max=limits.Limits.width),
                default=None,
                help="Columns for tables and text.",
            ),
            click.option(
                "--math",
                is_flag=True,
                help="Markdown: write the arithmetic as $...$ math, which GitHub and Jupyter "
                "typeset.",
            ),
            click.option(
                "--fragment",
                is_flag=True,
                help="LaTeX: write only the body, to paste into a document of your own (its "
                "first line names the packages it needs).",
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


class DefaultFromCheck(click.Option):
    """--tolerance, whose help shows the engine's default without importing the engine until
    the help is asked for."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from backtrace.engine.check import DEFAULT_ATOL, DEFAULT_TOLERANCE

        if self.name == "atol":
            self.help = (
                f"The absolute part of |J' - n| ≤ atol + rtol·|n|.  [default: {DEFAULT_ATOL:g}]"
            )
        else:
            self.help = (
                f"The relative part of |J' - n| ≤ atol + rtol·|n|.  "
                f"[default: {DEFAULT_TOLERANCE:g}]"
            )
        return super().get_help_record(ctx)


# -- the commands ----------------------------------------------------------------------------


class Commands(click.Group):
    """The command group, with click's own errors (bad options, missing values) reported the
    way every other error is: one line on stderr and exit status 2."""

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra.pop("standalone_mode", None)
        given = extra.get("obj")
        stderr = given.stderr if isinstance(given, Terminal) else None
        try:
            with limits.speaking_to_command_line():
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


@click.group(
    cls=Commands,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="backtrace-nn", prog_name="backtrace")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Trace backpropagation through a small dense network, number by number.

    Describe the network in YAML or JSON ('backtrace docs config' has every field, and
    'backtrace init' writes one to start from), then:

    \b
        backtrace run xor                       every table for the first epoch
        backtrace step xor --epoch 1            walk epoch 1 a piece at a time
        backtrace graph xor --sample 1          the network, with its numbers
        backtrace run xor --format jsonl | jq   the trace as data

    CONFIG may be a path, - for stdin, or the name of a bundled example ('backtrace
    examples' lists them). Without it, backtrace uses $BACKTRACE_CONFIG or backtrace.yaml,
    backtrace.yml or backtrace.json in the current directory. 'backtrace docs' lists the
    manual's pages.
    """
    if ctx.invoked_subcommand is None:  # a bare `backtrace`: the help, as asked
        term = terminal()
        term.stdout.write(ctx.get_help() + "\n")


@cli.command()
@network_options(TRAIN_FOR)
@click.option(
    "--trace",
    "trace",
    default="first",
    show_default=True,
    metavar="EPOCHS",
    help="Epochs traced in full: all, none, first, last, numbers (1,10,100) or ranges (3-5). "
    "Every epoch still gets its summary line.",
)
@click.option(
    "--epoch",
    hidden=True,
    expose_value=False,
    callback=refused(
        "run has no --epoch: --trace N traces epoch N in full, and --epochs N trains for N "
        "epochs ('backtrace step --epoch N' walks through epoch N)"
    ),
)
@selection_options
@exact_option
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Write every Nth epoch's summary line (and the first, the last and traced ones). "
    "Default: every one in jsonl, json and csv and in runs of up to 100 epochs; else every "
    "10th, 100th ... to keep about 100 lines.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no loss curve on stderr.")
@click.option(
    "--plot",
    type=FILE_NAME,
    metavar="FILE",
    default=None,
    help="Also draw the loss per epoch (and accuracy, for classification losses) into FILE, "
    ".svg or .png. Needs the plot extra: pip install 'backtrace-nn[plot]'.",
)
@click.option(
    "--plot-weight",
    "plot_weights",
    multiple=True,
    metavar="NAME",
    help="Add these weights' values epoch by epoch to the --plot picture; patterns like 'W1*'. "
    "Repeatable.",
)
@output_options("table")
@debug_option
def run(
    network: NetworkChoice,
    trace: str,
    selection: SelectionChoice,
    exact: bool,
    every: int | None,
    quiet: bool,
    plot: str | None,
    plot_weights: tuple[str, ...],
    output: OutputChoice,
    debug: bool,
) -> None:
    """Train on CONFIG and print the trace of the traced epochs.

    On a terminal, a run that takes more than a second shows its progress on stderr, and
    a line at the end draws the loss per epoch.
    """
    from backtrace import api
    from backtrace.report import RunReport

    term = terminal()
    with reported_errors(debug, term):
        report = RunReport(term, quiet, every, plot, plot_weights, output.precision)
        report.check()
        spec = network.load(term)
        report.check_weights(spec)
        picture = report.plan(spec)
        result = api.run(
            spec,
            trace=trace,
            exact=exact,
            weights_seen=report.weights_seen(spec),
            **selection.arguments(),
        )

        def through(records: Any, name: str, on_screen: bool) -> Any:
            return report.through(
                records, epochs=spec.config.epochs, output_format=name, on_screen=on_screen
            )

        output.write(result, term, default="table", paced=False, through=through, beside=[picture])
        report.finish(spec, exact, picture)
        stop_if_diverged(result, term, output, "table")


@cli.command()
@network_options(
    None, "step has no --epochs: it trains up to the epoch --epoch names and stops there"
)
@click.option(
    "--epoch",
    "trace",
    default="1",
    show_default=True,
    metavar="EPOCHS",
    help="The epoch to walk through (or several: 2,5 or 3-4). Earlier epochs are trained silently.",
)
@selection_options
@exact_option
@output_options("text")
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
    updates) waits for a key, and the prompt says which piece of how many it is: enter or
    space for the next piece, b to go back one, s for the next sample, c to run to the end,
    q to quit, ? for the keys. When stdin or stdout is not a terminal, everything is printed
    at once.
    """
    from backtrace import api

    term = terminal()
    with reported_errors(debug, term, {"trace": "--epoch"}), term.holding_keys():
        pulse = reader_pulse(term, output.path)  # the epochs before the first shown are silent
        result = api.run(
            network.load(term),
            trace=trace,
            through_traced=True,
            exact=exact,
            weights_seen=api.each_epoch(pulse),
            **selection.arguments(),
        )
        output.write(result, term, default="text", paced=True)
        stop_if_diverged(result, term, output, "text")


@cli.command()
@network_options(TRAIN_FOR)
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
    "--rtol",
    "--tolerance",
    "tolerance",
    cls=DefaultFromCheck,
    type=click.FloatRange(min=0, min_open=True),
    default=None,
)
@click.option(
    "--atol", "atol", cls=DefaultFromCheck, type=click.FloatRange(min=0), default=None
)
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="NAME",
    help="Weights to check; patterns like 'V0*'. Repeatable. Default: all.",
)
@output_options("table")
@debug_option
def check(
    network: NetworkChoice,
    epoch: int | None,
    step: int | None,
    tolerance: float | None,
    atol: float | None,
    weights: tuple[str, ...],
    output: OutputChoice,
    debug: bool,
) -> None:
    """Check CONFIG's gradients against central finite differences.

    Trains up to the step asked for, then sets each weight's gradient from backpropagation
    beside (L(W+ε) - L(W-ε))/2ε on the same batch. A weight passes when |J' - n| ≤ atol +
    rtol·|n|, or when the difference is within the central difference's own error
    ("noise-limited"). Exits 4 when any weight fails.
    """
    from backtrace import api

    term = terminal()
    with reported_errors(debug, term):
        chosen = {} if tolerance is None else {"tolerance": tolerance}
        chosen |= {} if atol is None else {"atol": atol}
        # The table comes at the end, and the training and comparing before it write nothing:
        # they ask now and then whether stdout is still read, so that `| head` stops them.
        pulse = reader_pulse(term, output.path)
        result = api.check(
            network.load(term), epoch=epoch, step=step, weight=weights, pulse=pulse, **chosen
        )
        output.write(result, term, default="table", paced=False)
        stop_if_diverged(result, term)
        if result.failed_checks:
            term.stderr.write(
                error_line(f"{result.failed_checks} weights fail the gradient check") + "\n"
            )
            sys.exit(ExitStatus.CHECK_FAILED)


GRAPH_FORMATS = {"text": (), "dot": (".dot", ".gv"), "svg": (".svg",), "png": (".png",)}


@cli.command()
@network_options(
    None, "graph has no --epochs: it trains up to the point --epoch, --sample or --step names"
)
@click.option(
    "--epoch",
    type=click.IntRange(min=1),
    default=None,
    help="Show the numbers of epoch N (with --sample; default sample 1).",
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=None,
    help="Show the numbers of sample K (with --epoch; default epoch 1).",
)
@click.option(
    "--step",
    type=click.IntRange(min=1),
    default=None,
    help="Show the numbers at step N, counted over the whole run: its first sample, or --sample.",
)
@exact_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(GRAPH_FORMATS)),
    default=None,
    help="text: drawn in the terminal; dot: Graphviz DOT; svg, png: a picture (needs "
    "pip install 'backtrace-nn[plot]'). Default: from the -o file's extension, else text.",
)
@click.option(
    "-o",
    "--output",
    "path",
    metavar="FILE",
    type=FILE_NAME,
    default=None,
    help="Write the diagram to FILE (.txt, .dot, .gv, .svg or .png) instead of stdout.",
)
@click.option(
    "--precision",
    type=click.IntRange(1, 17),
    default=None,
    help="Significant digits of the numbers (default 6).",
)
@click.option(
    "--width",
    type=click.IntRange(min=20, max=limits.Limits.width),
    default=None,
    help="Columns for the terminal drawing.",
)
@debug_option
def graph(
    network: NetworkChoice,
    epoch: int | None,
    sample: int | None,
    step: int | None,
    exact: bool,
    output_format: str | None,
    path: str | None,
    precision: int | None,
    width: int | None,
    debug: bool,
) -> None:
    """Draw CONFIG's network, with its numbers at a sample.

    Units are named as the trace names them (bias units marked), and links by their weights.
    With --epoch and --sample (or --step), each unit also shows h, z and δ for that sample,
    and each link its weight, its gradient J'(W) and its value after the step.
    """
    from backtrace import api
    from backtrace.pictures.graph import write_diagram

    term = terminal()
    with reported_errors(debug, term):
        name = graph_format(output_format, path)
        if name in ("svg", "png"):
            from backtrace.pictures.figures import require_matplotlib

            require_matplotlib(f"--format {name}")
        spec = network.load(term)
        target = None
        if path is not None:  # checked before the training that a diagram's numbers need
            from backtrace.output import plan

            streams = {1: term.stdout, 2: term.stderr}
            target = plan(path, inputs=spec.files, streams=streams, cwd=term.cwd,
                          binary=name in ("svg", "png"))  # fmt: skip
        pulse = reader_pulse(term, path)  # the training before the drawing writes nothing
        drawn = api.diagram(spec, epoch=epoch, sample=sample, step=step, exact=exact, pulse=pulse)
        write_diagram(drawn, name, path, term, precision=precision, width=width, target=target)


def graph_format(requested: str | None, path: str | None) -> str:
    """The diagram's format: --format, else the -o file's ending, else text; the two must
    agree."""
    implied = None
    if path is not None:
        suffix = Path(path).suffix.lower()
        implied = next((name for name, endings in GRAPH_FORMATS.items() if suffix in endings), None)
        if implied is None and suffix not in ("", ".txt"):
            known = ", ".join(ending for endings in GRAPH_FORMATS.values() for ending in endings)
            raise UsageError(f"-o {path}: a diagram is written as .txt, {known}")
    if requested is not None and implied is not None and requested != implied:
        raise UsageError(f"--format {requested} contradicts -o {path}, which means {implied}")
    return requested or implied or "text"


SHEET_FORMATS = ("text", "markdown", "latex", "table")


def comma_separated(values: Sequence[str]) -> tuple[str, ...]:
    """Repeatable options that also take a,b,c."""
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


def numbered_path(path: str, version: int, versions: int) -> str:
    """FILE for one version, FILE with -2, -3 ... before its ending for the others."""
    if versions == 1:
        return path
    stem, suffix = os.path.splitext(path)
    return f"{stem}-{version}{suffix}"


@cli.command()
@network_options(None, "quiz makes its sheet from one epoch: --epoch N chooses it")
@click.option("--epoch", type=click.IntRange(min=1), default=1, show_default=True,
              help="The epoch whose step the sheet works.")  # fmt: skip
@click.option("--sample", type=click.IntRange(min=1), default=1, show_default=True,
              help="The sample the sheet works, with the update that follows it.")  # fmt: skip
@click.option(
    "--blank",
    "quantities",
    multiple=True,
    metavar="WHAT",
    help="What to blank: h, z, loss, delta, grad, new; a,b or repeated. Default: two forward "
    "values, the output delta, one hidden delta and two updates.",
)
@click.option("--unit", "units", multiple=True, metavar="NAME",
              help="Blank only these units' h, z and delta; patterns like 'Z*'.")  # fmt: skip
@click.option("--weight", "weights", multiple=True, metavar="NAME",
              help="Blank only these weights' gradients and new values; patterns like 'V*'.")  # fmt: skip
@click.option("--count", type=click.IntRange(min=1), default=None, metavar="N",
              help="How many blanks, drawn from those chosen (with --seed).")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Draws the blanks (and, for seeded random weights, the numbers).")  # fmt: skip
@click.option("--students", type=click.IntRange(1, 200), default=1, show_default=True,
              help="Make N versions, seeds --seed, --seed+1 ...; with -o, one file each.")  # fmt: skip
@click.option("--show-uses", is_flag=True,
              help="Print a blanked value where later lines use it (by default they show its "
              "box too, so no line gives the answer away).")  # fmt: skip
@click.option(
    "--key",
    "key_path",
    metavar="FILE",
    type=FILE_NAME,
    default=None,
    help="Write the answer key to FILE: .json or .csv (which 'backtrace grade' reads), .md, "
    ".tex or .txt.",
)
@output_options("text", SHEET_FORMATS)
@debug_option
def quiz(
    network: NetworkChoice,
    epoch: int,
    sample: int,
    quantities: tuple[str, ...],
    units: tuple[str, ...],
    weights: tuple[str, ...],
    count: int | None,
    seed: int,
    students: int,
    show_uses: bool,
    key_path: str | None,
    output: OutputChoice,
    debug: bool,
) -> None:
    """Make a worksheet from CONFIG: one sample's step with results left blank, and a key.

    A blank replaces a line's result; later lines that use the value show its box too, so
    the sheet keeps all the arithmetic and gives no answer away (--show-uses prints the
    values there). Every version names its seed, so it can be made again.
    """
    from backtrace import api
    from backtrace.teaching.quiz import BLANKABLE

    term = terminal()
    with reported_errors(debug, term):
        wanted = comma_separated(quantities)
        unknown = [name for name in wanted if name not in BLANKABLE]
        if unknown:
            raise UsageError(f"--blank {unknown[0]}: blanks are {', '.join(BLANKABLE)}")
        name = output.chosen("text", term)
        if name not in SHEET_FORMATS:
            raise UsageError(f"a worksheet is written as {', '.join(SHEET_FORMATS)}, not {name}")
        key_format = None
        if key_path is not None:
            key_format = key_format_for(key_path)
        spec = network.load(term)
        if output.path is None and name == "latex" and students > 1:
            raise UsageError("several LaTeX worksheets need -o FILE.tex: one document each")
        from backtrace.output import distinct, plan
        from backtrace.renderers.key import render_key

        planned = []  # every version's sheet and key, checked before the training
        for version in range(1, students + 1):
            sheet_target = None
            if output.path is not None:
                sheet_path = numbered_path(output.path, version, students)
                sheet_target = plan(sheet_path, inputs=spec.files, cwd=term.cwd)
            key_target = None
            if key_path is not None:
                key_target = plan(
                    numbered_path(key_path, version, students), option="--key",
                    inputs=spec.files, cwd=term.cwd,
                )  # fmt: skip
            planned.append((sheet_target, key_target))
        distinct([target for pair in planned for target in pair])
        sheets = api.quiz(
            spec, epoch=epoch, sample=sample, blank=wanted, unit=comma_separated(units),
            weight=comma_separated(weights), count=count, seed=seed, students=students,
            precision=output.precision or 6, show_uses=show_uses,
            pulse=reader_pulse(term, output.path),
        )  # fmt: skip
        targets = [(sheet, *pair) for sheet, pair in zip(sheets, planned)]
        width = term.width(output.width, to_terminal=output.path is None)
        for number, (sheet, sheet_target, key_target) in enumerate(targets):
            settings = dict(precision=output.precision, width=width, math=output.math,
                            fragment=output.fragment, blanks=sheet.blanks)  # fmt: skip
            if sheet_target is None:
                if number:
                    term.stdout.write("\n\f\n" if name != "markdown" else "\n---\n\n")
                api.render(list(sheet.records), name, term.stdout, **settings)
            else:
                with sheet_target.open() as out:
                    api.render(list(sheet.records), name, out, **settings)
            if key_target is not None:
                with key_target.open() as out:
                    render_key(sheet, key_format, out, output.precision or 6, output.math)
        if key_path is None:
            term.stderr.write(
                "backtrace: note: no answer key was written; add --key key.json (or .csv, .md, "
                ".tex, .txt)\n"
            )


def report_options(precision_help: str) -> Callable[[Any], Any]:
    """--precision and --format text|json, for the commands that report on a trace."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
            show_default=True, help="text for a person, json for a script.",
        )(command)  # fmt: skip
        return click.option(
            "--precision", type=click.IntRange(1, 17), default=6, show_default=True,
            help=precision_help,
        )(command)  # fmt: skip

    return decorate


@cli.command()
@network_options(None, "grade reads the epoch from the answers or --epoch")
@click.argument("answers", metavar="ANSWERS")  # read (and refused) as configs are
@click.option("--sample", type=click.IntRange(min=1), default=1, show_default=True,
              help="The sample of answers whose file does not say.")  # fmt: skip
@click.option("--epoch", type=click.IntRange(min=1), default=1, show_default=True,
              help="The epoch of answers whose file does not say.")  # fmt: skip
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=None,
    metavar="T",
    help="Accept answers within T of the right value. Default: half a unit in the last "
    "digit the trace prints (see --precision).",
)
@report_options("Significant digits the right values are printed (and judged) to.")
@debug_option
def grade(
    network: NetworkChoice,
    answers: str,
    sample: int,
    epoch: int,
    tolerance: float | None,
    precision: int,
    output_format: str,
    debug: bool,
) -> None:
    """Check a student's ANSWERS against CONFIG's trace, and say where wrong ones went wrong.

    ANSWERS is a CSV file with name and value columns (sample and epoch may follow), a YAML
    or JSON file of name: value pairs, or a 'backtrace quiz' key. Names are the network's,
    as a student writes them: h_Z1, z_Z1, delta_D0, grad_W10, W10_new (or W10), loss. Exit
    status 0 when every answer is right, 5 when any is wrong.
    """
    from backtrace import api
    from backtrace.renderers.grades import render_grades

    term = terminal()
    with reported_errors(debug, term):
        spec = network.load(term)
        path = answers if os.path.isabs(answers) else str(term.cwd / answers)
        report = api.grade(spec, path, sample=sample, epoch=epoch, tolerance=tolerance,
                           precision=precision, name=answers)  # fmt: skip
        render_grades(report, output_format, term.stdout)
        term.stdout.flush()
        if report.right < len(report.verdicts):
            sys.exit(ExitStatus.WRONG_ANSWERS)


def config_or_trace(argument: str, term: Terminal) -> str:
    """A diff's side: a file in the current folder, else an example's name as given."""
    candidate = term.cwd / argument
    return str(candidate) if candidate.exists() else argument


@cli.command()
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--set-a", "overrides_a", multiple=True, metavar="PATH=VALUE",
              help="Override a field of A's config, as run's --set does. Repeatable.")  # fmt: skip
@click.option("--set-b", "overrides_b", multiple=True, metavar="PATH=VALUE",
              help="Override a field of B's config, e.g. --set-b 'slips=[stale_weights]'.")  # fmt: skip
@click.option("--trace", "traced", default="first", show_default=True, metavar="EPOCHS",
              help="Epochs a config side traces in full, as run takes them.")  # fmt: skip
@click.option("--epochs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Train a config side for N epochs.")  # fmt: skip
@click.option("--sample", "samples", multiple=True, metavar="K",
              help="Compare only these samples (and not the epochs' summaries): 2, 1,3 or 2-4.")  # fmt: skip
@click.option("--phase", "phases", multiple=True, type=click.Choice(PHASES),
              help="Compare only these phases. Repeatable.")  # fmt: skip
@click.option("--tolerance", type=click.FloatRange(min=0), default=0.0, show_default=True,
              metavar="T", help="Values within T of each other count as the same.")  # fmt: skip
@report_options("Significant digits of the values shown.")
@debug_option
def diff(
    a: str,
    b: str,
    overrides_a: tuple[str, ...],
    overrides_b: tuple[str, ...],
    traced: str,
    epochs: int | None,
    samples: tuple[str, ...],
    phases: tuple[str, ...],
    tolerance: float,
    precision: int,
    output_format: str,
    debug: bool,
) -> None:
    """Show where the traces of A and B part, and how much they differ by phase and epoch.

    A and B are each a config, a bundled example, or a trace saved with 'run -o x.jsonl'
    (or .json). Exit status 0 when they are the same, 6 when they differ.
    """
    from backtrace import api
    from backtrace.renderers.differences import render_diff

    term = terminal()
    with reported_errors(debug, term, options={"a": "A", "b": "B"}):
        found = api.diff(
            config_or_trace(a, term), config_or_trace(b, term), trace=traced, epochs=epochs,
            sample=samples, phase=phases, tolerance=tolerance, precision=precision,
            overrides_a=overrides_a or None, overrides_b=overrides_b or None,
        )  # fmt: skip
        render_diff(found, output_format, term.stdout, precision)
        term.stdout.flush()
        if not found.same:
            sys.exit(ExitStatus.DIFFERENT)


def key_format_for(path: str) -> str:
    """The key's format from its file's ending."""
    from backtrace.renderers.key import KEY_FORMATS

    endings = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
               ".tex": "latex", ".txt": "text", "": "text"}  # fmt: skip
    found = endings.get(Path(path).suffix.lower())
    if found is None or found not in KEY_FORMATS:
        raise UsageError(f"--key {path}: a key is written as .json, .csv, .md, .tex or .txt")
    return found


@cli.command()
def examples() -> None:
    """List the bundled example configs, to name as CONFIG."""
    from backtrace.starter import examples as bundled

    term = terminal()
    with reported_errors(False, term):
        found = bundled()
        widest = max((len(name) for name, _ in found), default=0)
        for name, description in found:
            term.stdout.write(f"{name.ljust(widest)}  {description}\n")


@cli.command()
@click.argument("example", required=False, default=None, shell_complete=complete_example)
@click.option(
    "-o",
    "--output",
    "path",
    metavar="FILE",
    type=FILE_NAME,
    default=None,
    help="Where to write it (default: backtrace.yaml, which run finds by itself).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def init(example: str | None, path: str | None, force: bool) -> None:
    """Write a config to start from: the article's network, or EXAMPLE.

    The file goes to the current folder as backtrace.yaml, so that 'backtrace run' finds it
    with no argument. An existing file is kept unless --force is given.
    """
    from backtrace.starter import DEFAULT_EXAMPLE, DEFAULT_TARGET, write_starter

    term = terminal()
    with reported_errors(False, term):
        written = write_starter(
            example or DEFAULT_EXAMPLE, path or DEFAULT_TARGET, cwd=term.cwd, force=force
        )
        shown = ", ".join(os.path.relpath(file, term.cwd) for file in written)
        command = "backtrace run" if path is None else f"backtrace run {path}"
        term.stderr.write(f"backtrace: wrote {shown}; edit it, then try '{command}'\n")


@cli.command()
@click.option(
    "-o",
    "--output",
    "path",
    metavar="FILE",
    type=FILE_NAME,
    default=None,
    help="Write the schema to FILE instead of stdout.",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def schema(path: str | None, force: bool) -> None:
    """Print the config's JSON Schema, for editors.

    It comes from the same models that validate configs when they are loaded. The bundled
    examples name it on their first line, as the YAML language server reads it.
    """
    from backtrace.config.jsonschema import config_schema_text

    term = terminal()
    with reported_errors(False, term):
        text = config_schema_text()
        if path is None:
            term.stdout.write(text)
            return
        from backtrace.output import plan

        with plan(path, cwd=term.cwd, replace=force).open() as out:
            out.write(text)


@cli.command()
@click.argument("topic", required=False, default=None, shell_complete=complete_topic)
def docs(topic: str | None) -> None:
    """Show a page of the manual (without TOPIC, list the pages)."""
    from backtrace import manual

    term = terminal()
    with reported_errors(False, term):
        if topic is None:
            pages = manual.topics()
            widest = max((len(name) for name in pages), default=0)
            for name, title in pages.items():
                term.stdout.write(f"{name.ljust(widest)}  {title}\n")
            return
        manual.show(topic, term)


def main() -> None:
    from backtrace.output import signals_interrupt

    with signals_interrupt():  # SIGTERM and SIGHUP clean up as Ctrl-C does
        cli(prog_name="backtrace")
