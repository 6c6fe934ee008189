"""The SPAN-style engine: legs validated, risk arrays summed per combined commodity, spreads charged."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray
from xlmargin.dollars import dollar_rate_problems
from xlmargin.errors import (
    NO_VOLATILITY_FIX,
    InputError,
    MissingDataError,
    Problem,
    UnsupportedError,
    a_or_an,
)
from xlmargin.money import cents
from xlmargin.positions import Portfolio, Position
from xlmargin.pricing import implied_volatility, option_price
from xlmargin.span.arithmetic import Scenario, scenarios
from xlmargin.span.months import in_delivery, product_and_month
from xlmargin.span.result import CommodityLine, InterSpreadResult, SpanResult
from xlmargin.span.settings import InterSpread, Product, SpanSettings

FUTURES_TYPES = ("future", "future_option")
_DELTA_BUMP = 1e-4  # relative bump of the futures price for an option's finite-difference delta
_MIN_PRICE_FRACTION = 1e-9  # a scenario price at or below zero is floored at this fraction of the price


@dataclass(frozen=True)
class Leg:
    """A validated position with its product, month and tier, and whether it is in delivery."""

    position: Position
    product: Product
    month: int | None
    tier: int
    sigma: float  # options: the volatility used (given or implied); futures: NaN
    # a future of a delivered product on or after its delivery start; None: its month is not known
    in_delivery: bool | None


def futures_margin(portfolio: Portfolio, settings: SpanSettings) -> SpanResult:
    """The SPAN-style requirement of a book of futures and options on futures (see the module doc).

    Every row must be a future or a future option on a root with parameters: any other row is an
    :class:`UnsupportedError` naming it, never skipped.
    """
    legs = _legs(portfolio, settings)
    scen = scenarios(settings.price_steps, settings.extreme_multiple, settings.extreme_cover)
    by_root: dict[str, list[Leg]] = {}
    for leg in legs:
        by_root.setdefault(leg.product.root, []).append(leg)
    pnl = {root: _risk_array(group, scen, settings) for root, group in by_root.items()}
    deltas = {root: _month_deltas(group, settings) for root, group in by_root.items()}

    partial = {}
    for root, group in by_root.items():
        product = group[0].product
        scan = max(0.0, -float(pnl[root].min()))
        net_delta = sum(deltas[root].values())
        time_risk = max(0.0, -(pnl[root][0] + pnl[root][1]) / 2.0)
        vol_risk = abs(pnl[root][0] - pnl[root][1]) / 2.0
        price_risk = max(0.0, scan - time_risk - vol_risk)
        partial[root] = (product, scan, net_delta, price_risk, _intra_charge(product, deltas[root]))

    delivering = {root: _delivery_delta(group) for root, group in by_root.items()}
    _refuse_unknown_delivery(settings.inter, by_root, {root: v[2] for root, v in partial.items()})
    spreadable = {root: _spreadable(partial[root][2], delivering[root]) for root in by_root}
    spreads, credits = _inter_credits(settings.inter, partial, spreadable)
    lines = []
    exact: list[float] = []
    for root, group in by_root.items():
        product, scan, net_delta, price_risk, intra = partial[root]
        shorts = sum(
            -leg.position.quantity for leg in group if leg.position.is_option and leg.position.quantity < 0
        )
        som = product.short_option_minimum * shorts
        maintenance = max(scan + intra - credits.get(root, 0.0), som)
        nov = sum(
            p.quantity * product.point_value * p.price for p in (leg.position for leg in group) if p.is_option
        )
        lines.append(
            CommodityLine(
                root=root,
                name=product.name,
                rows=tuple(leg.position.row for leg in group),
                pnl=tuple(float(x) for x in pnl[root]),
                scanning_risk=scan,
                worst_scenario=int(np.argmin(pnl[root])) + 1,
                net_delta=net_delta,
                price_risk=price_risk,
                intra_charge=intra,
                inter_credit=credits.get(root, 0.0),
                short_option_minimum=som,
                net_option_value=nov,
                maintenance=cents(maintenance),
                initial=cents(maintenance * settings.initial_multiple),
                delivery_delta=delivering[root],
            )
        )
        exact.append(maintenance * (settings.initial_multiple if settings.basis == "initial" else 1.0))
    # the totals are the lines' cents added (so the breakdown adds up); ``exact`` before rounding
    maintenance = cents(sum(line.maintenance for line in lines))
    gross = sum(
        abs(leg.position.quantity)
        * leg.product.point_value
        * (leg.position.underlying_price if leg.position.is_option else leg.position.price)
        for leg in legs
    )
    return SpanResult(
        lines=tuple(lines),
        spreads=tuple(spreads),
        scenarios=scen,
        basis=settings.basis,
        currency=settings.currency,
        maintenance=maintenance,
        initial=cents(sum(line.initial for line in lines)),
        net_option_value=sum(line.net_option_value for line in lines),
        gross_notional=gross,
        exact=sum(exact),
    )


def _legs(portfolio: Portfolio, settings: SpanSettings) -> list[Leg]:
    """Validate every row; raise once per kind of problem (unsupported rows first)."""
    unsupported: list[Problem] = []
    bad: list[Problem] = []
    missing: list[Problem] = []
    legs = []
    known = ", ".join(settings.products)
    # a row in the margin currency (or a blank one) at another rate than 1: as Reg T and PM refuse it
    contradiction = {q.row: q for q in dollar_rate_problems(portfolio, 1.0, settings.currency)}
    # each contract's product and month found once, however many rows hold it
    found_for: dict[tuple[Any, ...], tuple[Product, int | None] | None] = {}
    for p in portfolio:
        if p.type not in FUTURES_TYPES:
            unsupported.append(
                Problem(
                    f"{a_or_an(p.type)} is not a futures position: futures margin takes futures "
                    "and options on futures only",
                    p.row,
                    "type",
                )
            )
            continue
        if p.row in contradiction:
            bad.append(contradiction[p.row])
        contract = (p.symbol, p.underlying, p.is_option, p.expiry)
        if contract not in found_for:
            found_for[contract] = product_and_month(p, settings)
        found = found_for[contract]
        if found is None:
            what = (
                f"the underlying '{p.underlying}' (give the future, e.g. ESZ6)"
                if p.is_option
                else f"'{p.symbol}'"
            )
            unsupported.append(
                Problem(f"no SPAN parameters for {what}; known roots: {known}", p.row, "symbol")
            )
            continue
        product, month = found
        if p.multiplier not in (1.0, product.point_value):
            bad.append(
                Problem(
                    f"{product.root} is {product.point_value:g} {settings.currency} per point in "
                    f"span.toml; the multiplier says {p.multiplier:g}",
                    p.row,
                    "multiplier",
                )
            )
        if p.currency is not None and p.currency != settings.currency:
            bad.append(
                Problem(
                    f"{product.root} is margined in {settings.currency}, not {p.currency}", p.row, "currency"
                )
            )
        if month is not None and month < 0:
            bad.append(
                Problem(f"the contract month is {-month} month(s) before the valuation date", p.row, "symbol")
            )
            continue
        tier = product.tier_of(month)
        if tier is None:
            where = "a contract month (e.g. ESZ6)" if month is None else f"month {month} in a tier"
            missing.append(
                Problem(f"{product.root} has tiered scan ranges: the row needs {where}", p.row, "symbol")
            )
            continue
        sigma = _volatility(p, settings, missing) if p.is_option else math.nan
        legs.append(Leg(p, product, month, tier, sigma, _leg_in_delivery(p, product, month, settings)))
    for kind, problems in ((UnsupportedError, unsupported), (InputError, bad), (MissingDataError, missing)):
        if problems:
            raise kind(problems)
    return legs


def _volatility(p: Position, settings: SpanSettings, missing: list[Problem]) -> float:
    """An option's volatility: the row's, else implied from its price with the same kernel (an option
    expiring today is worth its intrinsic value whatever the volatility)."""
    if not math.isnan(p.volatility):
        return p.volatility
    if p.expiry_years <= 0:
        return 0.0
    if p.price > 0:
        implied = float(
            np.asarray(
                implied_volatility(
                    p.price,
                    p.underlying_price,
                    p.strike,
                    p.expiry_years,
                    settings.rate,
                    0.0,
                    p.is_call,
                    p.style == "american",
                    on_future=True,
                )
            )
        )
        if math.isfinite(implied) and implied > 0:
            return implied
    missing.append(
        Problem(
            f"no volatility given, and none reproduces the price {p.price:g}; {NO_VOLATILITY_FIX}",
            p.row,
            "volatility",
        )
    )
    return math.nan


def _risk_array(group: list[Leg], scen: tuple[Scenario, ...], settings: SpanSettings) -> FloatArray:
    """Summed P&L of a combined commodity's positions in each scenario (gains positive)."""
    fraction = np.array([s.fraction for s in scen])
    weight = np.array([s.weight for s in scen])
    total = np.zeros(len(scen))
    for leg in group:
        if not leg.position.is_option:
            scan = leg.product.tiers[leg.tier].scan
            total += leg.position.quantity * scan * fraction * weight
    options = [leg for leg in group if leg.position.is_option]
    if options:
        total += _option_pnl(options, scen, settings).sum(axis=0)
    return total


def _option_pnl(options: list[Leg], scen: tuple[Scenario, ...], settings: SpanSettings) -> FloatArray:
    """P&L (rows: options, columns: scenarios) of options on futures revalued with the Black-76 kernel."""
    pos = [leg.position for leg in options]
    futures = np.array([p.underlying_price for p in pos])[:, None]
    strike = np.array([p.strike for p in pos])[:, None]
    years = np.array([p.expiry_years for p in pos])[:, None]
    is_call = np.array([p.is_call for p in pos])[:, None]
    american = np.array([p.style == "american" for p in pos])[:, None]
    sigma = np.array([leg.sigma for leg in options])[:, None]
    point = np.array([leg.product.point_value for leg in options])[:, None]
    points = np.array([leg.product.tiers[leg.tier].scan for leg in options])[:, None] / point
    vol_scan = np.array([leg.product.vol_scan for leg in options])[:, None]
    qty = np.array([p.quantity for p in pos])[:, None]
    fraction = np.array([s.fraction for s in scen])[None, :]
    vol_dir = np.array([s.vol_direction for s in scen])[None, :]
    weight = np.array([s.weight for s in scen])[None, :]

    later = np.maximum(years - settings.lookahead_days / 365.0, 0.0)
    moved = np.maximum(futures + fraction * points, futures * _MIN_PRICE_FRACTION)
    sigmas = sigma * (1.0 + vol_dir * vol_scan)
    value = option_price(moved, strike, later, settings.rate, 0.0, sigmas, is_call, american, on_future=True)
    base = option_price(futures, strike, years, settings.rate, 0.0, sigma, is_call, american, on_future=True)
    return np.asarray(qty * point * (value - base) * weight, dtype=np.float64)


def _delta(leg: Leg, settings: SpanSettings) -> float:
    """Futures-equivalent delta per contract: 1 for a future, a central difference for an option."""
    p = leg.position
    if not p.is_option:
        return 1.0
    bump = p.underlying_price * _DELTA_BUMP
    prices = np.array([p.underlying_price + bump, p.underlying_price - bump])
    values = option_price(
        prices,
        p.strike,
        p.expiry_years,
        settings.rate,
        0.0,
        leg.sigma,
        p.is_call,
        p.style == "american",
        on_future=True,
    )
    values = np.asarray(values, dtype=np.float64)
    return float((values[0] - values[1]) / (2.0 * bump))


def _month_deltas(group: list[Leg], settings: SpanSettings) -> dict[tuple[int, int | None], float]:
    """Net futures-equivalent delta per (tier, contract month)."""
    out: dict[tuple[int, int | None], float] = {}
    for leg in group:
        delta = _delta(leg, settings)
        key = (leg.tier, leg.month)
        out[key] = out.get(key, 0.0) + leg.position.quantity * delta
    return out


def _intra_charge(product: Product, deltas: Mapping[tuple[int, int | None], float]) -> float:
    """Calendar spread charge: spreads within each tier, then between tiers in priority order."""
    charge = 0.0
    net = [0.0] * len(product.tiers)
    for t, tier in enumerate(product.tiers):
        longs = sum(d for (k, _), d in deltas.items() if k == t and d > 0)
        shorts = -sum(d for (k, _), d in deltas.items() if k == t and d < 0)
        charge += min(longs, shorts) * tier.intra
        net[t] = longs - shorts
    for spread in product.tier_spreads:
        a, b = net[spread.first], net[spread.second]
        if a * b < 0:
            n = min(abs(a), abs(b))
            charge += n * spread.charge
            net[spread.first] -= math.copysign(n, a)
            net[spread.second] -= math.copysign(n, b)
    return charge


def _inter_credits(
    inter: tuple[InterSpread, ...],
    partial: Mapping[str, tuple[Product, float, float, float, float]],
    spreadable: Mapping[str, float],
) -> tuple[list[InterSpreadResult], dict[str, float]]:
    """Inter-commodity spreads formed on the remaining spreadable deltas (:func:`_spreadable`), in
    priority order, and the credits (each on the commodity's price risk per net delta)."""
    remaining = dict(spreadable)
    per_delta = {
        root: (values[3] / abs(values[2]) if abs(values[2]) > 0 else 0.0) for root, values in partial.items()
    }
    credits: dict[str, float] = {}
    formed = []
    for spread in inter:
        if not all(leg in remaining for leg in spread.legs):
            continue
        # the legs of side A all held one way, those of side B all the other way
        signs = {
            math.copysign(1.0, remaining[leg]) * side
            for leg, side in zip(spread.legs, spread.sides, strict=True)
        }
        if len(signs) != 1 or any(remaining[leg] == 0 for leg in spread.legs):
            continue
        n = min(abs(remaining[leg]) / r for leg, r in zip(spread.legs, spread.ratio, strict=True))
        leg_credits = tuple(
            c * n * r * per_delta[leg]
            for leg, r, c in zip(spread.legs, spread.ratio, spread.credits, strict=True)
        )
        for root, ratio, credit in zip(spread.legs, spread.ratio, leg_credits, strict=True):
            credits[root] = credits.get(root, 0.0) + credit
            remaining[root] -= math.copysign(n * ratio, remaining[root])
        formed.append(InterSpreadResult(spread.id, spread.legs, spread.ratio, n, spread.credits, leg_credits))
    return formed, credits


def _leg_in_delivery(p: Position, product: Product, month: int | None, settings: SpanSettings) -> bool | None:
    """A future of a product with a delivery period (span.toml [delivery]) is in delivery from its
    start; None when its contract month is not known. An option is not: CME's options on delivered
    futures stop trading in the month before the contract month, before delivery begins."""
    if p.is_option or product.delivery_start is None:
        return False
    return None if month is None else in_delivery(product, month, settings.as_of)


def _delivery_delta(group: list[Leg]) -> float:
    """Net contracts of a combined commodity's futures in delivery (a future's delta is 1)."""
    return float(sum(leg.position.quantity for leg in group if leg.in_delivery))


def _spreadable(net_delta: float, delivering: float) -> float:
    """The part of a commodity's net delta that may form inter-commodity spreads: contracts in
    delivery count unspread (margin-rules.md §4, no credit when a leg is in delivery). They offset
    the other months first (a calendar spread), so what may spread is the net delta held beyond
    them, never more than the other months hold: the net clipped between 0 and the other months'."""
    rest = net_delta - delivering
    return min(max(net_delta, min(rest, 0.0)), max(rest, 0.0))


def _refuse_unknown_delivery(
    inter: tuple[InterSpread, ...], by_root: Mapping[str, list[Leg]], net: Mapping[str, float]
) -> None:
    """A future whose contract month is not known, of a delivered product in a spread the book could
    form (every leg held, the sides opposite), is a :class:`MissingDataError` naming its row:
    whether it is in delivery decides the credit."""
    problems: list[Problem] = []
    named: set[int] = set()
    for spread in inter:
        if not all(leg in by_root and net[leg] != 0 for leg in spread.legs):
            continue
        signs = {
            math.copysign(1.0, net[leg]) * side for leg, side in zip(spread.legs, spread.sides, strict=True)
        }
        if len(signs) != 1:
            continue
        for root in spread.legs:
            for leg in by_root[root]:
                if leg.in_delivery is None and leg.position.row not in named:
                    named.add(leg.position.row)
                    problems.append(
                        Problem(
                            f"the {spread.id} inter-commodity credit depends on whether this {root} future "
                            "is in delivery (span.toml [delivery]), and its contract month is not known: "
                            f"give it in the symbol (e.g. {root}Z6)",
                            leg.position.row,
                            "symbol",
                        )
                    )
    if problems:
        raise MissingDataError(problems)
