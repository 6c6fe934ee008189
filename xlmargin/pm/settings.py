"""The parameters of the portfolio-margin functions, and the frozen settings the engine takes.

Users give parameters as name/value pairs (``read_params`` against :data:`PM_PARAMS`); the engine
takes a :class:`PMSettings`. House-layer sizes and the minimum's scope are stored in
``rules/pm.toml``: a parameter left blank means "the rule file's value", and one that is given
becomes an override of that rule for this calculation only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from xlmargin import rules
from xlmargin.house_bonds import HOUSE_BONDS, REGT_BOND_TERMS, house_terms
from xlmargin.params import AS_OF, RATE, Param, today_if_missing, with_defaults

HOUSE_LAYERS = ("volatility", "extreme", "concentration", "initial")
MINIMUM_SCOPES = ("class_group", "account")

# parameter name -> (dotted rule path in pm.toml, help, minimum, maximum, a rate: '%' taken)
_RULE_PARAMS: dict[str, tuple[str, str, float, float, bool]] = {
    "house.vol_up": ("house.volatility.up", "relative rise of every IV (0.15 = IV × 1.15)", 0.0, 5.0, True),
    "house.vol_down": (
        "house.volatility.down",
        "relative fall of every IV (0.15 = IV × 0.85)",
        0.0,
        0.95,
        True,
    ),
    "house.extreme_multiple": (
        "house.extreme.multiple",
        "extreme move as a multiple of the range",
        1.0,
        6.0,
        False,
    ),
    "house.extreme_cover": (
        "house.extreme.cover",
        "fraction of the extreme-move P&L that counts",
        0.0,
        1.0,
        True,
    ),
    "house.concentration_count": (
        "house.concentration.count",
        "how many riskiest class groups take the large move",
        0.0,
        1000.0,
        False,
    ),
    "house.concentration_move": (
        "house.concentration.move",
        "the riskiest class groups' move, up and down",
        0.0,
        0.95,
        True,
    ),
    "house.concentration_other_move": (
        "house.concentration.other_move",
        "every other class group's move, up and down",
        0.0,
        0.95,
        True,
    ),
    "house.initial_multiple": (
        "house.initial.multiple",
        "initial margin as a multiple of maintenance",
        1.0,
        10.0,
        False,
    ),
}


def _build_params() -> tuple[Param, ...]:
    pm = rules.load("pm")
    params: list[Param] = [
        AS_OF,
        RATE,
        Param(
            "equity",
            "number",
            None,
            "account equity in dollars; when given, the result flags the FINRA 4210(g) minimum-equity "
            f"eligibility (${pm.get('account.minimum_equity'):,.0f})",
        ),
        Param(
            "minimum_scope",
            "choice",
            None,
            "where the $0.375 × multiplier per-contract minimum applies: class_group (OCC TIMS reading) or "
            f"account (margin-rules §2.7 step 6); default {pm.get('minimum.scope')} from pm.toml",
            choices=MINIMUM_SCOPES,
        ),
        Param(
            "house",
            "bool",
            False,
            "turn on every house layer (a broker's model, not a regulation): volatility shifts, extreme "
            "moves, concentration scan, initial multiple",
        ),
        HOUSE_BONDS,
    ]
    layer_help = {
        "volatility": "house layer: shift every implied volatility up and down at each price point",
        "extreme": "house layer: extreme moves (a multiple of the range) counted at a cover fraction",
        "concentration": "house layer: the riskiest class groups at a large move, all others at a small one",
        "initial": "house layer: initial margin = a multiple of the maintenance requirement",
    }
    for layer in HOUSE_LAYERS:
        params.append(
            Param(f"house.{layer}", "bool", None, f"{layer_help[layer]}; default: the 'house' switch")
        )
    for name, (path, text, low, high, rate) in _RULE_PARAMS.items():
        params.append(
            Param(
                name,
                "number",
                None,
                f"{text}; default {pm.get(path):g} from pm.toml",
                minimum=low,
                maximum=high,
                rate=rate,
            )
        )
    for group in pm["product_groups"]:
        params.append(
            Param(
                f"offset.{group['id']}",
                "number",
                None,
                f"offset of the {group['name']} product group ({', '.join(group['class_groups'])}): "
                f"fraction of a class group's gain set against the others' losses; default "
                f"{group['offset']:g} from pm.toml, unconfirmed [{group['confidence']}]",
                minimum=0.0,
                maximum=1.0,
                rate=True,
            )
        )
    params.extend(REGT_BOND_TERMS)  # the unconfirmed [L] terms of the Reg T bond rule the bonds outside take
    return tuple(params)


PM_PARAMS: tuple[Param, ...] = _build_params()
"""Every parameter the portfolio-margin functions accept, with its help text."""


@dataclass(frozen=True)
class PMSettings:
    """What a portfolio-margin calculation needs besides the positions and the rule file.

    ``rule_overrides`` maps dotted paths of ``pm.toml`` to the user's values (house sizes, the
    minimum's scope); ``offsets`` maps product-group ids to the user's offset fractions;
    ``house_bonds`` the Reg T house bond table the bonds outside portfolio margin take and
    ``bond_terms`` the unconfirmed [L] terms of that bond rule given (:mod:`xlmargin.house_bonds`).
    """

    as_of: dt.date
    rate: float = 0.0
    equity: float | None = None
    house_layers: frozenset[str] = frozenset()
    rule_overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    offsets: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    house_bonds: str = str(HOUSE_BONDS.default)
    bond_terms: tuple[tuple[str, Any], ...] = ()  # the Reg T bond rule's [L] terms given (REGT_BOND_TERMS)

    @property
    def house(self) -> bool:
        """True when any house layer is on: the requirement is then the house figure."""
        return bool(self.house_layers)


def pm_settings(params: Mapping[str, Any], today: dt.date) -> PMSettings:
    """Settings from ``read_params(range, PM_PARAMS)`` output; ``as_of`` defaults to ``today``.

    Missing names take their defaults, so a Python caller may pass only what it changes. A house
    layer is on when its own switch is TRUE, or when it is left blank and ``house`` is TRUE.
    """
    values = with_defaults(params, PM_PARAMS)
    master = bool(values["house"])
    layers = frozenset(
        layer for layer in HOUSE_LAYERS
        if (master if values[f"house.{layer}"] is None else bool(values[f"house.{layer}"]))
    )  # fmt: skip
    overrides: dict[str, Any] = {
        path: float(values[name]) for name, (path, *_) in _RULE_PARAMS.items() if values[name] is not None
    }
    if values["minimum_scope"] is not None:
        overrides["minimum.scope"] = str(values["minimum_scope"])
    offsets = {
        name.removeprefix("offset."): float(value)
        for name, value in values.items()
        if name.startswith("offset.") and value is not None
    }
    equity = values["equity"]
    _, bond_terms = house_terms(values, REGT_BOND_TERMS)  # a house table's term under another refused
    return PMSettings(
        as_of=today_if_missing(values, today),
        rate=float(values["rate"]),
        equity=None if equity is None else float(equity),
        house_layers=layers,
        rule_overrides=MappingProxyType(overrides),
        offsets=MappingProxyType(offsets),
        house_bonds=str(values[HOUSE_BONDS.name]),
        bond_terms=bond_terms,
    )


__all__ = ["HOUSE_LAYERS", "MINIMUM_SCOPES", "PM_PARAMS", "PMSettings", "pm_settings"]
