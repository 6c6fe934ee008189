"""The ESMA caps as the Decision prints them: a percentage of the notional.

ESMA Decision (EU) 2018/796, Annex I, and ESMA's Q&A print the initial margin protection as
percentages: '3.33 % of the notional value' for major currency pairs, 5 %, 10 %, 20 %, 50 % for the
other classes (margin-rules.md §5 lists them beside the leverages). xlmargin margins a major pair at
1/30 = 3.3333 % by default, as brokers' published examples do (Trading 212, gera.services: review
R15); ``margin_rate.<class>`` gives the legal percentage, refused below it. ``leverage.major_fx=30.03``
stays refused (the cap is 30:1).
"""

from __future__ import annotations

import pytest

from tests.books import book, row
from tests.conftest import AS_OF
from xlmargin.errors import InputError
from xlmargin.esma import ESMA_PARAMS, esma_margin, esma_settings
from xlmargin.params import read_params

EURUSD = book(row("EURUSD", "fx", 100_000, 1.08))  # 108,000 USD of notional


def margin(*cells: str) -> float:
    return esma_margin(EURUSD, "USD", esma_settings(read_params(list(cells), ESMA_PARAMS), AS_OF)).total


def test_default_is_one_thirtieth() -> None:
    assert margin() == 3_600.00  # 108,000 / 30


def test_the_legal_percentage_can_be_given() -> None:
    # 3.33 % of 108,000 = 3,596.40 (Annex I's figure), typed as a percent or a fraction
    assert margin("margin_rate.major_fx=3.33%") == 3_596.40
    assert margin("margin_rate.major_fx=0.0333") == 3_596.40
    assert margin("margin_rate.major_fx=5%") == 5_400.00  # a broker may ask more


def test_below_the_legal_percentage_is_refused() -> None:
    with pytest.raises(InputError, match=r"margin_rate\.major_fx"):
        margin("margin_rate.major_fx=3.3%")
    with pytest.raises(InputError, match=r"margin_rate\.crypto"):
        margin("margin_rate.crypto=40%")  # Annex I: 50 %


def test_leverage_and_rate_of_one_class_are_not_both_taken() -> None:
    with pytest.raises(InputError, match="not both"):
        margin("margin_rate.major_fx=3.33%", "leverage.major_fx=25")
    with pytest.raises(InputError, match="at most 30"):
        margin("leverage.major_fx=30.03")
