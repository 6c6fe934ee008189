"""Futures margin against published SPAN examples not in worked-examples.json.

- Solomon Exam Prep, Series 3 study guide §3.4.4.1 "Inter-Commodity Spread Margins"
  (https://solomonexamprep.com/content-txt/34019/31/3-4-4-1-inter-commodity-spread-margins): a
  second corn-soybean spread with its own numbers, and the 1:1:1 soybean crush with a credit
  per leg (55% soybeans, 70% meal and oil).
- McMillan, Options as a Strategic Investment, chapter 34 (the S&P risk-array example already in
  worked-examples.json): the book says a ratio write of long 3 futures and short 5 December 410
  calls is margined by scaling the two printed arrays by 3 and 5 and adding them; it prints no
  total, so the figure below is worked from the printed arrays (rule-derived, labelled so).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, worked_examples
from xlmargin import rules
from xlmargin.params import read_params
from xlmargin.positions import read_positions
from xlmargin.rules import RuleSet
from xlmargin.span import SPAN_PARAMS, futures_margin, inter_spread_credit, scanning_risk, span_settings

SOLOMON = "Solomon Exam Prep Series 3 §3.4.4.1"


def _margin(rows: list[list[Any]], params: list[list[Any]]) -> Any:
    book = read_positions([["symbol", "type", "qty", "price"], *rows], as_of=AS_OF)
    return futures_margin(book, span_settings(read_params(params, SPAN_PARAMS), AS_OF))


def test_solomon_corn_soy_arithmetic() -> None:
    """Two long corn at $900 and one short soybean at $2,100, 55% credit on both legs:
    3,900 − 55% × 3,900 = 1,755 (printed)."""
    outright = 2 * 900.0 + 2_100.0
    credit = inter_spread_credit([900.0, 2_100.0], [2, 1], 0.55)
    assert outright - credit == pytest.approx(1_755.00, abs=0.005)


@pytest.mark.parametrize("ids", [f"solomon-corn-soy[{SOLOMON}]"])
def test_solomon_corn_soy_engine(ids: str) -> None:
    """The same spread through the engine, the outright margins given as scan ranges and the
    credit as inter.ZC-ZS: one 2:1 spread formed, 1,755.00 to the cent."""
    result = _margin(
        [["ZCH7", "future", 2, 450], ["ZSF7", "future", -1, 1100]],
        [["scan.ZC", 900], ["scan.ZS", 2100], ["inter.ZC-ZS", 0.55]],
    )
    assert result.maintenance == pytest.approx(1_755.00, abs=0.005)
    (spread,) = result.spreads
    assert (spread.id, spread.spreads) == ("ZC-ZS", 1.0)


def test_mcmillan_ratio_write_from_the_printed_arrays() -> None:
    """RULE-DERIVED from McMillan's printed arrays (no total printed): long 3 S&P futures, short 5
    December 410 calls. Scaled and summed, the worst scenario is the extreme fall (16), where the
    futures lose 3 × 7,000 and the calls gain 5 × 1,500: 13,500."""
    (case,) = [c for c in worked_examples("futures_span") if c["id"] == "mcmillan-span-covered-write"]
    future, call = (p["pnl_array_as_held"] for p in case["positions"])
    assert scanning_risk([[3 * x for x in future], [5 * x for x in call]]) == pytest.approx(13_500.0)


def _crush_rule_set() -> RuleSet:
    """The shipped span.toml plus soybean meal (ZM) and oil (ZL) and Solomon's 1:1:1 crush, each leg
    with its own credit. Outright margins as Solomon prints them: soybeans $2,100, meal $1,800,
    oil $725 (point values 1: the futures' price moves are the scan ranges themselves)."""
    data = tomllib.loads((Path(rules.__file__).parent / "span.toml").read_text(encoding="utf-8"))
    for root, scan in (("ZS", 2_100.0), ("ZM", 1_800.0), ("ZL", 725.0)):
        for table, value in (
            ("point_value", 1.0),
            ("names", root),
            ("scan", scan),
            ("vol_scan", 0.0),
            ("intra", 0.0),
            ("short_option_minimum", 0.0),
        ):
            data[table][root] = value
    crush = {
        "id": "ZS-ZM-ZL",
        "legs": ["ZS", "ZM", "ZL"],
        "ratio": [1, 1, 1],
        "credit": [0.55, 0.70, 0.70],
        "sides": ["A", "B", "B"],
        "source": SOLOMON,
        "confidence": "M",
    }
    data["inter"] = [crush, *(s for s in data["inter"] if "ZS" not in s["legs"])]
    return RuleSet("span", data)


def test_solomon_crush_arithmetic() -> None:
    """RULE-DERIVED (not a printed total). The crush's three legs, each credited at its own rate:
    55% × 2,100 + 70% × 1,800 + 70% × 725 = 2,922.50 back on 4,625.00 of outright margin, 1,702.50
    left. The stored copy of the page is cut off before its total; this is the page's method carried
    out on its numbers."""
    credit = inter_spread_credit([2_100.0, 1_800.0, 725.0], [1, 1, 1], [0.55, 0.70, 0.70])
    assert credit == pytest.approx(2_922.50, abs=0.005)
    assert 4_625.00 - credit == pytest.approx(1_702.50, abs=0.005)


@pytest.mark.parametrize(
    ("soy", "meal", "oil"), [(1, -1, -1), (-1, 1, 1)], ids=["long-crush", "reverse-crush"]
)
def test_solomon_crush_engine(soy: int, meal: int, oil: int) -> None:
    """RULE-DERIVED (the page's method on its numbers; its total is not in the stored copy). Long
    soybeans against short meal and oil (or the reverse): one three-legged spread, each leg
    credited at its own rate, 1,702.50 to the cent. The legs held all one way form no spread."""
    rows = [["symbol", "type", "qty", "price"], ["ZSF7", "future", soy, 1_100]]
    rows += [["ZMF7", "future", meal, 300], ["ZLF7", "future", oil, 45]]
    settings = span_settings({}, AS_OF, rule_set=_crush_rule_set())
    result = futures_margin(read_positions(rows, as_of=AS_OF), settings)
    assert result.maintenance == pytest.approx(1_702.50, abs=0.005)
    (spread,) = result.spreads
    assert (spread.id, spread.spreads, spread.credit_rates) == ("ZS-ZM-ZL", 1.0, (0.55, 0.70, 0.70))
    rows[2][2] = rows[3][2] = soy  # every leg the same way: no crush
    assert futures_margin(read_positions(rows, as_of=AS_OF), settings).maintenance == pytest.approx(4_625.00)
