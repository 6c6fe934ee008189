"""Refuse workbooks that are not what they claim to be, before anything parses them.

Every refusal is a :class:`WorkbookError` whose message is one line naming the file, fit for a
CLI to print as is. The checks, in order:

- the path is a regular file;
- an OLE2/CFB compound file (magic ``D0 CF 11 E0``) is an *encrypted* workbook when it holds an
  ``EncryptedPackage`` stream (Office encrypts .xlsx that way), otherwise a legacy .xls;
- the file is a zip that opens (a renamed text file or a truncated download fails here);
- the zip is not a bomb: at most :data:`MAX_MEMBERS` parts, at most :data:`MAX_TOTAL_BYTES`
  uncompressed in total, and no part over :data:`RATIO_MIN_BYTES` compressed more than
  :data:`MAX_RATIO` times (zipfile never inflates a part past its declared size: the CRC check
  then fails, and :func:`read_part` reports the part as corrupt);
- no encrypted, duplicated or exotically compressed parts, and no part named outside the package
  (``../x``, ``/etc/x``, ``C:\\x``), which a copy of the zip would carry along;
- ``[Content_Types].xml`` and ``xl/workbook.xml`` exist (an .xlsb is named as such);
- no XML part is in UTF-32 (Excel never writes it; the formula engine's reader panics on it).

XML is parsed with defusedxml only (:func:`parse_xml`), and :func:`read_part` refuses any XML part
that carries a DTD, so neither we nor the formula engine expand entities (billion laughs, XXE).
A part is taken as XML by its content (:func:`looks_like_xml`), whatever its name: a sheet stored
as ``sheet1.dat`` is checked as one stored as ``sheet1.xml``.
"""

from __future__ import annotations

import codecs
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_RATIO = 200
RATIO_MIN_BYTES = 1024 * 1024

_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_SCAN_CHUNK = 1 << 20
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# the first 4 bytes of a UTF-32 XML part: a byte order mark, or "<" without one
_UTF32_HEADS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"<\x00\x00\x00", b"\x00\x00\x00<")
_DTD_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_CELL_TAGS = (b"<c ", b"<c>", b":c ", b":c>")  # a cell, plain or namespace-prefixed


class WorkbookError(Exception):
    """A workbook cannot be used; the message is one user-facing line."""


def open_workbook_zip(path: Path | str) -> zipfile.ZipFile:
    """Open ``path`` as a workbook package after the checks in the module docstring."""
    path = Path(path)
    name = path.name or str(path)
    if not path.exists():
        raise WorkbookError(f"{name}: no such file")
    if not path.is_file():
        raise WorkbookError(f"{name}: not a file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _CFB_MAGIC:
        if _contains(path, _ENCRYPTED_STREAM):
            raise WorkbookError(
                f"{name}: the workbook is password-protected (encrypted); save a copy without "
                "a password to open"
            )
        raise WorkbookError(f"{name}: a legacy .xls (OLE2) file, not .xlsx/.xlsm; save it as .xlsx")
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK\x03\x04"):
            raise WorkbookError(f"{name}: the workbook is truncated or corrupt (broken zip)")
        raise WorkbookError(f"{name}: not an Excel workbook (.xlsx/.xlsm is a zip archive)")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WorkbookError(f"{name}: the workbook is truncated or corrupt ({exc})") from exc
    try:
        _check_members(zf, name)
        _check_encodings(zf, name)
    except BaseException:
        zf.close()
        raise
    return zf


def read_part(zf: zipfile.ZipFile, part: str) -> bytes:
    """Read one part; a corrupt part, or an XML part that carries a DTD, is refused."""
    name = Path(zf.filename or "workbook").name
    try:
        data = zf.read(part)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise WorkbookError(f"{name}: part {part} is corrupt ({exc})") from exc
    if declares_dtd(data) and looks_like_xml(data):
        raise dtd_refused(name, part)
    return data


def parse_xml(data: bytes, *, part: str = "XML part") -> Element:
    """Parse XML with defusedxml; DTDs, entities and malformed XML become a WorkbookError."""
    try:
        root: Element = DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise WorkbookError(f"{part}: refused unsafe XML ({type(exc).__name__})") from exc
    except ParseError as exc:
        raise WorkbookError(f"{part}: malformed XML ({exc})") from exc
    return root


def _contains(path: Path, needle: bytes) -> bool:
    """Whether the file's bytes contain ``needle`` (chunked, so any size is fine)."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


def _check_members(zf: zipfile.ZipFile, name: str) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise WorkbookError(f"{name}: too many parts ({len(infos)} > {MAX_MEMBERS})")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise WorkbookError(f"{name}: the zip holds duplicate part names")
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise WorkbookError(
                f"{name}: too large once unpacked (over {MAX_TOTAL_BYTES // 2**20} MB; zip bomb?)"
            )
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookError(
                f"{name}: part {info.filename} is compressed more than {MAX_RATIO}:1 (zip bomb?)"
            )
        if _outside(info.filename):
            raise WorkbookError(f"{name}: part name {info.filename!r} points outside the workbook; refused")
        if info.flag_bits & 0x1:
            raise WorkbookError(f"{name}: part {info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookError(f"{name}: part {info.filename} uses an unsupported compression method")
    if "xl/workbook.bin" in names:
        raise WorkbookError(f"{name}: a binary .xlsb workbook; save it as .xlsx or .xlsm")
    for required in ("[Content_Types].xml", "xl/workbook.xml"):
        if required not in names:
            raise WorkbookError(f"{name}: not an Excel workbook (no {required} in the zip)")


def _check_encodings(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse an XML part in UTF-32 (by its byte order mark or its first character): Excel writes
    UTF-8 (UTF-16 at most), and the formula engine's reader fails on one without saying why."""
    for info in zf.infolist():
        if not is_xml_part(info.filename):
            continue
        try:
            with zf.open(info) as fh:
                head = fh.read(4)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise WorkbookError(f"{name}: part {info.filename} is corrupt ({exc})") from exc
        if head in _UTF32_HEADS:
            raise WorkbookError(
                f"{name}: part {info.filename} is encoded in UTF-32, an encoding Excel never writes "
                "(it writes UTF-8); save the workbook again in Excel or LibreOffice"
            )


def is_xml_part(part: str) -> bool:
    """Whether the package part ``part`` is XML (a part a DTD could hide in)."""
    return part.lower().endswith(_XML_SUFFIXES)


def dtd_refused(label: str, part: str) -> WorkbookError:
    return WorkbookError(f"{label}: part {part} declares a DTD, which a workbook never needs; refused")


def looks_like_xml(head: bytes) -> bool:
    """Whether a part starting with ``head`` is XML by its content: ``<`` first, after a UTF-8
    byte order mark and white space, or UTF-16 (a byte order mark, or ``<`` as two bytes)."""
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<"):
        return True
    return head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n").startswith(b"<")


def declares_dtd(data: bytes) -> bool:
    """Whether ``data`` (XML, in UTF-8 or UTF-16) holds a document type declaration."""
    return any(m in data for m in _DTD_MARKERS)


def inflated_windows(
    zf: zipfile.ZipFile, part: str, label: str, overlap: int
) -> Iterator[tuple[bytes, bytes]]:
    """The part ``part`` inflated chunk by chunk, never whole: each ``(window, tail)``, the window
    being the chunk after the last ``overlap`` bytes of the window before (``tail``), so that what
    a chunk boundary cuts is whole in one window. A corrupt part is a :class:`WorkbookError`
    naming ``label`` (the file) and the part."""
    tail = b""
    try:
        with zf.open(part) as fh:
            while chunk := fh.read(_SCAN_CHUNK):
                window = tail + chunk
                yield window, tail
                tail = window[-overlap:]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise WorkbookError(f"{label}: part {part} is corrupt ({exc})") from exc


def checked_windows(zf: zipfile.ZipFile, label: str, overlap: int) -> Iterator[tuple[str, bytes, bytes]]:
    """Every part inflated as :func:`inflated_windows` gives it, as ``(part, window, tail)``; a part
    that is XML by its content (:func:`looks_like_xml`, whatever its name) and declares a DTD is
    refused as :func:`read_part` refuses it."""
    for part in zf.namelist():
        xml = None  # undecided while the part holds only a byte order mark and white space
        for window, tail in inflated_windows(zf, part, label, overlap):
            if xml is None and window.removeprefix(codecs.BOM_UTF8).strip(b" \t\r\n"):
                xml = looks_like_xml(window)
            if xml is not False and declares_dtd(window):
                raise dtd_refused(label, part)
            yield part, window, tail
            if xml is False:  # an image, a VBA project: no DTD, no cell, nothing more to inflate
                break


def cells_in(window: bytes, tail: bytes) -> int:
    """The sheet cells that start in ``window`` and not in its ``tail`` (:func:`inflated_windows`):
    summed over a part's windows, its cells, each counted once."""
    return sum(window.count(tag) - tail.count(tag) for tag in _CELL_TAGS)


def _outside(part: str) -> bool:
    """Whether a part name is absolute or climbs out of the package (``..``), in any path style."""
    path = part.replace("\\", "/")
    return path.startswith("/") or (len(path) > 1 and path[1] == ":") or ".." in path.split("/")
