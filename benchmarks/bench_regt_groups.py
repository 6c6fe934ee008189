"""Reg T benchmark of one stage of a first call: the breakdown's groups, on the 5,000-position book of
``benchmarks/book.py``. Once the solver has chosen each underlying's units, every chosen candidate
and every leg left alone becomes a group with its rows, rule text and cents.

Run from the repository root::

    python -m benchmarks.bench_regt_groups            # 7 runs per path
    python -m benchmarks.bench_regt_groups --repeat 15

Prints, for the initial/gross and the maintenance/net requirement, the CPU milliseconds (best and
median; CPU time is steadier than wall time on a shared machine) of the groups of all underlyings
made at once (what ``regt_margin`` does) and made one underlying at a time, handing each leg's rows
out group by group (the slow twin it keeps for amounts off the 1/1024 grid), each with its place in
the breakdown. The garbage collector
is paused while timing: a full collection falls wherever the whole call's allocations trigger it.
"""

from __future__ import annotations

import argparse
import gc
from collections import defaultdict
from typing import Any

from benchmarks.book import AS_OF, book
from benchmarks.timing import cpu_timed
from xlmargin import rules as rule_files
from xlmargin.positions import Portfolio, read_positions
from xlmargin.regt import _book_groups, _groups_together, _order
from xlmargin.regt._allocation import Solved
from xlmargin.regt._formulas import RegTRules
from xlmargin.regt._legs import netted_legs
from xlmargin.regt._pairing import block, solve
from xlmargin.regt._strategies import Enumerator

CONVENTIONS = (("initial", False), ("maintenance", True))


def solved(portfolio: Portfolio, basis: str, net: bool) -> list[Solved]:
    """Every underlying's legs, candidates, program and chosen units, as a first call pairs them."""
    r = RegTRules.of(rule_files.load("regt"))
    books: dict[str, list[Any]] = defaultdict(list)
    for p in portfolio.positions:
        if p.type not in ("bond", "cash"):
            books[p.class_group].append(p)
    out = []
    for name in sorted(books):
        legs, _ = netted_legs(books[name], r, basis, portfolio.as_of)
        candidates = Enumerator(legs, r, basis, net).candidates()
        program = block(legs, candidates, net)
        out.append(Solved(legs, candidates, program, solve([program], r.time_limit_seconds, [[]])[0]))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per path")
    args = parser.parse_args(argv)
    portfolio = read_positions(book(), as_of=AS_OF)
    print("Reg T breakdown groups on the benchmark book; CPU milliseconds, best / median")
    for basis, net in CONVENTIONS:
        books = solved(portfolio, basis, net)
        groups = sum(len(placed) for placed in _groups_together(books))

        def together(b: list[Solved] = books) -> None:
            _groups_together(b)

        def row_by_row(b: list[Solved] = books) -> None:
            for s in b:
                [(_order(g), g) for g in _book_groups(s.legs, s.candidates, s.units)]

        gc.disable()
        try:
            at_once = cpu_timed(together, args.repeat)
            one_by_one = cpu_timed(row_by_row, args.repeat)
        finally:
            gc.enable()
        print(f"  {basis}, {'net' if net else 'gross'}: {len(books)} underlyings, {groups:,} groups")
        print(f"    all underlyings at once      {at_once[0]:7.1f} / {at_once[1]:7.1f}")
        print(f"    one underlying at a time     {one_by_one[0]:7.1f} / {one_by_one[1]:7.1f}")


if __name__ == "__main__":
    main()
