"""A leveraged ETF line held at quantity 0 (a closed position left in the sheet) widens nothing.

pm.toml [leveraged_etf]: a class group holding a leveraged ETF is scanned at its range × the
largest |leverage| among its rows held. A row at quantity 0 holds nothing, so SPY 100 at $500 with
a closed 2× SSO line is scanned at the plain broad-index ±10% (100 × 500 × 10% = 5,000), not ±20%
(10,000, the figure before this fix). Every path that shows portfolio margin agrees: the function,
its breakdown, the CLI, the account view, the batch and the decisions' figures before a trade.

Expected figures are the engine's on the book without the closed line, or the arithmetic in the
comments; none is typed from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import xlmargin
from tests.test_decisions_leveraged import SETTINGS as LEVERAGED_SETTINGS
from tests.test_decisions_leveraged import H, hedged, least_plan
from xlmargin import decisions
from xlmargin.account import ACCOUNT_PARAMS, account_margin, account_settings
from xlmargin.batch import batch
from xlmargin.cli import main
from xlmargin.excel import udfs
from xlmargin.money import cents
from xlmargin.params import read_params
from xlmargin.positions import read_positions

AS_OF = "2026-12-07"
D = dt.date(2026, 12, 7)
HDR = ["symbol", "type", "underlying", "quantity", "price", "underlying_price", "strike", "expiry", "right",
       "asset_class", "leverage"]  # fmt: skip
SPY = ["SPY", "stock", "SPY", 100, 500, 500, None, None, None, "broad_index", None]
SSO_CLOSED = ["SSO", "etf", "SPY", 0, 80, 500, None, None, None, "broad_index", 2]
ROWS = [HDR, SPY, SSO_CLOSED]
SETTINGS = decisions.decision_settings({"as_of": D}, D)


def engine(table: list[list[Any]]) -> float:
    return float(xlmargin.pm_requirement(table, as_of=AS_OF))


def test_a_closed_leveraged_line_leaves_the_range_plain() -> None:
    assert engine(ROWS) == engine(ROWS[:2]) == 5000.0  # 100 × 500 × 10%; was 10,000 with the closed line


def test_a_held_leveraged_line_still_widens_the_range() -> None:
    held = [HDR, SPY, [*SSO_CLOSED[:3], 10, *SSO_CLOSED[4:]]]
    assert engine(held) == 10160.0  # ±20%: 100 × 500 × 20% + 10 × 80 × 20%


def test_breakdown_warns_only_of_the_rows_held() -> None:
    params = [["as_of", dt.datetime(2026, 12, 7)]]
    closed = udfs.PM_BREAKDOWN(ROWS, params)
    assert not any("leverage" in str(cell) for line in closed for cell in line)
    # a 2× line held and a 3× line closed: scanned at × 2, the warning naming the 2× row (3) alone
    book = [*ROWS[:2], [*SSO_CLOSED[:3], 10, *SSO_CLOSED[4:]], ["UPRO", "etf", "SPY", 0, 60, 500, None, None,
                                                                 None, "broad_index", 3]]  # fmt: skip
    warnings = [str(line[1]) for line in udfs.PM_BREAKDOWN(book, params) if line[0] == "warning"]
    assert [w for w in warnings if "leverage" in w] == [
        "class group SPX is scanned at its range × leverage 2, set by row 3 (pm.toml [leveraged_etf], "
        "confidence [M]: a broker's reading of the rule, the rule text not re-read)"
    ]


def test_cli_margin_pm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "book.csv"
    text = "\n".join(",".join("" if c is None else str(c) for c in r) for r in ROWS)
    path.write_text(text, encoding="utf-8")
    assert main(["margin", str(path), "--regime", "pm", "--as-of", AS_OF, "--format", "json"]) == 0
    assert float(json.loads(capsys.readouterr().out)["requirement"]) == 5000.0


def test_account_view_with_portfolio_margin() -> None:
    settings = account_settings(read_params(["securities=pm"], ACCOUNT_PARAMS), D)
    assert account_margin(read_positions(ROWS, as_of=D), settings).lines[0].requirement == 5000.0


def test_batch_values_an_account_with_a_closed_line_as_alone() -> None:
    # account B holds SSO, so the union's SPX group is scanned at × 2; A's closed line must not join it
    table = [["account", *HDR], ["A", *SPY], ["A", *SSO_CLOSED], ["B", *SPY], ["B", *SSO_CLOSED[:3], 10,
             *SSO_CLOSED[4:]], ["C", *SPY]]  # fmt: skip
    result = batch(table, "account", "pm", {}, as_of=D).set_index("account")["requirement"]
    assert result.to_dict() == {"A": 5000.0, "B": 10160.0, "C": 5000.0}


# --- the decisions: their figure before a trade is the engine's -------------------------------------


def book() -> Any:
    return read_positions(ROWS, as_of=D)


def test_impact_before_and_after_are_the_engine() -> None:
    sold = read_positions([HDR, [*SPY[:3], -10, *SPY[4:]]], as_of=D)
    line = decisions.margin_impact(book(), sold, SETTINGS).line("pm")
    assert (line.before, line.after) == (5000.0, engine([HDR, [*SPY[:3], 90, *SPY[4:]]]))  # 4,500


def test_impact_of_a_leveraged_etf_bought_and_sold_in_one_table() -> None:
    # the trades open SSO and close it again: held neither before nor after, it widens nothing
    trades = read_positions(
        [HDR, [*SSO_CLOSED[:3], 10, *SSO_CLOSED[4:]], [*SSO_CLOSED[:3], -10, *SSO_CLOSED[4:]]], as_of=D
    )
    line = decisions.margin_impact(read_positions(ROWS[:2], as_of=D), trades, SETTINGS).line("pm")
    assert (line.before, line.after) == (5000.0, 5000.0)


def test_contribution_of_the_closed_line_is_nothing() -> None:
    result = decisions.margin_contribution(book(), SETTINGS, "pm")
    assert result.incremental == (5000.0, 0.0)
    assert sum(result.component) == pytest.approx(5000.0)


def test_contribution_of_a_held_line_beside_a_closed_wider_one() -> None:
    # SSO 2× held, UPRO 3× closed: without SSO the group narrows to ±10%, so SSO's incremental is the
    # engine's difference (10,160 − 5,000), not a vectorised update at × 3 (or at × 2)
    table = [*ROWS[:2], [*SSO_CLOSED[:3], 10, *SSO_CLOSED[4:]], ["UPRO", "etf", "SPY", 0, 60, 500, None, None,
                                                                 None, "broad_index", 3]]  # fmt: skip
    result = decisions.margin_contribution(read_positions(table, as_of=D), SETTINGS, "pm")
    total = engine(table)
    assert result.incremental == tuple(cents(total - engine(table[:i] + table[i + 1 :])) for i in (1, 2, 3))
    assert result.incremental[1] == 5160.0


def test_liquidation_before_is_the_engine() -> None:
    plan = decisions.liquidation_plan(book(), 3000.0, SETTINGS, "pm")
    assert plan.before == 5000.0  # was 10,000 beside a plan priced at ±10%
    assert plan.trades == ((2, "SPY", -40.0, 20000.0),)  # 60 × 500 × 10% = 3,000
    assert plan.after == plan.optimiser_value == 3000.0


def test_hedge_before_is_the_engine() -> None:
    header = ["symbol", "type", "underlying", "qty", "price", "asset_class", "min_qty", "max_qty"]
    spy = ["SPY", "stock", "SPY", 0, 500, "broad_index", -50, 0]
    candidates = decisions.read_candidates([header, spy], D)
    result = decisions.hedge_optimize(book(), candidates, SETTINGS)
    line = result.impact.line("pm")
    assert (line.before, line.after) == (5000.0, result.engine_value) == (5000.0, 2500.0)


def test_margin_call_now_is_the_engine() -> None:
    assert decisions.margin_call_move(book(), 20000.0, SETTINGS, "pm").requirement == 5000.0


# --- exactness of the hedge program still holds with a closed leveraged row -------------------------

SHORT_AAPL_CLOSED_AAPU = [H, ["AAPL", "stock", -100, 200.0, None, None], ["AAPU", "etf", 0, 50.0, "AAPL", 2]]


def test_hedge_reopening_a_closed_leveraged_row_is_the_brute_force_least() -> None:
    # the closed AAPU line does not widen AAPL before the hedge; a candidate reopening it does
    _, chosen, brute = hedged(SHORT_AAPL_CLOSED_AAPU, [["AAPU", "etf", 0, 50.0, "AAPL", 2, 0, 250]])
    assert chosen.get("AAPU", 0) == brute["AAPU"] > 0


def test_hedge_beside_a_closed_leveraged_row_is_the_brute_force_least() -> None:
    candidates = [["AAPU", "etf", 0, 50.0, "AAPL", 2, -5, 20], ["AAPL", "stock", 0, 200.0, None, None, 0, 30]]
    result, chosen, brute = hedged(SHORT_AAPL_CLOSED_AAPU, candidates)
    assert chosen["AAPL"] == brute["AAPL"] == 30 and brute["AAPU"] == 0
    line = result.impact.line("pm")  # was before 6,000 and after 4,200 beside an engine value of 2,100
    assert (line.before, line.after) == (3000.0, result.engine_value) == (3000.0, 2100.0)


def test_plan_beside_a_closed_leveraged_row_is_the_brute_force_least() -> None:
    # a closed 3× line beside a held 2× one: the plan's ranges are the engine's (× 2 while AAPU is held)
    table = [H, ["AAPL", "stock", 10, 200.0, None, None], ["AAPU", "etf", 10, 50.0, "AAPL", 2],
             ["AAPT", "etf", 0, 40.0, "AAPL", 3]]  # fmt: skip
    plans = read_positions(table, as_of=dt.date(2026, 11, 20))
    for equity in (350.0, 500.0, 250.0):
        plan = decisions.liquidation_plan(plans, equity, LEVERAGED_SETTINGS, "pm")
        # ±30%: 10 × 200 × 30% + 10 × 50 × 30%
        assert plan.before == float(xlmargin.pm_requirement(table, as_of="2026-11-20")) == 750.0
        assert plan.notional == pytest.approx(least_plan(plans, equity), abs=0.01), equity
