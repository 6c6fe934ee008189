"""Bounded per-contract caches for the pricing kernel: results that depend on a few inputs only.

A :class:`ContractCache` maps a row of float64 inputs (compared as raw bytes: the exact numbers,
never a rounding of them) to a row of float64 results. The American exercise boundary depends on
``(T, r, q, sigma)`` and an implied volatility on the contract and its price, not on anything
else a caller holds, so a contract seen again is looked up instead of solved. Each cache holds at
most ``max_entries`` contracts and drops its oldest half when full; ``clear_caches()`` empties
them all (benchmarks time a cold start with it). Lookups are safe from several threads.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from itertools import islice
from typing import Final

import numpy as np

from xlmargin._typing import FloatArray, IntArray

MAX_ENTRIES: Final = 200_000  # contracts per cache: ~100 MB at the widest rows (41 floats)

_ALL: weakref.WeakSet[ContractCache | LastCall] = weakref.WeakSet()


class ContractCache:
    """Rows of ``width`` results keyed by rows of inputs (see the module docstring)."""

    def __init__(self, width: int, max_entries: int = MAX_ENTRIES):
        self.width = width
        self.max_entries = max_entries
        self._data: dict[bytes, bytes] = {}
        self._lock = threading.Lock()
        _ALL.add(self)

    def get_or_compute(self, keys: FloatArray, compute: Callable[[IntArray], FloatArray]) -> FloatArray:
        """The results of every row of ``keys`` (n × k): cached rows looked up, the others computed.

        ``compute(rows)`` gets the indices of the distinct missing key rows and returns their
        results, ``len(rows)`` × ``width``.
        """
        n = keys.shape[0]
        if n == 0:
            return np.zeros((0, self.width))
        row_bytes = keys.shape[1] * 8
        void = np.ascontiguousarray(keys, dtype=np.float64).view(np.dtype((np.void, row_bytes)))
        names: list[bytes] = void.ravel().tolist()  # type: ignore[assignment]  # void rows give bytes
        found: list[bytes | None] = list(map(self._data.get, names))
        if None in found:
            # each missing name's first row, in order: a dict built from the last row to the first
            # keeps the first (in C, not a Python loop per row: a first call misses every contract)
            absent = [i for i, value in enumerate(found) if value is None][::-1]
            missing = dict(zip(map(names.__getitem__, absent), absent))
            rows = np.sort(np.fromiter(missing.values(), np.int64, len(missing)))
            computed = np.ascontiguousarray(compute(rows), dtype=np.float64)
            packed = computed.view(np.dtype((np.void, self.width * 8)))
            results: list[bytes] = packed.ravel().tolist()  # type: ignore[assignment]
            fresh = dict(zip(map(names.__getitem__, rows.tolist()), results, strict=True))
            if len(absent) == n:
                found = list(map(fresh.__getitem__, names))
            else:
                found = [
                    fresh[name] if value is None else value for name, value in zip(names, found, strict=True)
                ]
            self._store(fresh)
        return np.frombuffer(b"".join(found), dtype=np.float64).reshape(n, self.width)  # type: ignore[arg-type]

    def _store(self, fresh: dict[bytes, bytes]) -> None:
        with self._lock:
            self._data.update(fresh)
            if len(self._data) > self.max_entries:
                for name in list(islice(self._data, len(self._data) - self.max_entries // 2)):
                    self._data.pop(name, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class LastCall:
    """The result of the last call, kept with the exact arrays it was computed from.

    A recalculation after an edit that leaves every contract's terms unchanged (a quantity, or
    a price when volatilities are given) hands over the same inputs as the call before: they are
    compared element by element (``np.array_equal``, no tolerance) and the result comes back
    without a per-contract lookup. Any difference recomputes (through the per-contract caches).
    The result's arrays are made read-only.
    """

    def __init__(self) -> None:
        self._last: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]] | None = None
        _ALL.add(self)

    def get(self, inputs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...] | None:
        last = self._last  # one read: another thread may replace it
        if last is None or len(last[0]) != len(inputs):
            return None
        for kept, given in zip(last[0], inputs, strict=True):
            if kept.dtype != given.dtype or not np.array_equal(kept, given):
                return None
        return last[1]

    def put(self, inputs: tuple[np.ndarray, ...], result: tuple[np.ndarray, ...]) -> None:
        for array in result:
            array.setflags(write=False)
        self._last = (tuple(np.array(a, copy=True) for a in inputs), result)

    def clear(self) -> None:
        self._last = None


def clear_caches() -> None:
    """Empty every pricing cache (results are unchanged; only the next call is slower)."""
    for cache in list(_ALL):
        cache.clear()
    from xlmargin.pricing.finite_difference import clear_cache

    clear_cache()


__all__ = ["MAX_ENTRIES", "ContractCache", "LastCall", "clear_caches"]
