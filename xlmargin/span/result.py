"""What the futures-margin engine returns: per combined commodity lines, spreads formed, totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlmargin.money import cents
from xlmargin.span.arithmetic import Scenario


@dataclass(frozen=True)
class InterSpreadResult:
    """Spreads formed for one recognised inter-commodity spread and the credit each leg received
    (``credit_rates[i]`` of leg i's price risk on its ``spreads × ratio[i]`` deltas)."""

    id: str
    legs: tuple[str, ...]
    ratio: tuple[float, ...]
    spreads: float
    credit_rates: tuple[float, ...]
    credits: tuple[float, ...]

    @property
    def credit_rate(self) -> float:
        """The credit rate when every leg has the same one, else the largest."""
        return max(self.credit_rates)


@dataclass(frozen=True)
class CommodityLine:
    """One combined commodity: its summed risk array and the SPAN steps that build its requirement.

    ``maintenance = max(scanning_risk + intra_charge − inter_credit, short_option_minimum)``.
    """

    root: str
    name: str
    rows: tuple[int, ...]
    pnl: tuple[float, ...]  # summed risk array, gains positive, in scenario order
    scanning_risk: float
    worst_scenario: int  # 1-based scenario number of the worst P&L
    net_delta: float  # futures-equivalent contracts
    price_risk: float  # the scanning risk less time and volatility risk
    intra_charge: float
    inter_credit: float
    short_option_minimum: float
    net_option_value: float  # long options at market less short options at market
    maintenance: float
    initial: float
    delivery_delta: float = 0.0  # net futures contracts in delivery: no inter-commodity credit on them


@dataclass(frozen=True)
class SpanResult:
    """The futures requirement: per combined commodity lines, the spreads formed, and the totals.

    ``requirement`` is ``maintenance`` unless the settings ask for ``initial``. Each line's
    maintenance and initial are rounded to the cent and the totals are their sums; ``exact`` is the
    requirement before rounding (what a search along a path compares).
    """

    lines: tuple[CommodityLine, ...]
    spreads: tuple[InterSpreadResult, ...]
    scenarios: tuple[Scenario, ...]
    basis: str
    currency: str
    maintenance: float
    initial: float
    net_option_value: float
    gross_notional: float  # Σ |qty| × point value × futures price (options: their underlying future)
    exact: float

    @property
    def requirement(self) -> float:
        return self.initial if self.basis == "initial" else self.maintenance

    def table(self) -> list[list[Any]]:
        """One row per combined commodity and a total row, header first; money in cents."""
        rows: list[list[Any]] = [
            [
                "combined commodity",
                "name",
                "positions",
                "net delta",
                "scanning risk",
                "worst scenario",
                "intra spread charge",
                "inter spread credit",
                "short option minimum",
                "net option value",
                f"maintenance ({self.currency})",
                f"initial ({self.currency})",
            ]
        ]
        for line in self.lines:
            worst = self.scenarios[line.worst_scenario - 1]
            rows.append(
                [
                    line.root,
                    line.name,
                    len(line.rows),
                    _round(line.net_delta, 4),
                    cents(line.scanning_risk),
                    f"{worst.number}: {worst.label}",
                    cents(line.intra_charge),
                    cents(line.inter_credit),
                    cents(line.short_option_minimum),
                    cents(line.net_option_value),
                    cents(line.maintenance),
                    cents(line.initial),
                ]
            )
        rows.append(
            [
                "total",
                "",
                sum(len(line.rows) for line in self.lines),
                "",
                cents(sum(line.scanning_risk for line in self.lines)),
                "",
                cents(sum(line.intra_charge for line in self.lines)),
                cents(sum(line.inter_credit for line in self.lines)),
                "",
                cents(self.net_option_value),
                cents(self.maintenance),
                cents(self.initial),
            ]
        )
        return rows

    def scenarios_table(self) -> list[list[Any]]:
        """The summed risk array of every combined commodity, one row per scenario, header first."""
        rows: list[list[Any]] = [
            [
                "scenario",
                "description",
                "price move (× scan range)",
                "volatility",
                "weight",
                *(line.root for line in self.lines),
            ]
        ]
        for s in self.scenarios:
            vol = {1: "up", -1: "down", 0: "unchanged"}[s.vol_direction]
            rows.append(
                [
                    float(s.number),
                    s.label,
                    _round(s.fraction, 6),
                    vol,
                    _round(s.weight, 6),
                    *(cents(line.pnl[s.number - 1]) for line in self.lines),
                ]
            )
        return rows


def _round(value: float, digits: int) -> float:
    return round(float(value), digits) + 0.0
