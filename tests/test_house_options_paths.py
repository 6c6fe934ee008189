"""``house.options``: broker house rates for naked options, hand-worked per house, and read one way
by every path that computes Reg T (xlmargin.house_bonds, regt.toml [house_options.*]).

margin-rules.md §0.5: effective requirement = max(Reg T, FINRA/exchange minimum, house); §1.3:
"House add-ons seen at brokers: tastytrade $2.50/share floor and 25%/15% for cash-settled index
options; OptionsHouse 20% for index options; Fidelity 25%/15% for equity puts." Each figure below is
worked by hand in its test's docstring from the case's inputs (the worked examples' where there is
one: worked-examples.json tasty-naked-call, tasty-naked-put, tasty-short-strangle and
optionshouse-spx-short-call-house20).
"""

from __future__ import annotations

from typing import Any

import pytest

import xlmargin
from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.account import account_margin, account_settings
from xlmargin.batch import batch
from xlmargin.cli import main
from xlmargin.decisions import decision_settings
from xlmargin.decisions._common import requirement
from xlmargin.errors import InputError
from xlmargin.excel import decisions as dec
from xlmargin.excel import functions as fn
from xlmargin.house_bonds import regt_rules
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

HEADER = ["symbol", "type", "quantity", "price", "underlying price", "strike", "right", "days", "class"]
# optionshouse-spx-short-call-house20: 5 SPX 1550 calls at 0.90, SPX 1,460.61 (OTM 89.39)
SPX_CALL = ["SPX", "option", -5.0, 0.9, 1460.61, 1550.0, "C", 30.0, "highcap_index"]
BOOK = [HEADER, SPX_CALL]
# FINRA: 15% leg 0.90 + 219.0915 − 89.39 = 130.6015 < 10% floor 0.90 + 146.061 = 146.961; × 500
FINRA = 73_480.5
# OptionsHouse: 0.90 + 20% × 1,460.61 − 89.39 = 203.632 (the 10% floor kept); × 500 (its page's figure)
OPTIONSHOUSE = 101_816.0
# tastytrade: 0.90 + 25% × 1,460.61 − 89.39 = 276.6625 > 0.90 + 15% × 1,460.61 = 219.9915; × 500
TASTYTRADE = 138_331.25
HOUSES = [({}, FINRA), ({"house.options": "none"}, FINRA), ({"house.options": "optionshouse"}, OPTIONSHOUSE),
          ({"house.options": "tastytrade"}, TASTYTRADE), ({"house.options": "fidelity"}, FINRA)]  # fmt: skip
IDS = ["default", "none", "optionshouse", "tastytrade", "fidelity"]


def params(extra: dict[str, Any]) -> list[list[Any]]:
    return [["as_of", AS_OF], *([k, v] for k, v in extra.items())]


def regt(rows: list[list[Any]], house: str, **kw: Any) -> float:
    return regt_margin(
        read_positions([HEADER, *rows], as_of=AS_OF), rules=regt_rules(options=house), **kw
    ).total


# --- each house, by hand ----------------------------------------------------------------------------


def test_tastytrade() -> None:
    """tastytrade Help Center "Naked Short Call" (margin-rules.md §1.3): the greatest of the 20% leg,
    the 10% leg and $2.50 a share; 25%/15% "instead of 20%/10%" on cash-settled indices.
    - tasty-naked-call, 68 call at 1.50 on 65: max(1.50 + 13 − 3, 1.50 + 6.50, 2.50) × 100 = 1,150;
    - a 20 put at 0.05 on 50: max(0.05 + 10 − 30, 0.05 + 2, 2.50) × 100 = 250 (FINRA: 205);
    - the SPX call: 276.6625 × 500 = 138,331.25; an SPX 1400 put at 5 on 1,460.61 (OTM 60.61):
      max(5 + 365.1525 − 60.61, 5 + 15% × 1,400) × 200 = 309.5425 × 200 = 61,908.50 (FINRA: 15% leg
      5 + 219.0915 − 60.61 = 163.4815 vs 5 + 140 = 145: 32,696.30);
    - an SPY call is on a fund's shares (symbols.toml [funds]), not an index: FINRA's 15%, floor only."""
    call = ["XYZ", "option", -1.0, 1.5, 65.0, 68.0, "C", 30.0, "equity"]
    put = ["XYZ", "option", -1.0, 0.05, 50.0, 20.0, "P", 30.0, "equity"]
    spx_put = ["SPX", "option", -2.0, 5.0, 1460.61, 1400.0, "P", 30.0, "highcap_index"]
    spy = ["SPY", "option", -5.0, 0.9, 146.061, 155.0, "C", 30.0, "highcap_index"]
    assert regt([call], "tastytrade") == regt([call], "none") == 1_150.0
    assert (regt([put], "none"), regt([put], "tastytrade")) == (205.0, 250.0)
    assert regt([SPX_CALL], "tastytrade") == TASTYTRADE
    assert (regt([spx_put], "none"), regt([spx_put], "tastytrade")) == (32_696.3, 61_908.5)
    assert regt([spy], "tastytrade") == regt([spy], "none") == pytest.approx(7_753.05, abs=0.005)


def test_optionshouse() -> None:
    """OptionsHouse "Short Uncovered Call: Index Options" (optionshouse-spx-short-call-house20): 20%
    in place of 15% on index options, the 10% floor kept: 101,816. Equity options keep FINRA's
    (tasty-naked-put: (0.50 + 9.50 − 2.50) × 100 = 750)."""
    put = ["XYZ", "option", -1.0, 0.5, 47.5, 45.0, "P", 30.0, "equity"]
    assert regt([SPX_CALL], "optionshouse") == OPTIONSHOUSE
    assert regt([put], "optionshouse") == 750.0


def test_fidelity() -> None:
    """Fidelity, equity puts (margin-rules.md §1.3): 25% of the underlying less the OTM amount, at
    least 15% of the strike, each plus the value.
    - tasty-naked-put's inputs, 45 put at 0.50 on 47.50: max(0.50 + 11.875 − 2.50, 0.50 + 6.75) × 100
      = 987.50 (FINRA 750);
    - a 20 put at 0.05 on 50: max(0.05 + 12.50 − 30, 0.05 + 3) × 100 = 305 (FINRA 205);
    - calls and index puts keep FINRA's: the 68 call 1,150, the SPX call 73,480.50."""
    put = ["XYZ", "option", -1.0, 0.5, 47.5, 45.0, "P", 30.0, "equity"]
    low = ["XYZ", "option", -1.0, 0.05, 50.0, 20.0, "P", 30.0, "equity"]
    call = ["XYZ", "option", -1.0, 1.5, 65.0, 68.0, "C", 30.0, "equity"]
    assert (regt([put], "none"), regt([put], "fidelity")) == (750.0, 987.5)
    assert regt([low], "fidelity") == 305.0
    assert regt([call], "fidelity") == 1_150.0 and regt([SPX_CALL], "fidelity") == FINRA


def test_a_strangle_takes_the_house_naked_leg_and_a_spread_keeps_finra() -> None:
    """tasty-short-strangle, 47 call 2.10 / 43 put 1.20 on 45: FINRA call 2.10 + 9 − 2 = 9.10, put
    1.20 + 9 − 2 = 8.20: 910 + put value 120 = 1,030. Fidelity's put, 1.20 + 11.25 − 2 = 10.45,
    is the greater naked leg (margin-rules.md §1.5): 1,045 + call value 210 = 1,255.
    A 45/30 put credit spread on 47.50 (short 0.50, long 0.05): the lesser of the short's naked
    requirement and the width (§1.4); margin-rules.md states the house rates for naked options only,
    so the naked term stays FINRA's 750 (the house's 987.50 with the rule file's `spreads` on)."""
    strangle = [["XYZ", "option", -1.0, 2.1, 45.0, 47.0, "C", 30.0, "equity"],
                ["XYZ", "option", -1.0, 1.2, 45.0, 43.0, "P", 30.0, "equity"]]  # fmt: skip
    assert (regt(strangle, "none"), regt(strangle, "fidelity")) == (1_030.0, 1_255.0)
    spread = [["XYZ", "option", -1.0, 0.5, 47.5, 45.0, "P", 30.0, "equity"],
              ["XYZ", "option", 1.0, 0.05, 47.5, 30.0, "P", 30.0, "equity"]]  # fmt: skip
    book = read_positions([HEADER, *spread], as_of=AS_OF)
    for house in ("none", "fidelity"):
        (group,) = regt_margin(book, rules=regt_rules(options=house)).groups
        assert (group.strategy, group.margin) == ("credit spread", 750.0)
    changed = regt_rules(options="fidelity").with_overrides({"house_options.fidelity.spreads": True})
    assert regt_margin(book, rules=changed).groups[0].margin == 987.5


def test_none_is_the_shipped_rule_set() -> None:
    """house.options = none is today's rule set itself: every figure unchanged (the benchmark book's
    hash, /tmp/tools/regt_hash.py, is the same before and after)."""
    assert regt_rules(options="none") is regt_rules() is rules.load("regt")
    assert rules.load("regt").get("house.options") == "none"


# --- every path -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "expected"), HOUSES, ids=IDS)
def test_the_functions_and_the_decisions_take_the_house_figure(
    extra: dict[str, Any], expected: float
) -> None:
    p = params(extra)
    assert [fn.regt_margin(BOOK, basis, None, p) for basis in (None, "maintenance")] == [expected] * 2
    assert fn.account_margin(BOOK, p) == expected
    for regime in ("regt", "regt_maintenance", "account"):
        assert dec.margin_impact(BOOK, BOOK, regime, p) == expected, regime  # 5 more calls: + the same
        contribution = dec.margin_contribution(BOOK, regime, p)
        assert contribution[1][2:4] == [expected, expected], regime
    now = dec.margin_call_move(BOOK, 200_000.0, "regt", p)[1]
    assert now[0] == "now" and now[3] == expected
    spy = ["SPY", "etf", 100.0, 500.0, None, None, None, None, None]
    candidates = [
        ["symbol", "type", "quantity", "price", "min_qty", "max_qty"],
        ["SPY", "etf", -1, 500, -100, 0],
    ]
    rows = {
        r[1]: r[4:6]
        for r in dec.hedge_optimize([*BOOK, spy], candidates, "regt", None, p)
        if r[0] == "figure"
    }
    assert rows["Reg T initial"] == [expected + 25_000.0, expected]  # the SPY's 50% sold
    assert rows["account view"] == [expected + 25_000.0, expected]
    plan = {r[1]: r[3] for r in dec.liquidation_plan([*BOOK, spy], 150_000.0, "regt", p) if r[0] == "figure"}
    # a call is cured to maintenance: the naked options' figure (the same formula on both bases,
    # margin-rules.md §0.2) and the SPY's 25% (FINRA 4210(c))
    assert plan["Reg T maintenance requirement before"] == expected + 12_500.0
    # MAX_NOTIONAL scales the book's own pairing: equity ÷ requirement × notional
    assert fn.max_notional(BOOK, expected, "regt", p) == pytest.approx(5 * 100 * 1460.61, abs=0.01)


@pytest.mark.parametrize(("extra", "expected"), HOUSES, ids=IDS)
def test_the_python_api_the_command_line_and_the_engines_settings(
    extra: dict[str, Any], expected: float
) -> None:
    keywords = {k.replace(".", "_"): v for k, v in extra.items()}
    assert xlmargin.regt_margin(BOOK, as_of=AS_OF, **keywords) == expected
    assert xlmargin.account_margin(BOOK, as_of=AS_OF, **keywords) == expected
    assert xlmargin.margin_impact(BOOK, BOOK, "regt", as_of=AS_OF, **keywords) == expected
    book = read_positions(BOOK, as_of=AS_OF)
    assert account_margin(book, account_settings({**extra, "as_of": AS_OF}, AS_OF)).total == expected
    decisions = decision_settings({**extra, "as_of": AS_OF}, AS_OF)
    for regime in ("regt", "regt_maintenance", "account"):
        assert requirement(regime, book, decisions) == expected, regime
    for regime in ("regt", "account"):
        table = batch([["account", *HEADER], ["A", *SPX_CALL], ["B", *SPX_CALL]], regime=regime, params=extra,
                      as_of=AS_OF)  # fmt: skip
        assert list(table["requirement"]) == [expected, expected], regime


def test_the_command_line(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "book.csv"
    path.write_text("\n".join(",".join("" if v is None else str(v) for v in row) for row in BOOK))
    for house, expected in (("none", "73,480.50"), ("optionshouse", "101,816.00")):
        code = main(["margin", str(path), "--regime", "regt", "--as-of", AS_OF.isoformat(),
                     "--param", f"house.options={house}"])  # fmt: skip
        assert code == 0 and expected in capsys.readouterr().out


def test_a_house_the_rules_do_not_know_is_named_and_xlm_params_lists_the_choice() -> None:
    p = params({"house.options": "robinhood"})
    for call in (lambda: fn.regt_margin(BOOK, None, None, p), lambda: fn.account_margin(BOOK, p),
                 lambda: dec.margin_impact(BOOK, BOOK, "regt", p)):  # fmt: skip
        with pytest.raises(InputError, match=r"house\.options: 'robinhood' is not one of none, tastytrade"):
            call()
    for function in ("REGT_MARGIN", "REGT_BREAKDOWN", "ACCOUNT_MARGIN", "MARGIN_IMPACT", "MAX_NOTIONAL"):
        table = xlmargin.xlm_params(function)
        (row,) = table[table["parameter"] == "house.options"].itertuples(index=False)
        assert row[1] == "none" and "tastytrade" in row[-1], function
