"""Decisions on a book holding a leveraged ETF, whose class group portfolio margin scans at its
range × |leverage| while the book holds the ETF at any quantity (pm.toml [leveraged_etf]): a 2× ETF
on AAPL widens the AAPL group from ±15% to ±30%, and closing it narrows the group back.

Every expected figure is the engine's on the book after the decision (``pm_requirement`` /
``risk_margin``, rounded to the cent as the engine reports), or a brute-force search with the
engine over every whole-unit closing plan; none is typed from the decision code.
"""

import datetime as dt
import itertools

import numpy as np
import pytest

import xlmargin
from xlmargin.decisions import (
    decision_settings,
    liquidation_plan,
    margin_contribution,
    margin_impact,
)
from xlmargin.decisions._common import notional, requirement, with_quantities
from xlmargin.errors import InputError
from xlmargin.money import cents
from xlmargin.positions import read_positions

D = dt.date(2026, 11, 20)
SETTINGS = decision_settings({"as_of": D}, D)
H = ["symbol", "type", "qty", "price", "underlying", "leverage"]
AAPL = ["AAPL", "stock", 100, 200.0, None, None]
AAPU = ["AAPU", "etf", 10, 50.0, "AAPL", 2]
BOOK = [H, AAPL, AAPU]


def portfolio(table):
    return read_positions(table, as_of=D)


def engine(table) -> float:
    """Portfolio margin of a table by the engine, as a user computes it."""
    return float(xlmargin.pm_requirement(table, as_of=D))


def least_plan(book, equity: float) -> float:
    """The least notional of any whole-unit closing plan that brings the requirement within the
    equity, by the engine on every such book (rows closed to zero dropped)."""
    q = book.arrays["quantity"]
    size = notional(book)
    plans = sorted(itertools.product(*[range(int(abs(v)) + 1) for v in q]), key=lambda y: float(size @ y))
    return next(
        float(size @ np.array(y))
        for y in plans
        if requirement("pm", with_quantities(book, q - np.sign(q) * np.array(y)), SETTINGS) <= equity
    )


def test_the_leveraged_etf_widens_its_class_group_by_its_leverage():
    assert engine(BOOK) == 6150.0  # AAPL ±30%: 100 × 200 × 30% + 10 × 50 × 60%
    assert engine(BOOK[:2]) == 3000.0  # AAPU sold: ±15%


def test_plan_closes_the_leveraged_etf_when_that_is_the_least_sale():
    # was: 44 AAPL and 1 AAPU ($8,850), the program built on the ±30% range throughout
    book = portfolio(BOOK)
    plan = liquidation_plan(book, 3500.0, SETTINGS, "pm")
    assert plan.status == "optimal"
    assert plan.trades == ((3, "AAPU", -10.0, 500.0),)
    assert plan.after == engine(BOOK[:2]) <= 3500.0
    assert cents(plan.optimiser_value) == cents(plan.after)


def test_plan_is_the_brute_force_least_on_a_small_leveraged_book():
    table = [H, ["AAPL", "stock", 10, 200.0, None, None], ["AAPU", "etf", 10, 50.0, "AAPL", 2]]
    book = portfolio(table)
    for equity in (350.0, 500.0, 700.0, 250.0):
        plan = liquidation_plan(book, equity, SETTINGS, "pm")
        assert plan.notional == pytest.approx(least_plan(book, equity), abs=0.01), equity
        left = [
            [s, t, q + next((x for r, _, x, _ in plan.trades if r == i + 2), 0.0), p, u, lev]
            for i, (s, t, q, p, u, lev) in enumerate(table[1:])
        ]
        assert plan.after == engine([H, *[r for r in left if r[2] != 0]]) <= equity


def test_plan_keeps_the_leveraged_etf_when_it_hedges():
    # short AAPL hedged by a 2× ETF: closing the ETF narrows the range but loses the hedge
    table = [H, ["AAPL", "stock", -10, 200.0, None, None], ["AAPU", "etf", 15, 50.0, "AAPL", 2]]
    book = portfolio(table)
    plan = liquidation_plan(book, 100.0, SETTINGS, "pm")
    assert [symbol for _, symbol, _, _ in plan.trades] == ["AAPL"]
    assert plan.notional == pytest.approx(least_plan(book, 100.0), abs=0.01)
    left = [H, ["AAPL", "stock", -10 + plan.trades[0][2], 200.0, None, None], table[2]]
    assert plan.after == engine(left) <= 100.0


def test_plan_refuses_more_leveraged_rows_than_it_enumerates():
    rows = [[f"L{k}", "etf", 10, 50.0, f"U{k}", 2] for k in range(7)]
    with pytest.raises(InputError, match="7 leveraged ETF rows"):
        liquidation_plan(portfolio([H, *rows]), 100.0, SETTINGS, "pm")


def test_impact_of_closing_the_leveraged_etf_is_the_engine_on_the_book_after():
    # was: after 6,000.00 (the ±30% range kept by the row at zero quantity), change −150.00
    line = margin_impact(
        portfolio(BOOK), portfolio([H, ["AAPU", "etf", -10, 50.0, "AAPL", 2]]), SETTINGS
    ).line("pm")
    assert (line.before, line.after) == (engine(BOOK), engine(BOOK[:2]))
    assert line.change == cents(engine(BOOK[:2]) - engine(BOOK))


def test_impact_of_opening_and_partly_closing_a_leveraged_etf():
    opened = margin_impact(portfolio(BOOK[:2]), portfolio([H, AAPU]), SETTINGS).line("pm")
    assert (opened.before, opened.after) == (engine(BOOK[:2]), engine(BOOK))
    part = margin_impact(portfolio(BOOK), portfolio([H, ["AAPU", "etf", -4, 50.0, "AAPL", 2]]), SETTINGS)
    assert part.line("pm").after == engine([H, AAPL, ["AAPU", "etf", 6, 50.0, "AAPL", 2]])


def test_pm_incremental_of_the_leveraged_etf_is_the_engine_without_it():
    # was: AAPU 150.00, the group kept at ±30% without it
    result = margin_contribution(portfolio(BOOK), SETTINGS, "pm")
    assert result.incremental == (
        cents(engine(BOOK) - engine([H, AAPU])),
        cents(engine(BOOK) - engine(BOOK[:2])),
    )
    # a second 2× row in the group keeps the range: each one's without-figure by the engine too
    two = [*BOOK, ["AAPB", "etf", 5, 40.0, "AAPL", 2]]
    result = margin_contribution(portfolio(two), SETTINGS, "pm")
    for i in range(1, len(two)):
        assert result.incremental[i - 1] == cents(engine(two) - engine(two[:i] + two[i + 1 :])), i


H2 = ["symbol", "type", "qty", "price", "underlying", "underlying price", "strike", "expiry", "right",
      "volatility", "multiplier"]  # fmt: skip
C3 = [
    H2,
    ["AAPL 2026-12-18 P190", "option", -2, 2.654707, "AAPL", 200.0, 190, "2026-12-18", "P", 0.3, 100],
    ["AAPL 2026-12-18 P180", "option", 2, 0.767527, "AAPL", 200.0, 180, "2026-12-18", "P", 0.3, 100],
    ["AAPL 2026-12-18 C220", "option", -1, 1.088227, "AAPL", 200.0, 220, "2026-12-18", "C", 0.3, 100],
    ["MSFT", "stock", -20, 400.0, None, None, None, None, None, None, None],
]


def test_risk_incrementals_are_the_difference_of_the_engines_cent_figures():
    # was: MSFT −751.96, the unrounded figures subtracted, where 1,060.30 − 1,812.25 = −751.95
    result = margin_contribution(portfolio(C3), SETTINGS, "risk")
    total = float(xlmargin.risk_margin(C3, as_of=D))
    for i in range(1, len(C3)):
        without = float(xlmargin.risk_margin(C3[:i] + C3[i + 1 :], as_of=D))
        assert result.incremental[i - 1] == cents(total - without), i
    assert sum(result.component) == pytest.approx(total, abs=1e-9)


# --- the hedge optimiser with leveraged candidates -------------------------------------------------

C = ["symbol", "type", "qty", "price", "underlying", "leverage", "min_qty", "max_qty"]


def hedge_brute(table, ranges, cost, budget=None):
    """The least engine requirement over every whole-unit plan within ``budget`` (then the least
    spend), with the book after the trades as :func:`with_trades` makes it."""
    from xlmargin.decisions._common import with_trades

    book = portfolio(table)
    best = None
    for q in itertools.product(*[range(lo, hi + 1) for lo, hi in ranges]):
        spend = float(np.dot(cost, np.abs(q)))
        if budget is not None and spend > budget + 1e-9:
            continue
        rows = [[s, t, v, p, u, lev] for (s, t, _, p, u, lev), v in zip(CANDS_NOW, q, strict=True) if v]
        after = with_trades(book, portfolio([H, *rows])) if rows else book
        key = (requirement("pm", after, SETTINGS), spend)
        if best is None or key < best[0]:
            best = (key, q)
    return best


CANDS_NOW: list = []


def hedged(table, candidates, budget=None):
    from xlmargin.decisions import hedge_optimize, read_candidates

    CANDS_NOW[:] = [r[:6] for r in candidates]
    result = hedge_optimize(portfolio(table), read_candidates([C, *candidates], D), SETTINGS, budget=budget)
    ranges = [(int(r[6]), int(r[7])) for r in candidates]
    cost = [r[3] for r in candidates]  # price × multiplier 1
    (value, spend), q = hedge_brute(table, ranges, cost, budget)
    chosen = {sym: qty for _, sym, qty, _ in ((t[0], t[1].split(" ")[0], t[2], t[3]) for t in result.trades)}
    assert result.engine_value == cents(value)  # the engine on the hedged book: the brute-force least
    assert result.optimiser_value == result.engine_value  # to the cent
    assert result.spend == pytest.approx(spend)
    return result, chosen, dict(zip([r[0] for r in candidates], q, strict=True))


SHORT_AAPL = [H, ["AAPL", "stock", -100, 200.0, None, None]]


def test_hedge_buys_the_2x_etf_when_it_is_the_best_hedge():
    # short 100 AAPL: buying AAPU widens the group to ±30%, but 200 units offset the short fully
    _, chosen, brute = hedged(SHORT_AAPL, [["AAPU", "etf", 0, 50.0, "AAPL", 2, 0, 250]])
    assert chosen.get("AAPU", 0) == brute["AAPU"] > 0


def test_hedge_leaves_the_2x_etf_when_it_is_not_the_best_hedge():
    # at most 20 AAPU cannot pay for the wider range; AAPL shares hedge at ±15%
    candidates = [["AAPU", "etf", 0, 50.0, "AAPL", 2, 0, 20], ["AAPL", "stock", 0, 200.0, None, None, 0, 30]]
    _, chosen, brute = hedged(SHORT_AAPL, candidates)
    assert brute["AAPU"] == 0 and "AAPU" not in chosen and chosen["AAPL"] == brute["AAPL"] > 0


def test_hedge_with_a_binding_budget_on_the_2x_etf():
    # 11,500 buys at most 230 AAPU: the engine's requirement still falls beyond it, so the budget binds
    result, chosen, brute = hedged(SHORT_AAPL, [["AAPU", "etf", 0, 50.0, "AAPL", 2, 0, 250]], budget=11_500.0)
    assert chosen["AAPU"] == brute["AAPU"] == 230
    assert result.spend == pytest.approx(11_500.0)


def test_hedge_may_close_a_held_leveraged_row():
    # long AAPL and 10 AAPU held: selling all 10 narrows the group back to ±15%
    book = [H, ["AAPL", "stock", 100, 200.0, None, None], AAPU]
    _, chosen, brute = hedged(book, [["AAPU", "etf", 0, 50.0, "AAPL", 2, -10, 0]])
    assert chosen["AAPU"] == brute["AAPU"] == -10


def test_hedge_refuses_too_many_leveraged_candidates_naming_them():
    from xlmargin.decisions import hedge_optimize, read_candidates

    rows = [[f"L{k}", "etf", 0, 50.0, "AAPL", 2, 0, 5] for k in range(7)]
    with pytest.raises(InputError, match=r"7 leveraged ETF candidates \(rows 2, 3, 4, 5, 6, 7, 8\)"):
        hedge_optimize(portfolio(SHORT_AAPL), read_candidates([C, *rows], D), SETTINGS)


def test_account_objective_refuses_a_leveraged_candidate():
    from xlmargin.decisions import hedge_optimize, read_candidates

    settings = decision_settings({"as_of": D, "securities": "pm"}, D)
    candidates = read_candidates([C, ["AAPU", "etf", 0, 50.0, "AAPL", 2, 0, 5]], D)
    with pytest.raises(InputError, match="use the pm objective"):
        hedge_optimize(portfolio(SHORT_AAPL), candidates, settings, objective="account")


def test_a_plan_never_says_optimal_when_a_choice_of_the_leveraged_rows_found_no_plan_in_time(
    monkeypatch,
) -> None:
    """A review found the plan of the other choices reported "optimal" while the choice closing the
    ETF had hit its time limit: that choice's plan might have been the least sale."""
    from xlmargin.decisions import liquidation

    solve = liquidation._solve

    def slow_when_the_etf_closes(book, regime, settings, target, closable, shut, *rest):
        if shut.any():
            raise InputError(liquidation.Problem("time limit hit before any plan was found", None, "equity"))
        return solve(book, regime, settings, target, closable, shut, *rest)

    monkeypatch.setattr(liquidation, "_solve", slow_when_the_etf_closes)
    plan = liquidation_plan(portfolio(BOOK), 3500.0, SETTINGS, "pm")
    assert plan.status.startswith("time limit hit: 1 of 2 choices")
