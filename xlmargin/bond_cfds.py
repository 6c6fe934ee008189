"""Which CFDs are read as bonds: a CFD of a bond class (esma.toml ``[bond_cfds]``) on no futures root
has its quantity as face and its price per 100 of face, as a bond row does, so its notional is
``|quantity| × multiplier / 100 × price``. One reading for every engine that values such a row: the
ESMA/NFA notional (:mod:`xlmargin.esma_notional`), the risk view's value and currency leg
(:func:`xlmargin.instruments.currency_legs`, :mod:`xlmargin.stress.book`) and the decisions' unit
value (:func:`xlmargin.instruments.unit_values`)."""

from __future__ import annotations

from functools import cache

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray
from xlmargin.positions import Portfolio, Position
from xlmargin.symbols import listed_future


@cache  # the rule file is loaded once (rules.load): its list is read once, not once per row
def _bond_cfd_classes() -> frozenset[str]:
    return frozenset(str(c) for c in rules.load("esma")["bond_cfds"]["classes"])


def per_face(p: Position) -> bool:
    """Whether a row is a CFD on a bond, read as a bond row is (quantity face, price per 100 of
    face): its class column gives a class of ``[bond_cfds]`` and it is on no futures root (a CFD
    on a Treasury future is priced as the future, in points)."""
    return (
        p.type == "cfd"
        and p.class_given
        and p.asset_class in _bond_cfd_classes()
        and listed_future(p.symbol, p.underlying) is None
    )


def per_face_rows(portfolio: Portfolio) -> BoolArray:
    """:func:`per_face` of every row (a position is built for the CFD rows only)."""
    out = np.zeros(len(portfolio), dtype=np.bool_)
    codes, types = portfolio.codes("type")
    cfd = np.flatnonzero(np.array([t == "cfd" for t in types], dtype=np.bool_)[codes])
    if cfd.size:
        out[cfd] = [per_face(p) for p in portfolio.positions_at(cfd.tolist())]
    return out


__all__ = ["per_face", "per_face_rows"]
