"""The collector pause (xlmargin/collector.py): the collector is off inside, back as it was after."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import weakref

import pytest

from xlmargin import stress
from xlmargin.collector import collector_paused
from xlmargin.excel import udfs
from xlmargin.excel.functions import CACHE
from xlmargin.positions import read_positions
from xlmargin.regt import PAIRINGS, regt_margin


def test_the_collector_is_off_inside_and_back_on_after_even_when_the_block_raises():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("inside")
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_calls_on_two_threads_share_one_pause():
    """The first to end must not turn the collector back on under the other."""
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # this block ended, the other thread's has not
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_reg_t_call_leaves_the_collector_on():
    book = read_positions(
        [["symbol", "type", "quantity", "price", "underlying price", "strike", "days", "right"],
         ["XYZ", "option", -1, 2.5, 100, 105, 60, "C"],
         ["XYZ", "option", 1, 1.0, 100, 110, 60, "C"]],
        as_of=dt.date(2026, 12, 4),
    )  # fmt: skip
    PAIRINGS.clear()
    assert regt_margin(book).total > 0
    assert gc.isenabled()


def test_the_stress_worksheet_functions_read_and_compute_with_the_collector_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pause covers the reader and the engine of STRESS_TABLE (the Excel layer's stress glue)."""
    seen: list[bool] = []

    def grid(portfolio: object, settings: object) -> list[list[object]]:
        seen.append(gc.isenabled())
        return [["id"]]

    monkeypatch.setattr(stress, "stress_table", grid)
    CACHE.clear()
    table = [["symbol", "quantity", "price"], ["XYZ", 10, 100.0]]
    assert udfs.STRESS_TABLE(table, [["as_of", dt.date(2026, 12, 4)]]) == [["id"]]
    assert seen == [False]
    assert gc.isenabled()


class _Cycle:
    """An object in a reference cycle with itself: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_cycles_made_between_paused_calls_are_still_collected():
    """The pause leaves other code's garbage to the collector: what the host makes between calls
    (here 10,000 self-referencing objects over 2,000 paused calls) is collected as usual, not moved
    out of its reach. (Moving every young object to the oldest generation when a pause ends left
    all 10,000 alive.)"""
    alive: weakref.WeakSet[_Cycle] = weakref.WeakSet()
    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    gc.collect()
    try:
        for _ in range(2_000):
            for _ in range(5):
                alive.add(_Cycle())
            with collector_paused():
                kept = [[1.0] for _ in range(20)]  # what a call leaves behind
            del kept
        assert len(alive) < 1_000
    finally:
        gc.set_threshold(*thresholds)
