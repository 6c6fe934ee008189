"""The batch's ``warnings`` column: each account's warnings as its engine gives them for the account
alone (the other accounts' rows blanked, so that rows keep their numbers), joined by " | ", whether
the accounts were valued together (one pricing, one pairing call, one stress book) or one by one,
with or without Dask. Expected values are the engines' own output on each account alone (a
regression comparison, not a published example).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from benchmarks.book import AS_OF
from tests.test_batch import _table
from xlmargin.batch import batch
from xlmargin.cli import main
from xlmargin.errors import InputError, XlMarginError
from xlmargin.positions import read_positions

EXTRA = ["currency", "fx_rate", "leverage"]
SEPARATOR = " | "  # as the README states it


def _warned(seed: int = 6) -> list[list[Any]]:
    """The random accounts of ``_table`` and accounts whose engines warn: a leveraged ETF (portfolio
    margin scans its class group at range × leverage), futures no stress factor moves (in two
    orders: each account's warnings in its own order), a stock in a currency without a factor."""
    table = _table(seed, 300)
    header = [*table[0], *EXTRA]
    width = len(header)

    def row(account: str, **cells: Any) -> list[Any]:
        out: list[Any] = [None] * width
        out[0] = account
        for name, value in cells.items():
            out[header.index(name)] = value
        return out

    future = {"type": "future", "multiplier": 50.0, "expiry": "2027-03-19"}
    made = [
        row("LEV", symbol="SSO", type="etf", quantity=100.0, price=50.0, leverage=2.0),
        row("LEV", symbol="SPY", type="stock", quantity=-10.0, price=500.0),
        row("LEV2", symbol="SSO", type="etf", quantity=-30.0, price=50.0, leverage=2.0),  # one group,
        # two accounts: each warning names its own account's rows that set the range
        row("FUT1", symbol="ZZ", quantity=2.0, price=100.0, **future),
        row("FUT1", symbol="VX", quantity=1.0, price=20.0, **{**future, "multiplier": 1000.0}),
        row("FUT2", symbol="VX", quantity=-1.0, price=20.0, **{**future, "multiplier": 1000.0}),
        row("FUT2", symbol="ZZ", quantity=3.0, price=100.0, **future),
        row("FUT2", symbol="ZZ", quantity=1.0, price=100.0, **future),
        row("TRY", symbol="XYZ", type="stock", quantity=10.0, price=10.0, currency="TRY", fx_rate=0.03),
    ]
    rows = [[*r, None, None, None] for r in table[1:]]
    return [header, *rows[:40], *made, *rows[40:]]


def _alone(table: list[list[Any]], account: str) -> Any:
    """The account's rows alone, the others blank (each row keeps its number)."""
    return read_positions([table[0][1:], *(r[1:] if r[0] == account else [] for r in table[1:])], as_of=AS_OF)


def _engine(regime: str, params: dict[str, Any]) -> Any:
    from xlmargin.account import account_margin, account_settings
    from xlmargin.pm import pm_requirement, pm_settings
    from xlmargin.regt import regt_margin
    from xlmargin.stress import risk_margin, stress_settings

    if regime == "pm":
        return lambda p: pm_requirement(p, pm_settings(params, AS_OF))
    if regime == "regt":
        return lambda p: regt_margin(p, basis=params.get("basis", "initial"))
    if regime == "account":
        return lambda p: account_margin(p, account_settings(params, AS_OF))
    return lambda p: risk_margin(p, stress_settings(params, AS_OF))


def _check_each_account(
    table: list[list[Any]], result: pd.DataFrame, regime: str, params: dict[str, Any]
) -> int:
    """Every account's warnings cell equals its engine's warnings alone; returns how many warn."""
    engine = _engine(regime, params)
    warned = 0
    for account, error, cell in zip(result["account"], result["error"], result["warnings"], strict=True):
        if error:
            assert cell == "", account
            continue
        try:
            expected = engine(_alone(table, account)).warnings
        except XlMarginError as exc:  # pragma: no cover - the batch said it margined the account
            raise AssertionError(f"{account}: {exc}") from None
        assert cell == SEPARATOR.join(expected), account
        warned += bool(expected)
    return warned


@pytest.mark.parametrize(
    ("regime", "params", "warned"),
    [
        ("pm", {}, {"LEV"}),
        ("pm", {"house": True, "equity": 50_000}, {"LEV", "TRY"}),
        ("risk", {}, {"FUT1", "FUT2", "TRY"}),
        ("account", {"equity": 1_000}, {"LEV"}),
        ("account", {"securities": "pm", "house": True, "equity": 50_000}, {"LEV", "TRY"}),
    ],
)
def test_each_account_s_warnings_are_its_engine_s_alone(
    regime: str, params: dict[str, Any], warned: set[str]
) -> None:
    """The batch values the accounts together (the PM account step with numpy, one stress book per
    part, one pairing call) and lost the engines' warnings; they are the account's own again."""
    table = _warned()
    result = batch(table, regime=regime, params=params, as_of=AS_OF)
    assert list(result.columns)[-2:] == ["error", "warnings"]
    assert _check_each_account(table, result, regime, params) >= len(warned)
    cells = result.set_index("account")["warnings"]
    assert all(cells[a] for a in warned), cells[list(warned)]
    if regime == "risk":  # each account's own order and rows, not the union's
        assert cells["FUT2"].startswith("held constant, volatility products")
        assert cells["FUT1"].startswith("held constant, unknown futures root")
        row = 1 + next(i for i, r in enumerate(table) if r[0] == "FUT2" and r[1] == "ZZ")
        assert cells["FUT2"].endswith(f"rows {row}, {row + 1}")


def test_pm_accounts_valued_together_warn_as_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the comparison above: the PM accounts went through the union's account step, not
    pm_requirement one by one, and the unconfirmed product-group offset is among their warnings."""
    import xlmargin.pm

    alone: list[int] = []
    real = xlmargin.pm.pm_requirement
    monkeypatch.setattr(xlmargin.pm, "pm_requirement", lambda p, s: alone.append(len(p)) or real(p, s))
    result = batch(_warned(), as_of=AS_OF)
    assert len(alone) == 2  # the two accounts holding futures, which portfolio margin refuses
    offsets = result["warnings"].str.contains("product group us_broad offsets")
    assert offsets.sum() > 1


def test_a_book_s_warnings_by_account_are_each_account_s_alone() -> None:
    """``Book.warnings_by`` (one pass over each note for all accounts) against each account's own
    book: the notes interleaved across accounts, an empty account, an account with no warning."""
    from xlmargin.stress import stress_settings
    from xlmargin.stress.book import build_book

    header = ["symbol", "type", "quantity", "price", "currency", "fx_rate", "multiplier", "expiry"]
    future = ["future", 1.0, 100.0, None, None, 50.0, "2027-03-19"]
    stock = ["stock", 10.0, 10.0]
    accounts = [
        [["ZZ", *future], ["XYZ", *stock, "TRY", 0.03], ["VX", *future], ["ABC", *stock, "KES", 0.01]],
        [],
        [["SPY", *stock, None, None]],
        [
            ["ABC", *stock, "KES", 0.01],
            ["VX", *future],
            ["QQ", *future],
            ["ZZ", *future],
            ["X", *stock, "TRY", 0.03],
        ],
    ]
    flat = [row for rows in accounts for row in rows]
    bounds = np.cumsum([0, *map(len, accounts)]).tolist()
    settings = stress_settings({}, AS_OF)
    found = build_book(read_positions([header, *flat], as_of=AS_OF), settings).warnings_by(bounds)
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        alone = [header, *(row if lo <= i < hi else [] for i, row in enumerate(flat))]
        expected = build_book(read_positions(alone, as_of=AS_OF), settings).warnings if hi > lo else ()
        assert found[k] == expected, k
    assert found[1] == found[2] == () and len(found[0]) == len(found[3]) == 4  # every note in two accounts


def _legs(account: str, n: int, underlying: str) -> list[list[Any]]:
    return [
        [account, f"{underlying} {50 + i}{'CP'[i % 2]}", "option", 1.0 if i % 3 else -2.0,
         2.0 + abs(50 - i) * 0.01, underlying, 100.0, 50.0 + i, "2027-01-15", "CP"[i % 2], 100.0]
        for i in range(n)
    ]  # fmt: skip


def test_regt_accounts_paired_in_one_call_keep_their_own_pairing_warnings() -> None:
    """Two accounts with more option legs on an underlying than the pairing searches exhaustively,
    paired in one call with a third: each gets its own underlying's warnings, the third none."""
    header = ["account", "symbol", "type", "quantity", "price", "underlying", "underlying price"]
    header += ["strike", "expiry", "right", "multiplier"]
    table = [header, *_legs("R1", 81, "XYZ"), *_legs("R2", 4, "XYZ"), *_legs("R3", 82, "ABC")]
    result = batch(table, regime="regt", as_of=AS_OF)
    assert _check_each_account(table, result, "regt", {}) == 2
    cells = result.set_index("account")["warnings"]
    assert cells["R1"].startswith("XYZ: 81 option legs") and cells["R3"].startswith("ABC: 82 option legs")
    assert "ABC" not in cells["R1"] and cells["R2"] == ""


def test_warnings_are_the_same_on_dask_and_in_the_results_file(tmp_path: Any, capsys: Any) -> None:
    distributed = pytest.importorskip("distributed")
    table = _warned()
    with (
        distributed.LocalCluster(processes=False, n_workers=2, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        for regime, params in (("pm", {}), ("risk", {}), ("account", {"securities": "pm", "equity": 5e4})):
            alone = batch(table, regime=regime, params=params, as_of=AS_OF)
            assert (alone["warnings"] != "").any(), regime
            on_dask = batch(table, regime=regime, params=params, as_of=AS_OF, dask=client)
            pd.testing.assert_frame_equal(on_dask, alone)
    source = tmp_path / "book.csv"
    pd.DataFrame(table[1:], columns=table[0]).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    assert main(["batch", str(source), "--regime", "risk", "--as-of", AS_OF.isoformat(), "-o", str(out)]) == 0
    capsys.readouterr()
    written = pd.read_csv(out, keep_default_na=False).set_index("account")["warnings"]
    expected = batch(table, regime="risk", as_of=AS_OF).set_index("account")["warnings"]
    assert written["FUT2"] == expected["FUT2"] != ""
    assert (written == "").sum() == (expected == "").sum()


def test_a_flex_report_refuses_another_account_column(tmp_path: Any, capsys: Any) -> None:
    """The report's accounts are its accountIds: --account-column naming anything else was silently
    ignored; it is refused in one line (accountId itself, or the default, is accepted)."""
    from tests.test_batch_exports import ACCOUNTS, _report, _statement

    path = tmp_path / "report.xml"
    path.write_text(_report([_statement(a, seed, None) for seed, a in enumerate(list(ACCOUNTS)[:2])]))
    args = ["batch", str(path), "--as-of", "2025-12-31", "--account-column"]
    assert main([*args, "portfolio"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "xlmargin: --account-column 'portfolio' does not apply to an IBKR Flex report: its accounts are "
        "its accountIds (leave --account-column out)"
    )
    assert main([*args, "accountId"]) == 0
    capsys.readouterr()
    with pytest.raises(InputError, match="by 'acctAlias' does not apply to an IBKR Flex report"):
        batch(path, by="acctAlias", as_of="2025-12-31")
    assert batch(path, by="AccountID", as_of="2025-12-31")["error"].eq("").all()
