"""Properties of Reg T with optimal pairing, on a small contract universe where legs collide.

One underlying (XYZ at one of three prices), two expiries, four strikes, calls and puts, each
contract with one price per example (drawn in cents), stock in round lots; quantities −5..5.
All figures are then whole cents, so rounding cannot blur a comparison.

Only properties that provably hold are tested, each with its reason:

- row-order invariance: the legs are put in canonical order before pairing, so the integer
  program, hence its solution, is the same;
- subadditivity, R(P+H) ≤ R(P) + R(H), when P and H hold no series on opposite sides: the
  pairings of P and of H together are one pairing of P+H, and the optimum is no worse than any
  pairing (a long and a short of one series close each other, so across P and H they would be
  no legs at all, and a covered call plus the long call that closes it is long stock);
- adding one long option raises R by at most its long cost, unless the book is short that
  series (the same reason): the old pairing plus the new option on its own is a pairing of the
  new book;
- scaling, R(k·P) ≤ k·R(P): k copies of P's optimal pairing are a pairing of k·P;
- a defined-risk vertical never needs more than its width plus its net debit: that is the spread's
  own requirement, and the pairing only keeps a strategy that is no dearer than its legs alone;
- the integer program finds the optimum: it equals an exhaustive search over the same candidates.

Not a property: R(k·P) = k·R(P). Pairing is in whole contracts, so k·P may pair legs of different
copies in a way no single copy can (an integrality gap). The book hypothesis once found for it
borrowed both sides of a closed pair, since netted
(``test_an_offsetting_pair_is_no_leg_for_other_strategies`` in test_regt.py).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.conftest import AS_OF
from tests.test_regt import HEADER, opt, run, stk
from xlmargin import rules
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin
from xlmargin.regt._components import all_whole
from xlmargin.regt._formulas import RegTRules
from xlmargin.regt._legs import book_legs
from xlmargin.regt._pairing import optimal_units
from xlmargin.regt._shapes import Candidate, Candidates, same_deliverable, same_series
from xlmargin.regt._strategies import Enumerator

SPOTS = (97.5, 100.0, 103.25)
DAYS = (30.0, 90.0)
STRIKES = (95.0, 100.0, 105.0, 110.0)
CONTRACTS = [(right, strike, days) for right in "CP" for strike in STRIKES for days in DAYS]
SAME = 1e-6  # figures are whole cents; this only absorbs float addition


@st.composite
def markets(draw) -> tuple[float, dict]:
    spot = draw(st.sampled_from(SPOTS))
    prices = {c: draw(st.integers(0, 1500)) / 100 for c in CONTRACTS}
    return spot, prices


def books(max_rows: int = 5, max_qty: int = 5):
    option = st.tuples(st.sampled_from(CONTRACTS), st.integers(-max_qty, max_qty).filter(bool))
    stock = st.tuples(st.just("stock"), st.integers(-max_qty, max_qty).filter(bool).map(lambda q: 100 * q))
    return st.lists(st.one_of(option, option, stock), min_size=1, max_size=max_rows)


def rows(market, book, k: int = 1) -> list[list]:
    spot, prices = market
    out = []
    for what, qty in book:
        if what == "stock":
            out.append(stk(k * qty, spot))
        else:
            right, strike, days = what
            out.append(opt(k * qty, right, strike, prices[what], spot, days=days))
    return out


def opposed(*books_) -> bool:
    """Whether the books' net quantities put some option series on opposite sides."""
    sides: dict = {}
    for held in books_:
        net: dict = {}
        for what, qty in held:
            if what != "stock":
                net[what] = net.get(what, 0) + qty
        for what, qty in net.items():
            if qty:
                sides.setdefault(what, set()).add(qty > 0)
    return any(len(s) > 1 for s in sides.values())


conventions = st.tuples(st.sampled_from(("initial", "maintenance")), st.booleans())


def requirement(rows_, convention) -> float:
    basis, net = convention
    return run(*rows_, basis=basis, net=net).total


@settings(max_examples=40)
@given(markets(), books(max_rows=7), conventions, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(market, book, convention, rnd: random.Random):
    """Canonical order before pairing: the same program, the same solution, the same groups."""
    table = rows(market, book)
    shuffled = table[:]
    rnd.shuffle(shuffled)
    basis, net = convention
    a, b = run(*table, basis=basis, net=net), run(*shuffled, basis=basis, net=net)
    assert a.total == b.total
    assert sorted((g.strategy, g.gross, g.net) for g in a.groups) == sorted(
        (g.strategy, g.gross, g.net) for g in b.groups
    )


@settings(max_examples=40)
@given(markets(), books(), books(), conventions)
def test_subadditive(market, p, h, convention):
    """The two optimal pairings side by side are a pairing of P+H; the optimum is no worse."""
    assume(not opposed(p, h))
    both = requirement(rows(market, p) + rows(market, h), convention)
    assert both <= requirement(rows(market, p), convention) + requirement(rows(market, h), convention) + SAME


@settings(max_examples=40)
@given(markets(), books(), st.sampled_from(CONTRACTS), conventions)
def test_a_long_option_adds_at_most_its_cost(market, book, contract, convention):
    """The old pairing plus the new option alone is a pairing; alone it needs its long cost."""
    assume(not opposed(book, [(contract, 1)]))
    extra = rows(market, [(contract, 1)])
    before = requirement(rows(market, book), convention)
    assert (
        requirement(rows(market, book) + extra, convention) <= before + requirement(extra, convention) + SAME
    )


@settings(max_examples=30)
@given(markets(), books(max_rows=4, max_qty=3), st.integers(2, 3), conventions)
def test_scaling_never_raises_the_requirement_per_copy(market, book, k, convention):
    """k copies of P's optimal pairing are a pairing of k·P."""
    once = requirement(rows(market, book), convention)
    assert requirement(rows(market, book, k), convention) <= k * once + SAME * k


@settings(max_examples=40)
@given(markets(), st.sampled_from("CP"), st.sampled_from(DAYS), st.lists(st.sampled_from(STRIKES), min_size=2,
       max_size=2, unique=True), st.integers(1, 5), conventions)  # fmt: skip
def test_a_vertical_never_needs_more_than_its_width_plus_its_debit(
    market, right, days, strikes, n, convention
):
    """The spread's own requirement is at most that; a pairing is kept only if no dearer than the legs."""
    long_strike, short_strike = strikes
    spot, prices = market
    long_price, short_price = prices[(right, long_strike, days)], prices[(right, short_strike, days)]
    legs = [opt(n, right, long_strike, long_price, spot, days=days),
            opt(-n, right, short_strike, short_price, spot, days=days)]  # fmt: skip
    width = abs(long_strike - short_strike) * 100 * n
    debit = (long_price - short_price) * 100 * n
    net = convention[1]
    bound = width + (debit if net else max(debit, 0.0))
    assert requirement(legs, convention) <= bound + SAME


def _exhaustive(legs, candidates, net: bool) -> float:
    """The cheapest pairing by trying every feasible number of units of every candidate."""
    alone = sum(leg.standalone.cost(net) * leg.capacity for leg in legs)
    saving = [c.cost - sum(legs[i].standalone.cost(net) * a for i, a in c.uses) for c in candidates]
    best = 0.0

    def search(j: int, left: list[float], total: float) -> None:
        nonlocal best
        best = min(best, total)
        for m in range(j, len(candidates)):
            uses = candidates[m].uses
            if all(left[i] >= a - 1e-9 for i, a in uses):
                for i, a in uses:
                    left[i] -= a
                search(m, left, total + saving[m])
                for i, a in uses:
                    left[i] += a

    search(0, [leg.capacity for leg in legs], 0.0)
    return alone + best


@settings(max_examples=40)
@given(markets(), books(max_rows=5, max_qty=2), conventions)
def test_the_integer_program_finds_the_exhaustive_optimum(market, book, convention):
    basis, net = convention
    portfolio = read_positions([HEADER, *rows(market, book)], as_of=AS_OF)
    r = RegTRules.of(rules.load("regt"))
    legs = book_legs(portfolio.positions, r, basis, AS_OF)
    candidates = Enumerator(legs, r, basis, net).candidates()
    units = optimal_units(legs, candidates, net, time_limit=60.0, warnings=[])
    used = [0.0] * len(legs)
    for cand, n in zip(candidates, units):
        for i, a in cand.uses:
            used[i] += a * n
    cost = sum(c.cost * n for c, n in zip(candidates, units))
    cost += sum(leg.standalone.cost(net) * (leg.capacity - u) for leg, u in zip(legs, used))
    assert abs(cost - _exhaustive(legs, candidates, net)) <= SAME
    total = regt_margin(portfolio, basis=basis, net_of_proceeds=net).total
    assert abs(total - cost) <= 0.005 * (len(candidates) + len(legs))


def _two_leg_reference(e: Enumerator) -> list:
    """The two-leg candidates by the obvious loops: each short with each partner (every long, or
    the nearest strikes per expiry), each short call with each short put, each stock with each
    option; the filter and the figures are the scalar methods themselves."""
    legs, k = e.legs, e.r.nearest_strikes
    longs = [i for i in e.options if legs[i].is_long]
    shorts = [i for i in e.options if not legs[i].is_long]
    bounded = len(longs) + len(shorts) > e.r.exhaustive_legs

    def partners(leg: int, pool: list[int]) -> list[int]:
        if not bounded:
            return pool
        chosen = []
        strike = legs[leg].position.strike
        for expiry in {legs[o].expiry for o in pool}:
            group = [o for o in pool if legs[o].expiry == expiry]
            chosen.extend(sorted(group, key=lambda o: (abs(legs[o].position.strike - strike), o))[:k])
        return sorted(chosen)

    out = []
    for j in shorts:
        out += [e._keep(e.vertical(legs[i], legs[j]), ((i, 1.0), (j, 1.0))) for i in partners(j, longs)]
    puts = [p for p in shorts if not legs[p].position.is_call]
    for c in (c for c in shorts if legs[c].position.is_call):
        out += [e._keep(e.straddle(legs[c], legs[p]), ((c, 1.0), (p, 1.0))) for p in partners(c, puts)]
    for s in e.stocks:
        for o in e.options:
            spu = e.shares_per_contract(legs[s], legs[o])
            if spu is not None:
                out.append(e._keep(e.stock_and_option(legs[s], legs[o], spu), ((s, spu), (o, 1.0))))
    return [c for c in out if c is not None]


@settings(max_examples=60)
@given(markets(), books(max_rows=8), conventions, st.sampled_from([None, (2, 1), (3, 2)]))
def test_the_column_wise_two_leg_filter_equals_the_obvious_loops(market, book, convention, bound):
    """The fast enumeration (numpy masks, words built lazily) against its slow twin, exhaustive and,
    with ``exhaustive_legs`` lowered, in the bounded nearest-strikes search."""
    basis, net = convention
    rule_set = rules.load("regt")
    if bound is not None:
        rule_set = rule_set.with_overrides(
            {"pairing.exhaustive_legs": bound[0], "pairing.nearest_strikes": bound[1]}
        )
    r = RegTRules.of(rule_set)
    portfolio = read_positions([HEADER, *rows(market, book)], as_of=AS_OF)
    legs = book_legs(portfolio.positions, r, basis, AS_OF)
    fast = Enumerator(legs, r, basis, net)._two_leg()
    slow = _two_leg_reference(Enumerator(legs, r, basis, net))
    assert [(c.uses, c.cost, c.strategy, c.unit, c.rule) for c in fast] == [
        (c.uses, c.cost, c.strategy, c.unit, c.rule) for c in slow
    ]


def _triples_reference(e: Enumerator) -> tuple[int, list]:
    """The stock triples by the obvious loops (each stock, each put, each call of the put's
    deliverable on the other side), the figures and the filter the scalar methods themselves: how
    many triples were tried (the candidate cap counts them), and the candidates kept."""
    legs = e.legs
    tried, out = 0, []
    for s in e.stocks:
        stock = legs[s]
        for p in (i for i in e.options if not legs[i].position.is_call):
            put = legs[p]
            for c in e.options:
                call = legs[c]
                opposite = call.position.is_call and call.is_long != put.is_long
                if not opposite or not same_deliverable(put, call):
                    continue
                tried += 1
                spu = e.shares_per_contract(stock, put)
                paired = stock.is_long or same_series(put, call)
                if spu is None or put.is_long != stock.is_long or not paired:
                    continue
                if stock.is_long:
                    hedged, pair = e.protective_put(stock, put, spu), e.covered_call(stock, call, spu)
                    shape = e.collar(stock, put, call, spu)
                else:
                    hedged, pair = e.covered_put(stock, put, spu), e.protective_call(stock, call, spu)
                    shape = e.reversal(stock, put, call, spu)
                parts = min(e._cost(pair) + e.alone_cost[p], e._cost(hedged) + e.alone_cost[c])
                out.append(e._keep(shape, ((s, spu), (p, 1.0), (c, 1.0)), parts))
    return tried, [c for c in out if c is not None]


def _column_wise_triples(e: Enumerator) -> list[Candidate]:
    """The stock triples the enumerator keeps on arrays, as candidates (made one by one on reading)."""
    found = Candidates()
    e._add_triples(found, e._stock_triples())
    return list(found)


@settings(max_examples=60)
@given(markets(), books(max_rows=8), conventions, st.sampled_from([None, 2.0, -3.0]))
def test_the_column_wise_stock_triples_equal_the_obvious_loops(market, book, convention, leverage):
    """Collars, conversions and reversals filtered on arrays against their slow twin: the same
    triples tried, the same candidates in the same order, to the last bit of their costs."""
    basis, net = convention
    r = RegTRules.of(rules.load("regt"))
    table = [[*row[:11], leverage, *row[12:]] for row in rows(market, book)]
    legs = book_legs(read_positions([HEADER, *table], as_of=AS_OF).positions, r, basis, AS_OF)
    e = Enumerator(legs, r, basis, net)
    fast = _column_wise_triples(e)
    tried, slow = _triples_reference(e)
    assert e.triple_count() == len(e.triples()[0]) == tried
    assert [(c.uses, c.cost, c.strategy, c.unit, c.rule) for c in fast] == [
        (c.uses, c.cost, c.strategy, c.unit, c.rule) for c in slow
    ]


@pytest.mark.parametrize("basis, net", [(b, n) for b in ("initial", "maintenance") for n in (False, True)])
@pytest.mark.parametrize("shares, leverage", [(300, None), (-300, None), (200, 2.0), (-200, -3.0)])
def test_stock_triples_of_a_full_chain_equal_the_obvious_loops(basis, net, shares, leverage):
    """Every contract of the small universe held with stock (beside long stock the puts long and
    the calls short, beside short stock the other way round): collars, conversions and reversals at
    every strike, each on arrays as the obvious loops make it (the random books above meet few)."""
    r = RegTRules.of(rules.load("regt"))
    spot = 101.0
    table = [stk(shares, spot, leverage=leverage)]
    for k, (right, strike, days) in enumerate(CONTRACTS):
        intrinsic = max(spot - strike, 0.0) if right == "C" else max(strike - spot, 0.0)
        price = intrinsic + 1.0 + k / 8
        side = 1 if (right == "P") == (shares > 0) else -1
        table.append(opt(side * (1 + k % 3), right, strike, price, spot, days=days, leverage=leverage))
    legs = book_legs(read_positions([HEADER, *table], as_of=AS_OF).positions, r, basis, AS_OF)
    e = Enumerator(legs, r, basis, net)
    fast = _column_wise_triples(e)
    tried, slow = _triples_reference(e)
    assert slow and e.triple_count() == tried
    assert [(c.uses, c.cost, c.strategy, c.unit, c.rule) for c in fast] == [
        (c.uses, c.cost, c.strategy, c.unit, c.rule) for c in slow
    ]


@settings(max_examples=15)
@given(st.lists(st.tuples(markets(), books(max_rows=5, max_qty=3)), min_size=2, max_size=4), conventions)
def test_solving_underlyings_together_finds_each_ones_optimum(underlyings, convention):
    """Underlyings share no leg, so the stacked program's optimum is each block's own optimum: its
    objective and constraints are sums over blocks."""
    from xlmargin.regt._pairing import block, solve

    basis, net = convention
    r = RegTRules.of(rules.load("regt"))
    blocks = []
    for market, book in underlyings:
        legs = book_legs(
            read_positions([HEADER, *rows(market, book)], as_of=AS_OF).positions, r, basis, AS_OF
        )
        blocks.append(block(legs, Enumerator(legs, r, basis, net).candidates(), net))
    together = solve(blocks, 60.0, [[] for _ in blocks])
    for b, units in zip(blocks, together):
        (alone,) = solve([b], 60.0, [[]])
        assert len(units) == len(alone) == b.size
        assert abs(float(b.cost @ np.array(units)) - float(b.cost @ np.array(alone))) <= SAME


@settings(max_examples=30)
@given(
    st.lists(st.tuples(markets(), books(max_rows=8)), min_size=1, max_size=4),
    conventions,
    st.sampled_from([None, (3, 2)]),
)
def test_enumerating_underlyings_together_gives_each_ones_candidates(underlyings, convention, bound):
    """The option pairs of many underlyings filtered in one pass (legs numbered book-wide, then
    back) are each underlying's own candidates, in its order, to the last bit of their costs; with
    ``exhaustive_legs`` lowered, the underlyings above it are enumerated on their own."""
    from xlmargin.regt._strategies import all_candidates

    basis, net = convention
    rule_set = rules.load("regt")
    if bound is not None:
        rule_set = rule_set.with_overrides(
            {"pairing.exhaustive_legs": bound[0], "pairing.nearest_strikes": bound[1]}
        )
    r = RegTRules.of(rule_set)
    books_legs = [
        book_legs(read_positions([HEADER, *rows(m, b)], as_of=AS_OF).positions, r, basis, AS_OF)
        for m, b in underlyings
    ]
    together = [Enumerator(legs, r, basis, net) for legs in books_legs]
    for legs, enumerator, found in zip(books_legs, together, all_candidates(together)):
        alone = Enumerator(legs, r, basis, net)
        expected = alone.candidates()
        assert [(c.uses, c.cost, c.strategy, c.unit, c.rule) for c in found] == [
            (c.uses, c.cost, c.strategy, c.unit, c.rule) for c in expected
        ]
        assert enumerator.warnings == alone.warnings


@given(
    st.lists(
        st.lists(
            st.sampled_from((0.0, 1.0, 2.0, 1.0 + 1e-10, 3.0 - 1e-6, 0.5, -1e-12, np.nan, np.inf)), max_size=4
        ),
        max_size=5,
    )
)
def test_the_blocks_integrality_check_is_numpys_allclose_block_by_block(values):
    """The stacked solve checks every block's relaxation at once: the same verdict as a call per block."""
    xs = [np.array(v, dtype=float) for v in values]
    assert all_whole(xs) == [bool(np.allclose(x, np.round(x), atol=1e-9)) for x in xs]
