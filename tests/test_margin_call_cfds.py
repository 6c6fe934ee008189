"""The distance to a margin call moves CFDs with their underlyings (R15 review).

A stock CFD's price is its underlying's: the uniform move of every underlying moves it. It used to
keep its price ("Bonds, FX, CFDs and cash keep their prices"), so a book of CFDs showed "no margin
call within -99%" where a fall of 11.11% calls it.
"""

from __future__ import annotations

import math

import pytest

import xlmargin

HEADER = ["symbol", "type", "quantity", "price", "currency", "class"]


def test_a_stock_cfd_moves_and_its_close_out_is_found_at_the_hand_figure() -> None:
    """ESMA retail (margin-rules.md: 5:1 on an individual equity CFD, close-out at 50% of the initial
    margin; the Shard Capital example cited there): 10,000 units at 1.00, initial 2,000, equity
    2,000. Down d: equity 2,000 - 10,000 d meets the close-out level 0.5 x 20% x 10,000 (1 - d)
    at d = 1/9, a fall of 11.1111%."""
    table = [HEADER, ["VOD", "cfd", 10_000, 1.0, "USD", "equity"]]
    result = xlmargin.margin_call_move(table, 2_000, "account")
    down = result[result["path"] == "market down"].iloc[0]
    assert down["move at the call (%)"] == pytest.approx(-100 / 9, abs=1e-4)
    assert down["equity there"] == pytest.approx(2_000 - 10_000 / 9, abs=0.01)
    assert down["note"] == "uniform move of every underlying"


def test_currency_pairs_keep_their_prices_and_the_note_says_so() -> None:
    """An fx row and a CFD on a pair are not moved by the market's move: the note names them, and
    the CFD on the stock alone decides the call (the pair's margin is a constant)."""
    table = [
        HEADER,
        ["VOD", "cfd", 10_000, 1.0, "USD", "equity"],
        ["EURUSD", "fx", 1_000, 1.10, "USD", None],
        ["GBPUSD", "cfd", 1_000, 1.25, "USD", None],
    ]
    result = xlmargin.margin_call_move(table, 3_000, "account")
    down = result[result["path"] == "market down"].iloc[0]
    assert down["note"] == (
        "uniform move of every underlying; not moved (bonds and currency pairs keep their prices): "
        "EURUSD (row 3), GBPUSD (row 4)"
    )
    # the pairs' maintenance (50% of 1/30 of 1,100 and of 1,250) is constant: solve the stock's fall
    pairs = 0.5 * (1_100 + 1_250) / 30
    d = (3_000 - 1_000 - pairs) / (10_000 - 1_000)
    assert math.isclose(down["move at the call (%)"], -100 * d, abs_tol=1e-4)
