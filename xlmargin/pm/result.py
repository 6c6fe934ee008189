"""What a portfolio-margin calculation returns: the account figures, one record per class group,
product group and outside line, and the two grids a worksheet shows.

Tables are lists of rows, header first, with plain ``str`` and ``float`` cells (money rounded to
cents); a cell that does not apply to a row holds ``""`` in text columns and ``0.0`` in money
columns, never ``None`` or NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from xlmargin.money import cents

REGULATORY = "regulatory"
SUM_ROW = "sum of class groups"
"""The first cell of the P&L grid's last row, the class groups' P&L added point by point."""
SUM_NOTE = "gains netted in full, no minimums: not the requirement"
"""Its second cell: what the sum leaves out (FINRA 4210(g) offsets only a share of a gain, within a
product group, and takes each group's worst point and minimum; PM_BREAKDOWN derives the requirement)."""


@dataclass(frozen=True)
class ValuationPoint:
    """One column of the scenario grid.

    The class group's move at this point is ``fraction × up`` when ``fraction > 0`` and
    ``fraction × down`` when ``fraction < 0`` (``up``/``down`` being its range); every implied
    volatility is multiplied by ``1 + vol_shift``; the P&L counts at ``weight``.
    """

    label: str
    fraction: float
    vol_shift: float = 0.0
    weight: float = 1.0
    layer: str = REGULATORY  # "regulatory" | "volatility" | "extreme" (house layers)


class ClassGroupResult(NamedTuple):  # a named tuple: a book holds hundreds, built on every call
    """One class group: every product on one deliverable (an index basket shares one group).

    ``pnl`` holds the counted P&L at each point of :attr:`PMResult.points` (weighted for extreme
    moves); ``worst_loss`` is the largest loss over the regulatory points (0 when none loses),
    ``minimum`` the per-contract minimum of its option contracts, and ``requirement`` the
    regulatory figure: ``max(worst_loss, minimum)`` when the minimum applies per class group,
    else ``worst_loss``. ``house_loss`` / ``house_requirement`` are the same over every point.
    """

    id: str
    product_group: str
    asset_class: str
    range_label: str
    rows: tuple[int, ...]
    moves: tuple[float, ...]
    pnl: tuple[float, ...]
    worst_point: str
    worst_move: float
    worst_loss: float
    minimum: float
    requirement: float
    house_loss: float
    house_requirement: float

    @property
    def minimum_applied(self) -> bool:
        """True when the per-contract minimum, not the scenario loss, sets the requirement."""
        return self.requirement > self.worst_loss


@dataclass(frozen=True, slots=True)
class ProductGroupResult:
    """Class groups whose gains offset each other's losses at a fraction ``offset``, point by point.

    ``pnl[i] = Σ min(x, 0) + offset × Σ max(x, 0)`` over its class groups' P&L ``x`` at point i;
    ``worst_loss = max(0, −min(pnl))`` over the regulatory points; ``requirement`` adds the
    minimum as for a class group; ``offset_credit`` is what the offsets save against margining
    its class groups one by one.
    """

    id: str
    name: str
    offset: float
    confidence: str
    class_groups: tuple[str, ...]
    pnl: tuple[float, ...]
    worst_point: str
    worst_loss: float
    minimum: float
    requirement: float
    offset_credit: float
    house_requirement: float

    @property
    def minimum_applied(self) -> bool:
        """True when the summed per-contract minimum, not the offset scenario loss, sets the requirement."""
        return self.requirement > self.worst_loss


@dataclass(frozen=True)
class OutsideResult:
    """A position portfolio margin does not cover, margined by its own rule and added to the total."""

    row: int
    symbol: str
    type: str
    rule: str
    market_value: float
    requirement: float


@dataclass(frozen=True)
class HouseResult:
    """The house layers that were on, and what each produced (a broker's model, not a regulation)."""

    layers: tuple[str, ...]
    scan: float  # regulatory + volatility + extreme points, offsets and minimums as for the regulatory figure
    concentration: float  # Σ class-group losses in the concentration scan (0 when that layer is off)
    concentration_groups: tuple[str, ...]  # the class groups that took the large move
    portfolio: float  # max(scan, concentration): the house portfolio-margin figure
    initial_multiple: float  # 1.0 when the initial layer is off


@dataclass(frozen=True)
class PMResult:
    """The portfolio-margin requirement of an account, with everything needed to explain it.

    ``regulatory`` is always the FINRA 4210(g) / OCC TIMS minimum (plus the outside lines);
    ``requirement`` is the regulatory figure unless a house layer is on, then the house figure;
    ``initial`` is ``requirement`` unless the initial-multiple layer is on. Account figures are
    rounded to cents.
    """

    requirement: float
    regulatory: float
    initial: float
    points: tuple[ValuationPoint, ...]
    class_groups: tuple[ClassGroupResult, ...]
    product_groups: tuple[ProductGroupResult, ...]
    outside: tuple[OutsideResult, ...]
    minimum_scope: str
    minimum: float  # Σ per-contract minimums over the account
    minimum_equity: float
    eligible: bool | None
    equity: float | None
    house: HouseResult | None
    rule_set: str
    exact: float  # ``requirement`` before rounding, for a search on the requirement (capacity)
    initial_exact: float  # ``initial`` before rounding (the account view's initial basis searches on it)
    warnings: tuple[str, ...] = ()

    def scenarios_table(self) -> list[list[str | float]]:
        """The P&L grid: a header, one row per class group, a last row adding them; one column per point.

        Point labels are steps of the class group's range (``-5`` = the full down move, ``+1`` =
        a fifth of the up move); the ``range`` column says what that is for each row. House
        points follow the ten regulatory ones when their layers are on. The last row, ``sum of
        class groups``, adds the rows point by point, every gain in full: before the product
        groups' offsets (which count only a share of a gain, and none across product groups) and
        the minimums, and across ranges that differ (its ``range`` says ``mixed`` then: point -5
        is -15% on one row, -8% on another), so it is no scenario's loss and not the requirement,
        which :meth:`breakdown_table` derives.
        """
        header: list[str | float] = ["class group", "product group", "range", *(p.label for p in self.points)]
        table: list[list[str | float]] = [header]
        totals = [0.0] * len(self.points)
        for group in self.class_groups:
            table.append([group.id, group.product_group, group.range_label, *(cents(x) for x in group.pnl)])
            totals = [t + x for t, x in zip(totals, group.pnl, strict=True)]
        ranges = list(dict.fromkeys(g.range_label for g in self.class_groups))
        shown = ranges[0] if len(ranges) == 1 else "mixed" if ranges else ""
        table.append([SUM_ROW, SUM_NOTE, shown, *(cents(t) for t in totals)])
        return table

    def breakdown_table(self) -> list[list[str | float]]:
        """How the requirement is built: class groups, product groups, outside lines, then the account.

        ``status`` says what set each figure (the scenario loss or the per-contract minimum),
        and on the last row whether the account meets the FINRA 4210(g) minimum equity.
        """
        header: list[str | float] = [
            "level",
            "name",
            "product group",
            "range",
            "worst point",
            "scenario loss",
            "minimum",
            "offset credit",
            "requirement",
            "status",
            "note",
        ]
        table: list[list[str | float]] = [header]
        per_group = self.minimum_scope == "class_group"
        for g in self.class_groups:
            note = f"counted in product group {g.product_group}" if g.product_group else "standalone: counted"
            table.append(
                [
                    "class group",
                    g.id,
                    g.product_group,
                    g.range_label,
                    f"{g.worst_point} ({g.worst_move:+.2%})",
                    cents(g.worst_loss),
                    cents(g.minimum),
                    0.0,
                    cents(g.requirement),
                    _status(g.minimum_applied, per_group),
                    note,
                ]
            )
        for p in self.product_groups:
            note = (
                f"offset {p.offset:.0%} of gains [{p.confidence}]; class groups {', '.join(p.class_groups)}"
            )
            table.append(
                [
                    "product group",
                    p.id,
                    p.id,
                    "",
                    p.worst_point,
                    cents(p.worst_loss),
                    cents(p.minimum),
                    cents(p.offset_credit),
                    cents(p.requirement),
                    _status(p.minimum_applied, per_group),
                    note,
                ]
            )
        for o in self.outside:
            table.append(
                [
                    "outside portfolio margin",
                    o.symbol,
                    "",
                    "",
                    "",
                    0.0,
                    0.0,
                    0.0,
                    cents(o.requirement),
                    "own rule",
                    f"row {o.row}, {o.type} margined by {o.rule}",
                ]
            )
        table.append(
            [
                "account",
                "regulatory minimum",
                "",
                "",
                "",
                0.0,
                cents(self.minimum),
                0.0,
                cents(self.regulatory),
                "regulation",
                f"FINRA 4210(g) / OCC TIMS; per-contract minimum per {self.minimum_scope.replace('_', ' ')}"
                + self._rounding_note(),
            ]
        )
        if self.house is not None:
            h = self.house
            house_note = "house model, not a regulation"
            table.append(
                [
                    "house",
                    "scan with house points",
                    "",
                    "",
                    "",
                    0.0,
                    0.0,
                    0.0,
                    cents(h.scan),
                    "house",
                    f"{house_note}; portfolio-margin part; layers: {', '.join(h.layers)}",
                ]
            )
            if "concentration" in h.layers:
                table.append(
                    [
                        "house",
                        "concentration scan",
                        "",
                        "",
                        "",
                        0.0,
                        0.0,
                        0.0,
                        cents(h.concentration),
                        "house",
                        f"{house_note}; large move on {', '.join(h.concentration_groups) or 'none'}",
                    ]
                )
        table.append(
            [
                "account",
                "requirement",
                "",
                "",
                "",
                0.0,
                0.0,
                0.0,
                cents(self.requirement),
                "house" if self.house is not None else "regulation",
                "maintenance",
            ]
        )
        initial_house = self.house is not None and "initial" in self.house.layers
        table.append(
            [
                "account",
                "initial",
                "",
                "",
                "",
                0.0,
                0.0,
                0.0,
                cents(self.initial),
                "house" if initial_house else "regulation",
                f"house model: {self.house.initial_multiple:g} × the portfolio-margin maintenance"
                if self.house is not None and initial_house
                else "equals maintenance",
            ]
        )
        if self.eligible is None:
            status, note = "equity not given", "give the equity parameter to check eligibility"
        else:
            status = "eligible" if self.eligible else "not eligible"
            note = f"equity {self.equity:,.2f}"
        table.append(
            [
                "account",
                "minimum equity",
                "",
                "",
                "",
                0.0,
                0.0,
                0.0,
                cents(self.minimum_equity),
                status,
                f"FINRA 4210(g); {note}",
            ]
        )
        return table

    def _rounding_note(self) -> str:
        """Where the counted lines (standalone class groups, product groups, outside lines), each
        shown to the cent, add to a cent more or less than the regulatory figure they make: that
        figure is their exact sum rounded once, as the requirement is computed; the lines are not
        bent to foot (each equals its scenario loss and the P&L grid), and the note says so."""
        counted = [
            *(g.requirement for g in self.class_groups if not g.product_group),
            *(p.requirement for p in self.product_groups),
            *(o.requirement for o in self.outside),
        ]
        shown = cents(sum(cents(x) for x in counted))
        if cents(sum(counted)) != cents(self.regulatory) or shown == cents(self.regulatory):
            return ""  # a minimum over the account set it, or the lines foot
        return (
            f"; the lines above, each rounded to the cent, add to {shown:,.2f}: the requirement is "
            "their exact sum, rounded once"
        )


def _status(minimum_applied: bool, per_group: bool) -> str:
    if not per_group:
        return "scenario loss"
    return "minimum applied" if minimum_applied else "scenario loss"


__all__ = [
    "ClassGroupResult",
    "HouseResult",
    "OutsideResult",
    "PMResult",
    "ProductGroupResult",
    "ValuationPoint",
]
