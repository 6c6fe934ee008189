"""The least to close so that the requirement is back within the equity.

Closing only: each position may be reduced towards zero, never increased or reversed. The plan
minimises the notional closed (Σ price × multiplier × units closed), or with ``plan_by = trades``
first the number of positions touched and then the notional, subject to

    requirement(book after closing) ≤ equity × (1 − cushion)

where the requirement is the regime's, as a linear program in the units closed: ``pm`` on the
portfolio-margin risk arrays (stock, ETF and option lines) plus the bonds margined outside portfolio
margin, each its engine figure per unit of face (FINRA 4210(e)(2): a share of its value or face, in
proportion on one side of 0: :func:`~._pm.outside_units`), ``risk`` on the risk view's scenario
matrix (every row it prices). Shares, options, futures, FX and CFDs are closed in whole units
(:data:`WHOLE`, as the hedge trades them; a fractional holding, 10.5 shares, in whole units or
entirely), bonds in whole pieces of their ``denomination`` (face 1,000 when the row gives none) or
entirely (a mixed-integer program, :mod:`._pieces`). Cash is never sold: a call is met by selling
positions or depositing, and converting one currency into another is no sale (under
``risk`` a foreign cash row's currency risk stays in the requirement; where only it is left above
the target, the plan says so).
Closing at the market leaves the equity unchanged. Under ``pm`` a leveraged ETF widens its class
group's scan range while the book holds it (quantity ≠ 0), so the requirement is not one program
in the units closed: the plan solves one per subset of the closable leveraged rows closed entirely
(the others kept, in part at least), each on the risk arrays of the book after that subset's sale,
and takes the lexicographically best (at most ``MAX_LEVERAGED`` rows; beyond, refused). The engine
then re-computes the requirement
of the book after the plan; both figures are reported. Deng, Dulaney & McCann (2012) pose the same
problem; this solves it exactly rather than greedily.

Under ``regt`` and ``regt_maintenance`` (Reg T initial and maintenance, FINRA's gross convention,
as the engine totals it) the requirement is the cost of the optimal strategy pairing, itself an
integer program whose capacities are the units held: the plan is ONE mixed-integer program over
the units closed and the pairing together (:mod:`._regt`), every per-unit figure the engine's (a
sold unit pairs nothing). For any sale the least pairing cost is the engine's requirement
(unrounded: the engine rounds each group to the cent), so the plan is exactly the least sale. A
contract held both long and short is netted by the engine, and a sale may leave either side held:
the program holds both sides, one of them at zero (a binary per such contract). The book's special
maintenance is spread over each underlying's rows first, as the engine reads it, so that a row
closed entirely does not take its underlying's figure with it. What the program cannot see is said
on the result: a bounded candidate search (an underlying past the engine's caps: the least sale may
then be smaller than the plan's), and FINRA 4210(b)(2)'s minimum equity (reported beside the
requirement, never part of it; no sale changes the equity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin.decisions import _pieces as _pc
from xlmargin.decisions import _pm, _regt
from xlmargin.decisions._common import (
    WHOLE,
    DecisionSettings,
    Measure,
    above_zero,
    call_measure,
    check_regime,
    contract_keys,
    engine_result,
    figure,
    notional,
    requirement,
    warnings_of,
    with_equity,
    with_quantities,
)
from xlmargin.decisions._linear import unit_stress_pnl, worst_loss_variable
from xlmargin.decisions._lp import Program, Solution
from xlmargin.decisions.names import PLAN_REGIMES
from xlmargin.errors import InputError, Problem
from xlmargin.money import cents
from xlmargin.pm.risk import COVERED, OUTSIDE, risk_arrays
from xlmargin.positions import Portfolio
from xlmargin.regt import regt_margin
from xlmargin.regt._legs import special_per_underlying

REGIMES = PLAN_REGIMES
_BASIS = {"regt": "initial", "regt_maintenance": "maintenance"}  # as the decisions' engine reads them


@dataclass(frozen=True)
class _Cut:
    """A later goal's search that the time limit stopped before any plan (Reg T: the plan of the
    goals before stands)."""

    optimal: bool = False
    status: str = (
        "time limit hit: the fewest positions touched is proven, but no plan of less notional among "
        "them was found in time; the plan found first"
    )


_LATER_GOAL_CUT = _Cut()
_TIE = 1e-9  # second solve: notional within this relative distance of the least
MAX_LEVERAGED = _pm.MAX_LEVERAGED  # pm: leveraged rows the plan may close (one program per subset kept)


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
    notes: tuple[str, ...] = ()  # what the program could not see (Reg T: module docstring)
    measure: str = ""  # the requirement the plan meets (:func:`~._common.call_measure`)
    meets: str = ""  # that requirement, and why it is the one a call is cured to (:func:`_meets`)
    warnings: tuple[str, ...] = ()  # the regime's engine's, on the book before the plan

    @property
    def notional(self) -> float:
        return float(sum(t[3] for t in self.trades))

    def table(self) -> list[list[Any]]:
        """Status, what the plan meets, each closing trade, then the figures before and after. A
        trade's quantity is signed as a trade: −5 sells 5 of a long holding, +10 buys back 10 of a
        short one; its notional is the value closed at today's price (:func:`~._common.notional`:
        price × multiplier × units, so an option's is its premium, not its underlying's value)."""
        measure = self.measure or self.regime
        out: list[list[Any]] = [[*HEADER], ["status", self.status, "", ""]]
        if self.meets:
            out.append(["note", self.meets, "", ""])
        out += [["note", note, "", ""] for note in self.notes]
        if not self.trades:
            out.append(["trade", "none: the requirement is within the equity", 0.0, 0.0])
        for row, symbol, quantity, closed in self.trades:
            out.append(["trade", f"{symbol} (row {row})", quantity, cents(closed)])
        out += [
            ["figure", "notional closed", "", cents(self.notional)],
            ["figure", "equity", "", cents(self.equity)],
            ["figure", "target: equity × (1 − cushion)", "", cents(self.target)],
            ["figure", f"{measure} requirement before", "", cents(self.before)],
            ["figure", f"{measure} requirement after (optimiser)", "", cents(self.optimiser_value)],
            ["figure", f"{measure} requirement after (engine)", "", cents(self.after)],
            ["figure", "excess after", "", cents(self.equity - self.after)],
        ]
        return out


HEADER = (
    "line",
    "item",
    "quantity (signed trade: − sells, + buys back)",
    "notional closed (price × multiplier)",
)


def _meets(measure: Measure) -> str:
    """What the plan's target is, said: the requirement a margin call is met by (:func:`call_measure`)."""
    if measure.regime == "risk":
        return f"the plan meets the {measure.label} (a house measure, not a regulation's call)"
    if measure.basis == "initial":
        return (
            f"the plan meets the {measure.label} requirement (basis=initial): more than a call needs, as a "
            "call comes from maintenance (FINRA 4210(c)); below initial an account is restricted, not called"
        )
    if measure.regime == "pm":
        return f"the plan meets the {measure.label} requirement, its regulatory (maintenance) figure"
    return (
        f"the plan meets the {measure.label} requirement: a margin call comes from maintenance (FINRA "
        "4210(c)) and is met by bringing it within the equity"
    )


def liquidation_plan(
    portfolio: Portfolio, equity: float, settings: DecisionSettings, regime: str = "pm"
) -> LiquidationResult:
    """The least notional to close so that the requirement fits the equity (module docstring)."""
    check_regime(regime, REGIMES)
    equity = above_zero(equity, "equity", "equity")
    chosen = regime
    measure = call_measure(regime, with_equity(settings, equity, regime))  # maintenance unless basis=initial
    regime, settings = measure.regime, measure.settings
    if regime in _BASIS:  # each row carries its underlying's special maintenance (module docstring)
        portfolio = special_per_underlying(portfolio)
    target = equity * (1.0 - settings.cushion)
    found = engine_result(regime, settings)(portfolio) if len(portfolio) else None
    before = 0.0 if found is None else figure(regime, found)
    warned = warnings_of(chosen, found) if found is not None else ()
    shown = (measure.label, _meets(measure), warned)
    if before <= target:
        return LiquidationResult(
            chosen, "no sale needed", equity, target, before, before, before, (), (), *shown
        )
    keys = [repr(k) for k in contract_keys(portfolio)]  # once: in the sort key it was once a row
    order = np.array(sorted(range(len(portfolio)), key=keys.__getitem__), dtype=np.int64)
    book = Portfolio({k: v[order] for k, v in portfolio.arrays.items()}, portfolio.as_of)
    a = book.arrays
    quantity = a["quantity"]
    sign = np.sign(quantity)
    closable = (quantity != 0.0) & (a["type"] != "cash")  # cash is not sold: module docstring
    if regime == "pm":  # the covered lines, and the bonds margined outside portfolio margin
        closable &= np.isin(a["type"], (*COVERED, *OUTSIDE))
    emptied = requirement(regime, with_quantities(book, np.where(closable, 0.0, quantity)), settings)
    named = chosen if measure.basis is None else f"{chosen} ({measure.basis})"
    infeasible = (
        f"no sale reaches the requirement: selling everything the plan may close leaves the {named} "
        f"requirement at {emptied:,.2f}, above the target {target:,.2f} (equity × (1 − cushion))"
        + _kept(book, quantity != 0.0)
    )
    if emptied > target:  # said at once: a MILP may take its whole time limit to prove it
        raise InputError(Problem(infeasible, None, "equity"))
    swing = np.zeros(len(book), dtype=bool)
    if regime == "pm":  # leveraged rows widen their class group's scan range while held
        swing = _pm.widens_range(book)
        if (swing & closable).sum() > MAX_LEVERAGED:
            raise InputError(Problem(_too_many(book, swing & closable), None, "leverage"))
    pairing = (
        _regt.regt_program(book, _BASIS[regime], settings.account.regt_rules) if regime in _BASIS else None
    )
    plans: list[_Plan] = []
    errors: list[InputError] = []
    levered = np.flatnonzero(swing & closable)
    for mask in range(2 ** len(levered)):  # each subset of leveraged rows closed fixes the ranges
        shut = np.zeros(len(book), dtype=bool)
        shut[levered[[(mask >> k) & 1 == 1 for k in range(len(levered))]]] = True
        try:
            plans.append(_solve(book, regime, settings, target, closable, shut, swing, infeasible, pairing))
        except InputError as raised:  # this subset cannot meet the target (or found no plan in time)
            errors.append(raised)
    if not plans:
        raise next((e for e in errors if infeasible not in str(e)), errors[0])
    best = plans[0]
    for plan in plans[1:]:
        if _better(plan.goals, best.goals):
            best = plan
    closed = best.closed
    status = next((p.status for p in plans if p.status != "optimal"), best.status)
    unsolved = [e for e in errors if infeasible not in str(e)]  # a choice that found no plan in time
    if unsolved and status == "optimal":
        status = (
            f"time limit hit: {len(unsolved)} of {len(plans) + len(errors)} choices of the leveraged rows "
            "closed found no plan in time; best plan of the others"
        )
    after_book = with_quantities(book, quantity - sign * closed)
    after = requirement(regime, after_book, settings)
    notes = _regt_notes(regime, pairing, after_book, equity, target, after, settings) if pairing else ()
    size = notional(book)
    trades = tuple(
        (int(a["row"][i]), str(a["symbol"][i]), float(-sign[i] * closed[i]), float(size[i] * closed[i]))
        for i in sorted(np.flatnonzero(closed > 0), key=lambda i: int(a["row"][i]))
    )
    return LiquidationResult(chosen, status, equity, target, before, best.value, after, trades, notes, *shown)


def _regt_notes(
    regime: str,
    pairing: _regt.RegTProgram,
    after_book: Portfolio,
    equity: float,
    target: float,
    after: float,
    settings: DecisionSettings,
) -> tuple[str, ...]:
    """What the Reg T program could not see, said (module docstring)."""
    notes = list(pairing.warnings)
    if notes:
        notes.append(
            "the candidate search was bounded (above), as the engine bounds it on a book that large: "
            "the plan meets the target, but a smaller sale may also meet it"
        )
    if after > target:
        notes.append(
            "the plan keeps the unrounded requirement within the target; the engine rounds each "
            "strategy group to the cent, which puts its total above the target by those cents"
        )
    if len(after_book):
        check = regt_margin(
            after_book, basis=_BASIS[regime], rules=settings.account.regt_rules, equity=equity
        )
        shortfall = [w for w in check.warnings if "4210(b)(2)" in w]
        beside = "an account condition beside the requirement, not a target of the plan"
        notes += [f"after the plan, {w} ({beside})" for w in shortfall]
    return tuple(notes)


@dataclass(frozen=True)
class _Plan:
    closed: np.ndarray  # units closed per row of the (sorted) book
    goals: tuple[float, ...]  # goals reached (positions touched, notional), then the requirement
    value: float  # the requirement after, by the program
    status: str


def _better(new: tuple[float, ...], old: tuple[float, ...]) -> bool:
    """Whether goals ``new`` beat ``old`` lexicographically, ties within the solver's tolerance."""
    for a, b in zip(new, old, strict=True):
        tie = _TIE * max(1.0, abs(b))
        if a < b - tie:
            return True
        if a > b + tie:
            return False
    return False


def _kept(book: Portfolio, held: np.ndarray) -> str:
    """What the plan does not sell among the rows ``held``, said where the target is out of reach."""
    kinds = book.arrays["type"]
    out = ""
    if (held & (kinds == "cash")).any():
        out += (
            "; cash is not sold by the plan (converting a currency is no sale: deposit, or convert it "
            "yourself and plan again)"
        )
    return out


def _too_many(book: Portfolio, levered: np.ndarray) -> str:
    rows = ", ".join(str(int(r)) for r in book.arrays["row"][levered])
    return (
        f"the plan may close {int(levered.sum())} leveraged ETF rows (rows {rows}); each one held widens "
        "its class group's portfolio-margin scan range, so the plan solves one program per subset of "
        f"them kept, at most {MAX_LEVERAGED} rows ({2**MAX_LEVERAGED} programs): use the risk regime, or "
        "plan a sleeve with fewer leveraged rows"
    )


def _solve(
    book: Portfolio,
    regime: str,
    settings: DecisionSettings,
    target: float,
    closable: np.ndarray,
    shut: np.ndarray,
    swing: np.ndarray,
    infeasible: str,
    pairing: _regt.RegTProgram | None = None,
) -> _Plan:
    """The least sale with the leveraged rows ``shut`` closed entirely and every other leveraged row
    (``swing``) still held after the sale (at least part of it), so that the scan ranges of the
    program are those of the engine on the book after the sale (a leveraged row at zero quantity is
    not held, and widens nothing, in the program as in the engine)."""
    full = book.arrays["quantity"]
    keep = ~shut
    sub = book.select(keep) if not keep.all() else book
    a = sub.arrays
    quantity = a["quantity"]
    sign = np.sign(quantity)
    movable = closable[keep]
    most = np.abs(quantity)
    held = swing[keep] & movable  # kept leveraged rows: at least part must stay
    upper = np.where(movable, np.where(held, np.maximum(np.ceil(most) - 1.0, 0.0), most), 0.0)
    in_units = np.isin(a["type"], WHOLE)
    # a whole-unit row held in a fraction (10.5 shares) is closed in whole units or entirely, as a
    # bond in pieces (:func:`_pieces`); a kept leveraged row in whole units only (part stays)
    fraction = in_units & movable & ~held & (most != np.floor(most))
    program = Program()
    y = program.variables(0.0, upper, in_units & ~fraction)
    pieces = _pieces(program, y, sub, movable, fraction)
    size = notional(sub)
    shut_size = float((notional(book)[shut] * np.abs(full[shut])).sum())
    goals: list[tuple[np.ndarray, np.ndarray, float]] = [(y, size, shut_size)]
    if settings.plan_by == "trades":  # fewest positions touched first
        z = program.variables(0.0, 1.0, True, count=len(y))
        for yi, zi, m in zip(y, z, most, strict=True):
            program.constrain(np.array([yi, zi]), np.array([1.0, -m]), -np.inf, 0.0)
        goals.insert(0, (z, np.ones(len(z)), float(shut.sum())))
    if regime == "risk":
        _, unit = unit_stress_pnl(sub, settings)
        t = worst_loss_variable(program, y, -sign[:, None] * unit, quantity @ unit)
        constant = 0.0
    elif pairing is not None:  # Reg T: the pairing and the sale in one program (nothing shut: sub = book)
        t, constant = _regt.requirement_variable(program, pairing, quantity, y, -np.ones(len(y))), 0.0
    else:
        risk = risk_arrays(sub, settings.pm)
        terms = _pm.covered_terms(risk, 0, y, -sign)
        t, constant = _pm.requirement_variable(program, risk, risk.quantity, terms)
        t, constant = _outside_sold(program, sub, settings, y, t, constant)
    program.constrain(np.array([t]), np.array([1.0]), -np.inf, target - constant)
    unbounded = "the liquidation problem is unbounded"
    statuses: list[Solution | _Cut] = []
    reached = []
    for columns, weights, fixed in goals:  # each goal at its best, then the next among those plans
        program.clear_objective()
        program.minimise(columns, weights)
        try:
            best = program.solve(settings.time_limit, infeasible, unbounded)
        except InputError:
            if pairing is None or not statuses:
                raise
            statuses.append(_LATER_GOAL_CUT)  # Reg T: the plan of the goals before (see below)
            break
        statuses.append(best)
        reached.append(best.objective + fixed)
        program.constrain(columns, weights, -np.inf, best.objective + _TIE * max(1.0, best.objective))
    program.clear_objective()
    program.minimise(np.array([t]), 1.0)
    if pairing is not None:
        # Reg T: the requirement after is the least pairing of the sale found (y fixed: a pairing
        # program of the book after it). Searching again among the sales of the same notional for
        # the least requirement, as pm does, found no plan in 20 s on 1,000 rows of the benchmark book.
        found = next(s for s in reversed(statuses) if isinstance(s, Solution)).x
        for i in y.tolist():
            band = 1e-9 * max(1.0, abs(found[i]))
            program.constrain(np.array([i]), np.array([1.0]), found[i] - band, found[i] + band)
    solution = program.solve(settings.time_limit, infeasible, unbounded)
    status = next((s.status for s in statuses if not s.optimal), solution.status)
    closed_sub = solution.x[y]
    for i, tied in pieces.items():  # exact multiples of the piece, not the solver's float
        closed_sub[i] = tied.amount(solution.x)
    closed = np.where(shut, np.abs(full), 0.0)
    closed[keep] = closed_sub
    value = float(solution.x[t]) + constant
    return _Plan(closed, (*reached, value), value, status)


def _outside_sold(
    program: Program, book: Portfolio, settings: DecisionSettings, y: np.ndarray, t: int, constant: float
) -> tuple[int, float]:
    """Under pm, the requirement with the bonds (margined outside portfolio margin, each a figure
    per unit of face: :func:`~._pm.outside_units`) after the face ``y`` closed: a variable ``u = t +
    Σ unit × (|held| − y)`` over the bond rows, and the constant beside it."""
    rows, unit = _pm.outside_units(book, settings.pm)
    if not len(rows):
        return t, constant
    held = float(unit @ np.abs(book.arrays["quantity"][rows]))
    u = int(program.variables(-np.inf, np.inf)[0])
    # u − t + Σ unit × y = Σ unit × |held|
    program.constrain(np.r_[u, t, y[rows]], np.r_[1.0, -1.0, unit], held, held)
    return u, constant


def _pieces(
    program: Program, y: np.ndarray, book: Portfolio, closable: np.ndarray, fraction: np.ndarray
) -> dict[int, _pc.Pieces]:
    """Tie each closable bond's face closed to whole pieces of its denomination, or the whole
    position (:mod:`._pieces`); the rows ``fraction`` (a whole-unit row held in a fraction) the
    same with a piece of one unit: whole units, or all of it. By row index."""
    a = book.arrays
    rows = np.flatnonzero((closable & (a["type"] == "bond")) | fraction).tolist()
    return {
        i: _pc.one_side(program, int(y[i]), 1.0, abs(float(a["quantity"][i])), _pc.piece(a, i)) for i in rows
    }
