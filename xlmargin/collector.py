"""The cyclic garbage collector, paused while an engine call builds many short-lived objects.

A first Reg T call on a 5,000-position book builds tens of thousands of container objects (legs,
candidates, groups, their tuples), none of them in a reference cycle: reference counting frees
every one. CPython's cyclic collector does not know that; it counts allocations and, every few
hundred, scans the younger generations, and now and then the whole heap (every tracked object of
the process, the workbook's cached ranges included). On the benchmark book that is about 150
collections during one call, one of them full, some 44 ms in all, and they free nothing
(``python -m benchmarks.bench_collector``, which also times the call with the collector on and off).

:func:`collector_paused` turns the collector off for the duration of the call and puts back what
it found. The collector is process-wide, so the pause is counted: threads that run engine calls at
once (Excel may run worksheet functions concurrently) share one pause, and the collector comes
back on when the last of them ends, and only if it was on when the first began.

What a call leaves behind is long-lived: the results cache's copy of the range (a list per row,
5,001 of them for the benchmark book) and the results themselves. Switched back on, the collector
would find them all in its youngest generation, over its threshold, and scan them at the next
allocation: 5,172 objects, 0.92 ms after a first STRESS_TABLE on the benchmark book, freeing nothing
(``python -m benchmarks.bench_collector``). So before the collector comes back on, every object it
tracks is moved to its oldest generation, without a scan: ``gc.freeze()`` then ``gc.unfreeze()``,
two splices of the collector's lists that cost the same on any heap. A cycle made during a call
(none is expected), or by another thread meanwhile, is then collected by the next full collection
rather than the next young one. Where something else keeps objects in the permanent generation
(``gc.get_freeze_count()`` above 0, e.g. a server that froze its heap before forking) it is left
alone and the objects stay where they are.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pause:
    """How many calls are inside the pause, and whether the collector was on before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False


_PAUSE = _Pause()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Within the block, the cyclic garbage collector does not run (see the module docstring).
    Usable as a decorator: ``@collector_paused()``."""
    with _PAUSE.lock:
        if _PAUSE.depth == 0:
            _PAUSE.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSE.depth += 1
    try:
        yield
    finally:
        with _PAUSE.lock:
            _PAUSE.depth -= 1
            if _PAUSE.depth == 0 and _PAUSE.was_enabled:
                _to_oldest_generation()
                gc.enable()


def _to_oldest_generation() -> None:
    """Every object the collector tracks moved to its oldest generation, none scanned (see the module
    docstring); nothing moved where the permanent generation holds someone else's objects."""
    if gc.get_freeze_count() == 0:
        gc.freeze()  # every generation into the permanent one, the young count reset
        gc.unfreeze()  # the permanent generation into the oldest
