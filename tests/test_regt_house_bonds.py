"""The broker house layer for Treasuries (``house.bonds = ibkr``) beside FINRA 4210(e)(2)'s minimum.

Every figure is worked by hand from regt.toml [fixed_income.treasury] (FINRA: <1y 1%, 1-3y 2%, 3-5y
3%, 5-10y 4%, 10-20y 5%, 20y+ 6%; margin-rules.md §1.8) and [house_bonds.ibkr.treasury] (IBKR US
bonds margin page, "Government Bonds Margin", US Treasury Securities: less than six months 1%, less
than one year 2%, 1-3y 3%, 3-5y 4%, 5-10y 5%, 10-20y 7%, 20y or more 9%; zero-coupons with five
years or more at least 3% of principal). The effective requirement is the greater of the two
(margin-rules.md §0.5). A bond's quantity is its face; its price is per 100 of face.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.errors import InputError, RuleError
from xlmargin.excel import functions as fn
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

HEADER = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon"]
IBKR = [["house.bonds", "ibkr"]]


def bond(
    years: Any, *, face: float = 100_000.0, price: float = 100.0, klass: str = "treasury", coupon: float = 4.0
) -> list[list[Any]]:
    return [HEADER, ["T", "bond", face, price, klass, years, coupon]]


def margin(rows: list[list[Any]], params: Any = None, basis: str = "initial") -> float:
    return fn.regt_margin(rows, basis, None, params)


def house(**values: Any) -> rules.RuleSet:
    return rules.load("regt").with_overrides({k.replace("__", "."): v for k, v in values.items()})


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
@pytest.mark.parametrize(
    ("years", "finra", "ibkr"),
    [
        (7.0, 4_000.0, 5_000.0),  # the reviewer's 7y note: FINRA 4%, IBKR 5%
        (25.0, 6_000.0, 9_000.0),  # a 25y bond: FINRA 6%, IBKR 9% (1.5x)
        (4 / 12, 1_000.0, 1_000.0),  # a 4-month bill: 1% in both
    ],
    ids=["7y-note", "25y-bond", "4-month-bill"],
)
def test_the_house_table_against_finra(years: float, finra: float, ibkr: float, basis: str) -> None:
    assert margin(bond(years), basis=basis) == finra  # the default: FINRA's minimum, unchanged
    assert margin(bond(years), [["house.bonds", "none"]], basis) == finra
    assert margin(bond(years), IBKR, basis) == ibkr
    short = [HEADER, [*bond(years)[1][:2], -100_000.0, *bond(years)[1][3:]]]
    assert margin(short, IBKR, basis) == ibkr  # IBKR: short Treasuries as long ones


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        (0.49, 1_000.0),  # under six months: 1% (FINRA 1%)
        (0.5, 2_000.0),  # six months [L: 0.5 years]: 2% (FINRA still 1%)
        (0.99, 2_000.0),
        (1.0, 3_000.0),  # one year: 3% (FINRA 2%)
        (2.99, 3_000.0),
        (3.0, 4_000.0),  # three years: 4% (FINRA 3%)
        (4.99, 4_000.0),
        (5.0, 5_000.0),  # five years: 5% (FINRA 4%)
        (9.99, 5_000.0),
        (10.0, 7_000.0),  # ten years: 7% (FINRA 5%)
        (19.99, 7_000.0),
        (20.0, 9_000.0),  # twenty years or more: 9% (FINRA 6%)
        (30.0, 9_000.0),
    ],
)
def test_each_bucket_edge_belongs_to_the_bucket_above(years: float, expected: float) -> None:
    # 100,000 face at 100: the bucket's rate × 100,000
    assert margin(bond(years), IBKR) == expected


def test_six_months_is_half_a_year_of_actual_days() -> None:
    # [L] the six-month edge is 0.5 years ACT/365 = 182.5 days: 182 days is under it, 183 is not
    params = [*IBKR, ["as_of", AS_OF]]
    assert margin(bond(AS_OF + dt.timedelta(days=182)), params) == 1_000.0
    assert margin(bond(AS_OF + dt.timedelta(days=183)), params) == 2_000.0


@pytest.mark.parametrize(
    ("years", "price", "finra", "ibkr"),
    [
        # 25y zero at 40: FINRA max(6% × 40,000 = 2,400, 3% × 100,000 = 3,000) = 3,000;
        # IBKR max(9% × 40,000 = 3,600, 3,000) = 3,600
        (25.0, 40.0, 3_000.0, 3_600.0),
        # 7y zero at 70: FINRA max(4% × 70,000 = 2,800, 3,000) = 3,000; IBKR max(5% × 70,000 = 3,500, 3,000)
        (7.0, 70.0, 3_000.0, 3_500.0),
        # 25y zero at 30: FINRA max(1,800, 3,000); IBKR max(9% × 30,000 = 2,700, 3,000):
        # 3% of principal in both
        (25.0, 30.0, 3_000.0, 3_000.0),
        # a 4y zero is under five years: the buckets alone, 3% and 4% of 80,000
        (4.0, 80.0, 2_400.0, 3_200.0),
    ],
)
def test_zero_coupons_take_at_least_3_percent_of_principal(
    years: float, price: float, finra: float, ibkr: float
) -> None:
    rows = bond(years, price=price, coupon=0.0)
    assert margin(rows) == finra
    assert margin(rows, IBKR) == ibkr


@pytest.mark.parametrize("klass", ["agency", "corporate", "municipal", "high_yield"])
def test_other_classes_keep_finra(klass: str) -> None:
    # IBKR's page names US Treasury securities only: no house table for the other classes
    assert margin(bond(7.0, klass=klass), IBKR) == margin(bond(7.0, klass=klass))


def test_the_breakdown_names_the_house_table_and_both_figures() -> None:
    rows = fn.regt_breakdown(bond(7.0), None, None, IBKR)
    rule = rows[1][3]
    assert rule.startswith(
        "greater of FINRA 4210(e)(2) and the IBKR house Treasury table (house, not a regulation): "
        "max(4,000.00, 5,000.00) = 5,000.00 (the IBKR house Treasury table applied); "
    )
    assert "house: IBKR house Treasury table, 5–10 years to maturity: 5% of market value" in rule
    # without the parameter the text is FINRA's alone
    assert "house" not in fn.regt_breakdown(bond(7.0), None, None, None)[1][3]


def test_the_greater_applies_when_finra_is_higher() -> None:
    # a house table below FINRA (an override: 1% everywhere) leaves FINRA's 4% in force
    lower = house(house__bonds="ibkr", house_bonds__ibkr__treasury__buckets=[[0, 1000, 0.01]])
    (group,) = regt_margin(read_positions(bond(7.0), as_of=AS_OF), rules=lower).groups
    assert group.margin == 4_000.0
    assert "max(4,000.00, 1,000.00) = 4,000.00 (FINRA 4210(e)(2) applied)" in group.rule


def test_the_rates_are_the_rule_files() -> None:
    # the table is data: 6% on 5-10 years in the file gives 6,000 on the 7y note
    changed = house(
        house__bonds="ibkr",
        house_bonds__ibkr__treasury__buckets=[[0, 5, 0.01], [5, 10, 0.06], [10, 1000, 0.09]],
    )
    assert regt_margin(read_positions(bond(7.0), as_of=AS_OF), rules=changed).total == 6_000.0


def test_a_bad_parameter_value_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"house\.bonds: 'schwab' is not one of none, ibkr"):
        margin(bond(7.0), [["house.bonds", "schwab"]])
    # the Python API: the override is checked when the rules are read
    with pytest.raises(RuleError, match=r"house\.bonds must be one of none, ibkr; got 'schwab'"):
        regt_margin(read_positions(bond(7.0), as_of=AS_OF), rules=house(house__bonds="schwab"))


def test_the_parameter_is_listed_and_read_as_text() -> None:
    assert "house.bonds" in [p.name for p in fn.param_specs("regt")]
    assert margin(bond(25.0), ["house.bonds=IBKR"]) == 9_000.0  # name=value text, case ignored
