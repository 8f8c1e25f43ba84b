"""HTML: one self-contained page that steps through the trace in the browser.

The page holds the records the JSON renderer writes (the same text, from `jsonl.line_maker`)
in one `<script type="application/json">` block, beside the pieces a reader steps through:
each forward sum, the loss, each delta, each update, with its arithmetic already printed by
`HtmlPrinter` from the trees `layout.worked_blocks` makes for every format. Each piece says
what the diagram shows there (which unit's h, z or δ, which link's weight or gradient, as
printed text) and what to highlight. The page's script only shows, hides and highlights:
every number on the page was printed here, from the engine's records.

The CSS and the script are package data (`html_assets/`), inlined, so the file needs no
network. Nothing in it depends on the time or on chance: two runs write the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TextIO

from backtrace import limits, records
from backtrace.errors import UsageError
from backtrace.expressions.html import HtmlPrinter, escaped
from backtrace.expressions.nodes import Address
from backtrace.expressions.printing import TextPrinter
from backtrace.numbers import NumberFormatter
from backtrace.pictures.diagram import BIAS_TERM, network_diagram
from backtrace.pictures.svg import picture
from backtrace.renderers import layout
from backtrace.renderers.jsonl import line_maker
from backtrace.renderers.options import RenderOptions

# The kind of record that each row of a section's table stands for.
ROW_KINDS: dict[str, type[records.Record]] = {
    "forward": records.Forward,
    "backward": records.Delta,
    "update": records.Update,
    "gradient": records.Gradient,
}
SUMMARIES = (records.Start, records.Note, records.Weights, records.EpochEnd, records.Shuffle,
             records.Diverged, records.CheckSummary)  # fmt: skip
LONG_CELL = 56  # characters of a line of arithmetic that stay on one line; longer ones wrap
LISTED_COLUMNS = 3  # a table with more columns of arithmetic is listed, a line per column
PHASE_NAMES = {"forward": "forward", "loss": "loss", "backward": "backward",
               "gradient": "backward", "update": "update", "check": "gradient check"}  # fmt: skip


def asset(name: str) -> str:
    return resources.files("backtrace.renderers").joinpath("html_assets", name).read_text("utf-8")


def render(stream: Iterable[records.Record], out: TextIO, options: RenderOptions) -> None:
    held = _bounded(stream)
    fmt = NumberFormatter(options.digits(machine=False))
    page = Page(fmt)
    page.build(held)
    line = line_maker(options.digits(machine=True))
    document = (
        '{"records": ['
        + ", ".join(line(record) for record in held)
        + "], "
        + json.dumps(page.data(), ensure_ascii=False)[1:]
    )
    start = next((r for r in held if isinstance(r, records.Start)), None)
    title = (start.title or start.source) if start is not None else "backtrace"
    diagram = (
        picture(network_diagram(title, start.layers)) if start is not None and start.layers else ""
    )
    out.write(
        TEMPLATE.format(
            title=escaped(title),
            css=asset("page.css"),
            banner=page.banner,
            diagram=diagram,
            data=script_safe(document),
            script=asset("page.js"),
        )
    )


def script_safe(text: str) -> str:
    """JSON that no text inside it can end: every `<` (of `</script>` or `<!--`) as \\u003c,
    which JSON reads back as the same character."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _bounded(stream: Iterable[records.Record]) -> list[records.Record]:
    """The records, or a refusal naming a narrower selection when the page would hold more
    than `limits.html_records` (past that, the file and the wait to open it grow too large).
    Past the limit records are only counted, so that a long trace does not fill memory."""
    most = limits.active().html_records
    held: list[records.Record] = []
    count = kept = 0
    samples: set[int] = set()
    for record in stream:
        if isinstance(record, records.Pause):
            continue
        count += 1
        # The summary records stay whatever the selection; the rest grow with the samples,
        # and --sample K keeps sample K of every traced epoch: count them per sample number.
        kept += isinstance(record, SUMMARIES)
        if isinstance(record, records.Sample):
            samples.add(record.sample)
        if count <= most:
            held.append(record)
    if count <= most:
        return held
    per_sample = (count - kept) / max(len(samples), 1)
    fewer = int(0.9 * (most - kept) / per_sample) if per_sample else 0
    narrower = f"--sample 1-{fewer}" if fewer > 1 else "--sample 1"
    raise UsageError(
        f"an HTML page holds at most {most:,} records and this selection has {count:,}; "
        f"choose fewer, such as {narrower} or --phase forward"
    )


@dataclass
class Piece:
    what: (
        str  # the phase and the unit or weight: "forward · Z1"; the page adds the epoch and sample
    )
    html: str
    row: int = -1  # the row of the piece's table it stands for; -1: the whole block
    units: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    sets: list[list[str]] = field(default_factory=list)  # [what, unit or weight, text]
    epoch: int | None = None
    sample: int | None = None
    alarm: bool = False
    batch: bool = False  # a step of several samples: no one sample's
    heading: str = ""  # the sample's heading (its inputs and targets), shown above the piece

    def data(self, blocks: dict[str, int]) -> dict[str, Any]:
        found = blocks.setdefault(self.html, len(blocks))
        entry: dict[str, Any] = {"what": self.what, "block": found}
        if self.row >= 0:
            entry["row"] = self.row
        if self.heading:
            entry["heading"] = blocks.setdefault(self.heading, len(blocks))
        for name in ("units", "links", "sets", "epoch", "sample", "alarm"):
            value = getattr(self, name)
            if value is not None and value is not False and value != []:
                entry[name] = value
        return entry


class Page:
    """The pieces of a trace, their tables printed as HTML, and what the diagram shows."""

    def __init__(self, fmt: NumberFormatter) -> None:
        self.fmt = fmt
        self.printer = HtmlPrinter(fmt, self.origin)
        self.measure = TextPrinter(fmt)
        self.pieces: list[Piece] = []
        self.banner = ""
        self.layers: tuple[records.Layer, ...] = ()
        self.origins: dict[tuple[Any, ...], int] = {}
        self.pending: list[list[str]] = []  # diagram changes waiting for the next piece
        self.heading = ""  # the heading of the sample the pieces belong to
        self.epoch: int | None = None
        self.sample: int | None = None
        self.joining: layout.Section | None = None  # the section whose piece takes more blocks

    # -- where each number came from -----------------------------------------------------------

    def origin(self, address: Address) -> int | None:
        """The piece that computed the number at `address`, if the page holds it."""
        quantity, subject = address.quantity, address.subject
        if quantity in ("weight", "W"):
            return self.origins.get(("before" if quantity == "W" else "weight", subject))
        if quantity == "output":
            quantity = "z"
        return self.origins.get((quantity, subject, address.epoch, address.sample))

    # -- building -------------------------------------------------------------------------------

    def build(self, held: list[records.Record]) -> None:
        sections = list(layout.sections(held))
        current = [0]

        def separated() -> Iterator[records.Record]:
            for index, section in enumerate(sections):
                current[0] = index
                self._register(section)
                yield from section.records
                yield records.Pause()

        for block in layout.worked_blocks(separated(), self.fmt):
            self._add(sections[current[0]], block)
        if self.pending:
            self._piece(Piece("end of the trace", ""))

    def _register(self, section: layout.Section) -> None:
        """Note, before its table is printed, which piece computes each of its numbers: a
        forward table's sums use the units above them in the same table."""
        rows = self._rows(section)
        base = len(self.pieces)
        for offset, record in enumerate(rows):
            where = base + offset
            if isinstance(record, records.Forward):
                for quantity in ("h", "z"):
                    self.origins[(quantity, record.unit, record.epoch, record.sample)] = where
            elif isinstance(record, records.Delta):
                self.origins[("delta", record.unit, record.epoch, record.sample)] = where
            elif isinstance(record, records.Gradient):
                self.origins[("grad", record.weight, record.epoch, record.sample)] = where
            elif isinstance(record, records.Update):
                before = self.origins.get(("weight", record.weight))
                if before is not None:
                    self.origins[("before", record.weight)] = before
                self.origins[("weight", record.weight)] = where
        for record in section.records:
            if isinstance(record, records.Sample):
                for name, _ in record.inputs:
                    self.origins[("z", name, record.epoch, record.sample)] = base

    def _rows(self, section: layout.Section) -> list[records.Record]:
        kind = ROW_KINDS.get(section.name or "")
        if kind is None:
            return []
        return [record for record in section.records if isinstance(record, kind)]

    def _add(self, section: layout.Section, block: layout.Block) -> None:
        record = section.records[0]
        if isinstance(block, layout.Banner):
            self.banner = self._banner(block)
            if isinstance(record, records.Start):
                self._start(record)
            return
        if isinstance(block, layout.Heading) and isinstance(record, records.Sample):
            self._sample(record)
            self.heading = f"<h2>{escaped(block.text)}</h2>"
            return
        if section.name is None and not isinstance(record, records.Note):
            self.sample, self.heading = None, ""  # past the sample: weights, epoch summaries
        html = self._block(block)
        if section.name is None:
            if self.joining is section:  # the weights' matrices after their heading
                self.pieces[-1].html += html
                return
            if isinstance(record, records.Weights):
                self.pending += [
                    ["w", name, " = " + self.fmt(value)] for name, value in record.values
                ]
                for name, _ in record.values:
                    self.origins[("weight", name)] = len(self.pieces)
            if isinstance(record, (records.Diverged, records.EpochEnd)):
                self.epoch = record.epoch
            alarm = isinstance(record, records.Diverged)
            where = "diverged" if alarm else _kind_words(record)
            self._piece(Piece(where, html, alarm=alarm))
            self.joining = section
            return
        phase = PHASE_NAMES.get(section.name or "", section.name or "")
        rows = self._rows(section)
        if not rows or not isinstance(block, layout.Grid):
            units = []
            if isinstance(record, records.Loss):
                units = [unit for unit, _ in record.outputs]
            self._piece(Piece(phase, html, units=units))
            return
        for index, row in enumerate(rows):
            piece = Piece(f"{phase} · {_subject(row)}", html, row=index)
            if isinstance(row, records.Update) and len(row.samples) > 1:
                piece.what, piece.batch = f"step {row.step} · {piece.what}", True
            self._describe(piece, row)
            self._piece(piece)

    def _piece(self, piece: Piece) -> None:
        self.joining = None
        piece.sets = self.pending + piece.sets
        self.pending = []
        piece.epoch = self.epoch
        if piece.sample is None and not piece.batch:
            piece.sample, piece.heading = self.sample, self.heading
        self.pieces.append(piece)

    # -- the diagram at each piece --------------------------------------------------------------

    def _keys(self) -> dict[int, list[tuple[str, bool]]]:
        """Each layer's units as the diagram keys them, with whether each is a bias unit."""
        keys: dict[int, list[tuple[str, bool]]] = {}
        for index, layer in enumerate(self.layers):
            units = [(layer.bias_unit, True)] if layer.bias_unit else []
            units += [(name, False) for name in layer.units]
            following = self.layers[index + 1] if index + 1 < len(self.layers) else None
            if following is not None and following.bias == "term":
                units.insert(0, (f"{BIAS_TERM}@{index}", True))
            keys[index] = units
        return keys

    def _start(self, record: records.Start) -> None:
        self.layers = record.layers

    def _sample(self, record: records.Sample) -> None:
        """A new sample: the diagram forgets the last one's numbers and shows the inputs."""
        self.epoch, self.sample = record.epoch, record.sample
        inputs = dict(record.inputs)
        for index, units in self._keys().items():
            for key, bias in units:
                if index == 0 and key in inputs:
                    self.pending.append(["z", key, "z = " + self.fmt(inputs[key])])
                elif bias:
                    self.pending.append(["z", key, "z = 1"])
                else:
                    self.pending.append(["z", key, ""])
                if not (index == 0 or bias):
                    self.pending += [["h", key, ""], ["d", key, ""]]
        self.pending += [["g", name, ""] for layer in self.layers[1:] for row in layer.weights
                         for name in row]  # fmt: skip

    def _describe(self, piece: Piece, record: records.Record) -> None:
        fmt = self.fmt
        if isinstance(record, records.Forward):
            piece.units = [record.unit]
            piece.links = [term.weight for term in record.terms]
            piece.sets += [
                ["h", record.unit, "h = " + fmt(record.h)],
                ["z", record.unit, "z = " + fmt(record.z)],
            ]
        elif isinstance(record, records.Delta):
            piece.units = [record.unit, *(term.unit for term in record.terms)]
            piece.links = [term.weight for term in record.terms]
            piece.sets.append(["d", record.unit, "δ = " + fmt(record.delta)])
        elif isinstance(record, records.Gradient):
            piece.units = [unit for unit in (record.source, record.target) if unit]
            piece.links = [record.weight]
            piece.sets.append(["g", record.weight, "J' = " + fmt(record.grad)])
        elif isinstance(record, records.Update):
            piece.links = [record.weight]
            piece.sets += [
                ["w", record.weight, " = " + fmt(record.new)],
                ["g", record.weight, "J' = " + fmt(record.grad)],
            ]

    # -- blocks as HTML -------------------------------------------------------------------------

    def _banner(self, block: layout.Banner) -> str:
        items = "".join(f"<li>{escaped(line)}</li>" for line in block.lines)
        return f'<h1>{escaped(block.title)}</h1><ul class="banner">{items}</ul>'

    def _block(self, block: layout.Block) -> str:
        printer = self.printer
        if isinstance(block, layout.Remark):
            tone = " alarm" if block.tone == "alarm" else ""
            return (
                f'<div class="remark{tone}" role="note"><strong>{escaped(block.title)}.</strong> '
                f"{escaped(block.text)}</div>"
            )
        if isinstance(block, layout.Heading):
            return f"<h2>{escaped(block.text)}</h2>"
        if isinstance(block, layout.Line):
            text = printer.cell(block.text)
            return f'<p class="line">{text}</p>' + _notes(block.notes)
        if not isinstance(block, layout.Grid):
            return ""
        if not block.matrix and len(_worked_columns(block)) > LISTED_COLUMNS:
            return self._listing(block)
        kind = "matrix" if block.matrix else "worked"
        title = f"<caption>{printer.cell(block.title)}</caption>" if block.title else ""
        head = ""
        if block.header:
            head = (
                "<thead><tr>"
                + "".join(
                    f'<th scope="col">{printer.cell(column)}</th>' for column in block.columns
                )
                + "</tr></thead>"
            )
        body = []
        for number, row in _numbered(block):
            cells = "".join(
                f"<t{'h' if column == 0 else 'd'}{self._style(cell)}>{printer.cell(cell)}"
                f"</t{'h' if column == 0 else 'd'}>"
                for column, cell in enumerate(row)
            )
            body.append(f'<tr data-row="{number}">{cells}</tr>')
        return (
            f'<table class="{kind}">{title}{head}<tbody>{"".join(body)}</tbody></table>'
            f"{self._caption(block)}{_notes(block.notes)}"
        )

    def _listing(self, block: layout.Grid) -> str:
        """A table too wide to read on a page (an optimizer's six columns) as a listing: each
        row's name and references, then one line per column, the column's formula lending
        its left side to the row's arithmetic, as the text format lists such tables."""
        printer = self.printer
        title = f"<caption>{printer.cell(block.title)}</caption>" if block.title else ""
        worked = _worked_columns(block)
        body = []
        for number, row in _numbered(block):
            subject = row[0] if isinstance(row[0], str) else None
            others = [cell for index, cell in enumerate(row[1:], 1) if index not in worked and cell]
            marks = "".join(f"<td{_mark(cell)}>{printer.cell(cell)}</td>" for cell in others)
            body.append(
                f'<tr data-row="{number}" class="name"><th>{printer.cell(row[0])}</th>'
                f"{marks or '<td></td>'}</tr>"
            )
            for index in worked:
                if not row[index]:
                    continue
                line = layout.listed(block.columns[index], row[index], subject)
                body.append(
                    f'<tr data-row="{number}"><td></td><td colspan="{max(len(others), 1)}">'
                    f"{printer.cell(line)}</td></tr>"
                )
        return (
            f'<table class="worked listing">{title}<tbody>{"".join(body)}</tbody></table>'
            f"{self._caption(block)}{_notes(block.notes)}"
        )

    def _style(self, cell: Any) -> str:
        """A cell's class: a reference's ✓ or ✗, or `long` for arithmetic whose line (in the
        tables' text) is too long to keep whole, which may then wrap at its spaces."""
        mark = _mark(cell)
        if mark or isinstance(cell, str):
            return mark
        longest = max(len(line) for line in self.measure.cell(cell).split("\n"))
        return ' class="long"' if longest > LONG_CELL else ""

    def _caption(self, block: layout.Grid) -> str:
        return f'<p class="caption">({escaped(block.caption)})</p>' if block.caption else ""

    def data(self) -> dict[str, Any]:
        blocks: dict[str, int] = {}
        pieces = [piece.data(blocks) for piece in self.pieces]
        return {"pieces": pieces, "blocks": list(blocks)}


def _worked_columns(block: layout.Grid) -> list[int]:
    """The columns of a table that hold arithmetic (not its names or its references)."""
    return [
        index
        for index in range(1, len(block.columns))
        if any(not isinstance(row[index], str) for row in block.rows if index < len(row))
    ]


def _numbered(block: layout.Grid) -> Iterator[tuple[int, tuple]]:
    """Each row with the piece it shows with: its own, or for rows after the records' own
    (references to units nothing computes) the last of them."""
    computed = sum(1 for row in block.rows if _is_computed(row))
    for index, row in enumerate(block.rows):
        yield min(index, max(computed - 1, 0)), row


def _is_computed(row: tuple) -> bool:
    """Whether a table row is a record's own, not a reference to a unit nothing computes."""
    return not any(
        isinstance(cell, str) and cell.startswith(("not computed", "no delta")) for cell in row
    )


def _mark(cell: Any) -> str:
    if isinstance(cell, str) and cell.startswith("✓"):
        return ' class="agrees"'
    if isinstance(cell, str) and "✗" in cell:
        return ' class="disagrees"'
    return ""


def _notes(notes: tuple[str, ...]) -> str:
    if not notes:
        return ""
    return '<ol class="notes">' + "".join(f"<li>{escaped(note)}</li>" for note in notes) + "</ol>"


def _subject(record: records.Record) -> str:
    return record.subject_name or ""


def _kind_words(record: records.Record) -> str:
    return {
        records.Note: "note",
        records.Weights: "weights",
        records.EpochEnd: "end of the epoch",
        records.Shuffle: "sample order",
        records.CheckSummary: "gradient check",
    }.get(type(record), record.kind.event)


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="backtrace">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<header>{banner}</header>
<nav class="controls" aria-label="Stepping through the trace">
<button type="button" id="back" aria-keyshortcuts="ArrowLeft">← Back</button>
<button type="button" id="next" aria-keyshortcuts="ArrowRight">Next →</button>
<button type="button" id="play" aria-pressed="false">Play</button>
<label>Speed <select id="speed"><option value="2000">slow</option><option value="1000" selected>normal</option><option value="400">fast</option><option value="100">fastest</option></select></label>
<label>Epoch <select id="epoch"></select></label>
<label>Sample <select id="sample"></select></label>
<p id="position" role="status" aria-live="polite"></p>
</nav>
<main>
<section class="picture" aria-label="The network">
{diagram}</section>
<section class="piece" aria-label="The current piece of the trace">
<div id="piece"></div>
<div id="origin" aria-live="polite"></div>
<div id="lines"></div>
</section>
</main>
<footer><p>Keys: → or space next, ← back, Home first, End last, p play or pause. Hover or focus a number to see where it came from; click a unit to list its lines.</p></footer>
<script type="application/json" id="trace">{data}</script>
<script>
{script}</script>
</body>
</html>
"""
