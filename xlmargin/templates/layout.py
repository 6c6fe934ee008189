"""What every template shares: the positions reference, cell-grid and parameter-block helpers.

The helpers only shorten the declarative data of the workbook modules (one per workbook).
"""

from __future__ import annotations

from collections.abc import Sequence

from xlmargin.templates.model import (
    DATE,
    Cell,
    Name,
    Style,
    Value,
)

POSITIONS = "tblPositions[#All]"


def column(letter: str, offset: int) -> str:
    n = 0
    for ch in letter:
        n = n * 26 + ord(ch) - 64
    n += offset
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def split_ref(ref: str) -> tuple[str, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    return letters, int(ref[len(letters) :])


def grid(
    anchor: str, rows: Sequence[Sequence[Value]], style: Style | None = None, fmt: str | None = None
) -> tuple[Cell, ...]:
    """Cells laid out row by row from ``anchor``; ``None`` leaves a cell empty."""
    col, row = split_ref(anchor)
    return tuple(
        Cell(f"{column(col, j)}{row + i}", value, style, fmt)
        for i, values in enumerate(rows)
        for j, value in enumerate(values)
        if value is not None
    )


AS_OF_ROW = ('=IF(ValuationDate="","","as_of")', '=IF(ValuationDate="","",ValuationDate)')
"""A block row that exists only when the valuation date is given (blank = today)."""


BlockSpec = tuple[str, str, Sequence[tuple[Value, Value]]]
"""A parameter block: its defined name, a caption, and its (name, value) rows."""


def blocks(sheet: str, anchor: str, specs: Sequence[BlockSpec]) -> tuple[tuple[Cell, ...], tuple[Name, ...]]:
    """Named two-column parameter blocks stacked down from ``anchor``, each under its caption with a
    blank row between; returns their cells and defined names."""
    col, row = split_ref(anchor)
    value_col = column(col, 1)
    cells: list[Cell] = []
    names: list[Name] = []
    for name, caption, rows in specs:
        cells.append(Cell(f"{col}{row}", f"{name}: {caption}", "section"))
        for i, (key, value) in enumerate(rows, start=1):
            cells.append(Cell(f"{col}{row + i}", key, "label"))
            cells.append(
                Cell(f"{value_col}{row + i}", value, "value", DATE if value == AS_OF_ROW[1] else None)
            )
        names.append(Name(name, f"{sheet}!${col}${row + 1}:${value_col}${row + len(rows)}"))
        row += len(rows) + 2
    return tuple(cells), tuple(names)


def text_rows(anchor: str, rows: Sequence[tuple[str, str]], note_style: Style = "note") -> tuple[Cell, ...]:
    """Two-column text: a label and a note per row (wrapped, or an ``aside`` running on to the right)."""
    col, row = split_ref(anchor)
    out = []
    for i, (label, note) in enumerate(rows):
        if label:
            out.append(Cell(f"{col}{row + i}", label, "label"))
        if note:
            out.append(Cell(f"{column(col, 1)}{row + i}", note, note_style))
    return tuple(out)


def input_rows(anchor: str, rows: Sequence[tuple[str, Value, str | None, str]]) -> tuple[Cell, ...]:
    """Yellow inputs, one a row: a label, the input cell beside it (with its number format) and an
    aside explaining it, running on to the right."""
    col, row = split_ref(anchor)
    out = []
    for i, (label, value, fmt, aside) in enumerate(rows):
        out += [
            Cell(f"{col}{row + i}", label, "label"),
            Cell(f"{column(col, 1)}{row + i}", value, "input", fmt),
            Cell(f"{column(col, 2)}{row + i}", aside, "aside"),
        ]
    return tuple(out)
