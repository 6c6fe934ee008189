"""``pricing.rows_implied_volatility``: the one reading of a book's option columns into the implied
volatility kernel, which the stress book, MARGIN_CALL_MOVE and the decisions' sticky strike share.
It must give exactly what the kernel gives on the columns spelt out (a twin, not a published value),
and name the table's rows of a price no volatility reproduces."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from xlmargin.errors import InputError
from xlmargin.positions import read_positions
from xlmargin.pricing import implied_volatility, rows_implied_volatility

HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days",
          "right", "multiplier", "style", "dividend_yield"]  # fmt: skip
ROWS = [
    ["SPY", "stock", 100, 600.0, "", "", "", "", "", 1, "", ""],
    ["SPY C", "option", 1, 25.0, "SPY", 600.0, 590.0, 60, "C", 100, "american", 0.012],
    ["ESZ6 P", "future_option", -2, 90.0, "ESZ6", 6000.0, 5900.0, 45, "P", 50, "european", ""],
    ["SPY P", "option", 1, 0.001, "SPY", 600.0, 700.0, 30, "P", 100, "american", ""],  # below intrinsic
]


def test_it_is_the_kernel_on_the_rows_columns() -> None:
    book = read_positions([HEADER, *ROWS], as_of=dt.date(2026, 12, 7))
    a = book.arrays
    rows = np.array([1, 2, 3])
    twin = implied_volatility(
        a["price"][rows], a["underlying_price"][rows], a["strike"][rows], a["expiry_years"][rows], 0.04,
        a["dividend_yield"][rows], a["right"][rows] == "C", a["style"][rows] == "american",
        a["type"][rows] == "future_option",
    )  # fmt: skip
    got = rows_implied_volatility(a, rows, 0.04, strict=False)
    np.testing.assert_array_equal(got, np.asarray(twin))
    assert np.isnan(got[2]) and np.isfinite(got[:2]).all()
    np.testing.assert_array_equal(rows_implied_volatility(a, rows[:2], 0.04), got[:2])
    with pytest.raises(InputError, match=r"row 5, price: price 0.001 is below .*no implied volatility"):
        rows_implied_volatility(a, rows, 0.04)
