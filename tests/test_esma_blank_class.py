"""A blank class column under the ESMA caps: the class is read from the symbol, from data.

margin-rules.md §5 [H] (ESMA35-43-1000): major currency pairs (any two of USD, EUR, JPY, GBP, CAD,
CHF) 30:1 (3.33%); non-major pairs, gold and the major equity indices 20:1 (5%); other commodities
and non-major equity indices 10:1 (10%); individual equities 5:1 (20%). The major indices are FTSE
100, CAC 40, DAX, DJIA, S&P 500, NASDAQ-100, NASDAQ Composite, Nikkei 225, S&P/ASX 200 and EURO
STOXX 50 [M]: the Hang Seng (HK50) is not one, so it is a non-major index at 10%.

A CFD with a blank class on HK50 was margined as a share (20%) and one on EURUSD or USDTRY as a share
(20% of the notional in the quote currency): the symbol tables of esma.toml ([other_indices],
[major_indices], [currencies]) now give the class, the breakdown's ``class from`` column says so,
and a symbol they do not recognise is still read as an equity, with a warning naming the row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.books import book, row
from tests.conftest import AS_OF
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.esma import ASSUMED_EQUITY, esma_margin, esma_settings, nfa_margin
from xlmargin.excel import functions as fn
from xlmargin.excel import udfs
from xlmargin.money import cents

NO_RATES = esma_settings({}, AS_OF)
DATED = [["as_of", AS_OF.isoformat()]]


def one(symbol: str, qty: float, price: float, account: str, **cells: Any) -> Any:
    """The ESMA result of one CFD row (class blank unless ``klass`` is given)."""
    return esma_margin(book(row(symbol, "cfd", qty, price, **cells)), account, NO_RATES)


# --- the Python function ---------------------------------------------------------------------------


def test_hk50_with_a_blank_class_is_a_non_major_index() -> None:
    # 2 × 20,000 HKD = 40,000 HKD at 10:1 (non-major index): 4,000 HKD (it was 8,000, 5:1 as a share)
    for cells in ({"currency": "HKD"}, {"currency": "HKD", "underlying": "HK50"}):
        symbol = (
            "HK50" if "underlying" not in cells else "HK50.DEC26"
        )  # a CFD on the future: its underlying's
        result = one(symbol, 2, 20_000.0, "HKD", **cells)
        (line,) = result.lines
        assert (result.total, line.rule_class, line.max_leverage) == (4_000.0, "non_major_index", 10.0)
        assert line.class_from == "inferred: HK50 = HANG_SENG [other_indices]"
        assert result.warnings == ()


@pytest.mark.parametrize(
    ("symbol", "index"),
    [("US500", "SP_500"), ("SPX", "SP_500"), ("DAX", "DAX"), ("GER40", "DAX"), ("UK100", "FTSE_100")],
)
def test_a_major_index_alias_with_a_blank_class_is_five_percent(symbol: str, index: str) -> None:
    # 1 × 5,000 at 20:1 (major index): 250
    result = one(symbol, 1, 5_000.0, "EUR", currency="EUR")
    (line,) = result.lines
    assert (result.total, line.rule_class) == (250.0, "major_index")
    assert line.class_from == f"inferred: {symbol} = {index} [major_indices]"


@pytest.mark.parametrize("symbol", ["EURUSD", "EUR.USD", "EUR/USD"])
def test_a_cfd_on_a_major_pair_with_a_blank_class_is_one_thirtieth(symbol: str) -> None:
    # 100,000 EUR at 1.10: 110,000 USD / 30 = 3,666.67 USD (it was 22,000.00, 20% of 110,000)
    result = one(symbol, 100_000, 1.1, "USD")
    (line,) = result.lines
    assert (result.total, line.rule_class, line.max_leverage) == (cents(110_000 / 30), "major_fx", 30.0)
    assert line.class_from == "inferred: pair EUR/USD [currencies]"
    # in a EUR account the pair's base is the account currency: 100,000 / 30, no rate needed (it
    # was refused for want of fx.USD, the quote currency read as a share's)
    assert one(symbol, 100_000, 1.1, "EUR").total == cents(100_000 / 30) == 3_333.33


def test_usdjpy_cfd_with_a_blank_class_is_one_thirtieth() -> None:
    # 100,000 USD / 30 = 3,333.33 USD (it was 20% of 15,725,000 JPY, needing a JPY rate)
    result = one("USDJPY", -100_000, 157.25, "USD")
    assert (result.total, result.lines[0].rule_class) == (3_333.33, "major_fx")


@pytest.mark.parametrize(("symbol", "price"), [("USDTRY", 32.0), ("USDMXN", 18.0), ("AUDUSD", 0.65)])
def test_a_cfd_on_a_non_major_pair_with_a_blank_class_is_twenty_to_one(symbol: str, price: float) -> None:
    # USDTRY, USDMXN: 100,000 USD / 20 = 5,000 USD; AUDUSD: 65,000 USD / 20 = 3,250 USD
    result = one(symbol, 100_000, price, "USD")
    notional = 100_000 * (price if symbol.endswith("USD") else 1.0)
    (line,) = result.lines
    assert (result.total, line.rule_class) == (cents(notional / 20), "non_major_fx")
    assert line.class_from == f"inferred: pair {symbol[:3]}/{symbol[3:]} [currencies]"


@pytest.mark.parametrize(
    ("symbol", "price", "klass", "expected", "margin"),
    [
        ("HK50", 20_000.0, "equity", "individual_equity", 2 * 20_000.0 / 5),  # a share, as the class says
        ("US500", 20_000.0, "equity", "individual_equity", 2 * 20_000.0 / 5),
        ("HK50", 20_000.0, "broad_index", "non_major_index", 2 * 20_000.0 / 10),
        ("US500", 20_000.0, "broad_index", "major_index", 2 * 20_000.0 / 20),
        ("EURUSD", 1.1, "equity", "individual_equity", 2 * 1.1 / 5),  # a CFD of class equity stays one
        ("EURUSD", 1.1, "fx", "major_fx", 2 * 1.1 / 30),
        ("USDTRY", 32.0, "fx", "non_major_fx", 2 / 20),
    ],
)
def test_a_given_class_still_wins(
    symbol: str, price: float, klass: str, expected: str, margin: float
) -> None:
    result = one(symbol, 2, price, "USD", currency="USD", klass=klass)
    (line,) = result.lines
    assert line.rule_class == expected and line.class_from.startswith("class column")
    assert result.total == cents(margin)
    assert result.warnings == ()  # a given class, even equity, is no assumption


def test_a_class_contradicting_the_pair_is_still_refused() -> None:
    with pytest.raises(InputError) as err:
        esma_margin(
            book(
                row("USDTRY", "cfd", 100_000, 32.0, klass="fx_major"),  # TRY is not a major currency
                row("EURUSD", "fx", 100_000, 1.1, klass="equity"),  # an fx row: the pair decides
                row("EURUSD", "cfd", 100_000, 1.1),  # blank: fine
            ),
            "USD",
            NO_RATES,
        )
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "class"), (3, "class")]
    assert "TRY is not a major currency" in err.value.problems[0].message


def test_an_unrecognised_symbol_with_a_blank_class_is_an_equity_and_the_result_says_so() -> None:
    # 10 × 200 USD at 5:1: 400 USD, as before; now the line and a warning say it was assumed
    result = esma_margin(
        book(
            row("AAPL", "cfd", 10, 200.0, currency="USD"),
            row("HK50", "cfd", 1, 20_000.0, currency="HKD", fx_rate=0.128),
            row("VOD", "cfd", 100, 0.7, currency="USD"),
            row("MSFT", "cfd", 1, 400.0, currency="USD", klass="equity"),  # given: no warning
        ),
        "USD",
        NO_RATES,
    )
    assert [line.margin for line in result.lines] == [400.0, 256.0, 14.0, 80.0]
    assert [line.class_from for line in result.lines] == [
        ASSUMED_EQUITY,
        "inferred: HK50 = HANG_SENG [other_indices]",
        ASSUMED_EQUITY,
        "class column",
    ]
    (warning,) = result.warnings
    assert warning.startswith("rows 2, 4 (AAPL, VOD): the class is blank")
    assert "individual equity (5:1, 20%)" in warning


def test_the_us_forex_rule_takes_a_cfd_read_as_a_pair() -> None:
    # the pair the ESMA caps read is the pair the US rule reads (2% of 110,000 USD), not a refused CFD
    result = nfa_margin(book(row("EURUSD", "cfd", 100_000, 1.1)), "USD", NO_RATES)
    assert (result.total, result.lines[0].class_from) == (2_200.0, "inferred: pair EUR/USD [currencies]")


# --- the worksheet functions, the account view and MAX_NOTIONAL ------------------------------------

SHEET = [
    ["Symbol", "Type", "Qty", "Price", "Currency", "Class", "fx_rate"],
    ["HK50", "cfd", 2.0, 20_000.0, "HKD", None, 0.128],  # 40,000 HKD = 5,120 USD / 10 = 512
    ["EUR.USD", "cfd", 100_000.0, 1.1, "", "", None],  # 110,000 USD / 30 = 3,666.67
    ["USDTRY", "cfd", 100_000.0, 32.0, None, 0, None],  # 100,000 USD / 20 = 5,000
    ["US500", "cfd", 1.0, 5_000.0, "USD", None, None],  # 5,000 / 20 = 250
    ["AAPL", "cfd", 10.0, 200.0, "USD", None, None],  # 2,000 / 5 = 400, assumed and warned
]
SHEET_TOTAL = 512.0 + 3_666.67 + 5_000.0 + 250.0 + 400.0  # 9,828.67 (main: 1,024 + 22,000 + ... )


def test_esma_margin_and_breakdown_worksheet_functions() -> None:
    assert udfs.ESMA_MARGIN(SHEET, "USD", DATED) == pytest.approx(SHEET_TOTAL, abs=0.001)
    table = udfs.ESMA_BREAKDOWN(SHEET, "USD", DATED)
    header = table[0]
    at = {name: header.index(name) for name in ("class", "class from", "initial margin (USD)")}
    lines = {r[1]: r for r in table[1:] if isinstance(r[0], int)}
    assert {s: (r[at["class"]], r[at["initial margin (USD)"]]) for s, r in lines.items()} == {
        "HK50": ("non_major_index", 512.0),
        "EUR.USD": ("major_fx", 3_666.67),
        "USDTRY": ("non_major_fx", 5_000.0),
        "US500": ("major_index", 250.0),
        "AAPL": ("individual_equity", 400.0),
    }
    assert lines["EUR.USD"][at["class from"]] == "inferred: pair EUR/USD [currencies]"
    assert lines["AAPL"][at["class from"]] == ASSUMED_EQUITY
    warnings = [r[1] for r in table if r[0] == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith("row 6 (AAPL): the class is blank")


def test_the_account_view_and_max_notional_read_the_blank_class_alike() -> None:
    params = [*DATED, ["account_currency", "USD"]]
    assert fn.account_margin(SHEET, params) == pytest.approx(SHEET_TOTAL, abs=0.001)
    account = fn.account_breakdown(SHEET, params)
    assert any(r[0] == "warning" and "row 6 (AAPL)" in r[1] for r in account)
    # at the maximum the requirement is the equity: notional over the blended cap
    equity = 50_000.0
    gross = 5_120.0 + 110_000.0 + 100_000.0 + 5_000.0 + 2_000.0
    assert fn.max_notional(SHEET, equity, "esma", params) == pytest.approx(
        gross * equity / SHEET_TOTAL, rel=1e-5
    )


# --- the command line -----------------------------------------------------------------------------


def test_the_command_line_margins_a_blank_class_from_its_symbol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cfds.csv"
    path.write_text(
        "symbol,type,quantity,price,currency,class,fx_rate\n"
        "HK50,cfd,2,20000,HKD,,0.128\nEUR.USD,cfd,100000,1.1,,,\nUSDTRY,cfd,100000,32,,,\n"
        "US500,cfd,1,5000,USD,,\nAAPL,cfd,10,200,USD,,\n"
    )
    argv = ["margin", str(path), "--regime", "esma", "--account-currency", "USD", "--as-of", str(AS_OF)]
    assert main([*argv, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["requirement"] == pytest.approx(SHEET_TOTAL, abs=0.001)
    columns, rows = document["tables"][0]["columns"], document["tables"][0]["rows"]
    found = {r[1]: (r[columns.index("class")], r[columns.index("class from")]) for r in rows[:5]}
    assert found["HK50"] == ("non_major_index", "inferred: HK50 = HANG_SENG [other_indices]")
    assert found["USDTRY"] == ("non_major_fx", "inferred: pair USD/TRY [currencies]")
    assert found["AAPL"] == ("individual_equity", ASSUMED_EQUITY)
    assert [w[:30] for w in document["warnings"]] == ["row 6 (AAPL): the class is bla"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "ESMA initial margin (USD): 9,828.67" in out
    assert "warning: row 6 (AAPL): the class is blank" in err


# --- a broker's suffix, a CFD on a pair's future, the cap in use -----------------------------------


@pytest.mark.parametrize(
    ("symbol", "head", "index", "table", "margin"),
    [
        ("US500.cash", "US500", "SP_500", "major_indices", 500.0),  # main: 2,000 as a share at 5:1
        ("UK100.", "UK100", "FTSE_100", "major_indices", 500.0),
        ("DE40-cash", "DE40", "DAX", "major_indices", 500.0),
        ("SPX500.c", "SPX500", "SP_500", "major_indices", 500.0),
        ("us30_m", "US30", "DJIA", "major_indices", 500.0),
        ("HK50.cash", "HK50", "HANG_SENG", "other_indices", 1_000.0),
        ("HK50 CASH", "HK50", "HANG_SENG", "other_indices", 1_000.0),
    ],
)
def test_an_index_symbol_with_a_broker_suffix_is_that_index(
    symbol: str, head: str, index: str, table: str, margin: float
) -> None:
    # 1 × 10,000 EUR at 20:1 (major) = 500, at 10:1 (non-major) = 1,000
    result = one(symbol, 1, 10_000.0, "EUR", currency="EUR")
    (line,) = result.lines
    assert result.total == margin and result.warnings == ()
    assert line.class_from == f"inferred: {symbol.upper()} = {head} = {index} [{table}]"


@pytest.mark.parametrize(
    "symbol",
    # a share's exchange suffix is no index suffix (esma.toml [index_suffixes]): SPX.L is Spirax Group
    # in London, COMP.US Compass on the NYSE, margined at 20:1 they would need a quarter of a share's
    ["US500X", "SPX500C", "DAXX", "UK1000.L", "BRK.B", "US.500", "SPX.L", "COMP.US", "DAX-X", "HK50.HK"],
)
def test_only_the_exact_part_before_a_separator_names_an_index(symbol: str) -> None:
    result = one(symbol, 1, 10_000.0, "EUR", currency="EUR")
    assert (result.total, result.lines[0].class_from) == (2_000.0, ASSUMED_EQUITY)


@pytest.mark.parametrize("symbol", ["EURUSD.DEC26", "6E", "EURZ6"])
def test_a_cfd_whose_underlying_is_a_pair_is_that_pair(symbol: str) -> None:
    # 100,000 EUR at 1.10 = 110,000 USD / 30 = 3,666.67 USD (main: 22,000.00, 20% as a share)
    result = one(symbol, 100_000, 1.1, "USD", underlying="EURUSD", currency="USD")
    (line,) = result.lines
    assert (result.total, line.rule_class) == (3_666.67, "major_fx") and result.warnings == ()
    assert line.class_from == "inferred: underlying EURUSD = pair EUR/USD [currencies]"
    nfa = nfa_margin(
        book(row(symbol, "cfd", 100_000, 1.1, underlying="EURUSD", currency="USD")), "USD", NO_RATES
    )
    assert nfa.total == 2_200.0  # 2% of 110,000 USD: the US rule reads the same pair
    # the pair's own price converts it in an account of its base currency, as for EURUSD itself
    assert one(symbol, 100_000, 1.1, "EUR", underlying="EURUSD").total == cents(100_000 / 30)


def test_the_assumed_equity_warning_quotes_the_cap_in_use() -> None:
    # leverage.individual_equity = 3: 2,000 EUR / 3 = 666.67, and the warning says 3:1, not 5:1
    tighter = esma_settings({"leverage.individual_equity": 3.0}, AS_OF)
    result = esma_margin(book(row("AAPL", "cfd", 10, 200.0, currency="EUR")), "EUR", tighter)
    assert result.total == 666.67
    (warning,) = result.warnings
    assert "as an individual equity (3:1, 33.33%)" in warning and "5:1" not in warning
