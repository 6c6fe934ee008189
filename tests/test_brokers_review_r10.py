"""Broker exports and DataFrames: the defects review R10 found (its repros, /tmp/R10/repro).

Each test fails on the code before its fix. Figures are hand-checked against margin-rules.md:
a credit spread needs its width × multiplier (§1.4), a covered call the stock's 50% (§1.1, the
short call paired with the stock adds nothing out of the money), a naked equity call 20% of the
underlying less the out-of-the-money amount plus the premium (§1.3).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import xlmargin
from xlmargin.errors import InputError, XlMarginError

AS_OF = dt.date(2026, 1, 2)
STATEMENT_HEAD = """Statement,Header,Field Name,Field Value
Account Information,Header,Field Name,Field Value
Account Information,Data,Account,U1234567
Account Information,Data,Base Currency,USD
"""
POSITIONS_HEADER = (
    "Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,Cost Price,"
    "Cost Basis,Close Price,Value,Unrealized P/L,Code"
)


OPTIONS_ROW = "Open Positions,Data,Summary,Equity and Index Options,USD,"


def flex(*positions: dict[str, str]) -> str:
    """A Flex report of one account holding ``positions`` (each an OpenPosition's attributes)."""
    rows = "\n".join(
        "<OpenPosition " + " ".join(f'{k}="{v}"' for k, v in p.items()) + ' levelOfDetail="SUMMARY" />'
        for p in positions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<FlexQueryResponse queryName="P" type="AF">'
        '<FlexStatements count="1">\n<FlexStatement accountId="U1" toDate="20251231"><OpenPositions>\n'
        f"{rows}\n</OpenPositions></FlexStatement></FlexStatements></FlexQueryResponse>\n"
    )


def written(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_statement_maps_an_spxw_root_to_spx_as_the_table_does(tmp_path: Path) -> None:
    """Short SPXW 7000 C, long SPX 7100 C: a credit spread of width 100 × 100 = 10,000 (§1.4), as
    the same rows give as a table; before, the statement's underlying SPXW made it a naked call
    plus a long call (90,000)."""
    statement = (
        STATEMENT_HEAD
        + POSITIONS_HEADER
        + ",Underlying Price\n"
        + (
            f"{OPTIONS_ROW}SPXW 20MAR26 7000 C,-1,100,5,-500,50,-5000,0,,6800\n"
            f"{OPTIONS_ROW}SPX 20MAR26 7100 C,1,100,5,-500,30,3000,0,,6800\n"
        )
    )
    path = written(tmp_path, "statement.csv", statement)
    table = [
        ["symbol", "quantity", "price", "underlying_price"],
        ["SPXW 20MAR26 7000 C", -1, 50, 6800],
        ["SPX 20MAR26 7100 C", 1, 30, 6800],
    ]
    assert list(xlmargin.import_broker(path)["underlying"]) == ["SPX", "SPX"]
    assert xlmargin.regt_margin(path, as_of=AS_OF) == xlmargin.regt_margin(table, as_of=AS_OF) == 10_000


def test_a_statement_reads_an_adjusted_root_as_its_ticker(tmp_path: Path) -> None:
    """AAPL1 16JAN26 260 C against 100 AAPL at 250: a covered call, 50% × 25,000 = 12,500, as the
    table reads it (README: an adjusted root's underlying is its ticker); before, refused for want
    of an AAPL1 row."""
    statement = (
        STATEMENT_HEAD
        + POSITIONS_HEADER
        + "\n"
        + (
            "Open Positions,Data,Summary,Stocks,USD,AAPL,100,1,200,20000,250,25000,5000,\n"
            f"{OPTIONS_ROW}AAPL1 16JAN26 260 C,-1,100,3,-300,2.5,-250,50,\n"
        )
    )
    assert xlmargin.regt_margin(written(tmp_path, "statement.csv", statement), as_of=AS_OF) == 12_500


USD = {"accountId": "U1", "currency": "USD", "fxRateToBase": "1"}
BRK_FLEX = flex(
    USD | {"assetCategory": "STK", "subCategory": "COMMON", "symbol": "BRK B", "conid": "72063691",
           "multiplier": "1", "position": "100", "markPrice": "500"},
    USD | {"assetCategory": "OPT", "subCategory": "C", "symbol": "BRKB  260918C00520000",
           "description": "BRK B 18SEP26 520 C", "conid": "786977283", "underlyingConid": "72063691",
           "underlyingSymbol": "BRK B", "multiplier": "100", "strike": "520", "expiry": "20260918",
           "putCall": "C", "position": "-1", "markPrice": "9"},
)  # fmt: skip
BRK_OPTION = "BRKB  260918C00520000"  # OCC's root for Berkshire class B: BRKB, no separator


@pytest.mark.parametrize("stock", ["BRK.B", "BRK B", "BRK/B", "brk-b"])
def test_an_occ_share_class_root_pairs_with_its_stock_in_a_table(stock: str) -> None:
    """100 BRK.B at 500 and a short 520 call on OCC's root BRKB: a covered call, 50% × 50,000 =
    25,000 (§1.1); before, long stock plus a naked call, 25,000 + 100 × (20% × 500 − 20 + 9) =
    33,900."""
    table = [["symbol", "type", "quantity", "price", "underlying_price"],
             [stock, "stock", 100, 500, None],
             [BRK_OPTION, "option", -1, 9, 500]]  # fmt: skip
    assert xlmargin.regt_margin(table, as_of=AS_OF) == 25_000


def test_an_underlying_cell_may_spell_the_share_class_of_an_occ_root() -> None:
    table = [["symbol", "type", "quantity", "price", "underlying_price", "underlying"],
             ["BRK.B", "stock", 100, 500, None, None],
             [BRK_OPTION, "option", -1, 9, 500, "BRK.B"]]  # fmt: skip
    assert xlmargin.regt_margin(table, as_of=AS_OF) == 25_000
    table[2][5] = "BRK.A"  # another class is still another underlying
    with pytest.raises(InputError, match=r"BRK\.A disagrees with the symbol"):
        xlmargin.regt_margin(table, as_of=AS_OF)


def test_a_share_class_the_book_spells_two_ways_is_not_guessed() -> None:
    """Both BRK.B and BRK B held (two rows of one class spelled apart): which one the BRKB option
    is on is not guessed: it stays an option on BRKB."""
    table = [["symbol", "type", "quantity", "price", "underlying_price"],
             ["BRK.B", "stock", 50, 500, None], ["BRK B", "stock", 50, 500, None],
             [BRK_OPTION, "option", -1, 9, 500]]  # fmt: skip
    assert xlmargin.read_positions(table, as_of=AS_OF).arrays["underlying"][2] == "BRKB"


def test_a_flex_report_pairs_an_occ_share_class_root_with_its_stock(tmp_path: Path) -> None:
    """IBKR's rows: option symbol BRKB…, underlyingSymbol "BRK B", the stock's conid; before, the
    whole report was refused ("BRK B disagrees with the symbol")."""
    assert xlmargin.regt_margin(written(tmp_path, "flex.xml", BRK_FLEX), as_of=AS_OF) == 25_000


def test_a_portfolio_export_finds_a_share_class_price_under_occ_root(tmp_path: Path) -> None:
    """A TWS portfolio CSV with OCC's symbol and the stock as BRK B, no underlying price column:
    the option's underlying price is the stock's row (before: refused, "no BRKB row")."""
    text = (
        "Financial Instrument,Asset Class,Position,Mark Price,Currency\n"
        f"BRK B,STK,100,500,USD\n{BRK_OPTION},OPT,-1,9,USD\n"
    )
    assert xlmargin.regt_margin(written(tmp_path, "portfolio.csv", text), as_of=AS_OF) == 25_000


FOREX_BALANCE = (
    STATEMENT_HEAD
    + POSITIONS_HEADER
    + "\n"
    + (
        "Open Positions,Data,Summary,Stocks,USD,KO,100,1,55.2,5520,70,7000,1480,\n"
        "Open Positions,Total,,Stocks,USD,,,,,5520,,7000,1480,\n"
        "Open Positions,Data,Summary,Forex,EUR,EUR,3000,1,1.1,3300,1.17,3510,210,\n"
        "Base Currency Exchange Rate,Header,Currency,Rate\n"
        "Base Currency Exchange Rate,Data,EUR,1.17\n"
    )
)


def test_a_statement_forex_balance_is_cash_in_that_currency(tmp_path: Path) -> None:
    """``Forex,EUR,EUR,3000`` in Open Positions is 3,000 euros (the table's ``cash`` type), not a
    pair: the book margins as the table with ``EUR,cash,3000`` does, Reg T 50% × 7,000 = 3,500;
    before, every regime refused the book ("fx positions have no Reg T rule")."""
    path = written(tmp_path, "statement.csv", FOREX_BALANCE)
    imported = xlmargin.import_broker(path)
    assert list(imported["type"]) == ["stock", "cash"]
    assert imported["price"].isna().tolist() == [False, True]
    table = [["symbol", "type", "quantity", "price"], ["KO", "stock", 100, 70], ["EUR", "cash", 3000, None]]
    assert xlmargin.regt_margin(path, as_of=AS_OF) == xlmargin.regt_margin(table, as_of=AS_OF) == 3_500
    assert xlmargin.account_margin(path, as_of=AS_OF) == 3_500
    xlmargin.risk_margin(path, as_of=AS_OF)  # read, not refused as "'EUR' is not a currency pair"


def test_a_flex_cash_pair_is_still_a_pair(tmp_path: Path) -> None:
    """A Flex CASH row naming a pair (EUR.USD) stays an FX position, read as before."""
    report = flex(USD | {"assetCategory": "CASH", "symbol": "EUR.USD", "conid": "12087792",
                         "multiplier": "1", "position": "10000", "markPrice": "1.17"})  # fmt: skip
    imported = xlmargin.import_broker(written(tmp_path, "flex.xml", report))
    assert list(imported["type"]) == ["fx"] and list(imported["symbol"]) == ["EURUSD"]


FRAME = pd.DataFrame({"symbol": ["AAPL", "MSFT"], "quantity": [100, 200], "price": [250.0, 480.0]})


def test_a_frame_indexed_by_its_own_column_reads_as_the_plain_frame() -> None:
    """``df.set_index("symbol", drop=False)``: 50% × (25,000 + 96,000) = 60,500, as the plain frame;
    before, pandas' ValueError "cannot insert symbol, already exists"."""
    assert xlmargin.regt_margin(FRAME.set_index("symbol", drop=False), as_of=AS_OF) == 60_500
    keyed = FRAME.assign(account=["a", "b"]).set_index(["account", "symbol"], drop=False)
    assert xlmargin.regt_margin(keyed, as_of=AS_OF) == 60_500


def test_an_index_named_as_a_column_with_other_values_is_refused() -> None:
    frame = FRAME.set_index("symbol", drop=False).assign(symbol=["AAPL", "IBM"])
    with pytest.raises(XlMarginError, match="index is named symbol, as one of its columns"):
        xlmargin.regt_margin(frame, as_of=AS_OF)


def test_multiindex_columns_are_refused_saying_so() -> None:
    grouped = FRAME.groupby("symbol").agg({"quantity": ["sum"], "price": ["last"]})
    with pytest.raises(InputError, match=r"columns have 2 levels: each is a tuple such as \('quantity'"):
        xlmargin.regt_margin(grouped, as_of=AS_OF)


def test_a_daily_period_expiry_is_its_date_and_a_monthly_one_refused() -> None:
    """An expiry column of ``pd.Period`` days reads as those dates; before, "'2026-01-16' is not a
    date (use ... YYYY-MM-DD)". Naked call: 2.15 + 20% × 250 − 10 OTM = 42.15 × 100 (§1.3)."""
    option = pd.DataFrame({"symbol": ["AAPL"], "type": ["option"], "quantity": [-1], "price": [2.15],
                           "underlying_price": [250.0], "strike": [260.0], "right": ["C"],
                           "expiry": pd.PeriodIndex(["2026-01-16"], freq="D")})  # fmt: skip
    assert xlmargin.regt_margin(option, as_of=AS_OF) == pytest.approx(4_215)
    option["expiry"] = pd.PeriodIndex(["2026-01"], freq="M")
    with pytest.raises(InputError, match=r"a column of period\[M\], periods longer than a day"):
        xlmargin.regt_margin(option, as_of=AS_OF)


LONG_SHORT = (
    STATEMENT_HEAD
    + "Long Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,Quantity,Mult,"
    "Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,% of NAV,Code\n"
    "Long Open Positions,Data,Summary,Stocks,USD,KO,-,100,1,55.2,5520,70,7000,1480,4.6,\n"
    "Short Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,Quantity,Mult,"
    "Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,% of NAV,Code\n"
    "Short Open Positions,Data,Summary,Equity and Index Options,USD,KO 16JAN26 75 C,-,-1,100,0.5,-50,0.4,"
    "-40,10,0.1,\n"
)


def test_long_and_short_open_positions_sections_are_read(tmp_path: Path) -> None:
    """100 KO at 70 and a short 75 call: a covered call, 50% × 7,000 = 3,500 (§1.1); before,
    "the statement has no Open Positions section"."""
    assert xlmargin.regt_margin(written(tmp_path, "statement.csv", LONG_SHORT), as_of=AS_OF) == 3_500
    wrong = LONG_SHORT.replace("USD,KO 16JAN26 75 C,-,-1,", "USD,KO 16JAN26 75 C,-,1,")
    with pytest.raises(InputError, match="a quantity of 1 in Short Open Positions"):
        xlmargin.regt_margin(written(tmp_path, "wrong.csv", wrong), as_of=AS_OF)


def test_a_statement_without_positions_names_its_sections(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="its sections: Statement, Account Information"):
        xlmargin.regt_margin(written(tmp_path, "statement.csv", STATEMENT_HEAD), as_of=AS_OF)


SPY = USD | {"assetCategory": "STK", "symbol": "SPY", "conid": "756733", "multiplier": "1",
             "position": "100", "markPrice": "680"}  # fmt: skip
SPY_CALL = USD | {"assetCategory": "OPT", "symbol": "SPY   260116C00600000", "conid": "8003",
                  "underlyingConid": "756733", "underlyingSymbol": "SPY", "multiplier": "100",
                  "strike": "600", "expiry": "20260116", "putCall": "C", "position": "-1",
                  "markPrice": "79.9"}  # fmt: skip


def test_an_exports_volatility_error_says_how_to_give_one(tmp_path: Path) -> None:
    """A deep call marked a cent under parity (79.9 against 680 − 600): no volatility reproduces it;
    the error now says the export carries none and that import_broker → a DataFrame's volatility
    column does, which then margins."""
    path = written(tmp_path, "flex.xml", flex(SPY, SPY_CALL))
    fix = "a Flex report carries no volatility xlmargin reads: read the export with xlmargin.import_broker"
    with pytest.raises(InputError, match=fix):
        xlmargin.pm_requirement(path, as_of=AS_OF)
    frame = xlmargin.import_broker(path)
    frame["volatility"] = [None, 0.2]
    assert xlmargin.pm_requirement(frame, as_of=AS_OF) > 0


def test_a_flex_option_without_its_underlying_says_what_a_report_can_add(tmp_path: Path) -> None:
    spx = USD | {"assetCategory": "OPT", "symbol": "SPX   260320C07100000", "conid": "8002",
                 "underlyingConid": "416904", "underlyingSymbol": "SPX", "multiplier": "100",
                 "strike": "7100", "expiry": "20260320", "putCall": "C", "position": "1",
                 "markPrice": "30"}  # fmt: skip
    path = written(tmp_path, "flex.xml", flex(spx))
    with pytest.raises(InputError, match="give the OpenPosition an underlyingPrice attribute"):
        xlmargin.regt_margin(path, as_of=AS_OF)
    given = written(tmp_path, "given.xml", flex(spx | {"underlyingPrice": "6800"}))
    assert xlmargin.regt_margin(given, as_of=AS_OF) == 3_000  # a long option ≤ 9 months: paid in full


def test_a_flex_expiry_in_another_date_format_names_the_query_setting(tmp_path: Path) -> None:
    path = written(tmp_path, "flex.xml", flex(SPY, SPY_CALL | {"expiry": "01/16/2026"}))
    with pytest.raises(InputError, match="set the Flex query's Date Format to yyyyMMdd"):
        xlmargin.regt_margin(path, as_of=AS_OF)


def test_a_flex_trades_report_is_not_taken_for_a_trades_file(tmp_path: Path) -> None:
    """A Trades report given to margin_impact: the error says its <Trade> rows are not read and what
    a trades file is, not "add Open Positions to the query" (which would add the book twice)."""
    report = flex().replace("<OpenPositions>\n\n</OpenPositions>", "<Trades>\n<Trade " + " ".join(
        f'{k}="{v}"' for k, v in (USD | {"assetCategory": "STK", "symbol": "AAPL", "quantity": "100",
                                         "tradePrice": "250", "buySell": "BUY"}).items()
    ) + " />\n</Trades>")  # fmt: skip
    book = [["symbol", "quantity", "price"], ["AAPL", 600, 250.42]]
    with pytest.raises(InputError, match=r"its <Trade> rows \(1: executions\) are not read") as raised:
        xlmargin.margin_impact(book, written(tmp_path, "trades.xml", report), "regt", as_of=AS_OF)
    assert "add Open Positions to the query" not in str(raised.value)


def test_an_export_etf_of_unknown_leverage_is_named_in_a_warning(tmp_path: Path) -> None:
    """TQQQ from a Flex report (subCategory ETF, no leverage field): portfolio margin scans it at
    ±15% (12,000 on 80,000) where its leverage 3 would give ±45% (36,000); the reader now warns,
    naming the row and how to give the leverage. SPY, a fund symbols.toml lists, is not named."""
    etf = USD | {"assetCategory": "STK", "subCategory": "ETF", "multiplier": "1"}
    report = flex(etf | {"symbol": "TQQQ", "conid": "1", "position": "1000", "markPrice": "80"},
                  etf | {"symbol": "SPY", "conid": "2", "position": "10", "markPrice": "680"})  # fmt: skip
    path = written(tmp_path, "flex.xml", report)
    (warning,) = xlmargin.read_positions(path, as_of=AS_OF).warnings
    assert "row 4 (TQQQ): ETFs read at leverage 1" in warning and "fill its leverage column" in warning
    frame = xlmargin.import_broker(path)
    frame["leverage"] = [3, None]
    tqqq = frame[frame.symbol == "TQQQ"]
    at_one = xlmargin.pm_requirement(tqqq.drop(columns="leverage"), as_of=AS_OF)
    assert (at_one, xlmargin.pm_requirement(tqqq, as_of=AS_OF)) == (12_000, 36_000)
