"""Properties of the regulatory portfolio-margin core that provably hold (STYLE.md).

Why they hold: on a fixed scenario set a class group's requirement max(0, −min_i Σ pnl_i) is a
maximum of linear functions of the net positions, hence convex and positively homogeneous; the
product-group netting min(x, 0) + f·max(x, 0) is concave for f ≤ 1, so its worst loss is convex
too; the per-contract minimum, netted per series, is |n| × a for shorts and n × b ≤ n × a for
longs — convex and homogeneous; and maxima and sums of such functions stay so. A convex,
positively homogeneous R is subadditive, and R(P) ≤ R(P+H) + R(−H) gives the lower bound.

Not tested, because they do not hold: "a hedge never raises the requirement", R(P) = R(−P),
"PM ≤ Reg T", subadditivity with the concentration layer on.

The universe is small so that rows collide on the same series: one stock (XYZ, American
options) and the S&P 500 class group (SPY shares, European SPX options), two strikes each side
of spot, two expiries; QQQ shares put a second class group into the US broad product group so
that offsets are exercised. Prices come from the kernel at the row's volatility, so the base
value equals the price.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import AS_OF
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.pricing import option_price

HEADER = [
    "symbol",
    "type",
    "quantity",
    "price",
    "underlying price",
    "strike",
    "days",
    "right",
    "volatility",
    "style",
    "multiplier",
]
# (underlying, spot, strikes, volatility, style)
UNDERLYINGS = (
    ("XYZ", 100.0, (90.0, 95.0, 100.0, 105.0, 110.0), 0.35, "american"),
    ("SPX", 5900.0, (5600.0, 5800.0, 5900.0, 6000.0, 6200.0), 0.16, "european"),
)
DAYS = (14.0, 90.0)
LINES = (
    ("XYZ", "stock", 100.0),
    ("SPY", "etf", 590.0),
    ("QQQ", "etf", 510.0),
)  # QQQ: a 2nd product-group member
SCOPES = ("class_group", "account")
TOLERANCE = 0.015  # account figures are rounded to cents


def _option_row(u: int, k: int, d: int, call: bool, qty: int) -> list[Any]:
    name, spot, strikes, vol, style = UNDERLYINGS[u]
    strike, days = strikes[k], DAYS[d]
    price = float(option_price(spot, strike, days / 365.0, 0.0, 0.0, vol, call, style == "american"))
    return [name, "option", float(qty), price, spot, strike, days, "C" if call else "P", vol, style, 100.0]


def _line_row(i: int, qty: int) -> list[Any]:
    name, kind, price = LINES[i]
    return [name, kind, float(qty * 10), price, None, None, None, None, None, None, None]


quantities = st.integers(-5, 5).filter(bool)
option_rows = st.builds(
    _option_row, st.integers(0, 1), st.integers(0, 4), st.integers(0, 1), st.booleans(), quantities
)
line_rows = st.builds(_line_row, st.integers(0, 2), quantities)
books = st.lists(st.one_of(option_rows, option_rows, line_rows), min_size=1, max_size=6)


def R(rows: list[list[Any]], scope: str = "class_group") -> float:
    if not rows:
        return 0.0
    settings = pm_settings({"minimum_scope": scope}, AS_OF)
    return pm_requirement(read_positions([HEADER, *rows], as_of=AS_OF), settings).requirement


def negate(rows: list[list[Any]]) -> list[list[Any]]:
    return [[*r[:2], -r[2], *r[3:]] for r in rows]


def scale(rows: list[list[Any]], k: int) -> list[list[Any]]:
    return [[*r[:2], r[2] * k, *r[3:]] for r in rows]


@pytest.mark.parametrize("scope", SCOPES)
@given(p=books, h=books)
def test_subadditive(scope: str, p: list[list[Any]], h: list[list[Any]]) -> None:
    """R(P+H) ≤ R(P) + R(H): R is convex and positively homogeneous (module docstring)."""
    assert R(p + h, scope) <= R(p, scope) + R(h, scope) + TOLERANCE


@pytest.mark.parametrize("scope", SCOPES)
@given(p=books, h=books)
def test_lower_bound(scope: str, p: list[list[Any]], h: list[list[Any]]) -> None:
    """R(P+H) ≥ R(P) − R(−H): subadditivity applied to P = (P+H) + (−H), rows netted per series."""
    assert R(p + h, scope) >= R(p, scope) - R(negate(h), scope) - TOLERANCE


@given(p=books, k=st.integers(2, 4))
def test_positively_homogeneous(p: list[list[Any]], k: int) -> None:
    """R(kP) = k R(P): scenario losses and the netted per-contract minimum both scale with k."""
    assert R(scale(p, k)) == pytest.approx(k * R(p), abs=(k + 1) * TOLERANCE)


@given(p=books, order=st.randoms(use_true_random=False))
def test_row_order_invariant(p: list[list[Any]], order: Any) -> None:
    """Grouping and netting do not depend on the order of the rows."""
    shuffled = list(p)
    order.shuffle(shuffled)
    assert R(shuffled) == pytest.approx(R(p), abs=TOLERANCE)


@given(
    u=st.integers(0, 1),
    d=st.integers(0, 1),
    call=st.booleans(),
    k=st.tuples(st.integers(0, 4), st.integers(0, 4)).filter(lambda t: t[0] != t[1]),
    qty=st.integers(1, 5),
    credit=st.booleans(),
)
def test_vertical_never_needs_more_than_its_width(
    u: int, d: int, call: bool, k: tuple[int, int], qty: int, credit: bool
) -> None:
    """A vertical's value stays within [−width, width] × multiplier at every point, so its scenario
    loss is at most the width; its two contracts' minimum (2 × $37.50) is below any width here."""
    low, high = sorted(k)
    long_k, short_k = (high, low) if credit == call else (low, high)
    rows = [_option_row(u, long_k, d, call, qty), _option_row(u, short_k, d, call, -qty)]
    width = UNDERLYINGS[u][2][high] - UNDERLYINGS[u][2][low]
    assert R(rows) <= width * 100.0 * qty + TOLERANCE


@pytest.mark.parametrize("scope", SCOPES)
@given(
    p=books,
    u=st.integers(0, 1),
    k=st.integers(0, 4),
    d=st.integers(0, 1),
    call=st.booleans(),
    qty=st.integers(1, 5),
)
def test_long_option_raises_by_at_most_its_value(
    scope: str, p: list[list[Any]], u: int, k: int, d: int, call: bool, qty: int
) -> None:
    """A long option's value never falls below zero, so it adds at most its value to any point's
    loss; its minimum is capped at that value."""
    row = _option_row(u, k, d, call, qty)
    value = row[3] * qty * 100.0
    assert R([*p, row], scope) <= R(p, scope) + value + TOLERANCE
