"""The config layer's one way in: text -> parsed document -> overrides -> validated `Spec`.

Nothing here computes or prints; every failure is a `ConfigError` that names the file, the line
when it is known, and the field.
"""

from __future__ import annotations

import dataclasses
import io
import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from backtrace import limits
from backtrace.config import checks, files
from backtrace.config.checks import did_you_mean
from backtrace.config.data import one_hot, read_csv, read_labelled_csv
from backtrace.config.documents import SyntaxProblem, format_path, parse_json, parse_yaml
from backtrace.config.files import FileId
from backtrace.config.names import Names, build_names
from backtrace.config.schema import INIT_ALIASES, RANDOM_INITS, Config
from backtrace.config.validation import Invalid, Model, Problem, fields_of
from backtrace.errors import ConfigError, printable
from backtrace.frozen import frozen

FieldPath = tuple[str | int, ...]
STDIN = "-"
# --set fields that leave reference values meaningful. A slip keeps the network and its data;
# its whole point is to show where a mistaken method meets a printed number and where not.
SAFE_OVERRIDES = ("title", "epochs", "reference", "slips")


def load_yaml(text: str) -> Any:
    """YAML text as plain data, read as the config reader reads it (YAML 1.2, bounded)."""
    return parse_yaml(text)[0]


@frozen
class Spec:
    """A validated network and its data, ready for the engine."""

    config: Config
    source: str  # how messages name the config: its path, or <stdin>
    names: Names
    inputs: np.ndarray  # (samples, input units), float64
    targets: np.ndarray  # (samples, output units), float64
    frozen: frozenset[str]  # weight names that never change
    references_dropped: bool = (
        False  # --set changed the config, so its reference values no longer apply
    )
    files: tuple[FileId, ...] = ()  # the files read: the config, the data; -o must spare them
    classes: tuple[str, ...] = ()  # the class label of each output unit, when labels gave them

    def with_epochs(self, epochs: int) -> Spec:
        """The same network trained for `epochs` epochs, checked as the config field is."""
        return self.with_fields(epochs=epochs)

    def with_rounding(self, decimals: int) -> Spec:
        """The same network with the round_as_you_go slip at `decimals` (replacing any)."""
        kept = [entry for entry in self.config.slips_written if not isinstance(entry, dict)]
        return self.with_fields(slips=[*kept, {"round_as_you_go": decimals}])

    def with_fields(self, **fields: Any) -> Spec:
        """The same network with top-level fields replaced, checked as the config is."""
        document = {**self.config.as_document(), **fields}
        try:
            config = Config.validate(document)
        except Invalid as error:
            raise invalid_error(error).located(source=self.source) from None
        return dataclasses.replace(self, config=config)


def read_text(
    path: str, stdin: io.TextIOBase | None = None, *, name: str | None = None
) -> tuple[str, str, FileId | None]:
    """The config's text, the name to use for it in messages (`name`, else the path), and
    the file's identity."""
    if path == STDIN:
        text, identity = files.read_stdin(stdin)
        return text, "<stdin>", identity
    text, identity = files.read_config(path, what=name or path)
    return text, path, identity


def parse_document(
    text: str, source: str, *, as_json: bool | None = None
) -> tuple[Any, dict[FieldPath, int]]:
    """The document as plain data, plus the line on which each field starts (1-based).

    JSON is read as JSON when the name ends in .json (or `as_json` says so); everything else
    as YAML, which also reads JSON, so a config piped on stdin may be either.
    """
    if as_json is None:
        as_json = source.endswith(".json")
    try:
        return parse_json(text) if as_json else parse_yaml(text)
    except ConfigError as error:
        raise error.located(source=source) from None


def parse_override(assignment: str) -> tuple[FieldPath, Any]:
    """'optimizer.learning_rate=0.5' -> (('optimizer', 'learning_rate'), 0.5).

    The value is read as YAML, so numbers, lists and words all mean what they would in a file.
    """
    key, equals, value = assignment.partition("=")
    if not equals or not key.strip():
        raise ConfigError(
            f"expected PATH=VALUE, e.g. optimizer.learning_rate=0.5, not {assignment!r}",
            source="--set",
        )
    path = parse_field(key.strip())
    if not path or any(
        part == "" for part in key.strip().replace("[", ".").replace("]", "").split(".")
    ):
        raise ConfigError(f"malformed field path {key!r}", source="--set")
    deepest = limits.active().depth
    if len(path) > deepest:
        raise ConfigError(
            f"the field path has {len(path)} parts; a config is at most {deepest} levels deep",
            source="--set",
        )
    for character in value:
        # YAML would fold a typed line break into a space; a file's title may hold none.
        if character != "\t" and unicodedata.category(character) == "Cc":
            raise ConfigError(
                f"contains the control character {printable(character)}; write plain text",
                source="--set",
                field=format_path(path),
            )
    try:
        parsed = load_yaml(value) if value.strip() else ""
    except SyntaxProblem as error:
        if value.lstrip().startswith(("[", "{", '"', "'")):  # meant as YAML, but broken
            raise ConfigError(error.message, source="--set", field=format_path(path)) from None
        parsed = value  # not YAML at all: take the words as they are
    except ConfigError as error:
        raise ConfigError(error.message, source="--set", field=format_path(path)) from None
    return path, parsed


def apply_override(
    document: Any, path: FieldPath, value: Any, _done: FieldPath = (), *, source: str = "--set"
) -> Any:
    """The document with one field set, creating mappings on the way as needed."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    where = format_path(_done + (head,))
    if isinstance(head, int):
        if not isinstance(document, list):
            raise ConfigError(
                "is not a list, so it has no item numbers", source=source, field=where
            )
        if head >= len(document):
            raise ConfigError(
                f"there are only {len(document)} items (numbered from 0)",
                source=source,
                field=where,
            )
        copy = list(document)
        copy[head] = apply_override(copy[head], rest, value, _done + (head,), source=source)
        return copy
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError("is not a mapping, so it has no named fields", source=source, field=where)
    inner = apply_override(document.get(head), rest, value, _done + (head,), source=source)
    return {**document, head: inner}


Override = tuple[FieldPath, Any]  # a field path and the value to put there


def load_config(
    path: str,
    *,
    overrides: Sequence[str | Override] = (),
    epochs: int | None = None,
    stdin: io.TextIOBase | None = None,
    name: str | None = None,
    overrides_named: str = "--set",
    overrides_base: Path | None = None,
) -> Spec:
    """Read, override, validate and check a config file; the data it names is loaded too.

    `name` is how messages and traces refer to the config (default: the path). A data file
    named by an override is read relative to `overrides_base` (default: the config's
    folder), since the person typed it where they stand."""
    text, source, identity = read_text(path, stdin, name=name)
    base = Path(path).parent if path != STDIN else Path.cwd()
    spec = load_text(
        text,
        name or source,
        base=base,
        overrides=overrides,
        epochs=epochs,
        overrides_named=overrides_named,
        as_json=path.endswith(".json"),
        overrides_base=overrides_base,
    )
    read = (dataclasses.replace(identity, name=name or source),) if identity else ()
    return dataclasses.replace(spec, files=read + spec.files)


def load_text(
    text: str,
    source: str,
    *,
    base: Path | None = None,
    overrides: Sequence[str | Override] = (),
    epochs: int | None = None,
    overrides_named: str = "--set",
    as_json: bool | None = None,
    overrides_base: Path | None = None,
) -> Spec:
    """A config from its YAML or JSON text; `base` is where a relative CSV path starts."""
    document, lines = parse_document(text, source, as_json=as_json)
    return load_document(
        document,
        source,
        base=base,
        lines=lines,
        overrides=overrides,
        epochs=epochs,
        overrides_named=overrides_named,
        overrides_base=overrides_base,
    )


def load_document(
    document: Any,
    source: str = "<config>",
    *,
    base: Path | None = None,
    lines: dict[FieldPath, int] | None = None,
    overrides: Sequence[str | Override] = (),
    epochs: int | None = None,
    overrides_named: str = "--set",
    overrides_base: Path | None = None,
) -> Spec:
    """A config from parsed data, with overrides applied: 'PATH=VALUE' strings as --set takes
    them, or (path, value) pairs. A data file an override names is read relative to
    `overrides_base` (default: `base`).

    Reference values describe the config as written, so an override that changes the
    network, its data or its training drops them (see `Spec.references_dropped`). Errors in
    an overridden value name `overrides_named` rather than the file."""
    lines = dict(lines or {})
    overridden: list[FieldPath] = []
    for override in overrides:
        field_path, value = parse_override(override) if isinstance(override, str) else override
        document = apply_override(document, field_path, value, source=overrides_named)
        overridden.append(field_path)
        # The value, and everything inside it, no longer comes from the file.
        lines = {
            path: line for path, line in lines.items() if path[: len(field_path)] != field_path
        }
    if epochs is not None:
        document = apply_override(document, ("epochs",), epochs, source=overrides_named)
    dropped = False
    if (
        isinstance(document, dict)
        and document.get("reference")
        and any(changed[0] not in SAFE_OVERRIDES for changed in overridden)
    ):
        document = {key: value for key, value in document.items() if key != "reference"}
        dropped = True
    data_overridden = any(changed[:1] == ("data",) for changed in overridden)
    data_base = overrides_base if data_overridden and overrides_base is not None else base
    try:
        spec = build_spec(document, source, base=base, lines=lines, data_base=data_base)
        return dataclasses.replace(spec, references_dropped=dropped)
    except ConfigError as error:
        field = parse_field(error.field) if error.field else ()
        if epochs is not None and field == ("epochs",):
            raise ConfigError(error.message, source="--epochs") from None
        if any(field[: len(changed)] == changed for changed in overridden):
            raise ConfigError(error.message, source=overrides_named, field=error.field) from None
        raise


def build_spec(
    document: Any,
    source: str = "<config>",
    *,
    base: Path | None = None,
    lines: dict[FieldPath, int] | None = None,
    data_base: Path | None = None,
) -> Spec:
    """Validate parsed config data; `base` is where a relative CSV path starts (`data_base`
    instead, when given: the folder an override naming the file was typed in)."""
    lines = lines or {}
    if not isinstance(document, dict):
        raise ConfigError("must be a mapping of fields (inputs, layers, loss, ...)", source=source)

    def locate(error: ConfigError) -> ConfigError:
        line = line_of(lines, written(parse_field(error.field))) if error.field else None
        return error.located(source=source, line=line)

    def written(path: FieldPath) -> FieldPath:
        # `data: [[...]]` is the shorthand for data.rows: its rows sit at data[n] in the file.
        if path[:2] == ("data", "rows") and isinstance(document.get("data"), list):
            return ("data", *path[2:])
        return path

    try:
        config = Config.validate(document)
    except Invalid as error:
        raise locate(invalid_error(error)) from None
    try:
        checks.check_size(config)  # before any name is made: names cost memory per weight
        names = build_names(config)
        inputs, targets, data_file, classes = load_data(config, data_base or base or Path.cwd())
        checks.check_config(config, names, inputs, targets)
        frozen = checks.resolve_frozen(config, names)
    except ConfigError as error:
        raise locate(error) from None
    read = (data_file,) if data_file else ()
    # The one place outside text that no schema checks (a file's name, a CSV file's class
    # labels) enters the trace: escaped here, so that no renderer sends it to a terminal raw.
    shown = tuple(printable(label) for label in classes)
    return Spec(config, printable(source), names, inputs, targets, frozen, files=read, classes=shown)


def line_of(lines: dict[FieldPath, int], path: FieldPath) -> int | None:
    """The line of a field, or of the nearest field holding it: the readers note where keys
    and lists start, not every number in a row."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def load_data(
    config: Config, base: Path
) -> tuple[np.ndarray, np.ndarray, FileId | None, tuple[str, ...]]:
    """Split the data rows into inputs and targets, reading the CSV file if one is named;
    the file's identity comes back too, and the class of each output when a CSV column of
    labels gives the targets."""
    inputs = config.inputs.units
    width = inputs + config.layers[-1].units
    outputs = config.layers[-1].units
    layout = f"{plural(inputs, 'input')}, then {plural(outputs, 'target')}"
    data_file = None
    if config.data.csv is not None:
        full = base / config.data.csv
        try:
            if config.data.target is not None:
                table, labels, classes, data_file = read_labelled_csv(
                    full, config.data.csv, inputs, config.data.target, outputs
                )
                return table, one_hot(labels, len(classes)), data_file, classes
            table, data_file = read_csv(full, config.data.csv, width, layout)
        except ConfigError as error:
            if error.message.startswith("cannot read ") and Path(config.data.csv) != full:
                # Say where it looked: a relative path starts from the config's folder.
                raise ConfigError(
                    f"{error.message} (looked for {os.path.abspath(full)})", field=error.field
                ) from None
            raise
        field = "data.csv"
    else:
        rows = config.data.rows or ()
        for number, row in enumerate(rows):
            if len(row) != width:
                raise ConfigError(
                    f"has {len(row)} values but each sample needs {width}: {layout}",
                    field=f"data.rows[{number}]",
                )
        table = np.array(rows, dtype=np.float64).reshape(-1, width)
        field = "data.rows"
    if not len(table):
        raise ConfigError("holds no samples", field=field)
    # Views, not copies: the data can be large, and nothing writes to it.
    return table[:, :inputs], table[:, inputs:], data_file, ()


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def parse_field(text: str) -> FieldPath:
    parts: list[str | int] = []
    for part in text.replace("[", ".").replace("]", "").split("."):
        if part:
            parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def invalid_error(error: Invalid) -> ConfigError:
    """The first problem found as a ConfigError with a readable message."""
    problems = error.problems
    # A misspelt field shows up twice: as unknown, and the real one as missing. Name the typo.
    first = next((item for item in problems if item.kind == "unknown"), problems[0])
    path = _user_path(first.location)
    return ConfigError(problem_message(first, path), field=format_path(path) or None)


def _user_path(location: FieldPath) -> FieldPath:
    """The path as the user wrote it: `weights: [[...]]` is stored as weights.rows, so a row
    inside it is named weights[0], not weights.rows[0], whichever way it was written."""
    return tuple(
        part
        for index, part in enumerate(location)
        if not (part == "rows" and index and location[index - 1] == "weights" and index < len(location) - 1)
    )


def problem_message(problem: Problem, path: FieldPath) -> str:
    kind, given = problem.kind, problem.given
    if kind == "unknown":
        known = problem.detail
        message = f"unknown field {path[-1]!r}{did_you_mean(str(path[-1]), known)}"
        elsewhere = [format_path(found) for found in _fields_named(str(path[-1])) if found != path]
        if elsewhere:
            message += f"; it belongs under {' or '.join(elsewhere)}"
        elif known and not did_you_mean(str(path[-1]), known):
            message += f"; known fields: {', '.join(known)}"
        return message
    if kind == "missing":
        return "is required but missing"
    if kind == "choice":
        choices = problem.detail
        suggestion = did_you_mean(str(given), choices) or _spelt_out(str(given), choices)
        return f"{given!r} is not one of {', '.join(choices)}{suggestion}"
    if kind == "tag":
        tag = problem.detail
        choices = [*RANDOM_INITS, *INIT_ALIASES]
        return f"unknown weight scheme {tag!r}; use a number, a matrix, or init: one of {', '.join(choices)}{did_you_mean(tag, choices)}"
    if kind == "no_tag":
        return "needs a number, a matrix (list of rows), or a mapping with 'init'"
    if kind == "mapping":
        message = "should be a mapping of fields"
    elif kind == "list":
        message = "input should be a list"  # config files have lists; tuples are ours
    else:
        message = problem.detail
    if given is not None and not isinstance(given, (dict, list)):
        message += f" (got {given!r})"
        if kind == "list":  # one item where a list belongs: frozen: bias
            message += f"; write it as a list: [{given}]"
    return message


def _fields_named(name: str, model: type[Model] = Config, path: FieldPath = ()) -> list[FieldPath]:
    """Every path in the config where a field called `name` belongs (a list's items as [0])."""
    found: list[FieldPath] = []
    for field_name, spec in fields_of(model).items():
        here = (*path, field_name)
        if field_name == name:
            found.append(here)
        inner = _model_in(spec.hint)
        if inner is not None and inner is not model:
            is_list = "tuple" in str(spec.hint)
            found += _fields_named(name, inner, (*here, 0) if is_list else here)
    return found


def _spelt_out(given: str, choices: list[str]) -> str:
    """'; did you mean ...?' for an abbreviation made of a choice's initials (mse, bce)."""
    letters = given.lower().replace("_", "").replace("-", "")
    for choice in choices:
        if len(letters) > 1 and "".join(word[:1] for word in choice.split("_")) == letters:
            return f"; did you mean {choice!r}?"
    return ""


def _model_in(annotation: Any) -> Any:
    """The model class inside an annotation like tuple[Layer, ...] or Inputs | None."""
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
