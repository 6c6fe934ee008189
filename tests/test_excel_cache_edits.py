"""After an edit of a range, every worksheet function gives what a fresh computation gives.

The shared cache keys a range by its size and three of its rows (first, middle, last) and compares
the whole range on a hit; a breakdown's table is kept per engine result. An edit of another row
that leaves the engine's result equal (two rows swapped, an option's underlying cleared) still
changes what the table shows: the positions reader's warnings, with their row numbers. These
tests make such an edit between two calls and compare with a call on an emptied cache.
"""

import datetime as dt

import pytest

from tests.test_excel_functions import CALLS, PARAMS
from xlmargin.excel import registry, udfs
from xlmargin.excel.cache import digest
from xlmargin.excel.functions import CACHE

EXPIRY = dt.datetime(2027, 1, 15)
HEADER = ["Symbol", "Type", "Qty", "Price", "UndPx", "Strike", "Expiry", "Right", "Underlying", "Mult"]


def book(underlying: str | None = "MY-OPT", mult_row: int = 1) -> list[list]:
    """Seven rows: a stock with a multiplier of 10 (a reader's warning naming its row) at
    ``mult_row`` (1 or 2: row 2 or 3 of the sheet), and an option in row 4 whose Underlying cell
    is ``underlying`` (blank: a warning of its own); the cache key samples rows 1, 5 and 8."""
    rows = [
        ["AAPL", "stock", 100.0, 200.0, None, None, None, None, None, 10.0],
        ["MSFT", "stock", 50.0, 400.0, None, None, None, None, None, None],
        ["MY-OPT", "option", -1.0, 5.0, 100.0, 100.0, EXPIRY, "C", underlying, None],
        ["IBM", "stock", 10.0, 200.0, None, None, None, None, None, None],
        ["GLD", "etf", 10.0, 200.0, None, None, None, None, None, None],
        ["TLT", "etf", 10.0, 90.0, None, None, None, None, None, None],
        ["SPY", "etf", 10.0, 600.0, None, None, None, None, None, None],
    ]
    if mult_row == 2:
        rows[0], rows[1] = rows[1], rows[0]
    return [HEADER, *rows]


EDITS = {
    "two rows swapped": (book(mult_row=1), book(mult_row=2)),
    "an underlying cleared": (book("MY-OPT"), book(None)),
    "an underlying typed": (book(None), book("MY-OPT")),
}
TAKES_POSITIONS = [f.name for f in registry.FUNCTIONS if f.args and f.args[0].name == "positions"]


def call(name: str, positions: list[list]) -> object:
    """``name`` over ``positions`` with the other arguments of its test call; an error as its text."""
    rest = CALLS[name][0][1:]
    return getattr(udfs, name)(positions, *rest)


def test_the_edits_keep_the_cache_key_and_change_the_warnings():
    """The edits touch neither the first, middle nor last row (the same key: the hit is decided
    by what the cache compares), and a fresh breakdown shows them."""
    for before, after in EDITS.values():
        assert digest(before) == digest(after)
        CACHE.clear()
        first = [r for r in udfs.PM_BREAKDOWN(before, PARAMS) if r[0] == "warning"]
        CACHE.clear()
        assert first != [r for r in udfs.PM_BREAKDOWN(after, PARAMS) if r[0] == "warning"]


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("name", TAKES_POSITIONS)
def test_an_edited_range_gives_what_a_fresh_computation_gives(name, edit):
    before, after = EDITS[edit]
    CACHE.clear()
    call(name, before)
    served = call(name, after)
    CACHE.clear()
    assert served == call(name, after)


def test_a_repeat_call_still_serves_the_table_made_once(monkeypatch):
    """The hit is the very result the table was made from: a repeat call over an unchanged
    range (new lists, equal cells) formats nothing again."""
    from xlmargin.pm import PMResult

    CACHE.clear()
    made = []
    real = PMResult.breakdown_table
    monkeypatch.setattr(PMResult, "breakdown_table", lambda self: made.append(1) or real(self))
    first = udfs.PM_BREAKDOWN(book(), PARAMS)
    assert udfs.PM_BREAKDOWN([list(r) for r in book()], PARAMS) == first
    assert len(made) == 1
