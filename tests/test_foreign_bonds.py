"""A bond priced in another currency: its face-based floors are taken on its face in US dollars.

A bond's quantity is its face, an amount of its currency, and its price is per 100 of that face. The
engines that compute in dollars convert the face with the row's ``fx_rate``, so the rules on the face
read it in dollars: FINRA 4210(e)(2), margin-rules.md §1.8, "Zero-coupons with ≥5 years: 3% of
principal" (regt.toml ``[fixed_income.treasury] zero_coupon_face_pct = 0.03``,
``zero_coupon_min_years = 5``, 5–10 year bucket 4% of market value) and "Other listed non-equity
debt: greater of 20% of market value or 7% of principal" (``[fixed_income.high_yield]`` bucket 0.20,
``principal_pct = 0.07``). Each figure is worked by hand from those rules; the same bond in dollars
(face × rate) must need the same to the cent. Before the fix the face was read in its own currency
as if in dollars (the figures before are in each test's docstring).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin.capacity import capacity_settings, max_notional
from xlmargin.cli import main
from xlmargin.decisions import decision_settings, liquidation_plan, margin_contribution, margin_impact
from xlmargin.excel import functions as fn
from xlmargin.instruments import in_usd
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

HEADER = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon", "denomination", "currency",
          "fx_rate"]  # fmt: skip
PARAMS = [["as_of", dt.datetime(2026, 11, 20)]]
EURUSD = 1.08  # USD per EUR
JPYUSD = 0.0065  # USD per JPY (about 154 yen a dollar)

# face 1,000,000 EUR at 70, 7 years, coupon 0: value 700,000 EUR = 756,000 USD; bucket 4% × 756,000
# = 30,240; 3% of the face in dollars, 3% × 1,080,000 = 32,400, is greater. Before: 3% × 1,000,000
# read as dollars = 30,000 < 30,240, so the bucket applied (30,240).
BUND = ["BUND 0 2033", "bond", 1_000_000.0, 70.0, "treasury", 7.0, 0.0, None, "EUR", EURUSD]
# face 100,000,000 JPY at 70, 7 years, coupon 0: face 650,000 USD, value 455,000 USD; bucket
# 4% × 455,000 = 18,200; 3% × 650,000 = 19,500. Before: 3% × 100,000,000 = 3,000,000.
JGB = ["JGB 0 2033", "bond", 100_000_000.0, 70.0, "treasury", 7.0, 0.0, None, "JPY", JPYUSD]
# face 100,000 EUR at 30: face 108,000 USD, value 32,400 USD; max(20% × 32,400 = 6,480,
# 7% × 108,000 = 7,560) = 7,560. Before: max(6,480, 7% × 100,000 = 7,000) = 7,000.
HIGH_YIELD = ["HY EUR 2031", "bond", 100_000.0, 30.0, "high_yield", 5.0, 0.06, None, "EUR", EURUSD]
CASES = [
    pytest.param(BUND, 32_400.0, id="eur-zero-3pct-of-face"),
    pytest.param(JGB, 19_500.0, id="jpy-zero-3pct-of-face"),
    pytest.param(HIGH_YIELD, 7_560.0, id="eur-high-yield-7pct-of-principal"),
]


def rows(*bonds: list[Any]) -> list[list[Any]]:
    return [HEADER, *(list(b) for b in bonds)]


def book(*bonds: list[Any]) -> Any:
    return read_positions(rows(*bonds), as_of=AS_OF)


def in_dollars(bond: list[Any]) -> list[Any]:
    """The same bond with its face in dollars (face × rate), priced per 100 as before."""
    rate = bond[-1]
    denomination = None if bond[7] is None else bond[7] * rate
    return [*bond[:2], bond[2] * rate, *bond[3:7], denomination, "USD", None]


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
@pytest.mark.parametrize(("bond", "expected"), CASES)
def test_the_face_floor_is_taken_on_the_face_in_dollars(bond: list[Any], expected: float, basis: str) -> None:
    result = regt_margin(book(bond), basis=basis)
    assert result.total == expected
    assert result.total == regt_margin(book(in_dollars(bond)), basis=basis).total
    (group,) = result.groups
    assert group.rule.endswith(
        f"= {expected:,.2f} ({'7% of principal' if bond is HIGH_YIELD else '3% of face'} applied)"
    )
    short = [*bond[:2], -bond[2], *bond[3:]]  # net long or short
    assert regt_margin(book(short), basis=basis).total == expected


@pytest.mark.parametrize(
    ("bond", "expected"),
    [
        # face 100,000 EUR at 60: max(20% × 64,800 = 12,960, 7% × 108,000 = 7,560) = 12,960, as before
        pytest.param([*HIGH_YIELD[:3], 60.0, *HIGH_YIELD[4:]], 12_960.0, id="high-yield-at-60"),
        # face 1,000,000 EUR at 90, 7 years: 4% × 972,000 = 38,880 > 3% × 1,080,000 = 32,400, as before
        pytest.param([*BUND[:3], 90.0, *BUND[4:]], 38_880.0, id="zero-at-90"),
    ],
)
def test_where_the_market_value_rule_binds_nothing_changes(bond: list[Any], expected: float) -> None:
    result = regt_margin(book(bond))
    assert result.total == expected == regt_margin(book(in_dollars(bond))).total
    assert result.groups[0].rule.endswith("of market value applied)")


def test_the_bond_is_worth_its_face_times_price_converted_once() -> None:
    (usd,) = in_usd(book(BUND)).positions
    assert (usd.quantity, usd.price, usd.currency, usd.fx_rate) == (1_080_000.0, 70.0, "USD", 1.0)
    assert usd.market_value == pytest.approx(756_000.0)  # 1,000,000 × 70 / 100 × 1.08, not × 1.08²
    assert in_usd(in_usd(book(BUND))).positions[0].quantity == 1_080_000.0  # converting twice: once


@pytest.mark.parametrize(("bond", "expected"), CASES)
def test_the_worksheet_function_and_the_cli_give_the_same_figure(
    bond: list[Any], expected: float, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fn.regt_margin(rows(bond), "initial", None, PARAMS) == expected
    path = tmp_path / "bonds.csv"
    path.write_text("\n".join(",".join("" if x is None else str(x) for x in r) for r in rows(bond)) + "\n")
    assert main(["margin", str(path), "--regime", "regt", "--as-of", AS_OF.isoformat()]) == 0
    assert f"Reg T initial requirement (gross): {expected:,.2f}" in capsys.readouterr().out


def test_portfolio_margin_and_the_account_view_take_the_same_floor() -> None:
    """Bonds are margined outside portfolio margin by their Reg T rule on maintenance; the account
    view's securities segment margins them as Reg T does. 32,400 + 19,500 + 7,560 = 59,460."""
    bonds = book(BUND, JGB, HIGH_YIELD)
    assert pm_requirement(bonds, pm_settings({}, AS_OF)).requirement == 59_460.0
    assert fn.account_margin(rows(BUND, JGB, HIGH_YIELD), PARAMS) == 59_460.0


def test_the_decisions_read_the_same_floor() -> None:
    """Contribution (Reg T), what-if and maximum notional all run the engine on the converted book."""
    settings = decision_settings({"as_of": AS_OF}, AS_OF)
    contribution = margin_contribution(book(BUND, HIGH_YIELD), settings, "regt")
    assert contribution.component == (32_400.0, 7_560.0)
    assert contribution.incremental == (32_400.0, 7_560.0)
    impact = margin_impact(
        book(HIGH_YIELD), read_positions(rows(BUND), as_of=AS_OF, holdings=False), settings
    )
    assert impact.line("regt").change == 32_400.0
    # equity 64,800 carries twice the Bund: scale 2, notional 2 × 756,000 (before: 64,800 / 30,240)
    found = max_notional(book(BUND), 64_800.0, "regt", capacity_settings({}, AS_OF))
    assert found.scale == pytest.approx(2.0) and found.gross_notional == pytest.approx(1_512_000.0)


def test_a_plan_sells_a_foreign_bond_in_whole_pieces_of_its_own_denomination() -> None:
    """The denomination is in the bond's currency: EUR 50,000 pieces of a EUR 1,000,000 Bund (face
    held no multiple of it: 1,020,000, so all of it or whole pieces). The trade is in euros of face,
    its notional in dollars: face × price / 100 × 1.08."""
    bund = ["BUND 2.5 2034", "bond", 1_020_000.0, 95.0, "treasury", 8.0, 0.025, 50_000.0, "EUR", EURUSD]
    settings = decision_settings({"as_of": AS_OF}, AS_OF)
    before = liquidation_plan(book(bund), 1e9, settings, "risk").before
    for share in (0.9, 0.5, 0.03):
        plan = liquidation_plan(book(bund), share * before, settings, "risk")
        assert plan.status == "optimal" and plan.after <= plan.target + 0.005
        ((_, _, trade, notional),) = plan.trades
        assert trade % 50_000.0 == 0.0 or trade == -1_020_000.0, (share, trade)
        assert notional == pytest.approx(-trade * 95.0 / 100.0 * EURUSD)


def test_a_pm_plan_covers_the_foreign_bonds_floor_with_the_stock_it_sells() -> None:
    """Portfolio margin does not sell bonds; their requirement is the plan's constant. 1,000 XYZ at
    100 need 15% × 100,000 = 15,000 (pm.toml: ±15% for equity); the Bund 32,400. Equity 40,000:
    the stock may need at most 7,600, 506 shares (7,590): sell 494. Before, the Bund's 30,240 left
    9,760 to the stock, 650 shares: a sale of 350, short of the call by 2,160 on the face in dollars."""
    positions = read_positions([HEADER, ["XYZ", "stock", 1000.0, 100.0, *[None] * 6], BUND], as_of=AS_OF)
    plan = liquidation_plan(positions, 40_000.0, decision_settings({"as_of": AS_OF}, AS_OF), "pm")
    assert plan.before == 47_400.0
    assert [(t[1], t[2]) for t in plan.trades] == [("XYZ", -494.0)]
    assert plan.after == 39_990.0


# --- what the user reads: the face as the row gives it ----------------------------------------------


@pytest.mark.parametrize(
    ("bond", "leg", "face"),
    [
        (BUND, "+1,000,000 BUND 0 2033 bond, face in EUR (1,080,000.00 USD at 1.08)",
         "1,000,000 EUR × 1.08 × 0.03"),
        (JGB, "+100,000,000 JGB 0 2033 bond, face in JPY (650,000.00 USD at 0.0065)",
         "100,000,000 JPY × 0.0065 × 0.03"),
        (HIGH_YIELD, "+100,000 HY EUR 2031 bond, face in EUR (108,000.00 USD at 1.08)",
         "100,000 EUR × 1.08 × 0.07"),
    ],
)  # fmt: skip
def test_the_breakdown_shows_the_face_in_its_own_currency_and_its_dollars(
    bond: list[Any], leg: str, face: str
) -> None:
    """The leg and the formula show the face the row gives, in its currency, with the rate that makes
    it dollars (before: "+1,080,000 BUND 0 2033 bond" and "1,080,000 × 0.03", a face in dollars the
    row never gave). The figures are the dollar face's, to the cent."""
    table = fn.regt_breakdown(rows(bond), "initial", None, PARAMS)
    (line,) = [r for r in table[1:] if r[0] != "Total"]
    assert line[2] == f"row 2: {leg}"
    assert f", {face}) = " in line[3]
    (group,) = regt_margin(book(bond)).groups
    assert group.legs[0].quantity == bond[2]  # the row's own units, as every other leg
    assert line[-1] == regt_margin(book(in_dollars(bond))).total  # the figure is unchanged


def test_a_short_foreign_bond_shows_its_face_signed_and_a_dollar_bond_as_before() -> None:
    short = [*BUND[:2], -BUND[2], *BUND[3:]]
    assert fn.regt_breakdown(rows(short), "initial", None, PARAMS)[1][2].startswith(
        "row 2: -1,000,000 BUND 0 2033 bond, face in EUR"
    )
    dollars = fn.regt_breakdown(rows(in_dollars(BUND)), "initial", None, PARAMS)[1]
    assert dollars[2] == "row 2: +1,080,000 BUND 0 2033 bond"
    assert "1,080,000 × 0.03" in dollars[3]


def test_portfolio_margins_bond_line_and_the_command_line_read_the_same_face(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PM_BREAKDOWN's line for a bond outside portfolio margin quotes Reg T's rule text (before: the
    face in dollars, "1,080,000 × 0.03"); the command line prints the same leg."""
    table = fn.pm_breakdown(rows(BUND), PARAMS)
    (note,) = [r[-1] for r in table if r[0] == "outside portfolio margin"]
    assert "max(756,000.00 × 0.04, 1,000,000 EUR × 1.08 × 0.03) = 32,400.00" in note
    path = tmp_path / "bund.csv"
    path.write_text("\n".join(",".join("" if x is None else str(x) for x in r) for r in rows(BUND)) + "\n")
    assert main(["margin", str(path), "--regime", "regt", "--as-of", AS_OF.isoformat()]) == 0
    assert "+1,000,000 BUND 0 2033 bond, face in EUR (1,080,000.00 USD at 1.08)" in capsys.readouterr().out
