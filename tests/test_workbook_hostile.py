"""Recalc never loses or falsifies a value: hostile and unusual workbooks (issue 10, items 2-7).

Each workbook is generated here, small: XlsxWriter writes the package and the sheet XML is then
replaced by hand-written XML in the form the case needs (shared formulas, prefixes, implicit
positions, external links...). The check is always the same: every part but the sheet is kept
byte for byte, and in the sheet only the cells the engine computed correctly change. Figures
are plain arithmetic on the cells (no published source needed).
"""

from __future__ import annotations

import argparse
import re
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import xlsxwriter

from xlmargin.workbook import KeptCell, Limits, StaleError, WorkbookError, freeze, recalc, recalculate
from xlmargin.workbook.cli import cmd_recalc, register

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS = f'xmlns="{MAIN}"'
_CELL = re.compile(r"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]+\d+)\"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)", re.DOTALL)


def double(x: object) -> object:
    return 2 * x if isinstance(x, float) else "#VALUE!"


def count_rows(rng: object) -> float:
    return float(len(rng)) if isinstance(rng, list) else 1.0


FUNCTIONS: dict[str, Callable[..., object]] = {"DOUBLE": double, "ROWSIN": count_rows}


def book(
    folder: Path,
    rows: str,
    *,
    root: str | None = None,
    add: Mapping[str, bytes] | None = None,
    edit: Mapping[str, Callable[[str], str]] | None = None,
    name: str = "book.xlsx",
) -> Path:
    """A one-sheet workbook ("S") whose sheet XML is ``rows`` inside ``<sheetData>``."""
    path = folder / name
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S")
    wb.close()
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    xml = root or f"{head}<worksheet {NS}><sheetData>{rows}</sheetData></worksheet>"
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == SHEET:
                data = xml.encode()
            elif edit and info.filename in edit:
                data = edit[info.filename](data.decode()).encode()
            zf.writestr(info, data)
        for part, data in (add or {}).items():
            zf.writestr(part, data)
    return path


def cells(path: Path) -> dict[str, str]:
    """Each cell's raw XML, by reference."""
    with zipfile.ZipFile(path) as zf:
        return {m.group(1): m.group() for m in _CELL.finditer(zf.read(SHEET).decode())}


def others(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n != SHEET}


def changed(src: Path, out: Path) -> set[str]:
    """The cells whose XML differs; every other part must be identical."""
    assert others(src) == others(out)
    before, after = cells(src), cells(out)
    assert set(before) <= set(after)
    return {ref for ref in after if before.get(ref) != after[ref]}


def value(path: Path, ref: str) -> str | None:
    m = re.search(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>", cells(path)[ref])
    return None if m is None else m.group(1)


# ---------------------------------------------------------------- 2: functions the engine lacks

# A1 has no cached value of its own (XlsxWriter's 0 in a fullCalcOnLoad book): it is computed, so
# recalc writes the cells reading it, and keeps those it cannot compute (B1, D1, G1:H1)
LACKING = (
    '<row r="1"><c r="A1"><f>1+1</f><v>0</v></c>'
    '<c r="B1"><f>BDP("IBM US Equity","PX_LAST",A1)</f><v>123</v></c>'
    '<c r="C1"><f>B1*2</f><v>1</v></c>'
    '<c r="D1"><f>MDURATION(DATE(2008,1,1),DATE(2016,1,1),0.08,0.09,A1,1)</f><v>5.5</v></c>'
    '<c r="E1"><f>A1+1</f><v>0</v></c>'
    '<c r="F1"><f>DOUBLE(C1)</f><v>0</v></c>'
    '<c r="G1"><f t="array" ref="G1:H1">MMULT(A1:A1,A1:B1)</f><v>4</v></c><c r="H1"><v>9</v></c>'
    '<c r="I1"><f>H1+1</f><v>0</v></c></row>'
)


def test_functions_the_engine_lacks_keep_their_cached_values(tmp_path: Path) -> None:
    src = book(tmp_path, LACKING)
    original = src.read_bytes()
    with pytest.raises(
        StaleError, match=r"3 formula cells cannot be computed here and 3 more read them"
    ) as info:
        recalc(src, None, FUNCTIONS, in_place=True)
    assert src.read_bytes() == original  # --in-place never makes the workbook worse
    report = info.value.report
    assert [(k.ref, k.reason) for k in report.kept] == [
        ("B1", "BDP is not available here"),
        ("D1", "MDURATION is not available here"),
        ("G1:H1", "MMULT is not available here"),
    ]
    assert {c.ref for c in report.stale} == {"C1", "F1", "I1"}

    out = tmp_path / "out.xlsx"
    recalc(src, out, FUNCTIONS, allow_stale=True)
    assert changed(src, out) == {"A1", "C1", "E1", "F1", "I1"}
    # the readers are computed from the cached values: 123 * 2, then doubled; H1's 9 + 1
    assert [value(out, r) for r in ("B1", "C1", "D1", "E1", "F1", "G1", "H1", "I1")] == [
        "123", "246", "5.5", "3", "492", "4", "9", "10"
    ]  # fmt: skip


def test_cli_lists_what_it_cannot_compute_and_writes_nothing(tmp_path: Path, capsys) -> None:
    src = book(tmp_path, LACKING)
    out = tmp_path / "out.xlsx"
    assert xlmargin("recalc", src, "-o", out) == 2
    err = capsys.readouterr().err
    assert not out.exists()
    # DOUBLE is not a worksheet function of xlmargin's: here it is one more function lacking
    assert err.splitlines()[0].startswith(
        "xlmargin: book.xlsx: 4 formula cells cannot be computed here and 2"
    )
    assert "S!B1: BDP is not available here" in err and "S!F1: DOUBLE is not available here" in err
    assert "S!C1, S!I1" in err
    assert xlmargin("recalc", src, "-o", out, "--allow-stale") == 0
    printed = capsys.readouterr().out
    assert "4 cells kept their cached values" in printed and "S!G1:H1: MMULT is not available here" in printed


def xlmargin(*argv: str | Path) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="xlmargin")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    assert args.handler is cmd_recalc
    return int(args.handler(args))


# ---------------------------------------------------------------- 3: shared, prefixed, implicit


def test_shared_formulas_shift_by_row_and_column(tmp_path: Path) -> None:
    rows = (
        '<row r="1"><c r="A1"><v>10</v></c><c r="B1"><v>22</v></c><c r="C1"><v>92</v></c></row>'
        '<row r="2"><c r="A2"><v>5</v></c></row>'
        '<row r="4"><c r="E4"><f t="shared" ref="E4:G4" si="0">A1*2</f><v>0</v></c>'
        '<c r="F4"><f t="shared" si="0"/><v>0</v></c><c r="G4"><f t="shared" si="0"/><v>0</v></c></row>'
        '<row r="5"><c r="E5"><f t="shared" ref="E5:E6" si="1">$A1+1</f><v>0</v></c></row>'
        '<row r="6"><c r="E6"><f t="shared" si="1"/><v>0</v></c></row>'
    )
    src = book(tmp_path, rows)
    out = tmp_path / "out.xlsx"
    recalc(src, out, FUNCTIONS)
    assert [value(out, r) for r in ("E4", "F4", "G4", "E5", "E6")] == ["20", "44", "184", "11", "6"]
    assert changed(src, out) == {"E4", "F4", "G4", "E5", "E6"}
    assert '<c r="F4"><f t="shared" si="0"/><v>44</v></c>' in cells(out)["F4"]  # formula kept as written


def test_namespace_prefixed_sheet_reads_and_keeps_its_prefix(tmp_path: Path) -> None:
    root = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>10</x:v></x:c><x:c r="B1"><x:f>A1*3</x:f><x:v>0</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    src = book(tmp_path, "", root=root)
    out = tmp_path / "out.xlsx"
    report = recalc(src, out, FUNCTIONS)
    assert report.value("S", "B1") == 30
    assert changed(src, out) == {"B1"}
    assert cells(out)["B1"] == '<x:c r="B1"><x:f>A1*3</x:f><x:v>30</x:v></x:c>'


def test_rows_and_cells_without_positions_keep_their_values(tmp_path: Path) -> None:
    rows = "<row><c><v>10</v></c><c><v>7</v></c><c><f>A1+B1</f><v>0</v></c></row>"
    rows += "<row><c><f>A1*2</f><v>0</v></c></row>"
    src = book(tmp_path, rows)
    out = tmp_path / "out.xlsx"
    report = recalc(src, out, FUNCTIONS)
    assert (report.value("S", "C1"), report.value("S", "A2")) == (17, 20)
    with zipfile.ZipFile(out) as zf:
        xml = zf.read(SHEET).decode()
    assert "<row><c><v>10</v></c><c><v>7</v></c><c><f>A1+B1</f><v>17</v></c></row>" in xml
    assert "<row><c><f>A1*2</f><v>20</v></c></row>" in xml


# ---------------------------------------------------------------- 4: another workbook

EXTERNAL_LINK = (
    f'<?xml version="1.0" encoding="UTF-8"?><externalLink {NS} '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><externalBook r:id="rId1">'
    '<sheetNames><sheetName val="Data"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1">'
    '<cell r="A1"><v>42</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>'
).encode()
LINK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/externalLinkPath" Target="other.xlsx" TargetMode="External"/></Relationships>'
)


def test_a_link_to_another_workbook_keeps_its_cached_value(tmp_path: Path) -> None:
    # A1 is computed (no cached value of its own), so B1, reading it, would be written: kept instead
    rows = '<row r="1"><c r="A1"><f>5+5</f></c><c r="B1"><f>[1]Data!A1*2+0*A1</f><v>84</v></c>'
    rows += '<c r="C1"><f>B1+A1</f><v>0</v></c></row>'
    src = book(
        tmp_path,
        rows,
        add={
            "xl/externalLinks/externalLink1.xml": EXTERNAL_LINK,
            "xl/externalLinks/_rels/externalLink1.xml.rels": LINK_RELS,
        },
        edit={
            "xl/workbook.xml": lambda s: s.replace(
                "</sheets>",
                '</sheets><externalReferences><externalReference r:id="rId99"/></externalReferences>',
            ),
            "xl/_rels/workbook.xml.rels": lambda s: s.replace(
                "</Relationships>",
                '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                'externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>',
            ),
        },
    )
    report = recalculate(src, FUNCTIONS)
    assert report.kept == (
        KeptCell("S", "B1", "=[1]Data!A1*2+0*A1", "links to another workbook ([1]Data!A1)"),
    )
    assert [c.ref for c in report.stale] == ["C1"]
    out = tmp_path / "out.xlsx"
    recalc(src, out, FUNCTIONS, allow_stale=True)
    assert changed(src, out) == {"A1", "C1"} and value(out, "C1") == "94"


@pytest.mark.parametrize(
    ("formula", "link"),
    [
        ("[secret.xlsx]Data!A1*2", "[secret.xlsx]Data!A1"),
        ("'/tmp/x/[secret.xlsx]Data'!A1*2", "'/tmp/x/[secret.xlsx]Data'!A1"),
        (
            "SUM('C:\\My Files\\[secret.xlsx]Data Sheet'!A1:B2)*2",
            "'C:\\My Files\\[secret.xlsx]Data Sheet'!A1:B2",
        ),
        ("[secret.xlsx]!Rate*2", "[secret.xlsx]!Rate"),
        # a name in a closed workbook, its path quoted without brackets: was read as a sheet's
        # name and #VALUE! written over the cached value
        ("'C:\\dir\\secret.xlsx'!Rate*2", "'C:\\dir\\secret.xlsx'!Rate"),
        ("'/tmp/x/secret.xlsx'!Rate*2", "'/tmp/x/secret.xlsx'!Rate"),
    ],
)
def test_a_link_by_file_name_or_path_keeps_its_cached_value(tmp_path: Path, formula: str, link: str) -> None:
    """As typed (no externalLink part): the engine used to raise ``Undefined name`` (a traceback).
    B1 reads no xlmargin result, so its cached value is Excel's and stays, silently; C1 (no
    cached value of its own: XlsxWriter's 0) is computed from it, and is not stale."""
    escaped = formula.replace("&", "&amp;").replace("'", "&apos;")
    rows = f'<row r="1"><c r="A1"><v>10</v></c><c r="B1"><f>{escaped}</f><v>84</v></c>'
    rows += '<c r="C1"><f>B1+A1</f><v>0</v></c></row>'
    src = book(tmp_path, rows)
    report = recalculate(src, FUNCTIONS)
    assert report.kept == () and report.stale == () and report.cached == 1
    assert [c.ref for c in report.cells] == ["C1"]
    out = tmp_path / "out.xlsx"
    recalc(src, out, FUNCTIONS)
    assert changed(src, out) == {"C1"} and value(out, "C1") == "94" and value(out, "B1") == "84"


@pytest.mark.parametrize("flag", ["1", "true", "True"])
def test_a_workbook_in_the_1904_date_system_is_refused_in_one_line(tmp_path: Path, capsys, flag: str) -> None:
    """Its serials would be read and written as 1900 ones (dates 1,462 days early, ``DATE``
    cached in the wrong system): refused by recalc and freeze, exit 2, nothing written."""
    rows = '<row r="1"><c r="A1"><v>46000</v></c><c r="B1"><f>DATE(2024,1,1)</f><v>45291</v></c></row>'
    edit = {"xl/workbook.xml": lambda s: s.replace("<workbookPr", f'<workbookPr date1904="{flag}"')}
    src = book(tmp_path, rows, edit=edit)
    with zipfile.ZipFile(src) as zf:
        assert f'date1904="{flag}"' in zf.read("xl/workbook.xml").decode()
    message = (
        "book.xlsx: uses the 1904 date system, which recalc and freeze do not support: in Excel, "
        "File > Options > Advanced > uncheck 'Use 1904 date system' (dates shift by 1,462 days: check them), "
        "or use xlmargin margin on the file"
    )
    with pytest.raises(WorkbookError) as refused:
        recalculate(src, FUNCTIONS)
    assert str(refused.value) == message
    for command in ("recalc", "freeze"):
        out = tmp_path / f"{command}.xlsx"
        parser = argparse.ArgumentParser(prog="xlmargin")
        register(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args([command, str(src), "-o", str(out)])
        assert args.handler(args) == 2
        assert capsys.readouterr().err.strip() == f"xlmargin: {message}"
        assert not out.exists()


@pytest.mark.parametrize("flag", ["0", "false"])
def test_the_1900_date_system_stated_explicitly_is_recalculated(tmp_path: Path, flag: str) -> None:
    rows = '<row r="1"><c r="B1"><f>DATE(2024,1,1)</f><v>0</v></c></row>'
    edit = {"xl/workbook.xml": lambda s: s.replace("<workbookPr", f'<workbookPr date1904="{flag}"')}
    assert recalculate(book(tmp_path, rows, edit=edit), FUNCTIONS).value("S", "B1") == 45292


# ---------------------------------------------------------------- 5: work limits


def test_cell_and_formula_budgets_refuse_in_one_line(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><f>A{r}*2</f></c></row>' for r in range(1, 11)
    )
    src = book(tmp_path, rows)
    with pytest.raises(
        WorkbookError, match=r"^book.xlsx: 20 cells or more, over the 19 recalc allows \(--max-cells\)$"
    ):
        recalculate(src, FUNCTIONS, limits=Limits(max_cells=19))
    with pytest.raises(WorkbookError, match=r"10 formula cells, more than the 9 recalc allows"):
        recalculate(src, FUNCTIONS, limits=Limits(max_formulas=9))
    assert recalculate(src, FUNCTIONS, limits=Limits(max_cells=20, max_formulas=10)).value("S", "B10") == 20


def test_a_recalculation_past_the_time_limit_stops(tmp_path: Path, capsys) -> None:
    def slow(x: object) -> object:
        time.sleep(0.05)
        return x

    rows = "".join(f'<row r="{r}"><c r="A{r}"><f>SLOW({r})</f></c></row>' for r in range(1, 41))
    src = book(tmp_path, rows)
    started = time.perf_counter()
    with pytest.raises(WorkbookError, match=r"took longer than 0.2 s; stopped \(--timeout\)$"):
        recalculate(src, {"SLOW": slow}, limits=Limits(seconds=0.2))
    assert time.perf_counter() - started < 1.5


def test_a_whole_column_reaches_python_trimmed_to_the_used_rows(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="M1"><f>ROWSIN(A:K)</f></c></row>'
    rows += "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(2, 51))
    rows += '<row r="1048000"><c r="C1048000" s="0"/></row>'  # a formatted blank cell far below
    src = book(tmp_path, rows)
    assert recalculate(src, FUNCTIONS).value("S", "M1") == 50


# ---------------------------------------------------------------- 6: circular references


def test_circular_references_and_self_ranges_say_so(tmp_path: Path) -> None:
    rows = (
        # A1 has no cached value, so the loop is computed (a loop with cached values is kept silently)
        '<row r="1"><c r="A1"><f>B1+1</f></c><c r="B1"><f>A1+1</f><v>6</v></c>'
        '<c r="C1"><f>A1*2</f><v>10</v></c><c r="D1"><v>3</v></c></row>'
        '<row r="5"><c r="A5"><v>1</v></c></row>'
        '<row r="6"><c r="B6"><f>ROWSIN(A5:C8)</f><v>4</v></c><c r="C6"><f>D1*2</f><v>0</v></c></row>'
    )
    src = book(tmp_path, rows)
    report = recalculate(src, FUNCTIONS)
    reasons = {k.ref: k.reason for k in report.kept}
    loop = "circular reference (the cell is in a loop of formulas, or reads one)"
    assert reasons == {
        "A1": loop,
        "B1": loop,
        "C1": loop,
        "B6": "its range A5:C8 contains its own cell (circular reference)",
    }
    assert report.value("S", "C6") == 6 and not report.stale
    out = tmp_path / "out.xlsx"
    recalc(src, out, FUNCTIONS, allow_stale=True)
    assert changed(src, out) == {"C6"}


# ---------------------------------------------------------------- 7: engine panics


def test_an_engine_panic_is_one_line_without_a_backtrace(tmp_path: Path, capfd) -> None:
    rows = '<row r="1"><c r="1A"><v>2</v></c></row><row r="2"><c r="A2"><f>1+1</f></c></row>'
    src = book(tmp_path, rows)
    with pytest.raises(
        WorkbookError, match=r"^book.xlsx: the formula engine (cannot read it|failed) \(.*panic"
    ):
        recalculate(src, FUNCTIONS)
    captured = capfd.readouterr()
    assert "panicked" not in captured.err and "backtrace" not in captured.err


# ---------------------------------------------------------------- 7: zip metadata


def test_zip_metadata_survives_the_copy(tmp_path: Path) -> None:
    src = book(tmp_path, '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>DOUBLE(A1)</f></c></row>')
    stamped = tmp_path / "stamped.xlsx"
    extended_time = b"UT\x05\x00\x01\x00\xca\x9a;"  # the 0x5455 extra field: a Unix mtime
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(stamped, "w") as zout:
        zout.comment = b"made by a test"
        for n, info in enumerate(zin.infolist()):
            copy = zipfile.ZipInfo(info.filename, (2001, 2, 3, 4, 5, 6 + 2 * (n % 2)))
            copy.compress_type = zipfile.ZIP_STORED if n % 2 else zipfile.ZIP_DEFLATED
            copy.comment, copy.extra, copy.internal_attr = f"part {n}".encode(), extended_time, n % 2
            copy.external_attr, copy.create_system = 0o640 << 16, 3
            zout.writestr(copy, zin.read(info))
    out = tmp_path / "out.xlsx"
    recalc(stamped, out, FUNCTIONS)
    fields = (
        "filename",
        "date_time",
        "compress_type",
        "comment",
        "extra",
        "internal_attr",
        "external_attr",
        "create_system",
    )
    with zipfile.ZipFile(stamped) as a, zipfile.ZipFile(out) as b:
        assert b.comment == a.comment
        assert [[getattr(i, f) for f in fields] for i in b.infolist()] == [
            [getattr(i, f) for f in fields] for i in a.infolist()
        ]
    assert value(out, "B1") == "4"


def test_freeze_keeps_the_cached_value_of_a_cell_it_cannot_compute(tmp_path: Path) -> None:
    src = book(tmp_path, LACKING)
    out = tmp_path / "frozen.xlsx"
    with pytest.raises(StaleError):
        freeze(src, out, FUNCTIONS)
    assert not out.exists()
    freeze(src, out, FUNCTIONS, allow_stale=True)
    frozen = cells(out)
    assert frozen["B1"] == '<c r="B1"><v>123</v></c>' and frozen["C1"] == '<c r="C1"><v>246</v></c>'
    assert "<f" not in "".join(frozen.values())
