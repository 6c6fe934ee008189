"""Reg T strategy recognition against brute force over every legal pairing of small random books.

The oracle knows nothing of the engine's candidate list or integer program: it restates, from
``rules/regt.toml``, what each strategy of a calls-only book needs (one underlying, one expiry,
three equidistant strikes, so the only strategies are naked short calls, long calls, vertical
spreads and long and short butterflies: straddles, condors and boxes need puts, calendars a second
expiry), tries every way to cut the book's net quantities into them, and keeps the cheapest. The
public ``regt_margin`` must find that optimum (initial basis, FINRA's gross convention).

Per contract (``m`` = multiplier, ``c`` = premium × m; margin-rules.md §1.2-§1.5):

- naked short call: ``c + max(pct × S − OTM, call_floor_pct × S) × m``;
- long call: its premium ``c`` (paid in full, nine months or less to expiry);
- credit spread (short K₁ < long K₂): the lesser of the short's naked requirement and ``(K₂ − K₁) × m``;
- debit spread (long K₁ < short K₂): the net debit ``c₁ − c₂``;
- long butterfly (+K₁ −2K₂ +K₃): the net debit; short butterfly (−K₁ +2K₂ −K₃): the credit leg's
  width ``(K₂ − K₁) × m`` (plus any net debit, never positive here: prices are convex in strike).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.books import book, row
from xlmargin import rules
from xlmargin.pricing_reference import bsm_scalar
from xlmargin.regt import regt_margin

SPOT = 100.0
STRIKES = (95.0, 100.0, 105.0)
DAYS = 30.0
MULTIPLIER = 100.0
PREMIUM = tuple(round(bsm_scalar(SPOT, k, DAYS / 365.0, 0.0, 0.0, 0.3, True), 2) for k in STRIKES)


def naked(i: int) -> float:
    table = rules.load("regt")["naked"]["equity"]
    otm = max(STRIKES[i] - SPOT, 0.0)
    per_share = max(table["pct"] * SPOT - otm, table["call_floor_pct"] * SPOT)
    return (PREMIUM[i] + per_share) * MULTIPLIER


def vertical(short: int, long: int) -> float:
    if STRIKES[long] > STRIKES[short]:
        return min(naked(short), (STRIKES[long] - STRIKES[short]) * MULTIPLIER)
    return (PREMIUM[long] - PREMIUM[short]) * MULTIPLIER


FLY = (STRIKES[1] - STRIKES[0]) * MULTIPLIER  # the short butterfly's credit-leg width
LONG_FLY = max(PREMIUM[0] + PREMIUM[2] - 2 * PREMIUM[1], 0.0) * MULTIPLIER


def pairings(net: tuple[int, ...]) -> Iterator[float]:
    """The requirement of every way to cut net call quantities per strike into strategies."""
    for long_fly, short_fly in itertools.product(range(4), range(4)):
        used = (long_fly - short_fly, -2 * long_fly + 2 * short_fly, long_fly - short_fly)
        q = [a - b for a, b in zip(net, used)]
        if any(abs(x) > abs(n) or (x and n and (x > 0) != (n > 0)) for x, n in zip(q, net)):
            continue  # a butterfly uses only legs the book holds, on their own side
        base = long_fly * LONG_FLY + short_fly * FLY
        yield from (base + rest for rest in _verticals(q))


def _verticals(q: list[int]) -> Iterator[float]:
    shorts = [i for i, x in enumerate(q) if x < 0]
    longs = [j for j, x in enumerate(q) if x > 0]
    pairs = [(i, j) for i in shorts for j in longs]
    ranges = [range(min(-q[i], q[j]) + 1) for i, j in pairs]
    for counts in itertools.product(*ranges):
        left = list(q)
        for (i, j), n in zip(pairs, counts):
            left[i] += n
            left[j] -= n
        if any(x * y < 0 for x, y in zip(left, q)):
            continue  # a leg paired more than it holds
        cost = sum(n * vertical(i, j) for (i, j), n in zip(pairs, counts))
        cost += sum(-x * naked(i) for i, x in enumerate(left) if x < 0)
        cost += sum(x * PREMIUM[i] * MULTIPLIER for i, x in enumerate(left) if x > 0)
        yield cost


def call(k: int, qty: int) -> list[Any]:
    return row(f"XYZ C{STRIKES[k]:g}", "option", qty, PREMIUM[k], underlying="XYZ", underlying_price=SPOT,
               strike=STRIKES[k], days=DAYS, right="C", klass="equity")  # fmt: skip


# Two rows of one strike may split one side or hold both (a long and a short that net).
side = st.lists(st.integers(-3, 3).filter(bool), max_size=2)
legs = st.tuples(side, side, side).map(lambda t: [(k, q) for k, qs in enumerate(t) for q in qs])
flies = st.sampled_from((1, -1)).map(lambda s: [(0, s), (1, -2 * s), (2, s)])  # a butterfly, long or short
books = st.one_of(
    legs,
    st.tuples(flies, legs).map(lambda t: [*t[0], *(leg for leg in t[1] if leg[1] * t[0][leg[0]][1] > 0)]),
)


@given(legs=books)
def test_the_engine_finds_the_cheapest_legal_pairing(legs: list[tuple[int, int]]) -> None:
    net = [0, 0, 0]
    for k, qty in legs:
        net[k] += qty
    if not any(net):
        return
    portfolio = book(*(call(k, qty) for k, qty in legs))
    expected = min(pairings(tuple(net)))
    groups = len(legs) + 2
    assert regt_margin(portfolio, basis="initial").total == pytest.approx(expected, abs=0.005 * groups)


def test_a_long_and_a_short_of_one_series_net_before_pairing() -> None:
    """Long and short rows of the same call are a flat position: the book needs what its net needs.

    Were +1 and −1 C105 two legs, the pairing could trade a long C100 for the cheaper long C105
    inside a short butterfly: $657 for a book whose net (−1 C95, +2 C100) needs $843 (a $500 credit
    spread and a $343 long call).
    """
    split = book(call(0, -1), call(1, 2), call(2, -1), call(2, 1))
    netted = book(call(0, -1), call(1, 2))
    assert regt_margin(netted, basis="initial").total == pytest.approx(min(pairings((-1, 2, 0))))
    assert regt_margin(split, basis="initial").total == regt_margin(netted, basis="initial").total


def test_the_oracle_on_hand_checked_books() -> None:
    """A short 95 call alone is naked; against a long 100 call, a $500 credit spread (width × 100)."""
    assert min(pairings((-1, 0, 0))) == pytest.approx(naked(0))
    assert min(pairings((-1, 1, 0))) == pytest.approx(min(naked(0), 500.0))
    assert min(pairings((-1, 2, -1))) == pytest.approx(FLY)  # a short butterfly beats two verticals
    assert min(pairings((1, -2, 1))) == pytest.approx(LONG_FLY)
