"""The cross-asset stress view (a house risk model): mapping, hand-checked P&L, the sleeve test, tables."""

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import books
from tests.conftest import AS_OF
from xlmargin import instruments as ins
from xlmargin import stress
from xlmargin.errors import InputError, MissingDataError
from xlmargin.params import read_params
from xlmargin.pricing import option_price
from xlmargin.pricing_reference import bsm_scalar, crr_binomial
from xlmargin.stress.book import build_book
from xlmargin.stress.pnl import position_pnl
from xlmargin.stress.scenarios import move_matrix

SETTINGS = stress.stress_settings({}, AS_OF)
HEADER = ["symbol", "type", "quantity", "price", "sleeve", "currency", "fx_rate", "factor", "beta"]


def book(*rows: list[Any], header: list[str] = HEADER) -> Any:
    return books.book(*rows, header=header)


def pnl_of(portfolio: Any, scenario: str, settings: stress.StressSettings = SETTINGS) -> stress.StressResult:
    return stress.stress_pnl(portfolio, scenario, settings)


def inverse_pct(usd_xxx_pct: float) -> float:
    """The % move of a currency in USD from a USDxxx % move (stress-scenarios.md §0.3)."""
    return 100.0 / (1.0 + usd_xxx_pct / 100.0) - 100.0


def tlt_return(dy_bp: float) -> float:
    """TLT's return for a yield move: −D·Δy + ½·C·Δy² with the bond-ETF table's D and C."""
    tlt = ins.bond_etf("TLT")
    assert tlt is not None
    return float(ins.duration_return(tlt.duration, tlt.convexity, dy_bp / 1e4))


# --- mapping ---------------------------------------------------------------------------------------


def test_every_position_maps_to_its_factor() -> None:
    p = book(
        ["SPY", "etf", 1, 500], ["XLK", "etf", 1, 230], ["EFA", "etf", 1, 80], ["GLD", "etf", 1, 250],
        ["UUP", "etf", 1, 28], ["USO", "etf", 1, 70], ["AAPL", "stock", 1, 230], ["SAP", "stock", 1, 200],
    )  # fmt: skip
    moves = {"us_equity": 10.0, "intl_equity": 20.0, "gold": 30.0, "usd": 40.0, "oil": 50.0}
    p_sap = book(["SAP", "stock", 1, 200, None, None, None, "intl_equity", 1.2])
    s = stress.Scenario("T", "test", "historical", moves, "test", "L", "")
    run = position_pnl(build_book(p, SETTINGS), move_matrix([s]), 0.0)[:, 0]
    values = np.array([500, 230, 80, 250, 28, 70, 230, 200.0])
    np.testing.assert_allclose(run / values, [0.10, 0.10, 0.20, 0.30, 0.40, 0.50, 0.10, 0.10])
    sap = position_pnl(build_book(p_sap, SETTINGS), move_matrix([s]), 0.0)[0, 0]
    assert sap == pytest.approx(200 * 1.2 * 0.20)  # the factor and beta columns override the tables


def test_unknown_factor_column_and_missing_duration_are_errors() -> None:
    with pytest.raises(InputError, match="row 2, factor: 'equities' is not a factor"):
        stress.stress_table(book(["SPY", "etf", 1, 500, None, None, None, "equities"]), SETTINGS)
    with pytest.raises(InputError, match="row 2, factor: 'vix' is not a factor a position can follow"):
        stress.stress_table(book(["VXX", "etf", 1, 50, None, None, None, "vix"]), SETTINGS)
    with pytest.raises(MissingDataError, match="row 2, duration: a rate-sensitive position needs a modified"):
        stress.stress_table(book(["VGIT", "etf", 1, 60, None, None, None, "ust_10y"]), SETTINGS)


def test_unmodelled_positions_are_held_constant_and_said_so() -> None:
    p = book(["SPY", "etf", 10, 500], ["BTCUSD", "stock", 1, 90000], ["VXX", "etf", 5, 50])
    table = stress.stress_table(p, SETTINGS)
    notes = [r[1] for r in table if r[0] == "note"]
    assert any("class crypto: rows 3" in n for n in notes)
    assert any("volatility products are not modelled" in n and "rows 4" in n for n in notes)
    assert pnl_of(p, "E10").positions[1][2] == 0.0


# --- P&L by hand ---------------------------------------------------------------------------------


def test_e10_on_a_linear_book_matches_hand_computation() -> None:
    # Moves of E10 (COVID crash), stress-scenarios.md tables 1a/1b: S&P −33.9 %, EFA −32.6 %, gold −2.5 %,
    # DXY +2.9 %, 10y −80 bp, 30y −68 bp, EURUSD −0.3 %, USDJPY +0.2 %, USDCHF −0.2 %.
    p = book(
        ["SPY", "etf", 100, 500, "core"],
        ["EFA", "etf", 200, 80, "core"],
        ["GLD", "etf", 40, 250, "hedge"],
        ["UUP", "etf", 1000, 28, "hedge"],
        ["TLT", "etf", 1000, 90, "hedge"],
        ["EURUSD", "fx", 100_000, 1.10],
        ["USDJPY", "fx", 100_000, 150.0],
        ["SAP", "stock", 100, 200, None, "EUR", 1.10, "intl_equity"],
        ["CHF", "cash", 1000, None, None, "CHF", 1.25],
    )
    tlt_dy = 0.225 * -80 + 0.775 * -68  # TLT's 25.5-year maturity between the 10y and 30y nodes
    expected = [
        50_000 * -0.339,
        16_000 * -0.326,
        10_000 * -0.025,
        28_000 * 0.029,
        90_000 * tlt_return(tlt_dy),
        110_000 * -0.003,
        -100_000 * inverse_pct(0.2) / 100,
        22_000 * ((1 - 0.326) * (1 - 0.003) - 1),
        1_250 * inverse_pct(-0.2) / 100,
    ]
    result = pnl_of(p, "E10")
    np.testing.assert_allclose([v for _, _, v in result.positions], expected, rtol=1e-12)
    assert result.pnl == pytest.approx(sum(expected))
    assert result.factors["us_equity"] == pytest.approx(expected[0])
    assert result.factors["gold"] == pytest.approx(expected[2])
    assert sum(result.factors.values()) == pytest.approx(result.pnl)
    assert result.sleeves["hedge"] == pytest.approx(sum(expected[2:5]))
    assert list(result.sleeves) == ["core", "hedge", ""]  # as they first appear; no sleeve is ""
    assert result.sleeves["core"] == pytest.approx(sum(expected[:2]))
    assert result.sleeves[""] == pytest.approx(sum(expected[5:]))
    assert [(row, symbol) for row, symbol, _ in result.positions][:2] == [(2, "SPY"), (3, "EFA")]
    assert result.gross_exposure == pytest.approx(
        50_000 + 16_000 + 10_000 + 28_000 + 90_000 + 110_000 + 100_000 + 22_000
    )


def test_a_book_wholly_in_euros_matches_hand_computation() -> None:
    # every row priced in EUR: each row's asset P&L is converted at the moved EURUSD and its euro
    # leg moves with it. E10 (COVID crash): EFA -32.6 %, EURUSD -0.3 %, S&P -33.9 %
    p = book(
        ["SAP", "stock", 100, 200, None, "EUR", 1.10, "intl_equity"],
        ["ASML", "stock", -10, 700, None, "EUR", 1.10, "intl_equity"],
        ["CASH", "cash", 5000, None, None, "EUR", 1.10],
        ["SPY", "etf", 10, 500, None, "EUR", 1.10],
    )
    both = (1 - 0.326) * (1 - 0.003) - 1
    expected = [22_000 * both, -7_700 * both, 5_500 * -0.003, 5_500 * ((1 - 0.339) * (1 - 0.003) - 1)]
    result = pnl_of(p, "E10")
    np.testing.assert_allclose([v for _, _, v in result.positions], expected, rtol=1e-12)
    assert result.factors["eur"] == pytest.approx((22_000 - 7_700 + 5_500 + 5_500) * -0.003)


def test_bonds_are_fully_repriced_at_the_moved_yield() -> None:
    # E11 (2022 rate shock): 10y +228 bp. A 10-year 4 % bond at 4.5 % sits on the 10y node.
    header = ["symbol", "type", "quantity", "price", "coupon", "yield", "maturity"]
    price = float(ins.bond_price(0.04, 0.045, 10.0))
    p = book(["T 4 11/36", "bond", 1_000_000, price, 4.0, 4.5, 10], header=header)
    moved = ins.bond_dirty_price(0.04, 0.045 + 0.0228, 10.0) - ins.bond_dirty_price(0.04, 0.045, 10.0)
    assert pnl_of(p, "E11").pnl == pytest.approx(10_000 * moved)
    # without a yield column the yield is solved from the price: same answer
    p2 = book(["T 4 11/36", "bond", 1_000_000, price, 4.0, None, 10], header=header)
    assert pnl_of(p2, "E11").pnl == pytest.approx(10_000 * moved, abs=0.005)  # to the cent


def test_futures_follow_their_root() -> None:
    header = ["symbol", "type", "quantity", "price"]
    p = book(
        ["ESZ6", "future", 2, 6000], ["ZNH7", "future", 1, 110], ["6EZ6", "future", 1, 1.10], header=header
    )
    zn = ins.future_spec("ZN")
    assert zn is not None
    dy = (0.375 * -114 + 0.625 * -80) / 1e4  # ZN's 7-year curve point between the 2y and 10y nodes (E10)
    expected = [2 * 50 * 6000 * -0.339, 1000 * 110 * ins.duration_return(zn.duration, zn.convexity, dy),
                125_000 * 1.10 * -0.003]  # fmt: skip
    np.testing.assert_allclose([v for _, _, v in pnl_of(p, "E10").positions], expected, rtol=1e-12)


OPTIONS_HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying price", "strike", "days",
                  "right", "volatility", "dividend yield"]  # fmt: skip


def american(S: float, K: float, T: float, r: float, q: float, sigma: float, call: bool) -> float:
    """The reference American price: a 1,000-step CRR tree with the European control variate
    (Hull & White 1988, as in test_pricing); the kernel agrees within 0.01% here (measured 0.0001%)."""
    tree = crr_binomial(S, K, T, r, q, sigma, call, True, 1000) - crr_binomial(
        S, K, T, r, q, sigma, call, False, 1000
    )
    return tree + bsm_scalar(S, K, T, r, q, sigma, call)


def test_options_on_futures_take_the_root_multiplier_and_black() -> None:
    # E10 on a European ES call: the futures price moves with the S&P 500, the volatility with the VIX.
    # Expected values from the reference pricer: Black (1976) is Black-Scholes-Merton with q = r.
    settings = stress.stress_settings({"rate": 0.04}, AS_OF)
    p = book(["ES C", "future_option", 2, 150.0, "ESZ6", 6000, 6000, 30, "C", 0.18], header=OPTIONS_HEADER)
    base = bsm_scalar(6000, 6000, 30 / 365, 0.04, 0.04, 0.18, True)
    moved = bsm_scalar(6000 * (1 - 0.339), 6000, 30 / 365, 0.04, 0.04, 0.18 + 0.472, True)
    assert pnl_of(p, "E10", settings).pnl == pytest.approx(2 * 50 * (moved - base), abs=0.005)  # to the cent


def test_options_are_revalued_through_the_kernel_with_the_vix_shift() -> None:
    # E10: S&P −33.9 %, VIX 14.4 → 61.6 (+47.2 points). Expected values from the reference pricer.
    settings = stress.stress_settings({"rate": 0.04}, AS_OF)
    p = book(
        ["SPX C", "option", 1, 100.0, "SPX", 5900, 5900, 30, "C", 0.16],
        ["SPY P", "option", -3, 10.0, "SPY", 590, 600, 91, "P", 0.20, 0.013],
        header=OPTIONS_HEADER,
    )
    result = pnl_of(p, "E10", settings)
    spx_move, vix = 1 - 0.339, 0.472
    base = bsm_scalar(5900, 5900, 30 / 365, 0.04, 0.0, 0.16, True)
    moved = bsm_scalar(5900 * spx_move, 5900, 30 / 365, 0.04, 0.0, 0.16 + vix, True)
    assert result.positions[0][2] == pytest.approx(100 * (moved - base), rel=1e-9)  # European: exact

    # American: the price at the moved spot and unshifted volatility, plus the European change
    # the shift causes (stress module docstring); each American price within 0.01% of the tree's
    S, T, q, sigma = 590 * spx_move, 91 / 365, 0.013, 0.20
    shifted = sigma + vix * math.sqrt(30 / 91)
    amer, amer_base = american(S, 600, T, 0.04, q, sigma, False), american(590, 600, T, 0.04, q, sigma, False)
    euro_up = bsm_scalar(S, 600, T, 0.04, q, shifted, False)
    euro = bsm_scalar(S, 600, T, 0.04, q, sigma, False)
    tolerance = 300 * 1e-4 * (amer + amer_base)
    assert result.positions[1][2] == pytest.approx(-300 * (amer + euro_up - euro - amer_base), abs=tolerance)
    # the American split errs by at most the early-exercise premium at the unshifted volatility
    exact = american(S, 600, T, 0.04, q, shifted, False)
    assert abs((amer + euro_up - euro) - exact) <= (amer - euro) + 1e-3 * exact


def test_implied_volatility_comes_from_the_price_and_bad_prices_name_the_row() -> None:
    price = float(option_price(590, 600, 91 / 365, 0.0, 0.0, 0.2, False, True))
    p = book(["SPY P", "option", 1, price, "SPY", 590, 600, 91, "P"], header=OPTIONS_HEADER)
    given = book(["SPY P", "option", 1, price, "SPY", 590, 600, 91, "P", 0.2], header=OPTIONS_HEADER)
    assert pnl_of(p, "E5").pnl == pytest.approx(pnl_of(given, "E5").pnl, rel=1e-6)
    bad = book(["SPY P", "option", 1, 0.01, "SPY", 590, 600, 91, "P"], header=OPTIONS_HEADER)
    with pytest.raises(InputError, match=r"row 2, price: price 0\.01 is below 10, its value at the lowest"):
        stress.stress_table(bad, SETTINGS)


# --- the honest result: the sleeve helps until correlations break -----------------------------------

CORE = [("SPY", 590.0, 200), ("QQQ", 510.0, 150), ("IWM", 228.0, 75), ("EFA", 85.0, 100), ("XLK", 230.0, 75),
        ("AAPL", 230.0, 75), ("MSFT", 420.0, 75)]  # fmt: skip
SLEEVE = [("TLT", 90.0, 100), ("IEF", 95.0, 50), ("GLD", 250.0, 50), ("UUP", 28.0, 50)]  # $ thousands


def basket(items: list[tuple[str, float, int]], sleeve: str) -> list[list[Any]]:
    return [[sym, "etf", round(k * 1000 / px), px, sleeve] for sym, px, k in items]


def test_the_sleeve_offsets_in_history_and_fails_in_a_correlation_break() -> None:
    # The first seed article's book: $750k of equities and a 25 % Treasury/gold/dollar sleeve ($250k).
    core = book(*basket(CORE, "core"))
    both = book(*basket(CORE, "core"), *basket(SLEEVE, "hedge"))
    normal = stress.stress_settings({"include": "historical, sigma, pca"}, AS_OF)
    without, with_sleeve = stress.risk_margin(core, normal), stress.risk_margin(both, normal)
    assert with_sleeve.requirement < without.requirement  # the offset that correlation provides
    assert (without.scenario_id, with_sleeve.scenario_id) == ("S5", "S5")

    breaks = stress.stress_settings({"include": "correlation_break"}, AS_OF)
    core_break, both_break = stress.risk_margin(core, breaks), stress.risk_margin(both, breaks)
    assert both_break.requirement > core_break.requirement  # the offset vanishes: the sleeve adds loss
    assert (core_break.scenario_id, both_break.scenario_id) == ("CB4", "CB4")
    for scenario in ("CB1", "CB2", "CB3", "CB4", "CB_REGIME"):
        assert pnl_of(both, scenario).sleeves["hedge"] < 0, scenario
    # Regression snapshot (not a law): under the JPM long-run matrix stock–Treasury ρ ≈ 0 and gold
    # loads with commodities, so along its first principal component the sleeve loses with equities.
    assert pnl_of(both, "PC1_DOWN").sleeves["hedge"] < 0


# --- scenarios ---------------------------------------------------------------------------------------


def test_library_counts_and_every_scenario_has_a_source() -> None:
    library = stress.scenario_library(SETTINGS)
    kinds = [s.kind for s in library]
    assert kinds.count("historical") == 28 and kinds.count("correlation_break") == 6
    assert kinds.count("sigma") == 16 and kinds.count("pca") == 6
    assert len({s.id for s in library}) == len(library)
    for s in library:
        assert s.source and s.confidence in ("H", "M", "L") and s.window, s.id
        assert set(s.moves) <= {f.id for f in stress.factors()}, s.id
        assert all(math.isfinite(v) for v in s.moves.values()), s.id


def test_printed_columns_become_factor_moves() -> None:
    by_id = {s.id: s for s in stress.scenario_library(SETTINGS)}
    e1, e3 = by_id["E1"], by_id["E3"]
    assert e1.moves["vix"] == pytest.approx(150.2 - 36.4)  # VXO 36.4 → 150.2
    assert e3.moves["jpy"] == pytest.approx(inverse_pct(-14.9))  # USDJPY −14.9 %: the yen +17.5 %
    assert "eur" not in e1.moves and "hy_spread" not in e1.moves  # blank cells: unmoved, and noted
    assert "blank in the source, so unmoved: eur, hy_spread" in e1.notes
    assert by_id["E9"].moves["ust_2y"] == 0.0  # a printed +0 is a move of zero, not a blank


def test_sigma_and_pca_scenarios_are_k_standard_deviations() -> None:
    settings = stress.stress_settings({"k": 2.5, "horizon_days": 5}, AS_OF)
    by_id = {s.id: s for s in stress.scenario_library(settings)}
    scale = 2.5 * math.sqrt(5 / 252)
    assert by_id["SIGMA_US_EQUITY_DOWN"].moves == {"us_equity": pytest.approx(-16.47 * scale)}
    assert by_id["SIGMA_UST_10Y_UP"].moves == {"ust_10y": pytest.approx(90.0 * scale)}
    cov = settings.covariance
    horizon = cov.matrix * 5 / 252
    for s in (v for v in by_id.values() if v.kind == "pca"):
        x = np.array([s.moves.get(f, 0.0) for f in cov.factors])
        # a move of k standard deviations along a principal component has Mahalanobis distance k
        assert math.sqrt(x @ np.linalg.solve(horizon, x)) == pytest.approx(2.5), s.id
    assert by_id["PC1_UP"].moves["us_equity"] > 0 > by_id["PC1_DOWN"].moves["us_equity"]


def test_default_covariance_is_the_assembled_matrix() -> None:
    cov = stress.default_covariance()
    assert cov.factors == (
        "us_equity",
        "intl_equity",
        "ust_10y",
        "ust_30y",
        "hy_spread",
        "oil",
        "gold",
        "usd",
    )
    assert np.linalg.eigvalsh(cov.matrix).min() > 0
    vols = dict(zip(cov.factors, cov.vols()))
    tlt = ins.bond_etf("TLT")
    assert tlt is not None
    assert vols["ust_30y"] / 100 * tlt.duration == pytest.approx(
        13.02
    )  # TLT reproduces JPM's long-Treasury vol
    i, j = cov.factors.index("us_equity"), cov.factors.index("usd")
    assert cov.matrix[i, j] == pytest.approx(16.47 * 7.6 * -0.43)  # §2.2: US LC × USD is −53.8 %²


def test_regime_swap_moves_hedges_against_equities() -> None:
    s = next(s for s in stress.scenario_library(SETTINGS) if s.id == "CB_REGIME")
    size = -3 * math.sqrt(10 / 252)
    assert s.moves["us_equity"] == pytest.approx(19.1 * size)
    assert s.moves["ust_10y"] == pytest.approx(-0.65 * 117 * size) and s.moves["ust_10y"] > 0
    assert s.moves["ust_30y"] > 0 and s.moves["gold"] < 0 and s.moves["usd"] > 0


def test_filters_and_unknown_ids() -> None:
    settings = stress.stress_settings({"include": "historical", "exclude": "E1;e2"}, AS_OF)
    ids = [s.id for s in stress.scenario_library(settings)]
    assert len(ids) == 26 and "E1" not in ids and "E3" in ids
    with pytest.raises(InputError, match="unknown scenario id or kind: E99"):
        stress.scenario_library(stress.stress_settings({"include": "E99"}, AS_OF))
    p = book(["SPY", "etf", 1, 500])
    with pytest.raises(InputError, match="unknown scenario 'E13'; ids: E1, E2, "):
        stress.stress_pnl(p, "E13", SETTINGS)
    assert stress.stress_pnl(p, " e10 ", SETTINGS).scenario.id == "E10"


def test_sleeve_filter_of_the_excel_layer() -> None:
    from xlmargin.excel import functions as fn

    header = ["symbol", "type", "quantity", "price", "sleeve"]
    rows = [header, *basket(CORE, "core"), *basket(SLEEVE, "hedge")]
    p = book(*basket(CORE, "core"), *basket(SLEEVE, "hedge"))
    params = [["as_of", AS_OF], ["sleeve", "hedge"]]
    assert fn.stress_pnl(rows, "E11", params) == pytest.approx(pnl_of(p, "E11").sleeves["hedge"])
    with pytest.raises(InputError, match="no position is in sleeve 'cash'; sleeves found: core, hedge"):
        fn.stress_table(rows, [["as_of", AS_OF], ["sleeve", "cash"]])


# --- settings and the covariance range ---------------------------------------------------------------


def test_settings_from_an_excel_parameter_range() -> None:
    values = read_params([["k", 2.0], ["horizon days", 5.0], ["vol_shift", "FALSE"], [None, None]],
                         stress.STRESS_PARAMS)  # fmt: skip
    settings = stress.stress_settings(values, AS_OF)
    assert (settings.k, settings.horizon_days, settings.vol_shift, settings.as_of) == (2.0, 5.0, False, AS_OF)
    with pytest.raises(InputError, match="unknown parameter 'sigma'"):
        stress.stress_settings({"sigma": 3}, AS_OF)


def test_a_covariance_range_replaces_the_default() -> None:
    cov = [["", "usd", "us_equity"], ["us_equity", -50.0, 400.0], ["usd", 64.0, -50.0], [None, None, None]]
    settings = stress.stress_settings({}, AS_OF, cov)
    assert settings.covariance.factors == ("usd", "us_equity")
    np.testing.assert_allclose(settings.covariance.matrix, [[64.0, -50.0], [-50.0, 400.0]])
    ids = [s.id for s in stress.scenario_library(settings) if s.kind in ("sigma", "pca")]
    assert ids == ["SIGMA_USD_DOWN", "SIGMA_USD_UP", "SIGMA_US_EQUITY_DOWN", "SIGMA_US_EQUITY_UP",
                   "PC1_DOWN", "PC1_UP", "PC2_DOWN", "PC2_UP"]  # fmt: skip
    assert (
        stress.stress_settings({}, AS_OF, [[None, None], [None, None]]).covariance
        == stress.default_covariance()
    )


@pytest.mark.parametrize(
    ("cov", "message"),
    [
        ([["", "usd", "gbp"], ["usd", 64.0, 10.0], ["gbp", 11.0, 81.0]], "not symmetric"),
        ([["", "usd", "gbp"], ["usd", 1.0, 5.0], ["gbp", 5.0, 1.0]], "not positive semi-definite"),
        (
            [["", "usd", "dollar"], ["usd", 1.0, 0.0], ["dollar", 0.0, 1.0]],
            "row 1, covariance: 'dollar' is not a factor",
        ),
        (
            [["", "usd", "gbp"], ["usd", "#N/A", 0.0], ["gbp", 0.0, 1.0]],
            "row 2, covariance: column usd: '#N/A'",
        ),
        ([["", "usd", "gbp"], ["usd", 1.0, 0.0], ["eur", 0.0, 1.0]], "must name the same factors"),
        # range rows, not body rows: a blank row between the names and the matrix is counted
        (
            [["", "usd", "gbp"], [None, None, None], ["usd", 1.0, 0.0], ["gbp", "x", 1.0]],
            "^row 4, covariance: column usd: 'x' is not a number$",
        ),
        # a blank cell is said to be blank, not shown as Python's None (QA review)
        (
            [["", "usd", "gbp"], ["usd", 1.0, None], ["gbp", "", 1.0]],
            r"^row 2, covariance: column gbp: the cell is blank; give a number \(\+1 more\)$",
        ),
        (
            [["", "usd"], ["usd", "6,4"]],
            "^row 2, covariance: column usd: '6,4' is not a number: a comma is read only as a thousands",
        ),
        # a text or a number for the range was read character by character ("'s' is not a factor")
        ("us_equity", "^covariance: a covariance must be a range, a square matrix .* value 'us_equity'$"),
        (400.0, "not the single value '400.0'$"),
        ([["us_equity"]], "not the single value 'us_equity'$"),
    ],
)
def test_bad_covariance_ranges(cov: list[list[Any]], message: str) -> None:
    with pytest.raises(InputError, match=message):
        stress.stress_settings({}, AS_OF, cov)


def test_covariances_typed_as_text_read_as_in_the_positions_table() -> None:
    cov = [["", "usd", "us_equity"], ["us_equity", "-50", "400"], ["usd", " 64 ", "-50.0"]]
    np.testing.assert_allclose(
        stress.stress_settings({}, AS_OF, cov).covariance.matrix, [[64.0, -50.0], [-50.0, 400.0]]
    )
    big = [["", "usd"], ["usd", "1,600"]]
    assert stress.stress_settings({}, AS_OF, big).covariance.matrix.tolist() == [[1600.0]]


# --- tables ------------------------------------------------------------------------------------------


def mixed_book() -> Any:
    header = [*OPTIONS_HEADER, "sleeve", "currency", "fx_rate", "coupon", "maturity", "yield"]
    return book(
        ["SPY", "etf", 500, 590, None, None, None, None, None, None, None, "core"],
        ["SPY P", "option", 5, 8.0, "SPY", 590, 560, 60, "P", 0.22, 0.013, "hedge"],
        ["TLT C", "option", -5, 2.0, "TLT", 90, 95, 60, "C", 0.15, 0.04, "hedge"],
        ["TLT", "etf", 1000, 90, None, None, None, None, None, None, None, "hedge"],
        ["EURUSD", "fx", 50_000, 1.10, None, None, None, None, None, None, None, "fx"],
        ["T 4.5 2035", "bond", 100_000, 101.0, *[None] * 7, "hedge", None, None, 4.5, 9.0],
        ["AUDUSD", "fx", 10_000, 0.65],
        header=header,
    )  # fmt: skip


def assert_clean(table: list[list[Any]]) -> None:
    width = len(table[0])
    for row in table:
        assert len(row) == width
        for cell in row:
            assert isinstance(cell, str | float | int) and not isinstance(cell, bool | np.generic), cell
            assert not isinstance(cell, float) or math.isfinite(cell)


def test_tables_have_no_nan_and_say_what_they_are() -> None:
    p = mixed_book()
    table = stress.stress_table(p, SETTINGS)
    assert table[0] == ["id", "name", "kind", "P&L", "% of gross", "worst contributor"]
    scenarios = [r for r in table[1:] if r[0] != "note"]
    assert len(scenarios) == len(stress.scenario_library(SETTINGS))
    assert [r[3] for r in scenarios] == sorted(r[3] for r in scenarios)  # worst first
    notes = [r[1] for r in table if r[0] == "note"]
    assert notes[0] == stress.HOUSE_NOTE and "NOT a regulatory" in notes[0]
    assert any("AUD has no risk factor" in n for n in notes)
    for t in (table, stress.risk_margin(p, SETTINGS).table(), pnl_of(p, "CB4").table()):
        assert_clean(t)
        assert any(r[0] == "note" and r[1] == stress.HOUSE_NOTE for r in t)


def test_risk_margin_figures() -> None:
    p = mixed_book()
    table = stress.stress_table(p, SETTINGS)
    result = stress.risk_margin(p, SETTINGS)
    assert result.requirement == pytest.approx(-table[1][3], abs=0.01) and result.scenario_id == table[1][0]
    cb = [r for r in table[1:] if r[2] == "correlation_break"]
    assert result.correlation_break_loss == pytest.approx(max(0.0, -cb[0][3]), abs=0.01)
    assert result.correlation_break_id == cb[0][0]
    # Σ_g max(0, −min_s P_g(s)) ≥ max(0, −min_s Σ_g P_g(s)): the no-offset figure can only be larger
    assert result.no_offset_requirement >= result.requirement
    assert {g for g, _, _ in result.groups} == {"equity", "rates", "fx"}


# --- properties that hold: P&L is linear in quantities and independent of row order ----------------

UNIVERSE = [
    ["SPY", "etf", 1, 590],
    ["TLT", "etf", 1, 90],
    ["GLD", "etf", 1, 250],
    ["EURUSD", "fx", 1000, 1.1],
    ["SPY", "option", 1, 8.0, "SPY", 590, 560, 60, "P", 0.22],
    ["TLT", "option", 1, 2.0, "TLT", 90, 95, 60, "C", 0.15],
]


def _from(quantities: list[int]) -> list[list[Any]]:
    rows = []
    for base, qty in zip(UNIVERSE, quantities):
        if qty:
            row = list(base) + [None] * (len(OPTIONS_HEADER) - len(base))
            row[2] = qty * base[2]
            rows.append(row)
    return rows


def _totals(rows: list[list[Any]]) -> dict[str, float]:
    table = stress.stress_table(book(*rows, header=OPTIONS_HEADER), SETTINGS)
    return {r[0]: r[3] for r in table[1:] if r[0] != "note"}


@pytest.mark.slow
@given(
    st.lists(st.integers(-5, 5), min_size=len(UNIVERSE), max_size=len(UNIVERSE)).filter(any),
    st.lists(st.integers(-5, 5), min_size=len(UNIVERSE), max_size=len(UNIVERSE)).filter(any),
)
def test_scenario_pnl_is_additive_and_order_free(a: list[int], b: list[int]) -> None:
    # Each position's P&L depends on that position only, so books add and rows may come in any order.
    one, two = _totals(_from(a)), _totals(_from(b))
    both = _totals(_from(a) + _from(b)[::-1])
    for sid, value in both.items():
        assert value == pytest.approx(one[sid] + two[sid], abs=0.05)


def test_worst_contributor_is_the_first_row_among_equal_losses() -> None:
    # two identical lines lose the same in every scenario: the table names the first of them
    rows = [["SPY", "etf", 100, 590], ["TLT", "etf", 100, 90], ["SPY", "etf", 100, 590]]
    table = stress.stress_table(book(*rows, header=OPTIONS_HEADER), SETTINGS)
    contributors = {r[5].split(":")[0] for r in table[1:] if r[0] != "note"}
    assert "SPY (row 2)" in contributors and "SPY (row 4)" not in contributors


def test_a_python_callers_filters_may_be_lists():
    """The library cache keyed the filters as given: a Python caller's lists were unhashable (a
    TypeError where the library had been built). Lists and tuples give the same library."""
    import datetime as dt

    from xlmargin.stress import StressSettings
    from xlmargin.stress.scenarios import scenario_library

    as_of = dt.date(2026, 1, 5)
    listed = scenario_library(StressSettings(as_of, include=["historical"]))  # type: ignore[arg-type]
    assert listed == scenario_library(StressSettings(as_of, include=("historical",)))
    assert 0 < len(listed) < len(scenario_library(StressSettings(as_of)))
