"""Recalculate a workbook's formulas headlessly and write the results back losslessly.

The flow: :func:`recalculate` evaluates with formualizer (pinned 0.13.0) and the caller's Python
worksheet functions the formula cells that depend on those functions' results or have no cached
value (:mod:`._depends`; the others keep Excel's values and are constants for the engine),
returning a :class:`RecalcReport`; :func:`write_values`
copies the workbook, changing only the cached values of those cells; :func:`recalc` does both and
:func:`freeze` also strips the formulas for a reader without the add-in. Nothing here knows what
the functions compute.

Values: a number (float), a string, a bool, a :class:`CellError` (a ``str`` such as ``"#N/A"``)
or ``None`` for a cell that no longer holds a value (it left a shrunken spill range).

Custom functions get Excel-shaped arguments: a range is a list of rows (header row first, blank
cells ``None``, numbers and dates as floats), an error is a :class:`CellError`, a scalar is a
scalar. They return a number, a string, a bool, ``None`` (shown blank: ``""``) or a 2-D list (a
1-D list is one row; ragged rows are padded with ``#N/A``). A string that is exactly an Excel error
code (``"#N/A"``) becomes that error, NaN and infinities become ``#NUM!``, and an exception
becomes ``#VALUE!``. Each function is registered under its upper-cased name and, for every
``_xldudf_<NAMESPACE>_<NAME>`` found in the formulas (how Excel stores Office.js custom
functions), under that name too.

Formula kinds:

- plain and shared formulas: one value each. A plain formula is a *legacy* formula for Excel 365:
  a result that is an array shows its implicit intersection (``@``), not a spill.
- CSE array formulas (``<f t="array" ref="G1:H12">``): the result is fitted to the fixed ref as
  Excel does (a single row/column/value is repeated, missing cells are ``#N/A``, extra ones are
  cut off) and every cell of the ref gets its value, inserted into the XML if absent.
- dynamic arrays (``cm`` on the cell): the result spills; every cell of the new spill range gets
  its value and the ``ref`` of the formula is updated to the new range (as Excel does); cells of
  the old range outside the new one lose their cached value. A spill range that holds a non-empty
  cell or a merged cell (the engine spills over merges: such arrays are made ``#SPILL!`` after
  evaluation, :func:`_block_merged_spills`) leaves the anchor ``#SPILL!`` and writes nothing else.
- data tables (``t="dataTable"``, What-If) are not evaluated and keep their cached values; one
  whose formula reads an xlmargin result is kept as not computable (:mod:`._depends`).

Cells the engine cannot compute keep their cached values (:class:`KeptCell`, with the reason): a
call to a function formualizer lacks (found by asking a scratch engine for ``=NAME()``: ``#NAME?``),
a reference to another workbook (``[1]Data!A1``, or by file name or path as typed:
``[book.xlsx]Data!A1``), a DDE link (:mod:`._kept`), a formula the engine would compute otherwise
than Excel (:mod:`._arrays`: ``{=ROW(A1:A3)*10}``) and a circular reference; a formula the engine
refuses while formulas are set is kept with its error. A workbook in the 1904 date system is
refused (its serials would be taken as 1900 ones). All but the circular ones never reach the
engine: their ``<f>`` is dropped from its copy, so it reads the cached value as a constant and
the cells that read it are computed from it; every such reader, found through the engine's
dependency graph, is marked ``stale``. :func:`recalc` and :func:`freeze` then write
nothing (:class:`StaleError`) unless ``allow_stale``. :class:`Limits` bounds the work: cells
(counted while inflating, before parsing), formula cells, and the seconds of the whole run
(:class:`._engine.Deadline`: checked as the scans go, ``Workbook.cancel`` during evaluation).

``calcPr`` is left as it is. Excel recalculates on open when ``fullCalcOnLoad="1"`` or when the
file's ``calcId`` is older than its engine, so Excel *without the add-in* may still replace our
values with ``#NAME?``; that is why :func:`freeze` exists: with no formula left, nothing can be
recalculated, so ``calcPr`` is harmless there too.

formualizer 0.13.0 quirks found and worked around (re-check them when upgrading):

- Excel Tables and structured references (``tbl[#All]``) load only with ``backend="umya"``; the
  default native loader sees no tables (``#NAME?``).
- Both loaders treat a CSE formula like a dynamic array: the cached values of the other cells of
  its ref block the spill (``#SPILL!``). Clearing those cells after loading with ``set_value(None)``
  leaves a broken spill (the last row stays empty and ``get_value`` returns ``None`` for the
  members), so their ``<v>`` are stripped from the XML *before* loading instead; the same for the
  old spill range of dynamic arrays. A CSE formula is then wrapped in a registered fitting
  function, because ``TAKE``/``EXPAND`` are not implemented (``#NAME?``).
- A plain formula returning an array spills too; it is re-set as ``=@(...)`` (which formualizer
  evaluates as Excel's implicit intersection) and evaluated again. ``_xlfn.SINGLE`` (how Excel
  stores ``@`` in a file) is not implemented: ``#NAME?``.
- ``get_value`` returns ``datetime`` objects for dates unless ``set_temporal_egress("serial")``.
- Errors come back as ``{'type': 'Error', 'kind': 'Div'}`` dicts; a Python callback returns one with
  ``LiteralValue.error(kind, None)`` (an ``ExcelError`` instance gives ``#VALUE!``). A Python
  ``int`` beyond 64 bits gives ``#VALUE!`` (so ints are passed as floats); ``None`` becomes 0.
- An omitted argument (``F(1,,2)``) reaches the callback as ``0.0``, not as a missing value.
- A formula it cannot parse evaluates to an error of kind ``Error`` instead of raising (written as
  ``#VALUE!``); a circular reference gives kind ``Circ`` (such cells are kept, see above).
- A name that shadows a built-in function is refused unless ``allow_override_builtin``.
- The umya loader reads shared formulas without shifting them (every cell of ``E4:G4`` gets the
  anchor's text as is, down or right), reads a namespace-prefixed sheet (``<x:worksheet>``) as
  empty and puts rows and cells without an ``r`` attribute at A1; so the engine is handed
  :func:`._sheetxml.explicit`'s plain copy. It panics (a Rust backtrace on stderr) on a malformed
  cell reference such as ``r="1A"``; engine stderr is captured and a panic becomes one line.
- A reference to another workbook makes ``evaluate_all`` raise for the whole book (``Undefined
  name: [1]Data!A1``), hence such cells are kept before evaluation.
- A whole-column argument (``A:K``) reaches a custom function trimmed to the sheet's used rows; an
  explicit one down to the last row (``A1:K1048576``) is built cell by cell (12 s and 2 GB for 15.7
  million cells; ``#NUM!`` past 2**24), so :mod:`._cut` cuts it to the rows its sheet holds.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path

import formualizer as fz

from . import _arrays as ar
from . import _depends as dp
from . import _formula as fm
from . import _kept as kp
from . import _sheetxml as sx
from . import _tables as tb
from ._cut import Cuts
from ._engine import Deadline, evaluate, native_output
from ._package import date1904, defined_names, full_calc_on_load, package_bytes, sheet_parts
from ._values import CIRCULAR, FIT, SPILL_BLOCKED, XLDUDF, fit_array, from_engine, spill_blocked, wrap
from .report import AssumedCell, BlockedSpill, CellError, CellResult, KeptCell, Limits, RecalcReport
from .safety import WorkbookError, cells_in, checked_windows, open_workbook_zip, read_part

__all__ = ["Sheet", "read_sheets", "recalculate"]


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str
    xml: str
    cells: list[sx.Cell]


def read_sheets(
    zf: zipfile.ZipFile, label: str, *, scan: bool = True, deadline: Deadline | None = None
) -> list[Sheet]:
    """The worksheets, with their formula cells unless ``scan`` is false; within ``deadline``."""
    tick = deadline.check if deadline is not None else sx.no_tick
    sheets = []
    for name, part in sheet_parts(zf):
        tick()
        try:
            xml = read_part(zf, part).decode("utf-8")
        except UnicodeDecodeError:
            raise WorkbookError(f"{label}: {part} is not UTF-8 encoded; not supported") from None
        try:
            cells = sx.scan_formulas(xml, tick) if scan else []
        except ValueError as exc:
            raise WorkbookError(f"{label}: {part} is malformed ({exc})") from exc
        sheets.append(Sheet(name, part, xml, cells))
    return sheets


def _count_cells(zf: zipfile.ZipFile, label: str, limits: Limits, deadline: Deadline) -> None:
    """Refuse a workbook with more cells than the limit, counted as the sheets are inflated
    chunk by chunk, before any of them is held in memory or parsed; and one with a part (XML by its
    content, whatever its name) that declares a DTD, before the engine reads it."""
    sheets = {part for _, part in sheet_parts(zf)}
    total = 0
    for part, window, tail in checked_windows(zf, label, overlap=32):  # a DTD marker: 18 bytes
        deadline.check()
        if part in sheets:
            total += cells_in(window, tail)
        if total > limits.max_cells:
            raise WorkbookError(
                f"{label}: {total:,} cells or more, over the {limits.max_cells:,} recalc allows (--max-cells)"
            )


def _address(sheet: str, row: int, col: int) -> str:
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!{sx.format_ref(row, col)}"


def _array_ref(cell: sx.Cell) -> str:
    """The fixed range of an array formula (its own cell when the ``ref`` is missing)."""
    return cell.formula.ref or sx.format_ref(cell.row, cell.col)


def _array_members(cell: sx.Cell) -> list[tuple[int, int]]:
    return [rc for rc in sx.range_cells(_array_ref(cell)) if rc != (cell.row, cell.col)]


def _register(
    book: fz.Workbook, functions: Mapping[str, Callable[..., object]], xml: str, *, pure: bool
) -> None:
    names = {name.upper(): fn for name, fn in functions.items()}
    for alias in {m.group().upper() for m in XLDUDF.finditer(xml)}:
        match = max((n for n in names if alias.endswith("_" + n)), key=len, default=None)
        if match is not None:
            names.setdefault(alias, names[match])
    for name, fn in names.items():
        book.register_function(name, wrap(fn, pure=pure), min_args=0)
    book.register_function(FIT, fit_array, min_args=3, max_args=3)
    book.register_function(SPILL_BLOCKED, spill_blocked, min_args=0, max_args=0)


def recalculate(
    src: Path,
    functions: Mapping[str, Callable[..., object]],
    *,
    limits: Limits | None = None,
    pure: bool = False,
    deadline: Deadline | None = None,
) -> RecalcReport:
    """Evaluate the formula cells of ``src`` that depend on the given custom functions' results
    or have no cached value (:mod:`._depends`); the others are left out of the report.

    ``limits.seconds`` bounds the whole call, from opening the file on (or ``deadline``, when the
    caller started the clock earlier).

    ``pure``: the functions give the same value for the same arguments, so each distinct call
    runs once in this recalculation however many cells make it (see :func:`._values.wrap`).

    A cell the engine cannot compute (a function it lacks, a link to another workbook, a circular
    reference) keeps its cached value and is listed in ``kept``; the cells that read it, however
    indirectly, are computed from that cached value and marked ``stale``.
    """
    src = Path(src)
    limits = limits or Limits()
    deadline = deadline or Deadline(src.name, limits.seconds)
    tick = deadline.check
    custom = {name.upper() for name in functions}
    with open_workbook_zip(src) as zf:
        _count_cells(zf, src.name, limits, deadline)
        if date1904(zf):  # the engine and the cached values would take its serials as 1900 ones
            raise WorkbookError(
                f"{src.name}: uses the 1904 date system, which recalc and freeze do not support: in Excel, "
                "File > Options > Advanced > uncheck 'Use 1904 date system' (dates shift by 1,462 days: "
                "check them), or use xlmargin margin on the file"
            )
        sheets = read_sheets(zf, src.name, deadline=deadline)
        _check_budget(sheets, src.name, limits)
        plain = {s.part: sx.explicit(s.xml, fm.shift, tick) for s in sheets}
        cells = {
            s.name: s.cells if plain[s.part] is s.xml else sx.scan_formulas(plain[s.part], tick)
            for s in sheets
        }
        every = "\n".join(c.formula.text for found in cells.values() for c in found)
        called = fm.functions(every)
        python = custom | _aliases(custom, sheets)
        tables = tb.read_tables(zf, [(s.name, s.part) for s in sheets]) if "[" in every else []
        names = defined_names(zf)
        reach = dp.reach(
            [s.name for s in sheets], cells, python=python, names=names, tables=tables,
            placeholders=full_calc_on_load(zf), tick=tick,
        )  # fmt: skip
        cached = {  # formulas that keep Excel's cached value: constants for the engine
            (s.name, c.row, c.col)
            for s in sheets
            for c in cells[s.name]
            if c.formula.kind != "dataTable" and (s.name, c.row, c.col) not in reach.written
        }
        kept = {
            k: v for k, v in kp.uncomputable(cells, every, called - python, tick).items() if k not in cached
        }
        for k, (c, why) in ar.kept(cells, kept.keys() | cached, python, tick).items():  # Excel differs
            ref = _array_ref(c) if c.formula.kind == "array" else sx.format_ref(c.row, c.col)
            kept[k] = KeptCell(k[0], ref, "=" + c.formula.text, why)
        anchors = {(s.name, c.row, c.col): c for s in sheets for c in cells[s.name]}
        for k, why in reach.uncomputable:  # a relative name, a data table: the engine would be wrong
            c = anchors[k]
            ref = _array_ref(c) if c.formula.kind in ("array", "dataTable") else sx.format_ref(c.row, c.col)
            kept.setdefault(k, KeptCell(k[0], ref, "=" + c.formula.text if c.formula.text else "", why))
        cuts = Cuts({s.name: plain[s.part] for s in sheets}, cells, python, limits.max_cells, tick)
        while True:  # again without the cells whose formula the engine refused, kept instead
            data = package_bytes(zf, _engine_parts(sheets, plain, cells, kept.keys() | cached, tick))
            tick()
            book = _load(data, src.name, one_thread=not called.isdisjoint(python))
            tick()  # the engine's loading cannot be interrupted: checked once it returns
            _register(book, functions, "".join(s.xml for s in sheets), pure=pure)
            book.set_temporal_egress("serial")
            formulas, refused = _engine_formulas(
                book, sheets, cells, kept.keys() | cached, tables, tick, python, cuts
            )
            if not refused:
                break
            kept.update(refused)
    evaluate(book, src.name, deadline)
    dynamic = [(s, c.row, c.col) for s in sheets for c in cells[s.name] if c.formula.dynamic]
    computed = [a for a in dynamic if (a[0].name, a[1], a[2]) in formulas]
    while True:  # again while a dynamic array spills below a cut range argument
        _intersect_legacy_arrays(book, sheets, cells, formulas, deadline)
        if not _widen_cuts(book, cuts, computed, anchors, formulas, deadline):
            break
        evaluate(book, src.name, deadline)
    blocked = _block_merged_spills(book, computed, deadline)
    results = _results(book, sheets, cells, formulas, tick)
    kept.update(_circular(results, cells, formulas))
    kept.update(kp.unresolved(results, cells, names))
    report = _report(book, sheets, cells, results, kept, tick)
    assumed = tuple(
        AssumedCell(k[0], sx.format_ref(k[1], k[2]), results[k].formula, why)
        for k, why in reach.assumed
        if k in results
    )
    return replace(report, blocked=blocked, assumed=assumed, cached=len(cached))


def _engine_parts(
    sheets: Sequence[Sheet],
    plain: Mapping[str, str],
    cells: Mapping[str, list[sx.Cell]],
    kept: AbstractSet[tuple[str, int, int]],
    tick: Callable[[], None],
) -> dict[str, bytes]:
    """The sheets as the engine must read them: explicit, the formulas of ``kept`` cells dropped
    (the engine reads their cached values), and the cached values of array members stripped (they
    would block the spill)."""
    parts = {}
    for sheet in sheets:
        tick()
        dropped = frozenset((r, c) for (name, r, c) in kept if name == sheet.name)
        members = {
            rc: sx.CellEdit(None, None)
            for c in cells[sheet.name]
            if c.formula.kind == "array" and (c.row, c.col) not in dropped
            for rc in _array_members(c)
        }
        cut = [c for c in cells[sheet.name] if (c.row, c.col) in dropped and c.span and not c.formula.dynamic]
        xml = sx.without_formulas(plain[sheet.part], [c.span for c in cut if c.span])  # quick; then the rest
        dropped -= {(c.row, c.col) for c in cut}
        if members or dropped:
            xml = sx.rewrite(xml, members, drop_formulas=False, drop_cells=dropped, tick=tick)
        if xml is not sheet.xml:
            parts[sheet.part] = xml.encode()
    return parts


def _load(data: bytes, label: str, *, one_thread: bool) -> fz.Workbook:
    """The engine's workbook from the package bytes; an unreadable one is one line.

    ``one_thread`` when the formulas call Python functions: they hold the interpreter lock, so a
    second engine thread only waits and spins (the hedge comparison's whole recalc: about 10% less
    CPU and wall time on one thread). The engine's parallel scheduler is kept, with one thread,
    because its sequential one never looks at ``cancel`` (the time limit)."""
    config = None
    if one_thread:
        evaluation = fz.EvaluationConfig()
        evaluation.max_threads = 1
        config = fz.WorkbookConfig(eval_config=evaluation)
    with native_output(label):
        try:
            return fz.Workbook.from_bytes(data, backend="umya", config=config)
        except Exception as exc:  # the loader raises assorted types; all mean "unreadable"
            detail = " ".join(str(exc).split())
            raise WorkbookError(f"{label}: the formula engine cannot read it ({detail})") from exc


def _engine_formulas(
    book: fz.Workbook,
    sheets: Sequence[Sheet],
    cells: Mapping[str, list[sx.Cell]],
    kept: AbstractSet[tuple[str, int, int]],
    tables: Sequence[tb.Table] = (),
    tick: Callable[[], None] = sx.no_tick,
    custom: frozenset[str] | set[str] = frozenset(),
    cuts: Cuts | None = None,
) -> tuple[dict[tuple[str, int, int], str], dict[tuple[str, int, int], KeptCell]]:
    """The formula text of every cell the engine computes, its structured references written as
    ranges (:mod:`._tables`), the arguments left out of calls to the ``custom`` functions marked
    (:func:`._formula.mark_omitted`), their range arguments cut to the rows their sheet holds
    (``cuts``, which keeps each such text as it was before) and each CSE array formula wrapped in
    the fitting function so that its result fills its fixed range as Excel does; and the cells whose
    formula the engine refused (an undefined name, say), to keep with the engine's reason (the
    caller loads it again)."""
    formulas: dict[tuple[str, int, int], str] = {}
    refused: dict[tuple[str, int, int], KeptCell] = {}
    if cuts is not None:
        cuts.before.clear()  # from a load the caller gave up
    for sheet in sheets:
        for c in cells[sheet.name]:
            tick()
            key = (sheet.name, c.row, c.col)
            if c.formula.kind == "dataTable" or key in kept:
                continue
            try:
                placed = tb.resolve(c.formula.text, list(tables), sheet.name, c.row, c.col)
                if placed is not c.formula.text:
                    book.set_formula(sheet.name, c.row, c.col, "=" + placed)
                text = book.get_formula(sheet.name, c.row, c.col) or ""
                if (marked := fm.mark_omitted(text.removeprefix("="), custom)) is not None:
                    text = "=" + marked
                    book.set_formula(sheet.name, c.row, c.col, text)
                if (
                    cuts is not None
                    and (cut := cuts.text(sheet.name, text.removeprefix("="), (c.row, c.col))) is not None
                ):
                    cuts.before[key] = text
                    text = "=" + cut
                    book.set_formula(sheet.name, c.row, c.col, text)
                _fit(book, sheet.name, c, text)
            except RuntimeError as exc:  # the engine's error for a formula it cannot take
                detail = " ".join(str(exc).split()).removeprefix("Engine error: ")
                ref = _array_ref(c) if c.formula.kind == "array" else sx.format_ref(c.row, c.col)
                reason = f"the formula engine cannot read it ({detail})"
                refused[key] = KeptCell(sheet.name, ref, "=" + c.formula.text, reason)
                continue
            formulas[key] = text
    return formulas, refused


def _fit(book: fz.Workbook, sheet: str, c: sx.Cell, text: str) -> None:
    """Wrap a CSE array formula's ``text`` in the fitting function (its result fills its range)."""
    if c.formula.kind == "array" and not c.formula.dynamic and text:
        rows, cols = _shape(c)
        book.set_formula(sheet, c.row, c.col, f"={FIT}({text.removeprefix('=')},{rows},{cols})")


def _widen_cuts(
    book: fz.Workbook,
    cuts: Cuts,
    computed: Sequence[tuple[Sheet, int, int]],
    anchors: Mapping[tuple[str, int, int], sx.Cell],
    formulas: dict[tuple[str, int, int], str],
    deadline: Deadline,
) -> bool:
    """Raise the cut range arguments (:mod:`._cut`) over the spills of the ``computed`` dynamic
    arrays and set again the formulas whose text changes; whether one did (evaluate again)."""
    if not cuts.before:
        return False
    spills = []
    for sheet, row, col in computed:
        deadline.check()
        if (extent := _spill_extent(book, sheet.name, row, col)) is not None:
            spills.append((sheet.name, extent))
    if not cuts.widen(spills):
        return False
    changed = False
    for key, before in cuts.before.items():
        source = before.removeprefix("=")
        text = "=" + (cuts.text(key[0], source, key[1:]) or source)
        if text != formulas[key]:
            formulas[key] = text
            book.set_formula(*key, text)
            _fit(book, key[0], anchors[key], text)
            changed = True
    return changed


def _aliases(custom: set[str], sheets: Sequence[Sheet]) -> set[str]:
    """The ``_xldudf_...`` names in the formulas that stand for a custom function."""
    found = {m.group().upper() for s in sheets for m in XLDUDF.finditer(s.xml)}
    return {a for a in found if any(a.endswith("_" + n) for n in custom)}


def _circular(
    results: dict[tuple[str, int, int], CellResult],
    cells: Mapping[str, list[sx.Cell]],
    formulas: Mapping[tuple[str, int, int], str],
) -> dict[tuple[str, int, int], KeptCell]:
    """Cells the engine found in (or reading) a circular reference, taken out of ``results``."""
    kept = {}
    anchors = {(name, c.row, c.col): c for name, found in cells.items() for c in found}
    for key in [k for k, r in results.items() if r.value == CIRCULAR]:
        result = results.pop(key)
        if key not in anchors:  # a member of an array formula: its anchor reports it
            continue
        sheet, row, col = key
        own = [
            a
            for a in fm.areas(formulas[key].removeprefix("="))
            if a[0] in (None, sheet) and a[1] <= row <= a[3] and a[2] <= col <= a[4]
        ]
        if own:
            area = sx.format_ref(own[0][1], own[0][2])
            if own[0][1:3] != own[0][3:5]:
                area += ":" + sx.format_ref(own[0][3], own[0][4])
            reason = f"its range {area} contains its own cell (circular reference)"
        else:
            reason = "circular reference (the cell is in a loop of formulas, or reads one)"
        kept[key] = KeptCell(sheet, result.array_ref or result.ref, result.formula, reason)
    return kept


def _report(
    book: fz.Workbook,
    sheets: Sequence[Sheet],
    cells: Mapping[str, list[sx.Cell]],
    results: dict[tuple[str, int, int], CellResult],
    kept: Mapping[tuple[str, int, int], KeptCell],
    tick: Callable[[], None] = sx.no_tick,
) -> RecalcReport:
    """The report, cells reading a kept cell (however indirectly) marked stale."""
    anchors = {(name, c.row, c.col): c for name, found in cells.items() for c in found}
    todo = []
    for key in kept:
        c = anchors[key]
        if c.formula.kind in ("array", "dataTable"):
            todo += [(key[0], r, k) for r, k in sx.range_cells(_array_ref(c))]
        else:
            todo.append(key)
    seen = set(todo)
    while todo:
        tick()
        for key in _dependents(book, todo.pop()):
            if key not in seen:
                seen.add(key)
                todo.append(key)
    order = {s.name: i for i, s in enumerate(sheets)}
    ordered = sorted(results, key=lambda k: (order[k[0]], k[1], k[2]))
    out = [replace(results[k], stale=True) if k in seen else results[k] for k in ordered]
    kept_sorted = sorted(kept, key=lambda k: (order[k[0]], k[1], k[2]))
    return RecalcReport(tuple(out), tuple(kept[k] for k in kept_sorted))


def _dependents(book: fz.Workbook, key: tuple[str, int, int]) -> list[tuple[str, int, int]]:
    """The cells whose formulas read the cell ``key`` (sheet, row, column), as the engine's graph has them."""
    out = []
    for dependent in book.dependents(_address(*key), max_results=1 << 30).dependents:
        where, _, ref = dependent.cell.rpartition("!")
        out.append((where.strip("'").replace("''", "'"), *sx.parse_ref(ref)))
    return out


def _check_budget(sheets: Sequence[Sheet], label: str, limits: Limits) -> None:
    """Refuse a workbook with more formula cells than the limit allows."""
    formulas = sum(math.prod(_shape(c)) if c.formula.kind == "array" else 1 for s in sheets for c in s.cells)
    if formulas > limits.max_formulas:
        raise WorkbookError(
            f"{label}: {formulas:,} formula cells, more than the {limits.max_formulas:,} recalc allows "
            "(--max-formulas)"
        )


def _shape(cell: sx.Cell) -> tuple[int, int]:
    cells = sx.range_cells(_array_ref(cell))
    return cells[-1][0] - cells[0][0] + 1, cells[-1][1] - cells[0][1] + 1


def _spill_extent(book: fz.Workbook, sheet: str, row: int, col: int) -> str | None:
    spill = book.inspect_cell(_address(sheet, row, col)).cell.spill
    if spill is None or spill.kind != fz.SpillRoleKind.Anchor or not spill.extent:
        return None
    return spill.extent.rpartition("!")[2].replace("$", "")


def _intersect_legacy_arrays(
    book: fz.Workbook,
    sheets: Sequence[Sheet],
    cells: Mapping[str, list[sx.Cell]],
    formulas: Mapping[tuple[str, int, int], str],
    deadline: Deadline,
) -> None:
    """Re-set plain formulas whose result spilled as ``=@(...)``, as Excel 365 reads them."""
    changed = False
    for sheet in sheets:
        for c in cells[sheet.name]:
            deadline.check()
            text = formulas.get((sheet.name, c.row, c.col))
            if not text or c.formula.kind not in ("normal", "shared"):
                continue
            value = from_engine(book.get_value(sheet.name, c.row, c.col))
            blocked = isinstance(value, CellError) and value == "#SPILL!"
            if blocked or _spill_extent(book, sheet.name, c.row, c.col) is not None:
                book.set_formula(sheet.name, c.row, c.col, f"=@({text.removeprefix('=')})")
                changed = True
    if changed:
        evaluate(book, deadline.label, deadline)


def _block_merged_spills(
    book: fz.Workbook, anchors: Sequence[tuple[Sheet, int, int]], deadline: Deadline
) -> tuple[BlockedSpill, ...]:
    """Make every dynamic array (``anchors``: sheet, row, column) whose spill range holds merged
    cells ``#SPILL!``, as Excel does (the engine spills over them): its formula is replaced in the
    engine by one giving the error, and the book evaluated again, so the cells reading it see the
    error and not the spill. Again until no spill meets a merge: a blocked array can change the
    size of another, so of the arrays found in a round only those reading none of the others are
    blocked (:func:`_independent`), the others looked at again once those are errors."""
    sheets = {s.name: s for s, _, _ in anchors}
    merges = {name: [(ref, sx.bounds(ref)) for ref in sx.merged_ranges(s.xml)] for name, s in sheets.items()}
    blocked: dict[tuple[str, int, int], BlockedSpill] = {}
    while True:
        found = {}
        for sheet, row, col in anchors:
            deadline.check()
            key = (sheet.name, row, col)
            extent = None if key in blocked or not merges[sheet.name] else _spill_extent(book, *key)
            if extent is None:
                continue
            r1, c1, r2, c2 = sx.bounds(extent)
            hit = next(
                (
                    ref
                    for ref, (a, b, y, z) in merges[sheet.name]
                    if a <= r2 and r1 <= y and b <= c2 and c1 <= z
                ),
                None,
            )
            if hit is not None:
                found[key] = BlockedSpill(sheet.name, sx.format_ref(row, col), extent, hit)
        if not found:
            break
        found = _independent(book, found, {(s.name, r, c) for s, r, c in anchors}, deadline)
        for name, row, col in found:
            book.set_formula(name, row, col, f"={SPILL_BLOCKED}()")
        blocked.update(found)
        evaluate(book, deadline.label, deadline)
    return tuple(blocked.values())


def _independent(
    book: fz.Workbook,
    found: dict[tuple[str, int, int], BlockedSpill],
    anchors: set[tuple[str, int, int]],
    deadline: Deadline,
) -> dict[tuple[str, int, int], BlockedSpill]:
    """The arrays of ``found`` (spills meeting a merge) that read none of the others, however
    indirectly: their size is final. One that reads another may not spill once that one is
    ``#SPILL!`` (``=IFERROR(A1#*1,"x")`` is then one value), as Excel finds it. The walk goes
    through the engine's dependents of every cell of each spill, and of every spill it reaches
    (``anchors``: the dynamic arrays); with no circular reference, one array at least is kept, and
    where every one reads another (a circular reference) all are, so each round blocks one at least."""
    if len(found) == 1:
        return found
    reading = set()
    for key, spill in found.items():
        todo = [(key[0], r, c) for r, c in sx.range_cells(spill.extent)]
        seen = set(todo)
        while todo:
            deadline.check()
            for cell in _dependents(book, todo.pop()):
                extent = _spill_extent(book, *cell) if cell in anchors else None
                for member in [(cell[0], r, c) for r, c in sx.range_cells(extent)] if extent else [cell]:
                    if member not in seen:
                        seen.add(member)
                        todo.append(member)
        reading |= (seen & found.keys()) - {key}
    kept = {key: spill for key, spill in found.items() if key not in reading}
    return kept or found  # arrays reading one another (a circular reference): block them all


def _results(
    book: fz.Workbook,
    sheets: Sequence[Sheet],
    cells: Mapping[str, list[sx.Cell]],
    formulas: Mapping[tuple[str, int, int], str],
    tick: Callable[[], None] = sx.no_tick,
) -> dict[tuple[str, int, int], CellResult]:
    out: dict[tuple[str, int, int], CellResult] = {}

    def put(sheet: str, row: int, col: int, text: str, array_ref: str | None = None) -> None:
        value = from_engine(book.get_value(sheet, row, col))
        ref = sx.format_ref(row, col)
        out[(sheet, row, col)] = CellResult(sheet, ref, text, value, array_ref)

    for sheet in sheets:
        for c in cells[sheet.name]:
            tick()
            text = formulas.get((sheet.name, c.row, c.col))
            if text is None:
                continue
            if c.formula.kind != "array":
                put(sheet.name, c.row, c.col, text)
                continue
            old = [(c.row, c.col), *_array_members(c)]
            if c.formula.dynamic:
                extent = _spill_extent(book, sheet.name, c.row, c.col)
                new = sx.range_cells(extent) if extent else [(c.row, c.col)]
                array_ref = extent or sx.format_ref(c.row, c.col)
            else:
                new, array_ref = old, _array_ref(c)
            for r, k in old:
                if (r, k) not in new:
                    out[(sheet.name, r, k)] = CellResult(sheet.name, sx.format_ref(r, k), text, None)
            for r, k in new:
                put(sheet.name, r, k, text, array_ref if (r, k) == (c.row, c.col) else None)
    return out


# ---------------------------------------------------------------- writing
