"""An option's underlying price in a broker export: its underlying's own row in the same export.

IBKR exports do not carry an option's underlying price. It is the price of the underlying's row:
the row of the underlying's conid, else a row of its symbol in the option's currency (a stock for
an equity option, the future for an option on a future, a share class in another spelling: BRK B
for OCC's root BRKB). Where the book holds no such row, the error says what the export's format can
add (:data:`UNDERLYING_FIX`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlmargin.brokers import Record, as_number, filled_by_import
from xlmargin.errors import Problem, shown
from xlmargin.symbols import share_class_key

# What an export without an option's underlying price needs, by format
_IMPORTED = f"or {filled_by_import('underlying_price')}"
UNDERLYING_FIX = {
    "ibkr-flex": f'give the OpenPosition an underlyingPrice attribute (underlyingPrice="6800"), {_IMPORTED}',
    "ibkr-statement": f"add an 'Underlying Price' column to the Open Positions section, {_IMPORTED}",
    "ibkr-portfolio": f"add an 'Underlying Price' column, {_IMPORTED}",
}


def underlying_prices(
    records: list[Record], kinds: list[str | None]
) -> tuple[dict[str, list[Record]], dict[str, list[Record]]]:
    """The book's stock, ETF and future rows that give a price, by symbol and by conid (in line
    order); an option on a future also finds its future by the future's root (ES) when the book
    holds one ES future (its root from its underlying field, else from its symbol, ESH6 → ES, as an
    activity statement names it); a share class also by its key (BRK B as BRKB, OCC's root:
    :func:`~xlmargin.symbols.share_class_key`) when the book spells it one way. Which of a key's
    rows is looked at never depends on their order (:func:`underlying_price`)."""
    from xlmargin.instruments import future_root

    prices: dict[str, list[Record]] = {}
    by_conid: dict[str, list[Record]] = {}
    futures: dict[str, list[Record]] = {}
    classes: dict[str, list[Record]] = {}
    for r, t in zip(records, kinds, strict=True):
        if t in ("stock", "etf", "future") and r.get("price"):
            prices.setdefault(r.get("symbol").upper(), []).append(r)
            symbol = r.get("symbol").upper()
            if t != "future" and (key := share_class_key(symbol)) != symbol:
                classes.setdefault(key, []).append(r)
            if r.get("conid"):
                by_conid.setdefault(r.get("conid"), []).append(r)
            if t == "future" and (root := r.get("underlying") or future_root(r.get("symbol"))):
                futures.setdefault(root.upper(), []).append(r)
    # a share class spelled otherwise (OCC's root BRKB for BRK B: symbols.share_class_key) finds its
    # stock when the book holds it in one spelling
    for key, held in classes.items():
        if len({r.get("symbol").upper() for r in held}) == 1:
            prices.setdefault(key, held)
    # an option on a future names the future's root (ES); that serves only when one ES future is held
    for root, held in futures.items():
        if len({as_number(r.get("price")) for r in held}) == 1:
            prices.setdefault(root, held)
    return prices, by_conid


def underlying_price(
    kind: str,
    r: Record,
    values: Mapping[str, Any],
    prices: Mapping[str, list[Record]],
    by_conid: Mapping[str, list[Record]],
    problems: list[Problem],
) -> str | None:
    """An option's underlying price from the book's rows (an export of format ``kind``): the row of the
    underlying's conid, else a row of its symbol in the option's currency that states no other conid (a
    symbol is listed on several exchanges, in several currencies, and IBKR's conid tells them apart: SAP in
    EUR is not the SAP an option in USD is on; a blank currency is USD, :func:`_listed_in`). Rows of the
    underlying that give it two prices are a problem naming them and the price field (once per pair of
    rows): taking the first or the last would make the figure depend on the rows' order."""
    underlying, conid = (values["underlying"] or "").upper(), r.get("underlying_conid")
    same = prices.get(underlying) or prices.get(share_class_key(underlying), [])
    rows = by_conid.get(conid) or [
        x for x in same if _listed_in(x) == _listed_in(r) and not (conid and x.get("conid"))
    ]
    if not rows:
        u = shown(values["underlying"])
        listed = sorted(
            {
                shown(f"{x.get('currency') or 'no currency'}, conid {x.get('conid') or 'not given'}")
                for x in same
            }
        )
        held = (
            f"the book's {u} rows are of another listing ({'; '.join(listed)})"
            if same
            else f"the book has no {u} row"
        )
        stated = (
            f" ({shown(r.get('currency') or 'no currency')}{f', conid {shown(conid)}' if conid else ''})"
            if same
            else ""
        )
        problems.append(
            Problem(
                f"{shown(values['symbol'])}: the export gives no price for the underlying {u}{stated} and "
                f"{held}; {UNDERLYING_FIX[kind]}",
                r.line,
                "underlying_price",
            )
        )
        return None
    first = rows[0]
    for other in rows[1:]:
        if as_number(other.get("price")) != as_number(first.get("price")):
            problem = Problem(
                f"lines {first.line} and {other.line} hold {shown(first.get('symbol'))} at different "
                f"prices ({shown(first.get('price'))}, {shown(other.get('price'))}): one contract has one "
                "price, and the options on it take it as their underlying price",
                other.line,
                other.names.get("price", "price"),
            )
            if problem not in problems:  # once, however many options it underlies
                problems.append(problem)
            return None
    return first.get("price")


def _listed_in(r: Record) -> str:
    """The currency a stock, future or option row is in: a blank one is US dollars, as the positions
    reader reads a blank currency (a Flex report may leave one side's blank and state the other's)."""
    return r.get("currency").upper() or "USD"


__all__ = ["UNDERLYING_FIX", "underlying_price", "underlying_prices"]
