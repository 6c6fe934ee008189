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
  ``C(S, K, r, q) = P(K, S, q, r)``. Where that fixed point does not converge (a put-side drift
  that outweighs the volatility) and where early exercise pays at a put-side rate at or below zero
  (``q < r <= 0``, including the double boundary of Battauz, De Donno & Sbuelz 2015), the premium
  comes from a finite-difference grid instead (``finite_difference``; Ikonen & Toivanen 2004).
  Accuracy and speed are measured in ``tests/test_pricing.py``, ``tests/test_pricing_regimes.py``
  and ``benchmarks/bench_pricing.py``; closed-form approximations were measured too and rejected
  (Ju & Zhong 1999 and QD+ are up to 2% off for long-dated, low-volatility puts).
- Implied volatility: Newton steps inside a shrinking bisection bracket, vectorised.
"""

from xlmargin.pricing.american import american, option_price, option_prices, solve_exercise_boundaries
from xlmargin.pricing.contracts import clear_caches
from xlmargin.pricing.european import black, bsm
from xlmargin.pricing.implied import (
    SIGMA_MAX,
    SIGMA_MIN,
    implied_volatility,
    implied_volatility_or_error,
    iv_bounds,
    rows_implied_volatility,
)

__all__ = [
    "SIGMA_MAX",
    "SIGMA_MIN",
    "american",
    "black",
    "bsm",
    "clear_caches",
    "implied_volatility",
    "implied_volatility_or_error",
    "iv_bounds",
    "option_price",
    "option_prices",
    "rows_implied_volatility",
    "solve_exercise_boundaries",
]
