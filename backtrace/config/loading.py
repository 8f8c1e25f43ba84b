"""The config layer's one way in: text -> parsed document -> overrides -> validated `Spec`.

Nothing here computes or prints; every failure is a `ConfigError` that names the file, the line
when it is known, and the field.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from backtrace.config import checks
from backtrace.config.checks import did_you_mean
from backtrace.config.names import Names, build_names
from backtrace.config.schema import INIT_ALIASES, RANDOM_INITS, Config
from backtrace.errors import ConfigError

FieldPath = tuple[str | int, ...]
STDIN = "-"
SAFE_OVERRIDES = ("title", "epochs", "reference")  # --set fields that leave reference values true


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading floats as YAML 1.2 (and JSON) do.

    PyYAML follows YAML 1.1, where `1e-3` (no dot, unsigned exponent optional) is a string;
    people write learning rates that way, so floats get the 1.2 pattern."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader


@dataclass(frozen=True)
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

    def with_epochs(self, epochs: int) -> Spec:
        """The same network trained for `epochs` epochs, checked as the config field is."""
        document = {**self.config.model_dump(exclude_unset=True), "epochs": epochs}
        try:
            config = Config.model_validate(document)
        except ValidationError as error:
            raise pydantic_error(error).located(source=self.source) from None
        return dataclasses.replace(self, config=config)


def format_path(path: FieldPath) -> str:
    """('layers', 0, 'activation') -> 'layers[0].activation'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_text(path: str, stdin: io.TextIOBase | None = None) -> tuple[str, str]:
    """The config's text and the name to use for it in messages."""
    if path == STDIN:
        if stdin is None:
            raise ConfigError("no standard input to read the config from", source="<stdin>")
        return stdin.read(), "<stdin>"
    try:
        return Path(path).read_text(encoding="utf-8-sig"), path  # -sig: drop a byte-order mark
    except FileNotFoundError:
        raise ConfigError("no such file", source=path) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a config file", source=path) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"is not UTF-8 text ({error.reason})", source=path) from None
    except OSError as error:
        raise ConfigError(error.strerror or str(error), source=path) from None


def parse_document(text: str, source: str) -> tuple[Any, dict[FieldPath, int]]:
    """The document as plain data, plus the line on which each field starts (1-based).

    JSON is read by the json module when the name ends in .json; everything else as YAML,
    which also reads JSON, so a config piped on stdin may be either.
    """
    if source.endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(
                f"invalid JSON: {error.msg}", source=source, line=error.lineno
            ) from None
    else:
        try:
            document = load_yaml(text)
        except yaml.MarkedYAMLError as error:
            line = error.problem_mark.line + 1 if error.problem_mark else None
            raise ConfigError(f"invalid YAML: {error.problem}", source=source, line=line) from None
        except yaml.YAMLError as error:
            raise ConfigError(f"invalid YAML: {error}", source=source) from None
        except RecursionError:
            raise ConfigError("is nested too deeply to be a config", source=source) from None
    return document, field_lines(text, source)


def field_lines(text: str, source: str) -> dict[FieldPath, int]:
    """Map each field path to its line, and reject duplicate keys that parsers silently drop."""
    try:
        root = yaml.compose(text, Loader=Loader)
    except (yaml.YAMLError, RecursionError):
        return {}  # valid JSON that YAML cannot read: fine, just no line numbers
    lines: dict[FieldPath, int] = {}

    def walk(node: yaml.Node, path: FieldPath) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    raise ConfigError(
                        "appears twice; keep one",
                        source=source,
                        field=format_path(path + (key,)),
                        line=key_node.start_mark.line + 1,
                    )
                seen.add(key)
                walk(value_node, path + (key,))
                lines[path + (key,)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    if root is not None:
        try:
            walk(root, ())
        except RecursionError:
            return {}
    return lines


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
    try:
        parsed = load_yaml(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
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
) -> Spec:
    """Read, override, validate and check a config file; the data it names is loaded too.

    `name` is how messages and traces refer to the config (default: the path)."""
    text, source = read_text(path, stdin)
    base = Path(path).parent if path != STDIN else Path.cwd()
    return load_text(
        text,
        name or source,
        base=base,
        overrides=overrides,
        epochs=epochs,
        overrides_named=overrides_named,
    )


def load_text(
    text: str,
    source: str,
    *,
    base: Path | None = None,
    overrides: Sequence[str | Override] = (),
    epochs: int | None = None,
    overrides_named: str = "--set",
) -> Spec:
    """A config from its YAML or JSON text; `base` is where a relative CSV path starts."""
    document, lines = parse_document(text, source)
    return load_document(
        document,
        source,
        base=base,
        lines=lines,
        overrides=overrides,
        epochs=epochs,
        overrides_named=overrides_named,
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
) -> Spec:
    """A config from parsed data, with overrides applied: 'PATH=VALUE' strings as --set takes
    them, or (path, value) pairs.

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
    try:
        spec = build_spec(document, source, base=base, lines=lines)
        return dataclasses.replace(spec, references_dropped=dropped)
    except ConfigError as error:
        field = parse_field(error.field) if error.field else ()
        if any(field[: len(changed)] == changed for changed in overridden):
            raise ConfigError(error.message, source=overrides_named, field=error.field) from None
        raise


def build_spec(
    document: Any,
    source: str = "<config>",
    *,
    base: Path | None = None,
    lines: dict[FieldPath, int] | None = None,
) -> Spec:
    """Validate parsed config data; `base` is where a relative CSV path starts."""
    lines = lines or {}
    if not isinstance(document, dict):
        raise ConfigError("must be a mapping of fields (inputs, layers, loss, ...)", source=source)

    def locate(error: ConfigError) -> ConfigError:
        line = lines.get(parse_field(error.field)) if error.field is not None else None
        return error.located(source=source, line=line)

    try:
        config = Config.model_validate(document)
    except ValidationError as error:
        raise locate(pydantic_error(error)) from None
    try:
        names = build_names(config)
        inputs, targets = load_data(config, base or Path.cwd())
        checks.check_config(config, names, inputs, targets)
        frozen = checks.resolve_frozen(config, names)
    except ConfigError as error:
        raise locate(error) from None
    return Spec(config, source, names, inputs, targets, frozen)


def load_data(config: Config, base: Path) -> tuple[np.ndarray, np.ndarray]:
    """Split the data rows into inputs and targets, reading the CSV file if one is named."""
    if config.data.csv is not None:
        rows = read_csv(base / config.data.csv, config.data.csv)
        field = "data.csv"
    else:
        rows = [(list(row), None) for row in config.data.rows or ()]
        field = "data.rows"
    if not rows:
        raise ConfigError("holds no samples", field=field)
    width = config.inputs.units + config.layers[-1].units
    for number, (row, line) in enumerate(rows):
        if len(row) != width:
            where = f"{config.data.csv} line {line} has" if line else "has"
            raise ConfigError(
                f"{where} {len(row)} values but each sample needs {width}: "
                f"{config.inputs.units} inputs, then {config.layers[-1].units} target(s)",
                field=f"{field}[{number}]" if line is None else field,
            )
    table = np.array([row for row, _ in rows], dtype=np.float64)
    return table[:, : config.inputs.units].copy(), table[:, config.inputs.units :].copy()


def read_csv(path: Path, as_written: str) -> list[tuple[list[float], int]]:
    """Rows of numbers from a CSV file, each with its line number; a first row that is not all
    numbers is taken as a header."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets write a byte-order mark
    except OSError as error:
        raise ConfigError(f"cannot read {as_written}: {error.strerror}", field="data.csv") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{as_written} is not UTF-8 text", field="data.csv") from None
    rows: list[tuple[list[float], int]] = []
    for line_number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or all(not cell.strip() for cell in cells):
            continue
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            if not rows and line_number == 1:
                continue  # a header row
            raise ConfigError(
                f"{as_written} line {line_number}: every cell must be a number", field="data.csv"
            ) from None
        if not all(np.isfinite(values)):
            raise ConfigError(
                f"{as_written} line {line_number}: NaN and infinity are not data", field="data.csv"
            )
        rows.append((values, line_number))
    return rows


def parse_field(text: str) -> FieldPath:
    parts: list[str | int] = []
    for part in text.replace("[", ".").replace("]", "").split("."):
        if part:
            parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def pydantic_error(error: ValidationError) -> ConfigError:
    """The first validation failure as a ConfigError with a readable message."""
    errors = error.errors()
    # A misspelt field shows up twice: as unknown, and the real one as missing. Name the typo.
    first = next((item for item in errors if item["type"] == "extra_forbidden"), errors[0])
    path = _user_path(first["loc"])
    kind, given = first["type"], first.get("input")
    if kind == "extra_forbidden":
        known = _known_fields(path[:-1])
        message = f"unknown field {path[-1]!r}{did_you_mean(str(path[-1]), known)}"
        if known and not did_you_mean(str(path[-1]), known):
            message += f"; known fields: {', '.join(known)}"
    elif kind == "missing":
        message = "is required but missing"
    elif kind == "literal_error":
        choices = [
            choice.strip(" '")
            for choice in first["ctx"]["expected"].replace(" or ", ", ").split(",")
        ]
        message = f"{given!r} is not one of {', '.join(choices)}{did_you_mean(str(given), choices)}"
    elif kind == "union_tag_invalid":
        tag = str(first["ctx"]["tag"])
        choices = [*RANDOM_INITS, *INIT_ALIASES]
        message = f"unknown weight scheme {tag!r}; use a number, a matrix, or init: one of {', '.join(choices)}{did_you_mean(tag, choices)}"
    elif kind == "union_tag_not_found":
        message = "needs a number, a matrix (list of rows), or a mapping with 'init'"
    else:
        # Config files have lists, not tuples; say what the user wrote.
        message = first["msg"].removeprefix("Value error, ").replace("a valid tuple", "a list")
        message = message[0].lower() + message[1:] if message else message
        if given is not None and not isinstance(given, (dict, list)):
            message += f" (got {given!r})"
    return ConfigError(message, field=format_path(path) if path else None)


def _user_path(location: tuple) -> FieldPath:
    """The error's path as the user wrote it. A weight scheme's tag shows up as a path step
    (layers[0].weights.xavier_uniform.std), and a shorthand's long-form key after it
    (weights: [[...]] is stored as weights.matrix.rows); neither was written, so drop both."""
    path: list[str | int] = []
    for index, part in enumerate(location):
        before = location[index - 1] if index else None
        if before == "weights" and part in (*RANDOM_INITS, "constant", "matrix"):
            continue
        if (
            before in ("constant", "matrix")
            and part in ("value", "rows")
            and index < len(location) - 1
        ):
            continue
        path.append(part)
    return tuple(path)


def _known_fields(path: FieldPath) -> list[str]:
    """The field names allowed at a path, found by following the models' annotations."""
    model: Any = Config
    for part in path:
        if isinstance(part, int):
            continue
        if (
            not (isinstance(model, type) and issubclass(model, BaseModel))
            or part not in model.model_fields
        ):
            return []
        model = _model_in(model.model_fields[part].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """The model class inside an annotation like tuple[Layer, ...] or Inputs | None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
