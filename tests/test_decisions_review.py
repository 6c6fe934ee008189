"""The decision tools checked against brute force and by hand (second review, as_of 2026-11-20):

- the margin call in a non-USD account reads the table as the account view does (``fx_rates``) on
  every path, its stress scenario included: one answer under either reading;
- the liquidation plan sells positions, never converts cash (margin-rules.md: a call is met by
  selling positions or depositing), and closes a fractional holding entirely when it must;
- the uniform move moves a leveraged or inverse fund by its leverage × the move, as the risk view
  moves it (beta × leverage, stress.toml) and as portfolio margin widens its scan (pm.toml
  [leveraged_etf]);
- the candidates' min_qty, max_qty and cost cells are read by the positions reader's number rule.

Hand figures use pm.toml's ranges (margin-rules.md §2.3): SPY's high-cap index group −8%/+6%, an
equity class group ±15%.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin.cli import main
from xlmargin.decisions import decision_settings, liquidation_plan, margin_call_move, read_candidates
from xlmargin.decisions._common import notional, requirement, with_quantities
from xlmargin.errors import InputError
from xlmargin.excel.route import call
from xlmargin.positions import read_positions

SETTINGS = decision_settings({"as_of": AS_OF}, AS_OF)
PER_USD = 0.9  # fx.USD: EUR per USD
FX_HEADER = ["symbol", "type", "quantity", "price", "currency", "fx_rate", "underlying", "underlying_price",
             "strike", "days", "right", "volatility"]  # fmt: skip


def fx_book(in_usd: bool, rows: tuple[int, ...] = (0, 1, 2)) -> list[list[object]]:
    """SAP in euros, XYZ and a put on it in dollars: rates USD per unit, or (the same) EUR per unit."""
    usd, eur = (1.0, 1 / PER_USD) if in_usd else (PER_USD, 1.0)
    table = [
        ["SAP", "stock", 100.0, 200.0, "EUR", eur],
        ["XYZ", "stock", 200.0, 100.0, "USD", usd],
        ["XYZ P95", "option", -10.0, 1.5, "USD", usd, "XYZ", 100.0, 95.0, 30.0, "put", 0.3],
    ]
    return [FX_HEADER, *[[*table[i], *[None] * (12 - len(table[i]))] for i in rows]]


def eur_settings(in_usd: bool):
    reading = {"fx_rates": "usd"} if in_usd else {}
    return decision_settings({"as_of": AS_OF, "account_currency": "EUR", "fx.USD": PER_USD, **reading}, AS_OF)


# --- the margin call in an account currency ---------------------------------------------------------


@pytest.mark.parametrize("rows", [(0, 1, 2), (0,), (1, 2)])
@pytest.mark.parametrize("equity", [15_000.0, 40_000.0])
def test_the_account_margin_call_is_one_answer_under_either_fx_rates_reading(rows, equity):
    """The margin call refused a euro table with a dollar row (its stress scenario read the table's
    EUR-per-unit rates as USD per unit: "its rate is 1, not 0.9"), and on a euro row alone read 1
    EUR as 1 USD: the scenario's call came at scale 1.2104 under fx_rates=account and 1.0746 under
    fx_rates=usd for the same book."""
    tables = [
        margin_call_move(
            read_positions(fx_book(b, rows), as_of=AS_OF), equity, eur_settings(b), "account"
        ).table()
        for b in (True, False)
    ]
    assert len(tables[0]) == len(tables[1]) == 5
    for usd_row, eur_row in zip(tables[0], tables[1], strict=True):
        assert usd_row[0] == eur_row[0] and usd_row[4] == eur_row[4]
        assert usd_row[1:4] == pytest.approx(eur_row[1:4], abs=0.011)


def test_margin_call_move_in_a_euro_account_gives_a_table_in_the_worksheet():
    params = [["as_of", "2026-11-20"], ["account_currency", "EUR"], ["fx.USD", PER_USD]]
    table = call("MARGIN_CALL_MOVE", fx_book(False, (0, 1)), 10_000.0, "account", params)
    assert isinstance(table, list), table
    # a call is measured against maintenance (FINRA 4210(c)): ACCOUNT_MARGIN's on that basis
    assert table[1][:4] == ["now", 0.0, 10_000.0, 9_500.0]
    assert call("ACCOUNT_MARGIN", fx_book(False, (0, 1)), [*params, ["basis", "maintenance"]]) == 9_500.0
    initial = call(
        "MARGIN_CALL_MOVE", fx_book(False, (0, 1)), 10_000.0, "account", [*params, ["basis", "initial"]]
    )
    assert initial[1][:4] == ["now", 0.0, 10_000.0, 19_000.0]  # ACCOUNT_MARGIN's 19,000
    assert call("ACCOUNT_MARGIN", fx_book(False, (0, 1)), params) == 19_000.0


# --- the uniform move of a leveraged fund -------------------------------------------------------------


def leveraged(*rows: list[object]):
    return read_positions(
        [["symbol", "type", "quantity", "price", "underlying", "leverage"], *rows], as_of=AS_OF
    )


def test_a_leveraged_fund_moves_by_its_leverage_times_the_uniform_move():
    """UPRO (3× SPY) 200 @ 90: portfolio margin scans SPY's group at −8% × 3, 4,320 now. Moving UPRO
    by 3m: 6,000 + 18,000 × 3m = 0.24 × 18,000 × (1 + 3m), so m = −1,680 / 41,040 = −4.0936%
    (by the same move as SPY, m = −1,680 / 13,680 = −12.28%)."""
    result = margin_call_move(leveraged(["UPRO", "etf", 200, 90.0, "SPY", 3]), 6_000.0, SETTINGS, "pm")
    assert result.requirement == 4_320.0
    down = result.crossings[0]
    assert down.at == pytest.approx(-1_680 / 41_040, abs=2e-6)
    assert "UPRO (row 2) ×3" in down.note and "leverage × the move" in down.note


def test_an_inverse_fund_loses_when_the_market_rises():
    """SH (−1× SPY) 100 @ 40 long: the market up m is SH down m. 1,000 − 4,000m = 0.08 × 4,000 ×
    (1 − m) gives m = 680 / 3,680 = +18.48%; a fall only gains."""
    result = margin_call_move(leveraged(["SH", "etf", 100, 40.0, "SPY", -1]), 1_000.0, SETTINGS, "pm")
    down, up = result.crossings[:2]
    assert down.at is None and down.equity > 1_000.0
    assert up.at == pytest.approx(680 / 3_680, abs=2e-6)


def test_a_hedged_leveraged_pair_is_called_where_the_fund_is_worth_almost_nothing():
    """SPY +100 @ 600 against UPRO −222 @ 90: the reviewer's book was called at −1.2993% when UPRO
    moved as SPY. Moved 3×, the pair's P&L is 60m until UPRO reaches 0 at −1/3: no call before."""
    book = leveraged(["SPY", "etf", 100, 600.0, None, None], ["UPRO", "etf", -222, 90.0, "SPY", 3])
    down = margin_call_move(book, 10_000.0, SETTINGS, "pm").crossings[0]
    assert down.at is not None and down.at < -1 / 3


# --- the liquidation plan: cash and fractions ---------------------------------------------------------

CASH = read_positions(
    [["symbol", "type", "quantity", "price", "currency", "fx_rate"],
     ["SPY", "etf", 10, 600.0, None, None], ["EUR", "cash", 100_000, None, "EUR", 1.1]],
    as_of=AS_OF,
)  # fmt: skip


def test_the_plan_does_not_convert_cash_to_meet_a_call():
    """The plan converted all €100,000 (notional 0.00) as the least sale: cash is not a position
    to sell. Without SPY the book's risk is the euro's alone, above 14,155.20: no sale meets it."""
    before = requirement("risk", CASH, SETTINGS)
    cash_only = requirement("risk", with_quantities(CASH, np.array([0.0, 100_000.0])), SETTINGS)
    with pytest.raises(InputError) as raised:
        liquidation_plan(CASH, 0.8 * before, SETTINGS, "risk")
    message = str(raised.value)
    assert f"leaves the risk requirement at {cash_only:,.2f}" in message
    assert "cash is not sold by the plan" in message
    # within reach, only SPY is sold: the least whole shares after which the requirement fits
    equity = (before + cash_only) / 2
    plan = liquidation_plan(CASH, equity, SETTINGS, "risk")
    assert [t[1] for t in plan.trades] == ["SPY"]
    least = next(
        k
        for k in range(11)
        if requirement("risk", with_quantities(CASH, np.array([10.0 - k, 1e5])), SETTINGS) <= equity
    )
    assert plan.trades[0][2] == -least and plan.notional == pytest.approx(600.0 * least)


FRACTION = read_positions(
    [["symbol", "type", "quantity", "price"], ["XYZ", "stock", 10.5, 100.0]], as_of=AS_OF
)


def test_a_fractional_holding_can_be_sold_entirely():
    """XYZ 10.5 @ 100 needs 157.50 (15%); the plan could close 10 shares only, leaving 7.50 > 5, and
    said that selling everything leaves 0.00, above 5.00."""
    plan = liquidation_plan(FRACTION, 5.0, SETTINGS, "pm")
    assert plan.trades == ((2, "XYZ", -10.5, 1_050.0),) and plan.after == 0.0
    # whole shares still suffice where they can: 7.50 is met by 10 shares
    assert liquidation_plan(FRACTION, 7.5, SETTINGS, "pm").trades == ((2, "XYZ", -10.0, 1_000.0),)


@pytest.mark.parametrize("regime", ["pm", "risk"])
def test_a_fractional_plan_is_the_brute_force_least_of_whole_units_or_all(regime):
    book = read_positions(
        [
            ["symbol", "type", "quantity", "price"],
            ["XYZ", "stock", 3.5, 100.0],
            ["ABC", "stock", -2.25, 50.0],
        ],
        as_of=AS_OF,
    )
    q, size = book.arrays["quantity"], notional(book)
    choices = [[*range(int(abs(v)) + 1), abs(v)] for v in q]  # whole units, or the whole holding
    for share in (0.6, 0.3, 0.01):
        equity = share * requirement(regime, book, SETTINGS)
        plan = liquidation_plan(book, equity, SETTINGS, regime)
        least = min(
            float(size @ np.array(y))
            for y in itertools.product(*choices)
            if requirement(regime, with_quantities(book, q - np.sign(q) * np.array(y)), SETTINGS) <= equity
        )
        assert plan.notional == pytest.approx(least, abs=0.01)
        assert plan.after <= equity + 0.005


def test_the_plan_command_sells_a_fractional_holding(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """`xlmargin plan frac.csv --equity 5` exited 2: "selling everything ... leaves 0.00, above 5.00"."""
    path = tmp_path / "frac.csv"
    path.write_text("symbol,type,quantity,price\nXYZ,stock,10.5,100\n")
    assert main(["plan", str(path), "--equity", "5", "--as-of", "2026-11-20"]) == 0
    assert "-10.50" in capsys.readouterr().out


# --- the candidates table -------------------------------------------------------------------------------

CANDIDATE_HEADER = ["symbol", "type", "quantity", "price", "min_qty", "max_qty", "cost"]


def one_candidate(quantity: float, low: object, high: object, cost: object = None):
    return read_candidates([CANDIDATE_HEADER, ["XYZ", "stock", quantity, 100.0, low, high, cost]], AS_OF)


def test_a_blank_bound_is_the_rows_quantity_side_of_zero():
    c = one_candidate(5.0, 2.0, None)  # min 2, max blank: buy 2 to 5
    assert (c.low[0], c.high[0]) == (2.0, 5.0)
    c = one_candidate(-5.0, None, -1.0)  # sell 1 to 5
    assert (c.low[0], c.high[0]) == (-5.0, -1.0)
    c = one_candidate(5.0, -3.0, "")  # a sale of up to 3 or a purchase of up to 5
    assert (c.low[0], c.high[0]) == (-3.0, 5.0)
    c = one_candidate(5.0, -3.0, 0.0)  # a 0 beside a bound given is 0
    assert (c.low[0], c.high[0]) == (-3.0, 0.0)
    with pytest.raises(InputError) as raised:
        one_candidate(0.0, 2.0, None)
    assert str(raised.value) == (
        "row 2, candidates: min_qty 2 is above the blank max_qty, which is the row's quantity or 0 "
        "when the quantity is below 0 (0 here): give max_qty"
    )
    with pytest.raises(InputError, match=r"min_qty 2 is above max_qty 0 \(Office\.js hands a blank"):
        one_candidate(5.0, 2.0, 0.0)


def test_candidate_cells_read_as_the_positions_table_reads_numbers():
    c = one_candidate(0.0, None, "1,000", "$1,000")
    assert (c.high[0], c.cost[0]) == (1_000.0, 1_000.0)
    # a cost is an amount: '5%' is refused as the positions table refuses it in a price (it read 0.05)
    with pytest.raises(
        InputError, match=r"row 2, candidates cost: '5%' is a percentage, but cost is an amount"
    ):
        one_candidate(0.0, None, 10.0, "5%")
    cases = {
        "#N/A": "row 2, candidates min_qty: the cell holds the error value #N/A",
        "x": "row 2, candidates min_qty: 'x' is not a number",
        "#INPUT row 3, price: blank": "row 2, candidates min_qty: the cell holds an error, not a number",
        "1,5": "row 2, candidates min_qty: '1,5' is not a number: a comma is read only as a thousands",
    }
    for cell, message in cases.items():
        with pytest.raises(InputError) as raised:
            one_candidate(5.0, cell, None)
        assert str(raised.value).startswith(message)
    with pytest.raises(InputError, match="row 2, candidates min_qty: True is not a number"):
        one_candidate(5.0, True, None)
