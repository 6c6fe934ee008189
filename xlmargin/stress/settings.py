"""The stress functions' parameters (:data:`STRESS_PARAMS`) and the frozen settings they produce."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlmargin.errors import InputError, Problem
from xlmargin.params import AS_OF, RATE, Param, today_if_missing, with_defaults
from xlmargin.stress.covariance import Covariance, covariance_or_default, default_covariance
from xlmargin.stress.factors import stress_rules


@dataclass(frozen=True)
class StressSettings:
    """What a stress calculation needs besides the positions: dates, rate, sizes, covariance, filters.

    ``k``, ``horizon_days`` and ``pca_components`` default to ``stress.toml [sigma]``; the
    covariance to :func:`default_covariance`. (Choosing sleeves is the Excel layer's ``sleeve``
    parameter, shared by every function.)
    """

    as_of: dt.date
    rate: float = 0.0
    k: float = field(default_factory=lambda: float(stress_rules().get("sigma.k")))
    horizon_days: float = field(default_factory=lambda: float(stress_rules().get("sigma.horizon_days")))
    pca_components: int = field(default_factory=lambda: int(stress_rules().get("sigma.pca_components")))
    vol_shift: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    covariance: Covariance = field(default_factory=default_covariance)


def _build_params() -> tuple[Param, ...]:
    sigma = stress_rules()["sigma"]
    return (
        AS_OF,
        RATE,
        Param("k", "number", float(sigma["k"]),
              f"size of the sigma, PCA and regime-swap scenarios in standard deviations; "
              f"default {sigma['k']:g}",
              minimum=0.0, maximum=20.0, positive=True),
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
        covariance=covariance_or_default(covariance),
    )
