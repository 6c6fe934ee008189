"""What a candidate strategy is, and the filter that keeps only those that can lower the requirement
(see :mod:`xlmargin.regt._strategies`)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from xlmargin.regt._formulas import Figures, RegTRules
from xlmargin.regt._legs import BookLeg

TOLERANCE = 1e-6  # dollars: "costs no more than" allows for floating-point noise


# a part of Candidates held as arrays: (each use's legs, each use's amounts, costs, shape by the legs)
_ArrayPart = tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], np.ndarray, "Callable[..., Shape]"]


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
    """One underlying's candidates, in order, held column-wise: those found by array masks (pairs
    of two options, stock pairs, stock triples) stay arrays (each use's legs and amounts, costs),
    and a :class:`Candidate` is made only when one is asked for — most never are: the program reads
    :meth:`columns`, the breakdown the few it uses."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._size = 0
        # per part: (each use's legs, each use's amounts, costs, shape by the legs) or a list
        self._parts: list[_ArrayPart | list[Candidate]] = []

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
            one = np.ones(len(cost))
            amount = one if first_amount is None else np.asarray(first_amount, dtype=float)
            self.add_arrays((first, second), (amount, one), cost, shape)

    def add_arrays(
        self,
        legs: tuple[np.ndarray, ...],
        amounts: tuple[np.ndarray, ...],
        cost: np.ndarray,
        shape: Callable[..., Shape],
    ) -> None:
        """Candidates of as many uses as ``legs`` holds arrays: candidate ``k`` uses ``amounts[q][k]``
        of leg ``legs[q][k]`` (in that order) and costs ``cost[k]``; ``shape`` of its legs names it."""
        if len(cost):
            self._append((legs, amounts, cost, shape), len(cost))

    def extend(self, candidates: list[Candidate]) -> None:
        if candidates:
            self._append(candidates, len(candidates))

    def _append(self, part: _ArrayPart | list[Candidate], n: int) -> None:
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
        legs, amounts, cost, shape = part
        used = [int(leg[k]) for leg in legs]
        uses = tuple((i, float(amount[k])) for i, amount in zip(used, amounts))
        return Candidate(uses, float(cost[k]), lambda: shape(*used))

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
            else:  # (each use's legs, amounts, costs, shape by the legs)
                out.append(part[3](*(int(leg[k]) for leg in part[0])))
        return out

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per use of a leg: the leg, the amount, the candidate (non-decreasing); per candidate its cost."""
        return stacked_columns([self])


def stacked_columns(many: Sequence[Candidates]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`Candidates.columns` of many underlyings' candidates side by side, candidates numbered
    across all of them (legs within their own underlying), gathered part by part and placed with
    one scatter per column (and per use of the parts held in arrays), not a few small arrays per
    underlying."""
    arrayed: dict[int, list[tuple[int, _ArrayPart]]] = defaultdict(list)  # by uses per candidate
    listed: list[Candidate] = []
    list_ids: list[int] = []
    offset = 0
    for candidates in many:
        for start, part in zip(candidates._starts, candidates._parts):
            if isinstance(part, list):
                list_ids.extend(range(offset + start, offset + start + len(part)))
                listed.extend(part)
            else:
                arrayed[len(part[0])].append((offset + start, part))
        offset += len(candidates)
    numbers = {width: _numbers(found) for width, found in arrayed.items()}
    singles = np.array(list_ids, dtype=np.intp)
    counts = np.zeros(offset, dtype=np.intp)
    cost = np.zeros(offset)
    for width, found in arrayed.items():
        counts[numbers[width]] = width
        cost[numbers[width]] = np.concatenate([part[2] for _, part in found])
    counts[singles] = [len(c.uses) for c in listed]
    cost[singles] = [c.cost for c in listed]
    starts = np.cumsum(counts) - counts  # each candidate's first use
    legs = np.zeros(int(counts.sum()), dtype=np.intp)
    amounts = np.ones(len(legs))
    for width, found in arrayed.items():
        first_use = starts[numbers[width]]
        for place in range(width):
            legs[first_use + place] = np.concatenate([part[0][place] for _, part in found])
            amounts[first_use + place] = np.concatenate([part[1][place] for _, part in found])
    if listed:
        per = counts[singles]
        within = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
        where = np.repeat(starts[singles], per) + within
        legs[where] = [i for c in listed for i, _ in c.uses]
        amounts[where] = [a for c in listed for _, a in c.uses]
    return legs, amounts, np.repeat(np.arange(offset), counts), cost


def _numbers(found: list[tuple[int, _ArrayPart]]) -> np.ndarray:
    """The candidates' numbers of parts held in arrays, each (its first number, the part), in order."""
    firsts = np.array([first for first, _ in found], dtype=np.intp)
    sizes = np.array([len(part[2]) for _, part in found], dtype=np.intp)
    return np.repeat(firsts - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum()))


@dataclass(slots=True)
class Shape:
    """A candidate's name, the figures of one unit and its rule in words (``{n}``: the units).

    Not frozen, though nothing changes a shape once made (as :class:`~xlmargin.regt._legs.BookLeg`):
    a frozen dataclass sets each field through ``object.__setattr__``, and a first call makes a
    shape for every group of its breakdown."""

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
