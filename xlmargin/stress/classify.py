"""How one instrument moves: the factor (and beta) or duration profile a position's symbol maps to.

Classification looks only at an instrument's kind, symbol, underlying, class (and whether the class
column gave it) and ``factor`` override, so it is cached per distinct instrument, not per row.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from xlmargin import instruments
from xlmargin.errors import RuleError
from xlmargin.positions.model import CLASSES
from xlmargin.stress.factors import entries, factor_index, factors, stress_rules
from xlmargin.symbols import INDEX_TABLES, listed_index

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
    spread_beta: float = 0.0  # times that factor's move (stress.toml: spread_beta beside spread_factor)
    rate_factor: int = -1  # a single rate factor chosen with the `factor` column (no curve)
    multiplier: float = math.nan  # futures-table multiplier
    default: str = ""  # a class default's profile, said in a warning where the row gives no duration
    assumed: str = ""  # a factor assumed for the instrument, said in a warning where the row gives no beta
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
    if spec.factor == "currency":
        return _currency(spec.currency or "", 1.0, spec.multiplier)
    f = factor_index()[spec.factor]
    return Model(LINEAR, _group_of(f), factor=f, multiplier=spec.multiplier)


def _currency(currency: str, beta: float, multiplier: float = math.nan) -> Model:
    """Long ``currency`` against the dollar (a currency future, a currency trust such as FXE): the
    currency's factor (``[instruments.currencies]``), or held constant where it has none, as a
    currency leg in that currency is."""
    name = instruments.currency_factor(currency)
    if not name:
        return Model(NONE, "", note=f"{currency} has no risk factor")
    f = factor_index()[name]
    return Model(LINEAR, _group_of(f), factor=f, beta=beta, multiplier=multiplier)


def _listed(names: tuple[str, str]) -> Model | None:
    """A bond ETF or a symbol of ``[mapping.symbols]`` (the symbol first, then its underlying): a
    factor, or a ``currency`` held against the dollar (a currency trust)."""
    for name in names:
        etf = instruments.bond_etf(name)
        if etf is not None:
            spread = factor_index()[etf.spread_factor] if etf.spread_factor else -1
            return _fund(etf, spread, etf.spread_beta)
    symbols = stress_rules().get("mapping.symbols")
    for name in names:
        row = symbols.get(name)
        if isinstance(row, Mapping):
            beta = float(row.get("beta", 1.0))
            if "currency" in row:
                return _currency(str(row["currency"]), beta)
            f = factor_index()[row["factor"]]
            return Model(LINEAR, _group_of(f), factor=f, beta=beta)
    held = stress_rules().get("mapping.unrepresented")
    for name in names:
        if isinstance(held.get(name), str):
            return Model(NONE, "", note=_unrepresented_note(name, str(held[name])))
    return None


def _index(names: tuple[str, str]) -> Model | None:
    """An equity index named by esma.toml's index tables (:func:`~xlmargin.symbols.listed_index`,
    the one list ESMA reads too): the factor ``[mapping.indices]`` names for it, else its default."""
    table = stress_rules().get("mapping.indices")
    for which in INDEX_TABLES:
        found = listed_index(names, which)
        if found is not None:
            f = factor_index()[str(table.get(found[1], table["default"]))]
            return Model(LINEAR, _group_of(f), factor=f)
    return None


@cache
def _index_classes() -> frozenset[str]:
    """The classes that say an index (the ranges of pm.toml's index tables name them): with one, as
    with a blank class, an index symbol picks its index's factor."""
    return frozenset(c for c in CLASSES if c.endswith("_index"))


def _unrepresented_note(symbol: str, holds: str) -> str:
    return (
        f"{symbol} holds {holds}: stress-scenarios.md has no series for it (its commodities are WTI "
        "crude oil and gold), so none is assumed (stress.toml [mapping.unrepresented]); to stress it, "
        "give the factor column (oil, gold) and the beta column"
    )


@cache
def _by_class(asset_class: str) -> Model:
    """The fallback: the factor ``[mapping.classes]`` names for the class, or the yield curve by
    duration where it names ``duration`` (government paper); a credit class (``[mapping.credit]``)
    the curve plus its spread factor, with its default fund's profile where the row gives no duration.

    Cached, so every instrument of a class shares one (immutable) Model: ``build_book`` gathers the
    models' fields once per distinct Model object."""
    credit = _credit().get(asset_class)
    if credit is not None:
        spread, fund, spread_beta = credit
        return _fund(
            fund,
            spread,
            spread_beta,
            f"class {asset_class} fund without a duration column: {fund.symbol}'s duration "
            f"{fund.duration:g}, convexity {fund.convexity:g} and maturity {fund.maturity_years:g} years "
            "assumed (stress.toml [mapping.credit] default_fund); give the fund's duration column",
        )
    if asset_class in _held_classes():
        what = "give the factor column (us_equity) and the beta column (the fund's equity delta)"
        return Model(NONE, "", note=_held_note(asset_class, what))
    target = stress_rules().get("mapping.classes").get(asset_class)
    if target == "duration":
        return Model(DURATION, "rates")
    if isinstance(target, str):
        f = factor_index()[target]
        assumed = _assumed_fx(asset_class, f) if _group_of(f) == "fx" else ""
        if asset_class in _assumed_classes():
            assumed = _assumed_factor(asset_class, f)
        return Model(LINEAR, _group_of(f), factor=f, assumed=assumed)
    return Model(NONE, "", note=f"no risk factor for class {asset_class}")


def _assumed_fx(asset_class: str, f: int) -> str:
    """The warning of a position of an FX class that no table knows: it follows the class's factor
    (the dollar index) long, which a fund holding another currency against the dollar does not."""
    factor = factors()[f]
    moved = instruments.currency_factors().values()
    held = sorted({c for c in moved if _group_of(factor_index()[c]) == "fx"})
    return (
        f"class {asset_class} position on a symbol no table of stress.toml knows ([mapping.symbols], "
        f"the bond-ETF and futures tables): assumed to follow {factor.id}, the {factor.name.split(';')[0]}, "
        f"long, as a fund long the dollar does (UUP); give the factor column ({', '.join(held)} for a "
        "fund holding that currency against the dollar) or the beta column (-1 for a fund short the "
        "dollar, as UDN is)"
    )


def _assumed_factor(asset_class: str, f: int) -> str:
    """The warning of a position of a class whose factor is an assumption (``[mapping.assumed]``) on a
    symbol no table knows: it follows that factor one for one."""
    factor = factors()[f]
    return (
        f"class {asset_class} position on a symbol no table of stress.toml knows ([mapping.symbols], "
        f"[mapping.unrepresented], the futures table): assumed to follow {factor.id}, the "
        f"{factor.name.split(';')[0]}, one for one (stress.toml [mapping.assumed]); give the factor "
        "column (gold for a precious-metals fund) and the beta column, or, for holdings no factor "
        "follows, list the symbol in [mapping.unrepresented]"
    )


@cache
def _assumed_equity(asset_class: str) -> Model:
    """An ETF whose class is blank (the reader's ``equity``) and that no table knows: the class's
    model, said in a warning (a fund may hold bonds, gold or a currency, not shares)."""
    model = _by_class(asset_class)
    target = stress_rules().get("mapping.classes").get(asset_class)
    return dataclasses.replace(
        model,
        assumed=(
            f"ETF with a blank class on a symbol no table of stress.toml knows: stressed as an equity fund "
            f"({target}, beta 1 × leverage); give its class (treasury with its duration, gold, commodity, "
            "fx_fund ...), the factor column, or the beta column for an equity fund"
        ),
    )


def _fund(fund: instruments.BondEtf, spread: int, spread_beta: float, default: str = "") -> Model:
    """A bond fund's duration profile, on the curve plus ``spread_beta`` × its spread factor where it
    has one (≥ 0)."""
    return Model(
        DURATION,
        "credit" if spread >= 0 else "rates",
        duration=fund.duration,
        convexity=fund.convexity,
        maturity=fund.maturity_years,
        spread=spread,
        spread_beta=spread_beta if spread >= 0 else 0.0,
        default=default,
    )


def _held_note(asset_class: str, what: str) -> str:
    return (
        f"class {asset_class}: stress-scenarios.md gives no equity delta, credit loading or series for "
        f"{asset_class}s, so none is assumed (stress.toml [mapping.convertible]); to stress one, {what}"
    )


@cache
def _bond(asset_class: str) -> Model:
    """A bond row: repriced on the Treasury curve, plus its spread factor for a credit class."""
    credit = _credit().get(asset_class)
    if credit is not None:
        return Model(BOND, "credit", spread=credit[0], spread_beta=credit[2])
    if asset_class in _held_classes():
        what = (
            "give its bond floor as a corporate or high_yield bond row and its equity part as a stock row "
            "of the delta-equivalent shares"
        )
        return Model(NONE, "", note=_held_note(asset_class, what))
    return Model(BOND, "rates")


_SPECIAL = {"cash": Model(CASH, "fx"), "fx": Model(FX, "fx")}


@cache
def classify(
    kind: str, symbol: str, underlying: str, asset_class: str, override: str | None, blank_class: bool = False
) -> Model:
    """The model of one instrument (for an option: of its underlying, with ``kind`` stock or future);
    ``blank_class``: the class column gave no class (``asset_class`` is the symbol table's or the
    reader's ``equity``)."""
    if kind == "bond":
        return _bond(asset_class)
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
    listed = _listed(names)
    if listed is not None:
        return listed
    if blank_class or asset_class in _index_classes():
        index = _index(names)
        if index is not None:
            return index
    if kind == "etf" and blank_class and asset_class == "equity":
        return _assumed_equity(asset_class)
    return _by_class(asset_class)


@cache
def _credit() -> Mapping[str, tuple[int, instruments.BondEtf, float]]:
    """Each credit class's spread factor, default fund and spread beta (``[mapping.credit]``)."""
    out = {}
    for asset_class, row in entries(stress_rules().get("mapping.credit")).items():
        fund = instruments.bond_etf(str(row["default_fund"]))
        if fund is None or row["spread_factor"] not in factor_index():
            raise RuleError(f"stress.toml [mapping.credit] {asset_class}: no bond-ETF row "
                            f"'{row['default_fund']}' or no factor '{row['spread_factor']}'")  # fmt: skip
        out[str(asset_class)] = (factor_index()[str(row["spread_factor"])], fund, float(row["spread_beta"]))
    return MappingProxyType(out)


@cache
def _held_classes() -> frozenset[str]:
    return frozenset(str(s) for s in stress_rules().get("mapping.convertible.classes"))


@cache
def _assumed_classes() -> frozenset[str]:
    return frozenset(str(s) for s in stress_rules().get("mapping.assumed.classes"))


@cache
def _unmodelled() -> frozenset[str]:
    return frozenset(str(s) for s in stress_rules().get("mapping.unmodelled.symbols"))
