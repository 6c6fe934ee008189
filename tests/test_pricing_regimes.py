"""American prices where the integral equation does not reach: low volatility against a large
put-side drift, and put-side rates at or below zero (review R6 of the pricing kernel).

Reference figures are QuantLib 1.44 (``QdFpAmericanEngine``, high-precision scheme; where it
refuses the double boundary, the 2,000 x 2,000 ``FdBlackScholesVanillaEngine`` and the 5,001-step
Leisen-Reimer tree, which agree within 0.002), computed by the R6 review (/tmp/R6_work:
kernel_ql.json, shy_ql.json, corner_ql.json) and for the double boundary by this change, stored
here as literals. Tolerance: 0.003 on a strike of 100 (the README's accuracy for the integral
equation, 0.0027 worst on 3,000 random contracts).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import xlmargin
from xlmargin.pricing import option_price

DATA = Path(__file__).parent / "data"
TOLERANCE = 0.003

# (source, S, K, days, sigma, r, q, right, QuantLib price)
QUANTLIB_CASES = [
    # Defect 1: small sigma sqrt(T) against a large (r - q) T (the old kernel: 6.8e-7, 0.513, 0.730)
    ("R6 shy_ql ATM put 1% vol 1y", 100, 100, 365, 0.01, 0.045, 0.0, "P", 0.0408528),
    ("R6 shy_ql ATM put 2% vol 2y", 100, 100, 730, 0.02, 0.045, 0.0, "P", 0.16313),
    ("R6 shy_ql ITM put 5% vol 2y", 98, 100, 730, 0.05, 0.045, 0.0, "P", 2.06885),
    ("R6 corner_ql ATM put 5% vol 3y", 100, 100, 1095, 0.05, 0.08, 0.0, "P", 0.57014),
    ("R6 corner_ql ATM put 5% vol 5y", 100, 100, 1825, 0.05, 0.08, 0.0, "P", 0.57035),
    ("R6 corner_ql ITM put 15% vol 3y", 90, 100, 1095, 0.15, 0.08, 0.0, "P", 10.11723),
    ("wpY QdFp ATM put 2% vol 5y", 100, 100, 1825, 0.02, 0.08, 0.0, "P", 0.0918551),
    ("wpY QdFp ATM call 5% vol 3y r=0 q=8%", 100, 100, 1095, 0.05, 0.0, 0.08, "C", 0.570143),
    # Defect 2: a call at r < 0 = q is the put P(K, S, 0, r), whose negative dividend makes
    # holding costly (the old kernel: European, 100.444)
    ("R6 kernel_ql call r=-1% 3y", 200, 100, 1095, 0.3, -0.01, 0.0, "C", 101.48018),
    ("R6 kernel_ql call r=-1% 3y 15% vol", 120, 100, 1095, 0.15, -0.01, 0.0, "C", 22.54799),
    ("R6 kernel_ql call r=-1% 3y 5% vol", 105, 100, 1095, 0.05, -0.01, 0.0, "C", 5.44844),
    ("wpY QdFp put r=0 q=-2%", 90, 100, 1095, 0.2, 0.0, -0.02, "P", 16.41964),
    # Double boundary q < r < 0 (Battauz et al. 2015): QuantLib FD 2000x2000 (QdFp refuses it)
    ("wpY QL-FD put r=-1% q=-3% 1y", 100, 100, 365, 0.2, -0.01, -0.03, "P", 7.25700),
    ("wpY QL-FD put r=-1% q=-3% 3y", 90, 100, 1095, 0.2, -0.01, -0.03, "P", 16.69606),
    ("wpY QL-FD call r=-3% q=-1% 2y", 100, 100, 730, 0.3, -0.03, -0.01, "C", 15.61436),
    ("wpY QL-FD call r=-3% q=-1% 3y", 120, 100, 1095, 0.15, -0.03, -0.01, "C", 21.68915),
]


@pytest.mark.parametrize(
    ("source", "S", "K", "days", "sigma", "r", "q", "right", "expected"),
    QUANTLIB_CASES,
    ids=[c[0] for c in QUANTLIB_CASES],
)
def test_american_matches_quantlib_outside_the_integral_equation(
    source: str, S: float, K: float, days: int, sigma: float, r: float, q: float, right: str, expected: float
) -> None:
    value = float(option_price(S, K, days / 365, r, q, sigma, right == "C", True))
    assert value == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("sigma", [0.01, 0.03, 0.05])
@pytest.mark.parametrize("rate", [0.045, 0.08])
@pytest.mark.parametrize("is_call", [False, True])
def test_american_value_never_falls_as_expiry_grows(sigma: float, rate: float, is_call: bool) -> None:
    """A longer American option holds every right of a shorter one, so its value is at least as
    large (same other terms). The old kernel broke this at sigma 5%, r 8% (0.584 at 1.5y, 0.513 at
    3y). A call is priced with the dividend yield at ``rate`` and r = 0 (its put side)."""
    expiries = np.array([0.25, 0.5, 1.0, 2.0, 3.0, 5.0])
    spots = np.array([97.0, 100.0, 103.0])
    r, q = (0.0, rate) if is_call else (rate, 0.0)
    values = option_price(spots[None, :], 100.0, expiries[:, None], r, q, sigma, is_call, True)
    # Slack: the grid's error, far below the tolerance against QuantLib.
    assert (np.diff(values, axis=0) >= -1e-4).all(), values


AS_OF = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("book", "rate", "hand"),
    [
        # Hand figures of review R6 (/tmp/R6_work/pm/hand*.py: each scenario priced by QuantLib 1.44
        # QdFp). The old kernel gave 1,000.00, 14,486.75 and 16,085.24.
        ("N_lowvol_etf_put_1y.csv", 0.045, 966.50),
        ("G_lowvol_longdated_put.csv", 0.08, 14429.86),
        ("H_negrate_itm_call.csv", -0.01, 15758.95),
    ],
)
def test_pm_books_outside_the_integral_equation_match_the_hand_figures(
    book: str, rate: float, hand: float
) -> None:
    """Within $0.50 a book of 10 contracts of 100: 0.0005 a share, the QuantLib reference's own
    spread (QdFp against its finite-difference engine) on these contracts."""
    requirement = xlmargin.pm_requirement(DATA / book, as_of=AS_OF, rate=rate)
    assert float(requirement) == pytest.approx(hand, abs=0.50)


def test_the_zero_volatility_american_value_is_the_best_exercise_time() -> None:
    """iv_bounds' lower end for American options (closed form, no grid solve): against the best of
    2,001 exercise times along the forward's certain path, every sign of r and q."""
    from xlmargin.pricing.implied import zero_volatility_american

    rng = np.random.default_rng(7)
    n = 400
    S, K = rng.uniform(50, 150, n), rng.uniform(50, 150, n)
    T, r, q = rng.uniform(0.0, 5.0, n), rng.uniform(-0.05, 0.1, n), rng.uniform(-0.05, 0.1, n)
    is_call = rng.random(n) < 0.5
    got = zero_volatility_american(S, K, T, r, q, is_call)
    t = T[:, None] * np.linspace(0.0, 1.0, 2001)[None, :]
    forward = S[:, None] * np.exp((r - q)[:, None] * t)
    payoff = np.where(is_call[:, None], forward - K[:, None], K[:, None] - forward)
    brute = np.maximum(np.exp(-r[:, None] * t) * payoff, 0.0).max(axis=1)
    assert np.all(got >= brute - 1e-9)
    assert np.allclose(got, brute, rtol=0.0, atol=1e-4)


def _counted_solves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of contracts of every grid solve from now on (``finite_difference._solve``
    wrapped); the pricing caches cleared."""
    from xlmargin.pricing import clear_caches
    from xlmargin.pricing import finite_difference as fd

    sizes: list[int] = []
    solve = fd._solve

    def counting(*args: Any) -> Any:
        sizes.append(len(args[0]))
        return solve(*args)

    monkeypatch.setattr(fd, "_solve", counting)
    clear_caches()
    return sizes


def test_grid_contracts_are_solved_once_and_the_cache_bound_loses_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A contract repeated (its spots priced as separate elements) is solved once; a call that
    overflows the kept grids still returns the ones it found kept (it raised KeyError)."""
    from xlmargin.pricing import clear_caches
    from xlmargin.pricing import finite_difference as fd

    sizes = _counted_solves(monkeypatch)
    monkeypatch.setattr(fd, "_SOLVED_MAX", 2)
    T = np.array([1.0, 1.0, 1.0, 1.5])  # low volatility against r = 4.5%: on the grid
    spots = np.array([99.0, 100.0, 101.0, 100.0])
    values = option_price(spots, 100.0, T, 0.045, 0.0, 0.01, False, True)
    assert sizes == [2]  # two contracts, the one-year one priced at three spots
    # two grids kept, the bound is 2: a third clears them, and the kept one-year grid still serves
    again = option_price(np.array([100.0, 100.0]), 100.0, np.array([1.0, 2.0]), 0.045, 0.0, 0.01, False, True)
    assert sizes == [2, 1] and again[0] == values[1]
    clear_caches()
    alone = [
        float(option_price(s, 100.0, t, 0.045, 0.0, 0.01, False, True)) for s, t in zip(spots, T, strict=True)
    ]
    assert values.tolist() == pytest.approx(alone, abs=1e-12)


def test_a_contract_with_no_spot_on_its_grid_is_not_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    """At the implied-volatility search's floor (sigma 1e-4, review of the benchmark book: one
    contract priced at its zero-volatility value) a put at r = 4% has a grid a sliver around the
    strike: spots off it take a premium of zero without a solve (it cost a 2,561-point solve, some
    55 ms), and their values are the zero-volatility ones; a spot on the grid is still solved."""
    from xlmargin.pricing.implied import SIGMA_MIN, zero_volatility_american

    solved = _counted_solves(monkeypatch)
    spots = np.array([85.0, 95.0, 105.0, 115.0])
    values = option_price(spots, 100.0, 1.5, 0.04, 0.0, SIGMA_MIN, False, True)
    assert solved == []
    zero = zero_volatility_american(
        spots, np.full(4, 100.0), np.full(4, 1.5), np.full(4, 0.04), np.zeros(4), np.zeros(4, bool)
    )
    assert values == pytest.approx(zero, abs=1e-9)
    option_price(100.0, 100.0, 1.5, 0.04, 0.0, SIGMA_MIN, False, True)
    assert solved == [1]
