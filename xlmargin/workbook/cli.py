"""The workbook commands of the ``xlmargin`` command line: ``recalc``, ``freeze`` and ``templates``.

``register(subparsers)`` adds them to the main parser. Every failure (an unusable workbook, an
input the engine refuses, a template that cannot be built, a file that cannot be written) is one
line on stderr and exit code 2; nothing is written then, and the input is never overwritten unless
``--in-place`` is given (the write is atomic). An existing output file (``-o``, the default
``IN.recalc.xlsx``, a template in the ``--out`` folder) is refused unless ``--force`` is given.

- ``xlmargin recalc IN.xlsx [-o OUT.xlsx | --in-place]`` evaluates xlmargin's formulas and those
  that read their results (or have no cached value), writes the values as the cells' cached values
  (to ``IN.recalc.xlsx`` beside the input by default; every other formula keeps Excel's value)
  and prints the results: the workbook's report ranges (the defined names
  ``xlmReport1``, ``xlmReport2``... that the templates carry) as text tables, or else one line per
  xlmargin cell. ``--template NAME`` recalculates a bundled template instead of a file.
  A cell the engine cannot compute (a function it lacks such as another add-in's ``BDP``, a link
  to another workbook, a circular reference) is listed with the cells that read it, and nothing is
  written (exit 2) unless ``--allow-stale``: then it keeps its cached value and its readers are
  computed from that value. ``--max-cells``, ``--max-formulas`` and ``--timeout`` (the whole
  run, scans and writing included) bound the work.
  Cells where an xlmargin function failed (``#INPUT row 4 of the range, price: ...``) or whose table cannot
  spill (``#SPILL!``: a non-empty or merged cell in the way) are listed on stderr and the exit
  code is 1, the workbook written all the same (to look at); ``freeze`` does the same. A report
  range is read cut to the cells its sheet holds (:func:`~xlmargin.workbook.ranges.named_ranges`);
  one still larger than ``--max-cells``, or read past ``--timeout``, is not printed, said on
  stderr, and the exit code is 1 too: the workbook is written.
- ``xlmargin freeze IN.xlsx -o OUT.xlsx``: the same values, with every formula removed, for a reader
  without the add-in.
- ``xlmargin templates [--out DIR]``: writes the template workbooks (default ``./workbooks``).

The worksheet functions run through :func:`xlmargin.excel.route.call` on the classic route, so a
cell whose function fails holds one line of text (``#INPUT row 4 of the range, price: ...``), never a
traceback.
They are pure (the same arguments give the same value), so each distinct call runs once per
recalculation: the cells that each read one cell of ``INDEX(PM_SCENARIOS(...), r, c)`` share one
grid. The report ranges are read back from the written file with :mod:`xlmargin.workbook.ranges`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xlmargin.cliargs import BAD_INPUT, EXIT_CODES, SOME_FAILED, amount_of, count_above_zero
from xlmargin.errors import XlMarginError, first_cause, is_error_text
from xlmargin.excel import registry, route
from xlmargin.files import refuse_existing, resolved
from xlmargin.textable import fmt, render
from xlmargin.workbook import Limits, RecalcReport, StaleError, WorkbookError, freeze, recalc
from xlmargin.workbook._engine import Deadline
from xlmargin.workbook._sheetxml import format_ref, range_cells
from xlmargin.workbook.ranges import Shown, TooLarge, named_ranges
from xlmargin.workbook.safety import open_workbook_zip

MAX_LISTED = 40  # xlmargin cells listed for a workbook without report ranges, and error cells shown
# The report ranges' names, as the templates write them (xlmargin.templates.model.REPORT_PREFIX, which
# a test checks this equals): importing the templates here would load openpyxl, for one word.
REPORT_PREFIX = "xlmReport"


class _TemplateFailure(Exception):
    """Stands for TemplateError until the templates are imported (only when a command needs them)."""


def _failures() -> tuple[type[BaseException], ...]:
    templates = sys.modules.get("xlmargin.templates")
    failure = _TemplateFailure if templates is None else templates.TemplateError
    return (WorkbookError, XlMarginError, failure, OSError)


def worksheet_functions(failed: dict[str, str] | None = None) -> dict[str, Callable[..., object]]:
    """Every registry function by name, each mapping its errors to one ``#CODE ...`` text line.

    With ``failed``, each call that returns error text also records it there (function name → its
    first error), whatever the formula around the call makes of it: ``MATCH`` over a failed table
    shows ``#N/A``, ``COUNT`` of it 0, and neither holds the text (:func:`_xlmargin_failures`)."""

    def bind(name: str) -> Callable[..., object]:
        if failed is None:
            return lambda *args: route.call(name, *args)

        def call(*args: object) -> object:
            value = route.call(name, *args)
            if is_error_text(value):
                failed.setdefault(name, str(value))
            return value

        return call

    return {name: bind(name) for name in registry.BY_NAME}


# --- inputs and outputs ----------------------------------------------------------------------------


@contextmanager
def _source(args: argparse.Namespace) -> Iterator[Path]:
    """The workbook to read: the FILE argument, or the named template built into a temp folder."""
    if args.template is None:
        if args.file is None:
            raise WorkbookError("give a workbook file or --template NAME")
        yield _workbook_file(Path(args.file), getattr(args, "command", None) or "recalc")
        return
    if args.file is not None:
        raise WorkbookError("give a workbook file or --template NAME, not both")
    from xlmargin.templates import TEMPLATES, write

    if args.template not in TEMPLATES:
        known = ", ".join(sorted(TEMPLATES))
        raise WorkbookError(f"no template {args.template!r}; the templates are {known}")
    with tempfile.TemporaryDirectory(prefix="xlmargin-template-") as folder:
        book = TEMPLATES[args.template]
        yield write(book, Path(folder) / f"{book.name}.xlsx", worksheet_functions())


# Files that hold positions, not a workbook: the commands that read them are named at once
_POSITIONS_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xml", ".json"})


def _workbook_file(path: Path, command: str) -> Path:
    """``path``, refused at once (before its output is looked at) when it is no .xlsx/.xlsm workbook:
    a positions file is told the commands that read one."""
    suffix = path.suffix.lower()
    if suffix in _POSITIONS_SUFFIXES:
        raise WorkbookError(
            f"{path.name}: {command} takes an Excel workbook (.xlsx or .xlsm); for a positions file use "
            f"`xlmargin margin {path.name}` (or whatif, hedge, plan, batch)"
        )
    if suffix not in (".xlsx", ".xlsm"):
        open_workbook_zip(path).close()  # anything else is looked at: a workbook under another name
    return path


def _default_output(args: argparse.Namespace, source: Path) -> Path:
    """``IN.recalc.xlsx`` beside the input; for a template, in the current folder."""
    folder = Path.cwd() if args.template is not None else source.parent
    return folder / f"{source.stem}.recalc{source.suffix}"


# --- printing --------------------------------------------------------------------------------------

_CALL = re.compile(
    r"\b(?:_xldudf_\w*?_)?(" + "|".join(sorted(registry.BY_NAME, key=len, reverse=True)) + r")\s*\(",
    re.IGNORECASE,
)


def _is_error(value: object) -> bool:
    """An Excel error value (``#N/A``, ``#VALUE!``...); an xlmargin function's error text is
    listed apart (:func:`_failed`)."""
    return isinstance(value, str) and value.startswith("#") and not is_error_text(value)


def _xlmargin_failures(report: RecalcReport, calls: dict[str, str]) -> dict[str, str]:
    """Where an xlmargin function failed, with what to show: each cell holding its error text; each
    cell with an Excel error value (``#REF!`` from ``INDEX`` of the one-cell text where a table was
    expected, ``#N/A`` from ``MATCH`` over it, ``#VALUE!`` from arithmetic on it) whose formula
    calls a function that failed in this recalculation (``calls``: name → first error, from
    :func:`worksheet_functions`; by function, not by cell, which the engine does not say: a formula's
    own error beside a failed call of the same function elsewhere is listed too, and the exit code
    is 1 either way); and each failed function no such cell shows (a ``COUNT`` of a
    failed table gives 0). Where no call failed, an error value is the workbook's own (``NA()`` for
    a chart's gaps, a division by zero, arithmetic on text), whatever the formula calls. An
    xlmargin cell showing ``#SPILL!`` (its table cannot spill: a cell in the way is not empty or
    is merged) is listed too, with why: its figures are nowhere in the workbook."""
    failed = {f"{c.sheet}!{c.ref}": str(c.value) for c in report.cells if is_error_text(c.value)}
    shown = set()  # the functions whose failure a listed cell shows
    for where, name, _, value in _xlmargin_cells(report):
        if is_error_text(value):
            shown.add(name)
        elif name in calls and _is_error(value) and where not in failed:
            failed[where] = f"{value} in a formula calling {name}, which failed: {calls[name]}"
            shown.add(name)
        elif value == SPILL and where not in failed:
            failed[where] = f"{SPILL} {name}'s table cannot spill: {_spill_reason(report, where)}"
    for name, error in calls.items():
        if name not in shown:
            failed[f"{name}(...)"] = f"failed inside a formula whose cell shows a value: {error}"
    return failed


SPILL = "#SPILL!"


def _spill_reason(report: RecalcReport, where: str) -> str:
    """Why the array anchored at ``where`` (``Sheet!A1``) shows ``#SPILL!``, as Excel says it."""
    for b in report.blocked:
        if f"{b.sheet}!{b.ref}" == where:
            return f"{b.reason}; Excel shows #SPILL! there too (unmerge them or move the formula)"
    return "a cell in its spill range is not empty (clear it or move the formula)"


def _failed(report: RecalcReport, written: Path, calls: dict[str, str]) -> int:
    """The exit code once ``written`` is written: 1 (:data:`SOME_FAILED`) when an xlmargin function
    failed (:func:`_xlmargin_failures`), each cell listed on stderr with the error's first line, or,
    when they are more than :data:`MAX_LISTED`, grouped by the error they quote (one bad input
    cell fails every formula that reads the table: each cause once, with the first cells it
    fails); else 0."""
    failed = _xlmargin_failures(report, calls)
    if not failed:
        return 0
    if any(where.endswith("(...)") for where in failed):  # a call whose cell shows no error
        what = f"{len(failed)} xlmargin {'failure' if len(failed) == 1 else 'failures'}"
    else:
        what = f"{len(failed)} {'cell holds' if len(failed) == 1 else 'cells hold'} an xlmargin error"
    if len(failed) <= MAX_LISTED:
        print(f"xlmargin: {what} (written to {written}):", file=sys.stderr)
        for where, error in failed.items():
            print(f"  {where}: {error.strip().splitlines()[0]}", file=sys.stderr)
        return SOME_FAILED
    causes: dict[str, list[str]] = {}
    for where, error in failed.items():
        causes.setdefault(first_cause(error), []).append(where)
    print(f"xlmargin: {what} (written to {written}), from {_count(len(causes), 'cause')}:", file=sys.stderr)
    for cause, cells in list(causes.items())[:MAX_LISTED]:
        named = ", ".join(cells[:_CELLS_PER_CAUSE])
        more = f" and {len(cells) - _CELLS_PER_CAUSE} more" if len(cells) > _CELLS_PER_CAUSE else ""
        print(f"  {cause}\n    in {_count(len(cells), 'cell')}: {named}{more}", file=sys.stderr)
    if len(causes) > MAX_LISTED:
        print(f"  ... and {len(causes) - MAX_LISTED} more causes", file=sys.stderr)
    return SOME_FAILED


_CELLS_PER_CAUSE = 5  # cells named under each cause when the failures are too many to list one by one


def _count(n: int, noun: str) -> str:
    """``1 cell``, ``644 cells``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _xlmargin_cells(report: RecalcReport) -> list[tuple[str, str, bool, object]]:
    """(where, function, is an array, value) of each xlmargin formula cell; an array counts once."""
    members = {
        (c.sheet, format_ref(row, col))
        for c in report.cells
        if c.array_ref is not None
        for row, col in range_cells(c.array_ref)
        if format_ref(row, col) != c.ref
    }
    out = []
    for cell in report.cells:
        match = _CALL.search(cell.formula)
        if match is None or (cell.sheet, cell.ref) in members:
            continue
        where = f"{cell.sheet}!{cell.array_ref or cell.ref}"
        out.append((where, match.group(1).upper(), cell.array_ref is not None, cell.value))
    return out


def _report_rows(
    path: Path, max_cells: int, tick: Callable[[], None]
) -> list[tuple[str, list[list[Any]] | TooLarge]]:
    """The workbook's report ranges (``xlmReport1``, ``xlmReport2``... in order), read back as
    (title, rows), each cut to the cells its sheet stores (one reaching the sheet's last row or
    column to its last value); percent columns are scaled to %. One with more
    cells than ``max_cells`` comes unread (:class:`TooLarge`)."""
    numbered = re.compile(rf"{REPORT_PREFIX}(\d+)", re.IGNORECASE)
    found = sorted(
        (int(m.group(1)), i, title, rows)
        for i, (name, title, rows) in enumerate(named_ranges(path, numbered, max_cells=max_cells, tick=tick))
        if (m := numbered.fullmatch(name))
    )
    return [(title, rows if isinstance(rows, TooLarge) else _as_table(rows)) for _, _, title, rows in found]


def _as_table(cells: list[list[Shown]]) -> list[list[Any]]:
    """Values of a header + body range, every number a float as Excel holds it (the file writes
    ``1000`` without a point, read back as an int) but a whole one in a count's format (``#,##0``),
    which prints whole; a column whose numbers all show as % is given in %."""
    rows: list[list[Any]] = [[_as_number(c) for c in row] for row in cells]
    for j in range(len(rows[0]) if rows else 0):
        body = [row[j] for row in cells[1:] if isinstance(row[j].value, int | float)]
        if body and all("%" in (c.number_format or "") for c in body):
            rows[0][j] = f"{rows[0][j]} (%)"
            for row in rows[1:]:
                if isinstance(row[j], int | float) and not isinstance(row[j], bool):
                    row[j] = 100.0 * row[j]
    return rows


_WHOLE_FORMATS = ("0", "#,##0")  # a count's or a row number's format: shown whole


def _as_number(cell: Shown) -> object:
    value = cell.value
    if value is None:
        return ""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    if cell.number_format in _WHOLE_FORMATS and float(value).is_integer():
        return int(value)
    return float(value)


def _split_wide(rows: list[list[Any]], width: int) -> list[list[list[Any]]]:
    """Column groups that each fit ``width`` when rendered, every group led by the first column."""
    groups: list[list[int]] = []
    current: list[int] = []
    for j in range(1, len(rows[0])):
        trial = [0, *current, j]
        if current and max(map(len, render([[r[i] for i in trial] for r in rows]).splitlines())) > width:
            groups.append(current)
            current = [j]
        else:
            current.append(j)
    groups.append(current)
    return [[[r[i] for i in (0, *group)] for r in rows] for group in groups]


def _print_results(
    path: Path, report: RecalcReport, source: str, calls: dict[str, str], deadline: Deadline, max_cells: int
) -> bool:
    """Print the results of the recalculation written to ``path``; whether a report range could
    not be printed (too large for ``max_cells``, past the deadline, out of memory), said on stderr."""
    cells = _xlmargin_cells(report)
    failed = _xlmargin_failures(report, calls)  # listed on stderr (_failed), not here again
    errors = [
        c for c in report.cells if _is_error(c.value) and f"{c.sheet}!{c.array_ref or c.ref}" not in failed
    ]
    unchanged = (
        f"; {report.cached} kept Excel's cached values (no xlmargin result in them)" if report.cached else ""
    )
    counts = f"{len(report.cells)} formula cells recalculated ({len(cells)} xlmargin){unchanged}"
    print(f"{source}: {counts} -> {path}")
    _print_assumed(report)
    unprinted = False
    try:
        reports = _report_rows(path, max_cells, deadline.check)
    except (WorkbookError, MemoryError) as exc:  # the workbook is written: exit code 1, not 2
        reason = str(exc) or "out of memory"
        print(
            f"xlmargin: {path} is written, but its report ranges are not printed: {reason}", file=sys.stderr
        )
        reports, unprinted = [], True
    width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 120
    for title, rows in reports:
        if isinstance(rows, TooLarge):
            print(
                f"xlmargin: report range {title} is not printed: {rows.cells:,} cells from its first cell to "
                f"the last its sheet stores, over the {max_cells:,} recalc allows (--max-cells)",
                file=sys.stderr,
            )
            unprinted = True
            continue
        print(f"\n{title}")
        print("\n\n".join(render(part) for part in (_split_wide(rows, width) if rows else [])))
    if not reports:
        print()
        for where, name, is_array, value in cells[:MAX_LISTED]:
            shown = f"array, first cell {fmt(value)}" if is_array else fmt(value)
            print(f"  {where:<28} {name:<16} {shown}")
        if len(cells) > MAX_LISTED:
            print(f"  ... and {len(cells) - MAX_LISTED} more")
    if errors:
        print(f"\n{len(errors)} cells hold an Excel error value:")
        blocked = {(b.sheet, b.ref): b.reason for b in report.blocked}
        for c in errors[:MAX_LISTED]:
            why = blocked.get((c.sheet, c.ref))
            print(f"  {c.sheet}!{c.ref}: {c.value}" + (f" ({why})" if why else ""))
    _print_stale(report, sys.stdout)
    return unprinted


def _print_assumed(report: RecalcReport) -> None:
    """A note on stderr naming the cells recalculated because what they read cannot be told."""
    if not report.assumed:
        return
    print(
        f"xlmargin: note: {len(report.assumed)} formula cells recalculated as if they read an xlmargin "
        "result (what they read cannot be told from the formula):",
        file=sys.stderr,
    )
    for a in report.assumed[:MAX_LISTED]:
        print(f"  {a.sheet}!{a.ref}: {a.reason}", file=sys.stderr)
    if len(report.assumed) > MAX_LISTED:
        print(f"  ... and {len(report.assumed) - MAX_LISTED} more", file=sys.stderr)


def _print_stale(report: RecalcReport, out: Any) -> None:
    """The cells kept at their cached values, with why, and the cells that read them."""
    if report.kept:
        print(f"\n{len(report.kept)} cells kept their cached values (cannot be computed here):", file=out)
        for k in report.kept[:MAX_LISTED]:
            print(f"  {k.sheet}!{k.ref}: {k.reason}", file=out)
        if len(report.kept) > MAX_LISTED:
            print(f"  ... and {len(report.kept) - MAX_LISTED} more", file=out)
    stale = report.stale
    if stale:
        print(f"{len(stale)} cells read them (stale):", file=out)
        shown = ", ".join(f"{c.sheet}!{c.ref}" for c in stale[:MAX_LISTED])
        more = f" ... and {len(stale) - MAX_LISTED} more" if len(stale) > MAX_LISTED else ""
        print(f"  {shown}{more}", file=out)


# --- commands ----------------------------------------------------------------------------------------


def _fail(exc: BaseException) -> int:
    if isinstance(exc, BrokenPipeError):  # the reader of our output went away: the CLI ends quietly
        raise exc
    message = exc.summary() if isinstance(exc, XlMarginError) else str(exc)
    print(f"xlmargin: {' '.join(message.split())}", file=sys.stderr)
    if isinstance(exc, StaleError):
        _print_stale(exc.report, sys.stderr)
    return BAD_INPUT


def _refuse_existing(target: Path, source: Path, force: bool) -> None:
    """An existing output is replaced only with ``--force`` (the input itself: ``--in-place``,
    which :func:`xlmargin.workbook.recalc` says)."""
    if resolved(target) != resolved(source):
        refuse_existing(target, force)


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(max_cells=args.max_cells, max_formulas=args.max_formulas, seconds=args.timeout)


def cmd_recalc(args: argparse.Namespace) -> int:
    """``xlmargin recalc``: recalculate into a new file (or in place) and print the results."""
    calls: dict[str, str] = {}
    start = time.monotonic()  # --timeout bounds the printing of the report ranges too
    try:
        if args.in_place and args.template is not None:
            raise WorkbookError("--in-place needs a workbook file, not a template")
        with _source(args) as source:
            target = source if args.in_place else Path(args.output or _default_output(args, source))
            if not args.in_place:
                _refuse_existing(target, source, args.force)
            report = recalc(
                source,
                None if args.in_place else target,
                worksheet_functions(calls),
                in_place=args.in_place,
                allow_stale=args.allow_stale,
                limits=_limits(args),
                pure=True,
            )
            label = args.template or source.name
            deadline = Deadline(label, args.timeout, start)
            unprinted = _print_results(target, report, label, calls, deadline, args.max_cells)
    except _failures() as exc:
        return _fail(exc)
    return max(_failed(report, target, calls), SOME_FAILED if unprinted else 0)


def cmd_freeze(args: argparse.Namespace) -> int:
    """``xlmargin freeze``: a values-only copy."""
    calls: dict[str, str] = {}
    try:
        with _source(args) as source:
            _refuse_existing(Path(args.output), source, args.force)
            report = freeze(
                source,
                Path(args.output),
                worksheet_functions(calls),
                allow_stale=args.allow_stale,
                limits=_limits(args),
                pure=True,
            )
    except _failures() as exc:
        return _fail(exc)
    errors = sum(_is_error(c.value) for c in report.cells)
    total = len(report.cells) + report.cached
    cached = (
        f" ({report.cached} at Excel's cached values: no xlmargin result in them)" if report.cached else ""
    )
    print(f"{args.template or Path(args.file).name}: {total} formula cells replaced by their "
          f"values{cached} -> {args.output}")  # fmt: skip
    _print_assumed(report)
    if errors:
        print(f"{errors} of them hold an Excel error value; recalc lists them")
    return _failed(report, Path(args.output), calls)


def cmd_templates(args: argparse.Namespace) -> int:
    """``xlmargin templates``: write every template workbook."""
    from xlmargin.templates import TEMPLATES, write_all

    try:
        paths = write_all(TEMPLATES.values(), Path(args.out), worksheet_functions(), force=args.force)
    except _failures() as exc:
        return _fail(exc)
    for path in paths:
        print(path)
    return 0


def register(subparsers: Any) -> None:
    """Add ``recalc``, ``freeze`` and ``templates`` to the ``xlmargin`` parser's subparsers."""
    default = Limits()

    cells, formulas = count_above_zero("max_cells"), count_above_zero("max_formulas")
    seconds = amount_of("timeout", "is not a number of seconds above 0")

    def source_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="the workbook (.xlsx or .xlsm)")
        parser.add_argument(
            "--template",
            metavar="NAME",
            help="use a bundled template workbook instead of a file (an unknown NAME lists them)",
        )
        parser.add_argument(
            "--allow-stale",
            action="store_true",
            help="write even if some cells cannot be computed here (they keep their cached values)",
        )
        parser.add_argument(
            "--max-cells", type=cells, default=default.max_cells, metavar="N",
            help=f"refuse a workbook with more cells (default {default.max_cells:,})",
        )  # fmt: skip
        parser.add_argument(
            "--max-formulas", type=formulas, default=default.max_formulas, metavar="N",
            help=f"refuse a workbook with more formula cells (default {default.max_formulas:,})",
        )  # fmt: skip
        parser.add_argument(
            "--timeout", type=seconds, default=default.seconds, metavar="SECONDS",
            help=f"stop a recalculation that takes longer (default {default.seconds:g} s)",
        )  # fmt: skip

    recalc_parser = subparsers.add_parser(
        "recalc",
        help="recalculate a workbook's formulas headlessly and print the results",
        description="Evaluate the xlmargin formulas and the formulas that read their results, store the "
        "values in the workbook (every other formula keeps Excel's cached value) and print its report "
        "tables. Writes IN.recalc.xlsx beside the input unless -o or --in-place.",
        epilog=EXIT_CODES,
    )
    source_arguments(recalc_parser)
    output = recalc_parser.add_mutually_exclusive_group()
    output.add_argument("-o", "--output", help="the recalculated workbook to write")
    output.add_argument("--in-place", action="store_true", help="update the input file itself (atomically)")
    recalc_parser.add_argument("--force", action="store_true", help="replace an existing output file")
    recalc_parser.set_defaults(handler=cmd_recalc)

    freeze_parser = subparsers.add_parser(
        "freeze",
        help="write a values-only copy for readers without the add-in",
        description="Recalculate, then write a copy in which every formula is replaced by its value.",
        epilog=EXIT_CODES,
    )
    source_arguments(freeze_parser)
    freeze_parser.add_argument("-o", "--output", required=True, help="the values-only workbook to write")
    freeze_parser.add_argument("--force", action="store_true", help="replace an existing output file")
    freeze_parser.set_defaults(handler=cmd_freeze)

    templates_parser = subparsers.add_parser(
        "templates",
        help="write the template workbooks",
        description="Write the template workbooks from their specs.",
    )
    templates_parser.add_argument("--out", default="workbooks", help="the folder (default: ./workbooks)")
    templates_parser.add_argument(
        "--force", action="store_true", help="replace template workbooks already in the folder"
    )
    templates_parser.set_defaults(handler=cmd_templates)


__all__ = ["cmd_freeze", "cmd_recalc", "cmd_templates", "register", "worksheet_functions"]
