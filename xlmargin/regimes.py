"""The parameters each regime's engine reads, for the commands that refuse a ``--param`` no regime
they compute uses (``batch``, and ``whatif``, ``hedge`` and ``plan``, which compute several).

The engines are imported where a regime is asked for, so that importing this module loads none.
"""

from __future__ import annotations

from xlmargin.house_bonds import HOUSE_BONDS
from xlmargin.params import AS_OF, Param


def regime_params(regime: str) -> tuple[Param, ...]:
    """The parameters ``regime``'s engine reads: ``pm`` (portfolio margin), ``futures`` (SPAN, its
    basis included), ``account`` (the account view: its own choices and every segment engine's) or
    ``risk`` (the risk view). Reg T (``regt``, ``regt_maintenance``) prices nothing and reads the
    valuation date and ``house.bonds``: its basis and convention are the caller's choice (``batch``
    takes them as parameters)."""
    if regime in ("regt", "regt_maintenance"):
        return (AS_OF, HOUSE_BONDS)
    if regime == "pm":
        from xlmargin.pm import PM_PARAMS

        return PM_PARAMS
    if regime == "futures":
        from xlmargin.span import SPAN_PARAMS

        return SPAN_PARAMS
    if regime == "account":
        from xlmargin.account import ACCOUNT_PARAMS

        return ACCOUNT_PARAMS
    if regime == "risk":
        from xlmargin.stress import STRESS_PARAMS

        return STRESS_PARAMS
    raise ValueError(f"no regime '{regime}'")  # a programming error: callers check the regime first
