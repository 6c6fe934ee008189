"""MARGIN_CALL_MOVE's searches reach the limits they name (QA review R1, finding 5).

The downward grid of 5% steps stopped at −95% while the note said "no margin call within −99%",
so a call between −95% and −99% was missed and the figures shown were those at −95%. Each search's
grid now ends on its limit. The brute-force check recomputes equity and requirement on a fine
grid of the whole path with the module's own pieces and asks that no crossing the module docstring
promises to find (one still past the call at the next grid point) is missed. Regression
consistency with the engines, not published numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin.decisions import decision_settings, margin_call_move
from xlmargin.decisions import margin_call as mc
from xlmargin.decisions._common import engine, money_rates
from xlmargin.positions import Portfolio, read_positions

SETTINGS = decision_settings({"as_of": AS_OF}, AS_OF)
HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "expiry",
          "right", "volatility"]  # fmt: skip
LATER = dt.date(2027, 6, 18)
# the review's deep.csv: a stock and far out-of-the-money short puts, margined at maintenance
DEEP = [["XYZ", "stock", 1000, 100.0], ["XYZ", "option", -10, 0.01, "XYZ", 100.0, 4, LATER, "put", 0.6]]


def book(rows: list[list[Any]]) -> Portfolio:
    return read_positions([HEADER, *[r + [None] * (len(HEADER) - len(r)) for r in rows]], as_of=AS_OF)


def test_a_call_between_minus_95_and_minus_99_percent_is_found() -> None:
    result = margin_call_move(book(DEEP), 100_000.0, SETTINGS, "regt_maintenance")
    down = result.crossings[0]
    assert down.at is not None and -0.99 < down.at < -0.95, down
    assert down.equity == pytest.approx(down.requirement, abs=0.01)
    assert down.equity < 2_600  # 1,000 shares near 3.46 and the puts' loss: the −95% figures were 4,625.50
    assert result.table()[2][1] == pytest.approx(100 * down.at, abs=1e-4)


def test_without_a_call_the_figures_shown_are_at_the_limit_named() -> None:
    result = margin_call_move(book(DEEP[:1]), 100_000.0, SETTINGS, "regt_maintenance")
    down, up = result.crossings[:2]
    assert down.at is None and down.note == "no margin call within -99%"
    assert down.equity == pytest.approx(100_000.0 - 0.99 * 100_000.0)  # 1,000 shares at 1.00
    assert down.requirement == pytest.approx(0.25 * 1_000.0)  # 25% of 1,000 of market value
    assert up.at is None and up.note == "no margin call within +100%"
    assert up.equity == pytest.approx(200_000.0)


@pytest.mark.parametrize(
    ("step", "limit"), [(-0.05, -0.99), (0.05, 1.0), (0.25, 5.0), (0.3, 1.0), (-0.3, -1.0)]
)
def test_every_grid_ends_on_its_limit(step: float, limit: float) -> None:
    """A call placed between the grid's last step and the limit, on a synthetic path (the searches
    of the uniform move down and up and of the scaled scenario take these steps and limits)."""
    last, x = step, step
    while abs(x) < abs(limit) - 1e-12:
        last, x = x, round(x + step, 12)
    call = 0.5 * (last + limit)  # beyond the last whole step, before the limit

    def at(x: float) -> tuple[float, float]:
        return 1_000.0, 1_000.0 + (abs(x) - abs(call)) * 10_000.0

    found = mc._search("path", at, step, limit, "note")
    assert abs(last) < abs(call) < abs(limit)
    assert found.at == pytest.approx(call, abs=1e-8)
    beyond = mc._search("path", lambda x: (1_000.0 + x, 0.0), step, limit, "note")
    assert beyond.equity == 1_000.0 + limit  # the figures at the end of the path the note names
    assert beyond.at is None


def _path(portfolio: Portfolio, regime: str, moves: np.ndarray) -> np.ndarray:
    """requirement(m) − P&L(m) on ``moves``: the equity at which each point is exactly at a call."""
    required = engine(regime, SETTINGS, exact=True)
    options = mc._options(portfolio, SETTINGS.account.pm.rate, money_rates(portfolio, regime, SETTINGS))
    leverage = portfolio.arrays["leverage"]
    out = []
    for m in moves:
        growth = 1.0 + leverage * m
        moved, pnl = mc._moved(portfolio, growth, growth, options)
        out.append(required(moved) - pnl)
    return np.array(out)


def _random_book(rng: np.random.Generator) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for name, spot in (("AAA", 100.0), ("BBB", 40.0)):
        rows.append([name, "stock", int(rng.integers(1, 20)) * 50, spot])
        for _ in range(int(rng.integers(1, 4))):
            strike = float(round(spot * rng.uniform(0.05, 1.3)))
            right = "put" if rng.random() < 0.7 else "call"
            qty = int(rng.integers(-8, 5)) or -1
            rows.append([name, "option", qty, 1.0, name, spot, strike, LATER, right, 0.5])
    return rows


@pytest.mark.parametrize("regime", ["regt_maintenance", "pm"])
def test_no_promised_crossing_is_missed_on_a_fine_grid(regime: str) -> None:
    rng = np.random.default_rng(5)
    coarse = [*(-0.05 * k for k in range(1, 20)), -0.99]  # the downward grid, ending on its limit
    fine = -np.arange(0.0, 0.99 + 1e-9, 0.005)
    fine[-1] = -0.99
    last_step = compared = 0
    for books in range(3):
        rows = DEEP if books == 0 else _random_book(rng)
        portfolio = book(rows)
        level = _path(portfolio, regime, fine)  # a call at m once the equity is at most level(m)
        at_grid = _path(portfolio, regime, np.array(coarse))
        for equity in _equities(level, fine, rng):
            down = margin_call_move(portfolio, equity, SETTINGS, regime).crossings[0]
            called = [m for m, v in zip(coarse, at_grid) if v >= equity - 1e-9 * equity]
            if not called:
                assert down.at is None, (rows, equity, down)
                continue
            assert down.at is not None, (rows, equity, called[0])
            last_step += called[0] == -0.99
            assert called[0] <= down.at + 1e-12, (
                rows,
                equity,
                down,
            )  # at or before the first grid point past it
            first = next(m for m, v in zip(fine, level) if v >= equity)  # the brute force's first crossing
            stays = first >= called[0] and all(
                v >= equity for m, v in zip(fine, level) if called[0] <= m <= first
            )
            if stays:  # no reversal between it and the grid point: the search lands on it
                assert down.at == pytest.approx(first, abs=0.005 + 1e-9), (rows, equity, down)
                compared += 1
    assert last_step >= 2 and compared >= 4, (last_step, compared)  # the cases the check is about occurred


def _equities(level: np.ndarray, fine: np.ndarray, rng: np.random.Generator) -> list[float]:
    """Equities whose first call falls in the last grid step (−95% to −99%), anywhere else, and not
    at all; each above the requirement now (not already called)."""
    now = level[0]
    chosen = []
    tail = level[-fine > 0.95 + 1e-9]
    head = level[: len(level) - len(tail)]
    if tail.max() > head.max():
        chosen.append(float(rng.uniform(max(head.max(), now), tail.max())))
    chosen.append(float(rng.uniform(now, level.max())))
    chosen.append(float(level.max()) * 1.01 + 1.0)
    return [e for e in chosen if e > now and e > 0]
