"""Implied volatility: safeguarded Newton (rtsafe) on every option at once, and its error report.

See :mod:`xlmargin.pricing` for the symbols. Solved volatilities are kept in a bounded cache keyed
by the contract and its price, so an unchanged option is not inverted again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

import numpy as np
from numpy.typing import ArrayLike

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.errors import NO_VOLATILITY_FIX, InputError, Problem
from xlmargin.pricing.american import option_price
from xlmargin.pricing.contracts import ContractCache
from xlmargin.pricing.european import as_bool_array, as_float_array, bsm, bsm_vega, intrinsic_value

SIGMA_MIN: Final = 1e-4
"""Lower end of the implied-volatility search range."""
SIGMA_MAX: Final = 10.0
"""Upper end of the implied-volatility search range."""
_IV_ITERATIONS: Final = 60
_IV_PRICE_RTOL: Final = 1e-8
_IV_PRICE_ATOL: Final = 1e-10


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
    price = as_float_array(price)
    lower = option_price(S, K, T, r, q, SIGMA_MIN, is_call, False, on_future)
    american = as_bool_array(is_american)
    if american.any():
        # An American option's value at the bottom of the range is its value at no volatility, in
        # closed form: at SIGMA_MIN the kernel would price most of them on the finite-difference
        # grid (the rates dominate so small a volatility), a grid solve per contract for a bound.
        q_eff = np.where(as_bool_array(on_future), as_float_array(r), as_float_array(q))
        S_, K_, T_, r_ = (as_float_array(a) for a in (S, K, T, r))
        zero = zero_volatility_american(S_, K_, T_, r_, q_eff, as_bool_array(is_call))
        lower = np.where(american, np.maximum(zero, lower), lower)
    upper = option_price(S, K, T, r, q, SIGMA_MAX, is_call, is_american, on_future)
    tolerance = _iv_tolerance(price)
    ok = (
        np.isfinite(price)
        & (as_float_array(T) > 0.0)
        & (price >= lower - tolerance)
        & (price <= upper + tolerance)
    )
    return ok, lower, upper


def zero_volatility_american(
    S: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray, q: FloatArray, is_call: BoolArray
) -> FloatArray:
    """An American option's value at zero volatility: the best time to exercise along the forward's
    certain path. On the put side (strike ``k``, spot ``s``, rate ``r'``, dividend yield ``q'``; a call
    is the put ``P(K, S, q, r)``) the value exercised at ``t`` is ``k e^{-r't} - s e^{-q't}``, a difference
    of two exponentials with at most one stationary point, ``t* = ln(q's / (r'k)) / (q' - r')``: the
    value is the largest of ``t = 0``, ``T`` and ``t*`` within ``[0, T]``, or 0."""
    s, k = np.where(is_call, K, S), np.where(is_call, S, K)
    rate, dividend = np.where(is_call, q, r), np.where(is_call, r, q)
    elapsed = np.maximum(T, 0.0)

    def exercised(t: FloatArray) -> FloatArray:
        return np.asarray(k * np.exp(-rate * t) - s * np.exp(-dividend * t))

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = dividend * s / (rate * k)
        gap = dividend - rate
        stationary = np.where(
            (ratio > 0.0) & (gap != 0.0), np.log(np.where(ratio > 0.0, ratio, 1.0)) / gap, 0.0
        )
    stationary = np.clip(np.nan_to_num(stationary, nan=0.0, posinf=0.0, neginf=0.0), 0.0, elapsed)
    best = np.maximum(
        np.maximum(exercised(np.zeros_like(elapsed)), exercised(elapsed)), exercised(stationary)
    )
    return np.maximum(best, 0.0)


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
        np.broadcast_to(as_float_array(a), shape).ravel() for a in (price, S, K, T, r, q)
    )
    call_, american_, future_ = (
        np.broadcast_to(as_bool_array(a), shape).ravel() for a in (is_call, is_american, on_future)
    )
    keys = np.column_stack([price_, S_, K_, T_, r_, q_, call_, american_, future_]).astype(np.float64)
    solved = _SOLVED.get_or_compute(
        keys,
        lambda i: _solve(price_[i], S_[i], K_[i], T_[i], r_[i], q_[i], call_[i], american_[i], future_[i])[
            :, None
        ],
    )
    return solved[:, 0].reshape(shape).copy()


def _solve(
    price_: FloatArray,
    S_: FloatArray,
    K_: FloatArray,
    T_: FloatArray,
    r_: FloatArray,
    q_: FloatArray,
    call_: BoolArray,
    american_: BoolArray,
    future_: BoolArray,
) -> FloatArray:
    """:func:`implied_volatility` on 1-D arrays, without the cache."""
    ok, lower, upper = _bracket(price_, S_, K_, T_, r_, q_, call_, american_, future_)
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
    return sigma


_SOLVED: Final = ContractCache(1)


def _bracket(
    price: FloatArray,
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    r: FloatArray,
    q: FloatArray,
    is_call: BoolArray,
    is_american: BoolArray,
    on_future: BoolArray,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """:func:`iv_bounds`, pricing an American option at the ends of the range only when needed.

    The American value lies between ``max(intrinsic, European)`` and that plus the largest
    early-exercise premium, ``K' (1 - e^{-r' T})`` on the put side (strike ``K'``, rate ``r'``;
    the kernel's premium integral is bounded so, its dividend term being ≤ 0 for ``q' >= 0``).
    A price at or above that cap at ``SIGMA_MIN`` and at or below the floor at ``SIGMA_MAX`` is
    surely invertible: its bounds come back as ∓inf (the solver then brackets by volatility alone)
    and only the other American options are priced at ``SIGMA_MIN`` and ``SIGMA_MAX``.
    """
    q_eff = np.where(on_future, r, q)
    lower = bsm(S, K, T, r, q_eff, SIGMA_MIN, is_call)
    upper = bsm(S, K, T, r, q_eff, SIGMA_MAX, is_call)
    tolerance = _iv_tolerance(price)
    ok = np.isfinite(price) & (T > 0.0) & (price >= lower - tolerance) & (price <= upper + tolerance)
    american = np.flatnonzero(is_american)
    if not len(american):
        return ok, lower, upper
    a = american
    intrinsic = intrinsic_value(S[a], K[a], is_call[a])
    put_strike = np.where(is_call[a], S[a], K[a])
    put_r = np.where(is_call[a], q_eff[a], r[a])
    put_q = np.where(is_call[a], r[a], q_eff[a])
    cap = put_strike * -np.expm1(-np.maximum(put_r, 0.0) * np.maximum(T[a], 0.0)) * (1.0 + 1e-9)
    lower_cap = np.maximum(intrinsic, lower[a] + cap)
    upper_floor = np.maximum(intrinsic, upper[a])
    p, tol = price[a], tolerance[a]
    sure = np.isfinite(p) & (T[a] > 0.0) & (put_q >= 0.0) & (p >= lower_cap + tol) & (p <= upper_floor - tol)
    lower[a[sure]], upper[a[sure]] = -np.inf, np.inf
    ok[a[sure]] = True
    rest = a[~sure]
    if len(rest):
        ok[rest], lower[rest], upper[rest] = iv_bounds(
            price[rest], S[rest], K[rest], T[rest], r[rest], q[rest], is_call[rest], True, on_future[rest]
        )
    return ok, lower, upper


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

        slope = bsm_vega(S[a], K[a], T[a], r[a], q[a], s)
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
    contract ``i``, asked only on failure), the ``price`` column and the bound the price breaks: the
    no-arbitrage lower or upper bound, or else the search's cap (a price below the upper bound that
    needs a volatility above :data:`SIGMA_MAX`)."""
    sigma = np.asarray(implied_volatility(price, S, K, T, r, q, is_call, is_american, on_future))
    failed = np.flatnonzero(np.isnan(sigma))
    if failed.size == 0:
        return sigma
    _, lower, upper = iv_bounds(price, S, K, T, r, q, is_call, is_american, on_future)
    shape = sigma.shape  # ``failed`` holds flat indices: every array below is flat
    quoted, lower, upper = (
        np.broadcast_to(np.asarray(x, dtype=np.float64), shape).ravel() for x in (price, lower, upper)
    )
    bound, bound_text = _upper_bounds((S, K, T, r, q, is_call, is_american, on_future), shape)
    problems: list[Problem] = []
    for i in failed:
        value, low, high = float(quoted[i]), float(lower[i]), float(upper[i])
        if value < low:
            why = f"is below {low:.6g}, its value at the lowest volatility (no-arbitrage lower bound)"
        elif value > float(bound[i]) + float(_iv_tolerance(np.asarray(value))):
            why = f"is above {float(bound[i]):.6g}, the no-arbitrage upper bound ({bound_text[i]})"
        elif value > high:
            why = (
                f"implies a volatility above the implied-volatility search's cap of {SIGMA_MAX:.0%} "
                f"(xlmargin.pricing.SIGMA_MAX), where the option is worth {high:.6g}"
            )
        else:
            why = f"could not be inverted (bounds {low:.6g} to {high:.6g})"
        message = f"price {value:g} {why}: no implied volatility; {NO_VOLATILITY_FIX}"
        problems.extend(Problem(message, int(row), "price") for row in rows_of(int(i)))
    raise InputError(sorted(problems, key=lambda p: p.row or 0))


def _upper_bounds(args: Sequence[ArrayLike], shape: tuple[int, ...]) -> tuple[FloatArray, list[str]]:
    """The no-arbitrage upper bound of each option's price and how it is made (for a message), from
    ``args`` = ``(S, K, T, r, q, is_call, is_american, on_future)`` broadcast to ``shape``, flat: a
    call is worth at most its underlying (``S``; ``S e^{-qT}`` European, ``q = r`` on a future), a
    put at most its strike (``K``; ``K e^{-rT}`` European)."""
    S, K, T, r, q, call, american, future = (np.broadcast_to(np.asarray(x), shape).ravel() for x in args)
    call, american = call.astype(bool), american.astype(bool)
    T = np.maximum(T.astype(np.float64), 0.0)
    q = np.where(future.astype(bool), r, q)
    bound = np.where(
        call, S * np.where(american, 1.0, np.exp(-q * T)), K * np.where(american, 1.0, np.exp(-r * T))
    )
    texts = [
        ("the underlying's price" if a else "the underlying's price discounted at its yield")
        if c
        else ("the strike" if a else "the strike discounted at the rate")
        for c, a in zip(call.tolist(), american.tolist(), strict=True)
    ]
    return np.asarray(bound, dtype=np.float64), texts


def rows_implied_volatility(
    a: Mapping[str, np.ndarray], rows: IntArray, rate: float, strict: bool = True
) -> FloatArray:
    """The volatility each option row ``rows`` of a book's columns ``a`` implies from its price: the
    kernel's arguments read from the rows (``price``, ``underlying_price``, ``strike``,
    ``expiry_years``, ``dividend_yield``, ``right``, ``style``, ``type``: an option on a future is
    priced on its future). ``strict``: one :class:`~xlmargin.errors.InputError` naming the table's
    row (the ``row`` column) and price of every one no volatility reproduces
    (:func:`implied_volatility_or_error`); else NaN there (:func:`implied_volatility`)."""
    args = (
        a["price"][rows], a["underlying_price"][rows], a["strike"][rows], a["expiry_years"][rows], rate,
        a["dividend_yield"][rows], a["right"][rows] == "C", a["style"][rows] == "american",
        a["type"][rows] == "future_option",
    )  # fmt: skip
    if not strict:
        return np.asarray(implied_volatility(*args), dtype=np.float64)
    return implied_volatility_or_error(*args, lambda i: [int(a["row"][rows[i]])])
