"""An export's exchange rates made what the positions table means by ``fx_rate``: USD per unit of
each row's currency (IBKR gives them to the account's base currency)."""

from __future__ import annotations

from xlmargin.brokers import Base, Record, parsed


def rates_in_usd(records: list[Record], base: str | None, dollar: str | None = None) -> Base:
    """The records' ``fx_rate`` made USD per unit of each row's currency, what the positions table
    means by it; the base currency found and its units per USD. IBKR gives each currency's rate to
    the account's base currency (Flex ``fxRateToBase``, the statement's "Base Currency Exchange
    Rate"): USD per unit only in a USD-based account. In another base each rate is divided by the
    dollar's (``dollar``, the export's own USD rate, else a USD row's), whatever the base is.
    ``base`` is the export's stated base currency, else the one its rates show
    (:func:`_shown_base`). Without a dollar rate in a base other than USD, or a base shown, the
    rates are left blank (``Base.unread``) for the engine to ask for or the account view to fill
    from ``fx.CCY``: never read as USD per unit on a guess."""
    rated = [r for r in records if _rate(r.get("fx_rate")) is not None]
    if dollar is None:
        dollar = next((r.get("fx_rate") for r in rated if r.get("currency").upper() == "USD"), None)
    per_usd = _rate(dollar)
    base = base.upper() if base else _shown_base(rated, per_usd)
    if base == "USD":
        return Base("USD", 1.0)
    unread = []
    for i, r in enumerate(records):
        rate = _rate(r.get("fx_rate"))
        if rate is not None:
            r.values["fx_rate"] = "" if per_usd is None else repr(rate / per_usd)
            unread += [i] if per_usd is None else []
    return Base(base, per_usd, tuple(unread))


def _shown_base(rated: list[Record], per_usd: float | None) -> str | None:
    """The base currency an export that states none shows by its rates: USD when its dollar rate is
    1, else the one currency other than USD at a rate of exactly 1; None when it shows none (no USD
    row, or one at another rate, and no one currency at 1), never USD by default."""
    if per_usd == 1.0:
        return "USD"
    at_one = {r.get("currency").upper() for r in rated if _rate(r.get("fx_rate")) == 1.0} - {"USD"}
    return at_one.pop() if len(at_one) == 1 else None


def _rate(text: str | None) -> float | None:
    """A positive rate read from an export's text (:func:`parsed`), else None: a rate that does not
    read is left as it is, for its row's problem."""
    value, _ = parsed(text)
    return value if value is not None and value > 0 else None


__all__ = ["rates_in_usd"]
