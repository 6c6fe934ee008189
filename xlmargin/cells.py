"""One rule for what a spreadsheet cell holds: blank, an Excel error value, a number, a date.

Every reader of cells (the positions table, the parameter range, the worksheet functions' scalar
arguments, the covariance range) asks this module, so a blank or a ``#N/A`` means the same
everywhere. Blanks arrive as ``None``, ``''`` (or spaces) and, from Office.js, as ``0``: callers say
whether a zero counts as blank for the cell at hand. Booleans are never blank and never numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from typing import Any

from xlmargin.errors import shown

EXCEL_ERRORS = (
    "#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
    "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
)  # fmt: skip
# No position has a quantity, price or strike beyond this; larger numbers are typing errors, and
# products of them would overflow to infinity inside the engines.
LARGEST = 1e15
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel's first date its serial numbers give unambiguously (serial 61): serials 1-60 count the day
# 1900-02-29 that never was, so Excel and every other reader disagree on them by a day
FIRST_EXCEL_DATE = dt.date(1900, 3, 1)


def valuation_date_refused(date: dt.date) -> str | None:
    """Why ``date`` cannot be a valuation date (before :data:`FIRST_EXCEL_DATE`: a serial of 2, a
    year 1000), else None."""
    if date >= FIRST_EXCEL_DATE:
        return None
    return (
        f"the valuation date {date} is before {FIRST_EXCEL_DATE}, the first date Excel's serial numbers "
        "give unambiguously; give the valuation date (YYYY-MM-DD or a date cell)"
    )


DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%Y-%m-%d %H:%M:%S",  # pandas' to_csv of a datetime column; the day is what counts
    "%Y-%m-%dT%H:%M:%S",
)
# A comma in a number text is a thousands separator only: groups of exactly three digits after a
# first group of one to three, before any decimal point. '228,50' (a decimal comma) or '12,34,5'
# would otherwise lose their commas and read a hundred or a thousand times too large.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
# What takes a '%' where a worksheet function's or a command's amount argument refuses one.
AMOUNT_ARGUMENT_RATES = "rate parameters take one"
THOUSANDS_ONLY = "a comma is read only as a thousands separator (1,234.5); use a point for decimals"


def is_blank(value: Any, zero_is_blank: bool = True) -> bool:
    """True for ``None``, an empty or all-space string, and (when ``zero_is_blank``) a numeric 0."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if zero_is_blank and isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    return False


def is_missing(value: Any) -> bool:
    """True for a Python caller's "not given": ``None``, NaN, and pandas' ``pd.NA`` and ``pd.NaT``
    (what a DataFrame cell or a computed keyword holds when there is no value)."""
    if value is None:
        return True
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' own, compared with nothing
        return True
    if isinstance(value, float):  # numpy's float64 too
        return math.isnan(value)
    numpy = sys.modules.get("numpy")  # numpy's other floats exist only once numpy is imported
    return numpy is not None and isinstance(value, numpy.floating) and bool(numpy.isnan(value))


def is_blank_range(value: Any) -> bool:
    """True when every cell of a (possibly nested) range is blank."""
    if isinstance(value, list | tuple):
        return all(is_blank_range(v) for v in value)
    return is_blank(value)


def excel_error(value: Any) -> str | None:
    """The Excel error value a cell holds (``#N/A``...), as Excel spells it, or None."""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return None


def error_message(error: str) -> str:
    return f"the cell holds the error value {error}"


class Uncalculated(str):
    """A workbook cell holding a formula whose value was never saved (a file written by a library
    such as openpyxl, not by Excel): its text is the formula."""


def refused(value: Any) -> str | None:
    """Why a cell holds no value to read: an Excel error value, or a formula never calculated."""
    if isinstance(value, Uncalculated):
        return (
            f"the cell holds a formula that was never calculated ({shown(value)}); run xlmargin recalc on "
            "the workbook, or open and save it in Excel"
        )
    if (error := excel_error(value)) is not None:
        return error_message(error)
    return None


def is_boolean(value: Any) -> bool:
    """True for TRUE/FALSE: a Python bool or a numpy one (a DataFrame's bool column, ``np.True_``)."""
    if isinstance(value, bool):
        return True
    numpy = sys.modules.get("numpy")  # a numpy boolean exists only once numpy is imported
    return numpy is not None and isinstance(value, numpy.bool_)


def to_number(value: Any, amount: str | None = None, rates: str = "rates") -> tuple[float, str | None]:
    """(the number, None), or (NaN, why not). Text may carry thousands separators, ``$`` and, where
    the value is a rate, ``%`` ('12.5%' is 0.125); a negative may be written with the Unicode minus
    ('−500') or in an export's accounting form ('(500)', '($1,250.50)'); a comma anywhere else (a
    decimal comma, '228,50') is refused, not dropped, and so is an underscore, which Python's
    ``float`` would skip ('1_00').

    ``amount`` names the value when it is an amount (a column, a parameter: ``price``, ``equity``):
    a text typed with '%' is then refused (:func:`percent_refused`; ``rates`` says what takes one),
    never read as a fraction of nothing. Which values are rates is data where each is declared (a
    positions column's ``rate``, a parameter's ``rate``)."""
    if (problem := refused(value)) is not None:
        return math.nan, problem
    if amount is not None and typed_percent(value):
        return math.nan, percent_refused(value, amount, rates)
    if is_boolean(value):
        return math.nan, f"{value} is not a number"
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float (10**400 from a script or a DataFrame)
            return math.nan, too_large(value)
    elif isinstance(value, str):
        text, negated = _accounting(value.strip().replace("$", "").replace(MINUS_SIGN, "-"))
        percent = text.endswith("%")
        text = text.rstrip("%")
        if "_" in text:  # Python's float would read '1_00' as 100
            return math.nan, f"'{shown(value)}' is not a number: an underscore is not a digit separator"
        if "," in text:
            if _GROUPED.fullmatch(text) is None:
                return math.nan, f"'{shown(value)}' is not a number: {THOUSANDS_ONLY}"
            text = text.replace(",", "")
        try:
            number = float(text) / (100.0 if percent else 1.0)
        except ValueError:
            return math.nan, f"'{shown(value)}' is not a number"
        if negated:
            number = -number
    else:
        return math.nan, f"'{shown(value)}' is not a number"
    if not abs(number) <= LARGEST:
        return math.nan, too_large(value)
    return number, None


MINUS_SIGN = "\u2212"  # the Unicode minus (−500) some exports write: read as a hyphen-minus


def _accounting(text: str) -> tuple[str, bool]:
    """(the number text, whether it is negated): an accounting negative, an unsigned number in
    parentheses as exports write it ('(500)', '($1,250.50)'), is the number negated; any other
    text is itself."""
    if not text.startswith("("):
        return text, False
    m = _ACCOUNTING.fullmatch(text)
    return (m[1], True) if m is not None else (text, False)


# an accounting negative: an unsigned number in parentheses, a percent too ('(500)', '(5%)')
_ACCOUNTING = re.compile(r"\(\s*([^()\s+\-%][^()+\-%]*?%?)\s*\)")


def typed_percent(value: Any) -> bool:
    """True for a text typed with '%' ('15%', ' 0.625 % ', the accounting negative '(5%)'): a cell
    that says it is a rate."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text.endswith("%") or (text.endswith(")") and _accounting(text)[0].endswith("%"))


def percent_refused(value: Any, amount: str, rates: str = "rates") -> str:
    """Why a text typed with '%' is refused where the value is an amount (a price, a quantity, an
    equity, a requirement): one wording for every table and parameter; ``rates`` says what takes
    a '%' there ("rate columns take one: volatility, ...")."""
    return (
        f"'{shown(str(value).strip())}' is a percentage, but {amount} is an amount: type the number without "
        f"'%' (only {rates})"
    )


def too_large(value: Any) -> str:
    return f"{shown(value)} is not a finite number of sensible size (at most {LARGEST:.0e} in absolute value)"


def to_date(value: Any) -> dt.date | None:
    """A date cell, an Excel serial number (1900 system), a YYYYMMDD number or a date text; else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:  # Excel's serial range, 1900-01-01 .. 9999-12-31
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        if 19_000_101 <= value <= 99_991_231 and float(value).is_integer():
            # YYYYMMDD typed or pasted as a number (IBKR Flex dates such as 20261218)
            try:
                return dt.datetime.strptime(str(int(value)), "%Y%m%d").date()
            except ValueError:
                return None
        return None
    if isinstance(value, str):
        text = value.strip()
        # a serial (five digits: 1927-2173) or YYYYMMDD typed as text reads as the number; a year
        # or a day typed alone ('2026', '12') is no date
        if text.isascii() and text.isdigit() and len(text) in (5, 8):
            return to_date(int(text))
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        return None
    if value.__class__.__name__ == "datetime64":  # numpy's (a DataFrame's dates, pandas' NaT aside)
        day = value.astype("datetime64[D]").item()
        return day if isinstance(day, dt.date) else None
    return None


NOT_A_DATE = "is not a date (use a date cell, an Excel serial number or YYYY-MM-DD)"
