"""The positions table: what Excel (or a DataFrame, CSV or XLSX file) hands over, validated and frozen.

Input is a table with a header row. Headers match case-insensitively, ignoring spaces, underscores,
hyphens and dots, in any order, with the aliases brokers export (Mark Price, Put/Call, Asset Class,
...); unknown columns are ignored and listed in a warning; fully blank rows are ignored so users
can select oversized ranges (``A1:K500``). Option symbols (OSI, IBKR, TWS) and currency-pair
symbols state terms the row may leave blank (:mod:`xlmargin.positions.infer`). Blanks may arrive
as ``None``, ``''`` or ``0`` (Office.js sends ``0``), integers as floats, dates as ``datetime`` or
Excel serial numbers.

Rows are numbered as in the selected range, the header being row 1, so for a range that starts
in row 1 the numbers are the spreadsheet's own. Every problem of the table is collected and raised
once as an :class:`~xlmargin.errors.InputError`: a table with a bad row never yields a partial
total. What is odd but not wrong goes to :attr:`Portfolio.warnings`.

Quantities are signed (long > 0) and kept apart from the multiplier. Option prices are per share
(per unit of the underlying), bond prices per 100 of face.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from xlmargin.cells import valuation_date_refused
from xlmargin.collector import collector_paused
from xlmargin.errors import InputError, Problem
from xlmargin.positions.build import broker_type_column, build_arrays
from xlmargin.positions.columns import COLUMN_ORDER, COLUMNS, REQUIRED, Column, map_header, norm_header
from xlmargin.positions.conventions import Groups
from xlmargin.positions.infer import RATE_TO_BASE, rate_to_base_warning
from xlmargin.positions.marks import mark_problems, spot_warning
from xlmargin.positions.model import CLASSES, OPTION_TYPES, TYPES, Portfolio, Position
from xlmargin.positions.reader import ColumnReader
from xlmargin.positions.source import table_of, totals_row

# Reading a range makes thousands of short-lived containers (an iterator per row while the rows are
# transposed, a tuple per column) and no reference cycle: the collector's scans of them free nothing
# (about 0.15 ms of a read of the benchmark book right after a collection; more as the heap grows).
NO_POSITIONS = "the positions table has a header but no positions"


@collector_paused()
def read_positions(
    data: Any,
    *,
    as_of: dt.date,
    holdings: bool = True,
    groups: Groups | None = None,
    rows_at: Sequence[int] | None = None,
) -> Portfolio:
    """Read and validate a positions table.

    ``data`` is a list of lists (header row first, as Excel hands it over), a pandas DataFrame,
    or the path of a CSV or XLSX file. ``as_of`` is the valuation date: expiries are measured
    from it and may not precede it. ``holdings``: the table is one book's holdings, whose rows of
    one contract must agree on its marks (:mod:`xlmargin.positions.marks`); False for trades and
    hedge candidates (fills at their own prices) and for a batch's accounts (checked per account).
    ``groups``: the account of each row of a table of many (the batch), whose coupon and yield
    units are decided per account, their warnings kept in ``groups``
    (:class:`~xlmargin.positions.conventions.Groups`). ``rows_at``: the row number of each data row
    (the batch reads an account's rows alone under their numbers in the file); by default the
    header's row plus one, two...
    """
    if (refused := valuation_date_refused(as_of)) is not None:
        raise InputError(Problem(refused, None, "as_of"))
    header, rows, first_row = table_of(data)
    problems: list[Problem] = []
    mapped = map_header(header, problems, first_row - 1)
    if not problems and (total := totals_row(rows, mapped.index, first_row)) is not None:
        problems.append(total)
    if problems:
        raise InputError(problems)
    headers = {name: str(header[i]).strip() for name, i in mapped.index.items()}
    reader = ColumnReader(mapped.index, rows, first_row, problems, headers)
    if rows_at is not None:  # the warnings and cell problems name ``reader.rows``
        reader.rows = np.asarray(rows_at, dtype=np.int64)[reader.rows - first_row]
    if reader.n == 0:
        raise InputError(Problem(NO_POSITIONS))
    ignored = list(mapped.ignored)
    broker = broker_type_column(reader, mapped.broker, ignored)
    warnings: list[str] = list(mapped.notes)
    if ignored:
        warnings.append(f"columns ignored (not positions fields): {', '.join(ignored)}")
    arrays, codes = build_arrays(reader, as_of, broker, warnings, groups)
    if problems:
        problems.sort(key=lambda p: (p.row or 0, COLUMN_ORDER.get(p.column or "", 99)))
        raise InputError(problems)
    portfolio = Portfolio(arrays, as_of, tuple(warnings), codes)
    rate_header = str(header[mapped.index["fx_rate"]]) if "fx_rate" in mapped.index else ""
    if norm_header(rate_header) == RATE_TO_BASE and (
        found := rate_to_base_warning(rate_header, portfolio.arrays)
    ):
        portfolio.warnings = (*portfolio.warnings, found)
    if holdings and (conflicts := mark_problems(portfolio)):
        raise InputError(conflicts)
    if holdings and (spot := spot_warning(portfolio)):
        portfolio.warnings = (*portfolio.warnings, spot)
    return portfolio


__all__ = [
    "CLASSES", "COLUMNS", "NO_POSITIONS", "OPTION_TYPES", "REQUIRED", "TYPES",
    "Column", "Portfolio", "Position", "read_positions",
]  # fmt: skip
