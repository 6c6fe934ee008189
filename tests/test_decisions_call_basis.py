"""Review R13's findings on the decisions: the basis a margin call is measured against, the regime's
warnings in every decision, one equity, and tables that keep numbers numeric.

The book is R13's (stocks, an ETF, a covered call, a QQQ put credit spread, a short stock, cash),
valued on 2026-12-08; R13's independent solve (/tmp/R13/handcall.py: Reg T maintenance, bisection
on the same uniform move) put the maintenance call at a fall of 62.03%, the initial one at 40.75%.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import pytest

from xlmargin import api
from xlmargin.cli import main
from xlmargin.decisions import decision_settings, liquidation_plan, margin_call_move, margin_impact
from xlmargin.decisions.candidates import read_candidates
from xlmargin.decisions.contribution import margin_contribution
from xlmargin.decisions.hedge import hedge_optimize
from xlmargin.errors import InputError
from xlmargin.excel import udfs
from xlmargin.positions import read_positions

AS_OF = dt.date(2026, 12, 8)
ROWS = [
    ["symbol", "type", "quantity", "price", "underlying_price"],
    ["AAPL", "stock", 500, 230.0, None],
    ["AAPL  270115C00240000", "option", -5, 3.0, 230.0],
    ["MSFT", "stock", 200, 420.0, None],
    ["SPY", "etf", 300, 600.0, None],
    ["QQQ   270115P00500000", "option", -10, 8.0, 510.0],
    ["QQQ   270115P00480000", "option", 10, 4.0, 510.0],
    ["XOM", "stock", -100, 110.0, None],
    ["USD", "cash", 50_000, None, None],
]
BOOK = read_positions(ROWS, as_of=AS_OF)
SETTINGS = decision_settings({"as_of": AS_OF}, AS_OF)
NOT_ELIGIBLE = "portfolio margin: equity 40,000.00 is below the FINRA 4210(g) minimum of 100,000"
UNCONFIRMED = "portfolio margin: product group us_broad offsets 90% of gains: an unconfirmed figure"


def _down(table):
    return next(row for row in table if row[0] == "market down")


@pytest.mark.parametrize("regime", ["account", "regt"])
def test_the_distance_to_a_call_is_measured_against_maintenance(regime):
    """FINRA 4210(c) (margin-rules.md §1.1): a call comes from maintenance, 25% of a long stock; a
    fall below Reg T's 50% initial restricts the account. Maintenance 118,050 now (R13's hand figure);
    the call at a fall of 62.03% (R13's solve), not the initial requirement's 40.75%."""
    table = margin_call_move(BOOK, 300_000.0, SETTINGS, regime).table()
    assert table[1][3] == 118_050.0 and "maintenance" in table[1][4]
    assert math.trunc(_down(table)[1] * 100) / 100 == -62.03
    initial = margin_call_move(
        BOOK, 300_000.0, dataclasses.replace(SETTINGS, basis="initial"), regime
    ).table()
    assert initial[1][3] == 215_000.0 and "initial" in initial[1][4]
    assert math.trunc(_down(initial)[1] * 100) / 100 == -40.75


def test_the_worksheet_function_reads_basis_under_regt_and_says_what_it_measures():
    params = [["as_of", AS_OF], ["basis", "initial"]]
    table = udfs.MARGIN_CALL_MOVE(ROWS, 300_000.0, "regT", params)
    assert table[1][3] == 215_000.0 and table[1][4] == "Reg T initial requirement"
    assert udfs.MARGIN_CALL_MOVE(ROWS, 300_000.0, "regt", [["as_of", AS_OF]])[1][3] == 118_050.0


def test_the_plan_cures_a_reg_t_call_to_maintenance_and_says_so():
    plan = liquidation_plan(BOOK, 100_000.0, SETTINGS, "regt")
    assert plan.before == 118_050.0 and plan.after <= 100_000.0
    notes = [row[1] for row in plan.table() if row[0] == "note"]
    assert any("meets the Reg T maintenance requirement" in n and "4210(c)" in n for n in notes)


def test_portfolio_margins_warnings_reach_every_decision(tmp_path: Path, capsys):
    """`margin --regime pm --param equity=40000` warns of FINRA 4210(g)'s $100,000 and of the
    unconfirmed 90% us_broad offset: so do the plan and the distance (their equity argument is the
    one checked), what-if, the hedge and the contribution."""
    plan = liquidation_plan(BOOK, 40_000.0, SETTINGS, "pm")
    move = margin_call_move(BOOK, 40_000.0, SETTINGS, "pm")
    for warnings in (plan.warnings, move.warnings):
        assert any(w.startswith(NOT_ELIGIBLE) for w in warnings)
        assert any(w.startswith(UNCONFIRMED) for w in warnings)
    equity = decision_settings({"as_of": AS_OF, "equity": 40_000.0}, AS_OF)
    trades = read_positions([ROWS[0], ["MSFT", "stock", -100, 420.0, None]], as_of=AS_OF, holdings=False)
    impact = margin_impact(BOOK, trades, equity, ("pm", "regt"))
    assert any(w.startswith(NOT_ELIGIBLE) for w in impact.warnings)
    listed = read_candidates([ROWS[0], ["MSFT", "stock", -200, 420.0, None]], AS_OF)
    assert any(w.startswith(UNCONFIRMED) for w in hedge_optimize(BOOK, listed, SETTINGS, "pm").warnings)
    assert any(w.startswith(NOT_ELIGIBLE) for w in margin_contribution(BOOK, equity, "pm").warnings)
    # the cell: a warning row, as every function shows its engine's warnings
    cell = udfs.LIQUIDATION_PLAN(ROWS, 40_000.0, "pm", [["as_of", AS_OF]])
    assert any(row[0] == "warning" and row[1].startswith(NOT_ELIGIBLE) for row in cell)
    # the command line: stderr
    path = tmp_path / "book.csv"
    path.write_text("\n".join(",".join("" if c is None else str(c) for c in r) for r in ROWS) + "\n")
    assert main(["plan", str(path), "--equity", "40000", "--regime", "pm", "--as-of", "2026-12-08"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {NOT_ELIGIBLE}" in err and f"warning: {UNCONFIRMED}" in err


def test_an_equity_given_twice_is_refused(tmp_path: Path, capsys):
    twice = decision_settings({"as_of": AS_OF, "equity": 900_000.0}, AS_OF)
    with pytest.raises(InputError, match=r"equity is given twice: 40,000\.00 USD as the equity argument"):
        margin_call_move(BOOK, 40_000.0, twice, "pm")
    with pytest.raises(InputError, match="equity is given twice"):
        liquidation_plan(BOOK, 40_000.0, twice, "pm")
    same = decision_settings({"as_of": AS_OF, "equity": 40_000.0}, AS_OF)
    assert margin_call_move(BOOK, 40_000.0, same, "pm").requirement == pytest.approx(53_777.12)
    path = tmp_path / "book.csv"
    path.write_text("\n".join(",".join("" if c is None else str(c) for c in r) for r in ROWS) + "\n")
    argv = ["plan", str(path), "--equity", "40000", "--param", "equity=900000", "--as-of", "2026-12-08"]
    assert main(argv) == 2
    assert "equity is given twice" in capsys.readouterr().err


def test_what_if_on_a_book_without_futures_says_so():
    trades = read_positions([ROWS[0], ["MSFT", "stock", -100, 420.0, None]], as_of=AS_OF, holdings=False)
    futures = next(row for row in margin_impact(BOOK, trades, SETTINGS).table() if row[0] == "futures (SPAN)")
    assert futures[-1].startswith("no futures in the book or the trades")


def test_numbers_stay_numbers_and_the_terminal_shows_percentages(tmp_path: Path, capsys):
    """No call up to +100% is a missing number (NaN in a DataFrame, a blank cell), its note saying
    so; contribution's share of the total is a fraction, printed as a percentage."""
    frame = api.margin_call_move(ROWS, 300_000.0, "regt", as_of=AS_OF)
    moves = frame["move at the call (%)"]
    assert moves.dtype.kind == "f" and math.isnan(moves[frame["path"] == "market up"].iloc[0])
    shares = api.margin_contribution(ROWS, "pm", as_of=AS_OF)["share of total"]
    assert shares.dtype.kind == "f"
    path = tmp_path / "book.csv"
    path.write_text("\n".join(",".join("" if c is None else str(c) for c in r) for r in ROWS) + "\n")
    assert main(["plan", str(path), "--equity", "300000", "--regime", "regt", "--as-of", "2026-12-08"]) == 0
    out = capsys.readouterr().out
    assert "-62.03%" in out and "none" in out
    assert main(["contribution", str(path), "--as-of", "2026-12-08"]) == 0
    assert "100.00%" in capsys.readouterr().out
