"""Portfolio margin against published and rule-derived figures.

Published cases (worked-examples.json, regime ``portfolio_margin``), reproduced under these
assumptions, none of which the source states:

- implied volatility backed out of the printed option price (margin-rules.md §2.7 step 3);
- American pricing for the American IBM options;
- 21 days to expiry (the example's ``days_to_expiry``), no dividend yield;
- rate 5%, the 2007 short rate (3-month T-bill about 5.0%, Fed funds 5.25%); the source gives
  none. At rate 0 an American put is worth its European value, which at the −15% point keeps
  about 0.12 of time value, so the protective put needs 1,816.30 (−3.3%, outside the tolerance)
  for ANY number of days (with r = 0 only sigma × sqrt(T) matters, and the implied sigma
  adjusts). The published 1,878 values the put near its intrinsic 12.44 at −15% (the notes:
  "500 × (12.43 − 2.50)"): early exercise, which needs a positive rate. At 5% the engine gives
  about 1,857 (−1.1%); the covered write is insensitive to the rate (5,544.53 at 0, about
  5,539 at 5%, +0.6%);
- no volatility shock and no house layer: the regulatory minimum.

Rule-derived cases are worked by hand from the rule text cited in each id; they are not broker
outputs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF, worked_examples
from xlmargin.params import read_params
from xlmargin.pm import PM_PARAMS, pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.pricing import option_price

PUBLISHED = worked_examples("portfolio_margin")
RATE_2007 = 0.05  # assumption: the period's short rate (module docstring)


def _table(positions: list[dict[str, Any]]) -> list[list[Any]]:
    """The example's positions as an Excel range: its keys are the headers (aliases resolve them)."""
    header = list(dict.fromkeys(k for p in positions for k in p))
    return [header, *([p.get(h) for h in header] for p in positions)]


def _requirement(table: list[list[Any]], params: Any = None) -> float:
    settings = pm_settings(read_params(params, PM_PARAMS), AS_OF)
    return pm_requirement(read_positions(table, as_of=AS_OF), settings).requirement


@pytest.mark.parametrize("case", PUBLISHED, ids=[f"{c['id']}[Aussie Stock Forums 2007]" for c in PUBLISHED])
def test_published_portfolio_margin(case: dict[str, Any]) -> None:
    assert case["tolerance_type"] == "relative"
    got = _requirement(_table(case["positions"]), [["rate", RATE_2007]])
    assert got == pytest.approx(case["expected"], rel=case["tolerance"])


def test_published_case_ids() -> None:
    assert {c["id"] for c in PUBLISHED} == {"aus07-pm-ibm-covered-write", "aus07-pm-ibm-protective-put"}


HEADER = [
    "symbol",
    "type",
    "quantity",
    "price",
    "underlying price",
    "strike",
    "days",
    "right",
    "volatility",
    "style",
]


def _option(
    symbol: str, qty: float, right: str, strike: float, spot: float, days: float, vol: float, style: str
) -> list[Any]:
    price = float(option_price(spot, strike, days / 365, 0.0, 0.0, vol, right == "C", style == "american"))
    return [symbol, "option", qty, price, spot, strike, days, right, vol, style]


def _line(symbol: str, kind: str, qty: float, price: float) -> list[Any]:
    return [symbol, kind, qty, price, None, None, None, None, None, None]


def test_margin_rules_2_4_long_straddle_minimum() -> None:
    """margin-rules.md §2.4 (Fidelity PM supplement; OCC disclosure): 100 long calls + 100 long puts
    with no scenario loss need 200 × $37.50 = $7,500. An at-the-money 30-day straddle gains at
    every ±15% point, so only the per-contract minimum is left."""
    table = [
        HEADER,
        _option("XYZ", 100, "C", 100, 100.0, 30, 0.30, "american"),
        _option("XYZ", 100, "P", 100, 100.0, 30, 0.30, "american"),
    ]
    assert _requirement(table) == pytest.approx(7500.0)


@pytest.mark.parametrize(("symbol", "kind", "qty", "price", "expected"), [
    ("IBM", "stock", 1000, 100.0, 15_000.0),   # equity ±15%: 15% of 100,000
    ("IBM", "stock", -1000, 100.0, 15_000.0),  # a short line loses at +15%
    ("SPY", "etf", 1000, 590.0, 47_200.0),     # S&P 500 basket, high-cap broad: −8% of 590,000
    ("SPY", "etf", -1000, 590.0, 35_400.0),    # ... short: +6%
    ("IWM", "etf", 1000, 228.0, 22_800.0),     # Russell 2000 basket, broad: −10%
])  # fmt: skip
def test_sec_34_46576_stock_alone(symbol: str, kind: str, qty: float, price: float, expected: float) -> None:
    """SEC Release 34-46576 table of ranges (margin-rules.md §2.3): a lone line needs its range's
    worst move × its value."""
    assert _requirement([HEADER, _line(symbol, kind, qty, price)]) == pytest.approx(expected)


def test_occ_cpm_spy_hedged_by_spx_nets_in_class_group() -> None:
    """OCC CPM disclosure (margin-rules.md §2.5): SPY and SPX options sit in one class group and net
    100% at each point. 1,000 SPY against a European SPX synthetic short of the same exposure: no
    loss at any point, so only the two contracts' minimum, $75, remains (SPY alone: $47,200)."""
    table = [
        HEADER,
        _line("SPY", "etf", 1000, 590.0),
        _option("SPX", -1, "C", 5900, 5900.0, 30, 0.15, "european"),
        _option("SPX", 1, "P", 5900, 5900.0, 30, 0.15, "european"),
    ]
    assert _requirement(table) == pytest.approx(75.0)


def test_margin_rules_2_5_tlt_does_not_offset_spy() -> None:
    """margin-rules.md §2.5: bond ETFs are separate class groups in no equity product group, so a
    TLT 'hedge' adds its own ±15% requirement: 47,200 + 13,500."""
    table = [HEADER, _line("SPY", "etf", 1000, 590.0), _line("TLT", "etf", 1000, 90.0)]
    assert _requirement(table) == pytest.approx(60_700.0)


def test_occ_cpm_product_group_offset_spy_vs_qqq() -> None:
    """OCC CPM disclosure (margin-rules.md §2.5): long SPY, short QQQ in the US broad product group.
    At point −5 SPX loses 47,200 and NDX gains 40,800, of which the offset counts; with the offset
    given as 0.75 (the default percentage is unconfirmed): 47,200 − 0.75 × 40,800 = 16,600."""
    table = [HEADER, _line("SPY", "etf", 1000, 590.0), _line("QQQ", "etf", -1000, 510.0)]
    assert _requirement(table, [["offset.us_broad", 0.75]]) == pytest.approx(16_600.0)
