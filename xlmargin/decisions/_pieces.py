"""Bonds traded in whole pieces of their ``denomination``, as LIQUIDATION_PLAN sells and
HEDGE_OPTIMIZE trades them (face 1,000 where the row gives none: :data:`BOND_DENOMINATION`).

A trade of ``v`` face on one side (``sign``, up to ``most`` face) is ``v = sign × (piece × k +
rest × w)`` with ``k`` whole and, when ``most`` is no multiple of the piece, ``rest`` the face left
after its whole pieces and ``w`` a binary that needs every whole piece traded (``w ≤ k / full``):
whole pieces, or all of it, where all of it closes the holding (a bond held in an odd face); a
bound that closes nothing (a candidate's ``min_qty`` of 5,500 on a holding of 10,000 face) is
traded in whole pieces alone. A trade that may go either way is ``piece × k`` alone. A whole-unit row
held in a fraction (10.5 shares) is closed the same way with a piece of one unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin.decisions._lp import Program
from xlmargin.instruments import BOND_DENOMINATION


def piece(arrays: Any, i: int) -> float:
    """The least amount row ``i`` trades in: a bond's ``denomination`` (face), else the usual 1,000;
    one unit of any other row."""
    if arrays["type"][i] != "bond":
        return 1.0
    d = float(arrays["denomination"][i])
    return d if d > 0.0 else BOND_DENOMINATION


@dataclass(frozen=True)
class Pieces:
    """A variable tied to whole pieces: ``sign × (piece × k + rest × w)`` (``w`` None: no rest;
    with ``w`` = 1 the trade is all of ``most``)."""

    sign: float
    piece: float
    k: int
    most: float = 0.0  # the trade with w = 1: all of it
    w: int | None = None

    def amount(self, x: np.ndarray) -> float:
        """The exact trade in solution ``x`` (integer columns rounded by the solver): no float left
        over from the solver's arithmetic."""
        if self.w is not None and x[self.w] > 0.5:
            return self.sign * self.most
        return self.sign * self.piece * float(x[self.k])


def one_side(
    program: Program, column: int, sign: float, most: float, size: float, closes: bool = True
) -> Pieces:
    """Tie ``column`` (the trade, signed ``sign``, at most ``most`` in size) to whole pieces of
    ``size``, or all of ``most`` where trading all of it ``closes`` a holding (module docstring)."""
    full = math.floor(most / size + 1e-9)
    rest = most - full * size if closes else 0.0
    k = int(program.variables(0.0, float(full), True)[0])
    if rest <= 1e-9 * max(1.0, most):
        program.constrain(np.array([column, k]), np.array([1.0, -sign * size]), 0.0, 0.0)
        return Pieces(sign, size, k)
    w = int(program.variables(0.0, 1.0, True)[0])
    program.constrain(np.array([column, k, w]), np.array([1.0, -sign * size, -sign * rest]), 0.0, 0.0)
    program.constrain(np.array([k, w]), np.array([-1.0, float(full)]), -np.inf, 0.0)  # w ≤ k / full
    return Pieces(sign, size, k, most, w)


def in_range(
    program: Program, column: int, low: float, high: float, size: float, held: float = 0.0
) -> Pieces:
    """Tie ``column``, a trade between ``low`` and ``high``, to whole pieces of ``size``: on one side
    of 0, whole pieces or all of the farther bound where that closes ``held`` (:func:`one_side`);
    across 0, whole pieces within the range."""
    if low >= 0.0:
        return one_side(program, column, 1.0, high, size, closes=held < 0.0 and high == -held)
    if high <= 0.0:
        return one_side(program, column, -1.0, -low, size, closes=held > 0.0 and low == -held)
    k = int(program.variables(math.ceil(low / size - 1e-9), math.floor(high / size + 1e-9), True)[0])
    program.constrain(np.array([column, k]), np.array([1.0, -size]), 0.0, 0.0)
    return Pieces(1.0, size, k)
