"""A broker export beside a positions table in one decision (``whatif``'s trades, ``hedge``'s
candidates): the regimes that cannot read the two alike.

An export's ``fx_rate`` is USD per unit; a table's is what ``fx_rates`` says. Where one reading
cannot read both (:meth:`xlmargin.brokers.BrokerTable.rates_beside`), every regime reading
``fx_rates`` (the account view) is unread: :func:`~xlmargin.decisions.margin_impact` shows it n/a
with the reason, and it is the error where it is the one regime asked for or the hedge's objective.
The command line and the Python API both ask here, so that the same inputs give the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from xlmargin.decisions._common import REGIMES, in_table
from xlmargin.errors import XlMarginError

if TYPE_CHECKING:
    from xlmargin.brokers import BrokerTable


def unread_beside(
    export: BrokerTable,
    rows: Sequence[Sequence[Any]],
    names: tuple[str, str],
    as_of: dt.date,
    given: Mapping[str, Any],
    regimes: Sequence[str] = REGIMES,
) -> dict[str, XlMarginError]:
    """The regimes among ``regimes`` that read ``fx_rates``, each mapped to why one reading cannot
    read ``export`` and the table ``rows`` beside it alike; empty where it can, or where no regime
    reads ``fx_rates`` (the table is then not read here). ``names``: what the export and the table
    are ("positions", "trades", "candidates"); ``given``: the parameters the user gave (not those
    the export implies). The table is read as its kind is (candidates with their own columns), its
    errors named as its own."""
    from xlmargin.decisions.candidates import read_candidates
    from xlmargin.positions import read_positions
    from xlmargin.regimes import regime_params

    reading = [r for r in dict.fromkeys(regimes) if any(p.name == "fx_rates" for p in regime_params(r))]
    if not reading:
        return {}
    name = names[1]
    if name == "candidates":  # its reader names its errors
        book = read_candidates(rows, as_of).portfolio
    else:
        try:
            book = read_positions(rows, as_of=as_of, holdings=name != "trades")  # fills: own prices
        except XlMarginError as error:
            raise (error if name == "positions" else in_table(name, error)) from None
    why = export.rates_beside(book, names, given)
    return {} if why is None else dict.fromkeys(reading, why)
