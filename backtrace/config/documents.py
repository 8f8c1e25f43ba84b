"""YAML and JSON text -> plain data, plus the line on which each field starts, in one pass.

Both readers build the data themselves from a stream of tokens, so that they can refuse a
hostile document as soon as it crosses a limit (`backtrace.limits`), before memory grows:
nesting depth, the length of any one string or number, and the values that YAML aliases
and merge keys add. An alias is never expanded here: the value it names is shared, and only
its size is counted against the budget.

Scalars follow YAML 1.2's core schema, which is what JSON and most people expect: `true` and
`false` are the only booleans (`yes`, `off` ... are text), `1_000` and `1:30` are text, and
`0x1F`, `0o17` are numbers. An integer with a leading zero (`010`) is refused, because
YAML 1.1 readers take it as octal and YAML 1.2 readers as decimal.
"""

from __future__ import annotations

import json.decoder
import math
import re
from collections.abc import Iterator
from typing import Any

import yaml

from backtrace import limits
from backtrace.errors import ConfigError
from backtrace.limits import Limits

try:  # libyaml's parser is several times faster than PyYAML's pure-Python one.
    from yaml.cyaml import CParser as _FastParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _FastParser = None

FieldPath = tuple[Any, ...]
Lines = dict[FieldPath, int]


class SyntaxProblem(ConfigError):
    """The text is not YAML (or JSON) at all, as opposed to YAML that breaks a limit."""


# -- YAML 1.2 core schema scalars --------------------------------------------------------------

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCTAL = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}  # fmt: skip
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TAG = "tag:yaml.org,2002:"
MERGE_KEY = "<<"


def _number(text: str, chosen: Limits, line: int) -> int | float:
    """A plain scalar that looks like a number, checked for length and leading zeros."""
    if len(text) > chosen.number_chars:
        raise ConfigError(
            f"a number written with {len(text)} characters is longer than the "
            f"{chosen.number_chars} allowed",
            line=line,
        )
    if _INT.match(text):
        if _LEADING_ZERO.match(text):
            plain = text.lstrip("+-").lstrip("0") or "0"
            raise ConfigError(
                f"{text} starts with 0, which YAML 1.1 reads as octal and YAML 1.2 as decimal; "
                f"write {text[0] if text[0] in '+-' else ''}{plain} (or 0o{plain} for octal)",
                line=line,
            )
        return int(text)
    if _OCTAL.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    return float(text)


def _looks_numeric(text: str) -> bool:
    return bool(_INT.match(text) or _OCTAL.match(text) or _HEX.match(text) or _FLOAT.match(text))


def _resolve_plain(text: str, chosen: Limits, line: int) -> Any:
    """A plain (unquoted, untagged) scalar as YAML 1.2's core schema reads it."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    if _looks_numeric(text):
        return _number(text, chosen, line)
    return text


def _resolve_tagged(tag: str, text: str, chosen: Limits, line: int) -> Any:
    """A scalar with an explicit tag; only the core schema's tags are understood."""
    name = tag.removeprefix(_TAG)
    if tag in ("!", _TAG + "str"):
        return text
    if name == "null" and _NULL.match(text):
        return None
    if name == "bool" and text in _BOOL:
        return _BOOL[text]
    if name in ("int", "float") and _looks_numeric(text):
        value = _number(text, chosen, line)
        if name == "int" and isinstance(value, float):
            raise ConfigError(f"!!int {text} is not a whole number", line=line)
        return float(value) if name == "float" else value
    if name == "float" and text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    if name in ("null", "bool", "int", "float"):
        raise ConfigError(f"!!{name} {text!r} is not a valid {name}", line=line)
    raise ConfigError(_unsupported_tag(tag), line=line)


def _too_deep(chosen: Limits) -> str:
    return f"is nested too deeply: more than {chosen.depth} lists and mappings inside each other"


def _unsupported_tag(tag: str) -> str:
    shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
    return (
        f"the tag {shown} is not supported; a config holds only text, numbers, true/false, "
        "null, lists and mappings"
    )


# -- YAML ---------------------------------------------------------------------------------------


class _NoKey:
    """Marks a mapping that is waiting for a key rather than a value."""


_NO_KEY = _NoKey()


class _Collection:
    """A list or mapping being read: where it is, and what it holds so far."""

    __slots__ = (
        "value", "path", "anchor", "flow", "size", "key", "key_line", "key_merges", "merges",
    )  # fmt: skip

    def __init__(self, value: list | dict, path: FieldPath, anchor: str | None, flow: bool) -> None:
        self.value, self.path, self.anchor = value, path, anchor
        self.flow = flow  # written [a, b] or {a: 1} on one line, rather than one item a line
        self.size = 1  # this value and everything inside it, aliases expanded
        self.key: Any = _NO_KEY  # a mapping's key waiting for its value
        self.key_line = 0
        self.key_merges = False  # whether that key is a plain <<
        self.merges: list[tuple[Any, int]] = []  # values of << keys, merged at the end

    def wants_key(self) -> bool:
        return isinstance(self.value, dict) and self.key is _NO_KEY

    def child_path(self) -> FieldPath:
        if isinstance(self.value, list):
            return self.path + (len(self.value),)
        return self.path + (self.key,)


def _events(text: str) -> Iterator[yaml.Event]:
    if _FastParser is not None:
        parser = _FastParser(text)
        try:
            while parser.check_event():
                yield parser.get_event()
        finally:
            parser.dispose()
    else:  # pragma: no cover
        yield from yaml.parse(text, Loader=yaml.SafeLoader)


def parse_yaml(text: str) -> tuple[Any, Lines]:
    """A YAML document as plain data, with the line of each field (1-based). Errors carry
    the line but not the file, which the caller knows."""
    bad = _SURROGATE.search(text)
    if bad:  # only text from outside a file (arguments, callers) can hold one
        raise ConfigError(f"contains {_escape(bad.group())}, which is not a character")
    reader = _YamlReader(limits.active())
    try:
        return reader.read(_events(text)), reader.lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "not valid YAML"
        line = mark.line + 1 if mark else None
        if "maximum nesting depth" in problem:  # libyaml's own, looser, limit
            raise ConfigError(_too_deep(limits.active()), line=line) from None
        raise SyntaxProblem(f"invalid YAML: {problem}", line=line) from None
    except yaml.reader.ReaderError as error:
        raise SyntaxProblem(f"invalid YAML: {error.reason}") from None
    except yaml.YAMLError as error:
        first = (str(error).strip().splitlines() or ["not valid YAML"])[0]
        raise SyntaxProblem(f"invalid YAML: {first}") from None


class _YamlReader:
    """Builds the document from parser events, counting as it goes."""

    def __init__(self, chosen: Limits) -> None:
        self.chosen = chosen
        self.lines: Lines = {}
        self.anchors: dict[str, tuple[Any, int]] = {}  # finished anchored values, with sizes
        self.open_anchors: set[str] = set()  # anchored collections still being read
        self.sizes: dict[int, int] = {}  # id of each list and mapping -> its size
        self.added = 0  # values that aliases have added so far
        self.stack: list[_Collection] = []
        self.root: Any = None

    def read(self, events: Iterator[yaml.Event]) -> Any:
        documents = 0
        for event in events:
            line = event.start_mark.line + 1 if event.start_mark else 0
            try:
                documents += self.take(event, line, documents)
            except ConfigError as error:
                if error.field is not None:
                    raise
                field = format_path(self.here()) or None
                raise ConfigError(error.message, field=field, line=error.line) from None
        return self.root

    def here(self) -> FieldPath:
        """The path of the value being read (for a key: of its mapping)."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        return top.path if top.wants_key() else top.child_path()

    def take(self, event: yaml.Event, line: int, documents: int) -> int:
        """Read one event; 1 if it starts a document, else 0."""
        kind = type(event)
        if kind is yaml.ScalarEvent:
            self.scalar(event, line)
        elif kind is yaml.AliasEvent:
            self.alias(event.anchor, line)
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            self.start(event, line, [] if kind is yaml.SequenceStartEvent else {})
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            self.end()
        elif kind is yaml.DocumentStartEvent:
            if documents:
                raise ConfigError(
                    "holds more than one YAML document (a second ---); keep one", line=line
                )
            return 1
        return 0

    def note_line(self, line: int, collection: bool) -> None:
        """Remember where a value starts, unless it is a word or number inside [ ... ]: that
        shares the line of its list, and an entry for each number of a data row would cost
        more memory than the numbers (messages use the nearest line noted)."""
        if not self.stack:
            self.lines[()] = line
            return
        parent = self.stack[-1]
        if parent.wants_key() or (
            not collection and parent.flow and isinstance(parent.value, list)
        ):
            return
        self.lines[parent.child_path()] = line

    def scalar(self, event: yaml.ScalarEvent, line: int) -> None:
        text, chosen = event.value, self.chosen
        if len(text) > chosen.text_chars:
            raise ConfigError(
                f"a text of {len(text):,} characters is longer than the "
                f"{chosen.text_chars:,} allowed",
                line=line,
            )
        plain = bool(event.implicit[0]) and event.tag in (None, "!") and not event.style
        if self.stack and self.stack[-1].wants_key():
            # Keys are field names, kept as written: `1:` is the key "1", and a plain << merges.
            self.stack[-1].key_merges = plain and text == MERGE_KEY
            value = (
                text
                if plain or event.tag in (None, "!")
                else _resolve_tagged(event.tag, text, chosen, line)
            )
        elif event.tag not in (None, "!"):
            value = _resolve_tagged(event.tag, text, chosen, line)
        elif plain:
            value = _resolve_plain(text, chosen, line)
        else:
            value = text
        self.note_line(line, collection=False)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        self.place(value, 1, line)

    def alias(self, anchor: str, line: int) -> None:
        if anchor in self.open_anchors:
            raise ConfigError(f"the alias *{anchor} refers to a value that contains it", line=line)
        if anchor not in self.anchors:
            raise ConfigError(f"the alias *{anchor} names no anchor &{anchor} before it", line=line)
        value, size = self.anchors[anchor]
        self.added += size
        if self.added > self.chosen.alias_values:
            raise ConfigError(
                f"aliases (*name) and merge keys (<<) would repeat more than "
                f"{self.chosen.alias_values:,} values; write the values out instead",
                line=line,
            )
        if self.stack and self.stack[-1].wants_key():
            self.stack[-1].key_merges = False
        self.note_line(line, collection=False)
        self.place(value, size, line)

    def start(self, event: yaml.CollectionStartEvent, line: int, value: list | dict) -> None:
        if event.tag not in (None, "!", _TAG + "seq", _TAG + "map"):
            raise ConfigError(_unsupported_tag(event.tag), line=line)
        if self.stack and self.stack[-1].wants_key():
            raise ConfigError("a mapping key must be a word or a number", line=line)
        if len(self.stack) >= self.chosen.depth:
            raise ConfigError(_too_deep(self.chosen), line=line)
        self.note_line(line, collection=True)
        path = self.stack[-1].child_path() if self.stack else ()
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Collection(value, path, event.anchor, bool(event.flow_style)))

    def end(self) -> None:
        done = self.stack.pop()
        if done.merges:
            self.merge(done)
        self.sizes[id(done.value)] = done.size
        if done.anchor is not None:
            self.open_anchors.discard(done.anchor)
            self.anchors[done.anchor] = (done.value, done.size)
        self.place(done.value, done.size, 0)

    def place(self, value: Any, size: int, line: int) -> None:
        """Put a finished value into the collection being read, or make it the document."""
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        if isinstance(parent.value, list):
            parent.value.append(value)
            parent.size += size
        elif parent.key is _NO_KEY:  # the value is a key
            if isinstance(value, (list, dict)):
                raise ConfigError("a mapping key must be a word or a number", line=line)
            parent.key, parent.key_line = value, line
        else:
            key, parent.key = parent.key, _NO_KEY
            if parent.key_merges:
                parent.merges.append((value, parent.key_line))
                return
            if key in parent.value:
                raise ConfigError(
                    "appears twice; keep one",
                    field=format_path(parent.path + (key,)),
                    line=parent.key_line,
                )
            parent.value[key] = value
            parent.size += 1 + size
            self.lines[parent.path + (key,)] = parent.key_line

    def merge(self, mapping: _Collection) -> None:
        """Apply a mapping's merge keys: what it does not set itself comes from the merged
        mappings, the first one named winning (YAML's merge-key rule)."""
        sources: list[dict] = []
        for value, line in mapping.merges:
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(item, dict) for item in items):
                raise ConfigError(
                    "needs a mapping, or a list of mappings, to merge",
                    field=format_path(mapping.path + (MERGE_KEY,)),
                    line=line,
                )
            sources.extend(items)
        merged: dict = {}
        for source in reversed(sources):
            merged.update(source)
        for key, value in merged.items():
            if key not in mapping.value:
                mapping.size += 1 + self.sizes.get(id(value), 1)
        mapping.value.update({**merged, **mapping.value})


def format_path(path: FieldPath) -> str:
    """('layers', 0, 'activation') -> 'layers[0].activation'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"


# -- JSON ---------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_JSON_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_JSON_WORDS = {"true": True, "false": False, "null": None}


def parse_json(text: str) -> tuple[Any, Lines]:
    """A JSON document as plain data, with the line of each field, read once."""
    reader = _JsonReader(text, limits.active())
    try:
        return reader.read(), reader.lines
    except SyntaxProblem:
        raise
    except ConfigError as error:
        if error.field is not None:
            raise
        field = format_path(reader.where) or None
        raise ConfigError(error.message, field=field, line=error.line) from None


class _JsonReader:
    def __init__(self, text: str, chosen: Limits) -> None:
        self.text, self.chosen = text, chosen
        self.lines: Lines = {}
        self.line, self.counted_to = 1, 0
        self.where: FieldPath = ()  # the path of the value being read, for messages

    def line_at(self, position: int) -> int:
        if position > self.counted_to:
            self.line += self.text.count("\n", self.counted_to, position)
            self.counted_to = position
        return self.line

    def fail(self, message: str, position: int) -> SyntaxProblem:
        line = self.text.count("\n", 0, position) + 1
        return SyntaxProblem(f"invalid JSON: {message}", line=line)

    def skip(self, position: int) -> int:
        return _WHITESPACE.match(self.text, position).end()

    def string(self, position: int) -> tuple[str, int]:
        """The string whose opening quote is at `position`, and where it ends."""
        try:
            value, end = json.decoder.scanstring(self.text, position + 1, True)
        except json.JSONDecodeError as error:
            raise self.fail(error.msg.lower(), error.pos) from None
        if len(value) > self.chosen.text_chars:
            raise ConfigError(
                f"a text of {len(value):,} characters is longer than the "
                f"{self.chosen.text_chars:,} allowed",
                line=self.line_at(position),
            )
        bad = _SURROGATE.search(value)
        if bad:
            raise ConfigError(
                f"{_escape(bad.group())} is half of a surrogate pair, not a character",
                line=self.line_at(position),
            )
        return value, end

    def scalar(self, position: int) -> tuple[Any, int]:
        text = self.text
        if text.startswith('"', position):
            return self.string(position)
        match = _JSON_NUMBER.match(text, position)
        if match:
            token = match.group()
            if len(token) > self.chosen.number_chars:
                raise ConfigError(
                    f"a number written with {len(token)} characters is longer than the "
                    f"{self.chosen.number_chars} allowed",
                    line=self.line_at(position),
                )
            if _LEADING_ZERO.match(token):
                raise self.fail(f"{token} starts with 0, which JSON does not allow", position)
            if match.group(1) or match.group(2):
                return float(token), match.end()
            return int(token), match.end()
        for word, value in _JSON_WORDS.items():
            if text.startswith(word, position):
                return value, position + len(word)
        if text.startswith(("NaN", "Infinity", "-Infinity"), position):
            raise self.fail("NaN and Infinity are not JSON numbers", position)
        if position >= len(text):
            raise self.fail("the document ends where a value should be", position)
        raise self.fail(f"expected a value, found {text[position]!r}", position)

    def read(self) -> Any:
        text = self.text
        stack: list[tuple[Any, FieldPath]] = []  # open lists and mappings, with their paths
        position = self.skip(0)
        path: FieldPath = ()
        while True:
            # A value starts at `position`; `path` is where it goes. Its line is kept if it is
            # a list or mapping (keys have theirs already): a number in a row shares the row's.
            self.where = path
            opening = text[position : position + 1]
            if opening in ("[", "{"):
                self.lines.setdefault(path, self.line_at(position))
            if opening in ("[", "{"):
                if len(stack) >= self.chosen.depth:
                    raise ConfigError(
                        _too_deep(self.chosen),
                        line=self.line_at(position),
                    )
                container: Any = [] if opening == "[" else {}
                stack.append((container, path))
                position = self.skip(position + 1)
                closing = "]" if opening == "[" else "}"
                if text.startswith(closing, position):
                    stack.pop()
                    value, position = container, position + 1
                else:
                    if opening == "{":
                        position, path = self.key(container, path, position)
                    else:
                        path = path + (0,)
                    continue
            else:
                value, position = self.scalar(position)
            # `value` is complete: put it in its container, and find what comes next.
            while True:
                if not stack:
                    position = self.skip(position)
                    if position != len(text):
                        raise self.fail("more text after the end of the document", position)
                    return value
                container, container_path = stack[-1]
                if isinstance(container, list):
                    container.append(value)
                else:
                    container[path[-1]] = value
                position = self.skip(position)
                separator = text[position : position + 1]
                closing = "]" if isinstance(container, list) else "}"
                if separator == ",":
                    position = self.skip(position + 1)
                    if isinstance(container, list):
                        path = container_path + (len(container),)
                    else:
                        position, path = self.key(container, container_path, position)
                    break
                if separator == closing:
                    stack.pop()
                    value, position, path = container, position + 1, container_path
                    continue
                raise self.fail(f"expected ',' or '{closing}' after a value", position)

    def key(self, mapping: dict, path: FieldPath, position: int) -> tuple[int, FieldPath]:
        """Read `"key":` at `position`; where its value starts, and that value's path."""
        if not self.text.startswith('"', position):
            raise self.fail("expected a key in double quotes", position)
        key_line = self.line_at(position)
        self.where = path
        key, position = self.string(position)
        if key in mapping:
            raise ConfigError(
                "appears twice; keep one", field=format_path(path + (key,)), line=key_line
            )
        mapping[key] = None  # keeps the key's place, so the order is the file's
        position = self.skip(position)
        if not self.text.startswith(":", position):
            raise self.fail("expected ':' after a key", position)
        self.lines[path + (key,)] = key_line
        return self.skip(position + 1), path + (key,)
