"""The ESMA functions' ``fx_rates`` reading: the standalone ESMA regime (ESMA_MARGIN, ESMA_BREAKDOWN,
``xlmargin margin --regime esma``, the API's twins, MAX_NOTIONAL's esma regime) reads the
``fx_rate`` column as the account view does, through the same function
(:func:`xlmargin.fx_rates.read_rates`): a broker export's rates are USD per unit, and a EUR
account's figures from it are those of the same book written in euros per unit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import xlmargin
from tests.conftest import AS_OF
from tests.test_account_fx_rates import EUR_USD, GBP_USD, HEADER, PER_USD
from xlmargin.account import account_margin, account_settings
from xlmargin.brokers import import_broker
from xlmargin.capacity import capacity_settings, max_notional
from xlmargin.cli import main
from xlmargin.errors import InputError, MissingDataError
from xlmargin.excel import functions as fn
from xlmargin.positions import read_positions

BOOK = (  # CFDs and spot FX in three currencies
    ("US500", "cfd", 2.0, 6000.0, "USD"),
    ("EURUSD", "fx", 25_000.0, EUR_USD, "USD"),
    ("GBPUSD", "fx", 10_000.0, GBP_USD, "USD"),
    ("UK100", "cfd", 3.0, 8000.0, "GBP"),
    ("DE40", "cfd", 1.0, 24_000.0, "EUR"),
)


def rows(in_usd: bool) -> list[list[Any]]:
    """:data:`BOOK` with its rates USD per unit or (the same) EUR per unit."""
    usd = {"USD": 1.0, "EUR": EUR_USD, "GBP": GBP_USD}
    rate = {ccy: r if in_usd else r / EUR_USD for ccy, r in usd.items()}
    return [HEADER, *([*position, rate[position[-1]]] for position in BOOK)]


def params(**given: Any) -> list[list[Any]]:
    return [["as_of", AS_OF], *([k, v] for k, v in given.items())]


def figures(breakdown: list[list[Any]]) -> list[Any]:
    """Each position's notional, rate and margin, and the total notional and margin (an ESMA
    breakdown, header first)."""
    lines = [x for r in breakdown[1:] if isinstance(r[0], int) for x in (r[5], r[6], r[9])]
    return lines + [x for r in breakdown[1:] if r[0] == "total" for x in (r[5], r[9])]


USD_READING = params(**{"fx.USD": PER_USD, "fx_rates": "usd"})
EUR_READING = params(**{"fx.USD": PER_USD})


def test_esma_margin_with_fx_rates_usd_gives_the_figures_of_the_table_in_euros():
    usd, eur = rows(True), rows(False)
    assert fn.esma_margin(usd, "EUR", USD_READING) == pytest.approx(fn.esma_margin(eur, "EUR", EUR_READING))
    by_usd, by_eur = fn.esma_breakdown(usd, "EUR", USD_READING), fn.esma_breakdown(eur, "EUR", EUR_READING)
    assert figures(by_usd) == pytest.approx(figures(by_eur))
    # the account view's FX/CFD segment is the same figure: one reading, one engine
    view = {"as_of": AS_OF, "account_currency": "EUR", "fx.USD": PER_USD, "fx_rates": "usd"}
    segment = account_margin(read_positions(usd, as_of=AS_OF), account_settings(view, AS_OF)).lines[2]
    assert segment.requirement == fn.esma_margin(usd, "EUR", USD_READING)
    assert "fx_rates" in [r[0] for r in fn.param_table("esma")]  # listed by XLM_PARAMS("ESMA_MARGIN")


def test_max_notional_esma_agrees_with_esma_margin_in_both_readings():
    for table, reading in ((rows(True), USD_READING), (rows(False), EUR_READING)):
        values = {str(k): v for k, v in reading}
        found = max_notional(
            read_positions(table, as_of=AS_OF), 500_000.0, "esma", capacity_settings(values, AS_OF)
        )
        assert found.base_requirement == fn.esma_margin(table, None, reading)
    # and refuses what ESMA_MARGIN refuses: the table of USD per unit in the default reading
    values = {"as_of": AS_OF, "fx.USD": PER_USD}
    with pytest.raises(InputError, match="give fx_rates=usd"):
        max_notional(
            read_positions(rows(True), as_of=AS_OF), 500_000.0, "esma", capacity_settings(values, AS_OF)
        )


def test_the_default_reading_refuses_a_table_of_usd_per_unit_with_the_hint():
    with pytest.raises(InputError) as found:
        fn.esma_margin(rows(True), "EUR", EUR_READING)
    problems = found.value.problems
    # each dollar row at 1 (fx.USD is 0.926) and the euro row at 1.08, named at its fx_rate
    assert [(p.row, p.column) for p in problems] == [
        (2, "fx_rate"),
        (3, "fx_rate"),
        (4, "fx_rate"),
        (6, "fx_rate"),
    ]
    assert all(p.message.endswith("give fx_rates=usd") for p in problems)
    assert problems[3].message.startswith(
        "the position is in the account currency EUR: its fx_rate is 1, not 1.08"
    )


def test_a_dollar_row_at_exactly_1_without_fx_usd_is_refused_unless_fx_usd_says_so():
    # one USD read as exactly one EUR: what a table of USD per unit has, a real rate only at parity
    table = [HEADER, ["US500", "cfd", 2.0, 6000.0, "USD", 1.0]]
    with pytest.raises(InputError) as found:
        fn.esma_margin(table, "EUR", params())
    assert str(found.value) == (
        "row 2, fx_rate: the position is in USD at fx_rate 1, which reads one USD as exactly one EUR: "
        "give fx.USD=1 if that is the rate; if the table's rates are USD per unit (as a broker export's "
        "are, and as Reg T reads them), give fx_rates=usd"
    )
    assert fn.esma_margin(table, "EUR", params(**{"fx.USD": 1})) == 600.0  # parity, stated
    # the same rule in the account view (one function), and none in a dollar account
    settings = account_settings({"as_of": AS_OF, "account_currency": "EUR"}, AS_OF)
    with pytest.raises(InputError, match=r"give fx\.USD=1 if that is the rate"):
        account_margin(read_positions(table, as_of=AS_OF), settings)
    assert fn.esma_margin(table, "USD", params()) == 600.0


def test_fx_rates_usd_without_fx_usd_asks_for_it():
    with pytest.raises(MissingDataError, match=r"give fx.USD \(EUR per USD\)"):
        fn.esma_margin(rows(True), "EUR", params(fx_rates="usd"))


EURUSD = [HEADER, ["EURUSD", "fx", 100_000.0, 1.1745, "USD", 1.0]]  # its own price converts in EUR


@pytest.mark.parametrize("reading", ["account", "usd"])
def test_a_rate_no_engine_reads_needs_no_fx_usd(reading: str):
    # a pair holding the account currency, and a row in it: ESMA reads no rate for them, so fx.USD is
    # not asked for (it was, or the pair's dollar rate 1 refused as parity, since fx_rates came in)
    book = [*EURUSD, ["DE40", "cfd", 1.0, 24_000.0, "EUR", 1.0 if reading == "account" else EUR_USD]]
    margin = 100_000 / 30 + 24_000 / 20
    assert fn.esma_margin(book, "EUR", params(fx_rates=reading)) == pytest.approx(margin, abs=0.01)
    settings = account_settings({"as_of": AS_OF, "account_currency": "EUR", "fx_rates": reading}, AS_OF)
    assert account_margin(read_positions(book, as_of=AS_OF), settings).total == pytest.approx(
        margin, abs=0.01
    )
    # a row whose rate converts still needs fx.USD, and the error names it
    needing = [*book, ["US500", "cfd", 1.0, 6000.0, "USD", 1.0]]
    error = MissingDataError if reading == "usd" else InputError
    with pytest.raises(
        error, match=r"row 4's rate converts with it" if reading == "usd" else "row 4, fx_rate"
    ):
        fn.esma_margin(needing, "EUR", params(fx_rates=reading))


def test_a_dollar_based_flex_report_of_a_euro_pair_through_regime_esma(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # 3,333.33 EUR before fx_rates, then "give fx.USD": the pair's rate is not read in a EUR account
    text = (
        '<?xml version="1.0"?>\n<FlexQueryResponse><FlexStatements count="1"><FlexStatement accountId="U1">'
        "<OpenPositions>\n"
        + _position("EUR.USD", "CASH", "USD", 100_000, 1.1745, 1.0)
        + "\n</OpenPositions></FlexStatement></FlexStatements></FlexQueryResponse>\n"
    )
    path = tmp_path / "fxusd.xml"
    path.write_text(text, encoding="utf-8")
    assert _esma_json(capsys, path)["requirement"] == 3333.33
    argv = ["margin", str(path), "--regime", "account", "--as-of", str(AS_OF), "--format", "json"]
    assert main([*argv, "--param", "account_currency=EUR"]) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["requirement"] == 3333.33


# --- a broker export of a euro-based account ------------------------------------------------------------


def _position(symbol: str, category: str, currency: str, qty: float, price: float, to_base: float) -> str:
    return (
        f'<OpenPosition accountId="U1" currency="{currency}" fxRateToBase="{to_base!r}" '
        f'assetCategory="{category}" symbol="{symbol}" multiplier="1" position="{qty}" markPrice="{price}" '
        'levelOfDetail="SUMMARY" />'
    )


def euro_flex(tmp_path: Path) -> Path:
    """The book of :func:`rows` as a EUR-based account's Flex report: rates to EUR (fxRateToBase)."""
    positions = [
        _position("US500", "CFD", "USD", 2, 6000.0, PER_USD),
        _position("EUR.USD", "CASH", "USD", 25_000, EUR_USD, PER_USD),
        _position("GBP.USD", "CASH", "USD", 10_000, GBP_USD, PER_USD),
        _position("UK100", "CFD", "GBP", 3, 8000.0, GBP_USD / EUR_USD),
        _position("DE40", "CFD", "EUR", 1, 24_000.0, 1.0),
    ]
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<FlexQueryResponse queryName="P" type="AF">\n'
        '<FlexStatements count="1">\n<FlexStatement accountId="U1" fromDate="20261120" toDate="20261120">\n'
        '<AccountInformation accountId="U1" currency="EUR" />\n<OpenPositions>\n'
        + "\n".join(positions)
        + "\n</OpenPositions>\n</FlexStatement>\n</FlexStatements>\n</FlexQueryResponse>\n"
    )
    path = tmp_path / "euro.xml"
    path.write_text(text, encoding="utf-8")
    return path


def _esma_json(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> dict[str, Any]:
    argv = ["margin", str(path), "--regime", "esma", "--as-of", str(AS_OF), "--format", "json", *options]
    assert main(argv) == 0, capsys.readouterr().err
    return dict(json.loads(capsys.readouterr().out))


def test_a_euro_based_flex_report_through_regime_esma_equals_the_table_written_in_euros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    export = euro_flex(tmp_path)
    by_hand = fn.esma_breakdown(rows(False), "EUR", EUR_READING)
    document = _esma_json(capsys, export)  # EUR: ESMA's default account currency, the export's base
    assert document["requirement"] == fn.esma_margin(rows(False), "EUR", EUR_READING)
    assert figures([[], *document["tables"][0]["rows"]]) == pytest.approx(figures(by_hand))
    assert _esma_json(capsys, export, "--account-currency", "eur")["requirement"] == document["requirement"]
    # the Python API's twins read the export the same way, MAX_NOTIONAL's esma regime too
    assert xlmargin.esma_margin(export, as_of=AS_OF) == document["requirement"]
    frame = xlmargin.esma_breakdown(export, "EUR", as_of=AS_OF)
    assert figures([list(frame.columns), *frame.values.tolist()]) == pytest.approx(figures(by_hand))
    assert xlmargin.max_notional(export, 500_000.0, "esma", as_of=AS_OF) == pytest.approx(
        fn.max_notional(rows(False), 500_000.0, "esma", EUR_READING)
    )
    # told to read the rates as the account's, the command refuses them and says how to read them
    assert (
        main(
            ["margin", str(export), "--regime", "esma", "--as-of", str(AS_OF), "--param", "fx_rates=account"]
        )
        == 2
    )
    assert "give fx_rates=usd" in capsys.readouterr().err


def test_the_export_implies_fx_usd_in_its_base_currency_only():
    # ESMA's account currency is its argument (EUR when not given); the export's dollar rate is to EUR
    table = import_broker(Path(__file__).parent / "data" / "ibkr_flex.xml")  # a USD-based report
    assert table.account_params({}, None, "EUR") == {"fx_rates": "usd"}


def test_another_account_currency_than_the_exports_base_takes_fx_usd_from_the_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    export = euro_flex(tmp_path)
    table = import_broker(export)
    assert table.account_params({}, None, "EUR") == {"fx_rates": "usd", "fx.USD": table.base.per_usd}
    assert table.account_params({}, "GBP", "EUR") == {"fx_rates": "usd"}
    assert table.account_params({"account_currency": "eur"}) == {
        "fx_rates": "usd",
        "fx.USD": table.base.per_usd,
    }
    assert (
        main(["margin", str(export), "--regime", "esma", "--as-of", str(AS_OF), "--account-currency", "GBP"])
        == 2
    )
    assert "give fx.USD (GBP per USD)" in capsys.readouterr().err
    gbp = _esma_json(capsys, export, "--account-currency", "GBP", "--param", f"fx.USD={1 / GBP_USD!r}")
    in_pounds = fn.esma_margin(rows(True), "GBP", params(**{"fx.USD": 1 / GBP_USD, "fx_rates": "usd"}))
    assert gbp["requirement"] == in_pounds


@pytest.mark.parametrize(
    ("reading", "unit"), [("account", "EUR per GBP"), ("usd", "USD per GBP, fx_rates=usd")]
)
def test_a_missing_rate_is_asked_for_in_the_unit_the_table_is_read_in(reading: str, unit: str):
    # under fx_rates=usd the table's fx_rate is USD per unit: asking for "EUR per GBP" there led the
    # user to type a rate the reading then multiplies by fx.USD again
    book = [HEADER, ["UK100", "cfd", 1.0, 8000.0, "GBP", None]]
    with pytest.raises(MissingDataError, match=rf"give fx_rate \({unit}\) in the table"):
        fn.esma_margin(book, "EUR", params(fx_rates=reading, **{"fx.USD": PER_USD}))
