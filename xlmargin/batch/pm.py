"""Portfolio margin for many accounts at once: one pricing of the union, then group sums.

:func:`xlmargin.pm.risk.risk_arrays` on the union of the accounts' books prices every distinct
contract once (its series key holds the contract's terms, never the account). What is left per
account is linear in the quantities, so :func:`account_figures` runs the account step of
:mod:`xlmargin.pm.aggregate` for every account of a partition at once, with numpy: (account,
class group) pairs are summed with one ``reduceat``, product groups and house layers by account
with ``bincount``. :class:`SharedRisk` holds only numpy arrays and plain numbers, so a Dask worker
receives it by pickle.

Accounts the union would treat differently from their own book go through ``pm_requirement``
one by one instead (see :func:`irregular_accounts`): a class group whose rows disagree on the
asset class, a class group whose leverage-scaled range differs from the union's, and books that
hold anything but stock, ETF, option, cash and bond lines (refused types are an error). Bonds are
margined outside PM, as the engine margins them: every account's bonds in one Reg T call
(:func:`_outside_totals`), each account's total added to its figures and named in its warnings.
So the batch equals the one-account-at-a-time result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.batch.accounts import RETRIES, Accounts
from xlmargin.errors import XlMarginError
from xlmargin.money import cents
from xlmargin.pm.aggregate import eligibility_warning, house_warning, offset_warning, outside_warning
from xlmargin.pm.result import REGULATORY
from xlmargin.pm.risk import (
    COVERED,
    IGNORED,
    OUTSIDE,
    RiskArrays,
    leverage_note,
    pm_rules,
    range_scale,
    risk_arrays,
)
from xlmargin.pm.settings import HOUSE_LAYERS, PMSettings, pm_settings
from xlmargin.positions import Portfolio

FIGURES = ("requirement", "regulatory", "initial", "minimum")
PARTITION = 2000  # accounts per account-step call: the unit of progress and of Dask tasks


@dataclass(frozen=True)
class SharedRisk:
    """The risk arrays of the union, reduced to what the account step needs (arrays and numbers)."""

    unit_pnl: FloatArray  # covered rows × points
    unit_concentration: FloatArray  # covered rows × 4 (× 0 when that layer is off)
    group: IntArray  # per covered row
    series: IntArray  # per covered row, -1 for stock and ETF lines
    series_long_minimum: FloatArray
    series_short_minimum: FloatArray
    series_group: IntArray
    regulatory: IntArray  # the regulatory columns of the points
    product: IntArray  # per class group: its product group (index into ``offsets``), -1 when standalone
    offsets: FloatArray  # per product group
    per_group: bool  # the per-contract minimum applies per class group (else per account)
    house: bool  # any house layer on
    concentration_count: int  # class groups taking the large move; -1 when that layer is off
    initial_multiple: float
    n_groups: int


def shared_risk(risk: RiskArrays) -> SharedRisk:
    """The account-step inputs of ``risk`` (offsets as the settings override them)."""
    pm, settings = risk.rules, risk.settings
    tables = list(pm["product_groups"])
    product_of = {str(member): p for p, table in enumerate(tables) for member in table["class_groups"]}
    layers = settings.house_layers
    return SharedRisk(
        unit_pnl=risk.unit_pnl,
        unit_concentration=risk.unit_concentration,
        group=risk.group,
        series=risk.series,
        series_long_minimum=risk.series_long_minimum,
        series_short_minimum=risk.series_short_minimum,
        series_group=risk.series_group,
        regulatory=np.array([i for i, p in enumerate(risk.points) if p.layer == REGULATORY], dtype=np.int64),
        product=np.array([product_of.get(g, -1) for g in risk.group_ids], dtype=np.int64),
        offsets=np.array([float(settings.offsets.get(str(t["id"]), t["offset"])) for t in tables]),
        per_group=pm.get("minimum.scope") == "class_group",
        house=settings.house,
        concentration_count=int(pm.get("house.concentration.count")) if "concentration" in layers else -1,
        initial_multiple=float(pm.get("house.initial.multiple")) if "initial" in layers else 1.0,
        n_groups=len(risk.group_ids),
    )


def account_figures(
    shared: SharedRisk, rows: IntArray, account: IntArray, quantity: FloatArray, n_accounts: int
) -> dict[str, FloatArray]:
    """Each account's requirement, regulatory, initial and minimum figures (not yet rounded).

    ``rows`` index the covered rows of the union (increasing within each account), ``account``
    gives each one's account (0 … ``n_accounts`` − 1) and ``quantity`` its quantity. The steps
    are those of :func:`xlmargin.pm.aggregate.account_result`, for every account at once.
    """
    G = shared.n_groups
    key = account * G + shared.group[rows]
    order = np.argsort(key, kind="stable")
    key = key[order]
    rows, quantity = rows[order], quantity[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    pair_key = key[starts]
    pair_account, pair_group = pair_key // G, pair_key % G
    n_points = shared.unit_pnl.shape[1]
    if len(rows):
        pnl = np.add.reduceat(quantity[:, None] * shared.unit_pnl[rows], starts, axis=0)
    else:
        pnl = np.zeros((0, n_points))
    minimum = _pair_minimum(shared, rows, account[order], quantity, pair_key)

    def by_account(values: FloatArray, mask: BoolArray | None = None) -> FloatArray:
        owners, weights = (pair_account, values) if mask is None else (pair_account[mask], values[mask])
        return np.bincount(owners, weights=weights, minlength=n_accounts).astype(np.float64, copy=False)

    worst = _loss(pnl, shared.regulatory)
    house_worst = _loss(pnl, slice(None))
    group_req = np.maximum(worst, minimum) if shared.per_group else worst
    group_house = np.maximum(house_worst, minimum) if shared.per_group else house_worst
    product = shared.product[pair_group]
    standalone = product < 0
    scenario_total = by_account(worst, standalone)
    house_total = by_account(house_worst, standalone)
    regulatory = by_account(group_req, standalone)
    house_pm = by_account(group_house, standalone)
    for p, offset in enumerate(shared.offsets.tolist()):
        members = np.flatnonzero(product == p)
        if not len(members):
            continue
        x = pnl[members]
        owners = pair_account[members]
        first = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        netted = np.add.reduceat(np.minimum(x, 0.0), first, axis=0) + offset * np.add.reduceat(
            np.maximum(x, 0.0), first, axis=0
        )
        p_worst = _loss(netted, shared.regulatory)
        p_house = _loss(netted, slice(None))
        p_min = np.add.reduceat(minimum[members], first)
        held = owners[first]
        scenario_total[held] += p_worst
        house_total[held] += p_house
        regulatory[held] += np.maximum(p_worst, p_min) if shared.per_group else p_worst
        house_pm[held] += np.maximum(p_house, p_min) if shared.per_group else p_house
    total_minimum = by_account(minimum)
    if not shared.per_group:
        regulatory = np.maximum(scenario_total, total_minimum)
        house_pm = np.maximum(house_total, total_minimum)

    requirement = initial = regulatory
    if shared.house:
        portfolio = np.maximum(
            house_pm, _concentration(shared, rows, quantity, starts, pair_account, n_accounts)
        )
        requirement, initial = portfolio, portfolio * shared.initial_multiple
    return {
        "requirement": requirement,
        "regulatory": regulatory,
        "initial": initial,
        "minimum": total_minimum,
    }


def pm_warnings(
    risk: RiskArrays,
    account: IntArray,
    n_accounts: int,
    requirement: FloatArray,
    regulatory: FloatArray,
    equity: FloatArray | None = None,
    outside: Sequence[tuple[int, float]] | None = None,
) -> list[tuple[str, ...]]:
    """Each account's warnings, as :func:`xlmargin.pm.pm_requirement` gives them for its book alone,
    from the union's ``risk`` (``account``: each covered row's account) and the accounts' figures.
    ``equity``: each account's own equity in dollars (NaN: none), the settings' one when not given.

    In the engine's order: its class groups' (a leveraged range, in the order of their ids), its
    product groups' unconfirmed offsets (in the rule file's order), the house layers', the
    eligibility's. A regular account's class groups are scanned as in the union
    (:func:`irregular_accounts`), so each group's warning is the union's."""
    pm, settings = risk.rules, risk.settings
    n_groups = len(risk.group_ids)
    order = np.argsort(account * n_groups + risk.group, kind="stable")  # (np.unique hashes: slower)
    key = (account * n_groups + risk.group)[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    pairs = key[first]  # (account, class group) held
    pair_account, pair_group = pairs // n_groups, pairs % n_groups
    found: list[list[str]] = [[] for _ in range(n_accounts)]
    noted = np.array([bool(note) for note in risk.group_notes], dtype=bool)[pair_group]
    ends = np.r_[first[1:], len(key)]
    for k in np.flatnonzero(noted).tolist():  # a leveraged range: named by the account's own rows
        held = order[first[k] : ends[k]]
        factor = risk.range_factor[held]
        scale = float(factor.max())
        setting = risk.rows[held[factor == scale]].tolist()
        found[int(pair_account[k])].append(leverage_note(risk.group_ids[pair_group[k]], scale, setting, pm))
    tables = list(pm["product_groups"])
    product_of = {str(member): p for p, table in enumerate(tables) for member in table["class_groups"]}
    product = np.array([product_of.get(g, -1) for g in risk.group_ids], dtype=np.int64)[pair_group]
    for p, table in enumerate(tables):
        pid = str(table["id"])
        if pid in settings.offsets or table["confidence"] != "L":
            continue
        text = offset_warning(pid, float(table["offset"]))
        for a in np.flatnonzero(np.bincount(pair_account[product == p], minlength=n_accounts) > 1).tolist():
            found[a].append(text)
    for a, (count, total) in enumerate(outside or ()):  # bonds, margined outside portfolio margin
        if count:
            found[a].append(outside_warning(count, total))
    if settings.house:
        layers = tuple(layer for layer in HOUSE_LAYERS if layer in settings.house_layers)
        for a, (req, reg) in enumerate(zip(requirement.tolist(), regulatory.tolist(), strict=True)):
            found[a].append(house_warning(layers, req, reg))
    minimum_equity = float(pm.get("account.minimum_equity"))
    if equity is not None:
        for a in np.flatnonzero(equity < minimum_equity).tolist():  # (NaN: none given, never below)
            found[a].append(eligibility_warning(float(equity[a]), minimum_equity))
    elif settings.equity is not None and settings.equity < minimum_equity:
        text = eligibility_warning(settings.equity, minimum_equity)
        for own in found:
            own.append(text)
    return [tuple(own) for own in found]


def _loss(pnl: FloatArray, columns: slice | IntArray) -> FloatArray:
    """max(0, −min P&L) over the chosen columns, per row."""
    if not len(pnl):
        return np.zeros(0)
    return np.maximum(0.0, -pnl[:, columns].min(axis=1))


def _pair_minimum(
    shared: SharedRisk, rows: IntArray, account: IntArray, quantity: FloatArray, pair_key: IntArray
) -> FloatArray:
    """Per (account, class group) pair: the per-contract minimum, netted per account and series."""
    series = shared.series[rows]
    option = series >= 0
    n_series = len(shared.series_group)
    if not option.any():
        return np.zeros(len(pair_key))
    key = account[option] * n_series + series[option]
    held, inverse = np.unique(key, return_inverse=True)
    contracts = np.bincount(inverse, weights=quantity[option], minlength=len(held))
    s = held % n_series
    per = np.where(
        contracts > 0, contracts * shared.series_long_minimum[s], -contracts * shared.series_short_minimum[s]
    )
    pair = np.searchsorted(pair_key, (held // n_series) * shared.n_groups + shared.series_group[s])
    return np.bincount(pair, weights=per, minlength=len(pair_key)).astype(np.float64)


def _concentration(
    shared: SharedRisk,
    rows: IntArray,
    quantity: FloatArray,
    starts: IntArray,
    pair_account: IntArray,
    n_accounts: int,
) -> FloatArray:
    """The concentration scan per account (0 when that layer is off); see ``aggregate._house``."""
    if shared.concentration_count < 0 or not len(rows):
        return np.zeros(n_accounts)
    pnl = np.add.reduceat(quantity[:, None] * shared.unit_concentration[rows], starts, axis=0)
    large_loss = np.maximum(0.0, -pnl[:, :2].min(axis=1))
    order = np.lexsort((-large_loss, pair_account))  # by account, then largest loss first (stable)
    owners = pair_account[order]
    rank = np.arange(len(order)) - np.searchsorted(owners, owners)
    top = np.zeros(len(order), dtype=bool)
    top[order] = (rank < shared.concentration_count) & (large_loss[order] > 0)
    taken = np.where(top[:, None], pnl[:, :2], pnl[:, 2:])
    up = np.bincount(pair_account, weights=taken[:, 0], minlength=n_accounts)
    down = np.bincount(pair_account, weights=taken[:, 1], minlength=n_accounts)
    return np.maximum(0.0, -np.minimum(up, down))


def irregular_accounts(
    portfolio: Portfolio, account: IntArray, n_accounts: int, settings: PMSettings, bonds: bool = False
) -> BoolArray:
    """Accounts whose book the union would not treat as it treats it alone (see the module docstring);
    with ``bonds``, a bond line leaves its account regular (:func:`pm_batch` margins the bonds of
    every account at once, outside portfolio margin as the engine does).

    Rows are grouped by the reader's codes of the type, class-group and asset-class columns
    (:meth:`Portfolio.codes`, as the engine groups them), not by comparing text per row."""
    a = portfolio.arrays
    irregular = np.zeros(n_accounts, dtype=bool)
    irregular[account[~_of_types(portfolio, (*COVERED, *IGNORED, *(OUTSIDE if bonds else ())))]] = True
    covered = np.flatnonzero(_of_types(portfolio, COVERED))
    if not len(covered):
        return irregular
    group_codes, group_ids = portfolio.codes("class_group")
    class_codes, class_ids = portfolio.codes("asset_class")
    group, cls = group_codes[covered], class_codes[covered]
    n_groups, n_classes = len(group_ids), len(class_ids)
    pairs = np.unique(group * n_classes + cls)
    mixed = np.bincount(pairs // n_classes, minlength=n_groups) > 1
    irregular[account[covered[mixed[group]]]] = True
    if pm_rules(None, settings).get("leveraged_etf.scale_range_by_leverage"):
        lev = range_scale(a["leverage"][covered], a["quantity"][covered] != 0.0)
        union = np.ones(n_groups)
        np.maximum.at(union, group, lev)
        key = account[covered] * n_groups + group
        held, inverse = np.unique(key, return_inverse=True)
        own = np.ones(len(held))
        np.maximum.at(own, inverse, lev)
        irregular[(held // n_groups)[own != union[held % n_groups]]] = True
    return irregular


def _of_types(portfolio: Portfolio, kinds: tuple[str, ...]) -> BoolArray:
    """Per row: its type is one of ``kinds`` (one test per distinct type)."""
    codes, types = portfolio.codes("type")
    return np.array([t in kinds for t in types], dtype=bool)[codes]


def pm_batch(
    values: Mapping[str, Any],
    accounts: Accounts,
    todo: list[int],
    client: Any,
    show: bool,
    figures: dict[int, dict[str, Any]],
) -> list[int]:
    """Fill ``figures`` for the accounts of ``todo`` the union can stand for; returns the others.

    A union pricing that fails on named rows (a price no volatility reproduces, a move of −100%)
    sends those rows' accounts one by one, where they get their own error, and prices again.
    """
    settings = pm_settings(values, values["as_of"])
    regular = np.zeros(len(accounts.names), dtype=bool)
    regular[todo] = True
    regular &= ~irregular_accounts(
        accounts.portfolio, accounts.account, len(accounts.names), settings, bonds=True
    )
    bonds = _outside_totals(accounts, regular, settings, values["as_of"])
    union = _union_risk(accounts, regular, settings)
    if union is None or not regular.any():
        return todo
    risk, keep = union
    codes = np.flatnonzero(regular)
    local = np.searchsorted(codes, accounts.account[keep][risk.index])  # each covered row's account
    outside = [bonds.get(code, (0, 0.0)) for code in codes.tolist()]
    added = np.array([total for _, total in outside])
    _collect(_submit(risk, local, len(codes), client), codes, client, show, figures, added)
    own = [figures[code] for code in codes.tolist()]
    found = pm_warnings(
        risk,
        local,
        len(codes),
        np.array([f["requirement"] for f in own]),
        np.array([f["regulatory"] for f in own]),
        None if accounts.equity is None else accounts.equity[codes],
        outside,
    )  # here, from the union's arrays: the same with or without Dask
    for f, warnings in zip(own, found, strict=True):
        f["warnings"] = warnings
    return [int(i) for i in todo if not regular[i]]


def _outside_totals(
    accounts: Accounts, regular: BoolArray, settings: PMSettings, as_of: Any
) -> dict[int, tuple[int, float]]:
    """Per regular account holding bonds: the number of its bond lines margined outside portfolio
    margin and their total, from one Reg T call on every such account's bonds
    (:func:`xlmargin.regt.regt_margins`, maintenance basis, the house bond table and terms of
    ``settings``), as :func:`xlmargin.pm.pm_requirement` margins them for the account alone. An
    account whose bond rows the call refuses is taken out of ``regular`` (margined alone, for its
    own error) and the rest called again; after ``RETRIES`` refusals, a refusal naming no row or a
    solve cut short, every bond holder is taken out."""
    from xlmargin.house_bonds import regt_rules
    from xlmargin.regt import regt_margins

    bond = _of_types(accounts.portfolio, OUTSIDE)
    if not bond.any():
        return {}
    rules = regt_rules(settings.house_bonds, settings.bond_terms)
    rows = accounts.portfolio.arrays["row"]
    for _ in range(RETRIES):
        holders = np.unique(accounts.account[bond & regular[accounts.account]]).tolist()
        if not holders:
            return {}
        part = accounts.part(holders)
        book = part.portfolio(as_of)
        held = _of_types(book, OUTSIDE)
        owner = np.repeat(np.arange(len(holders)), np.diff(part.bounds))[held]
        bounds = np.searchsorted(owner, np.arange(len(holders) + 1)).tolist()
        try:
            results = regt_margins(book.select(held), bounds, basis="maintenance", rules=rules)
        except XlMarginError as exc:
            named = [p.row for p in exc.problems if p.row is not None]
            if not named:
                break
            regular[accounts.account[np.searchsorted(rows, named)]] = False
            continue
        if results is None:
            break
        # summed in the engine's order (its ``outside`` lines, one per group)
        return {
            code: (len(r.groups), sum(g.gross for g in r.groups))
            for code, r in zip(holders, results, strict=True)
        }
    regular[accounts.account[bond]] = False
    return {}


def _union_risk(
    accounts: Accounts, regular: BoolArray, settings: PMSettings
) -> tuple[RiskArrays, BoolArray] | None:
    """The risk arrays of the regular accounts' rows, and which rows those are; None when no account
    is left. An account whose rows the pricing names is taken out of ``regular`` and the union
    priced again (up to ``RETRIES`` times, then every account is)."""
    a = accounts.portfolio.arrays
    for _ in range(RETRIES):
        keep = regular[accounts.account]
        if not keep.any():
            return None
        try:
            risk = risk_arrays(accounts.portfolio.select(keep), settings)  # the reader's codes kept
            return risk, keep
        except XlMarginError as exc:
            named = [p.row for p in exc.problems if p.row is not None]
            regular[accounts.account[np.searchsorted(a["row"], named)] if named else slice(None)] = False
    regular[:] = False
    return None


def _submit(risk: RiskArrays, local: IntArray, n_accounts: int, client: Any) -> list[tuple[int, Any]]:
    """The accounts' parts of ``PARTITION`` accounts each, as (first account, task): a dask future
    when ``client`` is given, else the arguments of :func:`account_figures`."""
    order = np.argsort(local, kind="stable")
    local = local[order]
    shared: Any = shared_risk(risk)
    if client is not None:
        shared = client.scatter(shared, broadcast=True)
    tasks = []
    for lo in range(0, n_accounts, PARTITION):
        hi = min(lo + PARTITION, n_accounts)
        start, stop = np.searchsorted(local, [lo, hi])
        rows = order[start:stop]
        args = (shared, rows, local[start:stop] - lo, risk.quantity[rows], hi - lo)
        tasks.append((lo, client.submit(account_figures, *args, pure=False) if client else args))
    return tasks


def _collect(
    tasks: list[tuple[int, Any]],
    codes: IntArray,
    client: Any,
    show: bool,
    figures: dict[int, dict[str, Any]],
    outside: FloatArray,
) -> None:
    """Each part's figures, to the cent, into ``figures`` by account code: each account's bonds'
    total ``outside`` added to its requirement, regulatory and initial figures first, as the
    engine adds it (:func:`xlmargin.pm.aggregate.account_result`)."""
    from xlmargin.batch.accounts import bar

    for lo, task in bar(tasks, len(tasks), show):
        part = task.result() if client is not None else account_figures(*task)
        added = outside[lo : lo + len(part["minimum"])]
        columns = [
            [cents(v) for v in (part[c] + (0.0 if c == "minimum" else added)).tolist()] for c in FIGURES
        ]
        for i, row in enumerate(zip(*columns, strict=True)):
            figures[int(codes[lo + i])] = dict(zip(FIGURES, row, strict=True))


__all__ = [
    "FIGURES",
    "SharedRisk",
    "account_figures",
    "irregular_accounts",
    "pm_batch",
    "pm_warnings",
    "shared_risk",
]
