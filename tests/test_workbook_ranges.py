"""Named ranges read back from the package parts give what openpyxl gives (values, number formats).

The workbooks are the committed templates and one generated here with XlsxWriter (invented
content: a regression check of our reader against openpyxl, not published figures).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.cell import range_boundaries

from tests.conftest import REPO
from xlmargin.workbook.ranges import named_ranges

ANY = re.compile(r".+")


def by_openpyxl(path: Path) -> list[tuple[str, str, list[list[tuple[object, str]]]]]:
    """(name, sheet, (value, number format) of each cell) of each area of each workbook-level name,
    as openpyxl reads them."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        out = []
        for name, defined in book.defined_names.items():
            for sheet, ref in defined.destinations:
                if sheet in book.sheetnames:
                    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
                    rows = book[sheet].iter_rows(min_row, max_row, min_col, max_col)
                    out.append((name, sheet, [[(c.value, c.number_format) for c in row] for row in rows]))
        return out
    finally:
        book.close()


def by_us(path: Path) -> list[tuple[str, str, list[list[tuple[object, str]]]]]:
    return [
        (name, title.rpartition("!")[0], [[(c.value, c.number_format) for c in row] for row in rows])
        for name, title, rows in named_ranges(path, ANY)
    ]


@pytest.mark.parametrize("path", sorted((REPO / "workbooks").glob("*.xlsx")), ids=lambda p: p.stem)
def test_the_templates_read_as_openpyxl_reads_them(path: Path) -> None:
    ours = by_us(path)
    assert ours == by_openpyxl(path)
    assert any(name.startswith("xlmReport") for name, _, _ in ours)


def test_strings_booleans_errors_formats_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("My Sheet")
    pct, money = wb.add_format({"num_format": 10}), wb.add_format({"num_format": '"$"#,##0;[Red]-"$"#,##0'})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    s.write_row("A1", ["label", "a & <b>", True, 0.125, 12, 1234.5])
    s.write_rich_string("A2", wb.add_format({"bold": True}), "bold", " plain")
    s.write_formula("B2", "=1/0", None, "#DIV/0!")
    s.write_number("C2", 0.5, pct)
    s.write_number("D2", -3, money)
    s.write_datetime("E2", dt.datetime(2026, 12, 4), date)
    s.write_datetime("F2", dt.datetime(2026, 12, 4, 13, 30), date)
    wb.define_name("Both", "='My Sheet'!$A$1:$D$2,'My Sheet'!$F$1")
    wb.define_name("Dates", "='My Sheet'!$E$2:$F$2")
    wb.add_worksheet("Other")
    wb.define_name("Other!LocalOnly", "='My Sheet'!$A$1")
    wb.close()
    ours = list(named_ranges(path, ANY))
    assert [(name, title) for name, title, _ in ours] == [
        ("Both", "My Sheet!A1:D2"),
        ("Both", "My Sheet!F1"),
        ("Dates", "My Sheet!E2:F2"),
    ]
    theirs = by_openpyxl(path)
    assert by_us(path)[:2] == theirs[:2]  # the dates apart (openpyxl gives a datetime at midnight)
    assert [c.value for c in ours[0][2][1]] == ["bold plain", "#DIV/0!", 0.5, -3]
    assert [c.value for c in ours[2][2][0]] == [dt.date(2026, 12, 4), dt.datetime(2026, 12, 4, 13, 30)]
    assert [v for v, _ in theirs[2][2][0]] == [dt.datetime(2026, 12, 4), dt.datetime(2026, 12, 4, 13, 30)]


def test_recalc_loads_no_module_it_does_not_need(tmp_path: Path) -> None:
    # logging is allowed: Reg T's worker threads (concurrent.futures) import it, about 2 ms
    code = (
        "import sys; from xlmargin.cli import main; code = main(sys.argv[1:]); "
        "unused = ('openpyxl', 'pandas', 'scipy', 'xlmargin.install', 'xlmargin.templates'); "
        "print(sorted(m for m in unused if m in sys.modules)); sys.exit(code)"
    )
    out = tmp_path / "out.xlsx"
    argv = ["recalc", str(REPO / "workbooks" / "hedge_comparison.xlsx"), "-o", str(out)]
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    assert "Reg T baseline" in done.stdout
    assert done.stdout.rstrip().endswith("[]")


def test_a_cell_its_type_cannot_read_is_shown_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("S")
    s.write_row("A1", ["text", 0.5, True])
    wb.define_name("xlmReport1", "=S!$A$1:$C$1")
    wb.close()
    odd = tmp_path / "odd2.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(odd, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="A1" t="s"><v>0</v>', b'<c r="A1" t="s" s="x"><v>99</v>')
                data = data.replace(b"<v>0.5</v>", b"<v>abc</v>")
            dst.writestr(info, data)
    [(_, _, rows)] = named_ranges(odd, ANY)
    assert [c.value for c in rows[0]] == ["99", "abc", True]
