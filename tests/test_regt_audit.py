"""Reg T rules audit: zero-coupon bonds, the [L] box and conversion/reversal terms as parameters,
and FINRA 4210(b)(2)'s minimum equity to trade on margin.

Each test cites its section of ../shared/reference/margin-rules.md and fails on the code before the
audit (a zero at its bucket alone; no ``box.short_recognised``, ``conversion.add_call_itm`` or
``reversal.add_put_itm`` to set; no ``equity`` for Reg T). Figures are worked by hand in comments.
"""

from __future__ import annotations

import pytest

from tests.conftest import AS_OF
from tests.test_regt import HEADER, opt, override, run, stk, strategies
from tests.test_regt_properties import CONTRACTS, _column_wise_triples, _triples_reference
from xlmargin import rules
from xlmargin.account import account_margin, account_settings
from xlmargin.excel import functions as fn
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin
from xlmargin.regt._formulas import RegTRules
from xlmargin.regt._legs import book_legs
from xlmargin.regt._strategies import Enumerator

BOND_HEADER = ["Symbol", "Type", "Qty", "Price", "Class", "Maturity", "Coupon"]


def bonds(*rows: list) -> list[list]:
    return [BOND_HEADER, *rows]


def bond_total(rows: list[list], basis: str = "initial", rule_set: rules.RuleSet | None = None) -> float:
    return regt_margin(read_positions(rows, as_of=AS_OF), basis=basis, rules=rule_set).total


# --- 1. zero-coupon bonds (margin-rules.md §1.8) -----------------------------------------------------


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
def test_treasury_zero_with_five_years_or_more_needs_3_percent_of_face(basis):
    """§1.8: "Zero-coupons with ≥5 years: 3% of principal (IBKR states max(bucket amount, 3% of
    face) for sovereigns)" [M]. Face 1,000,000 at 70, 7 years: the 5–10 year bucket gives 4% ×
    700,000 = 28,000 (the figure before the audit); 3% × 1,000,000 = 30,000 is greater."""
    rows = bonds(["T0", "bond", 1_000_000.0, 70.0, "treasury", 7.0, 0.0])
    result = regt_margin(read_positions(rows, as_of=AS_OF), basis=basis)
    assert result.total == 30_000.0
    (group,) = result.groups
    assert "zero-coupon" in group.rule and group.rule.endswith("= 30,000.00 (3% of face applied)")
    short = bonds(["T0", "bond", -1_000_000.0, 70.0, "treasury", 7.0, 0.0])  # net long or short
    assert bond_total(short, basis) == 30_000.0


def test_zero_coupon_keeps_its_bucket_when_that_is_more_and_says_so():
    """Face 1,000,000 at 98, 7 years: 4% × 980,000 = 39,200 > 3% × 1,000,000 = 30,000."""
    result = regt_margin(read_positions(bonds(["T0", "bond", 1e6, 98.0, "agency", 7.0, 0.0]), as_of=AS_OF))
    (group,) = result.groups
    assert result.total == 39_200.0 and group.rule.endswith("(4% of market value applied)")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["T", "bond", 1e6, 70.0, "treasury", 7.0, None], 28_000.0),  # a blank coupon is not zero
        (["T", "bond", 1e6, 70.0, "treasury", 7.0, 0.02], 28_000.0),  # a coupon bond: its bucket
        (["T", "bond", 1e6, 80.0, "treasury", 4.9, 0.0], 24_000.0),  # under 5 years: 3% × 800,000
        (["T", "bond", 1e6, 60.0, "treasury", 5.0, 0.0], 30_000.0),  # 5 years: 4% × 600,000 < 30,000
        (["M", "bond", 1e6, 40.0, "municipal", 20.0, 0.0], 28_000.0),  # no zero rule: 7% × 400,000
    ],
    ids=["blank-coupon", "coupon-bond", "under-5-years", "exactly-5-years", "municipal"],
)
def test_zero_coupon_rule_applies_only_to_zeros_of_five_years_or_more(row, expected):
    assert bond_total(bonds(row)) == expected


def test_zero_coupon_terms_are_rule_parameters():
    """The 3% and the 5 years are regt.toml's ([M]), not constants: a house at 5% of face from 8 years."""
    table = rules.load("regt")["fixed_income"]["treasury"]
    assert (table["zero_coupon_face_pct"], table["zero_coupon_min_years"]) == (0.03, 5)
    assert table["confidence"] == "M"
    rows = bonds(["T0", "bond", 1e6, 70.0, "treasury", 7.0, 0.0])
    house = override(fixed_income__treasury__zero_coupon_face_pct=0.05)
    assert bond_total(rows, rule_set=house) == 50_000.0
    later = override(fixed_income__treasury__zero_coupon_min_years=8)
    assert bond_total(rows, rule_set=later) == 28_000.0


def test_portfolio_margin_and_the_account_view_take_the_same_zero_coupon_figure():
    """PM margins bonds outside its scan through the Reg T engine (maintenance), and the account view's
    securities segment is Reg T: both show the zero's 30,000."""
    from xlmargin.pm import pm_requirement, pm_settings

    book = read_positions(bonds(["T0", "bond", 1e6, 70.0, "treasury", 7.0, 0.0]), as_of=AS_OF)
    pm = pm_requirement(book, pm_settings({}, AS_OF))
    assert [line.requirement for line in pm.outside] == [30_000.0] and pm.requirement == 30_000.0
    for basis in ("initial", "maintenance"):
        account = account_margin(book, account_settings({"basis": basis}, AS_OF))
        assert account.total == 30_000.0


# --- 2. [L] formulas as parameters (margin-rules.md §1.5) -------------------------------------------------

SHORT_BOX = (opt(-1, "C", 95, 7.0), opt(1, "C", 105, 2.0), opt(-1, "P", 105, 6.0), opt(1, "P", 95, 1.0))


def test_short_box_is_recognised_at_its_width_by_default_and_the_rule_file_can_turn_it_off():
    """§1.5: "short box — rule not retrieved [L]". Recognised (default): width 10 × 100 = 1,000.
    Not recognised: a call and a put credit spread, each the lesser of its naked leg and its width
    (10 × 100), 2,000 in all; the long box pays its debit either way."""
    assert rules.load("regt").get("box.short_recognised") is True
    assert rules.load("regt").get("box.confidence") == "L"
    result = run(*SHORT_BOX)
    assert strategies(result) == ["short box"] and result.gross == 1000.0
    off = override(box__short_recognised=False)
    split = run(*SHORT_BOX, rule_set=off)
    assert "short box" not in strategies(split) and split.gross == 2000.0
    assert strategies(split) == ["credit spread", "credit spread"]
    long_box = [[*row[:2], -row[2], *row[3:]] for row in SHORT_BOX]
    assert run(*long_box, rule_set=off).total == run(*long_box).total == 1000.0


CONVERSION = (stk(100, 105.0), opt(1, "P", 100, 0.5, 105), opt(-1, "C", 100, 5.5, 105))
REVERSAL = (stk(-100, 95.0), opt(-1, "P", 100, 5.5, 95), opt(1, "C", 100, 0.5, 95))


def test_conversion_call_itm_term_is_a_parameter():
    """§1.5: "commonly cited maintenance is 10% of the exercise price (+ ITM amount of the short put
    for a reversal) [L]". Default (IBKR via Lean): 10% × 100 × 100 + call ITM 5 × 100 = 1,500;
    ``conversion.add_call_itm = false``: the reference's wording, 1,000."""
    assert rules.load("regt").get("conversion.add_call_itm") is True
    assert run(*CONVERSION, basis="maintenance").total == 1500.0
    off = run(*CONVERSION, basis="maintenance", rule_set=override(conversion__add_call_itm=False))
    assert strategies(off) == ["conversion"] and off.total == 1000.0
    assert "in-the-money amount" not in off.groups[0].rule


def test_reversal_put_itm_term_is_a_parameter_at_maintenance_only():
    """Default: 10% × 100 × 100 + put ITM 5 × 100 = 1,500; ``reversal.add_put_itm = false``: 1,000.
    At initial the reversal is a covered put plus a long call, and the covered put's ITM amount is
    §1.6's [H] rule: the flag leaves it."""
    table = rules.load("regt")["reversal"]
    assert (table["add_put_itm"], table["confidence"]) == (True, "L")
    assert run(*REVERSAL, basis="maintenance").total == 1500.0
    off = override(reversal__add_put_itm=False)
    flipped = run(*REVERSAL, basis="maintenance", rule_set=off)
    assert strategies(flipped) == ["reversal"] and flipped.total == 1000.0
    assert run(*REVERSAL, rule_set=off).total == run(*REVERSAL).total


DEEP_REVERSAL = (stk(-100, 50.0), opt(-1, "P", 100, 50.2, 50), opt(1, "C", 100, 0.01, 50))


def test_a_conversions_net_applies_the_call_proceeds_only_against_the_call_charge():
    """§1.5: a conversion's maintenance is 10% of the exercise price [+ the call's ITM amount, L];
    §0.1: the proceeds are applied to a requirement that holds the short option's value. The 10%
    holds none of the call's, so net of proceeds only the ITM amount charged is offset.
    Stock 105, 100 put 0.50 and call 5.50: 1,000 + ITM 500 = 1,500 gross; net 1,500 − 500 = 1,000
    (was 1,500 − 550 = 950). The mirror reversal (stock 95, put 5.50): the same 1,500 and 1,000.
    Flag off, deep in the money: the reversal, put 100 at 50.20 on stock 50, 1,000 gross and net
    (was 1,000 − 5,020 = −4,020, a negative requirement from the put's liability; the covered put
    and long call need 15 × 100 + ITM 5,000 − 5,020 + 1 = 1,481)."""
    for legs in (CONVERSION, REVERSAL):
        result = run(*legs, basis="maintenance", net=True)
        (group,) = result.groups
        assert (group.margin, group.short_proceeds, group.gross, group.net) == (1500, 500, 1500, 1000)
        assert result.total == 1000.0
    off = override(reversal__add_put_itm=False)
    result = run(*DEEP_REVERSAL, basis="maintenance", net=True, rule_set=off)
    assert strategies(result) == ["reversal"] and result.total == 1000.0
    assert result.groups[0].short_proceeds == 0.0 and "not applied" in result.groups[0].rule
    assert run(*DEEP_REVERSAL, basis="maintenance", rule_set=off).total == 1000.0  # gross unchanged


@pytest.mark.parametrize("net", [False, True])
@pytest.mark.parametrize("shares", [300, -300])
def test_the_array_path_reads_the_flags_as_the_scalar_rules_do(shares, net):
    """The column-wise stock triples (``stock_triples``, which filter the candidates) equal the
    scalar shapes with both flags off, on a full chain of conversions and reversals at maintenance
    (as test_regt_properties checks them with the shipped flags)."""
    off = RegTRules.of(override(conversion__add_call_itm=False, reversal__add_put_itm=False))
    assert (off.conversion_add_call_itm, off.reversal_add_put_itm) == (False, False)
    spot = 101.0
    table = [stk(shares, spot)]
    for k, (right, strike, days) in enumerate(CONTRACTS):
        intrinsic = max(spot - strike, 0.0) if right == "C" else max(strike - spot, 0.0)
        side = 1 if (right == "P") == (shares > 0) else -1
        table.append(opt(side * (1 + k % 3), right, strike, intrinsic + 1.0 + k / 8, spot, days=days))
    legs = book_legs(read_positions([HEADER, *table], as_of=AS_OF).positions, off, "maintenance", AS_OF)
    e = Enumerator(legs, off, "maintenance", net)
    fast = _column_wise_triples(e)
    _, slow = _triples_reference(e)
    named = {c.strategy for c in slow}
    assert named & {"conversion", "reversal"}
    assert [(c.uses, c.cost, c.strategy, c.rule) for c in fast] == [
        (c.uses, c.cost, c.strategy, c.rule) for c in slow
    ]


# --- 3. minimum equity to trade on margin (margin-rules.md §1.1, FINRA 4210(b)(2)) --------------------------


def test_minimum_equity_is_the_lesser_of_2000_and_the_purchases_cost_and_never_in_the_total():
    """§1.1: "$2,000 (or 100% of cost if less)" [H]. 10 shares at 50 cost 500: 500 is required."""
    book = read_positions([["Symbol", "Type", "Qty", "Price"], ["XYZ", "stock", 10.0, 50.0]], as_of=AS_OF)
    plain = regt_margin(book)
    for equity, meets in ((600.0, True), (400.0, False)):
        result = regt_margin(book, equity=equity)
        check = result.minimum_equity
        assert check is not None and (check.required, check.purchases, check.meets) == (500.0, 500.0, meets)
        assert result.total == plain.total == 250.0  # 50% × 500, unchanged
        below = [w for w in result.warnings if "4210(b)(2)" in w]
        assert bool(below) is not meets
    assert plain.minimum_equity is None and rules.load("regt").get("account.minimum_equity") == 2000.0


def test_a_short_position_needs_the_full_2000_and_maintenance_is_not_checked():
    short = read_positions([["Symbol", "Type", "Qty", "Price"], ["XYZ", "stock", -10.0, 50.0]], as_of=AS_OF)
    check = regt_margin(short, equity=1500.0).minimum_equity
    assert check is not None and (check.required, check.short, check.meets) == (2000.0, True, False)
    later = regt_margin(short, basis="maintenance", equity=1500.0)
    assert later.minimum_equity is not None and later.minimum_equity.meets is None
    assert not [w for w in later.warnings if "4210(b)(2)" in w]


def test_published_naked_put_keeps_its_750_with_the_equity_given():
    """worked-examples.json: the $750 naked put is a per-position figure; the account floor is reported
    beside it (a written option is a short position: 2,000 required), not added."""
    leg = opt(-1, "P", 45, 0.5, 47.5)
    header = ["Symbol", "Type", "Qty", "Price", "Und Px", "Strike", "Right", "Mult", "DTE"]
    book = read_positions([header, ["XYZ", "option", -1.0, 0.5, 47.5, 45.0, "P", 100.0, 30.0]], as_of=AS_OF)
    result = regt_margin(book, equity=1000.0)
    assert result.total == run(leg).total == 750.0
    assert result.minimum_equity is not None and result.minimum_equity.required == 2000.0


def test_breakdown_shows_the_minimum_equity_row_after_the_total_and_warns():
    rows = [["Symbol", "Type", "Qty", "Price"], ["XYZ", "stock", 100.0, 50.0]]
    params = [["as_of", AS_OF.isoformat()], ["equity", 1500.0]]
    table = fn.regt_breakdown(rows, None, None, params)
    total = next(i for i, row in enumerate(table) if row[0] == "Total")
    assert table[total + 1][:3] == ["minimum equity", "account", "below the minimum"]
    assert table[total + 1][-1] == 2000.0 and table[total][-1] == 2500.0  # lesser of 2,000 and 5,000
    assert table[-1][0] == "warning" and "below the FINRA 4210(b)(2) minimum of 2,000.00" in table[-1][1]
    assert fn.regt_margin(rows, None, None, params) == 2500.0
    without = fn.regt_breakdown(rows, None, None, [["as_of", AS_OF.isoformat()]])
    assert without[-1][0] == "Total"


def test_account_view_reports_reg_t_minimum_equity_as_it_reports_pm_eligibility():
    """The account view's one ``equity`` parameter: Reg T's 4210(b)(2) warning under securities=regt,
    PM's 4210(g) warning under securities=pm; the totals are unchanged."""
    book = read_positions([["Symbol", "Type", "Qty", "Price"], ["XYZ", "stock", 100.0, 50.0]], as_of=AS_OF)
    regt = account_margin(book, account_settings({"equity": 1500.0}, AS_OF))
    assert regt.total == 2500.0 and any("4210(b)(2)" in w for w in regt.warnings)
    assert regt.lines[0].detail.minimum_equity.meets is False
    pm = account_margin(book, account_settings({"equity": 1500.0, "securities": "pm"}, AS_OF))
    assert any("4210(g)" in w for w in pm.warnings) and not any("4210(b)(2)" in w for w in pm.warnings)
    # a Reg T result handed in (the batch's) gets the check too
    given = regt_margin(book)
    again = account_margin(book, account_settings({"equity": 1500.0}, AS_OF), securities=given)
    assert again.lines[0].detail.minimum_equity is not None and again.total == 2500.0
