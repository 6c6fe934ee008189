"""Which formula cells a recalculation writes: those that depend on a Python function's result.

Recalc owns the results of the worksheet functions it was given (xlmargin's); every other value
in the file is Excel's, and Excel and formualizer do not always agree (``=0.1+0.2=0.3``: Excel
TRUE, formualizer FALSE; ``=1*"1,000"``; ``=LEN(1/3)``). So a formula cell is written only when
it is *reached*, found before the engine loads the workbook:

- seeds: a cell whose formula calls a Python function (by name, an ``_xldudf_`` alias or a
  ``prefix.NAME``), itself or through a defined name (however nested, local to a sheet or not,
  a LAMBDA name called as a function: the engine answers ``#NAME?`` for such a name, so recalc
  lists the cell as not computable rather than keep its value silently), and a cell with no
  cached value to keep (no ``<v>``, or an empty one; in a workbook flagged ``fullCalcOnLoad``,
  as XlsxWriter and openpyxl write them, a cached ``0``, which is XlsxWriter's placeholder for a
  formula it did not calculate);
- then every cell whose formula reads a reached cell, however indirectly: its references are read
  from the text (sheet-qualified, quoted, ranges, whole columns and rows, ``S1:S3!A1`` through
  several sheets, defined names, however nested, local to a sheet or not, and the structured
  references :mod:`._tables` places, also inside a name). Inside a name's definition every
  name of that spelling is read, the workbook's and each sheet's (which one Excel takes there is
  not known here). A name's relative references (stored relative to A1: ``S!XFD1`` is the cell
  left of the one using it) are moved to the cell using it, wrapping at the sheet's edges as
  Excel does; the engine reads them as absolute, so such a cell, when written, is listed in
  :attr:`Reach.uncomputable` (kept with its reason). A reached CSE array makes its whole range
  reached; a reached dynamic array, whose new spill is not known before evaluation, everything
  right of and below its anchor on its sheet; a dynamic array whose spill (``A1#``, stored as
  ``_xlfn.ANCHORARRAY(A1)``) a reached formula reads, itself or through a name, is computed too
  (a constant has no spill);
- a data table (What-If) reads its formulas and inputs (its ``ref`` and the row above and the
  column left of it); one reached is never evaluated here, so it is listed in
  :attr:`Reach.uncomputable` and the cells reading it are reached (computed from its stale values);
- a formula whose reads cannot be told (``INDIRECT``, ``OFFSET``, a name not defined, a range
  built with ``:`` from a function's result, a structured reference not placed; in its text or
  in a name it uses) is reached too, and named in :attr:`Reach.assumed` when nothing else
  reached it.

The engine gets the other formula cells without their ``<f>``: it reads their cached values as
constants, so the Python functions see the figures Excel shows. The graph of formualizer 0.13.0
is not used: it is built only at evaluation and leaves out defined names and ``INDIRECT``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

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
_RELATIVE = "the formula engine reads as absolute (Excel moves them with the cell)"
_THROUGH_NAME = (
    "it calls an xlmargin function through a defined name, which the formula engine cannot compute"
)
_DATA_TABLE = "a data table (What-If Analysis) reading an xlmargin result, which recalc cannot compute"


@dataclass(frozen=True)
class Reach:
    """The formula cells (anchors) a recalculation writes, and those of them reached only
    because what they read cannot be told, with why."""

    written: frozenset[Key]
    assumed: tuple[tuple[Key, str], ...] = ()
    uncomputable: tuple[tuple[Key, str], ...] = ()  # written cells the engine would get wrong


class Reads(NamedTuple):
    """What a formula reads: its areas; why they cannot be told (None when they can); whether it
    calls a Python function through a defined name; a name with relative references it uses."""

    areas: list[Area]
    why: str | None
    calls: bool = False
    relative: str | None = None
    spills: tuple[Key, ...] = ()  # dynamic arrays whose spill it reads (``G1#``)


class _Names:
    """The workbook's defined names and tables, resolved to the areas they read."""

    def __init__(
        self,
        sheets: Sequence[str],
        names: Sequence[tuple[str, str | None, str]],
        tables: Sequence[tb.Table],
        python: AbstractSet[str] = frozenset(),
    ) -> None:
        self.sheets = list(sheets)
        self.lower = {s.lower(): s for s in sheets}
        self.defined = {
            (scope.lower() if scope else None, name.lower()): text.removeprefix("=")
            for name, scope, text in names
        }
        self.scopes: dict[str, list[str | None]] = {}
        for scope, bare in self.defined:
            self.scopes.setdefault(bare, []).append(scope)
        self.relative = {key for key, text in self.defined.items() if fm.shift(text, 1, 1, wrap=True) != text}
        # a formula that calls a Python function is read too when a name may change what it needs
        self.careful = bool(self.relative) or any(_may_spill(t) for t in self.defined.values())
        self.tables = {t.name.lower(): t for t in tables}
        self.listed = list(tables)
        self.calls = _calls(set(python))
        self.memo: dict[tuple[str | None, str, str], Reads] = {}

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

    def name(self, value: str, here: str, depth: int, at: tuple[int, int] = (1, 1)) -> Reads | None:
        """What a name reads (or why it cannot be told) for the cell at ``at`` on ``here``; None
        when it is not defined. In a cell's formula the sheet's own name wins over the workbook's,
        as in Excel; inside another name's definition every name of that spelling is read (which
        one Excel takes there is not known here, so none is left out)."""
        qualifier, _, bare = value.rpartition("!")
        lower = bare.lower()
        keys: list[tuple[str | None, str]]
        if qualifier or depth == 0:
            scope = qualifier.strip("'").replace("''", "'").lower() if qualifier else here.lower()
            keys = [(scope, lower) if (scope, lower) in self.defined else (None, lower)]
        else:
            keys = [(scope, lower) for scope in self.scopes.get(lower, [])]
        keys = [k for k in keys if k in self.defined]
        if not keys:
            table = self.tables.get(lower)
            if table is None:
                return None
            return Reads([(table.sheet, table.top, table.left, table.bottom, table.right)], None)
        found = [self._defined(key, bare, here, depth, at) for key in keys]
        return Reads(
            [a for f in found for a in f.areas],
            next((f.why for f in found if f.why is not None), None),
            any(f.calls for f in found),
            next((f.relative for f in found if f.relative is not None), None),
            tuple(k for f in found for k in f.spills),
        )

    def _defined(
        self, key: tuple[str | None, str], bare: str, here: str, depth: int, at: tuple[int, int]
    ) -> Reads:
        memo = (key[0], key[1], here)
        if memo in self.memo:
            return self.memo[memo]
        self.memo[memo] = Reads([], f"the name {bare} is defined through itself")  # a loop, if met again
        if depth > _NESTING:
            self.memo[memo] = Reads([], f"the name {bare} is defined through too many names")
            return self.memo[memo]
        text = self.defined[key]
        if key in self.relative:  # stored relative to A1: moved to the cell that uses it
            text = fm.shift(text, at[0] - 1, at[1] - 1, wrap=True)
        text = tb.resolve(text, self.listed, here, 0, 0)  # no row: [#This Row] stays unplaced
        found = reads(text, here, self, depth + 1, at)
        found = found._replace(
            calls=found.calls or self.calls.search(text) is not None,
            relative=bare if key in self.relative else found.relative,
        )
        if found.relative is None:
            self.memo[memo] = found
        else:  # it depends on the cell using it
            del self.memo[memo]
        return found


def reads(text: str, here: str, names: _Names, depth: int = 0, at: tuple[int, int] = (1, 1)) -> Reads:
    """What the formula ``text`` of the cell at ``at`` on sheet ``here`` reads, and why it cannot
    be told (None when it can)."""
    # _xlfn.LET as LET; the exact set only when one of them may be there (the scan is costly)
    called = {f.rpartition(".")[2] for f in fm.functions(text)} if _SPECIAL.search(text) else set()
    tokens = fm.operands(text)
    spills = [
        (s, place[1], place[2])
        for value in (_spilled(tokens) if _may_spill(text) else [])
        if (place := fm.area(value)) is not None
        for s in names.sheets_of(place[0], here)
    ]
    dynamic = sorted(called & DYNAMIC_REFS)
    if dynamic:
        return Reads([], f"it calls {dynamic[0]}", spills=tuple(spills))
    found: list[Area] = []
    why = None
    calls = False
    relative = None
    for i, (kind, sub, value) in enumerate(tokens):
        if kind == "OpInfix" and value == ":" and i + 1 < len(tokens) and tokens[i + 1][0] == "Func":
            why = why or "it builds a range with ':' from a function's result"
        if kind == "Func" and sub == "Open" and names.scopes:  # a LAMBDA name is called as a function
            bare = value[:-1].rpartition("!")[2].lower()
            named = names.name(value[:-1], here, depth, at) if bare in names.scopes else None
        elif kind != "Operand" or sub != "Range" or fm.may_link(value):
            continue  # another workbook's cells never change here
        else:
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
            named = names.name(value, here, depth, at)
            if named is None:
                if not called & _LOCAL_NAMES:  # LET's and LAMBDA's parameters are not workbook names
                    why = why or f"the name {value} is not defined in the workbook"
                continue
        if named is not None:
            found += named.areas
            why = why or named.why
            calls = calls or named.calls
            relative = relative or named.relative
            spills += named.spills
    return Reads(found, why, calls, relative, tuple(spills))


def _may_spill(text: str) -> bool:
    """Whether ``text`` may read a spill (a cheap test before :func:`_spilled`)."""
    return "#" in text or "ANCHORARRAY" in text.upper()


def _spilled(tokens: Sequence[tuple[str, str, str]]) -> list[str]:
    """The range operands read as a dynamic array's spill: ``G1#`` as typed, or
    ``_xlfn.ANCHORARRAY(G1)`` as Excel stores it in the file."""
    out = []
    for i, (kind, sub, value) in enumerate(tokens):
        if kind != "Operand" or sub != "Range":
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ("", "", "")
        before = tokens[i - 1] if i else ("", "", "")
        if (after[0] == "OpPostfix" and after[2] == "#") or (
            before[0] == "Func" and before[2].upper().endswith("ANCHORARRAY(")
        ):
            out.append(value)
    return out


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
    book = _Names(sheets, names, tables, python)
    listed = list(tables)
    calls = book.calls
    anchors: list[tuple[str, sx.Cell]] = []
    seeds: list[int] = []
    unknown: list[tuple[int, str]] = []
    wrong: list[tuple[int, str]] = []
    spilling: dict[int, tuple[Key, ...]] = {}  # the spills a formula reads, where read
    single: dict[Key, list[int]] = {}
    columns: dict[tuple[str, int], list[tuple[int, int, int]]] = {}
    wide: dict[str, list[tuple[int, int, int, int, int]]] = {}
    every: dict[str, list[tuple[int, int, int, int, int]]] = {}
    for sheet in sheets:
        for c in cells.get(sheet, []):
            tick()
            i = len(anchors)
            anchors.append((sheet, c))
            if c.formula.kind == "dataTable":  # never evaluated; it reads its formulas and inputs
                r1, c1, r2, c2 = _area_of(c)
                found = [(sheet, max(r1 - 1, 1), max(c1 - 1, 1), r2, c2)]
            else:
                seed = _no_value(c, placeholders) or calls.search(c.formula.text) is not None
                if seed and not book.careful:
                    seeds.append(i)  # reached whatever it reads: what it reads is not needed
                    continue
                text = tb.resolve(c.formula.text, listed, sheet, c.row, c.col)
                found, why, through, relative, spills = reads(text, sheet, book, at=(c.row, c.col))
                if spills:
                    spilling[i] = spills
                if relative is not None:
                    wrong.append((i, f"it uses the name {relative}, whose relative references {_RELATIVE}"))
                if through and not seed:  # the engine gives #NAME? there, which IFERROR would hide
                    wrong.append((i, _THROUGH_NAME))
                if seed or through:
                    seeds.append(i)
                    continue
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
        elif c.formula.kind in ("array", "dataTable"):
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
    while spilled := [i for i in _spills_read(anchors, done, book, dynamic, spilling) if not done[i]]:
        for i in spilled:
            mark(i)
        spread()
    written = frozenset((sheet, c.row, c.col) for i, (sheet, c) in enumerate(anchors) if done[i])
    wrong += [
        (i, _DATA_TABLE) for i, (_, c) in enumerate(anchors) if done[i] and c.formula.kind == "dataTable"
    ]
    wrong.sort()
    uncomputable = tuple(
        ((anchors[i][0], anchors[i][1].row, anchors[i][1].col), why) for i, why in wrong if done[i]
    )
    return Reach(written, tuple(assumed), uncomputable)


def _area_of(cell: sx.Cell) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of a data table's results."""
    return sx.bounds(cell.formula.ref or sx.format_ref(cell.row, cell.col))


def _spills_read(
    anchors: Sequence[tuple[str, sx.Cell]],
    done: Sequence[bool],
    book: _Names,
    dynamic: Mapping[Key, int],
    spilling: Mapping[int, tuple[Key, ...]],
) -> list[int]:
    """The dynamic arrays whose spill (``A1#``) a reached formula reads, itself or through a name:
    the engine must compute them, as a constant has no spill. ``spilling``: those found as the
    formulas were read (the others, not read, are read here)."""
    if not dynamic:
        return []
    found = []
    for i, (sheet, c) in enumerate(anchors):
        if not done[i]:
            continue
        if i in spilling:
            keys: Sequence[Key] = spilling[i]
        elif _may_spill(c.formula.text):
            keys = reads(c.formula.text, sheet, book, at=(c.row, c.col)).spills
        else:
            continue
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
