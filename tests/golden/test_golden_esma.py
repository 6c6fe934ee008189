"""Golden tests: the published ESMA leverage-cap examples (regime ``esma`` of worked-examples.json).

Each case runs the full ``esma_margin`` engine on a positions table built from the printed numbers,
in the printed account currency, and checks the margin to the cent, the class the example names,
and the margin close-out level where the source gives one.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF, worked_examples
from xlmargin.esma import esma_margin, esma_settings
from xlmargin.positions import read_positions

CASES = worked_examples("esma")
# The positions table needs a price on every fx row; the examples omit it where the notional does
# not depend on it (the account currency is the base currency). Any positive price will do, and
# test_price_does_not_matter_in_the_base_currency shows it.
_ANY_PRICE = 1.2345


def _id(case: dict[str, Any]) -> str:
    return f"{case['id']} [{case['source'].split(' http')[0].split(',')[0]}]"


def _book(case: dict[str, Any], price: float | None = None) -> list[list[Any]]:
    rows: list[list[Any]] = [["symbol", "type", "qty", "price", "multiplier", "currency"]]
    for p in case["positions"]:
        if "notional" in p:  # printed as a notional: one unit at that price
            qty, px = p["qty"], p["notional"] / p["qty"]
        else:
            qty, px = p["qty"], p.get("price") or price or _ANY_PRICE
        rows.append([p["symbol"], p["type"], qty, px, p.get("value_per_point"), p.get("currency")])
    return rows


def _account(case: dict[str, Any]) -> str:
    p = case["positions"][0]
    return str(p.get("account_currency") or p["currency"])


def test_every_esma_case_is_covered() -> None:
    assert len(CASES) == 6


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_esma_initial_margin(case: dict[str, Any]) -> None:
    result = esma_margin(read_positions(_book(case), as_of=AS_OF), _account(case), esma_settings({}, AS_OF))
    assert result.total == pytest.approx(case["expected"], abs=case["tolerance"])
    assert [line.rule_class for line in result.lines] == [p["esma_class"] for p in case["positions"]]
    assert result.close_out_level == pytest.approx(case["expected"] / 2, abs=case["tolerance"])
    if "close_out_level" in case:
        assert result.close_out_level == pytest.approx(case["close_out_level"], abs=case["tolerance"])


BASE_CURRENCY_CASES = [c for c in CASES if c["id"] in ("esma-eurusd-1lot-eur", "esma-audcad-nonmajor")]


@pytest.mark.parametrize("case", BASE_CURRENCY_CASES, ids=_id)
def test_price_does_not_matter_in_the_base_currency(case: dict[str, Any]) -> None:
    settings = esma_settings({}, AS_OF)
    for price in (0.5, 1.0, 150.0):
        book = read_positions(_book(case, price), as_of=AS_OF)
        assert esma_margin(book, _account(case), settings).total == pytest.approx(case["expected"], abs=0.01)
