"""Read back the values of a workbook's named ranges, as a reader of the file sees them.

``xlmargin recalc`` prints the report ranges of the workbook it has just written (the defined names
``xlmReport1``, ``xlmReport2``...); this reads them from the package parts directly, with the same
raw-text scanning the writer uses, instead of loading the workbook with a spreadsheet library.

A cell comes back as :class:`Shown`: its value as stored (a number as an ``int`` when its text has
no decimal point or exponent, else a ``float``; a string; a bool; an error value as its text such
as ``"#N/A"``; ``None`` when blank) and its number format code (``General`` unless styled). A number
whose format shows a date is returned as a ``datetime.date`` (or a ``datetime.datetime`` when it
has a time of day), counted from the workbook's date system (1900, or 1904 when the workbook says
so). Only workbook-level names are read (not those local to one sheet), and only their areas on a
sheet of the workbook (``Sheet!$A$1:$D$9``; several areas separated by commas each count).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from . import _formula as fm
from . import _sheetxml as sx
from ._package import sheet_parts
from .safety import open_workbook_zip, parse_xml, read_part

__all__ = ["Shown", "TooLarge", "named_ranges"]

GENERAL = "General"
# The built-in number formats (ECMA-376 Part 1, 18.8.30), as openpyxl spells them.
_BUILTIN = {0: GENERAL, 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 5: '"$"#,##0_);("$"#,##0)',
            6: '"$"#,##0_);[Red]("$"#,##0)', 7: '"$"#,##0.00_);("$"#,##0.00)',
            8: '"$"#,##0.00_);[Red]("$"#,##0.00)', 9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?",
            13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
            19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 37: "#,##0_);(#,##0)",
            38: "#,##0_);[Red](#,##0)", 39: "#,##0.00_);(#,##0.00)", 40: "#,##0.00_);[Red](#,##0.00)",
            41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
            42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
            43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
            44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)', 45: "mm:ss", 46: "[h]:mm:ss",
            47: "mmss.0", 48: "##0.0E+0", 49: "@"}  # fmt: skip
# What a format code shows literally (quoted text, escaped or padding characters, colours and
# locales in brackets) cannot make it a date format; elapsed-time brackets such as [h] do.
_LITERAL = re.compile(r'"[^"]*"|\\.|[_*].|\[(?![hms]+\])[^\]]*\]', re.IGNORECASE)
_DATE_PART = re.compile(r"[dmyhs]", re.IGNORECASE)
_EPOCHS = {False: dt.datetime(1899, 12, 30), True: dt.datetime(1904, 1, 1)}


@dataclass(frozen=True)
class Shown:
    """One cell of a range: its value and its number format code."""

    value: object
    number_format: str = GENERAL


@dataclass(frozen=True)
class TooLarge:
    """An area with more cells than the caller's limit, from its first cell to its last value."""

    cells: int


def named_ranges(
    path: Path, names: re.Pattern[str], *, max_cells: int | None = None, tick: Callable[[], None] = sx.no_tick
) -> Iterator[tuple[str, str, list[list[Shown]] | TooLarge]]:
    """(name, ``Sheet!A1:D9``, rows of cells) of every workbook-level defined name that ``names``
    matches in full, in the workbook's order of names and areas.

    Each area is cut to the cells its sheet stores: one reaching the sheet's last row or column
    (``Out!$A:$Z``, ``Out!$A$1:$XFD$1048576``) to its last row and column holding a value (a
    formatted blank cell holds none), any other to its last stored cell. One that still has more
    than ``max_cells`` cells comes as :class:`TooLarge`, unread; ``tick`` is called as rows are
    read (a deadline's check)."""
    with open_workbook_zip(path) as zf:
        book = _part(zf, "xl/workbook.xml")
        parts = dict(sheet_parts(zf))
        wanted = [
            (el.get("name", ""), el.text or "")
            for el in book.iter()
            if _local(el.tag) == "definedName" and el.get("localSheetId") is None
            and names.fullmatch(el.get("name", ""))
        ]  # fmt: skip
        if not wanted:
            return
        date1904 = any(
            _local(el.tag) == "workbookPr" and el.get("date1904", "0").lower() in ("1", "true") for el in book
        )
        formats = _number_formats(zf)
        strings = _shared_strings(zf)
        sheets: dict[str, str] = {}
        for name, text in wanted:
            for sheet, r1, c1, r2, c2 in fm.areas(text):
                if sheet is None or sheet not in parts:
                    continue
                if sheet not in sheets:
                    sheets[sheet] = read_part(zf, parts[sheet]).decode("utf-8", "replace")
                tick()
                stored = sx.stored_cells(sheets[sheet], r1, r2, c1, c2)
                if r2 == fm.MAX_ROW or c2 == fm.MAX_COL:  # whole rows or columns: to the last value
                    last = [rc for rc, cell in stored.items() if cell.v or cell.inline is not None]
                else:  # to the last cell stored, a formatted blank one too
                    last = list(stored)
                r2 = min(r2, max((r for r, _ in last), default=r1))
                c2 = min(c2, max((c for _, c in last), default=c1))
                area = sx.format_ref(r1, c1) + (f":{sx.format_ref(r2, c2)}" if (r1, c1) != (r2, c2) else "")
                size = (r2 - r1 + 1) * (c2 - c1 + 1)
                if max_cells is not None and size > max_cells:
                    yield name, f"{sheet}!{area}", TooLarge(size)
                    continue
                rows = []
                for r in range(r1, r2 + 1):
                    if r % 1024 == 0:
                        tick()
                    rows.append(
                        [_shown(stored.get((r, c)), formats, strings, date1904) for c in range(c1, c2 + 1)]
                    )
                yield name, f"{sheet}!{area}", rows


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _part(zf: zipfile.ZipFile, part: str) -> Element:
    return parse_xml(read_part(zf, part), part=f"{Path(zf.filename or 'workbook').name}: {part}")


def _member(zf: zipfile.ZipFile, part: str) -> str | None:
    """The package's part named ``part``, whatever its case (None if absent)."""
    return next((n for n in zf.namelist() if n.lower() == part), None)


def _number_formats(zf: zipfile.ZipFile) -> list[str]:
    """The number format code of each cell style (``cellXfs``), by index."""
    part = _member(zf, "xl/styles.xml")
    if part is None:
        return []
    root = _part(zf, part)
    numbered = (el for el in root.iter() if _local(el.tag) == "numFmt")
    custom = {_int(el.get("numFmtId")): el.get("formatCode", GENERAL) for el in numbered}
    xfs = next((el for el in root if _local(el.tag) == "cellXfs"), None)
    if xfs is None:
        return []
    out = []
    for xf in xfs:
        number = _int(xf.get("numFmtId"), 0)
        out.append(custom.get(number, _BUILTIN.get(number, GENERAL)))
    return out


def _int(text: str | None, default: int = -1) -> int:
    return int(text) if text is not None and text.strip().isdigit() else default


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    part = _member(zf, "xl/sharedstrings.xml")
    if part is None:
        return []
    root = _part(zf, part)
    return ["".join(_runs(si)) for si in root if _local(si.tag) == "si"]


def _runs(si: Element) -> Iterator[str]:
    """The text of a shared string: its ``<t>`` and those of its rich-text runs, not the phonetic
    ``<rPh>`` guides."""
    for el in si:
        tag = _local(el.tag)
        if tag == "t":
            yield el.text or ""
        elif tag == "r":
            yield from (t.text or "" for t in el if _local(t.tag) == "t")


def _shown(cell: sx.Stored | None, formats: list[str], strings: list[str], date1904: bool) -> Shown:
    if cell is None:
        return Shown(None)
    style = _int(cell.s, 0)
    number_format = formats[style] if style < len(formats) else GENERAL
    return Shown(_value(cell, number_format, strings, date1904), number_format)


def _value(cell: sx.Stored, number_format: str, strings: list[str], date1904: bool) -> object:
    t, v = cell.t or "n", cell.v
    if t == "inlineStr":
        return cell.inline
    if not v:
        return None
    try:
        if t == "s":
            return strings[int(v)]
        if t == "b":
            return v.strip() not in ("0", "false", "")
        if t in ("str", "e", "d"):
            return v
        number: float | int = float(v) if any(ch in v for ch in ".eE") else int(v)
        return _date(number, date1904) if _is_date(number_format) else number
    except (ValueError, IndexError, OverflowError):  # not what its type says: shown as stored
        return v


def _is_date(number_format: str) -> bool:
    return _DATE_PART.search(_LITERAL.sub("", number_format.split(";")[0])) is not None


def _date(serial: float, date1904: bool) -> dt.date | dt.datetime:
    moment = _EPOCHS[date1904] + dt.timedelta(days=serial)
    if not date1904 and serial < 61:  # Excel's 1900 calendar has a 29 February 1900
        moment += dt.timedelta(days=1)
    return moment.date() if moment.time() == dt.time() else moment.replace(microsecond=0)
