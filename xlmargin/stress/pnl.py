"""P&L of a book under factor moves: linear and duration returns, bond and option repricing."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from xlmargin import instruments
from xlmargin._typing import BoolArray, FloatArray, IntArray
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
    legged = np.flatnonzero(np.any(book.legs != 0.0, axis=1))
    pnl[legged] += _apply(book.legs[legged], moves)
    return pnl


def _option_pnl(o: Options, moves: FloatArray, rate: float) -> FloatArray:
    """Option P&L (options × scenarios): each distinct contract priced once per distinct move.

    Rows holding the same contract (terms, volatility, underlying loadings) are priced once.
    Contracts are grouped by their underlying's loadings (a profile, whose spot ratio S'/S is
    computed once per scenario) and by whether their volatility follows the VIX; a group is priced
    for its distinct (spot ratio, VIX move) pairs among the scenarios that move one of its factors,
    in one kernel call whose column 0 is today's model price, the reference of the P&L; a contract
    whose inputs do not move keeps its price. Contracts whose price has no early-exercise premium
    (European ones, American calls without dividends, as the kernel decides) are priced at the
    moved spot and shifted volatility. Contracts with a premium get the contract parameters on a
    length-1 axis, so the kernel computes one exercise boundary per contract, at the unshifted
    volatility; the VIX layer then adds the European price change from σ to σ + Δσ at the moved
    spot (the error is at most the early-exercise premium).
    """
    s = moves.shape[1]
    vix_moves = moves[factor_index()["vix"]]
    c = _contracts(o)
    k = _take(o, c.rows)
    growth = _growth(o, c.profile_rows, moves)  # profiles × scenarios
    drivers = (o.beta[c.profile_rows] != 0.0) | (o.weights[c.profile_rows] != 0.0)
    moving = (drivers.astype(np.int64) @ (moves != 0.0).astype(np.int64)) > 0
    put_rate = np.where(k.call, np.where(k.on_future, rate, k.q), rate)
    boundary = k.american & (put_rate > 0.0) & (k.T > 0.0)
    follows = (k.vol_term != 0.0) & ~boundary  # priced at σ + Δσ
    layered = (k.vol_term != 0.0) & boundary  # priced at σ, plus the European change from σ to σ + Δσ

    def price(members: IntArray, spots: FloatArray, sigma: FloatArray, american: bool = True) -> FloatArray:
        """The kernel's prices of some contracts at ``spots`` and ``sigma`` (both members × points)."""
        K, T, q, call, future = (k.K[members, None], k.T[members, None], k.q[members, None],
                                 k.call[members, None], k.on_future[members, None])  # fmt: skip
        return option_price(spots, K, T, rate, q, sigma, call, k.american[members, None] & american, future)

    change = np.empty((len(k.S), s))  # per unit of each contract, in every scenario
    # European and American contracts apart: a call without American contracts skips the kernel's
    # early-exercise step altogether
    keys = zip(c.profile[~boundary].tolist(), follows[~boundary].tolist(), k.american[~boundary].tolist())
    for p, v, a in sorted(set(keys)):
        members = np.flatnonzero(~boundary & (c.profile == p) & (follows == v) & (k.american == a))
        at, g, dv = _distinct_moves(growth[p], vix_moves, moving[p] | (v & (vix_moves != 0.0)), v)
        sigma = k.sigma[members, None]
        if v:
            sigma = np.concatenate([sigma, _shifted_vol(k, members, dv)], axis=1)
        values = price(members, k.S[members, None] * np.concatenate([[1.0], g]), sigma)
        moved = values[:, at]
        moved -= values[:, :1]
        change[members] = moved
    for p in np.unique(c.profile[boundary]).tolist():
        members = np.flatnonzero(boundary & (c.profile == p))
        at, g, _ = _distinct_moves(growth[p], vix_moves, moving[p], False)
        values = price(members, k.S[members, None] * np.concatenate([[1.0], g]), k.sigma[members, None])
        moved = values[:, at]
        shifted = np.flatnonzero(layered[members])
        if shifted.size:
            up = members[shifted]
            at, g, dv = _distinct_moves(growth[p], vix_moves, vix_moves != 0.0, True)
            spots = np.concatenate([k.S[up, None] * g] * 2, axis=1)
            sigma = np.concatenate(
                [_shifted_vol(k, up, dv), np.broadcast_to(k.sigma[up, None], (up.size, g.size))], axis=1
            )
            both = price(up, spots, sigma, american=False)
            layer = np.zeros((up.size, 1 + g.size))
            layer[:, 1:] = both[:, : g.size] - both[:, g.size :]
            moved[shifted] += layer[:, at]
        moved -= values[:, :1]
        change[members] = moved
    pnl = change[c.of_row]
    pnl *= o.units[:, None]
    return pnl


@dataclass(frozen=True)
class _Contracts:
    rows: IntArray  # an option row of each distinct contract
    of_row: IntArray  # each option row's contract
    profile: IntArray  # each contract's profile: its underlying's loadings
    profile_rows: IntArray  # an option row of each profile


def _distinct_rows(keys: FloatArray) -> tuple[IntArray, IntArray]:
    """A row index of each distinct row of ``keys`` (rows × columns) and every row's index into them.

    Rows are sorted by a weighted sum of their columns, equal for equal rows, and a group is a run
    of sorted rows equal in every column: rows with equal sums but other values (or a NaN) only
    split a group, never merge different rows.
    """
    weights = 1.0 + np.arange(keys.shape[1]) / np.pi
    order = np.argsort((keys * weights).sum(axis=1), kind="stable")
    ranked = keys[order]
    new = np.ones(len(order), dtype=np.bool_)
    new[1:] = np.any(ranked[1:] != ranked[:-1], axis=1)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _contracts(o: Options) -> _Contracts:
    """The distinct contracts among the options, and the distinct loadings of their underlyings."""
    exposure = np.concatenate([o.beta, o.weights, o.duration[:, None], o.convexity[:, None]], axis=1)
    used = np.any(exposure != 0.0, axis=0)
    used[-1] = True  # at least one key column
    profile_rows, profile = _distinct_rows(exposure[:, used])
    terms = (profile, o.S, o.K, o.T, o.q, o.sigma, o.call, o.american, o.on_future, o.vol_term)
    rows, of_row = _distinct_rows(np.column_stack(terms))
    return _Contracts(rows, of_row, profile[rows], profile_rows)


def _take(o: Options, rows: IntArray) -> Options:
    return Options(**{f.name: getattr(o, f.name)[rows] for f in fields(o)})


def _distinct_moves(
    growth: FloatArray, vix_moves: FloatArray, moving: BoolArray, follows_vix: bool
) -> tuple[IntArray, FloatArray, FloatArray]:
    """A group's distinct (spot ratio, VIX move) pairs among the scenarios that move it.

    Returns ``(at, ratios, vix moves)``: ``at`` gives each scenario's column in a kernel call whose
    column 0 is today (for a scenario that does not move the group) and column ``1 + i`` pair ``i``.
    """
    cols = np.flatnonzero(moving)
    keys = np.column_stack([growth[cols], vix_moves[cols] if follows_vix else np.zeros(cols.size)])
    first, inverse = _distinct_rows(keys)
    at = np.zeros(growth.size, dtype=np.int64)
    at[cols] = 1 + inverse
    return at, growth[cols[first]], vix_moves[cols[first]]


def _shifted_vol(o: Options, rows: IntArray, vix_moves: FloatArray) -> FloatArray:
    """σ + Δσ for some options and VIX moves (decimal points), floored (``[vol_shift]``)."""
    floor = float(stress_rules().get("vol_shift.floor"))
    return np.maximum(o.sigma[rows, None] + o.vol_term[rows, None] * vix_moves, floor)


def _growth(o: Options, rows: IntArray, moves: FloatArray) -> FloatArray:
    """Moved-spot ratios S'/S of some options' underlyings (kept above zero for the kernel)."""
    r = _returns(o.beta[rows], o.weights[rows], o.duration[rows], o.convexity[rows], moves)
    return np.maximum(1.0 + r, _MIN_GROWTH)
