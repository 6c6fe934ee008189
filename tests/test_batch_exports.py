"""``xlmargin batch`` on an IBKR Flex report of several accounts: each account's row equals
``xlmargin margin`` on that account's own one-account report, to the cent.

The report is built from the Flex fixture (tests/data/ibkr_flex.xml): each account holds its
positions at its own quantities, some in an account based in euros (rates to EUR, its base stated
by ``<AccountInformation>`` or only shown by its rates), and is then split into one file per account,
each margined by the ``margin`` command. Expected figures are never typed in: they are the
command's own output on the split files (a regression comparison, not a published example).
"""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xlmargin.batch import batch
from xlmargin.cli import main

DATA = Path(__file__).parent / "data"
AS_OF = "2025-12-31"  # the fixture's reportDate
EUR_PER_USD = 1 / 1.1745  # the fixture's EUR at 1.1745 USD
FIXTURE = (DATA / "ibkr_flex.xml").read_text(encoding="utf-8")
POSITIONS = re.findall(r"<OpenPosition .*?/>", FIXTURE)
HEAD = FIXTURE[: FIXTURE.index("<FlexStatements")]


def _statement(account: str, seed: int, base: str | None) -> str:
    """One account's <FlexStatement>: the fixture's positions scaled by a factor of its own, some
    options left out or turned around, in a USD account (``base`` None or "USD") or one based in
    euros ("EUR": stated; "EUR?": only shown by the rates)."""
    rng = random.Random(seed)
    factor = rng.randint(1, 5)
    rows = []
    for row in POSITIONS:
        if 'assetCategory="OPT"' in row and rng.random() < 0.3:
            continue
        sign = -1 if 'assetCategory="OPT"' in row and rng.random() < 0.3 else 1

        def scaled(m: re.Match[str], sign: int = sign) -> str:
            return f'position="{sign * factor * float(m.group(1)):g}"'

        row = re.sub(r'position="([-0-9.]+)"', scaled, row).replace(
            'accountId="U1234567"', f'accountId="{account}"'
        )
        if base and base.startswith("EUR"):
            row = row.replace('fxRateToBase="1"', f'fxRateToBase="{EUR_PER_USD!r}"').replace(
                '"1.1745"', '"1"'
            )
        rows.append(row)
    info = (
        f'<AccountInformation accountId="{account}" currency="{base}" />\n' if base in ("EUR", "USD") else ""
    )
    return (
        f'<FlexStatement accountId="{account}" fromDate="20251231" toDate="20251231">\n{info}'
        "<OpenPositions>\n" + "\n".join(rows) + "\n</OpenPositions>\n</FlexStatement>\n"
    )


def _report(statements: list[str]) -> str:
    body = "".join(statements)
    return (
        f'{HEAD}<FlexStatements count="{len(statements)}">\n{body}</FlexStatements>\n</FlexQueryResponse>\n'
    )


ACCOUNTS = {"U100": None, "U200": "EUR", "U300": "USD", "U400": "EUR?", "U500": "EUR"}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The report of every account, and each account's own one-account report."""
    folder = tmp_path_factory.mktemp("flex")
    statements = {a: _statement(a, seed, base) for seed, (a, base) in enumerate(ACCOUNTS.items())}
    path = folder / "report.xml"
    path.write_text(_report(list(statements.values())), encoding="utf-8")
    alone = {}
    for account, statement in statements.items():
        alone[account] = folder / f"{account}.xml"
        alone[account].write_text(_report([statement]), encoding="utf-8")
    return path, alone


def _margin(path: Path, regime: str, params: list[str], capsys: Any) -> float | str:
    """``xlmargin margin``'s requirement for the one-account report, or its error line (Reg T's
    basis, a batch parameter, is margin's option)."""
    args = ["margin", str(path), "--regime", regime, "--as-of", AS_OF, "--format", "json"]
    options = [f"--{p.replace('=', ' ')}" if p.startswith("basis=") else f"--param={p}" for p in params]
    code = main([*args, *" ".join(options).split()])
    printed = capsys.readouterr()
    if code:
        return printed.err.strip().splitlines()[-1]
    return float(json.loads(printed.out)["requirement"])


def _rows_out(message: str) -> str:
    return re.sub(r"\brows? \d+", "row N", message)


def _batch(path: Path, regime: str, params: list[str], capsys: Any, *more: str) -> pd.DataFrame:
    args = [
        "batch",
        str(path),
        "--regime",
        regime,
        "--as-of",
        AS_OF,
        *(f"--param={p}" for p in params),
        *more,
    ]
    code = main(args)
    printed = capsys.readouterr()
    frame = pd.read_csv(io.StringIO(printed.out), keep_default_na=False, dtype={"account": str})
    assert code == (1 if (frame["error"] != "").any() else 0), printed.err
    return frame


@pytest.mark.parametrize(
    ("regime", "params"),
    [
        ("pm", []),
        ("regt", []),
        ("regt", ["basis=maintenance"]),
        ("account", []),
        ("account", ["account_currency=EUR"]),  # fx.USD from each euro account's own export
        ("risk", []),
    ],
)
def test_each_account_of_a_report_equals_margin_on_its_own_report(
    report: tuple[Path, dict[str, Path]], regime: str, params: list[str], capsys: Any
) -> None:
    path, alone = report
    frame = _batch(path, regime, params, capsys)
    assert frame["account"].tolist() == list(ACCOUNTS)
    for account, requirement, error in zip(
        frame["account"], frame["requirement"], frame["error"], strict=True
    ):
        expected = _margin(alone[account], regime, params, capsys)
        if isinstance(expected, str):  # margin refuses the account: so does its row
            # the same message, its rows being the report's lines instead of the account's file's
            assert error and _rows_out(error.partition(" ")[2]) in _rows_out(expected), (account, error)
        else:
            assert error == "", (account, error)
            assert float(requirement) == expected, account
    if params == ["account_currency=EUR"]:  # the euro accounts margined, the dollar ones asking for fx.USD
        based = {a for a, base in ACCOUNTS.items() if base and base.startswith("EUR")}
        assert set(frame.loc[frame["error"] == "", "account"]) == based
        assert all("fx.USD" in e for e in frame.loc[frame["error"] != "", "error"])


def test_the_accounts_have_their_own_figures(report: tuple[Path, dict[str, Path]]) -> None:
    """Guards the comparison above: the accounts differ, and a euro account's rates were read to
    its own base (its figures equal the dollar account holding the same positions)."""
    path, alone = report
    frame = batch(path, regime="regt", as_of=AS_OF)
    assert frame["requirement"].nunique() > 1
    same_book = _report([_statement("U900", 1, None)])  # U200's positions in a dollar account
    dollars = alone["U200"].with_name("U900.xml")
    dollars.write_text(same_book, encoding="utf-8")
    assert batch(dollars, regime="regt", as_of=AS_OF)["requirement"][0] == pytest.approx(
        frame.set_index("account")["requirement"]["U200"], abs=0.01
    )


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _spoilt(statement: str, symbol: str, attribute: str, value: str) -> str:
    """``statement`` with ``attribute`` of its first row of ``symbol`` set to ``value``."""
    row = next(r for r in re.findall(r"<OpenPosition .*?/>", statement) if f'symbol="{symbol}"' in r)
    return statement.replace(row, re.sub(f'{attribute}="[^"]*"', f'{attribute}="{value}"', row, count=1), 1)


def test_a_bad_account_gets_its_error_row_naming_line_and_field(tmp_path: Path, capsys: Any) -> None:
    """One statement's malformed position, another's unknown asset class: those two accounts get
    their error rows, naming the report's line and the Flex field; the others are margined, the
    results written, and the exit code is 1."""
    statements = [_statement(a, seed, base) for seed, (a, base) in enumerate(ACCOUNTS.items())]
    statements[1] = _spoilt(statements[1], "MSFT", "position", "3OO")
    statements[3] = _spoilt(statements[3], "SPY", "assetCategory", "WARRANT")
    text = _report(statements)
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    assert main(["batch", str(path), "--as-of", AS_OF, "-o", str(tmp_path / "out.csv")]) == 1
    assert "2 of 5 accounts have errors: U200 (row " in capsys.readouterr().err
    frame = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    errors = dict(zip(frame["account"], frame["error"], strict=True))
    bad = _line_of(text, 'position="3OO"')
    assert errors["U200"] == f"#INPUT row {bad}, position: '3OO' is not a number"
    assert errors["U400"].startswith(f"#INPUT row {_line_of(text, 'WARRANT')}, assetCategory: ")
    assert [a for a, e in errors.items() if not e] == ["U100", "U300", "U500"]
    assert frame.set_index("account").loc[["U200", "U400"], "requirement"].eq("").all()
    assert (frame.set_index("account").loc[["U100", "U300", "U500"], "requirement"] != "").all()


def test_batch_on_dask_gives_the_same_table_for_a_report(report: tuple[Path, dict[str, Path]]) -> None:
    distributed = pytest.importorskip("distributed")
    path, _ = report
    with (
        distributed.LocalCluster(processes=False, n_workers=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        for regime, params in (("pm", {}), ("account", {"account_currency": "EUR"})):
            alone = batch(path, regime=regime, as_of=AS_OF, params=params)
            pd.testing.assert_frame_equal(
                batch(path, regime=regime, as_of=AS_OF, params=params, dask=client), alone
            )


def test_the_python_api_takes_a_report_and_a_positions_file(
    report: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    path, _ = report
    by_path = batch(str(path), regime="pm", as_of=AS_OF)
    assert by_path["account"].tolist() == list(ACCOUNTS) and (by_path["error"] == "").all()
    table = tmp_path / "book.csv"
    table.write_text("account,symbol,quantity,price\nA,IBM,100,228.50\nB,IBM,-100,228.50\n")
    assert (
        batch(table, regime="regt", as_of=AS_OF)["requirement"].tolist()
        == batch(
            [["account", "symbol", "quantity", "price"], ["A", "IBM", 100, 228.5], ["B", "IBM", -100, 228.5]],
            regime="regt",
            as_of=AS_OF,
        )["requirement"].tolist()
    )


@pytest.mark.parametrize("name", ["ibkr_statement.csv", "ibkr_portfolio.csv"])
def test_the_csv_exports_are_refused_saying_which_export_batch_reads(name: str, capsys: Any) -> None:
    assert main(["batch", str(DATA / name), "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert "IBKR Flex Query XML report" in err and f"xlmargin margin {name}" in err


def test_margin_refuses_a_report_of_several_accounts_pointing_to_batch(
    report: tuple[Path, dict[str, Path]], capsys: Any
) -> None:
    path, _ = report
    for command in (["margin", str(path)], ["whatif", str(path), str(path)]):
        assert main([*command, "--as-of", AS_OF]) == 2
        err = capsys.readouterr().err
        assert f"holds {len(ACCOUNTS)} accounts" in err and f"'xlmargin batch {path.name}'" in err


def test_a_report_on_one_line_numbers_its_positions_through_the_report(tmp_path: Path) -> None:
    """Written on one line, the positions are numbered from 2 through the report, so the second
    account's error names none of the first account's rows."""
    statements = [_statement(a, seed, base) for seed, (a, base) in enumerate(list(ACCOUNTS.items())[:2])]
    statements[1] = _spoilt(statements[1], "MSFT", "position", "x")
    path = tmp_path / "oneline.xml"
    path.write_text(_report(statements).replace("\n<", "<"), encoding="utf-8")
    frame = batch(path, regime="regt", as_of=AS_OF)
    assert frame["error"][0] == "" and not np.isnan(frame["requirement"][0])
    found = re.match(r"#INPUT row (\d+), position: 'x' is not a number$", frame["error"][1])
    assert found is not None and int(found.group(1)) >= 2 + frame["positions"][0]
    assert np.isnan(frame["requirement"][1])


def test_a_report_without_positions_is_refused_as_a_whole(tmp_path: Path) -> None:
    from xlmargin.errors import InputError

    path = tmp_path / "empty.xml"
    path.write_text(_report(['<FlexStatement accountId="U1"></FlexStatement>'] * 2), encoding="utf-8")
    with pytest.raises(InputError, match="no OpenPosition rows"):
        batch(path, as_of=AS_OF)


def _one_statement(statements: list[str], account: str) -> str:
    """The statements' positions and account information in one ``<FlexStatement>`` whose
    ``accountId`` is ``account`` ("": none), each position keeping its own ``accountId``."""
    inner = "".join(re.findall(r"<AccountInformation .*?/>\n", "".join(statements)))
    rows = [row for s in statements for row in re.findall(r"<OpenPosition .*?/>", s)]
    named = f' accountId="{account}"' if account else ""
    return (
        f'<FlexStatement{named} fromDate="20251231" toDate="20251231">\n{inner}'
        "<OpenPositions>\n" + "\n".join(rows) + "\n</OpenPositions>\n</FlexStatement>\n"
    )


@pytest.mark.parametrize("statement_account", ["U100", ""])
@pytest.mark.parametrize(
    ("regime", "params"), [("regt", []), ("pm", []), ("account", ["account_currency=EUR"])]
)
def test_positions_of_several_accounts_in_one_statement_are_split_by_their_own_account(
    report: tuple[Path, dict[str, Path]],
    statement_account: str,
    regime: str,
    params: list[str],
    tmp_path: Path,
    capsys: Any,
) -> None:
    """A statement holding positions of U100 and U200 (its accountId U100, or none): each account's
    row equals its own report's. Read before as one book of both accounts: the sum of the two."""
    path, _ = report
    apart = _batch(path, regime, params, capsys).set_index("account").loc[["U100", "U200"]].copy()
    statements = [_statement(a, seed, base) for seed, (a, base) in enumerate(list(ACCOUNTS.items())[:2])]
    together = tmp_path / "together.xml"
    together.write_text(_report([_one_statement(statements, statement_account)]), encoding="utf-8")
    frame = _batch(together, regime, params, capsys).set_index("account")
    for f in (frame, apart):  # an error names the row of the file it reads
        f["error"] = f["error"].map(_rows_out)
    pd.testing.assert_frame_equal(frame, apart)
    assert main(["margin", str(together), "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert "holds 2 accounts (U100, U200)" in err and f"'xlmargin batch {together.name}'" in err


def test_an_account_of_several_statements_gets_an_error_row_naming_their_dates_and_lines(
    report: tuple[Path, dict[str, Path]], tmp_path: Path, capsys: Any
) -> None:
    """A query run over two days reports U100 twice: its row is an error naming both statements'
    dates and lines (their positions were added up before), and the other accounts are margined."""
    path, _ = report
    before = _batch(path, "regt", [], capsys).set_index("account")
    statements = [_statement(a, seed, base) for seed, (a, base) in enumerate(ACCOUNTS.items())]
    earlier = statements[0].replace('toDate="20251231"', 'toDate="20251230"')
    text = _report([*statements, earlier])
    days = tmp_path / "days.xml"
    days.write_text(text, encoding="utf-8")
    frame = _batch(days, "regt", [], capsys).set_index("account")
    first, second = (_line_of(text, s) for s in ('accountId="U100" fromDate', 'toDate="20251230"'))
    assert frame.loc["U100", "error"] == (
        f"#INPUT days.xml: account U100 has 2 statements (toDate 20251231 at line {first}; toDate "
        f"20251230 at line {second}); margin is on one day's positions: run the Flex query for one day "
        "(Period: Last Business Day) or keep one <FlexStatement> per account"
    )
    assert frame.loc["U100", "requirement"] == ""
    others = list(ACCOUNTS)[1:]
    assert (
        frame.loc[others, "requirement"].astype(float).tolist() == before.loc[others, "requirement"].tolist()
    )


def test_margin_and_the_decisions_refuse_an_account_of_several_statements_in_one_line(
    tmp_path: Path, capsys: Any
) -> None:
    one = _statement("U100", 0, None)
    days = tmp_path / "days.xml"
    days.write_text(_report([one, one.replace('toDate="20251231"', 'toDate="20251230"')]), encoding="utf-8")
    trades = tmp_path / "trades.csv"
    trades.write_text("symbol,quantity,price\nIBM,100,228.50\n")
    for command in (
        ["margin", str(days)],
        ["whatif", str(days), str(trades)],
        ["hedge", str(days), str(trades)],
    ):
        assert main([*command, "--as-of", AS_OF]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "account U100 has 2 statements (toDate 20251231 at line " in err, err


def _pounds(account: str, symbol: str, quantity: int) -> str:
    """A statement of a EUR-based account holding one pound stock and no dollar row: its rate to
    EUR cannot be made USD per unit and is left blank (a warning of the export's reader)."""
    row = (
        f'<OpenPosition accountId="{account}" currency="GBP" fxRateToBase="1.15" assetCategory="STK" '
        f'subCategory="COMMON" symbol="{symbol}" conid="{len(symbol)}" multiplier="1" position="{quantity}" '
        'markPrice="20" levelOfDetail="SUMMARY" />'
    )
    return (
        f'<FlexStatement accountId="{account}" fromDate="20251231" toDate="20251231">\n'
        f'<AccountInformation accountId="{account}" currency="EUR" />\n<OpenPositions>\n{row}\n'
        "</OpenPositions>\n</FlexStatement>\n"
    )


def test_batch_prints_one_line_per_distinct_warning_naming_its_accounts(tmp_path: Path, capsys: Any) -> None:
    """margin prints the export's warning on stderr; batch printed none. Now each distinct warning
    is one line naming the accounts it concerns, with the rows it names in each."""
    params = ["account_currency=EUR", "fx.GBP=1.17", "fx.USD=0.85"]
    alone = tmp_path / "alone.xml"
    alone.write_text(_report([_pounds("U1", "VOD", 100)]), encoding="utf-8")
    assert (
        main(
            ["margin", str(alone), "--regime", "account", "--as-of", AS_OF, *(f"--param={p}" for p in params)]
        )
        == 0
    )
    single = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(single) == 1 and single[0].startswith("warning: row 7, fxRateToBase: ")
    text = _report([_pounds("U1", "VOD", 100), _pounds("U2", "BP", 200)])
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    frame = _batch(path, "account", params, capsys)
    assert (frame["error"] == "").all()
    # each account's row holds its export's warning too, as margin prints it for the account alone
    assert frame["warnings"][0] == single[0].removeprefix("warning: ")
    bp_line = _line_of(text, 'symbol="BP"')
    assert frame["warnings"][1].startswith(f"row {bp_line}, fxRateToBase: ")
    assert (
        main(["batch", str(path), "--regime", "account", "--as-of", AS_OF, *(f"--param={p}" for p in params)])
        == 0
    )
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    second = _line_of(text, 'symbol="BP"')
    assert warned == [
        f"warning: {single[0].removeprefix('warning: row 7, ')} (2 accounts: U1 (row 7), U2 (row {second}))"
    ]


def test_the_warnings_summary_is_capped() -> None:
    from xlmargin.batch.cli import LISTED, warnings_summary

    pairs = [(f"row {i}, price: odd", f"A{i}") for i in range(LISTED + 2)]
    pairs += [(f"note {k}", "") for k in range(2 * LISTED + 1)]
    lines = warnings_summary(pairs)
    assert (
        lines[0]
        == "price: odd (7 accounts: A0 (row 0), A1 (row 1), A2 (row 2), A3 (row 3), A4 (row 4) and 2 more)"
    )
    assert len(lines) == 2 * LISTED + 1 and lines[-1] == "and 2 more warnings"
