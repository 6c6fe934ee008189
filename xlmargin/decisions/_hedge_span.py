"""SPAN as a program in the hedge's futures candidates (the account objective's futures segment):
exact where SPAN is a maximum of linear functions of the quantities (:mod:`.hedge`'s docstring);
a combined commodity whose charge is not convex in them is refused with a line saying why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin._typing import BoolArray, FloatArray
from xlmargin.decisions._common import concatenate
from xlmargin.decisions._hedge_rows import by_position, marked, named, position_of
from xlmargin.decisions._linear import unit_span_pnl, worst_loss_variable
from xlmargin.decisions._lp import Program
from xlmargin.decisions.candidates import Candidates
from xlmargin.errors import InputError, Problem
from xlmargin.positions import Portfolio
from xlmargin.span import SpanSettings, futures_margin
from xlmargin.span.months import product_and_month
from xlmargin.span.settings import Product


def span_variable(
    program: Program, x: np.ndarray, book: Portfolio, c: Candidates, span: SpanSettings
) -> tuple[int, float]:
    """A variable equal (at the optimum) to the SPAN requirement of the futures book after the
    candidate trades, less a constant (the combined commodities no candidate touches)."""
    rows = _SpanRows.of(book, c, span)
    touched = sorted(set(rows.root[rows.n :].tolist()))
    present = set(rows.root.tolist())
    constant = _span_constant(book, span, touched)
    multiple = span.initial_multiple if span.basis == "initial" else 1.0
    parts = []
    for name in touched:
        product = span.products[name]
        mine = np.flatnonzero(rows.root == name)
        first = int(c.portfolio.arrays["row"][int(mine[mine >= rows.n][0]) - rows.n])
        refuse_non_convex(name, product, {rows.month[i] for i in mine}, present, span, first)
        parts.append(_commodity_requirement(program, x, rows, mine, product.short_option_minimum))
    out = int(program.variables(0.0, np.inf)[0])
    program.constrain(np.array([out, *parts]), np.array([1.0, *([-multiple] * len(parts))]), 0.0, np.inf)
    return out, constant


@dataclass(frozen=True)
class _SpanRows:
    """The book's rows then the candidates' (``n`` book rows), each priced once by the engine."""

    n: int
    unit: FloatArray  # rows × SPAN scenarios, P&L per unit of quantity
    root: np.ndarray  # combined commodity of each row ("" when none)
    month: list[Any]
    quantity: FloatArray  # held quantity (0 for a candidate row)
    position: np.ndarray  # per candidate: the position it trades (_position_of; a held row when ≥ 0)
    is_option: BoolArray

    @classmethod
    def of(cls, book: Portfolio, c: Candidates, span: SpanSettings) -> _SpanRows:
        n = len(book)
        union = concatenate(book, c.portfolio) if n else c.portfolio
        with named():  # each row priced once, by the engine
            unit = unit_span_pnl(concatenate(book, marked(c.portfolio)) if n else marked(c.portfolio), span)
        found = [product_and_month(p, span) for p in union.positions]
        root = np.array([f[0].root if f else "" for f in found])
        month = [f[1] if f else None for f in found]
        quantity = np.concatenate([book.arrays["quantity"], np.zeros(len(c.portfolio))])
        is_option = np.isin(union.arrays["type"], ("future_option",))
        return cls(n, unit, root, month, quantity, position_of(book, c.portfolio), is_option)


def _span_constant(book: Portfolio, span: SpanSettings, touched: list[str]) -> float:
    """The SPAN requirement of the combined commodities no candidate touches, by the engine."""
    constant = 0.0
    if len(book):
        for line in futures_margin(book, span).lines:
            if line.root not in touched:
                constant += line.initial if span.basis == "initial" else line.maintenance
    return constant


def refuse_non_convex(
    name: str, product: Product, months: set[Any], present: set[str], span: SpanSettings, first: int
) -> None:
    """Refuse a combined commodity whose SPAN charge is not convex in the quantities: a charged
    calendar spread across months, or an inter-commodity spread whose other legs are all ``present``
    (in the book or among the candidates)."""
    charged = any(t.intra > 0 for t in product.tiers) or any(s.charge > 0 for s in product.tier_spreads)
    if charged and len(months) > 1:
        raise InputError(
            Problem(
                f"{name} would hold more than one contract month: SPAN's calendar spread charge "
                "(charge × the lesser of long and short month deltas) is not convex in the quantities, "
                "so the account objective cannot trade it",
                first,
                "candidates symbol",
            )
        )
    for spread in span.inter:
        others = [leg for leg in spread.legs if leg != name]
        if name in spread.legs and all(leg in present for leg in others):  # the spread can form
            raise InputError(
                Problem(
                    f"{', '.join([name, *others[:-1]])} and {others[-1]} form the inter-commodity spread "
                    f"{spread.id}: its credit "
                    "(the lesser leg's deltas × a price risk per delta) is not convex in the quantities, "
                    "so the account objective cannot trade it",
                    first,
                    "candidates symbol",
                )
            )


def _commodity_requirement(
    program: Program, x: np.ndarray, rows: _SpanRows, mine: np.ndarray, rate: float
) -> int:
    """A variable ≥ one combined commodity's scanning risk and ≥ its short option minimum."""
    n, quantity = rows.n, rows.quantity
    own = mine[mine >= n] - n
    fixed_rows = mine[mine < n]
    base = quantity[fixed_rows] @ rows.unit[fixed_rows] if len(fixed_rows) else np.zeros(rows.unit.shape[1])
    scan = worst_loss_variable(program, x[own], rows.unit[mine[mine >= n]], base)
    requirement = int(program.variables(0.0, np.inf)[0])
    program.constrain(np.array([requirement, scan]), np.array([1.0, -1.0]), 0.0, np.inf)
    # short option minimum: rate × Σ max(−net contracts, 0), the candidates of one contract netting
    # into one position (the held row's, or one they open)
    netted = set(rows.position[own][rows.position[own] >= 0].tolist())
    shorts = sum(
        -quantity[i] for i in fixed_rows if rows.is_option[i] and quantity[i] < 0 and i not in netted
    )
    short_vars = []
    for i, ks in by_position(rows.position, own[rows.is_option[n + own]]).items():
        s = int(program.variables(0.0, np.inf)[0])
        q0 = float(quantity[i]) if i >= 0 else 0.0
        # s ≥ −(q0 + Σ x)
        program.constrain(np.array([s, *x[ks]]), np.ones(len(ks) + 1), -q0, np.inf)
        short_vars.append(s)
    program.constrain(
        np.array([requirement, *short_vars]),
        np.array([1.0, *([-rate] * len(short_vars))]),
        rate * shorts,
        np.inf,
    )
    return requirement
