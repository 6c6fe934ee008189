"""The workbook as a zip package: find its worksheets, copy it with a few parts changed.

Copies keep the archive comment and every part's name, order, timestamp, compression method,
comment, attributes (internal and external, with the system that made them) and extra fields
(extended timestamps and the like; zip64 sizes are rewritten by ``zipfile`` as needed), and its
uncompressed bytes exactly; only the parts passed in ``replaced`` change and those in ``dropped``
disappear. (Compressed bytes may differ: zlib is re-run with its default level.)
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element

from xlmargin.files import atomic_output

from .safety import WorkbookError, parse_xml, read_part

_REL_WORKSHEET = "/worksheet"
_REL_CALC_CHAIN = "/calcChain"
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
STORED_BYTES = 4 << 20  # the engine's copy of a package up to this size is not compressed (memory)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _parse(zf: zipfile.ZipFile, part: str) -> Element:
    return parse_xml(read_part(zf, part), part=f"{_label(zf)}: {part}")


def _label(zf: zipfile.ZipFile) -> str:
    return Path(zf.filename or "workbook").name


def _rels(zf: zipfile.ZipFile) -> list[dict[str, str]]:
    """The workbook's relationships, each as its attribute dict (namespaces stripped)."""
    if _WORKBOOK_RELS not in zf.namelist():
        raise WorkbookError(f"{_label(zf)}: no {_WORKBOOK_RELS} in the zip")
    root = _parse(zf, _WORKBOOK_RELS)
    return [{_local(k): v for k, v in el.attrib.items()} for el in root if _local(el.tag) == "Relationship"]


def _target_part(target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join("xl", target))


def _workbook_flag(zf: zipfile.ZipFile, tag: str, flag: str) -> bool:
    """Whether the attribute ``flag`` of the element ``tag`` of ``xl/workbook.xml`` is on."""
    if _WORKBOOK not in zf.namelist():
        return False
    for el in _parse(zf, _WORKBOOK):
        if _local(el.tag) == tag:
            value = next((v for k, v in el.attrib.items() if _local(k) == flag), "")
            return value.strip().lower() in ("1", "true")
    return False


def date1904(zf: zipfile.ZipFile) -> bool:
    """Whether the workbook counts dates from 1904 (``<workbookPr date1904="1"/>``): its date
    serials are 1,462 less than the 1900 system's for the same day."""
    return _workbook_flag(zf, "workbookPr", "date1904")


def full_calc_on_load(zf: zipfile.ZipFile) -> bool:
    """Whether the workbook asks to be recalculated in full when opened (``<calcPr
    fullCalcOnLoad="1"/>``): XlsxWriter and openpyxl set it, their cached values being
    placeholders; Excel does not keep it when it saves."""
    return _workbook_flag(zf, "calcPr", "fullCalcOnLoad")


def defined_names(zf: zipfile.ZipFile) -> list[tuple[str, str | None, str]]:
    """(name, the sheet it is local to or None, formula text) of every defined name."""
    if _WORKBOOK not in zf.namelist():
        return []
    root = _parse(zf, _WORKBOOK)
    sheets = [el.get("name", "") for el in root.iter() if _local(el.tag) == "sheet"]
    out = []
    for el in root.iter():
        if _local(el.tag) != "definedName":
            continue
        local = el.get("localSheetId")
        scope = (
            sheets[int(local)] if local is not None and local.isdigit() and int(local) < len(sheets) else None
        )
        out.append((el.get("name", ""), scope, el.text or ""))
    return out


def sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part name) of every worksheet, in workbook order."""
    targets = {
        r["Id"]: _target_part(r["Target"])
        for r in _rels(zf)
        if r.get("Type", "").endswith(_REL_WORKSHEET) and "Id" in r and "Target" in r
    }
    by_lower = {n.lower(): n for n in zf.namelist()}
    root = _parse(zf, _WORKBOOK)
    out = []
    for el in root.iter():
        if _local(el.tag) != "sheet":
            continue
        attrs = {_local(k): v for k, v in el.attrib.items()}
        part = targets.get(attrs.get("id", ""))
        if part is not None and part.lower() in by_lower:  # chartsheets etc. have no target here
            out.append((attrs.get("name", ""), by_lower[part.lower()]))
    return out


def calc_chain_edits(zf: zipfile.ZipFile) -> tuple[dict[str, bytes], set[str]]:
    """Replacements and drops that remove the calculation chain, its rel and content type."""
    rels = [r for r in _rels(zf) if r.get("Type", "").endswith(_REL_CALC_CHAIN)]
    part = _target_part(rels[0]["Target"]) if rels else "xl/calcChain.xml"
    if not rels and part not in zf.namelist():
        return {}, set()
    replaced = {}
    rels_xml = read_part(zf, _WORKBOOK_RELS).decode("utf-8")
    for rel in rels:
        rel_id = re.escape(rel["Id"])
        pattern = rf"""<(?:[\w.-]+:)?Relationship\b[^>]*\bId\s*=\s*["']{rel_id}["'][^>]*/>"""
        rels_xml = re.sub(pattern, "", rels_xml)
    replaced[_WORKBOOK_RELS] = rels_xml.encode("utf-8")
    types = read_part(zf, _CONTENT_TYPES).decode("utf-8")
    pattern = rf"""<(?:[\w.-]+:)?Override\b[^>]*\bPartName\s*=\s*["']/{re.escape(part)}["'][^>]*/>"""
    replaced[_CONTENT_TYPES] = re.sub(pattern, "", types, flags=re.IGNORECASE).encode("utf-8")
    return replaced, {n for n in zf.namelist() if n.lower() == part.lower()}


def copy_package(
    zf: zipfile.ZipFile,
    out: BinaryIO,
    replaced: Mapping[str, bytes],
    dropped: set[str],
    *,
    stored: bool = False,
) -> None:
    """Write the package to ``out`` with some parts replaced or dropped; ``stored``: every part
    uncompressed (a copy only the formula engine reads, which then need not inflate it)."""
    with zipfile.ZipFile(out, "w") as dst:
        dst.comment = zf.comment
        for info in zf.infolist():
            if info.filename in dropped:
                continue
            data = replaced.get(info.filename)
            if data is None:
                data = read_part(zf, info.filename)
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = zipfile.ZIP_STORED if stored else info.compress_type
            copy.external_attr = info.external_attr
            copy.create_system = info.create_system
            copy.internal_attr = info.internal_attr
            copy.comment = info.comment
            copy.extra = _without_zip64(info.extra)
            dst.writestr(copy, data)


def _without_zip64(extra: bytes) -> bytes:
    """The extra-field records but the zip64 one (id 1), which ``zipfile`` writes itself."""
    out = []
    pos = 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, pos)
        if kind != 1:
            out.append(extra[pos : pos + 4 + size])
        pos += 4 + size
    return b"".join(out)


def package_bytes(zf: zipfile.ZipFile, replaced: Mapping[str, bytes]) -> bytes:
    """The package, with some parts replaced, as bytes in memory: uncompressed up to
    ``STORED_BYTES`` (no deflating here nor inflating in the engine), compressed beyond, where
    memory matters more."""
    buf = io.BytesIO()
    size = sum(i.file_size for i in zf.infolist())
    copy_package(zf, buf, replaced, set(), stored=size <= STORED_BYTES)
    return buf.getvalue()


def write_atomically(
    zf: zipfile.ZipFile,
    dst: Path,
    replaced: Mapping[str, bytes],
    dropped: set[str],
) -> None:
    """Write the package to ``dst`` through a temp file in its folder and ``os.replace``; the file
    gets the mode of the one it replaces, else the umask's (:func:`xlmargin.files.atomic_output`)."""
    folder = dst.parent
    if not folder.is_dir():
        raise WorkbookError(f"{dst}: the folder {folder} does not exist")
    with atomic_output(dst) as temp, temp.open("wb") as fh:
        copy_package(zf, fh, replaced, dropped)  # flushed to disk by atomic_output
