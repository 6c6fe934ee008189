"""Formulas formualizer 0.13.0 computes differently from Excel, found from their syntax tree.

Two gaps, both silent (a number, not an error):

- Array arguments. Excel computes a function that takes one value (``ABS``, ``LEN``, ``ROUND``,
  ``ISNUMBER``...) once per element when given an array (``{=SUM(LEN(A1:A3))}``), and ``ROW`` or
  ``COLUMN`` of a range of several cells gives one value per row or column (``{=ROW(A1:A3)*10}``
  over ``B1:B3`` is 10, 20, 30). The engine gives one value or ``#VALUE!`` (10, 10, 10). Operators,
  ``IF``, ``IFERROR``, ``IFNA`` and ``CHOOSE`` do go element by element; the functions of
  :data:`ARRAY_ARGS` take arrays as Excel does.
- Text given directly to a statistical function. ``AVERAGE(A1,1,"x")`` is ``#VALUE!`` in Excel
  (text typed as an argument must read as a number, and ``"3"`` counts as 3); the engine skips it.

:func:`divergence` says why a formula is such a case (the caller keeps the cell's cached value, as
for a function the engine lacks), or None. A defined name is taken for one cell (the engine's
answer then stands). Re-check these when upgrading formualizer (``tests/test_recalc_arrays.py``
probes the engine).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import Any

import formualizer as fz

from . import _formula as fm
from . import _sheetxml as sx

# functions that take arrays in their arguments (aggregates, lookups, array builders)
_ARRAY_ARGS = """SUM SUMPRODUCT SUMSQ SUMIF SUMIFS COUNT COUNTA COUNTBLANK COUNTIF COUNTIFS AVERAGE AVERAGEA
    AVERAGEIF AVERAGEIFS MAX MAXA MAXIFS MIN MINA MINIFS PRODUCT MEDIAN MODE LARGE SMALL RANK
    PERCENTILE QUARTILE STDEV STDEV.S STDEV.P STDEVP VAR VAR.S VAR.P VARP AND OR XOR INDEX MATCH
    XMATCH VLOOKUP HLOOKUP XLOOKUP LOOKUP ROWS COLUMNS TRANSPOSE FILTER SORT SORTBY UNIQUE SEQUENCE
    OFFSET INDIRECT NPV IRR CONCAT TEXTJOIN HSTACK VSTACK TAKE DROP TOCOL TOROW CORREL COVAR
    FORECAST SLOPE INTERCEPT LINEST SUBTOTAL AGGREGATE PERCENTILE.INC PERCENTILE.EXC QUARTILE.INC
    QUARTILE.EXC RANK.EQ RANK.AVG MODE.SNGL MODE.MULT KURT SKEW GEOMEAN HARMEAN AVEDEV DEVSQ STDEVA
    STDEVPA VARA VARPA SUMX2MY2 SUMX2PY2 SUMXMY2 FREQUENCY XNPV XIRR MIRR CHOOSECOLS CHOOSEROWS
    EXPAND LET LAMBDA MAP REDUCE SCAN BYROW BYCOL MAKEARRAY ISREF AREAS"""
ARRAY_ARGS = frozenset(_ARRAY_ARGS.split())
# functions whose result is an array when an argument is (Excel's and the engine's alike)
_LIFTING = frozenset({"IF", "IFERROR", "IFNA", "CHOOSE"})
_ARRAY_RESULT = frozenset({"TRANSPOSE", "FILTER", "SORT", "SORTBY", "UNIQUE", "SEQUENCE", "OFFSET", "INDEX"})
_ROW_COLUMN = frozenset({"ROW", "COLUMN"})
_CALL = re.compile(r"(?:_xlfn\.|_xlws\.)?([A-Za-z_][\w.]*)\(", re.IGNORECASE)
# statistical functions that skip text typed as an argument where Excel gives #VALUE!
_TEXT_ARGS = """AVERAGE AVERAGEA MAX MAXA MIN MINA PRODUCT MEDIAN STDEV STDEV.S STDEV.P STDEVP STDEVA
    STDEVPA VAR VAR.S VAR.P VARP VARA VARPA GEOMEAN HARMEAN AVEDEV DEVSQ KURT SKEW"""
TEXT_ARGS = frozenset(_TEXT_ARGS.split())


class _Found(Exception):
    """The first divergence found (ends the walk)."""


def _name(node: dict[str, Any]) -> str:
    return str(node.get("name", "")).upper().removeprefix("_XLFN.").removeprefix("_XLWS.")


def _many_cells(reference: str) -> bool:
    found = fm.area(reference)
    if found is None:  # a structured reference is a column (or more); a name: taken for one cell
        return "[" in reference
    return (found[1], found[2]) != (found[3], found[4])


def _is_text(node: dict[str, Any]) -> bool:
    kind = node.get("node_type")
    if kind == "Literal":
        return isinstance(node.get("value"), str)
    return kind == "BinaryOp" and node.get("operator") == "&"


def _array(node: dict[str, Any], custom: Collection[str], top: bool) -> bool:
    """Whether ``node`` gives an array; raises :class:`_Found` at a call the engine gets wrong.
    ``top``: outside every function's arguments of a plain formula, where Excel takes an array's
    first value as the engine does."""
    kind = node.get("node_type")
    if kind == "Reference":
        return _many_cells(str(node.get("reference", "")))
    if kind == "Array":
        rows = node.get("rows") or []
        return len(rows) > 1 or any(len(r) > 1 for r in rows)
    if kind == "UnaryOp":
        return _array(node["operand"], custom, top)
    if kind == "BinaryOp":  # a plain formula's operators keep Excel's one value (``ROW(A1:A3)*2``)
        left = _array(node["left"], custom, top)
        return _array(node["right"], custom, top) or left
    if kind != "Function":
        return False
    name = _name(node)
    args = node.get("args") or []
    if name in TEXT_ARGS:
        text = next((a for a in args if _is_text(a)), None)
        if text is not None:
            shown = _text(text)
            raise _Found(
                f"{name} is given {shown} directly: Excel counts it if it reads as a number "
                "and gives #VALUE! if not; the formula engine skips it"
            )
    given = [_array(a, custom, False) for a in args]
    if name in custom or name.startswith("_XLDUDF_") or name in ARRAY_ARGS:
        return name in _ARRAY_RESULT and any(given)
    if name in _ROW_COLUMN:
        if args and _many_cells(str(args[0].get("reference", ""))) and not top:
            raise _Found(
                f"{name} of a range of several cells gives one value per {name.lower()} in Excel; "
                "the formula engine gives only the first"
            )
        return False
    if name in _LIFTING:
        return any(given)
    if any(given):
        raise _Found(
            f"{name} is given an array: Excel computes it for each element, the formula engine does not"
        )
    return False


def _text(node: dict[str, Any]) -> str:
    if node.get("node_type") == "Literal":
        return 'the text "' + str(node.get("value")).replace('"', '""') + '"'
    return "a text (joined with &)"


@lru_cache(maxsize=4096)
def _divergence(text: str, custom: frozenset[str], array: bool) -> str | None:
    try:
        tree = fz.parse("=" + text).to_dict()
    except Exception:  # the engine reports a formula it cannot parse on its own
        return None
    try:
        _array(tree, custom, top=not array)
    except _Found as found:
        return str(found)
    return None


def kept(
    cells: Mapping[str, Sequence[sx.Cell]],
    skip: AbstractSet[tuple[str, int, int]],
    custom: Collection[str],
    tick: Callable[[], None] = sx.no_tick,
) -> dict[tuple[str, int, int], tuple[sx.Cell, str]]:
    """The formula cells (sheet, row, column) outside ``skip`` the engine would compute otherwise
    than Excel, with the reason."""
    names = frozenset(custom)
    safe = ARRAY_ARGS | _LIFTING | names
    out = {}
    for sheet, found in cells.items():
        for c in found:
            tick()
            if c.formula.kind == "dataTable" or (sheet, c.row, c.col) in skip:
                continue
            why = _check(c.formula.text, names, safe, c.formula.kind == "array" or c.formula.dynamic)
            if why is not None:
                out[(sheet, c.row, c.col)] = (c, why)
    return out


def divergence(text: str, custom: Collection[str], *, array: bool = False) -> str | None:
    """Why the engine would compute the formula ``text`` (no leading ``=``) otherwise than Excel,
    or None. ``custom``: the upper-cased names of the Python functions (they take arrays);
    ``array``: the formula is an array formula (CSE or dynamic), so even its top-level ``ROW(A1:A3)``
    is an array."""
    names = frozenset(custom)
    return _check(text, names, ARRAY_ARGS | _LIFTING | names, array)


def _check(text: str, custom: frozenset[str], safe: frozenset[str], array: bool) -> str | None:
    """:func:`divergence`, ``safe`` the functions that take arrays as Excel does, custom ones included."""
    if not any(ch in text for ch in ':{["&'):
        return None  # no range, array, table or text: nothing to find
    called = {m.upper() for m in _CALL.findall(fm.STRING.sub('""', text))}
    if called <= safe and not (called & TEXT_ARGS and ('"' in text or "&" in text)):
        return None  # every function called takes arrays as Excel does (the tree is not needed)
    return _divergence(text, custom, array)
