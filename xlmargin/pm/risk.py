"""Portfolio margin as a linear function of quantities: the risk arrays, then the account step.

The scan of :mod:`xlmargin.pm.engine` in two steps. :func:`risk_arrays` does everything that does
not depend on how many units are held: it checks the book, sets each class group's moves, prices
every distinct contract once per valuation point and stores, per covered row, the weighted P&L of
ONE unit of quantity at each point (``unit_pnl``), and per option series the per-contract minimum
of one long and of one short contract. :func:`requirement` then takes a quantity per covered row
and runs the account step on the quantity-weighted sums:

- class-group P&L at point j = Σ over the group's rows of ``quantity × unit_pnl[:, j]``;
- per-contract minimum of a series = contracts × long minimum when the net ``contracts`` (Σ
  quantity over its rows) is long, else −contracts × short minimum; summed per class group.

``pm_requirement`` is ``requirement(risk_arrays(...))``: one path. What-if, contributions, hedge
optimisers and the batch reuse the arrays with other quantities without pricing again. Lines
outside portfolio margin (bonds) are not in the arrays: ``requirement`` adds the ``outside``
lines it is handed, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xlmargin import rules as rule_files
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.errors import InputError, Problem, RuleError, UnsupportedError, XlMarginError, a_or_an
from xlmargin.instruments import in_usd
from xlmargin.pm.aggregate import GroupScan, account_result
from xlmargin.pm.result import OutsideResult, PMResult, ValuationPoint
from xlmargin.pm.settings import MINIMUM_SCOPES, PMSettings
from xlmargin.positions import Portfolio
from xlmargin.positions.infer import rows_text
from xlmargin.pricing import implied_volatility_or_error, option_price
from xlmargin.pricing.contracts import ContractCache, LastCall
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


@dataclass(frozen=True)
class RiskArrays:
    """What portfolio margin knows about a book before it looks at the quantities.

    Covered rows (stock, ETF and option lines) are stored in class-group order (stable: within a
    group, in the portfolio's order), so each group's rows are one contiguous block starting at
    ``starts[g]``. P&L of a row at point j = its quantity × ``unit_pnl[row, j]``.
    """

    points: tuple[ValuationPoint, ...]  # the scenario columns: regulatory, then house points that are on
    group_ids: list[str]  # class groups, sorted
    group_asset_class: list[str]
    up: FloatArray  # per group: range up, a positive fraction
    down: FloatArray  # per group: range down, a positive fraction
    moves: FloatArray  # groups × points: the underlying's move at each point
    index: IntArray  # per covered row: its index in ``portfolio.arrays``
    rows: IntArray  # per covered row: its row number in the positions range
    group: IntArray  # per covered row: index into ``group_ids`` (non-decreasing)
    starts: IntArray  # per group: the first covered row of the group
    series: IntArray  # per covered row: its distinct-contract id (options; -1 for stock/ETF lines)
    quantity: FloatArray  # per covered row: the portfolio's quantity
    unit_pnl: FloatArray  # covered rows × points: weighted P&L of one unit of quantity
    unit_concentration: FloatArray  # covered rows × 4: +large, −large, +small, −small (empty when off)
    series_long_minimum: FloatArray  # per series: the minimum per long contract
    series_short_minimum: FloatArray  # per series: the minimum per short contract
    series_group: IntArray  # per series: its class group
    warnings: tuple[str, ...]
    group_notes: tuple[str, ...]  # per group: its warning ("" when none); ``warnings`` the others
    range_factor: FloatArray  # per covered row: the factor it scales its group's range by (range_scale)
    rules: RuleSet  # pm.toml with the settings' overrides
    settings: PMSettings

    def group_sums(self, quantity: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(groups × points P&L, groups × 4 concentration P&L, per-group minimum) at ``quantity``."""
        q = np.asarray(quantity, dtype=np.float64)
        n_groups = len(self.group_ids)
        if not n_groups:
            return np.zeros((0, len(self.points))), np.zeros((0, 4)), np.zeros(0)
        pnl = np.add.reduceat(q[:, None] * self.unit_pnl, self.starts, axis=0)
        if self.unit_concentration.shape[1]:
            concentration = np.add.reduceat(q[:, None] * self.unit_concentration, self.starts, axis=0)
        else:
            concentration = np.zeros((n_groups, 0))
        return pnl, concentration, self.group_minimum(q)

    def group_minimum(self, quantity: FloatArray) -> FloatArray:
        """Each class group's per-contract minimum at ``quantity`` (netted per series)."""
        option = self.series >= 0
        n_series = len(self.series_group)
        contracts = np.bincount(self.series[option], weights=quantity[option], minlength=n_series)
        per_series = np.where(
            contracts > 0, contracts * self.series_long_minimum, -contracts * self.series_short_minimum
        )
        return np.bincount(self.series_group, weights=per_series, minlength=len(self.group_ids)).astype(
            np.float64
        )


def risk_arrays(
    portfolio: Portfolio, settings: PMSettings, rules: RuleSet | None = None, held: BoolArray | None = None
) -> RiskArrays:
    """The risk arrays of ``portfolio``'s stock, ETF and option lines (see the module docstring).

    Refuses what portfolio margin does not cover (futures, FX, CFDs), naming every row; bonds and
    cash are left out (bonds are margined outside by :func:`xlmargin.pm.engine.pm_requirement`).
    ``held`` (per row of ``portfolio``) marks the rows the book holds, the only ones whose leverage
    widens their class group's range (:func:`_ranges`); default: quantity ≠ 0, so a closed line left
    in the sheet widens nothing. A decision whose program holds rows at quantity 0 that stand for a
    position it has chosen to hold (a candidate bought) passes its own.
    """
    pm = pm_rules(rules, settings)
    quantity = portfolio.arrays["quantity"]
    is_held = quantity != 0.0 if held is None else np.asarray(held, dtype=bool)
    if is_held.shape != quantity.shape:
        raise InputError(Problem(f"expected {len(quantity)} held flags, one per row; got {is_held.shape}"))
    if portfolio.as_of != settings.as_of:
        raise InputError(
            Problem(
                f"the positions were read as of {portfolio.as_of} but the settings value "
                f"them as of {settings.as_of}; read them with the same as_of",
                None,
                "as_of",
            )
        )
    a = portfolio.arrays
    type_codes, types = portfolio.codes("type")
    category = _categories(types)[type_codes]
    _refuse(a, category)
    portfolio = in_usd(portfolio)  # prices, spots and strikes in US dollars, as the rules are
    a = portfolio.arrays
    points = _points(pm, settings)
    covered = np.flatnonzero(category == 0)
    group_codes, groups = portfolio.codes("class_group")
    codes, ids = sorted_codes(group_codes[covered], groups)
    order = np.argsort(codes, kind="stable")
    idx, codes = covered[order], codes[order]
    n_groups = len(ids)
    rows = a["row"][idx]
    asset_class, up, down, notes, factor = _ranges(portfolio, idx, codes, ids, pm, is_held[idx])

    # column 0 is the base (no move), then the points, then the concentration moves (±large, ±small)
    fraction = np.array([0.0, *(p.fraction for p in points)])
    moves = np.where(fraction > 0, up[:, None] * fraction, down[:, None] * fraction)
    vol_factor = np.array([1.0, *(1.0 + p.vol_shift for p in points)])
    if "concentration" in settings.house_layers:
        large, small = (
            float(pm.get("house.concentration.move")),
            float(pm.get("house.concentration.other_move")),
        )
        extra = np.array([large, -large, small, -small])
        moves = np.hstack([moves, np.broadcast_to(extra, (n_groups, 4))])
        vol_factor = np.concatenate([vol_factor, np.ones(4)])
    _check_moves(moves, ids, codes, rows)

    option = holds(portfolio, "type", "option")[idx]
    linear = ~option
    mult = a["multiplier"][idx]
    unit = np.empty((len(idx), moves.shape[1] - 1))
    unit[linear] = (mult[linear] * a["price"][idx[linear]])[:, None] * moves[codes[linear], 1:]
    series = np.full(len(idx), -1, dtype=np.int64)
    long_minimum = short_minimum = np.zeros(0)
    series_group = np.zeros(0, dtype=np.int64)
    if option.any():
        opt = np.flatnonzero(option)
        option_rows = idx[opt]
        call = holds(portfolio, "right", "C")[option_rows]
        american = holds(portfolio, "style", "american")[option_rows]
        values, first, inverse = _option_values(
            a, option_rows, codes[opt], call, american, moves, vol_factor, settings.rate
        )
        unit[opt] = mult[opt][:, None] * (values[:, 1:] - values[:, :1])[inverse]  # per contract, then rows
        series[opt] = inverse
        series_group = codes[opt][first]
        contract_mult = mult[opt][first]
        short_minimum = float(pm.get("minimum.per_contract")) * contract_mult
        long_minimum = short_minimum
        if pm.get("minimum.long_capped_at_market_value"):
            long_minimum = np.minimum(short_minimum, a["price"][idx[opt]][first] * contract_mult)

    n_points = len(points)
    weight = np.array([p.weight for p in points])
    starts = np.searchsorted(codes, np.arange(n_groups))
    return RiskArrays(
        points=points,
        group_ids=ids,
        group_asset_class=asset_class,
        up=up,
        down=down,
        moves=moves[:, 1 : n_points + 1],
        index=idx,
        rows=rows,
        group=codes,
        starts=starts,
        series=series,
        quantity=a["quantity"][idx],
        unit_pnl=unit[:, :n_points] * weight,
        unit_concentration=unit[:, n_points:],
        series_long_minimum=long_minimum,
        series_short_minimum=short_minimum,
        series_group=series_group,
        warnings=tuple(note for note in notes if note),
        group_notes=notes,
        range_factor=factor,
        rules=pm,
        settings=settings,
    )


def requirement(
    risk: RiskArrays,
    quantity: Sequence[float] | FloatArray | None = None,
    outside: tuple[OutsideResult, ...] = (),
) -> PMResult:
    """The portfolio-margin result with ``quantity`` units of each covered row (default: as read).

    ``quantity`` is aligned with ``risk.index`` (class-group order, not the portfolio's order).
    ``outside`` lines (bonds) are added unchanged.
    """
    q = risk.quantity if quantity is None else np.asarray(quantity, dtype=np.float64)
    if q.shape != risk.quantity.shape:
        raise InputError(
            Problem(f"expected {len(risk.quantity)} quantities, one per covered row; got {q.shape}")
        )
    pnl, concentration, minimum = risk.group_sums(q)
    bounds = [*risk.starts.tolist(), len(risk.rows)]
    all_rows = risk.rows.tolist()
    scan = GroupScan(
        risk.group_ids,
        risk.group_asset_class,
        risk.up,
        risk.down,
        [tuple(all_rows[bounds[g] : bounds[g + 1]]) for g in range(len(risk.group_ids))],
        risk.moves,
        pnl,
        minimum,
        concentration,
        risk.warnings,
    )
    return account_result(scan, outside, risk.points, risk.rules, risk.settings)


# --- rules and points ------------------------------------------------------------------------


def pm_rules(rules: RuleSet | None, settings: PMSettings) -> RuleSet:
    """``rules`` (default: the shipped pm.toml) with the settings' overrides, checked."""
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


_CATEGORY = {**dict.fromkeys(COVERED, 0), **dict.fromkeys(OUTSIDE, 1), **dict.fromkeys(IGNORED, 2)}


def _categories(types: Sequence[str]) -> IntArray:
    """Per type: 0 covered, 1 outside (margined apart), 2 ignored, 3 refused."""
    return np.array([_CATEGORY.get(k, 3) for k in types], dtype=np.int64)


def _refuse(a: Mapping[str, np.ndarray], category: IntArray) -> None:
    """Positions no portfolio-margin rule covers: one error naming every row, never a silent zero."""
    kind = a["type"]
    bad = np.flatnonzero(category == 3)
    if len(bad):
        raise UnsupportedError(
            [
                Problem(
                    f"{a_or_an(kind[i].replace('_', ' '))} position is not covered by portfolio margin; use "
                    f"{REFUSED.get(str(kind[i]), 'another regime')}",
                    int(a["row"][i]),
                    "type",
                )
                for i in bad
            ]
        )


# --- the scan --------------------------------------------------------------------------------


def string_codes(values: np.ndarray) -> tuple[IntArray, list[str]]:
    """Integer codes of the strings ``values`` and the distinct values, sorted (codes follow that order)."""
    cells = values.tolist()
    ids = sorted(dict.fromkeys(cells))
    index = {v: i for i, v in enumerate(ids)}
    return np.fromiter(map(index.__getitem__, cells), np.int64, len(cells)), ids


def holds(portfolio: Portfolio, name: str, value: str) -> BoolArray:
    """Per row: the text column ``name`` holds ``value`` (one comparison per distinct text)."""
    codes, values = portfolio.codes(name)
    return np.array([v == value for v in values], dtype=bool)[codes]


def sorted_codes(codes: IntArray, values: Sequence[str]) -> tuple[IntArray, list[str]]:
    """:func:`string_codes` of the strings ``values[codes]``, from their codes (``values`` distinct):
    the distinct strings the codes use, sorted, and each code's index among them."""
    present = np.flatnonzero(np.bincount(codes, minlength=len(values)))
    names = [values[c] for c in present.tolist()]
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.zeros(len(values), dtype=np.int64)
    rank[present[order]] = np.arange(len(order))
    return rank[codes], [names[i] for i in order]


def range_scale(leverage: FloatArray, held: BoolArray) -> FloatArray:
    """Per row, the factor by which it scales its class group's range under
    ``leveraged_etf.scale_range_by_leverage``: its |leverage|, at least 1, while it is ``held``;
    1 when it is not (a line at quantity 0 is no position). A group's factor is its rows' largest."""
    return np.where(held, np.maximum(1.0, np.abs(leverage)), 1.0)


def leverage_note(group: str, scale: float, rows: Sequence[int], pm: RuleSet) -> str:
    """The warning of class group ``group`` scanned at its range × ``scale``, set by ``rows`` (the
    held rows of that leverage): the engine's for a book, the batch's for each account's rows."""
    return (
        f"class group {group} is scanned at its range × leverage {scale:g}, set by "
        f"{rows_text(sorted(int(r) for r in rows))} "
        f"(pm.toml [leveraged_etf], confidence [{pm['leveraged_etf']['confidence']}]: a broker's "
        "reading of the rule, the rule text not re-read)"
    )


def _ranges(
    portfolio: Portfolio, idx: IntArray, codes: IntArray, ids: list[str], pm: RuleSet, held: BoolArray
) -> tuple[list[str], FloatArray, FloatArray, tuple[str, ...], FloatArray]:
    """Each class group's asset class, range (up, down as positive fractions) and warning ("" when
    none).

    A class group needs one asset class: rows that disagree are an input error naming them.
    With ``leveraged_etf.scale_range_by_leverage`` the range is multiplied by the largest
    |leverage| among the group's rows ``held`` (:func:`range_scale`); the warning names the rows
    that set it.
    """
    by_class: dict[str, tuple[float, float]] = {}
    for table in pm["ranges"].values():
        for cls in table["classes"]:
            by_class[str(cls)] = (float(table["up"]), float(table["down"]))
    a = portfolio.arrays
    row_class, class_of_code = portfolio.codes("asset_class")
    row_class = row_class[idx]
    n_groups = len(ids)
    starts = np.searchsorted(codes, np.arange(n_groups))  # each group's first row (codes are sorted)
    group_class_of = row_class[starts]
    if (row_class != group_class_of[codes]).any():  # rows of one group disagree: name them
        classes = a["asset_class"][idx]
        class_codes, class_names = string_codes(classes)
        n_classes = len(class_names)
        pairs = np.unique(codes * n_classes + class_codes)
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
                    int(member_rows.min()),
                    "class",
                )
            )
        raise InputError(problems)
    group_class = [str(class_of_code[c]) for c in group_class_of.tolist()]
    missing = sorted({c for c in group_class if c not in by_class})
    if missing:
        raise RuleError(f"pm.toml has no valuation range for asset class {', '.join(missing)}")
    up = np.array([by_class[c][0] for c in group_class])
    down = np.array([by_class[c][1] for c in group_class])
    notes = [""] * n_groups
    if pm.get("leveraged_etf.scale_range_by_leverage"):
        row_scale = range_scale(a["leverage"][idx], held)
        scale = np.maximum.reduceat(row_scale, starts) if n_groups else np.ones(0)
        for g in np.flatnonzero(scale != 1.0):
            setting = a["row"][idx][(codes == g) & (row_scale == scale[g])]
            notes[g] = leverage_note(ids[g], float(scale[g]), setting.tolist(), pm)
        up, down = up * scale, down * scale
        return group_class, up, down, tuple(notes), row_scale
    return group_class, up, down, tuple(notes), np.ones(len(idx))


def _check_moves(moves: FloatArray, ids: list[str], codes: IntArray, rows: IntArray) -> None:
    """A down move of 100% or more would price the underlying at or below zero."""
    bad = np.flatnonzero(moves.min(axis=1) <= -1.0)
    if len(bad):
        raise InputError(
            [
                Problem(
                    f"class group {ids[g]} would move by {moves[g].min():.0%}: the underlying "
                    "cannot fall 100% or more; lower the leverage or house.extreme_multiple",
                    int(rows[codes == g].min()),
                    "leverage",
                )
                for g in bad
            ]
        )


def _option_values(
    a: Mapping[str, np.ndarray],
    idx: IntArray,
    codes: IntArray,
    call: BoolArray,
    american: BoolArray,
    moves: FloatArray,
    vol_factor: FloatArray,
    rate: float,
) -> tuple[FloatArray, IntArray, IntArray]:
    """Each distinct option contract's value at the base and every column of ``moves``.

    Rows of one series (same class group, underlying price, strike, expiry, right, style,
    dividend yield, volatility, price and multiplier) are one contract, priced once. Returns
    (contracts × columns values, first row of each contract, each row's contract).
    """
    S = a["underlying_price"][idx]
    K = a["strike"][idx]
    T = a["expiry_years"][idx]
    q = a["dividend_yield"][idx]
    vol = a["volatility"][idx]
    price = a["price"][idx]
    mult = a["multiplier"][idx]
    keys = np.column_stack([codes, S, K, T, call, american, q, np.nan_to_num(vol, nan=-1.0), price, mult])
    # every input of what follows: the same as the last call's (an edit that changed no contract) gives
    # the last call's values without a per-contract lookup
    inputs = (keys, moves, vol_factor, np.array([rate]))
    last = _LAST_BOOK.get(inputs)
    if last is not None:
        return last[0], last[1], last[2]
    first, inverse = _distinct(keys)
    g = codes[first]

    sigma = _volatilities(vol, price, S, K, T, rate, q, call, american, first, inverse, a["row"][idx])
    # Values are kept per contract and column set (a recalculation after a quantity change, a
    # batch, a what-if price nothing again); the missing contracts are priced in one kernel call
    # per volatility state (one without the house volatility layer), contracts entering as (U, 1)
    # columns against (U, points) spots so each American exercise boundary is solved once.
    c = first
    keys = np.column_stack([S[c], K[c], T[c], q[c], sigma, call[c], american[c], moves[g]])  # float64

    def value_rows(rows: IntArray) -> FloatArray:
        u = c[rows]
        spots = S[u][:, None] * (1.0 + moves[g[rows]])
        values = np.empty_like(spots)
        for factor in np.unique(vol_factor):
            cols = np.flatnonzero(vol_factor == factor)
            values[:, cols] = option_price(
                spots[:, cols],
                K[u][:, None],
                T[u][:, None],
                rate,
                q[u][:, None],
                (sigma[rows] * factor)[:, None],
                call[u][:, None],
                american[u][:, None],
            )
        return values

    values = _values_cache(rate, vol_factor).get_or_compute(keys, value_rows)
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
                for r in np.sort(rows)
            ]
        )
    _LAST_BOOK.put(inputs, (values, first, inverse))
    return values, first, inverse


_LAST_BOOK = LastCall()
_VALUE_CACHES: dict[bytes, ContractCache] = {}
_MAX_COLUMN_SETS = 8  # column sets (rate, points, house layers) kept at once


def _values_cache(rate: float, vol_factor: FloatArray) -> ContractCache:
    """The option-value cache of one column set: a contract's key row holds its moves."""
    config = np.concatenate([[rate], vol_factor]).astype(np.float64).tobytes()
    cache = _VALUE_CACHES.get(config)
    if cache is None:
        if len(_VALUE_CACHES) >= _MAX_COLUMN_SETS:
            _VALUE_CACHES.clear()
        cache = _VALUE_CACHES[config] = ContractCache(len(vol_factor))
    return cache


def _distinct(keys: FloatArray) -> tuple[IntArray, IntArray]:
    """(index of the first row of each distinct key row, each row's distinct index).

    Rows are compared by value (keys hold no NaN); distinct indices follow first appearance.
    Rows are grouped by a 64-bit hash of their bytes, and the grouping is checked exactly: on a
    collision (never seen; kept for exactness) they are grouped by sorting instead.
    """
    n = keys.shape[0]
    words = np.ascontiguousarray(keys, dtype=np.float64).view(np.uint64)
    digest = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    for column in words.T:  # FNV-1a over the columns' 64-bit words (wrapping arithmetic)
        digest = (digest ^ column) * np.uint64(0x100000001B3)
    _, first, group = np.unique(digest, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    if not (keys[first[group]] == keys).all():  # one gather (two would copy the rows twice)
        order = np.lexsort(keys.T[::-1])  # stable: within equal rows, by position
        ordered = keys[order]
        starts = np.ones(n, dtype=bool)
        starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
        first = order[starts]
        group = np.empty(n, dtype=np.int64)
        group[order] = np.cumsum(starts) - 1
    # number the distinct rows by first appearance without a sort: mark the first rows in row
    # order, count them up to each row
    is_first = np.zeros(n, dtype=bool)
    is_first[first] = True
    rank = np.cumsum(is_first) - 1
    return np.flatnonzero(is_first), rank[first][group]


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
        lambda i: sorted(rows[inverse == contracts[i]].tolist()),
    )  # fmt: skip
    sigma[need] = implied
    return sigma


__all__ = [
    "COVERED",
    "IGNORED",
    "OUTSIDE",
    "REFUSED",
    "RiskArrays",
    "holds",
    "pm_rules",
    "requirement",
    "risk_arrays",
    "sorted_codes",
    "string_codes",
]
