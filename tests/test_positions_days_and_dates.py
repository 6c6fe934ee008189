"""A positions table giving an option both an expiry date and days to expiry: the date wins, as in
a broker's export; where the two disagree by more than a day a warning names the rows and the two
columns as the header spells them. Days alone are read as before (days from the valuation date)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xlmargin.errors import InputError
from xlmargin.positions import read_positions

AS_OF = dt.date(2026, 1, 1)
HEADER = ["Symbol", "Type", "Qty", "Price", "Underlying Price", "Strike", "Right", "Expiry", "DTE"]
MARCH = "2026-03-20"  # 78 days from AS_OF


def _row(strike: float, expiry: Any, days: Any) -> list[Any]:
    return ["XYZ", "option", -1, 2.0, 100.0, strike, "C", expiry, days]


def test_days_that_disagree_with_the_date_are_ignored_with_a_warning_naming_the_rows() -> None:
    table = [
        HEADER,
        _row(100, MARCH, 78),  # agrees
        _row(105, MARCH, 77),  # a day off: agrees (a DTE counted the day before)
        _row(110, MARCH, 30),  # disagrees
        _row(115, MARCH, None),  # a date alone
        _row(120, None, 40),  # days alone: read as before
        _row(125, MARCH, 80),  # disagrees
    ]
    portfolio = read_positions(table, as_of=AS_OF)
    assert portfolio.warnings == (
        "rows 4, 7, DTE: disagrees with Expiry by more than a day; the date is used (row 4: DTE 30, "
        "Expiry 2026-03-20 is 78 days from the valuation date 2026-01-01)",
    )
    years = portfolio.arrays["expiry_years"].tolist()
    assert years == [78 / 365] * 4 + [40 / 365, 78 / 365]
    assert [e.isoformat() for e in portfolio.arrays["expiry"].tolist()] == [MARCH] * 4 + ["2026-02-10", MARCH]


def test_many_disagreeing_rows_are_named_then_counted() -> None:
    rows = [_row(100 + k, MARCH, 10 + k) for k in range(12)]
    (warning,) = read_positions([HEADER, *rows], as_of=AS_OF).warnings
    assert warning.startswith("rows 2, 3, 4, 5, 6, 7, 8, 9 and 4 more, DTE: disagrees with Expiry")


def test_days_alone_or_agreeing_with_the_date_warn_of_nothing() -> None:
    dates = read_positions([HEADER[:-1], _row(100, MARCH, 0)[:-1]], as_of=AS_OF)
    days = read_positions([HEADER, _row(100, None, 78)], as_of=AS_OF)
    both = read_positions([HEADER, _row(100, MARCH, 78)], as_of=AS_OF)
    assert dates.warnings == days.warnings == both.warnings == ()
    assert days.arrays["expiry_years"].tolist() == both.arrays["expiry_years"].tolist() == [78 / 365]


def test_a_negative_day_count_beside_a_date_is_not_an_error() -> None:
    """The days are ignored where a date is given, so only the warning speaks of them (days alone
    below zero are refused, as before)."""
    (warning,) = read_positions([HEADER, _row(100, MARCH, -3)], as_of=AS_OF).warnings
    assert warning.startswith("row 2, DTE: disagrees with Expiry")
    with pytest.raises(InputError, match="row 2, days: days to expiry cannot be negative, got -3"):
        read_positions([HEADER, _row(100, None, -3)], as_of=AS_OF)
