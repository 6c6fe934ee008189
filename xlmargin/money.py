"""The one rounding rule for money: to the cent, half away from zero, after removing binary noise.

``1150.0049999999998`` (a computed 1,150.005) → 1,150.01; ``0.125`` → 0.13; ``-0.125`` → -0.13; a
negative zero becomes zero. Excel's ROUND does the same, so a cell and a report agree to the cent.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import numpy as np
from numpy.typing import ArrayLike

_CENT = Decimal("0.01")
# Where ``cents_of`` decides alone: below 1e9 dollars a value's 15-digit form is within 5e-4 of a
# cent of it, so a value more than 1e-3 of a cent from a half cent rounds the same either way.
_SURE_BELOW_CENTS = 1e11
_SURE_FROM_HALF = 1e-3


def cents(value: float) -> float:
    """Money rounded to the cent (half away from zero), never a negative zero."""
    return float(Decimal(f"{float(value):.15g}").quantize(_CENT, rounding=ROUND_HALF_UP)) + 0.0


def cents_of(values: ArrayLike) -> list[float]:
    """:func:`cents` of every value, the very same floats, vectorised: ``k / 100`` is the nearest
    double to ``k`` cents, as ``float(Decimal)`` is; values near a half cent, past 1e9, or not
    finite go through :func:`cents` itself."""
    v = np.asarray(values, dtype=float).ravel()
    scaled = np.abs(v) * 100.0
    whole = np.floor(scaled)
    fraction = scaled - whole
    with np.errstate(invalid="ignore"):
        sure = (scaled < _SURE_BELOW_CENTS) & (np.abs(fraction - 0.5) > _SURE_FROM_HALF)
    out: list[float] = (np.copysign(whole + (fraction > 0.5), v) / 100.0 + 0.0).tolist()
    for i in np.flatnonzero(~sure).tolist():
        out[i] = cents(float(v[i]))
    return out


def rounded(value: float, digits: int) -> float:
    """A figure rounded to ``digits`` decimals by the same rule (ratios, deltas, rates shown in tables)."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(f"{float(value):.15g}").quantize(quantum, rounding=ROUND_HALF_UP)) + 0.0


def cents_down(value: float) -> float:
    """Money rounded down to the cent (after removing binary noise): for a maximum, where the next
    cent up would break the limit it is the maximum of (2,000,000.008 → 2,000,000.00)."""
    return float(Decimal(f"{float(value):.15g}").quantize(_CENT, rounding=ROUND_FLOOR)) + 0.0


def truncated(value: float, digits: int) -> float:
    """A figure cut toward zero at ``digits`` decimals (after removing binary noise): for a distance
    that must never be shown longer than it is (0.123456789 → 0.1234 at 4)."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(f"{float(value):.15g}").quantize(quantum, rounding=ROUND_DOWN)) + 0.0
