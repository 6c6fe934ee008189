"""Every worksheet function called as Excel calls it, from both routes, and the shared cache.

Classic Windows COM hands blanks as None and integers as floats, dates as datetimes; Office.js
hands blanks as 0, integers as ints and dates as serial numbers. Both must give the same answer;
malformed ranges of every kind must come back as a number, a table or one '#' line — never raise.
"""

import datetime as dt
import math

import pytest

from tests.conftest import AS_OF
from xlmargin.decisions.candidates import ZERO_COST
from xlmargin.errors import InputError
from xlmargin.excel import functions as fn
from xlmargin.excel import registry, udfs
from xlmargin.excel.cache import digest
from xlmargin.excel.functions import CACHE
from xlmargin.positions.build import ZERO_MULTIPLIER, ZERO_VOLATILITY

SERIAL = (AS_OF - dt.date(1899, 12, 30)).days
EXPIRY = AS_OF + dt.timedelta(days=45)
PARAMS = [["as_of", dt.datetime(2026, 11, 20)], ["rate", 0.04]]
PARAMS_OFFICE = [["as_of", SERIAL], ["rate", 0.04]]

HEADER = ["Symbol", "Type", "Qty", "Price", "UndPx", "Strike", "Expiry", "Right", "Mult", "IV", "Sleeve"]


def classic_book() -> list[list]:
    expiry = dt.datetime.combine(EXPIRY, dt.time())
    return [
        HEADER,
        ["AAPL", "stock", 300.0, 228.5, None, None, None, None, None, None, "core"],
        ["AAPL", "option", -3.0, 4.1, 228.5, 240.0, expiry, "C", None, None, "core"],
        ["SPY", "etf", 200.0, 598.3, None, None, None, None, None, None, "core"],
        ["SPX", "option", -1.0, 31.2, 5985.0, 5600.0, expiry, "P", None, None, "core"],
        ["SPX", "option", 1.0, 22.0, 5985.0, 5500.0, expiry, "P", None, None, "core"],
        ["TLT", "etf", 500.0, 92.4, None, None, None, None, None, None, "hedge"],
        ["GLD", "etf", 100.0, 242.8, None, None, None, None, None, None, "hedge"],
    ]


def office_book() -> list[list]:
    """The same book as Office.js sends it: blanks 0, whole numbers int, dates serial."""
    serial = (EXPIRY - dt.date(1899, 12, 30)).days
    out = [HEADER]
    for row in classic_book()[1:]:
        cells = []
        for cell in row:
            if cell is None:
                cells.append(0)
            elif isinstance(cell, dt.datetime):
                cells.append(serial)
            elif isinstance(cell, float) and cell.is_integer():
                cells.append(int(cell))
            else:
                cells.append(cell)
        out.append(cells)
    return out


FUTURES = [
    ["Symbol", "Type", "Qty", "Price"],
    ["ESZ6", "future", 2.0, 6000.0],
    ["NQZ6", "future", -1.0, 21000.0],
]
RETAIL = [
    ["Symbol", "Type", "Qty", "Price", "Currency", "Class"],
    ["DE40", "cfd", 1.0, 11500.0, "EUR", None],
    ["EURUSD", "fx", 100000.0, 1.0444, None, "fx_major"],
]

# name -> (classic arguments, Office.js arguments)
CALLS = {
    "REGT_MARGIN": ((classic_book(), None, None, PARAMS), (office_book(), 0, 0, PARAMS_OFFICE)),
    "REGT_BREAKDOWN": (
        (classic_book(), "maintenance", True, PARAMS),
        (office_book(), "maintenance", 1, PARAMS_OFFICE),
    ),
    "PM_REQUIREMENT": ((classic_book(), PARAMS), (office_book(), PARAMS_OFFICE)),
    "PM_SCENARIOS": ((classic_book(), PARAMS), (office_book(), PARAMS_OFFICE)),
    "PM_BREAKDOWN": ((classic_book(), PARAMS), (office_book(), PARAMS_OFFICE)),
    "FUTURES_MARGIN": ((FUTURES, PARAMS), (FUTURES, PARAMS_OFFICE)),
    "FUTURES_BREAKDOWN": ((FUTURES, PARAMS), (FUTURES, PARAMS_OFFICE)),
    "ESMA_MARGIN": (
        (RETAIL, "EUR", [["as_of", AS_OF], ["fx.USD", 0.9575]]),
        (RETAIL, "EUR", [["fx.USD", 0.9575]]),
    ),
    "ESMA_BREAKDOWN": ((RETAIL, None, [["fx.USD", 0.9575]]), (RETAIL, 0, [["fx.USD", 0.9575]])),
    "ACCOUNT_MARGIN": ((classic_book(), PARAMS), (office_book(), PARAMS_OFFICE)),
    "ACCOUNT_BREAKDOWN": ((classic_book(), PARAMS), (office_book(), PARAMS_OFFICE)),
    "STRESS_PNL": ((classic_book(), "E10", PARAMS, None), (office_book(), "E10", PARAMS_OFFICE, 0)),
    "STRESS_TABLE": ((classic_book(), PARAMS, None), (office_book(), PARAMS_OFFICE, 0)),
    "RISK_MARGIN": ((classic_book(), PARAMS, None), (office_book(), PARAMS_OFFICE, 0)),
    "RISK_BREAKDOWN": ((classic_book(), PARAMS, None), (office_book(), PARAMS_OFFICE, 0)),
    "MARGIN_CUSHION": ((250000.0, 100000.0), (250000, 100000)),
    "MAX_NOTIONAL": ((classic_book(), 250000.0, "pm", PARAMS), (office_book(), 250000, "pm", PARAMS_OFFICE)),
    "XLM_PARAMS": (("PM_REQUIREMENT",), ("pm_requirement",)),
    "XLM_VERSION": ((), ()),
}
TRADES = [["Symbol", "Type", "Qty", "Price"], ["SPY", "etf", -100.0, 598.3], ["QQQ", "etf", 50.0, 512.4]]
CANDIDATES = [
    ["Symbol", "Type", "Qty", "Price", "UndPx", "Strike", "Expiry", "Right", "min_qty", "max_qty", "cost"],
    ["SPY", "option", 3.0, 9.5, 598.3, 580.0, dt.datetime.combine(EXPIRY, dt.time()), "P", None, None, None],
    ["TLT", "etf", 500.0, 92.4, None, None, None, None, None, None, None],
]
CANDIDATES_OFFICE = [[0 if c is None else c for c in row] for row in CANDIDATES]
CALLS |= {
    "MARGIN_IMPACT": ((classic_book(), TRADES, None, PARAMS), (office_book(), TRADES, 0, PARAMS_OFFICE)),
    "MARGIN_CONTRIBUTION": ((classic_book(), "pm", PARAMS), (office_book(), "pm", PARAMS_OFFICE)),
    "HEDGE_OPTIMIZE": (
        (classic_book(), CANDIDATES, "pm", None, PARAMS),
        # the budget left out: a 0 (Office.js' empty cell) is a budget, refused (test_excel_decisions)
        (office_book(), CANDIDATES_OFFICE, "pm", None, PARAMS_OFFICE),
    ),
    "MARGIN_CALL_MOVE": ((classic_book(), 250000.0, None, PARAMS), (office_book(), 250000, 0, PARAMS_OFFICE)),
    "LIQUIDATION_PLAN": (
        (classic_book(), 20000.0, "pm", PARAMS),
        (office_book(), 20000, "pm", PARAMS_OFFICE),
    ),
}


def assert_clean(result, shape: str) -> None:
    """A finite number, or a rectangular table of str/float with no blank-making cell."""
    if shape == "scalar":
        if isinstance(result, str):
            assert not result.startswith("#"), result
        else:
            assert isinstance(result, float) and math.isfinite(result)
        return
    assert isinstance(result, list) and result and all(isinstance(r, list) for r in result), result
    width = len(result[0])
    for row in result:
        assert len(row) == width
        for cell in row:
            assert isinstance(cell, str | float | int) and not isinstance(cell, bool), cell
            if isinstance(cell, float):
                assert math.isfinite(cell)


def test_every_registered_function_is_covered_here():
    assert set(CALLS) == set(registry.BY_NAME)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_classic_and_office_js_inputs_give_the_same_clean_result(name):
    classic_args, office_args = CALLS[name]
    udf = getattr(udfs, name)
    classic = udf(*classic_args)
    office = udf(*office_args)
    assert_clean(classic, registry.BY_NAME[name].shape)
    assert classic == _without_zero_volatility(office)


def _without_zero_volatility(result):
    """A result less the rows by which Office.js's differs: its blank IV and multiplier cells arrive
    as 0, which the reader names as a volatility or a multiplier of 0 read as blank (it cannot tell
    them from a typed 0), and the candidates' blank costs as a cost of 0 read as blank."""
    if not isinstance(result, list):
        return result
    zeros = (ZERO_VOLATILITY, ZERO_MULTIPLIER, ZERO_COST)
    kept = [r for r in result if not (r[0] == "warning" and any(z in str(r[1]) for z in zeros))]
    assert len(result) - len(kept) <= 3
    return kept


@pytest.mark.parametrize("name", ["REGT_MARGIN", "PM_REQUIREMENT", "RISK_MARGIN"])
def test_oversized_ranges_with_trailing_blank_rows_and_columns(name):
    padded = [[*row, None, None] for row in classic_book()] + [[None] * (len(HEADER) + 2)] * 200
    udf = getattr(udfs, name)
    rest = CALLS[name][0][1:]
    assert udf(padded, *rest) == udf(classic_book(), *rest)


POSITIONS_FUNCTIONS = sorted(f.name for f in registry.FUNCTIONS if f.args and f.args[0].name == "positions")
MALFORMED = {
    "header only": [HEADER],
    "single cell": [["AAPL"]],
    "single row": HEADER,
    "empty": [],
    "all blank": [[None, None], [None, None]],
    "error value in a price": [HEADER[:4], ["AAPL", "stock", 100.0, "#N/A"]],
    "text in quantity": [HEADER[:4], ["AAPL", "stock", "lots", 10.0]],
    "missing quantity column": [["Symbol", "Price"], ["AAPL", 10.0]],
    "a number": 42.0,
    "none": None,
    "ragged rows": [HEADER[:4], ["AAPL", "stock"], ["MSFT", "stock", 1.0, 2.0, 3.0, 4.0]],
    "absurd quantity": [HEADER[:4], ["AAPL", "stock", 1e308, 10.0]],
    "NaN price": [HEADER[:4], ["AAPL", "stock", 1.0, float("nan")]],
    "a list in a row": [HEADER[:4], ["AAPL", "stock", [100.0], 10.0], ["MSFT", "stock", 1.0, 2.0]],
    "a row that is a number": [HEADER[:4], ["AAPL", "stock", 100.0, 10.0], 5.0, ["MSFT", "stock", 1.0, 2.0]],
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("name", POSITIONS_FUNCTIONS)
def test_malformed_ranges_give_one_hash_line_never_an_exception(name, case):
    args = list(CALLS[name][0])
    args[0] = MALFORMED[case]
    result = getattr(udfs, name)(*args)
    assert isinstance(result, str) and result.startswith("#"), result
    assert "\n" not in result and "Traceback" not in result


def test_errors_name_the_row_and_column():
    book = classic_book()
    book[3][3] = "#N/A"
    assert udfs.REGT_MARGIN(book) == "#INPUT row 4 of the range, price: the cell holds the error value #N/A"


@pytest.mark.parametrize("cell", [[228.5], (228.5,), {"price": 228.5}, [[228.5, None]]])
def test_a_list_in_a_cell_beside_numbers_is_an_error_naming_the_row_and_column(cell):
    """The cache's key for a range (``digest``) raised TypeError (unhashable list) on a row mixing
    lists and numbers, before the reader could name the cell; the key is only a key, so it is made
    and the reader refuses the cell."""
    book = classic_book()
    book[-1] = [*book[-1]]
    book[-1][3] = cell
    result = udfs.PM_REQUIREMENT(book, PARAMS)
    assert result.startswith(f"#INPUT row {len(book)} of the range, price: "), result
    assert "is not a number" in result
    hash(digest([HEADER, 5.0, [1.0, [2.0]], {"a": [3.0]}]))  # rows mixing lists and single values


def test_a_decimal_comma_is_an_error_naming_the_row_and_column():
    book = classic_book()
    book[1][3] = "228,5"  # read as 2285 before
    assert udfs.PM_REQUIREMENT(book, PARAMS) == (
        "#INPUT row 2 of the range, price: '228,5' is not a number: a comma is read only as a thousands "
        "separator (1,234.5); use a point for decimals"
    )


def test_a_boolean_or_a_date_in_a_text_column_is_an_error_not_a_ticker():
    book = classic_book()
    book[0] = [*HEADER, "Underlying"]
    for row in book[1:]:
        row.append(None)
    book[2][-1] = True  # the covered call once became a naked call on an underlying 'TRUE'
    assert udfs.PM_REQUIREMENT(book, PARAMS) == (
        "#INPUT row 3 of the range, underlying: TRUE is a TRUE/FALSE cell, not an underlying"
    )
    book[2][-1], book[1][0] = None, dt.datetime(2026, 3, 1)  # MAR1 typed into a General column
    dated = "#INPUT row 2 of the range, symbol: 2026-03-01 is a date, not a symbol; "
    assert udfs.REGT_MARGIN(book).startswith(dated)


def test_a_malformed_osi_symbol_is_an_error_naming_the_row_and_the_symbol_column():
    book = [["Symbol", "Qty", "Price", "UndPx"], ["AAPL  2401X19C00150000", -1.0, 5.0, 160.0]]
    book.append(["AAPL", 100.0, 160.0, None])  # REGT_BREAKDOWN showed the option as short stock
    assert udfs.PM_REQUIREMENT(book, PARAMS).startswith(
        "#INPUT row 2 of the range, symbol: 'AAPL 2401X19C00150000' looks like an OSI option symbol but needs"
    )


def test_a_covariance_given_as_a_text_is_refused_as_no_range():
    # the text was read as a range of one-character rows: "row 2, covariance: 's' is not a factor"
    assert udfs.RISK_MARGIN(classic_book(), PARAMS, "us_equity") == (
        "#INPUT covariance: a covariance must be a range, a square matrix with the factor names as its "
        "first row and column, not the single value 'us_equity'"
    )


def test_bad_scalar_arguments_are_named():
    assert udfs.REGT_MARGIN(classic_book(), "overnight").startswith("#INPUT basis: basis must be one of")
    assert udfs.MARGIN_CUSHION("lots", 1.0) == "#INPUT equity: 'lots' is not a number"
    assert udfs.PM_REQUIREMENT(classic_book(), [["volatility_smile", 1.0]]).startswith(
        "#INPUT row 1 of the range, params: unknown parameter 'volatility_smile'; known:"
    )


def test_sleeve_parameter_selects_part_of_the_book():
    core = fn.pm_requirement(classic_book(), [*PARAMS, ["sleeve", "core"]])
    hedge = fn.pm_requirement(classic_book(), [*PARAMS, ["sleeve", "hedge"]])
    both = fn.pm_requirement(classic_book(), PARAMS)
    # Regulatory portfolio margin grants no offset between the equity book and the hedge sleeve.
    assert both == pytest.approx(core + hedge)


def test_a_second_call_over_an_unchanged_range_is_served_from_the_cache():
    CACHE.clear()
    book = classic_book()
    first = fn.pm_requirement(book, PARAMS)
    misses = CACHE.misses
    second = fn.pm_requirement([list(r) for r in book], PARAMS)  # equal content, new objects
    assert second == first
    assert CACHE.misses == misses and CACHE.hits >= 1


def test_the_cells_of_a_comparison_table_reading_one_range_compute_it_once(monkeypatch):
    import xlmargin.pm as pm

    CACHE.clear()
    calls = []
    real = pm.pm_requirement
    monkeypatch.setattr(pm, "pm_requirement", lambda *a, **k: calls.append(1) or real(*a, **k))
    book = classic_book()
    fn.pm_requirement(book, PARAMS)
    fn.pm_scenarios(book, PARAMS)
    fn.pm_breakdown(book, PARAMS)
    fn.regt_margin(book, None, None, PARAMS)
    assert len(calls) == 1
    # the positions were parsed once for all four cells
    assert sum(1 for key in CACHE._data if key[0] == "positions") == 1


def test_a_breakdown_is_formatted_once_and_handed_out_as_a_copy(monkeypatch):
    # a second cell showing the same breakdown (or a full recalculation) gets the table made for
    # the first, not a new one; what a caller does to its table changes nothing the next one gets
    from xlmargin.regt import RegTResult

    CACHE.clear()
    made = []
    real = RegTResult.table
    monkeypatch.setattr(RegTResult, "table", lambda self: made.append(1) or real(self))
    book = classic_book()
    first = fn.regt_breakdown(book, None, None, PARAMS)
    first[1][0] = "changed"
    first.append(["extra"])
    second = fn.regt_breakdown([list(r) for r in book], None, None, PARAMS)
    assert len(made) == 1
    assert second[1][0] != "changed" and second[-1] != ["extra"]
    assert second == fn.regt_breakdown(book, None, None, PARAMS)
    fn.regt_breakdown(book, "maintenance", None, PARAMS)  # another result: its own table
    assert len(made) == 2
    # the PM result's two views are two tables, each made once
    assert fn.pm_scenarios(book, PARAMS) != fn.pm_breakdown(book, PARAMS)
    assert fn.pm_scenarios(book, PARAMS)[0] == fn.pm_scenarios(book, PARAMS)[0]


def test_the_cache_is_bounded():
    from xlmargin.excel.cache import ResultCache

    cache = ResultCache(max_entries=3, max_cells=10)
    for i in range(10):
        cache.get_or_compute(("k", i), lambda i=i: i, cells=4)
    assert len(cache) <= 3 and cache.cells <= 10


def test_version_names_the_rule_sets():
    text = fn.xlm_version()
    assert text.startswith("xlmargin ")
    for rule_file in ("regt", "pm", "span", "esma", "stress", "symbols"):
        assert f"{rule_file} " in text


def test_an_edit_anywhere_in_the_range_is_never_served_from_the_cache():
    """The cache key reads only a few rows; the whole range is compared on every hit."""
    CACHE.clear()
    book = classic_book()
    before = fn.pm_requirement(book, PARAMS)
    edited = [list(r) for r in book]
    edited[2][2] = -6.0  # row 3: neither the first, middle nor last row of the range
    after = fn.pm_requirement(edited, PARAMS)
    assert after != before
    book[2][2] = -6.0  # the caller mutating its own list after a call cannot corrupt the cache
    assert fn.pm_requirement(classic_book(), PARAMS) == before


@pytest.mark.parametrize("number, truth", [(1.0, True), (0.0, False), (1, True)])
def test_a_true_or_false_in_place_of_the_number_it_equals_is_read_again_not_served(number, truth):
    """Python holds ``True == 1`` (and ``False == 0``) with equal hashes, but the reader refuses a
    TRUE/FALSE quantity where it takes the number: after a call on the book, the same book with
    that one cell TRUE (FALSE) is refused, not given the book's figure from the cache; and back."""
    CACHE.clear()
    book = classic_book()
    book[5][2] = number  # row 6: the long SPX put (0: no position)
    before = fn.pm_requirement(book, PARAMS)
    flipped = [list(r) for r in book]
    flipped[5][2] = truth
    with pytest.raises(InputError, match="row 6, quantity"):
        fn.pm_requirement(flipped, PARAMS)
    assert udfs.PM_REQUIREMENT(flipped, PARAMS).startswith("#INPUT row 6 of the range, quantity")
    assert fn.pm_requirement([list(r) for r in book], PARAMS) == before  # the copy still serves


def test_the_cached_copy_checks_truth_values_only_where_a_cell_equals_0_or_1():
    """:class:`RangeCopy` compares rows with ``==`` and then, at the cells equal to 0 or 1 (found
    at the first comparison), that a TRUE/FALSE meets a TRUE/FALSE; ranges of other shapes or
    cells compare as lists do."""
    import numpy as np

    from xlmargin.excel.cache import RangeCopy, freeze, snapshot

    rows = [["symbol", "qty", "flag"], ["XYZ", 1.0, True], ["ABC", 2.0, None]]
    copy = snapshot(rows)
    assert isinstance(copy, RangeCopy) and copy == rows
    assert copy != [["symbol", "qty", "flag"], ["XYZ", True, True], ["ABC", 2.0, None]]
    assert copy != [["symbol", "qty", "flag"], ["XYZ", 1.0, 1.0], ["ABC", 2.0, None]]
    assert copy != [["symbol", "qty", "flag"], ["XYZ", np.True_, True], ["ABC", 2.0, None]]
    assert copy != [["symbol", "qty"], ["XYZ", 1.0], ["ABC", 2.0]]
    assert snapshot((("a", 1.0),)) != (("a", True),)
    # the key of a trades or candidates range: TRUE and 1 are two keys
    assert freeze([["XYZ", 1.0]]) != freeze([["XYZ", True]])
    assert freeze({"net": True}) != freeze({"net": 1.0})
    assert freeze([["XYZ", 1.0]]) == freeze([("XYZ", 1)])


@pytest.mark.parametrize(
    "rows",
    [
        [["symbol", "qty"], ["XYZ", 1.0]],  # every row a list: the C-mapped copy
        [["symbol", "qty"], ("XYZ", 1.0)],  # a tuple row: kept, it cannot change
        ["symbol", "qty"],  # one row handed over flat: single values, kept
    ],
)
def test_the_cached_copy_of_a_range_is_equal_and_shares_no_list_with_it(rows):
    """The positions cache stores :func:`snapshot` of the range and compares later calls with it:
    equal to the range, and no list of it is the caller's, whatever the rows are."""
    from xlmargin.excel.cache import snapshot

    copy = snapshot(rows)
    assert copy == rows and copy is not rows
    assert not any(a is b for a, b in zip(copy, rows, strict=True) if isinstance(b, list))


def test_the_readme_documents_every_worksheet_function_with_its_signature():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for function in registry.FUNCTIONS:
        assert f"`{function.signature}`" in readme, function.signature


def test_a_number_argument_holding_another_cells_error_says_so():
    """A cushion that reads a requirement cell which failed shows that cell's error, not the
    confusing "'#INPUT row 4 of the range, ...' is not a number"; an Excel error value is named as before."""
    failed = "#INPUT row 4 of the range, quantity: 'ten' is not a number"
    assert udfs.MARGIN_CUSHION(100_000.0, failed) == (
        "#INPUT requirement: the cell holds an error, not a number: " + failed
    )
    assert udfs.MARGIN_CUSHION(100_000.0, "#N/A") == "#INPUT requirement: the cell holds the error value #N/A"
    assert udfs.MARGIN_CUSHION(100_000.0, "#INPUTS 5").startswith("#INPUT requirement: '#INPUTS 5'")


def test_a_sleeve_list_with_a_name_no_position_holds_is_refused():
    # A misspelt name in a list used to be dropped silently, leaving a partial total.
    book = classic_book()
    both = fn.pm_requirement(book, [*PARAMS, ["sleeve", "Hedge, core"]])
    assert both == fn.pm_requirement(book, PARAMS)
    with pytest.raises(InputError, match=r"no position is in sleeve 'cor'; sleeves found: core, hedge$"):
        fn.pm_requirement(book, [*PARAMS, ["sleeve", "hedge,cor"]])
    with pytest.raises(
        InputError, match=r"no position is in sleeves 'cash', 'cor'; sleeves found: core, hedge"
    ):
        fn.regt_margin(book, None, None, [*PARAMS, ["sleeve", "cor, hedge, cash"]])
    assert udfs.PM_REQUIREMENT(book, [*PARAMS, ["sleeve", "hedge,cor"]]).startswith(
        "#INPUT sleeve: no position is in sleeve 'cor'"
    )


def test_a_sleeve_given_as_a_number_matches_the_sleeve_cell_as_the_reader_shows_it():
    book = [[*row[:-1], 1.0 if row[-1] == "core" else 2.0] for row in classic_book()[1:]]
    book = [HEADER, *book]
    core = fn.pm_requirement(classic_book(), [*PARAMS, ["sleeve", "core"]])
    assert fn.pm_requirement(book, [*PARAMS, ["sleeve", 1.0]]) == core
    assert fn.pm_requirement(book, [*PARAMS, ["sleeve", 1]]) == core  # Office.js sends whole numbers as int
    assert fn.pm_requirement(book, [*PARAMS, "sleeve=1, 2"]) == fn.pm_requirement(book, PARAMS)
    with pytest.raises(InputError, match="no position is in sleeve '3'; sleeves found: 1, 2"):
        fn.pm_requirement(book, [*PARAMS, ["sleeve", 3.0]])


@pytest.mark.parametrize("blank", [None, "", " ", 0, ", ,"])
def test_a_blank_sleeve_means_the_whole_book(blank):
    assert fn.pm_requirement(classic_book(), [*PARAMS, ["sleeve", blank]]) == fn.pm_requirement(
        classic_book(), PARAMS
    )


def _warnings(rows: list[list]) -> list[str]:
    return [r[1] for r in rows if r[0] == "warning"]


def test_reg_t_breakdown_ends_with_the_engines_own_warnings_once():
    # A class of more than `pairing.exhaustive_legs` option legs is paired among the nearest strikes,
    # and says so; REGT_BREAKDOWN showed only the positions reader's warnings.
    header = ["symbol", "type", "quantity", "price", "underlying price", "strike", "days", "right", "memo"]
    rows = [header]
    for i in range(90):
        strike = 80.0 + i
        rows.append(["XYZ", "option", 1.0 if i % 2 else -1.0, max(100.0 - strike, 0.0) + 1.0, 100.0,
                     strike, 30.0 + 30 * (i % 3), "C" if i % 4 < 2 else "P", "x"])  # fmt: skip
    for _ in range(2):  # the second from the cache
        shown = _warnings(fn.regt_breakdown(rows, None, None, PARAMS))
        assert shown[0] == "columns ignored (not positions fields): memo"
        assert len(shown) == 2 and "nearest strikes per expiry" in shown[1]


def test_pm_and_account_breakdowns_end_with_the_engines_warnings():
    params = [*PARAMS, ["equity", 50_000.0]]
    below = "equity 50,000.00 is below the FINRA 4210(g) minimum of 100,000: the account is not eligible"
    assert [w[: len(below)] for w in _warnings(fn.pm_breakdown(classic_book(), params))] == [below]
    account = fn.account_breakdown(classic_book(), [*params, ["securities", "pm"]])
    assert [w[: len(below)] for w in _warnings(account)] == [below]


def test_a_stress_note_is_not_repeated_as_a_warning_row():
    rows = [
        ["Symbol", "Type", "Qty", "Price", "Currency", "fx_rate"],
        ["THYAO", "stock", 100.0, 300.0, "TRY", 0.03],
    ]
    table = fn.risk_breakdown(rows, PARAMS)
    assert [r[1] for r in table if r[0] == "note"][-1].startswith("TRY has no risk factor")
    assert _warnings(table) == []


def test_a_warning_given_twice_is_one_row():
    assert fn.table([["a", 1.0], ["note", "seen"]], ["x", "x", "seen"]) == [
        ["a", 1.0],
        ["note", "seen"],
        ["warning", "x"],
    ]


@pytest.mark.parametrize(
    "name", ["MARGIN_IMPACT", "MARGIN_CONTRIBUTION", "HEDGE_OPTIMIZE", "MARGIN_CALL_MOVE", "LIQUIDATION_PLAN"]
)
def test_xlm_params_lists_the_decision_functions_parameters(name):
    # the README sends users to =XLM_PARAMS("HEDGE_OPTIMIZE"); it said no parameters were documented
    listed = [row[0] for row in udfs.XLM_PARAMS(name)]
    assert listed[0] == "parameter"
    assert {"cushion", "time_limit", "plan_by", "securities", "include", "sleeve"} <= set(listed)
    assert len(listed) == len(set(listed))


FUTURE_OPTIONS = [
    ["Symbol", "Type", "Qty", "Price", "Underlying", "UndPx", "Strike", "Days", "Right", "Mult"],
    ["ESZ6", "future", 3.0, 6000.0, None, None, None, None, None, None],
    ["ES C", "future_option", -2.0, 151.37, "ESZ6", 6000.0, 6000.0, 30.0, "C", 50.0],
]
THIRDS = [
    ["Symbol", "Type", "Qty", "Price", "Currency"],
    ["DE40", "cfd", 1.0, 11725.0, "EUR"],
    ["FR40", "cfd", 1.0, 8333.35, "EUR"],
]
DATED = [["as_of", AS_OF]]
MIXED = [  # futures in USD and CFDs in EUR, for a EUR account
    [*FUTURE_OPTIONS[0], "Currency"],
    *([*row, None] for row in FUTURE_OPTIONS[1:]),
    *([symbol, kind, qty, price, *[None] * 6, currency] for symbol, kind, qty, price, currency in THIRDS[1:]),
]
IN_EUR = [*PARAMS, "fx.USD=1.1", "account_currency=EUR"]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("RISK_MARGIN", (classic_book(), PARAMS)),
        ("STRESS_PNL", (classic_book(), "E10", PARAMS)),
        ("ESMA_MARGIN", (THIRDS, "EUR", DATED)),
        ("ACCOUNT_MARGIN", (MIXED, IN_EUR)),
        ("FUTURES_MARGIN", (FUTURE_OPTIONS, PARAMS)),
    ],
)
def test_single_number_functions_are_to_the_cent(name, args):
    # they gave 77140.56825347598, 3908.3333333333335, ... whose last digits moved with row order
    value = getattr(udfs, name)(*args)
    assert isinstance(value, float) and value == round(value, 2) and value != 0
    positions, *rest = args
    assert getattr(udfs, name)([positions[0], *reversed(positions[1:])], *rest) == value


@pytest.mark.parametrize(
    ("name", "args", "column"),
    [
        ("ESMA_BREAKDOWN", (THIRDS, "EUR", DATED), -2),
        (
            "ACCOUNT_BREAKDOWN",
            (MIXED, IN_EUR),
            -1,
        ),
        ("FUTURES_BREAKDOWN", (FUTURE_OPTIONS, PARAMS), -2),
    ],
)
def test_breakdown_lines_add_up_to_their_total_to_the_cent(name, args, column):
    rows = getattr(udfs, name)(*args)
    total = next(r for r in rows if str(r[0]).startswith("total"))
    lines = [r[column] for r in rows[1 : rows.index(total)]]
    assert round(sum(lines), 2) == total[column]


def test_a_flat_cached_copy_compares_its_single_values():
    """A range handed over flat (single values) keeps its 0/1 checks on the values themselves."""
    from xlmargin.excel.cache import snapshot

    assert snapshot([1, 0, 2]) == [1, 0, 2]
    assert snapshot([1, 0, 2]) != [True, 0, 2]
