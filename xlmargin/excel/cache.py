"""One bounded results cache shared by every worksheet function.

Keys are the *content* of the ranges and parameters (not their addresses), so the ten cells of a
comparison table that read one positions range parse it once and run each engine once. The cache
is bounded by entry count and by the number of input cells it holds, and evicts least recently
used entries first. It is thread-safe (Excel may call UDFs from several threads).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from itertools import compress, count
from operator import getitem, not_
from typing import Any, TypeVar

T = TypeVar("T")

# ``isinstance(x, list | tuple)`` builds a union object at every call (a repeat call built some 200:
# 1% of its instructions)
SEQUENCE = (list, tuple)
# cell types that freeze as they are (hashable, never a TRUE/FALSE): a row of only these is frozen
# by ``tuple`` in C, without a Python call per cell
PLAIN = frozenset({float, int, str, type(None), dt.datetime, dt.date})
ZERO_OR_ONE = frozenset({0, 1})


def freeze(value: Any) -> Hashable:
    """A hashable copy of an Excel argument: a 2-D range becomes a tuple of tuples. A TRUE or FALSE
    cell is kept apart from the 1 or 0 it equals in Python (``True == 1`` and their hashes agree),
    since the readers refuse the one where they take the other: two ranges that differ only there
    are two keys. A cell or row that is itself a list (a row mixing lists and numbers) is frozen
    too: never an unhashable key, whatever the range holds."""
    if isinstance(value, SEQUENCE):
        if value and set(map(type, value)) <= {list, tuple}:
            return tuple(map(_frozen_row, value))
        return _frozen_row(value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    return _cell(value)


def _frozen_row(row: Any) -> tuple[Any, ...]:
    return tuple(row) if set(map(type, row)) <= PLAIN else tuple(map(_cell, row))


class _Truth(tuple[str, bool]):
    """A TRUE or FALSE cell in a key: equal only to another of the same truth."""

    __slots__ = ()


class _Nested(tuple[str, Any]):
    """A cell that holds a list, a dict or another unhashable value (a nested list beside numbers
    in a range row, say): a hashable stand-in, so the key is made and the reader, not the cache,
    names the cell's row and column."""

    __slots__ = ()


def _cell(value: Any) -> Any:
    if _is_truth(value):
        return _Truth(("TRUE/FALSE", bool(value)))
    if value.__class__.__hash__ is None or isinstance(value, tuple):
        return _nested(value)
    return value


def _nested(value: Any) -> Hashable:
    if isinstance(value, SEQUENCE):
        return _Nested((type(value).__name__, tuple(map(_cell, value))))
    if isinstance(value, dict):
        return _Nested(("dict", freeze(value)))
    return _Nested((type(value).__name__, repr(value)))


def _is_truth(value: Any) -> bool:
    """A Python or numpy boolean (numpy's ``True_`` equals 1 too)."""
    return value.__class__ is bool or value.__class__.__name__ in ("bool", "bool_")


def digest(value: Any) -> Hashable:
    """A cheap key for a range: its size and three of its rows. Not unique — the cache compares the
    whole range on a hit — but different ranges seldom share it, so they seldom evict each other."""
    if isinstance(value, SEQUENCE) and value:
        n = len(value)
        return (n, freeze([value[0], value[n // 2], value[-1]]))
    return freeze(value)


def snapshot(value: Any) -> Any:
    """A copy of a range that later edits of the caller's lists cannot change, and that equals a
    later range only if it holds the same cells (:class:`RangeCopy`): each list row copied,
    anything else kept (a tuple or a single value cannot change). A range as Excel hands it,
    every row a list, is copied by ``list.copy`` mapped in C, a quarter cheaper than testing each
    row's type in Python; ``list.copy`` refuses any other row, which sends the range to that test."""
    if not isinstance(value, list):
        return RangeCopy(value) if isinstance(value, tuple) else value
    try:
        return RangeCopy(list(map(list.copy, value)))
    except TypeError:  # a row that is not a list
        return RangeCopy([list(r) if isinstance(r, list) else r for r in value])


class RangeCopy:
    """A range's copy that compares with a later range as the readers would: equal rows (``==``,
    in C), and, at every cell that equals 0 or 1, a TRUE/FALSE in both or in neither. Python holds
    ``True == 1`` and ``False == 0``, and the readers refuse a TRUE where they take a 1, so a range
    that differs only there must not be served the other's result.

    The cells to check are found at the first comparison, not when the copy is made (a first call
    does not pay for a scan a recalculation may never need): about 3 ms on a 5,000-row range, some
    100 cells on the benchmark book (the quantities of ±1 and 0). A comparison then gathers those
    cells' classes in C: the same classes as the copy's (a float where it held a float, a TRUE where
    it held a TRUE) is the same truth at every cell; only a range whose classes differ somewhere
    (an int 1 for a float 1.0, a TRUE for a 1) is checked cell by cell."""

    __slots__ = ("_cells", "_classes", "_columns", "_rows", "rows")

    def __init__(self, rows: Any) -> None:
        self.rows = rows
        self._cells: tuple[tuple[int, int, bool], ...] | None = None
        self._rows: tuple[int, ...] = ()
        self._columns: tuple[int, ...] = ()
        self._classes: tuple[type, ...] | None = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RangeCopy):
            other = other.rows
        if not self.rows == other:
            return False
        cells = self._cells
        if cells is None:
            cells = self._cells = _zero_or_one_cells(self.rows)
            self._rows = tuple(i for i, _, _ in cells)
            self._columns = tuple(j for _, j, _ in cells)
            if all(isinstance(self.rows[i], SEQUENCE) for i in self._rows):  # else: a flat range
                self._classes = self._classes_in(self.rows)
        if self._classes is not None and self._classes_in(other) == self._classes:
            return True
        rows: Any = other
        return all(_is_truth(_cell_at(rows[i], j)) is truth for i, j, truth in cells)

    def _classes_in(self, rows: Any) -> tuple[type, ...] | None:
        """The classes of the checked cells in ``rows`` (equal to the copy's rows), gathered in C;
        None where a row is not a list or tuple (equal rows: never, short of a user class)."""
        try:
            return tuple(map(type, map(getitem, map(rows.__getitem__, self._rows), self._columns)))
        except Exception:
            return None

    __hash__ = None  # type: ignore[assignment]  # compared, never a key

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]


def _cell_at(row: Any, j: int) -> Any:
    """Cell ``j`` of a row, or the row itself where a flat range holds single values."""
    return row[j] if isinstance(row, SEQUENCE) else row


def _zero_or_one_cells(rows: Any) -> tuple[tuple[int, int, bool], ...]:
    """(row, column, whether it is a TRUE/FALSE) of every cell equal to 0 or 1: rows are screened
    in C (``in`` compares with ``==``) and only those that hold such a cell are walked. A range of
    list or tuple rows is screened by hash (``isdisjoint``: a number equal to 0 or 1 hashes as 0 or
    1), a third of the cost; a row with a cell that cannot be hashed sends the range to ``in``."""
    found: list[tuple[int, int, bool]] = []
    if set(map(type, rows)) <= {list, tuple}:
        try:
            hit = list(compress(count(), map(not_, map(ZERO_OR_ONE.isdisjoint, rows))))
        except TypeError:  # an unhashable cell
            pass
        else:
            for i in hit:
                found.extend((i, j, _is_truth(v)) for j, v in enumerate(rows[i]) if _zero_or_one(v))
            return tuple(found)
    for i, row in enumerate(rows):
        if not isinstance(row, SEQUENCE):
            row = (row,)
        try:
            screened = 0 in row or 1 in row
        except Exception:  # a cell whose comparison has no truth value: walk the row
            screened = True
        if screened:
            found.extend((i, j, _is_truth(v)) for j, v in enumerate(row) if _zero_or_one(v))
    return tuple(found)


def _zero_or_one(value: Any) -> bool:
    try:
        return bool(value == 0 or value == 1)
    except Exception:  # e.g. an array cell
        return False


def size_of(value: Any) -> int:
    """Cells in a range, for the memory bound: rows × the first row's width (Excel ranges are
    rectangular), so a call served from the cache does not walk the range to count them."""
    if isinstance(value, SEQUENCE):
        if not value:
            return 1
        first = value[0]
        return len(value) * (len(first) if isinstance(first, SEQUENCE) and first else 1)
    return 1


class ResultCache:
    """An LRU map from argument content to computed results."""

    def __init__(self, max_entries: int = 256, max_cells: int = 4_000_000):
        self.max_entries = max_entries
        self.max_cells = max_cells
        self._data: OrderedDict[Hashable, tuple[Any, int, Any]] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(
        self,
        key: Hashable,
        compute: Callable[[], T],
        cells: int = 1,
        check: Any = None,
        keep: Callable[[], Any] | None = None,
    ) -> T:
        """The cached value for ``key``, computing (and storing) it on a miss.

        ``key`` should be small (a digest, not a whole range); ``check`` is what makes a hit exact:
        the range itself, compared with ``==`` against the copy stored (a :class:`RangeCopy`), or
        the object a result was computed from, compared by identity only. Never by ``==`` on a
        result: a breakdown shows more than its result's fields (the reader's warnings, their row
        numbers), and an edit that leaves the result equal (two rows swapped, an option's
        underlying cleared) would be handed the table of the range before it. ``keep`` makes the
        copy stored on a miss (by default ``check`` itself). A computation that raises is not
        cached.
        """
        with self._lock:
            entry = self._data.get(key)
            if entry is not None and (
                entry[0] is check or (entry[0].__class__ is RangeCopy and entry[0] == check)
            ):
                self._data.move_to_end(key)
                self.hits += 1
                return entry[2]
            self.misses += 1
        value = compute()
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._cells -= old[1]
            self._data[key] = (keep() if keep is not None else check, cells, value)
            self._cells += cells
            while self._data and (len(self._data) > self.max_entries or self._cells > self.max_cells):
                _, (_, evicted_cells, _) = self._data.popitem(last=False)
                self._cells -= evicted_cells
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._cells = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def cells(self) -> int:
        return self._cells
