"""Slow, obviously correct option prices: the reference the fast kernel is tested against.

Nothing here is used by the engine. Each function prices ONE option, written the way a textbook
writes it, so that a reader can check it line by line; speed is not a goal.

Symbols as in ``xlmargin.pricing``: spot (or futures price) ``S``, strike ``K``, time to expiry in
years ``T``, continuously compounded risk-free rate ``r``, continuous dividend yield ``q`` and
volatility ``sigma``.

- ``bsm_scalar``: Black & Scholes (1973) with Merton's (1973) continuous dividend yield, using only
  ``math``. For an option on a future pass ``q = r`` (Black 1976).
- ``crr_binomial``: Cox, Ross & Rubinstein (1979), "Option pricing: a simplified approach",
  J. Financial Economics 7, 229-263, with the dividend yield in the risk-neutral drift, European or
  American. For an option on a future pass ``q = r`` (the futures price has zero drift).
"""

from __future__ import annotations

import math

import numpy as np


def _norm_cdf(x: float) -> float:
    """Standard normal cumulative distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def bsm_scalar(S: float, K: float, T: float, r: float, q: float, sigma: float, is_call: bool) -> float:
    """European option price under Black-Scholes-Merton with continuous dividend yield ``q``.

    At and after expiry (``T <= 0``) the value is the intrinsic value.
    """
    if T <= 0.0:
        return max(S - K, 0.0) if is_call else max(K - S, 0.0)
    vol = sigma * math.sqrt(T)
    d1 = (math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / vol
    d2 = d1 - vol
    if is_call:
        return S * math.exp(-q * T) * _norm_cdf(d1) - K * math.exp(-r * T) * _norm_cdf(d2)
    return K * math.exp(-r * T) * _norm_cdf(-d2) - S * math.exp(-q * T) * _norm_cdf(-d1)


def crr_binomial(
    S: float,
    K: float,
    T: float,
    r: float,
    q: float,
    sigma: float,
    is_call: bool,
    american: bool,
    steps: int = 2000,
) -> float:
    """Option price on a Cox-Ross-Rubinstein binomial tree with ``steps`` time steps.

    Up factor ``u = exp(sigma sqrt(dt))``, down factor ``d = 1/u``, risk-neutral up probability
    ``p = (exp((r - q) dt) - d) / (u - d)``, one-step discount ``exp(-r dt)``. An American option
    takes the larger of continuation and immediate exercise at every node. At and after expiry
    (``T <= 0``) the value is the intrinsic value.
    """
    sign = 1.0 if is_call else -1.0
    if T <= 0.0:
        return max(sign * (S - K), 0.0)
    dt = T / steps
    u = math.exp(sigma * math.sqrt(dt))
    d = 1.0 / u
    p = (math.exp((r - q) * dt) - d) / (u - d)
    if not 0.0 < p < 1.0:
        raise ValueError(f"no-arbitrage violated on the tree (p = {p}); use more steps")
    discount = math.exp(-r * dt)

    def spots(step: int) -> np.ndarray:
        """Underlying prices at the ``step + 1`` nodes of time ``step * dt``, lowest first."""
        return S * u ** (2.0 * np.arange(step + 1) - step)

    values = np.maximum(sign * (spots(steps) - K), 0.0)
    for step in range(steps - 1, -1, -1):
        values = discount * (p * values[1:] + (1.0 - p) * values[:-1])
        if american:
            values = np.maximum(values, sign * (spots(step) - K))
    return float(values[0])
