"""The positions table: what Excel (or a DataFrame, CSV or XLSX file) hands over, validated and frozen.

Input is a table with a header row. Headers match case-insensitively, ignoring spaces, underscores,
hyphens and dots, in any order; unknown columns are ignored; fully blank rows are ignored so users
can select oversized ranges (``A1:K500``). Blanks may arrive as ``None``, ``''`` or ``0`` (Office.js
sends ``0``), integers as floats, dates as ``datetime`` or Excel serial numbers.

Rows are numbered as in the selected range, the header being row 1, so for a range that starts
in row 1 the numbers are the spreadsheet's own. Every problem of the table is collected and raised
once as an :class:`~xlmargin.errors.InputError`: a table with a bad row never yields a partial
total.

Quantities are signed (long > 0) and kept apart from the multiplier. Option prices are per share
(per unit of the underlying), bond prices per 100 of face.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray, FloatArray
from xlmargin.errors import InputError, Problem

TYPES = ("stock", "etf", "option", "future", "future_option", "bond", "fx", "cfd", "cash")
CLASSES = (
    "equity",
    "narrow_index",
    "broad_index",
    "highcap_index",
    "treasury",
    "agency",
    "municipal",
    "gold",
    "fx_major",
    "fx",
    "commodity",
    "crypto",
)
OPTION_TYPES = ("option", "future_option")
_TYPE_ALIASES = {
    "stk": "stock", "equity": "stock", "share": "stock", "shares": "stock",
    "opt": "option", "options": "option",
    "fut": "future", "futures": "future",
    "fop": "future_option", "futureoption": "future_option", "futuresoption": "future_option",
    "optiononfuture": "future_option",
    "forex": "fx", "currency": "fx",
}  # fmt: skip
_RIGHTS = {"c": "C", "call": "C", "p": "P", "put": "P"}
_STYLES = {"american": "american", "a": "american", "amer": "american",
           "european": "european", "e": "european", "euro": "european"}  # fmt: skip
EXCEL_ERRORS = (
    "#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
    "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str  # "text" | "number" | "date" | "date_or_years"
    aliases: tuple[str, ...] = ()
    zero_is_blank: bool = True  # Office.js sends blanks as 0


COLUMNS: tuple[Column, ...] = (
    Column("symbol", "text", ("ticker",)),
    Column("type", "text", ("asset", "kind", "assettype", "sectype")),
    Column("quantity", "number", ("qty", "position", "pos"), zero_is_blank=False),
    Column("price", "number", ("mark", "last"), zero_is_blank=False),
    Column("underlying", "text", ("und",)),
    Column("underlying_price", "number", ("undpx", "spot", "underlyingpx")),
    Column("strike", "number", ("k",)),
    Column("expiry", "date", ("expiration", "exp", "expirationdate")),
    Column("days", "number", ("dte", "daystoexpiry")),
    Column("right", "text", ("putcall", "cp", "callput")),
    Column("multiplier", "number", ("mult",)),
    Column("volatility", "number", ("iv", "vol", "impliedvolatility")),
    Column("style", "text", ("exercise", "exercisestyle")),
    Column("class", "text", ("assetclass", "underlyingclass")),
    Column("dividend_yield", "number", ("divyield", "dividend", "q"), zero_is_blank=False),
    Column("leverage", "number", ("leveragefactor",)),
    Column("currency", "text", ("ccy",)),
    Column("maturity", "date_or_years", ("maturitydate", "yearstomaturity")),
    Column("sleeve", "text", ("book", "bucket")),
    Column("coupon", "number", ("couponrate",), zero_is_blank=False),
    Column("yield", "number", ("ytm", "yieldtomaturity")),
    Column("duration", "number", ("modifiedduration", "moddur")),
    Column("fx_rate", "number", ("fxrate", "torate", "accountrate")),
    Column("beta", "number", ()),
    Column("factor", "text", ("riskfactor",)),
)
REQUIRED = ("symbol", "quantity")
# No position has a quantity, price or strike beyond this; larger numbers are typing errors, and
# products of them would overflow to infinity inside the engines.
LARGEST = 1e15


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())


_HEADER_MAP: dict[str, str] = {}
for _col in COLUMNS:
    for _alias in (_col.name, *_col.aliases):
        _HEADER_MAP[_norm(_alias)] = _col.name
_COLUMN_BY_NAME = {c.name: c for c in COLUMNS}


@dataclass(frozen=True, slots=True)
class Position:
    """One validated row. ``row`` is the row number within the selected range (header = 1)."""

    row: int
    symbol: str
    type: str
    quantity: float
    price: float  # NaN for cash
    underlying: str
    class_group: str  # the underlying, or its index basket: the portfolio-margin class group
    asset_class: str
    multiplier: float
    underlying_price: float = math.nan
    strike: float = math.nan
    right: str | None = None  # "C" | "P"
    expiry: dt.date | None = None
    expiry_years: float = math.nan  # ACT/365 from the valuation date
    style: str | None = None  # "american" | "european"
    volatility: float = math.nan
    dividend_yield: float = 0.0
    leverage: float = 1.0
    currency: str | None = None
    maturity_years: float = math.nan
    sleeve: str | None = None
    index_units: float = 1.0  # index value one unit represents, for ETF-versus-index cover
    coupon: float = math.nan  # bonds: annual coupon rate, decimal
    yield_: float = math.nan  # bonds: yield to maturity, decimal
    duration: float = math.nan  # bonds and bond ETFs: modified duration, years
    fx_rate: float = math.nan  # account-currency units per unit of the position's currency
    beta: float = math.nan  # to the position's risk factor (stress view)
    factor: str | None = None  # the risk factor, overriding the built-in mapping (stress view)

    @property
    def is_option(self) -> bool:
        return self.type in OPTION_TYPES

    @property
    def is_call(self) -> bool:
        return self.right == "C"

    @property
    def market_value(self) -> float:
        """Signed value of the position at its price (cash: its quantity)."""
        if self.type == "cash":
            return self.quantity
        if self.type == "bond":
            return self.quantity * self.price / 100.0
        return self.quantity * self.price * self.multiplier


class Portfolio:
    """A validated, immutable positions table.

    Engines that vectorise read :attr:`arrays` (one read-only numpy array per field, in row
    order); rule-by-rule engines iterate :class:`Position` objects, built on first use.
    """

    __slots__ = ("_arrays", "_positions", "as_of")

    def __init__(self, arrays: Mapping[str, np.ndarray], as_of: dt.date):
        for arr in arrays.values():
            arr.setflags(write=False)
        self._arrays = MappingProxyType(dict(arrays))
        self._positions: tuple[Position, ...] | None = None
        self.as_of = as_of

    @property
    def arrays(self) -> Mapping[str, np.ndarray]:
        return self._arrays

    @property
    def positions(self) -> tuple[Position, ...]:
        if self._positions is None:
            names = [f.name for f in fields(Position)]
            columns = [self._arrays[n].tolist() for n in names]
            self._positions = tuple(Position(*values) for values in zip(*columns, strict=True))
        return self._positions

    def __len__(self) -> int:
        return len(self._arrays["row"])

    def __iter__(self) -> Iterator[Position]:
        return iter(self.positions)

    def select(self, keep: Sequence[bool] | BoolArray) -> Portfolio:
        """The positions where ``keep`` is true, as a new portfolio."""
        mask = np.asarray(keep, dtype=bool)
        return Portfolio({k: v[mask] for k, v in self._arrays.items()}, self.as_of)

    @staticmethod
    def from_positions(positions: Sequence[Position], as_of: dt.date) -> Portfolio:
        arrays = {}
        for f in fields(Position):
            values = [getattr(p, f.name) for p in positions]
            arrays[f.name] = np.array(values, dtype=_DTYPES.get(f.name, object))
        return Portfolio(arrays, as_of)


_FLOAT_FIELDS = (
    "quantity", "price", "multiplier", "underlying_price", "strike", "expiry_years", "volatility",
    "dividend_yield", "leverage", "maturity_years", "index_units", "coupon", "yield_", "duration",
    "fx_rate", "beta",
)  # fmt: skip
_DTYPES: dict[str, Any] = dict.fromkeys(_FLOAT_FIELDS, np.float64) | {"row": np.int64}


# --- reading ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _symbol_tables() -> tuple[Mapping[str, str], Mapping[str, tuple[str, float]], frozenset[str]]:
    table = rules.load("symbols")
    classes = {k: v for k, v in table["classes"].items() if k not in ("source", "confidence")}
    baskets = {}
    for basket in table["baskets"]:
        for member, units in basket["members"].items():
            baskets[member] = (basket["id"], float(units))
    european = frozenset(table["european_style"]["roots"])
    return classes, baskets, european


def read_positions(data: Any, *, as_of: dt.date) -> Portfolio:
    """Read and validate a positions table.

    ``data`` is a list of lists (header row first, as Excel hands it over), a pandas DataFrame,
    or the path of a CSV or XLSX file. ``as_of`` is the valuation date: expiries are measured
    from it and may not precede it.
    """
    header, rows, first_row = _table(data)
    problems: list[Problem] = []
    index = _map_header(header, problems)
    if problems:
        raise InputError(problems)
    reader = _ColumnReader(index, rows, first_row, problems)
    if reader.n == 0:
        raise InputError(Problem("the positions table has a header but no positions"))
    arrays = _build(reader, as_of)
    if problems:
        problems.sort(key=lambda p: (p.row or 0, _COLUMN_ORDER.get(p.column or "", 99)))
        raise InputError(problems)
    return Portfolio(arrays, as_of)


_COLUMN_ORDER = {c.name: i for i, c in enumerate(COLUMNS)}


def _table(data: Any) -> tuple[list[Any], Sequence[Sequence[Any]], int]:
    """(header, data rows, row number of the first data row)."""
    if isinstance(data, str | Path):
        return _table(_read_file(Path(data)))
    if type(data).__name__ == "DataFrame":
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise InputError(Problem(f"expected a table with a header row, got {type(data).__name__}"))
        values = data.astype(object).where(data.notna(), None).values.tolist()
        return [str(c) for c in data.columns], values, 2
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        # rows are only read from here on: a list row is used as it is, other rows become lists
        table = [r if r.__class__ is list else list(r) if _is_row(r) else [r] for r in data]
        # a single header row arrives from a one-row range as a flat list of strings
        if table and all(len(r) == 1 for r in table) and len(data) > 1 and not _looks_2d(data):
            table = [list(data)]
        # leading blank rows (a range that starts above the table) are skipped
        start = 0
        while start < len(table) and all(_is_blank(v) for v in table[start]):
            start += 1
        if start == len(table):
            raise InputError(Problem("the positions range is empty"))
        return table[start], table[start + 1 :], start + 2
    raise InputError(Problem(f"expected a table with a header row, got {type(data).__name__}"))


def _is_row(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _looks_2d(data: Sequence[Any]) -> bool:
    return any(isinstance(r, Sequence) and not isinstance(r, str) for r in data)


def _read_file(path: Path) -> list[list[Any]]:
    if not path.is_file():
        raise InputError(Problem(f"no such file: {path}"))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return [list(r) for r in csv.reader(fh)]
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a bad file
            raise InputError(Problem(f"cannot read {path.name}: {exc}")) from None
        try:
            sheet = book["Positions"] if "Positions" in book.sheetnames else book.worksheets[0]
            return [list(r) for r in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    raise InputError(Problem(f"{path.name}: positions files must be .csv or .xlsx"))


def _map_header(header: Sequence[Any], problems: list[Problem]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        if _is_blank(cell) or not isinstance(cell, str):
            continue
        name = _HEADER_MAP.get(_norm(cell))
        if name is None:
            continue
        if name in index:
            problems.append(
                Problem(
                    f"duplicate header: '{cell}' and '{header[index[name]]}' both mean {name}", 1, str(cell)
                )
            )
            continue
        index[name] = i
    for name in REQUIRED:
        if name not in index:
            aliases = ", ".join(_COLUMN_BY_NAME[name].aliases)
            problems.append(Problem(f"missing required column '{name}' (or {aliases})", 1))
    return index


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 0
    return False


def _excel_error(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return None


class _ColumnReader:
    """Turns the data rows into typed columns, recording a Problem per bad cell.

    Number columns take a numpy fast path when they hold only numbers and blanks; a column
    with any text falls back to converting cell by cell so that each bad cell is named.
    """

    def __init__(
        self, index: Mapping[str, int], rows: Sequence[Sequence[Any]], first_row: int, problems: list[Problem]
    ):
        self.problems = problems
        width = max(index.values()) + 1
        padded = [r if len(r) >= width else [*r, *([None] * (width - len(r)))] for r in rows]
        columns = list(zip(*padded, strict=False)) if padded else [()] * width  # rows may be longer
        raw = {name: list(columns[i]) for name, i in index.items()}
        zero_blank = {name: _blank_mask(values, zero_is_blank=True) for name, values in raw.items()}
        empty = np.ones(len(padded), dtype=bool)
        for mask in zero_blank.values():
            empty &= mask
        keep = np.flatnonzero(~empty)
        if len(keep) == len(padded):
            self.raw = raw
        else:
            self.raw = {name: [col[i] for i in keep] for name, col in raw.items()}
        self.rows = (first_row + keep).astype(np.int64)
        self.n = len(keep)
        # the masks just computed serve every column whose zeros are blanks
        self._blank: dict[str, BoolArray] = {
            name: mask[keep] for name, mask in zero_blank.items() if _COLUMN_BY_NAME[name].zero_is_blank
        }

    def bad(self, i: int, column: str, message: str) -> None:
        self.problems.append(Problem(message, int(self.rows[i]), column))

    def cells(self, name: str) -> list[Any]:
        return self.raw.get(name, [None] * self.n)

    def blank(self, name: str) -> BoolArray:
        """True where the cell is empty (an error value is not empty: it is reported)."""
        if name not in self._blank:
            zero = _COLUMN_BY_NAME[name].zero_is_blank
            self._blank[name] = _blank_mask(self.cells(name), zero_is_blank=zero)
        return self._blank[name]

    def number(self, name: str) -> FloatArray:
        """Floats, NaN where blank or bad."""
        values = self.cells(name)
        col = _COLUMN_BY_NAME[name]
        if name not in self.raw:
            return np.full(self.n, np.nan)
        if not any(issubclass(t, str | bool) for t in set(map(type, values))):
            try:
                out = np.array(values, dtype=np.float64)
            except (TypeError, ValueError):
                out = None
            if out is not None:
                with np.errstate(invalid="ignore"):
                    bad = ~(np.abs(out) <= LARGEST) & ~self.blank(name)  # inf, NaN, absurd sizes
                for i in _indices(bad):
                    self.bad(i, name, _too_large(values[i]))
                out[bad] = np.nan
                if col.zero_is_blank:
                    out[out == 0] = np.nan
                return out
        out = np.full(self.n, np.nan)
        for i, value in enumerate(values):
            if _blank_cell(value, col.zero_is_blank):
                continue
            number, message = _to_number(value)
            if message:
                self.bad(i, name, message)
            else:
                out[i] = number
        return out

    def text(self, name: str) -> list[str | None]:
        if name not in self.raw:
            return [None] * self.n
        if set(map(type, self.raw[name])) <= _STR_OR_NONE:
            return self._plain_text(name)
        blank = self.blank(name)
        out: list[str | None] = []
        memo: dict[Any, str | None] = {}
        for i, value in enumerate(self.cells(name)):
            if blank[i]:
                out.append(None)
                continue
            try:
                out.append(memo[value])
                continue
            except (KeyError, TypeError):
                pass
            if (error := _excel_error(value)) is not None:
                self.bad(i, name, f"the cell holds the error value {error}")
                out.append(None)
                continue
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
            if not isinstance(value, bool):
                memo[value] = text
            out.append(text)
        return out

    def _plain_text(self, name: str) -> list[str | None]:
        """:meth:`text` for a column holding only ``str`` and ``None``, converted once per distinct value."""
        cells = self.raw[name]
        converted: dict[str | None, str | None] = {}
        errors: set[str] = set()
        for value in dict.fromkeys(cells):
            if value is None or not value.strip():
                converted[value] = None
            elif _excel_error(value) is not None:
                converted[value] = None
                errors.add(value)
            else:
                converted[value] = value.strip()
        if errors:
            for i, value in enumerate(cells):
                if value in errors:
                    self.bad(i, name, f"the cell holds the error value {_excel_error(value)}")
        return list(map(converted.__getitem__, cells))

    def dates(self, name: str) -> list[dt.date | None]:
        if name not in self.raw:
            return [None] * self.n
        values = self.cells(name)
        blank = self.blank(name)
        out: list[dt.date | None] = []
        cache: dict[Any, dt.date | None] = {}
        for i, value in enumerate(values):
            if blank[i]:
                out.append(None)
                continue
            try:
                out.append(cache[value])
                continue
            except (KeyError, TypeError):
                pass
            if (error := _excel_error(value)) is not None:
                self.bad(i, name, f"the cell holds the error value {error}")
                out.append(None)
                continue
            parsed = _to_date(value)
            if not isinstance(value, bool):
                cache[value] = parsed
            if parsed is None:
                self.bad(
                    i,
                    name,
                    f"'{value}' is not a date (use a date cell, an Excel serial number or YYYY-MM-DD)",
                )
            out.append(parsed)
        return out


def _indices(mask: Any) -> list[int]:
    """Row indices where ``mask`` is true, as Python ints."""
    return [int(i) for i in np.flatnonzero(mask)]


_STR_OR_NONE = frozenset({str, type(None)})
_NUMBER_OR_NONE = frozenset({float, int, type(None)})


def _blank_mask(values: Sequence[Any], *, zero_is_blank: bool) -> BoolArray:
    """Vectorised :func:`_blank_cell` over a column.

    Columns of plain numbers or plain strings (with blanks) take a fast path; anything else is
    compared cell by cell as objects.
    """
    types = set(map(type, values))
    if types <= _NUMBER_OR_NONE:
        numbers = _number_blanks(values, zero_is_blank)
        if numbers is not None:
            return numbers
    elif types <= _STR_OR_NONE:
        blank_of: dict[str | None, bool] = dict.fromkeys(values, False)
        for v in blank_of:
            blank_of[v] = v is None or not v.strip()
        return np.fromiter(map(blank_of.__getitem__, values), dtype=np.bool_, count=len(values))
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    mask = (arr == None) | (arr == "")  # noqa: E711 - elementwise comparison
    mask = mask.astype(np.bool_)
    if zero_is_blank:
        zero = np.flatnonzero(arr == 0)
        mask[zero] = [v.__class__ is not bool for v in arr[zero]]
    try:
        distinct = set(values)
    except TypeError:
        distinct = set()
    spaces = [v for v in distinct if isinstance(v, str) and v and not v.strip()]
    if spaces:
        mask |= np.array([v in spaces for v in values], dtype=bool)
    return mask


def _number_blanks(values: Sequence[Any], zero_is_blank: bool) -> BoolArray | None:
    """Blanks of a column of ``float``, ``int`` and ``None``; None when a NaN cell needs the slow path."""
    try:
        arr = np.array(values, dtype=np.float64)  # None becomes NaN
    except OverflowError:
        return None
    blank = np.isnan(arr)
    if int(blank.sum()) != list(values).count(None):
        return None
    return blank | (arr == 0) if zero_is_blank else blank


def _blank_cell(value: Any, zero_is_blank: bool) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if zero_is_blank and isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    return False


def _to_number(value: Any) -> tuple[float, str | None]:
    if (error := _excel_error(value)) is not None:
        return math.nan, f"the cell holds the error value {error}"
    if isinstance(value, bool):
        return math.nan, f"{value} is not a number"
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("$", "")
        percent = text.endswith("%")
        try:
            number = float(text.rstrip("%")) / (100.0 if percent else 1.0)
        except ValueError:
            return math.nan, f"'{value}' is not a number"
    else:
        return math.nan, f"'{value}' is not a number"
    if not abs(number) <= LARGEST:
        return math.nan, _too_large(value)
    return number, None


def _too_large(value: Any) -> str:
    return f"{value} is not a finite number of sensible size (at most {LARGEST:.0e} in absolute value)"


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:  # Excel's serial range, 1900-01-01 .. 9999-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d-%b-%Y", "%d %b %Y", "%b %d %Y", "%b %d, %Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    return None


def _enum(
    reader: _ColumnReader,
    name: str,
    values: list[str | None],
    table: Mapping[str, str],
    default: str,
    known: Sequence[str],
) -> list[str]:
    out = []
    memo: dict[str, str | None] = {}
    for i, value in enumerate(values):
        if value is None:
            out.append(default)
            continue
        if value not in memo:
            memo[value] = table.get(_norm(value))
        found = memo[value]
        if found is None:
            reader.bad(i, name, f"unknown {name} '{value}'; known: {', '.join(known)}")
            found = default
        out.append(found)
    return out


_TYPE_TABLE = {_norm(t): t for t in TYPES} | _TYPE_ALIASES
_CLASS_TABLE = {_norm(c): c for c in CLASSES}


def _build(r: _ColumnReader, as_of: dt.date) -> dict[str, np.ndarray]:
    """Typed, validated columns; every problem goes to ``r.problems``."""
    classes, baskets, european_roots = _symbol_tables()
    n = r.n

    symbol = [s.upper() if s else "" for s in r.text("symbol")]
    for i in _indices(r.blank("symbol")):
        r.bad(i, "symbol", "missing symbol")
    kind = np.array(_enum(r, "type", r.text("type"), _TYPE_TABLE, "stock", TYPES), dtype=object)
    is_option = np.isin(kind, OPTION_TYPES)
    is_cash = kind == "cash"

    quantity = r.number("quantity")
    for i in _indices(r.blank("quantity")):
        r.bad(i, "quantity", "missing quantity")
    quantity = np.nan_to_num(quantity, nan=0.0)

    price = r.number("price")
    price[is_cash] = np.nan
    # an FX row may omit its price: ESMA margins a pair in the account's base currency without it,
    # and every engine that needs the rate reports its absence by row
    for i in _indices(r.blank("price") & ~is_cash & (kind != "fx")):
        r.bad(i, "price", "missing price")
    with np.errstate(invalid="ignore"):
        for i in _indices(price < 0):
            r.bad(i, "price", f"negative price {price[i]:g}")
        for i in _indices((price == 0) & ~is_option):
            r.bad(i, "price", f"a {kind[i]} needs a positive price")

    underlying = [(u.upper() if u else s) for u, s in zip(r.text("underlying"), symbol, strict=True)]
    basket = [baskets.get(u) for u in underlying]
    class_group = np.array([b[0] if b else u for b, u in zip(basket, underlying, strict=True)], dtype=object)
    index_units = np.array([b[1] if b else 1.0 for b in basket], dtype=np.float64)

    given_class = r.text("class")
    asset_class = _enum(r, "class", given_class, _CLASS_TABLE, "equity", CLASSES)
    for i, value in enumerate(given_class):
        if value is None:
            asset_class[i] = classes.get(underlying[i], classes.get(symbol[i], "equity"))

    multiplier = r.number("multiplier")
    with np.errstate(invalid="ignore"):
        for i in _indices(multiplier < 0):
            r.bad(i, "multiplier", f"multiplier must be positive, got {multiplier[i]:g}")
    multiplier = np.where(np.isnan(multiplier), np.where(kind == "option", 100.0, 1.0), multiplier)

    leverage = np.nan_to_num(r.number("leverage"), nan=1.0)
    dividend_yield = np.nan_to_num(r.number("dividend_yield"), nan=0.0)
    volatility = r.number("volatility")
    with np.errstate(invalid="ignore"):
        for i in _indices(volatility < 0):
            r.bad(
                int(i),
                "volatility",
                f"volatility must be positive (a decimal such as 0.25), got {volatility[i]:g}",
            )
        for i in _indices(volatility > 10):
            r.bad(
                int(i),
                "volatility",
                f"volatility {volatility[i]:g} looks like a percentage; give it as a decimal (0.25)",
            )

    maturity_years = _maturity(r, kind, as_of)

    strike = np.where(is_option, r.number("strike"), np.nan)
    underlying_price = np.where(is_option, r.number("underlying_price"), np.nan)
    right: list[str | None] = [None] * n
    style: list[str | None] = [None] * n
    expiry: list[dt.date | None] = [None] * n
    expiry_years = np.full(n, np.nan)
    if (is_option | (kind == "future")).any():
        _options(
            r,
            is_option,
            kind,
            underlying,
            european_roots,
            as_of,
            quantity,
            strike,
            underlying_price,
            right,
            style,
            expiry,
            expiry_years,
        )

    return {
        "row": r.rows,
        "symbol": np.array(symbol, dtype=object),
        "type": kind,
        "quantity": quantity,
        "price": price,
        "underlying": np.array(underlying, dtype=object),
        "class_group": class_group,
        "asset_class": np.array(asset_class, dtype=object),
        "multiplier": multiplier,
        "underlying_price": underlying_price,
        "strike": strike,
        "right": np.array(right, dtype=object),
        "expiry": np.array(expiry, dtype=object),
        "expiry_years": expiry_years,
        "style": np.array(style, dtype=object),
        "volatility": volatility,
        "dividend_yield": dividend_yield,
        "leverage": leverage,
        "currency": np.array([c.upper() if c else None for c in r.text("currency")], dtype=object),
        "maturity_years": maturity_years,
        "sleeve": np.array(r.text("sleeve"), dtype=object),
        "index_units": index_units,
        "coupon": _percent_or_decimal(r.number("coupon")),
        "yield_": _percent_or_decimal(r.number("yield")),
        "duration": r.number("duration"),
        "fx_rate": r.number("fx_rate"),
        "beta": r.number("beta"),
        "factor": np.array([f.lower() if f else None for f in r.text("factor")], dtype=object),
    }


def _percent_or_decimal(values: FloatArray) -> FloatArray:
    """Coupons and yields as decimals; a value above 1 (4.25) is read as a percentage."""
    return np.where(np.abs(values) > 1.0, values / 100.0, values)


def _maturity(r: _ColumnReader, kind: np.ndarray, as_of: dt.date) -> FloatArray:
    out = np.full(r.n, np.nan)
    if "maturity" in r.raw:
        for i, value in enumerate(r.cells("maturity")):
            if _blank_cell(value, True):
                continue
            if (error := _excel_error(value)) is not None:
                r.bad(i, "maturity", f"the cell holds the error value {error}")
                continue
            years, _ = _to_number(value) if isinstance(value, str) else (value, None)
            if isinstance(years, int | float) and not isinstance(years, bool) and 0 < years <= 200:
                out[i] = float(years)
                continue
            date = _to_date(value)
            if date is None:
                r.bad(i, "maturity", f"'{value}' is neither a date nor a number of years")
            elif date < as_of:
                r.bad(i, "maturity", f"maturity {date} is before the valuation date {as_of}")
            else:
                out[i] = (date - as_of).days / 365.0
    blank = r.blank("maturity")
    for i in _indices((kind == "bond") & blank):
        r.bad(i, "maturity", "a bond needs a maturity (a date or years)")
    return out


def _options(
    r: _ColumnReader,
    is_option: BoolArray,
    kind: np.ndarray,
    underlying: list[str],
    european_roots: frozenset[str],
    as_of: dt.date,
    quantity: FloatArray,
    strike: FloatArray,
    underlying_price: FloatArray,
    right: list[str | None],
    style: list[str | None],
    expiry: list[dt.date | None],
    expiry_years: FloatArray,
) -> None:
    """Option columns: strike, underlying price, right, expiry (or days), style; futures keep an
    expiry when one is given (their contract month), without needing one."""
    for name, values, what in (
        ("strike", strike, "a strike"),
        ("underlying_price", underlying_price, "the underlying price"),
    ):
        for i in _indices(is_option & r.blank(name)):
            r.bad(i, name, f"an option needs {what}")
        with np.errstate(invalid="ignore"):
            for i in _indices(is_option & (values < 0)):
                r.bad(i, name, f"{name.replace('_', ' ')} must be positive, got {values[i]:g}")
    opt = np.flatnonzero(is_option)
    rights = r.text("right")
    for i in opt[r.blank("right")[opt]].tolist():
        r.bad(i, "right", "an option needs a right (call or put)")
    for i in opt.tolist():
        text = rights[i]
        if text is not None:
            right[i] = found = _RIGHTS.get(text.lower())
            if found is None:
                r.bad(i, "right", f"'{text}' is not call/put/C/P")

    dates = r.dates("expiry") if "expiry" in r.raw else [None] * r.n
    days = r.number("days")
    ordinal = np.array([d.toordinal() if d is not None else np.nan for d in dates], dtype=np.float64)
    dated = is_option | (kind == "future")
    has_date = dated & ~np.isnan(ordinal)
    has_days = dated & ~has_date & ~np.isnan(days)
    for i in _indices(has_date & (ordinal < as_of.toordinal())):
        r.bad(i, "expiry", f"expiry {dates[i]} is before the valuation date {as_of}")
    with np.errstate(invalid="ignore"):
        for i in _indices(has_days & (days < 0)):
            r.bad(i, "days", f"days to expiry cannot be negative, got {days[i]:g}")
    for i in _indices(is_option & r.blank("expiry") & r.blank("days")):
        r.bad(i, "expiry", "an option needs an expiry date (or days to expiry)")
    expiry_years[has_date] = (ordinal[has_date] - as_of.toordinal()) / 365.0
    expiry_years[has_days] = days[has_days] / 365.0
    for i in _indices(has_date):
        expiry[i] = dates[i]
    for i in _indices(has_days):
        expiry[i] = as_of + dt.timedelta(days=int(days[i]))

    styles = r.text("style")
    for i in opt.tolist():
        text = styles[i]
        if text is None:
            european = kind[i] == "future_option" or underlying[i] in european_roots
            style[i] = "european" if european else "american"
        else:
            style[i] = found = _STYLES.get(text.lower())
            if found is None:
                r.bad(i, "style", f"'{text}' is not american/european")

    for i in opt[quantity[opt] != np.round(quantity[opt])].tolist():
        r.bad(i, "quantity", f"option contracts must be whole numbers, got {quantity[i]:g}")


__all__ = ["CLASSES", "COLUMNS", "TYPES", "Portfolio", "Position", "read_positions"]
