"""Micro futures under FUTURES_MARGIN: each a fixed fraction of its standard contract.

CME Group, 'Micro E-mini Equity Index Futures: Frequently Asked Questions': the Micro E-mini
contracts have 'multipliers 1/10 the size of their E-mini counterparts ($5 for Micro E-mini S&P 500
vs. $50 for ES)', Nasdaq-100 $2 vs $20, Dow $0.50 vs $5, Russell 2000 $5 vs $50, and 'margins are
indicative of their E-mini counterparts'; CME contract specifications: Micro Gold 10 oz (GC 100),
Micro WTI 100 barrels (CL 1,000). span.toml [micro] margins each at that fraction of its standard.

MES, MNQ, MYM, M2K, MGC and MCL were in esma.toml and stress.toml but not in span.toml, so
FUTURES_MARGIN refused them ("no SPAN parameters for 'MESZ6'", review R15).
"""

from __future__ import annotations

import pytest

from tests import books
from tests.books import book
from tests.conftest import AS_OF
from xlmargin import rules
from xlmargin.span import futures_margin, span_settings

MICROS = {"MES": "ES", "MNQ": "NQ", "MYM": "YM", "M2K": "RTY", "MGC": "GC", "MCL": "CL"}


@pytest.mark.parametrize(("micro", "standard"), MICROS.items())
def test_a_micro_is_a_tenth_of_its_standard(micro: str, standard: str) -> None:
    settings = span_settings({}, AS_OF)
    small, big = settings.products[micro], settings.products[standard]
    assert small.point_value == pytest.approx(big.point_value / 10)  # CME: $5 vs $50 ...
    assert small.scan == pytest.approx(big.scan / 10)
    assert small.tiers[0].intra == pytest.approx(big.tiers[0].intra / 10)
    assert small.short_option_minimum == pytest.approx(big.short_option_minimum / 10)
    assert small.vol_scan == big.vol_scan  # a relative volatility move is the same move
    # ten micros long margin as one standard long (the scan is linear in the quantity)
    ten = futures_margin(book(books.future(f"{micro}Z6", 10, 100.0)), settings).requirement
    one = futures_margin(book(books.future(f"{standard}Z6", 1, 100.0)), settings).requirement
    assert ten == pytest.approx(one)


def test_mes_follows_a_given_es_scan() -> None:
    # the user's scan.ES=12000 margins one MES at 1,200 (maintenance), not the shipped 2,200
    settings = span_settings({"scan.ES": 12_000.0}, AS_OF)
    result = futures_margin(book(books.future("MESZ6", 1, 6_800.0)), settings)
    assert result.requirement == pytest.approx(1_200.0)


def test_every_micro_root_of_the_other_rule_files_has_span_terms() -> None:
    # esma.toml [futures] and stress.toml [instruments.futures] list the micros: FUTURES_MARGIN reads them too
    products = span_settings({}, AS_OF).products
    esma = rules.load("esma")["futures"]
    meta = ("source", "confidence", "notes")
    listed = {root for key, roots in esma.items() if key not in meta for root in roots}
    stress = set(rules.load("stress").get("instruments.futures"))
    for root in MICROS:
        assert root in listed and root in stress and root in products
