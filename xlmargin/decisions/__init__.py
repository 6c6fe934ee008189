"""Margin decisions: what a trade does to the requirement, which positions use it, the hedge that
cuts it most, how far the market can move before a margin call, and the least to sell to meet one.

Each function takes a validated :class:`~xlmargin.positions.Portfolio` and
:class:`DecisionSettings` (from :func:`decision_settings`) and returns a result with a ``table()``.
The optimisers are exact linear or mixed-integer programs on the engines' own scenario P&L
(portfolio margin's risk arrays, the risk view's scenario matrix; for the liquidation plan also
Reg T's strategy pairing, one program over the sale and the pairing), solved by HiGHS through scipy,
and every optimiser's answer is re-computed by the engine and reported beside it.
"""

import importlib
from typing import Any

# What each public name is, by module: imported on first use, so that registering the CLI commands
# (and `import xlmargin.decisions`) does not load the engines and scipy.
_WHERE = {
    "DECISION_PARAMS": "xlmargin.decisions._common",
    "REGIMES": "xlmargin.decisions._common",
    "DecisionSettings": "xlmargin.decisions._common",
    "decision_settings": "xlmargin.decisions._common",
    "in_table": "xlmargin.decisions._common",
    "ContributionResult": "xlmargin.decisions.contribution",
    "margin_contribution": "xlmargin.decisions.contribution",
    "OBJECTIVES": "xlmargin.decisions.hedge",
    "Candidates": "xlmargin.decisions.candidates",
    "HedgeResult": "xlmargin.decisions.hedge",
    "hedge_optimize": "xlmargin.decisions.hedge",
    "read_candidates": "xlmargin.decisions.candidates",
    "ImpactResult": "xlmargin.decisions.impact",
    "margin_impact": "xlmargin.decisions.impact",
    "LiquidationResult": "xlmargin.decisions.liquidation",
    "liquidation_plan": "xlmargin.decisions.liquidation",
    "MarginCallResult": "xlmargin.decisions.margin_call",
    "margin_call_move": "xlmargin.decisions.margin_call",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'xlmargin.decisions' has no attribute '{name}'")


__all__ = [
    "DECISION_PARAMS",
    "OBJECTIVES",
    "REGIMES",
    "Candidates",
    "ContributionResult",
    "DecisionSettings",
    "HedgeResult",
    "ImpactResult",
    "LiquidationResult",
    "MarginCallResult",
    "decision_settings",
    "hedge_optimize",
    "in_table",
    "liquidation_plan",
    "margin_call_move",
    "margin_contribution",
    "margin_impact",
    "read_candidates",
]
