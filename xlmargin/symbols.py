"""Symbols that state their terms: option symbols and currency-pair symbols.

Option symbols, in the forms brokers export (text is compared in upper case):

- OSI / OCC, 21 characters: the root padded to six characters, the expiry as YYMMDD, C or P, the
  strike times 1,000 in eight digits: ``SPY   251219P00450000``, ``SPXW  251219C05000000``; also
  without the padding, ``SPY251219P00450000``.
- IBKR statement descriptions: root, expiry as DDMMMYY, strike, C or P, and optionally the
  multiplier: ``SPX 19DEC25 4500 P``, ``AAPL 17JAN25 182.5 C``, ``AAPL 17JAN25 182.5 C 100``.
- TWS descriptions: ``SPX DEC19'25 4500 PUT`` or ``SPX DEC 19 '25 4500 PUT``.

The root names the underlying through ``symbols.toml`` ``[roots]`` (SPXW → SPX); an unlisted root is
its own underlying, except an adjusted root (a ticker followed by a digit, ``AAPL1``), whose
underlying is the ticker.

A currency-pair symbol (``EURUSD``, ``USDJPY``, ``XAUUSD``, ``BTCUSD``, ``EUR/USD``, ``EUR.USD``) is
priced in its second code, the quote currency.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from xlmargin import rules


@dataclass(frozen=True, slots=True)
class OptionSymbol:
    """The terms an option symbol states."""

    root: str
    underlying: str
    expiry: dt.date
    right: str  # "C" | "P"
    strike: float
    multiplier: float | None = None  # only IBKR descriptions may state it


class SymbolError(ValueError):
    """A symbol shaped like an option symbol whose terms do not read (the message says which)."""


MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_ROOT = r"(?P<root>[A-Z][A-Z0-9.]{0,5}?)"
# Shapes, loose enough to recognise a mistyped option symbol, which is then reported, not read as a stock.
_OSI = re.compile(_ROOT + r"\s*(?P<date>\d{6})(?P<right>[A-Z])(?P<strike>\d{8})")
_OSI_LOOSE = re.compile(_ROOT + r"\s*\d{5,7}[A-Z]\d{5,9}")
_IBKR = re.compile(
    _ROOT + r"\s+(?P<day>\d{1,2})(?P<month>[A-Z]{3})(?P<year>\d{2,4})\s+(?P<strike>\S+)\s+(?P<right>[A-Z]+)"
    r"(?:\s+[(\[]?(?P<mult>[^\s()\[\]]+)[)\]]?)?"
)
_TWS = re.compile(
    _ROOT
    + r"\s+(?P<month>[A-Z]{3})\s?(?P<day>\d{1,2})\s?'(?P<year>\d{2})\s+(?P<strike>\S+)\s+(?P<right>[A-Z]+)"
    r"(?:\s+[(\[]?(?P<mult>[^\s()\[\]]+)[)\]]?)?"
)
# Looser still: a call/put word beside a number ("IBM 95 CALL", "SPY 450P"): not readable, but not a stock.
_OPTION_WORDS = re.compile(r"\b(CALLS?|PUTS?)\b|\b\d+(\.\d+)?[CP]\b|\s[CP]$")
_RIGHTS = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}
_EXAMPLE = (
    "expected an OSI symbol such as 'SPY   251219P00450000' or a description such as 'SPX 19DEC25 4500 P'"
)


def parse_option(text: str) -> OptionSymbol | None:
    """The option ``text`` names; None when it is not shaped like an option symbol.

    Raises :class:`SymbolError` (one line) when it is shaped like one but a term does not read.
    """
    text = text.upper().strip()
    if len(text) < 8 or not any(c.isdigit() for c in text):
        return None
    if (m := _OSI.fullmatch(text)) is not None:
        date = m["date"]
        expiry = _date(text, 2000 + int(date[:2]), int(date[2:4]), int(date[4:]))
        return _option(text, m["root"], expiry, m["right"], int(m["strike"]) / 1000.0, None)
    if _OSI_LOOSE.fullmatch(text):
        raise SymbolError(
            f"'{text}' looks like an OSI option symbol but needs six date digits (YYMMDD), C or P and "
            f"eight strike digits; {_EXAMPLE}"
        )
    m = _IBKR.fullmatch(text) or _TWS.fullmatch(text)
    if m is None:
        return None
    month = MONTHS.get(m["month"])
    if month is None:
        raise SymbolError(f"'{text}': '{m['month']}' is not a month (JAN..DEC); {_EXAMPLE}")
    year = int(m["year"])
    expiry = _date(text, year + 2000 if year < 100 else year, month, int(m["day"]))
    return _option(text, m["root"], expiry, m["right"], _number(text, m["strike"], "strike"), m["mult"])


def looks_like_option(text: str) -> bool:
    """True for text that reads like an option without being a symbol :func:`parse_option` reads."""
    return _OPTION_WORDS.search(text.upper()) is not None


def _option(
    text: str, root: str, expiry: dt.date, right: str, strike: float, mult: str | None
) -> OptionSymbol:
    found = _RIGHTS.get(right)
    if found is None:
        raise SymbolError(f"'{text}': '{right}' is not C/P (call/put); {_EXAMPLE}")
    if not strike > 0:
        raise SymbolError(f"'{text}': the strike must be positive; {_EXAMPLE}")
    multiplier = None if mult is None else _number(text, mult, "multiplier")
    return OptionSymbol(root, underlying_of_root(root), expiry, found, strike, multiplier)


def _date(text: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise SymbolError(
            f"'{text}': the expiry {year}-{month:02d}-{day:02d} is not a date; {_EXAMPLE}"
        ) from None


def _number(text: str, value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SymbolError(f"'{text}': the {what} '{value}' is not a number; {_EXAMPLE}") from None
    if not number > 0:
        raise SymbolError(f"'{text}': the {what} must be positive; {_EXAMPLE}")
    return number


def underlying_of_root(root: str) -> str:
    """The underlying an option root names: the ``[roots]`` table, an adjusted root's ticker, or itself."""
    listed = _tables()[0].get(root)
    if listed is not None:
        return listed
    base = root.rstrip("0123456789")
    return base if base and base != root else root


def pair_quote(symbol: str) -> str | None:
    """The quote currency of a currency-pair symbol (``EUR/USD`` → USD), or None when it is not one."""
    if len(symbol) < 6:
        return None
    letters = re.sub(r"[/.\-_ ]", "", symbol.upper())
    if len(letters) != 6:
        return None
    _, currencies, bases = _tables()
    base, quote = letters[:3], letters[3:]
    return quote if quote in currencies and (base in currencies or base in bases) else None


@lru_cache(maxsize=1)
def _tables() -> tuple[Mapping[str, str], frozenset[str], frozenset[str]]:
    table = rules.load("symbols")
    roots = {k: str(v) for k, v in table["roots"].items() if k not in ("source", "confidence")}
    currencies = frozenset(rules.load("esma")["currencies"]["codes"])
    return roots, currencies, frozenset(table["pair_bases"]["codes"])


__all__ = [
    "OptionSymbol",
    "SymbolError",
    "looks_like_option",
    "pair_quote",
    "parse_option",
    "underlying_of_root",
]
