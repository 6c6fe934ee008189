"""What a row says without saying it: option terms read from its symbol, its type when none is
given, its currency from a pair symbol; and the warnings a user should see about a book.

Rules (each documented in README "The positions table"):

- A symbol (or, failing that, a ``description``) that reads as an option symbol
  (:mod:`xlmargin.symbols`) makes the row an option when no type is given, and fills its
  underlying, strike, right, expiry and multiplier where those cells are blank; a filled cell that
  disagrees with the symbol is an error naming the row and that column. A symbol shaped like an
  option symbol whose terms do not read is an error naming the row.
- A row without a type is an option when its symbol reads as one or it has a right or a strike;
  else a stock. A row typed as anything else that has a strike or a right (or, for a stock or an
  ETF, an expiry) is an error: it is an option typed wrongly, or a cell pasted into the wrong row.
- A blank currency is the quote currency of a pair symbol (EURUSD, USDJPY, XAUUSD, BTCUSD, EUR/USD,
  EUR.USD, EUR / USD, EURUSD.pro → USD, JPY, USD, ...: :func:`xlmargin.symbols.pair_quote`, the
  reading every engine uses): on a row of type fx or an FX class any ISO 4217 code (USDRUB → RUB),
  elsewhere the quoted codes of esma.toml ``[currencies]`` only, so a share's six-letter ticker that
  spells two other codes keeps a blank currency; any other symbol needs its currency where an engine
  needs one. A cash row whose symbol is an ISO 4217 code (``EUR,cash,5000``) is cash in that
  currency: a blank currency is the symbol's, and a currency that names another is an error naming
  the row (which of the two holds is not for the reader to guess).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin import symbols
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.errors import rate_text, shown
from xlmargin.positions.model import PAIR_ASSET_CLASSES
from xlmargin.positions.reader import (
    ColumnReader,
    Text,
    factorize,
    factorize_few,
    indices,
    is_none,
    object_array,
)
from xlmargin.symbols import (
    looks_like_option,
    missing_right,
    parse_options,
    share_class_key,
    underlying_of_root,
)

# how many rows a warning names before it says "and N more"
SHOWN_ROWS = 8


@dataclass(frozen=True, slots=True)
class SymbolTerms:
    """Per row: the option its symbol (or description) names, NaN/None where it names none."""

    parsed: BoolArray
    column: np.ndarray  # "symbol" or "description": where the terms were read
    text: np.ndarray  # the text they were read from
    underlying: np.ndarray
    root: np.ndarray
    strike: FloatArray
    right: np.ndarray
    expiry: FloatArray  # date ordinals
    multiplier: FloatArray
    option_like: BoolArray  # reads like an option (IBM 95 CALL) without being a readable symbol


def symbol_terms(
    r: ColumnReader, symbol: Text, symbol_upper: Sequence[str], typed_otherwise: BoolArray
) -> SymbolTerms | None:
    """The option terms of every row's symbol, else its description; None when no row has any.
    ``typed_otherwise``: the rows whose type column names a type that is not an option."""
    columns = [("symbol", symbol, symbol_upper)]
    if r.has("description"):
        description = r.text("description")
        columns.append(("description", description, [v.upper() if v else "" for v in description.values]))
    terms: SymbolTerms | None = None
    for name, text, upper in columns:
        read = _parse_column(r, name, text, upper, typed_otherwise)
        if read is None:
            continue
        if terms is None:
            terms = read
            continue
        take = read.parsed & ~terms.parsed
        for field in ("column", "text", "underlying", "root", "strike", "right", "expiry", "multiplier"):
            mine = getattr(terms, field)
            mine[take] = getattr(read, field)[take]
        terms.parsed[take] = True
        terms.option_like[:] = (terms.option_like | read.option_like) & ~terms.parsed
    return terms


def _parse_column(
    r: ColumnReader, name: str, text: Text, upper: Sequence[str], typed_otherwise: BoolArray
) -> SymbolTerms | None:
    """Each distinct text read once (:func:`~xlmargin.symbols.parse_options`); a malformed option
    symbol is reported on each of its rows. None when no text is, or reads like, an option.

    A description with a strike but no C or P ('SPY 19MAR27 450') is refused where the row may be
    an option (its type blank or an option type); on a row typed as something else ('T 15MAY27 4.5'
    typed bond) it only reads like an option, and the row is margined as its type says, with the
    warning such rows get."""
    found, bad = parse_options(upper)
    like = np.zeros(len(upper), dtype=bool)
    # only texts with a space can read like an option; an OSI symbol has spaces too, but is read
    spaced = np.array([" " in v for v in upper], dtype=bool)
    for k in indices(spaced & ~found.parsed):
        if k not in bad:
            like[k] = looks_like_option(upper[k])
    no_right = [k for k in bad if missing_right(upper[k])]
    like[no_right] = True
    codes = text.codes
    refused = np.isin(codes, list(bad)) & ~(np.isin(codes, no_right) & typed_otherwise)
    for i in indices(refused):
        r.bad(i, name, bad[int(codes[i])])
    if not found.parsed.any() and not like.any():
        return None
    parsed = found.parsed[codes]
    return SymbolTerms(
        parsed=parsed,
        column=object_array([None, name])[parsed.astype(np.int64)],
        text=object_array(upper)[codes],
        underlying=found.underlying[codes],
        root=found.root[codes],
        strike=found.strike[codes],
        right=found.right[codes],
        expiry=found.expiry[codes],
        multiplier=found.multiplier[codes],
        option_like=like[codes],
    )


def check_and_fill(
    r: ColumnReader,
    terms: SymbolTerms,
    is_option: BoolArray,
    strike: FloatArray,
    right: np.ndarray,
    expiry: FloatArray,
    multiplier: FloatArray,
) -> None:
    """Fill blank option cells from the symbol's terms; a filled cell that disagrees is an error."""
    rows = terms.parsed & is_option
    for name, given, from_symbol, differs in (
        ("strike", strike, terms.strike, lambda a, b: ~np.isclose(a, b, rtol=1e-9, atol=1e-9)),
        ("expiry", expiry, terms.expiry, np.not_equal),
        ("multiplier", multiplier, terms.multiplier, lambda a, b: ~np.isclose(a, b, rtol=1e-9, atol=1e-9)),
    ):
        have = rows & ~np.isnan(given) & ~np.isnan(from_symbol)
        for i in indices(have & differs(np.where(have, given, 0.0), np.where(have, from_symbol, 0.0))):
            stated = _shown(name, from_symbol[i])
            text = shown(terms.text[i])
            given_text = _shown(name, given[i])
            r.bad(i, name, f"{given_text} disagrees with the {terms.column[i]} '{text}' ({stated})")
        fill = rows & np.isnan(given)
        given[fill] = from_symbol[fill]
    have = rows & ~is_none(right)
    for i in indices(have & (right != terms.right)):
        r.bad(
            i,
            "right",
            f"{right[i]} disagrees with the {terms.column[i]} '{shown(terms.text[i])}' ({terms.right[i]})",
        )
    fill = rows & is_none(right)
    right[fill] = terms.right[fill]


def _shown(name: str, value: float) -> str:
    if name == "expiry":
        return dt.date.fromordinal(int(value)).isoformat()
    return f"{value:g}"


def check_underlying(r: ColumnReader, terms: SymbolTerms, given: np.ndarray, is_option: BoolArray) -> None:
    """An underlying cell must name the symbol's underlying (or its root: SPXW for SPX), a share
    class in any of its spellings (BRK.B, BRK B for OCC's root BRKB:
    :func:`~xlmargin.symbols.share_class_key`)."""
    have = terms.parsed & is_option & ~is_none(given)
    seen: dict[tuple[str, str, str], bool] = {}
    # the columns as lists: a row's cells read without a numpy scalar each (an OSI book: 4,700 rows)
    given_at, root_at, underlying_at = given.tolist(), terms.root.tolist(), terms.underlying.tolist()
    for i in indices(have):
        key = (given_at[i], root_at[i], underlying_at[i])
        agrees = seen.get(key)
        if agrees is None:
            agrees = seen[key] = (
                key[0] in key[1:]
                or underlying_of_root(key[0]) == key[2]
                or share_class_key(key[0]) in (share_class_key(key[1]), share_class_key(key[2]))
            )
        if not agrees:
            r.bad(
                i,
                "underlying",
                f"{given[i]} disagrees with the {terms.column[i]} '{shown(terms.text[i])}' "
                f"(an option on {terms.underlying[i]})",
            )


def share_class_underlyings(
    codes: IntArray, uniques: list[str], is_option: BoolArray, stocks: Sequence[str]
) -> list[str] | None:
    """The options' underlyings that name a share class the book holds as a stock or an ETF in
    another spelling (OCC's root ``BRKB`` for the book's ``BRK.B`` or ``BRK B``, an underlying
    ``BRK/B``: :func:`~xlmargin.symbols.share_class_key`) made that row's symbol, so the option
    pairs with its stock in every engine: the distinct values, ``codes`` unchanged; None where there
    is none (a book whose stocks hold no separator costs one test of their symbols joined). An
    underlying the book holds as written is left alone, and so is one two spellings in the book
    would fit (``BRK.B`` and ``BRK B`` both held)."""
    held = set(stocks)
    if not set(symbols.SHARE_CLASS_SEPARATORS).intersection("".join(held)):  # no key differs from its stock
        return None
    spelled: dict[str, set[str]] = {}
    for symbol in held:
        key = share_class_key(symbol)
        if key != symbol:
            spelled.setdefault(key, set()).add(symbol)
    if not spelled:
        return None
    # the stocks spelled without a separator (BRKB) join their key's spellings
    for key, forms in spelled.items():
        if key in held:
            forms.add(key)
    renamed = list(uniques)
    for k in np.unique(codes[is_option]).tolist():
        name = uniques[k]
        found = spelled.get(share_class_key(name)) if name and name not in held else None
        if found is not None and len(found) == 1:
            renamed[k] = next(iter(found))
    if renamed == uniques:
        return None
    return renamed


def row_currencies(
    r: ColumnReader,
    sym: Text,
    sym_upper: list[str],
    codes: dict[str, tuple[IntArray, Sequence[str | None]]],
    declared: BoolArray,
    shares: BoolArray,
    cash: BoolArray | None = None,
) -> np.ndarray | None:
    """The currency column, upper-cased; where blank (or absent) the currency of a pair's symbol, read
    with any ISO code on the rows that say they are pairs (``declared``: USDRUB → RUB), with the
    quoted codes elsewhere (:func:`~xlmargin.symbols.pair_quote`), and not at all on the rows that say
    they are shares (``shares``: a type stock or etf, a class equity), whose six-letter ticker may
    spell two codes. Without the column, its codes go into ``codes`` (one per distinct symbol's
    currency, found from the symbols' codes: the engines group rows by currency) and None is
    returned: the portfolio makes the column from them when it is read. ``cash``: the
    cash rows, whose symbol may name their currency (:func:`_cash_currencies`)."""
    if r.has("currency"):
        given = r.text("currency")
        currency = given.map(lambda c: c.upper() if c else None)
        _unknown_currencies(r, given)
        no_currency = is_none(currency)
        if no_currency.any():
            currency = np.where(no_currency, _pair_currencies(sym, sym_upper, declared, shares), currency)
        return (
            currency
            if cash is None or not cash.any()
            else _cash_currencies(r, sym, sym_upper, cash, currency)
        )
    # every row's currency from its symbol when it is a pair
    of_symbol, distinct = factorize_few(symbols.pair_quotes(sym_upper))
    row_codes = of_symbol[sym.codes]
    read = np.array([q is not None for q in distinct], dtype=bool)[row_codes]
    # each row read on its own where its type or class says what it is and that changes the reading
    if declared.any() or (shares & read).any():
        row_codes, distinct = factorize(_pair_currencies(sym, sym_upper, declared, shares).tolist())
    if cash is not None and cash.any():
        named = _cash_currencies(r, sym, sym_upper, cash, object_array(distinct)[row_codes])
        row_codes, distinct = factorize(named.tolist())
    codes["currency"] = (row_codes, distinct)
    return None


def _unknown_currencies(r: ColumnReader, given: Text) -> None:
    """Report each row whose currency cell is no active ISO 4217 code (esma.toml ``[currencies]
    codes``, which pair symbols read) nor an exchange's minor unit (``minor_units``: GBX): a
    lookalike Cyrillic or zero-width character, QQQ, nan, on every type of row. An unknown currency
    was read as "not USD" and margined at the row's rate without its own currency factor. Each
    distinct value is checked once."""
    iso = symbols.price_currency_codes()
    unknown = {k: currency_refused(c) for k, c in enumerate(given.values) if c and c.upper() not in iso}
    if not unknown:
        return
    for i in indices(np.isin(given.codes, list(unknown))):
        r.bad(i, "currency", unknown[int(given.codes[i])])


def currency_refused(value: str) -> str:
    """Why ``value`` is refused as a currency: it is no active ISO 4217 code (characters that are not
    printable ASCII, a zero-width space or a Cyrillic letter that looks Latin, are named)."""
    odd = sorted({f"U+{ord(ch):04X}" for ch in value if not (ch.isascii() and ch.isprintable())})
    named = ", ".join(odd[:3]) + (", ..." if len(odd) > 3 else "")
    holds = f" (it holds {named})" if odd else ""
    return (
        f"'{shown(value)}' is not an ISO 4217 currency code{holds}; give the three-letter code "
        "(EUR, GBP, JPY; esma.toml [currencies] codes)"
    )


def _cash_currencies(
    r: ColumnReader, sym: Text, sym_upper: Sequence[str], cash: BoolArray, currency: np.ndarray
) -> np.ndarray:
    """``currency`` with each cash row whose symbol is an ISO 4217 code (esma.toml ``[currencies]
    codes``) and whose currency is blank in that code (``EUR,cash,5000`` is euros, never dollars
    read from a blank); a cash row whose currency names another code than its symbol is reported on
    the currency column."""
    iso = symbols.currency_codes(True)
    named = object_array([s.strip() if s.strip() in iso else None for s in sym_upper])[sym.codes]
    named = np.where(cash, named, object_array([None]))
    for i in indices(~is_none(named) & ~is_none(currency) & (named != currency)):
        r.bad(
            i,
            "currency",
            f"a cash row of symbol {named[i]} is {named[i]} cash, but its currency says {currency[i]}: "
            f"give the currency {named[i]} (or blank), or name the cash row otherwise (CASH)",
        )
    return np.where(is_none(currency) & ~is_none(named), named, currency)


def given_classes(
    class_codes: tuple[IntArray, Sequence[str | None]], given: BoolArray, *names: str
) -> BoolArray:
    """The rows whose class column gives one of ``names`` (``fx``, ``fx_major``: with the fx rows,
    those that say they are currency pairs; ``equity``: a share)."""
    codes, distinct = class_codes
    return np.array([c in names for c in distinct], dtype=bool)[codes] & given


def fx_classes(class_codes: tuple[IntArray, Sequence[str | None]], given: BoolArray) -> BoolArray:
    """The rows whose class column gives an FX class (``fx``, ``fx_major``)."""
    return given_classes(class_codes, given, *PAIR_ASSET_CLASSES)


def _pair_currencies(
    symbol: Text, upper: Sequence[str], declared: BoolArray, shares: BoolArray
) -> np.ndarray:
    """The quote currency of every row whose symbol is a currency pair (None elsewhere): on the rows
    ``declared`` pairs (type fx, an FX class) any ISO code reads, on ``shares`` none, elsewhere the
    quoted ones (:func:`xlmargin.symbols.currency_pair`)."""
    quotes = object_array(symbols.pair_quotes(upper))[symbol.codes]
    if declared.any():
        quotes = np.where(
            declared, object_array(symbols.pair_quotes(upper, declared=True))[symbol.codes], quotes
        )
    if shares.any():
        quotes = np.where(shares & ~declared, object_array([None]), quotes)
    return quotes


# how many rows :func:`rows_text` names (:func:`every_row_named`: all of them)
_SHOWN: ContextVar[int] = ContextVar("shown_rows", default=SHOWN_ROWS)


@contextmanager
def every_row_named() -> Iterator[None]:
    """Within it, :func:`rows_text` names every row (the batch finds the accounts a warning of the
    whole table concerns)."""
    token = _SHOWN.set(sys.maxsize)
    try:
        yield
    finally:
        _SHOWN.reset(token)


def rows_text(rows: Sequence[int]) -> str:
    """'row 4' or 'rows 4, 7, 9' (and 'and N more' beyond :data:`SHOWN_ROWS`)."""
    limit = _SHOWN.get()
    shown = ", ".join(str(x) for x in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"


class RowsWarning(str):
    """A reader's warning that names rows: its text, which names them (most start with them:
    :func:`rows_text`), and ``rows``, every row it concerns however many the text lists (the batch
    gives it to the accounts owning them)."""

    rows: tuple[int, ...]

    def __new__(cls, text: str, rows: Sequence[int] = ()) -> RowsWarning:
        made = super().__new__(cls, text)
        made.rows = tuple(rows)
        return made

    def __reduce__(self) -> tuple[Any, ...]:  # a Dask worker's copy keeps its rows
        return (RowsWarning, (str(self), self.rows))


def rows_warning(rows: Sequence[int], rest: str) -> RowsWarning:
    """The warning ``rest`` headed by the ``rows`` it names ('rows 4, 7' and ``rest``)."""
    return RowsWarning(f"{rows_text(rows)}{rest}", rows)


def warn_rows(r: ColumnReader, warnings: list[str], mask: BoolArray, message: str) -> None:
    """One warning naming the rows where ``mask`` is true (none when there are none)."""
    found = indices(mask)
    if found:
        warnings.append(rows_warning([int(r.rows[i]) for i in found], f": {message}"))


RATE_TO_BASE = "fxratetobase"  # IBKR's "FX Rate To Base" header, normalised (an alias of fx_rate)


def rate_to_base_warning(header: str, arrays: Mapping[str, np.ndarray]) -> str | None:
    """The warning for a pasted IBKR/TWS table whose "FX Rate To Base" column (``header``) shows a
    base currency other than USD, naming the rows that show it and the column: a currency other than
    USD at a rate of exactly 1 (the base itself), or a USD row at another rate. Such rates are to
    that base, not the USD per unit every dollar engine reads ``fx_rate`` as; None when nothing
    shows it (a USD-based paste reads as it is)."""
    currency, rate = arrays["currency"], arrays["fx_rate"]
    named = ~is_none(currency)
    usd = named & (currency == "USD")
    base_at_one = named & ~usd & (rate == 1.0)
    dollar_off = usd & ~np.isnan(rate) & (rate != 1.0)
    found = indices(base_at_one | dollar_off)
    if not found:
        return None
    bases = sorted(set(currency[base_at_one].tolist()))
    base = "/".join(bases) if bases else "not USD"
    dollar = rate[dollar_off][0] if dollar_off.any() else None
    fix = f"={rate_text(dollar)}" if dollar is not None else " (base units per USD)"
    return rows_warning(
        [int(arrays["row"][i]) for i in found],
        f", {header}: IBKR's rate to the account's base currency, here {base} (a currency other than USD "
        "at exactly 1, or a USD row at another rate), "
        "not the USD per unit Reg T, portfolio margin, SPAN and the risk view read fx_rate as; import the "
        "export with xlmargin (its rates are made USD per unit), or read it in the account view with "
        f"account_currency={bases[0] if len(bases) == 1 else '<base>'} and fx.USD{fix}",
    )
