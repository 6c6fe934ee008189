"""Reg T / FINRA 4210 / Cboe 10.3: one test per rule, each figure worked by hand in its docstring or comment.

Rule numbers are those of xlmargin/rules/regt.toml (see margin-rules.md §1 for their sources).
Positions go in as Excel hands them over: a header row, then rows of floats, strings and None.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.errors import InputError, UnsupportedError
from xlmargin.positions import read_positions
from xlmargin.regt import HEADER as TABLE_HEADER
from xlmargin.regt import PAIRINGS, RegTResult, StrategyGroup, cents, cut_short, regt_margin
from xlmargin.regt._formulas import add_months

HEADER = ["Symbol", "Type", "Qty", "Price", "Und Px", "Strike", "Right", "Mult", "Class", "Expiry", "DTE",
          "Leverage", "Maturity", "Currency", "Underlying"]  # fmt: skip


def opt(qty, right, strike, price, spot=100.0, *, days=30.0, expiry=None, symbol="XYZ", mult=100.0,
        klass=None, leverage=None, underlying=None, currency=None) -> list:  # fmt: skip
    return [symbol, "option", float(qty), float(price), float(spot), float(strike), right, mult, klass,
            expiry, None if expiry else days, leverage, None, currency, underlying]  # fmt: skip


def stk(qty, price, *, symbol="XYZ", kind="stock", leverage=None, currency=None) -> list:
    return [symbol, kind, float(qty), float(price), None, None, None, None, None, None, None, leverage, None,
            currency, None]  # fmt: skip


def other(symbol, kind, qty, price, *, klass=None, maturity=None) -> list:
    return [symbol, kind, float(qty), float(price), None, None, None, None, klass, None, None, None, maturity,
            None, None]  # fmt: skip


def run(*rows, basis="initial", net=False, rule_set=None, as_of=AS_OF) -> RegTResult:
    return regt_margin(read_positions([HEADER, *rows], as_of=as_of), basis=basis, net_of_proceeds=net,
                       rules=rule_set)  # fmt: skip


def strategies(result: RegTResult) -> list[str]:
    return [g.strategy for g in result.groups]


def override(**values) -> rules.RuleSet:
    return rules.load("regt").with_overrides({k.replace("__", "."): v for k, v in values.items()})


# --- uncovered options ---------------------------------------------------------------------------


def test_naked_call_includes_its_value_and_net_applies_the_proceeds():
    """tastytrade: max(1.50 + 13.00 − 3.00, 1.50 + 6.50) × 100 = 1,150 gross; 1,150 − 150 = 1,000 net."""
    leg = opt(-1, "C", 68, 1.5, 65)
    assert run(leg).total == 1150.0
    assert run(leg, net=True).total == 1000.0
    (group,) = run(leg).groups
    assert (group.margin, group.long_cost, group.short_proceeds, group.gross, group.net) == (
        1150,
        0,
        150,
        1150,
        1000,
    )


def test_maintenance_uses_the_same_formula_on_current_marks():
    leg = opt(-3, "P", 95, 2.0, 97.0)  # 2.00 + 19.40 − 2.00 = 19.40 vs 2.00 + 9.50 → 1,940 × 3
    assert run(leg).total == run(leg, basis="maintenance").total == 5820.0


def test_naked_put_floor_is_on_the_strike_and_fx_floor_on_the_underlying():
    # equity put far out of the money: 0.10 + 20.00 − 40.00 < floor 0.10 + 10% × 60 strike = 6.10
    assert run(opt(-1, "P", 60, 0.1, 100)).total == 610.0
    # currency put: 0.02 + 4% × 1.08 − 0 = 0.0632 > floor 0.02 + 0.75% × 1.08 (the underlying); × 10,000
    assert run(opt(-1, "P", 1.10, 0.02, 1.08, mult=10_000.0, klass="fx_major")).total == 632.0


def test_leveraged_etf_options_scale_the_percentages():
    """Cboe: percentages × the leverage factor: 2× → 40% of the underlying: 5 + 40 = 45 × 100."""
    assert run(opt(-1, "C", 100, 5.0, 100, leverage=2.0)).total == 4500.0


def test_broad_index_uses_15_percent_and_a_house_override_changes_it():
    leg = opt(-1, "P", 64, 10.0, 58, klass="broad_index")  # Hull: (10 + 8.70) × 100
    assert run(leg).total == 1870.0
    assert run(leg, rule_set=override(naked__broad_index__pct=0.20)).total == 2160.0  # 10 + 11.60


def test_house_minimum_per_share_is_a_house_layer_not_a_regulatory_rule():
    """tastytrade's $2.50/share floor (house.options = tastytrade; margin-rules.md §1.3): 0.05 + 20% ×
    50 − 30 < 0.05 + 10% × 20 = 2.05 < 2.50 (house)."""
    leg = opt(-1, "P", 20, 0.05, 50)
    assert run(leg).total == 205.0
    (group,) = run(leg, rule_set=override(house__options="tastytrade")).groups
    assert group.margin == 250.0 and "tastytrade house: at least 2.50/share" in group.rule


# --- long options and the nine-month rule -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [(dt.date(2027, 8, 20), 1000.0), (dt.date(2027, 8, 21), 750.0)],
    ids=["nine-calendar-months-paid-in-full", "one-day-more-75-percent"],
)
def test_long_option_nine_calendar_month_boundary(expiry, expected):
    """Cboe: ≤ 9 months paid in full, longer 75% of cost; AS_OF 2026-11-20 + 9 months = 2027-08-20
    (273 days: a '270 days' reading would already charge 75% on 2027-08-18)."""
    assert dt.date(2026, 11, 20) == AS_OF
    assert run(opt(1, "C", 100, 10.0, expiry=expiry)).total == expected


def test_long_dated_option_maintenance_is_75_percent_of_market_value_and_fx_is_paid_in_full():
    assert run(opt(1, "C", 80, 12.0, 78, days=540), basis="maintenance").total == 900.0
    assert run(opt(1, "C", 1.1, 0.05, 1.08, days=540, mult=10_000.0, klass="fx_major")).total == 500.0


@pytest.mark.parametrize("klass", ["treasury", "gold", "commodity", "crypto"])
def test_long_dated_option_on_a_non_equity_etf_is_paid_in_full(klass):
    """Cboe's long-dated table: "The ETF or index underlying an option must be equity based in order
    to be eligible for purchase on margin. For all other option types, long put or long call must be
    paid for in full." The same option on an equity underlying gets 75% (900 of 1,200)."""
    leg = opt(1, "C", 80, 12.0, 78, days=540, symbol="ETF", klass=klass)
    assert run(leg).total == 1200.0
    (group,) = run(leg).groups  # the reason is the underlying, not the time left
    assert f"({klass} underlying: no loan value at any expiry)" in group.rule and "or less" not in group.rule
    assert run(leg, basis="maintenance").total == 1200.0
    assert run(opt(1, "C", 80, 12.0, 78, days=540, symbol="ETF", klass="equity")).total == 900.0


def test_calendar_month_arithmetic_clamps_to_the_month_end():
    assert add_months(dt.date(2026, 11, 20), 9) == dt.date(2027, 8, 20)
    assert add_months(dt.date(2026, 5, 31), 9) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 5, 31), 9) == dt.date(2028, 2, 29)


# --- spreads ----------------------------------------------------------------------------------------


def test_credit_spread_is_the_lesser_of_naked_and_width():
    # width binds: naked 5.00 + 20.00 = 25.00/share vs width 5 × 100
    result = run(opt(-3, "C", 100, 5.0), opt(3, "C", 105, 2.5))
    (group,) = result.groups
    assert (group.strategy, group.margin, group.long_cost, group.short_proceeds) == (
        "credit spread",
        1500,
        750,
        1500,
    )
    assert result.total == 1500.0 and result.net == 750.0
    assert "lesser of naked requirement and strike difference × 100 × 3" in group.rule
    # naked binds: 0.50 + 20.00 − 20.00 < floor 0.50 + 10.00 → 1,050 < width 20 × 100
    (far,) = run(opt(-1, "C", 120, 0.5), opt(1, "C", 140, 0.1)).groups
    assert (far.strategy, far.margin) == ("credit spread", 1050.0)


def test_debit_spread_pays_the_debit():
    result = run(opt(2, "C", 100, 5.0), opt(-2, "C", 105, 2.5))
    assert strategies(result) == ["debit spread"]
    assert (result.gross, result.net) == (500.0, 500.0)


def test_calendar_needs_the_long_to_expire_on_or_after_the_short():
    calendar = run(opt(-1, "C", 100, 3.0, days=30), opt(1, "C", 100, 5.0, days=90))
    assert strategies(calendar) == ["calendar spread"] and calendar.total == 200.0
    # aus07 IBM: the long expires first: no spread: long paid + short naked (3.00 + 20.00 = 2,300)
    broken = run(opt(1, "C", 100, 3.0, days=30), opt(-1, "C", 100, 5.0, days=90))
    assert sorted(strategies(broken)) == ["long call", "naked call"]
    assert broken.total == 300.0 + 2500.0


def test_offsetting_rows_of_one_contract_need_nothing_beyond_the_long():
    result = run(opt(2, "P", 95, 1.25), opt(-2, "P", 95, 1.25))
    assert strategies(result) == ["offsetting long and short"]
    assert (result.gross, result.net) == (0.0, 0.0)


# --- combinations ------------------------------------------------------------------------------------


def test_short_strangle_may_mix_expiries_unless_the_rule_says_otherwise():
    legs = (opt(-1, "C", 110, 1.0, days=30), opt(-1, "P", 90, 1.0, days=90))
    # naked call 1.00 + 20.00 − 10.00 = 11.00; put the same: 1,100 + other side's value 100
    assert run(*legs).total == 1200.0
    assert run(*legs, rule_set=override(straddle__same_expiry_required=True)).total == 2200.0


def test_iron_condor_takes_the_larger_wing_and_ibkr_style_needs_equal_wings():
    legs = (opt(1, "P", 85, 0.5), opt(-1, "P", 90, 1.0), opt(-1, "C", 110, 1.0), opt(1, "C", 120, 0.3))
    assert strategies(run(*legs)) == ["iron condor"]
    assert run(*legs).total == 1000.0  # max(5, 10) × 100
    # IBKR-style: no condor; two credit spreads would need 500 + 1,000, but the short strangle
    # (1,100 + the other side's 100) with both longs paid (50 + 30) needs less
    equal = run(*legs, rule_set=override(iron_condor__equal_wings_required=True))
    assert sorted(strategies(equal)) == ["long call", "long put", "short strangle"]
    assert equal.total == 1280.0


def test_iron_butterfly():
    legs = (opt(1, "P", 95, 1.0), opt(-1, "P", 100, 3.0), opt(-1, "C", 100, 3.0), opt(1, "C", 105, 1.0))
    result = run(*legs)
    assert strategies(result) == ["iron butterfly"] and result.total == 500.0


def test_short_call_butterfly_is_the_credit_legs_width():
    result = run(opt(-1, "C", 95, 7.0), opt(2, "C", 100, 4.0), opt(-1, "C", 105, 2.0))
    (group,) = result.groups
    assert (group.strategy, group.margin, group.long_cost, group.short_proceeds) == (
        "short butterfly",
        500,
        800,
        900,
    )


def test_long_put_butterfly_is_the_net_debit_and_beats_two_spreads():
    """As two spreads the 100/95 put spread is a credit spread (margin 500); as a butterfly, none."""
    result = run(opt(1, "P", 105, 6.0), opt(-2, "P", 100, 3.0), opt(1, "P", 95, 1.0))
    assert strategies(result) == ["long butterfly"] and result.total == 100.0


def test_butterfly_body_split_over_two_rows_is_merged():
    result = run(opt(1, "C", 95, 7.0), opt(-1, "C", 100, 4.0), opt(1, "C", 105, 2.0), opt(-1, "C", 100, 4.0))
    (group,) = result.groups
    assert group.strategy == "long butterfly"
    assert [(leg.row, leg.quantity) for leg in group.legs] == [(2, 1.0), (3, -1.0), (5, -1.0), (4, 1.0)]


def test_long_put_condor_is_the_net_debit_not_a_credit_spreads_width():
    """Issue 10 item 9. Long 95 / short 90 / short 85 / long 80 puts, equal gaps: at expiry the
    intrinsic values never lose (Cboe RG07-43; SEC 34-67752: a spread's margin is its maximum risk),
    so the longs are paid (600 + 80) against the shorts (350 + 180): a 150 debit. Split into a
    95/90 debit spread (600 − 350 = 250) and an 85/80 credit spread (width 500) it needed 750."""
    legs = (
        opt(1, "P", 95, 6.0, 90),
        opt(-1, "P", 90, 3.5, 90),
        opt(-1, "P", 85, 1.8, 90),
        opt(1, "P", 80, 0.8, 90),
    )
    result = run(*legs)
    (group,) = result.groups
    assert (group.strategy, group.margin, group.long_cost, group.short_proceeds) == (
        "long condor",
        0,
        680,
        530,
    )
    assert result.total == 150.0
    assert run(*legs, net=True).total == 150.0


def test_long_condor_with_unequal_wings_is_margined_at_its_greatest_loss():
    """Long 95 / short 90 / short 85 / long 75 puts: at 75 and below the options are worth
    20 − 15 − 10 + 0 = −5 a share, so margin 500 plus the 100 debit (630 − 530) = 600, against
    250 + 1,000 = 1,250 as a debit and a credit spread, which a house requiring equal outer
    intervals (CIRO GN-5700-21-002's reading) still charges."""
    legs = (
        opt(1, "P", 95, 6.0, 90),
        opt(-1, "P", 90, 3.5, 90),
        opt(-1, "P", 85, 1.8, 90),
        opt(1, "P", 75, 0.3, 90),
    )
    result = run(*legs)
    assert strategies(result) == ["long condor"] and result.total == 600.0
    strict = run(*legs, rule_set=override(long_condor__equal_wings_required=True))
    assert sorted(strategies(strict)) == ["credit spread", "debit spread"] and strict.total == 1250.0


def test_long_call_condor_with_a_wider_body_and_a_broken_wing_butterfly():
    """Long 80 / short 85 / short 95 / long 100 calls (outer intervals 5, body 10): never a loss at
    expiry, margin 0; the longs 2,100 + 10 against the shorts 1,700 + 700 are a 290 credit: gross 0,
    net −290. Long 95 / short 2 × 100 / long 110 calls: at 110 and
    above 15 − 20 = −5 a share, margin 500, the longs 700 + 100 against the body 800: gross 500,
    where a debit spread (300) and a 100/110 credit spread (1,000) needed 1,300."""
    condor = (opt(1, "C", 80, 21.0), opt(-1, "C", 85, 17.0), opt(-1, "C", 95, 7.0), opt(1, "C", 100, 0.1))
    result = run(*condor)
    assert strategies(result) == ["long condor"] and result.total == 0.0 and result.net == -290.0
    butterfly = (opt(1, "C", 95, 7.0), opt(-2, "C", 100, 4.0), opt(1, "C", 110, 1.0))
    result = run(*butterfly)
    (group,) = result.groups
    assert (group.strategy, group.margin, group.long_cost, group.short_proceeds) == (
        "long butterfly",
        500,
        800,
        800,
    )
    assert result.total == 500.0


def test_boxes():
    long_box = (opt(1, "C", 95, 7.0), opt(-1, "C", 105, 2.0), opt(1, "P", 105, 6.0), opt(-1, "P", 95, 1.0))
    result = run(*long_box)
    assert strategies(result) == ["long box"] and result.total == 1000.0  # the debit
    short_box = [[*row[:2], -row[2], *row[3:]] for row in long_box]
    result = run(*short_box)
    assert strategies(result) == ["short box"]
    assert (result.gross, result.net) == (1000.0, 0.0)  # width 10 × 100; net 1,000 + 300 − 1,300


# --- with the underlying ---------------------------------------------------------------------------


def test_covered_call_maintenance_values_the_stock_at_no_more_than_the_strike():
    legs = (stk(100, 110.0), opt(-1, "C", 100, 12.0, 110))
    assert run(*legs, basis="maintenance").total == 2500.0  # 25% × min(11,000, 10,000)
    # initial: 50% × 11,000, and only 50% of the strike's 10,000 is lent (McMillan), so + 50% × ITM 1,000
    assert run(*legs).total == 6000.0


def test_covered_put_adds_the_puts_in_the_money_amount():
    # short stock max(50% × 5,000, maintenance 30% = 1,500) + put ITM 5 × 100
    assert run(stk(-100, 50.0), opt(-1, "P", 55, 6.0, 50)).total == 3000.0


def test_protective_put_maintenance_excludes_the_puts_value():
    legs = (stk(100, 50.0), opt(1, "P", 45, 1.0, 50))
    assert run(*legs).total == 2600.0  # 50% × 5,000 + put 100
    # lesser of (10% × 45 + OTM 5) × 100 = 950 and 25% × 5,000 = 1,250
    assert run(*legs, basis="maintenance").total == 950.0


def test_protective_call():
    legs = (stk(-100, 50.0), opt(1, "C", 55, 1.0, 50))
    assert run(*legs).total == 2600.0  # short stock 2,500 + call 100
    # lesser of (10% × 55 + OTM 5) × 100 = 1,050 and short maintenance max(30% × 5,000, 5 × 100)
    assert run(*legs, basis="maintenance").total == 1050.0


def test_collar():
    legs = (stk(100, 50.0), opt(1, "P", 45, 1.0, 50), opt(-1, "C", 55, 1.5, 50))
    initial = run(*legs, net=True)
    assert strategies(initial) == ["collar"] and initial.total == 2450.0  # 2,500 + 100 − 150
    # lesser of (10% × 45 + 5) × 100 = 950 and 25% × 55 × 100 = 1,375
    assert run(*legs, basis="maintenance").total == 950.0


def test_conversion_and_reversal_maintenance():
    conversion = (stk(100, 50.0), opt(1, "P", 50, 2.0, 50), opt(-1, "C", 50, 2.5, 50))
    result = run(*conversion, basis="maintenance")
    assert strategies(result) == ["conversion"] and result.total == 500.0  # 10% × 50 × 100
    reversal = (stk(-100, 50.0), opt(-1, "P", 55, 6.0, 50), opt(1, "C", 55, 1.0, 50))
    result = run(*reversal, basis="maintenance")
    assert strategies(result) == ["reversal"] and result.total == 1050.0  # 10% × 55 × 100 + ITM 500


def test_conversion_maintenance_adds_the_short_calls_in_the_money_amount():
    """Issue 10 item 8. Stock 105, put and call 100: 10% × 100 × 100 + call ITM (105 − 100) × 100
    = 1,500, as the collar formula gives for the same legs (10% × 100 + put OTM 5) and as the
    mirror-image reversal (stock 95: 1,000 + put ITM 500) gives."""
    conversion = (stk(100, 105.0), opt(1, "P", 100, 0.5, 105), opt(-1, "C", 100, 5.5, 105))
    result = run(*conversion, basis="maintenance")
    assert strategies(result) == ["conversion"] and result.total == 1500.0
    mirror = (stk(-100, 95.0), opt(-1, "P", 100, 5.5, 95), opt(1, "C", 100, 0.5, 95))
    result = run(*mirror, basis="maintenance")
    assert strategies(result) == ["reversal"] and result.total == 1500.0
    # the call out of the money adds nothing: 10% × 100 × 100
    otm = (stk(100, 95.0), opt(1, "P", 100, 5.5, 95), opt(-1, "C", 100, 0.5, 95))
    assert run(*otm, basis="maintenance").total == 1000.0


def test_conversion_and_reverse_conversion_match_ibkr_as_quoted_by_lean():
    """QuantConnect Lean, Tests/Common/Securities/OptionStrategyPositionGroupBuyingPowerModelTests.cs,
    MaintenanceMarginTestCases: SPY Jun 21 2024 524 call 2.29 / put 0.827, 100 shares, leverage 2
    (Lean's own model setting, not an ETF factor). Conversion at SPY 524.63: "IB: 5303"
    = 10% × 524 × 100 + (524.63 − 524) × 100; reverse conversion at SPY 524.61: "IB: 5240"."""
    expiry = dt.datetime(2024, 6, 21)
    as_of = dt.date(2024, 6, 10)
    spy = {"expiry": expiry, "symbol": "SPY"}
    conversion = (stk(100, 524.63, symbol="SPY"), opt(1, "P", 524, 0.827, 524.63, **spy),
                  opt(-1, "C", 524, 2.29, 524.63, **spy))  # fmt: skip
    result = run(*conversion, basis="maintenance", as_of=as_of)
    assert strategies(result) == ["conversion"] and result.total == 5303.0
    reversal = (stk(-100, 524.61, symbol="SPY"), opt(-1, "P", 524, 0.827, 524.61, **spy),
                opt(1, "C", 524, 2.29, 524.61, **spy))  # fmt: skip
    result = run(*reversal, basis="maintenance", as_of=as_of)
    assert strategies(result) == ["reversal"] and result.total == 5240.0


def test_index_calls_are_covered_by_basket_etfs_in_index_units_only():
    """Cboe: 1,000 SPY cover one SPX contract (SPY = 0.1 SPX). VOO has no fixed ratio (units 0)."""
    spx_call = opt(-1, "C", 5100, 20.0, 5000, symbol="SPX")
    covered = run(stk(1000, 500.0, symbol="SPY", kind="etf"), spx_call)
    assert strategies(covered) == ["covered call"] and covered.total == 250_000.0
    assert [leg.quantity for leg in covered.groups[0].legs] == [1000.0, -1.0]
    # SPX: 20 + 15% × 5,000 − 100 = 670/share; VOO cannot cover it
    uncovered = run(stk(1000, 500.0, symbol="VOO", kind="etf"), spx_call)
    assert sorted(strategies(uncovered)) == ["long stock", "naked call"]
    assert uncovered.total == 250_000.0 + 67_000.0
    # 999 SPY shares are not a whole contract's worth
    assert strategies(run(stk(999, 500.0, symbol="SPY", kind="etf"), spx_call)) == [
        "long stock",
        "naked call",
    ]


def test_partial_cover_leaves_the_rest_naked_and_the_odd_shares_as_stock():
    result = run(stk(250, 38.0), opt(-3, "C", 35, 4.0, 38))
    groups = {g.strategy: g for g in result.groups}
    assert [leg.quantity for leg in groups["covered call"].legs] == [200.0, -2.0]
    assert [leg.quantity for leg in groups["long stock"].legs] == [50.0]
    assert [leg.quantity for leg in groups["naked call"].legs] == [-1.0]


# --- stock ---------------------------------------------------------------------------------------------


def test_leveraged_etf_percentages_are_scaled_and_capped():
    assert run(stk(100, 50.0, leverage=3.0)).total == 5000.0  # 50% × 3 = 150%, capped at 100%
    assert run(stk(100, 50.0, leverage=3.0), basis="maintenance").total == 3750.0  # 25% × 3
    assert run(stk(-100, 50.0, leverage=-2.0)).total == 5000.0  # short 50% × 2 = 100%


def test_short_stock_under_five_dollars():
    assert run(stk(-10_000, 4.5), basis="maintenance").total == 45_000.0  # max(2.50 × 10,000, 100%)
    assert run(stk(-1000, 50.0), basis="maintenance").total == 15_000.0  # max(5 × 1,000, 30%)


# --- other position types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("klass", "years", "expected"),
    [("treasury", 0.5, 9_800.0), ("treasury", 7.0, 39_200.0), ("agency", 25.0, 58_800.0),
     ("municipal", 12.0, 68_600.0)],
    ids=["treasury-under-1y-1pct", "treasury-5-10y-4pct", "agency-20y-plus-6pct", "municipal-7pct"],
)  # fmt: skip
def test_bonds_take_finra_maturity_buckets_on_both_bases(klass, years, expected):
    bond = other("B", "bond", 1_000_000, 98.0, klass=klass, maturity=years)  # market value 980,000
    assert run(bond).total == run(bond, basis="maintenance").total == expected
    short = other("B", "bond", -1_000_000, 98.0, klass=klass, maturity=years)
    assert run(short).total == expected


def test_cash_needs_nothing():
    result = run(other("USD", "cash", 10_000, 1.0), stk(100, 50.0))
    assert strategies(result) == ["cash", "long stock"] and result.total == 2500.0


def test_every_unsupported_row_is_named_at_once():
    with pytest.raises(UnsupportedError) as info:
        run(other("ESZ6", "future", 1, 5000.0), stk(100, 50.0), other("EURUSD", "fx", 10_000, 1.1),
            other("DAX", "cfd", 1, 18_000.0), other("CORP", "bond", 1000, 99.0, maturity=5.0))  # fmt: skip
    problems = [str(p) for p in info.value.problems]
    assert problems == [
        "row 2, type: ESZ6: future positions have no Reg T rule; use FUTURES_MARGIN",
        "row 4, type: EURUSD: fx positions have no Reg T rule; use ESMA_MARGIN",
        "row 5, type: DAX: cfd positions have no Reg T rule; use ESMA_MARGIN",
        "row 6, class: CORP: a bond needs its class; supported classes: treasury, agency, municipal, "
        "corporate, high_yield, convertible",
    ]
    assert info.value.code == "UNSUP"


def test_short_option_on_a_class_without_a_naked_rule_is_unsupported():
    with pytest.raises(
        UnsupportedError, match="row 2, class: XYZ: no uncovered-option rule for class agency"
    ):
        run(opt(-1, "C", 100, 1.0, klass="agency"))


def test_unknown_basis_is_an_input_error():
    with pytest.raises(InputError, match="basis must be one of initial, maintenance"):
        run(stk(100, 50.0), basis="overnight")


# --- the result ------------------------------------------------------------------------------------------


def test_table_is_excel_ready_and_adds_up():
    result = run(stk(300, 38.0), opt(-6, "C", 35, 4.0, 38), opt(1, "P", 30, 0.5, 38), net=True)
    table = result.table()
    assert table[0] == list(TABLE_HEADER)
    assert table[-1][0] == "Total" and table[-1][-1] == result.total == result.net
    assert len(table) == len(result.groups) + 2
    assert all(
        isinstance(c, str | float) and not (isinstance(c, float) and math.isnan(c)) for r in table for c in r
    )
    assert all(isinstance(c, float) for r in table[1:] for c in r[4:])
    assert sum(r[-1] for r in table[1:-1]) == pytest.approx(result.total, abs=1e-9)
    # the put and call proceeds tie a collar with a covered call and a lone put: the collar is named
    legs = "row 2: +100 XYZ shares; row 4: +1 XYZ 2026-12-20 30 put; row 3: -1 XYZ 2026-12-20 35 call"
    assert table[1][:3] == ["collar", "XYZ", legs]


def test_large_counts_print_without_exponents():
    table = run(stk(1_000_000, 5.0)).table()
    assert table[1][2] == "row 2: +1,000,000 XYZ shares"
    assert table[1][3].endswith("× 1,000,000 shares")


def test_money_is_rounded_half_up_to_the_cent():
    assert (cents(0.125), cents(-0.125), cents(2.675), cents(1150.0049999999998)) == (
        0.13,
        -0.13,
        2.68,
        1150.01,
    )
    # worthless in-the-money index call: 0 + 15% × 1,460.617 × 100 = 21,909.255, half a cent: up
    (group,) = run(opt(-1, "C", 1400, 0.0, 1460.617, klass="broad_index")).groups
    assert group.margin == 21_909.26


def test_total_is_the_sum_of_the_rounded_groups():
    legs = [opt(-1, "C", 1400 + k, 0.0, 1460.617, klass="broad_index") for k in (0, 1)]
    result = run(*legs)
    assert result.total == 43_818.52  # 2 × 21,909.26, not the unrounded 43,818.51


def test_a_foreign_position_is_margined_in_dollars():
    # (it was added as given, euros as dollars, with a warning; tests/test_usd_engines.py has more)
    rows = [[*HEADER, "fx_rate"], [*stk(100, 50.0, currency="USD"), None],
            [*stk(100, 50.0, symbol="ABC", currency="EUR"), 1.2]]  # fmt: skip
    result = regt_margin(read_positions(rows, as_of=AS_OF))
    assert sorted(g.margin for g in result.groups) == [2500.0, 3000.0] and result.warnings == ()


def test_candidate_cap_falls_back_to_two_leg_strategies_with_a_warning():
    legs = (opt(1, "P", 85, 0.5), opt(-1, "P", 90, 1.0), opt(-1, "C", 110, 1.0), opt(1, "C", 120, 0.3))
    result = run(*legs, rule_set=override(pairing__max_candidates=1))
    assert sorted(strategies(result)) == ["long call", "long put", "short strangle"]  # no condor
    assert result.total == 1280.0 > run(*legs).total == 1000.0
    assert len(result.warnings) == 1 and "only two-leg strategies" in result.warnings[0]


def test_candidate_cap_warns_only_when_a_composite_is_left_out():
    """Two-leg strategies beyond the cap but no composite to try (one leg per expiry, no stock):
    nothing was left out, so no warning; with a stock (a collar to try) the warning is due."""
    legs = (opt(-1, "C", 100, 3.0, days=30), opt(1, "C", 105, 2.0, days=60), opt(1, "C", 110, 1.5, days=90))
    capped = override(pairing__max_candidates=1)  # the two diagonal spreads are already past it
    assert run(*legs, rule_set=capped).groups == run(*legs).groups
    assert run(*legs, rule_set=capped).warnings == ()
    (warning,) = run(*legs, opt(1, "P", 95, 2.5, days=90), stk(100, 100.0), rule_set=capped).warnings
    assert "only two-leg strategies" in warning


# --- optimal, not greedy ---------------------------------------------------------------------------


def test_greedy_first_match_pairing_is_beaten():
    """One long 105 call, two short calls. Greedy pairs the long with the first short it meets (the
    110, a debit spread) and leaves the at-the-money 100 naked; pairing it with the 100 (a 500 credit
    spread) and leaving the far 110 naked is cheaper."""
    long105, short110, short100 = opt(1, "C", 105, 2.0), opt(-1, "C", 110, 1.0), opt(-1, "C", 100, 4.0)
    greedy = run(long105, short110).total + run(short100).total  # 100 debit + (4 + 20) × 100
    optimal = run(long105, short100).total + run(short110).total  # 500 + (1 + 20 − 10) × 100
    assert (greedy, optimal) == (2500.0, 1600.0)
    for order in (
        (long105, short110, short100),
        (short100, short110, long105),
        (short110, long105, short100),
    ):
        assert run(*order).total == optimal


def test_an_offsetting_pair_is_no_leg_for_other_strategies():
    """Found by hypothesis, once: with +k and −k C105 kept as two legs, two copies formed a reversal,
    a lone short stock and a short straddle across the copies (1,800 + 2,925 + 1,950 = 6,675 <
    2 × 3,675), borrowing each side of a closed position for a different strategy. The calls are
    flat, so the book is −100k shares and −k P105: k covered puts, 3,675 each, at maintenance."""

    def book(k):
        legs = (stk(-100 * k, 97.5), opt(k, "C", 105, 7.5, 97.5), opt(-k, "C", 105, 7.5, 97.5),
                opt(-k, "P", 105, 0.0, 97.5))  # fmt: skip
        return run(*legs, basis="maintenance")

    for k in (1, 2):
        assert sorted(strategies(book(k))) == ["covered put", "offsetting long and short"]
        assert book(k).total == 3675.0 * k


def test_row_order_does_not_change_the_groups():
    rows = [stk(200, 100.0), opt(-2, "C", 105, 2.0), opt(1, "P", 95, 1.5), opt(-1, "P", 90, 0.8),
            opt(1, "C", 110, 0.9), opt(-1, "C", 100, 4.0, days=60)]  # fmt: skip
    forward, backward = run(*rows), run(*reversed(rows))
    assert forward.total == backward.total
    key = sorted((g.strategy, g.margin, g.long_cost, g.short_proceeds) for g in forward.groups)
    assert key == sorted((g.strategy, g.margin, g.long_cost, g.short_proceeds) for g in backward.groups)


def test_a_very_large_underlying_is_searched_within_bounds_and_says_so() -> None:
    """Above `pairing.exhaustive_legs` option legs, spreads pair with the nearest strikes per expiry
    (a bounded search), and the result says the pairing may not be the optimum."""
    import time

    from tests.conftest import AS_OF
    from xlmargin.positions import read_positions
    from xlmargin.regt import regt_margin

    header = ["symbol", "type", "quantity", "price", "underlying price", "strike", "days", "right"]
    rows = [header]
    for i in range(120):
        strike = 80.0 + i
        rows.append(["XYZ", "option", 1.0 if i % 2 else -1.0, max(100.0 - strike, 0.0) + 1.0, 100.0,
                     strike, 30.0 + 30 * (i % 3), "C" if i % 4 < 2 else "P"])  # fmt: skip
    start = time.perf_counter()
    result = regt_margin(read_positions(rows, as_of=AS_OF))
    assert time.perf_counter() - start < 30
    assert result.total > 0
    assert any("nearest strikes per expiry" in w for w in result.warnings)


# --- the pairing cache -----------------------------------------------------------------------------


def _counting_solver(monkeypatch) -> list[int]:
    """Patch the solver to record how many underlyings each call solves."""
    import xlmargin.regt as regt

    calls: list[int] = []
    real = regt.solve

    def counting(blocks, *rest):
        calls.append(len(blocks))
        return real(blocks, *rest)

    monkeypatch.setattr(regt, "solve", counting)
    return calls


def test_a_repeat_call_solves_only_the_underlyings_that_changed(monkeypatch):
    from xlmargin.regt import PAIRINGS

    book = [opt(1, "C", 95, 7.0), opt(-2, "C", 100, 4.0), opt(1, "C", 105, 2.0),
            opt(-1, "P", 45, 1.0, 50, symbol="ABC"), opt(1, "P", 40, 0.4, 50, symbol="ABC"),
            stk(100, 50.0, symbol="ABC"), opt(-1, "C", 55, 1.5, 50, symbol="ABC")]  # fmt: skip
    PAIRINGS.clear()
    calls = _counting_solver(monkeypatch)
    first = run(*book)
    assert calls == [2]
    assert run(*book) == first and calls == [2, 0]  # rows read again: every underlying from the cache
    assert run(*reversed(book)).total == first.total  # other rows, other groups: solved again
    changed = [*book[:3], opt(-2, "P", 45, 1.0, 50, symbol="ABC"), *book[4:]]
    calls.clear()
    result = run(*changed)
    assert calls == [1]  # XYZ from the cache, ABC solved
    PAIRINGS.clear()
    assert run(*changed) == result  # the same as solving everything afresh
    calls.clear()
    run(*changed, basis="maintenance")
    run(*changed, rule_set=override(house__options="tastytrade"))
    assert calls == [2, 2]  # another basis or rule set shares nothing


def test_the_pairing_cache_is_bounded_least_recently_used_first():
    from xlmargin.regt._cache import Pairings

    cache = Pairings(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_importing_reg_t_does_not_load_the_solver():
    """scipy.optimize is a third of a cold start; it loads when a pairing needs solving."""
    import subprocess
    import sys

    code = "import sys, xlmargin.regt; print('scipy.optimize' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_long_condor_wings_are_the_nearest_strikes_so_a_dense_chain_stays_under_the_cap():
    """60 puts of one expiry, long and short in turn: every short pair with every wing would be
    about 20,000 condors, past `pairing.max_candidates` with the other strategies, and the cap
    would drop every composite; with the four nearest longs each side there are 1,000 or so."""
    from xlmargin.regt._formulas import RegTRules
    from xlmargin.regt._legs import book_legs
    from xlmargin.regt._strategies import Enumerator

    rows = [opt(1 if k % 2 else -1, "P", 50 + k, max(50 + k - 80, 0) + 1.0, 80) for k in range(60)]
    portfolio = read_positions([HEADER, *rows], as_of=AS_OF)
    r = RegTRules.of(rules.load("regt"))
    legs = book_legs(portfolio.positions, r, "initial", AS_OF)
    enumerator = Enumerator(legs, r, "initial", False)
    condors = [c for c in enumerator.candidates() if len(c.uses) == 4]
    assert enumerator.warnings == []
    assert 0 < len(condors) <= 30 * 31 // 2 * 4 * 4  # short pairs × nearest wings each side


# --- long and short rows of one series net -----------------------------------------------------------


def test_long_and_short_rows_of_one_series_close_before_pairing():
    """−1 C95 @ 6.42, +2 C100 @ 3.43, −1 C105 @ 1.57, +1 C105 @ 1.57 (spot 100, 30 days, initial).

    The C105 rows offset: a closed position ("offsetting long and short"), nothing required.
    The net book is a credit spread, min(naked 642 + 20% × 100 × 100 = 2,642, width 5 × 100 =
    500) = 500, and a long call paid in full, 343: 843 gross; net of proceeds 500 + (343 + 343)
    − 642 = 544. Without netting, a short butterfly −C95 +2 C100 −C105 (500) and the long C105
    (157) would give 657.
    """
    rows = [opt(-1, "C", 95, 6.42), opt(2, "C", 100, 3.43), opt(-1, "C", 105, 1.57), opt(1, "C", 105, 1.57)]
    gross, net = run(*rows), run(*rows, net=True)
    assert (gross.total, gross.gross, gross.net) == (843.0, 843.0, 544.0)
    assert net.total == 544.0
    assert strategies(gross) == ["credit spread", "long call", "offsetting long and short"]
    closed = gross.groups[-1]
    assert [(leg.row, leg.quantity) for leg in closed.legs] == [(4, -1.0), (5, 1.0)]
    assert (closed.margin, closed.long_cost, closed.short_proceeds, closed.gross) == (0.0, 0.0, 0.0, 0.0)
    assert run(*rows[:2]).total == 843.0  # the net book alone


def test_a_partly_offset_series_keeps_its_net_contracts_from_the_later_rows():
    """−3 C100 (row 2) against +1 C100 (row 3) and +1 C100 (row 4): one long row and one contract of
    the short row close, in row order; the net −1 C100 is naked: 343 + 20% × 100 × 100 = 2,343."""
    result = run(opt(-3, "C", 100, 3.43), opt(1, "C", 100, 3.43), opt(1, "C", 100, 3.43))
    assert result.total == 2343.0
    naked, closed = result.groups
    assert (naked.strategy, [(leg.row, leg.quantity) for leg in naked.legs]) == ("naked call", [(2, -1.0)])
    assert [(leg.row, leg.quantity) for leg in closed.legs] == [(2, -2.0), (3, 1.0), (4, 1.0)]
    assert run(opt(1, "C", 100, 3.43), opt(-1, "C", 100, 3.43)).total == 0.0  # flat: nothing required


def test_long_and_short_rows_of_one_stock_net_like_a_series():
    """+100 XYZ at 228.50 (row 2) against −100 (row 3): flat, nothing required (before, each row
    was margined alone, 50% of 22,850 twice); against −60 the net +40 is long stock at 50%:
    40 × 228.50 × 50% = 4,570, and 60 of each side close. A short majority stays short: −100
    against +30 is −70 short stock at 50% of 70 × 228.50 = 7,997.50 (Reg T initial)."""
    flat = run(stk(100, 228.5), stk(-100, 228.5))
    assert flat.total == 0.0
    assert strategies(flat) == ["offsetting long and short"]
    assert "of one stock close" in flat.groups[0].rule
    partly = run(stk(100, 228.5), stk(-60, 228.5))
    assert partly.total == 4570.0
    assert strategies(partly) == ["long stock", "offsetting long and short"]
    assert [(leg.row, leg.quantity) for leg in partly.groups[1].legs] == [(2, 60.0), (3, -60.0)]
    short = run(stk(-100, 228.5), stk(30, 228.5))
    assert short.total == run(stk(-70, 228.5)).total == 7997.5
    # column-wise (a book of 40 rows or more) and row by row agree
    many = [stk(10, 228.5, symbol=f"S{k}") for k in range(40)]
    assert run(*many, stk(100, 228.5), stk(-60, 228.5)).total == run(*many).total + 4570.0


# --- equally cheap pairings: one canonical choice --------------------------------------------------


def _signature(result: RegTResult) -> tuple:
    """The result without rows: totals, and each group with the contracts it holds, in sorted order
    (which of several rows of one contract a group draws from follows the rows' order)."""

    def held(g: StrategyGroup) -> tuple:
        amounts: dict[str, float] = {}
        for leg in g.legs:
            amounts[leg.description] = amounts.get(leg.description, 0.0) + leg.quantity
        return tuple(sorted(amounts.items()))

    groups = sorted(
        (g.strategy, g.underlying, g.rule, g.margin, g.long_cost, g.short_proceeds, g.gross, g.net, held(g))
        for g in result.groups
    )
    return result.total, result.gross, result.net, groups


@pytest.mark.parametrize("basis, net", [("initial", False), ("maintenance", True)])
def test_equally_cheap_pairings_resolve_alike_stacked_alone_or_permuted(basis, net):
    """Part of the benchmark book (many underlyings with equally cheap pairings: identical spreads
    over several strikes, the other convention's figure free to differ) priced in one call (one
    stacked program), one underlying per call, and with its rows shuffled: the same figures and
    the same groups, to the cent (before the canonical tie-break, both conventions failed this:
    the rounded totals moved by a cent and groups changed between the three ways)."""
    from benchmarks.book import AS_OF as BOOK_AS_OF
    from benchmarks.book import book as benchmark_book

    table = benchmark_book(200, 15, 15)
    header, body = table[0], table[1:]

    def price(rows: list) -> RegTResult:
        PAIRINGS.clear()
        portfolio = read_positions([header, *rows], as_of=BOOK_AS_OF)
        return regt_margin(portfolio, basis=basis, net_of_proceeds=net)

    stacked = price(body)
    shuffled = body[:]
    random.Random(7).shuffle(shuffled)
    assert _signature(price(shuffled)) == _signature(stacked)
    by_class: dict[str, list] = {}
    for p in read_positions(table, as_of=BOOK_AS_OF).positions:
        by_class.setdefault(p.class_group, []).append(table[p.row - 1])
    alone = [price(rows) for rows in by_class.values()]
    groups = sorted(g for result in alone for g in _signature(result)[3])
    assert groups == _signature(stacked)[3]
    gross, net_total = cents(sum(r.gross for r in alone)), cents(sum(r.net for r in alone))
    assert (gross, net_total) == (stacked.gross, stacked.net)


def test_realistic_call_ladder_keeps_its_optimal_canonical_pairing():
    """Regression guard on the pairing of a many-leg book: the optimum (and its canonical groups,
    the tie-break's choice) recorded from the exact solver; any change to the solver's stages that
    lands on another total or another equally cheap pairing fails here."""
    from benchmarks.bench_regt import call_ladder

    PAIRINGS.clear()
    result = regt_margin(read_positions(call_ladder(realistic=True), as_of=AS_OF))
    assert (result.total, result.gross, result.net) == (2000.0, 2000.0, 600.0)
    assert result.warnings == ()
    groups = sorted((g.strategy, tuple(sorted(leg.row for leg in g.legs))) for g in result.groups)
    spreads = [(2, 11), (20, 21), (22, 31), (40, 41)]
    condors = [(3, 4, 6, 7), (5, 8, 10, 13), (9, 12, 14, 17), (15, 16, 18, 19)]
    condors += [tuple(row + 20 for row in rows) for rows in condors]
    expected = [("credit spread", rows) for rows in spreads] + [("long condor", rows) for rows in condors]
    assert groups == expected


def test_tie_break_stops_at_the_deadline_and_keeps_the_cheapest_pairing():
    """The tie-break's solves share the solve's time limit: past the deadline, each block's search
    stops, is reported as stopped, and keeps the pairing it had (as cheap as before)."""
    import time

    import numpy as np

    from benchmarks.bench_regt import call_ladder
    from xlmargin.regt._formulas import RegTRules
    from xlmargin.regt._highs import milp  # the pairing's (its options are HiGHS', not scipy's)
    from xlmargin.regt._legs import book_legs
    from xlmargin.regt._pairing import _tie_break, block
    from xlmargin.regt._strategies import Enumerator

    r = RegTRules.of(rules.load("regt"))
    portfolio = read_positions(call_ladder(realistic=True), as_of=AS_OF)
    legs = book_legs(list(portfolio.positions), r, "initial", AS_OF)
    b = block(legs, Enumerator(legs, r, "initial", False).candidates(), False)
    nothing = np.zeros(b.size)  # a pairing, not the canonical one: no strategy formed
    found = {0: nothing.copy()}
    assert _tie_break(milp, [b], found, time.monotonic() - 1.0) == {0: None}
    assert np.array_equal(found[0], nothing)


def test_a_tie_break_the_solver_fails_is_not_called_a_time_limit():
    """HiGHS' presolve can declare a tie-break program infeasible (the pairing found satisfies it:
    numerical noise); that was reported as "reached its 20 s limit", which cut_short reads as a
    limit. It is the solver's failure, said as such, and the cheapest pairing is kept."""
    import time
    from types import SimpleNamespace

    import numpy as np

    from benchmarks.bench_regt import call_ladder
    from xlmargin.regt._formulas import RegTRules
    from xlmargin.regt._legs import book_legs
    from xlmargin.regt._pairing import _tie_break, _unranked, block, cut_short
    from xlmargin.regt._strategies import Enumerator

    r = RegTRules.of(rules.load("regt"))
    portfolio = read_positions(call_ladder(realistic=True), as_of=AS_OF)
    legs = book_legs(list(portfolio.positions), r, "initial", AS_OF)
    b = block(legs, Enumerator(legs, r, "initial", False).candidates(), False)
    nothing = np.zeros(b.size)

    def infeasible(*args: object, **kwargs: object) -> SimpleNamespace:
        return SimpleNamespace(status=2, x=None, message="infeasible (HiGHS: Infeasible)")

    found = {0: nothing.copy()}
    failed = _tie_break(infeasible, [b], found, time.monotonic() + 60.0)
    assert failed == {0: "infeasible (HiGHS: Infeasible)"} and np.array_equal(found[0], nothing)
    warning = _unranked(b, 20.0, failed[0])
    assert "the pairing solver failed (infeasible" in warning and not cut_short([warning])
    assert cut_short([_unranked(b, 20.0, None)])


def test_a_book_the_solver_cannot_finish_stops_once_at_the_limit_with_one_warning():
    """The identical-price ladder (many equally cheap pairings; its integer program is slow to prove
    optimal): at a short limit, one solve, one line saying by how much the requirement may exceed
    the optimum (before, the one block was solved a second time alone, for the limit again)."""
    from benchmarks.bench_regt import call_ladder

    PAIRINGS.clear()
    portfolio = read_positions(call_ladder(realistic=False), as_of=AS_OF)
    result = regt_margin(portfolio, rules=override(pairing__time_limit_seconds=0.5))
    (warning,) = result.warnings
    assert warning.startswith(
        "XYZ: the pairing solver stopped at its 0.5 s limit; the requirement may exceed"
    )
    assert result.total >= 2000.0  # the optimum (the benchmark's figure): a limit never undercuts it
    assert cut_short(result.warnings)  # what the batch reads before it trusts a stacked solve
    assert not cut_short(regt_margin(read_positions(call_ladder(realistic=True), as_of=AS_OF)).warnings)


def test_many_accounts_in_one_call_are_paired_apart_each_as_alone():
    """regt_margins (the batch's Reg T): account 0 is long the call account 1 is short, account 2
    holds both sides of a spread and stock. In one book the two calls would offset; paired apart,
    each account's groups and figures are its own, on both conventions."""
    from xlmargin.regt import regt_margins

    accounts = [
        [opt(1, "C", 100, 3.0)],
        [opt(-1, "C", 100, 3.0), stk(100, 100.0)],
        [opt(1, "C", 100, 3.0), opt(-1, "C", 105, 1.0), stk(-50, 100.0, symbol="ABC")],
    ]
    rows = [row for account in accounts for row in account]
    bounds = [0, 1, 3, 6]
    for net in (False, True):
        together = regt_margins(
            read_positions([HEADER, *rows], as_of=AS_OF), bounds, basis="initial", net_of_proceeds=net
        )
        assert together is not None
        for k, account in enumerate(accounts):
            alone = run(*account, net=net)
            mine = together[k]
            assert (mine.total, mine.gross, mine.net, mine.exact) == (
                alone.total,
                alone.gross,
                alone.net,
                alone.exact,
            )
            assert strategies(mine) == strategies(alone)
    assert "offsetting long and short" not in strategies(together[0]) + strategies(together[1])


def test_rows_of_one_contract_net_and_at_two_prices_every_regime_refuses_them() -> None:
    # 600 @ 250.00 and -200 @ 250.01 were two legs (100,001.00 against 50,000.00 at one price)
    from xlmargin.excel import udfs

    header = ["symbol", "type", "quantity", "price"]
    params = [["as_of", dt.datetime(2026, 1, 5)]]
    same = [header, ["AAPL", "stock", 600.0, 250.0], ["AAPL", "stock", -200.0, 250.0]]
    assert udfs.REGT_MARGIN(same, None, None, params) == 50_000.0
    apart = [header, ["AAPL", "stock", 600.0, 250.0], ["AAPL", "stock", -200.0, 250.01]]
    refused = "#INPUT row 3 of the range, price: rows 2 and 3 hold AAPL stock at different prices"
    refused += " (250, 250.01)"
    for value in (udfs.REGT_MARGIN(apart, None, None, params), udfs.PM_REQUIREMENT(apart, params)):
        assert str(value).startswith(refused)
