"""The columns a positions table may have, their aliases, and the header row mapped onto them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlmargin.cells import is_blank
from xlmargin.errors import Problem


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str  # "text" | "number" | "date" | "date_or_years"
    aliases: tuple[str, ...] = ()
    zero_is_blank: bool = True  # Office.js sends blanks as 0


COLUMNS: tuple[Column, ...] = (
    Column("symbol", "text", ("ticker",)),
    Column("type", "text", ("asset", "kind", "assettype", "sectype")),
    Column("quantity", "number", ("qty", "position", "pos"), zero_is_blank=False),
    Column("price", "number", ("mark", "last"), zero_is_blank=False),
    Column("underlying", "text", ("und",)),
    Column("underlying_price", "number", ("undpx", "spot", "underlyingpx")),
    Column("strike", "number", ("k",)),
    Column("expiry", "date", ("expiration", "exp", "expirationdate")),
    Column("days", "number", ("dte", "daystoexpiry")),
    Column("right", "text", ("putcall", "cp", "callput")),
    Column("multiplier", "number", ("mult",)),
    Column("volatility", "number", ("iv", "vol", "impliedvolatility")),
    Column("style", "text", ("exercise", "exercisestyle")),
    Column("class", "text", ("assetclass", "underlyingclass")),
    Column("dividend_yield", "number", ("divyield", "dividend", "q"), zero_is_blank=False),
    Column("leverage", "number", ("leveragefactor",)),
    Column("currency", "text", ("ccy",)),
    Column("maturity", "date_or_years", ("maturitydate", "yearstomaturity")),
    Column("sleeve", "text", ("book", "bucket")),
    Column("coupon", "number", ("couponrate",), zero_is_blank=False),
    Column("yield", "number", ("ytm", "yieldtomaturity")),
    Column("duration", "number", ("modifiedduration", "moddur")),
    Column("fx_rate", "number", ("fxrate", "torate", "accountrate")),
    Column("beta", "number", ()),
    Column("factor", "text", ("riskfactor",)),
)
REQUIRED = ("symbol", "quantity")


def norm_header(header: str) -> str:
    """A header or an enum text compared loosely: case, spaces, underscores, hyphens and dots ignored."""
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())


HEADER_MAP: dict[str, str] = {
    norm_header(alias): column.name for column in COLUMNS for alias in (column.name, *column.aliases)
}
COLUMN_BY_NAME = {c.name: c for c in COLUMNS}
COLUMN_ORDER = {c.name: i for i, c in enumerate(COLUMNS)}


def map_header(header: Sequence[Any], problems: list[Problem]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        if is_blank(cell) or not isinstance(cell, str):
            continue
        name = HEADER_MAP.get(norm_header(cell))
        if name is None:
            continue
        if name in index:
            problems.append(
                Problem(
                    f"duplicate header: '{cell}' and '{header[index[name]]}' both mean {name}", 1, str(cell)
                )
            )
            continue
        index[name] = i
    for name in REQUIRED:
        if name not in index:
            aliases = ", ".join(COLUMN_BY_NAME[name].aliases)
            problems.append(Problem(f"missing required column '{name}' (or {aliases})", 1))
    return index
