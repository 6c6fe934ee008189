"""Input guards and messages left open by the reviews (regression tests, no published figures):

- ``--max-cells`` / ``max_cells=`` reach the reader from ``xlmargin margin``, ``xlmargin batch`` and
  the Python API, and a broker export (activity statement, portfolio CSV, Flex XML) is read
  through the same guard; with no limit given a CSV or an export has none (a desk's 10,000-account
  batch is 5,000,000 cells);
- an IBKR/TWS description with a strike and no C or P ('SPY 19MAR27 450') was one share of stock;
- batch account ids: padded ids are one account, ids differing only in case are warned of;
- an accounting-style negative percent '(5%)' reads as -5% as '-5%' does, where a percent is read;
- covariance and broker-export messages quote a long user value by its first characters;
- a reader warning naming rows carries them (the batch gave warnings to accounts by a regex).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import xlmargin
from xlmargin import files
from xlmargin.api import rows_of
from xlmargin.batch import batch
from xlmargin.batch.sources import WARNINGS
from xlmargin.brokers import import_accounts, import_broker, read_broker
from xlmargin.cells import to_number, typed_percent
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.positions import read_positions
from xlmargin.positions.infer import RowsWarning
from xlmargin.stress.covariance import parse_covariance
from xlmargin.symbols import SymbolError, parse_option

DATA = Path(__file__).parent / "data"
AS_OF = "2025-12-31"  # the Flex fixture's reportDate
LONG = "Z" * 40_000
EXPORTS = ["ibkr_flex.xml", "ibkr_statement.csv", "ibkr_portfolio.csv"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _book(tmp_path: Path) -> Path:
    return _write(tmp_path, "book.csv", "symbol,type,quantity,price\nAAPL,stock,100,150\nMSFT,stock,10,300\n")


# --- 1. size limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPORTS)
def test_a_broker_export_is_read_through_the_cell_limit_when_one_is_given(name: str) -> None:
    with pytest.raises(InputError, match=rf"^{name}: [\d,]+ cells or more, over the 20 a positions file"):
        import_broker(DATA / name, max_cells=20)
    with pytest.raises(InputError, match="over the 20"):
        rows_of(DATA / name, max_cells=20)
    assert import_broker(DATA / name, max_cells=100_000).rows == import_broker(DATA / name).rows


def test_a_flex_report_of_several_accounts_is_read_through_the_limit_too() -> None:
    with pytest.raises(InputError, match="over the 20 a positions file"):
        import_accounts(DATA / "ibkr_flex.xml", max_cells=20)
    with pytest.raises(InputError, match="over the 20 a positions file"):
        read_broker(DATA / "ibkr_flex.xml", as_of=pd.Timestamp(AS_OF).date(), max_cells=20)


def test_margin_takes_max_cells(tmp_path: Path, capsys: Any) -> None:
    path = _book(tmp_path)
    assert main(["margin", str(path), "--max-cells", "5", "--as-of", AS_OF]) == 2
    assert capsys.readouterr().err.strip() == (
        "xlmargin: book.csv: 13 cells or more, over the 5 a positions file may hold (max_cells); split it"
    )
    assert main(["margin", str(path), "--max-cells", "13", "--as-of", AS_OF]) == 0
    capsys.readouterr()
    assert main(["margin", str(DATA / "ibkr_flex.xml"), "--max-cells", "20", "--as-of", AS_OF]) == 2
    assert "ibkr_flex.xml: 50 cells or more, over the 20" in capsys.readouterr().err
    assert main(["margin", str(path), "--max-cells", "0"]) == 2  # argparse: a whole number above 0
    assert "argument --max-cells: '0' is not a whole number above 0" in capsys.readouterr().err


def test_batch_takes_max_cells(tmp_path: Path, capsys: Any) -> None:
    path = _write(tmp_path, "accounts.csv", "account,symbol,quantity,price\nA,AAPL,100,150\nB,MSFT,10,300\n")
    assert main(["batch", str(path), "--regime", "regt", "--max-cells", "5", "--as-of", AS_OF]) == 2
    assert "accounts.csv: 13 cells or more, over the 5" in capsys.readouterr().err
    assert main(["batch", str(DATA / "ibkr_flex.xml"), "--max-cells", "20", "--as-of", AS_OF]) == 2
    assert "over the 20" in capsys.readouterr().err
    with pytest.raises(InputError, match="over the 5"):
        batch(path, regime="regt", as_of=AS_OF, max_cells=5)
    parquet = tmp_path / "accounts.parquet"
    pd.DataFrame({"account": ["A"], "symbol": ["AAPL"], "quantity": [100], "price": [150.0]}).to_parquet(
        parquet
    )
    with pytest.raises(InputError, match=r"accounts\.parquet: 4 cells or more, over the 3"):
        batch(parquet, regime="regt", as_of=AS_OF, max_cells=3)
    assert batch(parquet, regime="regt", as_of=AS_OF, max_cells=4)["requirement"].tolist() == [7_500.0]


def test_the_python_api_takes_max_cells(tmp_path: Path) -> None:
    path = _book(tmp_path)
    for call in (
        lambda: rows_of(path, max_cells=5),
        lambda: xlmargin.read_positions(path, as_of=AS_OF, max_cells=5),
        lambda: xlmargin.regt_margin(path, as_of=AS_OF, max_cells=5),
        lambda: xlmargin.regt_breakdown(path, max_cells=5, as_of=AS_OF),
    ):
        with pytest.raises(InputError, match="over the 5 a positions file"):
            call()
    assert xlmargin.regt_margin(path, as_of=AS_OF, max_cells=13) == xlmargin.regt_margin(path, as_of=AS_OF)


def test_no_limit_is_applied_to_a_csv_or_an_export_unless_given(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A desk's batch of 10,000 accounts (5,000,000 cells in a CSV) reads with the defaults: no
    default limit is counted against a CSV, a Parquet file or an export at all."""

    def refused(*args: Any) -> None:
        raise AssertionError("a limit was applied by default")

    monkeypatch.setattr(files, "cells_checked", refused)
    path = _write(tmp_path, "accounts.csv", "account,symbol,quantity,price\nA,AAPL,100,150\nB,MSFT,10,300\n")
    assert main(["batch", str(path), "--regime", "regt", "--as-of", AS_OF]) == 0
    assert main(["margin", str(_book(tmp_path)), "--as-of", AS_OF]) == 0
    for name in EXPORTS:
        rows_of(DATA / name)
    assert len(batch(DATA / "ibkr_flex.xml", regime="regt", as_of=AS_OF)) == 1
    capsys.readouterr()


# --- 2. an option description without C or P -----------------------------------------------------


@pytest.mark.parametrize(
    "symbol",
    ["SPY 19MAR27 450", "SPY 19MAR27 450.5", "SPY MAR19'27 450", "BRK B 19MAR27 450", "SPY 19MAR2027 450"],
)
def test_a_description_without_c_or_p_is_refused_naming_row_and_column(symbol: str) -> None:
    with pytest.raises(InputError) as info:
        read_positions([["symbol", "quantity", "price"], [symbol, 1, 5.0]], as_of=pd.Timestamp(AS_OF).date())
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (2, "symbol")
    assert "no C or P: call or put?" in problem.message


def test_a_description_without_c_or_p_on_an_option_row_is_refused() -> None:
    table = [["symbol", "type", "quantity", "price"], ["SPY 19MAR27 450", "option", 1, 5.0]]
    with pytest.raises(InputError, match="no C or P"):
        read_positions(table, as_of=pd.Timestamp(AS_OF).date())


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        (["T 15MAY27 4.5", "bond", 100_000, 99.5, "treasury", 0.045, "2027-05-15"], "bond"),
        (["SPY 19MAR27 450", "stock", 100, 500.0, None, None, None], "stock"),
    ],
)
def test_a_row_typed_otherwise_keeps_its_type_with_a_warning(row: list[Any], kind: str) -> None:
    """A Treasury written 'T 15MAY27 4.5' has the shape of an option without C or P; a row that says
    it is a bond (or a stock) is margined as one, with the warning of rows that read like options."""
    header = ["symbol", "type", "quantity", "price", "asset_class", "coupon", "maturity"]
    portfolio = read_positions([header, row], as_of=pd.Timestamp(AS_OF).date())
    (position,) = portfolio.positions
    assert position.type == kind
    assert any("reads like an option" in w for w in portfolio.warnings)


@pytest.mark.parametrize(
    "text",
    ["SPY", "BRK B", "BRK/B", "912828XY9", "US0378331005", "T 3.25 05/15/2030", "ESZ6", "SPY 19XYZ27 450"],
)
def test_what_is_no_option_stays_so(text: str) -> None:
    assert parse_option(text) is None


def test_the_description_with_its_right_still_reads() -> None:
    assert parse_option("SPY 19MAR27 450 C") is not None
    with pytest.raises(SymbolError, match="no C or P"):
        parse_option("SPY 19MAR27 450")


# --- 3. batch account ids ------------------------------------------------------------------------

CLEAN = [
    ["account", "symbol", "quantity", "price"],
    ["a", "AAPL", 100, 150.0],
    ["a", "MSFT", 10, 300.0],
    ["b", "IBM", 5, 100.0],
]


@pytest.mark.parametrize("as_frame", [False, True])
def test_padded_account_ids_are_one_account(as_frame: bool) -> None:
    padded = [CLEAN[0], [" a ", *CLEAN[1][1:]], ["a\t", *CLEAN[2][1:]], ["  b", *CLEAN[3][1:]]]
    data = pd.DataFrame(padded[1:], columns=padded[0]) if as_frame else padded
    got = batch(data, regime="regt", as_of=AS_OF)
    want = batch(CLEAN, regime="regt", as_of=AS_OF)
    pd.testing.assert_frame_equal(got, want)
    assert got["account"].tolist() == ["a", "b"] and got.attrs[WARNINGS] == []


def test_ids_differing_only_in_case_are_two_accounts_and_a_warning_names_both(capsys: Any) -> None:
    table = [*CLEAN, ["A", "IBM", 5, 100.0]]
    got = batch(table, regime="regt", as_of=AS_OF)
    assert got["account"].tolist() == ["a", "b", "A"]
    assert got["requirement"].tolist() == [*batch(CLEAN, regime="regt", as_of=AS_OF)["requirement"], 250.0]
    (warning,) = got.attrs[WARNINGS]
    assert warning == (
        "accounts 'a' and 'A' differ only in case: margined as 2 accounts (account ids are case-sensitive); "
        "if they are one account, write its id one way",
        "",
    )


def test_flex_account_ids_differing_in_case_are_warned_of(tmp_path: Path) -> None:
    text = (DATA / "ibkr_flex.xml").read_text()
    second = text.replace('accountId="U1234567"', 'accountId="u1234567"')
    start, end = second.index("<FlexStatement "), second.index("</FlexStatements>")
    both = _write(
        tmp_path, "two.xml", text.replace("</FlexStatements>", second[start:end] + "</FlexStatements>")
    )
    got = batch(both, regime="regt", as_of=AS_OF)
    assert got["account"].tolist() == ["U1234567", "u1234567"]
    assert [w for w, _ in got.attrs[WARNINGS] if "differ only in case" in w] == [
        "accounts 'U1234567' and 'u1234567' differ only in case: margined as 2 accounts (account ids are "
        "case-sensitive); if they are one account, write its id one way"
    ]


# --- 4. accounting-style negative percents -------------------------------------------------------


@pytest.mark.parametrize("text", ["(5%)", "( 5 % )", "($5%)"])
def test_an_accounting_negative_percent_reads_as_minus_five_percent(text: str) -> None:
    assert to_number(text) == to_number("-5%") == to_number("−5%") == (-0.05, None)
    assert typed_percent(text)


def test_where_a_negative_percent_is_meaningless_it_is_refused_as_minus_five_percent_is() -> None:
    header = ["symbol", "type", "quantity", "price", "underlying_price", "volatility"]
    rows = [
        header,
        ["SPY 270319C00450000", "option", -1, 5.0, 450.0, "(20%)"],
        ["SPY 270319P00450000", "option", -1, 5.0, 450.0, "-20%"],
        ["AAPL", "stock", 100, "(5%)", None, None],
    ]
    with pytest.raises(InputError) as info:
        read_positions(rows, as_of=pd.Timestamp(AS_OF).date())
    messages = [(p.row, p.column, p.message) for p in info.value.problems]
    assert (
        messages[0][2] == messages[1][2] == "volatility must be positive (a decimal such as 0.25), got -0.2"
    )
    assert [m[:2] for m in messages] == [(2, "volatility"), (3, "volatility"), (4, "price")]
    assert messages[2][2].startswith("'(5%)' is a percentage, but price is an amount")


# --- 5. long values echoed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "matrix",
    [
        [["", LONG], [LONG, 400]],  # a factor name
        [["", "us_equity"], ["us_equity", [LONG]]],  # a cell that is no number
        LONG,  # a single value
    ],
)
def test_covariance_messages_quote_a_long_value_shortened(matrix: Any) -> None:
    with pytest.raises(InputError) as info:
        parse_covariance(matrix)
    assert len(str(info.value)) < 2_000 and "characters)" in str(info.value)


def test_a_long_asset_class_in_an_export_is_shortened(tmp_path: Path) -> None:
    text = (DATA / "ibkr_flex.xml").read_text().replace('assetCategory="STK"', f'assetCategory="{LONG}"', 1)
    with pytest.raises(InputError) as info:
        import_broker(_write(tmp_path, "long.xml", text))
    assert "asset class 'ZZZ" in str(info.value) and "(40,000 characters)" in str(info.value)
    assert len(str(info.value)) < 2_000


def test_a_long_account_id_in_a_flex_report_of_several_is_shortened(tmp_path: Path) -> None:
    text = (DATA / "ibkr_flex.xml").read_text()
    second = text.replace('accountId="U1234567"', f'accountId="{LONG}"')
    start, end = second.index("<FlexStatement "), second.index("</FlexStatements>")
    both = _write(
        tmp_path, "two.xml", text.replace("</FlexStatements>", second[start:end] + "</FlexStatements>")
    )
    with pytest.raises(InputError, match="2 accounts") as info:
        import_broker(both)
    assert len(str(info.value)) < 2_000


# --- 6. warnings naming rows carry them ----------------------------------------------------------


def test_a_warning_naming_rows_carries_every_row_and_survives_a_pickle() -> None:
    rows = [["symbol", "type", "quantity", "price"]] + [["UST C", "stock", 1, 10.0]] * 12
    (warning,) = read_positions(rows, as_of=pd.Timestamp(AS_OF).date()).warnings
    assert isinstance(warning, RowsWarning) and warning.rows == tuple(range(2, 14))
    assert "and" in warning.split(":")[0]  # the text lists some, the rows are all there
    copy = pickle.loads(pickle.dumps(warning))
    assert (copy, copy.rows, type(copy)) == (warning, warning.rows, RowsWarning)
