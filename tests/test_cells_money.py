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


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234", 1234.0), ("1,234.5", 1234.5), ("-1,234,567.25", -1234567.25), ("$1,000", 1000.0),
     ("-$1,000.", -1000.0), ("1,250%", 12.5), (" 12,345 ", 12345.0)],
)  # fmt: skip
def test_a_comma_reads_as_a_thousands_separator(text, expected):
    assert to_number(text) == (expected, None)


@pytest.mark.parametrize("text", ["228,50", "1,5", "1.000,5", "12,34,5", "1,2,3", ",5", "1,0000", "1,000e3"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused_not_dropped(text):
    """'228,50' once read as 22850 and '1.000,5' as 1.0005: the commas were stripped."""
    number, why = to_number(text)
    assert math.isnan(number)
    assert why == (
        f"'{text}' is not a number: a comma is read only as a thousands separator (1,234.5); "
        "use a point for decimals"
    )


def test_a_numpy_boolean_is_no_number_either():
    import numpy as np

    assert to_number(np.True_)[1] == "True is not a number"
    assert to_number(np.False_)[1] == "False is not a number"


def test_a_maximum_rounds_down_to_the_cent():
    assert cents_down(2_000_000.008) == 2_000_000.0
    assert cents_down(2_000_000.0099999) == 2_000_000.0
    assert cents_down(1.9999999999999998) == 2.0  # binary noise is not a cent
    assert cents_down(-0.001) == -0.01


def test_a_serial_or_yyyymmdd_typed_as_text_and_a_numpy_date_read_as_dates():
    """'46346' reads as the serial 46346 does (the not-a-date message offers serial numbers), and a
    numpy datetime64 (a DataFrame's dates; an ``as_of`` from numpy) as its day."""
    import numpy as np

    assert to_date("46346") == to_date(" 46346 ") == dt.date(2026, 11, 20)
    assert to_date("20261218") == dt.date(2026, 12, 18)
    assert (
        to_date(np.datetime64("2026-11-20"))
        == to_date(np.datetime64("2026-11-20T15:30"))
        == dt.date(2026, 11, 20)
    )
    assert to_date(np.datetime64("NaT")) is None
    assert to_date("0") is None and to_date("²³") is None  # not a serial; not ASCII digits
    assert to_date("2026") is None and to_date("12") is None  # a year or a day alone is no date
