"""A worksheet's answer key, in each handout format and as data `backtrace grade` reads.

Each entry is a blank's number, the student's name for the value, the value at the
sheet's precision and the full worked line. JSON and CSV also carry every digit of the
value and where it sits in the trace (epoch, sample, step), so a key can grade answers.
"""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, TextIO

from backtrace.expressions.latex import LatexPrinter, MarkdownMathPrinter, text_escaped
from backtrace.expressions.nodes import Number
from backtrace.expressions.printing import TextPrinter
from backtrace.numbers import NumberFormatter, machine_number
from backtrace.renderers.latex import PREAMBLE
from backtrace.renderers.markdown import cell as markdown_cell

if TYPE_CHECKING:
    from backtrace.teaching.quiz import Worksheet

KEY_FORMATS = ("text", "markdown", "latex", "json", "csv")
CSV_COLUMNS = ("number", "name", "value", "printed", "epoch", "sample", "step", "line")
KEY_FORMAT_VERSION = 1


def heading(sheet: Worksheet) -> str:
    return (
        f"Answer key: {sheet.spec.source}, version {sheet.version} of {sheet.versions}, "
        f"seed {sheet.seed}"
    )


def render_key(sheet: Worksheet, name: str, out: TextIO, digits: int, math: bool = False) -> None:
    """Write the key of `sheet` in format `name`."""
    fmt = NumberFormatter(digits)
    if name == "json":
        out.write(json.dumps(key_data(sheet, digits), ensure_ascii=False, indent=2) + "\n")
    elif name == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for blank in key_data(sheet, digits)["blanks"]:  # the JSON key's entries, as rows
            writer.writerow(["" if blank[column] is None else blank[column] for column in CSV_COLUMNS])
    elif name == "latex":
        printer = LatexPrinter(fmt)
        out.write(PREAMBLE)
        out.write(f"\\section*{{{text_escaped(heading(sheet))}}}\n\\begin{{enumerate}}\n")
        for entry in sheet.key:
            value = printer.number(Number(entry.value, entry.address), False)
            out.write(
                f"  \\item[\\#{entry.number}] \\texttt{{{text_escaped(entry.name)}}} = ${value}$\\\\\n"
                f"  {printer.cell(entry.line)}\n"
            )
        out.write("\\end{enumerate}\n\\end{document}\n")
    elif name == "markdown":
        printer = MarkdownMathPrinter(fmt) if math else TextPrinter(fmt)
        out.write(
            f"# {heading(sheet)}\n\n| # | name | value | worked line |\n| --- | --- | ---: | --- |\n"
        )
        for entry in sheet.key:
            line = markdown_cell(printer.cell(entry.line))
            out.write(f"| {entry.number} | {entry.name} | {fmt(entry.value)} | {line} |\n")
    else:
        printer = TextPrinter(fmt)
        out.write(heading(sheet) + "\n\n")
        width = max((len(entry.name) for entry in sheet.key), default=0)
        for entry in sheet.key:
            line = printer.cell(entry.line).replace("\n", " ")
            out.write(f"  #{entry.number:<3} {entry.name:<{width}}  {fmt(entry.value)}\n")
            out.write(f"       {line}\n")


def sheet_sample(sheet: Worksheet) -> int | None:
    """The sample the sheet works: where its updates' blanks belong when graded."""
    return next((r.sample for r in sheet.records if r.event == "sample"), None)


def key_data(sheet: Worksheet, digits: int) -> dict:
    """The key as JSON-ready data, which `backtrace grade` reads back. It also says how the
    sheet's numbers were made (the seed its weights were drawn with, its slips), so that a
    key of any version grades against the same numbers."""
    fmt = NumberFormatter(digits)
    text = TextPrinter(fmt)
    config = sheet.spec.config
    return {
        "key": "backtrace quiz",
        "format_version": KEY_FORMAT_VERSION,
        "config": sheet.spec.source,
        "seed": sheet.seed,
        "weights_seed": config.seed,
        "slips": config.slips_written,
        "version": sheet.version,
        "versions": sheet.versions,
        "blanks": [
            {
                "number": entry.number,
                "name": entry.name,
                "quantity": entry.address.quantity,
                "subject": entry.address.subject,
                "epoch": entry.address.epoch,
                "sample": entry.address.sample or sheet_sample(sheet),
                "step": entry.address.step,
                "value": machine_number(entry.value, None)[0],
                "printed": fmt(entry.value),
                "line": text.cell(entry.line),
            }
            for entry in sheet.key
        ],
    }
