"""The batch's equity column (``equity="NAME"``, ``--equity-column``): each account's equity, its
excess and cushion as MARGIN_CUSHION gives them on the account's requirement, and the minimum-equity
warnings its engine gives for the account alone with that equity. Expected values are each engine's
own output on each account alone (a regression comparison, not a published example); the
minimums themselves are the rule files' (FINRA 4210(g)'s $100,000 in pm.toml, 4210(b)(2)'s $2,000
in regt.toml: margin-rules.md §1.1 and §2).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

from benchmarks.book import AS_OF
from tests.test_batch import _spoil, _table
from xlmargin.batch import batch
from xlmargin.capacity import margin_cushion
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.money import cents
from xlmargin.positions import read_positions

# per account k (in order of appearance), cycled: its equity and how the column gives it. Amounts
# below Reg T's $2,000 minimum, below portfolio margin's $100,000, an equity of 0, and amounts
# below and above the accounts' requirements (excess negative and positive)
AMOUNTS = (1_500.0, 0.0, 60_000.5, 250_000.0, 8_000.0, 3_000_000.0, 1_999.99)
WAYS = ("every row", "first row", "last row", "none")


def with_equity(table: list[list[Any]], column: str = "equity") -> tuple[list[list[Any]], dict[str, float]]:
    """``table`` with an equity column, and each account's equity (accounts given none left out)."""
    names = list(dict.fromkeys(r[0] for r in table[1:]))
    given: dict[str, float] = {}
    rows_of: dict[Any, list[int]] = {}
    for i, row in enumerate(table[1:], start=1):
        rows_of.setdefault(row[0], []).append(i)
    cells: dict[int, Any] = {}
    for k, name in enumerate(names):
        way, amount = WAYS[k % len(WAYS)], AMOUNTS[k % len(AMOUNTS)]
        if way == "none" or name is None:
            continue
        given[name] = amount
        own = rows_of[name]
        chosen = own if way == "every row" else own[:1] if way == "first row" else own[-1:]
        for i in chosen:  # as text with separators on some rows, as the reader reads a number
            cells[i] = f"{amount:,.2f}" if i % 3 == 0 else amount
    out = [[*table[0], column]] + [[*row, cells.get(i)] for i, row in enumerate(table[1:], start=1)]
    return out, given


def _alone(table: list[list[Any]], account: str) -> Any:
    """The account's rows alone, the others blank (each row keeps its number); the equity column dropped."""
    return read_positions(
        [table[0][1:-1], *(r[1:-1] if r[0] == account else [] for r in table[1:])], as_of=AS_OF
    )


def _engine(regime: str, params: dict[str, Any], equity: float | None) -> Any:
    """The account's engine alone, given its equity as the single-account functions take it."""
    from xlmargin.account import account_margin, account_settings
    from xlmargin.pm import pm_requirement, pm_settings
    from xlmargin.regt import regt_margin
    from xlmargin.stress import risk_margin, stress_settings

    if regime == "pm":
        return lambda p: pm_requirement(p, pm_settings({**params, "equity": equity}, AS_OF))
    if regime == "regt":
        basis, net = params.get("basis", "initial"), params.get("net_of_proceeds", False)
        return lambda p: regt_margin(p, basis=basis, net_of_proceeds=net, equity=equity)
    if regime == "account":
        return lambda p: account_margin(p, account_settings({**params, "equity": equity}, AS_OF))
    return lambda p: risk_margin(p, stress_settings(params, AS_OF))


def check_each_account(
    table: list[list[Any]], given: dict[str, float], result: pd.DataFrame, regime: str, params: dict[str, Any]
) -> int:
    """Every margined account's requirement, equity (``given``), excess, cushion and warnings equal
    its engine's alone with its equity, to the cent; returns how many accounts warn of a minimum equity."""
    below = 0
    for _, row in result.iterrows():
        account = row["account"]
        if row["error"]:
            assert np.isnan(row["equity"]) and np.isnan(row["excess"]) and np.isnan(row["cushion"]), account
            continue
        equity = given.get(account)
        alone = _engine(regime, params, equity)(_alone(table, account))
        requirement = cents(alone.requirement if regime != "regt" else alone.total)
        assert row["requirement"] == requirement, account
        assert row["warnings"] == " | ".join(alone.warnings), account
        below += any("minimum" in w and "equity" in w for w in alone.warnings)
        if equity is None:
            assert np.isnan(row["equity"]) and np.isnan(row["excess"]) and np.isnan(row["cushion"]), account
            continue
        excess, share = margin_cushion(equity, requirement)
        assert (row["equity"], row["excess"], row["cushion"]) == (equity, cents(excess), share), account
    return below


CASES = [
    ("pm", {}),
    ("pm", {"house": True}),
    ("regt", {}),
    ("regt", {"basis": "maintenance", "net_of_proceeds": True}),
    ("account", {}),
    ("account", {"securities": "pm", "basis": "maintenance"}),
    ("risk", {}),
]


@pytest.mark.parametrize(("regime", "params"), CASES)
def test_equity_columns_and_warnings_equal_each_account_alone(regime: str, params: dict[str, Any]) -> None:
    table = _spoil(_table(21, 300))
    if regime == "regt":  # Reg T pairing of many option legs is slow: stock and ETF lines
        table = [table[0], *(r for r in table[1:] if r[2] != "option")]
    table, given = with_equity(table)
    result = batch(table, regime=regime, params=params, equity="equity", as_of=AS_OF)
    assert list(result.columns)[-5:] == ["equity", "excess", "cushion", "error", "warnings"]
    below = check_each_account(table, given, result, regime, params)
    margined = result[result["error"] == ""]
    assert margined["equity"].notna().sum() >= 10 and margined["equity"].isna().sum() >= 3
    assert (margined["excess"] < 0).any() and (margined["excess"] > 0).any()
    if regime in ("pm", "account") or (regime == "regt" and params.get("basis") != "maintenance"):
        assert below >= 3  # each account's own minimum-equity warning, not every account's
        assert below < margined["equity"].notna().sum()
    else:  # the risk view reads no equity; Reg T checks its minimum on the initial basis only
        assert below == 0


def test_the_pm_accounts_are_still_valued_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the comparison above: with an equity column the PM accounts go through the union's
    account step (the one holding a future alone), their eligibility warned per account."""
    import xlmargin.pm

    alone: list[int] = []
    real = xlmargin.pm.pm_requirement
    monkeypatch.setattr(xlmargin.pm, "pm_requirement", lambda p, s: alone.append(len(p)) or real(p, s))
    table, _ = with_equity(_spoil(_table(22, 300)))
    result = batch(table, equity="equity", as_of=AS_OF)
    assert len(alone) == 1
    assert result["warnings"].str.contains("FINRA 4210(g)", regex=False).sum() >= 3


def test_results_on_dask_equal_the_single_process_run() -> None:
    distributed = pytest.importorskip("distributed")
    table, _ = with_equity(_spoil(_table(23, 300)))
    stocks = [table[0], *(r for r in table[1:] if r[2] != "option")]
    with (
        distributed.LocalCluster(processes=False, n_workers=2, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        for regime, params in CASES:
            book = stocks if regime == "regt" else table
            alone = batch(book, regime=regime, params=params, equity="equity", as_of=AS_OF)
            assert alone["equity"].notna().any(), regime
            warned = alone["warnings"].str.contains("minimum", regex=False).any()
            checked = regime != "risk" and (regime != "regt" or params.get("basis") != "maintenance")
            assert warned == checked, regime
            on_dask = batch(book, regime=regime, params=params, equity="equity", as_of=AS_OF, dask=client)
            pd.testing.assert_frame_equal(on_dask, alone)


HEADER = ["account", "symbol", "type", "quantity", "price", "Net Liq"]


def test_each_account_gives_one_amount_or_gets_its_error_row() -> None:
    rows = [
        HEADER,
        ["SAME", "AAPL", "stock", 100.0, 200.0, "150,000"],
        ["SAME", "MSFT", "stock", -10.0, 400.0, 150000],  # the same amount, written otherwise
        ["ONCE", "AAPL", "stock", 100.0, 200.0, None],
        ["ONCE", "MSFT", "stock", 10.0, 400.0, 1500.0],  # on one row (any), the others blank
        ["TWO", "AAPL", "stock", 100.0, 200.0, 50000.0],
        ["TWO", "MSFT", "stock", 10.0, 400.0, 50001.0],
        ["TEXT", "AAPL", "stock", 100.0, 200.0, "n/a"],
        ["NEG", "AAPL", "stock", 100.0, 200.0, -10.0],
        ["NONE", "AAPL", "stock", 100.0, 200.0, ""],
        ["ROW", None, None, None, None, 30000.0],  # a row of the account's equity alone: no position
        ["ROW", "IBM", "stock", -100.0, 200.0, None],
        ["ONLY", None, None, None, None, 30000.0],
    ]
    result = batch(rows, regime="regt", equity="net liq", as_of=AS_OF).set_index("account")
    assert result.loc["SAME", ["requirement", "equity", "excess"]].tolist() == [12000.0, 150000.0, 138000.0]
    assert result.loc["SAME", "cushion"] == 138000.0 / 150000.0
    assert result.loc["ONCE", ["equity", "excess", "cushion"]].tolist() == [1500.0, -10500.0, -1.0]
    assert result.loc["ONCE", "warnings"].startswith("equity 1,500.00 is below the FINRA 4210(b)(2) minimum")
    assert result.loc["ROW", ["positions", "requirement", "equity", "excess"]].tolist() == [
        1,
        10000.0,
        30000.0,
        20000.0,
    ]
    assert (
        result.loc["NONE", "requirement"] == 10000.0 and result.loc["NONE", "equity":"cushion"].isna().all()
    )
    errors = result["error"]
    assert errors["TWO"] == (
        "#INPUT row 7, Net Liq: rows 6 and 7 give the account's equity as 50,000.00 and 50,001.00: give it "
        "on one row, or the same on every row"
    )
    assert errors["TEXT"] == "#INPUT row 8, Net Liq: 'n/a' is not a number"
    # an account in deficit is margined, as MARGIN_CUSHION takes a negative equity (cushion floored at -1)
    assert result.loc["NEG", ["requirement", "equity", "excess", "cushion"]].tolist() == [
        10000.0,
        -10.0,
        -10010.0,
        -1.0,
    ]
    assert errors["NEG"] == "" and "below the FINRA 4210(b)(2) minimum" in result.loc["NEG", "warnings"]
    assert errors["ONLY"] == (
        "#INPUT row 13, account: the account holds no positions (only its name and equity are given: row 13)"
    )
    assert (errors[["SAME", "ONCE", "ROW", "NONE"]] == "").all()
    for bad in ("TWO", "TEXT", "ONLY"):
        assert result.loc[bad, "requirement":"cushion"].isna().all() and result.loc[bad, "warnings"] == ""


def test_an_account_with_a_bad_equity_and_a_bad_position_gets_one_error_row() -> None:
    rows = [HEADER, ["A", "AAPL", "stock", 100.0, "abc", "x"], ["B", "AAPL", "stock", 1.0, 200.0, 5.0]]
    result = batch(rows, regime="pm", equity="Net Liq", as_of=AS_OF)
    assert result["error"][0] == "#INPUT row 2, Net Liq: 'x' is not a number (+1 more)"  # and the price
    assert result["warnings"][1].endswith("the account is not eligible for portfolio margin")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("equity", {}, r"row 1, equity: the table has no 'equity' column to read the accounts' equity from"),
        ("account", {}, r"row 1, account: 'account' is the account column, not an equity"),
        ("price", {}, r"'price' is a positions column \(the reader reads it as price\)"),
        ("net liq", {"equity": 1e5}, r"equity: give the accounts' equity either as a column .* not both"),
    ],
)
def test_a_column_it_cannot_read_stops_the_batch(name: str, params: dict[str, Any], message: str) -> None:
    rows = [HEADER, ["A", "AAPL", "stock", 100.0, 200.0, 1.0]]
    with pytest.raises(InputError, match=message):
        batch(rows, params=params, equity=name, as_of=AS_OF)


def test_a_number_is_still_the_equity_parameter() -> None:
    """``equity=50000`` was the PM parameter as a keyword before the column came: it still is (the
    same amount for every account, no equity columns)."""
    rows = [HEADER[:-1], ["A", "AAPL", "stock", 100.0, 200.0], ["B", "MSFT", "stock", 10.0, 400.0]]
    result = batch(rows, equity=50_000, as_of=AS_OF)
    assert "equity" not in result.columns
    assert result["warnings"].str.startswith("equity 50,000.00 is below the FINRA 4210(g)").all()
    assert result.equals(batch(rows, params={"equity": 50_000}, as_of=AS_OF))


def test_cli_writes_the_equity_columns(tmp_path: Any, capsys: Any) -> None:
    source = tmp_path / "book.csv"
    source.write_text(
        'account,symbol,type,quantity,price,NLV\nA,AAPL,stock,100,200,"25,000"\nA,MSFT,stock,-10,400,\n'
        "B,IBM,stock,100,200,\n",
        encoding="utf-8",
    )
    args = ["batch", str(source), "--as-of", AS_OF.isoformat(), "--regime", "regt"]
    assert main([*args, "--equity-column", "NLV"]) == 0
    written = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    columns = ["requirement", "gross", "net", "equity", "excess", "cushion", "error", "warnings"]
    assert list(written.columns)[2:] == columns
    assert written[["equity", "excess"]].values.tolist() == [["25000.0", "13000.0"], ["", ""]]
    assert main([*args, "--equity-column", "NLV", "--regime", "pm", "--param", "equity=1"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["batch", "--help"]) == 0
    assert "--equity-column NAME" in capsys.readouterr().out


def test_a_flex_report_refuses_an_equity_column(tmp_path: Any, capsys: Any) -> None:
    """The Flex reader reads the open positions only, not the accounts' net liquidation value: an
    equity column is refused in one line rather than left blank."""
    from tests.test_batch_exports import ACCOUNTS, _report, _statement

    path = tmp_path / "report.xml"
    path.write_text(_report([_statement(a, seed, None) for seed, a in enumerate(list(ACCOUNTS)[:2])]))
    assert main(["batch", str(path), "--as-of", "2025-12-31", "--equity-column", "netLiquidation"]) == 2
    assert capsys.readouterr().err.startswith(
        "xlmargin: --equity-column does not apply to an IBKR Flex report: xlmargin reads its open positions"
    )
    with pytest.raises(InputError, match="equity: equity does not apply to an IBKR Flex report"):
        batch(path, equity="netLiquidation", as_of="2025-12-31")


def test_a_portfolio_csv_with_an_equity_column_is_refused_for_what_it_is(tmp_path: Any, capsys: Any) -> None:
    """Review R7: a TWS portfolio CSV with an equity column was refused as a Flex report; the batch
    reads no CSV export, and says so, whatever the other options."""
    path = tmp_path / "t2.csv"
    path.write_text(
        "Account,Symbol,Position,Mark Price,Asset Class,Currency,Net Liq\nU1,AAPL,100,200,STK,USD,150000\n"
    )
    assert main(["batch", str(path), "--as-of", "2026-11-20", "--equity-column", "Net Liq"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("xlmargin: t2.csv is a TWS / Client Portal portfolio CSV")
        and "Flex report:" not in err
    )
    with pytest.raises(InputError, match=r"t2\.csv is a TWS / Client Portal portfolio CSV"):
        batch(path, equity="Net Liq", as_of="2026-11-20")


def test_a_dataframe_s_empty_cells_are_blank_and_the_first_wrong_row_is_named() -> None:
    """A DataFrame's equity column holds NaN where empty (blank, not an amount); an account's error
    names its first wrong row in the table's order, a text before the amounts or a second amount."""
    frame = pd.DataFrame(
        [
            ["A", "AAPL", "stock", 100.0, 200.0, np.nan],
            ["B", "AAPL", "stock", 100.0, 200.0, "TBD"],
            ["A", "MSFT", "stock", 10.0, 400.0, 2_000.0],
            ["B", "MSFT", "stock", 10.0, 400.0, 5.0],
            ["C", "MSFT", "stock", 10.0, 400.0, 7.0],
            ["C", "IBM", "stock", 10.0, 100.0, np.nan],
            ["C", "AAPL", "stock", 10.0, 200.0, 8.0],
            ["C", "AAPL", "stock", 10.0, 200.0, "x"],
        ],
        columns=HEADER,
    )
    result = batch(frame, regime="regt", equity="NET LIQ", as_of=AS_OF).set_index("account")
    assert result.loc["A", ["requirement", "equity", "excess"]].tolist() == [12000.0, 2000.0, -10000.0]
    assert result.loc["B", "error"] == "#INPUT row 3, Net Liq: 'TBD' is not a number"
    assert result.loc["C", "error"].startswith(
        "#INPUT row 8, Net Liq: rows 6 and 8 give the account's equity as 7.00 and 8.00"
    )


MISSING_USD = [
    ["account", "symbol", "type", "quantity", "price"],
    ["A", "XYZ", "stock", 100, 50.0],
    ["B", "EURUSD", "fx", 10_000, 1.1],
    ["C", "ABC", "stock", 10, 20.0],
]
MISSING_USD_PARAMS = {"securities": "pm", "equity": 150_000, "account_currency": "EUR", "as_of": AS_OF}


def _missing_usd_rows(frame: pd.DataFrame) -> None:
    """Accounts A and C (securities) carry the missing-rate error and no figure; B (forex only) is
    margined."""
    rows = {row["account"]: row for row in frame.to_dict("records")}
    for account in ("A", "C"):
        assert "give fx.USD" in rows[account]["error"], rows[account]["error"]
        assert np.isnan(rows[account]["requirement"])
    assert rows["B"]["error"] == "" and rows["B"]["requirement"] > 0


def test_a_missing_usd_rate_with_the_equity_parameter_gives_error_rows_not_a_failed_batch() -> None:
    """Securities on portfolio margin in a EUR account, with the equity parameter and no fx.USD:
    the accounts holding securities each get the missing-rate error row; an account holding only
    forex needs no dollar rate and is margined (before, the whole batch raised). The same from a
    list of rows, a DataFrame and on Dask."""
    alone = batch(MISSING_USD, regime="account", params=MISSING_USD_PARAMS)
    _missing_usd_rows(alone)
    frame = pd.DataFrame(MISSING_USD[1:], columns=MISSING_USD[0])
    pd.testing.assert_frame_equal(batch(frame, regime="account", params=MISSING_USD_PARAMS), alone)
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(processes=False, n_workers=2, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = batch(MISSING_USD, regime="account", params=MISSING_USD_PARAMS, dask=client)
    pd.testing.assert_frame_equal(on_dask, alone)


def test_a_missing_usd_rate_gives_error_rows_from_the_command_line(tmp_path: Any, capsys: Any) -> None:
    """``xlmargin batch --regime account`` writes the error rows and the margined account."""
    source = tmp_path / "book.csv"
    source.write_text(
        "\n".join(",".join(str(c) for c in row) for row in MISSING_USD) + "\n", encoding="utf-8"
    )
    params = ["securities=pm", "equity=150000", "account_currency=EUR"]
    args = ["batch", str(source), "--as-of", AS_OF.isoformat(), "--regime", "account"]
    # 1: some accounts have errors (2 would be the batch refused as a whole)
    assert main([*args, *(x for p in params for x in ("--param", p))]) == 1
    written = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    errors = dict(zip(written["account"], written["error"], strict=True))
    assert "give fx.USD" in errors["A"] and "give fx.USD" in errors["C"] and errors["B"] == ""
