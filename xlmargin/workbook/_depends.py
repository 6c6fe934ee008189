"""Which formula cells a recalculation writes: those that depend on a Python function's result.

Recalc owns the results of the worksheet functions it was given (xlmargin's); every other value
in the file is Excel's, and Excel and formualizer do not always agree (``=0.1+0.2=0.3``: Excel
TRUE, formualizer FALSE; ``=1*"1,000"``; ``=LEN(1/3)``). So a formula cell is written only when
it is *reached*, found before the engine loads the workbook:

- seeds: a cell whose formula calls a Python function (by name, an ``_xldudf_`` alias or a
  ``prefix.NAME``), and a cell with no cached value to keep (no ``<v>``, or an empty one; in a
  workbook flagged ``fullCalcOnLoad``, as XlsxWriter and openpyxl write them, a cached ``0``, which
  is XlsxWriter's placeholder for a formula it did not calculate);
- then every cell whose formula reads a reached cell, however indirectly: its references are read
  from the text (sheet-qualified, quoted, ranges, whole columns and rows, ``S1:S3!A1`` through
  several sheets, defined names, however nested, local to a sheet or not, and the structured
  references :mod:`._tables` places). A reached CSE array makes its whole range reached; a reached
  dynamic array, whose new spill is not known before evaluation, everything right of and below
  its anchor on its sheet; a dynamic array whose spill (``A1#``) a reached formula reads is
  computed too (a constant has no spill);
- a formula whose reads cannot be told (``INDIRECT``, ``OFFSET``, a name not defined, a range
  built with ``:`` from a function's result, a structured reference not placed) is reached too,
  and named in :attr:`Reach.assumed` when nothing else reached it.

The engine gets the other formula cells without their ``<f>``: it reads their cached values as
constants, so the Python functions see the figures Excel shows. The graph of formualizer 0.13.0
is not used: it is built only at evaluation and leaves out defined names and ``INDIRECT``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from . import _formula as fm
from . import _sheetxml as sx
from . import _tables as tb

Key = tuple[str, int, int]  # sheet, row, column of a formula's cell
Area = tuple[str, int, int, int, int]  # sheet, first row, first column, last row, last column

DYNAMIC_REFS = frozenset({"INDIRECT", "OFFSET"})  # a reference computed from values
_LOCAL_NAMES = frozenset({"LET", "LAMBDA"})  # their parameters read as names
_SPECIAL = re.compile(r"(?:INDIRECT|OFFSET|LET|LAMBDA)\s*\(", re.IGNORECASE)
_WIDE = 64  # areas wider than this many columns are kept in one list per sheet
_NESTING = 16  # names defined through more names than this are not followed


@dataclass(frozen=True)
class Reach:
    """The formula cells (anchors) a recalculation writes, and those of them reached only
    because what they read cannot be told, with why."""

    written: frozenset[Key]
    assumed: tuple[tuple[Key, str], ...] = ()


class _Names:
    """The workbook's defined names and tables, resolved to the areas they read."""

    def __init__(
        self, sheets: Sequence[str], names: Sequence[tuple[str, str | None, str]], tables: Sequence[tb.Table]
    ) -> None:
        self.sheets = list(sheets)
        self.lower = {s.lower(): s for s in sheets}
        self.defined = {(scope.lower() if scope else None, name.lower()): text for name, scope, text in names}
        self.tables = {t.name.lower(): t for t in tables}
        self.memo: dict[tuple[str | None, str, str], tuple[list[Area], str | None]] = {}

    def sheets_of(self, written: str | None, here: str) -> list[str]:
        """The sheets a reference names (``S1:S3`` through several); none for an unknown one."""
        if written is None:
            return [here]
        if written.lower() in self.lower:
            return [self.lower[written.lower()]]
        first, sep, last = written.partition(":")
        if sep and first.lower() in self.lower and last.lower() in self.lower:
            i, j = sorted(
                (self.sheets.index(self.lower[first.lower()]), self.sheets.index(self.lower[last.lower()]))
            )
            return self.sheets[i : j + 1]
        return []  # a sheet the workbook lacks: Excel shows #REF!, nothing here to read

    def name(self, value: str, here: str, depth: int) -> tuple[list[Area], str | None] | None:
        """The areas a name reads (or why they cannot be told); None when it is not defined."""
        qualifier, _, bare = value.rpartition("!")
        scope = qualifier.strip("'").replace("''", "'").lower() if qualifier else here.lower()
        key: tuple[str | None, str] = (scope, bare.lower())
        text = self.defined.get(key)
        if text is None:
            key = (None, bare.lower())
            text = self.defined.get(key)
        if text is None:
            table = self.tables.get(bare.lower())
            if table is None:
                return None
            return [(table.sheet, table.top, table.left, table.bottom, table.right)], None
        memo = (key[0], key[1], here)
        if memo not in self.memo:
            self.memo[memo] = [], f"the name {bare} is defined through itself"  # a loop, if met again
            if depth > _NESTING:
                self.memo[memo] = [], f"the name {bare} is defined through too many names"
            else:
                self.memo[memo] = reads(text.removeprefix("="), here, self, depth + 1)
        return self.memo[memo]


def reads(text: str, here: str, names: _Names, depth: int = 0) -> tuple[list[Area], str | None]:
    """The areas the formula ``text`` of a cell on sheet ``here`` reads, and why they cannot be
    told (None when they can)."""
    # _xlfn.LET as LET; the exact set only when one of them may be there (the scan is costly)
    called = {f.rpartition(".")[2] for f in fm.functions(text)} if _SPECIAL.search(text) else set()
    dynamic = sorted(called & DYNAMIC_REFS)
    if dynamic:
        return [], f"it calls {dynamic[0]}"
    found: list[Area] = []
    why = None
    tokens = fm.operands(text)
    for i, (kind, sub, value) in enumerate(tokens):
        if kind == "OpInfix" and value == ":" and i + 1 < len(tokens) and tokens[i + 1][0] == "Func":
            why = why or "it builds a range with ':' from a function's result"
        if kind != "Operand" or sub != "Range" or fm.may_link(value):
            continue  # another workbook's cells never change here
        place = fm.area(value)
        if place is not None:
            written, r1, c1, r2, c2 = place
            found += [(s, r1, c1, r2, c2) for s in names.sheets_of(written, here)]
            continue
        if "[" in value:
            why = why or f"its structured reference {value} cannot be placed"
            continue
        if value.lower().startswith("_xlpm."):  # a LET or LAMBDA parameter, as Excel stores it
            continue
        named = names.name(value, here, depth)
        if named is None:
            if not called & _LOCAL_NAMES:  # LET's and LAMBDA's parameters are not workbook names
                why = why or f"the name {value} is not defined in the workbook"
            continue
        found += named[0]
        why = why or named[1]
    return found, why


def reach(
    sheets: Sequence[str],
    cells: Mapping[str, list[sx.Cell]],
    *,
    python: set[str],
    names: Sequence[tuple[str, str | None, str]] = (),
    tables: Sequence[tb.Table] = (),
    placeholders: bool = False,
    tick: Callable[[], None] = sx.no_tick,
) -> Reach:
    """The formula cells to write (see the module docstring). ``python``: the upper-cased names
    of the Python functions; ``placeholders``: the workbook is flagged ``fullCalcOnLoad``."""
    book = _Names(sheets, names, tables)
    listed = list(tables)
    calls = _calls(python)
    anchors: list[tuple[str, sx.Cell]] = []
    seeds: list[int] = []
    unknown: list[tuple[int, str]] = []
    single: dict[Key, list[int]] = {}
    columns: dict[tuple[str, int], list[tuple[int, int, int]]] = {}
    wide: dict[str, list[tuple[int, int, int, int, int]]] = {}
    every: dict[str, list[tuple[int, int, int, int, int]]] = {}
    for sheet in sheets:
        for c in cells.get(sheet, []):
            tick()
            if c.formula.kind == "dataTable":  # never evaluated: its cached values stay
                continue
            i = len(anchors)
            anchors.append((sheet, c))
            if _no_value(c, placeholders) or calls.search(c.formula.text):
                seeds.append(i)  # reached whatever it reads: what it reads is not needed
                continue
            text = tb.resolve(c.formula.text, listed, sheet, c.row, c.col)
            found, why = reads(text, sheet, book)
            if why is not None:
                unknown.append((i, why))
            for s, r1, c1, r2, c2 in found:
                every.setdefault(s, []).append((r1, c1, r2, c2, i))
                if (r1, c1) == (r2, c2):
                    single.setdefault((s, r1, c1), []).append(i)
                elif c2 - c1 < _WIDE:
                    for col in range(c1, c2 + 1):
                        columns.setdefault((s, col), []).append((r1, r2, i))
                else:
                    wide.setdefault(s, []).append((r1, c1, r2, c2, i))
    done = [False] * len(anchors)
    todo: list[Area] = []

    def mark(i: int) -> None:
        if done[i]:
            return
        done[i] = True
        sheet, c = anchors[i]
        if c.formula.dynamic:
            todo.append((sheet, c.row, c.col, fm.MAX_ROW, fm.MAX_COL))
        elif c.formula.kind == "array":
            todo.extend(
                (sheet, r, k, r, k) for r, k in sx.range_cells(c.formula.ref or sx.format_ref(c.row, c.col))
            )
        else:
            todo.append((sheet, c.row, c.col, c.row, c.col))

    def spread() -> None:
        while todo:
            tick()
            s, r1, c1, r2, c2 = todo.pop()
            if (r1, c1) != (r2, c2):
                hit = [i for a, b, y, z, i in every.get(s, ()) if a <= r2 and r1 <= y and b <= c2 and c1 <= z]
            else:
                hit = list(single.get((s, r1, c1), ()))
                hit += [i for a, y, i in columns.get((s, c1), ()) if a <= r1 <= y]
                hit += [i for a, b, y, z, i in wide.get(s, ()) if a <= r1 <= y and b <= c1 <= z]
            for i in hit:
                mark(i)

    for i in seeds:
        mark(i)
    spread()
    assumed = []
    for i, why in unknown:
        if not done[i]:
            sheet, c = anchors[i]
            assumed.append(((sheet, c.row, c.col), why))
            mark(i)
    spread()
    dynamic = {(sheet, c.row, c.col): i for i, (sheet, c) in enumerate(anchors) if c.formula.dynamic}
    while spilled := [i for i in _spills_read(anchors, done, book, dynamic) if not done[i]]:
        for i in spilled:
            mark(i)
        spread()
    written = frozenset((sheet, c.row, c.col) for i, (sheet, c) in enumerate(anchors) if done[i])
    return Reach(written, tuple(assumed))


def _spills_read(
    anchors: Sequence[tuple[str, sx.Cell]], done: Sequence[bool], book: _Names, dynamic: Mapping[Key, int]
) -> list[int]:
    """The dynamic arrays whose spill (``A1#``) a reached formula reads: the engine must compute
    them, as a constant has no spill."""
    if not dynamic:
        return []
    found = []
    for i, (sheet, c) in enumerate(anchors):
        if not done[i] or "#" not in c.formula.text:
            continue
        tokens = fm.operands(c.formula.text)
        for (kind, sub, value), after in pairwise(tokens):
            if kind == "Operand" and sub == "Range" and after[0] == "OpPostfix" and after[2] == "#":
                place = fm.area(value)
                if place is None:
                    continue
                keys = [(s, place[1], place[2]) for s in book.sheets_of(place[0], sheet)]
                found += [dynamic[k] for k in keys if k in dynamic]
    return found


def _calls(python: set[str]) -> re.Pattern[str]:
    """A call of one of the ``python`` functions, also as ``prefix.NAME(`` (one in a string literal
    is taken for a call too: the cell is written, never wrongly kept)."""
    if not python:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(n) for n in sorted(python, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:[A-Za-z_][\w]*\.)?(?:{alternatives})\s*\(", re.IGNORECASE)


def _no_value(cell: sx.Cell, placeholders: bool) -> bool:
    """Whether a formula cell has no cached value of its own to keep (see the module docstring)."""
    if cell.v is None:
        return True
    if cell.v == "":
        return cell.t != "str"  # an empty text result is a value; an empty number is none
    return placeholders and cell.t in (None, "n") and cell.v.strip() == "0"
