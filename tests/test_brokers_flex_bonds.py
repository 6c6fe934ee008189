"""A bond in an IBKR Flex report: its maturity from the report's Securities Info section (by conid),
else from IBKR's description of the bond ("T 4 1/2 11/15/31"), its coupon likewise; a bond none of
them dates is refused naming its line and the section to add to the query. A Flex OpenPosition
has no maturity field (ibflex's ``Types.OpenPosition``; ``Types.SecurityInfo`` has ``maturity``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import xlmargin
from tests.books import flex_report
from xlmargin.brokers import read_broker
from xlmargin.brokers.bonds import Terms, description_terms
from xlmargin.errors import InputError
from xlmargin.positions.model import DAYS_PER_YEAR

AS_OF = dt.date(2026, 12, 4)
STOCK = (
    '<OpenPosition accountId="{account}" currency="USD" fxRateToBase="1" assetCategory="STK" '
    'subCategory="COMMON" symbol="AAPL" description="APPLE INC" conid="265598" multiplier="1" '
    'position="100" markPrice="260" levelOfDetail="SUMMARY" />'
)
BOND = (
    '<OpenPosition accountId="{account}" currency="USD" fxRateToBase="1" assetCategory="BOND" '
    'subCategory="" symbol="{symbol}" description="{description}" conid="9005" multiplier="0.01" '
    'position="100000" markPrice="99.5" levelOfDetail="SUMMARY" {extra}/>'
)
INFO = '<SecuritiesInfo><SecurityInfo assetCategory="BOND" conid="9005" {terms} /></SecuritiesInfo>'


def report(
    tmp_path: Path,
    description: str = "T 4 1/2 11/15/31",
    info: str = "",
    extra: str = "",
    accounts: tuple[str, ...] = ("U1",),
    symbol: str = "",
) -> Path:
    def positions(account: str) -> str:
        bond = BOND.format(
            account=account, symbol=symbol or description, description=description, extra=extra
        )
        return STOCK.format(account=account) + bond

    return flex_report(tmp_path, positions, info, accounts)


def bond(path: Path) -> tuple[float, float]:
    row = read_broker(path, as_of=AS_OF).positions[1]
    return row.maturity_years, row.coupon


def years(date: dt.date) -> float:
    return (date - AS_OF).days / DAYS_PER_YEAR


def test_the_description_gives_maturity_and_coupon(tmp_path: Path) -> None:
    maturity, coupon = bond(report(tmp_path))
    assert maturity == pytest.approx(years(dt.date(2031, 11, 15)))
    assert coupon == pytest.approx(0.045)
    assert xlmargin.risk_margin(str(report(tmp_path)), as_of=AS_OF) > 0  # the risk view reads it


def test_securities_info_gives_the_maturity_before_the_description(tmp_path: Path) -> None:
    info = INFO.format(terms='maturity="20350515"')
    maturity, coupon = bond(report(tmp_path, "T 4 1/4 05/15/34", info))
    assert maturity == pytest.approx(years(dt.date(2035, 5, 15)))  # the section's, not the text's
    assert coupon == pytest.approx(0.0425)  # the section has no coupon: the description's


def test_securities_info_dates_a_bond_whose_description_does_not(tmp_path: Path) -> None:
    info = INFO.format(terms='maturity="20311115"')
    maturity, coupon = bond(report(tmp_path, "US TREASURY NOTE", info))
    assert maturity == pytest.approx(years(dt.date(2031, 11, 15)))
    assert coupon != coupon  # NaN: no coupon stated; the engine that needs one asks for it


def test_the_positions_own_terms_come_first(tmp_path: Path) -> None:
    maturity, coupon = bond(report(tmp_path, extra='maturity="2033-02-15" coupon="3.5" '))
    assert maturity == pytest.approx(years(dt.date(2033, 2, 15)))
    assert coupon == pytest.approx(0.035)


def test_a_bond_without_a_maturity_is_refused_saying_what_to_add(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_broker(report(tmp_path, "US TREASURY NOTE"), as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith("row 2, maturity: bond US TREASURY NOTE (conid 9005) has no maturity")
    assert "add the Securities Info section (its maturity field) to the Flex query" in message


def test_batch_refuses_only_the_account_whose_bond_is_undated(tmp_path: Path) -> None:
    path = report(tmp_path, accounts=("U1", "U2"), symbol="UST")
    dated, undated = 'description="T 4 1/2 11/15/31"', 'description="US TREASURY NOTE"'
    text = path.read_text()
    path.write_text(text[: text.rindex(dated)] + undated + text[text.rindex(dated) + len(dated) :])
    result = xlmargin.batch(path, regime="risk", as_of=AS_OF).set_index("account")
    assert "maturity" not in str(result.loc["U1"].tolist())
    assert "add the Securities Info section" in str(result.loc["U2"].tolist())


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("T 4 1/2 11/15/31", Terms("2031-11-15", "4.5%")),
        ("T 0 1/8 01/31/27", Terms("2027-01-31", "0.125%")),
        ("AAPL 3.85 05/04/2043", Terms("2043-05-04", "3.85%")),
        ("B 0 03/19/27", Terms("2027-03-19", "0%")),
        ("T  4  7/8   10/31/30", Terms("2030-10-31", "4.875%")),
        ("US TREASURY NOTE", None),
        ("T 4 1/2 02/30/31", None),  # no such day
        ("T 4 5/4 11/15/31", None),  # no such fraction
        ("T 4 1/2 11/15/31 CORP", None),  # more than IBKR writes: not guessed at
        ("AAPL 16JAN26 260 C", None),
    ],
)
def test_ibkr_bond_descriptions(text: str, terms: Terms | None) -> None:
    assert description_terms(text) == terms
