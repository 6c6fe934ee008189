"""Portfolio margin — FINRA Rule 4210(g), Cboe Rule 10.4, OCC TIMS — as one vectorised scan.

The regulatory minimum (margin-rules.md §2.7), every number read from ``rules/pm.toml``:

1. Class groups. Positions are grouped by ``class_group`` (the underlying, or its index basket:
   SPX, SPXW, XSP and SPY share "SPX"). Every member moves by the group's percentage.
2. Valuation points. The group's asset class picks its range (+6%/−8% high-cap broad indices,
   ±10% other broad indices, ±15% everything else, including bond, gold and currency ETFs);
   ``points_per_side`` equidistant moves up and as many down, no zero point. A leveraged ETF's
   group is scanned at range × |leverage| while the ETF is held: a line at quantity 0 (a closed
   position left in the sheet) widens nothing ([M], ``leveraged_etf``).
3. Revaluation. Stock and ETF lines move linearly: P&L = quantity × multiplier × price × move.
   Options are revalued by the one pricing kernel at the moved underlying with the same implied
   volatility and time to expiry — American for American style, European for European — with
   IV from the ``volatility`` column, or implied from the price. P&L = value at the point −
   value at no move. Each distinct contract is priced once: one kernel call for every
   (contract × point) pair.
4. Class requirement = max(0, −min over the points of the group's summed P&L).
5. Per-contract minimum: $0.375 × multiplier per option contract (netted per series), long or
   short, a long's capped at its market value; per class group (default) the requirement is the
   greater of the scenario loss and the minimum, per account the greater of the summed scenario
   requirements and the summed minimum (``minimum.scope``).
6. Product groups: at each point a class group's loss counts 100%, its gain × the group's
   offset; product requirement = max(0, −min over points). Standalone class groups add.
7. Currency: a row priced in another currency is converted to US dollars with its ``fx_rate``
   (:func:`xlmargin.instruments.in_usd`) in :func:`~xlmargin.pm.risk.risk_arrays`, which every
   path goes through (single calls, decisions, the batch), and for the bonds outside.
8. Outside portfolio margin: bonds by their Reg T rule (FINRA 4210(e)(2); convertibles like
   equity), added as separate lines.
   Futures, futures options, FX and CFDs are refused with their rows named; cash needs nothing.

House layers (a broker's model, off unless switched on): IV shifted up and down at each price
point, extreme moves counted at a cover fraction, a concentration scan that replaces the figure
when larger, and initial = a multiple of maintenance.

The scan runs in two steps (:mod:`xlmargin.pm.risk`): risk arrays that hold one unit's P&L per
row and point, then the account step on the quantity-weighted sums (:mod:`xlmargin.pm.aggregate`).
"""

from __future__ import annotations

import numpy as np

from xlmargin._typing import BoolArray
from xlmargin.house_bonds import regt_rules
from xlmargin.instruments import in_usd
from xlmargin.pm.result import OutsideResult, PMResult
from xlmargin.pm.risk import COVERED, IGNORED, OUTSIDE, REFUSED, holds, requirement, risk_arrays
from xlmargin.pm.settings import PMSettings
from xlmargin.positions import Portfolio
from xlmargin.rules import RuleSet


def pm_requirement(portfolio: Portfolio, settings: PMSettings, rules: RuleSet | None = None) -> PMResult:
    """The portfolio-margin requirement of ``portfolio`` (see the module docstring for the rule).

    ``rules`` defaults to the shipped ``pm.toml``; the settings' overrides (house sizes, the
    minimum's scope, product-group offsets) apply on top of it for this call only.
    """
    risk = risk_arrays(portfolio, settings, rules)
    bonds = np.logical_or.reduce([holds(portfolio, "type", kind) for kind in OUTSIDE])
    return requirement(risk, outside=_outside(portfolio, bonds, settings))


def _outside(portfolio: Portfolio, mask: BoolArray, settings: PMSettings) -> tuple[OutsideResult, ...]:
    """Bonds, margined by their FINRA 4210(e)(2) rule (convertibles like equity) through the Reg T engine,
    with the house bond table ``house.bonds`` chooses and the bond rule's [L] terms given
    (:func:`~xlmargin.house_bonds.regt_rules`).

    Maintenance basis; a bond class without a fixed-income rule is refused there, naming the row.
    """
    if not mask.any():
        return ()
    from xlmargin.regt import regt_margin  # loads the pairing solver only for books that hold bonds

    bonds = portfolio.select(mask)  # Reg T converts them: its text shows a face as the row gives it
    value = {p.row: p.market_value for p in in_usd(bonds)}
    result = regt_margin(
        bonds, basis="maintenance", rules=regt_rules(settings.house_bonds, settings.bond_terms)
    )
    return tuple(
        OutsideResult(g.legs[0].row, g.underlying, "bond", g.rule, value[g.legs[0].row], g.gross)
        for g in result.groups
    )


__all__ = ["COVERED", "IGNORED", "OUTSIDE", "REFUSED", "pm_requirement"]
