"""No inter-commodity credit for a leg in delivery (margin-rules.md §4, CME SPAN: "No credit when a
leg is in delivery" [H]).

The figures are RULE-DERIVED from §4 and the shipped span.toml (ZC scan 1,100, ZS 2,200, intra ZC
300, ES 22,000, NQ 33,000; ZC-ZS 2:1 at 55%, ES-NQ 1:2 at 85%): no source prints them. The delivery
period starts on the first business day of the contract month (span.toml [delivery], [M]: CBOT's
corn and soybean delivery cycle).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.books import book, future
from xlmargin import rules
from xlmargin.errors import InputError, MissingDataError, RuleError
from xlmargin.params import read_params
from xlmargin.rules import RuleSet
from xlmargin.span import SPAN_PARAMS, SpanResult, futures_margin, span_settings
from xlmargin.span.months import delivery_start

DELIVERY_MONTH = dt.date(2026, 12, 7)  # December 2026 corn (ZCZ6) is in its delivery month
BEFORE = dt.date(2026, 11, 30)  # the last business day of November: first notice day, not delivery
CORN_SOY = (future("ZCZ6", 2, 450), future("ZSF7", -1, 1100))
SECTION = "margin-rules.md §4"


def margin(as_of: dt.date, *rows: list[Any], params: Any = ()) -> SpanResult:
    settings = span_settings(read_params(list(params), SPAN_PARAMS), as_of)
    return futures_margin(book(*rows, as_of=as_of), settings)


@pytest.mark.parametrize("source", [SECTION])
def test_no_credit_when_the_corn_leg_is_in_delivery(source: str) -> None:
    """The audit's repro: +2 ZCZ6, -1 ZSF7 on 2026-12-07. Without the credit: 2 x 1,100 + 2,200."""
    result = margin(DELIVERY_MONTH, *CORN_SOY)
    assert result.maintenance == 4_400.00
    assert result.spreads == ()
    corn = next(line for line in result.lines if line.root == "ZC")
    assert (corn.delivery_delta, corn.inter_credit) == (2.0, 0.0)


@pytest.mark.parametrize("source", [SECTION])
def test_credit_before_the_delivery_month(source: str) -> None:
    """The same legs on the business day before delivery: one 2:1 spread, 55% of each leg's
    outright back, (2 x 1,100 + 2,200) x (1 - 0.55) = 1,980 (the figure before this change)."""
    result = margin(BEFORE, *CORN_SOY)
    assert result.maintenance == 1_980.00
    (spread,) = result.spreads
    assert (spread.id, spread.spreads) == ("ZC-ZS", 1.0)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2026, 11, 30), 1_980.00),  # Monday, the business day before December's first
        (dt.date(2026, 12, 1), 4_400.00),  # Tuesday 1 December: the first day of delivery
        (dt.date(2026, 12, 14), 4_400.00),  # the last trading day (business day before the 15th)
    ],
)
def test_boundary_on_the_first_day_of_delivery(as_of: dt.date, expected: float) -> None:
    """margin-rules.md §4: the credit stops on the first business day of the contract month."""
    assert margin(as_of, *CORN_SOY).maintenance == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2027, 4, 30), 1_980.00),  # Friday
        (dt.date(2027, 5, 1), 1_980.00),  # Saturday 1 May: not a business day, delivery not begun
        (dt.date(2027, 5, 3), 4_400.00),  # Monday 3 May, the first business day of May
    ],
)
def test_boundary_when_the_month_opens_on_a_weekend(as_of: dt.date, expected: float) -> None:
    """margin-rules.md §4: May 2027 corn (ZCK7) against July soybeans (ZSN7)."""
    rows = (future("ZCK7", 2, 450), future("ZSN7", -1, 1100))
    assert margin(as_of, *rows).maintenance == expected


@pytest.mark.parametrize("source", [SECTION])
def test_an_equity_index_spread_is_unaffected_in_its_contract_month(source: str) -> None:
    """ES and NQ are cash-settled (no [delivery] entry): +1 ESZ6 / -2 NQZ6 keep their 85% credit in
    December, (22,000 + 2 x 33,000) x 0.15 = 13,200, as in November."""
    rows = (future("ESZ6", 1, 6000), future("NQZ6", -2, 21000))
    for as_of in (BEFORE, DELIVERY_MONTH):
        result = margin(as_of, *rows)
        assert result.maintenance == pytest.approx(13_200.00, abs=0.005)
        assert [s.id for s in result.spreads] == ["ES-NQ"]
        assert all(line.delivery_delta == 0.0 for line in result.lines)


@pytest.mark.parametrize("source", [SECTION])
def test_other_months_of_the_commodity_still_spread(source: str) -> None:
    """+2 ZCZ6 in delivery and +2 ZCH7: only the March contracts spread against -2 ZSF7, one 2:1
    spread. 4 x 1,100 + 2 x 2,200 less 55% of (2 x 1,100 + 2,200) = 8,800 - 2,420 = 6,380."""
    result = margin(DELIVERY_MONTH, *CORN_SOY[:1], future("ZCH7", 2, 460), future("ZSF7", -2, 1100))
    (spread,) = result.spreads
    assert spread.spreads == pytest.approx(1.0)
    assert result.maintenance == pytest.approx(6_380.00, abs=0.005)


@pytest.mark.parametrize("source", [SECTION])
def test_the_delivery_month_offsets_the_other_months_first(source: str) -> None:
    """+2 ZCZ6 in delivery, -1 ZCH7: the commodity is net long one contract, and that contract is in
    delivery, so -1 ZSF7 forms no spread: 1,100 scan + 300 calendar charge + 2,200 = 3,600."""
    result = margin(DELIVERY_MONTH, CORN_SOY[0], future("ZCH7", -1, 460), CORN_SOY[1])
    assert result.spreads == ()
    assert result.maintenance == pytest.approx(3_600.00, abs=0.005)


@pytest.mark.parametrize("source", [SECTION])
def test_first_notice_day_reading_is_a_parameter(source: str) -> None:
    """delivery.ZC=-1 starts the period on first notice day, 30 November 2026: no credit that day."""
    assert margin(BEFORE, *CORN_SOY, params=["delivery.ZC=-1"]).maintenance == 4_400.00
    with pytest.raises(InputError, match="whole number of business days"):
        margin(BEFORE, *CORN_SOY, params=["delivery.ZC=0.5"])


def test_a_future_without_its_month_is_named_when_the_credit_depends_on_it() -> None:
    """'ZC' (no month code) against ZSF7 could spread: whether ZC is in delivery decides the credit."""
    with pytest.raises(MissingDataError) as caught:
        margin(DELIVERY_MONTH, future("ZC", 2, 450), CORN_SOY[1])
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "symbol")
    assert "ZC-ZS" in problem.message and "contract month" in problem.message
    # no spread could form (both long, or no soybeans): no month needed
    assert margin(DELIVERY_MONTH, future("ZC", 2, 450), future("ZSF7", 1, 1100)).maintenance == 4_400.00
    assert margin(DELIVERY_MONTH, future("ZC", 2, 450)).maintenance == 2_200.00
    # a cash-settled product needs no month for its credit
    assert margin(DELIVERY_MONTH, future("ES", 1, 6000), future("NQ", -2, 21000)).spreads


def test_delivery_start_counts_business_days() -> None:
    assert delivery_start(2026, 12, 0) == dt.date(2026, 12, 1)
    assert delivery_start(2027, 5, 0) == dt.date(2027, 5, 3)  # 1 May 2027 is a Saturday
    assert delivery_start(2027, 5, -1) == dt.date(2027, 4, 30)  # first notice day
    assert delivery_start(2026, 12, -2) == dt.date(2026, 11, 27)  # first position day, over a weekend
    assert delivery_start(2026, 12, 4) == dt.date(2026, 12, 7)


def test_a_malformed_delivery_table_is_a_rule_error() -> None:
    data = tomllib.loads((Path(rules.__file__).parent / "span.toml").read_text(encoding="utf-8"))
    data["delivery"]["XX"] = 0
    with pytest.raises(RuleError, match="names XX"):
        span_settings({}, BEFORE, rule_set=RuleSet("span", data))
    del data["delivery"]["XX"]
    data["delivery"]["ZC"] = 0.5
    with pytest.raises(RuleError, match="whole number"):
        span_settings({}, BEFORE, rule_set=RuleSet("span", data))
