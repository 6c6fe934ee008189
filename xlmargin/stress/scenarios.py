"""The scenario library: historical replays, correlation breaks, ±kσ and principal-component moves.

Each :class:`Scenario` holds factor moves in the factors' printed units; :func:`move_matrix` turns a
list of them into the decimal (factors × scenarios) matrix the P&L takes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray
from xlmargin.errors import InputError, Problem, RuleError
from xlmargin.params import norm
from xlmargin.stress.covariance import Covariance, factor_vol
from xlmargin.stress.factors import entries, factor_index, factors, stress_rules, unit_scale
from xlmargin.stress.settings import StressSettings

KINDS = ("historical", "sigma", "pca", "correlation_break")


@dataclass(frozen=True)
class Scenario:
    """One scenario: factor moves in the factors' printed units (%, bp, VIX points) and where they come from.

    A factor absent from ``moves`` does not move. ``window`` is the horizon (dates for history).
    """

    id: str
    name: str
    kind: str
    moves: Mapping[str, float]
    source: str
    confidence: str
    window: str
    notes: str = ""


def _printed_moves(entry: Mapping[str, Any]) -> tuple[dict[str, float], list[str]]:
    """Factor moves from a row printed as tables 1a/1b; the factors whose cell is blank."""
    moves: dict[str, float] = {}
    blank: list[str] = []
    for column, spec in entries(stress_rules()["columns"]).items():
        target = str(spec["factor"])
        if column not in entry or (spec["transform"] == "change_from" and spec["base"] not in entry):
            blank.append(target)
            continue
        value = float(entry[column])
        transform = spec["transform"]
        if transform == "as_is":
            moves[target] = value
        elif transform == "invert":
            moves[target] = 100.0 * (1.0 / (1.0 + value / 100.0) - 1.0)
        elif transform == "change_from":
            moves[target] = value - float(entry[spec["base"]])
        else:
            raise RuleError(f"stress.toml: column {column} has an unknown transform '{transform}'")
    return moves, blank


def _joint(entry: Mapping[str, Any], kind: str) -> Scenario:
    moves, blank = _printed_moves(entry)
    notes = [str(entry[k]) for k in ("legs", "series_notes", "confidence_notes") if k in entry]
    if blank:
        notes.insert(0, "blank in the source, so unmoved: " + ", ".join(blank))
    return Scenario(
        str(entry["id"]),
        str(entry["name"]),
        kind,
        MappingProxyType(moves),
        str(entry["source"]),
        str(entry["confidence"]),
        str(entry["window"]),
        "; ".join(notes),
    )


def _year() -> float:
    """Trading days per year: the annual vols of the covariance scale by sqrt(horizon / this)."""
    return float(stress_rules().get("sigma.trading_days_per_year"))


def _horizon_scale(settings: StressSettings) -> float:
    return math.sqrt(settings.horizon_days / _year())


def _sigma_scenarios(settings: StressSettings) -> list[Scenario]:
    cov = settings.covariance
    size = settings.k * _horizon_scale(settings)
    out = []
    for name, vol in zip(cov.factors, cov.vols()):
        if vol <= 0.0:
            continue
        for label, sign in (("DOWN", -1.0), ("UP", 1.0)):
            out.append(Scenario(
                f"SIGMA_{name.upper()}_{label}",
                f"{name} {sign * settings.k:+g}σ ({settings.horizon_days:g} days)",
                "sigma", MappingProxyType({name: float(sign * size * vol)}), cov.source, "L",
                f"{settings.horizon_days:g} trading days",
                f"{name} alone; σ = {vol:.4g}/yr × sqrt({settings.horizon_days:g}/{_year():g})",
            ))  # fmt: skip
    return out


def _pca_scenarios(settings: StressSettings) -> list[Scenario]:
    cov = settings.covariance
    vols = cov.vols()
    live = np.flatnonzero(vols > 0.0)
    if settings.pca_components == 0 or len(live) == 0:
        return []
    d = vols[live]
    corr = cov.matrix[np.ix_(live, live)] / np.outer(d, d)
    values, vectors = np.linalg.eigh(corr)
    order = np.argsort(values)[::-1][: settings.pca_components]
    names = [cov.factors[i] for i in live]
    anchor = names.index("us_equity") if "us_equity" in names else None
    size = settings.k * _horizon_scale(settings)
    out = []
    for rank, j in enumerate(order, start=1):
        v = vectors[:, j]
        pivot = anchor if anchor is not None and abs(v[anchor]) > 1e-12 else int(np.argmax(np.abs(v)))
        v = v if v[pivot] > 0 else -v
        share = values[j] / values.sum()
        move = size * math.sqrt(max(values[j], 0.0)) * v * d
        for label, sign in (("DOWN", -1.0), ("UP", 1.0)):
            out.append(Scenario(
                f"PC{rank}_{label}", f"principal component {rank} {sign * settings.k:+g}σ "
                f"({settings.horizon_days:g} days, {share:.0%} of the variance)", "pca",
                MappingProxyType({n: float(sign * m) for n, m in zip(names, move) if m != 0.0}),
                cov.source, "L", f"{settings.horizon_days:g} trading days",
                f"eigenvector of the correlation matrix, scaled by each factor's vol; UP raises "
                f"{names[pivot]}",
            ))  # fmt: skip
    return out


def _regime_swap(settings: StressSettings) -> Scenario:
    table = stress_rules().get("covariance.regime_2022")
    meta = stress_rules()["regime_swap"]
    names = [str(f) for f in table["factors"]]
    vols = [
        factor_vol(float(v), str(u), n)
        for v, u, n in zip(table["factor_vols"], table["factor_vol_units"], names)
    ]
    rho = [float(r) for r in table["equity_correlation"]]
    signs = [float(s) for s in table["signs"]]
    if rho[names.index("us_equity")] != 1.0:
        raise RuleError("stress.toml: the regime matrix must hold each factor's correlation with us_equity")
    size = -settings.k * _horizon_scale(settings)  # US equity's move, in annual standard deviations
    moves = {n: s * r * v * size for n, s, r, v in zip(names, signs, rho, vols)}
    return Scenario(
        str(meta["id"]), f"{meta['name']} {-settings.k:g}σ ({settings.horizon_days:g} days)",
        "correlation_break", MappingProxyType(moves), str(meta["source"]), str(meta["confidence"]),
        f"{settings.horizon_days:g} trading days",
        f"US equity {-settings.k:g}σ; every other factor at ρ × σ_factor / σ_equity × the equity move, "
        f"under {table['source']}; {table['notes']}",
    )  # fmt: skip


@cache
def _replays() -> tuple[Scenario, ...]:
    """The historical events and the correlation breaks: they depend on the rules alone."""
    table = stress_rules()
    return (*(_joint(e, "historical") for e in table["historical"]),
            *(_joint(e, "correlation_break") for e in table["correlation_break"]))  # fmt: skip


def scenario_library(settings: StressSettings) -> tuple[Scenario, ...]:
    """Every scenario of the house view after ``include``/``exclude``, in a fixed order.

    Historical (E1–E12, S1–S16), correlation breaks (CB1–CB5, CB_REGIME), then ±k sigma and PCA
    scenarios of ``settings.covariance``. Raises :class:`InputError` for an unknown id or kind in
    the filters, or when they leave nothing.

    The library depends on the rules (loaded once), the sizes, the filters and the covariance
    alone, so the last few are kept per those, the covariance by identity (the default one is a
    single object): a first STRESS_TABLE of a new positions range builds none (0.4 ms of it on the
    benchmark book). The scenarios are frozen, so the callers share one tuple.
    """
    key = (
        settings.k,
        settings.horizon_days,
        settings.pca_components,
        tuple(settings.include),
        tuple(settings.exclude),
        id(settings.covariance),
    )  # fmt: skip (a Python caller's lists too)
    with _LIBRARIES_LOCK:
        kept = _LIBRARIES.get(key)
    if kept is not None:
        return kept[1]
    library = _library(settings)
    with _LIBRARIES_LOCK:
        _LIBRARIES[key] = (settings.covariance, library)
        while len(_LIBRARIES) > _MAX_LIBRARIES:
            del _LIBRARIES[next(iter(_LIBRARIES))]
    return library


# The last libraries built, oldest first, each with the covariance it came from (kept alive, so that
# its identity in the key cannot be another object's).
_LIBRARIES: dict[tuple[Any, ...], tuple[Covariance, tuple[Scenario, ...]]] = {}
_MAX_LIBRARIES = 8
_LIBRARIES_LOCK = threading.Lock()


def _library(settings: StressSettings) -> tuple[Scenario, ...]:
    """:func:`scenario_library`, built."""
    library = [*_replays(), _regime_swap(settings)]
    library += _sigma_scenarios(settings) + _pca_scenarios(settings)
    ids = {s.id.upper() for s in library}
    bad = [
        t
        for t in (*settings.include, *settings.exclude)
        if t.upper() not in ids and norm(t) not in {norm(k) for k in KINDS}
    ]
    if bad:
        raise InputError(
            Problem(
                f"unknown scenario id or kind: {', '.join(bad)}; kinds: {', '.join(KINDS)}; "
                f"ids: {', '.join(s.id for s in library)}",
                None,
                "params",
            )
        )

    def hit(s: Scenario, tokens: tuple[str, ...]) -> bool:
        return any(t.upper() == s.id.upper() or norm(t) == norm(s.kind) for t in tokens)

    kept = tuple(
        s
        for s in library
        if (not settings.include or hit(s, settings.include)) and not hit(s, settings.exclude)
    )
    if not kept:
        raise InputError(Problem("include/exclude leave no scenario", None, "params"))
    return kept


def move_matrix(scenarios: Sequence[Scenario]) -> FloatArray:
    """Factor moves (F × scenarios) in decimals: 0.01 for 1 %, 0.0001 for 1 bp, 0.01 for a VIX point."""
    index = factor_index()
    out = np.zeros((len(factors()), len(scenarios)))
    for j, s in enumerate(scenarios):
        for name, move in s.moves.items():
            out[index[name], j] = move
    return out * unit_scale()[:, None]
