"""The hostile corpus: bad configs, data files, devices, pipes and command lines, each with
the exit status and the words of the one line it must produce.

A case's files are written into an empty folder, which is also the working directory; `{d}`
in an argument stands for that folder. `expect` is the distinctive part of the message
(the whole line starts "backtrace: error: " and is the only thing on stderr). Cases marked
`process` need a real process (devices on stdin, closed streams, encodings); their `command`
is run by bash with `{bt}` standing for the installed `backtrace`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# -- building blocks ---------------------------------------------------------------------------

# A valid config, one field per line, so that cases can name lines: title is line 1, epochs 8.
BASE = """\
title: hostile
inputs: 2
layers:
  - {units: 3, activation: identity, weights: 1}
  - {units: 1, activation: identity, weights: 1}
loss: article
optimizer: {learning_rate: 0.1, batch_size: 1}
epochs: 1
bias: true
data:
  - [0, 0, 0]
  - [0, 1, 1]
  - [1, 0, 1]
  - [1, 1, 0]
"""
BASE_DOCUMENT = {
    "title": "hostile",
    "inputs": 2,
    "layers": [
        {"units": 3, "activation": "identity", "weights": 1},
        {"units": 1, "activation": "identity", "weights": 1},
    ],
    "loss": "article",
    "optimizer": {"learning_rate": 0.1, "batch_size": 1},
    "epochs": 1,
    "data": [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]],
}


def edited(line: str, replacement: str) -> str:
    """BASE with the line starting `line` replaced (by nothing, to remove it)."""
    lines = BASE.splitlines(keepends=True)
    index = next(number for number, text in enumerate(lines) if text.startswith(line))
    lines[index] = replacement + ("\n" if replacement else "")
    return "".join(lines)


def with_data(data: str) -> str:
    """BASE with its data replaced: `data: ...` as written."""
    return BASE.split("data:")[0] + data + "\n"


def as_json(**changes) -> str:
    return json.dumps(BASE_DOCUMENT | changes)


def laughs(levels: int, name: str = "a") -> str:
    """YAML lines defining a "billion laughs": each level is ten aliases of the one before."""
    lines = [f"{name}0: &{name}0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*{name}{level - 1}"] * 10)
        lines.append(f"{name}{level}: &{name}{level} [{aliases}]")
    return "\n".join(lines)


def nested_block(depth: int) -> str:
    return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth)) + "  " * depth + "v\n"


class Fifo:
    """A named pipe that nobody writes to."""


@dataclass(frozen=True)
class Link:
    """A symbolic link to `target` (which may not exist)."""

    target: str


@dataclass(frozen=True)
class ReadOnly:
    """A file with this text and no write permission for anyone (mode 0444)."""

    text: str


class Folder:
    """An empty folder, for files to go into."""


@dataclass(frozen=True)
class HardLink:
    """A second name for the file `target`."""

    target: str


@dataclass(frozen=True)
class Case:
    id: str
    arguments: list[str]
    status: int
    expect: str
    files: dict = field(default_factory=dict)
    stdin: str = ""
    env: dict = field(default_factory=dict)
    stdin_from: str | None = None  # a file (or "closed", "write-only") as stdin
    stdout_to: str | None = None  # a file (or "closed", "ascii") as stdout
    command: str | None = None  # for a real process, run by bash


def config(id: str, text: str | bytes, status: int, expect: str, *, name="net.yaml", extra=()):
    """A case that runs one config file."""
    return Case(id, ["run", name, *extra], status, expect, files={name: text})


def data_file(id: str, csv: str | bytes | object, expect: str, *, extra=()):
    """A case whose config reads `d.csv`."""
    return Case(
        id,
        ["run", "net.yaml", *extra],
        2,
        expect,
        files={"net.yaml": with_data("data: d.csv"), "d.csv": csv},
    )


def option(id: str, arguments: list[str], status: int, expect: str):
    """A case that runs BASE with command-line options."""
    return Case(id, ["run", "net.yaml", *arguments], status, expect, files={"net.yaml": BASE})


def streams(
    id: str, arguments: list[str], status: int, expect: str, *, stdin_from=None, stdout_to=None
):
    """A case run in this process with real files as its standard streams."""
    return Case(id, arguments, status, expect, files={"net.yaml": BASE},
                stdin_from=stdin_from, stdout_to=stdout_to)  # fmt: skip


def process(id: str, command: str, status: int, expect: str, *, env=None):
    """A case that only a real process can show: `command` is run by bash."""
    return Case(id, [], status, expect, files={"net.yaml": BASE}, env=env or {}, command=command)


# -- the corpus --------------------------------------------------------------------------------
# One case a line, so the table reads as a table.
# fmt: off

SYNTAX = [
    config("yaml-unclosed-list", "inputs: [1, 2\n", 2, "error: net.yaml:2: invalid YAML: "),
    config("yaml-tab-indent", "layers:\n\t- 1\n", 2, "error: net.yaml:2: invalid YAML: found character"),
    config("yaml-unclosed-quote", 'title: "abc\n', 2, "error: net.yaml:2: invalid YAML: found unexpected end of stream"),
    config("yaml-bad-indent", "a:\n  b: 1\n c: 2\n", 2, "error: net.yaml:3: invalid YAML: "),
    config("yaml-two-documents", BASE + "---\ntitle: again\n", 2, "error: net.yaml:15: holds more than one YAML document"),
    config("yaml-undefined-alias", edited("title", "title: *nope"), 2, "error: net.yaml:1: title: the alias *nope names no anchor"),
    config("yaml-recursive-alias", BASE + "x: &x [1, *x]\n", 2, "error: net.yaml:15: x[1]: the alias *x refers to a value that contains it"),
    config("yaml-duplicate-key", BASE + "loss: squared_error\n", 2, "error: net.yaml:15: loss: appears twice; keep one"),
    config("yaml-duplicate-nested", edited("optimizer", "optimizer: {learning_rate: 0.1, learning_rate: 0.2}"), 2, "error: net.yaml:7: optimizer.learning_rate: appears twice"),
    config("yaml-nul-byte", "title: a\0b\n", 2, "invalid YAML: "),
    config("yaml-complex-key", BASE + "? [a, b]\n: 1\n", 2, "error: net.yaml:15: a mapping key must be a word or a number"),
    config("yaml-list-document", "- inputs\n- layers\n", 2, "error: net.yaml: must be a mapping of fields"),
    config("yaml-empty", "", 2, "error: net.yaml: must be a mapping of fields"),
    config("yaml-only-comment", "# nothing here\n", 2, "error: net.yaml: must be a mapping of fields"),
    config("yaml-scalar-document", "hello\n", 2, "error: net.yaml: must be a mapping of fields"),
    config("yaml-python-tag", "!!python/object/apply:os.system [echo hi]\n", 2, "error: net.yaml:1: the tag !!python/object/apply:os.system is not supported"),
    config("yaml-invalid-utf8", BASE.replace("hostile", "host\xffile").encode("latin-1"), 2, "error: net.yaml:1: is not UTF-8 text (byte 12 cannot be decoded)"),
    config("yaml-utf16", BASE.encode("utf-16"), 2, "error: net.yaml:1: is not UTF-8 text"),
    config("yaml-latin1-late", (BASE + "# caf\xe9\n").encode("latin-1"), 2, "error: net.yaml:15: is not UTF-8 text"),
    config("yaml-surrogate-escape", edited("title", 'title: "\\ud800"'), 2, "error: net.yaml:1: invalid YAML: found invalid Unicode character escape code"),
    config("yaml-escape-in-title", edited("title", 'title: "\\e[31mred"'), 2, "error: net.yaml:1: title: contains the control character \\x1b; write plain text"),
    config("yaml-c1-control-in-title", edited("title", 'title: "\\x9b31m"'), 2, "error: net.yaml:1: title: contains the control character \\x9b"),
    config("yaml-bell-in-note", BASE + 'reference: {values: [{quantity: loss, printed: -4, note: "\\a"}]}\n', 2, "reference.values[0].note: contains the control character \\x07"),
    config("yaml-newline-in-title", edited("title", 'title: "two\\nlines"'), 2, "error: net.yaml:1: title: contains the control character \\x0a"),
]

JSON = [
    config("json-trailing-comma", '{"inputs": 2,}', 2, "error: net.json:1: invalid JSON: expected a key in double quotes", name="net.json"),
    config("json-single-quotes", "{'inputs': 2}", 2, "error: net.json:1: invalid JSON: expected a key in double quotes", name="net.json"),
    config("json-nan", as_json(optimizer={"learning_rate": float("nan")}), 2, "error: net.json:1: invalid JSON: NaN and Infinity are not JSON numbers", name="net.json"),
    config("json-infinity", '{"epochs": -Infinity}', 2, "invalid JSON: NaN and Infinity are not JSON numbers", name="net.json"),
    config("json-leading-zero", '{\n"epochs": 010}', 2, "error: net.json:2: invalid JSON: 010 starts with 0, which JSON does not allow", name="net.json"),
    config("json-duplicate-key", '{"inputs": 2,\n "inputs": 3}', 2, "error: net.json:2: inputs: appears twice; keep one", name="net.json"),
    config("json-deep-list", "[" * 5000 + "]" * 5000, 2, "error: net.json:1: [0][0][0]", name="net.json"),
    config("json-deep-mapping", '{"a":' * 5000 + "1" + "}" * 5000, 2, "is nested too deeply: more than 32 lists and mappings", name="net.json"),
    config("json-lone-surrogate", as_json(title="\ud800"), 2, "error: net.json:1: title: \\ud800 is half of a surrogate pair, not a character", name="net.json"),
    config("json-5000-digits", '{"epochs": ' + "9" * 5000 + "}", 2, "error: net.json:1: epochs: a number written with 5000 characters is longer than the 100 allowed", name="net.json"),
    config("json-extra-data", as_json() + "\n{}", 2, "error: net.json:2: invalid JSON: more text after the end of the document", name="net.json"),
    config("json-empty", "", 2, "error: net.json:1: invalid JSON: the document ends where a value should be", name="net.json"),
    config("json-raw-control", '{"title": "a\tb"}', 2, "error: net.json:1: invalid JSON: invalid control character", name="net.json"),
    config("json-unterminated-string", '{"title": "abc', 2, "error: net.json:1: invalid JSON: unterminated string", name="net.json"),
    config("json-comment", '// config\n{"inputs": 2}', 2, "error: net.json:1: invalid JSON: expected a value, found '/'", name="net.json"),
    config("json-array", "[1, 2]", 2, "error: net.json: must be a mapping of fields", name="net.json"),
    config("json-huge-exponent", as_json(optimizer={"learning_rate": 1e308}).replace("1e+308", "1e999"), 2, "error: net.json:1: optimizer.learning_rate: input should be a finite number", name="net.json"),
    config("json-long-title", as_json(title="t" * 20_000), 2, "error: net.json:1: title: a text of 20,000 characters is longer than the 10,000 allowed", name="net.json"),
    config("json-missing-colon", '{"inputs" 2}', 2, "error: net.json:1: invalid JSON: expected ':' after a key", name="net.json"),
    config("json-missing-comma", '{"inputs": 2 "loss": "article"}', 2, "error: net.json:1: invalid JSON: expected ',' or '}' after a value", name="net.json"),
]

NUMBERS = [
    config("octal-looking-epochs", edited("epochs", "epochs: 010"), 2, "error: net.yaml:8: epochs: 010 starts with 0, which YAML 1.1 reads as octal and YAML 1.2 as decimal; write 10"),
    config("octal-looking-signed", edited("epochs", "epochs: +007"), 2, "error: net.yaml:8: epochs: +007 starts with 0"),
    config("underscore-number", edited("optimizer", "optimizer: {learning_rate: 0_5}"), 2, "error: net.yaml:7: optimizer.learning_rate: input should be a valid number (got '0_5')"),
    config("sexagesimal", edited("epochs", "epochs: 1:30"), 2, "error: net.yaml:8: epochs: input should be a valid integer (got '1:30')"),
    config("bool-yes", edited("bias", "bias: yes"), 2, "error: net.yaml:9: bias: input should be a valid boolean (got 'yes')"),
    config("bool-off", edited("bias", "bias: off"), 2, "error: net.yaml:9: bias: input should be a valid boolean (got 'off')"),
    config("bool-on", edited("bias", "bias: on"), 2, "(got 'on')"),
    config("bool-y", edited("bias", "bias: y"), 2, "(got 'y')"),
    config("float-epochs", edited("epochs", "epochs: 1e3"), 2, "error: net.yaml:8: epochs: input should be a valid integer (got 1000.0)"),
    config("5000-digit-epochs", edited("epochs", "epochs: " + "9" * 5000), 2, "error: net.yaml:8: epochs: a number written with 5000 characters is longer than the 100 allowed"),
    config("5000-digit-weight", edited("  - {units: 3", "  - {units: 3, activation: identity, weights: " + "1" * 5000 + "}"), 2, "error: net.yaml:4: layers[0].weights: a number written with 5000 characters"),
    config("epochs-10-to-39", edited("epochs", "epochs: 1" + "0" * 39), 2, "error: net.yaml:8: epochs: is more than the 1,000,000 epochs a run may train; raise it with --max-epochs"),
    config("epochs-ceiling-plus-one", edited("epochs", "epochs: 1000001"), 2, "epochs: is more than the 1,000,000 epochs"),
    config("learning-rate-inf", edited("optimizer", "optimizer: {learning_rate: .inf}"), 2, "optimizer.learning_rate: input should be a finite number"),
    config("learning-rate-nan", edited("optimizer", "optimizer: {learning_rate: .nan}"), 2, "optimizer.learning_rate: input should be a finite number"),
    config("learning-rate-overflow", edited("optimizer", "optimizer: {learning_rate: 1e999}"), 2, "optimizer.learning_rate: input should be a finite number"),
    config("negative-seed", BASE + "seed: -1\n", 2, "error: net.yaml:15: seed: input should be greater than or equal to 0"),
    config("zero-epochs", edited("epochs", "epochs: 0"), 2, "epochs: input should be greater than or equal to 1"),
    config("tagged-float-epochs", edited("epochs", "epochs: !!float 3"), 2, "epochs: input should be a valid integer (got 3.0)"),
    config("tagged-int-sexagesimal", edited("epochs", "epochs: !!int 1:30"), 2, "error: net.yaml:8: epochs: !!int '1:30' is not a valid int"),
    config("tagged-bool-yes", edited("bias", "bias: !!bool yes"), 2, "error: net.yaml:9: bias: !!bool 'yes' is not a valid bool"),
    config("tagged-binary", edited("title", "title: !!binary aGk="), 2, "error: net.yaml:1: title: the tag !!binary is not supported"),
    config("tagged-timestamp", edited("title", "title: !!timestamp 2001-12-14"), 2, "the tag !!timestamp is not supported"),
    config("date-as-text", edited("epochs", "epochs: 2001-12-14"), 2, "epochs: input should be a valid integer (got '2001-12-14')"),
    config("tagged-set", with_data("data: !!set {a, b}"), 2, "error: net.yaml:10: data: the tag !!set is not supported"),
    config("tagged-omap", edited("layers", "layers: !!omap") , 2, "the tag !!omap is not supported"),
    config("local-tag", edited("epochs", "epochs: !mine 1"), 2, "error: net.yaml:8: epochs: the tag !mine is not supported"),
    config("binary-int-is-text", edited("epochs", "epochs: 0b11"), 2, "epochs: input should be a valid integer (got '0b11')"),
]

SHAPES = [
    config("inputs-quoted", edited("inputs", 'inputs: "2"'), 2, "error: net.yaml:2: inputs: should be a mapping of fields (got '2')"),
    config("layers-mapping", edited("layers", "layers: {a: 1}") .replace("  - {units: 3, activation: identity, weights: 1}\n  - {units: 1, activation: identity, weights: 1}\n", ""), 2, "error: net.yaml:3: layers: input should be a list"),
    config("layers-empty", edited("layers", "layers: []").replace("  - {units: 3, activation: identity, weights: 1}\n  - {units: 1, activation: identity, weights: 1}\n", ""), 2, "error: net.yaml:3: layers: list should have at least 1 item, not 0"),
    config("units-zero", edited("  - {units: 3", "  - {units: 0, activation: identity, weights: 1}"), 2, "error: net.yaml:4: layers[0].units: input should be greater than or equal to 1"),
    config("weights-over-the-limit", edited("inputs", "inputs: 4096").replace("{units: 3,", "{units: 4096,").replace("data:\n  - [0, 0, 0]\n  - [0, 1, 1]\n  - [1, 0, 1]\n  - [1, 1, 0]\n", "data: d.csv\n"), 2, "error: net.yaml:4: layers[0].units: brings the network to 16,781,312 weights, more than the 250,000 allowed; raise it with --max-weights"),
    config("units-huge", edited("  - {units: 3", "  - {units: 100000000, activation: identity}"), 2, "layers[0].units: input should be less than or equal to 4096"),
    config("init-list", edited("  - {units: 3", "  - {units: 3, activation: identity, weights: {init: [1]}}"), 2, "error: net.yaml:4: layers[0].weights: unknown weight scheme '[1]'"),
    config("init-mapping", edited("  - {units: 3", "  - {units: 3, activation: identity, weights: {init: {a: 1}}}"), 2, "layers[0].weights: unknown weight scheme"),
    config("matrix-rows", edited("  - {units: 3", "  - {units: 3, activation: identity, weights: [[1, 1, 1]]}"), 2, "layers[0].weights: has 1 row; this layer needs 3 rows"),
    config("weights-word", edited("  - {units: 3", "  - {units: 3, activation: identity, weights: heavy}"), 2, "layers[0].weights: needs a number, a matrix (list of rows), or a mapping with 'init'"),
    config("activation-typo", edited("  - {units: 3", "  - {units: 3, activation: sigmoidd}"), 2, "layers[0].activation: 'sigmoidd' is not one of"),
    config("loss-number", edited("loss", "loss: 5"), 2, "error: net.yaml:6: loss: 5 is not one of"),
    config("optimizer-number", edited("optimizer", "optimizer: 0.1"), 2, "error: net.yaml:7: optimizer: should be a mapping of fields (got 0.1)"),
    config("batch-size-negative", edited("optimizer", "optimizer: {learning_rate: 0.1, batch_size: -1}"), 2, "optimizer.batch_size: must be a whole number of samples"),
    config("frozen-word", BASE + "frozen: bias\n", 2, "error: net.yaml:15: frozen: input should be a list (got 'bias')"),
    config("frozen-no-match", BASE + "frozen: [Q*]\n", 2, "frozen[0]: 'Q*' matches no weight"),
    config("data-short-row", with_data("data: [[0, 0]]"), 2, "data.rows[0]: has 2 values but each sample needs 3: 2 inputs, then 1 target"),
    config("data-empty", with_data("data: []"), 2, "data.rows: holds no samples"),
    config("data-number", with_data("data: 5"), 2, "error: net.yaml:10: data: should be a mapping of fields (got 5)"),
    config("data-both", with_data("data: {rows: [[0, 0, 0]], csv: x.csv}"), 2, "data: give either 'rows' (inline numbers) or 'csv' (a file path)"),
    config("unknown-field", BASE + "colour: blue\n", 2, "error: net.yaml:15: colour: unknown field 'colour'"),
    config("reference-quantity", BASE + "reference: {values: [{quantity: bogus, printed: 1}]}\n", 2, "reference.values[0].quantity: 'bogus' is not one of"),
    config("title-number", edited("title", "title: 5"), 2, "error: net.yaml:1: title: input should be a valid string (got 5)"),
    config("unit-prefix-digit", edited("inputs", "inputs: {units: 2, unit_prefix: 1X}"), 2, "inputs.unit_prefix: string should match pattern"),
    config("csv-path-nul", with_data('data: {csv: "a\\0b.csv"}'), 2, "data.csv: contains the control character \\x00"),
]

ALIASES = [
    config("laughs-top-level", BASE + laughs(7) + "\n", 2, "error: net.yaml:19: a4[7]: aliases (*name) and merge keys (<<) would repeat more than 100,000 values"),
    config("laughs-in-layers", BASE.replace("layers:\n", "layers:\n  - " + laughs(7).replace("\n", "\n    ") + "\n"), 2, "would repeat more than 100,000 values"),
    config("laughs-in-data", with_data("data:\n  - " + laughs(7).replace("\n", "\n    ")), 2, "would repeat more than 100,000 values"),
    config("laughs-under-merge", BASE + laughs(7).replace("a6: &a6", "a6:\n  <<: &a6") + "\n", 2, "would repeat more than 100,000 values"),
    config("merge-bomb-is-cheap", BASE + "m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n" + "\n".join(f"m{level}: &m{level} {{<<: [{', '.join([f'*m{level - 1}'] * 10)}]}}" for level in range(1, 7)) + "\n", 2, "error: net.yaml:15: m0: unknown field 'm0'"),
    config("row-aliased-into-matrix", "row: &row [" + ", ".join(["1"] * 4097) + "]\n" + BASE.replace("  - {units: 3, activation: identity, weights: 1}", "  - units: 4096\n    activation: identity\n    weights: [" + ", ".join(["*row"] * 4096) + "]").replace("inputs: 2", "inputs: 4096"), 2, "would repeat more than 100,000 values"),
    config("merge-a-number", BASE + "reference: {<<: 5}\n", 2, "error: net.yaml:15: reference.<<: needs a mapping, or a list of mappings, to merge"),
    config("merge-a-list-of-words", BASE + "reference: {<<: [a, b]}\n", 2, "reference.<<: needs a mapping, or a list of mappings"),
    config("merge-undefined", BASE + "reference: {<<: *nope}\n", 2, "error: net.yaml:15: reference.<<: the alias *nope names no anchor"),
    config("alias-as-key", BASE + "k: &k [1]\n*k : 2\n", 2, "error: net.yaml:16: a mapping key must be a word or a number"),
]

SIZES = [
    config("config-over-1mb", BASE + "# " + "x" * (1 << 20) + "\n", 2, "error: net.yaml: is 1,048,854 bytes; a config may be at most 1 MB (put large data in a CSV file)"),
    config("title-over-10000", edited("title", "title: " + "t" * 10_001), 2, "error: net.yaml:1: title: a text of 10,001 characters is longer than the 10,000 allowed"),
    config("key-over-10000", BASE + "? " + "k" * 20_000 + "\n: 1\n", 2, "error: net.yaml:15: a text of 20,000 characters"),
    config("nested-block-40", BASE + nested_block(40), 2, "is nested too deeply: more than 32 lists and mappings inside each other"),
    config("nested-flow-5000", "a: " + "[" * 5000 + "]" * 5000 + "\n", 2, "error: net.yaml:1: is nested too deeply"),
    config("many-aliases", "x: &x [" + ", ".join(["1"] * 99) + "]\n" + BASE + "y: [" + ", ".join(["*x"] * 1001) + "]\n", 2, "error: net.yaml:16: y[1000]: aliases (*name) and merge keys (<<) would repeat more than 100,000 values"),
]

DATA = [
    Case("csv-missing", ["run", "net.yaml"], 2, "error: net.yaml:10: data.csv: cannot read gone.csv: no such file", files={"net.yaml": with_data("data: gone.csv")}),
    data_file("csv-directory", Link("."), "data.csv: cannot read d.csv: is a directory, not a file"),
    data_file("csv-long-line", "1," * 600_000 + "\n", "data.csv: d.csv line 1 is longer than 1,048,576 characters"),
    data_file("csv-invalid-utf8", b"x,y,z\n0,0,0\n\xff,1,1\n", "data.csv: d.csv is not UTF-8 text"),
    data_file("csv-5000-digits", "0,0," + "1" * 5000 + "\n", "data.csv: d.csv line 1: a number written with 5,000 characters is longer than the 100 allowed"),
    data_file("csv-nan", "0,0,0\n0,nan,1\n", "data.csv: d.csv line 2: 'nan': NaN and infinity are not data"),
    data_file("csv-infinity", "0,0,0\n0,-Infinity,1\n", "d.csv line 2: '-Infinity': NaN and infinity are not data"),
    data_file("csv-underscore", "0,0,0\n1_000,0,1\n", "d.csv line 2: '1_000' is not a number here; write it without '_'"),
    data_file("csv-unterminated-quote", 'x,y,z\n0,0,0\n"1,0,1\n1,1,0\n', "d.csv line 3: a quote (\") is opened but never closed"),
    data_file("csv-bad-quote", '0,0,0\n"1"2,0,1\n', "data.csv: d.csv line 2: "),
    data_file("csv-wrong-width", "x,y,z\n0,0,0\n0,1\n", "data.csv: d.csv line 3 has 2 values but each sample needs 3: 2 inputs, then 1 target"),
    data_file("csv-text-cell", "x,y,z\n0,0,0\n0,one,1\n", "d.csv line 3: every cell must be a number, and 'one' is not"),
    data_file("csv-second-header", "x,y,z\n0,0,0\nx,y,z\n", "d.csv line 3: every cell must be a number, and 'x' is not"),
    data_file("csv-too-many-rows", "0,0,0\n" * 5, "d.csv line 4: the file has more than 3 rows, the most data may have; raise it with --max-rows", extra=("--max-rows", "3")),
    data_file("csv-nul", "0,0,0\n0,\0,1\n", "d.csv line 2: every cell must be a number, and '\\x00' is not"),
    data_file("csv-fifo", Fifo(), "data.csv: cannot read d.csv: is a named pipe (FIFO) with nothing writing to it (waited 0.5 s)"),
    data_file("csv-huge-cell", "0,0," + "1" * 200_000 + "\n", "d.csv line 1: a cell is longer than 131,072 characters"),
    data_file("csv-empty", "", "data.csv: holds no samples"),
    data_file("csv-header-only", "x,y,z\n", "data.csv: holds no samples"),
    data_file("csv-link-loop", Link("d.csv"), "cannot read d.csv: is a loop of symbolic links"),
    data_file("csv-dangling-link", Link("elsewhere.csv"), "cannot read d.csv: is a symbolic link to elsewhere.csv, which does not exist"),
    Case("csv-dev-zero", ["run", "net.yaml"], 2, "data.csv: /dev/zero line 1 is longer than 1,048,576 characters", files={"net.yaml": with_data("data: /dev/zero")}),
    Case("csv-dev-urandom", ["run", "net.yaml"], 2, "data.csv: /dev/urandom is not UTF-8 text", files={"net.yaml": with_data("data: /dev/urandom")}),
]

SOURCES = [
    Case("config-dev-zero", ["run", "/dev/zero"], 2, "error: /dev/zero: is larger than 1 MB, the most a config may be"),
    Case("config-dev-urandom", ["run", "/dev/urandom"], 2, "error: /dev/urandom: is larger than 1 MB, the most a config may be"),
    Case("config-dev-null", ["run", "/dev/null"], 2, "error: /dev/null: must be a mapping of fields"),
    Case("config-fifo", ["run", "net.yaml"], 2, "error: net.yaml: is a named pipe (FIFO) with nothing writing to it (waited 0.5 s)", files={"net.yaml": Fifo()}),
    Case("config-directory", ["run", "sub"], 2, "error: sub: is a directory, not a file", files={"sub": Link(".")}),
    Case("config-link-loop", ["run", "net.yaml"], 2, "error: net.yaml: is a loop of symbolic links", files={"net.yaml": Link("net.yaml")}),
    Case("config-dangling-link", ["run", "net.yaml"], 2, "error: net.yaml: is a symbolic link to gone.yaml, which does not exist", files={"net.yaml": Link("gone.yaml")}),
    Case("config-name-too-long", ["run", "n" * 300 + ".yaml"], 2, ": file name too long"),
    Case("config-under-a-file", ["run", "net.yaml/inner.yaml"], 2, "error: net.yaml/inner.yaml: no such file", files={"net.yaml": BASE}),
    Case("env-dev-zero", ["run"], 2, "error: /dev/zero: is larger than 1 MB", env={"BACKTRACE_CONFIG": "/dev/zero"}),
    Case("env-link-loop", ["run"], 2, "error: net.yaml: is a loop of symbolic links", files={"net.yaml": Link("net.yaml")}, env={"BACKTRACE_CONFIG": "net.yaml"}),
    Case("stdin-empty", ["run", "-"], 2, "error: <stdin>: must be a mapping of fields"),
    Case("stdin-too-big", ["run", "-"], 2, "error: <stdin>: is larger than 1 MB, the most a config may be", stdin="#" * ((1 << 20) + 1)),
    Case("stdin-escape-title", ["run", "-"], 2, "error: <stdin>:1: title: contains the control character \\x1b", stdin=edited("title", 'title: "\\e]0;pwned\\a"')),
    streams("stdin-dev-zero", ["run", "-"], 2, "error: <stdin>: is larger than 1 MB", stdin_from="/dev/zero"),
    streams("stdin-dev-urandom", ["run", "-"], 2, "error: <stdin>: is larger than 1 MB", stdin_from="/dev/urandom"),
    streams("stdin-write-only", ["run", "-"], 2, "error: <stdin>: cannot read it: Bad file descriptor", stdin_from="write-only"),
    streams("stdin-closed", ["run", "-"], 2, "error: <stdin>: there is no standard input to read the config from", stdin_from="closed"),
    Case("stdin-invalid-utf8", ["run", "-"], 2, "error: <stdin>:1: is not UTF-8 text (byte 11 cannot be decoded)", files={"bad.yaml": b"title: caf\xe9\n"}, stdin_from="bad.yaml"),
]

OPTIONS = [
    option("width-billion", ["--width", "1000000000"], 2, "Invalid value for '--width': 1000000000 is not in the range 20<=x<=10000"),
    option("width-too-small", ["--width", "19"], 2, "Invalid value for '--width'"),
    option("epochs-trillion", ["--epochs", "1000000000000"], 2, "error: --epochs 1000000000000 is more than the 1,000,000 epochs a run may train; raise it with --max-epochs"),
    option("epochs-zero", ["--epochs", "0"], 2, "Invalid value for '--epochs'"),
    option("epochs-over-raised-limit", ["--epochs", "11", "--max-epochs", "10"], 2, "error: --epochs 11 is more than the 10 epochs a run may train"),
    option("max-rows-zero", ["--max-rows", "0"], 2, "Invalid value for '--max-rows'"),
    option("max-epochs-word", ["--max-epochs", "many"], 2, "Invalid value for '--max-epochs'"),
    option("set-45-digit-epochs", ["--set", "epochs=" + "9" * 45], 2, "error: --set: epochs: is more than the 1,000,000 epochs a run may train"),
    option("set-5000-digits", ["--set", "epochs=" + "9" * 5000], 2, "error: --set: epochs: a number written with 5000 characters is longer than the 100 allowed"),
    option("set-deep-path", ["--set", ".".join(["a"] * 1500) + "=1"], 2, "error: --set: the field path has 1500 parts; a config is at most 32 levels deep"),
    option("set-deep-value", ["--set", "title=" + "[" * 3000 + "]" * 3000], 2, "error: --set: title: is nested too deeply"),
    option("set-surrogate-escape", ["--set", 'title="\\ud800"'], 2, "error: --set: title: invalid YAML: found invalid Unicode character escape code"),
    option("set-surrogate-character", ["--set", "title=\udcff"], 2, "error: --set: title: contains \\udcff, which is not a character"),
    option("set-escape-title", ["--set", 'title="\\e[2J"'], 2, "error: --set: title: contains the control character \\x1b"),
    option("set-into-a-number", ["--set", "layers[0].weights.init.x=1"], 2, "error: --set: layers[0].weights.init: is not a mapping, so it has no named fields"),
    option("set-missing-item", ["--set", "layers[9].units=1"], 2, "error: --set: layers[9]: there are only 2 items (numbered from 0)"),
    option("set-broken-list", ["--set", "frozen=[bias"], 2, "error: --set: frozen: invalid YAML: "),
    option("set-laughs", ["--set", "title=" + "{" + laughs(7).replace("\n", ", ") + "}"], 2, "error: --set: title: aliases (*name) and merge keys (<<) would repeat more than 100,000 values"),
    option("set-no-equals", ["--set", "epochs"], 2, "error: --set: expected PATH=VALUE"),
    option("precision-99", ["--precision", "99"], 2, "Invalid value for '--precision'"),
    option("trace-huge-epoch", ["--trace", "9" * 30], 2, "error: --trace: epoch 999999999999999999999999999999 is out of range"),
    option("sample-huge", ["--sample", "9" * 30], 2, "error: --sample: sample 999999999999999999999999999999 is out of range"),
    option("unit-with-escape", ["--unit", "\x1b[31m"], 2, "\\x1b[31m"),
    Case("weight-typo-on-a-wide-network", ["run", "net.yaml", "--weight", "nope"], 2, "error: --weight: no weight matches 'nope'; the weights are W1_0, W1_1,", files={"net.yaml": edited("inputs", "inputs: 80").replace("{units: 3,", "{units: 80,").replace("data:\n  - [0, 0, 0]\n  - [0, 1, 1]\n  - [1, 0, 1]\n  - [1, 1, 0]\n", "data: [[" + ", ".join(["0"] * 81) + "]]\n")}),
    option("format-xml", ["--format", "xml"], 2, "Invalid value for '--format'"),
    Case("step-epoch-beyond-ceiling", ["step", "net.yaml", "--epoch", "2000000"], 2, "--epoch: epoch 2000000 is out of range; there are epochs 1 to 1", files={"net.yaml": BASE}),
]

OUTPUTS = [
    Case("o-is-the-config", ["run", "net.yaml", "-o", "net.yaml", "--format", "jsonl"], 2, "error: -o net.yaml is the config this run reads (net.yaml); writing the trace there would destroy it", files={"net.yaml": BASE}),
    Case("o-is-the-json-config", ["run", "net.json", "-o", "net.json"], 2, "error: -o net.json is the config this run reads (net.json)", files={"net.json": as_json()}),
    Case("o-dot-slash", ["run", "net.yaml", "-o", "./net.yaml", "--format", "text"], 2, "error: -o ./net.yaml is the config this run reads", files={"net.yaml": BASE}),
    Case("o-symlink-to-config", ["run", "net.yaml", "-o", "t.md"], 2, "error: -o t.md is the config this run reads", files={"net.yaml": BASE, "t.md": Link("net.yaml")}),
    Case("o-hard-link-to-config", ["run", "net.yaml", "-o", "{d}/hard.jsonl"], 2, "is the config this run reads", files={"net.yaml": BASE, "hard.jsonl": HardLink("net.yaml")}),
    Case("o-is-the-data", ["run", "net.yaml", "-o", "d.csv"], 2, "error: -o d.csv is the data file this run reads (d.csv)", files={"net.yaml": with_data("data: d.csv"), "d.csv": "0,0,0\n0,1,1\n"}),
    Case("o-link-loop", ["run", "net.yaml", "-o", "t.jsonl"], 1, "error: cannot write t.jsonl: it is a loop of symbolic links", files={"net.yaml": BASE, "t.jsonl": Link("t.jsonl")}),
    Case("o-directory", ["run", "net.yaml", "-o", "sub"], 1, "error: cannot write sub: it is a directory", files={"net.yaml": BASE, "sub": Link(".")}),
    Case("o-missing-folder", ["run", "net.yaml", "-o", "nowhere/t.jsonl"], 1, "error: cannot write nowhere/t.jsonl: No such file or directory", files={"net.yaml": BASE}),
    Case("o-fifo-without-reader", ["run", "net.yaml", "-o", "pipe.jsonl"], 1, "error: cannot write pipe.jsonl: nothing is reading that pipe", files={"net.yaml": BASE, "pipe.jsonl": Fifo()}),
    # A pipe nobody reads is refused before the training (a long one here: the CPU bound tells).
    Case("o-fifo-without-reader-before-training", ["run", "xor-sigmoid", "--epochs", "1000000", "--trace", "none", "-o", "pipe.txt"], 1, "error: cannot write pipe.txt: nothing is reading that pipe", files={"pipe.txt": Fifo()}),
    Case("check-o-fifo-without-reader", ["check", "xor-sigmoid", "--step", "1000000", "-o", "pipe.txt"], 1, "error: cannot write pipe.txt: nothing is reading that pipe", files={"pipe.txt": Fifo()}),
    Case("plot-fifo-without-reader", ["run", "xor-sigmoid", "--epochs", "1000000", "--trace", "none", "-o", "/dev/null", "--plot", "pipe.svg"], 1, "error: cannot write pipe.svg: nothing is reading that pipe", files={"pipe.svg": Fifo()}),
    Case("quiz-o-missing-folder-before-training", ["quiz", "xor-sigmoid", "--set", "epochs=1000000", "--epoch", "1000000", "-o", "nowhere/sheet.txt"], 1, "error: cannot write nowhere/sheet.txt: No such file or directory"),
    Case("quiz-key-fifo-without-reader", ["quiz", "xor-sigmoid", "--set", "epochs=1000000", "--epoch", "1000000", "--key", "key.json"], 1, "error: cannot write key.json: nothing is reading that pipe", files={"key.json": Fifo()}),
    Case("graph-o-fifo-without-reader", ["graph", "xor-sigmoid", "--step", "1000000", "-o", "pipe.txt"], 1, "error: cannot write pipe.txt: nothing is reading that pipe", files={"pipe.txt": Fifo()}),
    Case("o-dev-full", ["run", "net.yaml", "-o", "/dev/full", "--format", "jsonl"], 1, "error: cannot write /dev/full: No space left on device", files={"net.yaml": BASE}),
    Case("o-name-too-long", ["run", "net.yaml", "-o", "o" * 300 + ".jsonl"], 1, "File name too long", files={"net.yaml": BASE}),
    Case("o-closed-descriptor", ["run", "net.yaml", "-o", "/dev/fd/97"], 1, "error: cannot write /dev/fd/97: descriptor 97 is not open", files={"net.yaml": BASE}),
    process("stdout-closed", "exec {bt} run net.yaml >&-", 1, "error: cannot write the trace: standard output is closed"),
    streams("stdout-closed-in-process", ["run", "net.yaml", "--format", "csv"], 1, "error: cannot write the trace: standard output is closed", stdout_to="closed"),
    streams("stdout-dev-full", ["run", "net.yaml", "--format", "jsonl"], 1, "error: cannot write the trace: No space left on device", stdout_to="/dev/full"),
    process("stdout-ascii", "exec {bt} run net.yaml", 1, "error: cannot write the trace: the output's encoding (ascii) cannot show", env={"PYTHONIOENCODING": "ascii"}),
    streams("stdout-ascii-in-process", ["run", "net.yaml", "--format", "markdown"], 1, "the output's encoding (ascii) cannot show", stdout_to="ascii"),
    streams("stdin-is-the-config", ["run", "-", "-o", "net.yaml", "--format", "jsonl"], 2, "error: -o net.yaml is the config this run reads (<stdin>)", stdin_from="net.yaml"),
    streams("o-stdout-is-the-config", ["run", "net.yaml", "-o", "/dev/stdout", "--format", "jsonl"], 2, "error: -o /dev/stdout is the config this run reads (net.yaml)", stdout_to="net.yaml"),
]

def named(id: str, pattern: str, expect: str, *, field: str = "names"):
    """A case whose first layer's units (or weights) are named by `pattern`."""
    layer = "  - {units: 3, activation: identity, weights: 1, " + field + ": " + json.dumps(pattern) + "}"
    return config(id, edited("  - {units: 3", layer), 2, expect)


def deep(layers: int) -> str:
    """BASE with `layers` one-unit layers."""
    hidden = "".join("  - {units: 1, activation: identity, weights: 1}\n" for _ in range(layers))
    return BASE.replace("  - {units: 3, activation: identity, weights: 1}\n", hidden)


def wide(units: int) -> str:
    return BASE.replace("{units: 3,", f"{{units: {units},")


# Round two (issue 19): name patterns, check, graph, --plot-weight, --set, outputs.
PATTERNS = [
    named("pattern-unclosed-brace", "h{n", "layers[0].names: the pattern 'h{n' has an unclosed or unmatched brace"),
    named("pattern-stray-brace", "h}n", "has an unclosed or unmatched brace"),
    named("pattern-huge-format-spec", "h{n:099999999}", "layers[0].names: the pattern 'h{n:099999999}' has {n:099999999}; a pattern here may use {n}, each as it is"),
    named("pattern-wide-format-spec", "h{n:09999}", "has {n:09999}"),
    named("pattern-conversion", "h{n!r}", "has {n!r}"),
    named("pattern-attribute", "h{n.real}", "has {n.real}"),
    named("pattern-index", "h{n[0]}", "has {n[0]}"),
    named("pattern-starts-with-a-digit", "{n}h", "layers[0].names: the pattern '{n}h' makes the name '1h'; a name starts with a letter"),
    named("pattern-makes-a-space", "h {n}", "makes the name 'h 1'"),
    named("pattern-makes-a-brace", "h{{n}}", "makes the name 'h{n}'"),
    named("weight-pattern-spec", "w{n:>500}", "layers[0].weight_names: the pattern 'w{n:>500}' has {n:>500}", field="weight_names"),
    named("bias-pattern-unclosed", "b{j", "layers[0].bias_names: the pattern 'b{j' has an unclosed", field="bias_names"),
    option("set-pattern-spec", ["--set", "layers[0].names=h{n:0999}"], 2, "error: --set: layers[0].names: the pattern 'h{n:0999}' has {n:0999}"),
    option("set-title-newline", ["--set", "title=a\nb"], 2, "error: --set: title: contains the control character \\x0a; write plain text"),
    option("set-title-escape-raw", ["--set", "title=\x1b]0;pwned\x07"], 2, "error: --set: title: contains the control character \\x1b"),
]

ROUND_TWO = [
    Case("check-step-trillion", ["check", "net.yaml", "--step", "1000000000000"], 2, "error: --step: is in epoch 250,000,000,000, which is more than the 1,000,000 epochs a run may train; raise it with --max-epochs", files={"net.yaml": BASE}),
    Case("check-epoch-over-limit", ["check", "net.yaml", "--epoch", "11", "--max-epochs", "10"], 2, "error: --epoch: is in epoch 11, which is more than the 10 epochs", files={"net.yaml": BASE}),
    Case("check-tolerance-nan", ["check", "net.yaml", "--tolerance", "nan"], 2, "error: --tolerance: should be a positive, finite number", files={"net.yaml": BASE}),
    Case("check-too-many-weights", ["check", "net.yaml"], 2, "error: --weight: would check 1,601 weights, more than the 1,000 a check takes at once; name fewer", files={"net.yaml": wide(400)}),
    Case("graph-500-layers", ["graph", "net.yaml"], 2, "error: the network has 502 layers; a diagram draws at most 64", files={"net.yaml": deep(500)}),
    Case("graph-many-units", ["graph", "net.yaml", "--format", "dot"], 2, "error: the network has 4,003 units; a diagram draws at most 2,000", files={"net.yaml": wide(4000).replace("units: 1, activation: identity, weights: 1", "units: 1, activation: identity")}),
    Case("graph-step-trillion", ["graph", "net.yaml", "--step", "1000000000000"], 2, "error: --step: is in epoch 250,000,000,000", files={"net.yaml": BASE}),
    Case("plot-weight-star-wide", ["run", "net.yaml", "--plot", "p.svg", "--plot-weight", "*", "--epochs", "1000000"], 2, "error: --plot-weight: names 1,601 weights; a picture draws at most 100 curves, so name fewer", files={"net.yaml": wide(400)}),
    Case("weight-typo-on-a-huge-network", ["run", "net.yaml", "--weight", "nope", "--max-weights", "1000000"], 2, "error: --weight: no weight matches 'nope'", files={"net.yaml": wide(2000).replace("inputs: 2", "inputs: 20").split("data:")[0] + "data: [[" + ", ".join(["0"] * 21) + "]]\n"}),
    Case("schema-over-an-existing-file", ["schema", "-o", "net.yaml"], 2, "error: net.yaml already exists; add --force to replace it", files={"net.yaml": BASE}),
    Case("o-read-only", ["run", "net.yaml", "-o", "t.jsonl"], 1, "error: cannot write t.jsonl: it is read-only (Permission denied)", files={"net.yaml": BASE, "t.jsonl": ReadOnly("old trace\n")}),
    Case("o-and-plot-one-file", ["run", "net.yaml", "-o", "x.svg", "--plot", "x.svg", "--format", "text"], 2, "error: -o x.svg and --plot x.svg name the same file", files={"net.yaml": BASE}),
    Case("o-table-is-a-link", ["run", "net.yaml", "-o", "DIR/"], 1, "error: cannot write DIR/update.csv: it is a symbolic link", files={"net.yaml": BASE, "victim.csv": "victim\n", "DIR": Folder(), "DIR/update.csv": Link("../victim.csv")}),
]

TEACHING = [
    Case("quiz-blank-unknown", ["quiz", "net.yaml", "--blank", "weights"], 2, "error: --blank weights: blanks are h, z, loss, delta, grad, new", files={"net.yaml": BASE}),
    Case("quiz-students-too-many", ["quiz", "net.yaml", "--students", "100000"], 2, "error: Invalid value for '--students'", files={"net.yaml": BASE}),
    Case("quiz-key-over-the-config", ["quiz", "net.yaml", "--key", "net.yaml"], 2, "net.yaml", files={"net.yaml": BASE}),
    Case("quiz-sheet-and-key-one-file", ["quiz", "net.yaml", "-o", "x.txt", "--key", "x.txt"], 2, "name the same file", files={"net.yaml": BASE}),
    Case("quiz-latex-versions-to-stdout", ["quiz", "net.yaml", "--students", "2", "--format", "latex"], 2, "error: several LaTeX worksheets need -o FILE.tex", files={"net.yaml": BASE}),
    Case("grade-escape-in-a-name", ["grade", "net.yaml", "a.csv"], 2, "is not a name this network has", files={"net.yaml": BASE, "a.csv": "name,value\n\x1b[2Jh,1\n"}),
    Case("grade-not-a-number", ["grade", "net.yaml", "a.csv"], 2, "error: a.csv:2: answer 1 (h_Z1): 'NaN!' is not a finite number", files={"net.yaml": BASE, "a.csv": "name,value\nh_Z1,NaN!\n"}),
    Case("grade-infinite-value", ["grade", "net.yaml", "a.yaml"], 2, "is not a finite number", files={"net.yaml": BASE, "a.yaml": "h_Z1: .inf\n"}),
    Case("grade-no-file", ["grade", "net.yaml", "missing.csv"], 2, "missing.csv", files={"net.yaml": BASE}),
    Case("grade-a-folder", ["grade", "net.yaml", "DIR"], 2, "DIR", files={"net.yaml": BASE, "DIR": Folder()}),
    Case("grade-huge-answers", ["grade", "net.yaml", "a.csv"], 2, "error: a.csv: is larger than 1 MB, the most an answer file may be", files={"net.yaml": BASE, "a.csv": "name,value\n" + "h_Z1,1\n" * 400_000}),
    Case("grade-epoch-past-the-limit", ["grade", "net.yaml", "a.csv"], 2, "error: --epoch: epoch 10,000,000 is more than", files={"net.yaml": BASE, "a.csv": "name,value,epoch\nh_Z1,1,10000000\n"}),
    Case("diff-not-a-trace", ["diff", "net.yaml", "t.jsonl"], 2, "t.jsonl:1: is not a backtrace trace", files={"net.yaml": BASE, "t.jsonl": '{"event": "sample"}\n'}),
    Case("diff-newer-format", ["diff", "net.yaml", "t.jsonl"], 2, "newer than the 1 this backtrace reads", files={"net.yaml": BASE, "t.jsonl": '{"event": "start", "format_version": 2}\n'}),
    Case("diff-trace-with-set", ["diff", "net.yaml", "t.jsonl", "--set-b", "epochs=2"], 2, "error: B: is a saved trace, which takes no overrides", files={"net.yaml": BASE, "t.jsonl": '{"event": "start"}\n'}),
    Case("diff-damaged-record", ["diff", "net.yaml", "t.json"], 2, "t.json: start record:", files={"net.yaml": BASE, "t.json": '[{"event": "start", "layers": 5}]'}),
]

# fmt: on

CASES: list[Case] = (
    SYNTAX + JSON + NUMBERS + SHAPES + ALIASES + SIZES + DATA + SOURCES + OPTIONS + OUTPUTS
    + PATTERNS + ROUND_TWO + TEACHING
)
