"""LIQUIDATION_PLAN under Reg T: the sale and the strategy pairing in one mixed-integer program.

Hand-computed books cite margin-rules.md (gross convention, as the decisions' Reg T engine totals
it; rule figures from xlmargin/rules/regt.toml); random small books are checked against every sale
there is, each margined by the Reg T engine itself.
"""

import dataclasses
import itertools

import numpy as np
import pytest

from tests.conftest import AS_OF
from tests.test_decisions_engine import SETTINGS, book
from xlmargin.decisions import decision_settings, liquidation_plan
from xlmargin.decisions._common import notional, requirement, with_quantities
from xlmargin.decisions._lp import Program
from xlmargin.decisions._regt import regt_program, requirement_variable
from xlmargin.errors import InputError
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

INITIAL = dataclasses.replace(SETTINGS, basis="initial")  # the plan on Reg T initial (basis=initial)

# --- by hand -----------------------------------------------------------------------------------------


def _trades(plan):
    return [(row, quantity, round(size, 2)) for row, _, quantity, size in plan.trades]


def test_covered_call_and_stock_sell_the_stock_that_frees_most_per_dollar():
    """§1.1, §1.6 (initial): the covered call needs the stock's 50% × 100 × $100 = $5,000 (the OTM
    call nothing), 300 ABC 50% × $15,000 = $7,500: $12,500. To $10,000: each ABC share sold frees
    $25 for $50 of notional (100 shares: $5,000); selling XYZ leaves the call naked ($200 + 20% ×
    $10,000 − $500 OTM = $1,700, §1.3): all 100 shares ($10,000) to reach $9,200."""
    covered = book(
        ["XYZ", "stock", 100, 100.0],
        ["XYZ C105", "option", -1, 2.0, "XYZ", 100.0, 105, 30, "call", 0.3],
        ["ABC", "stock", 300, 50.0],
    )
    plan = liquidation_plan(covered, 10_000.0, INITIAL, "regt")
    assert (plan.before, plan.status) == (12_500.0, "optimal")
    assert _trades(plan) == [(4, -100.0, 5_000.0)]
    assert plan.after == plan.optimiser_value == 10_000.0


def test_short_put_vertical_buys_back_the_shorts_not_the_spread():
    """§1.4: a put credit spread needs the width, 5 × 100 = $500 a spread (the long's $100 premium
    is less than the short's $300 proceeds: no debit); 5 spreads $2,500 and 100 LMN 50% × $4,000 =
    $2,000: $4,500. To $3,900: buying back two short puts ($600 of notional) leaves 3 spreads
    ($1,500) and two long puts paid in full (§1.2, $200): $3,700. A whole spread closed costs $400
    and frees $500 (two: $800); 30 LMN shares $1,200."""
    vertical = book(
        ["XYZ P100", "option", -5, 3.0, "XYZ", 102.0, 100, 30, "put", 0.3],
        ["XYZ P95", "option", 5, 1.0, "XYZ", 102.0, 95, 30, "put", 0.3],
        ["LMN", "stock", 100, 40.0],
    )
    plan = liquidation_plan(vertical, 3_900.0, INITIAL, "regt")
    assert plan.before == 4_500.0
    assert _trades(plan) == [(2, 2.0, 600.0)]
    assert plan.after == 3_700.0


def test_short_straddle_closes_one_of_each_leg():
    """§1.5: a short straddle needs the greater naked requirement plus the other leg's value. Call
    $2 + 20% × $50 = $12/share ($1,200), put $1.50 + $10 = $11.50 ($1,150) (§1.3, at the money):
    $1,200 + $150 = $1,350 a straddle, $2,700 for two. To $2,000: one call and one put ($350)
    leave one straddle, $1,350; two puts ($300) leave two naked calls, $2,400; one call ($200)
    leaves a straddle and a naked put, $2,500."""
    straddle = book(
        ["XYZ C50", "option", -2, 2.0, "XYZ", 50.0, 50, 30, "call", 0.3],
        ["XYZ P50", "option", -2, 1.5, "XYZ", 50.0, 50, 30, "put", 0.3],
    )
    plan = liquidation_plan(straddle, 2_000.0, INITIAL, "regt")
    assert plan.before == 2_700.0
    assert _trades(plan) == [(2, 1.0, 200.0), (3, 1.0, 150.0)]
    assert plan.after == 1_350.0


def test_naked_puts_buy_back_the_one_that_frees_most():
    """§1.3 (maintenance, the same figure): XYZ P40 on $42, $1 + 20% × $42 − $2 OTM = $7.40/share
    (above $1 + 10% × $40 = $5), $740 a contract, 3: $2,220; ABC P20 at the money, $0.60 + $4 =
    $4.60, $460 each, 2: $920. $3,140 to $2,500: one P40 ($100) frees $740; two P20 ($120) $920."""
    naked = book(
        ["XYZ P40", "option", -3, 1.0, "XYZ", 42.0, 40, 30, "put", 0.3],
        ["ABC P20", "option", -2, 0.6, "ABC", 20.0, 20, 30, "put", 0.3],
    )
    plan = liquidation_plan(naked, 2_500.0, SETTINGS, "regt_maintenance")
    assert plan.before == 3_140.0
    assert _trades(plan) == [(2, 1.0, 100.0)]
    assert plan.after == 2_400.0


def test_short_stock_under_5_dollars_is_bought_back_first():
    """§1.1 (maintenance; cases si-short-stock-maint-C/D): short 1,000 at $4 needs the greater of
    $2.50/share and 100%, $4/share ($4,000); short 500 at $10 the greater of $5/share and 30%,
    $5/share ($2,500): $6,500. To $5,600: each $4 share bought back frees $4 for $4 (225 shares,
    $900), each $10 share $5 for $10."""
    shorts = book(["PNY", "stock", -1000, 4.0], ["MID", "stock", -500, 10.0])
    plan = liquidation_plan(shorts, 5_600.0, SETTINGS, "regt_maintenance")
    assert plan.before == 6_500.0
    assert _trades(plan) == [(2, 225.0, 900.0)]
    assert plan.after == 5_600.0


# --- against every sale --------------------------------------------------------------------------

HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right",
          "multiplier", "maturity", "coupon", "denomination", "class"]  # fmt: skip


def _random_book(seed: int):
    """A few legs of one underlying (options of multiplier 5, so that 5 shares cover a contract),
    small quantities, and now and then a second stock, a bond or a contract held long and short."""
    rng = np.random.default_rng(seed)
    spot = 50.0
    rows = [["XYZ", "stock", int(rng.choice([-6, -5, 5, 6])), spot] + [None] * 10]
    for _ in range(int(rng.integers(2, 4))):
        right = str(rng.choice(["call", "put"]))
        strike = float(rng.choice([45, 50, 55]))
        days = int(rng.choice([30, 400]))
        intrinsic = max(spot - strike, 0.0) if right == "call" else max(strike - spot, 0.0)
        price = intrinsic + (1.0 if days == 30 else 3.0) + (0.25 if right == "put" else 0.0)
        quantity = int(rng.choice([-3, -2, -1, 1, 2, 3]))
        symbol = f"XYZ {right[0].upper()}{strike:g} {days}"
        rows.append(
            [symbol, "option", quantity, price, "XYZ", spot, strike, days, right, 5, None, None, None, None]
        )
    if rng.random() < 0.4:  # the first option held on the other side too: the engine nets them
        rows.append([*rows[1][:2], -int(np.sign(rows[1][2])) * int(rng.integers(1, 4)), *rows[1][3:]])
    extra = rng.integers(0, 3)
    if extra == 1:
        rows.append(["ABC", "stock", int(rng.choice([-3, 4])), 3.0] + [None] * 10)  # under $5 (§1.1)
    elif extra == 2:
        rows.append(
            ["UST", "bond", 2000, 99.0, None, None, None, None, None, None, 6.0, 0.0, 1000, "treasury"]
        )
    return read_positions([HEADER, *rows], as_of=AS_OF)


def _sales(portfolio):
    """Every sale the plan may make: each row closed by whole units (a bond by whole pieces of its
    denomination)."""
    a = portfolio.arrays
    steps = []
    for q, kind, piece in zip(a["quantity"], a["type"], a["denomination"], strict=True):
        size = float(piece) if kind == "bond" else 1.0
        steps.append(np.arange(0.0, abs(q) + 0.5, size))
    return [np.array(s) for s in itertools.product(*steps)]


@pytest.mark.parametrize("seed", range(6))
def test_the_plan_is_the_least_feasible_sale_of_every_sale_there_is(seed):
    portfolio = _random_book(seed)
    a = portfolio.arrays
    quantity, sign = a["quantity"], np.sign(a["quantity"])
    sales = _sales(portfolio)
    size = notional(portfolio) @ np.array(sales).T
    rules = SETTINGS.account.regt_rules
    for regime, basis in (("regt", "initial"), ("regt_maintenance", "maintenance")):
        exact = np.array(
            [
                regt_margin(after, basis=basis, rules=rules).exact if len(after) else 0.0
                for after in (with_quantities(portfolio, quantity - sign * s) for s in sales)
            ]
        )
        levels = np.unique(np.round(exact, 6))
        before = requirement(regime, portfolio, SETTINGS)
        for k in (0.25, 0.5, 0.8):  # targets between two requirements a sale reaches: no tie at the line
            i = int(k * (len(levels) - 1))
            target = float((levels[i] + levels[i + 1]) / 2) if i + 1 < len(levels) else float(levels[i])
            if target >= before:
                continue
            least = float(size[exact <= target].min())
            plan = liquidation_plan(portfolio, target, INITIAL, regime)
            assert plan.status == "optimal"
            assert plan.notional == pytest.approx(least, rel=1e-9, abs=1e-6), (seed, regime, target)
            closed = np.zeros(len(portfolio))
            for row, _, trade, _ in plan.trades:
                closed[int(np.flatnonzero(a["row"] == row)[0])] = abs(trade)
            after = with_quantities(portfolio, quantity - sign * closed)
            assert regt_margin(after, basis=basis, rules=rules).exact <= target + 1e-6
            assert plan.optimiser_value == pytest.approx(regt_margin(after, basis=basis, rules=rules).exact)


@pytest.mark.parametrize("seed", range(6, 12))
@pytest.mark.parametrize("net_of_proceeds", [False, True])
def test_the_program_is_the_engines_requirement_for_any_sale(seed, net_of_proceeds):
    """For a fixed sale the program's least requirement is the engine's (unrounded), on both bases
    and in both conventions (gross and net of the short proceeds), a netted contract and a bond
    included."""
    portfolio = _random_book(seed)
    quantity, sign = portfolio.arrays["quantity"], np.sign(portfolio.arrays["quantity"])
    rng = np.random.default_rng(seed)
    sales = _sales(portfolio)
    for basis in ("initial", "maintenance"):
        terms = regt_program(portfolio, basis, None, net_of_proceeds)
        for s in [sales[int(i)] for i in rng.choice(len(sales), 8)]:
            after = with_quantities(portfolio, quantity - sign * s)
            engine = (
                regt_margin(after, basis=basis, net_of_proceeds=net_of_proceeds).exact if len(after) else 0.0
            )
            program = Program()
            y = program.variables(s, s)
            t = requirement_variable(program, terms, quantity, y, -np.ones(len(s)))
            program.minimise(np.array([t]), 1.0)
            assert program.solve(10.0, "infeasible", "unbounded").objective == pytest.approx(
                engine, abs=1e-6
            ), (
                seed,
                basis,
                s,
            )


def test_a_contract_held_long_and_short_may_end_on_either_side():
    """Rows 2 and 3 hold one call long 3 and short 1: the engine nets them to 2 long (§1.2: the
    premium, $200 a contract), beside 2 short calls of strike 55 and a short put. Buying back the
    short row leaves 3 long; selling 3 long rows leaves 1 short, naked or in a spread. The program
    holds both sides, one at zero: its figure for each sale is the engine's."""
    netted = book(
        ["XYZ C50", "option", 3, 2.0, "XYZ", 50.0, 50, 30, "call", 0.3],
        ["XYZ C50", "option", -1, 2.0, "XYZ", 50.0, 50, 30, "call", 0.3],
        ["XYZ C55", "option", -2, 0.5, "XYZ", 50.0, 55, 30, "call", 0.3],
        ["XYZ P45", "option", -1, 0.4, "XYZ", 50.0, 45, 30, "put", 0.3],
    )
    quantity = netted.arrays["quantity"]
    for basis, net in itertools.product(("initial", "maintenance"), (False, True)):
        terms = regt_program(netted, basis, None, net)
        assert len(terms.netted) == 1
        for sold in itertools.product(range(4), range(2)):  # every sale of the two rows
            s = np.array([*sold, 0.0, 0.0])
            after = with_quantities(netted, quantity - np.sign(quantity) * s)
            program = Program()
            y = program.variables(s, s)
            t = requirement_variable(program, terms, quantity, y, -np.ones(4))
            program.minimise(np.array([t]), 1.0)
            found = program.solve(10.0, "infeasible", "unbounded").objective
            engine = regt_margin(after, basis=basis, net_of_proceeds=net).exact
            assert found == pytest.approx(engine, abs=1e-6), (basis, net, sold)
    before = requirement("regt", netted, SETTINGS)
    plan = liquidation_plan(netted, before - 1.0, INITIAL, "regt")
    assert plan.after <= before - 1.0 and plan.status == "optimal"


# --- the same plan on every path; bad input --------------------------------------------------------

ROWS = [
    ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right"],
    ["XYZ P100", "option", -5, 3.0, "XYZ", 102.0, 100, 30, "put"],
    ["XYZ P95", "option", 5, 1.0, "XYZ", 102.0, 95, 30, "put"],
    ["LMN", "stock", 100, 40.0],
]


def test_the_cell_python_and_command_line_give_the_same_plan(tmp_path, capsys):
    from xlmargin import api
    from xlmargin.cli import main
    from xlmargin.excel.decisions import liquidation_plan as cell

    params = [["as_of", AS_OF], ["basis", "initial"]]
    in_cell = cell(ROWS, 3_900.0, "regt", params)
    in_python = api.liquidation_plan(ROWS, 3_900.0, "regt", as_of=AS_OF, basis="initial")
    assert [row[:2] for row in in_cell[1:]] == in_python[["line", "item"]].values.tolist()
    figures = in_python.dropna(subset=[in_python.columns[3]])
    assert [row[3] for row in in_cell[1:] if isinstance(row[3], float)] == figures.iloc[:, 3].tolist()
    assert ["trade", "XYZ P100 (row 2)", 2.0, 600.0] in in_cell
    path = tmp_path / "book.csv"
    path.write_text("\n".join(",".join(map(str, r)) for r in ROWS) + "\n", encoding="utf-8")
    argv = ["plan", str(path), "--equity", "3900", "--regime", "regt", "--as-of", AS_OF.isoformat()]
    argv += ["--param", "basis=initial"]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "no liquidation plan" not in out.err
    assert "XYZ P100 (row 2)" in out.out and "600.00" in out.out


def test_bad_input_is_one_clear_line():
    vertical = read_positions(ROWS, as_of=AS_OF)
    with pytest.raises(InputError, match="equity must be above 0"):
        liquidation_plan(vertical, 0.0, SETTINGS, "regt")
    shorts = book(["XYZ", "stock", -100, 50.0])  # cash alone is never sold; a short can be bought back
    with pytest.raises(InputError, match="equity must be above 0"):
        liquidation_plan(shorts, -5.0, SETTINGS, "regt_maintenance")


def test_a_time_limit_says_the_plan_is_the_best_found_not_proven_least(monkeypatch):
    from xlmargin.decisions import _lp

    real = _lp.Program.solve

    def cut(self, time_limit, infeasible, unbounded):
        found = real(self, time_limit, infeasible, unbounded)
        return _lp.Solution(found.x, found.objective, False, 0.05)

    monkeypatch.setattr(_lp.Program, "solve", cut)
    vertical = read_positions(ROWS, as_of=AS_OF)
    quick = decision_settings({"as_of": AS_OF, "time_limit": 1.0, "basis": "initial"}, AS_OF)
    plan = liquidation_plan(vertical, 3_900.0, quick, "regt")
    assert plan.status == "time limit hit: best plan found, optimality gap 5.00%"
