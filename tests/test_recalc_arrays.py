"""Formulas the formula engine computes otherwise than Excel keep their cached values.

Excel's figures: ``{=ROW(A1:A3)*10}`` over B1:B3 is 10, 20, 30 (ROW of a range is one value per
row, Excel's ROW function help) and ``AVERAGE(A1,1,"x")`` is #VALUE! (AVERAGE help: "text
representations of numbers that you type directly into the list of arguments are counted";
text that cannot be read as a number is an error). formualizer 0.13.0 gives 10, 10, 10 and skips
the text; the probe test below fails once it computes them as Excel does (then drop the check).
"""

from __future__ import annotations

from pathlib import Path

import formualizer as fz
import pytest
import xlsxwriter

from xlmargin.workbook import StaleError, recalc, recalculate
from xlmargin.workbook._arrays import divergence


def _book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("S")
    for i in range(3):
        s.write_number(i, 0, i + 1)
    s.write_formula("E1", "=DOUBLE(A1)", None, 2)
    s.write_array_formula("B1:B3", "{=ROW(A1:A3)*E1}", None, 0)  # reads an xlmargin result
    s.write_formula("G1", "=SUM(B1:B3)", None, 0)
    s.write_array_formula("C1:C3", "{=A1:A3*E1}", None, 0)  # operators: the engine is right
    s.write_array_formula("D1:D3", "{=IF(A1:A3>1,A1:A3,0)*E1}", None, 0)
    s.write_formula("H1", '=AVERAGE(E1,1,"x")', None, 0)
    s.write_formula("H2", "=AVERAGE(E1,1)", None, 0)
    wb.close()
    return path


FUNCTIONS = {"DOUBLE": lambda x: 2 * x}


def test_the_engine_still_differs_from_excel() -> None:
    wb = fz.Workbook()
    wb.add_sheet("S")
    for i in range(1, 4):
        wb.set_value("S", i, 1, i)
    wb.set_formula("S", 1, 2, "=ROW(A1:A3)*10")
    wb.set_formula("S", 1, 3, '=AVERAGE(A1,1,"x")')
    wb.evaluate_all()
    assert [wb.get_value("S", r, 2) for r in (1, 2)] == [10.0, None]  # Excel: 10, 20
    assert wb.get_value("S", 1, 3) == 1.0  # Excel: #VALUE!


def test_an_array_formula_the_engine_gets_wrong_is_kept_and_its_readers_are_stale(tmp_path: Path) -> None:
    src = _book(tmp_path / "a.xlsx")
    report = recalculate(src, FUNCTIONS)
    kept = {(k.ref, k.reason.split(":")[0].split(" gives")[0]) for k in report.kept}
    assert kept == {
        ("B1:B3", "ROW of a range of several cells"),
        ("H1", 'AVERAGE is given the text "x" directly'),
    }
    assert [c.ref for c in report.stale] == ["G1"]
    values = {c.ref: c.value for c in report.cells if not c.stale}
    cells = ("C1", "C2", "C3", "D1", "D2", "D3", "H2")
    assert [values[r] for r in cells] == [2.0, 4.0, 6.0, 0.0, 4.0, 6.0, 1.5]
    with pytest.raises(StaleError):
        recalc(src, tmp_path / "out.xlsx", FUNCTIONS)
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize(
    ("text", "array", "why"),
    [
        ("SUM(LEN(A1:A3))", True, "LEN is given an array"),
        ("SUMPRODUCT(ABS(A1:A3-5))", False, "ABS is given an array"),
        ("SUMPRODUCT(ROW(A1:A3))", False, "ROW of a range"),
        ("ROW(A1:A3)", True, "ROW of a range"),
        ('MAX(A1&"",2)', False, "MAX is given a text"),
        ("ROW(A1:A3)*2", False, None),  # a plain formula shows the first value, as the engine does
        ("ROUND(SUM(A1:A3),2)", False, None),
        ("INDEX(GRID(A1:B2),1,2)", False, None),
        ("ROUND(GRID(A1:B2),2)", False, None),
        ("SUM(IF(A1:A3>1,A1:A3))", True, None),
        ("TRANSPOSE(A1:A3)", True, None),
        ('AVERAGE(A1,"2")*0+IF(A1="x",1,2)', False, 'AVERAGE is given the text "2"'),
    ],
)
def test_divergence(text: str, array: bool, why: str | None) -> None:
    found = divergence(text, {"GRID"}, array=array)
    assert (found if why is None else (found or "")[: len(why)]) == why
