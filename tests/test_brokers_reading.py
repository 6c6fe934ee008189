"""How the broker readers take what an export states: one account per statement file, an option's
underlying price from its own contract only, every number by the one rule of cells.

Each case was read silently wrong before: two joined statements margined as one book (600 AAPL
long in one account, 600 short in the other: Reg T 0.00); a USD option on SAP priced off SAP's
EUR listing; a decimal comma dropped from a rate ('1,15' read as 115) or from lots ('1,5' and
'2,5' summed to 40 shares); an underscore skipped ('1_00' read as 100).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from xlmargin.brokers import import_broker, read_broker
from xlmargin.cells import to_number
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.regt import regt_margin

AS_OF = dt.date(2025, 12, 31)
COMMA = "is not a number: a comma is read only as a thousands separator (1,234.5); use a point for decimals"
POSITIONS = (
    "Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,Cost Price,"
    "Cost Basis,Close Price,Value,Unrealized P/L,Code\n"
)


def _statement(account: str, base: str, *rows: str, rates: str = "") -> str:
    """An activity statement of ``account``: its Statement and Account Information sections, the
    Open Positions ``rows`` (symbol, quantity, currency, close price), then ``rates``."""
    head = (
        "Statement,Header,Field Name,Field Value\nStatement,Data,Title,Activity Statement\n"
        "Account Information,Header,Field Name,Field Value\n"
        f"Account Information,Data,Account,{account}\nAccount Information,Data,Base Currency,{base}\n"
    )
    body = "".join(
        f"Open Positions,Data,{kind},Stocks,{currency},{symbol},{quantity},1,1,1,{price},1,1,\n"
        for kind, symbol, quantity, currency, price in (row.split("|") for row in rows)
    )
    return head + POSITIONS + body + rates


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputError) as info:
        read_broker(path, as_of=AS_OF)
    return [(p.row, p.column, p.message) for p in info.value.problems]


# --- one statement per file --------------------------------------------------------------------


def test_two_accounts_statements_joined_in_one_file_are_refused(tmp_path: Path, capsys) -> None:
    """``cat a.csv b.csv``: margin read both as one book (the long and the short AAPL offset: 0.00)
    in the base currency stated last."""
    a = _statement("U1111111", "USD", "Summary|AAPL|600|USD|250.42")
    b = _statement("U2222222", "EUR", "Summary|AAPL|-600|USD|250.42")
    alone = _write(tmp_path, "a.csv", a)
    assert regt_margin(read_broker(alone, as_of=AS_OF)).total == pytest.approx(600 * 250.42 / 2)
    joined = _write(tmp_path, "joined.csv", a + b)
    [(row, column, message)] = _problems(joined)
    assert (row, column) == (11, "Account")  # the second account's row
    assert message.startswith(
        "joined.csv holds the statements of 2 accounts (U1111111, U2222222; lines 4, 11)"
    )
    assert main(["margin", str(joined), "--regime", "regt", "--as-of", str(AS_OF)]) == 2
    err = capsys.readouterr().err
    assert "margin is per account" in err and "export one statement per account" in err


def test_two_statements_of_one_account_are_refused(tmp_path: Path) -> None:
    first = _statement("U1111111", "USD", "Summary|AAPL|600|USD|250.42")
    second = _statement("U1111111", "USD", "Summary|AAPL|600|USD|251.00")
    [(row, column, message)] = _problems(_write(tmp_path, "twice.csv", first + second))
    assert (row, column) == (11, "Account")
    assert "2 statements of account U1111111 (lines 4, 11)" in message


# --- an option's underlying price: its own contract's ---------------------------------------------


def _flex(*positions: dict[str, str]) -> str:
    rows = "\n".join(
        "<OpenPosition "
        + " ".join(f'{k}="{v}"' for k, v in {**STOCK, **p}.items())
        + ' levelOfDetail="SUMMARY" />'
        for p in positions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<FlexQueryResponse queryName="P" type="AF">\n'
        '<FlexStatements count="1">\n<FlexStatement accountId="U1" toDate="20251231">\n'
        f"<OpenPositions>\n{rows}\n</OpenPositions>\n</FlexStatement>\n</FlexStatements>\n</FlexQueryResponse>\n"
    )


STOCK = {
    "currency": "EUR", "fxRateToBase": "1", "assetCategory": "STK", "symbol": "SAP", "conid": "14204",
    "underlyingConid": "", "underlyingSymbol": "", "multiplier": "1", "strike": "", "expiry": "",
    "putCall": "", "position": "100", "markPrice": "206.5",
}  # fmt: skip
CALL = {
    "currency": "USD", "assetCategory": "OPT", "symbol": "SAP   260320C00240000", "conid": "99",
    "underlyingSymbol": "SAP", "multiplier": "100", "strike": "240", "expiry": "20260320", "putCall": "C",
    "position": "-1", "markPrice": "12",
}  # fmt: skip


def test_an_option_takes_no_price_from_another_listing_of_its_symbol(tmp_path: Path) -> None:
    """SAP's EUR shares (conid 14204) and a USD call on conid 5555, a contract the book does not
    hold: the call took 206.5 (EUR) as its underlying's price in USD."""
    path = _write(tmp_path, "adr.xml", _flex(STOCK, {**CALL, "underlyingConid": "5555"}))
    [(row, column, message)] = _problems(path)
    assert (row, column) == (7, "underlying_price")
    assert "underlying SAP (USD, conid 5555)" in message and "another listing (EUR, conid 14204)" in message
    assert "give the OpenPosition an underlyingPrice attribute" in message  # a Flex report's fix


def test_without_a_conid_an_option_takes_its_symbols_price_in_its_own_currency_only(tmp_path: Path) -> None:
    call = {**CALL, "underlyingConid": ""}
    [(row, column, _)] = _problems(_write(tmp_path, "eur.xml", _flex(STOCK, call)))
    assert (row, column) == (7, "underlying_price")
    usd = {**STOCK, "currency": "USD", "conid": ""}
    table = import_broker(_write(tmp_path, "usd.xml", _flex(usd, call)))
    assert table.rows[1][5] == 206.5  # underlying_price, from the row of the same currency
    held = {**CALL, "underlyingConid": "14204", "currency": "EUR"}
    assert import_broker(_write(tmp_path, "held.xml", _flex(STOCK, held))).rows[1][5] == 206.5


# --- numbers: one rule ------------------------------------------------------------------------


PORTFOLIO = "Financial Instrument,Asset Class,Position,Mark Price,Currency,Multiplier,FX Rate To Base\n"


def test_a_decimal_comma_in_a_portfolio_rate_is_named_not_dropped(tmp_path: Path) -> None:
    """'1,15' was read as 115 (GBP at 0.0135 USD once divided by the dollar's 0.8514): Reg T
    12,527.07 where the same file with points gives 25,134.34."""
    rows = 'SAP,STK,100,206.50,EUR,1,1\nAAPL,STK,100,250.42,USD,1,"0,8514"\nVOD,STK,1000,0.72,GBP,1,"1,15"\n'
    problems = _problems(_write(tmp_path, "eu.csv", PORTFOLIO + rows))
    assert [(r, c) for r, c, _ in problems] == [(3, "FX Rate To Base"), (4, "FX Rate To Base")]
    assert problems[1][2] == f"'1,15' {COMMA}"
    points = _write(
        tmp_path, "ok.csv", PORTFOLIO + rows.replace('"0,8514"', "0.8514").replace('"1,15"', "1.15")
    )
    assert round(regt_margin(read_broker(points, as_of=AS_OF)).total, 2) == 25134.34


def test_a_decimal_comma_in_a_statement_rate_is_named_at_the_rates_row(tmp_path: Path) -> None:
    rates = (
        "Base Currency Exchange Rate,Header,Currency,Rate\n"
        'Base Currency Exchange Rate,Data,USD,"0,8514"\nBase Currency Exchange Rate,Data,GBP,1.15\n'
    )
    text = _statement("U1", "EUR", "Summary|AAPL|100|USD|250", "Summary|VOD|1000|GBP|0.72", rates=rates)
    assert _problems(_write(tmp_path, "st.csv", text)) == [(10, "Rate", f"'0,8514' {COMMA}")]


def test_lots_with_decimal_commas_are_named_not_summed(tmp_path: Path) -> None:
    """Lots '1,5' and '2,5' were summed to 40 shares; each is named, as a lone lot was."""
    text = _statement("U1", "USD", "Summary|MSFT|100|USD|400", "Lot|AAPL|1,5|USD|250", "Lot|AAPL|2,5|USD|250")
    text = text.replace(",1,5,", ',"1,5",').replace(",2,5,", ',"2,5",')
    problems = _problems(_write(tmp_path, "lots.csv", text))
    assert [(r, c, m) for r, c, m in problems] == [
        (8, "Quantity", f"'1,5' {COMMA}"),
        (9, "Quantity", f"'2,5' {COMMA}"),
    ]


def test_thousands_separators_read_where_they_group_by_three(tmp_path: Path) -> None:
    """IBKR writes '1,000' and '1,234.50': the lots of a position without a summary are summed."""
    rows = ("Summary|MSFT|1,234,567|USD|400", "Lot|AAPL|1,000|USD|1,234.50", "Lot|AAPL|2,000|USD|1,234.50")
    text = _statement("U1", "USD", *rows)
    for number in ("1,234,567", "1,000", "2,000", "1,234.50"):
        text = text.replace(f",{number},", f',"{number}",')
    table = import_broker(_write(tmp_path, "grouped.csv", text))
    assert [row[:4] for row in table.rows] == [
        ("MSFT", "stock", 1234567.0, 400.0),
        ("AAPL", "stock", 3000.0, 1234.5),
    ]


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("quantity", PORTFOLIO + "AAPL,STK,1_00,250.42,USD,1,1\n"),
        ("rate", PORTFOLIO + "AAPL,STK,100,250.42,USD,1,1\nVOD,STK,1000,0.72,GBP,1,1_15\n"),
    ],
)
def test_an_underscore_in_a_number_is_refused(where: str, text: str, tmp_path: Path) -> None:
    """Python's float reads '1_00' as 100."""
    [(row, column, message)] = _problems(_write(tmp_path, f"{where}.csv", text))
    assert column == {"quantity": "Position", "rate": "FX Rate To Base"}[where]
    assert row == {"quantity": 2, "rate": 3}[where]
    assert "an underscore is not a digit separator" in message


def test_an_underscore_in_a_statement_lot_or_rate_is_refused(tmp_path: Path) -> None:
    rates = "Base Currency Exchange Rate,Header,Currency,Rate\nBase Currency Exchange Rate,Data,GBP,1_15\n"
    lots = _statement("U1", "USD", "Lot|AAPL|1_0|USD|250", "Lot|AAPL|2_0|USD|250", rates=rates)
    assert [(r, c) for r, c, _ in _problems(_write(tmp_path, "u.csv", lots))] == [(10, "Rate")]
    lots = _statement("U1", "USD", "Lot|AAPL|1_0|USD|250", "Lot|AAPL|2_0|USD|250")
    assert [(r, c) for r, c, _ in _problems(_write(tmp_path, "v.csv", lots))] == [
        (7, "Quantity"),
        (8, "Quantity"),
    ]


@pytest.mark.parametrize("text", ["1_00", "1_000.5", "$1_000", "0_8514"])
def test_to_number_refuses_an_underscore(text: str) -> None:
    number, why = to_number(text)
    assert number != number and why == f"'{text}' is not a number: an underscore is not a digit separator"
