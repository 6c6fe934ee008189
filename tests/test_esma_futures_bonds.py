"""ESMA caps on a CFD on a future and on a CFD on a bond (review R9).

margin-rules.md §5 [H] (ESMA35-43-1000): gold and the major equity indices 20:1 (5%); commodities
other than gold and non-major indices 10:1 (10%); major pairs 30:1; individual equities and "other
reference values" (bonds etc.) 5:1 (20%). "CFDs on futures take the class of the future's
underlying" [H] ESMA Q&A 1984.

A CFD with a blank class on GCZ6 (gold) or ESZ6 (S&P 500) was margined as an individual equity at
20% with a warning; it now takes its underlying's class from esma.toml ``[futures]``. A CFD of a
bond class read its quantity times its price as units (100,000 face of a Bund at 98: 9,800,000 of
notional, 1,960,000 EUR of margin); it is now read as a bond row is, price per 100 of face.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import xlmargin
from tests.books import book, row
from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.cli import main
from xlmargin.esma import ASSUMED_EQUITY, esma_margin, esma_settings
from xlmargin.instruments import future_root
from xlmargin.money import cents

NO_RATES = esma_settings({}, AS_OF)


def one(symbol: str, qty: float, price: float, **cells: Any) -> Any:
    """The ESMA result of one CFD row in a USD account (class blank unless ``klass`` is given)."""
    return esma_margin(book(row(symbol, "cfd", qty, price, currency="USD", **cells)), "USD", NO_RATES)


# --- a CFD on a future: its underlying's class ------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "underlying", "esma_class", "leverage", "found"),
    [
        ("GCZ6", "GC", "gold", 20.0, "GCZ6 = GC [futures]"),  # gold 5%
        ("GCZ6", None, "gold", 20.0, "GCZ6 = GC [futures]"),
        ("GOLD.DEC26", "GC", "gold", 20.0, "GC [futures]"),  # the underlying names the root
        ("MGCG27", None, "gold", 20.0, "MGCG27 = MGC [futures]"),
        ("ESZ6", "ES", "major_index", 20.0, "ESZ6 = ES [futures]"),  # S&P 500: a major index, 5%
        ("NQH7", None, "major_index", 20.0, "NQH7 = NQ [futures]"),
        ("MESZ26", None, "major_index", 20.0, "MESZ26 = MES [futures]"),  # MES, not a root M
        ("RTYZ6", None, "non_major_index", 10.0, "RTYZ6 = RTY [futures]"),  # Russell 2000: 10%
        ("CLF7", None, "other_commodity", 10.0, "CLF7 = CL [futures]"),  # crude: other commodity, 10%
        ("SIH7", None, "other_commodity", 10.0, "SIH7 = SI [futures]"),
        ("6EH7", None, "major_fx", 30.0, "6EH7 = 6E [futures]"),  # EUR/USD: a major pair, 30:1
        ("ZNZ6", None, "other", 5.0, "ZNZ6 = ZN [futures]"),  # a bond future: other reference value
    ],
)
def test_a_cfd_on_a_futures_root_takes_its_underlyings_class(
    symbol: str, underlying: str | None, esma_class: str, leverage: float, found: str
) -> None:
    # 2 × 1,000 USD = 2,000 of notional over the class's cap
    result = one(symbol, 2, 1_000.0, underlying=underlying)
    (line,) = result.lines
    assert (line.rule_class, line.max_leverage, line.class_from) == (
        esma_class,
        leverage,
        f"inferred: {found}",
    )
    assert result.total == cents(2_000.0 / leverage)
    assert result.warnings == ()


def test_the_review_book_gold_and_sp500_futures_cfds_at_five_percent() -> None:
    # R9, books/esma2.csv rows 6-7: GCZ6 1 × 2,000 at 5% = 100 (was 400 at 20%), ESZ6 1 × 5,000 at 5%
    # = 250 (was 1,000)
    result = esma_margin(
        book(
            row("GCZ6", "cfd", 1, 2_000.0, currency="USD", underlying="GC"),
            row("ESZ6", "cfd", 1, 5_000.0, currency="USD", underlying="ES"),
        ),
        "USD",
        NO_RATES,
    )
    assert [line.margin for line in result.lines] == [100.0, 250.0]
    assert result.total == 350.0 and result.warnings == ()


@pytest.mark.parametrize("symbol", ["ES", "CL", "SI", "DX", "GC", "ESZ", "ESZ666", "ES35X"])
def test_a_root_alone_or_no_month_code_in_the_symbol_is_still_a_share(symbol: str) -> None:
    # ES (Eversource), CL (Colgate-Palmolive), SI, DX (Dynex) are share tickers: 20% with the warning
    result = one(symbol, 10, 100.0)
    (line,) = result.lines
    assert (line.rule_class, line.class_from, result.total) == ("individual_equity", ASSUMED_EQUITY, 200.0)
    assert len(result.warnings) == 1


def test_the_class_column_still_wins_on_a_futures_root() -> None:
    equity = one("GCZ6", 1, 2_000.0, klass="equity").lines[0]
    assert (equity.rule_class, equity.class_from) == ("individual_equity", "class column")
    # an index class on the S&P 500 future is the major index (the root says which index)
    index = one("ESZ6", 1, 5_000.0, klass="broad_index").lines[0]
    assert (index.rule_class, index.class_from) == ("major_index", "class column; ESZ6 = ES [futures]")
    assert one("RTYZ6", 1, 2_000.0, klass="broad_index").lines[0].rule_class == "non_major_index"


def test_every_futures_root_xlmargin_knows_has_an_esma_class() -> None:
    classed = {
        str(r): name
        for name, roots in rules.load("esma")["futures"].items()
        if name not in ("source", "confidence", "notes")
        for r in roots
    }
    span_roots = set(rules.load("span")["names"]) - {"source", "confidence", "notes"}
    stress_roots = {
        k for k, v in rules.load("stress").get("instruments.futures").items() if isinstance(v, dict)
    }
    assert span_roots | stress_roots <= set(classed)
    leverage = rules.load("esma")["leverage"]
    assert all(c in leverage for c in classed.values())


def test_future_root_still_reads_month_codes() -> None:
    assert [future_root(s) for s in ("ESZ6", "6EH27", "ZN", "MESZ6", "ESZ", "XXZ6")] == [
        "ES",
        "6E",
        "ZN",
        "MES",
        None,
        None,
    ]


# --- a CFD on a bond: price per 100 of face ---------------------------------------------------------


@pytest.mark.parametrize(
    "klass", ["treasury", "agency", "municipal", "corporate", "high_yield", "convertible"]
)
def test_a_bond_cfd_is_face_times_price_per_100(klass: str) -> None:
    # R9 books/esma_bond.csv: 100,000 face at 98 = 98,000 notional; bonds are "other reference
    # values", 5:1 (margin-rules.md §5): 19,600 (was 1,960,000 from 9,800,000 of notional)
    result = esma_margin(
        book(row("BUND", "cfd", 100_000, 98.0, currency="EUR", klass=klass)), "EUR", NO_RATES
    )
    (line,) = result.lines
    assert (line.notional, line.rule_class, result.total) == (98_000.0, "other", 19_600.0)
    assert line.class_from == "class column; price per 100 of face [bond_cfds]"
    assert result.close_out_level == 9_800.0


def test_a_cfd_on_a_treasury_future_is_priced_as_the_future() -> None:
    # ZN in points of par, 1,000 USD a point (span.toml [point_value]): 2 × 112.5 × 1,000 = 225,000
    # at 5:1 = 45,000, with or without a bond class (never per 100 of face)
    for klass in (None, "treasury"):
        result = one("ZNZ6", 2, 112.5, multiplier=1_000, klass=klass)
        assert (result.lines[0].notional, result.total) == (225_000.0, 45_000.0)
    # a non-bond class is never per 100 (an equity CFD at 98: 100 × 98 = 9,800 at 20%)
    assert one("ACME", 100, 98.0, klass="equity").total == 1_960.0


# --- the command line and the Python API agree ------------------------------------------------------

REVIEW_BOOK = (
    "symbol,type,quantity,price,class,currency,underlying\n"
    "GCZ6,cfd,1,2000,,USD,GC\nESZ6,cfd,1,5000,,USD,ES\nBUND,cfd,100000,98,treasury,EUR,\n"
)


def test_the_command_line_and_the_api_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r9.csv"
    path.write_text(REVIEW_BOOK)
    # EUR account, fx.USD = 0.9: GCZ6 100 USD -> 90, ESZ6 250 USD -> 225, BUND 19,600 EUR
    expected = 90.0 + 225.0 + 19_600.0
    argv = ["margin", str(path), "--regime", "esma", "--as-of", str(AS_OF), "--param", "fx.USD=0.9"]
    assert main([*argv, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["requirement"] == pytest.approx(expected, abs=0.001)
    assert document["warnings"] == []
    assert xlmargin.esma_margin(str(path), "EUR", as_of=AS_OF, fx_usd=0.9) == expected
    table = xlmargin.esma_breakdown(str(path), "EUR", as_of=AS_OF, fx_usd=0.9)
    assert list(table["class from"][:3]) == [
        "inferred: GCZ6 = GC [futures]",
        "inferred: ESZ6 = ES [futures]",
        "class column; price per 100 of face [bond_cfds]",
    ]
