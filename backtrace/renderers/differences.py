"""A trace diff, as text for a person or JSON for a script: where two traces part first,
with both worked lines and the operands that differ marked ⟨like this⟩, then how many
values differ in each phase of each epoch and by how much at most."""

from __future__ import annotations

import json
from typing import TextIO

from backtrace.errors import printable
from backtrace.expressions.nodes import Address
from backtrace.expressions.printing import MarkedPrinter
from backtrace.numbers import NumberFormatter, format_number, machine_number
from backtrace.teaching.diff import TraceDiff

DIFF_FORMATS = ("text", "json")
QUANTITY_WORDS = {"h": "h", "z": "z", "loss": "loss", "delta": "δ", "grad": "gradient J'",
                  "new": "new value", "epoch loss": "mean loss", "final": "final value"}  # fmt: skip


def described(address: Address) -> str:
    """ "W10's new value, epoch 1, step 1"; "the loss, epoch 1, sample 2"."""
    what = QUANTITY_WORDS.get(address.quantity, address.quantity)
    subject = f"{address.subject}'s {what}" if address.subject else f"the {what}"
    where = [f"epoch {address.epoch}"] if address.epoch else []
    if address.sample:
        where.append(f"sample {address.sample}")
    if address.step and not address.sample:
        where.append(f"step {address.step}")
    return ", ".join([subject, *where])


def render_diff(diff: TraceDiff, name: str, out: TextIO, digits: int) -> None:
    if name == "json":
        out.write(json.dumps(diff_data(diff), ensure_ascii=False, indent=2) + "\n")
        return
    fmt = NumberFormatter(digits)
    a, b = (printable(n) for n in diff.names)
    out.write(f"A: {a}\nB: {b}\n")
    for note in diff.notes:
        out.write(f"Note: {printable(note)}\n")
    compared = sum(t.compared for t in diff.tallies.values())
    if diff.same:
        within = f" within {format_number(diff.tolerance, 17)}" if diff.tolerance else ""
        out.write(f"\nThe traces are the same: {compared} values agree{within}.\n")
        return
    first = diff.first
    if first is not None:
        printer = MarkedPrinter(fmt, first.marked)
        out.write(f"\nThey part first at {described(first.address)}: "
                  f"A {fmt(first.a.value)}, B {fmt(first.b.value)}\n")  # fmt: skip
        for label, part in (("A", first.a), ("B", first.b)):
            if part.line is not None:
                out.write(f"  {label}: {printer.cell(part.line).replace(chr(10), ' ')}\n")
        out.write("\n  phase     epoch  compared  differing  largest |A - B|\n")
        for (phase, epoch), tally in diff.tallies.items():
            largest = fmt(tally.largest) if tally.differing else "-"
            out.write(f"  {phase:<8}  {epoch:>5}  {tally.compared:>8}  {tally.differing:>9}  "
                      f"{largest}\n")  # fmt: skip
        differing = sum(t.differing for t in diff.tallies.values())
        out.write(f"\n{differing} of {compared} values differ.\n")
    if diff.only_a or diff.only_b:
        example = f" (for example {described(diff.example_only)})" if diff.example_only else ""
        out.write(f"Only in A: {diff.only_a} values; only in B: {diff.only_b}{example}. "
                  "Are they the same network, with the same selection?\n")  # fmt: skip


def _where(address: Address | None) -> dict | None:
    if address is None:
        return None
    return {"quantity": address.quantity, "subject": address.subject, "epoch": address.epoch,
            "sample": address.sample, "step": address.step}  # fmt: skip


def diff_data(diff: TraceDiff) -> dict:
    first = diff.first
    return {
        "a": diff.names[0],
        "b": diff.names[1],
        "same": diff.same,
        "tolerance": diff.tolerance,
        "first": None
        if first is None
        else {
            **(_where(first.address) or {}),
            "a": machine_number(first.a.value, None)[0],
            "b": machine_number(first.b.value, None)[0],
        },
        "by_phase": [
            {
                "phase": phase,
                "epoch": epoch,
                "compared": t.compared,
                "differing": t.differing,
                "largest": machine_number(t.largest, None)[0],
                "where": _where(t.where),
            }
            for (phase, epoch), t in diff.tallies.items()
        ],  # fmt: skip
        "only_a": diff.only_a,
        "only_b": diff.only_b,
    }
