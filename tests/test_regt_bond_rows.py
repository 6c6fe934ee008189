"""Rows of one bond are one position for FINRA 4210(e)(2), as rows of one stock or option series are.

margin-rules.md §1.8: "US Treasuries / agencies, net long or short, % of market value by remaining
maturity: ... 5–<10y 4% ...; Zero-coupons with ≥5 years: 3% of principal". The rule charges the
net position, so a long and a short row of one bond (same symbol, class, coupon, maturity) net:
the faces they offset close (nothing required) and the net face takes the rule. Before the fix each
row was charged on its own face (the figures before are in each test's docstring).
"""

from __future__ import annotations

import pytest

from tests.conftest import AS_OF
from xlmargin.account import account_margin, account_settings
from xlmargin.decisions import decision_settings, liquidation_plan
from xlmargin.decisions._common import requirement
from xlmargin.params import read_params
from xlmargin.pm import PM_PARAMS, pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

HEADER = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon", "denomination", "currency",
          "fx_rate"]  # fmt: skip


def ust(face: float, *, coupon: float = 4.0, price: float = 99.0) -> list:
    return ["UST", "bond", face, price, "treasury", 7.0, coupon, 1000, None, None]


def book(*rows: list):
    return read_positions([HEADER, *rows], as_of=AS_OF)


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
def test_a_long_and_a_short_row_of_one_treasury_net(basis: str) -> None:
    """+100,000 and −40,000 face at 99, 7 years: net 60,000 × 0.99 × 4% = 2,376 (was 100,000 × 0.99
    × 4% + 40,000 × 0.99 × 4% = 3,960 + 1,584 = 5,544); 40,000 long and short close, nothing required."""
    result = regt_margin(book(ust(100_000), ust(-40_000)), basis=basis)
    assert result.total == 2376.0
    closed, held = result.groups
    assert (closed.strategy, closed.margin) == ("offsetting long and short", 0.0)
    assert [(leg.row, leg.quantity) for leg in closed.legs] == [(2, 40_000.0), (3, -40_000.0)]
    assert "of one bond close" in closed.rule
    assert (held.strategy, held.margin) == ("treasury bond", 2376.0)
    assert [(leg.row, leg.quantity) for leg in held.legs] == [(2, 60_000.0)]
    assert held.rule.startswith("net face 60,000 of one bond's rows: ")
    # rows on one side net too: one position of 140,000 face, 5,544 as before
    assert regt_margin(book(ust(100_000), ust(40_000)), basis=basis).total == 5544.0


def test_two_bonds_of_one_symbol_with_other_coupons_do_not_net() -> None:
    """Coupon 4 and coupon 5 are two bonds: each on its own face, 3,960 + 1,584 = 5,544."""
    result = regt_margin(book(ust(100_000), ust(-40_000, coupon=5.0)))
    assert result.total == 5544.0 and [g.strategy for g in result.groups] == ["treasury bond"] * 2


def test_a_bond_in_euros_nets_its_face_and_takes_the_zero_coupon_floor_on_the_net() -> None:
    """1,000,000 and −400,000 EUR face at 70, 7 years, coupon 0, 1.08 USD per EUR: net 600,000 EUR;
    4% × 420,000 × 1.08 = 18,144 < 3% × 648,000 = 19,440, so 19,440 (was 32,400 + 12,960 = 45,360).
    The legs give the faces in euros, as the rows do."""
    rows = [["BUND", "bond", face, 70.0, "treasury", 7.0, 0.0, 1000, "EUR", 1.08] for face in (1e6, -4e5)]
    result = regt_margin(book(*rows))
    assert result.total == 19_440.0
    closed, held = result.groups
    assert [leg.quantity for leg in closed.legs] == [400_000.0, -400_000.0]
    assert [leg.quantity for leg in held.legs] == [600_000.0]
    assert held.rule.startswith("net face 600,000 EUR of one bond's rows: ")


def test_portfolio_margin_and_the_account_view_net_them_too() -> None:
    """Bonds outside portfolio margin and the account view's securities take the Reg T figure: 2,376
    (both were 5,544)."""
    positions = book(ust(100_000), ust(-40_000))
    pm = pm_requirement(positions, pm_settings(read_params(None, PM_PARAMS), AS_OF))
    assert pm.requirement == 2376.0
    assert account_margin(positions, account_settings({}, AS_OF)).lines[0].requirement == 2376.0


def test_the_liquidation_plan_prices_the_net_position_as_the_engine_does() -> None:
    """UST 4.25 5.2 years at 99.2, +5,000 and −2,000 face: 3,000 × 0.992 × 4% = 119.04 (was 7,000 ×
    0.992 × 4% = 277.76); 10 XYZ at 100, 50% = 500. Equity 300: selling 7 XYZ leaves 150 + 119.04 =
    269.04 (with the rows apart it sold all 10: 277.76). On Reg T initial (basis=initial: the plan's
    default is maintenance, where a call comes from)."""
    settings = decision_settings({"as_of": AS_OF, "rate": 0.04, "basis": "initial"}, AS_OF)
    positions = book(
        ["UST", "bond", 5000, 99.2, "treasury", 5.2, 4.25, 1000, None, None],
        ["UST", "bond", -2000, 99.2, "treasury", 5.2, 4.25, 1000, None, None],
        ["XYZ", "stock", 10, 100.0, None, None, None, None, None, None],
    )
    assert requirement("regt", positions, settings) == pytest.approx(619.04)
    plan = liquidation_plan(positions, 300.0, settings, "regt")
    assert [(row, quantity) for row, _, quantity, _ in plan.trades] == [(4, -7.0)]
    assert plan.after == pytest.approx(269.04) == plan.optimiser_value
