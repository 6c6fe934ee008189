"""The template workbooks: regenerated == committed, every xlmargin cell a number after a headless
recalculation, and each figure equal to a direct call of the worksheet function on the table read
back from the workbook.

The $27,000 case cites the second source article (shared/seeds/003: "15% each alone = $15,000 +
$12,000 = $27,000") and the ±15% equity range of SEC Release 34-46576 (margin-rules.md §2.3). Every
other comparison is engine-against-workbook consistency, not a published figure.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from tests.conftest import REPO
from xlmargin.excel import functions as fn
from xlmargin.excel import registry
from xlmargin.templates import TEMPLATES, TemplateError, write, write_all
from xlmargin.templates.build import check_shapes
from xlmargin.workbook import RecalcReport, recalc
from xlmargin.workbook.cli import worksheet_functions

COMMITTED = REPO / "workbooks"
XLMARGIN_CALL = re.compile(r"\b(" + "|".join(registry.BY_NAME) + r")\(")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, RecalcReport]]:
    """Every template regenerated into a temp folder and recalculated: name -> (template, out, report)."""
    folder = tmp_path_factory.mktemp("templates")
    functions = worksheet_functions()
    out = {}
    for path in write_all(TEMPLATES.values(), folder, functions):
        target = path.with_name(f"{path.stem}.recalc.xlsx")
        out[path.stem] = (path, target, recalc(path, target, functions))
    return out


def snapshot(path: Path) -> dict[str, Any]:
    """What a template says, independent of zip bytes: cell values and formulas, array refs, number
    formats, tables, defined names, frozen panes and conditional-format ranges."""
    book = openpyxl.load_workbook(path)
    out: dict[str, Any] = {
        "sheets": book.sheetnames,
        "names": {name: book.defined_names[name].attr_text for name in book.defined_names},
    }
    for ws in book.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    value = ("array", value.ref, value.text)
                if value is not None or cell.number_format != "General":
                    cells[cell.coordinate] = (value, cell.number_format)
        out[ws.title] = {
            "cells": cells,
            "tables": dict(ws.tables.items()),
            "freeze": ws.freeze_panes,
            "flagged": sorted(str(cf.sqref) for cf in ws.conditional_formatting),
        }
    return out


def table_rows(path: Path, name: str = "tblPositions") -> list[list[Any]]:
    """An Excel Table read back with openpyxl, header first, as a worksheet function receives it."""
    book = openpyxl.load_workbook(path, data_only=True)
    for ws in book.worksheets:
        if name in ws.tables:
            return [[c.value for c in row] for row in ws[ws.tables[name].ref]]
    raise AssertionError(f"no table {name}")


def value(book: Path, defined_name: str) -> Any:
    wb = openpyxl.load_workbook(book, data_only=True)
    ((sheet, ref),) = wb.defined_names[defined_name].destinations
    return wb[sheet][ref.replace("$", "")].value


# --- the files ---------------------------------------------------------------------------------


@pytest.mark.slow  # the module fixture regenerates and recalculates every template
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_regenerated_template_equals_the_committed_one(built, name: str) -> None:
    committed = COMMITTED / f"{name}.xlsx"
    assert committed.is_file(), f"{committed} is missing: run `xlmargin templates`"
    assert snapshot(built[name][0]) == snapshot(committed), f"{committed} is stale: run `xlmargin templates`"


@pytest.mark.slow  # the module fixture regenerates and recalculates every template
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_xlmargin_cell_carries_a_number_and_no_cell_an_error(built, name: str) -> None:
    _, _, report = built[name]
    errors = [
        (c.sheet, c.ref, c.value) for c in report.cells if isinstance(c.value, str) and c.value[:1] == "#"
    ]
    assert not errors
    arrays: dict[tuple[str, str], list[Any]] = {
        (c.sheet, c.array_ref): [] for c in report.cells if c.array_ref
    }
    outputs: dict[tuple[str, str], list[Any]] = {}
    for cell in report.cells:
        if not XLMARGIN_CALL.search(cell.formula) or "XLM_VERSION" in cell.formula:
            continue
        if cell.formula.startswith("=INDEX("):  # one cell of a fixed-shape output: labels are text
            outputs.setdefault((cell.sheet, cell.formula.rsplit(",", 2)[0]), []).append(cell.value)
            continue
        owner = next((key for key in arrays if key[0] == cell.sheet and _inside(cell.ref, key[1])), None)
        if owner is None:
            assert isinstance(cell.value, float), (cell.sheet, cell.ref, cell.formula, cell.value)
        else:
            arrays[owner].append(cell.value)
    for key, values in {**arrays, **outputs}.items():
        assert any(isinstance(v, float) for v in values), key


def _inside(ref: str, area: str) -> bool:
    min_col, min_row, max_col, max_row = range_boundaries(area)
    col, row = coordinate_to_tuple(ref)[::-1]
    return min_col <= col <= max_col and min_row <= row <= max_row


def test_the_shape_check_refuses_an_array_range_that_cuts_the_result() -> None:
    book = TEMPLATES["allocation_template"]
    margin = book.sheets[0]
    short = dataclasses.replace(margin.arrays[0], ref="C9:C9")
    broken = dataclasses.replace(
        book, sheets=(dataclasses.replace(margin, arrays=(short,)), *book.sheets[1:])
    )
    with pytest.raises(TemplateError, match=r"C9:C9 holds 1×1 cells but .* returns 1×2"):
        check_shapes(broken, worksheet_functions())


@pytest.mark.slow  # the module fixture regenerates and recalculates every template
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_sheet_with_formulas_flags_error_lines_in_red(built, name: str) -> None:
    book = openpyxl.load_workbook(built[name][0])
    for sheet in TEMPLATES[name].sheets:
        formulas = sheet.arrays or any(str(c.value).startswith("=") for c in sheet.cells)
        rules = [r for cf in book[sheet.title].conditional_formatting for r in cf.rules]
        assert {r.type for r in rules} == ({"beginsWith", "containsErrors"} if formulas else set()), (
            sheet.title
        )
        assert all(r.text == "#" for r in rules if r.type == "beginsWith")
        assert book[sheet.title].freeze_panes == sheet.freeze


@pytest.mark.slow  # the module fixture regenerates and recalculates every template
def test_formats_follow_the_spec(built) -> None:
    book = openpyxl.load_workbook(built["hedge_comparison"][0])
    assert book["Comparison"]["B5"].number_format == "$#,##0"
    assert book["Comparison"]["C6"].number_format == "0.0%"


# --- the hedge comparison against the engine -------------------------------------------------------


@pytest.mark.slow  # the module fixture regenerates and recalculates every template
def test_hedge_comparison_equals_direct_engine_calls(built) -> None:
    _, out, report = built["hedge_comparison"]
    rows = table_rows(out)
    assert sum(r[2] * r[3] for r in rows[1:] if r[4] == "core") == pytest.approx(998_750)
    assert sum(r[2] * r[3] for r in rows[1:] if r[4] == "hedge") == pytest.approx(250_000)
    equity = value(out, "AccountEquity")
    rate = value(out, "RiskFreeRate")
    scenario = value(out, "CBScenario")
    include = value(out, "StressInclude")
    core, both = "core", "core,hedge"

    def regt(sleeve: str) -> float:
        return fn.regt_margin(rows, "initial", False, [["sleeve", sleeve]])

    def pm_params(sleeve: str, stressed: bool = False) -> list[list[Any]]:
        house = [["house.volatility", stressed], ["house.extreme", False], ["house.concentration", False],
                 ["house.initial", False]]  # fmt: skip
        extra = [["house.vol_up", value(out, "StressVolUp")]] if stressed else []
        return [["rate", rate], ["sleeve", sleeve], *house, *extra]

    def stress(sleeve: str) -> list[list[Any]]:
        return [["rate", rate], ["sleeve", sleeve], ["include", include]]

    def cell(ref: str) -> Any:
        return report.value("Comparison", ref)

    market_value = sum(r[2] * r[3] for r in rows[1:] if r[4] == "core")
    upfront = [regt(core), fn.pm_requirement(rows, pm_params(core)), fn.pm_requirement(rows, pm_params(both)),
               market_value]  # fmt: skip
    reg_t_same = [regt(core), regt(core), regt(both), regt(core)]
    stressed = [upfront[0], fn.pm_requirement(rows, pm_params(core, True)),
                fn.pm_requirement(rows, pm_params(both, True)), upfront[3]]  # fmt: skip
    books = [core, core, both, core]
    for i, r in enumerate(range(5, 9)):
        loss = -fn.stress_pnl(rows, scenario, stress(books[i]))
        excess, share = fn.margin_cushion(equity, upfront[i])[0]
        assert cell(f"B{r}") == pytest.approx(upfront[i])
        assert cell(f"C{r}") == pytest.approx(1 - upfront[i] / reg_t_same[i])
        assert cell(f"D{r}") == pytest.approx(max(stressed[i], loss) - upfront[i])
        assert (cell(f"E{r}"), cell(f"F{r}")) == pytest.approx((excess, share))
        assert cell(f"H{r}") == pytest.approx(fn.risk_margin(rows, stress(books[i])))
        assert cell(f"I{r}") == pytest.approx(loss)
    assert cell("G5") == pytest.approx(fn.max_notional(rows, equity, "regt", [["sleeve", core]]))
    assert cell("G6") == pytest.approx(fn.max_notional(rows, equity, "pm", pm_params(core)))
    assert cell("G7") == pytest.approx(fn.max_notional(rows, equity, "pm", pm_params(both)))
    assert cell("G8") == equity
    # regulatory portfolio margin gives the sleeve no offset: it adds exactly its own requirement
    assert cell("B20") == pytest.approx(fn.pm_requirement(rows, pm_params("hedge")))
    assert cell("B20") == pytest.approx(cell("B19"))
    # the grids and the stress table are the functions' own tables, cell by cell
    grid = fn.pm_scenarios(rows, pm_params(both))
    assert [
        [report.value("Scenarios", f"{col}{5 + i}") for col in "ABCDEFGHIJKLM"] for i in range(len(grid))
    ] == grid
    table = fn.stress_table(rows, stress(both))
    scenarios = next(s for s in TEMPLATES["hedge_comparison"].sheets if s.title == "Scenarios")
    top = coordinate_to_tuple(scenarios.arrays[-1].ref.split(":")[0])[0]
    assert [
        [report.value("Scenarios", f"{col}{top + i}") for col in "ABCDEF"] for i in range(len(table))
    ] == table


# --- the netting example against the engine and the article ---------------------------------------


@pytest.mark.slow  # the module fixture regenerates and recalculates every template
def test_netting_example_equals_direct_engine_calls_and_the_articles_27000(built) -> None:
    _, out, report = built["netting_example"]
    rows = table_rows(out)

    def cell(ref: str) -> Any:
        return report.value("Netting", ref)

    def legs(case: str) -> tuple[list[list[str]], ...]:
        return (
            [["sleeve", f"{case}_long"]],
            [["sleeve", f"{case}_short"]],
            [["sleeve", f"{case}_long,{case}_short"]],
        )

    for row, case in ((5, "c1"), (7, "c2"), (9, "c3")):
        long, short, pair = (fn.pm_requirement(rows, p) for p in legs(case))
        assert (cell(f"C{row}"), cell(f"D{row}"), cell(f"F{row}")) == pytest.approx((long, short, pair))
        assert cell(f"G{row}") == pytest.approx(long + short - pair)
        long, short, pair = (fn.regt_margin(rows, "initial", False, p) for p in legs(case))
        assert (cell(f"C{row + 1}"), cell(f"D{row + 1}"), cell(f"F{row + 1}")) == pytest.approx(
            (long, short, pair)
        )
    long, short, pair = (fn.esma_margin(rows, "USD", p) for p in legs("fx"))
    assert (cell("C11"), cell("D11"), cell("F11")) == pytest.approx((long, short, pair))
    assert cell("G11") == pytest.approx(0.0)  # ESMA margins each position separately
    # seeds/003: long $100,000 and short $80,000 in two stocks, 15% each alone = $15,000 + $12,000
    assert (cell("C9"), cell("D9"), cell("E9"), cell("F9")) == (15_000.0, 12_000.0, 27_000.0, 27_000.0)
    assert cell("F5") < 0.2 * cell("E5")  # one class group: the pair nets
    sheet = openpyxl.load_workbook(out)["Netting"]
    for row, first, second, both in ((15, "fx_long", "fx_short", "fx_long,fx_short"),
                                     (16, "fx_long", "chf_long", "fx_long,chf_long"),
                                     (17, "fx_long", "chf_long", "fx_long,chf_long")):  # fmt: skip
        scenario = sheet[f"B{row}"].value
        expected = [fn.stress_pnl(rows, scenario, [["sleeve", s]]) for s in (first, second, both)]
        assert [cell(f"{c}{row}") for c in "CDE"] == pytest.approx(expected)
        assert expected[2] == pytest.approx(expected[0] + expected[1], abs=0.011)  # each to the cent


@pytest.mark.slow  # the module fixture regenerates and recalculates every template
def test_allocation_template_equals_direct_engine_calls(built) -> None:
    _, out, report = built["allocation_template"]
    rows = table_rows(out)
    equity = value(out, "AccountEquity")
    rate = value(out, "RiskFreeRate")
    expected = [
        fn.regt_margin(rows, "initial", False, None),
        fn.regt_margin(rows, "maintenance", False, None),
        fn.pm_requirement(rows, [["rate", rate]]),
    ]
    for r, requirement in zip((9, 10, 11), expected):
        assert report.value("Margin", f"B{r}") == pytest.approx(requirement)
        excess, share = fn.margin_cushion(equity, requirement)[0]
        assert (report.value("Margin", f"C{r}"), report.value("Margin", f"D{r}")) == pytest.approx(
            (excess, share)
        )


def test_a_template_can_be_written_where_asked(tmp_path: Path) -> None:
    path = write(TEMPLATES["allocation_template"], tmp_path / "mine.xlsx", worksheet_functions())
    assert snapshot(path) == snapshot(COMMITTED / "allocation_template.xlsx")


def test_a_cushion_cell_shows_the_requirements_error_not_ref(tmp_path: Path) -> None:
    """A requirement that fails leaves MARGIN_CUSHION one cell (its error text): the cushion cell
    shows that text, where INDEX(..., 1, 2) of one cell was a bare #REF!."""
    functions = worksheet_functions()
    path = write(TEMPLATES["allocation_template"], tmp_path / "bad.xlsx", functions)
    book = openpyxl.load_workbook(path)
    book["Positions"]["D5"] = "n/a"  # AAPL's price
    book.save(path)
    report = recalc(path, tmp_path / "bad.recalc.xlsx", functions)
    excess, cushion = (report.value("Margin", ref) for ref in ("C9", "D9"))
    assert isinstance(cushion, str) and cushion.startswith("#INPUT requirement: the cell holds an error")
    assert cushion == excess and "'n/a' is not a number" in cushion
