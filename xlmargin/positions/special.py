"""The special-maintenance column: a house's special maintenance of a security, one figure per underlying.

Brokers set a higher ("special", house) maintenance on volatile or concentrated stocks and lend
nothing on some (not marginable); Reg T applies it (margin-rules.md §0.5, §1.1, §1.3).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.cells import is_blank, to_number
from xlmargin.errors import a_or_an
from xlmargin.positions.columns import norm_header
from xlmargin.positions.model import OPTION_TYPES
from xlmargin.positions.reader import ColumnReader, factorize, indices

# Words a broker's sheet may put in the special-maintenance column for a security it does not lend on.
_NOT_MARGINABLE = frozenset({"nonmarginable", "notmarginable", "nonmargin", "nm"})
SPECIAL_TYPES = ("stock", "etf", *OPTION_TYPES)  # Reg T's equity rules: stocks, ETFs, their options


def special_maintenance(r: ColumnReader, types: np.ndarray, allowed: BoolArray) -> FloatArray:
    """A house's special maintenance as a fraction of value, per row (NaN where not given).

    A cell holds a percentage (``30``, ``'30%'``) or a fraction (``0.3``; a number up to 1 is a
    fraction: no house figure is under 1%), or a word saying the security is not marginable
    ("non-marginable": 100%); above 0 and at most 100%. It may be given on any row of an underlying
    (the stock's, an option's): a book's rows of one underlying giving two figures are refused with
    its other marks (:func:`xlmargin.positions.marks.mark_problems`, per account in a batch), and Reg
    T spreads the figure to every row of the underlying. A figure on a row whose type (``types``) is
    not ``allowed`` (a bond's, a future's) is reported. Each distinct cell is read once."""
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
    return special


def percent(fraction: float) -> str:
    """A special maintenance as the message shows it: ``0.3`` as ``30%``."""
    return f"{fraction * 100:g}%"
