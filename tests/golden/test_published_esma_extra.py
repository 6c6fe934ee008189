"""ESMA initial margin against published broker examples not in worked-examples.json.

The engine applies ESMA's maximum leverage per class as ESMA prints it (esma.toml [leverage]):
notional / 30 for a major pair, / 20 for other pairs, gold and major indices, / 10 for other
commodities and indices, / 5 for shares and other underlyings, / 2 for crypto. The Decision's
Annex I and some brokers print the major pair's 1/30 rounded to 3.33%, which would collect 0.1%
less: above the 30:1 cap, so no ``leverage.major_fx`` reproduces it (the parameter may only lower
the leverage, as a broker asking more margin does), and the difference is asserted.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin.esma import EsmaResult, esma_margin, esma_settings
from xlmargin.positions import read_positions

HEADER = ["symbol", "type", "qty", "price", "multiplier", "currency", "class"]
ADMIRAL = "Admiral Markets FCA retail margin examples"


def _margin(rows: list[list[Any]], account: str, params: dict[str, float] | None = None) -> EsmaResult:
    book = read_positions([HEADER, *rows], as_of=AS_OF)
    return esma_margin(book, account, esma_settings(params or {}, AS_OF))


def test_admiral_germany40_in_a_usd_account() -> None:
    """Admiral Markets, "Margin calculation examples", retail terms, example 2
    (https://admiralmarkets.com/products/margin-calculation-examples?regulator=fca): buy 10 lots of
    [GERMANY40] at 11,467.88 EUR with EURUSD at 1.04440 in a USD account: notional 119,770.54 USD,
    major index 1:20, margin 5,988.53 USD (printed). GERMANY40 is Admiral's DAX symbol (esma.toml
    [major_indices]); unrecognised it would be margined as a share at 20%."""
    result = _margin([["GERMANY40", "cfd", 10, 11_467.88, None, "EUR", None]], "USD", {"fx.EUR": 1.0444})
    assert result.lines[0].rule_class == "major_index"
    assert result.lines[0].notional == pytest.approx(119_770.54, abs=0.005)
    assert result.total == pytest.approx(5_988.53, abs=0.005)


@pytest.mark.parametrize(
    ("rows", "account", "printed"),
    [
        # Admiral example 1: 1 lot EURUSD at 1.04440, USD account, "104,440 / 30 = 3,481.33 USD"
        ([["EURUSD", "fx", 100_000, 1.0444, None, None, None]], "USD", 3_481.33),
        # FXPower (https://fxpower.com/leverage-information/), 1:30 example: 5 lots EURUSD in a EUR
        # account, "5 (Lots) * 100,000 / 30 (leverage) = 16,666.67 EUR"
        ([["EURUSD", "fx", 500_000, 1.1, None, None, None]], "EUR", 16_666.67),
    ],
    ids=[f"admiral-eurusd-usd[{ADMIRAL}]", "fxpower-eurusd-5-lots[FXPower leverage information]"],
)
def test_brokers_dividing_by_30(rows: list[list[Any]], account: str, printed: float) -> None:
    """The printed figure is notional / 30, the engine's default for a major pair."""
    assert _margin(rows, account).total == pytest.approx(printed, abs=0.005)


def test_a_3_33_percent_broker_eurusd_in_dollars() -> None:
    """ "CFD Trading Example 1: Buying EUR/USD" (https://coincoop.com/trading-examples, a broker's
    trading-examples page): buy 100,000 EUR/USD at 1.18508, margin rate 3.33%, printed
    "€3,946.36 [3.33% × (100,000 × 1.18508)]". The bracket is 3,946.3164 in US dollars, the pair's
    quote currency: the page slips 4 cents and labels the amount in euros. At ESMA's 30:1 the engine
    asks 3,950.27 USD, 3.95 more than the page's 3.33%, which no leverage within the cap gives."""
    row = [["EURUSD", "fx", 100_000, 1.18508, None, None, None]]
    assert _margin(row, "USD").total == pytest.approx(3_950.27, abs=0.005)
    assert _margin(row, "USD").total - 0.0333 * 118_508 == pytest.approx(3.95, abs=0.005)


def test_trading212_gold_slip() -> None:
    """Trading 212 Help Centre, "How to calculate my maximum quantity of CFD units?"
    (https://helpcentre.trading212.com/hc/en-us/articles/360008819397): a long position in gold at
    $1,730, "$1,730 * (0.05) = $87.5". 5% of 1,730 is 86.50: an arithmetic slip in the source; the
    rule (gold 1:20) gives 86.50 a unit."""
    result = _margin([["XAUUSD", "cfd", 1, 1_730.0, None, "USD", None]], "USD")
    assert result.lines[0].rule_class == "gold"
    assert result.total == pytest.approx(86.50, abs=0.005)


# Argus (https://argus.com.cy/new-esma-regulation) prints, per class, the initial margin and the
# maintenance margin (the 50% close-out): FX majors 3.33% / 1.66%, FX minors 5 / 2.5, index majors
# 5 / 2.5, index minors 10 / 5, gold 5 / 2.5, commodity 10 / 5, equity 20 / 10. City Index
# (https://www.cityindex.co.uk/help-and-support/esma-changes-faqs/esma-changes/) adds crypto 2:1
# (50% margin). Fondex (https://fondex.com/us/trading/esma-measures) puts "other spot metals" at
# 1:10. Each case: 100,000 USD of notional in a USD account.
CLASS_CASES = [
    ("USDJPY", "fx", 100_000, 150.0, None, "major_fx", 100 / 30, 1.66),
    ("USDMXN", "fx", 100_000, 18.0, None, "non_major_fx", 5.0, 2.5),
    ("UK100", "cfd", 10, 10_000.0, None, "major_index", 5.0, 2.5),
    ("HK50", "cfd", 5, 20_000.0, "broad_index", "non_major_index", 10.0, 5.0),
    ("XAUUSD", "cfd", 50, 2_000.0, None, "gold", 5.0, 2.5),
    ("WTI", "cfd", 1_000, 100.0, "commodity", "other_commodity", 10.0, 5.0),
    ("VOD", "cfd", 1_000, 100.0, "equity", "individual_equity", 20.0, 10.0),
    ("BTCUSD", "cfd", 2, 50_000.0, None, "crypto", 50.0, 25.0),
    ("XAGUSD", "cfd", 4_000, 25.0, None, "other_commodity", 10.0, 5.0),
]


@pytest.mark.parametrize(
    ("symbol", "kind", "qty", "price", "klass", "esma_class", "initial_pct", "printed_close_pct"),
    CLASS_CASES,
    ids=[f"{c[5]}-{c[0]}[Argus / City Index / Fondex ESMA tables]" for c in CLASS_CASES],
)
def test_class_percentages_and_close_out(
    symbol: str,
    kind: str,
    qty: float,
    price: float,
    klass: str | None,
    esma_class: str,
    initial_pct: float,
    printed_close_pct: float,
) -> None:
    """Margin = the class's percentage of 100,000 USD, to the cent; the close-out level is half of
    it. Every printed figure is that percentage but the major pair's: Argus prints 30:1 as 3.33% and
    its half as 1.66%, cut to two decimals (the engine: 3,333.33 and a close-out at 1,666.67)."""
    currency = None if kind == "fx" else "USD"
    result = _margin([[symbol, kind, qty, price, None, currency, klass]], "USD")
    (line,) = result.lines
    assert line.rule_class == esma_class
    assert line.notional == pytest.approx(100_000.0)
    assert result.total == pytest.approx(initial_pct * 1_000.0, abs=0.005)
    assert result.close_out_level == pytest.approx(initial_pct * 500.0, abs=0.005)
    assert result.close_out_level == pytest.approx(printed_close_pct * 1_000.0, abs=7.0)
