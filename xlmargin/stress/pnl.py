"""P&L of a book under factor moves: linear and duration returns, bond and option repricing."""

from __future__ import annotations

import functools
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from xlmargin import instruments
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.pricing import option_prices, solve_exercise_boundaries
from xlmargin.pricing.contracts import LastCall
from xlmargin.stress.book import Book, Options
from xlmargin.stress.factors import factor_index, stress_rules
from xlmargin.stress.order import stable_order
from xlmargin.stress.threads import Started, run_in_order, start

_MIN_GROWTH = 1e-6  # an option's underlying never falls below this fraction of its price (log-safe)
# Prices (contracts × columns) per job: the option book is priced in jobs of about this size, shared
# by two threads; a premium price costs about eight European ones (its quadrature). Larger jobs
# balance the threads less well, smaller ones cost more than they balance: every array operation
# hands the interpreter lock between the threads. On the benchmark book, jobs of 2^11 premium and
# 2^14 European prices took 37 ms of CPU, these sizes 24-27 ms, one thread 19 ms.
_EUROPEAN_POINTS = 2**17
_PREMIUM_POINTS = 2**14
_PREMIUM_COST = _EUROPEAN_POINTS // _PREMIUM_POINTS  # European prices a premium price costs
# A block's job: (its cost in European prices, its first contract, the job, each contract's column
# of each scenario).
_Job = tuple[int, int, Callable[[], FloatArray], IntArray]


def _apply(loadings: FloatArray, moves: FloatArray) -> FloatArray:
    """``loadings @ moves`` for loadings with few non-zero entries per row, without BLAS threads.

    Each row loads on one to four factors, so a sum over the factors in use is both faster and
    steadier than a threaded matrix product when the machine is busy.
    """
    out = np.zeros((loadings.shape[0], moves.shape[1]))
    for f in np.flatnonzero(_nonzero_columns(loadings)):
        column = loadings[:, f]
        rows = np.flatnonzero(column)
        if 2 * rows.size > column.size:  # most rows (a book in euros): a pass over all beats a
            out += column[:, None] * moves[f]  # gather and a scatter, and adding 0 changes nothing
        else:
            out[rows] += column[rows, None] * moves[f]
    return out


def _nonzero_columns(matrix: FloatArray) -> BoolArray:
    """``np.any(matrix != 0.0, axis=0)``, each column reduced along a row of the transposed copy:
    numpy reduces a C-ordered matrix's axis 0 a row at a time, and on the few columns of a book's
    loadings (5,000 × 15) that takes three to four times as long as one pass per column."""
    return np.logical_or.reduce(np.ascontiguousarray((matrix != 0.0).T), axis=1)


def _returns(
    beta: FloatArray, weights: FloatArray, duration: FloatArray, convexity: FloatArray, moves: FloatArray
) -> FloatArray:
    """Price returns (rows × scenarios): linear loadings plus −D·Δy + ½·C·Δy², never below −100 %."""
    r = _apply(beta, moves)
    if weights.any():  # (a book of stocks moves no yield: no passes for a Δy of 0)
        dy = _apply(weights, moves)
        r -= duration[:, None] * dy
        r += 0.5 * convexity[:, None] * dy * dy
    return np.maximum(r, -1.0, out=r)


def position_pnl(book: Book, moves: FloatArray, rate: float) -> FloatArray:
    """USD P&L (positions × scenarios) for decimal factor moves (F × scenarios)."""
    memo = _memo(book.options, moves, rate) if book.option_idx.size else None
    # Options to price: their exercise boundaries are solved first, on the helper thread where there
    # is one, while this thread prices the linear rows and finds the distinct contracts; the solve's
    # array operations leave it the interpreter lock (0.8 ms off a first STRESS_TABLE of the
    # benchmark book against a start beside the first jobs).
    boundaries = None
    if memo is not None and memo.kept is None:
        boundaries = start(functools.partial(_solve_boundaries, book.options, rate))
    lin = book.linear_idx
    # Linear, bond and option rows are disjoint: where they are every row, each is written below
    # (no pass of zeros over the table); else the other rows (held constant) stay 0.
    every_row = lin.size + book.bond_idx.size + book.option_idx.size == len(book.rows)
    pnl = (np.empty if every_row else np.zeros)((len(book.rows), moves.shape[1]))
    returns = _returns(book.beta[lin], book.weights[lin], book.duration[lin], book.convexity[lin], moves)
    if lin.size == len(book.rows):  # every row linear (a book of stocks): no scatter
        np.multiply(book.value[:, None], returns, out=pnl)
    else:
        pnl[lin] = book.value[lin, None] * returns
    if book.bond_idx.size:
        b = book.bonds
        dy = _apply(book.weights[book.bond_idx], moves)
        moved = instruments.bond_dirty_price(b.coupon[:, None], b.yield_[:, None] + dy, b.maturity[:, None])
        pnl[book.bond_idx] = b.face_usd[:, None] * (moved - b.dirty[:, None])
    if memo is not None:
        _option_pnl(book.options, moves, rate, pnl, book.option_idx, memo, boundaries)
    if book.own_idx.size == len(book.rows):  # every row in a foreign currency: no gather, no scatter
        pnl *= 1.0 + moves[book.own_factor]
    elif book.own_idx.size:
        pnl[book.own_idx] *= 1.0 + moves[book.own_factor]
    if book.legs.any():  # (a book in dollars has no currency leg: one pass, not a reduction per row)
        legged = np.flatnonzero(np.any(book.legs != 0.0, axis=1))
        pnl[legged] += _apply(book.legs[legged], moves)
    return pnl


def _solve_boundaries(o: Options, rate: float) -> None:
    """The exercise boundaries the options' repricing will look up (see :func:`solve_exercise_boundaries`)."""
    solve_exercise_boundaries(o.T, rate, o.q, o.sigma, o.call, o.american, o.on_future)


@dataclass(frozen=True)
class _Memo:
    """The last book of a scenario set and book size, and what it keeps for these options."""

    last: LastCall
    key: bytes  # the scenario set and book size
    inputs: tuple[np.ndarray, ...]  # every input of the options' price changes, compared exactly
    floor: float  # the shifted volatilities' floor ([vol_shift])
    kept: tuple[np.ndarray, ...] | None  # the price changes, if the last book had these inputs


def _memo(o: Options, moves: FloatArray, rate: float) -> _Memo:
    """The last book's price changes, kept with the exact inputs they came from (each option's terms
    and its underlying's loadings, the moves, the rate, the volatility floor), one last book per
    scenario set and book size (a sheet's STRESS_TABLE, STRESS_PNL and sleeve cells keep their
    own): a recalculation after an edit that changes no option's inputs (a quantity, a stock line)
    prices nothing again, and finds nothing again (no distinct contracts), and only multiplies."""
    floor = float(stress_rules().get("vol_shift.floor"))
    given = np.array([rate, floor, len(o.S)])
    terms = (o.S, o.K, o.T, o.q, o.sigma, o.call, o.american, o.on_future, o.vol_term)
    inputs = (*terms, o.beta, o.weights, o.duration, o.convexity, moves, given)
    key = moves.tobytes() + given.tobytes()
    last = _last_book(key)
    return _Memo(last, key, inputs, floor, last.get(inputs))


def _option_pnl(
    o: Options,
    moves: FloatArray,
    rate: float,
    pnl: FloatArray,
    rows: IntArray,
    memo: _Memo,
    boundaries: Started[None] | None,
) -> None:
    """Write the options' P&L into ``pnl[rows]`` (``rows`` the book rows of the options, in order):
    the last book's price changes (``memo``) times the units, or each distinct contract priced once
    per distinct move (:func:`_price_changes`, ``boundaries`` the solve of their exercise
    boundaries, begun by the caller), each block's P&L written as soon as it is priced, on the
    thread that priced it."""
    if memo.kept is None:
        assert boundaries is not None  # begun wherever the options are priced
        kept = _price_changes(o, _contracts(o), moves, rate, memo.floor, pnl, rows, boundaries)
        memo.last.put(memo.inputs, kept)
        _keep_within_budget(memo.key, sum(a.nbytes for a in (*memo.inputs, *kept)))
        return
    by_contract, starts, of_row, firsts = memo.kept[:4]
    write = _block_writer(pnl, rows, o.units, by_contract, starts, of_row)
    n = len(firsts)
    for first, change, at in zip(firsts.tolist(), memo.kept[4 : 4 + n], memo.kept[4 + n :], strict=True):
        write(first, change, at)


def _block_writer(
    pnl: FloatArray,
    rows: IntArray,
    units: FloatArray,
    by_contract: IntArray,
    starts: IntArray,
    of_row: IntArray,
) -> Callable[[int, FloatArray, IntArray], None]:
    """A function that writes one block's P&L into ``pnl[rows]`` (see :func:`_price_changes` for the
    arguments); blocks own disjoint rows, so two threads may write theirs at once."""

    def write(first: int, change: FloatArray, at: IntArray) -> None:
        # the rows of contracts first, first + 1...: per unit, contract i's change[i, at[i]] (all
        # columns if ``at`` is empty) × units
        own: IntArray = by_contract[starts[first] : starts[first + len(change)]]
        per_scenario = _per_scenario(change, at) if at.size else change
        out = per_scenario.take(of_row[own] - first, axis=0)
        out *= units[own, None]
        pnl[rows[own]] = out

    return write


# One last book per scenario set and book size, least recently used first, with the bytes it keeps
# (price changes and the inputs they came from: 2.9 MB for the 5,000-position benchmark book).
_LAST_BOOKS: OrderedDict[bytes, tuple[LastCall, int]] = OrderedDict()
_MAX_KEPT_BYTES = 64 * 2**20
_LOCK = threading.Lock()


def _last_book(key: bytes) -> LastCall:
    """The last-book memo of one scenario set and book size."""
    with _LOCK:
        last, size = _LAST_BOOKS.pop(key, (None, 0))
        if last is None:
            last = LastCall()
        _LAST_BOOKS[key] = (last, size)
        return last


def _keep_within_budget(key: bytes, size: int) -> None:
    """Record what the last book of ``key`` keeps; drop the least recently used others over budget."""
    with _LOCK:
        if key in _LAST_BOOKS:
            _LAST_BOOKS[key] = (_LAST_BOOKS[key][0], size)
        total = sum(kept for _, kept in _LAST_BOOKS.values())
        for old in [k for k in _LAST_BOOKS if k != key]:
            if total <= _MAX_KEPT_BYTES:
                break
            total -= _LAST_BOOKS.pop(old)[1]


def _price_changes(
    o: Options,
    c: _Contracts,
    moves: FloatArray,
    rate: float,
    floor: float,
    pnl: FloatArray,
    rows: IntArray,
    boundaries: Started[None],
) -> tuple[np.ndarray, ...]:
    """Every contract's price change per unit in every scenario, in blocks of contracts.

    Each contract is priced at the distinct (spot ratio, VIX move) pairs of its underlying's
    loadings (its profile, whose spot ratio S'/S is computed once per scenario) among the scenarios
    that move one of its factors, and at column 0, today's model price, the reference of the P&L;
    a contract whose inputs do not move keeps its price. Contracts are grouped by whether they have
    an early-exercise premium, whether their volatility follows the VIX, American or not and how
    many pairs their profile has, not by profile: a block of a group is one kernel call
    (``option_prices``: each contract's terms once, with a row of spot ratios of its own), so a book
    with a beta per underlying costs as many calls as one whose underlyings share a beta (on the
    5,000-position benchmark book with 300 betas, 367 calls became 7). Contracts whose price has no
    early-exercise premium (European ones, American calls without dividends, as the kernel decides)
    are priced at the moved spot and shifted volatility. Contracts with a premium get the contract
    parameters on a length-1 axis, so the kernel computes one exercise boundary per contract, at
    the unshifted volatility; the VIX layer then adds the European price change from σ to σ + Δσ at
    the moved spot (the error is at most the early-exercise premium), its price at σ taken from the
    European prices the premium started from. The blocks are priced on two threads
    (:func:`run_in_order`), a premium block once ``boundaries`` (every exercise boundary solved and
    kept) is done, and each block's P&L written into ``pnl[rows]`` (``rows`` the book rows of the
    options) once priced.

    Returns ``(by_contract, starts, of_row, firsts, *changes, *ats)``: contracts renumbered in group
    order, ``of_row`` each option row's contract, ``by_contract`` the option rows in contract order
    and ``starts`` where each contract's rows begin in it; then per block its first contract, its
    changes (contracts × columns) and each contract's column of each scenario (contracts ×
    scenarios; empty: one column each).
    """
    vix_moves = moves[factor_index()["vix"]]
    growth = _growth(o, c.profile_rows, moves)  # profiles × scenarios
    drivers = (o.beta[c.profile_rows] != 0.0) | (o.weights[c.profile_rows] != 0.0)
    moving = (drivers.astype(np.int64) @ (moves != 0.0).astype(np.int64)) > 0
    vix_moving = np.broadcast_to(vix_moves != 0.0, moving.shape)
    call, american, on_future, q, T, vol_term = (
        getattr(o, name)[c.rows] for name in ("call", "american", "on_future", "q", "T", "vol_term")
    )
    put_rate = np.where(call, np.where(on_future, rate, q), rate)
    boundary = american & (put_rate > 0.0) & (T > 0.0)
    follows = (vol_term != 0.0) & ~boundary  # priced at σ + Δσ
    # Each profile's distinct moves: at the spot alone (premium contracts, and those whose volatility
    # does not follow the VIX), with the VIX (the others), and the VIX layer of premium contracts.
    plain = _distinct_moves(growth, vix_moves, moving, False)
    shifting = _distinct_moves(growth, vix_moves, moving | vix_moving, True) if follows.any() else plain
    layer = _distinct_moves(growth, vix_moves, vix_moving, True) if boundary.any() else plain
    width = np.where(follows, shifting.width[c.profile], plain.width[c.profile])
    # Contracts in group order (premium or not, VIX or not, American or not, number of distinct
    # moves, profile): a group, and each block of it, is a run of contracts, and their option rows a
    # run of ``by_contract``. A group's contracts all have as many distinct moves, so a block is one
    # kernel call whatever the profiles in it: contract i priced at its own profile's spot ratios.
    order = np.lexsort((c.profile, width, american, follows, boundary))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    of_row = rank[c.of_row]
    by_contract = stable_order(of_row)
    starts = np.zeros(order.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(of_row, minlength=order.size), out=starts[1:])
    S, K, T, q, sigma, call, american, on_future, vol_term = (
        getattr(o, name)[c.rows[order]]
        for name in ("S", "K", "T", "q", "sigma", "call", "american", "on_future", "vol_term")
    )
    profile, boundary, follows, width = c.profile[order], boundary[order], follows[order], width[order]

    def prices(
        at: slice | IntArray, g: FloatArray, vol: FloatArray, early: bool = True
    ) -> tuple[FloatArray, FloatArray]:
        """The kernel's (European, final) prices of some contracts at spot ratios ``g`` (a row per
        contract) and volatilities ``vol``."""
        one = (at, None)
        return option_prices(S[one], K[one], T[one], rate, q[one], vol, call[one],
                             american[one] & early, on_future[one], g)  # fmt: skip

    def price(at: slice | IntArray, g: FloatArray, vol: FloatArray, early: bool = True) -> FloatArray:
        """The kernel's prices of some contracts at spot ratios ``g`` and volatilities ``vol``."""
        return prices(at, g, vol, early)[1]

    def shifted(at: slice | IntArray, dv: FloatArray, out: FloatArray | None = None) -> FloatArray:
        """σ + Δσ for some contracts and VIX moves (decimal points, a row per contract), floored
        (``[vol_shift]``); in place in ``out`` (made here if not given), without temporaries."""
        term = vol_term[at, None]
        if out is None:
            out = np.empty(np.broadcast_shapes(term.shape, dv.shape))
        np.multiply(term, dv, out=out)
        out += sigma[at, None]
        return np.maximum(out, floor, out=out)

    def european_changes(block: slice, moves_: _Moves, columns: int, v: bool) -> FloatArray:
        """A block's price changes at the moved spot and, where it follows the VIX, σ + Δσ."""
        own = _profiles_of(profile[block])
        ratios = moves_.ratio[own, :columns]
        vol = sigma[block, None]
        if v:  # σ + Δσ per move (one contiguous pass each), then today's σ, unfloored, in column 0
            vol = shifted(block, moves_.vix[own, :columns])
            vol[:, 0] = sigma[block]
        values = price(block, ratios, vol)
        values -= values[:, :1].copy()
        return values

    def premium_changes(block: slice, columns: int) -> FloatArray:
        """A block's price changes with the early-exercise premium at σ, plus the VIX layer."""
        boundaries.result()  # every boundary solved and kept: the kernel looks them up
        own = _profiles_of(profile[block])
        european, values = prices(block, plain.ratio[own, :columns], sigma[block, None])
        moved = _per_scenario(values, plain.at[own])
        moved -= values[:, :1]
        up = np.flatnonzero(vol_term[block] != 0.0)
        lp = _profiles_of(profile[block][up]) if up.size else up
        pairs = int(layer.width[lp].max()) if up.size else 0
        if pairs:  # the VIX layer: the European change from σ to σ + Δσ at the moved spot
            pick = slice(1, 1 + pairs)
            g_vix, dv = layer.ratio[lp, pick], layer.vix[lp, pick]
            rows = block.start + up
            change = np.zeros((up.size, 1 + pairs))
            columns_at = _sigma_columns(plain, layer, lp, pairs)
            if columns_at is None:  # (not expected: see _sigma_columns)
                vol = np.concatenate([shifted(rows, dv), np.repeat(sigma[rows, None], pairs, 1)], 1)
                g_both = np.broadcast_to(np.concatenate([g_vix, g_vix], 1), (up.size, 2 * pairs))
                both = price(rows, g_both, vol, early=False)
                change[:, 1:] = both[:, :pairs] - both[:, pairs:]
            else:  # at σ, the European prices already computed for the premium
                change[:, 1:] = price(rows, g_vix, shifted(rows, dv), early=False)
                change[:, 1:] -= _per_scenario(european[up], columns_at)
            moved[up] += _per_scenario(change, layer.at[lp])
        return moved

    # Jobs as (cost, first contract, job, each contract's column of each scenario): each a run of
    # contracts of one group, sized so that the two threads share the work evenly; a contract's
    # price does not depend on the contracts priced beside it. A job's cost is its prices, a
    # premium price counted as the European ones it costs (the ratio of the job sizes).
    european: list[_Job] = []
    premium: list[_Job] = []
    keys = np.column_stack([boundary, follows, american, width])
    edges = [0, *(np.flatnonzero(np.any(keys[1:] != keys[:-1], axis=1)) + 1).tolist(), order.size]
    every = np.zeros(0, dtype=np.int64)
    for first, last in itertools.pairwise(edges):
        columns = 1 + int(width[first])
        if not boundary[first]:
            v = bool(follows[first])
            moves_ = shifting if v else plain
            for b in _pieces(first, last, columns, _EUROPEAN_POINTS):
                job = functools.partial(european_changes, b, moves_, columns, v)
                cost = (b.stop - b.start) * columns
                european.append((cost, b.start, job, moves_.at[_profiles_of(profile[b])]))
        else:
            premium += [
                ((b.stop - b.start) * columns * _PREMIUM_COST, b.start,
                 functools.partial(premium_changes, b, columns), every)
                for b in _pieces(first, last, columns, _PREMIUM_POINTS)
            ]  # fmt: skip

    write = _block_writer(pnl, rows, o.units, by_contract, starts, of_row)
    chosen = _in_turn(european, premium)
    changes = run_in_order([_written(write, *job[1:]) for job in chosen])
    firsts = [first for _, first, _, _ in chosen]
    ats = [at for _, _, _, at in chosen]
    return (by_contract, starts, of_row, np.array(firsts, dtype=np.int64), *changes, *ats)


def _in_turn(european: list[_Job], premium: list[_Job]) -> list[_Job]:
    """The jobs (each led by its cost) in the order the threads take them: the costliest first, so
    that each thread's last jobs are small ones and the two end together (on the benchmark book,
    the European jobs first and the premium ones after left one thread pricing the last premium
    job, 3 ms, alone for 1 to 2 ms). The costliest European job leads: a premium job awaits the
    exercise boundaries, which the helper thread solves before it takes a job, so the calling
    thread starts on a job that needs none."""
    rest = sorted(european, key=lambda job: -job[0])
    lead = rest[:1]
    return lead + sorted(rest[1:] + premium, key=lambda job: -job[0])


def _profiles_of(profiles: IntArray) -> IntArray:
    """The rows of a move table for contracts of ``profiles`` (sorted): one row, broadcast to
    them all, where they share a profile (a book without its own betas), else a row each."""
    return profiles[:1] if profiles[0] == profiles[-1] else profiles


def _per_scenario(values: FloatArray, at: IntArray) -> FloatArray:
    """``values[i, at[i]]`` for each row ``i`` of ``values``; ``at`` of one row (:func:`_profiles_of`)
    serves them all, gathered as whole columns."""
    return values.take(at[0], axis=1) if len(at) == 1 else np.take_along_axis(values, at, axis=1)


def _sigma_columns(plain: _Moves, layer: _Moves, profiles: IntArray, pairs: int) -> IntArray | None:
    """For contracts of ``profiles`` (a row each), the column of ``plain`` (their premium prices'
    spot ratios) holding the spot ratio of each of their VIX pairs in ``layer`` (columns
    ``1..pairs``), or None if one is missing.

    A pair's ratio is that of a scenario standing for it, and ``plain`` maps that scenario to the
    column of its ratio, or to today's (ratio 1) when it moves none of the profile's factors, where
    the ratio is exactly 1 too. So none is missing; the comparison keeps that an exact fact.
    """
    scenario = layer.scenario[profiles, 1 : 1 + pairs]
    found = np.take_along_axis(plain.at[profiles], scenario, axis=1)
    wanted = layer.ratio[profiles, 1 : 1 + pairs]
    if not np.array_equal(np.take_along_axis(plain.ratio[profiles], found, axis=1), wanted):
        return None
    return found


def _pieces(first: int, last: int, columns: int, points: int) -> list[slice]:
    """Contracts ``first..last - 1`` cut into equal runs of at most about ``points`` contracts ×
    columns each (equal, so that the last jobs of the two threads end together)."""
    count = -(-(last - first) * columns // points)  # runs needed, rounded up
    size = -(-(last - first) // count)
    return [slice(a, min(a + size, last)) for a in range(first, last, size)]


def _written(
    write: Callable[[int, FloatArray, IntArray], None],
    first: int,
    job: Callable[[], FloatArray],
    at: IntArray,
) -> Callable[[], FloatArray]:
    """``job`` (a block's price changes), its P&L written once it is priced."""

    def priced() -> FloatArray:
        change = job()
        write(first, change, at)
        return change

    return priced


@dataclass(frozen=True)
class _Contracts:
    rows: IntArray  # an option row of each distinct contract
    of_row: IntArray  # each option row's contract
    profile: IntArray  # each contract's profile: its underlying's loadings
    profile_rows: IntArray  # an option row of each profile


def _distinct_rows(keys: FloatArray, few: bool = False) -> tuple[IntArray, IntArray]:
    """A row index of each distinct row of ``keys`` (rows × columns) and every row's index into them.
    ``few``: the rows take few distinct values (an option book's profiles), whose long runs numpy's
    merge sort finds at once; else they are sorted as :func:`~xlmargin.stress.order.stable_order`
    sorts (the same order, half the time on an option book's contracts).

    Rows are sorted by a weighted sum of their columns, equal for equal rows, and a group is a run
    of sorted rows equal byte for byte: rows with equal sums but other values (or a 0 and a -0)
    only split a group, never merge different rows (two rows of the same NaN bits are one row:
    priced once, to the same NaN).
    """
    weights = 1.0 + np.arange(keys.shape[1]) / np.pi
    sums = np.einsum("ij,j->i", keys, weights)
    order = np.argsort(sums, kind="stable") if few else stable_order(sums)
    # The sorted rows as columns of their bits (a column per key, each a contiguous row of the
    # copy), neighbours compared key by key and a difference in any key found by folding the
    # columns together: half the time of comparing whole rows as one void value each, which was
    # a third of the time of ``np.any(... != ..., axis=1)`` on an option book's few columns.
    ranked = np.ascontiguousarray(keys.take(order, axis=0).T).view(np.uint64)
    new = np.ones(len(order), dtype=np.bool_)
    np.logical_or.reduce(ranked[:, 1:] != ranked[:, :-1], axis=0, out=new[1:])
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _contracts(o: Options) -> _Contracts:
    """The distinct contracts among the options, and the distinct loadings of their underlyings."""
    loads = [m[:, _nonzero_columns(m)] for m in (o.beta, o.weights)]
    profile_rows, profile = _distinct_rows(np.column_stack([*loads, o.duration, o.convexity]), few=True)
    columns = (profile, o.S, o.K, o.T, o.q, o.sigma, o.call, o.american, o.on_future, o.vol_term)
    terms = np.column_stack(columns).astype(np.float64, copy=False)
    rows, of_row = _distinct_rows(terms)
    return _Contracts(rows, of_row, profile[rows], profile_rows)


@dataclass(frozen=True)
class _Moves:
    """Each profile's distinct (spot ratio, VIX move) pairs among the scenarios that move it, a row
    per profile: column 0 is today (ratio 1, no VIX move), columns ``1..width[p]`` profile ``p``'s
    pairs, and the columns after those repeat today (never looked up)."""

    at: IntArray  # profiles × scenarios: each scenario's column (0 for one that moves nothing)
    ratio: FloatArray  # profiles × columns: the spot ratio S'/S of each column
    vix: FloatArray  # profiles × columns: the VIX move of each column (0 without the VIX)
    scenario: IntArray  # profiles × columns: a scenario standing for each pair (0 elsewhere)
    width: IntArray  # profiles: pairs of each


def _distinct_moves(
    growth: FloatArray, vix_moves: FloatArray, moving: BoolArray, follows_vix: bool
) -> _Moves:
    """Every profile's distinct (spot ratio, VIX move) pairs among the scenarios that move it
    (``moving``, profiles × scenarios), the VIX move counted only if ``follows_vix``: all profiles
    at once, sorted within each row, so that a book with a beta per underlying costs a few array
    operations, not a few per underlying."""
    profiles, scenarios = growth.shape
    row = np.repeat(np.arange(profiles), scenarios)
    g = growth.ravel()
    v = np.broadcast_to(vix_moves, growth.shape).ravel() if follows_vix else np.zeros(g.size)
    m = np.ascontiguousarray(moving).ravel()
    order = np.lexsort((v, g, m, row))  # by profile, the scenarios that move it last, then by pair
    row, g, v, m = row[order], g[order], v[order], m[order]
    new = m.copy()  # a moving scenario whose pair differs from the one before it in its row
    new[1:] &= (row[1:] != row[:-1]) | (g[1:] != g[:-1]) | (v[1:] != v[:-1]) | ~m[:-1]
    width = np.bincount(row[new], minlength=profiles)
    before = np.cumsum(width) - width  # pairs of the rows above
    column = np.where(m, np.cumsum(new) - before[row], 0)
    at = np.empty(g.size, dtype=np.int64)
    at[order] = column
    most = int(width.max()) if profiles else 0
    ratio, vix = np.ones((profiles, 1 + most)), np.zeros((profiles, 1 + most))
    scenario = np.zeros((profiles, 1 + most), dtype=np.int64)
    first = np.flatnonzero(new)
    ratio[row[first], column[first]] = g[first]
    vix[row[first], column[first]] = v[first]
    scenario[row[first], column[first]] = order[first] % max(scenarios, 1)
    return _Moves(at.reshape(profiles, scenarios), ratio, vix, scenario, width)


def _growth(o: Options, rows: IntArray, moves: FloatArray) -> FloatArray:
    """Moved-spot ratios S'/S of some options' underlyings (kept above zero for the kernel)."""
    r = _returns(o.beta[rows], o.weights[rows], o.duration[rows], o.convexity[rows], moves)
    return np.maximum(1.0 + r, _MIN_GROWTH)
