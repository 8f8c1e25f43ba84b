"""Worksheets: one sample's worked step with some results left blank, and the answer key.

A blank replaces a result (the last number of a worked line), never an operand, so the
sheet still shows the arithmetic a student needs. Blanks are chosen from the trace's own
records by quantity, unit or weight and count, drawn with a seed, and numbered in the order
the trace computes them. Nothing here prints or lays out: renderers draw the sheet (with
`RenderOptions.blanks`) and the key (`renderers/key.py`), and lend it the worked lines.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence

from backtrace import records
from backtrace.config import Spec
from backtrace.config.schema import RandomWeights
from backtrace.errors import UsageError
from backtrace.expressions.nodes import Address, Blanks, Cell
from backtrace.frozen import frozen
from backtrace.teaching.results import results

# What a blank can be, in the words a student uses; the --blank choices.
BLANKABLE = ("h", "z", "loss", "delta", "grad", "new")
# The default mix for one sample: two forward values, the output delta, one hidden delta,
# two updates (drawn from what the sheet shows).
DEFAULT_MIX = (("forward", 2), ("output delta", 1), ("hidden delta", 1), ("new", 2))


@frozen
class Candidate:
    """A result that could be blanked: its address, the student's name for it, its value."""

    address: Address
    name: str  # h_Z1, z_Z1, loss, delta_D0, grad_W10, W10_new
    value: float
    group: str  # forward, loss, output delta, hidden delta, grad, new (for the default mix)


@frozen
class KeyEntry:
    number: int
    name: str
    address: Address
    value: float  # as computed, every digit
    line: Cell  # the full worked line, as a tree


@frozen
class Worksheet:
    spec: Spec
    seed: int
    version: int  # 1, 2 ... of `versions`
    versions: int
    records: tuple[records.Record, ...]  # what the sheet shows
    blanks: Blanks  # each blanked value's number, by the addresses it is printed under
    key: tuple[KeyEntry, ...]


def student_name(quantity: str, subject: str | None) -> str:
    """The name a student writes for a quantity: h_Z1, delta_D0, grad_W10, W10_new, loss."""
    if quantity == "loss":
        return "loss"
    if quantity == "new":
        return f"{subject}_new"
    return f"{quantity}_{subject}"


def candidates(trace: Iterable[records.Record], output_units: Sequence[str]) -> list[Candidate]:
    """Every result of the records that a sheet could leave blank, in trace order."""
    found = []
    for address, value, record in results(trace):
        quantity = address.quantity
        if isinstance(record, records.Update) and record.frozen:
            continue  # a frozen weight's "update" is no arithmetic to do
        group = {"h": "forward", "z": "forward"}.get(quantity, quantity)
        if quantity == "delta":
            group = "output delta" if address.subject in output_units else "hidden delta"
        found.append(Candidate(address, student_name(quantity, address.subject), value, group))
    return found


def chosen(
    found: list[Candidate],
    *,
    quantities: Sequence[str],
    units: Sequence[str],
    weights: Sequence[str],
    count: int | None,
    seed: int,
) -> list[Candidate]:
    """The blanks: those matching the filters, `count` of them drawn with `seed` (all when no
    count is given and a filter is; the default mix when neither is), in trace order."""
    subjects = {"h": units, "z": units, "delta": units, "grad": weights, "new": weights}
    for parameter, patterns, kinds in (
        ("unit", units, ("h", "z", "delta")),
        ("weight", weights, ("grad", "new")),
    ):
        names = {c.address.subject for c in found if c.address.quantity in kinds}
        for pattern in patterns:
            if not any(fnmatch.fnmatchcase(name or "", pattern) for name in names):
                raise UsageError(f"{pattern!r} matches no {parameter} on this sheet",
                                 parameter=parameter, value=pattern)  # fmt: skip
    pool = [
        candidate
        for candidate in found
        if (not quantities or candidate.address.quantity in quantities)
        and _matches(candidate.address.subject, subjects.get(candidate.address.quantity, ()))
        and (not (units or weights) or subjects.get(candidate.address.quantity, ()))
    ]
    if not pool:
        raise UsageError(
            "leaves nothing to blank on this sheet", parameter="blank", value=quantities
        )
    import numpy.random  # a statement, not numpy's lazy attribute: see engine.network.generator

    rng = numpy.random.default_rng(seed)
    if count is None and not (quantities or units or weights):
        picked: list[Candidate] = []
        for group, wanted in DEFAULT_MIX:
            members = [c for c in pool if c.group == group]
            take = min(wanted, len(members))
            picked += [members[i] for i in rng.choice(len(members), take, replace=False)]
    elif count is None:
        picked = pool
    else:
        if count > len(pool):
            raise UsageError(
                f"asks for more blanks than the {len(pool)} results the sheet can blank",
                parameter="count",
                value=count,
            )
        picked = [pool[i] for i in rng.choice(len(pool), count, replace=False)]
    order = {candidate.address: index for index, candidate in enumerate(found)}
    return sorted(picked, key=lambda candidate: order[candidate.address])


def _matches(subject: str | None, patterns: Sequence[str]) -> bool:
    return not patterns or (
        subject is not None and any(fnmatch.fnmatchcase(subject, p) for p in patterns)
    )


def sheet_records(trace: Iterable[records.Record]) -> tuple[records.Record, ...]:
    """What a worksheet shows: the step's arithmetic and the weights it starts from, without
    what would give answers away (reference values, the epoch's mean loss, the weights after
    it)."""
    hidden = (records.Reference, records.EpochEnd, records.Check, records.CheckSummary)
    return tuple(
        record
        for record in trace
        if not isinstance(record, hidden)
        and not (isinstance(record, records.Weights) and record.when == "final")
    )


def randomly_initialised(spec: Spec) -> bool:
    """Whether any weights are drawn from the seed, so that a new seed gives new numbers."""
    return any(isinstance(layer.weights, RandomWeights) for layer in spec.config.layers)


def worksheet(
    spec: Spec,
    shown: tuple[records.Record, ...],
    lines: Mapping[Address, Cell],
    *,
    seed: int,
    version: int = 1,
    versions: int = 1,
    quantities: Sequence[str] = (),
    units: Sequence[str] = (),
    weights: Sequence[str] = (),
    count: int | None = None,
    show_uses: bool = False,
) -> Worksheet:
    """One version of a worksheet: `shown`, the records it shows (`sheet_records`), and
    `lines`, each result's full worked line by the result's address (the renderers'
    `layout.worked_lines`), from which the key is made."""
    if any(isinstance(record, records.Diverged) for record in shown):
        raise UsageError("diverges before the sheet's step ends; choose another sample or epoch")
    outputs = spec.names.layers[-1].units
    picked = chosen(
        candidates(shown, outputs),
        quantities=quantities,
        units=units,
        weights=weights,
        count=count,
        seed=seed,
    )
    missing = [c.name for c in picked if c.address not in lines]
    if missing:  # a result the tables do not show as a worked line cannot be a blank
        picked = [c for c in picked if c.address in lines]
    numbered = {candidate.address: number for number, candidate in enumerate(picked, start=1)}
    key = tuple(
        KeyEntry(numbered[c.address], c.name, c.address, c.value, lines[c.address]) for c in picked
    )
    if not show_uses:  # the same values where later lines print them, under their addresses
        numbered |= {
            alias: numbered[address]
            for address in list(numbered)
            for alias in _printed_as(address, shown, outputs)
        }
    blanks = Blanks(numbered, everywhere=not show_uses)
    drawn = (
        f" Its weights are drawn with seed {spec.config.seed} (the config's, plus {seed})."
        if randomly_initialised(spec)
        else ""
    )
    heading = records.Note(
        "worksheet",
        f"Worksheet, version {version} of {versions}, seed {seed}: fill in the {len(key)} "
        f"numbered blank{'s' if len(key) != 1 else ''}. The same sheet comes again with "
        f"--seed {seed}.{drawn}",
    )
    with_heading = _after_start(shown, heading)
    return Worksheet(spec, seed, version, versions, with_heading, blanks, key)


def _printed_as(
    address: Address, shown: Sequence[records.Record], outputs: Sequence[str]
) -> list[Address]:
    """The other addresses a result is printed under in later lines: an output's z as the
    loss's ŷ, a delta in a gradient (which knows its step), a one-sample step's gradient as
    the J of its update."""
    steps = {(r.epoch, r.sample): r.step for r in shown if isinstance(r, records.Sample)}
    single = {
        (r.epoch, r.step) for r in shown if isinstance(r, records.Update) and len(r.samples) == 1
    }
    quantity, subject, epoch, sample = (
        address.quantity,
        address.subject,
        address.epoch,
        address.sample,
    )
    if quantity == "z" and subject in outputs:
        return [Address("output", subject, epoch, sample)]
    if quantity == "delta":
        return [Address("delta", subject, epoch, sample, steps.get((epoch, sample)))]
    if quantity == "grad" and (epoch, address.step) in single:
        return [Address("J", subject, epoch, None, address.step)]
    return []


def _after_start(
    shown: tuple[records.Record, ...], note: records.Note
) -> tuple[records.Record, ...]:
    if shown and isinstance(shown[0], records.Start):
        return (shown[0], note, *shown[1:])
    return (note, *shown)
