"""Bonds in IBKR exports end to end: a Flex report and an activity statement holding a Treasury
note, a corporate bond and stocks give, under every regime and in the batch, the figures a
positions table of the same rows gives, to the cent.

No IBKR export states a bond's class (ibflex's ``Types.OpenPosition`` and ``Types.SecurityInfo``
have cusip, isin, securityID and securityIDType, no class nor coupon): a US Treasury is read from
its CUSIP (issuer 912) or ISIN (US912…), check digit checked; another bond's class is the user's,
and an engine that needs it names the row and says what to add. The identifiers are real ones
(91282CJJ1: T 4 1/2 11/15/33; 037833AL4: AAPL 3.85 05/04/43; 00206RCN0: an AT&T note)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import xlmargin
from tests.books import flex_report
from xlmargin.brokers import import_broker
from xlmargin.brokers.bonds import is_treasury, valid_cusip, valid_isin
from xlmargin.cli import main
from xlmargin.errors import XlMarginError

AS_OF = dt.date(2026, 12, 4)
TABLE = """symbol,type,quantity,price,multiplier,currency,maturity,coupon,class
AAPL,stock,100,260,1,USD,,,
MSFT,stock,-50,480,1,USD,,,
T 4 1/2 11/15/33,bond,100000,99.5,0.01,USD,2033-11-15,4.5%,treasury
AAPL 3.85 05/04/43,bond,50000,88.25,0.01,USD,2043-05-04,3.85%,corporate
"""
POSITION = (
    '<OpenPosition accountId="{account}" currency="USD" fxRateToBase="1" assetCategory="{asset}" '
    'symbol="{symbol}" description="{description}" conid="{conid}" multiplier="{mult}" '
    'position="{qty}" markPrice="{price}" levelOfDetail="SUMMARY" {extra}/>'
)
STOCKS = (
    ("STK", "AAPL", "APPLE INC", "265598", "1", "100", "260", ""),
    ("STK", "MSFT", "MICROSOFT CORP", "272093", "1", "-50", "480", ""),
)
TREASURY = ("BOND", "T 4 1/2 11/15/33", "T 4 1/2 11/15/33", "9001", "0.01", "100000", "99.5")
CORPORATE = ("BOND", "AAPL 3.85 05/04/43", "AAPL 3.85 05/04/43", "9002", "0.01", "50000", "88.25")


def flex(
    tmp_path: Path,
    treasury: str = 'cusip="91282CJJ1"',
    corporate: str = 'cusip="037833AL4" class="corporate"',
    info: str = "",
    accounts: tuple[str, ...] = ("U1",),
) -> Path:
    rows = (*STOCKS, (*TREASURY, treasury), (*CORPORATE, corporate))
    keys = ("asset", "symbol", "description", "conid", "mult", "qty", "price", "extra")

    def positions(account: str) -> str:
        return (
            "".join("\n" + POSITION.format(account=account, **dict(zip(keys, r, strict=True))) for r in rows)
            + "\n"
        )

    return flex_report(tmp_path, positions, info, accounts)


INFO = "Financial Instrument Information"
SECURITY = '<SecuritiesInfo><SecurityInfo assetCategory="BOND" conid="9001" {} /></SecuritiesInfo>'


def statement(tmp_path: Path, corporate_class: str = "corporate", security_id: str = "US91282CJJ18") -> Path:
    lines = [
        "Statement,Header,Field Name,Field Value",
        "Account Information,Header,Field Name,Field Value",
        "Account Information,Data,Account,U1",
        "Account Information,Data,Base Currency,USD",
        "Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,"
        "Close Price,Class",
        "Open Positions,Data,Summary,Stocks,USD,AAPL,100,1,260,",
        "Open Positions,Data,Summary,Stocks,USD,MSFT,-50,1,480,",
        "Open Positions,Data,Summary,Bonds,USD,T 4 1/2 11/15/33,100000,0.01,99.5,",
        f"Open Positions,Data,Summary,Bonds,USD,AAPL 3.85 05/04/43,50000,0.01,88.25,{corporate_class}",
        f"{INFO},Header,Asset Category,Symbol,Description,Conid,Security ID,Multiplier,Type,Code",
        f"{INFO},Data,Stocks,AAPL,APPLE INC,265598,US0378331005,1,COMMON,",
        f"{INFO},Data,Bonds,T 4 1/2 11/15/33,United States Treasury T 4 1/2 11/15/33,"
        f"9001,{security_id},1,Govt,",
        f"{INFO},Data,Bonds,AAPL 3.85 05/04/43,APPLE INC AAPL 3.85 05/04/43,9002,US037833AL42,1,Corp,",
    ]
    path = tmp_path / "statement.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def table(tmp_path: Path) -> Path:
    path = tmp_path / "book.csv"
    path.write_text(TABLE, encoding="utf-8")
    return path


def cli_figure(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> float:
    code = main(["margin", str(path), "--as-of", AS_OF.isoformat(), "--format", "json", *options])
    out, err = capsys.readouterr()
    assert code == 0, err
    return float(json.loads(out)["requirement"])


REGIMES = [
    ("--regime", "regt"),
    ("--regime", "regt", "--basis", "maintenance"),  # regt_maintenance
    ("--regime", "pm"),
    ("--regime", "risk"),
    ("--regime", "account"),
]


@pytest.mark.parametrize("export", [flex, statement], ids=["flex", "statement"])
@pytest.mark.parametrize("options", REGIMES, ids=["regt", "regt_maintenance", "pm", "risk", "account"])
def test_an_export_of_bonds_gives_the_tables_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], export: object, options: tuple[str, ...]
) -> None:
    path = export(tmp_path)  # type: ignore[operator]
    assert cli_figure(capsys, path, *options) == cli_figure(capsys, table(tmp_path), *options)


def test_the_treasury_is_read_from_its_identifier_and_named_so(tmp_path: Path) -> None:
    for path, field in (
        (flex(tmp_path), "cusip"),
        (statement(tmp_path), "Financial Instrument Information Security ID"),
    ):
        imported = import_broker(path)
        column = imported.header.index("class")
        assert [row[column] for row in imported.rows] == [None, None, "treasury", "corporate"]
        assert imported.names[2]["class"] == field


@pytest.mark.parametrize("regime", ["regt", "pm", "risk"])
def test_the_batch_reads_the_bonds(tmp_path: Path, regime: str) -> None:
    path = flex(tmp_path, accounts=("U1", "U2"))
    result = xlmargin.batch(path, regime=regime, as_of=AS_OF).set_index("account")
    lines = TABLE.splitlines()
    book = tmp_path / "accounts.csv"
    book.write_text("\n".join(["account," + lines[0], *(f"U1,{line}" for line in lines[1:])]) + "\n")
    book = xlmargin.batch(book, regime=regime, as_of=AS_OF)
    assert list(result["requirement"]) == [book["requirement"][0]] * 2
    assert not any(result["error"])


def test_a_treasury_isin_in_securities_info_serves(tmp_path: Path) -> None:
    info = SECURITY.format('isin="US91282CJJ18"')
    path = flex(tmp_path, treasury="", info=info)
    assert xlmargin.regt_margin(str(path), as_of=AS_OF) == xlmargin.regt_margin(
        str(table(tmp_path)), as_of=AS_OF
    )


def test_a_bond_without_an_identifier_is_named_with_what_to_add(tmp_path: Path) -> None:
    """The ticker T is the Treasury's and AT&T's: without a CUSIP or ISIN the class is not read."""
    with pytest.raises(XlMarginError) as caught:
        xlmargin.regt_margin(str(flex(tmp_path, treasury="")), as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith("row 5, class: T 4 1/2 11/15/33: a bond needs its class")
    assert "it has no CUSIP or ISIN" in message and "'T' is AT&T's too" in message
    assert "add CUSIP or ISIN to the query's Open Positions or Securities Info section" in message


def test_a_corporate_bond_without_its_class_is_named_with_what_to_add(tmp_path: Path) -> None:
    with pytest.raises(XlMarginError) as caught:
        xlmargin.regt_margin(str(flex(tmp_path, corporate='cusip="037833AL4"')), as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith("row 6, class: AAPL 3.85 05/04/43: a bond needs its class")
    assert "its cusip 037833AL4 is not one's (CUSIP 912…, ISIN US912…)" in message
    assert 'give the position a class attribute (class="corporate")' in message
    with pytest.raises(XlMarginError) as caught:
        xlmargin.regt_margin(str(statement(tmp_path, corporate_class="")), as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith("row 9, Class: AAPL 3.85 05/04/43: a bond needs its class")
    assert "give the class in the Open Positions section's Class column (add one if it has none)" in message


def test_an_att_note_is_not_a_treasury(tmp_path: Path) -> None:
    """AT&T's ticker is T too; its CUSIP (issuer 00206R) is not the Treasury's."""
    path = flex(tmp_path, corporate='cusip="00206RCN0"')
    column = import_broker(path).header.index("class")
    assert import_broker(path).rows[3][column] is None


def test_identifiers_disagreeing_read_no_class(tmp_path: Path) -> None:
    path = flex(tmp_path, treasury='cusip="91282CJJ1" isin="US0378331005"')
    column = import_broker(path).header.index("class")
    assert import_broker(path).rows[2][column] is None


@pytest.mark.parametrize(
    ("code", "cusip", "isin", "treasury"),
    [
        ("91282CJJ1", True, False, True),  # a note
        ("912810TM0", True, False, True),  # a bond
        ("91282CJJ2", False, False, False),  # a wrong check digit
        ("037833AL4", True, False, False),
        ("US91282CJJ18", False, True, True),
        ("US91282CJJ19", False, False, False),
        ("US0378331005", False, True, False),
        ("XS91282CJJ18", False, False, False),  # not a US ISIN (check digit wrong too)
    ],
)
def test_identifiers(code: str, cusip: bool, isin: bool, treasury: bool) -> None:
    assert valid_cusip(code) is cusip and valid_isin(code) is isin
    assert (is_treasury(code) and (cusip or isin)) is treasury


def test_a_coupon_the_export_lacks_is_asked_for_as_the_user_can_give_it(tmp_path: Path) -> None:
    info = SECURITY.format('maturity="20331115"')
    path = flex(tmp_path, info=info)
    path.write_text(path.read_text().replace('"T 4 1/2 11/15/33"', '"US TREASURY N/B"'))
    with pytest.raises(XlMarginError) as caught:
        xlmargin.risk_margin(str(path), as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith("row 5, coupon: a bond needs a coupon")
    assert "IBKR's exports have no coupon field" in message
    assert 'give the position a coupon attribute (coupon="4.5")' in message


def test_a_statement_bond_nothing_dates_is_refused_naming_its_row(tmp_path: Path) -> None:
    path = statement(tmp_path)
    path.write_text(path.read_text().replace("T 4 1/2 11/15/33", "US TREASURY N/B"))
    with pytest.raises(XlMarginError) as caught:
        import_broker(path)
    message = str(caught.value)
    assert message.startswith("row 8, maturity: bond US TREASURY N/B has no maturity in statement.csv")
    assert "give the maturity in the Open Positions section's Maturity column" in message
