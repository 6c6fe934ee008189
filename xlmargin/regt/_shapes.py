"""What a candidate strategy is, and the filter that keeps only those that can lower the requirement
(see :mod:`xlmargin.regt._strategies`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xlmargin.regt._formulas import Figures, RegTRules
from xlmargin.regt._legs import BookLeg

TOLERANCE = 1e-6  # dollars: "costs no more than" allows for floating-point noise


@dataclass(frozen=True, slots=True)
class Candidate:
    """One strategy instance: legs consumed per unit (leg index, contracts or shares), what a unit
    costs in the enumerator's convention, and ``shape``, which builds its name, figures and rule
    when the pairing uses it (most candidates are never used, and their words cost more than
    their numbers)."""

    uses: tuple[tuple[int, float], ...]
    cost: float
    shape: Callable[[], Shape]

    @property
    def strategy(self) -> str:
        return self.shape().strategy

    @property
    def unit(self) -> Figures:
        return self.shape().unit

    @property
    def rule(self) -> str:  # "{n}" stands for the number of units
        return self.shape().rule


@dataclass(frozen=True, slots=True)
class Shape:
    strategy: str
    unit: Figures
    rule: str


class StrategyFilter:
    """One underlying's legs under one basis and one convention, and the filter every candidate
    passes: it must cost no more than its legs alone and than the strategies it splits into."""

    def __init__(self, legs: list[BookLeg], r: RegTRules, basis: str, net_of_proceeds: bool):
        self.legs = legs
        self.r = r
        self.basis = basis
        self.net = net_of_proceeds
        self.warnings: list[str] = []
        self.stocks = [i for i, leg in enumerate(legs) if leg.is_stock]
        self.options = [i for i, leg in enumerate(legs) if not leg.is_stock]

    # --- the filter --------------------------------------------------------------------------

    def _cost(self, shape: Shape) -> float:
        return shape.unit.cost(self.net)

    def _alone(self, uses: tuple[tuple[int, float], ...]) -> float:
        return sum(self.legs[i].standalone.cost(self.net) * amount for i, amount in uses)

    def _keep(
        self, shape: Shape | None, uses: tuple[tuple[int, float], ...], parts: float | None = None
    ) -> Candidate | None:
        """The candidate, if it can lower the requirement (see the module docstring)."""
        if shape is None or any(self.legs[i].capacity < amount - 1e-9 for i, amount in uses):
            return None
        cost = self._cost(shape)
        if cost > self._alone(uses) + TOLERANCE or (parts is not None and cost > parts + TOLERANCE):
            return None
        return Candidate(uses, cost, lambda: shape)

    def _best_split(self, *splits: tuple[Shape | None, ...]) -> float | None:
        """The cheapest split of a composite into the strategies (or lone legs) it is made of."""
        return min(
            (sum(self._cost(s) for s in split if s is not None) for split in splits if None not in split),
            default=None,
        )


def alone_shape(leg: BookLeg) -> Shape:
    return Shape("", leg.standalone, "")


def same_deliverable(a: BookLeg, b: BookLeg) -> bool:
    """Options that can be paired: the same underlying and the same multiplier."""
    return a.position.underlying == b.position.underlying and a.position.multiplier == b.position.multiplier


def same_series(put: BookLeg, call: BookLeg) -> bool:
    return put.position.strike == call.position.strike and put.expiry == call.expiry
