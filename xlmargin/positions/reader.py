"""The data rows turned into typed columns, with a :class:`~xlmargin.errors.Problem` per bad cell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.cells import (
    LARGEST,
    NOT_A_DATE,
    error_message,
    excel_error,
    is_blank,
    to_date,
    to_number,
    too_large,
)
from xlmargin.errors import Problem
from xlmargin.positions.columns import COLUMN_BY_NAME


class ColumnReader:
    """Turns the data rows into typed columns, recording a Problem per bad cell.

    Number columns take a numpy fast path when they hold only numbers and blanks; a column
    with any text falls back to converting cell by cell so that each bad cell is named.
    """

    def __init__(
        self, index: Mapping[str, int], rows: Sequence[Sequence[Any]], first_row: int, problems: list[Problem]
    ):
        self.problems = problems
        width = max(index.values()) + 1
        padded = [r if len(r) >= width else [*r, *([None] * (width - len(r)))] for r in rows]
        columns = list(zip(*padded, strict=False)) if padded else [()] * width  # rows may be longer
        raw = {name: list(columns[i]) for name, i in index.items()}
        zero_blank = {name: blank_mask(values, zero_is_blank=True) for name, values in raw.items()}
        empty = np.ones(len(padded), dtype=bool)
        for mask in zero_blank.values():
            empty &= mask
        keep = np.flatnonzero(~empty)
        if len(keep) == len(padded):
            self.raw = raw
        else:
            self.raw = {name: [col[i] for i in keep] for name, col in raw.items()}
        self.rows = (first_row + keep).astype(np.int64)
        self.n = len(keep)
        # the masks just computed serve every column whose zeros are blanks
        self._blank: dict[str, BoolArray] = {
            name: mask[keep] for name, mask in zero_blank.items() if COLUMN_BY_NAME[name].zero_is_blank
        }

    def bad(self, i: int, column: str, message: str) -> None:
        self.problems.append(Problem(message, int(self.rows[i]), column))

    def cells(self, name: str) -> list[Any]:
        return self.raw.get(name, [None] * self.n)

    def blank(self, name: str) -> BoolArray:
        """True where the cell is empty (an error value is not empty: it is reported)."""
        if name not in self._blank:
            zero = COLUMN_BY_NAME[name].zero_is_blank
            self._blank[name] = blank_mask(self.cells(name), zero_is_blank=zero)
        return self._blank[name]

    def number(self, name: str) -> FloatArray:
        """Floats, NaN where blank or bad."""
        values = self.cells(name)
        col = COLUMN_BY_NAME[name]
        if name not in self.raw:
            return np.full(self.n, np.nan)
        if not any(issubclass(t, str | bool) for t in set(map(type, values))):
            try:
                out = np.array(values, dtype=np.float64)
            except (TypeError, ValueError):
                out = None
            if out is not None:
                with np.errstate(invalid="ignore"):
                    bad = ~(np.abs(out) <= LARGEST) & ~self.blank(name)  # inf, NaN, absurd sizes
                for i in indices(bad):
                    self.bad(i, name, too_large(values[i]))
                out[bad] = np.nan
                if col.zero_is_blank:
                    out[out == 0] = np.nan
                return out
        out = np.full(self.n, np.nan)
        for i, value in enumerate(values):
            if is_blank(value, col.zero_is_blank):
                continue
            number, message = to_number(value)
            if message:
                self.bad(i, name, message)
            else:
                out[i] = number
        return out

    def text(self, name: str) -> list[str | None]:
        if name not in self.raw:
            return [None] * self.n
        if set(map(type, self.raw[name])) <= _STR_OR_NONE:
            return self._plain_text(name)
        blank = self.blank(name)
        out: list[str | None] = []
        memo: dict[Any, str | None] = {}
        for i, value in enumerate(self.cells(name)):
            if blank[i]:
                out.append(None)
                continue
            try:
                out.append(memo[value])
                continue
            except (KeyError, TypeError):
                pass
            if (error := excel_error(value)) is not None:
                self.bad(i, name, error_message(error))
                out.append(None)
                continue
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
            if not isinstance(value, bool):
                memo[value] = text
            out.append(text)
        return out

    def _plain_text(self, name: str) -> list[str | None]:
        """:meth:`text` for a column holding only ``str`` and ``None``, converted once per distinct value."""
        cells = self.raw[name]
        converted: dict[str | None, str | None] = {}
        errors: set[str] = set()
        for value in dict.fromkeys(cells):
            if value is None or not value.strip():
                converted[value] = None
            elif excel_error(value) is not None:
                converted[value] = None
                errors.add(value)
            else:
                converted[value] = value.strip()
        if errors:
            for i, value in enumerate(cells):
                if value in errors:
                    self.bad(i, name, error_message(str(excel_error(value))))
        return list(map(converted.__getitem__, cells))

    def dates(self, name: str) -> list[dt.date | None]:
        if name not in self.raw:
            return [None] * self.n
        values = self.cells(name)
        blank = self.blank(name)
        out: list[dt.date | None] = []
        cache: dict[Any, dt.date | None] = {}
        for i, value in enumerate(values):
            if blank[i]:
                out.append(None)
                continue
            try:
                out.append(cache[value])
                continue
            except (KeyError, TypeError):
                pass
            if (error := excel_error(value)) is not None:
                self.bad(i, name, error_message(error))
                out.append(None)
                continue
            parsed = to_date(value)
            if not isinstance(value, bool):
                cache[value] = parsed
            if parsed is None:
                self.bad(
                    i,
                    name,
                    f"'{value}' {NOT_A_DATE}",
                )
            out.append(parsed)
        return out


def indices(mask: Any) -> list[int]:
    """Row indices where ``mask`` is true, as Python ints."""
    return [int(i) for i in np.flatnonzero(mask)]


_STR_OR_NONE = frozenset({str, type(None)})
_NUMBER_OR_NONE = frozenset({float, int, type(None)})


def blank_mask(values: Sequence[Any], *, zero_is_blank: bool) -> BoolArray:
    """Vectorised :func:`xlmargin.cells.is_blank` over a column.

    Columns of plain numbers or plain strings (with blanks) take a fast path; anything else is
    compared cell by cell as objects.
    """
    types = set(map(type, values))
    if types <= _NUMBER_OR_NONE:
        numbers = number_blanks(values, zero_is_blank)
        if numbers is not None:
            return numbers
    elif types <= _STR_OR_NONE:
        blank_of: dict[str | None, bool] = dict.fromkeys(values, False)
        for v in blank_of:
            blank_of[v] = v is None or not v.strip()
        return np.fromiter(map(blank_of.__getitem__, values), dtype=np.bool_, count=len(values))
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    mask = (arr == None) | (arr == "")  # noqa: E711 - elementwise comparison
    mask = mask.astype(np.bool_)
    if zero_is_blank:
        zero = np.flatnonzero(arr == 0)
        mask[zero] = [v.__class__ is not bool for v in arr[zero]]
    try:
        distinct = set(values)
    except TypeError:
        distinct = set()
    spaces = [v for v in distinct if isinstance(v, str) and v and not v.strip()]
    if spaces:
        mask |= np.array([v in spaces for v in values], dtype=bool)
    return mask


def number_blanks(values: Sequence[Any], zero_is_blank: bool) -> BoolArray | None:
    """Blanks of a column of ``float``, ``int`` and ``None``; None when a NaN cell needs the slow path."""
    try:
        arr = np.array(values, dtype=np.float64)  # None becomes NaN
    except OverflowError:
        return None
    blank = np.isnan(arr)
    if int(blank.sum()) != list(values).count(None):
        return None
    return blank | (arr == 0) if zero_is_blank else blank
