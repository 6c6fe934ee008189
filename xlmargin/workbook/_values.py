"""Values crossing between the formula engine and Python, and a value's text in a cell's XML."""

from __future__ import annotations

import math
import numbers
import pickle
import re
from collections.abc import Callable
from datetime import date

import formualizer as fz

from .report import CellError
from .safety import WorkbookError

_ERROR_TEXT = {
    "Null": "#NULL!",
    "Div": "#DIV/0!",
    "Value": "#VALUE!",
    "Ref": "#REF!",
    "Name": "#NAME?",
    "Num": "#NUM!",
    "Na": "#N/A",
    "Spill": "#SPILL!",
    "Calc": "#CALC!",
    "NImpl": "#NAME?",
    "Circ": "#CIRCULAR",  # never written: such a cell keeps its cached value (see _circular)
}
_ERROR_KIND = {text: kind for kind, text in _ERROR_TEXT.items() if kind not in ("NImpl", "Circ")}
FIT = "_XLWB_ARRAY_FIT"
SPILL_BLOCKED = "_XLWB_SPILL_BLOCKED"  # stands in for a dynamic array that cannot spill
# an argument left out of a call to a custom function (``F(A1,,B1)``): the engine would hand it
# over as 0, what a typed 0 gives; written in the formula as this text (_formula.mark_omitted),
# handed to the function as None, as Excel hands a missing argument to xlwings
OMITTED = "_XLWB_OMITTED"
# a range argument still too large once cut to its sheet's rows (._cut): written in the formula as
# this text, the cells and the range ("_XLWB_TOO_LARGE 17825792 Positions!A1:Q1048576"); the call
# then gives "#INPUT range too large (17,825,792 cells): Positions!A1:Q1048576", the function not run
TOO_LARGE = "_XLWB_TOO_LARGE"
MEMO_BYTES = 16 << 20  # arguments a pure function's memo keeps per recalculation (see wrap)
CIRCULAR = _ERROR_TEXT["Circ"]
XLDUDF = re.compile(r"_xldudf_\w+", re.IGNORECASE)
# characters XML 1.0 cannot carry, and a literal "_xHHHH_" (escaped as "_x005F_xHHHH_")
_XSTRING_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


# ---------------------------------------------------------------- engine <-> Python values


def from_engine(value: object) -> object:
    """A formualizer value (argument or result) as a plain Python value."""
    if isinstance(value, list):
        return [from_engine(v) for v in value]
    if isinstance(value, dict) and value.get("type") == "Error":
        return CellError(_ERROR_TEXT.get(str(value.get("kind")), "#VALUE!"))
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else CellError("#NUM!")
    raise WorkbookError(f"unexpected value from the formula engine: {value!r}")


def _scalar_to_engine(value: object) -> object:
    if isinstance(value, str):
        kind = _ERROR_KIND.get(value)
        return value if kind is None else fz.LiteralValue.error(kind, None)
    if isinstance(value, bool | date):
        return value
    if value is None:
        return ""
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else fz.LiteralValue.error("Num", None)
    tolist = getattr(value, "tolist", None)  # numpy scalars
    if callable(tolist):
        return _scalar_to_engine(tolist())
    raise TypeError(f"cannot return a {type(value).__name__} to a cell")


def to_engine(value: object) -> object:
    """A custom function's result as formualizer expects it (scalar or list of rows)."""
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist) and not isinstance(value, list):
        value = tolist()
    if not isinstance(value, list | tuple):
        return _scalar_to_engine(value)
    if all(isinstance(r, list | tuple) for r in value):
        rows = [list(r) for r in value]
    elif any(isinstance(r, list | tuple) for r in value):
        raise TypeError("a returned list mixes rows and single values")
    else:
        rows = [list(value)]
    if not rows or not any(rows):
        return fz.LiteralValue.error("Calc", None)
    width = max(len(r) for r in rows)
    na = CellError("#N/A")
    return [[_scalar_to_engine(v) for v in r + [na] * (width - len(r))] for r in rows]


def wrap(fn: Callable[..., object], *, pure: bool = False) -> Callable[..., object]:
    """``fn`` as the engine calls it. A ``pure`` function (the same arguments always give the same
    value) runs once per distinct set of arguments for as long as the returned callable lives (one
    recalculation): the cells that each read one cell of ``INDEX(PM_SCENARIOS(range), r, c)``
    compute the grid once. The key is the pickle of the engine's arguments, which tells ``TRUE``
    from ``1``, ``-0.0`` from ``0`` and an error from its text; a call that raises is not kept."""

    def run(args: tuple[object, ...]) -> object:
        large = next((a for a in args if isinstance(a, str) and a.startswith(TOO_LARGE + " ")), None)
        if large is not None:
            cells, _, where = large.removeprefix(TOO_LARGE + " ").partition(" ")
            return f"#INPUT range too large ({int(cells):,} cells): {where}"
        return to_engine(fn(*(None if a == OMITTED else from_engine(a) for a in args)))

    if not pure:
        return lambda *args: run(args)
    memo: dict[bytes, object] = {}
    room = MEMO_BYTES  # the keys kept are bounded; past the bound, calls simply run

    def call(*args: object) -> object:
        nonlocal room
        try:
            key = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # a value pickle cannot take
            return run(args)
        if key in memo:
            return memo[key]
        result = run(args)
        if len(key) <= room:
            room -= len(key)
            memo[key] = result
        return result

    return call


def fit_array(value: object, rows: object, cols: object) -> object:
    """Fit an array result to a CSE range of ``rows`` x ``cols`` cells, as Excel does."""
    if not isinstance(rows, float | int) or not isinstance(cols, float | int):
        return fz.LiteralValue.error("Value", None)
    n, m = int(rows), int(cols)
    grid = from_engine(value)
    if not isinstance(grid, list):
        grid = [[grid]]
    height, width = len(grid), len(grid[0])

    def cell(i: int, j: int) -> object:
        i = 0 if height == 1 else i
        j = 0 if width == 1 else j
        return grid[i][j] if i < height and j < width else CellError("#N/A")

    return to_engine([[cell(i, j) for j in range(m)] for i in range(n)])


def spill_blocked() -> object:
    """``#SPILL!``: the value of a dynamic array whose spill range holds merged cells (Excel's
    "spill range has merged cells"); the engine itself spills over them."""
    return fz.LiteralValue.error("Spill", None)


# ---------------------------------------------------------------- cell values -> XML text


def _escape(text: str) -> str:
    """XML-escape, keep CR as a character reference, ST_Xstring-escape what XML cannot carry.

    LibreOffice and openpyxl do not decode ``_xHHHH_`` in ``<v>``; only control characters and
    the rare literal ``_xHHHH_`` are affected.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")
    return _XSTRING_ESCAPE.sub(lambda m: "_x005F_" if m.group() == "_" else f"_x{ord(m.group()):04X}_", text)


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def cached(value: object) -> tuple[str | None, str | None]:
    """The ``t`` attribute and ``<v>`` text that store ``value`` in a formula cell."""
    if value is None:
        return None, None
    if isinstance(value, CellError):
        return "e", _escape(value)
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, str):
        return "str", _escape(value)
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return None, _number(float(value))
    if isinstance(value, numbers.Real):
        return "e", "#NUM!"
    raise WorkbookError(f"cannot store a {type(value).__name__} as a cell value")


# ---------------------------------------------------------------- recalculation
