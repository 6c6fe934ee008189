"""Each row's figures as a leg on its own, for many rows at once: :func:`standalone_columns`, bit for
bit the scalar rules of :mod:`xlmargin.regt._formulas` (the same floating-point operations in the
same order), for a book's first call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.regt._formulas import RegTRules, add_months
from xlmargin.regt._house import HouseOptions

# --- a leg on its own, column-wise ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandaloneColumns:
    """What each row needs when it is a leg on its own, one array per figure (per contract for
    options, per share for stock): :func:`stock_figures`, :func:`long_option_rate` and
    :func:`naked_per_share` over many rows at once, for a book's first call."""

    margin: FloatArray  # stock: per share; short option: the naked requirement per contract
    spread_naked: FloatArray  # short option: what a credit spread holds its short leg to (spread_naked)
    long_cost: FloatArray  # long option: the premium to pay per contract
    short_proceeds: FloatArray  # short option: its value per contract
    value: FloatArray  # price × multiplier


def _max(a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    """Python's ``max(a, b)`` elementwise: ``a`` unless ``b`` is greater (so a tie keeps ``a``'s
    sign of zero, as the scalar rules do)."""
    return np.where(np.greater(b, a), b, a)


def _min(a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    """Python's ``min(a, b)`` elementwise: ``a`` unless ``b`` is smaller."""
    return np.where(np.less(b, a), b, a)


def _levered(r: RegTRules, pct: FloatArray | float, leverage: FloatArray) -> FloatArray:
    """:meth:`RegTRules.levered` elementwise, in the same operations."""
    factor = _max(np.abs(leverage), 1.0)
    return np.where(factor != 1.0, _min(pct * factor, r.leverage_cap), pct)


def standalone_columns(
    r: RegTRules,
    basis: str,
    as_of: dt.date,
    is_option: BoolArray,
    is_call: BoolArray,
    is_long: BoolArray,
    classes: tuple[IntArray, tuple[object, ...]],
    columns: Mapping[str, FloatArray],
    on_index: BoolArray | None = None,
) -> StandaloneColumns:
    """Each row's figures alone, bit for bit those of the scalar rules (the same floating-point
    operations in the same order): a first call computes them for a whole book in one pass.

    ``classes`` is the asset-class column as codes and their values; ``columns`` holds ``price``,
    ``multiplier``, ``leverage``, ``underlying_price``, ``strike`` and ``expiry`` (days, as ordinals),
    and may hold ``special_maintenance`` (NaN where none). ``on_index``: whether each row's underlying
    is an index, not a fund (:func:`~xlmargin.regt._house.on_index`), needed under a house table of
    index options only.
    A row's figures are meaningful for what it is (stock, long option, short option); the others
    may be NaN. Rows a scalar rule would refuse (a short option of a class without a naked rule)
    come out NaN: the caller has refused them already.
    """
    price, mult, lev = columns["price"], columns["multiplier"], columns["leverage"]
    S, K = columns["underlying_price"], columns["strike"]
    codes, names = classes
    special = columns.get("special_maintenance")
    if special is not None and np.isnan(special).all():
        special = None  # none given: the rules' own rates, without a pass over the rows
    with np.errstate(all="ignore"):  # NaN in the rows a figure does not apply to, as in the scalars
        value = price * mult
        # stock: stock_figures
        long_rate = _levered(r, r.long_initial if basis == "initial" else r.long_maintenance, lev)
        long_stock = long_rate * price
        high = price >= r.low_price_threshold
        rate = np.where(
            high, _levered(r, r.short_maintenance, lev), _levered(r, r.short_low_maintenance, lev)
        )
        floor = np.where(high, r.short_maintenance_per_share, r.short_low_maintenance_per_share)
        short_stock = _max(rate * price, floor)
        if special is not None:  # a house's special maintenance: at least it, long or short
            long_stock = _max(long_rate, special) * price
            short_stock = _max(short_stock, special * price)
        if basis != "maintenance":
            short_stock = _max(_levered(r, r.short_initial, lev) * price, short_stock)
        # long option: long_option_rate × value
        horizon = add_months(as_of, r.long_dated_months).toordinal()
        dated = np.array([name in r.long_dated_classes for name in names], dtype=bool)[codes]
        long_dated = r.long_dated_initial if basis == "initial" else r.long_dated_maintenance
        long_cost = np.where((columns["expiry"] > horizon) & dated, long_dated, r.paid_in_full) * value
        # short option: naked_per_share × multiplier
        rates = [r.naked.get(name) if isinstance(name, str) else None for name in names]
        table = np.array(
            [
                (x.pct, x.call_floor_pct, x.put_floor_pct, x.put_floor_on_underlying)
                if x is not None
                else (np.nan, np.nan, np.nan, 0.0)
                for x in rates
            ],
            dtype=float,
        ).reshape(-1, 4)[codes]
        pct_rate = _levered(r, table[:, 0], lev)
        if special is not None:  # the (special ÷ 2) leg
            pct_rate = _max(pct_rate, special * r.special_naked_fraction)
        call_floor, put_floor = _levered(r, table[:, 1], lev), _levered(r, table[:, 2], lev)
        floor_rate = np.where(is_call, call_floor, put_floor)
        floor_base = np.where(is_call | (table[:, 3] != 0.0), S, K)
        out_of_money = np.where(is_call, _max(K - S, 0.0), _max(S - K, 0.0))
        main = price + pct_rate * S - out_of_money
        finra = _max(main, price + floor_rate * floor_base)
        naked = finra * mult
        spread = naked
        if r.house_options is not None:
            house = _house_columns(
                r, r.house_options, (names, codes), is_call, table[:, 3] != 0.0, columns, on_index
            )
            naked = _max(finra, house) * mult
            spread = naked if r.house_options.spreads else spread
    short_option = is_option & ~is_long
    return StandaloneColumns(
        margin=np.where(is_option, np.where(is_long, 0.0, naked), np.where(is_long, long_stock, short_stock)),
        spread_naked=np.where(short_option, spread, 0.0),
        long_cost=np.where(is_option & is_long, long_cost, 0.0),
        short_proceeds=np.where(short_option, value, 0.0),
        value=value,
    )


def _house_columns(
    r: RegTRules,
    house: HouseOptions,
    classes: tuple[tuple[object, ...], IntArray],
    is_call: BoolArray,
    put_on_underlying: BoolArray,
    columns: Mapping[str, FloatArray],
    on_index: BoolArray | None,
) -> FloatArray:
    """:func:`house_naked` per share over many rows (−inf where no entry covers a row), in its
    operations and order."""
    price, lev, S, K = columns["price"], columns["leverage"], columns["underlying_price"], columns["strike"]
    names, codes = classes
    index = np.ones(len(price), dtype=bool) if on_index is None else on_index
    figure = np.full(len(price), -np.inf)
    out_of_money = np.where(is_call, _max(K - S, 0.0), _max(S - K, 0.0))
    for entry in house.entries:
        covered = np.array([name in entry.classes for name in names], dtype=bool)[codes]
        covered &= np.where(is_call, "C" in entry.rights, "P" in entry.rights)
        if entry.index_only:
            covered &= index
        if entry.rates is not None:
            main_pct, call_floor, put_floor = entry.rates
            floor_rate = np.where(is_call, _levered(r, call_floor, lev), _levered(r, put_floor, lev))
            base = np.where(is_call | put_on_underlying, S, K)
            main = price + _levered(r, main_pct, lev) * S - out_of_money
            figure = np.where(covered, _max(_max(figure, main), price + floor_rate * base), figure)
        if entry.min_per_share > 0.0:
            figure = np.where(covered, _max(figure, entry.min_per_share), figure)
    return figure
