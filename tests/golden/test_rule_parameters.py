"""Rule parameters no other test pins: each test cites its margin-rules.md section and works its
expected figure by hand from the rule as printed there, never from the rule file or the engine, so
that a changed value in ``xlmargin/rules/*.toml`` fails here.

RULE-DERIVED: the sources state the rules, not these figures (the positions are made up to make
each parameter bind); they are not published worked examples.

- Reg T collar maintenance, ``regt.toml [collar] call_strike_pct`` (§1.6, collar row [M]).
- Portfolio margin high-capitalization broad-based index up move, ``pm.toml [ranges.highcap_index]
  up`` (§2.3 [H]).
- Treasuries with 20 years or more to maturity, ``regt.toml [fixed_income.treasury]`` last bucket,
  and municipals, ``[fixed_income.municipal]`` (§1.8 [M], [L/M]).
- SPAN heightened-risk-profile initial multiple, ``span.toml [accounts] hrp_initial_multiple``
  (§4 [H], CME advisory 23-376).
- World currency options, ``regt.toml [naked.fx] / [naked.fx_major] pct`` (§1.3 [H]).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin.params import read_params
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.positions import Portfolio, read_positions
from xlmargin.regt import regt_margin
from xlmargin.span import SPAN_PARAMS, futures_margin, span_settings

HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying price", "strike", "days", "right",
          "multiplier", "class", "maturity"]  # fmt: skip


def _book(*rows: list[Any]) -> Portfolio:
    """Rows under :data:`HEADER` (shorter rows end in blanks)."""
    return read_positions([HEADER, *[[*r, *[None] * (len(HEADER) - len(r))] for r in rows]], as_of=AS_OF)


def _option(qty: float, right: str, strike: float, price: float, spot: float, **kw: Any) -> list[Any]:
    symbol, mult, klass = kw.get("symbol", "XYZ"), kw.get("mult", 100.0), kw.get("klass")
    return [f"{symbol} {right}{strike:g}", "option", qty, price, symbol, spot, strike, 30, right, mult, klass]


def _bond(klass: str, years: float) -> list[Any]:
    """1,000,000 face at 98: market value 980,000."""
    return ["BOND", "bond", 1_000_000, 98.0, None, None, None, None, None, None, klass, years]


# --- Reg T ---------------------------------------------------------------------------------------


def test_collar_maintenance_is_the_lesser_with_25pct_of_the_call_strike() -> None:
    """§1.6 collar: maintenance "lesser of (10% × put strike + put OTM amount) and 25% × call strike"
    [M]. Long 100 XYZ at 60, long the 40 put (20 out of the money), short the 55 call:
    (10% × 40 + 20) × 100 = 2,400 against 25% × 55 × 100 = 1,375; the call-strike leg binds."""
    legs = (
        ["XYZ", "stock", 100, 60.0],
        _option(1, "P", 40, 0.05, 60.0),
        _option(-1, "C", 55, 6.0, 60.0),
    )
    put_leg = (0.10 * 40 + (60 - 40)) * 100
    call_leg = 0.25 * 55 * 100
    assert (put_leg, call_leg) == (2_400.0, 1_375.0)
    result = regt_margin(_book(*legs), basis="maintenance")
    assert [g.strategy for g in result.groups] == ["collar"]
    assert result.total == min(put_leg, call_leg) == 1_375.0


@pytest.mark.parametrize("years", [20.0, 30.0])
def test_treasury_of_20_years_or_more_is_6pct(years: float) -> None:
    """§1.8: Treasuries "10–<20y 5%, ≥20y 6%" of market value [M]: 6% × 980,000 = 58,800, on both
    bases (Reg T treats them as good faith); 19.5 years is still the 5% bucket: 49,000."""
    for basis in ("initial", "maintenance"):
        assert regt_margin(_book(_bond("treasury", years)), basis=basis).total == 0.06 * 980_000 == 58_800.0
    assert regt_margin(_book(_bond("treasury", 19.5))).total == 0.05 * 980_000 == 49_000.0


@pytest.mark.parametrize("years", [0.5, 2.0, 12.0, 30.0])
def test_municipal_is_7pct_at_every_maturity(years: float) -> None:
    """§1.8: "Municipals: 7% of market value" [L/M], whatever the maturity: 7% × 980,000 = 68,600."""
    expected = round(0.07 * 980_000, 2)
    for basis in ("initial", "maintenance"):
        assert regt_margin(_book(_bond("municipal", years)), basis=basis).total == expected == 68_600.0


@pytest.mark.parametrize("klass", ["fx", "fx_major"])
def test_world_currency_options_take_4pct_of_the_underlying(klass: str) -> None:
    """§1.3: world currency options, "option value + 4% × underlying − OTM", floor "option value +
    0.75% × underlying" [H]. EUR at 1.08, 10,000 units a contract:
    short 1.10 call at 0.01 (0.02 out of the money): 0.01 + 0.0432 − 0.02 = 0.0332 > 0.01 + 0.0081,
    × 10,000 = 332.00; short 1.10 put at 0.03 (in the money): 0.03 + 0.0432 = 0.0732 > 0.0381 → 732.00."""
    call = _option(-1, "C", 1.10, 0.01, 1.08, symbol="EUR", mult=10_000.0, klass=klass)
    put = _option(-1, "P", 1.10, 0.03, 1.08, symbol="EUR", mult=10_000.0, klass=klass)
    call_per_unit = max(0.01 + 0.04 * 1.08 - (1.10 - 1.08), 0.01 + 0.0075 * 1.08)
    put_per_unit = max(0.03 + 0.04 * 1.08 - 0.0, 0.03 + 0.0075 * 1.08)
    assert regt_margin(_book(call)).total == pytest.approx(call_per_unit * 10_000) == 332.0
    assert regt_margin(_book(put)).total == pytest.approx(put_per_unit * 10_000) == 732.0


# --- portfolio margin ------------------------------------------------------------------------------


def test_highcap_index_up_move_is_6pct() -> None:
    """§2.3: high-capitalization broad-based index "+6% / −8%", points +1.2 ... +6.0 [H]. Short 100
    SPY (class highcap_index) at 600: the −8% points are gains, the worst is the +6% point, a loss
    of 100 × 600 × 6% = 3,600."""
    book = _book(["SPY", "etf", -100, 600.0, None, None, None, None, None, None, "highcap_index"])
    result = pm_requirement(book, pm_settings({}, AS_OF))
    (group,) = result.class_groups
    assert group.worst_move == pytest.approx(0.06)
    assert group.worst_loss == pytest.approx(100 * 600.0 * 0.06)
    assert result.requirement == 3_600.0
    assert max(group.moves) == pytest.approx(0.06) and min(group.moves) == pytest.approx(-0.08)


# --- SPAN ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("hrp", "initial"), [(True, 9_240.0), (False, 8_400.0)])
def test_hrp_initial_is_110pct_of_maintenance(hrp: bool, initial: float) -> None:
    """§4: "initial = maintenance for non-HRP accounts and 110% of maintenance for heightened-risk-
    profile (speculator) accounts (e.g. Dow total-return futures $8,400 maintenance / $9,240 HRP
    initial)" [H] (CME advisory 23-376). One long ES with its scan range given as 8,400 (the scan's
    worst, price down 3/3, is the whole range): 8,400 × 1.10 = 9,240 (hrp TRUE, the default) and
    8,400 × 1.00 (hrp FALSE, the hedger)."""
    params = read_params([["scan.ES", 8_400], ["hrp", hrp], ["basis", "initial"]], SPAN_PARAMS)
    result = futures_margin(_book(["ESZ6", "future", 1, 6_000.0]), span_settings(params, AS_OF))
    assert result.maintenance == 8_400.0
    assert result.initial == result.requirement == initial
    assert initial == pytest.approx(8_400.0 * (1.10 if hrp else 1.00))
