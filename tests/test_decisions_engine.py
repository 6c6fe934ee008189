"""Margin decisions (issue 12): impact, contributions, hedge optimiser, liquidation plan, margin call.

Hand-worked figures use pm.toml's ranges (margin-rules.md §2.3, §2.7): an equity class group moves
±15%, SPY's high-cap index group −8%/+6%, a Treasury ETF is its own class group at ±15% in no
product group (§2.5: no offset against equity). Optimiser answers are checked two ways: the
optimiser's value equals the engine's recomputation to the cent, and a brute-force search with the
engine over every whole-unit plan of a small book finds nothing better.
"""

import itertools

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin import api
from xlmargin.cli import sample_positions
from xlmargin.decisions import (
    decision_settings,
    hedge_optimize,
    liquidation_plan,
    margin_call_move,
    margin_contribution,
    margin_impact,
    read_candidates,
)
from xlmargin.decisions._common import notional, requirement, trade_union, with_quantities, with_trades
from xlmargin.errors import InputError, MissingDataError
from xlmargin.positions import read_positions

SETTINGS = decision_settings({"as_of": AS_OF}, AS_OF)
OPTION_HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days",
                 "right", "volatility", "min_qty", "max_qty", "cost"]  # fmt: skip


def book(*rows, holdings=True):
    return read_positions(
        [OPTION_HEADER[:10], *[list(r) + [None] * (10 - len(r)) for r in rows]],
        as_of=AS_OF,
        holdings=holdings,
    )


def fills(*rows):
    """Trades: rows of one contract may be at their own prices (a book's may not)."""
    return book(*rows, holdings=False)


def candidates(*rows):
    return read_candidates([OPTION_HEADER, *[list(r) + [None] * (13 - len(r)) for r in rows]], AS_OF)


LONG_STOCK = book(["XYZ", "stock", 1000, 100.0])
PUT = ["XYZ P95", "option", 20, 1.50, "XYZ", 100.0, 95, 30, "put", 0.30]


# --- hedge optimiser -------------------------------------------------------------------------------


def test_protective_put_reaches_the_brute_force_minimum_of_portfolio_margin():
    # before: 1,000 shares × $100 × 15% (equity range, pm.toml [ranges.equity]) = $15,000
    assert requirement("pm", LONG_STOCK, SETTINGS) == 15000.0
    result = hedge_optimize(LONG_STOCK, candidates(PUT), SETTINGS, "pm")
    c = candidates(PUT)
    brute = min(
        requirement("pm", with_trades(LONG_STOCK, with_quantities(c.portfolio, np.array([k]))), SETTINGS)
        for k in range(0, 21)
    )
    assert result.status == "optimal"
    assert result.optimiser_value == result.engine_value == round(brute, 2)
    assert result.engine_value < 15000.0
    assert result.trades[0][1] == "XYZ P95"


def test_treasury_etf_gives_no_regulatory_benefit_but_lowers_the_house_worst_loss():
    equities = book(["SPY", "etf", 1000, 600.0], ["QQQ", "etf", 500, 500.0])
    tlt = ["TLT", "etf", 5000, 92.4]
    pm = hedge_optimize(equities, candidates(tlt), SETTINGS, "pm")
    assert pm.trades == ()  # its own class group, no product group: TLT only adds requirement
    assert pm.engine_value == pm.optimiser_value == requirement("pm", equities, SETTINGS)
    risk = hedge_optimize(equities, candidates(tlt), SETTINGS, "risk")
    assert len(risk.trades) == 1 and risk.trades[0][2] > 0
    assert risk.optimiser_value == risk.engine_value
    lines = {x.regime: x for x in risk.impact.lines}
    assert lines["risk"].after < lines["risk"].before
    # the correlation-break row shows what the hedge costs when bonds fall with stocks
    assert lines["risk_break"].after > lines["risk_break"].before
    assert lines["pm"].after > lines["pm"].before


INDEX_BOOK = book(
    ["SPY", "etf", 400, 600.0],
    ["SPX", "option", -2, 40.0, "SPX", 6000.0, 5800, 30, "put", 0.18],
    ["QQQ", "etf", -300, 500.0],
    ["AAPL", "stock", 200, 230.0],
)
INDEX_CANDIDATES = [
    ["SPX P5700", "option", 4, 30.0, "SPX", 6000.0, 5700, 30, "put", 0.19],
    ["QQQ C520", "option", -3, 9.0, "QQQ", 500.0, 520, 45, "call", 0.22, -3, 2],
    ["AAPL P220", "option", 3, 4.0, "AAPL", 230.0, 220, 30, "put", 0.28],
]


@pytest.mark.parametrize("offset", [0.9, 0.5])
def test_pm_program_equals_the_engine_and_the_brute_force_over_product_groups(offset):
    settings = decision_settings({"as_of": AS_OF, "offset.us_broad": offset}, AS_OF)
    c = candidates(*INDEX_CANDIDATES)
    result = hedge_optimize(INDEX_BOOK, c, settings, "pm")
    assert result.optimiser_value == result.engine_value
    grid = [range(int(lo), int(hi) + 1) for lo, hi in zip(c.low, c.high)]
    brute = min(
        requirement("pm", with_trades(INDEX_BOOK, with_quantities(c.portfolio, np.array(q, float))), settings)
        for q in itertools.product(*grid)
    )
    assert result.engine_value == round(brute, 2)


def test_answer_does_not_depend_on_the_order_of_candidates():
    forward = hedge_optimize(INDEX_BOOK, candidates(*INDEX_CANDIDATES), SETTINGS, "pm")
    backward = hedge_optimize(INDEX_BOOK, candidates(*reversed(INDEX_CANDIDATES)), SETTINGS, "pm")
    assert forward.engine_value == backward.engine_value
    assert sorted((s, q) for _, s, q, _ in forward.trades) == sorted((s, q) for _, s, q, _ in backward.trades)


def test_budget_caps_the_premium_spent():
    result = hedge_optimize(LONG_STOCK, candidates(PUT), SETTINGS, "pm", budget=1000.0)
    assert result.spend <= 1000.0 + 1e-9
    assert all(q == int(q) for _, _, q, _ in result.trades)  # whole contracts


def test_bad_hedge_input_is_one_line_naming_the_cause():
    with pytest.raises(InputError, match=r"budget of 100\.00"):
        hedge_optimize(LONG_STOCK, candidates([*PUT[:10], 5, 10]), SETTINGS, "pm", budget=100.0)
    with pytest.raises(InputError, match="row 2, candidates price"):
        candidates(["XYZ", "stock", 10, None])
    with pytest.raises(InputError, match="candidate list is empty"):
        read_candidates([OPTION_HEADER], AS_OF)
    # the default cost's currency problems are the candidates' (they named the positions table)
    euro = [
        ["symbol", "type", "quantity", "price", "currency", "fx_rate"],
        ["SAP", "stock", 10, 200.0, "EUR", None],
    ]
    with pytest.raises(MissingDataError, match="row 2, candidates fx_rate"):
        read_candidates(euro, AS_OF)
    euro[0][4], euro[1][4:] = "currency", [None, 1.1]
    with pytest.raises(InputError, match="row 2, candidates currency: blank"):
        read_candidates(euro, AS_OF)
    with pytest.raises(InputError, match="candidate list is empty"):
        read_candidates([], AS_OF)
    with pytest.raises(InputError, match="min_qty 5 is above max_qty 1"):
        candidates([*PUT[:10], 5, 1])
    with pytest.raises(InputError, match="objective must be one of"):
        hedge_optimize(LONG_STOCK, candidates(PUT), SETTINGS, "futures")
    with pytest.raises(InputError, match="a budget must be above 0"):
        hedge_optimize(LONG_STOCK, candidates(PUT), SETTINGS, "pm", budget=0.0)


# --- what-if ------------------------------------------------------------------------------------------


def test_impact_change_is_after_minus_before_to_the_cent_in_every_regime():
    trades = book(["SPY", "etf", -150, 600.0], ["MSFT", "stock", 80, 415.2],
                  ["SPX", "option", 1, 40.0, "SPX", 6000.0, 5800, 30, "put", 0.18])  # fmt: skip
    result = margin_impact(INDEX_BOOK, trades, SETTINGS)
    assert {x.regime for x in result.lines} >= {"regt", "regt_maintenance", "pm", "account", "risk"}
    for line in result.lines:
        if line.applies:
            assert line.change == round(line.after - line.before, 2)
    after = with_trades(INDEX_BOOK, trades)
    assert len(after) == len(INDEX_BOOK) + 1  # SPY and the SPX put net against held rows; MSFT is new
    pm = result.line("pm")
    assert pm.before == requirement("pm", INDEX_BOOK, SETTINGS)
    assert pm.after == requirement("pm", after, SETTINGS)
    for regime in ("regt", "regt_maintenance"):  # touched class groups re-paired: the engine's figure
        assert result.line(regime).after == requirement(regime, after, SETTINGS)
        assert result.line(regime).before == requirement(regime, INDEX_BOOK, SETTINGS)
    risk = result.line("risk")  # one pricing of the union, weighted twice: the engine's figures
    assert risk.before == pytest.approx(requirement("risk", INDEX_BOOK, SETTINGS), abs=0.011)
    assert risk.after == pytest.approx(requirement("risk", after, SETTINGS), abs=0.011)
    futures = {x.regime: x for x in result.lines}["futures"]
    assert not futures.applies and "futures" in futures.note  # SPAN takes futures only: shown as n/a


def test_closing_trade_nets_the_row_away():
    closing = book(["AAPL", "stock", -200, 230.0])
    result = margin_impact(INDEX_BOOK, closing, SETTINGS, ("pm",))
    without = INDEX_BOOK.select(INDEX_BOOK.arrays["symbol"] != "AAPL")
    assert result.line("pm").after == requirement("pm", without, SETTINGS)


def test_a_trade_priced_apart_from_the_held_row_is_a_warning_and_the_mark_is_used():
    """A trade on a held contract nets into the book's row, which keeps its price: margin values a
    position at its mark (the ±15% of margin-rules.md §2.3 moves the market value), so the 610 XYZ
    left need 610 × $100 × 15% whatever the trades' prices. The conflict was silent; it is now a
    warning naming both rows and both prices."""
    held = book(["ABC", "stock", 10, 20.0], ["XYZ", "stock", 1000, 100.0])
    trades = fills(["XYZ", "stock", -400, 90.0], ["XYZ", "stock", 10, 100.0], ["DEF", "stock", 5, 7.0])
    result = margin_impact(held, trades, SETTINGS, ("pm",))
    assert result.line("pm").after == (610 * 100.0 + 10 * 20.0 + 5 * 7.0) * 0.15  # XYZ, ABC, new DEF
    assert result.warnings == (
        "trades row 2: price 90 differs from 100 on positions row 3, the same contract (XYZ); the "
        "book's price is used, as margin values a held position at its mark, not at a trade's price",
    )  # row 3 at the same price and the new DEF row: no warning
    assert margin_impact(held, book(["XYZ", "stock", -400, 100.0]), SETTINGS, ("pm",)).warnings == ()


def test_trades_of_a_contract_the_book_does_not_hold_make_one_row_at_the_first_ones_price():
    """Two trades of a contract the book does not hold were two rows at their own prices, silently:
    100 DEF at $50 and 100 at $52 (less 50 at $50) were margined as $7,700 of stock. They now make one
    row at the first trade's price, as a trade on a held contract takes the book's row's, so the 150
    DEF need 150 × $50 × 15% (margin-rules.md §2.3) beside XYZ's 1,000 × $100 × 15%, and the trade
    priced otherwise is a warning naming both trades rows and both prices."""
    held = book(["XYZ", "stock", 1000, 100.0])
    trades = fills(["DEF", "stock", 100, 50.0], ["DEF", "stock", 100, 52.0], ["DEF", "stock", -50, 50.0])
    result = margin_impact(held, trades, SETTINGS, ("pm",))
    assert result.line("pm").after == (1000 * 100.0 + 150 * 50.0) * 0.15
    assert result.warnings == (
        "trades row 3: price 52 differs from 50 on trades row 2, the same contract (DEF); the book does "
        "not hold it, so its trades make one row at the first one's price, as a trade on a held contract "
        "takes the book's price",
    )  # row 4 at the first one's price: no warning
    union, before, after = trade_union(held, trades, mark=True)
    assert union.arrays["row"].tolist() == [2, -2]  # one row, named by the first trade's
    assert (before.tolist(), after.tolist()) == ([1000, 0], [1000, 150])
    # trades that cancel out leave nothing of their contract
    assert len(with_trades(held, book(["DEF", "stock", 10, 50.0], ["DEF", "stock", -10, 50.0]))) == 1


def test_a_chosen_candidate_priced_apart_from_the_held_row_is_a_warning():
    """Candidates net into the book's rows as trades do (at the book's price): one priced otherwise
    was not said. Selling 500 of the 1,000 XYZ leaves 500 × $100 × 15% by the engine."""
    result = hedge_optimize(LONG_STOCK, candidates(["XYZ", "stock", -500, 99.0]), SETTINGS, "pm")
    assert result.trades == ((2, "XYZ", -500.0, 49_500.0),)
    assert result.engine_value == 500 * 100.0 * 0.15
    assert result.warnings == (
        "candidates row 2: price 99 differs from 100 on positions row 2, the same contract (XYZ); the "
        "book's price is used, as margin values a held position at its mark, not at a trade's price",
    )
    assert (
        hedge_optimize(LONG_STOCK, candidates(["XYZ", "stock", -500, 100.0]), SETTINGS, "pm").warnings == ()
    )


@pytest.mark.parametrize("objective", ["pm", "risk"])
def test_the_optimiser_prices_a_candidate_on_a_held_contract_at_the_books_mark(objective):
    """The engine check nets a candidate on a held contract into the book's row, at the book's price
    (margin values a held position at its mark); the program priced it at its own, so selling 500 of
    the 1,000 XYZ at $99 left 500 × $100 − 500 × $99 of stock: 7,575 by the program (pm), 7,500 =
    500 × $100 × 15% (margin-rules.md §2.3) by the engine. The program now prices it as the check."""
    result = hedge_optimize(LONG_STOCK, candidates(["XYZ", "stock", -500, 99.0]), SETTINGS, objective)
    assert result.trades == ((2, "XYZ", -500.0, 49_500.0),)  # the spend is still at the trade's price
    assert result.optimiser_value == result.engine_value
    assert result.engine_value == requirement(objective, book(["XYZ", "stock", 500, 100.0]), SETTINGS)
    if objective == "pm":
        assert result.engine_value == 500 * 100.0 * 0.15
    assert len(result.warnings) == 1  # the price conflict is still said


def test_trades_net_only_against_the_same_contract():
    """A trade nets against the row holding its contract (every CONTRACT_KEY field equal: a stock's
    blank strike matches a blank strike); one that differs in any field opens a row."""
    held = book(
        ["XYZ", "stock", 100, 50.0],
        ["XYZ C55", "option", -1, 1.2, "XYZ", 50.0, 55, 30, "call", 0.3],
        ["XYZ C55", "option", 2, 1.4, "XYZ", 50.0, 55, 60, "call", 0.3],
    )
    trades = book(
        ["XYZ", "stock", -40, 50.0],  # nets: stock, no strike
        ["XYZ C55", "option", 1, 1.4, "XYZ", 50.0, 55, 60, "call", 0.3],  # nets with row 4
        ["XYZ C55", "option", 3, 1.3, "XYZ", 50.0, 55, 45, "call", 0.3],  # another expiry: opens
        ["XYZ C55", "option", 1, 1.2, "XYZ", 50.0, 55, 30, "put", 0.3],  # another right: opens
        ["ABC", "stock", 10, 20.0],  # another symbol: opens
    )
    union, before, after = trade_union(held, trades)
    assert before.tolist() == [100, -1, 2, 0, 0, 0]
    assert after.tolist() == [60, -1, 3, 3, 1, 10]
    assert union.arrays["row"].tolist() == [2, 3, 4, 4, 5, 6]  # the opened trades keep their rows


def test_the_union_carries_codes_that_match_its_columns():
    """The book with trades joined keeps the book's text-column codes and extends them by the
    trades' values (no second pass over the rows), so they must still name every row's value; a
    book whose trades all net against held rows is the book itself."""
    held = book(["XYZ", "stock", 100, 50.0], ["XYZ C55", "option", -1, 1.2, "XYZ", 50.0, 55, 30, "call", 0.3])
    trades = book(["ABC", "etf", 10, 20.0], ["XYZ C55", "option", 1, 1.2, "XYZ", 50.0, 55, 30, "put", 0.3])
    names = ("type", "class_group", "asset_class", "right", "style", "symbol")
    for name in names:
        held.codes(name)
    union, _, after = trade_union(held, trades, mark=True)
    assert set(names) <= set(union.coded())
    for name in names:
        codes, values = union.codes(name)
        assert [values[c] for c in codes.tolist()] == union.arrays[name].tolist()
    closed = with_quantities(union, after)
    for name in names:
        codes, values = closed.codes(name)
        assert [values[c] for c in codes.tolist()] == closed.arrays[name].tolist()
    assert trade_union(held, book(["XYZ", "stock", -40, 50.0]))[0] is held


# --- contributions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("regime", ["pm", "risk"])
def test_contributions_add_up_and_incrementals_match_recomputation(regime):
    result = margin_contribution(INDEX_BOOK, SETTINGS, regime)
    total = requirement(regime, INDEX_BOOK, SETTINGS)
    assert round(sum(result.component), 2) == round(total, 2)
    q = INDEX_BOOK.arrays["quantity"]
    for i in range(len(INDEX_BOOK)):
        others = q.copy()
        others[i] = 0.0
        expected = round(total - requirement(regime, with_quantities(INDEX_BOOK, others), SETTINGS), 2)
        assert result.incremental[i] == pytest.approx(expected, abs=0.011)
    table = result.table()
    components = [
        row[3] for row in table[1:] if row[0] not in ("total", "warning")
    ]  # the engine's warnings last
    assert components == sorted(components, reverse=True)


def test_single_stock_component_is_its_own_requirement():
    # one position: its component and its incremental are the whole requirement, 15% × $100,000
    result = margin_contribution(LONG_STOCK, SETTINGS, "pm")
    assert result.component == (15000.0,) and result.incremental == (15000.0,)


# --- liquidation -------------------------------------------------------------------------------------

SMALL = book(
    ["XYZ", "stock", 6, 100.0],
    ["ABC", "stock", -4, 50.0],
    ["XYZ C100", "option", -2, 2.0, "XYZ", 100.0, 100, 30, "call", 0.3],
    ["SPY", "etf", 3, 600.0],
)


@pytest.mark.parametrize("regime", ["pm", "risk"])
def test_liquidation_restores_equity_and_brute_force_finds_no_smaller_plan(regime):
    before = requirement(regime, SMALL, SETTINGS)
    equity = 0.55 * before
    plan = liquidation_plan(SMALL, equity, SETTINGS, regime)
    assert plan.status == "optimal"
    assert plan.after <= equity + 0.005
    assert round(plan.optimiser_value, 2) == round(plan.after, 2)
    q = SMALL.arrays["quantity"]
    size = notional(SMALL)
    plans = sorted(itertools.product(*[range(int(abs(v)) + 1) for v in q]), key=lambda y: float(size @ y))
    least = next(  # every whole-unit closing plan, least notional first: the first that fits
        float(size @ np.array(y))
        for y in plans
        if requirement(regime, with_quantities(SMALL, q - np.sign(q) * np.array(y)), SETTINGS) <= equity
    )
    assert plan.notional == pytest.approx(least, abs=0.01)
    for row, _, trade, _ in plan.trades:  # closing only
        held = q[list(SMALL.arrays["row"]).index(row)]
        assert np.sign(trade) == -np.sign(held) and abs(trade) <= abs(held)


def test_liquidation_needs_positive_equity_and_sells_nothing_when_within():
    with pytest.raises(InputError, match="equity must be above 0"):
        liquidation_plan(SMALL, 0.0, SETTINGS)
    assert liquidation_plan(LONG_STOCK, 20000.0, SETTINGS).trades == ()


BOND_HEADER = ["symbol", "type", "quantity", "price", "maturity", "coupon", "denomination"]


def test_a_plan_sells_bonds_in_whole_pieces_of_their_denomination():
    """A bond's quantity is its face, and bonds trade in pieces of a minimum denomination (face 1,000
    unless the row gives its own): the plan proposed -99,897.93 face of the sample's Treasury."""
    bonds = read_positions(
        [
            BOND_HEADER,
            ["UST A", "bond", 100000, 99.2, 5.0, 4.25, None],  # pieces of 1,000
            ["UST B", "bond", 2500, 99.2, 5.0, 4.25, None],  # 0, 1,000, 2,000 or all 2,500
            ["CORP", "bond", 60000, 101.5, 8.0, 5.5, 5000],  # pieces of 5,000
        ],
        as_of=AS_OF,
    )
    before = requirement("risk", bonds, SETTINGS)
    for share in (0.9, 0.5, 0.13, 0.01):
        plan = liquidation_plan(bonds, share * before, SETTINGS, "risk")
        assert plan.status == "optimal" and plan.trades
        assert plan.after <= plan.target + 0.005
        for row, _, trade, _ in plan.trades:
            piece = {2: 1000, 3: 1000, 4: 5000}[row]
            assert trade % piece == 0 or (row == 3 and trade == -2500), (share, row, trade)


def test_a_plan_on_the_sample_for_an_equity_of_1_is_optimal_not_a_time_limit():
    """`xlmargin plan --regime risk --equity 1` on the bundled sample ran into its time limit twice
    (40 s): the bond's face, continuous, let the solver tune the residual loss to the dollar in
    ever more ways. In whole pieces the plan is proven optimal at once (0.4 s)."""
    sample = read_positions(api.rows_of(sample_positions()), as_of=AS_OF)
    quick = decision_settings({"as_of": AS_OF, "time_limit": 5.0}, AS_OF)
    plan = liquidation_plan(sample, 1.0, quick, "risk")
    assert plan.status == "optimal"
    assert plan.after <= 1.0 + 0.005
    bond = next(t for t in plan.trades if t[1] == "UST 4.25 2031")
    assert bond[2] % 1000 == 0


def test_a_pm_plan_sells_the_bonds_margined_outside_portfolio_margin():
    """Under portfolio margin the plan sells bonds too (margined outside it, FINRA 4210(e)(2): a
    figure per piece of face): the sample's Treasury, once a requirement no equity of 1 met, is sold
    with the rest, in whole pieces."""
    sample = read_positions(api.rows_of(sample_positions()), as_of=AS_OF)
    plan = liquidation_plan(sample, 1.0, SETTINGS, "pm")
    bonds = {int(r) for r, t in zip(sample.arrays["row"], sample.arrays["type"], strict=True) if t == "bond"}
    sold = [q for row, _, q, _ in plan.trades if row in bonds]
    assert sold and all(q % 1000.0 == 0.0 for q in sold)
    assert plan.after <= 1.0


# --- margin call -----------------------------------------------------------------------------------------


def test_margin_call_move_of_a_long_stock_book_by_hand():
    # equity + 100,000 m = 15% × 100,000 (1 + m)  →  m = −25,000 / 85,000 = −0.294118
    result = margin_call_move(LONG_STOCK, 40000.0, SETTINGS, "pm")
    down, up = result.crossings[:2]
    assert down.at == pytest.approx(-25000.0 / 85000.0, abs=2e-6)
    assert up.at is None  # a long stock book only gains equity faster than requirement going up
    assert result.crossings[2].label.startswith("scenario")
    with pytest.raises(InputError, match="equity must be above 0"):
        margin_call_move(LONG_STOCK, -1.0, SETTINGS)


def test_margin_call_move_is_never_shown_longer_than_it_is():
    """PM on long stock needs its loss at the −15% point (pm.toml, OCC TIMS equity range), so the
    call comes at equity + 100,000 m = 15% × 100,000 (1 + m): with equity 25,493.827065 at
    m = −0.123456789 exactly. The table shows −12.3456% (cut toward zero at four decimals), never
    −12.3457%, and the equity meets the requirement there to the cent."""
    equity = 15_000 + 85_000 * 0.123456789
    result = margin_call_move(LONG_STOCK, equity, SETTINGS, "pm")
    down = result.crossings[0]
    assert down.at == pytest.approx(-0.123456789, abs=1e-9)
    assert abs(down.at) <= 0.123456789 + 1e-15
    row = result.table()[2]
    assert row[:2] == ["market down", -12.3456]
    assert row[2] == pytest.approx(row[3], abs=0.01)


# --- the solver's time limit ---------------------------------------------------------------------------


def test_a_time_limit_returns_the_best_plan_found_and_says_so():
    # a "market split" instance (Cornuéjols & Dawande 1999): 40 binaries, 5 equalities with slack;
    # a plan is found at once, proving the optimum takes far longer than 0.3 s
    from xlmargin.decisions._lp import Program

    rng = np.random.default_rng(7)
    a = rng.integers(0, 100, (5, 40)).astype(float)
    target = np.floor(a.sum(axis=1) / 2)
    program = Program()
    x = program.variables(0.0, 1.0, True, count=40)
    over, under = program.variables(0.0, np.inf, count=5), program.variables(0.0, np.inf, count=5)
    for i in range(5):
        program.constrain(
            np.concatenate([x, [over[i], under[i]]]), np.concatenate([a[i], [1, -1]]), *[target[i]] * 2
        )
    program.minimise(np.concatenate([over, under]), 1.0)
    solution = program.solve(0.3, "infeasible", "unbounded")
    assert not solution.optimal and solution.gap > 0
    assert solution.status.startswith("time limit hit: best plan found, optimality gap")


def test_a_leveraged_etf_trade_is_priced_apart_and_hedged_exactly_as_a_pm_candidate():
    header = ["symbol", "type", "quantity", "price", "leverage"]
    trade = read_positions([header, ["IVV", "etf", 100, 600.0, 2]], as_of=AS_OF)  # SPX class group
    line = margin_impact(INDEX_BOOK, trade, SETTINGS, ("pm",)).line("pm")
    assert line.before == requirement("pm", INDEX_BOOK, SETTINGS)
    assert line.after == requirement("pm", with_trades(INDEX_BOOK, trade), SETTINGS)
    hedged = hedge_optimize(
        INDEX_BOOK, read_candidates([header, ["SSO", "etf", 100, 100.0, 2]], AS_OF), SETTINGS
    )
    assert hedged.optimiser_value == hedged.engine_value  # one program per choice of SSO bought or not


def test_fewest_trades_plan_is_the_brute_force_lexicographic_optimum():
    equity = 0.55 * requirement("pm", SMALL, SETTINGS)
    by_trades = decision_settings({"as_of": AS_OF, "plan_by": "trades"}, AS_OF)
    plan = liquidation_plan(SMALL, equity, by_trades, "pm")
    assert plan.after <= equity + 0.005
    q = SMALL.arrays["quantity"]
    size = notional(SMALL)
    plans = sorted(
        itertools.product(*[range(int(abs(v)) + 1) for v in q]),
        key=lambda y: (sum(v > 0 for v in y), float(size @ y)),
    )
    best = next(  # fewest positions touched, then least notional: the first plan that fits
        y
        for y in plans
        if requirement("pm", with_quantities(SMALL, q - np.sign(q) * np.array(y)), SETTINGS) <= equity
    )
    assert len(plan.trades) == sum(v > 0 for v in best)
    assert plan.notional == pytest.approx(float(size @ best), abs=0.01)


def test_margin_call_move_under_the_account_view_compares_unrounded_segments():
    """A book of securities only: the account view is its Reg T segment, so the call is where
    Reg T's is, with the same equity and requirement there. On the sum of cent-rounded segments the
    search stopped a cent or two off (a regression snapshot book from benchmarks/book.py)."""
    from benchmarks.book import AS_OF as BOOK_AS_OF
    from benchmarks.book import book as bench_book

    portfolio = read_positions(bench_book(30, 12, 8, seed=0), as_of=BOOK_AS_OF)
    settings = decision_settings({"as_of": BOOK_AS_OF}, BOOK_AS_OF)
    equity = 1.02 * requirement("regt", portfolio, settings)
    account = margin_call_move(portfolio, equity, settings, "account").table()
    alone = margin_call_move(portfolio, equity, settings, "regt").table()
    assert [row[1:4] for row in account[1:]] == [row[1:4] for row in alone[1:]]
