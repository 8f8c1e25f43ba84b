"""Frozen dataclasses that cost next to nothing to define.

`@frozen` makes a class what `@dataclass(frozen=True)` makes it: the same fields and defaults,
`dataclasses.fields` and `dataclasses.replace`, equality and hash over the compared fields,
the same repr, and no assignment after construction. Only the moment the code is made
differs. A dataclass writes and compiles six methods for each class as its module is
imported, which was most of what starting a run cost; here five of them are the shared
functions below, and `__init__` is written the first time a class is instantiated, so a run
pays only for the classes it makes.

What it does not do, and backtrace does not need: `InitVar` pseudo-fields (refused), fields
whose names are dunders (refused), and mixing with the standard library's dataclasses in one
class hierarchy (a subclass of a `@frozen` class is `@frozen` too). Until a class is first
instantiated, `inspect.signature` shows its `__init__` as `(*args, **kwargs)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

Class = TypeVar("Class", bound=type)

_FACTORY = object()  # stands for "not given" where a field's default comes from a factory


def frozen(cls: Class | None = None, /, *, init: bool = True, kw_only: bool = False) -> Any:
    """`@dataclass(frozen=True)` with shared methods and a lazily written `__init__`;
    `init=False` keeps an `__init__` the class inherits or defines itself."""

    def make(cls: Class) -> Class:
        written = cls.__dict__.get("__doc__")
        cls.__doc__ = written or "-"  # spares dataclass writing a signature into the docstring
        dataclasses.dataclass(init=False, repr=False, eq=False, kw_only=kw_only)(cls)
        cls.__doc__ = written
        fields = dataclasses.fields(cls)
        _check_fields(cls)
        if init:
            _check_order(cls, fields)
        cls.__frozen_compared__ = tuple(  # type: ignore[attr-defined]
            item.name for item in fields if item.compare
        )
        cls.__frozen_hashed__ = tuple(  # type: ignore[attr-defined]
            item.name for item in fields if (item.compare if item.hash is None else item.hash)
        )
        cls.__frozen_shown__ = tuple(item.name for item in fields if item.repr)  # type: ignore[attr-defined]
        own = cls.__dict__
        for name, method in _SHARED.items():
            # A class body with __eq__ alone has __hash__ None; dataclass then writes one too.
            if name not in own or (name == "__hash__" and own[name] is None and "__eq__" in own):
                setattr(cls, name, method)
        if init and "__init__" not in own:
            cls.__init__ = _written_on_first_use(cls)  # type: ignore[misc]
        return cls

    return make if cls is None else make(cls)


def _check_fields(cls: type) -> None:
    for name, item in cls.__dict__.get("__dataclass_fields__", {}).items():
        if isinstance(item.type, dataclasses.InitVar) or "InitVar" in str(item.type):
            raise TypeError(f"{cls.__qualname__}: @frozen does not take InitVar {name!r}")
        if name == "self" or name.startswith("__") and name.endswith("__"):
            raise TypeError(f"{cls.__qualname__}: @frozen keeps dunder names: {name!r}")


def _check_order(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
    """The check dataclass makes as it writes __init__, made here at once rather than later."""
    defaulted = None
    for item in fields:
        if item.kw_only or not item.init:
            continue
        if _has_default(item):
            defaulted = item.name
        elif defaulted is not None:
            raise TypeError(
                f"{cls.__qualname__}: field {item.name!r} without a default follows {defaulted!r}"
            )


def _has_default(item: dataclasses.Field[Any]) -> bool:
    return (
        item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
    )


def _written_on_first_use(cls: type) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        written = _init_for(cls)
        cls.__init__ = written  # type: ignore[misc]
        written(self, *args, **kwargs)

    return __init__


def _init_for(cls: type) -> Callable[..., None]:
    """The `__init__` dataclass would write: every field set through object.__setattr__, in
    order, then `__post_init__` if the class has one."""
    # The generated code's own names are dunders, which no field may have (_check_fields).
    names: dict[str, Any] = {"__set__": object.__setattr__, "__FACTORY__": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for item in dataclasses.fields(cls):
        parameter = item.name
        value = item.name
        if item.default is not dataclasses.MISSING:
            names[f"__default_{item.name}__"] = item.default
            parameter += f"=__default_{item.name}__"
            value = value if item.init else f"__default_{item.name}__"
        elif item.default_factory is not dataclasses.MISSING:
            names[f"__factory_{item.name}__"] = item.default_factory
            parameter += "=__FACTORY__"
            value = f"__factory_{item.name}__()" + (
                f" if {item.name} is __FACTORY__ else {item.name}" if item.init else ""
            )
        elif not item.init:
            continue  # left unset, as dataclass leaves it
        if item.init:
            (keyword if item.kw_only else positional).append(parameter)
        body.append(f"    __set__(self, {item.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({parameters}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(source, names)  # noqa: S102 - our own text, built from the class's field names
    written: Callable[..., None] = names["__init__"]
    written.__qualname__ = f"{cls.__qualname__}.__init__"
    return written


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self.__frozen_compared__)


def __eq__(self: Any, other: object) -> bool:  # noqa: N807 - installed as the method
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _compared(self) == _compared(other)


def __hash__(self: Any) -> int:  # noqa: N807
    return hash(tuple(getattr(self, name) for name in self.__frozen_hashed__))


def __repr__(self: Any) -> str:  # noqa: N807
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__frozen_shown__)
    return f"{type(self).__qualname__}({shown})"


def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def __delattr__(self: Any, name: str) -> None:  # noqa: N807
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


_SHARED: dict[str, Callable[..., Any]] = {
    "__eq__": __eq__,
    "__hash__": __hash__,
    "__repr__": __repr__,
    "__setattr__": __setattr__,
    "__delattr__": __delattr__,
}
