"""The PM risk arrays: P&L linear in quantities, and one path with ``pm_requirement``.

The grid oracle revalues every option row on its own with the kernel (no series netting, no
risk arrays) and compares each class group's P&L to Σ quantity × unit P&L over its rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.book import AS_OF, book
from tests.test_pm import option, stock
from tests.test_pm import portfolio as pm_portfolio
from xlmargin.errors import InputError
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.pm.risk import requirement, risk_arrays
from xlmargin.positions import Portfolio, read_positions
from xlmargin.pricing import option_price

SEEDS = (1, 2, 3)


def _book(seed: int) -> Portfolio:
    return read_positions(book(300, 25, 30, volatility=seed % 2 == 0, seed=seed), as_of=AS_OF)


def _with_quantity(portfolio: Portfolio, index: np.ndarray, quantity: np.ndarray) -> Portfolio:
    arrays = dict(portfolio.arrays)
    q = arrays["quantity"].copy()
    q[index] = quantity
    arrays["quantity"] = q
    return Portfolio(arrays, portfolio.as_of)


@pytest.mark.parametrize("seed", SEEDS)
def test_unit_pnl_summed_by_group_is_the_rowwise_revaluation(seed: int) -> None:
    portfolio = _book(seed)
    settings = pm_settings({}, AS_OF)
    risk = risk_arrays(portfolio, settings)
    result = pm_requirement(portfolio, settings)
    a = portfolio.arrays
    expected = np.zeros((len(risk.group_ids), len(risk.points)))
    assert [g.id for g in result.class_groups] == risk.group_ids
    for k, i in enumerate(risk.index):
        g = risk.group[k]
        move = risk.moves[g]
        if a["type"][i] != "option":
            expected[g] += a["quantity"][i] * a["multiplier"][i] * a["price"][i] * move
            continue
        vol = a["volatility"][i]
        if np.isnan(vol):  # implied by the engine: checked against the engine's grid below
            continue
        args = (a["strike"][i], a["expiry_years"][i], 0.0, a["dividend_yield"][i], vol)
        style = (a["right"][i] == "C", a["style"][i] == "american")
        moved = option_price(a["underlying_price"][i] * (1.0 + move), *args, *style)
        base = option_price(a["underlying_price"][i], *args, *style)
        expected[g] += a["quantity"][i] * a["multiplier"][i] * (moved - base)
    summed = np.zeros_like(expected)
    np.add.at(summed, risk.group, risk.quantity[:, None] * risk.unit_pnl)
    options = a["type"][risk.index] == "option"
    if np.isnan(a["volatility"][risk.index][options]).any():
        # vols implied: compare stock/ETF lines exactly, and the whole grid with the engine's
        lines = np.zeros_like(expected)
        np.add.at(lines, risk.group[~options], (risk.quantity[:, None] * risk.unit_pnl)[~options])
        np.testing.assert_allclose(lines, expected, rtol=1e-9, atol=1e-6)
    else:
        np.testing.assert_allclose(summed, expected, rtol=1e-9, atol=1e-6)
    grid = np.array([g.pnl for g in result.class_groups])
    np.testing.assert_allclose(summed, grid, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("params", [{}, {"house": True}, {"minimum_scope": "account"}])
def test_requirement_at_other_quantities_equals_pm_requirement_to_the_cent(seed: int, params: dict) -> None:
    portfolio = _book(seed)
    settings = pm_settings(params, AS_OF)
    risk = risk_arrays(portfolio, settings)
    rng = np.random.default_rng(seed)
    quantity = rng.integers(-30, 31, len(risk.index)).astype(float)
    quantity[rng.random(len(quantity)) < 0.2] = 0.0
    mine = requirement(risk, quantity)
    theirs = pm_requirement(_with_quantity(portfolio, risk.index, quantity), settings)
    for field in ("requirement", "regulatory", "initial", "minimum"):
        assert getattr(mine, field) == getattr(theirs, field), field
    assert [g.requirement for g in mine.class_groups] == pytest.approx(
        [g.requirement for g in theirs.class_groups], abs=1e-6
    )


def test_requirement_at_the_books_quantities_is_pm_requirement() -> None:
    portfolio = _book(4)
    settings = pm_settings({}, AS_OF)
    assert requirement(risk_arrays(portfolio, settings)) == pm_requirement(portfolio, settings)


def test_per_contract_minimum_nets_per_series() -> None:
    header = [
        "symbol",
        "type",
        "quantity",
        "price",
        "underlying price",
        "strike",
        "days",
        "right",
        "volatility",
    ]
    leg = ["XYZ", "option", 3.0, 2.0, 100.0, 100.0, 30.0, "C", 0.3]
    portfolio = read_positions([header, leg, [*leg[:2], -1.0, *leg[3:]]], as_of=AS_OF)
    risk = risk_arrays(portfolio, pm_settings({}, AS_OF))
    assert len(risk.series_group) == 1  # both rows are one series
    minimum = float(risk.rules.get("minimum.per_contract")) * 100.0
    np.testing.assert_allclose(risk.group_minimum(np.array([3.0, -1.0])), [2.0 * minimum])
    np.testing.assert_allclose(risk.group_minimum(np.array([1.0, -4.0])), [3.0 * minimum])


def test_requirement_refuses_a_quantity_vector_of_the_wrong_length() -> None:
    risk = risk_arrays(_book(1), pm_settings({}, AS_OF))
    with pytest.raises(InputError, match="one per covered row"):
        requirement(risk, np.zeros(3))


def test_series_are_grouped_exactly_in_first_seen_order() -> None:
    from xlmargin.pm.risk import _distinct

    rng = np.random.default_rng(0)
    keys = rng.integers(0, 40, (2000, 10)).astype(float)[rng.integers(0, 2000, 12000)]
    first, inverse = _distinct(keys)
    seen: dict[tuple[float, ...], int] = {}
    expected = np.array([seen.setdefault(tuple(row), len(seen)) for row in keys.tolist()])
    np.testing.assert_array_equal(inverse, expected)
    np.testing.assert_array_equal(first, [np.flatnonzero(expected == i)[0] for i in range(len(seen))])


@pytest.mark.parametrize("column", ["strike", "quantity", "price", "underlying price"])
def test_an_edit_between_two_calls_gives_the_result_of_a_first_call(column: str) -> None:
    """The engine keeps the last book's option values: the call after an edit (of a contract's
    terms, or of what no contract depends on) equals the same book valued with every cache empty."""
    from xlmargin.pricing import clear_caches

    table = book(300, 25, 30, seed=7)
    settings = pm_settings({}, AS_OF)
    pm_requirement(read_positions(table, as_of=AS_OF), settings)
    j = table[0].index(column)
    row = next(r for r in table[1:] if r[1] == "option")
    under = table[0].index("underlying")
    # an underlying's price moves on all its options (the reader refuses one underlying at two prices)
    edited = (
        [r for r in table[1:] if r[1] == "option" and r[under] == row[under]]
        if column == "underlying price"
        else [row]
    )
    for r in edited:
        r[j] = r[j] + (1.0 if column == "quantity" else 0.37)
    after_edit = pm_requirement(read_positions(table, as_of=AS_OF), settings)
    clear_caches()
    fresh = pm_requirement(read_positions(table, as_of=AS_OF), settings)
    assert after_edit.requirement == fresh.requirement
    assert [g.pnl for g in after_edit.class_groups] == [g.pnl for g in fresh.class_groups]


def test_the_readers_codes_give_the_risk_arrays_of_codes_found_afresh() -> None:
    # the reader hands the engine its type and class-group codes; a portfolio built from the same
    # arrays without them (as engines that edit arrays build one) finds them itself
    portfolio = read_positions(book(400, 30, 40, seed=7), as_of=AS_OF)
    settings = pm_settings({}, AS_OF)
    seeded = risk_arrays(portfolio, settings)
    fresh = risk_arrays(Portfolio(dict(portfolio.arrays), AS_OF), settings)
    assert seeded.group_ids == fresh.group_ids
    for name in ("index", "group", "starts", "series", "unit_pnl"):
        np.testing.assert_array_equal(getattr(seeded, name), getattr(fresh, name))


def test_underlyings_spelled_in_two_cases_share_one_class_group() -> None:
    lower = option("SPY", 1, "C", 600.0, 590.0, 28, 0.2)
    lower[4] = "spy"
    portfolio = pm_portfolio(
        lower,
        option("SPY", -1, "P", 580.0, 590.0, 28, 0.2),
        option("SPX", 1, "C", 6000.0, 5900.0, 28, 0.2, american=False),
        stock("IBM", 100, 250.0),
    )
    codes, values = portfolio.codes("class_group")
    assert len(set(values)) == len(values)
    groups = portfolio.arrays["class_group"].tolist()
    assert [values[c] for c in codes] == groups == ["SPX", "SPX", "SPX", "IBM"]
    risk = risk_arrays(portfolio, pm_settings({}, AS_OF))
    assert risk.group_ids == ["IBM", "SPX"]
    assert risk.group.tolist() == [0, 1, 1, 1]
