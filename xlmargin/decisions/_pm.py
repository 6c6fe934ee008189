"""Portfolio margin as a linear program in the quantities of some rows.

On the risk arrays (:mod:`xlmargin.pm.risk`) a class group's P&L at a valuation point is
``Σ quantity × unit_pnl``, and the regulatory requirement is built from it by maxima and sums only:

- a class group's loss ``L_g = max(0, max_p −pnl_gp)``: a variable ``r ≥ 0, r ≥ −pnl_gp``;
- a series' per-contract minimum ``max(long × n, −short × n)`` (n = net contracts): a variable
  ``m ≥ long × n, m ≥ −short × n``;
- a product group with offset o: at each point ``−Σ_g min(pnl,0) − o Σ_g max(pnl,0)
  = −Σ_g pnl + (1 − o) Σ_g max(pnl, 0)``, convex in the P&L because ``1 − o ≥ 0``:
  variables ``u_gp ≥ pnl_gp, u_gp ≥ 0``;
- per class group (``minimum.scope = class_group``) a unit's requirement is the greater of its loss
  and its minimum; per account, the total is the greater of the summed losses and minimums.

Minimised, every variable settles on the maximum it bounds, so the optimum is the engine's figure.
Only the class groups (and product groups) that a variable row touches enter the program; the
rest, and the lines outside portfolio margin (bonds), are a constant taken from the engine. The
regulatory figure is the one optimised: with house layers on, the program is refused.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.decisions._lp import Program
from xlmargin.errors import UnsupportedError
from xlmargin.pm import PMSettings, pm_requirement
from xlmargin.pm.result import REGULATORY
from xlmargin.pm.risk import RiskArrays
from xlmargin.positions import Portfolio

MAX_LEVERAGED = 6  # leveraged rows a decision may open or close: one program per choice (2**6 = 64)


@dataclass(frozen=True)
class Terms:
    """Quantity of covered row ``rows[i]`` = base + Σ ``weights[i]`` × variable ``columns[i]``."""

    rows: IntArray  # covered-row indices (into the risk arrays)
    columns: IntArray  # program variables
    weights: FloatArray


def requirement_variable(
    program: Program, risk: RiskArrays, base: FloatArray, terms: Terms
) -> tuple[int, float]:
    """A variable equal (at the optimum of a minimisation) to the regulatory portfolio margin of
    the covered rows at ``base + terms``, less a constant, and that constant (the class groups no
    variable touches). Outside lines (bonds) are not included."""
    if risk.settings.house:
        raise UnsupportedError(
            "the optimiser works on the regulatory portfolio margin; switch the house layers off"
        )
    per_group = risk.rules.get("minimum.scope") == "class_group"
    columns = np.array([i for i, p in enumerate(risk.points) if p.layer == REGULATORY])
    pnl = np.add.reduceat(base[:, None] * risk.unit_pnl[:, columns], risk.starts, axis=0)
    touched = np.zeros(len(risk.group_ids), dtype=bool)
    touched[risk.group[terms.rows]] = True
    min_constant, min_vars = _minimum_variables(program, risk, base, terms)
    scan = _Scan(program, risk, terms, pnl, columns, touched)
    account = _Account()
    for members, offset in _units(risk):
        minimum_const = float(min_constant[members].sum())
        minimum_vars = [m for g in members for m in min_vars[g]]
        if not touched[members].any():
            account.add_constant(scan.constant_loss(members, offset), minimum_const, per_group)
            continue
        r = scan.loss_variable(members, offset)
        if per_group:
            account.unit_vars.append(_greater_of(program, r, minimum_vars, minimum_const))
        else:
            account.loss_vars.append(r)
            account.constant_min += minimum_const
            account.unit_vars += minimum_vars  # collected for the account-wide minimum below
    return account.total(program, per_group)


def _minimum_variables(
    program: Program, risk: RiskArrays, base: FloatArray, terms: Terms
) -> tuple[FloatArray, dict[int, list[int]]]:
    """The per-contract minimum of each class group: a constant for the series no term moves, and
    one variable per moving series, ``m ≥ long × n, m ≥ −short × n`` (listed by class group)."""
    n_groups = len(risk.group_ids)
    option = risk.series >= 0
    n_series = len(risk.series_group)
    contracts = np.bincount(risk.series[option], weights=base[option], minlength=n_series)
    per_series = np.where(
        contracts > 0, contracts * risk.series_long_minimum, -contracts * risk.series_short_minimum
    )
    series_of_term = risk.series[terms.rows]
    moving = np.unique(series_of_term[series_of_term >= 0])
    fixed = np.ones(n_series, dtype=bool)
    fixed[moving] = False
    min_constant = np.bincount(risk.series_group[fixed], weights=per_series[fixed], minlength=n_groups)
    min_vars: dict[int, list[int]] = {g: [] for g in range(n_groups)}
    for s in moving:
        m = int(program.variables(0.0, np.inf)[0])
        pick = series_of_term == s
        cols, w = terms.columns[pick], terms.weights[pick]
        n0 = float(contracts[s])
        long_, short = float(risk.series_long_minimum[s]), float(risk.series_short_minimum[s])
        # m ≥ long × (n0 + Σ w x)  and  m ≥ −short × (n0 + Σ w x)
        program.constrain(np.append(cols, m), np.append(-long_ * w, 1.0), long_ * n0, np.inf)
        program.constrain(np.append(cols, m), np.append(short * w, 1.0), -short * n0, np.inf)
        min_vars[int(risk.series_group[s])].append(m)
    return min_constant.astype(np.float64, copy=False), min_vars


def _units(risk: RiskArrays) -> list[tuple[list[int], float]]:
    """The account's units, each (class-group indices, offset): a product group with its offset,
    or a standalone class group, which counts its P&L in full (the product formula with offset 1)."""
    product_of: dict[str, tuple[str, float]] = {}
    for table in risk.rules["product_groups"]:
        offset = float(risk.settings.offsets.get(str(table["id"]), table["offset"]))
        for member in table["class_groups"]:
            product_of[str(member)] = (str(table["id"]), offset)
    units: dict[str, list[int]] = {}
    for g, gid in enumerate(risk.group_ids):
        units.setdefault(product_of[gid][0] if gid in product_of else f"class {gid}", []).append(g)
    return [
        (members, product_of[risk.group_ids[members[0]]][1] if not name.startswith("class ") else 1.0)
        for name, members in units.items()
    ]


@dataclass(frozen=True)
class _Scan:
    """The regulatory P&L of the class groups at ``base``, with the terms that move it."""

    program: Program
    risk: RiskArrays
    terms: Terms
    pnl: FloatArray  # class groups × regulatory points, at base
    columns: IntArray  # regulatory columns of the risk arrays
    touched: BoolArray  # per class group: some term moves it

    def group_pnl(self, g: int, p: int) -> tuple[IntArray, FloatArray, float]:
        """Group g's P&L at regulatory column p: (variables, weights, constant)."""
        pick = self.risk.group[self.terms.rows] == g
        unit = self.risk.unit_pnl[self.terms.rows[pick], self.columns[p]]
        return self.terms.columns[pick], self.terms.weights[pick] * unit, float(self.pnl[g, p])

    def constant_loss(self, members: list[int], offset: float) -> float:
        """The loss of a unit no term moves."""
        pnl = self.pnl[members]
        netted = np.minimum(pnl, 0.0).sum(axis=0) + offset * np.maximum(pnl, 0.0).sum(axis=0)
        return max(0.0, -float(netted.min())) if len(self.columns) else 0.0

    def loss_variable(self, members: list[int], offset: float) -> int:
        """A variable r ≥ the unit's loss at every regulatory point."""
        program = self.program
        n_points = len(self.columns)
        r = int(program.variables(0.0, np.inf)[0])
        gains = {
            g: program.variables(0.0, np.inf, count=n_points)
            for g in members
            if offset < 1.0 and self.touched[g]
        }
        for p in range(n_points):
            row_cols: list[int] = [r]
            weights: list[float] = [1.0]
            lower = 0.0
            for g in members:
                var, w, c = self.group_pnl(g, p)
                if self.touched[g]:
                    # r ≥ −pnl + (1 − o) u  →  r + Σ w x − (1 − o) u ≥ −c;   u − Σ w x ≥ c
                    row_cols += var.tolist()
                    weights += w.tolist()
                    lower -= c
                    if g in gains:
                        u = int(gains[g][p])
                        row_cols.append(u)
                        weights.append(-(1.0 - offset))
                        program.constrain(np.append(var, u), np.append(-w, 1.0), c, np.inf)
                else:
                    lower -= c - (1.0 - offset) * max(c, 0.0)
            program.constrain(np.array(row_cols), np.array(weights), lower, np.inf)
        return r


def _greater_of(program: Program, r: int, minimum_vars: list[int], minimum_const: float) -> int:
    """A variable ≥ the loss variable r and ≥ the unit's minimum (variables plus a constant)."""
    total = int(program.variables(0.0, np.inf)[0])
    program.constrain(np.array([total, r]), np.array([1.0, -1.0]), 0.0, np.inf)
    program.constrain(
        np.array([total, *minimum_vars]),
        np.array([1.0] + [-1.0] * len(minimum_vars)),
        minimum_const,
        np.inf,
    )
    return total


@dataclass
class _Account:
    """The account's sums so far: variables and constants, losses and minimums."""

    loss_vars: list[int] = field(default_factory=list)
    unit_vars: list[int] = field(default_factory=list)
    constant_loss: float = 0.0
    constant_min: float = 0.0
    constant: float = 0.0

    def add_constant(self, loss: float, minimum: float, per_group: bool) -> None:
        """A unit no term moves: its requirement is a constant."""
        self.constant += max(loss, minimum) if per_group else 0.0
        self.constant_loss += loss
        self.constant_min += minimum

    def total(self, program: Program, per_group: bool) -> tuple[int, float]:
        """The account variable and its constant: the sum of the units' requirements (per class
        group), or the greater of the summed losses and the summed minimums (per account)."""
        out = int(program.variables(0.0, np.inf)[0])
        if per_group:
            unit = self.unit_vars
            program.constrain(np.array([out, *unit]), np.array([1.0] + [-1.0] * len(unit)), 0.0, np.inf)
            return out, self.constant
        loss, unit = self.loss_vars, self.unit_vars
        program.constrain(
            np.array([out, *loss]), np.array([1.0] + [-1.0] * len(loss)), self.constant_loss, np.inf
        )
        program.constrain(
            np.array([out, *unit]), np.array([1.0] + [-1.0] * len(unit)), self.constant_min, np.inf
        )
        return out, 0.0


def widens_range(portfolio: Portfolio) -> BoolArray:
    """The rows that widen their class group's scan range while the book holds them (a leveraged
    ETF: the range × the largest |leverage| above 1 among the group's rows held, quantity ≠ 0,
    :func:`xlmargin.pm.risk.range_scale`). The program's ranges are those of the book it is built
    on, so a decision that may open or close such a row prices the books apart."""
    return np.abs(portfolio.arrays["leverage"]) > 1.0


def outside_requirement(portfolio: Portfolio, settings: PMSettings) -> float:
    """The lines margined outside portfolio margin (bonds), by the engine: a constant of the program."""
    bonds = portfolio.arrays["type"] == "bond"
    return pm_requirement(portfolio.select(bonds), settings).requirement if bonds.any() else 0.0


def outside_units(portfolio: Portfolio, settings: PMSettings) -> tuple[IntArray, FloatArray]:
    """The bond rows held (quantity ≠ 0, by index) and each one's figure outside portfolio margin
    per unit of its face, by the engine: FINRA 4210(e)(2)'s share of its value or face (a
    convertible's of its value), in proportion to the face on one side of 0, so a sale towards 0
    takes ``unit × face sold`` off the requirement."""
    a = portfolio.arrays
    held = (a["type"] == "bond") & (a["quantity"] != 0.0)
    rows = np.flatnonzero(held)
    if not len(rows):
        return rows, np.zeros(0)
    indexed = Portfolio({**a, "row": np.arange(len(portfolio), dtype=np.int64)}, portfolio.as_of)
    lines = {o.row: o.requirement for o in pm_requirement(indexed.select(held), settings).outside}
    return rows, np.array([lines[int(i)] / abs(float(a["quantity"][i])) for i in rows])


def covered_terms(risk: RiskArrays, start: int, columns: IntArray, weights: FloatArray) -> Terms:
    """Terms for the covered rows whose portfolio index is ``start + k``: variable ``columns[k]``
    with weight ``weights[k]``."""
    rows = np.flatnonzero(risk.index >= start)
    k = risk.index[rows] - start
    return Terms(rows, np.asarray(columns)[k], np.asarray(weights, dtype=float)[k])


@dataclass(frozen=True)
class Swing:
    """A leveraged position a decision's candidates trade: the book's row holding it (−1 when they
    open it), its quantity held and the candidates netting into it (indices)."""

    book_row: int
    held: float
    ks: list[int]


@dataclass(frozen=True)
class Choice:
    """One choice for the leveraged positions: the book's rows and candidates left out of the
    program (a position flat after the trades, so its range does not widen the group's), and per
    swing the bound on its candidates' sum (``lo ≤ Σ x ≤ hi``)."""

    drop_book: BoolArray
    drop_candidates: BoolArray
    bounds: tuple[tuple[list[int], float, float], ...]


def choices(portfolio: Portfolio, low: FloatArray, high: FloatArray, swings: list[Swing]) -> list[Choice]:
    """Each choice of the leveraged positions held after the trades or not (``swings``, traded by
    a decision's candidates whose ranges are ``low`` to ``high``):
    flat (``held + Σ x = 0``: the book's row and its candidates left out), long (``held + Σ x``
    above 0, at least one unit: ``Σ x ≥ ⌊−held⌋ + 1``) or short (``Σ x ≤ ⌈−held⌉ − 1``), each
    where the candidates' ranges allow it; so the program's scan ranges are those of the engine
    on the book after the trades (the candidates kept count as held: the engine's ``held`` mask).
    A leveraged book row held at 0 widens nothing, in the engine as in the book after the trades
    (:func:`~._common.with_trades` drops it). Without swings, one state."""
    choices: list[list[tuple[str, float, float]]] = []
    for s in swings:
        lo, hi = float(low[s.ks].sum()), float(high[s.ks].sum())
        options = []
        if lo <= -s.held <= hi and float(-s.held).is_integer():
            options.append(("flat", -s.held, -s.held))
        if s.held + hi > 0:
            options.append(("long", math.floor(-s.held) + 1.0, np.inf))
        if s.held + lo < 0:
            options.append(("short", -np.inf, math.ceil(-s.held) - 1.0))
        choices.append(options)
    out = []
    for pick in itertools.product(*choices):
        drop_book = np.zeros(len(portfolio), dtype=bool)
        drop_candidates = np.zeros(len(low), dtype=bool)
        for s, (kind, _, _) in zip(swings, pick, strict=True):
            if kind == "flat":
                drop_candidates[s.ks] = True
                if s.book_row >= 0:
                    drop_book[s.book_row] = True
        bounds = tuple((s.ks, lo, hi) for s, (_, lo, hi) in zip(swings, pick, strict=True))
        out.append(Choice(drop_book, drop_candidates, bounds))
    return out
