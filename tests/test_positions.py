"""The positions-table reader: Excel-shaped input from both routes, and every kind of bad input."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.bench_reader import as_export
from benchmarks.book import book
from tests.conftest import AS_OF
from xlmargin.errors import InputError
from xlmargin.positions import Portfolio, read_positions
from xlmargin.positions.model import DAYS_PER_YEAR

HEADER = ["Symbol", "Type", "Qty", "Price", "UndPx", "Strike", "Expiry", "Right", "Mult", "IV"]
STOCK = ["IBM", "stock", 500.0, 91.25, None, None, None, None, None, None]
CALL = ["IBM", "option", -5.0, 2.78, 91.25, 95.0, dt.datetime(2026, 12, 18), "C", 100.0, None]


def read(rows):
    return read_positions(rows, as_of=AS_OF)


def problems(rows) -> list[str]:
    with pytest.raises(InputError) as info:
        read(rows)
    return [str(p) for p in info.value.problems]


def test_reads_stock_and_option_with_defaults():
    portfolio = read([HEADER, STOCK, CALL])
    stock, call = portfolio.positions
    assert (stock.symbol, stock.type, stock.quantity, stock.multiplier) == ("IBM", "stock", 500.0, 1.0)
    assert (call.right, call.strike, call.multiplier, call.style) == ("C", 95.0, 100.0, "american")
    assert call.expiry == dt.date(2026, 12, 18)
    assert call.expiry_years == pytest.approx(28 / 365)
    assert math.isnan(call.volatility)


def test_headers_match_loosely_in_any_order_and_unknown_columns_are_ignored():
    header = [
        "ticker",
        "NOTES",
        "Put_Call",
        "strike",
        "under-lying price",
        "position",
        "MARK",
        "asset",
        "DTE",
    ]
    row = ["IBM", "hello", "put", 90.0, 91.25, 5.0, 2.5, "OPT", 21.0]
    (put,) = read([header, row]).positions
    assert (put.type, put.right, put.quantity, put.price, put.underlying_price) == (
        "option",
        "P",
        5,
        2.5,
        91.25,
    )
    assert put.expiry == AS_OF + dt.timedelta(days=21)


@pytest.mark.parametrize("blank", [None, "", 0, 0.0, "   "])
def test_blank_rows_in_an_oversized_range_are_ignored_whatever_the_route_sends(blank):
    rows = [HEADER, STOCK, [blank] * len(HEADER), CALL, *[[blank] * len(HEADER)] * 50]
    portfolio = read(rows)
    assert [p.row for p in portfolio] == [2, 4]


def test_office_js_blanks_as_zero_and_ints_read_like_classic_none_and_floats():
    classic = [HEADER, STOCK, CALL]
    office = [
        HEADER,
        ["IBM", "stock", 500, 91.25, 0, 0, 0, 0, 0, 0],
        ["IBM", "option", -5, 2.78, 91.25, 95, 46374, "C", 100, 0],  # 46374 = 2026-12-18
    ]
    assert repr(read(classic).positions) == repr(read(office).positions)  # repr: NaN != NaN


def test_dates_as_datetime_serial_iso_text_or_days():
    base = ["X", "option", 1.0, 1.0, 50.0, 50.0]
    expiries = [dt.datetime(2027, 1, 15), dt.date(2027, 1, 15), 46402.0, "2027-01-15"]
    rows = [HEADER[:8]] + [[*base, e, "P"] for e in expiries]
    assert {p.expiry for p in read(rows)} == {dt.date(2027, 1, 15)}


def test_dataframe_and_csv_and_xlsx(tmp_path):
    frame = pd.DataFrame([STOCK, CALL], columns=HEADER)
    from_frame = read_positions(frame, as_of=AS_OF)
    csv = tmp_path / "p.csv"
    frame.to_csv(csv, index=False)
    from_csv = read_positions(csv, as_of=AS_OF)
    xlsx = tmp_path / "p.xlsx"
    frame.to_excel(xlsx, index=False, sheet_name="Positions")
    from_xlsx = read_positions(xlsx, as_of=AS_OF)
    assert repr(from_frame.positions) == repr(from_xlsx.positions)
    assert [p.quantity for p in from_csv] == [500.0, -5.0]
    assert from_csv.positions[1].expiry == dt.date(2026, 12, 18)


def test_index_members_share_a_class_group_and_index_options_default_to_european():
    rows = [
        HEADER,
        ["SPY", "etf", 100.0, 600.0, None, None, None, None, None, None],
        ["SPX", "option", -1.0, 10.0, 6000.0, 6100.0, "2026-12-18", "C", None, None],
        ["QQQ", "option", -1.0, 5.0, 500.0, 510.0, "2026-12-18", "C", None, None],
    ]
    spy, spx, qqq = read(rows).positions
    assert spy.class_group == spx.class_group == "SPX"
    assert (spy.asset_class, spx.asset_class) == ("highcap_index", "highcap_index")
    assert (spx.style, qqq.style) == ("european", "american")
    assert (spy.index_units, spx.index_units) == (0.1, 1.0)


def test_class_column_overrides_the_symbol_table():
    rows = [["Symbol", "Qty", "Price", "Class"], ["SPY", 1.0, 600.0, "equity"], ["ZZZ", 1.0, 1.0, None]]
    assert [p.asset_class for p in read(rows)] == ["equity", "equity"]


def test_portfolio_is_immutable():
    portfolio = read([HEADER, STOCK])
    with pytest.raises(ValueError):
        portfolio.arrays["quantity"][0] = 1.0
    with pytest.raises(AttributeError):
        portfolio.positions[0].quantity = 1.0  # type: ignore[misc]


# --- bad input: every problem reported at once, by row and column ----------------------------


def test_missing_required_column():
    assert problems([["Symbol", "Price"], ["IBM", 1.0]]) == [
        "row 1: missing required column 'quantity' (or qty, position, pos)"
    ]


def test_duplicate_header():
    assert problems([["Symbol", "Qty", "Quantity"], ["IBM", 1.0, 2.0]]) == [
        "row 1, Quantity: duplicate header: 'Quantity' and 'Qty' both mean quantity"
    ]


def test_text_in_a_number_column_and_error_values_are_named_by_row_and_column():
    rows = [HEADER, [*STOCK[:2], "lots", "#N/A", *STOCK[4:]], [*STOCK[:3], "#VALUE!", *STOCK[4:]]]
    assert problems(rows) == [
        "row 2, quantity: 'lots' is not a number",
        "row 2, price: the cell holds the error value #N/A",
        "row 3, price: the cell holds the error value #VALUE!",
    ]


def test_a_decimal_comma_is_named_by_row_and_column_not_read_a_hundred_times_larger():
    rows = [HEADER, [*STOCK[:3], "228,5", *STOCK[4:]], [*STOCK[:3], "1,234.50", *STOCK[4:]]]
    assert problems(rows) == [
        "row 2, price: '228,5' is not a number: a comma is read only as a thousands separator (1,234.5); "
        "use a point for decimals"
    ]
    assert read([HEADER, rows[2]]).positions[0].price == 1234.5


def test_negative_price_and_missing_price():
    rows = [HEADER, [*STOCK[:3], -1.0, *STOCK[4:]], [*STOCK[:3], None, *STOCK[4:]]]
    assert problems(rows) == ["row 2, price: negative price -1", "row 3, price: missing price"]


def test_a_table_without_a_price_column_says_so_once():
    """R13: a table with no price column said "missing price" on every row but cash (a cell said
    "(+6 more)"), naming no column the header lacks."""
    rows = [["symbol", "type", "quantity"], ["AAPL", "stock", 5], ["USD", "cash", 100], ["MSFT", "stock", 2]]
    assert problems(rows) == [
        "row 2, price: missing column 'price' (or mark, last, markprice, closeprice, marketprice): this row "
        "(and 1 more) needs a price, as every position but cash does"
    ]
    assert read([["symbol", "type", "quantity"], ["USD", "cash", 100]]).positions[0].quantity == 100


def test_option_without_strike_expiry_right_or_underlying_price():
    rows = [HEADER, ["IBM", "option", 1.0, 2.0, None, None, None, None, None, None]]
    assert problems(rows) == [
        "row 2, underlying_price: an option needs the underlying price",
        "row 2, strike: an option needs a strike",
        "row 2, expiry: an option needs an expiry date (or days to expiry)",
        "row 2, right: an option needs a right (call or put)",
    ]


def test_unknown_type_class_and_right():
    rows = [
        [*HEADER, "Class"],
        ["IBM", "warrant", 1.0, 2.0, None, None, None, None, None, None, None],
        ["IBM", "stock", 1.0, 2.0, None, None, None, None, None, None, "tulips"],
        ["IBM", "option", 1.0, 2.0, 90.0, 90.0, "2026-12-18", "straddle", None, None, None],
    ]
    found = problems(rows)
    assert found[0].startswith("row 2, type: unknown type 'warrant'; known: stock, etf, option")
    assert found[1].startswith("row 3, class: unknown class 'tulips'; known: equity")
    assert found[2] == "row 4, right: 'straddle' is not call/put/C/P"


def test_expiry_before_the_valuation_date():
    rows = [HEADER, [*CALL[:6], dt.date(2026, 11, 19), *CALL[7:]]]
    assert problems(rows) == ["row 2, expiry: expiry 2026-11-19 is before the valuation date 2026-11-20"]


def test_fractional_option_contracts_and_volatility_as_percentage():
    rows = [HEADER, [*CALL[:2], -1.5, *CALL[3:9], 25.0]]
    assert problems(rows) == [
        "row 2, quantity: option contracts must be whole numbers, got -1.5",
        "row 2, volatility: volatility 25 looks like a percentage; give it as a decimal (0.25)",
    ]


def test_fractional_futures_contracts():
    """A futures position is whole contracts, as an option position is: 2.5 ES contracts are refused
    with the row and column (they were margined as 2.5 contracts)."""
    header = ["symbol", "type", "quantity", "price", "multiplier", "expiry", "underlying"]
    future = ["ESZ6", "future", 2.5, 6000.0, 50.0, dt.date(2026, 12, 18), "ES"]
    assert problems([header, future]) == ["row 2, quantity: futures contracts must be whole numbers, got 2.5"]
    assert read([header, [*future[:2], -2.0, *future[3:]]]).arrays["quantity"].tolist() == [-2.0]


def test_all_problems_are_reported_together_and_the_message_is_one_line():
    rows = [HEADER, [*STOCK[:3], "#N/A", *STOCK[4:]], [*STOCK[:2], None, *STOCK[3:]]]
    with pytest.raises(InputError) as info:
        read(rows)
    assert len(info.value.problems) == 2
    assert str(info.value) == "row 2, price: the cell holds the error value #N/A (+1 more)"
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "data",
    [[], [[None, None]], [["Symbol", "Qty"]], "no-such-file.csv", 42],
    ids=["empty", "all-blank", "header-only", "missing-file", "a-number"],
)
def test_degenerate_tables_are_input_errors(data):
    with pytest.raises(InputError):
        read(data)


@pytest.mark.parametrize("value", [1e308, float("inf"), float("nan"), "1e300", "nan"])
def test_non_finite_and_absurdly_large_numbers_are_named_not_silently_zero(value):
    """A NaN must not read as a blank (a silent zero quantity); 1e308 would overflow the engines."""
    found = problems([["Symbol", "Qty", "Price"], ["IBM", value, 10.0]])
    assert found == [
        f"row 2, quantity: {value} is not a finite number of sensible size (at most 1e+15 in absolute value)"
    ]


def test_an_integer_beyond_any_float_is_named_not_a_traceback():
    """10**400 (a Python int from a script or an object DataFrame column) overflows float(): the
    reader names it as too large instead of raising OverflowError, in a column of numbers alone
    and among blanks."""
    sensible = "is not a finite number of sensible size (at most 1e+15 in absolute value)"
    for rows in (
        [["Symbol", "Qty", "Price"], ["IBM", 10**400, 10.0], ["MSFT", 5, 10.0]],
        [["Symbol", "Qty", "Price", "Dividend yield"], ["IBM", 5, 10.0, None], ["MSFT", 5, 10.0, 10**400]],
    ):
        (found,) = problems(rows)
        assert found.startswith(("row 2, quantity: 1000", "row 3, dividend_yield: 1000"))
        assert found.endswith(sensible)


@pytest.mark.parametrize("value", [-1e308, float("-inf"), 2e15])
def test_a_too_large_number_among_blanks_is_named_whatever_its_sign(value):
    """A number column's range is checked on its largest and smallest numbers, blanks (NaN) skipped."""
    rows = [["Symbol", "Qty", "Price", "Dividend yield"]] + [[f"S{i}", 1.0, 10.0, None] for i in range(5)]
    rows[3][3] = value
    sensible = "is not a finite number of sensible size (at most 1e+15 in absolute value)"
    assert problems(rows) == [f"row 4, dividend_yield: {value} {sensible}"]


@pytest.mark.parametrize("bad", [True, np.True_, np.False_, float("nan")])
def test_one_bad_cell_among_many_blanks_and_zeros_is_named(bad):
    """The whole-column conversion looks for NaN and boolean cells only among its blanks and its
    zeros and ones: the bad cell is still found, by row, in a long column of them."""
    rows = [["Symbol", "Qty", "Price", "Dividend yield"]]
    rows += [[f"S{i}", 1.0, 10.0, None if i % 2 else 0.0] for i in range(40)]
    rows[30][3] = bad
    found = problems(rows)
    assert len(found) == 1 and found[0].startswith("row 31, dividend_yield: ")  # the header is row 1
    assert len(read(rows[:30] + rows[31:])) == 39


@pytest.mark.parametrize("boolean", [True, np.True_])
def test_a_numpy_boolean_is_no_quantity_as_a_python_one_is_not(boolean):
    """np.True_ (a bool column of a DataFrame's values) once read as 1 through the whole-column path."""
    rows = [["Symbol", "Qty", "Price"], ["IBM", 100.0, 91.25], ["IBM", boolean, 91.25]]
    assert problems(rows) == ["row 3, quantity: True is not a number"]
    assert problems([rows[0], ["IBM", np.False_, 91.25]]) == ["row 2, quantity: False is not a number"]


TEXT_COLUMNS = ["symbol", "type", "underlying", "right", "style", "class", "currency", "sleeve", "factor"]


@pytest.mark.parametrize("column", TEXT_COLUMNS)
@pytest.mark.parametrize("boolean", [True, np.False_])
def test_a_boolean_in_a_text_column_is_refused_not_read_as_text(column, boolean):
    """TRUE in Underlying once made a covered call naked (underlying 'TRUE'); in Symbol, a class group."""
    row = {**dict(zip(map(str.lower, HEADER), CALL, strict=True)), column: boolean}
    word = "TRUE" if boolean else "FALSE"
    noun = "an underlying" if column == "underlying" else f"a {column}"
    found = problems([list(row), list(row.values())])
    assert f"row 2, {column}: {word} is a TRUE/FALSE cell, not {noun}" in found


@pytest.mark.parametrize("column", TEXT_COLUMNS)
@pytest.mark.parametrize("date", [dt.datetime(2026, 3, 1), dt.date(2026, 3, 1), pd.Timestamp("2026-03-01")])
def test_a_date_in_a_text_column_is_refused_with_a_hint_at_excel_turning_text_into_dates(column, date):
    """A datetime in Symbol once became the ticker '2026-03-01 00:00:00' (Excel reads MAR1 as a date)."""
    row = {**dict(zip(map(str.lower, HEADER), CALL, strict=True)), column: date}
    noun = "an underlying" if column == "underlying" else f"a {column}"
    assert (
        f"row 2, {column}: 2026-03-01 is a date, not {noun}; Excel may have turned text such as MAR1 into "
        "a date: format the column as text and type it again"
    ) in problems([list(row), list(row.values())])


def test_numbers_in_text_columns_still_read_as_text_and_a_bad_asset_class_cell_is_named_once():
    rows = [["Symbol", "Qty", "Price", "Sleeve"], [7203.0, 100.0, 2500.0, 1.0], ["IBM", 1.0, 91.25, 2.5]]
    assert [(p.symbol, p.sleeve) for p in read(rows)] == [("7203", "1"), ("IBM", "2.5")]
    # an Asset Class column of type codes is the type column: its bad cell is named there alone
    rows = [["Symbol", "Qty", "Price", "Asset Class"], ["IBM", 1.0, 91.25, "STK"], ["IBM", 1.0, 91.25, True]]
    assert problems(rows) == ["row 3, type: TRUE is a TRUE/FALSE cell, not a type"]


def test_booleans_and_dates_in_a_dataframes_text_columns_are_named():
    frame = pd.DataFrame({"Symbol": ["IBM", "MSFT"], "Qty": [1.0, 2.0], "Price": [91.25, 480.0]})
    frame["Underlying"] = [True, False]
    frame["Currency"] = [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-03-02 09:30")]
    assert [p.split(";")[0] for p in problems(frame)] == [
        "row 2, underlying: TRUE is a TRUE/FALSE cell, not an underlying",
        "row 2, currency: 2026-03-01 is a date, not a currency",
        "row 3, underlying: FALSE is a TRUE/FALSE cell, not an underlying",
        "row 3, currency: 2026-03-02 09:30:00 is a date, not a currency",
    ]


@pytest.mark.parametrize("shape", ["book", "osi", "class column"])
def test_codes_of_a_text_column_follow_its_values_and_a_selection(shape: str) -> None:
    table = book(200, 20, 20, seed=3)  # SPY/XSP/SPX share a class group
    if shape == "osi":  # rights read from the symbols
        table = as_export(table)
    if shape == "class column":  # given on some rows, else the underlying's or the symbol's
        table = [[*table[0], "class"]] + [
            [*row, "narrow_index" if row[0] == "S001" else None] for row in table[1:]
        ]
    portfolio = read_positions(table, as_of=AS_OF)
    keep = np.arange(len(portfolio)) % 3 == 0
    for p in (portfolio, portfolio.select(keep), Portfolio(dict(portfolio.arrays), AS_OF)):
        for name in ("type", "class_group", "asset_class", "symbol", "right", "style"):
            codes, values = p.codes(name)
            assert len(set(values)) == len(values)
            assert [values[c] for c in codes.tolist()] == p.arrays[name].tolist()


def test_a_long_table_is_transposed_in_blocks_as_one_zip_would(monkeypatch) -> None:
    from xlmargin.positions import reader

    monkeypatch.setattr(reader, "_ONE_ZIP", 10)
    monkeypatch.setattr(reader, "_BLOCK", 4)
    rows = [[f"r{i}c{j}" for j in range(5 - (i == 13) - 2 * (i == 30))] for i in range(41)]
    assert [tuple(c) for c in reader.transpose(rows)] == list(zip(*rows, strict=False))
    assert len(reader.transpose(rows)) == 3  # as long as the shortest row
    table = [["symbol", "quantity", "price"], *[[f"S{i}", float(i + 1), 10.0] for i in range(30)]]
    assert read(table).arrays["quantity"].tolist() == [float(i + 1) for i in range(30)]


def test_zero_days_to_expiry_says_a_zero_reads_as_blank():
    # Office.js sends a blank cell as 0, so a 0 in days cannot mean "expires today": say so, by row
    header = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days"]
    rows = [
        [*header, "right"],
        ["X C100", "option", -1.0, 2.0, "X", 100.0, 100.0, 0.0, "call"],
        ["X C100", "option", -1.0, 2.0, "X", 100.0, 100.0, None, "call"],
    ]
    assert problems(rows) == [
        "row 2, days: days to expiry of 0 reads as a blank cell: give the expiry date (or days above 0)",
        "row 3, expiry: an option needs an expiry date (or days to expiry)",
    ]


def test_days_that_run_past_the_calendar_are_named_on_their_row() -> None:
    """An expiry is a date: days to expiry (or a valuation date of 9999-12-31) that run past the
    last date Python knows were a ValueError out of the reader; now a problem on the row."""
    header = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days"]
    rows = [
        [*header, "right"],
        ["X C100", "option", -1.0, 2.0, "X", 100.0, 100.0, 10_000_000.0, "call"],
        ["X C100", "option", -1.0, 2.0, "X", 100.0, 100.0, -10_000_000.0, "call"],
        ["X C100", "option", -1.0, 2.0, "X", 100.0, 100.0, 21.0, "call"],
    ]
    assert problems(rows) == [
        "row 2, days: 1e+07 days from the valuation date 2026-11-20 run past 9999-12-31",
        "row 3, days: days to expiry cannot be negative, got -1e+07",
    ]
    with pytest.raises(InputError) as info:
        read_positions(rows[::3], as_of=dt.date.max)
    assert str(info.value) == "row 2, days: 21 days from the valuation date 9999-12-31 run past 9999-12-31"


def test_a_blank_mask_shared_by_several_readers_cannot_be_changed_by_one() -> None:
    """The reader hands one mask for every absent column, and one for a text column's blanks and
    strict blanks: they are read-only, so no caller can change another's."""
    from xlmargin.positions.reader import ColumnReader

    r = ColumnReader({"symbol": 0, "quantity": 1}, [["IBM", 1.0], ["SPY", 2.0]], 2, [])
    for mask in (r.blank("strike"), r.blank("symbol"), r.text("underlying").blank):
        with pytest.raises(ValueError, match="read-only"):
            mask[0] = False


def test_the_reader_reads_with_the_collector_off_and_leaves_it_on(monkeypatch) -> None:
    """A read makes thousands of containers and no cycle: the collector waits (xlmargin.collector),
    and is back on after a good table and after a bad one."""
    import gc

    import xlmargin.positions as positions

    seen: list[bool] = []
    build = positions.build_arrays

    def watched(*args):
        seen.append(gc.isenabled())
        return build(*args)

    monkeypatch.setattr(positions, "build_arrays", watched)
    assert len(read([["Symbol", "Qty", "Price"], ["IBM", 10.0, 91.25]])) == 1
    assert problems([["Symbol", "Qty", "Price"], ["IBM", "ten", 91.25]])
    assert seen == [False, False]
    assert gc.isenabled()


def test_maturities_as_years_or_dates_and_every_bad_one_on_its_row():
    # read once per distinct cell (a bond book repeats its maturity dates), reported on every row
    header = ["symbol", "type", "quantity", "price", "coupon", "maturity"]
    cells = [5.0, "7", dt.datetime(2030, 5, 15), "soon", dt.date(2020, 1, 1), 5.0, "soon", "#N/A"]
    rows = [header] + [[f"B{i}", "bond", 1000, 99.0, 4.0, c] for i, c in enumerate(cells)]
    assert problems(rows) == [
        "row 5, maturity: 'soon' is neither a date nor a number of years",
        f"row 6, maturity: maturity 2020-01-01 is before the valuation date {AS_OF}",
        "row 8, maturity: 'soon' is neither a date nor a number of years",
        "row 9, maturity: the cell holds the error value #N/A",
    ]
    good = read([header] + [r for r in rows[1:] if r[5] in (5.0, "7", dt.datetime(2030, 5, 15))])
    years = (dt.date(2030, 5, 15) - AS_OF).days / DAYS_PER_YEAR
    assert good.arrays["maturity_years"].tolist() == pytest.approx([5.0, 7.0, years, 5.0])


def test_a_table_in_any_sequence_of_rows_reads_alike() -> None:
    # a list of lists (as Excel hands a range over) is read as it is; a tuple or a deque of rows,
    # or rows that are tuples, give the same portfolio
    from collections import deque

    from xlmargin.positions import read_positions as read

    rows = [
        ["symbol", "type", "quantity", "price"],
        ["AAPL", "stock", 10.0, 200.0],
        ["MSFT", "stock", -5.0, 400.0],
    ]
    expected = read(rows, as_of=dt.date(2026, 12, 4)).arrays["quantity"].tolist()
    for table in (tuple(rows), deque(rows), [tuple(r) for r in rows]):
        assert read(table, as_of=dt.date(2026, 12, 4)).arrays["quantity"].tolist() == expected


def test_messages_that_name_a_type_take_its_article():
    """'an etf needs a positive price', not 'a etf' (and 'an option', 'an fx', 'a stock')."""
    from xlmargin.errors import a_or_an

    assert [a_or_an(w) for w in ("option", "etf", "fx", "stock", "future option")] == [
        "an option", "an etf", "an fx", "a stock", "a future option",
    ]  # fmt: skip
    rows = [["symbol", "type", "quantity", "price"], ["SPY", "etf", 10.0, 0.0]]
    assert problems(rows) == ["row 2, price: an etf needs a positive price"]


# --- a pasted IBKR table's "FX Rate To Base": USD per unit only in a USD-based account ---------------

_PASTED = ["Symbol", "type", "Position", "Mark Price", "Currency", "FX Rate To Base"]


def test_a_pasted_rate_to_a_base_other_than_usd_is_warned_of_naming_the_rows_and_the_column():
    # a euro-based account: its euro row at exactly 1, its dollar rows at 0.85 euro; Reg T read the
    # euro at 1 USD without a word
    pasted = [_PASTED, ["AAPL", "stock", 600, 250.42, "USD", 0.85], ["MSFT", "stock", 10, 480.0, "USD", 0.85],
              ["SAP", "stock", 100, 206.5, "EUR", 1], ["VOD", "stock", 100, 2.5, "GBP", 1.17]]  # fmt: skip
    (warning,) = read_positions(pasted, as_of=AS_OF).warnings
    assert warning.startswith(
        "rows 2, 3, 4, FX Rate To Base: IBKR's rate to the account's base currency, here EUR (a currency "
        "other than USD at exactly 1, or a USD row at another rate), not the USD per unit Reg T"
    )
    assert warning.endswith("or read it in the account view with account_currency=EUR and fx.USD=0.85")
    euro_only = [_PASTED, ["SAP", "stock", 100, 206.5, "EUR", 1], ["VOD", "stock", 100, 2.5, "GBP", 1.17]]
    (warning,) = read_positions(euro_only, as_of=AS_OF).warnings
    assert warning.startswith("row 2, FX Rate To Base:") and "fx.USD (base units per USD)" in warning


def test_the_pasted_rate_warnings_advice_is_taken_as_it_reads():
    # the dollar rate printed to six digits, fx.USD=0.851426, was then refused as "a dollar's,
    # 0.851426 (fx.USD), not 0.851426": printed to ten, and within 1e-6 the same rate
    from xlmargin.excel import functions as fn

    exact = 0.8514261387824605
    pasted = [_PASTED, ["AAPL", "stock", 600, 250.42, "USD", exact], ["SAP", "stock", 100, 206.5, "EUR", 1]]
    (warning,) = read_positions(pasted, as_of=AS_OF).warnings
    assert warning.endswith("account_currency=EUR and fx.USD=0.8514261388")
    for typed in ("0.8514261388", "0.851426"):  # the advice, and the six digits a table shows
        params = [["as_of", AS_OF], ["account_currency", "EUR"], ["fx.USD", typed]]
        in_euros = (600 * 250.42 + 100 * 206.5 / exact) * 0.5 * exact  # Reg T initial, in euros
        assert fn.account_margin(pasted, params) == pytest.approx(in_euros, abs=0.05)


def test_a_usd_based_paste_and_the_canonical_column_are_read_without_a_warning():
    usd_based = [
        _PASTED,
        ["AAPL", "stock", 600, 250.42, "USD", 1],
        ["SAP", "stock", 100, 206.5, "EUR", 1.1745],
    ]
    assert read_positions(usd_based, as_of=AS_OF).warnings == ()
    # the same rates under the positions table's own name are the user's word: USD per unit
    canonical = [[*_PASTED[:-1], "fx_rate"], ["SAP", "stock", 100, 206.5, "EUR", 1]]
    assert read_positions(canonical, as_of=AS_OF).warnings == ()


def test_a_negative_fx_rate_is_refused_even_where_no_engine_reads_it():
    """ESMA converts a pair holding the account currency by its own price, so EURUSD at fx_rate -1
    in a dollar account was margined as if the rate were right (33.33); a rate is never negative.
    0 stays a blank cell (Office.js sends a blank as 0)."""
    from xlmargin.excel import route

    header = ["symbol", "type", "quantity", "price", "currency", "fx_rate"]
    with pytest.raises(InputError, match="row 2, fx_rate: fx_rate must be positive, got -1"):
        read_positions([header, ["EURUSD", "fx", 1000, 1.1, "USD", -1]], as_of=AS_OF)
    assert route.call("ESMA_MARGIN", [header, ["EURUSD", "fx", 1000, 1.1, "USD", -1]], "USD").startswith(
        "#INPUT row 2 of the range, fx_rate: fx_rate must be positive"
    )
    zero = read_positions([header, ["AAPL", "stock", 10, 200.0, "USD", 0]], as_of=AS_OF)
    assert math.isnan(zero.arrays["fx_rate"][0])


TOTAL_ROW_BOOK = [
    ["symbol", "type", "quantity", "price"],
    ["AAPL", "stock", 600.0, 250.42],
    ["MSFT", "stock", 300.0, 483.62],
    ["Total", None, 900.0, 367.02],  # SUBTOTAL(109,[quantity]), SUBTOTAL(101,[price])
]


def test_a_table_total_row_handed_over_is_refused_naming_the_row() -> None:
    """=REGT_MARGIN(tblPositions[#All]) hands over the Total Row last; it is no stock 'TOTAL'."""
    with pytest.raises(InputError) as raised:
        read_positions(TOTAL_ROW_BOOK, as_of=AS_OF)
    assert str(raised.value).startswith("row 4: this is a table's Total Row (symbol 'Total', quantity 900")
    assert "tblPositions[[#Headers],[#Data]]" in str(raised.value)


@pytest.mark.parametrize(
    "last",
    [["Total", "stock", 100.0, 10.0], ["TOTL", "stock", 900.0, 10.0], ["Total", "stock", -900.0, 10.0]],
    ids=["quantity not the sum", "another symbol", "the sum negated"],
)
def test_a_position_is_never_taken_for_a_total_row(last: list[object]) -> None:
    assert len(read_positions([*TOTAL_ROW_BOOK[:3], last], as_of=AS_OF)) == 3


def test_an_xlsx_table_is_read_without_its_total_row(tmp_path) -> None:
    import xlsxwriter

    path = tmp_path / "tbl_total.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Positions").add_table(
        "A1:D4",
        {
            "name": "tblPositions",
            "total_row": True,
            "data": [r[:4] for r in TOTAL_ROW_BOOK[1:3]],
            "columns": [
                {"header": "symbol", "total_string": "Total"},
                {"header": "type"},
                {"header": "quantity", "total_function": "sum", "total_value": 900},
                {"header": "price", "total_function": "average", "total_value": 367.02},
            ],
        },
    )
    book.close()
    from xlmargin.positions.source import read_file

    portfolio = read_positions(read_file(path, table="tblPositions"), as_of=AS_OF)
    assert portfolio.arrays["symbol"].tolist() == ["AAPL", "MSFT"]


def test_a_formula_never_calculated_is_named_as_such(tmp_path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Positions"
    for row in [["symbol", "type", "quantity", "price"], ["AAPL", "stock", 600, "=250.42*1"]]:
        sheet.append(row)
    book.save(tmp_path / "formula.xlsx")
    with pytest.raises(InputError) as raised:
        read_positions(tmp_path / "formula.xlsx", as_of=AS_OF)
    assert str(raised.value) == (
        "row 2, price: the cell holds a formula that was never calculated (=250.42*1); run xlmargin "
        "recalc on the workbook, or open and save it in Excel"
    )


# --- one contract, one price (xlmargin.positions.marks) -------------------------------------------

MARK_HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "right",
               "expiry", "volatility", "currency", "fx_rate", "sleeve"]  # fmt: skip
EXPIRY = dt.datetime(2026, 12, 18)


def _stock(qty, price, **more):
    row = dict(zip(MARK_HEADER, ["AAPL", "stock", qty, price, None, None, None, None, None, None, None, None,
                                 None], strict=True))  # fmt: skip
    return [*(row | more).values()]


def _call(qty, price, spot=250.0, **more):
    row = dict(zip(MARK_HEADER, ["AAPL", "option", qty, price, "AAPL", spot, 260.0, "C", EXPIRY, None, None,
                                 None, None], strict=True))  # fmt: skip
    return [*(row | more).values()]


def test_rows_of_one_stock_at_two_prices_are_refused_naming_both_rows_and_the_price():
    # the QA repro: 600 @ 250 and -200 @ 250.01 were two Reg T legs (100,001 against 50,000)
    assert problems([MARK_HEADER, _stock(600.0, 250.0), _stock(-200.0, 250.01)]) == [
        "row 3, price: rows 2 and 3 hold AAPL stock at different prices (250, 250.01): one contract has "
        "one price"
    ]


def test_rows_of_one_option_series_at_two_prices_are_refused():
    found = problems([MARK_HEADER, _call(-6.0, 3.0), _stock(100.0, 250.0), _call(2.0, 3.5)])
    assert found == [
        "row 4, price: rows 2 and 4 hold AAPL 2026-12-18 260 call at different prices (3, 3.5): one "
        "contract has one price"
    ]


def test_each_row_differing_from_a_contracts_first_row_is_named_in_row_order():
    rows = [MARK_HEADER, _stock(1.0, 250.0), _stock(2.0, 251.0), _stock(3.0, 250.0), _stock(4.0, 252.0)]
    assert [p.split(":")[0] for p in problems(rows)] == ["row 3, price", "row 5, price"]


def test_options_on_one_underlying_at_two_underlying_prices_are_refused():
    rows = [MARK_HEADER, _call(-6.0, 3.0), _call(2.0, 1.0, strike=270.0, spot=251.0)]
    assert problems(rows) == [
        "row 3, underlying_price: rows 2 and 3 hold options on AAPL at different underlying prices (250, "
        "251): one underlying has one price"
    ]


@pytest.mark.parametrize(
    ("field", "first", "second", "shown"),
    [
        ("volatility", 0.25, 0.3, "(0.25, 0.3)"),
        ("volatility", 0.25, None, "(0.25, blank)"),
        ("currency", "EUR", "USD", "(EUR, USD)"),
        ("fx_rate", 1.08, 1.09, "(1.08, 1.09)"),
    ],
)
def test_rows_of_one_contract_agree_on_its_other_marks(field, first, second, shown):
    more = {"currency": "EUR"} if field == "fx_rate" else {}
    rows = [
        MARK_HEADER,
        _call(-6.0, 3.0, **more, **{field: first}),
        _call(2.0, 3.0, **more, **{field: second}),
    ]
    (found,) = problems(rows)
    assert found.startswith(f"row 3, {field}: rows 2 and 3 hold AAPL 2026-12-18 260 call at different ")
    assert shown in found


def test_one_contract_at_one_mark_on_many_rows_is_read():
    # lots, sleeves, a mark computed in Excel a last bit apart, a rate typed to six digits, a blank
    # currency beside USD: one contract at one mark
    rows = [
        MARK_HEADER,
        _stock(600.0, 250.42, sleeve="core"),
        _stock(-200.0, 250.42000000000002, sleeve="hedge", currency="USD"),
        _call(-6.0, 3.0, currency="EUR", fx_rate=0.8514261387824605),
        _call(2.0, 3.0, currency="EUR", fx_rate=0.851426),
        _call(1.0, 1.0, strike=270.0),  # another contract, same underlying price
    ]
    assert len(read(rows)) == 5


def test_different_contracts_may_be_marked_apart():
    rows = [
        MARK_HEADER,
        _stock(100.0, 250.0),
        _stock(100.0, 251.0, type="etf"),  # another type is another contract
        _call(-1.0, 3.0),
        _call(-1.0, 2.0, expiry=dt.datetime(2027, 1, 15)),
        _call(-1.0, 4.0, right="P"),
        ["ESH6P", "future_option", 1.0, 5.0, "ES", 5900.0, 5800.0, "P", EXPIRY, None, None, None, None],
        ["ESM6P", "future_option", 1.0, 7.0, "ES", 5950.0, 5800.0, "P", EXPIRY, None, None, None, None],
    ]
    assert len(read(rows)) == 7  # options on two months of ES: two underlying prices


def test_trades_may_repeat_a_contract_at_their_own_prices():
    rows = [MARK_HEADER, _call(-6.0, 3.0), _call(2.0, 3.5)]
    assert len(read_positions(rows, as_of=AS_OF, holdings=False)) == 2


def test_the_benchmark_book_holds_each_contract_at_one_price():
    assert len(read(book(5000))) == 5000


@pytest.mark.parametrize("given", [["expiry", dt.datetime(2026, 12, 18)], ["days", 30.0]])
@pytest.mark.parametrize("kind", ["stock", "etf", None])
def test_a_stock_has_no_expiry_in_either_form(given, kind):
    # days were accepted where an expiry was refused
    column, value = given
    (found,) = problems([["symbol", "type", "quantity", "price", column], ["IBM", kind, 100.0, 91.25, value]])
    assert found.startswith(f"row 2, {column}: ")
    assert ("no type" in found) if kind is None else (f"{kind} has no " in found)


@pytest.mark.parametrize("days", [False, True], ids=["expiry dates", "some rows in days"])
def test_the_codes_the_reader_hands_over_match_its_columns(days: bool) -> None:
    """Portfolio.codes of the symbol and expiry columns come from the reader, over its distinct
    cells: one value per code although two cells spell one symbol or one date."""
    header = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "expiry",
              "days", "right"]  # fmt: skip
    later = dt.date(2027, 1, 15)
    rows = [
        header,
        ["aapl", "stock", 100.0, 250.0, None, None, None, None, None, None],
        ["AAPL ", "stock", 100.0, 250.0, None, None, None, None, None, None],
        ["AAPL", "option", -1.0, 3.0, "AAPL", 250.0, 260.0, dt.datetime(2027, 1, 15), None, "C"],
        ["AAPL", "option", -1.0, 3.0, "AAPL", 250.0, 260.0, "2027-01-15", None, "C"],
        ["AAPL", "option", 1.0, 2.0, "AAPL", 250.0, 240.0, None, (later - AS_OF).days if days else None, "P"],
    ]
    if not days:
        rows[5][7] = later
    book_ = read_positions(rows, as_of=AS_OF)
    for name in ("symbol", "expiry"):
        codes, values = book_.codes(name)
        assert len(set(values)) == len(values), name
        assert [values[c] for c in codes] == book_.arrays[name].tolist(), name
    assert book_.codes("symbol")[0].tolist() == [0, 0, 0, 0, 0]
    expiry_codes = book_.codes("expiry")[0].tolist()
    assert expiry_codes[0] == expiry_codes[1] and len(set(expiry_codes[2:])) == 1


def test_rows_of_one_contract_are_found_however_many_distinct_values_the_key_holds() -> None:
    """The contract key's columns folded into one integer per row re-code themselves before the
    product of their sizes overflows: the first row of each key is the one a dictionary finds."""
    from xlmargin.positions.marks import _firsts

    rng = np.random.default_rng(7)
    n = 4000
    keys = [rng.integers(0, 3, n), rng.integers(0, 2**40, n), rng.integers(0, 7, n),
            rng.integers(0, 2**45, n), rng.choice([1.0, -0.0, 0.0, 100.0], n)]  # fmt: skip
    for k in keys:  # the second half repeats the first: 3 x 2^40 x 7 x 2^45 keys overflow int64
        k[n // 2 :] = k[: n // 2]
    keys[2][-10:] = 99  # but for a few rows with a key of their own
    first = _firsts(keys, n)
    seen: dict[tuple[float, ...], int] = {}
    expected = [seen.setdefault(tuple(float(k[i]) for k in keys), i) for i in range(n)]
    assert first is not None and first.tolist() == expected
    assert _firsts([np.arange(n), np.zeros(n)], n) is None


@pytest.mark.parametrize("table", [None, "tblPositions"])
def test_dates_of_a_workbook_in_the_1904_date_system_read_as_typed(tmp_path, table) -> None:
    """openpyxl converts serials with the workbook's epoch: the expiry and the valuation date of a
    1904 workbook read the same days as in a 1900 one (``xlmargin margin FILE.xlsx``)."""
    import xlsxwriter

    from xlmargin.positions.source import read_file

    expiry, as_of = dt.datetime(2027, 3, 19), dt.datetime(2026, 12, 1)
    read = {}
    for d1904 in (False, True):
        path = tmp_path / f"d{1904 if d1904 else 1900}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"date_1904": d1904})
        ws = wb.add_worksheet("Positions")
        day = wb.add_format({"num_format": "yyyy-mm-dd"})
        stock = ["symbol", "type", "quantity", "price", "underlying", "underlying_price"]
        header = [*stock, "strike", "expiry", "right"]
        ws.add_table("A1:I2", {"name": "tblPositions", "columns": [{"header": h} for h in header]})
        ws.write_row(1, 0, ["AAPL", "option", -6, 4.10, "AAPL", 228.5, 240])
        ws.write_datetime(1, 7, expiry, day)
        ws.write(1, 8, "call")
        ws.write("K1", "as_of")
        ws.write_datetime("L1", as_of, day)
        wb.close()
        rows = read_file(path, table=table)
        read[d1904] = rows
        assert rows[-1][7] == expiry
    assert read[True] == read[False]
    portfolio = read_positions(read[True][:2], as_of=as_of.date())
    assert [p.expiry for p in portfolio.positions if p.expiry] == [expiry.date()]
