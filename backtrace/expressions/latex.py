"""Printing a tree as LaTeX math: `W_{10} \\cdot X_{0}`, `\\delta_{Z1}`, `\\hat{m}`, real fractions.

The layout decisions (parentheses, where a negative number needs them) are `TextPrinter`'s;
only the notation differs. Every name from a config is escaped, so that no name can break
a document or run a TeX command.
"""

from __future__ import annotations

import re

from backtrace.expressions.nodes import (
    Apply,
    Blank,
    Chain,
    Number,
    Power,
    Quotient,
    Root,
    Symbol,
    Words,
)
from backtrace.expressions.printing import ATOM, PRODUCT, TextPrinter

GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "λ": r"\lambda", "μ": r"\mu", "σ": r"\sigma", "Σ": r"\Sigma", "∂": r"\partial",
}  # fmt: skip
MATH_SPECIALS = {
    "_": r"\_", "{": r"\{", "}": r"\}", "\\": r"\backslash{}", "#": r"\#", "$": r"\$",
    "%": r"\%", "&": r"\&", "^": r"\hat{}", "~": r"\sim{}",
}  # fmt: skip
# Text mode: what pdflatex cannot take as it is, and the Unicode the trace writes.
TEXT_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$", "%": r"\%",
    "&": r"\&", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": "$<$", ">": "$>$", "|": r"$\vert$",
    "✓": r"\checkmark{}", "✗": r"\ding{55}", "·": r"$\cdot$", "→": r"$\to$",
    "↓": r"$\downarrow$", "←": r"$\leftarrow$", "≈": r"$\approx$", "²": r"$^2$", "½": r"$\frac12$",
    "√": r"$\surd$", "×": r"$\times$", "–": "--", "—": "---", "…": r"\dots{}", "ŷ": r"$\hat{y}$",
    "m̂": r"$\hat{m}$", "v̂": r"$\hat{v}$", "≥": r"$\geq$", "≤": r"$\leq$", "−": "-",
    **{letter: f"${command}$" for letter, command in GREEK.items()},
}  # fmt: skip
_NAME = re.compile(r"([A-Za-z]|[α-ωΑ-Ω])([0-9]+(?:[_,][0-9]+)*)")
_SCIENTIFIC = re.compile(r"(-?[0-9.]+)e([+-]?)0*([0-9]+)")
_FRACTION = re.compile(r"(-?)([0-9]+)/([0-9]+)")


def text_escaped(text: str) -> str:
    """Text as pdflatex typesets it in text mode: its specials escaped, the trace's symbols as
    math, control characters and what no font here has as visible code points."""
    pieces = []
    for index, char in enumerate(text):
        if char == "\u0302":  # a combining hat, already taken with its letter
            continue
        pair = text[index : index + 2]
        if pair in TEXT_SPECIALS:
            pieces.append(TEXT_SPECIALS[pair])
        elif char in TEXT_SPECIALS:
            pieces.append(TEXT_SPECIALS[char])
        elif char == "\n":
            pieces.append(" ")
        elif " " <= char <= "~" or "\u00a0" <= char <= "\u00ff" and char != "\u00ad":
            pieces.append(char)
        else:
            pieces.append(f"[U+{ord(char):04X}]")
    return "".join(pieces)


def math_escaped(text: str) -> str:
    """A name inside math: Greek as its command, specials escaped, anything else visible."""
    pieces = []
    for char in text:
        if char in GREEK:
            pieces.append(GREEK[char] + " ")
        elif char in MATH_SPECIALS:
            pieces.append(MATH_SPECIALS[char])
        elif char.isascii() and char.isprintable():
            pieces.append(char)
        else:
            pieces.append(rf"\text{{{text_escaped(char)}}}")
    return "".join(pieces).rstrip()


def numeral(text: str) -> str:
    """A number as printed (`-7/5`, `1e-8`, `2.5e20`) in LaTeX: `-\\frac{7}{5}`, `10^{-8}`,
    `2.5 \\times 10^{20}`."""
    scientific = _SCIENTIFIC.fullmatch(text)
    if scientific:
        mantissa, sign, exponent = scientific.groups()
        power = f"10^{{{'-' if sign == '-' else ''}{exponent}}}"
        if mantissa in ("1", "-1"):
            return mantissa.removesuffix("1") + power
        return rf"{mantissa} \times {power}"
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        sign, numerator, denominator = fraction.groups()
        return rf"{sign}\frac{{{numerator}}}{{{denominator}}}"
    return text


def name(text: str) -> str:
    """A unit's or weight's name: a letter and an index as a subscript (W10 -> W_{10}, β1 ->
    \\beta_{1}, Z1_2 -> Z_{1,2}); a longer word upright (\\mathrm{bias})."""
    match = _NAME.fullmatch(text)
    if match:
        letter, index = match.groups()
        return f"{math_escaped(letter)}_{{{index.replace('_', ',')}}}"
    if len(text) == 1 or text in GREEK:
        return math_escaped(text)
    return rf"\mathrm{{{math_escaped(text)}}}"


class LatexPrinter(TextPrinter):
    """Trees as LaTeX math, to be set inside $...$ or an align* environment."""

    times = r" \cdot "
    line_break = " "  # a chain is one line of math; the handout breaks its lines itself

    def words(self, text: str) -> str:
        return text_escaped(text)

    def formula(self, node) -> str:  # type: ignore[no-untyped-def]
        return f"${self.node(node)}$"

    def parenthesized(self, text: str) -> str:
        # Tall contents get tall parentheses; others plain ones, which a line may break inside.
        if "\\frac" in text or "\\sum" in text or "\\sqrt" in text:
            return rf"\left({text}\right)"
        return f"({text})"

    def number(self, number: Number, operand: bool) -> str:
        if number.glyph == "½":
            return r"\tfrac{1}{2}"
        if number.glyph == "²":
            return "2"
        text = self.numeral(number)
        typeset = numeral(text)
        # A minus, or a product with a power of ten, would read as part of the expression.
        if operand and (text.startswith("-") or "\\times" in typeset):
            return f"({typeset})"
        return typeset

    def blank(self, blank: Blank) -> str:
        return rf"\boxed{{\scriptstyle\#{blank.number}\phantom{{0.000000}}}}"

    def symbol(self, symbol: Symbol) -> str:
        text = name(symbol.name)
        if symbol.hat:
            text = rf"\hat{{{text}}}"
        if symbol.prime:
            text += "'"
        if symbol.subscript:
            text += f"_{{{math_escaped(symbol.subscript)}}}"
        return text

    def prose(self, text: str) -> str:
        return rf"\text{{{text_escaped(text)}}}"

    def words_node(self, node: Words) -> str:
        return node.latex if node.latex is not None else self.prose(node.text)

    def relation(self, relation: str) -> str:
        return {":=": r"\mathrel{:=}", "≈": r"\approx"}.get(relation, relation)

    def quotient(self, node: Quotient) -> str:
        return rf"\frac{{{self.node(node.numerator)}}}{{{self.node(node.denominator)}}}"

    def power(self, node: Power) -> str:
        base = self.child(node.base, ATOM, operand=True)
        return f"{base}^{{{self.node(node.exponent)}}}"

    def root(self, node: Root) -> str:
        return rf"\sqrt{{{self.node(node.radicand)}}}"

    def summation(self, node) -> str:  # type: ignore[no-untyped-def]
        return r"\sum " + self.child(node.body, PRODUCT, operand=True)

    def apply(self, node: Apply) -> str:
        function = node.function
        if function.prime or len(function.name) == 1:
            head = self.symbol(function)
        else:
            head = rf"\operatorname{{{math_escaped(function.name)}}}"
        text = f"{head}({self.node(node.argument)})"
        return f"{text}_{{{math_escaped(node.index)}}}" if node.index else text


class MarkdownMathPrinter(LatexPrinter):
    """Cells for Markdown with math, as GitHub and Jupyter render it: text as it is, each
    formula as $...$ (a chain that may break over lines, as one $...$ per line)."""

    def words(self, text: str) -> str:
        return text

    def prose(self, text: str) -> str:
        # MathJax and KaTeX take Unicode inside \text; a "$" there would end the math.
        escaped = "".join(
            {"\\": r"\backslash", "{": r"\{", "}": r"\}", "$": r"\$"}.get(char, char)
            for char in text
        )
        return rf"\text{{{escaped}}}"

    def formula(self, node) -> str:  # type: ignore[no-untyped-def]
        if not isinstance(node, Chain) or not node.breaks:
            return f"${self.node(node)}$"
        lines = [self.node(node.parts[0])]
        for index, (relation, part) in enumerate(zip(node.relations, node.parts[1:])):
            piece = f"{self.relation(relation)} {self.node(part)}"
            if index in node.breaks:
                lines.append(piece)
            else:
                lines[-1] += f" {piece}"
        return "\n".join(f"${line}$" for line in lines)
