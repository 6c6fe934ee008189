"""One currency, one rate: a USD-base pair's price and a row of its quote currency.

A currency pair of base USD without an ``fx_rate`` (USDJPY at 150) rates its quote currency at one
over its price, 1/150 USD per yen, on every dollar path (``dollars.dollar_pair_rates``). A yen row
that gives its own ``fx_rate`` (0.0070, one yen at 142.86) made the book rate the yen twice, and
the two rates were used side by side without a word: the risk view valued the pair's yen leg at
1/150 and the stock's at 0.0070, the plan and the margin call measured each at its own. The rule the
reader holds two rows of one contract to (``positions.marks``: "one contract has one rate", a
refusal naming both rows and the fx_rate column) now holds here: the row giving the other rate is
refused naming the pair's row, on every path that reads the book (the risk view, the decisions,
the account view and the ESMA functions, where the pair holding the dollar converts at no rate, and
the batch, account by account). A rate within 1e-6 (``SAME_RATE``) is the pair's.

Hand figures (no published example).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.books import HEADER, book, row, stock
from tests.conftest import AS_OF
from xlmargin.account import account_margin, account_settings
from xlmargin.batch import batch
from xlmargin.decisions import decision_settings, liquidation_plan, margin_call_move
from xlmargin.dollars import pair_rate_problems, usd_rates
from xlmargin.errors import InputError
from xlmargin.esma import esma_margin, esma_settings
from xlmargin.stress import stress_settings, stress_table

TWICE = (
    "row 4, fx_rate: rows 3 and 4 rate JPY differently: USDJPY at 150 makes one JPY 0.006666666667 USD, "
    "this row's fx_rate 0.007 USD: one currency has one rate; give row 3 an fx_rate or correct this one"
)


def rows(kind: str = "fx", rate: float | None = 0.0070, pair_rate: float | None = None) -> list[list[Any]]:
    return [
        stock("AAPL", 100, 260.0),
        row("USDJPY", kind, -500_000, 150.0, currency="JPY", fx_rate=pair_rate),
        row("JP225" if kind == "cfd" else "7203.T", kind if kind == "cfd" else "stock", 10, 3000.0,
            currency="JPY", fx_rate=rate),
    ]  # fmt: skip


def test_a_row_rating_the_pairs_currency_otherwise_is_refused_naming_both_rows() -> None:
    twice = book(*rows())
    assert [str(p) for p in pair_rate_problems(twice)] == [TWICE]
    with pytest.raises(InputError) as found:
        usd_rates(twice)  # main: [1, 1/150, 0.0070], the yen at two rates
    assert str(found.value) == TWICE
    # the pair's own rate, typed to the digits a message shows, or given on the pair: one rate
    assert usd_rates(book(*rows(rate=0.0066666667))).tolist() == pytest.approx([1.0, 1 / 150, 1 / 150])
    assert usd_rates(book(*rows(pair_rate=0.0070))).tolist() == pytest.approx([1.0, 0.0070, 0.0070])
    # a yen row without a rate still needs one (the pair's price does not lend it)
    with pytest.raises(Exception, match="row 4, fx_rate: a position in JPY needs"):
        usd_rates(book(*rows(rate=None)))


def test_a_pair_row_of_the_same_contract_giving_another_rate_is_refused() -> None:
    """The reader compares two rows' rates only where both give one; the blank one's is its price's."""
    pair = row("USDJPY", "fx", -500_000, 150.0, currency="JPY")
    same = book(stock("AAPL", 100, 260.0), pair, [*pair[:13], 0.0070])
    with pytest.raises(InputError, match="row 4, fx_rate: rows 3 and 4 rate JPY differently"):
        usd_rates(same)


@pytest.mark.parametrize("kind", ["fx", "cfd"])
def test_every_path_refuses_the_book(kind: str) -> None:
    twice = book(*rows(kind))
    message = "row 4, fx_rate: rows 3 and 4 rate JPY differently"
    settings = decision_settings({"as_of": AS_OF}, AS_OF)
    stress = stress_settings({"as_of": AS_OF}, AS_OF)
    paths = [
        lambda: stress_table(twice, stress),  # main: the yen legs at 1/150 and 0.0070
        lambda: liquidation_plan(twice, 30_000.0, settings, "risk"),
        lambda: margin_call_move(twice, 30_000.0, settings, "risk"),
        lambda: margin_call_move(twice, 30_000.0, settings, "account"),
        lambda: account_margin(twice, account_settings({"as_of": AS_OF}, AS_OF)),
    ]
    for path in paths:
        with pytest.raises(InputError, match=message):
            path()
    if kind == "cfd":  # the ESMA functions margin FX and CFDs alone: the pair holds the dollar
        cfds = book(*rows(kind)[1:])
        with pytest.raises(InputError, match="row 3, fx_rate: rows 2 and 3 rate JPY differently"):
            esma_margin(cfds, "USD", esma_settings({"as_of": AS_OF}, AS_OF))


@pytest.mark.parametrize("reading", ["account", "usd"])
def test_another_account_currency_compares_in_dollars_at_fx_usd(reading: str) -> None:
    """In a EUR account the rows' rates read as ``fx_rates`` says, then over fx.USD (0.9 EUR per USD)."""
    params = {"as_of": AS_OF, "account_currency": "EUR", "fx.USD": 0.9, "fx_rates": reading}
    agreeing = 0.9 / 150 if reading == "account" else 1 / 150
    assert account_margin(book(*rows(rate=agreeing)), account_settings(params, AS_OF)).total > 0
    with pytest.raises(InputError, match=r"rows 3 and 4 rate JPY differently.*USD \(at fx.USD 0.9\)"):
        account_margin(book(*rows(rate=0.0070)), account_settings(params, AS_OF))


@pytest.mark.parametrize("regime", ["risk", "account"])
def test_the_batch_refuses_the_account_rating_twice_and_values_the_others(regime: str) -> None:
    table = [["account", *HEADER], *(["A", *r] for r in rows()), *(["B", *r] for r in rows()[2:])]
    result = batch(table, regime=regime, params={"as_of": AS_OF}, as_of=AS_OF)
    errors = dict(zip(result["account"], result["error"], strict=True))
    assert "rows 3 and 4 rate JPY differently" in errors["A"]
    assert not errors["B"]  # the yen stock alone, at its own rate, in another account
