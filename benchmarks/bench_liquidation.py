"""LIQUIDATION_PLAN under Reg T on the first rows of the benchmark book (``benchmarks/book.py``).

Run from the repository root::

    python -m benchmarks.bench_liquidation                    # 40, 250 and 1,000 rows
    python -m benchmarks.bench_liquidation --rows 40,250 --time-limit 20

For each size and each of ``regt`` and ``regt_maintenance``, with the equity at 80% of the
requirement (a sale is needed): the plan's wall time once (the sale and the strategy pairing in one
mixed-integer program, the engine's check of the book after it included), its status, the trades,
the notional closed and the requirement after by the optimiser and by the engine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

from benchmarks.book import AS_OF, book
from xlmargin.decisions import DecisionSettings, decision_settings, liquidation_plan
from xlmargin.decisions._common import requirement
from xlmargin.positions import Portfolio, read_positions


def heads(
    parser: argparse.ArgumentParser, sizes: str
) -> tuple[argparse.Namespace, DecisionSettings, Iterator[tuple[int, Portfolio]]]:
    """The options parsed (``--rows``, default ``sizes``; ``--time-limit``), the decisions'
    settings, and each size with the benchmark book's first rows of it, read."""
    parser.add_argument("--rows", default=sizes, help="book sizes, comma-separated")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds (default: the parameter's)")
    args = parser.parse_args()
    rows = book()
    params: dict[str, object] = {"as_of": AS_OF}
    if args.time_limit is not None:
        params["time_limit"] = args.time_limit
    sized = (
        (n, read_positions([rows[0], *rows[1 : n + 1]], as_of=AS_OF))
        for n in (int(size) for size in args.rows.split(","))
    )
    return args, decision_settings(params, AS_OF), sized


def main() -> None:
    _, settings, sized = heads(argparse.ArgumentParser(description=__doc__.splitlines()[0]), "40,250,1000")
    for n, portfolio in sized:
        for regime in ("regt", "regt_maintenance"):
            before = requirement(regime, portfolio, settings)
            start = time.perf_counter()
            plan = liquidation_plan(portfolio, 0.8 * before, settings, regime)
            took = time.perf_counter() - start
            print(
                f"{n:>5} rows {regime:<16} {took:6.2f} s  {plan.status}; {len(plan.trades)} trades, notional "
                f"{plan.notional:,.2f}; requirement {before:,.2f} → {plan.optimiser_value:,.2f} (optimiser), "
                f"{plan.after:,.2f} (engine), target {plan.target:,.2f}; {len(plan.notes)} notes",
                flush=True,
            )


if __name__ == "__main__":
    main()
