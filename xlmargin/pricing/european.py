"""European prices (the one Black formula), shared helpers and the numeric floor of the kernel.

See :mod:`xlmargin.pricing` for the symbols and the methods.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from xlmargin._typing import BoolArray, FloatArray

_Scalar = TypeVar("_Scalar", bound=np.generic)

# Relative size below which a term is dropped: an option with total volatility sigma sqrt(T)
# below it is priced at zero volatility (the time value left out is below that fraction of the
# forward), and one whose put-side r T is below it has no early-exercise premium (the premium is
# at most r T times the strike).
NEGLIGIBLE: Final = 1e-12

INV_SQRT_2PI: Final = 1.0 / np.sqrt(2.0 * np.pi)


def ndtr(x: Any, *args: Any, **kwargs: Any) -> Any:
    """The standard normal distribution function (``scipy.special.ndtr``), imported on first use so
    that a book without options (and every command that prices none) never loads scipy.special."""
    from scipy.special import ndtr as scipy_ndtr

    return scipy_ndtr(x, *args, **kwargs)


def norm_pdf(x: FloatArray) -> FloatArray:
    return INV_SQRT_2PI * np.exp(-0.5 * x * x)


def as_float_array(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def as_bool_array(x: ArrayLike) -> BoolArray:
    return np.asarray(x, dtype=np.bool_)


def flat(a: NDArray[_Scalar], shape: tuple[int, ...]) -> NDArray[_Scalar]:
    """``a`` broadcast to ``shape`` and flattened (a copy only where broadcasting repeats)."""
    return np.broadcast_to(a, shape).ravel()


def select(flag: BoolArray, if_true: FloatArray, if_false: FloatArray) -> FloatArray:
    """``np.where(flag, if_true, if_false)``, a read-only view of one of them where every flag is the
    same (a block of calls or of puts): no pass over the grid, and the same numbers."""
    if flag.all() or not flag.any():
        shape = np.broadcast_shapes(flag.shape, np.shape(if_true), np.shape(if_false))
        return np.broadcast_to(if_true if flag.all() else if_false, shape)
    return np.where(flag, if_true, if_false)


def intrinsic_value(S: FloatArray, K: FloatArray, is_call: BoolArray) -> FloatArray:
    if is_call.all():  # (one right: a difference less, and no selection)
        return np.maximum(select(is_call, S - K, K), 0.0)
    if not is_call.any():
        return np.maximum(select(is_call, S, K - S), 0.0)
    return np.maximum(np.where(is_call, S - K, K - S), 0.0)


def total_std_dev(T: FloatArray, sigma: FloatArray) -> FloatArray:
    """Total volatility ``sigma sqrt(T)``, zero when expired."""
    return sigma * np.sqrt(np.maximum(T, 0.0))


def black(
    F: ArrayLike, K: ArrayLike, T: ArrayLike, r: ArrayLike, sigma: ArrayLike, is_call: ArrayLike
) -> FloatArray:
    """Black (1976) price of a European option on a forward ``F``, discounted at ``r``.

    ``exp(-r T) (F N(d1) - K N(d2))`` for a call, ``exp(-r T) (K N(-d2) - F N(-d1))`` for a put,
    with ``d1,2 = ln(F / K) / (sigma sqrt(T)) +- sigma sqrt(T) / 2``. With zero total volatility
    the value is the discounted intrinsic value of the forward; at and after expiry (``T <= 0``)
    it is the intrinsic value ``max(+-(F - K), 0)``.
    """
    F, K, T, r, sigma = (as_float_array(a) for a in (F, K, T, r, sigma))
    is_call = as_bool_array(is_call)
    sign = np.where(is_call, 1.0, -1.0)
    std_dev = total_std_dev(T, sigma)
    has_vol = std_dev > NEGLIGIBLE
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
    S, T, r, q = (as_float_array(a) for a in (S, T, r, q))
    F = S * np.exp((r - q) * np.maximum(T, 0.0))
    return black(F, K, T, r, sigma, is_call)


def bsm_vega(
    S: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray, q: FloatArray, sigma: FloatArray
) -> FloatArray:
    """dBSM/dsigma ``= S exp(-q T) n(d1) sqrt(T)``, for ``T > 0`` and ``sigma > 0``."""
    std_dev = total_std_dev(T, sigma)
    d1 = (np.log(S / K) + (r - q) * T) / std_dev + 0.5 * std_dev
    return S * np.exp(-q * T) * norm_pdf(d1) * np.sqrt(T)


def bsm_moved(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    growth: ArrayLike,
) -> FloatArray:
    """``bsm(S * growth, K, T, r, q, sigma, is_call)``, equal to rounding, for spots moved by ratios.

    For a grid of contracts (terms with a length-1 axis, e.g. ``(n, 1)``) and spot ratios
    (``growth``, e.g. ``(1, m)`` or ``(n, m)``; ``sigma`` may have a column per ratio too):
    ``ln(F / K)``, the forward and the discount factor are computed once per contract and
    ``ln(growth)`` once per ratio, so a point costs its two normal distribution values and a few
    products instead of a logarithm and a quotient more. ``growth`` must be positive.
    """
    S, K, T, r, q, sigma, growth = (as_float_array(a) for a in (S, K, T, r, q, sigma, growth))
    is_call = as_bool_array(is_call)
    elapsed = np.maximum(T, 0.0)
    forward = S * np.exp((r - q) * elapsed)
    sign = np.where(is_call, 1.0, -1.0)
    # The call/put sign rides on the total volatility: ``sigma (sign sqrt(T))`` is exactly
    # ``sign sigma sqrt(T)`` (a product by 1 or -1 is exact), one product per point, and dividing
    # by it gives d1 and d2 signed without a pass of their own.
    root = np.sqrt(elapsed)
    signed = sigma * (sign * root)
    all_vol = _all_volatile(sigma, root)
    if not all_vol:
        has_vol = np.abs(signed) > NEGLIGIBLE
        signed = np.where(has_vol, signed, sign)
    shape = np.broadcast_shapes(forward.shape, np.shape(growth), K.shape, signed.shape, np.shape(r))
    # In place from here: at the sizes of a scenario grid a fresh array costs as much as the
    # arithmetic on it.
    # d1 = (ln(F / K) + ln(g)) / s + s / 2 whether the volatility is per contract or per point:
    # a point priced either way gets the same bits (the VIX layer reuses prices at sigma)
    d1 = np.add(np.log(forward / K), np.log(growth), out=np.empty(shape))
    d1 /= signed
    d1 += 0.5 * signed
    d2 = np.subtract(d1, signed, out=np.empty(shape))
    # sign e^{-rT} (F g N(d1) - K N(d2)): the sign and the discount factor meet F and K once per
    # contract, and the spot ratio meets N(d1)
    discount = sign * np.exp(-r * elapsed)
    value = ndtr(d1, out=d1)
    value *= growth
    value *= discount * forward
    value -= np.multiply(ndtr(d2, out=d2), discount * K, out=d2)
    if not all_vol:  # zero volatility: the forward's discounted intrinsic value
        gain = np.maximum(sign * (forward * growth - K), 0.0)
        np.copyto(value, gain * (discount * sign), where=~has_vol)
    return np.maximum(value, 0.0, out=value)


def _all_volatile(sigma: FloatArray, root: FloatArray) -> bool:
    """Whether every point's total volatility ``sigma sqrt(T)`` (``root`` the square root of the time
    to expiry) exceeds :data:`NEGLIGIBLE`: first from the least volatility and the least root, two
    reductions without a pass over the products (a product of numbers >= 0 rounds monotonically,
    so the least of them is at least the product of the least)."""
    if sigma.size and root.size and float(np.min(sigma)) * float(np.min(root)) > NEGLIGIBLE:
        return True
    return bool((sigma * root > NEGLIGIBLE).all())
