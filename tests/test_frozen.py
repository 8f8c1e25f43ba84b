"""`frozen` against the standard library's `dataclass(frozen=True)`: every class below is made
both ways, and the two must behave alike."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from backtrace.frozen import frozen


def both(body: dict[str, Any], annotations: dict[str, str]) -> tuple[type, type]:
    """The same class made by dataclass and by frozen (each its own class object)."""

    def make(decorate: Any) -> type:
        namespace = {**body, "__annotations__": dict(annotations), "__module__": __name__}
        return decorate(type("Sample", (), namespace))

    return make(dataclass(frozen=True)), make(frozen)


SHAPES = [
    ({}, {}),
    ({}, {"a": "int"}),
    ({"b": 2}, {"a": "int", "b": "int"}),
    ({"b": field(default_factory=list)}, {"a": "int", "b": "list"}),
    ({"b": field(default=None, compare=False)}, {"a": "int", "b": "Any"}),
    ({"b": field(default=0, repr=False)}, {"a": "int", "b": "int"}),
    ({"b": field(default=0, hash=False)}, {"a": "int", "b": "int"}),
    ({"kind": "x"}, {"kind": "ClassVar[str]", "a": "int"}),
    ({"c": field(default=3, kw_only=True)}, {"a": "int", "c": "int"}),
]
CALLS = [
    ((), {}),
    ((1,), {}),
    ((1, 2), {}),
    ((), {"a": 1}),
    ((1,), {"b": [5]}),
    ((1,), {"c": 4}),
    ((1, 2, 3), {}),
    ((1,), {"a": 1}),
    ((), {"z": 1}),
]


def outcome(cls: type, args: tuple, kwargs: dict) -> Any:
    try:
        made = cls(*args, **kwargs)
    except TypeError:
        return TypeError
    return made


@pytest.mark.parametrize("body, annotations", SHAPES)
def test_construction_equality_hash_and_repr_match_dataclass(body, annotations):
    standard, ours = both(body, annotations)
    assert [f.name for f in dataclasses.fields(ours)] == [
        f.name for f in dataclasses.fields(standard)
    ]
    for args, kwargs in CALLS:
        expected = outcome(standard, args, kwargs)
        got = outcome(ours, args, kwargs)
        if expected is TypeError:
            assert got is TypeError, (args, kwargs)
            continue
        assert got is not TypeError, (args, kwargs)
        assert repr(got) == repr(expected)
        assert dataclasses.astuple(got) == dataclasses.astuple(expected)
        again = ours(*args, **kwargs)
        assert got == again and not (got != again)
        try:
            assert hash(got) == hash(again)
            assert hash(got) == hash(expected)  # the same tuple of the same fields
        except TypeError:  # an unhashable field value (a list): unhashable both ways
            with pytest.raises(TypeError):
                hash(expected)


def test_compare_false_fields_are_left_out_of_equality_and_hash():
    _, ours = both({"b": field(default=None, compare=False)}, {"a": "int", "b": "Any"})
    assert ours(1, "x") == ours(1, "y")
    assert hash(ours(1, "x")) == hash(ours(1, "y"))
    assert ours(1) != ours(2)


def test_instances_are_frozen():
    _, ours = both({}, {"a": "int"})
    made = ours(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.a = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del made.a
    assert made.a == 1


def test_replace_copy_and_pickle():
    made = Pair(1, (2, 3))
    assert dataclasses.replace(made, left=5) == Pair(5, (2, 3))
    assert copy.copy(made) == made and copy.deepcopy(made) == made
    assert pickle.loads(pickle.dumps(made)) == made


def test_a_factory_default_is_new_for_each_instance():
    _, ours = both({"b": field(default_factory=list)}, {"a": "int", "b": "list"})
    first, second = ours(1), ours(1)
    assert first.b == [] and first.b is not second.b


def test_post_init_runs_and_may_set_through_object():
    @frozen
    class Doubled:
        value: int
        twice: int = field(init=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "twice", 2 * self.value)

    assert Doubled(3).twice == 6
    assert Doubled(3) == Doubled(3)


def test_subclasses_get_their_own_fields_and_init():
    @frozen
    class Base:
        a: int
        kind: ClassVar[str] = "base"

    @frozen
    class Child(Base):
        b: int = 0

    assert Base(1).a == 1  # the base's __init__ is written first, then the child's
    assert Child(1, 2) == Child(1, 2) and Child(1, 2).b == 2
    assert Base(1) != Child(1)
    assert (
        repr(Child(1)) == "test_subclasses_get_their_own_fields_and_init.<locals>.Child(a=1, b=0)"
    )


def test_methods_the_class_writes_itself_are_kept():
    @frozen
    class Own:
        a: int

        def __repr__(self) -> str:
            return "mine"

        def __eq__(self, other: object) -> bool:
            return True

    assert repr(Own(1)) == "mine"
    assert Own(1) == Own(2)
    hash(Own(1))  # dataclass writes a hash when the class wrote only __eq__; so does frozen


def test_a_field_without_a_default_after_one_with_is_refused_at_once():
    with pytest.raises(TypeError, match="'b' without a default follows 'a'"):

        @frozen
        class Wrong:
            a: int = 0
            b: int


@frozen
class Pair:
    left: int
    right: tuple[int, ...] = ()


def test_field_names_that_the_generated_code_might_use_are_plain_fields():
    _, ours = both({"_FACTORY": 2}, {"_set": "int", "_default_x": "int", "_FACTORY": "int"})
    made = ours(1, 5)
    assert (made._set, made._default_x, made._FACTORY) == (1, 5, 2)


def test_what_frozen_does_not_take_is_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match="InitVar"):

        @frozen
        class WithInitVar:
            a: int
            b: dataclasses.InitVar[int] = 0

    with pytest.raises(TypeError, match="dunder"):

        @frozen
        class WithDunder:
            __weird__: int
