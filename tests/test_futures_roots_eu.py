"""FGBL (Eurex Euro-Bund) and BRN (ICE Brent) as futures roots: the ESMA class a CFD on them takes,
and Brent in the risk view.

ESMA Q&A 1984 (margin-rules.md §5): "CFDs on futures take the class of the future's underlying". The
Euro-Bund future is on notional German federal debt (Eurex contract specifications: 8.5 to 10.5
years, 6% coupon, EUR 100,000): a bond, "other reference values" at 5:1, 20%. Brent crude (ICE
Futures Europe, 1,000 barrels, USD per barrel) is a commodity other than gold: 10:1, 10%. Before,
neither root was listed: a CFD on FGBLZ6 or BRNF7 was read as a share at 5:1 with the blank-class
warning (Brent then needed twice its cap). Neither has SPAN parameters (span.toml's figures are
examples for CME products margined in USD; none can be sourced for Eurex's or ICE Europe's
margins), so FUTURES_MARGIN still refuses them naming the row.
"""

from __future__ import annotations

import pytest

from tests.books import book, future, row
from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.errors import UnsupportedError
from xlmargin.esma import esma_margin, esma_settings
from xlmargin.span import futures_margin, span_settings

ESMA = esma_settings({}, AS_OF)
STRESS = stress.stress_settings({}, AS_OF)


@pytest.mark.parametrize(
    ("cells", "account", "rule_class", "margin"),
    [
        # 10 CFDs on the Bund future at 128.50 (points of par, the future's own price): 1,285 EUR × 20% = 257
        (row("FGBLZ6", "cfd", 10, 128.5, currency="EUR"), "EUR", "other", 257.0),
        # 100 CFDs on Brent at 70 USD a barrel: 7,000 × 10% = 700 (as a share: 1,400)
        (row("BRNF7", "cfd", 100, 70.0, currency="USD"), "USD", "other_commodity", 700.0),
        # a broker's own CFD name on the future as underlying
        (row("UKOIL.F", "cfd", 100, 70.0, underlying="BRNF7", currency="USD"), "USD", "other_commodity", 700),
    ],
)
def test_a_cfd_on_the_bund_or_brent_future_takes_its_underlyings_class(cells, account, rule_class, margin):
    result = esma_margin(book(cells), account, ESMA)
    (line,) = result.lines
    assert line.rule_class == rule_class and result.total == margin
    assert "[futures]" in line.class_from and result.warnings == ()


def test_brn_alone_is_still_a_share_ticker() -> None:
    """BRN is also a share (Barnwell Industries): the root alone, without a month code, is not read
    as the future, as ES, CL and SI are not."""
    (line,) = esma_margin(book(row("BRN", "cfd", 100, 3.0, currency="USD")), "USD", ESMA).lines
    assert line.rule_class == "individual_equity"


def test_a_brent_future_moves_with_oil_in_the_risk_view() -> None:
    """stress.toml [instruments.futures]: BRN follows the oil factor (the WTI series) with 1,000
    barrels a contract, as CL does: one BRNF7 at 70 moves as one CLF7 at 70 in every scenario (before:
    held constant with a warning). The Bund future has no euro-rates factor: still held constant, said."""
    brent = stress.stress_table(book(future("BRNF7", 1, 70.0)), STRESS)
    wti = stress.stress_table(book(future("CLF7", 1, 70.0)), STRESS)
    assert [r[:5] for r in brent] == [r[:5] for r in wti]
    assert stress.risk_margin(book(future("BRNF7", 1, 70.0)), STRESS).requirement > 0.0
    bund = stress.risk_margin(book(future("FGBLZ6", 1, 128.5, currency="EUR", fx_rate=1.08)), STRESS)
    assert bund.requirement == 0.0 and "unknown futures root" in bund.warnings[0]


@pytest.mark.parametrize("symbol", ["FGBLZ6", "BRNF7"])
def test_futures_margin_refuses_them_without_span_parameters(symbol: str) -> None:
    with pytest.raises(UnsupportedError, match=f"row 2, symbol: no SPAN parameters for '{symbol}'"):
        futures_margin(book(future(symbol, 1, 100.0)), span_settings({}, AS_OF))
