"""The Reg T breakdown's groups: the allocation of all chosen units at once (``groups_together``)
against its slow, obvious twin, the row-by-row allocation of one underlying (``book_groups``).

Both hand each leg's contracts (shares) out row by row, in row order, to the chosen strategies in
the candidates' order, then to the leg alone; the groups must be the same objects field for field
(legs, their order, quantities, rule text, cents, exact figures), for several underlyings at once.
Where amounts leave the 1/1024 grid (fractional shares such as 100.1) the sums of the two ways may
differ in the last bit, so such an underlying takes the row-by-row path: the tests below hold a case
where the line-cutting arithmetic alone would differ.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import AS_OF
from tests.test_regt import HEADER, opt, stk
from xlmargin import rules
from xlmargin.positions import Portfolio, read_positions
from xlmargin.regt import PAIRINGS, regt_margin
from xlmargin.regt._allocation import Solved
from xlmargin.regt._formulas import RegTRules
from xlmargin.regt._groups import book_groups, groups_together, place_of
from xlmargin.regt._legs import netted_legs
from xlmargin.regt._pairing import block, solve
from xlmargin.regt._strategies import Enumerator

SYMBOLS = ("XYZ", "ABC", "QQQ")
SPOTS = (97.5, 100.0)
STRIKES = (95.0, 100.0, 105.0)
DAYS = (30.0, 400.0)  # within and beyond nine months: long options at 100% and at 75%
CONTRACTS = [(right, strike, days) for right in "CP" for strike in STRIKES for days in DAYS]


def solved(portfolio: Portfolio, basis: str, net: bool) -> list[Solved]:
    """Each underlying's legs, candidates, program and optimal units, as ``regt_margin`` pairs them."""
    r = RegTRules.of(rules.load("regt"))
    by_underlying = defaultdict(list)
    for p in portfolio.positions:
        by_underlying[p.class_group].append(p)
    out = []
    for name in sorted(by_underlying):
        legs, _ = netted_legs(by_underlying[name], r, basis, AS_OF)
        candidates = Enumerator(legs, r, basis, net).candidates()
        program = block(legs, candidates, net)
        units = solve([program], r.time_limit_seconds, [[]])[0]
        out.append(Solved(legs, candidates, program, units))
    return out


def row_by_row(books: list[Solved]) -> list[list]:
    return [book_groups(b.legs, b.candidates, b.units) for b in books]


def together(books: list[Solved]) -> list[list]:
    """``groups_together``'s groups, each place checked against ``place_of``'s."""
    placed = groups_together(books)
    assert [[place for place, _ in b] for b in placed] == [[place_of(g) for _, g in b] for b in placed]
    return [[g for _, g in b] for b in placed]


@st.composite
def tables(draw) -> list[list]:
    """Up to three underlyings, each with options on a small grid (so strategies collide) and
    round-lot or odd-lot stock, rows of one contract repeated (a leg over several rows) at the
    contract's one price (the reader refuses two)."""
    rows = []
    for symbol in draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=3, unique=True)):
        spot = draw(st.sampled_from(SPOTS))
        held = st.tuples(st.sampled_from(CONTRACTS), st.integers(-6, 6).filter(bool), st.integers(1, 900))
        marks: dict[tuple, int] = {}
        for contract, qty, cents in draw(st.lists(held, min_size=1, max_size=8)):
            right, strike, days = contract
            price = marks.setdefault(contract, cents) / 100
            rows.append(opt(qty, right, strike, price, spot, days=days, symbol=symbol))
        for shares in draw(st.lists(st.sampled_from((-300, -100, 50, 100, 200, 700)), max_size=2)):
            rows.append(stk(shares, spot, symbol=symbol))
    return rows


@given(tables(), st.sampled_from(("initial", "maintenance")), st.booleans())
def test_all_underlyings_at_once_equal_the_row_by_row_allocation(table, basis, net):
    books = solved(read_positions([HEADER, *table], as_of=AS_OF), basis, net)
    assert repr(together(books)) == repr(row_by_row(books))


@given(tables(), st.sampled_from(("initial", "maintenance")), st.booleans())
def test_each_underlying_alone_has_its_groups_of_all_at_once(table, basis, net):
    """A large underlying's groups are made alone, on the worker thread that solved it, while the
    others are grouped together: an underlying's groups must not depend on those beside it."""
    books = solved(read_positions([HEADER, *table], as_of=AS_OF), basis, net)
    assert repr([groups_together([b])[0] for b in books]) == repr(groups_together(books))


def test_amounts_off_the_grid_take_the_row_by_row_path():
    """100.1 + 0.2 shares less the 100 a covered call takes is 0.29999999999999716 on the line, but
    0.2999999999999943 row by row (100.1 − 100, then + 0.2): the long stock left over must be the
    row-by-row figure. The other underlying, on the grid, is allocated at once beside it."""
    table = [
        stk(100.1, 50.0, symbol="ABC"),
        stk(0.2, 50.0, symbol="ABC"),
        opt(-1, "C", 55, 1.0, 50.0, symbol="ABC"),
        opt(-2, "C", 105, 2.0, symbol="XYZ"),
        opt(2, "C", 110, 0.9, symbol="XYZ"),
    ]
    books = solved(read_positions([HEADER, *table], as_of=AS_OF), "initial", False)
    groups = together(books)
    assert repr(groups) == repr(row_by_row(books))
    leftover = next(g for g in groups[0] if g.strategy == "long stock")
    assert sum(leg.quantity for leg in leftover.legs) == (100.1 - 100.0) + 0.2


def test_units_asking_more_than_a_leg_holds_take_the_row_by_row_path():
    """Should a pairing ask a leg for more than it holds (the solver's constraints forbid it), each
    underlying still gets what the row-by-row allocation gives, and the others are unaffected."""
    table = [opt(-2, "C", 105, 2.0, symbol="ABC"), opt(1, "C", 110, 0.9, symbol="ABC"), opt(-1, "P", 95, 1.5)]
    books = solved(read_positions([HEADER, *table], as_of=AS_OF), "initial", False)
    spread = next(j for j, c in enumerate(books[0].candidates) if len(c.uses) == 2)
    units = [0] * len(books[0].units)
    units[spread] = 2  # two spreads, but one long call
    greedy = Solved(books[0].legs, books[0].candidates, books[0].program, units)
    assert repr(together([greedy, books[1]])) == repr(row_by_row([greedy, books[1]]))


def test_an_underlying_whose_rows_all_close_has_no_groups_beside_others():
    table = [opt(2, "P", 95, 1.25, symbol="ABC"), opt(-2, "P", 95, 1.25, symbol="ABC"), opt(-1, "P", 95, 1.5)]
    books = solved(read_positions([HEADER, *table], as_of=AS_OF), "initial", False)
    assert [len(b.legs) for b in books] == [0, 1]
    assert repr(together(books)) == repr(row_by_row(books))
    assert repr(together(books[:1])) == repr(row_by_row(books[:1])) == "[[]]"


def test_shapes_are_those_of_the_candidates():
    table = [
        stk(200, 100.0),
        opt(-2, "C", 105, 2.0),
        opt(1, "P", 95, 1.5),
        opt(-1, "P", 90, 0.8),
        opt(1, "C", 110, 0.9),
    ]
    (book,) = solved(read_positions([HEADER, *table], as_of=AS_OF), "initial", False)
    every = range(len(book.candidates))
    assert book.candidates.shapes(every) == [book.candidates[j].shape() for j in every]


def test_regt_margin_groups_are_the_row_by_row_groups():
    """End to end: the breakdown of a book with closed pairs, stock and several underlyings."""
    table = [stk(200, 100.0), opt(-2, "C", 105, 2.0), opt(2, "C", 105, 2.0), opt(-3, "C", 100, 4.0),
             opt(1, "P", 95, 1.5, symbol="ABC"), opt(-1, "P", 90, 0.8, symbol="ABC"),
             stk(-100, 50.0, symbol="ABC")]  # fmt: skip
    portfolio = read_positions([HEADER, *table], as_of=AS_OF)
    PAIRINGS.clear()
    result = regt_margin(portfolio)
    expected = [g for b in row_by_row(solved(portfolio, "initial", False)) for g in b]
    assert [g for g in result.groups if g.strategy != "offsetting long and short"] == sorted(
        expected, key=lambda g: (min(leg.row for leg in g.legs), g.strategy)
    )
