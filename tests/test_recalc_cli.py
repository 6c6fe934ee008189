"""``xlmargin recalc / freeze / templates``: what they print, what they write, and how they fail.

The commands are driven through ``register(subparsers)`` on a bare parser, the contract with
``xlmargin.cli``. Expected figures are the worksheet functions' own (regression consistency, not
published numbers).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import REPO
from xlmargin.textable import render
from xlmargin.workbook.cli import _as_table, register
from xlmargin.workbook.ranges import Shown

HEDGE = REPO / "workbooks" / "hedge_comparison.xlsx"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol3;</workbook>'
)


def xlmargin(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser(prog="xlmargin")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return int(args.handler(args))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


def test_recalc_prints_the_comparison_table_and_leaves_the_input_alone(tmp_path: Path, capsys) -> None:
    before = digest(HEDGE)
    out = tmp_path / "hedge.recalc.xlsx"
    assert xlmargin("recalc", HEDGE, "-o", out) == 0
    printed = capsys.readouterr().out
    assert digest(HEDGE) == before
    sheet = openpyxl.load_workbook(out, data_only=True)["Comparison"]
    assert "Comparison!A4:I8" in printed
    for row in range(5, 9):
        line = next(text for text in printed.splitlines() if text.startswith(sheet[f"A{row}"].value))
        assert f"{sheet[f'B{row}'].value:,.2f}" in line  # upfront equity
        assert f"{100 * sheet[f'C{row}'].value:,.2f}" in line  # efficiency, in %
    assert "Efficiency vs Reg T (%)" in printed
    assert all(len(line) <= 120 for line in printed.splitlines()[1:])
    assert "hold an error" not in printed


def test_recalc_writes_beside_the_input_by_default_and_in_place_on_request(tmp_path: Path, capsys) -> None:
    book = tmp_path / "book.xlsx"
    shutil.copy(REPO / "workbooks" / "allocation_template.xlsx", book)
    assert xlmargin("recalc", book) == 0
    beside = tmp_path / "book.recalc.xlsx"
    assert openpyxl.load_workbook(beside, data_only=True)["Margin"]["B9"].value > 0
    assert openpyxl.load_workbook(book, data_only=True)["Margin"]["B9"].value is None
    assert xlmargin("recalc", book, "--in-place") == 0
    assert openpyxl.load_workbook(book, data_only=True)["Margin"]["B9"].value == pytest.approx(
        openpyxl.load_workbook(beside, data_only=True)["Margin"]["B9"].value
    )
    assert "Margin!A8:D11" in capsys.readouterr().out


def test_recalc_of_a_bundled_template_needs_no_repository(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert xlmargin("recalc", "--template", "netting_example") == 0
    assert (tmp_path / "netting_example.recalc.xlsx").is_file()
    printed = capsys.readouterr().out
    assert "27,000.00" in printed  # case 3: the article's two stocks, nothing nets


def _book_with_a_bad_row(path: Path, *formulas: tuple[str, str]) -> Path:
    """SPY in row 2, and in row 3 a quantity that is not a number; ``formulas`` as (cell, formula)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Book"
    for row in (
        ["symbol", "type", "quantity", "price"],
        ["SPY", "etf", 100, 690.0],
        ["IBM", "stock", "x", 1.0],
    ):
        ws.append(row)
    for cell, formula in formulas:
        ws[cell] = formula
    book.save(path)
    return path


def test_a_workbook_without_report_ranges_gets_one_line_per_xlmargin_cell(tmp_path: Path, capsys) -> None:
    """The cell where PM_REQUIREMENT fails is listed on stderr and the exit code is 1 (it was 0,
    the error shown among the results only); the workbook is written all the same."""
    path = _book_with_a_bad_row(
        tmp_path / "plain.xlsx",
        ("F1", "=PM_REQUIREMENT(A1:D2)"), ("F2", "=PM_REQUIREMENT(A1:D3)"), ("F3", "=F1*2"), ("F4", "=1/0"),
    )  # fmt: skip
    assert xlmargin("recalc", path, "-o", tmp_path / "out.xlsx") == 1
    printed, err = capsys.readouterr()
    assert re.search(r"Book!F1\s+PM_REQUIREMENT\s+5,520\.00", printed)
    assert "1 cells hold an Excel error value:\n  Book!F4: #DIV/0!" in printed
    assert err == (
        f"xlmargin: 1 cell holds an xlmargin error (written to {tmp_path / 'out.xlsx'}):\n"
        "  Book!F2: #INPUT row 3 of the range, quantity: 'x' is not a number\n"
    )
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")["Book"]["F3"].value == "=F1*2"


def test_many_failures_are_grouped_by_the_error_they_quote(tmp_path: Path, capsys) -> None:
    """One bad cell that 45 formulas read printed 45 lines (and "... and 5 more" after the first 40),
    the cause repeated in each and the cells reading a failed requirement quoting it inside their
    own: more failures than are listed one by one are grouped by the innermost error they quote."""
    formulas = [(f"F{r}", "=PM_REQUIREMENT(A1:D3)") for r in range(1, 44)]
    formulas += [("G1", "=MARGIN_CUSHION(100000, F1)"), ("G2", "=MARGIN_CUSHION(100000, 1/0)")]
    path = _book_with_a_bad_row(tmp_path / "many.xlsx", *formulas)
    out = tmp_path / "out.xlsx"
    assert xlmargin("recalc", path, "-o", out) == 1
    assert capsys.readouterr().err == (
        f"xlmargin: 45 cells hold an xlmargin error (written to {out}), from 2 causes:\n"
        "  #INPUT row 3 of the range, quantity: 'x' is not a number\n"
        "    in 44 cells: Book!F1, Book!G1, Book!F2, Book!F3, Book!F4 and 39 more\n"
        "  #INPUT requirement: the cell holds the error value #DIV/0!\n"
        "    in 1 cell: Book!G2\n"
    )


@pytest.mark.parametrize("command", ["recalc", "freeze"])
def test_cells_where_a_function_failed_are_listed_and_exit_1(tmp_path: Path, capsys, command: str) -> None:
    """recalc and freeze exited 0 over cells holding an xlmargin error; INDEX of a table whose
    function failed holds Excel's #REF!, listed with the function it calls. The output is written."""
    path = _book_with_a_bad_row(
        tmp_path / "bad.xlsx",
        ("F1", "=PM_REQUIREMENT(A1:D2)"), ("F2", "=INDEX(PM_SCENARIOS(A1:D3), 2, 3)"),
        ("F3", "=REGT_MARGIN(A1:D3)"),
    )  # fmt: skip
    out = tmp_path / "out.xlsx"
    assert xlmargin(command, path, "-o", out) == 1
    assert capsys.readouterr().err == (
        f"xlmargin: 2 cells hold an xlmargin error (written to {out}):\n"
        "  Book!F3: #INPUT row 3 of the range, quantity: 'x' is not a number\n"
        "  Book!F2: #REF! in a formula calling PM_SCENARIOS, which failed: #INPUT row 3 of the range, "
        "quantity: 'x' is not a number\n"
    )
    assert openpyxl.load_workbook(out)["Book"]["F1"].value is not None


def test_a_failed_cell_in_place_is_written_with_exit_1_and_bad_input_is_2(tmp_path: Path, capsys) -> None:
    """Exit 1 says the workbook was written (here the input itself) though a cell holds an error;
    2 says nothing was written (both were 2)."""
    path = _book_with_a_bad_row(tmp_path / "inplace.xlsx", ("F1", "=PM_REQUIREMENT(A1:D3)"))
    before = digest(path)
    assert xlmargin("recalc", path, "--in-place") == 1
    assert digest(path) != before
    assert "Book!F1: #INPUT row 3 of the range, quantity: 'x' is not a number" in capsys.readouterr().err
    before = digest(path)
    assert xlmargin("recalc", path, "--in-place", "--template", "netting_example") == 2
    assert digest(path) == before


def test_the_workbooks_own_errors_beside_an_xlmargin_call_are_not_its_failure(tmp_path: Path, capsys) -> None:
    """``NA()`` left on purpose (a chart's gaps) and a division by zero around a PM_REQUIREMENT that
    succeeded are the workbook's errors, listed as such with exit 0; a #REF! where a function failed
    is listed once, on stderr, not again among Excel's error values."""
    path = _book_with_a_bad_row(
        tmp_path / "own.xlsx",
        ("F1", "=IF(C2>1000,PM_REQUIREMENT(A1:D2),NA())"), ("F2", "=PM_REQUIREMENT(A1:D2)/H1"),
    )  # fmt: skip
    assert xlmargin("recalc", path, "-o", tmp_path / "own_out.xlsx") == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "2 cells hold an Excel error value" in captured.out
    bad = _book_with_a_bad_row(tmp_path / "ref.xlsx", ("F2", "=INDEX(PM_SCENARIOS(A1:D3), 2, 3)"))
    assert xlmargin("recalc", bad, "-o", tmp_path / "ref_out.xlsx") == 1
    captured = capsys.readouterr()
    assert "Book!F2: #REF! in a formula calling PM_SCENARIOS, which failed: #INPUT row 3" in captured.err
    assert "Excel error value" not in captured.out


@pytest.mark.parametrize("command", ["recalc", "freeze"])
def test_a_failed_call_counts_whatever_its_formula_makes_of_it(tmp_path: Path, capsys, command: str) -> None:
    """A failure is judged by the call's own result: MATCH over a failed table shows #N/A (exit 0
    before, judged by the value #REF!/#VALUE! alone) and COUNT of it 0, a number, so the failed
    function is named by itself; Excel's own #VALUE! beside a call that succeeded is the
    workbook's (exit 1 before)."""
    bad = _book_with_a_bad_row(
        tmp_path / "match.xlsx",
        ("F1", '=MATCH("x", INDEX(PM_SCENARIOS(A1:D3), 0, 1), 0)'), ("F2", "=COUNT(REGT_BREAKDOWN(A1:D3))"),
    )  # fmt: skip
    out = tmp_path / "match_out.xlsx"
    assert xlmargin(command, bad, "-o", out) == 1
    assert capsys.readouterr().err == (
        f"xlmargin: 2 xlmargin failures (written to {out}):\n"
        "  Book!F1: #N/A in a formula calling PM_SCENARIOS, which failed: #INPUT row 3 of the range, "
        "quantity: 'x' is not a number\n"
        "  REGT_BREAKDOWN(...): failed inside a formula whose cell shows a value: #INPUT row 3 of the "
        "range, quantity: 'x' is not a number\n"
    )
    good = _book_with_a_bad_row(tmp_path / "own.xlsx", ("F1", '=PM_REQUIREMENT(A1:D2)+"a"'))
    assert xlmargin(command, good, "-o", tmp_path / "own_out.xlsx") == 0
    assert capsys.readouterr().err == ""


def test_report_counts_in_a_count_format_print_whole() -> None:
    """A report range's row numbers and counts (format ``#,##0``) print whole, as the command
    line's own tables print them; an amount, whole or not, to the cent."""
    rows = _as_table(
        [
            [Shown("row"), Shown("positions"), Shown("margin")],
            [Shown(2, "#,##0"), Shown(19, "0"), Shown(3600, "$#,##0")],
        ]
    )
    assert rows[1] == [2, 19, 3600.0] and isinstance(rows[1][0], int) and isinstance(rows[1][2], float)
    assert render(rows).splitlines()[-1].split() == ["2", "19", "3,600.00"]


def test_report_row_numbers_print_as_messages_name_them() -> None:
    """A report range's column headed row (MARGIN_CONTRIBUTION's, ESMA_BREAKDOWN's) printed row 1200
    as 1,200 in a count's format and 1,200.00 in General; a count keeps its separators."""
    rows = _as_table(
        [
            [Shown("row"), Shown("symbol"), Shown("positions"), Shown("component")],
            [Shown(1200, "#,##0"), Shown("SPY"), Shown(1200, "0"), Shown(1200.5, "General")],
            [Shown(1201, "General"), Shown("QQQ"), Shown(3, "0"), Shown(7, "General")],
        ]
    )
    assert [line.split() for line in render(rows).splitlines()[2:]] == [
        ["1200", "SPY", "1,200", "1,200.50"],
        ["1201", "QQQ", "3", "7.00"],
    ]


def test_freeze_writes_values_and_no_formula(tmp_path: Path, capsys) -> None:
    out = tmp_path / "frozen.xlsx"
    assert xlmargin("freeze", HEDGE, "-o", out) == 0
    assert re.search(r"<f[ >]", sheet_xml(out)) is None  # no cell formula (conditional formats keep theirs)
    frozen = openpyxl.load_workbook(out)["Comparison"]
    assert isinstance(frozen["B5"].value, int | float) and frozen["B5"].value > 0
    assert isinstance(frozen["F6"].value, float)  # a member of the MARGIN_CUSHION array
    assert "formula cells replaced by their values" in capsys.readouterr().out


def test_templates_writes_every_workbook(tmp_path: Path, capsys) -> None:
    assert xlmargin("templates", "--out", tmp_path / "wb") == 0
    names = sorted(p.name for p in (tmp_path / "wb").iterdir())
    assert names == [
        "allocation_template.xlsx",
        "hedge_comparison.xlsx",
        "hedge_planner.xlsx",
        "netting_example.xlsx",
    ]
    assert len(capsys.readouterr().out.splitlines()) == 4


def _truncated(path: Path) -> None:
    data = HEDGE.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _renamed_text(path: Path) -> None:
    path.write_text("symbol,quantity\nSPY,100\n")


def _xml_bomb(path: Path) -> None:
    with zipfile.ZipFile(HEDGE) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, BILLION_LAUGHS if info.filename == "xl/workbook.xml" else src.read(info))


@pytest.mark.parametrize(
    "make", [_truncated, _renamed_text, _xml_bomb], ids=["truncated", "text", "xml-bomb"]
)
@pytest.mark.parametrize("command", ["recalc", "freeze"])
def test_a_bad_file_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, capsys, make, command: str
) -> None:
    bad = tmp_path / "bad.xlsx"
    make(bad)
    before = digest(bad)
    assert xlmargin(command, bad, "-o", tmp_path / "out.xlsx") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("xlmargin: bad.xlsx: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]
    assert digest(bad) == before


def test_conflicting_or_missing_sources_are_one_line_errors(tmp_path: Path, capsys) -> None:
    assert xlmargin("recalc") == 2
    assert xlmargin("recalc", HEDGE, "--template", "hedge_comparison") == 2
    assert xlmargin("recalc", "--template", "hedge_comparison", "--in-place") == 2
    assert xlmargin("recalc", HEDGE, "-o", HEDGE) == 2
    assert xlmargin("templates", "--out", HEDGE) == 2  # a file, not a folder
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 5 and all(e.startswith("xlmargin: ") for e in errors)


def test_an_existing_output_is_kept_unless_force(tmp_path: Path, monkeypatch, capsys) -> None:
    """recalc -o, recalc's default IN.recalc.xlsx and freeze -o replaced an existing file silently."""
    book = tmp_path / "book.xlsx"
    shutil.copy(REPO / "workbooks" / "allocation_template.xlsx", book)
    mine = b"the user's own file"
    for command, output, argv in (
        ("recalc", tmp_path / "out.xlsx", ["-o", tmp_path / "out.xlsx"]),
        ("recalc", tmp_path / "book.recalc.xlsx", []),
        ("freeze", tmp_path / "frozen.xlsx", ["-o", tmp_path / "frozen.xlsx"]),
    ):
        output.write_bytes(mine)
        assert xlmargin(command, book, *argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert (
            captured.err == f"xlmargin: {output} exists; choose another name or pass --force to replace it\n"
        )
        assert output.read_bytes() == mine
        assert xlmargin(command, book, *argv, "--force") == 0
        assert zipfile.is_zipfile(output)
        capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "netting_example.recalc.xlsx").write_bytes(mine)
    assert xlmargin("recalc", "--template", "netting_example") == 2
    assert (tmp_path / "netting_example.recalc.xlsx").read_bytes() == mine
    assert xlmargin("recalc", book, "--in-place") == 0  # the input itself, as documented


def test_templates_keep_an_edited_workbook_unless_force(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "workbooks"
    folder.mkdir()
    edited = folder / "hedge_comparison.xlsx"
    edited.write_bytes(b"my edits")
    assert xlmargin("templates", "--out", folder) == 2
    assert capsys.readouterr().err == (
        f"xlmargin: {edited} exists; choose another --out folder or pass --force to replace it\n"
    )
    assert [p.name for p in folder.iterdir()] == ["hedge_comparison.xlsx"]  # none of the others either
    assert edited.read_bytes() == b"my edits"
    assert xlmargin("templates", "--out", folder, "--force") == 0
    assert len(list(folder.iterdir())) == 4 and zipfile.is_zipfile(edited)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_written_workbooks_get_the_mode_open_would_give_them(tmp_path: Path, capsys) -> None:
    """A new file gets 0666 less the umask (recalc -o copied the input's mode); a replaced file
    keeps its own mode (--force, --in-place); templates alike."""
    book = tmp_path / "book.xlsx"
    shutil.copy(REPO / "workbooks" / "allocation_template.xlsx", book)
    book.chmod(0o600)
    out, frozen = tmp_path / "out.xlsx", tmp_path / "frozen.xlsx"
    umask = os.umask(0o022)
    try:
        assert xlmargin("recalc", book, "-o", out) == 0
        assert xlmargin("freeze", book, "-o", frozen) == 0
        assert xlmargin("templates", "--out", tmp_path / "wb") == 0
        assert {mode(p) for p in (out, frozen, *(tmp_path / "wb").iterdir())} == {0o644}
        out.chmod(0o640)
        assert xlmargin("recalc", book, "-o", out, "--force") == 0
        assert xlmargin("recalc", book, "--in-place") == 0
        assert (mode(out), mode(book)) == (0o640, 0o600)
    finally:
        os.umask(umask)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--max-cells", "0", "'0' is not a whole number above 0"),
        ("--max-formulas", "-5", "'-5' is not a whole number above 0"),
        ("--timeout", "0", "'0' is not a number of seconds above 0"),
        ("--timeout", "-1", "'-1' is not a number of seconds above 0"),
        ("--timeout", "nan", "nan is not a finite number of sensible size (at most 1e+15 in absolute value)"),
        # read by the cells' number rule (tests/test_cli_amounts.py): int() and float() took '1_000'
        ("--max-cells", "1_000", "'1_000' is not a number: an underscore is not a digit separator"),
        (
            "--max-cells",
            "1e20",
            "1e20 is not a finite number of sensible size (at most 1e+15 in absolute value)",
        ),
        ("--timeout", "1_0", "'1_0' is not a number: an underscore is not a digit separator"),
        (
            "--max-formulas",
            "5%",
            "'5%' is a percentage, but max_formulas is an amount: type the number without '%' (only rate "
            "parameters take one)",
        ),
    ],
)
def test_a_limit_of_zero_or_less_is_a_usage_error(
    tmp_path: Path, capsys, option: str, value: str, message: str
) -> None:
    """--max-cells 0 refused every workbook as too big; --timeout -1 was accepted and ran unbounded."""
    with pytest.raises(SystemExit) as exit_:
        xlmargin("recalc", HEDGE, "-o", tmp_path / "out.xlsx", option, value)
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"argument {option}: {message}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_renders_the_recalculated_comparison(tmp_path: Path) -> None:
    """LibreOffice shows the cached values of plain formula cells; it recalculates array formulas on
    load (and, without the add-in, shows #NAME? there), so only the scalar figures are checked."""
    out = tmp_path / "hedge_comparison.xlsx"
    assert xlmargin("recalc", HEDGE, "-o", out) == 0
    command = ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
               "--outdir", str(tmp_path), str(out)]  # fmt: skip
    done = subprocess.run(
        ["setsid", "timeout", "-k", "5", "120", *command], capture_output=True, text=True, check=False
    )
    pdf = tmp_path / "hedge_comparison.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    if shutil.which("pdftotext") is None:
        return
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    sheet = openpyxl.load_workbook(out, data_only=True)["Comparison"]
    for ref in ("B5", "B6", "B7", "B8", "D6", "G6", "H7", "I7"):
        assert f"${sheet[ref].value:,.0f}" in text, ref
    assert f"{sheet['C6'].value:.1%}" in text


def test_the_report_names_are_those_the_templates_write() -> None:
    from xlmargin.templates.model import REPORT_PREFIX
    from xlmargin.workbook import cli

    assert cli.REPORT_PREFIX == REPORT_PREFIX
