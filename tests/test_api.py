"""The Python API gives the worksheet functions' numbers, from DataFrames, paths and lists of rows."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import xlmargin
from xlmargin import api
from xlmargin.errors import InputError, UnsupportedError, XlMarginError
from xlmargin.excel import functions as fn
from xlmargin.excel.registry import FUNCTIONS, Function
from xlmargin.money import cents

DATA = Path(__file__).parent / "data"
BOOK = DATA / "ibkr_book.csv"
AS_OF = dt.date(2025, 12, 31)
PARAMS = [["as_of", AS_OF]]


def book_rows() -> list[list[Any]]:
    return api.rows_of(BOOK)


def test_every_worksheet_function_has_a_twin() -> None:
    for entry in FUNCTIONS:
        function = getattr(xlmargin, entry.name.lower())
        assert callable(function) and function.__doc__
        names = list(inspect.signature(function).parameters)
        assert "params" not in names[:-1]  # params, when taken, are the trailing keywords
        assert names[: len(names) - ("params" in names)] == [a.name for a in entry.args if a.name != "params"]
    assert {f.name.lower() for f in FUNCTIONS} <= set(dir(xlmargin))


def test_every_public_function_shows_its_arguments() -> None:
    """help() and inspect.signature show each function's own arguments, never (*args, **kwargs)
    (``xlmargin.batch`` is a callable package)."""
    import pydoc

    for name in dir(xlmargin):
        function = getattr(xlmargin, name)
        if name.startswith("_") or not callable(function) or inspect.isclass(function):
            continue
        parameters = list(inspect.signature(function).parameters.values())
        assert not any(p.kind is p.VAR_POSITIONAL for p in parameters), name
        first = next((p.name for p in parameters), "")
        assert f"({first}" in pydoc.render_doc(function, renderer=pydoc.plaintext), name
    assert list(inspect.signature(xlmargin.batch).parameters)[:3] == ["data", "by", "regime"]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("regt_margin", ()),
        ("regt_margin", ("maintenance",)),
        ("pm_requirement", ()),
        ("risk_margin", ()),
        ("stress_pnl", ("E10",)),
        ("max_notional", (500_000, "pm")),
    ],
)
def test_scalars_equal_the_worksheet_function_to_the_cent(name: str, args: tuple[Any, ...]) -> None:
    expected = getattr(fn, name)(book_rows(), *args, params=PARAMS)
    assert getattr(xlmargin, name)(pd.read_csv(BOOK), *args, as_of=AS_OF) == cents(expected)


@pytest.mark.parametrize(
    "name", ["regt_breakdown", "pm_breakdown", "pm_scenarios", "stress_table", "account_breakdown"]
)
def test_tables_equal_the_worksheet_function(name: str) -> None:
    rows = getattr(fn, name)(book_rows(), params=PARAMS)
    result = getattr(xlmargin, name)(BOOK, as_of=AS_OF)
    assert isinstance(result, pd.DataFrame)
    assert list(result.columns) == rows[0]
    # the worksheet's "–" placeholder for an empty label is a missing value in the DataFrame
    got = [[None if pd.isna(c) else c for c in r] for r in result.values.tolist()]
    assert got == [[None if c == fn.EMPTY else c for c in r] for r in rows[1:]]


def test_a_dataframe_a_path_and_a_list_give_the_same_figure() -> None:
    figures = {
        xlmargin.pm_requirement(data, as_of=AS_OF)
        for data in (pd.read_csv(BOOK), BOOK, str(BOOK), book_rows())
    }
    assert figures == {42920.87}  # SAP in dollars at 1.1745 USD per EUR (42,380.36 as if euros were dollars)


def test_a_broker_export_is_read_by_the_api() -> None:
    assert xlmargin.regt_margin(DATA / "ibkr_flex.xml", as_of=AS_OF) == xlmargin.regt_margin(
        BOOK, as_of=AS_OF
    )
    imported = xlmargin.import_broker(DATA / "ibkr_statement.csv")
    assert list(imported.columns)[:4] == ["symbol", "type", "quantity", "price"] and len(imported) == 8
    assert len(xlmargin.read_positions(DATA / "ibkr_portfolio.csv", as_of=AS_OF)) == 8


def test_keyword_params_map_onto_parameter_names() -> None:
    sample = Path(xlmargin.__file__).parent / "data" / "sample_positions.csv"  # SPY, SPX, QQQ and IWM
    default = xlmargin.pm_requirement(sample, as_of=AS_OF)
    no_offset = xlmargin.pm_requirement(sample, as_of=AS_OF, offset_us_broad=0)
    same = xlmargin.pm_requirement(sample, params={"as_of": AS_OF, "offset.us_broad": 0})
    assert no_offset == same > default  # the broad-index class groups no longer offset each other
    # SAP: 25% of 100 × 206.50 EUR at 1.1745 USD per EUR (99,411.70 as if its euros were dollars)
    assert xlmargin.regt_margin(BOOK, basis="maintenance", as_of=AS_OF) == 100_312.56


@pytest.mark.parametrize("missing", [None, pd.NA, float("nan"), pd.NaT], ids=repr)
def test_a_missing_keyword_value_is_the_default(missing: Any) -> None:
    assert xlmargin.pm_requirement(BOOK, as_of=AS_OF, rate=missing) == xlmargin.pm_requirement(
        BOOK, as_of=AS_OF
    )


def test_a_keyword_error_names_the_keyword_and_no_row() -> None:
    with pytest.raises(InputError) as raised:
        xlmargin.pm_requirement(BOOK, as_of=AS_OF, rate="abc")
    assert str(raised.value) == "rate: 'abc' is not a number"
    with pytest.raises(InputError) as raised:
        xlmargin.pm_requirement(BOOK, as_of=AS_OF, colour="red")
    assert str(raised.value).startswith("unknown parameter 'colour'; known: as_of, rate")


def test_read_positions_finds_the_table_inside_a_template() -> None:
    portfolio = xlmargin.read_positions(Path("workbooks/hedge_comparison.xlsx"), as_of=AS_OF)
    by_table = xlmargin.read_positions(
        Path("workbooks/hedge_comparison.xlsx"), as_of=AS_OF, table="tblPositions"
    )
    assert len(portfolio) == len(by_table) == 15
    assert portfolio.arrays["symbol"].tolist() == by_table.arrays["symbol"].tolist()


def test_errors_raise_never_a_hash_text() -> None:
    with pytest.raises(UnsupportedError):
        xlmargin.esma_margin(BOOK, "USD", as_of=AS_OF)  # stocks carry no ESMA leverage cap
    with pytest.raises(InputError, match="unknown parameter 'colour'"):
        xlmargin.pm_requirement(BOOK, colour="red")
    with pytest.raises(XlMarginError, match="no such file"):
        xlmargin.pm_requirement("missing.csv")
    with pytest.raises(TypeError, match="unexpected keyword argument 'rate'"):
        xlmargin.margin_cushion(100, 50, rate=0.04)
    with pytest.raises(AttributeError):
        xlmargin.no_such_function  # noqa: B018


def test_results_are_floats_rounded_to_the_cent_and_texts() -> None:
    noisy = Function("NOISY", "a figure with binary noise", (), "scalar", lambda: 48_400.00000000001)
    assert api.call(noisy, (), {}) == 48_400.0
    assert api.call(replace(noisy, impl=lambda: 1_999_999.9999999998), (), {}) == 2_000_000.0
    # tables keep the worksheet's exact figures (shares and ratios sit beside money); no header →
    # the function's names for its columns, as the command line heads them
    cushion = xlmargin.margin_cushion(100_000, 48_400)
    assert cushion.values.tolist() == [[51_600.0, 0.516]]
    assert list(cushion.columns) == ["excess", "cushion"]
    assert isinstance(xlmargin.xlm_version(), str)
    columns = ["parameter", "default", "regimes", "accepts %", "meaning"]
    assert list(xlmargin.xlm_params("PM_REQUIREMENT").columns) == columns


def test_import_xlmargin_stays_light() -> None:
    code = "import sys, xlmargin; print(sorted(m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_read_positions_takes_as_of_as_the_twins_do() -> None:
    rows = [["symbol", "type", "quantity", "price"], ["XYZ", "stock", 10.0, 100.0]]
    assert xlmargin.read_positions(rows, as_of="2026-12-04").as_of == dt.date(2026, 12, 4)
    assert xlmargin.read_positions(rows, as_of=46360).as_of == dt.date(2026, 12, 4)  # Excel serial
    with pytest.raises(InputError, match="as_of: 'garbage' is not a date"):
        xlmargin.read_positions(rows, as_of="garbage")


def test_a_csv_with_datetime_expiries_reads_them_as_dates(tmp_path: Path) -> None:
    # csv.writer (and pandas, for a column with any time of day) writes a datetime as 2027-03-19 00:00:00
    path = tmp_path / "book.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        header = ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike"]
        writer.writerow([*header, "expiry", "right"])
        writer.writerow(
            ["XYZ C100", "option", -1, 2.0, "XYZ", 100.0, 100.0, dt.datetime(2027, 3, 19), "call"]
        )
    assert "2027-03-19 00:00:00" in path.read_text(encoding="utf-8")
    portfolio = xlmargin.read_positions(path, as_of="2026-12-04")
    assert portfolio.positions[0].expiry == dt.date(2027, 3, 19)


def test_a_named_index_is_a_column_of_the_table() -> None:
    """``df.set_index("symbol")`` (or a MultiIndex of named columns) keeps those columns: the book's
    figure does not change; an unnamed index (a filtered frame's) is still no column."""
    frame = pd.read_csv(BOOK)
    expected = xlmargin.pm_requirement(frame, as_of=AS_OF)
    assert xlmargin.pm_requirement(frame.set_index("symbol"), as_of=AS_OF) == expected
    assert xlmargin.pm_requirement(frame.set_index(["symbol", "currency"]), as_of=AS_OF) == expected
    assert xlmargin.pm_requirement(frame.iloc[::-1], as_of=AS_OF) == expected  # reversed: unnamed index


def test_an_as_of_from_numpy_or_pandas_is_a_date() -> None:
    import numpy as np

    expected = xlmargin.pm_requirement(BOOK, as_of=AS_OF)
    assert xlmargin.pm_requirement(BOOK, as_of=np.datetime64("2025-12-31")) == expected
    assert xlmargin.pm_requirement(BOOK, as_of=pd.Timestamp("2025-12-31")) == expected
