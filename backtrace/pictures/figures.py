"""Pictures as SVG or PNG files, drawn with matplotlib: the network diagram, and the curves
of a run (loss per epoch, accuracy for classification losses, chosen weights).

matplotlib is an optional extra (`pip install 'backtrace-nn[plot]'`); it is imported only when a
picture is asked for, and `require_matplotlib` turns its absence into one line that says how
to install it. Figures are drawn on matplotlib's `Figure` directly, never through pyplot, so
no window or global state is involved, and SVG output is the same bytes every time.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from backtrace.errors import UsageError
from backtrace.pictures.curves import Curves, log_scaled
from backtrace.pictures.diagram import Diagram, point_text

Formatter = Callable[[float], str]
PICTURE_FORMATS = {".svg": "svg", ".png": "png"}
INSTALL_HINT = "pip install 'backtrace-nn[plot]'"
MOST_UNITS = 12  # a layer with more units is summarised, as in the terminal
# More links than this are a heap of labels, not a picture: they are drawn unlabelled, and the
# caption says so. (The article's network has 13 and xor-deep 37; iris's 4-8-3 has 67, and
# its labels, though none overlaps another, can no longer be told to their links.)
MOST_LABELS = 40
LABEL_ROOM = 0.3  # units between columns per character of the longest line of a link label
# Where along a link (0: its sender, 1: its receiver) its label may sit, tried in order.
PLACES_ALONG_LINK = tuple(0.22 + 0.03 * step for step in range(19))


def picture_format(path: str, option: str) -> str:
    """'svg' or 'png' from a file name; anything else is an error naming the option."""
    suffix = Path(path).suffix.lower()
    if suffix not in PICTURE_FORMATS:
        raise UsageError(f"{option} {path}: a picture is written as .svg or .png")
    return PICTURE_FORMATS[suffix]


def require_matplotlib(what: str) -> None:
    """Refuse early, in one line, when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(
            f"{what} needs matplotlib, which is not installed; install it with {INSTALL_HINT}"
        ) from None


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "backtrace"  # the same ids, so the same bytes
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, and small
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save(figure: Any, out: IO[bytes], picture: str) -> None:
    metadata = {"Date": None} if picture == "svg" else {"Software": None}
    figure.savefig(out, format=picture, metadata=metadata, dpi=150)


# -- the network diagram -------------------------------------------------------------------


def diagram_figure(diagram: Diagram, fmt: Formatter) -> Any:
    """The diagram with units as circles (bias units dashed) in columns, and every link a
    line labelled with its weight, and its numbers at a point of training."""
    numbers = diagram.point is not None
    columns = [_shown(column.units) for column in diagram.columns]
    tallest = max(len(units) for units in columns)
    # Columns far enough apart for the labels of the links between them to be laid side by
    # side along the links: about three labels' lengths (a character is about 0.06 units).
    shown = {unit.key for units in columns for unit in units if unit is not None}
    drawn = [link for links in diagram.links for link in links
             if link.source in shown and link.target in shown]  # fmt: skip
    labelled = len(drawn) <= MOST_LABELS
    longest = max((len(line) for link in drawn
                   for line in _link_label(link, fmt).splitlines()), default=0)  # fmt: skip
    spacing = max(4.0 if numbers else 3.0, LABEL_ROOM * longest if labelled else 0)
    width = 3.2 * len(columns) + (1.5 if numbers else 0)
    figure = _figure(max(width, spacing * (len(columns) - 1) + 3.5), 1.1 * tallest + 1.6)
    axes = figure.add_subplot()
    axes.set_axis_off()
    places: dict[str, tuple[float, float]] = {}
    for index, units in enumerate(columns):
        x = index * spacing
        for rank, unit in enumerate(units):
            y = (len(units) - 1) / 2 - rank
            if unit is None:
                axes.text(x, y, "⋮", ha="center", va="center", fontsize=14)
                continue
            places[unit.key] = (x, y)
        axes.text(
            x,
            (tallest - 1) / 2 + 0.9,
            diagram.columns[index].title,
            ha="center",
            fontsize=10,
            color="dimgray",
        )
    arrows = []
    for links in diagram.links:
        for link in links:
            if link.source not in places or link.target not in places:
                continue
            (x0, y0), (x1, y1) = places[link.source], places[link.target]
            axes.annotate(
                "",
                xy=(x1 - 0.32, y1 + (y0 - y1) * 0.32 / (x1 - x0)),
                xytext=(x0, y0),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "gray",
                    "lw": 0.8,
                    "shrinkA": 14,
                    "shrinkB": 0,
                },
            )
            arrows.append((link, (x0, y0), (x1, y1)))
    for units in columns:
        for unit in units:
            if unit is None:
                continue
            x, y = places[unit.key]
            _draw_unit(axes, unit, x, y, fmt)
    title = diagram.title
    where = point_text(diagram, fmt)
    if where:  # wrapped to the page: a wide input layer makes a long line
        columns_of_text = int(figure.get_figwidth() * 11)
        title += "\n" + textwrap.fill(f"at {where}", columns_of_text)
    if not labelled:
        title += (
            f"\nlinks unlabelled: {diagram.weights:,} weights are too many to label "
            "(the trace has each weight's numbers)"
        )
    axes.set_title(title, fontsize=11)
    axes.set_xlim(-1.2, spacing * (len(columns) - 1) + 1.2)
    axes.set_ylim(-(tallest - 1) / 2 - 0.9, (tallest - 1) / 2 + 1.2)
    axes.set_aspect("equal")
    if labelled:
        _label_links(figure, axes, arrows, fmt, fontsize=7 if numbers else 8)
    return figure


def _label_links(figure: Any, axes: Any, arrows: list, fmt: Formatter, fontsize: float) -> None:
    """Each link's label on its line, interrupting it in a white box (a halo would turn an
    SVG's text into paths), as near its sender as it fits without touching another label, a
    unit or a unit's numbers. The drawing is laid out first, so that each label's box is
    measured where it will be drawn; the labels stay out of that layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    taken = [
        artist.get_window_extent(renderer).expanded(1.05, 1.1)
        for artist in [*axes.patches, *axes.texts]
        if artist.get_visible() and (not hasattr(artist, "get_text") or artist.get_text())
    ]
    for link, (x0, y0), (x1, y1) in arrows:
        label = axes.text(
            x0, y0, _link_label(link, fmt), ha="center", va="center", fontsize=fontsize,
            in_layout=False, zorder=5, gid=f"link-{link.weight}",
            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none"},
        )  # fmt: skip
        best: tuple[int, float, Any] | None = None
        for t in PLACES_ALONG_LINK:
            label.set_position((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
            box = label.get_window_extent(renderer).padded(2)  # and its white box's margin
            clashes = sum(box.overlaps(other) for other in taken)
            if best is None or clashes < best[0]:
                best = (clashes, t, box)
            if clashes == 0:
                break
        assert best is not None
        _, t, box = best
        label.set_position((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
        taken.append(box)


def _link_label(link: Any, fmt: Formatter) -> str:
    """The link's label in two lines: `W10: 1 → 1.4` over `J' = -4`."""
    return link.named_label(fmt).replace(", J'", "\nJ'")


def _shown(units: tuple) -> list:
    if len(units) <= MOST_UNITS:
        return list(units)
    return [*units[:6], None, *units[-3:]]


def _draw_unit(axes: Any, unit: Any, x: float, y: float, fmt: Formatter) -> None:
    from matplotlib.patches import Circle

    axes.add_patch(
        Circle(
            (x, y),
            0.3,
            facecolor="#f4f4f4" if unit.bias else "#dceaf7",
            edgecolor="gray" if unit.bias else "#2c5d8a",
            linestyle="--" if unit.bias else "-",
            zorder=3,
        )
    )
    axes.text(x, y, unit.name, ha="center", va="center", fontsize=10, zorder=4)
    details = [
        f"{symbol} = {fmt(value)}"
        for symbol, value in (("h", unit.h), ("z", unit.z), ("δ", unit.delta))
        if value is not None and not (unit.bias and symbol != "z")
    ]
    if unit.bias:
        details.insert(0, "bias")
    if details:
        axes.text(
            x,
            y - 0.38,
            "\n".join(details),
            ha="center",
            va="top",
            fontsize=7,
            color="dimgray",
            zorder=4,
        )


# -- the curves of a run -------------------------------------------------------------------


def curves_figure(curves: Curves, title: str, fmt: Formatter) -> Any:
    """Loss per epoch; below it accuracy (classification losses) and the chosen weights,
    each epoch by epoch. A run that stopped being finite is marked where it did."""
    panels = 1 + bool(curves.accuracies) + bool(curves.weights)
    figure = _figure(7, 2.6 * panels + 0.6)
    axes_list = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    loss_axes = axes_list[0]
    epochs = list(range(1, len(curves.losses) + 1))
    loss_axes.set_ylabel("mean loss")
    _plot(
        loss_axes, epochs, curves.losses, marker="." if len(epochs) <= 50 else None, color="#2c5d8a"
    )
    figure.suptitle(title, fontsize=11)
    panel = 1
    if curves.accuracies:
        accuracy_axes = axes_list[panel]
        accuracy_axes.set_ylabel("accuracy")
        _plot(
            accuracy_axes,
            list(range(1, len(curves.accuracies) + 1)),
            curves.accuracies,
            color="#3a7d44",
        )
        accuracy_axes.set_ylim(-0.05, 1.05)
        panel += 1
    if curves.weights:
        weight_axes = axes_list[panel]
        weight_axes.set_ylabel("weight")
        for name, series in curves.weights.items():
            weight_axes.plot(range(len(series)), series, label=name)
        # Beside the axes, never on the curves (constrained layout makes room for it).
        weight_axes.legend(
            fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, frameon=False
        )
    axes_list[-1].set_xlabel("epoch (0: the initial weights)" if curves.weights else "epoch")
    if curves.diverged is not None:
        stopped = curves.diverged
        for axes in axes_list:
            axes.axvline(stopped.epoch, color="#b22222", linestyle="--", linewidth=1)
        loss_axes.annotate(
            f"epoch {stopped.epoch}: {stopped.quantity} of {stopped.name} became "
            f"{stopped.non_finite}; training stopped",
            xy=(stopped.epoch, 0.5),
            xycoords=("data", "axes fraction"),
            xytext=(-6, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=8,
            color="#b22222",
        )
        loss_axes.set_xlim(0.5, stopped.epoch + 0.5)
    return figure


def _plot(axes: Any, x: list[int], values: list[float], **style: Any) -> None:
    """Values on a log scale when they span orders of magnitude: magnitudes when every value
    is negative (the article's signed error), a symmetric log scale when signs are mixed."""
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    finite = [value for value in values if math.isfinite(value)]
    if not log_scaled(finite):
        axes.plot(x, values, **style)
        return
    if all(value < 0 for value in finite):
        axes.plot(x, [-value for value in values], **style)
        axes.set_yscale("log")
        axes.set_ylabel(f"−{axes.get_ylabel()}, log scale")
    elif all(value > 0 for value in finite):
        axes.plot(x, values, **style)
        axes.set_yscale("log")
        axes.set_ylabel(f"{axes.get_ylabel()} (log scale)")
    else:
        axes.plot(x, values, **style)
        axes.set_yscale("symlog", linthresh=min(abs(value) for value in finite if value))
        axes.set_ylabel(f"{axes.get_ylabel()} (symmetric log scale)")
