"""The worked arithmetic as data: expression trees, their evaluation and their printers.

`nodes` defines the trees, `evaluation` computes them (float64 or exact, left to right, and
the "≈" rule), `printing` writes them as the Unicode text of the tables and `latex` as LaTeX
and Markdown math.
Activations, losses and optimizers declare their formulas as trees in `backtrace.formulas`;
`renderers.worked` builds the tree of each trace record's arithmetic.
"""
