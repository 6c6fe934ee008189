"""One underlying's positions as legs: canonically ordered, identical contracts merged and netted.

A leg is one contract (or one stock) held long or short, with its capacity (contracts, or shares
for stock) and what it needs on its own. Rows holding the same contract are merged into one leg
(the reader refuses rows of one contract at different marks: :mod:`xlmargin.positions.marks`), so
a butterfly body split over two rows is still a body, and the legs (hence the pairing) do not
depend on the order of the rows. Long and short rows of the same option series
(or stock) net first: the contracts (shares) they offset are a closed position (:class:`Closed`, no
requirement), and only the net quantity is a leg, so a book needs what its net position needs.

:func:`netted_legs` does this row by row for one underlying (the obvious version);
:func:`book_netted_legs` does it for a whole book's underlyings at once, column-wise, with the
same legs to the last bit, falling back to the rows where the columns cannot be exact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from xlmargin._records import records
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.positions import Portfolio, Position
from xlmargin.positions.model import OPTION_TYPES
from xlmargin.regt._columns import standalone_columns
from xlmargin.regt._formulas import (
    Figures,
    RegTRules,
    long_option_rate,
    money,
    naked_per_share,
    num,
    spread_naked,
    stock_figures,
)
from xlmargin.regt._house import on_index


@dataclass(frozen=True, slots=True)
class RuleTerms:
    """What a leg's rule text is worded from besides the leg: the rules, the basis, the valuation date."""

    rules: RegTRules
    basis: str
    as_of: dt.date


@dataclass(slots=True)
class BookLeg:
    """A long or short holding of one contract or stock, possibly over several rows.

    ``capacity`` is in contracts for options and in shares for stock; ``standalone`` is what one
    contract (one share) needs when it is in no strategy and ``name`` what it then is. A long
    option's ``long_cost`` is what a strategy pays for it: the premium in full (margin-rules.md
    §1.4-§1.6: a debit spread, a long butterfly, a protective put or a collar pays its long legs in
    full); the long-dated financing of §1.2 (75% beyond nine months) is for a long option held alone,
    its ``standalone.long_cost`` only. The rule
    text (:attr:`standalone_rule`) is worded only when asked: most legs end up in a strategy.

    Not frozen, though nothing changes a leg once built: a frozen dataclass sets each field through
    ``object.__setattr__``, which made building a book's legs four times dearer (a first call
    builds thousands).
    """

    position: Position
    sources: tuple[tuple[int, str, float], ...]  # (row, symbol, capacity units held on that row)
    capacity: float
    standalone: Figures
    name: str  # what the leg is on its own: "naked call", "long put", "long stock", ...
    long_cost: float  # per contract, when long and in a strategy: the premium paid in full
    naked: float  # per contract, when short: what a credit spread holds it to (FINRA's, or the house's)
    is_stock: bool
    is_long: bool
    value: float  # an option's value per contract (price × multiplier)
    terms: RuleTerms

    @property
    def expiry(self) -> dt.date:
        assert self.position.expiry is not None  # read_positions gives every option an expiry
        return self.position.expiry

    @property
    def standalone_rule(self) -> str:
        """Why the leg on its own needs :attr:`standalone`, with ``{n}`` standing for the count."""
        p, (r, basis, as_of) = self.position, (self.terms.rules, self.terms.basis, self.terms.as_of)
        if self.is_stock:
            per_share, text = stock_figures(r, basis, p)
            return f"{text}: {money(per_share)}/share × {{n}} shares"
        right = "call" if p.is_call else "put"
        if self.is_long:
            text = long_option_rate(r, basis, p, as_of)[1]
            return f"long {right}: {text}: {money(self.standalone.long_cost)} × {{n}}"
        text = naked_per_share(r, p)[1]
        return f"naked {right}: {text} × {num(p.multiplier)} × {{n}}"

    def describe(self) -> str:
        return describe(self.position)


@dataclass(frozen=True, slots=True)
class Closed:
    """The contracts of one option series (or shares of one stock) that long and short rows offset:
    a closed position.

    ``sources`` are (row, symbol, signed contracts of that row offset), longs and shorts adding to zero.
    """

    position: Position
    sources: tuple[tuple[int, str, float], ...]


def describe(p: Position) -> str:
    """A contract (or stock, or bond) in words, as the breakdown names it."""
    if p.type == "bond":
        return f"{p.symbol} bond"
    if not p.is_option:
        return f"{p.symbol} shares"
    right = "call" if p.is_call else "put"
    assert p.expiry is not None  # read_positions gives every option an expiry
    return f"{p.symbol} {p.expiry.isoformat()} {num(p.strike)} {right}"


def contract_key(p: Position) -> tuple[Any, ...]:
    """Canonical order, and identity: rows with equal keys hold the same contract (the key leaves
    out the side: long and short rows of one series, or one stock, net). No mark: the reader refuses
    rows of one contract at different prices (:mod:`xlmargin.positions.marks`), whose contract
    fields this key holds, so equal keys price alike."""
    if p.is_option:
        return (0, p.underlying, p.right, p.expiry, p.strike, p.multiplier, p.symbol, p.asset_class,
                p.leverage, p.style or "")  # fmt: skip
    # 0 where an option has its expiry, so that the column-wise key (book_netted_legs) lines up
    return (1, p.underlying, p.symbol, 0, p.type, p.multiplier, p.asset_class, p.leverage)


def bond_key(p: Position) -> tuple[Any, ...]:
    """Identity of a bond: rows with equal keys hold one bond (symbol, class, coupon, maturity,
    currency and multiplier; a blank coupon or maturity equals only a blank) in one class group
    (a batch's accounts are class groups apart), and net as one position, long or short, as a
    stock's rows do. No mark: the reader refuses rows of one symbol at different prices
    (:mod:`xlmargin.positions.marks`)."""
    coupon = None if math.isnan(p.coupon) else p.coupon
    maturity = None if math.isnan(p.maturity_years) else p.maturity_years
    return (p.class_group, p.symbol, p.asset_class, coupon, maturity, p.currency or "", p.multiplier)


def one_bond_rows(positions: Sequence[Position]) -> list[list[int]]:
    """Indices into ``positions`` (bonds) grouped by :func:`bond_key`, each group's increasing, the
    groups in order of their first row; a row holding nothing stands alone."""
    found: dict[tuple[Any, ...], list[int]] = {}
    for k, p in enumerate(positions):
        found.setdefault(bond_key(p) if p.quantity != 0 else ("", k), []).append(k)
    return list(found.values())


def book_legs(positions: Sequence[Position], r: RegTRules, basis: str, as_of: dt.date) -> list[BookLeg]:
    """The legs of one underlying (stocks and options, non-zero net quantities), in canonical order."""
    return netted_legs(positions, r, basis, as_of)[0]


def netted_legs(
    positions: Sequence[Position], r: RegTRules, basis: str, as_of: dt.date
) -> tuple[list[BookLeg], list[Closed]]:
    """The legs of one underlying in canonical order, and the closed positions its rows hold.

    Of a series held both long and short, the minority side's rows and as many of the other side's
    contracts (its rows in row order) are closed; the rest of the other side is the leg.
    """
    merged: dict[tuple[Any, ...], list[Position]] = {}
    for p in positions:
        if p.quantity != 0:
            merged.setdefault(contract_key(p), []).append(p)
    terms = RuleTerms(r, basis, as_of)
    legs = []
    closed = []
    for key in sorted(merged):  # options (0) before stock (1); no NaN in these fields
        leg, shut = _merged(sorted(merged[key], key=lambda q: q.row), terms)
        if shut is not None:
            closed.append(shut)
        if leg is not None:
            legs.append(leg)
    return legs, closed


def _merged(rows: list[Position], terms: RuleTerms) -> tuple[BookLeg | None, Closed | None]:
    """One contract's rows (in row order) as a leg and, if they hold it long and short, the
    closed position; the leg is None when nothing is left open."""
    kept, amounts, closed = offset_rows(rows)
    if not kept:
        return None, closed
    sources = tuple((rows[k].row, rows[k].symbol, amount) for k, amount in zip(kept, amounts))
    return _leg(rows[kept[0]], sources, sum(amounts), terms), closed


def offset_rows(rows: list[Position]) -> tuple[list[int], list[float], Closed | None]:
    """One contract's rows (in row order) netted: the rows left open (indices into ``rows``), the
    capacity each still holds, and the closed position if the rows hold the contract long and short.

    Of a series held both long and short, the minority side's rows and as many of the other side's
    contracts (its rows in row order) are closed; the rest of the other side is open.
    """
    per_row = [abs(q.quantity) * (1.0 if q.is_option else q.multiplier) for q in rows]
    longs = sum(a for q, a in zip(rows, per_row) if q.quantity > 0)
    shorts = sum(per_row) - longs
    offset = min(longs, shorts)
    if not offset > 0:
        return list(range(len(rows))), per_row, None
    side = longs > shorts  # the side left open
    kept, amounts, shut = [], [], []
    left = offset
    for k, (q, amount) in enumerate(zip(rows, per_row)):
        sign = 1.0 if q.quantity > 0 else -1.0
        if (q.quantity > 0) != side:
            shut.append((q.row, q.symbol, sign * amount))
            continue
        part = min(amount, left)
        left -= part
        if part > 0:
            shut.append((q.row, q.symbol, sign * part))
        if amount - part > 0:
            kept.append(k)
            amounts.append(amount - part)
    return kept, amounts, Closed(rows[0], tuple(sorted(shut)))


def _leg(
    p: Position, sources: tuple[tuple[int, str, float], ...], capacity: float, terms: RuleTerms
) -> BookLeg:
    """A leg from its first row's position, by the scalar rules."""
    r, basis = terms.rules, terms.basis
    value = p.price * p.multiplier
    if not p.is_option:
        per_share = stock_figures(r, basis, p)[0]
        name = "long stock" if p.quantity > 0 else "short stock"
        return BookLeg(p, sources, capacity, Figures(margin=per_share), name, 0.0, 0.0, True, p.quantity > 0,
                       value, terms)  # fmt: skip
    right = "call" if p.is_call else "put"
    if p.quantity > 0:
        alone = long_option_rate(r, basis, p, terms.as_of)[0] * value  # §1.2, alone; in full in a strategy
        paid = r.paid_in_full * value
        return BookLeg(p, sources, capacity, Figures(long_cost=alone), f"long {right}", paid, 0.0, False,
                       True, value, terms)  # fmt: skip
    alone = naked_per_share(r, p)[0]
    naked = alone * p.multiplier
    spread = naked if r.house_options is None else spread_naked(r, p, alone) * p.multiplier
    return BookLeg(p, sources, capacity, Figures(margin=naked, short_proceeds=value), f"naked {right}", 0.0,
                   spread, False, False, value, terms)  # fmt: skip


# --- a book's underlyings at once, column-wise ------------------------------------------------------

COLUMN_WISE_ROWS = 40  # below this many rows, numpy's per-call cost outweighs the loops it saves
_EXACT_SUM = 2.0**52  # whole amounts below this add up exactly in any order
_OPTION_NAMES = {(True, True): "long call", (True, False): "long put",
                 (False, True): "naked call", (False, False): "naked put"}  # fmt: skip


def book_netted_legs(
    portfolio: Portfolio, rows: Mapping[str, Sequence[int]], r: RegTRules, basis: str
) -> dict[str, tuple[list[BookLeg], list[Closed]]]:
    """:func:`netted_legs` of every underlying of ``rows`` (its rows' indices into the portfolio's
    columns, increasing), for a whole book in a few numpy passes: rows grouped by underlying and
    contract with one sort, amounts summed per contract, figures computed for every row at once
    (:func:`standalone_columns`); a :class:`BookLeg` is built only at the end.

    The same legs, in the same order, to the last bit. Where the columns cannot promise that, the
    underlying goes row by row: a key field that is NaN or not text (a NaN key never merges),
    amounts that are not whole (their sums could round differently in another order); so do small
    books. Contracts held both long and short are netted by the row-by-row code, on their rows only.
    """
    terms = RuleTerms(r, basis, portfolio.as_of)
    names = list(rows)
    counts = [len(rows[name]) for name in names]
    if sum(counts) < COLUMN_WISE_ROWS:
        return _row_by_row(portfolio, rows, names, terms)
    a = portfolio.arrays
    index = np.array(list(chain.from_iterable(rows[name] for name in names)), dtype=np.int64)
    group = np.repeat(np.arange(len(names), dtype=np.int64), counts)
    is_option = _is_text(portfolio, "type", OPTION_TYPES)[index]
    numbers = ("quantity", "price", "multiplier", "leverage", "strike", "underlying_price",
               "special_maintenance")  # fmt: skip
    columns = {f: np.asarray(a[f], dtype=float)[index] for f in numbers}
    quantity = columns["quantity"]
    expiry = _ordinals(portfolio)[index]
    texts = ("underlying", "symbol", "asset_class", "right", "style", "type")
    ranks = {f: _ranks(portfolio, f)[index] for f in texts}
    amount = np.abs(quantity) * np.where(is_option, 1.0, columns["multiplier"])
    # Rows the columns handle exactly: every key field a number or a text, whole amounts.
    exact = np.isfinite(columns["multiplier"]) & np.isfinite(columns["leverage"])
    exact &= (ranks["underlying"] >= 0) & (ranks["symbol"] >= 0) & (ranks["asset_class"] >= 0)
    exact &= ~is_option | (
        np.isfinite(columns["strike"]) & (expiry >= 0) & (ranks["right"] >= 0) & (ranks["style"] >= 0)
    )
    exact &= (amount == np.floor(amount)) & (amount < _EXACT_SUM)
    held = quantity != 0
    inexact = np.zeros(len(names), dtype=bool)
    inexact[group[held & ~exact]] = True
    take = held & ~inexact[group]
    # The canonical order (netted_legs' key), the row number last: one lexsort over the book.
    stock = ~is_option
    slots = [
        ranks["underlying"],
        np.where(stock, ranks["symbol"], ranks["right"]),
        np.where(stock, 0, expiry),
        np.where(stock, ranks["type"], columns["strike"]),
        columns["multiplier"],
        np.where(stock, ranks["asset_class"], ranks["symbol"]),
        np.where(stock, columns["leverage"], ranks["asset_class"]),
        np.where(stock, 0.0, columns["leverage"]),
        np.where(stock, 0, ranks["style"]),
    ]
    keys = np.array([group, stock, *slots], dtype=float)[:, take]
    row = a["row"][index[take]]
    order = np.lexsort((row, *keys[::-1]))
    keys = keys[:, order]
    starts = np.flatnonzero(np.r_[True, np.any(keys[:, 1:] != keys[:, :-1], axis=0)]) if len(order) else order
    ends = np.r_[starts[1:], len(order)]
    at = np.flatnonzero(take)[order]  # into index
    longs = np.add.reduceat(np.where(quantity[at] > 0, amount[at], 0.0), starts) if len(at) else np.zeros(0)
    totals = np.add.reduceat(amount[at], starts) if len(at) else np.zeros(0)
    netting = np.minimum(longs, totals - longs) > 0
    # The positions: each contract's first row, every row of a netted contract or inexact underlying.
    first = at[starts]
    wanted = inexact[group]
    wanted[first] = True
    for s, e in zip(starts[netting].tolist(), ends[netting].tolist()):
        wanted[at[s:e]] = True
    built = np.flatnonzero(wanted)
    position = dict(zip(built.tolist(), portfolio.positions_at(index[built].tolist())))
    class_codes, class_names = portfolio.codes("asset_class")
    is_call = _is_text(portfolio, "right", ("C",))[index]
    index_rows = None
    if r.house_options is not None and r.house_options.index_only:
        underlying, values = portfolio.codes("underlying")
        index_rows = np.array([on_index(str(v)) for v in values], dtype=bool)[underlying][index]
    figures = standalone_columns(
        r,
        basis,
        portfolio.as_of,
        is_option,
        is_call,
        quantity > 0,
        (class_codes[index], class_names),
        columns | {"expiry": expiry.astype(float)},
        index_rows,
    )
    # Each contract's leg from its first open row's figures (lists: Python floats, as the scalar
    # rules give them), its rows and capacities from the sorted columns.
    margin, long_cost, spread = (
        figures.margin.tolist(),
        figures.long_cost.tolist(),
        figures.spread_naked.tolist(),
    )
    proceeds, value = figures.short_proceeds.tolist(), figures.value.tolist()
    option, long, call = is_option.tolist(), (quantity > 0).tolist(), is_call.tolist()
    capacity, owner = totals.tolist(), group[first].tolist()
    sources = list(zip(a["row"][index[at]].tolist(), a["symbol"][index[at]].tolist(), amount[at].tolist()))
    out: dict[str, tuple[list[BookLeg], list[Closed]]] = {name: ([], []) for name in names}
    # Each leg's fields, a column each, and the list it joins: the legs (and their standalone
    # figures) are made together at the end (records), in this order.
    joins: list[list[BookLeg]] = []
    chosen: list[int] = []  # the row whose figures each leg takes
    held_by: list[tuple[tuple[int, str, float], ...]] = []
    capacity_of: list[float] = []
    named: list[str] = []
    naked_of: list[float] = []
    for k, (s, e, j, shared) in enumerate(
        zip(starts.tolist(), ends.tolist(), first.tolist(), netting.tolist())
    ):
        legs, closed = out[names[owner[k]]]
        held, total = tuple(sources[s:e]), capacity[k]
        if shared:
            local = at[s:e].tolist()
            kept, amounts, shut = offset_rows([position[i] for i in local])
            assert shut is not None  # held long and short: some contracts close
            closed.append(shut)
            if not kept:
                continue
            held = tuple((held[m][0], held[m][1], amount) for m, amount in zip(kept, amounts))
            j, total = local[kept[0]], sum(amounts)
        if option[j]:
            name, naked = _OPTION_NAMES[(long[j], call[j])], 0.0 if long[j] else spread[j]
        else:
            name, naked = "long stock" if long[j] else "short stock", 0.0
        joins.append(legs)
        chosen.append(j)
        held_by.append(held)
        capacity_of.append(total)
        named.append(name)
        naked_of.append(naked)
    n = len(chosen)
    cost_of = [long_cost[j] for j in chosen]
    standalone = records(
        Figures,
        {
            "margin": [margin[j] for j in chosen],
            "long_cost": cost_of,
            "short_proceeds": [proceeds[j] for j in chosen],
        },
        n,
    )
    leg_fields: dict[str, Sequence[Any]] = {
        "position": [position[j] for j in chosen],
        "sources": held_by,
        "capacity": capacity_of,
        "standalone": standalone,
        "name": named,
        "naked": naked_of,
        "long_cost": [r.paid_in_full * value[j] if option[j] and long[j] else 0.0 for j in chosen],
        "is_stock": [not option[j] for j in chosen],
        "is_long": [long[j] for j in chosen],
        "value": [value[j] for j in chosen],
        "terms": [terms] * n,
    }
    for legs, leg in zip(joins, records(BookLeg, leg_fields, n), strict=True):
        legs.append(leg)
    offsets = np.cumsum([0, *counts]).tolist()
    for k in np.flatnonzero(inexact).tolist():
        held_rows = [position[i] for i in range(offsets[k], offsets[k + 1])]
        out[names[k]] = netted_legs(held_rows, r, basis, terms.as_of)
    return out


def special_per_underlying(portfolio: Portfolio) -> Portfolio:
    """``portfolio`` with each underlying's special maintenance on all its rows (of one class group,
    so of one account in a batch): the greatest any of them gives. A book gives one figure per
    underlying, on some of its rows or all (the reader refuses two); a book joined from two tables
    (positions and a trades file, say) may give it in one only. Every row of the underlying must
    carry it, or its stock and options would be margined apart."""
    special = portfolio.arrays["special_maintenance"]
    if len(special) == 0 or np.isnan(special).all():
        return portfolio
    # per class group and underlying: the same as per underlying in one account's book, and apart
    # for two accounts' books margined as one (regt_margins names their class groups apart)
    underlying, names = portfolio.codes("underlying")
    distinct, codes = np.unique(
        portfolio.codes("class_group")[0] * len(names) + underlying, return_inverse=True
    )
    most = np.full(len(distinct), -np.inf)
    np.fmax.at(most, codes, special)  # fmax: a NaN (no figure) never wins
    spread = np.where(np.isinf(most), np.nan, most)[codes]
    if np.array_equal(spread, special, equal_nan=True):
        return portfolio
    coded = {name: portfolio.codes(name) for name in portfolio.coded()}
    return Portfolio(
        {**portfolio.arrays, "special_maintenance": spread}, portfolio.as_of, portfolio.warnings, coded
    )


def _row_by_row(
    portfolio: Portfolio, rows: Mapping[str, Sequence[int]], names: list[str], terms: RuleTerms
) -> dict[str, tuple[list[BookLeg], list[Closed]]]:
    every = sorted(i for name in names for i in rows[name])
    position = dict(zip(every, portfolio.positions_at(every)))
    r, basis, as_of = terms.rules, terms.basis, terms.as_of
    return {name: netted_legs([position[i] for i in rows[name]], r, basis, as_of) for name in names}


def _is_text(portfolio: Portfolio, column: str, texts: tuple[str, ...]) -> BoolArray:
    """Whether each row's ``column`` is one of ``texts``, from the column's codes."""
    codes, values = portfolio.codes(column)
    return np.array([v in texts for v in values], dtype=bool)[codes]


def _ranks(portfolio: Portfolio, column: str) -> FloatArray:
    """Each row's text in ``column`` as its rank among the column's texts (Python's string order,
    so sorting ranks sorts the texts); a blank style counts as "" (as :func:`contract_key` has it), any
    other value that is not a text is -1."""
    codes, values = portfolio.codes(column)
    texts = ["" if v is None and column == "style" else v for v in values]
    rank = {t: k for k, t in enumerate(sorted({t for t in texts if isinstance(t, str)}))}
    return np.array([rank[t] if isinstance(t, str) else -1 for t in texts], dtype=float)[codes]


def _ordinals(portfolio: Portfolio) -> IntArray:
    """Each row's expiry as a day number, -1 where it is not a date (a datetime's time would count
    in the row-by-row key)."""
    codes, values = portfolio.codes("expiry")
    days = [v.toordinal() if type(v) is dt.date else -1 for v in values]
    return np.array(days, dtype=np.int64)[codes]
