"""No worksheet function returns a text longer than Excel's cell (32,767 characters), and a message
quotes a long user value by its first characters and its length (QA round R4: a 40,000-character
parameter name, quantity, type or symbol was echoed whole, into an error text Excel cannot hold, and
REGT_BREAKDOWN returned a 40,000-character symbol cell)."""

from __future__ import annotations

from itertools import chain
from typing import Any

import pytest

from tests.test_excel_functions import CALLS, POSITIONS_FUNCTIONS, classic_book
from xlmargin.errors import CELL_CHARS, SHOWN_CHARS, fit_cell, shown
from xlmargin.excel import udfs

LONG = "x" * 40_000
HEADER = ["symbol", "type", "quantity", "price"]
BOOK = [HEADER, ["AAPL", "stock", 100, 200]]


def _texts(result: Any) -> list[str]:
    if not isinstance(result, list):
        return [result] if isinstance(result, str) else [""]
    return [c for c in chain.from_iterable(result) if isinstance(c, str)]


@pytest.mark.parametrize(
    ("call", "quoted"),
    [
        (lambda: udfs.PM_REQUIREMENT(BOOK, [[LONG, "1"]]), "unknown parameter 'xxx"),
        (lambda: udfs.PM_REQUIREMENT([HEADER, ["AAPL", "stock", "9" * 40_000, 200]]), "quantity: 999"),
        (lambda: udfs.PM_REQUIREMENT([HEADER, ["AAPL", "bogus" * 8000, 1, 200]]), "unknown type 'bogus"),
        (lambda: udfs.REGT_MARGIN([HEADER, ["AAPL", "stock", "1" * 39_999 + "x", 200]]), "quantity: '111"),
        (lambda: udfs.REGT_MARGIN([HEADER, ["SPY" + "1" * 40_000 + "P00450000", "option", 1, 2]]), "'SPY111"),
    ],
)
def test_an_echoed_value_is_shortened_to_its_first_characters_and_its_length(call: Any, quoted: str) -> None:
    text = call()
    assert text.startswith("#INPUT") and quoted in text, text[:200]
    assert len(text) < 1_000 and "characters)" in text


@pytest.mark.parametrize("name", POSITIONS_FUNCTIONS)
def test_no_worksheet_function_returns_a_text_longer_than_a_cell(name: str) -> None:
    book = classic_book()
    book[1][0] = book[2][0] = "A" * 40_000  # a stock and its call, one underlying: read, and echoed
    book[1][-1] = "S" * 40_000  # a sleeve
    result = getattr(udfs, name)(book, *CALLS[name][0][1:])
    assert max(map(len, _texts(result)), default=0) <= CELL_CHARS


def test_regt_breakdown_cuts_a_long_symbol_to_the_cell_and_says_so() -> None:
    table = udfs.REGT_BREAKDOWN([HEADER, ["A" * 40_000, "stock", 100, 200]])
    long = [c for c in _texts(table) if len(c) > 1_000]
    assert long and all(len(c) == CELL_CHARS and c.endswith("characters)") for c in long)


def test_the_helpers() -> None:
    assert shown("SPY") == "SPY" and fit_cell("SPY") == "SPY"
    assert shown("y" * 50_000) == "y" * SHOWN_CHARS + "... (50,000 characters)"
    assert len(fit_cell("z" * 50_000)) == CELL_CHARS
