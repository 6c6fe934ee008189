"""Strategy-based margin: Regulation T, FINRA Rule 4210 and Cboe Rule 10.3, initial and maintenance.

``regt_margin(portfolio)`` pairs each underlying's legs into the strategies the rules recognise
(spreads, straddles, condors, butterflies, boxes, covered and protective positions, collars,
conversions), choosing the pairing with the lowest requirement by integer programming, so the
result does not depend on the order of the rows. Every figure's rule is in ``xlmargin/rules/regt.toml``.

Each group reports three figures, rounded to the cent (half up, as brokers round):

- ``margin``: the rule's own figure. For a naked short it includes the option's current value
  (Cboe: "100% of the option proceeds plus 20% of the underlying..."); for a credit spread,
  condor or short butterfly the width; for a covered call the stock's requirement (at initial, the
  stock under an in-the-money call lent on no more than the strike); zero for debit
  spreads and long butterflies.
- ``long_cost``: what the group's long options require. A long option alone: the premium (100%
  with nine calendar months or less to expiry; 75% of cost at initial, 75% of market value at
  maintenance beyond, margin-rules.md §1.2). In a strategy the long options are paid in full at any
  expiry (§1.4-§1.6: a debit spread or long butterfly pays the net debit, a protective put or
  collar the put); the pairing takes the strategy or the legs alone, whichever needs less.
  A hedged group at maintenance (protective put or call, collar, conversion) has none: its
  formula covers the pair.
- ``short_proceeds``: the current value of the group's short options (a conversion or reversal at
  maintenance: at most the in-the-money amount its figure charges for the short option, the
  only part of that figure its proceeds may be applied to).

Two conventions are published, and both are reported:

- ``gross`` (FINRA; tastytrade, Hull, OptionsHouse print it) = margin + max(long_cost −
  short_proceeds, 0): a net debit is paid, a net credit is not applied.
- ``net`` (Cboe's comparison tables: the cash to add) = margin + long_cost − short_proceeds.

A house's special maintenance on an underlying (the positions column ``special_maintenance``)
is a floor under its stock's rates, adds the (special ÷ 2) leg to its naked options and weighs in
the strategies that hold the stock (margin-rules.md §0.5, §1.1, §1.3).

``total`` is the requested one, the sum of the rounded groups. Bonds (Treasury, agency, municipal,
corporate, high yield) take FINRA 4210(e)(2)'s percentages (a Treasury or agency zero-coupon bond
with five years or more: at least 3% of its face, in dollars; high yield: at least 7% of it); a convertible
bond is margined like equity; cash needs nothing; futures, options on futures, spot
FX and CFDs have no Reg T rule and raise :class:`~xlmargin.errors.UnsupportedError` naming every
such row.

Given the account's ``equity``, FINRA 4210(b)(2)'s minimum equity to trade on margin is reported
(:class:`MinimumEquity`, a row after the Total, a warning when not met), never added to ``total``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from itertools import accumulate
from operator import itemgetter
from typing import Any

import numpy as np

from xlmargin import rules as rule_files
from xlmargin._typing import BoolArray
from xlmargin.collector import collector_paused
from xlmargin.errors import InputError, Problem, UnsupportedError
from xlmargin.instruments import in_usd
from xlmargin.money import cents
from xlmargin.positions import Portfolio, Position
from xlmargin.positions.model import OPTION_TYPES
from xlmargin.regt._allocation import Solved
from xlmargin.regt._cache import PAIRINGS
from xlmargin.regt._equity import MinimumEquity, minimum_equity
from xlmargin.regt._formulas import Figures, RegTRules, given_face, num
from xlmargin.regt._groups import (
    Leg,
    Placed,
    StrategyGroup,
    bond_groups,
    closed_group,
    group,
    groups_together,
    place_of,
    whole,
)
from xlmargin.regt._legs import BookLeg, Closed, book_netted_legs, one_bond_rows, special_per_underlying
from xlmargin.regt._pairing import Block, block, blocks, cut_short, solve, solve_beside, start
from xlmargin.regt._shapes import Candidates
from xlmargin.regt._strategies import Enumerator, all_candidates
from xlmargin.rules import RuleSet

BASES = ("initial", "maintenance")
HEADER = ("Strategy", "Underlying", "Legs", "Rule", "Margin", "Long cost", "Short proceeds", "Requirement")
_OTHER_REGIME = {
    "future": "FUTURES_MARGIN",
    "future_option": "FUTURES_MARGIN",
    "fx": "ESMA_MARGIN",
    "cfd": "ESMA_MARGIN",
}


@dataclass(frozen=True, slots=True)
class RegTResult:
    """The requirement (``total``, in the requested convention), both conventions, and the groups.

    ``gross`` and ``net`` are those of the pairing chosen for ``total``'s convention (the pairing
    that minimises the other convention may differ, as may its figure).
    """

    basis: str
    net_of_proceeds: bool
    total: float
    gross: float
    net: float
    groups: tuple[StrategyGroup, ...]
    warnings: tuple[str, ...]
    exact: float  # ``total`` before rounding: the groups' unrounded figures summed
    minimum_equity: MinimumEquity | None = None  # with the equity parameter: FINRA 4210(b)(2)'s check

    def table(self) -> list[list[Any]]:
        """The breakdown for a worksheet: a header, one row per group, a Total row (then, given the
        equity, the minimum-equity row: not in the total); str and float only."""
        out: list[list[Any]] = [list(HEADER)]
        for g in self.groups:
            legs = "; ".join(
                f"row {leg.row}: {'+' if leg.quantity > 0 else '-'}{num(abs(leg.quantity))} {leg.description}"
                for leg in g.legs
            )
            requirement = g.net if self.net_of_proceeds else g.gross
            out.append(
                [g.strategy, g.underlying, legs, g.rule, g.margin, g.long_cost, g.short_proceeds, requirement]
            )
        margin = cents(sum(g.margin for g in self.groups))
        long_cost = cents(sum(g.long_cost for g in self.groups))
        proceeds = cents(sum(g.short_proceeds for g in self.groups))
        out.append(["Total", "", "", "", margin, long_cost, proceeds, self.total])
        if self.minimum_equity is not None:
            out.append(self.minimum_equity.row())
        return out


def regt_margin(
    portfolio: Portfolio,
    *,
    basis: str = "initial",
    net_of_proceeds: bool = False,
    rules: RuleSet | None = None,
    equity: float | None = None,
) -> RegTResult:
    """The strategy-based requirement of ``portfolio`` on ``basis`` ("initial" or "maintenance").

    ``net_of_proceeds`` picks the convention of ``total``: False for FINRA's gross figure, True
    for the Cboe cash-to-add figure (see the module docstring). The pairing minimises that same
    convention. ``rules`` defaults to the shipped ``regt`` rule file; a house layer is an override
    of it (``load("regt").with_overrides({"naked.highcap_index.pct": 0.20})``). ``equity`` (in
    dollars) adds FINRA 4210(b)(2)'s minimum-equity check (:func:`with_minimum_equity`).
    """
    return _paired(portfolio, basis, net_of_proceeds, rules, equity)[0]


@collector_paused()  # a first call's objects hold no cycles: the collector's scans find nothing
def _paired(
    portfolio: Portfolio, basis: str, net_of_proceeds: bool, rules: RuleSet | None, equity: float | None
) -> tuple[RegTResult, dict[str, tuple[str, ...]]]:
    """:func:`regt_margin`'s result, and each class group's warnings (in the result's order)."""
    if basis not in BASES:
        raise InputError(Problem(f"basis must be one of {', '.join(BASES)}, got '{basis}'", column="basis"))
    rule_set = rules if rules is not None else rule_files.load("regt")
    r = RegTRules.of(rule_set)
    _check_supported(_flagged(portfolio, r), r)
    given, portfolio = portfolio, in_usd(portfolio)  # prices, spots and strikes in US dollars
    portfolio = special_per_underlying(portfolio)
    warnings: list[str] = []
    # Each underlying's rows and what the cache compares of them, read from the columns: a
    # Position is built only for the rows of an underlying the cache does not hold.
    rows, contents, others = _underlyings(portfolio)
    settings = (basis, net_of_proceeds, repr(r), portfolio.as_of)
    done: dict[str, _Pairing] = {}
    missed: dict[str, _Key] = {}
    for name in rows:
        key = _Key((settings, contents[name]))
        hit = PAIRINGS.get(key)
        if hit is None:
            missed[name] = key
        else:
            done[name] = hit
    position = dict(zip(others, _positions(portfolio, others)))
    netted = book_netted_legs(portfolio, {name: rows[name] for name in missed}, r, basis)
    groups: list[StrategyGroup] = []
    bonds = [i for i in others if position[i].type == "bond"]
    for one in one_bond_rows([position[i] for i in bonds]):  # a bond's rows net (FINRA 4210(e)(2))
        held = [bonds[k] for k in one]
        faces = [given_face(given, portfolio, i) for i in held]
        groups.extend(bond_groups([position[i] for i in held], r, basis, faces))
    for i in others:
        p = position[i]
        if p.type != "bond":
            cash = group(
                "cash", p.symbol, [whole(p, "cash")], "cash: no requirement (it is equity)", Figures()
            )
            groups.append(cash)
    # The underlyings the cache did not hold: enumerated here, the largest first, each large one's
    # program started as soon as it is built (it runs beside the rest), the others solved together.
    built: dict[str, _Built] = {}
    batch: list[tuple[str, list[BookLeg], list[Closed], Enumerator]] = []  # enumerated together
    for name in sorted(missed, key=lambda n: -len(rows[n])):
        legs, closed = netted[name]
        enumerator = Enumerator(legs, r, basis, net_of_proceeds)
        if len(enumerator.options) <= r.exhaustive_legs:
            batch.append((name, legs, closed, enumerator))
        else:
            built[name] = _build(legs, closed, enumerator, enumerator.candidates(), r)
    found = all_candidates([enumerator for *_, enumerator in batch])
    programs = blocks(
        [(legs, candidates) for (_, legs, _, _), candidates in zip(batch, found)], net_of_proceeds
    )
    for (name, legs, closed, enumerator), candidates, program in zip(batch, found, programs):
        built[name] = _Built(legs, closed, candidates, program, [*enumerator.warnings], [], None)
    # The large underlyings' groups are made on the worker thread that solved them (see _build),
    # while this thread solves and groups the others: the groups of an underlying are its own.
    order = [built[name] for name in missed]  # the stacked program's order: the rows'
    # The others in two halves: the second solved and grouped on a thread beside this one.
    first, second = _halves([b for b in order if b.job is None])
    beside = solve_beside(
        [b.program for b in second], r.time_limit_seconds, [b.notes for b in second],
        lambda units: groups_together(_solved(second, units)),
    ) if second else None  # fmt: skip
    solved = solve([b.program for b in first], r.time_limit_seconds, [b.notes for b in first])
    together = iter([*groups_together(_solved(first, solved)), *(beside.result() if beside else [])])
    paired = [next(together) if b.job is None else b.job.result() for b in order]
    for (name, key), b, placed in zip(missed.items(), order, paired):
        placed.extend((place_of(g), g) for g in map(closed_group, b.closed))
        done[name] = _Pairing(tuple(placed), (*b.found, *b.notes))
        PAIRINGS.put(key, done[name])
    ordered = [(place_of(g), g) for g in groups]
    for name in sorted(done):
        ordered.extend(done[name].groups)
        warnings.extend(done[name].warnings)
    ordered.sort(key=itemgetter(0))  # stable: equal keys keep the order above
    result = _result(basis, net_of_proceeds, [g for _, g in ordered], warnings)
    notes = {name: tuple(done[name].warnings) for name in sorted(done)}
    return (result if equity is None else with_minimum_equity(result, portfolio, equity, rule_set)), notes


def pairing_programs(
    portfolio: Portfolio,
    *,
    basis: str,
    net_of_proceeds: bool = False,
    rules: RuleSet | None = None,
    closed_only: bool = False,
) -> tuple[list[tuple[list[BookLeg], Block]], list[list[Closed]], list[str]]:
    """The pieces :func:`regt_margin` pairs, for a decision that builds on its requirement as a
    program: per underlying its legs and its pairing program (:class:`Block`: capacities, candidate
    uses, costs less the legs alone), per underlying its closed positions (long and short rows of one
    contract offset), and the candidate search's warnings (a bounded search). The legs, candidates
    and costs are the engine's own: the requirement of the book is Σ legs alone × capacity + the
    least Σ cost × units over the pairings the capacities allow, plus its bonds (not paired).
    ``closed_only``: the closed positions alone (no candidates, no programs)."""
    if basis not in BASES:
        raise InputError(Problem(f"basis must be one of {', '.join(BASES)}, got '{basis}'", column="basis"))
    r = RegTRules.of(rules if rules is not None else rule_files.load("regt"))
    _check_supported(_flagged(portfolio, r), r)
    portfolio = special_per_underlying(in_usd(portfolio))
    rows, _, _ = _underlyings(portfolio)
    netted = book_netted_legs(portfolio, rows, r, basis)
    programs, closed, warnings = [], [], []
    for name in rows:
        legs, shut = netted[name]
        closed.append(shut)
        if legs and not closed_only:
            enumerator = Enumerator(legs, r, basis, net_of_proceeds)
            programs.append((legs, block(legs, enumerator.candidates(), net_of_proceeds)))
            warnings.extend(enumerator.warnings)
    return programs, closed, warnings


def with_minimum_equity(
    result: RegTResult, portfolio: Portfolio, equity: float, rules: RuleSet | None = None
) -> RegTResult:
    """``result`` (of ``portfolio``) with FINRA 4210(b)(2)'s minimum-equity check for ``equity`` and
    its warning when not met (as portfolio margin warns of its eligibility); no figure changes."""
    rule_set = rules if rules is not None else rule_files.load("regt")
    check, warning = minimum_equity(in_usd(portfolio), result.basis, equity, rule_set)
    warnings = result.warnings if warning is None else (*result.warnings, warning)
    return replace(result, minimum_equity=check, warnings=warnings)


def paired_at_scale(result: RegTResult, factor: float) -> RegTResult:
    """``result``'s pairing with the units of every group multiplied by ``factor`` (> 0): each leg's
    quantity and each group's unrounded figures × ``factor``, then rounded to the cent as
    :func:`regt_margin` rounds them, so ``exact`` is ``factor`` × the book's (every figure of a group
    is its count × a per-unit figure). What "the book scaled by ``factor``" requires when its units
    stay paired as they are (MAX_NOTIONAL): ``regt_margin`` of a fractional book re-pairs whole
    contracts, charging 0.9 of a covered call as a naked call. The rules' texts are the book's; the
    minimum-equity check (on the book, not the scaled one) is dropped, with its warning."""
    if factor == 1.0:
        return result
    groups = [
        group(
            g.strategy,
            g.underlying,
            [replace(leg, quantity=leg.quantity * factor) for leg in g.legs],
            g.rule,
            g.exact * factor,
        )
        for g in result.groups
    ]
    dropped = None if result.minimum_equity is None else result.minimum_equity.warning
    warnings = tuple(w for w in result.warnings if w != dropped)
    return _result(result.basis, result.net_of_proceeds, groups, warnings)


def _result(
    basis: str, net_of_proceeds: bool, groups: Sequence[StrategyGroup], warnings: Sequence[str]
) -> RegTResult:
    """The result of ``groups`` (in the breakdown's order): both conventions summed over the rounded
    groups, ``exact`` over the unrounded ones."""
    gross = cents(sum(g.gross for g in groups))
    net = cents(sum(g.net for g in groups))
    exact = sum(g.exact.cost(net_of_proceeds) for g in groups)
    total = net if net_of_proceeds else gross
    return RegTResult(basis, net_of_proceeds, total, gross, net, tuple(groups), tuple(warnings), exact)


def regt_margins(
    portfolio: Portfolio,
    bounds: Sequence[int],
    *,
    basis: str = "initial",
    net_of_proceeds: bool = False,
    rules: RuleSet | None = None,
) -> list[RegTResult] | None:
    """:func:`regt_margin` (its ``rules``) of each of many accounts held in one book, account ``k`` the
    rows ``bounds[k]`` to ``bounds[k + 1] - 1`` (a batch's union of a part of its accounts).

    The pairing is made per class group and never spans two, so each account's class groups are
    renamed apart and the book is paired in one call: every underlying's program stacked into a few
    solves, each pairing canonical whatever is solved beside it. Each account's result is then made
    of its own groups, summed in the order :func:`regt_margin` sums them alone, so its figures are
    the account's own, and so are its warnings (each class group's, in its order). None
    when the time limit cut a solve short: a stacked solve is shared by every account in it, so
    each must then be paired alone.
    """
    a = dict(portfolio.arrays)
    edges = np.asarray(bounds, dtype=np.int64)
    owner = np.repeat(np.arange(len(edges) - 1), edges[1:] - edges[:-1])
    # "k\x1f..." : a prefix of digits and a separator, so two accounts' names never meet
    a["class_group"] = np.array(
        [f"{k}\x1f{name}" for name, k in zip(a["class_group"].tolist(), owner.tolist(), strict=True)],
        dtype=object,
    )
    whole, notes = _paired(Portfolio(a, portfolio.as_of), basis, net_of_proceeds, rules, None)
    if cut_short(whole.warnings):
        return None
    account_of_row = dict(zip(a["row"].tolist(), owner.tolist(), strict=True))
    groups: list[list[StrategyGroup]] = [[] for _ in range(len(bounds) - 1)]
    for g in whole.groups:  # in the breakdown's order, so each account's in its own order
        if not g.legs:  # (not expected: every group holds a leg) no account to give it to
            return None
        groups[account_of_row[g.legs[0].row]].append(g)
    warnings: list[list[str]] = [[] for _ in groups]
    for name, found in notes.items():  # "k\x1f...": account k's, in its own class groups' order
        warnings[int(name.partition("\x1f")[0])].extend(found)
    return [_result(basis, net_of_proceeds, own, w) for own, w in zip(groups, warnings, strict=True)]


@dataclass(frozen=True, slots=True)
class _Built:
    """One underlying on its way through the pairing: its legs, closed positions, candidates,
    program, warnings (the enumerator's, the solver's) and, for a large one, its running solve
    (which ends with its groups)."""

    legs: list[BookLeg]
    closed: list[Closed]
    candidates: Candidates
    program: Block
    found: list[str]
    notes: list[str]
    job: Future[list[Placed]] | None


_HALVED_ABOVE = 2000  # candidates: a smaller stacked program solves in a few ms, not worth a thread


def _halves(stacked: list[_Built]) -> tuple[list[_Built], list[_Built]]:
    """``stacked`` cut where half its candidates come before: two programs of about equal work,
    solved side by side. A book of fewer candidates than ``_HALVED_ABOVE`` is not cut."""
    sizes = [b.program.size for b in stacked]
    total = sum(sizes)
    if total <= _HALVED_ABOVE:
        return stacked, []
    cut = next(k for k, before in enumerate(accumulate(sizes)) if 2 * before >= total)
    return stacked[: cut + 1], stacked[cut + 1 :]


def _solved(built: list[_Built], units: list[list[int]]) -> list[Solved]:
    return [Solved(b.legs, b.candidates, b.program, u) for b, u in zip(built, units)]


def _build(
    legs: list[BookLeg], closed: list[Closed], e: Enumerator, candidates: Candidates, r: RegTRules
) -> _Built:
    """One underlying's program, started on a worker thread at once if it is a large one: there
    its groups are made as soon as it is solved, beside the caller's work on the others."""
    program = block(legs, candidates, e.net)
    notes: list[str] = []

    def grouped(units: list[int]) -> list[Placed]:
        return groups_together([Solved(legs, candidates, program, units)])[0]

    job = start(program, r.time_limit_seconds, notes, grouped)
    return _Built(legs, closed, candidates, program, [*e.warnings], notes, job)


@dataclass(frozen=True, slots=True)
class _Pairing:
    """One underlying's groups (each with its place in the breakdown) and warnings."""

    groups: tuple[Placed, ...]
    warnings: tuple[str, ...]


class _Key:
    """A cache key that hashes its (long) contents once."""

    __slots__ = ("hash", "items")

    def __init__(self, items: tuple[Any, ...]):
        self.items = items
        self.hash = hash(items)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.hash == other.hash and self.items == other.items


# The fields of a position that Reg T reads. A stock's option fields are NaN, which equals
# nothing, so they stay out of its key (a NaN key would only ever miss).
_STOCK_FIELDS = ("row", "symbol", "type", "quantity", "price", "underlying", "class_group", "asset_class",
                 "multiplier", "leverage", "index_units")  # fmt: skip
_OPTION_FIELDS = ("strike", "right", "expiry", "style", "underlying_price")


def _positions(portfolio: Portfolio, rows: list[int]) -> tuple[Position, ...]:
    """The positions of ``rows`` (increasing indices), built from the columns for those rows only."""
    return portfolio.positions_at(rows)


def _underlyings(
    portfolio: Portfolio,
) -> tuple[dict[str, list[int]], dict[str, tuple[tuple[Any, ...], ...]], list[int]]:
    """Each underlying's rows (indices, increasing; underlyings in the order they first appear),
    what the pairing cache compares of them, and the rows of bonds and cash, from the columns.

    An underlying's contents are one tuple per field of :data:`_STOCK_FIELDS` and
    :data:`_OPTION_FIELDS` over its rows: equal contents hold the same rows. A stock row's numeric
    option fields are NaN, which equals nothing, so they count as 0 (its type tells it apart).
    """
    kind = _is_type(portfolio, ("bond", "cash"))
    held = np.flatnonzero(~kind)
    group_codes, group_names = portfolio.codes("class_group")
    codes = group_codes[held]
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]) if len(held) else order
    ends = np.r_[starts[1:], len(order)].astype(np.int64)
    by_first_row = np.argsort(order[starts], kind="stable")  # underlyings as they first appear
    index = held[order]
    option = _is_type(portfolio, OPTION_TYPES)[index]
    columns = []
    special = portfolio.arrays["special_maintenance"][index]
    # a house's special maintenance, where one is given (NaN, none, counts as 0 in the key)
    special_fields = () if np.isnan(special).all() else ("special_maintenance",)
    for field in (*_STOCK_FIELDS, *_OPTION_FIELDS, *special_fields):
        column = portfolio.arrays[field][index]
        if field in _OPTION_FIELDS and column.dtype.kind == "f":
            column = np.where(option, column, 0.0)
        elif field == "special_maintenance":
            column = np.nan_to_num(special, nan=0.0)
        columns.append(column.tolist())
    rows: dict[str, list[int]] = {}
    contents: dict[str, tuple[tuple[Any, ...], ...]] = {}
    names, spans, at = (
        sorted_codes[starts].tolist(),
        list(zip(starts.tolist(), ends.tolist())),
        index.tolist(),
    )
    for k in by_first_row.tolist():
        name, (a, b) = group_names[names[k]], spans[k]
        rows[name] = at[a:b]
        contents[name] = tuple(tuple(column[a:b]) for column in columns)
    return rows, contents, np.flatnonzero(kind).tolist()


def _is_type(portfolio: Portfolio, types: tuple[str, ...]) -> BoolArray:
    """Whether each row's type is one of ``types``, from the type column's codes."""
    codes, names = portfolio.codes("type")
    return np.array([name in types for name in names], dtype=bool)[codes]


def _flagged(portfolio: Portfolio, r: RegTRules) -> tuple[Position, ...]:
    """The positions :func:`_check_supported` may refuse (another regime's type, a bond class or
    a short option class without a rule), in row order: usually none."""
    classes, class_names = portfolio.codes("asset_class")
    no_bond_rule = np.array([name not in r.fixed_income for name in class_names], dtype=bool)[classes]
    no_naked_rule = np.array([name not in r.naked for name in class_names], dtype=bool)[classes]
    short = portfolio.arrays["quantity"] < 0
    flagged = _is_type(portfolio, tuple(_OTHER_REGIME))
    flagged |= _is_type(portfolio, ("bond",)) & no_bond_rule
    flagged |= _is_type(portfolio, OPTION_TYPES) & short & no_naked_rule
    rows = np.flatnonzero(flagged).tolist()
    return _positions(portfolio, rows) if rows else ()


def _check_supported(positions: tuple[Position, ...], r: RegTRules) -> None:
    """Every position without a Reg T rule, reported at once: never priced at zero in silence."""
    problems = []
    for p in positions:
        if p.type in _OTHER_REGIME:
            problems.append(
                Problem(
                    f"{p.symbol}: {p.type.replace('_', ' ')} positions have no Reg T rule; "
                    f"use {_OTHER_REGIME[p.type]}",
                    p.row,
                    "type",
                )
            )
        elif p.type == "bond" and p.asset_class not in r.fixed_income:
            said = f"no Reg T rule for {p.asset_class} bonds" if p.class_given else "a bond needs its class"
            problems.append(
                Problem(f"{p.symbol}: {said}; supported classes: {', '.join(r.fixed_income)}", p.row, "class")
            )
        elif p.is_option and p.quantity < 0 and p.asset_class not in r.naked:
            problems.append(
                Problem(f"{p.symbol}: no uncovered-option rule for class {p.asset_class}", p.row, "class")
            )
    if problems:
        raise UnsupportedError(problems)


__all__ = [
    "BASES",
    "HEADER",
    "Leg",
    "MinimumEquity",
    "RegTResult",
    "StrategyGroup",
    "cents",
    "cut_short",
    "paired_at_scale",
    "pairing_programs",
    "regt_margin",
    "regt_margins",
    "with_minimum_equity",
]
