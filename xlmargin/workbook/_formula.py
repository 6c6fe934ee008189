"""Read and move the references of one formula's text, with formualizer's tokenizer.

Used on the text stored in the sheet XML (no leading ``=``) before the formula engine sees it:
:func:`shift` writes out a shared formula for each cell it fills, :func:`functions` lists the
functions a formula calls, :func:`external` finds a reference to another workbook (``[1]Data!A1``)
and :func:`areas` lists the areas a formula reads (to find one that contains its own cell);
:func:`mark_omitted` writes out the arguments left out of a call (``F(A1,,B1)``).
Structured references (``Tbl[Col]``), defined names and ``#REF!`` are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from functools import lru_cache

import formualizer as fz

from ._values import OMITTED

MAX_ROW = 1_048_576
MAX_COL = 16_384

_FUNCTION = re.compile(r"([A-Za-z_][\w.]*)\(")
STRING = re.compile(r'"(?:[^"]|"")*"')
# Another workbook: Excel's stored index (``[1]Data!A1``) or, as typed, a file name or path
# (``[book.xlsx]Data!A1``, ``'C:\\dir\\[book.xlsx]Data'!A1``, ``[book.xlsx]!Name``): a bracket
# before the sheet's ``!`` (a structured reference ``tbl[Col]`` has none); or a quoted path before
# the ``!`` of a name in a closed workbook (``'C:\\dir\\book.xlsx'!Rate``): a sheet's name never
# holds ``\``, ``/`` or ``:``.
_PATH = r"'(?:[^']|'')*[\\/:](?:[^']|'')*'!"
_EXTERNAL = re.compile(
    rf"^(?:'?\[\d+\]|'(?:[^']|'')*\[[^\]]*\](?:[^']|'')*'!|\[[^\[\]]+\][^!\[\]]*!|{_PATH})"
)
_LINK = re.compile(  # anywhere: a structured reference (``tbl[#All]``) is not tokenized
    rf"\[\d+\]|'(?:[^']|'')*\[[^\]']*\](?:[^']|'')*'!|\[[^\[\]]+\][\w.]*!|{_PATH}"
)
_EMPTY_SLOT = re.compile(r"\(\s*,|,\s*[,)]")  # an argument left out, if not in a string literal
_SHEET = re.compile(r"^((?:'(?:[^']|'')*'|[^'!]+)!)?(.*)$", re.DOTALL)
_CELL = r"(\$?)([A-Za-z]{1,3})(\$?)(\d+)"
_AREA = re.compile(rf"{_CELL}(?::{_CELL})?$")
_COLS = re.compile(r"(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})$")
_ROWS = re.compile(r"(\$?)(\d+):(\$?)(\d+)$")


class RefError(Exception):
    """A shifted reference falls off the sheet (Excel writes ``#REF!`` there)."""


def _col_number(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


def _col_letters(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[tuple[str, str, str], ...]:
    """(type, subtype, value) of each token of ``=text``; the text itself when it cannot be read."""
    try:
        tokens = fz.tokenize("=" + text)
    except Exception:  # a formula the tokenizer refuses is left to the engine to report
        return (("Unknown", "", text),)
    return tuple((str(t.token_type), str(t.subtype), t.value) for t in tokens if t is not None)


def _ranges(text: str) -> list[tuple[int, str]]:
    """(index in the token list, value) of every range operand."""
    return [(i, v) for i, (kind, sub, v) in enumerate(_tokens(text)) if kind == "Operand" and sub == "Range"]


def functions(text: str) -> set[str]:
    """The upper-cased names of the functions ``text`` calls (string literals ignored)."""
    return {m.group(1).upper() for m in _FUNCTION.finditer(STRING.sub('""', text))}


def may_link(text: str) -> bool:
    """Whether ``text`` may refer to another workbook (``[1]``, outside string literals): a cheap
    test before :func:`external` reads it."""
    return _LINK.search(STRING.sub('""', text)) is not None


def external(text: str) -> str | None:
    """The first reference to another workbook in ``text`` (``[1]Data!A1``), or None."""
    if not may_link(text):
        return None
    found = next((v for _, v in _ranges(text) if _EXTERNAL.match(v)), None)
    if found is None and (m := _LINK.search(STRING.sub('""', text))) and not m.group().startswith("["):
        return m.group()  # a quoted path the tokenizer did not read as a range
    return found


def _move(dollar: str, value: int, by: int, limit: int, wrap: bool = False) -> int:
    if dollar:
        return value
    if wrap:  # as a defined name's relative reference moves: off one edge, in at the other
        return (value - 1 + by) % limit + 1
    moved = value + by
    if not 1 <= moved <= limit:
        raise RefError
    return moved


def _shift_cell(m: re.Match[str], offset: int, dr: int, dc: int, wrap: bool) -> str:
    cd, letters, rd, digits = m.group(offset + 1, offset + 2, offset + 3, offset + 4)
    col = _move(cd, _col_number(letters), dc, MAX_COL, wrap)
    row = _move(rd, int(digits), dr, MAX_ROW, wrap)
    return f"{cd}{_col_letters(col)}{rd}{row}"


def _shift_address(address: str, dr: int, dc: int, wrap: bool) -> str:
    if m := _AREA.match(address):
        first = _shift_cell(m, 0, dr, dc, wrap)
        return first if m.group(5) is None else f"{first}:{_shift_cell(m, 4, dr, dc, wrap)}"
    if m := _COLS.match(address):
        c1 = _move(m.group(1), _col_number(m.group(2)), dc, MAX_COL, wrap)
        c2 = _move(m.group(3), _col_number(m.group(4)), dc, MAX_COL, wrap)
        return f"{m.group(1)}{_col_letters(c1)}:{m.group(3)}{_col_letters(c2)}"
    if m := _ROWS.match(address):
        r1 = _move(m.group(1), int(m.group(2)), dr, MAX_ROW, wrap)
        r2 = _move(m.group(3), int(m.group(4)), dr, MAX_ROW, wrap)
        return f"{m.group(1)}{r1}:{m.group(3)}{r2}"
    return address  # a name, a structured reference, #REF!


def map_ranges(text: str, fn: Callable[[str], str]) -> str:
    """``text`` with every range operand ``value`` written as ``fn(value)``."""
    tokens = _tokens(text)
    out = []
    for kind, sub, value in tokens[1:] if tokens and tokens[0][2] == "=" else tokens:
        out.append(fn(value) if kind == "Operand" and sub == "Range" else value)
    return "".join(out)


def shift(text: str, dr: int, dc: int, *, wrap: bool = False) -> str:
    """``text`` as written ``dr`` rows down and ``dc`` columns right (relative references move);
    ``wrap``: a reference moved off the sheet comes in at the other edge, as a defined name's
    relative references do (stored relative to A1: ``XFD1`` is the cell left of the one using it)
    instead of becoming ``#REF!``."""
    if dr == 0 and dc == 0:
        return text

    def moved(value: str) -> str:
        if _EXTERNAL.match(value):
            return value
        sheet, address = _SHEET.match(value).group(1, 2)  # type: ignore[union-attr]
        try:
            return (sheet or "") + _shift_address(address, dr, dc, wrap)
        except RefError:
            return "#REF!"

    return map_ranges(text, moved)


def operands(text: str) -> list[tuple[str, str, str]]:
    """(type, subtype, value) of every token of ``text`` (its leading ``=`` left out)."""
    tokens = _tokens(text)
    return list(tokens[1:] if tokens and tokens[0][2] == "=" else tokens)


def area(value: str) -> tuple[str | None, int, int, int, int] | None:
    """(sheet or None, first row, first column, last row, last column) of a range operand such
    as ``'My S'!$A$1:B9``, ``A:A`` or ``3:3``; None for a name, a structured reference, ``#REF!``.
    The sheet is as written, unquoted (``S:T`` for a reference through several sheets)."""
    if "!" in value:
        sheet, address = _SHEET.match(value).group(1, 2)  # type: ignore[union-attr]
        name = None if sheet is None else sheet[:-1].strip("'").replace("''", "'")
    else:
        name, address = None, value
    if m := _AREA.match(address):
        r1, c1 = int(m.group(4)), _col_number(m.group(2))
        r2, c2 = (r1, c1) if m.group(5) is None else (int(m.group(8)), _col_number(m.group(6)))
    elif m := _COLS.match(address):
        r1, c1, r2, c2 = 1, _col_number(m.group(2)), MAX_ROW, _col_number(m.group(4))
    elif m := _ROWS.match(address):
        r1, c1, r2, c2 = int(m.group(2)), 1, int(m.group(4)), MAX_COL
    else:
        return None
    return name, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def areas(text: str) -> list[tuple[str | None, int, int, int, int]]:
    """(sheet or None, first row, first column, last row, last column) of each area read."""
    return [found for _, value in _ranges(text) if (found := area(value)) is not None]


def mark_omitted(text: str, names: Collection[str]) -> str | None:
    """``text`` with every argument left out of a call to one of ``names`` (upper-case function
    names) written as the text ``OMITTED``, which :func:`._values.wrap` hands over as None; or
    None when no such call leaves one out: ``F(A1,,B1)``, ``F(A1,)`` and ``F(,A1)`` leave one out
    each, ``F()`` none. The formula engine hands a custom function an argument left out as 0, the
    number a typed 0 gives; Excel hands it as missing."""
    if not _EMPTY_SLOT.search(STRING.sub('""', text)):
        return None
    out: list[str] = []
    calls: list[bool] = []  # per open bracket: a call to one of ``names``
    last = ""  # the last token that is not white space: "open", "sep" or "other"
    marked = False
    for kind, sub, value in _tokens(text):
        if kind == "Whitespace":
            out.append(value)
            continue
        ours = bool(calls) and calls[-1]
        ends_slot = (kind == "Sep" and sub == "Arg") or (kind == "Func" and sub == "Close" and last == "sep")
        if ours and ends_slot and last in ("open", "sep"):
            out.append(f'"{OMITTED}"')
            marked = True
        out.append(value)
        if sub == "Open":
            calls.append(kind == "Func" and value[:-1].strip().upper() in names)
        elif sub == "Close" and calls:
            calls.pop()
        last = (
            "open"
            if kind == "Func" and sub == "Open"
            else "sep"
            if kind == "Sep" and sub == "Arg"
            else "other"
        )
    return "".join(out) if marked else None
