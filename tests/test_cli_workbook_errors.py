"""R12 F4: ``xlmargin margin`` names the file, the sheet, the sheet row and the column letter of a bad
cell, and says which sheet it read (listing the others) when that one holds no positions table.

The workbooks are a few invented cells written here with openpyxl.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xlmargin.cli import main

AS_OF = "2025-01-02"


def book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb["Notes"]["A1"] = "intro"
    ws = wb.create_sheet("Book")
    ws["A1"] = "My book title"
    ws.append([])
    ws.append(["symbol", "type", "quantity", "price"])  # row 3
    ws.append(["AAPL", "stock", 100, 190.0])
    ws.append(["MSFT", "stock", 50, "n/a"])  # row 5, price in column D
    wb.save(path)
    return path


def test_a_bad_cell_is_named_by_file_sheet_row_and_column_letter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = book(tmp_path / "bad.xlsx")
    assert main(["margin", str(path), "--sheet", "Book", "--regime", "regt", "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xlmargin: bad.xlsx, sheet Book, row 5, price (D): "), err


def test_a_first_sheet_without_positions_is_named_with_the_sheets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = book(tmp_path / "bad.xlsx")
    assert main(["margin", str(path), "--regime", "regt", "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert "no positions table on sheet 'Notes'" in err and "sheets: Notes, Book" in err, err
