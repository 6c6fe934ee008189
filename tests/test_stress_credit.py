"""The risk view's credit classes: corporate and high-yield funds and bonds move with the Treasury curve
plus their spread factor (stress.toml [mapping.credit]); convertibles are held constant and said so.

Hand figures from the scenario moves as stress-scenarios.md prints them:

- S5 "2008 to the VIX peak" (§1.5, 2008-09-12 → 2008-11-20): 2y −123 bp, 10y −64 bp, 30y −68 bp,
  IG OAS +278 bp, HY OAS +1094 bp, S&P 500 −39.9 %.
- E10 "COVID crash" (tables 1a/1b, 2020-02-19 → 2020-03-23): 2y −114 bp, 10y −80 bp, 30y −68 bp,
  IG OAS +299 bp, HY OAS +730 bp.

A fund returns −D·Δy + ½·C·Δy² (Δy in decimals) with the bond-ETF table's LQD (D 8.3, C 110, maturity
13 years: 0.85 of the 10y move + 0.15 of the 30y) and HYG (D 3.0, C 15, maturity 4.5 years: 0.6875 of
the 2y + 0.3125 of the 10y); Δy adds the class's spread move to the curve's.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.excel import udfs
from xlmargin.positions import read_positions

SETTINGS = stress.stress_settings({}, AS_OF)
PARAMS = [["as_of", AS_OF.isoformat()]]
FUNDS = ["symbol", "type", "quantity", "price", "class", "duration", "factor", "beta"]
BONDS = ["symbol", "type", "quantity", "price", "class", "coupon", "yield", "maturity"]

LQD_S5 = 0.85 * -64 + 0.15 * -68 + 278  # 213.4 bp
LQD_E10 = 0.85 * -80 + 0.15 * -68 + 299  # 220.8 bp
HYG_S5 = 0.6875 * -123 + 0.3125 * -64 + 1094  # 989.4375 bp
HYG_E10 = 0.6875 * -114 + 0.3125 * -80 + 730  # 626.625 bp


def fund_return(duration: float, convexity: float, dy_bp: float) -> float:
    dy = dy_bp / 1e4
    return -duration * dy + 0.5 * convexity * dy * dy


def lqd(dy_bp: float) -> float:
    return fund_return(8.3, 110.0, dy_bp)


def hyg(dy_bp: float) -> float:
    return fund_return(3.0, 15.0, dy_bp)


def par_bond_moved(coupon_pct: float, years: int, dy_bp: float) -> float:
    """The price per 100 of a par bond on a coupon date, semi-annual, once its yield moves by dy_bp:
    the annuity formula, independent of the engine's bond pricer."""
    i = (coupon_pct + dy_bp / 100) / 200
    n = 2 * years
    return coupon_pct / 2 * (1 - (1 + i) ** -n) / i + 100 * (1 + i) ** -n


def book(header: list[str], *rows: list[Any]) -> Any:
    return read_positions([header, *rows], as_of=AS_OF)


def pnl(header: list[str], rows: list[list[Any]], scenario: str) -> stress.StressResult:
    return stress.stress_pnl(book(header, *rows), scenario, SETTINGS)


# --- funds --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("klass_lqd", "klass_hyg"), [("corporate", "high_yield"), ("IG", "HY"), (None, None)]
)
@pytest.mark.parametrize(
    ("scenario", "lqd_dy", "hyg_dy"), [("S5", LQD_S5, HYG_S5), ("E10", LQD_E10, HYG_E10)]
)
def test_lqd_and_hyg_lose_the_curve_plus_their_spread_move(
    klass_lqd: str | None, klass_hyg: str | None, scenario: str, lqd_dy: float, hyg_dy: float
) -> None:
    # LQD 100 × 110 = 11,000; HYG 100 × 80 = 8,000. S5: LQD −15.21 %, HYG −22.34 %; E10: −15.65 %, −15.85 %.
    result = pnl(FUNDS, [["LQD", "etf", 100, 110, klass_lqd], ["HYG", "etf", 100, 80, klass_hyg]], scenario)
    expected = [11_000 * lqd(lqd_dy), 8_000 * hyg(hyg_dy)]
    assert [v for _, _, v in result.positions] == pytest.approx(expected, rel=1e-12)
    assert expected[0] == pytest.approx(-1_672.83, abs=0.005) if scenario == "S5" else True
    assert all(v < 0 for v in expected)
    assert result.factors["ig_spread"] < 0 and result.factors["hy_spread"] < 0
    assert result.warnings == ()


def test_a_credit_fund_outside_the_table_takes_its_duration_or_the_class_default_with_a_warning() -> None:
    rows = [
        ["JNK", "etf", 100, 95, "high_yield", 3.2],  # its own duration: C = 0, on the curve at 3.2 years
        ["VCIT", "etf", 100, 80, "corporate"],  # no duration: LQD's profile, said so
        ["SPHY", "etf", 100, 23, "junk"],  # no duration: HYG's profile
    ]
    result = pnl(FUNDS, rows, "S5")
    jnk_dy = 0.85 * -123 + 0.15 * -64 + 1094  # 979.85 bp at 3.2 years
    expected = [9_500 * fund_return(3.2, 0.0, jnk_dy), 8_000 * lqd(LQD_S5), 2_300 * hyg(HYG_S5)]
    assert [v for _, _, v in result.positions] == pytest.approx(expected, rel=1e-12)
    assert result.warnings == (
        "class corporate fund without a duration column: LQD's duration 8.3, convexity 110 and maturity "
        "13 years assumed (stress.toml [mapping.credit] default_fund); give the fund's duration column: "
        "rows 3",
        "class high_yield fund without a duration column: HYG's duration 3, convexity 15 and maturity "
        "4.5 years assumed (stress.toml [mapping.credit] default_fund); give the fund's duration column: "
        "rows 4",
    )


def test_a_convertible_fund_is_held_constant_saying_why_and_what_to_give() -> None:
    result = pnl(FUNDS, [["CWB", "etf", 100, 80, "convertible"], ["SPY", "etf", 10, 500]], "S5")
    assert result.positions[0][2] == 0.0
    assert result.warnings == (
        "held constant, class convertible: stress-scenarios.md gives no equity delta, credit loading or "
        "series for convertibles, so none is assumed (stress.toml [mapping.convertible]); to stress one, "
        "give the factor column (us_equity) and the beta column (the fund's equity delta): rows 2",
    )
    # given them, it follows the S&P 500: 8,000 × 0.6 × −39.9 %
    given = pnl(FUNDS, [["CWB", "etf", 100, 80, "convertible", None, "us_equity", 0.6]], "S5")
    assert given.pnl == pytest.approx(8_000 * 0.6 * -0.399) and given.warnings == ()


# --- bonds --------------------------------------------------------------------------------------


def test_corporate_and_high_yield_bonds_are_repriced_at_the_curve_plus_the_spread() -> None:
    # par bonds on a coupon date: 10-year 5 % (on the 10y node) and 2-year 8 % (on the 2y node)
    rows = [
        ["T 5 36", "bond", 100_000, 100.0, "treasury", 5.0, 5.0, 10],
        ["IG 5 36", "bond", 100_000, 100.0, "corporate", 5.0, 5.0, 10],
        ["HY 8 28", "bond", 100_000, 100.0, "hy", 8.0, 8.0, 2],
    ]
    s5 = pnl(BONDS, rows, "S5")
    expected_s5 = [
        1_000 * (par_bond_moved(5.0, 10, -64) - 100),  # Treasury: the 10y alone
        1_000 * (par_bond_moved(5.0, 10, -64 + 278) - 100),  # + IG OAS
        1_000 * (par_bond_moved(8.0, 2, -123 + 1094) - 100),  # + HY OAS
    ]
    assert [v for _, _, v in s5.positions] == pytest.approx(expected_s5, rel=1e-9)
    assert expected_s5[0] > 0 > expected_s5[1] and expected_s5[2] < 0
    e10 = pnl(BONDS, rows, "E10")
    expected_e10 = [
        1_000 * (par_bond_moved(5.0, 10, -80) - 100),
        1_000 * (par_bond_moved(5.0, 10, -80 + 299) - 100),
        1_000 * (par_bond_moved(8.0, 2, -114 + 730) - 100),
    ]
    assert [v for _, _, v in e10.positions] == pytest.approx(expected_e10, rel=1e-9)
    assert e10.warnings == ()


def test_the_spread_beta_is_the_rule_file_s(monkeypatch: pytest.MonkeyPatch) -> None:
    # stress.toml [mapping.credit] spread_beta scales the class's spread move ([L], 1.0 as shipped):
    # at 0.5 the IG bond moves by the 10y plus half of IG OAS, for funds and bonds alike
    from xlmargin.stress import classify

    shipped = classify._credit()
    one_for_one = pnl(FUNDS, [["VCIT", "etf", 100, 80, "corporate", 6.0]], "S5").positions[0][2]
    curve_bp = (
        -one_for_one / (8_000 * 6.0) * 1e4 - 278
    )  # the fund's curve move (convexity 0 outside the table)
    halved = {k: (spread, fund, 0.5 * beta) for k, (spread, fund, beta) in shipped.items()}
    for fn in (classify._bond, classify._by_class, classify.classify):
        fn.cache_clear()
    monkeypatch.setattr(classify, "_credit", lambda: halved)
    try:
        bond = pnl(BONDS, [["IG 5 36", "bond", 100_000, 100.0, "corporate", 5.0, 5.0, 10]], "S5")
        fund = pnl(FUNDS, [["VCIT", "etf", 100, 80, "corporate", 6.0]], "S5")
    finally:
        for fn in (classify._bond, classify._by_class, classify.classify):
            fn.cache_clear()
    assert bond.positions[0][2] == pytest.approx(1_000 * (par_bond_moved(5.0, 10, -64 + 0.5 * 278) - 100))
    assert fund.positions[0][2] == pytest.approx(8_000 * fund_return(6.0, 0.0, curve_bp + 0.5 * 278))
    assert -123 < curve_bp < -64  # at 6 years, between the 2y and the 10y moves


def test_a_treasury_row_is_unchanged_beside_credit_rows() -> None:
    treasuries = [["T 5 36", "bond", 100_000, 100.0, "treasury", 5.0, 5.0, 10], ["TLT", "etf", 100, 90, None]]
    credit = [["IG 5 36", "bond", 100_000, 100.0, "corporate", 5.0, 5.0, 10], ["HYG", "etf", 100, 80, "hy"]]
    for scenario in ("S5", "E10"):
        alone = pnl(BONDS, treasuries, scenario).positions
        beside = pnl(BONDS, [*credit, *treasuries], scenario).positions[2:]
        assert [v for _, _, v in beside] == [v for _, _, v in alone]
    assert pnl(BONDS, treasuries, "S5").positions[0][2] == pytest.approx(
        1_000 * (par_bond_moved(5.0, 10, -64) - 100), rel=1e-9
    )


def test_a_convertible_bond_is_held_constant_saying_why_and_what_to_give() -> None:
    rows = [["CV 1 30", "bond", 100_000, 110.0, "convertible", 1.0, None, 4],
            ["CV 0 31", "bond", 50_000, 95.0, "convert", None, None, 5]]  # fmt: skip
    result = pnl(BONDS, rows, "S5")
    assert [v for _, _, v in result.positions] == [0.0, 0.0]
    assert result.gross_exposure == pytest.approx(110_000 + 47_500)
    assert result.warnings == (
        "held constant, class convertible: stress-scenarios.md gives no equity delta, credit loading or "
        "series for convertibles, so none is assumed (stress.toml [mapping.convertible]); to stress one, "
        "give its bond floor as a corporate or high_yield bond row and its equity part as a stock row of "
        "the delta-equivalent shares: rows 2, 3",
    )


# --- the worksheet functions ----------------------------------------------------------------------


def test_stress_pnl_and_stress_table_in_excel_shape() -> None:
    positions = [
        ["symbol", "type", "quantity", "price", "class", "duration"],
        ["LQD", "etf", 100.0, 110.0, "corporate", None],
        ["HYG", "etf", 100.0, 80.0, "high yield", ""],
        ["IEF", "etf", 10.0, 95.0, "treasury", None],
        ["CWB", "etf", 10.0, 80.0, "convertible", None],
    ]
    ief_s5 = 0.2 * -123 + 0.8 * -64  # IEF: maturity 8.4 years, 0.8 of the way from the 2y to the 10y
    s5 = 11_000 * lqd(LQD_S5) + 8_000 * hyg(HYG_S5) + 950 * fund_return(7.1, 60.0, ief_s5)
    assert udfs.STRESS_PNL(positions, "S5", PARAMS) == pytest.approx(s5, abs=0.005)
    table = udfs.STRESS_TABLE(positions, PARAMS)
    by_id = {row[0]: row for row in table[1:] if row[0] != "note"}
    assert by_id["S5"][3] == pytest.approx(s5, abs=0.005)
    ief_e10 = 0.2 * -114 + 0.8 * -80
    e10 = 11_000 * lqd(LQD_E10) + 8_000 * hyg(HYG_E10) + 950 * fund_return(7.1, 60.0, ief_e10)
    assert by_id["E10"][3] == pytest.approx(e10, abs=0.005)
    assert by_id["S5"][5].startswith("HYG (row 3)")  # the worst contributor: −1,787
    notes = [row[1] for row in table if row[0] == "note"]
    assert any(n.startswith("held constant, class convertible") and n.endswith("rows 5") for n in notes)


# --- a duration of 0 ------------------------------------------------------------------------------


def test_a_credit_fund_with_a_duration_of_0_is_a_floating_rate_fund_not_a_blank() -> None:
    # FLOT 100 × 50 = 5,000. Duration 0: −0 × Δy, no loss and no warning (main took LQD's 8.3 and
    # 110 for a 0, −760.38 in S5, and warned the duration column was missing). At 0.05 years, on the
    # curve at 0.05 years (flat below the 2y node): Δy = −123 + 278 = 155 bp, −0.05 × 1.55 % × 5,000.
    for zero in (0, 0.0, "0"):
        result = pnl(FUNDS, [["FLOT", "etf", 100, 50, "corporate", zero]], "S5")
        assert result.positions == ((2, "FLOT", 0.0),) and result.warnings == ()
    short = pnl(FUNDS, [["FLOT", "etf", 100, 50, "corporate", 0.05]], "S5")
    assert short.positions[0][2] == pytest.approx(5_000 * fund_return(0.05, 0.0, -123 + 278))
    assert short.pnl == -3.88
    # a blank is still no duration: the class default, said so
    blank = pnl(FUNDS, [["FLOT", "etf", 100, 50, "corporate", None]], "S5")
    assert blank.positions[0][2] == pytest.approx(5_000 * lqd(LQD_S5)) and blank.pnl == -760.38
    assert [w[:46] for w in blank.warnings] == ["class corporate fund without a duration column"]
    # high yield alike, and a Treasury floater's 0 is a duration too (main refused it as missing)
    assert (
        pnl(FUNDS, [["USFR", "etf", 100, 50, "treasury", 0], ["HYFL", "etf", 10, 20, "hy", 0]], "E10").pnl
        == 0.0
    )


def test_the_worksheet_reads_a_duration_of_0_as_typed() -> None:
    positions = [
        ["symbol", "type", "quantity", "price", "class", "duration"],
        ["FLOT", "etf", 100.0, 50.0, "IG", 0.0],
    ]
    assert udfs.STRESS_PNL(positions, "S5", PARAMS) == 0.0
    notes = [row[1] for row in udfs.STRESS_TABLE(positions, PARAMS) if row[0] == "note"]
    assert not any("duration" in note for note in notes)


def test_a_duration_of_0_on_a_fund_of_the_table_reads_as_blank_with_a_warning() -> None:
    # Office.js hands a blank cell over as 0: a 0 beside the bond-ETF table's duration would take the
    # fund's rate and spread risk away without a word. LQD 100 × 110 = 11,000 in S5 with the table's
    # D 8.3, C 110 at Δy = LQD_S5, blank or 0 alike; the 0 is named in a warning; a duration given
    # (5) is the fund's own, with the table's convexity.
    blank = pnl(FUNDS, [["LQD", "etf", 100, 110, "corporate", None]], "S5")
    zero = pnl(FUNDS, [["LQD", "etf", 100, 110, "corporate", 0]], "S5")
    assert blank.positions[0][2] == pytest.approx(11_000 * lqd(LQD_S5)) and blank.warnings == ()
    assert zero.pnl == blank.pnl and zero.positions == blank.positions
    (warning,) = zero.warnings
    assert warning.startswith("a duration of 0 where stress.toml's tables give one") and warning.endswith(
        "rows 2"
    )
    given = pnl(FUNDS, [["LQD", "etf", 100, 110, "corporate", 5]], "S5")
    assert given.positions[0][2] == pytest.approx(11_000 * fund_return(5.0, 110.0, LQD_S5))
    # outside the table the 0 is still a floating-rate fund's
    assert pnl(FUNDS, [["FLOT", "etf", 100, 50, "corporate", 0]], "S5").pnl == 0.0


def test_a_batch_account_s_duration_warnings_come_in_the_book_s_order() -> None:
    # the zero-duration note comes before the class default's in the book, whatever the rows' order;
    # a batch account's notes are ordered by their keys (Book.warnings_by) and must agree
    from xlmargin.stress.results import risk_margin, risk_margins

    positions = read_positions(
        [FUNDS[:6], ["VCIT", "etf", 100, 80, "corporate", None], ["LQD", "etf", 100, 110, None, 0]],
        as_of=AS_OF,
    )
    alone = risk_margin(positions, SETTINGS).warnings
    assert (
        len(alone) == 2 and alone[0].startswith("a duration of 0") and alone[1].startswith("class corporate")
    )
    assert risk_margins(positions, SETTINGS, [0, 2])[0].warnings == alone
