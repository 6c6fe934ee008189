"""Early-exercise premiums by finite differences: the contracts the integral equation does not cover.

See :mod:`xlmargin.pricing` for the symbols. A put with strike 1 (a call is the put ``P(K, S, q, r)``,
McDonald & Schroder 1998) is solved on a uniform grid in ``y = ln(S / K)`` backwards from expiry:

    V_tau = sigma^2 / 2 V_yy + (r - q - sigma^2 / 2) V_y - r V,   V >= max(1 - e^y, 0),

with central differences in ``y``, Crank-Nicolson steps in time (implicit Euler for the first few,
Rannacher 1984, to damp the payoff's kink), time steps crowded towards expiry (``tau_k = T (k /
N)^2``), and the early-exercise constraint by the operator splitting of Ikonen & Toivanen (2004,
"Operator splitting methods for American option pricing", Applied Mathematics Letters 17,
809-814): each step is one linear tridiagonal solve followed by a projection with a Lagrange
multiplier. The European put is solved on the same grid beside it and the premium is the
difference of the two (a control variate: their discretisation errors largely cancel), to be added
to the exact European value. All the contracts of a call are stacked into one block-diagonal
tridiagonal system, solved by one LAPACK call (``gtsv``) per time step.

This covers every sign of ``r`` and ``q``: the single boundary of ``r > 0``; ``r = 0 > q``, where
a negative dividend yield alone makes holding costly; and the double boundary of ``q < r < 0``
(Battauz, De Donno & Sbuelz 2015, "Real options and American derivatives: the double continuation
region", Management Science 61, 1094-1107), whose exercise region is a band that no boundary
integral of one curve describes.

Outside the grid (more than :data:`_GRID_STD_DEVS` total standard deviations, plus the drift,
from the strike and from ``r / q``) the premium is taken as zero: far above, the put is worth
nothing; far below, a put with ``r > 0`` is in its exercise region and one with ``r <= 0`` is
either there or (below a double boundary's lower edge) too far to reach it.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.pricing.european import NEGLIGIBLE, bsm

# Resolution, checked against QuantLib 1.44 (tests/test_pricing_regimes.py): the premium's error is
# below 0.002 per 100 of strike on the reviewed grids.
_GRID_STD_DEVS: Final = 8.0  # reach of the grid from the strike, in sigma sqrt(T) (plus the drift)
_GRID_DRIFT_LENGTHS: Final = 30.0  # or in sigma^2 / rate where that is shorter (see _grid)
_STEPS_PER_STD_DEV: Final = 80  # grid steps per sigma sqrt(T)
_STEPS_PER_DRIFT_LENGTH: Final = 40  # grid steps per sigma^2 / rate
_MIN_GRID_POINTS: Final = 257
_GRID_POINTS_ROUNDING: Final = 256
_MAX_GRID_POINTS: Final = 4001
_TIME_STEPS: Final = 400
_IMPLICIT_STEPS: Final = 4  # Rannacher's fully implicit start


def premiums(
    T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray, x: FloatArray, contract: IntArray
) -> FloatArray:
    """Early-exercise premium (American minus European) of puts with strike 1 at spots ``x``.

    ``T, r, q, sigma`` hold one entry per contract (``sigma sqrt(T)`` positive); ``contract``
    gives each spot's entry. Zero outside each contract's grid; ``-inf`` in its exercise region
    (next to a grid point where the American value is the payoff), where the value is intrinsic.
    Contracts are solved together where their grids have the same number of points, so a
    contract's premium does not depend on the others priced beside it; a contract none of whose
    spots lies on its grid is not solved.
    """
    out = np.zeros(x.shape)
    low, step, points = _grid(T, r, q, sigma)
    position = (np.log(x) - low[contract]) / step[contract]
    inside = (position >= 0.0) & (position <= points[contract] - 1)
    # A contract none of whose spots is on its grid is not solved: its premium there is zero (a
    # contract at the implied-volatility search's floor, whose grid is a sliver around the strike).
    solved = np.zeros(len(T), dtype=bool)
    solved[contract[inside]] = True
    for size in np.unique(points[solved]):
        group = np.flatnonzero(solved & (points == size))
        premium, exercised = _cached_solve(tuple(a[group] for a in (T, r, q, sigma, low, step)), int(size))
        where = np.flatnonzero(inside & np.isin(contract, group))
        row = np.searchsorted(group, contract[where])
        at_position = position[where]
        below = np.clip(np.floor(at_position), 0, size - 2).astype(np.intp)
        weight = np.clip(at_position - below, 0.0, 1.0)
        at = premium[row, below]
        interpolated = at + weight * (premium[row, below + 1] - at)
        in_region = exercised[row, below] | exercised[row, below + 1]
        out[where] = np.where(in_region, -np.inf, interpolated)
    return out


def _grid(
    T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    """(first grid point, grid step, number of points) of each contract's grid in ``ln(S / K)``.

    Two lengths set the step: the total standard deviation ``sigma sqrt(T)`` and, where the rates
    dominate the volatility, ``sigma^2 / rate`` (the distance over which drift and diffusion
    balance: about twice the gap between the strike and the perpetual boundary). The grid reaches
    :data:`_GRID_STD_DEVS` standard deviations plus the drift from the strike, or, where the drift
    length is shorter, :data:`_GRID_DRIFT_LENGTHS` of it beyond the strike and the boundary's
    start ``min(1, r / q)``.
    """
    std_dev = sigma * np.sqrt(T)
    drift = r - q - 0.5 * sigma * sigma
    rate = np.maximum(np.maximum(np.abs(drift), np.abs(r)), np.abs(r - q))
    drift_length = sigma * sigma / np.maximum(rate, NEGLIGIBLE)
    step = np.minimum(std_dev / _STEPS_PER_STD_DEV, drift_length / _STEPS_PER_DRIFT_LENGTH)
    reach = _GRID_STD_DEVS * std_dev + np.abs(drift) * T
    high = np.minimum(reach, _GRID_DRIFT_LENGTHS * drift_length)
    with np.errstate(divide="ignore"):
        # The exercise region of r > 0 starts below min(1, r / q) (its boundary at expiry); that of
        # a double boundary (q < r < 0) lies between r / q and 1.
        start = np.log(np.where(q > r, r / np.where(q > r, q, 1.0), 1.0))
    low = np.where(r > 0.0, -np.minimum(reach, _GRID_DRIFT_LENGTHS * drift_length - start), -reach)
    low = np.where((q < r) & (r < 0.0), np.minimum(low, start - reach), low)
    points = np.ceil((high - low) / step).astype(np.int64) + 1
    # A multiple of _GRID_POINTS_ROUNDING plus one (odd: the strike is a point), so that contracts
    # of similar grids share one solve.
    points = -(-points // _GRID_POINTS_ROUNDING) * _GRID_POINTS_ROUNDING + 1
    points = np.clip(points, _MIN_GRID_POINTS, _MAX_GRID_POINTS)
    return low, (high - low) / (points - 1), points


_SOLVED: Final[dict[tuple[float, float, float, float], tuple[FloatArray, BoolArray]]] = {}
_SOLVED_MAX: Final = 4096  # contracts kept (a grid of 1,000 points: 16 KB each)


def _cached_solve(terms: tuple[FloatArray, ...], points: int) -> tuple[FloatArray, BoolArray]:
    """:func:`_solve`, each contract's rows kept by ``(T, r, q, sigma)`` (its grid follows from them)
    and solved again only when not kept: a recalculation or an implied-volatility step at the same
    volatility does not repeat the grid. ``terms``: :func:`_solve`'s arrays, ``T`` to ``step``."""
    T, r, q, sigma, low, step = terms
    keys = list(zip(T.tolist(), r.tolist(), q.tolist(), sigma.tolist(), strict=True))
    found = {key: _SOLVED[key] for key in keys if key in _SOLVED}
    # each missing contract once, however many times it appears (its spots priced apart)
    missing = list({key: i for i, key in enumerate(keys) if key not in found}.values())
    if missing:
        rows = np.array(missing)
        premium, exercised = _solve(T[rows], r[rows], q[rows], sigma[rows], low[rows], step[rows], points)
        solved = {keys[row]: (premium[i], exercised[i]) for i, row in enumerate(missing)}
        found |= solved
        if len(_SOLVED) + len(solved) > _SOLVED_MAX:
            _SOLVED.clear()
        _SOLVED.update(solved)
    rows_kept = [found[key] for key in keys]
    return np.array([p for p, _ in rows_kept]), np.array([e for _, e in rows_kept])


def clear_cache() -> None:
    """Forget every solved grid."""
    _SOLVED.clear()


def _solve(
    T: FloatArray,
    r: FloatArray,
    q: FloatArray,
    sigma: FloatArray,
    low: FloatArray,
    step: FloatArray,
    points: int,
) -> tuple[FloatArray, BoolArray]:
    """Premium at the grid points, ``[contract, point]``, of grids of ``points`` points, and where
    the American value is the payoff (the exercise region).

    The American and European values sit in one array ``[system, contract, point]`` (system 0 the
    American, 1 the European), whose transpose of the flattened contracts is the right-hand side
    LAPACK solves in place: each time step is a few passes over it and no copies."""
    from scipy.linalg.lapack import dgtsv

    n = len(T)
    size = n * points
    c2 = (slice(None), None)
    drift = r - q - 0.5 * sigma * sigma
    spot = np.exp(low[c2] + step[c2] * np.arange(points))
    payoff = np.maximum(1.0 - spot, 0.0)
    edge_spots = spot[:, [0, -1]]
    edge_payoff = payoff[:, [0, -1]]

    # The operator A on interior points: A V_j = a V_{j-1} + b V_j + c V_{j+1}, per contract.
    diffusion = 0.5 * sigma * sigma / (step * step)
    advection = 0.5 * drift / step
    a, b, c = diffusion - advection, -2.0 * diffusion - r, diffusion + advection
    values = np.empty((2, n, points))
    values[:] = payoff
    rhs = np.empty((2, n, points))
    system = rhs.reshape(2, size).T  # [row, system]: Fortran order, solved in place
    multiplier = np.zeros((n, points))
    trial = np.empty((n, points))
    lower = np.zeros((n, points))
    diagonal = np.ones((n, points))
    upper = np.zeros((n, points))
    times = T[c2] * (np.arange(_TIME_STEPS + 1) / _TIME_STEPS) ** 2
    steps = np.diff(times, axis=1)  # [contract, step]
    # The edges' values at every step: [contract, step, edge]
    c3 = (slice(None), None, None)
    edge_europeans = bsm(edge_spots[:, None, :], 1.0, times[:, 1:, None], r[c3], q[c3], sigma[c3], False)
    edge_americans = np.maximum(edge_europeans, edge_payoff[:, None, :])
    inner = slice(1, -1)
    edges = [0, -1]
    for k in range(_TIME_STEPS):
        dt = steps[:, k]
        crank_nicolson = k >= _IMPLICIT_STEPS
        # Crank-Nicolson, (I - dt/2 A) V' = (I + dt/2 A) V, solved as (I - dt/2 A) W = 2 V and
        # V' = W - V (no product by A); Rannacher's implicit steps (I - dt A) V' = V. The American
        # system's right-hand side also carries dt lambda (zero on the edges).
        if crank_nicolson:
            np.multiply(values, 2.0, out=rhs)
        else:
            rhs[:] = values
        rhs[0] += np.multiply(multiplier, dt[c2], out=trial)
        rhs[0][:, edges] = edge_americans[:, k]
        rhs[1][:, edges] = edge_europeans[:, k]
        if crank_nicolson:
            rhs[:, :, edges] += values[:, :, edges]
        theta = 0.5 if crank_nicolson else 1.0
        implicit = theta * dt
        lower[:, inner] = (-implicit * a)[c2]
        diagonal[:, inner] = (1.0 - implicit * b)[c2]
        upper[:, inner] = (-implicit * c)[c2]
        dgtsv(
            lower.ravel()[1:],
            diagonal.ravel(),
            upper.ravel()[:-1],
            system,
            overwrite_dl=1,
            overwrite_d=1,
            overwrite_du=1,
            overwrite_b=1,
        )
        # LAPACK overwrote the diagonals: the edges' rows (the identity's) again
        lower[:, edges] = 0.0
        diagonal[:, edges] = 1.0
        upper[:, edges] = 0.0
        if crank_nicolson:
            rhs -= values
        # Ikonen-Toivanen: V = max(V~ - dt lambda, payoff), lambda += (V - V~) / dt
        np.subtract(rhs[0], trial, out=trial)  # V~ - dt lambda (trial held dt lambda)
        values, rhs = rhs, values
        system = rhs.reshape(2, size).T
        np.maximum(trial, payoff, out=values[0])
        np.subtract(values[0], trial, out=multiplier)
        multiplier /= dt[c2]
        multiplier[:, edges] = 0.0
    american, european = values
    # In the exercise region the value is the payoff itself, not the European value plus a premium
    # that carries the grid's error of the European value.
    return american - european, american <= payoff
