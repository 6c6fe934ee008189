"""Headless recalculation keeps every part of a workbook and writes numbers any reader can see.

The workbooks are generated here with XlsxWriter; their content is invented (regression
snapshots of our own behaviour, not published figures). The stand-in functions are trivial:
``SUMQTY`` sums the "Qty" column of a range found by its header, ``GRID`` returns a fixed 3x2 table.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pytest
import xlsxwriter

from xlmargin.workbook import (
    CellError,
    KeptCell,
    RecalcReport,
    WorkbookError,
    _package,
    _values,
    calculate,
    freeze,
    recalc,
    recalculate,
    write_values,
)

SUMMARY = "xl/worksheets/sheet2.xml"
PIVOT = "xl/pivotCache/pivotCacheDefinition1.xml"
PIVOT_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<pivotCacheDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'refreshOnLoad="1" recordCount="0"><cacheSource type="worksheet">'
    b'<worksheetSource ref="A1:C5" sheet="Positions"/></cacheSource><cacheFields count="0"/>'
    b"</pivotCacheDefinition>"
)
CALC_CHAIN_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<c r="B1" i="2"/><c r="B2"/></calcChain>'
)
VBA_BIN = bytes.fromhex("D0CF11E0A1B11AE1") + b"not a real VBA project, only its bytes matter" * 20


def sumqty(rng: list[list[object]]) -> float:
    col = rng[0].index("Qty")
    return sum(q for r in rng[1:] if isinstance(q := r[col], float))


def grid(*_args: object) -> list[list[object]]:
    return [["a", 1.0], ["b", 2.0], ["c", 3.0]]


def label(x: object) -> str:
    return f"total <{x}> & co"


FUNCTIONS: dict[str, Callable[..., object]] = {"SUMQTY": sumqty, "GRID": grid, "label": label}

# Summary cell -> value after recalculation (openpyxl data_only reading)
EXPECTED = {
    "B1": 12,
    "B2": 24,
    "B3": 12,
    "B4": "total <12.0> & co",
    "B5": True,
    "B6": "#DIV/0!",
    "B7": 6,
    "B8": 6,
    "B9": 12,
    "B10": 36,
    "D1": "a",
    "E1": 1,
    "D2": "b",
    "E2": 2,
    "D3": "c",
    "E3": 3,
    "G1": "a",
    "H1": 1,
    "G3": "c",
    "H3": 3,
    "J1": "a",
    "K3": 3,
    "J4": "#N/A",
    "K4": "#N/A",
}


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _rezip(path: Path, add: dict[str, bytes], edit: dict[str, Callable[[str], str]]) -> None:
    """Rewrite the zip at ``path`` with parts added or edited (fixture crafting only)."""
    with zipfile.ZipFile(path) as src:
        parts = [(i, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in parts:
            change = edit.get(info.filename)
            dst.writestr(info, data if change is None else change(data.decode()).encode())
        for name, data in add.items():
            dst.writestr(name, data)


def make_workbook(folder: Path, suffix: str = ".xlsx") -> Path:
    """A workbook with a chart, image, validation, conditional format, names, a table, a CSE
    array, a dynamic array, custom and dependent formulas, a pivot cache part and a calcChain."""
    path = folder / f"alloc{suffix}"
    (folder / "tiny.png").write_bytes(_png())
    wb = xlsxwriter.Workbook(str(path))
    pos = wb.add_worksheet("Positions")
    rows = [["A", 10, 1.5], ["B", -3, 2.0], ["C", 5, None], ["D", None, 4.0]]
    headers = [{"header": h} for h in ("Sym", "Qty", "Price")]
    pos.add_table("A1:C5", {"name": "tblPositions", "columns": headers, "data": rows})
    pos.data_validation(
        "B2:B5", {"validate": "integer", "criteria": "between", "minimum": -99, "maximum": 99}
    )
    wb.define_name("PosRange", "=Positions!$A$1:$C$5")
    s = wb.add_worksheet("Summary")
    s.write_formula("B1", "=SUMQTY(tblPositions[#All])")
    s.write_formula("B2", "=B1*2")
    s.write_formula("B3", "=SUMQTY(PosRange)")
    s.write_formula("B4", "=LABEL(B1)")
    s.write_formula("B5", "=B1>5")
    s.write_formula("B6", "=1/0")
    s.write_formula("B7", "=SUM(E1:E3)")
    s.write_formula("B8", "=SUM(_xlfn.ANCHORARRAY(G1))")
    s.write_formula("B9", "=_xldudf_XLWINGS_SUMQTY(Positions!A1:C5)")
    s.write_formula("B10", "=B2+B9")
    s.write_array_formula("D1:E3", "{=GRID(Positions!A1:C5)}")
    s.write_dynamic_array_formula("G1", "=GRID(Positions!A1:C5)")
    s.write_array_formula("J1:K4", "{=GRID(Positions!A1:C5)}")
    s.insert_image("M2", str(folder / "tiny.png"))
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Positions!$B$2:$B$5"})
    s.insert_chart("M8", chart)
    s.conditional_format(
        "B1:B10",
        {"type": "cell", "criteria": ">", "value": 5, "format": wb.add_format({"bold": True})},
    )
    if suffix == ".xlsm":
        (folder / "vbaProject.bin").write_bytes(VBA_BIN)
        wb.add_vba_project(str(folder / "vbaProject.bin"))
    wb.close()
    calc_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
    rel = (
        '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/calcChain" Target="calcChain.xml"/></Relationships>'
    )
    _rezip(
        path,
        add={PIVOT: PIVOT_XML, "xl/calcChain.xml": CALC_CHAIN_XML},
        edit={
            "[Content_Types].xml": lambda t: t.replace(
                "</Types>",
                f'<Override PartName="/xl/calcChain.xml" ContentType="{calc_type}"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": lambda t: t.replace("</Relationships>", rel),
        },
    )
    return path


def parts(path: Path) -> list[tuple[str, int, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, i.compress_type, zf.read(i)) for i in zf.infolist()]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def without_values(xml: str, refs: set[str]) -> dict[str, str]:
    """Cells of a sheet by ref, with the ``<v>`` and ``t`` of the given cells removed."""
    cells = {}
    for m in re.finditer(r'<c r="([A-Z]+\d+)"([^>]*?)(/>|>(.*?)</c>)', xml):
        ref, text = m.group(1), m.group(0)
        if ref in refs:
            text = re.sub(r"<v>.*?</v>|<v/>", "", text)
            text = re.sub(r'\s+t="[^"]*"', "", text)
        cells[ref] = text
    return cells


def outside_sheet_data(xml: str) -> str:
    return re.sub(r"<sheetData>.*</sheetData>", "", xml, flags=re.S)


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("xlsx"))


@pytest.fixture(scope="module")
def report(xlsx: Path) -> RecalcReport:
    return recalculate(xlsx, FUNCTIONS)


def check_lossless(src: Path, out: Path, report: RecalcReport) -> None:
    """Only the Summary sheet differs, and within it only the recalculated cells' values."""
    before, after = parts(src), parts(out)
    assert [(n, c) for n, c, _ in before] == [(n, c) for n, c, _ in after]
    for (name, _, old), (_, _, new) in zip(before, after, strict=True):
        if name != SUMMARY:
            assert old == new, name
    old_xml = {n: d for n, _, d in before}[SUMMARY].decode()
    new_xml = {n: d for n, _, d in after}[SUMMARY].decode()
    assert outside_sheet_data(old_xml) == outside_sheet_data(new_xml)
    refs = {c.ref for c in report.cells if c.sheet == "Summary"}
    old_cells = without_values(old_xml, refs)
    # the dynamic array grew from G1 to G1:H3, as Excel records it
    assert '<f t="array" ref="G1:H3">' in new_xml
    new_cells = without_values(new_xml.replace('ref="G1:H3"', 'ref="G1"'), refs)
    inserted = set(new_cells) - set(old_cells)
    assert inserted == {"H1", "G2", "H2", "G3", "H3"}
    assert all(new_cells.pop(ref) == f'<c r="{ref}"></c>' for ref in inserted)
    assert old_cells == new_cells
    # no cell element is edited twice or lost: row/column order is kept
    refs_in_order = re.findall(r'<c r="([A-Z]+)(\d+)"', new_xml)
    keys = [(int(r), len(c), c) for c, r in refs_in_order]
    assert keys == sorted(keys)


def check_values(path: Path) -> None:
    sheet = openpyxl.load_workbook(path, data_only=True)["Summary"]
    assert {ref: sheet[ref].value for ref in EXPECTED} == EXPECTED


def test_report_values(report: RecalcReport) -> None:
    assert report.value("Summary", "B1") == 12.0
    assert report.value("Summary", "$b$2") == 24.0
    assert report.value("Summary", "B9") == 12.0  # _xldudf_XLWINGS_SUMQTY alias
    assert report.value("Summary", "B5") is True
    error = report.value("Summary", "B6")
    assert isinstance(error, CellError) and error == "#DIV/0!"
    assert isinstance(report.value("Summary", "J4"), CellError)
    assert report.value("Summary", "H3") == 3.0
    anchors = {c.ref: c.array_ref for c in report.cells if c.array_ref}
    assert anchors == {"D1": "D1:E3", "G1": "G1:H3", "J1": "J1:K4", "B8": "B8"}
    with pytest.raises(KeyError):
        report.value("Positions", "A1")


def test_recalc_to_new_file_loses_nothing(xlsx: Path, tmp_path: Path) -> None:
    before = sha(xlsx)
    out = tmp_path / "out.xlsx"
    report = recalc(xlsx, out, FUNCTIONS)
    assert sha(xlsx) == before
    check_lossless(xlsx, out, report)
    check_values(out)
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]  # no temp file left


def test_recalc_in_place(xlsx: Path, tmp_path: Path) -> None:
    work = tmp_path / "alloc.xlsx"
    shutil.copyfile(xlsx, work)
    report = recalc(work, None, FUNCTIONS, in_place=True)
    check_lossless(xlsx, work, report)
    check_values(work)
    assert [p.name for p in tmp_path.iterdir()] == ["alloc.xlsx"]


def test_recalc_is_idempotent(xlsx: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    recalc(xlsx, once, FUNCTIONS)
    recalc(once, twice, FUNCTIONS)
    assert parts(once) == parts(twice)


def test_xlsm_keeps_vba_and_pivot_cache(tmp_path: Path) -> None:
    src = make_workbook(tmp_path, ".xlsm")
    out = tmp_path / "out.xlsm"
    report = recalc(src, out, FUNCTIONS)
    check_lossless(src, out, report)
    check_values(out)
    after = {n: d for n, _, d in parts(out)}
    assert after["xl/vbaProject.bin"] == VBA_BIN
    assert after[PIVOT] == PIVOT_XML
    assert b"macroEnabled" in after["[Content_Types].xml"]


def test_freeze_keeps_values_drops_formulas(xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "frozen.xlsx"
    freeze(xlsx, out, FUNCTIONS)
    before, after = {n: d for n, _, d in parts(xlsx)}, {n: d for n, _, d in parts(out)}
    assert set(before) - set(after) == {"xl/calcChain.xml"}
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    changed = {n for n in after if after[n] != before[n]}
    assert changed == {SUMMARY, "[Content_Types].xml", "xl/_rels/workbook.xml.rels"}
    summary = after[SUMMARY].decode()
    assert not re.search(r"<f[\s>/]", summary) and ' cm="' not in summary
    check_values(out)
    sheet = openpyxl.load_workbook(out)["Summary"]  # formulas gone: the plain read sees values
    assert sheet["B1"].value == 12 and sheet["D2"].value == "b"
    assert after[PIVOT] == PIVOT_XML
    assert after["xl/media/image1.png"] == before["xl/media/image1.png"]


def test_refuses_bad_destinations(xlsx: Path, tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="in place"):
        recalc(xlsx, xlsx, FUNCTIONS)
    with pytest.raises(WorkbookError, match="no output"):
        recalc(xlsx, None, FUNCTIONS)
    with pytest.raises(WorkbookError, match="extension"):
        recalc(xlsx, tmp_path / "out.xlsm", FUNCTIONS)
    with pytest.raises(WorkbookError, match="is a folder"):
        recalc(xlsx, tmp_path, FUNCTIONS)
    with pytest.raises(WorkbookError, match="does not exist"):
        recalc(xlsx, tmp_path / "missing" / "out.xlsx", FUNCTIONS)
    with pytest.raises(WorkbookError):
        freeze(xlsx, xlsx, FUNCTIONS)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(
    xlsx: Path, report: RecalcReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "alloc.xlsx"
    shutil.copyfile(xlsx, work)
    original = sha(work)

    def broken(zf: zipfile.ZipFile, out: BinaryIO, *args: object) -> None:
        out.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(_package, "copy_package", broken)
    with pytest.raises(OSError, match="disk full"):
        write_values(work, work, report)
    with pytest.raises(OSError, match="disk full"):
        write_values(work, tmp_path / "new.xlsx", report)
    assert sha(work) == original
    assert [p.name for p in tmp_path.iterdir()] == ["alloc.xlsx"]


def _function_book(folder: Path, formulas: dict[str, str]) -> Path:
    path = folder / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("S")
    s.write_row("A1", ["Qty", 1.5, None, "x"])
    for ref, formula in formulas.items():
        s.write_formula(ref, formula)
    wb.close()
    return path


def test_function_arguments_and_results_are_excel_shaped(tmp_path: Path) -> None:
    seen: list[object] = []

    def probe(*args: object) -> object:
        seen.extend(args)
        return 1.0

    def boom(*_: object) -> object:
        raise ValueError("row 7, price: not a number")

    functions: dict[str, Callable[..., object]] = {
        "PROBE": probe,
        "NANVALUE": lambda: float("nan"),
        "NASTRING": lambda: "#N/A",
        "NOTHING": lambda: None,
        "BOOM": boom,
        "BIGINT": lambda: 10**20,
        "ODDTEXT": lambda: "a_x0041_\x01b",
    }
    src = _function_book(
        tmp_path,
        {
            "B3": '=PROBE(A1:D1, 7, "s", TRUE, 1/0)',
            "B4": "=NANVALUE()",
            "B5": "=NASTRING()",
            "B6": "=NOTHING()",
            "B7": "=BOOM()",
            "B8": "=BIGINT()",
            "B9": "=ODDTEXT()",
            "B10": "=UNKNOWNFN(1)",
        },
    )
    out = tmp_path / "out.xlsx"
    report = recalc(src, out, functions, allow_stale=True)
    assert seen == [[["Qty", 1.5, None, "x"]], 7.0, "s", True, "#DIV/0!"]
    assert report.kept == (KeptCell("S", "B10", "=UNKNOWNFN(1)", "UNKNOWNFN is not available here"),)
    assert isinstance(seen[-1], CellError)
    values = {c.ref: c.value for c in report.cells}
    assert values == {
        "B3": 1.0,
        "B4": "#NUM!",
        "B5": "#N/A",
        "B6": "",
        "B7": "#VALUE!",
        "B8": 1e20,
        "B9": "a_x0041_\x01b",
    }
    assert all(isinstance(values[r], CellError) for r in ("B4", "B5", "B7"))
    xml = {n: d for n, _, d in parts(out)}["xl/worksheets/sheet1.xml"]
    assert b'<c r="B9" t="str"><f>ODDTEXT()</f><v>a_x005F_x0041__x0001_b</v>' in xml  # ST_Xstring
    assert b'<c r="B7" t="e"><f>BOOM()</f><v>#VALUE!</v>' in xml
    assert openpyxl.load_workbook(out, data_only=True)["S"]["B8"].value == 1e20


def test_arrays_legacy_and_cse_fitting(tmp_path: Path) -> None:
    functions: dict[str, Callable[..., object]] = {
        "ONEROW": lambda: [1, 2, 3],
        "RAGGED": lambda: [[1.0, 2.0], [3.0]],
        "GRID": grid,
    }
    path = tmp_path / "a.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("S")
    s.write_formula("A1", "=GRID()")  # legacy formula: implicit intersection, no spill
    s.write_array_formula("A3:D4", "{=ONEROW()}")  # one row repeated down, 4th column #N/A
    s.write_dynamic_array_formula("A6", "=RAGGED()")
    wb.close()
    report = recalc(path, tmp_path / "out.xlsx", functions)
    values = {c.ref: c.value for c in report.cells}
    assert values == {
        "A1": "a",
        "A3": 1.0,
        "B3": 2.0,
        "C3": 3.0,
        "D3": "#N/A",
        "A4": 1.0,
        "B4": 2.0,
        "C4": 3.0,
        "D4": "#N/A",
        "A6": 1.0,
        "B6": 2.0,
        "A7": 3.0,
        "B7": "#N/A",
    }


def test_shrinking_spill_clears_old_cells(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write_dynamic_array_formula("A1:B4", "=GRID()")
    wb.close()
    # XlsxWriter wrote A1:B4 with cached zeros, as Excel would after a larger spill
    report = recalc(path, tmp_path / "out.xlsx", {"GRID": grid})
    assert report.value("S", "A1") == "a"
    assert report.value("S", "B4") is None
    xml = {n: d for n, _, d in parts(tmp_path / "out.xlsx")}["xl/worksheets/sheet1.xml"]
    assert b'ref="A1:B3"' in xml
    assert re.search(rb'<c r="B4"[^>]*/>|<c r="B4"[^>]*></c>', xml)
    assert openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["S"]["B4"].value is None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_recalculated_numbers(xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    frozen = tmp_path / "frozen.xlsx"
    recalc(xlsx, out, FUNCTIONS)
    freeze(xlsx, frozen, FUNCTIONS)
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2"
    for book in (out, frozen):
        subprocess.run(
            [
                "setsid",
                "timeout",
                "-k",
                "5",
                "90",
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--headless",
                "--convert-to",
                csv_filter,
                "--outdir",
                str(tmp_path / "csv"),
                str(book),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    plain = [r.split(",") for r in (tmp_path / "csv" / "out-Summary.csv").read_text().splitlines()]
    assert plain[0][1] == "12"  # a custom function's cached value
    assert plain[1][1] == "24"  # its dependant
    flat = [r.split(",") for r in (tmp_path / "csv" / "frozen-Summary.csv").read_text().splitlines()]
    assert flat[0][:8] == ["", "12", "", "a", "1", "", "a", "1"]
    assert flat[3][9:11] == ["#N/A", "#N/A"]


def test_pure_functions_run_once_per_distinct_call(tmp_path: Path) -> None:
    calls: list[tuple[str, tuple[object, ...]]] = []

    def echo(*args: object) -> object:
        calls.append(("ECHO", args))
        return repr(args)

    def counted_grid() -> object:
        calls.append(("GRID", ()))
        return grid()

    def boom(*_: object) -> object:
        calls.append(("BOOM", ()))
        raise ValueError("no")

    formulas = {f"B{r}": f"=INDEX(GRID(),{r % 3 + 1},2)" for r in range(2, 8)}
    formulas |= {"C2": "=ECHO(A1:D1)", "C3": "=ECHO(A1:D1)", "C4": "=ECHO(TRUE)", "C5": "=ECHO(1)"}
    formulas |= {"C6": '=ECHO("#N/A")', "C7": "=ECHO(NA())", "C8": "=BOOM()", "C9": "=BOOM()"}
    src = _function_book(tmp_path, formulas)
    functions: dict[str, Callable[..., object]] = {"ECHO": echo, "GRID": counted_grid, "BOOM": boom}
    every = recalculate(src, functions)
    assert len(calls) == len(formulas)  # not pure: each cell runs its function
    calls.clear()
    once = recalculate(src, functions, pure=True)
    assert once.cells == every.cells
    ran = sorted(name for name, _ in calls)
    assert ran == ["BOOM", "BOOM", "ECHO", "ECHO", "ECHO", "ECHO", "ECHO", "GRID"]  # a raise is not kept
    assert [once.value("S", f"C{r}") for r in (4, 5, 6, 7)] == ["(True,)", "(1.0,)", "('#N/A',)", "('#N/A',)"]
    assert sorted(type(args[0]).__name__ for name, args in calls if name == "ECHO") == [
        "CellError", "bool", "float", "list", "str"
    ]  # fmt: skip


def test_the_engines_copy_is_stored_uncompressed_unless_large(tmp_path: Path, monkeypatch) -> None:
    src = _function_book(tmp_path, {"B2": "=SUMQTY(A1:D1)"})
    with zipfile.ZipFile(src) as zf:
        original = {i.filename: (i.compress_type, zf.read(i)) for i in zf.infolist()}
        small = _package.package_bytes(zf, {})
        monkeypatch.setattr(_package, "STORED_BYTES", 0)
        large = _package.package_bytes(zf, {})
    for data, kinds in ((small, {zipfile.ZIP_STORED}), (large, {zipfile.ZIP_DEFLATED})):
        with zipfile.ZipFile(io.BytesIO(data)) as copy:
            parts = {i.filename: copy.read(i) for i in copy.infolist()}
            assert parts == {name: body for name, (_, body) in original.items()}
            assert {i.compress_type for i in copy.infolist()} == kinds
    assert {kind for kind, _ in original.values()} == {zipfile.ZIP_DEFLATED}


def test_a_pure_functions_memo_is_bounded(tmp_path: Path, monkeypatch) -> None:
    calls: list[object] = []

    def counted(rng: list[list[object]]) -> object:
        calls.append(rng)
        return sumqty(rng)

    src = _function_book(tmp_path, {f"B{r}": "=SUMQTY(A1:D1)" for r in range(2, 6)})
    monkeypatch.setattr(_values, "MEMO_BYTES", 0)  # no room: every call runs, with the same values
    report = recalculate(src, {"SUMQTY": counted}, pure=True)
    assert len(calls) == 4
    assert report.cells == recalculate(src, {"SUMQTY": sumqty}).cells


def _total_row_book(path: Path, quantity_total: str = "sum") -> Path:
    """tblPositions with a Total Row as XlsxWriter writes it (``SUBTOTAL(109,[quantity])``, a
    table-local reference), cached values as Excel would save them, and a cell reading the total."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Positions")
    sheet.add_table(
        "A1:D4",
        {
            "name": "tblPositions",
            "total_row": True,
            "data": [["AAPL", "stock", 600, 250.42], ["MSFT", "stock", 300, 483.62]],
            "columns": [
                {"header": "symbol", "total_string": "Total"},
                {"header": "type"},
                {"header": "quantity", "total_function": quantity_total, "total_value": 900},
                {"header": "price", "total_function": "average", "total_value": 367.02},
            ],
        },
    )
    sheet.write_formula("J2", "=C4*2", None, 1800)
    sheet.write_formula("J3", "=SUM(tblPositions[quantity])", None, 900)
    sheet.write_formula("J4", "=ROWS(tblPositions[[#Headers],[#Data]])", None, 3)
    book.close()
    return path


def test_a_table_total_row_and_structured_references_are_computed(tmp_path: Path) -> None:
    """formualizer alone: #NAME? for [quantity] (and J2 reading it), a circular reference for
    tblPositions[quantity] (its Total Row taken as data), #NAME? for [[#Headers],[#Data]]."""
    path = _total_row_book(tmp_path / "t.xlsx")
    # without their cached values (as openpyxl saves them): every formula is computed
    _rezip(path, {}, {"xl/worksheets/sheet1.xml": lambda x: re.sub(r"(</f>)<v>[^<]*</v>", r"\1", x)})
    report = recalculate(path, {})
    values = {c.ref: c.value for c in report.cells}
    assert values == {"C4": 900.0, "D4": 367.02, "J2": 1800.0, "J3": 900.0, "J4": 3.0}
    assert report.kept == ()


def test_a_formula_the_engine_refuses_is_kept_with_its_reason(tmp_path: Path, monkeypatch) -> None:
    """An engine error while the formulas are set (here a link the text scan is made to miss,
    which the engine refuses once a structured reference is written as a range) keeps the cell
    with the engine's reason: no traceback, and the engine never reads the other workbook."""
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Positions")
    sheet.add_table(
        "A1:B3",
        {
            "name": "tblP",
            "data": [["AAPL", 600], ["MSFT", 300]],
            "columns": [{"header": "symbol"}, {"header": "quantity"}],
        },
    )
    sheet.write_formula("D1", "=[other.xlsx]Data!A1+SUM(tblP[quantity])", None, 905)
    sheet.write_formula("D2", "=D1*2", None, 1810)
    sheet.write_formula("D3", "=SUM(tblP[quantity])", None, 0)
    book.close()
    # D1 with XlsxWriter's placeholder 0 is computed (a value of its own reading no xlmargin
    # result would stay as is)
    _rezip(path, {}, {"xl/worksheets/sheet1.xml": lambda x: x.replace("</f><v>905</v>", "</f><v>0</v>")})
    monkeypatch.setattr(calculate.fm, "may_link", lambda _text: False)
    report = recalculate(path, {})
    assert report.kept == (
        KeptCell(
            "Positions",
            "D1",
            "=[other.xlsx]Data!A1+SUM(tblP[quantity])",
            "the formula engine cannot read it (#NAME?: Undefined name: [other.xlsx]Data!A1)",
        ),
    )
    assert [c.ref for c in report.stale] == ["D2"]
    # D1 kept at its cached 0
    assert (report.value("Positions", "D2"), report.value("Positions", "D3")) == (0.0, 900.0)


def test_a_name_the_engine_cannot_resolve_keeps_the_cached_value(tmp_path: Path) -> None:
    path = _total_row_book(tmp_path / "t.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"SUBTOTAL(109,[quantity])", b"SUBTOTAL(109,NoSuchName)")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    report = recalculate(path, {})
    kept = {k.ref: k.reason for k in report.kept}
    assert kept == {
        "C4": "the formula engine cannot resolve a name in it (#NAME?)",
        "J2": "reads Positions!C4, which the formula engine cannot compute",
    }
    assert "C4" not in {c.ref for c in report.cells}
