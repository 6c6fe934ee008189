"""P&L of a book under factor moves: linear and duration returns, bond and option repricing."""

from __future__ import annotations

import numpy as np

from xlmargin import instruments
from xlmargin._typing import FloatArray, IntArray
from xlmargin.pricing import option_price
from xlmargin.stress.book import Book, Options
from xlmargin.stress.factors import factor_index, stress_rules

_MIN_GROWTH = 1e-6  # an option's underlying never falls below this fraction of its price (log-safe)


def _apply(loadings: FloatArray, moves: FloatArray) -> FloatArray:
    """``loadings @ moves`` for loadings with few non-zero entries per row, without BLAS threads.

    Each row loads on one to four factors, so a sum over the factors in use is both faster and
    steadier than a threaded matrix product when the machine is busy.
    """
    out = np.zeros((loadings.shape[0], moves.shape[1]))
    for f in np.flatnonzero(np.any(loadings != 0.0, axis=0)):
        rows = np.flatnonzero(loadings[:, f])
        out[rows] += loadings[rows, f, None] * moves[f]
    return out


def _returns(
    beta: FloatArray, weights: FloatArray, duration: FloatArray, convexity: FloatArray, moves: FloatArray
) -> FloatArray:
    """Price returns (rows × scenarios): linear loadings plus −D·Δy + ½·C·Δy², never below −100 %."""
    dy = _apply(weights, moves)
    r = _apply(beta, moves) - duration[:, None] * dy + 0.5 * convexity[:, None] * dy * dy
    return np.maximum(r, -1.0)


def position_pnl(book: Book, moves: FloatArray, rate: float) -> FloatArray:
    """USD P&L (positions × scenarios) for decimal factor moves (F × scenarios)."""
    pnl = np.zeros((len(book.rows), moves.shape[1]))
    lin = book.linear_idx
    returns = _returns(book.beta[lin], book.weights[lin], book.duration[lin], book.convexity[lin], moves)
    pnl[lin] = book.value[lin, None] * returns
    if book.bond_idx.size:
        b = book.bonds
        dy = _apply(book.weights[book.bond_idx], moves)
        moved = instruments.bond_dirty_price(b.coupon[:, None], b.yield_[:, None] + dy, b.maturity[:, None])
        pnl[book.bond_idx] = b.face_usd[:, None] * (moved - b.dirty[:, None])
    if book.option_idx.size:
        pnl[book.option_idx] = _option_pnl(book.options, moves, rate)
    if book.own_idx.size:
        pnl[book.own_idx] *= 1.0 + moves[book.own_factor]
    pnl += _apply(book.legs, moves)
    return pnl


def _option_pnl(o: Options, moves: FloatArray, rate: float) -> FloatArray:
    """Option P&L (options × scenarios): every moved spot repriced by the pricing kernel.

    Options are grouped by the factors that drive their underlying (and the VIX, where it shifts
    their volatility); each group is priced for the distinct moves of those factors only, an option
    whose inputs do not move keeping its price. Options whose price has no early-exercise premium
    (European ones, American calls without dividends, as the kernel decides) are priced in one call
    at the moved spot and shifted volatility. Options with a premium are priced with the contract
    parameters on a length-1 axis, so the kernel computes one exercise boundary per contract, at
    the unshifted volatility; the VIX layer then adds the European price change from σ to σ + Δσ at
    the moved spot (the error is at most the early-exercise premium). Column 0 of every call is
    today's model price, the reference of the P&L.
    """
    m, s = len(o.S), moves.shape[1]
    vix = factor_index()["vix"]
    put_rate = np.where(o.call, np.where(o.on_future, rate, o.q), rate)
    boundary = o.american & (put_rate > 0.0) & (o.T > 0.0)
    shifted = o.vol_term != 0.0
    drivers = (o.beta != 0.0) | (o.weights != 0.0)
    drivers[:, vix] = shifted & ~boundary  # options priced at σ + Δσ in the main call also follow the VIX
    code = drivers.astype(np.int64) @ (1 << np.arange(drivers.shape[1], dtype=np.int64))
    base = np.empty(m)
    price = np.empty((m, s))
    for c in np.unique(code):
        rows = np.flatnonzero(code == c)
        pattern = drivers[rows[0]]
        cols = np.flatnonzero(np.any(moves[pattern] != 0.0, axis=0))
        _, first, inverse = np.unique(moves[pattern][:, cols], axis=1, return_index=True, return_inverse=True)
        picked = moves[:, cols[first]]
        spots = o.S[rows, None] * np.concatenate([np.ones((rows.size, 1)), _growth(o, rows, picked)], axis=1)
        sigma = o.sigma[rows, None]
        if pattern[vix]:
            sigma = np.concatenate([sigma, _shifted_vol(o, rows, picked[vix])], axis=1)
        values = option_price(
            spots,
            o.K[rows, None],
            o.T[rows, None],
            rate,
            o.q[rows, None],
            sigma,
            o.call[rows, None],
            o.american[rows, None],
            o.on_future[rows, None],
        )
        base[rows] = values[:, 0]
        price[rows] = values[:, :1]
        price[np.ix_(rows, cols)] = values[:, 1:][:, inverse.ravel()]
    rows = np.flatnonzero(shifted & boundary)
    cols = np.flatnonzero(moves[vix] != 0.0)
    if rows.size and cols.size:
        spots = o.S[rows, None] * _growth(o, rows, moves[:, cols])
        args = (o.K[rows, None], o.T[rows, None], rate, o.q[rows, None])
        call, future = o.call[rows, None], o.on_future[rows, None]
        up = option_price(spots, *args, _shifted_vol(o, rows, moves[vix, cols]), call, False, future)
        price[np.ix_(rows, cols)] += up - option_price(spots, *args, o.sigma[rows, None], call, False, future)
    return o.units[:, None] * (price - base[:, None])


def _shifted_vol(o: Options, rows: IntArray, vix_moves: FloatArray) -> FloatArray:
    """σ + Δσ for some options and VIX moves (decimal points), floored (``[vol_shift]``)."""
    floor = float(stress_rules().get("vol_shift.floor"))
    return np.maximum(o.sigma[rows, None] + o.vol_term[rows, None] * vix_moves, floor)


def _growth(o: Options, rows: IntArray, moves: FloatArray) -> FloatArray:
    """Moved-spot ratios S'/S of some options' underlyings (kept above zero for the kernel)."""
    r = _returns(o.beta[rows], o.weights[rows], o.duration[rows], o.convexity[rows], moves)
    return np.maximum(1.0 + r, _MIN_GROWTH)
