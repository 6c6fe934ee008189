"""Portfolio margin: unit tests of each rule, the parameters, the errors and the two grids.

Expected figures are worked by hand from the rule (rules/pm.toml, margin-rules.md §2); each
test says how.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.errors import InputError, UnsupportedError
from xlmargin.params import norm, read_params
from xlmargin.pm import PM_PARAMS, PMResult, engine, pm_requirement, pm_settings
from xlmargin.positions import CLASSES, TYPES, read_positions
from xlmargin.pricing import option_price

HEADER = [
    "symbol",
    "type",
    "quantity",
    "price",
    "underlying",
    "underlying price",
    "strike",
    "days",
    "right",
    "multiplier",
    "volatility",
    "class",
    "leverage",
    "maturity",
]


def stock(
    symbol: str,
    qty: float,
    price: float,
    *,
    kind: str = "stock",
    cls: str | None = None,
    leverage: float | None = None,
) -> list[Any]:
    return [
        symbol,
        kind,
        float(qty),
        float(price),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        cls,
        leverage,
        None,
    ]


def option(
    underlying: str,
    qty: float,
    right: str,
    strike: float,
    spot: float,
    days: float,
    vol: float,
    *,
    american: bool = True,
    multiplier: float = 100.0,
    price: float | None = None,
) -> list[Any]:
    """An option row priced by the kernel at ``vol`` unless a price is given."""
    if price is None:
        price = float(option_price(spot, strike, days / 365.0, 0.0, 0.0, vol, right == "C", american))
    return [
        underlying,
        "option",
        float(qty),
        price,
        underlying,
        float(spot),
        float(strike),
        float(days),
        right,
        multiplier,
        vol,
        None,
        None,
        None,
    ]


def portfolio(*rows: list[Any]):
    return read_positions([HEADER, *rows], as_of=AS_OF)


def margin(*rows: list[Any], params: Any = None) -> PMResult:
    settings = pm_settings(read_params(params, PM_PARAMS), AS_OF)
    return pm_requirement(portfolio(*rows), settings)


# --- the valuation points --------------------------------------------------------------------


@pytest.mark.parametrize(("symbol", "kind", "up", "down"), [
    ("IBM", "stock", 0.15, 0.15),   # equity: ±15%
    ("XLK", "etf", 0.15, 0.15),     # narrow-based index ETF: ±15%
    ("TLT", "etf", 0.15, 0.15),     # bond ETF: its own class group at ±15%
    ("GLD", "etf", 0.15, 0.15),     # gold ETF
    ("IWM", "etf", 0.10, 0.10),     # non-high-cap broad index (Russell 2000 basket): ±10%
    ("SPY", "etf", 0.06, 0.08),     # high-cap broad index (S&P 500 basket): +6% / −8%
])  # fmt: skip
def test_points_per_class(symbol: str, kind: str, up: float, down: float) -> None:
    result = margin(stock(symbol, 100, 50.0, kind=kind))
    (group,) = result.class_groups
    steps = np.array([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]) / 5
    expected = np.where(steps > 0, steps * up, steps * down)
    np.testing.assert_allclose(group.moves, expected, rtol=0, atol=1e-15)
    assert 0.0 not in group.moves
    assert [p.label for p in result.points] == ["-5", "-4", "-3", "-2", "-1", "+1", "+2", "+3", "+4", "+5"]
    # a long line loses the full down move: 100 × 50 × down
    assert result.requirement == pytest.approx(100 * 50.0 * down, abs=0.005)


def test_every_asset_class_has_exactly_one_range() -> None:
    pm = rules.load("pm")
    covered = [c for table in pm["ranges"].values() for c in table["classes"]]
    assert sorted(covered) == sorted(CLASSES)


def test_every_rule_table_cites_a_source_and_confidence() -> None:
    pm = rules.load("pm")
    for name, table in pm.tables().items():
        assert table.get("source"), name
        assert table.get("confidence") in ("H", "M", "L"), name
    assert pm["product_groups"][0]["confidence"] == "L"  # offsets are unconfirmed: marked so


def test_leveraged_etf_scans_at_range_times_leverage() -> None:
    result = margin(stock("SSO", 100, 80.0, kind="etf", leverage=2.0))
    (group,) = result.class_groups
    assert group.range_label == "±30%"
    assert result.requirement == pytest.approx(100 * 80.0 * 0.30, abs=0.005)
    assert any("leverage 2" in w for w in result.warnings)


# --- class groups and product groups ---------------------------------------------------------


def test_basket_members_share_one_class_group() -> None:
    result = margin(
        stock("SPY", 1000, 590.0, kind="etf"),
        option("SPX", -1, "C", 6000, 5900.0, 30, 0.15, american=False),
        option("SPXW", 1, "P", 5800, 5900.0, 9, 0.17, american=False),
        option("XSP", 2, "C", 600, 590.0, 30, 0.15, american=False),
    )
    assert [g.id for g in result.class_groups] == ["SPX"]
    assert result.class_groups[0].rows == (2, 3, 4, 5)
    assert result.class_groups[0].range_label == "-8%/+6%"


def test_spy_hedged_by_spx_synthetic_nets_inside_the_class_group() -> None:
    # 1,000 SPY (590,000 of S&P exposure) against a European SPX synthetic short (long put, short
    # call, same strike and expiry: −100 × SPX = −590,000): P&L 0 at every point, so the
    # requirement is the per-contract minimum, 2 × 0.375 × 100 = 75.
    result = margin(
        stock("SPY", 1000, 590.0, kind="etf"),
        option("SPX", -1, "C", 5900, 5900.0, 30, 0.15, american=False),
        option("SPX", 1, "P", 5900, 5900.0, 30, 0.15, american=False),
    )
    (group,) = result.class_groups
    np.testing.assert_allclose(group.pnl, 0.0, atol=1e-6)
    assert result.requirement == pytest.approx(75.0)
    assert group.minimum_applied


SPY_VS_QQQ = (stock("SPY", 1000, 590.0, kind="etf"), stock("QQQ", -1000, 510.0, kind="etf"))


@pytest.mark.parametrize(("params", "offset", "expected"), [
    # point −5: SPX −8% → −47,200; NDX −8% on a short → +40,800; losses count 100%, gains × offset
    (None, 0.90, 47_200 - 0.90 * 40_800),                       # default offset (pm.toml, [L])
    ([["offset.us_broad", 0.75]], 0.75, 47_200 - 0.75 * 40_800),  # override from the params range
    # no offset: still point by point, so the worst point is −5 (SPX −47,200), not the sum of the
    # standalone worst losses (−8% for SPY plus +6% for QQQ, at different points)
    ({"offset.us_broad": 0.0}, 0.0, 47_200),
])  # fmt: skip
def test_product_group_offsets_with_overrides(params: Any, offset: float, expected: float) -> None:
    result = margin(*SPY_VS_QQQ, params=params)
    (product,) = result.product_groups
    assert product.id == "us_broad"
    assert product.offset == offset
    assert product.class_groups == ("NDX", "SPX")
    assert result.requirement == pytest.approx(expected, abs=0.005)
    assert product.offset_credit == pytest.approx(47_200 + 30_600 - expected, abs=1e-6)
    assert (product.confidence == "user") == (params is not None)


def test_tlt_does_not_offset_spy() -> None:
    # separate class groups, no product group: SPY −8% (47,200) plus TLT −15% (13,500)
    result = margin(stock("SPY", 1000, 590.0, kind="etf"), stock("TLT", 1000, 90.0, kind="etf"))
    assert [(p.id, p.class_groups) for p in result.product_groups] == [("us_broad", ("SPX",))]
    assert {g.id: g.product_group for g in result.class_groups} == {"SPX": "us_broad", "TLT": ""}
    assert result.requirement == pytest.approx(47_200 + 13_500, abs=0.005)


def test_mixed_asset_classes_in_one_class_group_are_an_error() -> None:
    with pytest.raises(InputError) as err:
        margin(stock("IBM", 100, 90.0), stock("IBM", 100, 90.0, cls="broad_index"))
    assert "IBM" in str(err.value) and "class" in str(err.value)


# --- the per-contract minimum ----------------------------------------------------------------


def test_long_minimum_capped_at_market_value() -> None:
    # a long option worth 0.10 per share: minimum 10.00 (its value), not 37.50
    result = margin(option("XYZ", 1, "C", 150, 100.0, 30, 0.3, price=0.10, american=False))
    assert result.minimum == pytest.approx(10.0)


def test_minimum_nets_identical_series_across_rows() -> None:
    row = option("XYZ", 3, "C", 100, 100.0, 30, 0.3)
    flat = margin(row, [*row[:2], -3.0, *row[3:]])
    assert flat.minimum == 0.0
    assert flat.requirement == 0.0


def test_minimum_scope_class_group_versus_account() -> None:
    # XYZ: long stock, loss 15% × 10,000 = 1,500, no options. ABC: a long straddle that gains
    # at every point, minimum 2 × 10 × 37.50 = 750.
    rows = (
        stock("XYZ", 100, 100.0),
        option("ABC", 10, "C", 100, 100.0, 30, 0.3),
        option("ABC", 10, "P", 100, 100.0, 30, 0.3),
    )
    per_group = margin(*rows)
    account = margin(*rows, params=[["minimum_scope", "account"]])
    assert per_group.requirement == pytest.approx(1500 + 750)
    assert account.requirement == pytest.approx(max(1500, 750))
    assert account.minimum_scope == "account"


# --- house layers ----------------------------------------------------------------------------

SHORT_PUTS = (option("XYZ", -10, "P", 75, 100.0, 30, 0.30),)


def test_house_layers_are_off_by_default() -> None:
    result = margin(*SHORT_PUTS)
    assert result.house is None
    assert result.requirement == result.regulatory == result.initial
    assert len(result.points) == 10
    assert all(p.layer == "regulatory" for p in result.points)


def test_volatility_layer_adds_shifted_points() -> None:
    base = margin(*SHORT_PUTS)
    house = margin(*SHORT_PUTS, params=[["house.volatility", True]])
    assert house.house is not None and house.house.layers == ("volatility",)
    assert len(house.points) == 30
    assert house.regulatory == base.regulatory
    assert house.requirement > base.requirement  # a short put loses more when IV rises
    assert any("house figure" in w for w in house.warnings)


def test_extreme_layer_counts_a_cover_fraction() -> None:
    house = margin(*SHORT_PUTS, params={"house.extreme": True})
    extreme = [p for p in house.points if p.layer == "extreme"]
    assert [(p.fraction, p.weight) for p in extreme] == [(-2.0, 0.35), (2.0, 0.35)]
    (group,) = house.class_groups
    assert group.moves[-2:] == pytest.approx((-0.30, 0.30))
    # the short 75 puts at −30% (spot 70) are 5 in the money: 35% of that loss beats the −15% point
    assert house.requirement > house.regulatory


def test_concentration_layer_takes_the_two_riskiest_at_30pct() -> None:
    rows = (stock("AAA", 100, 100.0), stock("BBB", 200, 100.0), stock("CCC", 300, 100.0))
    regulatory = 0.15 * (10_000 + 20_000 + 30_000)
    result = margin(*rows, params={"house.concentration": True})
    assert result.regulatory == pytest.approx(regulatory)
    assert result.house is not None
    assert result.house.concentration_groups == ("CCC", "BBB")
    # CCC and BBB at 30%, AAA at 5%
    assert result.requirement == pytest.approx(0.30 * 50_000 + 0.05 * 10_000)


def test_concentration_moves_the_book_coherently() -> None:
    # up: SPX +30% (+177,000), NDX +30% on the short (−153,000); down the mirror: loss 24,000
    result = margin(*SPY_VS_QQQ, params={"house.concentration": True})
    assert result.house is not None
    assert result.house.concentration == pytest.approx(0.30 * (590_000 - 510_000))
    assert result.requirement == pytest.approx(24_000.0)


def test_initial_layer_multiplies_maintenance() -> None:
    result = margin(stock("IBM", 100, 100.0), params={"house.initial": True})
    assert result.requirement == pytest.approx(1500.0)
    assert result.initial == pytest.approx(1650.0)


def test_house_switch_turns_every_layer_on_unless_one_is_switched_off() -> None:
    result = margin(*SHORT_PUTS, params=[["house", True], ["house.volatility", False]])
    assert result.house is not None
    assert result.house.layers == ("extreme", "concentration", "initial")


def test_house_sizes_come_from_params() -> None:
    result = margin(stock("IBM", 100, 100.0), params={"house.initial": True, "house.initial_multiple": 1.25})
    assert result.initial == pytest.approx(1875.0)


# --- outside portfolio margin, unsupported rows, errors ----------------------------------------


def test_bonds_are_margined_outside_and_added() -> None:
    bond = [
        "T 4 2029",
        "bond",
        100_000.0,
        98.0,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "treasury",
        None,
        2.5,
    ]
    result = margin(stock("IBM", 100, 100.0), bond)
    (line,) = result.outside
    assert "FINRA 4210(e)(2)" in line.rule and line.row == 3
    assert line.requirement == pytest.approx(0.02 * 98_000)  # 1–3 years: 2% of market value
    assert result.requirement == pytest.approx(1500 + 1960)
    assert any(row[0] == "outside portfolio margin" for row in result.breakdown_table())


def test_a_book_without_portfolio_margin_positions() -> None:
    bond = [
        "T 4 2029",
        "bond",
        100_000.0,
        98.0,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "treasury",
        None,
        2.5,
    ]
    cash = ["USD", "cash", 50_000.0, None, None, None, None, None, None, None, None, None, None, None]
    result = margin(bond, cash)
    assert result.class_groups == () and result.product_groups == ()
    assert result.requirement == pytest.approx(1960.0)
    assert result.scenarios_table()[-1][0] == "sum of class groups"


def test_cash_is_ignored() -> None:
    cash = ["USD", "cash", 50_000.0, None, None, None, None, None, None, None, None, None, None, None]
    assert margin(stock("IBM", 100, 100.0), cash).requirement == pytest.approx(1500.0)


def test_unsupported_rows_are_named() -> None:
    future = ["ESZ6", "future", 1.0, 5900.0, "ES", None, None, None, None, 50.0, None, None, None, None]
    cfd = ["EURUSD", "cfd", 1000.0, 1.1, None, None, None, None, None, None, None, "fx_major", None, None]
    with pytest.raises(UnsupportedError) as err:
        margin(stock("IBM", 100, 100.0), future, cfd)
    problems = err.value.problems
    assert [(p.row, p.column) for p in problems] == [(3, "type"), (4, "type")]
    assert "FUTURES_MARGIN" in problems[0].message and "ESMA_MARGIN" in problems[1].message


def test_every_position_type_has_a_treatment() -> None:
    treated = [*engine.COVERED, *engine.REFUSED, *engine.OUTSIDE, *engine.IGNORED]
    assert sorted(treated) == sorted(TYPES)


def test_price_outside_iv_bounds_names_the_row() -> None:
    # a call struck at 80 on a 100 stock cannot be worth 5 (intrinsic 20), and no volatility given
    bad = option("XYZ", 1, "C", 80, 100.0, 30, 0.3, price=5.0)
    bad[10] = None
    good = option("XYZ", 1, "C", 100, 100.0, 30, 0.3)
    good[10] = None
    with pytest.raises(InputError) as err:
        margin(good, bad)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (3, "price")
    assert "no-arbitrage lower bound" in problem.message and "is below 20" in problem.message


def test_implied_volatility_reprices_the_given_volatility() -> None:
    given = option("XYZ", -5, "P", 95, 100.0, 45, 0.35)
    implied = list(given)
    implied[10] = None
    a, b = margin(given), margin(implied)
    np.testing.assert_allclose(a.class_groups[0].pnl, b.class_groups[0].pnl, rtol=1e-6, atol=1e-6)


def test_an_option_expiring_today_is_worth_its_intrinsic_value() -> None:
    # no volatility can be implied at T = 0 and none is needed: −15% takes the call's 5.00 to 0
    table = [["symbol", "type", "quantity", "price", "underlying price", "strike", "expiry", "right"],
             ["XYZ", "option", 1.0, 5.0, 100.0, 95.0, AS_OF, "C"]]  # fmt: skip
    result = pm_requirement(read_positions(table, as_of=AS_OF), pm_settings({}, AS_OF))
    assert result.class_groups[0].pnl[0] == pytest.approx(-500.0)
    assert result.requirement == pytest.approx(500.0)


def test_as_of_must_match_the_positions() -> None:
    settings = pm_settings({"as_of": dt.date(2026, 12, 1)}, AS_OF)
    with pytest.raises(InputError, match="as of"):
        pm_requirement(portfolio(stock("IBM", 1, 1.0)), settings)


# --- eligibility and parameters --------------------------------------------------------------


@pytest.mark.parametrize(("equity", "eligible", "status"), [
    (None, None, "equity not given"), (150_000.0, True, "eligible"), (50_000.0, False, "not eligible"),
])  # fmt: skip
def test_minimum_equity_flag(equity: float | None, eligible: bool | None, status: str) -> None:
    result = margin(stock("IBM", 100, 100.0), params=None if equity is None else [["equity", equity]])
    assert result.eligible is eligible
    last = result.breakdown_table()[-1]
    assert last[1] == "minimum equity" and last[9] == status and last[8] == 100_000.0


def test_params_have_help_and_distinct_names() -> None:
    names = [norm(p.name) for p in PM_PARAMS]
    assert len(names) == len(set(names))
    assert all(p.help for p in PM_PARAMS)
    assert {"asof", "rate", "equity", "minimumscope", "house", "offsetusbroad"} <= set(names)


def test_unknown_parameter_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="known: as_of, rate"):
        read_params([["shock", 0.2]], PM_PARAMS)
    with pytest.raises(InputError, match="unknown parameter 'shock'"):
        pm_settings({"shock": 0.2}, AS_OF)


def test_as_of_defaults_to_today() -> None:
    assert pm_settings(read_params(None, PM_PARAMS), AS_OF).as_of == AS_OF


# --- the grids -------------------------------------------------------------------------------


def _plain(table: list[list[Any]]) -> None:
    width = len(table[0])
    for row in table:
        assert len(row) == width
        for cell in row:
            assert isinstance(cell, str | float) and not isinstance(cell, bool)
            if isinstance(cell, float):
                assert math.isfinite(cell)
                assert cell == round(cell, 2)


@pytest.mark.parametrize("params", [None, {"house": True}])
def test_tables_shapes_and_no_nan(params: Any) -> None:
    bond = [
        "T 4 2029",
        "bond",
        100_000.0,
        98.0,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "treasury",
        None,
        2.5,
    ]
    result = margin(
        stock("SPY", 1000, 590.0, kind="etf"),
        stock("QQQ", -1000, 510.0, kind="etf"),
        option("IBM", -5, "C", 95, 91.25, 21, 0.30),
        bond,
        params=params,
    )
    scenarios = result.scenarios_table()
    _plain(scenarios)
    assert scenarios[0][:3] == ["class group", "product group", "range"]
    assert len(scenarios[0]) == 3 + len(result.points)
    assert [row[0] for row in scenarios[1:]] == ["IBM", "NDX", "SPX", "sum of class groups"]
    totals = np.array(scenarios[1:-1], dtype=object)[:, 3:].astype(float).sum(axis=0)
    np.testing.assert_allclose(np.array(scenarios[-1][3:], dtype=float), totals, atol=0.03)

    breakdown = result.breakdown_table()
    _plain(breakdown)
    levels = [row[0] for row in breakdown[1:]]
    assert levels[:4] == ["class group"] * 3 + ["product group"]
    assert "outside portfolio margin" in levels
    requirement_row = next(row for row in breakdown if row[1] == "requirement")
    assert requirement_row[8] == result.requirement
    if params:
        assert "house" in levels
