"""Long options with more than nine months to expiry inside strategies: paid in full.

margin-rules.md §1.2 finances a long listed equity or index option with more than nine months to
expiry at 75% (of cost at initial, of market value at maintenance): a long option held alone. The
strategies pay their long legs in full: a debit spread pays the net debit (§1.4), a long butterfly
the net debit (§1.5), a protective put 50% of the stock plus the put in full, a collar 50% of the
stock plus the put's cost less the call's proceeds (§1.6). The pairing takes the cheaper of a
strategy (its long leg in full) and the legs alone (the long one at 75%).

Every figure below is worked by hand; AS_OF is 2026-11-20, so 400 days is beyond nine months
(2027-08-20) and 30 days within. Multiplier 100.
"""

from __future__ import annotations

import pytest

from tests.conftest import AS_OF
from tests.test_regt import HEADER, opt, run, stk
from xlmargin import rules
from xlmargin.positions import read_positions
from xlmargin.regt._formulas import RegTRules
from xlmargin.regt._legs import netted_legs
from xlmargin.regt._strategies import Enumerator

LEAP = 400.0

FLY = [opt(q, "C", k, price, days=LEAP) for q, k, price in ((1, 95, 17.0), (-2, 100, 14.0), (1, 105, 12.0))]


@pytest.mark.parametrize("net", [False, True], ids=["gross", "net"])
def test_long_butterfly_of_leaps_pays_the_net_debit(net):
    """§1.5: 1,700 + 1,200 − 2 × 1,400 = 100, gross and net; the wings were financed at 75%
    (2,175 − 2,800: gross 0, net −625) before."""
    result = run(*FLY, net=net)
    (group,) = result.groups
    assert group.strategy == "long butterfly"
    assert (group.margin, group.long_cost, group.short_proceeds) == (0.0, 2900.0, 2800.0)
    assert (group.gross, group.net, result.total) == (100.0, 100.0, 100.0)


@pytest.mark.parametrize(
    ("rows", "strategy", "expected"),
    [
        # §1.4: 1,500 − 1,000 = 500 (75% of the long: 125)
        ([opt(1, "C", 100, 15.0, days=LEAP), opt(-1, "C", 110, 10.0, days=LEAP)], "debit spread", 500.0),
        # §1.4, long expiring after the short: 1,200 − 800 = 400 (75%: 100)
        ([opt(1, "P", 100, 12.0, days=LEAP), opt(-1, "P", 95, 8.0)], "diagonal debit spread", 400.0),
    ],
    ids=["vertical", "diagonal-put"],
)
@pytest.mark.parametrize("net", [False, True], ids=["gross", "net"])
def test_debit_spread_with_a_leap_pays_the_net_debit(rows, strategy, expected, net):
    result = run(*rows, net=net)
    assert [g.strategy for g in result.groups] == [strategy]
    assert result.total == expected


@pytest.mark.parametrize(("net", "expected"), [(False, 700.0), (True, 700.0)], ids=["gross", "net"])
def test_credit_diagonal_with_a_leap_pays_the_long_in_full(net, expected):
    """§1.4: short 100 call (30 days, 10.00), long 105 call (400 days, 12.00): margin the lesser of
    the naked requirement (10 + 20 = 3,000) and the width (500); long 1,200, proceeds 1,000:
    gross 500 + max(1,200 − 1,000, 0) = 700, net 500 + 1,200 − 1,000 = 700 (500 / 400 before).
    Apart: 900 + 3,000 gross (2,900 net), dearer."""
    rows = [opt(-1, "C", 100, 10.0), opt(1, "C", 105, 12.0, days=LEAP)]
    result = run(*rows, net=net)
    (group,) = result.groups
    assert group.strategy == "diagonal credit spread"
    assert (group.margin, group.long_cost, group.short_proceeds) == (500.0, 1200.0, 1000.0)
    assert result.total == expected


def test_protective_put_with_a_leap_costs_the_stock_and_the_put_alone():
    """§1.6: a protective put pays 50% × 10,000 + the put in full, 1,200: 6,200. The stock alone
    (5,000) and the put alone at 75% (§1.2, 900) need 5,900: the pairing keeps the legs apart, and
    no group finances the put inside the strategy (5,900 was the protective put's figure before)."""
    result = run(stk(100, 100.0), opt(1, "P", 95, 12.0, days=LEAP))
    assert sorted(g.strategy for g in result.groups) == ["long put", "long stock"]
    assert result.total == 5900.0


@pytest.mark.parametrize(("net", "expected"), [(False, 5900.0), (True, 5800.0)], ids=["gross", "net"])
def test_collar_with_a_leap_costs_no_less_than_its_cheapest_pairing(net, expected):
    """§1.6: a collar pays 5,000 + 1,200 − 100 = 6,100. A covered call (5,000, proceeds 100) and
    the put alone at 75% (900) need 5,900 gross (5,000 + max(0 − 100, 0) + 900) and 5,800 net:
    the pairing keeps them (5,800 was the collar's figure before, with the put at 75%)."""
    result = run(stk(100, 100.0), opt(1, "P", 95, 12.0, days=LEAP), opt(-1, "C", 110, 1.0), net=net)
    assert sorted(g.strategy for g in result.groups) == ["covered call", "long put"]
    assert result.total == expected


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
@pytest.mark.parametrize("net", [False, True], ids=["gross", "net"])
def test_every_strategy_candidate_pays_its_long_options_in_full(basis, net):
    """Every candidate of a book of LEAPs, stock and short-dated options: a long option's cost in a
    strategy is its whole premium (§1.4-§1.6) wherever it appears, the column-wise cost the program
    reads equals the shape's, no candidate paying a long option and no group needs less than
    nothing. Only the legs alone keep the 75% of §1.2."""
    rows = [
        stk(100, 100.0),
        *FLY,
        opt(1, "P", 95, 12.0, days=LEAP),
        opt(-1, "P", 90, 9.0),
        opt(-1, "C", 110, 1.0),
        opt(1, "P", 100, 15.0, days=LEAP),
    ]
    portfolio = read_positions([HEADER, *rows], as_of=AS_OF)
    r = RegTRules.of(rules.load("regt"))
    legs, _ = netted_legs(portfolio.positions, r, basis, AS_OF)
    for leg in legs:
        if leg.is_long and not leg.is_stock:
            assert leg.long_cost == leg.value  # in a strategy: in full
            assert leg.standalone.long_cost == 0.75 * leg.value  # alone: §1.2
    candidates = Enumerator(legs, r, basis, net).candidates()
    assert len(candidates) > 5
    for candidate in candidates:
        unit = candidate.shape().unit
        assert candidate.cost == pytest.approx(unit.cost(net), abs=1e-9)
        if unit.long_cost > 0.0:  # a strategy paying a long option: at least nothing
            assert unit.gross >= 0.0 and unit.net >= 0.0
        # a strategy's long cost is its long options' premiums in full, or nothing (maintenance
        # formulas that cover the pair: protective put, collar)
        paid = sum(legs[i].value * n for i, n in candidate.uses if legs[i].is_long and not legs[i].is_stock)
        assert unit.long_cost in (0.0, pytest.approx(paid))
    for result_net in (False, True):
        result = run(*rows, basis=basis, net=result_net)
        assert all(g.gross >= 0.0 and g.net >= 0.0 for g in result.groups)


def test_the_column_wise_legs_pay_the_leaps_in_full_too():
    """14 butterflies on 14 underlyings (42 rows: the column-wise legs, beyond COLUMN_WISE_ROWS):
    100 each (§1.5), 1,400."""
    rows = [
        opt(q, "C", k, price, days=LEAP, symbol=f"U{u}")
        for u in range(14)
        for q, k, price in ((1, 95, 17.0), (-2, 100, 14.0), (1, 105, 12.0))
    ]
    for net in (False, True):
        result = run(*rows, net=net)
        assert {g.strategy for g in result.groups} == {"long butterfly"}
        assert result.total == 1400.0
