"""PM_BREAKDOWN's lines and its total: the requirement is the exact sum of the counted lines
(standalone class groups, product groups, lines outside portfolio margin) rounded once; each line
is shown to the cent as computed (equal to its scenario loss and the P&L grid), so where the shown
lines add to a cent more or less, the account row's note says so and gives their sum. The book is
a regression snapshot (R1 review, sec.csv), not a published example."""

from __future__ import annotations

import datetime as dt
from typing import Any

import xlmargin
from xlmargin.money import cents

AS_OF = dt.date(2026, 12, 7)
HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "expiry",
          "right", "multiplier", "maturity", "coupon", "class"]  # fmt: skip
BOOK: list[list[Any]] = [
    HEADER,
    ["AAPL", "stock", 500, 260, None, None, None, None, None, None, None, None, None],
    ["TSLA", "stock", -100, 400, None, None, None, None, None, None, None, None, None],
    ["PENNY", "stock", -1000, 4, None, None, None, None, None, None, None, None, None],
    ["AAPL", "option", -5, 5.2, "AAPL", 260, 280, "2027-01-15", "call", 100, None, None, None],
    ["SPY", "option", -3, 8.5, "SPY", 690, 650, "2027-01-15", "put", 100, None, None, None],
    ["SPY", "option", 3, 4.0, "SPY", 690, 620, "2027-01-15", "put", 100, None, None, None],
    ["UST 4.5 2031", "bond", 100000, 99.5, None, None, None, None, None, None, "2031-11-15", 4.5, "treasury"],
]


def counted_lines(table: Any) -> float:
    standalone = (table["level"] == "class group") & table["product group"].isna()
    lines = standalone | table["level"].isin(["product group", "outside portfolio margin"])
    return cents(float(table.loc[lines, "requirement"].sum()))


def test_a_total_rounded_once_says_what_its_shown_lines_add_to() -> None:
    table = xlmargin.pm_breakdown(BOOK, as_of=AS_OF)
    account = table[table["name"] == "regulatory minimum"].iloc[0]
    shown = counted_lines(table)
    assert account["requirement"] == xlmargin.pm_requirement(BOOK, as_of=AS_OF) == 29_366.11
    assert shown == 29_366.12
    assert account["note"].endswith(
        "; the lines above, each rounded to the cent, add to 29,366.12: the requirement is their exact "
        "sum, rounded once"
    )


def test_lines_that_foot_carry_no_note() -> None:
    book = [row[:] for row in BOOK[:4]]  # the stocks: whole-cent losses
    table = xlmargin.pm_breakdown(book, as_of=AS_OF)
    account = table[table["name"] == "regulatory minimum"].iloc[0]
    assert counted_lines(table) == account["requirement"]
    assert "rounded once" not in account["note"]
