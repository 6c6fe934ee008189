"""Which row is a currency pair, and on which two currencies: one test for every engine that reads a
pair (the ESMA and NFA caps, the risk view's legs, the rate a pair of base USD implies for the
dollar engines: :func:`xlmargin.dollars.dollar_pair_rates`). Kept apart from
:mod:`xlmargin.fx_rates` (which re-exports it) so that :mod:`xlmargin.dollars`, which that module
reads its rates with, can use it too.
"""

from __future__ import annotations

from xlmargin.positions.model import PAIR_ASSET_CLASSES
from xlmargin.symbols import currency_pair


def row_pair(
    kind: str, asset_class: str | None, class_given: bool, symbol: str, underlying: str | None = None
) -> tuple[str, str] | None:
    """(base, quote) of a row that is a currency pair, the one test the ESMA and NFA engines and the
    risk view share: an fx row or a row of an FX class whose symbol reads as two currency codes
    (any of esma.toml ``[currencies] codes``, ISO 4217: USDRUB), or a CFD with a blank class whose
    symbol reads as two codes of ``[currencies] quoted`` (EURUSD, EUR.USD, USDTRY: a symbol alone
    does not make a share's ticker a pair; :func:`~xlmargin.symbols.currency_pair`), else a CFD's
    underlying read the same way (a CFD on the pair's future or forward, ``EURUSD.DEC26`` or ``6E``
    on ``EURUSD``: a CFD on a future takes its underlying's class, ESMA Q&A on CFDs, as an index
    CFD's underlying is read); None for any other row."""
    declared = kind == "fx" or asset_class in PAIR_ASSET_CLASSES
    if not (declared or (kind == "cfd" and not class_given)):
        return None
    pair = currency_pair(symbol, declared)
    if pair is None and kind == "cfd" and underlying:
        pair = currency_pair(underlying, declared)
    return pair


__all__ = ["row_pair"]
