"""Pricing inputs a quant review (R6) found read without a word or explained wrongly: a volatility
of 0 read as blank, the PM grid's summed row, a price beyond the implied-volatility search's cap,
and a stock's price beside its options' underlying price. Regression tests of the messages and
labels; the figures quoted are the engine's own (not golden values)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import xlmargin
from tests.conftest import AS_OF
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.excel import functions as fn
from xlmargin.pm.result import SUM_NOTE, SUM_ROW
from xlmargin.positions import read_positions
from xlmargin.pricing import SIGMA_MAX
from xlmargin.pricing.implied import implied_volatility_or_error

EXPIRY = AS_OF + dt.timedelta(days=60)
HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "right",
          "expiry", "volatility", "style"]  # fmt: skip


def _put(volatility: object, price: float = 2.0, strike: float = 100.0) -> list[object]:
    symbol = f"XYZ {strike:g}P"
    return [symbol, "option", -1.0, price, "XYZ", 100.0, strike, "P", EXPIRY, volatility, "american"]


# --- 1. a volatility of 0 is read as blank, now with a warning --------------------------------------


def _zero_vol_warnings(rows: list[list[object]]) -> list[str]:
    return [w for w in read_positions(rows, as_of=AS_OF).warnings if "volatility of 0" in w]


def test_a_typed_zero_volatility_is_read_as_blank_with_a_warning_naming_the_row() -> None:
    rows = [HEADER, _put(0.0), _put(0.25, strike=95.0), _put(0.0, price=5.0, strike=105.0)]
    [warning] = _zero_vol_warnings(rows)
    assert warning.startswith("rows 2, 4: a volatility of 0 is read as blank")
    assert "implied from the price" in warning and "give it as a decimal" in warning
    # still read as blank: the requirement is the one a blank volatility gives (implied, 1,300.07)
    blank = fn.pm_requirement([HEADER, _put(None)])
    assert fn.pm_requirement([HEADER, _put(0.0)]) == blank == pytest.approx(1300.07)


@pytest.mark.parametrize("blank", [None, "", " "])
def test_a_blank_volatility_gives_no_warning(blank: object) -> None:
    assert _zero_vol_warnings([HEADER, _put(blank)]) == []


def test_a_zero_volatility_on_a_stock_row_is_not_warned_of() -> None:
    stock = ["XYZ", "stock", 100.0, 100.0, None, None, None, None, None, 0.0, None]
    assert _zero_vol_warnings([HEADER, stock]) == []


def test_the_zero_volatility_warning_reaches_cells_the_api_and_the_cli(tmp_path, capsys) -> None:
    rows = [HEADER, _put(0.0)]
    for table in (fn.pm_breakdown(rows), fn.pm_scenarios(rows), fn.stress_table(rows)):
        assert any(r[0] == "warning" and "volatility of 0" in r[1] for r in table)
    frame = xlmargin.pm_breakdown(rows, as_of=AS_OF)
    assert frame.iloc[:, 1].astype(str).str.contains("volatility of 0").any()
    path = tmp_path / "zerovol.csv"
    path.write_text(
        "symbol,type,quantity,price,underlying,underlying_price,strike,right,days,volatility,style\n"
        "XYZ 100P,option,-1,2.0,XYZ,100,100,P,60,0,american\n"
    )
    main(["margin", str(path), "--regime", "pm", "--as-of", AS_OF.isoformat()])
    assert "row 2: a volatility of 0 is read as blank" in capsys.readouterr().err


def test_a_volatility_given_values_at_it() -> None:
    """The warning's advice: a tiny volatility values the short put at about its intrinsic value
    (the down move of 15% costs 15 a share, 1,500 a contract, nothing of the premium kept)."""
    assert fn.pm_requirement([HEADER, _put(0.0001)]) == pytest.approx(1500.0, abs=1.0)


# --- 2. the PM grid's last row says what it is --------------------------------------------------------


def test_the_grid_s_last_row_is_labelled_a_sum_of_class_groups_not_the_requirement(tmp_path, capsys) -> None:
    """pm/L_unrelated_hedge.csv of the review: XYZ at ±15% beside SPX at −8%/+6%: the row's −10,200
    at point −5 mixes −15% and −8%; the requirement is 18,600 (15,000 + 3,600)."""
    rows = [
        ["symbol", "type", "quantity", "price"],
        ["XYZ", "stock", 1000.0, 100.0],
        ["SPY", "etf", -100.0, 600.0],
    ]
    grid = fn.pm_scenarios(rows)
    last = grid[-1]
    assert last[:3] == [SUM_ROW, SUM_NOTE, "mixed"]
    assert "not the requirement" in SUM_NOTE
    assert last[3] == pytest.approx(-10_200.0)
    assert fn.pm_requirement(rows) == pytest.approx(18_600.0)
    assert xlmargin.pm_scenarios(rows).iloc[-1, :3].tolist() == last[:3]
    path = tmp_path / "hedge.csv"
    path.write_text("symbol,type,quantity,price\nXYZ,stock,1000,100\nSPY,etf,-100,600\n")
    main(["margin", str(path), "--regime", "pm", "--as-of", AS_OF.isoformat()])
    [printed] = [line for line in capsys.readouterr().out.splitlines() if line.startswith(SUM_ROW)]
    assert SUM_NOTE in printed and "mixed" in printed and "-10,200.00" in printed


def test_one_range_is_shown_on_the_sum_row_when_every_class_group_shares_it() -> None:
    rows = [
        ["symbol", "type", "quantity", "price"],
        ["XYZ", "stock", 100.0, 100.0],
        ["ABC", "stock", -50.0, 40.0],
    ]
    assert fn.pm_scenarios(rows)[-1][:3] == [SUM_ROW, SUM_NOTE, "±15%"]


# --- 3. a price beyond the search's cap is not called a no-arbitrage violation ---------------------


def _error(price: float, is_call: bool, is_american: bool, K: float = 100.0) -> str:
    with pytest.raises(InputError) as raised:
        implied_volatility_or_error(
            np.array([price]), 100.0, K, 60 / 365, 0.05, 0.0, is_call, is_american, False, lambda i: [7]
        )
    return str(raised.value)


def test_a_price_below_the_bound_but_beyond_the_cap_names_the_cap_not_a_bound() -> None:
    message = _error(99.0, True, True)  # S = 100: a call at 99 needs more than 1000% volatility
    assert message.startswith("row 7, price: price 99 implies a volatility above")
    assert f"cap of {SIGMA_MAX:.0%} (xlmargin.pricing.SIGMA_MAX)" in message
    assert "upper bound" not in message


@pytest.mark.parametrize(
    ("price", "is_call", "is_american", "K", "bound", "what"),
    [
        (100.5, True, True, 100.0, "100", "the underlying's price"),
        (120.5, False, True, 120.0, "120", "the strike"),
        (119.5, False, False, 120.0, "119.018", "the strike discounted at the rate"),
    ],
)
def test_a_price_above_the_no_arbitrage_bound_names_that_bound(
    price: float, is_call: bool, is_american: bool, K: float, bound: str, what: str
) -> None:
    message = _error(price, is_call, is_american, K)
    assert f"is above {bound}, the no-arbitrage upper bound ({what})" in message
    assert "cap" not in message


# --- 4. a stock's price beside its options' underlying price --------------------------------------


def test_a_stock_priced_apart_from_its_options_underlying_price_is_warned_of_naming_both() -> None:
    """pm/M_spot_mismatch.csv of the review: XYZ stock at 100, its call at underlying price 101."""
    rows = [
        HEADER,
        ["XYZ", "stock", 100.0, 100.0, None, None, None, None, None, None, None],
        ["XYZ 105C", "option", -1.0, 2.6, "XYZ", 101.0, 105.0, "C", EXPIRY, 0.30, None],
    ]
    warnings = read_positions(rows, as_of=AS_OF).warnings
    [warning] = [w for w in warnings if "underlying price" in w]
    assert "XYZ: row 2 price 100, option row 3 underlying_price 101" in warning
    assert "revalued from its own" in warning
    rows[2][5] = 100.0
    assert not [w for w in read_positions(rows, as_of=AS_OF).warnings if "underlying price" in w]


def test_a_trades_table_is_not_warned_of_as_a_book() -> None:
    rows = [
        HEADER,
        ["XYZ", "stock", 100.0, 100.0, None, None, None, None, None, None, None],
        ["XYZ 105C", "option", -1.0, 2.6, "XYZ", 101.0, 105.0, "C", EXPIRY, 0.30, None],
    ]
    assert not read_positions(rows, as_of=AS_OF, holdings=False).warnings
