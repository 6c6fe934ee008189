"""The hedge's candidates table: rows like positions, with three optional columns.

- ``min_qty`` and ``max_qty``: the signed trade allowed. A blank bound is the row's ``quantity``'s
  side of 0: a blank ``min_qty`` is ``min(quantity, 0)`` and a blank ``max_qty`` is
  ``max(quantity, 0)``, so with both blank the trade runs from 0 to the quantity (20: buy up to 20;
  −20: sell up to 20), and ``min_qty`` 2 beside a blank ``max_qty`` on a quantity of 5 buys 2 to 5.
  Both 0 read as both blank (Office.js hands a blank cell over as 0, and a trade that must be 0 is
  no candidate); one 0 beside a number given is 0 (``min_qty`` −5, ``max_qty`` 0: sell up to 5).
- ``cost``: per unit of quantity; blank = the row's notional in US dollars
  (:func:`~xlmargin.decisions._common.notional`), its rate read as portfolio margin reads it, or
  for the account objective as the account view reads the positions table (``fx_rates``, the
  ``fx.<CCY>`` parameters); a row whose cost is given needs no rate here. A cost of 0 is a cost
  of nothing where the table can tell a typed 0 from a blank: it holds an empty cell (``None``, or
  a text of spaces) somewhere, which Office.js never sends (it hands a blank cell over as 0). In a
  table without one a 0 is read as blank, with a warning naming the rows (:data:`ZERO_COST`).

Each cell is read by the positions reader's rule for an amount (:func:`xlmargin.cells.to_number`):
``$1,000`` reads as the positions table reads it, ``5%`` is refused as in its amount columns (the
three are amounts: only rate columns take a '%'), an Excel error value is named as one (``the cell
holds the error value #N/A``), a boolean or other text is refused naming the row and column; every
bad row is reported at once. Shares, options, futures, FX and CFDs trade in whole
units, bonds in whole pieces of their ``denomination`` (:mod:`._pieces`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.account import AccountSettings, rates_in_usd
from xlmargin.cells import is_blank, to_number
from xlmargin.decisions._common import WHOLE, in_table, notional
from xlmargin.errors import InputError, Problem, XlMarginError, is_error_text
from xlmargin.params import norm
from xlmargin.positions import Portfolio, read_positions
from xlmargin.positions.columns import RATE_COLUMNS
from xlmargin.positions.infer import RowsWarning, rows_text

_EXTRA = {"minqty": "min_qty", "maxqty": "max_qty", "cost": "cost"}
ZERO_COST = "a cost of 0 is read as blank"
"""How the warning naming the candidate rows whose cost of 0 was read as blank begins."""


@dataclass(frozen=True)
class Candidates:
    """The candidate rows, with each one's signed quantity range and cost per unit."""

    portfolio: Portfolio
    low: FloatArray
    high: FloatArray
    cost: FloatArray
    whole: BoolArray


def read_candidates(
    data: Sequence[Sequence[Any]], as_of: Any, account: AccountSettings | None = None
) -> Candidates:
    """Candidates from a table with its header row first (module docstring); every bad row is
    reported at once, as the positions reader reports them. A blank ``cost`` is the row's dollar
    notional, its ``fx_rate`` read as portfolio margin reads it (USD per unit), or with ``account``
    (the account objective) as the account view reads the positions table (``fx_rates``,
    ``fx.<CCY>``: :func:`~xlmargin.account.rates_in_usd`); a ``cost`` given needs no rate."""
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
        # the reader's problems and those of the columns read here (a range crossed with both bounds
        # given, a negative cost: the quantity a blank bound stands for is the reader's) at once
        filled = [k + 1 for k, r in enumerate(rows[1:], start=1) if any(not is_blank(c) for c in r)]
        own = _ranges(rows, extra, filled, np.full(len(filled), np.nan))[3]
        _raise(InputError if own else type(error), [*in_table("candidates", error).problems, *own])
    if len(portfolio) == 0:
        raise InputError(Problem("the candidate list is empty", None, "candidates"))
    numbers = [int(r) for r in portfolio.arrays["row"]]
    low, high, cost, problems = _ranges(rows, extra, numbers, portfolio.arrays["quantity"])
    zero = cost == 0.0
    if zero.any() and not any(is_blank(c, zero_is_blank=False) for r in rows[1:] for c in r):
        cost[zero] = np.nan  # Office.js's blank, maybe: said (module docstring)
        portfolio = _warned(portfolio, [n for n, z in zip(numbers, zero, strict=True) if z])
    bad = {p.row for p in problems}
    kind: type[XlMarginError] = InputError
    blank = np.isnan(cost) & np.array([row not in bad for row in numbers], dtype=bool)
    if blank.any():  # the default cost is the dollar notional: its currency is the candidates' to fix
        try:
            cost[blank] = _notional(portfolio.select(blank), account)
        except XlMarginError as error:
            kind = type(error) if not problems else InputError
            problems += in_table("candidates", error).problems
    if problems:
        _raise(kind, problems)
    whole = np.isin(portfolio.arrays["type"], WHOLE)
    low = np.where(whole, np.ceil(low - 1e-9), low)
    high = np.where(whole, np.floor(high + 1e-9), high)
    return Candidates(portfolio, low, high, cost, whole)


def _warned(portfolio: Portfolio, rows: list[int]) -> Portfolio:
    """The candidates with the warning that the cost of 0 of ``rows`` was read as blank."""
    warning = RowsWarning(
        f"{rows_text(rows)}: {ZERO_COST} (Office.js hands a blank cell over as 0, and this table holds "
        f"no empty cell to tell a typed 0 from one): {'each' if len(rows) > 1 else 'the'} row costs its "
        "dollar notional; give 0.01 for about nothing",
        rows,
    )
    codes = {name: portfolio.codes(name) for name in portfolio.coded()}
    return Portfolio(portfolio.arrays, portfolio.as_of, (*portfolio.warnings, warning), codes)


def _notional(portfolio: Portfolio, account: AccountSettings | None) -> FloatArray:
    """The rows' dollar notional (:func:`~xlmargin.decisions._common.notional`), their rates read
    as the account view reads them when ``account`` is given."""
    return notional(portfolio if account is None else rates_in_usd(portfolio, account))


def _ranges(
    rows: list[list[Any]], extra: dict[str, int], numbers: list[int], quantity: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, list[Problem]]:
    """``min_qty``, ``max_qty`` (a blank bound the row's ``quantity``'s side of 0) and ``cost``
    (NaN where blank) of the rows numbered ``numbers`` (the header is row 1), and a problem per bad
    cell, crossed range or negative cost."""
    low, high, cost, problems = _columns(rows, extra, numbers)
    bad = {p.row for p in problems}
    both_zero = (low == 0.0) & (high == 0.0)  # Office.js's two blanks
    low_blank, high_blank = np.isnan(low) | both_zero, np.isnan(high) | both_zero
    low = np.where(low_blank, np.minimum(quantity, 0.0), low)
    high = np.where(high_blank, np.maximum(quantity, 0.0), high)
    for k, row in enumerate(numbers):
        if row in bad:  # its bad cell is named; a range or cost made of it would say nothing more
            continue
        if low[k] > high[k]:
            crossed = _crossed(low[k], high[k], bool(low_blank[k]), bool(high_blank[k]))
            problems.append(Problem(crossed, row, "candidates"))
        if cost[k] < 0:
            problems.append(Problem(f"a cost cannot be negative, got {cost[k]:g}", row, "candidates cost"))
    return low, high, cost, problems


def _columns(
    rows: list[list[Any]], extra: dict[str, int], numbers: list[int]
) -> tuple[FloatArray, FloatArray, FloatArray, list[Problem]]:
    """The three columns' numbers, NaN where the cell is blank (or the table has no such column),
    and a problem per bad cell."""
    problems: list[Problem] = []

    def column(name: str) -> FloatArray:
        out = np.full(len(numbers), np.nan)
        if name not in extra:
            return out
        for k, row in enumerate(numbers):
            cells = rows[row - 1]
            value = cells[extra[name]] if extra[name] < len(cells) else None
            if is_blank(value, zero_is_blank=False):
                continue
            if is_error_text(value):  # another xlmargin cell's error
                problem: str | None = f"the cell holds an error, not a number: {str(value).strip()}"
            else:
                out[k], problem = to_number(value, name, RATE_COLUMNS)
            if problem:
                problems.append(Problem(problem, row, f"candidates {name}"))
                out[k] = np.nan
        return out

    return column("min_qty"), column("max_qty"), column("cost"), problems


def _raise(kind: type[XlMarginError], problems: list[Problem]) -> NoReturn:
    """One error listing every problem, by row (a problem of no row first)."""
    raise kind(sorted(problems, key=lambda p: p.row or 0))


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
