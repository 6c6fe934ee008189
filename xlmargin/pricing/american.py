"""American prices: the exercise boundary and early-exercise premium (Andersen, Lake & Offengelden 2016).

See :mod:`xlmargin.pricing` for the symbols and the methods. Each contract's boundary and premium
integrand are kept in a bounded cache keyed by the inputs they depend on (``T, r, q, sigma`` on
the put side), so a contract seen again (a recalculation, the next implied-volatility step at
the same volatility, a batch) is not solved again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.pricing.contracts import ContractCache
from xlmargin.pricing.european import (
    INV_SQRT_2PI,
    NEGLIGIBLE,
    as_bool_array,
    as_float_array,
    bsm,
    bsm_moved,
    flat,
    ndtr,
    norm_pdf,
    select,
    total_std_dev,
)
from xlmargin.pricing.finite_difference import premiums

# Resolution of the American method, named as in Andersen, Lake & Offengelden (2016):
# the cheapest setting found that keeps the error well inside 0.1% of a 2,000-step binomial tree
# on the test grid (see tests/test_pricing.py; the worst cases have low sigma and high r).
_BOUNDARY_NODES: Final = 4  # n: Chebyshev nodes of the exercise boundary
_BOUNDARY_QUADRATURE: Final = 6  # l: Gauss-Legendre points per fixed-point integral
_BOUNDARY_ITERATIONS: Final = 2  # m: fixed-point (FP-B) iterations
_QD_PLUS_NEWTON_STEPS: Final = 3  # Newton steps on Li's QD+ equation for the starting boundary
_PREMIUM_QUADRATURE: Final = 8  # p: Gauss-Legendre points of the premium integral
# Elements (contract × spot × point) of one chunk of a premium table: 128 KB per array, a few of
# which fit a core's 512 KB-1 MB second-level cache.
_CHUNK_POINTS: Final = 2**14
# The integral equation's fixed point (FP-B) stops converging once the put-side drift outweighs the
# volatility: beyond max(r, r - q) sqrt(T) / sigma = 1 (an ATM put at r = 4.5%, sigma = 1%, 1 year
# is 4.5) its boundary reached the strike and the price fell with T (review R6 against QuantLib
# 1.44; more nodes and iterations diverge the same way). Those contracts go to the finite-difference
# grid of :mod:`xlmargin.pricing.finite_difference`.
_INTEGRAL_DRIFT_LIMIT: Final = 0.75
_SOLVE_BATCH: Final = 1024  # contracts per batch of solve_exercise_boundaries: its arrays ~200 KB each


def _chebyshev_interpolation_matrix(z: FloatArray) -> FloatArray:
    """Matrix ``M`` with ``f(z) ~ f_nodes @ M`` for values at the Chebyshev-Lobatto nodes.

    Nodes ``cos(i pi / n)``, ``i = 0..n``; ``z`` holds the evaluation points in ``[-1, 1]``.
    """
    n = _BOUNDARY_NODES
    i = np.arange(n + 1)
    halve_ends = np.where((i == 0) | (i == n), 0.5, 1.0)
    # Chebyshev coefficients a_k = sum_i f_i to_coefficients[i, k]
    to_coefficients = (2.0 / n) * np.cos(np.outer(i, i) * np.pi / n)
    to_coefficients *= halve_ends[:, None] * halve_ends[None, :]
    chebyshev_at_z = np.cos(np.outer(i, np.arccos(z)))  # T_k(z), [k, point]
    return to_coefficients @ chebyshev_at_z


@dataclass(frozen=True)
class _Quadrature:
    """Contract-independent nodes, quadrature rules and interpolation matrices, times ``T``.

    The boundary is interpolated in ``z = 2 sqrt(tau / T) - 1`` at ``z_i = cos(i pi / n)``:
    node ``i`` sits at time to expiry ``tau_i = T node_tau_i``, node 0 at ``T`` and node ``n``
    at 0, where the boundary is known and so not iterated.
    """

    node_tau: FloatArray  # [node], nodes 0..n-1
    fp_elapsed: FloatArray  # (tau_i - u_j) / T, [node, point]
    fp_u: FloatArray  # u_j / T, [node, point]
    fp_singular_weight: FloatArray  # int_0^tau g / sqrt(tau - u) du ~ sqrt(tau) sum_j w_j g(u_j)
    fp_regular_weight: FloatArray  # int_0^tau g du ~ tau sum_j w_j g(u_j)
    fp_interpolation: FloatArray  # [n + 1, node * point]
    premium_elapsed: FloatArray  # (T - u_j) / T, [point]
    premium_weight: FloatArray  # int_0^T g du ~ T sum_j w_j g(u_j)
    premium_interpolation: FloatArray  # [n + 1, point]

    @classmethod
    def build(cls) -> _Quadrature:
        n = _BOUNDARY_NODES
        node_tau = ((1.0 + np.cos(np.arange(n) * np.pi / n)) / 2.0) ** 2
        # Fixed-point integrals: tau_i - u = tau_i t^2, t = (1 + y) / 2 on Gauss-Legendre y,
        # which removes the 1/sqrt(tau_i - u) singularity of the integrands.
        y, w = np.polynomial.legendre.leggauss(_BOUNDARY_QUADRATURE)
        t = (1.0 + y) / 2.0
        fp_elapsed = node_tau[:, None] * t**2
        fp_u = node_tau[:, None] - fp_elapsed
        # Premium integral: u = T sin^2(theta), theta = pi (1 + y) / 4, dense at both ends where
        # the integrand behaves like sqrt(u) and sqrt(T - u).
        y_p, w_p = np.polynomial.legendre.leggauss(_PREMIUM_QUADRATURE)
        theta = np.pi * (1.0 + y_p) / 4.0
        return cls(
            node_tau=node_tau,
            fp_elapsed=fp_elapsed,
            fp_u=fp_u,
            fp_singular_weight=w,
            fp_regular_weight=w * t,
            fp_interpolation=_chebyshev_interpolation_matrix(2.0 * np.sqrt(fp_u.ravel()) - 1.0),
            premium_elapsed=np.cos(theta) ** 2,
            premium_weight=w_p * np.sin(2.0 * theta) * np.pi / 4.0,
            premium_interpolation=_chebyshev_interpolation_matrix(2.0 * np.sin(theta) - 1.0),
        )


_QUADRATURE: Final = _Quadrature.build()

_T = TypeVar("_T", bound=np.generic)


def _qd_plus_boundary(
    tau: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray, X: FloatArray
) -> FloatArray:
    """Exercise boundary of a put with strike 1 at time to expiry ``tau`` by Li's (2010) QD+.

    Solves ``(1 - e^{-q tau} N(-d1(B))) B + (lambda + c0) (1 - B - p(B)) = 0`` with ``p`` the
    European put, ``alpha = 2 r / sigma^2``, ``beta = 2 (r - q) / sigma^2``,
    ``h = 1 - e^{-r tau}``, ``lambda = (1 - beta - sqrt((beta - 1)^2 + 4 alpha / h)) / 2`` and

        c0 = -(1 - h) alpha / (2 lambda + beta - 1)
             * (1 / h - e^{r tau} Theta(B) / (r (1 - B - p(B))) + lambda' / (2 lambda + beta - 1)),

    ``Theta`` the European put's time decay and ``lambda' = d lambda / dh`` (Li 2010; Andersen et
    al. 2016 use it as their starting boundary). Newton steps in ``ln B`` start from the seed of
    Barone-Adesi & Whaley (1987, J. Finance 42, 301-320) and keep ``B`` in ``(0, X]``. Needs
    ``r > 0``.
    """
    variance = sigma * sigma
    alpha = 2.0 * r / variance
    beta = 2.0 * (r - q) / variance
    h = -np.expm1(-r * tau)
    root = np.sqrt((beta - 1.0) ** 2 + 4.0 * alpha / h)  # -(2 lambda + beta - 1)
    lam = 0.5 * (1.0 - beta - root)
    lam_dh = alpha / (h * h * root)
    k = -(1.0 - h) * alpha / root
    mu = -lam_dh / root
    sqrt_tau = np.sqrt(tau)
    std_dev = sigma * sqrt_tau
    df_r = np.exp(-r * tau)
    df_q = np.exp(-q * tau)

    # Seed: B = b_inf + (X - b_inf) e^{h}, h <= 0, between the perpetual boundary and X.
    lam_perpetual = 0.5 * (1.0 - beta - np.sqrt((beta - 1.0) ** 2 + 4.0 * alpha))
    b_perpetual = lam_perpetual / (lam_perpetual - 1.0)
    gap = X - b_perpetual
    has_gap = gap > 0.0
    h_seed = ((r - q) * tau - 2.0 * std_dev) * X / np.where(has_gap, gap, 1.0)
    B = np.where(has_gap, X + gap * np.expm1(np.minimum(h_seed, 0.0)), X)

    # Per-contract parts of the Newton steps, computed once (each the same product or quotient, in
    # the same order, as written in the formulas: the same bits).
    drift = (r - q) * tau
    half_std_dev = 0.5 * std_dev
    df_r_r = df_r * r  # in Theta
    r_df_r = r * df_r  # Theta's divisor
    half_sigma = 0.5 * sigma
    half_sigma_over_root = half_sigma / sqrt_tau
    carry_over_std_dev = (r - q) / std_dev
    for _ in range(_QD_PLUS_NEWTON_STEPS):
        d1 = (np.log(B) + drift) / std_dev + half_std_dev
        n_d1 = norm_pdf(d1)
        N_minus_d1 = ndtr(-d1)
        N_minus_d2 = ndtr(std_dev - d1)
        B_df_q = B * df_q
        df_q_N1 = df_q * N_minus_d1
        q_N1 = q * N_minus_d1
        premium = 1.0 - B - (df_r * N_minus_d2 - B_df_q * N_minus_d1)
        theta = df_r_r * N_minus_d2 - B_df_q * (q_N1 + half_sigma * n_d1 / sqrt_tau)
        # f(B) and df/dB, with (lambda + c0) premium expanded so that nothing divides by premium
        f = (1.0 - df_q_N1) * B + lam * premium - k * (premium / h - theta / r_df_r + mu * premium)
        premium_dB = df_q_N1 - 1.0
        theta_dB = df_q * (n_d1 * (0.5 * d1 / tau - carry_over_std_dev - half_sigma_over_root) - q_N1)
        f_dB = (
            1.0
            - df_q_N1
            + df_q * n_d1 / std_dev
            + lam * premium_dB
            - k * (premium_dB / h - theta_dB / r_df_r + mu * premium_dB)
        )
        # Newton step on ln B, at most a factor e down and never above X
        step = np.divide(-f, B * f_dB, out=np.zeros_like(B), where=f_dB > 0.0)
        B = np.minimum(B * np.exp(np.clip(step, -1.0, np.log(X / B))), X)
    return B


def _interpolated_log_boundary(log_b_over_x: FloatArray, interpolation: FloatArray) -> FloatArray:
    """``ln(B(u) / X)`` at the points of ``interpolation`` from ``ln(B / X)`` at nodes 0..n-1.

    Interpolates ``H = ln(B / X)^2``, smooth in ``sqrt(tau)`` (Andersen et al. 2016); ``H = 0`` at
    node ``n``.
    """
    H = np.zeros((log_b_over_x.shape[0], _BOUNDARY_NODES + 1))
    H[:, :-1] = log_b_over_x**2
    return -np.sqrt(np.maximum(H @ interpolation, 0.0))


def _exercise_boundary(
    T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray, X: FloatArray
) -> FloatArray:
    """Exercise boundary of a put with strike 1 at the nodes, ``[contract, node]``.

    Starts from QD+ and applies the fixed-point map "FP-B" of Andersen et al. (2016):

        B(tau) = exp(-(r - q) tau) N(tau, B) / D(tau, B),
        N = n(d2(tau, B)) / (sigma sqrt(tau))
            + r int_0^tau e^{r u} n(d2(tau - u, B(tau) / B(u))) / (sigma sqrt(tau - u)) du,
        D = n(d1(tau, B)) / (sigma sqrt(tau)) + N(d1(tau, B))
            + q int_0^tau e^{q u} [N(d1) + n(d1) / (sigma sqrt(tau - u))] du,

    the integrands' ``d1, d2`` taken at ``(tau - u, B(tau) / B(u))``.
    """
    quad = _QUADRATURE
    c2 = (slice(None), None)
    c3 = (slice(None), None, None)
    tau = T[c2] * quad.node_tau  # [contract, node]
    B = _qd_plus_boundary(tau, r[c2], q[c2], sigma[c2], X[c2])

    # Iteration-independent parts, [contract, node, point] unless noted: per-contract scalars
    # times the fixed fractions of T.
    sqrt_T = np.sqrt(T)[c3]
    sqrt_elapsed = np.sqrt(quad.fp_elapsed)
    inv_std_dev = (1.0 / sigma)[c3] / sqrt_T / sqrt_elapsed
    d1_shift = ((r - q) / sigma + 0.5 * sigma)[c3] * sqrt_T * sqrt_elapsed
    log_growth = ((r - q) * T)[c3] * quad.fp_elapsed  # n(d2) = z e^{(r-q)(tau-u)} n(d1)
    singular = (sqrt_T / sigma[c3]) * (np.sqrt(quad.node_tau)[:, None] * quad.fp_singular_weight)
    q_growth = q[c3] * np.exp((q * T)[c3] * quad.fp_u)
    w_N = INV_SQRT_2PI * r[c3] * np.exp((r * T)[c3] * quad.fp_u) * singular
    w_D_cdf = q_growth * (T[c3] * (quad.node_tau[:, None] * quad.fp_regular_weight))
    w_D_pdf = INV_SQRT_2PI * q_growth * singular
    drift = (r - q)[c2]
    node_std_dev = sigma[c2] * np.sqrt(tau)  # [contract, node]
    node_drift = drift * tau
    node_growth = np.exp(node_drift)
    half_node_std_dev = 0.5 * node_std_dev
    shape = inv_std_dev.shape
    dividends = bool(q.any())

    for _ in range(_BOUNDARY_ITERATIONS):
        log_b_over_x = np.log(B / X[c2])
        log_bu_over_x = _interpolated_log_boundary(log_b_over_x, quad.fp_interpolation)
        log_ratio = log_b_over_x[..., None] - log_bu_over_x.reshape(shape)  # ln(B(tau) / B(u))
        d1 = log_ratio * inv_std_dev + d1_shift
        half_d1_sq = 0.5 * d1 * d1
        integral_N = np.einsum("cnj,cnj->cn", w_N, np.exp(log_ratio + log_growth - half_d1_sq))
        integral_D = (
            np.einsum("cnj,cnj->cn", w_D_cdf, ndtr(d1))
            + np.einsum("cnj,cnj->cn", w_D_pdf, np.exp(-half_d1_sq))
            if dividends
            else 0.0  # its weights are all 0: no put-side dividend (an American call at a rate of 0)
        )
        d1_node = (np.log(B) + node_drift) / node_std_dev + half_node_std_dev
        n_d1_node = norm_pdf(d1_node)
        numerator = B * node_growth * n_d1_node / node_std_dev + integral_N
        denominator = node_growth * (n_d1_node / node_std_dev + ndtr(d1_node) + integral_D)
        # Where both underflow (a node far inside the exercise region) the node is kept.
        usable = (numerator > 0.0) & (denominator > 0.0)
        B = np.minimum(np.divide(numerator, denominator, out=B, where=usable), X[c2])
    return B


class _PremiumIntegrand:
    """Per-contract parts of the premium integrand at the quadrature points, ``[contract, point]``.

    With ``w = T - u`` the time from now to the exercise date and ``B = B(u)``:
    ``-d1(w, x / B) = ln(x) minus_inv_std_dev + minus_d1_shift`` and ``-d2 = -d1 + std_dev``.
    The parts of all contracts sit side by side in one array, a row per contract (the cached
    unit): the boundary at ``T``, then five blocks of ``_PREMIUM_QUADRATURE`` columns.
    """

    WIDTH: Final = 1 + 5 * _PREMIUM_QUADRATURE

    def __init__(self, packed: FloatArray) -> None:
        p = _PREMIUM_QUADRATURE
        self.packed = packed
        self.exercise_boundary: FloatArray = packed[:, 0]
        self.minus_inv_std_dev: FloatArray = packed[:, 1 : 1 + p]
        self.minus_d1_shift: FloatArray = packed[:, 1 + p : 1 + 2 * p]
        self.std_dev: FloatArray = packed[:, 1 + 2 * p : 1 + 3 * p]
        self.weight_r: FloatArray = packed[:, 1 + 3 * p : 1 + 4 * p]
        self.weight_q: FloatArray = packed[:, 1 + 4 * p :]

    @classmethod
    def of(cls, T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray) -> _PremiumIntegrand:
        """The integrands of puts with strike 1, from the cache where the contract was seen before."""
        keys = np.column_stack([T, r, q, sigma])
        return cls(
            _INTEGRANDS.get_or_compute(
                keys, lambda rows: _solve_integrand(T[rows], r[rows], q[rows], sigma[rows])
            )
        )

    def premium(self, x: FloatArray, contract: NDArray[np.intp]) -> FloatArray:
        """Early-exercise premium of a put with strike 1 at spot ``x`` (Kim 1990):

            int_0^T [r e^{-r w} N(-d2(w, x / B(u))) - q x e^{-q w} N(-d1(w, x / B(u)))] du.

        ``contract`` gives each spot's row.
        """
        minus_d1 = np.log(x)[:, None] * self.minus_inv_std_dev[contract]
        minus_d1 += self.minus_d1_shift[contract]
        minus_d2 = minus_d1 + self.std_dev[contract]
        premium = np.einsum("ej,ej->e", self.weight_r[contract], ndtr(minus_d2))
        # The dividend term only where the put-side dividend is not zero (its weights are 0).
        paying = np.flatnonzero(self.weight_q[contract].any(axis=1))
        premium[paying] -= x[paying] * np.einsum(
            "ej,ej->e", self.weight_q[contract[paying]], ndtr(minus_d1[paying])
        )
        return premium

    def premium_table(self, x: FloatArray) -> FloatArray:
        """:meth:`premium` at spots ``x``, a row per contract and a column per spot.

        Computed for a few contracts at a time, so that the [contract, spot, point] arrays of a
        chunk stay in the core's own cache (:data:`_CHUNK_POINTS`): on a large table (the stress
        view's 700 contracts × 38 spots) that is a fifth faster than one pass over the whole, and
        each row's arithmetic is the same.
        """
        rows = max(1, _CHUNK_POINTS // (x.shape[1] * _PREMIUM_QUADRATURE))
        if len(x) <= rows:
            return self._premium_rows(x)
        out = np.empty(x.shape)
        for start in range(0, len(x), rows):
            chunk = slice(start, start + rows)
            out[chunk] = _PremiumIntegrand(self.packed[chunk])._premium_rows(x[chunk])
        return out

    def _premium_rows(self, x: FloatArray) -> FloatArray:
        """:meth:`premium_table` in one pass over all the contracts."""
        c3 = (slice(None), None, slice(None))
        # One array, [contract, spot, point], holds -d1 then -d2 then N(-d2): no temporaries of
        # that size beyond it (allocating them costs as much as the arithmetic).
        minus_d = np.log(x)[..., None] * self.minus_inv_std_dev[c3]
        minus_d += self.minus_d1_shift[c3]
        # The dividend term only where the put-side dividend is not zero (its weights are 0).
        paying = np.flatnonzero(self.weight_q.any(axis=1))
        if paying.size:
            N_minus_d1 = ndtr(minus_d if paying.size == len(x) else minus_d[paying])
            dividend = x[paying] * (N_minus_d1 @ self.weight_q[paying, :, None])[..., 0]
        minus_d += self.std_dev[c3]
        premium = (ndtr(minus_d, out=minus_d) @ self.weight_r[..., None])[..., 0]
        if paying.size:
            premium[paying] -= dividend
        return premium


def _solve_integrand(T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray) -> FloatArray:
    """Packed integrand rows (see :class:`_PremiumIntegrand`): boundary solved, premium parts set."""
    quad = _QUADRATURE
    c2 = (slice(None), None)
    X = np.where(q > r, r / np.where(q > r, q, 1.0), 1.0)
    B = _exercise_boundary(T, r, q, sigma, X)
    log_b = np.log(X)[c2] + _interpolated_log_boundary(np.log(B / X[c2]), quad.premium_interpolation)
    elapsed = T[c2] * quad.premium_elapsed
    std_dev = sigma[c2] * np.sqrt(elapsed)
    du = T[c2] * quad.premium_weight
    return np.hstack(
        [
            B[:, :1],
            -1.0 / std_dev,
            (log_b - (r - q)[c2] * elapsed) / std_dev - 0.5 * std_dev,
            std_dev,
            r[c2] * np.exp(-r[c2] * elapsed) * du,
            q[c2] * np.exp(-q[c2] * elapsed) * du,
        ]
    )


_INTEGRANDS: Final = ContractCache(_PremiumIntegrand.WIDTH)


def _early_exercise(
    european: FloatArray,
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    r: FloatArray,
    q: FloatArray,
    sigma: FloatArray,
    is_call: BoolArray,
    is_american: BoolArray,
) -> FloatArray:
    """Replace ``european`` by the American value where ``is_american``.

    A call is the put ``P(K, S, q, r)`` (McDonald & Schroder 1998). The boundary depends on
    ``(T, r, q, sigma, call/put)`` only, so it is computed once per element of their broadcast
    shape (a "contract") and shared by all spots broadcast against it. On the put side, early
    exercise has value where the rate is positive (``r T`` above ``NEGLIGIBLE``) or above the
    dividend yield (``q < r <= 0``: a negative dividend yield makes holding costly; below zero a
    double boundary). Put-side rates within :data:`_INTEGRAL_DRIFT_LIMIT` of the volatility go to
    the integral equation, the rest to the finite-difference grid (:func:`_needs_grid`).
    Elsewhere the American value is the European one or the intrinsic value if larger.
    """
    value = _exercise_floor(european, S, K, is_call)
    if not is_american.all():  # (the stress view prices American and European contracts apart)
        value = np.where(is_american, value, european)
    # Decided before sigma is spread to the contracts: a volatility that moves with the spot
    # (shape of the spots) would otherwise make every spot a contract.
    put_r, put_q = np.where(is_call, q, r), np.where(is_call, r, q)
    if not (is_american & ((put_r * T > NEGLIGIBLE) | (put_q < put_r))).any():
        return value
    contract_shape = np.broadcast_shapes(
        T.shape, r.shape, q.shape, sigma.shape, is_call.shape, is_american.shape
    )
    T_c, r_c, q_c, sigma_c = (flat(a, contract_shape) for a in (T, r, q, sigma))
    call_c, american_c = (flat(a, contract_shape) for a in (is_call, is_american))
    needs_boundary, needs_grid, keys = _put_side(T_c, r_c, q_c, sigma_c, call_c, american_c)
    if needs_grid.any():
        terms = (T_c, r_c, q_c, sigma_c, call_c)
        value = _grid_premium(value, european, (S, K), terms, needs_grid.reshape(contract_shape))
    if not needs_boundary.any():
        return value
    integrand = _PremiumIntegrand.of(*keys)
    shape = value.shape
    spots_per_contract = _spots_per_contract(contract_shape, shape)
    if spots_per_contract is None:
        contracts = needs_boundary.reshape(contract_shape)
        return _early_exercise_elements(value, european, S, K, is_call, contracts, integrand)

    # Contract i owns elements i m .. (i + 1) m - 1 of the flattened result: a table, a row per
    # contract that needs a boundary, a column per spot.
    m = spots_per_contract
    needing = np.flatnonzero(needs_boundary)
    # every contract (a stress view's premium block): views of the arrays, not copies of them
    rows = slice(None) if needing.size == needs_boundary.size else needing

    def table(a: NDArray[_T]) -> NDArray[_T]:
        return np.broadcast_to(a, shape).reshape(-1, m)[rows]

    S_t, K_t, call_t = table(S), table(K), table(is_call)
    put_strike = select(call_t, S_t, K_t)
    x = select(call_t, K_t, S_t) / put_strike
    # Below the boundary the value is the intrinsic value, already in ``value``; the premium
    # computed there is not used.
    alive = x > integrand.exercise_boundary[:, None]
    premium = put_strike * integrand.premium_table(x)
    result = value.reshape(-1, m)  # a copy where ``value`` is not contiguous
    result[rows] = np.where(alive, np.maximum(result[rows], table(european) + premium), result[rows])
    return result.reshape(shape)


def _exercise_floor(european: FloatArray, S: FloatArray, K: FloatArray, is_call: BoolArray) -> FloatArray:
    """``max(european, intrinsic value)`` in three passes at most: ``european >= 0``, so the
    intrinsic value's floor at 0 adds nothing, and with ``s = ±1`` (exact products) ``s S - s K`` is
    ``S - K`` for a call and ``K - S`` for a put, bit for bit (+0 at the money)."""
    shape = np.broadcast_shapes(S.shape, K.shape, european.shape)
    if is_call.all():
        gain = np.subtract(S, K, out=np.empty(shape))
    else:
        sign = np.where(is_call, 1.0, -1.0) if is_call.any() else -1.0
        gain = np.multiply(S, sign, out=np.empty(shape))
        gain -= K * sign
    return np.maximum(european, gain, out=gain)


def _put_side(
    T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray, is_call: BoolArray, is_american: BoolArray
) -> tuple[BoolArray, BoolArray, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
    """Which contracts (1-D arrays, ``q`` already ``r`` on a future) have an early-exercise premium
    and how it is priced, on the put side (a call is a put with ``r`` and ``q`` swapped): the
    integral equation's contracts (a positive put-side rate, some volatility, not
    :func:`_drift_dominated`) with their boundary's inputs ``(T, r, q, sigma)``, and the
    finite-difference grid's (a positive rate that dominates the volatility, or a rate at or below
    zero above the dividend yield, ``q < r <= 0``)."""
    put_r = np.where(is_call, q, r)
    put_q = np.where(is_call, r, q)
    priced = is_american & (total_std_dev(T, sigma) > NEGLIGIBLE)
    positive = put_r * T > NEGLIGIBLE
    dominated = _drift_dominated(T, put_r, put_q, sigma)
    needs_boundary = priced & positive & ~dominated
    costly_carry = ~positive & ((put_r - put_q) * T > NEGLIGIBLE)
    needs_grid = priced & ((positive & dominated) | costly_carry)
    return (
        needs_boundary,
        needs_grid,
        (
            T[needs_boundary],
            put_r[needs_boundary],
            put_q[needs_boundary],
            sigma[needs_boundary],
        ),
    )


def _drift_dominated(T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray) -> BoolArray:
    """Put-side ``max(r, r - q) sqrt(T) > _INTEGRAL_DRIFT_LIMIT sigma``: beyond the integral equation."""
    return np.maximum(r, r - q) * np.sqrt(np.maximum(T, 0.0)) > _INTEGRAL_DRIFT_LIMIT * sigma


def _needs_grid(
    T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray, is_call: BoolArray, is_american: BoolArray
) -> BoolArray:
    """The contracts :func:`_put_side` sends to the finite-difference grid."""
    return _put_side(T, r, q, sigma, is_call, is_american)[1]


def _grid_premium(
    value: FloatArray,
    european: FloatArray,
    spot_strike: tuple[FloatArray, FloatArray],
    contracts: tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray],
    needs_grid: BoolArray,
) -> FloatArray:
    """``value`` raised to the European value plus the finite-difference premium at the elements of
    the contracts in ``needs_grid`` (the contracts' broadcast shape); ``contracts`` holds their
    ``(T, r, q, sigma, is_call)``, flattened. A call is priced as the put ``P(K, S, q, r)``."""
    S, K = spot_strike
    T, r, q, sigma, is_call = contracts
    shape = value.shape
    contract_of = flat(np.arange(needs_grid.size).reshape(needs_grid.shape), shape)
    chosen_c = needs_grid.ravel()
    elements = np.flatnonzero(chosen_c[contract_of])
    grid_contract = (np.cumsum(chosen_c) - 1)[contract_of[elements]]
    chosen = np.flatnonzero(chosen_c)
    call_g = is_call[chosen]
    put_r, put_q = np.where(call_g, q[chosen], r[chosen]), np.where(call_g, r[chosen], q[chosen])
    S_e, K_e = (flat(a, shape)[elements] for a in (S, K))
    call_e = call_g[grid_contract]
    put_strike = np.where(call_e, S_e, K_e)
    x = np.where(call_e, K_e, S_e) / put_strike
    premium = put_strike * premiums(T[chosen], put_r, put_q, sigma[chosen], x, grid_contract)
    result = value.ravel().copy()
    result[elements] = np.maximum(result[elements], flat(european, shape)[elements] + premium)
    return result.reshape(shape)


def solve_exercise_boundaries(
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    is_american: ArrayLike,
    on_future: ArrayLike = False,
) -> None:
    """Solve and keep the exercise boundaries that :func:`option_price` will look up for these
    contracts (arguments as there, broadcast together), in batches of :data:`_SOLVE_BATCH` of them;
    boundaries already kept are not solved again.

    A boundary solved in one batch can differ in the last bit from the same boundary solved in
    another. A caller that prices contracts in blocks on several threads calls this first, so that
    every block finds the same boundaries however the blocks are split and whichever thread prices
    them: the result does not depend on the number of threads.
    """
    numbers = [as_float_array(a) for a in (T, r, q, sigma)]
    flags = [as_bool_array(a) for a in (is_call, is_american, on_future)]
    shape = np.broadcast_shapes(*(a.shape for a in (*numbers, *flags)))
    T_c, r_c, q_c, sigma_c = (flat(a, shape) for a in numbers)
    call_c, american_c, future_c = (flat(a, shape) for a in flags)
    _, _, keys = _put_side(T_c, r_c, np.where(future_c, r_c, q_c), sigma_c, call_c, american_c)
    for start in range(0, keys[0].size, _SOLVE_BATCH):
        _PremiumIntegrand.of(*(k[start : start + _SOLVE_BATCH] for k in keys))


def _spots_per_contract(contract_shape: tuple[int, ...], shape: tuple[int, ...]) -> int | None:
    """``m`` when the contracts are the leading axes of ``shape`` and the spots the trailing ones
    (contract ``i`` owning elements ``i m .. (i + 1) m - 1`` of the flattened result), else None."""
    padded = (1,) * (len(shape) - len(contract_shape)) + contract_shape
    leading = 0
    while leading < len(shape) and padded[leading] == shape[leading]:
        leading += 1
    if any(n != 1 for n in padded[leading:]):
        return None
    return int(np.prod(shape[leading:], dtype=np.int64))


def _early_exercise_elements(
    value: FloatArray,
    european: FloatArray,
    S: FloatArray,
    K: FloatArray,
    is_call: BoolArray,
    needs_boundary: BoolArray,
    integrand: _PremiumIntegrand,
) -> FloatArray:
    """``_early_exercise`` for any other layout: each element looks up its contract's row.

    ``needs_boundary`` has the contracts' shape; ``integrand`` a row per True element.
    """
    shape = value.shape
    contract_of = flat(np.arange(needs_boundary.size).reshape(needs_boundary.shape), shape)
    elements = np.flatnonzero(needs_boundary.ravel()[contract_of])
    contract = (np.cumsum(needs_boundary) - 1)[contract_of[elements]]
    S_e, K_e = (flat(a, shape)[elements] for a in (S, K))
    call_e = flat(is_call, shape)[elements]
    put_strike = np.where(call_e, S_e, K_e)
    x = np.where(call_e, K_e, S_e) / put_strike
    alive = x > integrand.exercise_boundary[contract]
    elements, x, put_strike = elements[alive], x[alive], put_strike[alive]
    premium = put_strike * integrand.premium(x, contract[alive])
    result = value.ravel()
    result[elements] = np.maximum(result[elements], flat(european, shape)[elements] + premium)
    return result.reshape(shape)


def american(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
) -> FloatArray:
    """American option price with continuous dividend yield ``q`` (equity, ETF, index).

    Andersen, Lake & Offengelden (2016), see the module docstring; intrinsic value for
    ``T <= 0``. Contract parameters broadcast against ``S`` (e.g. shape ``(n, 1)`` against spots
    ``(n, m)``) share one exercise boundary.
    """
    return option_price(S, K, T, r, q, sigma, is_call, True)


def option_price(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    is_american: ArrayLike,
    on_future: ArrayLike = False,
    growth: ArrayLike | None = None,
) -> FloatArray:
    """Price of European or American options on a spot or on a future: every revaluation.

    ``on_future``: ``S`` is the futures price and ``q`` is ignored (set to ``r``, the futures
    price having no drift): Black (1976) when European, American on the future otherwise.
    Arguments broadcast; for speed pass the contract parameters (``T, r, q, sigma`` and the
    flags) with length-1 axes where several spots share a contract, e.g. ``(n, 1)`` against
    spots ``(n, m)``, so the American exercise boundary is computed once per contract.
    ``growth`` (positive ratios): the price at spots ``S * growth``, equal to rounding, with the
    European part by :func:`bsm_moved` (one logarithm per contract and one per ratio, not one per
    point): the stress view's revaluation.
    """
    return option_prices(S, K, T, r, q, sigma, is_call, is_american, on_future, growth)[1]


def option_prices(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    is_american: ArrayLike,
    on_future: ArrayLike = False,
    growth: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """(European prices, :func:`option_price`): the European price of every option, which the
    American ones start from, and the prices themselves (the same array where none is American)."""
    S, K, T, r, q, sigma = (as_float_array(a) for a in (S, K, T, r, q, sigma))
    is_call, is_american, on_future = (as_bool_array(a) for a in (is_call, is_american, on_future))
    q = np.where(on_future, r, q)
    # The flags' shapes count in the result's shape too.
    is_call = np.broadcast_to(is_call, np.broadcast_shapes(is_call.shape, is_american.shape))
    if growth is None:
        european = bsm(S, K, T, r, q, sigma, is_call)
    else:
        growth = as_float_array(growth)
        european = bsm_moved(S, K, T, r, q, sigma, is_call, growth)
    if not is_american.any():
        return european, european
    spots = S if growth is None else S * growth
    return european, _early_exercise(european, spots, K, T, r, q, sigma, is_call, is_american)
