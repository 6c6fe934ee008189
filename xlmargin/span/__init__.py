"""Futures margin, SPAN-style: CME's Standard Portfolio Analysis of Risk, step by step.

The rule (margin-rules.md §4, CME SPAN methodology), per **combined commodity** (every future and
option on future of one root, e.g. ES):

1. **Risk array.** Each position is revalued in 16 scenarios: the futures price unchanged, up and down
   1/3, 2/3 and 3/3 of the *price scan range*, each with volatility up and down by the *volatility
   scan range* (14 scenarios), plus two *extreme* moves of ``extreme_multiple`` × the range with
   volatility unchanged, of which only ``extreme_cover`` counts. A future's P&L is
   ``qty × fraction × scan`` (the scan range is in dollars per contract); an option's is
   ``qty × point_value × (V(F + move, T − lookahead, σ·(1 ± vol_scan)) − V(F, T, σ))`` with the
   Black-76 kernel (:func:`xlmargin.pricing.option_price`, ``on_future=True``; European unless the
   row says American), so time decay to the next day is in every scenario.
2. **Scanning risk** = the worst loss of the *summed* array: ``max(0, −min_s Σ_positions pnl[s])``.
3. **Intra-commodity (calendar) spread charge.** The scan treats all months as perfectly correlated,
   so spreads between long and short months are charged: net deltas per contract month, spreads
   within a tier = ``min(long deltas, short deltas)`` at the tier's charge, then spreads between
   tiers in priority order = ``min(|net_a|, |net_b|)`` when the signs differ, at that pair's charge.
   An untiered product is one tier covering every month.
4. **Inter-commodity spread credit.** For each recognised spread, in priority order, spreads are
   formed on the commodities' remaining net deltas at the ratio ``a:b`` (``n = min(|Δa|/a, |Δb|/b)``,
   legs of opposite sign; a spread of more than two legs gives each leg a side, A or B, the A legs of
   one sign and the B legs of the other, and ``n`` is the least over its legs), and each leg gets back
   ``credit × n × ratio × weighted futures price risk`` (``credit`` one rate, or one per leg), the
   price risk per delta: ``(scanning risk − time risk − volatility risk) / |net delta|``, where time
   risk is the average loss of scenarios 1-2 and volatility risk half their difference (SPAN's
   "weighted futures price risk" as this module reads CME's description; not in margin-rules.md).
   For futures alone it is the scan range per contract, i.e. the outright margin CME's example uses.
   **No credit when a leg is in delivery** (margin-rules.md §4): a future of a physically delivered
   product is in delivery from the start of its delivery period, ``rules/span.toml`` ``[delivery]``
   (the first business day of the contract month, Monday to Friday; parameter ``delivery.ZC``), and
   its contracts count unspread. They offset the commodity's other months first, so a spread forms
   only on the net delta held beyond them (at most what the other months hold), and its credit is
   still that share of the commodity's price risk per net delta. A product not in ``[delivery]``
   (cash-settled, e.g. ES, NQ) has no delivery period; an option is never in delivery (CME's options
   on delivered futures expire the month before). A delivered future without a contract month, in a
   spread the book could form, is a :class:`~xlmargin.errors.MissingDataError` naming its row.
5. **Short option minimum**: the commodity's risk is at least ``rate × short option contracts``.
6. ``maintenance = Σ max(scanning + intra − credit, short option minimum)``;
   ``initial = maintenance × 110%`` for heightened-risk-profile (speculator) accounts, 100% otherwise
   (CME advisory 23-376).

**Contract months** come from the exchange month code of the symbol (``ESZ6``, ``ZNH27``: root,
month letter F..Z, year). A future's ``expiry`` cell, when given, is its last trading day, which is
not always in the contract month (CL's is in the month before), so it is not read as one; an
option's month is its underlying future's, else its own expiry month. A symbol without a code
(``ES``) is a month of its own. A tiered product needs the month, and so does a delivered future in
an inter-commodity spread (above); an untiered one otherwise only uses it to find calendar spreads.

Risk arrays here are P&L, gains positive (as McMillan prints them); CME's own files print losses
positive. Not modelled: delivery-month (spot) charges (margin-rules.md §4 names them but gives no
rate or formula; calendar spread charges are unchanged in the delivery month for the same reason),
tiered inter-commodity spreads, and the net option value's effect on funds (it is reported, not
deducted: the account's equity already holds the options at market).

The parameters (scan ranges, volatility scans, spread charges and credits, short option minimums)
are EXAMPLE magnitudes in ``rules/span.toml``; users override them from the parameter range
(``scan.ES=22000``, ``inter.ES-NQ=0.85``). The building blocks :func:`scanning_risk`,
:func:`calendar_spread_margin` and :func:`inter_spread_credit` expose the published arithmetic on
its own.
"""

from __future__ import annotations

from xlmargin.span.arithmetic import (
    Scenario,
    calendar_spread_margin,
    inter_spread_credit,
    scanning_risk,
    scenarios,
)
from xlmargin.span.engine import FUTURES_TYPES, futures_margin
from xlmargin.span.months import MONTH_CODES
from xlmargin.span.result import CommodityLine, InterSpreadResult, SpanResult
from xlmargin.span.settings import (
    BASES,
    SPAN_PARAMS,
    InterSpread,
    Product,
    SpanSettings,
    Tier,
    TierSpread,
    span_params,
    span_settings,
)

__all__ = [
    "BASES",
    "FUTURES_TYPES",
    "MONTH_CODES",
    "SPAN_PARAMS",
    "CommodityLine",
    "InterSpread",
    "InterSpreadResult",
    "Product",
    "Scenario",
    "SpanResult",
    "SpanSettings",
    "Tier",
    "TierSpread",
    "calendar_spread_margin",
    "futures_margin",
    "inter_spread_credit",
    "scanning_risk",
    "scenarios",
    "span_params",
    "span_settings",
]
