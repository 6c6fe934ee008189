"""Option and currency-pair symbols read into their terms (xlmargin.symbols).

Formats: OSI/OCC Options Symbology Initiative (21 characters: root padded to 6, YYMMDD, C/P, strike
× 1000 in 8 digits); IBKR statement descriptions ("ABCD 17AUG13 5.0 C", IBKR Reporting Guide,
Pending Exercises section); TWS descriptions.
"""

import datetime as dt

import pytest

from xlmargin import rules
from xlmargin.symbols import (
    OptionSymbol,
    SymbolError,
    currency_pair,
    looks_like_option,
    pair_base_class,
    pair_quote,
    parse_option,
)

DEC_2025 = dt.date(2025, 12, 19)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SPY   251219P00450000", OptionSymbol("SPY", "SPY", DEC_2025, "P", 450.0)),
        ("SPXW  251219C05000000", OptionSymbol("SPXW", "SPX", DEC_2025, "C", 5000.0)),
        ("SPY251219P00450000", OptionSymbol("SPY", "SPY", DEC_2025, "P", 450.0)),
        ("spy251219p00450000", OptionSymbol("SPY", "SPY", DEC_2025, "P", 450.0)),
        ("AAPL  250117C00182500", OptionSymbol("AAPL", "AAPL", dt.date(2025, 1, 17), "C", 182.5)),
        ("AAPL1 251219C00150000", OptionSymbol("AAPL1", "AAPL", DEC_2025, "C", 150.0)),  # adjusted root
        ("AAPL1251219C00150000", OptionSymbol("AAPL1", "AAPL", DEC_2025, "C", 150.0)),
        ("NDXP  251219P20000000", OptionSymbol("NDXP", "NDX", DEC_2025, "P", 20000.0)),
        ("RUTW 251219C02300000", OptionSymbol("RUTW", "RUT", DEC_2025, "C", 2300.0)),
        ("VIXW  251217C00020000", OptionSymbol("VIXW", "VIX", dt.date(2025, 12, 17), "C", 20.0)),
        ("SPX 19DEC25 4500 P", OptionSymbol("SPX", "SPX", DEC_2025, "P", 4500.0)),
        ("AAPL 17JAN25 182.5 C", OptionSymbol("AAPL", "AAPL", dt.date(2025, 1, 17), "C", 182.5)),
        ("AAPL 17JAN25 182.5 C 100", OptionSymbol("AAPL", "AAPL", dt.date(2025, 1, 17), "C", 182.5, 100.0)),
        ("AAPL 17JAN25 182.5 C (10)", OptionSymbol("AAPL", "AAPL", dt.date(2025, 1, 17), "C", 182.5, 10.0)),
        ("SPXW 19DEC2025 4500 PUT", OptionSymbol("SPXW", "SPX", DEC_2025, "P", 4500.0)),
        ("SPX DEC19'25 4500 PUT", OptionSymbol("SPX", "SPX", DEC_2025, "P", 4500.0)),
        ("SPX DEC 19 '25 4500 Call", OptionSymbol("SPX", "SPX", DEC_2025, "C", 4500.0)),
    ],
)
def test_option_symbols_in_every_form(text, expected):
    assert parse_option(text) == expected


@pytest.mark.parametrize(
    "text",
    ["IBM", "BRK.B", "BRK B", "BF.B", "7203", "SPY", "S001", "EURUSD", "US500.DEC26", "US0378331005",
     "US38259P5089", "BBG000B9XRY4", "912828YK0", ""],
)  # fmt: skip
def test_other_symbols_are_not_options(text):
    assert parse_option(text) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("SPY   251319P00450000", "the expiry 2025-13-19 is not a date"),
        ("SPY   251219X00450000", "'X' is not C/P"),
        ("SPY   251219P0045000", "needs six date digits (YYMMDD), C or P and eight strike digits"),
        ("SPY   25121P00450000", "needs six date digits"),
        # letters where OSI has digits: read as short stock before
        ("AAPL  2401X19C00150000", "looks like an OSI option symbol but needs six date digits"),
        ("AAPL  240119C0015000O", "looks like an OSI option symbol but needs six date digits"),
        ("AAPL240119P0015000O", "looks like an OSI option symbol but needs six date digits"),
        ("AAPL  24O119C00150000", "looks like an OSI option symbol but needs six date digits"),
        ("SPX 19DEX25 4500 P", "'DEX' is not a month"),
        ("SPX 31FEB25 4500 P", "the expiry 2025-02-31 is not a date"),
        ("SPX 19DEC25 45x00 P", "the strike '45X00' is not a number"),
        ("SPX 19DEC25 4500 Q", "'Q' is not C/P"),
        ("SPX 19DEC25 0 P", "the strike must be positive"),
    ],
)
def test_malformed_option_symbols_say_why_in_one_line(text, why):
    with pytest.raises(SymbolError) as info:
        parse_option(text)
    assert why in str(info.value)
    assert "\n" not in str(info.value)


def test_every_listed_root_maps_to_an_underlying_with_a_source():
    table = rules.load("symbols")["roots"]
    assert table["source"] and table["confidence"] in ("H", "M", "L")
    assert {k: v for k, v in table.items() if k not in ("source", "confidence")} == {
        "SPXW": "SPX", "SPXPM": "SPX", "NDXP": "NDX", "RUTW": "RUT", "VIXW": "VIX",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "like"),
    [("IBM 95 CALL", True), ("IBM DEC 95 PUTS", True), ("SPY 450P", True), ("IBM", False), ("BRK B", False)],
)
def test_text_that_reads_like_an_option(text, like):
    assert looks_like_option(text) is like


@pytest.mark.parametrize(
    ("symbol", "quote"),
    [
        ("EURUSD", "USD"),
        ("USDJPY", "JPY"),
        ("XAUUSD", "USD"),
        ("BTCUSD", "USD"),
        ("EUR/USD", "USD"),
        ("EUR.USD", "USD"),
        ("eur-gbp", "GBP"),
        ("US500", None),
        ("AAPL", None),
        ("ABCDEF", None),
        ("USDXAU", None),  # a metal is a base, never a quote currency
    ],
)
def test_pair_symbols_state_their_quote_currency(symbol, quote):
    assert pair_quote(symbol) == quote


ACCEPTED_PAIRS = [
    *("EURUSD", "EUR.USD", "EUR/USD", "EUR_USD", "EUR-USD", "EUR USD", "eur-usd", " EURUSD "),
    # blanks around the separator, a broker's suffix (symbols.toml [pair_suffixes])
    *("EUR / USD", "EUR  USD", "EURUSD.", "EURUSD-", "EURUSD.pro", "EUR/USD.m"),
]
# a separator inside a code, at an end, doubled or padded: main read each as EUR/USD (separators were
# stripped anywhere), so EU.RUSD was margined as a major pair and inferred to be priced in USD
REFUSED_PAIRS = [
    "EU.RUSD",
    "E.URUSD",
    "EURUS.D",
    "E/U/R/U/S/D",
    "EUR..USD",
    ".EURUSD",
    "EURUSD.DEC26",
    "EURUSD..",
]


@pytest.mark.parametrize("symbol", ACCEPTED_PAIRS)
def test_a_pair_has_at_most_one_separator_and_only_between_its_codes(symbol):
    assert currency_pair(symbol) == ("EUR", "USD")
    assert pair_quote(symbol.strip()) == "USD"


@pytest.mark.parametrize("symbol", REFUSED_PAIRS)
def test_a_separator_elsewhere_makes_no_pair(symbol):
    assert currency_pair(symbol) is None
    assert pair_quote(symbol) is None
    assert pair_base_class(symbol.replace("EUR", "XAU")) is None


def test_the_bulk_reader_equals_one_symbol_at_a_time():
    """parse_options reads well-formed OSI symbols with numpy; it must agree with parse_option."""
    from xlmargin.symbols import parse_options

    texts = [
        "SPY   251219P00450000", "SPY251219P00450000", "AAPL1251219C00150000", "SPXW  251219C05000000",
        "VIXW  251217C00020000", "SPY   240229P00450000", "SPY   250229P00450000", "SPY   251319P00450000",
        "SPY   251219X00450000", "SPY   251219P00000000", "1SPY  251219P00450000", "SPX 19DEC25 4500 P",
        "AAPL 17JAN25 182.5 C 100", "IBM", "", "EURUSD", "IBM 95 CALL", "ABCDEFGHIJKLMNOPQRSTU",
        # share classes, an adjusted share class, a root too long (tests/test_symbols_share_classes.py)
        "BRK/B 251219C00450000", "BRK B 251219C00450000", "BRK.B1251219C00150000", "ABCDEFG 251219C00450000",
    ]  # fmt: skip
    terms, bad = parse_options(texts)
    for k, text in enumerate(texts):
        try:
            one = parse_option(text)
        except SymbolError as exc:
            assert bad[k] == str(exc) and not terms.parsed[k]
            continue
        assert k not in bad
        if one is None:
            assert not terms.parsed[k]
            continue
        got = (terms.root[k], terms.underlying[k], terms.right[k], terms.strike[k], terms.expiry[k])
        assert got == (one.root, one.underlying, one.right, one.strike, one.expiry.toordinal())


@pytest.mark.parametrize("text", ["T 3.25 05/15/2030", "912828XY9", "UST 4 1/2 2031", "AAPL 2030 NOTE"])
def test_bond_descriptions_and_cusips_are_not_options(text):
    # no digit followed by a letter and no apostrophe: no option shape can read them
    assert parse_option(text) is None
    assert not looks_like_option(text)


@pytest.mark.parametrize(
    ("text", "right", "strike"),
    [
        ("SPY   251219P00450000", "P", 450.0),
        ("SPX 19DEC25 4500 C", "C", 4500.0),
        ("SPX DEC 19 '25 4500 P", "P", 4500.0),
    ],
)
def test_each_option_shape_still_reads(text, right, strike):
    option = parse_option(text)
    assert option is not None and (option.right, option.strike) == (right, strike)
