"""Recalc reaches an xlmargin result through defined names as through cells (review R5, 2026-12).

A name whose definition calls an xlmargin function, however nested or scoped, or a LAMBDA name
called as a function, makes the formula using it call that function: it is written (or, as the
formula engine cannot compute such a name, kept and listed, as before the dependency scan). A
name with relative references is read at the cell using it, as Excel moves it. The workbooks are
written with XlsxWriter, ``fullCalcOnLoad`` taken out (a file saved by Excel); the stand-in
function is trivial and the figures are regression snapshots.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from tests.test_recalc_cached import _excel_saved
from xlmargin.workbook import StaleError, recalc, recalculate
from xlmargin.workbook import _depends as dp
from xlmargin.workbook import _sheetxml as sx
from xlmargin.workbook import _tables as tb

FUNCTIONS = {"PM_REQUIREMENT": lambda *_: 100.0}
PY = {"PM_REQUIREMENT"}


def _book(path: Path, names: dict[str, str], formulas: dict[str, tuple[str, float]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write("B1", 5)
    ws.write_formula("C1", "=PM_REQUIREMENT(B1)", None, 7)
    for name, text in names.items():
        wb.define_name(name, text)
    for ref, (formula, cached) in formulas.items():
        ws.write_formula(ref, formula, None, cached)
    wb.close()
    return _excel_saved(path)


@pytest.mark.parametrize(
    ("names", "formula"),
    [
        ({"Req": "=PM_REQUIREMENT(S!$B$1)"}, "=Req*2"),
        ({"S!Req": "=PM_REQUIREMENT(S!$B$1)"}, "=Req*2"),  # local to the sheet
        ({"Req": "=PM_REQUIREMENT(S!$B$1)", "Outer": "=Req+0"}, "=Outer*2"),  # through another name
        ({"MyReq": "=_xlfn.LAMBDA(_xlpm.x,PM_REQUIREMENT(_xlpm.x))"}, "=MyReq(B1)"),  # called
        ({"Plus": "=_xlfn.LAMBDA(_xlpm.x,_xlpm.x+S!$C$1)"}, "=Plus(1)"),  # its body reads C1
        # review R7 (/tmp/R7/nm3.py): IFERROR hid the engine's #NAME? and recalc wrote 1 (Excel 20001)
        ({"Req": "=PM_REQUIREMENT(S!$B$1)"}, "=IFERROR(Req,0)+1"),
        ({"Req": "=PM_REQUIREMENT(S!$B$1)"}, "=ISERROR(Req)*1"),
    ],
    ids=["name", "sheet-scoped", "nested", "lambda", "lambda reading a result", "iferror", "iserror"],
)
def test_a_name_reaching_an_xlmargin_result_is_never_kept_silently(
    tmp_path: Path, names: dict[str, str], formula: str
) -> None:
    """Review R5 (/tmp/R5/wb2.py): D1 kept its stale 14 with nothing said. The formula engine
    cannot compute such a name (#NAME?) or a LAMBDA name, so D1 is listed and recalc refuses."""
    src = _book(tmp_path / "n.xlsx", names, {"D1": (formula, 14), "D2": ("=B1*3", 15)})
    report = recalculate(src, FUNCTIONS)
    assert [k.ref for k in report.kept] == ["D1"]
    assert report.cached == 1  # D2 reads no xlmargin result: Excel's 15 stays
    with pytest.raises(StaleError, match="1 formula cells cannot be computed here"):
        recalc(src, tmp_path / "out.xlsx", FUNCTIONS)


def test_a_name_with_relative_references_is_read_at_the_cell_using_it(tmp_path: Path) -> None:
    """``S!XFD1`` in a name is the cell left of the one using it (stored relative to A1): D1's
    ``LeftCell`` is C1 (Excel 200), E2's is D2, a constant. The engine reads it as XFD1 (it wrote
    0), so D1 is listed as not computable here; E2 reads no xlmargin result and keeps 7."""
    src = _book(
        tmp_path / "r.xlsx",
        {"LeftCell": "=S!XFD1"},
        {"D1": ("=LeftCell*2", 14), "D2": ("=B1+2", 7), "E2": ("=LeftCell", 7)},
    )
    report = recalculate(src, FUNCTIONS)
    assert [(k.ref, k.reason) for k in report.kept] == [
        ("D1", "it uses the name LeftCell, whose relative references " + dp._RELATIVE)
    ]
    assert report.cached == 2
    names = dp._Names(["S"], [("LeftCell", None, "S!XFD1"), ("Below", None, "S!A2:B2")], [])
    assert dp.reads("LeftCell", "S", names, at=(1, 4))[:4] == ([("S", 1, 3, 1, 3)], None, False, "LeftCell")
    assert dp.reads("LeftCell", "S", names, at=(7, 1)).areas == [("S", 7, 16_384, 7, 16_384)]
    assert dp.reads("SUM(Below)", "S", names, at=(3, 3)).areas == [("S", 4, 3, 4, 4)]


def _cell(row: int, col: int, text: str, kind: str = "normal", ref: str | None = None) -> sx.Cell:
    return sx.Cell(row, col, sx.Formula(kind, ref, False, text), None, "1")


def test_other_ways_through_names_tables_and_data_tables() -> None:
    table = tb.Table("tblP", "S", 1, 1, 3, 2, 1, 0, ("symbol", "req"))
    cells = {
        "S": [
            _cell(2, 2, "PM_REQUIREMENT(A2)"),  # the table's calculated column
            _cell(3, 2, "PM_REQUIREMENT(A3)"),
            _cell(1, 5, "Ind*2"),  # INDIRECT inside a name: cannot tell, written and named
            _cell(2, 5, "SUM(Col)"),  # a name over a structured reference
            _cell(3, 5, "SUM(tblP[req])"),
            _cell(4, 5, "Rate"),  # S's own Rate: C... reads B2, an xlmargin result
            _cell(10, 8, "", "dataTable", "H10:H12"),  # What-If table whose formula H9 is reached
            _cell(9, 8, "E3*2"),
            _cell(20, 8, "", "dataTable", "H20:H22"),  # its formula H19 reads no result: kept
            _cell(19, 8, "A1*2"),
        ],
        "T": [_cell(1, 1, "Rate"), _cell(2, 1, "S!Rate")],  # T's own Rate is a constant cell
    }
    names = [
        ("Ind", None, 'INDIRECT("S!B2")'),
        ("Col", None, "tblP[req]"),
        ("Rate", "S", "S!$B$2"),
        ("Rate", "T", "T!$Z$1"),
    ]
    reach = dp.reach(["S", "T"], cells, python=PY, names=names, tables=[table])
    assert reach.written == {
        ("S", 2, 2), ("S", 3, 2), ("S", 1, 5), ("S", 2, 5), ("S", 3, 5), ("S", 4, 5),
        ("S", 10, 8), ("S", 9, 8), ("T", 2, 1),
    }  # fmt: skip
    assert reach.assumed == ((("S", 1, 5), "it calls INDIRECT"),)
    assert reach.uncomputable == ((("S", 10, 8), dp._DATA_TABLE),)


def test_a_spill_read_through_a_name_or_anchorarray_is_computed() -> None:
    """``G1#`` is stored in the file as ``_xlfn.ANCHORARRAY(G1)``; read through a name or so, the
    dynamic array must be computed all the same (the engine's copy of a kept one is a constant,
    with no spill)."""

    def dynamic(row: int, col: int, ref: str) -> sx.Cell:
        return sx.Cell(row, col, sx.Formula("array", ref, True, "SEQUENCE(3)"), None, "1")

    cells = {
        "S": [
            dynamic(1, 7, "G1:G3"),
            dynamic(1, 8, "H1:H3"),
            _cell(1, 1, "PM_REQUIREMENT(Sp)"),
            _cell(2, 1, "PM_REQUIREMENT(_xlfn.ANCHORARRAY(H1))"),
        ]
    }
    reach = dp.reach(["S"], cells, python=PY, names=[("Sp", None, "S!$G$1#")])
    assert reach.written == {("S", 1, 1), ("S", 2, 1), ("S", 1, 7), ("S", 1, 8)}


def test_a_data_table_reading_an_xlmargin_result_is_listed_not_kept_silently(tmp_path: Path) -> None:
    """A What-If data table is never evaluated here; one whose formula reads an xlmargin result
    is stale once that result changes, so it is listed (recalc refuses) and its readers are stale."""
    path = tmp_path / "d.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write("A1", 1)
    ws.write_formula("C1", "=PM_REQUIREMENT(A1)", None, 7)
    ws.write_formula("B1", "=C1+A1", None, 8)  # the data table's formula
    ws.write_column("A2", [2, 3])  # its inputs, substituted for A1
    ws.write_column("B2", [9, 10])  # its results (Excel's, before)
    ws.write_formula("D5", "=B2*2", None, 18)
    ws.write_formula("E2", "=SUM(F2:F3)", None, 0.5)  # another data table, reading no result
    ws.write_column("F2", [0.2, 0.3])
    wb.close()
    with zipfile.ZipFile(path) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    table = '<c r="{}"><f t="dataTable" ref="{}" dt2D="0" dtr="0" r1="A1"/><v>'
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in parts:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B2"><v>', table.format("B2", "B2:B3").encode())
                data = data.replace(b'<c r="F2"><v>', table.format("F2", "F2:F3").encode())
                assert data.count(b"dataTable") == 2
            zf.writestr(info, data)
    report = recalculate(_excel_saved(path), FUNCTIONS)
    assert [(k.ref, k.reason) for k in report.kept] == [("B2:B3", dp._DATA_TABLE)]
    assert [c.ref for c in report.stale] == ["D5"]
    with pytest.raises(StaleError):
        recalc(path, tmp_path / "out.xlsx", FUNCTIONS)
