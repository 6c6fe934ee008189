"""Plain-text tables for the command line: one formatting of numbers, header, rule and body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def fmt(cell: Any) -> str:
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float | int):
        return f"{cell:,.2f}"
    return str(cell)


def render(rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: header row, rule, body; numbers right-aligned."""
    if not rows:
        return ""
    texts = [[fmt(c) for c in row] for row in rows]
    width = max(len(r) for r in texts)
    texts = [r + [""] * (width - len(r)) for r in texts]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] in ("", None) for row in rows[1:] if i < len(row))
        for i in range(width)
    ]
    widths = [min(max(len(r[i]) for r in texts), 60) for i in range(width)]

    def line(cells: list[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            cell = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            out.append(cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    body = [line(texts[0]), "  ".join("-" * w for w in widths)]
    body += [line(r) for r in texts[1:]]
    return "\n".join(body)
