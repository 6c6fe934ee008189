"""Reg T and portfolio margin compute in US dollars: a row priced in another currency is converted
with its ``fx_rate`` (USD per unit) before either engine reads it, on every path.

The expected figures are the same books priced in dollars by hand (the option value is homogeneous
of degree one in spot, strike and premium), not published values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from benchmarks.book import AS_OF, book
from xlmargin.account import account_margin, account_settings
from xlmargin.batch import batch
from xlmargin.errors import MissingDataError
from xlmargin.excel import functions as fn
from xlmargin.instruments import in_usd
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

PARAMS = [["as_of", dt.datetime(2026, 11, 20)]]
HEADER = ["symbol", "type", "quantity", "price", "underlying price", "strike", "days", "right", "currency",
          "fx_rate"]  # fmt: skip
RATE = 0.0067  # USD per JPY


def _yen_book(currency: str | None = "JPY", rate: float | None = RATE) -> list[list[Any]]:
    return [
        HEADER,
        ["7203", "stock", 300.0, 2800.0, None, None, None, None, currency, rate],
        ["7203", "option", -3.0, 95.0, 2800.0, 2900.0, 45.0, "C", currency, rate],
        ["7203", "option", 2.0, 60.0, 2800.0, 2600.0, 45.0, "P", currency, rate],
        ["AAPL", "stock", 100.0, 228.5, None, None, None, None, "USD", None],
    ]


def _in_dollars(rows: list[list[Any]]) -> list[list[Any]]:
    """The same book priced in dollars by hand: price, underlying price and strike times the rate."""
    out = [rows[0]]
    for row in rows[1:]:
        row = list(row)
        if row[8] not in (None, "USD"):
            row[3:6] = [None if x is None else x * row[9] for x in row[3:6]]
            row[8:10] = ["USD", None]
        out.append(row)
    return out


def test_portfolio_margin_converts_a_foreign_row_to_dollars():
    yen, dollars = _yen_book(), _in_dollars(_yen_book())
    assert fn.pm_requirement(yen, PARAMS) == fn.pm_requirement(dollars, PARAMS)
    assert fn.pm_requirement(yen, PARAMS) != fn.pm_requirement(_yen_book("USD", None), PARAMS)
    # EUR at 2.0 doubles the figure of the same row in dollars
    eur = [HEADER, ["SAP", "stock", 100.0, 206.5, None, None, None, None, "EUR", 2.0]]
    assert fn.pm_requirement(eur, PARAMS) == 2 * fn.pm_requirement(
        [HEADER, ["SAP", "stock", 100.0, 206.5, None, None, None, None, None, None]], PARAMS
    )


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
def test_reg_t_converts_a_foreign_row_to_dollars_and_warns_of_nothing(basis: str):
    yen = fn.regt_breakdown(_yen_book(), basis, None, PARAMS)
    assert yen[-1][-1] == fn.regt_margin(_in_dollars(_yen_book()), basis, None, PARAMS)
    assert not [r for r in yen if r[0] == "warning"]  # it said "added as given, without conversion"


@pytest.mark.parametrize("function", ["pm_requirement", "regt_margin", "account_margin"])
def test_a_foreign_row_without_a_rate_is_refused_naming_it(function: str):
    with pytest.raises(MissingDataError, match=r"a position in JPY needs the USD value of one JPY") as found:
        getattr(fn, function)(_yen_book(rate=None), params=PARAMS)
    assert [(p.row, p.column) for p in found.value.problems] == [
        (2, "fx_rate"),
        (3, "fx_rate"),
        (4, "fx_rate"),
    ]


def test_a_book_in_dollars_is_left_as_it_is():
    # a blank currency is the common case: dollars, whatever the fx_rate column holds
    portfolio = read_positions(_yen_book(None, 2.0), as_of=AS_OF)
    assert in_usd(portfolio) is portfolio
    converted = in_usd(read_positions(_yen_book(), as_of=AS_OF))
    assert in_usd(converted) is converted  # converting twice changes nothing


def test_the_account_view_converts_securities_once_in_another_account_currency():
    # fx_rate is in account-currency units per unit: EUR per JPY here; fx.USD = EUR per USD
    per_usd = 0.9
    rows = [list(r) for r in _yen_book(rate=RATE * per_usd)]
    rows.append(["SAP", "stock", 100.0, 206.5, None, None, None, None, "EUR", None])
    params = {"account_currency": "EUR", "fx.USD": per_usd, "securities": "pm"}
    eur = account_margin(read_positions(rows, as_of=AS_OF), account_settings(params, AS_OF))
    dollars = [*_in_dollars(_yen_book()), ["SAP", "stock", 100.0, 206.5 / per_usd, *[None] * 4, "USD", None]]
    usd = pm_requirement(read_positions(dollars, as_of=AS_OF), pm_settings({}, AS_OF))
    assert eur.lines[0].requirement == pytest.approx(usd.requirement * per_usd, abs=0.01)


def _foreign_table(seed: int) -> list[list[Any]]:
    """The benchmark book dealt to accounts, a third of its underlyings priced in yen."""
    rows = book(300, 20, 30, seed=seed)
    rng = np.random.default_rng(seed)
    header = rows[0]
    money = [header.index(name) for name in ("price", "underlying price", "strike")]
    yen = {name for name in {r[header.index("underlying")] or r[0] for r in rows[1:]} if rng.random() < 0.3}
    table = [["account", *header, "currency", "fx_rate"]]
    for row in rows[1:]:
        row = list(row)
        if (row[header.index("underlying")] or row[0]) in yen:
            for i in money:
                row[i] = None if row[i] is None else row[i] / RATE
            row += ["JPY", RATE]
        else:
            row += [None, None]
        table.append([f"A{rng.integers(8)}", *row])
    return table


@pytest.mark.parametrize(
    ("regime", "params"),
    [("pm", {}), ("regt", {"basis": "maintenance"}), ("account", {"securities": "pm"}), ("account", {})],
)
def test_batch_equals_each_account_alone_with_foreign_rows(regime: str, params: dict[str, Any]):
    table = _foreign_table(3)
    result = batch(table, regime=regime, params=params, as_of=AS_OF)
    assert (result["error"] == "").all()
    for account, requirement in zip(result["account"], result["requirement"], strict=True):
        own = read_positions([table[0][1:]] + [r[1:] for r in table[1:] if r[0] == account], as_of=AS_OF)
        if regime == "pm":
            expected = pm_requirement(own, pm_settings(params, AS_OF)).requirement
        elif regime == "regt":
            expected = regt_margin(own, basis="maintenance").total
        else:
            expected = account_margin(own, account_settings(params, AS_OF)).total
        assert requirement == round(expected, 2), account


@pytest.mark.parametrize("regime", ["pm", "regt"])
def test_max_notional_is_in_dollars_too(regime: str):
    yen, dollars = _yen_book(), _in_dollars(_yen_book())
    assert fn.max_notional(yen, 250_000.0, regime, PARAMS) == fn.max_notional(
        dollars, 250_000.0, regime, PARAMS
    )
