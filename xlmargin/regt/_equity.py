"""FINRA 4210(b)(2)'s minimum equity to trade on margin: an account condition that Reg T's
results report beside their figures when the account's equity is given, never added to them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin.errors import InputError, Problem
from xlmargin.instruments import PER_FACE
from xlmargin.money import cents
from xlmargin.positions import Portfolio
from xlmargin.regt._formulas import money
from xlmargin.rules import RuleSet


@dataclass(frozen=True, slots=True)
class MinimumEquity:
    """FINRA 4210(b)(2)'s minimum equity to trade on margin (``account.minimum_equity`` of the rule
    file, $2,000), as portfolio margin reports its eligibility: ``required`` is the lesser of the
    minimum and ``purchases`` (the long positions' cost at their market value), or the minimum
    itself when the book holds a short position (``short``); ``meets`` is None on the maintenance
    basis, where it is not checked (4210(b) is an initial requirement)."""

    equity: float
    minimum: float
    purchases: float
    short: bool
    required: float
    meets: bool | None

    @property
    def status(self) -> str:
        if self.meets is None:
            return "not checked (maintenance)"
        return "meets the minimum" if self.meets else "below the minimum"

    @property
    def warning(self) -> str | None:
        """The warning of a check that fails, None otherwise."""
        if self.meets is not False:
            return None
        return (
            f"equity {self.equity:,.2f} is below the FINRA 4210(b)(2) minimum of {self.required:,.2f} to "
            "trade on margin: no new margin purchase or short sale until it is met"
        )

    @property
    def rule(self) -> str:
        """The rule text, with the figures."""
        if self.short:
            which = f"{money(self.minimum)} (a short position: no purchase cost caps it)"
        else:
            which = f"lesser of {money(self.minimum)} and the long purchases' cost {money(self.purchases)}"
        what = "FINRA 4210(b)(2) minimum equity to trade on margin, initial basis"
        return f"{what}: {which}; equity {money(self.equity)}"

    def row(self) -> list[Any]:
        return ["minimum equity", "account", self.status, self.rule, 0.0, 0.0, 0.0, cents(self.required)]


def minimum_equity(
    portfolio: Portfolio, basis: str, equity: float, rules: RuleSet
) -> tuple[MinimumEquity, str | None]:
    """The check for ``equity`` and a warning when it fails (margin-rules.md §1.1: "$2,000 (or 100%
    of cost if less)"). On the initial basis: whether the equity meets the lesser of
    ``account.minimum_equity`` and the cost of the long purchases (every long stock, ETF, bond and
    option of ``portfolio``, in dollars, at its market value), or the minimum itself when any
    position is short (a short sale or a written option: no purchase caps it)."""
    if not math.isfinite(equity):
        raise InputError(Problem(f"equity must be a finite number, got {equity}", column="equity"))
    minimum = float(rules.get("account.minimum_equity"))
    a = portfolio.arrays
    traded = a["type"] != "cash"
    q = a["quantity"]
    with np.errstate(invalid="ignore"):  # a cash row's blank price: not traded
        value = np.where(a["type"] == "bond", q * a["price"] / PER_FACE, q * a["price"] * a["multiplier"])
    purchases = float(np.sum(value[traded & (q > 0)]))
    short = bool(np.any(traded & (q < 0)))
    required = minimum if short else min(minimum, purchases)
    meets = None if basis == "maintenance" else equity >= required
    check = MinimumEquity(float(equity), minimum, purchases, short, required, meets)
    return check, check.warning
