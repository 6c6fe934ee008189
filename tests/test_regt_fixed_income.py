"""Corporate, high-yield and convertible bonds (margin-rules.md §1.8), in Reg T and the views that use it.

Each figure is worked by hand from §1.8 (FINRA 4210(e)(2); regt.toml [fixed_income.corporate],
[fixed_income.high_yield], [fixed_income.convertible]). A bond's quantity is its face and its price
is per 100 of face, so market value = face × price / 100.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.account import account_margin, account_settings
from xlmargin.errors import InputError, MissingDataError, UnsupportedError
from xlmargin.params import read_params
from xlmargin.pm import PM_PARAMS, pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

HEADER = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon"]


def bond(face: float, price: float, klass: str | None, *, symbol: str = "B", years: float = 5.0) -> list[Any]:
    return [symbol, "bond", float(face), float(price), klass, years, 5.0]


def book(*rows: list[Any]) -> Any:
    return read_positions([HEADER, *rows], as_of=AS_OF)


def total(*rows: list[Any], basis: str = "initial") -> float:
    return regt_margin(book(*rows), basis=basis).total


# --- Reg T ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
@pytest.mark.parametrize("klass", ["corporate", "Corporate", "IG", "investment grade", "corp"])
def test_investment_grade_corporate_is_ten_percent_of_market_value(klass: str, basis: str) -> None:
    # §1.8 "Investment-grade corporate debt: 10% of market value": 100 bonds of 1,000 face at 98
    # are 100,000 face worth 98,000; 10% × 98,000 = 9,800, long or short, on both bases (good faith).
    assert total(bond(100_000, 98.0, klass), basis=basis) == 9_800.0
    assert total(bond(-100_000, 98.0, klass), basis=basis) == 9_800.0


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
@pytest.mark.parametrize(
    ("price", "expected"),
    [(60.0, 12_000.0), (90.0, 18_000.0), (30.0, 7_000.0)],
    ids=["at-60-20pct-of-value", "at-90-20pct-of-value", "at-30-7pct-of-principal"],
)
def test_other_listed_debt_is_the_greater_of_20_percent_of_value_and_7_percent_of_principal(
    price: float, expected: float, basis: str
) -> None:
    # §1.8 "Other listed non-equity debt: greater of 20% of market value or 7% of principal", face 100,000:
    # at 60: max(20% × 60,000, 7% × 100,000) = max(12,000, 7,000) = 12,000
    # at 90: max(20% × 90,000, 7,000) = 18,000; at 30: max(20% × 30,000 = 6,000, 7,000) = 7,000
    assert total(bond(100_000, price, "high_yield"), basis=basis) == expected
    assert total(bond(-100_000, price, "HY"), basis=basis) == expected


def test_the_rule_text_says_which_leg_applied() -> None:
    (group,) = regt_margin(book(bond(100_000, 30.0, "high_yield"))).groups
    assert group.rule == (
        "high yield bond: greater of 20% of market value and 7% of principal: "
        "max(30,000.00 × 0.2, 100,000 × 0.07) = 7,000.00 (7% of principal applied)"
    )


@pytest.mark.parametrize(
    ("face", "basis", "expected"),
    [(100_000, "initial", 55_000.0), (100_000, "maintenance", 27_500.0),
     (-100_000, "initial", 55_000.0), (-100_000, "maintenance", 33_000.0)],
    ids=["long-initial-50pct", "long-maintenance-25pct", "short-initial-50pct", "short-maintenance-30pct"],
)  # fmt: skip
def test_convertibles_are_margined_like_equity(face: float, basis: str, expected: float) -> None:
    # §1.8 "Convertibles: margined like equity (25% long / 30% short maintenance)"; Reg T initial 50%
    # (§1.1). Face 100,000 at 110 is worth 110,000: long 50% = 55,000 / 25% = 27,500; short (beyond
    # the proceeds, as short stock) 50% = 55,000 / 30% = 33,000.
    assert total(bond(face, 110.0, "convertible"), basis=basis) == expected


def test_a_bond_class_without_a_rule_is_still_refused_naming_row_and_class() -> None:
    with pytest.raises(UnsupportedError) as info:
        regt_margin(book(bond(1_000, 99.0, None, symbol="CORP"), bond(1_000, 99.0, "gold", symbol="AU")))
    supported = "treasury, agency, municipal, corporate, high_yield, convertible"
    assert [str(p) for p in info.value.problems] == [
        f"row 2, class: CORP: a bond needs its class; supported classes: {supported}",
        f"row 3, class: AU: no Reg T rule for gold bonds; supported classes: {supported}",
    ]


def test_an_unknown_class_name_is_an_input_error() -> None:
    with pytest.raises(InputError, match="row 2, class: unknown class 'junkish'"):
        book(bond(1_000, 99.0, "junkish"))


# --- portfolio margin, the account view, the risk view ------------------------------------------


def test_portfolio_margin_adds_them_outside_on_the_maintenance_basis() -> None:
    # Outside portfolio margin, by the Reg T engine on the maintenance basis: 9,800 + 12,000 + 33,000
    settings = pm_settings(read_params(None, PM_PARAMS), AS_OF)
    rows = [bond(100_000, 98.0, "corporate", symbol="IG"), bond(100_000, 60.0, "high_yield", symbol="HY"),
            bond(-100_000, 110.0, "convertible", symbol="CV")]  # fmt: skip
    result = pm_requirement(book(*rows), settings)
    assert [line.requirement for line in result.outside] == [9_800.0, 12_000.0, 33_000.0]
    assert result.requirement == 54_800.0


def test_the_account_view_margins_them_in_the_securities_segment() -> None:
    rows = [bond(100_000, 98.0, "corporate", symbol="IG"), bond(100_000, 110.0, "convertible", symbol="CV")]
    result = account_margin(book(*rows), account_settings({}, AS_OF))
    assert result.lines[0].requirement == 9_800.0 + 55_000.0  # initial: 10% and 50%


def test_the_risk_view_stresses_them_on_the_curve_and_their_spread_and_holds_convertibles() -> None:
    # the risk view's figures are worked in tests/test_stress_credit.py; here: no row refused, the
    # credit rows lose in E11 (2022 rate shock: 10y +228 bp, IG OAS +74 bp, HY OAS +226 bp) more than
    # the Treasury of the same coupon and maturity, the convertible is held constant and said so
    settings = stress.stress_settings({}, AS_OF)
    classes = ("treasury", "corporate", "hy", "convertible")
    rows = [bond(100_000, 98.0, klass, symbol=klass) for klass in classes]
    result = stress.stress_pnl(book(*rows), "E11", settings)
    treasury, corporate, high_yield, convertible = (v for _, _, v in result.positions)
    assert high_yield < corporate < treasury < 0 and convertible == 0.0
    assert [w.split(":")[0] for w in result.warnings] == ["held constant, class convertible"]


# --- the account view's equity is in the account currency ------------------------------------------


STOCK = ["IBM", "stock", 1_000.0, 100.0, None, None, None]


@pytest.mark.parametrize(
    ("fx_usd", "eligible"), [(0.90, True), (1.00, False)], ids=["105,556-usd", "95,000-usd"]
)
def test_equity_in_a_eur_account_is_converted_before_the_pm_minimum(fx_usd: float, eligible: bool) -> None:
    # 95,000 EUR at fx.USD = 0.90 EUR per USD is 95,000 / 0.90 = 105,555.56 USD ≥ the 100,000 USD
    # of FINRA 4210(g); at 1.00 it is 95,000 USD < 100,000. Read as dollars it would always fail.
    params = {"account_currency": "EUR", "fx.USD": fx_usd, "securities": "pm", "equity": 95_000.0}
    detail = account_margin(book(STOCK), account_settings(params, AS_OF)).lines[0].detail
    assert detail.eligible is eligible
    assert detail.equity == pytest.approx(95_000.0 / fx_usd)


def test_equity_in_a_eur_account_is_converted_before_the_reg_t_minimum() -> None:
    # FINRA 4210(b)(2): $2,000. 1,900 EUR at 0.90 EUR per USD = 2,111.11 USD meets it; at 1.00, 1,900 USD not.
    params: dict[str, Any] = {"account_currency": "EUR", "securities": "regt", "equity": 1_900.0}
    meets = account_margin(book(STOCK), account_settings(params | {"fx.USD": 0.90}, AS_OF))
    assert meets.lines[0].detail.minimum_equity.meets is True
    short = account_margin(book(STOCK), account_settings(params | {"fx.USD": 1.00}, AS_OF))
    assert short.lines[0].detail.minimum_equity.meets is False


def test_equity_in_a_eur_account_without_fx_usd_is_the_views_error() -> None:
    params = {"account_currency": "EUR", "securities": "pm", "equity": 95_000.0}
    with pytest.raises(MissingDataError, match=r"give fx\.USD \(EUR per USD\)"):
        account_margin(book(STOCK), account_settings(params, AS_OF))


def test_equity_in_a_usd_account_is_dollars() -> None:
    params = {"securities": "pm", "equity": 95_000.0}
    assert account_margin(book(STOCK), account_settings(params, AS_OF)).lines[0].detail.eligible is False
