"""Plain-text tables for the command line: one formatting of numbers, header, rule and body.

A table is printed whole: nothing is cut. When it is wider than the terminal, long text cells wrap
onto further lines; a table with more columns than fit (the portfolio-margin grid) is printed in
blocks of columns, each repeating the first column.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from xlmargin.money import cents

GAP = "  "
NARROWEST = 12  # a wrapped text column keeps at least this many characters
WRAPPED = 24  # a long text column claims this much when columns are grouped into blocks


def fmt(cell: Any) -> str:
    """A cell as text: an amount (a float) to the cent, a count or a row number (an int) whole."""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, float):
        return f"{cents(cell):,.2f}"
    return str(cell)


def render(rows: Sequence[Sequence[Any]], width: int | None = None) -> str:
    """A plain-text table: header row, rule, body; numbers right-aligned; at most ``width``
    characters a line where wrapping text and splitting columns can achieve it."""
    if not rows:
        return ""
    texts = [[fmt(c) for c in row] for row in rows]
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
