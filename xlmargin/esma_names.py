"""A broker's CFD name, read in one place: the decorations brokers add and the commodity CFDs' names.

Brokers print a CFD's name with marks of their own (esma.toml ``[decorations]``): Admiral Markets
encloses its index CFDs in brackets (``[GERMANY40]``, ``[IBEX35]``) and puts ``#`` before its CFDs on
shares, ETFs and bonds (``#AAPL``, ``#QQQ``, ``#Bund``), which it margins at 1:5; a suffix after a
separator (``US500.cash``, Axi's ``DJ30.fs``) is the index tables' ``[index_suffixes]``, read by
:func:`~xlmargin.symbols.listed_index`. :func:`broker_name` takes the marks off, so the name inside
is looked up in the tables as any other (``[GERMANY40]`` is GERMANY40, the DAX: 20:1).

Commodity CFDs carry names of their own (``GOLD``, ``SILVER``, ``WTI``, ``USOIL``, ``XTIUSD``:
esma.toml ``[commodity_cfds]``), listed by the ESMA class of the commodity (gold 20:1, every other
commodity 10:1). :func:`listed_commodity` reads them, bare or decorated (``WTI.fs``, ``[GOLD]``).
"""

from __future__ import annotations

from functools import lru_cache

from xlmargin import rules
from xlmargin.symbols import listed_index

COMMODITY_TABLE = "commodity_cfds"
"""The table of esma.toml listing commodity CFD names by the ESMA class of the commodity."""


@lru_cache(maxsize=1)
def _decorations() -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    table = rules.load("esma")["decorations"]
    enclosures = tuple((str(pair)[0], str(pair)[1]) for pair in table["enclosures"])
    return enclosures, tuple(str(p) for p in table["share_prefixes"])


@lru_cache(maxsize=4096)  # a book repeats a few names many times
def broker_name(name: str) -> tuple[str, str]:
    """The name inside a broker's marks and the mark that says a share CFD (``'#'``), else ``''``:
    ``'[GERMANY40]'`` -> ``('GERMANY40', '')``, ``'#AAPL'`` -> ``('AAPL', '#')``; a name without
    marks is itself. Only a whole enclosure (``[...]`` around the name) and a prefix followed by
    more text are marks; blanks inside are kept."""
    text = name.strip()
    enclosures, prefixes = _decorations()
    for opening, closing in enclosures:
        if len(text) > 2 and text[0] == opening and text[-1] == closing:
            text = text[1:-1].strip()
            break
    for prefix in prefixes:
        if len(text) > len(prefix) and text.startswith(prefix):
            return text[len(prefix) :].strip(), prefix
    return text, ""


def broker_names(symbol: str, underlying: str) -> tuple[tuple[str, str], str]:
    """The symbol and underlying without a broker's marks (:func:`broker_name`), and the share mark
    either carries (``'#'``), else ``''``."""
    (core, mark), (under, under_mark) = broker_name(symbol), broker_name(underlying)
    return (core, under), mark or under_mark


def listed_commodity(names: tuple[str, str]) -> tuple[str, str] | None:
    """``('WTI.FS = WTI = other_commodity [commodity_cfds]', 'other_commodity')`` when one of
    ``names`` (a symbol, then an underlying, without marks) is a commodity CFD name of esma.toml
    ``[commodity_cfds]``, or is one followed by a broker's suffix of ``[index_suffixes]``; else None."""
    return listed_index(names, COMMODITY_TABLE)


__all__ = ["COMMODITY_TABLE", "broker_name", "broker_names", "listed_commodity"]
