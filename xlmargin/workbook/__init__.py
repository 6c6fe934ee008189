"""Headless recalculation of workbooks that use our worksheet functions, losing nothing.

See :mod:`.recalc` for the flow and :mod:`.safety` for what is refused before any parsing.
"""

from .recalc import (
    CellError,
    CellResult,
    KeptCell,
    Limits,
    RecalcReport,
    StaleError,
    freeze,
    recalc,
    recalculate,
    write_values,
)
from .safety import WorkbookError, open_workbook_zip, parse_xml

__all__ = [
    "CellError",
    "CellResult",
    "KeptCell",
    "Limits",
    "RecalcReport",
    "StaleError",
    "WorkbookError",
    "freeze",
    "open_workbook_zip",
    "parse_xml",
    "recalc",
    "recalculate",
    "write_values",
]
