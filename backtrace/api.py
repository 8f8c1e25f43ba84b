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

import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from backtrace import records
from backtrace.config import Spec
from backtrace.config.discovery import find_config
from backtrace.config.loading import load_config, load_document, load_text, parse_field
from backtrace.engine import train
from backtrace.engine.check import DEFAULT_TOLERANCE, gradient_check
from backtrace.engine.trainer import batches, number_system, resolved_batch_size
from backtrace.errors import BacktraceError, ConfigError, UsageError
from backtrace.renderers import FORMATS
from backtrace.renderers.options import RenderOptions
from backtrace.selection import RecordFilter, parse_epochs, record_filter, resolve_names
from backtrace.stepping import paced

if TYPE_CHECKING:
    from backtrace.pictures.diagram import Diagram

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
        changes: list[Any] = [(parse_field(path), value) for path, value in overrides.items()]
        named = "overrides"
    else:
        changes, named = list(overrides or ()), "--set"
    changes += [((field,), value) for field, value in fields.items()]
    if isinstance(source, Spec):
        if changes:
            raise TypeError("a loaded Spec takes no overrides; pass its source to load instead")
        return source
    if isinstance(source, Mapping):
        return load_document(
            dict(source),
            name or "<dict>",
            overrides=changes,
            overrides_named=named,
            overrides_base=here,
        )
    text = os.fspath(source)
    if "\n" in text or text.lstrip().startswith("{"):
        return load_text(
            text, name or "<text>", overrides=changes, overrides_named=named, overrides_base=here
        )
    path, shown_as = find_config(text, cwd=here, env={})
    return load_config(
        str(here / path) if path != "-" else path,
        overrides=changes,
        stdin=stdin,
        name=name or shown_as,
        overrides_named=named,
        overrides_base=here,
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
) -> Trace:
    """Train `config` and return its trace.

    `trace` names the epochs traced in full ("all", "none", "first", "last", "1,10,100",
    "3-5"); every epoch still gets its summary record. `sample`, `unit`, `weight` and
    `phase` keep only the records a reader asked for (globs such as "Z*" work for names).
    With `through_traced`, training stops after the last traced epoch, even past the config's
    own count, and untraced epochs stay silent: what `backtrace step` shows. With `exact`,
    every number is a fraction (for networks whose functions allow it).
    """
    spec = load(config)
    if epochs is not None:
        spec = spec.with_epochs(epochs)
    option = "--epoch" if through_traced else "--trace"
    traced = parse_epochs(
        str(trace), spec.config.epochs, option=option, allow_beyond=through_traced
    )
    if through_traced:
        if not traced:
            raise UsageError(f"{option} selects no epoch to step through")
        try:
            spec = spec.with_epochs(traced.largest())
        except ConfigError as error:  # the epoch asked for, not the config's field, is wrong
            raise UsageError(f"{option} {traced.largest()} {error.message}") from None
    selection = record_filter(
        spec,
        samples=_texts(sample),
        units=_texts(unit),
        weights=_texts(weight),
        phases=_texts(phase),
    )

    numbers = number_system(spec, exact)

    def produce() -> Iterator[records.Record]:
        stream = selection.apply(train(spec, traced.__contains__, numbers))
        if through_traced:  # untraced epochs stay silent while stepping
            stream = (r for r in stream if not (isinstance(r, records.EpochEnd) and not r.traced))
        return stream

    return Trace(spec, produce, selection)


def check(
    config: Source,
    *,
    epoch: int | None = None,
    step: int | None = None,
    weight: str | Sequence[str] = (),
    tolerance: float = DEFAULT_TOLERANCE,
) -> Trace:
    """Check backpropagation's gradients against central finite differences of the loss, at
    the first step of `epoch` or at global step `step` (default: the very first step), for
    the weights `weight` names (default: all). `Trace.failed_checks` counts the failures."""
    spec = load(config)
    chosen = record_filter(spec, weights=_texts(weight))
    return Trace(
        spec,
        lambda: gradient_check(
            spec, epoch=epoch, step=step, weights=chosen.weights, tolerance=tolerance
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
) -> Diagram:
    """The network's diagram: units and links named as the trace names them. Given an
    `epoch` and `sample` (each 1 when only the other is given), or a `step`, each unit also
    carries that sample's h, z and δ, and each link its weight, the step's gradient and the
    weight after the step."""
    from backtrace.pictures.diagram import Point, at_point, network_diagram

    spec = load(config)
    drawn = network_diagram(spec.config.title or spec.source, spec.names.layers)
    if epoch is None and sample is None and step is None:
        return drawn
    if step is not None and epoch is not None:
        raise UsageError("--step counts steps over the whole run, so it takes no --epoch")
    if step is not None:
        steps_per_epoch = len(batches(np.arange(len(spec.inputs)), resolved_batch_size(spec)))
        epoch_of_step = (step - 1) // steps_per_epoch + 1
        point = Point(sample=sample, step=step)
    else:
        epoch_of_step = epoch or 1
        point = Point(epoch=epoch_of_step, sample=sample or 1)
    if sample is not None and sample > len(spec.inputs):
        raise UsageError(
            f"--sample: sample {sample} is out of range; there are samples 1 to {len(spec.inputs)}"
        )
    traced = run(spec, trace=str(epoch_of_step), through_traced=True, exact=exact)
    return at_point(drawn, traced, point)


def weight_history(
    config: Source, weight: str | Sequence[str], *, exact: bool = False
) -> dict[str, list[float]]:
    """Each weight `weight` names (globs work) before training and after every epoch: the
    list's item e is the value after e epochs. Every epoch is traced to get them, so this
    takes about as long as a run with trace="all"."""
    spec = load(config)
    chosen = resolve_names(
        _texts(weight), spec.names.all_weights, option="--plot-weight", what="weight"
    )
    history: dict[str, list[float]] = {
        name: [] for name in spec.names.all_weights if chosen and name in chosen
    }
    numbers = number_system(spec, exact)
    for record in train(spec, lambda epoch: True, numbers):
        if isinstance(record, records.Weights):
            values = dict(record.values)
            for name, series in history.items():
                del series[record.epoch :]  # "current" and "final" both follow the last epoch
                series.append(float(values[name]))
    return history


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, int)):
        return (str(value),)
    return tuple(str(item) for item in value)


@dataclass(frozen=True)
class Keys:
    """How `render` waits for the reader between pieces: a key reader and where to prompt."""

    read: Callable[[], str]
    prompt: TextIO


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
        return Part(self, [r for r in self.records if _epoch_of(r) == number])

    def step(self, number: int) -> Part:
        """The records of one update step: its samples' records and its updates."""
        return Part(self, [r for step, r in _with_steps(self.records) if step == number])

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
        """The trace in a format (table, text, jsonl, csv, markdown, latex): written to
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
) -> str | None:
    """Records (a trace, a part of one, or any list of records) in a format: written to
    `file`, or returned as a string. `math`: Markdown's arithmetic as $...$; `fragment`:
    LaTeX without its preamble."""
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; formats are {', '.join(FORMATS)}")
    entry = FORMATS[format]
    if events is None and isinstance(stream, Trace):
        events = stream.selection.events
    options = RenderOptions(
        precision=precision, width=width, color=color, events=events, math=math, fragment=fragment
    )
    out = io.StringIO() if file is None else file
    if keys is not None and entry.paced:
        stream = paced(stream, keys.read, keys.prompt, flush=out.flush)
    entry.render(stream, out, options)
    return out.getvalue() if file is None else None
