"""The vocabulary of the template specs: plain frozen data that :mod:`.build` turns into workbooks.

A :class:`Book` is sheets, workbook-level defined names and the ranges ``xlmargin recalc`` prints.
A :class:`Sheet` holds literal or formula :class:`Cell` s, fixed-shape :class:`Array` formulas (CSE,
explicit ref), Excel :class:`Table` s and :class:`Chart` s, plus column widths and a frozen pane.
Styles are named (:data:`STYLES`); number formats are Excel format codes. Nothing here knows
openpyxl: the spec module reads as a description of the workbook, not as code that draws it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Value = str | float | int | bool | dt.date | None
"""A cell's content: a string starting with ``=`` is a formula, anything else a literal."""

MONEY = "$#,##0"
PNL = "$#,##0;[Red]-$#,##0"
PCT = "0.0%"
PRICE = "#,##0.00##"
QTY = "#,##0"
DATE = "yyyy-mm-dd"
BOOL = '"TRUE";"TRUE";"FALSE"'  # Excel shows a boolean as TRUE/FALSE anyway; LibreOffice needs the format

Style = Literal[
    "title", "subtitle", "group", "header", "label", "input", "value", "note", "aside", "section", "result"
]
"""Named cell styles: ``title``/``subtitle`` at the top of a sheet; ``header`` over a table and
``group`` above it (centred across the following empty ``group`` cells); ``section`` over a block;
``label`` for row labels; ``input`` for the cells a user edits; ``value`` for a left-aligned computed
entry (parameter blocks); ``result`` for computed figures; ``note`` for explanatory text wrapped in
its cell (the row grows to fit); ``aside`` for a one-line remark running on over the empty cells to
its right."""


@dataclass(frozen=True)
class Cell:
    """One cell: ``value`` is a literal or an ``=`` formula, with an optional style and number format."""

    ref: str
    value: Value
    style: Style | None = None
    fmt: str | None = None


@dataclass(frozen=True)
class Array:
    """A fixed-shape output over the explicit range ``ref``, e.g. ``E5:F5``: one ``INDEX`` formula
    per cell by default (every viewer shows the cached values), or one legacy CSE array formula
    (``cse``), which openpyxl writes faithfully but LibreOffice recomputes on load.

    ``formats`` maps a column letter of the range to a number format; ``fmt`` is the default.
    ``header`` marks the result's first row as column titles. The generator checks that the
    formula's result has exactly this shape. ``errors_everywhere``: a function that fails returns
    one cell, its error text, which the first cell shows and every other cell's ``INDEX`` would
    show as a bare ``#REF!``: those cells show the error text too (for a result whose cells are
    never errors themselves, such as MARGIN_CUSHION's, so that nothing else is masked).
    """

    ref: str
    formula: str
    fmt: str | None = None
    formats: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    style: Style | None = "result"
    header: bool = False
    cse: bool = False
    errors_everywhere: bool = False


@dataclass(frozen=True)
class Table:
    """An Excel Table (ListObject) with its header at ``anchor``; ``formats`` per column header."""

    name: str
    anchor: str
    header: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    formats: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    style: str = "TableStyleMedium2"


@dataclass(frozen=True)
class Series:
    """A chart series: its values range and title (a literal, or a cell reference starting with ``=``)."""

    values: str
    title: str


@dataclass(frozen=True)
class Chart:
    """A line or clustered bar chart placed with its top-left corner at ``anchor``.

    Ranges are absolute references with their sheet (``Scenarios!$D$5:$M$5``).
    """

    kind: Literal["line", "bar"]
    anchor: str
    title: str
    categories: str
    series: tuple[Series, ...]
    x_title: str = ""
    y_title: str = ""
    y_format: str = MONEY
    width_cm: float = 18.0
    height_cm: float = 9.0


@dataclass(frozen=True)
class Sheet:
    """A worksheet: its content, column widths (characters), row heights (points), frozen pane, charts."""

    title: str
    cells: tuple[Cell, ...] = ()
    arrays: tuple[Array, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    widths: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    heights: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    freeze: str | None = None
    landscape: bool = True


@dataclass(frozen=True)
class Name:
    """A workbook-level defined name for an absolute reference such as ``Parameters!$B$4``."""

    name: str
    ref: str


@dataclass(frozen=True)
class Book:
    """One template workbook.

    ``reports`` are the ranges ``xlmargin recalc`` prints after recalculating (header row first);
    they are saved as the defined names ``xlmReport1``, ``xlmReport2``...
    """

    name: str
    sheets: tuple[Sheet, ...]
    names: tuple[Name, ...] = ()
    reports: tuple[str, ...] = ()


REPORT_PREFIX = "xlmReport"
