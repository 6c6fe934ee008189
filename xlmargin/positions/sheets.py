"""A positions workbook read within bounds: checked before it is parsed, then read by its cells.

:func:`checked_workbook` applies the limits ``xlmargin recalc`` applies
(:func:`xlmargin.workbook.safety.open_workbook_zip`: not a workbook, encrypted, a zip bomb or over
the inflated-size limit; :data:`MAX_CELLS`, the cells counted as the
sheets are inflated chunk by chunk), and refuses an XML part that declares a DTD; every refusal is
one :class:`~xlmargin.errors.InputError` line naming the file. :func:`sheet_rows` reads a sheet by
the cells it holds, never by the ``<dimension>`` it claims (``A1:XFD1048576`` with three rows is
three rows): each row is cut at the last column that can be a positions column (the header's
width), so a cell far to the right costs nothing.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xlmargin.errors import InputError, Problem
from xlmargin.files import MAX_CELLS as MAX_CELLS  # the default limit, defined where the CLI reads it

_OVERLAP = 4096  # bytes of a chunk kept to look across the boundary (a tag, a formula cell's end)


def checked_workbook(path: Path, max_cells: int, no_value: re.Pattern[bytes]) -> bool:
    """Refuse the workbook at ``path`` as the module docstring says; whether a worksheet holds a
    cell matching ``no_value`` (a formula saved without its value), found in the same pass."""
    from xlmargin.workbook.safety import WorkbookError, open_workbook_zip

    try:
        with open_workbook_zip(path) as zf:
            return _scan(zf, path.name, max_cells, no_value)
    except WorkbookError as exc:
        raise InputError(Problem(str(exc))) from None


def _scan(zf: zipfile.ZipFile, name: str, max_cells: int, no_value: re.Pattern[bytes]) -> bool:
    from xlmargin.workbook.safety import cells_in, checked_windows

    cells, uncalculated = 0, False
    for part, window, tail in checked_windows(zf, name, _OVERLAP):  # a DTD in any XML part: refused
        if part.startswith("xl/worksheets/"):
            cells += cells_in(window, tail)
            uncalculated = uncalculated or no_value.search(window) is not None
            if cells > max_cells:
                raise InputError(
                    Problem(
                        f"{name}: {cells:,} cells or more, over the {max_cells:,} a positions "
                        "workbook may hold (max_cells); split it or save the positions alone"
                    )
                )
    return uncalculated


def sheet_rows(ws: Any, header_row: Callable[[list[list[Any]]], int | None]) -> list[list[Any]]:
    """The values of an openpyxl read-only worksheet, row by row from row 1, read by its cells
    (see the module docstring); ``header_row`` finds the header among the rows."""
    from openpyxl.worksheet._reader import WorkSheetParser

    book = ws.parent
    sparse: list[tuple[int, list[tuple[int, Any]]]] = []  # (row number, [(column, value)])
    with ws._get_source() as source:  # openpyxl's own row parser, as ReadOnlyWorksheet uses it
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if cells:  # a formula saved without its value is a cell holding None, kept
                sparse.append((number, [(c["column"], c["value"]) for c in cells]))
    if not sparse:
        return []
    # the header's width, else (no header: the reader names the missing column) the first row's
    k = header_row([[value for _, value in cells] for _, cells in sparse])
    width = max(column for column, _ in sparse[k or 0][1])
    rows: list[list[Any]] = []
    for number, cells in sparse:
        kept = [(column, value) for column, value in cells if column <= width]
        if not kept:
            continue
        row = [None] * max(column for column, _ in kept)
        for column, value in kept:
            row[column - 1] = value
        rows.extend([] for _ in range(number - 1 - len(rows)))
        rows.append(row)
    return rows
