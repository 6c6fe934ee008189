"""HiGHS, called as ``scipy.optimize.milp`` and ``linprog(method="highs")`` call it, without their
per-column Python loops.

scipy's wrapper turns the integrality vector into a Python list of enums and reads the bound
marginals in a Python loop over the columns: on the Reg T book's programs (up to 20,000 columns,
eight solves) that was a fifth of the solve time. Here the same model, with the same options, goes
to the same HiGHS (the one scipy ships), so every solve takes the same path and returns the same
solution; only the copying around it is done with numpy. If scipy's private HiGHS module is not
there (a future scipy may move it), the public functions are used, with the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csc_array, vstack

try:  # scipy's own build of HiGHS (private: see the module docstring)
    from scipy.optimize._highspy import _core as _h
except ImportError:  # pragma: no cover - depends on the installed scipy
    _h = None


@dataclass(frozen=True, slots=True)
class Solution:
    """What the pairing reads of a solve, named as scipy names it: ``status`` 0 optimal, 1 a limit
    reached, 2 and above no solution; ``x`` None when there is none; ``reduced`` the reduced costs
    of the columns at their lower bound (scipy's ``lower.marginals``), for relaxations only."""

    status: int
    x: np.ndarray | None
    message: str
    mip_dual_bound: float | None = None
    reduced: np.ndarray | None = None
    # relaxations only: the reduced costs of the columns at their upper bound (≤ 0, scipy's
    # ``upper.marginals``) and the rows' duals (≤ 0 on a binding row, scipy's ``ineqlin.marginals``)
    reduced_upper: np.ndarray | None = None
    row_duals: np.ndarray | None = None


def milp(
    c: np.ndarray,
    *,
    integrality: np.ndarray,
    bounds: Any,
    constraints: list[Any],
    options: dict[str, Any],
    start: np.ndarray | None = None,
    duals: bool = False,
) -> Solution:
    """``scipy.optimize.milp(c, integrality=..., bounds=..., constraints=..., options=...)`` for
    the options the pairing uses (``mip_rel_gap``, ``time_limit``, ``presolve``, ``disp`` False).
    ``start``: a feasible solution HiGHS starts its search from (its value a bound the search need
    not beat; the fallback ignores it). ``duals``: for a relaxation (no integral column) whose
    solution is fractional, its reduced costs and row duals as :func:`linprog` returns them (none
    for a whole solution, the integer program's optimum already: reading them costs a Python object
    per column; nor from the fallback)."""
    if _h is None:  # pragma: no cover - depends on the installed scipy
        from scipy.optimize import milp as scipy_milp

        known = {k: v for k, v in options.items() if k in _SCIPY_OPTIONS}  # scipy takes no other
        found = scipy_milp(c, integrality=integrality, bounds=bounds, constraints=constraints, options=known)
        return Solution(found.status, found.x, found.message, found.mip_dual_bound)
    a = vstack([csc_array(k.A) for k in constraints], format="csc") if len(constraints) > 1 else None
    if a is None:
        a = csc_array(constraints[0].A)
    lhs = np.concatenate([np.atleast_1d(k.lb).astype(np.float64) for k in constraints])
    rhs = np.concatenate([np.atleast_1d(k.ub).astype(np.float64) for k in constraints])
    settings = {**_QUIET, **{k: v for k, v in options.items() if k != "disp"}}
    if "presolve" in settings:  # a bool to scipy, a word to HiGHS (as scipy translates it)
        settings["presolve"] = "on" if settings["presolve"] else "off"
    return _run(
        np.asarray(c, dtype=np.float64),
        a,
        lhs,
        rhs,
        np.asarray(bounds.lb, dtype=np.float64),
        np.asarray(bounds.ub, dtype=np.float64),
        np.asarray(integrality, dtype=np.uint8),
        settings,
        duals=duals and not np.any(integrality),
        start=start,
    )


def linprog(
    c: np.ndarray, a_ub: Any, b_ub: np.ndarray, bounds: np.ndarray, time_limit: float, presolve: bool = True
) -> Solution:
    """``scipy.optimize.linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs",
    options={"disp": False, "time_limit": time_limit, "presolve": presolve})``, with the reduced
    costs of the columns at their lower bound (scipy's ``result.lower.marginals``)."""
    if _h is None:  # pragma: no cover - depends on the installed scipy
        from scipy.optimize import linprog as scipy_linprog

        found = scipy_linprog(
            c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs",
            options={"disp": False, "time_limit": time_limit, "presolve": presolve},
        )  # fmt: skip
        return Solution(
            found.status, found.x, found.message, reduced=found.lower.marginals,
            reduced_upper=found.upper.marginals, row_duals=found.ineqlin.marginals,
        )  # fmt: skip
    lb, ub = bounds.T.astype(np.float64)  # an infinite bound needs no translation: kHighsInf is inf
    rhs = np.asarray(b_ub, dtype=np.float64)
    settings = {
        "presolve": "on" if presolve else "off",
        "time_limit": time_limit,
        "highs_debug_level": _h.HighsDebugLevel.kHighsDebugLevelNone,
        **_QUIET,
        "simplex_strategy": _h.simplex_constants.SimplexStrategy.kSimplexStrategyDual,
    }
    lhs = np.full(len(rhs), -np.inf)
    return _run(np.asarray(c, np.float64), csc_array(a_ub), lhs, rhs, lb, ub, None, settings, duals=True)


def _run(
    c: np.ndarray,
    a: csc_array,
    lhs: np.ndarray,
    rhs: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    integrality: np.ndarray | None,
    settings: dict[str, Any],
    *,
    duals: bool,
    start: np.ndarray | None = None,
) -> Solution:
    assert _h is not None
    mip = integrality is not None and bool(integrality.any())
    kinds = np.zeros(len(c), np.int32) if integrality is None else integrality.astype(np.int32)
    highs = _h._Highs()
    options = _h.HighsOptions()
    named = {}  # the options scipy's HighsOptions has no field for, set by name
    for key, value in settings.items():
        if value is None:
            continue
        if hasattr(options, key):
            setattr(options, key, value)
        else:
            named[key] = value
    highs.passOptions(options)
    for key, value in named.items():
        highs.setOptionValue(key, value)
    # The model as arrays: filling a HighsLp's fields converted every entry to a Python float on
    # the way (a third of the time of a small program, with the interpreter lock held).
    highs.passModel(
        len(c), len(rhs), a.nnz, _COLWISE, _MINIMIZE, 0.0, c, lb, ub, lhs, rhs,
        a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(np.float64), kinds,
    )  # fmt: skip
    if start is not None:
        where = np.flatnonzero(start).astype(np.int32)
        highs.setSolution(len(where), where, start[where].astype(np.float64))
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    code, message = _STATUS.get(status, (4, "the solver did not finish"))
    model = _h.HighsModelStatus
    limits = (model.kTimeLimit, model.kIterationLimit, model.kSolutionLimit)
    failed = (
        status not in (model.kOptimal, *limits)
        or (status in limits and info.objective_function_value == _h.kHighsInf)
        if mip
        else status != model.kOptimal
    )
    message = f"{message} (HiGHS: {highs.modelStatusToString(status)})"
    if failed:
        return Solution(code, None, message)
    solution = highs.getSolution()
    x = np.array(solution.col_value)
    if not duals or (integrality is not None and np.allclose(x, np.round(x), atol=1e-9)):
        return Solution(code, x, message, info.mip_dual_bound if mip else None)
    status_of = np.array([int(s) for s in highs.getBasis().col_status])
    col_dual = np.array(solution.col_dual)
    return Solution(
        code,
        x,
        message,
        reduced=np.where(status_of == _LOWER, col_dual, 0.0),
        reduced_upper=np.where(status_of == _UPPER, col_dual, 0.0),
        row_duals=np.array(solution.row_dual),
    )


# HiGHS writes nothing of its own (scipy's disp=False sets output_flag, as here). HiGHS 1.12.0,
# which scipy 1.17 ships, also prints one line with a bare printf that no option reaches when a MIP
# incumbent needs its repair LP ("HighsMipSolverData::transformNewIntegerFeasibleSolution
# tmpSolver.run();"), a debugging leftover HiGHS 1.13.0 removed: tests/test_native_output.py
_QUIET = {"output_flag": False, "log_to_console": False}
# the options scipy's public milp takes: its fallback drops the others (see the pairing's _LEANER)
_SCIPY_OPTIONS = frozenset({"disp", "presolve", "time_limit", "mip_rel_gap", "node_limit"})
_STATUS: dict[Any, tuple[int, str]] = {}
_LOWER = _UPPER = -1
_COLWISE = _MINIMIZE = 1
if _h is not None:
    _STATUS = {
        _h.HighsModelStatus.kOptimal: (0, "optimal"),
        _h.HighsModelStatus.kTimeLimit: (1, "time limit reached"),
        _h.HighsModelStatus.kIterationLimit: (1, "iteration limit reached"),
        _h.HighsModelStatus.kInfeasible: (2, "infeasible"),
        _h.HighsModelStatus.kModelError: (2, "model error"),
        _h.HighsModelStatus.kUnbounded: (3, "unbounded"),
    }
    _LOWER = int(_h.HighsBasisStatus.kLower)
    _UPPER = int(_h.HighsBasisStatus.kUpper)
    _COLWISE = int(_h.MatrixFormat.kColwise)
    _MINIMIZE = int(_h.ObjSense.kMinimize)
