"""``money.cents_of``: the vectorised cents must give exactly the floats of ``money.cents`` (the one
rounding rule), including at half cents, binary noise, negative zero, large values and NaN."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from xlmargin.money import cents, cents_of


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_edge_values_match_the_scalar_rule() -> None:
    values = [
        0.0, -0.0, 0.005, -0.005, 0.125, -0.125, 1150.0049999999998, 2.675, 1.005, -1.005,
        0.004999, 0.0050001, 999_999_999.995, 1e9 + 0.005, 1e15, -3.3e12, 1e-12, -1e-12, math.nan,
    ]  # fmt: skip
    got = cents_of(values)
    assert all(same(g, cents(v)) for g, v in zip(got, values, strict=True))


def test_random_money_matches_the_scalar_rule() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.normal(0, 1e6, 20_000),
            np.round(rng.normal(0, 1e5, 20_000), 3),  # many exact half cents
            rng.integers(-(10**8), 10**8, 5_000) / 200.0,  # k/200: a half cent in binary noise
        ]
    )
    got = cents_of(values)
    assert all(same(g, cents(float(v))) for g, v in zip(got, values, strict=True))


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e13, max_value=1e13))
def test_any_float_matches_the_scalar_rule(value: float) -> None:
    assert same(cents_of([value])[0], cents(value))
