"""The groups of the Reg T breakdown: a recognised strategy (or a leg alone) with the rows it uses and
its figures rounded to the cent, made one underlying at a time (:func:`book_groups`, the slow, obvious
twin) or for all the solved underlyings at once (:func:`groups_together`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, pairwise
from operator import attrgetter
from typing import Any

import numpy as np

from xlmargin._records import records
from xlmargin._typing import FloatArray
from xlmargin.money import cents, cents_of
from xlmargin.positions import Position
from xlmargin.regt._allocation import Asked, Groups, Pieces, Solved
from xlmargin.regt._formulas import Figures, GivenFace, RegTRules, bond_requirement, money, num
from xlmargin.regt._legs import BookLeg, Closed, describe, offset_rows
from xlmargin.regt._strategies import Candidate


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


def place_of(g: StrategyGroup) -> tuple[int, str]:
    """Where a group goes in the breakdown: by its first row, then by name."""
    return (min((leg.row for leg in g.legs), default=0), g.strategy)


Placed = tuple[tuple[int, str], StrategyGroup]  # a group and its place in the breakdown (place_of)


def whole(p: Position, description: str) -> Leg:
    return Leg(p.row, p.symbol, f"{p.symbol} {description}", p.quantity)


def group(strategy: str, underlying: str, legs: list[Leg], rule: str, figures: Figures) -> StrategyGroup:
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


def bond_groups(
    rows: Sequence[Position], r: RegTRules, basis: str, given: Sequence[GivenFace | None]
) -> list[StrategyGroup]:
    """One bond's groups: its rows (in row order, equal :func:`~xlmargin.regt._legs.bond_key`)
    net as a stock's do, FINRA 4210(e)(2) charging the net position, long or short: the faces long
    and short rows offset are closed (nothing required), the net face takes the bond's rule on the
    rows left open. ``given``: each row's face as the row gives it, where it is in another currency."""
    kept, amounts, closed = offset_rows(list(rows))
    out = []
    if closed is not None:  # the faces closed as the rows give them
        ratio = {q.row: (f.amount / q.quantity if f else 1.0) for q, f in zip(rows, given)}
        sources = tuple((row, symbol, amount * ratio[row]) for row, symbol, amount in closed.sources)
        out.append(closed_group(Closed(closed.position, sources)))
    if not kept:
        return out
    first, face = rows[kept[0]], given[kept[0]]
    if closed is None and len(rows) == 1:
        return [*out, _bond_group(first, r, basis, face, [(first, face, first.quantity)])]
    sign = 1.0 if first.quantity > 0 else -1.0
    net = sign * sum(amounts) / first.multiplier
    open_rows = [(rows[k], given[k], sign * amount / first.multiplier) for k, amount in zip(kept, amounts)]
    netted = GivenFace(face.amount * net / first.quantity, face.currency, face.rate) if face else None
    return [*out, _bond_group(replace(first, quantity=net), r, basis, netted, open_rows)]


def _bond_group(
    p: Position,
    r: RegTRules,
    basis: str,
    given: GivenFace | None,
    open_rows: list[tuple[Position, GivenFace | None, float]],
) -> StrategyGroup:
    """A bond position's group: ``p`` its net face, ``open_rows`` the rows holding it and each one's
    quantity in it; a bond in another currency shows its face as the row gives it (``given``)."""
    margin, rule = bond_requirement(r, p, basis, given)
    legs = []
    for row, face, quantity in open_rows:
        leg = Leg(row.row, row.symbol, describe(row), quantity)
        if face is not None:
            amount = face.amount if quantity == row.quantity else face.amount * quantity / row.quantity
            text = f"face in {face.currency} ({money(abs(quantity))} USD at {face.rate:.10g})"
            leg = Leg(row.row, row.symbol, f"{leg.description}, {text}", amount)
        legs.append(leg)
    if len(open_rows) > 1 or open_rows[0][2] != open_rows[0][0].quantity:
        shown = f"{num(abs(given.amount))} {given.currency}" if given else num(abs(p.quantity))
        rule = f"net face {shown} of one bond's rows: {rule}"
    return group(f"{p.asset_class} bond", p.symbol, legs, rule, Figures(margin=margin))


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


def closed_group(c: Closed) -> StrategyGroup:
    """Long and short rows of one series (or one stock, or bond) offsetting each other: flat, so no
    requirement."""
    p = c.position
    legs = [Leg(row, symbol, describe(p), amount) for row, symbol, amount in c.sources]
    n = num(sum(amount for _, _, amount in c.sources if amount > 0))
    what = "series" if p.is_option else "bond" if p.type == "bond" else "stock"
    rule = f"offsetting long and short: {n} long and {n} short of one {what} close; nothing required"
    return group("offsetting long and short", p.underlying, legs, rule, Figures())


def book_groups(
    legs: list[BookLeg], candidates: Sequence[Candidate], units: list[int]
) -> list[StrategyGroup]:
    """One underlying's groups, each leg's rows handed out in row order, group after group: the slow,
    obvious twin of :func:`groups_together`, and its path where amounts leave the 1/1024 grid."""
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
            group(shape.strategy, underlying, used, shape.rule.replace("{n}", num(n)), shape.unit * n)
        )
    for leg, allocator in zip(legs, allocators):
        left = allocator.remaining
        if left <= 1e-9:
            continue
        rule = leg.standalone_rule.replace("{n}", num(left))
        groups.append(
            group(leg.name, leg.position.underlying, allocator.take(left), rule, leg.standalone * left)
        )
    return groups


def groups_together(books: Sequence[Solved]) -> list[list[Placed]]:
    """Each underlying's groups, the same as :func:`book_groups` makes them, for all at once, each
    with its place in the breakdown (:func:`place_of`): the rows each group uses found for every
    underlying at once (:mod:`xlmargin.regt._allocation`), except where that could differ in the
    last bit from handing them out row by row."""
    if not books:
        return []
    asked = Asked(books)
    inexact = asked.inexact()
    if any(inexact):
        exact = iter(groups_together([b for b, bad in zip(books, inexact) if not bad]))
        return [
            [(place_of(g), g) for g in book_groups(b.legs, b.candidates, b.units)] if bad else next(exact)
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
    """Every group's margin, long cost, short proceeds, gross and net in cents, as :func:`group`
    rounds them one group at a time (:func:`cents_of` gives :func:`cents`' very floats); ``values``:
    a row of unrounded figures per group (see :func:`_scaled`)."""
    columns = cents_of(values)
    margin, long_cost, proceeds = columns[0::3], columns[1::3], columns[2::3]
    rounded = list(zip(margin, long_cost, proceeds))
    gross = cents_of([m + max(c - p, 0.0) for m, c, p in rounded])
    # without a net debit the gross figure is the rounded margin itself (see group)
    gross = [g if c > p or abs(m) >= _EXACT_CENTS else m for g, (m, c, p) in zip(gross, rounded)]
    return margin, long_cost, proceeds, gross, cents_of([m + c - p for m, c, p in rounded])
