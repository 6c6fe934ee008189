"""Headless recalculation of workbooks that use our worksheet functions, losing nothing.

See :mod:`.calculate` for the flow, :mod:`.output` for writing the results back, :mod:`.report` for
what is returned and :mod:`.safety` for what is refused before any parsing. ``recalc`` here is the
function (:func:`.output.recalc`); there is no module of that name.
"""

from .calculate import recalculate
from .output import freeze, recalc, write_values
from .report import (
    AssumedCell,
    BlockedSpill,
    CellError,
    CellResult,
    KeptCell,
    Limits,
    RecalcReport,
    StaleError,
)
from .safety import WorkbookError, open_workbook_zip, parse_xml

__all__ = [
    "AssumedCell",
    "BlockedSpill",
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
