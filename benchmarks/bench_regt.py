"""Reg T benchmark: strategy-based margin of the 5,000-position book of ``benchmarks/book.py``
(295 underlyings with options or stock; the SPX class alone holds 1,260 legs).

Run from the repository root::

    python -m benchmarks.bench_regt            # 5 first calls, 30 repeat calls
    python -m benchmarks.bench_regt --repeat 10

Prints, for the initial/gross and the maintenance/net requirement (best and median, milliseconds;
and CPU seconds of the median run, steadier than wall time on a shared machine):

- first call: the pairing cache cleared before each run, so every underlying is enumerated and
  its integer program solved (one block-diagonal program for the book; the three classes above
  5,000 candidates alone, each on a worker thread as soon as it is built, beside the rest: on two
  cores the wall time of a first call is below its CPU time); then the same on a book read just
  before the call (outside the timing), as a first ``REGT_MARGIN`` meets it: its positions are
  built during the call, where the row above reuses those of the runs before;
- repeat call: the same positions read again (new objects, equal content), every underlying
  served from the pairing cache;
- one underlying changed: one option row's quantity changed, so that underlying alone is solved;
- the stages of a first call, one after the other (no worker thread): legs, candidate
  enumeration and programs (as ``regt_margin`` does it: an underlying of more than
  ``exhaustive_legs`` option legs alone, the others in one pass), solving the classes above 5,000
  candidates (each alone) and the stacked program of the others (with its tie-break);
- ``REGT_MARGIN`` as Excel calls it (a list of lists through the UDF layer): cold (the worksheet
  cache and the pairing cache cleared), and with the worksheet cache cleared but the pairing
  cache warm, as after an edit elsewhere in the range or workbook (reading the range included).

With ``--ladder``, instead: the first call (pairing cache cleared) on a 40-leg single-expiry call
ladder (20 short calls, 20 long one strike above each), with realistic prices and with every short
at 2.00 and every long at 1.50 (many equally cheap pairings: the hardest case for the tie-break)::

    python -m benchmarks.bench_regt --ladder --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from typing import Any

from benchmarks.book import AS_OF, book
from benchmarks.timing import cpu_timed, timed
from xlmargin import rules as rule_files
from xlmargin.excel import udfs
from xlmargin.excel.functions import CACHE
from xlmargin.positions import Portfolio, read_positions
from xlmargin.regt import PAIRINGS, regt_margin
from xlmargin.regt._formulas import RegTRules
from xlmargin.regt._legs import book_legs
from xlmargin.regt._pairing import _TIE_BREAK_LIMIT as LARGE
from xlmargin.regt._pairing import block, solve
from xlmargin.regt._pairing import blocks as blocks_of
from xlmargin.regt._strategies import Enumerator, all_candidates

CONVENTIONS = (("initial", False), ("maintenance", True))
PARAMS = [["as_of", AS_OF]]
LADDER_HEADER = [
    "symbol",
    "type",
    "quantity",
    "price",
    "underlying",
    "underlying_price",
    "strike",
    "expiry",
    "right",
]


def call_ladder(realistic: bool) -> list[list[Any]]:
    """The 40-leg call ladder of ``--ladder`` (header row first): short calls at 80, 82, ..., 118
    and a long call one strike above each, expiring 2027-03-19, the underlying at 100; realistic
    prices (intrinsic value plus 2.00 short, 1.80 long) or every short at 2.00 and long at 1.50."""
    rows: list[list[Any]] = [LADDER_HEADER]
    for k in range(80, 120, 2):
        short, long = (max(100 - k, 0) + 2.0, max(99 - k, 0) + 1.8) if realistic else (2.0, 1.5)
        rows.append([f"XYZ C{k}", "option", -1, short, "XYZ", 100.0, float(k), "2027-03-19", "C"])
        rows.append([f"XYZ C{k + 1}", "option", 1, long, "XYZ", 100.0, float(k + 1), "2027-03-19", "C"])
    return rows


def ladders(repeat: int) -> None:
    """Prints the first-call times of both ladders (see the module docstring)."""
    print("Reg T on a 40-leg call ladder, first call (pairing cache cleared); milliseconds, best / median")
    for realistic in (True, False):
        portfolio = read_positions(call_ladder(realistic), as_of=AS_OF)
        for basis, net in CONVENTIONS:
            result = regt_margin(portfolio, basis=basis, net_of_proceeds=net)

            def run(b: str = basis, n: bool = net, p: Portfolio = portfolio) -> float:
                return regt_margin(p, basis=b, net_of_proceeds=n).total

            best, median = timed(run, repeat, PAIRINGS.clear)
            prices = "realistic" if realistic else "identical prices"
            print(
                f"  {prices}, {basis}, {'net' if net else 'gross'}: "
                f"total {result.total:,.2f}, {len(result.groups)} groups, {len(result.warnings)} warnings"
                f"   {best:9.1f} / {median:9.1f}"
            )


def stages(portfolio: Portfolio, basis: str, net: bool) -> dict[str, float]:
    """Seconds spent building legs, enumerating candidates (and of that, the classes enumerated
    alone) and solving, over the whole book."""
    r = RegTRules.of(rule_files.load("regt"))
    books: dict[str, list[Any]] = defaultdict(list)
    for p in portfolio.positions:
        if p.type not in ("bond", "cash"):
            books[p.class_group].append(p)
    start = time.perf_counter()
    legs = [book_legs(books[name], r, basis, portfolio.as_of) for name in sorted(books)]
    built = time.perf_counter()
    # as regt_margin enumerates: an underlying of many option legs alone, the others in one pass
    enumerators = [Enumerator(leg, r, basis, net) for leg in legs]
    alone = [k for k, e in enumerate(enumerators) if len(e.options) > r.exhaustive_legs]
    together = [k for k, e in enumerate(enumerators) if len(e.options) <= r.exhaustive_legs]
    programs = [block(legs[k], enumerators[k].candidates(), net) for k in alone]
    many_legs = time.perf_counter()
    found = all_candidates([enumerators[k] for k in together])
    programs += blocks_of([(legs[k], c) for k, c in zip(together, found)], net)
    large = [b for b in programs if b.size > LARGE]
    small = [b for b in programs if b.size <= LARGE]
    enumerated = time.perf_counter()
    solve(large, r.time_limit_seconds, [[] for _ in large])
    large_solved = time.perf_counter()
    solve(small, r.time_limit_seconds, [[] for _ in small])
    solved = time.perf_counter()
    return {
        "legs": built - start,
        "enumeration": enumerated - built,
        "many legs": many_legs - built,
        "exhaustive legs": r.exhaustive_legs,
        "large": large_solved - enumerated,
        "stacked": solved - large_solved,
        "candidates": sum(b.size for b in programs),
        "classes": len(large),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=30, help="repeat-call runs (first calls: a sixth, at least 3)"
    )
    parser.add_argument("--ladder", action="store_true", help="time the two 40-leg call ladders only")
    args = parser.parse_args(argv)
    if args.ladder:
        ladders(args.repeat)
        return
    table = book()
    portfolio = read_positions(table, as_of=AS_OF)
    again = read_positions(table, as_of=AS_OF)  # equal content, new objects
    changed_table = [list(row) for row in table]
    first_option = next(k for k, row in enumerate(changed_table) if k and row[1] == "option")
    changed_table[first_option][2] += 1.0
    changed = read_positions(changed_table, as_of=AS_OF)
    firsts = max(3, args.repeat // 6)
    print(
        f"Reg T on {len(portfolio.positions):,} positions (benchmarks/book.py); milliseconds, best / median"
    )
    for basis, net in CONVENTIONS:
        label = f"{basis}, {'net' if net else 'gross'}"
        result = regt_margin(portfolio, basis=basis, net_of_proceeds=net)

        def run(p: Portfolio = portfolio, b: str = basis, n: bool = net) -> float:
            return regt_margin(p, basis=b, net_of_proceeds=n).total

        best, median = timed(run, firsts, PAIRINGS.clear)
        cpu = cpu_timed(run, firsts, PAIRINGS.clear, warm_up=False)[1]
        print(
            f"  {label}: total {result.total:,.2f}, {len(result.groups):,} groups, "
            f"{len(result.warnings)} warnings"
        )
        print(f"    first call (cache cleared)       {best:9.1f} / {median:9.1f}   cpu {cpu:9.1f}")
        fresh: list[Portfolio] = []

        def read_again(into: list[Portfolio] = fresh) -> None:
            PAIRINGS.clear()
            into[:] = [read_positions(table, as_of=AS_OF)]

        def run_fresh(held: list[Portfolio] = fresh, b: str = basis, n: bool = net) -> float:
            return run(held[0], b, n)

        best, median = timed(run_fresh, firsts, read_again, warm_up=False)
        print(f"      on a book read just before     {best:9.1f} / {median:9.1f}")
        run()

        def repeat(b: str = basis, n: bool = net) -> float:
            return run(again, b, n)

        best, median = timed(repeat, args.repeat)
        cpu = cpu_timed(repeat, args.repeat, warm_up=False)[1]
        print(f"    repeat call (every underlying)   {best:9.1f} / {median:9.1f}   cpu {cpu:9.1f}")
        elapsed = []
        for _ in range(max(3, args.repeat // 3)):
            run()  # the cache holds the book as it was
            start = time.perf_counter()
            run(changed)
            elapsed.append((time.perf_counter() - start) * 1e3)
        print(f"    one underlying changed           {min(elapsed):9.1f} / {statistics.median(elapsed):9.1f}")
        parts = stages(portfolio, basis, net)
        print(
            f"    stages of a first call: legs {parts['legs'] * 1e3:.0f} ms, enumeration "
            f"{parts['enumeration'] * 1e3:.0f} ms ({parts['candidates']:,.0f} candidates; the classes "
            f"of more than {parts['exhaustive legs']:.0f} option legs {parts['many legs'] * 1e3:.0f} ms), "
            "solve: "
            f"{parts['classes']:.0f} large classes {parts['large'] * 1e3:.0f} ms, "
            f"the others stacked {parts['stacked'] * 1e3:.0f} ms"
        )

    def udf() -> None:
        result = udfs.REGT_MARGIN(table, None, None, PARAMS)
        if isinstance(result, str):
            raise SystemExit(f"REGT_MARGIN failed: {result}")

    def cold() -> None:
        CACHE.clear()
        PAIRINGS.clear()

    best, median = timed(udf, firsts, cold)
    print(f"  REGT_MARGIN as Excel calls it, cold               {best:9.1f} / {median:9.1f}")
    best, median = timed(udf, args.repeat, CACHE.clear)
    print(f"  REGT_MARGIN, worksheet cache cleared, pairings warm {best:7.1f} / {median:9.1f}")


if __name__ == "__main__":
    main()
