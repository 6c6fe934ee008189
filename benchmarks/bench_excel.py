"""Benchmark: the worksheet functions as Excel calls them (a list of lists in, through the UDF layer).

Measures, on the 5,000-position book of :mod:`benchmarks.book`:
- the first ``PM_REQUIREMENT`` call (parse, validate, price, cache store);
- a repeat call on an unchanged range (content hashed, served from the shared cache);
- ``STRESS_TABLE`` and ``REGT_MARGIN`` first calls;
- the ten cells of a comparison table reading one range (shared parse, one run per engine).

Run: ``python -m benchmarks.bench_excel [--repeat N]``. Figures go in the README; this is not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.book import AS_OF, book
from benchmarks.timing import timed
from xlmargin.excel import udfs
from xlmargin.excel.functions import CACHE
from xlmargin.pricing import clear_caches
from xlmargin.regt import PAIRINGS

PARAMS = [["as_of", AS_OF]]


def show(label: str, figures: tuple[float, float]) -> None:
    print(f"{label:<58} {figures[0]:8.2f} / {figures[1]:8.2f}")


def ok(result: object) -> None:
    if isinstance(result, str) and result.startswith("#"):
        raise SystemExit(f"the function failed: {result}")


def cold() -> None:
    """A first call: the results cache and the pricing caches empty."""
    CACHE.clear()
    clear_caches()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    rows = book()
    print(f"book: {len(rows) - 1} positions; {repeat} repetitions; times in ms (best / median)")

    show(
        "PM_REQUIREMENT, first call (cache cleared)",
        timed(lambda: ok(udfs.PM_REQUIREMENT(rows, PARAMS)), repeat, cold),
    )
    udfs.PM_REQUIREMENT(rows, PARAMS)
    copies = [[list(r) for r in rows] for _ in range(repeat + 1)]  # Excel hands a fresh list each call
    show(
        "PM_REQUIREMENT, repeat call on an unchanged range",
        timed(lambda: ok(udfs.PM_REQUIREMENT(copies.pop(), PARAMS)), repeat),
    )
    many = [[list(r) for r in rows] for _ in range(200)]
    loop: list[float] = []
    for copy in many:  # back to back, as a recalculation calls them: no collection in between
        start = time.perf_counter()
        ok(udfs.PM_REQUIREMENT(copy, PARAMS))
        loop.append((time.perf_counter() - start) * 1e3)
    show("PM_REQUIREMENT, repeat calls back to back (200)", (min(loop), statistics.median(loop)))
    show(
        "STRESS_TABLE, first call (cache cleared)",
        timed(lambda: ok(udfs.STRESS_TABLE(rows, PARAMS)), repeat, cold),
    )

    def regt_cold() -> None:  # a true first call: no underlying's pairing cached either
        cold()
        PAIRINGS.clear()

    show(
        "REGT_MARGIN, first call (cache cleared)",
        timed(lambda: ok(udfs.REGT_MARGIN(rows, None, None, PARAMS)), max(3, repeat // 5), regt_cold),
    )

    def comparison_cells() -> None:
        for _ in range(3):
            udfs.PM_REQUIREMENT(rows, PARAMS)
        udfs.PM_SCENARIOS(rows, PARAMS)
        udfs.PM_BREAKDOWN(rows, PARAMS)
        udfs.RISK_MARGIN(rows, PARAMS)
        udfs.STRESS_PNL(rows, "CB2", PARAMS)
        udfs.STRESS_TABLE(rows, PARAMS)
        udfs.REGT_MARGIN(rows, None, None, PARAMS)
        udfs.REGT_MARGIN(rows, "maintenance", None, PARAMS)

    show(
        "ten comparison-table cells over one range (cache cleared)",
        timed(comparison_cells, max(3, repeat // 5), cold),
    )
    print(f"cache after the run: {len(CACHE)} entries, {CACHE.cells:,} input cells held")


if __name__ == "__main__":
    main()
