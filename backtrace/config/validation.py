"""A small validator for the config's frozen dataclasses.

Each field is declared once, as a type hint, constraints and a default (`Field`); that one
declaration checks a parsed document, fills in the defaults and writes the JSON Schema. It
does what the config needs and no more: strict scalars (a quoted "1.5" or a `true` is not a
number), lists read as tuples, no unknown keys, no NaN or infinity, tagged unions.

Failures are collected as `Problem`s, in the order the fields are declared; `loading.py` turns
the one worth reporting into a message with the file, the line and a suggestion.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable
from itertools import chain, islice
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from backtrace.frozen import frozen

Location = tuple[str | int, ...]
FAILED = object()  # what a check returns once it has noted its problem
PLAIN_NUMBERS = {int, float}  # exactly these: a bool is an int to Python, not to a config


# The validator's own classes are plain slotted classes, not dataclasses: making a dataclass
# costs most of a millisecond at import, and a run imports this module every time.


class Problem:
    """One failure at a field path. `kind` says how to word it: 'unknown' (an unknown key;
    `detail` the known fields), 'missing', 'choice' (`detail` the choices), 'tag' (an unknown
    tag), 'no_tag', 'mapping' (not a mapping of fields), 'list' (not a list) or 'wrong'
    (`detail` the message)."""

    __slots__ = ("location", "kind", "given", "detail")

    def __init__(self, location: Location, kind: str, given: Any = None, detail: Any = None):
        self.location, self.kind, self.given, self.detail = location, kind, given, detail

    def __repr__(self) -> str:
        return f"Problem({self.location!r}, {self.kind!r}, {self.given!r}, {self.detail!r})"


class Invalid(ValueError):
    """Raised when a model is built from values that do not fit it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        where = ".".join(map(str, first.location)) or "the model"
        what = first.detail if first.kind == "wrong" else f"{first.kind} ({first.given!r})"
        super().__init__(f"{where}: {what}")  # loading.py words it for people


class Rule:
    """Constraints on a value. A field's own come from `Field`; a type's from Annotated
    (`Annotated[str, Rule(pattern=...)]`). `check` runs last, and raises ValueError."""

    __slots__ = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern", "check")

    def __init__(
        self,
        *,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        lt: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        check: Callable[[Any], Any] | None = None,
    ) -> None:
        self.ge, self.gt, self.le, self.lt = ge, gt, le, lt
        self.min_length, self.max_length, self.pattern, self.check = (
            min_length,
            max_length,
            pattern,
            check,
        )

    def joined(self, other: Rule) -> Rule:
        """This rule with `other`'s constraints added (and winning where both set one)."""
        given = {name: getattr(self, name) for name in self.__slots__}
        given.update(
            (name, getattr(other, name))
            for name in other.__slots__
            if getattr(other, name) is not None
        )
        return Rule(**given)


NO_RULE = Rule()


class Tagged:
    """Marks a union of models as chosen by one key (`Annotated[A | B, Tagged("init")]`)."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


def Field(  # noqa: N802 - read like a type's declaration, as pydantic's and attrs' are
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    before: Callable[[Any], Any] | None = None,
    **constraints: Any,
) -> Any:
    """A field's default and constraints; `before` rewrites a shorthand before the check."""
    metadata = {"rule": Rule(**constraints), "before": before}
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


def _wrong(location: Location, message: str, given: Any) -> Problem:
    return Problem(location, "wrong", given, message)


def _wrong_value(location: Location, error: ValueError, given: Any) -> Problem:
    message = str(error)
    return _wrong(location, message[:1].lower() + message[1:], given)


class Check:
    """A compiled type hint: checks a value and writes its JSON Schema. Each kind names its
    parts in `__slots__`, and is made with them in that order."""

    __slots__: tuple[str, ...] = ()

    def __init__(self, *parts: Any) -> None:
        for name, part in zip(self.__slots__, parts, strict=True):
            setattr(self, name, part)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        raise NotImplementedError

    def quick(self, values: list | tuple) -> tuple | None:
        """The items of a list when all of them plainly pass, found without checking each in
        turn; None when that cannot be told so quickly (then each is checked, to name the
        bad one)."""
        return None

    def quick_rows(self, rows: list | tuple) -> tuple | None:
        """`quick` for a list of lists of these: each row's items, or None."""
        found = []
        for row in rows:
            items = self.quick(row) if isinstance(row, (list, tuple)) else None
            if items is None:
                return None
            found.append(items)
        return tuple(found)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


def _matches(pattern: str, text: str) -> bool:
    """Whether `pattern` matches `text` as JSON Schema reads it, where a final `$` is the end
    of the text: Python's `$` also matches before a trailing newline, and "X\\n" is no name."""
    found = re.search(pattern, text)
    return found is not None and not (pattern.endswith("$") and found.end() != len(text))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _check_range(
    rule: Rule, value: Any, given: Any, location: Location, problems: list[Problem]
) -> bool:
    """Whether `value` is within the rule's bounds; messages show the `given` text's value."""
    for bound, holds, words in (
        (rule.gt, lambda bound: value > bound, "greater than"),
        (rule.ge, lambda bound: value >= bound, "greater than or equal to"),
        (rule.lt, lambda bound: value < bound, "less than"),
        (rule.le, lambda bound: value <= bound, "less than or equal to"),
    ):
        if bound is not None and not holds(bound):
            problems.append(_wrong(location, f"input should be {words} {bound}", given))
            return False
    return True


def _schema_range(rule: Rule) -> dict[str, Any]:
    words = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}
    return {words[name]: getattr(rule, name) for name in words if getattr(rule, name) is not None}


def _finish(rule: Rule, value: Any, location: Location, problems: list[Problem]) -> Any:
    """Run the rule's own check, last, as a value error at this field."""
    if rule.check is None:
        return value
    try:
        return rule.check(value)
    except ValueError as error:
        problems.append(_wrong_value(location, error, value))
        return FAILED


class Whole(Check):
    __slots__ = ("rule",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(_wrong(location, "input should be a valid integer", value))
            return FAILED
        if not _check_range(self.rule, value, value, location, problems):
            return FAILED
        return _finish(self.rule, value, location, problems)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {**_schema_range(self.rule), "type": "integer"}


class Number(Check):
    __slots__ = ("rule",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        number = FAILED
        if isinstance(value, float):
            number = value
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                pass
        if number is FAILED:
            problems.append(_wrong(location, "input should be a valid number", value))
            return FAILED
        if not math.isfinite(number):
            problems.append(_wrong(location, "input should be a finite number", value))
            return FAILED
        if not _check_range(self.rule, number, value, location, problems):
            return FAILED
        return _finish(self.rule, number, location, problems)

    # Data rows can hold many thousands of numbers: plain, finite numbers under no constraint
    # are taken in a few C-level passes over all of them, rather than one call each.
    def _unconstrained(self) -> bool:
        rule = self.rule
        return rule.ge is rule.gt is rule.le is rule.lt is rule.check is None

    def quick(self, values: list | tuple) -> tuple | None:
        if not self._unconstrained() or not set(map(type, values)) <= PLAIN_NUMBERS:
            return None
        try:
            numbers = tuple(map(float, values))
        except OverflowError:
            return None
        return numbers if all(map(math.isfinite, numbers)) else None

    def quick_rows(self, rows: list | tuple) -> tuple | None:
        if not self._unconstrained() or not set(map(type, rows)) <= {list, tuple}:
            return None
        flat = list(chain.from_iterable(rows))
        if set(map(type, flat)) == {float}:  # the common case: floats already
            return tuple(map(tuple, rows)) if all(map(math.isfinite, flat)) else None
        numbers = self.quick(flat)
        if numbers is None:
            return None
        taken = iter(numbers)
        return tuple([tuple(islice(taken, len(row))) for row in rows])

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {**_schema_range(self.rule), "type": "number"}


class Flag(Check):
    __slots__ = ("rule",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        if not isinstance(value, bool):
            problems.append(_wrong(location, "input should be a valid boolean", value))
            return FAILED
        return _finish(self.rule, value, location, problems)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


class Text(Check):
    __slots__ = ("rule",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        rule = self.rule
        if not isinstance(value, str):
            problems.append(_wrong(location, "input should be a valid string", value))
            return FAILED
        if rule.min_length is not None and len(value) < rule.min_length:
            words = f"string should have at least {_plural(rule.min_length, 'character')}"
            problems.append(_wrong(location, words, value))
            return FAILED
        if rule.max_length is not None and len(value) > rule.max_length:
            words = f"string should have at most {_plural(rule.max_length, 'character')}"
            problems.append(_wrong(location, words, value))
            return FAILED
        if rule.pattern is not None and not _matches(rule.pattern, value):
            problems.append(
                _wrong(location, f"string should match pattern '{rule.pattern}'", value)
            )
            return FAILED
        return _finish(rule, value, location, problems)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        rule = self.rule
        limits = {
            "maxLength": rule.max_length,
            "minLength": rule.min_length,
            "pattern": rule.pattern,
        }
        return {
            **{key: value for key, value in limits.items() if value is not None},
            "type": "string",
        }


class Choice(Check):
    """One of a few literal values (Literal[...])."""

    __slots__ = ("values",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        for choice in self.values:
            # `==` as Python has it (True is 1), but never a text for a number or the reverse.
            if isinstance(value, str) == isinstance(choice, str) and value == choice:
                return choice
        problems.append(Problem(location, "choice", value, [str(choice) for choice in self.values]))
        return FAILED

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        kind = "string" if all(isinstance(value, str) for value in self.values) else "integer"
        if len(self.values) == 1:
            return {"const": self.values[0], "type": kind}
        return {"enum": list(self.values), "type": kind}


class ListOf(Check):
    """tuple[X, ...]: written as a list, kept as a tuple."""

    __slots__ = ("item", "rule")

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset)):  # a set, from Python callers
            problems.append(Problem(location, "list", value))
            return FAILED
        if isinstance(value, (set, frozenset)):
            value = list(value)
        before = len(problems)
        items = self.item.quick(value)
        if items is None:
            items = tuple(
                self.item.check(item, (*location, number), problems)
                for number, item in enumerate(value)
            )
        if len(problems) > before:
            return FAILED
        least = self.rule.min_length
        if least is not None and len(items) < least:
            words = f"list should have at least {_plural(least, 'item')}, not {len(items)}"
            problems.append(_wrong(location, words, None))
            return FAILED
        return _finish(self.rule, items, location, problems)

    def quick(self, values: list | tuple) -> tuple | None:
        if self.rule.min_length is not None or self.rule.check is not None:
            return None
        return self.item.quick_rows(values)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        least = {} if self.rule.min_length is None else {"minItems": self.rule.min_length}
        return {"items": self.item.schema(definitions), **least, "type": "array"}


class Either(Check):
    """The first member that fits; when none does, every member's problems, in order."""

    __slots__ = ("members",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        tried: list[Problem] = []
        for member in self.members:
            attempt: list[Problem] = []
            result = member.check(value, location, attempt)
            if not attempt:
                return result
            tried += attempt
        problems += tried
        return FAILED

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [member.schema(definitions) for member in self.members]}


class Optional(Check):
    __slots__ = ("inner",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        return None if value is None else self.inner.check(value, location, problems)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        inner = self.inner.schema(definitions)
        return {"anyOf": [*inner.get("anyOf", [inner]), {"type": "null"}]}


class Nested(Check):
    __slots__ = ("model",)

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        if isinstance(value, self.model):
            return value
        if not isinstance(value, dict):
            problems.append(Problem(location, "mapping", value))
            return FAILED
        return _build(self.model, value, location, problems)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        name = self.model.__name__
        if name not in definitions:
            definitions[name] = {}  # claimed first: a model may hold itself
            definitions[name] = model_schema(self.model, definitions)
        return {"$ref": f"#/$defs/{name}"}


class ByTag(Check):
    """A union of models, the one to use named by a key each declares as a Literal."""

    __slots__ = ("key", "models")

    def check(self, value: Any, location: Location, problems: list[Problem]) -> Any:
        if isinstance(value, tuple(self.models.values())):
            return value
        if not isinstance(value, dict) or self.key not in value:
            problems.append(Problem(location, "no_tag", value))
            return FAILED
        tag = value[self.key]
        model = self.models.get(tag) if isinstance(tag, str) else None
        if model is None:
            problems.append(Problem(location, "tag", value, str(tag)))
            return FAILED
        return _build(model, value, location, problems)

    def schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        members = {model.__name__: model for model in self.models.values()}
        refs = [Nested(model).schema(definitions) for model in members.values()]
        return {"oneOf": refs}


def compile_hint(hint: Any, rule: Rule = NO_RULE) -> Check:
    """The check for a type hint; `rule` holds the field's own constraints."""
    origin = get_origin(hint)
    if origin is Annotated:
        base, *marks = get_args(hint)
        tags = [mark for mark in marks if isinstance(mark, Tagged)]
        if tags:
            models = {
                tag: model
                for model in get_args(base)
                for tag in get_args(fields_of(model)[tags[0].key].hint)
            }
            return ByTag(tags[0].key, models)
        own = NO_RULE
        for mark in marks:
            if isinstance(mark, Rule):
                own = own.joined(mark)
        return compile_hint(base, own.joined(rule))
    if origin in (Union, types.UnionType):
        members = get_args(hint)
        others = tuple(compile_hint(member, rule) for member in members if member is not type(None))
        inner = others[0] if len(others) == 1 else Either(others)
        return Optional(inner) if type(None) in members else inner
    if origin is Literal:
        return Choice(get_args(hint))
    if origin is tuple:
        item, dots = get_args(hint)
        assert dots is Ellipsis, "only tuple[X, ...] reads as a list"
        return ListOf(compile_hint(item), rule)
    if isinstance(hint, type) and issubclass(hint, Model):
        return Nested(hint)
    simple = {bool: Flag, int: Whole, float: Number, str: Text}
    if hint in simple:
        return simple[hint](rule)
    raise TypeError(f"the config validator has no check for {hint!r}")


class FieldSpec:
    """A model's field as the validator reads it: its hint compiled, its default, its shorthand."""

    __slots__ = ("name", "hint", "check", "default", "default_factory", "before")

    def __init__(
        self,
        name: str,
        hint: Any,
        check: Check,
        default: Any,  # dataclasses.MISSING when there is none
        default_factory: Any,
        before: Callable[[Any], Any] | None,
    ) -> None:
        self.name, self.hint, self.check = name, hint, check
        self.default, self.default_factory, self.before = default, default_factory, before

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING and self.default_factory is dataclasses.MISSING


_FIELDS: dict[type, dict[str, FieldSpec]] = {}


def fields_of(model: type[Model]) -> dict[str, FieldSpec]:
    """The model's fields by name, in declaration order, compiled on first use."""
    found = _FIELDS.get(model)
    if found is None:
        items = dataclasses.fields(model)
        hints = model.__dict__.get("__annotations__", {})
        if any(isinstance(hints.get(item.name, ""), str) for item in items):
            # Inherited, or written as text (`from __future__ import annotations`): evaluating
            # hints costs milliseconds a run, which is why schema.py declares them as objects.
            hints = typing.get_type_hints(model, include_extras=True)
        found = {}
        for item in items:
            rule = item.metadata.get("rule", NO_RULE)
            found[item.name] = FieldSpec(
                item.name,
                hints[item.name],
                compile_hint(hints[item.name], rule),
                item.default,
                item.default_factory,
                item.metadata.get("before"),
            )
        _FIELDS[model] = found
    return found


def _build(model: type[Model], data: dict, location: Location, problems: list[Problem]) -> Any:
    """A model from a mapping, or FAILED with its problems noted."""
    before = len(problems)
    fields = fields_of(model)
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        here = (*location, name)
        if name in data:
            value = data[name]
            if spec.before is not None:
                try:
                    value = spec.before(value)
                except ValueError as error:
                    problems.append(_wrong_value(here, error, value))
                    continue
            values[name] = spec.check.check(value, here, problems)
        elif spec.default is not dataclasses.MISSING:
            values[name] = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            values[name] = spec.default_factory()
        else:
            problems.append(Problem(here, "missing"))
    for key, value in data.items():
        if not isinstance(key, str):
            problems.append(_wrong((*location, key), "keys should be strings", key))
        elif key not in fields:
            problems.append(Problem((*location, key), "unknown", value, list(fields)))
    if len(problems) > before:
        return FAILED
    built = object.__new__(model)
    for name, value in values.items():
        object.__setattr__(built, name, value)
    object.__setattr__(built, "_given", frozenset(name for name in data if name in fields))
    try:
        built._consistent()
    except ValueError as error:
        problems.append(_wrong_value(location, error, data))
        return FAILED
    return built


class Model:
    """A frozen dataclass whose fields are checked when it is made, from keywords (`Model(...)`)
    or from a parsed document (`Model.validate(...)`). Subclasses are made frozen dataclasses
    here, with backtrace.frozen's shared equality, hash, repr and immutability."""

    _given: ClassVar[frozenset[str]] = frozenset()  # per instance: the fields the input set

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        frozen(cls, init=False, kw_only=True)

    def __init__(self, **given: Any) -> None:
        problems: list[Problem] = []
        built = _build(type(self), given, (), problems)
        if problems:
            raise Invalid(problems)
        for name in fields_of(type(self)):
            object.__setattr__(self, name, getattr(built, name))
        object.__setattr__(self, "_given", built._given)

    @classmethod
    def validate(cls, document: Any) -> Any:
        """A model from parsed data; raises Invalid listing every problem."""
        problems: list[Problem] = []
        built = Nested(cls).check(document, (), problems)
        if problems:
            raise Invalid(problems)
        return built

    def _consistent(self) -> None:
        """Checks across this model's fields; raises ValueError. Runs once the fields pass."""

    def as_document(self) -> dict[str, Any]:
        """The fields the input set, as a document would write them (nested models as mappings)."""
        return {
            name: _as_document(getattr(self, name))
            for name in fields_of(type(self))
            if name in self._given
        }

    @property
    def fields_set(self) -> frozenset[str]:
        """The fields the input gave, rather than left to their default."""
        return self._given


def _as_document(value: Any) -> Any:
    if isinstance(value, Model):
        return value.as_document()
    if isinstance(value, tuple):
        return [_as_document(item) for item in value]
    return value


def _title(name: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in name.split("_"))


def _plain_json(value: Any) -> Any:
    return [_plain_json(item) for item in value] if isinstance(value, tuple) else value


def _keywords_sorted(schema: Any) -> Any:
    """A schema's keywords in alphabetical order, all the way down, so that the committed
    file reads the same whichever order the checks were written in."""
    if isinstance(schema, list):
        return [_keywords_sorted(item) for item in schema]
    if isinstance(schema, dict):
        return {key: _keywords_sorted(schema[key]) for key in sorted(schema)}
    return schema


def model_schema(model: type[Model], definitions: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON Schema, its nested models added to `definitions`."""
    properties: dict[str, Any] = {}
    for name, spec in fields_of(model).items():
        schema = spec.check.schema(definitions)
        refers = "$ref" in schema or any("$ref" in member for member in schema.get("anyOf", ()))
        if spec.default is not dataclasses.MISSING:
            schema["default"] = _plain_json(spec.default)
        if not refers:
            schema["title"] = _title(name)
        properties[name] = _keywords_sorted(schema)
    required = [name for name, spec in fields_of(model).items() if spec.required]
    described = {"description": model.__doc__} if model.__doc__ else {}
    return {
        "additionalProperties": False,
        **described,
        "properties": properties,
        **({"required": required} if required else {}),
        "title": model.__name__,
        "type": "object",
    }


def json_schema(model: type[Model]) -> dict[str, Any]:
    """The JSON Schema of a model and every model inside it, under $defs."""
    definitions: dict[str, Any] = {}
    top = model_schema(model, definitions)
    return {"$defs": dict(sorted(definitions.items())), **top}
