"""The hedge optimiser: the quantities of candidate instruments that minimise a requirement.

**Candidates** are rows like positions, with three optional columns, read by
:func:`~xlmargin.decisions.candidates.read_candidates`: ``min_qty`` and ``max_qty`` (signed
quantities; a blank bound is the row's ``quantity``'s side of 0, so with both blank, or both 0 as
Office.js sends blanks, the trade runs from 0 to the row's ``quantity``: 20 means "buy up to 20" and
−20 "sell up to 20") and ``cost`` (per unit of quantity; blank = price × multiplier in US
dollars, the premium of an option, the price of a share, converted with the row's ``fx_rate`` as
portfolio margin converts it; a 0 is a cost of nothing where the table can tell it from a blank,
else read as blank with a warning: :mod:`.candidates`). Options and futures trade in whole
contracts, shares in whole shares, FX and CFDs in whole units, bonds in whole pieces of their
``denomination`` (face 1,000 when blank; on one side of 0 all of the farther bound too, as
LIQUIDATION_PLAN closes a holding: :mod:`._pieces`), a mixed-integer program.

**Objectives.** ``pm``: the regulatory portfolio margin (stock, ETF and option candidates; a book
holding a position it does not cover, a future, an FX pair or a CFD, is refused naming the rows and
pointing to ``account`` with ``securities = pm``, :func:`_refuse_uncovered`);
``risk``: the house risk view's worst loss over the scenario library, correlation breaks included;
``regt`` and ``regt_maintenance``: Reg T initial and maintenance (FINRA's gross convention, as
LIQUIDATION_PLAN's): the requirement after the trades is one variable of a mixed-integer program
whose strategy pairing is a variable too (:mod:`._regt`, :func:`~._regt.trade_variable`), so the
least over the quantities and the pairing together is the engine's least requirement, exact for
opening and closing alike (stock, ETF, option and bond candidates; the candidates of one contract
trade one position, the book's row or the first candidate's, whose side a binary picks; a bond's
figure is on the position's net face, so selling a held bond takes its figure off rather than
adding a short's: :func:`~._regt.requirement_variable`);
``account``: the account view's total, segment by segment in the account currency. Its securities
candidates are the PM program below under ``securities = pm`` and the Reg T program on the
account's basis otherwise; its futures candidates are exact under
SPAN where SPAN is a maximum of linear functions of the quantities: each combined commodity's
scanning risk is the worst of its 16 scenario P&Ls (linear), the short-option minimum is
``rate × Σ max(−net contracts, 0)`` (convex, piecewise-linear) and the requirement is the greater
of the two (× the initial multiple). The calendar spread charge (``charge × min(long, short month
deltas)``) and the inter-commodity credit (the minimum of two legs' deltas times a price risk per
delta) are neither convex nor linear, so a futures candidate whose combined commodity could hold
two contract months with a charge, or whose paired commodity of a recognised inter-commodity
spread is in the book or the candidates, is refused with a line saying why. FX and CFD
candidates: each position's margin is its rate × |notional| (ESMA caps or the US forex deposit),
so ``|held + Σ x|`` per position, convex (the candidates of one contract are one position, in the
book's row holding it, as the engine check makes the book; so in SPAN's short option minimum).
Segments the candidates do not touch are the engine's constant. Every candidate and book row is
priced once per scenario, a candidate on a held contract as the book's row it nets into (its
price, its marks: margin values a held position at its mark, as the engine check does); the
an option candidate's underlying price is the book's for that underlying (or the first
candidate's where the book holds no option on it, at the volatility its premium implies at its own:
:func:`~._common.book_underlyings`), a chosen one
that gave another being a warning, as MARGIN_IMPACT's trades; the
requirement is then the maximum of linear functions of the quantities (:mod:`._linear`,
:mod:`._pm`) and is minimised exactly by HiGHS. ``budget`` caps ``Σ cost × |quantity|`` (premium
spent, or notional for shares); where it leaves no trade, the line says whether the budget is
what blocks the candidates (the plan without it, its objective and spend) or none lowers it.

**Determinism.** Candidates are put in a canonical order before the program is built, and among
plans with the least requirement the cheapest is chosen (a second solve), so the answer does not
depend on the order of the rows. The optimiser's value is re-verified by running the engine on the
book after the trades; both are reported, and before/after figures for portfolio margin, Reg T,
the account view, the risk view and its worst correlation-break loss show a hedge that lowers
regulatory margin but fails when correlations break.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray
from xlmargin.account import (
    SEGMENTS,
    AccountSettings,
    account_margin,
    futures_in_usd,
    retail_margin,
    securities_in_usd,
    usd_rate,
)
from xlmargin.decisions import _pieces as _pc
from xlmargin.decisions import _pm, _regt
from xlmargin.decisions._common import (
    DecisionSettings,
    above_zero,
    book_underlyings,
    concatenate,
    contract_keys,
    currency_of,
    held_rows,
    requirement,
    trade_union,
    with_quantities,
)
from xlmargin.decisions._hedge_rows import by_position, marked, named, position_of
from xlmargin.decisions._hedge_span import span_variable
from xlmargin.decisions._linear import unit_stress_pnl, worst_loss_variable
from xlmargin.decisions._lp import Program
from xlmargin.decisions.candidates import Candidates
from xlmargin.decisions.impact import ImpactResult, margin_impact
from xlmargin.decisions.names import OBJECTIVES
from xlmargin.errors import InputError, Problem, UnsupportedError, XlMarginError, a_or_an
from xlmargin.instruments import ENGINE_CURRENCY
from xlmargin.money import cents
from xlmargin.pm.risk import COVERED, IGNORED, OUTSIDE, risk_arrays
from xlmargin.positions import Portfolio
from xlmargin.rules import RuleSet

SHOWN = ("pm", "regt", "account", "risk")  # the before/after rows of the result
_TIE = 1e-4  # second solve: requirement within a hundredth of a cent of the least
_REGT = {"regt": "initial", "regt_maintenance": "maintenance"}  # the Reg T objectives' bases
_BASES = {basis: name for name, basis in _REGT.items()}
_BOUNDED = (
    "the Reg T candidate search was bounded (above), as the engine bounds it on a book that large: "
    "a plan the engine would pair better may have been missed"
)


@dataclass(frozen=True)
class HedgeResult:
    objective: str
    status: str
    trades: tuple[tuple[int, str, float, float], ...]  # (candidate row, symbol, quantity, spend)
    optimiser_value: float
    engine_value: float
    spend: float
    budget: float | None
    impact: ImpactResult
    candidate_warnings: tuple[str, ...] = ()  # the candidates reader's (a column it ignores, ...)
    currency: str = ENGINE_CURRENCY  # the objective's (:func:`~xlmargin.decisions._common.currency_of`)
    blocked: tuple[float, float] | None = None  # no trade within the budget: the plan without it

    @property
    def warnings(self) -> tuple[str, ...]:
        """A chosen candidate priced apart from the row it nets into (the book's, or another
        candidate's of the same contract): the figures after take that row's price."""
        return self.impact.warnings

    def table(self) -> list[list[Any]]:
        """Status, the optimiser's and the engine's value, each trade, then before/after rows; the
        last column is the currency of the row's money: the objective's, US dollars for the spend
        (a candidate's cost, by default its dollar notional), each regime's own for its figures."""
        usd = ENGINE_CURRENCY
        out: list[list[Any]] = [
            ["line", "item", "quantity", "spend", "before", "after", "change", "currency"],
            ["status", self.status, "", "", "", "", "", ""],
            ["objective", self.objective, "", "", "", self.optimiser_value, "optimiser value", self.currency],
            [
                "check",
                f"{self.objective} by the engine",
                "",
                "",
                "",
                self.engine_value,
                "engine value",
                self.currency,
            ],
        ]
        if not self.trades:
            none = "none: no candidate lowers the objective"
            if self.blocked is not None:
                least, spend = self.blocked
                none = (
                    "none: the budget blocks every plan that lowers the objective; without it the "
                    f"least is {least:,.2f}, for a spend of {spend:,.2f}"
                )
            out.append(["trade", none, 0.0, 0.0, "", "", "", usd])
        for row, symbol, quantity, spend in self.trades:
            out.append(["trade", f"{symbol} (row {row})", quantity, cents(spend), "", "", "", usd])
        budget = "no budget" if self.budget is None else f"budget {self.budget:,.2f}"
        out.append(["spend", budget, "", cents(self.spend), "", "", "", usd])
        for label, before, after, change, currency, note in self.impact.table()[1:]:
            item = f"{label} (n/a: {note})" if note else label  # why a regime has no figure, as whatif's note
            out.append(["figure", item, "", "", before, after, change, currency])
        return out


def hedge_optimize(
    portfolio: Portfolio,
    candidates: Candidates,
    settings: DecisionSettings,
    objective: str = "pm",
    budget: float | None = None,
    shown: tuple[str, ...] = SHOWN,
    unread: Mapping[str, XlMarginError] | None = None,
) -> HedgeResult:
    """The candidate quantities that minimise ``objective`` within ``budget`` (module docstring);
    ``shown`` are the regimes whose before/after figures follow the trades. ``unread``: regimes that
    cannot read the inputs, with why (:func:`~xlmargin.decisions.beside.unread_beside`): the
    objective among them is the error; a regime only shown is n/a with the reason
    (:func:`~xlmargin.decisions.margin_impact`)."""
    if objective not in OBJECTIVES:
        raise InputError(
            Problem(f"objective must be one of {', '.join(OBJECTIVES)}, got '{objective}'", None, "objective")
        )
    if unread and objective in unread:
        raise unread[objective]
    if budget is not None:
        budget = above_zero(budget, "a budget", "budget")
    # an option candidate on an underlying the book holds options on takes the book's underlying price
    aligned, moved = book_underlyings(portfolio, candidates.portfolio, "candidates", settings.account.pm.rate)
    candidates = replace(candidates, portfolio=aligned)
    keys = [repr(k) for k in contract_keys(candidates.portfolio)]  # once, not once per candidate
    order = sorted(range(len(keys)), key=keys.__getitem__)
    c = _reordered(candidates, np.array(order, dtype=np.int64))
    netted = _as_netted(portfolio, c)
    swings = _swings(portfolio, netted) if objective == "pm" else []
    plans: list[_Hedge] = []
    errors: list[InputError] = []
    for state in _pm.choices(portfolio, c.low, c.high, swings):
        try:
            plans.append(_solve(portfolio, c, netted, settings, objective, budget, state))
        except InputError as raised:  # this choice of leveraged candidates has no plan (budget, ranges)
            errors.append(raised)
    if not plans:
        raise errors[0]
    least = min(p.value for p in plans)
    best = min((p for p in plans if p.value <= least + _TIE), key=lambda p: p.spend)  # first on ties
    chosen, value = best.chosen, best.value
    status = next((p.status for p in plans if p.status != "optimal"), best.status)
    trades_book = with_quantities(c.portfolio, chosen)
    union, _, after = trade_union(portfolio, trades_book, mark=True)  # errors name the candidates' rows
    with named():
        check = requirement(objective, with_quantities(union, after), settings)
    picked = np.flatnonzero(chosen != 0.0)
    blocked = None
    if budget is not None and not len(picked):  # the budget may be what blocks the candidates
        blocked = _blocked(portfolio, c, netted, settings, objective, swings, value)
    trades = tuple(
        (
            int(c.portfolio.arrays["row"][k]),
            str(c.portfolio.arrays["symbol"][k]),
            float(chosen[k]),
            float(c.cost[k] * abs(chosen[k])),
        )
        for k in sorted(picked, key=lambda k: int(c.portfolio.arrays["row"][k]))
    )
    impact = margin_impact(portfolio, trades_book, settings, shown, "candidates", unread)
    chosen_rows = {order[k] for k in picked.tolist()}  # their indices in the candidates table
    repriced = tuple(note for j, note in moved.items() if j in chosen_rows)
    notes = tuple(dict.fromkeys(note for p in plans for note in p.notes))
    repriced += (*notes, _BOUNDED) if notes else ()
    return HedgeResult(
        objective=objective,
        status=status,
        trades=trades,
        optimiser_value=cents(value),
        engine_value=cents(check),
        spend=best.spend,
        budget=budget,
        impact=replace(impact, warnings=(*impact.warnings, *repriced)) if repriced else impact,
        candidate_warnings=candidates.portfolio.warnings,
        currency=currency_of(objective, settings),
        blocked=blocked,
    )


@dataclass(frozen=True)
class _Hedge:
    chosen: FloatArray  # quantity per candidate (canonical order)
    value: float  # the objective after, by the program
    spend: float
    status: str
    notes: tuple[str, ...] = ()  # what the program could not see (a bounded Reg T candidate search)


def _swings(portfolio: Portfolio, netted: Candidates) -> list[_pm.Swing]:
    """The leveraged positions the pm candidates trade (``netted``: :func:`_as_netted`), at most
    :data:`~._pm.MAX_LEVERAGED` candidates on them (refused beyond, naming the rows)."""
    lever = _pm.widens_range(netted.portfolio)
    rows = netted.portfolio.arrays["row"]
    if lever.sum() > _pm.MAX_LEVERAGED:
        listed = ", ".join(str(int(r)) for r in sorted(rows[lever]))
        raise InputError(
            Problem(
                f"{int(lever.sum())} leveraged ETF candidates (rows {listed}): each one bought widens its "
                "class group's portfolio-margin scan range, so the pm objective solves one program per "
                f"choice of them bought, at most {_pm.MAX_LEVERAGED}; give fewer leveraged candidates "
                "or use the risk objective",
                None,
                "candidates leverage",
            )
        )
    position = position_of(portfolio, netted.portfolio)
    quantity = portfolio.arrays["quantity"]
    return [
        _pm.Swing(i, float(quantity[i]) if i >= 0 else 0.0, ks)
        for i, ks in by_position(position, np.arange(len(position))).items()
        if lever[ks].any()
    ]


def _solve(
    portfolio: Portfolio,
    c: Candidates,
    netted: Candidates,
    settings: DecisionSettings,
    objective: str,
    budget: float | None,
    state: _pm.Choice,
) -> _Hedge:
    """The least objective for one choice of the leveraged positions (:func:`_states`), then the
    cheapest plan within a hundredth of a cent of it (a second solve)."""
    program = Program()
    x = program.variables(c.low, c.high, c.whole)
    bonds = netted.portfolio.arrays
    position = position_of(portfolio, netted.portfolio)
    held = np.where(position >= 0, portfolio.arrays["quantity"][np.maximum(position, 0)], 0.0)
    pieces = {  # a bond in whole pieces of its denomination (the held row's), or all that is held
        k: _pc.in_range(
            program, int(x[k]), float(c.low[k]), float(c.high[k]), _pc.piece(bonds, k), float(held[k])
        )
        for k in np.flatnonzero(bonds["type"] == "bond").tolist()
    }
    spend = program.variables(0.0, np.inf, count=len(x))
    for xi, si in zip(x, spend):
        program.constrain(np.array([si, xi]), np.array([1.0, -1.0]), 0.0, np.inf)
        program.constrain(np.array([si, xi]), np.array([1.0, 1.0]), 0.0, np.inf)
    if budget is not None:
        program.constrain(spend, c.cost, -np.inf, budget)
    for ks, lo, hi in state.bounds:
        program.constrain(x[ks], np.ones(len(ks)), lo, hi)
    notes: list[str] = []
    t, constant = _objective(program, x, portfolio, netted, settings, objective, state, notes)
    program.minimise(np.array([t]), 1.0)
    why = (
        f"no plan fits the budget of {budget:,.2f}: the candidates' minimum quantities cost more"
        if budget is not None
        else "the candidates' quantity ranges admit no plan"
    )
    unbounded = "the problem is unbounded: give every candidate a finite min_qty and max_qty"
    first = program.solve(settings.time_limit, why, unbounded)
    least = first.objective
    program.clear_objective()
    program.constrain(np.array([t]), np.ones(1), -np.inf, least + _TIE)
    program.minimise(spend, c.cost)
    second = program.solve(settings.time_limit, why, unbounded)
    chosen = second.x[x]
    for k, tied in pieces.items():  # exact multiples of the piece, not the solver's float
        chosen[k] = tied.amount(second.x)
    status = first.status if not first.optimal else second.status
    return _Hedge(chosen, least + constant, float(np.dot(c.cost, np.abs(chosen))), status, tuple(notes))


def _blocked(
    portfolio: Portfolio,
    c: Candidates,
    netted: Candidates,
    settings: DecisionSettings,
    objective: str,
    swings: list[_pm.Swing],
    value: float,
) -> tuple[float, float] | None:
    """Where the budget left no trade: the plan without it, (its objective, its spend), when that
    lowers the objective ``value`` by a cent at least (None: no candidate lowers it). The plan is
    the usual one (the least objective, then the cheapest such plan): asking instead for the cheapest
    plan below ``value`` put HiGHS at its tolerances (a plan of no trade reported a cent below)."""
    plans = []
    for state in _pm.choices(portfolio, c.low, c.high, swings):
        try:
            plans.append(_solve(portfolio, c, netted, settings, objective, None, state))
        except InputError:  # no plan of this choice
            continue
    if not plans:
        return None
    least = min(p.value for p in plans)
    best = min((p for p in plans if p.value <= least + _TIE), key=lambda p: p.spend)
    return (best.value, best.spend) if best.value < value - 0.01 else None


def _reordered(c: Candidates, order: np.ndarray) -> Candidates:
    arrays = {k: v[order] for k, v in c.portfolio.arrays.items()}
    return Candidates(
        Portfolio(arrays, c.portfolio.as_of), c.low[order], c.high[order], c.cost[order], c.whole[order]
    )


def _as_netted(portfolio: Portfolio, c: Candidates) -> Candidates:
    """The candidates as the engine check values them: one on a contract the book holds is the
    book's row it nets into (:func:`held_rows`: its price, its marks), with its own quantity and row
    number, as :func:`with_trades` makes it; margin values a held position at its mark."""
    held = held_rows(portfolio, c.portfolio)
    if not (held >= 0).any():
        return c
    take = np.where(held >= 0, held, len(portfolio) + np.arange(len(held)))
    book, own = portfolio.arrays, c.portfolio.arrays
    arrays = {
        k: v if k in ("quantity", "row") else np.concatenate([book[k], v])[take] for k, v in own.items()
    }
    return Candidates(Portfolio(arrays, c.portfolio.as_of), c.low, c.high, c.cost, c.whole)


def _objective(
    program: Program,
    x: np.ndarray,
    portfolio: Portfolio,
    c: Candidates,
    settings: DecisionSettings,
    objective: str,
    state: _pm.Choice | None = None,
    notes: list[str] | None = None,
) -> tuple[int, float]:
    """The variable holding the objective's variable part, and its constant part; under pm, for
    the choice ``state`` of the leveraged positions (:func:`_states`); ``notes`` gets what the
    program could not see."""
    if objective == "account":
        return _account_objective(program, x, portfolio, c, settings, notes)
    if objective in _REGT:
        return _regt_variable(program, x, portfolio, c, _REGT[objective], settings.account.regt_rules, notes)
    if objective == "risk":  # the risk view's shocks are linear in the quantities, leverage or not
        n = len(portfolio)
        with named():
            _, unit = unit_stress_pnl(concatenate(portfolio, marked(c.portfolio)), settings)
        base = portfolio.arrays["quantity"] @ unit[:n]
        return worst_loss_variable(program, x, unit[n:], base), 0.0
    whole_book = np.flatnonzero(~np.isin(c.portfolio.arrays["type"], COVERED))
    if len(whole_book):
        k = int(whole_book[0])
        raise InputError(
            Problem(
                f"a {c.portfolio.arrays['type'][k]} candidate is outside portfolio margin; the pm objective "
                "trades stock, ETF and option lines",
                int(c.portfolio.arrays["row"][k]),
                "candidates type",
            )
        )
    leveraged = np.flatnonzero(_pm.widens_range(c.portfolio))
    if state is None and len(leveraged):  # the account objective's securities segment
        raise InputError(
            Problem(
                "a leveraged ETF candidate widens its class group's scan range once held, so the "
                "requirement is one program per choice of the leveraged candidates bought; the pm "
                "objective solves them, the account objective does not (it sums every segment in one "
                "program): use the pm objective, or the risk objective",
                int(c.portfolio.arrays["row"][leveraged[0]]),
                "candidates leverage",
            )
        )
    _refuse_uncovered(portfolio)
    book, keep = portfolio, np.ones(len(x), dtype=bool)
    if state is not None:
        book = portfolio.select(~state.drop_book) if state.drop_book.any() else portfolio
        keep = ~state.drop_candidates
    n = len(book)
    rest = _reordered(c, np.flatnonzero(keep)) if not keep.all() else c
    # the book's rows count as held as the engine counts them (quantity ≠ 0); a candidate kept is held
    # in this choice (a leveraged one long or short), though it sits at quantity 0 in the program's book
    held = np.concatenate([book.arrays["quantity"] != 0.0, np.ones(len(rest.portfolio), dtype=bool)])
    own = marked(rest.portfolio)
    with named():
        risk = risk_arrays(concatenate(book, own) if n else own, settings.pm, held=held)
    base = np.where(risk.index < n, risk.quantity, 0.0)
    terms = _pm.covered_terms(risk, n, x[keep], np.ones(int(keep.sum())))
    t, constant = _pm.requirement_variable(program, risk, base, terms)
    return t, constant + _pm.outside_requirement(portfolio, settings.pm)


def _regt_variable(
    program: Program,
    x: np.ndarray,
    book: Portfolio,
    c: Candidates,
    basis: str,
    rules: RuleSet | None,
    notes: list[str] | None,
) -> tuple[int, float]:
    """Reg T's requirement after the trades, exact (:func:`~._regt.hedge_variable`): the candidates
    of one position (:func:`~._hedge_rows.position_of`) trade it as one, at that row's prices (``c`` is
    :func:`_as_netted`), as the engine check nets them."""
    position = position_of(book, c.portfolio)
    t, warnings = _regt.hedge_variable(program, x, book, c.portfolio, c.low, c.high, position, basis, rules)
    if notes is not None:
        notes += warnings
    return t, 0.0


def _refuse_uncovered(portfolio: Portfolio) -> None:
    """A book holding a position portfolio margin does not cover (a future, an FX pair or a CFD) has
    no portfolio margin to minimise, and the engine could not check the answer: refused naming its
    rows, with what answers the question asked. The account objective with ``securities = pm`` is
    portfolio margin on the securities plus each other segment's engine, the candidates touching
    only the securities (the pm objective's candidates are stock, ETF and option lines), so it
    trades as portfolio margin on the securities alone would, and shows the account view's figure
    before and after."""
    kinds = portfolio.arrays["type"]
    outside = np.flatnonzero(~np.isin(kinds, (*COVERED, *OUTSIDE, *IGNORED)))
    if not len(outside):
        return
    from xlmargin.positions.infer import rows_text

    k = int(outside[0])
    others = [int(r) for r in portfolio.arrays["row"][outside[1:]]]
    also = f" (nor are the book's {rows_text(others)})" if others else ""
    raise UnsupportedError(
        Problem(
            f"{a_or_an(str(kinds[k]).replace('_', ' '))} position is not covered by portfolio margin"
            f"{also}, so the book has no portfolio margin for the pm objective to "
            "minimise; to hedge its securities under portfolio margin with the other positions margined "
            "beside them, use the account objective with securities=pm (it trades the same candidates "
            "as portfolio margin on the securities alone, and shows each figure before and after), or "
            "give the book without those rows",
            int(portfolio.arrays["row"][k]),
            "type",
        )
    )


def _account_objective(
    program: Program,
    x: np.ndarray,
    portfolio: Portfolio,
    c: Candidates,
    settings: DecisionSettings,
    notes: list[str] | None = None,
) -> tuple[int, float]:
    """The account view's total: each segment the candidates touch as a program, the rest constant."""
    account = settings.account
    lines = {line.segment: line for line in account_margin(portfolio, account).lines}
    kinds = c.portfolio.arrays["type"]
    columns: list[int] = []
    weights: list[float] = []
    constant = 0.0
    for segment, types in SEGMENTS.items():
        pick = np.flatnonzero(np.isin(kinds, types))
        if not len(pick):
            constant += lines[segment].requirement
            continue
        book = portfolio.select(np.isin(portfolio.arrays["type"], types))
        sub = _reordered(c, pick)
        rate = usd_rate(account) if segment != "fx/cfd" else 1.0  # ESMA/NFA: the account's own
        if segment == "securities":  # in the engine's dollars, as the account view converts them
            with named(joined=False):
                dollars = replace(sub, portfolio=securities_in_usd(sub.portfolio, account))
            regime = "pm" if account.securities == "pm" else _BASES[account.basis]
            t, fixed = _objective(
                program, x[pick], securities_in_usd(book, account), dollars, settings, regime, notes=notes
            )
        elif segment == "futures":
            with named(joined=False):
                dollars = replace(sub, portfolio=futures_in_usd(sub.portfolio, account))
            t, fixed = span_variable(program, x[pick], futures_in_usd(book, account), dollars, account.span)
        else:
            t, fixed = _retail_variable(program, x[pick], book, sub, account)
        columns.append(t)
        weights.append(rate)
        constant += rate * fixed
    total = int(program.variables(0.0, np.inf)[0])
    # total ≥ Σ rate × segment variable + the constant segments
    program.constrain(np.array([total, *columns]), np.array([1.0, *(-w for w in weights)]), constant, np.inf)
    return total, 0.0


def _retail_variable(
    program: Program, x: np.ndarray, book: Portfolio, c: Candidates, account: AccountSettings
) -> tuple[int, float]:
    """FX and CFDs: a sum of per-position margins, each its own rate × |notional| (ESMA caps or the
    US forex deposit), so ``|q0 + Σ x|`` per position after the trades is exact, the candidates of
    one contract being one position as :func:`with_trades` makes it: netted into the book's row
    holding it (q0, :func:`held_rows`) or opened at the first one's price (:func:`opening_trades`);
    on maintenance the ESMA segment is its close-out fraction of that sum."""
    one = dict(c.portfolio.arrays)
    one["quantity"] = np.ones(len(c.portfolio))
    with named(joined=False):
        priced = retail_margin(Portfolio(one, c.portfolio.as_of), account)
    unit = np.zeros(len(c.portfolio))
    where = {int(r): k for k, r in enumerate(c.portfolio.arrays["row"])}
    for line in priced.lines:
        unit[where[line.row]] = line.margin
    scale = 1.0
    if account.basis == "maintenance" and priced.close_out_level is not None and priced.total > 0:
        scale = priced.close_out_level / priced.total
    own = np.zeros(len(book))
    if len(book):
        index = {int(r): i for i, r in enumerate(book.arrays["row"])}
        for line in retail_margin(book, account).lines:
            own[index[line.row]] = line.margin
    netted = np.ones(len(book), dtype=bool)
    margins = []
    position = position_of(book, c.portfolio)
    for i, ks in by_position(position, np.arange(len(position))).items():
        q0 = float(book.arrays["quantity"][i]) if i >= 0 else 0.0
        per_unit = own[i] / abs(q0) if q0 != 0.0 else unit[ks[0]]  # the held row's price, or the first's
        if i >= 0:
            netted[i] = False
        m = int(program.variables(0.0, np.inf)[0])
        # m ≥ ±per_unit × (q0 + Σ x)
        columns = np.array([m, *x[ks]])
        program.constrain(columns, np.array([1.0, *([-per_unit] * len(ks))]), per_unit * q0, np.inf)
        program.constrain(columns, np.array([1.0, *([per_unit] * len(ks))]), -per_unit * q0, np.inf)
        margins.append(m)
    out = int(program.variables(0.0, np.inf)[0])
    program.constrain(np.array([out, *margins]), np.array([1.0, *([-scale] * len(margins))]), 0.0, np.inf)
    return out, scale * float(own[netted].sum())
