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
