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

When the pause ends, what the call left behind (the results cache's copy of the range, a list per
row) is young: the collector scans it once at its next young collection, 5,172 objects and about
0.9 ms after a first STRESS_TABLE on the benchmark book (timed with ``gc.callbacks``). That scan is
kept on purpose. Moving the survivors to the oldest generation unscanned (``gc.freeze()`` then
``gc.unfreeze()``) would save it, but would move every other young object too, and CPython does not
count objects moved that way towards its next full collection: reference cycles that other code
(xlwings, the host) makes between calls would then never be collected. Measured: 20,000 paused
calls with 20 such cycles made between each left 808,802 tracked objects, and no full collection
ran; without the move, 8,962 (tests/test_collector.py keeps that case).
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
                gc.enable()
