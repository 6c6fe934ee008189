"""Range arguments of the custom functions, cut to the rows their sheet holds.

The formula engine hands a custom function every cell of a range argument: given
``Positions!A1:O1048576`` on a sheet of 20 rows it builds 15.7 million cells (seconds and gigabytes
for each distinct range), and past 2**24 cells it gives ``#NUM!``. A whole-column argument
(``A:O``) already reaches the function trimmed to the used rows (the engine does it); an explicit
range is cut here, in the engine's copy of the formula, the same way.

:class:`Cuts` writes each range that is a whole argument of a call to a custom function
(``F(Positions!A1:O1048576, 2)``; not ``F(INDEX(A1:O1048576, 1))``) with its last row at the last
row of its own columns that holds something: a value, a formula (its result lands in its own cell),
a cell of an array formula's fixed range (``ref``). A dynamic array computed in this
recalculation may spill below that; the caller passes such spills to :meth:`Cuts.widen` after
evaluating and, when a cut rises, sets the cut formulas again and evaluates again. The rows cut hold
nothing, so the function gets the same values less trailing blank rows, and its row numbers (counted
from the range's first row) do not change. A range still larger than the limit once cut (the
cells recalc accepts, ``--max-cells``, and at most the engine's 2**24) is handed over as a marker
text, which :func:`._values.wrap` answers with ``#INPUT range too large (N cells): Sheet!A1:Q1048576``
without calling the function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

from . import _formula as fm
from . import _sheetxml as sx
from ._values import TOO_LARGE

__all__ = ["Cuts"]

ENGINE_CELLS = 1 << 24  # the engine gives #NUM! for a range of more cells
_LAST_ROW = re.compile(r":\$?[A-Za-z]{1,3}\$?(\d+)$")  # the last row of an area's second corner


class Cuts:
    """The cuts made in one recalculation: ``sheets`` (name → sheet XML), their formula cells,
    the custom functions' upper-case names and the cells a range argument may hold."""

    def __init__(
        self,
        sheets: Mapping[str, str],
        cells: Mapping[str, list[sx.Cell]],
        custom: Collection[str],
        max_cells: int,
        tick: Callable[[], None] = sx.no_tick,
    ) -> None:
        self._sheets = sheets
        self._named = {name.upper(): name for name in sheets}  # a formula may name a sheet in any case
        self._cells = cells
        self._custom = {name.upper() for name in custom}
        self._limit = min(max_cells, ENGINE_CELLS)
        self._tick = tick
        self._last: dict[str, dict[int, int]] = {}  # sheet -> column -> last row holding something
        self.before: dict[tuple[str, int, int], str] = {}  # the cells cut: their text before (the caller's)

    def text(self, sheet: str, text: str, cell: tuple[int, int] = (0, 0)) -> str | None:
        """``text`` (the formula of ``sheet``'s ``cell``, row and column, without ``=``) with its
        range arguments of custom calls cut; None when none is. A range holding its own cell is
        left as it is (a circular reference, which the caller reports as such)."""
        if self._custom.isdisjoint(fm.functions(text)):
            return None
        tokens = fm.operands(text)
        shown = [i for i, (kind, _, _) in enumerate(tokens) if kind != "Whitespace"]
        out = [value for _, _, value in tokens]
        calls: list[bool] = []  # per open bracket: a call to a custom function
        changed = False
        for j, i in enumerate(shown):
            kind, sub, value = tokens[i]
            if kind == "Operand" and sub == "Range" and calls and calls[-1]:
                before = tokens[shown[j - 1]][:2] if j else None
                after = tokens[shown[j + 1]][:2] if j + 1 < len(shown) else None
                if before in (("Func", "Open"), ("Sep", "Arg")) and after in (
                    ("Sep", "Arg"),
                    ("Func", "Close"),
                ):
                    cut = self._operand(sheet, value, cell)
                    if cut is not None:
                        out[i], changed = cut, True
            if sub == "Open":
                calls.append(kind == "Func" and value[:-1].strip().upper() in self._custom)
            elif sub == "Close" and calls:
                calls.pop()
        return "".join(out) if changed else None

    def widen(self, spills: list[tuple[str, str]]) -> bool:
        """Raise the cuts to cover ``spills`` (sheet, ``A2:O40``: the dynamic arrays computed);
        whether one rose (the cut formulas must then be set again)."""
        rose = False
        for sheet, extent in spills:
            last = self._last.get(sheet)
            if last is None:  # no range of this sheet was cut
                continue
            _, c1, r2, c2 = sx.bounds(extent)
            for col in range(c1, c2 + 1):
                if last.get(col, 0) < r2:
                    last[col] = r2
                    rose = True
        return rose

    def _operand(self, sheet: str, value: str, cell: tuple[int, int]) -> str | None:
        """The range operand ``value`` cut, or a marker when still too large; None if unchanged."""
        found = fm.area(value)
        m = _LAST_ROW.search(value)
        if found is None or m is None or fm.external(value):
            return None  # a name, whole columns or rows, one cell, another workbook
        name, r1, c1, r2, c2 = found
        name = sheet if name is None else self._named.get(name.upper(), "")
        if int(m.group(1)) != r2 or name not in self._sheets:  # rows written bottom first; S1:S3!
            return None
        if name == sheet and r1 <= cell[0] <= r2 and c1 <= cell[1] <= c2:
            return None
        last = self._rows(name)
        cut = min(r2, max([r1, *(r for col, r in last.items() if c1 <= col <= c2)]))
        cells = (cut - r1 + 1) * (c2 - c1 + 1)
        if cells > self._limit:
            where = value if "!" in value else "'{}'!{}".format(name.replace("'", "''"), value)
            return '"{} {} {}"'.format(TOO_LARGE, cells, where.replace('"', '""'))
        return None if cut == r2 else value[: m.start(1)] + str(cut)

    def _rows(self, sheet: str) -> dict[int, int]:
        if sheet not in self._last:
            last = sx.last_rows(self._sheets[sheet], self._tick)
            for c in self._cells.get(sheet, []):
                if c.formula.kind in ("array", "dataTable") and c.formula.ref:
                    _, c1, r2, c2 = sx.bounds(c.formula.ref)
                    for col in range(c1, c2 + 1):
                        last[col] = max(last.get(col, 0), r2)
            self._last[sheet] = last
        return self._last[sheet]
