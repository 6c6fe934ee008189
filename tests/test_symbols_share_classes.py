"""Option symbols whose root is a share class (BRK/B, BRK.B, BRK-B, BRK B) are read as options on
that class, and every other text shaped like an option symbol is refused naming the row and the
symbol column: none is margined as one share of stock (QA round R4: ``BRK/B 270319C00450000`` was a
short share, margined 5.00 instead of a naked call). An adjusted root (AAPL1) is read as the
standard contract with a warning naming the row, as a typed non-standard multiplier is."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xlmargin.errors import InputError
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin
from xlmargin.symbols import adjusted_root, parse_option

AS_OF = dt.date(2026, 12, 7)
HEADER = ["symbol", "quantity", "price", "underlying_price"]
MAR27 = dt.date(2027, 3, 19)


def _read(symbol: str, header: list[str] = HEADER, extra: list[object] | None = None) -> Any:
    return read_positions([header, [symbol, -1, 5.0, 450.0, *(extra or [])]], as_of=AS_OF)


@pytest.mark.parametrize(
    ("symbol", "underlying"),
    [
        ("BRK/B 270319C00450000", "BRK/B"),
        ("BRK/B  270319C00450000", "BRK/B"),
        ("BRK/B270319C00450000", "BRK/B"),
        ("BRK.B 270319C00450000", "BRK.B"),
        ("BRK-B 270319C00450000", "BRK-B"),
        ("BRK_B 270319C00450000", "BRK_B"),
        ("BRK B 270319C00450000", "BRK B"),
        ("brk/b 270319c00450000", "BRK/B"),
        ("BRK/B 19MAR27 450 C", "BRK/B"),
        ("BRK B 19MAR27 450 C", "BRK B"),
        ("BRK-B 19MAR27 450 C", "BRK-B"),
        ("BRK/B MAR19'27 450 CALL", "BRK/B"),
        ("BRK B MAR 19 '27 450 CALL", "BRK B"),
    ],
)
def test_a_share_class_root_is_an_option_on_the_class(symbol: str, underlying: str) -> None:
    position = _read(symbol).positions[0]
    assert (position.type, position.underlying) == ("option", underlying)
    assert (position.right, position.strike, position.expiry, position.multiplier) == (
        "C",
        450.0,
        MAR27,
        100.0,
    )


def test_the_osi_share_class_is_margined_as_the_naked_call_it_is() -> None:
    """margin-rules.md §1.3: a short equity call needs value + 20% × underlying − OTM, at least
    value + 10% × underlying, per share × 100: max(5 + 90 − 0, 5 + 45) × 100 = 9,500 (as the IBKR
    form of the same contract and BRK.B are margined); a share of stock was 5.00."""
    forms = ["BRK/B 270319C00450000", "BRK/B 19MAR27 450 C", "BRK.B 270319C00450000"]
    assert [regt_margin(_read(s)).total for s in forms] == [9_500.0] * 3


# every shape main read as one share of stock, without a word
UNREAD = [
    "ABCDEFG 270319C00450000",  # a root of seven letters
    "ABCDEFGH270319C00450000",
    "1234 270319C00450000",  # a root of digits
    "SPY270319P450",  # strike not in eight digits
    "SPY 270319P450",
    ".SPY270319P450",  # thinkorswim's form
    "-SPY270319P450",
    "O:SPY270319P00450000",  # a data vendor's prefix
    "SPY 270319 P 450",
    "SPY 270319P00450000.5",
    "SPY  270319P00450000 100",
]


@pytest.mark.parametrize("symbol", UNREAD)
def test_any_other_option_shape_is_refused_naming_the_row_and_the_symbol(symbol: str) -> None:
    with pytest.raises(InputError) as info:
        _read(symbol)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (2, "symbol")
    assert "looks like an option symbol" in problem.message and "BRK/B" in problem.message


@pytest.mark.parametrize(
    "text", ["BRK B", "BRK/B", "912828XY9", "US0378331005", "T 3.25 05/15/2030", "G123456C1", "XS1234567890"]
)
def test_tickers_cusips_and_isins_stay_what_they_are(text: str) -> None:
    assert parse_option(text) is None


def test_an_adjusted_root_is_read_as_the_standard_contract_with_a_warning_naming_the_row() -> None:
    rows = [
        [*HEADER, "multiplier"],
        ["SPY   270319P00450000", -1, 5.0, 450.0, None],
        ["AAPL1 270319C00150000", -1, 5.0, 450.0, None],
        ["AAPL1 270319C00150000", -1, 5.0, 450.0, 150],  # typed: the multiplier warning, as before
        ["AAPL1 270319C00150000", -1, 5.0, 450.0, 100],  # typed as standard: checked by the user
        ["SPXW  270319C05000000", -1, 5.0, 4500.0, None],  # a listed root, not an adjusted one
    ]
    portfolio = read_positions(rows, as_of=AS_OF)
    assert [p.multiplier for p in portfolio.positions] == [100.0, 100.0, 150.0, 100.0, 100.0]
    assert portfolio.positions[1].underlying == "AAPL"
    assert portfolio.warnings == (
        "row 4: an option multiplier other than 100/10 (listed equity and index options); check it (adjusted "
        "contracts differ)",
        "row 3: an adjusted option root (a ticker followed by a digit, such as AAPL1) read as a standard "
        "contract of 100; the deliverable may differ: check the multiplier (adjusted contracts differ)",
    )


def test_adjusted_roots() -> None:
    assert [adjusted_root(r) for r in ("AAPL1", "BRK/B1", "SPY", "SPXW", "7203")] == [
        "AAPL",
        "BRK/B",
        None,
        None,
        None,
    ]
