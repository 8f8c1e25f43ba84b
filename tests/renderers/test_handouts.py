"""Handouts: LaTeX documents that compile, Markdown math that a real renderer typesets, and
tables that stay readable at 80 columns."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import backtrace
from backtrace.expressions.latex import LatexPrinter, name, text_escaped
from backtrace.expressions.nodes import Number, Root, Symbol, equation, minus, over, plus, times
from backtrace.numbers import NumberFormatter
from backtrace.renderers import layout, text
from helpers import invoke_in

HANDOUTS = [("xor", {}), ("xor-sigmoid", {}), ("mazur", {}), ("xor-adam", {}),
            ("iris", {"sample": 1}), ("xor-deep", {})]  # fmt: skip
PAGE_SLACK_PT = 1.0  # TeX reports boxes a hair too wide that no reader sees


def handout(config: str, **selection) -> str:
    return backtrace.run(backtrace.load(config), **selection).render("latex")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(("config", "selection"), HANDOUTS)
def test_latex_handouts_compile_without_errors_or_overfull_lines(
    config: str, selection: dict, tmp_path: Path
) -> None:
    (tmp_path / "handout.tex").write_text(handout(config, **selection))
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "handout.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    log = (tmp_path / "handout.log").read_text(errors="replace")
    assert result.returncode == 0, log[-3000:]
    assert not re.search(r"^! ", log, re.MULTILINE)
    overfull = [float(points) for points in re.findall(r"Overfull \\hbox \((\d+\.\d+)pt", log)]
    assert all(points <= PAGE_SLACK_PT for points in overfull), overfull
    assert (tmp_path / "handout.pdf").stat().st_size > 10_000


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_a_hostile_title_and_labels_still_compile(tmp_path: Path) -> None:
    from helpers import article_document

    document = article_document()
    document["title"] = "}\\input{/etc/passwd}$%&#_^~\\ ü 😀 end"
    tex = backtrace.run(document, sample=1).render("latex")
    assert "\\input{/etc" not in tex
    (tmp_path / "hostile.tex").write_text(tex)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
         "hostile.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, (tmp_path / "hostile.log").read_text(errors="replace")[-2000:]


def test_latex_uses_the_networks_names_as_subscripts() -> None:
    tex = handout("xor", sample=1)
    assert r"W_{10} \cdot X_{0}" in tex and r"\delta_{Z1}" in tex and r"\delta_{D0}" in tex
    assert r"\begin{align*}" in tex and r"\begin{tikzpicture}" in tex
    # The article's slips as in the tables: a ✗ with its footnote, at the row it concerns.
    assert r"W11; \ding{55} prints 1.4 [1]" in tex
    assert "the article prints 1.4 for W11, W21, W31, W12, W22, W32; computed 1." in tex
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")


def test_a_fragment_is_only_the_body() -> None:
    fragment = backtrace.run(backtrace.load("xor"), sample=1).render("latex", fragment=True)
    assert r"\documentclass" not in fragment and r"\begin{document}" not in fragment
    assert fragment.startswith("% backtrace handout: needs \\usepackage{")
    assert r"\begin{align*}" in fragment


def test_selections_work_for_handouts() -> None:
    tex = handout("xor", sample=2, phase=["backward"], unit=["Z1"])
    # Z1's delta line and no other unit's; no forward sums (gradients belong to the backward
    # phase, and name other deltas as operands).
    assert r"\delta_{Z1} & = " in tex and r"\delta_{Z2} & = " not in tex
    assert r"W_{10} \cdot X_{0}" not in tex


def test_latex_math_reads_like_the_formula() -> None:
    printer = LatexPrinter(NumberFormatter(6))
    adam = minus(Symbol("W"), over(times(Symbol("α"), Symbol("m", hat=True)),
                                   plus(Root(Symbol("v", hat=True)), Symbol("ε"))))  # fmt: skip
    assert printer.node(adam) == r"W - \frac{\alpha \cdot \hat{m}}{\sqrt{\hat{v}} + \varepsilon}"
    assert printer.node(equation(Symbol("m"), Number(0.65), relation=":=")) == (
        r"m \mathrel{:=} 0.65"
    )
    assert printer.node(times(Number(1e-8), Number(-4.0))) == r"10^{-8} \cdot (-4)"
    assert printer.node(Number(__import__("fractions").Fraction(-7, 5))) == r"-\frac{7}{5}"
    assert name("W12_3") == "W_{12,3}" and name("β1") == r"\beta_{1}"


@pytest.mark.parametrize("hostile", ["a}b", "x\\input{/etc/passwd}", "$%&#_^~", "\x1b[2Jz", "😀"])
def test_names_from_a_config_cannot_break_a_document(hostile: str) -> None:
    for escaped in (name(hostile), text_escaped(hostile)):
        assert "\x1b" not in escaped and "\\input" not in escaped
        unescaped_braces = re.sub(r"\\[{}]", "", escaped)
        assert unescaped_braces.count("{") == unescaped_braces.count("}")
        assert all(ord(char) < 256 for char in escaped)


def markdown_math_html(page: str) -> str:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").enable("table").use(dollarmath_plugin).render(page)


def test_markdown_math_renders_as_math_in_a_markdown_renderer() -> None:
    page = backtrace.run(backtrace.load("xor"), sample=1).render("markdown", math=True)
    html = markdown_math_html(page)
    formulas = re.findall(r'<span class="math inline">(.*?)</span>', html)
    assert any("W_{10} \\cdot X_{0}" in formula for formula in formulas)
    assert any(formula.startswith("\\delta_{Z1} = ") for formula in formulas)
    assert len(formulas) > 40
    # Every dollar sign was taken as math: none is left over as text.
    assert "$" not in re.sub(r'<span class="math inline">.*?</span>', "", html)


def test_math_and_fragment_belong_to_their_formats() -> None:
    result = invoke_in(["run", "xor", "--math", "--format", "text"])
    assert result.status == 2 and "--math" in result.stderr and "markdown" in result.stderr
    result = invoke_in(["run", "xor", "--fragment"])
    assert result.status == 2 and "--fragment" in result.stderr


@pytest.mark.parametrize("config", ["xor-adam", "xor-momentum", "iris"])
@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_no_header_is_broken_into_more_than_two_lines(config: str, width: int) -> None:
    # The newcomer's finding: Adam's update table at 80 columns broke each heading into
    # four or five one-word lines.
    trace = backtrace.run(backtrace.load(config), sample=1, phase=["update"])
    room = width - len(text.INDENT)
    drawn = 0
    for block in layout.blocks(trace, NumberFormatter(6)):
        if not isinstance(block, layout.Grid):
            continue
        for part in layout.fitted(block, lambda grid: text.fits(grid, room) is not None):
            if not part.header or part.matrix:
                continue
            cells = text.table_cells(part)
            widths = layout.column_widths(
                cells, room - len(text.GAP) * (len(part.columns) - 1), matrix=part.matrix
            )
            for title, column_width in zip(part.columns, widths):
                assert len(layout.cell_lines(title, column_width)) <= 2, (title, width)
            drawn += 1
    assert drawn or config != "xor-momentum"  # Adam's seven columns read as a listing


def test_a_listing_names_each_line_for_its_weight() -> None:
    out = backtrace.run(backtrace.load("xor-adam"), sample=1).render("text", width=80)
    assert "W10 := 1 - 0.1·6.5/(√42.25 + 1e-8) = 0.9" in out  # 1 - 0.1·6.5/6.5 by hand
    assert "m := 0.9·0 + (1 - 0.9)·6.5 = 0.65" in out


def test_a_hat_takes_no_column_of_its_own() -> None:
    # m̂ is m and a combining hat: one column on screen, two characters in the string.
    out = backtrace.run(backtrace.load("xor-adam"), sample=1, phase=["update"]).render(
        "text", width=150
    )
    header = next(line for line in out.splitlines() if "m̂ = m/(1 - β1^t)" in line)
    row = next(line for line in out.splitlines() if "0.65/(1 - 0.9) = 6.5" in line)
    assert layout.width_of(header[: header.index("m̂ = m/")]) == layout.width_of(
        row[: row.index("0.65/(1 - 0.9)")]
    )
    assert layout.width_of(header[: header.index("v̂ = v/")]) == layout.width_of(
        row[: row.index("0.04225/(1")]
    )


def test_prose_inside_markdown_math_keeps_the_math_whole() -> None:
    # A softmax output under the squared error writes its delta's chain rule in words.
    spec = backtrace.load("xor-sigmoid", ["layers[1].activation=softmax", "loss=squared_error"])
    page = backtrace.run(spec, sample=1).render("markdown", math=True)
    html = markdown_math_html(page)
    assert "\\partial" in html
    assert "$" not in re.sub(r'<span class="math inline">.*?</span>', "", html)


def test_settings_print_in_full_so_the_arithmetic_holds() -> None:
    # At three digits β2 = 0.9999 would read 1, and 1 - 1 = 0 cannot be divided by.
    spec = backtrace.load("xor-adam", ["optimizer.beta2=0.9999"])
    out = backtrace.run(spec, sample=1, phase=["update"]).render("text", width=250, precision=3)
    assert "0.9999·0 + (1 - 0.9999)·6.5² = 0.00422" in out  # 0.0001·42.25 by hand
    # β2^t = 0.9999 is a computed value and prints at three digits: the line says ≈.
    assert "0.00422/(1 - 1) ≈ 42.2" in out and "/(1 - 1) = " not in out
