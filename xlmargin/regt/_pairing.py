"""Optimal pairing: the integer program that picks how many units of each candidate strategy to form.

Variables: ``x_j`` ≥ 0 integer units of candidate ``j``. Constraints: the contracts (shares) each
leg holds, ``Σ_j use[l, j] · x_j ≤ capacity[l]``. Objective: ``Σ_j (cost_j − standalone_j) · x_j``,
the requirement of the pairing less that of leaving every leg alone (a constant), where cost is
the group's gross or net figure, both linear in the units. Solved exactly by HiGHS through
``scipy.optimize.milp`` with a zero relative gap. Among equally cheap pairings (within
``_SAME_COST``) the choice is canonical, lexicographic: the fewest groups (a butterfly rather than
two spreads that cost the same, so that the breakdown names the strategy), then the greatest sum
of the candidates' weights (:attr:`Block.weights`, logarithms of distinct primes: no two pairings
weigh the same). So the groups, the cent-rounded totals and the other convention's figure do not
depend on which optimum the solver meets first, nor on the blocks solved beside it.

Underlyings share no leg, so their programs are independent: :func:`solve` stacks them into one
block-diagonal program and makes at most seven solver calls for the whole book (the LP relaxation;
for the blocks whose relaxation is fractional, the relaxation of their two-leg strategies alone,
which is often an integral pairing as cheap as the relaxation, then the integer program of the
rest; and for each tie-break its relaxation, which settles most blocks, then the integer program
of the rest), where one call per underlying cost more in scipy's set-up than in HiGHS. The
tie-breaks share the time limit of the solve that found the optimum. Each block's optimum is the
optimum of its own program: the objective and the constraints are sums over blocks. A block above
``_TIE_BREAK_LIMIT`` candidates (a market maker's class) is solved alone, without the tie-break
(its one program is the same however the book is called).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeVar

import numpy as np

from xlmargin.errors import XlMarginError
from xlmargin.regt._components import all_whole, cut, fractional_parts
from xlmargin.regt._legs import BookLeg
from xlmargin.regt._shapes import Candidate, Candidates, stacked_columns

_SAME_COST = 1e-4  # dollars: pairings within this of the optimum count as equally cheap
# HiGHS' options are part of a large block's result: it has no tie-break, so another option picks
# another of its equally cheap pairings (presolve off is a third faster there, and moved the
# benchmark book's totals by cents). Leave them as they are unless that is the change meant.
#
# Three HiGHS settings only spare it work on these programs: the presolve rule for parallel rows and
# columns (bit 13 of presolve_rule_off; on the benchmark book's large classes it runs once and
# removes nothing: a tenth of their presolve), the feasibility-jump heuristic and the symmetry
# detection of an integer program (the one large integer program, maintenance net, is solved at
# its root: 832 → 690 M instructions). On the benchmark book every program, the three classes
# above _TIE_BREAK_LIMIT included, returns the very solution it returned without them (checked
# solve by solve, both bases and conventions); elsewhere a large class may meet another of its
# equally cheap pairings, as with any change of options.
_LEANER = {
    "presolve_rule_off": 1 << 13,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_detect_symmetry": False,
}
_OPTIONS = {"mip_rel_gap": 0.0, "disp": False, **_LEANER}
# The stacked blocks' relaxations (and their tie-breaks' relaxations) go without HiGHS' presolve:
# their pairings are tie-broken, so the same whichever vertex the solver meets, and on a book's
# hundreds of small blocks the presolve cost more than it saved (the benchmark book's stacked
# solves: 112 → 91 ms of HiGHS over both conventions). Their integer programs keep it: a hard one
# (a ladder of equally cheap spreads) was not timed without it. A large block's relaxation goes
# without it too (the benchmark book's three, initial/gross: 1,660 → 1,300 M instructions of
# relaxation and program, callgrind); HiGHS meets another vertex there, as cheap (each of the
# twelve programs of both bases and conventions checked: the same optimum to 1e-7 dollars), so
# their groups, untie-broken, moved and the book's totals by cents.
_RELAXATION_OPTIONS = {**_OPTIONS, "presolve": False}
_OPTIMAL_STATUS = 0  # scipy.optimize.milp: "Optimal solution found"
_TIME_LIMIT_STATUS = 1  # scipy.optimize.milp: "Iteration or time limit reached"
_DUAL_NOISE = 1e-7  # the solver's dual feasibility tolerance, per unit a pairing may form
_SAME_WEIGHT = 1e-7  # the weight sum (see Block.weights) a relaxation must gain to beat a pairing
_LEAST_TIME = 1e-3  # seconds: a solve started after the deadline gets this long (HiGHS needs a limit > 0)
_TIE_BREAK_LIMIT = 5000  # candidates above which equally cheap pairings are not re-ranked by group count

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Block:
    """One underlying's program: ``uses`` are (leg, candidate, amount) triples, numbered within it."""

    underlying: str
    leg: np.ndarray  # int, per use
    cand: np.ndarray  # int, per use (non-decreasing)
    amount: np.ndarray  # per use
    capacity: np.ndarray  # per leg
    upper: np.ndarray  # per candidate: the most units the legs allow
    cost: np.ndarray  # per candidate: its cost less that of its legs alone
    # per candidate: the breakdown rows a unit removes (its legs' contracts, a stock once, less one)
    pieces: np.ndarray
    # per candidate, the last tie-break's weight: the logarithm of the candidate's own prime (the
    # j-th candidate in canonical order, the j-th prime). Logarithms of distinct primes are linearly
    # independent over the rationals, so no two pairings weigh the same. None: by position.
    chosen_weights: np.ndarray | None = None
    # reduced-cost fixing's bounds (None: none): per candidate, the fewest units a pairing as cheap
    # as the best found can form; per leg, whether such a pairing must use all of it
    lower: np.ndarray | None = None
    full: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.cost)

    @property
    def weights(self) -> np.ndarray:
        return _prime_logs(self.size) if self.chosen_weights is None else self.chosen_weights


def block(legs: list[BookLeg], candidates: Sequence[Candidate], net_of_proceeds: bool) -> Block:
    """The program of one underlying's legs and candidates, built column-wise."""
    return blocks([(legs, candidates)], net_of_proceeds)[0]


def blocks(books: list[tuple[list[BookLeg], Sequence[Candidate]]], net_of_proceeds: bool) -> list[Block]:
    """The programs of many underlyings' legs and candidates (see :func:`block`), built in one pass
    over all of them (each candidate's uses summed in the same order: the same figures)."""
    if not books:
        return []
    leg_offsets = np.cumsum([0, *(len(legs) for legs, _ in books)])
    cand_offsets = np.cumsum([0, *(len(candidates) for _, candidates in books)])
    leg, amount, cand, unit = stacked_columns([_candidates_of(candidates) for _, candidates in books])
    of_block = np.repeat(np.arange(len(books)), np.diff(cand_offsets))[cand]  # each use's underlying
    use_offsets = np.cumsum([0, *np.bincount(of_block, minlength=len(books))])
    leg = leg + leg_offsets[of_block]
    everyone = [lg for legs, _ in books for lg in legs]
    capacity = np.array([lg.capacity for lg in everyone], dtype=float)
    alone = np.array([lg.standalone.cost(net_of_proceeds) for lg in everyone], dtype=float)
    stock = np.array([lg.is_stock for lg in everyone], dtype=bool)
    n = len(unit)
    if n:
        starts = np.flatnonzero(np.r_[True, cand[1:] != cand[:-1]])
        upper = np.floor(np.minimum.reduceat(capacity[leg] / amount, starts) + 1e-9)
    else:
        upper = np.zeros(0)
    cost = unit - np.bincount(cand, weights=alone[leg] * amount, minlength=n)
    pieces = np.bincount(cand, weights=np.where(stock[leg], 1.0, amount), minlength=n) - 1.0
    out = []
    for k, (legs, _) in enumerate(books):
        u, v = use_offsets[k], use_offsets[k + 1]
        c, d = cand_offsets[k], cand_offsets[k + 1]
        l0, l1 = leg_offsets[k], leg_offsets[k + 1]
        underlying = legs[0].position.underlying if legs else ""
        program = Block(
            underlying, leg[u:v] - l0, cand[u:v] - c, amount[u:v], capacity[l0:l1], upper[c:d], cost[c:d],
            pieces[c:d],
        )  # fmt: skip
        out.append(program)
    return out


def _candidates_of(candidates: Sequence[Candidate]) -> Candidates:
    if isinstance(candidates, Candidates):
        return candidates
    held = Candidates()
    held.extend(list(candidates))
    return held


def optimal_units(
    legs: list[BookLeg],
    candidates: list[Candidate],
    net_of_proceeds: bool,
    time_limit: float,
    warnings: list[str],
) -> list[int]:
    """Units of each candidate in a cheapest pairing of one underlying (see :func:`solve`)."""
    notes: list[list[str]] = [[]]
    units = solve([block(legs, candidates, net_of_proceeds)], time_limit, notes)[0]
    warnings.extend(notes[0])
    return units


def start(
    b: Block, time_limit: float, warnings: list[str], then: Callable[[list[int]], T]
) -> Future[T] | None:
    """A large block's program (see :func:`solve`) started on a worker thread, where it runs while
    the caller builds and solves the other blocks (HiGHS releases the interpreter lock while it
    solves), followed on that thread by ``then`` of its units (the caller's breakdown groups, so
    they are made while the caller solves the rest); None for a block :func:`solve` stacks with
    the others. The same program, so the same pairing."""
    if b.size <= _TIE_BREAK_LIMIT:
        return None
    return _workers(os.getpid()).submit(lambda: then(_alone(b, time_limit, warnings)))


def solve_beside(
    blocks: list[Block], time_limit: float, warnings: list[list[str]], then: Callable[[list[list[int]]], T]
) -> Future[T]:
    """:func:`solve` of ``blocks`` followed by ``then`` of their units, on a thread of its own
    (not the large blocks' workers, which may still be busy): HiGHS releases the interpreter lock
    while it solves, so the caller's own solve and this one overlap. Each block's pairing is its
    own (see the module docstring), so the same as solved together."""
    return _beside(os.getpid()).submit(lambda: then(solve(blocks, time_limit, warnings)))


@functools.cache
def _beside(process: int) -> ThreadPoolExecutor:
    """The thread of :func:`solve_beside` in this process (see :func:`_workers`)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlmargin-stacked")


@functools.cache
def _workers(process: int) -> ThreadPoolExecutor:
    """The worker threads of this process (a forked child, which has none of its parent's threads,
    makes its own)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="xlmargin-pairing")


def solve(blocks: list[Block], time_limit: float, warnings: list[list[str]]) -> list[list[int]]:
    """Units of each candidate of each block in a cheapest pairing (row-order independent: the legs
    and candidates arrive in canonical order, and HiGHS is deterministic). Should the solver reach
    ``time_limit`` seconds on a block, its best pairing is used and that block's ``warnings`` say by
    how much it may exceed the optimum."""
    out: list[list[int]] = [[] for _ in blocks]
    for k, b in enumerate(blocks):  # large programs alone: each is most of a solve's work anyway
        if b.size > _TIE_BREAK_LIMIT:
            out[k] = _alone(b, time_limit, warnings[k])
    todo = [k for k, b in enumerate(blocks) if 0 < b.size <= _TIE_BREAK_LIMIT]
    if todo:
        _solve_stacked(blocks, todo, time_limit, warnings, out)
    return out


def _solve_stacked(
    blocks: list[Block], todo: list[int], time_limit: float, warnings: list[list[str]], out: list[list[int]]
) -> None:
    """:func:`solve` for the blocks ``todo``, stacked into one program: their pairings go to ``out``."""
    from xlmargin.regt._highs import milp  # lazily: the solver's import is a third of a cold start

    start = time.monotonic()
    options = {**_OPTIONS, "time_limit": time_limit}
    # The LP relaxation first: when a block's optimum is integral (common — spreads alone form a
    # bipartite matching), that is its integer optimum too, found without branching.
    relaxed = _relaxation([blocks[k] for k in todo], time_limit)
    if relaxed is None:
        for k in todo:  # one program per block, each saying whether it reached the limit
            out[k] = _alone(blocks[k], time_limit, warnings[k])
        return
    lp_x, reduced = relaxed
    # Reduced-cost fixing: c·x ≥ LP optimum + d·x for every feasible x (d ≥ 0, the relaxation's
    # reduced costs), so a candidate whose d exceeds the gap between the LP optimum and a cost
    # that some pairing reaches (plus the tie tolerance) is in no pairing that cheap: the integer
    # program and the tie-breaks search without it, and find the same optima.
    solution = dict(zip(todo, lp_x))
    duals = dict(zip(todo, reduced))
    best = {k: np.round(x) for (k, x), whole in zip(solution.items(), all_whole(lp_x)) if whole}
    fractional = [k for k in todo if k not in best]
    narrowed = _settle_by_two_leg_pairings(blocks, fractional, solution, duals, best, time_limit)
    fractional = [k for k in fractional if k not in best]
    if fractional:
        _integer_program(milp, blocks, narrowed, fractional, best, out, options, time_limit, warnings)
    settled = list(best)  # now to within the tie tolerance of the integer optimum
    reached = [float(blocks[k].cost @ best[k]) for k in settled]
    for k, b in zip(settled, _narrow(blocks, settled, solution, duals, reached)):
        narrowed[k] = b
    for k, failure in _tie_break(milp, narrowed, best, start + time_limit).items():
        warnings[k].append(_unranked(blocks[k], time_limit, failure))
    for k, x in best.items():
        out[k] = x.astype(np.int64).tolist()


def _settle_by_two_leg_pairings(
    blocks: list[Block],
    fractional: list[int],
    solution: dict[int, np.ndarray],
    duals: dict[int, _Duals],
    best: dict[int, np.ndarray],
    time_limit: float,
) -> list[Block]:
    """The blocks narrowed by reduced-cost fixing; fractional blocks settled by two-leg pairings.

    Pairings that some solution reaches, for the fixing: the relaxation rounded down (non-negative
    uses; below noise, down), and the relaxation of two-leg strategies alone (spreads, straddles:
    often integral). Where the latter is integral and as cheap as the relaxation of all the
    candidates, it is optimal and no integer program is needed (condor ladders: the relaxation of
    all mixes halves of condors, at the same cost as whole spreads); such blocks enter ``best``."""
    narrowed = list(blocks)
    pairs = _relaxation([_two_leg(blocks[k]) for k in fractional], time_limit) if fractional else None
    two_leg = pairs[0] if pairs is not None else [None] * len(fractional)
    whole = all_whole(pairs[0]) if pairs is not None else [False] * len(fractional)
    unsettled, reached = [], []
    for k, y, integral in zip(fractional, two_leg, whole):
        b, x = blocks[k], solution[k]
        gets = float(b.cost @ np.floor(np.maximum(x - 1e-6, 0.0)))
        if y is not None and integral:
            if float(b.cost @ np.round(y)) <= float(b.cost @ x) + _DUAL_NOISE:
                best[k] = np.round(y)
                continue
            gets = min(gets, float(b.cost @ np.round(y)))
        unsettled.append(k)
        reached.append(gets)
    for k, b in zip(unsettled, _narrow(blocks, unsettled, solution, duals, reached)):
        narrowed[k] = b
    return narrowed


def _integer_program(
    milp: Any,
    blocks: list[Block],
    narrowed: list[Block],
    fractional: list[int],
    best: dict[int, np.ndarray],
    out: list[list[int]],
    options: dict[str, Any],
    time_limit: float,
    warnings: list[list[str]],
) -> None:
    """The fractional blocks' integer program, stacked: optima go to ``best``; blocks the time limit
    stopped get their pairing in ``out`` directly, with a warning."""
    first = milp(**_stacked([narrowed[k] for k in fractional], integral=True), options=options)
    if first.status == _TIME_LIMIT_STATUS and first.x is not None and len(fractional) == 1:
        # one block: solving it alone would be this program again, for as long
        (k,) = fractional
        out[k] = _stopped(blocks[k], first, time_limit, warnings[k])
    elif first.status != _OPTIMAL_STATUS or first.x is None:  # a limit reached: say so block by block
        for k in fractional:
            out[k] = _alone(blocks[k], time_limit, warnings[k])
    else:
        best.update(
            zip(fractional, (np.round(x) for x in _split(first.x, [narrowed[k] for k in fractional])))
        )


def _two_leg(b: Block) -> Block:
    """``b`` with only its candidates of two legs (or a leg and stock)."""
    return replace(b, upper=np.where(np.bincount(b.cand, minlength=b.size) == 2, b.upper, 0.0))


def _narrow(
    blocks: list[Block],
    which: list[int],
    solution: dict[int, np.ndarray],
    duals: dict[int, _Duals],
    reached: list[float],
) -> list[Block]:
    """The blocks ``which``, each restricted to the pairings within ``_SAME_COST`` of its ``reached``
    cost, given its relaxation's ``solution`` and ``duals`` (see :func:`solve`): c·y = c·x + Σ d_j
    (y_j − x_j) + Σ w_l s_l for every pairing y, each term ≥ 0 (d the reduced costs, w the legs'
    duals, s a leg's contracts left), so a term above the slack cannot be paid: a candidate of
    reduced cost d_j > slack is not used, one at its bound with d_j < −slack is used to the full,
    and a leg with w_l > slack is used to the full where its contracts (shares) left can only be
    whole numbers: 1 or more, once not all are used (its capacity and every amount of it a
    candidate uses are whole numbers). Each block's slack is its own; the comparisons are made
    for all the blocks at once, element by element (a call per block cost more than its work)."""
    if not which:
        return []
    chosen = [blocks[k] for k in which]
    slack = [
        cost - float(b.cost @ solution[k]) + _SAME_COST + _DUAL_NOISE * (1.0 + float(b.upper.sum()))
        for k, b, cost in zip(which, chosen, reached)
    ]
    sizes, legs = [b.size for b in chosen], [len(b.capacity) for b in chosen]
    per_candidate, per_leg = np.repeat(slack, sizes), np.repeat(slack, legs)
    found = [duals[k] for k in which]
    bound = np.concatenate([b.upper for b in chosen])
    upper = np.where(np.concatenate([d.reduced for d in found]) > per_candidate, 0.0, bound)
    lower = np.where(-np.concatenate([d.reduced_upper for d in found]) > per_candidate, upper, 0.0)
    uses = [len(b.leg) for b in chosen]
    leg = np.concatenate([b.leg for b in chosen]) + np.repeat(np.cumsum([0, *legs[:-1]]), uses)
    amount = np.concatenate([b.amount for b in chosen])
    capacity = np.concatenate([b.capacity for b in chosen])
    broken = np.bincount(leg, weights=amount != np.round(amount), minlength=len(capacity))
    whole = (broken == 0) & (capacity == np.round(capacity))  # contracts left: whole numbers
    full = whole & (-np.concatenate([d.rows for d in found]) > per_leg)
    return [
        Block(b.underlying, b.leg, b.cand, b.amount, b.capacity, u, b.cost, b.pieces, b.chosen_weights, lw, f)
        for b, u, lw, f in zip(chosen, cut(upper, sizes), cut(lower, sizes), cut(full, legs))
    ]


class _Duals(NamedTuple):
    """One block's part of a relaxation's duals: per candidate the reduced cost at its lower bound
    (≥ 0) and at its upper bound (≤ 0), per leg the capacity row's dual (≤ 0 when binding)."""

    reduced: np.ndarray
    reduced_upper: np.ndarray
    rows: np.ndarray


def _relaxation(blocks: list[Block], time_limit: float) -> tuple[list[np.ndarray], list[_Duals]] | None:
    """The stacked LP relaxation: each block's solution and duals, or None if not solved."""
    from xlmargin.regt._highs import linprog

    program = _stacked(blocks, integral=False)
    (capacity,) = program["constraints"]
    bounds = np.column_stack((program["bounds"].lb, program["bounds"].ub))
    # without presolve, as the other relaxations of the stacked blocks (see _RELAXATION_OPTIONS)
    result = linprog(program["c"], capacity.A, capacity.ub, bounds, time_limit, presolve=False)
    if result.status != _OPTIMAL_STATUS or result.x is None or result.reduced is None:
        return None
    return _split(result.x, blocks), _duals_of(result, blocks)


def _duals_of(result: Any, blocks: list[Block]) -> list[_Duals]:
    """Each block's part of the duals of a relaxation HiGHS solved to optimality."""
    assert result.reduced is not None and result.reduced_upper is not None and result.row_duals is not None
    reduced = _split(np.maximum(result.reduced, 0.0), blocks)
    reduced_upper = _split(np.minimum(result.reduced_upper, 0.0), blocks)
    rows = cut(np.minimum(result.row_duals, 0.0), [len(b.capacity) for b in blocks])
    return [_Duals(d, u, w) for d, u, w in zip(reduced, reduced_upper, rows)]


def _tie_break(
    milp: Any, blocks: list[Block], best: dict[int, np.ndarray], deadline: float
) -> dict[int, str | None]:
    """Replaces each block's pairing in ``best`` by the canonical one among equally cheap pairings:
    the most pieces (the fewest groups), then the greatest :attr:`Block.weights` sum — unique, so
    that the groups (and the other convention's figure) do not depend on which of equally good
    pairings the solver meets first, nor on the blocks solved beside it. Nothing to re-rank where
    every candidate is already at its bound: no pairing forms more of any.

    Every solve stops at ``deadline`` (``time.monotonic()``): the blocks whose search it cut short
    (None) or that the solver failed otherwise (its message) are returned, each keeping a pairing as
    cheap as before, but perhaps not the canonical one."""
    ties = [k for k in best if np.any(best[k] < blocks[k].upper)]
    stopped: dict[int, str | None] = {}
    if not ties:
        return stopped
    # The programs hold only the candidates a pairing may still use (reduced-cost fixing leaves
    # most at zero units), each keeping its weight: the same programs, a third of the columns.
    live = {k: (blocks[k].upper > 0) | (best[k] > 0) for k in ties}
    narrow = list(blocks)
    found = dict(best)
    for k, b in zip(ties, _columns([blocks[k] for k in ties], [live[k] for k in ties])):
        narrow[k], found[k] = b, best[k][live[k]]
    optima = {k: float(narrow[k].cost @ found[k]) for k in ties}
    _improve(milp, narrow, ties, found, optima, deadline, stopped, maximise="pieces", margin=1e-6)
    floors = {k: float(narrow[k].pieces @ found[k]) - 1e-6 for k in ties}
    _improve(
        milp, narrow, ties, found, optima, deadline, stopped, maximise="weights", margin=_SAME_WEIGHT,
        floors=floors,
    )  # fmt: skip
    for k in ties:
        best[k] = np.zeros(blocks[k].size)
        best[k][live[k]] = found[k]
    return stopped


def _columns(blocks: list[Block], keep: list[np.ndarray]) -> list[Block]:
    """Each block with only its candidates where its mask ``keep`` holds, each keeping its weight,
    gathered for all the blocks at once (a few calls per block cost more than their work)."""
    sizes, uses = [b.size for b in blocks], [len(b.cand) for b in blocks]
    chosen = np.concatenate(keep)
    starts = np.cumsum([0, *sizes[:-1]])  # each block's first candidate
    cand = np.concatenate([b.cand for b in blocks]) + np.repeat(starts, uses)
    used = chosen[cand]
    count = np.cumsum(chosen)  # a kept candidate's number, less that of its block's first one
    renumber = count - 1 - np.repeat(count[starts] - chosen[starts], sizes)
    numbers = np.arange(len(blocks))
    kept_sizes = np.bincount(np.repeat(numbers, sizes)[chosen], minlength=len(blocks)).tolist()
    kept_uses = np.bincount(np.repeat(numbers, uses)[used], minlength=len(blocks)).tolist()

    def column(values: list[np.ndarray]) -> list[np.ndarray]:
        return cut(np.concatenate(values)[chosen], kept_sizes)

    def use(values: np.ndarray) -> list[np.ndarray]:
        return cut(values[used], kept_uses)

    lower = [np.zeros(b.size) if b.lower is None else b.lower for b in blocks]
    parts = zip(
        use(np.concatenate([b.leg for b in blocks])), use(renumber[cand]),
        use(np.concatenate([b.amount for b in blocks])), column([b.upper for b in blocks]),
        column([b.cost for b in blocks]), column([b.pieces for b in blocks]),
        column([b.weights for b in blocks]), column(lower),
    )  # fmt: skip
    return [
        Block(b.underlying, leg, number, amount, b.capacity, upper, cost, pieces, weights, low, b.full)
        for b, (leg, number, amount, upper, cost, pieces, weights, low) in zip(blocks, parts)
    ]


def _improve(
    milp: Any,
    blocks: list[Block],
    ties: list[int],
    best: dict[int, np.ndarray],
    optima: dict[int, float],
    deadline: float,
    stopped: dict[int, str | None],
    *,
    maximise: str,
    margin: float,
    floors: dict[int, float] | None = None,
) -> None:
    """Per block of ``ties``, the pairing of greatest ``maximise`` ("pieces", "weights") among those
    within ``_SAME_COST`` of its optimum (and with at least its ``floors`` pieces) replaces the one
    in ``best``. The relaxation bounds it: where that cannot beat the pairing found by ``margin``,
    no search; where its solution is integral, that is the one; the rest in one integer program.
    The blocks of a solve that reaches ``deadline`` are added to ``stopped`` (None), those of a solve
    that fails otherwise with the solver's message (never called a time limit)."""

    def program(which: list[int], integral: bool) -> list[np.ndarray] | None:
        chosen = [blocks[k] for k in which]
        result = milp(
            **_stacked(
                chosen,
                integral=integral,
                maximise=maximise,
                cheapest=np.array([optima[k] for k in which]) + _SAME_COST,
                fewest=None if floors is None else np.array([floors[k] for k in which]),
            ),
            options={
                **(_OPTIONS if integral else _RELAXATION_OPTIONS),
                "time_limit": max(deadline - time.monotonic(), _LEAST_TIME),
            },
        )
        if result.status != _OPTIMAL_STATUS:
            reason = None if result.status == _TIME_LIMIT_STATUS else result.message
            stopped.update(dict.fromkeys(which, reason))
        return None if result.x is None else _split(result.x, chosen)

    def fits(k: int, x: np.ndarray) -> bool:
        enough = floors is None or float(blocks[k].pieces @ x) >= floors[k]
        return enough and _within(blocks[k], x, optima[k])

    relaxed = program(ties, integral=False)
    search = []
    for k, x, whole in zip(ties, relaxed, all_whole(relaxed)) if relaxed is not None else ():
        value = getattr(blocks[k], maximise)
        if float(value @ x) <= float(value @ best[k]) + margin:
            continue  # the pairing found is already the best by this measure
        if whole and fits(k, np.round(x)):
            best[k] = np.round(x)
        else:
            search.append(k)
    if relaxed is None:
        search = ties
    if search:
        for k, x in zip(search, program(search, integral=True) or ()):
            if fits(k, np.round(x)):
                best[k] = np.round(x)


_LIMIT_NOTE = ": the pairing solver "  # in the warning of every solve its time limit cut short


def cut_short(warnings: Sequence[str]) -> bool:
    """Whether ``warnings`` (a result's) say that the time limit cut a pairing solve short."""
    return any(_LIMIT_NOTE in w and " s limit" in w for w in warnings)


def _stopped(b: Block, result: Any, time_limit: float, warnings: list[str]) -> list[int]:
    """The best pairing of an integer program that reached its time limit, and its warning."""
    best = np.round(result.x)
    optimum = float(b.cost @ best)
    bound = float(getattr(result, "mip_dual_bound", optimum) or optimum)
    warnings.append(
        f"{b.underlying}{_LIMIT_NOTE}stopped at its {time_limit:g} s limit; the requirement may "
        f"exceed the optimum by up to {max(optimum - bound, 0.0):,.2f}"
    )
    return [int(x) for x in best]


def _unranked(b: Block, time_limit: float, failure: str | None) -> str:
    """The warning of a block whose tie-break the time limit cut short (``failure`` None) or that the
    solver failed otherwise (its message: not a limit, so :func:`cut_short` does not read it so)."""
    why = (
        f"{_LIMIT_NOTE}reached its {time_limit:g} s limit"
        if failure is None
        else f": the pairing solver failed ({failure})"
    )
    return (
        f"{b.underlying}{why} while choosing among equally cheap pairings; the requirement is the "
        "cheapest pairing's, but its groups (and the other convention's figure) may not be the "
        "canonical ones"
    )


def _within(b: Block, x: np.ndarray, optimum: float) -> bool:
    return float(b.cost @ x) <= optimum + _SAME_COST


def _alone(b: Block, time_limit: float, warnings: list[str]) -> list[int]:
    """One block solved on its own, with the time-limit warning of its underlying."""
    if not b.size:
        return []
    from xlmargin.regt._highs import milp

    start = time.monotonic()
    options = {**_OPTIONS, "time_limit": time_limit}
    relaxed = milp(
        **_stacked([b], integral=False), options={**_RELAXATION_OPTIONS, "time_limit": time_limit}, duals=True
    )
    if relaxed.x is not None and np.allclose(relaxed.x, np.round(relaxed.x), atol=1e-9):
        first = relaxed
    else:
        first = _from_rounding(milp, b, relaxed, start + time_limit, options)
    if first.x is None:
        raise XlMarginError(f"{b.underlying}: the pairing solver failed ({first.message})")
    if first.status == _TIME_LIMIT_STATUS:
        return _stopped(b, first, time_limit, warnings)
    best = np.round(first.x)
    if b.size > _TIE_BREAK_LIMIT:
        return best.astype(np.int64).tolist()
    found = {0: best}
    for failure in _tie_break(milp, [b], found, start + time_limit).values():
        warnings.append(_unranked(b, time_limit, failure))
    return found[0].astype(np.int64).tolist()


def _from_rounding(milp: Any, b: Block, relaxed: Any, deadline: float, options: dict[str, Any]) -> Any:
    """The integer program of ``b`` (its ``relaxed`` solution fractional) narrowed by reduced-cost
    fixing at the cost of a rounding of that solution (:func:`_narrow`), of the parts where that
    solution is fractional only (:mod:`._components`), started from the rounding: the same optimum,
    on the benchmark book's RUT class from a fifth of its candidates or fewer, in under half the
    time. Without the relaxation's duals or a rounding, the integer program of ``b`` as it is."""
    rounded = None if relaxed.reduced is None else _rounding(milp, b, relaxed.x, deadline)
    if rounded is None:
        return milp(**_stacked([b], integral=True), options=options)
    (duals,) = _duals_of(relaxed, [b])
    (narrowed,) = _narrow([b], [0], {0: relaxed.x}, {0: duals}, [float(b.cost @ rounded)])
    assert narrowed.lower is not None and narrowed.full is not None
    live = narrowed.upper > narrowed.lower
    whole = np.isclose(relaxed.x, np.round(relaxed.x), atol=1e-9)
    searched, legs = fractional_parts(b.leg, b.cand, live, ~whole, len(b.capacity))
    if not searched.any():
        return milp(**_stacked([narrowed], integral=True), options=options, start=rounded)
    # the other parts: the relaxed solution, whole there, or the units the fixing forces
    rest = np.where(searched, 0.0, np.where(live, np.round(relaxed.x), narrowed.upper))
    left = b.capacity - np.bincount(b.leg, weights=b.amount * rest[b.cand], minlength=len(b.capacity))
    part = replace(narrowed, capacity=np.maximum(left, 0.0), full=narrowed.full & legs)
    (part,) = _columns([part], [searched])
    found = milp(**_stacked([part], integral=True), options=options, start=rounded[searched])
    if found.x is None:
        return found
    fixed = float(b.cost @ rest)  # of the other parts (none of the searched one yet)
    rest[searched] = found.x
    bound = None if found.mip_dual_bound is None else found.mip_dual_bound + fixed
    return replace(found, x=rest, mip_dual_bound=bound)


def _rounding(milp: Any, b: Block, x: np.ndarray, deadline: float) -> np.ndarray | None:
    """A pairing near the relaxed solution ``x``: its whole units (the fractional ones rounded
    down), then the cheapest pairing of the contracts (shares) they leave, an integer program of the
    few candidates that fit in them. None if that program is not solved."""
    whole = np.isclose(x, np.round(x), atol=1e-9)
    base = np.maximum(np.where(whole, np.round(x), np.floor(x)), 0.0)
    left = b.capacity - np.bincount(b.leg, weights=b.amount * base[b.cand], minlength=len(b.capacity))
    starts = np.flatnonzero(np.r_[True, b.cand[1:] != b.cand[:-1]])
    fits = np.floor(np.minimum.reduceat(left[b.leg] / b.amount, starts) + 1e-9)
    rest = replace(b, capacity=np.maximum(left, 0), upper=np.clip(fits, 0, b.upper), lower=None, full=None)
    fit = rest.upper > 0  # only these go to the solver (RUT: some 100 of 5,500 columns; 6-9 → 2-6 ms)
    if not fit.any():
        return base
    options = {**_OPTIONS, "time_limit": max(deadline - time.monotonic(), _LEAST_TIME)}
    found = milp(**_stacked(_columns([rest], [fit]), integral=True), options=options)
    if found.status != _OPTIMAL_STATUS or found.x is None:
        return None
    base[fit] += np.round(found.x)
    return base


def _stacked(
    blocks: list[Block],
    *,
    integral: bool,
    maximise: str | None = None,
    cheapest: np.ndarray | None = None,
    fewest: np.ndarray | None = None,
) -> dict[str, Any]:
    """``milp``'s positional arguments for the blocks side by side: minimise the cost, or maximise
    the blocks' ``maximise`` attribute ("pieces", "weights") within each block's ``cheapest`` bound
    on its cost and ``fewest`` bound on its pieces."""
    from scipy.optimize import Bounds, LinearConstraint
    from scipy.sparse import csr_array

    leg_offsets = np.cumsum([0, *(len(b.capacity) for b in blocks)])
    cand_offsets = np.cumsum([0, *(b.size for b in blocks)])
    uses = [len(b.leg) for b in blocks]
    rows = np.concatenate([b.leg for b in blocks]) + np.repeat(leg_offsets[:-1], uses)
    cols = np.concatenate([b.cand for b in blocks]) + np.repeat(cand_offsets[:-1], uses)
    amounts = np.concatenate([b.amount for b in blocks])
    n = int(cand_offsets[-1])
    use = csr_array((amounts, (rows, cols)), shape=(int(leg_offsets[-1]), n))
    full = np.concatenate([np.zeros(len(b.capacity), bool) if b.full is None else b.full for b in blocks])
    capacity = np.concatenate([b.capacity for b in blocks])
    constraints = [LinearConstraint(use, np.where(full, capacity, -np.inf), capacity)]
    cost = np.concatenate([b.cost for b in blocks])
    block_of = np.repeat(np.arange(len(blocks)), [b.size for b in blocks])
    if cheapest is not None:
        per_block = csr_array((cost, (block_of, np.arange(n))), shape=(len(blocks), n))
        constraints.append(LinearConstraint(per_block, -np.inf, cheapest))
    if fewest is not None:
        pieces = np.concatenate([b.pieces for b in blocks])
        per_block = csr_array((pieces, (block_of, np.arange(n))), shape=(len(blocks), n))
        constraints.append(LinearConstraint(per_block, fewest, np.inf))
    objective = cost if maximise is None else -np.concatenate([getattr(b, maximise) for b in blocks])
    lower = np.concatenate([np.zeros(b.size) if b.lower is None else b.lower for b in blocks])
    bounds = Bounds(lower, np.concatenate([b.upper for b in blocks]))
    integrality = np.full(n, 1.0 if integral else 0.0)
    return {"c": objective, "integrality": integrality, "bounds": bounds, "constraints": constraints}


@functools.cache
def _primes(n: int) -> np.ndarray:
    """The first ``n`` primes (a sieve, doubling its bound until it holds enough)."""
    bound = 16
    while True:
        sieve = np.ones(bound, dtype=bool)
        sieve[:2] = False
        for p in range(2, int(bound**0.5) + 1):
            if sieve[p]:
                sieve[p * p :: p] = False
        found = np.flatnonzero(sieve)
        if len(found) >= n:
            return found[:n]
        bound *= 2


def _prime_logs(n: int) -> np.ndarray:
    return np.log(_primes(max(n, _TIE_BREAK_LIMIT))[:n].astype(float))


def _split(x: np.ndarray, blocks: list[Block]) -> list[np.ndarray]:
    """``x`` cut into the blocks' parts."""
    return cut(x, [b.size for b in blocks])
