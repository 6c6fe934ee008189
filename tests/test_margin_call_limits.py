"""MARGIN_CALL_MOVE's searches reach the limits they name (QA review R1, finding 5).

The downward grid of 5% steps stopped at −95% while the note said "no margin call within −99%",
so a call between −95% and −99% was missed and the figures shown were those at −95%. Each search's
grid now ends on its limit. Each path is checked through ``margin_call_move`` alone (its public
result): a book whose call is known by hand in the last step of each grid, and a brute force that
recomputes equity and requirement on a fine grid of the whole path from public pieces (the reader,
the pricing kernel, the engines) and asks that no crossing the module docstring promises to find
(one still past the call at the next grid point) is missed. Hand figures and regression
consistency with the engines, not published numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin.decisions import decision_settings, margin_call_move
from xlmargin.pm import pm_requirement
from xlmargin.positions import Portfolio, read_positions
from xlmargin.pricing import option_price
from xlmargin.regt import regt_margin
from xlmargin.stress import risk_margin

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


# One share of XYZ at 100, 1,000 of them, under Reg T maintenance (FINRA 4210(c)): long 25% of market
# value, short 30% (above $5 a share). Long, a move m calls when E + 100,000 m = 25,000 (1 + m); short,
# when E − 100,000 m = 30,000 (1 + m): each equity below puts the call where the grid's last step is.
LONG, SHORT = [["XYZ", "stock", 1000, 100.0]], [["XYZ", "stock", -1000, 100.0]]


@pytest.mark.parametrize(
    ("rows", "path", "call", "equity"),
    [
        (LONG, 0, -0.97, 25_000.0 + 75_000.0 * 0.97),  # after −95%, the last point before −99%
        (SHORT, 1, 0.975, 30_000.0 + 130_000.0 * 0.975),  # after +95%, the last point before +100%
    ],
)
def test_the_uniform_grids_end_on_their_limits(
    rows: list[list[Any]], path: int, call: float, equity: float
) -> None:
    result = margin_call_move(book(rows), equity, SETTINGS, "regt_maintenance")
    found = result.crossings[path]
    assert found.at == pytest.approx(call, abs=1e-8)
    assert found.equity == pytest.approx(found.requirement, abs=0.01)
    # past the limit: no call, the figures at the limit named
    beyond = margin_call_move(book(rows), equity * 1.5, SETTINGS, "regt_maintenance").crossings[path]
    assert (
        beyond.at is None
        and beyond.note == ("no margin call within -99%", "no margin call within +100%")[path]
    )


def test_the_scenario_scale_grid_ends_on_its_limit() -> None:
    """The worst scenario of the short stock raises XYZ by x (its loss at scale 1, 100,000 x, is the
    risk view's figure); at scale a the call is where E − 100,000 a x = 30,000 (1 + a x), so an equity
    for a = 4.875 puts it after the grid's 4.75, before its limit 5."""
    short = book(SHORT)
    x = risk_margin(short, SETTINGS.stress).requirement / 100_000.0
    scale = 4.875
    equity = 30_000.0 + 130_000.0 * scale * x
    found = margin_call_move(short, equity, SETTINGS, "regt_maintenance").crossings[2]
    assert found.label.startswith("scenario")
    assert found.at == pytest.approx(scale, abs=1e-5)  # x from the risk view's figure, in cents
    beyond = margin_call_move(short, 30_000.0 + 130_000.0 * 5.5 * x, SETTINGS, "regt_maintenance")
    assert beyond.crossings[2].at is None and beyond.crossings[2].note == "no margin call up to 5×"


def _path(rows: list[list[Any]], regime: str, moves: np.ndarray) -> np.ndarray:
    """requirement(m) − P&L(m) on ``moves``: the equity at which each point is exactly at a call. The
    move as the module docstring defines it, from public pieces: stocks × (1 + m), each option repriced
    by the pricing kernel at its moved underlying and its own volatility (price + model change, not
    below 0), the requirement before the engine rounds it to the cent."""
    portfolio = book(rows)
    a = portfolio.arrays
    opt = np.flatnonzero(a["type"] == "option")
    rate = SETTINGS.account.pm.rate

    def model(spot: np.ndarray) -> np.ndarray:
        return np.asarray(
            option_price(
                spot, a["strike"][opt], a["expiry_years"][opt], rate, a["dividend_yield"][opt],
                a["volatility"][opt], a["right"][opt] == "C", a["style"][opt] == "american",
            )
        )  # fmt: skip

    today = model(a["underlying_price"][opt])
    out = []
    for m in moves:
        price, spot = a["price"].copy(), a["underlying_price"].copy()
        price[a["type"] == "stock"] *= 1.0 + m
        spot[opt] *= 1.0 + m
        price[opt] = np.maximum(a["price"][opt] + model(spot[opt]) - today, 0.0)
        pnl = float(np.sum(a["quantity"] * a["multiplier"] * (price - a["price"])))
        moved = [
            [*r[:3], price[i], *r[4:5], None if i not in opt else spot[i], *r[6:]] for i, r in enumerate(rows)
        ]
        out.append(_required(book(moved), regime) - pnl)
    return np.array(out)


def _required(portfolio: Portfolio, regime: str) -> float:
    if regime == "pm":
        return pm_requirement(portfolio, SETTINGS.pm).exact
    return regt_margin(portfolio, basis="maintenance").exact


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
        level = _path(rows, regime, fine)  # a call at m once the equity is at most level(m)
        at_grid = _path(rows, regime, np.array(coarse))
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
