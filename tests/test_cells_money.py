"""The one cell rule and the one money rule (issue 10 item 10, issue 14 item 3)."""

import datetime as dt
import math

import pytest

from xlmargin.cells import excel_error, is_blank, to_date, to_number
from xlmargin.money import cents, cents_down, rounded


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.125, 0.13), (-0.125, -0.13), (1150.0049999999998, 1150.01), (2.675, 2.68), (-0.001, 0.0),
     (48400.00000000001, 48400.0), (1999999.999999, 2000000.0), (0.0, 0.0)],
)  # fmt: skip
def test_cents_rounds_half_away_from_zero_after_removing_binary_noise(value, expected):
    assert cents(value) == expected
    assert math.copysign(1.0, cents(value)) == math.copysign(1.0, expected) or expected == 0.0


def test_no_negative_zero():
    assert math.copysign(1.0, cents(-0.001)) == 1.0
    assert math.copysign(1.0, rounded(-0.00001, 4)) == 1.0


@pytest.mark.parametrize("value", [None, "", "   ", 0, 0.0])
def test_blanks(value):
    assert is_blank(value)


def test_zero_is_a_value_where_the_column_says_so_and_booleans_are_never_blank():
    assert not is_blank(0, zero_is_blank=False)
    assert not is_blank(False)


def test_excel_errors_numbers_and_dates():
    assert excel_error(" #n/a ") == "#N/A"
    assert excel_error("#NA") is None
    assert to_number("$1,234.50") == (1234.5, None)
    assert to_number("12.5%") == (0.125, None)
    assert to_number("#DIV/0!")[1] == "the cell holds the error value #DIV/0!"
    assert to_number(True)[1] == "True is not a number"
    assert to_number(1e16)[1].startswith("1e+16 is not a finite number")
    assert to_date(46346) == dt.date(2026, 11, 20)
    assert to_date("2026-11-20") == dt.date(2026, 11, 20)
    assert to_date("soon") is None
    assert to_date(20261218) == dt.date(2026, 12, 18)
    assert to_date(20261318) is None
    # a DataFrame's datetime column as pandas writes it to CSV, and its ISO form
    assert to_date("2027-08-20 00:00:00") == to_date("2027-08-20T00:00:00") == dt.date(2027, 8, 20)


def test_a_maximum_rounds_down_to_the_cent():
    assert cents_down(2_000_000.008) == 2_000_000.0
    assert cents_down(2_000_000.0099999) == 2_000_000.0
    assert cents_down(1.9999999999999998) == 2.0  # binary noise is not a cent
    assert cents_down(-0.001) == -0.01
