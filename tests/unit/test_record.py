"""hsmshell/record.py: records mean what dataclasses meant for the classes that use them."""

from __future__ import annotations

import pytest

from hsmshell.record import FrozenInstanceError, field, fields, record, replace


@record(frozen=True)
class Frozen:
    name: str
    size: int = 2
    cache: dict = field(default_factory=dict, compare=False, repr=False)


@record
class Plain:
    items: list = field(default_factory=list)
    label: str = "x"

    def __post_init__(self) -> None:
        self.items.append("made")


@record(slots=True)
class Slotted:
    count: int = 0
    seen: dict = field(default_factory=dict)

    @property
    def twice(self) -> int:
        return self.count * 2


def test_init_defaults_factories_repr_and_equality():
    one = Frozen("a")
    assert (one.name, one.size, one.cache) == ("a", 2, {})
    assert repr(one) == "Frozen(name='a', size=2)"
    assert one == Frozen("a", 2, {"ignored": 1}) and one != Frozen("a", 3)
    assert Frozen("b").cache is not Frozen("b").cache
    assert Frozen.size == 2 and not hasattr(Frozen, "cache")
    with pytest.raises(TypeError):
        Frozen()


def test_frozen_records_refuse_assignment_and_hash_by_their_compared_fields():
    one = Frozen("a")
    with pytest.raises(FrozenInstanceError):
        one.name = "b"
    with pytest.raises(AttributeError):
        del one.size
    assert hash(one) == hash(Frozen("a", 2, {"x": 1}))
    assert {one, Frozen("a")} == {one}


def test_plain_records_are_mutable_unhashable_and_run_post_init():
    made = Plain()
    made.label = "y"
    assert made.items == ["made"] and made.label == "y"
    with pytest.raises(TypeError):
        hash(made)


def test_replace_and_fields():
    assert replace(Frozen("a", 5), size=6) == Frozen("a", 6)
    assert [f.name for f in fields(Frozen)] == ["name", "size", "cache"]
    with pytest.raises(TypeError):
        replace(Frozen("a"), colour="red")
    with pytest.raises(TypeError):
        fields(object())


def test_slots():
    made = Slotted()
    made.count = 4
    assert made.twice == 8 and Slotted.__slots__ == ("count", "seen") and not hasattr(made, "__dict__")
    with pytest.raises(AttributeError):
        made.other = 1
    assert Slotted(1) == Slotted(1, {}) and Slotted().seen is not Slotted().seen


def test_a_field_without_default_after_one_with_is_refused():
    with pytest.raises(TypeError):
        @record
        class Bad:
            first: int = 1
            second: int
