"""Each account's equity in a batch: read from a column of the positions table (``--equity-column``,
``batch(..., equity="NAME")``), and the columns it adds to the results.

The column holds the account's equity (its net liquidation value) in the currency its regime
reports the requirement in: US dollars under ``pm``, ``regt`` and ``risk``, the account currency
under ``account``. The rows of an account that give an equity must all give the same amount: it
may be repeated on every row or given on one row (any one), the others blank. A row giving only the
account's name and its equity holds no position and is ignored as such. Two different amounts or a
cell that is not a number (or a percentage, '15%': an equity is an amount, as a price is in the
positions table) make that account an error row naming the row and the column; the other
accounts go on. A negative amount is an account in deficit (its losses exceed its assets): its
figures are given, its excess below minus its requirement, as MARGIN_CUSHION gives them. An
account whose every cell is blank has no equity: its equity columns are blank, as without the
column.

The results' columns (:data:`COLUMNS`): ``equity``; ``excess`` and ``cushion``, the two figures of
:func:`xlmargin.capacity.margin_cushion` (MARGIN_CUSHION) on the account's ``requirement``:
``excess = equity − requirement`` (to the cent; at or below 0 the account is at or past a margin
call, as MARGIN_CALL_MOVE's "now" says), ``cushion = excess / equity`` floored at −1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray, IntArray
from xlmargin.cells import is_blank, is_missing, to_number
from xlmargin.errors import InputError, Problem
from xlmargin.money import cents_of
from xlmargin.positions.columns import HEADER_MAP, norm_header

COLUMNS = ("equity", "excess", "cushion")
_RATES = "rate columns and parameters take one"  # an equity is an amount: '15%' is refused


def equity_column(header: Sequence[Any], name: str, account_column: int, header_row: int) -> int:
    """The index of the column ``name`` (matched as the account column is: case and surrounding
    spaces ignored); a column the table lacks, the account column itself or a column the positions
    reader reads is refused (it concerns every account: the batch stops)."""
    keys = [str(h).strip().lower() for h in header]
    if name.strip().lower() not in keys:
        raise InputError(
            Problem(f"the table has no '{name}' column to read the accounts' equity from", header_row, name)
        )
    col = keys.index(name.strip().lower())
    if col == account_column:
        raise InputError(Problem(f"'{name}' is the account column, not an equity", header_row, name))
    read_as = HEADER_MAP.get(norm_header(header[col])) if isinstance(header[col], str) else None
    if read_as is not None:
        raise InputError(
            Problem(
                f"'{name}' is a positions column (the reader reads it as {read_as}); name the column that "
                "holds each account's equity",
                header_row,
                name,
            )
        )
    return col


def read_equity(
    rows: Sequence[Sequence[Any]],
    col: int,
    row_account: IntArray,
    n_accounts: int,
    first: int,
    name: str,
) -> tuple[FloatArray, dict[int, Problem]]:
    """Each account's equity from column ``col`` (NaN when none of its rows gives one), and the
    problem of each account whose cells do not give one amount (see the module docstring): its
    first row, in the table's order, that is not a number or differs from the
    account's first amount. ``first`` is the row number of ``rows[0]``, ``name`` the column as
    the table heads it. Each distinct cell is read once (an amount repeated on every row of
    10,000 accounts is 10,000 readings, not 500,000)."""
    read: dict[tuple[type, Any], tuple[float, str | None]] = {}
    at: list[int] = []  # the rows (indices into ``rows``) that give an amount
    amounts: list[float] = []  # NaN where the cell is not a number
    whys: list[str | None] = []
    try:
        cells = [row[col] for row in rows]
    except IndexError:  # a short row (a blank line): blank there
        cells = [row[col] if col < len(row) else None for row in rows]
    for i, value in enumerate(cells):
        if value is None:
            continue
        kind = type(value)
        if kind is float:
            if value != value:  # NaN: a DataFrame's empty cell
                continue
        elif isinstance(value, str):
            if not value.strip():
                continue
        elif _blank(value):
            continue
        if (found := read.get((kind, value))) is None:  # (True and 1.0: equal keys, not equal cells)
            found = read[kind, value] = to_number(value, name, _RATES)
        at.append(i)
        amounts.append(found[0])
        whys.append(found[1])
    equity = np.full(n_accounts, np.nan)
    if not at:
        return equity, {}
    index = np.asarray(at, dtype=np.int64)
    amount = np.asarray(amounts, dtype=np.float64)
    owner = row_account[index]
    if (owner < 0).any():  # a fully blank row's cell: it belongs to no account (a blank one is not read)
        kept = np.flatnonzero(owner >= 0)
        index, amount, owner = index[kept], amount[kept], owner[kept]
        whys = [whys[k] for k in kept.tolist()]
        if not len(index):
            return equity, {}
    order = np.argsort(owner, kind="stable")  # by account, then in the table's order
    held, starts = np.unique(owner[order], return_index=True)
    group = np.repeat(np.arange(len(held)), np.diff(np.r_[starts, len(order)]))
    reference = amount[order][starts]  # each account's first amount
    with np.errstate(invalid="ignore"):
        wrong = np.isnan(amount[order]) | (amount[order] != reference[group])  # (NaN: not a number)
    equity[held] = reference
    problems: dict[int, Problem] = {}
    for k in np.flatnonzero(wrong).tolist():
        code = int(held[group[k]])
        if code in problems:  # its first wrong row named
            continue
        j = int(order[k])
        row = first + int(index[j])
        if (why := whys[j]) is not None:
            problems[code] = Problem(why, row, name)
        else:
            since = first + int(index[order[starts[group[k]]]])
            problems[code] = Problem(
                f"rows {since} and {row} give the account's equity as {reference[group[k]]:,.2f} and "
                f"{amount[j]:,.2f}: give it on one row, or the same on every row",
                row,
                name,
            )
    return equity, problems


def equity_columns(equity: FloatArray, requirement: Sequence[float | None]) -> dict[str, list[float]]:
    """The results' :data:`COLUMNS`, one value per account: ``equity`` (NaN: none), ``requirement``
    the account's (None: an error row, its columns blank)."""
    from xlmargin.capacity import margin_cushion  # (it imports every engine: only when an equity is given)

    amounts = equity.tolist()
    given = [
        (i, e, r)
        for i, (e, r) in enumerate(zip(amounts, requirement, strict=True))
        if r is not None and e == e
    ]  # (e == e: not NaN)
    cushions = [margin_cushion(e, r) for _, e, r in given]
    out = {c: [math.nan] * len(amounts) for c in COLUMNS}
    excesses = cents_of([excess for excess, _ in cushions])  # to the cent, as cents() rounds each
    for (i, e, _), excess, (_, share) in zip(given, excesses, cushions, strict=True):
        out["equity"][i], out["excess"][i], out["cushion"][i] = e, excess, share
    return out


def _blank(value: Any) -> bool:
    """None, NaN (a DataFrame's empty cell) or an all-space text; a 0 is an equity of 0."""
    return is_missing(value) or is_blank(value, zero_is_blank=False)


__all__ = ["COLUMNS", "equity_column", "equity_columns", "read_equity"]
