"""Stress-view benchmark: ``stress_table`` on the 5,000-position book of ``benchmarks/book.py``.

Run from the repository root::

    python -m benchmarks.bench_stress             # 30 repetitions of each timing
    python -m benchmarks.bench_stress --repeat 100
    python -m benchmarks.bench_stress --engine    # only STRESS_TABLE as Excel calls it and the engine

Prints best of N and median, in milliseconds:

- end to end from the Excel-shaped list of lists: ``read_params`` + ``stress_settings`` +
  ``read_positions`` + ``stress_table`` over the whole scenario library (the target is 100 ms);
- the same without the volatility column (every implied volatility solved from its price);
- the same book with 300 cross-asset lines added (Treasury bonds priced from their yields, FX
  pairs, futures), the paths the option book does not exercise;
- the parts alone: reading the positions, the settings and library, the table on a read book,
  and ``risk_margin``;
- ``STRESS_TABLE`` as Excel calls it (list of lists → reader → engine → table, the function cache
  and any pricing caches cleared before each call, at the default rate of 0; the target is 25 ms);
  the same after an edit that changes one quantity (what Excel recalculates; the kernel's caches
  and the last book's option price changes are warm); the same after a strike edit (a contract the
  last book does not hold: the whole option book is priced again, the exercise boundaries from the
  cache); and the engine alone split into building the book, the P&L (and the pricing kernel's
  share of it) and the table. These print wall and CPU time. The option blocks are priced on two
  threads where the machine has two cores (``xlmargin.stress.threads``); the first call and the
  P&L are also timed on one thread. Last, the minor page faults of a first call (memory the C
  allocator handed back to the system between calls and takes again): their number varies from run
  to run and from 0 to a few thousand, a few milliseconds of CPU, and explains much of the spread
  between best and median. Then the first call again at a 4% rate, where every American put has an
  early-exercise premium to price (at the default rate of 0 only calls on dividend payers have
  one); the first call on the book with a beta column, a beta per underlying, where each
  underlying's spot moves by a ratio of its own in every scenario; and on the book priced in
  euros, where every row has a currency leg.

With ``--engine``, every row runs once before any is timed, as in ``bench_pm``.

Timings on a shared machine vary; the best of N is the figure least disturbed by other load.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.book import AS_OF, book
from benchmarks.timing import cpu_timed, timed
from xlmargin import pricing
from xlmargin.excel import udfs
from xlmargin.excel.functions import CACHE
from xlmargin.params import read_params
from xlmargin.positions import read_positions
from xlmargin.stress import (
    STRESS_PARAMS,
    pnl,
    risk_margin,
    scenario_library,
    stress_settings,
    stress_table,
    threads,
)
from xlmargin.stress.book import build_book
from xlmargin.stress.scenarios import move_matrix

RATE = 0.04  # the positive rate of one STRESS_TABLE row (``rate`` parameter, decimal)


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
    parser.add_argument(
        "--engine", action="store_true", help="only STRESS_TABLE as Excel calls it and the engine"
    )
    args = parser.parse_args()
    n = args.repeat
    if args.engine:
        engine(book(), n)
        return

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
    engine(table, n)


def cold() -> None:
    """Empty the worksheet-function cache and the pricing kernel's caches (where it keeps any)."""
    CACHE.clear()
    getattr(pricing, "clear_caches", lambda: None)()


def one_thread(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` with the stress view's helper thread switched off (every block on the caller)."""

    def run() -> Any:
        helpers = threads.HELPER_THREADS
        threads.HELPER_THREADS = 0
        try:
            return fn()
        finally:
            threads.HELPER_THREADS = helpers

    return run


def kernel_share(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU milliseconds ``fn`` spends inside ``option_prices`` (as the stress P&L calls
    it), each run after the pricing caches and the last book are cleared; on one thread, since the
    process's CPU clock would count two threads' overlapping calls twice."""
    kernel = pnl.option_prices
    spent: list[float] = []
    fn = one_thread(fn)

    def counted(*args: Any) -> Any:
        start = time.process_time()
        try:
            return kernel(*args)
        finally:
            spent[-1] += time.process_time() - start

    pnl.option_prices = counted  # type: ignore[assignment]
    try:
        for _ in range(repeat):
            cold()
            spent.append(0.0)
            fn()
    finally:
        pnl.option_prices = kernel
    return statistics.median(spent) * 1e3


def engine(table: list[list[Any]], n: int) -> None:
    """``STRESS_TABLE`` as Excel calls it, and the engine's parts on a read book."""
    params = [["as_of", AS_OF]]
    settings = stress_settings(read_params(params, STRESS_PARAMS), AS_OF)
    portfolio = read_positions(table, as_of=AS_OF)
    library = scenario_library(settings)
    book_ = build_book(portfolio, settings)
    moves = move_matrix(library)

    # The rate defaults to 0, where a put has no early-exercise premium: only calls on dividend
    # payers need an exercise boundary. At a positive rate every American put needs one too.
    rated = [*params, ["rate", RATE]]

    def as_excel(positions: list[list[Any]], given: list[list[Any]] = params) -> None:
        if not isinstance(udfs.STRESS_TABLE(positions, given), list):
            raise SystemExit("STRESS_TABLE failed")

    column = table[0].index("quantity")
    edits = itertools.count(1)
    edited = table

    def edit() -> None:
        """The book with one more contract on one line: a range Excel has not seen."""
        nonlocal edited
        line = [*table[17]]
        line[column] += next(edits)
        edited = [*table[:17], line, *table[18:]]

    strike = table[0].index("strike")
    strikes = itertools.count(1)
    restruck = table

    def restrike() -> None:
        """The book with one line's strike moved: a new contract, the others unchanged."""
        nonlocal restruck
        line = [*table[17]]
        line[strike] += 0.25 * next(strikes)
        restruck = [*table[:17], line, *table[18:]]

    print(f"STRESS_TABLE as Excel calls it, and the engine alone; best of {n} (median), ms: wall | CPU")
    figures = {
        "STRESS_TABLE, first call (caches cleared)": (lambda: as_excel(table), cold),
        "  the same on one thread": (one_thread(lambda: as_excel(table)), cold),
        "STRESS_TABLE after an edit (one quantity)": (lambda: as_excel(edited), edit),
        "STRESS_TABLE after a strike edit (one contract)": (lambda: as_excel(restruck), restrike),
        "engine: stress_table on a read book, cold": (lambda: stress_table(portfolio, settings), cold),
        "  build_book": (lambda: build_book(portfolio, settings), None),
        "  position_pnl (caches cleared)": (lambda: pnl.position_pnl(book_, moves, settings.rate), cold),
        "    on one thread": (one_thread(lambda: pnl.position_pnl(book_, moves, settings.rate)), cold),
    }
    # Every row once before any timing, as in an Excel session that has been working (see
    # bench_pm): the first row timed in a fresh process otherwise pays page faults that later rows
    # do not, while glibc's allocator adapts to the book's temporaries (it maps and unmaps large
    # blocks and trims its heap until a larger block has been freed).
    for fn, setup in figures.values():
        if setup is not None:
            setup()
        fn()
    for label, (fn, setup) in figures.items():
        print_row(label, fn, setup, n)
    share = kernel_share(lambda: pnl.position_pnl(book_, moves, settings.rate), n)
    print(f"  {'    of which option_prices (CPU median)':<52} {share:8.1f}")
    faults = minor_faults(lambda: as_excel(table), n)
    if faults is not None:
        least, median = faults
        print(f"  {'STRESS_TABLE first call: minor page faults':<52} {least:8d} ({median:.0f})")
    # Last: its larger temporaries change how glibc's allocator adapts, and so the faults above.
    as_excel(table, rated)
    print_row(
        f"STRESS_TABLE first call, rate {RATE:.0%} (puts' premiums)", lambda: as_excel(table, rated), cold, n
    )
    betas = with_betas(table)
    as_excel(betas)
    print_row("STRESS_TABLE first call, a beta per underlying", lambda: as_excel(betas), cold, n)
    euros = in_euros(table)
    as_excel(euros)
    print_row("STRESS_TABLE first call, every row priced in EUR", lambda: as_excel(euros), cold, n)


def in_euros(table: list[list[Any]]) -> list[list[Any]]:
    """The book priced in euros (currency and fx_rate columns): every row's P&L converted at the
    moved EURUSD, every row a euro leg."""
    return [[*table[0], "currency", "fx_rate"], *([*row, "EUR", 1.08] for row in table[1:])]


def with_betas(table: list[list[Any]]) -> list[list[Any]]:
    """The book with a beta column, each underlying a beta of its own from 0.6 to 1.6 (a risk
    view's book often has one): every underlying then moves by its own ratio in each scenario."""
    header = table[0]
    underlying, symbol = header.index("underlying"), header.index("symbol")

    def name(row: list[Any]) -> str:
        return str(row[underlying] or row[symbol])

    names = sorted({name(row) for row in table[1:]})
    drawn = np.random.default_rng(20261206).uniform(0.6, 1.6, len(names)).round(2).tolist()
    beta = dict(zip(names, drawn, strict=True))
    return [[*header, "beta"], *([*row, beta[name(row)]] for row in table[1:])]


def print_row(label: str, fn: Callable[[], Any], setup: Callable[[], Any] | None, n: int) -> None:
    """One row: best of ``n`` (median) wall and CPU milliseconds of ``fn``, ``setup`` before each."""
    best, median = timed(fn, n, setup)
    cpu_best, cpu_median = cpu_timed(fn, n, setup)
    print(f"  {label:<52} {best:8.1f} ({median:.1f}) | {cpu_best:.1f} ({cpu_median:.1f})")


def minor_faults(fn: Callable[[], Any], repeat: int) -> tuple[int, float] | None:
    """(fewest, median) minor page faults of this process during ``fn``, each run after the caches
    are cleared; None where the platform does not count them (``resource`` is Unix only)."""
    try:
        import resource
    except ImportError:
        return None

    def counted() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    faults = []
    for _ in range(repeat):
        cold()
        before = counted()
        fn()
        faults.append(counted() - before)
    return min(faults), statistics.median(faults)


if __name__ == "__main__":
    main()
