"""An independent oracle for portfolio margin: plain loops over positions and points, the slow
reference pricer (``pricing_reference.bsm_scalar``), compared with the vectorised engine on random
books of a small universe.

The reference restates the rule of :mod:`xlmargin.pm.engine` (margin-rules.md §2.7) with none of
the engine's code: ten points per class group (``points_per_side`` up and down, equidistant, no
zero), stock and ETF P&L ``qty × price × move``, option P&L the reference price at the moved spot
less the price at the current spot (same volatility and time), class requirement ``max(worst loss,
minimum)`` with the $0.375 × multiplier minimum netted per series and a long's capped at its market
value, product groups netting each point's losses at 100% and gains at the offset. Its numbers are
read from ``rules/pm.toml``, never typed here.

The rate and dividend yield are 0, so an American option is worth its European price (a call on a
non-dividend stock and, at r = 0, a put are never exercised early: P = C + K − S ≥ K − S), and the
closed-form Black-Scholes reference prices every row exactly. The kernel's American pricing is
checked against a binomial tree in ``test_pricing.py``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.books import book
from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.pricing_reference import bsm_scalar

HEADER = ["symbol", "type", "quantity", "price", "underlying price", "strike", "days", "right",
          "volatility", "style", "multiplier"]  # fmt: skip
# (symbol, class group, spot, strikes, volatility, style); SPY and SPX share the SPX class group,
# SPX and NDX sit in the us_broad product group, XYZ is a single stock on its own
UNDERLYINGS = (
    ("XYZ", "XYZ", 100.0, (85.0, 95.0, 100.0, 110.0), 0.35, "american"),
    ("SPX", "SPX", 5900.0, (5500.0, 5800.0, 5900.0, 6100.0), 0.16, "european"),
    ("NDX", "NDX", 21000.0, (19500.0, 21000.0, 22000.0), 0.20, "european"),
)
LINES = (("XYZ", "stock", "XYZ", 100.0), ("SPY", "etf", "SPX", 590.0), ("QQQ", "etf", "NDX", 510.0))
RANGE = {"XYZ": "equity", "SPX": "highcap_index", "NDX": "highcap_index"}  # pm.toml [ranges.*]
DAYS = (10.0, 75.0)
MULTIPLIER = 100.0


def option_row(u: int, k: int, d: int, call: bool, qty: int) -> list[Any]:
    symbol, _, spot, strikes, vol, style = UNDERLYINGS[u]
    strike = strikes[k % len(strikes)]
    price = bsm_scalar(spot, strike, DAYS[d] / 365.0, 0.0, 0.0, vol, call)
    return [symbol, "option", float(qty), price, spot, strike, DAYS[d], "C" if call else "P", vol, style,
            MULTIPLIER]  # fmt: skip


def line_row(i: int, qty: int) -> list[Any]:
    symbol, kind, _, price = LINES[i]
    return [symbol, kind, float(qty * 10), price, None, None, None, None, None, None, None]


def reference_requirement(rows: list[list[Any]]) -> float:
    """Portfolio margin of ``rows`` by plain loops (module docstring); class-group minimum scope."""
    pm = rules.load("pm")
    steps = int(pm.get("valuation.points_per_side"))
    per_contract = float(pm.get("minimum.per_contract"))
    group_of = {u[0]: u[1] for u in UNDERLYINGS} | {line[0]: line[2] for line in LINES}
    spot_of = {u[0]: u[2] for u in UNDERLYINGS}

    moves: dict[str, list[float]] = {}
    for group, table in RANGE.items():
        up, down = float(pm.get(f"ranges.{table}.up")), float(pm.get(f"ranges.{table}.down"))
        moves[group] = [up * i / steps for i in range(1, steps + 1)] + [
            -down * i / steps for i in range(1, steps + 1)
        ]

    pnl: dict[str, list[float]] = defaultdict(lambda: [0.0] * 2 * steps)
    series: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])  # net qty, price
    for symbol, kind, qty, price, _, strike, days, right, vol, _, mult in rows:
        group = group_of[symbol]
        for j, move in enumerate(moves[group]):
            if kind == "option":
                spot, call = spot_of[symbol], right == "C"
                now = bsm_scalar(spot, strike, days / 365.0, 0.0, 0.0, vol, call)
                moved = bsm_scalar(spot * (1.0 + move), strike, days / 365.0, 0.0, 0.0, vol, call)
                pnl[group][j] += qty * mult * (moved - now)
            else:
                pnl[group][j] += qty * price * move
        if kind == "option":
            net = series[(group, symbol, strike, days, right)]
            net[0] += qty
            net[1] = price

    minimum: dict[str, float] = defaultdict(float)
    for (group, *_), (net, price) in series.items():
        if net < 0:
            minimum[group] += -net * per_contract * MULTIPLIER
        elif net > 0:
            minimum[group] += min(net * per_contract * MULTIPLIER, net * MULTIPLIER * price)

    total = 0.0
    in_product: set[str] = set()
    for product in pm["product_groups"]:
        members = [g for g in pnl if g in product["class_groups"]]
        if not members:
            continue
        in_product.update(members)
        offset = float(product["offset"])
        worst = 0.0
        for j in range(2 * steps):
            netted = sum(min(pnl[g][j], 0.0) + offset * max(pnl[g][j], 0.0) for g in members)
            worst = max(worst, -netted)
        total += max(worst, sum(minimum[g] for g in members))
    for group in pnl:
        if group not in in_product:
            total += max(0.0, -min(pnl[group]), minimum[group])
    return total


quantities = st.integers(-4, 4).filter(bool)
option_rows = st.builds(
    option_row, st.integers(0, 2), st.integers(0, 3), st.integers(0, 1), st.booleans(), quantities
)
books = st.lists(st.one_of(option_rows, option_rows, st.builds(line_row, st.integers(0, 2), quantities)),
                 min_size=1, max_size=7)  # fmt: skip


@given(rows=books)
def test_engine_equals_the_scalar_reference(rows: list[list[Any]]) -> None:
    """The vectorised scan equals plain loops with the reference pricer, to the cent."""
    portfolio = book(*rows, header=HEADER)
    engine = pm_requirement(portfolio, pm_settings({}, AS_OF)).requirement
    assert engine == pytest.approx(reference_requirement(rows), abs=0.011)


def test_the_reference_on_a_hand_checked_book() -> None:
    """10 XYZ shares, long or short: the worst point is ∓15% (pm.toml equity range), 10 × 100 × 15%."""
    assert reference_requirement([line_row(0, 1)]) == pytest.approx(150.0)
    assert reference_requirement([line_row(0, -1)]) == pytest.approx(150.0)
