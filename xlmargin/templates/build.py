"""The generator: turns a :class:`~xlmargin.templates.model.Book` into an .xlsx with openpyxl.

It writes cells, array formulas, Excel Tables, defined names, charts, styles, number formats,
column widths, frozen panes, print setup and, on every sheet with formulas, a conditional format
that turns red any cell whose text starts with ``#`` (an error line from a worksheet function) or
that holds an Excel error value.

Before a template is saved, each array formula is checked against its result: the workbook is
recalculated headlessly with probe cells (far right on the array's own sheet, so references mean the
same) holding ``ROWS``/``COLUMNS`` of every array formula, and
a range that is not exactly the result's shape is a :class:`TemplateError` (a CSE range too small
silently cuts the result; too large shows ``#N/A``).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart import Series as ChartSeries
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils.cell import coordinate_from_string, get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.files import atomic_output, refuse_existing
from xlmargin.templates.model import REPORT_PREFIX, Array, Book, Cell, Chart, Sheet, Style, Table
from xlmargin.workbook import recalculate

Functions = Mapping[str, Callable[..., object]]

_PROBE_COLUMNS = ("XFA", "XFB", "XFC")  # far right of the sheet: the probe formulas' rows and columns
_THIN = Side(style="thin", color="A6A6A6")
_FONTS: dict[Style, Font] = {
    "title": Font(bold=True, size=14, color="1F3864"),
    "subtitle": Font(italic=True, color="595959"),
    "header": Font(bold=True, color="FFFFFF"),
    "group": Font(bold=True, color="FFFFFF"),
    "section": Font(bold=True, size=11, color="1F4E78"),
    "label": Font(bold=True, color="262626"),
    "input": Font(color="1F3864"),
    "value": Font(color="000000"),
    "note": Font(size=9, color="404040"),
    "aside": Font(size=9, italic=True, color="595959"),
    "result": Font(color="000000"),
}
_FILLS: dict[Style, PatternFill] = {
    "header": PatternFill("solid", fgColor="1F4E78"),
    "group": PatternFill("solid", fgColor="2E75B6"),
    "input": PatternFill("solid", fgColor="FFF2CC"),
}
_ALIGN: dict[Style, Alignment] = {
    "header": Alignment(horizontal="center", vertical="center", wrap_text=True),
    "group": Alignment(horizontal="centerContinuous", vertical="center"),
    "label": Alignment(vertical="top", wrap_text=True),
    "note": Alignment(vertical="top", wrap_text=True),
    "aside": Alignment(vertical="top"),
    "result": Alignment(vertical="top"),
    "input": Alignment(horizontal="left", vertical="top"),
    "value": Alignment(horizontal="left", vertical="top"),
}
_ERROR_STYLE = DifferentialStyle(
    font=Font(color="9C0006", bold=True), fill=PatternFill("solid", bgColor="FFC7CE", fgColor="FFC7CE")
)


class TemplateError(Exception):
    """A template cannot be built as specified; the message is one line."""


# --- cells -------------------------------------------------------------------------------------------


def _style(ws: Worksheet, ref: str, style: Style | None, fmt: str | None) -> None:
    cell = ws[ref]
    if style is not None:
        cell.font = _FONTS[style]
        if style in _FILLS:
            cell.fill = _FILLS[style]
        if style in _ALIGN:
            cell.alignment = _ALIGN[style]
        if style == "input":
            cell.border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
    if fmt is not None:
        cell.number_format = fmt


def _cell(ws: Worksheet, spec: Cell) -> None:
    ws[spec.ref] = spec.value
    _style(ws, spec.ref, spec.style, spec.fmt)


def _array(ws: Worksheet, spec: Array) -> None:
    """A fixed-shape output over its explicit range. With ``spec.cse`` one legacy array formula;
    otherwise one ``=INDEX(formula, i, j)`` per cell, which every viewer shows from its cached value
    (LibreOffice recomputes array formulas on load, and without the add-in that is #NAME?); the
    shared results cache makes the repeated calls one computation."""
    min_col, min_row, max_col, max_row = range_boundaries(spec.ref)
    inner = spec.formula.removeprefix("=")
    if spec.cse:
        ws[spec.ref.split(":")[0]] = ArrayFormula(spec.ref, spec.formula)
    for row in range(min_row, max_row + 1):
        for col in range(min_col, max_col + 1):
            letter = get_column_letter(col)
            ref = f"{letter}{row}"
            if not spec.cse:
                at = f"INDEX({inner},{row - min_row + 1},{col - min_col + 1})"
                first = (row, col) == (min_row, min_col)
                # a failed function's one cell (its error text) in every cell, not #REF!
                ws[ref] = (
                    f"=IFERROR({at},INDEX({inner},1,1))" if spec.errors_everywhere and not first else f"={at}"
                )
            _style(ws, ref, spec.style, spec.formats.get(letter, spec.fmt))
            if spec.header and row == min_row:
                ws[ref].font = Font(bold=True)
                ws[ref].border = Border(bottom=_THIN)
                ws[ref].alignment = Alignment(wrap_text=True, vertical="bottom")


def _table(ws: Worksheet, spec: Table) -> None:
    min_col, min_row, _, _ = range_boundaries(spec.anchor)
    for j, title in enumerate(spec.header):
        ws.cell(min_row, min_col + j, title)
    for i, values in enumerate(spec.rows, start=1):
        for j, value in enumerate(values):
            cell = ws.cell(min_row + i, min_col + j, value)
            cell.alignment = Alignment(vertical="top")
            fmt = spec.formats.get(spec.header[j])
            if fmt is not None:
                cell.number_format = fmt
    last = f"{get_column_letter(min_col + len(spec.header) - 1)}{min_row + len(spec.rows)}"
    table = ExcelTable(displayName=spec.name, ref=f"{spec.anchor}:{last}")
    table.tableStyleInfo = TableStyleInfo(name=spec.style, showRowStripes=True)
    ws.add_table(table)


def _reference(book: Workbook, ref: str) -> Reference:
    sheet, _, cells = ref.partition("!")
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return Reference(book[sheet.strip("'")], min_col, min_row, max_col, max_row)


def _chart(book: Workbook, ws: Worksheet, spec: Chart) -> None:
    chart: LineChart | BarChart
    if spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar"
        chart.varyColors = False
    chart.title = spec.title
    chart.width, chart.height = spec.width_cm, spec.height_cm
    for series in spec.series:
        chart.series.append(ChartSeries(_reference(book, series.values), title=series.title))
    chart.set_categories(_reference(book, spec.categories))
    chart.x_axis.title = spec.x_title or None
    chart.y_axis.title = spec.y_title or None
    chart.y_axis.numFmt = spec.y_format
    chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    chart.y_axis.delete = False
    chart.x_axis.tickLblPos = "low"  # category labels below the plot, not on the zero line
    if spec.kind == "bar":
        chart.x_axis.scaling.orientation = "maxMin"  # first category on top, as in the table
        chart.y_axis.crosses = "max"  # ... which keeps the value axis at the bottom
    chart.legend.position = "b"
    ws.add_chart(chart, spec.anchor)


def _formula_extent(sheet: Sheet) -> str | None:
    """The smallest range holding every formula of the sheet (for the error highlighting)."""
    boxes = [range_boundaries(a.ref) for a in sheet.arrays]
    boxes += [
        range_boundaries(c.ref) for c in sheet.cells if isinstance(c.value, str) and c.value.startswith("=")
    ]
    if not boxes:
        return None
    min_col = min(b[0] for b in boxes)
    min_row = min(b[1] for b in boxes)
    max_col = max(b[2] for b in boxes)
    max_row = max(b[3] for b in boxes)
    return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"


def _flag_errors(ws: Worksheet, extent: str) -> None:
    top_left = extent.split(":")[0]
    ws.conditional_formatting.add(
        extent,
        Rule(
            type="beginsWith",
            operator="beginsWith",
            text="#",
            dxf=_ERROR_STYLE,
            formula=[f'LEFT({top_left},1)="#"'],
        ),
    )
    ws.conditional_formatting.add(
        extent, Rule(type="containsErrors", dxf=_ERROR_STYLE, formula=[f"ISERROR({top_left})"])
    )


# Wrapped text: characters per unit of column width, and points per line, by style
_CHARS_PER_WIDTH: dict[Style, float] = {"note": 1.2, "label": 1.0, "header": 1.0}
_LINE_POINTS: dict[Style, float] = {"note": 12.0, "label": 15.0, "header": 15.0}
_DEFAULT_WIDTH = 8.43


def _fit_rows(ws: Worksheet, spec: Sheet) -> None:
    """Give each row with wrapped text the height its longest cell needs (unless the spec sets one)."""
    needed: dict[int, float] = {}
    for cell in spec.cells:
        if (
            cell.style not in _CHARS_PER_WIDTH
            or not isinstance(cell.value, str)
            or cell.value.startswith("=")
        ):
            continue
        letter, row = coordinate_from_string(cell.ref)
        per_line = max(1, int(spec.widths.get(letter, _DEFAULT_WIDTH) * _CHARS_PER_WIDTH[cell.style]))
        lines = sum(max(1, math.ceil(len(part) / per_line)) for part in cell.value.split("\n"))
        if lines > 1:
            needed[row] = max(needed.get(row, 0.0), lines * _LINE_POINTS[cell.style] + 3.0)
    for row, height in needed.items():
        if row not in spec.heights:
            ws.row_dimensions[row].height = height


def _sheet(ws: Worksheet, spec: Sheet) -> None:
    for table in spec.tables:
        _table(ws, table)
    for cell in spec.cells:
        _cell(ws, cell)
    for array in spec.arrays:
        _array(ws, array)
    for letter, width in spec.widths.items():
        ws.column_dimensions[letter].width = width
    for row, height in spec.heights.items():
        ws.row_dimensions[row].height = height
    _fit_rows(ws, spec)
    if spec.freeze:
        ws.freeze_panes = spec.freeze
    extent = _formula_extent(spec)
    if extent is not None:
        _flag_errors(ws, extent)
    ws.page_setup.orientation = "landscape" if spec.landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def workbook(book: Book, *, probe: bool = False) -> Workbook:
    """The openpyxl workbook of ``book``; with ``probe``, plus cells sizing every array formula."""
    wb = Workbook()
    wb.remove(wb.active)
    for spec in book.sheets:
        _sheet(wb.create_sheet(spec.title), spec)
    for spec in book.sheets:
        for chart in spec.charts:
            _chart(wb, wb[spec.title], chart)
    for name in book.names:
        wb.defined_names[name.name] = DefinedName(name.name, attr_text=name.ref)
    for i, ref in enumerate(book.reports, start=1):
        wb.defined_names[f"{REPORT_PREFIX}{i}"] = DefinedName(f"{REPORT_PREFIX}{i}", attr_text=ref)
    wb.properties.creator = "xlmargin templates"
    wb.properties.title = book.name
    wb.calculation.fullCalcOnLoad = True
    if probe:
        for i, (sheet, array) in enumerate(_arrays(book), start=1):
            expr = array.formula.removeprefix("=")  # evaluated on the array's own sheet: same references
            ws = wb[sheet]
            for col, probe_formula in zip(
                _PROBE_COLUMNS, (f"=ROWS({expr})", f"=COLUMNS({expr})", f"=INDEX({expr},1,1)")
            ):
                ws[f"{col}{i}"] = probe_formula
    return wb


def _arrays(book: Book) -> list[tuple[str, Array]]:
    return [(sheet.title, array) for sheet in book.sheets for array in sheet.arrays]


def check_shapes(book: Book, functions: Functions) -> None:
    """Raise :class:`TemplateError` when an array formula's range is not its result's shape."""
    arrays = _arrays(book)
    if not arrays:
        return
    with tempfile.TemporaryDirectory(prefix="xlmargin-probe-") as folder:
        path = Path(folder) / f"{book.name}.xlsx"
        workbook(book, probe=True).save(path)
        report = recalculate(path, functions)
    for i, (sheet, array) in enumerate(arrays, start=1):
        rows, cols, first = (report.value(sheet, f"{col}{i}") for col in _PROBE_COLUMNS)
        min_col, min_row, max_col, max_row = range_boundaries(array.ref)
        if (rows, cols) != (max_row - min_row + 1, max_col - min_col + 1):
            shape = "×".join(f"{n:g}" if isinstance(n, float) else repr(n) for n in (rows, cols))
            raise TemplateError(
                f"{book.name}: {sheet}!{array.ref} holds {max_row - min_row + 1}×{max_col - min_col + 1} "
                f"cells but {array.formula} returns {shape} (first cell: {first!r}); update the spec"
            )


def write(book: Book, path: Path, functions: Functions) -> Path:
    """Check ``book``'s array shapes, then save it to ``path`` atomically (the mode of a file it
    replaces, else the umask's: :func:`xlmargin.files.atomic_output`)."""
    check_shapes(book, functions)
    path = Path(path)
    with atomic_output(path) as temp:
        workbook(book).save(temp)
    return path


def write_all(
    books: Iterable[Book], folder: Path, functions: Functions, *, force: bool = False
) -> list[Path]:
    """Write every book into ``folder`` (created if needed) as ``<name>.xlsx``. A workbook already
    there (a user's edited copy) is replaced only with ``force``; all are checked before any is
    written."""
    folder = Path(folder)
    books = list(books)
    paths = [folder / f"{book.name}.xlsx" for book in books]
    for path in paths:
        refuse_existing(path, force, "another --out folder")
    folder.mkdir(parents=True, exist_ok=True)
    return [write(book, path, functions) for book, path in zip(books, paths, strict=True)]
