"""Futures margin, SPAN-style: CME's Standard Portfolio Analysis of Risk, step by step.

The rule (margin-rules.md §4, CME SPAN methodology), per **combined commodity** (every future and
option on future of one root, e.g. ES):

1. **Risk array.** Each position is revalued in 16 scenarios: the futures price unchanged, up and down
   1/3, 2/3 and 3/3 of the *price scan range*, each with volatility up and down by the *volatility
   scan range* (14 scenarios), plus two *extreme* moves of ``extreme_multiple`` × the range with
   volatility unchanged, of which only ``extreme_cover`` counts. A future's P&L is
   ``qty × fraction × scan`` (the scan range is in dollars per contract); an option's is
   ``qty × point_value × (V(F + move, T − lookahead, σ·(1 ± vol_scan)) − V(F, T, σ))`` with the
   Black-76 kernel (:func:`xlmargin.pricing.option_price`, ``on_future=True``; European unless the
   row says American), so time decay to the next day is in every scenario.
2. **Scanning risk** = the worst loss of the *summed* array: ``max(0, −min_s Σ_positions pnl[s])``.
3. **Intra-commodity (calendar) spread charge.** The scan treats all months as perfectly correlated,
   so spreads between long and short months are charged: net deltas per contract month, spreads
   within a tier = ``min(long deltas, short deltas)`` at the tier's charge, then spreads between
   tiers in priority order = ``min(|net_a|, |net_b|)`` when the signs differ, at that pair's charge.
   An untiered product is one tier covering every month.
4. **Inter-commodity spread credit.** For each recognised pair, in priority order, spreads are formed
   on the commodities' remaining net deltas at the ratio ``a:b`` (``n = min(|Δa|/a, |Δb|/b)``, legs of
   opposite sign), and each leg gets back ``credit × n × ratio × weighted futures price risk``, the
   price risk per delta: ``(scanning risk − time risk − volatility risk) / |net delta|``, where time
   risk is the average loss of scenarios 1-2 and volatility risk half their difference (SPAN's
   "weighted futures price risk" as this module reads CME's description; not in margin-rules.md).
   For futures alone it is the scan range per contract, i.e. the outright margin CME's example uses.
5. **Short option minimum**: the commodity's risk is at least ``rate × short option contracts``.
6. ``maintenance = Σ max(scanning + intra − credit, short option minimum)``;
   ``initial = maintenance × 110%`` for heightened-risk-profile (speculator) accounts, 100% otherwise
   (CME advisory 23-376).

**Contract months** come from the exchange month code of the symbol (``ESZ6``, ``ZNH27``: root,
month letter F..Z, year), as the positions table keeps no expiry for futures; an option's month is
its underlying future's, else its own expiry month. A symbol without a code (``ES``) is a month of
its own. A tiered product needs the month; an untiered one only uses it to find calendar spreads.

Risk arrays here are P&L, gains positive (as McMillan prints them); CME's own files print losses
positive. Not modelled: delivery-month (spot) charges and the "no credit for a leg in delivery"
rule, tiered inter-commodity spreads, and the net
option value's effect on funds (it is reported, not deducted: the account's equity already holds
the options at market).

The parameters (scan ranges, volatility scans, spread charges and credits, short option minimums)
are EXAMPLE magnitudes in ``rules/span.toml``; users override them from the parameter range
(``scan.ES=22000``, ``inter.ES-NQ=0.85``). The building blocks :func:`scanning_risk`,
:func:`calendar_spread_margin` and :func:`inter_spread_credit` expose the published arithmetic on
its own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from xlmargin import rules
from xlmargin._typing import FloatArray
from xlmargin.errors import InputError, MissingDataError, Problem, RuleError, UnsupportedError
from xlmargin.params import AS_OF, RATE, Param, today_if_missing, with_defaults
from xlmargin.positions import Portfolio, Position
from xlmargin.pricing import implied_volatility, option_price
from xlmargin.rules import RuleSet

BASES = ("maintenance", "initial")
FUTURES_TYPES = ("future", "future_option")
MONTH_CODES = "FGHJKMNQUVXZ"  # exchange month codes, January to December
_DELTA_BUMP = 1e-4  # relative bump of the futures price for an option's finite-difference delta
_MIN_PRICE_FRACTION = 1e-9  # a scenario price at or below zero is floored at this fraction of the price
_PER_ROOT = ("scan", "vol_scan", "intra", "short_option_minimum")


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """Contract months ``first_month..last_month`` (counted from the valuation month, 0 = this month)
    scanned at ``scan`` dollars per contract; spreads between two months of the tier are charged
    ``intra`` dollars each. An untiered product has one tier with no month bounds (``None``)."""

    first_month: int | None
    last_month: int | None
    scan: float
    intra: float

    def covers(self, month: int | None) -> bool:
        if self.first_month is None or self.last_month is None:
            return True
        return month is not None and self.first_month <= month <= self.last_month


@dataclass(frozen=True)
class TierSpread:
    """Spreads between tier ``first`` and tier ``second`` (0-based) are charged ``charge`` dollars each."""

    first: int
    second: int
    charge: float


@dataclass(frozen=True)
class Product:
    """One root's SPAN parameters: contract terms and the ranges and charges of its combined commodity."""

    root: str
    name: str
    point_value: float  # dollars per point of the quoted price, per contract
    vol_scan: float  # relative change of implied volatility (0.35: IV × 1.35 and IV × 0.65)
    short_option_minimum: float  # dollars per short option contract
    tiers: tuple[Tier, ...]
    tier_spreads: tuple[TierSpread, ...] = ()

    @property
    def scan(self) -> float:
        """The price scan range of an untiered product (the first tier's for a tiered one)."""
        return self.tiers[0].scan

    def tier_of(self, month: int | None) -> int | None:
        for i, tier in enumerate(self.tiers):
            if tier.covers(month):
                return i
        return None


@dataclass(frozen=True)
class InterSpread:
    """An inter-commodity spread: ``ratio[0]`` of ``legs[0]`` against ``ratio[1]`` of ``legs[1]``.

    Spreads pair a long leg with a short one; ``credit`` is the fraction of each leg's price risk given back.
    """

    id: str
    legs: tuple[str, str]
    ratio: tuple[float, float]
    credit: float


@dataclass(frozen=True)
class SpanSettings:
    """Everything a SPAN calculation needs besides the positions, resolved from the rule file and
    the user's overrides."""

    as_of: dt.date
    products: Mapping[str, Product]
    inter: tuple[InterSpread, ...]
    rate: float = 0.0
    basis: str = "maintenance"
    hrp: bool = True
    initial_multiple: float = 1.0
    price_steps: int = 3
    extreme_multiple: float = 2.0
    extreme_cover: float = 0.35
    lookahead_days: float = 1.0
    currency: str = "USD"
    rule_set_id: str = ""


def _root_keys(table: Mapping[str, Any]) -> list[str]:
    return [k for k in table if k not in ("source", "confidence", "notes")]


def span_params(rule_set: RuleSet) -> tuple[Param, ...]:
    """The parameters of the futures-margin functions for a SPAN rule set (one per overridable value)."""
    scenarios = rule_set["scenarios"]
    accounts = rule_set["accounts"]
    params: list[Param] = [
        AS_OF,
        RATE,
        Param(
            "basis",
            "choice",
            "maintenance",
            "which requirement the function returns: maintenance (default) or initial",
            choices=BASES,
        ),
        Param(
            "hrp",
            "bool",
            True,
            "TRUE (default): a heightened-risk-profile (speculator) account, initial = "
            f"{accounts['hrp_initial_multiple']:g} × maintenance; FALSE: hedger, initial = "
            f"{accounts['non_hrp_initial_multiple']:g} × maintenance",
        ),
        Param(
            "initial_multiple",
            "number",
            None,
            "initial margin as a multiple of maintenance; default from span.toml by the hrp switch",
            minimum=1.0,
            maximum=10.0,
        ),
        Param(
            "extreme_multiple",
            "number",
            None,
            "extreme move as a multiple of the price scan range; default "
            f"{scenarios['extreme_multiple']:g} from span.toml",
            minimum=0.0,
            maximum=10.0,
        ),
        Param(
            "extreme_cover",
            "number",
            None,
            "fraction of the extreme-move P&L that counts; default "
            f"{scenarios['extreme_cover']:g} from span.toml",
            minimum=0.0,
            maximum=1.0,
        ),
        Param(
            "lookahead_days",
            "number",
            None,
            "calendar days of time decay in the risk array; default "
            f"{scenarios['lookahead_days']:g} from span.toml",
            minimum=0.0,
            maximum=30.0,
        ),
    ]
    helps = {
        "scan": ("price scan range, {ccy} per contract", 0.0, math.inf),
        "vol_scan": ("volatility scan range, relative (0.35 = IV × 1.35 and × 0.65)", 0.0, 0.99),
        "intra": ("calendar spread charge, {ccy} per spread", 0.0, math.inf),
        "short_option_minimum": ("short option minimum, {ccy} per short option", 0.0, math.inf),
    }
    ccy = rule_set.get("currency.margin")
    for table, (text, low, high) in helps.items():
        for root in _root_keys(rule_set[table]):
            params.append(
                Param(
                    f"{table}.{root}",
                    "number",
                    None,
                    f"{root}: {text.format(ccy=ccy)}; EXAMPLE default {rule_set[table][root]:g} "
                    "from span.toml (illustrative, CME changes it daily)",
                    minimum=low,
                    maximum=None if math.isinf(high) else high,
                )
            )
    for spread in rule_set["inter"]:
        params.append(
            Param(
                f"inter.{spread['id']}",
                "number",
                None,
                f"inter-commodity credit {spread['legs'][0]}:{spread['legs'][1]} at "
                f"{spread['ratio'][0]:g}:{spread['ratio'][1]:g}; EXAMPLE default {spread['credit']:g} "
                "from span.toml",
                minimum=0.0,
                maximum=1.0,
            )
        )
    return tuple(params)


SPAN_PARAMS: tuple[Param, ...] = span_params(rules.load("span"))
"""Every parameter the futures-margin functions accept, with its help text."""


def span_settings(params: Mapping[str, Any], today: dt.date, rule_set: RuleSet | None = None) -> SpanSettings:
    """Settings from ``read_params(range, SPAN_PARAMS)`` output; ``as_of`` defaults to ``today``.

    Missing names take their defaults (the rule file's values), so a Python caller may pass only
    what it changes. ``rule_set`` replaces the shipped ``span.toml`` (tests, house files).
    """
    rule_set = rule_set or rules.load("span")
    values = with_defaults(params, SPAN_PARAMS if rule_set is rules.load("span") else span_params(rule_set))
    overrides = {name: float(v) for name, v in values.items() if "." in name and v is not None}
    scenarios = rule_set["scenarios"]
    accounts = rule_set["accounts"]
    hrp = bool(values["hrp"])
    multiple = values["initial_multiple"]
    if multiple is None:
        multiple = accounts["hrp_initial_multiple"] if hrp else accounts["non_hrp_initial_multiple"]
    steps = scenarios["price_steps"]
    if not isinstance(steps, int) or steps < 1:
        raise RuleError(f"span.toml: scenarios.price_steps must be a positive whole number, got {steps!r}")
    return SpanSettings(
        as_of=today_if_missing(values, today),
        products=MappingProxyType(_products(rule_set, overrides)),
        inter=_inter_spreads(rule_set, overrides),
        rate=float(values["rate"]),
        basis=str(values["basis"]),
        hrp=hrp,
        initial_multiple=float(multiple),
        price_steps=steps,
        extreme_multiple=float(_given(values, "extreme_multiple", scenarios)),
        extreme_cover=float(_given(values, "extreme_cover", scenarios)),
        lookahead_days=float(_given(values, "lookahead_days", scenarios)),
        currency=str(rule_set.get("currency.margin")),
        rule_set_id=rule_set.id,
    )


def _given(values: Mapping[str, Any], name: str, table: Mapping[str, Any]) -> Any:
    return table[name] if values[name] is None else values[name]


def _products(rule_set: RuleSet, overrides: Mapping[str, float]) -> dict[str, Product]:
    names = rule_set["names"]
    tiered = rule_set.get("tiers") if "tiers" in rule_set else {}
    tier_spreads = rule_set.get("tier_spreads") if "tier_spreads" in rule_set else {}
    products = {}
    for root in _root_keys(rule_set["point_value"]):
        value: dict[str, float] = {}
        for table in _PER_ROOT:
            if table in ("scan", "intra") and root in tiered:
                continue
            if root not in rule_set[table]:
                raise RuleError(f"span.toml: product {root} has no entry in [{table}]")
            value[table] = float(overrides.get(f"{table}.{root}", rule_set[table][root]))
        if root in tiered:
            tiers, spreads = _tiers(root, tiered[root], tier_spreads.get(root, ()))
        else:
            tiers = (Tier(None, None, value["scan"], value["intra"]),)
            spreads = ()
        point_value = float(rule_set["point_value"][root])
        if point_value <= 0:
            raise RuleError(f"span.toml: point_value.{root} must be positive")
        if not 0.0 <= value["vol_scan"] < 1.0:
            raise RuleError(f"span.toml: vol_scan.{root} must be at least 0 and below 1")
        products[root] = Product(
            root=root,
            name=str(names[root]) if root in names else root,
            point_value=point_value,
            vol_scan=value["vol_scan"],
            short_option_minimum=value["short_option_minimum"],
            tiers=tiers,
            tier_spreads=spreads,
        )
    return products


def _tiers(root: str, tiers: Any, spreads: Any) -> tuple[tuple[Tier, ...], tuple[TierSpread, ...]]:
    """A tiered product's tiers and tier spreads from the rule file (tiers numbered from 1 there)."""
    try:
        built = tuple(
            Tier(int(t["months"][0]), int(t["months"][1]), float(t["scan"]), float(t["intra"])) for t in tiers
        )
        pairs = tuple(
            TierSpread(int(s["tiers"][0]) - 1, int(s["tiers"][1]) - 1, float(s["charge"])) for s in spreads
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RuleError(
            f"span.toml: the tiers of {root} are malformed ({exc!r}); see the format in the file"
        ) from None
    if not built or any(not 0 <= s.first < len(built) or not 0 <= s.second < len(built) for s in pairs):
        raise RuleError(
            f"span.toml: {root} needs at least one tier, and its tier spreads must name its tiers"
        )
    return built, pairs


def _inter_spreads(rule_set: RuleSet, overrides: Mapping[str, float]) -> tuple[InterSpread, ...]:
    known = set(_root_keys(rule_set["point_value"]))
    out = []
    for spread in rule_set["inter"]:
        legs = (str(spread["legs"][0]), str(spread["legs"][1]))
        ratio = (float(spread["ratio"][0]), float(spread["ratio"][1]))
        if not set(legs) <= known:
            raise RuleError(f"span.toml: inter spread {spread['id']} names a product without contract terms")
        if min(ratio) <= 0:
            raise RuleError(f"span.toml: inter spread {spread['id']} needs a positive ratio")
        credit = float(overrides.get(f"inter.{spread['id']}", spread["credit"]))
        out.append(InterSpread(str(spread["id"]), legs, ratio, credit))
    return tuple(out)


# --- the scenarios -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One risk-array scenario: the price moves ``fraction`` × the scan range, volatility moves by
    ``vol_direction`` × the volatility scan range, and the P&L counts at ``weight``."""

    number: int
    label: str
    fraction: float
    vol_direction: int
    weight: float


def scenarios(price_steps: int, extreme_multiple: float, extreme_cover: float) -> tuple[Scenario, ...]:
    """The risk-array scenarios in CME's order (16 for ``price_steps`` = 3).

    Price unchanged, then up and down by each step ``k/price_steps`` of the range, each with volatility
    up then down; then the extreme move up and down (volatility unchanged) at ``extreme_cover``.
    """
    out: list[Scenario] = []

    def add(fraction: float, vol: int, weight: float, label: str) -> None:
        out.append(Scenario(len(out) + 1, label, fraction, vol, weight))

    for vol, word in ((1, "up"), (-1, "down")):
        add(0.0, vol, 1.0, f"price unchanged, volatility {word}")
    for k in range(1, price_steps + 1):
        for sign, move in ((1, "up"), (-1, "down")):
            for vol, word in ((1, "up"), (-1, "down")):
                add(sign * k / price_steps, vol, 1.0, f"price {move} {k}/{price_steps}, volatility {word}")
    for sign, move in ((1, "up"), (-1, "down")):
        add(
            sign * extreme_multiple,
            0,
            extreme_cover,
            f"extreme {move} ({extreme_multiple:g} × range, {extreme_cover:.0%} counted)",
        )
    return tuple(out)


# --- building blocks: the published arithmetic ------------------------------------------------------


def scanning_risk(arrays: Iterable[Sequence[float]]) -> float:
    """Scanning risk from P&L risk arrays (gains positive), one per position as held.

    The arrays are summed scenario by scenario; the scanning risk is the worst loss of the sum,
    ``max(0, −min_s Σ pnl[s])`` (zero when no scenario loses).
    """
    rows = [list(a) for a in arrays]
    if not rows:
        raise InputError(Problem("scanning risk needs at least one risk array"))
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        raise InputError(Problem("the risk arrays must have the same, non-zero number of scenarios"))
    try:
        stacked = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(Problem("a risk array holds a value that is not a number")) from None
    if not np.isfinite(stacked).all():
        raise InputError(Problem("a risk array holds a value that is not a finite number"))
    return max(0.0, -float(stacked.sum(axis=0).min()))


def calendar_spread_margin(
    long_month_margin: float, short_month_margin: float, spread_charge: float, spreads: float = 1.0
) -> float:
    """Margin of ``spreads`` calendar spreads (long one month, short another) of one product.

    CME "Spread calculations": each month scans at its own outright margin, so a spread's scanning
    risk is the difference ``|long − short|``; the intra-commodity charge is added per spread:
    ``spreads × (|long − short| + spread_charge)``.
    """
    for name, value in (
        ("long month margin", long_month_margin),
        ("short month margin", short_month_margin),
        ("spread charge", spread_charge),
        ("spreads", spreads),
    ):
        _check_money(name, value)
    return spreads * (abs(long_month_margin - short_month_margin) + spread_charge)


def inter_spread_credit(
    outright_margins: Sequence[float], ratio: Sequence[float], credit: float, spreads: float = 1.0
) -> float:
    """Credit of ``spreads`` inter-commodity spreads formed at ``ratio`` (contracts of each leg).

    CME "Spread calculations": each leg gets ``credit`` of its outright margin back on the contracts
    in the spreads: ``credit × spreads × Σ ratio_i × outright_i``.
    """
    if len(outright_margins) != len(ratio) or not ratio:
        raise InputError(Problem("give one outright margin per leg of the ratio"))
    for value in (*outright_margins, *ratio, spreads):
        _check_money("an inter spread input", value)
    if not 0.0 <= credit <= 1.0:
        raise InputError(Problem(f"the credit is a fraction between 0 and 1, got {credit}"))
    return credit * spreads * sum(r * m for r, m in zip(ratio, outright_margins, strict=True))


def _check_money(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError(Problem(f"{name} must be a non-negative number, got {value!r}"))


# --- the engine ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterSpreadResult:
    """Spreads formed for one recognised pair and the credit each leg received."""

    id: str
    legs: tuple[str, str]
    ratio: tuple[float, float]
    spreads: float
    credit_rate: float
    credits: tuple[float, float]


@dataclass(frozen=True)
class CommodityLine:
    """One combined commodity: its summed risk array and the SPAN steps that build its requirement.

    ``maintenance = max(scanning_risk + intra_charge − inter_credit, short_option_minimum)``.
    """

    root: str
    name: str
    rows: tuple[int, ...]
    pnl: tuple[float, ...]  # summed risk array, gains positive, in scenario order
    scanning_risk: float
    worst_scenario: int  # 1-based scenario number of the worst P&L
    net_delta: float  # futures-equivalent contracts
    price_risk: float  # the scanning risk less time and volatility risk
    intra_charge: float
    inter_credit: float
    short_option_minimum: float
    net_option_value: float  # long options at market less short options at market
    maintenance: float
    initial: float


@dataclass(frozen=True)
class SpanResult:
    """The futures requirement: per combined commodity lines, the spreads formed, and the totals.

    ``requirement`` is ``maintenance`` unless the settings ask for ``initial``.
    """

    lines: tuple[CommodityLine, ...]
    spreads: tuple[InterSpreadResult, ...]
    scenarios: tuple[Scenario, ...]
    basis: str
    currency: str
    maintenance: float
    initial: float
    net_option_value: float
    gross_notional: float  # Σ |qty| × point value × futures price (options: their underlying future)

    @property
    def requirement(self) -> float:
        return self.initial if self.basis == "initial" else self.maintenance

    def table(self) -> list[list[Any]]:
        """One row per combined commodity and a total row, header first; money in cents."""
        rows: list[list[Any]] = [
            [
                "combined commodity",
                "name",
                "positions",
                "net delta",
                "scanning risk",
                "worst scenario",
                "intra spread charge",
                "inter spread credit",
                "short option minimum",
                "net option value",
                f"maintenance ({self.currency})",
                f"initial ({self.currency})",
            ]
        ]
        for line in self.lines:
            worst = self.scenarios[line.worst_scenario - 1]
            rows.append(
                [
                    line.root,
                    line.name,
                    float(len(line.rows)),
                    _round(line.net_delta, 4),
                    _cents(line.scanning_risk),
                    f"{worst.number}: {worst.label}",
                    _cents(line.intra_charge),
                    _cents(line.inter_credit),
                    _cents(line.short_option_minimum),
                    _cents(line.net_option_value),
                    _cents(line.maintenance),
                    _cents(line.initial),
                ]
            )
        rows.append(
            [
                "total",
                "",
                float(sum(len(line.rows) for line in self.lines)),
                "",
                _cents(sum(line.scanning_risk for line in self.lines)),
                "",
                _cents(sum(line.intra_charge for line in self.lines)),
                _cents(sum(line.inter_credit for line in self.lines)),
                "",
                _cents(self.net_option_value),
                _cents(self.maintenance),
                _cents(self.initial),
            ]
        )
        return rows

    def scenarios_table(self) -> list[list[Any]]:
        """The summed risk array of every combined commodity, one row per scenario, header first."""
        rows: list[list[Any]] = [
            [
                "scenario",
                "description",
                "price move (× scan range)",
                "volatility",
                "weight",
                *(line.root for line in self.lines),
            ]
        ]
        for s in self.scenarios:
            vol = {1: "up", -1: "down", 0: "unchanged"}[s.vol_direction]
            rows.append(
                [
                    float(s.number),
                    s.label,
                    _round(s.fraction, 6),
                    vol,
                    _round(s.weight, 6),
                    *(_cents(line.pnl[s.number - 1]) for line in self.lines),
                ]
            )
        return rows


def _cents(value: float) -> float:
    """Money rounded to cents, without a negative zero."""
    return round(float(value), 2) + 0.0


def _round(value: float, digits: int) -> float:
    return round(float(value), digits) + 0.0


@dataclass(frozen=True)
class _Leg:
    """A validated position with its product, month and tier."""

    position: Position
    product: Product
    month: int | None
    tier: int
    sigma: float  # options: the volatility used (given or implied); futures: NaN


def futures_margin(portfolio: Portfolio, settings: SpanSettings) -> SpanResult:
    """The SPAN-style requirement of a book of futures and options on futures (see the module doc).

    Every row must be a future or a future option on a root with parameters: any other row is an
    :class:`UnsupportedError` naming it, never skipped.
    """
    legs = _legs(portfolio, settings)
    scen = scenarios(settings.price_steps, settings.extreme_multiple, settings.extreme_cover)
    by_root: dict[str, list[_Leg]] = {}
    for leg in legs:
        by_root.setdefault(leg.product.root, []).append(leg)
    pnl = {root: _risk_array(group, scen, settings) for root, group in by_root.items()}
    deltas = {root: _month_deltas(group, settings) for root, group in by_root.items()}

    partial = {}
    for root, group in by_root.items():
        product = group[0].product
        scan = max(0.0, -float(pnl[root].min()))
        net_delta = sum(deltas[root].values())
        time_risk = max(0.0, -(pnl[root][0] + pnl[root][1]) / 2.0)
        vol_risk = abs(pnl[root][0] - pnl[root][1]) / 2.0
        price_risk = max(0.0, scan - time_risk - vol_risk)
        partial[root] = (product, scan, net_delta, price_risk, _intra_charge(product, deltas[root]))

    spreads, credits = _inter_credits(settings.inter, partial)
    lines = []
    for root, group in by_root.items():
        product, scan, net_delta, price_risk, intra = partial[root]
        shorts = sum(
            -leg.position.quantity for leg in group if leg.position.is_option and leg.position.quantity < 0
        )
        som = product.short_option_minimum * shorts
        maintenance = max(scan + intra - credits.get(root, 0.0), som)
        nov = sum(
            p.quantity * product.point_value * p.price for p in (leg.position for leg in group) if p.is_option
        )
        lines.append(
            CommodityLine(
                root=root,
                name=product.name,
                rows=tuple(leg.position.row for leg in group),
                pnl=tuple(float(x) for x in pnl[root]),
                scanning_risk=scan,
                worst_scenario=int(np.argmin(pnl[root])) + 1,
                net_delta=net_delta,
                price_risk=price_risk,
                intra_charge=intra,
                inter_credit=credits.get(root, 0.0),
                short_option_minimum=som,
                net_option_value=nov,
                maintenance=maintenance,
                initial=maintenance * settings.initial_multiple,
            )
        )
    maintenance = sum(line.maintenance for line in lines)
    gross = sum(
        abs(leg.position.quantity)
        * leg.product.point_value
        * (leg.position.underlying_price if leg.position.is_option else leg.position.price)
        for leg in legs
    )
    return SpanResult(
        lines=tuple(lines),
        spreads=tuple(spreads),
        scenarios=scen,
        basis=settings.basis,
        currency=settings.currency,
        maintenance=maintenance,
        initial=maintenance * settings.initial_multiple,
        net_option_value=sum(line.net_option_value for line in lines),
        gross_notional=gross,
    )


def _legs(portfolio: Portfolio, settings: SpanSettings) -> list[_Leg]:
    """Validate every row; raise once per kind of problem (unsupported rows first)."""
    unsupported: list[Problem] = []
    bad: list[Problem] = []
    missing: list[Problem] = []
    legs = []
    known = ", ".join(settings.products)
    for p in portfolio:
        if p.type not in FUTURES_TYPES:
            unsupported.append(
                Problem(
                    f"a {p.type} is not a futures position: futures margin takes futures "
                    "and options on futures only",
                    p.row,
                    "type",
                )
            )
            continue
        found = _product_of(p, settings)
        if found is None:
            what = (
                f"the underlying '{p.underlying}' (give the future, e.g. ESZ6)"
                if p.is_option
                else f"'{p.symbol}'"
            )
            unsupported.append(
                Problem(f"no SPAN parameters for {what}; known roots: {known}", p.row, "symbol")
            )
            continue
        product, month = found
        if p.multiplier not in (1.0, product.point_value):
            bad.append(
                Problem(
                    f"{product.root} is {product.point_value:g} {settings.currency} per point in "
                    f"span.toml; the multiplier says {p.multiplier:g}",
                    p.row,
                    "multiplier",
                )
            )
        if p.currency is not None and p.currency != settings.currency:
            bad.append(
                Problem(
                    f"{product.root} is margined in {settings.currency}, not {p.currency}", p.row, "currency"
                )
            )
        if month is not None and month < 0:
            bad.append(
                Problem(f"the contract month is {-month} month(s) before the valuation date", p.row, "symbol")
            )
            continue
        tier = product.tier_of(month)
        if tier is None:
            where = "a contract month (e.g. ESZ6)" if month is None else f"month {month} in a tier"
            missing.append(
                Problem(f"{product.root} has tiered scan ranges: the row needs {where}", p.row, "symbol")
            )
            continue
        legs.append(
            _Leg(p, product, month, tier, _volatility(p, settings, missing) if p.is_option else math.nan)
        )
    for kind, problems in ((UnsupportedError, unsupported), (InputError, bad), (MissingDataError, missing)):
        if problems:
            raise kind(problems)
    return legs


def _volatility(p: Position, settings: SpanSettings, missing: list[Problem]) -> float:
    """An option's volatility: the row's, else implied from its price with the same kernel (an option
    expiring today is worth its intrinsic value whatever the volatility)."""
    if not math.isnan(p.volatility):
        return p.volatility
    if p.expiry_years <= 0:
        return 0.0
    if p.price > 0:
        implied = float(
            np.asarray(
                implied_volatility(
                    p.price,
                    p.underlying_price,
                    p.strike,
                    p.expiry_years,
                    settings.rate,
                    0.0,
                    p.is_call,
                    p.style == "american",
                    on_future=True,
                )
            )
        )
        if math.isfinite(implied) and implied > 0:
            return implied
    missing.append(
        Problem(
            f"no volatility given, and none reproduces the price {p.price:g}; give the volatility",
            p.row,
            "volatility",
        )
    )
    return math.nan


def _product_of(p: Position, settings: SpanSettings) -> tuple[Product, int | None] | None:
    """The product and contract month of a row: a future from its symbol (then underlying), an
    option from its underlying (then symbol); ``ESZ6`` is root ES, December of the year ending in 6."""
    codes = (p.underlying, p.symbol) if p.is_option else (p.symbol, p.underlying)
    for code in codes:
        found = _parse_code(code.replace(" ", ""), settings)
        if found is not None:
            product, month = found
            if month is None and p.is_option and p.expiry is not None:
                month = _month_index(p.expiry.year, p.expiry.month, settings.as_of)
            return product, month
    return None


def _parse_code(code: str, settings: SpanSettings) -> tuple[Product, int | None] | None:
    for root in sorted(settings.products, key=len, reverse=True):
        if not code.startswith(root):
            continue
        rest = code[len(root) :]
        if not rest:
            return settings.products[root], None
        if len(rest) in (2, 3) and rest[0] in MONTH_CODES and rest[1:].isdigit():
            month = MONTH_CODES.index(rest[0]) + 1
            return settings.products[root], _contract_month(month, rest[1:], settings.as_of)
    return None


def _contract_month(month: int, year_digits: str, as_of: dt.date) -> int:
    """Months from the valuation month to the contract month; one year digit means the first year
    ending in it whose contract month has not passed (``Z6`` on 2026-11-20 is December 2026)."""
    if len(year_digits) == 2:
        year = 2000 + int(year_digits)
    else:
        year = as_of.year - as_of.year % 10 + int(year_digits)
        if (year, month) < (as_of.year, as_of.month):
            year += 10
    return _month_index(year, month, as_of)


def _month_index(year: int, month: int, as_of: dt.date) -> int:
    return (year - as_of.year) * 12 + (month - as_of.month)


def _risk_array(group: list[_Leg], scen: tuple[Scenario, ...], settings: SpanSettings) -> FloatArray:
    """Summed P&L of a combined commodity's positions in each scenario (gains positive)."""
    fraction = np.array([s.fraction for s in scen])
    weight = np.array([s.weight for s in scen])
    total = np.zeros(len(scen))
    for leg in group:
        if not leg.position.is_option:
            scan = leg.product.tiers[leg.tier].scan
            total += leg.position.quantity * scan * fraction * weight
    options = [leg for leg in group if leg.position.is_option]
    if options:
        total += _option_pnl(options, scen, settings).sum(axis=0)
    return total


def _option_pnl(options: list[_Leg], scen: tuple[Scenario, ...], settings: SpanSettings) -> FloatArray:
    """P&L (rows: options, columns: scenarios) of options on futures revalued with the Black-76 kernel."""
    pos = [leg.position for leg in options]
    futures = np.array([p.underlying_price for p in pos])[:, None]
    strike = np.array([p.strike for p in pos])[:, None]
    years = np.array([p.expiry_years for p in pos])[:, None]
    is_call = np.array([p.is_call for p in pos])[:, None]
    american = np.array([p.style == "american" for p in pos])[:, None]
    sigma = np.array([leg.sigma for leg in options])[:, None]
    point = np.array([leg.product.point_value for leg in options])[:, None]
    points = np.array([leg.product.tiers[leg.tier].scan for leg in options])[:, None] / point
    vol_scan = np.array([leg.product.vol_scan for leg in options])[:, None]
    qty = np.array([p.quantity for p in pos])[:, None]
    fraction = np.array([s.fraction for s in scen])[None, :]
    vol_dir = np.array([s.vol_direction for s in scen])[None, :]
    weight = np.array([s.weight for s in scen])[None, :]

    later = np.maximum(years - settings.lookahead_days / 365.0, 0.0)
    moved = np.maximum(futures + fraction * points, futures * _MIN_PRICE_FRACTION)
    sigmas = sigma * (1.0 + vol_dir * vol_scan)
    value = option_price(moved, strike, later, settings.rate, 0.0, sigmas, is_call, american, on_future=True)
    base = option_price(futures, strike, years, settings.rate, 0.0, sigma, is_call, american, on_future=True)
    return np.asarray(qty * point * (value - base) * weight, dtype=np.float64)


def _delta(leg: _Leg, settings: SpanSettings) -> float:
    """Futures-equivalent delta per contract: 1 for a future, a central difference for an option."""
    p = leg.position
    if not p.is_option:
        return 1.0
    bump = p.underlying_price * _DELTA_BUMP
    prices = np.array([p.underlying_price + bump, p.underlying_price - bump])
    values = option_price(
        prices,
        p.strike,
        p.expiry_years,
        settings.rate,
        0.0,
        leg.sigma,
        p.is_call,
        p.style == "american",
        on_future=True,
    )
    values = np.asarray(values, dtype=np.float64)
    return float((values[0] - values[1]) / (2.0 * bump))


def _month_deltas(group: list[_Leg], settings: SpanSettings) -> dict[tuple[int, int | None], float]:
    """Net futures-equivalent delta per (tier, contract month)."""
    out: dict[tuple[int, int | None], float] = {}
    for leg in group:
        delta = _delta(leg, settings)
        key = (leg.tier, leg.month)
        out[key] = out.get(key, 0.0) + leg.position.quantity * delta
    return out


def _intra_charge(product: Product, deltas: Mapping[tuple[int, int | None], float]) -> float:
    """Calendar spread charge: spreads within each tier, then between tiers in priority order."""
    charge = 0.0
    net = [0.0] * len(product.tiers)
    for t, tier in enumerate(product.tiers):
        longs = sum(d for (k, _), d in deltas.items() if k == t and d > 0)
        shorts = -sum(d for (k, _), d in deltas.items() if k == t and d < 0)
        charge += min(longs, shorts) * tier.intra
        net[t] = longs - shorts
    for spread in product.tier_spreads:
        a, b = net[spread.first], net[spread.second]
        if a * b < 0:
            n = min(abs(a), abs(b))
            charge += n * spread.charge
            net[spread.first] -= math.copysign(n, a)
            net[spread.second] -= math.copysign(n, b)
    return charge


def _inter_credits(
    inter: tuple[InterSpread, ...], partial: Mapping[str, tuple[Product, float, float, float, float]]
) -> tuple[list[InterSpreadResult], dict[str, float]]:
    """Inter-commodity spreads formed on the remaining net deltas, in priority order, and the credits."""
    remaining = {root: values[2] for root, values in partial.items()}
    per_delta = {
        root: (values[3] / abs(values[2]) if abs(values[2]) > 0 else 0.0) for root, values in partial.items()
    }
    credits: dict[str, float] = {}
    formed = []
    for spread in inter:
        a, b = spread.legs
        if a not in remaining or b not in remaining or remaining[a] * remaining[b] >= 0:
            continue
        n = min(abs(remaining[a]) / spread.ratio[0], abs(remaining[b]) / spread.ratio[1])
        leg_credits = (
            spread.credit * n * spread.ratio[0] * per_delta[a],
            spread.credit * n * spread.ratio[1] * per_delta[b],
        )
        for root, ratio, credit in zip(spread.legs, spread.ratio, leg_credits, strict=True):
            credits[root] = credits.get(root, 0.0) + credit
            remaining[root] -= math.copysign(n * ratio, remaining[root])
        formed.append(InterSpreadResult(spread.id, spread.legs, spread.ratio, n, spread.credit, leg_credits))
    return formed, credits


__all__ = [
    "SPAN_PARAMS",
    "CommodityLine",
    "InterSpread",
    "InterSpreadResult",
    "Product",
    "Scenario",
    "SpanResult",
    "SpanSettings",
    "Tier",
    "TierSpread",
    "calendar_spread_margin",
    "futures_margin",
    "inter_spread_credit",
    "scanning_risk",
    "scenarios",
    "span_params",
    "span_settings",
]
