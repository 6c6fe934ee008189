"""Portfolio margin (FINRA 4210(g), Cboe 10.4, OCC TIMS): the scenario engine and its parameters.

``pm_settings(read_params(range, PM_PARAMS), today)`` then ``pm_requirement(portfolio, settings)``;
the result carries the account figures and the scenario and breakdown grids. The rule is stated
in :mod:`xlmargin.pm.engine`; its numbers live in ``rules/pm.toml``.
"""

from xlmargin.pm.engine import pm_requirement
from xlmargin.pm.result import (
    ClassGroupResult,
    HouseResult,
    OutsideResult,
    PMResult,
    ProductGroupResult,
    ValuationPoint,
)
from xlmargin.pm.settings import HOUSE_LAYERS, MINIMUM_SCOPES, PM_PARAMS, PMSettings, pm_settings

__all__ = [
    "HOUSE_LAYERS",
    "MINIMUM_SCOPES",
    "PM_PARAMS",
    "ClassGroupResult",
    "HouseResult",
    "OutsideResult",
    "PMResult",
    "PMSettings",
    "ProductGroupResult",
    "ValuationPoint",
    "pm_requirement",
    "pm_settings",
]
