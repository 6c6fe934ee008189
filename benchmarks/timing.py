"""The one timer the benchmarks share."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(
    fn: Callable[[], Any],
    repeat: int,
    setup: Callable[[], Any] | None = None,
    *,
    clock: Callable[[], float] = time.perf_counter,
    warm_up: bool = True,
) -> tuple[float, float]:
    """(best, median) time of ``fn`` in milliseconds over ``repeat`` runs, after one warm-up.

    ``setup`` runs before each timed run, outside the timing (e.g. clearing a cache). ``clock`` is
    wall time by default; :func:`cpu_timed` passes this process's CPU time, less disturbed by other
    work on the machine.
    """
    if warm_up:
        fn()
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        start = clock()
        fn()
        times.append((clock() - start) * 1e3)
    return min(times), statistics.median(times)


def cpu_timed(
    fn: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None, *, warm_up: bool = True
) -> tuple[float, float]:
    """:func:`timed` in this process's CPU time (``time.process_time``)."""
    return timed(fn, repeat, setup, clock=time.process_time, warm_up=warm_up)
