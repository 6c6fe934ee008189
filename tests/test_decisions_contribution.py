"""MARGIN_CONTRIBUTION under Reg T and the account view (issue 12), by hand and by recomputation.

Reg T figures follow regt.toml: long stock 50% of market value at initial ([stock]), a covered call
the stock's requirement ([covered_call]), an uncovered equity call its value + 20% of the underlying
less the out-of-the-money amount, at least value + 10% ([naked.equity]); gross convention.
"""

import itertools
import types
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import AS_OF
from tests.test_decisions_engine import SETTINGS, book, candidates
from xlmargin.decisions import decision_settings, hedge_optimize, margin_contribution
from xlmargin.decisions._common import requirement, with_quantities, with_trades
from xlmargin.errors import InputError
from xlmargin.textable import render

COVERED = book(
    ["XYZ", "stock", 100, 100.0],
    ["XYZ C105", "option", -1, 2.0, "XYZ", 100.0, 105, 30, "call", 0.3],
    ["ABC", "stock", 200, 50.0],
)
SPREADS = book(
    ["XYZ", "stock", 300, 100.0],
    ["XYZ C105", "option", -2, 2.0, "XYZ", 100.0, 105, 30, "call", 0.3],
    ["XYZ C110", "option", 1, 0.8, "XYZ", 100.0, 110, 30, "call", 0.3],
    ["XYZ P95", "option", 2, 1.5, "XYZ", 100.0, 95, 30, "put", 0.3],
    ["XYZ P90", "option", -3, 0.7, "XYZ", 100.0, 90, 30, "put", 0.3],
    ["ABC", "stock", -200, 50.0],
    ["ABC C55", "option", -1, 0.9, "ABC", 50.0, 55, 30, "call", 0.3],
)


def test_covered_call_by_hand():
    # covered call: 50% × 100 × $100 = $5,000 (the call needs nothing); ABC: 50% × $10,000 = $5,000
    result = margin_contribution(COVERED, SETTINGS, "regt")
    assert result.total == 10000.0
    # the covered call's $5,000 by market value: stock $10,000, call 1 × $2 × 100 = $200
    assert result.component == (4901.96, 98.04, 5000.0)  # 5,000 × 10,000/10,200; × 200/10,200
    # without the stock the call is naked: $200 + 20% × $10,000 − $500 out of the money = $1,700
    # (above the floor $200 + 10% × $10,000), so the total would be $6,700: the stock adds $3,300;
    # without the call the stock alone needs its $5,000: the call adds nothing
    assert result.incremental == (3300.0, 0.0, 5000.0)
    assert [row[1] for row in result.table()[1:-1]] == ["ABC", "XYZ", "XYZ C105"]


def test_the_printed_table_names_rows_as_messages_do():
    """The row column printed row 1200 as 1,200; the figures keep their separators."""
    far = replace(margin_contribution(COVERED, SETTINGS, "regt"), rows=(1200, 1201, 1202))
    printed = [line.split() for line in render(far.table()).splitlines()[2:5]]
    assert printed == [
        ["1202", "ABC", "5,000.00", "5,000.00", "0.50"],
        ["1200", "XYZ", "3,300.00", "4,901.96", "0.49"],
        ["1201", "XYZ", "C105", "0.00", "98.04", "0.01"],
    ]


@pytest.mark.parametrize("regime", ["regt", "regt_maintenance"])
def test_regt_contributions_add_up_and_incrementals_match_recomputation(regime):
    result = margin_contribution(SPREADS, SETTINGS, regime)
    total = requirement(regime, SPREADS, SETTINGS)
    assert result.total == total
    assert round(sum(result.component), 2) == round(total, 2)
    q = SPREADS.arrays["quantity"]
    for i in range(len(SPREADS)):
        others = q.copy()
        others[i] = 0.0
        expected = round(total - requirement(regime, with_quantities(SPREADS, others), SETTINGS), 2)
        assert result.incremental[i] == pytest.approx(expected, abs=0.011), i


def test_regt_re_pairings_stacked_equal_them_one_by_one(monkeypatch):
    # the class groups without each row are paired as the accounts of one book; one call per row
    # gives the same figures, bit for bit
    import xlmargin.decisions.contribution as contribution

    stacked = contribution._stacked_repairs
    used: list[int] = []
    monkeypatch.setattr(contribution, "_stacked_repairs", lambda *a: used.append(1) or stacked(*a))
    together = margin_contribution(SPREADS, SETTINGS, "regt")
    assert used
    monkeypatch.setattr(contribution, "_STACKED_ROWS", 2)  # a call per copy or two: the same
    assert margin_contribution(SPREADS, SETTINGS, "regt") == together
    # the engine refusing the copies (its message would name their rows) sends them one by one
    import xlmargin.regt
    from xlmargin.errors import XlMarginError

    def refuse(*_: object, **__: object) -> None:
        raise XlMarginError("row 2 of the copies")

    monkeypatch.setattr(xlmargin.regt, "regt_margins", refuse)
    assert margin_contribution(SPREADS, SETTINGS, "regt") == together
    monkeypatch.setattr(contribution, "_stacked_repairs", lambda *a: None)
    assert margin_contribution(SPREADS, SETTINGS, "regt") == together


def test_regt_follows_the_basis_setting():
    maintenance = decision_settings({"as_of": AS_OF, "basis": "maintenance"}, AS_OF)
    by_basis = margin_contribution(SPREADS, maintenance, "regt")
    assert by_basis.total == requirement("regt_maintenance", SPREADS, SETTINGS)
    assert by_basis.total != requirement("regt", SPREADS, SETTINGS)


def test_liquidation_plan_is_made_under_reg_t_in_a_cell_as_in_python():
    """The plan refused Reg T; it is now one program over the sale and the pairing
    (tests/test_liquidation_regt.py checks it against every sale)."""
    from xlmargin.decisions import liquidation_plan
    from xlmargin.excel.decisions import liquidation_plan as sheet_plan

    plan = liquidation_plan(COVERED, 4000.0, SETTINGS, "regt_maintenance")
    assert plan.before == 5000.0 and plan.after <= 4000.0 and plan.trades
    header = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days",
              "right", "volatility"]  # fmt: skip
    rows = [
        ["XYZ", "stock", 100, 100.0, None, None, None, None, None, None],
        ["XYZ C105", "option", -1, 2.0, "XYZ", 100.0, 105, 30, "call", 0.3],
        ["ABC", "stock", 200, 50.0, None, None, None, None, None, None],
    ]  # COVERED's
    table = sheet_plan([header, *rows], 4000.0, "regt_maintenance", [["as_of", AS_OF]])
    assert [r[1:] for r in table if r[0] == "trade"] == [
        [f"{symbol} (row {row})", quantity, size] for row, symbol, quantity, size in plan.trades
    ]


# --- the account view -----------------------------------------------------------------------------

ACCOUNT_BOOK = book(
    ["AAPL", "stock", 100, 200.0],
    ["ESZ6", "future", 2, 6000.0],
    ["ESH7", "future", -1, 6010.0],
    ["EURUSD", "fx", 100000, 1.08],
)


def test_account_contributions_by_hand():
    # securities, Reg T initial: 50% × 100 × $200 = $10,000. Futures, SPAN (span.toml: ES scan
    # $22,000, intra $200 a spread, initial 110%): net +1 contract → scanning risk $22,000 at
    # "price down 3/3", one calendar spread $200, × 1.1 = $24,420. EURUSD, ESMA major pair 30:1:
    # $108,000 / 30 = $3,600. Total $38,020.
    result = margin_contribution(ACCOUNT_BOOK, SETTINGS, "account")
    assert result.total == 38020.0
    # ES: the loss at the worst scenario (ESZ6 2 × $22,000, ESH7 −$22,000) plus the rest,
    # $24,420 − $22,000 = $2,420, by the largest P&L over the scenarios ($44,000 : $22,000)
    assert result.component == (10000.0, 45613.33, -21193.33, 3600.0)
    # without ESZ6: one short ES, $22,000 × 1.1 = $24,200; without ESH7: two long, $48,400
    assert result.incremental == (10000.0, 220.0, -23980.0, 3600.0)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"basis": "maintenance"},
        {"securities": "pm"},
        {"securities": "pm", "basis": "maintenance"},
        {"account_currency": "EUR", "fx.USD": 0.9, "fx.GBP": 1.15},
    ],
)
def test_account_contributions_add_up_and_incrementals_match_recomputation(params):
    portfolio = book(
        ["XYZ", "stock", 300, 100.0],
        ["XYZ C105", "option", -2, 2.0, "XYZ", 100.0, 105, 30, "call", 0.3],
        ["XYZ P95", "option", 2, 1.5, "XYZ", 100.0, 95, 30, "put", 0.3],
        ["ESZ6", "future", 2, 6000.0],
        ["ESH7", "future", -1, 6010.0],
        ["NQZ6", "future", -1, 21000.0],
        ["EURUSD", "fx", 100000, 1.08],
        ["GBPUSD", "fx", -50000, 1.27],
    )
    settings = decision_settings({"as_of": AS_OF, **params}, AS_OF)
    result = margin_contribution(portfolio, settings, "account")
    total = requirement("account", portfolio, settings)
    assert result.total == pytest.approx(total, abs=1e-6)
    assert round(sum(result.component), 2) == round(total, 2)
    q = portfolio.arrays["quantity"]
    for i in range(len(portfolio)):
        others = q.copy()
        others[i] = 0.0
        expected = round(total - requirement("account", with_quantities(portfolio, others), settings), 2)
        assert result.incremental[i] == pytest.approx(expected, abs=0.011), i


# --- HEDGE_OPTIMIZE, objective "account" ---------------------------------------------------------------

FUTURES_BOOK = book(["AAPL", "stock", 100, 200.0], ["ESZ6", "future", 2, 6000.0])
ES_PUT = ["ESZ6 P5900", "future_option", 4, 60.0, "ESZ6", 6000.0, 5900, 30, "put", 0.18]
ES_SHORT = ["ESZ6", "future", -3, 6000.0]


def test_account_objective_sells_the_futures_by_hand():
    # before: AAPL 50% × $20,000 = $10,000 (Reg T, the securities segment: a constant), ES two long
    # contracts × $22,000 scan × 1.1 initial = $48,400; selling two of up to three leaves $10,000
    result = hedge_optimize(FUTURES_BOOK, candidates(ES_SHORT), SETTINGS, "account")
    assert result.status == "optimal"
    assert result.trades == ((2, "ESZ6", -2.0, 12000.0),)  # cost: price × the blank multiplier, 1
    assert result.optimiser_value == result.engine_value == 10000.0
    assert {line.regime: line for line in result.impact.lines}["account"].before == 58400.0


def test_account_objective_reaches_the_brute_force_minimum_with_options_on_futures():
    pm_settings = decision_settings({"as_of": AS_OF, "securities": "pm"}, AS_OF)
    rows = [
        ES_PUT,
        ["ESZ6 C6100", "future_option", -2, 40.0, "ESZ6", 6000.0, 6100, 30, "call", 0.17, -2, 0],
        ["AAPL P190", "option", 3, 2.0, "AAPL", 200.0, 190, 30, "put", 0.28],
    ]
    result = hedge_optimize(FUTURES_BOOK, candidates(*rows), pm_settings, "account")
    c = candidates(*rows)
    plans = itertools.product(range(0, 5), range(-2, 1), range(0, 4))
    brute = min(
        requirement(
            "account", with_trades(FUTURES_BOOK, with_quantities(c.portfolio, np.array(k))), pm_settings
        )
        for k in plans
    )
    assert result.status == "optimal"
    assert result.optimiser_value == result.engine_value == round(brute, 2)


@pytest.mark.parametrize(
    ("rows", "params", "message"),
    [
        ([["ESH7", "future", -1, 6010.0]], {}, "ES would hold more than one contract month: SPAN's calendar"),
        ([["NQZ6", "future", -1, 21000.0]], {}, "NQ and ES form the inter-commodity spread ES-NQ"),
    ],
)
def test_account_objective_refuses_what_is_not_linear_in_one_line(rows, params, message):
    settings = decision_settings({"as_of": AS_OF, **params}, AS_OF)
    with pytest.raises(InputError, match=message) as error:
        hedge_optimize(FUTURES_BOOK, candidates(*rows), settings, "account")
    assert "\n" not in str(error.value)


def test_account_objective_in_another_currency_matches_the_engine():
    # a EUR account: the PM and SPAN segments are converted at fx.USD; the optimiser's total must
    # still be the engine's, and a stock candidate in a book without securities is not bought
    params = {"as_of": AS_OF, "securities": "pm", "account_currency": "EUR", "fx.USD": 0.9}
    settings = decision_settings(params, AS_OF)
    stock = ["XYZ", "stock", 100, 100.0, None, None, None, None, None, None, -100, 100]
    only_futures = hedge_optimize(
        book(["ESZ6", "future", 2, 6000.0]), candidates(stock, ES_SHORT), settings, "account"
    )
    assert only_futures.trades == ((3, "ESZ6", -2.0, 12000.0),)
    assert only_futures.optimiser_value == only_futures.engine_value == 0.0
    mixed = book(["XYZ", "stock", 1000, 100.0], ["ESZ6", "future", 1, 6000.0])
    result = hedge_optimize(mixed, candidates(PUT_ROW), settings, "account")
    assert result.trades and result.optimiser_value == result.engine_value
    assert result.engine_value < requirement("account", mixed, settings)


PUT_ROW = ["XYZ P95", "option", 20, 1.5, "XYZ", 100.0, 95, 30, "put", 0.3]


@pytest.mark.parametrize("strike", [6100, 8000])  # at 8,000 the scan is small: the minimum binds
def test_account_objective_nets_a_candidate_against_a_held_short_option(strike):
    # the short-option minimum ($200 a net short contract, span.toml) counts net short contracts:
    # buying back held calls lowers it, so the program must net the candidate against the held
    # row, as the engine does
    price = 40.0 if strike < 8000 else 0.05
    call = [f"ESZ6 C{strike}", "future_option", -6, price, "ESZ6", 6000.0, strike, 30, "call", 0.17]
    held = book(["ESZ6", "future", 1, 6000.0], call) if strike < 8000 else book(call)
    rows = [
        [*call[:2], 6, *call[3:]],
        ["ESZ6 P5800", "future_option", -3, 30.0, "ESZ6", 6000.0, 5800, 30, "put", 0.2, -3, 0],
    ]
    result = hedge_optimize(held, candidates(*rows), SETTINGS, "account")
    c = candidates(*rows)
    brute = min(
        requirement("account", with_trades(held, with_quantities(c.portfolio, np.array(k))), SETTINGS)
        for k in itertools.product(range(0, 7), range(-3, 1))
    )
    assert result.optimiser_value == result.engine_value == round(brute, 2)


def test_account_objective_prices_a_candidate_on_a_held_option_at_the_books_mark():
    # the engine check nets the candidate into the held row (price 40, volatility 17%); the program
    # priced it at its own (45, 20%): 26,913.73 against the engine's 27,145.79
    call = ["ESZ6 C6100", "future_option", -6, 40.0, "ESZ6", 6000.0, 6100, 30, "call", 0.17]
    held = book(["ESZ6", "future", 1, 6000.0], call)
    result = hedge_optimize(held, candidates([*call[:2], 3, 45.0, *call[4:9], 0.2]), SETTINGS, "account")
    assert result.trades and result.optimiser_value == result.engine_value
    assert len(result.warnings) == 1  # the price conflict is still said


FAR_CALL = ["ESZ6 C8000", "future_option", -6, 0.05, "ESZ6", 6000.0, 8000, 30, "call", 0.17]


@pytest.mark.parametrize(
    ("held", "rows", "grid"),
    [  # a contract held in two rows: the candidate nets into the first, as with_trades makes it
        (
            [["EURUSD", "fx", 100000, 1.08], ["EURUSD", "fx", -20000, 1.08]],  # one contract, one price
            [["EURUSD", "fx", -150000, 1.08]],
            [range(-150000, 1, 10000)],
        ),
        ([FAR_CALL, [*FAR_CALL[:2], -2, *FAR_CALL[3:]]], [[*FAR_CALL[:2], 6, *FAR_CALL[3:]]], [range(7)]),
        # two candidates of one held contract: one position |q0 + x1 + x2|, not one each
        (
            [["EURUSD", "fx", 100000, 1.08]],
            [["EURUSD", "fx", -60000, 1.08], ["EURUSD", "fx", -60000, 1.08]],
            [range(-60000, 1, 10000)] * 2,
        ),
        ([FAR_CALL], [[*FAR_CALL[:2], 3, *FAR_CALL[3:]]] * 2, [range(4)] * 2),
    ],
)
def test_account_objective_nets_candidates_into_the_positions_the_engine_check_makes(held, rows, grid):
    # ESMA (30:1 on a major pair) and SPAN's short option minimum ($200 a short contract, span.toml)
    # are per position: the program matched a candidate to the last of duplicate held rows and gave
    # each candidate of one contract its own position (2,880 by the program, 720 by the engine for
    # two EURUSD sales of 60,000 against 100,000 held)
    c = candidates(*rows)
    result = hedge_optimize(book(*held), c, SETTINGS, "account")
    brute = min(
        requirement(
            "account", with_trades(book(*held), with_quantities(c.portfolio, np.array(k, float))), SETTINGS
        )
        for k in itertools.product(*grid)
    )
    assert result.optimiser_value == result.engine_value == round(brute, 2)


@pytest.mark.parametrize(
    ("basis", "stock", "fx"), [("initial", 10000.0, 3600.0), ("maintenance", 5000.0, 1800.0)]
)
def test_account_objective_closes_fx_by_hand(basis, stock, fx):
    # EURUSD 100,000 at 1.08, ESMA major pair 30:1: $3,600 initial, the close-out level (50%) on
    # maintenance; AAPL Reg T 50% / 25% of $20,000. Selling 100,000 of up to 150,000 EURUSD clears
    # the FX segment; a GBPUSD purchase only adds margin and is not made.
    settings = decision_settings({"as_of": AS_OF, "basis": basis}, AS_OF)
    held = book(["EURUSD", "fx", 100000, 1.08], ["AAPL", "stock", 100, 200.0])
    rows = [["EURUSD", "fx", -150000, 1.08], ["GBPUSD", "fx", 50000, 1.27]]
    result = hedge_optimize(held, candidates(*rows), settings, "account")
    assert requirement("account", held, settings) == stock + fx
    assert result.trades == ((2, "EURUSD", -100000.0, 108000.0),)
    assert result.optimiser_value == result.engine_value == stock


def test_reg_t_contributions_stop_at_the_time_limit_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A book whose re-pairings would hold the spreadsheet for minutes is refused, not ground through."""
    import xlmargin.decisions.contribution as contribution
    from xlmargin.positions import read_positions

    rows = [
        ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "expiry", "right"]
    ]
    for k in (95, 100):  # two call spreads: every leg is paired, so each needs a re-pairing
        rows.append([f"XYZ C{k}", "option", -1, 7.5 - (k - 95), "XYZ", 100.0, float(k), "2027-03-19", "C"])
        rows.append(
            [f"XYZ C{k + 2}", "option", 1, 6.0 - (k - 95), "XYZ", 100.0, float(k + 2), "2027-03-19", "C"]
        )
    book = read_positions(rows, as_of=AS_OF)
    settings = decision_settings({"time_limit": 0.1}, AS_OF)
    ticks = itertools.count()
    clock = types.SimpleNamespace(monotonic=lambda: float(next(ticks)))
    monkeypatch.setattr(contribution, "time", clock)  # each step "takes" 1 s
    with pytest.raises(InputError, match="re-pair a class group once per paired position"):
        margin_contribution(book, settings, "regt")


def test_a_spread_of_three_legs_is_refused_only_when_it_can_form():
    """A 1:1:1 crush (ZS-ZM-ZL) cannot form while ZL is absent: a ZS candidate beside ZM alone has
    a convex charge and is traded; with both other legs present it is refused, naming them."""
    from types import SimpleNamespace

    from xlmargin.decisions._hedge_span import refuse_non_convex

    product = SimpleNamespace(tiers=(), tier_spreads=())
    span = SimpleNamespace(inter=[SimpleNamespace(id="ZS-ZM-ZL", legs=("ZS", "ZM", "ZL"))])
    refuse_non_convex("ZS", product, set(), {"ZS", "ZM"}, span, 2)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="ZS, ZM and ZL form the inter-commodity spread ZS-ZM-ZL"):
        refuse_non_convex("ZS", product, set(), {"ZS", "ZM", "ZL"}, span, 2)  # type: ignore[arg-type]
