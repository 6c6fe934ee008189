"""Unconfirmed [L] rule terms are parameters of the params range (xlmargin/unconfirmed.py).

README: an [L] item is "a parameter to verify and override". Before, ``box.short_recognised`` and the
other [L] terms of regt.toml and esma.toml could be changed only by editing the file or through
``RuleSet.with_overrides``: a cell, ``--param`` and the API's keywords refused them as unknown
(review R9). Each case is a book whose figure the term moves, by hand from the rule:

- short box 95/105, width 10 (regt.toml [box], margin-rules.md §1.5 [L]): recognised, its width
  10 × 100 = 1,000; not recognised, two credit spreads at their width each, 2,000 (§1.4 [H]);
- conversion, 100 XYZ at 100 + long 95 put + short 95 call (regt.toml [conversion], §1.5 [L]),
  maintenance: 10% × 95 × 100 = 950 plus the call's in-the-money 5 × 100 = 1,450; without the call's
  ITM 950; at 20% 1,900 + 500 = 2,400;
- reversal, −100 XYZ at 100 + short 105 put + long 105 call ([reversal]): 10% × 105 × 100 = 1,050
  plus the put's ITM 500 = 1,550; without it 1,050;
- municipal bond, face 100,000 at 100 ([fixed_income.municipal], FINRA 4210(e)(2)(B) [L]): 7% =
  7,000; at 5% 5,000;
- Treasury of 0.5 years under house.bonds=ibkr ([house_bonds.ibkr.treasury], its six-month edge
  [L]): IBKR's "less than one year" 2% = 2,000 beside FINRA's 1%; with the edge at 0.6 years it is
  "less than six months", 1% = 1,000;
- US retail forex ([nfa] of esma.toml [L]), account view fx_rule=nfa: EURUSD 100,000 at 1.10 at 2%
  = 2,200 and USDTRY 100,000 (USD notional) at 5% = 5,000, 7,200; major at 3% 3,300 + 5,000 =
  8,300; other at 10% 2,200 + 10,000 = 12,200.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import xlmargin
from tests.conftest import AS_OF
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.excel import decisions as dec
from xlmargin.excel import functions as fn
from xlmargin.excel import udfs
from xlmargin.excel.registry import xlm_params
from xlmargin.house_bonds import regt_rules
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

OPT = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right"]
BOND = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon"]
FX = ["symbol", "type", "quantity", "price"]

BOX = [OPT, ["XYZ95C30", "option", -1, 6, "XYZ", 100, 95, 30, "call"],
       ["XYZ105C30", "option", 1, 2, "XYZ", 100, 105, 30, "call"],
       ["XYZ105P30", "option", -1, 6, "XYZ", 100, 105, 30, "put"],
       ["XYZ95P30", "option", 1, 2, "XYZ", 100, 95, 30, "put"]]  # fmt: skip
CONVERSION = [OPT, ["XYZ", "stock", 100, 100], ["XYZ95P30", "option", 1, 0.5, "XYZ", 100, 95, 30, "put"],
              ["XYZ95C30", "option", -1, 5.5, "XYZ", 100, 95, 30, "call"]]  # fmt: skip
REVERSAL = [OPT, ["XYZ", "stock", -100, 100], ["XYZ105P30", "option", -1, 5.5, "XYZ", 100, 105, 30, "put"],
            ["XYZ105C30", "option", 1, 0.5, "XYZ", 100, 105, 30, "call"]]  # fmt: skip
MUNI = [BOND, ["M1", "bond", 100_000, 100, "municipal", 10, 4]]
BILL = [BOND, ["T1", "bond", 100_000, 100, "treasury", 0.5, 4]]
FOREX = [FX, ["EURUSD", "fx", 100_000, 1.10], ["USDTRY", "fx", 100_000, 34.5]]
EDGE = "house_bonds.ibkr.treasury.six_month_years"

# (book, basis, params, expected): the shipped figure first, then each override's
REGT_CASES = [
    (BOX, "initial", {}, 1_000.0),
    (BOX, "initial", {"box.short_recognised": False}, 2_000.0),
    (CONVERSION, "maintenance", {}, 1_450.0),
    (CONVERSION, "maintenance", {"conversion.add_call_itm": False}, 950.0),
    (CONVERSION, "maintenance", {"conversion.strike_pct": "20%"}, 2_400.0),
    (REVERSAL, "maintenance", {}, 1_550.0),
    (REVERSAL, "maintenance", {"reversal.add_put_itm": "false"}, 1_050.0),
    (MUNI, "initial", {}, 7_000.0),
    (MUNI, "initial", {"fixed_income.municipal.pct": "5%"}, 5_000.0),
    (BILL, "initial", {"house.bonds": "ibkr"}, 2_000.0),
    (BILL, "initial", {"house.bonds": "ibkr", EDGE: 0.6}, 1_000.0),
]
IDS = [
    f"{basis}-{','.join(f'{k}={v}' for k, v in extra.items()) or 'shipped'}-{want:g}"
    for _, basis, extra, want in REGT_CASES
]
NFA_CASES = [({}, 7_200.0), ({"nfa.major_pct": "3%"}, 8_300.0), ({"nfa.other_pct": 0.10}, 12_200.0)]


def params(extra: dict[str, Any]) -> list[list[Any]]:
    return [["as_of", AS_OF], *([k, v] for k, v in extra.items())]


@pytest.mark.parametrize(("book", "basis", "extra", "expected"), REGT_CASES, ids=IDS)
def test_each_term_moves_the_reg_t_figure_in_a_cell_the_api_and_the_account(
    book: list[list[Any]], basis: str, extra: dict[str, Any], expected: float
) -> None:
    p = params(extra)
    assert udfs.REGT_MARGIN(book, basis, None, p) == expected
    breakdown = fn.regt_breakdown(book, basis, None, p)
    assert next(r for r in breakdown if r[0] == "Total")[-1] == expected
    keywords = {k.replace(".", "_"): v for k, v in extra.items()}
    assert xlmargin.regt_margin(book, basis=basis, as_of=AS_OF, **keywords) == expected
    assert fn.account_margin(book, params({**extra, "basis": basis})) == expected
    if book in (MUNI, BILL):  # portfolio margin margins bonds outside, by the same Reg T bond rule
        assert fn.pm_requirement(book, p) == expected
    regime = "regt" if basis == "initial" else "regt_maintenance"
    assert dec.margin_contribution(book, regime, p)[-1][3] == expected


@pytest.mark.parametrize(("book", "basis", "extra", "expected"), REGT_CASES, ids=IDS)
def test_each_term_moves_the_figure_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], book: list[list[Any]], basis: str,
    extra: dict[str, Any], expected: float,
) -> None:  # fmt: skip
    path = tmp_path / "book.csv"
    path.write_text("\n".join(",".join(str(c) for c in r) for r in book) + "\n")
    argv = ["margin", str(path), "--regime", "regt", "--basis", basis, "--param", f"as_of={AS_OF}"]
    for name, value in extra.items():
        argv += ["--param", f"{name}={value}"]
    assert main(argv) == 0
    assert f"requirement (gross): {expected:,.2f}" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "expected"), NFA_CASES)
def test_the_nfa_rates_move_the_account_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: dict[str, Any], expected: float
) -> None:
    p = params({"fx_rule": "nfa", **extra})
    assert udfs.ACCOUNT_MARGIN(FOREX, p) == expected
    assert xlmargin.account_margin(FOREX, **{k.replace(".", "_"): v for k, v in p}) == expected
    path = tmp_path / "fx.csv"
    path.write_text("\n".join(",".join(str(c) for c in r) for r in FOREX) + "\n")
    argv = ["margin", str(path), "--regime", "account"]
    for name, value in p:
        argv += ["--param", f"{name}={value}"]
    assert main(argv) == 0
    assert f"Account requirement: {expected:,.2f}" in capsys.readouterr().out


def test_a_cached_call_with_another_override_gives_the_other_figure() -> None:
    """The worksheet results cache keys on the params' values, the Reg T pairing cache on the rule
    set's numbers: the same book with the other override is computed again, both ways round."""
    for first, second in ((True, False), (False, True), (True, False)):
        for flag in (first, second):
            want = 1_000.0 if flag else 2_000.0
            assert fn.regt_margin(BOX, None, None, params({"box.short_recognised": flag})) == want
            assert fn.regt_margin(BOX, None, None, params({"box.short_recognised": str(flag)})) == want
    book = read_positions(BOX, as_of=AS_OF)
    for _ in range(2):
        assert regt_margin(book).total == 1_000.0
        assert (
            regt_margin(book, rules=regt_rules("none", (("box.short_recognised", False),))).total == 2_000.0
        )
    for pct, want in (("5%", 5_000.0), ("7%", 7_000.0), ("6%", 6_000.0), ("5%", 5_000.0)):
        assert fn.regt_margin(MUNI, None, None, params({"fixed_income.municipal.pct": pct})) == want
    for extra, want in NFA_CASES[::-1] + NFA_CASES:
        assert fn.account_margin(FOREX, params({"fx_rule": "nfa", **extra})) == want


def test_the_decisions_read_them_under_reg_t() -> None:
    """MARGIN_IMPACT of a second short box: 1,000 recognised, 2,000 as two credit spreads."""
    for flag, want in ((True, 1_000.0), (False, 2_000.0)):
        p = params({"box.short_recognised": flag})
        assert dec.margin_impact(BOX, BOX, "regt", p) == want
        assert dec.margin_impact(BOX, BOX, "account", p) == want


def test_xlm_params_lists_them_with_the_regimes_that_read_them() -> None:
    def rows(function: str) -> dict[str, list[Any]]:
        return {r[0]: r for r in xlm_params(function)[1:]}

    regt = rows("REGT_MARGIN")
    for name in ("box.short_recognised", "conversion.strike_pct", "conversion.add_call_itm",
                 "reversal.add_put_itm", "fixed_income.municipal.pct", EDGE):  # fmt: skip
        assert name in regt, name
        assert "unconfirmed [L]" in regt[name][4]
        bonds = name.startswith(("fixed_income.", "house_bonds."))  # PM's bonds outside read them too
        assert regt[name][2] == ("regt, pm, account" if bonds else "regt, account"), name
    account = rows("ACCOUNT_MARGIN")
    assert "nfa.major_pct" in account and "nfa.other_pct" in account
    assert "nfa.major_pct" not in rows("ESMA_MARGIN")  # ESMA_MARGIN computes the EU caps only
    assert rows("MARGIN_IMPACT")["box.short_recognised"][2] == "regt, regt_maintenance, account"
    assert rows("PM_REQUIREMENT")["fixed_income.municipal.pct"][2] == "regt, pm, account"
    assert "box.short_recognised" not in rows("PM_REQUIREMENT")


def test_bad_values_and_a_house_term_under_another_house_are_refused() -> None:
    with pytest.raises(InputError, match=r"box\.short_recognised"):
        fn.regt_margin(BOX, None, None, params({"box.short_recognised": "maybe"}))
    with pytest.raises(InputError, match=r"fixed_income\.municipal\.pct"):
        fn.regt_margin(MUNI, None, None, params({"fixed_income.municipal.pct": "150%"}))
    with pytest.raises(InputError, match=r"nfa\.major_pct"):
        fn.account_margin(FOREX, params({"fx_rule": "nfa", "nfa.major_pct": 0}))
    with pytest.raises(InputError, match=r"read only with house\.bonds = ibkr \(given: none\)"):
        fn.regt_margin(BILL, None, None, params({EDGE: 0.6}))
