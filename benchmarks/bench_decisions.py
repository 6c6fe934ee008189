"""Margin-decision benchmarks on the 5,000-position book of ``benchmarks/book.py``.

Run from the repository root::

    python -m benchmarks.bench_decisions            # 5 repetitions of each timing
    python -m benchmarks.bench_decisions --repeat 10
    python -m benchmarks.bench_decisions --regt-rows 5000   # Reg T contributions on the whole book

Prints (best of N and median, milliseconds, after one warm-up), the book read once beforehand:

- one portfolio-margin call (``pm_requirement``), the yardstick;
- ``margin_impact`` with 20 trades, portfolio margin only, and its ratio to one PM call
  (target ≤ 2×: both figures come from one pricing of the book and the trades): trades on 20
  contracts the book holds (the book with new quantities), then 20 trades that each open a row
  (the same rows with the strike moved off the book's: the book and 20 new contracts);
- ``margin_contribution`` under portfolio margin and its ratio to one PM call (target ≤ 5×: the
  book is priced once, never once per position);
- ``margin_contribution`` under Reg T on the book's first ``--regt-rows`` positions (default 250),
  once, and one Reg T call on the same rows (pairing cache cleared before each): every paired
  position's class group is paired again without it, one integer program per paired position,
  so this grows with the size of the classes, not only with the number of rows;
- ``hedge_optimize`` with 20 candidates (index and single-stock puts, ETFs), objective pm, risk,
  and account with securities under PM (target ≤ 2 s): the optimiser, the engine's check and the
  PM and risk-view before/after;
  the Reg T before/after rows of the full result add one Reg T call on the book (its own figure,
  printed after: optimal pairing of a 1,034-leg SPX class) plus a re-pairing of the touched classes.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from benchmarks.book import AS_OF, book
from benchmarks.timing import cpu_timed, timed
from xlmargin.decisions import (
    decision_settings,
    hedge_optimize,
    margin_contribution,
    margin_impact,
    read_candidates,
)
from xlmargin.pm import pm_requirement
from xlmargin.positions import Portfolio, read_positions
from xlmargin.regt import PAIRINGS, regt_margin

CANDIDATE_HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days",
                    "right", "volatility"]  # fmt: skip


def candidates(portfolio: Portfolio) -> list[list[Any]]:
    """20 candidates: a 5%-out-of-the-money put on each of the book's first 15 option underlyings
    (so they share class groups with the book), and five ETFs."""
    a = portfolio.arrays
    rows: list[list[Any]] = [CANDIDATE_HEADER]
    seen = set()
    for i in range(len(portfolio)):
        symbol = a["underlying"][i]
        if a["type"][i] != "option" or symbol in seen:
            continue
        seen.add(symbol)
        spot = float(a["underlying_price"][i])
        rows.append([f"{symbol} P", "option", 20, round(0.02 * spot, 2), symbol, spot, round(0.95 * spot), 45,
                     "put", float(a["volatility"][i])])  # fmt: skip
        if len(rows) > 15:
            break
    for symbol, price in (("TLT", 92.4), ("GLD", 242.8), ("UUP", 28.5), ("IEF", 95.1), ("SHY", 82.3)):
        rows.append([symbol, "etf", 2000, price, None, None, None, None, None, None])
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--regt-rows", type=int, default=250, help="rows for the Reg T contributions")
    args = parser.parse_args(argv)
    table = book()
    portfolio = read_positions(table, as_of=AS_OF)
    settings = decision_settings({"as_of": AS_OF}, AS_OF)
    trades = read_positions([table[0], *table[1:21]], as_of=AS_OF)
    strike = table[0].index("strike")
    opening = read_positions(
        [table[0], *([*r[:strike], r[strike] + 0.5, *r[strike + 1 :]] for r in table[1:21])], as_of=AS_OF
    )
    cands = read_candidates(candidates(portfolio), AS_OF)
    print(f"book: {len(portfolio)} positions; trades: {len(trades)}; candidates: {len(cands.portfolio)}")

    pm, pm_median = timed(lambda: pm_requirement(portfolio, settings.account.pm), args.repeat)
    pm_cpu = cpu_timed(lambda: pm_requirement(portfolio, settings.account.pm), args.repeat)[0]
    print(f"one PM call: {pm:.1f} ms best, {pm_median:.1f} ms median; CPU {pm_cpu:.1f} ms best")
    impact, impact_median = timed(lambda: margin_impact(portfolio, trades, settings, ("pm",)), args.repeat)
    impact_cpu = cpu_timed(lambda: margin_impact(portfolio, trades, settings, ("pm",)), args.repeat)[0]
    print(
        f"MARGIN_IMPACT (pm): {impact:.1f} ms best, {impact_median:.1f} ms median; "
        f"{impact / pm:.2f}x one PM call; CPU {impact_cpu:.1f} ms best, {impact_cpu / pm_cpu:.2f}x"
    )
    opened, opened_median = timed(lambda: margin_impact(portfolio, opening, settings, ("pm",)), args.repeat)
    opened_cpu = cpu_timed(lambda: margin_impact(portfolio, opening, settings, ("pm",)), args.repeat)[0]
    print(
        f"MARGIN_IMPACT (pm), trades opening rows: {opened:.1f} ms best, {opened_median:.1f} ms median; "
        f"{opened / pm:.2f}x one PM call; CPU {opened_cpu:.1f} ms best, {opened_cpu / pm_cpu:.2f}x"
    )
    contribution, contribution_median = timed(
        lambda: margin_contribution(portfolio, settings, "pm"), args.repeat
    )
    print(
        f"MARGIN_CONTRIBUTION (pm): {contribution:.1f} ms best, {contribution_median:.1f} ms median; "
        f"{contribution / pm:.2f}x one PM call"
    )
    head = portfolio.select(np.arange(len(portfolio)) < args.regt_rows)
    PAIRINGS.clear()  # each measured once from a cold pairing cache: a warm one would answer both
    start = time.perf_counter()
    regt_margin(head)
    one = (time.perf_counter() - start) * 1000.0
    PAIRINGS.clear()
    start = time.perf_counter()
    margin_contribution(head, settings, "regt")
    regt_contribution = (time.perf_counter() - start) * 1000.0
    print(
        f"MARGIN_CONTRIBUTION (regt), first {len(head)} positions: {regt_contribution / 1000:.2f} s; "
        f"one Reg T call on them {one:.1f} ms"
    )
    # the account objective with securities under portfolio margin (the book holds no futures)
    account = decision_settings({"as_of": AS_OF, "securities": "pm"}, AS_OF)
    for objective, chosen in (("pm", settings), ("risk", settings), ("account", account)):
        best, median = timed(
            lambda o=objective, s=chosen: hedge_optimize(portfolio, cands, s, o, shown=("pm", "risk")),
            args.repeat,
        )
        print(
            f"HEDGE_OPTIMIZE ({objective}), 20 candidates, optimiser + PM and risk-view check: "
            f"{best:.1f} ms best, {median:.1f} ms median"
        )
    regt, regt_median = timed(lambda: regt_margin(portfolio), 1)
    print(
        f"  + the Reg T before/after rows: one Reg T call on the book, {regt:.1f} ms ({regt_median:.1f} ms)"
    )


if __name__ == "__main__":
    main()
