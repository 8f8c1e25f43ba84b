"""A graded answer file, as text for the student or JSON for a script.

Text gives one line per answer (✓, or ✗ with the right value), and under a wrong one its
worked line with the operand at fault marked ⟨like this⟩ and the likely cause; then a
summary line, `7 of 9 right`.
"""

from __future__ import annotations

import json
from typing import TextIO

from backtrace.errors import printable
from backtrace.expressions.printing import MarkedPrinter
from backtrace.numbers import NumberFormatter, format_number, machine_number
from backtrace.teaching.grading import Report, Verdict

GRADE_FORMATS = ("text", "json")


def summary(report: Report) -> str:
    how = (
        f"within {format_number(report.tolerance, 17)}"
        if report.tolerance is not None
        else f"to the {report.digits} significant digits the trace prints"
    )
    return f"{report.right} of {len(report.verdicts)} right ({how})"


def cause_text(verdict: Verdict) -> str:
    if verdict.cause is None:
        return "no single slip explains it"
    text = f"your {verdict.answer.name} = {verdict.answer.text}: {verdict.cause}"
    if verdict.explains:
        count = len(verdict.explains)
        text += f"; {count} later answer{'s follow' if count != 1 else ' follows'} from this one"
    return text + "."


def render_grades(report: Report, name: str, out: TextIO) -> None:
    fmt = NumberFormatter(report.digits)
    if name == "json":
        out.write(json.dumps(grades_data(report), ensure_ascii=False, indent=2) + "\n")
        return
    width = max((len(v.answer.name) for v in report.verdicts), default=0)
    for verdict in report.verdicts:
        answer = verdict.answer
        where = f"  (epoch {answer.epoch}, sample {answer.sample})" if _several(report) else ""
        name_text = printable(answer.name).ljust(width)
        if verdict.passed:
            out.write(f"✓ {name_text}  {printable(answer.text)}{where}\n")
            continue
        out.write(
            f"✗ {name_text}  {printable(answer.text)}: the right value is "
            f"{fmt(verdict.right)}{where}\n"
        )
        if verdict.line is not None:
            printer = MarkedPrinter(fmt, verdict.marked)
            out.write(f"    {printer.cell(verdict.line).replace(chr(10), ' ')}\n")
        out.write(f"    {cause_text(verdict)}\n")
    out.write(summary(report) + "\n")


def _several(report: Report) -> bool:
    return len({(v.answer.epoch, v.answer.sample) for v in report.verdicts}) > 1


def grades_data(report: Report) -> dict:
    fmt = NumberFormatter(report.digits)
    return {
        "right": report.right,
        "answers": len(report.verdicts),
        "grades": [
            {
                "name": v.answer.name,
                "quantity": v.answer.quantity,
                "subject": v.answer.subject,
                "epoch": v.answer.epoch,
                "sample": v.answer.sample,
                "given": v.answer.value,
                "right": machine_number(v.right, None)[0],
                "passed": v.passed,
                "tolerance": v.tolerance,
                "line": None
                if v.line is None
                else MarkedPrinter(fmt, v.marked).cell(v.line),
                "cause": v.cause,
                "follows_from": v.follows_from.answer.name if v.follows_from else None,
                "explains": [later.answer.name for later in v.explains],
            }
            for v in report.verdicts
        ],
    }
