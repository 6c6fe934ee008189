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
from xlmargin import rules
from xlmargin.account import account_margin, account_settings
from xlmargin.batch import batch
from xlmargin.errors import InputError, MissingDataError
from xlmargin.excel import functions as fn
from xlmargin.instruments import ENGINE_CURRENCY, in_usd
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
    # a blank currency is the common case: dollars, at a rate of 1 when one is given
    for rate in (None, 1.0):
        portfolio = read_positions(_yen_book(None, rate), as_of=AS_OF)
        assert in_usd(portfolio) is portfolio
    converted = in_usd(read_positions(_yen_book(), as_of=AS_OF))
    assert in_usd(converted) is converted  # converting twice changes nothing


@pytest.mark.parametrize("function", ["pm_requirement", "regt_margin", "account_margin", "max_notional"])
def test_a_blank_currency_with_another_rate_is_refused_naming_the_row(function: str):
    # the rate was ignored and the yen prices read as dollars
    rows = _yen_book(None, 1.08)
    args = (rows, 1e6, "pm") if function == "max_notional" else (rows,)
    with pytest.raises(InputError) as found:
        getattr(fn, function)(*args, params=PARAMS)
    assert [(p.row, p.column) for p in found.value.problems] == [(r, "currency") for r in (2, 3, 4)]
    assert str(found.value.problems[0]) == (
        "row 2, currency: blank, but fx_rate is 1.08 (a blank currency is US dollars, at 1): "
        "give the currency the rate converts from"
    )


def test_a_blank_currency_is_legitimate_where_it_is_not_dollars():
    # a pair's blank currency is its quote currency; a CFD's fx_rate converts its price currency
    # (ESMA); in an account in euros a dollar row's rate is fx.USD
    rows = [
        ["symbol", "type", "quantity", "price", "currency", "fx_rate"],
        ["GBPJPY", "fx", 100_000.0, 190.0, None, 0.0058],  # EUR per JPY
        ["DE40", "cfd", 2.0, 19_000.0, None, 1.0],
        ["AAPL", "stock", 100.0, 228.5, None, 0.92],
    ]
    params = {"as_of": AS_OF, "account_currency": "EUR", "fx.USD": 0.92}
    esma = fn.esma_margin(rows[:3], "EUR", [["as_of", AS_OF]])
    assert esma == round(100_000 * 190 * 0.0058 / 30 + 2 * 19_000 / 20, 2)
    account = account_margin(read_positions(rows, as_of=AS_OF), account_settings(params, AS_OF))
    usd = regt_margin(read_positions([rows[0], [*rows[3][:4], "USD", None]], as_of=AS_OF))
    assert [line.requirement for line in account.lines] == [round(usd.total * 0.92, 2), 0.0, esma]
    # the same dollar row at another rate than fx.USD says the rate is another currency's
    with pytest.raises(InputError, match=r"row 4, currency: blank, but fx_rate is 1 .*fx.USD"):
        account_margin(
            read_positions([*rows[:3], [*rows[3][:5], 1.0]], as_of=AS_OF), account_settings(params, AS_OF)
        )


@pytest.mark.parametrize("account_currency", ["USD", "EUR"])
def test_the_account_view_takes_a_missing_rate_from_the_fx_parameter(account_currency: str):
    # its FX/CFD segment did, its securities segment refused the row; now one rate for both
    per_usd = 1.0 if account_currency == "USD" else 0.9
    params = {"securities": "pm", "account_currency": account_currency, "fx.USD": per_usd}
    given = account_margin(
        read_positions(_yen_book(rate=RATE * per_usd), as_of=AS_OF), account_settings(params, AS_OF)
    )
    from_parameter = account_margin(
        read_positions(_yen_book(rate=None), as_of=AS_OF),
        account_settings(params | {"fx.JPY": RATE * per_usd}, AS_OF),
    )
    assert from_parameter.total == given.total > 0
    # the batch's account regime converts through the same helper
    table = [["account", *HEADER], *(["A", *r] for r in _yen_book(rate=None)[1:])]
    result = batch(table, regime="account", params=params | {"fx.JPY": RATE * per_usd}, as_of=AS_OF)
    assert list(result["requirement"]) == [given.total]


def test_the_conversion_is_to_dollars_whatever_the_risk_views_numeraire(monkeypatch: pytest.MonkeyPatch):
    # the rules are in dollars: a house risk file reporting in euros must not move Reg T or PM
    import xlmargin.instruments as instruments

    portfolio = read_positions(_yen_book(), as_of=AS_OF)
    before = in_usd(portfolio)
    monkeypatch.setattr(instruments, "numeraire", lambda: "EUR")
    after = in_usd(portfolio)
    assert list(after.arrays["currency"]) == ["USD"] * 4
    np.testing.assert_array_equal(after.arrays["price"], before.arrays["price"])


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


# --- decisions and SPAN on a book mixing yen and dollars --------------------------------------------


def _decision_settings() -> Any:
    from xlmargin.decisions import decision_settings

    return decision_settings({"as_of": AS_OF}, AS_OF)


def test_the_decisions_measure_a_mixed_book_in_dollars():
    # the liquidation plan's notionals, the hedge's default cost and the margin-call P&L were in
    # each row's own currency, so yen and dollars were added as one
    from xlmargin.decisions import hedge_optimize, liquidation_plan, margin_call_move, read_candidates

    settings = _decision_settings()
    yen = read_positions(_yen_book(), as_of=AS_OF)
    dollars = read_positions(_in_dollars(_yen_book()), as_of=AS_OF)
    equity = fn.pm_requirement(_in_dollars(_yen_book()), PARAMS) * 0.8
    plans = [liquidation_plan(book, equity, settings, "pm") for book in (yen, dollars)]
    assert plans[0].trades == plans[1].trades and plans[0].notional == plans[1].notional > 0
    moves = [margin_call_move(book, equity * 1.5, settings, "pm") for book in (yen, dollars)]
    # the uniform moves, down and up (the stress scenario also moves the yen: not the same book there)
    uniform = [[c.at for c in m.crossings[:2]] for m in moves]
    assert uniform[0] == pytest.approx(uniform[1], abs=1e-9)
    header = [*HEADER, "min_qty"]
    candidates = read_candidates(
        [header, ["7203", "stock", -100.0, 2800.0, *[None] * 4, "JPY", RATE, -100.0]], AS_OF
    )
    hedge = hedge_optimize(yen, candidates, settings, "pm")
    ((_, _, quantity, spend),) = hedge.trades
    assert spend == pytest.approx(abs(quantity) * 2800.0 * RATE)


def test_span_refuses_a_future_in_another_currency_naming_the_row():
    # every product of span.toml is a dollar contract: a euro-priced ES is a mislabelled row, not
    # one to convert
    rows = [
        ["symbol", "type", "quantity", "price", "currency", "fx_rate"],
        ["ESZ6", "future", 1.0, 6000.0, "USD", None],
        ["ESH7", "future", 1.0, 5500.0, "EUR", 1.09],  # another month: ESZ6 in EUR the reader refuses
    ]
    with pytest.raises(InputError) as found:
        fn.futures_margin(rows, PARAMS)
    assert [(p.row, p.column) for p in found.value.problems] == [(3, "currency")]
    assert "ES is margined in USD, not EUR" in str(found.value)


def test_the_margin_call_scenario_in_a_euro_account_is_the_dollar_accounts_halved() -> None:
    """Under the account regime the stress P&L (US dollars) is put in the account currency before it
    meets the equity: 1,000 AAPL at 200 with 250,000 USD of equity, and the same in a EUR account
    at fx.USD 0.5 (125,000 EUR), reach no margin call on the worst scenario alike, every figure of
    the second half the first's (the scenario's P&L was added in dollars to euros: a call at 1.57×)."""
    from xlmargin import margin_call_move

    table = [["symbol", "type", "quantity", "price"], ["AAPL", "stock", 1000, 200.0]]
    dollars = margin_call_move(table, 250_000, "account", params={"as_of": "2026-01-05"})
    euros = margin_call_move(
        table, 125_000, "account", params={"as_of": "2026-01-05", "account_currency": "EUR", "fx.USD": 0.5}
    )
    for column in ("move at the call (%)", "note"):
        assert euros[column].equals(dollars[column])  # no call: NaN alike
    for column in ("equity there", "requirement there"):  # each rounded to the cent apart: 0.025 → 0.03
        halved = 0.5 * dollars[column].astype(float)
        assert np.allclose(euros[column].astype(float), halved, rtol=0, atol=0.0051)


def test_a_row_in_the_account_currency_at_another_rate_is_refused_in_every_segment() -> None:
    """A EUR stock at fx_rate 1.1 in a EUR account was margined at 11,000 instead of 10,000 by the
    securities segment while the FX/CFD segment refused the same rate: both refuse it now."""
    from xlmargin import account_margin as margin

    params = {"as_of": "2026-12-04", "account_currency": "EUR", "fx.USD": 0.9}
    header = ["symbol", "type", "quantity", "price", "currency", "fx_rate"]
    assert margin([header, ["SAP", "stock", 100, 200.0, "EUR", 1.0]], params=params) == pytest.approx(
        10_000.0
    )
    for row in (["SAP", "stock", 100, 200.0, "EUR", 1.1], ["DAX", "cfd", 1, 20_000.0, "EUR", 1.1]):
        with pytest.raises(InputError, match="row 2, fx_rate: the position is in the account currency EUR"):
            margin([header, row], params=params)


def test_the_futures_rule_file_is_in_the_engines_currency() -> None:
    """The account view adds the SPAN requirement to Reg T's and portfolio margin's as one dollar
    figure (fx.USD converts all three), so span.toml's margin currency must be ENGINE_CURRENCY. It
    stays a constant beside Reg T and portfolio margin, whose dollar amounts are the regulation's,
    rather than being read from the futures file."""
    assert rules.load("span").get("currency.margin") == ENGINE_CURRENCY == "USD"


# --- a dollar row's rate is a dollar's, in every engine that converts ------------------------------

_RATED = ["symbol", "type", "quantity", "price", "currency", "fx_rate"]
_ENGINES = {  # engine → (a row it margins, the function)
    "regt_margin": (["AAPL", "stock", 100.0, 228.5], fn.regt_margin),
    "pm_requirement": (["AAPL", "stock", 100.0, 228.5], fn.pm_requirement),
    "risk_margin": (["AAPL", "stock", 100.0, 228.5], fn.risk_margin),
    "futures_margin": (["ESZ6", "future", 1.0, 6000.0], fn.futures_margin),
    "account_margin securities": (["AAPL", "stock", 100.0, 228.5], fn.account_margin),
    "account_margin futures": (["ESZ6", "future", 1.0, 6000.0], fn.account_margin),
}


@pytest.mark.parametrize("engine", list(_ENGINES))
def test_a_usd_row_at_another_rate_than_1_is_refused_by_every_engine_naming_its_fx_rate(engine: str):
    # the rate was ignored (used at 1): a contradiction, not a conversion
    row, function = _ENGINES[engine]
    assert function([_RATED, [*row, "USD", 1.0]], params=PARAMS) > 0  # at 1: the same as blank
    with pytest.raises(InputError) as found:
        function([_RATED, [*row, "USD", 1.08]], params=PARAMS)
    assert [(p.row, p.column) for p in found.value.problems] == [(2, "fx_rate")]
    if engine.startswith("account"):  # the USD account's own currency: its message
        assert "the position is in the account currency USD: its fx_rate is 1, not 1.08" in str(found.value)
    else:
        assert str(found.value) == "row 2, fx_rate: the position is in USD: its rate is 1, not 1.08"


@pytest.mark.parametrize("engine", list(_ENGINES))
def test_a_blank_currency_with_another_rate_is_refused_by_every_engine_with_one_message(engine: str):
    # the risk view, SPAN and the account view's futures read the row as dollars and ignored the rate
    row, function = _ENGINES[engine]
    with pytest.raises(InputError) as found:
        function([_RATED, [*row, None, 1.08]], params=PARAMS)
    assert str(found.value) == (
        "row 2, currency: blank, but fx_rate is 1.08 (a blank currency is US dollars, at 1): "
        "give the currency the rate converts from"
    )


@pytest.mark.parametrize("segment", ["securities", "futures"])
def test_in_a_euro_account_a_dollar_rows_rate_is_fx_usd_in_every_segment(segment: str):
    row = _ENGINES[f"account_margin {segment}"][0]
    usd = fn.account_margin([_RATED, [*row, "USD", None]], params=PARAMS)
    params = [*PARAMS, ["account_currency", "EUR"], ["fx.USD", 0.9]]
    for currency in ("USD", None):
        assert fn.account_margin([_RATED, [*row, currency, 0.9]], params=params) == round(usd * 0.9, 2)
    with pytest.raises(InputError) as found:
        fn.account_margin([_RATED, [*row, "USD", 1.0]], params=params)
    assert str(found.value) == (  # at 1: what a table of USD per unit says, and how to read one
        "row 2, fx_rate: the position is in USD: its rate is a dollar's, 0.9 (fx.USD), not 1; if the "
        "table's rates are USD per unit (as a broker export's are, and as Reg T reads them), give "
        "fx_rates=usd"
    )
    with pytest.raises(InputError, match=r"row 2, currency: blank, but fx_rate is 1 .*0\.9 \(fx\.USD\)"):
        fn.account_margin([_RATED, [*row, None, 1.0]], params=params)


def test_the_account_decisions_read_a_dollar_futures_rate_as_the_account_view_does():
    # the contribution's and the hedge's futures segment called SPAN on the table as it was, so a
    # dollar future at fx.USD, right in a euro account, read as a rate that contradicts a dollar
    from xlmargin.decisions import decision_settings, hedge_optimize, margin_contribution, read_candidates

    settings = decision_settings({"as_of": AS_OF, "account_currency": "EUR", "fx.USD": 0.9}, AS_OF)
    held = read_positions([_RATED, ["ESZ6", "future", 2.0, 6000.0, "USD", 0.9]], as_of=AS_OF)
    total = account_margin(held, settings.account).total
    contribution = margin_contribution(held, settings, "account")
    assert contribution.total == total and sum(contribution.component) == pytest.approx(total)
    # (a candidate's default cost is its dollar notional, read with the rate as PM reads it: blank here)
    hedge = read_candidates(
        [[*_RATED, "min_qty"], ["ESZ6", "future", -2.0, 6000.0, "USD", None, -2.0]], AS_OF
    )
    assert hedge_optimize(held, hedge, settings, "account").engine_value == 0.0  # sold back to flat
