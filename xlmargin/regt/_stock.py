"""Strategies with the underlying: covered and protective positions, collars, conversions and
reversals (Cboe Rule 10.3, FINRA 4210(f)(2)); the rule in words beside each formula."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import repeat

from xlmargin.regt._formulas import (
    Figures,
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
from xlmargin.regt._shapes import Candidate, Shape, StrategyFilter, same_series


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
        """The requirement of ``spu`` shares of the stock, and the rule in words."""
        p = stock.position
        if stock.is_long:
            rate = long_stock_rate(self.r, self.basis, p.leverage)
            return rate * p.price * spu, f"{pct(rate)} × {num(spu)} shares × {money(p.price)}"
        per_share, text = short_stock_per_share(self.r, self.basis, p.price, p.leverage)
        return per_share * spu, f"short stock {text} × {num(spu)} shares"

    def covered_call(self, stock: BookLeg, call: BookLeg, spu: float) -> Shape:
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
        stock_rate = self.r.levered(self.r.protective_put_stock_pct, s.leverage)
        hedged = p.multiplier * (strike_rate * p.strike + otm(p))
        plain = stock_rate * spu * s.price
        return Shape(
            "protective put",
            Figures(min(hedged, plain)),
            f"protective put: lesser of {pct(strike_rate)} × put strike + put OTM and {pct(stock_rate)}"
            f" × stock value = min({money(hedged)}, {money(plain)}) × {{n}}",
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
        plain = short_stock_maintenance(self.r, s.price, s.leverage)[0] * spu
        return Shape(
            "protective call",
            Figures(min(hedged, plain)),
            f"protective call: lesser of {pct(strike_rate)} × call strike + call OTM and short-stock"
            f" maintenance = min({money(hedged)}, {money(plain)}) × {{n}}",
        )

    def _stock_triples(self) -> Iterator[Candidate | None]:
        """Collars and conversions (long stock, long put, short call) and reversals (short stock,
        short put, long call at the put's strike and expiry). Each put meets the calls of its
        deliverable on the other side, in index order; what a split into a two-leg strategy and a
        lone leg costs is worked out once per leg, not once per triple."""
        legs = self.legs
        puts = [i for i in self.options if not legs[i].position.is_call]
        others: dict[tuple[str, float, bool], list[int]] = defaultdict(list)
        for c in self.options:
            if legs[c].position.is_call:
                q = legs[c].position
                others[(q.underlying, q.multiplier, not legs[c].is_long)].append(c)
        alone = self.alone_cost
        for s in self.stocks:
            stock = legs[s]
            with_stock: dict[tuple[int, float], float] = {}  # a call's two-leg strategy with the stock
            for p in puts:
                put = legs[p]
                calls = others.get((put.position.underlying, put.position.multiplier, put.is_long), [])
                if not calls:
                    continue
                spu = self.shares_per_contract(stock, put)
                if spu is None or put.is_long != stock.is_long:
                    yield from repeat(None, len(calls))
                    continue
                if stock.is_long:
                    hedged = self._cost(self.protective_put(stock, put, spu))
                else:
                    hedged = self._cost(self.covered_put(stock, put, spu))
                for c in calls:
                    call = legs[c]
                    if not stock.is_long and not same_series(put, call):
                        yield None
                        continue
                    if (c, spu) not in with_stock:
                        pair = self.covered_call if stock.is_long else self.protective_call
                        with_stock[(c, spu)] = self._cost(pair(stock, call, spu))
                    # the cheaper split, as _best_split adds and compares them
                    parts = min(with_stock[(c, spu)] + alone[p], hedged + alone[c])
                    uses = ((s, spu), (p, 1.0), (c, 1.0))
                    shape = (
                        self.collar(stock, put, call, spu)
                        if stock.is_long
                        else self.reversal(stock, put, call, spu)
                    )
                    yield self._keep(shape, uses, parts)

    def collar(self, stock: BookLeg, put: BookLeg, call: BookLeg, spu: float) -> Shape:
        """Collar. Initial: the stock's requirement, the put paid, the call needs nothing.
        Maintenance: the lesser of 10% × put strike + put OTM amount and 25% × call strike.
        Conversion (same strike and expiry) at maintenance: 10% of the exercise price plus the short
        call's in-the-money amount [L] (IBKR, as quoted in QuantConnect Lean's tests: 5,303 =
        10% × 524 × 100 + (524.63 − 524) × 100), the mirror image of the reversal's put ITM amount."""
        s, p, c = stock.position, put.position, call.position
        conversion = same_series(put, call)
        name = "conversion" if conversion else "collar"
        if self.basis == "initial":
            margin, text = self._stock_margin(stock, spu)
            return Shape(
                name,
                Figures(margin, put.long_cost, call.value),
                f"{name}: stock {text}; put paid in full; the call needs nothing; × {{n}}",
            )
        if conversion:
            rate = self.r.levered(self.r.conversion_strike_pct, s.leverage)
            extra = itm(c) * c.multiplier
            margin = rate * p.strike * p.multiplier + extra
            return Shape(
                name,
                Figures(margin, 0.0, call.value),
                f"conversion: {pct(rate)} × exercise price × {num(p.multiplier)} + call in-the-money amount"
                f" {money(extra)} = {money(margin)} × {{n}}",
            )
        strike_rate = self.r.levered(self.r.collar_strike_pct, s.leverage)
        call_rate = self.r.levered(self.r.collar_call_strike_pct, s.leverage)
        hedged = p.multiplier * (strike_rate * p.strike + otm(p))
        capped = call_rate * c.strike * c.multiplier
        return Shape(
            name,
            Figures(min(hedged, capped), 0.0, call.value),
            f"collar: lesser of {pct(strike_rate)} × put strike + put OTM and {pct(call_rate)} × call strike"
            f" = min({money(hedged)}, {money(capped)}) × {{n}}",
        )

    def reversal(self, stock: BookLeg, put: BookLeg, call: BookLeg, spu: float) -> Shape:
        """Reverse conversion (short stock, short put, long call, same strike and expiry).
        Initial: as a covered put plus a long call. Maintenance: 10% of the exercise price plus
        the put's in-the-money amount [L]."""
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
        margin = rate * p.strike * p.multiplier + extra
        return Shape(
            "reversal",
            Figures(margin, 0.0, put.value),
            f"reversal: {pct(rate)} × exercise price × {num(p.multiplier)} + put in-the-money amount"
            f" = {money(margin)} × {{n}}",
        )
