"""One underlying's positions as legs: canonically ordered, identical contracts merged.

A leg is one contract (or one stock) held long or short, with its capacity (contracts, or shares
for stock) and what it needs on its own. Rows holding the same contract at the same marks are
merged into one leg, so a butterfly body split over two rows is still a body, and the legs (hence
the pairing) do not depend on the order of the rows.
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
        p = self.position
        if self.is_stock:
            return f"{p.symbol} shares"
        right = "call" if p.is_call else "put"
        return f"{p.symbol} {self.expiry.isoformat()} {num(p.strike)} {right}"


def _key(p: Position) -> tuple[Any, ...]:
    """Canonical order, and identity: rows with equal keys hold the same contract at the same marks."""
    sign = 1 if p.quantity > 0 else -1
    if p.is_option:
        return (0, p.underlying, p.right, p.expiry, p.strike, p.multiplier, sign, p.price,
                p.underlying_price, p.symbol, p.asset_class, p.leverage, p.style or "")  # fmt: skip
    return (1, p.underlying, p.symbol, sign, p.price, p.multiplier, p.asset_class, p.leverage)


def book_legs(positions: Sequence[Position], r: RegTRules, basis: str, as_of: dt.date) -> list[BookLeg]:
    """The legs of one underlying (stocks and options, non-zero quantities), in canonical order."""
    merged: dict[tuple[Any, ...], list[Position]] = {}
    for p in positions:
        if p.quantity != 0:
            merged.setdefault(_key(p), []).append(p)
    legs = []
    for key in sorted(merged):  # options (0) before stock (1); no NaN in these fields
        rows = sorted(merged[key], key=lambda q: q.row)
        first = rows[0]
        per_row = [abs(q.quantity) * (1.0 if q.is_option else q.multiplier) for q in rows]
        sources = tuple((q.row, q.symbol, amount) for q, amount in zip(rows, per_row))
        legs.append(_leg(first, sources, sum(per_row), r, basis, as_of))
    return legs


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
