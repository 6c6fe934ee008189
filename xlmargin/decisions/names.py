"""The choices the decisions accept, kept apart from the engines so the command line can offer them
without loading the engines."""

IMPACT_REGIMES = ("regt", "regt_maintenance", "pm", "futures", "account", "risk")
LINEAR_REGIMES = ("pm", "risk")  # what the optimisers and contributions solve as linear programs
PLAN_REGIMES = (*LINEAR_REGIMES, "regt", "regt_maintenance")  # LIQUIDATION_PLAN's choices
OBJECTIVES = (*LINEAR_REGIMES, "regt", "regt_maintenance", "account")  # what the hedge optimiser minimises
CONTRIBUTION_REGIMES = ("regt", "regt_maintenance", "pm", "account", "risk")  # MARGIN_CONTRIBUTION's choices
