"""The engines' dollars: the one place a row's currency and ``fx_rate`` are read for the engines
that compute in US dollars (Reg T, portfolio margin, SPAN; the risk view and the account view check
their dollar rows by the same rule).

- :func:`in_usd` converts the rows priced in another currency (price, underlying price, strike
  times ``fx_rate``; a bond's face, its quantity and denomination, since its price is per 100 of
  it); :func:`usd_rates` gives each row's USD per unit.
- :func:`dollar_rate_problems` is the one rule on a dollar row's rate: a row in USD, or with a
  blank currency read as USD, is worth a dollar, so its ``fx_rate`` is 1 (or ``fx.USD`` where rates
  are in another account currency); any other rate is refused naming the row, never ignored.
- :func:`at_dollar_rate` restates the dollar rows of the account view at ``fx.USD`` to 1.
- :func:`pair_rate_problems`: a currency whose rate a USD-base pair's price gives (USDJPY without an
  ``fx_rate``, :func:`dollar_pair_rates`) has that one rate: a row in it giving another is refused
  naming both rows, as the reader refuses two rows of one contract at different rates
  (:func:`~xlmargin.positions.marks.mark_problems`).
"""

from __future__ import annotations

import numpy as np

from xlmargin._typing import FloatArray
from xlmargin.errors import InputError, MissingDataError, Problem, rate_text
from xlmargin.pairs import row_pair
from xlmargin.positions import Portfolio
from xlmargin.positions.marks import SAME_RATE  # defined with the marks a book's rows must agree on

ENGINE_CURRENCY = "USD"
"""The currency Reg T, portfolio margin and the shipped SPAN file compute in: FINRA's and Cboe's
rules (dollars per share, the $100,000 minimum equity) and OCC's TIMS minimums ($0.375 × the
multiplier) are dollar amounts, whatever currency a house risk model reports in."""


def same_rate(given: FloatArray, rate: float | FloatArray) -> np.ndarray:
    """Where ``given`` is ``rate`` within :data:`SAME_RATE` (relative); never where it is blank."""
    return np.abs(given - rate) <= SAME_RATE * np.abs(rate)


# The fields of a row that are amounts of its currency, for the engines that compute in US dollars.
MONEY_FIELDS = ("price", "underlying_price", "strike")
# A bond's amounts of its currency: its face (the quantity) and the least face traded; its price is
# per 100 of face, a fraction of the face, in no currency.
FACE_FIELDS = ("quantity", "denomination")
# Types whose blank currency is not US dollars: a pair's price is in its quote currency, and a CFD's
# ``fx_rate`` converts its price currency, whatever it is (ESMA); cash no dollar engine margins.
_BLANK_NOT_USD = ("fx", "cfd", "cash")
_PRICED_AS_PAIR = ("fx", "cfd")  # rows whose price is a pair's: their own rate where none is given


def in_usd(portfolio: Portfolio, per_usd: float = 1.0) -> Portfolio:
    """``portfolio`` with every row priced in another currency than USD converted to US dollars, for
    the engines that compute in them (Reg T and portfolio margin): price, underlying price and strike
    times the row's ``fx_rate`` (USD per unit of its currency; with ``per_usd``, the units of the
    rate's currency that make one USD: the account view's rates are in the account currency). The
    option value is homogeneous of degree one in spot, strike and premium, so the scan is exact. A
    bond's quantity is its face, an amount of its currency, and its price is per 100 of that face,
    a fraction in no currency: its face and ``denomination`` are converted instead, so that its
    value (face × price / 100) converts once and the rules on the face (a zero-coupon's 3% of it, a
    high-yield bond's 7% of principal) read it in dollars; every engine reading a converted bond
    reads its quantity as its face in US dollars. The rows converted then read USD at a rate of 1,
    so converting again changes nothing.

    The target is :data:`ENGINE_CURRENCY`, fixed, not :func:`numeraire`: the rules are in dollars
    whatever the risk view's file says (both are USD as shipped).

    A row with a blank currency or USD is left as it is (a book in dollars is returned itself), and
    so is cash, which neither engine margins. Its ``fx_rate``, when given, must be a dollar's (1, or
    ``per_usd``): :func:`dollar_rate_problems`; at ``per_usd`` it reads 1 once converted. A foreign
    row without a positive ``fx_rate`` is a :class:`MissingDataError` naming it, as the risk view's."""
    rate = usd_rates(portfolio, per_usd)
    portfolio = _restated(portfolio, per_usd)
    if rate is None:
        return portfolio
    a = portfolio.arrays
    converted = _foreign(portfolio)
    at = np.flatnonzero(converted)
    arrays = dict(a)
    bond = a["type"][at] == "bond"
    for names, rows in ((MONEY_FIELDS, at[~bond]), (FACE_FIELDS, at[bond])):
        for name in names:
            arrays[name] = a[name].copy()
            arrays[name][rows] *= rate[rows]
    arrays["currency"] = a["currency"].copy()
    arrays["currency"][converted] = ENGINE_CURRENCY
    arrays["fx_rate"] = a["fx_rate"].copy()
    arrays["fx_rate"][converted] = 1.0
    kept = {name: portfolio.codes(name) for name in portfolio.coded() if name != "currency"}
    return Portfolio(arrays, portfolio.as_of, portfolio.warnings, kept)


def usd_rates(portfolio: Portfolio, per_usd: float = 1.0) -> FloatArray | None:
    """Per row, the US dollars one unit of its currency is worth, as :func:`in_usd` converts (and
    checks) the rows: the ``fx_rate`` divided by ``per_usd`` for a row in another currency, 1 for
    a dollar row, a blank currency and cash. None when no row is in another currency. A dollar row
    at another rate than a dollar's is an :class:`InputError` (:func:`dollar_rate_problems`)."""
    a = portfolio.arrays
    given = a["fx_rate"]
    contradictions = dollar_rate_problems(portfolio, per_usd)
    if contradictions:
        raise InputError(contradictions)
    foreign = _foreign(portfolio)
    if not foreign.any():
        return None
    at = np.flatnonzero(foreign)
    rate = given[at] / per_usd
    implied = dollar_pair_rates(portfolio, at)
    if contradictions := _pair_rate_problems(portfolio, at, implied, per_usd):
        raise InputError(contradictions)
    rate = np.where(np.isnan(implied), rate, implied)
    bad = at[~(rate > 0)]
    if bad.size:
        raise MissingDataError(
            [
                needs_rate(str(a["currency"][i]), int(a["row"][i]))
                if np.isnan(given[i])
                else Problem(
                    f"fx_rate must be positive, got {rate_text(given[i])}", int(a["row"][i]), "fx_rate"
                )
                for i in bad.tolist()
            ]
        )
    out = np.ones(len(portfolio))
    out[at] = rate
    return out


def dollar_pair_rates(portfolio: Portfolio, at: np.ndarray) -> FloatArray:
    """Per row of ``at``, the US dollars one unit of its currency is worth where the row is a
    currency pair of base USD quoted in that currency (USDJPY in JPY: an fx row, or a CFD on the
    pair) and gives no ``fx_rate``: one over its price, the pair's own price converting its notional
    as the risk view values it (``currency_legs``: its base leg is its quantity in dollars) and as
    the ESMA and NFA engines read no rate for a pair holding the account currency
    (:func:`~xlmargin.fx_rates.rate_unused`). NaN for any other row (its ``fx_rate`` converts): a
    row giving its rate keeps it, and an option on the pair is priced in premium, which is no rate
    (one over its premium converted a USDJPY call's strike at 1/1.20). NaN too where the price is not
    above 0. A pair is what :func:`~xlmargin.pairs.row_pair` reads, the one test the engines share."""
    a = portfolio.arrays
    out = np.full(len(at), np.nan)
    kind, classes = a["type"][at], a["asset_class"][at]
    # the pair itself (an fx row, a CFD on it) whose price is the pair's and whose rate is blank: an
    # option on the pair is priced in premium, and a rate the row gives is the row's own reading
    maybe = np.flatnonzero(np.isin(kind, _PRICED_AS_PAIR) & np.isnan(a["fx_rate"][at]))
    for j in maybe.tolist():
        i = int(at[j])
        pair = row_pair(
            str(kind[j]), classes[j], bool(a["class_given"][i]), str(a["symbol"][i]), a["underlying"][i]
        )
        price = a["price"][i]
        if pair == (ENGINE_CURRENCY, a["currency"][i]) and price > 0:
            out[j] = 1.0 / price
    return out


def pair_rate_problems(portfolio: Portfolio, per_usd: float = 1.0) -> list[Problem]:
    """The rows giving a currency another ``fx_rate`` than a USD-base pair's price gives it, each
    naming the pair's row and its own fx_rate column, in row order (:func:`_pair_rate_problems`)."""
    at = np.flatnonzero(_foreign(portfolio))
    return _pair_rate_problems(portfolio, at, dollar_pair_rates(portfolio, at), per_usd) if at.size else []


def _pair_rate_problems(
    portfolio: Portfolio, at: np.ndarray, implied: FloatArray, per_usd: float
) -> list[Problem]:
    """One currency, one rate: where a USD-base pair without an ``fx_rate`` gives its quote currency
    the rate one over its price (``implied``, per row of ``at``: :func:`dollar_pair_rates`), a row in
    that currency (cash too: the risk view values it) that gives an ``fx_rate`` (divided by
    ``per_usd``, in USD per unit) is at that rate within :data:`SAME_RATE`; one that is not is a
    problem naming both rows and its fx_rate column. The rule the reader holds two rows of one
    contract to (:func:`~xlmargin.positions.marks.mark_problems`): used side by side, the two rates
    valued one currency twice. Compared with the currency's first such pair row."""
    priced = ~np.isnan(implied)
    if not priced.any():
        return []
    a = portfolio.arrays
    first: dict[str, int] = {}  # currency: its first pair row whose price gives its rate
    for j in np.flatnonzero(priced).tolist():
        first.setdefault(str(a["currency"][at[j]]), j)
    codes, currencies = portfolio.codes("currency")
    given = a["fx_rate"] / per_usd
    problems: list[Problem] = []
    for currency, j in first.items():
        pair, rate = int(at[j]), float(implied[j])
        held = np.array([c == currency for c in currencies], dtype=bool)[codes]
        with np.errstate(invalid="ignore"):
            off = held & ~np.isnan(given) & ~same_rate(given, rate)
        for i in np.flatnonzero(off).tolist():
            usd = "" if per_usd == 1.0 else f" (at fx.{ENGINE_CURRENCY} {rate_text(per_usd)})"
            problems.append(
                Problem(
                    f"rows {int(a['row'][pair])} and {int(a['row'][i])} rate {currency} differently: "
                    f"{a['symbol'][pair]} at {rate_text(a['price'][pair])} makes one {currency} "
                    f"{rate_text(rate)} USD, this row's fx_rate {rate_text(given[i])} USD{usd}: one currency "
                    f"has one rate; give row {int(a['row'][pair])} an fx_rate or correct this one",
                    int(a["row"][i]),
                    "fx_rate",
                )
            )
    return sorted(problems, key=lambda p: p.row or 0)


def dollar_rate_problems(
    portfolio: Portfolio, per_usd: float = 1.0, dollar: str = ENGINE_CURRENCY
) -> list[Problem]:
    """The one rule of every engine converting to dollars (Reg T, PM, SPAN, the risk view, the
    account view's securities and futures): a dollar row's ``fx_rate``, when given, is a dollar's (1,
    or ``per_usd`` where rates are in another account currency), within :data:`SAME_RATE`. A row in
    ``dollar`` (the engine's currency; USD as shipped) at another rate names its fx_rate column; a
    blank currency read as dollars (every type but fx, cfd and cash) its currency column: the rate
    says another currency."""
    given = portfolio.arrays["fx_rate"]
    off = ~np.isnan(given) & ~same_rate(given, per_usd)
    if not off.any():
        return []
    codes, currencies = portfolio.codes("currency")
    named = np.array([c == dollar for c in currencies], dtype=bool)[codes]
    at = "1" if per_usd == 1.0 else f"a dollar's, {rate_text(per_usd)} (fx.{dollar})"
    name, rows = "US dollars" if dollar == "USD" else dollar, portfolio.arrays["row"]
    return [
        Problem(
            f"the position is in {dollar}: its rate is {at}, not {rate_text(given[i])}",
            int(rows[i]),
            "fx_rate",
        )
        if named[i]
        else Problem(
            f"blank, but fx_rate is {rate_text(given[i])} (a blank currency is {name}, at {at}): "
            "give the currency the rate converts from",
            int(rows[i]),
            "currency",
        )
        for i in np.flatnonzero(off & (named | _dollar_blank(portfolio))).tolist()
    ]


def at_dollar_rate(portfolio: Portfolio, per_usd: float) -> Portfolio:
    """``portfolio`` with its dollar rows' ``fx_rate`` restated from ``per_usd`` (``fx.USD``) to 1,
    any other rate refused (:func:`dollar_rate_problems`): the account view's futures, for SPAN,
    as :func:`in_usd` restates securities. The book itself when nothing changes."""
    contradictions = dollar_rate_problems(portfolio, per_usd)
    if contradictions:
        raise InputError(contradictions)
    return _restated(portfolio, per_usd)


def _restated(portfolio: Portfolio, per_usd: float) -> Portfolio:
    codes, currencies = portfolio.codes("currency")
    named = np.array([c == ENGINE_CURRENCY for c in currencies], dtype=bool)[codes]
    given = portfolio.arrays["fx_rate"]
    restated = (named | _dollar_blank(portfolio)) & same_rate(given, per_usd) & (given != 1.0)
    if not restated.any():
        return portfolio
    coded = {name: portfolio.codes(name) for name in portfolio.coded()}
    arrays = {**portfolio.arrays, "fx_rate": np.where(restated, 1.0, given)}
    return Portfolio(arrays, portfolio.as_of, portfolio.warnings, coded)


def _dollar_blank(portfolio: Portfolio) -> np.ndarray:
    """The rows whose blank currency reads as US dollars (every type but fx, cfd and cash)."""
    codes, currencies = portfolio.codes("currency")
    type_codes, types = portfolio.codes("type")
    checked = np.array([t not in _BLANK_NOT_USD for t in types], dtype=bool)[type_codes]
    return np.array([c is None for c in currencies], dtype=bool)[codes] & checked


def _foreign(portfolio: Portfolio) -> np.ndarray:
    """The rows in a named currency other than US dollars, cash aside (each currency tested once)."""
    codes, currencies = portfolio.codes("currency")
    foreign = np.array([c is not None and c != ENGINE_CURRENCY for c in currencies], dtype=bool)[codes]
    return foreign & (portfolio.arrays["type"] != "cash")


def needs_rate(currency: str, row: int) -> Problem:
    return Problem(
        f"a position in {currency} needs the USD value of one {currency} in the fx_rate column",
        row,
        "fx_rate",
    )


def needs_pair_price(base: str, quote: str, row: int) -> Problem:
    """A currency pair's blank price where a figure needs it (the reader lets a pair leave it blank:
    ESMA margins a pair in its base currency, the account's, from the quantity alone)."""
    return Problem(
        f"missing price: the {base}{quote} position is valued at its price ({quote} per {base}); "
        f"give it (only an account in {base} margins the pair without it)",
        row,
        "price",
    )


__all__ = [
    "ENGINE_CURRENCY",
    "FACE_FIELDS",
    "MONEY_FIELDS",
    "SAME_RATE",
    "at_dollar_rate",
    "dollar_pair_rates",
    "dollar_rate_problems",
    "in_usd",
    "needs_pair_price",
    "needs_rate",
    "pair_rate_problems",
    "same_rate",
    "usd_rates",
]
