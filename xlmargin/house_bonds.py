"""Reg T's house layers ``house.bonds`` and ``house.options``, read one way by every path that computes Reg T.

``house.bonds`` chooses a broker's house table for Treasuries over FINRA 4210(e)(2)'s bond minimum
(``regt.toml [house_bonds.*]``; the greater of the two applies, margin-rules.md §0.5, §1.8).
:data:`HOUSE_BONDS` is its one spec, :func:`regt_rules` the one rule set it chooses: REGT_MARGIN
and REGT_BREAKDOWN, the account view (its securities segment under Reg T), the decisions' ``regt``
regimes, MAX_NOTIONAL and the batch all take it from here, and so do the bonds portfolio margin
leaves outside (margined by the Reg T engine's bond rule: ``PMSettings.house_bonds``).

``house.options`` chooses a broker's house rates for short uncovered options over the naked
requirement of Cboe 10.3 / FINRA 4210(f)(2)(D) (``regt.toml [house_options.*]``; the greater applies,
margin-rules.md §0.5, §1.3): :data:`HOUSE_OPTIONS`, read by the same paths through the same rule set
(portfolio margin reads it nowhere: it margins no option by the Reg T rule).

The unconfirmed [L] terms of ``regt.toml`` are parameters read by the same paths beside it
(:data:`REGT_UNCONFIRMED`, generated from the file by :mod:`xlmargin.unconfirmed`):
:func:`regt_rules_of` makes the one rule set of the two house choices and those given.

This module loads the rule file and nothing else, so the worksheet layer may import it at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from xlmargin import rules
from xlmargin.errors import InputError, Problem
from xlmargin.params import Param
from xlmargin.unconfirmed import overrides, unconfirmed_params

HOUSE_BONDS = Param(
    "house.bonds",
    "choice",
    "none",
    "a broker's house table for Treasuries over FINRA 4210(e)(2)'s bond minimum, the greater applying "
    "(regt.toml [house_bonds.*]; Reg T, and the bonds portfolio margin margins outside): none "
    "(default, FINRA's alone) or ibkr (IBKR's 1/2/3/4/5/7/9% by maturity)",
    choices=("none", *rules.load("regt")["house_bonds"]),
)


HOUSE_OPTIONS = Param(
    "house.options",
    "choice",
    "none",
    "a broker's house rates for short uncovered options over Cboe 10.3 / FINRA 4210's naked requirement, "
    "the greater applying (regt.toml [house_options.*]; Reg T, and so the account view's Reg T securities "
    "and the decisions): none (default, FINRA's alone), tastytrade ($2.50/share floor on every naked "
    "option; 25%/15% for index options), optionshouse (20% for index options) or fidelity (25%/15% for "
    "equity puts)",
    choices=("none", *rules.load("regt")["house_options"]),
)


REGT_UNCONFIRMED: tuple[Param, ...] = unconfirmed_params(rules.load("regt"))
"""The unconfirmed [L] terms of ``regt.toml`` as parameters (blank: the file's value)."""

REGT_BOND_TERMS: tuple[Param, ...] = tuple(
    s for s in REGT_UNCONFIRMED if s.name.split(".")[0] in ("fixed_income", "house_bonds")
)
"""Those of the bond rule's tables: read also by portfolio margin, whose bonds the Reg T rule margins."""

REGT_RULE_PARAMS: tuple[Param, ...] = (HOUSE_BONDS, HOUSE_OPTIONS, *REGT_UNCONFIRMED)
"""Every parameter that changes the Reg T rule set: what :func:`regt_rules_of` reads."""


@cache
def regt_rules(
    house: str = "none", unconfirmed: tuple[tuple[str, Any], ...] = (), options: str = "none"
) -> rules.RuleSet:
    """The Reg T rule set with ``house.bonds`` set to ``house``, ``house.options`` to ``options``
    and the [L] terms ``unconfirmed`` (name, value) given: the shipped one for ``none`` and none
    given. Made once per choice, so every path pairs under the very same rules (and shares the
    pairing cache)."""
    shipped = rules.load("regt")
    changed: dict[str, Any] = {} if house == "none" else {"house.bonds": house}
    if options != "none":
        changed["house.options"] = options
    changed |= overrides(shipped, dict(unconfirmed))
    return shipped.with_overrides(changed) if changed else shipped


def given_terms(values: Mapping[str, Any], specs: tuple[Param, ...]) -> tuple[tuple[str, Any], ...]:
    """The (name, value) of each of ``specs`` given in ``values`` (absent or None: not given)."""
    return tuple((s.name, values[s.name]) for s in specs if values.get(s.name) is not None)


def house_terms(
    values: Mapping[str, Any], specs: tuple[Param, ...] = REGT_UNCONFIRMED
) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """(``house.bonds``, the [L] terms of ``specs`` given) of a params block's values (absent or None:
    the file's). A house table's term given while ``house.bonds`` chooses another house is an
    :class:`InputError`: it would change nothing."""
    house = str(values.get(HOUSE_BONDS.name) or HOUSE_BONDS.default)
    given = given_terms(values, specs)
    unread = [
        n for n, _ in given if n.startswith("house_bonds.") and not n.startswith(f"house_bonds.{house}.")
    ]
    if unread:
        raise InputError(
            [
                Problem(f"{n} is read only with house.bonds = {n.split('.')[1]} (given: {house})")
                for n in unread
            ]
        )
    return house, given


def house_options(values: Mapping[str, Any]) -> str:
    """``house.options`` of a params block's values (absent or None: ``none``)."""
    return str(values.get(HOUSE_OPTIONS.name) or HOUSE_OPTIONS.default)


def regt_rules_of(values: Mapping[str, Any], specs: tuple[Param, ...] = REGT_UNCONFIRMED) -> rules.RuleSet:
    """The Reg T rule set of a params block's values (:func:`house_terms`, :func:`house_options`)."""
    return regt_rules(*house_terms(values, specs), house_options(values))
