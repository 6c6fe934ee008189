"""The notional of an ESMA/NFA retail line in the account currency (:mod:`xlmargin.esma`): its units
(a bond CFD's face per 100, as a bond row reads), its currency (a pair's base or quote, the row's
currency, or the quote of an fx-typed symbol shaped as a pair) and the rate that converts it (the row's
``fx_rate``, else an ``fx.XXX`` parameter)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from xlmargin.bond_cfds import per_face
from xlmargin.dollars import needs_pair_price
from xlmargin.errors import Problem
from xlmargin.esma_names import broker_names
from xlmargin.fx_rates import not_a_pair, row_pair, unread_pair
from xlmargin.instruments import PER_FACE
from xlmargin.positions import Position
from xlmargin.symbols import currency_codes, pair_codes


def pair_of(p: Position) -> tuple[str, str] | None:
    """(base, quote) of a row margined as a currency pair whose symbol (or a CFD's underlying), without
    a broker's marks (:func:`~xlmargin.esma_names.broker_names`: ``[EURUSD]``), reads as two known
    codes (:func:`~xlmargin.fx_rates.row_pair`)."""
    (symbol, underlying), _ = broker_names(p.symbol, p.underlying)
    return row_pair(p.type, p.asset_class, p.class_given, symbol, underlying)


def converted_notional(
    p: Position,
    account: str,
    fx_rates: Mapping[str, float],
    reading: str,
    bad: list[Problem],
    missing: list[Problem],
) -> tuple[str, float, float] | None:
    """(currency converted from, notional in the account currency, rate used), or None after a
    problem (added to ``bad`` or ``missing``). ``fx_rates``: account-currency units per unit of each
    currency (the ``fx.XXX`` parameters); ``reading``: how the table's ``fx_rate`` column reads
    (``account`` or ``usd``)."""
    units = abs(p.quantity) * p.multiplier / (PER_FACE if per_face(p) else 1.0)
    currency: str | None
    pair = pair_of(p)
    if pair is None and unread_pair(p.type, p.asset_class, p.class_given, p.symbol, p.underlying):
        bad.append(Problem(not_a_pair(p.symbol), p.row, "symbol"))
        return None
    if pair is not None:
        base, quote = pair
        if account != base and math.isnan(p.price):  # only the base currency's own account needs none
            missing.append(needs_pair_price(base, quote, p.row))
            return None
        if account in pair:  # a pair holding the account currency needs no rate
            return (base, units, 1.0) if account == base else (quote, units * p.price, 1.0)
        currency = p.currency or quote
        if currency not in pair:
            bad.append(
                Problem(
                    f"a {base}{quote} position is in {base} or {quote}, not {currency}", p.row, "currency"
                )
            )
            return None
        native = {base: units, quote: units * p.price}
    elif math.isnan(p.price):  # an fx-typed row that is no pair (XAUUSD) is valued at its price
        missing.append(Problem("missing price", p.row, "price"))
        return None
    else:
        currency = p.currency or _quote_of_symbol(p)
        native = {currency: units * p.price} if currency else {}
    if not math.isnan(p.fx_rate):
        return _at_given_rate(p, account, currency, native.get(currency or "", units * p.price), bad)
    if currency is None:
        missing.append(
            Problem(f"give the currency of the price (or an fx_rate to {account})", p.row, "currency")
        )
        return None
    return _at_parameter_rate(p, account, currency, native, fx_rates, reading, missing)


def _at_given_rate(
    p: Position, account: str, currency: str | None, amount: float, bad: list[Problem]
) -> tuple[str, float, float] | None:
    """A notional converted at the row's own ``fx_rate`` (account currency per unit of ``currency``)."""
    given = p.fx_rate
    if given <= 0:
        bad.append(Problem(f"fx_rate must be positive, got {given:g}", p.row, "fx_rate"))
        return None
    return currency or "", amount * given, given


def _at_parameter_rate(
    p: Position,
    account: str,
    currency: str,
    native: Mapping[str, float],
    fx_rates: Mapping[str, float],
    reading: str,
    missing: list[Problem],
) -> tuple[str, float, float] | None:
    """A notional converted at an ``fx.XXX`` parameter rate: of its currency, else the pair's other one."""
    if currency == account:
        return currency, native[currency], 1.0
    candidates = (currency, *(c for c in native if c != currency))
    for ccy in candidates:
        if ccy in fx_rates:
            return ccy, native[ccy] * fx_rates[ccy], fx_rates[ccy]
    missing.append(
        Problem(
            f"no rate from {currency} to the account currency {account} ({currency}{account}): give "
            f"fx_rate ({_rate_unit(account, currency, reading)}) in the table or "
            f"{' or '.join(f'fx.{c}' for c in candidates)} in the parameters",
            p.row,
            "fx_rate",
        )
    )
    return None


def _rate_unit(account: str, currency: str, reading: str) -> str:
    """The unit the table's ``fx_rate`` is read in (the ``fx_rates`` reading): account-currency
    units per unit, or USD per unit under ``fx_rates=usd``."""
    return f"USD per {currency}, fx_rates=usd" if reading == "usd" else f"{account} per {currency}"


def _quote_of_symbol(p: Position) -> str | None:
    """The price currency of an fx-typed row that is not a currency pair (XAUUSD, BTCUSD, XAU/USD,
    XAUUSD.pro): the second code of a symbol shaped as a pair (:func:`~xlmargin.symbols.pair_codes`,
    the one reading of a pair symbol: one separator, between the codes) when it is a known code;
    None for any other symbol (X.AUUSD, XAU..USD)."""
    codes = pair_codes(p.symbol) if p.type == "fx" else None
    return codes[1] if codes is not None and codes[1] in currency_codes(declared=True) else None


__all__ = ["converted_notional", "pair_of", "per_face"]
