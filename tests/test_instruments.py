"""Bond pricing from yield, bond ETFs, the curve, futures roots and FX pair decomposition."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import AS_OF
from xlmargin import instruments as ins
from xlmargin.errors import InputError, MissingDataError
from xlmargin.positions import read_positions


def slow_dirty_price(coupon: float, y: float, maturity: float, f: int = 2) -> float:
    """Every cash flow discounted one by one: the obvious twin of ``bond_dirty_price``."""
    n = max(math.ceil(maturity * f - 1e-9), 1)
    w = maturity * f - (n - 1)
    price = 0.0
    for k in range(n):
        flow = coupon / f * 100.0 + (100.0 if k == n - 1 else 0.0)
        price += flow / (1.0 + y / f) ** (w + k)
    return price


# --- bonds -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("maturity", [0.5, 1.0, 2.0, 7.5, 10.0, 30.0])
@pytest.mark.parametrize("coupon", [0.0125, 0.05, 0.0775])
def test_par_bond_at_its_coupon_yield_prices_100(coupon: float, maturity: float) -> None:
    # Identity: on a coupon date, a bond whose yield equals its coupon rate is priced at par.
    assert ins.bond_price(coupon, coupon, maturity) == pytest.approx(100.0, abs=1e-9)


def test_par_bond_duration_is_the_annuity_factor() -> None:
    # Identity (Tuckman & Serrat, Fixed Income Securities, ch. 4): a par bond's modified duration is
    # (1 − (1 + y/f)^(−fT)) / y; for 10 years at 5 % semi-annual, 7.7946.
    duration, convexity = ins.bond_risk(0.05, 0.05, 10.0)
    assert duration == pytest.approx((1 - 1.025**-20) / 0.05, rel=1e-12)
    assert duration == pytest.approx(7.7946, abs=1e-4)
    assert convexity > duration**2 / 2


def test_zero_coupon_duration_is_maturity_over_one_plus_periodic_yield() -> None:
    duration, _ = ins.bond_risk(0.0, 0.04, 10.0)
    assert duration == pytest.approx(10.0 / 1.02, rel=1e-12)


@given(
    coupon=st.floats(0.0, 0.12),
    y=st.floats(-0.01, 0.15),
    maturity=st.floats(0.01, 30.0),
)
def test_closed_form_price_equals_the_cash_flow_sum(coupon: float, y: float, maturity: float) -> None:
    assert ins.bond_dirty_price(coupon, y, maturity) == pytest.approx(
        slow_dirty_price(coupon, y, maturity), rel=1e-11
    )


@given(
    coupon=st.floats(0.0, 0.12),
    y=st.floats(-0.01, 0.15),
    maturity=st.floats(0.05, 30.0),
)
def test_yield_solve_inverts_the_price(coupon: float, y: float, maturity: float) -> None:
    price = ins.bond_price(coupon, y, maturity)
    assert ins.bond_yield(price, coupon, maturity) == pytest.approx(y, abs=1e-9)


def test_yield_solve_is_vectorised_and_flags_impossible_prices() -> None:
    coupons = np.array([0.04, 0.03, 0.05, 0.0, 0.04])
    maturities = np.array([9.73, 0.2, 30.0, 2.3, 10.0])
    yields = np.array([0.045, 0.02, 0.05, 0.04, 0.0])
    prices = ins.bond_price(coupons, yields, maturities)
    prices[-1] = 300.0  # needs a yield below the bracket's −5 %
    solved = ins.bond_yield(prices, coupons, maturities)
    np.testing.assert_allclose(solved[:-1], yields[:-1], atol=1e-10)
    assert np.isnan(solved[-1])


def test_accrued_interest_is_linear_in_the_period() -> None:
    # 9.75 years left on a semi-annual bond: half of the current period has elapsed.
    assert ins.accrued_interest(0.06, 9.75) == pytest.approx(1.5)
    assert ins.bond_price(0.06, 0.05, 9.75) == pytest.approx(ins.bond_dirty_price(0.06, 0.05, 9.75) - 1.5)


def test_risk_matches_finite_differences() -> None:
    y, h = 0.045, 1e-5
    price = ins.bond_dirty_price(0.04, y, 9.73)
    up, down = ins.bond_dirty_price(0.04, y + h, 9.73), ins.bond_dirty_price(0.04, y - h, 9.73)
    duration, convexity = ins.bond_risk(0.04, y, 9.73)
    assert duration == pytest.approx(-(up - down) / (2 * h * price), rel=1e-7)
    assert convexity == pytest.approx((up + down - 2 * price) / (h * h * price), rel=1e-4)


def test_full_repricing_beats_the_taylor_approximations_on_a_large_move() -> None:
    # A 300 bp rise on a 30-year par bond: duration alone says −49 %, duration and convexity −32 %,
    # full repricing −36 %. Bonds are therefore repriced, not approximated.
    duration, convexity = ins.bond_risk(0.045, 0.045, 30.0)
    exact = ins.bond_price(0.045, 0.075, 30.0) / 100.0 - 1.0
    first = ins.duration_return(duration, 0.0, 0.03)
    second = ins.duration_return(duration, convexity, 0.03)
    assert first < exact < second
    assert abs(second - exact) < abs(first - exact)


# --- bond ETFs and the curve -------------------------------------------------------------------------


def test_bond_etf_table() -> None:
    tlt, shy = ins.bond_etf("tlt"), ins.bond_etf("SHY")
    assert tlt is not None and shy is not None and ins.bond_etf("SPY") is None
    assert tlt.duration > 10 > shy.duration
    assert ins.bond_etf("HYG").spread_factor == "hy_spread"  # type: ignore[union-attr]
    assert ins.duration_return(16.4, 350.0, 0.01) == pytest.approx(-0.164 + 0.5 * 350.0 * 1e-4)


def test_curve_weights_interpolate_between_nodes_and_stay_flat_beyond() -> None:
    assert [t for t, _ in ins.curve_tenors()] == ["ust_2y", "ust_10y", "ust_30y"]
    w = ins.curve_weights([0.5, 2.0, 6.0, 10.0, 25.5, 40.0])
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    np.testing.assert_allclose(w[[0, 1, 3, 5]], [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_allclose(w[2], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(w[4], [0.0, 0.225, 0.775])


# --- futures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "root"),
    [
        ("ESZ6", "ES"),
        ("MESZ26", "MES"),
        ("6EH7", "6E"),
        ("ZN", "ZN"),
        ("gcq6", "GC"),
        ("ESX", None),
        ("AAPL", None),
    ],
)
def test_future_root(symbol: str, root: str | None) -> None:
    assert ins.future_root(symbol) == root


def test_future_specs_carry_factor_and_multiplier() -> None:
    # CME contract specifications: E-mini S&P $50 × index, 10-year note $1,000 per point, Euro FX 125,000 EUR.
    es, zn, euro = ins.future_spec("ESZ6"), ins.future_spec("ZNH7"), ins.future_spec("6E")
    assert es is not None and (es.factor, es.multiplier) == ("us_equity", 50.0)
    assert zn is not None and (zn.factor, zn.multiplier) == ("rates", 1000.0) and zn.duration > 0
    assert euro is not None and (euro.factor, euro.currency, euro.multiplier) == ("currency", "EUR", 125000.0)


# --- currencies --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "pair"),
    [
        ("EURUSD", ("EUR", "USD")),
        ("eur/usd", ("EUR", "USD")),
        ("USD.JPY", ("USD", "JPY")),
        ("XAUUSD", ("XAU", "USD")),
    ],
)
def test_fx_pair(symbol: str, pair: tuple[str, str]) -> None:
    found = ins.fx_pair(symbol)
    assert found is not None and (found.base, found.quote) == pair


@pytest.mark.parametrize("symbol", ["EURUSDX", "ABCDEF", "USDUSD", "SPY"])
def test_not_a_pair(symbol: str) -> None:
    assert ins.fx_pair(symbol) is None


HEADER = ["symbol", "type", "quantity", "price", "currency", "fx_rate", "multiplier"]


def test_article_example_long_eurusd_short_gbpusd_nets_the_dollar() -> None:
    # The second seed article: long one dollar pair and short another, "part of the exposure to the
    # dollar itself cancels out"; what is left is EUR against GBP.
    book = read_positions(
        [HEADER, ["EURUSD", "fx", 100_000, 1.08], ["GBPUSD", "fx", -80_000, 1.35]], as_of=AS_OF
    )
    assert ins.currency_exposures(book) == pytest.approx({"EUR": 108_000.0, "USD": 0.0, "GBP": -108_000.0})


def test_pairs_with_the_dollar_as_base_and_crosses() -> None:
    book = read_positions(
        [HEADER,
         ["USDJPY", "fx", 50_000, 150.0],
         ["EURJPY", "fx", 10_000, 162.0, "JPY", 1 / 150],
         ["EURUSD", "fx", 2, 1.10, None, None, 100_000]],  # two lots of 100,000 EUR
        as_of=AS_OF,
    )  # fmt: skip
    assert ins.currency_exposures(book) == pytest.approx(
        {"USD": 50_000.0 - 220_000.0, "JPY": -50_000.0 - 10_800.0, "EUR": 10_800.0 + 220_000.0}
    )


def test_positions_priced_abroad_and_currency_futures() -> None:
    book = read_positions(
        [HEADER,
         ["SAP", "stock", 100, 200.0, "EUR", 1.10],
         ["CASH", "cash", 1000, None, "CHF", 1.25],
         ["AAPL", "stock", 10, 230.0],
         ["6EZ6", "future", 2, 1.10],
         ["ESZ6", "future", 1, 6000.0, "EUR", 1.10]],  # a future has no value: no leg
        as_of=AS_OF,
    )  # fmt: skip
    legs = ins.currency_legs(book)
    np.testing.assert_allclose(legs.value_fx, [1.10, 1.25, 1.0, 1.0, 1.10])
    assert ins.currency_exposures(book) == pytest.approx(
        {"EUR": 22_000.0 + 275_000.0, "CHF": 1_250.0, "USD": -275_000.0}
    )


def test_missing_rate_and_bad_pair_are_reported_by_row() -> None:
    with pytest.raises(MissingDataError, match="row 2, fx_rate"):
        ins.currency_exposures(read_positions([HEADER, ["EURJPY", "fx", 1, 162.0]], as_of=AS_OF))
    with pytest.raises(MissingDataError, match="row 2, fx_rate"):
        ins.currency_exposures(read_positions([HEADER, ["SAP", "stock", 1, 200.0, "EUR"]], as_of=AS_OF))
    with pytest.raises(InputError, match="row 3, symbol: 'EURO' is not a currency pair"):
        ins.currency_exposures(
            read_positions([HEADER, ["EURUSD", "fx", 1, 1.1], ["EURO", "fx", 1, 1.1]], as_of=AS_OF)
        )


def test_missing_rates_of_every_kind_come_in_row_order() -> None:
    # rows priced abroad are read as whole columns, pairs and futures row by row: the problems of
    # both still come out in the table's row order
    rows = [HEADER,
            ["SAP", "stock", 1, 200.0, "EUR"],
            ["EURJPY", "fx", 1, 162.0],
            ["CASH", "cash", 100, None, "GBP"],
            ["ESZ6", "future", 1, 6000.0, "EUR"]]  # fmt: skip
    with pytest.raises(MissingDataError) as raised:
        ins.currency_legs(read_positions(rows, as_of=AS_OF))
    assert [(p.row, p.column) for p in raised.value.problems] == [(2, "fx_rate"), (3, "fx_rate"),
                                                                  (4, "fx_rate"), (5, "fx_rate")]  # fmt: skip


def test_local_values_abroad_by_kind() -> None:
    # cash is its quantity, a bond is priced per 100 of face, anything else quantity × price × multiplier
    book = read_positions(
        [[*HEADER, "coupon", "maturity"],
         ["CASH", "cash", 1000, None, "EUR", 1.10],
         ["BUND", "bond", 50_000, 98.0, "EUR", 1.10, None, 2.5, 8.0],
         ["SAP", "stock", 3, 200.0, "EUR", 1.10, 10, None, None]],
        as_of=AS_OF,
    )  # fmt: skip
    legs = ins.currency_legs(book)
    assert list(legs.ccy1) == ["EUR", "EUR", "EUR"]
    np.testing.assert_allclose(legs.usd1, [1_100.0, 50_000 * 0.98 * 1.10, 3 * 200.0 * 10 * 1.10], rtol=1e-15)


def test_currency_factors() -> None:
    assert ins.numeraire() == "USD"
    assert [ins.currency_factor(c) for c in ("EUR", "jpy", "XAU", "USD", "AUD")] == [
        "eur",
        "jpy",
        "gold",
        None,
        None,
    ]
