"""MAX_NOTIONAL under Reg T scales the book's own pairing (capacity module docstring).

Reg T pairs whole contracts; re-pairing a fractional book charged 0.9 of a covered call as 0.9 of
a naked call (QA review R1, finding 1: 82,688.52 at 1.9 × the requirement where the book × 2 and × 3
need exactly 2 × and 3 ×). With the pairing's units scaled, the requirement is linear in the scale:
the maximum is equity / requirement × the notional, to the cent, and monotone in the equity. The
figures below are regression consistency with the engine, not published numbers.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter

import xlmargin
from tests.books import HEADER, future, row, stock
from tests.books import book as read
from tests.conftest import AS_OF
from xlmargin.account import account_margin
from xlmargin.capacity import capacity_settings, max_notional, scaled
from xlmargin.cli import main
from xlmargin.excel import functions as fn
from xlmargin.money import cents_down
from xlmargin.positions import Portfolio
from xlmargin.regt import RegTResult, paired_at_scale, regt_margin

DEFAULT = capacity_settings({}, AS_OF)
LATER = dt.date(2027, 1, 15)
REGT = ("regt", "regt_maintenance")


def option(symbol: str, qty: float, price: float, spot: float, strike: float, right: str = "C") -> list[Any]:
    return row(f"{symbol} {strike:g}{right}", "option", qty, price, underlying=symbol,
               underlying_price=spot, strike=strike, expiry=LATER, right=right)  # fmt: skip


COVERED_CALL = [stock("AAPL", 100, 260), option("AAPL", -1, 62, 260, 200)]  # Reg T initial 16,000
# the review's sec.csv (covered calls, long and short stock, a low-priced short, a put spread, a
# Treasury) and a naked call
MIXED = [
    stock("AAPL", 500, 260),
    stock("TSLA", -100, 400),
    stock("PENNY", -1000, 4),
    option("AAPL", -5, 5.2, 260, 280),
    option("SPY", -3, 8.5, 690, 650, "P"),
    option("SPY", 3, 4.0, 690, 620, "P"),
    [*row("UST 4.5 2031", "bond", 100_000, 99.5, klass="treasury"), "2031-11-15", 4.5],
    option("TSLA", -2, 30, 400, 420),
]


def book(*rows: list[Any]) -> Portfolio:
    return read(*rows, header=(*HEADER, "maturity", "coupon"))


def linear(portfolio: Portfolio, equity: float, regime: str) -> float:
    """equity / requirement × the gross notional, to the cent below: the linear answer."""
    result = max_notional(portfolio, equity, regime, DEFAULT)
    base = regt_margin(portfolio, basis="initial" if regime == "regt" else "maintenance")
    return cents_down(equity / base.exact * result.base_gross_notional)


def test_a_covered_call_scales_as_a_covered_call() -> None:
    portfolio = book(*COVERED_CALL)
    assert regt_margin(portfolio).total == 16_000.0
    result = max_notional(portfolio, 1.9 * 16_000, "regt", DEFAULT)
    assert result.gross_notional == pytest.approx(1.9 * 52_000, abs=0.01)  # 98,800, not 82,688.52
    assert result.requirement == pytest.approx(1.9 * 16_000, abs=0.01)
    # at 2× the equity the book × 2 fits exactly: the engine's own pairing of it needs 32,000
    assert max_notional(portfolio, 32_000, "regt", DEFAULT).gross_notional == pytest.approx(104_000, abs=0.01)
    assert regt_margin(scaled(portfolio, 2)).total == 32_000.0


@pytest.mark.parametrize("rows", [COVERED_CALL, MIXED], ids=["covered call", "mixed"])
@pytest.mark.parametrize("regime", REGT)
def test_the_maximum_is_equity_over_the_requirement_times_the_notional(rows, regime: str) -> None:
    portfolio = book(*rows)
    for equity in (1_000.0, 12_345.67, 16_000.0, 30_400.0, 250_000.0, 3_333_333.33):
        found = max_notional(portfolio, equity, regime, DEFAULT).gross_notional
        assert found == pytest.approx(linear(portfolio, equity, regime), abs=0.011), equity


@pytest.mark.parametrize(
    ("rows", "top"), [(COVERED_CALL, 64_000), (MIXED, 500_000)], ids=["covered call", "mixed"]
)
@pytest.mark.parametrize("regime", [*REGT, "account"])
def test_the_maximum_is_monotone_in_the_equity(rows, top: float, regime: str) -> None:
    # re-pairing gave the covered call 156,000 at 15,000 of equity but 121,430.16 at 16,000 (maintenance)
    portfolio = book(*rows)
    equities = np.linspace(top / 32, top, 63)
    found = [max_notional(portfolio, float(e), regime, DEFAULT).gross_notional for e in equities]
    assert all(a <= b for a, b in pairwise(found)), found


def test_random_books_are_linear_in_the_equity() -> None:
    """Books drawn from a small universe (one underlying, calls and puts at three strikes, stock
    long or short), so that covered, spread and naked legs all occur."""
    rng = np.random.default_rng(20261207)
    strikes = (90.0, 100.0, 110.0)
    for _ in range(12):
        rows = [stock("XYZ", int(rng.integers(-3, 4)) * 100 + 50 * int(rng.integers(0, 2)), 100.0)]
        for k in strikes:
            for right in "CP":
                qty = int(rng.integers(-3, 4))
                if qty:
                    value = max(100.0 - k if right == "C" else k - 100.0, 0.0) + 2.0
                    rows.append(option("XYZ", qty, value, 100.0, k, right))
        portfolio = book(*rows)
        for regime in REGT:
            base = regt_margin(portfolio, basis="initial" if regime == "regt" else "maintenance")
            if base.exact <= 0:
                continue
            equity = float(rng.uniform(0.3, 4.0)) * base.exact
            found = max_notional(portfolio, equity, regime, DEFAULT)
            assert found.gross_notional == pytest.approx(linear(portfolio, equity, regime), abs=0.011)
            assert found.requirement <= equity + 0.005 * (1 + len(base.groups))  # cents of each group


@pytest.mark.parametrize("rows", [COVERED_CALL, MIXED], ids=["covered call", "mixed"])
def test_the_pairing_at_a_whole_multiple_is_the_engines(rows) -> None:
    portfolio = book(*rows)
    for basis in ("initial", "maintenance"):
        base = regt_margin(portfolio, basis=basis)
        for k in (2, 3, 7):
            engine = regt_margin(scaled(portfolio, k), basis=basis)
            at = paired_at_scale(base, k)
            assert (at.exact, at.total, at.gross, at.net) == pytest.approx(
                (engine.exact, engine.total, engine.gross, engine.net), abs=1e-6
            )


def test_a_larger_book_that_pairs_better_is_the_safe_side() -> None:
    # 50 shares do not cover a call; at 2× the 100 shares cover one of the two
    portfolio = book(stock("AAPL", 50, 260), option("AAPL", -1, 62, 260, 200))
    base = regt_margin(portfolio)
    assert paired_at_scale(base, 2).exact == pytest.approx(2 * base.exact)
    assert regt_margin(scaled(portfolio, 2)).exact < 2 * base.exact


def test_the_minimum_equity_check_is_not_carried_to_the_scaled_book() -> None:
    portfolio = book(*COVERED_CALL)
    checked = regt_margin(portfolio, equity=1_000.0)
    assert checked.minimum_equity is not None and checked.minimum_equity.meets is False
    at = paired_at_scale(checked, 0.5)
    assert at.minimum_equity is None
    assert at.warnings == regt_margin(portfolio).warnings
    assert at.exact == pytest.approx(0.5 * checked.exact)
    assert [leg.quantity for g in at.groups for leg in g.legs] == pytest.approx(
        [0.5 * leg.quantity for g in checked.groups for leg in g.legs]
    )


def test_the_account_view_scales_its_reg_t_pairing_and_recomputes_the_rest() -> None:
    portfolio = book(*COVERED_CALL, future("ESZ6", 1, 6000))
    settings = DEFAULT.account
    base = account_margin(portfolio, settings)
    pairing = next(line.detail for line in base.lines if isinstance(line.detail, RegTResult))
    equity = 2.5 * base.exact
    result = max_notional(portfolio, equity, "account", DEFAULT)
    at = account_margin(
        scaled(portfolio, result.scale), settings, securities=paired_at_scale(pairing, result.scale)
    )
    assert at.exact == pytest.approx(equity, rel=1e-9)
    # the securities alone: the covered call at 2.5 × is 2.5 × its requirement
    alone = max_notional(book(*COVERED_CALL), 2.5 * 16_000, "account", DEFAULT)
    assert alone.gross_notional == pytest.approx(2.5 * 52_000, abs=0.01)


def test_the_cell_the_python_api_and_the_cli_agree(tmp_path: Path) -> None:
    header = ["symbol", "type", "qty", "price", "underlying", "underlying_price", "strike", "expiry", "right"]
    rows = [["AAPL", "stock", 100, 260, None, None, None, None, None],
            ["AAPL 200C", "option", -1, 62, "AAPL", 260, 200, LATER.isoformat(), "C"]]  # fmt: skip
    equity = 1.9 * 16_000
    cell = fn.max_notional([header, *rows], equity, "regt", [["as_of", AS_OF.isoformat()]])
    python = xlmargin.max_notional(pd.DataFrame(rows, columns=header), equity, "regt", as_of=AS_OF)
    path = tmp_path / "capacity.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("S")
    for i, values in enumerate([header, *rows]):
        sheet.write_row(i, 0, values)
    sheet.write_row(0, 11, ["as_of", AS_OF.isoformat()])
    sheet.write_formula("K5", f'=MAX_NOTIONAL(A1:I3,{equity},"regt",L1:M1)')
    workbook.close()
    out = tmp_path / "capacity.recalc.xlsx"
    assert main(["recalc", str(path), "-o", str(out)]) == 0
    shown = openpyxl.load_workbook(out, data_only=True)["S"]["K5"].value
    assert cell == python == shown == pytest.approx(98_800.0, abs=0.01)
