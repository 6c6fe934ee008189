"""An option trade or candidate moved to the book's underlying price keeps its quote's volatility
(sticky strike): its premium and its underlying price are one quote, so the volatility is implied
from its premium at its own underlying price (the implied-volatility function portfolio margin
uses) before the underlying moves, and the warning says so. The figures equal those of the trade
given with that volatility at the book's price, on the worksheet, in Python and on the command line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import xlmargin
from tests.books import csv_file as csv
from tests.books import figures
from xlmargin.cli import main
from xlmargin.excel import udfs
from xlmargin.positions import read_positions
from xlmargin.pricing import implied_volatility

DATA = Path(__file__).parent / "data"
AS_OF = dt.date(2026, 1, 5)
PARAMS = [["as_of", AS_OF.isoformat()]]
HEAD = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right"]
BOOK = [
    HEAD,
    ["AAPL", "stock", 200.0, 228.5, None, None, None, None, None],
    ["AAPL", "option", -2.0, 4.10, "AAPL", 228.5, 240.0, 35.0, "call"],
]
# a short put quoted 10.50 with AAPL at 230: below its intrinsic value 11.50 at the book's 228.50
PUT = ["AAPL", "option", -2.0, 10.5, "AAPL", 230.0, 240.0, 35.0, "put"]


def quote_volatility(row: list[object], as_of: dt.date) -> float:
    """The volatility the row's premium implies at its own underlying price (rate 0)."""
    a = read_positions([HEAD, row], as_of=as_of, holdings=False).arrays
    return float(
        implied_volatility(
            a["price"], a["underlying_price"], a["strike"], a["expiry_years"], 0.0, a["dividend_yield"],
            a["right"] == "C", a["style"] == "american",
        )[0]
    )  # fmt: skip


def at_book(row: list[object], spot: float, vol: float) -> list[list[object]]:
    """The row given with ``vol`` at the book's ``spot``: what the moved row must be priced as."""
    return [[*HEAD, "volatility"], [*row[:5], spot, *row[6:], vol]]


def test_a_moved_trade_keeps_its_quotes_volatility_on_every_surface(tmp_path: Path, capsys) -> None:
    vol = quote_volatility(PUT, AS_OF)
    cell = figures(udfs.MARGIN_IMPACT(BOOK, [HEAD, PUT], None, PARAMS))
    fair = figures(udfs.MARGIN_IMPACT(BOOK, at_book(PUT, 228.5, vol), None, PARAMS))
    assert {k: v for k, v in cell.items() if k != "warning"} == fair
    for label in ("portfolio margin", "risk view: worst stress loss"):
        assert isinstance(cell[label][1], float)  # not n/a: the premium is priced at its own quote
    # Reg T keeps the trade's premium: 2 × 100 × (10.50 + 20% × 228.50), the put in the money
    assert cell["Reg T initial"][2] == 2 * 100 * (10.5 + 0.2 * 228.5)
    warning = cell["warning"][0]
    assert "trades row 2: underlying_price 230 differs from 228.5 on positions row 3" in warning
    assert (
        f"its volatility {vol:.4%} is implied from its premium 10.5 at its own underlying price 230"
        in warning
    )
    assert "sticky strike" in warning
    pm = cell["portfolio margin"][2]
    assert udfs.MARGIN_IMPACT(BOOK, [HEAD, PUT], "pm", PARAMS) == pm
    assert xlmargin.margin_impact(BOOK, [HEAD, PUT], "pm", as_of=AS_OF) == pm
    book, trades = csv(tmp_path, "book.csv", BOOK), csv(tmp_path, "trades.csv", [HEAD, PUT])
    assert main(["whatif", book, trades, "--regime", "pm", "--as-of", AS_OF.isoformat()]) == 0
    captured = capsys.readouterr()
    assert f"{pm:,.2f}" in captured.out and f"its volatility {vol:.4%} is implied" in captured.err


def test_a_moved_candidate_keeps_its_quotes_volatility(tmp_path: Path, capsys) -> None:
    vol = quote_volatility(PUT, AS_OF)
    cands = [[*HEAD, "min_qty", "max_qty"], [*PUT, -2.0, -2.0]]
    fair = at_book(PUT, 228.5, vol)
    fair = [[*fair[0], "min_qty", "max_qty"], [*fair[1], -2.0, -2.0]]
    for objective in ("pm", "risk"):
        off = figures(udfs.HEDGE_OPTIMIZE(BOOK, cands, objective, None, PARAMS))
        assert (
            off["objective"] == figures(udfs.HEDGE_OPTIMIZE(BOOK, fair, objective, None, PARAMS))["objective"]
        )
        assert off["objective"][4] == off["check"][4]  # the optimiser and the engine agree
        assert f"its volatility {vol:.4%} is implied from its premium 10.5" in off["warning"][0]
    value = figures(udfs.HEDGE_OPTIMIZE(BOOK, cands, "pm", None, PARAMS))["objective"][4]
    assert xlmargin.hedge_optimize(BOOK, cands, "pm", as_of=AS_OF).iloc[1]["after"] == value
    book, listed = csv(tmp_path, "book.csv", BOOK), csv(tmp_path, "cands.csv", cands)
    assert main(["hedge", book, listed, "--as-of", AS_OF.isoformat()]) == 0
    captured = capsys.readouterr()
    assert f"{value:,.2f}" in captured.out and f"its volatility {vol:.4%} is implied" in captured.err


def test_a_moved_trade_that_gives_a_volatility_just_moves() -> None:
    given = at_book(PUT, 230.0, 0.3)
    cell = figures(udfs.MARGIN_IMPACT(BOOK, given, None, PARAMS))
    assert {k: v for k, v in cell.items() if k != "warning"} == figures(
        udfs.MARGIN_IMPACT(BOOK, at_book(PUT, 228.5, 0.3), None, PARAMS)
    )
    assert "underlying_price 230 differs" in cell["warning"][0]
    assert "implied" not in cell["warning"][0]


def test_a_premium_no_volatility_gives_at_its_own_quote_is_refused_as_before() -> None:
    """9.50 is below the intrinsic value 10 at the trade's own 230: the engines' error stands."""
    bad = [HEAD, [*PUT[:3], 9.5, *PUT[4:]]]
    cell = figures(udfs.MARGIN_IMPACT(BOOK, bad, None, PARAMS))
    assert cell["portfolio margin"][1] == "n/a"
    assert "trades price: price 9.5 is below" in cell["portfolio margin"][4]
    assert "implied" not in cell["warning"][0]


@pytest.mark.parametrize("regime", ["pm", "risk"])
def test_the_flex_repro_is_priced_at_the_books_price_with_the_quotes_volatility(
    tmp_path: Path, capsys, regime
) -> None:
    """The reviewer's case: AAPL 240 call −2 @ 4.10 quoted with AAPL at 230, the book (the Flex
    fixture) at 250.42, where 4.10 is below the intrinsic value 10.42: n/a before this change."""
    as_of = dt.date(2026, 1, 15)
    call = ["AAPL", "option", -2.0, 4.10, "AAPL", 230.0, 240.0, 35.0, "call"]
    vol = quote_volatility(call, as_of)
    flex = DATA / "ibkr_flex.xml"
    off = xlmargin.margin_impact(flex, [HEAD, call], regime, as_of=as_of)
    assert off == xlmargin.margin_impact(flex, at_book(call, 250.42, vol), regime, as_of=as_of)
    trades = csv(tmp_path, "trades.csv", [HEAD, call])
    assert main(["whatif", str(flex), trades, "--regime", regime, "--as-of", as_of.isoformat()]) == 0
    assert f"{off:,.2f}" in capsys.readouterr().out
