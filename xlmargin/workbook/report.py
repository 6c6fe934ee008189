"""What a recalculation returns and what bounds it: the cells, the kept cells, the limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from .safety import WorkbookError

__all__ = ["AssumedCell", "BlockedSpill", "CellError", "CellResult", "KeptCell", "Limits", "RecalcReport",
           "StaleError"]  # fmt: skip


class CellError(str):
    """An Excel error value such as ``#N/A``; a ``str`` so that it compares as its text."""


@dataclass(frozen=True)
class CellResult:
    """One recalculated cell. ``array_ref`` is set on the anchor of an array formula; ``stale``
    when its value reads a cell that kept its cached value (see :class:`KeptCell`)."""

    sheet: str
    ref: str
    formula: str
    value: object
    array_ref: str | None = None
    stale: bool = False


@dataclass(frozen=True)
class KeptCell:
    """A formula cell the engine cannot compute; it keeps its cached value. ``ref`` is the whole
    range of an array formula."""

    sheet: str
    ref: str
    formula: str
    reason: str


@dataclass(frozen=True)
class AssumedCell:
    """A formula cell recalculated although nothing shows it depends on an xlmargin result: what
    it reads cannot be told from its text (``reason``: it calls ``INDIRECT``, a name is not
    defined...), so it is taken to depend on one."""

    sheet: str
    ref: str
    formula: str
    reason: str


@dataclass(frozen=True)
class BlockedSpill:
    """A dynamic array whose result would spill over merged cells: as in Excel, its anchor
    ``ref`` shows ``#SPILL!`` and nothing of the result is written. ``extent`` is the range the
    result needs, ``merged`` the first merged range in it. (A spill blocked by a non-empty cell
    shows ``#SPILL!`` too; the engine does not say the extent it needed, so it is not listed.)"""

    sheet: str
    ref: str
    extent: str
    merged: str

    @property
    def reason(self) -> str:
        return f"its result ({self.extent}) would spill into the merged cells {self.merged}"


@dataclass(frozen=True)
class Limits:
    """The work recalc accepts: cells in the sheets, formula cells, seconds of the whole run
    (reading and scanning the workbook, evaluating it, writing the values).

    Measured on the 2-core development machine: a recalc holds about 0.9 KB per cell at its
    peak (950,000 cells: 0.9 GB) and spends 50-100 us per formula cell in all, so the defaults
    keep a recalc under about 1 GB and well under a minute; raise them for a bigger workbook."""

    max_cells: int = 1_000_000
    max_formulas: int = 200_000
    seconds: float = 60.0


@dataclass(frozen=True)
class RecalcReport:
    """Every recalculated cell, in sheet order then row by row, the cells ``kept`` at their
    cached values, the dynamic arrays ``blocked`` by merged cells (their anchors show
    ``#SPILL!``), the cells recalculated because what they read cannot be told (``assumed``) and
    the number of formula cells left at their cached values because they depend on no xlmargin
    result (``cached``; see :mod:`._depends`)."""

    cells: tuple[CellResult, ...]
    kept: tuple[KeptCell, ...] = ()
    blocked: tuple[BlockedSpill, ...] = ()
    assumed: tuple[AssumedCell, ...] = ()
    cached: int = 0
    _index: dict[tuple[str, str], CellResult] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._index.update(((c.sheet, c.ref), c) for c in self.cells)

    def value(self, sheet: str, ref: str) -> object:
        """The value of a recalculated cell; ``KeyError`` for any other cell."""
        try:
            return self._index[(sheet, ref.replace("$", "").upper())].value
        except KeyError:
            raise KeyError(f"{sheet}!{ref} is not a recalculated cell") from None

    @property
    def stale(self) -> tuple[CellResult, ...]:
        """The recalculated cells whose value reads a kept cell."""
        return tuple(c for c in self.cells if c.stale)


class StaleError(WorkbookError):
    """Some cells could not be computed (see ``report.kept`` and ``report.stale``); nothing was
    written."""

    def __init__(self, message: str, report: RecalcReport) -> None:
        super().__init__(message)
        self.report = report
