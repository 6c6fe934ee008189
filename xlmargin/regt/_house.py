"""A broker's house rates for short uncovered options (``house.options``; ``regt.toml [house_options.*]``).

margin-rules.md §0.5: the effective requirement is the greatest of Reg T, the FINRA/exchange minimum
and the house's. Each entry of a house's table names the naked options it covers (underlying classes,
rights, and whether only options on an index) and its rates: the main and floor percentages of the
naked formula (in place of [naked.*]'s) and a minimum in dollars per share. A covered option takes the
greater of FINRA's figure and the house's (:func:`~xlmargin.regt._formulas.naked_per_share`).

An option is on an index when its class is an index class and its underlying is not a fund of
``symbols.toml [funds]`` (SPY is class highcap_index, but its options are on a fund's shares and
physically settled; every listed index option is cash-settled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xlmargin.errors import RuleError
from xlmargin.rules import RuleSet
from xlmargin.symbols import funds


@dataclass(frozen=True, slots=True)
class HouseRate:
    """One entry of a house table: the naked options it covers and what it charges them."""

    classes: frozenset[str]
    rights: frozenset[str]  # "C", "P"
    index_only: bool  # only options on an index (not on a fund of symbols.toml [funds])
    rates: tuple[float, float, float] | None  # (pct, call floor pct, put floor pct); None: none
    min_per_share: float  # dollars per share (0: none)

    def covers(self, asset_class: str, right: str | None, on_index: bool) -> bool:
        return asset_class in self.classes and right in self.rights and (on_index or not self.index_only)


@dataclass(frozen=True, slots=True)
class HouseOptions:
    """The house table ``house.options`` chooses: its entries, and whether a credit spread's naked
    requirement on the short leg (margin-rules.md §1.4) takes the house figure (``spreads``)."""

    name: str  # as the breakdown names it ("tastytrade")
    spreads: bool
    entries: tuple[HouseRate, ...]
    index_only: bool  # whether any entry needs to know an option is on an index


def house_options(rules: RuleSet) -> HouseOptions | None:
    """The house table ``house.options`` names ("none": None); an unknown house is a
    :class:`RuleError` that lists the known ones."""
    house = str(rules.get("house.options"))
    if house == "none":
        return None
    houses = rules["house_options"]
    if house not in houses:
        raise RuleError(f"house.options must be one of none, {', '.join(houses)}; got '{house}'")
    table = houses[house]
    every = frozenset(rules["naked"])  # the classes of [naked.*], for an entry covering "all"
    entries = tuple(_entry(t, every) for t in table.values() if isinstance(t, Mapping))
    return HouseOptions(
        str(table["name"]), bool(table["spreads"]), entries, any(e.index_only for e in entries)
    )


def _entry(t: Mapping[str, Any], every: frozenset[str]) -> HouseRate:
    rates = (float(t["pct"]), float(t["call_floor_pct"]), float(t["put_floor_pct"])) if "pct" in t else None
    return HouseRate(
        every if t["classes"] == "all" else frozenset(t["classes"]),
        frozenset(t["rights"]),
        bool(t["index_only"]),
        rates,
        float(t.get("min_per_share", 0.0)),
    )


def on_index(underlying: str) -> bool:
    """Whether an option of an index class is on the index itself, not on a fund's shares."""
    return underlying not in funds()
