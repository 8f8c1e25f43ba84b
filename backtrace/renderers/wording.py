"""The words around the arithmetic, shared by every human-readable renderer: headings,
the footnotes of references that disagree, and how many digits tell two numbers apart.

The arithmetic itself is a tree (`backtrace.expressions`), printed by each format's printer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from backtrace import records
from backtrace.numbers import ALL_DIGITS, HUMAN_DIGITS, NumberFormatter

Formatter = Callable[[float], str]


def reference_note(group: Sequence[records.Reference], fmt: Formatter) -> str:
    """One footnote for references that disagree in the same way: what the text prints, what
    was computed, and the config's explanation."""
    first = group[0]
    names = ", ".join(reference_target(reference) for reference in group)
    fmt = telling_apart(first, fmt)
    if first.computed is None:
        computed = "the tool computes no such value"
    else:
        computed = f"computed {fmt(first.computed)}"
    text = f"{first.source} prints {fmt(first.printed)} for {names}; {computed}."
    return f"{text} {first.note}" if first.note else text


def telling_apart(reference: records.Reference, fmt: Formatter) -> Formatter:
    """`fmt`, or one with just enough more digits to show how a disagreeing reference's
    printed and computed values differ: 0.291027924 against 0.291027774, where six digits
    would print 0.291028 for both."""
    printed, computed = reference.printed, reference.computed
    if computed is None or fmt(printed) != fmt(computed):
        return fmt
    for digits in range(digits_of(fmt) + 1, ALL_DIGITS + 1):
        finer = NumberFormatter(digits)
        if finer(printed) != finer(computed):
            return finer
    return fmt


def disagreements(references: Sequence[records.Reference]) -> list[list[records.Reference]]:
    """References that disagree, grouped so that one explanation covers each group."""
    groups: dict[tuple, list[records.Reference]] = {}
    for reference in references:
        if not reference.agrees:
            groups.setdefault((reference.note, reference.printed, reference.computed), []).append(
                reference
            )
    return list(groups.values())


def reference_target(reference: records.Reference) -> str:
    if reference.quantity == "delta":
        return f"δ_{reference.name}"
    if reference.quantity in ("h", "z"):
        return f"{reference.quantity} of {reference.name}"
    if reference.quantity == "grad":
        return f"J'({reference.name})"
    return reference.name or "the loss"


def update_heading(record: records.Update) -> str:
    """'Update, step 1 (sample 1)', or '... (samples 1-4, mean gradient)' for a batch."""
    samples = record.samples
    span = (
        f"sample {samples[0]}"
        if len(samples) == 1
        else f"samples {samples[0]}-{samples[-1]}, mean gradient"
    )
    return f"Update, step {record.step} ({span})"


def weights_heading(
    record: records.Weights, shown_samples: Sequence[int] = (), samples: int = 0
) -> str:
    """The heading, "Weights after epoch 2"; when the trace above showed only some of the samples, the
    heading says that these weights come after all of them, lest they look like the shown
    step's result."""
    if record.when == "initial":
        return "Initial weights"
    heading = f"Weights after epoch {record.epoch}"
    if shown_samples and len(shown_samples) < samples:
        which = ", ".join(str(sample) for sample in shown_samples)
        only = f"sample{'s' if len(shown_samples) > 1 else ''} {which}"
        heading += f", after all {samples} samples (the trace above shows {only} only)"
    return heading


def checks_approximations(fmt: Formatter, exact: bool) -> bool:
    """Whether lines printed with `fmt` need their "≈" marks: floats printed with fewer than
    every digit. At 17 digits every "=" holds by construction, as in an exact run."""
    return not exact and digits_of(fmt) < ALL_DIGITS


def digits_of(fmt: Formatter) -> int:
    """The significant digits a formatter prints: a `NumberFormatter`, or a partial of
    `format_number`."""
    digits = getattr(fmt, "digits", None)
    if digits is None:
        digits = (getattr(fmt, "keywords", None) or {}).get("digits", HUMAN_DIGITS)
    return digits
