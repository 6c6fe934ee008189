"""Plain-text tables for the command line: one formatting of numbers, header, rule and body.

A table is printed whole: nothing is cut. Its note and warning rows (a label and one sentence)
print under it, so that a sentence never widens the column of figures it sits in. When it is wider
than the terminal, long text cells wrap onto further lines; a table with more columns than fit
(the portfolio-margin grid) is printed in blocks of columns, each repeating the first column.

A cell prints by :func:`fmt` (amounts to the cent, counts whole with thousands separators) unless
its column's header names a figure of another kind (:data:`COLUMN_FORMATS`): a row number prints as
messages say it (``row 1200``, not ``1,200``), an exchange rate to its significant decimals.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from xlmargin.money import cents

GAP = "  "
NARROWEST = 12  # a wrapped text column keeps at least this many characters
WRAPPED = 24  # a long text column claims this much when columns are grouped into blocks


def fmt(cell: Any) -> str:
    """A cell as text: an amount (a float) to the cent, a count (an int) whole, both with thousands
    separators; a row number or a rate prints by its column (:func:`column_format`)."""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, float):
        return f"{cents(cell):,.2f}"
    return str(cell)


def row_number(cell: Any) -> str:
    """A row number as an error message names it: whole, without thousands separators."""
    if isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer():
        return str(int(cell))
    return fmt(cell)


RATE_DIGITS = 6  # significant digits of an exchange rate (EURUSD 1.17450, USDJPY 157.234)


def rate(cell: Any) -> str:
    """An exchange rate to :data:`RATE_DIGITS` significant digits (at least two decimals, trailing
    zeros dropped): 0.8514, 157.234, 0.0000565, 1.00; the cent would leave 0.85 of 0.8514."""
    if not isinstance(cell, float) or not math.isfinite(cell) or cell == 0.0:
        return fmt(cell)
    decimals = max(2, RATE_DIGITS - 1 - math.floor(math.log10(abs(cell))))
    whole, _, fraction = f"{cell:,.{decimals}f}".partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


COLUMN_FORMATS: dict[str, Callable[[Any], str]] = {"row": row_number, "fx rate": rate}
"""The format of a column's numbers by its header's name, its unit in brackets left out
(``fx rate (EUR per unit)`` is ``fx rate``; case ignored); every other column prints by :func:`fmt`."""


def column_format(header: Any) -> Callable[[Any], str]:
    """How the numbers of the column headed ``header`` print (:data:`COLUMN_FORMATS`)."""
    name = str(header).partition(" (")[0].strip().lower() if isinstance(header, str) else ""
    return COLUMN_FORMATS.get(name, fmt)


def render(rows: Sequence[Sequence[Any]], width: int | None = None) -> str:
    """A plain-text table: header row, rule, body; numbers right-aligned, each column's in its
    format (:func:`column_format`); at most ``width`` characters a line where wrapping text and
    splitting columns can achieve it. Note and warning rows print under the table
    (:func:`_notes_apart`), so that the figures' columns keep the figures' width."""
    if not rows:
        return ""
    rows, notes = _notes_apart(rows)
    table = _render(rows, width)
    if not notes:
        return table
    limit = width or 1_000_000
    lines = [line for label, text in notes for line in _wrapped(f"{label}: {text}", limit)]
    return table + "\n\n" + "\n".join(lines)


NOTE_LABELS = ("note", "warning")


def _notes_apart(rows: Sequence[Sequence[Any]]) -> tuple[list[Sequence[Any]], list[tuple[str, str]]]:
    """The table without its note rows, and those rows' (label, text): a row whose first cell is
    ``note`` or ``warning`` and whose text is its second cell alone (the rest blank) is a sentence
    about the table, not a figure; in the figures' column it would widen that column to the
    sentence and push every figure away from its label, so it prints under the table, whole."""
    kept: list[Sequence[Any]] = [rows[0]]
    notes: list[tuple[str, str]] = []
    for row in rows[1:]:
        label = row[0] if row else None
        rest = row[2:]
        if (
            label in NOTE_LABELS
            and len(row) > 1
            and isinstance(row[1], str)
            and all(c in ("", None) for c in rest)
        ):
            notes.append((str(label), row[1]))
        else:
            kept.append(row)
    return kept, notes


def _wrapped(line: str, limit: int) -> list[str]:
    """A note's line, wrapped to ``limit`` with its continuation lines indented."""
    return textwrap.wrap(line, max(limit, NARROWEST), subsequent_indent="  ", break_on_hyphens=False) or [
        line
    ]


def _render(rows: Sequence[Sequence[Any]], width: int | None) -> str:
    formats = [column_format(header) for header in rows[0]]
    texts = [
        [fmt(c) for c in rows[0]],
        *([(formats[i] if i < len(formats) else fmt)(c) for i, c in enumerate(row)] for row in rows[1:]),
    ]
    count = max(len(r) for r in texts)
    texts = [r + [""] * (count - len(r)) for r in texts]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] in ("", None) for row in rows[1:] if i < len(row))
        for i in range(count)
    ]
    widths = [max(len(r[i]) for r in texts) for i in range(count)]
    limit = width or 1_000_000
    too_wide = sum(widths) + len(GAP) * (count - 1) > limit
    blocks = _blocks(widths, numeric, limit) if too_wide else [list(range(count))]
    out = []
    for columns in blocks:
        fitted = _fit([widths[i] for i in columns], [numeric[i] for i in columns], limit)
        out.append(_block([[r[i] for i in columns] for r in texts], fitted, [numeric[i] for i in columns]))
    return "\n\n".join(out)


def _blocks(widths: list[int], numeric: list[bool], limit: int) -> list[list[int]]:
    """Column groups that fit side by side once long texts wrap, each starting with the first column."""

    def claim(i: int) -> int:
        return widths[i] if numeric[i] else min(widths[i], WRAPPED)

    first = claim(0)
    blocks: list[list[int]] = []
    current = [0]
    used = first
    for i in range(1, len(widths)):
        need = len(GAP) + claim(i)
        if used + need > limit and len(current) > 1:
            blocks.append(current)
            current, used = [0], first
        current.append(i)
        used += need
    blocks.append(current)
    return blocks


def _fit(widths: list[int], numeric: list[bool], limit: int) -> list[int]:
    """Share the room left by the figures among the text columns (they wrap): the narrow ones keep
    their width, the rest split what remains evenly, none below NARROWEST."""
    if sum(widths) + len(GAP) * (len(widths) - 1) <= limit:
        return widths
    fitted = list(widths)
    text = sorted((i for i, n in enumerate(numeric) if not n), key=lambda i: widths[i])
    room = limit - len(GAP) * (len(widths) - 1) - sum(w for w, n in zip(widths, numeric, strict=True) if n)
    for k, i in enumerate(text):
        share = room // (len(text) - k)
        fitted[i] = min(widths[i], max(NARROWEST, share))
        room -= fitted[i]
    return fitted


def _block(texts: list[list[str]], widths: list[int], numeric: list[bool]) -> str:
    def lines(cells: list[str]) -> list[str]:
        wrapped = [textwrap.wrap(c, w, break_on_hyphens=False) or [""] if len(c) > w else [c]
                   for c, w in zip(cells, widths, strict=True)]  # fmt: skip
        height = max(len(w) for w in wrapped)
        out = []
        for k in range(height):
            parts = []
            for i, pieces in enumerate(wrapped):
                piece = pieces[k] if k < len(pieces) else ""
                parts.append(piece.rjust(widths[i]) if numeric[i] else piece.ljust(widths[i]))
            out.append(GAP.join(parts).rstrip())
        return out

    body = [*lines(texts[0]), GAP.join("-" * w for w in widths)]
    for row in texts[1:]:
        body += lines(row)
    return "\n".join(body)
