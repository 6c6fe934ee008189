"""HEDGE_OPTIMIZE under Reg T on the first rows of the benchmark book (``benchmarks/book.py``).

Run from the repository root::

    python -m benchmarks.bench_hedge_regt                     # 40 and 250 rows, 5, 10, 20 candidates
    python -m benchmarks.bench_hedge_regt --rows 40 --candidates 5,20 --time-limit 20

For each size, each number of candidates and each of ``regt`` and ``regt_maintenance``: the
hedge's wall time once (the candidates' quantities and the strategy pairing in one mixed-integer
program, the cheapest plan's second solve, the engine's check and the Reg T before/after rows
included; the book's pairing warm, as after a first ``REGT_MARGIN``), its status, the trades and
the requirement before and after by the optimiser and by the engine. The candidates, on the book's
option underlyings in turn: a put 5% out of the money (buy up to 20), a call 5% out of the money
(sell or buy up to 10) and the stock (sell or buy up to 500 shares).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.bench_liquidation import heads
from benchmarks.book import AS_OF
from xlmargin.decisions import hedge_optimize, read_candidates
from xlmargin.decisions._common import requirement
from xlmargin.positions import Portfolio

HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right",
          "volatility", "min_qty", "max_qty"]  # fmt: skip


def candidates(portfolio: Portfolio, count: int) -> list[list[Any]]:
    """``count`` candidates on the book's option underlyings (module docstring)."""
    a = portfolio.arrays
    rows: list[list[Any]] = [HEADER]
    spots = {}
    for i in range(len(portfolio)):
        if a["type"][i] == "option":
            spots.setdefault(
                str(a["underlying"][i]), (float(a["underlying_price"][i]), float(a["volatility"][i]))
            )
    names = list(spots)
    k = 0
    while len(rows) <= count:
        symbol = names[k % len(names)]
        spot, vol = spots[symbol]
        kind = k % 3
        premium = round(0.02 * spot, 2)
        if kind == 0:
            rows.append([f"{symbol} P", "option", 20, premium, symbol, spot, round(0.95 * spot), 45, "put",
                         vol, 0, 20])  # fmt: skip
        elif kind == 1:
            rows.append([f"{symbol} C", "option", 10, premium, symbol, spot, round(1.05 * spot), 45, "call",
                         vol, -10, 10])  # fmt: skip
        else:
            rows.append([symbol, "stock", 500, spot, None, None, None, None, None, None, -500, 500])
        k += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", default="5,10,20", help="numbers of candidates, comma-separated")
    args, settings, sized = heads(parser, "40,250")
    for n, portfolio in sized:
        for count in (int(c) for c in args.candidates.split(",")):
            cands = read_candidates(candidates(portfolio, count), AS_OF)
            for objective in ("regt", "regt_maintenance"):
                before = requirement(objective, portfolio, settings)  # the book's pairing, warm
                start = time.perf_counter()
                result = hedge_optimize(portfolio, cands, settings, objective, shown=("regt",))
                took = time.perf_counter() - start
                print(
                    f"{n:>5} rows {count:>3} candidates {objective:<16} {took:6.2f} s  {result.status}; "
                    f"{len(result.trades)} trades, spend {result.spend:,.2f}; requirement {before:,.2f} → "
                    f"{result.optimiser_value:,.2f} (optimiser), {result.engine_value:,.2f} (engine); "
                    f"{len(result.warnings)} warnings",
                    flush=True,
                )


if __name__ == "__main__":
    main()
