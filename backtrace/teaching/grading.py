"""Grading a student's numbers against the trace, and saying where a wrong one went wrong.

Each answer is compared with the value the trace computes for it, within half a unit in
the last digit the worksheet prints (or a tolerance given). A wrong answer gets its worked
line and, where one explains it, a cause: the operand that, changed in one of the classic
ways, gives exactly the student's number. The ways tried, in order: another of the
student's wrong answers used as the operand (so one slip explains later ones), the whole
sign flipped, one operand's sign flipped, an input taken as another value, a weight taken
as already updated (stale weights), a factor of 2, and rounding too early. Every guess is
checked by evaluating the line's own tree with the changed number, never by pattern.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backtrace import records
from backtrace.errors import ConfigError
from backtrace.expressions.evaluation import NotComputable, evaluate
from backtrace.expressions.nodes import Address, Cell, Chain, Number, numbers, numbers_mapped
from backtrace.frozen import frozen
from backtrace.numbers import format_number
from backtrace.teaching.answers import Answer, decimals_written
from backtrace.teaching.results import results

Key = tuple[str, str | None, int, int]  # quantity, subject, epoch, sample
# The operands whose sign a student may flip, the likeliest first (a rate or a setting is
# not among them: no textbook slip flips α).
SIGN_SLIPS = ("delta", "grad", "J", "output", "target", "z", "h", "weight", "W")


@dataclass
class Verdict:
    answer: Answer
    right: float
    passed: bool
    tolerance: float
    line: Cell | None  # the right worked line
    cause: str | None = None  # what most likely went wrong
    marked: frozenset[Address] = frozenset()  # the operands the cause names
    follows_from: Verdict | None = None  # the wrong answer this one follows from
    explains: list[Verdict] = field(default_factory=list)  # later answers that follow


@frozen
class Report:
    verdicts: tuple[Verdict, ...]
    tolerance: float | None  # as given; None: from the printed digits
    digits: int

    @property
    def right(self) -> int:
        return sum(verdict.passed for verdict in self.verdicts)


def computed_values(trace: Iterable[records.Record]) -> dict[Key, tuple[float, Address]]:
    """Each value a student could be asked for, by (quantity, subject, epoch, sample), with
    the address of the number that is its result in the worked lines."""
    found: dict[Key, tuple[float, Address]] = {}
    for address, value, record in results(trace):
        # An update follows each of its samples; every other result belongs to one.
        samples = record.samples if isinstance(record, records.Update) else (address.sample,)
        for sample in samples:
            found[(address.quantity, address.subject, address.epoch, sample)] = (value, address)
    return found


def printed_tolerance(value: float, digits: int) -> float:
    """Half a unit in the `digits`-th significant digit of `value`: 5e-6 for 1 at six digits,
    5e-7 for 0.3775. Counted from the value's leading digit, not from how briefly it prints
    (1 prints as "1", yet six digits of it are 1.00000). A zero takes the unit of its
    `digits`-th decimal."""
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    return 0.5 * 10.0 ** (magnitude - digits + 1) + 4 * math.ulp(value)


def grade(
    trace: Sequence[records.Record],
    answers: Sequence[Answer],
    lines: Mapping[Address, Cell],
    *,
    inputs: Sequence[str],
    source: str,
    tolerance: float | None = None,
    digits: int = 6,
) -> Report:
    """Each answer judged against `trace` (the epochs the answers name, traced in full);
    `lines` are its worked lines by their results' addresses (`layout.worked_lines`)."""
    values = computed_values(trace)
    inputs_by_sample = _inputs(trace)
    verdicts: list[Verdict] = []
    for answer in answers:
        key = (answer.quantity, answer.subject, answer.epoch, answer.sample)
        if key not in values:
            what = (
                "the loss" if answer.subject is None else f"{answer.quantity} of {answer.subject}"
            )
            raise ConfigError(
                f"the trace has no {what} in epoch {answer.epoch}, sample {answer.sample} "
                "(an input unit has no h or delta, a frozen weight no update)",
                source=source, field=f"{answer.name}", line=answer.line,
            )  # fmt: skip
        right, address = values[key]
        allowed = tolerance if tolerance is not None else printed_tolerance(right, digits)
        passed = abs(answer.value - right) <= allowed
        verdicts.append(Verdict(answer, right, passed, allowed, lines.get(address)))
    wrong: dict[tuple, Verdict] = {}
    for verdict in verdicts:
        if not verdict.passed:
            for key in _keys(_address_of(values, verdict.answer)):
                wrong.setdefault(key, verdict)
    formed = _expressions(lines)

    def carried(address: Address, seen: frozenset[Address]) -> tuple[float | None, list[Verdict]]:
        """A number as the student's own wrong answers make it: their answer where they gave
        one, else its line evaluated with what they gave for its operands (so a wrong δ
        reaches an update through a gradient they never wrote down); None where none did."""
        keys = _keys(address)
        given = next((wrong[k] for k in keys if k in wrong), None)
        if given is not None:
            return given.answer.value, [given]
        expression = next((formed[k] for k in keys if k in formed), None)
        if expression is None or address in seen or len(seen) > 8:
            return None, []
        changes: dict[Address, float] = {}
        sources: list[Verdict] = []
        for operand in numbers(expression):
            if operand.address is None:
                continue
            value, found = carried(operand.address, seen | {address})
            if value is not None and found:
                changes[operand.address] = value
                sources += [v for v in found if v not in sources]
        if not changes:
            return None, []
        return _evaluated(expression, changes), sources

    for verdict in verdicts:
        if not verdict.passed:
            _diagnose(verdict, wrong, values, inputs, inputs_by_sample, digits, carried)
    report = Report(tuple(verdicts), tolerance, digits)
    chains_explained(report)
    return report


def _expressions(lines: Mapping[Address, Cell]) -> dict[tuple, Any]:
    """Each worked line's arithmetic (its last part before the result), found as `_keys`
    finds an answer."""
    found: dict[tuple, Any] = {}
    for address, line in lines.items():
        chain = line[-1] if line and isinstance(line[-1], Chain) else None
        if chain is not None and len(chain.parts) > 1:
            for key in _keys(address):
                found.setdefault(key, chain.parts[-2])
    return found


def _evaluated(expression: Any, changes: Mapping[Address, float]) -> float | None:
    """The arithmetic's value with the numbers at `changes` replaced; None if it has none."""
    changed = numbers_mapped(
        expression,
        lambda n: Number(changes[n.address], n.address) if n.address in changes else n,
    )
    try:
        return float(evaluate(changed))
    except (NotComputable, ZeroDivisionError, OverflowError, ValueError, TypeError):
        return None


# What an operand of a line is, as the quantity a student answers: an update's J is the
# step's gradient, a loss's ŷ the output unit's z.
AS_ANSWERED = {"J": "grad", "output": "z"}


def _keys(address: Address) -> list[tuple]:
    """The ways an answer or an operand is found: by its sample, and by its step (an update's
    operands know only the step; a one-sample step's gradient is the sample's)."""
    quantity = AS_ANSWERED.get(address.quantity, address.quantity)
    where = (quantity, address.subject, address.epoch)
    keys = []
    if address.sample is not None:
        keys.append((*where, "sample", address.sample))
    if address.step is not None:
        keys.append((*where, "step", address.step))
    return keys


def _address_of(values: dict[Key, tuple[float, Address]], answer: Answer) -> Address:
    return values[(answer.quantity, answer.subject, answer.epoch, answer.sample)][1]


def _inputs(trace: Iterable[records.Record]) -> dict[tuple[int, int], dict[str, float]]:
    return {(r.epoch, r.sample): dict(r.inputs) for r in trace if isinstance(r, records.Sample)}


def _diagnose(
    verdict: Verdict,
    wrong: dict[tuple, Verdict],
    values: dict[Key, tuple[float, Address]],
    inputs: Sequence[str],
    inputs_by_sample: dict[tuple[int, int], dict[str, float]],
    digits: int,
    carried: Any,
) -> None:
    given, answer = verdict.answer.value, verdict.answer
    close = max(verdict.tolerance, _written_tolerance(answer))

    def matches(value: float | None) -> bool:
        return value is not None and abs(value - given) <= close

    chain = verdict.line[-1] if verdict.line and isinstance(verdict.line[-1], Chain) else None
    expression = chain.parts[-2] if chain is not None and len(chain.parts) > 1 else None
    operands = [n for n in numbers(expression) if n.address is not None] if expression else []

    def with_value(address: Address, value: float) -> float | None:
        return with_values({address: value})

    def with_values(changes: dict[Address, float]) -> float | None:
        return None if expression is None else _evaluated(expression, changes)

    # 1. One of the student's own wrong answers, used as an operand here.
    for operand in operands:
        earlier = next((wrong[k] for k in _keys(operand.address) if k in wrong), None)
        if earlier is not None and earlier is not verdict:
            if matches(with_value(operand.address, earlier.answer.value)):
                verdict.follows_from = earlier
                verdict.marked = frozenset({operand.address})
                verdict.cause = (
                    f"it follows from your {earlier.answer.name} = {earlier.answer.text}: with "
                    "that value the line gives your number"
                )
                return
    # 1b. The student's wrong answers, carried here through lines they did not write down.
    changes: dict[Address, float] = {}
    sources: list[Verdict] = []
    for operand in operands:
        value, found = carried(operand.address, frozenset())
        if value is not None and found and verdict not in found:
            changes[operand.address] = value
            sources += [v for v in found if v not in sources]
    if sources and matches(with_values(changes)):
        verdict.follows_from = sources[0]
        verdict.marked = frozenset(changes)
        names = " and ".join(f"{v.answer.name} = {v.answer.text}" for v in sources)
        verdict.cause = f"it follows from your {names}, carried through the lines between"
        return
    # 2. The whole sign.
    if given != 0 and matches(-verdict.right):
        verdict.cause = "it has the right size but the opposite sign"
        return
    # 3. One operand's sign, 4. an input taken as another value, 5. a stale weight.
    signed = sorted(
        (o for o in operands if o.address.quantity in SIGN_SLIPS),
        key=lambda o: SIGN_SLIPS.index(o.address.quantity),
    )
    for operand in signed:
        value = operand.value
        if value != 0 and matches(with_value(operand.address, -value)):
            verdict.marked = frozenset({operand.address})
            verdict.cause = (
                f"it is what the line gives with the sign of {_named(operand.address)} flipped "
                f"({format_number(-value, digits)} instead of {format_number(value, digits)})"
            )
            return
    stale = {
        o.address: updated[0]
        for o in operands
        if o.address.quantity == "weight"
        and (
            updated := values.get(
                ("new", o.address.subject, o.address.epoch or 1, o.address.sample or 1)
            )
        )
        is not None  # fmt: skip
        and updated[0] != o.value
    }
    if len(stale) > 1 and matches(with_values(stale)):
        verdict.marked = frozenset(stale)
        verdict.cause = (
            f"it uses the updated {', '.join(a.subject or '' for a in stale)} (stale weights): "
            "this step's deltas use the weights its forward pass used"
        )
        return
    for operand in operands:
        address = operand.address
        if address.quantity == "z" and address.subject in inputs:
            seen = inputs_by_sample.get((address.epoch or 1, address.sample or 1), {})
            actual = seen.get(address.subject, operand.value)
            others = {v for (_, _), row in inputs_by_sample.items() for v in row.values()}
            for guess in sorted(others | {1.0 - actual, 0.0, 1.0} - {actual}):
                if matches(with_value(address, guess)):
                    verdict.marked = frozenset({address})
                    verdict.cause = (
                        f"it assumes {address.subject} = {format_number(guess, digits)}; "
                        f"{address.subject} = {format_number(actual, digits)} for this sample"
                    )
                    return
        if address.quantity == "weight":
            updated = values.get(("new", address.subject, address.epoch or 1, address.sample or 1))
            if (
                updated is not None
                and updated[0] != operand.value
                and matches(with_value(address, updated[0]))
            ):
                verdict.marked = frozenset({address})
                verdict.cause = (
                    f"it uses {address.subject}'s updated value {format_number(updated[0], digits)} "
                    "(stale weights): this step's deltas use the weights its forward pass used"
                )
                return
    # 6. A factor of two, 7. rounding too early.
    if matches(2 * verdict.right):
        verdict.cause = "it is twice the right value (a ½ dropped, or a 2 kept?)"
    elif matches(verdict.right / 2):
        verdict.cause = "it is half the right value (a ½ added, or a 2 dropped?)"
    else:
        places = decimals_written(answer.text)
        if places is not None and round(verdict.right, places) == round(given, places):
            verdict.cause = (
                f"it is the right value rounded to {places} decimal"
                f"{'s' if places != 1 else ''}; give more digits"
            )


def _written_tolerance(answer: Answer) -> float:
    places = decimals_written(answer.text)
    return 0.0 if places is None else 0.5 * 10.0**-places + 4 * math.ulp(answer.value)


def _named(address: Address) -> str:
    """How a line's operand is named in a cause: δ_Z1, J'(W10), X1, z_Z1, W10, ŷ, y."""
    subject = address.subject or ""
    return {
        "delta": f"δ_{subject}",
        "grad": f"J'({subject})",
        "J": f"J'({subject})",
        "h": f"h_{subject}",
        "z": subject,  # a sum writes the sending unit's name for its value
        "weight": subject,
        "W": subject,
        "output": f"ŷ of {subject}",
        "target": f"y of {subject}",
    }.get(address.quantity, f"{address.quantity} of {subject}")


def chains_explained(report: Report) -> None:
    """Fill each wrong answer's `explains`: the later wrong answers that follow from it,
    directly or through others."""
    for verdict in report.verdicts:
        root = verdict.follows_from
        seen = set()
        while root is not None and id(root) not in seen:
            seen.add(id(root))
            root.explains.append(verdict)
            root = root.follows_from
