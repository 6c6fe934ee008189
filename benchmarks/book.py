"""A deterministic benchmark book, shaped as Excel hands a range to Python.

``book()`` returns a list of lists: a header row, then one row per position, numbers as floats,
expiries as ``datetime`` (what xlwings delivers for a date cell), blanks as ``None``. The default
book holds 5,000 positions over 300 underlyings: 4,700 options and 300 stock/ETF lines.

- 290 single stocks (American options) with prices $10–$500, base volatilities 18%–70% and a
  downward skew; a third pay a dividend yield.
- Index baskets sharing one portfolio-margin class group: SPX with SPY and XSP, NDX with QQQ,
  RUT with IWM, DJX with DIA (index options European, ETF options American), plus TLT and GLD.
- Strikes around spot at ±1.5 standard deviations for the expiry, rounded to listed increments;
  expiries from 7 days to 2 years (weeklies, monthlies, quarterlies, LEAPS).
- Option prices come from the pricing kernel at the row's volatility (American where American),
  so the book without a volatility column implies the same volatilities back.

The same ``seed`` gives the same book on every machine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from xlmargin.pricing import option_price

AS_OF = dt.date(2026, 11, 20)
HEADER = [
    "symbol",
    "type",
    "quantity",
    "price",
    "underlying",
    "underlying price",
    "strike",
    "expiry",
    "right",
    "multiplier",
    "volatility",
    "dividend yield",
]

# (symbol, price, base volatility, dividend yield, holdable, share of the index options)
_INDEX_UNDERLYINGS = (
    ("SPX", 5900.0, 0.16, 0.013, False, 0.22),
    ("XSP", 590.0, 0.16, 0.013, False, 0.02),
    ("SPY", 590.0, 0.16, 0.013, True, 0.08),
    ("NDX", 21000.0, 0.20, 0.006, False, 0.06),
    ("QQQ", 510.0, 0.20, 0.006, True, 0.04),
    ("RUT", 2300.0, 0.22, 0.012, False, 0.04),
    ("IWM", 228.0, 0.22, 0.012, True, 0.03),
    ("DJX", 440.0, 0.15, 0.016, False, 0.01),
    ("DIA", 440.0, 0.15, 0.016, True, 0.01),
    ("TLT", 90.0, 0.15, 0.04, True, 0.015),
    ("GLD", 250.0, 0.17, 0.0, True, 0.015),
)
_EXPIRY_DAYS = (7, 14, 21, 28, 35, 56, 91, 119, 182, 273, 364, 546, 728)


def _increment(strike: float) -> float:
    if strike < 25:
        return 0.5
    if strike < 200:
        return 1.0
    if strike < 1000:
        return 5.0
    return 25.0


def book(
    n_positions: int = 5000,
    n_underlyings: int = 300,
    n_stock_lines: int = 300,
    *,
    volatility: bool = True,
    seed: int = 20261120,
) -> list[list[Any]]:
    """The benchmark positions table (header first); ``volatility=False`` drops that column."""
    rng = np.random.default_rng(seed)
    n_stocks = n_underlyings - len(_INDEX_UNDERLYINGS)
    names = [f"S{i:03d}" for i in range(n_stocks)]
    spot = dict(zip(names, np.round(np.exp(rng.uniform(np.log(10), np.log(500), n_stocks)), 2), strict=True))
    base_vol = dict(zip(names, rng.uniform(0.18, 0.70, n_stocks), strict=True))
    div = dict(
        zip(
            names,
            np.where(rng.random(n_stocks) < 1 / 3, rng.uniform(0.005, 0.04, n_stocks), 0.0),
            strict=True,
        )
    )
    holdable = list(names)
    for sym, level, level_vol, level_q, can_hold, _ in _INDEX_UNDERLYINGS:
        spot[sym], base_vol[sym], div[sym] = level, level_vol, level_q
        if can_hold:
            holdable.append(sym)

    n_options = n_positions - n_stock_lines
    index_share = np.array([u[5] for u in _INDEX_UNDERLYINGS])
    n_index = np.floor(index_share * n_options).astype(int)
    n_single = n_options - int(n_index.sum())
    underlying = list(np.repeat([u[0] for u in _INDEX_UNDERLYINGS], n_index))
    underlying += [names[i] for i in rng.integers(0, n_stocks, n_single)]
    under = np.array(underlying, dtype=object)
    S = np.array([spot[u] for u in under])
    sigma0 = np.array([base_vol[u] for u in under])
    q = np.array([div[u] for u in under])
    days = rng.choice(_EXPIRY_DAYS, n_options)
    T = days / 365.0
    z = rng.uniform(-1.5, 1.5, n_options)
    raw = S * np.exp(z * sigma0 * np.sqrt(T))
    inc = np.array([_increment(k) for k in raw])
    K = np.maximum(inc, np.round(raw / inc) * inc)
    vol = np.clip(sigma0 - 0.12 * np.log(K / S), 0.05, 2.0)
    call = rng.random(n_options) < 0.5
    european = np.isin(under, ["SPX", "XSP", "NDX", "RUT", "DJX"])
    price = option_price(S, K, T, 0.0, q, vol, call, ~european)
    qty = rng.integers(1, 21, n_options) * np.where(rng.random(n_options) < 0.55, -1, 1)

    rows: list[list[Any]] = [list(HEADER) if volatility else [h for h in HEADER if h != "volatility"]]
    for i in range(n_options):
        expiry = dt.datetime.combine(AS_OF + dt.timedelta(days=int(days[i])), dt.time())
        row = [
            str(under[i]),
            "option",
            float(qty[i]),
            float(price[i]),
            str(under[i]),
            float(S[i]),
            float(K[i]),
            expiry,
            "C" if call[i] else "P",
            100.0,
            float(vol[i]),
            float(q[i]) or None,
        ]
        rows.append(row if volatility else row[:10] + row[11:])

    single = set(names)
    lines = [holdable[i % len(holdable)] for i in range(n_stock_lines)]
    for sym in lines:
        kind = "stock" if sym in single else "etf"
        qty_line = float(rng.integers(1, 50) * 100 * (-1 if rng.random() < 0.15 else 1))
        row = [sym, kind, qty_line, float(spot[sym]), None, None, None, None, None, None, None, None]
        rows.append(row if volatility else row[:10] + row[11:])
    body = rows[1:]
    return [rows[0], *(body[i] for i in rng.permutation(len(body)))]


__all__ = ["AS_OF", "HEADER", "book"]
