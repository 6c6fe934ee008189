"""``house.bonds`` read one way by every path that computes Reg T (xlmargin.house_bonds).

The book is the house-table test's 7-year Treasury note, face 100,000 at 100: FINRA 4210(e)(2)'s
5-10 year bucket is 4% (4,000), IBKR's house Treasury table's 5% (5,000), the greater applying
(regt.toml [fixed_income.treasury] and [house_bonds.ibkr.treasury]; margin-rules.md §0.5, §1.8;
the same figures as tests/test_regt_house_bonds.py). Each path must give 5,000 under
``house.bonds=ibkr`` and 4,000 without it: REGT_MARGIN, the account view, the decisions (their
``regt`` regimes and their account view), MAX_NOTIONAL, portfolio margin's bond lines (margined
outside PM by the same Reg T rule), the batch (each account equal to the account alone, to the
cent, with and without Dask) and the Python API. Before, the account view, the decisions and the
batch refused the parameter or, from Python, paired with FINRA's table alone.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

import xlmargin
from tests.conftest import AS_OF
from xlmargin.account import account_margin, account_settings
from xlmargin.batch import batch
from xlmargin.cli import main
from xlmargin.decisions import decision_settings
from xlmargin.decisions._common import requirement
from xlmargin.errors import InputError
from xlmargin.excel import decisions as dec
from xlmargin.excel import functions as fn
from xlmargin.house_bonds import regt_rules
from xlmargin.money import cents
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

HEADER = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon"]
NOTE = ["T", "bond", 100_000.0, 100.0, "treasury", 7.0, 4.0]  # 7 years: FINRA 4%, IBKR 5%
BOOK = [HEADER, NOTE]
FINRA, IBKR = 4_000.0, 5_000.0
HOUSES = [({}, FINRA), ({"house.bonds": "none"}, FINRA), ({"house.bonds": "ibkr"}, IBKR)]
IDS = ["default", "none", "ibkr"]


def params(extra: dict[str, Any]) -> list[list[Any]]:
    return [["as_of", AS_OF], *([k, v] for k, v in extra.items())]


@pytest.mark.parametrize(("extra", "expected"), HOUSES, ids=IDS)
def test_every_worksheet_path_gives_the_house_figure(extra: dict[str, Any], expected: float) -> None:
    p = params(extra)
    assert fn.regt_margin(BOOK, None, None, p) == expected
    assert fn.regt_margin(BOOK, "maintenance", None, p) == expected
    assert fn.account_margin(BOOK, p) == expected
    assert fn.account_margin(BOOK, params({**extra, "basis": "maintenance"})) == expected
    # portfolio margin leaves bonds outside, at the same Reg T bond rule
    assert fn.pm_requirement(BOOK, p) == expected
    assert fn.account_margin(BOOK, params({**extra, "securities": "pm"})) == expected
    for regime in ("regt", "regt_maintenance", "account", "pm"):
        assert dec.margin_impact(BOOK, BOOK, regime, p) == expected, regime  # one more note: + the same
        contribution = dec.margin_contribution(BOOK, regime, p)
        assert contribution[1][2:4] == [expected, expected], regime  # incremental and component
        total = next(row for row in contribution if row[0] == "total")  # then the engine's warnings
        assert total[3] == expected, regime
    table = dec.margin_impact(BOOK, BOOK, None, p)
    for label in ("Reg T initial", "Reg T maintenance", "portfolio margin", "account view"):
        row = next(r for r in table if r[0] == label)
        assert row[1:4] == [expected, 2 * expected, expected], label  # before, after, change
    now = dec.margin_call_move(BOOK, 1_000.0, "regt", p)[1]
    assert now[0] == "now" and now[3] == expected
    # MAX_NOTIONAL: the scale that brings the requirement to the equity (linear in the face)
    assert fn.max_notional(BOOK, 2 * expected, "regt", p) == pytest.approx(200_000.0)


@pytest.mark.parametrize(("extra", "expected"), HOUSES, ids=IDS)
def test_the_python_api_and_the_engines_settings(extra: dict[str, Any], expected: float) -> None:
    keywords = {k.replace(".", "_"): v for k, v in extra.items()}
    assert xlmargin.regt_margin(BOOK, as_of=AS_OF, **keywords) == expected
    assert xlmargin.account_margin(BOOK, as_of=AS_OF, **keywords) == expected
    assert xlmargin.margin_impact(BOOK, BOOK, "regt", as_of=AS_OF, **keywords) == expected
    contribution = xlmargin.margin_contribution(BOOK, "regt", as_of=AS_OF, **keywords)
    assert contribution.iloc[-1, 3] == expected
    book = read_positions(BOOK, as_of=AS_OF)
    settings = account_settings({**extra, "as_of": AS_OF}, AS_OF)
    assert account_margin(book, settings).total == expected
    assert pm_requirement(book, pm_settings({**extra, "as_of": AS_OF}, AS_OF)).requirement == expected
    decisions = decision_settings({**extra, "as_of": AS_OF}, AS_OF)
    for regime in ("regt", "regt_maintenance", "account", "pm"):
        assert requirement(regime, book, decisions) == expected, regime


def test_a_house_the_rules_do_not_know_is_named_on_every_path() -> None:
    p = params({"house.bonds": "ibkx"})
    for call in (
        lambda: fn.regt_margin(BOOK, None, None, p),
        lambda: fn.account_margin(BOOK, p),
        lambda: fn.pm_requirement(BOOK, p),
        lambda: dec.margin_impact(BOOK, BOOK, "regt", p),
    ):
        with pytest.raises(InputError, match=r"house\.bonds: 'ibkx' is not one of none, ibkr"):
            call()


@pytest.mark.parametrize(("extra", "bond"), HOUSES, ids=IDS)
def test_the_hedge_and_the_plan_carry_the_bond_figure(extra: dict[str, Any], bond: float) -> None:
    """A book of the note and 100 SPY: every figure is the SPY line's own (each engine alone) plus
    the note's; the hedge sells the SPY, leaving the note's figure under Reg T, PM and the account."""
    spy = ["SPY", "etf", 100.0, 500.0, None, None, None]
    book, p = [HEADER, NOTE, spy], params(extra)
    pm_spy, regt_spy = fn.pm_requirement([HEADER, spy], p), fn.regt_margin([HEADER, spy], None, None, p)
    candidates = [
        ["symbol", "type", "quantity", "price", "min_qty", "max_qty"],
        ["SPY", "etf", -1, 500, -100, 0],
    ]
    rows = {r[1]: r[4:6] for r in dec.hedge_optimize(book, candidates, "risk", None, p) if r[0] == "figure"}
    assert rows["portfolio margin"] == [pm_spy + bond, bond]
    assert rows["Reg T initial"] == [regt_spy + bond, bond]
    assert rows["account view"] == [regt_spy + bond, bond]
    plan = {r[1]: r[3] for r in dec.liquidation_plan(book, 1_000_000.0, "pm", p) if r[0] == "figure"}
    # the bond line: a constant of the plan
    assert plan["portfolio margin requirement before"] == pm_spy + bond


# --- the batch ------------------------------------------------------------------------------------

STOCKS = [("AAPL", 180.0), ("MSFT", 410.0), ("SPY", 500.0), ("TLT", 92.0)]
BATCH_HEADER = ["account", *HEADER]


def _accounts(n: int = 12, seed: int = 7) -> list[list[Any]]:
    """Accounts each holding one to three Treasuries across the maturity buckets (FINRA's and IBKR's
    rates differ in most) and a few stock or ETF lines, long and short."""
    rng = np.random.default_rng(seed)
    rows: list[list[Any]] = [BATCH_HEADER]
    for k in range(n):
        account = f"A{k:02d}"
        for j in range(int(rng.integers(1, 4))):
            years = float(rng.choice([0.3, 0.7, 2.0, 4.0, 7.0, 12.0, 25.0]))
            face = float(rng.integers(1, 20)) * 10_000.0 * (1 if rng.random() < 0.8 else -1)
            price = round(float(rng.uniform(85.0, 105.0)), 2)
            rows.append([account, f"T{k}{j}", "bond", face, price, "treasury", years, 4.0])
        for symbol, price in STOCKS[: int(rng.integers(0, 4))]:
            quantity = float(rng.integers(-50, 100) or 1)
            rows.append([account, symbol, "stock" if symbol in ("AAPL", "MSFT") else "etf", quantity,
                         price, None, None, None])  # fmt: skip
    rows.insert(2, ["A00", "T7", "bond", 100_000.0, 100.0, "treasury", 7.0, 4.0])
    return rows


def _alone(table: list[list[Any]], account: str) -> Any:
    return read_positions([HEADER, *(r[1:] for r in table[1:] if r[0] == account)], as_of=AS_OF)


def _expected(regime: str, extra: dict[str, Any], book: Any) -> float:
    values = {**extra, "as_of": AS_OF}
    if regime == "regt":
        return regt_margin(book, basis=extra.get("basis", "initial"), rules=_rules(extra)).total
    if regime == "pm":
        return pm_requirement(book, pm_settings(values, AS_OF)).requirement
    return account_margin(book, account_settings(values, AS_OF)).total


def _rules(extra: dict[str, Any]) -> Any:
    return regt_rules(extra.get("house.bonds", "none"))


BATCH_CASES = [
    ("regt", {"house.bonds": "ibkr"}),
    ("regt", {"house.bonds": "ibkr", "basis": "maintenance"}),
    ("account", {"house.bonds": "ibkr"}),
    ("account", {"house.bonds": "ibkr", "securities": "pm"}),
    ("pm", {"house.bonds": "ibkr"}),
    ("regt", {}),
    ("account", {}),
]


@pytest.mark.parametrize(("regime", "extra"), BATCH_CASES)
def test_the_batch_equals_each_account_alone_to_the_cent(regime: str, extra: dict[str, Any]) -> None:
    table = _accounts()
    result = batch(table, regime=regime, params=extra, as_of=AS_OF)
    assert (result["error"] == "").all()
    house = extra.get("house.bonds") == "ibkr"
    differs = 0
    for _, row in result.iterrows():
        book = _alone(table, row["account"])
        expected = cents(_expected(regime, extra, book))
        assert row["requirement"] == expected, row["account"]
        finra = cents(_expected(regime, {k: v for k, v in extra.items() if k != "house.bonds"}, book))
        differs += expected != finra
    assert (differs >= 6) == house  # the house table moved most accounts' figures, or none
    if regime != "pm":  # A00: the 7-year note beside its other lines
        a00 = _alone(table, "A00")
        note = _expected(regime, extra, a00.select(a00.arrays["symbol"] == "T7"))
        assert note == (IBKR if house else FINRA)


def test_the_batch_on_dask_equals_the_single_process_run() -> None:
    distributed = pytest.importorskip("distributed")
    table = _accounts(10, seed=11)
    with (
        distributed.LocalCluster(processes=False, n_workers=2, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        for regime, extra in BATCH_CASES[:5]:
            alone = batch(table, regime=regime, params=extra, as_of=AS_OF)
            on_dask = batch(table, regime=regime, params=extra, as_of=AS_OF, dask=client)
            pd.testing.assert_frame_equal(on_dask, alone)
            for _, row in alone.iterrows():
                book = _alone(table, row["account"])
                assert row["requirement"] == cents(_expected(regime, extra, book)), (regime, row["account"])


# --- the command line -----------------------------------------------------------------------------


def _csv(tmp_path: Any, rows: list[list[Any]], name: str) -> str:
    path = tmp_path / name
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False)
    return str(path)


def test_the_commands_take_it(tmp_path: Any, capsys: Any) -> None:
    book = _csv(tmp_path, BOOK, "book.csv")
    accounts = _csv(tmp_path, [BATCH_HEADER, ["A", *NOTE], ["B", *NOTE[:2], 200_000.0, *NOTE[3:]]], "b.csv")
    day = ["--as-of", AS_OF.isoformat()]
    ibkr = ["--param", "house.bonds=ibkr"]
    for regime in ("regt", "account", "pm"):
        assert main(["margin", book, "--regime", regime, "--format", "json", *day, *ibkr]) == 0
        assert "5000" in capsys.readouterr().out.replace(",", "")
        assert main(["batch", accounts, "--regime", regime, *day, *ibkr]) == 0
        out = pd.read_csv(io.StringIO(capsys.readouterr().out))
        assert out["requirement"].tolist() == [IBKR, 2 * IBKR], regime
    assert main(["whatif", book, book, "--regime", "regt", *day, *ibkr]) == 0
    assert "10,000.00" in capsys.readouterr().out


def test_a_command_that_computes_no_bond_rule_refuses_it_by_name(tmp_path: Any, capsys: Any) -> None:
    rows = [["account", "symbol", "type", "quantity", "price"], ["A", "SPY", "etf", 10, 500.0]]
    accounts = _csv(tmp_path, rows, "stocks.csv")
    code = main(["batch", accounts, "--regime", "risk", "--as-of", AS_OF.isoformat(), "--param",
                 "house.bonds=ibkr"])  # fmt: skip
    assert code == 2
    assert "house.bonds" in capsys.readouterr().err
