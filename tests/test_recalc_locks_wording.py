"""A workbook open in Excel or LibreOffice is not written; refusals and kept cells say what they are.

Lock files as the programs leave them beside an open workbook: Excel's owner file ``~$NAME``
(the first characters of a long name dropped), LibreOffice's ``.~lock.NAME#``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from xlmargin.workbook import WorkbookError, freeze, recalc, recalculate

FUNCTIONS = {"DOUBLE": lambda x: 2 * x}


def _book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("S")
    s.write_number("A1", 3)
    s.write_formula("B1", "=DOUBLE(A1)", None, 0)
    wb.define_name("Ext", "='C:\\dir\\[other.xlsx]Data'!$A$1")
    s.write_formula("B2", "=Ext*B1", None, 0)
    s.write_formula("B3", "=cmd|' /c calc'!A0+B1", None, 0)
    wb.close()
    return path


@pytest.mark.parametrize(
    ("lock", "program"),
    [("~$book.xlsx", "Excel"), (".~lock.book.xlsx#", "LibreOffice")],
)
def test_an_open_workbook_is_not_replaced_in_place(tmp_path: Path, lock: str, program: str) -> None:
    src = _book(tmp_path / "book.xlsx")
    (tmp_path / lock).write_bytes(b"user")
    before = src.read_bytes()
    with pytest.raises(WorkbookError, match=f"book.xlsx is open in {program} .*close it there.* -o"):
        recalc(src, None, FUNCTIONS, in_place=True, allow_stale=True)
    assert src.read_bytes() == before


def test_an_open_output_is_not_replaced(tmp_path: Path) -> None:
    src = _book(tmp_path / "book.xlsx")
    out = tmp_path / "positions_out.xlsx"
    out.write_bytes(b"the user's open copy")
    (tmp_path / "~$sitions_out.xlsx").write_bytes(b"user")  # a long name loses two characters
    for run in (recalc, freeze):
        with pytest.raises(WorkbookError, match=r"positions_out\.xlsx is open in Excel"):
            run(src, out, FUNCTIONS, allow_stale=True)
    assert out.read_bytes() == b"the user's open copy"
    (tmp_path / "~$sitions_out.xlsx").unlink()
    recalc(src, out, FUNCTIONS, allow_stale=True)  # closed: written


def test_freeze_onto_its_input_names_no_in_place_option(tmp_path: Path) -> None:
    src = _book(tmp_path / "book.xlsx")
    with pytest.raises(WorkbookError, match=r"the output is the input; give freeze another output file$"):
        freeze(src, src, FUNCTIONS)


def test_a_dde_link_and_a_name_into_another_workbook_are_named_as_such(tmp_path: Path) -> None:
    report = recalculate(_book(tmp_path / "book.xlsx"), FUNCTIONS)
    reasons = {k.ref: k.reason for k in report.kept}
    assert reasons == {
        "B2": "the name Ext refers to another workbook ('C:\\dir\\[other.xlsx]Data'!$A$1); not read here",
        "B3": "a DDE link (cmd|' /c calc'!A0): Excel would ask the program cmd for its value; not run here",
    }


def test_a_utf32_part_is_refused_in_one_line(tmp_path: Path) -> None:
    src = _book(tmp_path / "book.xlsx")
    with zipfile.ZipFile(src) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    part = "xl/workbook.xml"
    text = parts[part].decode().replace('encoding="UTF-8"', 'encoding="UTF-32"')
    parts[part] = text.encode("utf-32")
    with zipfile.ZipFile(src, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(WorkbookError, match=rf"part {part} is encoded in UTF-32, an encoding Excel never"):
        recalculate(src, FUNCTIONS)
