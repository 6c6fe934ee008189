"""Currency pairs of any ISO 4217 code, and the scaled major indices (margin-rules.md §5).

Rules audit findings:

1. A pair whose codes were not among the 28 of esma.toml ``[currencies]`` (USDRUB, USDTWD, USDIDR,
   USDAED, USDSAR, USDMYR, USDCLP) was refused as "not a currency pair" even on a row that said class
   fx and gave its currency and fx_rate. §5 caps every non-major pair at 20:1. ``[currencies] codes``
   now holds every active ISO 4217 code; a row that says it is a pair (type fx, class fx / fx_major)
   reads them all. A symbol alone still reads only ``quoted`` (the 28: a share's six-letter ticker
   may spell two ISO codes), and a blank-class CFD on two ISO codes not both quoted is refused,
   naming its class column, rather than margined at a guessed cap.
2. A blank-class CFD on DJX (the DJIA at 1/100), XSP (the S&P 500 at 1/10) or XND (the Nasdaq-100
   at 1/100) was a non-major index (10:1, by symbols.toml's highcap_index); the DJIA, S&P 500 and
   Nasdaq-100 are major indices (20:1): ``[major_indices]`` now lists them.

Hand figures (§5: non-major pair, major index 20:1, margin = notional / 20):
- 100,000 USDTRY at 34.5, USD account: notional 100,000 USD, margin 5,000.00.
- 100,000 EURTRY at 37.0, EUR account: notional 100,000 EUR, margin 5,000.00.
- 100,000 USDRUB at 90.0, EUR account, currency RUB, fx_rate 0.0102 EUR per RUB: 9,000,000 RUB =
  91,800 EUR, margin 4,590.00; with no fx_rate and fx.USD = 0.92: 100,000 USD = 92,000 EUR, 4,600.00.
- 10 XSP at 600 (USD account): 6,000 / 20 = 300.00 (it was 600.00 at 10:1).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.books import book, row, stock
from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.errors import InputError
from xlmargin.esma import esma_class_from, esma_margin, esma_settings, nfa_margin
from xlmargin.fx_rates import row_pair
from xlmargin.instruments import currency_exposures, fx_pair
from xlmargin.positions import read_positions
from xlmargin.stress.results import risk_margin
from xlmargin.symbols import currency_pair, pair_quote

NO_RATES = esma_settings({}, AS_OF)
EXOTIC = [("USDRUB", 90.0), ("USDTWD", 32.0), ("USDIDR", 16_000.0), ("USDAED", 3.6725)]
EXOTIC += [("USDSAR", 3.75), ("USDMYR", 4.4), ("USDCLP", 950.0)]
STRESS = stress.stress_settings({}, AS_OF)


def margin(*rows: list[Any], account: str = "USD", params: dict[str, Any] | None = None) -> Any:
    return esma_margin(book(*rows), account, esma_settings(params or {}, AS_OF))


@pytest.mark.parametrize(("symbol", "price"), EXOTIC)
@pytest.mark.parametrize(("kind", "klass"), [("fx", None), ("fx", "fx"), ("cfd", "fx")])
def test_a_row_that_says_fx_on_any_iso_pair_is_a_non_major_pair(
    symbol: str, price: float, kind: str, klass: str | None
) -> None:
    # USD account: the notional is 100,000 base dollars whatever the quote, 100,000 / 20 = 5,000
    result = margin(row(symbol, kind, 100_000, price, klass=klass, currency=symbol[3:]))
    (line,) = result.lines
    assert (line.rule_class, line.notional, line.margin) == ("non_major_fx", 100_000.0, 5_000.0)
    # the row's fx_rate (USD per unit of the quote) gives the same: price × units × rate
    rated = margin(row(symbol, kind, 100_000, price, klass=klass, currency=symbol[3:], fx_rate=1 / price))
    assert rated.total == pytest.approx(5_000.0, abs=0.01)


def test_the_audit_figures() -> None:
    (usdtry,) = margin(row("USDTRY", "fx", 100_000, 34.5)).lines
    assert (usdtry.notional, usdtry.margin, usdtry.max_leverage) == (100_000.0, 5_000.0, 20.0)
    (eurtry,) = margin(row("EURTRY", "fx", 100_000, 37.0), account="EUR").lines
    assert (eurtry.currency, eurtry.notional, eurtry.margin) == ("EUR", 100_000.0, 5_000.0)
    # quoted in a currency the account does not hold: the row's rate (EUR per RUB) converts it
    given = row("USDRUB", "fx", 100_000, 90.0, klass="fx", currency="RUB", fx_rate=0.0102)
    (rub,) = margin(given, account="EUR").lines
    assert (rub.currency, rub.notional, rub.margin) == ("RUB", pytest.approx(91_800.0), 4_590.0)
    # no rate in the row: the base currency's parameter converts the base notional
    (usd,) = margin(row("USDRUB", "fx", 100_000, 90.0), account="EUR", params={"fx.USD": 0.92}).lines
    assert (usd.currency, usd.notional, usd.margin) == ("USD", pytest.approx(92_000.0), 4_600.0)
    # and fx.RUB, a parameter of every ISO code, converts the quote notional
    (by_rub,) = margin(row("USDRUB", "fx", 100_000, 90.0), account="EUR", params={"fx.RUB": 0.0102}).lines
    assert by_rub.margin == 4_590.0


def test_without_a_rate_the_error_names_the_row_and_the_rates_it_needs() -> None:
    with pytest.raises(Exception, match=r"row 2, fx_rate: .*fx\.RUB or fx\.USD"):
        margin(row("USDRUB", "fx", 100_000, 90.0), account="EUR")


def test_the_us_forex_rule_reads_the_same_pairs() -> None:
    result = nfa_margin(book(row("USDRUB", "fx", 100_000, 90.0)), "USD", NO_RATES)
    assert result.total == 5_000.0  # 5% of 100,000 USD: not a pair of two NFA majors


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        ("USDXYZ", r"row 2, symbol: 'USDXYZ' is not a currency pair: XYZ is no ISO 4217 currency code"),
        ("USD-RUB-X", r"row 2, symbol: 'USD-RUB-X' is not a currency pair \(two three-letter"),
        ("XYZABC", r"XYZ and ABC are no ISO 4217 currency code"),
    ],
)
def test_an_fx_row_the_reader_cannot_read_is_an_error_naming_it(symbol: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        margin(row(symbol, "fx", 100_000, 1.0, currency="USD"))


# --- a symbol alone: the quoted codes only -----------------------------------------------------------


@pytest.mark.parametrize("symbol", ["USDRUB", "ALLTOP", "AMDPEN", "GELMAD"])
def test_a_blank_class_cfd_on_two_iso_codes_not_quoted_must_say_what_it_is(symbol: str) -> None:
    # ALL (Allstate), AMD, TOP, PEN (Penumbra), GEL, MAD: tickers and ISO codes; 20:1 or 5:1
    with pytest.raises(InputError, match=rf"row 2, class: '{symbol}' reads as the currency pair .*class fx"):
        margin(row(symbol, "cfd", 100, 10.0, currency="USD"))
    with pytest.raises(InputError, match="row 2, class"):
        nfa_margin(book(row(symbol, "cfd", 100, 10.0, currency="USD")), "USD", NO_RATES)
    (share,) = margin(row(symbol, "cfd", 100, 10.0, currency="USD", klass="equity")).lines
    assert (share.rule_class, share.margin) == ("individual_equity", 200.0)  # 1,000 / 5


def test_the_quoted_pairs_still_read_from_the_symbol_alone() -> None:
    (line,) = margin(row("USDTRY", "cfd", 100_000, 34.5)).lines
    assert (line.rule_class, line.class_from) == ("non_major_fx", "inferred: pair USD/TRY [currencies]")


def test_the_shared_readers_take_the_row_type() -> None:
    assert currency_pair("USDRUB") is None and currency_pair("USDRUB", declared=True) == ("USD", "RUB")
    assert currency_pair("USDCAD") == ("USD", "CAD")
    assert row_pair("fx", "equity", False, "USDRUB") == ("USD", "RUB")
    assert row_pair("cfd", "fx", True, "USDRUB") == ("USD", "RUB")
    assert row_pair("cfd", "equity", False, "USDRUB") is None  # a symbol alone: refused by ESMA
    assert row_pair("stock", "equity", False, "USDCAD") is None
    assert pair_quote("ALLTOP") is None and pair_quote("ALLTOP", declared=True) == "TOP"
    # metals are no ISO currency here: [pair_bases] gives their class (XAUUSD is gold, not a pair)
    assert currency_pair("XAUUSD", declared=True) is None


def test_the_reader_fills_a_blank_currency_by_the_row_type() -> None:
    table = [
        ["symbol", "type", "quantity", "price", "class"],
        ["USDRUB", "fx", 100_000, 90.0, None],
        ["USDTWD", "cfd", 100_000, 32.0, "fx"],
        ["ALLTOP", None, 100, 10.0, None],  # a ticker spelling two ISO codes: no currency read
        ["USDCAD", None, 100, 10.0, None],  # a quoted pair's symbol reads as before
    ]
    portfolio = read_positions(table, as_of=AS_OF)
    assert list(portfolio.arrays["currency"]) == ["RUB", "TWD", None, "CAD"]
    with_column = [[*r, c] for r, c in zip(table, ["currency", None, None, None, None], strict=True)]
    assert list(read_positions(with_column, as_of=AS_OF).arrays["currency"]) == ["RUB", "TWD", None, "CAD"]


@pytest.mark.parametrize("with_column", [False, True])
def test_a_row_that_says_share_keeps_a_ticker_spelling_two_codes(with_column: bool) -> None:
    # a type stock or etf, or a class equity, says share: its symbol is read as no pair, so a blank
    # currency stays blank (an engine that needs one asks for it) whatever codes the ticker spells
    table = [
        ["symbol", "type", "quantity", "price", "class"],
        ["USDCAD", "stock", 100, 10.0, None],
        ["EURUSD", "etf", 100, 10.0, None],
        ["USDTRY", "cfd", 100, 10.0, "equity"],
        ["GBPUSD", None, 100, 10.0, "equity"],
        ["USDJPY", None, 100, 10.0, None],  # no type, no class: the symbol alone, as before
        ["USDCHF", "cfd", 100, 1.0, None],
        ["ALLTOP", "fx", 100, 1.0, "fx"],  # the row says pair: any ISO code
    ]
    if with_column:
        table = [[*r, c] for r, c in zip(table, ["currency", *[None] * 7], strict=True)]
    portfolio = read_positions(table, as_of=AS_OF)
    assert list(portfolio.arrays["currency"]) == [None, None, None, None, "JPY", "CHF", "TOP"]


def test_a_share_cfd_on_a_pair_ticker_is_a_share_in_every_view() -> None:
    share = row("USDCAD", "cfd", 100, 50.0, klass="equity", currency="USD")
    (line,) = margin(share).lines
    assert (line.rule_class, line.margin) == ("individual_equity", 1_000.0)  # 5,000 / 5
    assert row_pair("cfd", "equity", True, "USDCAD") is None
    assert currency_exposures(book(share)) == {}  # no currency legs: a dollar share
    stock = row("EURUSD", "stock", 100, 50.0, currency="USD")
    assert currency_exposures(book(stock)) == {}
    moved = stress.stress_pnl(book(share, stock), "S5", STRESS)
    assert moved.pnl != 0.0  # moved as equities by the equity factor, not as pairs


def test_the_pair_readers_give_its_legs() -> None:
    # 100,000 USDRUB: + 100,000 USD, − 100,000 USD of RUB (the legs a decision tool sizes a trade by)
    exposures = currency_exposures(book(row("USDRUB", "fx", 100_000, 90.0)))
    assert exposures == {"USD": 100_000.0, "RUB": -100_000.0}
    assert fx_pair("USDRUB") is not None and fx_pair("USDXYZ") is None


HELD = "{} has no risk factor: its currency legs are held constant (rows {})"


@pytest.mark.parametrize(("symbol", "price"), EXOTIC)
@pytest.mark.parametrize(("kind", "klass"), [("fx", None), ("cfd", "fx")])
def test_the_stress_view_holds_any_iso_currency_without_a_factor_constant(
    symbol: str, price: float, kind: str, klass: str | None
) -> None:
    # stress.toml [instruments.currencies] moves no RUB, TWD, ...: as TRY (one of esma.toml's quoted
    # 28), each is held constant, the view naming the currency and the row; it used to refuse the book
    pair = row(symbol, kind, 100_000, price, klass=klass)
    moved = stress.stress_pnl(book(pair), "S5", STRESS)
    assert (moved.pnl, moved.warnings) == (0.0, (HELD.format(symbol[3:], 2),))  # USD leg: the numeraire
    assert ("note", HELD.format(symbol[3:], 2)) in [
        tuple(r[:2]) for r in stress.stress_table(book(pair), STRESS)
    ]
    assert risk_margin(book(pair), STRESS).warnings == (HELD.format(symbol[3:], 2),)


def test_a_pair_of_any_iso_code_is_held_as_a_quoted_one_is() -> None:
    rows = [row("EURUSD", "fx", 100_000, 1.1), row("RUBTWD", "fx", 1_000_000, 0.36, fx_rate=0.031)]
    rows += [row("USDTRY", "fx", 100_000, 34.5), row("USDRUB", "fx", 50_000, 90.0)]
    result = stress.stress_pnl(book(*rows), "S5", STRESS)
    assert result.pnl == pytest.approx(-12_760.0)  # the euro leg alone: 110,000 × −11.6%
    assert result.warnings == (HELD.format("RUB", "3, 5"), HELD.format("TWD", 3), HELD.format("TRY", 4))


def test_a_position_in_an_iso_currency_without_a_factor_moves_as_one_in_dollars() -> None:
    # 1,000 shares at 300 RUB × 0.011 USD per RUB = 3,300 USD: the share moves as 3,300 USD of the same
    # share does, the rouble is held constant, as the lira of a share in TRY is
    rub = stress.stress_pnl(book(stock("SBER", 1_000, 300.0, currency="RUB", fx_rate=0.011)), "S5", STRESS)
    usd = stress.stress_pnl(book(stock("SBER", 1_000, 3.3)), "S5", STRESS)
    assert rub.pnl == pytest.approx(usd.pnl) and usd.pnl < 0.0
    assert rub.warnings == (HELD.format("RUB", 2),)
    lira = stress.stress_pnl(book(stock("SBER", 1_000, 300.0, currency="TRY", fx_rate=0.011)), "S5", STRESS)
    assert lira.warnings == (HELD.format("TRY", 2),)


def test_the_stress_view_refuses_a_pair_of_no_currency_and_a_code_without_a_rate() -> None:
    # XQZ is no ISO 4217 code: no pair, refused naming the row, never held constant
    rows = [row("EURUSD", "fx", 100_000, 1.1), row("USDXQZ", "fx", 100_000, 90.0)]
    with pytest.raises(InputError) as found:
        stress.stress_pnl(book(*rows), "S5", STRESS)
    (problem,) = found.value.problems
    assert (problem.row, problem.column) == (3, "symbol") and "'USDXQZ'" in problem.message
    with pytest.raises(InputError, match=r"row 3, symbol: 'USDXQZ'"):
        stress.stress_table(book(*rows), STRESS)
    # a share priced in a code of no table whose row gives its fx_rate (a broker's GBX, pence) is
    # valued by that rate, as every other view values it, its currency held constant with a warning
    shares = [stock("SBER", 1_000, 300.0, currency="RUB", fx_rate=0.011)]
    shares += [
        stock("VOD", 10_000, 72.0, currency="GBX", fx_rate=0.0125),
        stock("DEF", 1, 5.0, currency="GBX", fx_rate=0.0125),
    ]
    held = stress.stress_pnl(book(*shares), "S5", STRESS)
    assert any("GBX has no risk factor" in w and "rows 3" in w and "4" in w for w in held.warnings)
    # a code that is no currency at all (XQZ) is refused by the reader, naming the row and column
    # (it was valued at the row's rate, or refused for want of one: R7)
    with pytest.raises(InputError) as refused:
        stress.stress_pnl(book(stock("ABC", 10, 5.0, currency="XQZ")), "S5", STRESS)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "currency")]
    assert "'XQZ' is not an ISO 4217 currency code" in refused.value.problems[0].message


def test_the_risk_view_refuses_the_blank_class_cfd_the_caps_refuse() -> None:
    cfds = [row("USDRUB", "cfd", 100_000, 90.0), row("USDRUB", "cfd", 5, 90.0)]
    with pytest.raises(InputError, match=r"rows? 2.*class: 'USDRUB' reads as the currency pair USD/RUB"):
        stress.stress_pnl(book(*cfds), "S5", STRESS)
    with pytest.raises(InputError) as found:
        stress.stress_pnl(book(*cfds), "S5", STRESS)
    assert [p.row for p in found.value.problems] == [2, 3]  # every row named


# --- the scaled major indices ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "index"), [("XSP", "SP_500"), ("DJX", "DJIA"), ("XND", "NASDAQ_100"), ("XSP.cash", "SP_500")]
)
def test_a_scaled_major_index_is_a_major_index(symbol: str, index: str) -> None:
    (line,) = margin(row(symbol, "cfd", 10, 600.0, currency="USD")).lines
    assert (line.rule_class, line.margin) == ("major_index", 300.0)  # 6,000 / 20, not / 10
    assert index in line.class_from
    # with an index class too; a class equity is still a share (5:1)
    cfd = row(symbol, "cfd", 10, 600.0, currency="USD", klass="highcap_index")
    assert esma_class_from(book(cfd).positions[0])[0] == "major_index"
    (share,) = margin(row(symbol, "cfd", 10, 600.0, currency="USD", klass="equity")).lines
    assert share.rule_class == "individual_equity"


@pytest.mark.parametrize("symbol", ["OEX", "XEO", "RUT", "MRUT"])
def test_indices_off_the_major_list_stay_non_major(symbol: str) -> None:
    (line,) = margin(row(symbol, "cfd", 10, 600.0, currency="USD")).lines
    assert line.rule_class == "non_major_index"  # S&P 100, Russell 2000: not on §5's list
