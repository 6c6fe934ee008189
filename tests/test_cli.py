"""`xlmargin margin` for every regime, inside workbooks, from broker exports, as table, CSV or JSON.

Expected figures are the worksheet functions' own on the same table (the command must agree with
Excel and the Python API to the cent), not published values.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from xlmargin import api
from xlmargin.cli import COMMAND_MODULES, build_parser, main, sample_positions
from xlmargin.excel import functions as fn
from xlmargin.money import cents
from xlmargin.textable import fmt, rate, render

DATA = Path(__file__).parent / "data"
TEMPLATE = Path("workbooks/hedge_comparison.xlsx")  # its positions table starts at A4
AS_OF = "2025-12-31"
FUTURES = "symbol,type,quantity,price,multiplier\nESZ6,future,2,6000,50\nNQZ6,future,-1,21000,20\n"
FX = (
    "symbol,type,quantity,price,currency,fx_rate\n"
    "EURUSD,fx,100000,1.1745,USD,0.8514\nXAUUSD,cfd,10,2650,USD,0.8514\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def figure(out: str) -> float:
    """The headline figure of table output: the number after the label's colon."""
    line = out.splitlines()[1]
    return float(line.rsplit(": ", 1)[1].replace(",", ""))


@pytest.mark.parametrize(
    ("regime", "text", "function", "args"),
    [
        ("regt", None, "regt_margin", ()),
        ("pm", None, "pm_requirement", ()),
        ("account", None, "account_margin", ()),
        ("risk", None, "risk_margin", ()),
        ("futures", FUTURES, "futures_margin", ()),
        ("esma", FX, "esma_margin", ("EUR",)),
    ],
)
def test_every_regime_prints_the_worksheet_figure(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    regime: str,
    text: str | None,
    function: str,
    args: tuple,
) -> None:
    path = sample_positions()
    if text is not None:
        path = tmp_path / f"{regime}.csv"
        path.write_text(text)
    code, out, _ = run(capsys, "margin", path, "--regime", regime, "--as-of", AS_OF)
    assert code == 0
    expected = getattr(fn, function)(api.rows_of(path), *args, params=[f"as_of={AS_OF}"])
    assert figure(out) == cents(expected)


def test_the_regime_is_read_in_any_case_as_the_cell_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    """``--regime RegT`` was refused ("invalid choice") where REGT in a cell and the decision
    commands' --regime are read in any case."""
    code, out, _ = run(capsys, "margin", sample_positions(), "--regime", "RegT", "--as-of", AS_OF)
    assert code == 0
    assert figure(out) == cents(fn.regt_margin(api.rows_of(sample_positions()), params=[f"as_of={AS_OF}"]))


def test_the_bundled_template_is_read_below_its_title(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "margin", TEMPLATE, "--regime", "pm", "--as-of", AS_OF)
    assert code == 0 and out.startswith("hedge_comparison.xlsx: 15 positions")
    expected = cents(fn.pm_requirement(api.rows_of(TEMPLATE), params=[f"as_of={AS_OF}"]))
    assert figure(out) == expected
    code, by_table, _ = run(
        capsys, "margin", TEMPLATE, "--table", "tblPositions", "--regime", "pm", "--as-of", AS_OF
    )
    assert code == 0 and figure(by_table) == expected


def test_a_missing_sheet_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "margin", TEMPLATE, "--sheet", "Book")
    assert code == 2 and out == ""
    assert err == "xlmargin: hedge_comparison.xlsx has no sheet 'Book'; sheets: Comparison, Positions, " \
        "Parameters, Scenarios, About\n"  # fmt: skip


@pytest.mark.parametrize("name", ["ibkr_flex.xml", "ibkr_statement.csv", "ibkr_portfolio.csv"])
def test_broker_exports_are_read_directly(capsys: pytest.CaptureFixture[str], name: str) -> None:
    _, canonical, _ = run(capsys, "margin", DATA / "ibkr_book.csv", "--regime", "pm", "--as-of", AS_OF)
    code, out, _ = run(capsys, "margin", DATA / name, "--regime", "pm", "--as-of", AS_OF)
    assert code == 0 and f"({name.split('.')[0].replace('_', '-')}" in out.splitlines()[0]
    assert figure(out) == figure(canonical) == 42_920.87  # SAP's euros in dollars (42,380.36 before)


def test_broker_errors_name_the_export_row_and_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "margin", DATA / "ibkr_flex.xml", "--as-of", "2026-02-01")
    assert code == 2
    assert (
        err.splitlines()[0]
        == "xlmargin: row 9, expiry: expiry 2026-01-16 is before the valuation date 2026-02-01"
    )


def test_a_decimal_comma_in_a_csv_file_is_one_line_naming_row_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "book.csv"
    path.write_text('symbol,quantity,price\nIBM,100,"228,50"\n')  # read as 22850 before
    code, out, err = run(capsys, "margin", path, "--as-of", AS_OF)
    assert code == 2 and out == ""
    assert err == (
        "xlmargin: row 2, price: '228,50' is not a number: a comma is read only as a thousands separator "
        "(1,234.5); use a point for decimals\n"
    )


def test_csv_and_json_carry_the_breakdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "margin", "--regime", "regt", "--as-of", AS_OF, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    expected = fn.regt_breakdown(api.rows_of(sample_positions()), params=[f"as_of={AS_OF}"])
    assert code == 0 and rows[0] == expected[0] and len(rows) == len(expected)
    code, out, _ = run(capsys, "margin", "--regime", "pm", "--as-of", AS_OF, "--format", "json")
    document = json.loads(out)
    assert document["requirement"] == figure(run(capsys, "margin", "--regime", "pm", "--as-of", AS_OF)[1])
    assert [len(t["columns"]) > 3 for t in document["tables"]] == [True, True]
    assert document["warnings"]  # the unconfirmed us_broad offset is flagged


def test_warnings_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "margin", "--regime", "pm", "--as-of", AS_OF)
    assert code == 0 and "warning" not in out
    assert err.startswith("warning: product group us_broad offsets")


def test_tables_wrap_to_the_width_and_lose_nothing() -> None:
    note = "a long explanation that would not fit beside the figures on a narrow terminal at all"
    rows = [
        ["level", "note", *(f"point {i}" for i in range(8))],
        ["class group", note, *map(float, range(8))],
    ]
    text = render(rows, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert all(word in text for word in note.split()) and "7.00" in text
    assert "…" not in text and "point 7" in text


def test_money_is_shown_to_the_cent_without_noise() -> None:
    assert render([["figure"], [48_400.000000000015]]).splitlines()[2] == "48,400.00"
    assert render([["figure"], [1_999_999.9999999998]]).splitlines()[2] == "2,000,000.00"


def test_every_option_of_every_command_has_help() -> None:
    # batch's --regime had none, nor hedge's --objective and plan's --regime (QA review)
    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert {"margin", "recalc", "batch", "whatif", "hedge", "plan"} <= set(commands.choices)  # type: ignore[attr-defined]
    for name, command in commands.choices.items():  # type: ignore[attr-defined]
        for action in command._actions:
            assert action.help, (name, action.dest)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("margin", "BOOK", "--regime", "pm"),
         "basis is not a parameter of --regime pm: --basis sets it for --regime regt, and --regime account "
         "takes --param basis=..."),
        (("margin", "BOOK", "--regime", "regt"),
         "basis is not a parameter of --regime regt: use the option --basis instead"),
        (("batch", "BOOK", "--regime", "pm"),
         "basis is not a parameter of --regime pm; --regime regt or account takes it"),
    ],
)  # fmt: skip
def test_a_param_that_is_an_option_or_another_regimes_is_hinted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...], message: str
) -> None:
    """`margin --param basis=...` said only "unknown parameter 'basis'" (QA review)."""
    path = tmp_path / "book.csv"
    path.write_text("account,symbol,type,quantity,price\nA,XYZ,stock,100,50\n", encoding="utf-8")
    argv = [str(path) if a == "BOOK" else a for a in command]
    code, out, err = run(capsys, *argv, "--as-of", AS_OF, "--param", "basis=maintenance")
    assert (code, out, err) == (2, "", f"xlmargin: --param basis=maintenance: {message}\n")
    code, out, err = run(
        capsys, "margin", path, "--regime", "account", "--as-of", AS_OF, "--param", "basis=maintenance"
    )
    assert code == 0  # the account view takes it


def test_the_batch_points_a_single_equity_to_each_accounts_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A batch under the risk view refuses --param equity naming the regimes that take one for every
    account, and the column that gives each account its own. Reg T takes it (its minimum-equity
    check, as REGT_MARGIN reads it): it was refused as no parameter of Reg T."""
    path = tmp_path / "book.csv"
    path.write_text("account,symbol,type,quantity,price\nA,XYZ,stock,100,50\n", encoding="utf-8")
    argv = ("batch", path, "--as-of", AS_OF, "--param", "equity=10000")
    code, out, err = run(capsys, *argv, "--regime", "risk")
    assert (code, out) == (2, "")
    assert err == (
        "xlmargin: --param equity=10000: equity is not a parameter of --regime risk; --regime pm or regt or "
        "account takes it; each account's own equity: --equity-column NAME\n"
    )
    code, out, err = run(capsys, *argv, "--regime", "regt")
    assert code == 0 and out.splitlines()[1].startswith("A,1,2500.0")


def test_a_closed_pipe_ends_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    read, write = os.pipe()
    os.close(read)
    with open(write, "w") as stream:  # the command points the descriptor at os.devnull
        monkeypatch.setattr(sys, "stdout", stream)
        assert main(["margin", "--regime", "pm", "--as-of", AS_OF]) == 0
        monkeypatch.undo()
    assert capsys.readouterr().err.startswith("warning:")  # only the warnings, no traceback


@pytest.mark.parametrize("argv", [["--help"], ["recalc", "--help"], ["freeze", "--help"]])
def test_the_help_states_the_exit_codes(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """1 (written, some results are errors) apart from 2 (bad input, nothing written): a script
    could not tell them apart when both were 2."""
    assert main(argv) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 done; 1 the output written (batch's results, recalc's or freeze's" in printed
    assert "2 bad input or usage, nothing written" in printed


def test_status_without_excel_says_so_and_succeeds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path))
    code, out, _ = run(capsys, "status")
    assert code == 0 and "Excel does not run on linux" in out


def test_each_command_module_adds_the_commands_the_cli_expects() -> None:
    def commands(parser: argparse.ArgumentParser) -> list[str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return list(sub.choices)

    for module, expected in COMMAND_MODULES.items():
        bare = argparse.ArgumentParser()
        importlib.import_module(module).register(bare.add_subparsers())
        assert tuple(commands(bare)) == expected, module
    every = [name for names in COMMAND_MODULES.values() for name in names]
    assert commands(build_parser()) == ["margin", "params", *every]
    assert commands(build_parser("recalc")) == ["margin", "params", "recalc", "freeze", "templates"]
    assert (
        commands(build_parser("no-such-command"))
        == commands(build_parser("--help"))
        == ["margin", "params", *every]
    )


def test_native_solver_output_never_reaches_stdout(tmp_path: Path) -> None:
    """HiGHS prints some MIP messages with ``printf`` whatever its options say: on this book's
    liquidation plan (scipy 1.17's HiGHS) ``HighsMipSolverData::transformNewIntegerFeasibleSolution
    tmpSolver.run();`` three times, into the command's table. Standard output holds what xlmargin
    prints only (native output goes to the null device while the engine runs), and a JSON document
    written through the kept descriptor still parses."""
    import subprocess

    from benchmarks.book import AS_OF as BOOK_AS_OF
    from benchmarks.book import book as bench_book
    from xlmargin.pm import pm_requirement, pm_settings
    from xlmargin.positions import read_positions

    rows = bench_book(60, 14, 10, seed=12)
    path = tmp_path / "book.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    portfolio = read_positions(rows, as_of=BOOK_AS_OF)
    equity = round(0.8 * pm_requirement(portfolio, pm_settings({}, BOOK_AS_OF)).requirement, 2)
    date = ["--as-of", BOOK_AS_OF.isoformat()]

    def command(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "xlmargin.cli", *args, *date],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        return done.stdout

    plan = command("plan", str(path), "--equity", f"{equity:.2f}")
    assert "Highs" not in plan
    assert plan.splitlines()[0].split()[:2] == ["line", "item"]  # the plan's table, first
    document = json.loads(command("margin", str(path), "--regime", "pm", "--format", "json"))
    assert document["positions"] == len(rows) - 1


def test_a_valuation_date_at_the_calendar_end_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """--as-of 9999-12-31 (or as_of in a params range) on a book with days to expiry was a
    ValueError traceback ("year 10000 is out of range"); each such row is now named."""
    code, out, err = run(capsys, "margin", "--as-of", "9999-12-31")
    assert code == 2 and out == ""
    assert err.startswith("xlmargin: row ") and "days from the valuation date 9999-12-31 run past" in err
    assert "Traceback" not in err
    from xlmargin.excel import udfs

    cell = udfs.PM_REQUIREMENT(api.rows_of(sample_positions()), [["as_of", "9999-12-31"]])
    assert cell.startswith("#INPUT row ") and "run past 9999-12-31" in cell


LATIN1 = b"symbol,quantity,price\nCAF\xe9,100,228.5\n"  # a CSV saved as 'CSV (Comma delimited)' in cp1252


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("latin1.csv", LATIN1, "latin1.csv is not UTF-8 text (byte 0xe9 on line 2); save it from Excel "
         "as 'CSV UTF-8 (Comma delimited)'"),
        ("semicolons.csv", b"symbol;quantity;price\nAAPL;100;228,5\n", "semicolons.csv: no header row "
         "naming symbol and quantity; its cells are separated by ';'"),
        ("fake.xlsx", b"hello", "fake.xlsx: not an Excel workbook (.xlsx/.xlsm is a zip archive)"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_positions_csv_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(data)
    code, out, err = run(capsys, "margin", tmp_path / name)
    assert code == 2 and out == ""
    assert err.startswith(f"xlmargin: {message}") and len(err.splitlines()) == 1


def test_excel_unicode_text_is_read_as_utf16_with_tabs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Excel's 'Unicode Text' export: UTF-16 with a byte-order mark, cells separated by tabs."""
    text = "symbol\ttype\tquantity\tprice\r\nCAFÉ\tstock\t100\t228.5\r\n"
    (tmp_path / "unicode.csv").write_bytes(text.encode("utf-16"))
    (tmp_path / "plain.csv").write_text(text.replace("\t", ","), encoding="utf-8")
    _, plain, _ = run(capsys, "margin", tmp_path / "plain.csv", "--as-of", AS_OF)
    code, out, _ = run(capsys, "margin", tmp_path / "unicode.csv", "--as-of", AS_OF)
    assert code == 0 and "CAFÉ" in out and figure(out) == figure(plain) == 11_425.00


@pytest.mark.parametrize(
    ("path", "message"), [(".", "is a folder, not a file"), (os.devnull, "is not a regular file")]
)
def test_a_folder_or_a_device_is_named_as_such(
    capsys: pytest.CaptureFixture[str], path: str, message: str
) -> None:
    code, _, err = run(capsys, "margin", path)
    assert code == 2 and err == f"xlmargin: {path} {message}\n"


def test_a_table_named_with_another_sheet_says_where_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    """It said "has no table 'tblPositions'; tables: tblPositions"."""
    code, _, err = run(capsys, "margin", TEMPLATE, "--table", "tblPositions", "--sheet", "Comparison")
    assert code == 2
    assert (
        err
        == "xlmargin: hedge_comparison.xlsx: table 'tblPositions' is on sheet 'Positions', not 'Comparison'\n"
    )
    code, _, err = run(capsys, "margin", TEMPLATE, "--table", "tblBook")
    assert (
        code == 2 and err == "xlmargin: hedge_comparison.xlsx has no table 'tblBook'; tables: tblPositions\n"
    )


def test_the_valuation_date_may_come_with_param_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--param as_of=...`` is a valuation date as ``--as-of`` is (it was refused as given twice:
    the command added its own); both at once, or twice, are refused in one line."""
    path = tmp_path / "book.csv"
    path.write_text("symbol,type,quantity,price\nAAPL,stock,100,228.5\n", encoding="utf-8")
    code, out, _ = run(capsys, "margin", path, "--param", "as_of=2026-11-20")
    assert code == 0 and "valued 2026-11-20" in out
    code, out, _ = run(capsys, "margin", path, "--as-of", "2026-11-20")
    assert code == 0 and "valued 2026-11-20" in out
    for argv in (("--param", "as_of=2026-11-20", "--as-of", "2026-11-21"),
                 ("--param", "as_of=2026-11-20", "--param", "AS OF=2026-11-21")):  # fmt: skip
        code, _, err = run(capsys, "margin", path, *argv)
        assert code == 2 and err.strip() == (
            "xlmargin: the valuation date is given more than once: give one --as-of or as_of"
        )
    code, _, err = run(capsys, "margin", path, "--param", "as_of=soon")
    assert code == 2 and "xlmargin: --param as_of=soon: 'soon' is not a date" in err
    code, out, _ = run(capsys, "whatif", path, path, "--regime", "pm", "--param", "as_of=2026-11-20")
    assert code == 0, out


def test_a_sleeve_list_with_an_unknown_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "margin", "--regime", "pm", "--as-of", AS_OF, "--param", "sleeve=hedge,cor")
    assert (code, out) == (2, "")
    assert err == (
        "xlmargin: --param sleeve=hedge,cor: sleeve: no position is in sleeve 'cor'; "
        "sleeves found: core, hedge\n"
    )


def test_margin_counts_the_positions_of_the_sleeve(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "margin", "--as-of", AS_OF, "--param", "sleeve=hedge")
    assert code == 0 and out.startswith("sample_positions.csv: 3 positions,")  # TLT, GLD, the Treasury
    code, out, _ = run(capsys, "margin", "--as-of", AS_OF, "--param", "sleeve=hedge", "--format", "json")
    assert code == 0 and json.loads(out)["positions"] == 3
    code, out, _ = run(capsys, "margin", "--as-of", AS_OF)
    assert code == 0 and out.startswith("sample_positions.csv: 19 positions,")


@pytest.mark.parametrize("option", ["--requirement", "--req", "--requirement=-5"])
def test_an_options_refusal_names_the_option(capsys: pytest.CaptureFixture[str], option: str) -> None:
    values = () if "=" in option else ("-5",)
    code, out, err = run(capsys, "cushion", "--equity", "100", option, *values)
    assert (code, out) == (2, "")
    assert err == "xlmargin: argument --requirement: a requirement cannot be negative, got -5\n"


def test_the_account_view_prints_its_segments_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    params = ("--param", "securities=pm", "--param", "equity=50000")
    code, _, err = run(capsys, "margin", "--regime", "account", "--as-of", AS_OF, *params)
    assert code == 0
    assert "warning: equity 50,000.00 is below the FINRA 4210(g) minimum of 100,000" in err
    code, out, _ = run(capsys, "margin", "--regime", "account", "--as-of", AS_OF, *params, "--format", "json")
    assert any(w.startswith("equity 50,000.00 is below") for w in json.loads(out)["warnings"])


@pytest.mark.parametrize(
    ("regime", "options", "message"),
    [
        ("pm", ("--basis", "maintenance"), "--basis applies to --regime regt only, not pm"),
        ("pm", ("--net",), "--net applies to --regime regt only, not pm"),
        ("esma", ("--net",), "--net applies to --regime regt only, not esma"),
        ("risk", ("--basis", "initial"), "--basis applies to --regime regt only, not risk"),
        ("account", ("--basis", "maintenance"),
         "--basis applies to --regime regt only, not account (the account view takes --param basis=...)"),
        ("regt", ("--account-currency", "USD"), "--account-currency applies to --regime esma only, not regt"),
        ("account", ("--account-currency", "USD"), "--account-currency applies to --regime esma only, not "
         "account (the account view takes --param account_currency=...)"),
    ],
)  # fmt: skip
def test_an_option_of_another_regime_is_refused(
    capsys: pytest.CaptureFixture[str], regime: str, options: tuple[str, ...], message: str
) -> None:
    """`--regime pm --basis maintenance` printed portfolio margin as if the basis had not been given."""
    code, out, err = run(capsys, "margin", "--regime", regime, *options, "--as-of", AS_OF)
    assert (code, out, err) == (2, "", f"xlmargin: {message}\n")


def test_the_reg_t_options_still_apply_to_reg_t(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "margin", "--regime", "regt", "--basis", "maintenance", "--net", "--as-of", AS_OF
    )
    assert code == 0 and out.splitlines()[1].startswith(
        "Reg T maintenance requirement (net of short-option proceeds): "
    )
    code, out, _ = run(capsys, "margin", "--as-of", AS_OF)
    assert code == 0 and out.splitlines()[1].startswith("Reg T initial requirement (gross): ")


def test_counts_and_row_numbers_print_whole(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The account view's positions per segment printed as 19.00, the risk view's scenario count as
    56.00 and ESMA's row numbers as 2.00; ESMA's margin rate of 1/30 (30:1) as 0.03."""
    _, out, _ = run(capsys, "margin", "--regime", "account", "--as-of", AS_OF)
    lines = out.splitlines()
    assert lines[5].split()[:4] == ["securities", "Reg", "T", "initial"] and lines[5].split()[-2] == "19"
    assert lines[-1].split()[:2] == ["total", "(initial)"] and lines[-1].split()[-2] == "19"
    _, out, _ = run(capsys, "margin", "--regime", "risk", "--as-of", AS_OF)
    counted = [line.split() for line in out.splitlines() if line.startswith("scenarios ")]
    assert counted == [["scenarios", "56"]]
    path = tmp_path / "fx.csv"
    path.write_text(FX)
    _, out, _ = run(capsys, "margin", path, "--regime", "esma", "--as-of", AS_OF)
    header, _, first, second = out.splitlines()[3:7]
    assert "margin rate (%)" in header
    rate = header.index("margin rate (%)") + len("margin rate (%)")  # the column's right edge
    assert first.split()[:2] == ["2", "EURUSD"] and first[:rate].split()[-1] == "3.33"  # ESMA: 30:1, 3.33%
    assert second.split()[:2] == ["3", "XAUUSD"] and second[:rate].split()[-1] == "5.00"  # gold: 20:1, 5%


def test_esma_prints_row_numbers_as_messages_name_them_and_rates_to_their_digits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Row 1200 printed as 1,200 (the messages say row 1200) and an fx_rate of 0.8514 as 0.85; the
    notional keeps its thousands separators."""
    path = tmp_path / "far.csv"
    path.write_text(
        "symbol,type,quantity,price,currency,fx_rate\n" + "\n" * 1198
        + "XAUUSD,cfd,10,2650,USD,0.8514\nUSDJPY,cfd,-1000,157.25,JPY,0.005471\n"
    )  # fmt: skip
    code, out, _ = run(capsys, "margin", path, "--regime", "esma", "--as-of", AS_OF)
    first, second = (line.split() for line in out.splitlines()[5:7])
    assert code == 0 and first[:2] == ["1200", "XAUUSD"] and second[:2] == ["1201", "USDJPY"]
    assert first[5:7] == ["22,562.10", "0.8514"] and second[6] == "0.005471"


def test_a_column_prints_by_its_header_s_meaning() -> None:
    """A column headed row (ESMA's, the contribution table's, a report range's) holds row numbers,
    printed whole without separators, also as the float a report range may read back; an fx rate
    column its significant digits; any other column by fmt."""
    table = [
        ["row", "fx rate (EUR per unit)", "positions", "notional"],
        [1200, 0.8514, 1200, 1200.0],
        [12000.0, 157.2345, 3, 0.0000565],
        ["total", 1.0, 0.0000565, ""],
    ]
    assert [line.split() for line in render(table).splitlines()[2:]] == [
        ["1200", "0.8514", "1,200", "1,200.00"],
        ["12000", "157.234", "3", "0.00"],
        ["total", "1.00", "0.00"],
    ]
    rates = [rate(0.0000565), rate(1 / 1.1745), rate(-2.5), rate(0.0)]
    assert rates == ["0.0000565", "0.851426", "-2.50", "0.00"]


def test_text_cells_print_amounts_to_the_cent_and_counts_whole() -> None:
    assert [fmt(19), fmt(1200), fmt(19.0), fmt(48400.00000000001), fmt(True)] == [
        "19", "1,200", "19.00", "48,400.00", "TRUE",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ("margin", "BOOK", "--regime", "account"),
        ("batch", "BOOK", "--regime", "pm"),
        ("whatif", "BOOK", "BOOK"),
        ("hedge", "BOOK", "BOOK"),
        ("plan", "BOOK", "--equity", "10000"),
    ],
)
def test_a_bad_param_is_named_by_its_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`batch --param` errors began "row 1, params:", a range the command line does not have; each
    command that takes --param now names the option, and refuses a name given twice or no NAME=VALUE."""
    path = tmp_path / "book.csv"
    path.write_text("account,symbol,type,quantity,price\nA,XYZ,stock,100,50\n", encoding="utf-8")
    argv = [str(path) if a == "BOOK" else a for a in command]
    for params, message in (
        (("rate=high",), "--param rate=high: rate: 'high' is not a number"),
        (
            ("rate=0.01", "RATE=0.02"),
            "--param RATE=0.02: parameter 'rate' is given twice (also --param rate=0.01)",
        ),
        (("rate",), "--param rate: not NAME=VALUE"),
        (("rate=",), "--param rate=: no value given"),  # the worksheet's wording spoke of its rows
    ):
        code, out, err = run(capsys, *argv, "--as-of", AS_OF, *(x for p in params for x in ("--param", p)))
        assert (code, out, err) == (2, "", f"xlmargin: {message}\n")
