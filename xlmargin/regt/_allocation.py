"""Which rows' contracts (shares) each group of a pairing uses, for many underlyings at once.

A leg's contracts (shares) lie end to end on a line, row after row (its sources), and the legs one
after the other. What each leg is asked for — each use by a chosen candidate, in the candidates'
order, then what is left for the leg alone — lies end to end on the same line in the same order.
Cut the line at the end of every source and every demand: each piece is the part of one row one
group uses, exactly as handing each leg's rows out in row order, group after group, gives it
(``_Allocator`` in :mod:`xlmargin.regt`, the slow twin). That holds while every amount is on the
1/1024 grid, so that sums in any order are exact, and no leg is asked for more than it holds:
:meth:`Asked.inexact` names the underlyings where either fails, which take the slow twin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xlmargin.regt._legs import BookLeg
from xlmargin.regt._pairing import Block
from xlmargin.regt._shapes import Candidates

# Amounts on this grid (multiples of 1/1024: whole contracts, whole shares, halves, quarters) and
# their running sums below GRID_TOTAL add and subtract exactly in floats, in any order.
GRID = 1024.0
GRID_TOTAL = 2.0**40


@dataclass(frozen=True, slots=True)
class Solved:
    """One underlying's legs, candidates and program, and the units of each candidate its pairing uses."""

    legs: list[BookLeg]
    candidates: Candidates
    program: Block
    units: list[int]


class Demands:
    """The demands on legs in the breakdown's order (per underlying: its chosen candidates' uses,
    then its legs alone): each one's leg, size, whether it is a leg alone, and ``key``, what its
    group is (the candidate, or the leg alone numbered after every candidate); ``group``, the
    groups numbered in order, and ``firsts``, the demand opening each group."""

    def __init__(self, leg: np.ndarray, size: np.ndarray, alone: np.ndarray, key: np.ndarray):
        self.leg, self.size, self.alone, self.key = leg, size, alone, key
        opens = run_starts(key)
        self.group = np.cumsum(opens) - 1
        self.firsts = np.flatnonzero(opens)


@dataclass(frozen=True, slots=True)
class Pieces:
    """The line cut (see the module docstring), in the groups' order and within a group in its uses'
    order, each use's pieces in row order, as lists for building the breakdown's legs: per piece its
    source (numbered across all legs), leg, row and signed quantity in the row's units (a stock
    leg's amounts are shares); per group where its pieces start (and the end), and its first row."""

    source: list[int]
    leg: list[int]
    row: list[int]
    quantity: list[float]
    bounds: list[int]
    first_row: list[int]


@dataclass(frozen=True, slots=True)
class Groups:
    """Per group, in the breakdown's order: whether it is a leg alone; ``leg``, that leg, or for a
    candidate the leg naming its underlying (its first option leg, or its first leg if it has none);
    ``size``, what is left of a leg alone. Per underlying: its chosen candidates (its own indices,
    increasing) and how many groups it has."""

    alone: list[bool]
    leg: list[int]
    size: list[float]
    chosen: list[list[int]]
    counts: list[int]


class Asked:
    """What the chosen units of many underlyings ask of their legs, column-wise (legs and
    candidates numbered across the underlyings): per use of a leg by a chosen candidate its leg,
    candidate and amount; per leg whether it is stock, whether long, and what is left for it alone;
    per source (a row of a leg) its row and amount."""

    def __init__(self, books: Sequence[Solved]):
        self.books = books
        self.legs = [leg for b in books for leg in b.legs]
        self.stock = np.array([leg.is_stock for leg in self.legs], dtype=bool)
        self.long = np.array([leg.is_long for leg in self.legs], dtype=bool)
        leg_counts = [len(b.legs) for b in books]
        self.book_of_leg = np.repeat(np.arange(len(books)), leg_counts)
        self.sources = [s for leg in self.legs for s in leg.sources]
        self.source_leg = np.repeat(np.arange(len(self.legs)), [len(leg.sources) for leg in self.legs])
        self.held = np.array([amount for _, _, amount in self.sources], dtype=float)
        self.rows = np.array([row for row, _, _ in self.sources], dtype=np.intp)
        self.cand_starts = np.cumsum([0, *(len(b.units) for b in books)])
        units = np.concatenate([np.asarray(b.units, dtype=float) for b in books])
        cand = np.concatenate([b.program.cand + start for b, start in zip(books, self.cand_starts)])
        chosen = units[cand] > 0
        self.use_cand = cand[chosen]
        leg_starts = np.cumsum([0, *leg_counts[:-1]])
        self.use_leg = np.concatenate([b.program.leg + start for b, start in zip(books, leg_starts)])[chosen]
        self.use_size = np.concatenate([b.program.amount for b in books])[chosen] * units[self.use_cand]
        n = len(self.legs)
        self.left = np.bincount(self.source_leg, self.held, n) - np.bincount(self.use_leg, self.use_size, n)

    def inexact(self) -> list[bool]:
        """Per underlying, whether cutting the line could differ from handing out row by row: an
        amount off the 1/1024 grid, a leg asked for more than it holds, or sums too large."""
        n = len(self.legs)
        off_grid = np.bincount(self.source_leg, ~on_grid(self.held), n)
        off_grid += np.bincount(self.use_leg, ~on_grid(self.use_size), n)
        inexact = np.bincount(self.book_of_leg, (off_grid > 0) | (self.left < 0), len(self.books)) > 0
        return (inexact | (self.held.sum() >= GRID_TOTAL)).tolist()

    def demands(self) -> Demands:
        """The demands in the breakdown's order: per underlying its chosen uses, then its legs alone."""
        alone_legs = np.flatnonzero(self.left > 0)
        legs = np.concatenate([self.use_leg, alone_legs])
        alone = np.r_[np.zeros(len(self.use_leg), dtype=bool), np.ones(len(alone_legs), dtype=bool)]
        in_order = np.lexsort((np.arange(len(legs)), alone, self.book_of_leg[legs]))
        return Demands(
            legs[in_order],
            np.concatenate([self.use_size, self.left[alone_legs]])[in_order],
            alone[in_order],
            np.concatenate([self.use_cand, self.cand_starts[-1] + alone_legs])[in_order],
        )

    def pieces(self, demands: Demands) -> Pieces:
        """The line cut at every demand's and every source's end (see :class:`Pieces`)."""
        by_leg = np.argsort(demands.leg, kind="stable")
        demand_ends = np.cumsum(demands.size[by_leg])
        source_ends = np.cumsum(self.held)
        cuts = np.union1d(demand_ends, source_ends)
        starts = np.concatenate(([0.0], cuts))[:-1]  # where the piece before ends
        demand = by_leg[np.searchsorted(demand_ends, starts, side="right")]
        in_order = np.argsort(demand, kind="stable")
        demand = demand[in_order]
        source = np.searchsorted(source_ends, starts, side="right")[in_order]
        bounds = np.searchsorted(demands.group[demand], np.arange(len(demands.firsts) + 1))
        leg = demands.leg[demand]
        multiplier = np.array([g.position.multiplier for g in self.legs], dtype=float)
        per_unit = np.where(self.stock, multiplier, 1.0)  # a stock leg's amounts are shares
        quantity = np.where(self.long, 1.0, -1.0)[leg] * (cuts - starts)[in_order] / per_unit[leg]
        rows = self.rows[source]
        first_row = np.minimum.reduceat(rows, bounds[:-1]) if len(rows) else rows
        return Pieces(
            source.tolist(),
            leg.tolist(),
            rows.tolist(),
            quantity.tolist(),
            bounds.tolist(),
            first_row.tolist(),
        )

    def groups(self, demands: Demands) -> Groups:
        """What each group is (see :class:`Groups`)."""
        firsts = demands.firsts
        alone = demands.alone[firsts]
        chosen = demands.key[firsts[~alone]]  # increasing
        splits = np.searchsorted(chosen, self.cand_starts)
        per_book = [
            (chosen[splits[k] : splits[k + 1]] - self.cand_starts[k]).tolist() for k in range(len(self.books))
        ]
        uses = np.flatnonzero(~demands.alone)
        ranked = uses[np.lexsort((uses, self.stock[demands.leg[uses]], demands.group[uses]))]
        leg = demands.leg[firsts]
        leg[~alone] = demands.leg[ranked[run_starts(demands.group[ranked])]]
        counts = np.bincount(self.book_of_leg[demands.leg[firsts]], minlength=len(self.books))
        return Groups(alone.tolist(), leg.tolist(), demands.size[firsts].tolist(), per_book, counts.tolist())


def run_starts(keys: np.ndarray) -> np.ndarray:
    """Whether each key starts a run of equal keys."""
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def on_grid(amounts: np.ndarray) -> np.ndarray:
    """Whether each amount is a multiple of 1/1024 (see GRID)."""
    scaled = amounts * GRID
    return (scaled == np.floor(scaled)) & (np.abs(amounts) < GRID_TOTAL)
