"""Bonds in a TWS / Client Portal portfolio CSV: the export's bond rows go through the one bond
reader (:mod:`xlmargin.brokers.bonds`) the Flex report and the activity statement use, so a TWS
export holding a Treasury note gives the figure the positions table of the same rows gives, to the
cent, under Reg T (initial and maintenance) and portfolio margin.

TWS writes a bond's description in its Financial Instrument column (``T 4 1/2 11/15/33``); the
maturity and coupon are read from it, a Treasury's class from a CUSIP, ISIN or Security ID column
(issuer 912). The identifiers are real ones (91282CJJ1, ISIN US91282CJJ18: T 4 1/2 11/15/33;
037833AL4: AAPL 3.85 05/04/43), as in tests/test_brokers_bond_class.py, whose table this is."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import xlmargin
from tests.test_brokers_bond_class import AS_OF, cli_figure, table
from xlmargin.brokers import import_broker
from xlmargin.errors import XlMarginError

HEADER = (
    "Financial Instrument,Asset Class,Position,Mark Price,Currency,Multiplier,FX Rate To Base,{ids},Class"
)
ROWS = (
    "AAPL,STK,100,260,USD,1,1,,",
    "MSFT,STK,-50,480,USD,1,1,,",
    "T 4 1/2 11/15/33,BOND,100000,99.5,USD,0.01,1,{treasury},",
    "AAPL 3.85 05/04/43,BOND,50000,88.25,USD,0.01,1,037833AL4,{corporate}",
)


def tws(
    tmp_path: Path, ids: str = "CUSIP", treasury: str = "91282CJJ1", corporate: str = "corporate"
) -> Path:
    rows = [r.format(treasury=treasury, corporate=corporate) for r in ROWS]
    path = tmp_path / "portfolio.csv"
    path.write_text("\n".join([HEADER.format(ids=ids), *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "options",
    [("--regime", "regt"), ("--regime", "regt", "--basis", "maintenance"), ("--regime", "pm")],
    ids=["regt", "regt_maintenance", "pm"],
)
def test_a_tws_export_of_bonds_gives_the_tables_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: tuple[str, ...]
) -> None:
    path = tws(tmp_path)
    assert import_broker(path).format == "ibkr-portfolio"
    assert cli_figure(capsys, path, *options) == cli_figure(capsys, table(tmp_path), *options)


@pytest.mark.parametrize(
    ("ids", "code"),
    [("CUSIP", "91282CJJ1"), ("ISIN", "US91282CJJ18"), ("Security ID", "US91282CJJ18")],
)
def test_the_treasury_is_read_from_its_identifier_column(tmp_path: Path, ids: str, code: str) -> None:
    imported = import_broker(tws(tmp_path, ids=ids, treasury=code))
    header = imported.header
    rows = [dict(zip(header, row, strict=True)) for row in imported.rows]
    assert [r["class"] for r in rows] == [None, None, "treasury", "corporate"]
    assert (rows[2]["maturity"], rows[2]["coupon"]) == ("2033-11-15", "4.5%")
    assert imported.names[2]["class"] == ids
    assert "cusip" not in header and "isin" not in header and "securityid" not in header
    assert xlmargin.regt_margin(str(tws(tmp_path, ids=ids, treasury=code)), as_of=AS_OF) == (
        xlmargin.regt_margin(str(table(tmp_path)), as_of=AS_OF)
    )


def regt_error(path: Path) -> str:
    with pytest.raises(XlMarginError) as caught:
        xlmargin.regt_margin(str(path), as_of=AS_OF)
    return str(caught.value)


def test_a_tws_bond_nothing_dates_is_refused_naming_its_row(tmp_path: Path) -> None:
    path = tws(tmp_path)
    path.write_text(path.read_text().replace("T 4 1/2 11/15/33", "US TREASURY N/B"))
    message = regt_error(path)
    assert message.startswith("row 4, maturity: bond US TREASURY N/B has no maturity in portfolio.csv")
    assert "give the maturity in a Maturity column (add one if the export has none)" in message


CLASS_FIX = "read the export into a positions table (xlmargin.import_broker), fill its class column"


@pytest.mark.parametrize(
    ("given", "start", "said"),
    [
        (
            {"treasury": ""},
            "row 4, Class: T 4 1/2 11/15/33: a bond needs its class",
            "the export has no CUSIP, ISIN or Security ID column, or a blank one on this row",
        ),
        (
            {"corporate": ""},
            "row 5, Class: AAPL 3.85 05/04/43: a bond needs its class",
            "its CUSIP 037833AL4",
        ),
        ({"corporate": "corprate"}, "row 5, Class: ", "'corprate'"),  # not a class: named as it is
    ],
    ids=["no identifier", "no class", "a bad class"],
)
def test_a_tws_bond_class_missing_or_bad_is_named_with_what_to_do(
    tmp_path: Path, given: dict[str, str], start: str, said: str
) -> None:
    message = regt_error(tws(tmp_path, **given))
    assert message.startswith(start) and said in message
    assert (CLASS_FIX in message) is (given.get("corporate") != "corprate")


def test_a_corporate_class_given_without_editing_the_export(tmp_path: Path) -> None:
    """The route that needs no edit of the file: the export read into a positions table, its
    corporate bond's class filled there, margined as that table."""
    book = xlmargin.import_broker(tws(tmp_path, corporate=""))
    assert pd.isna(book["class"].tolist()[3])
    book.loc[book["symbol"] == "AAPL 3.85 05/04/43", "class"] = "corporate"
    for basis in ("initial", "maintenance"):
        assert xlmargin.regt_margin(book, as_of=AS_OF, basis=basis) == xlmargin.regt_margin(
            str(table(tmp_path)), as_of=AS_OF, basis=basis
        )
    assert xlmargin.pm_requirement(book, as_of=AS_OF) == xlmargin.pm_requirement(
        str(table(tmp_path)), as_of=AS_OF
    )
