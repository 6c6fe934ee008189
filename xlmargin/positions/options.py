"""The option columns of a positions table: right, expiry (a date or days to expiry), style, and the
checks of strikes, underlying prices and whole contracts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.positions.columns import norm_header
from xlmargin.positions.conventions import bare_year
from xlmargin.positions.enums import Kinds, enum_values
from xlmargin.positions.infer import SymbolTerms, check_and_fill, rows_warning
from xlmargin.positions.model import DAYS_PER_YEAR
from xlmargin.positions.reader import ColumnReader, factorize, indices

_RIGHTS = {"c": "C", "call": "C", "p": "P", "put": "P"}
_STYLES = {"american": "american", "a": "american", "amer": "american",
           "european": "european", "e": "european", "euro": "european"}  # fmt: skip


def option_columns(
    r: ColumnReader,
    is_option: BoolArray,
    kind: Kinds,
    underlying: tuple[np.ndarray, list[str]],
    european_roots: frozenset[str],
    as_of: dt.date,
    quantity: FloatArray,
    strike: FloatArray,
    underlying_price: FloatArray,
    multiplier: FloatArray,
    terms: SymbolTerms | None,
    warnings: list[str],
) -> OptionColumns:
    """Option columns: strike, underlying price, right, expiry (or days), style; futures keep an
    expiry when one is given (their contract month), without needing one. Blank option cells are
    filled from the option symbol first (``strike`` and ``multiplier`` in place). Days beside a date
    are ignored, with a warning where they disagree (:func:`_days_beside_dates`)."""
    text = r.text("right")
    found = enum_values(r, "right", text, _RIGHT_TABLE, lambda v: f"'{v}' is not call/put/C/P", is_option)
    ordinal, date_codes, distinct = r.dates("expiry", lambda value: bare_year(value, "expiry"))
    if terms is not None:  # per row: some filled from the symbols
        right = text.spread(found)
        check_and_fill(r, terms, is_option, strike, right, ordinal, multiplier)
        right[~is_option] = None
        right_codes = np.where(right == "C", 0, np.where(right == "P", 1, 2))
    else:  # per distinct text
        right_codes = np.array([_RIGHT_NAMES.index(f) for f in found], dtype=np.int64)[text.codes]
        right_codes[~is_option] = _RIGHT_NAMES.index(None)
    filled = terms.parsed & is_option if terms is not None else np.zeros(r.n, dtype=bool)

    for name, values, what in (
        ("strike", strike, "a strike"),
        ("underlying_price", underlying_price, "the underlying price"),
    ):
        for i in indices(is_option & r.blank(name) & ~(filled & (name == "strike"))):
            r.bad(i, name, f"an option needs {what}")
        with np.errstate(invalid="ignore"):
            for i in indices(is_option & (values < 0)):
                r.bad(i, name, f"{name.replace('_', ' ')} must be positive, got {values[i]:g}")
    for i in indices(is_option & r.blank("right") & ~filled):
        r.bad(i, "right", "an option needs a right (call or put)")
    codes: dict[str, tuple[IntArray, Sequence[str | None]]] = {"right": (right_codes, _RIGHT_NAMES)}

    days = r.number("days")
    dated = is_option | kind.of("future")
    has_date = dated & ~np.isnan(ordinal)
    has_days = dated & ~has_date & ~np.isnan(days)
    _days_beside_dates(r, dated & has_date & ~np.isnan(days), ordinal, days, as_of, warnings)
    for i in indices(has_date & (ordinal < as_of.toordinal())):
        r.bad(
            i, "expiry", f"expiry {dt.date.fromordinal(int(ordinal[i]))} is before the valuation date {as_of}"
        )
    with np.errstate(invalid="ignore"):
        for i in indices(has_days & (days < 0)):
            r.bad(i, "days", f"days to expiry cannot be negative, got {days[i]:g}")
    # the expiry is a date: days that run past the calendar (a year beyond 9999, as from an
    # as_of of 9999-12-31) are refused on their row rather than stopping the read
    day = as_of.toordinal() + np.floor(np.where(has_days, days, 0.0))
    off_calendar = has_days & ((day < 1) | (day > dt.date.max.toordinal()))
    for i in indices(off_calendar & (days >= 0)):
        r.bad(i, "days", f"{days[i]:g} days from the valuation date {as_of} run past {dt.date.max}")
    has_days &= ~off_calendar
    # A 0 is no expiry (Excel's serial 0; on Office.js an empty cell arrives as 0): refused on an
    # option's row, which needs one; on a future's, which needs none, it reads as the empty cell it
    # may be (excel-integration.md: the Excel layer gives no meaning to blank against 0)
    undated = is_option & r.blank("expiry") & r.blank("days") & ~filled
    zero_date, zero_days = r.zero("expiry"), r.zero("days")
    for i in indices(undated & ~zero_date & ~zero_days):
        r.bad(i, "expiry", "an option needs an expiry date (or days to expiry)")
    for i in indices(undated & zero_days):  # Office.js sends a blank cell as 0: a 0 cannot mean today
        r.bad(i, "days", ZERO_DAYS)
    for i in indices(undated & zero_date & ~zero_days):
        r.bad(i, "expiry", ZERO_DATE)
    expiry_years = np.where(has_date, (ordinal - as_of.toordinal()) / DAYS_PER_YEAR, np.nan)
    expiry_years[has_days] = days[has_days] / DAYS_PER_YEAR
    _too_far(r, expiry_years, has_date, has_days, as_of)
    if not has_days.any() and not filled.any():  # the column's own dates (None past the last)
        of_found, days_found = factorize([*distinct, None])  # two cells may spell one date
        expiry_codes = of_found[np.where(has_date, date_codes, len(distinct))]
    else:
        whole = np.where(has_date, ordinal, as_of.toordinal() + np.floor(np.nan_to_num(days)))
        dated_rows = has_date | has_days
        dates, inverse = np.unique(whole[dated_rows], return_inverse=True)
        days_found = [*(dt.date.fromordinal(int(d)) for d in dates.tolist()), None]
        expiry_codes = np.full(r.n, len(dates), dtype=np.int64)
        expiry_codes[dated_rows] = inverse.ravel()
    codes["expiry"] = (expiry_codes, days_found)

    und_codes, uniques = underlying
    european = np.array([u in european_roots for u in uniques], dtype=bool)[und_codes] | kind.of(
        "future_option"
    )
    style_codes = european.astype(np.int64)  # into _STYLE_NAMES
    if r.has("style"):
        text = r.text("style")
        found = enum_values(
            r, "style", text, _STYLE_TABLE, lambda v: f"'{v}' is not american/european", is_option
        )
        given = np.array([_STYLE_NAMES.index(f) for f in found], dtype=np.int64)[text.codes]
        chosen = given != _STYLE_NAMES.index(None)
        style_codes[chosen] = given[chosen]
    style_codes[~is_option] = _STYLE_NAMES.index(None)
    codes["style"] = (style_codes, _STYLE_NAMES)

    for i in indices(is_option & (quantity != np.round(quantity))):  # quantities are never NaN
        r.bad(i, "quantity", f"option contracts must be whole numbers, got {quantity[i]:g}")
    for i in indices(kind.of("future") & (quantity != np.round(quantity))):
        r.bad(i, "quantity", f"futures contracts must be whole numbers, got {quantity[i]:g}")
    return OptionColumns(expiry_years, codes, {})


ZERO_DAYS = "days to expiry of 0 reads as a blank cell: give the expiry date (or days above 0)"
ZERO_DATE = (
    "an expiry of 0 is no date (Excel's serial 0, which an empty date cell reads as): give the expiry "
    "date (or days to expiry)"
)


def _too_far(
    r: ColumnReader, years: FloatArray, has_date: BoolArray, has_days: BoolArray, as_of: dt.date
) -> None:
    """Report the rows whose expiry lies more than symbols.toml ``[expiry] years_max`` after the
    valuation date (an as_of of 1900, a date of the wrong century), on the column that gave it."""
    most = float(rules.load("symbols")["expiry"]["years_max"])
    with np.errstate(invalid="ignore"):
        far = years > most
    for i in indices(far & has_date):
        r.bad(i, "expiry", f"expiry {years[i]:.0f} years after the valuation date {as_of}: more than "
              f"{most:g} (symbols.toml [expiry] years_max); check the expiry and as_of")  # fmt: skip
    for i in indices(far & has_days):
        r.bad(i, "days", f"{r.number('days')[i]:g} days to expiry run more than {most:g} years "
              "(symbols.toml [expiry] years_max); check the days")  # fmt: skip


DAYS_SLACK = 1.0  # days to expiry within a day of the date's agree (a DTE counted the day before)


def _days_beside_dates(
    r: ColumnReader,
    both: BoolArray,
    ordinal: FloatArray,
    days: FloatArray,
    as_of: dt.date,
    warnings: list[str],
) -> None:
    """Warn of the rows (``both``) whose expiry date and days to expiry disagree by more than
    :data:`DAYS_SLACK`: the date wins, as in a broker's export (the contract's date is its expiry;
    days count from the valuation date). One warning names the rows and, for the first, both
    figures; rows that agree, and rows giving days alone, warn of nothing."""
    apart = ordinal - as_of.toordinal()
    with np.errstate(invalid="ignore"):
        off = indices(both & (np.abs(days - apart) > DAYS_SLACK))
    if not off:
        return
    expiry, dte, first = r.header("expiry"), r.header("days"), off[0]
    date = dt.date.fromordinal(int(ordinal[first]))
    warnings.append(
        rows_warning(
            [int(r.rows[i]) for i in off],
            f", {dte}: disagrees with {expiry} by more than a day; the date is used "
            f"(row {int(r.rows[first])}: {dte} {days[first]:g}, {expiry} {date} is {apart[first]:g} days "
            f"from the valuation date {as_of})",
        )
    )


@dataclass(frozen=True, slots=True)
class OptionColumns:
    """What :func:`option_columns` reads: per row years to expiry (NaN off options), and the right,
    expiry and style columns (None off options) as codes, or (a book without options or futures) as
    arrays."""

    expiry_years: FloatArray
    codes: dict[str, tuple[IntArray, Sequence[str | None]]]
    arrays: dict[str, np.ndarray]

    @staticmethod
    def none(n: int) -> OptionColumns:
        """A book without options or futures."""
        blank = np.full(n, None, dtype=object)
        return OptionColumns(
            np.full(n, np.nan), {}, {"right": blank, "style": blank.copy(), "expiry": blank.copy()}
        )


_RIGHT_TABLE = {norm_header(k): v for k, v in _RIGHTS.items()}
_RIGHT_NAMES = ("C", "P", None)  # codes 0, 1, 2
_STYLE_NAMES = ("american", "european", None)
_STYLE_TABLE = {norm_header(k): v for k, v in _STYLES.items()}
