"""Where a positions table comes from: a list of rows (Excel), a DataFrame, or a CSV/XLSX file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlmargin.cells import is_blank
from xlmargin.errors import InputError, Problem
from xlmargin.files import csv_rows, input_file, separator_hint


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


def read_file(path: Path, sheet: str | None = None, table: str | None = None) -> list[list[Any]]:
    """The rows of a CSV or XLSX file from its header row on; rows above the header (a title, notes)
    come back blank so that row numbers stay the file's own. In a workbook, ``table`` names an Excel
    table (its range is read), ``sheet`` a sheet; by default the sheet "Positions", else the first.
    A CSV file is read as :func:`xlmargin.files.csv_rows` reads it (UTF-8, or Excel's UTF-16)."""
    input_file(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        if sheet or table:
            raise InputError(Problem(f"{path.name} is a CSV file: it has no sheets or tables"))
        rows: list[list[Any]] = list(csv_rows(path))
        if header_row(rows) is None and (hint := separator_hint(rows)):
            raise InputError(Problem(f"{path.name}: no header row naming symbol and quantity; {hint}"))
        return from_header(rows)
    if suffix in (".xlsx", ".xlsm"):
        return from_header(_workbook_rows(path, sheet, table))
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


def _workbook_rows(path: Path, sheet: str | None, table: str | None) -> list[list[Any]]:
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    try:  # tables are only loaded outside read-only mode
        book = openpyxl.load_workbook(path, read_only=table is None, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise InputError(Problem(f"cannot read {path.name}: {exc}")) from None
    try:
        if table is not None:
            for ws in book.worksheets:
                ref = {name.lower(): ref for name, ref in ws.tables.items()}.get(table.lower())
                if ref is not None and (sheet is None or ws.title == sheet):
                    left, top, right, bottom = range_boundaries(ref)
                    cells = ws.iter_rows(
                        min_row=top, max_row=bottom, min_col=left, max_col=right, values_only=True
                    )
                    return [[] for _ in range(top - 1)] + [list(r) for r in cells]
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
        return [list(r) for r in chosen.iter_rows(values_only=True)]
    finally:
        book.close()
