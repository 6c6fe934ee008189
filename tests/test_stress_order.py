"""The stress view's stable orderings equal numpy's stable sort (xlmargin.stress.order)."""

from __future__ import annotations

import numpy as np
import pytest

from xlmargin.stress.order import stable_order, unique_first


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(20261208)
    cases = [
        rng.integers(0, 4165, 4700),  # codes: the radix path
        rng.integers(0, 2**40, 5000),  # wide keys: the general path
        rng.integers(-5, 5, 100),  # negative codes
        np.array([2**16 - 1, 2**16, 0]),  # just past the radix range
        rng.random(4700),
        np.round(rng.random(4700), 2),  # many ties
        np.array([0.0, -0.0, np.nan, 1.0, np.nan, -0.0, 0.0, np.inf, -np.inf, np.nan]),
        np.zeros(0, dtype=np.int64),
        np.zeros(0),
        np.array([5]),
    ]
    for _ in range(100):
        cases.append(rng.choice([0.0, -0.0, np.nan, 1.0, 2.5, -1.0], size=int(rng.integers(1, 50))))
        cases.append(rng.integers(0, int(rng.integers(1, 10**6)), size=int(rng.integers(1, 300))))
    return cases


@pytest.mark.parametrize("values", _cases())
def test_stable_order_is_numpys_stable_sort(values: np.ndarray) -> None:
    np.testing.assert_array_equal(stable_order(values), np.argsort(values, kind="stable"))
    if values.dtype.kind in "iu" and values.size:
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        found_first, found_inverse = unique_first(values)
        np.testing.assert_array_equal(found_first, first)
        np.testing.assert_array_equal(found_inverse, inverse)
