"""How far the market can move before a margin call.

**Uniform move.** Every stock, ETF and future price, and the underlying of every option, moves by
the same percentage ``m`` (no betas: a "beta-free" move), except that a row of ``leverage`` ``L``
other than 1 (a leveraged fund, an inverse one at ``L`` < 0, or an option on one) moves by ``L × m``,
as the risk view moves it (beta × leverage) and as portfolio margin widens its scan: the 3× fund
UPRO falls 3% when the market falls 1% (a one-day move, no path decay; a price is kept above 0, so
past −1/``L`` a long leveraged fund is worth almost nothing); options are repriced at the moved
underlying by the pricing kernel with today's volatility (the ``volatility`` column, or implied
from the price) and time. Equity after the move is ``equity + P&L(m)``; the requirement is the
regime's engine run on the book at the moved prices. The answer is the smallest ``|m|`` at which

    equity + P&L(m) ≤ requirement(m),

searched separately downwards (to −99%) and upwards (to +100%): a grid of 5% steps, whose last point
is the limit itself (−95% is followed by −99%), finds the first point at or past the call, then
:func:`xlmargin.capacity.boundary` (secant and bisection steps) narrows it well below the 0.0001%
shown. The search compares the requirement before the engine rounds it to the cent, and the move
shown is cut toward zero (a distance to a call must never be shown longer than it is). A crossing
inside one grid step that reverses again before the next is not seen. A CFD moves as its
underlying does (a stock, index, commodity or crypto CFD: its price is its underlying's); bonds
(and a CFD read as one, :mod:`xlmargin.bond_cfds`), currency pairs (fx rows, CFDs on a pair) and
cash keep their prices, and the path's note says so when the book holds any.

**Scaled scenario.** The same for the worst scenario of the risk view's library, scaled by a
factor ``α`` (0 to 5, a grid of 0.25 then the same search): the P&L is the stress engine's, and the
moved prices follow each position's own scenario P&L (an option's underlying moves as that
underlying would). The stress P&L is in US dollars; under ``account`` the table's rates are read
as the account view reads them (``fx_rates``) and restated in USD per unit for the risk view
(:func:`~xlmargin.account.rates_in_usd`: each row keeps its currency leg), and the P&L converted
to the account currency at ``fx.USD``, so either reading of one book gives one answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.account import rates_in_usd, usd_rate
from xlmargin.bond_cfds import per_face_rows
from xlmargin.capacity import boundary
from xlmargin.decisions._common import (
    DecisionSettings,
    above_zero,
    call_measure,
    check_regime,
    engine,
    engine_result,
    figure,
    money_rates,
    warnings_of,
    with_equity,
)
from xlmargin.fx_rates import is_pair_row
from xlmargin.money import cents, truncated
from xlmargin.positions import OPTION_TYPES, Portfolio
from xlmargin.pricing import option_price, rows_implied_volatility
from xlmargin.stress import Scenario, risk_margin, scenario_library, scenario_pnl_matrix

LINEAR = ("stock", "etf", "future")  # moved by their own price
_STEP = 0.05  # grid step of the uniform move
_DOWN, _UP = -0.99, 1.0  # the uniform move searched
_SCALE_STEP, _SCALE_MAX = 0.25, 5.0  # grid and range of the scenario scale
_TOLERANCE = 1e-9  # the search stops when the bracket is this narrow (a thousandth of what is shown)
_NOISE = 1e-12  # of equity: equity and requirement this close are equal but for floating-point error
_MIN_GROWTH = 1e-6  # a moved price never falls below this fraction of today's (the kernel takes logs)


@dataclass(frozen=True)
class Crossing:
    """Where equity meets the requirement along one path; ``at`` is None when it never does."""

    label: str
    at: float | None
    equity: float  # equity at the crossing (or at the end of the path)
    requirement: float
    note: str


@dataclass(frozen=True)
class MarginCallResult:
    regime: str
    equity: float
    requirement: float
    crossings: tuple[Crossing, ...]
    measure: str = ""  # what the requirement is (:func:`~._common.call_measure`): "Reg T maintenance"
    warnings: tuple[str, ...] = ()  # the regime's engine's, on the book now

    def table(self) -> list[list[Any]]:
        """Header, then now and each path: the move at the call (percent of the market; a scenario's
        row its scale, 1 = as printed), None where no call is reached (a blank cell, NaN in a
        DataFrame: the note says so), the equity and requirement there and a note."""
        measure = self.measure or self.regime
        out: list[list[Any]] = [
            ["path", "move at the call (%)", "equity there", "requirement there", "note"],
            ["now", 0.0, cents(self.equity), cents(self.requirement), f"{measure} requirement"],
        ]
        for c in self.crossings:
            out.append(
                [
                    c.label,
                    None if c.at is None else _percent(c),
                    cents(c.equity),
                    cents(c.requirement),
                    c.note,
                ]
            )
        return out


def _percent(c: Crossing) -> float:
    """A move in percent (a scenario's scale stays a multiple), cut toward zero at four decimals:
    ``at`` is the last point before the call, so the figure shown never exceeds the distance."""
    at = float(c.at or 0.0)
    return truncated(at if c.label.startswith("scenario") else 100.0 * at, 4)


def margin_call_move(
    portfolio: Portfolio, equity: float, settings: DecisionSettings, regime: str = "pm"
) -> MarginCallResult:
    """The smallest uniform market move, down and up, and the smallest scale of the worst stress
    scenario, at which equity falls to the requirement (module docstring)."""
    check_regime(regime)
    equity = above_zero(equity, "equity", "equity")
    settings = with_equity(settings, equity, regime)
    measure = call_measure(regime, settings)  # maintenance where the regime has one
    found = engine_result(measure.regime, measure.settings)(portfolio)
    now = figure(measure.regime, found)
    required = engine(measure.regime, measure.settings, exact=True)
    options = _options(portfolio, settings.account.pm.rate, money_rates(portfolio, regime, settings))

    leverage = portfolio.arrays["leverage"]  # a leveraged fund moves by its leverage × the move

    def uniform(m: float) -> tuple[float, float]:
        growth = 1.0 + leverage * m
        book, pnl = _moved(portfolio, growth, growth, options)
        return equity + pnl, required(book)

    note = _uniform_note(portfolio)
    crossings = [
        _search("market down", uniform, -_STEP, _DOWN, note),
        _search("market up", uniform, _STEP, _UP, note),
    ]
    # the risk view reads the rates as USD per unit: the account regime's table (its fx_rates reading)
    # restated so, and its US-dollar P&L converted back to the account currency at fx.USD
    rated = rates_in_usd(portfolio, settings.account) if regime == "account" else portfolio
    worst = risk_margin(rated, settings.stress)
    chosen = [s for s in scenario_library(settings.stress) if s.id == worst.scenario_id]
    if worst.requirement > 0 and chosen:
        per_usd = usd_rate(settings.account) if regime == "account" else 1.0
        crossings.append(_scenario(portfolio, rated, equity, chosen[0], required, options, settings, per_usd))
    warned = warnings_of(regime, found)
    return MarginCallResult(regime, equity, now, tuple(crossings), measure.label, warned)


def _linear_rows(portfolio: Portfolio) -> BoolArray:
    """The rows the uniform move moves by their own price: stocks, ETFs, futures and every CFD but
    one on a currency pair or read as a bond (whose prices are kept, as fx rows' and bonds' are)."""
    a = portfolio.arrays
    cfd = a["type"] == "cfd"
    if cfd.any():
        cfd &= ~per_face_rows(portfolio)
        for i in np.flatnonzero(cfd):
            given = bool(a["class_given"][i])
            if is_pair_row("cfd", str(a["asset_class"][i]), given, str(a["symbol"][i]), a["underlying"][i]):
                cfd[i] = False
    return np.isin(a["type"], LINEAR) | cfd


def _uniform_note(portfolio: Portfolio) -> str:
    """The uniform path's note, naming the moved rows of a leverage other than 1 (a leveraged or
    inverse fund, or an option on one), which move by their leverage × the move, and the kinds of
    row whose prices it keeps (bonds, currency pairs, CFDs on either)."""
    a = portfolio.arrays
    moved = _linear_rows(portfolio) | np.isin(a["type"], OPTION_TYPES)
    note = "uniform move of every underlying"
    kept = np.flatnonzero(~moved & (a["type"] != "cash"))
    if kept.size:
        named = ", ".join(f"{a['symbol'][i]} (row {int(a['row'][i])})" for i in kept[:5])
        more = f" and {kept.size - 5} more" if kept.size > 5 else ""
        note += f"; not moved (bonds and currency pairs keep their prices): {named}{more}"
    levered = np.flatnonzero(moved & (a["leverage"] != 1.0))
    if not levered.size:
        return note
    shown = ", ".join(f"{a['symbol'][i]} (row {int(a['row'][i])}) ×{a['leverage'][i]:g}" for i in levered[:5])
    more = f" and {levered.size - 5} more" if levered.size > 5 else ""
    return f"{note}; leveraged rows move by leverage × the move: {shown}{more}"


def _search(
    label: str, at: Callable[[float], tuple[float, float]], step: float, limit: float, note: str
) -> Crossing:
    """The first point from 0 towards ``limit`` where equity ≤ requirement, by a grid of ``step``
    ending on ``limit`` itself, then :func:`boundary` on ``requirement − equity``; ``at`` of the
    crossing is the last point before it (to 1e-9), with the equity and requirement at the call.
    Without a call, the equity and requirement at ``limit``, the end of the path the note names."""
    equity, required = at(0.0)
    if equity <= required:
        return Crossing(label, 0.0, equity, required, "already at or past a margin call")
    noise = _NOISE * abs(equity)
    seen: dict[float, tuple[float, float]] = {0.0: (equity, required)}

    def short(x: float) -> float:
        seen[x] = at(x)
        return seen[x][1] - seen[x][0]

    inside, f_inside = 0.0, required - equity
    x = step
    while True:
        last = (x - limit) * math.copysign(1.0, step) >= -1e-12
        if last:
            x = limit  # the grid's last point is the limit it names, however the steps fall
        f = short(x)
        if f == 0.0:
            return Crossing(label, x, *seen[x], note)
        if f > 0.0:
            found = boundary(short, inside, x, f_inside, f, noise, _TOLERANCE)
            equity, required = seen[found.ok if found.converged else found.bad]
            return Crossing(label, found.ok, equity, required, note)
        inside, f_inside = x, f
        if last:
            break
        x = round(x + step, 12)
    equity, required = seen.get(inside, (equity, required))
    return Crossing(
        label,
        None,
        equity,
        required,
        f"no margin call within {limit:+.0%}" if abs(limit) <= 1 else f"no margin call up to {limit:g}×",
    )


def _volatilities(portfolio: Portfolio, rate: float) -> FloatArray:
    """Each option row's volatility: the column, else implied from the price (0 once expired)."""
    a = portfolio.arrays
    sigma = a["volatility"].copy()
    opt = np.flatnonzero(np.isin(a["type"], OPTION_TYPES))
    expired = opt[a["expiry_years"][opt] <= 0.0]
    sigma[expired] = np.where(np.isnan(sigma[expired]), 0.0, sigma[expired])
    need = opt[np.isnan(sigma[opt])]
    if need.size:
        sigma[need] = rows_implied_volatility(a, need, rate)
    return sigma


def _option_values(a: Any, idx: np.ndarray, spot: FloatArray, sigma: FloatArray, rate: float) -> FloatArray:
    return np.asarray(
        option_price(
            spot,
            a["strike"][idx],
            a["expiry_years"][idx],
            rate,
            a["dividend_yield"][idx],
            sigma[idx],
            a["right"][idx] == "C",
            a["style"][idx] == "american",
            a["type"][idx] == "future_option",
        ),
        dtype=np.float64,
    )


@dataclass(frozen=True)
class _Options:
    """The option rows with their volatility and model value today, the reference of their P&L."""

    index: np.ndarray
    sigma: FloatArray  # per row of the portfolio (NaN where not an option)
    value: FloatArray  # per option row
    rate: float
    money: FloatArray  # per row of the portfolio: the regime's currency per unit of the row's


def _options(portfolio: Portfolio, rate: float, money: FloatArray) -> _Options:
    a = portfolio.arrays
    opt = np.flatnonzero(np.isin(a["type"], OPTION_TYPES))
    sigma = _volatilities(portfolio, rate)
    values = _option_values(a, opt, a["underlying_price"][opt], sigma, rate)
    return _Options(opt, sigma, values, rate, money)


def _moved(
    portfolio: Portfolio, growth: FloatArray, spot_growth: FloatArray, options: _Options
) -> tuple[Portfolio, float]:
    """The book with linear prices × ``growth`` and option underlyings × ``spot_growth`` (options
    repriced), and the P&L of that move in the regime's currency (each row's own currency times
    ``options.money``, so a book in several currencies adds up)."""
    a = portfolio.arrays
    arrays = dict(a)
    growth, spot_growth = np.maximum(growth, _MIN_GROWTH), np.maximum(spot_growth, _MIN_GROWTH)
    price = a["price"].copy()
    linear = np.flatnonzero(_linear_rows(portfolio))
    price[linear] = a["price"][linear] * growth[linear]
    opt, sigma = options.index, options.sigma
    if opt.size:
        moved_spot = a["underlying_price"][opt] * spot_growth[opt]
        change = _option_values(a, opt, moved_spot, sigma, options.rate) - options.value
        price[opt] = np.maximum(a["price"][opt] + change, 0.0)
        underlying = a["underlying_price"].copy()
        underlying[opt] = moved_spot
        arrays["underlying_price"] = underlying
        vol = a["volatility"].copy()
        vol[opt] = sigma[opt]
        arrays["volatility"] = vol
    arrays["price"] = price
    moved = np.union1d(linear, opt)
    change = price[moved] - a["price"][moved]
    pnl = float(np.sum(a["quantity"][moved] * a["multiplier"][moved] * change * options.money[moved]))
    return Portfolio(arrays, portfolio.as_of), pnl


def _scenario(
    portfolio: Portfolio,
    rated: Portfolio,
    equity: float,
    scenario: Scenario,
    required: Callable[[Portfolio], float],
    options: _Options,
    settings: DecisionSettings,
    per_usd: float,
) -> Crossing:
    """The smallest scale of ``scenario`` at which equity meets the requirement; ``rated`` is
    ``portfolio`` with its rates as the risk view reads them (USD per unit), ``per_usd`` the
    requirement's currency per US dollar, the stress P&L's currency."""
    a = portfolio.arrays
    n = len(portfolio)
    opt = options.index
    # one unit of every row, then one unit of each option's underlying: their scenario returns
    units = dict(rated.arrays)
    units["quantity"] = np.ones(n)
    spots = {k: v[opt].copy() for k, v in rated.arrays.items()}
    spots["type"] = np.where(spots["type"] == "future_option", "future", "stock").astype(object)
    spots["symbol"] = spots["underlying"]
    spots["price"] = spots["underlying_price"]
    spots["quantity"] = np.ones(len(opt))
    spots["multiplier"] = np.ones(len(opt))
    union = Portfolio({k: np.concatenate([units[k], spots[k]]) for k in a}, portfolio.as_of)
    # a unit's value in the requirement's currency, as the stress P&L is made below
    value = np.where(np.isin(a["type"], LINEAR), a["price"] * a["multiplier"] * options.money, np.nan)

    def at(scale: float) -> tuple[float, float]:
        scaled = replace(scenario, moves={k: v * scale for k, v in scenario.moves.items()})
        _, pnl = scenario_pnl_matrix(union, settings.stress, [scaled])
        pnl = pnl * per_usd
        unit = pnl[:n, 0]
        growth = np.where(np.isnan(value), 1.0, 1.0 + unit / np.where(np.isnan(value), 1.0, value))
        spot_growth = np.ones(n)
        spot_growth[opt] = 1.0 + pnl[n:, 0] / (a["underlying_price"][opt] * options.money[opt])
        book, _ = _moved(portfolio, growth, spot_growth, options)
        return equity + float(a["quantity"] @ unit), required(book)

    found = _search(
        f"scenario {scenario.id} scaled", at, _SCALE_STEP, _SCALE_MAX,
        f"{scenario.name}: the move column is the scale (1 = as printed)",
    )  # fmt: skip
    return found
