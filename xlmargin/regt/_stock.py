"""Strategies with the underlying: covered and protective positions, collars, conversions and
reversals (Cboe Rule 10.3, FINRA 4210(f)(2)); the rule in words beside each formula.

A house's special maintenance on the stock (``Position.special_maintenance``) is a floor under the
rate of the stock part (margin-rules.md §0.5): the stock's own requirement, a covered call's rate,
a protective put's stock-value leg, a collar's call-strike leg; the option-based legs keep theirs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from xlmargin.regt._formulas import (
    Figures,
    RegTRules,
    itm,
    long_stock_rate,
    money,
    num,
    otm,
    pct,
    short_stock_maintenance,
    short_stock_per_share,
    special_note,
    with_special,
)
from xlmargin.regt._legs import BookLeg
from xlmargin.regt._shapes import TOLERANCE, Shape, StrategyFilter, same_series


def _applied(right: str, charged: float) -> str:
    """A conversion or reversal at maintenance: the short option is covered by the stock and the
    long option, and the rule's percentage of the exercise price holds none of its value, so its
    proceeds are applied only against what the figure charges for it, its in-the-money amount
    (margin-rules.md §0.1: proceeds are applied to a requirement that holds the option's value);
    applied in full, a deep in-the-money short option would take the group below zero."""
    if charged > 0.0:
        return f"{right} proceeds applied up to that amount"
    return f"{right} proceeds not applied (the figure holds none of its value)"


class StockStrategies(StrategyFilter):
    """The candidates that combine the underlying with its options."""

    # --- strategies with the underlying --------------------------------------------------------------

    @staticmethod
    def shares_per_contract(stock: BookLeg, option: BookLeg) -> float | None:
        """Shares of the stock that cover one contract: the multiplier for the option's own
        underlying; for an index option and a basket ETF, in equivalent index units (Cboe: 1,000
        SPY shares cover one 100-multiplier SPX contract); None if the stock cannot cover it."""
        s, o = stock.position, option.position
        if s.underlying == o.underlying:
            return o.multiplier
        if s.class_group == o.class_group and s.index_units > 0 and o.index_units > 0:
            return round(o.multiplier * o.index_units / s.index_units, 9)
        return None

    def stock_and_option(self, stock: BookLeg, option: BookLeg, spu: float) -> Shape | None:
        if stock.is_long and not option.is_long and option.position.is_call:
            return self.covered_call(stock, option, spu)
        if not stock.is_long and not option.is_long and not option.position.is_call:
            return self.covered_put(stock, option, spu)
        if stock.is_long and option.is_long and not option.position.is_call:
            return self.protective_put(stock, option, spu)
        if not stock.is_long and option.is_long and option.position.is_call:
            return self.protective_call(stock, option, spu)
        return None

    def _stock_margin(self, stock: BookLeg, spu: float) -> tuple[float, str]:
        """The requirement of ``spu`` shares of the stock, and the rule in words (at least the house's
        special maintenance, if it sets one)."""
        p = stock.position
        if stock.is_long:
            rate = long_stock_rate(self.r, self.basis, p.leverage, p.special_maintenance)
            note = special_note(p.special_maintenance)
            return rate * p.price * spu, f"{pct(rate)} × {num(spu)} shares × {money(p.price)}{note}"
        per_share, text = short_stock_per_share(
            self.r, self.basis, p.price, p.leverage, p.special_maintenance
        )
        return per_share * spu, f"short stock {text} × {num(spu)} shares"

    def itm_call_charge(self, stock: BookLeg, call: BookLeg, spu: float) -> float:
        """Initial, long stock under a short call: the loan value is on no more than the call strike
        (McMillan; tastytrade), so the stock's requirement grows by (1 − the long-stock rate) × the
        call's in-the-money amount, in stock units (zero when the call is out of the money)."""
        if self.basis != "initial" or not self.r.covered_call_initial_at_most_strike:
            return 0.0
        s, c = stock.position, call.position
        rate = long_stock_rate(self.r, self.basis, s.leverage, s.special_maintenance)
        return (1.0 - rate) * max(spu * s.price - c.strike * c.multiplier, 0.0)

    def covered_call(self, stock: BookLeg, call: BookLeg, spu: float) -> Shape:
        """Covered call (Cboe): the stock's requirement; the call needs nothing, its proceeds may be
        applied. Initial: the loan value is on no more than the call strike (:meth:`itm_call_charge`).
        Maintenance: 25% of the stock valued at no more than the call strike."""
        s, c = stock.position, call.position
        if self.basis == "maintenance" and self.r.covered_call_at_most_strike:
            rate = long_stock_rate(self.r, self.basis, s.leverage, s.special_maintenance)
            value = min(spu * s.price, c.strike * c.multiplier)
            margin, text = (
                rate * value,
                f"{pct(rate)} × stock valued at no more than the strike {money(value)}"
                f"{special_note(s.special_maintenance)}",
            )
        else:
            margin, text = self._stock_margin(stock, spu)
            extra = self.itm_call_charge(stock, call, spu)
            if extra > 0.0:
                margin += extra
                text += f" + loan not released above the call strike {money(extra)}"
        return Shape(
            "covered call",
            Figures(margin, 0.0, call.value),
            f"covered call: stock requirement {text}; the call needs nothing; × {{n}}",
        )

    def covered_put(self, stock: BookLeg, put: BookLeg, spu: float) -> Shape:
        """Covered put (IBKR; moomoo): the short stock's requirement plus the put's in-the-money amount."""
        margin, text = self._stock_margin(stock, spu)
        extra = itm(put.position) * put.position.multiplier
        return Shape(
            "covered put",
            Figures(margin + extra, 0.0, put.value),
            f"covered put: {text} + put in-the-money amount {money(extra)}; × {{n}}",
        )

    def protective_put(self, stock: BookLeg, put: BookLeg, spu: float) -> Shape:
        """Protective put. Initial (Cboe): the stock's requirement, the put paid in full. Maintenance:
        the lesser of 10% × put strike + the put's out-of-the-money amount and 25% × stock value
        (the put's own value is not added: the formula covers the pair)."""
        s, p = stock.position, put.position
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return Shape(
                "protective put",
                Figures(margin, put.long_cost, 0.0),
                f"protective put: stock {text}; put paid in full; × {{n}}",
            )
        strike_rate = self.r.levered(self.r.protective_put_strike_pct, s.leverage)
        stock_rate = with_special(
            self.r.levered(self.r.protective_put_stock_pct, s.leverage), s.special_maintenance
        )
        hedged = p.multiplier * (strike_rate * p.strike + otm(p))
        plain = stock_rate * spu * s.price
        return Shape(
            "protective put",
            Figures(min(hedged, plain)),
            f"protective put: lesser of {pct(strike_rate)} × put strike + put OTM and {pct(stock_rate)}"
            f" × stock value{special_note(s.special_maintenance)} = min({money(hedged)}, {money(plain)})"
            " × {n}",
        )

    def protective_call(self, stock: BookLeg, call: BookLeg, spu: float) -> Shape:
        """Protective call. Initial: the short stock's requirement, the call paid in full.
        Maintenance: the lesser of 10% × call strike + the call's out-of-the-money amount and the
        short stock's maintenance requirement."""
        s, c = stock.position, call.position
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return Shape(
                "protective call",
                Figures(margin, call.long_cost, 0.0),
                f"protective call: {text}; call paid in full; × {{n}}",
            )
        strike_rate = self.r.levered(self.r.protective_call_strike_pct, s.leverage)
        hedged = c.multiplier * (strike_rate * c.strike + otm(c))
        plain = short_stock_maintenance(self.r, s.price, s.leverage, s.special_maintenance)[0] * spu
        return Shape(
            "protective call",
            Figures(min(hedged, plain)),
            f"protective call: lesser of {pct(strike_rate)} × call strike + call OTM and short-stock"
            f" maintenance = min({money(hedged)}, {money(plain)}) × {{n}}",
        )

    def triples(self) -> tuple[list[int], list[int], list[int]]:
        """The (stock, put, call) leg triples that may be collars and conversions (long stock, long
        put, short call) or reversals (short stock, short put, long call at the put's strike and
        expiry): each stock with each put, then the calls of the put's deliverable on the other
        side, in index order. :func:`stock_triples` keeps the candidates among them."""
        with_puts: list[int] = []
        calls: list[int] = []
        for p, found in self._calls_of_puts():
            with_puts.extend([p] * len(found))
            calls.extend(found)
        n = len(self.stocks)
        return [s for s in self.stocks for _ in calls], with_puts * n, calls * n

    def triple_count(self) -> int:
        """How many triples :meth:`triples` lists (without listing them: the candidate cap's count)."""
        return len(self.stocks) * sum(len(calls) for _, calls in self._calls_of_puts())

    def _calls_of_puts(self) -> list[tuple[int, list[int]]]:
        """Each put, with the calls of its deliverable on the other side (index order)."""
        legs = self.legs
        others: dict[tuple[str, float, bool], list[int]] = defaultdict(list)
        for c in self.options:
            if legs[c].position.is_call:
                q = legs[c].position
                others[(q.underlying, q.multiplier, not legs[c].is_long)].append(c)
        return [
            (p, others.get((legs[p].position.underlying, legs[p].position.multiplier, legs[p].is_long), []))
            for p in self.options
            if not legs[p].position.is_call
        ]

    def triple_shape(self, s: int, p: int, c: int) -> Shape:
        """:meth:`collar` or :meth:`reversal` of three legs by their indices (a kept triple's)."""
        stock, put, call = self.legs[s], self.legs[p], self.legs[c]
        spu = self.shares_per_contract(stock, put)
        assert spu is not None  # stock_triples keeps only covered puts
        if stock.is_long:
            return self.collar(stock, put, call, spu)
        return self.reversal(stock, put, call, spu)

    def collar(self, stock: BookLeg, put: BookLeg, call: BookLeg, spu: float) -> Shape:
        """Collar. Initial: the stock's requirement, the put paid, the call needs nothing.
        Maintenance: the lesser of 10% × put strike + put OTM amount and 25% × call strike.
        Conversion (same strike and expiry) at maintenance: 10% of the exercise price plus the short
        call's in-the-money amount [L] (IBKR, as quoted in QuantConnect Lean's tests: 5,303 =
        10% × 524 × 100 + (524.63 − 524) × 100), the mirror image of the reversal's put ITM amount;
        ``conversion.add_call_itm = false`` charges the 10% alone (margin-rules.md §1.5's wording)."""
        s, p, c = stock.position, put.position, call.position
        conversion = same_series(put, call)
        name = "conversion" if conversion else "collar"
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            extra = self.itm_call_charge(stock, call, spu)
            if extra > 0.0:
                margin += extra
                text += f" + loan not released above the call strike {money(extra)}"
            return Shape(
                name,
                Figures(margin, put.long_cost, call.value),
                f"{name}: stock {text}; put paid in full; the call needs nothing; × {{n}}",
            )
        if conversion:
            rate = self.r.levered(self.r.conversion_strike_pct, s.leverage)
            margin = rate * p.strike * p.multiplier
            text = f"conversion: {pct(rate)} × exercise price × {num(p.multiplier)}"
            charged = 0.0
            if self.r.conversion_add_call_itm:  # [L] conversion.add_call_itm
                charged = itm(c) * c.multiplier
                margin += charged
                text += f" + call in-the-money amount {money(charged)}"
            applied = min(call.value, charged)
            return Shape(
                name,
                Figures(margin, 0.0, applied),
                f"{text} = {money(margin)} × {{n}}; {_applied('call', charged)}",
            )
        strike_rate = self.r.levered(self.r.collar_strike_pct, s.leverage)
        call_rate = with_special(
            self.r.levered(self.r.collar_call_strike_pct, s.leverage), s.special_maintenance
        )
        hedged = p.multiplier * (strike_rate * p.strike + otm(p))
        capped = call_rate * c.strike * c.multiplier
        return Shape(
            name,
            Figures(min(hedged, capped), 0.0, call.value),
            f"collar: lesser of {pct(strike_rate)} × put strike + put OTM and {pct(call_rate)} × call strike"
            f"{special_note(s.special_maintenance)} = min({money(hedged)}, {money(capped)}) × {{n}}",
        )

    def reversal(self, stock: BookLeg, put: BookLeg, call: BookLeg, spu: float) -> Shape:
        """Reverse conversion (short stock, short put, long call, same strike and expiry).
        Initial: as a covered put plus a long call. Maintenance: 10% of the exercise price plus
        the put's in-the-money amount [L] (``reversal.add_put_itm``; margin-rules.md §1.5)."""
        s, p = stock.position, put.position
        extra = itm(p) * p.multiplier
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return Shape(
                "reversal",
                Figures(margin + extra, call.long_cost, put.value),
                f"reversal: {text} + put in-the-money amount {money(extra)}; call paid; × {{n}}",
            )
        rate = self.r.levered(self.r.conversion_strike_pct, s.leverage)
        margin = rate * p.strike * p.multiplier
        text = f"reversal: {pct(rate)} × exercise price × {num(p.multiplier)}"
        charged = 0.0
        if self.r.reversal_add_put_itm:  # [L] reversal.add_put_itm
            charged = extra
            margin += extra
            text += " + put in-the-money amount"
        applied = min(put.value, charged)
        return Shape(
            "reversal",
            Figures(margin, 0.0, applied),
            f"{text} = {money(margin)} × {{n}}; {_applied('put', charged)}",
        )


@dataclass(frozen=True, slots=True)
class LegArrays:
    """What the column-wise filters read of each leg, as arrays indexed like the legs; the stock
    fields (per share, in the basis the arrays were made for) are zero on option legs."""

    is_call: np.ndarray
    is_long: np.ndarray
    is_stock: np.ndarray
    deliverable: np.ndarray  # one code per (underlying, multiplier)
    underlying: np.ndarray  # one code per underlying
    class_group: np.ndarray  # one code per class group
    index_units: np.ndarray
    expiry: np.ndarray  # ordinal days
    strike: np.ndarray
    multiplier: np.ndarray
    price: np.ndarray
    underlying_price: np.ndarray
    naked: np.ndarray  # a credit spread's short leg: BookLeg.naked
    naked_alone: np.ndarray  # a straddle's legs: the naked requirement (house's included), standalone.margin
    value: np.ndarray
    long_cost: np.ndarray
    alone: np.ndarray
    capacity: np.ndarray
    stock_margin: np.ndarray  # :meth:`StockStrategies._stock_margin` of one share
    long_rate: np.ndarray  # the long-stock rate (a covered call's stock valued at most at the strike)
    protective_put_strike: np.ndarray  # the rates of the protective put and call at maintenance
    protective_put_stock: np.ndarray
    protective_call_strike: np.ndarray
    short_maintenance: np.ndarray  # the short stock's maintenance requirement of one share
    conversion_strike: np.ndarray  # the rates of conversions, reversals and collars at maintenance
    collar_strike: np.ndarray
    collar_call_strike: np.ndarray


def leg_arrays(legs: list[BookLeg], alone: list[float], r: RegTRules, basis: str) -> LegArrays:
    """What the column-wise filters read of each leg, as arrays indexed like ``legs``.

    Read a few fields at a time with :func:`operator.attrgetter` (one C call per leg and group of
    fields, not a Python tuple built field by field), text fields coded through dicts, each expiry
    converted once per distinct date, and the stock rates (scalar formulas) computed for the stock
    legs only: a first call reads every leg of the book here.
    """
    n = len(legs)
    positions = [leg.position for leg in legs]
    numbers = np.array(list(map(_POSITION_NUMBERS, positions)), dtype=float).reshape(n, 5)
    figures = np.array(list(map(_LEG_NUMBERS, legs)), dtype=float).reshape(n, 7)
    texts = list(map(_POSITION_TEXTS, positions))
    stock = figures[:, 5] != 0
    deliverables: dict[tuple[str, float], int] = {}
    underlyings: dict[str, int] = {}
    classes: dict[str, int] = {}
    days: dict[dt.date, int] = {}
    deliverable = [deliverables.setdefault((u, m), len(deliverables)) for u, m, _, _, _ in texts]
    underlying = [underlyings.setdefault(u, len(underlyings)) for u, _, _, _, _ in texts]
    class_group = [classes.setdefault(c, len(classes)) for _, _, c, _, _ in texts]
    expiry = [
        0 if is_stock else days[e] if e in days else days.setdefault(e, e.toordinal())
        for (_, _, _, _, e), is_stock in zip(texts, stock.tolist())
    ]
    is_call = np.array([right == "C" for _, _, _, right, _ in texts], dtype=bool)
    rates = np.zeros((n, len(_NO_STOCK)))
    at = np.flatnonzero(stock).tolist()
    if at:
        rates[at] = [_stock_rates(legs[k], r, basis) for k in at]
    return LegArrays(
        deliverable=np.array(deliverable, dtype=np.intp), underlying=np.array(underlying, dtype=np.intp),
        class_group=np.array(class_group, dtype=np.intp), expiry=np.array(expiry, dtype=np.int64),
        index_units=numbers[:, 0], strike=numbers[:, 1], multiplier=numbers[:, 2], price=numbers[:, 3],
        underlying_price=numbers[:, 4], naked=figures[:, 0], naked_alone=figures[:, 6], value=figures[:, 1],
        long_cost=figures[:, 2],
        alone=np.array(alone, dtype=float), capacity=figures[:, 3],
        is_call=is_call, is_long=figures[:, 4] != 0, is_stock=stock,
        stock_margin=rates[:, 0], long_rate=rates[:, 1], protective_put_strike=rates[:, 2],
        protective_put_stock=rates[:, 3], protective_call_strike=rates[:, 4],
        short_maintenance=rates[:, 5], conversion_strike=rates[:, 6], collar_strike=rates[:, 7],
        collar_call_strike=rates[:, 8],
    )  # fmt: skip


# what leg_arrays reads of each leg's position and of the leg (a stock's expiry, None, is not converted)
_POSITION_NUMBERS = attrgetter("index_units", "strike", "multiplier", "price", "underlying_price")
_POSITION_TEXTS = attrgetter("underlying", "multiplier", "class_group", "right", "expiry")
_LEG_NUMBERS = attrgetter(
    "naked", "value", "long_cost", "capacity", "is_long", "is_stock", "standalone.margin"
)
_NO_STOCK = (0.0,) * 9


def _stock_rates(stock: BookLeg, r: RegTRules, basis: str) -> tuple[float, ...]:
    """A stock leg's per-share figures of :class:`LegArrays`, by the scalar formulas."""
    p = stock.position
    special = p.special_maintenance  # NaN where the house sets none: the rules' own rates
    if stock.is_long:
        margin = long_stock_rate(r, basis, p.leverage, special) * p.price
    else:
        margin = short_stock_per_share(r, basis, p.price, p.leverage, special)[0]
    return (
        margin,
        long_stock_rate(r, basis, p.leverage, special),
        r.levered(r.protective_put_strike_pct, p.leverage),
        with_special(r.levered(r.protective_put_stock_pct, p.leverage), special),
        r.levered(r.protective_call_strike_pct, p.leverage),
        short_stock_maintenance(r, p.price, p.leverage, special)[0],
        r.levered(r.conversion_strike_pct, p.leverage),
        r.levered(r.collar_strike_pct, p.leverage),
        with_special(r.levered(r.collar_call_strike_pct, p.leverage), special),
    )


def stock_option_pairs(
    a: LegArrays, stock: np.ndarray, option: np.ndarray, r: RegTRules, basis: str, net: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Of the (stock, option) leg pairs, those that are candidates: (stocks, options, shares per
    contract, costs). :meth:`StockStrategies.shares_per_contract`, :meth:`~StockStrategies.stock_and_option`
    and the filter on arrays, operation for operation (the same pairs, to the last bit of their costs)."""
    spu, covers = _shares(a, stock, option)
    strategy, cost = _pair_costs(a, stock, option, spu, r, basis, net)
    keep = covers & strategy
    keep &= (a.capacity[stock] >= spu - 1e-9) & (a.capacity[option] >= 1.0 - 1e-9)
    keep &= ~(cost > a.alone[stock] * spu + a.alone[option] * 1.0 + TOLERANCE)
    return stock[keep], option[keep], spu[keep], cost[keep]


def _shares(a: LegArrays, stock: np.ndarray, option: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`StockStrategies.shares_per_contract` on arrays: the shares (0 where none), and where
    the stock covers the option."""
    same = a.underlying[stock] == a.underlying[option]
    cover = (a.class_group[stock] == a.class_group[option]) & (a.index_units[stock] > 0)
    cover &= (a.index_units[option] > 0) & ~same
    spu = np.where(same, a.multiplier[option], 0.0)
    for k in np.flatnonzero(cover):  # Python's round, as shares_per_contract rounds (index covers: few)
        o, s = option[k], stock[k]
        spu[k] = round(float(a.multiplier[o]) * float(a.index_units[o]) / float(a.index_units[s]), 9)
    return spu, same | cover


def _pair_costs(
    a: LegArrays, stock: np.ndarray, option: np.ndarray, spu: np.ndarray, r: RegTRules, basis: str, net: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Where :meth:`StockStrategies.stock_and_option` is a strategy, and its cost (for ``spu``
    shares), on arrays."""
    long_stock, long_option, call = a.is_long[stock], a.is_long[option], a.is_call[option]
    covered_call = long_stock & ~long_option & call
    covered_put = ~long_stock & ~long_option & ~call
    protective_put = long_stock & long_option & ~call
    protective_call = ~long_stock & long_option & call
    strike, mult, s_price = a.strike[option], a.multiplier[option], a.underlying_price[option]
    stock_margin = a.stock_margin[stock] * spu
    value, zero = a.value[option], np.zeros(len(stock))
    if basis == "maintenance" and r.covered_call_at_most_strike:
        call_margin = a.long_rate[stock] * np.minimum(spu * a.price[stock], strike * mult)
    else:
        call_margin = stock_margin + _itm_call_charge(a, stock, spu, strike, mult, r, basis)
    put_itm = np.maximum(strike - s_price, 0.0)
    margin = np.where(covered_call, call_margin, np.where(covered_put, stock_margin + put_itm * mult, 0.0))
    proceeds = np.where(covered_call | covered_put, value, 0.0)
    if basis == "initial":
        margin = np.where(protective_put | protective_call, stock_margin, margin)
        long_cost = np.where(protective_put | protective_call, a.long_cost[option], zero)
    else:
        put_otm, call_otm = np.maximum(s_price - strike, 0.0), np.maximum(strike - s_price, 0.0)
        hedged_put = mult * (a.protective_put_strike[stock] * strike + put_otm)
        plain_put = a.protective_put_stock[stock] * spu * a.price[stock]
        hedged_call = mult * (a.protective_call_strike[stock] * strike + call_otm)
        plain_call = a.short_maintenance[stock] * spu
        margin = np.where(protective_put, np.minimum(hedged_put, plain_put), margin)
        margin = np.where(protective_call, np.minimum(hedged_call, plain_call), margin)
        long_cost = zero
    strategy = covered_call | covered_put | protective_put | protective_call
    return strategy, cost_of(net, margin, long_cost, proceeds)


def _itm_call_charge(
    a: LegArrays,
    stock: np.ndarray,
    spu: np.ndarray,
    strike: np.ndarray,
    mult: np.ndarray,
    r: RegTRules,
    basis: str,
) -> np.ndarray:
    """:meth:`StockStrategies.itm_call_charge` on arrays, operation for operation (meaningful where
    the stock is long and the option a short call; the caller masks the other pairs)."""
    if basis != "initial" or not r.covered_call_initial_at_most_strike:
        return np.zeros(len(stock))
    return (1.0 - a.long_rate[stock]) * np.maximum(spu * a.price[stock] - strike * mult, 0.0)


def stock_triples(
    a: LegArrays, stock: np.ndarray, put: np.ndarray, call: np.ndarray, r: RegTRules, basis: str, net: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of the (stock, put, call) triples that :meth:`StockStrategies.triples` lists, which are
    candidates (a mask), the shares of stock per unit and the cost: :meth:`~StockStrategies.collar`
    and :meth:`~StockStrategies.reversal` and the filter (against the legs alone and against the
    cheaper split into a two-leg strategy and a lone leg) on arrays, operation for operation."""
    spu, covers = _shares(a, stock, put)
    long_stock = a.is_long[stock]
    same_series = (a.strike[put] == a.strike[call]) & (a.expiry[put] == a.expiry[call])
    keep = covers & (a.is_long[put] == long_stock) & (long_stock | same_series)
    hedged = _pair_costs(a, stock, put, spu, r, basis, net)[1]  # protective or covered put
    with_stock = _pair_costs(a, stock, call, spu, r, basis, net)[1]  # covered or protective call
    parts = np.minimum(with_stock + a.alone[put], hedged + a.alone[call])
    put_strike, put_mult, call_strike, call_mult = (
        a.strike[put],
        a.multiplier[put],
        a.strike[call],
        a.multiplier[call],
    )
    put_itm = np.maximum(put_strike - a.underlying_price[put], 0.0)
    call_itm = np.maximum(a.underlying_price[call] - call_strike, 0.0)
    stock_margin = a.stock_margin[stock] * spu
    conversion = a.conversion_strike[stock] * put_strike * put_mult
    if basis == "initial":
        call_charge = _itm_call_charge(a, stock, spu, call_strike, call_mult, r, basis)
        margin = np.where(long_stock, stock_margin + call_charge, stock_margin + put_itm * put_mult)
        long_cost = np.where(long_stock, a.long_cost[put], a.long_cost[call])
    else:
        put_otm = np.maximum(a.underlying_price[put] - put_strike, 0.0)
        hedged_put = put_mult * (a.collar_strike[stock] * put_strike + put_otm)
        capped = a.collar_call_strike[stock] * call_strike * call_mult
        converted = conversion + call_itm * call_mult if r.conversion_add_call_itm else conversion
        reversed_ = conversion + put_itm * put_mult if r.reversal_add_put_itm else conversion
        collar = np.where(same_series, converted, np.minimum(hedged_put, capped))
        margin = np.where(long_stock, collar, reversed_)
        long_cost = np.zeros(len(stock))
    proceeds = np.where(long_stock, a.value[call], a.value[put])
    if basis != "initial":  # a conversion's or reversal's proceeds: at most the ITM amount charged
        charged_call = call_itm * call_mult if r.conversion_add_call_itm else np.zeros(len(stock))
        charged_put = put_itm * put_mult if r.reversal_add_put_itm else np.zeros(len(stock))
        charged = np.where(long_stock, charged_call, charged_put)
        proceeds = np.where(same_series, np.minimum(proceeds, charged), proceeds)
    cost = cost_of(net, margin, long_cost, proceeds)
    keep &= (a.capacity[stock] >= spu - 1e-9) & (a.capacity[put] >= 1.0 - 1e-9)
    keep &= a.capacity[call] >= 1.0 - 1e-9
    alone = a.alone[stock] * spu + a.alone[put] * 1.0 + a.alone[call] * 1.0
    keep &= ~(cost > alone + TOLERANCE) & ~(cost > parts + TOLERANCE)
    return keep, spu, cost


def cost_of(net: bool, margin: np.ndarray, long_cost: np.ndarray, proceeds: np.ndarray) -> np.ndarray:
    """:meth:`Figures.cost` on arrays, operation for operation."""
    if net:
        return margin + long_cost - proceeds
    return margin + np.maximum(long_cost - proceeds, 0.0)
