"""Pricing-kernel benchmark: the revaluations the portfolio-margin engine asks for.

Run from the repository root::

    python -m benchmarks.bench_pricing            # best of 20
    python -m benchmarks.bench_pricing --repeat 50
    python -m benchmarks.bench_pricing --stress   # the kernel calls of STRESS_TABLE, CPU time

A book of 4,700 random options (S/K 0.7-1.3, T 1 day-2 years, sigma 5-100%, r 0-8%, q 0-6%,
calls and puts) revalued at 10 price points, -15% to +15%: 47,000 prices. Prints the best and
median wall time of

- European (Black-Scholes-Merton), 47,000 prices;
- American, laid out as the engine passes them: contract parameters of shape (4700, 1) against
  spots (4700, 10), so each contract's exercise boundary is computed once;
- American, 47,000 independent contracts (flat arrays): the boundary for every price;
- American calls without dividends (no premium) with the volatility moving with the spot, (4700, 10):
  the stress engine's volatility layer, which must cost what the European price costs;
- implied volatility of the 4,700 contracts from their prices, European and American;

each cold (every pricing cache cleared before the run: a contract never seen) and warm (the
same call again: exercise boundaries and implied vols looked up, see ``xlmargin.pricing.contracts``).

``--stress`` instead records the kernel calls ``stress_table`` makes on the 5,000-position
book of ``benchmarks/book.py`` and times them alone, in CPU time (``time.process_time``, less
disturbed by other load than wall time), cold and warm, with the European price of the same calls
for scale.

Timings on a shared machine vary; the best of N is the figure least disturbed by other load.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.timing import cpu_timed, timed
from xlmargin.pricing import clear_caches, implied_volatility, option_price, option_prices

CONTRACTS = 4_700
MOVES = np.linspace(-0.15, 0.15, 10)


def book(seed: int = 20261120) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    K = rng.uniform(50.0, 150.0, CONTRACTS)
    return {
        "S": K * rng.uniform(0.7, 1.3, CONTRACTS),
        "K": K,
        "T": rng.uniform(1.0 / 365.0, 2.0, CONTRACTS),
        "r": rng.uniform(0.0, 0.08, CONTRACTS),
        "q": rng.uniform(0.0, 0.06, CONTRACTS),
        "sigma": rng.uniform(0.05, 1.0, CONTRACTS),
        "is_call": rng.random(CONTRACTS) < 0.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--stress", action="store_true", help="time the kernel calls of STRESS_TABLE")
    args = parser.parse_args()
    if args.stress:
        stress_calls(args.repeat)
        return
    repeat = args.repeat

    b = book()
    keys = ("K", "T", "r", "q", "sigma", "is_call")
    spots = b["S"][:, None] * (1.0 + MOVES)  # (4700, 10)
    column = [b[k][:, None] for k in keys]  # contract parameters, (4700, 1)
    flat = [np.repeat(b[k], MOVES.size) for k in keys]  # 47,000 independent rows
    n = spots.size
    vols = column[4] * (1.0 + np.linspace(-0.3, 0.6, MOVES.size))  # (4700, 10)
    price_args = (b["S"], b["K"], b["T"], b["r"], b["q"])
    euro_price = option_price(*price_args, b["sigma"], b["is_call"], False)
    amer_price = option_price(*price_args, b["sigma"], b["is_call"], True)

    cases: list[tuple[str, Callable[[], Any]]] = [
        (f"European, {n:,} prices", lambda: option_price(spots.ravel(), *flat, False)),
        (
            f"American, {CONTRACTS:,} contracts x {MOVES.size} spots",
            lambda: option_price(spots, *column, True),
        ),
        (
            f"American, {n:,} independent contracts",
            lambda: option_price(spots.ravel(), *flat, True),
        ),
        (
            "American, no premium, sigma per spot",
            lambda: option_price(spots, column[0], column[1], column[2], 0.0, vols, True, True),
        ),
        (
            f"implied volatility, {CONTRACTS:,} European",
            lambda: implied_volatility(euro_price, *price_args, b["is_call"], False),
        ),
        (
            f"implied volatility, {CONTRACTS:,} American",
            lambda: implied_volatility(amer_price, *price_args, b["is_call"], True),
        ),
    ]
    print(f"best and median of {repeat} runs, milliseconds; cold = caches cleared before each run")
    print(f"  {'':<42} {'cold':>17} {'warm (cached)':>17}")
    for label, fn in cases:
        best, median = timed(fn, repeat, clear_caches)
        warm_best, warm_median = timed(fn, repeat)
        print(f"  {label:<42} {best:8.1f} {median:8.1f} {warm_best:8.1f} {warm_median:8.1f}")


def stress_calls(repeat: int) -> None:
    """The kernel calls of ``stress_table`` on the benchmark book, timed alone (as ``option_price``
    calls: ``option_prices`` returns the European prices beside them, which cost nothing more)."""
    from benchmarks.book import AS_OF
    from benchmarks.book import book as stress_book
    from xlmargin.params import read_params
    from xlmargin.positions import read_positions
    from xlmargin.stress import STRESS_PARAMS, pnl, stress_settings, stress_table

    calls: list[tuple[list[Any], dict[str, Any]]] = []

    def recording(*a: Any, **k: Any) -> Any:
        calls.append((list(a), k))
        return option_prices(*a, **k)

    settings = stress_settings(read_params(None, STRESS_PARAMS), AS_OF)
    positions = read_positions(stress_book(), as_of=AS_OF)
    pnl.option_prices = recording  # type: ignore[assignment]
    try:
        stress_table(positions, settings)
    finally:
        pnl.option_prices = option_prices

    def price(american: bool) -> Callable[[], Any]:
        def run() -> None:
            for a, k in calls:
                option_price(*a[:7], a[7] if american else False, *a[8:], **k)

        return run

    shapes = ", ".join("x".join(map(str, np.shape(a[0]))) for a, _ in calls)
    print(f"STRESS_TABLE's {len(calls)} kernel calls ({shapes}); best and median of {repeat}, ms CPU")
    for label, fn, setup in (
        ("cold (pricing caches cleared)", price(True), clear_caches),
        ("warm (boundaries cached)", price(True), None),
        ("the same calls priced European", price(False), None),
    ):
        best, median = cpu_timed(fn, repeat, setup)
        print(f"  {label:<42} {best:8.1f} {median:8.1f}")


if __name__ == "__main__":
    main()
