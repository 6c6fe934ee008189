"""The stress view's two threads: results in order, failures raised, a busy helper never waited on,
and the option P&L bit-identical on one thread and on two."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.conftest import AS_OF
from tests.test_stress_speed import HEADER, OPTIONS
from xlmargin import stress
from xlmargin.positions import read_positions
from xlmargin.pricing import clear_caches
from xlmargin.stress import threads
from xlmargin.stress.book import build_book
from xlmargin.stress.pnl import position_pnl
from xlmargin.stress.scenarios import move_matrix


def test_results_come_back_in_the_order_of_the_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "HELPER_THREADS", 1)

    def job(i: int) -> int:
        time.sleep(0.001 * (i % 3))  # jobs finish out of order on the two threads
        return i

    assert threads.run_in_order([lambda i=i: job(i) for i in range(20)]) == list(range(20))
    assert threads.run_in_order([]) == []


def test_a_failing_job_raises_and_stops_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "HELPER_THREADS", 1)
    ran: list[int] = []

    def job(i: int) -> int:
        if i == 1:
            raise ValueError("job 1 failed")
        time.sleep(0.002)
        ran.append(i)
        return i

    with pytest.raises(ValueError, match="job 1 failed"):
        threads.run_in_order([lambda i=i: job(i) for i in range(50)])
    assert len(ran) < 49


def test_a_started_job_runs_once_and_every_thread_gets_its_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "HELPER_THREADS", 1)
    runs: list[str] = []

    def job() -> int:
        runs.append(threading.current_thread().name)
        time.sleep(0.01)
        return 7

    started = threads.start(job)
    assert threads.run_in_order([started.result for _ in range(6)]) == [7] * 6
    assert len(runs) == 1


def test_a_started_job_waits_for_no_busy_helper_and_raises_where_awaited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threads, "HELPER_THREADS", 1)
    release = threading.Event()
    busy = threads._helper_pool().submit(release.wait)
    try:
        assert (
            threads.start(lambda: threading.current_thread().name).result() == threading.current_thread().name
        )

        def failing() -> None:
            raise ValueError("boundaries failed")

        started = threads.start(failing)
        with pytest.raises(ValueError, match="boundaries failed"):
            started.result()
    finally:
        release.set()
        busy.result()


def test_a_busy_helper_leaves_every_job_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    # another call (Excel runs worksheet functions concurrently) holds the helper: nothing waits for it
    monkeypatch.setattr(threads, "HELPER_THREADS", 1)
    release = threading.Event()
    busy = threads._helper_pool().submit(release.wait)
    try:
        names = threads.run_in_order([lambda: threading.current_thread().name for _ in range(5)])
        assert names == [threading.current_thread().name] * 5
    finally:
        release.set()
        busy.result()


@pytest.mark.parametrize("rate", [0.0, 0.045])
def test_option_pnl_is_the_same_on_one_thread_and_two(monkeypatch: pytest.MonkeyPatch, rate: float) -> None:
    # premium blocks cut into many small pieces that share exercise boundaries (one per expiry,
    # dividend and volatility, whatever the strike): bit for bit what one thread computes
    from xlmargin.stress import pnl

    strikes = [[*r[:6], r[6] + k, *r[7:]] for k in range(0, 60, 2) for r in OPTIONS]
    settings = stress.stress_settings({"rate": rate}, AS_OF)
    book = build_book(read_positions([HEADER, *strikes], as_of=AS_OF), settings)
    moves = move_matrix(stress.scenario_library(settings))
    monkeypatch.setattr(pnl, "_EUROPEAN_POINTS", 8)  # jobs of a contract or two
    monkeypatch.setattr(pnl, "_PREMIUM_POINTS", 8)
    results = []
    for helpers in (0, 1, 1, 1):
        monkeypatch.setattr(threads, "HELPER_THREADS", helpers)
        clear_caches()  # the kernel's caches and the last book's price changes
        results.append(position_pnl(book, moves, settings.rate))
    for other in results[1:]:
        assert np.array_equal(other, results[0])
