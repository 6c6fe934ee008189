"""The decisions on every surface (worksheet cell, Python API, command line), one figure each: an
option trade or candidate at another underlying price than the book's, the account objective's
candidate rates, ``sleeve`` on the command line, the contribution, cushion and account/futures
``plan`` commands, errors naming the candidates table, and every bad candidate row at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import xlmargin
from tests.books import csv_file as csv
from tests.books import figures
from tests.test_decisions_sticky_strike import at_book, quote_volatility
from xlmargin.cli import main
from xlmargin.decisions import decision_settings, read_candidates
from xlmargin.errors import XlMarginError
from xlmargin.excel import udfs

AS_OF = dt.date(2026, 1, 5)
DATE = ["--as-of", AS_OF.isoformat()]
PARAMS = [["as_of", AS_OF.isoformat()]]
HEAD = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right"]
SPREADS = [
    HEAD,
    ["AAPL", "stock", 200.0, 228.5, None, None, None, None, None],
    ["AAPL", "option", -2.0, 4.10, "AAPL", 228.5, 240.0, 35.0, "call"],
    ["MSFT", "option", 3.0, 9.80, "MSFT", 415.2, 400.0, 63.0, "put"],
]


def short_call(underlying_price: float) -> list[list[object]]:
    return [HEAD, ["AAPL", "option", -2.0, 3.00, "AAPL", underlying_price, 250.0, 35.0, "call"]]


# --- 1. an option's underlying price is the book's ------------------------------------------------


def test_a_trade_at_another_underlying_price_takes_the_books_with_a_warning(tmp_path: Path, capsys) -> None:
    """Reg T, margin-rules.md (naked short call: premium + 20% of the underlying less the amount out
    of the money, at least premium + 10%): 2 × 100 × (3.00 + max(0.20 × 228.50 − 21.50, 22.85)) =
    5,440 at the book's 228.50, where the trade's own 230 would give 2 × 100 × (3 + 26) = 5,800. The
    book's reader refuses two underlying prices for AAPL's options; a trade takes the book's, with
    the volatility its premium implies at its own 230 (sticky strike: test_decisions_sticky_strike)."""
    off = short_call(230.0)
    book_price = at_book(off[1], 228.5, quote_volatility(off[1], AS_OF))
    cell = figures(udfs.MARGIN_IMPACT(SPREADS, off, None, PARAMS))
    assert cell["Reg T initial"][2] == 5_440.0
    assert figures(udfs.MARGIN_IMPACT(SPREADS, book_price, None, PARAMS)) == {
        k: v for k, v in cell.items() if k != "warning"
    }
    warning = cell["warning"][0]
    assert "trades row 2: underlying_price 230 differs from 228.5 on positions row 3" in warning
    assert udfs.MARGIN_IMPACT(SPREADS, off, "regt", PARAMS) == 5_440.0
    assert xlmargin.margin_impact(SPREADS, off, "regt", as_of=AS_OF) == 5_440.0
    pm = udfs.MARGIN_IMPACT(SPREADS, book_price, "pm", PARAMS)
    assert udfs.MARGIN_IMPACT(SPREADS, off, "pm", PARAMS) == pm
    book, trades = csv(tmp_path, "book.csv", SPREADS), csv(tmp_path, "trades.csv", off)
    assert main(["whatif", book, trades, "--regime", "regt", *DATE]) == 0
    captured = capsys.readouterr()
    assert "5,440.00" in captured.out and "underlying_price 230 differs from 228.5" in captured.err


def test_trades_on_an_underlying_the_book_has_no_option_on_take_the_first_ones_price() -> None:
    trades = [
        HEAD,
        ["TSLA", "option", 1.0, 10.0, "TSLA", 400.0, 400.0, 35.0, "call"],
        ["TSLA", "option", -1.0, 5.0, "TSLA", 401.0, 420.0, 35.0, "call"],
    ]
    same = [trades[0], trades[1], [*trades[2][:5], 400.0, *trades[2][6:]]]
    table = udfs.MARGIN_IMPACT(SPREADS, trades, None, PARAMS)
    assert figures(table)["warning"][0].startswith(
        "trades row 3: underlying_price 401 differs from 400 on trades row 2"
    )
    assert (
        figures(udfs.MARGIN_IMPACT(SPREADS, same, None, PARAMS))["Reg T initial"]
        == figures(table)["Reg T initial"]
    )


def test_a_candidate_at_another_underlying_price_is_priced_at_the_books(tmp_path: Path, capsys) -> None:
    cands = [[*HEAD, "min_qty", "max_qty"], [*short_call(230.0)[1], -2.0, -2.0]]
    moved = at_book(cands[1][:9], 228.5, quote_volatility(cands[1][:9], AS_OF))  # sticky strike
    fair = [[*moved[0], "min_qty", "max_qty"], [*moved[1], -2.0, -2.0]]
    for objective in ("pm", "risk"):
        off = figures(udfs.HEDGE_OPTIMIZE(SPREADS, cands, objective, None, PARAMS))
        assert (
            off["objective"]
            == figures(udfs.HEDGE_OPTIMIZE(SPREADS, fair, objective, None, PARAMS))["objective"]
        )
        assert off["objective"][4] == off["check"][4]  # the optimiser and the engine agree
        assert "candidates row 2: underlying_price 230 differs" in off["warning"][0]
    python = xlmargin.hedge_optimize(SPREADS, cands, "pm", as_of=AS_OF)
    book, listed = csv(tmp_path, "book.csv", SPREADS), csv(tmp_path, "cands.csv", cands)
    assert main(["hedge", book, listed, *DATE]) == 0
    captured = capsys.readouterr()
    value = figures(udfs.HEDGE_OPTIMIZE(SPREADS, cands, "pm", None, PARAMS))["objective"][4]
    assert python.iloc[1]["after"] == value and f"{value:,.2f}" in captured.out
    assert "candidates row 2: underlying_price 230 differs" in captured.err


# --- 2. the account objective reads candidate rates as the account view ---------------------------

EUR_BOOK = [
    ["symbol", "type", "quantity", "price", "currency", "fx_rate"],
    ["SAP", "stock", 200.0, 240.0, "EUR", 1.0],
    ["AAPL", "stock", 100.0, 228.5, "USD", 0.92],
]
EUR = [["as_of", AS_OF.isoformat()], ["securities", "pm"], ["account_currency", "EUR"], ["fx.USD", 0.92]]


@pytest.mark.parametrize("cost", [650.33, None])
def test_the_account_objective_takes_candidates_at_the_account_views_rates(
    tmp_path: Path, capsys, cost
) -> None:
    """A dollar candidate at fx_rate 0.92 in a euro account (EUR per USD, as the account view reads
    the book's AAPL row): with a cost it needs no dollar rate; without, its cost is its dollar
    notional, 598.30 per share."""
    cands = [
        ["symbol", "type", "quantity", "price", "currency", "fx_rate", "cost"],
        ["SPY", "etf", -20.0, 598.3, "USD", 0.92, cost],
    ]
    table = figures(udfs.HEDGE_OPTIMIZE(EUR_BOOK, cands, "account", None, EUR))
    assert table["objective"][4] == table["check"][4] and table["objective"][6] == "EUR"
    python = xlmargin.hedge_optimize(EUR_BOOK, cands, "account", **dict(EUR))
    assert python.iloc[1]["after"] == table["objective"][4]
    settings = decision_settings(dict(EUR[1:]), AS_OF)
    assert read_candidates(cands, AS_OF, settings.account).cost.tolist() == [cost or 598.3]
    book, listed = csv(tmp_path, "book.csv", EUR_BOOK), csv(tmp_path, "cands.csv", cands)
    argv = ["hedge", book, listed, "--objective", "account", *DATE]
    assert main([*argv, *(f"--param={k}={v}" for k, v in EUR[1:])]) in (0, 1)  # 1: the dollar engines n/a
    assert f"{table['objective'][4]:,.2f}" in capsys.readouterr().out


def test_a_yen_candidates_cost_is_read_at_fx_jpy_under_the_account_objective() -> None:
    cands = [["symbol", "type", "quantity", "price", "currency"], ["7203", "stock", -100.0, 2500.0, "JPY"]]
    settings = decision_settings({"securities": "pm", "fx.JPY": 0.0065}, AS_OF)
    assert read_candidates(cands, AS_OF, settings.account).cost.tolist() == pytest.approx([16.25])
    with pytest.raises(XlMarginError, match="row 2, candidates fx_rate: a position in JPY needs"):
        read_candidates(cands, AS_OF)  # portfolio margin's reading: USD per unit, in the table
    book = [["symbol", "type", "quantity", "price"], ["AAPL", "stock", 300.0, 228.5]]
    params = [*PARAMS, ["securities", "pm"], ["fx.JPY", 0.0065]]
    assert figures(udfs.HEDGE_OPTIMIZE(book, cands, "account", None, params))["status"][0] == "optimal"


# --- 3. sleeve on the command line ----------------------------------------------------------------

SLEEVED = [
    ["symbol", "type", "quantity", "price", "sleeve"],
    ["XYZ", "stock", 1000.0, 100.0, "core"],
    ["ABC", "stock", 500.0, 40.0, "hedge"],
]


def test_the_decision_commands_take_a_sleeve_as_the_worksheet_does(tmp_path: Path, capsys) -> None:
    trades = [["symbol", "type", "quantity", "price"], ["ABC", "stock", -100.0, 40.0]]
    sleeve = [*PARAMS, ["sleeve", "hedge"]]
    cell = udfs.MARGIN_IMPACT(SLEEVED, trades, "regt", sleeve)
    assert cell == -2_000.0  # Reg T 50% (margin-rules.md): 500 → 400 ABC at $40
    assert xlmargin.margin_impact(SLEEVED, trades, "regt", **dict(sleeve)) == cell
    book, listed = csv(tmp_path, "book.csv", SLEEVED), csv(tmp_path, "trades.csv", trades)
    assert main(["whatif", book, listed, "--regime", "regt", "--param", "sleeve=hedge", *DATE]) == 0
    out = capsys.readouterr().out
    assert "10,000.00" in out and "8,000.00" in out and "-2,000.00" in out
    assert main(["plan", book, "--equity", "5000", "--param", "sleeve=hedge", *DATE]) == 0
    assert "market down" in capsys.readouterr().out
    assert main(["hedge", book, listed, "--objective", "risk", "--param", "sleeve=hedge", *DATE]) == 0
    assert "ABC (row 2)" in capsys.readouterr().out
    assert main(["contribution", book, "--param", "sleeve=core", *DATE]) == 0
    assert "ABC" not in capsys.readouterr().out


# --- 4. contribution, cushion and plan's regimes on the command line ------------------------------


@pytest.mark.parametrize("regime", ["pm", "regt", "account", "risk"])
def test_the_contribution_command_prints_the_cells_table(tmp_path: Path, capsys, regime: str) -> None:
    cell = udfs.MARGIN_CONTRIBUTION(SPREADS, regime, PARAMS)
    python = xlmargin.margin_contribution(SPREADS, regime, as_of=AS_OF)
    assert python["component"].tolist() == [row[3] for row in cell[1:]]
    argv = ["contribution", csv(tmp_path, "book.csv", SPREADS), *DATE]
    assert main([*argv, "--regime", regime] if regime != "pm" else argv) == 0
    out = capsys.readouterr().out
    assert all(f"{row[3]:,.2f}" in out for row in cell[1:])


def test_the_cushion_command_gives_the_cells_figures(capsys) -> None:
    [[excess, share]] = udfs.MARGIN_CUSHION(250_000.0, 180_000.0)
    assert (excess, share) == (70_000.0, 0.28)  # 250,000 − 180,000; 70,000 / 250,000
    assert main(["cushion", "--equity", "250000", "--requirement", "180000"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].split() == ["70,000.00", "28.00%"]
    assert main(["cushion", "--equity", "1", "--requirement", "-1"]) == 2


FUT = [
    ["symbol", "type", "quantity", "price", "underlying", "multiplier", "days"],
    ["ES", "future", 2.0, 6000.0, "ES", 50.0, 80.0],
    ["SPY", "etf", 500.0, 598.3, None, 1.0, None],
]


@pytest.mark.parametrize(("regime", "book"), [("account", FUT), ("futures", FUT[:2])])
def test_plan_gives_the_distance_to_a_call_under_every_regime_of_the_cell(
    tmp_path: Path, capsys, regime: str, book: list[list[object]]
) -> None:
    cell = udfs.MARGIN_CALL_MOVE(book, 250_000.0, regime, PARAMS)
    argv = ["plan", csv(tmp_path, "book.csv", book), "--equity", "250000", "--regime", regime, *DATE]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert all(f"{row[3]:,.2f}" in captured.out for row in cell[1:])
    assert captured.err.startswith(
        "xlmargin: no liquidation plan: the liquidation plan is made under pm, risk, regt and "
        "regt_maintenance only"
    )


# --- 5. an engine's error on a candidate names the candidates table -------------------------------


def test_an_account_objective_error_names_the_candidates_row(tmp_path: Path, capsys) -> None:
    cands = [
        ["symbol", "type", "quantity", "price", "underlying", "multiplier", "days", "min_qty", "max_qty"],
        ["ES", "future", -6.0, 6000.0, "ES", 50.0, 80.0, None, None],
        ["ZW", "future", -20.0, 600.0, "ZW", 50.0, 80.0, None, None],  # wheat: not in span.toml
    ]
    result = udfs.HEDGE_OPTIMIZE(FUT, cands, "account", None, PARAMS)
    no_span = "row 3 of the range, candidates symbol: no SPAN parameters for 'ZW'"
    assert result.startswith("#") and no_span in result
    with pytest.raises(XlMarginError, match="row 3, candidates symbol: no SPAN parameters for 'ZW'"):
        xlmargin.hedge_optimize(FUT, cands, "account", as_of=AS_OF)
    files = [csv(tmp_path, "b.csv", FUT), csv(tmp_path, "c.csv", cands)]
    assert main(["hedge", *files, "--objective", "account", *DATE]) == 2
    assert "row 3, candidates symbol: no SPAN parameters" in capsys.readouterr().err


@pytest.mark.parametrize("objective", ["pm", "risk"])
def test_a_candidate_without_a_rate_is_named_as_the_candidates_under_every_objective(objective: str) -> None:
    cands = [
        ["symbol", "type", "quantity", "price", "currency", "cost"],
        ["SPY", "etf", -20.0, 598.3, "USD", 1.0],
        ["7203", "stock", -100.0, 2500.0, "JPY", 16.25],
    ]
    result = udfs.HEDGE_OPTIMIZE(SPREADS, cands, objective, None, PARAMS)
    assert "row 3 of the range, candidates fx_rate: a position in JPY needs" in result, result


# --- 6. one error, every bad candidate row ---------------------------------------------------------


def test_plan_with_no_equity_is_the_equity_error_alone(tmp_path: Path, capsys) -> None:
    book = csv(tmp_path, "book.csv", SLEEVED)
    assert main(["plan", book, "--equity", "0", "--regime", "regt", *DATE]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "xlmargin: argument --equity: equity must be above 0, got 0"
    ]


def test_every_bad_candidate_row_is_named_at_once(tmp_path: Path, capsys) -> None:
    cands = [
        ["symbol", "type", "quantity", "price", "min_qty", "max_qty", "cost"],
        ["SPY", "etf", -20.0, 598.3, "abc", None, None],
        ["XOM", "stock", 10.0, 112.4, 5.0, 2.0, None],
        ["JPM", "stock", 5.0, 242.1, None, None, -3.0],
        ["TLT", "etf", 5.0, None, None, None, None],
    ]
    with pytest.raises(XlMarginError) as raised:
        read_candidates(cands, AS_OF)
    assert [(p.row, p.column) for p in raised.value.problems] == [
        (2, "candidates min_qty"),
        (3, "candidates"),
        (4, "candidates cost"),
        (5, "candidates price"),
    ]
    assert main(["hedge", csv(tmp_path, "b.csv", SLEEVED), csv(tmp_path, "c.csv", cands), *DATE]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 4
    cell = udfs.HEDGE_OPTIMIZE(SLEEVED, cands, "pm", None, PARAMS)
    # a cell's one line
    assert cell == "#INPUT row 2 of the range, candidates min_qty: 'abc' is not a number (+3 more)"
    with pytest.raises(XlMarginError) as raised:
        xlmargin.hedge_optimize(SLEEVED, cands, "pm", as_of=AS_OF)
    assert len(raised.value.problems) == 4
    # the reader's problem and those of the candidates' own columns together
    with pytest.raises(XlMarginError) as raised:
        read_candidates([cands[0], cands[1], cands[4]], AS_OF)
    assert [(p.row, p.column) for p in raised.value.problems] == [
        (2, "candidates min_qty"),
        (3, "candidates price"),
    ]
