"""Recalc's dynamic arrays against merged cells, the used range it leaves, and its time limit.

Three defects, each shown on real .xlsx files written by XlsxWriter (or with hand-written sheet
XML where the case needs it):

1. a dynamic array whose spill range held merged cells was written under the merge; Excel shows
   ``#SPILL!`` in the anchor ("spill range has merged cells") and writes nothing of the spill, as
   it does for a non-empty cell in the way;
2. a spill beyond the sheet's ``<dimension>`` left it too small, and openpyxl's read-only mode
   (which trusts it) missed the spilled rows and columns;
3. ``--timeout`` bounded the evaluation only, not the scanning of the sheets before it.

The stand-in functions are trivial (``GRID``: a fixed 3x2 table); figures from the worksheet
functions are their own (regression snapshots, no published source needed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from tests.test_recalc_cli import xlmargin
from xlmargin.workbook import BlockedSpill, CellError, Limits, WorkbookError, freeze, recalc, recalculate
from xlmargin.workbook import _sheetxml as sx
from xlmargin.workbook._sheetxml import CellEdit, rewrite

SHEET = "xl/worksheets/sheet1.xml"


def grid(*_args: object) -> list[list[object]]:
    return [["a", 1.0], ["b", 2.0], ["c", 3.0]]


FUNCTIONS: dict[str, Callable[..., object]] = {"GRID": grid}


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def sheet_xml(path: Path) -> str:
    return parts(path)[SHEET].decode()


def outside_sheet_data(xml: str) -> str:
    return re.sub(r"<sheetData>.*</sheetData>", "", xml, flags=re.S)


def cell_xml(xml: str) -> dict[str, str]:
    return {m.group(1): m.group() for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml)}


def check_untouched(src: Path, out: Path, changed: set[str]) -> None:
    """Every part but the sheet is kept byte for byte, in the sheet every cell but ``changed``
    (and, when nothing grew, everything outside ``<sheetData>``: merges, dimension...)."""
    before, after = parts(src), parts(out)
    assert list(before) == list(after)
    assert {n: d for n, d in before.items() if n != SHEET} == {n: d for n, d in after.items() if n != SHEET}
    old, new = cell_xml(before[SHEET].decode()), cell_xml(after[SHEET].decode())
    assert {r: x for r, x in old.items() if r not in changed} == {
        r: x for r, x in new.items() if r not in changed
    }


# ---------------------------------------------------------------- 1: a spill into merged cells


def merged_book(
    path: Path, anchor: str, merge: str, text: str | None, *, block_with_value: bool = False
) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_dynamic_array_formula(anchor, "=GRID()")
    if block_with_value:
        ws.write(merge.split(":")[0], text)
    else:
        ws.merge_range(merge, text or "", wb.add_format({"bold": True}))
    ws.write_formula("E1", "=B3")  # reads a cell the spill would cover
    ws.write_dynamic_array_formula("H1", "=GRID()")  # a spill beside the merge, blocked by nothing
    wb.close()
    return path


@pytest.mark.parametrize(
    ("anchor", "merge", "text"),
    [
        ("A1", "B3:C4", None),  # an empty merge whose first cell is in the spill range
        ("B1", "A3:B4", "note"),  # its text is outside the spill range, its other cells are in it
    ],
)
def test_a_spill_into_merged_cells_shows_spill_and_leaves_the_merge_alone(
    tmp_path: Path, anchor: str, merge: str, text: str | None
) -> None:
    """Before: the table was written under the merge (B3 = 3 or A3:B3 = c, 3) and E1 read 3."""
    src = merged_book(tmp_path / "merged.xlsx", anchor, merge, text)
    out = tmp_path / "out.xlsx"
    report = recalc(src, out, FUNCTIONS)
    assert report.value("S", anchor) == "#SPILL!" and isinstance(report.value("S", anchor), CellError)
    extent = {"A1": "A1:B3", "B1": "B1:C3"}[anchor]
    assert report.blocked == (BlockedSpill("S", anchor, extent, merge),)
    assert report.value("S", "E1") == 0.0  # B3 is empty, as in Excel: nothing spilled there
    assert report.value("S", "I3") == 3.0  # the other spill is not blocked
    xml = sheet_xml(out)
    assert f'<f t="array" ref="{anchor}">GRID()</f><v>#SPILL!</v>' in xml
    check_untouched(src, out, {anchor, "E1", "H1", "I1", "H2", "I2", "H3", "I3"})
    # the anchor as XlsxWriter wrote it, its value the error: nothing else of the table is written
    assert (
        cell_xml(xml)[anchor]
        == f'<c r="{anchor}" cm="1" t="e"><f t="array" ref="{anchor}">GRID()</f><v>#SPILL!</v></c>'
    )
    # the merge kept; the dimension grown for the other spill (H1:I3) only
    assert outside_sheet_data(xml).replace("A1:I4", "A1:H4") == outside_sheet_data(sheet_xml(src))
    sheet = openpyxl.load_workbook(out, data_only=True)["S"]
    assert [str(r) for r in sheet.merged_cells.ranges] == [merge]
    assert sheet[merge.split(":")[0]].value == text
    column = sx.parse_ref(anchor)[1]
    assert [sheet.cell(r, column).value for r in (2, 3)] == [None, None]  # nothing of the table


def test_a_merge_blocks_as_a_non_empty_cell_does(tmp_path: Path) -> None:
    """The two ways Excel refuses a spill give the same anchor: alone, ``#SPILL!`` (an empty
    merge: the table was written under it before)."""
    outs = []
    for name, text, by_value in (("merged", None, False), ("valued", "note", True)):
        src = merged_book(tmp_path / f"{name}.xlsx", "A1", "B3:C4", text, block_with_value=by_value)
        out = tmp_path / f"{name}.out.xlsx"
        report = recalc(src, out, FUNCTIONS)
        assert report.value("S", "A1") == "#SPILL!"
        outs.append(cell_xml(sheet_xml(out))["A1"])
    assert outs[0] == outs[1]


def test_a_spill_that_grows_once_another_is_blocked_is_checked_again(tmp_path: Path) -> None:
    """J1's table is one row while A1 spills and three rows once A1 shows #SPILL!: then it meets
    the merge J3:K3 in its turn."""
    src = tmp_path / "cascade.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("S")
    ws.write_dynamic_array_formula("A1", "=GRID()")
    ws.merge_range("B3:C4", "")
    ws.write_dynamic_array_formula("J1", "=SIZED(A1)")
    ws.merge_range("J3:K3", "")
    wb.close()

    def sized(x: object) -> object:
        return [[1.0], [2.0], [3.0]] if isinstance(x, CellError) else [[1.0]]

    report = recalc(src, tmp_path / "out.xlsx", {"GRID": grid, "SIZED": sized})
    assert [(b.ref, b.extent, b.merged) for b in report.blocked] == [
        ("A1", "A1:B3", "B3:C4"),
        ("J1", "J1:J3", "J3:K3"),
    ]
    assert report.value("S", "J1") == "#SPILL!"


def col3(*_args: object) -> list[list[object]]:
    return [[1.0], [2.0], [3.0]]


def _arrays(path: Path, arrays: dict[str, str], merge: str, formulas: dict[str, str] | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for ref, formula in arrays.items():
        ws.write_dynamic_array_formula(ref, formula)
    for ref, formula in (formulas or {}).items():
        ws.write_formula(ref, formula)
    ws.merge_range(merge, "")
    wb.close()
    return path


@pytest.mark.parametrize("merge", ["A3:E3", "A3:B3"])
def test_an_array_sized_by_a_blocked_one_is_one_value_and_not_blocked(tmp_path: Path, merge: str) -> None:
    """Once A1 is #SPILL!, D1 = IFERROR(A1#*1,"x") is one value ("x" in Excel) and spills no more.
    Before, a merge across both spills (A3:E3) blocked both in the same round: D1 was #SPILL!."""
    src = _arrays(tmp_path / "dependent.xlsx", {"A1": "=COL3()", "D1": '=IFERROR(A1#*1,"x")'}, merge)
    report = recalculate(src, {"COL3": col3})
    assert (report.value("S", "A1"), report.value("S", "D1")) == ("#SPILL!", "x")
    assert report.blocked == (BlockedSpill("S", "A1", "A1:A3", merge),)


def test_an_array_read_indirectly_and_later_in_the_sheet_is_blocked_first(tmp_path: Path) -> None:
    """The array read is not the first in cell order (A1 reads D1's spill), and J1's size reads
    D1's spill through a plain cell (H1 = D2 + 0): only D1 is blocked; A1 is "x", J1 one row."""
    arrays = {"A1": '=IFERROR(D1#*1,"x")', "D1": "=COL3()", "J1": "=SEQUENCE(H1+1)"}
    src = _arrays(tmp_path / "indirect.xlsx", arrays, "A3:K3", {"H1": "=D2+0"})
    report = recalculate(src, {"COL3": col3})
    assert [report.value("S", ref) for ref in ("A1", "D1", "H1", "J1")] == ["x", "#SPILL!", 0.0, 1.0]
    assert [(b.ref, b.extent) for b in report.blocked] == [("D1", "D1:D3")]
    assert [c.ref for c in report.cells if c.ref.startswith("J")] == ["J1"]  # one row


def test_independent_arrays_meeting_one_merge_are_all_blocked(tmp_path: Path) -> None:
    """A1 and D1 read nothing: both blocked in one round; F1 reads D1's spill, so it waits and,
    an error once D1 is, spills no more."""
    src = _arrays(tmp_path / "both.xlsx", {"A1": "=COL3()", "D1": "=COL3()", "F1": "=D1#*2"}, "A3:F3")
    report = recalculate(src, {"COL3": col3})
    assert [report.value("S", ref) for ref in ("A1", "D1")] == ["#SPILL!", "#SPILL!"]
    assert isinstance(report.value("S", "F1"), CellError)
    assert [(b.ref, b.extent) for b in report.blocked] == [("A1", "A1:A3"), ("D1", "D1:D3")]


def test_freeze_writes_the_spill_error_too(tmp_path: Path) -> None:
    src = merged_book(tmp_path / "merged.xlsx", "A1", "B3:C4", None)
    freeze(src, tmp_path / "frozen.xlsx", FUNCTIONS)
    sheet = openpyxl.load_workbook(tmp_path / "frozen.xlsx")["S"]
    assert (sheet["A1"].value, sheet["B3"].value, sheet["E1"].value) == ("#SPILL!", None, 0)


def _positions(path: Path, formula: str, *, merge: str | None = None, value: str | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Book")
    for i, row in enumerate(
        [["symbol", "type", "quantity", "price"], ["SPY", "etf", 100, 690.0], ["IBM", "stock", -50, 150.0]]
    ):
        ws.write_row(i, 0, row)
    ws.write_dynamic_array_formula("F1", formula)
    if merge is not None:
        ws.merge_range(merge, "")
    if value is not None:
        ws.write("G3", value)
    wb.close()
    return path


def test_recalc_lists_an_xlmargin_table_that_cannot_spill_on_stderr(tmp_path: Path, capsys) -> None:
    """REGT_BREAKDOWN's table (F1:M4 here) under a merge: exit 1 and the reason on stderr, as a
    cell showing an xlmargin error; a non-empty cell in the way the same (it was exit 0, the
    #SPILL! listed among the workbook's own errors on stdout)."""
    merged = _positions(tmp_path / "merged.xlsx", "=REGT_BREAKDOWN(A1:D3)", merge="G3:H4")
    out = tmp_path / "merged.out.xlsx"
    assert xlmargin("recalc", merged, "-o", out) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        f"xlmargin: 1 cell holds an xlmargin error (written to {out}):\n"
        "  Book!F1: #SPILL! REGT_BREAKDOWN's table cannot spill: its result (F1:M4) would spill into "
        "the merged cells G3:H4; Excel shows #SPILL! there too (unmerge them or move the formula)\n"
    )
    assert "Excel error value" not in captured.out
    valued = _positions(tmp_path / "valued.xlsx", "=REGT_BREAKDOWN(A1:D3)", value="note")
    assert xlmargin("recalc", valued, "-o", tmp_path / "valued.out.xlsx") == 1
    assert (
        "  Book!F1: #SPILL! REGT_BREAKDOWN's table cannot spill: a cell in its spill range is not empty"
        in (capsys.readouterr().err)
    )
    free = _positions(tmp_path / "free.xlsx", "=REGT_BREAKDOWN(A1:D3)")
    assert xlmargin("recalc", free, "-o", tmp_path / "free.out.xlsx") == 0
    assert "Book!F1:M4" in capsys.readouterr().out


def test_an_ordinary_array_blocked_by_a_merge_is_the_workbook_own_error(tmp_path: Path, capsys) -> None:
    """SEQUENCE is no xlmargin call: its #SPILL! is listed with the workbook's errors, exit 0."""
    src = _positions(tmp_path / "seq.xlsx", "=SEQUENCE(4,3)", merge="G3:H4")
    assert xlmargin("recalc", src, "-o", tmp_path / "seq.out.xlsx") == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "  Book!F1: #SPILL! (its result (F1:H4) would spill into the merged cells G3:H4)" in captured.out


# ---------------------------------------------------------------- 2: dimension and spans


def grown_book(path: Path) -> Path:
    """Two dynamic arrays whose spills (A1:B3, D5:F6) reach past the used range XlsxWriter records."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_dynamic_array_formula("A1", "=GRID()")
    ws.write_dynamic_array_formula("D5", "=SEQUENCE(2,3)")
    wb.close()
    return path


def test_a_spill_beyond_the_used_range_is_read_back_by_openpyxl_read_only(tmp_path: Path) -> None:
    """XlsxWriter records the used range A1:D5 (the anchors); the spills reach F6. Before, the
    dimension stayed A1:D5 and read-only openpyxl missed row 6 and columns E:F."""
    src = grown_book(tmp_path / "grow.xlsx")
    assert '<dimension ref="A1:D5"/>' in sheet_xml(src)
    out = tmp_path / "out.xlsx"
    report = recalc(src, out, FUNCTIONS)
    xml = sheet_xml(out)
    assert '<dimension ref="A1:F6"/>' in xml
    assert '<row r="5" spans="1:6">' in xml  # was 1:4, the block's hint; E5:F5 are now written
    written = {sx.parse_ref(c.ref): c.value for c in report.cells if c.value is not None}
    assert len(written) == 12
    read_only = openpyxl.load_workbook(out, read_only=True, data_only=True)["S"]
    seen = {
        (cell.row, cell.column): cell.value
        for row in read_only.iter_rows()
        for cell in row
        if cell.value is not None
    }
    assert seen == written
    # nothing else changed outside the cells: the dimension is the only edit before <sheetData>
    assert outside_sheet_data(xml).replace("A1:F6", "A1:D5") == outside_sheet_data(sheet_xml(src))


def test_dimension_grows_only_and_unreadable_hints_are_left_or_dropped() -> None:
    head = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'

    def sheet(dimension: str, rows: str, prefix: str = "") -> str:
        p = prefix
        return f'{head}<{p}dimension ref="{dimension}"/><{p}sheetData>{rows}</{p}sheetData></worksheet>'

    rows = '<row r="2" spans="2:3"><c r="B2"><v>1</v></c><c r="C2"><f>X()</f></c></row>'
    # a value written inside the used range changes nothing but the value
    assert rewrite(sheet("A1:D9", rows), {(2, 3): CellEdit(None, "5")}, drop_formulas=False) == sheet(
        "A1:D9", rows.replace("<f>X()</f>", "<f>X()</f><v>5</v>")
    )
    # beyond it: the dimension grows (never shrinks), the row's spans too (a list becomes one span)
    listed = rows.replace('spans="2:3"', 'spans="2:2 3:3"')
    new = rewrite(
        sheet("B2:C2", listed),
        {(2, 5): CellEdit(None, "7"), (4, 1): CellEdit(None, "8")},
        drop_formulas=False,
    )
    assert '<dimension ref="A2:E4"/>' in new and '<row r="2" spans="2:5">' in new
    # a cleared value does not grow anything
    assert '<dimension ref="B2:C2"/>' in rewrite(
        sheet("B2:C2", rows), {(9, 9): CellEdit(None, None)}, drop_formulas=False
    )
    # a dimension that cannot be read is left as it is; spans that cannot be read are dropped
    bad = rewrite(sheet("?", rows.replace("2:3", "x")), {(2, 5): CellEdit(None, "7")}, drop_formulas=False)
    assert '<dimension ref="?"/>' in bad and '<row r="2"><c r="B2">' in bad
    # a prefixed sheet (the Open XML SDK's x:) is handled the same way
    tags = {"<row": "<x:row", "</row>": "</x:row>", "<c ": "<x:c ", "</c>": "</x:c>", "<v>": "<x:v>"}
    tags |= {"</v>": "</x:v>", "<f>": "<x:f>", "</f>": "</x:f>"}
    for old, new_tag in tags.items():
        rows = rows.replace(old, new_tag)
    prefixed = sheet("B2:C2", rows, "x:")
    new = rewrite(prefixed, {(3, 4): CellEdit(None, "7")}, drop_formulas=False)
    assert '<x:dimension ref="B2:D3"/>' in new


# ---------------------------------------------------------------- 3: the time limit covers the scan


def _many_formulas(path: Path, n: int) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r in range(n):
        ws.write_formula(r, 0, f"={r}+1")
    wb.close()
    return path


def _slow(monkeypatch: pytest.MonkeyPatch, name: str, seconds: float) -> None:
    original = getattr(sx, name)

    def slow(*args: object, **kwargs: object) -> object:
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(sx, name, slow)


def test_the_time_limit_stops_a_slow_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """400 formulas read at 10 ms each: a 4 s scan. Before, --timeout 0.3 did not stop it (the
    clock started with the evaluation) and the recalculation succeeded after the full scan."""
    src = _many_formulas(tmp_path / "big.xlsx", 400)
    _slow(monkeypatch, "_formula_cell", 0.01)
    started = time.perf_counter()
    with pytest.raises(
        WorkbookError, match=r"^big.xlsx: recalculation took longer than 0.3 s; stopped \(--timeout\)$"
    ):
        recalculate(src, {}, limits=Limits(seconds=0.3))
    assert time.perf_counter() - started < 1.5


def test_the_time_limit_covers_the_whole_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The command line says it in one line, exit 2, and writes nothing; the same limit runs on
    through the writing of the values (a slow rewrite of each row)."""
    src = _many_formulas(tmp_path / "big.xlsx", 400)
    out = tmp_path / "out.xlsx"
    with monkeypatch.context() as patch:
        _slow(patch, "_formula_cell", 0.01)
        assert xlmargin("recalc", src, "-o", out, "--timeout", "0.3") == 2
    assert (
        capsys.readouterr().err
        == "xlmargin: big.xlsx: recalculation took longer than 0.3 s; stopped (--timeout)\n"
    )
    assert not out.exists()
    _slow(monkeypatch, "_rewrite_row", 0.01)  # the engine's copy needs no row rewritten: only the output
    with pytest.raises(WorkbookError, match=r"took longer than 1 s; stopped \(--timeout\)$"):
        recalc(src, out, {}, limits=Limits(seconds=1.0))
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.xlsx"]  # no temporary file left


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_every_written_cell(tmp_path: Path) -> None:
    """LibreOffice recalculates dynamic arrays itself (``GRID`` is unknown to it: ``#NAME?``), so
    the values-only copy is the one it shows as written: the spills beyond the old used range."""
    src = grown_book(tmp_path / "grow.xlsx")
    out = tmp_path / "out.xlsx"
    freeze(src, out, FUNCTIONS)
    subprocess.run(
        ["setsid", "timeout", "-k", "5", "90", "soffice", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--headless", "--convert-to", "csv", "--outdir", str(tmp_path / "csv"), str(out)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    rows = [r.split(",") for r in (tmp_path / "csv" / "out.csv").read_text().splitlines()]
    assert [r[:2] for r in rows[:3]] == [["a", "1"], ["b", "2"], ["c", "3"]]
    assert [r[3:6] for r in rows[4:6]] == [["1", "2", "3"], ["4", "5", "6"]]


def test_arrays_reading_one_another_are_all_blocked_so_the_rounds_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A1's spill feeds D1 and D1's feeds A1 (a circular reference the engine may still report as two
    # arrays): neither is independent, and keeping none would find the same two again every round
    # until --timeout; both are blocked instead.
    from xlmargin.workbook import calculate
    from xlmargin.workbook.report import BlockedSpill

    a1, d1 = ("S", 1, 1), ("S", 1, 4)
    found = {a1: BlockedSpill("S", "A1", "A1:A3", "A3:E3"), d1: BlockedSpill("S", "D1", "D1:D3", "A3:E3")}
    feeds = {("S", 3, 1): [d1], ("S", 3, 4): [a1]}
    monkeypatch.setattr(calculate, "_dependents", lambda book, cell: feeds.get(cell, []))
    monkeypatch.setattr(calculate, "_spill_extent", lambda book, s, r, c: None)

    class Never:
        def check(self) -> None:
            pass

    assert calculate._independent(None, found, {a1, d1}, Never()) == found  # type: ignore[arg-type]
