"""The pricing caches change no result: warm equals cold, and the cache stays within its bound.

Why these hold: a cached row is the kernel's own output for exactly the same float inputs (keys
compare raw bytes), and every kernel result depends only on the inputs in its key.
"""

from __future__ import annotations

import numpy as np
import pytest

from xlmargin.pricing import clear_caches, implied_volatility, iv_bounds, option_price
from xlmargin.pricing import implied as implied_module
from xlmargin.pricing.contracts import ContractCache, LastCall


def _contracts(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    S = rng.uniform(50.0, 150.0, n)
    K = rng.uniform(60.0, 140.0, n)
    T = rng.choice([0.02, 0.25, 1.0, 2.0], n)
    r = rng.choice([0.0, 0.03, 0.08], n)
    q = rng.choice([0.0, 0.02, 0.06], n)
    sigma = rng.uniform(0.08, 0.9, n)
    call = rng.random(n) < 0.5
    american = rng.random(n) < 0.7
    return S, K, T, r, q, sigma, call, american


@pytest.mark.parametrize("seed", [1, 2])
def test_american_prices_are_the_same_warm_and_cold(seed: int) -> None:
    S, K, T, r, q, sigma, call, american = _contracts(300, seed)
    clear_caches()
    cold = option_price(S, K, T, r, q, sigma, call, american)
    warm = option_price(S, K, T, r, q, sigma, call, american)
    np.testing.assert_array_equal(warm, cold)
    moved = option_price(S * 1.1, K, T, r, q, sigma, call, american)  # same boundaries, new spots
    clear_caches()
    np.testing.assert_allclose(moved, option_price(S * 1.1, K, T, r, q, sigma, call, american), rtol=1e-13)


@pytest.mark.parametrize("seed", [3, 4])
def test_implied_vol_is_the_same_warm_cold_and_with_every_bound_priced(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    S, K, T, r, q, sigma, call, american = _contracts(300, seed)
    price = option_price(S, K, T, r, q, sigma, call, american)
    price[:5] = -1.0  # not invertible: NaN whichever path
    clear_caches()
    cold = implied_volatility(price, S, K, T, r, q, call, american)
    warm = implied_volatility(price, S, K, T, r, q, call, american)
    np.testing.assert_array_equal(warm, cold)
    assert np.isnan(cold[:5]).all()
    ok = iv_bounds(price, S, K, T, r, q, call, american)[0]
    np.testing.assert_array_equal(~np.isnan(cold), ok)  # the documented NaN contract
    # Every American option priced at both ends of the range, as before the premium-cap shortcut:
    monkeypatch.setattr(implied_module, "_bracket", iv_bounds)
    clear_caches()
    full = implied_volatility(price, S, K, T, r, q, call, american)
    np.testing.assert_array_equal(np.isnan(full), np.isnan(cold))
    reprice = option_price(S, K, T, r, q, np.nan_to_num(cold, nan=0.2), call, american)
    tolerance = np.maximum(1e-8 * np.abs(price), 1e-10)
    assert (np.abs(reprice - price)[ok] <= tolerance[ok]).all()


def test_contract_cache_stays_within_its_bound_and_computes_each_missing_key_once() -> None:
    cache = ContractCache(2, max_entries=100)
    asked: list[int] = []

    def compute(rows: np.ndarray) -> np.ndarray:
        asked.append(len(rows))
        return np.column_stack([keys[rows, 0] * 2.0, keys[rows, 1] + 1.0])

    keys = np.column_stack([np.arange(250.0) % 130.0, np.ones(250)])
    out = cache.get_or_compute(keys, compute)
    np.testing.assert_array_equal(out[:, 0], keys[:, 0] * 2.0)
    assert asked == [130]  # 250 rows, 130 distinct keys
    assert len(cache) <= 100
    again = cache.get_or_compute(keys[-10:], compute)
    np.testing.assert_array_equal(again, out[-10:])
    assert asked == [130]  # the newest keys are kept


def test_contract_cache_computes_the_first_row_of_each_missing_key_in_order() -> None:
    # a first call misses every key, a later one some: either way the rows handed to ``compute``
    # are each missing key's first row, in the order of the keys (a batch's solve sees its
    # contracts in the same order however many of them were cached)
    cache = ContractCache(1)
    asked: list[list[int]] = []

    def compute(rows: np.ndarray) -> np.ndarray:
        asked.append(rows.tolist())
        return keys[rows, :1] * 10.0

    keys = np.array([[3.0], [1.0], [3.0], [2.0], [1.0], [4.0]])
    np.testing.assert_array_equal(cache.get_or_compute(keys, compute)[:, 0], keys[:, 0] * 10.0)
    assert asked == [[0, 1, 3, 5]]
    keys = np.array([[5.0], [1.0], [6.0], [5.0], [7.0], [6.0]])
    np.testing.assert_array_equal(cache.get_or_compute(keys, compute)[:, 0], keys[:, 0] * 10.0)
    assert asked[1] == [0, 2, 4]


def test_last_call_is_returned_only_for_exactly_the_same_inputs() -> None:
    memo = LastCall()
    inputs = (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.05]))
    result = (np.array([10.0, 20.0]),)
    assert memo.get(inputs) is None
    memo.put(inputs, result)
    assert memo.get((inputs[0].copy(), inputs[1].copy())) is result
    assert not result[0].flags.writeable  # a caller cannot change what the next call gets
    inputs[0][0, 0] = 1.0 + 1e-15  # the memo kept its own copy: the caller's array may change
    assert memo.get(inputs) is None
    assert memo.get((np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.05]))) is result
    assert memo.get((np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([np.nextafter(0.05, 1.0)]))) is None
    assert memo.get((np.array([[1, 2], [3, 4]]), np.array([0.05]))) is None  # another dtype
    assert memo.get((np.array([[1.0, 2.0]]), np.array([0.05]))) is None  # another shape
    clear_caches()
    assert memo.get((np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.05]))) is None
