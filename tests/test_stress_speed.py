"""The fast option P&L of the stress view against its slow, obvious twin, and duplicate rows priced once.

The fast path (``xlmargin.stress.pnl``) prices each distinct contract once per distinct (spot ratio,
VIX move) of its group. The twin below prices every option row in every scenario on its own, with
the rules the stress module docstring states: the spot moved by the underlying's loadings (floored
above zero), today's price at the unshifted volatility, σ + Δσ for options whose volatility follows
the VIX, and for options with an early-exercise premium the American price at σ plus the European
change from σ to σ + Δσ. Both go through the one pricing kernel, so they agree to rounding.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin import stress
from xlmargin.positions import read_positions
from xlmargin.pricing import option_price
from xlmargin.stress.book import Book, build_book
from xlmargin.stress.factors import factor_index, stress_rules
from xlmargin.stress.pnl import position_pnl
from xlmargin.stress.scenarios import move_matrix

HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying price", "strike", "days",
          "right", "volatility", "dividend yield", "style"]  # fmt: skip

# European index options, American ETF and stock options (with and without dividends), options on
# a bond ETF (rates factors, no VIX shift), on gold, on a future, one-day and two-year ones
OPTIONS: list[list[Any]] = [
    ["SPX C", "option", 1, 100.0, "SPX", 5900, 5900, 30, "C", 0.16, None, "european"],
    ["SPX P", "option", -2, 90.0, "SPX", 5900, 5600, 91, "P", 0.21, None, "european"],
    ["SPY P", "option", -3, 10.0, "SPY", 590, 600, 91, "P", 0.20, 0.013, None],
    ["SPY P2", "option", 2, 14.0, "SPY", 590, 610, 91, "P", 0.20, 0.013, None],  # SPY P but the strike
    ["SPY C2", "option", 1, 8.0, "SPY", 590, 600, 91, "C", 0.20, 0.013, None],  # SPY P but the right
    ["SPY C", "option", 4, 12.0, "SPY", 590, 560, 364, "C", 0.18, 0.013, None],
    ["AAPL C", "option", 5, 9.0, "AAPL", 230, 240, 182, "C", 0.30, 0.005, None],
    ["AAPL P", "option", -1, 4.0, "AAPL", 230, 200, 14, "P", 0.35, 0.005, None],
    ["XYZ C", "option", 2, 3.0, "XYZ", 40, 42, 56, "C", 0.55, None, None],
    ["TLT C", "option", -5, 2.0, "TLT", 90, 95, 60, "C", 0.15, 0.04, None],
    ["TLT P", "option", 3, 2.5, "TLT", 90, 88, 273, "P", 0.14, 0.04, None],
    ["GLD C", "option", 2, 8.0, "GLD", 250, 260, 119, "C", 0.17, None, None],
    ["ES C", "future_option", 1, 150.0, "ESZ6", 6000, 6000, 30, "C", 0.18, None, "american"],
    ["WEEK P", "option", 1, 11.0, "SPY", 590, 600, 1, "P", 0.20, None, None],
    ["LEAP P", "option", -1, 40.0, "SPY", 590, 620, 728, "P", 0.17, 0.013, None],
]


def twin_option_pnl(book: Book, moves: np.ndarray, rate: float) -> np.ndarray:
    """Option P&L (options × scenarios), one row and one scenario at a time."""
    o = book.options
    vix = moves[factor_index()["vix"]]
    floor = float(stress_rules().get("vol_shift.floor"))
    out = np.zeros((len(o.S), moves.shape[1]))
    for i in range(len(o.S)):
        put_rate = (rate if o.on_future[i] else o.q[i]) if o.call[i] else rate
        premium = bool(o.american[i] and put_rate > 0.0 and o.T[i] > 0.0)
        shifted = o.vol_term[i] != 0.0

        def price(spot: float, sigma: float, american: bool, i: int = i) -> float:
            return float(
                option_price(spot, o.K[i], o.T[i], rate, o.q[i], sigma, o.call[i], american, o.on_future[i])
            )

        today = price(o.S[i], o.sigma[i], o.american[i])
        for j in range(moves.shape[1]):
            dy = float(o.weights[i] @ moves[:, j])
            r = float(o.beta[i] @ moves[:, j]) - o.duration[i] * dy + 0.5 * o.convexity[i] * dy * dy
            spot = o.S[i] * max(1.0 + max(r, -1.0), 1e-6)
            up = max(o.sigma[i] + o.vol_term[i] * vix[j], floor)
            if not shifted or (vix[j] == 0.0 and spot == o.S[i]):
                value = price(spot, o.sigma[i], o.american[i]) if spot != o.S[i] else today
            elif premium:  # the VIX layer applies where the VIX moves
                layer = price(spot, up, False) - price(spot, o.sigma[i], False) if vix[j] != 0.0 else 0.0
                value = (price(spot, o.sigma[i], True) if spot != o.S[i] else today) + layer
            else:
                value = price(spot, up, o.american[i])
            out[i, j] = o.units[i] * (value - today)
    return out


@pytest.mark.parametrize("rate", [0.0, 0.045])
def test_option_pnl_matches_the_row_by_row_twin(rate: float) -> None:
    settings = stress.stress_settings({"rate": rate}, AS_OF)
    book = build_book(read_positions([HEADER, *OPTIONS], as_of=AS_OF), settings)
    moves = move_matrix(stress.scenario_library(settings))
    fast = position_pnl(book, moves, settings.rate)[book.option_idx]
    assert (book.options.vol_term != 0.0).any() and (book.options.vol_term == 0.0).any()
    assert fast == pytest.approx(twin_option_pnl(book, moves, settings.rate), rel=1e-12, abs=1e-9)


def _beta_book(betas: list[float]) -> list[list[Any]]:
    """Calls and puts on one stock per beta (a beta column, as a risk view's book often has),
    American with a dividend yield (an early-exercise premium at a positive rate) or European."""
    rows = []
    for i, beta in enumerate(betas):
        name, spot, style = f"S{i}", 50.0 + 7 * i, ("european" if i % 3 == 0 else None)
        for right, strike, days in (("C", spot * 1.05, 91), ("P", spot * 0.9, 182), ("C", spot, 28)):
            rows.append([f"{name} {right}{days}", "option", 1 + i % 4, 2.0, name, spot, strike, days, right,
                         0.2 + 0.01 * i, 0.01 * (i % 3), style, beta])  # fmt: skip
    return [[*HEADER, "beta"], *rows]


@pytest.mark.parametrize("rate", [0.0, 0.045])
def test_a_beta_per_underlying_is_priced_per_block_not_per_underlying(
    rate: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with a beta of its own, each underlying has its own spot ratios in every scenario; its
    # contracts still go to the kernel with the others (a row of ratios each), in as many calls as
    # when every underlying shares one beta, and the P&L matches the twin
    from xlmargin.pricing import clear_caches
    from xlmargin.stress import pnl as stress_pnl_module

    settings = stress.stress_settings({"rate": rate}, AS_OF)
    moves = move_matrix(stress.scenario_library(settings))
    calls: list[int] = []
    kernel = stress_pnl_module.option_prices
    monkeypatch.setattr(stress_pnl_module, "option_prices", lambda *a: calls.append(1) or kernel(*a))
    counted = {}
    for name, betas in (("shared", [1.2] * 12), ("own", [0.5 + 0.1 * i for i in range(12)])):
        book = build_book(read_positions(_beta_book(betas), as_of=AS_OF), settings)
        clear_caches()
        calls.clear()
        fast = position_pnl(book, moves, settings.rate)[book.option_idx]
        counted[name] = len(calls)
        assert fast == pytest.approx(twin_option_pnl(book, moves, settings.rate), rel=1e-12, abs=1e-9)
    assert counted["own"] == counted["shared"]
    # the VIX layer priced at both ends (rows of several profiles in one block) gives the same P&L
    clear_caches()
    reused = position_pnl(book, moves, settings.rate)
    clear_caches()
    monkeypatch.setattr(stress_pnl_module, "_sigma_columns", lambda *a: None)
    assert np.array_equal(position_pnl(book, moves, settings.rate), reused)


def test_duplicate_rows_are_priced_once_with_the_same_pnl() -> None:
    # every option twice, the copy holding 7 times the quantity, further down the table
    settings = stress.stress_settings({"rate": 0.03}, AS_OF)
    doubled = [*OPTIONS, *([*r[:2], 7 * r[2], *r[3:]] for r in OPTIONS)]
    moves = move_matrix(stress.scenario_library(settings))
    single = build_book(read_positions([HEADER, *OPTIONS], as_of=AS_OF), settings)
    book = build_book(read_positions([HEADER, *doubled], as_of=AS_OF), settings)
    once = position_pnl(single, moves, settings.rate)
    pnl = position_pnl(book, moves, settings.rate)
    n = len(OPTIONS)
    assert np.array_equal(pnl[:n], once)
    assert pnl[n:] == pytest.approx(7 * once, rel=1e-12, abs=1e-9)


def test_an_edit_that_changes_no_contract_prices_nothing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # the last book's price changes are reused when only quantities change; any change of terms reprices
    from xlmargin.pricing import clear_caches
    from xlmargin.stress import pnl as stress_pnl_module

    settings = stress.stress_settings({"rate": 0.03}, AS_OF)
    moves = move_matrix(stress.scenario_library(settings))
    edited = [[*r[:2], 3 * r[2], *r[3:]] for r in OPTIONS]
    restruck = [[*r[:6], r[6] + 1, *r[7:]] if i == 2 else r for i, r in enumerate(OPTIONS)]
    books = {name: build_book(read_positions([HEADER, *rows], as_of=AS_OF), settings)
             for name, rows in (("base", OPTIONS), ("edited", edited), ("restruck", restruck))}  # fmt: skip
    fresh = {}
    for name, book in books.items():
        clear_caches()
        fresh[name] = position_pnl(book, moves, settings.rate)
    calls = []
    kernel = stress_pnl_module.option_prices
    monkeypatch.setattr(stress_pnl_module, "option_prices", lambda *a: calls.append(1) or kernel(*a))
    prepared = []  # distinct contracts found and boundary solves begun
    contracts, start = stress_pnl_module._contracts, stress_pnl_module.start
    monkeypatch.setattr(stress_pnl_module, "_contracts", lambda o: prepared.append(1) or contracts(o))
    monkeypatch.setattr(stress_pnl_module, "start", lambda job: prepared.append(1) or start(job))
    clear_caches()
    assert np.array_equal(position_pnl(books["base"], moves, settings.rate), fresh["base"])
    position_pnl(books["base"], moves[:, :1], settings.rate)  # another scenario set keeps its own
    priced, seen = len(calls), len(prepared)
    assert priced > 0
    assert seen == 4
    assert np.array_equal(position_pnl(books["edited"], moves, settings.rate), fresh["edited"])
    assert len(calls) == priced  # quantities only: nothing priced
    assert len(prepared) == seen  # nor any contract looked for or boundary solved
    assert fresh["edited"] == pytest.approx(3 * fresh["base"], rel=1e-12, abs=1e-9)
    assert np.array_equal(position_pnl(books["restruck"], moves, settings.rate), fresh["restruck"])
    assert len(calls) > priced  # a strike changed: priced again
    assert not np.array_equal(fresh["restruck"], fresh["base"])
    # the underlyings' loadings count too: the same contracts, every underlying's loadings halved,
    # are priced again after the base book
    half = replace(
        books["base"], options=replace(books["base"].options, beta=0.5 * books["base"].options.beta)
    )
    clear_caches()
    alone = position_pnl(half, moves, settings.rate)
    assert not np.array_equal(alone, fresh["base"])
    assert np.array_equal(position_pnl(books["base"], moves, settings.rate), fresh["base"])
    assert np.array_equal(position_pnl(half, moves, settings.rate), alone)


def test_blocks_of_contracts_price_as_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    # groups split across kernel calls (jobs of a contract or two) give the P&L of one call per
    # group, bit for bit: the exercise boundaries are solved before the jobs, however they are cut
    from xlmargin.pricing import clear_caches
    from xlmargin.stress import pnl as stress_pnl_module

    settings = stress.stress_settings({"rate": 0.045}, AS_OF)
    book = build_book(read_positions([HEADER, *OPTIONS, *OPTIONS[::-1]], as_of=AS_OF), settings)
    moves = move_matrix(stress.scenario_library(settings))
    whole = position_pnl(book, moves, settings.rate)
    clear_caches()
    monkeypatch.setattr(stress_pnl_module, "_EUROPEAN_POINTS", 2)
    monkeypatch.setattr(stress_pnl_module, "_PREMIUM_POINTS", 2)
    assert np.array_equal(position_pnl(book, moves, settings.rate), whole)


def test_vix_layer_reuses_the_european_prices_of_the_premium(monkeypatch: pytest.MonkeyPatch) -> None:
    # the VIX layer of a contract with a premium takes its price at σ from the European prices the
    # premium started from; pricing both ends of the layer again gives the same P&L, bit for bit
    from xlmargin.pricing import clear_caches
    from xlmargin.stress import pnl as stress_pnl_module

    settings = stress.stress_settings({"rate": 0.045}, AS_OF)
    book = build_book(read_positions([HEADER, *OPTIONS], as_of=AS_OF), settings)
    moves = move_matrix(stress.scenario_library(settings))
    looked_up: list[bool] = []
    found = stress_pnl_module._sigma_columns
    monkeypatch.setattr(stress_pnl_module, "_sigma_columns", lambda *a: looked_up.append(True) or found(*a))
    reused = position_pnl(book, moves, settings.rate)
    assert looked_up  # the book has American options with a premium that follow the VIX
    clear_caches()
    monkeypatch.setattr(stress_pnl_module, "_sigma_columns", lambda *a: None)
    assert np.array_equal(position_pnl(book, moves, settings.rate), reused)


def test_last_books_kept_within_their_memory_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # over budget, the least recently used last books go; the one just priced stays
    from xlmargin.stress import pnl as stress_pnl_module

    settings = stress.stress_settings({}, AS_OF)
    book = build_book(read_positions([HEADER, *OPTIONS], as_of=AS_OF), settings)
    moves = move_matrix(stress.scenario_library(settings))
    monkeypatch.setattr(stress_pnl_module, "_LAST_BOOKS", type(stress_pnl_module._LAST_BOOKS)())
    expected = [position_pnl(book, moves[:, j : j + 1], settings.rate) for j in range(3)]
    assert len(stress_pnl_module._LAST_BOOKS) == 3
    monkeypatch.setattr(stress_pnl_module, "_MAX_KEPT_BYTES", 1)
    again = position_pnl(book, moves[:, 3:4], settings.rate)
    assert len(stress_pnl_module._LAST_BOOKS) == 1
    assert np.array_equal(position_pnl(book, moves[:, 3:4], settings.rate), again)
    assert np.array_equal(position_pnl(book, moves[:, :1], settings.rate), expected[0])


def test_new_spots_reuse_the_exercise_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    # a boundary depends on (T, r, q, σ), not on the spot: a recalculation with new spots (which
    # misses the last book) prices again but solves no boundary again
    import importlib

    from xlmargin.pricing import clear_caches

    american = importlib.import_module("xlmargin.pricing.american")
    settings = stress.stress_settings({"rate": 0.045}, AS_OF)
    moved = [[*r[:5], 1.01 * r[5], *r[6:]] for r in OPTIONS]
    book, book_moved = (
        build_book(read_positions([HEADER, *rows], as_of=AS_OF), settings) for rows in (OPTIONS, moved)
    )
    moves = move_matrix(stress.scenario_library(settings))
    clear_caches()
    fresh = position_pnl(book_moved, moves, settings.rate)
    solved: list[int] = []
    solve = american._solve_integrand
    monkeypatch.setattr(american, "_solve_integrand", lambda T, *a: solved.append(len(T)) or solve(T, *a))
    clear_caches()
    position_pnl(book, moves, settings.rate)
    first = sum(solved)
    assert first > 0
    assert np.array_equal(position_pnl(book_moved, moves, settings.rate), fresh)
    assert sum(solved) == first
