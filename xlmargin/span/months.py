"""Contract months from exchange month codes (``ESZ6``: root ES, December of the year ending in 6)."""

from __future__ import annotations

import datetime as dt

from xlmargin.positions import Position
from xlmargin.span.settings import Product, SpanSettings

MONTH_CODES = "FGHJKMNQUVXZ"  # exchange month codes, January to December


def product_and_month(p: Position, settings: SpanSettings) -> tuple[Product, int | None] | None:
    """The product and contract month of a row: a future from its symbol (then underlying), an
    option from its underlying (then symbol); ``ESZ6`` is root ES, December of the year ending in 6."""
    codes = (p.underlying, p.symbol) if p.is_option else (p.symbol, p.underlying)
    for code in codes:
        found = _parse_code(code.replace(" ", ""), settings)
        if found is not None:
            product, month = found
            if month is None and p.is_option and p.expiry is not None:
                month = _month_index(p.expiry.year, p.expiry.month, settings.as_of)
            return product, month
    return None


def _parse_code(code: str, settings: SpanSettings) -> tuple[Product, int | None] | None:
    for root in sorted(settings.products, key=len, reverse=True):
        if not code.startswith(root):
            continue
        rest = code[len(root) :]
        if not rest:
            return settings.products[root], None
        if len(rest) in (2, 3) and rest[0] in MONTH_CODES and rest[1:].isdigit():
            month = MONTH_CODES.index(rest[0]) + 1
            return settings.products[root], contract_month(month, rest[1:], settings.as_of)
    return None


def contract_month(month: int, year_digits: str, as_of: dt.date) -> int:
    """Months from the valuation month to the contract month; one year digit means the first year
    ending in it whose contract month has not passed (``Z6`` on 2026-11-20 is December 2026)."""
    if len(year_digits) == 2:
        year = 2000 + int(year_digits)
    else:
        year = as_of.year - as_of.year % 10 + int(year_digits)
        if (year, month) < (as_of.year, as_of.month):
            year += 10
    return _month_index(year, month, as_of)


def _month_index(year: int, month: int, as_of: dt.date) -> int:
    return (year - as_of.year) * 12 + (month - as_of.month)
