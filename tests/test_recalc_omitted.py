"""An argument left out of a worksheet function's call in ``xlmargin recalc`` is missing, as in Excel.

The formula engine hands a Python function an argument left out (``F(A1,,B1)``) as 0, the number a
typed 0 gives; Excel hands it to xlwings as missing (None). recalc marks the left-out arguments of
its functions' calls in the formula the engine reads, and the wrapper hands them over as None.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from xlmargin.workbook import recalculate
from xlmargin.workbook._formula import mark_omitted
from xlmargin.workbook._values import OMITTED
from xlmargin.workbook.cli import worksheet_functions

FORMULAS = {
    # HEDGE_OPTIMIZE's budget: left out is no budget; a typed 0 is a budget, refused
    "N1": '=INDEX(HEDGE_OPTIMIZE(A1:D3,F1:J2,"risk",,L1:M1),1,1)',
    "N2": '=INDEX(HEDGE_OPTIMIZE(A1:D3,F1:J2,"risk",Z99,L1:M1),1,1)',
    "N3": '=INDEX(HEDGE_OPTIMIZE(A1:D3,F1:J2,"risk",0,L1:M1),1,1)',
    "N4": '=INDEX(HEDGE_OPTIMIZE(A1:D3,F1:J2,"risk",),1,1)',
    # a required number left out is missing, not an equity of 0
    "N5": "=MARGIN_CUSHION(,5)",
    "N6": "=MAX_NOTIONAL(A1:D3,,,L1:M1)",
    # a left-out optional text or flag is its default, as before
    "N7": "=ESMA_MARGIN(A1:D3,,L1:M1)",
    "N8": '=ESMA_MARGIN(A1:D3,"EUR",L1:M1)',
    "N9": "=REGT_MARGIN(A1:D3,,,L1:M1)",
    "N10": "=REGT_MARGIN(A1:D3)",
    # a left-out positions range
    "N11": "=PM_REQUIREMENT(,L1:M1)",
    # Excel's own functions are untouched: IF's left-out argument is 0
    "N12": "=IF(TRUE,,5)",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    path = Path(tmp_path_factory.mktemp("omit")) / "omit.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("S")
    ws.write_row(0, 0, ["Symbol", "Type", "Qty", "Price"])
    ws.write_row(1, 0, ["AAPL", "stock", 100, 200])
    ws.write_row(2, 0, ["MSFT", "stock", 50, 400])
    ws.write_row(0, 5, ["Symbol", "Type", "Qty", "Price", "cost"])
    ws.write_row(1, 5, ["SPY", "etf", -100, 500])
    ws.write_row(0, 11, ["as_of", "2026-11-20"])
    for ref, formula in FORMULAS.items():
        ws.write_formula(ref, formula)
    book.close()
    return recalculate(path, worksheet_functions())


def test_a_budget_left_out_is_no_budget_and_a_typed_0_is_refused(report):
    no_budget = report.value("S", "N2")  # an empty cell: no budget
    assert isinstance(no_budget, str) and not no_budget.startswith("#"), no_budget
    assert report.value("S", "N1") == no_budget
    assert report.value("S", "N4") == no_budget
    assert report.value("S", "N3") == "#INPUT budget: a budget must be above 0, got 0"


def test_a_required_number_left_out_is_missing(report):
    assert report.value("S", "N5") == "#INPUT equity: equity is missing"
    assert report.value("S", "N6") == "#INPUT equity: equity is missing"
    assert (
        report.value("S", "N11") == "#INPUT positions: positions is missing: give a range with a header row"
    )


def test_an_optional_text_or_flag_left_out_is_its_default(report):
    assert report.value("S", "N7") == report.value("S", "N8")
    assert isinstance(report.value("S", "N9"), float)
    assert report.value("S", "N9") == report.value("S", "N10")
    assert report.value("S", "N12") == 0.0


@pytest.mark.parametrize(
    "text, marked",
    [
        ("F(1,,3)", 'F(1,"M",3)'),
        ("F(1,)", 'F(1,"M")'),
        ("F(,)", 'F("M","M")'),
        ("F(1, ,3 )", 'F(1, "M",3 )'),
        ("G(1,,F(,2))", 'G(1,,F("M",2))'),  # only the listed functions' calls
        ("F({1,2;3,4},)", 'F({1,2;3,4},"M")'),
        ("F((1),)", 'F((1),"M")'),
        ("F()", None),  # no argument at all: nothing left out
        ('F("a,,b",1)', None),  # commas in a text
        ("G(1,,2)", None),
    ],
)
def test_mark_omitted_writes_out_each_argument_left_out(text, marked):
    shown = None if marked is None else marked.replace('"M"', f'"{OMITTED}"')
    assert mark_omitted(text, {"F"}) == shown
