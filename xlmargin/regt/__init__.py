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
- ``long_cost``: what the group's long options require: the premium (100% with nine calendar
  months or less to expiry; 75% of cost at initial, 75% of market value at maintenance beyond).
  A hedged group at maintenance (protective put or call, collar, conversion) has none: its
  formula covers the pair.
- ``short_proceeds``: the current value of the group's short options.

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
from itertools import accumulate, pairwise
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

from xlmargin import rules as rule_files
from xlmargin._records import records
from xlmargin._typing import BoolArray, FloatArray
from xlmargin.collector import collector_paused
from xlmargin.errors import InputError, Problem, UnsupportedError
from xlmargin.instruments import in_usd
from xlmargin.money import cents, cents_of
from xlmargin.positions import Portfolio, Position
from xlmargin.positions.model import OPTION_TYPES
from xlmargin.regt._allocation import Asked, Groups, Pieces, Solved
from xlmargin.regt._cache import PAIRINGS
from xlmargin.regt._equity import MinimumEquity, minimum_equity
from xlmargin.regt._formulas import Figures, GivenFace, RegTRules, bond_requirement, given_face, money, num
from xlmargin.regt._legs import BookLeg, Closed, book_netted_legs, describe, special_per_underlying
from xlmargin.regt._pairing import Block, block, blocks, cut_short, solve, solve_beside, start
from xlmargin.regt._shapes import Candidates
from xlmargin.regt._strategies import Candidate, Enumerator, all_candidates
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
class Leg:
    """The part of one row a group uses: ``quantity`` is signed, in the row's own units (a bond in
    another currency: its face in that currency, as the row gives it; its description says the
    currency and the face in US dollars the rules read, :func:`~xlmargin.instruments.in_usd`)."""

    row: int
    symbol: str
    description: str
    quantity: float


@dataclass(frozen=True, slots=True)
class StrategyGroup:
    """One recognised strategy (or a leg on its own) and what it needs, in cents."""

    strategy: str
    underlying: str
    legs: tuple[Leg, ...]
    rule: str
    margin: float
    long_cost: float
    short_proceeds: float
    gross: float
    net: float
    exact: Figures  # the three figures before rounding, for a search on the requirement (capacity)


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
    for i in others:
        p = position[i]
        if p.type == "bond":
            groups.append(_bond_group(p, r, basis, given_face(given, portfolio, i)))
        else:
            cash = _group(
                "cash", p.symbol, [_whole(p, "cash")], "cash: no requirement (it is equity)", Figures()
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
        lambda units: _groups_together(_solved(second, units)),
    ) if second else None  # fmt: skip
    solved = solve([b.program for b in first], r.time_limit_seconds, [b.notes for b in first])
    together = iter([*_groups_together(_solved(first, solved)), *(beside.result() if beside else [])])
    paired = [next(together) if b.job is None else b.job.result() for b in order]
    for (name, key), b, placed in zip(missed.items(), order, paired):
        placed.extend((_order(g), g) for g in map(_closed_group, b.closed))
        done[name] = _Pairing(tuple(placed), (*b.found, *b.notes))
        PAIRINGS.put(key, done[name])
    ordered = [(_order(g), g) for g in groups]
    for name in sorted(done):
        ordered.extend(done[name].groups)
        warnings.extend(done[name].warnings)
    ordered.sort(key=itemgetter(0))  # stable: equal keys keep the order above
    result = _result(basis, net_of_proceeds, [g for _, g in ordered], warnings)
    notes = {name: tuple(done[name].warnings) for name in sorted(done)}
    return (result if equity is None else with_minimum_equity(result, portfolio, equity, rule_set)), notes


def with_minimum_equity(
    result: RegTResult, portfolio: Portfolio, equity: float, rules: RuleSet | None = None
) -> RegTResult:
    """``result`` (of ``portfolio``) with FINRA 4210(b)(2)'s minimum-equity check for ``equity`` and
    its warning when not met (as portfolio margin warns of its eligibility); no figure changes."""
    rule_set = rules if rules is not None else rule_files.load("regt")
    check, warning = minimum_equity(in_usd(portfolio), result.basis, equity, rule_set)
    warnings = result.warnings if warning is None else (*result.warnings, warning)
    return replace(result, minimum_equity=check, warnings=warnings)


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
        [f"{k}\x1f{group}" for group, k in zip(a["class_group"].tolist(), owner.tolist(), strict=True)],
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


def _order(g: StrategyGroup) -> tuple[int, str]:
    """Where a group goes in the breakdown: by its first row, then by name."""
    return (min((leg.row for leg in g.legs), default=0), g.strategy)


_Placed = tuple[tuple[int, str], StrategyGroup]  # a group and its place in the breakdown (_order)


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
    job: Future[list[_Placed]] | None


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

    def grouped(units: list[int]) -> list[_Placed]:
        return _groups_together([Solved(legs, candidates, program, units)])[0]

    job = start(program, r.time_limit_seconds, notes, grouped)
    return _Built(legs, closed, candidates, program, [*e.warnings], notes, job)


@dataclass(frozen=True, slots=True)
class _Pairing:
    """One underlying's groups (each with its place in the breakdown) and warnings."""

    groups: tuple[_Placed, ...]
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
            problems.append(
                Problem(
                    f"{p.symbol}: no Reg T rule for {p.asset_class} bonds; supported classes: "
                    f"{', '.join(r.fixed_income)}",
                    p.row,
                    "class",
                )
            )
        elif p.is_option and p.quantity < 0 and p.asset_class not in r.naked:
            problems.append(
                Problem(f"{p.symbol}: no uncovered-option rule for class {p.asset_class}", p.row, "class")
            )
    if problems:
        raise UnsupportedError(problems)


def _whole(p: Position, description: str) -> Leg:
    return Leg(p.row, p.symbol, f"{p.symbol} {description}", p.quantity)


def _group(strategy: str, underlying: str, legs: list[Leg], rule: str, figures: Figures) -> StrategyGroup:
    rounded = Figures(_cents(figures.margin), _cents(figures.long_cost), _cents(figures.short_proceeds))
    # without a net debit the gross figure is the rounded margin itself: rounding it again is a no-op
    debit = rounded.long_cost > rounded.short_proceeds or abs(rounded.margin) >= _EXACT_CENTS
    return StrategyGroup(
        strategy,
        underlying,
        tuple(legs),
        rule,
        rounded.margin,
        rounded.long_cost,
        rounded.short_proceeds,
        cents(rounded.gross) if debit else rounded.margin,
        _cents(rounded.net),
        figures,
    )


_EXACT_CENTS = 1e12  # below this, a figure in cents prints back exactly at cents' 15 digits


def _cents(value: float) -> float:
    """:func:`cents`, zero (half a group's figures) answered without the decimal arithmetic."""
    return cents(value) if value else 0.0


def _bond_group(p: Position, r: RegTRules, basis: str, given: GivenFace | None) -> StrategyGroup:
    """A bond's group; one in another currency shows its face as the row gives it (``given``)."""
    margin, rule = bond_requirement(r, p, basis, given)
    leg = _whole(p, "bond")
    if given is not None:
        face = f"face in {given.currency} ({money(abs(p.quantity))} USD at {given.rate:.10g})"
        leg = Leg(p.row, p.symbol, f"{leg.description}, {face}", given.amount)
    return _group(f"{p.asset_class} bond", p.symbol, [leg], rule, Figures(margin=margin))


class _Allocator:
    """Hands out a leg's contracts (shares) row by row, in row order, to the groups that use them."""

    def __init__(self, leg: BookLeg):
        self.leg = leg
        self.left = [amount for _, _, amount in leg.sources]
        self.description = leg.describe()

    def take(self, amount: float) -> list[Leg]:
        out = []
        p = self.leg.position
        sign = 1.0 if self.leg.is_long else -1.0
        per_unit = 1.0 if p.is_option else p.multiplier  # stock capacity is in shares
        for k, (row, symbol, _) in enumerate(self.leg.sources):
            if amount <= 1e-9:
                break
            part = min(self.left[k], amount)
            if part > 1e-9:
                self.left[k] -= part
                amount -= part
                out.append(Leg(row, symbol, self.description, sign * part / per_unit))
        return out

    @property
    def remaining(self) -> float:
        return sum(self.left)


def _closed_group(c: Closed) -> StrategyGroup:
    """Long and short rows of one series (or one stock) offsetting each other: flat, so no requirement."""
    p = c.position
    legs = [Leg(row, symbol, describe(p), amount) for row, symbol, amount in c.sources]
    n = num(sum(amount for _, _, amount in c.sources if amount > 0))
    what = "series" if p.is_option else "stock"
    rule = f"offsetting long and short: {n} long and {n} short of one {what} close; nothing required"
    return _group("offsetting long and short", p.underlying, legs, rule, Figures())


def _book_groups(
    legs: list[BookLeg], candidates: Sequence[Candidate], units: list[int]
) -> list[StrategyGroup]:
    """One underlying's groups, each leg's rows handed out in row order, group after group: the slow,
    obvious twin of :func:`_groups_together`, and its path where amounts leave the 1/1024 grid."""
    allocators = [_Allocator(leg) for leg in legs]
    groups = []
    for j, n in enumerate(units):
        if n <= 0:
            continue
        cand = candidates[j]
        used = [leg for i, amount in cand.uses for leg in allocators[i].take(amount * n)]
        underlying = next(
            (legs[i].position.underlying for i, _ in cand.uses if not legs[i].is_stock),
            legs[cand.uses[0][0]].position.underlying,
        )
        shape = cand.shape()
        groups.append(
            _group(shape.strategy, underlying, used, shape.rule.replace("{n}", num(n)), shape.unit * n)
        )
    for leg, allocator in zip(legs, allocators):
        left = allocator.remaining
        if left <= 1e-9:
            continue
        rule = leg.standalone_rule.replace("{n}", num(left))
        groups.append(
            _group(leg.name, leg.position.underlying, allocator.take(left), rule, leg.standalone * left)
        )
    return groups


def _groups_together(books: Sequence[Solved]) -> list[list[_Placed]]:
    """Each underlying's groups, the same as :func:`_book_groups` makes them, for all at once, each
    with its place in the breakdown (:func:`_order`): the rows each group uses found for every
    underlying at once (:mod:`xlmargin.regt._allocation`), except where that could differ in the
    last bit from handing them out row by row."""
    if not books:
        return []
    asked = Asked(books)
    inexact = asked.inexact()
    if any(inexact):
        exact = iter(_groups_together([b for b, bad in zip(books, inexact) if not bad]))
        return [
            [(_order(g), g) for g in _book_groups(b.legs, b.candidates, b.units)] if bad else next(exact)
            for b, bad in zip(books, inexact)
        ]
    demands = asked.demands()
    pieces = asked.pieces(demands)
    groups = asked.groups(demands)
    strategies, underlyings, rules, unit_figures, counts = _described(asked, groups)
    figures, values = _scaled(unit_figures, counts)
    margin, long_cost, proceeds, gross, net = _rounded(values)
    columns: dict[str, Sequence[Any]] = {
        "strategy": strategies, "underlying": underlyings, "legs": _legs_of(asked, pieces), "rule": rules,
        "margin": margin, "long_cost": long_cost, "short_proceeds": proceeds, "gross": gross, "net": net,
        "exact": figures,
    }  # fmt: skip
    made = records(StrategyGroup, columns, len(strategies))
    placed = [((row, g.strategy), g) for row, g in zip(pieces.first_row, made)]
    return [placed[a:b] for a, b in pairwise([0, *accumulate(groups.counts)])]


def _legs_of(asked: Asked, pieces: Pieces) -> list[tuple[Leg, ...]]:
    """Each group's legs, one per piece (see :class:`~xlmargin.regt._allocation.Pieces`)."""
    descriptions = [leg.describe() for leg in asked.legs]
    symbols = [symbol for _, symbol, _ in asked.sources]
    columns: dict[str, Sequence[Any]] = {
        "row": pieces.row, "symbol": [symbols[k] for k in pieces.source],
        "description": [descriptions[i] for i in pieces.leg], "quantity": pieces.quantity,
    }  # fmt: skip
    made = records(Leg, columns, len(pieces.row))
    return [tuple(made[a:b]) for a, b in pairwise(pieces.bounds)]


def _described(
    asked: Asked, groups: Groups
) -> tuple[list[str], list[str], list[str], list[Figures], list[float]]:
    """Each group's strategy, underlying, rule, unit figures and how many units: a chosen
    candidate's shape and units, or a leg alone and what is left of it."""
    shapes = [shape for b, chosen in zip(asked.books, groups.chosen) for shape in b.candidates.shapes(chosen)]
    formed = [b.units[j] for b, chosen in zip(asked.books, groups.chosen) for j in chosen]
    strategies, underlyings, rules, unit_figures, counts = [], [], [], [], []
    candidate = 0
    for alone, i, size in zip(groups.alone, groups.leg, groups.size):
        leg = asked.legs[i]
        underlyings.append(leg.position.underlying)
        if alone:
            strategies.append(leg.name)
            rules.append(leg.standalone_rule.replace("{n}", num(size)))
            unit_figures.append(leg.standalone)
            counts.append(size)
        else:
            shape, n = shapes[candidate], formed[candidate]
            strategies.append(shape.strategy)
            rules.append(shape.rule.replace("{n}", num(n)))
            unit_figures.append(shape.unit)
            counts.append(n)
            candidate += 1
    return strategies, underlyings, rules, unit_figures, counts


_FIGURES = attrgetter("margin", "long_cost", "short_proceeds")


def _scaled(unit_figures: list[Figures], counts: list[float]) -> tuple[list[Figures], FloatArray]:
    """Each unit's figures times its count, the very floats of ``unit * n`` (one product each), as
    :class:`Figures` and as rows of an array (margin, long cost, short proceeds)."""
    values = np.array(list(map(_FIGURES, unit_figures)), dtype=float).reshape(-1, 3)
    values *= np.array(counts, dtype=float)[:, None]
    margin, long_cost, proceeds = values.T.tolist()
    columns = {"margin": margin, "long_cost": long_cost, "short_proceeds": proceeds}
    return records(Figures, columns, len(unit_figures)), values


def _rounded(values: FloatArray) -> tuple[list[float], list[float], list[float], list[float], list[float]]:
    """Every group's margin, long cost, short proceeds, gross and net in cents, as :func:`_group`
    rounds them one group at a time (:func:`cents_of` gives :func:`cents`' very floats); ``values``:
    a row of unrounded figures per group (see :func:`_scaled`)."""
    columns = cents_of(values)
    margin, long_cost, proceeds = columns[0::3], columns[1::3], columns[2::3]
    rounded = list(zip(margin, long_cost, proceeds))
    gross = cents_of([m + max(c - p, 0.0) for m, c, p in rounded])
    # without a net debit the gross figure is the rounded margin itself (see _group)
    gross = [g if c > p or abs(m) >= _EXACT_CENTS else m for g, (m, c, p) in zip(gross, rounded)]
    return margin, long_cost, proceeds, gross, cents_of([m + c - p for m, c, p in rounded])


__all__ = [
    "BASES",
    "HEADER",
    "Leg",
    "MinimumEquity",
    "RegTResult",
    "StrategyGroup",
    "cents",
    "cut_short",
    "regt_margin",
    "regt_margins",
    "with_minimum_equity",
]
