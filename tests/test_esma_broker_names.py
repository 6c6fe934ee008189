"""Broker CFD names under the ESMA caps: commodity names, index names and the marks brokers add.

A CFD with a blank class named as brokers name it (GOLD, WTI, DJ30, [GERMANY40]) was read as a
share at 5:1 with a warning: gold was margined at 4× and oil at 2× the ESMA cap (review R15). The
names are in esma.toml ([commodity_cfds], [major_indices], [decorations]) with their sources:

- Admiral Markets, 'Margin calculation examples' (admiralmarkets.com/products/margin-calculation-
  examples, retail terms): ex. 2 'Buy 10 lots on [GERMANY40] at 11,467.88 while the EURUSD rate is
  1.04440 ... 119,770.54 / 20 = 5,988.53 USD'; ex. 3 'Sell 2 lots GOLD at 1158.15 while the GBPUSD
  rate is 1.22462', GOLD at 1:20 in a GBP account (2 lots = 200 oz).
- Admiral Markets, 'Margin Requirements' (retail): '1:10 All other index and commodity CFDs (e.g.
  WTI, SILVER, [IBEX35])'; '1:5 CFDs on stocks, ETFs and bonds (e.g. #AAPL, #QQQ, #Bund)'.
- Axi margin FAQs: 'DJ30.fs ... Price 17,498, Contract Value $5 per point, Margin 1% ... $874.90'
  and 'WTI.fs ... $41.58, 1000 barrels, Margin 1% ... $415.80' (professional rates; at the ESMA
  caps 20:1 and 10:1: 4,374.50 and 4,158.00, R15's figures).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.books import book, row
from tests.conftest import AS_OF
from xlmargin.esma import ASSUMED_EQUITY, esma_margin, esma_settings
from xlmargin.esma_names import broker_name


def one(
    symbol: str, qty: float, price: float, account: str, rates: dict[str, Any] | None = None, **cells: Any
) -> Any:
    """The ESMA result of one CFD row (class blank unless ``klass`` is given)."""
    settings = esma_settings(rates or {}, AS_OF)
    return esma_margin(book(row(symbol, "cfd", qty, price, **cells)), account, settings)


def test_admiral_example_3_gold_in_a_gbp_account() -> None:
    # 200 oz × 1158.15 USD = 231,630 USD; at GBPUSD 1.22462, 189,144.39 GBP; 1:20 → 9,457.22 GBP,
    # the figure of the same row named XAUUSD (it was 37,828.88 at 5:1 as a share)
    result = one("GOLD", -200, 1158.15, "GBP", {"fx.USD": 1 / 1.22462}, currency="USD")
    (line,) = result.lines
    assert (result.total, line.rule_class, line.max_leverage) == (9_457.22, "gold", 20.0)
    assert line.class_from == "inferred: GOLD = gold [commodity_cfds]"
    assert result.warnings == ()
    assert result.total == one("XAUUSD", -200, 1158.15, "GBP", {"fx.USD": 1 / 1.22462}).total


def test_admiral_example_2_bracketed_germany40_is_the_dax() -> None:
    # 10 lots × 11,467.88 EUR × 1.04440 = 119,770.54 USD; 1:20 → 5,988.53 USD (Admiral's figure)
    result = one("[GERMANY40]", 10, 11_467.88, "USD", {"fx.EUR": 1.04440}, currency="EUR")
    (line,) = result.lines
    assert (result.total, line.rule_class) == (5_988.53, "major_index")
    assert line.class_from == "inferred: GERMANY40 = DAX [major_indices]"


@pytest.mark.parametrize(
    ("symbol", "multiplier", "price", "margin", "esma_class"),
    [
        ("DJ30", 5.0, 17_498.0, 4_374.50, "major_index"),  # 87,490 USD at 20:1, as US30
        ("DJ30.fs", 5.0, 17_498.0, 4_374.50, "major_index"),  # Axi's own name, with its suffix
        ("WTI", 1_000.0, 41.58, 4_158.00, "other_commodity"),  # 41,580 USD at 10:1
        ("WTI.fs", 1_000.0, 41.58, 4_158.00, "other_commodity"),
    ],
)
def test_axi_dj30_and_wti_at_the_retail_caps(
    symbol: str, multiplier: float, price: float, margin: float, esma_class: str
) -> None:
    result = one(symbol, 1, price, "USD", multiplier=multiplier, currency="USD")
    assert (result.total, result.lines[0].rule_class, result.warnings) == (margin, esma_class, ())


@pytest.mark.parametrize(
    ("symbol", "esma_class", "leverage"),
    [
        ("SILVER", "other_commodity", 10.0),
        ("USOIL", "other_commodity", 10.0),
        ("UKOIL", "other_commodity", 10.0),
        ("XTIUSD", "other_commodity", 10.0),
        ("XBRUSD", "other_commodity", 10.0),
        ("NATGAS", "other_commodity", 10.0),
        ("[GOLD]", "gold", 20.0),
        ("USTECH", "major_index", 20.0),
        ("F40", "major_index", 20.0),
        ("STOXX50E", "major_index", 20.0),
        ("[IBEX35]", "non_major_index", 10.0),  # Admiral: 'All other index ... CFDs (e.g. [IBEX35])' 1:10
        ("[EURUSD]", "major_fx", 30.0),  # the marks stripped before the pair is read (was a share at 5:1)
    ],
)
def test_broker_names_take_their_class(symbol: str, esma_class: str, leverage: float) -> None:
    result = one(symbol, 1, 1_000.0, "USD", currency="USD")
    (line,) = result.lines
    assert (line.rule_class, line.max_leverage, result.total, result.warnings) == (
        esma_class,
        leverage,
        round(1_000.0 / leverage, 2),  # to the cent
        (),
    )


def test_admiral_share_mark_is_a_share_cfd_without_the_warning() -> None:
    # '#AAPL' is Admiral's CFD on the share (1:5); '#WTI' is W&T Offshore's share, not crude oil
    for symbol in ("#AAPL", "#WTI"):
        result = one(symbol, 100, 230.0, "USD", currency="USD")
        (line,) = result.lines
        assert (result.total, line.rule_class, result.warnings) == (4_600.0, "individual_equity", ())
        assert line.class_from != ASSUMED_EQUITY
    # a fund keeps its fund reading (esma.toml [funds]: 5:1 'other')
    assert one("#QQQ", 10, 500.0, "USD", currency="USD").lines[0].rule_class == "other"


def test_a_class_column_still_wins_over_a_commodity_name() -> None:
    # W&T Offshore's share CFD named WTI with class equity: 5:1, not crude oil's 10:1
    result = one("WTI", 100, 2.0, "USD", currency="USD", klass="equity")
    assert (result.lines[0].rule_class, result.total) == ("individual_equity", 40.0)


def test_an_unknown_name_is_still_an_assumed_equity() -> None:
    result = one("ACME", 10, 10.0, "USD", currency="USD")
    assert result.lines[0].class_from == ASSUMED_EQUITY and len(result.warnings) == 1


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("[GERMANY40]", ("GERMANY40", "")),
        ("#AAPL", ("AAPL", "#")),
        ("[#AAPL]", ("AAPL", "#")),
        ("US500.CASH", ("US500.CASH", "")),  # a suffix is the index tables' reading, not a mark
        ("#", ("#", "")),
        ("[]", ("[]", "")),
    ],
)
def test_broker_marks(name: str, read: tuple[str, str]) -> None:
    assert broker_name(name) == read
