"""HEDGE_OPTIMIZE under Reg T (objectives regt and regt_maintenance): the candidates' quantities
and the strategy pairing in one mixed-integer program.

Hand-computed books cite margin-rules.md (gross convention, as the decisions' Reg T engine totals
it; rule figures from xlmargin/rules/regt.toml); random small books are checked against every
quantity vector the candidates allow, each book after margined by the Reg T engine itself.
"""

import itertools

import numpy as np
import pytest

from tests.conftest import AS_OF
from tests.test_decisions_engine import SETTINGS, book, candidates
from xlmargin.decisions import decision_settings, hedge_optimize
from xlmargin.decisions._common import with_quantities, with_trades
from xlmargin.errors import InputError
from xlmargin.regt import regt_margin

BASIS = {"regt": "initial", "regt_maintenance": "maintenance"}

# --- by hand -----------------------------------------------------------------------------------------

SHORT_CALL = book(["XYZ C60", "option", -1, 40.5, "XYZ", 100.0, 60, 30, "call", 0.3])
STOCK = ["XYZ", "stock", 100, 100.0]
CALL = ["XYZ C90", "option", 1, 11.0, "XYZ", 100.0, 90, 30, "call", 0.3]


def _trades(result):
    return [(symbol, quantity, round(spend, 2)) for _, symbol, quantity, spend in result.trades]


def test_naked_call_is_covered_by_the_stock_under_maintenance_and_spread_on_a_budget():
    """§1.3: the naked C60 on $100 needs $40.50 + 20% × $100 = $60.50/share (no OTM amount; above
    the 10% floor): $6,050. §1.6 maintenance: 100 shares cover it, 25% of the stock valued at no
    more than the $60 strike (ITM): $1,500; §1.4: buying the C90 makes a call credit spread, the
    lesser of the naked $6,050 and the width 30 × 100 = $3,000, the long paid in full beside it
    (its premium is 0 in the gross total of a credit spread): $3,000. So without a budget the stock
    ($10,000 spent); with a budget of $5,000 the stock is out of reach and the C90 ($1,100) wins."""
    both = candidates(STOCK, CALL)
    free = hedge_optimize(SHORT_CALL, both, SETTINGS, "regt_maintenance")
    assert (free.status, free.optimiser_value, free.engine_value) == ("optimal", 1_500.0, 1_500.0)
    assert _trades(free) == [("XYZ", 100.0, 10_000.0)]
    capped = hedge_optimize(SHORT_CALL, both, SETTINGS, "regt_maintenance", budget=5_000.0)
    assert capped.optimiser_value == capped.engine_value == 3_000.0
    assert _trades(capped) == [("XYZ C90", 1.0, 1_100.0)]
    # initial: the covered call's stock needs 50% (§1.6, plus the call's ITM amount as the engine
    # takes it), more than the spread's $3,000: the spread, for $1,100
    initial = hedge_optimize(SHORT_CALL, both, SETTINGS, "regt")
    assert initial.optimiser_value == initial.engine_value == 3_000.0
    assert _trades(initial) == [("XYZ C90", 1.0, 1_100.0)]
    before = next(row for row in initial.table() if row[1] == "Reg T initial")
    assert before[4:7] == [6_050.0, 3_000.0, -3_050.0]


def test_protective_put_lowers_maintenance_not_initial():
    """§1.1: 100 XYZ at $100 need 50% ($5,000) initial, 25% ($2,500) maintenance. §1.6 protective
    put: initial 50% stock + the put in full ($5,150: no put bought); maintenance the lesser of
    10% × $95 + $5 OTM = $14.50/share ($1,450) and 25% × stock ($2,500): one put ($150), and no
    more (a second long put is paid for, §1.2, and pairs with nothing)."""
    stock = book(STOCK)
    put = candidates(["XYZ P95", "option", 3, 1.5, "XYZ", 100.0, 95, 30, "put", 0.3])
    initial = hedge_optimize(stock, put, SETTINGS, "regt")
    assert (initial.optimiser_value, initial.engine_value, initial.trades) == (5_000.0, 5_000.0, ())
    kept = hedge_optimize(stock, put, SETTINGS, "regt_maintenance")
    assert kept.optimiser_value == kept.engine_value == 1_450.0
    assert _trades(kept) == [("XYZ P95", 1.0, 150.0)]


def test_a_candidate_on_the_held_contract_nets_into_its_row():
    """Buying back the naked C60 itself (its book price, $40.50: $4,050 a contract) frees all
    $6,050; the stock and the C90 cost more per dollar freed only on ties, and there is none."""
    back = candidates(["XYZ C60", "option", 1, 40.5, "XYZ", 100.0, 60, 30, "call", 0.3], CALL)
    result = hedge_optimize(SHORT_CALL, back, SETTINGS, "regt")
    assert result.optimiser_value == result.engine_value == 0.0
    assert _trades(result) == [("XYZ C60", 1.0, 4_050.0)]


# --- against every plan ------------------------------------------------------------------------------

OPTIONS = [
    ("C90", 90, "call", 12.0), ("C100", 100, "call", 5.0), ("C110", 110, "call", 1.5),
    ("P90", 90, "put", 1.2), ("P100", 100, "put", 4.5), ("P110", 110, "put", 11.5),
]  # fmt: skip


def _option(name, quantity):
    _, strike, right, price = next(o for o in OPTIONS if o[0] == name)
    return [f"XYZ {name}", "option", quantity, price, "XYZ", 100.0, strike, 30, right, 0.3]


def _random_case(rng):
    rows = []
    if rng.random() < 0.7:
        rows.append(["XYZ", "stock", int(rng.choice([-200, -100, 100, 200])), 100.0])
    for name in rng.choice([o[0] for o in OPTIONS], size=int(rng.integers(1, 4)), replace=False):
        rows.append(_option(name, int(rng.choice([-2, -1, 1, 2]))))
    held = book(*rows)
    cands = []
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.3:  # a stock line: a few share counts about one contract's cover
            low = int(rng.choice([-101, 0, 98]))
            cands.append(["XYZ", "stock", 1, 100.0, None, None, None, None, None, None, low, low + 3])
        else:  # an option, maybe one the book holds, maybe both ways
            low = int(rng.choice([-2, -1, 0]))
            cands.append(
                [*_option(str(rng.choice([o[0] for o in OPTIONS])), 1), low, low + int(rng.integers(1, 3))]
            )
    return held, candidates(*cands)


def _brute(held, c, basis):
    """Every quantity vector: (unrounded requirement, spend) of each, by the Reg T engine."""
    ranges = [range(int(lo), int(hi) + 1) for lo, hi in zip(c.low, c.high, strict=True)]
    out = []
    for q in itertools.product(*ranges):
        quantity = np.array(q, dtype=float)
        after = with_trades(held, with_quantities(c.portfolio, quantity))
        exact = (
            regt_margin(after, basis=basis, rules=SETTINGS.account.regt_rules).exact if len(after) else 0.0
        )
        out.append((exact, float(c.cost @ np.abs(quantity)), q))
    return out


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("objective", ["regt", "regt_maintenance"])
def test_the_least_requirement_and_the_cheapest_plan_of_it_against_every_plan(seed, objective):
    held, c = _random_case(np.random.default_rng(seed))
    plans = _brute(held, c, BASIS[objective])
    least = min(p[0] for p in plans)
    result = hedge_optimize(held, c, SETTINGS, objective)
    assert result.status == "optimal"
    assert result.optimiser_value == pytest.approx(round(least, 2), abs=0.011)
    chosen = np.zeros(len(c.low))
    for row, _, quantity, _ in result.trades:
        chosen[int(np.flatnonzero(c.portfolio.arrays["row"] == row)[0])] = quantity
    after = with_trades(held, with_quantities(c.portfolio, chosen))
    total = (
        regt_margin(after, basis=BASIS[objective], rules=SETTINGS.account.regt_rules) if len(after) else None
    )
    assert (total.exact if total else 0.0) == pytest.approx(least, abs=1e-6)
    assert result.engine_value == (total.total if total else 0.0)
    cheapest = min(spend for exact, spend, _ in plans if exact <= least + 1e-4)
    assert result.spend == pytest.approx(cheapest, abs=1e-6)


def test_a_budget_is_kept_against_every_plan():
    held = book(_option("C100", -2), _option("P100", -1))
    c = candidates([*_option("C110", 1), 0, 2], [*_option("P90", 1), 0, 2], [*_option("C100", 1), 0, 1])
    for budget in (100.0, 200.0, 300.0, 600.0, 10_000.0):
        plans = [p for p in _brute(held, c, "initial") if p[1] <= budget + 1e-9]
        least = min(p[0] for p in plans)
        result = hedge_optimize(held, c, SETTINGS, "regt", budget=budget)
        assert result.spend <= budget
        assert result.optimiser_value == pytest.approx(round(least, 2), abs=0.011)


# --- surfaces and errors -----------------------------------------------------------------------------

ROWS = [["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right"],
        ["XYZ C60", "option", -1, 40.5, "XYZ", 100.0, 60, 30, "call"]]  # fmt: skip
CANDIDATE_ROWS = [[*ROWS[0], "volatility"], [*STOCK, None, None, None, None, None, None], [*CALL]]


def test_the_cell_python_and_command_line_give_the_same_hedge(tmp_path, capsys):
    from xlmargin import api
    from xlmargin.cli import main
    from xlmargin.excel.decisions import hedge_optimize as cell

    in_cell = cell(ROWS, CANDIDATE_ROWS, "regt_maintenance", 5_000.0, [["as_of", AS_OF]])
    in_python = api.hedge_optimize(ROWS, CANDIDATE_ROWS, "regt_maintenance", 5_000.0, as_of=AS_OF)
    assert [row[:2] for row in in_cell[1:]] == in_python[["line", "item"]].values.tolist()
    assert in_cell[4][:4] == ["trade", "XYZ C90 (row 3)", 1.0, 1_100.0]
    assert in_cell[2][5] == in_cell[3][5] == 3_000.0
    files = []
    for name, rows in (("book.csv", ROWS), ("candidates.csv", CANDIDATE_ROWS)):
        path = tmp_path / name
        path.write_text("\n".join(",".join("" if v is None else str(v) for v in r) for r in rows) + "\n")
        files.append(str(path))
    argv = [
        "hedge",
        *files,
        "--objective",
        "regt_maintenance",
        "--budget",
        "5000",
        "--as-of",
        AS_OF.isoformat(),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "XYZ C90 (row 3)" in out and "1,100.00" in out and "3,000.00" in out


def test_bad_objective_and_candidate_are_one_clear_line():
    with pytest.raises(
        InputError, match="objective must be one of pm, risk, regt, regt_maintenance, account"
    ):
        hedge_optimize(SHORT_CALL, candidates(CALL), SETTINGS, "regt_initial")
    future = candidates(["ESZ6", "future", 1, 6000.0])
    with pytest.raises(InputError, match="row 2, candidates type: a future candidate is outside Reg T"):
        hedge_optimize(SHORT_CALL, future, SETTINGS, "regt")


def test_the_account_objective_under_reg_t_securities_is_the_reg_t_program():
    """The account view's securities segment under Reg T (the default) on its basis: the same
    hedge as the regt objectives, in the account currency (US dollars here)."""
    for basis, objective in (("initial", "regt"), ("maintenance", "regt_maintenance")):
        settings = decision_settings({"as_of": AS_OF, "basis": basis}, AS_OF)
        account = hedge_optimize(SHORT_CALL, candidates(STOCK, CALL), settings, "account")
        alone = hedge_optimize(SHORT_CALL, candidates(STOCK, CALL), settings, objective)
        assert account.trades == alone.trades
        assert account.optimiser_value == account.engine_value == alone.engine_value


def test_the_account_objective_hedges_reg_t_securities_beside_the_futures():
    """Maintenance: AAPL 100 × $200 needs 25% ($5,000, §1.1); the P190 at $2 makes a protective put,
    the lesser of 10% × $190 + $10 OTM = $29/share ($2,900) and $5,000 (§1.6): one put, $200. The
    futures segment is SPAN's, sold down as the pm-securities account hedge sells it."""
    from tests.test_decisions_contribution import ES_SHORT, FUTURES_BOOK

    settings = decision_settings({"as_of": AS_OF, "basis": "maintenance"}, AS_OF)
    put = ["AAPL P190", "option", 3, 2.0, "AAPL", 200.0, 190, 30, "put", 0.28]
    result = hedge_optimize(FUTURES_BOOK, candidates(put, ES_SHORT), settings, "account")
    assert result.status == "optimal"
    assert ("AAPL P190", 1.0, 200.0) in _trades(result)
    assert result.optimiser_value == result.engine_value
    securities = hedge_optimize(
        FUTURES_BOOK.select(np.array([True, False])), candidates(put), settings, "account"
    )
    assert securities.engine_value == 2_900.0
