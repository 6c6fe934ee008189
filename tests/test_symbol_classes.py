"""How well-known symbols are classed, and that every regime reads them the same way.

- Funds (symbols.toml [funds]): an option on an ETF is an equity option, 20 % of the underlying
  (margin-rules.md §1.3, Cboe strategy-based margin page), paid in full at any expiry unless the fund
  is equity-based (§1.2); the 4 % world-currency-option rate is for options on a currency. UUP and UDN
  hold dollar-index futures and the currency trusts one currency: class ``fx_fund``, not ``fx``. A CFD
  on a fund's share with a blank class is capped as a fund unit, "individual equities and other
  reference values", 5:1 (§5, ESMA35-43-1000), not as the index, metal or currency the fund holds.
- The positions reader's currency from a pair symbol is :func:`xlmargin.symbols.pair_quote`, the
  reading every engine uses (EURUSD.pro, EUR / USD, XAUUSD.pro are pairs there too).
- The risk view: SLV (silver) and DBC (a commodity basket) have no series in stress-scenarios.md
  (§0.4: the only commodities are WTI and gold), so they are held constant with a warning; a
  commodity row on an unknown symbol follows oil, said in a warning. An equity-index CFD takes the
  factor of its index, read from esma.toml's index tables (GER40: intl_equity, as the non-US ETFs).

Scenario figures are E10 "COVID crash" as stress.toml prints it from stress-scenarios.md tables
1a/1b: S&P 500 −33.9 %, EFA (non-US) −32.6 %, WTI −56.2 %, gold −2.5 %, DXY +2.9 %.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.books import book, row
from tests.conftest import AS_OF
from tests.test_stress_funds import e10  # rows: symbol, type, quantity, price, class, factor, beta
from xlmargin import rules, symbols
from xlmargin.errors import InputError
from xlmargin.esma import esma_margin, esma_settings
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.positions import read_positions
from xlmargin.regt import regt_margin

NO_RATES = esma_settings({}, AS_OF)


def naked_put(symbol: str, **cells: Any) -> float:
    """Reg T initial on one short 28 put at 0.75 on a 28 underlying, 30 days (margin-rules.md §1.3)."""
    put = row(symbol, "option", -1, 0.75, underlying_price=28.0, strike=28.0, right="P", days=30, **cells)
    return regt_margin(book(put), basis="initial").total


# --- 1. funds: Reg T, PM, ESMA --------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["UUP", "UDN", "FXE", "SLV", "DBC", "USO", "GLD"])
def test_a_naked_put_on_a_fund_takes_the_equity_option_rate(symbol: str) -> None:
    # §1.3: 0.75 + 20 % × 28 − 0 (at the money) = 6.35 per share, $635; the floor 0.75 + 10 % × 28
    # is lower. UUP and UDN were class fx: 0.75 + 4 % × 28 = 1.87, $187.
    assert naked_put(symbol) == 635.0


def test_an_option_on_a_currency_keeps_the_world_currency_rate() -> None:
    # §1.3 (IBKR table, world currency options): 0.75 + 4 % × 28 = 1.87 per unit, $187.
    assert naked_put("XDE", klass="fx") == 187.0


@pytest.mark.parametrize("symbol", ["UUP", "FXE"])
def test_a_long_dated_option_on_a_currency_fund_is_paid_in_full(symbol: str) -> None:
    # §1.2 (Cboe): the ETF underlying a long-dated option must be equity based to be bought on margin:
    # 100 % of 1 × 100 × 3.00 = $300. FXE, read as an equity ETF before, got 75 % ($225).
    call = row(symbol, "option", 1, 3.0, underlying_price=28.0, strike=28.0, right="C", days=540)
    assert regt_margin(book(call), basis="initial").total == 300.0


def test_funds_sit_in_their_own_class_groups_at_15_percent() -> None:
    # §2.5: bond, gold and FX ETFs (TLT, GLD, UUP ...) are separate class groups at ±15 %.
    shares = [row(s, "etf", 100, 28.0) for s in ("UUP", "SLV", "GLD")]
    result = pm_requirement(book(*shares), pm_settings({}, AS_OF))
    found = {(g.id, g.asset_class, g.range_label) for g in result.class_groups}
    assert found == {("UUP", "fx_fund", "±15%"), ("SLV", "commodity", "±15%"), ("GLD", "gold", "±15%")}


@pytest.mark.parametrize(
    ("symbol", "before"),
    [("UUP", "refused"), ("UDN", "refused"), ("GLD", 140.0), ("SLV", 280.0), ("USO", 280.0), ("SPY", 280.0)],
)
def test_a_cfd_on_a_fund_is_capped_as_a_fund_unit(symbol: str, before: object) -> None:
    # §5: 100 × $28 = $2,800 at 5:1 = $560. Before: UUP refused as "not a currency pair", GLD at
    # gold's 20:1 ($140), SLV and USO at other commodities' 10:1, SPY at a non-major index's 10:1.
    result = esma_margin(book(row(symbol, "cfd", 100, 28.0, currency="USD")), "USD", NO_RATES)
    (line,) = result.lines
    assert (result.total, line.rule_class, line.max_leverage) == (560.0, "other", 5.0)
    assert line.class_from == f"inferred: {symbol} is a fund (symbols.toml [funds])"
    assert result.warnings == ()
    assert result.total != before


def test_a_class_given_on_a_fund_cfd_still_wins() -> None:
    # The class column always wins over the tables: class gold on GLD is gold's 20:1, $140.
    cfd = row("GLD", "cfd", 100, 28.0, currency="USD", klass="gold")
    assert esma_margin(book(cfd), "USD", NO_RATES).total == 140.0
    with pytest.raises(InputError, match="not a currency pair"):  # class fx says a pair: UUP is none
        esma_margin(book(row("UUP", "cfd", 100, 28.0, currency="USD", klass="fx")), "USD", NO_RATES)


def test_crypto_funds_keep_the_cryptocurrency_cap() -> None:
    # Kept under symbols.toml [classes], not [funds]: 2,800 at 2:1 = 1,400 (the stricter reading).
    assert esma_margin(book(row("IBIT", "cfd", 100, 28.0, currency="USD")), "USD", NO_RATES).total == 1400.0


def test_the_fund_table_holds_no_index_and_the_class_alias_reads() -> None:
    table = rules.load("symbols")
    about = ("source", "confidence")
    assert not (set(table["classes"]) - set(about)) & symbols.funds()
    assert {table["funds"][s] for s in ("UUP", "UDN", "FXE", "FXY")} == {"fx_fund"}
    rows = [["symbol", "type", "quantity", "price", "class"], ["CYB", "etf", 1, 28.0, "Currency ETF"]]
    (position,) = read_positions(rows, as_of=AS_OF)
    assert position.asset_class == "fx_fund"


# --- 2. the reader's currency from a pair symbol ---------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "currency"),
    [("EURUSD", "USD"), ("EURUSD.pro", "USD"), ("XAUUSD.pro", "USD"), ("EUR / USD", "USD"),
     ("USDJPY-m", "JPY"), ("gbp.chf", "CHF"), ("EURUSD.DEC26", None), ("EURUSDX", None), ("AAPL", None)],
)  # fmt: skip
@pytest.mark.parametrize("column", [True, False])
def test_a_blank_currency_is_the_pair_symbols_quote_as_every_engine_reads_it(
    symbol: str, currency: str | None, column: bool
) -> None:
    header = ["symbol", "type", "quantity", "price"] + (["currency"] if column else [])
    cells = [symbol, "cfd", 1.0, 1.1] + ([None] if column else [])
    (position,) = read_positions([header, cells], as_of=AS_OF)
    assert position.currency == currency == symbols.pair_quote(symbol)


# Texts built from what a pair symbol is made of, so that pairs, near-pairs and suffixes collide.
_PIECES = st.sampled_from(["EUR", "USD", "XAU", "JPY", "EU", "R", "/", ".", "-", " ", "\t", "PRO", "M", "1"])


@given(st.lists(st.lists(_PIECES, max_size=6).map("".join), max_size=20))
def test_the_readers_length_test_never_changes_the_reading(texts: list[str]) -> None:
    # Holds by construction: a pair symbol's characters besides blanks are 6 to 8 + the longest suffix.
    upper = [t.upper() for t in texts]
    assert symbols.pair_quotes(upper) == [symbols.pair_quote(t) for t in upper]


@given(st.text(alphabet=string.ascii_uppercase + " ./-_\t0", max_size=16))
def test_the_length_test_on_any_text(text: str) -> None:
    assert symbols.pair_quotes([text]) == [symbols.pair_quote(text)]


@given(st.lists(st.lists(_PIECES, max_size=6).map("".join), max_size=20))
def test_the_asset_classes_length_test_never_changes_the_reading(texts: list[str]) -> None:
    # The reader's asset class of a metal or crypto pair, each symbol passed over at the same test.
    upper = [t.upper().replace("EUR", "BTC") for t in texts]
    assert symbols.pair_base_classes(upper) == [symbols.pair_base_class(t) for t in upper]


def test_the_asset_classes_length_test_reads_the_pairs() -> None:
    found = symbols.pair_base_classes(["XAUUSD", "BTC / EUR", "XAUUSD.PRO", "XAU\tUSD", "S147", "BTC"])
    assert found == ["gold", "crypto", "gold", "gold", None, None]


# --- 3. commodity funds in the risk view --------------------------------------------------------------


def test_silver_and_a_commodity_basket_are_held_constant_with_a_warning() -> None:
    # No silver or broad-commodity series (stress-scenarios.md §0.4): not moved with WTI (−56.2 % in
    # E10: SLV $10,000 → −5,620 before). USO still follows WTI, GLD and IAU gold (−2.5 %).
    result = e10(*[[symbol, "etf", 100, 100.0] for symbol in ("SLV", "DBC", "USO", "GLD", "IAU")])
    pnl = {symbol: value for _, symbol, value in result.positions}
    assert (pnl["SLV"], pnl["DBC"]) == (0.0, 0.0)
    assert pnl["USO"] == pytest.approx(10_000 * -0.562)
    assert pnl["GLD"] == pytest.approx(10_000 * -0.025) == pnl["IAU"]
    held = [w for w in result.warnings if "[mapping.unrepresented]" in w]
    assert [w.startswith("held constant, SLV holds silver bullion") for w in held] == [True, False]
    assert held[0].endswith("rows 2") and held[1].endswith("rows 3")


def test_a_commodity_row_no_table_knows_follows_oil_with_a_warning() -> None:
    result = e10(["ZZC", "etf", 100, 100.0, "commodity"], ["ZZC", "etf", 100, 100.0, "commodity", None, 0.5])
    assert [value for _, _, value in result.positions] == pytest.approx([-5_620.0, -2_810.0])
    (warning,) = result.warnings
    assert "assumed to follow oil" in warning and "[mapping.assumed]" in warning and warning.endswith("2")


def test_a_given_factor_stresses_silver() -> None:
    (line,) = e10(["SLV", "etf", 100, 100.0, None, "gold", 1.4]).positions
    assert line[2] == pytest.approx(10_000 * -0.025 * 1.4)


# --- 4. index CFDs in the risk view ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "move", "klass"),
    [("GER40", -0.326, None), ("UK100.cash", -0.326, None), ("JP225", -0.326, None),
     ("HK50", -0.326, None), ("NKY", -0.326, None), ("HK50", -0.326, "broad_index"),
     ("US500", -0.339, None), ("US2000", -0.339, None), ("SPX.L", -0.339, None), ("DAX", -0.339, "equity")],
)  # fmt: skip
def test_an_index_cfd_follows_its_indexs_factor(symbol: str, move: float, klass: str | None) -> None:
    # intl_equity (EFA, −32.6 %) for a non-US index read from esma.toml's tables, us_equity (−33.9 %)
    # for a US one; a share's exchange suffix (SPX.L) or a class column of equity (a stock named DAX)
    # is no index. The CFD is in USD here, so no currency leg adds to it.
    (line,) = e10([symbol, "cfd", 10, 1_000.0, klass]).positions
    assert line[2] == pytest.approx(10_000 * move)


def test_the_index_factors_name_indices_of_the_esma_tables() -> None:
    # One list of symbols: stress.toml names indices, esma.toml lists their symbols.
    about = ("source", "confidence", "notes", "default")
    named = {k for k in rules.load("stress").get("mapping.indices") if k not in about}
    esma = rules.load("esma")
    listed = {k for t in symbols.INDEX_TABLES for k in esma[t] if k not in about}
    assert named and named <= listed
