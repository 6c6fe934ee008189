"""A bond's maturity and coupon where an export gives them.

A Flex ``<OpenPosition>`` has no maturity nor coupon field. The report's Securities Info section
(``<SecurityInfo conid=... maturity="20311115"/>``, one per contract) gives the maturity; IBKR's
description of a bond states both, as the issuer, the coupon in percent (a whole number, a
fraction or both, or a decimal) and the maturity MM/DD/YY: ``T 4 1/2 11/15/31``, ``AAPL 3.85
05/04/43``. A description of another shape is not read: a guess would be a wrong maturity.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction

# issuer, coupon ("4", "4 1/2", "1/8", "3.85"), maturity MM/DD/YY or MM/DD/YYYY, nothing else
_DESCRIPTION = re.compile(
    r"^\S+\s+(?P<coupon>\d+(?:\.\d+)?(?:\s+\d+/\d+)?|\d+/\d+)\s+"
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{2}|\d{4})$"
)


@dataclass(frozen=True, slots=True)
class Terms:
    """A bond's maturity (an ISO date) and coupon (percent, as a typed ``'4.5%'``) from its
    description; either None where the description does not state it."""

    maturity: str | None
    coupon: str | None


def description_terms(text: str) -> Terms | None:
    """The terms IBKR's bond description states (``T 4 1/2 11/15/31`` → 2031-11-15, 4.5%); None
    where the text is not of that shape or its date is no date. A two-digit year is 20YY: a bond
    maturing before 2000 is held by no open position."""
    match = _DESCRIPTION.match(" ".join(text.split()))
    if match is None:
        return None
    year = int(match["year"])
    try:
        maturity = dt.date(year + 2000 if year < 100 else year, int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    coupon = Fraction(0)
    for part in match["coupon"].split():
        number, _, denominator = part.partition("/")
        if denominator and (int(denominator) == 0 or int(number) >= int(denominator)):
            return None  # "4 3/0", "4 5/4": no coupon IBKR writes
        coupon += Fraction(int(number), int(denominator)) if denominator else Fraction(number)
    return Terms(maturity.isoformat(), f"{float(coupon):g}%")
