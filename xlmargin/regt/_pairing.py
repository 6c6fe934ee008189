"""Optimal pairing: the integer program that picks how many units of each candidate strategy to form.

Variables: ``x_j`` ≥ 0 integer units of candidate ``j``. Constraints: the contracts (shares) each
leg holds, ``Σ_j use[l, j] · x_j ≤ capacity[l]``. Objective: ``Σ_j (cost_j − standalone_j) · x_j``,
the requirement of the pairing less that of leaving every leg alone (a constant), where cost is
the group's gross or net figure, both linear in the units. Solved exactly by HiGHS through
``scipy.optimize.milp`` with a zero relative gap. Among equally cheap pairings a second solve picks
the one with the fewest groups (a butterfly rather than two spreads that cost the same), so that
the breakdown names the strategy; that changes no total.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from xlmargin.errors import XlMarginError
from xlmargin.regt._legs import BookLeg
from xlmargin.regt._strategies import Candidate

_SAME_COST = 1e-4  # dollars: pairings within this of the optimum count as equally cheap
_OPTIONS = {"mip_rel_gap": 0.0, "disp": False}
_TIME_LIMIT_STATUS = 1  # scipy.optimize.milp: "Iteration or time limit reached"
_TIE_BREAK_LIMIT = 5000  # candidates above which equally cheap pairings are not re-ranked by group count


def optimal_units(
    legs: list[BookLeg],
    candidates: list[Candidate],
    net_of_proceeds: bool,
    time_limit: float,
    warnings: list[str],
) -> list[int]:
    """Units of each candidate in a cheapest pairing (row-order independent: the legs and candidates
    arrive in canonical order, and HiGHS is deterministic). Should the solver reach ``time_limit``
    seconds, its best pairing is used and ``warnings`` says by how much it may exceed the optimum."""
    if not candidates:
        return []
    options = {**_OPTIONS, "time_limit": time_limit}
    n = len(candidates)
    rows, cols, amounts = [], [], []
    for j, cand in enumerate(candidates):
        for leg, amount in cand.uses:
            rows.append(leg)
            cols.append(j)
            amounts.append(amount)
    use = csr_array((amounts, (rows, cols)), shape=(len(legs), n))
    capacity = np.array([leg.capacity for leg in legs])
    upper = np.array([min(legs[i].capacity / a for i, a in cand.uses) for cand in candidates])
    bounds = Bounds(np.zeros(n), np.floor(upper + 1e-9))
    held = LinearConstraint(use, -np.inf, capacity)
    cost = np.array(
        [
            cand.unit.cost(net_of_proceeds)
            - sum(legs[i].standalone.cost(net_of_proceeds) * a for i, a in cand.uses)
            for cand in candidates
        ]
    )
    integral = np.ones(n)
    underlying = legs[0].position.underlying
    # The LP relaxation first: when its optimum is integral (common — spreads alone form a
    # bipartite matching), that is the integer optimum too, found without branching.
    relaxed = milp(cost, integrality=np.zeros(n), bounds=bounds, constraints=[held], options=options)
    if relaxed.x is not None and np.allclose(relaxed.x, np.round(relaxed.x), atol=1e-9):
        first = relaxed
    else:
        first = milp(cost, integrality=integral, bounds=bounds, constraints=[held], options=options)
    if first.x is None:
        raise XlMarginError(f"{underlying}: the pairing solver failed ({first.message})")
    best = np.round(first.x)
    optimum = float(cost @ best)
    if first.status == _TIME_LIMIT_STATUS:
        bound = float(getattr(first, "mip_dual_bound", optimum) or optimum)
        warnings.append(
            f"{underlying}: the pairing solver stopped at its {time_limit:g} s limit; the requirement may "
            f"exceed the optimum by up to {max(optimum - bound, 0.0):,.2f}"
        )
        return [int(x) for x in best]
    if n > _TIE_BREAK_LIMIT:  # naming the fewest groups is cosmetic; not worth a second search here
        return [int(x) for x in best]
    # pieces a unit removes from the breakdown: its legs' contracts (a stock counts once) less itself
    pieces = np.array(
        [sum(1.0 if legs[i].is_stock else a for i, a in cand.uses) - 1.0 for cand in candidates]
    )
    cheapest = LinearConstraint(cost.reshape(1, -1), -np.inf, optimum + _SAME_COST)
    second = milp(-pieces, integrality=integral, bounds=bounds, constraints=[held, cheapest], options=options)
    if second.x is not None and float(cost @ np.round(second.x)) <= optimum + _SAME_COST:
        best = np.round(second.x)
    return [int(x) for x in best]
