"""The pairings of underlyings already solved, kept across calls (see :data:`PAIRINGS`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class Pairings:
    """A bounded, thread-safe, least-recently-used map from one underlying's rows (and the basis,
    convention, rules and valuation date) to its groups and warnings: a recalculation that changes
    one underlying re-solves that one only."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(found[0])  # the stored key: found by identity, not compared again
            return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = (key, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


PAIRINGS = Pairings(4096)
