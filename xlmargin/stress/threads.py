"""Independent jobs run on the calling thread and one persistent helper thread, results in order.

The stress view prices its option blocks through numpy and ``scipy.special.ndtr``, whose loops
release the interpreter lock on arrays of this size, so a second core prices other blocks in the
meantime. The helper is one thread started on first use and kept (starting a thread per call
costs what it would save). Both threads take the next unclaimed job until none is left, so a
helper busy with another call's jobs (Excel may run worksheet functions concurrently) leaves them
all to the caller: nothing waits on it, and the result is the same on one thread or two, since
every job computes the same thing wherever it runs. ``HELPER_THREADS = 0`` (or a one-core
machine) runs every job on the caller.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")

HELPER_THREADS = 1 if (os.cpu_count() or 1) > 1 else 0  # 0: every job on the calling thread

_helper: ThreadPoolExecutor | None = None
_helper_lock = threading.Lock()


def _helper_pool() -> ThreadPoolExecutor:
    """The one helper thread, started on first use."""
    global _helper
    with _helper_lock:
        if _helper is None:
            _helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlmargin-stress")
        return _helper


def helping() -> bool:
    """Whether a helper thread takes jobs beside the caller (read at each call: a setting)."""
    return HELPER_THREADS > 0


class _Queue:
    """The jobs of one call: each claimed by exactly one thread; a failure stops the rest."""

    def __init__(self, jobs: Sequence[Callable[[], T]], results: list[T | None]) -> None:
        self._jobs = jobs
        self._results = results
        self._next = 0
        self._lock = threading.Lock()

    def _claim(self) -> int | None:
        with self._lock:
            if self._next >= len(self._jobs):
                return None
            self._next += 1
            return self._next - 1

    def stop(self) -> None:
        with self._lock:
            self._next = len(self._jobs)

    def drain(self) -> None:
        """Run unclaimed jobs until none is left."""
        while (i := self._claim()) is not None:
            try:
                self._results[i] = self._jobs[i]()
            except BaseException:
                self.stop()
                raise


def run_in_order(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Every job's result, in the order of ``jobs``; the first exception raised is raised here."""
    results: list[T | None] = [None] * len(jobs)
    queue = _Queue(jobs, results)
    helped: Future[None] | None = None
    if helping() and len(jobs) > 1:
        helped = _helper_pool().submit(queue.drain)
    try:
        queue.drain()
    finally:
        if helped is not None and not helped.cancel():
            queue.stop()
            helped.result()  # the job it claimed, finished (its exception raised here)
    return results  # type: ignore[return-value]  # every slot filled: the queue was drained


class Started(Generic[T]):
    """A job handed to the helper thread now, its result awaited later (:meth:`result`, from any
    thread). If the helper has not begun it by then (busy with another call's jobs, or switched
    off), the first thread to ask runs it: nothing waits on a helper that is not coming."""

    def __init__(self, job: Callable[[], T]) -> None:
        self._job: Callable[[], T] | None = job
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        if helping():
            _helper_pool().submit(self._run)

    def _run(self) -> None:
        with self._lock:
            job, self._job = self._job, None  # claimed: whoever comes next finds None
        if job is None:
            return
        try:
            self._value = job()
        except BaseException as error:
            self._error = error
        finally:
            self._done.set()

    def result(self) -> T:
        """The job's result once it has run, here or on the helper; its exception raised here."""
        self._run()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set: the job ran without raising


def start(job: Callable[[], T]) -> Started[T]:
    """``job`` begun on the helper thread where there is one (see :class:`Started`)."""
    return Started(job)
