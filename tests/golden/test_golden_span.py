"""Golden tests: the published CME SPAN worked examples (regime ``futures_span`` of worked-examples.json).

Each case is checked twice: the SPAN building block on the numbers exactly as printed, and the full
``futures_margin`` engine on positions built from the same numbers (parameters given as a user
would give them, or a tiered rule set for CME's month-by-month example).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, worked_examples
from xlmargin import rules
from xlmargin.params import read_params
from xlmargin.positions import read_positions
from xlmargin.rules import RuleSet
from xlmargin.span import (
    SPAN_PARAMS,
    calendar_spread_margin,
    futures_margin,
    inter_spread_credit,
    scanning_risk,
    span_settings,
)

CASES = {c["id"]: c for c in worked_examples("futures_span")}
INTRA = [c for c in CASES.values() if c["id"].startswith("cme-intra")]


def _id(case: dict[str, Any]) -> str:
    source = case["source"].split(" http")[0].split(";")[0].split(" (")[0]
    return f"{case['id']} [{source}]"


def test_every_futures_case_is_covered() -> None:
    assert set(CASES) == {
        "cme-inter-corn-soy",
        "cme-intra-m2-m3",
        "cme-intra-m2-m4",
        "cme-intra-m3-m4",
        "mcmillan-span-covered-write",
    }


# --- McMillan: scanning risk from the printed risk arrays ------------------------------------------


@pytest.mark.parametrize("case", [CASES["mcmillan-span-covered-write"]], ids=_id)
def test_mcmillan_covered_write_scanning_risk(case: dict[str, Any]) -> None:
    """McMillan, Options as a Strategic Investment: long 1 S&P future + short 1 Dec 410 call -> 6,620."""
    arrays = [p["pnl_array_as_held"] for p in case["positions"]]
    assert scanning_risk(arrays) == pytest.approx(case["expected"], abs=case["tolerance"])
    summed = [sum(column) for column in zip(*arrays, strict=True)]
    assert summed == case["combined_array"]  # the book's combined column (with its +3,870 typo fixed)


@pytest.mark.parametrize("case", [CASES["mcmillan-span-covered-write"]], ids=_id)
def test_mcmillan_future_leg_through_the_engine(case: dict[str, Any]) -> None:
    """The future's printed array is 16 scenarios of a $10,000 range, extremes 35% of 2x: the engine
    reproduces it (McMillan rounds thirds of the range to 3,330 and 6,670)."""
    printed = case["positions"][0]["pnl_array_as_held"]
    book = read_positions([["symbol", "type", "qty", "price"], ["ESZ6", "future", 1, 6000]], as_of=AS_OF)
    settings = span_settings(read_params(["scan.ES=10000"], SPAN_PARAMS), AS_OF)
    engine = futures_margin(book, settings).lines[0].pnl
    assert engine == pytest.approx(printed, abs=3.34)
    assert [round(x, -1) for x in engine] == printed  # to McMillan's ten-dollar rounding


# --- CME inter-commodity spread: corn vs soybeans 2:1 at 55% ----------------------------------------


@pytest.mark.parametrize("case", [CASES["cme-inter-corn-soy"]], ids=_id)
def test_corn_soy_inter_spread_arithmetic(case: dict[str, Any]) -> None:
    """CME 'Spread calculations': (2 x 1,750 + 2,500) x (1 - 0.55) = 2,700."""
    corn, soy = case["positions"]
    outright = abs(corn["qty"]) * corn["outright_margin"] + abs(soy["qty"]) * soy["outright_margin"]
    credit = inter_spread_credit(
        [corn["outright_margin"], soy["outright_margin"]], [2, 1], case["inter_spread_credit"]
    )
    assert outright - credit == pytest.approx(case["expected"], abs=case["tolerance"])


@pytest.mark.parametrize("case", [CASES["cme-inter-corn-soy"]], ids=_id)
def test_corn_soy_inter_spread_engine(case: dict[str, Any]) -> None:
    corn, soy = case["positions"]
    book = read_positions(
        [
            ["symbol", "type", "qty", "price"],
            ["ZCH7", "future", corn["qty"], 450],
            ["ZSF7", "future", soy["qty"], 1100],
        ],
        as_of=AS_OF,
    )
    params = [
        ["scan.ZC", corn["outright_margin"]],
        ["scan.ZS", soy["outright_margin"]],
        ["inter.ZC-ZS", case["inter_spread_credit"]],
    ]
    result = futures_margin(book, span_settings(read_params(params, SPAN_PARAMS), AS_OF))
    assert result.maintenance == pytest.approx(case["expected"], abs=case["tolerance"])
    (spread,) = result.spreads
    assert (spread.id, spread.spreads, spread.ratio) == ("ZC-ZS", 1.0, (2.0, 1.0))


# --- CME intra-commodity spreads: months 2, 3, 4 at $500 / $500 / $750 -----------------------------


@pytest.mark.parametrize("case", INTRA, ids=_id)
def test_intra_spread_arithmetic(case: dict[str, Any]) -> None:
    """CME 'Spread calculations': |long month margin - short month margin| + the pair's charge."""
    long, short = case["positions"]
    margin = calendar_spread_margin(
        long["outright_margin"], short["outright_margin"], case["intra_spread_charge"]
    )
    assert margin == pytest.approx(case["expected"], abs=case["tolerance"])


def _tiered_rule_set() -> RuleSet:
    """The shipped span.toml plus product X with CME's example tiers: months 2, 3, 4 scanned at
    $500, $500, $750 and spread charges 2/3 $200, 2/4 $50, 3/4 $0 (the published illustrative rates)."""
    data = tomllib.loads((Path(rules.__file__).parent / "span.toml").read_text(encoding="utf-8"))
    for table, value in (
        ("point_value", 1.0),
        ("names", "CME example product"),
        ("vol_scan", 0.0),
        ("short_option_minimum", 0.0),
    ):
        data[table]["X"] = value
    data["tiers"] = {
        "source": "CME 'Spread calculations' example",
        "confidence": "H",
        "X": [
            {"months": [2, 2], "scan": 500.0, "intra": 0.0},
            {"months": [3, 3], "scan": 500.0, "intra": 0.0},
            {"months": [4, 4], "scan": 750.0, "intra": 0.0},
        ],
    }
    data["tier_spreads"] = {
        "source": "CME 'Spread calculations' example",
        "confidence": "H",
        "X": [
            {"tiers": [1, 2], "charge": 200.0},
            {"tiers": [1, 3], "charge": 50.0},
            {"tiers": [2, 3], "charge": 0.0},
        ],
    }
    return RuleSet("span", data)


# Months counted from the valuation month (November 2026): 2 = January 2027 (F7), 3 = February (G7),
# 4 = March (H7).
_MONTH_SYMBOL = {2: "XF7", 3: "XG7", 4: "XH7"}


@pytest.mark.parametrize("case", INTRA, ids=_id)
def test_intra_spread_engine(case: dict[str, Any]) -> None:
    rows = [["symbol", "type", "qty", "price"]]
    rows += [[_MONTH_SYMBOL[p["month"]], "future", p["qty"], 100] for p in case["positions"]]
    book = read_positions(rows, as_of=AS_OF)
    settings = span_settings({}, AS_OF, rule_set=_tiered_rule_set())
    result = futures_margin(book, settings)
    assert result.maintenance == pytest.approx(case["expected"], abs=case["tolerance"])
    assert result.lines[0].intra_charge == pytest.approx(case["intra_spread_charge"], abs=case["tolerance"])


def test_months_count_from_the_valuation_date() -> None:
    """A month later XG7 and XH7 are months 2 and 3: the M2/M3 case again (200), not M3/M4 (250)."""
    later = dt.date(2026, 12, 20)
    rows = [["symbol", "type", "qty", "price"], ["XG7", "future", 1, 100], ["XH7", "future", -1, 100]]
    result = futures_margin(
        read_positions(rows, as_of=later), span_settings({}, later, rule_set=_tiered_rule_set())
    )
    assert result.maintenance == pytest.approx(CASES["cme-intra-m2-m3"]["expected"])
