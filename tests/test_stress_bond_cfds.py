"""The risk view reads a CFD on a bond as ESMA does: quantity face, price per 100 of face.

margin-rules.md §5 (ESMA caps, bonds at 5:1) with esma.toml ``[bond_cfds]``: a CFD of a bond class
on no futures root "is read as a bond row is: its quantity is face, its price per 100 of face, so
its notional is face x price / 100 (x multiplier). 100,000 face of a Bund at 98 is 98,000 of
notional". The risk view valued the same row as quantity × price, 9,800,000: every scenario P&L,
the gross exposure and a foreign CFD's currency leg 100 times too large. Hand figures: the CFD must
move as a fund of the same class, duration and value does (1,000 units at 98 = 98,000), under every
scenario.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.decisions._common import notional
from xlmargin.esma import esma_margin, esma_settings
from xlmargin.positions import read_positions

SETTINGS = stress.stress_settings({}, AS_OF)
HEADER = ["symbol", "type", "quantity", "price", "class", "currency", "fx_rate", "duration"]


def book(*rows: list[Any]):
    return read_positions([HEADER, *rows], as_of=AS_OF)


def cfd(face: float, currency: str = "USD", rate: float | None = None) -> list[Any]:
    return ["BUND", "cfd", face, 98.0, "treasury", currency, rate, 7.0]


def fund(units: float, currency: str = "USD", rate: float | None = None) -> list[Any]:
    return ["TFUND", "etf", units, 98.0, "treasury", currency, rate, 7.0]


@pytest.mark.parametrize(("currency", "rate"), [("USD", None), ("EUR", 1.08)])
def test_a_bond_cfd_moves_as_the_fund_of_its_notional(currency: str, rate: float | None) -> None:
    """100,000 face at 98 is 98,000 (in EUR at 1.08: 105,840 USD, its currency leg the same): every
    scenario's P&L is the 1,000-unit fund's (main: 100 times it, E11 −3,285,868 for the EUR row
    against −32,859)."""
    as_cfd = stress.stress_table(book(cfd(100_000, currency, rate)), SETTINGS)
    as_fund = stress.stress_table(book(fund(1_000, currency, rate)), SETTINGS)
    assert [r[:5] for r in as_cfd] == [r[:5] for r in as_fund]
    worst = stress.risk_margin(book(cfd(100_000, currency, rate)), SETTINGS)
    assert worst.requirement == stress.risk_margin(book(fund(1_000, currency, rate)), SETTINGS).requirement
    assert worst.requirement < 0.5 * 98_000 * (rate or 1.0)  # a loss on 98,000 of notional, not 9.8 M


def test_esma_the_risk_view_and_the_decisions_read_one_notional() -> None:
    """ESMA: 98,000 of notional (5:1, 19,600); the decisions' unit value 0.98 a unit of face (main:
    98), so a liquidation of 100,000 face is 98,000 of notional."""
    positions = book(cfd(100_000))
    result = esma_margin(positions, "USD", esma_settings({}, AS_OF))
    assert (result.lines[0].notional, result.total) == (98_000.0, 19_600.0)
    assert notional(positions).tolist() == [0.98]
