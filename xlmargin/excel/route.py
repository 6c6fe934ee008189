"""What each Excel route can show, and the one place worksheet-function errors are mapped.

* Classic Windows COM UDFs cannot return real Excel error values (xlwings issue #776): an error
  becomes one line of text starting with ``#`` and naming the row, counted in the range handed to
  the function (its first row is row 1), and the column,
  e.g. ``#INPUT row 4 of the range, price: the cell holds the error value #N/A``.
* Office.js custom functions (xlwings Lite or Server) raise :class:`xlwings.XlwingsError`, which
  Excel shows as a real ``#VALUE!`` with the message on hover; a value that does not apply is a
  real ``#N/A``.

Tracebacks of unexpected failures go to the log file in the user's xlmargin folder, never into a
cell.
"""

from __future__ import annotations

import os
import sys
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.errors import CELL_CHARS, IN_RANGE, XlMarginError, fit_cell
from xlmargin.excel import registry

if TYPE_CHECKING:  # logging is imported when something fails, not by every recalculation
    import logging

NOT_APPLICABLE = "#N/A"


def route() -> str:
    """ "officejs" under xlwings Lite (Pyodide) or xlwings Server, else "classic"."""
    on_server = os.environ.get("XLWINGS_ON_SERVER", "").strip().lower() in ("1", "true", "yes")
    return "officejs" if sys.platform == "emscripten" or on_server else "classic"


def home() -> Path:
    """The user's xlmargin folder (``XLMARGIN_HOME`` overrides ``~/.xlmargin``)."""
    return Path(os.environ.get("XLMARGIN_HOME") or Path.home() / ".xlmargin")


def log_path() -> Path:
    return home() / "xlmargin.log"


def _logger() -> logging.Logger:
    import logging

    logger = logging.getLogger("xlmargin.udfs")
    target = str(log_path())
    if not any(getattr(h, "baseFilename", None) == target for h in logger.handlers):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        sink: logging.Handler
        if sys.platform == "emscripten":  # xlwings Lite: Pyodide's files vanish; the console stays
            sink = logging.StreamHandler(sys.stderr)
        else:
            sink = _file_sink(target)
        sink.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(sink)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def _file_sink(target: str) -> logging.Handler:
    import logging
    from logging.handlers import RotatingFileHandler

    try:
        log_path().parent.mkdir(parents=True, exist_ok=True)
        return RotatingFileHandler(target, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
    except OSError:
        return logging.NullHandler()  # a read-only home must not break a cell


def call(name: str, *args: Any) -> Any:
    """Run worksheet function ``name`` and map its outcome to what the current route can show."""
    function = registry.BY_NAME[name]
    try:
        result = function.impl(*args)
    except XlMarginError as exc:
        summary = exc.summary(IN_RANGE)  # the function has the range's values, not its rows
        return _error(name, f"#{exc.code} {summary}", summary)
    except Exception as exc:  # anything else is our bug: log it, show one line
        _logger().exception("%s failed", name)
        message = f"unexpected {type(exc).__name__}: {exc}"
        return _error(name, f"#ERROR {message} (details in {log_path()})", message)
    if result is None:
        return NOT_APPLICABLE  # a real #N/A on Office.js, the text #N/A on classic
    return _fitted(result)


def _fitted(result: Any) -> Any:
    """``result`` with every text cut to Excel's cell limit (:func:`~xlmargin.errors.fit_cell`): a
    symbol or a sleeve of 40,000 characters is echoed by a breakdown's cells. A table is measured
    in one pass over its texts and copied only when one is too long."""
    if isinstance(result, str):
        return fit_cell(result)
    if not isinstance(result, list) or not result or not isinstance(result[0], list):
        return result
    texts = filter(str.__instancecheck__, chain.from_iterable(result))
    if max(map(len, texts), default=0) <= CELL_CHARS:
        return result
    return [[fit_cell(c) if isinstance(c, str) else c for c in row] for row in result]


def _error(name: str, text: str, message: str) -> str:
    text = fit_cell(" ".join(text.split()))  # one line, whatever the message held
    if route() == "officejs":
        from xlwings import XlwingsError

        raise XlwingsError(f"{name}: {message}")
    return text
