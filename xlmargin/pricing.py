"""The one pricing kernel: every option revaluation in xlmargin goes through ``option_price``.

Symbols (paper notation, used only here and in ``pricing_reference``):

    S      spot price of the underlying; the futures price for an option on a future
    K      strike
    T      time to expiry in years (ACT/365 is the caller's job); ``T <= 0`` means expired
    r      continuously compounded risk-free rate
    q      continuous dividend yield; an option on a future has ``q = r``
    sigma  Black volatility, annualised
    F      forward price, ``F = S exp((r - q) T)``

Every function takes numpy arrays or scalars that broadcast together (flags as boolean arrays)
and returns float64 arrays of the broadcast shape. Inputs are validated by the caller: S, K > 0,
sigma >= 0 and everything finite. On such inputs nothing here raises, warns or returns NaN, except
``implied_volatility``, whose NaN contract is documented there.

Methods

- European: ``black`` is the one Black formula (Black 1976, "The pricing of commodity contracts",
  J. Financial Economics 3, 167-179). Black-Scholes-Merton with a continuous dividend yield
  (Merton 1973) is Black on the forward ``F = S exp((r - q) T)``.
- American: the integral equation of Kim (1990, "The analytic valuation of American options",
  Rev. Financial Studies 3, 547-572) for the early-exercise premium, solved with the
  spectral collocation of Andersen, Lake & Offengelden (2016), "High-performance American option
  pricing", J. Computational Finance 20(1), 39-87: the exercise boundary is started from Li's QD+
  approximation (Li 2010, "Analytical approximations for the critical stock prices of American
  options", Rev. Derivatives Research 13, 75-99), refined by fixed-point iteration of their
  equation "FP-B" on Chebyshev nodes in sqrt(time), and the premium is integrated by
  Gauss-Legendre quadrature. Calls are priced as puts by the put-call symmetry of McDonald &
  Schroder (1998, "A parity result for American options", J. Computational Finance 1, 5-13),
  ``C(S, K, r, q) = P(K, S, q, r)``. Accuracy and speed are measured in ``tests/test_pricing.py``
  and ``benchmarks/bench_pricing.py``; closed-form approximations were measured too and rejected
  (Ju & Zhong 1999 and QD+ are up to 2% off for long-dated, low-volatility puts).
- Implied volatility: Newton steps inside a shrinking bisection bracket, vectorised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.errors import InputError, Problem

_Scalar = TypeVar("_Scalar", bound=np.generic)

SIGMA_MIN: Final = 1e-4
"""Lower end of the implied-volatility search range."""
SIGMA_MAX: Final = 10.0
"""Upper end of the implied-volatility search range."""

# Resolution of the American method, named as in Andersen, Lake & Offengelden (2016):
# the cheapest setting found that keeps the error well inside 0.1% of a 2,000-step binomial tree
# on the test grid (see tests/test_pricing.py; the worst cases have low sigma and high r).
_BOUNDARY_NODES: Final = 4  # n: Chebyshev nodes of the exercise boundary
_BOUNDARY_QUADRATURE: Final = 6  # l: Gauss-Legendre points per fixed-point integral
_BOUNDARY_ITERATIONS: Final = 2  # m: fixed-point (FP-B) iterations
_QD_PLUS_NEWTON_STEPS: Final = 3  # Newton steps on Li's QD+ equation for the starting boundary
_PREMIUM_QUADRATURE: Final = 8  # p: Gauss-Legendre points of the premium integral

# Relative size below which a term is dropped: an option with total volatility sigma sqrt(T)
# below it is priced at zero volatility (the time value left out is below that fraction of the
# forward), and one whose put-side r T is below it has no early-exercise premium (the premium is
# at most r T times the strike).
_NEGLIGIBLE: Final = 1e-12

_IV_ITERATIONS: Final = 60
_IV_PRICE_RTOL: Final = 1e-8
_IV_PRICE_ATOL: Final = 1e-10

_INV_SQRT_2PI: Final = 1.0 / np.sqrt(2.0 * np.pi)


def _norm_pdf(x: FloatArray) -> FloatArray:
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def _as_float(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _as_bool(x: ArrayLike) -> BoolArray:
    return np.asarray(x, dtype=np.bool_)


def _flat(a: NDArray[_Scalar], shape: tuple[int, ...]) -> NDArray[_Scalar]:
    """``a`` broadcast to ``shape`` and flattened (a copy only where broadcasting repeats)."""
    return np.broadcast_to(a, shape).ravel()


def _intrinsic(S: FloatArray, K: FloatArray, is_call: BoolArray) -> FloatArray:
    return np.maximum(np.where(is_call, S - K, K - S), 0.0)


def _std_dev(T: FloatArray, sigma: FloatArray) -> FloatArray:
    """Total volatility ``sigma sqrt(T)``, zero when expired."""
    return sigma * np.sqrt(np.maximum(T, 0.0))


# --------------------------------------------------------------------------------------------
# European


def black(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """Black (1976) price of a European option on a forward ``F``, discounted at ``r``.

    ``exp(-r T) (F N(d1) - K N(d2))`` for a call, ``exp(-r T) (K N(-d2) - F N(-d1))`` for a put,
    with ``d1,2 = ln(F / K) / (sigma sqrt(T)) +- sigma sqrt(T) / 2``. With zero total volatility
    the value is the discounted intrinsic value of the forward; at and after expiry (``T <= 0``)
    it is the intrinsic value ``max(+-(F - K), 0)``.
    """
    F, K, T, r, sigma = (_as_float(a) for a in (F, K, T, r, sigma))
    is_call = _as_bool(is_call)
    sign = np.where(is_call, 1.0, -1.0)
    std_dev = _std_dev(T, sigma)
    has_vol = std_dev > _NEGLIGIBLE
    safe_std_dev = np.where(has_vol, std_dev, 1.0)
    d1 = np.log(F / K) / safe_std_dev + 0.5 * safe_std_dev
    d2 = d1 - safe_std_dev
    undiscounted = np.where(
        has_vol,
        sign * (F * ndtr(sign * d1) - K * ndtr(sign * d2)),
        np.maximum(sign * (F - K), 0.0),
    )
    return np.maximum(np.exp(-r * np.maximum(T, 0.0)) * undiscounted, 0.0)


def bsm(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
) -> FloatArray:
    """Black-Scholes-Merton price of a European option with continuous dividend yield ``q``.

    Black (1976) on the forward ``F = S exp((r - q) T)``; intrinsic value for ``T <= 0``.
    """
    S, T, r, q = (_as_float(a) for a in (S, T, r, q))
    F = S * np.exp((r - q) * np.maximum(T, 0.0))
    return black(F, K, T, r, sigma, is_call)


def _bsm_vega(
    S: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray
) -> FloatArray:
    """dBSM/dsigma ``= S exp(-q T) n(d1) sqrt(T)``, for ``T > 0`` and ``sigma > 0``."""
    std_dev = _std_dev(T, sigma)
    d1 = (np.log(S / K) + (r - q) * T) / std_dev + 0.5 * std_dev
    return S * np.exp(-q * T) * _norm_pdf(d1) * np.sqrt(T)


# --------------------------------------------------------------------------------------------
# American: exercise boundary and early-exercise premium of a put with strike 1


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

    for _ in range(_QD_PLUS_NEWTON_STEPS):
        d1 = (np.log(B) + (r - q) * tau) / std_dev + 0.5 * std_dev
        n_d1 = _norm_pdf(d1)
        N_minus_d1 = ndtr(-d1)
        N_minus_d2 = ndtr(std_dev - d1)
        premium = 1.0 - B - (df_r * N_minus_d2 - B * df_q * N_minus_d1)
        theta = df_r * r * N_minus_d2 - B * df_q * (q * N_minus_d1 + 0.5 * sigma * n_d1 / sqrt_tau)
        # f(B) and df/dB, with (lambda + c0) premium expanded so that nothing divides by premium
        f = (
            (1.0 - df_q * N_minus_d1) * B
            + lam * premium
            - k * (premium / h - theta / (r * df_r) + mu * premium)
        )
        premium_dB = df_q * N_minus_d1 - 1.0
        theta_dB = df_q * (
            n_d1 * (0.5 * d1 / tau - (r - q) / std_dev - 0.5 * sigma / sqrt_tau) - q * N_minus_d1
        )
        f_dB = (
            1.0
            - df_q * N_minus_d1
            + df_q * n_d1 / std_dev
            + lam * premium_dB
            - k * (premium_dB / h - theta_dB / (r * df_r) + mu * premium_dB)
        )
        # Newton step on ln B, at most a factor e down and never above X
        step = np.divide(-f, B * f_dB, out=np.zeros_like(B), where=f_dB > 0.0)
        B = np.minimum(B * np.exp(np.clip(step, -1.0, np.log(X / B))), X)
    return B


def _interpolated_log_boundary(B: FloatArray, X: FloatArray, interpolation: FloatArray) -> FloatArray:
    """``ln(B(u) / X)`` at the points of ``interpolation`` from ``B`` at nodes 0..n-1.

    Interpolates ``H = ln(B / X)^2``, smooth in ``sqrt(tau)`` (Andersen et al. 2016); ``H = 0`` at
    node ``n``.
    """
    H = np.zeros((B.shape[0], _BOUNDARY_NODES + 1))
    H[:, :-1] = np.log(B / X) ** 2
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
    w_N = _INV_SQRT_2PI * r[c3] * np.exp((r * T)[c3] * quad.fp_u) * singular
    w_D_cdf = q_growth * (T[c3] * (quad.node_tau[:, None] * quad.fp_regular_weight))
    w_D_pdf = _INV_SQRT_2PI * q_growth * singular
    drift = (r - q)[c2]
    node_std_dev = sigma[c2] * np.sqrt(tau)  # [contract, node]
    node_growth = np.exp(drift * tau)
    shape = inv_std_dev.shape

    for _ in range(_BOUNDARY_ITERATIONS):
        log_b_over_x = np.log(B / X[c2])
        log_bu_over_x = _interpolated_log_boundary(B, X[c2], quad.fp_interpolation)
        log_ratio = log_b_over_x[..., None] - log_bu_over_x.reshape(shape)  # ln(B(tau) / B(u))
        d1 = log_ratio * inv_std_dev + d1_shift
        half_d1_sq = 0.5 * d1 * d1
        integral_N = np.einsum("cnj,cnj->cn", w_N, np.exp(log_ratio + log_growth - half_d1_sq))
        integral_D = np.einsum("cnj,cnj->cn", w_D_cdf, ndtr(d1)) + np.einsum(
            "cnj,cnj->cn", w_D_pdf, np.exp(-half_d1_sq)
        )
        d1_node = (np.log(B) + drift * tau) / node_std_dev + 0.5 * node_std_dev
        n_d1_node = _norm_pdf(d1_node)
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
    """

    def __init__(self, T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray) -> None:
        quad = _QUADRATURE
        c2 = (slice(None), None)
        X = np.where(q > r, r / np.where(q > r, q, 1.0), 1.0)
        B = _exercise_boundary(T, r, q, sigma, X)
        log_b = np.log(X)[c2] + _interpolated_log_boundary(B, X[c2], quad.premium_interpolation)
        elapsed = T[c2] * quad.premium_elapsed
        std_dev = sigma[c2] * np.sqrt(elapsed)
        du = T[c2] * quad.premium_weight
        self.exercise_boundary: FloatArray = B[:, 0]
        self.minus_inv_std_dev: FloatArray = -1.0 / std_dev
        self.minus_d1_shift: FloatArray = (log_b - (r - q)[c2] * elapsed) / std_dev - 0.5 * std_dev
        self.std_dev: FloatArray = std_dev
        self.weight_r: FloatArray = r[c2] * np.exp(-r[c2] * elapsed) * du
        self.weight_q: FloatArray = q[c2] * np.exp(-q[c2] * elapsed) * du

    def premium(self, x: FloatArray, contract: NDArray[np.intp]) -> FloatArray:
        """Early-exercise premium of a put with strike 1 at spot ``x`` (Kim 1990):

            int_0^T [r e^{-r w} N(-d2(w, x / B(u))) - q x e^{-q w} N(-d1(w, x / B(u)))] du.

        ``contract`` gives each spot's row.
        """
        minus_d1 = np.log(x)[:, None] * self.minus_inv_std_dev[contract]
        minus_d1 += self.minus_d1_shift[contract]
        minus_d2 = minus_d1 + self.std_dev[contract]
        return np.einsum("ej,ej->e", self.weight_r[contract], ndtr(minus_d2)) - x * np.einsum(
            "ej,ej->e", self.weight_q[contract], ndtr(minus_d1)
        )


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
    shape (a "contract") and shared by all spots broadcast against it. Early exercise has value
    only where the put-side rate is positive (``r T`` above ``_NEGLIGIBLE``); elsewhere the
    American value is the European one (exact for put-side ``q >= 0``; the double boundary of
    ``q < r <= 0`` is not modelled) or the intrinsic value if larger.
    """
    contract_shape = np.broadcast_shapes(
        T.shape, r.shape, q.shape, sigma.shape, is_call.shape, is_american.shape
    )
    T_c, r_c, q_c, sigma_c = (_flat(a, contract_shape) for a in (T, r, q, sigma))
    call_c, american_c = (_flat(a, contract_shape) for a in (is_call, is_american))
    put_r = np.where(call_c, q_c, r_c)
    put_q = np.where(call_c, r_c, q_c)
    has_vol = _std_dev(T_c, sigma_c) > _NEGLIGIBLE
    needs_boundary = american_c & (put_r * T_c > _NEGLIGIBLE) & has_vol

    value = np.where(is_american, np.maximum(european, _intrinsic(S, K, is_call)), european)
    if not needs_boundary.any():
        return value
    shape = value.shape

    # Each element's contract, as a row of the contracts that need a boundary.
    contract_of = _flat(np.arange(needs_boundary.size).reshape(contract_shape), shape)
    elements = np.flatnonzero(needs_boundary[contract_of])
    contract = (np.cumsum(needs_boundary) - 1)[contract_of[elements]]
    integrand = _PremiumIntegrand(
        T_c[needs_boundary], put_r[needs_boundary], put_q[needs_boundary], sigma_c[needs_boundary]
    )
    S_e, K_e = (_flat(a, shape)[elements] for a in (S, K))
    call_e = _flat(is_call, shape)[elements]
    put_strike = np.where(call_e, S_e, K_e)
    x = np.where(call_e, K_e, S_e) / put_strike
    # Below the boundary the value is the intrinsic value, already in ``value``.
    alive = x > integrand.exercise_boundary[contract]
    elements, x, put_strike = elements[alive], x[alive], put_strike[alive]
    premium = put_strike * integrand.premium(x, contract[alive])
    result = value.ravel()
    result[elements] = np.maximum(result[elements], _flat(european, shape)[elements] + premium)
    return result.reshape(shape)


# --------------------------------------------------------------------------------------------
# Public pricing API


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
) -> FloatArray:
    """Price of European or American options on a spot or on a future: every revaluation.

    ``on_future``: ``S`` is the futures price and ``q`` is ignored (set to ``r``, the futures
    price having no drift): Black (1976) when European, American on the future otherwise.
    Arguments broadcast; for speed pass the contract parameters (``T, r, q, sigma`` and the
    flags) with length-1 axes where several spots share a contract, e.g. ``(n, 1)`` against
    spots ``(n, m)``, so the American exercise boundary is computed once per contract.
    """
    S, K, T, r, q, sigma = (_as_float(a) for a in (S, K, T, r, q, sigma))
    is_call, is_american, on_future = (_as_bool(a) for a in (is_call, is_american, on_future))
    q = np.where(on_future, r, q)
    # The flags' shapes count in the result's shape too.
    is_call = np.broadcast_to(is_call, np.broadcast_shapes(is_call.shape, is_american.shape))
    european = bsm(S, K, T, r, q, sigma, is_call)
    if not is_american.any():
        return european
    return _early_exercise(european, S, K, T, r, q, sigma, is_call, is_american)


# --------------------------------------------------------------------------------------------
# Implied volatility


def iv_bounds(
    price: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
    is_american: ArrayLike,
    on_future: ArrayLike = False,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Where ``implied_volatility`` can invert ``price``, and the price range it can invert.

    Returns ``(ok, lower, upper)``: ``lower`` and ``upper`` are the model values at ``SIGMA_MIN``
    and ``SIGMA_MAX``. The value increases with sigma, so a price within ``[lower, upper]``,
    widened by the repricing tolerance ``max(1e-8 price, 1e-10)``, has an implied volatility in
    the search range (unique where the value strictly increases). ``lower`` is at least the
    no-arbitrage lower bound (the discounted intrinsic value of the forward; for American options
    also the intrinsic value) and ``upper`` at most the upper bound (``S e^{-qT}`` for a call,
    ``K e^{-rT}`` for a European put, ``K`` for an American one), so a price outside the
    no-arbitrage bounds is never ``ok``; nor is a price that is not finite or has ``T <= 0``
    (then ``lower = upper =`` the intrinsic value). The engine names the offending rows from the
    mask and the bounds; the kernel itself never raises.
    """
    price = _as_float(price)
    lower = option_price(S, K, T, r, q, SIGMA_MIN, is_call, is_american, on_future)
    upper = option_price(S, K, T, r, q, SIGMA_MAX, is_call, is_american, on_future)
    tolerance = _iv_tolerance(price)
    ok = (
        np.isfinite(price)
        & (_as_float(T) > 0.0)
        & (price >= lower - tolerance)
        & (price <= upper + tolerance)
    )
    return ok, lower, upper


def implied_volatility(
    price: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
    is_american: ArrayLike,
    on_future: ArrayLike = False,
) -> FloatArray:
    """Volatility in ``[SIGMA_MIN, SIGMA_MAX]`` at which ``option_price`` returns ``price``.

    Contract: NaN exactly where ``iv_bounds(...)[0]`` is False (price outside the invertible
    range, which contains every no-arbitrage violation, or ``T <= 0``); the caller reports those
    rows with the bounds. Elsewhere the result reprices to within ``max(1e-8 price, 1e-10)``.
    Never raises or warns.

    Method: the safeguarded Newton iteration "rtsafe" (Press et al., Numerical Recipes, 3rd ed.,
    section 9.4) run on all options at once: a bracket ``[lo, hi]`` shrinks with every evaluation
    and a Newton step that leaves it, or does not halve the step before last, is replaced by
    bisection. The slope is the Black-Scholes vega, exact for European options; for American ones
    it is the secant slope of the last two evaluations once there are two. An American option
    starts from the European implied volatility of its price, an upper bound of its own since
    American >= European at every volatility.
    """
    shape = np.broadcast_shapes(
        *(np.shape(a) for a in (price, S, K, T, r, q, is_call, is_american, on_future))
    )
    price_, S_, K_, T_, r_, q_ = (
        np.broadcast_to(_as_float(a), shape).ravel() for a in (price, S, K, T, r, q)
    )
    call_, american_, future_ = (
        np.broadcast_to(_as_bool(a), shape).ravel() for a in (is_call, is_american, on_future)
    )
    ok, lower, upper = iv_bounds(price_, S_, K_, T_, r_, q_, call_, american_, future_)
    q_ = np.where(future_, r_, q_)
    sigma = np.full(price_.size, np.nan)
    for american_flag in (False, True):
        rows = np.flatnonzero(ok & (american_ == american_flag))
        if rows.size == 0:
            continue
        contract = (S_[rows], K_[rows], T_[rows], r_[rows], q_[rows], call_[rows])
        start = _iv_start(*contract[:5])
        if american_flag:
            # The European implied volatility of the price, clipped into the European range.
            euro_lower = bsm(*contract[:5], SIGMA_MIN, contract[5])
            euro_upper = bsm(*contract[:5], SIGMA_MAX, contract[5])
            target = np.clip(price_[rows], euro_lower, euro_upper)
            start = _rtsafe(target, euro_lower, euro_upper, start, contract, american=False)
        sigma[rows] = _rtsafe(price_[rows], lower[rows], upper[rows], start, contract, american=american_flag)
    return sigma.reshape(shape)


def _iv_tolerance(price: FloatArray) -> FloatArray:
    """How closely an implied volatility reprices: ``max(1e-8 |price|, 1e-10)``."""
    return np.maximum(_IV_PRICE_RTOL * np.abs(price), _IV_PRICE_ATOL)


def _iv_start(S: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray, q: FloatArray) -> FloatArray:
    """Starting volatility ``sqrt(2 |ln(F / K)| / T)`` (Manaster & Koehler 1982), at least 0.2."""
    log_moneyness = np.abs(np.log(S / K) + (r - q) * T)
    return np.clip(np.sqrt(2.0 * log_moneyness) / np.sqrt(T), 0.2, SIGMA_MAX / 2.0)


def _rtsafe(
    price: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    start: FloatArray,
    contract: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, BoolArray],
    american: bool,
) -> FloatArray:
    """Solve ``value(sigma) = price`` on 1-D arrays; ``lower <= price <= upper`` and ``T > 0``.

    ``lower`` and ``upper`` are the values at ``SIGMA_MIN`` and ``SIGMA_MAX``; ``contract`` is
    ``(S, K, T, r, q, is_call)`` with the futures convention already in ``q``. Only unconverged
    options are evaluated.
    """
    S, K, T, r, q, is_call = contract
    lo = np.full(price.shape, SIGMA_MIN)
    hi = np.full(price.shape, SIGMA_MAX)
    tolerance = _iv_tolerance(price)
    at_lower = price - lower <= tolerance
    at_upper = upper - price <= tolerance
    sigma = np.where(at_lower, SIGMA_MIN, np.where(at_upper, SIGMA_MAX, start))
    step = hi - lo
    step_before = step.copy()
    previous_sigma = np.full(price.shape, np.nan)
    previous_f = np.full(price.shape, np.nan)
    active = np.flatnonzero(~(at_lower | at_upper))
    for _ in range(_IV_ITERATIONS):
        if active.size == 0:
            break
        a = active
        s = sigma[a]
        if american:
            value = option_price(S[a], K[a], T[a], r[a], q[a], s, is_call[a], True)
        else:
            value = bsm(S[a], K[a], T[a], r[a], q[a], s, is_call[a])
        f = value - price[a]
        above = f > 0.0
        hi[a] = np.where(above, s, hi[a])
        lo[a] = np.where(above, lo[a], s)

        slope = _bsm_vega(S[a], K[a], T[a], r[a], q[a], s)
        if american:
            secant_ds = s - previous_sigma[a]
            secant_df = f - previous_f[a]
            has_secant = np.isfinite(secant_ds) & (secant_df * secant_ds > 0.0)
            slope = np.divide(secant_df, secant_ds, out=slope, where=has_secant)
            previous_sigma[a] = s
            previous_f[a] = f
        newton = np.divide(f, slope, out=np.full(f.shape, np.inf), where=slope > 0.0)
        candidate = s - newton
        use_newton = (
            (candidate > lo[a]) & (candidate < hi[a]) & (np.abs(newton) < 0.5 * np.abs(step_before[a]))
        )
        step_before[a] = step[a]
        step[a] = np.where(use_newton, newton, s - 0.5 * (lo[a] + hi[a]))
        done = (np.abs(f) <= tolerance[a]) | (hi[a] - lo[a] <= 4.0 * np.spacing(hi[a]))
        sigma[a] = np.where(done, s, s - step[a])
        active = a[~done]
    return sigma


def implied_volatility_or_error(
    price: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
    is_american: ArrayLike,
    on_future: ArrayLike,
    rows_of: Callable[[int], Sequence[int]],
) -> FloatArray:
    """:func:`implied_volatility`, or one :class:`~xlmargin.errors.InputError` that names, for
    every price no volatility reproduces, the spreadsheet rows holding it (``rows_of(i)`` for
    contract ``i``, asked only on failure), the ``price`` column and the bound the price breaks."""
    sigma = np.asarray(implied_volatility(price, S, K, T, r, q, is_call, is_american, on_future))
    failed = np.flatnonzero(np.isnan(sigma))
    if failed.size == 0:
        return sigma
    _, lower, upper = iv_bounds(price, S, K, T, r, q, is_call, is_american, on_future)
    quoted = np.broadcast_to(np.asarray(price, dtype=np.float64), sigma.shape)
    problems: list[Problem] = []
    for i in failed:
        value, low, high = float(quoted[i]), float(lower[i]), float(upper[i])
        if value < low:
            why = f"is below {low:.6g}, its value at the lowest volatility (no-arbitrage lower bound)"
        elif value > high:
            why = f"is above {high:.6g}, the option's value at {SIGMA_MAX:.0%} volatility (upper bound)"
        else:
            why = f"could not be inverted (bounds {low:.6g} to {high:.6g})"
        message = f"price {value:g} {why}: no implied volatility; give a volatility or fix the price"
        problems.extend(Problem(message, int(row), "price") for row in rows_of(int(i)))
    raise InputError(sorted(problems, key=lambda p: p.row or 0))
