"""Scan and edit worksheet XML as raw text, so every byte we do not mean to touch stays put.

A worksheet is never re-serialised: :func:`scan_formulas` reads the cells of ``<sheetData>`` with
regular expressions (rows and cells never nest, and their attributes never contain ``>``), and
:func:`rewrite` splices new text in for exactly the cells it is given. Within an edited cell only
the cached value changes: the ``<v>`` element, the ``t`` attribute, a stale ``vm`` (value metadata
of the old value) and an ``<is>`` inline string. Optionally it also drops the ``<f>`` formula
(with the ``cm`` attribute that marks it dynamic) or updates the ``ref`` of an array formula.
Missing rows and cells are inserted in row/column order. Elements may carry a namespace prefix
(``<x:c>``); rows and cells without an ``r`` attribute get their implicit position. A value written
beyond the sheet's ``<dimension>`` (its used range, which openpyxl's read-only mode trusts) or a
row's ``spans`` grows them to cover it.

:func:`explicit` writes the same sheet in the plainest form for the formula engine, whose loader
reads neither prefixes, nor implicit positions, nor the cells a shared formula fills.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET_DATA = re.compile(r"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_R_ATTR = re.compile(r"""\sr\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_NO_R = re.compile(r"<(?:[\w.-]+:)?(?:row|c)(?=[\s/>])(?![^>]*\sr\s*=)")
_SHARED = re.compile(r"""\bt\s*=\s*["']shared["']""")


@dataclass(frozen=True)
class Formula:
    """The ``<f>`` of a cell: ``kind`` is its ``t`` (normal, shared, array, dataTable).

    ``text`` is the formula as stored (no ``=``); empty in the cells a shared formula fills.
    """

    kind: str
    ref: str | None
    dynamic: bool
    text: str = field(default="", compare=False)


@dataclass(frozen=True)
class Cell:
    """A formula cell of the sheet XML (1-based row and column). ``t`` and ``v`` are its cached
    value as stored (the ``t`` attribute, the ``<v>`` text unescaped; ``v`` None when absent)."""

    row: int
    col: int
    formula: Formula
    t: str | None = field(default=None, compare=False)
    v: str | None = field(default=None, compare=False)
    span: tuple[int, int] | None = field(default=None, compare=False)  # of ``<f>`` in the XML scanned


@dataclass(frozen=True)
class CellEdit:
    """New cached value for a cell: ``t`` attribute and raw (escaped) ``<v>`` text.

    ``v=None`` removes the cached value. ``array_ref`` replaces the ``ref`` of an array formula.
    """

    t: str | None
    v: str | None
    array_ref: str | None = None


class _Element(NamedTuple):
    start: int
    open_end: int  # index just past the opening tag
    close_start: int  # index of the closing tag (== end for a self-closing element)
    end: int
    attrs: str
    self_closing: bool


class _Row(NamedTuple):
    num: int
    element: _Element


def parse_ref(ref: str) -> tuple[int, int]:
    """``"AB12"`` → ``(12, 28)``."""
    m = _CELL_REF.fullmatch(ref.strip())
    if m is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)), _column(m.group(1))


@cache
def _column(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


def format_ref(row: int, col: int) -> str:
    """``(12, 28)`` → ``"AB12"``."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def bounds(ref: str) -> tuple[int, int, int, int]:
    """``"B2:D9"`` (or ``"B2"``) → first row, first column, last row, last column."""
    first, _, last = ref.partition(":")
    r1, c1 = parse_ref(first)
    r2, c2 = parse_ref(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_cells(ref: str) -> list[tuple[int, int]]:
    """All cells of ``"A1:C3"`` (or ``"A1"``), row by row."""
    r1, c1, r2, c2 = bounds(ref)
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


_MERGE_CELL = re.compile(r"<(?:[\w.-]+:)?mergeCell(?=[\s/>])([^>]*?)/?>")


def merged_ranges(xml: str) -> list[str]:
    """The ranges of the sheet's merged cells (``<mergeCells>``), as written (``"B3:C4"``); a
    ``ref`` that is not a range of cells is skipped."""
    data = _sheet_data(xml)
    start = 0 if data is None else data[2]  # <mergeCells> follows <sheetData>
    if xml.find("mergeCell", start) < 0:
        return []
    found = []
    for m in _MERGE_CELL.finditer(xml, start):
        ref = _attrs(m.group(1)).get("ref")
        try:
            if ref is not None:
                bounds(ref)
                found.append(ref.replace("$", "").upper())
        except ValueError:
            continue
    return found


def no_tick() -> None:
    pass


def scan_formulas(xml: str, tick: Callable[[], None] = no_tick) -> list[Cell]:
    """Every cell of the sheet that has a formula, in document order. ``tick`` is called for each
    row or formula as the scan goes (a time limit raises from it)."""
    found = _sheet_data(xml)
    if found is None:
        return []
    prefix, body_start, body_end, _ = found
    if _NO_R.search(xml, body_start, body_end) is None:
        return _scan_positioned(xml, prefix, body_start, body_end, tick)
    cells = []
    for row in _rows(xml, prefix, body_start, body_end):
        tick()
        if not _has_formula(xml, prefix, row.element):
            continue
        for col, cell in _row_cells(xml, prefix, row):
            found_cell = _formula_cell(xml, prefix, cell, row.num, col)
            if found_cell is not None:
                cells.append(found_cell)
    return cells


def _scan_positioned(xml: str, prefix: str, start: int, end: int, tick: Callable[[], None]) -> list[Cell]:
    """:func:`scan_formulas` for a sheet whose every row and cell has its ``r``: from one ``<f>``
    to the next, without walking the other cells."""
    open_f, open_c, close_c = f"<{prefix}f", f"<{prefix}c", f"</{prefix}c>"
    cells = []
    pos = start
    while (at := xml.find(open_f, pos, end)) >= 0:
        tick()
        if xml[at + len(open_f)] not in " \t\r\n/>":
            pos = at + 1
            continue
        c_start = max(xml.rfind(open_c + ws, pos, at) for ws in " \t\r\n")  # pos: the last cell's end
        c_open_end = xml.find(">", c_start) + 1
        close = xml.find(close_c, at, end)
        if c_start < 0 or close < 0:
            raise ValueError("a formula outside a cell")
        attrs = xml[c_start + len(open_c) : c_open_end - 1]
        cell = _Element(c_start, c_open_end, close, close + len(close_c), attrs, False)
        row, col = parse_ref(_r(attrs) or "")
        found_cell = _formula_cell(xml, prefix, cell, row, col)
        if found_cell is not None:
            cells.append(found_cell)
        pos = cell.end
    return cells


def rewrite(
    xml: str,
    edits: Mapping[tuple[int, int], CellEdit],
    *,
    drop_formulas: bool,
    drop_cells: frozenset[tuple[int, int]] = frozenset(),
    tick: Callable[[], None] = no_tick,
) -> str:
    """Apply ``edits`` (keyed by row, column) and optionally drop every formula, or only those of
    ``drop_cells`` (whose cached values stay); ``tick`` is called for each row."""
    found = _sheet_data(xml)
    if found is None:
        if edits:
            raise ValueError("the sheet has no <sheetData>")
        return xml
    prefix, body_start, body_end, self_closing = found
    by_row: dict[int, dict[int, CellEdit]] = {}
    for (r, c), edit in edits.items():
        by_row.setdefault(r, {})[c] = edit
    dropped_rows: dict[int, set[int]] = {}
    for r, c in drop_cells:
        dropped_rows.setdefault(r, set()).add(c)
    rows = _rows(xml, prefix, body_start, body_end)
    replaced: dict[int, str] = {}
    for row in rows:
        tick()
        row_edits = by_row.pop(row.num, {})
        drop = drop_formulas or row.num in dropped_rows
        if row_edits or (drop and _has_formula(xml, prefix, row.element)):
            cols = None if drop_formulas else dropped_rows.get(row.num, set())
            replaced[row.num] = _rewrite_row(xml, prefix, row, row_edits, cols)
    inserted = {}
    for r, cells in by_row.items():
        new = "".join(_new_cell(prefix, r, c, e) for c, e in sorted(cells.items()) if e.v is not None)
        if new:
            inserted[r] = f'<{prefix}row r="{r}">{new}</{prefix}row>'
    body = _merge(xml, [(r.num, r.element) for r in rows], replaced, inserted, body_start, body_end)
    written = [rc for rc, e in edits.items() if e.v is not None]
    if self_closing:
        if not inserted:
            return xml
        head = _with_dimension(xml[: body_start - 2], written)
        return head + ">" + body + f"</{prefix}sheetData>" + xml[body_start:]
    return _with_dimension(xml[:body_start], written) + body + xml[body_end:]


_DIMENSION = re.compile(r"<(?:[\w.-]+:)?dimension(?=[\s/>])([^>]*?)/?>")


def _with_dimension(head: str, written: list[tuple[int, int]]) -> str:
    """The sheet's text before ``<sheetData>`` with its ``<dimension ref>`` (the used range, which
    openpyxl's read-only mode and other readers trust) grown to cover the ``written`` cells. An
    absent or unreadable dimension is left as it is (the element is optional)."""
    m = _DIMENSION.search(head)
    ref = None if m is None else _attrs(m.group(1)).get("ref")
    if m is None or ref is None or not written:
        return head
    try:
        r1, c1, r2, c2 = bounds(ref)
    except ValueError:
        return head
    rows, cols = [r for r, _ in written], [c for _, c in written]
    grown = (min(r1, *rows), min(c1, *cols), max(r2, *rows), max(c2, *cols))
    if grown == (r1, c1, r2, c2):
        return head
    new_ref = format_ref(grown[0], grown[1]) + ":" + format_ref(grown[2], grown[3])
    attrs = _set_attr(m.group(1), "ref", new_ref)
    return head[: m.start(1)] + attrs + head[m.end(1) :]


def _widened_spans(attrs: str, cols: list[int]) -> str:
    """A row's attributes with its ``spans`` (an optional hint of its columns, ``"1:4"`` or a list
    ``"1:2 5:6"``) covering ``cols`` too, as one span; a ``spans`` that cannot be read is dropped."""
    spans = _attrs(attrs).get("spans") if "spans" in attrs else None
    if spans is None or not cols:
        return attrs
    try:
        pairs = [tuple(int(x) for x in part.split(":")) for part in spans.split()]
        if not pairs or any(len(p) != 2 or p[0] > p[1] for p in pairs):
            raise ValueError(spans)
    except ValueError:
        return _set_attr(attrs, "spans", None)
    if all(any(a <= c <= b for a, b in pairs) for c in cols):
        return attrs
    low = min(min(a for a, _ in pairs), *cols)
    high = max(max(b for _, b in pairs), *cols)
    return _set_attr(attrs, "spans", f"{low}:{high}")


def _sheet_data(xml: str) -> tuple[str, int, int, bool] | None:
    """Prefix, body span and self-closing flag of ``<sheetData>``."""
    m = _SHEET_DATA.search(xml)
    if m is None:
        return None
    prefix = m.group(1)
    if m.group(2):
        return prefix, m.end(), m.end(), True
    end = xml.find(f"</{prefix}sheetData>", m.end())
    if end < 0:
        raise ValueError("unterminated <sheetData>")
    return prefix, m.end(), end, False


@cache
def _opener(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(tag)}(?=[\s/>])([^>]*?)(/?)>")


def _elements(xml: str, tag: str, start: int, end: int) -> Iterator[_Element]:
    """Direct children named ``tag`` between ``start`` and ``end`` (``tag`` never nests)."""
    opener = _opener(tag)
    closer = f"</{tag}>"
    pos = start
    while True:
        m = opener.search(xml, pos, end)
        if m is None:
            return
        if m.group(2):
            yield _Element(m.start(), m.end(), m.end(), m.end(), m.group(1), True)
            pos = m.end()
            continue
        close = xml.find(closer, m.end(), end)
        if close < 0:
            raise ValueError(f"unterminated <{tag}>")
        yield _Element(m.start(), m.end(), close, close + len(closer), m.group(1), False)
        pos = close + len(closer)


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(text)}


def _r(attrs: str) -> str | None:
    m = _R_ATTR.search(attrs)
    return None if m is None else m.group(1) if m.group(1) is not None else m.group(2)


def _rows(xml: str, prefix: str, start: int, end: int) -> list[_Row]:
    """The rows of ``<sheetData>`` (implicit row numbers filled in)."""
    rows = []
    num = 0
    for row in _elements(xml, f"{prefix}row", start, end):
        r = _r(row.attrs)
        num = int(r) if r else num + 1
        rows.append(_Row(num, row))
    return rows


def _row_cells(xml: str, prefix: str, row: _Row) -> list[tuple[int, _Element]]:
    """(column, cell) of every cell of a row (implicit columns filled in).

    Linear in the row's length: each cell's ``</c>`` is searched once from its opening tag, and once
    none is left in the row, only self-closing cells are taken (an opened cell never closed is
    skipped, as a regular expression matching ``<c ...>...</c>`` would skip it, but without
    searching the rest of the row again for each one: that was quadratic, minutes for a 15 KB row
    of unclosed cells)."""
    cells = []
    col = 0
    elem = row.element
    opener = _opener(f"{prefix}c")
    closer = f"</{prefix}c>"
    end = elem.close_start
    pos = elem.open_end
    closed = True  # False once no closer is left in the row
    while (m := opener.search(xml, pos, end)) is not None:
        if m.group(2):
            r = _r(m.group(1))
            col = parse_ref(r)[1] if r else col + 1
            cells.append((col, _Element(m.start(), m.end(), m.end(), m.end(), m.group(1), True)))
            pos = m.end()
            continue
        close = xml.find(closer, m.end(), end) if closed else -1
        if close < 0:
            closed = False
            pos = m.end()
            continue
        r = _r(m.group(1))
        col = parse_ref(r)[1] if r else col + 1
        cells.append((col, _Element(m.start(), m.end(), close, close + len(closer), m.group(1), False)))
        pos = close + len(closer)
    return cells


def _has_formula(xml: str, prefix: str, elem: _Element) -> bool:
    return xml.find(f"<{prefix}f", elem.open_end, elem.close_start) >= 0


def _child(xml: str, prefix: str, tag: str, cell: _Element) -> _Element | None:
    """The first ``tag`` element inside ``cell`` (what ``_elements`` yields first, without a generator)."""
    name = f"{prefix}{tag}"
    m = _opener(name).search(xml, cell.open_end, cell.close_start)
    if m is None:
        return None
    if m.group(2):
        return _Element(m.start(), m.end(), m.end(), m.end(), m.group(1), True)
    closer = f"</{name}>"
    close = xml.find(closer, m.end(), cell.close_start)
    if close < 0:
        raise ValueError(f"unterminated <{name}>")
    return _Element(m.start(), m.end(), close, close + len(closer), m.group(1), False)


def _formula_cell(xml: str, prefix: str, cell: _Element, row: int, col: int) -> Cell | None:
    """The cell as a :class:`Cell` when it has a formula: the formula, cached value and span."""
    f = _child(xml, prefix, "f", cell)
    if f is None:
        return None
    attrs = _attrs(f.attrs) if f.attrs.strip() else {}
    text = xml[f.open_end : f.close_start]
    if "&" in text:
        text = html.unescape(text)
    cell_attrs = _attrs(cell.attrs) if "cm" in cell.attrs or "t" in cell.attrs else {}
    formula = Formula(attrs.get("t", "normal"), attrs.get("ref"), "cm" in cell_attrs, text)
    v = _child(xml, prefix, "v", cell)
    value = None if v is None else xml[v.open_end : v.close_start]
    if value is not None and "&" in value:
        value = html.unescape(value)
    return Cell(row, col, formula, cell_attrs.get("t"), value, (f.start, f.end))


def without_formulas(xml: str, spans: list[tuple[int, int]]) -> str:
    """``xml`` without the ``<f>`` elements at ``spans`` (from :attr:`Cell.span`): the cached
    values stay. (A dynamic array's ``cm`` attribute stays too: use :func:`rewrite` for those.)"""
    if not spans:
        return xml
    out, at = [], 0
    for start, end in sorted(spans):
        out.append(xml[at:start])
        at = end
    out.append(xml[at:])
    return "".join(out)


class Stored(NamedTuple):
    """What a cell stores, as written: its ``t`` and ``s`` attributes, the text of its ``<v>`` and
    that of its inline string ``<is>`` (each None when absent; texts unescaped)."""

    t: str | None
    s: str | None
    v: str | None
    inline: str | None


def stored_cells(
    xml: str, first_row: int, last_row: int, first_col: int, last_col: int
) -> dict[tuple[int, int], Stored]:
    """The cells of the sheet inside the area, keyed by (row, column); absent cells are absent."""
    found = _sheet_data(xml)
    if found is None:
        return {}
    prefix, body_start, body_end, _ = found
    out = {}
    for row in _rows(xml, prefix, body_start, body_end):
        if row.num > last_row:
            break
        if row.num < first_row:
            continue
        for col, cell in _row_cells(xml, prefix, row):
            if first_col <= col <= last_col:
                attrs = _attrs(cell.attrs)
                v = _child(xml, prefix, "v", cell)
                inline = _child(xml, prefix, "is", cell)
                out[(row.num, col)] = Stored(
                    attrs.get("t"),
                    attrs.get("s"),
                    None if v is None else html.unescape(xml[v.open_end : v.close_start]),
                    None if inline is None else _texts(xml[inline.open_end : inline.close_start]),
                )
    return out


def last_rows(xml: str, tick: Callable[[], None] = no_tick) -> dict[int, int]:
    """The last row of each column whose cell holds something (a value, an inline string or a
    formula; a formatted blank holds nothing), by column number; a column with none is absent."""
    found = _sheet_data(xml)
    if found is None:
        return {}
    prefix, body_start, body_end, _ = found
    held = re.compile(rf"<{re.escape(prefix)}(?:v|is|f)(?=[\s/>])")
    out: dict[int, int] = {}
    for row in _rows(xml, prefix, body_start, body_end):
        tick()
        for col, cell in _row_cells(xml, prefix, row):
            if not cell.self_closing and held.search(xml, cell.open_end, cell.close_start):
                out[col] = max(out.get(col, 0), row.num)
    return out


_T = re.compile(
    r"<(?:[\w.-]+:)?t(?:\s[^>]*)?>(.*?)</(?:[\w.-]+:)?t>|<(?:[\w.-]+:)?rPh\b.*?</(?:[\w.-]+:)?rPh>", re.DOTALL
)


def _texts(xml: str) -> str:
    """The text of a rich or plain string (``<t>`` runs joined; phonetic ``<rPh>`` runs skipped)."""
    return html.unescape("".join(m.group(1) or "" for m in _T.finditer(xml)))


def _new_cell(prefix: str, row: int, col: int, edit: CellEdit) -> str:
    t = f' t="{edit.t}"' if edit.t else ""
    ref = format_ref(row, col)
    return f'<{prefix}c r="{ref}"{t}><{prefix}v>{edit.v}</{prefix}v></{prefix}c>'


def _rewrite_row(
    xml: str, prefix: str, row: _Row, edits: Mapping[int, CellEdit], drop_cols: set[int] | None
) -> str:
    """``drop_cols``: the columns whose formula goes (None: every column)."""
    pending = dict(edits)
    replaced = {}
    cells = _row_cells(xml, prefix, row)
    for col, cell in cells:
        edit = pending.pop(col, None)
        drop = drop_cols is None or col in drop_cols
        if edit is not None or (drop and _has_formula(xml, prefix, cell)):
            replaced[col] = _rewrite_cell(xml, prefix, cell, edit, drop)
    inserted = {c: _new_cell(prefix, row.num, c, e) for c, e in pending.items() if e.v is not None}
    elem = row.element
    if not inserted and all(xml[e.start : e.end] == replaced[c] for c, e in cells if c in replaced):
        return xml[elem.start : elem.end]
    body = _merge(xml, cells, replaced, inserted, elem.open_end, elem.close_start)
    attrs = _widened_spans(elem.attrs, [c for c, e in edits.items() if e.v is not None])
    if elem.self_closing:
        return f"<{prefix}row{attrs}>" + body + f"</{prefix}row>"
    opening = xml[elem.start : elem.open_end] if attrs == elem.attrs else f"<{prefix}row{attrs}>"
    return opening + body + xml[elem.close_start : elem.end]


def _merge(
    xml: str,
    items: list[tuple[int, _Element]],
    replaced: Mapping[int, str],
    inserted: Mapping[int, str],
    start: int,
    end: int,
) -> str:
    """The text between ``start`` and ``end`` with items replaced and new ones slotted by key."""
    out = []
    pos = start
    todo = sorted(inserted.items())
    for key, elem in items:
        out.append(xml[pos : elem.start])
        while todo and todo[0][0] < key:
            out.append(todo.pop(0)[1])
        out.append(replaced.get(key, xml[elem.start : elem.end]))
        pos = elem.end
    out.extend(text for _, text in todo)
    out.append(xml[pos:end])
    return "".join(out)


@cache
def _attr_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"""(\s+){re.escape(name)}\s*=\s*(?:"[^"]*"|'[^']*')""")


def _set_attr(attrs: str, name: str, value: str | None) -> str:
    """Set, replace or (``value=None``) remove one attribute in a raw attribute string."""
    m = _attr_pattern(name).search(attrs)
    if value is None:
        return attrs if m is None else attrs[: m.start()] + attrs[m.end() :]
    if m is None:
        return f'{attrs} {name}="{value}"'
    return attrs[: m.start()] + f'{m.group(1)}{name}="{value}"' + attrs[m.end() :]


def _rewrite_cell(xml: str, prefix: str, cell: _Element, edit: CellEdit | None, drop_formula: bool) -> str:
    f = _child(xml, prefix, "f", cell)
    attrs = _cell_attrs(cell.attrs, edit, drop_formula and f is not None)
    # (start, end, replacement) splices inside the cell body, applied back to front
    splices: list[tuple[int, int, str]] = []
    if f is not None:
        splices += _formula_splices(xml, prefix, f, edit, drop_formula)
    if edit is not None:
        splices += _value_splices(xml, prefix, cell, f, edit, drop_formula)
    body = xml[cell.open_end : cell.close_start]
    for s, e, text in sorted(splices, key=lambda x: (x[0], x[1]), reverse=True):
        body = body[: s - cell.open_end] + text + body[e - cell.open_end :]
    if cell.self_closing:
        if not body:
            return f"<{prefix}c{attrs}/>"
        return f"<{prefix}c{attrs}>{body}</{prefix}c>"
    return f"<{prefix}c{attrs}>{body}" + xml[cell.close_start : cell.end]


def _cell_attrs(attrs: str, edit: CellEdit | None, drop_cm: bool) -> str:
    """The cell's attributes: no ``cm`` once its formula goes; the edit's ``t`` and no ``vm``."""
    if drop_cm:
        attrs = _set_attr(attrs, "cm", None)
    if edit is not None:
        attrs = _set_attr(_set_attr(attrs, "t", edit.t), "vm", None)
    return attrs


def _formula_splices(
    xml: str, prefix: str, f: _Element, edit: CellEdit | None, drop_formula: bool
) -> list[tuple[int, int, str]]:
    """Drop the ``<f>``, or give an array formula the edit's new ``ref``."""
    if drop_formula:
        return [(f.start, f.end, "")]
    if edit is None or edit.array_ref is None or _attrs(f.attrs).get("t") != "array":
        return []
    new_open = f"<{prefix}f" + _set_attr(f.attrs, "ref", edit.array_ref)
    new_open += "/>" if f.self_closing else ">"
    return [] if new_open == xml[f.start : f.open_end] else [(f.start, f.open_end, new_open)]


def _value_splices(
    xml: str, prefix: str, cell: _Element, f: _Element | None, edit: CellEdit, drop_formula: bool
) -> list[tuple[int, int, str]]:
    """Replace (or insert after the formula) the ``<v>``; drop an inline string."""
    splices = []
    new_v = "" if edit.v is None else f"<{prefix}v>{edit.v}</{prefix}v>"
    v = _child(xml, prefix, "v", cell)
    if v is not None:
        splices.append((v.start, v.end, new_v))
    elif new_v:
        at = cell.open_end if f is None else (f.start if drop_formula else f.end)
        splices.append((at, at, new_v))
    inline = _child(xml, prefix, "is", cell)
    if inline is not None:
        splices.append((inline.start, inline.end, ""))
    return splices


def explicit(xml: str, shift: Callable[[str, int, int], str], tick: Callable[[], None] = no_tick) -> str:
    """The sheet without namespace prefix, every row and cell with its ``r``, and every cell of a
    shared formula holding the formula in full (``shift(text, rows, columns)`` moves the anchor's
    text to a cell). An already plain sheet is returned as it is."""
    found = _sheet_data(xml)
    if found is None:
        return xml
    prefix, body_start, body_end, _ = found
    body = xml[body_start:body_end]
    if not prefix and _NO_R.search(body) is None and _SHARED.search(body) is None:
        return xml
    anchors: dict[str, tuple[int, int, str]] = {}
    out = [xml[:body_start]]
    pos = body_start
    for row in _rows(xml, prefix, body_start, body_end):
        tick()
        elem = row.element
        out.append(xml[pos : elem.start])
        out.append(f"<{prefix}row" + _set_attr(elem.attrs, "r", str(row.num)))
        if elem.self_closing:
            out.append("/>")
            pos = elem.end
            continue
        out.append(">")
        pos = elem.open_end
        for col, cell in _row_cells(xml, prefix, row):
            out.append(xml[pos : cell.start])
            attrs = _set_attr(cell.attrs, "r", format_ref(row.num, col))
            body_text = xml[cell.open_end : cell.close_start]
            f = _child(xml, prefix, "f", cell)
            if f is not None and _attrs(f.attrs).get("t") == "shared":
                text = _shared_text(xml, f, anchors, row.num, col, shift)
                if text is not None:
                    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    new_f = f"<{prefix}f>{escaped}</{prefix}f>"
                    start, end = f.start - cell.open_end, f.end - cell.open_end
                    body_text = body_text[:start] + new_f + body_text[end:]
            if cell.self_closing:
                out.append(f"<{prefix}c{attrs}/>")
            else:
                out.append(f"<{prefix}c{attrs}>{body_text}</{prefix}c>")
            pos = cell.end
    out.append(xml[pos:])
    plain = "".join(out)
    return _unprefixed(plain, prefix) if prefix else plain


def _shared_text(
    xml: str,
    f: _Element,
    anchors: dict[str, tuple[int, int, str]],
    row: int,
    col: int,
    shift: Callable[[str, int, int], str],
) -> str | None:
    """The full formula of a cell of a shared formula (None: no anchor seen for its index)."""
    attrs = _attrs(f.attrs)
    si = attrs.get("si", "")
    text = html.unescape(xml[f.open_end : f.close_start])
    if text.strip() and "ref" in attrs:
        anchors[si] = (row, col, text)
        return text
    if si not in anchors:
        return None
    r0, c0, anchor = anchors[si]
    return shift(anchor, row - r0, col - c0)


def _unprefixed(xml: str, prefix: str) -> str:
    """Elements of the ``prefix`` namespace written without it, that namespace made the default."""
    name = re.escape(prefix[:-1])
    xml = re.sub(rf"<(/?){name}:", r"<\1", xml)
    if re.search(r"\sxmlns\s*=", xml[: xml.find(">", xml.find("<worksheet")) + 1]) is None:
        xml = re.sub(rf"\sxmlns:{name}(\s*=)", r" xmlns\1", xml, count=1)
    return xml
