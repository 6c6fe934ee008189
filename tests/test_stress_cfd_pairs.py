"""The risk view reads a CFD on a currency pair as the ESMA caps read it: as that pair.

One test says which CFD is a pair (``xlmargin.fx_rates.row_pair``): a blank or FX class and a symbol,
else an underlying, of two known codes (esma.toml ``[currencies]``). Such a CFD moves by its two
currency legs, as an ``fx`` row on the pair does (instruments.currency_legs): long EURUSD is long
EUR and short USD. Before, a blank-class CFD on EURUSD moved as an S&P 500 equity and one of class
``fx`` followed the dollar index (long the dollar: the wrong sign).

Hand figures (stress-scenarios.md; stress.toml [scenarios]): S5 "2008 to the VIX peak": EURUSD
−11.6 %, DXY +11.4 %, S&P 500 −39.9 %. 100,000 EUR at 1.10 = 110,000 USD: −12,760 in S5.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.books import book, row
from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.esma import esma_class_from, esma_margin, esma_settings

SETTINGS = stress.stress_settings({}, AS_OF)
EURUSD_S5 = 110_000 * -0.116  # −12,760


def s5(*rows: list[Any]) -> stress.StressResult:
    return stress.stress_pnl(book(*rows), "S5", SETTINGS)


@pytest.mark.parametrize(
    "cfd",
    [
        row("EURUSD", "cfd", 100_000, 1.1),  # blank class: main −43,890 (an S&P 500 equity)
        row("EURUSD", "cfd", 100_000, 1.1, klass="fx"),  # class fx: main +12,540 (long the dollar index)
        row("EUR/USD", "cfd", 100_000, 1.1, klass="fx_major"),
        row("EURUSD.DEC26", "cfd", 100_000, 1.1, underlying="EURUSD", currency="USD"),  # a CFD on the future
    ],
)
def test_a_cfd_on_a_pair_moves_as_the_fx_row_on_it(cfd: list[Any]) -> None:
    spot = s5(row("EURUSD", "fx", 100_000, 1.1))
    result = s5(cfd)
    assert result.pnl == pytest.approx(EURUSD_S5) == spot.pnl
    assert result.factors == pytest.approx(spot.factors) and result.warnings == ()
    short = s5([cfd[0], cfd[1], -100_000, *cfd[3:]])
    assert short.pnl == pytest.approx(-EURUSD_S5)
    # the ESMA caps read the same row as the same pair
    (line,) = esma_margin(book(cfd), "USD", esma_settings({}, AS_OF)).lines
    assert line.rule_class == "major_fx"


def test_a_cross_cfd_takes_both_legs_and_its_fx_rate_as_the_fx_row_does() -> None:
    cross = {"fx_rate": 0.0066}  # USD per JPY
    assert (
        s5(row("EURJPY", "cfd", 100_000, 160.0, **cross)).pnl
        == s5(row("EURJPY", "fx", 100_000, 160.0, **cross)).pnl
    )


def test_a_cfd_that_is_no_pair_is_unchanged() -> None:
    # a class the user gives wins, as in ESMA (equity on EURUSD: an individual equity at 5:1 there,
    # the S&P 500 here), and a CFD on an index or share keeps its factor
    equity = row("EURUSD", "cfd", 100_000, 1.1, klass="equity")
    assert s5(equity).pnl == pytest.approx(110_000 * -0.399)
    assert esma_class_from(next(iter(book(equity))))[0] == "individual_equity"
    assert s5(row("AAPL", "cfd", 10, 200.0)).pnl == pytest.approx(2_000 * -0.399)


def test_a_pair_without_a_risk_factor_is_held_constant_and_said_so() -> None:
    # USDCZK: a pair of two esma.toml codes, CZK without a factor in stress.toml: its legs held constant
    result = s5(row("USDCZK", "cfd", 100_000, 23.0, fx_rate=0.043))
    assert result.pnl == 0.0
    assert result.warnings == ("CZK has no risk factor: its currency legs are held constant (rows 2)",)
