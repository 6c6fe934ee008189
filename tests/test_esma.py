"""Unit tests of the ESMA leverage caps and the US retail forex deposit."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest

from tests import books
from tests.books import book
from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.errors import InputError, MissingDataError, UnsupportedError
from xlmargin.esma import (
    DEFAULT_ACCOUNT_CURRENCY,
    ESMA_PARAMS,
    class_problem,
    currency_pair,
    esma_class,
    esma_classes,
    esma_margin,
    esma_settings,
    nfa_margin,
)
from xlmargin.money import cents
from xlmargin.params import norm, read_params
from xlmargin.textable import fmt

NO_RATES = esma_settings({}, AS_OF)


def row(
    symbol: str,
    kind: str,
    qty: float,
    price: float,
    multiplier: Any = None,
    currency: Any = None,
    klass: Any = None,
    fx_rate: Any = None,
    underlying: Any = None,
) -> list[Any]:
    return books.row(symbol, kind, qty, price, multiplier=multiplier, currency=currency, klass=klass,
                     fx_rate=fx_rate, underlying=underlying)  # fmt: skip


def leverage(name: str) -> float:
    return float(rules.load("esma").get(f"leverage.{name}"))


# --- classification --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "kind", "klass", "underlying", "expected"),
    [
        ("EURUSD", "fx", None, None, "major_fx"),
        ("EUR/JPY", "fx", None, None, "major_fx"),
        ("usd.chf", "fx", None, None, "major_fx"),
        ("AUDCAD", "fx", None, None, "non_major_fx"),
        ("USDMXN", "fx", None, None, "non_major_fx"),
        ("AUDUSD", "fx", "fx_major", None, "non_major_fx"),  # the pair decides (esma_margin refuses it)
        ("GBPNZD", "cfd", "fx", None, "non_major_fx"),  # an FX class on a CFD row is still a pair
        ("XAUUSD", "fx", None, None, "gold"),  # built-in class gold
        ("BTCUSD", "cfd", None, None, "crypto"),
        ("UK100", "cfd", None, None, "major_index"),
        ("GER40", "cfd", None, None, "major_index"),
        ("SPX", "cfd", None, None, "major_index"),  # built-in class highcap_index, but on the major list
        (
            "US500.DEC26",
            "cfd",
            None,
            "US500",
            "major_index",
        ),  # a CFD on a future takes its underlying's class
        ("SMI20", "cfd", "broad_index", None, "non_major_index"),
        ("VOD", "cfd", None, None, "individual_equity"),
        ("WTI", "cfd", "commodity", None, "other_commodity"),
        ("BUND", "cfd", "treasury", None, "other"),
    ],
)
def test_classes(symbol: str, kind: str, klass: Any, underlying: Any, expected: str) -> None:
    (position,) = book(row(symbol, kind, 1, 100.0, klass=klass, underlying=underlying)).positions
    assert esma_class(position) == expected


def test_every_class_has_a_cap_in_the_brief() -> None:
    caps = {name: leverage(name) for name in esma_classes()}
    assert caps == {
        "major_fx": 30,
        "non_major_fx": 20,
        "gold": 20,
        "major_index": 20,
        "other_commodity": 10,
        "non_major_index": 10,
        "individual_equity": 5,
        "other": 5,
        "crypto": 2,
    }


def test_currency_pairs() -> None:
    assert currency_pair("EURUSD") == ("EUR", "USD")
    assert currency_pair("eur-usd") == ("EUR", "USD")
    assert currency_pair("EURXYZ") is None
    assert currency_pair("EURUS") is None


# A stock CFD whose ticker is a major index alias (esma.toml [major_indices]): margin-rules.md §5,
# "Individual equities and 'other reference values' (bonds etc.) | 5:1 | 20%" [H]. The class column
# says equity, so the alias must not make it a major index (20:1).
@pytest.mark.parametrize("symbol", ["COMP", "CAC", "DAX"])
def test_a_given_equity_class_wins_over_a_major_index_alias(symbol: str) -> None:
    stock_cfd = row(symbol, "cfd", 1_000, 10.0, currency="USD", klass="equity")
    result = esma_margin(book(stock_cfd), "USD", NO_RATES)
    assert result.total == 1_000 * 10.0 / 5 == 2_000.0  # 20% of 10,000 (was 500.00, 1:20)
    assert result.lines[0].rule_class == "individual_equity"
    # without a class the alias is all there is: the major index, 5% (1:20)
    blank = row(symbol, "cfd", 1_000, 10.0, currency="USD")
    assert esma_margin(book(blank), "USD", NO_RATES).total == 1_000 * 10.0 / 20 == 500.0


@pytest.mark.parametrize(
    ("klass", "expected"),
    [
        ("equity", "individual_equity"),
        ("treasury", "other"),  # a bond's class is not overridden by a ticker either
        ("commodity", "other_commodity"),
        ("broad_index", "major_index"),  # an index class: the alias tells which index it is
        ("highcap_index", "major_index"),
        (None, "major_index"),
    ],
)
def test_the_class_column_before_the_alias_of_the_symbol_or_underlying(klass: Any, expected: str) -> None:
    for symbol, underlying in (("UK100", None), ("UK100.DEC26", "UK100")):
        (position,) = book(row(symbol, "cfd", 1, 8000.0, klass=klass, underlying=underlying)).positions
        assert (esma_class(position), position.class_given) == (expected, klass is not None)


# margin-rules.md §5: "Commodities other than gold, non-major equity indices | 10:1 | 10%" [H]. An index
# off the major list (HK50) given an index class takes 10%; so does HK50 without a class, a symbol of
# esma.toml [other_indices] (tests/test_esma_blank_class.py); with class equity it is a share, 20%.
@pytest.mark.parametrize("klass", ["narrow_index", "broad_index", "highcap_index", None])
def test_an_index_class_off_the_major_list_is_ten_to_one(klass: str | None) -> None:
    result = esma_margin(book(row("HK50", "cfd", 2, 20_000.0, currency="HKD", klass=klass)), "HKD", NO_RATES)
    assert result.total == 2 * 20_000.0 / 10 == 4_000.0
    assert result.lines[0].rule_class == "non_major_index"
    equity = esma_margin(
        book(row("HK50", "cfd", 2, 20_000.0, currency="HKD", klass="equity")), "HKD", NO_RATES
    )
    assert (equity.total, equity.lines[0].rule_class) == (2 * 20_000.0 / 5, "individual_equity")


# margin-rules.md §5: "Major currency pairs (any two of USD, EUR, JPY, GBP, CAD, CHF) | 30:1" and
# "Non-major pairs ... | 20:1" [H]. A readable pair decides; fx_major on a non-major pair is the
# user's data being wrong, refused naming the row and the class column (it gave 30:1).
def test_fx_major_on_a_non_major_pair_is_refused_naming_the_row_and_class() -> None:
    rows = [
        row("AUDUSD", "fx", 100_000, 0.65, klass="fx_major"),
        row("EURUSD", "fx", 100_000, 1.1, klass="fx_major"),  # a major pair: fx_major is right
        row("USDTRY", "fx", 100_000, 32.0, klass="fx_major"),
    ]
    with pytest.raises(InputError) as err:
        esma_margin(book(*rows), "USD", NO_RATES)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "class"), (4, "class")]
    assert "AUD is not a major currency" in err.value.problems[0].message
    assert "TRY is not a major currency" in err.value.problems[1].message
    # the same pairs with class fx, or none: 20:1
    for klass in ("fx", None):
        audusd = esma_margin(book(row("AUDUSD", "fx", 100_000, 0.65, klass=klass)), "USD", NO_RATES)
        assert audusd.total == cents(100_000 * 0.65 / 20) == 3_250.0  # was 2,166.67 (1:30)
        usdtry = esma_margin(book(row("USDTRY", "fx", 100_000, 32.0, klass=klass)), "USD", NO_RATES)
        assert usdtry.total == cents(100_000 / 20) == 5_000.0  # was 3,333.33 (1:30)
    eurusd = esma_margin(book(row("EURUSD", "fx", 100_000, 1.1, klass="fx_major")), "USD", NO_RATES)
    assert eurusd.total == cents(100_000 * 1.1 / 30)


def test_a_class_that_is_not_fx_on_a_pair_row_is_refused() -> None:
    """An fx row on EURUSD of class equity: neither the pair's 30:1 nor the equity's 5:1 silently."""
    with pytest.raises(InputError) as err:
        esma_margin(book(row("EURUSD", "fx", 100_000, 1.1, klass="equity")), "USD", NO_RATES)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (2, "class")
    assert "class equity contradicts 'EURUSD'" in problem.message
    # metals and cryptocurrencies are not readable pairs: their class decides as before
    (gold,) = book(row("XAUUSD", "cfd", 1, 2000.0, klass="commodity")).positions
    assert (esma_class(gold), class_problem(gold)) == ("other_commodity", None)


# --- notional and currency -------------------------------------------------------------------------


def test_fx_pair_in_its_quote_currency_uses_the_price() -> None:
    result = esma_margin(book(row("GBPUSD", "fx", -50_000, 1.25)), "USD", NO_RATES)
    assert result.total == pytest.approx(50_000 * 1.25 / 30, abs=0.005)  # to the cent
    assert result.lines[0].notional == pytest.approx(62_500)


def test_cfd_converted_with_the_row_rate() -> None:
    result = esma_margin(book(row("AAPL", "cfd", 10, 200.0, currency="USD", fx_rate=0.9)), "EUR", NO_RATES)
    assert result.total == pytest.approx(10 * 200 * 0.9 / 5)
    assert (result.lines[0].currency, result.lines[0].fx_rate) == ("USD", 0.9)


def test_cfd_converted_with_a_parameter_rate() -> None:
    settings = esma_settings(read_params(["fx.USD=0.9"], ESMA_PARAMS), AS_OF)
    result = esma_margin(book(row("US500", "cfd", 2, 6000.0, multiplier=10, currency="USD")), "EUR", settings)
    assert result.total == pytest.approx(2 * 6000 * 10 * 0.9 / 20)


def test_cross_pair_converted_through_either_leg() -> None:
    """EURGBP in a USD account: EUR notional at fx.EUR, or GBP notional (qty × price) at fx.GBP."""
    eurgbp = book(row("EURGBP", "fx", 100_000, 0.85))
    by_base = esma_margin(eurgbp, "USD", esma_settings({"fx.EUR": 1.10}, AS_OF))
    by_quote = esma_margin(eurgbp, "USD", esma_settings({"fx.GBP": 1.10 / 0.85}, AS_OF))
    assert by_base.total == pytest.approx(100_000 * 1.10 / 30)
    assert by_quote.total == pytest.approx(by_base.total)


def test_missing_rate_names_the_row_and_the_pair() -> None:
    with pytest.raises(MissingDataError) as err:
        esma_margin(
            book(row("DE40", "cfd", 1, 20000.0, currency="EUR"), row("EURGBP", "fx", 1, 0.85)),
            "USD",
            NO_RATES,
        )
    first, second = err.value.problems
    assert (first.row, first.column) == (2, "fx_rate") and "EURUSD" in first.message
    assert (second.row, second.column) == (3, "fx_rate") and "GBPUSD" in second.message
    assert "fx.GBP or fx.EUR" in second.message


def test_a_cfd_needs_its_currency() -> None:
    with pytest.raises(MissingDataError) as err:
        esma_margin(book(row("DE40", "cfd", 1, 20000.0)), "EUR", NO_RATES)
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "currency")


def test_account_currency_needs_no_rate_and_takes_no_other() -> None:
    assert esma_margin(book(row("DE40", "cfd", 1, 20000.0, currency="EUR")), "eur", NO_RATES).total == 1000.0
    with pytest.raises(InputError) as err:
        esma_margin(book(row("DE40", "cfd", 1, 20000.0, currency="EUR", fx_rate=1.1)), "EUR", NO_RATES)
    assert err.value.problems[0].column == "fx_rate"


def test_bad_inputs() -> None:
    with pytest.raises(InputError) as err:
        esma_margin(book(row("EURXYZ", "fx", 1000, 1.1)), "USD", NO_RATES)
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "symbol")
    with pytest.raises(InputError, match="not a known currency code"):
        esma_margin(book(row("EURUSD", "fx", 1000, 1.1)), "EURO", NO_RATES)
    with pytest.raises(InputError, match=r"fx\.USD: must be above 0, got 0"):
        esma_settings({"fx.USD": 0.0}, AS_OF)
    with pytest.raises(InputError, match="unknown parameter"):
        esma_settings({"fx.XXX": 1.0}, AS_OF)


def test_other_types_are_named_not_skipped() -> None:
    rows = [row("AAPL", "stock", 10, 200.0), row("EURUSD", "fx", 1000, 1.1), row("ESZ6", "future", 1, 6000.0)]
    with pytest.raises(UnsupportedError) as err:
        esma_margin(book(*rows), "USD", NO_RATES)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "type"), (4, "type")]
    assert "a stock is neither" in err.value.problems[0].message
    rows = [row("SPY", "etf", 10, 600.0), row("EURUSD", "fx", 1000, 1.1)]
    with pytest.raises(UnsupportedError, match="an etf is neither"):
        esma_margin(book(*rows), "USD", NO_RATES)


def test_no_netting_between_positions() -> None:
    result = esma_margin(
        book(row("EURUSD", "fx", 100_000, 1.1), row("EURUSD", "fx", -100_000, 1.1)), "USD", NO_RATES
    )
    assert result.total == pytest.approx(2 * 100_000 * 1.1 / 30)


def test_a_broker_may_lower_the_leverage_not_raise_it() -> None:
    tighter = esma_settings(read_params([["leverage.major_fx", 20]], ESMA_PARAMS), AS_OF)
    assert esma_margin(book(row("EURUSD", "fx", 100_000, 1.1)), "USD", tighter).total == pytest.approx(5500)
    with pytest.raises(InputError, match="at most 30"):
        read_params([["leverage.major_fx", 50]], ESMA_PARAMS)


def test_parameter_names_are_unique() -> None:
    names = [norm(p.name) for p in ESMA_PARAMS]
    assert len(names) == len(set(names))


# --- result and table --------------------------------------------------------------------------------


def test_totals_close_out_and_table() -> None:
    settings = esma_settings({"fx.USD": 0.9}, AS_OF)
    result = esma_margin(
        book(
            row("EURUSD", "fx", 100_000, 1.1),
            row("DE40", "cfd", 2, 20000.0, currency="EUR"),
            row("AAPL", "cfd", 10, 200.0, currency="USD"),
        ),
        "EUR",
        settings,
    )
    margins = [100_000 / 30, 2 * 20000 / 20, 10 * 200 * 0.9 / 5]
    assert result.total == pytest.approx(sum(margins))
    assert result.close_out_level == pytest.approx(sum(margins) / 2, abs=0.005)  # to the cent
    assert result.gross_notional == pytest.approx(100_000 + 40_000 + 1_800)
    assert result.effective_leverage == pytest.approx(result.gross_notional / result.total)
    table = result.table()
    assert table[0][0] == "row" and table[0][-2:] == ["initial margin (EUR)", "class from"]
    assert [r[0] for r in table[1:]] == [
        2,
        3,
        4,
        "total",
        "margin close-out level (50% of initial margin)",
    ]
    assert all(type(r[0]) is int for r in table[1:4])  # row numbers print as 2, not 2.00
    # the margin rate as ESMA prints it, a percentage of the notional (ESMA35-43-1000: 3.33% for a
    # major currency pair at 30:1, 5% for a major index at 20:1, 20% for a single stock at 5:1); as
    # a fraction the command line showed 1/30 as 0.03
    rate = table[0].index("margin rate (%)")
    assert [r[rate] for r in table[1:4]] == pytest.approx([100 / 30, 5.0, 20.0], abs=1e-6)
    assert [fmt(r[rate]) for r in table[1:4]] == ["3.33", "5.00", "20.00"]
    for r in table:
        assert len(r) == len(table[0])
        assert all(
            isinstance(c, str | float | int) and not (isinstance(c, float) and not math.isfinite(c))
            for c in r
        )


# --- US retail forex -----------------------------------------------------------------------------------


def test_nfa_deposits() -> None:
    nfa = rules.load("esma")["nfa"]
    result = nfa_margin(
        book(row("EURUSD", "fx", 100_000, 1.1), row("USDMXN", "fx", 100_000, 18.0)), "USD", NO_RATES
    )
    assert [line.margin_rate for line in result.lines] == [nfa["major_pct"], nfa["other_pct"]]
    assert result.total == pytest.approx(110_000 * nfa["major_pct"] + 100_000 * nfa["other_pct"])
    assert result.close_out_level is None
    assert result.table()[-1][0] == "total"


def test_nfa_takes_currency_pairs_only() -> None:
    rows = [
        row("EURUSD", "fx", 1000, 1.1),
        row("DE40", "cfd", 1, 20000.0, currency="EUR"),
        row("BTCUSD", "fx", 1, 1e5),
    ]
    with pytest.raises(UnsupportedError) as err:
        nfa_margin(book(*rows), "USD", NO_RATES)
    assert [p.row for p in err.value.problems] == [3, 4]


def test_the_default_account_currency_is_the_rule_files() -> None:
    """The ESMA functions' account currency when none is given is ``[account]`` of esma.toml (a
    constant in the code before): another value in the file is the one a blank currency takes."""
    script = (
        "import xlmargin.rules as rules\n"
        "shipped = rules.load\n"
        "rules.load = lambda name: shipped(name).with_overrides({'account.default_currency': 'GBP'}) "
        "if name == 'esma' else shipped(name)\n"
        "from xlmargin.excel import functions as fn\n"
        "rows = [['symbol', 'type', 'quantity', 'price'], ['EURGBP', 'fx', 1000, 0.87]]\n"
        "print(fn.esma_result(rows, None, ['as_of=2025-12-31']).account_currency)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == "GBP\n"
    assert DEFAULT_ACCOUNT_CURRENCY == rules.load("esma").get("account.default_currency") == "EUR"


# --- the quote currency of an fx row that is no pair, read from its symbol ------------------------

# fx.USD 0.9 EUR per USD, fx.JPY 0.006: 10 ounces at 2,000 USD = 18,000 EUR, gold 20:1 = 900 EUR
_GOLD_RATES = esma_settings({"fx.USD": 0.9, "fx.JPY": 0.006}, AS_OF)


@pytest.mark.parametrize(
    ("symbol", "notional"),
    [
        ("XAUUSD", 18_000.0),
        ("XAU/USD", 18_000.0),
        ("xau.usd", 18_000.0),
        ("XAUUSD.pro", 18_000.0),  # a broker's suffix (symbols.toml [pair_suffixes]): was refused
        ("XAUJPY", 120.0),  # 20,000 JPY × 0.006
    ],
)
def test_an_fx_row_that_is_no_pair_is_priced_in_its_symbols_second_code(symbol: str, notional: float) -> None:
    result = esma_margin(book(row(symbol, "fx", 10, 2_000.0, klass="gold")), "EUR", _GOLD_RATES)
    assert result.gross_notional == pytest.approx(notional)
    assert result.total == pytest.approx(notional / 20)


@pytest.mark.parametrize("symbol", ["X.AUUSD", "XA.UUSD", "XAU..USD", ".XAUUSD", "GOLD-USD", "AB.CJPY"])
def test_a_symbol_not_shaped_as_a_pair_says_no_price_currency(symbol: str) -> None:
    """One reading of a pair symbol (symbols.pair_codes): one separator, only between the two codes.
    Before, every separator was dropped, so X.AUUSD read as quoted in USD (18,000 EUR, 900 margin)
    and AB.CJPY in JPY; now the currency column is asked for, naming the row."""
    with pytest.raises(MissingDataError) as err:
        esma_margin(book(row(symbol, "fx", 10, 2_000.0, klass="gold")), "EUR", _GOLD_RATES)
    ((found_row, column),) = [(p.row, p.column) for p in err.value.problems]
    assert (found_row, column) == (2, "currency")
    given = esma_margin(
        book(row(symbol, "fx", 10, 2_000.0, currency="USD", klass="gold")), "EUR", _GOLD_RATES
    )
    assert given.total == pytest.approx(900.0)  # the currency column, when given, decides
