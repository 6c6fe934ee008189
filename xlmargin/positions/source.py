"""Where a positions table comes from: a list of rows (Excel), a DataFrame, or a CSV/XLSX file."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlmargin.cells import Uncalculated, is_blank, to_number
from xlmargin.errors import InputError, Problem, XlMarginError
from xlmargin.files import MAX_CELLS, csv_rows, input_file, separator_hint
from xlmargin.positions.sheets import checked_workbook, sheet_rows


def table_of(data: Any) -> tuple[list[Any], Sequence[Sequence[Any]], int]:
    """(header, data rows, row number of the first data row)."""
    if isinstance(data, str | Path):
        return table_of(read_file(Path(data)))
    if type(data).__name__ == "DataFrame":
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise InputError(Problem(f"expected a table with a header row, got {type(data).__name__}"))
        values = data.astype(object).where(data.notna(), None).values.tolist()
        return [str(c) for c in data.columns], values, 2
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        # rows are only read from here on: a list row is used as it is, other rows become lists
        if data.__class__ is list and set(map(type, data)) == {list}:  # a range as Excel hands it
            table = data
        else:
            table = [r if r.__class__ is list else list(r) if _is_row(r) else [r] for r in data]
        # a single header row arrives from a one-row range as a flat list of strings
        if table and all(len(r) == 1 for r in table) and len(data) > 1 and not _looks_2d(data):
            table = [list(data)]
        # leading blank rows (a range that starts above the table) are skipped
        start = 0
        while start < len(table) and all(is_blank(v) for v in table[start]):
            start += 1
        if start == len(table):
            raise InputError(Problem("the positions range is empty"))
        return table[start], table[start + 1 :], start + 2
    raise InputError(Problem(f"expected a table with a header row, got {type(data).__name__}"))


def _is_row(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _looks_2d(data: Sequence[Any]) -> bool:
    return any(isinstance(r, Sequence) and not isinstance(r, str) for r in data)


# a formula cell saved without its value, as openpyxl writes one: <f>..</f><v/> or no <v>
_NO_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")

# The label Excel writes in the first cell of a table's Total Row (English Excel)
TOTAL_LABEL = "total"


def totals_row(rows: Sequence[Sequence[Any]], index: dict[str, int], first_row: int) -> Problem | None:
    """A problem naming the last row when it is evidently a table's Total Row, not a position: its
    symbol reads "Total" (Excel's label) and its quantity is the sum of the quantities above it,
    as ``SUBTOTAL(109,[quantity])`` makes it (a range ``tblPositions[#All]`` ends with that row).
    Both must hold, with at least one row above, so a real position is never taken for one: no
    listed symbol is "Total", and one's quantity would also have to equal the book's net total."""
    symbol, quantity = index.get("symbol"), index.get("quantity")
    last = len(rows) - 1
    while last >= 0 and all(is_blank(v) for v in rows[last]):
        last -= 1
    if symbol is None or quantity is None or last < 1:
        return None
    row = rows[last]
    label = row[symbol] if symbol < len(row) else None
    if not isinstance(label, str) or label.strip().lower() != TOTAL_LABEL:
        return None
    total, bad = to_number(row[quantity] if quantity < len(row) else None, "quantity")
    above = [
        to_number(r[quantity])[0] for r in rows[:last] if quantity < len(r) and not is_blank(r[quantity])
    ]
    if bad or not above or any(math.isnan(q) for q in above) or not math.isclose(total, math.fsum(above)):
        return None
    return Problem(
        f"this is a table's Total Row (symbol '{label.strip()}', quantity {total:g}: the sum of the "
        "rows above), not a position; leave it out: in Excel pass tblPositions[[#Headers],[#Data]], "
        "not tblPositions[#All]; from a workbook file name the table (--table tblPositions)",
        first_row + last,
    )


def read_file(
    path: Path, sheet: str | None = None, table: str | None = None, *, max_cells: int | None = None
) -> list[list[Any]]:
    """The rows of a CSV or XLSX file from its header row on; rows above the header (a title, notes)
    come back blank so that row numbers stay the file's own. In a workbook, ``table`` names an Excel
    table (its range is read), ``sheet`` a sheet; by default the sheet "Positions", else the first.
    A CSV file is read as :func:`xlmargin.files.csv_rows` reads it (UTF-8, or Excel's UTF-16).

    A file of more than ``max_cells`` cells is refused before it is parsed (default: a workbook
    :data:`~xlmargin.positions.sheets.MAX_CELLS`, a CSV none), and a workbook goes through recalc's
    other checks first (:mod:`xlmargin.positions.sheets`)."""
    input_file(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        if sheet or table:
            raise InputError(Problem(f"{path.name} is a CSV file: it has no sheets or tables"))
        rows: list[list[Any]] = list(csv_rows(path, max_cells=max_cells))
        if header_row(rows) is None and (hint := separator_hint(rows)):
            raise InputError(Problem(f"{path.name}: no header row naming symbol and quantity; {hint}"))
        return from_header(rows)
    if suffix in (".xlsx", ".xlsm"):
        return workbook_rows(path, sheet, table, MAX_CELLS if max_cells is None else max_cells)[0]
    raise InputError(Problem(f"{path.name}: positions files must be .csv or .xlsx"))


def header_row(rows: list[list[Any]]) -> int | None:
    """The index of the header row (the first that names symbol and quantity), or None."""
    from xlmargin.positions.columns import HEADER_MAP, REQUIRED, norm_header

    for i, row in enumerate(rows):
        named = {HEADER_MAP.get(norm_header(c)) for c in row if isinstance(c, str)}
        if all(name in named for name in REQUIRED):
            return i
    return None


def from_header(rows: list[list[Any]]) -> list[list[Any]]:
    """The rows with those above the header row (the first that names symbol and quantity) blanked."""
    i = header_row(rows)
    if i is None:
        return rows  # no header: the reader says which column is missing
    return [[] for _ in range(i)] + rows[i:]


def workbook_rows(
    path: Path, sheet: str | None, table: str | None, max_cells: int
) -> tuple[list[list[Any]], str, int]:
    """(the rows of a workbook's positions as :func:`read_file` gives them, the sheet read, the
    column of their first cell), for messages that name the sheet and the column letter
    (:func:`located`)."""
    input_file(path)
    rows, title, left = _workbook_rows(path, sheet, table, max_cells)
    return from_header(rows), title, left


def located(exc: XlMarginError, path: Path, title: str, left: int, rows: list[list[Any]]) -> XlMarginError:
    """``exc`` with each problem of a row placed in the file: ``book.xlsx, sheet Book, row 5, price
    (D): ...``, the column's letter from the header of ``rows`` (whose first cell is in column
    ``left``), when the header names it."""
    from openpyxl.utils.cell import get_column_letter

    from xlmargin.positions.columns import HEADER_MAP, norm_header

    i = header_row(rows)
    header = rows[i] if i is not None else []
    letters = {
        HEADER_MAP.get(norm_header(cell)): get_column_letter(left + j)
        for j, cell in reversed(list(enumerate(header)))
        if isinstance(cell, str)
    }
    placed = []
    for p in exc.problems:
        if p.row is None:
            placed.append(p)
            continue
        letter = letters.get(p.column) if p.column else None
        where = Problem(p.message, p.row, f"{p.column} ({letter})" if letter else p.column)
        placed.append(Problem(f"{path.name}, sheet {title}, {where}"))
    exc.problems = tuple(placed)
    exc.args = (exc.summary(),)
    return exc


def _workbook_rows(
    path: Path, sheet: str | None, table: str | None, max_cells: int
) -> tuple[list[list[Any]], str, int]:
    """The rows of the table or sheet, a formula cell saved without its value as
    :class:`~xlmargin.cells.Uncalculated` (a workbook written by a library, never calculated)."""
    uncalculated = checked_workbook(path, max_cells, _NO_VALUE)
    rows, title, top, left = _values(path, sheet, table)
    if uncalculated and any(v is None for r in rows for v in r):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            cells = book[title].iter_rows(
                min_row=top, min_col=left, max_row=top + len(rows) - 1, max_col=left + _width(rows) - 1
            )
            for r, formulas in zip(rows, cells, strict=False):
                for j, cell in enumerate(formulas[: len(r)]):
                    if r[j] is None and isinstance(cell.value, str) and cell.value.startswith("="):
                        r[j] = Uncalculated(cell.value)
        finally:
            book.close()
    return [[] for _ in range(top - 1)] + rows, title, left


def _width(rows: list[list[Any]]) -> int:
    return max((len(r) for r in rows), default=1) or 1


def _values(path: Path, sheet: str | None, table: str | None) -> tuple[list[list[Any]], str, int, int]:
    """(the saved values of the table or sheet, row by row; its sheet; its first row and column)."""
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    try:  # tables are only loaded outside read-only mode
        book = openpyxl.load_workbook(path, read_only=table is None, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file; the first line says why
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(Problem(f"cannot read {path.name}: {why}")) from None
    try:
        if table is not None:
            for ws in book.worksheets:
                found = {name.lower(): name for name in ws.tables}.get(table.lower())
                if found is not None and (sheet is None or ws.title == sheet):
                    defined = ws.tables[found]
                    left, top, right, bottom = range_boundaries(defined.ref)
                    bottom -= defined.totalsRowCount or 0  # the Total Row is no position
                    # no further than the cells the sheet holds: a ref may claim a million rows
                    bottom, right = min(bottom, ws.max_row), min(right, ws.max_column)
                    cells = ws.iter_rows(
                        min_row=top, max_row=bottom, min_col=left, max_col=right, values_only=True
                    )
                    return [list(r) for r in cells], ws.title, top, left
            elsewhere = [ws.title for ws in book.worksheets if table.lower() in map(str.lower, ws.tables)]
            if elsewhere:  # named with a sheet it is not on
                raise InputError(
                    Problem(f"{path.name}: table '{table}' is on sheet '{elsewhere[0]}', not '{sheet}'")
                )
            names = [n for ws in book.worksheets for n in ws.tables] or ["none"]
            raise InputError(Problem(f"{path.name} has no table '{table}'; tables: {', '.join(names)}"))
        if sheet is not None:
            if sheet not in book.sheetnames:
                known = ", ".join(book.sheetnames)
                raise InputError(Problem(f"{path.name} has no sheet '{sheet}'; sheets: {known}"))
            chosen = book[sheet]
        else:
            chosen = book["Positions"] if "Positions" in book.sheetnames else book.worksheets[0]
        rows = sheet_rows(chosen, header_row)
        if sheet is None and len(book.sheetnames) > 1 and header_row(rows) is None:
            which = "" if chosen.title == "Positions" else "the first sheet, "
            raise InputError(
                Problem(
                    f"{path.name}: no positions table on sheet '{chosen.title}' ({which}read when none is "
                    f"named): no row names symbol and quantity; sheets: {', '.join(book.sheetnames)} "
                    "(name one with --sheet)"
                )
            )
        return rows, chosen.title, 1, 1
    finally:
        book.close()
