"""records(): many frozen, slotted dataclass instances at once, equal to the constructor's."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pytest

from xlmargin._records import records


@dataclass(frozen=True, slots=True)
class _Point:
    x: float
    label: str


@dataclass(frozen=True)
class _Unslotted:
    x: float


@dataclass(frozen=True, slots=True)
class _Checked:
    x: float

    def __post_init__(self) -> None:  # pragma: no cover - never called: records() refuses the class
        raise AssertionError


def test_records_equal_the_constructors_and_stay_frozen() -> None:
    made = records(_Point, {"x": [1.0, 2.5], "label": ["a", "b"]}, 2)
    assert made == [_Point(1.0, "a"), _Point(2.5, "b")]
    with pytest.raises(FrozenInstanceError):
        made[0].x = 3.0  # type: ignore[misc]


def test_records_refuse_a_missing_or_unknown_field_and_a_short_column() -> None:
    with pytest.raises(TypeError, match=r"missing \['label'\], unknown \['y'\]"):
        records(_Point, {"x": [1.0], "y": ["a"]}, 1)
    with pytest.raises(ValueError, match="label: 1 values for 2 records"):
        records(_Point, {"x": [1.0, 2.0], "label": ["a"]}, 2)


@pytest.mark.parametrize("cls", [_Unslotted, _Checked])
def test_records_refuse_a_class_whose_init_does_more_than_set_slots(cls: type) -> None:
    with pytest.raises(TypeError, match="not a slotted dataclass"):
        records(cls, {"x": [1.0]}, 1)
