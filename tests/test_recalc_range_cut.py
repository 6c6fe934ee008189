"""R12 F2: a worksheet function's range argument reaching far below its data is cut to the rows its
sheet holds before the formula engine builds it.

``=PM_REQUIREMENT(Positions!A1:O1048576)`` on a sheet of 20 rows took 12 s and 2 GB per distinct
range (the engine built 15.7 million cells), and past 2**24 cells the engine gave ``#NUM!``, shown as
"the cell holds the error value #NUM!". The workbooks here are a few cells written with
XlsxWriter (invented content) whose formulas name ranges down to the sheet's last row; each recalc
takes well under a second because of the cut (without it, seconds and gigabytes each).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from xlmargin.workbook import Limits, recalculate
from xlmargin.workbook._cut import Cuts
from xlmargin.workbook.cli import worksheet_functions

LAST_ROW = 1_048_575  # XlsxWriter counts from 0

seen: list[list[list[object]]] = []


def grab(table: object, *_: object) -> float:
    """Keeps the table it is handed; its number of rows."""
    assert isinstance(table, list)
    seen.append(table)
    return float(len(table))


def book(path: Path, formulas: dict[str, str], *, stray: str | None = None, late: bool = False) -> Path:
    """Sheet S: a header and two rows in A1:D3 (``late``: a formula without a cached value at B10,
    and a dynamic array ``SEQUENCE(12)`` at D5 spilling to D16); sheet Out: ``formulas``."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_row(0, 0, ["Symbol", "Type", "Qty", "Price"])
    ws.write_row(1, 0, ["AAPL", "stock", 100, 200])
    ws.write_row(2, 0, ["MSFT", "stock", 50, 400])
    if stray:
        ws.write_string(stray, "x")
    if late:
        ws.write_formula("B10", '="late"')
        ws.write_dynamic_array_formula("D5", "=SEQUENCE(12)")
    out = wb.add_worksheet("Out")
    for ref, formula in formulas.items():
        out.write_formula(ref, formula)
    wb.close()
    return path


@pytest.fixture(autouse=True)
def _fresh() -> None:
    seen.clear()


def test_a_range_down_to_the_last_row_reaches_the_function_cut_to_the_rows_held(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"A1": "=GRAB(S!A1:D1048576)", "A2": "=GRAB(S!$B$2:$C$1048576, 1)"})
    report = recalculate(path, {"GRAB": grab})
    assert report.value("Out", "A1") == 3.0  # not 1,048,576 rows
    assert report.value("Out", "A2") == 2.0
    assert seen[0][2] == ["MSFT", "stock", 50.0, 400.0]


def test_a_sheet_named_in_another_case_is_cut_too(tmp_path: Path) -> None:
    """The engine resolves s!A1 as S!A1, so the cut must too (it handed all 1,048,576 rows over)."""
    path = book(tmp_path / "b.xlsx", {"A1": "=GRAB(s!A1:D1048576)"})
    report = recalculate(path, {"GRAB": grab})
    assert report.value("Out", "A1") == 3.0


def test_formula_results_and_a_spill_below_the_values_are_inside_the_cut(tmp_path: Path) -> None:
    path = book(tmp_path / "l.xlsx", {"A1": "=GRAB(S!A1:D1048576)", "A2": "=GRAB(S!B1:B1048576)"}, late=True)
    report = recalculate(path, {"GRAB": grab})
    assert report.value("Out", "A1") == 16.0  # the spill D5:D16, computed in this recalc
    assert report.value("Out", "A2") == 10.0  # the formula at B10
    table = next(t for t in seen if len(t) == 16)
    assert [row[3] for row in table[4:]] == [float(n) for n in range(1, 13)]
    assert table[9][1] == "late"


def test_a_range_still_too_large_is_an_input_error_naming_it_and_the_function_does_not_run(
    tmp_path: Path,
) -> None:
    formulas = {"A1": "=GRAB(S!A1:Q1048576)", "A2": "=GRAB(S!A1:B1048576)+1", "A3": "=GRAB(S!A1:D9)"}
    path = book(tmp_path / "t.xlsx", formulas, stray="Q1048576")
    report = recalculate(path, {"GRAB": grab}, limits=Limits(max_cells=1_000_000))
    assert report.value("Out", "A1") == "#INPUT range too large (17,825,792 cells): S!A1:Q1048576"
    assert report.value("Out", "A2") == 4.0  # B's last value is in row 3: cut there
    assert report.value("Out", "A3") == 3.0
    assert len(seen) == 2


def test_the_limit_is_max_cells_and_the_message_names_the_range_as_written(tmp_path: Path) -> None:
    path = book(tmp_path / "m.xlsx", {"A1": "=PM_REQUIREMENT(S!$A$1:$D$1048576)"}, stray="D1048576")
    report = recalculate(path, worksheet_functions(), limits=Limits(max_cells=1_000_000))
    assert report.value("Out", "A1") == "#INPUT range too large (4,194,304 cells): S!$A$1:$D$1048576"


def test_only_whole_range_arguments_of_custom_calls_are_cut() -> None:
    xml = (
        '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        '<row r="3"><c r="B3"><v>1</v></c><c r="E3" s="1"/></row></sheetData></worksheet>'
    )
    cuts = Cuts({"S": xml, "T T": xml}, {}, {"GRAB"}, 1_000_000)
    assert cuts.text("S", "GRAB(A1:D1048576,'T T'!$A$2:$A$900)") == "GRAB(A1:D3,'T T'!$A$2:$A$2)"
    assert cuts.text("S", "grab( S!A1:E1048576 , 1)") == "grab( S!A1:E3 , 1)"  # E3: formatted blank
    for unchanged in (
        "GRAB(A:D)",  # whole columns: the engine trims them
        "GRAB(INDEX(A1:D1048576,1,1))",  # not an argument of GRAB itself
        "SUM(A1:A1048576)+GRAB(A1:D3)",
        "GRAB(A1:D3)",
        "GRAB(Other!A1:D1048576)",  # not a sheet of the workbook
    ):
        assert cuts.text("S", unchanged) is None, unchanged
