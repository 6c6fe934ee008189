"""What a trade does to the requirement before it is placed.

For each regime the regime's own engine is run on the book and on the book after the trades
(:func:`~xlmargin.decisions._common.with_trades`: a trade on a contract the book holds nets
against that row). ``before`` and ``after`` are rounded to the cent first and ``change`` is their
difference, so ``change = after − before`` holds to the cent in every row. A regime whose engine
does not margin the book (portfolio margin refuses futures, SPAN takes only futures) shows
"n/a" and the engine's reason in the table, and is an error when that regime alone is asked for.
The risk view adds a row for the worst correlation-break loss, so a trade that lowers the worst
loss but fails when the hedge decouples is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlmargin.decisions._common import (
    LABELS,
    REGIMES,
    DecisionSettings,
    cents,
    check_regime,
    requirement,
    with_trades,
)
from xlmargin.errors import UnsupportedError
from xlmargin.positions import Portfolio
from xlmargin.stress import risk_margin

BREAK = "risk_break"  # the extra risk-view row: the worst correlation-break loss


@dataclass(frozen=True)
class ImpactLine:
    """One regime before and after the trades; ``note`` holds why a regime does not apply."""

    regime: str
    label: str
    before: float
    after: float
    note: str = ""

    @property
    def applies(self) -> bool:
        return not self.note

    @property
    def change(self) -> float:
        return cents(self.after - self.before)


@dataclass(frozen=True)
class ImpactResult:
    lines: tuple[ImpactLine, ...]
    trades: int

    def line(self, regime: str) -> ImpactLine:
        found = next(x for x in self.lines if x.regime == regime)
        if not found.applies:
            raise UnsupportedError(f"{found.label}: {found.note}")
        return found

    def table(self) -> list[list[Any]]:
        """Header, then one row per regime: before, after, change (USD), and a note."""
        out: list[list[Any]] = [["regime", "before", "after", "change", "note"]]
        for x in self.lines:
            if x.applies:
                out.append([x.label, x.before, x.after, x.change, ""])
            else:
                out.append([x.label, "n/a", "n/a", "n/a", x.note])
        return out


def margin_impact(
    portfolio: Portfolio,
    trades: Portfolio,
    settings: DecisionSettings,
    regimes: tuple[str, ...] = REGIMES,
) -> ImpactResult:
    """Before, after and change of each regime's requirement (module docstring)."""
    for regime in regimes:
        check_regime(regime)
    after = with_trades(portfolio, trades)
    lines = []
    for regime in regimes:
        if regime == "risk":
            lines.extend(_risk_lines(portfolio, after, settings))
            continue
        try:
            lines.append(
                ImpactLine(
                    regime,
                    LABELS[regime],
                    cents(requirement(regime, portfolio, settings)),
                    cents(requirement(regime, after, settings)),
                )
            )
        except UnsupportedError as error:
            if len(regimes) == 1:
                raise
            lines.append(ImpactLine(regime, LABELS[regime], 0.0, 0.0, str(error)))
    return ImpactResult(tuple(lines), len(trades))


def _risk_lines(before: Portfolio, after: Portfolio, settings: DecisionSettings) -> list[ImpactLine]:
    old, new = (risk_margin(p, settings.stress) if len(p) else None for p in (before, after))
    return [
        ImpactLine(
            "risk",
            LABELS["risk"],
            cents(old.requirement if old else 0.0),
            cents(new.requirement if new else 0.0),
        ),
        ImpactLine(
            BREAK,
            "risk view: worst correlation-break loss",
            cents(old.correlation_break_loss if old else 0.0),
            cents(new.correlation_break_loss if new else 0.0),
        ),
    ]
