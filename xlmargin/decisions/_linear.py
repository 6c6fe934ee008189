"""Requirements as linear programs in the quantities.

Once each contract is priced at each scenario, a position's P&L is its quantity times the P&L of
one unit, so a requirement of the form "worst loss over scenarios" is the maximum of linear
functions of the quantities and is represented exactly by one variable ``t`` with

    t ≥ 0,   t ≥ −(base_j + Σ_k x_k · unit_kj)   for every scenario j,

minimised (or capped) by the caller. :func:`unit_stress_pnl` prices the risk view's scenario
library once for a set of rows at one unit each.
"""

from __future__ import annotations

import numpy as np

from xlmargin._typing import FloatArray, IntArray
from xlmargin.decisions._common import DecisionSettings
from xlmargin.decisions._lp import Program
from xlmargin.positions import Portfolio
from xlmargin.span import SpanSettings, futures_margin
from xlmargin.stress import Scenario, scenario_pnl_matrix


def unit_stress_pnl(
    portfolio: Portfolio, settings: DecisionSettings
) -> tuple[tuple[Scenario, ...], FloatArray]:
    """The scenario library and the P&L of ONE unit of quantity of every row (rows × scenarios):
    the positions priced once with every quantity set to 1 (P&L is linear in the quantity)."""
    arrays = dict(portfolio.arrays)
    arrays["quantity"] = np.ones(len(portfolio))
    library, pnl = scenario_pnl_matrix(Portfolio(arrays, portfolio.as_of), settings.stress)
    return library, pnl


def unit_span_pnl(portfolio: Portfolio, settings: SpanSettings) -> FloatArray:
    """The SPAN risk array of ONE unit of every row of a futures book (rows × 16 scenarios), each
    row priced once by the engine on its own (a row's P&L does not depend on the others)."""
    arrays = dict(portfolio.arrays)
    arrays["quantity"] = np.ones(len(portfolio))
    unit = Portfolio(arrays, portfolio.as_of)
    rows = [
        futures_margin(unit.select(np.arange(len(unit)) == i), settings).lines[0].pnl
        for i in range(len(unit))
    ]
    return np.array(rows, dtype=np.float64).reshape(len(unit), -1)


def worst_loss_variable(program: Program, columns: IntArray, unit: FloatArray, base: FloatArray) -> int:
    """A variable ``t`` with ``t ≥ 0`` and ``t ≥ −(base_j + Σ_k x_k unit_kj)`` for every scenario j,
    where ``x_k`` are the variables ``columns`` (one per row of ``unit``)."""
    t = int(program.variables(0.0, np.inf)[0])
    for j in range(unit.shape[1]):
        # t + Σ unit_kj x_k ≥ −base_j
        program.constrain(np.append(columns, t), np.append(unit[:, j], 1.0), -float(base[j]), np.inf)
    return t
