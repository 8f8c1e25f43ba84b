"""What a person gets around the trace of `run`: a progress bar while it trains, epoch
summaries thinned to a readable number, a one-line loss curve when it ends, and the curves
as a picture file (--plot). The trace itself is untouched: only which epoch summaries reach
the renderer changes, and everything else goes to stderr or to the picture file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from backtrace import records
from backtrace.errors import UsageError
from backtrace.numbers import HUMAN_DIGITS, format_number
from backtrace.pictures.curves import Curves, loss_summary
from backtrace.progress import ProgressBar, Thinning, automatic_every, watched
from backtrace.terminal import Terminal


@dataclass
class RunReport:
    term: Terminal
    quiet: bool = False
    every: int | None = None  # None: automatic (see progress.automatic_every)
    plot: str | None = None
    plot_weights: tuple[str, ...] = ()
    precision: int | None = None
    curves: Curves = field(default_factory=Curves)
    history: Any = None  # the --plot-weight curves, kept from the run itself (api.WeightHistory)

    def check(self) -> None:
        """Refuse a picture that cannot be written, before any training."""
        if self.plot_weights and self.plot is None:
            raise UsageError("--plot-weight adds to the picture --plot FILE writes; add --plot")
        if self.plot is not None:
            from backtrace.pictures.figures import picture_format, require_matplotlib

            picture_format(self.plot, "--plot")
            require_matplotlib(f"--plot {self.plot}")

    def check_weights(self, spec: Any) -> None:
        """Refuse --plot-weight names that match no weight, before any training."""
        if self.plot_weights:
            from backtrace.selection import resolve_names

            from backtrace import limits

            names = spec.names.all_weights
            chosen = resolve_names(self.plot_weights, names, parameter="plot_weight", what="weight")
            most = limits.active().plotted_weights
            if chosen is not None and len(chosen) > most:
                raise UsageError(
                    f"names {len(chosen):,} weights; a picture draws at most {most} curves, so "
                    "name fewer (a pattern such as 'W1*' picks one unit's weights)",
                    parameter="plot_weight",
                )

    def plan(self, spec: Any) -> Any:
        """The --plot file, checked before any training (see output.plan); None without one."""
        if self.plot is None:
            return None
        from backtrace.output import plan

        streams = {1: self.term.stdout, 2: self.term.stderr}
        return plan(
            self.plot,
            option="--plot",
            inputs=spec.files,
            streams=streams,
            cwd=self.term.cwd,
            binary=True,
        )

    def weights_seen(self, spec: Any) -> Any:
        """What the run hands its weights to after each epoch, for --plot-weight: so the
        picture's weights come from the run itself, not from training it a second time."""
        if not (self.plot is not None and self.plot_weights):
            return None
        from backtrace import api

        self.history = api.WeightHistory(api.chosen_weights(spec, self.plot_weights))
        return self.history.note

    def fmt(self, value: float) -> str:
        return format_number(value, self.precision or HUMAN_DIGITS)

    def through(
        self, stream: Iterable[records.Record], *, epochs: int, output_format: str, on_screen: bool
    ) -> Iterator[records.Record]:
        """The records on their way to the renderer: noted for the curves, epoch summaries
        thinned, progress drawn. `on_screen`: the trace shares the screen with stderr."""
        every = self.every or automatic_every(epochs, output_format)
        bar = None
        if self.term.watched() and not self.quiet:
            bar = ProgressBar(
                self.term.stderr,
                epochs,
                clock=self.term.clock,
                width=self.term.width(None, to_terminal=True),
                color=self.term.stderr_color(),
                fmt=self.fmt,
            )
        return watched(
            self.curves.watch(stream),
            thinning=Thinning(every, epochs),
            bar=bar,
            shares_screen=on_screen,
        )

    def finish(self, spec: Any, exact: bool, picture: Any = None) -> None:
        """After the trace: the loss line on a watched stderr, and the --plot file."""
        if self.term.watched() and not self.quiet:
            columns = self.term.width(None, to_terminal=True)
            line = loss_summary(self.curves, self.fmt, columns)
            if line:
                self.term.stderr.write(line + "\n")
        if self.plot is not None:
            self._write_plot(spec, exact, picture or self.plan(spec))

    def _write_plot(self, spec: Any, exact: bool, picture: Any) -> None:
        from backtrace import api
        from backtrace.pictures.figures import curves_figure, picture_format, save

        if self.history is not None:
            self.curves.weights = self.history.series
        elif self.plot_weights:  # a report whose run did not keep them
            self.curves.weights = api.weight_history(spec, self.plot_weights, exact=exact)
        figure = curves_figure(self.curves, spec.config.title or spec.source, self.fmt)
        with picture.open() as out:
            save(figure, out, picture_format(self.plot, "--plot"))
