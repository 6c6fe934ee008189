"""The stress view's risk factors (``rules/stress.toml [factors]``) and the rule file itself.

Every other stress module reads the rule file through :func:`stress_rules` and the factors through
:func:`factors` / :func:`factor_index`, so a factor's position in a loading matrix means one thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from xlmargin import rules
from xlmargin._typing import FloatArray
from xlmargin.errors import RuleError

# printed unit → decimal: a % is 1/100, a bp 1/10,000, a VIX point 1/100 of volatility
UNIT_SCALE = {"pct": 0.01, "bp": 1e-4, "points": 0.01}


def stress_rules() -> rules.RuleSet:
    return rules.load("stress")


def entries(table: Mapping[str, Any]) -> dict[str, Any]:
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
    for fid, row in entries(stress_rules()["factors"]).items():
        if row["unit"] not in UNIT_SCALE:
            raise RuleError(f"stress.toml: factor {fid} has an unknown unit '{row['unit']}'")
        out.append(Factor(fid, str(row["unit"]), str(row["group"]), str(row["name"])))
    return tuple(out)


@cache
def factor_index() -> Mapping[str, int]:
    return MappingProxyType({f.id: i for i, f in enumerate(factors())})


def unit_scale() -> FloatArray:
    return np.array([UNIT_SCALE[f.unit] for f in factors()])
