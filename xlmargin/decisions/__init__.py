"""Margin decisions: what a trade does to the requirement, which positions use it, the hedge that
cuts it most, how far the market can move before a margin call, and the least to sell to meet one.

Each function takes a validated :class:`~xlmargin.positions.Portfolio` and
:class:`DecisionSettings` (from :func:`decision_settings`) and returns a result with a ``table()``.
The optimisers are exact linear or mixed-integer programs on the engines' own scenario P&L
(portfolio margin's risk arrays, the risk view's scenario matrix), solved by HiGHS through scipy,
and every optimiser's answer is re-computed by the engine and reported beside it.
"""

from xlmargin.decisions._common import DECISION_PARAMS, REGIMES, DecisionSettings, decision_settings
from xlmargin.decisions.contribution import ContributionResult, margin_contribution
from xlmargin.decisions.hedge import OBJECTIVES, Candidates, HedgeResult, hedge_optimize, read_candidates
from xlmargin.decisions.impact import ImpactResult, margin_impact
from xlmargin.decisions.liquidation import LiquidationResult, liquidation_plan
from xlmargin.decisions.margin_call import MarginCallResult, margin_call_move

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
    "liquidation_plan",
    "margin_call_move",
    "margin_contribution",
    "margin_impact",
    "read_candidates",
]
