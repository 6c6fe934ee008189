"""Headless recalculation of workbooks that use our worksheet functions, losing nothing.

See :mod:`.calculate` for the flow, :mod:`.output` for writing the results back, :mod:`.report` for
what is returned and :mod:`.safety` for what is refused before any parsing. ``recalc`` here is the
function (:func:`.output.recalc`); there is no module of that name.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Each name from its module on first use (PEP 562): reading a positions workbook needs the zip
# checks of .safety and the limits of .report, not the formula engine .calculate imports.
_HOME = {
    "recalculate": "calculate",
    **dict.fromkeys(("freeze", "recalc", "write_values"), "output"),
    **dict.fromkeys(
        (
            "AssumedCell",
            "BlockedSpill",
            "CellError",
            "CellResult",
            "KeptCell",
            "Limits",
            "RecalcReport",
            "StaleError",
        ),
        "report",
    ),
    **dict.fromkeys(("WorkbookError", "open_workbook_zip", "parse_xml"), "safety"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{home}", __name__), name)


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
