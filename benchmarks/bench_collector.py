"""What the cyclic garbage collector costs a first Reg T call (the pause of xlmargin/collector.py).

Run from the repository root::

    python -m benchmarks.bench_collector

Calls ``regt_margin`` without its pause (``__wrapped__``) on the 5,000-position benchmark book,
pairing cache cleared, alternating runs with the collector on and off, and prints the best and
median of each, with the collections that ran during the "on" runs (``gc.callbacks``): how many,
how many were full, their time, and how many objects they freed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Any

from benchmarks.book import AS_OF, book
from xlmargin.positions import read_positions
from xlmargin.regt import PAIRINGS, regt_margin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args()
    portfolio = read_positions(book(), as_of=AS_OF)
    bare = regt_margin.__wrapped__  # type: ignore[attr-defined]  # contextlib's decorator keeps it
    bare(portfolio)
    seen = {"runs": 0, "full": 0, "seconds": 0.0, "freed": 0, "since": 0.0}

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen["since"] = time.perf_counter()
            return
        seen["runs"] += 1
        seen["full"] += info["generation"] == 2
        seen["freed"] += info["collected"]
        seen["seconds"] += time.perf_counter() - seen["since"]

    times: dict[str, list[float]] = {"on": [], "off": []}
    counts: list[tuple[int, int, float, int]] = []
    gc.callbacks.append(watch)
    try:
        for _ in range(args.repeat):
            for mode in ("on", "off"):
                PAIRINGS.clear()
                gc.collect()
                seen.update(runs=0, full=0, seconds=0.0, freed=0)
                if mode == "off":
                    gc.disable()
                start = time.perf_counter()
                bare(portfolio)
                times[mode].append(time.perf_counter() - start)
                gc.enable()
                if mode == "on":
                    counts.append((seen["runs"], seen["full"], seen["seconds"], seen["freed"]))
    finally:
        gc.callbacks.remove(watch)
    print("Reg T first call (initial, pairing cache cleared) on 5,000 positions; ms, best / median")
    for mode, label in (("on", "collector on "), ("off", "collector off")):
        print(f"  {label}  {min(times[mode]) * 1e3:7.1f} / {statistics.median(times[mode]) * 1e3:7.1f}")
    runs, full, seconds, freed = (statistics.median(c[k] for c in counts) for k in range(4))
    print(f"  collections during a call (median): {runs:.0f}, of which full {full:.0f}; "
          f"{seconds * 1e3:.1f} ms; objects freed {freed:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
