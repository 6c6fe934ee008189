"""Recalc writes only the formulas that depend on an xlmargin result; the rest keep Excel's values.

The three formulas of the reviewer's check (2026-12, /tmp/R3/mk2.py) are ones where formualizer
0.13.0 and Excel disagree: ``=0.1+0.2=0.3`` (Excel TRUE), ``=1*"1,000"`` (Excel 1000) and
``=LEN(1/3)`` (Excel 17); the cached values below are Excel's. The workbooks are written with
XlsxWriter, the ``fullCalcOnLoad`` flag taken out where the file stands for one saved by Excel.
The stand-in worksheet functions are trivial; the figures are regression snapshots.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from xlmargin.workbook import _depends as dp
from xlmargin.workbook import _tables as tb
from xlmargin.workbook import freeze, recalc, recalculate
from xlmargin.workbook.cli import cmd_recalc, register

DISAGREE = [("=0.1+0.2=0.3", True), ('=1*"1,000"', 1000), ("=LEN(1/3)", 17)]
FUNCTIONS = {
    "PM_REQUIREMENT": lambda *_: 100.0,
    "DOUBLE": lambda x: 2 * x,
    "MARGIN_CUSHION": lambda equity, requirement: [[equity - requirement]],
}
SHEET = "xl/worksheets/sheet1.xml"


def _excel_saved(path: Path) -> Path:
    """The file as Excel saves it: no ``fullCalcOnLoad`` (XlsxWriter sets it)."""
    with zipfile.ZipFile(path) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            zf.writestr(info, data)
    return path


def _cell_xml(path: Path, ref: str, part: str = SHEET) -> str:
    xml = zipfile.ZipFile(path).read(part).decode()
    m = re.search(rf'<c r="{ref}"[ >].*?</c>', xml)
    assert m is not None, ref
    return m.group()


def _values(path: Path, sheet: str = "S") -> dict[str, object]:
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def _book(path: Path, *, flag: bool = False) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for i, (formula, excel) in enumerate(DISAGREE, start=1):
        ws.write_formula(f"A{i}", formula, None, excel)
    ws.write("B1", 5)
    ws.write_formula("C1", "=PM_REQUIREMENT(B1)", None, 7)  # stale cached values: rewritten
    ws.write_formula("C2", "=PM_REQUIREMENT(B1)*2", None, 14)
    ws.write_formula("C3", "=C2+1", None, 15)  # two steps away
    ws.write_formula("C4", "=IF(A1,C3,-1)", None, 15)  # reads both kinds: Excel's TRUE
    ws.write_formula("D1", "=B1*3", None, 15)  # no xlmargin result in it: kept
    ws.write_formula("E1", '=1*"1,000"+1', None, 1001)
    ws.write_formula("E2", "=DOUBLE(E1)", None, 0)  # the function sees Excel's 1001
    wb.define_name("Req", "=S!$C$2")
    other = wb.add_worksheet("T")
    other.write_formula("A1", "=Req*3", None, 1)  # through a defined name, on another sheet
    other.write_formula("A2", "=SUM(S!C:C)", None, 1)  # a whole column
    other.write_formula("A3", "=SUM(S!D:D)", None, 15)  # reads no xlmargin result
    other.write_formula("A4", "=A1", None, 1)
    wb.close()
    return path if flag else _excel_saved(path)


@pytest.mark.parametrize("flag", [False, True], ids=["saved by Excel", "fullCalcOnLoad"])
def test_formulas_without_an_xlmargin_result_keep_excels_values_byte_for_byte(
    tmp_path: Path, flag: bool
) -> None:
    src = _book(tmp_path / "b.xlsx", flag=flag)
    out = tmp_path / "out.xlsx"
    report = recalc(src, out, FUNCTIONS)
    for ref in ("A1", "A2", "A3", "D1", "E1"):
        assert _cell_xml(out, ref) == _cell_xml(src, ref)
    assert _cell_xml(out, "A3", "xl/worksheets/sheet2.xml") == _cell_xml(
        src, "A3", "xl/worksheets/sheet2.xml"
    )
    got = _values(out)
    assert [got[f"A{i}"] for i in (1, 2, 3)] == [True, 1000, 17]
    assert {k: got[k] for k in ("C1", "C2", "C3", "C4", "D1", "E2")} == {
        "C1": 100, "C2": 200, "C3": 201, "C4": 201, "D1": 15, "E2": 2002,
    }  # fmt: skip
    assert _values(out, "T") == {"A1": 600, "A2": 702, "A3": 15, "A4": 600}
    written = {f"{c.sheet}!{c.ref}" for c in report.cells}
    assert written == {"S!C1", "S!C2", "S!C3", "S!C4", "S!E2", "T!A1", "T!A2", "T!A4"}
    assert report.cached == 6 and report.assumed == () and report.kept == ()


def test_the_engine_alone_disagrees_with_excel_on_these_formulas(tmp_path: Path) -> None:
    """Why they must be kept: computed (no cached value), formualizer gives other values."""
    wb = xlsxwriter.Workbook(str(tmp_path / "b.xlsx"))
    ws = wb.add_worksheet("S")
    for i, (formula, _) in enumerate(DISAGREE, start=1):
        ws.write_formula(f"A{i}", formula)
    wb.close()
    src = tmp_path / "b.xlsx"
    with zipfile.ZipFile(src) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(src, "w") as zf:
        for info, data in parts:
            zf.writestr(info, re.sub(rb"(</f>)<v>0</v>", rb"\1", data) if info.filename == SHEET else data)
    report = recalculate(src, {})
    assert [report.value("S", f"A{i}") for i in (1, 2, 3)] != [True, 1000.0, 17.0]


def test_a_formula_without_a_cached_value_is_computed(tmp_path: Path) -> None:
    """openpyxl saves formulas with no cached value: keeping nothing would leave them blank."""
    path = tmp_path / "o.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["A2"], ws["A3"] = "=1+1", "=A1*10", 4
    ws["A4"] = "=A3+1"
    wb.save(path)
    out = tmp_path / "out.xlsx"
    report = recalc(path, out, {})
    assert _values(out) == {"A1": 2, "A2": 20, "A3": 4, "A4": 5}
    assert [c.ref for c in report.cells] == ["A1", "A2", "A4"] and report.cached == 0


def test_xlsxwriters_placeholder_zero_is_computed_only_under_full_calc_on_load(tmp_path: Path) -> None:
    """XlsxWriter writes 0 for a formula it did not calculate and flags the file fullCalcOnLoad;
    a 0 in a file saved by Excel is Excel's value."""
    for flag, expected in ((True, 3), (False, 0)):
        wb = xlsxwriter.Workbook(str(tmp_path / "z.xlsx"))
        wb.add_worksheet("S").write_formula("A1", "=1+2")
        wb.close()
        src = tmp_path / "z.xlsx" if flag else _excel_saved(tmp_path / "z.xlsx")
        out = tmp_path / f"z{flag}.xlsx"
        recalc(src, out, {})
        assert _values(out) == {"A1": expected}


def test_freeze_keeps_excels_values_of_the_other_formulas(tmp_path: Path) -> None:
    src = _book(tmp_path / "b.xlsx")
    out = tmp_path / "frozen.xlsx"
    freeze(src, out, FUNCTIONS)
    got = _values(out)
    assert [got[f"A{i}"] for i in (1, 2, 3)] == [True, 1000, 17] and got["C3"] == 201
    assert "<f>" not in zipfile.ZipFile(out).read(SHEET).decode()


def test_a_formula_whose_reads_cannot_be_told_is_written_and_named(tmp_path: Path, capsys) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "i.xlsx"))
    ws = wb.add_worksheet("S")
    ws.write("B1", 5)
    ws.write_formula("C1", "=INDEX(MARGIN_CUSHION(105,B1),1,1)", None, 7)  # xlmargin's, for the CLI
    ws.write_formula("D1", '=INDIRECT("C1")*2', None, 14)  # reads C1, but only its value says so
    ws.write_formula("D2", "=D1+1", None, 15)
    ws.write_formula("D3", "=OFFSET(B1,0,0)", None, 5)
    ws.write_formula("D4", "=LET(x,B1,x*2)", None, 10)  # LET's names are its own: kept
    wb.close()
    src = _excel_saved(tmp_path / "i.xlsx")
    report = recalculate(src, FUNCTIONS)
    assert [(a.ref, a.reason) for a in report.assumed] == [
        ("D1", "it calls INDIRECT"),
        ("D3", "it calls OFFSET"),
    ]
    assert [c.ref for c in report.cells] == ["C1", "D1", "D2", "D3"]
    assert report.value("S", "D1") == 200 and report.value("S", "D2") == 201
    parser = argparse.ArgumentParser(prog="xlmargin")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["recalc", str(src), "-o", str(tmp_path / "out.xlsx")])
    assert args.handler is cmd_recalc
    assert args.handler(args) == 0
    captured = capsys.readouterr()
    assert "2 formula cells recalculated as if they read an xlmargin result" in captured.err
    assert "S!D1: it calls INDIRECT" in captured.err and "S!D3: it calls OFFSET" in captured.err
    assert "4 formula cells recalculated (1 xlmargin); 1 kept Excel's cached values" in captured.out


def _reads(text: str, names: list[tuple[str, str | None, str]] = [], here: str = "S") -> object:  # noqa: B006
    return dp.reads(text, here, dp._Names(["S", "T", "U"], names, []))[:2]


def test_references_are_read_from_the_text() -> None:
    assert _reads("SUM('T'!$A$1:B2)+A:A+U!3:3") == (
        [("T", 1, 1, 2, 2), ("S", 1, 1, 1_048_576, 1), ("U", 3, 1, 3, 16_384)],
        None,
    )
    assert _reads("SUM(S:U!A1)") == ([("S", 1, 1, 1, 1), ("T", 1, 1, 1, 1), ("U", 1, 1, 1, 1)], None)
    names = [
        ("Rate", None, "T!$B$2"),
        ("Rate", "U", "U!$C$3"),
        ("Both", None, "Rate+Local"),
        ("Local", "S", "$D$4"),
    ]
    assert _reads("Rate*2", names) == ([("T", 2, 2, 2, 2)], None)
    assert _reads("Rate*2", names, here="U") == ([("U", 3, 3, 3, 3)], None)
    # inside a name, which Rate Excel takes is not known here: both are read
    assert _reads("Both", names) == ([("T", 2, 2, 2, 2), ("U", 3, 3, 3, 3), ("S", 4, 4, 4, 4)], None)
    assert _reads("Loop", [("Loop", None, "Loop+1")])[1] == "the name Loop is defined through itself"
    assert _reads("Nope*2") == ([], "the name Nope is not defined in the workbook")
    assert _reads("_xlfn.LET(_xlpm.x,A1,_xlpm.x*2)") == ([("S", 1, 1, 1, 1)], None)  # as Excel stores LET
    assert _reads("LET(x,A1,x*2)") == ([("S", 1, 1, 1, 1)], None)
    assert _reads("SUM(A1:INDEX(B:B,3))")[1] == "it builds a range with ':' from a function's result"  # type: ignore[index]
    assert _reads("[1]Data!A1+'C:\\x\\[b.xlsx]D'!A1") == ([], None)  # another workbook: never changes here
    assert _reads("Missing!A1") == ([], None)  # no such sheet: #REF! in Excel


def test_a_reached_array_reaches_the_cells_reading_its_members() -> None:
    def cell(
        row: int, col: int, text: str, kind: str = "normal", ref: str | None = None, dynamic: bool = False
    ):
        from xlmargin.workbook import _sheetxml as sx

        return sx.Cell(row, col, sx.Formula(kind, ref, dynamic, text), None, "1")

    cells = {
        "S": [
            cell(1, 1, "PM_REQUIREMENT(B1)", "array", "A1:A3"),  # CSE over A1:A3
            cell(5, 1, "A3*2"),
            cell(1, 3, "PM_REQUIREMENT(B1)", "array", "C1", dynamic=True),  # spills: reach unknown
            cell(9, 5, "C9+1"),
            cell(9, 1, "A9+1"),  # left of the dynamic array, not reading the CSE one: kept
        ]
    }
    reach = dp.reach(["S"], cells, python={"PM_REQUIREMENT"})
    assert reach.written == {("S", 1, 1), ("S", 5, 1), ("S", 1, 3), ("S", 9, 5)}


def test_structured_references_are_placed(tmp_path: Path) -> None:
    table = tb.Table("tblP", "S", 1, 1, 3, 2, 1, 0, ("symbol", "qty"))
    reads = dp.reads(tb.resolve("SUM(tblP[qty])", [table], "S", 1, 5), "S", dp._Names(["S"], [], [table]))
    assert reads[:2] == ([("S", 2, 2, 3, 2)], None)
    assert dp.reads("tblP", "S", dp._Names(["S"], [], [table]))[:2] == ([("S", 1, 1, 3, 2)], None)


def test_a_spill_read_by_a_reached_formula_is_computed() -> None:
    """``G1#`` needs G1's formula in the engine: a constant has no spill."""
    from xlmargin.workbook import _sheetxml as sx

    cells = {
        "S": [
            sx.Cell(1, 7, sx.Formula("array", "G1:G3", True, "SEQUENCE(3)"), None, "1"),
            sx.Cell(1, 1, sx.Formula("normal", None, False, "PM_REQUIREMENT(G1#)"), None, "1"),
            sx.Cell(1, 2, sx.Formula("normal", None, False, "SUM(G1:G3)"), None, "6"),
        ]
    }
    reach = dp.reach(["S"], cells, python={"PM_REQUIREMENT"})
    assert reach.written == {("S", 1, 1), ("S", 1, 7), ("S", 1, 2)}
    cells["S"][1] = sx.Cell(1, 1, sx.Formula("normal", None, False, "PM_REQUIREMENT(B9)"), None, "1")
    assert dp.reach(["S"], cells, python={"PM_REQUIREMENT"}).written == {("S", 1, 1)}
