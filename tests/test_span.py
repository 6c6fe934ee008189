"""Unit tests of the SPAN-style futures engine: scenarios, settings, spreads, options, errors, tables."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import books
from tests.books import EXPIRY, book
from tests.conftest import AS_OF
from xlmargin import instruments, rules
from xlmargin.capacity import scaled
from xlmargin.errors import InputError, MissingDataError, RuleError, UnsupportedError
from xlmargin.params import norm, read_params
from xlmargin.pricing import implied_volatility
from xlmargin.pricing_reference import bsm_scalar
from xlmargin.rules import RuleSet
from xlmargin.span import (
    SPAN_PARAMS,
    SpanSettings,
    calendar_spread_margin,
    futures_margin,
    inter_spread_credit,
    scanning_risk,
    scenarios,
    span_settings,
)
from xlmargin.span.months import contract_month

DEFAULT = span_settings({}, AS_OF)


def future(
    symbol: str, qty: float, price: float = 100.0, multiplier: Any = None, currency: Any = None
) -> list[Any]:
    return books.future(symbol, qty, price, multiplier=multiplier, currency=currency)


def option(
    under: str,
    qty: float,
    strike: float,
    right: str,
    f: float,
    price: float = 50.0,
    vol: Any = 0.2,
    expiry: dt.date = EXPIRY,
) -> list[Any]:
    return books.row(f"{under} {right}{strike:g}", "fop", qty, price, underlying=under, underlying_price=f,
                     strike=strike, expiry=expiry, right=right, volatility=vol)  # fmt: skip


def scan(root: str) -> float:
    return DEFAULT.products[root].scan


# --- scenarios -------------------------------------------------------------------------------------


def test_sixteen_scenarios_in_cme_order() -> None:
    """CME's layout (McMillan's array): unchanged, ±1/3, ±2/3, ±3/3 with vol up/down, then extremes."""
    s = scenarios(3, 2.0, 0.35)
    assert len(s) == 16
    assert [x.number for x in s] == list(range(1, 17))
    third = 1 / 3
    expected = [
        0,
        0,
        third,
        third,
        -third,
        -third,
        2 * third,
        2 * third,
        -2 * third,
        -2 * third,
        1,
        1,
        -1,
        -1,
        2,
        -2,
    ]
    assert [x.fraction for x in s] == pytest.approx(expected)
    assert [x.vol_direction for x in s] == [1, -1] * 7 + [0, 0]
    assert [x.weight for x in s] == [1.0] * 14 + [0.35, 0.35]


def test_outright_future_scans_its_range() -> None:
    result = futures_margin(book(future("ESZ6", 2, 6000)), DEFAULT)
    line = result.lines[0]
    assert line.scanning_risk == pytest.approx(2 * scan("ES"))
    assert line.worst_scenario == 13  # price down 3/3 is the long's worst (the extreme counts 70%)
    assert result.maintenance == pytest.approx(2 * scan("ES"))
    assert result.initial == pytest.approx(
        2 * scan("ES") * rules.load("span").get("accounts.hrp_initial_multiple")
    )
    assert result.requirement == result.maintenance
    assert result.gross_notional == pytest.approx(2 * 6000 * 50)


def test_hrp_and_basis() -> None:
    hedger = span_settings({"hrp": False, "basis": "initial"}, AS_OF)
    result = futures_margin(book(future("ESZ6", 1)), hedger)
    assert result.initial == result.maintenance == result.requirement
    custom = span_settings({"initial_multiple": 1.5, "basis": "initial"}, AS_OF)
    assert futures_margin(book(future("ESZ6", 1)), custom).requirement == pytest.approx(1.5 * scan("ES"))


def test_extreme_cover_can_set_the_scan() -> None:
    """With 3 × the range at 50% the extreme scenario (1.5 ranges) is the worst."""
    settings = span_settings({"extreme_multiple": 3.0, "extreme_cover": 0.5}, AS_OF)
    line = futures_margin(book(future("ESZ6", -1)), settings).lines[0]
    assert line.scanning_risk == pytest.approx(1.5 * scan("ES"))
    assert line.worst_scenario == 15


# --- parameters ----------------------------------------------------------------------------------


def test_overrides_from_a_parameter_range() -> None:
    values = read_params(["scan.ES=30000", "inter.ES-NQ=0.5", "intra.ES=123", "vol_scan.ES=10%"], SPAN_PARAMS)
    settings = span_settings(values, AS_OF)
    assert settings.products["ES"].scan == 30000.0
    assert settings.products["ES"].tiers[0].intra == 123.0
    assert settings.products["ES"].vol_scan == pytest.approx(0.10)
    assert next(s for s in settings.inter if s.id == "ES-NQ").credit == 0.5
    assert settings.products["NQ"].scan == scan("NQ")  # untouched


def test_parameter_names_are_unique_and_cover_every_product() -> None:
    names = [norm(p.name) for p in SPAN_PARAMS]
    assert len(names) == len(set(names))
    brief_roots = [
        "ES",
        "NQ",
        "RTY",
        "YM",
        "ZN",
        "ZB",
        "ZF",
        "ZT",
        "GC",
        "SI",
        "CL",
        "6E",
        "6J",
        "6B",
        "ZC",
        "ZS",
    ]
    micros = ["MES", "MNQ", "MYM", "M2K", "MGC", "MCL"]  # span.toml [micro]: priced off their standards
    assert sorted(DEFAULT.products) == sorted(brief_roots + micros)
    for root in brief_roots:
        for table in ("scan", "vol_scan", "intra", "short_option_minimum"):
            assert any(p.name == f"{table}.{root}" for p in SPAN_PARAMS)


def test_unknown_parameter_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"unknown parameter 'scan\.XX'"):
        span_settings({"scan.XX": 1.0}, AS_OF)
    with pytest.raises(InputError, match="at most 1"):
        read_params(["inter.ES-NQ=1.5"], SPAN_PARAMS)


def test_a_broken_rule_set_is_a_rule_error() -> None:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in _span_data().items()}
    del data["scan"]["ES"]
    with pytest.raises(RuleError, match=r"ES has no entry in \[scan\]"):
        span_settings({}, AS_OF, rule_set=RuleSet("span", data))


def test_malformed_tiers_are_a_rule_error() -> None:
    data = _span_data()  # a tier without its intra charge:
    data["tiers"] = {"source": "test", "confidence": "L", "ES": [{"months": [0, 2], "scan": 500.0}]}
    with pytest.raises(RuleError, match="tiers of ES are malformed"):
        span_settings({}, AS_OF, rule_set=RuleSet("span", data))
    data["tiers"]["ES"][0]["intra"] = 0.0
    data["tier_spreads"] = {"source": "test", "confidence": "L", "ES": [{"tiers": [1, 2], "charge": 5.0}]}
    with pytest.raises(RuleError, match="must name its tiers"):
        span_settings({}, AS_OF, rule_set=RuleSet("span", data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"legs": ["GC", "SI", "CL"], "ratio": [1, 1, 1]}, "needs sides"),  # three legs, no sides
        ({"credit": [0.5, 0.6, 0.7]}, "one credit or one per leg"),
        ({"credit": [0.5, 1.2]}, "one credit or one per leg"),
        ({"sides": ["A", "A"]}, "needs sides"),
        ({"legs": ["GC", "GC"]}, "distinct legs"),
    ],
)
def test_malformed_inter_spreads_are_a_rule_error(change: dict[str, Any], message: str) -> None:
    data = _span_data()
    data["inter"] = [{**data["inter"][1], **change}]  # GC-SI
    with pytest.raises(RuleError, match=message):
        span_settings({}, AS_OF, rule_set=RuleSet("span", data))


def test_a_parameter_gives_every_leg_of_a_per_leg_spread_one_rate() -> None:
    data = _span_data()
    data["inter"] = [{**data["inter"][1], "credit": [0.5, 0.7]}]
    spread = span_settings({}, AS_OF, rule_set=RuleSet("span", data)).inter[0]
    assert (spread.credits, spread.credit, spread.sides) == ((0.5, 0.7), 0.7, (1, -1))
    values = {"inter.GC-SI": 0.6}
    assert span_settings(values, AS_OF, rule_set=RuleSet("span", data)).inter[0].credits == (0.6, 0.6)


def _span_data() -> dict[str, Any]:
    import tomllib
    from pathlib import Path

    return tomllib.loads((Path(rules.__file__).parent / "span.toml").read_text(encoding="utf-8"))


def test_rule_tables_cite_a_source() -> None:
    for name in ("span", "esma"):
        rule_set = rules.load(name)
        for key, table in rule_set.tables().items():
            assert "source" in table and "confidence" in table, f"{name}.toml [{key}]"
            assert table["confidence"] in ("H", "M", "L")


def test_point_values_agree_with_the_instruments_table() -> None:
    """span.toml and the stress helper's futures table describe the same contracts."""
    for root, product in DEFAULT.products.items():
        spec = instruments.future_spec(root)
        if spec is not None:
            assert spec.multiplier == product.point_value, root


# --- calendar and inter-commodity spreads ---------------------------------------------------------


def test_calendar_spread_in_one_tier() -> None:
    """Two months of an untiered product scan as one: the spread's risk is its charge alone."""
    intra = DEFAULT.products["ES"].tiers[0].intra
    spread = futures_margin(book(future("ESZ6", 1), future("ESH7", -1)), DEFAULT)
    assert spread.lines[0].scanning_risk == pytest.approx(0.0)
    assert spread.maintenance == pytest.approx(intra)
    two_to_one = futures_margin(book(future("ESZ6", 2), future("ESH7", -1)), DEFAULT)
    assert two_to_one.maintenance == pytest.approx(scan("ES") + intra)
    same_month = futures_margin(book(future("ESZ6", 1), future("ESZ6", -1)), DEFAULT)
    assert same_month.maintenance == 0.0


def test_contract_month_codes() -> None:
    """Months after the valuation month (November 2026); one year digit means the next such year."""
    assert contract_month(12, "6", AS_OF) == 1  # Z6: December 2026
    assert contract_month(11, "6", AS_OF) == 0  # X6: this month
    assert contract_month(3, "7", AS_OF) == 4  # H7: March 2027
    assert contract_month(9, "6", AS_OF) == 118  # U6 has passed: September 2036
    assert contract_month(3, "27", AS_OF) == 4  # H27


def test_inter_spreads_in_priority_order_share_a_leg() -> None:
    """ZF-ZN (3:2) comes before ZT-ZN (2:1) in span.toml: ZN's delta goes to the first pair first."""
    result = futures_margin(book(future("ZFH7", 3), future("ZNH7", -3), future("ZTH7", 4)), DEFAULT)
    formed = {s.id: s for s in result.spreads}
    assert formed["ZF-ZN"].spreads == pytest.approx(1.0)  # min(3/3, 3/2)
    assert formed["ZT-ZN"].spreads == pytest.approx(1.0)  # ZN has 1 left: min(4/2, 1/1)
    credit = {s.id: s.credit for s in DEFAULT.inter}
    expected_zn = credit["ZF-ZN"] * 2 * scan("ZN") + credit["ZT-ZN"] * 1 * scan("ZN")
    zn = next(line for line in result.lines if line.root == "ZN")
    assert zn.inter_credit == pytest.approx(expected_zn)
    assert zn.maintenance == pytest.approx(3 * scan("ZN") - expected_zn)


def test_no_inter_credit_for_legs_on_the_same_side() -> None:
    result = futures_margin(book(future("ZCH7", 2), future("ZSF7", 1)), DEFAULT)
    assert result.spreads == ()
    assert result.maintenance == pytest.approx(2 * scan("ZC") + scan("ZS"))


def test_building_blocks_reject_bad_input() -> None:
    with pytest.raises(InputError):
        scanning_risk([])
    with pytest.raises(InputError):
        scanning_risk([[1.0, 2.0], [1.0]])
    with pytest.raises(InputError):
        scanning_risk([[1.0, math.nan]])
    with pytest.raises(InputError):
        calendar_spread_margin(-1.0, 500.0, 50.0)
    with pytest.raises(InputError):
        inter_spread_credit([1750.0, 2500.0], [2, 1], 1.2)
    with pytest.raises(InputError):
        inter_spread_credit([1750.0], [2, 1], 0.5)
    assert scanning_risk([[5.0, 1.0]]) == 0.0  # no scenario loses


def test_an_inter_spread_credit_may_be_a_numpy_number_and_text_is_refused() -> None:
    """One rate given as a NumPy scalar (a value read from an array) is one rate, as a float is;
    text is refused in one message, not split into characters and read leg by leg."""
    assert inter_spread_credit([900.0, 2100.0], [2, 1], np.int64(1)) == 3900.0
    assert inter_spread_credit([900.0, 2100.0], [2, 1], np.float32(0.5)) == 1950.0
    assert inter_spread_credit([900.0, 2100.0], [2, 1], np.array([0.5, 0.7])) == pytest.approx(2370.0)
    with pytest.raises(InputError, match=r"or one per leg, got '0\.5'"):
        inter_spread_credit([900.0, 2100.0], [2, 1], "0.5")  # type: ignore[arg-type]
    assert inter_spread_credit(np.array([900.0, 2100.0]), np.array([2, 1]), 0.5) == 1950.0
    for bad in (None, True, np.True_, [0.5, [1, 2]]):
        with pytest.raises(InputError, match="the credit is a fraction between 0 and 1"):
            inter_spread_credit([900.0, 2100.0], [2, 1], bad)  # type: ignore[arg-type]


# --- options on futures ------------------------------------------------------------------------------


def test_option_risk_array_matches_the_slow_reference() -> None:
    """Black-76 through the one kernel equals a textbook Black-Scholes with q = r, scenario by scenario."""
    settings = span_settings({"rate": 0.04}, AS_OF)
    f, strike, vol, qty = 6000.0, 6100.0, 0.18, -2
    line = futures_margin(book(option("ESZ6", qty, strike, "C", f, vol=vol)), settings).lines[0]
    years = (EXPIRY - AS_OF).days / 365.0
    later = years - 1 / 365.0
    product = settings.products["ES"]
    points = product.scan / product.point_value
    base = bsm_scalar(f, strike, years, 0.04, 0.04, vol, True)
    for s in scenarios(3, settings.extreme_multiple, settings.extreme_cover):
        sigma = vol * (1 + s.vol_direction * product.vol_scan)
        value = bsm_scalar(f + s.fraction * points, strike, later, 0.04, 0.04, sigma, True)
        assert line.pnl[s.number - 1] == pytest.approx(qty * 50 * (value - base) * s.weight, abs=1e-6)


def test_volatility_implied_from_the_price_when_blank() -> None:
    f, strike, price = 6000.0, 5900.0, 120.0
    years = (EXPIRY - AS_OF).days / 365.0
    sigma = float(implied_volatility(price, f, strike, years, 0.0, 0.0, False, False, on_future=True))
    blank = futures_margin(book(option("ESZ6", -1, strike, "P", f, price=price, vol=None)), DEFAULT)
    given = futures_margin(book(option("ESZ6", -1, strike, "P", f, price=price, vol=sigma)), DEFAULT)
    assert blank.maintenance == pytest.approx(given.maintenance, rel=1e-6)


def test_option_without_volatility_or_price_is_missing_data() -> None:
    with pytest.raises(MissingDataError) as err:
        futures_margin(
            book(future("ESZ6", 1), option("ESZ6", -1, 5000, "P", 6000, price=0, vol=None)), DEFAULT
        )
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (3, "volatility")


def test_covered_write_is_cheaper_than_the_future() -> None:
    covered = futures_margin(book(future("ESZ6", 1, 6000), option("ESZ6", -1, 6100, "C", 6000)), DEFAULT)
    outright = futures_margin(book(future("ESZ6", 1, 6000)), DEFAULT)
    assert 0 < covered.maintenance < outright.maintenance
    assert 0 < covered.lines[0].net_delta < 1  # the future's delta less the short call's
    assert covered.net_option_value == pytest.approx(-50.0 * 50)


def test_short_option_minimum_is_a_floor() -> None:
    """A far out-of-the-money short put on a low volatility loses nothing: the minimum applies."""
    result = futures_margin(book(option("ESZ6", -3, 3000, "P", 6000, price=0.05, vol=0.05)), DEFAULT)
    line = result.lines[0]
    assert line.scanning_risk < line.short_option_minimum
    assert line.maintenance == pytest.approx(3 * DEFAULT.products["ES"].short_option_minimum)


# --- input problems ----------------------------------------------------------------------------------


def test_non_futures_rows_are_named_not_skipped() -> None:
    rows = [
        books.stock("AAPL", 100, 200),
        future("ESZ6", 1),
        books.row("EURUSD", "fx", 1000, 1.1),
        future("XYZZ6", 1),
    ]
    with pytest.raises(UnsupportedError) as err:
        futures_margin(book(*rows), DEFAULT)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "type"), (4, "type"), (5, "symbol")]
    assert "known roots" in err.value.problems[2].message


def test_multiplier_and_currency_must_match_the_contract() -> None:
    assert futures_margin(book(future("ESZ6", 1, multiplier=50)), DEFAULT).maintenance == pytest.approx(
        scan("ES")
    )
    with pytest.raises(InputError) as err:
        futures_margin(book(future("ESZ6", 1, multiplier=5), future("NQZ6", 1, currency="EUR")), DEFAULT)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "multiplier"), (3, "currency")]
    with pytest.raises(InputError, match="before the valuation date"):
        futures_margin(book(future("ESZ25", 1)), DEFAULT)


def test_empty_book_needs_nothing() -> None:
    empty = book(future("ESZ6", 1)).select([False])
    result = futures_margin(empty, DEFAULT)
    assert (result.maintenance, result.initial, result.lines) == (0.0, 0.0, ())


# --- tables --------------------------------------------------------------------------------------------


def _plain(table: list[list[Any]]) -> None:
    assert all(isinstance(c, str) for c in table[0])
    width = len(table[0])
    for row in table:
        assert len(row) == width
        for cell in row:
            assert isinstance(cell, str | float | int) and not isinstance(cell, bool)  # int: a count
            assert not (isinstance(cell, float) and not math.isfinite(cell))


def test_tables_are_header_first_and_plain() -> None:
    result = futures_margin(
        book(future("ZCH7", 2), future("ZSF7", -1), future("ESZ6", 1), option("ESZ6", -1, 6100, "C", 6000)),
        DEFAULT,
    )
    table = result.table()
    _plain(table)
    assert table[0][0] == "combined commodity"
    assert [r[0] for r in table[1:]] == ["ZC", "ZS", "ES", "total"]
    assert table[-1][-2] == pytest.approx(result.maintenance, abs=0.01)
    grid = result.scenarios_table()
    _plain(grid)
    assert len(grid) == 17 and grid[0][-3:] == ["ZC", "ZS", "ES"]


# --- properties ----------------------------------------------------------------------------------------

_UNIVERSE = [
    future("ESZ6", 1, 6000),
    future("ESH7", 1, 6050),
    future("NQZ6", 1, 21000),
    future("ZCH7", 1, 450),
    future("ZSF7", 1, 1100),
    option("ESZ6", 1, 6000, "C", 6000),
    option("ESZ6", 1, 5800, "P", 6000),
]
_BOOKS = st.lists(
    st.tuples(st.sampled_from(range(len(_UNIVERSE))), st.integers(-3, 3).filter(bool)), min_size=1, max_size=6
)


def _rows(picks: list[tuple[int, int]]) -> list[list[Any]]:
    return [[*_UNIVERSE[i][:2], qty, *_UNIVERSE[i][3:]] for i, qty in picks]


@given(_BOOKS, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(picks: list[tuple[int, int]], rnd: Any) -> None:
    """Every step works on sums per commodity and month, and spreads follow the file's priority order."""
    rows = _rows(picks)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    a = futures_margin(book(*rows), DEFAULT)
    b = futures_margin(book(*shuffled), DEFAULT)
    assert b.maintenance == pytest.approx(a.maintenance, rel=1e-9, abs=1e-6)


@given(_BOOKS, st.floats(0.1, 10.0))
def test_positively_homogeneous(picks: list[tuple[int, int]], scale: float) -> None:
    """Risk arrays, deltas, spreads formed and the short option minimum are all linear in the
    quantities, and this engine adds no fixed amounts: R(λP) = λ R(P) before the cent rounding."""
    portfolio = book(*_rows(picks))
    base = futures_margin(portfolio, DEFAULT).exact  # (maintenance, the default basis)
    again = futures_margin(scaled(portfolio, scale), DEFAULT).exact
    assert again == pytest.approx(scale * base, rel=1e-9, abs=1e-6)


@given(_BOOKS)
def test_requirement_is_never_negative(picks: list[tuple[int, int]]) -> None:
    """Each leg's inter credit is at most its price risk, which is at most its scanning risk."""
    result = futures_margin(book(*_rows(picks)), DEFAULT)
    assert all(
        line.maintenance >= 0 and line.inter_credit <= line.scanning_risk + 1e-9 for line in result.lines
    )


def test_settings_defaults_are_the_rule_files() -> None:
    """SpanSettings' own defaults are span.toml's, the same as span_settings with no parameters."""
    resolved = span_settings({}, AS_OF)
    bare = SpanSettings(AS_OF, resolved.products, resolved.inter)
    assert bare == resolved
    shipped = rules.load("span")
    assert bare.initial_multiple == shipped.get("accounts.hrp_initial_multiple")
    assert bare.extreme_cover == shipped.get("scenarios.extreme_cover")
    assert bare.price_steps == shipped.get("scenarios.price_steps")
