"""A house's special maintenance (the positions column ``special_maintenance``) in Reg T, each figure
worked by hand in its docstring or comment.

Rules, margin-rules.md: §1.1 "Non-marginable equity | 100% | Reg T 220.12(e) [H]"; §1.3 "Securities
with special maintenance | greatest of 20% leg, (special maintenance % ÷ 2) leg, 10% leg"; §0 point 5
"effective requirement = max(Reg T, FINRA/exchange minimum, house)". The special figure is the
house's, so it is a floor under the regulatory rates: long 50% initial / 25% maintenance (§1.1), short
50% beyond the proceeds / greater of 30% and $5 a share (§1.1), naked options 20% leg / 10% floors.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import AS_OF
from tests.test_regt import HEADER, opt, stk
from tests.test_regt_properties import (
    _column_wise_triples,
    _triples_reference,
    _two_leg_reference,
    books,
    conventions,
    markets,
    rows,
)
from xlmargin import rules
from xlmargin.errors import InputError
from xlmargin.positions import read_positions
from xlmargin.positions.model import Portfolio
from xlmargin.regt import RegTResult, regt_margin
from xlmargin.regt._formulas import RegTRules
from xlmargin.regt._legs import book_legs, book_netted_legs, netted_legs
from xlmargin.regt._strategies import Enumerator

SPECIAL_HEADER = [*HEADER, "House Maintenance"]


def special(row: list, value: object) -> list:
    """A row of tests.test_regt's layout with a special-maintenance cell."""
    return [*row, value]


def read(*rows: list):
    table = [r if len(r) == len(SPECIAL_HEADER) else [*r, None] for r in rows]
    return read_positions([SPECIAL_HEADER, *table], as_of=AS_OF)


def run(*rows: list, basis: str = "initial", net: bool = False) -> RegTResult:
    return regt_margin(read(*rows), basis=basis, net_of_proceeds=net)


# --- the column ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "fraction"),
    [(30, 0.30), (30.0, 0.30), ("30%", 0.30), (0.3, 0.30), ("0.3", 0.30), (1, 1.0), (100, 1.0),
     ("100%", 1.0), ("non-marginable", 1.0), ("Not Marginable", 1.0), (None, np.nan), ("", np.nan),
     (0, np.nan)],
)  # fmt: skip
def test_a_percentage_or_a_fraction_or_a_word(cell, fraction):
    """As coupons and yields are read: a number above 1 is a percentage, up to 1 a fraction; text may
    carry %; a blank (or Office.js's 0) is none."""
    got = read(special(stk(100, 50), cell)).arrays["special_maintenance"]
    np.testing.assert_array_equal(got, [fraction])


@pytest.mark.parametrize("header", ["special_maintenance", "House Maintenance", "Maintenance %",
                                    "Margin Requirement %", "Special Maintenance %"])  # fmt: skip
def test_the_headers_a_broker_or_a_user_would_write(header):
    table = [[*HEADER, header], special(stk(100, 50), "40%")]
    assert read_positions(table, as_of=AS_OF).arrays["special_maintenance"].tolist() == [0.4]


def test_a_dollar_maintenance_column_is_not_read_as_a_percentage():
    """TWS heads the dollar requirement "Maint Margin": no alias of the column, so it is ignored."""
    portfolio = read_positions([[*HEADER, "Maint Margin"], special(stk(100, 50), 1250.0)], as_of=AS_OF)
    assert np.isnan(portfolio.arrays["special_maintenance"]).all()
    assert "Maint Margin" in portfolio.warnings[0]


@pytest.mark.parametrize(
    ("cell", "message"),
    [(150, "special maintenance must be above 0% and at most 100%, got 150"),
     (-30, "special maintenance must be above 0% and at most 100%, got -30"),
     ("0%", "special maintenance must be above 0% and at most 100%, got 0%"),
     ("high", "'high' is not a number; give a percentage (30, 30%, 0.3) or non-marginable"),
     ("#N/A", "the cell holds the error value #N/A")],
)  # fmt: skip
def test_an_out_of_range_or_unreadable_value_names_its_row_and_column(cell, message):
    with pytest.raises(InputError) as caught:
        read(stk(10, 20, symbol="ABC"), special(stk(100, 50), cell))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (3, "special_maintenance")
    assert message in problem.message
    assert str(problem).startswith("row 3, special_maintenance: ")


def test_two_rows_of_one_underlying_that_disagree_are_an_error_naming_both():
    """Given on the stock's row and on an option's: one figure per underlying, else an error on the
    row that differs from the first one given."""
    with pytest.raises(InputError) as caught:
        read(
            special(stk(100, 50), "30%"),
            special(opt(-1, "P", 45, 1.2, 50), 50),
            special(opt(-1, "C", 55, 1, 50), 0.3),
        )
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (3, "special_maintenance")
    assert problem.message.startswith("50% disagrees with 30% on row 2 for the underlying XYZ")


def test_one_figure_on_any_row_reaches_every_row_of_the_underlying_only():
    """The reader keeps each row's figure; Reg T gives it to every row of the underlying."""
    from xlmargin.regt._legs import special_per_underlying

    portfolio = read(stk(100, 50), special(opt(-1, "P", 45, 1.2, 50), "40%"), stk(10, 20, symbol="ABC"))
    np.testing.assert_array_equal(portfolio.arrays["special_maintenance"], [np.nan, 0.4, np.nan])
    spread = special_per_underlying(portfolio).arrays["special_maintenance"]
    np.testing.assert_array_equal(spread, [0.4, 0.4, np.nan])


def test_in_a_batch_each_account_has_its_own_special_maintenance() -> None:
    """Batch equals each account margined alone: one account's figure never reaches another's rows
    of the underlying, and two accounts may give two figures."""
    import pandas as pd

    from xlmargin.batch import batch

    header = ["account", "symbol", "type", "quantity", "price", "special_maintenance"]
    rows = [["A", "XYZ", "stock", 100.0, 50.0, 0.30], ["B", "XYZ", "stock", 100.0, 50.0, None],
            ["C", "XYZ", "stock", 100.0, 50.0, "50%"]]  # fmt: skip
    out = batch(pd.DataFrame(rows, columns=header), by="account", regime="regt", as_of=AS_OF,
                params={"basis": "maintenance"})  # fmt: skip
    # 5,000 of stock: 30% house → 1,500; FINRA's 25% → 1,250; 50% house → 2,500 (§1.1, §0 point 5)
    assert out["requirement"].tolist() == [1500.0, 1250.0, 2500.0]
    assert out["error"].tolist() == ["", "", ""]
    rows.append(["C", "XYZ", "stock", 10.0, 50.0, 0.4])
    out = batch(pd.DataFrame(rows, columns=header), by="account", regime="regt", as_of=AS_OF,
                params={"basis": "maintenance"})  # fmt: skip
    assert out["requirement"].tolist()[:2] == [1500.0, 1250.0]
    assert "40% disagrees with 50% on row 4 for the underlying XYZ" in out["error"].tolist()[2]


def test_only_stocks_etfs_and_their_options_take_one():
    row = special(["T", "bond", 1000.0, 99.0, None, None, None, None, "treasury", None, None, None, 5.0, None,
                   None], "5%")  # fmt: skip
    with pytest.raises(
        InputError, match=r"row 2, special_maintenance: special maintenance applies to stocks"
    ):
        read(row)


# --- stock (§1.1 and §0 point 5) ------------------------------------------------------------------


def test_long_stock_with_30_percent_special_maintenance():
    """100 × 50.00 = 5,000. Maintenance: max(25% FINRA, 30% house) = 30% → 1,500. Initial: max(50% Reg T,
    30%) = 50% → 2,500 (the special figure is below Reg T's, and says so)."""
    row = special(stk(100, 50), "30%")
    maintenance, initial = run(row, basis="maintenance"), run(row)
    assert (maintenance.total, initial.total) == (1500.0, 2500.0)
    assert "30% of market value (special maintenance, above the FINRA 4210(c) maintenance 25%)" in (
        maintenance.groups[0].rule
    )
    assert "special maintenance 30% is not above it" in initial.groups[0].rule


def test_non_marginable_stock_is_100_percent_on_both_bases():
    """Reg T 220.12(e): no loan value. 100 × 20.00 = 2,000 initial and maintenance."""
    row = special(stk(100, 20, symbol="ABC"), "non-marginable")
    for basis in ("initial", "maintenance"):
        result = run(row, basis=basis)
        assert result.total == 2000.0
        assert "not marginable: special maintenance 100%, no loan value" in result.groups[0].rule


def test_short_stock_with_60_percent_special_maintenance():
    """Short 100 at 50.00, beyond the proceeds. Maintenance: greatest of 30% (15.00), 5.00 a share and
    60% (30.00) → 3,000. Initial: greater of 50% (25.00) and that maintenance → 3,000."""
    row = special(stk(-100, 50), 60)
    assert run(row, basis="maintenance").total == run(row).total == 3000.0
    assert "60% of value (special maintenance)" in run(row).groups[0].rule


def test_short_stock_below_the_special_figure_keeps_the_finra_one():
    """Short 1,000 at 4.00, 50% special: FINRA's greater of 2.50 a share and 100% (4.00) is above 50%."""
    assert run(special(stk(-1000, 4), "50%"), basis="maintenance").total == 4000.0


# --- naked options (§1.3) -------------------------------------------------------------------------


def test_naked_put_and_call_on_a_40_percent_special_stock():
    """Spot 50, special 40%: the (40% ÷ 2) = 20% leg equals the 20% leg.
    Put 45 at 1.20 (OTM 5): 20% leg 1.20 + 10.00 − 5.00 = 6.20; (s ÷ 2) leg the same 6.20; 10% leg
    1.20 + 10% × 45 = 5.70 → 6.20 × 100 = 620.
    Call 52 at 1.50 (OTM 2): 1.50 + 10.00 − 2.00 = 9.50 (both legs); 10% leg 1.50 + 5.00 = 6.50 → 950."""
    put = special(opt(-1, "P", 45, 1.2, 50, symbol="XYZ"), "40%")
    call = special(opt(-1, "C", 52, 1.5, 50, symbol="ABC"), "40%")
    assert run(put).total == 620.0
    assert run(call).total == 950.0
    assert "20% (greater of 20% and special maintenance 40% × 0.5)" in run(put).groups[0].rule


def test_the_half_special_leg_wins_above_40_percent():
    """Special 60% → a 30% leg. Put 45 at 1.20 on 50: max(1.20 + 15.00 − 5.00, 1.20 + 4.50) = 11.20 → 1,120.
    Call 52 at 1.50: max(1.50 + 15.00 − 2.00, 1.50 + 5.00) = 14.50 → 1,450."""
    assert run(special(opt(-1, "P", 45, 1.2, 50), "60%")).total == 1120.0
    assert run(special(opt(-1, "C", 52, 1.5, 50), "60%")).total == 1450.0


def test_the_ten_percent_leg_still_floors_a_far_out_of_the_money_put():
    """Put 20 at 0.05 on 50, special 60%: 0.05 + 15.00 − 30.00 < 0.05 + 10% × 20 = 2.05 → 205."""
    assert run(special(opt(-1, "P", 20, 0.05, 50), "60%")).total == 205.0


def test_a_special_figure_below_40_percent_leaves_naked_options_alone():
    plain = run(opt(-1, "P", 45, 1.2, 50)).total
    assert run(special(opt(-1, "P", 45, 1.2, 50), "30%")).total == plain == 620.0


# --- strategies with the stock (§1.6) -------------------------------------------------------------


def test_covered_call_on_a_special_stock():
    """100 at 50.00, special 60%, short call 45 at 6.00 (ITM 5).
    Maintenance: 60% × stock valued at no more than the strike (4,500) = 2,700.
    Initial: 60% × 5,000 = 3,000, plus the loan not released above the strike (1 − 60%) × 500 = 200
    → 3,200. Both beat the legs alone (stock 3,000 + naked call 600 + 10.00 × 100 ...)."""
    stock, call = special(stk(100, 50), "60%"), opt(-1, "C", 45, 6.0, 50)
    maintenance, initial = run(stock, call, basis="maintenance"), run(stock, call)
    assert (
        [g.strategy for g in maintenance.groups] == [g.strategy for g in initial.groups] == ["covered call"]
    )
    assert (maintenance.total, initial.total) == (2700.0, 3200.0)
    assert "special maintenance 60%" in maintenance.groups[0].rule


def test_covered_call_on_a_30_percent_special_stock_at_maintenance():
    """Out of the money call 55 at 1.00: 30% × min(5,000, 5,500) = 1,500 (FINRA's 25% would be 1,250)."""
    assert run(special(stk(100, 50), "30%"), opt(-1, "C", 55, 1.0, 50), basis="maintenance").total == 1500.0


def test_protective_put_takes_the_special_figure_for_its_stock_part():
    """100 at 50.00, long put 40 at 0.50, special 60%, maintenance: lesser of 10% × 40 + OTM 10 = 14.00 a
    share (1,400) and 60% × 5,000 = 3,000 → 1,400; with the put at 48 (OTM 2): 4.80 + 2 = 680.
    Without a put-based cap below it the stock part rules: put 10 at 0.01 (OTM 40): 41.00 a share → the
    lesser is 60% × 5,000 = 3,000 (the regular rule: 25% → 1,250)."""
    stock = special(stk(100, 50), "60%")
    assert run(stock, opt(1, "P", 40, 0.5, 50), basis="maintenance").total == 1400.0
    assert run(stock, opt(1, "P", 10, 0.01, 50), basis="maintenance").total == 3000.0


def test_collar_caps_with_the_special_figure_on_the_call_strike():
    """100 at 50, long put 30 at 0.10 (OTM 20), short call 55 at 1.00, special 60%, maintenance: lesser
    of 10% × 30 + 20 = 23.00 a share (2,300) and 60% × 55 × 100 = 3,300 → 2,300 (a covered call,
    60% × 5,000 = 3,000, and the put paid, 10, would be 3,010). At 40% the collar would be 40% × 5,500
    = 2,200, and the pairing takes the cheaper covered call 40% × 5,000 = 2,000 plus the put paid: 2,010."""
    put, call = opt(1, "P", 30, 0.1, 50), opt(-1, "C", 55, 1.0, 50)
    collar = run(special(stk(100, 50), "60%"), put, call, basis="maintenance")
    assert (collar.total, [g.strategy for g in collar.groups]) == (2300.0, ["collar"])
    assert "60% × call strike, special maintenance 60%" in collar.groups[0].rule
    covered = run(special(stk(100, 50), "40%"), put, call, basis="maintenance")
    assert (covered.total, sorted(g.strategy for g in covered.groups)) == (
        2010.0,
        ["covered call", "long put"],
    )


def test_covered_put_and_protective_call_take_the_short_stocks_special_figure():
    """Short 100 at 50, special 60% (30.00 a share beyond the proceeds). Covered put 45 at 1.00 (OTM):
    3,000 + 0 ITM. Protective call 60 at 0.50, maintenance: lesser of 10% × 60 + OTM 10 = 16.00 a
    share (1,600) and 3,000 → 1,600; call 90 at 0.01: 9 + 40 = 49.00 → 3,000."""
    stock = special(stk(-100, 50), "60%")
    assert run(stock, opt(-1, "P", 45, 1.0, 50), basis="maintenance").total == 3000.0
    assert run(stock, opt(1, "C", 60, 0.5, 50), basis="maintenance").total == 1600.0
    assert run(stock, opt(1, "C", 90, 0.01, 50), basis="maintenance").total == 3000.0


def test_spreads_are_unaffected():
    """A put credit spread 45/40 on 50 (short at 1.20, long at 0.40): the lesser of the naked
    requirement and the width, min(620, 5 × 100) = 500, the long paid from the credit. On a
    non-marginable underlying the naked leg grows (1.20 + 50% × 50 − 5 = 21.20 → 2,120), the spread's
    requirement, its maximum loss, does not."""
    legs = [opt(-1, "P", 45, 1.2, 50), opt(1, "P", 40, 0.4, 50)]
    plain, house = run(*legs), run(special(legs[0], "non-marginable"), legs[1])
    assert house.total == plain.total == 500.0
    assert [g.strategy for g in house.groups] == ["credit spread"]
    assert run(special(legs[0], "non-marginable")).total == 2120.0


def test_a_book_without_the_column_is_margined_as_before():
    """The same rows with the column left blank give the same groups, figures and rule texts."""
    rows_ = [stk(100, 50), opt(-1, "C", 55, 1.0, 50), opt(-2, "P", 45, 1.2, 50), stk(-300, 4, symbol="ABC")]
    for basis in ("initial", "maintenance"):
        blank = run(*rows_, basis=basis)
        without = regt_margin(read_positions([HEADER, *rows_], as_of=AS_OF), basis=basis)
        assert repr(blank.groups) == repr(without.groups)


def test_a_book_joined_from_two_tables_gives_every_row_of_an_underlying_its_figure():
    """A trade's rows (no column) joined to positions that give 60% for XYZ: the engine takes the
    underlying's greatest figure for all its rows, so 200 shares at 50.00 need 60% × 10,000 = 6,000."""
    positions, trade = read(special(stk(100, 50), "60%")), read_positions([HEADER, stk(100, 50)], as_of=AS_OF)
    arrays = {k: np.concatenate([positions.arrays[k], trade.arrays[k]]) for k in positions.arrays}
    joined = Portfolio(arrays, AS_OF)
    assert regt_margin(joined, basis="maintenance").total == 6000.0


def test_the_pairing_cache_tells_special_figures_apart():
    stock = stk(100, 50)
    assert run(stock, basis="maintenance").total == 1250.0
    assert run(special(stock, "30%"), basis="maintenance").total == 1500.0
    assert run(special(stock, "40%"), basis="maintenance").total == 2000.0
    assert run(stock, basis="maintenance").total == 1250.0


# --- the fast paths equal their slow twins ------------------------------------------------------------


def _with_specials(table: list[list], figure: object) -> list[list]:
    return [special(r, figure if k % 2 == 0 else None) for k, r in enumerate(table)]


@settings(max_examples=40)
@given(markets(), books(max_rows=8), conventions, st.sampled_from(["30%", "60%", "non-marginable"]))
def test_the_column_wise_candidates_equal_the_obvious_loops_with_a_special_figure(
    market, book, convention, figure
):
    """Two-leg candidates and stock triples on arrays against the scalar methods, to the last bit."""
    basis, net = convention
    r = RegTRules.of(rules.load("regt"))
    portfolio = read(*_with_specials(rows(market, book), figure))
    legs = book_legs(portfolio.positions, r, basis, AS_OF)
    fast = Enumerator(legs, r, basis, net)._two_leg()
    slow = _two_leg_reference(Enumerator(legs, r, basis, net))
    assert [(c.uses, c.cost, c.strategy, c.unit, c.rule) for c in fast] == [
        (c.uses, c.cost, c.strategy, c.unit, c.rule) for c in slow
    ]
    e = Enumerator(legs, r, basis, net)
    triples, (_, reference) = _column_wise_triples(e), _triples_reference(e)
    assert [(c.uses, c.cost, c.unit, c.rule) for c in triples] == [
        (c.uses, c.cost, c.unit, c.rule) for c in reference
    ]


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
def test_the_column_wise_legs_equal_the_row_by_row_ones_with_special_figures(basis):
    """A book past the column-wise threshold (40 rows), specials on some underlyings: every leg's
    figures to the last bit, and its rule text."""
    table = []
    for k, figure in enumerate(["30%", None, "60%", "non-marginable", 0.45]):
        symbol = f"S{k}"
        table.append(special(stk(100 * (1 if k % 2 else -1), 20 + 7 * k, symbol=symbol), figure))
        for j in range(8):
            right, side = ("C", -1) if j % 2 else ("P", -1 if j % 3 else 1)
            table.append(
                special(opt(side, right, 15 + 3 * j + 7 * k, 0.5 + j / 4, 20 + 7 * k, symbol=symbol), None)
            )
    portfolio = read(*table)
    r = RegTRules.of(rules.load("regt"))
    rows_: dict[str, list[int]] = {}
    for i, p in enumerate(portfolio.positions):
        rows_.setdefault(p.class_group, []).append(i)
    together = book_netted_legs(portfolio, rows_, r, basis)
    for name, indices in rows_.items():
        alone = netted_legs([portfolio.positions[i] for i in indices], r, basis, AS_OF)
        assert repr(together[name]) == repr(alone)
        assert [leg.standalone_rule for leg in together[name][0]] == [leg.standalone_rule for leg in alone[0]]


def test_the_naked_special_leg_fraction_is_a_rule_parameter():
    """regt.toml [special_maintenance] naked_leg_fraction (0.5: "special maintenance % ÷ 2", §1.3).
    At 1.0 on a 40% stock the leg is 40%: put 45 at 1.20 on 50: 1.20 + 20.00 − 5.00 = 16.20 → 1,620."""
    from tests.test_regt import override

    book = read(special(opt(-1, "P", 45, 1.2, 50), "40%"))
    assert regt_margin(book).total == 620.0
    whole = override(special_maintenance__naked_leg_fraction=1.0)
    result = regt_margin(book, rules=whole)
    assert result.total == 1620.0
    assert "special maintenance 40% × 1" in result.groups[0].rule
