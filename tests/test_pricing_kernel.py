"""The American kernel's fast paths price exactly as the kernel did before them (issue 13).

``option_price`` skips the early-exercise step when no contract can have a premium, evaluates the
premium of contracts laid out ``(contracts, 1)`` against spots ``(contracts, m)`` by broadcasting
instead of a lookup per (contract, spot) pair, and drops the dividend term where the put-side
dividend is zero. None of that may move a price: the kernel is compared with

- ``frozen_early_exercise``, a copy of ``_early_exercise`` as it stood before the fast paths
  (commit 8d709bd), on random contracts in every layout, to 1e-12 relative;
- prices recorded from that commit (``tests/data/pricing_recorded.json``), to 1e-12 relative;
- ``pricing_reference``'s binomial tree stays covered by ``tests/test_pricing.py``.

Contracts that now go to the finite-difference grid (a put-side drift that outweighs the volatility,
where the frozen kernel's numbers were wrong: ``tests/test_pricing_regimes.py``) are left out of
both comparisons.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.pricing import clear_caches, option_price
from xlmargin.pricing.american import _PremiumIntegrand
from xlmargin.pricing.european import (
    NEGLIGIBLE,
    as_bool_array,
    as_float_array,
    bsm,
    flat,
    intrinsic_value,
    select,
    total_std_dev,
)

RECORDED = Path(__file__).parent / "data" / "pricing_recorded.json"
RELATIVE = 1e-12


def frozen_early_exercise(
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
    """``xlmargin.pricing.american._early_exercise`` at commit 8d709bd, premium lookup inlined."""
    contract_shape = np.broadcast_shapes(
        T.shape, r.shape, q.shape, sigma.shape, is_call.shape, is_american.shape
    )
    T_c, r_c, q_c, sigma_c = (flat(a, contract_shape) for a in (T, r, q, sigma))
    call_c, american_c = (flat(a, contract_shape) for a in (is_call, is_american))
    put_r = np.where(call_c, q_c, r_c)
    put_q = np.where(call_c, r_c, q_c)
    has_vol = total_std_dev(T_c, sigma_c) > NEGLIGIBLE
    needs_boundary = american_c & (put_r * T_c > NEGLIGIBLE) & has_vol

    value = np.where(is_american, np.maximum(european, intrinsic_value(S, K, is_call)), european)
    if not needs_boundary.any():
        return value
    shape = value.shape
    contract_of = flat(np.arange(needs_boundary.size).reshape(contract_shape), shape)
    elements = np.flatnonzero(needs_boundary[contract_of])
    contract = (np.cumsum(needs_boundary) - 1)[contract_of[elements]]
    integrand = _PremiumIntegrand.of(
        T_c[needs_boundary], put_r[needs_boundary], put_q[needs_boundary], sigma_c[needs_boundary]
    )
    S_e, K_e = (flat(a, shape)[elements] for a in (S, K))
    call_e = flat(is_call, shape)[elements]
    put_strike = np.where(call_e, S_e, K_e)
    x = np.where(call_e, K_e, S_e) / put_strike
    alive = x > integrand.exercise_boundary[contract]
    elements, x, put_strike, contract = elements[alive], x[alive], put_strike[alive], contract[alive]
    minus_d1 = np.log(x)[:, None] * integrand.minus_inv_std_dev[contract]
    minus_d1 += integrand.minus_d1_shift[contract]
    minus_d2 = minus_d1 + integrand.std_dev[contract]
    premium = put_strike * (
        np.einsum("ej,ej->e", integrand.weight_r[contract], ndtr(minus_d2))
        - x * np.einsum("ej,ej->e", integrand.weight_q[contract], ndtr(minus_d1))
    )
    result = value.ravel()
    result[elements] = np.maximum(result[elements], flat(european, shape)[elements] + premium)
    return result.reshape(shape)


def frozen_option_price(S, K, T, r, q, sigma, is_call, is_american, on_future=False) -> FloatArray:
    """``option_price`` at commit 8d709bd."""
    S, K, T, r, q, sigma = (as_float_array(a) for a in (S, K, T, r, q, sigma))
    is_call, is_american, on_future = (as_bool_array(a) for a in (is_call, is_american, on_future))
    q = np.where(on_future, r, q)
    is_call = np.broadcast_to(is_call, np.broadcast_shapes(is_call.shape, is_american.shape))
    european = bsm(S, K, T, r, q, sigma, is_call)
    if not is_american.any():
        return european
    return frozen_early_exercise(european, S, K, T, r, q, sigma, is_call, is_american)


def _contracts(n: int, seed: int) -> dict[str, np.ndarray]:
    """Random contracts (as ``tests/test_pricing.py``), a quarter with r = 0 and a quarter q = 0,
    so that calls without a put-side dividend and contracts without a premium are both common."""
    rng = np.random.default_rng(seed)
    K = rng.uniform(50.0, 150.0, n)
    return {
        "S": K * rng.uniform(0.6, 1.4, n),
        "K": K,
        "T": np.exp(rng.uniform(np.log(1 / 365), np.log(3.0), n)),
        "r": np.where(rng.random(n) < 0.25, 0.0, rng.uniform(0.0, 0.08, n)),
        "q": np.where(rng.random(n) < 0.25, 0.0, rng.uniform(0.0, 0.06, n)),
        "sigma": rng.uniform(0.03, 1.2, n),
        "is_call": rng.random(n) < 0.5,
        "is_american": rng.random(n) < 0.8,
        "on_future": rng.random(n) < 0.15,
    }


MOVES = np.linspace(-0.3, 0.3, 7)


def layouts(seed: int) -> dict[str, tuple]:
    """``option_price`` arguments in the layouts the engines use, by name."""
    c = _contracts(60, seed)
    col = {k: v[:, None] for k, v in c.items()}
    spots = c["S"][:, None] * (1.0 + MOVES)
    vols = c["sigma"][:, None] * (1.0 + np.linspace(-0.4, 0.6, MOVES.size))
    keys = ("K", "T", "r", "q")
    flags = ("is_call", "is_american", "on_future")
    return {
        # the stress and PM layout: contracts (n, 1) against spots (n, m)
        "column": (spots, *(col[k] for k in keys), col["sigma"], *(col[k] for k in flags)),
        # volatility moving with the scenario, (n, m): the VIX layer
        "scenario_vol": (spots, *(col[k] for k in keys), vols, *(col[k] for k in flags)),
        # the same with every contract American and r = 0 calls only: no boundary anywhere
        "scenario_vol_no_premium": (
            spots, col["K"], col["T"], 0.0, col["q"], vols, True, True, False,
        ),
        # independent contracts, one spot each
        "flat": tuple(c[k] for k in ("S", *keys, "sigma", *flags)),
        # contract parameters along the last axis, spots along the first
        "row": (spots.T, *(c[k] for k in keys), c["sigma"], *(c[k] for k in flags)),
        # contracts on the first and last axes, spots on the middle one
        "middle": (
            spots.reshape(6, 10, 7).transpose(0, 2, 1), *(c[k].reshape(6, 1, 10) for k in keys),
            c["sigma"].reshape(6, 1, 10), *(c[k].reshape(6, 1, 10) for k in flags),
        ),
        # one contract against many spots; scalar flags
        "scalar": (c["S"], 100.0, 0.75, 0.05, 0.02, 0.3, False, True),
        # expired and zero-volatility contracts among live ones
        "edges": (
            spots, col["K"], np.where(col["T"] < 0.05, -0.01, col["T"]), col["r"], col["q"],
            np.where(col["sigma"] < 0.1, 0.0, col["sigma"]), col["is_call"], True, col["on_future"],
        ),
    }  # fmt: skip


def assert_close(actual: FloatArray, expected: FloatArray, args: tuple | None = None) -> None:
    """Equal to ``RELATIVE``, but for the elements that ``args`` (``option_price`` arguments) sends
    to the finite-difference grid."""
    assert actual.shape == expected.shape
    if args is not None:
        kept = ~on_grid(args, actual.shape)
        actual, expected = actual[kept], expected[kept]
    np.testing.assert_allclose(actual, expected, rtol=RELATIVE, atol=1e-300)


def on_grid(args: tuple, shape: tuple[int, ...]) -> BoolArray:
    """Elements of ``option_price(*args)`` priced on the finite-difference grid."""
    american = importlib.import_module("xlmargin.pricing.american")  # not the function of that name
    _, _, T, r, q, sigma, is_call, is_american, *rest = (np.asarray(a) for a in args)
    on_future = rest[0] if rest else np.asarray(False)
    q = np.where(on_future, r, q)
    T, r, q, sigma = (flat(a.astype(float), shape) for a in (T, r, q, sigma))
    is_call, is_american = (flat(a.astype(bool), shape) for a in (is_call, is_american))
    grid: BoolArray = american._needs_grid(T, r, q, sigma, is_call, is_american)
    return grid.reshape(shape)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("layout", list(layouts(0)))
def test_kernel_equals_the_frozen_kernel(layout: str, seed: int) -> None:
    args = layouts(seed)[layout]
    clear_caches()
    expected = frozen_option_price(*args)
    assert_close(option_price(*args), expected, args)  # boundaries from the cache
    clear_caches()
    assert_close(option_price(*args), expected, args)  # boundaries solved


@pytest.mark.parametrize("layout", list(layouts(0)))
def test_kernel_equals_prices_recorded_before_the_fast_paths(layout: str) -> None:
    recorded = json.loads(RECORDED.read_text())[layout]
    args = layouts(0)[layout]
    assert_close(option_price(*args), np.array(recorded), args)


@pytest.mark.parametrize("chunk", [1, 7 * 8, 5 * 7 * 8])
def test_premium_table_in_chunks_equals_one_pass(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """A premium table computed a few contracts at a time (one, one, five per chunk here: the
    stress view's tables are hundreds of contracts by forty spots) is the one-pass table, bit for
    bit, whether the put-side dividends are all zero, all paid, or mixed."""
    american = importlib.import_module("xlmargin.pricing.american")  # not the function of that name
    c = _contracts(60, 4)
    x = np.exp(np.linspace(-0.4, 0.4, MOVES.size))[None, :] * np.ones((60, 1))
    for q in (c["q"], np.zeros(60), np.full(60, 0.02)):
        integrand = american._PremiumIntegrand.of(c["T"], np.full(60, 0.05), q, c["sigma"])
        whole = integrand.premium_table(x)
        monkeypatch.setattr(american, "_CHUNK_POINTS", chunk)
        assert np.array_equal(integrand.premium_table(x), whole)
        monkeypatch.undo()


def test_a_block_of_one_right_is_priced_as_in_a_mixed_block() -> None:
    """A block of calls only or puts only takes no selection over its grid (``select`` hands back a
    view), and every price is the one the same contract gets beside the other right, bit for bit:
    American, at a positive rate (every put and the calls on dividend payers have a premium)."""
    c = _contracts(40, 5)
    growth = np.exp(np.linspace(-0.3, 0.3, 9))[None, :]
    flags = c["is_call"]
    assert flags.any() and not flags.all()
    args = (c["S"][:, None], c["K"][:, None], c["T"][:, None], 0.04, c["q"][:, None], c["sigma"][:, None])
    mixed = option_price(*args, flags[:, None], True, False, growth)
    for right in (True, False):
        rows = np.flatnonzero(flags == right)
        one = option_price(*(a[rows] if np.ndim(a) else a for a in args), np.full((rows.size, 1), right),
                           True, False, growth)  # fmt: skip
        assert np.array_equal(one, mixed[rows])
    grid, strike = np.linspace(50.0, 150.0, 12).reshape(3, 4), np.full((3, 1), 100.0)
    for right in (
        np.ones((3, 1), dtype=bool),
        np.zeros((3, 1), dtype=bool),
        np.array([[True], [False], [True]]),
    ):
        chosen = select(right, grid - strike, strike - grid)
        assert np.array_equal(chosen, np.where(right, grid - strike, strike - grid))
        assert np.array_equal(intrinsic_value(grid, strike, right), np.maximum(chosen, 0.0))
    assert np.shares_memory(select(np.ones((3, 1), dtype=bool), grid, strike), grid)  # no copy


def record() -> None:
    """Write ``RECORDED`` from the kernel as it is (run once, at commit 8d709bd)."""
    prices = {name: option_price(*args).tolist() for name, args in layouts(0).items()}
    RECORDED.write_text(json.dumps(prices, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    record()
