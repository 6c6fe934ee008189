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
from functools import cached_property, partial
from typing import NamedTuple

import numpy as np

from xlmargin.regt._formulas import (
    Figures,
    RegTRules,
    money,
    num,
)
from xlmargin.regt._legs import BookLeg
from xlmargin.regt._shapes import TOLERANCE, Candidate, Candidates, Shape, same_deliverable
from xlmargin.regt._stock import (
    LegArrays,
    StockStrategies,
    cost_of,
    leg_arrays,
    stock_option_pairs,
    stock_triples,
)


class Enumerator(StockStrategies):
    """Builds the candidates of one underlying under one basis and one convention."""

    # --- enumeration -------------------------------------------------------------------------

    def candidates(self, pairs: _Pairs | None = None) -> Candidates:
        """The candidates, in canonical order; ``pairs``: this underlying's two-leg pairs and stock
        triples already filtered (by :func:`all_candidates`, for many underlyings at once)."""
        pairs = self._pairs(with_triples=False) if pairs is None else pairs
        found = self._two_leg(pairs)
        composites: list[Callable[[], Candidate | None]] = []
        # the cap counts every composite tried, kept or not, and is passed once one is tried beyond it
        room = max(self.r.max_candidates - len(found), 0)
        tried = 0
        for candidate in self._composites():
            tried += 1
            if tried > room:
                break
            if candidate is not None:
                composites.append(candidate)
        if tried <= room:  # the stock triples, tried last, count only while the cap holds
            tried += self.triple_count() if pairs.triples is None else len(pairs.triples.kept)
        if tried > room:
            underlying = self.legs[0].position.underlying
            self.warnings.append(
                f"{underlying}: more than {self.r.max_candidates:,} strategy candidates; only two-leg "
                "strategies (spreads, straddles, stock with one option) were recognised, so the "
                "requirement may be higher than the optimal pairing's"
            )
            return found
        # the composites priced only now that the cap is known to hold (in the order found)
        found.extend([c for c in (make() for make in composites) if c is not None])
        self._add_triples(found, pairs.triples if pairs.triples is not None else self._stock_triples())
        return found

    def _pairs(self, *, with_triples: bool = True) -> _Pairs:
        """This underlying's two-leg pairs and (or not: they may be past the cap) its stock triples,
        filtered on arrays."""
        longs, shorts, calls, puts = self._sides()
        partners = self._partners(longs, shorts)
        triples = self.triples() if with_triples else None
        return _filter(
            self._arrays,
            _pairs(shorts, longs, partners),
            _pairs(calls, puts, partners),
            _stock_pairs(self.stocks, self.options),
            None if triples is None else _triples(triples),
            self.r,
            self.basis,
            self.net,
        )

    def _stock_triples(self) -> _Triples:
        """This underlying's stock triples, filtered on arrays."""
        triples = _triples(self.triples())
        return _Triples(*triples, *stock_triples(self._arrays, *triples, self.r, self.basis, self.net))

    @cached_property
    def _arrays(self) -> LegArrays:
        """The legs as arrays, read once: the pairs and (past the cap's count) the stock triples read them."""
        return leg_arrays(self.legs, self.alone_cost, self.r, self.basis)

    def _two_leg(self, pairs: _Pairs | None = None) -> Candidates:
        """Spreads, straddles and stock with one option. The pairs are filtered column-wise (the
        same formulas as :meth:`vertical`, :meth:`straddle` and :meth:`stock_and_option`, on
        arrays) and only the pairs kept are built, in the order of the loops they replace: each
        short, then its partners; each stock, then each option."""
        pairs = self._pairs() if pairs is None else pairs
        found = Candidates()
        # the masks are the methods' own conditions, so each kept pair's shape is not None
        found.add_pairs(pairs.long, pairs.short, pairs.spread_cost, self._pair_shape(self.vertical))
        found.add_pairs(pairs.call, pairs.put, pairs.straddle_cost, self._pair_shape(self.straddle))
        found.add_pairs(pairs.stock, pairs.option, pairs.stock_cost, self._stock_shape, pairs.shares)
        return found

    def _add_triples(self, found: Candidates, t: _Triples) -> None:
        """The collars, conversions and reversals that :func:`stock_triples` kept, in loop order,
        added to ``found`` as arrays (``triple_shape`` names one)."""
        kept = np.flatnonzero(t.kept)
        one = np.ones(len(kept))
        found.add_arrays((t.stock[kept], t.put[kept], t.call[kept]), (t.shares[kept], one, one), t.cost[kept],
                         self.triple_shape)  # fmt: skip

    def _stock_shape(self, s: int, o: int) -> Shape:
        """:meth:`stock_and_option` of two legs by their indices (for pairs it kept: never None)."""
        stock, option = self.legs[s], self.legs[o]
        spu = self.shares_per_contract(stock, option)
        return self.stock_and_option(stock, option, spu)  # type: ignore[arg-type,return-value]

    def _sides(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """The long options, the short ones, and the short calls and short puts, in index order."""
        legs = self.legs
        longs = [i for i in self.options if legs[i].is_long]
        shorts = [i for i in self.options if not legs[i].is_long]
        calls = [i for i in shorts if legs[i].position.is_call]
        return longs, shorts, calls, [k for k in shorts if not legs[k].position.is_call]

    def _pair_shape(self, shape: Callable[[BookLeg, BookLeg], Shape | None]) -> Callable[[int, int], Shape]:
        """``shape`` of two legs by their indices (for pairs its own conditions kept: never None)."""
        legs = self.legs
        return lambda i, j: shape(legs[i], legs[j])  # type: ignore[return-value]

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

    def _composites(self) -> Iterator[Callable[[], Candidate | None] | None]:
        """Condors, butterflies and boxes; lazily, for the cap: a composite comes as the call that
        prices it, made once the cap is known to hold (None: a combination that is not one). The
        stock triples (collars, conversions, reversals) come after them, from :func:`stock_triples`."""
        legs = self.legs
        by_series: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for i in self.options:
            p = legs[i].position
            by_series[(p.underlying, p.multiplier, p.expiry)].append(i)
        for series in by_series.values():
            if len(series) < 3:
                continue  # every composite holds three legs of a series or more; most series have one
            calls = [i for i in series if legs[i].position.is_call]
            puts = [i for i in series if not legs[i].position.is_call]
            both = len(calls) >= 2 and len(puts) >= 2  # a condor's or a box's two spreads
            if both:
                yield from self._condors(calls, puts)
            for legs_of_right in (calls, puts):  # three legs of one right: a butterfly's
                if len(legs_of_right) >= 3:
                    yield from self._butterflies(legs_of_right)
            for legs_of_right in (calls, puts):
                if len(legs_of_right) >= 3:  # two wings and a body (of one leg or two)
                    yield from self._long_condors(legs_of_right)
            if both:
                yield from self._boxes(calls, puts)

    # --- option-only strategies ------------------------------------------------------------------

    def vertical(self, long: BookLeg, short: BookLeg) -> Shape | None:
        """Spread (Cboe; FINRA 4210): same underlying, right and multiplier, the long
        expiring on or after the short. Debit spread (long at least as far in the money): pay the
        long, nothing on the short. Credit spread: the lesser of the short's naked requirement and
        the strike difference × multiplier."""
        lp, sp = long.position, short.position
        if lp.right != sp.right or not same_deliverable(long, short):
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
            return Shape(name, Figures(margin, long.long_cost, short.value), rule)
        if lp.strike == sp.strike:
            name = "offsetting long and short" if same_expiry else "calendar spread"
        else:
            name = "debit spread" if same_expiry else "diagonal debit spread"
        rule = f"{name}: long expires on or after the short: pay the long, no margin on the short; × {{n}}"
        return Shape(name, Figures(0.0, long.long_cost, short.value), rule)

    def straddle(self, call: BookLeg, put: BookLeg) -> Shape | None:
        """Short straddle or combination (Cboe): the greater of the two naked requirements plus
        the current value of the other option (each leg's own, a house's included: ``standalone``)."""
        if not same_deliverable(call, put) or (self.r.straddle_same_expiry and call.expiry != put.expiry):
            return None
        same = call.position.strike == put.position.strike and call.expiry == put.expiry
        name = "short straddle" if same else "short strangle"
        c, q = call.standalone.margin, put.standalone.margin
        if c >= q:
            margin, which = c + put.value, f"call {money(c)} + put value {money(put.value)}"
        else:
            margin, which = q + call.value, f"put {money(q)} + call value {money(call.value)}"
        rule = f"{name}: greater naked requirement + value of the other side = {which}, × {{n}}"
        return Shape(name, Figures(margin, 0.0, call.value + put.value), rule)

    def _condors(self, calls: list[int], puts: list[int]) -> Iterator[Callable[[], Candidate | None] | None]:
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
                yield partial(self._condor, a, b, c, d)

    def _condor(self, a: int, b: int, c: int, d: int) -> Candidate | None:
        la, lb, lc, ld = (self.legs[x] for x in (a, b, c, d))
        wp = lb.position.strike - la.position.strike
        wc = ld.position.strike - lc.position.strike
        mult = lb.position.multiplier
        name = "iron butterfly" if lb.position.strike == lc.position.strike else "iron condor"
        unit = Figures(max(wp, wc) * mult, la.long_cost + ld.long_cost, lb.value + lc.value)
        rule = (
            f"{name}: only one side can finish in the money: larger wing width × {num(mult)} × {{n}}"
            f" = max({num(wp)}, {num(wc)}) × {num(mult)} × {{n}}"
        )
        parts = self._best_split((self.vertical(la, lb), self.vertical(ld, lc)))
        return self._keep(Shape(name, unit, rule), ((a, 1.0), (b, 1.0), (c, 1.0), (d, 1.0)), parts)

    def _butterflies(self, series: list[int]) -> Iterator[Callable[[], Candidate | None]]:
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
                    yield partial(self._butterfly, a, b, c)

    def _butterfly(self, a: int, b: int, c: int) -> Candidate | None:
        la, lb, lc = self.legs[a], self.legs[b], self.legs[c]
        mult = lb.position.multiplier
        width = lb.position.strike - la.position.strike
        if la.is_long:
            unit = Figures(0.0, la.long_cost + lc.long_cost, 2 * lb.value)
            shape = Shape("long butterfly", unit, "long butterfly: pay the net debit, no margin; × {n}")
            parts = self._best_split((self.vertical(la, lb), self.vertical(lc, lb)))
        else:
            unit = Figures(width * mult, 2 * lb.long_cost, la.value + lc.value)
            rule = (
                f"short butterfly: width of the credit leg × {num(mult)} × {{n}}"
                f" = {num(width)} × {num(mult)} × {{n}}; body paid"
            )
            shape = Shape("short butterfly", unit, rule)
            parts = self._best_split((self.vertical(lb, la), self.vertical(lb, lc)))
        return self._keep(shape, ((a, 1.0), (b, 2.0), (c, 1.0)), parts)

    def _long_condors(self, series: list[int]) -> Iterator[Callable[[], Candidate | None]]:
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
                        yield partial(self._long_condor, a, b, c, d)

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
        return self._keep(Shape(name, unit, rule), uses, parts)

    def _boxes(self, calls: list[int], puts: list[int]) -> Iterator[Callable[[], Candidate | None]]:
        """Box: a call spread and a put spread on the same two strikes. Long box (both debit):
        pay the debit. Short box (both credit): its width × multiplier, its maximum loss [L]; not
        recognised when ``box.short_recognised`` is false (then two credit spreads)."""
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
                        yield partial(self._box, i, j, k, m)

    def _box(self, i: int, j: int, k: int, m: int) -> Candidate | None:
        li, lj, lk, lm = (self.legs[x] for x in (i, j, k, m))
        mult = li.position.multiplier
        width = li.position.strike - lj.position.strike  # > 0: the long call is above the short: short box
        long_cost, proceeds = li.long_cost + lk.long_cost, lj.value + lm.value
        if width > 0 and not self.r.short_box_recognised:
            return None  # the rule file does not recognise a short box: its two spreads stand alone
        if width > 0:
            rule = f"short box: its width × {num(mult)} × {{n}} = {num(width)} × {num(mult)} × {{n}}"
            shape = Shape("short box", Figures(width * mult, long_cost, proceeds), rule)
        else:
            shape = Shape("long box", Figures(0.0, long_cost, proceeds), "long box: pay the debit; × {n}")
        parts = self._best_split((self.vertical(li, lj), self.vertical(lk, lm)))
        return self._keep(shape, ((i, 1.0), (j, 1.0), (k, 1.0), (m, 1.0)), parts)


class _Pairs(NamedTuple):
    """Two-leg pairs kept as candidates, legs numbered within their underlying: spreads (long,
    short), short straddles or strangles (call, put) and stock with an option (stock, option, the
    shares that cover one contract), each with its cost."""

    long: np.ndarray
    short: np.ndarray
    spread_cost: np.ndarray
    call: np.ndarray
    put: np.ndarray
    straddle_cost: np.ndarray
    stock: np.ndarray
    option: np.ndarray
    shares: np.ndarray
    stock_cost: np.ndarray
    triples: _Triples | None = None  # None: not filtered yet


class _Triples(NamedTuple):
    """Every (stock, put, call) triple tried (the cap counts them), whether it is kept as a
    candidate, its shares of stock per unit and its cost."""

    stock: np.ndarray
    put: np.ndarray
    call: np.ndarray
    kept: np.ndarray
    shares: np.ndarray
    cost: np.ndarray

    def part(self, start: int, end: int, offset: int) -> _Triples:
        """The triples ``start:end``, their legs less ``offset``."""
        legs = (self.stock[start:end] - offset, self.put[start:end] - offset, self.call[start:end] - offset)
        return _Triples(*legs, self.kept[start:end], self.shares[start:end], self.cost[start:end])


def all_candidates(enumerators: list[Enumerator]) -> list[Candidates]:
    """Each enumerator's :meth:`Enumerator.candidates` (one basis and convention for all), the
    option pairs of the underlyings searched exhaustively filtered in one pass over all of them
    (the same formulas on the same numbers, element by element: the same pairs and costs).

    Those pairs are listed for all the underlyings at once, from the book-wide leg arrays
    (:func:`_grouped_pairs`), in the order the per-underlying loops list them: a first call meets
    hundreds of small underlyings, where a few numpy calls each cost more than the pairs they list.
    """
    pairs: list[_Pairs | None] = [None] * len(enumerators)
    # every pair, no warning: longs and shorts are all the options
    batch = [(k, e) for k, e in enumerate(enumerators) if len(e.options) <= e.r.exhaustive_legs]
    if batch:
        sizes = [len(e.legs) for _, e in batch]
        offsets = np.cumsum([0, *sizes])
        legs = [leg for _, e in batch for leg in e.legs]
        alone = [cost for _, e in batch for cost in e.alone_cost]
        first = batch[0][1]
        arrays = leg_arrays(legs, alone, first.r, first.basis)
        group = np.repeat(np.arange(len(batch)), sizes)  # each leg's underlying
        option = ~arrays.is_stock
        longs, shorts = np.flatnonzero(option & arrays.is_long), np.flatnonzero(option & ~arrays.is_long)
        calls, puts = (
            np.flatnonzero(option & ~arrays.is_long & arrays.is_call),
            np.flatnonzero(option & ~arrays.is_long & ~arrays.is_call),
        )
        stocks, options = np.flatnonzero(arrays.is_stock), np.flatnonzero(option)
        triples = _grouped_triples(arrays, stocks, group, len(batch))
        found = _filter(
            arrays,
            _grouped_pairs(shorts, longs, group, len(batch)),
            _grouped_pairs(calls, puts, group, len(batch)),
            _grouped_pairs(stocks, options, group, len(batch)),
            triples,
            first.r,
            first.basis,
            first.net,
        )

        def bounds(legs_kept: np.ndarray) -> np.ndarray:
            """Where each underlying's kept pairs start and end (``legs_kept``: their first legs)."""
            per = np.bincount(np.searchsorted(offsets, legs_kept, "right") - 1, minlength=len(batch))
            return np.cumsum([0, *per])

        spreads, straddle, stock = bounds(found.short), bounds(found.call), bounds(found.stock)
        tried = np.cumsum([0, *np.bincount(group[triples[0]], minlength=len(batch))])
        assert found.triples is not None  # filtered with the pairs
        for n, (k, _) in enumerate(batch):  # each underlying's legs renumbered from zero
            a, b, c, d, o = spreads[n], spreads[n + 1], straddle[n], straddle[n + 1], offsets[n]
            e, f, g, h = stock[n], stock[n + 1], tried[n], tried[n + 1]
            pairs[k] = _Pairs(
                found.long[a:b] - o, found.short[a:b] - o, found.spread_cost[a:b],
                found.call[c:d] - o, found.put[c:d] - o, found.straddle_cost[c:d],
                found.stock[e:f] - o, found.option[e:f] - o, found.shares[e:f], found.stock_cost[e:f],
                found.triples.part(g, h, o),
            )  # fmt: skip
    return [e.candidates(p) for e, p in zip(enumerators, pairs)]


def _grouped_pairs(
    first: np.ndarray,
    pool: np.ndarray,
    group: np.ndarray,
    groups: int,
    pool_group: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(leg of ``first``, partner in ``pool`` of the same underlying) index arrays for many
    underlyings at once, legs numbered book-wide (both increasing, so grouped by underlying): per
    underlying, each leg of ``first`` then every partner in index order, as :func:`_pairs` lists
    one underlying's (without a partner search), the underlyings one after the other. ``group``:
    each leg's underlying; ``pool_group``: each member of ``pool``'s, if not ``group[pool]``
    (a pool of pairs, grouped too)."""
    in_pool = np.bincount(group[pool] if pool_group is None else pool_group, minlength=groups)
    pool_start = np.cumsum(in_pool) - in_pool
    per = in_pool[group[first]]  # the partners of each leg of first
    within = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    partner = pool[np.repeat(pool_start[group[first]], per) + within]
    return np.repeat(first, per).astype(np.intp), partner.astype(np.intp)


def _filter(
    a: LegArrays,
    verticals: tuple[np.ndarray, np.ndarray],
    straddles: tuple[np.ndarray, np.ndarray],
    with_stock: tuple[np.ndarray, np.ndarray],
    triples: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    r: RegTRules,
    basis: str,
    net: bool,
) -> _Pairs:
    """The (short, long), (short call, short put) and (stock, option) pairs that are candidates,
    with their costs: :meth:`Enumerator.vertical`, :meth:`Enumerator.straddle` and
    :func:`stock_option_pairs` on arrays, operation for operation."""
    short, long = verticals
    keep = a.is_call[long] == a.is_call[short]
    keep &= (a.deliverable[long] == a.deliverable[short]) & (a.capacity[long] >= 1.0 - 1e-9)
    keep &= a.capacity[short] >= 1.0 - 1e-9
    if r.long_expires_on_or_after_short:
        keep &= a.expiry[long] >= a.expiry[short]
    width = np.where(a.is_call[long], a.strike[long] - a.strike[short], a.strike[short] - a.strike[long])
    margin = np.where(width > 0, np.minimum(a.naked[short], width * a.multiplier[short]), 0.0)
    cost = cost_of(net, margin, a.long_cost[long], a.value[short])
    keep &= ~(cost > a.alone[long] + a.alone[short] + TOLERANCE)
    call, put = straddles
    both = (a.deliverable[call] == a.deliverable[put]) & (a.capacity[call] >= 1.0 - 1e-9)
    both &= a.capacity[put] >= 1.0 - 1e-9
    if r.straddle_same_expiry:
        both &= a.expiry[call] == a.expiry[put]
    margin = np.where(
        a.naked_alone[call] >= a.naked_alone[put],
        a.naked_alone[call] + a.value[put],
        a.naked_alone[put] + a.value[call],
    )
    pair_cost = cost_of(net, margin, np.zeros(len(call)), a.value[call] + a.value[put])
    both &= ~(pair_cost > a.alone[call] + a.alone[put] + TOLERANCE)
    stock, option, shares, stock_cost = stock_option_pairs(a, *with_stock, r, basis, net)
    pairs = _Pairs(
        long[keep], short[keep], cost[keep], call[both], put[both], pair_cost[both],
        stock, option, shares, stock_cost,
    )  # fmt: skip
    if triples is None:
        return pairs
    return pairs._replace(triples=_Triples(*triples, *stock_triples(a, *triples, r, basis, net)))


def _triples(triples: tuple[list[int], list[int], list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stock, put, call) index lists as arrays."""
    stocks, puts, calls = (np.array(legs, dtype=np.intp) for legs in triples)
    return stocks, puts, calls


def _grouped_triples(
    a: LegArrays, stocks: np.ndarray, group: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`StockStrategies.triples` of many underlyings at once, as (stock, put, call) index
    arrays, legs numbered book-wide: per underlying, each stock, then each put, then the calls of
    the put's deliverable on the other side, in index order (the same triples in the same order)."""
    option = ~a.is_stock
    put, call = _grouped_pairs(
        np.flatnonzero(option & ~a.is_call), np.flatnonzero(option & a.is_call), group, groups
    )
    keep = (a.deliverable[put] == a.deliverable[call]) & (a.is_long[put] != a.is_long[call])
    put, call = put[keep], call[keep]
    stock, pair = _grouped_pairs(stocks, np.arange(len(put), dtype=np.intp), group, groups, group[put])
    return stock, put[pair], call[pair]


def _stock_pairs(stocks: list[int], options: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(stock, option) index arrays in loop order: each stock, then each option."""
    return np.repeat(np.array(stocks, np.intp), len(options)), np.tile(
        np.array(options, np.intp), len(stocks)
    )


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
