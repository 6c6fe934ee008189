"""Which positions use the margin: each position's incremental and component requirement.

**Incremental** = total − total without the position (every other row kept), each rounded to the
cent first, as the engine reports them: a user's own subtraction of the two figures gives it.
**Component** is an allocation of the total that adds up to it (to the cent: components are
rounded and the residual cent goes to the largest one):

- ``risk`` (the risk view): the position's loss in the book's worst scenario; the components add
  up to the worst loss.
- ``regt`` / ``regt_maintenance`` (Reg T strategy margin, gross, on the settings' ``basis`` for
  ``regt`` and on maintenance for ``regt_maintenance``): each strategy group's requirement is split
  over its legs in proportion to each leg's market value (|quantity| × price × multiplier, bonds
  per 100 of face; evenly when the group's legs are worth nothing). Why market value: it is defined
  for every leg from the row alone, needs no further engine run, and follows what carries the
  group's risk (the stock of a covered call or a collar takes nearly all of it, a credit spread's
  short leg more than its long one), whereas stand-alone requirements of paired legs add up to far
  more than the group and would be as arbitrary a split. A row used by several groups adds its
  shares of each.
- ``account`` (the account view): segment by segment, each in the account currency. Securities
  by the account's ``securities`` choice (Reg T on the account's basis, or portfolio margin, as
  above); futures by SPAN: each combined commodity's requirement (scanning risk + calendar charge
  − inter-commodity credit, at least the short-option minimum, × the initial multiple on the
  initial basis) goes to its positions as their loss at the commodity's worst scenario (those add
  up to the scanning risk), and the rest (charges less credits, the minimum's top-up, the initial
  multiple) in proportion to each position's largest P&L over the 16 scenarios, like PM; FX and
  CFDs carry their own ESMA / NFA margin (× 50% for the ESMA close-out level on maintenance).
  Incremental: only the position's segment is recomputed: the securities segment as above, the
  futures segment by SPAN without the row (inter-commodity credits tie its commodities together),
  and the FX / CFD segment is a sum of per-position margins, so without the row it is that sum
  less the row's own margin.
- ``pm`` (portfolio margin): the position's loss at its class group's worst regulatory valuation
  point, plus a share of what its group adds beyond that loss (the per-contract minimum top-up, and
  for a product group its share of the offset credit: a product group's requirement is split over
  its class groups in proportion to their own requirements) in proportion to the position's
  per-contract minimum, or, in a group without one, to its largest P&L over the valuation
  points. Bonds, margined outside portfolio margin, carry their own line's requirement; cash
  carries nothing.

PM and the risk view do not recompute the book once per position: the P&L is priced once (the PM
risk arrays, the risk view's scenario matrix) and each "without" figure is a vectorised update of
the one group (or scenario total) the position is in; but for a leveraged ETF row whose removal
narrows its class group's scan range (its |leverage| above 1 and above every other row's of the
group), whose "without" figure is the engine's on the book without it.

Reg T's total is a sum over class groups: the book is paired once, and a position's "without" figure
is exact in one of two ways. When every strategy group holding the row holds that row alone, it is
the total less those groups (any pairing of the book without the row, plus the row on its own, is a
pairing of the book, and the book's pairing less those groups is one of the rest: both bounds meet).
Otherwise the row's class group alone is paired again without it (``regt_margin`` on those rows; the
other class groups are untouched and the class group's own figure comes from the engine's pairing
cache). Each such re-pairing is an integer program, one per paired position. Where the book's
pairing warns of nothing, the re-pairings are made as the accounts of one book (``regt_margins``:
the copies' programs stacked into a few solves, each pairing its own), three times faster on an
account of a few hundred positions; a class of a thousand paired legs still costs seconds to
minutes, as each of its programs is solved alone. Both arguments hold for the optimal pairing; on a
class so large that Reg T searches spreads among each leg's nearest strikes only, its warning is
carried into the result (one line for the pairings without each position), as the figures are then
the engine's best pairing, not a proven optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray
from xlmargin.account import SEGMENTS, SegmentLine, account_margin, futures_in_usd, securities_in_usd
from xlmargin.decisions._common import DecisionSettings, check_regime, notional, regime_warnings
from xlmargin.decisions._linear import unit_span_pnl
from xlmargin.decisions.names import CONTRIBUTION_REGIMES
from xlmargin.errors import InputError, Problem, UnsupportedError, XlMarginError
from xlmargin.money import cents, cents_of
from xlmargin.pm import pm_requirement
from xlmargin.pm.result import REGULATORY
from xlmargin.pm.risk import RiskArrays, range_scale, risk_arrays
from xlmargin.positions import Portfolio
from xlmargin.regt import regt_margin
from xlmargin.rules import RuleSet
from xlmargin.span import SpanResult, SpanSettings, futures_margin
from xlmargin.stress import scenario_pnl_matrix

REGIMES = CONTRIBUTION_REGIMES


@dataclass(frozen=True)
class ContributionResult:
    regime: str
    total: float
    rows: tuple[int, ...]
    symbols: tuple[str, ...]
    incremental: tuple[float, ...]
    component: tuple[float, ...]  # rounded to cents, adding up to cents(total)
    warnings: tuple[str, ...] = ()  # the engines' (Reg T: a pairing stopped by its time limit)

    def table(self) -> list[list[Any]]:
        """One row per position, largest component first, then the total."""
        out: list[list[Any]] = [["row", "symbol", "incremental", "component", "share of total"]]
        order = sorted(range(len(self.rows)), key=lambda i: (-self.component[i], self.rows[i]))
        for i in order:
            share = self.component[i] / self.total if self.total else 0.0
            out.append(
                [
                    self.rows[i],
                    self.symbols[i],
                    self.incremental[i],
                    self.component[i],
                    round(share, 6),
                ]
            )
        out.append(["total", self.regime, "", cents(self.total), 1.0 if self.total else 0.0])
        out += [["warning", text, "", "", ""] for text in self.warnings]
        return out


def margin_contribution(
    portfolio: Portfolio, settings: DecisionSettings, regime: str = "pm"
) -> ContributionResult:
    """Incremental and component requirement of every position (module docstring)."""
    check_regime(regime, REGIMES)
    notes: list[str] = []
    if regime == "risk":
        total, without, component = _risk(portfolio, settings)
    elif regime == "account":
        total, without, component = _account(portfolio, settings, notes)
    elif regime in ("regt", "regt_maintenance"):
        basis = "maintenance" if regime == "regt_maintenance" else settings.account.basis
        total, without, component = _regt(portfolio, basis, notes, settings)
    else:
        total, without, component = _pm(portfolio, settings)
    if not regime.startswith("regt") and len(portfolio):
        # the engine's own warnings (portfolio margin's eligibility and unconfirmed offsets, the account
        # view's segments', the risk view's): Reg T's pairing notes are collected as the pairings run
        notes[:0] = regime_warnings(regime, portfolio, settings)
    a = portfolio.arrays
    return ContributionResult(
        regime=regime,
        total=total,
        rows=tuple(int(r) for r in a["row"]),
        symbols=tuple(str(s) for s in a["symbol"]),
        incremental=tuple(cents_of(cents(total) - np.asarray(cents_of(without)))),  # of the cent figures
        component=tuple(_apportion(component, total)),
        warnings=tuple(dict.fromkeys(notes)),
    )


def _apportion(component: FloatArray, total: float) -> list[float]:
    """Components in cents adding up to ``cents(total)``: the residual goes to the largest one."""
    rounded = np.round(component, 2)
    if len(rounded):
        rounded[int(np.argmax(np.abs(component)))] += round(cents(total) - float(rounded.sum()), 2)
    return cents_of(rounded)


def _risk(portfolio: Portfolio, settings: DecisionSettings) -> tuple[float, FloatArray, FloatArray]:
    _, pnl = scenario_pnl_matrix(portfolio, settings.stress)
    totals = pnl.sum(axis=0)
    j = int(np.argmin(totals))
    total = max(0.0, -float(totals[j]))
    without = np.maximum(0.0, -(totals[None, :] - pnl).min(axis=1))
    component = -pnl[:, j] if total > 0 else np.zeros(len(portfolio))
    return total, without, component


def _account(
    portfolio: Portfolio, settings: DecisionSettings, notes: list[str]
) -> tuple[float, FloatArray, FloatArray]:
    account = settings.account
    result = account_margin(portfolio, account)
    total = result.total
    without = np.full(len(portfolio), total)
    component = np.zeros(len(portfolio))
    for line in result.lines:
        if not line.rows:
            continue
        inside = np.isin(portfolio.arrays["type"], SEGMENTS[line.segment])
        book = portfolio.select(inside)
        if line.segment == "fx/cfd":
            _, segment_without, segment_component = _retail(book, line)
        elif line.segment == "futures":
            dollars = futures_in_usd(book, account)  # as the account view reads their rates
            _, segment_without, segment_component = _futures(dollars, line.detail, account.span)
        elif account.securities == "pm":  # the engines' dollars, converted as the account view converts
            _, segment_without, segment_component = _pm(securities_in_usd(book, account), settings)
        else:
            dollars = securities_in_usd(book, account)
            _, segment_without, segment_component = _regt(dollars, account.basis, notes, settings)
        # the segment's own currency to the account's; the other segments are unchanged
        without[inside] = total - line.requirement + line.fx_rate * segment_without
        component[inside] = line.fx_rate * segment_component
    return total, without, component


def _retail(book: Portfolio, line: SegmentLine) -> tuple[float, FloatArray, FloatArray]:
    """FX / CFDs: the segment's requirement is a sum of per-position margins (scaled by the
    close-out fraction on maintenance), so each position's is its own."""
    detail = line.detail
    scale = line.requirement / detail.total if detail.total else 0.0
    index = {int(r): i for i, r in enumerate(book.arrays["row"])}
    own = np.zeros(len(book))
    for retail in detail.lines:
        own[index[retail.row]] += retail.margin * scale
    return line.requirement, line.requirement - own, own


def _futures(
    book: Portfolio, span: SpanResult, settings: SpanSettings
) -> tuple[float, FloatArray, FloatArray]:
    """SPAN: per combined commodity, each row's loss at the worst scenario plus its share of the rest."""
    a = book.arrays
    n = len(book)
    index = {int(r): i for i, r in enumerate(a["row"])}
    initial = span.basis == "initial"
    component = np.zeros(n)
    pnl_all = a["quantity"][:, None] * unit_span_pnl(book, settings)
    for line in span.lines:
        rows = np.array([index[r] for r in line.rows], dtype=np.int64)
        pnl = pnl_all[rows]
        own = -pnl[:, line.worst_scenario - 1] if line.scanning_risk > 0 else np.zeros(len(rows))
        size = np.abs(pnl).max(axis=1)
        share = size / size.sum() if size.sum() > 0 else np.full(len(rows), 1.0 / len(rows))
        requirement = line.initial if initial else line.maintenance
        component[rows] = own + (requirement - own.sum()) * share
    without = np.array(
        [
            futures_margin(book.select(np.arange(n) != i), settings).requirement if n > 1 else 0.0
            for i in range(n)
        ]
    )
    return span.requirement, without, component


def _regt(
    portfolio: Portfolio, basis: str, notes: list[str], settings: DecisionSettings
) -> tuple[float, FloatArray, FloatArray]:
    """``notes`` collects the warnings of every pairing (one stopped by its time limit says so).

    Each paired position's incremental figure re-pairs its class group without it: a book with
    thousands of paired legs in large classes needs minutes. The work stops with a one-line error
    once it has run ``time_limit`` seconds, rather than hold the spreadsheet. Every pairing is under
    the settings' Reg T rules (``house.bonds``)."""
    rules, time_limit = settings.account.regt_rules, settings.time_limit
    result = regt_margin(portfolio, basis=basis, rules=rules)
    notes += result.warnings
    a = portfolio.arrays
    n = len(portfolio)
    index = {int(r): i for i, r in enumerate(a["row"])}
    value = notional(portfolio)  # per unit of the legs' quantities, in the rows' own units
    component = np.zeros(n)
    alone = np.ones(n, dtype=bool)  # every group holding the row holds it alone
    own = np.zeros(n)  # the requirement of the groups that hold the row alone
    for group in result.groups:
        rows = np.array([index[leg.row] for leg in group.legs], dtype=np.int64)
        worth = np.abs([leg.quantity for leg in group.legs]) * value[rows]
        weight = worth / worth.sum() if worth.sum() > 0 else np.full(len(rows), 1.0 / len(rows))
        np.add.at(component, rows, group.gross * weight)
        if len(set(rows.tolist())) == 1:
            own[rows[0]] += group.gross
        else:
            alone[rows] = False
    total = result.total
    without = total - own
    paired = np.isin(a["type"], ("bond", "cash"), invert=True)
    classes = a["class_group"]
    # each class's own pairing in the book, read from the engine's cache before the re-pairings
    # below fill it
    class_total = {
        name: regt_margin(portfolio.select(paired & (classes == name)), basis=basis, rules=rules).total
        for name in dict.fromkeys(classes[~alone].tolist())
    }
    warned: list[tuple[int, str]] = []
    deadline = time.monotonic() + time_limit
    repairs = np.flatnonzero(~alone)
    if not result.warnings:  # then no re-pairing warns either, but for a limit: they can be stacked
        stacked = _stacked_repairs(portfolio, repairs, paired, basis, rules, deadline, time_limit)
        if stacked is not None:
            for k, rest_total in zip(repairs.tolist(), stacked, strict=True):
                without[k] = total - class_total[classes[k]] + rest_total
            return total, without, component
    for done, i in enumerate(repairs):
        if time.monotonic() > deadline:
            raise _too_slow(done, len(repairs), time_limit)
        same = paired & (classes == classes[i])
        same[i] = False
        rest = regt_margin(portfolio.select(same), basis=basis, rules=rules) if same.any() else None
        if rest is not None and rest.warnings:
            warned.append((int(a["row"][i]), rest.warnings[0]))
        without[i] = total - class_total[classes[i]] + (rest.total if rest is not None else 0.0)
    if warned:  # one line, not one per position
        listed = ", ".join(str(row) for row, _ in warned[:5]) + (", ..." if len(warned) > 5 else "")
        notes.append(f"the pairing without row(s) {listed} ({len(warned)} in all) warned: {warned[0][1]}")
    return total, without, component


_STACKED_ROWS = 20_000  # rows of the copies paired in one call (its programs stacked in a few solves)


def _too_slow(done: int, todo: int, time_limit: float) -> InputError:
    return InputError(
        Problem(
            f"Reg T contributions re-pair a class group once per paired position: {done} of {todo} "
            f"done in the time_limit of {time_limit:g} s; use the pm regime, select a sleeve, or raise "
            "time_limit",
            None,
            "regime",
        )
    )


def _stacked_repairs(
    portfolio: Portfolio,
    repairs: np.ndarray,
    paired: np.ndarray,
    basis: str,
    rules: RuleSet,
    deadline: float,
    time_limit: float,
) -> list[float] | None:
    """Each re-pairing of :func:`_regt` (the row's class group without the row) for every row of
    ``repairs`` (on ``basis``, under ``rules``), as the accounts of one book
    (:func:`xlmargin.regt.regt_margins`): a copy of each class group less its row, the copies' rows
    numbered apart in their own order, so that each is paired as it would be alone. In calls of at
    most ``_STACKED_ROWS`` rows, each after checking ``deadline`` (past it, the one-line error of
    :func:`_regt`); None when a solve reaches its time limit or the engine refuses a copy (the caller
    pairs them one by one, for the warnings and for errors that name the book's own rows)."""
    from xlmargin.regt import regt_margins

    a = portfolio.arrays
    classes = a["class_group"]
    variants = []
    for i in repairs.tolist():
        same = np.flatnonzero(paired & (classes == classes[i]))
        variants.append(same[same != i])
    totals: list[float] = []
    start = 0
    while start < len(variants):
        if time.monotonic() > deadline:
            raise _too_slow(start, len(variants), time_limit)
        stop, rows = start, 0
        while stop < len(variants) and (stop == start or rows + len(variants[stop]) <= _STACKED_ROWS):
            rows += len(variants[stop])
            stop += 1
        take = np.concatenate(variants[start:stop])
        copies = {name: column[take] for name, column in a.items()}
        copies["row"] = np.arange(2, 2 + len(take), dtype=np.int64)  # numbered apart, in order
        bounds = np.cumsum([0, *(len(v) for v in variants[start:stop])]).tolist()
        try:
            found = regt_margins(Portfolio(copies, portfolio.as_of), bounds, basis=basis, rules=rules)
        except XlMarginError:  # its message would name the copies' rows: one by one, for the real ones
            return None
        if found is None:
            return None
        totals += [r.total for r in found]
        start = stop
    return totals


def _pm(portfolio: Portfolio, settings: DecisionSettings) -> tuple[float, FloatArray, FloatArray]:
    pm_settings = settings.pm
    if pm_settings.house:
        raise UnsupportedError(
            "contributions are of the regulatory portfolio margin; switch the house layers off"
        )
    risk = risk_arrays(portfolio, pm_settings)
    bonds = portfolio.arrays["type"] == "bond"
    outside = pm_requirement(portfolio.select(bonds), pm_settings).outside if bonds.any() else ()
    n = len(portfolio)
    without = np.zeros(n)
    component = np.zeros(n)
    outside_total = float(sum(o.requirement for o in outside))
    covered_total, covered_without, covered_component = _pm_covered(risk)
    total = covered_total + outside_total
    without[:] = total  # rows that are neither covered nor bonds (cash) change nothing
    without[risk.index] = covered_without + outside_total
    component[risk.index] = covered_component
    bond_index = np.flatnonzero(bonds)
    for i, line in zip(bond_index, outside, strict=True):
        without[i] = total - line.requirement
        component[i] = line.requirement
    for k in _narrowing(risk, portfolio):  # the group's scan range changes: the engine without the row
        rest = np.arange(n) != k
        without[k] = pm_requirement(portfolio.select(rest), pm_settings).requirement if rest.any() else 0.0
    return cents(total), without, component


def _narrowing(risk: RiskArrays, portfolio: Portfolio) -> list[int]:
    """The rows (portfolio indices) without which their class group's scan range narrows: a
    leveraged ETF held whose |leverage| is above 1 and above every other held row's of its group
    (:func:`~xlmargin.pm.risk.range_scale`). The vectorised update keeps the group's points, so
    these rows' "without" figures come from the engine."""
    lev = range_scale(portfolio.arrays["leverage"][risk.index], risk.quantity != 0.0)
    out = []
    for k in np.flatnonzero(lev > 1.0).tolist():
        others = risk.group == risk.group[k]
        others[k] = False
        if lev[k] > max(1.0, float(lev[others].max(initial=1.0))):
            out.append(int(risk.index[k]))
    return out


def _pm_covered(risk: RiskArrays) -> tuple[float, FloatArray, FloatArray]:
    """(regulatory total of the covered rows, total without each covered row, each one's component)."""
    pm = risk.rules
    per_group = pm.get("minimum.scope") == "class_group"
    columns = np.array([i for i, p in enumerate(risk.points) if p.layer == REGULATORY])
    q = risk.quantity
    unit = risk.unit_pnl[:, columns]
    n_groups = len(risk.group_ids)
    if not n_groups:
        return 0.0, np.zeros(0), np.zeros(0)
    pnl = np.add.reduceat(q[:, None] * unit, risk.starts, axis=0)
    minimum = risk.group_minimum(q)

    # each row's change of its group's minimum when it is removed
    option = risk.series >= 0
    contracts = np.bincount(risk.series[option], weights=q[option], minlength=len(risk.series_group))

    def series_minimum(n: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.where(n > 0, n * risk.series_long_minimum[s], -n * risk.series_short_minimum[s])

    own_min = np.zeros(len(q))
    s = risk.series[option]
    own_min[option] = series_minimum(contracts[s], s) - series_minimum(contracts[s] - q[option], s)

    # units: standalone class groups (offset 1: P&L counted in full) and product groups
    offset = np.ones(n_groups)
    unit_of = np.arange(n_groups)
    for table in pm["product_groups"]:
        members = [
            g for g, gid in enumerate(risk.group_ids) if gid in {str(m) for m in table["class_groups"]}
        ]
        if members:
            offset[members] = float(risk.settings.offsets.get(str(table["id"]), table["offset"]))
            unit_of[members] = members[0]

    def netted(x: FloatArray, o: FloatArray) -> FloatArray:
        return np.minimum(x, 0.0) + o[..., None] * np.maximum(x, 0.0)

    n_units = n_groups
    unit_net = np.zeros((n_units, len(columns)))
    np.add.at(unit_net, unit_of, netted(pnl, offset))
    unit_loss = np.maximum(0.0, -unit_net.min(axis=1))
    unit_min = np.bincount(unit_of, weights=minimum, minlength=n_units)
    present = np.zeros(n_units, dtype=bool)
    present[unit_of] = True
    unit_req = np.where(present, np.maximum(unit_loss, unit_min) if per_group else unit_loss, 0.0)
    loss_sum, min_sum = float(unit_loss[present].sum()), float(unit_min[present].sum())
    total = float(unit_req.sum()) if per_group else max(loss_sum, min_sum)

    # without each row: only its group's (and unit's) P&L and minimum change
    g = risk.group
    u = unit_of[g]
    moved = pnl[g] - q[:, None] * unit
    net_without = unit_net[u] - netted(pnl[g], offset[g]) + netted(moved, offset[g])
    loss_without = np.maximum(0.0, -net_without.min(axis=1))
    min_without = unit_min[u] - own_min
    if per_group:
        without = total - unit_req[u] + np.maximum(loss_without, min_without)
    else:
        without = np.maximum(loss_sum - unit_loss[u] + loss_without, min_sum - own_min)

    # components: loss at the group's worst point, plus a share of the rest of the group's requirement
    worst = np.argmin(pnl, axis=1)
    own_loss = -q * unit[np.arange(len(q)), worst[g]]
    group_own = (
        np.maximum(np.maximum(0.0, -pnl.min(axis=1)), minimum)
        if per_group
        else np.maximum(0.0, -pnl.min(axis=1))
    )
    unit_own = np.bincount(unit_of, weights=group_own, minlength=n_units)
    if per_group:
        share = np.where(
            unit_own[unit_of] > 0, group_own / np.where(unit_own[unit_of] > 0, unit_own[unit_of], 1.0), 0.0
        )
        group_req = unit_req[unit_of] * share
        # a unit whose groups own nothing yet requires something: split evenly
        members_count = np.bincount(unit_of, minlength=n_units)
        group_req = np.where(unit_own[unit_of] > 0, group_req, unit_req[unit_of] / members_count[unit_of])
    else:
        group_req = _account_scope_groups(total, group_own)
    rest = group_req - np.bincount(g, weights=own_loss, minlength=n_groups)
    own_min_weight = np.abs(own_min)
    group_weight = np.bincount(g, weights=own_min_weight, minlength=n_groups)
    value = np.abs(q) * np.abs(unit).max(axis=1)  # the row's largest P&L over the points
    value_weight = np.bincount(g, weights=value, minlength=n_groups)
    use_min = group_weight[g] > 0
    weight = np.where(use_min, own_min_weight / np.where(use_min, group_weight[g], 1.0), 0.0)
    by_value = ~use_min & (value_weight[g] > 0)
    weight = np.where(by_value, value / np.where(by_value, value_weight[g], 1.0), weight)
    counts = np.bincount(g, minlength=n_groups)
    weight = np.where(~use_min & ~by_value, 1.0 / counts[g], weight)
    component = own_loss + rest[g] * weight
    return total, without, component


def _account_scope_groups(total: float, group_own: FloatArray) -> FloatArray:
    """Per account minimum scope: the total split over class groups in proportion to their losses."""
    own = float(group_own.sum())
    if own > 0:
        return total * group_own / own
    return np.full(len(group_own), total / max(len(group_own), 1))
