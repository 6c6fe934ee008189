"""The futures-margin parameters (:data:`SPAN_PARAMS`) and the settings resolved from ``span.toml``.

Every default of :class:`SpanSettings` is read from the rule file, so that the dataclass, the
parameter help and the engine cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from xlmargin import rules
from xlmargin.errors import InputError, Problem, RuleError
from xlmargin.params import AS_OF, RATE, Param, today_if_missing, with_defaults
from xlmargin.rules import RuleSet

BASES = ("maintenance", "initial")
_PER_ROOT = ("scan", "vol_scan", "intra", "short_option_minimum")
_DELIVERY_REACH = 20  # a delivery start at most this many business days from the contract month's first


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
    # the delivery period's first day, in business days from the first business day of the contract
    # month (span.toml [delivery]); None: no delivery period (a cash-settled product)
    delivery_start: int | None = None

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
    """An inter-commodity spread: ``ratio[i]`` contracts of ``legs[i]`` for each leg (two or more).

    ``sides[i]`` is +1 or −1: a spread holds the legs of one side the same way and the legs of the
    other side the opposite way (two legs: one long, one short; a soybean crush: soybeans against
    meal and oil). ``credits[i]`` is the fraction of leg i's price risk given back; SPAN may give
    each leg its own rate (soybeans 55%, meal and oil 70%).
    """

    id: str
    legs: tuple[str, ...]
    ratio: tuple[float, ...]
    credits: tuple[float, ...]
    sides: tuple[int, ...]

    @property
    def credit(self) -> float:
        """The credit rate when every leg has the same one, else the largest."""
        return max(self.credits)


def _shipped(path: str) -> Any:
    """A value of the shipped ``span.toml`` (the defaults of :class:`SpanSettings`)."""
    return rules.load("span").get(path)


@dataclass(frozen=True)
class SpanSettings:
    """Everything a SPAN calculation needs besides the positions, resolved from the rule file and
    the user's overrides.

    Defaults are the shipped ``span.toml``'s: a heightened-risk-profile account (``hrp``), so
    ``initial_multiple`` is ``[accounts] hrp_initial_multiple``; :func:`span_settings` resolves
    them from whichever rule set it is given.
    """

    as_of: dt.date
    products: Mapping[str, Product]
    inter: tuple[InterSpread, ...]
    rate: float = 0.0
    basis: str = BASES[0]
    hrp: bool = True
    initial_multiple: float = field(default_factory=lambda: float(_shipped("accounts.hrp_initial_multiple")))
    price_steps: int = field(default_factory=lambda: int(_shipped("scenarios.price_steps")))
    extreme_multiple: float = field(default_factory=lambda: float(_shipped("scenarios.extreme_multiple")))
    extreme_cover: float = field(default_factory=lambda: float(_shipped("scenarios.extreme_cover")))
    lookahead_days: float = field(default_factory=lambda: float(_shipped("scenarios.lookahead_days")))
    currency: str = field(default_factory=lambda: str(_shipped("currency.margin")))
    rule_set_id: str = field(default_factory=lambda: rules.load("span").id)


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
            rate=True,
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
    # table -> (help, minimum, maximum, a rate: '%' taken; the others are amounts in the currency)
    helps = {
        "scan": ("price scan range, {ccy} per contract", 0.0, math.inf, False),
        "vol_scan": ("volatility scan range, relative (0.35 = IV × 1.35 and × 0.65)", 0.0, 0.99, True),
        "intra": ("calendar spread charge, {ccy} per spread", 0.0, math.inf, False),
        "short_option_minimum": ("short option minimum, {ccy} per short option", 0.0, math.inf, False),
    }
    ccy = rule_set.get("currency.margin")
    for table, (text, low, high, rate) in helps.items():
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
                    rate=rate,
                )
            )
    delivery = rule_set.get("delivery") if "delivery" in rule_set else {}
    for root in _root_keys(delivery):
        params.append(
            Param(
                f"delivery.{root}",
                "number",
                None,
                f"{root}: first day of the delivery period (no inter-commodity credit from then on), in "
                "business days from the first business day of the contract month (0 that day, -1 first "
                f"notice day); default {delivery[root]:g} from span.toml",
                minimum=-_DELIVERY_REACH,
                maximum=_DELIVERY_REACH,
            )
        )
    for spread in rule_set["inter"]:
        credit = spread["credit"]
        rates = ", ".join(f"{c:g}" for c in credit) if isinstance(credit, list | tuple) else f"{credit:g}"
        params.append(
            Param(
                f"inter.{spread['id']}",
                "number",
                None,
                f"inter-commodity credit {':'.join(map(str, spread['legs']))} at "
                f"{':'.join(f'{r:g}' for r in spread['ratio'])}, one rate for every leg; EXAMPLE "
                f"default {rates} from span.toml",
                minimum=0.0,
                maximum=1.0,
                rate=True,
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
    delivery = _delivery_starts(rule_set, overrides)
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
            delivery_start=delivery.get(root),
        )
    products.update(_micros(rule_set, products))
    return products


def _micros(rule_set: RuleSet, standards: Mapping[str, Product]) -> dict[str, Product]:
    """The micro contracts of span.toml ``[micro]`` (``root = [standard, fraction]``): each its
    standard (as the user's parameters left it) scaled by ``fraction`` in point value, scan ranges,
    calendar spread charges and short option minimum; the relative volatility scan and the delivery
    period unchanged."""
    table = rule_set.get("micro") if "micro" in rule_set else {}
    names = rule_set["names"]
    out = {}
    for root in _root_keys(table):
        entry = table[root]
        pair = isinstance(entry, list | tuple) and len(entry) == 2
        standard = standards.get(str(entry[0])) if pair else None
        fraction = entry[1] if standard is not None else None
        if root in standards or standard is None:
            raise RuleError(f"span.toml: micro.{root} must be [a standard product of the file, a fraction]")
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
            raise RuleError(f"span.toml: micro.{root} needs a fraction between 0 and 1, got {fraction!r}")
        out[root] = dataclasses.replace(
            standard,
            root=root,
            name=str(names[root]) if root in names else root,
            point_value=standard.point_value * fraction,
            short_option_minimum=standard.short_option_minimum * fraction,
            tiers=tuple(
                dataclasses.replace(t, scan=t.scan * fraction, intra=t.intra * fraction)
                for t in standard.tiers
            ),
            tier_spreads=tuple(
                dataclasses.replace(s, charge=s.charge * fraction) for s in standard.tier_spreads
            ),
        )
    return out


def _delivery_starts(rule_set: RuleSet, overrides: Mapping[str, float]) -> dict[str, int]:
    """Each physically delivered product's delivery start (span.toml [delivery], or the parameter
    ``delivery.<root>``): a whole number of business days; a product not listed has none."""
    table = rule_set.get("delivery") if "delivery" in rule_set else {}
    known = set(_root_keys(rule_set["point_value"]))
    out = {}
    for root in _root_keys(table):
        if root not in known:
            raise RuleError(f"span.toml: [delivery] names {root}, a product without contract terms")
        value = table[root]
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _DELIVERY_REACH:
            raise RuleError(
                f"span.toml: delivery.{root} must be a whole number of business days from "
                f"-{_DELIVERY_REACH} to {_DELIVERY_REACH}, got {value!r}"
            )
        given = overrides.get(f"delivery.{root}", float(value))
        if not float(given).is_integer():
            raise InputError(
                Problem(f"delivery.{root} is a whole number of business days, got {given:g}", None, "params")
            )
        out[root] = int(given)
    return out


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
    """The [[inter]] spreads: ``legs`` and ``ratio`` of one length (two or more), ``credit`` one
    rate or one per leg, ``sides`` ("A"/"B" per leg; default A, B for two legs); the parameter
    ``inter.<id>`` gives every leg one rate."""
    known = set(_root_keys(rule_set["point_value"]))
    out = []
    for spread in rule_set["inter"]:
        sid = str(spread["id"])
        legs = tuple(str(leg) for leg in spread["legs"])
        ratio = tuple(float(r) for r in spread["ratio"])
        if len(legs) < 2 or len(ratio) != len(legs) or len(set(legs)) != len(legs):
            raise RuleError(f"span.toml: inter spread {sid} needs two or more distinct legs, one ratio each")
        if not set(legs) <= known:
            raise RuleError(f"span.toml: inter spread {sid} names a product without contract terms")
        if min(ratio) <= 0:
            raise RuleError(f"span.toml: inter spread {sid} needs a positive ratio")
        given = overrides.get(f"inter.{sid}", spread["credit"])
        many = isinstance(given, list | tuple)
        credits = tuple(float(c) for c in given) if many else (float(given),) * len(legs)
        if len(credits) != len(legs) or not all(0.0 <= c <= 1.0 for c in credits):
            raise RuleError(f"span.toml: inter spread {sid} needs one credit or one per leg, from 0 to 1")
        names = spread.get("sides", ["A", "B"] if len(legs) == 2 else None)
        if names is None or len(names) != len(legs) or set(names) != {"A", "B"}:
            raise RuleError(f'span.toml: inter spread {sid} needs sides, "A" or "B" per leg, both used')
        sides = tuple(1 if side == "A" else -1 for side in names)
        out.append(InterSpread(sid, legs, ratio, credits, sides))
    return tuple(out)
