"""An Excel error value in a single-cell argument is refused naming the argument, never read as
"not given" (R16).

xlwings hands an error cell to a function as None unless the argument is declared with
``err_to_str``, on classic Windows (``_xlwindows._clean_value_data_element``: the COM error code ->
None) and on Office.js (``pro/_xlofficejs._clean_value_data_element``: an ``Error`` value -> None);
None is a blank, and a blank means the default, so a ``#N/A`` budget was no budget and a ``#N/A``
basis the initial one. :func:`xlmargin_reads` applies that rule (copied: the xlwings modules need
pywin32 or a licence to import) with each argument's options as "Import Functions" registers them.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import xlmargin.excel.udfs as udfs
from tests.test_excel_registration import Imported, import_functions
from xlmargin.excel import registry

RANGES = ("positions", "trades", "candidates", "params", "covariance")
BOOK = [
    ["symbol", "type", "quantity", "price"],
    ["XYZ", "stock", 1000.0, 100.0],
    ["ABC", "stock", -500.0, 40.0],
]
PARAMS = [["as_of", "2026-11-20"], ["equity", 500_000.0]]
CANDIDATES = [
    ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right",
     "volatility", "min_qty", "max_qty", "cost"],
    ["XYZ P", "option", 10.0, 6.0, "XYZ", 100.0, 95.0, 30.0, "put", 0.3, 0.0, 50.0, 600.0],
]  # fmt: skip
GIVEN = {
    "positions": BOOK,
    "trades": [["symbol", "type", "quantity", "price"], ["XYZ", "stock", -100.0, 100.0]],
    "candidates": CANDIDATES,
    "params": PARAMS,
    "equity": 500_000.0,
    "requirement": 1_000.0,
    "scenario": "E10",
    "function": "PM_REQUIREMENT",
}


def xlmargin_reads(options: dict[str, Any]) -> Any:
    """What a #N/A cell becomes in an argument with ``options`` (xlwings' rule on both routes)."""
    return "#N/A" if options.get("err_to_str") else None


@pytest.fixture(scope="module")
def classic() -> Imported:
    return import_functions()


def scalar_arguments() -> list[tuple[str, str]]:
    return [(f.name, a.name) for f in registry.FUNCTIONS for a in f.args if a.name not in RANGES]


def test_every_argument_reads_an_error_cell_as_its_text(classic: Imported) -> None:
    lacking = [
        f"{name}({a['name']})"
        for name, info in classic.xlfunc.items()
        for a in info["args"]
        if not a["options"].get("err_to_str")
    ]
    assert not lacking, f"arguments that read an error cell as None (not given): {', '.join(lacking)}"


@pytest.mark.parametrize(("function", "argument"), scalar_arguments())
def test_an_error_cell_is_refused_naming_the_argument(
    classic: Imported, function: str, argument: str
) -> None:
    options = next(a["options"] for a in classic.xlfunc[function]["args"] if a["name"] == argument)
    wrapper = getattr(udfs, function)
    names = list(inspect.signature(wrapper).parameters)
    values = [xlmargin_reads(options) if n == argument else GIVEN.get(n) for n in names]
    assert wrapper(*values) == f"#INPUT {argument}: the cell holds the error value #N/A"


def test_a_budget_of_na_is_not_no_budget(classic: Imported) -> None:
    """HEDGE_OPTIMIZE with the budget cell #N/A: refused, not run with no budget (it spent 10,200
    against a cap of 1,000 on the R16 probe)."""
    options = classic.xlfunc["HEDGE_OPTIMIZE"]["args"][3]["options"]
    capped = udfs.HEDGE_OPTIMIZE(BOOK, CANDIDATES, "pm", 1_000.0, PARAMS)
    assert next(r for r in capped if r[0] == "spend")[1] != "no budget"
    refused = udfs.HEDGE_OPTIMIZE(BOOK, CANDIDATES, "pm", xlmargin_reads(options), PARAMS)
    assert refused == "#INPUT budget: the cell holds the error value #N/A"


@pytest.mark.parametrize("error", ["#N/A", "#VALUE!", "#REF!", " #div/0! "])
@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda e: udfs.REGT_MARGIN(BOOK, e, None, PARAMS), "basis"),
        (lambda e: udfs.REGT_MARGIN(BOOK, None, e, PARAMS), "net_of_proceeds"),
        (lambda e: udfs.ESMA_MARGIN(BOOK, e, PARAMS), "account_currency"),
        (lambda e: udfs.MAX_NOTIONAL(BOOK, 500_000.0, e, PARAMS), "regime"),
        (lambda e: udfs.HEDGE_OPTIMIZE(BOOK, CANDIDATES, e, None, PARAMS), "objective"),
        (lambda e: udfs.MARGIN_IMPACT(BOOK, GIVEN["trades"], e, PARAMS), "regime"),
        (lambda e: udfs.STRESS_PNL(BOOK, e, PARAMS), "scenario"),
        (lambda e: udfs.XLM_PARAMS(e), "function"),
    ],
)
def test_every_scalar_reader_names_the_error_value(call: Any, argument: str, error: str) -> None:
    assert call(error) == f"#INPUT {argument}: the cell holds the error value {error.strip().upper()}"


def test_another_xlmargin_cells_error_is_named_too() -> None:
    upstream = "#INPUT row 4 of the range, price: the cell holds the error value #N/A"
    shown = udfs.REGT_MARGIN(BOOK, upstream, None, PARAMS)
    assert shown == f"#INPUT basis: the cell holds an error: {upstream}"
