"""The ``fx_rates`` parameter: how a positions table's ``fx_rate`` column is read in an account
currency, one reading for every engine that margins in one (the account view's segments and paths,
ESMA_MARGIN / ESMA_BREAKDOWN, MAX_NOTIONAL's esma regime).

- ``account`` (the default): account-currency units per unit of the row's currency, as written.
  A rate a table of USD per unit has (a row in the account currency at a rate other than 1; a
  dollar row at 1 in another account currency, unless ``fx.USD`` is 1) is refused naming the row
  and its fx_rate column, the message saying how to read such a table (:data:`USD_HINT`).
- ``usd``: USD per unit, as Reg T, PM, SPAN and the risk view read it and the broker readers write
  it, converted with ``fx.USD`` (account-currency units per USD), the one rate between the two,
  asked for only where a rate converts: the rate of a row in the account currency or of a pair
  holding it is read by no engine (:func:`rate_unused`).
- Two rates agree within :data:`~xlmargin.dollars.SAME_RATE` (relative 1e-6), and messages print
  rates to ten significant digits (:func:`~xlmargin.errors.rate_text`): what they advise is taken.

:func:`read_rates` is the reading; the engines take the book it returns, in account-currency units
per unit, and never read the column otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from xlmargin.dollars import ENGINE_CURRENCY, dollar_rate_problems, pair_rate_problems, same_rate
from xlmargin.errors import InputError, MissingDataError, Problem, rate_text
from xlmargin.pairs import row_pair
from xlmargin.params import Param
from xlmargin.positions import Portfolio
from xlmargin.positions.model import PAIR_ASSET_CLASSES
from xlmargin.symbols import currency_codes, iso_pair, pair_codes

FX_READINGS = ("account", "usd")

FX_RATES = Param(
    "fx_rates",
    "choice",
    "account",
    "how the fx_rate column reads (the account view, ESMA_MARGIN and ESMA_BREAKDOWN, MAX_NOTIONAL): "
    "account (default), account-currency units per unit; usd, USD per unit, as Reg T, PM, SPAN and "
    "the risk view read it and the broker readers write it, converted with fx.USD (a row in the "
    "account currency must agree with it)",
    choices=FX_READINGS,
)
"""The parameter, one definition for the account view's and the ESMA functions' parameter lists."""

USD_HINT = (
    "if the table's rates are USD per unit (as a broker export's are, and as Reg T reads them), "
    "give fx_rates=usd"
)


def read_rates(book: Portfolio, account: str, reading: str, per_unit: Mapping[str, float]) -> Portfolio:
    """``book`` with each ``fx_rate`` in ``account``-currency units per unit of the row's currency,
    the table read as ``reading`` (``fx_rates``) says; ``per_unit`` holds the ``fx.<CCY>``
    parameters (account-currency units per CCY; ``fx.USD`` among them).

    - ``usd``: the table's rates are USD per unit, converted with ``fx.USD`` (:func:`_from_usd`).
    - ``account``: the rates as given, a rate only a table of USD per unit has refused
      (:func:`_check_account_reading`).

    Then each blank rate of a row in a named currency is filled: 1 for the account currency, else
    the ``fx.<CCY>`` parameter (the same unit), so every segment converts a currency at the same
    rate; a dollar row stays blank (not converted: no rate needed), and so does a row whose currency
    has neither (the engine names it). The book itself when nothing changes."""
    per_usd = per_unit.get(ENGINE_CURRENCY)
    if reading == "usd":
        book = _from_usd(book, account, per_usd)
    else:
        _check_account_reading(book, account, per_usd)
    codes, currencies = book.codes("currency")
    rates = dict(per_unit) | {account: 1.0}
    rates.pop(ENGINE_CURRENCY, None)  # a dollar row is not converted: no rate needed
    known = np.array([rates.get(c, np.nan) if c is not None else np.nan for c in currencies])[codes]
    given = book.arrays["fx_rate"]
    fill = np.isnan(given) & ~np.isnan(known)
    if not fill.any():
        return book
    return _with_rates(book, np.where(fill, known, given))


def one_rate_per_pair_currency(
    book: Portfolio, account: str, reading: str, per_unit: Mapping[str, float]
) -> None:
    """A USD-base pair without an ``fx_rate`` (USDJPY) rates its quote currency at one over its
    price on every dollar path; a row of that currency in ``book`` giving another rate is refused,
    naming both rows (:func:`~xlmargin.dollars.pair_rate_problems`), in an account view or an ESMA
    function too, where the pair holding the dollar converts at no rate (:func:`rate_unused`): the
    book rates one currency twice. The rates compared as ``reading`` reads them (:func:`read_rates`),
    in USD per unit: over ``fx.USD`` in another account currency, and not compared without it (the
    pair's rate is in dollars, the rows' in ``account``)."""
    codes, types = book.codes("type")  # (each type tested once) an fx or CFD row without a rate
    pairs = np.array([t in ("fx", "cfd") for t in types], dtype=bool)[codes]
    unrated = pairs & np.isnan(book.arrays["fx_rate"])
    per_usd = 1.0 if account == ENGINE_CURRENCY else per_unit.get(ENGINE_CURRENCY)
    if not unrated.any() or per_usd is None:
        return
    if problems := pair_rate_problems(read_rates(book, account, reading, per_unit), per_usd):
        raise InputError(problems)


def usd_per_unit(book: Portfolio, per_usd: float) -> Portfolio:
    """``book``, read by :func:`read_rates` (account-currency units per unit), with each ``fx_rate``
    in USD per unit, as Reg T, PM, SPAN and the risk view read the column: divided by ``per_usd``
    (``fx.USD``, account-currency units per USD), the inverse of the ``usd`` reading, so a dollar
    row reads 1 and a row in the account currency 1 / ``fx.USD``. What an account path gives the risk
    view (the margin call's stress scenario): the table ``fx_rates=usd`` would have, one answer under
    either reading. The book itself in a USD account."""
    if per_usd == 1.0:
        return book
    return _with_rates(book, book.arrays["fx_rate"] / per_usd)


def own_currency_rate(account: str, given: float, row: int | None) -> Problem:
    """The problem of a row in the account currency whose ``fx_rate`` is not 1."""
    return Problem(
        f"the position is in the account currency {account}: its fx_rate is 1, not {rate_text(given)}",
        row,
        "fx_rate",
    )


def is_pair_row(
    kind: str, asset_class: str | None, class_given: bool, symbol: str, underlying: str | None = None
) -> bool:
    """Whether a row is margined as a currency pair (ESMA, NFA): an fx row, one of an FX class, or a
    CFD whose class column is blank and whose symbol or underlying reads as two known currency codes
    (:func:`row_pair`)."""
    if kind == "fx" or asset_class in PAIR_ASSET_CLASSES:
        return True
    return row_pair(kind, asset_class, class_given, symbol, underlying) is not None


QUOTED_LIKE_PAIRS = ("crypto", "gold", "commodity")
"""Classes of a row that may be quoted like a pair (XAUUSD, BTCUSD) and is margined by its class."""


def unread_pair(
    kind: str, asset_class: str | None, class_given: bool, symbol: str, underlying: str | None = None
) -> bool:
    """Whether a row says it is a currency pair (type fx, an FX class: :func:`is_pair_row`) and its
    symbol, nor a CFD's underlying, reads as none (:func:`row_pair`): USDXQZ of class fx, a fund
    UUP given class fx. The ESMA caps and the risk view refuse it alike (:func:`not_a_pair`),
    rather than margin it by another cap or move it as a dollar-index fund; a metal or a
    cryptocurrency quoted like a pair (:data:`QUOTED_LIKE_PAIRS`) is margined by its class."""
    if asset_class in QUOTED_LIKE_PAIRS:
        return False
    return is_pair_row(kind, asset_class, class_given, symbol, underlying) and (
        row_pair(kind, asset_class, class_given, symbol, underlying) is None
    )


def not_a_pair(symbol: str) -> str:
    """Why a row that says it is a currency pair (:func:`unread_pair`) is none: which code is not a
    currency of esma.toml ``[currencies]`` (ISO 4217), or that the symbol is not shaped as two codes."""
    codes = pair_codes(symbol)
    unknown = [c for c in dict.fromkeys(codes or ()) if c not in currency_codes(True)]
    if unknown:
        why = f": {' and '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} no ISO 4217 currency code"
    else:
        why = " (two three-letter currency codes: EURUSD, EUR/USD, USD.RUB)"
    return (
        f"'{symbol}' is not a currency pair{why} (esma.toml [currencies]); for a metal or a "
        "cryptocurrency quoted like a pair give its class (gold, commodity, crypto)"
    )


def undeclared_pair(
    kind: str, asset_class: str | None, class_given: bool, symbol: str, underlying: str | None = None
) -> tuple[str, str] | None:
    """(base, quote) of a CFD whose class is blank (no class of the symbol table either) and whose
    symbol, else underlying, spells two ISO codes of esma.toml ``[currencies]`` that are not both
    ``quoted`` (USDRUB; a share's ticker such as ALLTOP, two codes too): :func:`row_pair` reads no
    pair from it, and neither may an engine read a share, so the row must say (class fx or equity,
    :func:`undeclared_pair_problem`); None for any other row."""
    if kind != "cfd" or class_given or asset_class != "equity":
        return None
    names = (symbol, underlying) if underlying else (symbol,)
    return next((found for name in names if (found := iso_pair(name)) is not None), None)


def undeclared_pair_problem(symbol: str, pair: tuple[str, str], row: int | None) -> Problem:
    """The refusal of a row :func:`undeclared_pair` finds, naming it and its class column."""
    return Problem(
        f"'{symbol}' reads as the currency pair {'/'.join(pair)} only if the row says so: the class is "
        "blank and a share's ticker may spell two currency codes; give class fx for the pair or equity "
        "for a share",
        row,
        "class",
    )


def cfd_pairs(book: Portfolio) -> dict[int, tuple[str, str]]:
    """The CFD rows of ``book`` (their positions) that are currency pairs (:func:`row_pair`), each
    with its (base, quote): each distinct instrument tested once. A CFD that may be a pair or a share
    (:func:`undeclared_pair`) is an :class:`InputError` naming its rows and class column, and one of
    an FX class on a symbol that is no pair (:func:`unread_pair`) one naming its rows and symbol
    column, as the ESMA caps refuse them."""
    a = book.arrays
    out: dict[int, tuple[str, str]] = {}
    found: dict[tuple[str, str, bool, str], tuple[str, str] | None] = {}
    undeclared: dict[tuple[str, str, bool, str], tuple[str, str] | None] = {}
    unpaired: dict[tuple[str, str, bool, str], bool] = {}
    unread: list[Problem] = []
    type_codes, types = book.codes("type")  # each type compared once, not each cell
    for i in np.flatnonzero(np.array([t == "cfd" for t in types], dtype=bool)[type_codes]).tolist():
        key = (
            str(a["symbol"][i]),
            str(a["asset_class"][i]),
            bool(a["class_given"][i]),
            str(a["underlying"][i] or ""),
        )
        if key not in found:
            found[key] = row_pair("cfd", key[1], key[2], key[0], key[3])
            undeclared[key] = None if found[key] else undeclared_pair("cfd", key[1], key[2], key[0], key[3])
            unpaired[key] = not found[key] and unread_pair("cfd", key[1], key[2], key[0], key[3])
        pair = found[key]
        if pair is not None:
            out[i] = pair
        elif (either := undeclared[key]) is not None:
            unread.append(undeclared_pair_problem(key[0], either, int(a["row"][i])))
        elif unpaired[key]:
            unread.append(Problem(not_a_pair(key[0]), int(a["row"][i]), "symbol"))
    if unread:
        raise InputError(unread)
    return out


def rate_unused(book: Portfolio, account: str) -> np.ndarray:
    """The rows whose ``fx_rate`` no engine reads in an ``account`` account: a row in the account
    currency (it reads 1), and a currency pair holding the account currency (its own price converts
    its notional: the ESMA and NFA engines read no rate for it)."""
    a = book.arrays
    holds = np.array(
        [
            account in (row_pair(k, c, bool(g), str(s), u) or ())
            for k, c, g, s, u in zip(
                a["type"], a["asset_class"], a["class_given"], a["symbol"], a["underlying"], strict=True
            )
        ],
        dtype=bool,
    )
    return _in(book, account) | holds


def _check_account_reading(book: Portfolio, account: str, per_usd: float | None) -> None:
    """The account reading's refusals: one rate per currency. A row in the account currency reads
    1; in another account currency than USD a dollar row reads ``fx.USD`` when it is given
    (:func:`~xlmargin.dollars.dollar_rate_problems`), and without it a dollar row at exactly 1 is
    refused (:func:`_unconfirmed_parity`): 1 is what a table of USD per unit has, and a real rate
    only if one USD is worth exactly one unit of the account currency, which ``fx.USD=1`` says (a
    rate no engine reads, :func:`rate_unused`, is not refused so). The rows a table of USD per unit
    has so (its own currency's rate, or 1 for a dollar row) are told how to read the table so
    (:data:`USD_HINT`)."""
    given, rows = book.arrays["fx_rate"], book.arrays["row"]
    wrong = np.flatnonzero(_in(book, account) & ~np.isnan(given) & (given != 1.0))
    problems = [own_currency_rate(account, given[i], int(rows[i])) for i in wrong.tolist()]
    if account != ENGINE_CURRENCY and per_usd is not None:
        problems += dollar_rate_problems(book, per_usd)
    elif account != ENGINE_CURRENCY:  # a rate no engine reads says nothing of the dollar's
        at_one = np.flatnonzero(_in(book, ENGINE_CURRENCY) & (given == 1.0) & ~rate_unused(book, account))
        problems += [_unconfirmed_parity(account, int(rows[i])) for i in at_one.tolist()]
    if not problems:
        return
    if account != ENGINE_CURRENCY:  # the rows a table of USD per unit has so: told how to read it
        usd_like = {int(r) for r in rows[given == 1.0].tolist()} | {int(rows[i]) for i in wrong.tolist()}
        problems = [
            Problem(f"{p.message}; {USD_HINT}", p.row, p.column)
            if p.column == "fx_rate" and p.row in usd_like
            else p
            for p in problems
        ]
    raise InputError(sorted(problems, key=lambda p: p.row or 0))


def _unconfirmed_parity(account: str, row: int) -> Problem:
    """The problem of a dollar row at exactly 1 in an account in ``account`` (not USD) without
    ``fx.USD``: read as it is written, one USD would be worth exactly one unit of ``account``."""
    return Problem(
        f"the position is in {ENGINE_CURRENCY} at fx_rate 1, which reads one {ENGINE_CURRENCY} as "
        f"exactly one {account}: give fx.{ENGINE_CURRENCY}=1 if that is the rate",
        row,
        "fx_rate",
    )


def _from_usd(book: Portfolio, account: str, per_usd: float | None) -> Portfolio:
    """The table's rates, USD per unit of each row's currency (``fx_rates=usd``), in account-currency
    units per unit: times ``per_usd`` (``fx.USD``: account-currency units per USD), the one rate
    between the two. A dollar row's rate is 1 (:func:`~xlmargin.dollars.dollar_rate_problems`) and
    reads ``fx.USD``; a row in the account currency reads 1 and must agree with ``fx.USD``
    (:func:`_own_rows_at`). Without ``fx.USD``, :func:`_unconverted`. In a USD account, or with no
    rate given, the readings agree: the book itself."""
    given = book.arrays["fx_rate"]
    if account == ENGINE_CURRENCY or np.isnan(given).all():
        return book
    contradictions = dollar_rate_problems(book)
    if contradictions:
        raise InputError(
            [Problem(f"{p.message} (fx_rates=usd: USD per unit)", p.row, p.column) for p in contradictions]
        )
    if per_usd is None:
        return _unconverted(book, account)
    own = _in(book, account) & ~np.isnan(given)
    _own_rows_at(book, account, own, per_usd)
    return _with_rates(book, np.where(own, 1.0, given * per_usd))


def _own_rows_at(book: Portfolio, account: str, own: np.ndarray, per_usd: float) -> None:
    """The rows in the account currency (``own``) agree with ``fx.USD``: one unit is 1/``per_usd``
    USD, within :data:`~xlmargin.dollars.SAME_RATE`; one that does not is refused naming its
    fx_rate and the ``fx.USD`` it implies (``fx.USD`` is the one source, as it converts the dollar
    segments: never taken from a row)."""
    given, rows = book.arrays["fx_rate"], book.arrays["row"]
    off = np.flatnonzero(own & ~same_rate(given, 1.0 / per_usd))
    if off.size:
        raise InputError(
            [
                Problem(
                    f"the position is in the account currency {account}: at fx.{ENGINE_CURRENCY} = "
                    f"{rate_text(per_usd)} ({account} per {ENGINE_CURRENCY}) one {account} is "
                    f"{rate_text(1 / per_usd)} USD, not {rate_text(given[i])} (fx_rates=usd: USD per unit); "
                    f"fx.{ENGINE_CURRENCY} is the one {account}/{ENGINE_CURRENCY} rate: "
                    + _own_row_advice(account, float(given[i])),
                    int(rows[i]),
                    "fx_rate",
                )
                for i in off.tolist()
            ]
        )


def _own_row_advice(account: str, given: float) -> str:
    """What to do about a row in the account currency whose rate disagrees with ``fx.USD``. At
    exactly 1 the row was written as the account reading writes it (one unit per unit), not as a
    dollar rate: it needs no rate, so the advice is a blank, not ``fx.USD=1``."""
    if given == 1.0:
        return f"leave its fx_rate blank (a row in {account} needs none) or correct the row"
    return f"give fx.{ENGINE_CURRENCY}={rate_text(1 / given)} or correct the row"


def _unconverted(book: Portfolio, account: str) -> Portfolio:
    """The table's rates without ``fx.USD``: the rates no engine reads (:func:`rate_unused`: a row
    in the account currency, which then reads 1, and a pair holding it) left blank, unchecked; any
    other rate given needs ``fx.USD`` to convert, and the error names the row that needs it and
    the ``fx.USD`` a row in the account currency implies (never taken for it)."""
    given, rows = book.arrays["fx_rate"], book.arrays["row"]
    unused = rate_unused(book, account)
    needed = np.flatnonzero(~np.isnan(given) & ~unused)
    if not needed.size:
        return _with_rates(book, np.where(unused, np.nan, given))
    own = np.flatnonzero(_in(book, account) & ~np.isnan(given))[:1].tolist()
    implied = "".join(
        f"; row {int(rows[i])} rates {account} at {rate_text(given[i])} USD: "
        f"fx.{ENGINE_CURRENCY}={rate_text(1 / given[i])}"
        for i in own
    )
    first = int(needed[0])
    raise MissingDataError(
        Problem(
            f"fx_rates=usd reads fx_rate as USD per unit: give fx.{ENGINE_CURRENCY} ({account} per "
            f"{ENGINE_CURRENCY}) to read it in a {account} account (row {int(rows[first])}'s rate "
            f"converts with it){implied}",
            None,
            "params",
        )
    )


def _in(book: Portfolio, currency: str) -> np.ndarray:
    """The rows in ``currency`` (each distinct currency tested once)."""
    codes, currencies = book.codes("currency")
    return np.array([c == currency for c in currencies], dtype=bool)[codes]


def _with_rates(book: Portfolio, rates: np.ndarray) -> Portfolio:
    coded = {name: book.codes(name) for name in book.coded()}
    return Portfolio({**book.arrays, "fx_rate": rates}, book.as_of, book.warnings, coded)


__all__ = [
    "FX_RATES", "FX_READINGS", "PAIR_ASSET_CLASSES", "QUOTED_LIKE_PAIRS", "USD_HINT", "cfd_pairs",
    "is_pair_row", "not_a_pair", "one_rate_per_pair_currency", "own_currency_rate", "rate_unused",
    "read_rates", "row_pair", "undeclared_pair", "undeclared_pair_problem", "unread_pair", "usd_per_unit",
]  # fmt: skip
