"""Excel Tables of a workbook, and their structured references written out as A1 ranges.

formualizer 0.13.0 (umya loader) reads a table's range but not its ``totalsRowCount`` (only
``totalsRowShown``, which XlsxWriter and openpyxl leave out), so ``tbl[quantity]`` and
``tbl[#Data]`` take in the Total Row: the Total Row's ``SUBTOTAL(109,tbl[quantity])`` reads its own
cell and came back as a circular reference. It also reads a table-local reference (``[quantity]``,
as XlsxWriter writes a Total Row's formulas) as a table named ``quantity`` (``#NAME?``) and does not
implement a list of items (``tbl[[#Headers],[#Data]]``, ``#NAME?``). So before evaluation every
structured reference this module can place is handed to the engine as the absolute range it
stands for, from the table definitions of the file (grammar: [MS-OE376] 3.2.3.1.1); one it
cannot place (an unknown column, ``[#Headers]`` of a table without one) is left to the engine.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass

from . import _formula as fm
from . import _sheetxml as sx
from .safety import parse_xml, read_part

_TABLE_REL = "/relationships/table"
_REF = re.compile(r"^([A-Za-z_\\][\w.\\]*)?\[(.*)\]$", re.DOTALL)
_ITEM = re.compile(r"\[((?:[^\[\]']|'.)*)\]")  # one bracketed item, ' escaping the next character
_ESCAPED = re.compile(r"'(.)")
_ROWS = ("#headers", "#data", "#totals", "#all", "#this row")


@dataclass(frozen=True)
class Table:
    """A table: its sheet, range (1-based, inclusive), header and totals row counts, columns."""

    name: str
    sheet: str
    top: int
    left: int
    bottom: int
    right: int
    headers: int
    totals: int
    columns: tuple[str, ...]

    def contains(self, sheet: str, row: int, col: int) -> bool:
        return sheet == self.sheet and self.top <= row <= self.bottom and self.left <= col <= self.right


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def read_tables(zf: zipfile.ZipFile, sheets: list[tuple[str, str]]) -> list[Table]:
    """The tables of the (sheet name, part) ``sheets``, from each sheet's table relationships."""
    names = set(zf.namelist())
    out = []
    for sheet, part in sheets:
        folder, base = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", base + ".rels")
        if rels not in names:
            continue
        for rel in parse_xml(read_part(zf, rels), part=rels):
            attrs = {_local(k): v for k, v in rel.attrib.items()}
            if not attrs.get("Type", "").endswith(_TABLE_REL) or attrs.get("TargetMode") == "External":
                continue
            target = posixpath.normpath(posixpath.join(folder, attrs.get("Target", "")))
            if target not in names:
                continue
            root = parse_xml(read_part(zf, target), part=target)
            ref = root.get("ref") or ""
            if ":" not in ref:
                continue
            first, last = ref.split(":", 1)
            (top, left), (bottom, right) = sx.parse_ref(first), sx.parse_ref(last)
            columns = tuple(el.get("name", "") for el in root.iter() if _local(el.tag) == "tableColumn")
            out.append(
                Table(
                    root.get("displayName") or root.get("name") or "",
                    sheet, top, left, bottom, right,
                    int(root.get("headerRowCount", "1")), int(root.get("totalsRowCount", "0")),
                    columns,
                )
            )  # fmt: skip
    return out


def resolve(text: str, tables: list[Table], sheet: str, row: int, col: int) -> str:
    """``text`` (a formula of the cell at ``row``, ``col`` of ``sheet``) with the structured
    references it can place written as absolute ranges; ``text`` itself when there are none."""
    if "[" not in text or not tables:
        return text
    by_name = {t.name.lower(): t for t in tables}
    here = next((t for t in tables if t.contains(sheet, row, col)), None)

    def place(value: str) -> str:
        m = _REF.match(value)
        if m is None or fm.external(value):
            return value
        table = by_name.get(m.group(1).lower()) if m.group(1) else here
        area = None if table is None else _area(table, m.group(2), row)
        if area is None or table is None:
            return value
        quoted = table.sheet.replace("'", "''")
        r1, c1, r2, c2 = area
        return f"'{quoted}'!{_absolute(r1, c1)}:{_absolute(r2, c2)}"

    return fm.map_ranges(text, place)


def _absolute(row: int, col: int) -> str:
    letters = sx.format_ref(row, col).removesuffix(str(row))
    return f"${letters}${row}"


def _area(table: Table, spec: str, row: int) -> tuple[int, int, int, int] | None:
    """(first row, first column, last row, last column) of ``table[spec]``, or None."""
    spec = spec.strip()
    if spec.startswith("@"):  # [@col] is [[#This Row],[col]]
        spec = f"[#This Row],[{spec[1:].strip().strip('[]')}]" if spec[1:].strip() else "[#This Row]"
    items = [i.strip() for i in _ITEM.findall(spec)] if spec.startswith("[") else [spec] if spec else []
    specials = [i.lower() for i in items if i.startswith("#")]
    named = [_ESCAPED.sub(r"\1", i) for i in items if not i.startswith("#")]
    if any(s not in _ROWS for s in specials) or len(named) > 2:
        return None
    data = (table.top + table.headers, table.bottom - table.totals)
    spans = {
        "#headers": (table.top, table.top + table.headers - 1),
        "#data": data,
        "#totals": (table.bottom - table.totals + 1, table.bottom),
        "#all": (table.top, table.bottom),
        "#this row": (row, row) if data[0] <= row <= data[1] else (0, -1),
    }
    chosen = [spans[s] for s in specials] or [data]
    first, last = min(r for r, _ in chosen), max(r for _, r in chosen)
    if first > last or any(r1 > r2 for r1, r2 in chosen):
        return None
    lower = [c.lower() for c in table.columns]
    try:
        cols = [table.left + lower.index(n.lower()) for n in named]
    except ValueError:
        return None
    left, right = (min(cols), max(cols)) if cols else (table.left, table.right)
    return first, left, last, right
