"""A CFD of class fx says it is a currency pair (margin-rules.md §5: a currency CFD is capped as
its pair, major or non-major). On a symbol that reads as no pair (USDXQZ: XQZ is no ISO 4217 code;
a fund UUP given class fx) the ESMA caps refused it while the risk view moved it as a dollar-index
fund with a warning: one book, two readings. Every view now refuses it alike, with the ESMA
message naming the row and the symbol column (``fx_rates.unread_pair``). Refusals, not figures."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import xlmargin
from xlmargin.cli import main
from xlmargin.errors import InputError

AS_OF = "2026-12-07"
HEADER = ["symbol", "type", "quantity", "price", "multiplier", "class", "currency"]
SPY = ["SPY", "stock", 10, 500.0, 1, "", ""]
XQZ_WHY = (
    r"row 3, symbol: 'USDXQZ' is not a currency pair: XQZ is no ISO 4217 currency code \(esma.toml "
    r"\[currencies\]\); for a metal or a cryptocurrency quoted like a pair give its class"
)


def book(*rows: list[object]) -> list[list[object]]:
    return [HEADER, SPY, *rows]


@pytest.mark.parametrize("function", ["risk_margin", "risk_breakdown", "stress_table", "account_margin"])
def test_a_cfd_of_class_fx_on_no_pair_is_refused_as_esma_refuses_it(function: str) -> None:
    cfd = ["USDXQZ", "cfd", 1000, 1.1, 1, "fx", "USD"]
    with pytest.raises(InputError, match=XQZ_WHY):  # before: 1,869.60, a dollar-index fund
        getattr(xlmargin, function)(book(cfd), as_of=AS_OF)
    with pytest.raises(InputError, match=XQZ_WHY):
        xlmargin.esma_margin([HEADER, ["EURUSD", "cfd", 1000, 1.1, 1, "", "USD"], cfd], as_of=AS_OF)


def test_a_fund_given_class_fx_as_a_cfd_is_refused_in_the_risk_view_too() -> None:
    cfd = ["UUP", "cfd", 100, 28.0, 1, "fx", "USD"]
    why = r"row 3, symbol: 'UUP' is not a currency pair \(two three-letter currency codes"
    with pytest.raises(InputError, match=why):
        xlmargin.risk_margin(book(cfd), as_of=AS_OF)


def test_an_fx_row_on_no_pair_gets_the_esma_message_in_the_risk_view() -> None:
    # before: "'USDXQZ' is not a currency pair such as EURUSD", another wording of one refusal
    with pytest.raises(InputError, match=XQZ_WHY):
        xlmargin.risk_margin(book(["USDXQZ", "fx", 1000, 1.1, 1, "", "USD"]), as_of=AS_OF)


def test_what_a_pair_or_a_fund_reads_as_is_unchanged() -> None:
    # a CFD on a pair its class names, a CFD on a fund (class blank), a fund of class fx (an ETF):
    # the risk view still moves them, the ETF by the dollar index with its warning
    pair = ["EURUSD", "cfd", 1000, 1.1, 1, "fx", "USD"]
    fund_cfd = ["UUP", "cfd", 100, 28.0, 1, "", "USD"]
    etf = ["DOLLARX", "etf", 100, 28.0, 1, "fx", "USD"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in (pair, fund_cfd, etf):
            assert xlmargin.risk_margin(book(row), as_of=AS_OF) > 0
    notes = [r[1] for r in xlmargin.stress_table(book(etf), as_of=AS_OF).values.tolist() if r[0] == "note"]
    assert any("assumed to follow usd" in note and "rows 3" in note for note in notes)


def test_batch_gives_the_account_its_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "book.csv"
    source.write_text(
        "account,symbol,type,quantity,price,multiplier,class,currency\n"
        "A,SPY,stock,10,500,1,,\nB,USDXQZ,cfd,1000,1.1,1,fx,USD\nB,SPY,stock,10,500,1,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert main(["batch", str(source), "--regime", "risk", "-o", str(out), "--as-of", AS_OF]) == 1
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("A,1,1995.0,")
    assert lines[2].startswith("B,2,,") and "'USDXQZ' is not a currency pair: XQZ is no ISO 4217" in lines[2]
    assert "B (row 3, symbol" in capsys.readouterr().err
