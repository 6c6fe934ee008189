"""The risk view's common funds outside the equity book: currency trusts, an FX fund no table knows,
short Treasury funds, and a blank-class ETF no table knows (stress.toml [mapping.symbols],
[instruments.bond_etfs]; symbols.toml [classes]).

Hand figures from the scenario moves as stress-scenarios.md prints them, E10 "COVID crash" (tables
1a/1b, 2020-02-19 → 2020-03-23): S&P 500 −33.9 %, 2y −114 bp, 10y −80 bp, 30y −68 bp, DXY +2.9 %,
EURUSD −0.3 %, USDJPY +0.2 % (the yen −0.1996 %), USDCHF −0.2 % (the franc +0.2004 %), no GBP series.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin import instruments as ins
from xlmargin import rules, stress
from xlmargin.excel import udfs
from xlmargin.positions import read_positions
from xlmargin.stress.results import risk_margin, risk_margins

SETTINGS = stress.stress_settings({}, AS_OF)
PARAMS = [["as_of", AS_OF.isoformat()]]
HEADER = ["symbol", "type", "quantity", "price", "class", "factor", "beta"]


def book(*rows: list[Any]) -> Any:
    return read_positions([HEADER, *rows], as_of=AS_OF)


def e10(*rows: list[Any]) -> stress.StressResult:
    return stress.stress_pnl(book(*rows), "E10", SETTINGS)


def inverse_pct(usd_xxx_pct: float) -> float:
    """The % move of a currency in USD from a USDxxx % move (stress-scenarios.md §0.3)."""
    return 100.0 / (1.0 + usd_xxx_pct / 100.0) - 100.0


# --- currency trusts ---------------------------------------------------------------------------------


def test_a_currency_trust_follows_its_currency_not_the_dollar_index_or_equities() -> None:
    # Each trust holds its one currency: $10,000 of FXE moves with EURUSD (−0.3 % in E10: −30), not
    # with the S&P 500 (−3,390, the old blank-class reading) nor long the dollar index (+290).
    result = e10(
        ["FXE", "etf", 100, 100.0], ["FXY", "etf", 100, 100.0], ["FXF", "etf", 100, 100.0],
        ["FXB", "etf", 100, 100.0], ["UUP", "etf", 100, 100.0],
    )  # fmt: skip
    pnl = {symbol: value for _, symbol, value in result.positions}
    assert pnl["FXE"] == pytest.approx(10_000 * -0.003)
    assert pnl["FXY"] == pytest.approx(10_000 * inverse_pct(0.2) / 100)
    assert pnl["FXF"] == pytest.approx(10_000 * inverse_pct(-0.2) / 100)
    assert pnl["FXB"] == 0.0  # the pound has a factor but no series in E10: unmoved, not unstressed
    assert pnl["UUP"] == pytest.approx(10_000 * 0.029)
    assert result.warnings == ()


def test_a_trust_in_a_currency_without_a_factor_is_held_constant_and_reported() -> None:
    # AUD and CAD are ISO currencies (esma.toml [currencies] codes) no scenario moves: their
    # trusts are unstressed, as a currency leg in them is, not moved by another factor.
    positions = book(["FXA", "etf", 100, 70.0], ["SPY", "etf", 10, 500.0], ["FXC", "etf", 50, 72.0])
    result = stress.stress_pnl(positions, "E10", SETTINGS)
    pnl = {symbol: value for _, symbol, value in result.positions}
    assert (pnl["FXA"], pnl["FXC"]) == (0.0, 0.0)
    assert result.warnings == (
        "held constant, AUD has no risk factor: rows 2",
        "held constant, CAD has no risk factor: rows 4",
    )
    groups = {group: loss for group, loss, _ in risk_margin(positions, SETTINGS).groups}
    assert groups.get("unstressed", 0.0) == 0.0 and "fx" not in groups


def test_currency_trusts_keep_their_reg_t_pm_and_esma_treatment() -> None:
    # symbols.toml lists the trusts under [funds] as fx_fund, never fx: class fx would margin their
    # options at the world-currency-option rate (margin-rules.md §1.3, 4 %) and make ESMA refuse a CFD
    # on them; they are margined as an ETF (a CFD: a fund unit, 5:1), and the risk view maps them by
    # stress.toml [mapping.symbols].
    header = ["symbol", "type", "quantity", "price", "underlying", "underlying price", "strike", "expiry",
              "right", "volatility"]  # fmt: skip
    expiry = AS_OF.replace(month=12, day=18)
    figures = []
    for symbol in ("FXE", "ZZZF"):  # ZZZF: an ETF no table knows
        rows = [[symbol, "etf", 100.0, 100.0, None, None, None, None, None, None],
                [symbol, "option", -1.0, 1.0, symbol, 100.0, 95.0, expiry, "P", 0.10]]  # fmt: skip
        cfd = [["symbol", "type", "quantity", "price"], [symbol, "cfd", 100.0, 100.0]]
        figures.append(
            (
                udfs.REGT_MARGIN([header, *rows], None, None, PARAMS),
                udfs.PM_REQUIREMENT([header, *rows], PARAMS),
                udfs.ESMA_MARGIN(cfd, "USD", PARAMS),
            )
        )
    assert figures[0] == figures[1]
    assert figures[0][0] == 6_600.0  # 20 % equity-option rate on the naked put, not 4 %
    table = rules.load("symbols")
    assert "FXE" not in table["classes"] and table["funds"]["FXE"] == "fx_fund"


# --- an FX fund no table knows -------------------------------------------------------------------------


FX_WARNING = (
    "class fx position on a symbol no table of stress.toml knows ([mapping.symbols], the bond-ETF and "
    "futures tables): assumed to follow usd, the US dollar index (DXY), long, as a fund long the dollar "
    "does (UUP); give the factor column (chf, eur, gbp, jpy for a fund holding that currency against the "
    "dollar) or the beta column (-1 for a fund short the dollar, as UDN is): rows "
)


def test_an_fx_fund_outside_the_tables_follows_the_dollar_with_a_warning_naming_its_rows() -> None:
    result = e10(
        ["CYB", "etf", 100, 100.0, "fx"], ["SPY", "etf", 10, 500.0], ["CEW", "etf", 100, 100.0, "fx_major"],
        ["CYB", "etf", 50, 100.0, "fx"],
    )  # fmt: skip
    pnl = [value for _, _, value in result.positions]
    assert pnl[0] == pytest.approx(10_000 * 0.029) and pnl[3] == pytest.approx(5_000 * 0.029)
    assert result.warnings == (
        FX_WARNING + "2, 5",
        FX_WARNING.replace("class fx position", "class fx_major position") + "4",
    )


def test_the_beta_or_factor_column_silences_the_fx_fund_warning() -> None:
    result = e10(["XYZFX", "etf", 100, 100.0, "fx", None, -1.0], ["EURF", "etf", 100, 100.0, "fx", "eur"])
    assert [value for _, _, value in result.positions] == pytest.approx([10_000 * -0.029, 10_000 * -0.003])
    assert result.warnings == ()


# --- Treasury funds -------------------------------------------------------------------------------------


def test_shv_is_a_short_treasury_fund_not_an_equity() -> None:
    # SHV (0-1 year Treasuries): D 0.4, C 0, maturity 0.4 years, below the 2y node, so the 2y move:
    # −0.4 × −0.0114 = +0.456 % on $11,000 = +50.16 (the old reading: −33.9 % as an S&P equity).
    positions = book(["SHV", "etf", 100, 110.0])
    assert positions.arrays["asset_class"][0] == "treasury"
    result = stress.stress_pnl(positions, "E10", SETTINGS)
    assert result.positions[0][2] == pytest.approx(11_000 * 0.4 * 0.0114)
    assert result.warnings == ()
    shv = ins.bond_etf("SHV")
    assert shv is not None and (shv.duration, shv.convexity, shv.maturity_years) == (0.4, 0.0, 0.4)


def test_zroz_moves_as_its_table_row_says() -> None:
    # ZROZ: D 26.6, C 740, maturity 27.6 years: 0.12 of the 10y move + 0.88 of the 30y (linear between
    # the nodes): Δy = 0.12 × −80 + 0.88 × −68 = −69.44 bp.
    dy = (0.12 * -80 + 0.88 * -68) / 1e4
    result = e10(["ZROZ", "etf", 10, 70.0])
    assert result.positions[0][2] == pytest.approx(700 * (-26.6 * dy + 0.5 * 740.0 * dy * dy))
    assert book(["ZROZ", "etf", 10, 70.0]).arrays["asset_class"][0] == "treasury"


# --- a blank-class ETF no table knows ----------------------------------------------------------------


EQUITY_WARNING = (
    "ETF with a blank class on a symbol no table of stress.toml knows: stressed as an equity fund "
    "(us_equity, beta 1 × leverage); give its class (treasury with its duration, gold, commodity, "
    "fx_fund ...), the factor column, or the beta column for an equity fund: rows "
)


def test_a_blank_class_etf_outside_the_tables_is_stressed_as_equity_with_a_warning() -> None:
    # A share (type stock) is an equity by what it is: no warning. An ETF may hold anything: the rows
    # whose class is blank, with no beta and no factor, are named; a class, beta or factor given is not.
    result = e10(
        ["ZZZF", "etf", 100, 100.0], ["AAPL", "stock", 10, 200.0], ["ZZZG", "etf", 10, 50.0, "equity"],
        ["ZZZH", "etf", 10, 50.0, None, None, 1.2], ["ZZZF", "etf", -20, 100.0],
        ["ZZZI", "etf", 10, 50.0, None, "us_equity"],
    )  # fmt: skip
    assert result.positions[0][2] == pytest.approx(10_000 * -0.339)
    assert result.warnings == (EQUITY_WARNING + "2, 6",)


def test_batch_accounts_get_the_new_warnings_as_each_account_alone() -> None:
    # Book.warnings_by keys the assumed-factor notes after every other (5n + the row): each account's
    # warnings come in the order the account alone gives them, naming only its own rows.
    rows = [
        ["ZZZF", "etf", 100, 100.0], ["CYB", "etf", 100, 100.0, "fx"], ["FXA", "etf", 100, 70.0],
        ["CYB", "etf", 10, 100.0, "fx"], ["SHV", "etf", 10, 110.0], ["ZZZF", "etf", 5, 100.0],
        ["FXC", "etf", 5, 72.0],
    ]  # fmt: skip
    both = risk_margins(book(*rows), SETTINGS, [0, 3, 7])
    alone = risk_margin(book(*rows[:3]), SETTINGS).warnings
    assert both[0].warnings == alone == (
        "held constant, AUD has no risk factor: rows 4", EQUITY_WARNING + "2", FX_WARNING + "3",
    )  # fmt: skip
    assert both[1].warnings == (
        "held constant, CAD has no risk factor: rows 8", FX_WARNING + "5", EQUITY_WARNING + "7",
    )  # fmt: skip
    second = risk_margin(book(*rows[3:]), SETTINGS).warnings  # its rows numbered 2 to 5 alone
    assert [w.rsplit(": rows", 1)[0] for w in second] == [w.rsplit(": rows", 1)[0] for w in both[1].warnings]


def test_every_symbol_row_names_a_factor_or_a_known_currency() -> None:
    # [mapping.symbols]: a factor a position can follow, or a currency the risk view knows (those of
    # [instruments.currencies] and esma.toml's ISO codes: a misspelt code would hold the fund constant).
    table = rules.load("stress").get("mapping.symbols")
    known = ins.known_currencies() - {ins.numeraire()}
    factors = {f.id for f in stress.factors()}
    for symbol, row in table.items():
        if symbol in ("source", "confidence", "notes"):
            continue
        assert ("factor" in row) != ("currency" in row), symbol
        assert row.get("factor", "usd") in factors and row.get("currency", "EUR") in known, symbol
