"""The Python API, and the one pipeline every command runs: load → train → select → render.

    >>> import backtrace
    >>> spec = backtrace.load("xor")
    >>> trace = backtrace.run(spec)
    >>> [r.new for r in trace.step(1) if r.event == "update" and r.weight == "W10"]
    [1.4]
    >>> markdown = trace.render("markdown")

The command line is a thin layer over these functions; docs/api.md walks through them.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from backtrace import limits, records
from backtrace.config import Spec
from backtrace.config.discovery import find_config
from backtrace.config.loading import load_config, load_document, load_text, parse_field
from backtrace.engine import train
from backtrace.engine.check import DEFAULT_ATOL, DEFAULT_TOLERANCE, gradient_check
from backtrace.engine.trainer import batches, number_system, resolved_batch_size
from backtrace.errors import BacktraceError, ConfigError, UsageError
from backtrace.frozen import frozen
from backtrace.numbers import as_float
from backtrace.renderers import FORMATS
from backtrace.renderers.options import RenderOptions
from backtrace.selection import (
    RecordFilter,
    parse_epochs,
    parse_numbers,
    record_filter,
    resolve_names,
)

if TYPE_CHECKING:
    from backtrace.pictures.diagram import Diagram
    from backtrace.teaching.diff import TraceDiff
    from backtrace.teaching.grading import Report
    from backtrace.teaching.quiz import Worksheet

Source = Spec | Mapping[str, Any] | str | os.PathLike
NOTEBOOK_WIDTH = 110


def load(
    source: Source,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    /,
    *,
    stdin: TextIO | None = None,
    name: str | None = None,
    cwd: str | os.PathLike | None = None,
    **fields: Any,
) -> Spec:
    """The validated network for `source`: a path, a bundled example's name ("xor"), YAML or
    JSON text, or a dict with the config's fields.

    Overrides change fields before validation, as --set does: `overrides` maps field paths
    to values ({"optimizer.learning_rate": 0.5, "layers[0].activation": "tanh"}) or is a list
    of --set's "PATH=VALUE" strings, and keyword arguments set top-level fields (`epochs=3`).
    `name` is what messages and the trace call the config. A relative data file named in
    an override is read from `cwd` (default: the current folder), where the person typing
    it is, rather than from the config's folder.
    """
    here = Path(cwd) if cwd is not None else Path.cwd()
    if isinstance(overrides, Mapping):
        changes: list[Any] = [(parse_field(str(path)), value) for path, value in overrides.items()]
        named = "overrides"
    elif overrides is None or (
        isinstance(overrides, Sequence)
        and not isinstance(overrides, (str, bytes))
        and all(isinstance(item, str) for item in overrides)
    ):
        # --set's strings: the command line names its option, Python its parameter.
        changes = list(overrides or ())
        named = "--set" if limits.command_line() else "overrides"
    else:
        raise ConfigError(
            "overrides should map field paths to values, or be a list of 'PATH=VALUE' "
            f"strings, not {_kind(overrides)}",
            source="overrides",
        )
    changes += [((field,), value) for field, value in fields.items()]
    if isinstance(source, Spec):
        if changes:
            raise ConfigError(
                "a loaded Spec takes no overrides; pass its source to load instead",
                source="overrides",
            )
        return source
    if isinstance(source, Mapping):
        return load_document(
            dict(source),
            _name(name, "<dict>"),
            overrides=changes,
            overrides_named=named,
            overrides_base=here,
        )
    if isinstance(source, (bytes, bytearray)):
        raise ConfigError(
            "source is bytes; pass text (source.decode('utf-8')) or a path", source="<bytes>"
        )
    if isinstance(source, os.PathLike):  # always a file: a path is never read as YAML text
        path = os.fsdecode(os.fspath(source))
    elif isinstance(source, str):
        if "\n" in source or source.lstrip().startswith("{"):
            shown = _name(name, "<text>")
            _check_text_size(source, shown)
            return load_text(
                source, shown, overrides=changes, overrides_named=named, overrides_base=here
            )
        path = source
    else:
        raise ConfigError(
            "source should be a path, a bundled example's name, YAML or JSON text, a dict or "
            f"a Spec, not {_kind(source)}",
            source="<source>",
        )
    found, shown_as = find_config(path, cwd=here, env={})
    return load_config(
        str(here / found) if found != "-" else found,
        overrides=changes,
        stdin=stdin,
        name=_name(name, shown_as),
        overrides_named=named,
        overrides_base=here,
    )


def _kind(value: Any) -> str:
    """A value's type as a message names it: 'None', 'an int'."""
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _name(name: Any, default: str) -> str:
    if name is None:
        return default
    if not isinstance(name, str):
        raise ConfigError(f"name should be text, not {_kind(name)}", source="<name>")
    return name


def _check_text_size(text: str, shown: str) -> None:
    """Config text is held to the size a config file may have (see limits.config_bytes)."""
    from backtrace import limits
    from backtrace.config.files import size

    most = limits.active().config_bytes
    # Four bytes a character at most: only text that might be too long is encoded to tell.
    if len(text) > most // 4 and len(text.encode("utf-8", "surrogatepass")) > most:
        raise ConfigError(
            f"is {len(text.encode('utf-8', 'surrogatepass')):,} bytes of text; a config may "
            f"be at most {size(most)} (put large data in a CSV file)",
            source=shown,
        )


def run(
    config: Source,
    *,
    epochs: int | None = None,
    trace: str | int = "first",
    sample: str | int | Sequence[str | int] = (),
    unit: str | Sequence[str] = (),
    weight: str | Sequence[str] = (),
    phase: str | Sequence[str] = (),
    through_traced: bool = False,
    exact: bool = False,
    weights_seen: Callable[[records.Weights], None] | None = None,
) -> Trace:
    """Train `config` and return its trace.

    `trace` names the epochs traced in full ("all", "none", "first", "last", "1,10,100",
    "3-5"); every epoch still gets its summary record. `sample`, `unit`, `weight` and
    `phase` keep only the records a reader asked for (globs such as "Z*" work for names).
    With `through_traced`, training stops after the last traced epoch, and untraced epochs
    stay silent: what `backtrace step` shows. Either way the traced epochs must be among the
    run's (`epochs`, else the config's): an epoch past them is refused, not trained to. With `exact`,
    every number is a fraction (for networks whose functions allow it). `weights_seen` is
    handed every weight before training and after each epoch as the trace is iterated (a
    `WeightHistory.note` keeps the curves of --plot-weight from this same run).
    """
    spec = load(config)
    if epochs is not None:
        _whole("epochs", epochs)
        spec = spec.with_epochs(epochs)
    if not isinstance(trace, (str, int)) or isinstance(trace, bool):
        raise UsageError(
            f"should be an epoch number or text such as 'all' or '3-5', not {_kind(trace)}",
            parameter="trace",
            value=trace,
        )
    traced = parse_epochs(str(trace), spec.config.epochs, parameter="trace")
    if through_traced:
        if not traced:
            raise UsageError("selects no epoch to step through", parameter="trace", value=trace)
        spec = spec.with_epochs(traced.largest())
    with _as_given(sample=sample, unit=unit, weight=weight, phase=phase):
        selection = record_filter(
            spec,
            samples=_texts(sample, "sample"),
            units=_texts(unit, "unit"),
            weights=_texts(weight, "weight"),
            phases=_texts(phase, "phase"),
        )

    numbers = number_system(spec, exact)

    def produce() -> Iterator[records.Record]:
        stream = selection.apply(train(spec, traced.__contains__, numbers, weights_seen))
        # An untraced epoch's sample order is noise beside its one summary line (issue 18):
        # only traced epochs show theirs, so `trace=N` is how to see epoch N's order.
        stream = (
            r for r in stream if not (isinstance(r, records.Shuffle) and r.epoch not in traced)
        )
        if through_traced:  # untraced epochs stay silent while stepping
            stream = (r for r in stream if not (isinstance(r, records.EpochEnd) and not r.traced))
        return stream

    return Trace(spec, produce, selection)


def quiz(
    config: Source,
    *,
    epoch: int = 1,
    sample: int = 1,
    blank: str | Sequence[str] = (),
    unit: str | Sequence[str] = (),
    weight: str | Sequence[str] = (),
    count: int | None = None,
    seed: int = 0,
    students: int = 1,
    precision: int = 6,
    show_uses: bool = False,
    pulse: Callable[[], None] | None = None,
) -> list[Worksheet]:
    """Worksheets of one sample's step with results left blank, one per student: version k
    draws its blanks with seed `seed + k - 1`, and so do its numbers when the config's
    weights are seeded random. `blank` names quantities (h, z, loss, delta, grad, new);
    `unit` and `weight` narrow them by name; `count` draws that many. A blanked value is also
    a blank where later lines use it, unless `show_uses`. Render a sheet with
    `render(sheet.records, format, blanks=sheet.blanks)`; `sheet.key` is its answer key.
    `pulse`, if given, is called after each epoch trained; an exception it raises stops."""
    from backtrace.renderers.layout import worked_lines
    from backtrace.teaching.quiz import BLANKABLE, randomly_initialised, sheet_records, worksheet

    spec = load(config)
    for parameter, value in (("epoch", epoch), ("sample", sample), ("students", students)):
        _whole(parameter, value)
    _pulse(pulse)
    if count is not None:
        _whole("count", count)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError("should be a whole number from 0", parameter="seed", value=seed)
    _check_precision(precision)
    if sample > len(spec.inputs):
        raise UsageError(f"sample {sample} is out of range: the data has {len(spec.inputs)}",
                         parameter="sample", value=sample)  # fmt: skip
    quantities = tuple(
        part.strip() for text in _texts(blank, "blank") for part in text.split(",") if part.strip()
    )
    for name in quantities:
        if name not in BLANKABLE:
            raise UsageError(f"blanks are {', '.join(BLANKABLE)}", parameter="blank", value=name)
    sheets = []
    for version in range(1, students + 1):
        version_seed = seed + version - 1
        # Drawn weights follow the version: the config's own seed, offset by the sheet's, so
        # that --seed 0 keeps the config's numbers and any one version can be made again.
        version_spec = (
            spec.with_fields(seed=spec.config.seed + version_seed)
            if randomly_initialised(spec)
            else spec
        )
        try:
            trace = run(version_spec, trace=epoch, sample=sample, through_traced=True,
                        weights_seen=each_epoch(pulse))  # fmt: skip
        except UsageError as error:  # the epoch is quiz's own parameter, not run's trace
            if error.parameter != "trace":
                raise
            raise UsageError(error.message, parameter="epoch", value=epoch) from None
        shown = sheet_records(trace)
        sheets.append(
            worksheet(
                version_spec, shown, worked_lines(shown, precision), seed=version_seed,
                version=version, versions=students, quantities=quantities,
                units=_texts(unit, "unit"), weights=_texts(weight, "weight"), count=count,
                show_uses=bool(show_uses),
            )  # fmt: skip
        )
    return sheets


def grade(
    config: Source,
    answers: str | os.PathLike,
    *,
    sample: int = 1,
    epoch: int = 1,
    tolerance: float | None = None,
    precision: int = 6,
    name: str | None = None,
) -> Report:
    """A student's answers (a CSV, YAML or JSON file of name, value pairs, or a quiz key)
    judged against the trace of `config`: each right within `tolerance`, or by default half a
    unit in the last of the `precision` significant digits the trace prints; each wrong one
    with its worked line and its likely cause. `sample` and `epoch` apply to answers whose
    file does not say; `name` is how messages name the file (its path by default)."""
    from backtrace.renderers.layout import worked_lines
    from backtrace.teaching.answers import key_settings, read_answers
    from backtrace.teaching.grading import grade as graded
    from backtrace.teaching.quiz import randomly_initialised

    spec = load(config)
    _whole("sample", sample)
    _whole("epoch", epoch)
    if tolerance is not None:
        _check_non_negative("tolerance", tolerance)
    _check_precision(precision)
    if not isinstance(answers, (str, os.PathLike)):
        raise UsageError(f"should be a path, not {_kind(answers)}", parameter="answers",
                         value=answers)  # fmt: skip
    # A quiz key grades against the numbers its sheet was made with.
    settings = key_settings(os.fspath(answers), name)
    drawn = settings.get("weights_seed")
    if isinstance(drawn, int) and drawn != spec.config.seed and randomly_initialised(spec):
        spec = spec.with_fields(seed=drawn)
    if isinstance(settings.get("slips"), list) and settings["slips"] != spec.config.slips_written:
        spec = spec.with_fields(slips=settings["slips"])
    names = spec.names
    given = read_answers(
        os.fspath(answers),
        units=[unit for layer in names.layers for unit in layer.units],
        weights=list(names.all_weights),
        sample=sample,
        epoch=epoch,
        shown_as=name,
    )
    shown = name or os.fspath(answers)
    for answer in given:
        if answer.sample > len(spec.inputs):
            raise ConfigError(
                f"sample {answer.sample} is out of range: the data has {len(spec.inputs)}",
                source=shown, field=answer.name, line=answer.line,
            )  # fmt: skip
    epochs = sorted({answer.epoch for answer in given})
    for number in epochs:
        refusal = limits.epochs_refusal(number)
        if refusal:
            raise UsageError(f"epoch {number:,} {refusal}", parameter="epoch", value=number)
    for answer in given:
        if answer.epoch > spec.config.epochs:
            raise ConfigError(
                f"epoch {answer.epoch} is past the config's {spec.config.epochs}; grade it with "
                f"--set epochs={answer.epoch}",
                source=shown, field=answer.name, line=answer.line,
            )  # fmt: skip
    trace = run(spec, trace=",".join(map(str, epochs)), through_traced=True)
    report = graded(
        trace.records, given, worked_lines(trace.records, precision),
        inputs=names.layers[0].units, source=shown,
        tolerance=None if tolerance is None else float(tolerance), digits=precision,
    )  # fmt: skip
    return report


def read_trace(path: str | os.PathLike) -> list[records.Record]:
    """The records of a trace saved by `run` as JSON Lines (.jsonl) or JSON (.json), as the
    same record types. Raises TraceError for a file that is not a backtrace trace, is
    damaged, or comes from a newer trace format."""
    from backtrace.trace_files import read_trace as read

    if not isinstance(path, (str, os.PathLike)):
        raise UsageError(f"should be a path, not {_kind(path)}", parameter="path", value=path)
    return read(path)


def diff(
    a: Source,
    b: Source,
    *,
    trace: str | int = "first",
    epochs: int | None = None,
    sample: str | int | Sequence[str | int] = (),
    phase: str | Sequence[str] = (),
    tolerance: float = 0.0,
    precision: int = 6,
    overrides_a: Mapping[str, Any] | Sequence[str] | None = None,
    overrides_b: Mapping[str, Any] | Sequence[str] | None = None,
) -> TraceDiff:
    """Where the traces of `a` and `b` part. Each is a config (path, example name, text, dict
    or Spec), run with `trace` and `epochs` as `run` takes them, or a saved .jsonl or .json
    trace (`read_trace`). `sample` and `phase` narrow both; values within `tolerance` count
    as the same."""
    from backtrace.renderers.layout import worked_lines
    from backtrace.teaching.diff import compare
    from backtrace.trace_files import looks_like_trace

    _check_non_negative("tolerance", tolerance)
    _check_precision(precision)
    with _as_given(sample=sample):
        sample_texts = _texts(sample, "sample")
        for text in sample_texts:  # its words and ranges checked before anything is trained
            parse_numbers(text, 1, parameter="sample", what="sample", allow_beyond=True)
    phases = _texts(phase, "phase")
    for name in phases:
        if name not in records.PHASES:
            raise UsageError(f"phases are {', '.join(records.PHASES)}", parameter="phase",
                             value=name)  # fmt: skip
    sides = []
    for parameter, source, overrides in (("a", a, overrides_a), ("b", b, overrides_b)):
        if isinstance(source, (str, os.PathLike)) and looks_like_trace(os.fspath(source)):
            if overrides:
                raise UsageError("is a saved trace, which takes no overrides",
                                 parameter=parameter, value=source)  # fmt: skip
            shown, stream = os.fspath(source), read_trace(source)
        else:
            spec = load(source, overrides) if overrides else load(source)
            shown, stream = spec.source, run(spec, trace=trace, epochs=epochs).records
        sides.append((shown, stream))
    # --sample as run reads it (2, 1,3, 2-4, all, last), counted in the larger trace.
    total = max((r.samples for _, stream in sides for r in stream[:1] if isinstance(r, records.Start)),
                default=1)  # fmt: skip
    with _as_given(sample=sample):
        samples = [
            parse_numbers(text, total, parameter="sample", what="sample", allow_beyond=True)
            for text in sample_texts
        ]
    held = (r.sample for _, stream in sides for r in stream if isinstance(r, records.Sample))
    if samples and not any(any(number in chosen for chosen in samples) for number in held):
        raise UsageError("selects no sample either trace holds", parameter="sample",
                         value=sample)  # fmt: skip
    (name_a, records_a), (name_b, records_b) = (
        (shown, [r for r in stream if _kept(r, samples, phases)]) for shown, stream in sides
    )
    return compare(
        records_a, records_b, names=(name_a, name_b), tolerance=float(tolerance),
        lines_of=lambda trace: worked_lines(trace, precision),
    )  # fmt: skip


def _kept(record: records.Record, samples: Sequence[Any], phases: tuple[str, ...]) -> bool:
    """Whether a diff compares `record` under the --sample (sets of numbers) and --phase
    given."""

    def chosen(number: int) -> bool:
        return any(number in numbers for numbers in samples)

    if phases and record.kind.phase is not None and record.kind.phase not in phases:
        return False
    if samples:
        if isinstance(record, (records.EpochEnd, records.Weights)):
            return False  # a summary of every sample, not of those chosen
        if isinstance(record, records.Update):
            return any(chosen(number) for number in record.samples)
        sample = getattr(record, "sample", None)
        if isinstance(sample, int) and record.kind.phase is not None:
            return chosen(sample)
    return True


def check(
    config: Source,
    *,
    epoch: int | None = None,
    step: int | None = None,
    weight: str | Sequence[str] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    atol: float = DEFAULT_ATOL,
    pulse: Callable[[], None] | None = None,
) -> Trace:
    """Check backpropagation's gradients against central finite differences of the loss, at
    the first step of `epoch` or at global step `step` (default: the very first step), for
    the weights `weight` names (default: all). `Trace.failed_checks` counts the failures.
    `pulse`, if given, is called between the steps of the training up to there and between
    the weights compared, while the check yields nothing; an exception it raises stops the
    check (the CLI stops there when no one reads its output any more)."""
    spec = load(config)
    for parameter, value in (("epoch", epoch), ("step", step)):
        if value is not None:
            _whole(parameter, value)
    _pulse(pulse)
    for parameter, value, least in (("tolerance", tolerance, "positive"), ("atol", atol, "")):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and (value > 0 if least else value >= 0)
        ):
            wanted = "a positive, finite number" if least else "a finite number, 0 or more"
            raise UsageError(f"should be {wanted}", parameter=parameter, value=value)
    _check_within_epoch_limit(spec, epoch, step)
    with _as_given(weight=weight):
        chosen = record_filter(spec, weights=_texts(weight, "weight"))
    _check_weight_count(spec, chosen.weights)
    return Trace(
        spec,
        lambda: gradient_check(
            spec, epoch=epoch, step=step, weights=chosen.weights, tolerance=tolerance,
            atol=atol, pulse=pulse,
        ),
        RecordFilter(),
    )


def diagram(
    config: Source,
    *,
    epoch: int | None = None,
    sample: int | None = None,
    step: int | None = None,
    exact: bool = False,
    pulse: Callable[[], None] | None = None,
) -> Diagram:
    """The network's diagram: units and links named as the trace names them. Given an
    `epoch` and `sample` (each 1 when only the other is given), or a `step`, each unit also
    carries that sample's h, z and δ, and each link its weight, the step's gradient and the
    weight after the step. `pulse`, if given, is called after each epoch of the training up
    to that point; an exception it raises stops the training."""
    from backtrace.pictures.diagram import Point, at_point, network_diagram

    spec = load(config)
    for parameter, value in (("epoch", epoch), ("sample", sample), ("step", step)):
        if value is not None:
            _whole(parameter, value)
    _pulse(pulse)
    check_drawable(spec)
    title = spec.config.title or spec.source
    if spec.config.slip_set.names:  # the numbers drawn are a slip's: the picture says so too
        title += f" (slips on purpose: {', '.join(spec.config.slip_set.names)})"
    drawn = network_diagram(title, spec.names.layers)
    if epoch is None and sample is None and step is None:
        return drawn
    if step is not None and epoch is not None:
        raise UsageError(
            "counts steps over the whole run, so it takes no epoch", parameter="step", value=step
        )
    if step is not None:
        steps_per_epoch = _steps_per_epoch(spec)
        epoch_of_step = (step - 1) // steps_per_epoch + 1
        point = Point(sample=sample, step=step)
    else:
        epoch_of_step = epoch or 1
        point = Point(epoch=epoch_of_step, sample=sample or 1)
    if sample is not None and sample > len(spec.inputs):
        raise UsageError(
            f"sample {sample} is out of range; there are samples 1 to {len(spec.inputs)}",
            parameter="sample",
            value=sample,
        )
    refusal = limits.epochs_refusal(epoch_of_step)
    if refusal:
        raise UsageError(
            f"is in epoch {epoch_of_step:,}, which {refusal}",
            parameter="step" if step is not None else "epoch",
            value=step if step is not None else epoch,
        )
    if epoch_of_step > spec.config.epochs:  # a diagram names a point in training: train to it
        spec = spec.with_epochs(epoch_of_step)
    traced = run(
        spec, trace=str(epoch_of_step), through_traced=True, exact=exact,
        weights_seen=each_epoch(pulse),
    )  # fmt: skip
    return at_point(drawn, traced, point)


class WeightHistory:
    """Chosen weights epoch by epoch, noted from the records a training hands `weights_seen`:
    `series[name][e]` is the value after e epochs. Noting an epoch again (a trace iterated
    twice) replaces it, so the history is that of one run."""

    def __init__(self, names: Iterable[str]) -> None:
        self.series: dict[str, list[float]] = {name: [] for name in names}

    def note(self, record: records.Weights) -> None:
        values = dict(record.values)
        for name, series in self.series.items():
            del series[record.epoch :]
            series.append(as_float(values[name]))


def chosen_weights(spec: Spec, weight: str | Sequence[str]) -> list[str]:
    """The weights `weight` names (globs work), in the network's order, within the number a
    picture draws."""
    with _as_given(weight=weight):
        chosen = resolve_names(
            _texts(weight, "weight"), spec.names.all_weights, parameter="weight", what="weight"
        )
    most = limits.active().plotted_weights
    if chosen is not None and len(chosen) > most:
        raise UsageError(
            f"names {len(chosen):,} weights; a picture draws at most {most} curves, so name "
            "fewer (a pattern such as 'W1*' picks one unit's weights)",
            parameter="weight",
            value=weight,
        )
    return [name for name in spec.names.all_weights if chosen and name in chosen]


def weight_history(
    config: Source, weight: str | Sequence[str], *, exact: bool = False
) -> dict[str, list[float]]:
    """Each weight `weight` names (globs work) before training and after every epoch: the
    list's item e is the value after e epochs. It trains once, tracing nothing; a run that
    is traced anyway can keep the history itself (`run(..., weights_seen=...)`)."""
    spec = load(config)
    history = WeightHistory(chosen_weights(spec, weight))
    for _ in train(spec, lambda epoch: False, number_system(spec, exact), history.note):
        pass
    return history.series


def _texts(value: Any, parameter: str) -> tuple[str, ...]:
    """A selection as texts: one text or number, or a list of them."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, Sequence) and all(
        isinstance(item, (str, int)) and not isinstance(item, bool) for item in value
    ):
        return tuple(str(item) for item in value)
    raise UsageError(
        f"should be text, a number, or a list of them, not {_kind(value)}",
        parameter=parameter,
        value=value,
    )


@contextlib.contextmanager
def _as_given(**given: Any) -> Iterator[None]:
    """A UsageError about one of these parameters shows its value as the caller passed it
    (`sample=9`), not as the text the selection read it as (`sample='9'`)."""
    try:
        yield
    except UsageError as error:
        if error.parameter not in given:
            raise
        raise UsageError(
            error.message, parameter=error.parameter, value=given[error.parameter]
        ) from None


def each_epoch(pulse: Callable[[], None] | None) -> Callable[[records.Weights], None] | None:
    """A `weights_seen` for `run` that calls `pulse` after each epoch trained."""
    return None if pulse is None else (lambda weights: pulse())


def _check_precision(precision: Any) -> None:
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise UsageError("should be a whole number from 1 to 17", parameter="precision",
                         value=precision)  # fmt: skip


def _check_non_negative(parameter: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value >= 0
    ):
        raise UsageError("should be a finite number of 0 or more", parameter=parameter,
                         value=value)  # fmt: skip


def _pulse(value: Any) -> None:
    """A pulse is a function of no arguments, or None."""
    if value is not None and not callable(value):
        raise UsageError("should be a function of no arguments, or None", parameter="pulse",
                         value=value)  # fmt: skip


def _whole(parameter: str, value: Any) -> None:
    """A count from 1, as the command line's options take it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise UsageError("should be a whole number from 1", parameter=parameter, value=value)


def _steps_per_epoch(spec: Spec) -> int:
    return len(batches(np.arange(len(spec.inputs)), resolved_batch_size(spec)))


def _check_within_epoch_limit(spec: Spec, epoch: int | None, step: int | None) -> None:
    """A check trains up to its step: that step's epoch obeys the epoch limit as a run does."""
    if step is not None:
        parameter, value, reached = "step", step, (step - 1) // _steps_per_epoch(spec) + 1
    elif epoch is not None:
        parameter, value, reached = "epoch", epoch, epoch
    else:
        return
    refusal = limits.epochs_refusal(reached)
    if refusal:
        raise UsageError(
            f"is in epoch {reached:,}, which {refusal}", parameter=parameter, value=value
        )


def _check_weight_count(spec: Spec, chosen: frozenset[str] | None) -> None:
    """Each checked weight costs two losses over the batch, so a check's time grows with
    the square of the network; the limit keeps it to seconds."""
    count = len(chosen) if chosen is not None else len(spec.names.all_weights)
    most = limits.active().checked_weights
    if count > most:
        raise UsageError(
            f"would check {count:,} weights, more than the {most:,} a check takes at once; "
            "name fewer with a pattern (such as 'W1*')",
            parameter="weight",
            value="*" if chosen is None else f"{count} weights",
        )


def check_drawable(spec: Spec) -> None:
    """A diagram of more layers or units than a person can read is refused before it is
    drawn: it would take minutes and gigabytes to make (limits.diagram_layers, diagram_units)."""
    layers = len(spec.names.layers)
    units = sum(len(layer.units) for layer in spec.names.layers)
    most = limits.active()
    if layers > most.diagram_layers:
        raise UsageError(
            f"the network has {layers:,} layers; a diagram draws at most "
            f"{most.diagram_layers}"
        )
    if units > most.diagram_units:
        raise UsageError(
            f"the network has {units:,} units; a diagram draws at most {most.diagram_units:,}"
        )


@frozen
class Keys:
    """How `render` waits for the reader between pieces: a key reader, where to prompt and
    in how many columns, and whether going back clears the screen (the output is one)."""

    read: Callable[[], str]
    prompt: TextIO
    width: int = 80
    redraw: bool = False


class Trace:
    """The records of one training run, produced as they are iterated.

    Iterating trains afresh each time (the same numbers every time), so a long trace can be
    streamed without being held. The conveniences below collect the records once and keep
    them. After iteration, `diverged` holds the divergence record if training blew up.
    """

    def __init__(
        self,
        spec: Spec,
        produce: Callable[[], Iterable[records.Record]],
        selection: RecordFilter,
    ) -> None:
        self.spec = spec
        self.produce = produce  # a fresh stream of the run's records at each call
        self.selection = selection
        self.diverged: records.Diverged | None = None
        self._records: list[records.Record] | None = None

    def __iter__(self) -> Iterator[records.Record]:
        if self._records is not None:
            return iter(self._records)
        return self._stream()

    def _stream(self) -> Iterator[records.Record]:
        self.diverged = None
        for record in self.produce():
            if isinstance(record, records.Diverged):
                self.diverged = record
            yield record

    def __repr__(self) -> str:
        epochs = self.spec.config.epochs
        return f"<Trace of {self.spec.source}: {epochs} epoch{'s' if epochs != 1 else ''}>"

    # -- the records, collected ----------------------------------------------------------

    @property
    def records(self) -> list[records.Record]:
        """Every record, in order (collected on first use and kept)."""
        if self._records is None:
            self._records = list(self._stream())
        return self._records

    def as_dicts(self) -> list[dict[str, Any]]:
        """Every record as plain data, as JSON Lines writes it (`event` names the kind)."""
        return [record.as_dict() for record in self.records]

    def epoch(self, number: int) -> Part:
        """The records of one epoch: its samples, updates, summary and weights."""
        chosen = [r for r in self.records if _epoch_of(r) == number]
        _found(chosen, "number", number, "epoch", self)
        return Part(self, chosen)

    def step(self, number: int) -> Part:
        """The records of one update step: its samples' records and its updates."""
        chosen = [r for step, r in _with_steps(self.records) if step == number]
        _found(chosen, "number", number, "step", self)
        return Part(self, chosen)

    @property
    def failed_checks(self) -> int | None:
        """How many weights a gradient check found wrong; None if this is no check."""
        summaries = [r for r in self.records if isinstance(r, records.CheckSummary)]
        return summaries[-1].failed if summaries else None

    @property
    def losses(self) -> list[float]:
        """Each epoch's mean loss, in order."""
        return [r.loss for r in self.records if isinstance(r, records.EpochEnd)]

    @property
    def final_weights(self) -> list[np.ndarray]:
        """The weights after training, one matrix per layer: a row per receiving unit and a
        column per sending unit, the bias column first (so [0][0, 0] is W10)."""
        final = [r for r in self.records if isinstance(r, records.Weights) and r.when == "final"]
        if not final:
            raise BacktraceError(
                "training diverged, so there are no final weights"
                if self.diverged
                else "the trace holds no final weights"
            )
        values = dict(final[-1].values)
        return [
            np.array([[values[name] for name in row] for row in layer.weights])
            for layer in self.spec.names.layers[1:]
        ]

    # -- rendering -------------------------------------------------------------------------

    def render(
        self,
        format: str = "table",
        file: TextIO | None = None,
        *,
        precision: int | None = None,
        width: int | None = 100,
        color: bool = False,
        keys: Keys | None = None,
        math: bool = False,
        fragment: bool = False,
    ) -> str | None:
        """The trace in a format (table, text, jsonl, csv, markdown, latex, html): written to
        `file`, or returned as a string. With `keys`, paced formats wait for a key between
        pieces; `math` writes Markdown's arithmetic as $...$, `fragment` LaTeX's body only."""
        return render(
            self, format, file, precision=precision, width=width, color=color, keys=keys,
            math=math, fragment=fragment,
        )  # fmt: skip

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter and IPython show the rich tables, in colour, inline."""
        from backtrace.renderers import table

        return {
            "text/plain": repr(self),
            "text/html": table.html(self, RenderOptions(width=NOTEBOOK_WIDTH, color=True)),
        }

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        """`rich.print(trace)` draws the tables on that console."""
        from backtrace.renderers import table

        yield from table.renderables(self, RenderOptions(width=options.max_width, color=True))


class Part(Trace):
    """A slice of a trace (one epoch or one step). It starts with the run's start record, so
    it renders with its heading and table layout like the whole."""

    def __init__(self, whole: Trace, chosen: list[records.Record]) -> None:
        super().__init__(whole.spec, lambda: iter(self._records or ()), whole.selection)
        start = [r for r in whole.records[:1] if isinstance(r, records.Start)]
        self._records = start + [r for r in chosen if not isinstance(r, records.Start)]
        self.diverged = whole.diverged


def _found(chosen: list[Any], parameter: str, number: Any, what: str, trace: Trace) -> None:
    """An epoch or step the trace does not hold is an error, as the command line's are."""
    if isinstance(number, bool) or not isinstance(number, (int, np.integer)):
        raise UsageError(f"should be a whole {what} number", parameter=parameter, value=number)
    if not chosen:
        raise UsageError(
            f"the trace holds no {what} {number} (it trains {trace.spec.config.epochs:,} "
            f"epoch{'s' if trace.spec.config.epochs != 1 else ''}; untraced epochs hold only "
            "their summary)",
            parameter=parameter,
            value=number,
        )


def _epoch_of(record: records.Record) -> int | None:
    """The epoch a record belongs to; weights belong to the epoch they end (0: before any)."""
    return getattr(record, "epoch", None)


def _with_steps(stream: Iterable[records.Record]) -> Iterator[tuple[int | None, records.Record]]:
    """Each record with the step it belongs to: a sample's records belong to its step."""
    step: int | None = None
    for record in stream:
        if isinstance(record, (records.Sample, records.Update, records.Gradient)):
            step = record.step
        elif not isinstance(
            record, (records.Forward, records.Loss, records.Delta, records.Reference)
        ):
            step = None
        yield step, record


def render(
    stream: Iterable[records.Record],
    format: str = "table",
    file: TextIO | None = None,
    *,
    precision: int | None = None,
    width: int | None = 100,
    color: bool = False,
    events: frozenset[str] | None = None,
    keys: Keys | None = None,
    math: bool = False,
    fragment: bool = False,
    blanks: Mapping[Any, int] | None = None,
    tables: bool = False,
) -> str | None:
    """Records (a trace, a part of one, or any list of records) in a format: written to
    `file`, or returned as a string. `math`: Markdown's arithmetic as $...$; `fragment`:
    LaTeX without its preamble; `blanks`: a worksheet's (see `quiz`). CSV is one long table
    that pandas reads as it is; with `tables`, it is one table per event kind instead, each
    with its header, separated by blank lines (what -o DIR/ cuts into files)."""
    if not isinstance(format, str) or format not in FORMATS:
        raise UsageError(
            f"is not a format; formats are {', '.join(FORMATS)}", parameter="format", value=format
        )
    if isinstance(stream, (str, bytes)) or not isinstance(stream, Iterable):
        raise UsageError(
            f"should be a trace or a list of records, not {_kind(stream)}",
            parameter="stream",
            value=stream,
        )
    if precision is not None:
        _check_precision(precision)
    if width is not None and (
        isinstance(width, bool)
        or not isinstance(width, int)
        or not 1 <= width <= limits.active().width
    ):
        raise UsageError(
            f"should be a whole number of columns up to {limits.active().width:,}",
            parameter="width",
            value=width,
        )
    entry = FORMATS[format]
    if events is None and isinstance(stream, Trace):
        events = stream.selection.events
    options = RenderOptions(
        precision=precision, width=width, color=color, events=events, math=math,
        fragment=fragment, blanks=blanks,
    )
    out = io.StringIO() if file is None else file
    if keys is not None and entry.paced:
        from backtrace.stepping import CLEAR_SCREEN, paced  # the layout: only when stepping

        def clear() -> None:
            if keys.redraw:
                out.write(CLEAR_SCREEN)

        stream = paced(
            stream, keys.read, keys.prompt, flush=out.flush, width=keys.width, clear=clear
        )
    if tables and format != "csv":
        raise UsageError("only CSV has separate tables", parameter="tables", value=tables)
    if tables:
        from backtrace.renderers.csv import render_tables

        render_tables(stream, out, options)
    else:
        entry.render(stream, out, options)
    return out.getvalue() if file is None else None
