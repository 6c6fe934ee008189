"""Reg T's ``house.bonds`` parameter, read one way by every path that computes Reg T.

``house.bonds`` chooses a broker's house table for Treasuries over FINRA 4210(e)(2)'s bond minimum
(``regt.toml [house_bonds.*]``; the greater of the two applies, margin-rules.md §0.5, §1.8).
:data:`HOUSE_BONDS` is its one spec, :func:`regt_rules` the one rule set it chooses: REGT_MARGIN
and REGT_BREAKDOWN, the account view (its securities segment under Reg T), the decisions' ``regt``
regimes, MAX_NOTIONAL and the batch all take it from here, and so do the bonds portfolio margin
leaves outside (margined by the Reg T engine's bond rule: ``PMSettings.house_bonds``).

This module loads the rule file and nothing else, so the worksheet layer may import it at start-up.
"""

from __future__ import annotations

from functools import cache

from xlmargin import rules
from xlmargin.params import Param

HOUSE_BONDS = Param(
    "house.bonds",
    "choice",
    "none",
    "a broker's house table for Treasuries over FINRA 4210(e)(2)'s bond minimum, the greater applying "
    "(regt.toml [house_bonds.*]; Reg T, and the bonds portfolio margin margins outside): none "
    "(default, FINRA's alone) or ibkr (IBKR's 1/2/3/4/5/7/9% by maturity)",
    choices=("none", *rules.load("regt")["house_bonds"]),
)


@cache
def regt_rules(house: str = "none") -> rules.RuleSet:
    """The Reg T rule set with ``house.bonds`` set to ``house``: the shipped one for ``none``. Made
    once per house, so every path pairs under the very same rules (and shares the pairing cache)."""
    shipped = rules.load("regt")
    return shipped if house == "none" else shipped.with_overrides({"house.bonds": house})
