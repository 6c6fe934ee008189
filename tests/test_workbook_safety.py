"""Bad files are refused with one clear line, and nothing is written at the destination."""

from __future__ import annotations

import random
import struct
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from xlmargin.workbook import WorkbookError, freeze, open_workbook_zip, parse_xml, recalc, safety

FUNCTIONS: dict[str, Callable[..., object]] = {"DOUBLE": lambda x: 2 * x}

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    b"</sheetData></worksheet>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


def make_book(folder: Path) -> Path:
    path = folder / "good.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    s = wb.add_worksheet("S")
    s.write_number("A1", 21)
    s.write_formula("B1", "=DOUBLE(A1)")
    wb.close()
    return path


def replace_part(src: Path, dst: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename == name else zin.read(info))
    return dst


def refused(src: Path, tmp_path: Path, match: str) -> None:
    """recalc and freeze both refuse ``src`` with one line and leave nothing behind."""
    out = tmp_path / "out" / f"result{src.suffix}"
    out.parent.mkdir(exist_ok=True)
    for run in (lambda: recalc(src, out, FUNCTIONS), lambda: freeze(src, out, FUNCTIONS)):
        with pytest.raises(WorkbookError, match=match) as err:
            run()
        message = str(err.value)
        assert "\n" not in message and message.startswith(src.name)
        assert list(out.parent.iterdir()) == []


def test_good_book_opens(tmp_path: Path) -> None:
    with open_workbook_zip(make_book(tmp_path)) as zf:
        assert "xl/workbook.xml" in zf.namelist()
    report = recalc(make_book(tmp_path), tmp_path / "out.xlsx", FUNCTIONS)
    assert report.value("S", "B1") == 42.0


def test_missing_file_and_folder(tmp_path: Path) -> None:
    refused(tmp_path / "nope.xlsx", tmp_path, "no such file")
    folder = tmp_path / "dir.xlsx"
    folder.mkdir()
    refused(folder, tmp_path, "not a file")


def test_renamed_text_file(tmp_path: Path) -> None:
    src = tmp_path / "notes.xlsx"
    src.write_text("Qty,Price\n1,2\n")
    refused(src, tmp_path, "not an Excel workbook")


def test_truncated_zip(tmp_path: Path) -> None:
    data = make_book(tmp_path).read_bytes()
    src = tmp_path / "cut.xlsx"
    src.write_bytes(data[: len(data) // 2])
    refused(src, tmp_path, "truncated or corrupt")


def test_corrupt_member(tmp_path: Path) -> None:
    good = make_book(tmp_path)
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    # flip bytes in the middle of the sheet's compressed data: CRC or inflate fails
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 5, start + 25):
        data[i] ^= 0xFF
    src = tmp_path / "corrupt.xlsx"
    src.write_bytes(bytes(data))
    refused(src, tmp_path, "corrupt")


def cfb(*streams: str) -> bytes:
    """Bytes shaped like an OLE2 compound file holding the named streams (header + names)."""
    body = b"".join(name.encode("utf-16-le").ljust(64, b"\0") for name in streams)
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504 + body


def test_encrypted_workbook(tmp_path: Path) -> None:
    src = tmp_path / "secret.xlsx"
    src.write_bytes(cfb("EncryptionInfo", "EncryptedPackage"))
    refused(src, tmp_path, "password-protected")


def test_legacy_xls(tmp_path: Path) -> None:
    src = tmp_path / "old.xls"
    src.write_bytes(cfb("Workbook", "\x05SummaryInformation"))
    refused(src, tmp_path, "legacy .xls")


def test_zip_without_workbook_parts(tmp_path: Path) -> None:
    src = tmp_path / "other.xlsx"
    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w/>")
    refused(src, tmp_path, r"no xl/workbook\.xml")


def test_billion_laughs_in_sheet(tmp_path: Path) -> None:
    src = replace_part(
        make_book(tmp_path), tmp_path / "laughs.xlsx", "xl/worksheets/sheet1.xml", BILLION_LAUGHS
    )
    refused(src, tmp_path, "DTD")


def test_parse_xml_refuses_entities_and_garbage() -> None:
    for data, match in (
        (BILLION_LAUGHS, "unsafe XML"),
        (XXE, "unsafe XML"),
        (b"<a><b></a>", "malformed"),
    ):
        with pytest.raises(WorkbookError, match=match) as err:
            parse_xml(data, part="xl/workbook.xml")
        assert "\n" not in str(err.value)
    assert parse_xml(b"<a><b/></a>")[0].tag == "b"


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    src = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * safety.RATIO_MIN_BYTES))
    refused(src, tmp_path, "compressed more than")


def test_zip_bomb_by_total_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_TOTAL_BYTES", 4096)
    refused(make_book(tmp_path), tmp_path, "too large once unpacked")


def test_too_many_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_MEMBERS", 5)
    refused(make_book(tmp_path), tmp_path, "too many parts")


def test_part_inflating_past_declared_size(tmp_path: Path) -> None:
    """A central directory that understates a part's size cannot make us inflate more:
    zipfile stops at the declared size and the CRC check fails."""
    good = make_book(tmp_path)
    data = bytearray(good.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    size = struct.unpack_from("<I", data, central + 24)[0]
    struct.pack_into("<I", data, central + 24, size // 2)
    src = tmp_path / "liar.xlsx"
    src.write_bytes(bytes(data))
    refused(src, tmp_path, "sheet1.xml is corrupt")


@pytest.mark.parametrize(
    "member", ["../evil.txt", "xl/../../evil.txt", "/etc/evil", "C:\\evil.txt", "xl\\..\\..\\evil"]
)
def test_part_names_outside_the_package_are_refused(tmp_path: Path, member: str) -> None:
    src = make_book(tmp_path)
    with zipfile.ZipFile(src, "a") as zf:
        zf.writestr(member, b"not ours to copy")
    refused(src, tmp_path, r"points outside the workbook; refused$")


def _sheet_renamed(src: Path, dst: Path, new: str, data: bytes) -> Path:
    """``src`` with its first sheet moved to the part ``new`` (its relationship and content type
    following), holding ``data``."""
    old = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == old:
                zout.writestr(new, data)
                continue
            if info.filename in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                body = body.replace(b"sheet1.xml", new.rpartition("/")[2].encode())
            zout.writestr(info, body)
    return dst


def test_a_dtd_in_a_part_named_otherwise_than_xml_is_refused(tmp_path: Path) -> None:
    """R12 F5: the check went by the part's suffix (.xml, .rels, .vml); a sheet stored as
    sheet1.dat reached the engine, which failed on the entity with its own words."""
    src = _sheet_renamed(
        make_book(tmp_path), tmp_path / "dat.xlsx", "xl/worksheets/sheet1.dat", BILLION_LAUGHS
    )
    refused(src, tmp_path, r"part xl/worksheets/sheet1\.dat declares a DTD")
    from xlmargin.errors import InputError
    from xlmargin.positions import read_positions

    with pytest.raises(InputError, match=r"part xl/worksheets/sheet1\.dat declares a DTD"):
        read_positions(src, as_of=date(2025, 1, 2))


def test_a_dtd_after_a_window_of_white_space_is_refused(tmp_path: Path) -> None:
    """A part is undecided while it holds only white space: more than a scan window of it before
    the DTD must not make it "not XML" (an XML document may open with white space)."""
    spaces = random.Random(7).choices(b" \t\r\n", k=safety._SCAN_CHUNK + 10)  # not a zip bomb
    padded = bytes(spaces) + BILLION_LAUGHS
    src = _sheet_renamed(make_book(tmp_path), tmp_path / "pad.xlsx", "xl/worksheets/sheet1.dat", padded)
    refused(src, tmp_path, r"part xl/worksheets/sheet1\.dat declares a DTD")


def test_parts_are_told_xml_by_their_content() -> None:
    assert safety.looks_like_xml(b'\xef\xbb\xbf\r\n<?xml version="1.0"?>')
    assert safety.looks_like_xml("<?xml".encode("utf-16-le"))
    assert safety.looks_like_xml(b"\xff\xfe<\x00")
    assert not safety.looks_like_xml(b"\x89PNG\r\n\x1a\n<!DOCTYPE")
