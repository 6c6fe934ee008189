"""How one instrument moves: the factor (and beta) or duration profile a position's symbol maps to.

Classification looks only at an instrument's kind, symbol, underlying, class and ``factor``
override, so it is cached per distinct instrument, not per row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from xlmargin import instruments
from xlmargin.stress.factors import factor_index, factors, stress_rules

LINEAR, DURATION, BOND, FX, CASH, NONE = range(6)


@dataclass(frozen=True, slots=True)
class Model:
    """How one instrument moves: a factor and beta, or a duration profile, or a special kind."""

    kind: int
    group: str
    factor: int = -1
    beta: float = 1.0
    duration: float = math.nan
    convexity: float = 0.0
    maturity: float = math.nan
    spread: int = -1  # spread factor added to a duration instrument's yield move
    rate_factor: int = -1  # a single rate factor chosen with the `factor` column (no curve)
    multiplier: float = math.nan  # futures-table multiplier
    note: str = ""  # why an instrument is not stressed
    problem: str = ""  # an input error
    column: str = "factor"  # the column the input error names


def _group_of(factor: int) -> str:
    return factors()[factor].group


def _override(name: str) -> Model:
    """The model a ``factor`` column chooses: a price factor (beta 1) or a single rate factor."""
    f = factor_index().get(name)
    if f is None or factors()[f].unit == "points":
        known = ", ".join(x.id for x in factors() if x.unit != "points")
        return Model(NONE, "", problem=f"'{name}' is not a factor a position can follow; known: {known}")
    if factors()[f].unit == "bp":
        return Model(DURATION, _group_of(f), rate_factor=f)
    return Model(LINEAR, _group_of(f), factor=f)


def _future(symbol: str, underlying: str) -> Model:
    """A future by its root (``stress.toml [instruments.futures]``): rates, a currency or a price factor."""
    spec = instruments.future_spec(symbol) or instruments.future_spec(underlying)
    if spec is None:
        return Model(NONE, "", note="unknown futures root (not in stress.toml [instruments.futures])")
    if spec.factor == "rates":
        return Model(
            DURATION,
            "rates",
            duration=spec.duration,
            convexity=spec.convexity,
            maturity=spec.maturity_years,
            multiplier=spec.multiplier,
        )
    name = spec.factor
    if spec.factor == "currency":
        name = instruments.currency_factor(spec.currency or "") or ""
        if not name:
            return Model(NONE, "", note=f"{spec.currency} has no risk factor")
    f = factor_index()[name]
    return Model(LINEAR, _group_of(f), factor=f, multiplier=spec.multiplier)


def _listed(names: tuple[str, str]) -> Model | None:
    """A bond ETF or a symbol of ``[mapping.symbols]`` (the symbol first, then its underlying)."""
    for name in names:
        etf = instruments.bond_etf(name)
        if etf is not None:
            spread = factor_index()[etf.spread_factor] if etf.spread_factor else -1
            return Model(
                DURATION,
                "credit" if spread >= 0 else "rates",
                duration=etf.duration,
                convexity=etf.convexity,
                maturity=etf.maturity_years,
                spread=spread,
            )
    symbols = stress_rules().get("mapping.symbols")
    for name in names:
        row = symbols.get(name)
        if isinstance(row, Mapping):
            f = factor_index()[row["factor"]]
            return Model(LINEAR, _group_of(f), factor=f, beta=float(row.get("beta", 1.0)))
    return None


@cache
def _by_class(asset_class: str) -> Model:
    """The fallback: the factor ``[mapping.classes]`` names for the class, or the yield curve by
    duration where it names ``duration`` (government paper).

    Cached, so every instrument of a class shares one (immutable) Model: ``build_book`` gathers the
    models' fields once per distinct Model object."""
    target = stress_rules().get("mapping.classes").get(asset_class)
    if target == "duration":
        return Model(DURATION, "rates")
    if isinstance(target, str):
        f = factor_index()[target]
        return Model(LINEAR, _group_of(f), factor=f)
    return Model(NONE, "", note=f"no risk factor for class {asset_class}")


_SPECIAL = {"cash": Model(CASH, "fx"), "fx": Model(FX, "fx"), "bond": Model(BOND, "rates")}


@cache
def classify(kind: str, symbol: str, underlying: str, asset_class: str, override: str | None) -> Model:
    """The model of one instrument (for an option: of its underlying, with ``kind`` stock or future)."""
    if kind == "bond" and asset_class in _refused_bonds():
        return Model(
            NONE,
            "",
            problem=f"the risk view has no model for {asset_class.replace('_', ' ')} bonds (it reprices "
            "a bond on the Treasury curve only: no credit spread, no equity link; "
            "stress.toml [mapping.bonds])",
            column="class",
        )
    if kind in _SPECIAL:
        return _SPECIAL[kind]
    if override:
        return _override(override)
    names = (underlying, symbol)
    if any(n in _unmodelled() for n in names):
        return Model(
            NONE, "", note="volatility products are not modelled (the vix factor moves option IVs only)"
        )
    if kind == "future":
        return _future(symbol, underlying)
    return _listed(names) or _by_class(asset_class)


@cache
def _refused_bonds() -> frozenset[str]:
    return frozenset(str(s) for s in stress_rules().get("mapping.bonds.refused_classes"))


@cache
def _unmodelled() -> frozenset[str]:
    return frozenset(str(s) for s in stress_rules().get("mapping.unmodelled.symbols"))
