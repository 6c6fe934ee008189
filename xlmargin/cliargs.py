"""Argument types the command-line modules share (the margin, batch, decision and workbook commands)."""

from __future__ import annotations

import argparse
import datetime as dt
import math


def iso_date(text: str) -> dt.date:
    """A ``--as-of`` value: an ISO date, or argparse's one-line usage error."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def count_above_zero(text: str) -> int:
    """A limit such as ``--max-cells``: a whole number above 0 (0 or less would refuse every
    workbook, or none)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number above 0")
    return number


def seconds_above_zero(text: str) -> float:
    """A ``--timeout``: a finite number of seconds above 0."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0 < number < math.inf:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return number


def with_as_of(params: list[str], as_of: dt.date | None, today: dt.date) -> tuple[dt.date, list[str]]:
    """The valuation date and the ``--param`` list holding it: ``--as-of`` added to the list; else
    an ``as_of`` given with ``--param`` (read as a params range reads it); else today, added. Both
    at once are refused."""
    from xlmargin.cells import NOT_A_DATE, to_date
    from xlmargin.errors import InputError, Problem
    from xlmargin.params import norm

    given = [value.strip() for name, _, value in (p.partition("=") for p in params) if norm(name) == "asof"]
    if len(given) + (as_of is not None) > 1:
        raise InputError(Problem("the valuation date is given more than once: give one --as-of or as_of"))
    if given:
        date = to_date(given[0])
        if date is None:
            raise InputError(Problem(f"'{given[0]}' {NOT_A_DATE}", None, "as_of"))
        return date, list(params)
    date = as_of or today
    return date, [*params, f"as_of={date.isoformat()}"]
