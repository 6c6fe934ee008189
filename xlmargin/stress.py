"""The cross-asset stress view: a HOUSE RISK MODEL, not a regulation.

No clearing house, broker or regulator margins a book this way. FINRA portfolio margin gives no credit
between equities and Treasury, gold or dollar ETFs (margin-rules.md §2.5), and Eurex allows no offsets
across liquidation groups (stress-scenarios.md §3.1). This view exists to show how much a hedge sleeve
really offsets an equity book, and what happens to that offset when correlations break. Every table it
returns says so in its notes.

Data flow::

    positions ─▶ Portfolio ──▶ _Book: each position mapped to factor exposures (once)
    params ──────▶ StressSettings (as_of, rate, k, horizon, covariance, filters)
    stress.toml ──▶ scenario_library(settings): factor moves, each scenario with its source
                    _Book × moves ──▶ P&L per position and scenario (USD) ──▶ results and tables

Risk factors (``rules/stress.toml [factors]``): US and non-US equity, the 2y/10y/30y Treasury yields
(bp), IG and HY spreads (bp), gold, the dollar index, EUR/JPY/CHF/GBP in USD, WTI, VIX (points).

How a position moves (each is revalued instantly: no carry, no time decay, no roll):

- stocks, ETFs, CFDs: ``value × beta × factor move`` (equities → ``us_equity``; the symbol table
  sends non-US funds to ``intl_equity``, GLD to ``gold``, UUP to ``usd``...); ``beta`` column, else
  the table's beta × ``leverage``.
- bond ETFs and Treasury futures: ``−D·Δy + ½·C·Δy²`` with Δy interpolated on the 2y/10y/30y nodes
  at the fund's maturity (plus its spread move for credit funds): a second-order approximation.
- bonds: full cash-flow repricing at the moved yield (``instruments.bond_dirty_price``).
- futures: notional × the move of the factor their root follows (``instruments.future_spec``).
- currency pairs and non-USD positions: their currency legs (``instruments.currency_legs``) × the
  currencies' moves; a non-USD asset's own P&L is converted at the moved rate.
- options: full revaluation through ``xlmargin.pricing.option_price`` at the underlying moved as
  above. Options on equity underlyings also take the VIX move as an implied-volatility shift,
  ``Δσ = ΔVIX/100 × sqrt(30 days / max(days to expiry, 30 days))`` (``[vol_shift]``). European
  options are repriced exactly at the shifted volatility; an American option takes its exact price
  at the moved spot and unshifted volatility plus the European price change the shift causes. The
  error of that split is at most the option's early-exercise premium (tested).

Scenarios (:func:`scenario_library`), each with ``source`` and a confidence tag:

- ``historical``: the twelve events E1–E12 of stress-scenarios.md tables 1a/1b and the sixteen
  supplementary windows S1–S16 (§1.5), replayed as joint moves; a blank cell leaves its factor
  unmoved (the scenario's notes list them).
- ``sigma``: ±k standard deviations of each factor of the covariance, alone, over ``horizon_days``.
- ``pca``: ±k standard deviations along the leading principal components of the covariance's
  correlation matrix (unit-free, since factors mix % and bp), scaled back by each factor's vol.
- ``correlation_break``: hedge legs against the core book (§3.4 recipe 2, CB1–CB5) and the regime
  swap of recipe 3(b): US equity −kσ with every other factor at its conditional mean under the
  2022–24 correlations.

Results: :func:`stress_pnl` (one scenario, by position, factor and sleeve), :func:`stress_table` (every
scenario, worst first) and :func:`risk_margin` (the worst loss, the worst correlation-break loss and
the no-offset figure: the sum of each liquidation group's own worst loss, as a CCP without
cross-asset offsets would count it).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from xlmargin import instruments, rules
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.errors import InputError, MissingDataError, Problem, RuleError
from xlmargin.params import AS_OF, RATE, Param, norm, today_if_missing, with_defaults
from xlmargin.positions import OPTION_TYPES, Portfolio
from xlmargin.pricing import implied_volatility_or_error, option_price

KINDS = ("historical", "sigma", "pca", "correlation_break")
HOUSE_NOTE = (
    "xlmargin house risk view, NOT a regulatory or broker margin: cross-asset offsets shown here are "
    "granted by no CCP (FINRA PM and Eurex give none). P&L in USD, signed (loss < 0), instant revaluation."
)
BLANK_NOTE = (
    "Historical scenarios replay stress-scenarios.md tables 1a/1b/§1.5; a blank source cell leaves its "
    "factor unmoved (listed in each scenario's notes)."
)
# printed unit → decimal: a % is 1/100, a bp 1/10,000, a VIX point 1/100 of volatility
_UNIT_SCALE = {"pct": 0.01, "bp": 1e-4, "points": 0.01}
_MIN_GROWTH = 1e-6  # an option's underlying never falls below this fraction of its price (log-safe)
_DAYS_PER_YEAR = 365.0  # expiry_years is ACT/365 (positions.py)
_WARN_ROWS = 10  # rows named in one warning before "..."


def _rules() -> rules.RuleSet:
    return rules.load("stress")


def _entries(table: Mapping[str, Any]) -> dict[str, Any]:
    """A rule table without its ``source``/``confidence``/``notes`` keys."""
    return {k: v for k, v in table.items() if k not in ("source", "confidence", "notes")}


# --- factors ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Factor:
    """A risk factor: its id, printed unit (``pct``, ``bp``, ``points``), liquidation group and name."""

    id: str
    unit: str
    group: str
    name: str


@cache
def factors() -> tuple[Factor, ...]:
    """Every risk factor, in the order of ``stress.toml``."""
    out = []
    for fid, row in _entries(_rules()["factors"]).items():
        if row["unit"] not in _UNIT_SCALE:
            raise RuleError(f"stress.toml: factor {fid} has an unknown unit '{row['unit']}'")
        out.append(Factor(fid, str(row["unit"]), str(row["group"]), str(row["name"])))
    return tuple(out)


@cache
def _factor_index() -> Mapping[str, int]:
    return MappingProxyType({f.id: i for i, f in enumerate(factors())})


def _scale() -> FloatArray:
    return np.array([_UNIT_SCALE[f.unit] for f in factors()])


# --- settings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Covariance:
    """An annualised covariance of some factors, in their printed units (%², bp², % × bp...)."""

    factors: tuple[str, ...]
    matrix: FloatArray
    source: str

    def vols(self) -> FloatArray:
        """Annualised standard deviation of each factor, in its unit."""
        return np.sqrt(np.maximum(np.diag(self.matrix), 0.0))


def _tlt_duration() -> float:
    tlt = instruments.bond_etf("TLT")
    if tlt is None:
        raise RuleError(
            "stress.toml: the covariance converts long-Treasury vols with TLT's duration; TLT is missing"
        )
    return tlt.duration


def _factor_vol(vol: float, unit: str, factor: str) -> float:
    """A vol printed in ``unit`` as a vol in the factor's own unit."""
    if unit == "tlt_return_pct":
        return vol / _tlt_duration() * 100.0  # % return per unit duration = % of yield = 100 bp
    expected = next(f.unit for f in factors() if f.id == factor)
    if unit != expected:
        raise RuleError(f"stress.toml: a vol in {unit} cannot drive factor {factor} (unit {expected})")
    return vol


@cache
def default_covariance() -> Covariance:
    """The assembled default of stress-scenarios.md §2.2 on the factors (``[covariance.default]``)."""
    table = _rules().get("covariance.default")
    corr = np.array(table["correlation"], dtype=np.float64)
    used = [i for i, f in enumerate(table["factors"]) if f]
    names = tuple(str(table["factors"][i]) for i in used)
    signs = np.array([float(table["signs"][i]) for i in used])
    vols = np.array(
        [
            _factor_vol(float(table["factor_vols"][i]), str(table["factor_vol_units"][i]), names[j])
            for j, i in enumerate(used)
        ]
    )
    sub = corr[np.ix_(used, used)] * np.outer(signs, signs)
    return Covariance(names, sub * np.outer(vols, vols), str(table["source"]))


@dataclass(frozen=True)
class StressSettings:
    """What a stress calculation needs besides the positions: dates, rate, sizes, covariance, filters.

    ``k``, ``horizon_days`` and ``pca_components`` default to ``stress.toml [sigma]``; the
    covariance to :func:`default_covariance`. (Choosing sleeves is the Excel layer's ``sleeve``
    parameter, shared by every function.)
    """

    as_of: dt.date
    rate: float = 0.0
    k: float = field(default_factory=lambda: float(_rules().get("sigma.k")))
    horizon_days: float = field(default_factory=lambda: float(_rules().get("sigma.horizon_days")))
    pca_components: int = field(default_factory=lambda: int(_rules().get("sigma.pca_components")))
    vol_shift: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    covariance: Covariance = field(default_factory=default_covariance)


def _build_params() -> tuple[Param, ...]:
    sigma = _rules()["sigma"]
    return (
        AS_OF,
        RATE,
        Param("k", "number", float(sigma["k"]),
              f"size of the sigma, PCA and regime-swap scenarios in standard deviations; "
              f"default {sigma['k']:g}",
              minimum=0.0, maximum=20.0),
        Param("horizon_days", "number", float(sigma["horizon_days"]),
              f"horizon of the sigma, PCA and regime-swap scenarios in trading days (vols scale with its "
              f"square root); default {sigma['horizon_days']:g}", minimum=1.0, maximum=2520.0),
        Param("pca_components", "number", float(sigma["pca_components"]),
              "how many principal components get ±k scenarios", minimum=0.0, maximum=50.0),
        Param("vol_shift", "bool", True,
              "shift equity options' implied volatility by the scenario's VIX move"),
        Param("include", "text", "",
              "scenario ids or kinds to keep (historical, sigma, pca, correlation_break), comma-separated; "
              "blank keeps every scenario"),
        Param("exclude", "text", "", "scenario ids or kinds to drop, comma-separated"),
    )  # fmt: skip


STRESS_PARAMS: tuple[Param, ...] = _build_params()
"""Every parameter the stress functions accept (the covariance is a separate range)."""


def _tokens(text: Any) -> tuple[str, ...]:
    return tuple(t for t in re.split(r"[,;\s]+", str(text or "").strip()) if t)


def stress_settings(
    params: Mapping[str, Any], today: dt.date, covariance: Sequence[Sequence[Any]] | None = None
) -> StressSettings:
    """Settings from ``read_params(range, STRESS_PARAMS)`` output; ``as_of`` defaults to ``today``.

    Missing names take their defaults. ``covariance`` is an optional range: a square matrix of
    annualised covariances in the factors' printed units, with the factor names as its first row and
    first column (see :func:`parse_covariance`); blank means the default of stress-scenarios.md §2.2.
    """
    values = with_defaults(params, STRESS_PARAMS)
    components = float(values["pca_components"])
    if not components.is_integer():
        raise InputError(
            Problem(f"pca_components must be a whole number, got {components:g}", None, "params")
        )
    return StressSettings(
        as_of=today_if_missing(values, today),
        rate=float(values["rate"]),
        k=float(values["k"]),
        horizon_days=float(values["horizon_days"]),
        pca_components=int(components),
        vol_shift=bool(values["vol_shift"]),
        include=_tokens(values["include"]),
        exclude=_tokens(values["exclude"]),
        covariance=default_covariance()
        if covariance is None or _blank_range(covariance)
        else parse_covariance(covariance),
    )


def _blank_cell(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_range(data: Any) -> bool:
    if data is None:
        return True
    if isinstance(data, Sequence) and not isinstance(data, str):
        return all(
            _blank_range(r)
            if isinstance(r, Sequence) and not isinstance(r, str)
            else (_blank_cell(r) or (isinstance(r, int | float) and not isinstance(r, bool) and r == 0))
            for r in data
        )
    return _blank_cell(data)


def parse_covariance(data: Sequence[Sequence[Any]]) -> Covariance:
    """A user covariance range: factor names across the first row and down the first column.

    Values are annualised covariances in the factors' printed units (% for prices, bp for yields and
    spreads, points for VIX): a 20 % vol is a variance of 400. The matrix must be symmetric and
    positive semi-definite; rows and columns may come in different orders. Cells are numbered as in
    the range (its first row is row 1).
    """
    table = [list(r) if isinstance(r, Sequence) and not isinstance(r, str) else [r] for r in data]
    while table and all(_blank_cell(c) for c in table[-1]):
        table.pop()
    if not table:
        raise InputError(Problem("the covariance range is empty", None, "covariance"))
    header = table[0]
    width = len(header)
    while width > 1 and (_blank_cell(header[width - 1]) or header[width - 1] == 0):
        width -= 1
    known = _factor_index()
    problems: list[Problem] = []

    def factor(cell: Any, row: int) -> str | None:
        name = re.sub(r"[\s\-.]+", "_", str(cell).strip().lower())
        if name not in known:
            problems.append(
                Problem(f"'{cell}' is not a factor; known: {', '.join(known)}", row, "covariance")
            )
            return None
        return name

    cols = [factor(c, 1) for c in header[1:width]]
    body = [r for r in table[1:] if not all(_blank_cell(c) for c in r)]
    rows = [factor(r[0], i + 2) for i, r in enumerate(body)]
    if len(rows) != len(cols):
        problems.append(
            Problem(
                f"the matrix has {len(cols)} factor columns but {len(rows)} rows; it must be square",
                None,
                "covariance",
            )
        )
    if problems:
        raise InputError(problems)
    col_names = [c for c in cols if c is not None]
    row_names = [r for r in rows if r is not None]
    if len(set(col_names)) != len(col_names) or sorted(col_names) != sorted(row_names):
        raise InputError(
            Problem(
                "the first row and the first column must name the same factors, each once", 1, "covariance"
            )
        )
    values = np.zeros((len(rows), len(cols)))
    for i, r in enumerate(body):
        for j in range(len(cols)):
            cell = r[j + 1] if j + 1 < len(r) else None
            if isinstance(cell, bool) or not isinstance(cell, int | float) or not math.isfinite(cell):
                problems.append(Problem(f"column {cols[j]}: {cell!r} is not a number", i + 2, "covariance"))
            else:
                values[i, j] = float(cell)
    if problems:
        raise InputError(problems)
    order = [row_names.index(c) for c in col_names]
    matrix = values[order, :]
    scale = max(float(np.abs(matrix).max()), 1.0)
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-9 * scale):
        raise InputError(Problem("the covariance matrix is not symmetric", None, "covariance"))
    low = float(np.linalg.eigvalsh(matrix).min())
    if low < -1e-9 * scale:
        raise InputError(
            Problem(
                f"the covariance matrix is not positive semi-definite (smallest eigenvalue "
                f"{low:.4g}); repair it, e.g. clip eigenvalues or use Higham's nearest "
                "correlation method",
                None,
                "covariance",
            )
        )
    return Covariance(tuple(col_names), matrix, "user covariance range")


# --- scenarios -------------------------------------------------------------------------------------


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
    for column, spec in _entries(_rules()["columns"]).items():
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
    return float(_rules().get("sigma.trading_days_per_year"))


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
    table = _rules().get("covariance.regime_2022")
    meta = _rules()["regime_swap"]
    names = [str(f) for f in table["factors"]]
    vols = [
        _factor_vol(float(v), str(u), n)
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


def scenario_library(settings: StressSettings) -> tuple[Scenario, ...]:
    """Every scenario of the house view after ``include``/``exclude``, in a fixed order.

    Historical (E1–E12, S1–S16), correlation breaks (CB1–CB5, CB_REGIME), then ±k sigma and PCA
    scenarios of ``settings.covariance``. Raises :class:`InputError` for an unknown id or kind in
    the filters, or when they leave nothing.
    """
    table = _rules()
    library = [_joint(e, "historical") for e in table["historical"]]
    library += [_joint(e, "correlation_break") for e in table["correlation_break"]]
    library.append(_regime_swap(settings))
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


# --- the book: positions mapped to factor exposures --------------------------------------------------

_LINEAR, _DURATION, _BOND, _FX, _CASH, _NONE = range(6)


@dataclass(frozen=True, slots=True)
class _Model:
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


def _group_of(factor: int) -> str:
    return factors()[factor].group


@cache
def _classify(kind: str, symbol: str, underlying: str, asset_class: str, override: str | None) -> _Model:
    """The model of one instrument (for an option: of its underlying, with ``kind`` stock or future)."""
    index = _factor_index()
    if kind == "cash":
        return _Model(_CASH, "fx")
    if kind == "fx":
        return _Model(_FX, "fx")
    if kind == "bond":
        return _Model(_BOND, "rates")
    if override:
        f = index.get(override)
        if f is None or factors()[f].unit == "points":
            known = ", ".join(x.id for x in factors() if x.unit != "points")
            return _Model(
                _NONE, "", problem=f"'{override}' is not a factor a position can follow; known: {known}"
            )
        if factors()[f].unit == "bp":
            return _Model(_DURATION, _group_of(f), rate_factor=f)
        return _Model(_LINEAR, _group_of(f), factor=f)
    names = (underlying, symbol)
    if any(n in _unmodelled() for n in names):
        return _Model(
            _NONE, "", note="volatility products are not modelled (the vix factor moves option IVs only)"
        )
    if kind == "future":
        spec = instruments.future_spec(symbol) or instruments.future_spec(underlying)
        if spec is None:
            return _Model(_NONE, "", note="unknown futures root (not in stress.toml [instruments.futures])")
        if spec.factor == "rates":
            return _Model(
                _DURATION,
                "rates",
                duration=spec.duration,
                convexity=spec.convexity,
                maturity=spec.maturity_years,
                multiplier=spec.multiplier,
            )
        if spec.factor == "currency":
            f_name = instruments.currency_factor(spec.currency or "")
            if f_name is None:
                return _Model(_NONE, "", note=f"{spec.currency} has no risk factor")
            return _Model(_LINEAR, "fx", factor=index[f_name], multiplier=spec.multiplier)
        return _Model(
            _LINEAR, _group_of(index[spec.factor]), factor=index[spec.factor], multiplier=spec.multiplier
        )
    for name in names:
        etf = instruments.bond_etf(name)
        if etf is not None:
            spread = index[etf.spread_factor] if etf.spread_factor else -1
            return _Model(
                _DURATION,
                "credit" if spread >= 0 else "rates",
                duration=etf.duration,
                convexity=etf.convexity,
                maturity=etf.maturity_years,
                spread=spread,
            )
    symbols = _rules().get("mapping.symbols")
    for name in names:
        row = symbols.get(name)
        if isinstance(row, Mapping):
            f = index[row["factor"]]
            return _Model(_LINEAR, _group_of(f), factor=f, beta=float(row.get("beta", 1.0)))
    if asset_class in ("treasury", "agency", "municipal"):
        return _Model(_DURATION, "rates")
    target = _rules().get("mapping.classes").get(asset_class)
    if isinstance(target, str):
        return _Model(_LINEAR, _group_of(index[target]), factor=index[target])
    return _Model(_NONE, "", note=f"no risk factor for class {asset_class}")


@cache
def _unmodelled() -> frozenset[str]:
    return frozenset(str(s) for s in _rules().get("mapping.unmodelled.symbols"))


@dataclass(frozen=True)
class _Options:
    """Options, each with its underlying's loadings: revalued through the pricing kernel."""

    units: FloatArray  # USD per unit of option price: contracts × multiplier × fx
    S: FloatArray
    K: FloatArray
    T: FloatArray
    q: FloatArray
    sigma: FloatArray
    call: BoolArray
    american: BoolArray
    on_future: BoolArray
    beta: FloatArray  # (m × F) the underlying's loadings on price factors
    weights: FloatArray  # (m × F) the underlying's yield-move weights (duration underlyings)
    duration: FloatArray
    convexity: FloatArray
    vol_term: FloatArray  # Δσ per unit (decimal) VIX move; 0 where no vol shift applies


@dataclass(frozen=True)
class _Bonds:
    face_usd: FloatArray  # quantity / 100 × fx: USD per point of price
    coupon: FloatArray
    yield_: FloatArray
    maturity: FloatArray
    dirty: FloatArray


@dataclass(frozen=True)
class _Book:
    """The portfolio as factor exposures; every array in row order of the (filtered) portfolio."""

    rows: IntArray
    symbols: np.ndarray
    sleeves: np.ndarray
    groups: np.ndarray
    gross: FloatArray
    value: FloatArray  # USD value (notional for futures) whose return the loadings give
    linear_idx: IntArray  # rows with a value and loadings: stocks, funds, futures
    beta: FloatArray  # (n × F)
    weights: FloatArray  # (n × F) yield-move weights of duration instruments
    duration: FloatArray
    convexity: FloatArray
    bond_idx: IntArray
    bonds: _Bonds
    option_idx: IntArray
    options: _Options
    own_idx: IntArray  # rows whose asset P&L is in a foreign currency with a factor
    own_factor: IntArray
    legs: FloatArray  # (n × F) USD currency-leg amounts
    warnings: tuple[str, ...]


def _rows_text(rows: Sequence[int]) -> str:
    head = ", ".join(str(r) for r in rows[:_WARN_ROWS])
    return head + (f" and {len(rows) - _WARN_ROWS} more" if len(rows) > _WARN_ROWS else "")


def _build_book(portfolio: Portfolio, settings: StressSettings) -> _Book:
    """Map every position to its factor exposures; raise one error naming every bad row."""
    a = portfolio.arrays
    n = len(portfolio)
    F = len(factors())
    kind, symbol, underlying = a["type"], a["symbol"], a["underlying"]
    is_option = np.isin(kind, OPTION_TYPES)
    keys = zip(
        np.where(is_option, np.where(kind == "future_option", "future", "stock"), kind).tolist(),
        np.where(is_option, underlying, symbol).tolist(),
        underlying.tolist(),
        a["asset_class"].tolist(),
        a["factor"].tolist(),
    )
    lookup: dict[tuple[Any, ...], int] = {}
    codes = np.fromiter((lookup.setdefault(k, len(lookup)) for k in keys), dtype=np.int64, count=n)
    models = [_classify(*k) for k in lookup]
    problems = [
        Problem(models[c].problem, int(a["row"][i]), "factor")
        for i, c in enumerate(codes)
        if models[c].problem
    ]
    if problems:
        raise InputError(problems)

    def column(attr: str, dtype: Any = np.float64) -> np.ndarray:
        return np.array([getattr(m, attr) for m in models], dtype=dtype)[codes]

    model_kind = column("kind", np.int64)
    factor = column("factor", np.int64)
    rate_factor = column("rate_factor", np.int64)
    spread = column("spread", np.int64)
    groups = column("group", object)
    beta = np.where(np.isnan(a["beta"]), column("beta") * a["leverage"], a["beta"])
    duration = np.where(np.isnan(a["duration"]), column("duration"), a["duration"])
    maturity = np.where(np.isnan(a["maturity_years"]), column("maturity"), a["maturity_years"])
    maturity = np.where(np.isnan(maturity), duration, maturity)  # placed on the curve at its duration
    convexity = column("convexity")  # the table's; 0 for an instrument outside the tables
    table_mult = column("multiplier")
    multiplier = np.where((a["multiplier"] == 1.0) & ~np.isnan(table_mult), table_mult, a["multiplier"])

    missing = [
        Problem(
            "a rate-sensitive position needs a modified duration (the duration column); "
            f"{a['symbol'][i]} is not in the bond-ETF or futures table",
            int(a["row"][i]),
            "duration",
        )
        for i in np.flatnonzero((model_kind == _DURATION) & np.isnan(duration))
    ]
    missing += [
        Problem("a bond needs a coupon (0 for a zero-coupon bond)", int(a["row"][i]), "coupon")
        for i in np.flatnonzero((kind == "bond") & np.isnan(a["coupon"]))
    ]
    if missing:
        raise MissingDataError(missing)

    legs = instruments.currency_legs(portfolio)
    fx = legs.value_fx
    qty, price = a["quantity"], a["price"]

    loads = np.zeros((n, F))
    weights = np.zeros((n, F))
    linear = model_kind == _LINEAR
    loads[np.flatnonzero(linear), factor[linear]] = beta[linear]
    dur = model_kind == _DURATION
    curve = instruments.curve_weights(np.where(dur, maturity, 0.0))
    tenors = np.array([_factor_index()[t] for t, _ in instruments.curve_tenors()], dtype=np.int64)
    chosen = dur & (rate_factor >= 0)
    weights[:, tenors] = np.where((dur & ~chosen)[:, None], curve, 0.0)
    weights[np.flatnonzero(chosen), rate_factor[chosen]] = 1.0
    credit = dur & (spread >= 0)
    weights[np.flatnonzero(credit), spread[credit]] += 1.0

    value = np.where(np.isin(kind, ("stock", "etf", "cfd", "future")), qty * price * multiplier * fx, 0.0)
    gross = np.abs(value)
    warnings = []

    # options: the underlying's loadings move the spot; the option is repriced
    opt = np.flatnonzero(is_option)
    options = _build_options(
        a, opt, settings, loads, weights, duration, convexity, multiplier, fx, factor, model_kind
    )
    gross[opt] = np.abs(options.units * options.S)
    for arr in (loads, weights):
        arr[opt] = 0.0
    duration = np.where(dur & ~is_option, duration, 0.0)
    convexity = np.where(dur & ~is_option, convexity, 0.0)
    loaded = np.any(loads != 0.0, axis=1) | np.any(weights != 0.0, axis=1)
    linear_idx = np.flatnonzero((value != 0.0) & loaded)

    # bonds: full repricing from the yield
    bond = np.flatnonzero(kind == "bond")
    bonds = _build_bonds(a, bond, fx)
    weights[bond] = 0.0
    weights[np.ix_(bond, tenors)] = instruments.curve_weights(a["maturity_years"][bond])
    gross[bond] = np.abs(bonds.face_usd * price[bond])

    # currency legs (pairs and foreign positions); currency futures are linear on their currency
    leg_matrix = np.zeros((n, F))
    unstressed_ccy: dict[str, list[int]] = {}
    for ccys, amounts in ((legs.ccy1, legs.usd1), (legs.ccy2, legs.usd2)):
        for i in np.flatnonzero((ccys != "") & (kind != "future")):
            f_name = instruments.currency_factor(ccys[i])
            if f_name is not None:
                leg_matrix[i, _factor_index()[f_name]] += amounts[i]
            elif ccys[i] != instruments.numeraire():
                unstressed_ccy.setdefault(str(ccys[i]), []).append(int(a["row"][i]))
    fx_rows = kind == "fx"
    gross[fx_rows] = np.abs(legs.usd1[fx_rows])
    usd = instruments.numeraire()
    foreign = np.flatnonzero(
        ~fx_rows & np.array([c is not None and c != usd for c in a["currency"]], dtype=bool)
    )
    own_idx, own_factor = [], []
    for i in foreign:
        f_name = instruments.currency_factor(str(a["currency"][i]))
        if f_name is not None:
            own_idx.append(i)
            own_factor.append(_factor_index()[f_name])

    for ccy, rows in unstressed_ccy.items():
        warnings.append(
            f"{ccy} has no risk factor: its currency legs are held constant (rows {_rows_text(rows)})"
        )
    none_rows = np.flatnonzero(model_kind == _NONE)
    by_note: dict[str, list[int]] = {}
    for i in none_rows:
        by_note.setdefault(models[codes[i]].note, []).append(int(a["row"][i]))
        groups[i] = "unstressed"
    for note, rows in by_note.items():
        warnings.append(f"held constant, {note}: rows {_rows_text(rows)}")

    return _Book(
        rows=a["row"], symbols=symbol, sleeves=a["sleeve"], groups=groups, gross=gross, value=value,
        linear_idx=linear_idx,
        beta=loads, weights=weights, duration=duration, convexity=convexity,
        bond_idx=bond, bonds=bonds, option_idx=opt, options=options,
        own_idx=np.array(own_idx, dtype=np.int64), own_factor=np.array(own_factor, dtype=np.int64),
        legs=leg_matrix, warnings=tuple(warnings),
    )  # fmt: skip


def _build_options(
    a: Mapping[str, np.ndarray],
    idx: IntArray,
    settings: StressSettings,
    loads: FloatArray,
    weights: FloatArray,
    duration: FloatArray,
    convexity: FloatArray,
    multiplier: FloatArray,
    fx: FloatArray,
    factor: IntArray,
    model_kind: IntArray,
) -> _Options:
    """The options of the book with their underlyings' loadings and their volatilities."""
    S, K, T = a["underlying_price"][idx], a["strike"][idx], a["expiry_years"][idx]
    q = a["dividend_yield"][idx]
    call = a["right"][idx] == "C"
    american = a["style"][idx] == "american"
    on_future = a["type"][idx] == "future_option"
    sigma = a["volatility"][idx].copy()
    expired = T <= 0.0
    sigma[expired & np.isnan(sigma)] = 0.0
    need = np.flatnonzero(np.isnan(sigma))
    if need.size:
        sigma[need] = implied_volatility_or_error(
            a["price"][idx][need], S[need], K[need], T[need], settings.rate, q[need], call[need],
            american[need], on_future[need], lambda i: [int(a["row"][idx][need][i])],
        )  # fmt: skip
    shift = _rules()["vol_shift"]
    vol_factors = [_factor_index()[f] for f in shift["factors"]]
    shifted = settings.vol_shift & (model_kind[idx] == _LINEAR) & np.isin(factor[idx], vol_factors) & ~expired
    reference = float(shift["reference_days"]) / _DAYS_PER_YEAR
    vol_term = np.where(shifted, np.sqrt(reference / np.maximum(T, reference)), 0.0)
    dur = model_kind[idx] == _DURATION
    return _Options(
        units=a["quantity"][idx] * multiplier[idx] * fx[idx], S=S, K=K, T=T, q=q, sigma=sigma, call=call,
        american=american, on_future=on_future, beta=loads[idx].copy(), weights=weights[idx].copy(),
        duration=np.where(dur, duration[idx], 0.0), convexity=np.where(dur, convexity[idx], 0.0),
        vol_term=vol_term,
    )  # fmt: skip


def _build_bonds(a: Mapping[str, np.ndarray], idx: IntArray, fx: FloatArray) -> _Bonds:
    """Bonds with their yields (given, or solved from the clean price)."""
    coupon, maturity, price = a["coupon"][idx], a["maturity_years"][idx], a["price"][idx]
    yield_ = a["yield_"][idx].copy()
    need = np.isnan(yield_)
    if need.any():
        yield_[need] = instruments.bond_yield(price[need], coupon[need], maturity[need])
        bad = np.flatnonzero(need & np.isnan(yield_))
        if bad.size:
            low, high = (_rules().get(f"instruments.bond.{k}") for k in ("yield_low", "yield_high"))
            raise InputError(
                [
                    Problem(
                        f"no yield between {low:.0%} and {high:.0%} gives the price {price[j]:g}",
                        int(a["row"][idx][j]),
                        "price",
                    )
                    for j in bad
                ]
            )
    return _Bonds(
        a["quantity"][idx] / instruments.PER_FACE * fx[idx],
        coupon,
        yield_,
        maturity,
        instruments.bond_dirty_price(coupon, yield_, maturity),
    )


# --- P&L -------------------------------------------------------------------------------------------


def _move_matrix(scenarios: Sequence[Scenario]) -> FloatArray:
    """Factor moves (F × scenarios) in decimals: 0.01 for 1 %, 0.0001 for 1 bp, 0.01 for a VIX point."""
    index = _factor_index()
    out = np.zeros((len(factors()), len(scenarios)))
    for j, s in enumerate(scenarios):
        for name, move in s.moves.items():
            out[index[name], j] = move
    return out * _scale()[:, None]


def _apply(loadings: FloatArray, moves: FloatArray) -> FloatArray:
    """``loadings @ moves`` for loadings with few non-zero entries per row, without BLAS threads.

    Each row loads on one to four factors, so a sum over the factors in use is both faster and
    steadier than a threaded matrix product when the machine is busy.
    """
    out = np.zeros((loadings.shape[0], moves.shape[1]))
    for f in np.flatnonzero(np.any(loadings != 0.0, axis=0)):
        rows = np.flatnonzero(loadings[:, f])
        out[rows] += loadings[rows, f, None] * moves[f]
    return out


def _returns(
    beta: FloatArray, weights: FloatArray, duration: FloatArray, convexity: FloatArray, moves: FloatArray
) -> FloatArray:
    """Price returns (rows × scenarios): linear loadings plus −D·Δy + ½·C·Δy², never below −100 %."""
    dy = _apply(weights, moves)
    r = _apply(beta, moves) - duration[:, None] * dy + 0.5 * convexity[:, None] * dy * dy
    return np.maximum(r, -1.0)


def _pnl(book: _Book, moves: FloatArray, rate: float) -> FloatArray:
    """USD P&L (positions × scenarios) for decimal factor moves (F × scenarios)."""
    pnl = np.zeros((len(book.rows), moves.shape[1]))
    lin = book.linear_idx
    returns = _returns(book.beta[lin], book.weights[lin], book.duration[lin], book.convexity[lin], moves)
    pnl[lin] = book.value[lin, None] * returns
    if book.bond_idx.size:
        b = book.bonds
        dy = _apply(book.weights[book.bond_idx], moves)
        moved = instruments.bond_dirty_price(b.coupon[:, None], b.yield_[:, None] + dy, b.maturity[:, None])
        pnl[book.bond_idx] = b.face_usd[:, None] * (moved - b.dirty[:, None])
    if book.option_idx.size:
        pnl[book.option_idx] = _option_pnl(book.options, moves, rate)
    if book.own_idx.size:
        pnl[book.own_idx] *= 1.0 + moves[book.own_factor]
    pnl += _apply(book.legs, moves)
    return pnl


def _option_pnl(o: _Options, moves: FloatArray, rate: float) -> FloatArray:
    """Option P&L (options × scenarios): every moved spot repriced by the pricing kernel.

    Options are grouped by the factors that drive their underlying (and the VIX, where it shifts
    their volatility); each group is priced for the distinct moves of those factors only, an option
    whose inputs do not move keeping its price. Options whose price has no early-exercise premium
    (European ones, American calls without dividends, as the kernel decides) are priced in one call
    at the moved spot and shifted volatility. Options with a premium are priced with the contract
    parameters on a length-1 axis, so the kernel computes one exercise boundary per contract, at
    the unshifted volatility; the VIX layer then adds the European price change from σ to σ + Δσ at
    the moved spot (the error is at most the early-exercise premium). Column 0 of every call is
    today's model price, the reference of the P&L.
    """
    m, s = len(o.S), moves.shape[1]
    vix = _factor_index()["vix"]
    put_rate = np.where(o.call, np.where(o.on_future, rate, o.q), rate)
    boundary = o.american & (put_rate > 0.0) & (o.T > 0.0)
    shifted = o.vol_term != 0.0
    drivers = (o.beta != 0.0) | (o.weights != 0.0)
    drivers[:, vix] = shifted & ~boundary  # options priced at σ + Δσ in the main call also follow the VIX
    code = drivers.astype(np.int64) @ (1 << np.arange(drivers.shape[1], dtype=np.int64))
    base = np.empty(m)
    price = np.empty((m, s))
    for c in np.unique(code):
        rows = np.flatnonzero(code == c)
        pattern = drivers[rows[0]]
        cols = np.flatnonzero(np.any(moves[pattern] != 0.0, axis=0))
        _, first, inverse = np.unique(moves[pattern][:, cols], axis=1, return_index=True, return_inverse=True)
        picked = moves[:, cols[first]]
        spots = o.S[rows, None] * np.concatenate([np.ones((rows.size, 1)), _growth(o, rows, picked)], axis=1)
        sigma = o.sigma[rows, None]
        if pattern[vix]:
            sigma = np.concatenate([sigma, _shifted_vol(o, rows, picked[vix])], axis=1)
        values = option_price(
            spots,
            o.K[rows, None],
            o.T[rows, None],
            rate,
            o.q[rows, None],
            sigma,
            o.call[rows, None],
            o.american[rows, None],
            o.on_future[rows, None],
        )
        base[rows] = values[:, 0]
        price[rows] = values[:, :1]
        price[np.ix_(rows, cols)] = values[:, 1:][:, inverse.ravel()]
    rows = np.flatnonzero(shifted & boundary)
    cols = np.flatnonzero(moves[vix] != 0.0)
    if rows.size and cols.size:
        spots = o.S[rows, None] * _growth(o, rows, moves[:, cols])
        args = (o.K[rows, None], o.T[rows, None], rate, o.q[rows, None])
        call, future = o.call[rows, None], o.on_future[rows, None]
        up = option_price(spots, *args, _shifted_vol(o, rows, moves[vix, cols]), call, False, future)
        price[np.ix_(rows, cols)] += up - option_price(spots, *args, o.sigma[rows, None], call, False, future)
    return o.units[:, None] * (price - base[:, None])


def _shifted_vol(o: _Options, rows: IntArray, vix_moves: FloatArray) -> FloatArray:
    """σ + Δσ for some options and VIX moves (decimal points), floored (``[vol_shift]``)."""
    floor = float(_rules().get("vol_shift.floor"))
    return np.maximum(o.sigma[rows, None] + o.vol_term[rows, None] * vix_moves, floor)


def _growth(o: _Options, rows: IntArray, moves: FloatArray) -> FloatArray:
    """Moved-spot ratios S'/S of some options' underlyings (kept above zero for the kernel)."""
    r = _returns(o.beta[rows], o.weights[rows], o.duration[rows], o.convexity[rows], moves)
    return np.maximum(1.0 + r, _MIN_GROWTH)


# --- results ---------------------------------------------------------------------------------------


def _cents(value: float) -> float:
    """Money rounded to cents, without a negative zero."""
    return round(float(value), 2) + 0.0


def _percent(pnl: float, gross: float) -> float:
    return round(float(100.0 * pnl / gross), 6) + 0.0 if gross > 0.0 else 0.0


def _notes(width: int, warnings: Sequence[str], *extra: str) -> list[list[Any]]:
    """Note rows for a table: the house-view caveat, extra notes and every warning."""
    return [["note", text, *[""] * (width - 2)] for text in (HOUSE_NOTE, *extra, *warnings)]


@dataclass(frozen=True)
class StressResult:
    """One scenario's P&L on the book (house risk view, not a regulation).

    ``pnl`` is the signed USD total. ``positions`` holds (row, symbol, P&L) per position in row
    order; ``factors`` the P&L with each moved factor alone, plus ``interaction`` (what only the
    joint move produces: convexity across factors, options, currency cross terms), so that they add
    up to ``pnl``; ``sleeves`` the P&L by the ``sleeve`` column (``""`` for positions without one).
    """

    scenario: Scenario
    pnl: float
    gross_exposure: float
    positions: tuple[tuple[int, str, float], ...]
    factors: Mapping[str, float]
    sleeves: Mapping[str, float]
    warnings: tuple[str, ...] = ()

    def table(self) -> list[list[Any]]:
        """Header, the total, each factor, each sleeve, each position (worst first), then notes."""
        header = ["line", "item", "P&L", "% of gross"]
        gross = self.gross_exposure
        title = f"{self.scenario.id}: {self.scenario.name}"
        out: list[list[Any]] = [header, ["total", title, _cents(self.pnl), _percent(self.pnl, gross)]]
        out += [["factor", name, _cents(v), _percent(v, gross)] for name, v in self.factors.items()]
        out += [
            ["sleeve", name or "(none)", _cents(v), _percent(v, gross)] for name, v in self.sleeves.items()
        ]
        ranked = sorted(self.positions, key=lambda p: p[2])
        out += [["position", f"{sym} (row {row})", _cents(v), _percent(v, gross)] for row, sym, v in ranked]
        s = self.scenario
        extra = [f"scenario {s.id}: {s.source} [{s.confidence}]", *([s.notes] if s.notes else [])]
        return out + _notes(len(header), self.warnings, *extra)


def stress_pnl(portfolio: Portfolio, scenario_id: str, settings: StressSettings) -> StressResult:
    """The P&L of one scenario of :func:`scenario_library`, by position, factor and sleeve.

    House risk view, not a regulation. An unknown ``scenario_id`` is an :class:`InputError` that
    lists every id.
    """
    library = scenario_library(settings)
    found = [s for s in library if s.id.upper() == str(scenario_id).strip().upper()]
    if not found:
        raise InputError(Problem(f"unknown scenario '{scenario_id}'; ids: {', '.join(s.id for s in library)}",
                                 None, "scenario"))  # fmt: skip
    scenario = found[0]
    book = _build_book(portfolio, settings)
    moved = [f.id for f in factors() if scenario.moves.get(f.id, 0.0) != 0.0]
    alone = [Scenario(f"{scenario.id}:{name}", name, scenario.kind, {name: scenario.moves[name]}, "", "", "")
             for name in moved]  # fmt: skip
    pnl = _pnl(book, _move_matrix([scenario, *alone]), settings.rate)
    total = pnl[:, 0]
    by_factor = {name: float(pnl[:, j + 1].sum()) for j, name in enumerate(moved)}
    by_factor["interaction"] = float(total.sum()) - sum(by_factor.values())
    sleeves: dict[str, float] = {}
    for sleeve, value in zip(book.sleeves, total):
        sleeves[sleeve or ""] = sleeves.get(sleeve or "", 0.0) + float(value)
    return StressResult(
        scenario=scenario, pnl=float(total.sum()), gross_exposure=float(book.gross.sum()),
        positions=tuple((int(r), str(sym), float(v)) for r, sym, v in zip(book.rows, book.symbols, total)),
        factors=MappingProxyType(by_factor), sleeves=MappingProxyType(sleeves), warnings=book.warnings,
    )  # fmt: skip


@dataclass(frozen=True)
class _Run:
    library: tuple[Scenario, ...]
    book: _Book
    pnl: FloatArray  # positions × scenarios


def _run(portfolio: Portfolio, settings: StressSettings) -> _Run:
    library = scenario_library(settings)
    book = _build_book(portfolio, settings)
    return _Run(library, book, _pnl(book, _move_matrix(library), settings.rate))


def _horizon_note(settings: StressSettings) -> str:
    return (
        f"sigma, PCA and regime-swap scenarios: k = {settings.k:g} standard deviations over "
        f"{settings.horizon_days:g} trading days of the covariance: {settings.covariance.source}"
    )


def stress_table(portfolio: Portfolio, settings: StressSettings) -> list[list[Any]]:
    """Every scenario's P&L, worst first: the house risk view, not a regulation.

    Columns: id, name, kind, P&L (USD, signed), % of gross exposure, worst contributor (the position
    losing most, with its row). After the scenario rows come note rows (first cell ``"note"``): the
    house-view caveat, how blank source cells are treated, the sigma horizon and covariance, and any
    position held constant.
    """
    run = _run(portfolio, settings)
    totals = run.pnl.sum(axis=0)
    gross = float(run.book.gross.sum())
    worst = np.argmin(run.pnl, axis=0)
    header = ["id", "name", "kind", "P&L", "% of gross", "worst contributor"]
    rows = []
    for j in np.argsort(totals, kind="stable"):
        s = run.library[j]
        i = worst[j]
        contributor = f"{run.book.symbols[i]} (row {run.book.rows[i]}): {run.pnl[i, j]:,.0f}"
        rows.append([s.id, s.name, s.kind, _cents(totals[j]), _percent(totals[j], gross), contributor])
    return [header, *rows, *_notes(len(header), run.book.warnings, BLANK_NOTE, _horizon_note(settings))]


@dataclass(frozen=True)
class RiskMarginResult:
    """The house view's requirement-like figures (not a regulation; no CCP grants these offsets).

    ``requirement`` is the worst loss over the scenario library as a positive number (0 when no
    scenario loses), from ``scenario_id``; ``correlation_break_loss`` the worst loss over the
    correlation-break scenarios alone (0 and ``""`` when the filters drop them all).
    ``no_offset_requirement`` adds up each liquidation group's own worst loss (equity, rates, credit,
    precious metals, FX, commodity...), the way a CCP that gives no cross-asset offsets would count
    (stress-scenarios.md §3.4.5); ``groups`` holds (group, worst loss, scenario id) for each.
    """

    requirement: float
    scenario_id: str
    scenario_name: str
    correlation_break_loss: float
    correlation_break_id: str
    no_offset_requirement: float
    groups: tuple[tuple[str, float, str], ...]
    gross_exposure: float
    scenarios: int
    warnings: tuple[str, ...] = ()

    def table(self) -> list[list[Any]]:
        """Header, one row per figure, then notes."""
        header = ["measure", "value", "scenario", "note"]
        out: list[list[Any]] = [
            header,
            ["worst loss (house view)", _cents(self.requirement), self.scenario_id, self.scenario_name],
            ["worst correlation-break loss", _cents(self.correlation_break_loss), self.correlation_break_id,
             "hedge legs moving against the core book"],
            ["no-offset figure", _cents(self.no_offset_requirement), "",
             "sum of each liquidation group's own worst loss: no cross-asset offsets"],
        ]  # fmt: skip
        out += [[f"group {g}", _cents(loss), sid, ""] for g, loss, sid in self.groups]
        out += [
            ["gross exposure", _cents(self.gross_exposure), "", ""],
            ["scenarios", float(self.scenarios), "", ""],
        ]
        return out + _notes(len(header), self.warnings)


def risk_margin(portfolio: Portfolio, settings: StressSettings) -> RiskMarginResult:
    """Worst loss over the scenario library, worst correlation-break loss and the no-offset figure.

    A house risk model, not a regulation: see :class:`RiskMarginResult`.
    """
    run = _run(portfolio, settings)
    totals = run.pnl.sum(axis=0)
    j = int(np.argmin(totals))
    breaks = [i for i, s in enumerate(run.library) if s.kind == "correlation_break"]
    b = min(breaks, key=lambda i: totals[i]) if breaks else -1
    groups = []
    for g in sorted(set(run.book.groups)):
        group_pnl = run.pnl[run.book.groups == g].sum(axis=0)
        w = int(np.argmin(group_pnl))
        groups.append((str(g), max(0.0, -float(group_pnl[w])), run.library[w].id))
    return RiskMarginResult(
        requirement=max(0.0, -float(totals[j])), scenario_id=run.library[j].id,
        scenario_name=run.library[j].name,
        correlation_break_loss=max(0.0, -float(totals[b])) if b >= 0 else 0.0,
        correlation_break_id=run.library[b].id if b >= 0 else "",
        no_offset_requirement=sum(loss for _, loss, _ in groups), groups=tuple(groups),
        gross_exposure=float(run.book.gross.sum()), scenarios=len(run.library), warnings=run.book.warnings,
    )  # fmt: skip


__all__ = [
    "HOUSE_NOTE",
    "KINDS",
    "STRESS_PARAMS",
    "Covariance",
    "Factor",
    "RiskMarginResult",
    "Scenario",
    "StressResult",
    "StressSettings",
    "default_covariance",
    "factors",
    "parse_covariance",
    "risk_margin",
    "scenario_library",
    "stress_pnl",
    "stress_settings",
    "stress_table",
]


def scenario_pnl_matrix(
    portfolio: Portfolio, settings: StressSettings, scenarios: Sequence[Scenario] | None = None
) -> tuple[tuple[Scenario, ...], FloatArray]:
    """The scenarios (default: the library) and the USD P&L of every position under each (positions
    in row order × scenarios), each contract priced once per scenario: the risk view as arrays, for
    callers that combine positions linearly or scale a scenario (the decisions package)."""
    chosen = scenario_library(settings) if scenarios is None else tuple(scenarios)
    book = _build_book(portfolio, settings)
    return chosen, _pnl(book, _move_matrix(chosen), settings.rate)
