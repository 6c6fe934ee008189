"""What a trade does to the requirement before it is placed.

For each regime the regime's own engine is run on the book and on the book after the trades
(:func:`~xlmargin.decisions._common.with_trades`: a trade on a contract the book holds nets
against that row, at the book's price: margin values a position at its mark, and a trade priced
otherwise is a warning naming both rows and both prices; trades of a contract the book does not
hold make one row, at the first one's price, and a later one priced otherwise is a warning naming
both trades rows; an option's underlying price is the book's for that underlying, or the first
trade's where the book holds no option on it, as the positions reader holds a book's options on one
underlying to one price, and a trade that gives another is a warning naming both rows (a premium
without a volatility keeping the volatility it implies at its own underlying price: sticky strike):
:func:`~xlmargin.decisions._common.book_underlyings`). ``before`` and ``after`` are rounded
to the cent first and ``change`` is their difference, so ``change = after − before`` holds to
the cent in every row. A regime whose engine does not margin the book (portfolio margin refuses
futures, SPAN takes only futures) or cannot read it (a row's rate the account view fills from
``fx.CCY`` and a dollar engine needs in the table; a dollar row at ``fx.USD`` in a euro account)
shows "n/a" (before, after or both) and the engine's reason in the table, and is an error when that
regime alone is asked for, or when no regime gives a figure (then the input is what is wrong).
The risk view adds a row for the worst correlation-break loss, so a trade that lowers the worst
loss but fails when the hedge decouples is visible.

Reg T pairs again only the class groups the trades touch (its total is a sum over class groups).
Portfolio margin and the risk view price every contract once for both figures: the book's rows
and the trades' new rows are priced together (the PM risk arrays, the scenario P&L matrix of one
unit) and the two figures are the same arrays weighted by the quantities before and after;
except where a trade opens a leveraged ETF row or closes one to zero (the class group's scan range
depends on the leveraged rows held): portfolio margin then prices the two books apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin.decisions._common import (
    LABELS,
    REGIMES,
    DecisionSettings,
    book_underlyings,
    check_regime,
    currency_of,
    engine_result,
    figure,
    in_table,
    price_conflicts,
    requirement,
    trade_union,
    warnings_of,
    with_quantities,
)
from xlmargin.decisions._linear import unit_stress_pnl
from xlmargin.decisions._pm import outside_requirement, widens_range
from xlmargin.errors import UnsupportedError, XlMarginError
from xlmargin.instruments import ENGINE_CURRENCY
from xlmargin.money import cents
from xlmargin.pm.risk import holds, risk_arrays
from xlmargin.pm.risk import requirement as pm_result
from xlmargin.positions import Portfolio
from xlmargin.regt import regt_margin

BREAK = "risk_break"  # the extra risk-view row: the worst correlation-break loss
BREAK_LABEL = "risk view: worst correlation-break loss"
NA = "n/a"  # a figure the regime's engine does not give for the book (its note says why)


@dataclass(frozen=True)
class ImpactLine:
    """One regime before and after the trades, in ``currency`` (:func:`currency_of`); ``note`` holds
    why a figure is missing (None)."""

    regime: str
    label: str
    before: float | None
    after: float | None
    note: str = ""
    refused: bool = False  # the regime could not read the book (an input error), not "does not apply"
    currency: str = ENGINE_CURRENCY

    @property
    def applies(self) -> bool:
        return self.before is not None and self.after is not None

    @property
    def change(self) -> float:
        if self.before is None or self.after is None:
            raise UnsupportedError(f"{self.label}: {self.note}")
        return cents(self.after - self.before)


@dataclass(frozen=True)
class ImpactResult:
    lines: tuple[ImpactLine, ...]
    trades: int
    # a trade priced apart from the row it nets into (price_conflicts), or an option at another
    # underlying price than the book's (book_underlyings)
    warnings: tuple[str, ...] = ()

    @property
    def refused(self) -> tuple[ImpactLine, ...]:
        """The regimes shown n/a because they could not read the book or the trades (a missing
        rate, a bad row), not because their rule does not apply (portfolio margin and futures)."""
        return tuple(x for x in self.lines if x.refused)

    def line(self, regime: str) -> ImpactLine:
        found = next(x for x in self.lines if x.regime == regime)
        if not found.applies:
            raise UnsupportedError(f"{found.label}: {found.note}")
        return found

    def table(self) -> list[list[Any]]:
        """Header, then one row per regime: before, after, change, their currency, and a note."""
        out: list[list[Any]] = [["regime", "before", "after", "change", "currency", "note"]]
        for x in self.lines:
            shown = [NA if v is None else v for v in (x.before, x.after)]
            out.append([x.label, *shown, x.change if x.applies else NA, x.currency, x.note])
        return out


def margin_impact(
    portfolio: Portfolio,
    trades: Portfolio,
    settings: DecisionSettings,
    regimes: tuple[str, ...] = REGIMES,
    table: str = "trades",
    unread: Mapping[str, XlMarginError] | None = None,
) -> ImpactResult:
    """Before, after and change of each regime's requirement (module docstring); ``table`` names
    the trades' rows in errors and warnings (the hedge optimiser's are "candidates"). ``unread``:
    regimes known not to read the inputs before any engine runs, with why (a broker export beside a
    table one ``fx_rates`` reading cannot read alike: :func:`~xlmargin.decisions.beside.unread_beside`);
    each is n/a before and after with that reason, or the error when it is the one regime asked."""
    for regime in regimes:
        check_regime(regime)
    trades, moved = book_underlyings(portfolio, trades, table, settings.account.pm.rate)
    union, before_qty, after_qty = trade_union(portfolio, trades, mark=True)
    lines = []
    refused: list[XlMarginError] = []  # the errors of regimes shown as n/a that are not Unsupported
    warned: list[str] = []  # the engines' warnings: on the book before, then new after the trades
    for regime in regimes:
        money = currency_of(regime, settings)
        if unread and regime in unread:  # neither figure: the book before may be the unread table
            if len(regimes) == 1:
                raise unread[regime]
            refused.append(unread[regime])
            lines.append(ImpactLine(regime, LABELS[regime], None, None, str(unread[regime]), True, money))
            continue
        try:
            if regime == "risk":
                lines.extend(_risk_lines(union, before_qty, after_qty, settings))
                results: tuple[Any, ...] = (
                    engine_result("risk", settings)(portfolio) if len(portfolio) else None,
                )
            elif regime == "pm":
                old, new, results = _pm_pair(union, before_qty, after_qty, settings)
                lines.append(ImpactLine("pm", LABELS["pm"], old, new))
            elif regime in ("regt", "regt_maintenance"):
                old, new, results = _regt_pair(regime, union, before_qty, after_qty, settings)
                lines.append(ImpactLine(regime, LABELS[regime], old, new))
            else:
                after = with_quantities(union, after_qty)
                results = tuple(
                    engine_result(regime, settings)(b) if len(b) else None for b in (portfolio, after)
                )
                old, new = (0.0 if r is None else cents(figure(regime, r)) for r in results)
                lines.append(ImpactLine(regime, LABELS[regime], old, new, currency=money))
            warned += _before_after(regime, results)
        except XlMarginError as raised:
            error = in_table(table, raised, joined=True)
            if len(regimes) == 1:
                raise error from None
            bad = not isinstance(error, UnsupportedError)
            if bad:
                refused.append(error)
            before = _alone(regime, portfolio, settings)
            note = _NO_FUTURES if regime == "futures" and not _futures(union) else str(error)
            lines.append(ImpactLine(regime, LABELS[regime], before, None, note, bad, money))
            if regime == "risk":
                lines.append(ImpactLine(BREAK, BREAK_LABEL, None, None, str(error), bad))
    if refused and not any(line.applies for line in lines):
        raise refused[0] from None  # no regime takes the book: it is the input, not a regime
    conflicts = (*price_conflicts(portfolio, trades, table), *moved.values())
    return ImpactResult(tuple(lines), len(trades), (*conflicts, *dict.fromkeys(warned)))


_NO_FUTURES = "no futures in the book or the trades (SPAN margins futures and options on futures only)"


def _futures(book: Portfolio) -> bool:
    """Whether ``book`` holds a future or an option on one (what SPAN margins)."""
    return bool(np.isin(book.arrays["type"], ("future", "future_option")).any())


def _before_after(regime: str, results: tuple[Any, ...]) -> list[str]:
    """The warnings of ``regime``'s engine results: the first on the book before the trades, the
    others after them (those not said before, marked so)."""
    before = getattr(results[0], "warnings", ())
    return [
        *warnings_of(regime, results[0]),
        *(w for r in results[1:] for w in warnings_of(regime, r, _AFTER, before)),
    ]


_AFTER = ", after the trades"


def _alone(regime: str, portfolio: Portfolio, settings: DecisionSettings) -> float | None:
    """The requirement before the trades when the regime cannot take the book after them (None
    when it cannot take the book before them either)."""
    try:
        return cents(requirement(regime, portfolio, settings))
    except XlMarginError:
        return None


def _pm_pair(
    union: Portfolio, before: np.ndarray, after: np.ndarray, settings: DecisionSettings
) -> tuple[float, float, tuple[Any, ...]]:
    """Portfolio margin before and after, every contract priced once (the union's risk arrays), and
    the engine's results (their warnings: :func:`_before_after`)."""
    pm = settings.pm
    if np.any(widens_range(union) & ((before == 0.0) != (after == 0.0))):
        # a leveraged ETF widens its class group's range while held: a trade that opens one or
        # closes it to zero changes the ranges, so each book is priced apart
        apart = tuple(engine_result("pm", settings)(with_quantities(union, q)) for q in (before, after))
        return cents(apart[0].requirement), cents(apart[1].requirement), apart
    # every leveraged row is held before and after alike (a row opened and closed by the trades, or
    # held at 0 in the book, is held in neither), not as the union's quantity column says
    risk = risk_arrays(union, pm, held=before != 0.0)
    bonds = bool(holds(union, "type", "bond").any())  # margined outside PM; none: nothing to add

    def outside(q: np.ndarray) -> float:
        return outside_requirement(with_quantities(union, q), pm) if bonds else 0.0

    found = tuple(pm_result(risk, q[risk.index]) for q in (before, after))
    old, new = (cents(r.requirement + outside(q)) for r, q in zip(found, (before, after), strict=True))
    return old, new, found


def _regt_pair(
    regime: str, union: Portfolio, before: np.ndarray, after: np.ndarray, settings: DecisionSettings
) -> tuple[float, float, tuple[Any, ...]]:
    """Reg T before and after, and the engine's results (the book before, the touched groups after).
    Reg T pairs legs within a class group only and adds the groups' cent figures, so the book after
    is the book before, less the class groups the trades touch as they were, plus those groups as
    they are after: only the touched groups are paired again."""
    basis = "maintenance" if regime == "regt_maintenance" else "initial"
    groups = union.arrays["class_group"]
    touched = np.isin(groups, np.unique(groups[before != after]))

    def result(q: np.ndarray, keep: np.ndarray) -> Any:
        book = with_quantities(union.select(keep), q[keep])
        return regt_margin(book, basis=basis, rules=settings.account.regt_rules) if len(book) else None

    def total(found: Any) -> float:
        return 0.0 if found is None else float(found.total)

    whole, was, now = (
        result(before, np.ones(len(union), dtype=bool)),
        result(before, touched),
        result(after, touched),
    )
    old = total(whole)
    return cents(old), cents(old - total(was) + total(now)), (whole, now)


def _risk_lines(
    union: Portfolio, before: np.ndarray, after: np.ndarray, settings: DecisionSettings
) -> list[ImpactLine]:
    """The worst loss and the worst correlation-break loss before and after, from one pricing."""
    if len(union) == 0:
        return [ImpactLine("risk", LABELS["risk"], 0.0, 0.0), ImpactLine(BREAK, BREAK_LABEL, 0.0, 0.0)]
    library, unit = unit_stress_pnl(union, settings)
    breaks = np.array([s.kind == "correlation_break" for s in library], dtype=bool)
    worst, broken = [], []
    for q in (before, after):
        totals = q @ unit
        worst.append(cents(max(0.0, -float(totals.min()))))
        broken.append(cents(max(0.0, -float(totals[breaks].min()))) if breaks.any() else 0.0)
    return [
        ImpactLine("risk", LABELS["risk"], worst[0], worst[1]),
        ImpactLine(BREAK, BREAK_LABEL, broken[0], broken[1]),
    ]
