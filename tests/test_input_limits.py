"""Positions files read within bounds (the QA review's D2, D3 and D7): a workbook is checked as recalc
checks one before it is parsed (cells, inflated size, a DTD) and read by its cells, not by the
range it claims; running out of memory is one line and exit code 2; every CSV we write escapes a
text a spreadsheet would run as a formula (OWASP's CSV injection). Small synthetic files only:
the limits are parameters, set low here."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.files import csv_safe
from xlmargin.positions.source import read_file

AS_OF = "2026-03-02"
HEADER = ["symbol", "type", "quantity", "price"]
ROWS = [["SPY", "etf", 100, 690.0], ["TLT", "etf", 100, 88.0]]


def _book(path: Path, rows: list[list[object]] | None = None, table: bool = False) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Positions"
    for row in [HEADER, *(ROWS if rows is None else rows)]:
        ws.append(row)
    if table:
        from openpyxl.worksheet.table import Table

        ws.add_table(Table(displayName="tblPositions", ref=f"A1:D{ws.max_row}"))
    book.save(path)
    return path


def _edit(path: Path, part: str, edit: object) -> Path:
    """Rewrite one part of the zip at ``path`` with ``edit`` (bytes -> bytes)."""
    with zipfile.ZipFile(path) as zf:
        parts = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            zf.writestr(info.filename, edit(data) if info.filename == part else data)  # type: ignore[operator]
    return path


SHEET = "xl/worksheets/sheet1.xml"


def _claims(data: bytes, ref: str, far: str) -> bytes:
    """The sheet claiming the range ``ref`` and holding one more cell, at ``far``."""
    row = re.sub(r"[A-Z]+", "", far)
    data = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data)
    return data.replace(
        b"</sheetData>", f'<row r="{row}"><c r="{far}"><v>1</v></c></row></sheetData>'.encode()
    )


def test_a_sheet_claiming_a_huge_range_is_read_by_its_cells(tmp_path: Path) -> None:
    """D2: a 6 KB file claiming A1:XFD1048576 took 24 GB; the rows were padded to the dimension.
    Here A1:Z5000 with a cell at Z5000 (right of the header): the header and two rows come back."""
    path = _edit(_book(tmp_path / "p.xlsx"), SHEET, lambda d: _claims(d, "A1:Z5000", "Z5000"))
    rows = read_file(path)
    assert rows == [HEADER, *ROWS]


def test_a_table_whose_ref_claims_more_rows_than_the_sheet_holds(tmp_path: Path) -> None:
    path = _edit(
        _book(tmp_path / "t.xlsx", table=True),
        "xl/tables/table1.xml",
        lambda d: d.replace(b'ref="A1:D3"', b'ref="A1:D60000"'),
    )
    assert read_file(path, table="tblPositions") == [HEADER, *ROWS]


def test_a_workbook_of_more_cells_than_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = _book(tmp_path / "many.xlsx", [["SPY", "etf", 1, 690.0]] * 10)
    assert len(read_file(path, max_cells=44)) == 11  # 4 header cells + 40
    with pytest.raises(InputError) as caught:
        read_file(path, max_cells=43)
    assert str(caught.value).startswith("many.xlsx: 44 cells or more, over the 43 a positions workbook")
    assert "\n" not in str(caught.value)


def test_a_csv_of_more_cells_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("symbol,type,quantity,price\n" + "SPY,etf,1,690\n" * 10)
    with pytest.raises(InputError, match=r"^many.csv: \d+ cells or more, over the 20 a positions file"):
        read_file(path, max_cells=20)


def test_a_zip_bomb_sheet_is_refused_by_the_inflated_size_checks(tmp_path: Path) -> None:
    """D2: 1.5 MB of whitespace at ~1000:1 went straight to the parser (1.6 GB)."""
    pad = b" " * (2 * 1024 * 1024)
    path = _edit(
        _book(tmp_path / "bomb.xlsx"), SHEET, lambda d: d.replace(b"</sheetData>", pad + b"</sheetData>")
    )
    with pytest.raises(
        InputError, match=r"^bomb.xlsx: part xl/worksheets/sheet1.xml is compressed more than"
    ):
        read_file(path)


def test_a_part_with_a_dtd_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """D7: openpyxl's multi-line "Please see the exception for more details"."""
    dtd = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "x">]>'
    path = _edit(
        _book(tmp_path / "dtd.xlsx"), "xl/styles.xml", lambda d: dtd + re.sub(rb"^<\?xml[^>]*\?>", b"", d)
    )
    assert main(["margin", str(path), "--regime", "regt", "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "xlmargin: dtd.xlsx: part xl/styles.xml declares a DTD, which a workbook never needs; refused\n"
    )


@pytest.mark.parametrize("command", ["margin", "batch"])
def test_out_of_memory_is_one_line_and_exit_code_2(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """D2: a MemoryError was a traceback, and batch's exit code 1 said "output written"."""
    from xlmargin.positions import source

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(source, "_workbook_rows", exhausted)  # every workbook reader
    path = _book(tmp_path / "p.xlsx", [["A", *ROWS[0]]])
    extra = ["--account-column", "symbol", "-o", str(tmp_path / "out.csv")] if command == "batch" else []
    assert main([command, str(path), "--regime", "regt", *extra]) == 2
    err = capsys.readouterr().err
    assert err == "xlmargin: out of memory; the input is too large for this machine (nothing written)\n"
    assert not (tmp_path / "out.csv").exists()


NAMES = ['=HYPERLINK("http://x/y","click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+ACC3", "-2+3", "\r=cr", "ACC5"]


def test_csv_safe_quotes_text_that_starts_as_a_formula_and_leaves_numbers() -> None:
    assert [csv_safe(n) for n in NAMES] == [f"'{n}" for n in NAMES[:-1]] + ["ACC5"]
    assert [csv_safe(v) for v in (-2.5, -3, 0.0, None, "", "a-b")] == [-2.5, -3, 0.0, None, "", "a-b"]


def test_batch_csv_escapes_account_names_and_keeps_numbers(tmp_path: Path) -> None:
    """D3: account names such as =HYPERLINK(...) were written verbatim."""
    source = tmp_path / "pos.csv"
    with source.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["account", *HEADER])
        writer.writerows([name, "SPY", "etf", 10, 690] for name in NAMES if not name.startswith("\r"))
    out = tmp_path / "out.csv"
    assert (
        main(["batch", str(source), "--account-column", "account", "--regime", "regt", "-o", str(out)]) == 0
    )
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["account"] for r in rows] == [f"'{n}" for n in NAMES[:4]] + ["ACC5"]
    assert {r["requirement"] for r in rows} == {"3450.0"}


def test_batch_parquet_keeps_the_names_as_text(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    source = tmp_path / "pos.csv"
    source.write_text("account,symbol,type,quantity,price\n+ACC3,SPY,etf,10,690\n")
    out = tmp_path / "out.parquet"
    assert (
        main(["batch", str(source), "--account-column", "account", "--regime", "regt", "-o", str(out)]) == 0
    )
    assert pd.read_parquet(out)["account"].tolist() == ["+ACC3"]  # a string column: text, never a formula


def test_margin_csv_escapes_a_symbol(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "p1.csv"
    source.write_text('symbol,type,quantity,price\n"=HYPERLINK(""http://x/m"",""x"")",stock,100,50\n')
    assert main(["margin", str(source), "--regime", "regt", "--format", "csv", "--as-of", AS_OF]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert rows[1][1].startswith("'=HYPERLINK")
    assert rows[-1][0] == "Total" and float(rows[-1][-1]) == 2500.0


def test_a_desk_sized_csv_reads_without_a_limit(tmp_path: Path) -> None:
    # 170,001 rows of 6 cells: above recalc's 1,000,000 cells, as a desk's batch file is (a CSV's
    # size on disk is its size: no default limit); a workbook's default is ten times recalc's
    from xlmargin.positions.sheets import MAX_CELLS
    from xlmargin.workbook import Limits

    path = tmp_path / "desk.csv"
    body = "".join(f"A{k % 97},stock,{k % 50 + 1},10.5,acct{k // 50},core\n" for k in range(170_000))
    path.write_text("symbol,type,quantity,price,account,sleeve\n" + body, encoding="utf-8")
    assert len(read_file(path)) == 170_001
    assert Limits().max_cells * 10 == MAX_CELLS
