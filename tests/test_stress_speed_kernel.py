"""``option_price(..., growth)``, the stress view's call, prices as ``option_price`` at the moved spots.

The stress P&L revalues each contract at spot ratios S'/S (one per distinct scenario move) through
``option_price`` with ``growth``, which computes ``ln(F / K)`` once per contract and ``ln(S'/S)`` once per
ratio. It must give ``option_price(S * ratio, ...)`` to rounding in every case the kernel handles:
calls and puts, European and American (with and without an early-exercise premium), options on
futures, expired contracts, zero volatility, negative rates, a volatility per point (the VIX
layer) and ratios per contract.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_pricing_kernel import _contracts
from xlmargin.pricing import option_price

RATIOS = np.array([1.0, 0.7, 0.93, 1.0001, 1.25, 1e-6, 3.0])


def _column(seed: int) -> dict[str, np.ndarray]:
    c = {k: v[:, None] for k, v in _contracts(80, seed).items()}
    c["T"][:4] = [[0.0], [-0.01], [1e-9], [2.0]]  # expired, past expiry, nearly expired
    c["sigma"][4:6] = 0.0  # no volatility: the discounted intrinsic value of the forward
    c["r"][6:10] = -0.01  # a negative rate
    return c


def _price_both(c: dict[str, np.ndarray], sigma: np.ndarray, growth: np.ndarray) -> tuple:
    terms = (c["K"], c["T"], c["r"], c["q"], sigma, c["is_call"], c["is_american"], c["on_future"])
    return option_price(c["S"], *terms, growth), option_price(c["S"] * growth, *terms)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_moved_prices_equal_the_kernel_at_the_moved_spots(seed: int) -> None:
    c = _column(seed)
    rng = np.random.default_rng(seed)
    per_point = np.maximum(c["sigma"] + rng.uniform(-0.1, 0.3, (1, RATIOS.size)), 0.0)
    per_contract = rng.uniform(0.5, 1.5, (len(c["S"]), RATIOS.size))
    for sigma, growth in (
        (c["sigma"], RATIOS[None, :]),  # contracts against one row of ratios
        (per_point, RATIOS[None, :]),  # a volatility per point: the VIX layer
        (c["sigma"], per_contract),  # ratios per contract
    ):
        moved, expected = _price_both(c, sigma, growth)
        assert moved.shape == expected.shape
        scale = np.broadcast_to(c["S"] * growth + c["K"], moved.shape)
        assert np.all(np.abs(moved - expected) <= 1e-12 * scale)
        assert np.all(moved >= 0.0)


def test_moved_prices_keep_the_american_floor_and_premium() -> None:
    c = _column(4)
    moved, expected = _price_both(c, c["sigma"], RATIOS[None, :])
    american = np.broadcast_to(c["is_american"], moved.shape)
    spots = c["S"] * RATIOS
    intrinsic = np.maximum(np.where(c["is_call"], spots - c["K"], c["K"] - spots), 0.0)
    assert np.all(moved[american] >= intrinsic[american] - 1e-12 * c["K"].max())
    # some American prices carry an early-exercise premium over the European one
    european = option_price(
        spots, c["K"], c["T"], c["r"], c["q"], c["sigma"], c["is_call"], False, c["on_future"]
    )
    assert (moved[american] > european[american] + 1e-6).any()
    assert moved == pytest.approx(expected, rel=1e-12, abs=1e-12)
