"""Messages and documents of the Excel layer (R16): LIQUIDATION_PLAN lists only the regimes it plans
under, a params range may start with a ``name | value`` header, and the installer documents show
the text the cells show."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

import xlmargin.excel.udfs as udfs
from xlmargin.cli import sample_positions

REPO = Path(__file__).resolve().parents[1]
BOOK = [["symbol", "type", "quantity", "price"], ["XYZ", "stock", 100.0, 50.0]]
PARAMS = [["as_of", "2026-11-20"]]


@pytest.mark.parametrize("regime", ["bogus", "futures", "account"])
def test_liquidation_plan_lists_the_regimes_it_plans_under(regime: str) -> None:
    # a bad regime listed "regt, regt_maintenance, pm, futures, account, risk", and futures and
    # account, once given, were refused
    assert udfs.LIQUIDATION_PLAN(BOOK, 1_000.0, regime, PARAMS) == (
        f"#INPUT regime: regime must be one of pm, risk, regt, regt_maintenance, got '{regime}'"
    )


def test_margin_call_move_keeps_its_regimes() -> None:
    refused = udfs.MARGIN_CALL_MOVE(BOOK, 1_000.0, "esma", PARAMS)
    assert refused.endswith("must be one of regt, regt_maintenance, pm, futures, account, risk, got 'esma'")


@pytest.mark.parametrize("header", [["name", "value"], ["Name", " VALUE "], ["name", "value", None]])
def test_a_params_header_row_is_a_header(header: list[Any]) -> None:
    assert udfs.REGT_MARGIN(BOOK, None, None, [header, *PARAMS]) == udfs.REGT_MARGIN(BOOK, None, None, PARAMS)
    # rows still count from the range's first row, the header's
    shown = udfs.REGT_MARGIN(BOOK, None, None, [header, ["bogus", 1.0]])
    assert shown.startswith("#INPUT row 2 of the range, params: unknown parameter 'bogus'")


def test_only_a_first_row_is_a_header() -> None:
    shown = udfs.PM_REQUIREMENT(BOOK, [*PARAMS, ["name", "value"]])
    assert shown.startswith("#INPUT row 2 of the range, params: unknown parameter 'name'")


def smoke_step_5() -> str:
    """installer/README.md's smoke test, step 5: =NA() in Positions!D4 of the sample, range A1:O40."""
    with open(sample_positions(), newline="") as f:
        rows: list[list[Any]] = [[_cell(c) for c in r] for r in csv.reader(f)]
    rows += [[None] * 15 for _ in range(40 - len(rows))]
    rows[3][3] = "#N/A"
    return udfs.REGT_MARGIN(rows)


def _cell(text: str) -> Any:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


@pytest.mark.parametrize(
    "document", ["installer/README.md", "installer/windows/IMPORT_FUNCTIONS.md", "installer/lite/README.md"]
)
def test_the_documents_show_the_cells_text(document: str) -> None:
    text = " ".join((REPO / document).read_text().split())
    assert "row 4, price" not in text  # the cells say "row 4 of the range, price"
    expected = smoke_step_5().removeprefix("#INPUT ")
    assert expected == "row 4 of the range, price: the cell holds the error value #N/A"
    assert expected in text


def test_the_lite_blocker_is_gone_from_the_documents() -> None:
    """formualizer carries `sys_platform != 'emscripten'`: micropip leaves it out under Pyodide."""
    assert "formualizer==0.13.0; sys_platform != 'emscripten'" in (REPO / "pyproject.toml").read_text()
    for document in ("installer/README.md", "installer/lite/README.md"):
        text = (REPO / document).read_text()
        assert "blocker" not in text.lower() and "emscripten" in text


def test_the_readme_says_the_functions_are_not_volatile() -> None:
    text = " ".join((REPO / "README.md").read_text().split())
    assert "not volatile" in text and "Ctrl+Alt+F9" in text and "as_of" in text
