"""The stress book's mapping on integer codes: the same Book however the instrument keys are numbered."""

import dataclasses
from typing import Any

import numpy as np
import pytest

from tests import books
from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.stress import book as stress_book
from xlmargin.stress.book import build_book
from xlmargin.stress.classify import classify

SETTINGS = stress.stress_settings({}, AS_OF)
HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying price", "strike", "days", "right",
          "volatility", "currency", "fx_rate", "factor", "coupon", "maturity", "sleeve"]  # fmt: skip


def mixed_rows() -> list[list[Any]]:
    """Every kind of row the book maps, with instruments repeated so that rows share their models."""
    return [
        ["SPY", "etf", 500, 590, *[None] * 11, "core"],
        ["SPY P", "option", 5, 8.0, "SPY", 590, 560, 60, "P", 0.22],
        ["TLT C", "option", -5, 2.0, "TLT", 90, 95, 60, "C", 0.15],
        ["TLT", "etf", 1000, 90],
        ["SAP", "stock", 100, 200, None, None, None, None, None, None, "EUR", 1.1, "intl_equity"],
        ["SPY", "etf", -200, 590, None, None, None, None, None, None, None, None, "intl_equity"],
        ["ES C", "future_option", 2, 150.0, "ESZ6", 6000, 6000, 30, "C", 0.18],
        ["ZNH7", "future", 3, 110],
        ["EURUSD", "fx", 50_000, 1.10],
        ["AUDUSD", "fx", 10_000, 0.65],
        ["T 4.5 2035", "bond", 100_000, 101.0, *[None] * 9, 4.5, 9.0],
        ["BTCUSD", "stock", 1, 90_000],
        ["SPY P", "option", -1, 8.0, "SPY", 590, 560, 60, "P", 0.22],
    ]


def assert_same(a: Any, b: Any) -> None:
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tolist() == b.tolist() if a.dtype == object else a.tobytes() == b.tobytes()
    else:
        assert a == b


def test_instrument_keys_renumbered_before_they_overflow_give_the_same_book(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The (type, symbol, underlying, class, factor) codes combine into one integer per row; a key that
    # would pass _MAX_KEY is renumbered first. A tiny bound takes that path at every column.
    portfolio = books.book(*mixed_rows(), header=HEADER)
    expected = build_book(portfolio, SETTINGS)
    monkeypatch.setattr(stress_book, "_MAX_KEY", 16)
    assert_same(build_book(portfolio, SETTINGS), expected)


def test_rows_of_one_instrument_share_its_model_and_an_option_follows_its_underlying() -> None:
    book = build_book(books.book(*mixed_rows(), header=HEADER), SETTINGS)
    spy, spy_put, spy_intl = 0, 1, 5
    assert book.beta[spy].tolist() != book.beta[spy_intl].tolist()  # the factor column makes another one
    np.testing.assert_array_equal(book.options.beta[0], book.beta[spy])  # the put moves with SPY
    np.testing.assert_array_equal(book.options.beta[0], book.options.beta[-1])
    assert book.groups[spy_put] == book.groups[spy] == "equity"


def test_instruments_of_one_class_share_one_model_object() -> None:
    # build_book gathers each distinct Model object's fields once: every stock of a class is one object
    aapl = classify("stock", "AAPL", "AAPL", "equity", None)
    assert classify("stock", "MSFT", "MSFT", "equity", None) is aapl
    assert classify("stock", "MSFT", "MSFT", "broad_index", None) is not aapl


def test_a_book_of_no_rows_is_an_empty_book() -> None:
    # a filter (sleeve, say) can leave no row: the instrument keys of no row are no division by zero
    portfolio = books.book(*mixed_rows(), header=HEADER)
    book = build_book(portfolio.select(np.zeros(len(portfolio), dtype=bool)), SETTINGS)
    assert book.beta.shape == (0, book.beta.shape[1]) and book.options.S.size == 0 and book.warnings == ()
