"""The batch: one row per account, equal to margining each account alone, with and without Dask."""

from __future__ import annotations

import io
import os
import pickle
import stat
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from benchmarks.book import AS_OF, book
from xlmargin.batch import batch
from xlmargin.batch.pm import shared_risk
from xlmargin.cli import main
from xlmargin.errors import InputError, XlMarginError
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.pm.risk import risk_arrays
from xlmargin.positions import read_positions

N_ACCOUNTS = 25


def _table(seed: int, n_positions: int = 500) -> list[list[Any]]:
    """The benchmark book's rows dealt at random to accounts, with quantities redrawn per row."""
    rows = book(n_positions, 30, 40, volatility=seed % 2 == 0, seed=seed)
    rng = np.random.default_rng(seed)
    table = [["account", *rows[0]]]
    for row in rows[1:]:
        row = list(row)
        row[2] = float(rng.integers(-9, 10) or 1)
        table.append([f"A{rng.integers(N_ACCOUNTS):02d}", *row])
    return table


def _alone(table: list[list[Any]], account: str, params: dict[str, Any]) -> float | str:
    width = len(table[0]) - (table[0][-1] == "equity")  # the equity column dropped
    rows = [table[0][1:width]] + [r[1:width] for r in table[1:] if r[0] == account]
    try:
        return pm_requirement(read_positions(rows, as_of=AS_OF), pm_settings(params, AS_OF)).requirement
    except XlMarginError as exc:
        return f"#{exc.code} {exc.summary()}"


def _spoil(table: list[list[Any]]) -> list[list[Any]]:
    """One account with a bad price cell, one holding a future (refused by PM), one with a blank account."""
    table = [list(r) for r in table]
    price = table[0].index("price")
    table[3][price] = "n/a"
    table[5][0], table[5][2] = table[3][0].replace("A", "B"), "future"
    for column in ("strike", "right"):  # a future carries no option terms (the reader refuses them)
        if column in table[0]:
            table[5][table[0].index(column)] = None
    table[7][0] = None
    return table


@pytest.mark.parametrize(
    ("seed", "params", "equity"),
    [
        (1, {}, False),
        (2, {}, True),
        (3, {"house": True}, True),
        (4, {"minimum_scope": "account"}, False),
        (5, {"house.concentration": True}, True),
    ],
)
def test_pm_batch_equals_each_account_alone_to_the_cent(
    seed: int, params: dict[str, Any], equity: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with an equity column, each account's equity, excess and cushion too (MARGIN_CUSHION on the
    # account's own requirement), and the warnings of its engine given its equity
    import xlmargin.pm
    from tests.test_batch_equity import check_each_account, with_equity

    table = _spoil(_table(seed))
    given: dict[str, float] = {}
    if equity:
        table, given = with_equity(table)
    alone: list[int] = []
    monkeypatch.setattr(
        xlmargin.pm, "pm_requirement", lambda p, s: alone.append(len(p)) or pm_requirement(p, s)
    )
    result = batch(table, "account", "pm", params, as_of=AS_OF, equity="equity" if equity else None)
    assert len(alone) == 1  # only the account holding a future went one by one
    assert list(result.columns) == [
        "account",
        "positions",
        "requirement",
        "regulatory",
        "initial",
        "minimum",
        *(["equity", "excess", "cushion"] if equity else []),
        "error",
        "warnings",
    ]
    if equity:
        assert check_each_account(table, given, result, "pm", params) >= 3  # below the 4210(g) minimum
    accounts = list(dict.fromkeys("" if r[0] is None else r[0] for r in table[1:]))
    assert result["account"].tolist() == accounts
    for account, requirement, error in zip(
        result["account"], result["requirement"], result["error"], strict=True
    ):
        if account == "":
            assert error.startswith("#INPUT row 8, account: the account is blank")
            continue
        expected = _alone(table, account, params)
        if isinstance(expected, str):
            assert error.split(":")[-1] == expected.split(":")[-1]
            assert np.isnan(requirement)
        else:
            assert error == ""
            assert requirement == expected, account
    errors = result.set_index("account")["error"]
    assert "price" in errors[table[3][0]] and "row 4" in errors[table[3][0]]
    assert "FUTURES_MARGIN" in errors[table[5][0]]


def test_pm_batch_on_dask_equals_the_single_process_run() -> None:
    distributed = pytest.importorskip("distributed")
    table = _spoil(_table(6))
    alone = batch(table, as_of=AS_OF)
    assert (alone["warnings"] != "").any()  # compared too: the warnings computed beside the workers
    with (
        distributed.LocalCluster(processes=False, n_workers=2, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        pd.testing.assert_frame_equal(batch(table, as_of=AS_OF, dask=client), alone)
        small = [r for r in table if r[2] != "option"][:40]  # Reg T: stock lines only, fast
        pd.testing.assert_frame_equal(
            batch(small, regime="regt", as_of=AS_OF, dask=client), batch(small, regime="regt", as_of=AS_OF)
        )
        for regime in ("risk", "account"):  # parts valued together, on the workers
            alone = batch(table, regime=regime, as_of=AS_OF)
            pd.testing.assert_frame_equal(batch(table, regime=regime, as_of=AS_OF, dask=client), alone)


def test_shared_risk_travels_by_pickle() -> None:
    table = _table(7, 200)
    portfolio = read_positions([table[0][1:], *[r[1:] for r in table[1:]]], as_of=AS_OF)
    shared = shared_risk(risk_arrays(portfolio, pm_settings({"house": True}, AS_OF)))
    back = pickle.loads(pickle.dumps(shared))
    np.testing.assert_array_equal(back.unit_pnl, shared.unit_pnl)


@pytest.mark.parametrize(
    ("regime", "params"), [("regt", {"basis": "maintenance"}), ("account", {}), ("risk", {})]
)
def test_other_regimes_equal_their_engine_account_by_account(regime: str, params: dict[str, Any]) -> None:
    from xlmargin.account import account_margin, account_settings
    from xlmargin.regt import regt_margin
    from xlmargin.stress import risk_margin, stress_settings

    table = _table(8, 60)
    result = batch(table, regime=regime, params=params, as_of=AS_OF)
    for account, requirement in zip(result["account"], result["requirement"], strict=True):
        portfolio = read_positions(
            [table[0][1:]] + [r[1:] for r in table[1:] if r[0] == account], as_of=AS_OF
        )
        if regime == "regt":
            expected = regt_margin(portfolio, basis="maintenance").total
        elif regime == "account":
            expected = account_margin(portfolio, account_settings({}, AS_OF)).total
        else:
            expected = risk_margin(portfolio, stress_settings({}, AS_OF)).requirement
        assert requirement == round(expected, 2), account


def _risk_batch(
    table: list[list[Any]], rate: float, monkeypatch: pytest.MonkeyPatch
) -> tuple[pd.DataFrame, int]:
    """The risk batch of ``table`` by account, and how many books the stress view valued for it."""
    import xlmargin.stress.results as results

    valued: list[int] = []
    run = results._run
    monkeypatch.setattr(results, "_run", lambda p, s: valued.append(len(p)) or run(p, s))
    result = batch(table, regime="risk", params={"rate": rate}, as_of=AS_OF).set_index("account")
    monkeypatch.setattr(results, "_run", run)
    return result, len(valued)


@pytest.mark.parametrize(("seed", "rate"), [(9, 0.0), (10, 0.04)])
def test_risk_batch_values_each_part_once_and_equals_each_account_alone(
    seed: int, rate: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the house risk view values the accounts of a part as one book (volatilities implied from
    # the prices for an odd seed, given for an even one); every figure equals the account's own
    from xlmargin.stress import risk_margin, stress_settings

    table = _spoil(_table(seed, 400))
    result, valued = _risk_batch(table, rate, monkeypatch)
    assert valued == 1  # the accounts the reader took, valued as one book
    settings = stress_settings({"rate": rate}, AS_OF)
    margined = result[result["error"] == ""]
    assert len(margined) == len(result) - 2  # the blank account and the one with a bad price cell
    for account, row in margined.iterrows():
        own = [table[0][1:]] + [r[1:] for r in table[1:] if r[0] == account]
        alone = risk_margin(read_positions(own, as_of=AS_OF), settings)
        assert (row["requirement"], row["scenario"], row["correlation_break_loss"]) == (
            round(alone.requirement, 2),
            alone.scenario_id,
            round(alone.correlation_break_loss, 2),
        ), account
        assert (row["no_offset_requirement"], row["gross_exposure"]) == (
            round(alone.no_offset_requirement, 2),
            round(alone.gross_exposure, 2),
        ), account


def test_risk_batch_takes_out_an_account_the_union_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    # an account holding a row the stress view refuses (an option priced above its underlying: no
    # volatility reproduces it) is taken out of the part and goes alone, where it gets its own
    # error; the others get the figures they get without it
    table = _spoil(_table(9, 400))  # volatilities implied from the prices
    without, _ = _risk_batch(table, 0.0, monkeypatch)
    option = next(r for r in table[1:] if r[2] == "option")
    spot = table[0].index("underlying price")
    priced_above_its_underlying = ["NOIV", *option[1:4], 10 * option[spot], *option[5:]]
    result, valued = _risk_batch([*table, priced_above_its_underlying], 0.0, monkeypatch)
    assert valued == 3  # the part, the part without NOIV, then NOIV alone
    assert result.loc["NOIV", "error"].startswith("#INPUT row 402, price:")
    pd.testing.assert_frame_equal(result.loc[without.index], without)


@pytest.mark.parametrize(("basis", "net"), [("initial", False), ("maintenance", True)])
def test_regt_batch_pairs_each_part_in_one_call_and_equals_each_account_alone(
    basis: str, net: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reg T values the accounts of a part in one engine call, each account's class groups renamed
    # apart: every figure equals the account's own. An account holding a future (no Reg T rule)
    # is taken out of the part and gets its own error
    import xlmargin.regt
    from xlmargin.regt import regt_margin

    table = _spoil(_table(11, 400))
    calls: list[int] = []
    engine = xlmargin.regt._paired  # the pairing of regt_margin and of regt_margins (with the warnings)
    monkeypatch.setattr(xlmargin.regt, "_paired", lambda p, *a: calls.append(len(p)) or engine(p, *a))
    params = {"basis": basis, "net_of_proceeds": net}
    result = batch(table, regime="regt", params=params, as_of=AS_OF).set_index("account")
    futures = table[5][0]
    assert len(calls) == 3  # the part; the part without the account holding a future; that one alone
    assert "FUTURES_MARGIN" in result.loc[futures, "error"]
    margined = result[result["error"] == ""]
    assert len(margined) == len(result) - 3  # the blank account, a bad price cell, the future
    for account, row in margined.iterrows():
        own = [table[0][1:]] + [r[1:] for r in table[1:] if r[0] == account]
        alone = regt_margin(read_positions(own, as_of=AS_OF), basis=basis, net_of_proceeds=net)
        figures = (row["requirement"], row["gross"], row["net"])
        assert figures == (alone.total, alone.gross, alone.net), account


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"basis": "maintenance"},
        {"securities": "pm"},
        {"securities": "pm", "basis": "maintenance", "house": True},
    ],
)
def test_account_batch_equals_each_account_alone(
    params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the accounts' securities are valued at once (Reg T: paired in one call; portfolio margin:
    # priced as one book, each account's figure from the PM batch's account step) and each
    # account's view made with its own figures. Every segment equals the account's own view; the
    # account holding a future SPAN has no parameters for gets its own error, and the others'
    # securities are not valued again
    import xlmargin.pm.risk
    import xlmargin.regt
    from xlmargin.account import account_margin, account_settings
    from xlmargin.money import cents

    table = _spoil(_table(12, 400))
    stock = next(r for r in table[1:] if r[2] == "stock")
    future = ["FUT", "ESZ6", "future", 2.0, 6000.0, *([None] * (len(table[0]) - 5))]
    table += [future, ["FUT", *stock[1:]]]  # an account with a futures segment and a securities one
    calls: list[int] = []
    engine = xlmargin.regt._paired  # the pairing of regt_margin and of regt_margins (with the warnings)
    monkeypatch.setattr(xlmargin.regt, "_paired", lambda p, *a: calls.append(len(p)) or engine(p, *a))
    priced: list[int] = []
    pricing = xlmargin.pm.risk.risk_arrays
    monkeypatch.setattr(xlmargin.pm.risk, "risk_arrays", lambda p, s: priced.append(len(p)) or pricing(p, s))
    result = batch(table, regime="account", params=params, as_of=AS_OF).set_index("account")
    if params.get("securities") == "pm":
        assert len(priced) == 1 and not calls  # every account's securities priced as one book
    else:
        assert len(calls) == 1 and not priced  # every account's securities paired in one call
    settings = account_settings(params, AS_OF)
    margined = result[result["error"] == ""]
    assert len(margined) == len(result) - 3  # the blank account, a bad price cell, the future
    assert "row 6" in result.loc[table[5][0], "error"]
    for account, row in margined.iterrows():
        own = [table[0][1:]] + [r[1:] for r in table[1:] if r[0] == account]
        alone = account_margin(read_positions(own, as_of=AS_OF), settings)
        segments = {line.segment: cents(line.requirement) for line in alone.lines}
        expected = (cents(alone.total), segments["securities"], segments["futures"], segments["fx/cfd"])
        assert (row["requirement"], row["securities"], row["futures"], row["fx/cfd"]) == expected, account
    assert margined.loc["FUT", "futures"] > 0 and margined.loc["FUT", "securities"] > 0


def test_account_batch_with_pm_values_a_bond_holder_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # portfolio margin does not cover a bond: its account is valued alone (the bond by its own rule),
    # the others' securities priced as one book, and every account equals its own view
    import xlmargin.pm.risk
    from xlmargin.account import account_margin, account_settings

    header = ["account", "symbol", "type", "quantity", "price", "coupon", "maturity", "class"]
    table = [
        header,
        ["A", "SPY", "stock", 10.0, 500.0, None, None, None],
        ["B", "T 4.5 2030", "bond", 100000.0, 99.5, 4.5, "2030-11-15", "treasury"],
        ["B", "QQQ", "etf", 5.0, 400.0, None, None, None],
        ["C", "IWM", "etf", -7.0, 200.0, None, None, None],
    ]
    priced: list[int] = []
    pricing = xlmargin.pm.risk.risk_arrays
    monkeypatch.setattr(xlmargin.pm.risk, "risk_arrays", lambda p, s: priced.append(len(p)) or pricing(p, s))
    params = {"securities": "pm"}
    result = batch(table, regime="account", params=params, as_of=AS_OF).set_index("account")
    assert priced == [2]  # A's and C's rows, priced once; B alone
    for account in "ABC":
        own = [header[1:]] + [r[1:] for r in table[1:] if r[0] == account]
        alone = account_margin(read_positions(own, as_of=AS_OF), account_settings(params, AS_OF))
        assert result.loc[account, "requirement"] == round(alone.total, 2), account
    assert result.loc["B", "requirement"] > 3000.0  # the bond's own requirement is in it


def test_the_command_offers_every_regime_the_engine_knows() -> None:
    from xlmargin.batch import REGIMES
    from xlmargin.batch.cli import REGIMES as OFFERED

    assert OFFERED == REGIMES


def test_batch_refuses_a_table_without_the_account_column() -> None:
    with pytest.raises(InputError, match="no 'portfolio' column"):
        batch(_table(1, 100), by="portfolio", as_of=AS_OF)


def test_a_parameter_given_twice_is_refused_as_the_command_line_refuses_it() -> None:
    """``params`` as ``name=value`` strings became a dict, so the last of two silently won (the
    maintenance figure for ``basis=initial, basis=maintenance``); it is refused, as ``--param`` is.
    A keyword still replaces the parameter of its name."""
    table = _table(1, 100)
    with pytest.raises(InputError, match=r"row 2, params: parameter 'basis' is given twice \(rows 1 and 2\)"):
        batch(table, regime="regt", params=["basis=initial", "basis=maintenance"], as_of=AS_OF)
    given = batch(table, regime="regt", params=["basis=initial", "as_of=2000-01-01"], as_of=AS_OF)
    assert given.equals(batch(table, regime="regt", params={"basis": "initial"}, as_of=AS_OF))


def test_a_decimal_comma_is_the_accounts_error_naming_row_and_column(tmp_path: Any, capsys: Any) -> None:
    """B is margined and A gets its error row; the exit code is 1 (written, some results are errors)
    and stderr names A."""
    source = tmp_path / "book.csv"
    source.write_text('account,symbol,quantity,price\nA,IBM,100,"228,50"\nB,IBM,100,228.50\n')
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "--regime", "regt"]) == 1
    printed = capsys.readouterr()
    assert printed.err.splitlines()[-1] == (
        "xlmargin: 1 of 2 accounts has an error: A (row 2, price: '228,50' is not a number: a comma is read "
        "only as a thousands separator (1,234.5); ...)"
    )
    out = pd.read_csv(io.StringIO(printed.out), keep_default_na=False)
    assert out["error"].tolist() == [
        "#INPUT row 2, price: '228,50' is not a number: a comma is read only as a thousands separator "
        "(1,234.5); use a point for decimals",
        "",
    ]
    assert out["requirement"].tolist() == ["", "11425.0"]


def test_cli_writes_csv_and_parquet_and_keeps_existing_files(tmp_path: Any, capsys: Any) -> None:
    table = _spoil(_table(9, 120))
    source = tmp_path / "book.csv"
    pd.DataFrame(table[1:], columns=table[0]).to_csv(source, index=False)
    out = tmp_path / "results.csv"
    # _spoil's accounts have errors: exit 1, the results written all the same
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(out)]) == 1
    written = pd.read_csv(out, keep_default_na=False)
    expected = batch(table, as_of=AS_OF)
    assert written["requirement"].replace("", np.nan).astype(float).tolist() == pytest.approx(
        expected["requirement"].tolist(), nan_ok=True
    )
    assert "accounts" in capsys.readouterr().err
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    parquet = tmp_path / "results.parquet"
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(parquet)]) == 1
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), expected)


BLANKS = "account,symbol,type,quantity,price\nA1,AAPL,stock,100,228.5\n\n,,,,\nA2,MSFT,stock,ten,400\n"


def test_cli_ignores_blank_rows_and_numbers_rows_as_margin_does(tmp_path: Any, capsys: Any) -> None:
    """A fully blank row (an empty line, or only commas) belongs to no account: it was account ""
    with the error "account is blank", and A2's error said row 4 where margin says row 5."""
    source = tmp_path / "book.csv"
    source.write_text(BLANKS, encoding="utf-8")
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat()]) == 1  # A2's error
    written = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert written["account"].tolist() == ["A1", "A2"]
    assert written["error"].tolist() == ["", "#INPUT row 5, quantity: 'ten' is not a number"]
    assert main(["margin", str(source), "--as-of", AS_OF.isoformat()]) == 2
    assert capsys.readouterr().err == "xlmargin: row 5, quantity: 'ten' is not a number\n"


def test_cli_reads_a_workbook_below_its_title_with_the_file_s_row_numbers(tmp_path: Any, capsys: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Positions"
    for row in BLANKS.splitlines():
        sheet.append(row.split(",") if row else [])
    sheet.insert_rows(1, 2)
    sheet["A1"] = "Accounts at the close"
    source = tmp_path / "book.xlsx"
    book.save(source)
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat()]) == 1  # A2's error
    written = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert written["error"].tolist() == ["", "#INPUT row 7, quantity: 'ten' is not a number"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("account,symbol,quantity,quantity,price\nA1,AAPL,100,5,228.5\n",
         "row 1, quantity: duplicate header: 'quantity' and 'quantity' both mean quantity"),
        ("account;symbol;quantity;price\nA1;AAPL;100;228,5\n", "book.csv: no header row naming symbol "
         "and quantity; its cells are separated by ';'"),
    ],
)  # fmt: skip
def test_cli_refuses_a_header_as_margin_does(tmp_path: Any, capsys: Any, text: str, message: str) -> None:
    """An exact duplicate header was read by pandas as quantity and quantity.1 (the first used)."""
    source = tmp_path / "book.csv"
    source.write_text(text, encoding="utf-8")
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat()]) == 2
    assert capsys.readouterr().err.startswith(f"xlmargin: {message}")
    assert main(["margin", str(source), "--as-of", AS_OF.isoformat()]) == 2
    assert capsys.readouterr().err.startswith(f"xlmargin: {message}")


def test_cli_names_an_unreadable_file_as_margin_does(tmp_path: Any, capsys: Any) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(b"account,symbol,quantity,price\nA1,CAF\xe9,100,228.5\n")
    assert main(["batch", str(latin1)]) == 2
    assert capsys.readouterr().err.startswith("xlmargin: latin1.csv is not UTF-8 text (byte 0xe9 on line 2)")
    assert main(["batch", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"xlmargin: {tmp_path} is a folder, not a file\n"


@pytest.mark.parametrize("address", ["garbage", "http://host:8786"])
def test_cli_explains_a_dask_address_it_cannot_use(tmp_path: Any, capsys: Any, address: str) -> None:
    """distributed's ValueError for an address without a port or with an unknown scheme was a
    traceback; it is refused before any connection is tried, so no cluster is needed here."""
    pytest.importorskip("distributed")
    source = tmp_path / "book.csv"
    source.write_text(BLANKS, encoding="utf-8")
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "--dask", address]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"xlmargin: '{address}' is not a Dask scheduler address (")
    assert err.endswith("give one such as tcp://host:8786, or 'local' for a cluster in this process\n")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_cli_results_get_the_mode_open_would_give_them(tmp_path: Any, capsys: Any) -> None:
    """The results were written through mkstemp and came out 0600 (also over a 0644 file with
    --force); now a new file gets 0666 less the umask and a replaced one keeps its mode."""
    source = tmp_path / "book.csv"
    source.write_text("account,symbol,type,quantity,price\nA1,AAPL,stock,100,228.5\n", encoding="utf-8")
    csv_out, parquet = tmp_path / "results.csv", tmp_path / "results.parquet"
    umask = os.umask(0o022)
    try:
        for output in (csv_out, parquet):
            assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(output)]) == 0
            assert stat.S_IMODE(output.stat().st_mode) == 0o644
        csv_out.chmod(0o664)
        assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(csv_out), "--force"]) == 0
        assert stat.S_IMODE(csv_out.stat().st_mode) == 0o664
    finally:
        os.umask(umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.csv", "results.csv", "results.parquet"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("results.txt", "results are written as .csv or .parquet"), ("missing/results.csv", "does not exist")],
)
def test_an_unwritable_output_is_refused_before_the_work(
    name: str, message: str, tmp_path: Any, capsys: Any, monkeypatch: Any
) -> None:
    """A wrong suffix or a missing folder is refused before any account is margined (it was found
    only when writing, after the whole batch had run)."""
    import xlmargin.batch as batch_module

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the batch ran")

    monkeypatch.setattr(batch_module, "batch", never)
    source = tmp_path / "book.csv"
    source.write_text("account,symbol,quantity,price\nA,IBM,100,228.5\n", encoding="utf-8")
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(tmp_path / name)]) == 2
    assert message in capsys.readouterr().err


def _accounts_file(tmp_path: Any, text: str) -> Any:
    source = tmp_path / "book.csv"
    source.write_text(text, encoding="utf-8")
    return source


def test_every_account_gets_its_row_and_the_exit_names_the_errors(tmp_path: Any, capsys: Any) -> None:
    """Seven of nine accounts have a bad price: the results hold all nine, written to the file, and
    the command exits 1 (it exited 0) with one stderr line naming the first five and how many more."""
    rows = [f"E{k},IBM,stock,100,bad{k}" for k in range(1, 8)]
    source = _accounts_file(
        tmp_path, "\n".join(["account,symbol,type,quantity,price", "G1,IBM,stock,100,228.5", *rows,
                             "G2,IBM,stock,-100,228.5"]) + "\n",
    )  # fmt: skip
    out = tmp_path / "results.csv"
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "--regime", "regt", "-o", str(out)]) == 1
    written = pd.read_csv(out, keep_default_na=False)
    assert written["account"].tolist() == ["G1", *(f"E{k}" for k in range(1, 8)), "G2"]
    assert written["requirement"].tolist() == ["11425.0", *[""] * 7, "11425.0"]  # short: 50% of 22,850
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == (
        "xlmargin: 7 of 9 accounts have errors: "
        + ", ".join(f"E{k} (row {k + 2}, price: 'bad{k}' is not a number)" for k in range(1, 6))
        + " and 2 more"
    )


def test_an_error_accounts_positions_leave_out_its_name_only_rows_and_a_blank_name_is_shown(
    tmp_path: Any, capsys: Any
) -> None:
    """An account with a bad row counts the rows the reader read, not the rows that give only its
    name (ignored as blank); the stderr line shows a blank account's name as "(blank)"."""
    text = "\n".join(
        ["account,symbol,type,quantity,price", "A,IBM,stock,100,bad", "A,,,,", "A,,,,", ",IBM,stock,5,1.0"]
    )
    source = _accounts_file(tmp_path, text + "\n")
    out = tmp_path / "results.csv"
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(out)]) == 1
    written = pd.read_csv(out, keep_default_na=False)
    assert dict(zip(written["account"], written["positions"], strict=True)) == {"A": 1, "": 1}
    assert "(blank) (row 5, account: the account is blank" in capsys.readouterr().err.splitlines()[-1]


def test_an_account_given_only_by_name_is_an_error_naming_its_rows(tmp_path: Any, capsys: Any) -> None:
    """A row giving only the account's name is ignored as a blank row is; an account whose every
    row is such a row holds no positions and says so with its rows (it was margined as an empty
    book: requirement 0, no error)."""
    text = "\n".join(
        [
            "account,symbol,type,quantity,price",
            "A,AAPL,stock,100,228.5",
            "A,,,,",
            "C,,,,",
            "B,MSFT,stock,10,400",
            "C,,,",
        ]
    )
    for regime in ("pm", "regt", "account", "risk"):
        result = batch(pd.read_csv(io.StringIO(text)), regime=regime, as_of=AS_OF).set_index("account")
        assert result.loc["A", "positions"] == 1 and result.loc["A", "error"] == ""
        assert result.loc["A", "requirement"] > 0 and result.loc["B", "error"] == ""
        assert result.loc["C", "positions"] == 0 and np.isnan(result.loc["C", "requirement"])
        assert result.loc["C", "error"] == (
            "#INPUT row 4, account: the account holds no positions (only its name is given: rows 4, 6)"
        )
    source = _accounts_file(tmp_path, text)
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat()]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "xlmargin: 1 of 3 accounts has an error: C (row 4, account: the account holds no positions (only "
        "its name is given: rows 4, 6))"
    )


def test_a_batch_without_errors_exits_0(tmp_path: Any, capsys: Any) -> None:
    source = _accounts_file(tmp_path, "account,symbol,type,quantity,price\nA,AAPL,stock,100,228.5\n")
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat()]) == 0
    assert "xlmargin:" not in capsys.readouterr().err


def test_the_help_states_the_exit_code(capsys: Any) -> None:
    assert main(["batch", "--help"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "the exit code is 1 (0 when every account was margined; 2 for bad input" in printed


def test_a_batch_where_every_account_errs_still_gives_every_row(tmp_path: Any, capsys: Any) -> None:
    """Every account with a bad row, or giving only its name: each gets its error row and the file
    is written (the reader's "a header but no positions" stopped the whole batch)."""
    text = "\n".join(["account,symbol,type,quantity,price", "A,IBM,stock,100,bad", "B,,,,"])
    source = _accounts_file(tmp_path, text + "\n")
    out = tmp_path / "results.csv"
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(out)]) == 1
    written = pd.read_csv(out, keep_default_na=False)
    assert written["account"].tolist() == ["A", "B"]
    assert written["error"].str.startswith("#INPUT row").all()
    only_names = _accounts_file(tmp_path, "account,symbol,type,quantity,price\nC,,,,\n")
    assert main(["batch", str(only_names), "--as-of", AS_OF.isoformat(), "-o", str(tmp_path / "c.csv")]) == 1
    assert "C (row 2, account: the account holds no positions" in capsys.readouterr().err
    # rows the reader finds blank though not empty: a quantity of 0, a column it ignores
    reader_blank = "account,symbol,type,quantity,price,note\nA,IBM,stock,abc,1,\nB,,,0,,\nD,,,,,hello\n"
    source = _accounts_file(tmp_path, reader_blank)
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "-o", str(tmp_path / "d.csv")]) == 1
    assert pd.read_csv(tmp_path / "d.csv", keep_default_na=False)["account"].tolist() == ["A", "B", "D"]


def test_two_accounts_may_mark_one_contract_apart_and_one_account_may_not() -> None:
    from xlmargin.batch.accounts import read_accounts

    header = ["account", "symbol", "type", "quantity", "price"]
    rows = [
        header,
        ["A", "AAPL", "stock", 600.0, 250.0],
        ["B", "AAPL", "stock", 100.0, 250.01],  # another account's snapshot: not a conflict
        ["C", "AAPL", "stock", 600.0, 250.0],
        ["C", "AAPL", "stock", -200.0, 250.01],
    ]
    accounts = read_accounts(rows, "account", AS_OF)
    assert list(accounts.errors) == [2]  # C alone, named by its rows and the price column
    assert "row 5, price: rows 4 and 5 hold AAPL stock at different prices" in str(accounts.errors[2])
    assert accounts.portfolio.arrays["row"].tolist() == [2, 3]


def test_an_account_with_a_bad_cell_and_another_with_two_prices_each_get_their_error_row() -> None:
    """The reader's problems (A's price) are placed first; the table read again without A, B's two
    prices for one stock are found then and placed on B; C is margined: 10 × 100 × 50% = 500."""
    from xlmargin.batch.accounts import read_accounts

    rows = [
        ["account", "symbol", "type", "quantity", "price"],
        ["A", "MSFT", "stock", 100.0, "abc"],
        ["B", "AAPL", "stock", 100.0, 200.0],
        ["B", "AAPL", "stock", 50.0, 201.0],
        ["C", "IBM", "stock", 10.0, 100.0],
    ]
    accounts = read_accounts(rows, "account", AS_OF)
    assert sorted(accounts.errors) == [0, 1]
    assert "row 2, price" in str(accounts.errors[0])
    assert "rows 3 and 4 hold AAPL stock at different prices" in str(accounts.errors[1])
    out = batch(pd.DataFrame(rows[1:], columns=rows[0]), by="account", regime="regt", as_of=AS_OF)
    assert out["requirement"].tolist()[2] == 500.0
    assert out["error"].tolist()[0].startswith("#INPUT row 2, price")


def test_the_package_is_the_function_after_import_xlmargin_alone() -> None:
    """Issue 13's ``xlmargin.batch(df, by="account")``: reached after ``import xlmargin`` alone (a
    fresh interpreter) and the same table as ``xlmargin.batch.batch``."""
    import subprocess
    import sys

    code = (
        "import datetime as dt, pandas as pd, xlmargin\n"
        "df = pd.DataFrame([['A', 'AAPL', 'stock', 100.0, 200.0], ['B', 'MSFT', 'stock', -10.0, 400.0]],"
        " columns=['account', 'symbol', 'type', 'quantity', 'price'])\n"
        "one = xlmargin.batch(df, by='account', regime='regt', as_of=dt.date(2026, 12, 4))\n"
        "two = xlmargin.batch.batch(df, by='account', regime='regt', as_of=dt.date(2026, 12, 4))\n"
        "assert one.equals(two)\n"
        "print(one['requirement'].tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[10000.0, 2000.0]"  # 50% of 20,000 long; 50% of 4,000 short


def test_the_callable_package_pickles_by_name_for_dask() -> None:
    """``client.submit(xlmargin.batch, ...)`` pickles the function: by reference, as modules are."""
    import pickle

    import cloudpickle

    import xlmargin.batch as package

    assert cloudpickle.loads(cloudpickle.dumps(package)) is package
    assert pickle.loads(pickle.dumps(package)) is package
