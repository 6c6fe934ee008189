"""The account view's ``fx_rates`` reading: a table whose fx_rate is USD per unit (as Reg T, PM,
SPAN and the risk view read it, and as the broker readers write it) margined in a euro account
gives what the same book written in euros per unit gives, on every path of the view."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin.account import account_margin, account_settings
from xlmargin.capacity import capacity_settings, max_notional
from xlmargin.decisions import (
    decision_settings,
    hedge_optimize,
    margin_call_move,
    margin_contribution,
    margin_impact,
    read_candidates,
)
from xlmargin.decisions._common import call_measure, money_rates
from xlmargin.errors import InputError, MissingDataError
from xlmargin.excel import functions as fn
from xlmargin.positions import Portfolio, read_positions

EUR_USD = 1.08  # USD per EUR
GBP_USD = 1.27  # USD per GBP
PER_USD = 1 / EUR_USD  # fx.USD: EUR per USD
HEADER = ["symbol", "type", "quantity", "price", "currency", "fx_rate"]


def rows(in_usd: bool) -> list[list[Any]]:
    """A book in four currencies, its rates USD per unit or (the same) EUR per unit."""
    usd, eur, gbp = (1.0, EUR_USD, GBP_USD) if in_usd else (PER_USD, 1.0, GBP_USD / EUR_USD)
    return [
        HEADER,
        ["AAPL", "stock", 100.0, 200.0, "USD", usd],
        ["SAP", "stock", 50.0, 180.0, "EUR", eur],
        ["ESZ6", "future", 1.0, 6000.0, "USD", usd],
        ["UK100", "cfd", 2.0, 8000.0, "GBP", gbp],
        ["GBPUSD", "fx", 50_000.0, GBP_USD, "USD", usd],
    ]


def book(in_usd: bool) -> Portfolio:
    return read_positions(rows(in_usd), as_of=AS_OF)


USD_READING = {"as_of": AS_OF, "account_currency": "EUR", "fx.USD": PER_USD, "fx_rates": "usd"}
EUR_READING = {"as_of": AS_OF, "account_currency": "EUR", "fx.USD": PER_USD}


@pytest.mark.parametrize("securities", ["regt", "pm"])
@pytest.mark.parametrize("fx_rule", ["esma", "nfa"])
def test_a_table_of_usd_per_unit_gives_the_figures_of_the_same_table_in_euros(securities: str, fx_rule: str):
    if fx_rule == "nfa":  # the US forex rule takes pairs only
        keep = [r for r in rows(True) if r[1] != "cfd"], [r for r in rows(False) if r[1] != "cfd"]
        usd_book, eur_book = (read_positions(k, as_of=AS_OF) for k in keep)
    else:
        usd_book, eur_book = book(True), book(False)
    choices = {"securities": securities, "fx_rule": fx_rule}
    usd = account_margin(usd_book, account_settings(USD_READING | choices, AS_OF))
    eur = account_margin(eur_book, account_settings(EUR_READING | choices, AS_OF))
    assert [line.requirement for line in usd.lines] == pytest.approx([line.requirement for line in eur.lines])
    assert usd.total == pytest.approx(eur.total, abs=0.01) and all(line.rows for line in usd.lines)
    # read in the default reading, the table of USD per unit is refused, not misread
    with pytest.raises(InputError, match="give fx_rates=usd"):
        account_margin(usd_book, account_settings(EUR_READING | choices, AS_OF))


def test_the_parameter_is_taken_by_the_params_range_and_in_a_usd_account_changes_nothing():
    params = [[k, v] for k, v in USD_READING.items()]
    assert fn.account_margin(rows(True), params) == fn.account_margin(rows(False), params[:-1])
    assert "fx_rates" in [r[0] for r in fn.param_table("account")]  # listed by XLM_PARAMS
    in_dollars = {"as_of": AS_OF}
    assert account_margin(book(True), account_settings(in_dollars | {"fx_rates": "USD"}, AS_OF)).total == (
        account_margin(book(True), account_settings(in_dollars, AS_OF)).total
    )
    with pytest.raises(InputError, match="fx_rates"):
        fn.account_margin(rows(True), [["fx_rates", "eur"]])


def test_a_row_in_the_account_currency_at_one_is_told_to_leave_its_rate_blank_not_to_change_fx_usd():
    """A euro row at 1 was written as the account reading writes it (a hand-typed trade beside a
    broker export's positions, say): the advice is a blank rate, and with it the figure is the book's."""
    at_one = rows(True)
    at_one[2][5] = 1.0  # SAP, EUR
    with pytest.raises(InputError) as found:
        account_margin(read_positions(at_one, as_of=AS_OF), account_settings(USD_READING, AS_OF))
    assert [(p.row, p.column) for p in found.value.problems] == [(3, "fx_rate")]
    assert "leave its fx_rate blank (a row in EUR needs none)" in str(found.value)
    assert "give fx.USD=1 " not in str(found.value)
    blank = rows(True)
    blank[2][5] = None
    settings = account_settings(USD_READING, AS_OF)
    assert account_margin(read_positions(blank, as_of=AS_OF), settings).total == pytest.approx(
        account_margin(book(True), settings).total, abs=0.005
    )


def test_a_row_in_the_account_currency_must_agree_with_fx_usd_the_one_source():
    conflicting = USD_READING | {"fx.USD": 0.9}  # 1.111 USD per EUR, where the SAP row says 1.08
    with pytest.raises(InputError) as found:
        account_margin(book(True), account_settings(conflicting, AS_OF))
    assert [(p.row, p.column) for p in found.value.problems] == [(3, "fx_rate")]
    # the rates printed to ten digits (six printed "1.1745, not 1.1745"), the advice a number
    assert "at fx.USD = 0.9 (EUR per USD) one EUR is 1.111111111 USD, not 1.08" in str(found.value)
    assert "give fx.USD=0.9259259259 or correct the row" in str(found.value)
    # float noise is no conflict: fx.USD typed as =1/1.08 and as its rounded value 1.08 ** -1
    for typed in (1 / 1.08, 1.08**-1):
        account_margin(book(True), account_settings(USD_READING | {"fx.USD": typed}, AS_OF))
    # the advice followed, as typed in a params range, is taken
    assert fn.account_margin(rows(True), _advised(str(found.value))) == fn.account_margin(
        rows(True), [[k, v] for k, v in USD_READING.items()]
    )


def _advised(message: str) -> list[list[Any]]:
    """The USD reading's params range with the fx.USD a message advises, as text (as typed)."""
    import re

    advised = re.search(r"fx\.USD=([0-9.]+)", message)
    assert advised is not None, message
    return [[k, v] for k, v in USD_READING.items() if k != "fx.USD"] + [["fx.USD", advised.group(1)]]


def test_without_fx_usd_the_error_names_the_rate_the_table_implies():
    without = {k: v for k, v in USD_READING.items() if k != "fx.USD"}
    with pytest.raises(MissingDataError) as found:
        account_margin(book(True), account_settings(without, AS_OF))
    assert "fx_rates=usd reads fx_rate as USD per unit: give fx.USD (EUR per USD)" in str(found.value)
    assert "(row 2's rate converts with it); row 3 rates EUR at 1.08 USD: fx.USD=0.9259259259" in str(
        found.value
    )
    assert fn.account_margin(rows(True), _advised(str(found.value))) == pytest.approx(
        fn.account_margin(rows(True), [[k, v] for k, v in USD_READING.items()]), abs=0.01
    )


def test_a_rate_typed_to_the_digits_an_export_shows_is_the_rate():
    # 0.851426, as a TWS table or six-digit message shows 0.8514261387824605, was refused as "a
    # dollar's, 0.851426 (fx.USD), not 0.851426"; within 1e-6 two rates are one, in both readings
    exact = 0.8514261387824605
    in_euros = [
        HEADER,
        ["AAPL", "stock", 100.0, 200.0, "USD", exact],
        ["SAP", "stock", 50.0, 180.0, "EUR", 1],
    ]
    in_dollars = [
        HEADER,
        ["AAPL", "stock", 100.0, 200.0, "USD", 1],
        ["SAP", "stock", 50.0, 180.0, "EUR", 1 / exact],
    ]
    base = [["as_of", AS_OF], ["account_currency", "EUR"]]
    figures = {
        fn.account_margin(table, [*base, ["fx.USD", typed], *extra])
        for typed in (exact, "0.851426", "0.8514261388")
        for table, extra in ((in_euros, []), (in_dollars, [["fx_rates", "usd"]]))
    }
    assert max(figures) - min(figures) < 0.05  # 1e-6 of the book's 31,000 EUR, not a refusal
    # beyond it the rates are two, refused, and the message shows them differing
    with pytest.raises(InputError, match=r"its rate is a dollar's, 0\.8514 \(fx\.USD\), not 0\.8514261388"):
        fn.account_margin(in_euros, [*base, ["fx.USD", "0.8514"]])


def test_a_dollar_row_at_another_rate_than_1_is_refused_in_the_usd_reading():
    table = rows(True)
    table[1][-1] = 0.925  # a rate to a euro base, in a table said to be USD per unit
    with pytest.raises(InputError) as found:
        fn.account_margin(table, [[k, v] for k, v in USD_READING.items()])
    assert str(found.value) == (
        "row 2, fx_rate: the position is in USD: its rate is 1, not 0.925 (fx_rates=usd: USD per unit)"
    )


def test_the_default_reading_says_how_to_read_a_table_of_usd_per_unit():
    with pytest.raises(InputError) as found:
        account_margin(book(True), account_settings(EUR_READING, AS_OF))
    # the securities' dollar row at 1 and euro row at 1.08, each told of fx_rates=usd
    assert [p.row for p in found.value.problems] == [2, 3]
    assert all(p.message.endswith("give fx_rates=usd") for p in found.value.problems)
    assert found.value.problems[1].message.startswith(
        "the position is in the account currency EUR: its fx_rate is 1, not 1.08; if the table's rates are "
        "USD per unit"
    )
    # in a dollar account the readings are one: a USD row at 1.08 is wrong in both, and not told so
    dollar = [HEADER, ["AAPL", "stock", 100.0, 200.0, "USD", 1.08]]
    with pytest.raises(InputError) as found:
        fn.account_margin(dollar, [["as_of", AS_OF]])
    assert "fx_rates" not in str(found.value)


def test_every_account_path_reads_the_rates_as_the_view_does():
    # contribution, the what-if, the margin call's money rates and the hedge's account objective
    usd, eur = decision_settings(USD_READING, AS_OF), decision_settings(EUR_READING, AS_OF)
    contribution = [margin_contribution(book(b), s, "account") for b, s in ((True, usd), (False, eur))]
    assert contribution[0].component == pytest.approx(contribution[1].component, abs=0.01)
    assert contribution[0].incremental == pytest.approx(contribution[1].incremental, abs=0.01)
    trades = {b: read_positions([HEADER, rows(b)[4]], as_of=AS_OF) for b in (True, False)}  # 2 more UK100
    impact = [
        margin_impact(book(b), trades[b], s, ("account",)).line("account")
        for b, s in ((True, usd), (False, eur))
    ]
    assert (impact[0].before, impact[0].after) == pytest.approx((impact[1].before, impact[1].after), abs=0.01)
    # the margin call's money rates: what one unit of each row's currency is worth in euros
    assert list(money_rates(book(True), "account", usd)) == pytest.approx(
        [PER_USD, 1.0, PER_USD, GBP_USD / EUR_USD, PER_USD]
    )
    call = margin_call_move(book(True), 60_000.0, usd, "account")  # (the risk view reads dollars)
    # measured against maintenance, where a call comes from (call_measure)
    assert call.requirement == account_margin(book(True), call_measure("account", usd).settings.account).total
    # the hedge's account objective: its program prices the book and candidates as the engine does
    candidates = [
        [*HEADER, "min_qty", "max_qty", "cost"],
        [*rows(True)[4][:2], -1.0, *rows(True)[4][3:], -1.0, 0.0, 1.0],  # one CFD of two sold
        [*rows(True)[3][:2], -1.0, *rows(True)[3][3:], -1.0, 0.0, 1.0],  # and the future
    ]
    hedge = hedge_optimize(book(True), read_candidates(candidates, AS_OF), usd, "account")
    assert len(hedge.trades) == 2 and hedge.engine_value > 0
    assert hedge.optimiser_value == pytest.approx(hedge.engine_value, abs=0.01)


def test_capacity_reads_the_rates_as_the_view_does_in_its_esma_regime_too():
    usd, eur = capacity_settings(USD_READING, AS_OF), capacity_settings(EUR_READING, AS_OF)
    for regime, kept in (("account", book), ("esma", retail)):
        assert max_notional(kept(True), 500_000.0, regime, usd).scale == pytest.approx(
            max_notional(kept(False), 500_000.0, regime, eur).scale, rel=1e-9
        )


def retail(in_usd: bool) -> Portfolio:
    return read_positions([r for r in rows(in_usd) if r[1] in ("type", "fx", "cfd")], as_of=AS_OF)
