"""One contract, one set of marks: rows of a book holding the same contract agree on its price.

A book may hold one contract on several rows (tax lots, a long and a short row of one series, a
position split over sleeves). The contract has one current price, so its rows must give the same
``price``, ``volatility`` and ``dividend_yield`` (a blank equals only a blank), the same currency
and, where both give one, the same ``fx_rate``; the options on one underlying (type ``option``)
must give the same ``underlying_price``. Rows that disagree are a data error, refused naming both
rows and the column, by :func:`mark_problems`, which the reader runs on every table read as a book
(not on trades or hedge candidates, whose rows are fills at their own prices, nor across the
accounts of a batch, which it runs per account). Every regime then sees rows of one contract at
one mark: Reg T nets them without comparing marks, and no engine's figure depends on which row
comes first.

Options on futures are left out of the underlying check: their ``underlying`` is the future's root
(ES), and options on two contract months of it have two underlying prices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.errors import Problem
from xlmargin.positions.infer import RowsWarning
from xlmargin.positions.model import Portfolio
from xlmargin.positions.special import percent

CONTRACT = ("type", "symbol", "underlying", "right", "strike", "expiry", "multiplier", "style")
"""The fields that say which contract a row holds: rows agreeing on all of them hold one contract."""

SAME_MARK = 1e-9
"""Two marks are one when they agree within this, relative (or 1e-12 absolute, for marks near 0):
a price computed in Excel as 250.42000000000002 is 250.42. The tolerance of MARGIN_IMPACT's warning
on a trade priced apart from the row it nets into too."""
SAME_MARK_ABS = 1e-12

SAME_RATE = 1e-6
"""Two rates are one rate when they agree within this, relative: a rate typed to the digits an
export or a message shows (``0.851426`` for 0.8514261387824605, ``0.8514261388`` as messages print
it, :func:`~xlmargin.errors.rate_text`) is the rate it was copied from, never a second rate; 1e-6 is
a thousandth of a pip on EURUSD. The one tolerance of every check that two rates agree (a dollar
row's rate and ``fx.USD``, :func:`xlmargin.dollars.dollar_rate_problems`; a row in the account
currency and ``fx.USD`` under ``fx_rates=usd``, :mod:`xlmargin.fx_rates`; two rows of one contract)."""

SHOWN_UNDERLYINGS = 5
"""How many underlyings :func:`spot_warning` names (then "and N more")."""

# (column, what the message calls its values); the numbers compared within SAME_MARK
_MARKS = (("price", "prices"), ("volatility", "volatilities"), ("dividend_yield", "dividend yields"))


def marks_differ(a: FloatArray, b: FloatArray) -> BoolArray:
    """Where two marks are not one (:data:`SAME_MARK`); a blank (NaN) equals only a blank."""
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= np.maximum(SAME_MARK * np.maximum(np.abs(a), np.abs(b)), SAME_MARK_ABS)
    return ~close & ~(np.isnan(a) & np.isnan(b))


def mark_problems(portfolio: Portfolio, accounts: IntArray | None = None) -> list[Problem]:
    """A problem per row that gives a contract (an underlying's options) another mark than the
    contract's first row, naming both rows and the column; ``accounts`` (per row) keeps the rows of
    different accounts apart. In row order; none in a book without repeated contracts."""
    a = portfolio.arrays
    n = len(portfolio)
    if n < 2:
        return []
    own = np.zeros(n, dtype=np.int64) if accounts is None else np.asarray(accounts, dtype=np.int64)
    # The contract of each row as numbers: the text columns' codes, a blank strike as -1.
    keys = [own, *(portfolio.codes(name)[0] for name in ("type", "symbol", "underlying", "right", "style"))]
    keys += [portfolio.codes("expiry")[0], np.nan_to_num(a["strike"], nan=-1.0), a["multiplier"]]
    problems: list[tuple[int, str, Problem]] = []
    first = _firsts(keys, n)
    if first is not None:
        at = np.flatnonzero(first != np.arange(n))  # the rows repeating a contract
        for column, what in _MARKS:
            values = a[column]
            for i in at[marks_differ(values[at], values[first[at]])].tolist():
                problems.append(_problem(portfolio, int(first[i]), i, column, what, _text(values)))
        currency = _currencies(portfolio)
        for i in at[currency[at] != currency[first[at]]].tolist():
            shown = lambda k: str(a["currency"][k] or "USD")  # noqa: E731
            problems.append(_problem(portfolio, int(first[i]), i, "currency", "currencies", shown))
        rate = a["fx_rate"]
        with np.errstate(invalid="ignore"):
            apart = np.abs(rate[at] - rate[first[at]]) > SAME_RATE * np.abs(rate[first[at]])
        for i in at[apart].tolist():
            problems.append(_problem(portfolio, int(first[i]), i, "fx_rate", "rates", _text(rate)))
    problems += _underlying_problems(portfolio, own)
    problems += _special_problems(portfolio, own)
    problems.sort(key=lambda found: (found[0], found[1]))
    return [p for _, _, p in problems]


def _firsts(keys: list[np.ndarray], n: int) -> IntArray | None:
    """Each row's first row (index) holding the same key, or None when no key repeats.

    The integer key columns (codes) are folded into one integer per row, mixed-radix, re-coded
    whenever the next radix would overflow; the number columns (a strike, a multiplier) are mixed
    into it by their bits, and one sort finds the repeats. Rows whose mixed keys meet are checked
    to agree on every column; two that do not (two keys mixed to one integer) send the read to
    :func:`_firsts_coded`, which codes the numbers by sorting them first (callgrind, the benchmark
    book: 5.75 million instructions for the marks check that way, 4.4 mixing)."""
    whole = [key for key in keys if key.dtype.kind in "iu" and int(key.min()) >= 0]
    numbers = [key for key in keys if not (key.dtype.kind in "iu" and int(key.min()) >= 0)]
    combined = _folded(whole, n)
    mixed = combined
    for key in numbers:
        bits = np.asarray(key, dtype=np.float64) + 0.0  # -0.0 is 0.0
        mixed = mixed * _MIX + bits.view(np.int64)
    size, group = _coded(mixed)
    if size == n:
        return None
    first = _first_of_group(group, size)
    at = np.flatnonzero(first != np.arange(n))  # the rows repeating a row before them
    if all(np.array_equal(key[first[at]], key[at]) for key in (combined, *numbers)):
        return first
    return _firsts_coded(keys, n)


_MIX = 1_000_003  # a prime: an integer's bits times it, wrapping at 64 bits, plus the next column's


def _folded(keys: list[np.ndarray], n: int) -> IntArray:
    """The integer columns ``keys`` (codes, none negative) folded into one integer per row that is
    equal only where every column is, mixed-radix, re-coded whenever the next radix would overflow."""
    combined = np.zeros(n, dtype=np.int64)
    size = 1
    for key in keys:
        codes = np.asarray(key, dtype=np.int64).ravel()
        radix = int(codes.max()) + 1
        if size * radix >= 2**62:  # fold what is there into its distinct values first
            size, combined = _coded(combined)
        combined = combined * radix + codes
        size *= radix
    return combined


def _firsts_coded(keys: list[np.ndarray], n: int) -> IntArray | None:
    """:func:`_firsts` with every number column coded by its distinct values first (a sort each)."""
    coded = [
        key if key.dtype.kind in "iu" and int(key.min()) >= 0 else np.unique(key, return_inverse=True)[1]
        for key in keys
    ]
    size, group = _coded(_folded(coded, n))
    return None if size == n else _first_of_group(group, size)


def _first_of_group(group: IntArray, size: int) -> IntArray:
    """Each row's first row (index) in its group (codes 0..size-1)."""
    first = np.full(size, len(group), dtype=np.int64)
    np.minimum.at(first, group, np.arange(len(group)))
    return first[group]


def _coded(values: IntArray) -> tuple[int, IntArray]:
    """``values`` as codes 0..k-1 of their distinct values, and k."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return len(distinct), np.asarray(inverse, dtype=np.int64).ravel()


def _underlying_problems(portfolio: Portfolio, own: IntArray) -> list[tuple[int, str, Problem]]:
    """The options (type option) giving their underlying another price than its first option row."""
    codes, names = portfolio.codes("type")
    options = np.flatnonzero(np.array([t == "option" for t in names], dtype=bool)[codes])
    if len(options) < 2:
        return []
    # options are few per underlying: their first row per (account, underlying) without a sort
    _, underlyings = portfolio.codes("underlying")
    group = own[options] * len(underlyings) + portfolio.codes("underlying")[0][options]
    if own.any():
        group = _coded(group)[1]
    first = _first_of_group(group, int(group.max()) + 1)
    price = portfolio.arrays["underlying_price"][options]
    out = []
    for k in np.flatnonzero(marks_differ(price, price[first])).tolist():
        i, j = int(options[first[k]]), int(options[k])
        row, later = _rows(portfolio, i, j)
        shown = _text(portfolio.arrays["underlying_price"])
        message = (
            f"rows {row} and {later} hold options on {portfolio.arrays['underlying'][j]} at different "
            f"underlying prices ({shown(i)}, {shown(j)}): one underlying has one price"
        )
        out.append((later, "underlying_price", Problem(message, later, "underlying_price")))
    return out


def spot_warning(portfolio: Portfolio) -> str | None:
    """The warning naming, for each underlying whose stock or ETF row's ``price`` is not the
    ``underlying_price`` its options (type option) give, a stock row, an option row and both prices
    (None when every one agrees). Not refused, as two options at different underlying prices are: a
    broker's snapshot may take a share's mark and its options' underlying price at different times.
    Each position is revalued from its own price (the stock from ``price``, its options from
    ``underlying_price``), both moved by the same fraction."""
    return spot_warnings(portfolio).get(0)


def spot_warnings(portfolio: Portfolio, accounts: IntArray | None = None) -> dict[int, RowsWarning]:
    """:func:`spot_warning` of each account of a table of many (``accounts``: each row's account, as
    :func:`mark_problems` takes it; None: one book, account 0), keyed by account: a stock and the
    options of another account are never compared. Each warning carries the rows it names."""
    codes, names = portfolio.codes("type")
    kind = {name: k for k, name in enumerate(names)}
    if "option" not in kind or ("stock" not in kind and "etf" not in kind):
        return {}
    options = np.flatnonzero(codes == kind["option"])
    shares = np.flatnonzero((codes == kind.get("stock", -1)) | (codes == kind.get("etf", -1)))
    if not len(options) or not len(shares):
        return {}
    a = portfolio.arrays
    underlying, distinct = portfolio.codes("underlying")
    if accounts is None:  # one book: an underlying is a key
        own, key, keys = np.zeros(len(underlying), dtype=np.int64), underlying, len(distinct)
    else:  # an underlying of an account: one key per (account, underlying) held
        own = np.asarray(accounts, dtype=np.int64)
        held_keys, key = np.unique(own * len(distinct) + underlying, return_inverse=True)
        key, keys = key.ravel(), len(held_keys)
    first = np.full(keys, len(underlying), dtype=np.int64)  # each key's first option row
    np.minimum.at(first, key[options], options)
    _, once = np.unique(key[shares], return_index=True)  # its stock rows share one price
    shares = shares[np.sort(once)]
    spot = first[key[shares]]
    held = spot < len(underlying)
    shares, spot = shares[held], spot[held]
    apart = marks_differ(a["price"][shares], a["underlying_price"][spot])
    if not apart.any():
        return {}
    found: dict[int, list[tuple[int, int]]] = {}
    for i, j in zip(shares[apart].tolist(), spot[apart].tolist(), strict=True):
        found.setdefault(int(own[i]), []).append((i, j))
    return {account: _spot_warning(portfolio, pairs) for account, pairs in found.items()}


def _spot_warning(portfolio: Portfolio, found: list[tuple[int, int]]) -> RowsWarning:
    """The warning of :func:`spot_warning` for the (stock row, option row) pairs ``found``."""
    a = portfolio.arrays
    price, underlying_price = _text(a["price"]), _text(a["underlying_price"])
    pairs = "; ".join(
        f"{a['underlying'][j]}: row {int(a['row'][i])} price {price(i)}, option row {int(a['row'][j])} "
        f"underlying_price {underlying_price(j)}"
        for i, j in found[:SHOWN_UNDERLYINGS]
    )
    more = f"; and {len(found) - SHOWN_UNDERLYINGS} more" if len(found) > SHOWN_UNDERLYINGS else ""
    return RowsWarning(
        f"a stock's price is not its options' underlying price ({pairs}{more}): each position is revalued "
        "from its own, the stock from its price and the options from their underlying_price, so the two "
        "legs start from different prices; give both from one quote to value the hedge on one price",
        [int(a["row"][k]) for pair in found for k in pair],
    )


def _special_problems(portfolio: Portfolio, own: IntArray) -> list[tuple[int, str, Problem]]:
    """The rows giving their underlying another special maintenance than the first row giving one
    (rows that give none take the underlying's, in Reg T)."""
    special = portfolio.arrays["special_maintenance"]
    given = np.flatnonzero(~np.isnan(special))
    if len(given) < 2:
        return []
    codes, names = portfolio.codes("underlying")
    group = _coded(own[given] * len(names) + codes[given])[1]
    first = given[_first_of_group(group, int(group.max()) + 1)]
    out = []
    for i, j in zip(first.tolist(), given.tolist(), strict=True):
        if special[j] != special[i]:
            row, later = _rows(portfolio, i, j)
            message = (
                f"{percent(special[j])} disagrees with {percent(special[i])} on row {row} for the "
                f"underlying {names[codes[j]]}: give one special maintenance per underlying (or leave "
                "the other rows blank)"
            )
            out.append((later, "special_maintenance", Problem(message, later, "special_maintenance")))
    return out


def _problem(
    portfolio: Portfolio, i: int, j: int, column: str, what: str, shown: Any
) -> tuple[int, str, Problem]:
    """Rows ``i`` and ``j`` (indices) of one contract at different ``column`` values."""
    row, later = _rows(portfolio, i, j)
    one = what[:-3] + "y" if what.endswith("ies") else what[:-1]
    message = (
        f"rows {row} and {later} hold {_contract(portfolio, j)} at different {what} ({shown(i)}, "
        f"{shown(j)}): one contract has one {one}"
    )
    return later, column, Problem(message, later, column)


def _rows(portfolio: Portfolio, i: int, j: int) -> tuple[int, int]:
    rows = portfolio.arrays["row"]
    return int(rows[i]), int(rows[j])


def _contract(portfolio: Portfolio, i: int) -> str:
    """A row's contract in words: "AAPL stock", "AAPL 2026-01-16 260 call"."""
    a = portfolio.arrays
    kind, symbol = str(a["type"][i]), str(a["symbol"][i])
    if a["right"][i] is None:
        return f"{symbol} {kind.replace('_', ' ')}"
    expiry = a["expiry"][i]
    when = f" {expiry.isoformat()}" if isinstance(expiry, dt.date) else ""
    right = "call" if a["right"][i] == "C" else "put"
    return f"{symbol}{when} {a['strike'][i]:g} {right}"


def _text(values: np.ndarray) -> Any:
    """How a message shows ``values[i]``: ten significant digits, a blank as "blank"."""

    def shown(i: int) -> str:
        value = float(values[i])
        return "blank" if np.isnan(value) else f"{value:,.10g}"

    return shown


def _currencies(portfolio: Portfolio) -> np.ndarray:
    """Each row's currency as a code, a blank one as US dollars' (what a blank currency means on
    the rows that have a price in a currency; a pair's blank currency was filled from its symbol)."""
    codes, values = portfolio.codes("currency")
    usd = {"USD": 0, None: 0, "": 0}
    found = {v: usd.get(v, k + 1) for k, v in enumerate(values)}
    return np.array([found[v] for v in values], dtype=np.int64)[codes] if len(values) else codes
