"""Portfolio margin — FINRA Rule 4210(g), Cboe Rule 10.4, OCC TIMS — as one vectorised scan.

The regulatory minimum (margin-rules.md §2.7), every number read from ``rules/pm.toml``:

1. Class groups. Positions are grouped by ``class_group`` (the underlying, or its index basket:
   SPX, SPXW, XSP and SPY share "SPX"). Every member moves by the group's percentage.
2. Valuation points. The group's asset class picks its range (+6%/−8% high-cap broad indices,
   ±10% other broad indices, ±15% everything else, including bond, gold and currency ETFs);
   ``points_per_side`` equidistant moves up and as many down, no zero point. A leveraged ETF's
   group is scanned at range × |leverage| ([L], ``leveraged_etf``).
3. Revaluation. Stock and ETF lines move linearly: P&L = quantity × multiplier × price × move.
   Options are revalued by the one pricing kernel at the moved underlying with the same implied
   volatility and time to expiry — American for American style, European for European — with
   IV from the ``volatility`` column, or implied from the price. P&L = value at the point −
   value at no move. Each distinct contract is priced once: one kernel call for every
   (contract × point) pair.
4. Class requirement = max(0, −min over the points of the group's summed P&L).
5. Per-contract minimum: $0.375 × multiplier per option contract (netted per series), long or
   short, a long's capped at its market value; per class group (default) the requirement is the
   greater of the scenario loss and the minimum, per account the greater of the summed scenario
   requirements and the summed minimum (``minimum.scope``).
6. Product groups: at each point a class group's loss counts 100%, its gain × the group's
   offset; product requirement = max(0, −min over points). Standalone class groups add.
7. Outside portfolio margin: bonds by their FINRA 4210(e)(2) rule, added as separate lines.
   Futures, futures options, FX and CFDs are refused with their rows named; cash needs nothing.

House layers (a broker's model, off unless switched on): IV shifted up and down at each price
point, extreme moves counted at a cover fraction, a concentration scan that replaces the figure
when larger, and initial = a multiple of maintenance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin import rules as rule_files
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.errors import InputError, Problem, RuleError, UnsupportedError, XlMarginError
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
from xlmargin.pm.settings import HOUSE_LAYERS, MINIMUM_SCOPES, PMSettings
from xlmargin.positions import Portfolio
from xlmargin.pricing import implied_volatility_or_error, option_price
from xlmargin.rules import RuleSet

COVERED = ("stock", "etf", "option")
REFUSED = {
    "future": "FUTURES_MARGIN",
    "future_option": "FUTURES_MARGIN",
    "fx": "ESMA_MARGIN",
    "cfd": "ESMA_MARGIN",
}
OUTSIDE = ("bond",)
IGNORED = ("cash",)


def pm_requirement(portfolio: Portfolio, settings: PMSettings, rules: RuleSet | None = None) -> PMResult:
    """The portfolio-margin requirement of ``portfolio`` (see the module docstring for the rule).

    ``rules`` defaults to the shipped ``pm.toml``; the settings' overrides (house sizes, the
    minimum's scope, product-group offsets) apply on top of it for this call only.
    """
    pm = _rule_set(rules, settings)
    if portfolio.as_of != settings.as_of:
        raise InputError(
            Problem(
                f"the positions were read as of {portfolio.as_of} but the settings value "
                f"them as of {settings.as_of}; read them with the same as_of",
                None,
                "as_of",
            )
        )
    arrays = portfolio.arrays
    kind = arrays["type"]
    _refuse(arrays)
    outside = _outside(portfolio, np.isin(kind, OUTSIDE))
    points = _points(pm, settings)
    scan = _scan(arrays, np.isin(kind, COVERED), pm, settings, points)
    return _account(scan, outside, points, pm, settings)


# --- rules and points ------------------------------------------------------------------------


def _rule_set(rules: RuleSet | None, settings: PMSettings) -> RuleSet:
    pm = rules if rules is not None else rule_files.load("pm")
    if settings.rule_overrides:
        pm = pm.with_overrides(settings.rule_overrides)
    scope = pm.get("minimum.scope")
    if scope not in MINIMUM_SCOPES:
        raise RuleError(f"pm.toml minimum.scope '{scope}' is not one of {', '.join(MINIMUM_SCOPES)}")
    known = {g["id"] for g in pm["product_groups"]}
    unknown = sorted(set(settings.offsets) - known)
    if unknown:
        raise InputError(
            [
                Problem(f"unknown product group '{u}'; known: {', '.join(sorted(known))}", None, "params")
                for u in unknown
            ]
        )
    return pm


def _points(pm: RuleSet, settings: PMSettings) -> tuple[ValuationPoint, ...]:
    """The scenario columns: the regulatory points, then the house points that are on.

    Regulatory: steps −n … −1, +1 … +n of the range, each a fraction step / n of it
    (n = ``points_per_side``). Volatility layer: every regulatory step again with IV × (1 + up),
    then with IV × (1 − down). Extreme layer: ± multiple × the range, P&L counted at ``cover``.
    """
    n = int(pm.get("valuation.points_per_side"))
    steps = [*range(-n, 0), *range(1, n + 1)]
    points = [ValuationPoint(f"{s:+d}", s / n) for s in steps]
    layers = settings.house_layers
    if "volatility" in layers:
        up, down = float(pm.get("house.volatility.up")), float(pm.get("house.volatility.down"))
        points += [ValuationPoint(f"{s:+d} IV+{up:.0%}", s / n, up, 1.0, "volatility") for s in steps]
        points += [ValuationPoint(f"{s:+d} IV-{down:.0%}", s / n, -down, 1.0, "volatility") for s in steps]
    if "extreme" in layers:
        multiple, cover = float(pm.get("house.extreme.multiple")), float(pm.get("house.extreme.cover"))
        points += [
            ValuationPoint(
                f"extreme {sign}{multiple:g}x at {cover:.0%}",
                (1 if sign == "+" else -1) * multiple,
                0.0,
                cover,
                "extreme",
            )
            for sign in "-+"
        ]
    return tuple(points)


# --- the scan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
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


def _scan(
    a: Mapping[str, np.ndarray],
    covered: BoolArray,
    pm: RuleSet,
    settings: PMSettings,
    points: Sequence[ValuationPoint],
) -> _Scan:
    """Revalue every covered position at every point; sum into class-group P&L vectors."""
    idx = np.flatnonzero(covered)
    codes_all, ids = _codes(a["class_group"][idx])
    n_groups = len(ids)
    rows = a["row"][idx]
    asset_class, up, down, warnings = _ranges(a, idx, codes_all, ids, pm)

    # column 0 is the base (no move), then the points, then the concentration moves (±large, ±small)
    fraction = np.array([0.0, *(p.fraction for p in points)])
    moves = np.where(fraction > 0, up[:, None] * fraction, down[:, None] * fraction)
    vol_factor = np.array([1.0, *(1.0 + p.vol_shift for p in points)])
    concentrating = "concentration" in settings.house_layers
    if concentrating:
        large, small = (
            float(pm.get("house.concentration.move")),
            float(pm.get("house.concentration.other_move")),
        )
        extra = np.array([large, -large, small, -small])
        moves = np.hstack([moves, np.broadcast_to(extra, (n_groups, 4))])
        vol_factor = np.concatenate([vol_factor, np.ones(4)])
    _check_moves(moves, ids, codes_all, rows)

    kind = a["type"][idx]
    linear = kind != "option"
    value = a["quantity"][idx] * a["multiplier"][idx] * a["price"][idx]
    linear_value = np.bincount(codes_all[linear], weights=value[linear], minlength=n_groups)
    pnl_all = linear_value[:, None] * moves[:, 1:]

    minimum = np.zeros(n_groups)
    option = ~linear
    if option.any():
        opt_pnl, minimum = _options(
            a, idx[option], codes_all[option], moves, vol_factor, pm, settings.rate, n_groups
        )
        pnl_all += opt_pnl

    n_points = len(points)
    weight = np.array([p.weight for p in points])
    pnl = pnl_all[:, :n_points] * weight
    concentration = pnl_all[:, n_points:]
    order = np.argsort(codes_all, kind="stable")
    bounds = np.searchsorted(codes_all[order], np.arange(n_groups + 1))
    sorted_rows = rows[order].tolist()
    group_rows = [tuple(sorted_rows[bounds[g] : bounds[g + 1]]) for g in range(n_groups)]
    return _Scan(
        ids,
        asset_class,
        up,
        down,
        group_rows,
        moves[:, 1 : n_points + 1],
        pnl,
        minimum,
        concentration,
        warnings,
    )


def _codes(values: np.ndarray) -> tuple[IntArray, list[str]]:
    """Integer codes of the strings ``values`` and the distinct values, sorted (codes follow that order)."""
    cells = values.tolist()
    ids = sorted(dict.fromkeys(cells))
    index = {v: i for i, v in enumerate(ids)}
    return np.fromiter(map(index.__getitem__, cells), np.int64, len(cells)), ids


def _ranges(
    a: Mapping[str, np.ndarray], idx: IntArray, codes: IntArray, ids: list[str], pm: RuleSet
) -> tuple[list[str], FloatArray, FloatArray, tuple[str, ...]]:
    """Each class group's asset class and range (up, down as positive fractions).

    A class group needs one asset class: rows that disagree are an input error naming them.
    With ``leveraged_etf.scale_range_by_leverage`` the range is multiplied by the largest
    |leverage| among the group's rows.
    """
    by_class: dict[str, tuple[float, float]] = {}
    for table in pm["ranges"].values():
        for cls in table["classes"]:
            by_class[str(cls)] = (float(table["up"]), float(table["down"]))
    classes = a["asset_class"][idx]
    class_codes, class_names = _codes(classes)
    n_classes, n_groups = len(class_names), len(ids)
    pairs = np.unique(codes * n_classes + class_codes)
    if len(pairs) > n_groups:
        group_of_pair, count = np.unique(pairs // n_classes, return_counts=True)
        problems = []
        for g in group_of_pair[count > 1]:
            members = np.flatnonzero(codes == g)
            member_rows = a["row"][idx[members]]
            found = "; ".join(
                f"{c} in rows {', '.join(str(int(r)) for r in member_rows[classes[members] == c])}"
                for c in np.unique(classes[members])
            )
            problems.append(
                Problem(
                    f"class group {ids[g]} mixes asset classes ({found}); give one class per class group",
                    int(member_rows[0]),
                    "class",
                )
            )
        raise InputError(problems)
    group_class = [str(class_names[p % n_classes]) for p in pairs]
    missing = sorted({c for c in group_class if c not in by_class})
    if missing:
        raise RuleError(f"pm.toml has no valuation range for asset class {', '.join(missing)}")
    up = np.array([by_class[c][0] for c in group_class])
    down = np.array([by_class[c][1] for c in group_class])
    warnings: list[str] = []
    if pm.get("leveraged_etf.scale_range_by_leverage"):
        scale = np.ones(n_groups)
        np.maximum.at(scale, codes, np.abs(a["leverage"][idx]))
        for g in np.flatnonzero(scale != 1.0):
            warnings.append(
                f"class group {ids[g]} is scanned at its range × leverage {scale[g]:g} "
                f"(unconfirmed rule [{pm['leveraged_etf']['confidence']}])"
            )
        up, down = up * scale, down * scale
    return group_class, up, down, tuple(warnings)


def _check_moves(moves: FloatArray, ids: list[str], codes: IntArray, rows: IntArray) -> None:
    """A down move of 100% or more would price the underlying at or below zero."""
    bad = np.flatnonzero(moves.min(axis=1) <= -1.0)
    if len(bad):
        raise InputError(
            [
                Problem(
                    f"class group {ids[g]} would move by {moves[g].min():.0%}: the underlying "
                    "cannot fall 100% or more; lower the leverage or house.extreme_multiple",
                    int(rows[codes == g][0]),
                    "leverage",
                )
                for g in bad
            ]
        )


def _options(
    a: Mapping[str, np.ndarray],
    idx: IntArray,
    codes: IntArray,
    moves: FloatArray,
    vol_factor: FloatArray,
    pm: RuleSet,
    rate: float,
    n_groups: int,
) -> tuple[FloatArray, FloatArray]:
    """Option P&L per class group and column, and each class group's per-contract minimum.

    Rows of one series (same class group, underlying price, strike, expiry, right, style,
    dividend yield, volatility, price and multiplier) are one contract: priced once, netted for
    the minimum. Returns (G × columns-after-base P&L, G minimums).
    """
    S = a["underlying_price"][idx]
    K = a["strike"][idx]
    T = a["expiry_years"][idx]
    q = a["dividend_yield"][idx]
    call = a["right"][idx] == "C"
    american = a["style"][idx] == "american"
    vol = a["volatility"][idx]
    price = a["price"][idx]
    mult = a["multiplier"][idx]
    qty = a["quantity"][idx]
    keys = np.column_stack([codes, S, K, T, call, american, q, np.nan_to_num(vol, nan=-1.0), price, mult])
    first, inverse = _distinct(keys)
    g = codes[first]
    n_contracts = np.bincount(inverse, weights=qty, minlength=len(first))
    units = np.bincount(inverse, weights=qty * mult, minlength=len(first))

    sigma = _volatilities(vol, price, S, K, T, rate, q, call, american, first, inverse, a["row"][idx])
    # One kernel call per volatility state (one without the house volatility layer): contracts
    # enter as (U, 1) columns against (U, points) spots so each American exercise boundary is
    # solved once per contract and state.
    c = first
    spots = S[c][:, None] * (1.0 + moves[g])
    values = np.empty_like(spots)
    for factor in np.unique(vol_factor):
        cols = np.flatnonzero(vol_factor == factor)
        values[:, cols] = option_price(
            spots[:, cols],
            K[c][:, None],
            T[c][:, None],
            rate,
            q[c][:, None],
            (sigma * factor)[:, None],
            call[c][:, None],
            american[c][:, None],
        )
    unpriced = ~np.isfinite(values).all(axis=1)
    if unpriced.any():
        rows = a["row"][idx][np.isin(inverse, np.flatnonzero(unpriced))]
        raise XlMarginError(
            [
                Problem(
                    "the pricing kernel could not value this option at every valuation point; "
                    "check its price, volatility and expiry",
                    int(r),
                    "price",
                )
                for r in rows
            ]
        )
    pnl = units[:, None] * (values[:, 1:] - values[:, :1])
    group_pnl = _group_sum(g, pnl, n_groups)

    per_contract = float(pm.get("minimum.per_contract")) * mult[first]
    long_minimum = per_contract
    if pm.get("minimum.long_capped_at_market_value"):
        long_minimum = np.minimum(per_contract, price[first] * mult[first])
    contract_minimum = np.where(n_contracts > 0, n_contracts * long_minimum, -n_contracts * per_contract)
    return group_pnl, np.bincount(g, weights=contract_minimum, minlength=n_groups).astype(np.float64)


def _distinct(keys: FloatArray) -> tuple[IntArray, IntArray]:
    """(index of the first row of each distinct key row, each row's distinct index).

    Rows are compared as raw bytes (keys hold no NaN), in first-seen order.
    """
    cells = (
        np.ascontiguousarray(keys).view(np.dtype((np.void, keys.shape[1] * keys.itemsize))).ravel().tolist()
    )
    seen: dict[Any, int] = {}
    inverse = np.fromiter((seen.setdefault(c, len(seen)) for c in cells), np.int64, len(cells))
    # ids are handed out in order of first appearance: a row is first when its id exceeds all before it
    new = np.ones(len(cells), dtype=bool)
    new[1:] = inverse[1:] > np.maximum.accumulate(inverse)[:-1]
    return np.flatnonzero(new), inverse


def _group_sum(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sums of the rows of ``values`` by ``codes``: an ``n_groups`` × columns array."""
    out = np.empty((n_groups, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
    return out


def _volatilities(
    vol: FloatArray,
    price: FloatArray,
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    rate: float,
    q: FloatArray,
    call: BoolArray,
    american: BoolArray,
    first: IntArray,
    inverse: IntArray,
    rows: IntArray,
) -> FloatArray:
    """Each distinct contract's volatility: the ``volatility`` column, else implied from the price.

    An expired contract (T = 0) is worth its intrinsic value at any volatility: it gets 0. A price
    that no volatility reproduces is an input error naming every row that holds it, with the bound.
    Arguments are per option row; ``first`` picks one row per contract, ``inverse`` maps rows to it.
    """
    sigma = vol[first]
    need = np.isnan(sigma) & (T[first] > 0.0)
    sigma[np.isnan(sigma)] = 0.0
    if not need.any():
        return sigma
    c = first[need]
    contracts = np.flatnonzero(need)
    implied = implied_volatility_or_error(
        price[c], S[c], K[c], T[c], rate, q[c], call[c], american[c], False,
        lambda i: rows[inverse == contracts[i]].tolist(),
    )  # fmt: skip
    sigma[need] = implied
    return sigma


# --- outside portfolio margin ----------------------------------------------------------------


def _refuse(a: Mapping[str, np.ndarray]) -> None:
    """Positions no portfolio-margin rule covers: one error naming every row, never a silent zero."""
    kind = a["type"]
    handled = (*COVERED, *OUTSIDE, *IGNORED)
    bad = np.flatnonzero(~np.isin(kind, handled))
    if len(bad):
        raise UnsupportedError(
            [
                Problem(
                    f"a {kind[i].replace('_', ' ')} position is not covered by portfolio margin; use "
                    f"{REFUSED.get(str(kind[i]), 'another regime')}",
                    int(a["row"][i]),
                    "type",
                )
                for i in bad
            ]
        )


def _outside(portfolio: Portfolio, mask: BoolArray) -> tuple[OutsideResult, ...]:
    """Bonds, margined by their FINRA 4210(e)(2) maturity bucket through the Reg T engine.

    Maintenance basis; a bond class without a fixed-income rule is refused there, naming the row.
    """
    if not mask.any():
        return ()
    from xlmargin.regt import regt_margin  # loads the pairing solver only for books that hold bonds

    bonds = portfolio.select(mask)
    value = {p.row: p.market_value for p in bonds}
    result = regt_margin(bonds, basis="maintenance")
    return tuple(
        OutsideResult(g.legs[0].row, g.underlying, "bond", g.rule, value[g.legs[0].row], g.gross)
        for g in result.groups
    )


# --- the account -----------------------------------------------------------------------------


def _loss(pnl: FloatArray, columns: slice | IntArray) -> FloatArray:
    """max(0, −min P&L) over the chosen columns, along the last axis."""
    return np.maximum(0.0, -pnl[..., columns].min(axis=-1))


def _account(
    scan: _Scan,
    outside: tuple[OutsideResult, ...],
    points: tuple[ValuationPoint, ...],
    pm: RuleSet,
    settings: PMSettings,
) -> PMResult:
    """Class groups, product groups, house layers and the account total."""
    per_group = pm.get("minimum.scope") == "class_group"
    regulatory_columns = np.array([i for i, p in enumerate(points) if p.layer == REGULATORY])
    every = slice(None)
    n_groups = len(scan.ids)
    worst = _loss(scan.pnl, regulatory_columns) if n_groups else np.zeros(0)
    house_worst = _loss(scan.pnl, every) if n_groups else np.zeros(0)
    minimum = scan.minimum
    group_req = np.maximum(worst, minimum) if per_group else worst
    group_house = np.maximum(house_worst, minimum) if per_group else house_worst

    product_of: dict[str, Mapping[str, Any]] = {}
    for table in pm["product_groups"]:
        for member in table["class_groups"]:
            product_of[str(member)] = table
    group_product = [str(product_of[i]["id"]) if i in product_of else "" for i in scan.ids]

    worst_column = regulatory_columns[np.argmin(scan.pnl[:, regulatory_columns], axis=1)] if n_groups else []
    columns = zip(
        scan.ids, group_product, scan.asset_class, scan.up.tolist(), scan.down.tolist(), scan.rows,
        scan.moves.tolist(), scan.pnl.tolist(), np.asarray(worst_column).tolist(), worst.tolist(),
        minimum.tolist(), group_req.tolist(), house_worst.tolist(), group_house.tolist(), strict=True,
    )  # fmt: skip
    class_results = [
        ClassGroupResult(
            id=gid,
            product_group=product,
            asset_class=cls,
            range_label=_range_label(up, down),
            rows=rows,
            moves=tuple(moves),
            pnl=tuple(pnl),
            worst_point=points[w].label,
            worst_move=moves[w],
            worst_loss=loss,
            minimum=least,
            requirement=req,
            house_loss=h_loss,
            house_requirement=h_req,
        )
        for (gid, product, cls, up, down, rows, moves, pnl, w, loss, least, req, h_loss, h_req) in columns
    ]

    product_results = []
    standalone = np.array([p == "" for p in group_product], dtype=bool)
    scenario_total = float(worst[standalone].sum())
    house_total = float(house_worst[standalone].sum())
    regulatory_pm = float(group_req[standalone].sum())
    house_pm = float(group_house[standalone].sum())
    warnings = list(scan.warnings)
    for table in pm["product_groups"]:
        pid = str(table["id"])
        members = np.array([g for g in range(n_groups) if group_product[g] == pid], dtype=np.int64)
        if not len(members):
            continue
        offset = float(settings.offsets.get(pid, table["offset"]))
        x = scan.pnl[members]
        netted = np.minimum(x, 0.0).sum(axis=0) + offset * np.maximum(x, 0.0).sum(axis=0)
        p_worst = float(_loss(netted, regulatory_columns))
        p_house = float(_loss(netted, every))
        p_min = float(minimum[members].sum())
        p_req = max(p_worst, p_min) if per_group else p_worst
        p_house_req = max(p_house, p_min) if per_group else p_house
        w = int(regulatory_columns[np.argmin(netted[regulatory_columns])])
        product_results.append(
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
                offset_credit=float(group_req[members].sum()) - p_req,
                house_requirement=p_house_req,
            )
        )
        scenario_total += p_worst
        house_total += p_house
        regulatory_pm += p_req
        house_pm += p_house_req
        if len(members) > 1 and pid not in settings.offsets and table["confidence"] == "L":
            warnings.append(
                f"product group {pid} offsets {offset:.0%} of gains: an unconfirmed figure; "
                f"override it with offset.{pid}"
            )
    total_minimum = float(minimum.sum())
    if not per_group:
        regulatory_pm = max(scenario_total, total_minimum)
        house_pm = max(house_total, total_minimum)

    outside_total = sum(o.requirement for o in outside)
    if outside:
        warnings.append(
            f"{len(outside)} bond position(s) margined outside portfolio margin by FINRA 4210(e)(2): "
            f"{cents(outside_total):,.2f} added to the total"
        )
    regulatory = regulatory_pm + outside_total
    house = None
    requirement = initial = regulatory
    if settings.house:
        house = _house(scan, house_pm, pm, settings)
        requirement = house.portfolio + outside_total
        initial = house.portfolio * house.initial_multiple + outside_total
        warnings.append(
            f"house layers on ({', '.join(house.layers)}): the requirement {cents(requirement):,.2f} "
            f"is a house figure, not a regulation; the regulatory minimum is {cents(regulatory):,.2f}"
        )

    minimum_equity = float(pm.get("account.minimum_equity"))
    eligible = None if settings.equity is None else settings.equity >= minimum_equity
    if eligible is False:
        warnings.append(
            f"equity {settings.equity:,.2f} is below the FINRA 4210(g) minimum of "
            f"{minimum_equity:,.0f}: the account is not eligible for portfolio margin"
        )
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
        warnings=tuple(warnings),
    )


def _house(scan: _Scan, house_pm: float, pm: RuleSet, settings: PMSettings) -> HouseResult:
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


def _range_label(up: float, down: float) -> str:
    if up == down:
        return f"±{up * 100:.4g}%"
    return f"-{down * 100:.4g}%/+{up * 100:.4g}%"


__all__ = ["pm_requirement"]
