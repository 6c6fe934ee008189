"""A repeat call is served from the shared cache only when nothing it reads has changed.

The cache keys a positions range by its size and three rows, compares the whole range on a hit
(:class:`~xlmargin.excel.cache.RangeCopy`), and keys a result by the as-of date and the parameter
values read (the parameter range's reading kept by its content). Each test below makes one change
between two calls and counts what runs again: the positions reader after a change of the range,
the engine after a change of the parameters or the date. The counts fail if a key or the range's
comparison were weakened (the range compared by size, a parameter range kept by its specs alone,
the date left out of the key); the results are compared with a call on an emptied cache.
"""

import datetime as dt
import math

import numpy as np
import pytest

import xlmargin.excel.functions as fn
import xlmargin.pm as pm
from tests.test_excel_functions import PARAMS, classic_book
from xlmargin.excel import udfs
from xlmargin.excel.cache import RangeCopy, _zero_or_one_cells, digest, snapshot
from xlmargin.excel.functions import CACHE


def edited(row: int, column: int, value: object, rows: list[list] | None = None) -> list[list]:
    """A fresh copy of the classic book (or ``rows``) with one cell changed."""
    book = [list(r) for r in (rows if rows is not None else classic_book())]
    book[row][column] = value
    return book


# Each change touches a row the cache key does not sample (rows 0, 4 and 7 of eight), so the hit or
# miss is decided by the comparison of the whole range, not by the key; a row added changes both.
RANGE_CHANGES = {
    "a value": edited(2, 2, -4.0),
    "a number typed as text": edited(2, 2, "-3"),
    "a TRUE for the 1 it equals": edited(5, 2, True),
    "a date given as its serial number": edited(2, 6, 46402.0),
    "a blank becoming 0": edited(2, 8, 0.0),
    "a blank sleeve becoming 0": edited(3, 10, 0.0, edited(3, 10, None)),
    "a float changed in its last bit": edited(2, 3, math.nextafter(4.1, math.inf)),
    "a row added": [*classic_book(), ["IBM", "stock", 10.0, 200.0, *[None] * 6, "core"]],
    "a row inserted": [
        *classic_book()[:3],
        ["IBM", "stock", 10.0, 200.0, *[None] * 6, "core"],
        *classic_book()[3:],
    ],
}
BASE_OF = {"a blank sleeve becoming 0": edited(3, 10, None)}


@pytest.fixture
def runs(monkeypatch) -> dict[str, int]:
    """How often the positions reader and the portfolio-margin engine run."""
    counts = {"reader": 0, "engine": 0}
    reader, engine = fn.read_positions, pm.pm_requirement

    def read(*args, **kwargs):
        counts["reader"] += 1
        return reader(*args, **kwargs)

    def compute(*args, **kwargs):
        counts["engine"] += 1
        return engine(*args, **kwargs)

    monkeypatch.setattr(fn, "read_positions", read)
    monkeypatch.setattr(pm, "pm_requirement", compute)
    return counts


def fresh(positions: list[list], params: object) -> object:
    CACHE.clear()
    return udfs.PM_REQUIREMENT(positions, params)


def test_an_unchanged_range_is_served_without_reading_or_computing(runs):
    CACHE.clear()
    first = udfs.PM_REQUIREMENT(classic_book(), PARAMS)
    for _ in range(3):  # the later calls compare by the classes gathered at the first
        assert udfs.PM_REQUIREMENT(classic_book(), [list(r) for r in PARAMS]) == first
    assert runs == {"reader": 1, "engine": 1}


@pytest.mark.parametrize("change", RANGE_CHANGES)
def test_a_change_of_any_cell_of_the_range_reads_it_again(runs, change):
    base = BASE_OF.get(change, classic_book())
    after = RANGE_CHANGES[change]
    assert after != base or change == "a TRUE for the 1 it equals"  # True == 1.0 in Python
    CACHE.clear()
    udfs.PM_REQUIREMENT(base, PARAMS)
    udfs.PM_REQUIREMENT([list(r) for r in base], PARAMS)  # a hit: its classes kept for later
    assert runs["reader"] == 1
    served = udfs.PM_REQUIREMENT(after, PARAMS)
    assert runs["reader"] == 2
    assert served == fresh(after, PARAMS)


PARAM_CHANGES = {
    "a rate": [["as_of", dt.datetime(2026, 11, 20)], ["rate", 0.05]],
    "a rate changed in its last bit": [
        ["as_of", dt.datetime(2026, 11, 20)],
        ["rate", math.nextafter(0.04, 1.0)],
    ],
    "a parameter added": [*PARAMS, ["sleeve", "core"]],
    "the as-of date": [["as_of", dt.datetime(2026, 11, 23)], ["rate", 0.04]],
    "the as-of date given as text": [["as_of", "2026-11-23"], ["rate", 0.04]],
    "no as-of date (today)": [["rate", 0.04]],
}


@pytest.mark.parametrize("change", PARAM_CHANGES)
def test_a_change_of_any_parameter_computes_again(runs, change):
    params = PARAM_CHANGES[change]
    CACHE.clear()
    before = udfs.PM_REQUIREMENT(classic_book(), PARAMS)
    udfs.PM_REQUIREMENT(classic_book(), [list(r) for r in PARAMS])
    assert runs["engine"] == 1
    served = udfs.PM_REQUIREMENT(classic_book(), params)
    assert runs["engine"] == 2
    assert served == fresh(classic_book(), params)
    assert udfs.PM_REQUIREMENT(classic_book(), PARAMS) == before


def test_the_date_of_today_is_read_at_every_call(runs, monkeypatch):
    """Without an as-of date in the range, the valuation date is today's: the same ranges the next
    day are computed again (the parameter range's reading kept from the day before does not fix
    the date)."""
    params = [["rate", 0.04]]
    CACHE.clear()
    monkeypatch.setattr(fn, "today", lambda: dt.date(2026, 11, 20))
    friday = udfs.PM_REQUIREMENT(classic_book(), params)
    assert udfs.PM_REQUIREMENT(classic_book(), params) == friday
    assert runs == {"reader": 1, "engine": 1}
    monkeypatch.setattr(fn, "today", lambda: dt.date(2026, 11, 23))
    monday = udfs.PM_REQUIREMENT(classic_book(), params)
    assert runs == {"reader": 2, "engine": 2}
    assert monday == fresh(classic_book(), [["as_of", dt.datetime(2026, 11, 23)], ["rate", 0.04]])


def test_a_kept_parameter_reading_is_handed_out_as_a_copy():
    first, as_of, sleeve = fn.params_of([["as_of", dt.datetime(2026, 11, 20)]], pm.PM_PARAMS)
    first["as_of"] = dt.date(2000, 1, 1)
    again = fn.params_of([["as_of", dt.datetime(2026, 11, 20)]], pm.PM_PARAMS)
    assert again[0]["as_of"] == as_of == dt.date(2026, 11, 20) and sleeve is None
    # a TRUE and the 1 it equals are two parameter ranges, each read as itself
    assert fn.params_of([["sleeve", 1.0]], pm.PM_PARAMS)[2] == "1"
    assert fn.params_of([["sleeve", True]], pm.PM_PARAMS)[2] == "True"


def test_the_cells_to_check_are_found_whatever_the_rows_hold():
    """The screening by hash finds every cell equal to 0 or 1 (numpy's too); a row holding a cell
    that cannot be hashed, or a flat range, is screened by comparison instead."""
    rows = [["a", 2.0, None], ["b", np.float64(1.0), 0], ["c", True, 5.0]]
    expected = ((1, 1, False), (1, 2, False), (2, 1, True))
    assert _zero_or_one_cells(rows) == expected
    assert _zero_or_one_cells([*rows, ["d", [1], 1.0]]) == (*expected, (3, 2, False))
    assert _zero_or_one_cells(["a", 1.0, False]) == ((1, 0, False), (2, 0, True))
    copy = snapshot([["a", 1.0], ["b", False]])
    assert isinstance(copy, RangeCopy) and copy == [["a", 1.0], ["b", False]]
    assert copy == [["a", 1.0], ["b", np.False_]]  # the class differs, the truth does not
    assert copy != [["a", True], ["b", False]] and copy != [["a", 1.0], ["b", 0.0]]
    assert digest([["a", 1.0]]) != digest([["a", True]])
