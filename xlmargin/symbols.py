"""Symbols that state their terms: option symbols and currency-pair symbols.

Option symbols, in the forms brokers export (text is compared in upper case):

- OSI / OCC, 21 characters: the root padded to six characters, the expiry as YYMMDD, C or P, the
  strike times 1,000 in eight digits: ``SPY   251219P00450000``, ``SPXW  251219C05000000``; also
  without the padding, ``SPY251219P00450000``.
- IBKR statement descriptions: root, expiry as DDMMMYY, strike, C or P, and optionally the
  multiplier: ``SPX 19DEC25 4500 P``, ``AAPL 17JAN25 182.5 C``, ``AAPL 17JAN25 182.5 C 100``.
- TWS descriptions: ``SPX DEC19'25 4500 PUT`` or ``SPX DEC 19 '25 4500 PUT``.

The root is a ticker of up to six characters, or a share class written with a separator
(``BRK/B``, ``BRK.B``, ``BRK-B``, ``BRK_B``, ``BRK B``: ``BRK/B 270319C00450000``,
``BRK/B 19MAR27 450 C``), whose underlying is that share class as written. The root names the
underlying through ``symbols.toml`` ``[roots]`` (SPXW → SPX); an unlisted root is its own
underlying, except an adjusted root (a ticker followed by a digit, ``AAPL1``), whose underlying is
the ticker (:func:`adjusted_root`: its deliverable may not be the standard contract's).

Any other text holding a root, a date YYMMDD, C or P and a strike (``SPY270319P450``,
``O:SPY270319P00450000``, a root of seven letters) is shaped like an option symbol but not one
xlmargin reads: :class:`SymbolError`, never a stock.

A currency-pair symbol (``EURUSD``, ``USDJPY``, ``XAUUSD``, ``BTCUSD``, ``EUR/USD``, ``EUR.USD``) is
priced in its second code, the quote currency.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray, FloatArray
from xlmargin.errors import RuleError, shown


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
# A root: a ticker of up to six characters (BRK.B), or a share class written with a separator: a
# slash, a dash, an underscore or a blank (BRK/B, BRK-B, BRK_B, BRK B), as brokers show it.
_ROOT_FORMS = r"[A-Z][A-Z0-9.]{0,5}?|[A-Z][A-Z0-9]{0,4}[/\-_][A-Z][A-Z0-9]?|[A-Z]{1,5} [A-Z](?=\s|$)"
_ROOT = r"(?P<root>" + _ROOT_FORMS + ")"
_DIGIT_LETTER = re.compile(r"\d\s?[A-Z]")


@dataclass(frozen=True, slots=True)
class _Shapes:
    """The option-symbol patterns, compiled on the first text that may be one (:func:`_shapes`):
    a book of tickers never reaches them, and compiling them costs some 3 ms."""

    osi: re.Pattern[str]
    osi_loose: re.Pattern[str]
    osi_typo: re.Pattern[str]
    ibkr: re.Pattern[str]
    tws: re.Pattern[str]
    no_right: re.Pattern[str]
    code_like: re.Pattern[str]
    cusip_or_isin: re.Pattern[str]
    root_only: re.Pattern[str]


@lru_cache(maxsize=1)
def _shapes() -> _Shapes:
    multiplier = r"(?:\s+[(\[]?(?P<mult>[^\s()\[\]]+)[)\]]?)?"
    return _Shapes(
        # shapes loose enough to recognise a mistyped option symbol, then reported, not read as a stock
        osi=re.compile(_ROOT + r"\s*(?P<date>\d{6})(?P<right>[A-Z])(?P<strike>\d{8})"),
        osi_loose=re.compile(_ROOT + r"\s*\d{5,7}[A-Z]\d{5,9}"),
        # OSI's places with a letter among the digits ('2401X19' for a date, 'C0015000O' for C and a
        # strike): after the root, a C or P between five to seven and seven to nine letters or
        # digits, at least ten of them digits. No ticker, ISIN (12 characters) or CUSIP has this shape.
        osi_typo=re.compile(_ROOT + r"\s*(?=(?:[A-Z]*\d){10})[A-Z0-9]{5,7}[CP][A-Z0-9]{7,9}"),
        ibkr=re.compile(
            _ROOT + r"\s+(?P<day>\d{1,2})(?P<month>[A-Z]{3})(?P<year>\d{2,4})\s+(?P<strike>\S+)"
            r"\s+(?P<right>[A-Z]+)" + multiplier
        ),
        tws=re.compile(
            _ROOT + r"\s+(?P<month>[A-Z]{3})\s?(?P<day>\d{1,2})\s?'(?P<year>\d{2})\s+(?P<strike>\S+)"
            r"\s+(?P<right>[A-Z]+)" + multiplier
        ),
        # An IBKR or TWS description with a strike and no C or P ('SPY 19MAR27 450', 'SPY MAR19'27
        # 450'): an option whose right is missing, refused (a ticker never has this shape)
        no_right=re.compile(
            _ROOT + r"\s+(?:(?P<day>\d{1,2})(?P<month>[A-Z]{3})\d{2,4}|(?P<tws>[A-Z]{3})\s?\d{1,2}\s?'\d{2})"
            r"\s+\d+(?:\.\d+)?(?:\s+[(\[]?\d+(?:\.\d+)?[)\]]?)?"
        ),
        # Any other text with a root, a date YYMMDD, C or P and a strike is an option code xlmargin
        # does not read (a root of seven letters or of digits, a strike not in eight digits:
        # 'SPY270319P450', 'O:SPY270319P00450000', '.SPY270319P450'): refused, never read as a
        # stock. A CUSIP (nine characters) or an ISIN (twelve) without a blank stays what it is.
        code_like=re.compile(
            r"\S{0,3}?[A-Z0-9][A-Z0-9./\-_: ]*?[\s_]*(?P<date>\d{6})\s*[CP]\s*\d+(?:\.\d+)?(?:\s+\S+)?"
        ),
        cusip_or_isin=re.compile(r"[A-Z0-9]{9}|[A-Z]{2}[A-Z0-9]{9}\d"),
        root_only=re.compile(_ROOT_FORMS),
    )


# A pair's separator (/ . - _ or a blank: EUR/USD, EUR.USD, EUR-USD) only between its two codes
# (blanks around it allowed: EUR / USD), then a broker's suffix after a separator (EURUSD.,
# EURUSD.pro: symbols.toml [pair_suffixes])
_PAIR_SHAPE = re.compile(r"([A-Z]{3})(?:\s*[/.\-_]\s*|\s+)?([A-Z]{3})(?:[/.\-_ ]([A-Z0-9]*))?")
# Looser still: a call/put word beside a number ("IBM 95 CALL", "SPY 450P"): not readable, but not a stock.
_OPTION_WORDS = re.compile(r"\b(CALLS?|PUTS?)\b|\b\d+(\.\d+)?[CP]\b|\s[CP]$|\d\s+[CP]\s")
_RIGHTS = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}
_EXAMPLE = (
    "expected an OSI symbol such as 'SPY   251219P00450000' or a description such as 'SPX 19DEC25 4500 P'"
)


def missing_right(text: str) -> bool:
    """True for an IBKR or TWS option description with a strike and no C or P (upper case:
    'SPY 19MAR27 450', 'SPY MAR19'27 450'), which :func:`parse_option` refuses."""
    bare = _shapes().no_right.fullmatch(text)
    return bare is not None and (bare["month"] or bare["tws"]) in MONTHS


def parse_option(text: str) -> OptionSymbol | None:
    """The option ``text`` names; None when it is not shaped like an option symbol.

    Raises :class:`SymbolError` (one line) when it is shaped like one but a term does not read.
    """
    text = text.upper().strip()
    if len(text) < 8:
        return None
    # every shape below holds a digit followed by a letter (OSI, IBKR) or an apostrophe and a digit
    # (TWS): a bond's description or a CUSIP without them is no option, found without trying each
    if "'" not in text:
        if _DIGIT_LETTER.search(text) is None:
            return None
    elif not any(c.isdigit() for c in text):
        return None
    shapes = _shapes()
    if (m := shapes.osi.fullmatch(text)) is not None:
        date = m["date"]
        expiry = _date(text, 2000 + int(date[:2]), int(date[2:4]), int(date[4:]))
        return _option(text, m["root"], expiry, m["right"], int(m["strike"]) / 1000.0, None)
    if shapes.osi_loose.fullmatch(text) or shapes.osi_typo.fullmatch(text):
        raise SymbolError(
            f"'{shown(text)}' looks like an OSI option symbol but needs six date digits (YYMMDD), C or P and "
            f"eight strike digits; {_EXAMPLE}"
        )
    m = shapes.ibkr.fullmatch(text) or shapes.tws.fullmatch(text)
    if m is None:
        if missing_right(text):
            raise SymbolError(
                f"'{shown(text)}' reads as an option (a root, an expiry and a strike) but has no C or P: "
                f"call or put? Write C or P after the strike; {_EXAMPLE}"
            )
        if _code_like(text):
            raise SymbolError(
                f"'{shown(text)}' looks like an option symbol (a root, a date YYMMDD, C or P, a strike) in "
                "a form xlmargin does not read: an OSI symbol has a root of one to six characters (a share "
                "class as BRK/B, BRK.B or BRK B), six date digits, C or P and eight strike digits; "
                + _EXAMPLE
            )
        return None
    month = MONTHS.get(m["month"])
    if month is None:
        raise SymbolError(f"'{shown(text)}': '{shown(m['month'])}' is not a month (JAN..DEC); {_EXAMPLE}")
    year = int(m["year"])
    expiry = _date(text, year + 2000 if year < 100 else year, month, int(m["day"]))
    return _option(text, m["root"], expiry, m["right"], _number(text, m["strike"], "strike"), m["mult"])


def _code_like(text: str) -> bool:
    """Whether ``text`` holds a root, a plausible date YYMMDD, C or P and a strike (``code_like``)."""
    m = _shapes().code_like.fullmatch(text)
    if m is None or _shapes().cusip_or_isin.fullmatch(text):
        return False
    month, day = int(m["date"][2:4]), int(m["date"][4:])
    return 1 <= month <= 12 and 1 <= day <= 31


@dataclass(frozen=True, slots=True)
class OptionTerms:
    """Option symbols read in bulk: per text, whether it is one, and its terms (NaN/None if not)."""

    parsed: BoolArray
    root: np.ndarray  # object arrays of str, None where not an option
    underlying: np.ndarray
    right: np.ndarray
    strike: FloatArray
    expiry: FloatArray  # date ordinals
    multiplier: FloatArray


def parse_options(texts: Sequence[str]) -> tuple[OptionTerms, dict[int, str]]:
    """:func:`parse_option` over many upper-case texts: (their terms, {index: why} for the malformed).

    Well-formed OSI symbols, the bulk of a broker export, are read with numpy in one pass over
    their characters; every other text goes through :func:`parse_option`.
    """
    n = len(texts)
    root = np.full(n, None, dtype=object)
    right = np.full(n, None, dtype=object)
    multiplier = np.full(n, np.nan)
    parsed, strike, expiry, calls = _osi_many(texts)
    osi = np.flatnonzero(parsed)
    if len(osi):
        found = [texts[k][:-15].rstrip() for k in osi.tolist()]
        root_only = _shapes().root_only
        valid = {r: root_only.fullmatch(r) is not None for r in set(found)}
        root[osi] = found
        right[osi] = np.where(calls[osi], "C", "P")
        wrong = osi[[not valid[r] for r in found]]
        parsed[wrong] = False  # a root that is no ticker: read (or refused) by parse_option below
        root[wrong] = right[wrong] = None
        strike[wrong] = expiry[wrong] = np.nan
    bad: dict[int, str] = {}
    for k in np.flatnonzero(~parsed).tolist():
        text = texts[k]
        if len(text) < 8:  # shorter than any option symbol: the common ticker, skipped cheaply
            continue
        try:
            option = parse_option(text)
        except SymbolError as exc:
            bad[k] = str(exc)
            continue
        if option is not None:
            parsed[k] = True
            root[k], right[k], strike[k] = option.root, option.right, option.strike
            expiry[k] = option.expiry.toordinal()
            multiplier[k] = np.nan if option.multiplier is None else option.multiplier
    roots = {r: underlying_of_root(r) for r in set(root[parsed].tolist())}
    underlying = np.full(n, None, dtype=object)
    underlying[parsed] = [roots[r] for r in root[parsed].tolist()]
    return OptionTerms(parsed, root, underlying, right, strike, expiry, multiplier), bad


def _osi_many(texts: Sequence[str]) -> tuple[BoolArray, FloatArray, FloatArray, BoolArray]:
    """(is a well-formed OSI symbol, strike, expiry ordinal, is a call) per text, from the last 15
    characters: YYMMDD, C or P, eight strike digits (the root before them is checked by the caller)."""
    n = len(texts)
    none = np.zeros(n, dtype=bool), np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=bool)
    if n == 0:
        return none
    if max(map(len, texts)) < 16:  # no OSI symbol is this short (tickers): nothing to read
        return none
    chars = np.array(texts, dtype=str)
    width = chars.dtype.itemsize // 4
    codes = chars.view(np.uint32).reshape(n, width).astype(np.int64)
    lengths = (codes != 0).sum(axis=1)
    ok = lengths >= 16
    tail = np.where(ok[:, None], lengths[:, None] - 15 + np.arange(15), 0)
    t = np.take_along_axis(codes, tail, axis=1) - ord("0")
    digits = np.r_[0:6, 7:15]
    ok &= ((t[:, digits] >= 0) & (t[:, digits] <= 9)).all(axis=1)
    right = t[:, 6] + ord("0")
    ok &= (right == ord("C")) | (right == ord("P"))
    year, month, day = 2000 + t[:, 0] * 10 + t[:, 1], t[:, 2] * 10 + t[:, 3], t[:, 4] * 10 + t[:, 5]
    ok &= (month >= 1) & (month <= 12) & (day >= 1)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("timedelta64[M]")
    first = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]")
    following = (np.datetime64("1970-01", "M") + months + 1).astype("datetime64[D]")
    ok &= day <= (following - first).astype(np.int64)
    ordinal = (first - np.datetime64("1970-01-01", "D")).astype(np.int64) + _EPOCH_ORDINAL + day - 1
    strike = t[:, 7:15] @ (10 ** np.arange(7, -1, -1)) / 1000.0
    ok &= strike > 0
    return (
        ok,
        np.where(ok, strike, np.nan),
        np.where(ok, ordinal, np.nan).astype(np.float64),
        right == ord("C"),
    )


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def looks_like_option(text: str) -> bool:
    """True for text that reads like an option without being a symbol :func:`parse_option` reads."""
    upper = text.upper()
    # every form the pattern reads holds a C or a P: most texts (tickers, bond descriptions) skip it
    return ("C" in upper or "P" in upper) and _OPTION_WORDS.search(upper) is not None


def _option(
    text: str, root: str, expiry: dt.date, right: str, strike: float, mult: str | None
) -> OptionSymbol:
    found = _RIGHTS.get(right)
    if found is None:
        raise SymbolError(f"'{shown(text)}': '{shown(right)}' is not C/P (call/put); {_EXAMPLE}")
    if not strike > 0:
        raise SymbolError(f"'{shown(text)}': the strike must be positive; {_EXAMPLE}")
    multiplier = None if mult is None else _number(text, mult, "multiplier")
    return OptionSymbol(root, underlying_of_root(root), expiry, found, strike, multiplier)


def _date(text: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise SymbolError(
            f"'{shown(text)}': the expiry {year}-{month:02d}-{day:02d} is not a date; {_EXAMPLE}"
        ) from None


def _number(text: str, value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SymbolError(
            f"'{shown(text)}': the {what} '{shown(value)}' is not a number; {_EXAMPLE}"
        ) from None
    if not number > 0:
        raise SymbolError(f"'{shown(text)}': the {what} must be positive; {_EXAMPLE}")
    return number


# A share class written with a separator: a ticker of one to five letters, a blank, '.', '/', '-' or
# '_', and the class letter (BRK.B, BRK B, BRK/B, BF.B, HEI.A)
SHARE_CLASS_SEPARATORS = " ./-_"
"""The characters that may part a share class from its ticker (BRK.B, BRK B): a symbol holding none
is its own :func:`share_class_key`."""
_SHARE_CLASS = re.compile(rf"([A-Z]{{1,5}})[{re.escape(SHARE_CLASS_SEPARATORS)}]([A-Z])")


def share_class_key(symbol: str) -> str:
    """A share class's ticker without its separator (``BRK.B``, ``BRK B``, ``BRK/B``, ``BRK-B``,
    ``BRK_B`` → ``BRKB``, OCC's option root for it), any other (upper-case) symbol as it is: two
    spellings of one class have one key. The key alone cannot tell a share class from a ticker
    followed by a one-letter exchange suffix (``VOD.L``), nor a class from a ticker that happens
    to spell it joined (a ``BRKB`` that is no Berkshire); the positions reader takes it only to
    find the book's own stock an option's underlying names otherwise
    (:func:`xlmargin.positions.infer.share_class_underlyings`)."""
    found = _SHARE_CLASS.fullmatch(symbol)
    return found[1] + found[2] if found else symbol


def underlying_of_root(root: str) -> str:
    """The underlying an option root names: the ``[roots]`` table, an adjusted root's ticker, or itself."""
    listed = _tables()[0].get(root)
    if listed is not None:
        return listed
    return adjusted_root(root) or root


def adjusted_root(root: str) -> str | None:
    """The ticker of an adjusted option root (a ticker followed by a digit: AAPL1 → AAPL, not a root
    of ``[roots]``), whose contract may deliver other than the standard 100 shares; else None."""
    if root in _tables()[0]:
        return None
    base = root.rstrip("0123456789")
    return base if base and base != root else None


def pair_quote(symbol: str, declared: bool = False) -> str | None:
    """The quote currency of a currency-pair symbol (``EUR/USD`` → USD), or None when it is not one:
    its codes read as :func:`currency_pair` reads them (``declared``: the row says it is a pair, so
    any ISO code; else the quoted ones only), or a metal or cryptocurrency heading it
    (``XAUUSD``, ``BTCUSD``: symbols.toml [pair_bases])."""
    codes = pair_codes(symbol)
    if codes is None:
        return None
    known = currency_codes(declared)
    base, quote = codes
    return quote if quote in known and (base in known or base in _tables()[2]) else None


def pair_base_class(symbol: str) -> str | None:
    """The class of a pair symbol headed by a metal or a cryptocurrency (symbols.toml [pair_bases]:
    XAUEUR → gold, BTCGBP → crypto), whatever its quote currency; None for any other symbol."""
    if pair_quote(symbol) is None:
        return None
    codes = pair_codes(symbol)
    return None if codes is None else _base_classes().get(codes[0])


def pair_quotes(symbols: Sequence[str], declared: bool = False) -> list[str | None]:
    """:func:`pair_quote` of each of ``symbols`` (``declared`` as it takes it), a symbol that cannot
    be a pair passed over at a length test (:func:`_of_pairs`)."""
    return _of_pairs(symbols, lambda s: pair_quote(s, declared))


def pair_base_classes(symbols: Sequence[str]) -> list[str | None]:
    """:func:`pair_base_class` of each of ``symbols``, a symbol that cannot be a pair passed over at a
    length test (:func:`_of_pairs`)."""
    return _of_pairs(symbols, pair_base_class)


def _of_pairs(symbols: Sequence[str], read: Callable[[str], str | None]) -> list[str | None]:
    """``read`` of each of ``symbols`` that may be a pair of :func:`pair_codes`, None for the others:
    those with fewer than six, or more than :func:`_longest_pair`, characters besides their blanks
    (two codes, a separator and a suffix of ``[pair_suffixes]`` after one). A symbol holding another
    blank (a tab: not printable) is read. A book of OSI option symbols costs a length each.

    When every symbol is printable (one test of them joined), only those of six characters or more
    are looked at, found from their lengths in C: a book of tickers (AAPL, SPY) costs no Python step
    per symbol (callgrind, 300 tickers: 0.16 million instructions a call against 0.50 tested one by
    one)."""
    longest = _longest_pair()
    if "".join(symbols).isprintable():
        if max(map(len, symbols), default=0) < 6:  # tickers alone
            return [None] * len(symbols)
        lengths = np.fromiter(map(len, symbols), dtype=np.int64, count=len(symbols))
        out: list[str | None] = [None] * len(symbols)
        for k in np.flatnonzero(lengths >= 6).tolist():
            s = symbols[k]
            if len(s) - s.count(" ") >= 6 and len(s) - s.count(" ") <= longest:
                out[k] = read(s)
        return out
    return [
        read(s) if 6 <= len(s) - s.count(" ") <= longest or not s.isprintable() else None for s in symbols
    ]


@lru_cache(maxsize=1)
def _longest_pair() -> int:
    """The most characters besides blanks a pair symbol of :func:`pair_codes` has: two codes, a
    separator between them, and a separator and the longest suffix of ``[pair_suffixes]``."""
    return 3 + 1 + 3 + 1 + max(len(s) for s in _pair_suffixes())


@lru_cache(maxsize=4096)  # a book of pairs repeats a few symbols thousands of times
def currency_pair(symbol: str, declared: bool = False) -> tuple[str, str] | None:
    """(base, quote) of a symbol such as EURUSD, EUR/USD or EUR.USD (:func:`pair_codes`: EU.RUSD is
    none) when both are known codes. ``declared``: the row says it is a currency pair (type fx, an
    FX class), so any currency of esma.toml ``[currencies] codes`` (ISO 4217: USDRUB, USDTWD);
    else the symbol alone must make the pair, so only the codes of ``quoted`` (EURUSD, USDTRY), and
    a share's six-letter ticker that happens to spell two other ISO codes stays a ticker."""
    codes = pair_codes(symbol)
    known = currency_codes(declared)
    if codes is not None and codes[0] in known and codes[1] in known:
        return codes
    return None


def iso_pair(symbol: str) -> tuple[str, str] | None:
    """(base, quote) of a symbol that spells two ISO codes of esma.toml ``[currencies] codes`` but is
    no pair by its symbol alone (:func:`currency_pair` without ``declared``: USDRUB, ALLTOP), else
    None: a row whose class is blank on it says neither pair nor share."""
    if currency_pair(symbol) is not None:
        return None
    return currency_pair(symbol, declared=True)


def pair_codes(symbol: str) -> tuple[str, str] | None:
    """The two three-letter codes of a symbol shaped as a pair, whether or not they are known codes:
    six letters, or three, one separator (``/ . - _`` or a blank, blanks around it allowed) and
    three (``EURUSD``, ``EUR/USD``, ``eur.usd``, ``EUR / USD``), in any case and with blanks around
    it, then perhaps a broker's suffix of ``symbols.toml [pair_suffixes]`` after a separator
    (``EURUSD.``, ``EURUSD.pro``); None for any other text. A separator inside a code (``EU.RUSD``),
    before the pair (``.EURUSD``), doubled (``EUR..USD``) or an unknown suffix (``EURUSD.DEC26``, a
    CFD on the future: its underlying says the pair) make no pair."""
    match = _PAIR_SHAPE.fullmatch(symbol.strip().upper())
    if match is None or (match[3] is not None and match[3] not in _pair_suffixes()):
        return None
    return match[1], match[2]


@lru_cache(maxsize=1)
def _pair_suffixes() -> frozenset[str]:
    return frozenset(str(s).upper() for s in rules.load("symbols")["pair_suffixes"]["suffixes"])


INDEX_SUFFIX = re.compile(r"[.\-_ ]")
"""What parts an index symbol from a broker's suffix: US500.cash, DE40-cash, UK100., HK50_m."""
INDEX_TABLES = ("major_indices", "other_indices")
"""The tables of esma.toml that name equity indices and the CFD symbols brokers use for each."""


def listed_index(names: Sequence[str], table: str) -> tuple[str, str] | None:
    """What names an index of an index table of esma.toml (:data:`INDEX_TABLES`) and which index:
    ``('HK50 = HANG_SENG [other_indices]', 'HANG_SENG')`` when one of ``names`` (a symbol, then an
    underlying) is a symbol of the table, or its part before a separator is and the rest is a
    broker's index suffix of ``[index_suffixes]`` (``'US500.CASH = US500 = SP_500
    [major_indices]'``); else None. Only that exact part and those suffixes: a ticker that merely
    starts like an index (US500X, DAXX) or a share's exchange suffix (SPX.L, COMP.US) is not one.
    The one reading of these tables: ESMA's caps and the risk view's factor both take it."""
    indices = _index_symbols(table)
    for name in names:
        if name in indices:
            return f"{name} = {indices[name]} [{table}]", indices[name]
    suffixes = _index_suffixes()
    for name in names:
        head, *tail = INDEX_SUFFIX.split(name, maxsplit=1)
        if tail and tail[0] in suffixes and head in indices:
            return f"{name} = {head} = {indices[head]} [{table}]", indices[head]
    return None


@lru_cache(maxsize=4)  # the index tables, [futures] and [commodity_cfds]
def _index_symbols(table: str) -> Mapping[str, str]:
    """Each symbol of a table of esma.toml listing symbols by name (an index table: the index each
    names; ``[futures]``: the ESMA class of each root's underlying)."""
    return MappingProxyType(
        {
            str(symbol): index
            for index, symbols in rules.load("esma")[table].items()
            if index not in ("source", "confidence", "notes")
            for symbol in symbols
        }
    )


@lru_cache(maxsize=1)
def _index_suffixes() -> frozenset[str]:
    return frozenset(str(s) for s in rules.load("esma")["index_suffixes"]["suffixes"])


FUTURES_MONTH_CODES = "FGHJKMNQUVXZ"
"""Futures delivery-month letters, January to December (``ESZ6``: December)."""
_MONTH_YEAR = re.compile(f"[{FUTURES_MONTH_CODES}][0-9]{{1,2}}")


def futures_root(name: str, roots: Mapping[str, object], bare: bool = True) -> str | None:
    """The root of ``roots`` a futures symbol spells: ``ESZ6`` -> ``ES``, ``6EH27`` -> ``6E`` (a
    month letter and one or two year digits after the root), and the root alone (``ZN``) when
    ``bare``; else None. The longest root wins (``MESZ6`` is MES, not a root M)."""
    text = name.strip().upper()
    for cut in range(len(text), 0, -1):
        root, rest = text[:cut], text[cut:]
        if root in roots and ((bare and not rest) or _MONTH_YEAR.fullmatch(rest)):
            return root
    return None


def listed_future(symbol: str, underlying: str) -> tuple[str, str] | None:
    """What names a futures root of esma.toml ``[futures]`` and the ESMA class of its underlying
    (ESMA Q&A 1984): ``('GCZ6 = GC [futures]', 'gold')`` for a symbol spelling a root with a month
    code, or an underlying that spells one or, apart from the symbol, is a root; else None. A symbol
    that is a root alone is not one, nor is its own underlying (the reader's blank underlying): ES,
    CL, SI, DX are share tickers too."""
    classes = _index_symbols("futures")
    for name, bare in ((symbol, False), (underlying, underlying.strip().upper() != symbol.strip().upper())):
        root = futures_root(name, classes, bare) if name else None
        if root is not None:
            text = name.strip().upper()
            return (f"{text} = {root} [futures]" if text != root else f"{root} [futures]"), classes[root]
    return None


@lru_cache(maxsize=1)
def funds() -> frozenset[str]:
    """The symbols ``symbols.toml [funds]`` lists: shares of exchange-traded funds and trusts."""
    return frozenset(k for k in rules.load("symbols")["funds"] if k not in ("source", "confidence"))


@lru_cache(maxsize=1)
def _tables() -> tuple[Mapping[str, str], frozenset[str], frozenset[str]]:
    table = rules.load("symbols")
    roots = {k: str(v) for k, v in table["roots"].items() if k not in ("source", "confidence")}
    currencies = frozenset(rules.load("esma")["currencies"]["quoted"])
    return roots, currencies, frozenset(_base_classes())


@lru_cache(maxsize=2)
def currency_codes(declared: bool) -> frozenset[str]:
    """The currency codes of esma.toml ``[currencies]`` a pair symbol reads: every ISO 4217 code of
    ``codes`` (``declared``: on a row that says it is a pair) or those of ``quoted``."""
    if not declared:
        return _tables()[1]
    iso = frozenset(str(c) for c in rules.load("esma")["currencies"]["codes"])
    if not _tables()[1] <= iso:
        raise RuleError("esma.toml [currencies]: every code of quoted must be one of codes")
    return iso


@lru_cache(maxsize=1)
def price_currency_codes() -> frozenset[str]:
    """The codes a positions table's currency column takes: every ISO 4217 code of esma.toml
    ``[currencies] codes`` and the exchanges' minor units of ``minor_units`` (GBX, pence)."""
    table = rules.load("esma")["currencies"]
    return currency_codes(True) | frozenset(str(c) for c in table.get("minor_units", ()))


@lru_cache(maxsize=1)
def _base_classes() -> Mapping[str, str]:
    return {code: str(c) for code, c in rules.load("symbols")["pair_bases"]["classes"].items()}


__all__ = [
    "SHARE_CLASS_SEPARATORS",
    "OptionSymbol",
    "OptionTerms",
    "SymbolError",
    "adjusted_root",
    "currency_codes",
    "currency_pair",
    "funds",
    "iso_pair",
    "listed_index",
    "looks_like_option",
    "missing_right",
    "pair_base_class",
    "pair_base_classes",
    "pair_codes",
    "pair_quote",
    "pair_quotes",
    "parse_option",
    "parse_options",
    "price_currency_codes",
    "share_class_key",
    "underlying_of_root",
]
