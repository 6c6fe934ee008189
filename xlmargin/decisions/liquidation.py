"""The least to close so that the requirement is back within the equity.

Closing only: each position may be reduced towards zero, never increased or reversed. The plan
minimises the notional closed (Σ price × multiplier × units closed), or with ``plan_by = trades``
first the number of positions touched and then the notional, subject to

    requirement(book after closing) ≤ equity × (1 − cushion)

where the requirement is the regime's, as a linear program in the units closed: ``pm`` on the
portfolio-margin risk arrays (stock, ETF and option lines; bonds are margined outside portfolio
margin and are not sold by the plan), ``risk`` on the risk view's scenario matrix (every row it
prices). Shares, options and futures are closed in whole units, bonds in whole pieces of their
``denomination`` (face 1,000 when the row gives none) or entirely (a mixed-integer program).
Closing at the market leaves the equity unchanged. The engine then re-computes the requirement
of the book after the plan; both figures are reported. Deng, Dulaney & McCann (2012) pose the same
problem; this solves it exactly rather than greedily.

Reg T is refused with a message saying why: its requirement is the cost of the optimal strategy
pairing, itself an integer program over the candidate strategies, so "the least sale after which
the optimal pairing fits" is a program over pairings and sales together (the pairing variables'
capacities depend on the sale). Its size grows with every candidate strategy of every underlying
(tens of thousands on a real book), and no exact program of reasonable size is known for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin.decisions import _pm
from xlmargin.decisions._common import (
    DecisionSettings,
    above_zero,
    check_regime,
    contract_keys,
    notional,
    requirement,
    with_quantities,
)
from xlmargin.decisions._linear import unit_stress_pnl, worst_loss_variable
from xlmargin.decisions._lp import Program
from xlmargin.decisions.names import LINEAR_REGIMES
from xlmargin.errors import InputError, Problem
from xlmargin.instruments import BOND_DENOMINATION
from xlmargin.money import cents
from xlmargin.pm.risk import COVERED, risk_arrays
from xlmargin.positions import Portfolio

REGIMES = LINEAR_REGIMES
NOT_REGT = (
    "the liquidation plan is exact for pm and risk only: a Reg T requirement is itself an optimal "
    "strategy pairing (an integer program), so the least sale under it would be a program over every "
    "pairing of every partial close, not one that can be solved exactly in reasonable time"
)
_TIE = 1e-9  # second solve: notional within this relative distance of the least
WHOLE = ("stock", "etf", "option", "future", "future_option")  # closed in whole units


@dataclass(frozen=True)
class LiquidationResult:
    regime: str
    status: str
    equity: float
    target: float
    before: float
    optimiser_value: float
    after: float
    trades: tuple[tuple[int, str, float, float], ...]  # (row, symbol, signed trade, notional closed)

    @property
    def notional(self) -> float:
        return float(sum(t[3] for t in self.trades))

    def table(self) -> list[list[Any]]:
        """Status, each closing trade, then the figures before and after."""
        out: list[list[Any]] = [["line", "item", "quantity", "notional"], ["status", self.status, "", ""]]
        if not self.trades:
            out.append(["trade", "none: the requirement is within the equity", 0.0, 0.0])
        for row, symbol, quantity, closed in self.trades:
            out.append(["trade", f"{symbol} (row {row})", quantity, cents(closed)])
        out += [
            ["figure", "notional closed", "", cents(self.notional)],
            ["figure", "equity", "", cents(self.equity)],
            ["figure", "target: equity × (1 − cushion)", "", cents(self.target)],
            ["figure", f"{self.regime} requirement before", "", cents(self.before)],
            ["figure", f"{self.regime} requirement after (optimiser)", "", cents(self.optimiser_value)],
            ["figure", f"{self.regime} requirement after (engine)", "", cents(self.after)],
            ["figure", "excess after", "", cents(self.equity - self.after)],
        ]
        return out


def liquidation_plan(
    portfolio: Portfolio, equity: float, settings: DecisionSettings, regime: str = "pm"
) -> LiquidationResult:
    """The least notional to close so that the requirement fits the equity (module docstring)."""
    if regime in ("regt", "regt_maintenance"):
        raise InputError(Problem(NOT_REGT, None, "regime"))
    check_regime(regime, REGIMES)
    equity = above_zero(equity, "equity", "equity")
    target = equity * (1.0 - settings.cushion)
    before = requirement(regime, portfolio, settings)
    if before <= target:
        return LiquidationResult(regime, "no sale needed", equity, target, before, before, before, ())
    keys = [repr(k) for k in contract_keys(portfolio)]  # once: in the sort key it was once a row
    order = np.array(sorted(range(len(portfolio)), key=keys.__getitem__), dtype=np.int64)
    book = Portfolio({k: v[order] for k, v in portfolio.arrays.items()}, portfolio.as_of)
    a = book.arrays
    quantity = a["quantity"]
    sign = np.sign(quantity)
    closable = quantity != 0.0
    if regime == "pm":
        closable &= np.isin(a["type"], COVERED)
    emptied = requirement(regime, with_quantities(book, np.where(closable, 0.0, quantity)), settings)
    infeasible = (
        f"no sale reaches the requirement: selling everything the plan may close leaves the {regime} "
        f"requirement at {emptied:,.2f}, above the target {target:,.2f} (equity × (1 − cushion))"
        + (
            "; bonds are margined outside portfolio margin and are not sold by the plan"
            if regime == "pm"
            else ""
        )
    )
    if emptied > target:  # said at once: a MILP may take its whole time limit to prove it
        raise InputError(Problem(infeasible, None, "equity"))
    program = Program()
    y = program.variables(0.0, np.where(closable, np.abs(quantity), 0.0), np.isin(a["type"], WHOLE))
    pieces = _bond_pieces(program, y, book, closable)
    size = notional(book)
    goals = [(y, size)]  # lexicographic: the notional closed, then (below) the requirement left
    if settings.plan_by == "trades":  # fewest positions touched first
        z = program.variables(0.0, 1.0, True, count=len(y))
        for yi, zi, most in zip(y, z, np.abs(quantity), strict=True):
            program.constrain(np.array([yi, zi]), np.array([1.0, -most]), -np.inf, 0.0)
        goals.insert(0, (z, np.ones(len(z))))
    if regime == "risk":
        _, unit = unit_stress_pnl(book, settings)
        t = worst_loss_variable(program, y, -sign[:, None] * unit, quantity @ unit)
        constant = 0.0
    else:
        risk = risk_arrays(book, settings.account.pm)
        terms = _pm.covered_terms(risk, 0, y, -sign)
        t, constant = _pm.requirement_variable(program, risk, risk.quantity, terms)
        constant += _pm.outside_requirement(book, settings.account.pm)
    program.constrain(np.array([t]), np.array([1.0]), -np.inf, target - constant)
    unbounded = "the liquidation problem is unbounded"
    statuses = []
    for columns, weights in goals:  # each goal at its best, then the next among those plans
        program.clear_objective()
        program.minimise(columns, weights)
        best = program.solve(settings.time_limit, infeasible, unbounded)
        statuses.append(best)
        program.constrain(columns, weights, -np.inf, best.objective + _TIE * max(1.0, best.objective))
    program.clear_objective()
    program.minimise(np.array([t]), 1.0)
    solution = program.solve(settings.time_limit, infeasible, unbounded)
    status = next((s.status for s in statuses if not s.optimal), solution.status)
    closed = solution.x[y]
    for i, k, whole in pieces:  # exact multiples of the piece, not the solver's float
        closed[i] = (
            abs(quantity[i])
            if whole is not None and solution.x[whole] > 0.5
            else _piece(a, i) * solution.x[k]
        )
    after_book = with_quantities(book, quantity - sign * closed)
    after = requirement(regime, after_book, settings)
    trades = tuple(
        (int(a["row"][i]), str(a["symbol"][i]), float(-sign[i] * closed[i]), float(size[i] * closed[i]))
        for i in sorted(np.flatnonzero(closed > 0), key=lambda i: int(a["row"][i]))
    )
    return LiquidationResult(
        regime=regime,
        status=status,
        equity=equity,
        target=target,
        before=before,
        optimiser_value=float(solution.x[t]) + constant,
        after=after,
        trades=trades,
    )


def _piece(a: Any, i: int) -> float:
    """The least face bond row ``i`` trades in: its ``denomination``, else the usual 1,000."""
    d = float(a["denomination"][i])
    return d if d > 0.0 else BOND_DENOMINATION


def _bond_pieces(
    program: Program, y: np.ndarray, book: Portfolio, closable: np.ndarray
) -> list[tuple[int, int, int | None]]:
    """Tie each closable bond's face closed to whole pieces: ``y = piece × k`` with ``k`` whole, or,
    when the face held is no multiple of the piece, the whole position (``y = piece × k + rest ×
    w``, where ``w`` = 1 needs every whole piece sold). Per bond: (row index, k, w or None)."""
    a = book.arrays
    out: list[tuple[int, int, int | None]] = []
    for i in np.flatnonzero(closable & (a["type"] == "bond")).tolist():
        piece, held = _piece(a, i), abs(float(a["quantity"][i]))
        full = math.floor(held / piece + 1e-9)
        rest = held - full * piece
        k = int(program.variables(0.0, float(full), True)[0])
        if rest <= 1e-9 * max(1.0, held):
            program.constrain(np.array([y[i], k]), np.array([1.0, -piece]), 0.0, 0.0)
            out.append((i, k, None))
            continue
        w = int(program.variables(0.0, 1.0, True)[0])
        program.constrain(np.array([y[i], k, w]), np.array([1.0, -piece, -rest]), 0.0, 0.0)
        program.constrain(np.array([k, w]), np.array([-1.0, float(full)]), -np.inf, 0.0)  # w ≤ k / full
        out.append((i, k, w))
    return out
