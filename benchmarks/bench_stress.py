"""Stress-view benchmark: ``stress_table`` on the 5,000-position book of ``benchmarks/book.py``.

Run from the repository root::

    python -m benchmarks.bench_stress             # 30 repetitions of each timing
    python -m benchmarks.bench_stress --repeat 100

Prints best of N and median, in milliseconds:

- end to end from the Excel-shaped list of lists: ``read_params`` + ``stress_settings`` +
  ``read_positions`` + ``stress_table`` over the whole scenario library (the target is 100 ms);
- the same without the volatility column (every implied volatility solved from its price);
- the same book with 300 cross-asset lines added (Treasury bonds priced from their yields, FX
  pairs, futures), the paths the option book does not exercise;
- the parts alone: reading the positions, the settings and library, the table on a read book,
  and ``risk_margin``.

Timings on a shared machine vary; the best of N is the figure least disturbed by other load.
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.book import AS_OF, book
from benchmarks.timing import timed
from xlmargin.params import read_params
from xlmargin.positions import read_positions
from xlmargin.stress import STRESS_PARAMS, risk_margin, scenario_library, stress_settings, stress_table


def end_to_end(table: list[list[Any]]) -> list[list[Any]]:
    settings = stress_settings(read_params(None, STRESS_PARAMS), AS_OF)
    return stress_table(read_positions(table, as_of=AS_OF), settings)


def cross_asset(table: list[list[Any]], lines: int = 300) -> list[list[Any]]:
    """The book with Treasury bonds, FX pairs and futures appended, a third of ``lines`` each."""
    header = [*table[0], "coupon", "yield", "maturity", "fx_rate"]
    rows = [[*r, None, None, None, None] for r in table[1:]]
    pairs = (
        ("EURUSD", 1.08, None),
        ("GBPUSD", 1.27, None),
        ("USDJPY", 150.0, None),
        ("EURJPY", 162.0, 1 / 150),
    )
    futures = (("ESZ6", 6000.0), ("ZNH7", 110.0), ("GCZ6", 2600.0), ("6EZ6", 1.08), ("CLZ6", 70.0))
    for i in range(lines):
        cells: dict[str, Any] = {}
        if i % 3 == 0:
            cells = {
                "symbol": f"T {i}",
                "type": "bond",
                "quantity": 100_000.0 * (1 + i % 7),
                "price": 98.5 + i % 5,
                "coupon": 3.0 + (i % 9) / 4,
                "maturity": 1.0 + i % 29,
            }
        elif i % 3 == 1:
            symbol, price, rate = pairs[i % 4]
            cells = {
                "symbol": symbol,
                "type": "fx",
                "quantity": 50_000.0 * (-1) ** i,
                "price": price,
                "fx_rate": rate,
            }
        else:
            symbol, price = futures[i % 5]
            cells = {"symbol": symbol, "type": "future", "quantity": float(1 + i % 3), "price": price}
        rows.append([cells.get(h) for h in header])
    return [header, *rows]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    n = args.repeat

    table = book()
    no_vol = book(volatility=False)
    mixed = cross_asset(table)
    settings = stress_settings(read_params(None, STRESS_PARAMS), AS_OF)
    portfolio = read_positions(table, as_of=AS_OF)
    scenarios = len(scenario_library(settings))
    print(f"book: {len(table) - 1} positions, {scenarios} scenarios; best of {n} (median), ms")
    figures = {
        "end to end (read + settings + stress_table)": lambda: end_to_end(table),
        "end to end, no volatility column (IVs solved)": lambda: end_to_end(no_vol),
        f"end to end, + {len(mixed) - len(table)} bonds, FX pairs, futures": lambda: end_to_end(mixed),
        "read_positions": lambda: read_positions(table, as_of=AS_OF),
        "stress_settings + scenario_library": lambda: scenario_library(stress_settings({}, AS_OF)),
        "stress_table on a read book": lambda: stress_table(portfolio, settings),
        "risk_margin on a read book": lambda: risk_margin(portfolio, settings),
    }
    for label, fn in figures.items():
        best, median = timed(fn, n)
        print(f"  {label:<52} {best:8.1f} ({median:.1f})")


if __name__ == "__main__":
    main()
