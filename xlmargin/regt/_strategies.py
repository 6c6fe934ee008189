"""The strategies Reg T recognises, as candidate instances among one underlying's legs.

Each candidate states what ONE unit of it consumes (one contract of each option leg, two of a
butterfly body, ``multiplier × index ratio`` shares of stock) and what one unit needs
(:class:`Figures`), with the rule in words. Only candidates that can lower the requirement are
kept: those costing no more than the legs they consume would cost on their own, and, for strategies
of three or more legs, no more than the two-leg strategies they split into (a dearer one is never
part of an optimal pairing). Ties are kept so that the pairing can name the strategy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

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
)
from xlmargin.regt._legs import BookLeg

TOLERANCE = 1e-6  # dollars: "costs no more than" allows for floating-point noise


@dataclass(frozen=True, slots=True)
class Candidate:
    """One strategy instance: legs consumed per unit (leg index, contracts or shares), what a unit
    costs in the enumerator's convention, and ``shape``, which builds its name, figures and rule
    when the pairing uses it (most candidates are never used, and their words cost more than
    their numbers)."""

    uses: tuple[tuple[int, float], ...]
    cost: float
    shape: Callable[[], _Shape]

    @property
    def strategy(self) -> str:
        return self.shape().strategy

    @property
    def unit(self) -> Figures:
        return self.shape().unit

    @property
    def rule(self) -> str:  # "{n}" stands for the number of units
        return self.shape().rule


@dataclass(frozen=True, slots=True)
class _Shape:
    strategy: str
    unit: Figures
    rule: str


class Enumerator:
    """Builds the candidates of one underlying under one basis and one convention."""

    def __init__(self, legs: list[BookLeg], r: RegTRules, basis: str, net_of_proceeds: bool):
        self.legs = legs
        self.r = r
        self.basis = basis
        self.net = net_of_proceeds
        self.warnings: list[str] = []
        self.stocks = [i for i, leg in enumerate(legs) if leg.is_stock]
        self.options = [i for i, leg in enumerate(legs) if not leg.is_stock]

    # --- the filter --------------------------------------------------------------------------

    def _cost(self, shape: _Shape) -> float:
        return shape.unit.cost(self.net)

    def _alone(self, uses: tuple[tuple[int, float], ...]) -> float:
        return sum(self.legs[i].standalone.cost(self.net) * amount for i, amount in uses)

    def _keep(
        self, shape: _Shape | None, uses: tuple[tuple[int, float], ...], parts: float | None = None
    ) -> Candidate | None:
        """The candidate, if it can lower the requirement (see the module docstring)."""
        if shape is None or any(self.legs[i].capacity < amount - 1e-9 for i, amount in uses):
            return None
        cost = self._cost(shape)
        if cost > self._alone(uses) + TOLERANCE or (parts is not None and cost > parts + TOLERANCE):
            return None
        return Candidate(uses, cost, lambda: shape)

    def _best_split(self, *splits: tuple[_Shape | None, ...]) -> float | None:
        """The cheapest split of a composite into the strategies (or lone legs) it is made of."""
        return min(
            (sum(self._cost(s) for s in split if s is not None) for split in splits if None not in split),
            default=None,
        )

    # --- enumeration -------------------------------------------------------------------------

    def candidates(self) -> list[Candidate]:
        found = self._two_leg()
        composites: list[Candidate] = []
        for count, candidate in enumerate(self._composites(), start=len(found) + 1):
            if count > self.r.max_candidates:
                underlying = self.legs[0].position.underlying
                self.warnings.append(
                    f"{underlying}: more than {self.r.max_candidates:,} strategy candidates; only two-leg "
                    "strategies (spreads, straddles, stock with one option) were recognised, so the "
                    "requirement may be higher than the optimal pairing's"
                )
                composites = []
                break
            if candidate is not None:
                composites.append(candidate)
        return found + composites

    def _two_leg(self) -> list[Candidate]:
        """Spreads, straddles and stock with one option. The option pairs are filtered column-wise
        (the same formulas as :meth:`vertical` and :meth:`straddle`, on arrays) and only the pairs
        kept are built, in the order of the loops they replace: each short, then its partners."""
        legs = self.legs
        longs = [i for i in self.options if legs[i].is_long]
        shorts = [i for i in self.options if not legs[i].is_long]
        partners = self._partners(longs, shorts)
        a = self._arrays()
        found: list[Candidate] = []
        short, long = _pairs(shorts, longs, partners)
        keep = a.is_call[long] == a.is_call[short]
        keep &= (a.deliverable[long] == a.deliverable[short]) & (a.capacity[long] >= 1.0 - 1e-9)
        keep &= a.capacity[short] >= 1.0 - 1e-9
        if self.r.long_expires_on_or_after_short:
            keep &= a.expiry[long] >= a.expiry[short]
        width = np.where(a.is_call[long], a.strike[long] - a.strike[short], a.strike[short] - a.strike[long])
        margin = np.where(width > 0, np.minimum(a.naked[short], width * a.multiplier[short]), 0.0)
        cost = self._cost_of(margin, a.long_cost[long], a.value[short])
        keep &= ~(cost > a.alone[long] + a.alone[short] + TOLERANCE)
        # the mask above is vertical's own conditions, so each kept pair's shape is not None
        for j, i, c in zip(short[keep].tolist(), long[keep].tolist(), cost[keep].tolist()):
            found.append(Candidate(((i, 1.0), (j, 1.0)), c, partial(self.vertical, legs[i], legs[j])))  # type: ignore[arg-type]
        calls = [i for i in shorts if legs[i].position.is_call]
        call, put = _pairs(calls, [k for k in shorts if not legs[k].position.is_call], partners)
        keep = (a.deliverable[call] == a.deliverable[put]) & (a.capacity[call] >= 1.0 - 1e-9)
        keep &= a.capacity[put] >= 1.0 - 1e-9
        if self.r.straddle_same_expiry:
            keep &= a.expiry[call] == a.expiry[put]
        margin = np.where(
            a.naked[call] >= a.naked[put], a.naked[call] + a.value[put], a.naked[put] + a.value[call]
        )
        cost = self._cost_of(margin, np.zeros(len(call)), a.value[call] + a.value[put])
        keep &= ~(cost > a.alone[call] + a.alone[put] + TOLERANCE)
        for i, j, c in zip(call[keep].tolist(), put[keep].tolist(), cost[keep].tolist()):
            found.append(Candidate(((i, 1.0), (j, 1.0)), c, partial(self.straddle, legs[i], legs[j])))  # type: ignore[arg-type]
        for s in self.stocks:
            for o in self.options:
                spu = self.shares_per_contract(legs[s], legs[o])
                if spu is not None:
                    kept = self._keep(self.stock_and_option(legs[s], legs[o], spu), ((s, spu), (o, 1.0)))
                    if kept is not None:
                        found.append(kept)
        return found

    def _cost_of(self, margin: np.ndarray, long_cost: np.ndarray, proceeds: np.ndarray) -> np.ndarray:
        """:meth:`Figures.cost` on arrays, operation for operation."""
        if self.net:
            return margin + long_cost - proceeds
        return margin + np.maximum(long_cost - proceeds, 0.0)

    def _arrays(self) -> _LegArrays:
        legs = self.legs
        deliverables: dict[tuple[str, float], int] = {}
        return _LegArrays(
            is_call=np.array([leg.position.is_call for leg in legs], dtype=bool),
            deliverable=np.array(
                [
                    deliverables.setdefault(
                        (leg.position.underlying, leg.position.multiplier), len(deliverables)
                    )
                    for leg in legs
                ],
                dtype=np.intp,
            ),
            expiry=np.array(
                [leg.expiry.toordinal() if not leg.is_stock else 0 for leg in legs], dtype=np.int64
            ),
            strike=np.array([leg.position.strike for leg in legs], dtype=float),
            multiplier=np.array([leg.position.multiplier for leg in legs], dtype=float),
            naked=np.array([leg.naked for leg in legs], dtype=float),
            value=np.array([leg.value for leg in legs], dtype=float),
            long_cost=np.array([leg.long_cost for leg in legs], dtype=float),
            alone=np.array([leg.standalone.cost(self.net) for leg in legs], dtype=float),
            capacity=np.array([leg.capacity for leg in legs], dtype=float),
        )

    def _partners(
        self, longs: list[int], shorts: list[int]
    ) -> Callable[[list[int], list[int]], list[np.ndarray]] | None:
        """Which legs each leg may pair with: all of them (None), or — on an underlying with more
        option legs than ``exhaustive_legs`` — the ``nearest_strikes`` nearest strikes of each expiry
        (a bounded search, said in a warning: the requirement may then exceed the true optimum)."""
        if len(longs) + len(shorts) <= self.r.exhaustive_legs:
            return None
        underlying = self.legs[0].position.underlying
        self.warnings.append(
            f"{underlying}: {len(longs) + len(shorts)} option legs; spreads and straddles were searched "
            f"among each leg's {self.r.nearest_strikes} nearest strikes per expiry, so the pairing may "
            "not be the optimum"
        )
        k = self.r.nearest_strikes
        strikes = np.array([leg.position.strike for leg in self.legs], dtype=float)
        expiries = [None if leg.is_stock else leg.expiry for leg in self.legs]

        def nearest(of: list[int], pool: list[int]) -> list[np.ndarray]:
            """For each leg of ``of``, the pool's legs nearest in strike per expiry (ties: the lower
            index), in index order."""
            by_expiry: dict[object, list[int]] = defaultdict(list)
            for other in pool:
                by_expiry[expiries[other]].append(other)
            here = strikes[of][:, None]
            chosen = []
            for group in by_expiry.values():
                members = np.array(group, dtype=np.intp)
                order = np.argsort(np.abs(strikes[members][None, :] - here), axis=1, kind="stable")[:, :k]
                chosen.append(members[order])
            rows = (
                np.sort(np.concatenate(chosen, axis=1), axis=1) if chosen else np.zeros((len(of), 0), np.intp)
            )
            return list(rows)

        return nearest

    def _composites(self) -> Iterator[Candidate | None]:
        """Condors, butterflies, boxes, collars, conversions, reversals; lazily, for the cap."""
        legs = self.legs
        by_series: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for i in self.options:
            p = legs[i].position
            by_series[(p.underlying, p.multiplier, p.expiry)].append(i)
        for series in by_series.values():
            calls = [i for i in series if legs[i].position.is_call]
            puts = [i for i in series if not legs[i].position.is_call]
            yield from self._condors(calls, puts)
            yield from self._butterflies(calls)
            yield from self._butterflies(puts)
            yield from self._long_condors(calls)
            yield from self._long_condors(puts)
            yield from self._boxes(calls, puts)
        yield from self._stock_triples()

    # --- option-only strategies ------------------------------------------------------------------

    def vertical(self, long: BookLeg, short: BookLeg) -> _Shape | None:
        """Spread (Cboe; FINRA 4210): same underlying, right and multiplier, the long
        expiring on or after the short. Debit spread (long at least as far in the money): pay the
        long, nothing on the short. Credit spread: the lesser of the short's naked requirement and
        the strike difference × multiplier."""
        lp, sp = long.position, short.position
        if lp.right != sp.right or not _same_deliverable(long, short):
            return None
        if self.r.long_expires_on_or_after_short and long.expiry < short.expiry:
            return None
        width = (lp.strike - sp.strike) if lp.is_call else (sp.strike - lp.strike)
        same_expiry = long.expiry == short.expiry
        if width > 0:
            name = "credit spread" if same_expiry else "diagonal credit spread"
            margin = min(short.naked, width * sp.multiplier)
            rule = (
                f"{name}: lesser of naked requirement and strike difference × {num(sp.multiplier)} × {{n}}"
                f" = min({money(short.naked)}, {num(width)} × {num(sp.multiplier)}) × {{n}}; long paid"
            )
            return _Shape(name, Figures(margin, long.long_cost, short.value), rule)
        if lp.strike == sp.strike:
            name = "offsetting long and short" if same_expiry else "calendar spread"
        else:
            name = "debit spread" if same_expiry else "diagonal debit spread"
        rule = f"{name}: long expires on or after the short: pay the long, no margin on the short; × {{n}}"
        return _Shape(name, Figures(0.0, long.long_cost, short.value), rule)

    def straddle(self, call: BookLeg, put: BookLeg) -> _Shape | None:
        """Short straddle or combination (Cboe): the greater of the two naked requirements plus
        the current value of the other option."""
        if not _same_deliverable(call, put) or (self.r.straddle_same_expiry and call.expiry != put.expiry):
            return None
        same = call.position.strike == put.position.strike and call.expiry == put.expiry
        name = "short straddle" if same else "short strangle"
        if call.naked >= put.naked:
            margin, which = call.naked + put.value, f"call {money(call.naked)} + put value {money(put.value)}"
        else:
            margin, which = put.naked + call.value, f"put {money(put.naked)} + call value {money(call.value)}"
        rule = f"{name}: greater naked requirement + value of the other side = {which}, × {{n}}"
        return _Shape(name, Figures(margin, 0.0, call.value + put.value), rule)

    def _condors(self, calls: list[int], puts: list[int]) -> Iterator[Candidate | None]:
        """Iron condor / iron butterfly (Cboe; tastytrade): a put credit spread below a call credit
        spread, one expiry; only one side can finish in the money, so the larger wing's width."""
        legs = self.legs
        put_spreads = [
            (a, b)
            for a in puts
            if legs[a].is_long
            for b in puts
            if not legs[b].is_long and legs[a].position.strike < legs[b].position.strike
        ]
        call_spreads = [
            (c, d)
            for c in calls
            if not legs[c].is_long
            for d in calls
            if legs[d].is_long and legs[c].position.strike < legs[d].position.strike
        ]
        for a, b in put_spreads:
            for c, d in call_spreads:
                la, lb, lc, ld = legs[a], legs[b], legs[c], legs[d]
                if lb.position.strike > lc.position.strike:
                    yield None
                    continue
                wp = lb.position.strike - la.position.strike
                wc = ld.position.strike - lc.position.strike
                if self.r.condor_equal_wings and wp != wc:
                    yield None
                    continue
                mult = lb.position.multiplier
                name = "iron butterfly" if lb.position.strike == lc.position.strike else "iron condor"
                unit = Figures(max(wp, wc) * mult, la.long_cost + ld.long_cost, lb.value + lc.value)
                rule = (
                    f"{name}: only one side can finish in the money: larger wing width × {num(mult)} × {{n}}"
                    f" = max({num(wp)}, {num(wc)}) × {num(mult)} × {{n}}"
                )
                parts = self._best_split((self.vertical(la, lb), self.vertical(ld, lc)))
                yield self._keep(_Shape(name, unit, rule), ((a, 1.0), (b, 1.0), (c, 1.0), (d, 1.0)), parts)

    def _butterflies(self, series: list[int]) -> Iterator[Candidate | None]:
        """Butterflies (IBKR; tastytrade): one right and expiry, equidistant strikes, body 2×.
        Long (long wings, short body): pay the net debit, no margin. Short (short wings, long
        body): the width of the credit leg × multiplier."""
        legs = self.legs
        by_strike: dict[tuple[float, bool], list[int]] = defaultdict(list)
        for i in series:
            by_strike[(round(legs[i].position.strike, 9), legs[i].is_long)].append(i)
        for a in series:
            for b in series:
                ka, kb = legs[a].position.strike, legs[b].position.strike
                if kb <= ka or legs[a].is_long == legs[b].is_long:
                    continue
                # equidistant: the far wing sits at 2 × body − near wing (rounded: 0.1 steps are inexact)
                for c in by_strike.get((round(2 * kb - ka, 9), legs[a].is_long), []):
                    yield self._butterfly(a, b, c)

    def _butterfly(self, a: int, b: int, c: int) -> Candidate | None:
        la, lb, lc = self.legs[a], self.legs[b], self.legs[c]
        mult = lb.position.multiplier
        width = lb.position.strike - la.position.strike
        if la.is_long:
            unit = Figures(0.0, la.long_cost + lc.long_cost, 2 * lb.value)
            shape = _Shape("long butterfly", unit, "long butterfly: pay the net debit, no margin; × {n}")
            parts = self._best_split((self.vertical(la, lb), self.vertical(lc, lb)))
        else:
            unit = Figures(width * mult, 2 * lb.long_cost, la.value + lc.value)
            rule = (
                f"short butterfly: width of the credit leg × {num(mult)} × {{n}}"
                f" = {num(width)} × {num(mult)} × {{n}}; body paid"
            )
            shape = _Shape("short butterfly", unit, rule)
            parts = self._best_split((self.vertical(lb, la), self.vertical(lb, lc)))
        return self._keep(shape, ((a, 1.0), (b, 2.0), (c, 1.0)), parts)

    def _long_condors(self, series: list[int]) -> Iterator[Candidate | None]:
        """Long condors (one right and expiry: long K1 < short K2 < short K3 < long K4) and long
        butterflies with unequal wings (K2 = K3; equal wings are :meth:`_butterflies`). The wings
        are the ``nearest_strikes`` longs below and above the short pair, so that the count grows
        with the square of the shorts, not the fourth power of the legs; on an underlying with more
        option legs than ``exhaustive_legs``, the nearest long on each side, and the second short
        among the ``nearest_strikes`` next ones."""
        legs = self.legs
        ordered = sorted(series, key=lambda i: (legs[i].position.strike, i))
        longs = [i for i in ordered if legs[i].is_long]
        shorts = [i for i in ordered if not legs[i].is_long]
        k = self.r.nearest_strikes
        wings = 1 if len(self.options) > self.r.exhaustive_legs else k
        for n, b in enumerate(shorts):
            kb = legs[b].position.strike
            below = [a for a in longs if legs[a].position.strike < kb][-wings:]
            for c in shorts[n : n + k] if wings == 1 else shorts[n:]:
                kc = legs[c].position.strike
                above = [d for d in longs if legs[d].position.strike > kc][:wings]
                for a in below:
                    for d in above:
                        yield self._long_condor(a, b, c, d)

    def _long_condor(self, a: int, b: int, c: int, d: int) -> Candidate | None:
        la, lb, lc, ld = (self.legs[x] for x in (a, b, c, d))
        k1, k2, k3, k4 = (leg.position.strike for leg in (la, lb, lc, ld))
        if (k2 - k1 == k4 - k3) if b == c else (self.r.long_condor_equal_wings and k2 - k1 != k4 - k3):
            return None  # an equal-winged butterfly is _butterflies'; unequal wings when the rule forbids
        call = la.position.is_call
        mult = lb.position.multiplier

        def payoff(s: float) -> float:  # per share at expiry, underlying at s
            value = (lambda k: max(s - k, 0.0)) if call else (lambda k: max(k - s, 0.0))
            return value(k1) - value(k2) - value(k3) + value(k4)

        loss = max(0.0, -min(payoff(k) for k in (k1, k2, k3, k4)))  # linear between strikes, flat beyond
        name = "long butterfly" if k2 == k3 else "long condor"
        unit = Figures(loss * mult, la.long_cost + ld.long_cost, lb.value + lc.value)
        rule = (
            f"{name}: longs paid; margin the greatest loss at expiry = {num(loss)} × {num(mult)} × {{n}}"
            f" (strikes {num(k1)}/{num(k2)}/{num(k3)}/{num(k4)})"
        )
        splits = [
            (self.vertical(la, lb), self.vertical(ld, lc)),
            (self.vertical(la, lc), self.vertical(ld, lb)),
        ]
        parts = self._best_split(*splits)
        uses = ((a, 1.0), (b, 2.0), (d, 1.0)) if b == c else ((a, 1.0), (b, 1.0), (c, 1.0), (d, 1.0))
        return self._keep(_Shape(name, unit, rule), uses, parts)

    def _boxes(self, calls: list[int], puts: list[int]) -> Iterator[Candidate | None]:
        """Box: a call spread and a put spread on the same two strikes. Long box (both debit):
        pay the debit. Short box (both credit): its width × multiplier, its maximum loss [L]."""
        legs = self.legs
        put_at: dict[tuple[float, bool], list[int]] = defaultdict(list)
        for k in puts:
            put_at[(legs[k].position.strike, legs[k].is_long)].append(k)
        for i in calls:
            for j in calls:
                ki, kj = legs[i].position.strike, legs[j].position.strike
                if not legs[i].is_long or legs[j].is_long or ki == kj:
                    continue
                for k in put_at.get((kj, True), []):
                    for m in put_at.get((ki, False), []):
                        yield self._box(i, j, k, m)

    def _box(self, i: int, j: int, k: int, m: int) -> Candidate | None:
        li, lj, lk, lm = (self.legs[x] for x in (i, j, k, m))
        mult = li.position.multiplier
        width = li.position.strike - lj.position.strike  # > 0: the long call is above the short: short box
        long_cost, proceeds = li.long_cost + lk.long_cost, lj.value + lm.value
        if width > 0:
            rule = f"short box: its width × {num(mult)} × {{n}} = {num(width)} × {num(mult)} × {{n}}"
            shape = _Shape("short box", Figures(width * mult, long_cost, proceeds), rule)
        else:
            shape = _Shape("long box", Figures(0.0, long_cost, proceeds), "long box: pay the debit; × {n}")
        parts = self._best_split((self.vertical(li, lj), self.vertical(lk, lm)))
        return self._keep(shape, ((i, 1.0), (j, 1.0), (k, 1.0), (m, 1.0)), parts)

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

    def stock_and_option(self, stock: BookLeg, option: BookLeg, spu: float) -> _Shape | None:
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
        """The requirement of ``spu`` shares of the stock, and the rule in words."""
        p = stock.position
        if stock.is_long:
            rate = long_stock_rate(self.r, self.basis, p.leverage)
            return rate * p.price * spu, f"{pct(rate)} × {num(spu)} shares × {money(p.price)}"
        per_share, text = short_stock_per_share(self.r, self.basis, p.price, p.leverage)
        return per_share * spu, f"short stock {text} × {num(spu)} shares"

    def covered_call(self, stock: BookLeg, call: BookLeg, spu: float) -> _Shape:
        """Covered call (Cboe): the stock's requirement; the call needs nothing, its proceeds may be
        applied. Maintenance: 25% of the stock valued at no more than the call strike."""
        s, c = stock.position, call.position
        if self.basis == "maintenance" and self.r.covered_call_at_most_strike:
            rate = long_stock_rate(self.r, self.basis, s.leverage)
            value = min(spu * s.price, c.strike * c.multiplier)
            margin, text = (
                rate * value,
                f"{pct(rate)} × stock valued at no more than the strike {money(value)}",
            )
        else:
            margin, text = self._stock_margin(stock, spu)
        return _Shape(
            "covered call",
            Figures(margin, 0.0, call.value),
            f"covered call: stock requirement {text}; the call needs nothing; × {{n}}",
        )

    def covered_put(self, stock: BookLeg, put: BookLeg, spu: float) -> _Shape:
        """Covered put (IBKR; moomoo): the short stock's requirement plus the put's in-the-money amount."""
        margin, text = self._stock_margin(stock, spu)
        extra = itm(put.position) * put.position.multiplier
        return _Shape(
            "covered put",
            Figures(margin + extra, 0.0, put.value),
            f"covered put: {text} + put in-the-money amount {money(extra)}; × {{n}}",
        )

    def protective_put(self, stock: BookLeg, put: BookLeg, spu: float) -> _Shape:
        """Protective put. Initial (Cboe): the stock's requirement, the put paid in full. Maintenance:
        the lesser of 10% × put strike + the put's out-of-the-money amount and 25% × stock value
        (the put's own value is not added: the formula covers the pair)."""
        s, p = stock.position, put.position
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return _Shape(
                "protective put",
                Figures(margin, put.long_cost, 0.0),
                f"protective put: stock {text}; put paid in full; × {{n}}",
            )
        strike_rate = self.r.levered(self.r.protective_put_strike_pct, s.leverage)
        stock_rate = self.r.levered(self.r.protective_put_stock_pct, s.leverage)
        hedged = p.multiplier * (strike_rate * p.strike + otm(p))
        plain = stock_rate * spu * s.price
        return _Shape(
            "protective put",
            Figures(min(hedged, plain)),
            f"protective put: lesser of {pct(strike_rate)} × put strike + put OTM and {pct(stock_rate)}"
            f" × stock value = min({money(hedged)}, {money(plain)}) × {{n}}",
        )

    def protective_call(self, stock: BookLeg, call: BookLeg, spu: float) -> _Shape:
        """Protective call. Initial: the short stock's requirement, the call paid in full.
        Maintenance: the lesser of 10% × call strike + the call's out-of-the-money amount and the
        short stock's maintenance requirement."""
        s, c = stock.position, call.position
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return _Shape(
                "protective call",
                Figures(margin, call.long_cost, 0.0),
                f"protective call: {text}; call paid in full; × {{n}}",
            )
        strike_rate = self.r.levered(self.r.protective_call_strike_pct, s.leverage)
        hedged = c.multiplier * (strike_rate * c.strike + otm(c))
        plain = short_stock_maintenance(self.r, s.price, s.leverage)[0] * spu
        return _Shape(
            "protective call",
            Figures(min(hedged, plain)),
            f"protective call: lesser of {pct(strike_rate)} × call strike + call OTM and short-stock"
            f" maintenance = min({money(hedged)}, {money(plain)}) × {{n}}",
        )

    def _stock_triples(self) -> Iterator[Candidate | None]:
        """Collars and conversions (long stock, long put, short call) and reversals (short stock,
        short put, long call at the put's strike and expiry)."""
        legs = self.legs
        puts = [i for i in self.options if not legs[i].position.is_call]
        calls = [i for i in self.options if legs[i].position.is_call]
        for s in self.stocks:
            stock = legs[s]
            for p in puts:
                for c in calls:
                    put, call = legs[p], legs[c]
                    if not _same_deliverable(put, call) or put.is_long == call.is_long:
                        continue
                    spu = self.shares_per_contract(stock, put)
                    if spu is None or put.is_long != stock.is_long:
                        yield None
                        continue
                    uses = ((s, spu), (p, 1.0), (c, 1.0))
                    if stock.is_long:
                        parts = self._best_split(
                            (self.covered_call(stock, call, spu), _alone_shape(put)),
                            (self.protective_put(stock, put, spu), _alone_shape(call)),
                        )
                        yield self._keep(self.collar(stock, put, call, spu), uses, parts)
                    elif _same_series(put, call):
                        parts = self._best_split(
                            (self.covered_put(stock, put, spu), _alone_shape(call)),
                            (self.protective_call(stock, call, spu), _alone_shape(put)),
                        )
                        yield self._keep(self.reversal(stock, put, call, spu), uses, parts)
                    else:
                        yield None

    def collar(self, stock: BookLeg, put: BookLeg, call: BookLeg, spu: float) -> _Shape:
        """Collar. Initial: the stock's requirement, the put paid, the call needs nothing.
        Maintenance: the lesser of 10% × put strike + put OTM amount and 25% × call strike.
        Conversion (same strike and expiry) at maintenance: 10% of the exercise price plus the short
        call's in-the-money amount [L] (IBKR, as quoted in QuantConnect Lean's tests: 5,303 =
        10% × 524 × 100 + (524.63 − 524) × 100), the mirror image of the reversal's put ITM amount."""
        s, p, c = stock.position, put.position, call.position
        conversion = _same_series(put, call)
        name = "conversion" if conversion else "collar"
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return _Shape(
                name,
                Figures(margin, put.long_cost, call.value),
                f"{name}: stock {text}; put paid in full; the call needs nothing; × {{n}}",
            )
        if conversion:
            rate = self.r.levered(self.r.conversion_strike_pct, s.leverage)
            extra = itm(c) * c.multiplier
            margin = rate * p.strike * p.multiplier + extra
            return _Shape(
                name,
                Figures(margin, 0.0, call.value),
                f"conversion: {pct(rate)} × exercise price × {num(p.multiplier)} + call in-the-money amount"
                f" {money(extra)} = {money(margin)} × {{n}}",
            )
        strike_rate = self.r.levered(self.r.collar_strike_pct, s.leverage)
        call_rate = self.r.levered(self.r.collar_call_strike_pct, s.leverage)
        hedged = p.multiplier * (strike_rate * p.strike + otm(p))
        capped = call_rate * c.strike * c.multiplier
        return _Shape(
            name,
            Figures(min(hedged, capped), 0.0, call.value),
            f"collar: lesser of {pct(strike_rate)} × put strike + put OTM and {pct(call_rate)} × call strike"
            f" = min({money(hedged)}, {money(capped)}) × {{n}}",
        )

    def reversal(self, stock: BookLeg, put: BookLeg, call: BookLeg, spu: float) -> _Shape:
        """Reverse conversion (short stock, short put, long call, same strike and expiry).
        Initial: as a covered put plus a long call. Maintenance: 10% of the exercise price plus
        the put's in-the-money amount [L]."""
        s, p = stock.position, put.position
        extra = itm(p) * p.multiplier
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return _Shape(
                "reversal",
                Figures(margin + extra, call.long_cost, put.value),
                f"reversal: {text} + put in-the-money amount {money(extra)}; call paid; × {{n}}",
            )
        rate = self.r.levered(self.r.conversion_strike_pct, s.leverage)
        margin = rate * p.strike * p.multiplier + extra
        return _Shape(
            "reversal",
            Figures(margin, 0.0, put.value),
            f"reversal: {pct(rate)} × exercise price × {num(p.multiplier)} + put in-the-money amount"
            f" = {money(margin)} × {{n}}",
        )


def _alone_shape(leg: BookLeg) -> _Shape:
    return _Shape("", leg.standalone, "")


def _same_deliverable(a: BookLeg, b: BookLeg) -> bool:
    """Options that can be paired: the same underlying and the same multiplier."""
    return a.position.underlying == b.position.underlying and a.position.multiplier == b.position.multiplier


def _same_series(put: BookLeg, call: BookLeg) -> bool:
    return put.position.strike == call.position.strike and put.expiry == call.expiry


@dataclass(frozen=True, slots=True)
class _LegArrays:
    """What the two-leg filter reads of each leg, as arrays indexed like the legs."""

    is_call: np.ndarray
    deliverable: np.ndarray  # one code per (underlying, multiplier)
    expiry: np.ndarray  # ordinal days
    strike: np.ndarray
    multiplier: np.ndarray
    naked: np.ndarray
    value: np.ndarray
    long_cost: np.ndarray
    alone: np.ndarray
    capacity: np.ndarray


def _pairs(
    first: list[int], pool: list[int], partners: Callable[[list[int], list[int]], list[np.ndarray]] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(leg of ``first``, partner in ``pool``) index arrays, in loop order: each leg of ``first``,
    then its partners in index order."""
    if not first or not pool:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    if partners is None:
        return np.repeat(np.array(first, np.intp), len(pool)), np.tile(np.array(pool, np.intp), len(first))
    sets = partners(first, pool)
    lengths = [len(x) for x in sets]
    return np.repeat(np.array(first, np.intp), lengths), np.concatenate(sets).astype(np.intp)
