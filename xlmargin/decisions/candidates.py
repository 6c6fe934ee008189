"""The hedge's candidates table: rows like positions, with three optional columns.

- ``min_qty`` and ``max_qty``: the signed trade allowed. A blank bound is the row's ``quantity``'s
  side of 0: a blank ``min_qty`` is ``min(quantity, 0)`` and a blank ``max_qty`` is
  ``max(quantity, 0)``, so with both blank the trade runs from 0 to the quantity (20: buy up to 20;
  −20: sell up to 20), and ``min_qty`` 2 beside a blank ``max_qty`` on a quantity of 5 buys 2 to 5.
  Both 0 read as both blank (Office.js hands a blank cell over as 0, and a trade that must be 0 is
  no candidate); one 0 beside a number given is 0 (``min_qty`` −5, ``max_qty`` 0: sell up to 5).
- ``cost``: per unit of quantity; blank or 0 = the row's notional in US dollars
  (:func:`~xlmargin.decisions._common.notional`).

Each cell is read by the positions reader's number rule (:func:`xlmargin.cells.to_number`):
``$1,000`` and ``5%`` read as the positions table reads them, an Excel error value is named as one
(``the cell holds the error value #N/A``), a boolean or other text is refused naming the row and
column. Shares, options, futures, FX and CFDs trade in whole units, bonds continuously.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.cells import is_blank, to_number
from xlmargin.decisions._common import in_table, notional
from xlmargin.errors import InputError, Problem, XlMarginError, is_error_text
from xlmargin.params import norm
from xlmargin.positions import Portfolio, read_positions

WHOLE = ("stock", "etf", "option", "future_option", "future", "fx", "cfd")  # traded in whole units
_EXTRA = {"minqty": "min_qty", "maxqty": "max_qty", "cost": "cost"}


@dataclass(frozen=True)
class Candidates:
    """The candidate rows, with each one's signed quantity range and cost per unit."""

    portfolio: Portfolio
    low: FloatArray
    high: FloatArray
    cost: FloatArray
    whole: BoolArray


def read_candidates(data: Sequence[Sequence[Any]], as_of: Any) -> Candidates:
    """Candidates from a table with its header row first (module docstring)."""
    rows = (
        [list(r) if isinstance(r, list | tuple) else [r] for r in data]
        if isinstance(data, list | tuple)
        else []
    )
    if not any(c is not None and str(c).strip() not in ("", "0") for r in rows[1:] for c in r):
        raise InputError(Problem("the candidate list is empty", None, "candidates"))
    header = [norm(str(h)) if h is not None else "" for h in rows[0]]
    extra = {_EXTRA[h]: i for i, h in enumerate(header) if h in _EXTRA}
    # the reader is not given the headers read here, so that its warnings list only the ignored columns
    positions = [[None if i in extra.values() else h for i, h in enumerate(rows[0])], *rows[1:]]
    try:
        portfolio = read_positions(positions, as_of=as_of, holdings=False)  # alternatives, not a book
    except XlMarginError as error:
        raise in_table("candidates", error) from None
    if len(portfolio) == 0:
        raise InputError(Problem("the candidate list is empty", None, "candidates"))
    problems: list[Problem] = []

    def column(name: str) -> FloatArray:
        """The column's numbers, NaN where the cell is blank (or the table has no such column)."""
        out = np.full(len(portfolio), np.nan)
        if name not in extra:
            return out
        for k, row in enumerate(portfolio.arrays["row"]):
            cells = rows[int(row) - 1]
            value = cells[extra[name]] if extra[name] < len(cells) else None
            if is_blank(value, zero_is_blank=False):
                continue
            if is_error_text(value):  # another xlmargin cell's error
                problem: str | None = f"the cell holds an error, not a number: {str(value).strip()}"
            else:
                out[k], problem = to_number(value)
            if problem:
                problems.append(Problem(problem, int(row), f"candidates {name}"))
                out[k] = np.nan
        return out

    low, high, cost = column("min_qty"), column("max_qty"), column("cost")
    if problems:
        raise InputError(problems)
    quantity = portfolio.arrays["quantity"]
    both_zero = (low == 0.0) & (high == 0.0)  # Office.js's two blanks
    low_blank, high_blank = np.isnan(low) | both_zero, np.isnan(high) | both_zero
    cost[cost == 0.0] = np.nan  # Office.js's blank, as a cost of nothing is not meant
    low = np.where(low_blank, np.minimum(quantity, 0.0), low)
    high = np.where(high_blank, np.maximum(quantity, 0.0), high)
    try:  # a candidate's default cost is its dollar notional: its currency is the candidates' to fix
        default_cost = notional(portfolio)
    except XlMarginError as error:
        raise in_table("candidates", error) from None
    cost = np.where(np.isnan(cost), default_cost, cost)
    for k, row in enumerate(portfolio.arrays["row"]):
        if low[k] > high[k]:
            crossed = _crossed(low[k], high[k], bool(low_blank[k]), bool(high_blank[k]))
            problems.append(Problem(crossed, int(row), "candidates"))
        if cost[k] < 0:
            problems.append(
                Problem(f"a cost cannot be negative, got {cost[k]:g}", int(row), "candidates cost")
            )
    if problems:
        raise InputError(problems)
    whole = np.isin(portfolio.arrays["type"], WHOLE)
    low = np.where(whole, np.ceil(low - 1e-9), low)
    high = np.where(whole, np.floor(high + 1e-9), high)
    return Candidates(portfolio, low, high, cost, whole)


def _crossed(low: float, high: float, low_blank: bool, high_blank: bool) -> str:
    """Why a candidate's range is empty, saying what a blank bound stood for."""
    if high_blank:
        return (
            f"min_qty {low:g} is above the blank max_qty, which is the row's quantity or 0 when the "
            f"quantity is below 0 ({high:g} here): give max_qty"
        )
    if low_blank:
        return (
            f"max_qty {high:g} is below the blank min_qty, which is the row's quantity or 0 when the "
            f"quantity is above 0 ({low:g} here): give min_qty"
        )
    zero = " (Office.js hands a blank cell over as 0: type the bound meant)" if 0.0 in (low, high) else ""
    return f"min_qty {low:g} is above max_qty {high:g}{zero}"


__all__ = ["WHOLE", "Candidates", "read_candidates"]
