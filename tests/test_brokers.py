"""Broker exports: the same book as an IBKR Flex XML, an activity statement and a portfolio CSV.

tests/data/ibkr_book.csv is the book as a canonical positions table; the three exports state the
same positions as IBKR writes them (the Flex report also carries tax-lot rows, the statement lots
and subtotals, which must not be counted twice). Every format must give the canonical figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from xlmargin.brokers import FORMATS, detect, import_broker, read_broker
from xlmargin.errors import InputError
from xlmargin.money import cents
from xlmargin.params import read_params
from xlmargin.pm import PM_PARAMS, pm_requirement, pm_settings
from xlmargin.positions import Portfolio, read_positions
from xlmargin.regt import regt_margin

DATA = Path(__file__).parent / "data"
AS_OF = dt.date(2025, 12, 31)  # the Flex report's reportDate
EXPORTS = {
    "ibkr_flex.xml": "ibkr-flex",
    "ibkr_statement.csv": "ibkr-statement",
    "ibkr_portfolio.csv": "ibkr-portfolio",
}
SPX_PUT = "SPX Dec18'26 5600 Put,OPT,SPX,-1,61.30,USD,100,P,5600,20261218,1,-6130.00,70.10,880.00"


def figures(portfolio: Portfolio) -> tuple[float, ...]:
    pm = pm_requirement(portfolio, pm_settings(read_params([f"as_of={AS_OF}"], PM_PARAMS), AS_OF))
    return (
        cents(regt_margin(portfolio, basis="initial").total),
        cents(regt_margin(portfolio, basis="maintenance").total),
        cents(regt_margin(portfolio, basis="initial", net_of_proceeds=True).total),
        cents(pm.requirement),
    )


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_margins_like_the_canonical_table(name: str) -> None:
    canonical = figures(read_positions(DATA / "ibkr_book.csv", as_of=AS_OF))
    assert figures(read_broker(DATA / name, as_of=AS_OF)) == canonical
    assert len(import_broker(DATA / name).rows) == 8  # lots and totals dropped


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_the_format_is_detected_from_content(name: str, tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((DATA / name).read_bytes())
    assert detect(renamed) == EXPORTS[name]


@pytest.mark.parametrize("name", ["ibkr_statement.csv", "ibkr_portfolio.csv"])
def test_an_export_saved_as_unicode_text_is_detected_and_read(name: str, tmp_path: Path) -> None:
    """Excel's "Unicode Text": UTF-16 with its byte-order mark, cells separated by tabs."""
    with (DATA / name).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    text = io.StringIO()
    csv.writer(text, delimiter="\t", lineterminator="\r\n").writerows(rows)
    saved = tmp_path / "export.txt"
    saved.write_bytes(text.getvalue().encode("utf-16"))
    assert detect(saved) == EXPORTS[name]
    assert figures(read_broker(saved, as_of=AS_OF)) == figures(read_broker(DATA / name, as_of=AS_OF))


def test_a_positions_table_is_not_a_broker_export() -> None:
    assert detect(DATA / "ibkr_book.csv") is None
    with pytest.raises(InputError, match="is not a broker export xlmargin reads"):
        import_broker(DATA / "ibkr_book.csv")


def test_options_take_the_underlying_price_from_its_stock_row() -> None:
    table = import_broker(DATA / "ibkr_flex.xml").table()
    assert table[7] == [] and table[8][0] == "AAPL  260116C00260000"  # each position at its file row (9)
    option = dict(zip(table[0], table[8], strict=True))
    assert (option["type"], option["underlying"], option["underlying_price"]) == ("option", "AAPL", 250.42)
    assert (option["strike"], option["expiry"], option["right"]) == (260.0, "20260116", "C")


def test_statement_options_read_their_terms_from_the_description_and_rates_from_their_section() -> None:
    rows = [dict(zip(*[import_broker(DATA / "ibkr_statement.csv").table()[0]], r, strict=True))
            for r in import_broker(DATA / "ibkr_statement.csv").rows]  # fmt: skip
    spy_put = next(r for r in rows if r["symbol"] == "SPY 20MAR26 650 P")
    assert (spy_put["expiry"], spy_put["strike"], spy_put["right"]) == ("2026-03-20", 650.0, "P")
    assert next(r for r in rows if r["symbol"] == "SAP")["fx_rate"] == 1.1745


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_truncated_xml_is_one_line_naming_the_row(tmp_path: Path) -> None:
    text = (DATA / "ibkr_flex.xml").read_text()
    path = _write(tmp_path, "cut.xml", text[: len(text) // 2])
    with pytest.raises(InputError) as info:
        import_broker(path)
    assert "truncated or malformed" in str(info.value)
    assert info.value.problems[0].row is not None
    assert "\n" not in str(info.value)


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE FlexQueryResponse [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<FlexQueryResponse><FlexStatements><FlexStatement accountId="U1"><OpenPositions>'
        '<OpenPosition symbol="&b;" assetCategory="STK" position="1" markPrice="1"/>'
        "</OpenPositions></FlexStatement></FlexStatements></FlexQueryResponse>"
    )
    with pytest.raises(InputError, match="refused"):
        import_broker(_write(tmp_path, "bomb.xml", bomb))


def test_a_report_of_two_accounts_is_refused(tmp_path: Path) -> None:
    text = (DATA / "ibkr_flex.xml").read_text()
    second = text.replace('accountId="U1234567"', 'accountId="U7654321"')
    start, end = second.index("<FlexStatement "), second.index("</FlexStatements>")
    both = text.replace("</FlexStatements>", second[start:end] + "</FlexStatements>")
    with pytest.raises(InputError, match="2 accounts"):
        import_broker(_write(tmp_path, "two.xml", both))


def test_a_csv_export_whose_rows_name_two_accounts_is_refused_at_the_second(tmp_path: Path) -> None:
    # read as one book before: the accounts' positions were added up
    lines = (DATA / "ibkr_portfolio.csv").read_text().splitlines()
    named = [lines[0] + ",Account"] + [
        f"{line},{'U2' if i > 3 else 'U1'}" for i, line in enumerate(lines[1:], 1)
    ]
    path = _write(tmp_path, "two.csv", "\n".join(named) + "\n")
    with pytest.raises(InputError, match=r"^row 5, Account: two.csv: its rows name 2 accounts \(U1, U2\)"):
        import_broker(path)
    one = _write(tmp_path, "one.csv", "\n".join(named).replace(",U2", ",U1") + "\n")
    assert import_broker(one).rows == import_broker(DATA / "ibkr_portfolio.csv").rows


def test_an_index_option_without_its_underlying_row_asks_for_the_column(tmp_path: Path) -> None:
    text = (DATA / "ibkr_portfolio.csv").read_text().splitlines()
    text.append(SPX_PUT)
    path = _write(tmp_path, "spx.csv", "\n".join(text) + "\n")
    with pytest.raises(InputError) as info:
        import_broker(path)
    problem = info.value.problems[0]
    assert (problem.row, problem.column) == (10, "underlying_price")
    assert "no SPX row" in problem.message and "Underlying Price" in problem.message


def test_an_underlying_price_column_serves_options_on_indexes(tmp_path: Path) -> None:
    text = (DATA / "ibkr_portfolio.csv").read_text().splitlines()
    lines = [text[0] + ",Underlying Price"] + [line + "," for line in text[1:]]
    lines.append(SPX_PUT + ",6845.50")
    portfolio = read_broker(_write(tmp_path, "spx.csv", "\n".join(lines) + "\n"), as_of=AS_OF)
    assert len(portfolio) == 9


def test_a_row_of_the_wrong_width_is_named(tmp_path: Path) -> None:
    text = (DATA / "ibkr_statement.csv").read_text().replace("Stocks,USD,MSFT,300,1,", "Stocks,USD,MSFT,300,")
    with pytest.raises(InputError, match=r"^row 23: bad.csv: the row has 11 cells where the header has 12$"):
        import_broker(_write(tmp_path, "bad.csv", text))


def test_reader_errors_name_the_export_row_and_field(tmp_path: Path) -> None:
    text = (DATA / "ibkr_portfolio.csv").read_text().replace(",483.62,USD", ",n/a,USD")
    with pytest.raises(InputError, match=r"^row 4, Mark Price: 'n/a' is not a number \(\+2 more\)$") as info:
        read_broker(_write(tmp_path, "bad.csv", text), as_of=AS_OF)
    # the two MSFT puts take their underlying price from that row, and say so at their own rows
    where = [(p.row, p.column) for p in info.value.problems[1:]]
    assert where == [(5, "underlying_price"), (6, "underlying_price")]
    flex = (DATA / "ibkr_flex.xml").read_text().replace('position="300"', 'position="three hundred"')
    with pytest.raises(InputError, match=r"^row 10, position: 'three hundred' is not a number$"):
        read_broker(_write(tmp_path, "bad.xml", flex), as_of=AS_OF)


def test_a_decimal_comma_in_an_activity_statement_is_named_at_its_row_and_field(tmp_path: Path) -> None:
    line = "Open Positions,Data,Summary,Stocks,USD,MSFT,300,1,412.75,123825,483.62,"
    text = (DATA / "ibkr_statement.csv").read_text()
    assert line in text
    spoilt = text.replace(line, line.replace("483.62", '"483,62"'))  # read as 48362 before
    why = "'483,62' is not a number: a comma is read only as a thousands separator"
    with pytest.raises(InputError, match=f"^row 23, Close Price: {why}") as info:
        read_broker(_write(tmp_path, "statement.csv", spoilt), as_of=AS_OF)
    assert [(p.row, p.column) for p in info.value.problems] == [
        (23, "Close Price"),
        (27, "underlying_price"),
        (28, "underlying_price"),
    ]


def test_an_unknown_asset_class_is_named(tmp_path: Path) -> None:
    text = (DATA / "ibkr_portfolio.csv").read_text().replace("SAP,STK", "SAP,WAR")
    with pytest.raises(InputError, match=r"^row 9, Asset Class: asset class 'WAR' is not one"):
        import_broker(_write(tmp_path, "war.csv", text))


def test_every_ibkr_asset_class_maps_to_a_position_type(tmp_path: Path) -> None:
    rows = [
        "Financial Instrument,Asset Class,Underlying Symbol,Position,Mark Price,Currency,Multiplier,"
        "Put/Call,Strike,Last Trading Day",
        "ESH6,FUT,ES,2,6890.25,USD,50,,,20260320",
        "ES Mar20'26 6500 Put,FOP,ES,-1,48.50,USD,50,P,6500,20260320",
        "EUR.USD,CASH,,25000,1.1745,USD,1,,,",
        "T 4 1/4 05/15/31,BOND,,100000,99.20,USD,1,,,",
        "IBDE40,CFD,,10,24310.5,EUR,1,,,",
    ]
    path = _write(tmp_path, "all.csv", "\n".join(rows) + "\n")
    table = import_broker(path)
    assert [r[1] for r in table.rows] == ["future", "future_option", "fx", "bond", "cfd"]
    assert table.rows[1][5] == 6890.25  # the option on ES takes the ES future's price
    assert table.rows[2][0] == "EURUSD"


def test_a_flex_report_on_one_line_numbers_its_positions(tmp_path: Path) -> None:
    text = (DATA / "ibkr_flex.xml").read_text().replace("\n<", "<").replace('position="300"', 'position="x"')
    path = _write(tmp_path, "oneline.xml", text)
    assert len(import_broker(path).rows) == 8
    with pytest.raises(InputError, match=r"^row 4, position: 'x' is not a number$"):  # the third position
        read_broker(path, as_of=AS_OF)


def test_other_xml_and_csv_files_are_refused(tmp_path: Path) -> None:
    for name, text in (("other.xml", "<workbook><sheet/></workbook>"), ("other.csv", "a,b\n1,2\n")):
        with pytest.raises(InputError, match="is not a broker export xlmargin reads"):
            import_broker(_write(tmp_path, name, text))


def _lots_only(text: str, line: str, quantities: tuple[str, ...], summary: str, lot: str) -> str:
    """``text`` with the summary row ``line`` replaced by one lot row per quantity."""
    lots = [
        line.replace(summary, lot).replace('"100"', f'"{q}"').replace(",100,", f",{q},") for q in quantities
    ]
    return text.replace(line, "\n".join(lots))


@pytest.mark.parametrize("quantities", [("100",), ("60", "40")])
def test_a_flex_position_reported_by_lots_alone_is_their_sum(
    tmp_path: Path, quantities: tuple[str, ...]
) -> None:
    # SAP's summary row replaced by lot rows: it was dropped, and portfolio margin fell by its share
    text = (DATA / "ibkr_flex.xml").read_text()
    line = next(row for row in text.splitlines() if 'symbol="SAP"' in row)
    path = tmp_path / "flex.xml"
    path.write_text(_lots_only(text, line, quantities, 'levelOfDetail="SUMMARY"', 'levelOfDetail="LOT"'))
    assert len(import_broker(path).rows) == 8
    assert figures(read_broker(path, as_of=AS_OF)) == figures(
        read_broker(DATA / "ibkr_flex.xml", as_of=AS_OF)
    )


def test_a_statement_position_reported_by_lots_alone_is_their_sum(tmp_path: Path) -> None:
    text = (DATA / "ibkr_statement.csv").read_text()
    line = next(row for row in text.splitlines() if ",SAP,100," in row)
    path = tmp_path / "statement.csv"
    path.write_text(_lots_only(text, line, ("70", "30"), ",Summary,", ",Lot,"))
    assert figures(read_broker(path, as_of=AS_OF)) == figures(
        read_broker(DATA / "ibkr_statement.csv", as_of=AS_OF)
    )


def test_a_statement_option_named_by_its_osi_symbol_states_its_terms(tmp_path: Path) -> None:
    # it was refused: "states no underlying, strike, expiry, right"
    text = (DATA / "ibkr_statement.csv").read_text().replace("AAPL 16JAN26 260 C", "AAPL  260116C00260000")
    path = tmp_path / "statement.csv"
    path.write_text(text)
    assert figures(read_broker(path, as_of=AS_OF)) == figures(
        read_broker(DATA / "ibkr_statement.csv", as_of=AS_OF)
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("AAPL  260116C00260000", "AAPL  261316C00260000"))
    with pytest.raises(InputError, match="row 26, Symbol: 'AAPL  261316C00260000'"):
        import_broker(bad)


# --- an account based in euros: IBKR's rates are to the base currency, fx_rate is USD per unit ------

EUR_PER_USD = 1 / 1.1745  # the fixtures' EUR at 1.1745 USD, from a euro account


def _euro_based(name: str, text: str, stated: bool = True) -> str:
    """The fixture as a EUR-based account exports it: every rate to EUR instead of USD."""
    usd, gbp = repr(EUR_PER_USD), repr(1.3462 * EUR_PER_USD)
    if name == "ibkr_flex.xml":
        text = text.replace('fxRateToBase="1"', f'fxRateToBase="{usd}"').replace('"1.1745"', '"1"')
        info = '<AccountInformation accountId="U1234567" currency="EUR" />\n' if stated else ""
        return text.replace("<OpenPositions>", f"{info}<OpenPositions>")
    if name == "ibkr_statement.csv":
        text = text.replace("Base Currency,USD", "Base Currency,EUR").replace(
            "Data,EUR,1.1745", f"Data,USD,{usd}"
        )
        return text.replace("Data,GBP,1.3462", f"Data,GBP,{gbp}")
    return text.replace(",1,150252", f",{usd},150252").replace(",1,-", f",{usd},-").replace(
        ",1,145086", f",{usd},145086").replace(",1,136384", f",{usd},136384").replace(
        ",1,3420", f",{usd},3420").replace(",1,3940", f",{usd},3940").replace(",1.1745,", ",1,")  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_an_export_of_a_euro_based_account_gives_fx_rate_in_dollars(name: str, tmp_path: Path) -> None:
    # fxRateToBase went into fx_rate as it was: the dollar rows at 0.85 (ignored), SAP at 1 USD per EUR
    path = _write(tmp_path, name, _euro_based(name, (DATA / name).read_text(encoding="utf-8")))
    table = import_broker(path)
    rates = {(r[0], r[10]): r[11] for r in table.rows}
    assert {rate for (_, currency), rate in rates.items() if currency == "USD"} == {1.0}
    assert rates[("SAP", "EUR")] == pytest.approx(1.1745, rel=1e-12)
    canonical = figures(read_positions(DATA / "ibkr_book.csv", as_of=AS_OF))
    assert figures(read_broker(path, as_of=AS_OF)) == pytest.approx(canonical, abs=0.01)


def test_a_flex_report_that_states_no_base_is_read_by_its_dollar_rows_rate(tmp_path: Path) -> None:
    text = _euro_based("ibkr_flex.xml", (DATA / "ibkr_flex.xml").read_text(encoding="utf-8"), stated=False)
    rates = {r[0]: r[11] for r in import_broker(_write(tmp_path, "flex.xml", text)).rows}
    assert rates["AAPL"] == 1.0 and rates["SAP"] == pytest.approx(1.1745, rel=1e-12)


def test_a_euro_based_export_without_a_dollar_rate_leaves_the_rates_blank(tmp_path: Path) -> None:
    # SAP at fxRateToBase 1 is 1 EUR per EUR: not a dollar rate; the engine asks for one
    from xlmargin.errors import MissingDataError

    text = (DATA / "ibkr_flex.xml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "<OpenPosition " not in line or 'symbol="SAP"' in line]
    for stated in (True, False):
        info = '<AccountInformation accountId="U1234567" currency="EUR" />\n' if stated else ""
        euro = (
            "\n".join(lines).replace('"1.1745"', '"1"').replace("<OpenPositions>", f"{info}<OpenPositions>")
        )
        path = _write(tmp_path, "euro.xml", euro)
        assert [r[11] for r in import_broker(path).rows] == [None]
        with pytest.raises(MissingDataError, match="fx_rate: a position in EUR needs the USD value"):
            regt_margin(read_broker(path, as_of=AS_OF))


GBP_ONLY = """Financial Instrument,Asset Class,Position,Mark Price,Currency,Multiplier,FX Rate To Base
VOD,STK,10000,0.72,GBP,1,1.15
BP.,STK,5000,4.50,GBP,1,1.15
"""  # a TWS portfolio of a euro-based account: GBP at 1.15 EUR; no base stated, no USD row, nothing at 1


def test_an_export_that_does_not_show_its_base_leaves_its_rates_blank_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # read as USD-based, 1.15 EUR per GBP was taken as 1.15 USD per GBP: Reg T 17,077.50, silently
    from xlmargin.cli import main
    from xlmargin.errors import MissingDataError

    path = _write(tmp_path, "gbp_only.csv", GBP_ONLY)
    table = import_broker(path)
    assert [r[11] for r in table.rows] == [None, None]
    assert (table.base.currency, table.base.per_usd, table.base.unread) == (None, None, (0, 1))
    assert table.warnings == (
        f"rows 2, 3, FX Rate To Base: {table.base.why_unread()}; give each row's fx_rate (USD per unit) "
        "in a positions table, or read the export in the account view with account_currency = its base, "
        "fx.USD and fx.<CCY> (base units per unit)",
    )
    assert "does not show" in table.warnings[0]
    book = read_broker(path, as_of=AS_OF)
    assert book.warnings[0] == table.warnings[0]
    with pytest.raises(MissingDataError, match="fx_rate: a position in GBP needs the USD value"):
        regt_margin(book)
    # the command names each row and the export's column, and says why the rate is blank
    assert main(["margin", str(path), "--regime", "regt", "--as-of", str(AS_OF)]) != 0
    err = capsys.readouterr().err
    assert "row 2, FX Rate To Base: a position in GBP needs the USD value" in err
    assert "row 3, FX Rate To Base:" in err and "which the export does not show" in err
    # the warning's advice: the account view in the base, given fx.USD and fx.GBP in it
    figure = _account_figure(capsys, path, "account_currency=EUR", "fx.USD=0.85", "fx.GBP=1.15")
    assert figure == pytest.approx(cents((0.72 * 10000 + 4.5 * 5000) * 1.15 * 0.5), abs=0.01)  # 17,077.50 EUR
    params = ["--param=account_currency=EUR", "--param=fx.USD=0.85", "--param=fx.GBP=1.15"]
    assert main(["margin", str(path), "--regime", "account", "--as-of", str(AS_OF), *params]) == 0
    assert f"warning: {table.warnings[0]}" in capsys.readouterr().err


def test_an_export_that_shows_a_dollar_base_is_read_as_it_was(tmp_path: Path) -> None:
    # a USD row at 1 or a stated base USD: the rates are USD per unit, as before
    with_dollar = GBP_ONLY.replace("1.15\n", "1.27\n") + "AAPL,STK,100,250,USD,1,1\n"
    table = import_broker(_write(tmp_path, "usd.csv", with_dollar))
    assert [r[11] for r in table.rows] == [1.27, 1.27, 1.0] and table.warnings == ()
    assert (table.base.currency, table.base.per_usd) == ("USD", 1.0)


# --- the account view of such an export: its rates are USD per unit, and it says so ---------------


def _account_figure(capsys: pytest.CaptureFixture[str], path: Path, *params: str) -> float:
    import json

    from xlmargin.cli import main

    argv = ["margin", str(path), "--regime", "account", "--as-of", str(AS_OF), "--format", "json"]
    assert main([*argv, *(f"--param={p}" for p in params)]) == 0, capsys.readouterr().err
    return float(json.loads(capsys.readouterr().out)["requirement"])


def _in_euros(tmp_path: Path) -> Path:
    """The canonical book written by hand for a euro account: fx_rate in euros per unit."""
    text = (DATA / "ibkr_book.csv").read_text(encoding="utf-8")
    text = text.replace(",USD,1\n", f",USD,{EUR_PER_USD!r}\n").replace(",EUR,1.1745", ",EUR,1")
    return _write(tmp_path, "in_euros.csv", text)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_euro_based_export_gives_the_account_view_of_the_book_written_in_euros(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the readers' rates are USD per unit: the account view read them as euros per unit and refused
    # every row; the command now reads them so (fx_rates=usd) at the export's dollar rate (fx.USD)
    export = _write(tmp_path, name, _euro_based(name, (DATA / name).read_text(encoding="utf-8")))
    by_hand = _account_figure(capsys, _in_euros(tmp_path), "account_currency=EUR", f"fx.USD={EUR_PER_USD!r}")
    assert _account_figure(capsys, export, "account_currency=EUR") == pytest.approx(by_hand, abs=0.01)
    assert by_hand == pytest.approx(cents(_account_figure(capsys, DATA / name) * EUR_PER_USD), abs=0.01)
    # the Python API reads the export the same way
    import xlmargin

    assert xlmargin.account_margin(export, as_of=AS_OF, account_currency="EUR") == pytest.approx(
        by_hand, abs=0.01
    )
    # told to read the rates as the account's, the view refuses them and says how to read them
    from xlmargin.cli import main

    assert main(["margin", str(export), "--regime", "account", "--as-of", str(AS_OF),
                 "--param", "account_currency=EUR", "--param", "fx_rates=account"]) == 2  # fmt: skip
    assert "give fx_rates=usd" in capsys.readouterr().err


def test_a_euro_based_export_of_dollar_positions_only_takes_fx_usd_from_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no euro row to tell the euro's dollar rate: the export's own dollar rate to its base is fx.USD
    text = _euro_based("ibkr_flex.xml", (DATA / "ibkr_flex.xml").read_text(encoding="utf-8"))
    lines = [line for line in text.splitlines() if 'symbol="SAP"' not in line]
    export = _write(tmp_path, "dollars.xml", "\n".join(lines))
    table = import_broker(export)
    assert (table.base.currency, table.base.per_usd) == ("EUR", pytest.approx(EUR_PER_USD))
    assert table.account_params({"Account Currency": "eur"}) == {
        "fx_rates": "usd",
        "fx.USD": table.base.per_usd,
    }
    assert table.account_params({"fx_rates": "account"}) == {}  # a dollar account; given names kept
    in_dollars = _account_figure(capsys, export)
    assert _account_figure(capsys, export, "account_currency=EUR") == pytest.approx(
        cents(in_dollars * EUR_PER_USD), abs=0.01
    )
    # another account currency than the export's base: fx.USD is the user's to give
    assert table.account_params({"account_currency": "GBP"}) == {"fx_rates": "usd"}


def test_an_export_that_does_not_show_its_base_gives_no_dollar_rate(tmp_path: Path) -> None:
    # a portfolio CSV of a euro-based account whose euro row is not at exactly 1 (its base unnamed)
    text = _euro_based("ibkr_portfolio.csv", (DATA / "ibkr_portfolio.csv").read_text(encoding="utf-8"))
    table = import_broker(_write(tmp_path, "portfolio.csv", text.replace(",,,,1,20650", ",,,,1.05,20650")))
    assert table.base.currency is None and table.base.per_usd == pytest.approx(EUR_PER_USD)
    assert table.account_params({"account_currency": "EUR"}) == {"fx_rates": "usd"}
    named = import_broker(_write(tmp_path, "named.csv", text))  # the euro row at 1: the base is EUR
    assert named.base.currency == "EUR"


# --- every command reading an export takes its settings from one place (api.broker_params) --------

TRADES = "symbol,type,quantity,price,currency,fx_rate\nSAP,stock,10,206.50,EUR,1.1745\n"  # USD per unit
HEDGES = (
    "symbol,type,quantity,price,underlying,underlying_price,strike,expiry,right,multiplier,max_qty\n"
    "SPY 20MAR26 650 P,option,10,9.85,SPY,681.92,650,2026-03-20,P,100,10\n"
)
DATE = ["--as-of", str(AS_OF)]


def _run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    """What a command prints on stdout, its exit code checked (stderr shown when it is another)."""
    from xlmargin.cli import main

    assert main([*argv, *DATE]) == code, capsys.readouterr().err
    return capsys.readouterr().out


def _margin(capsys: pytest.CaptureFixture[str], path: Path, regime: str, *params: str) -> float:
    import json

    out = _run(capsys, "margin", str(path), "--regime", regime, "--format", "json", *params)
    return float(json.loads(out)["requirement"])


def _cell(out: str, label: str, column: int = 1) -> float:
    """A figure of a decision table's row labelled ``label`` (cells parted by two spaces or more)."""
    import re

    row = next(line for line in out.splitlines() if line.startswith(f"{label}  "))
    return float(re.split(r"\s{2,}", row.strip())[column].replace(",", ""))


def _euro_export(tmp_path: Path, name: str) -> Path:
    return _write(tmp_path, f"eur_{name}", _euro_based(name, (DATA / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_whatif_reads_a_euro_based_export_as_margin_does(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # whatif refused every export (".xml: positions files must be .csv or .xlsx"; the CSVs read as
    # plain tables: "missing required column 'symbol'", "unknown type 'Stocks'"); margin gave 199,346.71
    export, trades = _euro_export(tmp_path, name), _write(tmp_path, "trades.csv", TRADES)
    euros = _margin(capsys, export, "account", "--param", "account_currency=EUR")
    assert euros == pytest.approx(199346.71, abs=0.005)  # regression snapshot, the book in euros
    out = _run(capsys, "whatif", str(export), str(trades), "--param", "account_currency=EUR")
    assert _cell(out, "account view") == euros  # before
    assert _cell(out, "portfolio margin") == _margin(capsys, export, "pm")
    assert _cell(out, "Reg T initial") == _margin(capsys, export, "regt")
    # a regime that does not read fx_rates is given none (a --param it does not read is refused)
    pm_only = _run(capsys, "whatif", str(export), str(trades), "--regime", "pm")
    assert _cell(pm_only, "portfolio margin") == _margin(capsys, export, "pm")
    # the Python API's twin reads it so too
    import xlmargin

    table = xlmargin.margin_impact(export, str(trades), as_of=AS_OF, account_currency="EUR")
    assert float(table.set_index("regime")["before"]["account view"]) == euros
    # with a regime, the change alone: a float (the table's reader raised TypeError on it)
    change = xlmargin.margin_impact(export, str(trades), "account", as_of=AS_OF, account_currency="EUR")
    assert change == _cell(out, "account view", 3) == pytest.approx(1032.50, abs=0.005)


def test_hedge_and_plan_read_a_euro_based_export_as_margin_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export, candidates = _euro_export(tmp_path, "ibkr_flex.xml"), _write(tmp_path, "hedges.csv", HEDGES)
    euros = _margin(capsys, export, "account", "--param", "account_currency=EUR")
    out = _run(capsys, "hedge", str(export), str(candidates), "--param", "account_currency=EUR")
    assert _cell(out, "figure", 2) == _margin(capsys, export, "pm")  # "portfolio margin" before
    account = next(line for line in out.splitlines() if "account view" in line)
    assert _cell(account, "figure", 2) == euros
    # plan computes portfolio margin and the risk view, which read no fx_rates: the export is read
    out = _run(capsys, "plan", str(export), "--equity", "100000")
    now = next(line for line in out.splitlines() if line.startswith("now "))
    assert _cell(now, "now", 3) == _margin(capsys, export, "pm")


def test_the_decisions_label_each_figure_s_currency_as_margin_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A EUR-based export with account_currency=EUR: the account view is in euros and every other
    figure in dollars, in the same before/after columns; each row says which (as margin prints
    "requirement (EUR)"). Before, the rows carried no currency at all."""
    import re

    import xlmargin
    from xlmargin.excel import udfs

    export, trades = _euro_export(tmp_path, "ibkr_flex.xml"), _write(tmp_path, "trades.csv", TRADES)
    candidates = _write(tmp_path, "hedges.csv", HEDGES)
    euro = ("--param", "account_currency=EUR")
    assert "requirement (EUR)" in _run(capsys, "margin", str(export), "--regime", "account", *euro)
    expected = {
        "Reg T initial": "USD", "Reg T maintenance": "USD", "portfolio margin": "USD",
        "futures (SPAN)": "USD", "account view": "EUR", "risk view: worst stress loss": "USD",
        "risk view: worst correlation-break loss": "USD",
    }  # fmt: skip
    out = _run(capsys, "whatif", str(export), str(trades), *euro)
    header, _, *rows = out.splitlines()
    assert re.split(r"\s{2,}", header) == ["regime", "before", "after", "change", "currency", "note"]
    assert {r.split("  ")[0]: re.split(r"\s{2,}", r)[4] for r in rows} == expected
    table = xlmargin.margin_impact(export, str(trades), as_of=AS_OF, account_currency="EUR")
    assert dict(zip(table["regime"], table["currency"], strict=True)) == expected
    out = _run(capsys, "hedge", str(export), str(candidates), *euro)
    lines = {" ".join(r.split()[:2]): r.split()[-1] for r in out.splitlines()[2:]}
    assert lines["objective pm"] == lines["check pm"] == lines["spend no"] == "USD"
    assert lines["figure account"] == "EUR" and lines["figure portfolio"] == "USD"
    frame = xlmargin.hedge_optimize(export, str(candidates), as_of=AS_OF, account_currency="EUR")
    figures = frame[frame["line"] == "figure"].set_index("item")["currency"]
    assert figures.to_dict() == {k: v for k, v in expected.items() if not k.startswith(("Reg T m", "fut"))}
    # the worksheet functions: a table in a euro account, its dollar rows at fx.USD
    params = [["as_of", str(AS_OF)], ["account_currency", "EUR"], ["fx.USD", 0.9]]
    book = [["symbol", "type", "quantity", "price"], ["XYZ", "stock", 1000.0, 100.0]]
    trade = [["symbol", "type", "quantity", "price"], ["XYZ", "stock", -400.0, 100.0]]
    impact = udfs.MARGIN_IMPACT(book, trade, None, params)
    assert impact[0][4] == "currency" and {r[0]: r[4] for r in impact[1:] if r[0] != "warning"} == expected
    hedge = udfs.HEDGE_OPTIMIZE(book, trade, "account", None, [*params, ["securities", "pm"]])
    assert hedge[0][-1] == "currency"
    assert {r[1]: r[-1] for r in hedge[1:] if r[0] in ("objective", "check")} == {
        "account": "EUR",
        "account by the engine": "EUR",
    }


def test_a_setting_given_wins_over_the_exports_in_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # dollar positions of a euro account: the export's fx.USD is 0.8514...; the user's 0.9 is taken
    text = _euro_based("ibkr_flex.xml", (DATA / "ibkr_flex.xml").read_text(encoding="utf-8"))
    export = _write(
        tmp_path, "dollars.xml", "\n".join(s for s in text.splitlines() if 'symbol="SAP"' not in s)
    )
    trades = _write(tmp_path, "trades.csv", "symbol,type,quantity,price\nAAPL,stock,10,250.42\n")
    given = ["--param", "account_currency=EUR", "--param", "fx.USD=0.9"]
    by_user = _margin(capsys, export, "account", *given)
    assert by_user != _margin(capsys, export, "account", "--param", "account_currency=EUR")
    assert by_user == pytest.approx(cents(_margin(capsys, export, "account") * 0.9), abs=0.01)
    out = _run(capsys, "whatif", str(export), str(trades), "--regime", "account", *given)
    assert _cell(out, "account view") == by_user
    # told to read the rates as the account's, whatif refuses them as margin does, with the hint
    from xlmargin.cli import main

    euro = _euro_export(tmp_path, "ibkr_flex.xml")
    own = ["--param", "account_currency=EUR", "--param", "fx_rates=account"]
    assert main(["whatif", str(euro), str(trades), "--regime", "account", *DATE, *own]) == 2
    err = capsys.readouterr().err
    assert "row 16, fxRateToBase: the position is in the account currency EUR" in err
    assert "give fx_rates=usd" in err


def test_the_decisions_name_an_exports_rows_and_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlmargin.cli import main

    bad = _write(
        tmp_path, "bad.csv", (DATA / "ibkr_portfolio.csv").read_text().replace(",483.62,USD", ",n/a,USD")
    )
    assert main(["plan", str(bad), "--equity", "100000", *DATE]) == 2
    assert capsys.readouterr().err.startswith("xlmargin: row 4, Mark Price: 'n/a' is not a number")
    trades = _write(tmp_path, "trades.csv", TRADES)
    assert main(["whatif", str(DATA / "ibkr_flex.xml"), str(trades), "--regime", "pm", *DATE]) == 0
    # an export given as the trades is read as one, its errors named as the trades'
    assert main(["whatif", str(DATA / "ibkr_flex.xml"), str(bad), "--regime", "pm", *DATE]) == 2
    assert "row 4, trades Mark Price: 'n/a' is not a number" in capsys.readouterr().err


def test_batch_reads_a_flex_report_and_refuses_the_csv_exports_saying_what_reads_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # read as a plain table, a statement's rows were types 'Stocks', a portfolio CSV had no symbol;
    # a Flex report marks each account by its statement (tests/test_batch_exports.py), these do not
    import json

    from xlmargin.cli import main

    for name in sorted(EXPORTS):
        export = _euro_export(tmp_path, name)
        code = main(["batch", str(export), "--regime", "account", *DATE])
        printed = capsys.readouterr()
        if EXPORTS[name] == "ibkr-flex":  # one account: margin's figure, in its row
            assert code == 0
            assert main(["margin", str(export), "--regime", "account", "--format", "json", *DATE]) == 0
            figure = json.loads(capsys.readouterr().out)["requirement"]
            assert printed.out.splitlines()[1].startswith(f"U1234567,8,{figure},")
            continue
        assert code == 2
        kind = {"ibkr-statement": "an IBKR activity", "ibkr-portfolio": "a TWS / Client Portal"}[
            EXPORTS[name]
        ]
        assert printed.err.startswith(f"xlmargin: {export.name} is {kind} ")
        assert f"{FORMATS[EXPORTS[name]]}: the accounts of an export are read" in printed.err
        assert (
            f"'xlmargin margin {export.name}'" in printed.err and len(printed.err.strip().splitlines()) == 1
        )


def test_broker_params_gives_nothing_to_regimes_that_do_not_read_fx_rates(tmp_path: Path) -> None:
    from xlmargin.api import broker_params
    from xlmargin.regimes import regime_params

    table = import_broker(_euro_export(tmp_path, "ibkr_flex.xml"))
    assert broker_params(table, "decisions", {}, None, reads=regime_params("pm")) == {}
    assert broker_params(table, "decisions", {"account_currency": "EUR"}, None) == {
        "fx_rates": "usd",
        "fx.USD": table.base.per_usd,
    }


RATED = "symbol,type,quantity,price,currency,fx_rate\nVOD,stock,1000,0.7,GBP,1.17\n"
PLAIN = "symbol,type,quantity,price,currency,fx_rate\nSAP,stock,5,180,EUR,\n"
EURO = {"account_currency": "EUR", "fx.USD": 0.8514261388}  # the export's own EUR row's rate


def _euro_argv() -> list[str]:
    return [arg for name, value in EURO.items() for arg in ("--param", f"{name}={value}")]


def _refusal(table: str, export: str, row: int = 2) -> str:
    """The one message of the command line and the Python API for a table rating GBP beside an export."""
    return (
        f"fx_rates: the {export} are a broker export, whose rates are USD per unit, and the {table} a "
        f"table rating GBP (row {row} of the {table}, fx_rate 1.17), a currency other than USD and EUR: "
        "one reading cannot read both. Give fx_rates=usd (and fx.USD) if the table's rates are USD per "
        "unit; if they are EUR per unit, write them in USD per unit, or leave them blank and give fx.<CCY>"
    )


@pytest.mark.parametrize(
    ("command", "positions_is_export"),
    [("whatif", False), ("whatif", True), ("hedge", False), ("hedge", True)],
)
def test_an_export_beside_a_table_with_rates_is_refused_where_their_units_differ(
    command: str, positions_is_export: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export's rates are USD per unit; a table's, in a EUR account, EUR per unit unless told: one
    fx_rates cannot read both. A trades export beside a positions table added its GBP trade 17.7%
    off, and a positions export beside a trades table read the table's EUR-per-GBP rate as USD, 15%
    low, both silently. Refused naming fx_rates where the table rates a third currency (GBP) and
    the account view is the one regime asked for or the hedge's objective, by the command line and
    the Python API alike (the API gave a mis-rated figure); the same inputs, the same message."""
    import xlmargin
    from xlmargin.cli import main

    rated, export = str(_write(tmp_path, "rated.csv", RATED)), str(DATA / "ibkr_flex.xml")
    first, second = (export, rated) if positions_is_export else (rated, export)
    table, other = ("trades" if command == "whatif" else "candidates"), "positions"
    table, export_name = (table, other) if positions_is_export else (other, table)
    choice = ["--regime", "account"] if command == "whatif" else ["--objective", "account"]
    assert main([command, first, second, *choice, *DATE, *_euro_argv()]) == 2
    assert capsys.readouterr().err == f"xlmargin: {_refusal(table, export_name)}\n"
    twin = xlmargin.margin_impact if command == "whatif" else xlmargin.hedge_optimize
    with pytest.raises(InputError) as raised:
        twin(first, second, "account", as_of=AS_OF, **EURO)
    assert str(raised.value) == _refusal(table, export_name)


def test_an_export_beside_a_table_that_reads_alike_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Taken where one reading reads both: fx_rates=usd given, a table without a third currency's
    rate, a USD account, or regimes that read no fx_rates; by the command line and the API alike."""
    import xlmargin
    from xlmargin.cli import main

    rated, export = str(_write(tmp_path, "rated.csv", RATED)), str(DATA / "ibkr_flex.xml")
    plain = str(_write(tmp_path, "plain.csv", PLAIN))
    for trades, more in ((rated, {"fx_rates": "usd"}), (plain, {})):
        argv = [arg for name, value in more.items() for arg in ("--param", f"{name}={value}")]
        out = _run(capsys, "whatif", export, trades, "--regime", "account", *_euro_argv(), *argv)
        change = xlmargin.margin_impact(export, trades, "account", as_of=AS_OF, **EURO, **more)
        assert change == _cell(out, "account view", 3)
    for regime in ("pm", "account"):  # the command refuses account_currency where pm is computed alone
        assert main(["whatif", rated, export, "--regime", regime, *DATE]) in (0, 1)
        assert "broker export" not in capsys.readouterr().err
    xlmargin.margin_impact(rated, export, "pm", as_of=AS_OF, **EURO)  # pm reads no fx_rates
    xlmargin.margin_impact(rated, export, "account", as_of=AS_OF)


def test_an_export_beside_a_table_shows_the_account_view_n_a_where_it_is_only_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """whatif of every regime and hedge on the pm objective were refused whole because the account
    view, only shown, could not read the two files alike (and the API mis-rated it silently): the
    other regimes' figures stand, the account view is n/a with the reason (exit 1, as for any regime
    that cannot read the book), in the command line and the Python API alike."""
    import xlmargin

    rated, export = str(_write(tmp_path, "rated.csv", RATED)), str(DATA / "ibkr_flex.xml")
    out = _run(capsys, "whatif", export, rated, *_euro_argv(), code=1)
    why = _refusal("trades", "positions")
    account = next(line for line in out.splitlines() if line.startswith("account view "))
    assert account.split()[2:5] == ["n/a"] * 3 and why in account
    table = xlmargin.margin_impact(export, rated, as_of=AS_OF, **EURO).set_index("regime")
    assert table.loc["account view", "note"] == why and table.loc["account view", "before"] == "n/a"
    assert float(table.loc["portfolio margin", "before"]) == _cell(out, "portfolio margin")
    out = _run(capsys, "hedge", rated, export, "--objective", "pm", *_euro_argv(), code=1)
    assert f"account view (n/a: {_refusal('positions', 'candidates')})" in out
    hedge = xlmargin.hedge_optimize(rated, export, "pm", as_of=AS_OF, **EURO)
    items = set(hedge["item"])
    assert f"account view (n/a: {_refusal('positions', 'candidates')})" in items
    assert "pm by the engine" in items


def test_the_api_reads_a_trades_export_beside_a_positions_table_as_the_command_line_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The export's settings apply where it is the trades (the API applied them only to a positions
    export, and read the trades' USD-per-unit rates as the EUR account's)."""
    import xlmargin

    plain = str(_write(tmp_path, "plain.csv", PLAIN))
    export = str(_euro_export(tmp_path, "ibkr_flex.xml"))
    out = _run(capsys, "whatif", plain, export, "--regime", "account", "--param", "account_currency=EUR")
    change = xlmargin.margin_impact(plain, export, "account", as_of=AS_OF, account_currency="EUR")
    assert change == _cell(out, "account view", 3)


def test_rates_beside_names_the_first_third_currency_row(tmp_path: Path) -> None:
    table = import_broker(DATA / "ibkr_flex.xml")
    header = ["symbol", "type", "quantity", "price", "currency", "fx_rate"]
    rows = [header, ["SAP", "stock", 5, 180, "EUR", None], ["VOD", "stock", 1000, 0.7, "GBP", 1.17]]
    book = read_positions(rows, as_of=AS_OF)
    error = table.rates_beside(book, ("positions", "trades"), {"Account Currency": "eur"})
    assert error is not None and str(error) == _refusal("trades", "positions", row=3)
    assert (
        table.rates_beside(book, ("positions", "trades"), {"account_currency": "EUR", "FX rates": "USD"})
        is None
    )
    assert table.rates_beside(book, ("positions", "trades"), {}) is None  # a USD account reads both alike
    assert table.rates_beside(book, ("positions", "trades"), {}, "GBP") is None  # GBP is the account's


def test_a_candidates_export_s_errors_name_its_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlmargin.cli import main

    bad = _write(
        tmp_path, "bad.csv", (DATA / "ibkr_portfolio.csv").read_text().replace(",483.62,USD", ",n/a,USD")
    )
    assert main(["hedge", str(DATA / "ibkr_flex.xml"), str(bad), *DATE]) == 2
    err = capsys.readouterr().err
    assert "row 4" in err and "Mark Price" in err, err


def _flex_aapl(tmp_path: Path, stock_rows: tuple[tuple[str, str], ...], name: str = "flex.xml") -> Path:
    """A Flex report holding AAPL stock rows (position, mark) of one conid, then -6 AAPL 260 calls."""
    row = (
        '<OpenPosition accountId="U1" currency="USD" fxRateToBase="1" assetCategory="{a}" symbol="{s}" '
        'conid="{c}" underlyingConid="{u}" underlyingSymbol="{us}" multiplier="{m}" strike="{k}" '
        'expiry="{e}" putCall="{r}" position="{q}" markPrice="{p}" levelOfDetail="SUMMARY" />'
    )
    stocks = [row.format(a="STK", s="AAPL", c="265598", u="", us="", m="1", k="", e="", r="", q=q, p=p)
              for q, p in stock_rows]  # fmt: skip
    call = row.format(a="OPT", s="AAPL  260116C00260000", c="9", u="265598", us="AAPL", m="100", k="260",
                      e="20260116", r="C", q="-6", p="2.15")  # fmt: skip
    text = "\n".join([
        '<FlexQueryResponse><FlexStatements count="1"><FlexStatement accountId="U1">',
        "<OpenPositions>", *stocks, call, "</OpenPositions>",
        "</FlexStatement></FlexStatements></FlexQueryResponse>",
    ])  # fmt: skip
    return _write(tmp_path, name, text)


@pytest.mark.parametrize("order", [1, -1])
def test_an_underlying_held_at_two_prices_is_refused_whatever_the_order(tmp_path: Path, order: int) -> None:
    # portfolio margin was 24,858.16 in one order and 24,848.15 in the other: the option took the
    # last row's price by conid (the first by symbol), without a warning
    path = _flex_aapl(tmp_path, (("600", "250.42"), ("100", "240"))[::order])
    with pytest.raises(InputError) as info:
        read_broker(path, as_of=AS_OF)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (4, "markPrice")
    prices = "(250.42, 240)" if order == 1 else "(240, 250.42)"
    assert problem.message.startswith(f"lines 3 and 4 hold AAPL at different prices {prices}: one contract")


def test_an_underlying_on_two_rows_at_one_price_serves_its_options(tmp_path: Path) -> None:
    book = read_broker(_flex_aapl(tmp_path, (("600", "250.42"), ("100", "250.420"))), as_of=AS_OF)
    assert book.arrays["underlying_price"][2] == 250.42


def test_a_summary_row_repeated_field_for_field_is_refused(tmp_path: Path) -> None:
    # the repeat was summed: -12 calls for the -6 the account holds
    text = (DATA / "ibkr_flex.xml").read_text()
    line = next(row for row in text.splitlines() if "AAPL  260116C00260000" in row and "SUMMARY" in row)
    path = _write(tmp_path, "flex.xml", text.replace(line, f"{line}\n{line}"))
    with pytest.raises(InputError) as info:
        import_broker(path)
    (problem,) = info.value.problems
    at = text.splitlines().index(line) + 1
    assert (problem.row, problem.column) == (at + 1, "levelOfDetail")
    assert problem.message.startswith(f"lines {at} and {at + 1} report the same position")


def test_a_statement_summary_row_repeated_is_refused(tmp_path: Path) -> None:
    text = (DATA / "ibkr_statement.csv").read_text()
    line = next(row for row in text.splitlines() if ",SAP,100," in row)
    path = _write(tmp_path, "statement.csv", text.replace(line, f"{line}\n{line}"))
    with pytest.raises(InputError, match="report the same position"):
        import_broker(path)
