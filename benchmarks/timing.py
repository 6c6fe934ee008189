"""The one timer the benchmarks share."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None) -> tuple[float, float]:
    """(best, median) wall time of ``fn`` in milliseconds over ``repeat`` runs, after one warm-up.

    ``setup`` runs before each timed run, outside the timing (e.g. clearing a cache).
    """
    fn()
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times), statistics.median(times)
