"""Book builders shared by the tests: one header of the columns the engines read, rows by keyword.

``book(row(...), stock(...), ...)`` reads the rows under :data:`HEADER` as of the tests' valuation
date; a row is a list in :data:`HEADER` order (shorter rows end in blanks) or built by :func:`row`,
which takes any column by keyword. A test with its own column layout passes ``header=``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import AS_OF
from xlmargin.positions import Portfolio, read_positions

HEADER = (
    "symbol", "type", "qty", "price", "underlying", "underlying price", "strike", "expiry", "right",
    "currency", "volatility", "multiplier", "class", "fx_rate", "days",
)  # fmt: skip
EXPIRY = dt.date(2026, 12, 18)  # the options' default expiry: four weeks after AS_OF
_KEY = {name.replace(" ", "_"): i for i, name in enumerate(HEADER)} | {"klass": HEADER.index("class")}


def row(symbol: str, kind: str, qty: float, price: float | None = None, **cells: Any) -> list[Any]:
    """A row under :data:`HEADER`; other columns by keyword (``underlying_price``, ``klass`` for class)."""
    unknown = set(cells) - set(_KEY)
    if unknown:
        raise TypeError(f"no column {', '.join(sorted(unknown))} in tests.books.HEADER")
    out: list[Any] = [symbol, kind, qty, price, *[None] * (len(HEADER) - 4)]
    for key, value in cells.items():
        out[_KEY[key]] = value
    return out


def stock(symbol: str, qty: float, price: float, **cells: Any) -> list[Any]:
    return row(symbol, "stock", qty, price, **cells)


def future(symbol: str, qty: float, price: float = 100.0, **cells: Any) -> list[Any]:
    return row(symbol, "future", qty, price, **cells)


def book(*rows: list[Any], header: tuple[str, ...] | list[str] = HEADER, as_of: dt.date = AS_OF) -> Portfolio:
    """The rows read as a positions table under ``header`` (header row first, as Excel hands it)."""
    return read_positions([list(header), *[list(r) for r in rows]], as_of=as_of)


def csv_file(folder: Path, name: str, rows: list[list[Any]]) -> str:
    """``rows`` written as a CSV file ``name`` in ``folder`` (a blank cell for None); its path."""
    path = folder / name
    path.write_text("\n".join(",".join("" if c is None else str(c) for c in r) for r in rows) + "\n", "utf-8")
    return str(path)


def figures(table: list[list[Any]]) -> dict[Any, list[Any]]:
    """A result table (header row first) as its first column's labels to the rest of each row."""
    return {row[0]: row[1:] for row in table[1:]}


def flex_report(
    folder: Path, positions: Callable[[str], str], info: str = "", accounts: tuple[str, ...] = ("U1",)
) -> Path:
    """``flex.xml`` in ``folder``: a Flex report of one statement per account (dated 2026-12-04),
    each holding ``positions(account)`` (its ``<OpenPosition>`` elements) and then ``info`` (a
    Securities Info section)."""
    statements = "".join(
        f'<FlexStatement accountId="{a}" toDate="20261204"><OpenPositions>'
        + positions(a)
        + f"</OpenPositions>{info}</FlexStatement>\n"
        for a in accounts
    )
    path = folder / "flex.xml"
    text = f'<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="{len(accounts)}">\n'
    path.write_text(text + statements + "</FlexStatements></FlexQueryResponse>\n", encoding="utf-8")
    return path
