"""Reg T legs: the column-wise netting of a whole book equals the row-by-row netting of each
underlying, and the column-wise standalone figures equal the scalar rules, to the last bit.

Compared by ``repr``: it shows every field, a float's every bit that matters, and the sign of a
zero (``==`` would take -0.0 for 0.0). Books are random but seeded, and hold what the column-wise
path must get right or hand back to the rows: fractional quantities, blank optional fields,
one series on several rows with opposite signs (netting), exact duplicates, stock beside its
options, several underlyings and index baskets, leveraged funds.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.positions import Portfolio, Position, read_positions
from xlmargin.regt._columns import standalone_columns
from xlmargin.regt._formulas import (
    RegTRules,
    long_option_rate,
    naked_per_share,
    spread_naked,
    stock_figures,
)
from xlmargin.regt._house import on_index
from xlmargin.regt._legs import COLUMN_WISE_ROWS, book_netted_legs, netted_legs

HEADER = ["symbol", "type", "qty", "price", "underlying", "underlying price", "strike", "days", "right",
          "multiplier", "class", "leverage", "style"]  # fmt: skip
UNDERLYINGS = (("XYZ", 100.0, "equity"), ("LOW", 3.5, "equity"), ("SPX", 5900.0, "broad_index"),
               ("SPY", 590.0, "equity"), ("TQQQ", 60.0, "equity"), ("EURUSD", 1.1, "fx_major"))  # fmt: skip


def _table(rnd: random.Random, n: int, *, fractional: bool, blanks: bool) -> list[list]:
    """A random book of ``n`` rows (then its duplicates) over a few underlyings; rows of one
    contract at one price (the reader refuses two: xlmargin.positions.marks)."""
    unders = rnd.sample(UNDERLYINGS, rnd.randint(1, len(UNDERLYINGS)))
    rows: list[list] = []
    marks: dict[tuple, float] = {}  # a contract's price, as the reader tells contracts apart

    def blank(value):
        return None if blanks and rnd.random() < 0.5 else value

    for _ in range(n):
        symbol, spot, klass = rnd.choice(unders)
        leverage = 3.0 if symbol == "TQQQ" else blank(1.0)
        if rnd.random() < 0.2 and symbol not in ("SPX", "EURUSD"):
            qty = float(rnd.choice([-300, -100, 100, 200, 7]))
            if fractional and rnd.random() < 0.5:
                qty *= rnd.choice([0.5, 0.1, 1.25])
            price = marks.setdefault((symbol,), round(spot * rnd.uniform(0.9, 1.1), 2))
            rows.append([symbol, "stock", qty, price, None, None, None, None, None, blank(1.0), blank(klass),
                         leverage, None])  # fmt: skip
            continue
        strike = round(spot * (1 + 0.05 * rnd.randint(-3, 3)), 2)
        qty = float(rnd.randint(-6, 6) or 1)  # the reader takes whole contracts only
        price = rnd.choice([0.0, round(rnd.uniform(0.01, spot * 0.1), 2)])
        days = float(rnd.choice([30, 90, 400]))
        multiplier = None if symbol == "SPX" else blank(rnd.choice([100.0, 10.0]))
        right, klass, style = (
            rnd.choice(["C", "P"]),
            blank(klass),
            blank(rnd.choice(["american", "european"])),
        )
        terms = (
            symbol,
            strike,
            days,
            right,
            multiplier or 100.0,
            style or ("european" if symbol == "SPX" else "american"),
        )
        price = marks.setdefault(terms, price)
        rows.append([symbol, "option", qty, price, symbol if symbol != "SPY" else blank(symbol), spot, strike,
                     days, right, multiplier, klass, leverage, style])  # fmt: skip
    for _ in range(rnd.randint(1, max(1, n // 3))):  # the same series again: opposite side, or the same
        again = list(rnd.choice(rows))
        again[2] = -again[2] * rnd.choice([1.0, 2.0, 3.0]) if rnd.random() < 0.7 else again[2]
        rows.insert(rnd.randint(0, len(rows)), again)
    return [HEADER, *rows]


def _books() -> list[Portfolio]:
    """Read books (fractional shares, blanks) and, made from positions as an API caller may,
    books with fractional contracts the reader would refuse."""
    rnd = random.Random(13)
    out = []
    for k in range(60):
        n = rnd.choice([COLUMN_WISE_ROWS // 4, COLUMN_WISE_ROWS, 3 * COLUMN_WISE_ROWS])
        portfolio = read_positions(_table(rnd, n, fractional=k % 3 == 1, blanks=k % 2 == 1), as_of=AS_OF)
        if k % 5 == 4:
            fractions = [replace(p, quantity=p.quantity * 1.5) if p.is_option and rnd.random() < 0.2 else p
                         for p in portfolio.positions]  # fmt: skip
            portfolio = Portfolio.from_positions(fractions, AS_OF)
        out.append(portfolio)
    return out


BOOKS = _books()


def _underlyings(portfolio: Portfolio) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(portfolio.positions):
        rows[p.class_group].append(i)
    return rows


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
@pytest.mark.parametrize("k", range(len(BOOKS)))
def test_the_column_wise_netting_equals_the_row_by_row_one(k, basis):
    """The legs and closed positions of every underlying, in order, to the last bit of every figure;
    and each leg's rule text (worded when asked) as the row-by-row leg words it."""
    portfolio = BOOKS[k]
    r = RegTRules.of(rules.load("regt"))
    rows = _underlyings(portfolio)
    positions = portfolio.positions  # built first: both ways then share the Position objects
    together = book_netted_legs(portfolio, rows, r, basis)
    assert list(together) == list(rows)
    for name, indices in rows.items():
        alone = netted_legs([positions[i] for i in indices], r, basis, AS_OF)
        assert repr(together[name]) == repr(alone)
        assert [leg.standalone_rule for leg in together[name][0]] == [leg.standalone_rule for leg in alone[0]]


def test_the_books_exercise_netting_fractions_and_the_column_wise_path():
    """The random books hold what the comparison above is for (else it would prove little)."""
    r = RegTRules.of(rules.load("regt"))
    closed = fractional = whole_large = 0
    for portfolio in BOOKS:
        quantity = portfolio.arrays["quantity"]
        fractional += bool(np.any(quantity != np.round(quantity)))
        whole_large += len(portfolio) >= COLUMN_WISE_ROWS and bool(np.all(quantity == np.round(quantity)))
        legs = book_netted_legs(portfolio, _underlyings(portfolio), r, "initial")
        closed += sum(len(shut) for _, shut in legs.values())
    assert closed and fractional and whole_large


def test_a_book_read_again_gives_the_same_legs_without_its_positions_built():
    """The column-wise path builds only the positions it needs; they equal the table's own."""
    r = RegTRules.of(rules.load("regt"))
    rnd = random.Random(5)
    table = _table(rnd, 3 * COLUMN_WISE_ROWS, fractional=False, blanks=False)
    built, fresh = read_positions(table, as_of=AS_OF), read_positions(table, as_of=AS_OF)
    rows = _underlyings(built)
    subset = {name: rows[name] for name in list(rows)[:1]}  # under half the table: positions built apart
    assert repr(book_netted_legs(fresh, subset, r, "initial")) == repr(
        book_netted_legs(built, subset, r, "initial")
    )


def _positions(rnd: random.Random, n: int) -> list[Position]:
    """Stock and option rows with the prices and leverages where the rules branch: below and above
    the low-price threshold, zero prices, long-dated expiries, calls and puts, every naked class."""
    classes = sorted(RegTRules.of(rules.load("regt")).naked)
    out = []
    for row in range(n):
        option = rnd.random() < 0.7
        price = rnd.choice([0.0, 2.5, 4.99, 5.0, 5.01, round(rnd.uniform(0.01, 300), 4)])
        leverage = rnd.choice([1.0, 1.0, 2.0, -3.0, 0.5])
        quantity = rnd.choice([-3.0, -1.0, 1.0, 2.0, -0.5])
        if not option:
            multiplier = rnd.choice([1.0, 100.0])
            out.append(
                Position(
                    row, "S", "stock", quantity, price, "S", "S", "equity", multiplier, leverage=leverage
                )
            )
            continue
        spot = rnd.choice([0.0, 1.1, 50.0, round(rnd.uniform(1, 6000), 2)])
        expiry = AS_OF + dt.timedelta(days=rnd.choice([1, 200, 272, 273, 274, 275, 400, 800]))
        under = rnd.choice(["S", "SPY"])  # SPY: a fund of symbols.toml, not an index
        out.append(Position(row, "O", "option", quantity, price, under, "S", rnd.choice(classes), 100.0, spot,
                            round(spot * rnd.uniform(0.5, 1.5), 1), rnd.choice("CP"), expiry,
                            leverage=leverage))  # fmt: skip
    return out


@pytest.mark.parametrize("basis", ["initial", "maintenance"])
@pytest.mark.parametrize("house", ["none", "tastytrade", "optionshouse", "fidelity", "fidelity-spreads"])
def test_the_column_wise_standalone_figures_equal_the_scalar_rules(basis, house):
    """stock_figures, long_option_rate × value and naked_per_share × multiplier, row by row, against
    standalone_columns over the same rows: the same bits, zeros' signs included; under each house
    table of house.options (regt.toml [house_options.*]), and a credit spread's naked figure too."""
    name, _, spreads = house.partition("-")
    changed = {"house.options": name} | ({f"house_options.{name}.spreads": True} if spreads else {})
    r = RegTRules.of(rules.load("regt").with_overrides(changed))
    positions = _positions(random.Random(7), 600)
    portfolio = Portfolio.from_positions(positions, AS_OF)
    a = portfolio.arrays
    expiry = np.array([p.expiry.toordinal() if p.expiry else -1 for p in positions], dtype=float)
    codes, names = portfolio.codes("asset_class")
    columns = {f: a[f] for f in ("price", "multiplier", "leverage", "underlying_price", "strike")}
    is_option = np.array([p.is_option for p in positions])
    found = standalone_columns(
        r, basis, AS_OF, is_option, a["right"] == "C", a["quantity"] > 0, (codes, names),
        columns | {"expiry": expiry}, np.array([on_index(p.underlying) for p in positions]),
    )  # fmt: skip
    for k, p in enumerate(positions):
        value = p.price * p.multiplier
        if not p.is_option:
            expected = (stock_figures(r, basis, p)[0], 0.0, 0.0)
        elif p.quantity > 0:
            expected = (0.0, long_option_rate(r, basis, p, AS_OF)[0] * value, 0.0)
        else:
            expected = (naked_per_share(r, p)[0] * p.multiplier, 0.0, value)
            spread = spread_naked(r, p, naked_per_share(r, p)[0]) * p.multiplier
            assert repr(found.spread_naked[k].item()) == repr(spread), p
        got = (found.margin[k].item(), found.long_cost[k].item(), found.short_proceeds[k].item())
        assert repr(got) == repr(expected), p
        assert math.copysign(1.0, found.value[k]) == math.copysign(1.0, value)


def test_positions_built_field_by_field_equal_the_constructors():
    """Portfolio.positions and positions_at set the fields column by column: the same positions as
    ``Position(*row)``, frozen as ever."""
    from dataclasses import FrozenInstanceError, fields

    portfolio = BOOKS[1]
    names = [f.name for f in fields(Position)]
    rows = zip(*(portfolio.arrays[n].tolist() for n in names))
    expected = tuple(Position(*values) for values in rows)
    some = list(range(0, len(portfolio), 3))
    fresh = Portfolio(dict(portfolio.arrays), AS_OF)  # its positions not built: built for ``some`` only
    assert repr(fresh.positions_at(some)) == repr(tuple(expected[i] for i in some))
    assert repr(portfolio.positions) == repr(expected)
    with pytest.raises(FrozenInstanceError):
        portfolio.positions[0].quantity = 1.0  # type: ignore[misc]
