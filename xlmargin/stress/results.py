"""What the stress functions return: one scenario's breakdown, the table of all, the worst losses."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray
from xlmargin.errors import InputError, Problem
from xlmargin.money import cents
from xlmargin.positions import Portfolio
from xlmargin.positions.reader import factorize
from xlmargin.stress.book import Book, build_book
from xlmargin.stress.factors import factors
from xlmargin.stress.pnl import position_pnl
from xlmargin.stress.scenarios import Scenario, move_matrix, scenario_library
from xlmargin.stress.settings import StressSettings

HOUSE_NOTE = (
    "xlmargin house risk view, NOT a regulatory or broker margin: cross-asset offsets shown here are "
    "granted by no CCP (FINRA PM and Eurex give none). P&L in USD, signed (loss < 0), instant revaluation."
)
BLANK_NOTE = (
    "Historical scenarios replay stress-scenarios.md tables 1a/1b/§1.5; a blank source cell leaves its "
    "factor unmoved (listed in each scenario's notes)."
)


def _percent(pnl: float, gross: float) -> float:
    return round(float(100.0 * pnl / gross), 6) + 0.0 if gross > 0.0 else 0.0


def _notes(width: int, warnings: Sequence[str], *extra: str) -> list[list[Any]]:
    """Note rows for a table: the house-view caveat, extra notes and every warning."""
    return [["note", text, *[""] * (width - 2)] for text in (HOUSE_NOTE, *extra, *warnings)]


@dataclass(frozen=True)
class StressResult:
    """One scenario's P&L on the book (house risk view, not a regulation).

    ``pnl`` is the signed USD total, to the cent. ``positions`` holds (row, symbol, P&L) per position in row
    order; ``factors`` the P&L with each moved factor alone, plus ``interaction`` (what only the
    joint move produces: convexity across factors, options, currency cross terms), so that they add
    up to ``pnl``; ``sleeves`` the P&L by the ``sleeve`` column (``""`` for positions without one).
    """

    scenario: Scenario
    pnl: float
    gross_exposure: float
    positions: tuple[tuple[int, str, float], ...]
    factors: Mapping[str, float]
    sleeves: Mapping[str, float]
    warnings: tuple[str, ...] = ()

    def table(self) -> list[list[Any]]:
        """Header, the total, each factor, each sleeve, each position (worst first), then notes."""
        header = ["line", "item", "P&L", "% of gross"]
        gross = self.gross_exposure
        title = f"{self.scenario.id}: {self.scenario.name}"
        out: list[list[Any]] = [header, ["total", title, cents(self.pnl), _percent(self.pnl, gross)]]
        out += [["factor", name, cents(v), _percent(v, gross)] for name, v in self.factors.items()]
        out += [
            ["sleeve", name or "(none)", cents(v), _percent(v, gross)] for name, v in self.sleeves.items()
        ]
        ranked = sorted(self.positions, key=lambda p: p[2])
        out += [["position", f"{sym} (row {row})", cents(v), _percent(v, gross)] for row, sym, v in ranked]
        s = self.scenario
        extra = [f"scenario {s.id}: {s.source} [{s.confidence}]", *([s.notes] if s.notes else [])]
        return out + _notes(len(header), self.warnings, *extra)


def stress_pnl(portfolio: Portfolio, scenario_id: str, settings: StressSettings) -> StressResult:
    """The P&L of one scenario of :func:`scenario_library`, by position, factor and sleeve.

    House risk view, not a regulation. An unknown ``scenario_id`` is an :class:`InputError` that
    lists every id.
    """
    library = scenario_library(settings)
    found = [s for s in library if s.id.upper() == str(scenario_id).strip().upper()]
    if not found:
        raise InputError(Problem(f"unknown scenario '{scenario_id}'; ids: {', '.join(s.id for s in library)}",
                                 None, "scenario"))  # fmt: skip
    scenario = found[0]
    book = build_book(portfolio, settings)
    moved = [f.id for f in factors() if scenario.moves.get(f.id, 0.0) != 0.0]
    alone = [Scenario(f"{scenario.id}:{name}", name, scenario.kind, {name: scenario.moves[name]}, "", "", "")
             for name in moved]  # fmt: skip
    pnl = position_pnl(book, move_matrix([scenario, *alone]), settings.rate)
    total = pnl[:, 0]
    finite_pnl(pnl.sum(axis=0), pnl, book.rows, book.gross)
    by_factor = {name: float(pnl[:, j + 1].sum()) for j, name in enumerate(moved)}
    by_factor["interaction"] = float(total.sum()) - sum(by_factor.values())
    # each sleeve's P&L summed in row order (as a loop over the rows would), in the order sleeves appear
    codes, names = factorize([sleeve or "" for sleeve in book.sleeves.tolist()])
    sleeves = dict(zip(names, np.bincount(codes, weights=total, minlength=len(names)).tolist(), strict=True))
    positions = zip(book.rows.tolist(), map(str, book.symbols.tolist()), total.tolist(), strict=True)
    return StressResult(
        scenario=scenario, pnl=cents(float(total.sum())), gross_exposure=float(book.gross.sum()),
        positions=tuple(positions),
        factors=MappingProxyType(by_factor), sleeves=MappingProxyType(sleeves), warnings=book.warnings,
    )  # fmt: skip


def finite_pnl(
    totals: FloatArray, pnl: FloatArray, rows: np.ndarray, gross: FloatArray | None = None
) -> None:
    """The last guard of the risk view: a scenario total (``totals``, the columns' sums of ``pnl``) or a
    gross exposure that is not a finite number is an :class:`InputError` naming the rows whose P&L
    or exposure is not, never a worst loss of 0 (NaN compares false) or NaN. One check of the few
    totals; the rows are looked for only when one fails."""
    if np.isfinite(totals).all() and (gross is None or np.isfinite(gross.sum())):
        return
    bad = ~np.isfinite(pnl).all(axis=1)
    if gross is not None:
        bad |= ~np.isfinite(gross)
    raise InputError(
        [
            Problem("the risk view's P&L of this position is not a finite number; check its price, "
                    "quantity and terms", int(row))
            for row in rows[bad].tolist()
        ]
        or Problem("a scenario's P&L is not a finite number; check the inputs")
    )  # fmt: skip


@dataclass(frozen=True)
class _Run:
    library: tuple[Scenario, ...]
    book: Book
    pnl: FloatArray  # positions × scenarios


def _run(portfolio: Portfolio, settings: StressSettings) -> _Run:
    library = scenario_library(settings)
    book = build_book(portfolio, settings)
    return _Run(library, book, position_pnl(book, move_matrix(library), settings.rate))


def _horizon_note(settings: StressSettings) -> str:
    return (
        f"sigma, PCA and regime-swap scenarios: k = {settings.k:g} standard deviations over "
        f"{settings.horizon_days:g} trading days of the covariance: {settings.covariance.source}"
    )


def stress_table(portfolio: Portfolio, settings: StressSettings) -> list[list[Any]]:
    """Every scenario's P&L, worst first: the house risk view, not a regulation.

    Columns: id, name, kind, P&L (USD, signed), % of gross exposure, worst contributor (the position
    losing most, with its row). After the scenario rows come note rows (first cell ``"note"``): the
    house-view caveat, how blank source cells are treated, the sigma horizon and covariance, and any
    position held constant.
    """
    run = _run(portfolio, settings)
    totals = run.pnl.sum(axis=0)
    finite_pnl(totals, run.pnl, run.book.rows, run.book.gross)
    gross = float(run.book.gross.sum())
    worst = np.argmin(run.pnl, axis=0)  # each scenario's first row at its worst loss
    # Each scenario's figures as Python numbers, converted in one call per column rather than a
    # numpy scalar per cell (the same doubles: a numpy scalar formats and rounds as its float).
    symbols, lines = run.book.symbols[worst].tolist(), run.book.rows[worst].tolist()
    losses = run.pnl[worst, np.arange(worst.size)].tolist()
    total = totals.tolist()
    header = ["id", "name", "kind", "P&L", "% of gross", "worst contributor"]
    rows = []
    for j in np.argsort(totals, kind="stable").tolist():
        s = run.library[j]
        contributor = f"{symbols[j]} (row {lines[j]}): {losses[j]:,.0f}"
        rows.append([s.id, s.name, s.kind, cents(total[j]), _percent(total[j], gross), contributor])
    return [header, *rows, *_notes(len(header), run.book.warnings, BLANK_NOTE, _horizon_note(settings))]


@dataclass(frozen=True)
class RiskMarginResult:
    """The house view's requirement-like figures (not a regulation; no CCP grants these offsets).

    ``requirement`` is the worst loss over the scenario library as a positive number (0 when no
    scenario loses), from ``scenario_id``; ``correlation_break_loss`` the worst loss over the
    correlation-break scenarios alone (0 and ``""`` when the filters drop them all).
    ``no_offset_requirement`` adds up each liquidation group's own worst loss (equity, rates, credit,
    precious metals, FX, commodity...), the way a CCP that gives no cross-asset offsets would count
    (stress-scenarios.md §3.4.5); ``groups`` holds (group, worst loss, scenario id) for each.
    """

    requirement: float
    scenario_id: str
    scenario_name: str
    correlation_break_loss: float
    correlation_break_id: str
    no_offset_requirement: float
    groups: tuple[tuple[str, float, str], ...]
    gross_exposure: float
    scenarios: int
    warnings: tuple[str, ...] = ()
    exact: float = 0.0  # ``requirement`` before rounding (the losses are in cents, the no-offset
    # figure the sum of the groups' cents)

    def table(self) -> list[list[Any]]:
        """Header, one row per figure, then notes."""
        header = ["measure", "value", "scenario", "note"]
        out: list[list[Any]] = [
            header,
            ["worst loss (house view)", cents(self.requirement), self.scenario_id, self.scenario_name],
            ["worst correlation-break loss", cents(self.correlation_break_loss), self.correlation_break_id,
             "hedge legs moving against the core book"],
            ["no-offset figure", cents(self.no_offset_requirement), "",
             "sum of each liquidation group's own worst loss: no cross-asset offsets"],
        ]  # fmt: skip
        out += [[f"group {g}", cents(loss), sid, ""] for g, loss, sid in self.groups]
        out += [
            ["gross exposure", cents(self.gross_exposure), "", ""],
            ["scenarios", self.scenarios, "", ""],
        ]
        return out + _notes(len(header), self.warnings)


def risk_margin(portfolio: Portfolio, settings: StressSettings) -> RiskMarginResult:
    """Worst loss over the scenario library, worst correlation-break loss and the no-offset figure.

    A house risk model, not a regulation: see :class:`RiskMarginResult`.
    """
    run = _run(portfolio, settings)
    return _risk_result(
        run.library, run.pnl, run.book.gross, run.book.groups, run.book.rows, run.book.warnings
    )


def risk_margins(
    portfolio: Portfolio, settings: StressSettings, bounds: Sequence[int]
) -> list[RiskMarginResult]:
    """:func:`risk_margin` of each of many accounts held in one book, account ``k`` the rows
    ``bounds[k]`` to ``bounds[k + 1] - 1`` (the batch's union of a part of its accounts).

    The book is valued once (each distinct contract priced once for all the accounts); each
    account's figures then come from its own rows of the P&L, summed as :func:`risk_margin` sums
    them, so they equal those of the account alone, and so are its warnings
    (:meth:`~xlmargin.stress.book.Book.warnings_by`: each naming only the account's rows).
    """
    run = _run(portfolio, settings)
    book = run.book
    return [
        _risk_result(
            run.library, run.pnl[lo:hi], book.gross[lo:hi], book.groups[lo:hi], book.rows[lo:hi], warnings
        )
        for (lo, hi), warnings in zip(itertools.pairwise(bounds), book.warnings_by(bounds), strict=True)
    ]


def _risk_result(
    library: Sequence[Scenario],
    pnl: FloatArray,
    gross: FloatArray,
    groups: np.ndarray,
    rows: np.ndarray,
    warnings: tuple[str, ...] = (),
) -> RiskMarginResult:
    """The figures of :func:`risk_margin` from a book's P&L (positions × scenarios of ``library``),
    its positions' gross exposures and liquidation groups (``rows``: their row numbers, which an
    error names)."""
    totals = pnl.sum(axis=0)
    finite_pnl(totals, pnl, rows, gross)
    j = int(np.argmin(totals))
    breaks = [i for i, s in enumerate(library) if s.kind == "correlation_break"]
    b = min(breaks, key=lambda i: totals[i]) if breaks else -1
    found = []
    for g in sorted(set(groups)):
        group_pnl = pnl[groups == g].sum(axis=0)
        w = int(np.argmin(group_pnl))
        found.append((str(g), cents(max(0.0, -float(group_pnl[w]))), library[w].id))
    worst = max(0.0, -float(totals[j]))
    return RiskMarginResult(
        requirement=cents(worst), scenario_id=library[j].id,
        scenario_name=library[j].name,
        correlation_break_loss=cents(max(0.0, -float(totals[b]))) if b >= 0 else 0.0,
        correlation_break_id=library[b].id if b >= 0 else "",
        no_offset_requirement=cents(sum(loss for _, loss, _ in found)), groups=tuple(found),
        gross_exposure=float(gross.sum()), scenarios=len(library), warnings=warnings, exact=worst,
    )  # fmt: skip


def scenario_pnl_matrix(
    portfolio: Portfolio, settings: StressSettings, scenarios: Sequence[Scenario] | None = None
) -> tuple[tuple[Scenario, ...], FloatArray]:
    """The scenarios (default: the library) and the USD P&L of every position under each (positions
    in row order × scenarios), each contract priced once per scenario: the risk view as arrays, for
    callers that combine positions linearly or scale a scenario (the decisions package)."""
    chosen = scenario_library(settings) if scenarios is None else tuple(scenarios)
    book = build_book(portfolio, settings)
    pnl = position_pnl(book, move_matrix(chosen), settings.rate)
    finite_pnl(pnl.sum(axis=0), pnl, book.rows)
    return chosen, pnl
