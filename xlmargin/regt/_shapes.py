"""What a candidate strategy is, and the filter that keeps only those that can lower the requirement
(see :mod:`xlmargin.regt._strategies`)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from xlmargin.regt._formulas import Figures, RegTRules
from xlmargin.regt._legs import BookLeg

TOLERANCE = 1e-6  # dollars: "costs no more than" allows for floating-point noise


# a part of Candidates held as arrays: (first legs, second legs, costs, shape of a pair, first amounts)
_PairPart = tuple[np.ndarray, np.ndarray, np.ndarray, "Callable[[int, int], Shape]", np.ndarray]


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


class Candidates(Sequence[Candidate]):
    """One underlying's candidates, in order, held column-wise: the pairs of two options found by
    array masks stay arrays (legs, costs), and a :class:`Candidate` is made only when one is asked
    for — most never are: the program reads :meth:`columns`, the breakdown the few it uses."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._size = 0
        # per part: (first legs, second legs, costs, shape of a pair, first legs' amounts) or a list
        self._parts: list[_PairPart | list[Candidate]] = []

    def add_pairs(
        self,
        first: np.ndarray,
        second: np.ndarray,
        cost: np.ndarray,
        shape: Callable[[int, int], Shape],
        first_amount: np.ndarray | None = None,
    ) -> None:
        """Candidates using one contract of leg ``first[k]`` (or ``first_amount[k]`` shares of a
        stock) and one of ``second[k]``, costing ``cost[k]``; ``shape(first[k], second[k])`` names them."""
        if len(cost):
            amount = np.ones(len(cost)) if first_amount is None else np.asarray(first_amount, dtype=float)
            self._append((first, second, cost, shape, amount), len(cost))

    def extend(self, candidates: list[Candidate]) -> None:
        if candidates:
            self._append(candidates, len(candidates))

    def _append(self, part: _PairPart | list[Candidate], n: int) -> None:
        self._starts.append(self._size)
        self._parts.append(part)
        self._size += n

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, j: int) -> Candidate: ...
    @overload
    def __getitem__(self, j: slice) -> list[Candidate]: ...
    def __getitem__(self, j: int | slice) -> Candidate | list[Candidate]:
        if isinstance(j, slice):
            return [self[k] for k in range(*j.indices(self._size))]
        if j < 0:
            j += self._size
        if not 0 <= j < self._size:
            raise IndexError(j)
        n = bisect.bisect_right(self._starts, j) - 1
        part, k = self._parts[n], j - self._starts[n]
        if isinstance(part, list):
            return part[k]
        first, second, cost, shape, amount = part
        a, b = int(first[k]), int(second[k])
        return Candidate(((a, float(amount[k])), (b, 1.0)), float(cost[k]), lambda: shape(a, b))

    def __iter__(self) -> Iterator[Candidate]:
        return (self[j] for j in range(self._size))

    def shapes(self, chosen: Sequence[int]) -> list[Shape]:
        """The shapes of the candidates ``chosen`` (indices): what the breakdown needs of the ones
        a pairing uses, without making a :class:`Candidate` (and its closure) of each."""
        out = []
        for j in chosen:
            n = bisect.bisect_right(self._starts, j) - 1
            part, k = self._parts[n], j - self._starts[n]
            if isinstance(part, list):
                out.append(part[k].shape())
            else:  # (first legs, second legs, costs, shape of a pair, ...)
                first, second, shape = part[0], part[1], part[3]
                out.append(shape(int(first[k]), int(second[k])))
        return out

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per use of a leg: the leg, the amount, the candidate (non-decreasing); per candidate its cost."""
        return stacked_columns([self])


def stacked_columns(many: Sequence[Candidates]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`Candidates.columns` of many underlyings' candidates side by side, candidates numbered
    across all of them (legs within their own underlying), gathered part by part and placed with
    one scatter per column, not a few small arrays per underlying."""
    pair_ids, firsts, seconds, pair_amounts, pair_costs = [], [], [], [], []
    listed: list[Candidate] = []
    list_ids: list[int] = []
    offset = 0
    for candidates in many:
        for start, part in zip(candidates._starts, candidates._parts):
            if isinstance(part, list):
                list_ids.extend(range(offset + start, offset + start + len(part)))
                listed.extend(part)
            else:
                first, second, cost, _, amount = part
                pair_ids.append(np.arange(offset + start, offset + start + len(cost)))
                firsts.append(first)
                seconds.append(second)
                pair_amounts.append(amount)
                pair_costs.append(cost)
        offset += len(candidates)
    pairs = np.concatenate(pair_ids) if pair_ids else np.zeros(0, np.intp)
    singles = np.array(list_ids, dtype=np.intp)
    counts = np.zeros(offset, dtype=np.intp)
    counts[pairs] = 2
    counts[singles] = [len(c.uses) for c in listed]
    cost = np.zeros(offset)
    if pair_costs:
        cost[pairs] = np.concatenate(pair_costs)
    cost[singles] = [c.cost for c in listed]
    starts = np.cumsum(counts) - counts  # each candidate's first use
    legs = np.zeros(int(counts.sum()), dtype=np.intp)
    amounts = np.ones(len(legs))
    if pair_ids:
        legs[starts[pairs]] = np.concatenate(firsts)
        legs[starts[pairs] + 1] = np.concatenate(seconds)
        amounts[starts[pairs]] = np.concatenate(pair_amounts)
    if listed:
        per = counts[singles]
        within = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
        where = np.repeat(starts[singles], per) + within
        legs[where] = [i for c in listed for i, _ in c.uses]
        amounts[where] = [a for c in listed for _, a in c.uses]
    return legs, amounts, np.repeat(np.arange(offset), counts), cost


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
        self.alone_cost = [leg.standalone.cost(net_of_proceeds) for leg in legs]  # per contract (share)

    # --- the filter --------------------------------------------------------------------------

    def _cost(self, shape: Shape) -> float:
        return shape.unit.cost(self.net)

    def _alone(self, uses: tuple[tuple[int, float], ...]) -> float:
        return sum(self.alone_cost[i] * amount for i, amount in uses)

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
