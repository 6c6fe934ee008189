"""Inputs a fuzzing review (R7) found read silently or into a wrong figure: a blank price on a
currency pair, currency codes that are no ISO 4217 code, a multiplier of 0, a bond row without a
type, far valuation dates and expiries, lookalike headers. Regression tests of the refusals and
messages; the figures quoted are the engine's own (not golden values)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.excel.route import call
from xlmargin.positions import read_positions
from xlmargin.positions.build import UNTYPED_BOND, ZERO_MULTIPLIER
from xlmargin.stress.results import finite_pnl

PARAMS = [["as_of", "2026-11-20"]]

# --- 1. a blank price on a currency pair ------------------------------------------------------------

FX_BLANK = [
    ["symbol", "type", "quantity", "price"],
    ["EURUSD", "fx", 100000, ""],
    ["AAPL", "stock", 100, 200],
]
PRICE_NEEDED = "row 2, price: missing price: the EURUSD position is valued at its price (USD per EUR)"
IN_CELL = PRICE_NEEDED.replace("row 2,", "row 2 of the range,")  # a worksheet function's row: in its range


@pytest.mark.parametrize(
    "name, args",
    [
        ("RISK_MARGIN", (FX_BLANK, PARAMS, None)),
        ("STRESS_TABLE", (FX_BLANK, PARAMS, None)),
        ("ACCOUNT_MARGIN", (FX_BLANK, PARAMS)),
        ("ESMA_MARGIN", (FX_BLANK[:2], "USD", PARAMS)),
        ("MARGIN_IMPACT", (FX_BLANK[:2], FX_BLANK[::2], "risk", PARAMS)),
    ],
)
def test_a_blank_fx_price_is_named_by_row_wherever_the_price_is_needed(name: str, args: tuple) -> None:
    # the risk view gave 0.0 (NaN compares false in the worst-loss search), ESMA and the account view
    # "is not a finite number; check the inputs"
    found = call(name, *args)
    text = found if isinstance(found, str) else repr(found)
    assert IN_CELL in text


def test_a_blank_fx_price_stops_the_decisions_and_the_cli(tmp_path, capsys) -> None:
    move = call("MARGIN_CALL_MOVE", FX_BLANK, 1e5, "risk", PARAMS)
    plan = call("LIQUIDATION_PLAN", FX_BLANK, 1e3, "risk", PARAMS)
    assert IN_CELL in str(move) and IN_CELL in str(plan)
    path = tmp_path / "book.csv"
    path.write_text("symbol,type,quantity,price\nEURUSD,fx,100000,\nAAPL,stock,100,200\n")
    assert main(["margin", str(path), "--regime", "risk", "--as-of", "2026-11-20"]) != 0
    assert PRICE_NEEDED in capsys.readouterr().err


def test_an_eur_account_still_margins_a_eurusd_pair_without_its_price() -> None:
    # ESMA: a pair in the account's base currency is margined from the quantity alone (30:1 -> 3.33%)
    assert call("ESMA_MARGIN", FX_BLANK[:2], "EUR", PARAMS) == pytest.approx(3333.33)


def test_a_risk_total_that_is_not_finite_names_the_rows() -> None:
    pnl = np.array([[1.0, -2.0], [np.nan, 1.0], [0.5, 0.5]])
    with pytest.raises(InputError) as raised:
        finite_pnl(pnl.sum(axis=0), pnl, np.array([2, 3, 4]), np.ones(3))
    assert [(p.row, p.message.startswith("the risk view's P&L")) for p in raised.value.problems] == [
        (3, True)
    ]
    gross = np.array([1.0, 1.0, np.inf])
    with pytest.raises(InputError, match="row 4"):
        finite_pnl(np.zeros(2), np.zeros((3, 2)), np.array([2, 3, 4]), gross)
    finite_pnl(np.zeros(2), np.zeros((3, 2)), np.array([2, 3, 4]), np.ones(3))  # finite: no error


# --- 2. a currency that is no ISO 4217 code ---------------------------------------------------------

SAP = [
    ["symbol", "type", "quantity", "price", "currency", "fx_rate"],
    ["SAP", "stock", 100, 206.5, "EUR", 1.1745],
]


def _sap(currency: object, kind: str = "stock") -> list[list[object]]:
    return [SAP[0], ["SAP", kind, 100, 206.5, currency, 1.1745]]


@pytest.mark.parametrize(
    "currency, holds",
    [("EUR\u200b", " (it holds U+200B)"), ("\u0415UR", " (it holds U+0415)"), ("QQQ", ""), ("nan", "")],
)
@pytest.mark.parametrize("kind", ["stock", "cfd", "cash"])
def test_a_currency_that_is_no_iso_code_is_refused_naming_the_row(
    currency: str, holds: str, kind: str
) -> None:
    # each was margined as "not USD" at the row's rate without a currency factor: 9,677.12 against
    # EUR's 11,367.97 in the risk view
    expected = f"row 2 of the range, currency: '{currency}' is not an ISO 4217 currency code{holds}"
    for name, args in (("RISK_MARGIN", (PARAMS, None)), ("ACCOUNT_MARGIN", ([*PARAMS, ["fx.USD", 1]],))):
        assert expected in call(name, _sap(currency, kind), *args)


def test_a_long_currency_is_shortened_and_codes_and_minor_units_still_read() -> None:
    text = call("RISK_MARGIN", _sap("E" * 40_000), PARAMS, None)
    assert "(40,000 characters)" in text and len(text) < 400
    assert (
        call("RISK_MARGIN", _sap(" eur "), PARAMS, None) == call("RISK_MARGIN", SAP, PARAMS, None) == 11367.97
    )
    assert isinstance(call("RISK_MARGIN", _sap("GBX"), PARAMS, None), float)  # pence: esma.toml minor_units


# --- 3. a multiplier of 0 -----------------------------------------------------------------------------

OPTION = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right",
          "multiplier"]  # fmt: skip


def _call(multiplier: object) -> list[object]:
    return ["SPX C6300", "option", -2, 18.4, "SPX", 5985, 6300, 28, "call", multiplier]


def _zero_multiplier(rows: list[list[object]]) -> list[str]:
    return [w for w in read_positions(rows, as_of=AS_OF).warnings if ZERO_MULTIPLIER in w]


def test_a_multiplier_of_0_is_read_as_blank_with_a_warning_naming_the_rows() -> None:
    rows = [OPTION, _call(0), _call(100), _call(-0.0), _call("0"), ["AAPL", "stock", 1, 100, *[None] * 5, 0]]
    [warning] = _zero_multiplier(rows)
    assert warning.startswith("rows 2, 4, 5: a multiplier of 0 is read as blank")  # not the stock's row 6
    assert "an option 100" in warning
    # still read as blank: the requirement is the one a blank multiplier gives
    assert call("REGT_MARGIN", [OPTION, _call(0)], None, None, PARAMS) == call(
        "REGT_MARGIN", [OPTION, _call(None)], None, None, PARAMS
    )
    assert _zero_multiplier([OPTION, _call(None), _call(100)]) == []


def test_the_zero_multiplier_warning_reaches_a_table() -> None:
    table = call("REGT_BREAKDOWN", [OPTION, _call(0)], None, None, PARAMS)
    assert any(ZERO_MULTIPLIER in str(cell) for line in table for cell in line)


# --- 4. a bond's row without a type -------------------------------------------------------------------

BOND = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon"]


@pytest.mark.parametrize(
    "maturity, coupon, asset_class",
    [("2031-05-15", 4.25, "treasury"), ("2031-05-15", None, "treasury"), (None, 4.25, None), (5, None, None)],
)
def test_a_row_with_a_bonds_terms_but_no_type_is_refused(
    maturity: object, coupon: object, asset_class: object
) -> None:
    # it was 100,000 shares of a stock: PM 1,488,000, Reg T 4,960,000
    rows = [BOND, ["UST 4.25 2031", "", 100000, 99.2, asset_class, maturity, coupon]]
    for name, args in (("PM_REQUIREMENT", (PARAMS,)), ("REGT_MARGIN", (None, None, PARAMS))):
        assert call(name, rows, *args) == f"#INPUT row 2 of the range, type: {UNTYPED_BOND}"


def test_a_bond_fund_without_a_type_or_terms_still_reads_as_a_fund() -> None:
    rows = [BOND, ["TLT", None, 100, 90.0, "treasury", None, None]]
    assert call("REGT_MARGIN", rows, None, None, PARAMS) == 4500.0
    typed = [BOND, ["UST 4.25 2031", "bond", 100000, 99.2, "treasury", "2031-05-15", 4.25]]
    assert isinstance(call("REGT_MARGIN", typed, None, None, PARAMS), float)


# --- 5. the column or parameter a message names ----------------------------------------------------


def _bond(coupon: object) -> list[list[object]]:
    return [BOND, ["ACME", "bond", 50000, 101.5, "corporate", "2030-06-01", coupon]]


@pytest.mark.parametrize("coupon", [-5, "(5)", -0.5])
def test_a_negative_coupon_is_refused_where_it_is_read(coupon: object) -> None:
    # Reg T margined it (5,075.00); the risk view blamed the price
    for name, args in (("RISK_MARGIN", (PARAMS, None)), ("REGT_MARGIN", (None, None, PARAMS))):
        assert call(name, _bond(coupon), *args).startswith(
            "#INPUT row 2 of the range, coupon: a coupon cannot be negative"
        )


@pytest.mark.parametrize("coupon, shown", [(500, "500%"), (1e15, "1e+15%")])
def test_an_absurd_coupon_is_named_when_no_yield_gives_the_price(coupon: float, shown: str) -> None:
    text = call("RISK_MARGIN", _bond(coupon), PARAMS, None)
    assert text.startswith("#INPUT row 2 of the range, coupon: no yield between -5% and 100% gives the price")
    assert "gives the price 101.5" in text
    assert f"at a coupon of {shown}" in text
    assert isinstance(call("RISK_MARGIN", _bond(4.25), PARAMS, None), float)


STOCK = [["symbol", "type", "quantity", "price"], ["AAPL", "stock", 100, 200]]


@pytest.mark.parametrize("currency", [-1, True, "2026-01-01", "\u0415UR", "QQQ"])
def test_a_garbage_account_currency_is_refused_on_its_params_row(currency: object) -> None:
    # it was taken for a currency: "give fx.USD (-1 per USD) to add them to a -1 account"
    text = call("ACCOUNT_MARGIN", STOCK, [*PARAMS, ["account_currency", currency]])
    assert text.startswith("#INPUT row 2 of the range, params: account_currency: '")
    assert "is not an ISO 4217 currency code" in text
    assert call("ACCOUNT_MARGIN", STOCK, [*PARAMS, ["account_currency", " usd "]]) == 10000.0


def test_an_fx_parameter_of_0_names_its_params_row() -> None:
    params = [*PARAMS, ["account_currency", "EUR"], ["fx.USD", 0]]
    refused = "#INPUT row 3 of the range, params: fx.USD: must be above 0, got 0"
    assert call("ACCOUNT_MARGIN", STOCK, params) == refused


# --- 6. far valuation dates and expiries, k of 0 ----------------------------------------------------

FOP = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "expiry", "right"]


def _fop(expiry: object) -> list[object]:
    return ["ES C6100", "fop", -1, 55, "ESZ6", 6000, 6100, expiry, "C"]


@pytest.mark.parametrize(
    "as_of, shown", [("1900-01-01", "1900-01-01"), (2, "1900-01-01"), ("1000-01-01", "1000-01-01")]
)
def test_a_valuation_date_before_march_1900_is_refused(as_of: object, shown: str) -> None:
    # each gave the option a century (or a thousand years) to expiry: 15,663.18 against 15,589.91
    text = call("FUTURES_MARGIN", [FOP, _fop("2026-12-18")], [["as_of", as_of]])
    before = f"#INPUT row 1 of the range, params: as_of: the valuation date {shown} is before 1900-03-01"
    assert text.startswith(before)
    assert isinstance(call("FUTURES_MARGIN", [FOP, _fop("2026-12-18")], [["as_of", "1900-03-01"]]), str)
    with pytest.raises(InputError, match="as_of: the valuation date 1899-12-31"):
        read_positions([FOP, _fop("2026-12-18")], as_of=dt.date(1899, 12, 31))


def test_an_expiry_beyond_the_rules_years_max_is_refused_on_its_row() -> None:
    most = rules.load("symbols")["expiry"]["years_max"]
    assert most == 30
    rows = [FOP, _fop("2026-12-18"), _fop("2066-12-18")]
    text = call("FUTURES_MARGIN", rows, PARAMS)
    assert text.startswith("#INPUT row 3 of the range, expiry: expiry 40 years after the valuation date")
    assert "after the valuation date 2026-11-20" in text
    assert "more than 30 (symbols.toml [expiry] years_max)" in text
    days = [[*OPTION[:8], "right"], ["XYZ C100", "option", 1, 2.0, "XYZ", 100, 100, 20_000, "C"]]
    assert call("REGT_MARGIN", days, None, None, PARAMS).startswith(
        "#INPUT row 2 of the range, days: 20000 days to expiry"
    )
    assert isinstance(call("FUTURES_MARGIN", rows[:2], PARAMS), float)


def test_a_k_of_0_is_refused_on_its_params_row() -> None:
    assert (
        call("RISK_MARGIN", STOCK, [*PARAMS, ["k", 0]], None)
        == "#INPUT row 2 of the range, params: k: must be above 0, got 0"
    )


# --- 7. a header that only looks right -------------------------------------------------------------


@pytest.mark.parametrize("header", ["\u0440ri\u0441e", "price\u200b", "pricx", "prics"])
def test_a_lookalike_price_header_is_named_once(header: str) -> None:
    # every row said "missing price", naming no cause
    rows = [["symbol", "type", "quantity", header], ["AAPL", "stock", 100, 200], ["MSFT", "stock", 10, 400]]
    with pytest.raises(InputError) as raised:
        read_positions(rows, as_of=AS_OF)
    [problem] = raised.value.problems
    assert problem.row == 1
    assert problem.message == (
        f"no price column: '{header}' (the table's column D) is not recognised; did you mean price?"
    )


def test_a_lookalike_required_header_is_named_beside_its_absence_and_an_optional_one_warned_of() -> None:
    with pytest.raises(
        InputError, match=r"missing required column 'quantity'.*'quantiti' .* did you mean quantity"
    ):
        read_positions([["symbol", "quantiti", "price"], ["AAPL", 100, 200]], as_of=AS_OF)
    found = read_positions([["symbol", "quantity", "price", "strke"], ["AAPL", 100, 200, None]], as_of=AS_OF)
    assert (
        "no strike column: 'strke' (the table's column D) is not recognised; did you mean strike?"
        in found.warnings
    )
    # a column that is present is never "meant": an extra 'prices' beside price is only ignored
    found = read_positions([["symbol", "quantity", "price", "prices"], ["AAPL", 100, 200, 1]], as_of=AS_OF)
    assert not any("did you mean" in w for w in found.warnings)
