"""Writing a recalculation back: the cached values into a copy (or in place), or a values-only copy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from xlmargin.errors import XlMarginError
from xlmargin.files import resolved, writable_output

from . import _sheetxml as sx
from ._engine import Deadline
from ._package import calc_chain_edits, write_atomically
from ._values import cached
from .calculate import read_sheets, recalculate
from .report import Limits, RecalcReport, StaleError
from .safety import WorkbookError, open_workbook_zip

__all__ = ["freeze", "recalc", "write_values"]


def _write(
    src: Path, dst: Path, report: RecalcReport, *, freeze_formulas: bool, deadline: Deadline | None = None
) -> None:
    tick = deadline.check if deadline is not None else sx.no_tick
    with open_workbook_zip(src) as zf:
        sheets = read_sheets(zf, src.name, scan=False, deadline=deadline)
        known = {s.name for s in sheets}
        unknown = {c.sheet for c in report.cells} - known
        if unknown:
            raise WorkbookError(f"{src.name}: the report names sheets it lacks: {sorted(unknown)}")
        replaced: dict[str, bytes] = {}
        dropped: set[str] = set()
        if freeze_formulas:
            replaced, dropped = calc_chain_edits(zf)
        by_sheet: dict[str, dict[tuple[int, int], sx.CellEdit]] = {}
        for c in report.cells:
            t, v = cached(c.value)
            by_sheet.setdefault(c.sheet, {})[sx.parse_ref(c.ref)] = sx.CellEdit(t, v, c.array_ref)
        for sheet in sheets:
            edits = by_sheet.get(sheet.name, {})
            if not edits and not freeze_formulas:
                continue
            xml = sx.rewrite(sheet.xml, edits, drop_formulas=freeze_formulas, tick=tick)
            if xml != sheet.xml:
                replaced[sheet.part] = xml.encode("utf-8")
        tick()
        write_atomically(zf, dst, replaced, dropped)


def write_values(src: Path, dst: Path, report: RecalcReport) -> None:
    """Copy ``src`` to ``dst`` changing only the cached values of the report's cells."""
    _write(Path(src), Path(dst), report, freeze_formulas=False)


def _writable(path: Path) -> Path:
    try:
        return writable_output(path)
    except XlMarginError as error:
        raise WorkbookError(error.summary()) from None


def lock_file(path: Path) -> Path | None:
    """The lock file that says ``path`` is open in Excel (its owner file, ``~$`` and the name, whose
    first one or two characters Excel drops from a long name) or in LibreOffice (``.~lock.NAME#``), if one
    sits beside it; None when ``path`` is not there."""
    if not path.exists():
        return None
    name = path.name
    for lock in ("~$" + name, "~$" + name[1:], "~$" + name[2:], f".~lock.{name}#"):
        if len(lock) > 2 + len(".xlsx") and (path.parent / lock).exists():
            return path.parent / lock
    return None


def _refuse_open(path: Path) -> Path:
    """``path``, unless a lock file says a spreadsheet program has it open: that session would
    later save over the result, or the result would be written under it."""
    lock = lock_file(path)
    if lock is not None:
        program = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
        raise WorkbookError(
            f"{path.name} is open in {program} (its lock file {lock.name} is beside it); nothing written: "
            f"close it there (if it is not open, delete {lock.name}) or write to another file with -o"
        )
    return path


def _target(src: Path, dst: Path | None, in_place: bool, command: str = "recalc") -> Path:
    """The file to write, checked before any work: a symbolic link (``src`` in place, or an output
    given) is followed to the workbook it names, which is written (atomically, in its own folder);
    a file or folder that may not be written is refused (:func:`xlmargin.files.writable_output`),
    and so is a workbook open in Excel or LibreOffice (:func:`lock_file`)."""
    if in_place:
        if dst is not None and resolved(Path(dst)) != resolved(src):
            raise WorkbookError(f"{src.name}: give an output file or in-place, not both")
        return _refuse_open(_writable(src))
    if dst is None:
        raise WorkbookError(f"{src.name}: no output file given (or recalculate in place)")
    dst = Path(dst)
    if dst.is_dir():
        raise WorkbookError(f"{dst}: is a folder; give the output file's name")
    if resolved(dst) == resolved(src):
        instead = "recalculate in place instead" if command == "recalc" else "give freeze another output file"
        raise WorkbookError(f"{src.name}: the output is the input; {instead}")
    if dst.suffix.lower() != src.suffix.lower() or resolved(dst).suffix.lower() != src.suffix.lower():
        raise WorkbookError(
            f"{dst.name}: the output must keep the {src.suffix} extension (a link's file too)"
        )
    return _refuse_open(_writable(dst))


def _refuse_stale(src: Path, report: RecalcReport) -> None:
    if report.kept:
        stale = len(report.stale)
        raise StaleError(
            f"{src.name}: {len(report.kept)} formula cells cannot be computed here"
            + (f" and {stale} more read them" if stale else "")
            + "; nothing written (allow stale values to write the rest and keep their cached values)",
            report,
        )


def recalc(
    src: Path,
    dst: Path | None,
    functions: Mapping[str, Callable[..., object]],
    *,
    in_place: bool = False,
    allow_stale: bool = False,
    limits: Limits | None = None,
    pure: bool = False,
) -> RecalcReport:
    """Recalculate ``src`` into ``dst`` (or into ``src`` itself with ``in_place``).

    When some cells cannot be computed (``report.kept``) nothing is written and
    :class:`StaleError` is raised, unless ``allow_stale``: then those cells keep their cached
    values and the cells reading them get values computed from those (``report.stale``).
    ``pure`` functions run once per distinct call (see :func:`.calculate.recalculate`).
    ``limits.seconds`` bounds the whole run, the writing included (nothing is written then).
    """
    src = Path(src)
    target = _target(src, dst, in_place)
    deadline = Deadline(src.name, (limits or Limits()).seconds)
    report = recalculate(src, functions, limits=limits, pure=pure, deadline=deadline)
    if not allow_stale:
        _refuse_stale(src, report)
    _write(src, target, report, freeze_formulas=False, deadline=deadline)
    return report


def freeze(
    src: Path,
    dst: Path,
    functions: Mapping[str, Callable[..., object]],
    *,
    allow_stale: bool = False,
    limits: Limits | None = None,
    pure: bool = False,
) -> RecalcReport:
    """A values-only copy: recalculate, then drop every formula and the calculation chain (a
    kept cell is frozen at its cached value; see :func:`recalc` for ``allow_stale`` and ``pure``)."""
    src = Path(src)
    target = _target(src, dst, in_place=False, command="freeze")
    deadline = Deadline(src.name, (limits or Limits()).seconds)
    report = recalculate(src, functions, limits=limits, pure=pure, deadline=deadline)
    if not allow_stale:
        _refuse_stale(src, report)
    _write(src, target, report, freeze_formulas=True, deadline=deadline)
    return report
