"""Reg T's requirement as a mixed-integer program in the quantities held (margin-rules.md §1).

The Reg T engine's requirement of a book is the cost of its optimal strategy pairing
(:mod:`xlmargin.regt._pairing`): with ``x_j`` whole units of candidate strategy ``j``,

    requirement = Σ_l alone_l · capacity_l + min_x Σ_j (cost_j − alone_j) · x_j
                  subject to Σ_j use[l, j] · x_j ≤ capacity_l for every leg l,

plus each bond's own figure (bonds are not paired). Every per-unit figure is the engine's: a leg
alone needs the same per contract (a naked option's per-contract requirement, a long option's
premium) or per share (a stock's percentage or its per-share minimum, short stock under $5
included) however many are held, a bond a percentage of its value or face, a strategy the same per
unit (its figures scale with the units formed). So the requirement is linear in the capacities
once the pairing is a variable, and the capacities are linear in the quantities held: a leg's
capacity is the units (contracts, or shares: quantity × multiplier) of its rows. A decision that
changes the quantities (``held_r + w_r · y_r``, ``y`` its variables) gets the requirement after as
one variable ``t`` with

    t = Σ_l alone_l · capacity_l(y) + Σ_j (cost_j − alone_j) · x_j + Σ_bonds unit_r · held_r(y),
    Σ_j use[l, j] · x_j ≤ capacity_l(y),

and for any ``y`` the least ``t`` over ``x`` is the engine's requirement (unrounded: the engine
then rounds each group to the cent). Exact for closing (capacities fall) and, built on the book
at the largest quantities a decision allows, for opening (``w > 0``: capacities grow) alike: the
engine keeps a candidate its legs can form once at least, costed per unit, so a smaller book's
candidates are among the larger one's, and one its legs cannot form is held to 0 units by the
capacities.

A contract held long on some rows and short on others is netted by the engine: its leg is the
majority side, of capacity |n|, n = Σ long units − Σ short units, and a change may make either side
the leg. So the program holds both sides as legs (the short rows' symbol set apart, so that the
engine's builders keep them apart), with capacities ``long ≥ 0`` and ``short ≥ 0``,
``long − short = n(y)``, and a binary ``b`` with ``long ≤ M·b`` and ``short ≤ M·(1 − b)``: one of
them is 0, the other |n|, exactly as the engine nets. A candidate holding both sides can then form
no unit, so the candidates of the book with both sides are those of either side, and no more.

Two things the program cannot see are said by the caller: a bounded candidate search (an
underlying past ``exhaustive_legs`` or ``max_candidates``: the engine's warning) may be lifted
once a sale removes legs, so the program's figure is then an upper bound of the engine's; and
FINRA 4210(b)(2)'s minimum equity, reported beside the requirement and never added to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xlmargin._typing import FloatArray, IntArray
from xlmargin.decisions._common import concatenate
from xlmargin.decisions._lp import Program
from xlmargin.errors import InputError, Problem, XlMarginError, a_or_an
from xlmargin.positions import Portfolio
from xlmargin.positions.model import OPTION_TYPES
from xlmargin.regt import pairing_programs, regt_margin
from xlmargin.regt._legs import Closed, contract_key, one_bond_rows
from xlmargin.regt._pairing import Block
from xlmargin.rules import RuleSet

_APART = "\x1fshort side"  # a netted contract's short rows' symbol: a leg apart from its long rows


@dataclass(frozen=True)
class RegTProgram:
    """The requirement pieces, on the book's rows by index: per leg (the blocks' legs in order) its
    rows and their units per unit of quantity, its netted contract (index into ``netted``, -1: none)
    and its requirement per unit alone; per netted contract its long and short rows; the bonds' rows
    and their figure per unit of quantity; the candidate search's warnings."""

    blocks: tuple[Block, ...]
    leg_rows: tuple[tuple[tuple[int, float], ...], ...]
    leg_netted: tuple[int, ...]
    units: FloatArray  # per row: a leg's units per unit of its quantity (contracts, or shares)
    alone: FloatArray
    netted: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
    bonds: IntArray
    bond_unit: FloatArray
    warnings: tuple[str, ...]
    bond_positions: tuple[tuple[int, ...], ...]  # the bond rows of one bond, which the engine nets


def regt_program(
    book: Portfolio, basis: str, rules: RuleSet | None, net_of_proceeds: bool = False
) -> RegTProgram:
    """The requirement pieces of ``book`` (rows by index; module docstring)."""
    a = dict(book.arrays)
    a["row"] = np.arange(len(book), dtype=np.int64)  # the engine's legs name rows by index here
    indexed = Portfolio(a, book.as_of)
    found = pairing_programs(indexed, basis=basis, rules=rules, closed_only=True)[1]
    netted = _netted(indexed, [c for shut in found for c in shut])
    if netted:  # each netted contract's short rows apart: two legs
        symbol = np.array(a["symbol"], dtype=object)
        for _, shorts in netted:
            symbol[list(shorts)] = [f"{symbol[i]}{_APART}" for i in shorts]
        indexed = Portfolio({**a, "symbol": symbol}, book.as_of)
    programs, closed, warnings = pairing_programs(
        indexed, basis=basis, net_of_proceeds=net_of_proceeds, rules=rules
    )
    if any(closed):  # not expected: the contracts the engine nets are the ones set apart
        raise XlMarginError("the Reg T plan could not set apart a contract held long and short")
    of_row = {i: k for k, (longs, shorts) in enumerate(netted) for i in (*longs, *shorts)}
    leg_rows: list[tuple[tuple[int, float], ...]] = []
    leg_netted: list[int] = []
    alone: list[float] = []
    for legs, _ in programs:
        for lg in legs:
            rows = tuple((int(row), _units(indexed, int(row))) for row, _, _ in lg.sources)
            leg_rows.append(rows)
            leg_netted.append(of_row.get(rows[0][0], -1))
            alone.append(lg.standalone.cost(net_of_proceeds))  # per unit, as the block's costs
    bonds, bond_unit = _bonds(indexed, basis, rules, net_of_proceeds)
    units = np.array([_units(indexed, i) for i in range(len(indexed))])
    held = indexed.positions_at(bonds.tolist())
    positions = tuple(tuple(int(bonds[k]) for k in one) for one in one_bond_rows(held))
    return RegTProgram(
        tuple(b for _, b in programs), tuple(leg_rows), tuple(leg_netted), units, np.array(alone),
        tuple(netted), bonds, bond_unit, tuple(warnings), positions,
    )  # fmt: skip


def _netted(book: Portfolio, closed: list[Closed]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Each contract the engine nets (its closed positions): its long rows and its short rows, all
    the rows holding it (those the engine leaves open too), told apart by the engine's own contract
    key (:func:`xlmargin.regt._legs.contract_key`)."""
    held = np.flatnonzero(book.arrays["quantity"] != 0.0).tolist()
    keys = [contract_key(p) for p in book.positions_at(held)]
    out = []
    for c in closed:
        contract = contract_key(book.positions_at([int(c.sources[0][0])])[0])
        rows = [i for i, key in zip(held, keys, strict=True) if key == contract]
        longs = tuple(i for i in rows if book.arrays["quantity"][i] > 0)
        shorts = tuple(i for i in rows if book.arrays["quantity"][i] < 0)
        out.append((longs, shorts))
    return out


def _units(book: Portfolio, i: int) -> float:
    """A leg's units per unit of row ``i``'s quantity: one contract, or ``multiplier`` shares."""
    a = book.arrays
    return 1.0 if a["type"][i] in OPTION_TYPES else float(a["multiplier"][i])


def _bonds(
    book: Portfolio, basis: str, rules: RuleSet | None, net_of_proceeds: bool
) -> tuple[IntArray, FloatArray]:
    """The bond rows and each one's requirement per unit of quantity (face), by the engine: a
    percentage of its value, or the greater of that and one of its face, both in proportion."""
    a = book.arrays
    rows = np.flatnonzero((a["type"] == "bond") & (a["quantity"] != 0.0))
    if not len(rows):
        return rows, np.zeros(0)
    bonds = book.select(np.isin(np.arange(len(book)), rows))
    # each row's symbol apart, so that the engine margins each row alone (it nets a bond's rows):
    # a figure per unit on each side, which the program nets (_bond_terms)
    symbol = [f"{s}{_APART}{k}" for k, s in enumerate(bonds.arrays["symbol"].tolist())]
    apart = Portfolio({**bonds.arrays, "symbol": np.array(symbol, dtype=object)}, book.as_of)
    result = regt_margin(apart, basis=basis, rules=rules, net_of_proceeds=net_of_proceeds)
    per = {int(g.legs[0].row): g.exact.cost(net_of_proceeds) for g in result.groups}
    unit = np.array([per[int(i)] / abs(float(a["quantity"][i])) for i in rows])
    return rows, unit


def requirement_variable(
    program: Program,
    terms: RegTProgram,
    quantity: FloatArray,
    columns: IntArray,
    weights: FloatArray,
    most: FloatArray | None = None,
    sign: FloatArray | None = None,
) -> int:
    """A variable ``t`` that is at least the Reg T requirement after the change (module docstring),
    the least such ``t`` being that requirement: the rows hold |``quantity``| + ``weights`` ×
    ``columns`` (row by index; one column per row), each column at most ``most`` (None: a change
    that only closes, no side of a netted contract growing), each row on the side ``sign`` (None:
    its quantity's; a row opened from nothing holds 0 and says its side here). The bond rows that
    are one position (``terms.bond_positions``: the book's rows of one bond and the trades netting
    into it, as the engine nets them) take the unit's figure × |net face| (:func:`_bond_terms`); any
    other bond row stands alone, on its side."""
    held = np.abs(np.asarray(quantity, dtype=float))
    side_of = np.sign(quantity) if sign is None else np.asarray(sign, dtype=float)
    t = int(program.variables(-np.inf, np.inf)[0])
    t_cols: list[int] = [t]
    t_weights: list[float] = [1.0]
    constant = 0.0
    grow = np.zeros(len(held)) if most is None else np.abs(weights) * np.asarray(most, dtype=float)
    sides = _sides(program, terms, held, columns, weights, grow)
    k = 0
    for b in terms.blocks:
        x = program.variables(0.0, b.upper, True)
        t_cols += x.tolist()
        t_weights += (-b.cost).tolist()
        order = np.argsort(b.leg, kind="stable")
        starts = np.searchsorted(b.leg[order], np.arange(len(b.capacity) + 1))
        for leg in range(len(b.capacity)):
            uses = order[starts[leg] : starts[leg + 1]]
            alone = float(terms.alone[k + leg])
            netted = terms.leg_netted[k + leg]
            if netted >= 0:  # its capacity is a variable: the side it is on (module docstring)
                first = terms.leg_rows[k + leg][0][0]
                side = sides[netted][0 if side_of[first] > 0 else 1]
                cols, moves, base = np.array([side]), np.array([1.0]), 0.0
            else:  # capacity = base + Σ units × weights × y
                at = np.array([i for i, _ in terms.leg_rows[k + leg]], dtype=np.int64)
                units = np.array([u for _, u in terms.leg_rows[k + leg]])
                cols, moves, base = columns[at], units * weights[at], float(units @ held[at])
            program.constrain(
                np.concatenate([x[b.cand[uses]], cols]),
                np.concatenate([b.amount[uses], -moves]),
                -np.inf,
                base,
            )
            t_cols += cols.tolist()
            t_weights += (-alone * moves).tolist()
            constant += alone * base
        k += len(b.capacity)
    bond_cols, bond_weights, bond_constant = _bond_terms(
        program, terms, held, side_of, columns, weights,
        [list(rows) for rows in terms.bond_positions],
    )  # fmt: skip
    t_cols += bond_cols
    t_weights += bond_weights
    constant += bond_constant
    program.constrain(np.array(t_cols), np.array(t_weights), constant, constant)
    return t


def _bond_terms(
    program: Program,
    terms: RegTProgram,
    held: FloatArray,
    side_of: FloatArray,
    columns: IntArray,
    weights: FloatArray,
    positions: list[list[int]],
) -> tuple[list[int], list[float], float]:
    """The bonds' part of ``t``: (columns, their weights in ``t``'s row, constant). A bond row alone
    keeps its side: unit × (held + weight × y). The rows of one position (``positions``: a held
    bond and the trades that net into it, bought and sold) hold the net face ``n = Σ side × (held +
    weight × y)``, and the engine charges the long side's figure per unit × n, or the short side's ×
    (−n) (FINRA 4210(e)(2) one rate net long or short; a convertible margined like equity two), so a
    variable ``a ≥ long × n, a ≥ −short × n`` stands for it (it settles there at the least ``t``).
    Every row of a position is priced as the row it nets into: one figure per side."""
    unit_of = dict(zip(terms.bonds.tolist(), terms.bond_unit.tolist(), strict=True))
    cols: list[int] = []
    coefficients: list[float] = []
    constant = 0.0
    alone = set(unit_of)
    for rows in positions:
        priced = [i for i in rows if i in unit_of]
        if not priced:
            continue
        alone -= set(rows)
        long = next((unit_of[i] for i in priced if side_of[i] > 0), unit_of[priced[0]])
        short = next((unit_of[i] for i in priced if side_of[i] < 0), long)
        at = np.array([i for i in rows if weights[i] != 0.0], dtype=np.int64)
        moves = side_of[at] * weights[at]
        net = float(side_of[rows] @ held[rows])
        a = int(program.variables(0.0, np.inf)[0])
        # a ≥ long × n  and  a ≥ −short × n
        program.constrain(np.r_[a, columns[at]], np.r_[1.0, -long * moves], long * net, np.inf)
        program.constrain(np.r_[a, columns[at]], np.r_[1.0, short * moves], -short * net, np.inf)
        cols.append(a)
        coefficients.append(-1.0)
    for i in sorted(alone):
        cols.append(int(columns[i]))
        coefficients.append(-unit_of[i] * float(weights[i]))
        constant += unit_of[i] * held[i]
    return cols, coefficients, constant


def _sides(
    program: Program,
    terms: RegTProgram,
    held: FloatArray,
    columns: IntArray,
    weights: FloatArray,
    grow: FloatArray,
) -> list[tuple[int, int]]:
    """Per netted contract its long and short capacities (variables): ``long − short`` = the net
    units held after the change, one of them 0 (a binary ``b``: ``long ≤ M·b``, ``short ≤ M·(1 − b)``,
    ``M`` the most units either side may hold: all its rows' units, each grown by ``grow``)."""
    out = []
    for longs, shorts in terms.netted:
        rows = np.array([*longs, *shorts], dtype=np.int64)
        sign = np.r_[np.ones(len(longs)), -np.ones(len(shorts))]
        units = terms.units[rows]
        most = float(units @ (held[rows] + grow[rows]))
        long, short = (int(v) for v in program.variables(0.0, np.inf, count=2))
        b = int(program.variables(0.0, 1.0, True)[0])
        net = float((sign * units) @ held[rows])
        # long − short − Σ sign × units × weights × y = net
        program.constrain(
            np.r_[long, short, columns[rows]], np.r_[1.0, -1.0, -sign * units * weights[rows]], net, net
        )
        program.constrain(np.array([long, b]), np.array([1.0, -most]), -np.inf, 0.0)
        program.constrain(np.array([short, b]), np.array([1.0, most]), -np.inf, most)
        out.append((long, short))
    return out


def trade_variable(
    program: Program,
    book: Portfolio,
    positions: Portfolio,
    longest: FloatArray,
    shortest: FloatArray,
    basis: str,
    rules: RuleSet | None,
) -> tuple[int, IntArray, IntArray, tuple[str, ...]]:
    """The Reg T requirement of ``book`` after trades, as a variable ``t`` (the least ``t`` is the
    engine's unrounded requirement), and per traded position two variables, the units bought
    ``p ∈ [0, longest]`` and sold ``s ∈ [0, shortest]``: the position (a row of ``positions``, each
    with the fields of the row the trades net into: the book's holding it, or the first trade of
    it) changes by ``p − s``. The program is built on the book with each position's largest long
    and short trades beside it as rows of their own (module docstring: exact for opening), so a
    position both bought and sold, or traded against the book's side, is a netted contract whose
    side the binary picks; only ``p − s`` matters to it; a bond's rows (the book's and its trades')
    are one position, its net face (:func:`_bond_terms`, as the engine nets them). Also the
    candidate search's warnings."""
    n, m = len(book), len(positions)
    long, short = np.flatnonzero(longest > 0.0), np.flatnonzero(shortest > 0.0)
    take = np.concatenate([long, short])
    arrays = {k: v[take] for k, v in positions.arrays.items()}
    arrays["quantity"] = np.concatenate([longest[long], -shortest[short]])
    sides = Portfolio(arrays, positions.as_of)
    joined = concatenate(book, sides) if n else sides
    terms = regt_program(joined, basis, rules)
    bought = program.variables(0.0, np.maximum(longest, 0.0), count=m)
    sold = program.variables(0.0, np.maximum(shortest, 0.0), count=m)
    fixed = int(program.variables(0.0, 0.0)[0])  # the book's rows: held as they are
    quantity = np.concatenate([book.arrays["quantity"], np.zeros(len(take))])
    columns = np.concatenate([np.full(n, fixed), bought[long], sold[short]])
    weights = np.concatenate([np.zeros(n), np.ones(len(take))])
    most = np.concatenate([np.zeros(n), longest[long], shortest[short]])
    sign = np.concatenate([np.sign(book.arrays["quantity"]), np.ones(len(long)), -np.ones(len(short))])
    # a bond's position: the book's rows of it and its trades' rows (terms.bond_positions)
    t = requirement_variable(program, terms, quantity, columns, weights, most, sign)
    return t, bought, sold, terms.warnings


_TRADED = ("stock", "etf", "option", "bond")  # what Reg T margins (cash is not traded)


def hedge_variable(
    program: Program,
    x: IntArray,
    book: Portfolio,
    trades: Portfolio,
    low: FloatArray,
    high: FloatArray,
    position: IntArray,
    basis: str,
    rules: RuleSet | None,
) -> tuple[int, tuple[str, ...]]:
    """:func:`trade_variable` for trades ``x`` (variables in [``low``, ``high``]) of the rows
    ``trades``, each on its ``position``: the index of the book's row it nets into, or ``−1 − k``
    for a contract the book does not hold, ``k`` its first trade (whose row the others net into, at
    its prices; a trade on a held contract carries the held row's). Σ ``x`` of a position is its
    units bought less its units sold. A trade Reg T does not margin is refused naming its row."""
    kinds = trades.arrays["type"]
    outside = np.flatnonzero(~np.isin(kinds, _TRADED))
    if len(outside):
        k = int(outside[0])
        raise InputError(
            Problem(
                f"{a_or_an(str(kinds[k]).replace('_', ' '))} candidate is outside Reg T; the regt and "
                "regt_maintenance objectives trade stock, ETF, option and bond lines (the account "
                "objective trades each segment's)",
                int(trades.arrays["row"][k]),
                "candidates type",
            )
        )
    n = len(book)
    groups: dict[int, list[int]] = {}
    for k, p in enumerate(position.tolist()):
        groups.setdefault(int(p), []).append(k)
    union = concatenate(book, trades) if n else trades
    at = np.array([i if i >= 0 else n - 1 - i for i in groups], dtype=np.int64)  # −1 − k: trade k
    positions = Portfolio({k: v[at] for k, v in union.arrays.items()}, union.as_of)
    most = np.array([[high[ks].sum(), -low[ks].sum()] for ks in groups.values()]).reshape(-1, 2)
    t, bought, sold, warnings = trade_variable(
        program,
        book,
        positions,
        np.maximum(most[:, 0], 0.0),
        np.maximum(most[:, 1], 0.0),
        basis,
        rules,
    )
    for p, ks in enumerate(groups.values()):  # Σ x = bought − sold
        program.constrain(np.r_[x[ks], bought[p], sold[p]], np.r_[np.ones(len(ks)), -1.0, 1.0], 0.0, 0.0)
    return t, warnings
