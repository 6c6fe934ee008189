"""Broker exports and DataFrames: the defects review R10 found (its repros, /tmp/R10/repro).

Each test fails on the code before its fix. Figures are hand-checked against margin-rules.md:
a credit spread needs its width × multiplier (§1.4), a covered call the stock's 50% (§1.1, the
short call paired with the stock adds nothing out of the money), a naked equity call 20% of the
underlying less the out-of-the-money amount plus the premium (§1.3).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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


def written(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_statement_maps_an_spxw_root_to_spx_as_the_table_does(tmp_path: Path) -> None:
    """Short SPXW 7000 C, long SPX 7100 C: a credit spread of width 100 × 100 = 10,000 (§1.4), as
    the same rows give as a table; before, the statement's underlying SPXW made it a naked call
    plus a long call (90,000)."""
    statement = STATEMENT_HEAD + POSITIONS_HEADER + ",Underlying Price\n" + (
        "Open Positions,Data,Summary,Equity and Index Options,USD,SPXW 20MAR26 7000 C,-1,100,5,-500,50,-5000,0,,6800\n"
        "Open Positions,Data,Summary,Equity and Index Options,USD,SPX 20MAR26 7100 C,1,100,5,-500,30,3000,0,,6800\n"
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
    statement = STATEMENT_HEAD + POSITIONS_HEADER + "\n" + (
        "Open Positions,Data,Summary,Stocks,USD,AAPL,100,1,200,20000,250,25000,5000,\n"
        "Open Positions,Data,Summary,Equity and Index Options,USD,AAPL1 16JAN26 260 C,-1,100,3,-300,2.5,-250,50,\n"
    )
    assert xlmargin.regt_margin(written(tmp_path, "statement.csv", statement), as_of=AS_OF) == 12_500
