"""A cash row named by its currency (``EUR,cash,5000``) is cash in that currency, never dollars read
from a blank currency cell (README, the positions table: ``currency``); a currency cell naming
another code is refused on the row and the currency column."""

from __future__ import annotations

import datetime as dt

import pytest

from xlmargin.errors import InputError, XlMarginError
from xlmargin.positions import read_positions

AS_OF = dt.date(2026, 12, 4)


def currencies(rows: list[list[object]]) -> list[str | None]:
    return [p.currency for p in read_positions(rows, as_of=AS_OF)]


def test_a_cash_row_named_by_a_currency_is_in_it_without_a_currency_column() -> None:
    rows = [
        ["symbol", "type", "quantity", "price"],
        ["USD", "cash", 10_000, None],
        ["EUR", "cash", 5000, None],
    ]
    rows.append(["CASH", "cash", 100, None])
    assert currencies(rows) == ["USD", "EUR", None]  # CASH names no currency: a blank, USD as before


def test_a_blank_currency_cell_takes_the_symbols_code() -> None:
    header = ["symbol", "type", "quantity", "price", "currency", "fx_rate"]
    rows = [header, [" chf ", "cash", 1000, None, None, 1.25], ["AAPL", "stock", 10, 260.0, None, None]]
    assert currencies(rows) == ["CHF", None]


def test_the_risk_view_asks_for_the_rate_of_cash_named_by_its_currency() -> None:
    import xlmargin

    rows = [
        ["symbol", "type", "quantity", "price"],
        ["EUR", "cash", 5000, None],
        ["AAPL", "stock", 10, 260.0],
    ]
    with pytest.raises(XlMarginError, match="row 2, fx_rate: a position in EUR needs"):
        xlmargin.risk_margin(rows, as_of=AS_OF)


def test_a_currency_cell_naming_another_code_is_refused() -> None:
    rows = [["symbol", "type", "quantity", "price", "currency"], ["USD", "cash", 100, None, "EUR"]]
    with pytest.raises(
        InputError, match="row 2, currency: a cash row of symbol USD is USD cash, but its currency"
    ):
        read_positions(rows, as_of=AS_OF)


def test_a_stock_named_like_a_currency_keeps_a_blank_currency() -> None:
    rows = [["symbol", "type", "quantity", "price"], ["EUR", "stock", 10, 5.0]]
    assert currencies(rows) == [None]
