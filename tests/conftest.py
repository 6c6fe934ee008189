"""Shared fixtures: the valuation date every test states, and the shared reference data."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

# Deterministic, CI-sized property runs by default; HYPOTHESIS_PROFILE=deep pytest searches far wider
# (random seeds, 2,000 examples a property: minutes, not seconds), e.g. before a release.
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

AS_OF = dt.date(2026, 11, 20)
REPO = Path(__file__).resolve().parents[1]
WORKED_EXAMPLES = REPO / "tests" / "golden" / "worked-examples.json"


@pytest.fixture
def as_of() -> dt.date:
    return AS_OF


def worked_examples(*regimes: str) -> list[dict]:
    """The published worked examples (a copy of ../shared/reference/worked-examples.json)."""
    cases = json.loads(WORKED_EXAMPLES.read_text(encoding="utf-8"))
    return [c for c in cases if not regimes or c["regime"] in regimes]
