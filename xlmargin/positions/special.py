"""The special-maintenance column: a house's special maintenance of a security, one figure per underlying.

Brokers set a higher ("special", house) maintenance on volatile or concentrated stocks and lend
nothing on some (not marginable); Reg T applies it (margin-rules.md §0.5, §1.1, §1.3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.cells import is_blank, to_number
from xlmargin.errors import a_or_an
from xlmargin.positions.columns import norm_header
from xlmargin.positions.model import OPTION_TYPES
from xlmargin.positions.reader import ColumnReader, factorize, indices

# Words a broker's sheet may put in the special-maintenance column for a security it does not lend on.
_NOT_MARGINABLE = frozenset({"nonmarginable", "notmarginable", "nonmargin", "nm"})
SPECIAL_TYPES = ("stock", "etf", *OPTION_TYPES)  # Reg T's equity rules: stocks, ETFs, their options


def special_maintenance(
    r: ColumnReader, types: np.ndarray, allowed: BoolArray, underlying: tuple[IntArray, Sequence[str | None]]
) -> FloatArray:
    """A house's special maintenance as a fraction of value, spread to every row of the underlying.

    A cell holds a percentage (``30``, ``'30%'``) or a fraction (``0.3``; a number up to 1 is a
    fraction, as coupons and yields are read), or a word saying the security is not marginable
    ("non-marginable": 100%); above 0 and at most 100%. It may be given on any row of an underlying
    (the stock's, an option's); rows of one underlying that give different figures are reported on
    each row that differs from the first one given; a figure on a row whose type (``types``) is not
    ``allowed`` (a bond's, a future's) is reported too. Each distinct cell is read once."""
    name = "special_maintenance"
    cell_codes, cells = factorize(r.cells(name))
    found = np.full(len(cells), np.nan)
    problem: dict[int, str] = {}
    for k, value in enumerate(cells):
        if is_blank(value):  # a 0 too: Office.js sends blank cells as 0
            continue
        if isinstance(value, str) and norm_header(value) in _NOT_MARGINABLE:
            found[k] = 1.0
            continue
        if isinstance(value, dt.date | np.datetime64):
            problem[k] = f"{value} is a date, not a percentage"
            continue
        number, message = to_number(value)
        if message is not None:
            problem[k] = f"{message}; give a percentage (30, 30%, 0.3) or non-marginable"
        elif not 0.0 < number <= 100.0:
            problem[k] = f"special maintenance must be above 0% and at most 100%, got {value}"
        else:
            found[k] = number / 100.0 if number > 1.0 else number
    for i in indices(np.isin(cell_codes, list(problem))):
        r.bad(i, name, problem[int(cell_codes[i])])
    special = found[cell_codes]
    given = ~np.isnan(special)
    for i in indices(given & ~allowed):
        what = a_or_an(str(types[i]))
        r.bad(i, name, f"special maintenance applies to stocks, ETFs and their options, not to {what}")
    if not given.any():
        return special
    und_codes, und_names = underlying
    at = np.flatnonzero(given)
    # the first row giving a figure for each underlying holds its figure
    first_of, first = np.unique(und_codes[at], return_index=True)
    per_underlying = np.full(len(und_names), np.nan)
    per_underlying[first_of] = special[at[first]]
    first_row = np.zeros(len(und_names), dtype=np.int64)
    first_row[first_of] = r.rows[at[first]]
    spread = per_underlying[und_codes]
    for i in indices(given & (special != spread)):
        u = int(und_codes[i])
        r.bad(
            i,
            name,
            f"{_pct(special[i])} disagrees with {_pct(spread[i])} on row {first_row[u]} for the underlying "
            f"{und_names[u]}: give one special maintenance per underlying (or leave the other rows blank)",
        )
    return spread


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}%"
