"""The published SPAN arithmetic on its own: the risk-array scenarios, scanning risk, spread charges."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from xlmargin.errors import InputError, Problem


@dataclass(frozen=True)
class Scenario:
    """One risk-array scenario: the price moves ``fraction`` × the scan range, volatility moves by
    ``vol_direction`` × the volatility scan range, and the P&L counts at ``weight``."""

    number: int
    label: str
    fraction: float
    vol_direction: int
    weight: float


def scenarios(price_steps: int, extreme_multiple: float, extreme_cover: float) -> tuple[Scenario, ...]:
    """The risk-array scenarios in CME's order (16 for ``price_steps`` = 3).

    Price unchanged, then up and down by each step ``k/price_steps`` of the range, each with volatility
    up then down; then the extreme move up and down (volatility unchanged) at ``extreme_cover``.
    """
    out: list[Scenario] = []

    def add(fraction: float, vol: int, weight: float, label: str) -> None:
        out.append(Scenario(len(out) + 1, label, fraction, vol, weight))

    for vol, word in ((1, "up"), (-1, "down")):
        add(0.0, vol, 1.0, f"price unchanged, volatility {word}")
    for k in range(1, price_steps + 1):
        for sign, move in ((1, "up"), (-1, "down")):
            for vol, word in ((1, "up"), (-1, "down")):
                add(sign * k / price_steps, vol, 1.0, f"price {move} {k}/{price_steps}, volatility {word}")
    for sign, move in ((1, "up"), (-1, "down")):
        add(
            sign * extreme_multiple,
            0,
            extreme_cover,
            f"extreme {move} ({extreme_multiple:g} × range, {extreme_cover:.0%} counted)",
        )
    return tuple(out)


# --- building blocks: the published arithmetic ------------------------------------------------------


def scanning_risk(arrays: Iterable[Sequence[float]]) -> float:
    """Scanning risk from P&L risk arrays (gains positive), one per position as held.

    The arrays are summed scenario by scenario; the scanning risk is the worst loss of the sum,
    ``max(0, −min_s Σ pnl[s])`` (zero when no scenario loses).
    """
    rows = [list(a) for a in arrays]
    if not rows:
        raise InputError(Problem("scanning risk needs at least one risk array"))
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        raise InputError(Problem("the risk arrays must have the same, non-zero number of scenarios"))
    try:
        stacked = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(Problem("a risk array holds a value that is not a number")) from None
    if not np.isfinite(stacked).all():
        raise InputError(Problem("a risk array holds a value that is not a finite number"))
    return max(0.0, -float(stacked.sum(axis=0).min()))


def calendar_spread_margin(
    long_month_margin: float, short_month_margin: float, spread_charge: float, spreads: float = 1.0
) -> float:
    """Margin of ``spreads`` calendar spreads (long one month, short another) of one product.

    CME "Spread calculations": each month scans at its own outright margin, so a spread's scanning
    risk is the difference ``|long − short|``; the intra-commodity charge is added per spread:
    ``spreads × (|long − short| + spread_charge)``.
    """
    for name, value in (
        ("long month margin", long_month_margin),
        ("short month margin", short_month_margin),
        ("spread charge", spread_charge),
        ("spreads", spreads),
    ):
        _check_money(name, value)
    return spreads * (abs(long_month_margin - short_month_margin) + spread_charge)


def inter_spread_credit(
    outright_margins: Sequence[float],
    ratio: Sequence[float],
    credit: float | Sequence[float],
    spreads: float = 1.0,
) -> float:
    """Credit of ``spreads`` inter-commodity spreads formed at ``ratio`` (contracts of each leg).

    CME "Spread calculations": each leg gets ``credit`` of its outright margin back on the contracts
    in the spreads: ``credit × spreads × Σ ratio_i × outright_i``. ``credit`` may give one rate per
    leg (Solomon's soybean crush: 55% on soybeans, 70% on meal and oil):
    ``spreads × Σ credit_i × ratio_i × outright_i``.
    """
    if len(outright_margins) != len(ratio) or len(ratio) == 0:
        raise InputError(Problem("give one outright margin per leg of the ratio"))
    for value in (*outright_margins, *ratio, spreads):
        _check_money("an inter spread input", value)
    try:
        depth = np.ndim(credit)
    except ValueError:  # a ragged list, such as [0.5, [1, 2]]
        depth = 2
    if credit is None or isinstance(credit, str | bool | np.bool_) or depth > 1:
        raise InputError(Problem(f"the credit is a fraction between 0 and 1, or one per leg, got {credit!r}"))
    rates: list[float] = (
        [float(credit)] * len(ratio) if depth == 0 else list(credit)  # type: ignore[arg-type]
    )
    if len(rates) != len(ratio):
        raise InputError(Problem("give one credit, or one per leg of the ratio"))
    for rate in rates:
        if not _real(rate) or not 0.0 <= rate <= 1.0:
            raise InputError(Problem(f"the credit is a fraction between 0 and 1, got {rate!r}"))
    return float(spreads * sum(c * r * m for c, r, m in zip(rates, ratio, outright_margins, strict=True)))


def _real(value: object) -> bool:
    """A real number, NumPy's included; not a truth value (``True`` is no amount)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _check_money(name: str, value: float) -> None:
    if not _real(value) or not math.isfinite(value) or value < 0:
        raise InputError(Problem(f"{name} must be a non-negative number, got {value!r}"))
