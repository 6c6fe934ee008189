"""The per-position rules of Reg T / FINRA 4210 / Cboe 10.3, each quoted beside its formula.

Every number comes from the rule file (``xlmargin/rules/regt.toml``), read once into
:class:`RegTRules`. Money is in the positions' currency; option prices are per share, so a
contract's value is ``price × multiplier``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from xlmargin.errors import RuleError
from xlmargin.positions import Portfolio, Position
from xlmargin.regt._house import HouseOptions, house_options, on_index
from xlmargin.rules import RuleSet


@dataclass(frozen=True, slots=True)
class Figures:
    """What a group needs: the rule's margin, its long options' cost, its short options' proceeds."""

    margin: float = 0.0
    long_cost: float = 0.0
    short_proceeds: float = 0.0

    def __mul__(self, k: float) -> Figures:
        return Figures(self.margin * k, self.long_cost * k, self.short_proceeds * k)

    @property
    def gross(self) -> float:
        """FINRA's figure: a net debit is paid, a net credit is not applied."""
        return self.margin + max(self.long_cost - self.short_proceeds, 0.0)

    @property
    def net(self) -> float:
        """Cboe's "cash to add": the short proceeds applied against margin and long cost."""
        return self.margin + self.long_cost - self.short_proceeds

    def cost(self, net_of_proceeds: bool) -> float:
        return self.net if net_of_proceeds else self.gross


@dataclass(frozen=True, slots=True)
class NakedRates:
    pct: float
    call_floor_pct: float
    put_floor_pct: float
    put_floor_on_underlying: bool


@dataclass(frozen=True, slots=True)
class HouseBonds:
    """A broker's house table for one bond class (regt.toml [house_bonds.<house>.<class>]): the
    same shape as FINRA's, applied beside it (the greater of the two, margin-rules.md §0.5)."""

    name: str  # as the breakdown names it ("IBKR house Treasury table")
    buckets: tuple[tuple[float, float, float], ...]
    zero_coupon: tuple[float, float] | None  # (fraction of face, from years to maturity)


@dataclass(frozen=True, slots=True)
class RegTRules:
    """The numbers of one Reg T rule file, typed; a missing entry is a RuleError when loading."""

    id: str
    long_initial: float
    long_maintenance: float
    short_initial: float
    short_maintenance: float
    short_maintenance_per_share: float
    low_price_threshold: float
    short_low_maintenance: float
    short_low_maintenance_per_share: float
    leverage_cap: float
    paid_in_full: float
    long_dated_months: int
    long_dated_initial: float
    long_dated_maintenance: float
    long_dated_classes: frozenset[str]
    naked: Mapping[str, NakedRates]
    house_options: HouseOptions | None  # the house table chosen by house.options (none: None)
    long_expires_on_or_after_short: bool
    straddle_same_expiry: bool
    condor_equal_wings: bool
    long_condor_equal_wings: bool
    covered_call_at_most_strike: bool
    covered_call_initial_at_most_strike: bool
    protective_put_strike_pct: float
    protective_put_stock_pct: float
    collar_strike_pct: float
    collar_call_strike_pct: float
    protective_call_strike_pct: float
    conversion_strike_pct: float
    conversion_add_call_itm: bool
    reversal_add_put_itm: bool
    short_box_recognised: bool
    fixed_income: Mapping[str, tuple[tuple[float, float, float], ...]]
    zero_coupon: Mapping[str, tuple[float, float]]  # class -> (fraction of face, from years to maturity)
    principal: Mapping[str, float]  # class -> fraction of face its requirement is at least
    like_equity: frozenset[str]  # bond classes margined like equity (convertibles)
    house_bonds: Mapping[str, HouseBonds]  # class -> the house table chosen by house.bonds (none: empty)
    minimum_equity: float
    special_naked_fraction: float  # a naked option's special leg: this × s (÷ 2)
    max_candidates: int
    exhaustive_legs: int
    nearest_strikes: int
    time_limit_seconds: float

    @staticmethod
    def of(rules: RuleSet) -> RegTRules:
        g = rules.get
        naked = {
            name: NakedRates(
                float(t["pct"]),
                float(t["call_floor_pct"]),
                float(t["put_floor_pct"]),
                bool(t.get("put_floor_on_underlying", False)),
            )
            for name, t in rules["naked"].items()
        }
        fixed = {
            name: tuple((float(a), float(b), float(c)) for a, b, c in t.get("buckets", ()))
            for name, t in rules["fixed_income"].items()
        }
        principal = {
            name: float(t["principal_pct"])
            for name, t in rules["fixed_income"].items()
            if "principal_pct" in t
        }
        like_equity = frozenset(name for name, t in rules["fixed_income"].items() if t.get("like_equity"))
        zero = {
            name: (float(t["zero_coupon_face_pct"]), float(t["zero_coupon_min_years"]))
            for name, t in rules["fixed_income"].items()
            if "zero_coupon_face_pct" in t
        }
        return RegTRules(
            id=rules.id,
            house_bonds=_house_bonds(rules),
            long_initial=float(g("equity.long_initial")),
            long_maintenance=float(g("equity.long_maintenance")),
            short_initial=float(g("equity.short_initial")),
            short_maintenance=float(g("equity.short_maintenance")),
            short_maintenance_per_share=float(g("equity.short_maintenance_per_share")),
            low_price_threshold=float(g("equity.low_price_threshold")),
            short_low_maintenance=float(g("equity.short_low_maintenance")),
            short_low_maintenance_per_share=float(g("equity.short_low_maintenance_per_share")),
            leverage_cap=float(g("leveraged_etf.cap")),
            paid_in_full=float(g("long_option.paid_in_full")),
            long_dated_months=int(g("long_option.long_dated_months")),
            long_dated_initial=float(g("long_option.long_dated_initial")),
            long_dated_maintenance=float(g("long_option.long_dated_maintenance")),
            long_dated_classes=frozenset(g("long_option.long_dated_classes")),
            naked=naked,
            house_options=house_options(rules),
            long_expires_on_or_after_short=bool(g("spread.long_expires_on_or_after_short")),
            straddle_same_expiry=bool(g("straddle.same_expiry_required")),
            condor_equal_wings=bool(g("iron_condor.equal_wings_required")),
            long_condor_equal_wings=bool(g("long_condor.equal_wings_required")),
            covered_call_at_most_strike=bool(g("covered_call.maintenance_stock_at_most_strike")),
            covered_call_initial_at_most_strike=bool(g("covered_call.initial_loan_at_most_strike")),
            protective_put_strike_pct=float(g("protective_put.strike_pct")),
            protective_put_stock_pct=float(g("protective_put.stock_pct")),
            collar_strike_pct=float(g("collar.strike_pct")),
            collar_call_strike_pct=float(g("collar.call_strike_pct")),
            protective_call_strike_pct=float(g("protective_call.strike_pct")),
            conversion_strike_pct=float(g("conversion.strike_pct")),
            conversion_add_call_itm=bool(g("conversion.add_call_itm")),
            reversal_add_put_itm=bool(g("reversal.add_put_itm")),
            short_box_recognised=bool(g("box.short_recognised")),
            fixed_income=fixed,
            zero_coupon=zero,
            principal=principal,
            like_equity=like_equity,
            minimum_equity=float(g("account.minimum_equity")),
            special_naked_fraction=float(g("special_maintenance.naked_leg_fraction")),
            max_candidates=int(g("pairing.max_candidates")),
            exhaustive_legs=int(g("pairing.exhaustive_legs")),
            nearest_strikes=int(g("pairing.nearest_strikes")),
            time_limit_seconds=float(g("pairing.time_limit_seconds")),
        )

    def levered(self, pct: float, leverage: float) -> float:
        """Leveraged ETFs: "percentages × the leverage factor, capped" (IBKR; Cboe for options).
        An inverse fund's factor counts by its size; a factor below 1 never lowers a percentage."""
        factor = max(abs(leverage), 1.0)
        return min(pct * factor, self.leverage_cap) if factor != 1.0 else pct


def _house_bonds(rules: RuleSet) -> dict[str, HouseBonds]:
    """The bond tables of the house ``house.bonds`` names ("none": none); an unknown house is a
    :class:`RuleError` that lists the known ones."""
    house = str(rules.get("house.bonds"))
    if house == "none":
        return {}
    houses = rules["house_bonds"]
    if house not in houses:
        raise RuleError(f"house.bonds must be one of none, {', '.join(houses)}; got '{house}'")
    return {
        name: HouseBonds(
            str(t["name"]),
            tuple((float(a), float(b), float(c)) for a, b, c in t["buckets"]),
            (float(t["zero_coupon_face_pct"]), float(t["zero_coupon_min_years"]))
            if "zero_coupon_face_pct" in t
            else None,
        )
        for name, t in houses[house].items()
    }


def pct(x: float) -> str:
    """A fraction as the rules print it: 0.2 → '20%', 0.0075 → '0.75%'."""
    return f"{x * 100:g}%"


def money(x: float) -> str:
    return f"{x:,.2f}"


@functools.lru_cache(maxsize=8192)  # the same strikes and counts recur across a book's rules
def num(x: float) -> str:
    """A count or a strike, without exponent: 1000000 → '1,000,000', 0.5 → '0.5'."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def lev_note(leverage: float) -> str:
    return f" (× {num(abs(leverage))} leverage)" if abs(leverage) != 1.0 else ""


# --- stock -------------------------------------------------------------------------------------


def with_special(rate: float, special: float) -> float:
    """A stock's rate under a house's special maintenance (a fraction of value; NaN: none): the
    greater of the two (margin-rules.md §0.5: the effective requirement is the greatest of Reg T, the
    FINRA minimum and the house's). The special figure is the security's own: it is not levered."""
    return special if special > rate else rate


def special_note(special: float) -> str:
    """The special maintenance in words, for a rule text ("" when none)."""
    if not special > 0.0:
        return ""
    if special >= 1.0:
        return ", special maintenance 100% (not marginable: no loan value)"
    return f", special maintenance {pct(special)}"


def long_stock_rate(r: RegTRules, basis: str, leverage: float, special: float = math.nan) -> float:
    """Long stock: Reg T initial 50% of market value; FINRA 4210(c) maintenance 25%; on both bases
    at least the house's special maintenance (``special``, a fraction; 100%: not marginable)."""
    return with_special(
        r.levered(r.long_initial if basis == "initial" else r.long_maintenance, leverage), special
    )


def short_stock_maintenance(
    r: RegTRules, price: float, leverage: float, special: float = math.nan
) -> tuple[float, str]:
    """FINRA 4210(c), per share: at or above $5 the greater of $5.00 and 30% of market value;
    below $5 the greater of $2.50 and 100% of market value; and at least the house's special
    maintenance × market value."""
    if price >= r.low_price_threshold:
        rate, floor = r.levered(r.short_maintenance, leverage), r.short_maintenance_per_share
        where = f"price ≥ {num(r.low_price_threshold)}"
    else:
        rate, floor = r.levered(r.short_low_maintenance, leverage), r.short_low_maintenance_per_share
        where = f"price < {num(r.low_price_threshold)}"
    text = f"greater of {pct(rate)} of value and {money(floor)}/share ({where})"
    amount = max(rate * price, floor)
    if special > 0.0:
        text = f"greatest of {pct(rate)} of value, {money(floor)}/share ({where}) and {pct(special)} of value"
        text += " (special maintenance)"
        amount = with_special(amount, special * price)
    return amount, text


def short_stock_per_share(
    r: RegTRules, basis: str, price: float, leverage: float, special: float = math.nan
) -> tuple[float, str]:
    """Short stock, beyond the sale proceeds. Initial: Reg T 150% of value including the proceeds
    (50% beyond them), and never less than the maintenance requirement; maintenance: FINRA 4210(c)
    (with the house's special maintenance, if any)."""
    maintenance, text = short_stock_maintenance(r, price, leverage, special)
    if basis == "maintenance":
        return maintenance, text
    rate = r.levered(r.short_initial, leverage)
    return max(rate * price, maintenance), f"greater of {pct(rate)} of value and maintenance ({text})"


def stock_figures(r: RegTRules, basis: str, p: Position) -> tuple[float, str]:
    """A stock row on its own, per share: (requirement, rule text without the share count)."""
    special = p.special_maintenance
    if p.quantity > 0:
        regular = long_stock_rate(r, basis, p.leverage)
        rate = with_special(regular, special)
        rule = "Reg T initial" if basis == "initial" else "FINRA 4210(c) maintenance"
        if special >= 1.0:
            rule = "not marginable: special maintenance 100%, no loan value"
        elif rate == special and special != regular:
            rule = f"special maintenance, above the {rule} {pct(regular)}"
        elif special > 0.0:
            rule = f"{rule}; special maintenance {pct(special)} is not above it"
        return rate * p.price, f"long stock: {pct(rate)} of market value{lev_note(p.leverage)} ({rule})"
    per_share, text = short_stock_per_share(r, basis, p.price, p.leverage, special)
    return per_share, f"short stock, beyond the proceeds: {text}{lev_note(p.leverage)}"


# --- options -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)  # a book's long options all ask for the valuation date's horizon
def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar-month arithmetic: 2026-11-20 + 9 → 2027-08-20; 2026-05-31 + 9 → 2027-02-28."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def long_option_rate(r: RegTRules, basis: str, p: Position, as_of: dt.date) -> tuple[float, str]:
    """Long options (Cboe): nine calendar months or less to expiry, pay 100% of the premium; a listed
    equity or equity-index option with more than nine months: 75% of cost at initial, 75% of market
    value at maintenance (it reverts to 100% once nine months or less remain); an option on another
    underlying (gold, Treasury, commodity, crypto ETFs: ``long_dated_classes``) is paid in full."""
    assert p.expiry is not None  # read_positions gives every option an expiry
    horizon = add_months(as_of, r.long_dated_months)
    if p.expiry > horizon and p.asset_class in r.long_dated_classes:
        rate = r.long_dated_initial if basis == "initial" else r.long_dated_maintenance
        what = "cost" if basis == "initial" else "market value"
        return rate, f"{pct(rate)} of {what} (more than {r.long_dated_months} months to expiry)"
    if p.expiry > horizon:  # long dated, but its underlying is not equity based
        underlying = p.asset_class.replace("_", " ")
        return r.paid_in_full, f"paid in full ({underlying} underlying: no loan value at any expiry)"
    return r.paid_in_full, f"paid in full ({r.long_dated_months} months or less to expiry)"


def otm(p: Position) -> float:
    """Out-of-the-money amount per share, on the underlying price: calls K − S, puts S − K."""
    return max(p.strike - p.underlying_price, 0.0) if p.is_call else max(p.underlying_price - p.strike, 0.0)


def itm(p: Position) -> float:
    """In-the-money amount per share: calls S − K, puts K − S."""
    return max(p.underlying_price - p.strike, 0.0) if p.is_call else max(p.strike - p.underlying_price, 0.0)


def naked_per_share(r: RegTRules, p: Position) -> tuple[float, str]:
    """Short uncovered option, per share (Cboe 10.3 / FINRA 4210(f)(2)(D)): 100% of the option's
    current value plus pct × the underlying, less the out-of-the-money amount, but at least the
    value plus floor pct × the underlying (calls) or × the strike (puts; FX options: the underlying).
    The percentages are those of the underlying's class, times the leverage of a leveraged ETF.
    On an underlying with a house's special maintenance s, the percentage is the greater of the
    class's and s ÷ 2 (margin-rules.md §1.3, "securities with special maintenance"; s is not levered).
    Under a house table (``house.options``) that covers the option, the greater of that figure and
    the house's (:func:`house_naked`; margin-rules.md §0.5)."""
    amount, text = _finra_naked(r, p)
    house = house_naked(r, p)
    if house is None:
        return amount, text
    figure, words = house
    greater = max(amount, figure)
    return greater, f"{text}; {words} = {money(figure)}/share; the greater: {money(greater)}/share"


def _finra_naked(r: RegTRules, p: Position) -> tuple[float, str]:
    """:func:`naked_per_share` without a house table: FINRA's / Cboe's figure and its words."""
    rates = r.naked[p.asset_class]
    rate = r.levered(rates.pct, p.leverage)
    # the house's special maintenance on the underlying: the greatest of the 20% leg, the
    # (special ÷ 2) leg and the 10% leg (margin-rules.md §1.3); both first legs less the OTM amount
    leg_rate = with_special(rate, p.special_maintenance * r.special_naked_fraction)
    floor_pct = rates.call_floor_pct if p.is_call else rates.put_floor_pct
    floor_rate, floor_base, base_name = _floor(r, p, floor_pct, rates.put_floor_on_underlying)
    main = p.price + leg_rate * p.underlying_price - otm(p)
    floor = p.price + floor_rate * floor_base
    amount = max(main, floor)
    legs = pct(leg_rate)
    if p.special_maintenance > 0.0:
        s = pct(p.special_maintenance)
        legs += f" (greater of {pct(rate)} and special maintenance {s} × {r.special_naked_fraction:g})"
    text = (
        f"value + {legs} × underlying − OTM, at least value + {pct(floor_rate)} × {base_name}"
        f"{lev_note(p.leverage)}: max({money(p.price)} + {money(leg_rate * p.underlying_price)} − "
        f"{money(otm(p))}, {money(p.price)} + {money(floor_rate * floor_base)}) = {money(amount)}/share"
    )
    return amount, text


def _floor(r: RegTRules, p: Position, floor_pct: float, on_underlying: bool) -> tuple[float, float, str]:
    """The naked floor's rate (levered), base and the base's name: the underlying for calls (and
    for puts where the class says so, FX options), the strike for puts."""
    if p.is_call or on_underlying:
        return r.levered(floor_pct, p.leverage), p.underlying_price, "underlying"
    return r.levered(floor_pct, p.leverage), p.strike, "strike"


def house_naked(r: RegTRules, p: Position) -> tuple[float, str] | None:
    """The house's figure for a naked option, per share, and its words; None where the house table
    (``house.options``) covers no such option. Each covering entry's rates in :func:`naked_per_share`'s
    formula (no special maintenance: FINRA's figure holds that leg), its minimum per share beside
    them; the greatest of its entries."""
    house = r.house_options
    if house is None:
        return None
    index = on_index(p.underlying) if house.index_only else False
    put_on_underlying = r.naked[p.asset_class].put_floor_on_underlying
    figure, words, floors = -math.inf, [], []
    for entry in house.entries:
        if not entry.covers(p.asset_class, p.right, index):
            continue
        if entry.rates is not None:
            main_pct, call_floor, put_floor = entry.rates
            rate = r.levered(main_pct, p.leverage)
            floor_rate, base, name = _floor(r, p, call_floor if p.is_call else put_floor, put_on_underlying)
            main = p.price + rate * p.underlying_price - otm(p)
            figure = max(figure, main, p.price + floor_rate * base)
            words.append(
                f"value + {pct(rate)} × underlying − OTM, at least value + {pct(floor_rate)} × {name}"
            )
        if entry.min_per_share > 0.0:
            figure = max(figure, entry.min_per_share)
            floors.append(f"at least {money(entry.min_per_share)}/share")
    if not words and not floors:
        return None
    return figure, f"{house.name} house: {', '.join([*words, *floors])}"


def spread_naked(r: RegTRules, p: Position, alone: float) -> float:
    """The naked requirement per share a credit spread's short leg is held to (margin-rules.md §1.4),
    given the leg's own (``alone``, :func:`naked_per_share`): FINRA's, unless the house table
    (``house.options``) says its spreads take its figure."""
    if r.house_options is None or r.house_options.spreads:
        return alone
    return _finra_naked(r, p)[0]


# --- fixed income ------------------------------------------------------------------------------


def bond_rate(r: RegTRules, p: Position) -> tuple[float, str]:
    """FINRA 4210(e)(2): a percentage of market value by remaining maturity, net long or short;
    Reg T calls exempted securities "good faith", so the same figure serves initial and maintenance.
    A class with one bucket (corporate, high yield, municipal) says no maturity."""
    rate, where = _bucket(r.fixed_income[p.asset_class], p.maturity_years)
    return rate, f"{_bond_name(p.asset_class)}{where}: {pct(rate)} of market value (FINRA 4210(e)(2))"


def _bucket(buckets: tuple[tuple[float, float, float], ...], years: float) -> tuple[float, str]:
    """The rate of the bucket ``years`` to maturity falls in, and ", <bucket> to maturity" (blank
    for a table of one bucket): the bucket whose lower bound is the largest one not above the
    maturity, so each lower bound is included; the last is open-ended."""
    low, high, rate = max((b for b in buckets if b[0] <= years), key=lambda b: b[0])
    last = low == max(b[0] for b in buckets)  # open-ended, whatever upper bound the table writes
    bucket = f"{num(low)} years or more" if last else f"{num(low)}–{num(high)} years"
    return rate, f", {bucket} to maturity" if len(buckets) > 1 else ""


def _bond_name(asset_class: str) -> str:
    return f"{asset_class.replace('_', ' ')} bond"


@dataclass(frozen=True, slots=True)
class GivenFace:
    """A bond's face as its row gives it, before :func:`~xlmargin.instruments.in_usd` converted it:
    the signed ``amount`` in its own ``currency``, and ``rate``, the US dollars one unit is worth."""

    amount: float
    currency: str
    rate: float

    def text(self) -> str:
        """``1,000,000 EUR × 1.08``: the face in its currency, and the rate to the dollar."""
        return f"{num(abs(self.amount))} {self.currency} × {self.rate:.10g}"


def given_face(given: Portfolio, converted: Portfolio, i: int) -> GivenFace | None:
    """The face of the bond at index ``i`` as ``given`` holds it, where ``converted`` (its
    :func:`~xlmargin.instruments.in_usd`, at one USD per dollar) has it in US dollars at the row's
    ``fx_rate``; None where the row was not converted."""
    before, after = given.arrays, converted.arrays
    if before["currency"][i] == after["currency"][i]:
        return None
    return GivenFace(float(before["quantity"][i]), str(before["currency"][i]), float(before["fx_rate"][i]))


def bond_requirement(
    r: RegTRules, p: Position, basis: str, given: GivenFace | None = None
) -> tuple[float, str]:
    """A bond's requirement and its rule text: :func:`bond_rate` × its market value, on both bases.
    Where the class has a rule on the principal (the face, the row's quantity: in US dollars, as
    :func:`~xlmargin.instruments.in_usd` converts a bond in another currency), the greater of the
    two: always for ``principal_pct`` (margin-rules.md §1.8, other listed non-equity debt: "greater
    of 20% of market value or 7% of principal"); for a zero-coupon bond (coupon 0; a blank coupon
    is not zero) with at least ``zero_coupon_min_years`` to maturity, ``zero_coupon_face_pct``
    (§1.8: "3% of principal"; IBKR: "max(bucket amount, 3% of face)"). The text says which applied,
    and shows a converted face as the row gives it, times its rate (``given``).
    A class margined like equity (convertibles) takes :func:`equity_like_bond`.
    Where the house (``house.bonds``) has a table for the class, the greater of FINRA's figure and
    the house's (margin-rules.md §0.5: the effective requirement is the greatest of the layers),
    the text naming the house table and showing both."""
    if p.asset_class in r.like_equity:
        return equity_like_bond(r, p, basis)
    amount, text = _finra_bond(r, p, given)
    house = r.house_bonds.get(p.asset_class)
    if house is None:
        return amount, text
    on_house, house_text = _house_bond(house, p, given)
    applied = f"the {house.name}" if on_house > amount else "FINRA 4210(e)(2)"
    return max(amount, on_house), (
        f"greater of FINRA 4210(e)(2) and the {house.name} (house, not a regulation): "
        f"max({money(amount)}, {money(on_house)}) = {money(max(amount, on_house))} ({applied} applied); "
        f"FINRA: {text}; house: {house_text}"
    )


def _finra_bond(r: RegTRules, p: Position, given: GivenFace | None) -> tuple[float, str]:
    """FINRA 4210(e)(2)'s figure for a bond not margined like equity (:func:`bond_requirement`)."""
    rate, text = bond_rate(r, p)
    zero = r.zero_coupon.get(p.asset_class)
    if p.asset_class in r.principal:
        face_pct = r.principal[p.asset_class]
        name = _bond_name(p.asset_class)
        text = f"{name}: greater of {pct(rate)} of market value and {pct(face_pct)} of principal"
        return _on_value_or_face(p, rate, text, (face_pct, "principal"), given)
    if zero is not None and p.coupon == 0.0 and p.maturity_years >= zero[1]:
        text = f"{text}; zero-coupon, {num(zero[1])} years or more: at least {pct(zero[0])} of face"
        return _on_value_or_face(p, rate, text, (zero[0], "face"), given)
    return _on_value_or_face(p, rate, text, None, given)


def _house_bond(house: HouseBonds, p: Position, given: GivenFace | None) -> tuple[float, str]:
    """A house table's figure for a bond: its bucket's share of market value, and for a zero-coupon
    bond from the table's years on, at least its share of the face (as FINRA's line is read)."""
    rate, where = _bucket(house.buckets, p.maturity_years)
    text = f"{house.name}{where}: {pct(rate)} of market value"
    zero = house.zero_coupon
    if zero is not None and p.coupon == 0.0 and p.maturity_years >= zero[1]:
        text = f"{text}; zero-coupon, {num(zero[1])} years or more: at least {pct(zero[0])} of face"
        return _on_value_or_face(p, rate, text, (zero[0], "face"), given)
    return _on_value_or_face(p, rate, text, None, given)


def _on_value_or_face(
    p: Position, rate: float, text: str, face_rule: tuple[float, str] | None, given: GivenFace | None
) -> tuple[float, str]:
    """``rate`` × market value, or with ``face_rule`` (a fraction, and what the face is called) the
    greater of that and the fraction of the face; the text ends with the formula and what applied."""
    value = abs(p.market_value)
    bucket = rate * value
    if face_rule is None:
        return bucket, f"{text}: {money(value)} × {rate:g}"
    face_pct, what = face_rule
    face = abs(p.quantity)
    on_face = face_pct * face
    amount = max(bucket, on_face)
    applied = f"{pct(face_pct)} of {what}" if on_face > bucket else f"{pct(rate)} of market value"
    face_text = num(face) if given is None else given.text()
    formula = f"max({money(value)} × {rate:g}, {face_text} × {face_pct:g})"
    return amount, f"{text}: {formula} = {money(amount)} ({applied} applied)"


def equity_like_bond(r: RegTRules, p: Position, basis: str) -> tuple[float, str]:
    """A convertible bond margined like equity (margin-rules.md §1.8): the stock percentages of its
    market value (:func:`long_stock_rate`; short: Reg T's initial beyond the proceeds, never below
    FINRA 4210(c)'s maintenance). The per-share floors are per share of stock: a bond has none (nor
    a special maintenance: the positions reader refuses one on a bond row)."""
    value = abs(p.market_value)
    if p.quantity > 0:
        rate = long_stock_rate(r, basis, 1.0)
        rule = "Reg T initial" if basis == "initial" else "FINRA 4210(c) maintenance"
        side = "long"
    else:
        rate, rule = r.short_maintenance, "FINRA 4210(c) maintenance"
        if basis == "initial" and r.short_initial > rate:
            rate, rule = r.short_initial, "Reg T initial, never below maintenance"
        side = "short, beyond the proceeds"
    return rate * value, (
        f"{_bond_name(p.asset_class)}, {side}: margined like equity, {pct(rate)} of market value "
        f"({rule}): {money(value)} × {rate:g}"
    )
