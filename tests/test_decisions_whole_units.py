"""The plan and margin-call paths read a pair's rate as the other surfaces do, and trade whole units.

- A currency pair of base USD (USDJPY, its blank currency the quote's, JPY) needs no ``fx_rate``:
  its own price converts its notional (``dollars.dollar_pair_rates``), as the risk view values it
  and as margin, whatif, hedge and contribution read the same book. Before, LIQUIDATION_PLAN's
  notional and MARGIN_CALL_MOVE's money rates asked for the yen's rate ("row 3, fx_rate: a position
  in JPY needs…"), and ``xlmargin plan`` printed the plan and then failed with exit 2.
- LIQUIDATION_PLAN closes FX and CFDs in whole units, as the hedge trades them
  (``decisions._common.WHOLE``): before, their units closed were a continuous variable and the
  risk plan of the book below closed EURUSD −0.0006 (a solver's tolerance), shown as "0.00".

Hand figures (no published example): 500,000 USDJPY at 150 is 500,000 USD of notional, one yen
1/150 USD.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.books import book, csv_file, row, stock
from tests.conftest import AS_OF
from xlmargin.cli import main
from xlmargin.decisions import (
    decision_settings,
    hedge_optimize,
    liquidation_plan,
    margin_call_move,
    read_candidates,
)
from xlmargin.decisions._common import money_rates, notional
from xlmargin.dollars import usd_rates
from xlmargin.errors import MissingDataError
from xlmargin.regt import regt_margin

SETTINGS = decision_settings({"as_of": AS_OF}, AS_OF)


def usdjpy(**cells: object) -> list[list[object]]:
    return [stock("AAPL", 100, 260.0), row("USDJPY", "fx", -500_000, 150.0, **cells)]


def test_a_usd_base_pair_reads_its_rate_from_its_price() -> None:
    blank, rated = book(*usdjpy()), book(*usdjpy(fx_rate=1 / 150))
    assert usd_rates(blank).tolist() == pytest.approx([1.0, 1 / 150])  # main: MissingDataError
    assert notional(blank).tolist() == pytest.approx([260.0, 1.0])  # one unit is one dollar
    for regime in ("risk", "account"):
        assert money_rates(blank, regime, SETTINGS) == pytest.approx(money_rates(rated, regime, SETTINGS))
    # a pair holding no dollar still needs the rate of its quote currency, named
    with pytest.raises(MissingDataError, match="row 2, fx_rate: a position in JPY needs the USD value"):
        usd_rates(book(row("EURJPY", "fx", 100_000, 160.0)))


def test_a_rate_the_pair_row_gives_is_its_own() -> None:
    """A USDJPY row giving fx_rate 0.0070 is read at it (the rule fills a blank rate only)."""
    assert usd_rates(book(*usdjpy(fx_rate=0.0070))).tolist() == pytest.approx([1.0, 0.0070])


def test_an_option_on_a_usd_base_pair_is_converted_at_its_rate_not_its_premium() -> None:
    """A USDJPY call's price is a premium (1.20 yen), not the pair's: its strike, premium and
    underlying price convert at the row's fx_rate. One over the premium made its Reg T figure 125×
    (86,666.67). Naked FX option (margin-rules.md §1.3): premium + max(4% × underlying − out of the
    money, 0.75% × underlying) = 1.20 + max(6.00 − 2.00, 1.125) = 5.20 yen × 2 × 10,000 × 0.00667."""
    cells: dict[str, object] = {"underlying": "USDJPY", "underlying_price": 150.0, "strike": 152.0}
    cells |= {"days": 30}
    cells |= {"right": "call", "multiplier": 10_000, "klass": "fx", "currency": "JPY"}
    options = book(row("USDJPY", "option", -2, 1.20, fx_rate=0.00667, **cells))
    assert usd_rates(options).tolist() == pytest.approx([0.00667])
    assert regt_margin(options).total == pytest.approx(693.68, abs=0.005)
    with pytest.raises(MissingDataError, match="row 2, fx_rate: a position in JPY needs"):
        usd_rates(book(row("USDJPY", "option", -2, 1.20, **cells)))  # a premium is no rate


@pytest.mark.parametrize("regime", ["risk", "account"])
def test_the_margin_call_of_a_usd_base_pair_without_a_rate_is_the_one_with_it(regime: str) -> None:
    blank, rated = book(*usdjpy()), book(*usdjpy(fx_rate=1 / 150))
    for equity in (30_000.0, 300_000.0):
        got = margin_call_move(blank, equity, SETTINGS, regime).table()  # main: MissingDataError
        assert got == margin_call_move(rated, equity, SETTINGS, regime).table()


def test_the_plan_of_a_usd_base_pair_without_a_rate_closes_whole_dollars() -> None:
    blank = book(*usdjpy())
    plan = liquidation_plan(blank, 30_000.0, SETTINGS, "risk")  # main: MissingDataError
    assert plan.status == "optimal" and plan.after <= 30_000.0
    assert plan.trades == liquidation_plan(book(*usdjpy(fx_rate=1 / 150)), 30_000.0, SETTINGS, "risk").trades
    for _, _, quantity, _ in plan.trades:
        assert quantity == round(quantity)  # main (with a rate): USDJPY 357,640.4498…
    yen = [t for t in plan.trades if t[1] == "USDJPY"]
    assert yen and yen[0][3] == pytest.approx(abs(yen[0][2]))  # a unit of USDJPY is one dollar


MIXED = [  # R1's book.csv less its bond: the risk plan at equity 40,000 closed EURUSD −0.0006 on main
    stock("AAPL", 500, 260.0),
    stock("TSLA", -100, 400.0),
    stock("PENNY", -1000, 4.0),
    row("AAPL", "option", -5, 5.2, underlying="AAPL", underlying_price=260, strike=280, expiry="2027-01-15",
        right="call", multiplier=100),
    row("SPY", "option", -3, 8.5, underlying="SPY", underlying_price=690, strike=650, expiry="2027-01-15",
        right="put", multiplier=100),
    row("SPY", "option", 3, 4.0, underlying="SPY", underlying_price=690, strike=620, expiry="2027-01-15",
        right="put", multiplier=100),
    row("ESH7", "future", 2, 6950.0, expiry="2027-03-19", multiplier=50),
    row("EURUSD", "fx", 100_000, 1.16),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["fx", "cfd"])
def test_the_plan_closes_fx_and_cfds_in_whole_units(kind: str) -> None:
    rows = [r if r[0] != "EURUSD" else row("EURUSD", kind, 100_000, 1.16) for r in MIXED]
    plan = liquidation_plan(book(*rows), 40_000.0, SETTINGS, "risk")
    assert plan.status == "optimal" and plan.trades
    quantities = np.array([t[2] for t in plan.trades])
    assert np.array_equal(quantities, np.round(quantities)), plan.trades  # main: EURUSD −0.0006
    assert all(q != 0.0 for q in quantities)  # no trade shown as 0.00


def test_a_fractional_fx_holding_is_closed_in_whole_units_or_entirely() -> None:
    rows = [stock("AAPL", 100, 260.0), row("USDJPY", "fx", -500_000.5, 150.0)]
    plan = liquidation_plan(book(*rows), 30_000.0, SETTINGS, "risk")
    yen = [t[2] for t in plan.trades if t[1] == "USDJPY"]
    assert yen and (yen[0] == round(yen[0]) or yen[0] == 500_000.5)


def test_the_hedge_buys_fx_and_cfds_in_whole_units() -> None:
    """The hedge's promise checked the same way (it held on main: its candidates were whole)."""
    held = book(row("EURUSD", "fx", 100_000.0, 1.16))
    header = ["symbol", "type", "quantity", "price", "min_qty", "max_qty"]
    table = [header, ["EURUSD", "fx", 0, 1.16, -150_000.5, 0], ["GBPUSD", "cfd", 0, 1.27, -50_000.5, 0]]
    result = hedge_optimize(held, read_candidates(table, AS_OF), SETTINGS, "risk")
    traded = np.array([t[2] for t in result.trades])
    assert traded.size and np.array_equal(traded, np.round(traded))


def test_plan_prints_nothing_when_its_second_answer_fails(tmp_path: Path, capsys, monkeypatch) -> None:
    """Exit 2 means nothing written: both answers are computed before either is printed."""
    import xlmargin.decisions as decisions
    from xlmargin.errors import InputError, Problem

    def refused(*_: object) -> None:
        raise InputError(Problem("refused here", 3, "fx_rate"))

    monkeypatch.setattr(decisions, "margin_call_move", refused)
    path = csv_file(
        tmp_path, "book.csv", [["symbol", "type", "quantity", "price"], ["AAPL", "stock", 100, 260]]
    )
    assert main(["plan", path, "--equity", "1000", "--regime", "risk", "--as-of", "2026-11-20"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "xlmargin: row 3, fx_rate: refused here\n"


def test_plan_of_a_usd_base_pair_without_a_rate_prints_both_answers(tmp_path: Path, capsys) -> None:
    table = [
        ["symbol", "type", "quantity", "price"],
        ["AAPL", "stock", 100, 260],
        ["USDJPY", "fx", -500000, 150],
    ]
    path = csv_file(tmp_path, "fxb2.csv", table)
    assert main(["plan", path, "--equity", "300000", "--regime", "risk", "--as-of", "2026-11-20"]) == 0
    out, err = capsys.readouterr()
    assert "no sale needed" in out and "market down" in out and err == ""
