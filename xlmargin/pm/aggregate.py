"""The account step of portfolio margin: class-group P&L vectors in, the :class:`PMResult` out.

Steps 4 to 7 of the rule stated in :mod:`xlmargin.pm.engine` (class requirement, per-contract
minimum, product-group offsets, outside lines) and the house layers, on a :class:`GroupScan`
that :func:`xlmargin.pm.risk.requirement` sums from the risk arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray, IntArray
from xlmargin.pm.result import (
    REGULATORY,
    ClassGroupResult,
    HouseResult,
    OutsideResult,
    PMResult,
    ProductGroupResult,
    ValuationPoint,
    cents,
)
from xlmargin.pm.settings import HOUSE_LAYERS, PMSettings
from xlmargin.rules import RuleSet


@dataclass(frozen=True)
class GroupScan:
    """Per class group (index g): ids, ranges, P&L per point, minimums, concentration-scan P&L."""

    ids: list[str]
    asset_class: list[str]
    up: FloatArray
    down: FloatArray
    rows: list[tuple[int, ...]]
    moves: FloatArray  # G × points
    pnl: FloatArray  # G × points, counted (weighted) P&L
    minimum: FloatArray  # G
    concentration: FloatArray  # G × 4: P&L at +large, −large, +small, −small (empty when off)
    warnings: tuple[str, ...]


def _loss(pnl: FloatArray, columns: slice | IntArray) -> FloatArray:
    """max(0, −min P&L) over the chosen columns, along the last axis."""
    return np.maximum(0.0, -pnl[..., columns].min(axis=-1))


def account_result(
    scan: GroupScan,
    outside: tuple[OutsideResult, ...],
    points: tuple[ValuationPoint, ...],
    pm: RuleSet,
    settings: PMSettings,
) -> PMResult:
    """Class groups, product groups, house layers and the account total."""
    per_group = pm.get("minimum.scope") == "class_group"
    regulatory_columns = np.array([i for i, p in enumerate(points) if p.layer == REGULATORY])
    losses = _GroupLosses.of(scan, regulatory_columns, per_group)
    group_product = _product_ids(scan.ids, pm)
    class_results = _class_results(scan, points, group_product, regulatory_columns, losses)

    standalone = np.array([p == "" for p in group_product], dtype=bool)
    totals = _Totals(
        scenario=float(losses.worst[standalone].sum()),
        house=float(losses.house_worst[standalone].sum()),
        regulatory_pm=float(losses.group_req[standalone].sum()),
        house_pm=float(losses.group_house[standalone].sum()),
    )
    warnings = list(scan.warnings)
    product_results = _product_results(
        scan, points, group_product, regulatory_columns, losses, pm, settings, totals, warnings
    )
    total_minimum = float(scan.minimum.sum())
    if not per_group:
        totals.regulatory_pm = max(totals.scenario, total_minimum)
        totals.house_pm = max(totals.house, total_minimum)

    outside_total = sum(o.requirement for o in outside)
    if outside:
        warnings.append(outside_warning(len(outside), outside_total))
    regulatory = totals.regulatory_pm + outside_total
    house, requirement, initial = _house_totals(
        scan, totals.house_pm, outside_total, regulatory, pm, settings, warnings
    )
    minimum_equity = float(pm.get("account.minimum_equity"))
    eligible = _eligibility(settings.equity, minimum_equity, warnings)
    return PMResult(
        requirement=cents(requirement),
        regulatory=cents(regulatory),
        initial=cents(initial),
        points=points,
        class_groups=tuple(class_results),
        product_groups=tuple(product_results),
        outside=outside,
        minimum_scope=str(pm.get("minimum.scope")),
        minimum=cents(total_minimum),
        minimum_equity=minimum_equity,
        eligible=eligible,
        equity=settings.equity,
        house=house,
        rule_set=pm.id,
        exact=requirement,
        initial_exact=initial,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class _GroupLosses:
    """Per class group: worst regulatory and house losses, and the requirements with the minimum."""

    worst: FloatArray
    house_worst: FloatArray
    group_req: FloatArray
    group_house: FloatArray

    @classmethod
    def of(cls, scan: GroupScan, regulatory_columns: IntArray, per_group: bool) -> _GroupLosses:
        n_groups = len(scan.ids)
        worst = _loss(scan.pnl, regulatory_columns) if n_groups else np.zeros(0)
        house_worst = _loss(scan.pnl, slice(None)) if n_groups else np.zeros(0)
        minimum = scan.minimum
        group_req = np.maximum(worst, minimum) if per_group else worst
        group_house = np.maximum(house_worst, minimum) if per_group else house_worst
        return cls(worst, house_worst, group_req, group_house)


@dataclass
class _Totals:
    """Running account sums, added to in the order the rule adds them (standalone, then products)."""

    scenario: float
    house: float
    regulatory_pm: float
    house_pm: float


def _product_ids(ids: list[str], pm: RuleSet) -> list[str]:
    """The product group id of each class group ("" when it stands alone)."""
    product_of: dict[str, Mapping[str, Any]] = {}
    for table in pm["product_groups"]:
        for member in table["class_groups"]:
            product_of[str(member)] = table
    return [str(product_of[i]["id"]) if i in product_of else "" for i in ids]


def _class_results(
    scan: GroupScan,
    points: tuple[ValuationPoint, ...],
    group_product: list[str],
    regulatory_columns: IntArray,
    losses: _GroupLosses,
) -> list[ClassGroupResult]:
    """One :class:`ClassGroupResult` per class group, built from plain lists (hundreds per call)."""
    n_groups = len(scan.ids)
    worst_column = regulatory_columns[np.argmin(scan.pnl[:, regulatory_columns], axis=1)] if n_groups else []
    columns = zip(
        scan.ids, group_product, scan.asset_class, scan.up.tolist(), scan.down.tolist(), scan.rows,
        scan.moves.tolist(), scan.pnl.tolist(), np.asarray(worst_column).tolist(), losses.worst.tolist(),
        scan.minimum.tolist(), losses.group_req.tolist(), losses.house_worst.tolist(),
        losses.group_house.tolist(), strict=True,
    )  # fmt: skip
    labels = [p.label for p in points]
    return [
        ClassGroupResult(  # positional, in the order of its fields (hundreds per call)
            gid,
            product,
            cls,
            _range_label(up, down),
            rows,
            tuple(moves),
            tuple(pnl),
            labels[w],
            moves[w],
            loss,
            least,
            req,
            h_loss,
            h_req,
        )
        for (gid, product, cls, up, down, rows, moves, pnl, w, loss, least, req, h_loss, h_req) in columns
    ]


def _product_results(
    scan: GroupScan,
    points: tuple[ValuationPoint, ...],
    group_product: list[str],
    regulatory_columns: IntArray,
    losses: _GroupLosses,
    pm: RuleSet,
    settings: PMSettings,
    totals: _Totals,
    warnings: list[str],
) -> list[ProductGroupResult]:
    """Net each product group's class groups with its offset; add to ``totals`` and ``warnings``."""
    per_group = pm.get("minimum.scope") == "class_group"
    results = []
    for table in pm["product_groups"]:
        pid = str(table["id"])
        members = np.array([g for g in range(len(scan.ids)) if group_product[g] == pid], dtype=np.int64)
        if not len(members):
            continue
        offset = float(settings.offsets.get(pid, table["offset"]))
        x = scan.pnl[members]
        netted = np.minimum(x, 0.0).sum(axis=0) + offset * np.maximum(x, 0.0).sum(axis=0)
        p_worst = float(_loss(netted, regulatory_columns))
        p_house = float(_loss(netted, slice(None)))
        p_min = float(scan.minimum[members].sum())
        p_req = max(p_worst, p_min) if per_group else p_worst
        p_house_req = max(p_house, p_min) if per_group else p_house
        w = int(regulatory_columns[np.argmin(netted[regulatory_columns])])
        results.append(
            ProductGroupResult(
                id=pid,
                name=str(table["name"]),
                offset=offset,
                confidence="user" if pid in settings.offsets else str(table["confidence"]),
                class_groups=tuple(scan.ids[g] for g in members),
                pnl=tuple(float(v) for v in netted),
                worst_point=points[w].label,
                worst_loss=p_worst,
                minimum=p_min,
                requirement=p_req,
                offset_credit=float(losses.group_req[members].sum()) - p_req,
                house_requirement=p_house_req,
            )
        )
        totals.scenario += p_worst
        totals.house += p_house
        totals.regulatory_pm += p_req
        totals.house_pm += p_house_req
        if len(members) > 1 and pid not in settings.offsets and table["confidence"] == "L":
            warnings.append(offset_warning(pid, offset))
    return results


def _house_totals(
    scan: GroupScan,
    house_pm: float,
    outside_total: float,
    regulatory: float,
    pm: RuleSet,
    settings: PMSettings,
    warnings: list[str],
) -> tuple[HouseResult | None, float, float]:
    """The house result (None when off), the requirement and the initial requirement."""
    if not settings.house:
        return None, regulatory, regulatory
    house = _house(scan, house_pm, pm, settings)
    requirement = house.portfolio + outside_total
    initial = house.portfolio * house.initial_multiple + outside_total
    warnings.append(house_warning(house.layers, requirement, regulatory))
    return house, requirement, initial


def _eligibility(equity: float | None, minimum_equity: float, warnings: list[str]) -> bool | None:
    """Whether the account's equity meets the portfolio-margin minimum (None when not given)."""
    eligible = None if equity is None else equity >= minimum_equity
    if equity is not None and not eligible:
        warnings.append(eligibility_warning(equity, minimum_equity))
    return eligible


# The warnings' texts, also made by the PM batch for many accounts at once (xlmargin.batch.pm)


def offset_warning(product_group: str, offset: float) -> str:
    """The warning of a product group netting two class groups or more with an unconfirmed offset."""
    return (
        f"product group {product_group} offsets {offset:.0%} of gains: an unconfirmed figure; "
        f"override it with offset.{product_group}"
    )


def outside_warning(count: int, total: float) -> str:
    """The warning of ``count`` bond lines margined outside portfolio margin, ``total`` added."""
    return (
        f"{count} bond position(s) margined outside portfolio margin by their Reg T rule "
        f"(FINRA 4210(e)(2); convertibles like equity): {cents(total):,.2f} added to the total"
    )


def house_warning(layers: Sequence[str], requirement: float, regulatory: float) -> str:
    """The warning of a requirement the house layers ``layers`` set (figures rounded to the cent)."""
    return (
        f"house layers on ({', '.join(layers)}): the requirement {cents(requirement):,.2f} "
        f"is a house figure, not a regulation; the regulatory minimum is {cents(regulatory):,.2f}"
    )


def eligibility_warning(equity: float, minimum_equity: float) -> str:
    """The warning of an account whose equity is below the portfolio-margin minimum."""
    return (
        f"equity {equity:,.2f} is below the FINRA 4210(g) minimum of "
        f"{minimum_equity:,.0f}: the account is not eligible for portfolio margin"
    )


def _house(scan: GroupScan, house_pm: float, pm: RuleSet, settings: PMSettings) -> HouseResult:
    """The house figure: the scan with house points, or the concentration scan when larger.

    Concentration (IBKR, margin-rules §3.1): the ``count`` class groups with the largest loss at
    ± ``move`` take that move, every other class group ± ``other_move``; two scenarios, the whole
    book up and the whole book down, each summing every class group's P&L (no offset haircut);
    the concentration figure is the larger loss of the two.
    """
    layers = settings.house_layers
    concentration = 0.0
    chosen: tuple[str, ...] = ()
    if "concentration" in layers:
        count = int(pm.get("house.concentration.count"))
        pnl = scan.concentration  # +large, −large, +small, −small
        large_loss = np.maximum(0.0, -pnl[:, :2].min(axis=1))
        top = np.argsort(-large_loss, kind="stable")[:count]
        top = top[large_loss[top] > 0]
        taken = pnl[:, 2:].copy()  # up, down
        taken[top] = pnl[top, :2]
        concentration = max(0.0, float(-taken.sum(axis=0).min())) if len(scan.ids) else 0.0
        chosen = tuple(scan.ids[g] for g in top)
    multiple = float(pm.get("house.initial.multiple")) if "initial" in layers else 1.0
    order = tuple(layer for layer in HOUSE_LAYERS if layer in layers)
    return HouseResult(order, house_pm, concentration, chosen, max(house_pm, concentration), multiple)


@lru_cache(maxsize=64)
def _range_label(up: float, down: float) -> str:
    if up == down:
        return f"±{up * 100:.4g}%"
    return f"-{down * 100:.4g}%/+{up * 100:.4g}%"


__all__ = [
    "GroupScan",
    "account_result",
    "eligibility_warning",
    "house_warning",
    "offset_warning",
    "outside_warning",
]
