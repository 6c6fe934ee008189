"""Running the formula engine: its native stderr captured, the whole run under one clock.

A :class:`Deadline` starts when a run opens the workbook and bounds all of it (``--timeout``):
the cell count, the sheet scans, the engine's copy, the evaluation and the writing. The Python
steps call :meth:`Deadline.check` as they go (the scans every few hundred rows or formulas); the
evaluation is cancelled by a timer set to the time left. The engine's loading of the file cannot
be interrupted: it is checked when it returns (it is bounded by ``--max-cells``)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import formualizer as fz

from .safety import WorkbookError


class Deadline:
    """The time limit of one run, from ``start`` (``time.monotonic``) on; ``check`` raises the
    one-line timeout error once it has passed."""

    def __init__(self, label: str, seconds: float, start: float | None = None) -> None:
        self.label = label
        self.seconds = seconds
        self.end = (time.monotonic() if start is None else start) + seconds

    def error(self) -> WorkbookError:
        return WorkbookError(
            f"{self.label}: recalculation took longer than {self.seconds:g} s; stopped (--timeout)"
        )

    def left(self) -> float:
        """Seconds left (negative once passed)."""
        return self.end - time.monotonic()

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise self.error()


def evaluate(book: fz.Workbook, label: str, deadline: Deadline) -> None:
    """``evaluate_all`` within the time left; a refusal or failure is one line."""
    deadline.check()
    timer = threading.Timer(max(deadline.left(), 0.0), book.cancel)
    timer.daemon = True
    timer.start()
    try:
        with native_output(label):
            book.evaluate_all()
    except Exception as exc:
        if "CANCELLED" in str(exc).upper():
            raise deadline.error() from None
        detail = " ".join(str(exc).split())
        raise WorkbookError(f"{label}: the formula engine failed ({detail})") from exc
    finally:
        timer.cancel()


@contextmanager
def native_output(label: str) -> Iterator[None]:
    """Capture what the engine's native code writes to stderr: a Rust panic (message and
    backtrace) becomes one error line; anything else is passed on afterwards."""
    os.environ.setdefault("RUST_BACKTRACE", "0")
    fd = 2  # the native code writes to the process's stderr, whatever sys.stderr is
    try:
        os.fstat(fd)
    except OSError:  # no stderr at all (a GUI host): nothing to capture
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        panic: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":  # pyo3's, a BaseException
                raise
            panic = exc
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            said = sink.read().decode("utf-8", "replace")
        if panic is not None:
            detail = " ".join((_panic_message(said) or str(panic) or "a panic").split())
            raise WorkbookError(f"{label}: the formula engine failed ({detail})") from panic
        if said:
            sys.stderr.write(said)


def _panic_message(text: str) -> str | None:
    """The message of a Rust panic in captured stderr (``thread ... panicked at ...:\nMESSAGE``)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "panicked at" in line:
            return lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].strip() else line.strip()
    return None
