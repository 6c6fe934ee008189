"""Bonds in the decisions: LIQUIDATION_PLAN sells them under pm (margined outside portfolio margin,
FINRA 4210(e)(2): margin-rules.md §1.8), HEDGE_OPTIMIZE's Reg T objectives net a bond candidate into
the held row, every bond trades in whole pieces of its ``denomination``; and the hedge's ``cost`` of
0 and the budget's line. Each optimum is checked against every plan of a small grid, each book
margined by the engine itself (the reviewer's R8 cases).
"""

import itertools

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin.decisions import decision_settings, hedge_optimize, liquidation_plan, read_candidates
from xlmargin.decisions._common import requirement, with_quantities, with_trades
from xlmargin.decisions._lp import Program
from xlmargin.decisions._pieces import in_range
from xlmargin.decisions.candidates import ZERO_COST
from xlmargin.positions import read_positions

SETTINGS = decision_settings({"as_of": AS_OF, "rate": 0.04}, AS_OF)
HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days",
          "right", "volatility", "maturity", "coupon", "class", "denomination"]  # fmt: skip
UST = ["UST 4.25 2031", "bond", 5000, 99.2, None, None, None, None, None, None, 5.2, 4.25, "treasury", 1000]
CORP = ["CORP 6 2030", "bond", 3000, 95.0, None, None, None, None, None, None, 4, 6, "high_yield", 1000]
AAPL = ["AAPL", "stock", 4, 2000.0]
AAPL_CALL = ["AAPL", "option", -2, 50.0, "AAPL", 2000.0, 2100, 30, "call", 0.3]


WIDTH = len(HEADER)


def _rows(rows, width=WIDTH):
    return [list(r) + [None] * (width - len(r)) for r in rows]


def _book(*rows):
    return read_positions([HEADER, *_rows(rows)], as_of=AS_OF)


def _candidates(*rows, header=(*HEADER, "min_qty", "max_qty", "cost")):
    return read_candidates([list(header), *_rows(rows, len(header))], AS_OF)


# --- LIQUIDATION_PLAN under pm: bonds sold in whole pieces -----------------------------------------


def _least_pm_sale(book, target):
    """Every sale of whole pieces (1,000 face) and whole shares: the least notional meeting the
    target, by the engine."""
    q = book.arrays["quantity"]
    size = np.where(book.arrays["type"] == "bond", book.arrays["price"] / 100.0, book.arrays["price"])
    steps = [
        np.arange(0, q[i] + 1, 1000.0 if book.arrays["type"][i] == "bond" else 1.0) for i in range(len(q))
    ]
    best = None
    for sold in itertools.product(*steps):
        sold = np.array(sold)
        if requirement("pm", with_quantities(book, q - sold), SETTINGS) <= target + 1e-9:
            total = float(size @ sold)
            best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("equity", [2414.72, 1207.36])
def test_pm_plan_sells_bonds_and_is_the_least_sale(equity):
    """R8: the pm plan sold 1 XYZ (5,000) where 1,000 UST and the 3,000 CORP (3,842) reach 2,414.72,
    and 15,000 where 11,900 reach 1,207.36: bonds are now sold, in pieces of 1,000 face."""
    book = _book(UST, CORP, ["XYZ", "stock", 3, 5000.0])
    plan = liquidation_plan(book, equity, SETTINGS, "pm")
    assert plan.status == "optimal"
    assert plan.notional == pytest.approx(_least_pm_sale(book, equity), abs=1e-6)
    assert plan.notional == pytest.approx({2414.72: 3842.0, 1207.36: 11_900.0}[equity])
    sold = np.zeros(3)
    for row, _, quantity, _ in plan.trades:
        sold[row - 2] = quantity
    assert all(q % 1000.0 == 0.0 for q in sold[:2])  # whole pieces, exactly
    engine = requirement("pm", with_quantities(book, book.arrays["quantity"] + sold), SETTINGS)
    assert plan.after == pytest.approx(engine) and engine <= equity
    assert plan.optimiser_value == pytest.approx(engine, abs=0.01)


def test_pm_plan_reaches_a_target_only_a_bond_sale_reaches():
    """R8: with equity 300 the plan said no sale reaches the requirement (the bond was not sold).
    CORP: 20% of market value (§1.8, high yield), 3,000 × 0.95 × 20% = 570; XYZ 15% × 500 = 75.
    Selling 2,000 face leaves 190 + 75 = 265 ≤ 300 (1,000 face: 455 > 300)."""
    book = _book(CORP, ["XYZ", "stock", 1, 500.0])
    plan = liquidation_plan(book, 300.0, SETTINGS, "pm")
    assert plan.before == pytest.approx(645.0)
    assert [(row, quantity) for row, _, quantity, _ in plan.trades] == [(2, -2000.0)]
    assert plan.after == pytest.approx(265.0) == plan.optimiser_value
    assert plan.notional == pytest.approx(_least_pm_sale(book, 300.0))


# --- HEDGE_OPTIMIZE: a held bond sold, in whole pieces --------------------------------------------

HELD = (AAPL, AAPL_CALL, [*CORP[:2], 2000, *CORP[3:]])
BOND_SALE = [*CORP[:2], -2000, *CORP[3:], -2000, 0]
STOCK_SALE = [*AAPL[:2], -6, AAPL[3], *[None] * 10, -6, 0]
CALL_BUY = [*AAPL_CALL[:2], 2, *AAPL_CALL[3:], *[None] * 4, 0, 2]


@pytest.mark.parametrize("objective", ["regt", "regt_maintenance", "account"])
def test_reg_t_hedge_sells_a_held_bond(objective):
    """R8: selling the held bond (a candidate netting into its row) said "no candidate lowers the
    objective": the program charged the sale as a new short bond. Closing it takes its 20% × 1,900 =
    380 off, as the engine has the book without it."""
    book = _book(*HELD)
    result = hedge_optimize(book, _candidates(BOND_SALE), SETTINGS, objective)
    assert [(symbol, quantity) for _, symbol, quantity, _ in result.trades] == [("CORP 6 2030", -2000.0)]
    without = requirement(objective, book.select(np.array([True, True, False])), SETTINGS)
    before = requirement(objective, book, SETTINGS)
    assert (
        result.engine_value == result.optimiser_value == pytest.approx(without) == pytest.approx(before - 380)
    )


def _hedge_grid(book, candidates, objective):
    """(objective after, spend, quantities) of every plan on the grid: shares −6..0, calls 0..2, the
    bond in pieces 0, −1,000, −2,000; each book after margined by the engine."""
    out = []
    for q in itertools.product(range(-6, 1), range(0, 3), (0.0, -1000.0, -2000.0)):
        quantity = np.array(q)  # the candidates in the table's order: shares, calls, the bond
        after = with_trades(book, with_quantities(candidates.portfolio, quantity))
        value = round(requirement(objective, after, SETTINGS), 2)
        out.append((value, round(float(candidates.cost @ np.abs(quantity)), 2), q))
    return out


@pytest.mark.parametrize("budget", [None, 960.0, 6000.0, 13_000.0])
def test_reg_t_hedge_with_a_bond_is_the_least_plan_on_the_grid(budget):
    """R8: with a budget of 6,000 the hedge gave 39,380 where 1 call bought and 1,000 face sold give
    39,190 (spend 5,950): the least requirement within the budget, then the least spend, on every
    plan of the grid."""
    book = _book(*HELD)
    c = _candidates(STOCK_SALE, CALL_BUY, BOND_SALE)
    result = hedge_optimize(book, c, SETTINGS, "regt", budget=budget)
    grid = [g for g in _hedge_grid(book, c, "regt") if budget is None or g[1] <= budget + 1e-9]
    value, spend, _ = min(grid)
    assert (result.optimiser_value, result.engine_value) == (value, value)
    assert result.spend == pytest.approx(spend)


def test_a_bond_trade_is_whole_pieces_not_a_float():
    """R8: the risk hedge traded −1999.9996260469056 face. A bond trades in whole pieces of its
    denomination (or all of its bound): exactly −2,000 here, and 2,500 held in pieces of 1,000 sells
    whole pieces or all 2,500."""
    book = _book(*HELD)
    result = hedge_optimize(book, _candidates(STOCK_SALE, CALL_BUY, BOND_SALE), SETTINGS, "risk")
    bond = [quantity for _, symbol, quantity, _ in result.trades if symbol == "CORP 6 2030"]
    assert bond == [-2000.0]
    odd = _book(AAPL, AAPL_CALL, [*CORP[:2], 2500, *CORP[3:]])
    sale = [*CORP[:2], -2500, *CORP[3:], -2500, 0]
    result = hedge_optimize(odd, _candidates(sale), SETTINGS, "regt")
    assert [quantity for _, _, quantity, _ in result.trades] == [-2500.0]
    part = [*CORP[:2], -2500, *CORP[3:], -2500, 0]  # 2,500 of the 3,000 held: whole pieces
    result = hedge_optimize(_book(*HELD[:2], CORP), _candidates(part), SETTINGS, "regt")
    assert [quantity for _, _, quantity, _ in result.trades] == [-2000.0]


@pytest.mark.parametrize(
    ("low", "high", "held", "allowed"),
    [
        (-2500.0, 0.0, 2500.0, {0.0, -1000.0, -2000.0, -2500.0}),  # all of it closes the holding
        (-2500.0, 0.0, 10_000.0, {0.0, -1000.0, -2000.0}),  # 2,500 of 10,000: whole pieces only
        (0.0, 1500.0, -1500.0, {0.0, 1000.0, 1500.0}),  # buying back a short of 1,500
        (0.0, 1500.0, 0.0, {0.0, 1000.0}),  # opening: whole pieces only
        (-1500.0, 2500.0, 0.0, {-1000.0, 0.0, 1000.0, 2000.0}),
    ],
)
def test_pieces_allow_whole_pieces_or_all_that_is_held(low, high, held, allowed):
    """Every value a piece-tied variable may take, by fixing it and solving (1,000 a piece): the odd
    rest only where the bound closes the holding (final read: a candidate's min_qty of 2,500 on a
    holding of 10,000 traded 2,500 face, which no broker fills)."""
    for value in np.arange(low, high + 1.0, 250.0):
        program = Program()
        x = int(program.variables(low, high)[0])
        in_range(program, x, low, high, 1000.0, held)
        program.constrain(np.array([x]), np.ones(1), value, value)
        try:
            program.solve(5.0, "no", "unbounded")
            feasible = True
        except Exception:
            feasible = False
        assert feasible == (value in allowed), value


# --- the cost of 0 and the budget's line ---------------------------------------------------------

PUT_HEADER = ("symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days",
              "right", "volatility", "min_qty", "max_qty", "cost")  # fmt: skip
QQQ_PUT = ["QQQ", "option", 3, 2.0, "QQQ", 500.0, 450, 40, "put", 0.25, 0, 3, 0]
AAPL_PUT = ["AAPL", "option", 2, 40.0, "AAPL", 2000.0, 1900, 30, "put", 0.3, 0, 2, 5]


def test_a_cost_of_0_is_honoured_where_the_table_tells_it_from_a_blank():
    """A table holding an empty cell is no Office.js range (which hands blanks over as 0): its 0
    cost is a cost of nothing. Without one a 0 is read as blank (the dollar notional, 2 × 100 =
    200 a put), with a warning naming the row."""
    blank = ["TSLA", "option", -2, 30.0, "TSLA", 400.0, 420, 30, "call", 0.5, -2, 0, None]
    told = read_candidates([list(PUT_HEADER), QQQ_PUT, AAPL_PUT, blank], AS_OF)
    assert told.cost.tolist() == [0.0, 5.0, 3000.0]
    assert not any(ZERO_COST in w for w in told.portfolio.warnings)
    office = read_candidates([list(PUT_HEADER), QQQ_PUT, AAPL_PUT], AS_OF)
    assert office.cost.tolist() == [200.0, 5.0]
    assert [w for w in office.portfolio.warnings if ZERO_COST in w] == [
        "row 2: a cost of 0 is read as blank (Office.js hands a blank cell over as 0, and this table "
        "holds no empty cell to tell a typed 0 from one): the row costs its dollar notional; give 0.01 "
        "for about nothing"
    ]


def test_the_budget_line_says_when_the_budget_blocks_the_candidates():
    """With 900 no plan fits (1,000 face costs 950): the line says the budget blocks them, and the
    plan without it (0 after, spend 19,900: the grid's). A candidate that lowers nothing keeps "no
    candidate lowers the objective"."""
    book = _book(*HELD)
    c = _candidates(STOCK_SALE, CALL_BUY, BOND_SALE)
    blocked = hedge_optimize(book, c, SETTINGS, "regt", budget=900.0)
    assert blocked.trades == () and blocked.blocked == (0.0, 19_900.0)
    line = next(r[1] for r in blocked.table() if r[0] == "trade")
    assert line == (
        "none: the budget blocks every plan that lowers the objective; without it the least is 0.00, "
        "for a spend of 19,900.00"
    )
    assert min(_hedge_grid(book, c, "regt"))[:2] == (0.0, 19_900.0)
    useless = hedge_optimize(
        _book(AAPL), _candidates([*AAPL[:2], 5, AAPL[3], *[None] * 10, 0, 5]), SETTINGS, "regt", 900.0
    )
    assert next(r[1] for r in useless.table() if r[0] == "trade") == "none: no candidate lowers the objective"
