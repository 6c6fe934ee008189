"""A CFD on a currency pair is sized by the decision tools as the ``fx`` row on that pair.

One test says which CFD is a pair (``xlmargin.fx_rates.row_pair``); ``instruments.unit_values``,
the dollar value of one unit every decision tool sizes a trade in (``decisions._common.notional``:
the liquidation plan's notional, a hedge candidate's default cost), values it as the fx row's
base leg (``instruments.currency_legs``): one unit of USDJPY is one dollar, one of EURUSD its
price in dollars. Before, a CFD was valued at price × multiplier as it was converted: a USDJPY CFD
in a table giving its currency as USD 150 per unit (the fx row 1), one in JPY at an fx_rate apart
from 1/price (0.0066 USD per JPY at 150) 0.99.

Hand figures, regression snapshots of the pair's arithmetic (no published example): 100,000 USDJPY
is 100,000 USD of notional; 100,000 EURUSD at 1.10 is 110,000 USD.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.books import book, row
from tests.conftest import AS_OF
from xlmargin.decisions import decision_settings, liquidation_plan, read_candidates
from xlmargin.decisions._common import notional, requirement
from xlmargin.instruments import unit_values

SETTINGS = decision_settings({"as_of": AS_OF}, AS_OF)
JPY_RATE = {"fx_rate": 0.0066}  # USD per JPY, apart from 1/150
USD_COLUMN = {"currency": "USD"}  # a table giving a CFD its account currency


def pairs(kind: str, usdjpy: dict[str, Any]) -> list[list[Any]]:
    return [
        row("USDJPY", kind, 100_000, 150.0, **usdjpy),
        row("EURUSD", kind, -50_000, 1.1),
        row("AAPL", "stock", 100, 200.0),
    ]


@pytest.mark.parametrize("usdjpy", [JPY_RATE, USD_COLUMN], ids=["jpy-at-a-rate", "usd-column"])
def test_a_cfd_on_a_pair_is_worth_per_unit_what_the_fx_row_is(usdjpy: dict[str, Any]) -> None:
    fx, cfd = book(*pairs("fx", usdjpy)), book(*pairs("cfd", usdjpy))
    assert unit_values(fx).tolist() == pytest.approx([1.0, 1.1, 200.0])  # main: the same
    assert unit_values(cfd).tolist() == pytest.approx([1.0, 1.1, 200.0])  # main: 0.99 or 150 for USDJPY
    assert np.array_equal(notional(cfd), notional(fx))


def test_a_cfd_on_a_pairs_future_is_worth_per_unit_what_the_fx_row_on_its_underlying_is() -> None:
    on_future = row("USDJPY.DEC26", "cfd", 100_000, 150.0, underlying="USDJPY", currency="USD")
    assert unit_values(book(on_future)).tolist() == [1.0]  # main: 150


@pytest.mark.parametrize("usdjpy", [JPY_RATE, USD_COLUMN], ids=["jpy-at-a-rate", "usd-column"])
def test_the_liquidation_plan_closes_the_same_notional_of_a_cfd_as_of_the_fx_row(
    usdjpy: dict[str, Any],
) -> None:
    fx, cfd = book(*pairs("fx", usdjpy)), book(*pairs("cfd", usdjpy))
    before = requirement("risk", fx, SETTINGS)
    assert requirement("risk", cfd, SETTINGS) == pytest.approx(before)  # the risk view reads them alike
    equity = 0.5 * before
    by_fx = liquidation_plan(fx, equity, SETTINGS, "risk")
    by_cfd = liquidation_plan(cfd, equity, SETTINGS, "risk")
    assert by_fx.trades and by_cfd.status == by_fx.status == "optimal"
    assert np.array([t[2:] for t in by_cfd.trades]) == pytest.approx(np.array([t[2:] for t in by_fx.trades]))
    assert by_cfd.notional == pytest.approx(by_fx.notional)


CANDIDATE_HEADER = ["symbol", "type", "quantity", "price", "currency", "fx_rate", "min_qty", "max_qty"]


@pytest.mark.parametrize("usdjpy", [("JPY", 0.0066), ("USD", None)], ids=["jpy-at-a-rate", "usd-column"])
def test_a_cfd_candidates_default_cost_is_the_fx_rows(usdjpy: tuple[str, float | None]) -> None:
    """A hedge candidate without a cost costs its notional per unit: a CFD's as the fx row's."""

    def cost(kind: str) -> list[float]:
        table = [CANDIDATE_HEADER, ["USDJPY", kind, 0, 150.0, *usdjpy, 0, 10_000]]
        table.append(["EURUSD", kind, 0, 1.1, None, None, -10_000, 0])
        return read_candidates(table, AS_OF).cost.tolist()

    assert cost("fx") == pytest.approx([1.0, 1.1])
    assert cost("cfd") == pytest.approx([1.0, 1.1])  # main: 0.99 or 150 for USDJPY
