"""The worksheet functions as Excel sees them: thin xlwings wrappers over :mod:`.functions`.

One module serves both routes. Classic Windows COM reads ``category`` and the Function Wizard
help (docstrings and ``doc=`` of each argument); Office.js (xlwings Lite or Server) reads
``namespace`` and ``help_url``; each route ignores the other's options, and off Windows without
a server the decorators are no-ops, so these are plain functions in tests. Names, help and
shapes come from :mod:`.registry`. Ranges are read as 2-D lists (``ndim=2``) and every argument
with error cells as text (``err_to_str``): xlwings otherwise hands an error cell over as None, so a
``#N/A`` in a price would read as a blank and a ``#N/A`` budget as no budget; each is refused, by row
or naming the argument. Every function is non-volatile.

Import in Excel: xlwings ribbon → UDF Modules lists ``xlmargin.excel.udfs`` → Import Functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from xlwings import arg, func, ret

from xlmargin.excel.registry import BY_NAME, CATEGORY, HELP_URL, NAMESPACE
from xlmargin.excel.route import call

F = TypeVar("F", bound=Callable[..., Any])

__all__ = list(BY_NAME)  # what ``from xlmargin.excel.udfs import *`` (xlwings Lite's main.py) exports

RANGE = {"ndim": 2, "err_to_str": True}
# a single cell: an error value as its text too, never None (which would mean "not given": a #N/A
# budget would be no budget), refused naming the argument (:func:`.functions.cell_error`)
CELL = {"err_to_str": True}


def described(f: F) -> F:
    """Give the wrapper the registry's description (xlwings reads ``__doc__`` for the wizard)."""
    f.__doc__ = BY_NAME[f.__name__].summary
    return f


def help_of(name: str, argument: str) -> str:
    return next(a.help for a in BY_NAME[name].args if a.name == argument)


def udf(**options: Any) -> Callable[[F], F]:
    return func(category=CATEGORY, namespace=NAMESPACE, help_url=HELP_URL, volatile=False, **options)


@udf()
@arg("positions", **RANGE, doc=help_of("REGT_MARGIN", "positions"))
@arg("basis", **CELL, doc=help_of("REGT_MARGIN", "basis"))
@arg("net_of_proceeds", **CELL, doc=help_of("REGT_MARGIN", "net_of_proceeds"))
@arg("params", **RANGE, doc=help_of("REGT_MARGIN", "params"))
@described
def REGT_MARGIN(positions, basis=None, net_of_proceeds=None, params=None):
    return call("REGT_MARGIN", positions, basis, net_of_proceeds, params)


@udf()
@arg("positions", **RANGE, doc=help_of("REGT_BREAKDOWN", "positions"))
@arg("basis", **CELL, doc=help_of("REGT_BREAKDOWN", "basis"))
@arg("net_of_proceeds", **CELL, doc=help_of("REGT_BREAKDOWN", "net_of_proceeds"))
@arg("params", **RANGE, doc=help_of("REGT_BREAKDOWN", "params"))
@ret(index=False, header=False)
@described
def REGT_BREAKDOWN(positions, basis=None, net_of_proceeds=None, params=None):
    return call("REGT_BREAKDOWN", positions, basis, net_of_proceeds, params)


@udf()
@arg("positions", **RANGE, doc=help_of("PM_REQUIREMENT", "positions"))
@arg("params", **RANGE, doc=help_of("PM_REQUIREMENT", "params"))
@described
def PM_REQUIREMENT(positions, params=None):
    return call("PM_REQUIREMENT", positions, params)


@udf()
@arg("positions", **RANGE, doc=help_of("PM_SCENARIOS", "positions"))
@arg("params", **RANGE, doc=help_of("PM_SCENARIOS", "params"))
@ret(index=False, header=False)
@described
def PM_SCENARIOS(positions, params=None):
    return call("PM_SCENARIOS", positions, params)


@udf()
@arg("positions", **RANGE, doc=help_of("PM_BREAKDOWN", "positions"))
@arg("params", **RANGE, doc=help_of("PM_BREAKDOWN", "params"))
@ret(index=False, header=False)
@described
def PM_BREAKDOWN(positions, params=None):
    return call("PM_BREAKDOWN", positions, params)


@udf()
@arg("positions", **RANGE, doc=help_of("FUTURES_MARGIN", "positions"))
@arg("params", **RANGE, doc=help_of("FUTURES_MARGIN", "params"))
@described
def FUTURES_MARGIN(positions, params=None):
    return call("FUTURES_MARGIN", positions, params)


@udf()
@arg("positions", **RANGE, doc=help_of("FUTURES_BREAKDOWN", "positions"))
@arg("params", **RANGE, doc=help_of("FUTURES_BREAKDOWN", "params"))
@ret(index=False, header=False)
@described
def FUTURES_BREAKDOWN(positions, params=None):
    return call("FUTURES_BREAKDOWN", positions, params)


@udf()
@arg("positions", **RANGE, doc=help_of("ESMA_MARGIN", "positions"))
@arg("account_currency", **CELL, doc=help_of("ESMA_MARGIN", "account_currency"))
@arg("params", **RANGE, doc=help_of("ESMA_MARGIN", "params"))
@described
def ESMA_MARGIN(positions, account_currency=None, params=None):
    return call("ESMA_MARGIN", positions, account_currency, params)


@udf()
@arg("positions", **RANGE, doc=help_of("ESMA_BREAKDOWN", "positions"))
@arg("account_currency", **CELL, doc=help_of("ESMA_BREAKDOWN", "account_currency"))
@arg("params", **RANGE, doc=help_of("ESMA_BREAKDOWN", "params"))
@ret(index=False, header=False)
@described
def ESMA_BREAKDOWN(positions, account_currency=None, params=None):
    return call("ESMA_BREAKDOWN", positions, account_currency, params)


@udf()
@arg("positions", **RANGE, doc=help_of("ACCOUNT_MARGIN", "positions"))
@arg("params", **RANGE, doc=help_of("ACCOUNT_MARGIN", "params"))
@described
def ACCOUNT_MARGIN(positions, params=None):
    return call("ACCOUNT_MARGIN", positions, params)


@udf()
@arg("positions", **RANGE, doc=help_of("ACCOUNT_BREAKDOWN", "positions"))
@arg("params", **RANGE, doc=help_of("ACCOUNT_BREAKDOWN", "params"))
@ret(index=False, header=False)
@described
def ACCOUNT_BREAKDOWN(positions, params=None):
    return call("ACCOUNT_BREAKDOWN", positions, params)


@udf()
@arg("positions", **RANGE, doc=help_of("STRESS_PNL", "positions"))
@arg("scenario", **CELL, doc=help_of("STRESS_PNL", "scenario"))
@arg("params", **RANGE, doc=help_of("STRESS_PNL", "params"))
@arg("covariance", **RANGE, doc=help_of("STRESS_PNL", "covariance"))
@described
def STRESS_PNL(positions, scenario, params=None, covariance=None):
    return call("STRESS_PNL", positions, scenario, params, covariance)


@udf()
@arg("positions", **RANGE, doc=help_of("STRESS_TABLE", "positions"))
@arg("params", **RANGE, doc=help_of("STRESS_TABLE", "params"))
@arg("covariance", **RANGE, doc=help_of("STRESS_TABLE", "covariance"))
@ret(index=False, header=False)
@described
def STRESS_TABLE(positions, params=None, covariance=None):
    return call("STRESS_TABLE", positions, params, covariance)


@udf()
@arg("positions", **RANGE, doc=help_of("RISK_MARGIN", "positions"))
@arg("params", **RANGE, doc=help_of("RISK_MARGIN", "params"))
@arg("covariance", **RANGE, doc=help_of("RISK_MARGIN", "covariance"))
@described
def RISK_MARGIN(positions, params=None, covariance=None):
    return call("RISK_MARGIN", positions, params, covariance)


@udf()
@arg("positions", **RANGE, doc=help_of("RISK_BREAKDOWN", "positions"))
@arg("params", **RANGE, doc=help_of("RISK_BREAKDOWN", "params"))
@arg("covariance", **RANGE, doc=help_of("RISK_BREAKDOWN", "covariance"))
@ret(index=False, header=False)
@described
def RISK_BREAKDOWN(positions, params=None, covariance=None):
    return call("RISK_BREAKDOWN", positions, params, covariance)


@udf()
@arg("equity", **CELL, doc=help_of("MARGIN_CUSHION", "equity"))
@arg("requirement", **CELL, doc=help_of("MARGIN_CUSHION", "requirement"))
@ret(index=False, header=False)
@described
def MARGIN_CUSHION(equity, requirement):
    return call("MARGIN_CUSHION", equity, requirement)


@udf()
@arg("positions", **RANGE, doc=help_of("MAX_NOTIONAL", "positions"))
@arg("equity", **CELL, doc=help_of("MAX_NOTIONAL", "equity"))
@arg("regime", **CELL, doc=help_of("MAX_NOTIONAL", "regime"))
@arg("params", **RANGE, doc=help_of("MAX_NOTIONAL", "params"))
@described
def MAX_NOTIONAL(positions, equity, regime=None, params=None):
    return call("MAX_NOTIONAL", positions, equity, regime, params)


@udf()
@arg("function", **CELL, doc=help_of("XLM_PARAMS", "function"))
@ret(index=False, header=False)
@described
def XLM_PARAMS(function):
    return call("XLM_PARAMS", function)


@udf()
@described
def XLM_VERSION():
    return call("XLM_VERSION")


@udf()
@arg("positions", **RANGE, doc=help_of("MARGIN_IMPACT", "positions"))
@arg("trades", **RANGE, doc=help_of("MARGIN_IMPACT", "trades"))
@arg("regime", **CELL, doc=help_of("MARGIN_IMPACT", "regime"))
@arg("params", **RANGE, doc=help_of("MARGIN_IMPACT", "params"))
@ret(index=False, header=False)
@described
def MARGIN_IMPACT(positions, trades, regime=None, params=None):
    return call("MARGIN_IMPACT", positions, trades, regime, params)


@udf()
@arg("positions", **RANGE, doc=help_of("MARGIN_CONTRIBUTION", "positions"))
@arg("regime", **CELL, doc=help_of("MARGIN_CONTRIBUTION", "regime"))
@arg("params", **RANGE, doc=help_of("MARGIN_CONTRIBUTION", "params"))
@ret(index=False, header=False)
@described
def MARGIN_CONTRIBUTION(positions, regime=None, params=None):
    return call("MARGIN_CONTRIBUTION", positions, regime, params)


@udf()
@arg("positions", **RANGE, doc=help_of("HEDGE_OPTIMIZE", "positions"))
@arg("candidates", **RANGE, doc=help_of("HEDGE_OPTIMIZE", "candidates"))
@arg("objective", **CELL, doc=help_of("HEDGE_OPTIMIZE", "objective"))
@arg("budget", **CELL, doc=help_of("HEDGE_OPTIMIZE", "budget"))
@arg("params", **RANGE, doc=help_of("HEDGE_OPTIMIZE", "params"))
@ret(index=False, header=False)
@described
def HEDGE_OPTIMIZE(positions, candidates, objective=None, budget=None, params=None):
    return call("HEDGE_OPTIMIZE", positions, candidates, objective, budget, params)


@udf()
@arg("positions", **RANGE, doc=help_of("MARGIN_CALL_MOVE", "positions"))
@arg("equity", **CELL, doc=help_of("MARGIN_CALL_MOVE", "equity"))
@arg("regime", **CELL, doc=help_of("MARGIN_CALL_MOVE", "regime"))
@arg("params", **RANGE, doc=help_of("MARGIN_CALL_MOVE", "params"))
@ret(index=False, header=False)
@described
def MARGIN_CALL_MOVE(positions, equity, regime=None, params=None):
    return call("MARGIN_CALL_MOVE", positions, equity, regime, params)


@udf()
@arg("positions", **RANGE, doc=help_of("LIQUIDATION_PLAN", "positions"))
@arg("equity", **CELL, doc=help_of("LIQUIDATION_PLAN", "equity"))
@arg("regime", **CELL, doc=help_of("LIQUIDATION_PLAN", "regime"))
@arg("params", **RANGE, doc=help_of("LIQUIDATION_PLAN", "params"))
@ret(index=False, header=False)
@described
def LIQUIDATION_PLAN(positions, equity, regime=None, params=None):
    return call("LIQUIDATION_PLAN", positions, equity, regime, params)
