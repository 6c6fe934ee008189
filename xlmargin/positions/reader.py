"""The data rows turned into typed columns, with a :class:`~xlmargin.errors.Problem` per bad cell.

Column-wise: the rows are transposed once; a number column becomes one numpy array in one call
when it holds only numbers and blanks; a text or date column is factorised (each distinct cell is
converted once, rows keep a code into the distinct values). Per-cell Python runs only for a column
that holds something else (text in a number column, a NaN or a boolean cell), so that each bad cell
is named by its row and column.

A text column takes text and numbers (a numeric ticker such as 7203 reads as '7203'); a TRUE/FALSE
or a date cell there is refused, not read as the text 'TRUE' or '2026-03-01 00:00:00' (a ticker
such as MAR1 that Excel turned into a date). Booleans, Python's or numpy's, are no numbers either.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.cells import (
    LARGEST,
    NOT_A_DATE,
    excel_error,
    is_blank,
    is_boolean,
    percent_refused,
    refused,
    to_date,
    to_number,
    too_large,
    typed_percent,
)
from xlmargin.errors import Problem
from xlmargin.positions.columns import COLUMN_BY_NAME, RATE_COLUMNS


@dataclass(frozen=True, slots=True)
class Text:
    """A factorised text column: row ``i`` holds ``values[codes[i]]`` (None where blank or bad)."""

    codes: IntArray
    values: list[str | None]
    blank: BoolArray  # per row: the cell is empty (an error value is not empty: it is reported)

    def rows(self) -> np.ndarray:
        """The text of every row, as an object array."""
        return object_array(self.values)[self.codes]

    def map(self, fn: Callable[[str | None], Any]) -> np.ndarray:
        """``fn`` of every row's text, computed once per distinct text, as an object array."""
        return self.spread([fn(v) for v in self.values])

    def spread(self, found: Sequence[Any]) -> np.ndarray:
        """Per row, as an object array, what ``found`` holds for its distinct text (one per value)."""
        return object_array(found)[self.codes]


@dataclass(slots=True)
class _Parsed:
    """One column read once: numbers (float array) or distinct values (codes + uniques)."""

    blank: BoolArray  # zeros count as blanks here (empty-row detection)
    strict_blank: BoolArray  # zeros are values
    floats: FloatArray | None = None
    codes: IntArray | None = None
    uniques: list[Any] | None = None
    percent: BoolArray | None = None  # a rate column's cells typed with '%' (None: there are none)


class ColumnReader:
    """Turns the data rows into typed columns, recording a Problem per bad cell.

    Fully blank rows (blank in every mapped column, a zero counting as blank) are dropped; ``rows``
    holds the range row number of each row kept and ``n`` their count.
    """

    def __init__(
        self,
        index: Mapping[str, int],
        rows: Sequence[Sequence[Any]],
        first_row: int,
        problems: list[Problem],
        headers: Mapping[str, str] | None = None,
    ):
        self.problems = problems
        self._headers = headers or {}
        self._first_row = first_row
        self._reported: set[str] = set()
        self._texts: dict[str, tuple[Text, dict[int, str]]] = {}  # a text column and its bad values
        self._blank_rows: list[int] = []  # the blank cells of the last number column read with some
        width = max(index.values()) + 1
        columns = transpose(rows) if rows else [()] * width  # as long as the shortest row
        if len(columns) < width:  # a short row: pad the short ones
            rows = [r if len(r) >= width else [*r, *([None] * (width - len(r)))] for r in rows]
            columns = transpose(rows)
        self._raw: dict[str, Sequence[Any]] = {name: columns[i] for name, i in index.items()}
        self._parsed = {name: self._parse(name, cells) for name, cells in self._raw.items()}
        empty = np.ones(len(rows), dtype=bool)
        for parsed in self._parsed.values():
            empty &= parsed.blank
        keep = np.flatnonzero(~empty)
        self._keep: IntArray | None = None if len(keep) == len(rows) else keep
        self.rows = (first_row + keep).astype(np.int64, copy=False)
        self.n = len(keep)
        self._every_row = _read_only(np.ones(self.n, dtype=bool))  # the blanks of any absent column

    # --- reporting -----------------------------------------------------------------------------

    def bad(self, i: int, column: str, message: str) -> None:
        """A problem of kept row ``i``."""
        self.problems.append(Problem(message, int(self.rows[i]), column))

    def _bad_raw(self, j: int, column: str, message: str) -> None:
        """A problem of raw row ``j`` (before blank rows are dropped: a bad cell is never in one)."""
        self.problems.append(Problem(message, self._first_row + j, column))

    def rename(self, old: str, new: str) -> None:
        """Read column ``old`` as ``new`` (a broker's "Asset Class" holding type codes)."""
        self._raw[new] = self._raw.pop(old)
        self._parsed[new] = self._parsed.pop(old)
        self._texts.pop(old, None)

    def drop(self, name: str) -> None:
        del self._raw[name], self._parsed[name]
        self._texts.pop(name, None)

    # --- columns, kept rows only ---------------------------------------------------------------

    def header(self, name: str) -> str:
        """The column ``name`` as its header spells it (its name where none was given)."""
        return self._headers.get(name) or name

    def has(self, name: str) -> bool:
        return name in self._raw

    def _kept(self, values: np.ndarray) -> np.ndarray:
        return values if self._keep is None else values[self._keep]

    def cells(self, name: str) -> list[Any]:
        """The raw cells of a column (for the few columns read cell by cell)."""
        if name not in self._raw:
            return [None] * self.n
        raw = self._raw[name]
        return list(raw) if self._keep is None else [raw[j] for j in self._keep.tolist()]

    def blank(self, name: str) -> BoolArray:
        """True where the cell is empty; a zero is empty in the columns where Office.js sends blanks as 0."""
        if name not in self._parsed:
            return self._every_row
        parsed = self._parsed[name]
        return self._kept(parsed.blank if COLUMN_BY_NAME[name].zero_is_blank else parsed.strict_blank)

    def zero(self, name: str) -> BoolArray:
        """True where the cell held a 0 that reads as a blank (``zero_is_blank`` columns), so a message
        can say why a 0 the user typed counts as missing."""
        if name not in self._parsed or not COLUMN_BY_NAME[name].zero_is_blank:
            return np.zeros(self.n, dtype=bool)
        parsed = self._parsed[name]
        if parsed.floats is None:  # a text or date column: a cell blank only because it holds 0
            return self._kept(parsed.blank & ~parsed.strict_blank)
        return self._kept(parsed.floats) == 0

    def number(self, name: str) -> FloatArray:
        """Floats, NaN where blank or bad (a new array the caller may change)."""
        if name not in self._parsed:
            return np.full(self.n, np.nan)
        parsed = self._parsed[name]
        assert parsed.floats is not None  # a number column is parsed into floats
        out = self._kept(parsed.floats).copy()
        if COLUMN_BY_NAME[name].zero_is_blank:
            out[out == 0] = np.nan
        return out

    def typed_percent(self, name: str) -> BoolArray:
        """True where a rate column's cell was typed with '%' ('0.625%'): a cell that says its unit."""
        parsed = self._parsed.get(name)
        if parsed is None or parsed.percent is None:
            return np.zeros(self.n, dtype=bool)
        return self._kept(parsed.percent)

    def text(self, name: str, report: bool = True) -> Text:
        """The column's text, read once; its bad cells are reported the first time it is read with
        ``report`` (a column only looked at, an "Asset Class" that may be renamed, is not)."""
        found = self._texts.get(name)
        if found is None:
            found = self._texts[name] = self._text(name)
        text, bad = found
        parsed = self._parsed.get(name)  # None for an absent column, which has nothing to report
        if report and parsed is not None and parsed.codes is not None:
            self._report(name, parsed.codes, bad)
        return text

    def _text(self, name: str) -> tuple[Text, dict[int, str]]:
        """(the column's text, {distinct value: why it is refused})."""
        if name not in self._parsed:
            return Text(np.zeros(self.n, dtype=np.int64), [None], self._every_row), {}
        parsed = self._parsed[name]
        assert parsed.codes is not None and parsed.uniques is not None
        uniques = parsed.uniques
        # the common case first, in one pass: text cells, stripped (an error value starts with '#')
        values: list[str | None] = [v.strip() if v.__class__ is str else None for v in uniques]
        bad: dict[int, str] = {}
        for k in [k for k, text in enumerate(values) if not text or text[0] == "#"]:
            value = uniques[k]
            if values[k] and excel_error(values[k]) is None:
                continue  # text that merely starts with '#'
            values[k] = None
            if is_blank(value):
                continue
            if (problem := refused(value)) is not None:
                bad[k] = problem
            elif is_boolean(value):
                bad[k] = f"{str(bool(value)).upper()} is a TRUE/FALSE cell, not {_a(name)}"
            elif isinstance(value, dt.date | np.datetime64):
                bad[k] = (
                    f"{_day(value)} is a date, not {_a(name)}; Excel may have turned text such as "
                    "MAR1 into a date: format the column as text and type it again"
                )
            elif isinstance(value, float) and value.is_integer():
                values[k] = str(int(value))
            else:
                values[k] = str(value).strip()
        return Text(self._kept(parsed.codes), values, self.blank(name)), bad

    def dates(
        self, name: str, refuse: Callable[[Any], str | None] | None = None
    ) -> tuple[FloatArray, IntArray, list[dt.date | None]]:
        """(date ordinals, NaN where blank or bad; per-row codes; the distinct dates); a cell for which
        ``refuse`` gives a reason is reported with it (a year typed alone)."""
        if name not in self._parsed:
            return np.full(self.n, np.nan), np.zeros(self.n, dtype=np.int64), [None]
        parsed = self._parsed[name]
        assert parsed.codes is not None and parsed.uniques is not None
        found: list[dt.date | None] = []
        bad: dict[int, str] = {}
        for k, value in enumerate(parsed.uniques):
            date = None
            if is_blank(value):
                pass
            elif (problem := refused(value) or (refuse(value) if refuse is not None else None)) is not None:
                bad[k] = problem
            elif (date := to_date(value)) is None:
                bad[k] = f"'{value}' {NOT_A_DATE}"
            found.append(date)
        self._report(name, parsed.codes, bad)
        codes = self._kept(parsed.codes)
        ordinals = np.array([d.toordinal() if d is not None else np.nan for d in found], dtype=np.float64)
        return ordinals[codes], codes, found

    def _report(self, name: str, codes: IntArray, bad: Mapping[int, str]) -> None:
        """A problem for every raw row whose distinct value is bad (once, however often it is read)."""
        if not bad or name in self._reported:
            return
        self._reported.add(name)
        for j in indices(np.isin(codes, list(bad))):
            self._bad_raw(j, name, bad[int(codes[j])])

    # --- parsing each column once ---------------------------------------------------------------

    def _parse(self, name: str, cells: Sequence[Any]) -> _Parsed:
        if COLUMN_BY_NAME[name].kind == "number":
            return self._numbers(name, cells)
        codes, uniques = factorize(cells)
        blank_u = np.array(
            [not v.strip() if v.__class__ is str else _blank(v, True) for v in uniques], dtype=bool
        )
        # a cell blank only because it is 0 (Office.js) is a value when zeros are not blanks
        if 0 not in uniques:
            blank = _read_only(blank_u[codes])
            return _Parsed(blank, blank, codes=codes, uniques=uniques)
        strict_u = np.array([_blank(v, False) for v in uniques], dtype=bool)
        return _Parsed(blank_u[codes], strict_u[codes], codes=codes, uniques=uniques)

    def _numbers(self, name: str, cells: Sequence[Any]) -> _Parsed:
        """A number column in one call when it holds only numbers, number texts and blanks
        (``None``); anything else (a NaN cell, a boolean, ``''``, ``$1,000``, ``#N/A``, a text with an
        underscore such as '1_00', which numpy would read as 100) cell by cell.

        A column of numbers alone (no blank, no text: a quantity or price column) is packed by
        :func:`_packed`. Otherwise ``np.fromiter`` converts each cell as ``np.array(cells,
        dtype=np.float64)`` does (None to NaN, a number text to its number, the same errors for
        anything else), a third faster on a column of Excel's floats: it does not first look at
        every cell for the array's shape. A cell that is itself a sequence raises there, and is read
        cell by cell. A text cell holding an underscore sends the column there too
        (:func:`_underscored`, a pass in C over the cells: about 2% of the benchmark book's read, the
        price of reading a cell one way on every path)."""
        # the rows another number column leaves blank, where this one is blank there too (a stock
        # row leaves every option column blank)
        hint = self._blank_rows if self._blank_rows and _all_none(cells, self._blank_rows) else []
        out = _packed(cells, hint)
        if out is None and (found := _none_rows(cells)) is not None and found != hint:
            out = _packed(cells, found)  # blanks no other column shares (a dividend yield's)
            if out is not None:
                hint = found
                if found:
                    self._blank_rows = found
        if out is not None:  # numbers but at ``hint``: no text (a NaN cell is read cell by cell)
            missing = np.isnan(out)
            clean = np.count_nonzero(missing) == len(hint)
        else:
            try:  # None becomes NaN, a number text its number; other text raises
                out = np.fromiter(cells, dtype=np.float64, count=len(cells))
            except (TypeError, ValueError, OverflowError):
                out = None
            if out is not None:
                missing = np.isnan(out)
                blanks = indices(missing)
                clean = _all_none(cells, blanks) and not _underscored(cells, blanks)  # no NaN cell
                if clean and blanks:
                    self._blank_rows = blanks
        if out is not None and clean:
            zero = out == 0
            if _BOOLEANS.isdisjoint(map(type, _at(cells, indices(zero | (out == 1))))):
                # the largest and smallest number first (NaN, a blank, skipped): no array to make
                # in the common case
                if np.fmax.reduce(out, initial=0.0) > LARGEST or np.fmin.reduce(out, initial=0.0) < -LARGEST:
                    huge = np.abs(out) > LARGEST  # an infinity too; NaN (blank) is not
                    for j in indices(huge):
                        self._bad_raw(j, name, too_large(cells[j]))
                    out[huge] = np.nan
                return _Parsed(missing | zero, missing, floats=out)
        out = np.full(len(cells), np.nan)
        blank = np.zeros(len(cells), dtype=bool)
        strict = np.zeros(len(cells), dtype=bool)
        percent = np.zeros(len(cells), dtype=bool)
        rate = COLUMN_BY_NAME[name].rate
        for j, value in enumerate(cells):
            if is_blank(value, False):
                blank[j] = strict[j] = True
                continue
            if value.__class__ is str and typed_percent(value):
                if not rate:
                    self._bad_raw(j, name, _percent_refused(value, name))
                    continue
                percent[j] = True
            number, message = to_number(value)
            if message:
                self._bad_raw(j, name, message)
            else:
                out[j] = number
                blank[j] = number == 0
        return _Parsed(blank, strict, floats=out, percent=percent if percent.any() else None)


# Up to this many rows a table is transposed by one zip; beyond, in blocks of _BLOCK rows. zip holds
# an iterator per row until it ends, and hundreds of thousands of them cost time even with the
# garbage collector paused, as it is inside read_positions (500,000 rows: 0.15 s in one zip, 0.08 s
# in blocks; with the collector running, 0.37 s and 0.09 s); up to 50,000 rows the two take the same.
_ONE_ZIP = 50_000
_BLOCK = 256  # under the collector's first threshold (700 allocations): a block's iterators die young


def transpose(rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """The columns of ``rows``, each as long as the shortest row."""
    if len(rows) <= _ONE_ZIP:
        return list(zip(*rows, strict=False))
    columns: list[list[Any]] = [list(c) for c in zip(*rows[:_BLOCK], strict=False)]
    for start in range(_BLOCK, len(rows), _BLOCK):
        block = list(zip(*rows[start : start + _BLOCK], strict=False))
        del columns[len(block) :]  # a shorter row in this block shortens every column
        for column, part in zip(columns, block, strict=False):
            column.extend(part)
    return list(columns)


def factorize(values: Sequence[Any]) -> tuple[IntArray, list[Any]]:
    """(codes, distinct values) with ``values[i] == distinct[codes[i]]`` and of the same type, the
    distinct values in the order they first appear.

    Booleans are kept apart from the numbers 0 and 1 they equal. A column of texts is coded by
    :func:`_coded_texts` unless its first rows already hold more distinct values than a byte codes
    (a column of option symbols, where numbering and then ordering them costs more); one of other
    values (dates) and few distinct ones (an expiry date) in one pass (:class:`_Codes`), others in
    two.
    """
    texts = len(values) > 1 and values[0].__class__ is str
    first: Any
    try:
        if texts and len(set(values[:_SAMPLE])) > _BYTE_CODES:  # OSI symbols: mostly distinct
            texts, first, found = False, dict.fromkeys(values), None
        elif texts:
            first = set(values)
            found = None
        elif len(values) > 1:
            first = _Codes(max(len(values) // _ONE_PASS, 8))
            found = itemgetter(*values)(first)
        else:
            first, found = dict.fromkeys(values), None
    except _Many:
        first, found = dict.fromkeys(values), None
    except TypeError:  # an unhashable cell: every cell is its own value
        return np.arange(len(values), dtype=np.int64), list(values)
    if (0 in first or 1 in first) and any(v.__class__ in _BOOLEANS for v in values):
        keyed = list(zip(map(type, values), values, strict=True))
        position = {key: k for k, key in enumerate(dict.fromkeys(keyed))}
        return _take(position, keyed), [key[1] for key in position]
    if texts:
        return _coded_texts(values, first)
    uniques = list(first)
    if found is not None:
        return _packed_codes(found), uniques
    return _take(dict(zip(uniques, range(len(uniques)), strict=True)), values), uniques


def factorize_few(values: Sequence[Any]) -> tuple[IntArray, list[Any]]:
    """:func:`factorize` of a few hundred values that hold no boolean (the distinct texts of a column
    mapped to what they read as: classes, groups, currencies), the distinct values found by
    ``dict.fromkeys`` in one pass in C and, when there are as many as values, each its own code
    with no lookup (callgrind, 300 distinct symbols: 0.03 million instructions against 0.45)."""
    first = dict.fromkeys(values)
    if len(first) == len(values):
        return np.arange(len(values), dtype=np.int64), list(values)
    uniques = list(first)
    return _take(dict(zip(uniques, range(len(uniques)), strict=True)), values), uniques


def _coded_texts(values: Sequence[Any], distinct: set[Any]) -> tuple[IntArray, list[Any]]:
    """:func:`factorize` of a column of texts, whose distinct values ``distinct`` (a set, gathered in
    one pass in C) are numbered in any order, every cell looked up (a second pass in C), and then put
    in the order they first appear: up to 256 codes as bytes (each one's first row found by
    ``bytes.find``, the codes renumbered by ``bytes.translate``), more by numpy. Callgrind, 5,000
    cells: a type column of 3 values 1.7 million instructions against 2.2 coded in one pass
    (:class:`_Codes`, whose lookups go through a Python-level ``__getitem__`` slot), a symbol column
    of 300 values 2.8 against 3.3 in two passes through dictionaries. A column of dates is not coded
    so: its cells compare slower than they hash, and one pass wins."""
    uniques = list(distinct)
    k = len(uniques)
    found = itemgetter(*values)(dict(zip(uniques, range(k), strict=True)))
    if k <= _BYTE_CODES:
        raw = bytes(found)
        firsts = [raw.find(c) for c in range(k)]
        order = sorted(range(k), key=firsts.__getitem__)
        rank = bytearray(256)
        for new, old in enumerate(order):
            rank[old] = new
        codes = np.frombuffer(raw.translate(rank), dtype=np.uint8).astype(np.int64)
        return codes, [uniques[j] for j in order]
    numbered = _packed_codes(found)
    first = np.full(k, len(values), dtype=np.int64)
    np.minimum.at(first, numbered, np.arange(len(values)))
    ordered = np.argsort(first)
    rank_of = np.empty(k, dtype=np.int64)
    rank_of[ordered] = np.arange(k)
    return rank_of[numbered], [uniques[j] for j in ordered.tolist()]


_BYTE_CODES = 256  # codes up to this many are bytes
_SAMPLE = 512  # the first rows of a text column whose distinct values decide how it is coded
_ONE_PASS = 64  # a column coded in one pass has at most one distinct value in this many rows


class _Many(Exception):
    """More distinct values than :class:`_Codes` codes in one pass."""


class _Codes(dict[Any, int]):
    """The code of each distinct value met so far, a value not met before taking the next one
    (``__missing__``). Looked up by ``itemgetter``, it finds or makes every row's code in one pass
    in C, calling back into Python for each new value only: the two passes of a column of many
    distinct values (one finds them, the other looks every row up) cost less than a call per
    value, so past ``most`` values it gives up, having spent some 850 instructions on each.
    Callgrind, 5,000 rows, one pass against two: an expiry column of 14 dates 3.0 against 4.1
    million instructions, 3 types 2.2 against 2.4, 4,700 OSI symbols 9.4 against 6.3."""

    __slots__ = ("_most",)

    def __init__(self, most: int):
        super().__init__()
        self._most = most

    def __missing__(self, key: Any) -> int:
        code = len(self)
        if code > self._most:
            raise _Many
        self[key] = code
        return code


_BOOLEANS = frozenset((bool, np.bool_))  # TRUE/FALSE cells: equal to 1 and 0, yet no numbers


def _a(name: str) -> str:
    """A column's name as a noun with its article: 'a symbol', 'an underlying'."""
    noun = name.replace("_", " ")
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _percent_refused(value: str, name: str) -> str:
    """Why a cell typed with '%' is refused in a column of amounts (a price, a quantity, a strike)."""
    return percent_refused(value, name.replace("_", " "), RATE_COLUMNS)


def _day(value: Any) -> str:
    """A date cell as the user sees it: the day alone when it has no time of day."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value)


def _at(cells: Sequence[Any], rows: list[int]) -> Sequence[Any]:
    """The cells at ``rows``, gathered in C."""
    if len(rows) < 2:
        return [cells[j] for j in rows]
    return itemgetter(*rows)(cells)


def _packed(cells: Sequence[Any], blanks: list[int]) -> FloatArray | None:
    """The cells as floats, NaN at ``blanks`` (cells the caller found None), when every other cell
    is a number (a float, an int, a boolean, which the caller refuses), packed by ``struct`` into the
    array's memory; None when one is not (a blank, a text, anything else). ``struct`` converts a
    cell as Python's ``float`` does a number, so as ``np.fromiter`` does, with none of numpy's
    per-cell dispatch: callgrind, 5,000 floats, 0.45 against 1.01 million instructions."""
    numbers = cells
    if blanks:
        numbers = list(cells)
        for j in blanks:
            numbers[j] = math.nan
    out = np.empty(len(cells), dtype=np.float64)
    try:
        struct.pack_into(f"{len(cells)}d", out.data, 0, *numbers)
    except (struct.error, OverflowError):  # not a number, or an integer beyond any float
        return None
    return out


def _none_rows(cells: Sequence[Any]) -> list[int] | None:
    """The rows of the None cells, looked for among the false ones (None, 0, ''), found by packing
    every cell's truth by ``struct`` in one pass in C; None when a cell has no truth value (an
    array). Callgrind, 5,000 cells: an underlying price column blank on 300 stock rows 1.45 million
    instructions read through here and :func:`_packed`, 1.78 through ``np.fromiter`` and
    :func:`_underscored`; a dividend yield column blank on 1,763 rows 2.23 against 2.74."""
    try:
        truth = struct.pack(f"{len(cells)}?", *cells)
    except (TypeError, ValueError):
        return None
    false = indices(np.frombuffer(truth, dtype=np.uint8) == 0)
    if _all_none(cells, false):
        return false
    return [j for j in false if cells[j] is None]


def _all_none(cells: Sequence[Any], rows: list[int]) -> bool:
    return _at(cells, rows).count(None) == len(rows)


def _underscored(cells: Sequence[Any], blanks: list[int]) -> bool:
    """Whether a text cell holds an underscore, which numpy (Python's ``float``) reads as a digit
    separator ('1_00' as 100) and :func:`~xlmargin.cells.to_number` refuses. Called on a column
    ``np.fromiter`` read, so its cells are numbers, number texts and None (at ``blanks``): its cells
    are first added up in C, which stops at the first text, so a column of numbers alone costs no
    call per cell; a column holding a text has its texts joined. The None cells are replaced by 0
    in a copy first: a quarter of the cost of ``filter``ing them out on the way (callgrind, 5,000
    floats: 117 thousand instructions summed as they are, 427 thousand through ``filter``)."""
    numbers = cells
    if blanks:
        zeroed = list(cells)
        for j in blanks:
            zeroed[j] = 0.0
        numbers = zeroed
    try:
        sum(numbers, 0.0)
    except (TypeError, OverflowError):  # a text (or another object) among the numbers
        return "_" in "".join(filter(str.__instancecheck__, cells))
    return False


def _blank(value: Any, zero_is_blank: bool) -> bool:
    """:func:`xlmargin.cells.is_blank`, answered inline for the text and date cells most columns hold."""
    if value.__class__ is str:
        return not value.strip()
    if value.__class__ is dt.datetime or value.__class__ is dt.date:
        return False
    return is_blank(value, zero_is_blank)


def _take(position: Mapping[Any, int], values: Sequence[Any]) -> IntArray:
    """The code of each of ``values`` in ``position``, gathered in C and packed by ``struct`` into
    the array's memory (half the instructions of ``np.fromiter``, which converts each int through
    numpy's generic scalar machinery: callgrind, 5,000 codes, 0.51 against 1.04 million)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(values) == 1:
        return np.array([position[values[0]]], dtype=np.int64)
    return _packed_codes(itemgetter(*values)(position))


def _packed_codes(codes: tuple[int, ...]) -> IntArray:
    """Codes packed by ``struct`` into an array's memory."""
    out = np.empty(len(codes), dtype=np.int64)
    struct.pack_into(f"{len(codes)}q", out.data, 0, *codes)
    return out


def _read_only(mask: BoolArray) -> BoolArray:
    """``mask``, made read-only: one mask is handed out for several purposes (blanks and strict
    blanks; every absent column), so none of its readers may change it."""
    mask.setflags(write=False)
    return mask


def object_array(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def is_none(values: np.ndarray) -> BoolArray:
    """Where an object array holds None."""
    return np.asarray(values == None, dtype=bool)  # noqa: E711 - elementwise


def indices(mask: Any) -> list[int]:
    """Row indices where ``mask`` is true, as Python ints (``np.flatnonzero`` without its Python-level
    wrappers: a read asks this of some fifty masks, most of them all false)."""
    return np.asarray(mask).ravel().nonzero()[0].tolist()
