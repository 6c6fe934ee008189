"""One underlying's positions as legs: canonically ordered, identical contracts merged and netted.

A leg is one contract (or one stock) held long or short, with its capacity (contracts, or shares
for stock) and what it needs on its own. Rows holding the same contract at the same marks are
merged into one leg, so a butterfly body split over two rows is still a body, and the legs (hence
the pairing) do not depend on the order of the rows. Long and short rows of the same option series
net first: the contracts they offset are a closed position (:class:`Closed`, no requirement), and
only the net quantity is a leg, so a book needs what its net position needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlmargin.positions import Position
from xlmargin.regt._formulas import (
    Figures,
    RegTRules,
    long_option_rate,
    money,
    naked_per_share,
    num,
    stock_figures,
)


@dataclass(frozen=True, slots=True)
class BookLeg:
    """A long or short holding of one contract or stock, possibly over several rows.

    ``capacity`` is in contracts for options and in shares for stock; ``standalone`` is what one
    contract (one share) needs when it is in no strategy, ``name`` what it then is, and
    ``standalone_rule`` why, with
    ``{n}`` standing for the count.
    """

    position: Position
    sources: tuple[tuple[int, str, float], ...]  # (row, symbol, capacity units held on that row)
    capacity: float
    standalone: Figures
    name: str  # what the leg is on its own: "naked call", "long put", "long stock", ...
    standalone_rule: str
    long_cost: float = 0.0  # per contract, when long
    naked: float = 0.0  # per contract, when short: the uncovered requirement including the value

    @property
    def is_stock(self) -> bool:
        return not self.position.is_option

    @property
    def is_long(self) -> bool:
        return self.position.quantity > 0

    @property
    def value(self) -> float:
        """An option's value per contract (price × multiplier)."""
        return self.position.price * self.position.multiplier

    @property
    def expiry(self) -> dt.date:
        assert self.position.expiry is not None  # read_positions gives every option an expiry
        return self.position.expiry

    def describe(self) -> str:
        return describe(self.position)


@dataclass(frozen=True, slots=True)
class Closed:
    """The contracts of one option series that long and short rows offset: a closed position.

    ``sources`` are (row, symbol, signed contracts of that row offset), longs and shorts adding to zero.
    """

    position: Position
    sources: tuple[tuple[int, str, float], ...]


def describe(p: Position) -> str:
    """A contract (or stock) in words, as the breakdown names it."""
    if not p.is_option:
        return f"{p.symbol} shares"
    right = "call" if p.is_call else "put"
    assert p.expiry is not None  # read_positions gives every option an expiry
    return f"{p.symbol} {p.expiry.isoformat()} {num(p.strike)} {right}"


def _key(p: Position) -> tuple[Any, ...]:
    """Canonical order, and identity: rows with equal keys hold the same contract at the same marks
    (an option's key leaves out its side: long and short rows of one series net)."""
    if p.is_option:
        return (0, p.underlying, p.right, p.expiry, p.strike, p.multiplier, p.price,
                p.underlying_price, p.symbol, p.asset_class, p.leverage, p.style or "")  # fmt: skip
    sign = 1 if p.quantity > 0 else -1
    return (1, p.underlying, p.symbol, sign, p.price, p.multiplier, p.asset_class, p.leverage)


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
            merged.setdefault(_key(p), []).append(p)
    legs = []
    closed = []
    for key in sorted(merged):  # options (0) before stock (1); no NaN in these fields
        rows = sorted(merged[key], key=lambda q: q.row)
        per_row = [abs(q.quantity) * (1.0 if q.is_option else q.multiplier) for q in rows]
        longs = sum(a for q, a in zip(rows, per_row) if q.quantity > 0)
        shorts = sum(per_row) - longs
        offset = min(longs, shorts)
        if offset > 0:
            side = longs > shorts  # the side left open
            kept, shut = [], []
            left = offset
            for q, amount in zip(rows, per_row):
                sign = 1.0 if q.quantity > 0 else -1.0
                if (q.quantity > 0) != side:
                    shut.append((q.row, q.symbol, sign * amount))
                    continue
                part = min(amount, left)
                left -= part
                if part > 0:
                    shut.append((q.row, q.symbol, sign * part))
                if amount - part > 0:
                    kept.append((q, amount - part))
            closed.append(Closed(rows[0], tuple(sorted(shut))))
            if not kept:
                continue
            rows, per_row = [q for q, _ in kept], [a for _, a in kept]
        sources = tuple((q.row, q.symbol, amount) for q, amount in zip(rows, per_row))
        legs.append(_leg(rows[0], sources, sum(per_row), r, basis, as_of))
    return legs, closed


def _leg(
    p: Position,
    sources: tuple[tuple[int, str, float], ...],
    capacity: float,
    r: RegTRules,
    basis: str,
    as_of: dt.date,
) -> BookLeg:
    if not p.is_option:
        per_share, text = stock_figures(r, basis, p)
        rule = f"{text}: {money(per_share)}/share × {{n}} shares"
        name = "long stock" if p.quantity > 0 else "short stock"
        return BookLeg(p, sources, capacity, Figures(margin=per_share), name, rule)
    right = "call" if p.is_call else "put"
    value = p.price * p.multiplier
    if p.quantity > 0:
        rate, text = long_option_rate(r, basis, p, as_of)
        cost = rate * value
        rule = f"long {right}: {text}: {money(cost)} × {{n}}"
        return BookLeg(p, sources, capacity, Figures(long_cost=cost), f"long {right}", rule, long_cost=cost)
    per_share, text = naked_per_share(r, p)
    naked = per_share * p.multiplier
    rule = f"naked {right}: {text} × {num(p.multiplier)} × {{n}}"
    return BookLeg(
        p, sources, capacity, Figures(margin=naked, short_proceeds=value), f"naked {right}", rule, naked=naked
    )
