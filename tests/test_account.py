"""Unit tests of the account view: segments, rules per segment, currency, and nothing dropped."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from tests import books
from tests.books import EXPIRY
from tests.conftest import AS_OF
from xlmargin.account import ACCOUNT_PARAMS, SEGMENTS, account_margin, account_settings
from xlmargin.errors import InputError, MissingDataError, UnsupportedError
from xlmargin.esma import esma_margin, nfa_margin
from xlmargin.money import cents
from xlmargin.params import norm, read_params
from xlmargin.pm import pm_requirement
from xlmargin.positions import TYPES
from xlmargin.regt import regt_margin
from xlmargin.span import futures_margin

ROWS = [
    ["AAPL", "stock", 100, 200, None, None, None, None, None, None],
    ["AAPL C210", "option", -1, 5, "AAPL", 200, 210, EXPIRY, "C", None],
    ["ESZ6", "future", 1, 6000, None, None, None, None, None, None],
    ["ZCH7", "future", 2, 450, None, None, None, None, None, None],
    ["EURUSD", "fx", 100_000, 1.08, None, None, None, None, None, None],
    ["DE40", "cfd", 1, 20000, None, None, None, None, None, "EUR"],
    ["CASH", "cash", 10_000, None, None, None, None, None, None, None],
]


def book(rows: list[list[Any]] = ROWS) -> Any:
    return books.book(*rows)  # rows in tests.books.HEADER order


def settings(**params: Any) -> Any:
    return account_settings({"fx.EUR": 1.08, **params}, AS_OF)


def test_every_position_type_has_exactly_one_segment() -> None:
    placed = [t for types in SEGMENTS.values() for t in types]
    assert sorted(placed) == sorted(TYPES)


def test_segments_add_up_and_match_their_engines() -> None:
    portfolio = book()
    s = settings()
    result = account_margin(portfolio, s)
    securities, futures, fx = result.lines
    kinds = portfolio.arrays["type"]

    def part(segment: str) -> Any:
        return portfolio.select([k in SEGMENTS[segment] for k in kinds])

    assert securities.requirement == regt_margin(part("securities"), basis="initial").total
    assert futures.requirement == futures_margin(part("futures"), s.span).initial
    assert fx.requirement == esma_margin(part("fx/cfd"), "USD", s.esma).total
    assert result.total == pytest.approx(securities.requirement + futures.requirement + fx.requirement)
    assert sum(len(line.rows) for line in result.lines) == len(portfolio)  # nothing dropped
    assert sorted(r for line in result.lines for r in line.rows) == list(range(2, 2 + len(ROWS)))


def test_maintenance_basis() -> None:
    initial = account_margin(book(), settings())
    maintenance = account_margin(book(), settings(basis="maintenance"))
    assert maintenance.lines[0].regime == "Reg T maintenance"
    assert maintenance.lines[1].requirement == pytest.approx(initial.lines[1].requirement / 1.10)  # HRP 110%
    assert maintenance.lines[2].requirement == pytest.approx(
        initial.lines[2].requirement / 2
    )  # close-out level
    assert maintenance.total < initial.total


def test_portfolio_margin_and_us_forex_choices() -> None:
    portfolio = book()
    s = account_settings(read_params(["securities=pm", "fx_rule=nfa", "fx.EUR=1.08"], ACCOUNT_PARAMS), AS_OF)
    without_cfd = portfolio.select([k != "cfd" for k in portfolio.arrays["type"]])
    result = account_margin(without_cfd, s)
    securities_book = without_cfd.select([k in SEGMENTS["securities"] for k in without_cfd.arrays["type"]])
    assert result.lines[0].requirement == pytest.approx(pm_requirement(securities_book, s.pm).initial)
    fx_book = without_cfd.select([k == "fx" for k in without_cfd.arrays["type"]])
    assert result.lines[2].requirement == pytest.approx(nfa_margin(fx_book, "USD", s.esma).total)
    assert result.lines[2].regime.startswith("US retail forex")


def test_a_cfd_under_the_us_rule_is_an_error_naming_it() -> None:
    with pytest.raises(UnsupportedError) as err:
        account_margin(book(), settings(fx_rule="nfa"))
    assert [p.row for p in err.value.problems] == [7]


def test_a_bad_row_in_any_segment_is_named() -> None:
    rows = [*ROWS, ["QQZ6", "future", 1, 100, None, None, None, None, None, None]]
    with pytest.raises(UnsupportedError) as err:
        account_margin(book(rows), settings())
    assert err.value.problems[0].row == 9


def test_the_fx_cfd_segment_takes_the_class_column_before_the_symbol() -> None:
    """margin-rules.md §5 [H]: individual equities 5:1, non-major pairs 20:1. A stock CFD of class
    equity whose ticker is a major index alias (COMP) is an equity in the account view too, and
    fx_major on a non-major pair (AUDUSD) is refused naming the row and the class column."""
    comp = books.row("COMP", "cfd", 1_000, 10.0, currency="USD", klass="equity")
    result = account_margin(books.book(comp), settings())
    assert result.lines[2].requirement == 1_000 * 10.0 / 5 == 2_000.0  # was 500.00 (1:20)
    audusd = books.row("AUDUSD", "fx", 100_000, 0.65, klass="fx_major")
    with pytest.raises(InputError) as err:
        account_margin(books.book(comp, audusd), settings())
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "class")]
    fx = books.row("AUDUSD", "fx", 100_000, 0.65, klass="fx")
    assert account_margin(books.book(fx), settings()).lines[2].requirement == 100_000 * 0.65 / 20 == 3_250.0


def test_non_usd_account_converts_the_usd_segments() -> None:
    usd = account_margin(book(), settings())
    with pytest.raises(MissingDataError, match=r"fx\.USD"):
        account_margin(book(), settings(account_currency="EUR"))
    eur = account_margin(book(), account_settings({"account_currency": "eur", "fx.USD": 0.925}, AS_OF))
    assert eur.account_currency == "EUR"
    for usd_line, eur_line in zip(usd.lines[:2], eur.lines[:2], strict=True):
        assert eur_line.requirement == pytest.approx(usd_line.requirement * 0.925)
    assert eur.lines[2].requirement == pytest.approx(100_000 / 30 + 20000 / 20)  # EURUSD in EUR: 100,000 EUR


def test_empty_segments_show_zero_and_the_table_is_plain() -> None:
    only_stock = book(ROWS[:1])
    result = account_margin(only_stock, settings())
    table = result.table()
    assert table[0] == ["segment", "regime", "positions", "requirement (USD)"]
    assert [r[0] for r in table[1:]] == ["securities", "futures", "fx/cfd", "total (initial)"]
    assert [r[2] for r in table[1:]] == [1, 0, 0, 1] and all(type(r[2]) is int for r in table[1:])  # counts
    assert table[-1][-1] == pytest.approx(10_000.0)
    for r in table:
        assert all(
            isinstance(c, str | float | int) and not (isinstance(c, float) and not math.isfinite(c))
            for c in r
        )


def test_parameters() -> None:
    names = [norm(p.name) for p in ACCOUNT_PARAMS]
    assert len(names) == len(set(names))
    with pytest.raises(InputError, match="unknown parameter"):
        account_settings({"bogus": 1}, AS_OF)
    values = read_params(["scan.ES=30000", "basis=maintenance", "as_of=2026-11-20"], ACCOUNT_PARAMS)
    s = account_settings(values, dt.date(2030, 1, 1))
    assert s.as_of == AS_OF and s.span.as_of == AS_OF and s.pm.as_of == AS_OF
    assert s.span.products["ES"].scan == 30000 and s.span.basis == "maintenance"


@pytest.mark.parametrize("securities", ["regt", "pm"])
def test_exact_is_the_sum_of_the_segments_before_rounding(securities: str) -> None:
    """``exact`` adds each engine's figure before its cent rounding (Reg T's ``exact``, PM's
    ``initial_exact``, SPAN's and ESMA's ``exact``), and rounds to each segment's requirement."""
    portfolio = book()
    s = settings(securities=securities, **({"house.initial": True} if securities == "pm" else {}))
    result = account_margin(portfolio, s)
    securities_line = result.lines[0]
    detail = securities_line.detail
    expected = detail.exact if securities == "regt" else detail.initial_exact
    assert securities_line.exact == expected
    assert cents(securities_line.exact) == securities_line.requirement
    assert [cents(line.exact) for line in result.lines] == [line.requirement for line in result.lines]
    assert [line.exact for line in result.lines[1:]] == [line.detail.exact for line in result.lines[1:]]
    assert result.exact == sum(line.exact for line in result.lines)


def test_securities_notional_is_the_row_by_row_sum_to_the_last_bit():
    # read from the columns, added in row order: the sum a loop over the positions makes
    from benchmarks.book import book
    from xlmargin.account import securities_notional
    from xlmargin.positions import read_positions

    misc = [["symbol", "type", "quantity", "price", "coupon", "maturity", "multiplier"],
            ["CASH", "cash", 1000.0, None, None, None, None],
            ["T1", "bond", 100_000.0, 99.5, 4.0, 10.0, None],
            ["SPY", "etf", -3.0, 590.0, None, None, None],
            ["XYZ", "stock", 7.0, 12.5, None, None, 10.0]]  # fmt: skip
    for table in (book(400, 20, 60, seed=3), misc):
        portfolio = read_positions(table, as_of=AS_OF)
        total = 0.0
        for p in portfolio:
            if p.type == "cash":
                continue
            if p.type == "bond":
                total += abs(p.quantity) * p.price / 100.0
            elif p.is_option:
                total += abs(p.quantity) * p.underlying_price * p.multiplier
            else:
                total += abs(p.quantity * p.price * p.multiplier)
        assert securities_notional(portfolio) == total


def test_securities_figures_given_by_a_caller_are_used_only_for_their_rule_and_basis() -> None:
    # the batch hands over each account's securities figures; figures of another basis, or of the
    # rule not in use, are ignored and the segment margined as usual
    from xlmargin.account import SecuritiesFigures

    stocks = book([ROWS[0], ROWS[1]])
    pm = settings(securities="pm")
    own = account_margin(stocks, pm).lines[0].requirement
    given = SecuritiesFigures(123.45, 123.449, "initial")
    assert account_margin(stocks, pm, securities=given).lines[0].requirement == 123.45
    assert (
        account_margin(stocks, pm, securities=SecuritiesFigures(1.0, 1.0, "maintenance")).lines[0].requirement
        == own
    )
    regt = settings()
    alone = account_margin(stocks, regt).lines[0].requirement
    assert account_margin(stocks, regt, securities=given).lines[0].requirement == alone
    maintenance = regt_margin(stocks, basis="maintenance")
    assert account_margin(stocks, regt, securities=maintenance).lines[0].requirement == alone
    net = regt_margin(stocks, net_of_proceeds=True)
    assert account_margin(stocks, regt, securities=net).lines[0].detail is not net
