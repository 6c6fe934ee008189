"""A small linear / mixed-integer program, solved by HiGHS through ``scipy.optimize.milp``.

Variables are added with bounds, an integrality flag and an objective coefficient; constraints are
sparse rows ``lo ≤ Σ a·x ≤ hi``. :meth:`Program.solve` returns the solution and whether it is
proven optimal; a time limit that stops the search returns the best plan found with its gap, and
an infeasible or unbounded program is an :class:`~xlmargin.errors.InputError` naming the cause
given by the caller. scipy is imported on first use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from xlmargin._typing import FloatArray, IntArray
from xlmargin.errors import InputError, Problem

_TIME_LIMIT = 1  # scipy.optimize.milp status codes
_INFEASIBLE = 2
_UNBOUNDED = 3
_GAP = (
    1e-9  # relative MIP gap at which HiGHS stops: money to a fraction of a cent (its default, 1e-4, is not)
)


@dataclass(frozen=True)
class Solution:
    x: FloatArray
    objective: float
    optimal: bool
    gap: float  # relative MIP gap; 0 when proven optimal

    @property
    def status(self) -> str:
        if self.optimal:
            return "optimal"
        return f"time limit hit: best plan found, optimality gap {self.gap:.2%}"


class Program:
    def __init__(self) -> None:
        self._lo: list[float] = []
        self._hi: list[float] = []
        self._integer: list[bool] = []
        self._cost: list[float] = []
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._vals: list[float] = []
        self._row_lo: list[float] = []
        self._row_hi: list[float] = []

    def variables(
        self, lo: FloatArray | float, hi: FloatArray | float, integer: object = False, count: int = 1
    ) -> IntArray:
        """``count`` new variables (or as many as the arrays given); their indices."""
        lo_a, hi_a = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
        n = lo_a.size if lo_a.ndim else count
        start = len(self._lo)
        self._lo += np.broadcast_to(lo_a, (n,)).tolist()
        self._hi += np.broadcast_to(hi_a, (n,)).tolist()
        self._integer += np.broadcast_to(np.asarray(integer, dtype=bool), (n,)).tolist()
        self._cost += [0.0] * n
        return np.arange(start, start + n)

    def minimise(self, columns: IntArray, weights: FloatArray | float) -> None:
        """Add ``Σ weights × columns`` to the objective."""
        for c, w in zip(np.atleast_1d(columns), np.broadcast_to(weights, np.shape(np.atleast_1d(columns)))):
            self._cost[int(c)] += float(w)

    def clear_objective(self) -> None:
        self._cost = [0.0] * len(self._cost)

    def constrain(self, columns: IntArray, weights: FloatArray, lo: float, hi: float) -> None:
        """One row: ``lo ≤ Σ weights × columns ≤ hi``."""
        row = len(self._row_lo)
        columns = np.atleast_1d(columns)
        self._rows += [row] * columns.size
        self._cols += columns.tolist()
        self._vals += np.broadcast_to(np.asarray(weights, dtype=float), columns.shape).tolist()
        self._row_lo.append(lo)
        self._row_hi.append(hi)

    def solve(self, time_limit: float, infeasible: str, unbounded: str) -> Solution:
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_array

        n = len(self._lo)
        constraints = []
        if self._row_lo:
            matrix = csr_array((self._vals, (self._rows, self._cols)), shape=(len(self._row_lo), n))
            constraints.append(LinearConstraint(matrix, self._row_lo, self._row_hi))
        result = milp(
            np.array(self._cost),
            integrality=np.array(self._integer, dtype=np.int64),
            bounds=Bounds(self._lo, self._hi),
            constraints=constraints,
            options={"time_limit": float(time_limit), "disp": False, "mip_rel_gap": _GAP},
        )
        if result.status == _INFEASIBLE:
            raise InputError(Problem(infeasible))
        if result.status == _UNBOUNDED:
            raise InputError(Problem(unbounded))
        if result.x is None:
            why = "the time limit was hit before any plan was found" if result.status == _TIME_LIMIT else ""
            raise InputError(
                Problem(f"the optimiser found no plan: {why or result.message}", None, "time_limit")
            )
        gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
        optimal = result.status == 0
        x = np.asarray(result.x, dtype=float)
        x = np.where(np.array(self._integer), np.round(x), x)
        return Solution(
            x, float(result.fun), optimal, 0.0 if optimal else (gap if math.isfinite(gap) else 1.0)
        )
