"""Contract months from exchange month codes (``ESZ6``: root ES, December of the year ending in 6),
and whether a contract month has entered its delivery period."""

from __future__ import annotations

import datetime as dt

from xlmargin.positions import Position
from xlmargin.span.settings import Product, SpanSettings
from xlmargin.symbols import FUTURES_MONTH_CODES as MONTH_CODES  # January to December

_SATURDAY = 5  # date.weekday(): Monday 0 .. Friday 4 are business days
_ONE_DAY = dt.timedelta(days=1)


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


def in_delivery(product: Product, month: int, as_of: dt.date) -> bool:
    """Whether the contract ``month`` months after the valuation month is in its delivery period on
    ``as_of``: the product has one (span.toml [delivery]) and ``as_of`` is on or after its start."""
    if product.delivery_start is None:
        return False
    year, index = divmod(as_of.year * 12 + as_of.month - 1 + month, 12)
    return as_of >= delivery_start(year, index + 1, product.delivery_start)


def delivery_start(year: int, month: int, offset: int) -> dt.date:
    """The first day of a delivery period: ``offset`` business days (Monday to Friday; exchange
    holidays are not known) from the first business day of the contract month ``year-month``."""
    day = dt.date(year, month, 1)
    while day.weekday() >= _SATURDAY:
        day += _ONE_DAY
    step = _ONE_DAY if offset > 0 else -_ONE_DAY
    for _ in range(abs(offset)):
        day += step
        while day.weekday() >= _SATURDAY:
            day += step
    return day
