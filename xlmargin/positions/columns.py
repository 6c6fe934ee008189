"""The columns a positions table may have, their aliases, and the header row mapped onto them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlmargin.cells import is_blank
from xlmargin.errors import Problem, shown


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str  # "text" | "number" | "date" | "date_or_years" | "percent_or_text"
    aliases: tuple[str, ...] = ()
    zero_is_blank: bool = True  # Office.js sends blanks as 0
    rate: bool = False  # a number column of rates: a cell may carry '%' ('25%' is 0.25); elsewhere refused


_SPECIAL_ALIASES = (
    "specialmaintenance%", "housemaintenance", "housemaintenance%", "housemargin%", "maintenance%", "maint%",
    "maintenancepct", "marginrequirement%", "marginreq%", "specialmargin", "specialmargin%",
)  # fmt: skip
COLUMNS: tuple[Column, ...] = (
    Column("symbol", "text", ("ticker",)),
    Column("type", "text", ("asset", "kind", "assettype", "sectype")),
    Column("quantity", "number", ("qty", "position", "pos"), zero_is_blank=False),
    Column(
        "price", "number", ("mark", "last", "markprice", "closeprice", "marketprice"), zero_is_blank=False
    ),
    Column("underlying", "text", ("und", "underlyingsymbol")),
    Column("underlying_price", "number", ("undpx", "undprice", "spot", "underlyingpx")),
    Column("strike", "number", ("k",)),
    Column("expiry", "date", ("expiration", "exp", "expirationdate", "lasttradingday", "lasttradedate")),
    Column("days", "number", ("dte", "daystoexpiry")),
    Column("right", "text", ("putcall", "put/call", "cp", "c/p", "callput")),
    Column("multiplier", "number", ("mult",)),
    Column("volatility", "number", ("iv", "vol", "impliedvolatility"), rate=True),
    Column("style", "text", ("exercise", "exercisestyle")),
    Column("class", "text", ("assetclass", "underlyingclass", "assetcategory")),
    Column("dividend_yield", "number", ("divyield", "dividend", "q"), zero_is_blank=False, rate=True),
    Column("leverage", "number", ("leveragefactor",)),
    Column("currency", "text", ("ccy",)),
    Column("maturity", "date_or_years", ("maturitydate", "yearstomaturity")),
    Column("sleeve", "text", ("book", "bucket")),
    Column("coupon", "number", ("couponrate",), zero_is_blank=False, rate=True),
    Column("yield", "number", ("ytm", "yieldtomaturity"), rate=True),
    # a duration of 0 is a value (a floating-rate fund), as a coupon's is
    Column("duration", "number", ("modifiedduration", "moddur"), zero_is_blank=False),
    Column("denomination", "number", ("mindenomination", "minimumdenomination", "minpiece", "piece")),
    Column("fx_rate", "number", ("fxrate", "torate", "accountrate", "fxratetobase")),
    Column("beta", "number", ()),
    Column("factor", "text", ("riskfactor",)),
    Column("description", "text", ("financialinstrument", "financialinstrumentdescription")),
    # A house's special maintenance of a security, a percentage of its value (or a word saying it is not
    # marginable). Not "maintenance margin" or "maint margin": brokers (TWS) head dollar amounts so.
    Column("special_maintenance", "percent_or_text", _SPECIAL_ALIASES),
)
# Brokers head their instrument-type column "Asset Class" (IBKR) or "Asset Category", words that mean
# the underlying's class here. Such a column is read as `type` when its values are type codes
# (IBKR: STK, OPT, FUT, FOP, CASH, BOND, CFD, WAR, IND), as `class` when they are all class names.
BROKER_TYPE_HEADERS = frozenset({"assetclass", "assetcategory", "sectype"})
REQUIRED = ("symbol", "quantity")


def norm_header(header: str) -> str:
    """A header or an enum text compared loosely: case, spaces, underscores, hyphens, dots and a
    byte-order mark (a CSV saved by Excel as UTF-8 starts with one) ignored."""
    return re.sub(r"[\s_\-.\ufeff]+", "", header.strip().lower())


HEADER_MAP: dict[str, str] = {
    norm_header(alias): column.name for column in COLUMNS for alias in (column.name, *column.aliases)
}
COLUMN_BY_NAME = {c.name: c for c in COLUMNS}
COLUMN_ORDER = {c.name: i for i, c in enumerate(COLUMNS)}
# what takes a '%' in a table of positions (or of trades, candidates), as a refusal says it
RATE_COLUMNS = "rate columns take one: " + ", ".join(
    c.name for c in COLUMNS if c.rate or c.kind == "percent_or_text"
)


@dataclass(frozen=True, slots=True)
class Header:
    """The header row mapped: column name → position, the headers ignored, which mapped columns
    carry a broker's type codes (their header is one of :data:`BROKER_TYPE_HEADERS`), and notes for
    the warnings (a Last column beside another price: :func:`last_note`)."""

    index: dict[str, int]
    ignored: tuple[str, ...]
    broker: frozenset[str]
    notes: tuple[str, ...] = ()


# A last trade's price: the price only where no other price column is given (a mark, a close, a
# price), as a broker export (TWS: Last beside Mark Price) is read (README: Mark/Close Price)
LAST_HEADERS = frozenset({"last"})


def last_note(last: str, price: str) -> str:
    """The warning for a Last column beside another price column."""
    return f"column '{last}' ignored: '{price}' is the price (a mark, not the last trade)"


def map_header(header: Sequence[Any], problems: list[Problem], row: int = 1) -> Header:
    """The header row (row ``row`` of the table) mapped; a duplicate column or a missing required
    one is a problem at that row."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    broker: set[str] = set()
    notes: list[str] = []
    for i, cell in enumerate(header):
        if is_blank(cell):
            continue
        key = norm_header(str(cell))
        name = HEADER_MAP.get(key) if isinstance(cell, str) else None
        if name is None:
            ignored.append(str(cell).strip())
            continue
        if name in index:
            other = header[index[name]]
            lasts = [norm_header(str(c)) in LAST_HEADERS for c in (cell, other)]
            if name == "price" and lasts.count(True) == 1:  # the other is the price
                notes.append(
                    last_note(str(cell if lasts[0] else other).strip(), str(other if lasts[0] else cell))
                )
                if lasts[0]:
                    continue
            else:
                message = f"duplicate header: '{cell}' and '{other}' both mean {name}"
                problems.append(Problem(message, row, str(cell)))
                continue
        index[name] = i
        if key in BROKER_TYPE_HEADERS:
            broker.add(name)
    near = _near_misses(header, index)
    for name in REQUIRED:
        if name not in index:
            aliases = ", ".join(COLUMN_BY_NAME[name].aliases)
            hint = f"; {near.pop(name)}" if name in near else ""
            problems.append(Problem(f"missing required column '{name}' (or {aliases}){hint}", row))
    if "price" in near:  # every row but cash would say "missing price": said once, of the header
        problems.append(Problem(near.pop("price"), row))
    notes += near.values()  # a column that may be left out: its lookalike is ignored, as said
    return Header(index, tuple(ignored), frozenset(broker), tuple(notes))


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _near_misses(header: Sequence[Any], index: Mapping[str, int]) -> dict[str, str]:
    """For each column the header lacks, a note on the first unrecognised header that looks like it:
    the same after NFKC normalisation and removing zero-width characters, the same but for letters
    outside ASCII (a Cyrillic р or с for a Latin p or c), or one edit away (``pricx``). Only names and
    aliases of four letters or more are compared (``qty`` is one edit from too many words)."""
    found: dict[str, str] = {}
    for i, cell in enumerate(header):
        if not isinstance(cell, str) or is_blank(cell) or HEADER_MAP.get(norm_header(cell)) is not None:
            continue
        key = norm_header(unicodedata.normalize("NFKC", cell).translate(_ZERO_WIDTH))
        for known, name in HEADER_MAP.items():
            if name in index or name in found or len(known) < 4 or not _looks_like(key, known):
                continue
            found[name] = (
                f"no {name} column: '{shown(cell.strip())}' (the table's column {_letters(i)}) is not "
                f"recognised; did you mean {name}?"
            )
    return found


def _looks_like(key: str, known: str) -> bool:
    """``key`` is ``known``, or differs from it only in letters outside ASCII, or by one edit."""
    if key == known:
        return True
    if len(key) == len(known):
        apart = [(a, b) for a, b in zip(key, known, strict=True) if a != b]
        return len(apart) == 1 or all(not a.isascii() for a, _ in apart)
    short, long = sorted((key, known), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:j] + long[j + 1 :] == short for j in range(len(long)))


def _letters(i: int) -> str:
    """The spreadsheet letters of the table's column ``i`` (0 is A, 26 is AA)."""
    out = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        out = chr(65 + rest) + out
    return out
