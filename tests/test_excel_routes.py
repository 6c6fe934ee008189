"""What a cell shows on each Excel route when a worksheet function fails (xlmargin.excel.route).

Functions are called as Excel calls them: Excel-shaped ranges (header first, numbers as floats,
error cells as their text because ranges are read with ``err_to_str``). Classic Windows COM can
only show text, so an error is one line starting with ``#``; Office.js (xlwings Lite or Server,
``XLWINGS_ON_SERVER=true``) raises ``xlwings.XlwingsError``, a real ``#VALUE!`` with the message on
hover. Tracebacks go to the log in the user's xlmargin folder (``XLMARGIN_HOME``), never to a cell.
"""

import logging
import sys
from dataclasses import replace

import pytest
import xlwings

from xlmargin.errors import InputError, Problem
from xlmargin.excel import registry, route, udfs

HEADER = ["Symbol", "Type", "Qty", "Price"]
BAD_RANGES = {
    "error cell": (
        [HEADER, ["AAPL", "stock", 100.0, 228.5], ["MSFT", "stock", 10.0, "#N/A"]],
        "row 3 of the range, price: the cell holds the error value #N/A",
    ),
    "text for a number": (
        [HEADER, ["AAPL", "stock", "ten", 228.5], [None, None, None, None]],
        "row 2 of the range, quantity: 'ten' is not a number",
    ),
    "missing column": (
        [["Symbol", "Type", "Price"], ["AAPL", "stock", 228.5]],
        "row 1 of the range: missing required column 'quantity'",
    ),
}
SCALARS = [udfs.REGT_MARGIN, udfs.PM_REQUIREMENT]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """The classic route, with the user's xlmargin folder (and so the log) in a temporary folder."""
    monkeypatch.setenv("XLMARGIN_HOME", str(tmp_path))
    monkeypatch.delenv("XLWINGS_ON_SERVER", raising=False)
    yield tmp_path
    logger = logging.getLogger("xlmargin.udfs")  # route's file handler: let go of the tmp file
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


@pytest.fixture
def officejs(monkeypatch):
    monkeypatch.setenv("XLWINGS_ON_SERVER", "true")  # what xlwings Server sets


def failing_version(monkeypatch, error: Exception) -> None:
    """XLM_VERSION's registry entry, made to raise ``error``."""

    def impl():
        raise error

    monkeypatch.setitem(registry.BY_NAME, "XLM_VERSION", replace(registry.BY_NAME["XLM_VERSION"], impl=impl))


def one_line(text: object) -> str:
    assert isinstance(text, str) and "\n" not in text and "Traceback" not in text
    return text


def test_the_route_is_read_from_the_environment(monkeypatch):
    assert route.route() == "classic"
    monkeypatch.setenv("XLWINGS_ON_SERVER", "true")
    assert route.route() == "officejs"
    monkeypatch.delenv("XLWINGS_ON_SERVER")
    monkeypatch.setattr(sys, "platform", "emscripten")  # xlwings Lite runs in Pyodide
    assert route.route() == "officejs"


@pytest.mark.parametrize("function", SCALARS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", BAD_RANGES)
def test_classic_bad_range_is_one_line_naming_row_and_column(function, case):
    rows, message = BAD_RANGES[case]
    assert one_line(function(rows)).startswith(f"#INPUT {message}")


@pytest.mark.parametrize("function", SCALARS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", BAD_RANGES)
def test_officejs_bad_range_raises_a_real_error(officejs, function, case):
    rows, message = BAD_RANGES[case]
    with pytest.raises(xlwings.XlwingsError) as raised:
        function(rows)
    assert one_line(str(raised.value)).startswith(f"{function.__name__}: {message}")


def test_every_problem_is_counted(monkeypatch):
    failing_version(monkeypatch, InputError([Problem("'x' is not a number", 2, "qty"), Problem("blank", 3)]))
    assert udfs.XLM_VERSION() == "#INPUT row 2 of the range, qty: 'x' is not a number (+1 more)"


def test_classic_unexpected_error_is_a_line_and_the_traceback_is_logged(monkeypatch, home):
    failing_version(monkeypatch, ZeroDivisionError("float division by zero\nin the kernel"))

    text = one_line(udfs.XLM_VERSION())

    log = home / "xlmargin.log"
    assert (
        text
        == f"#ERROR unexpected ZeroDivisionError: float division by zero in the kernel (details in {log})"
    )
    logged = log.read_text()
    assert "XLM_VERSION failed" in logged and "Traceback" in logged and "ZeroDivisionError" in logged


def test_officejs_unexpected_error_raises_and_the_traceback_is_logged(officejs, monkeypatch, home):
    failing_version(monkeypatch, KeyError("spot"))

    with pytest.raises(xlwings.XlwingsError) as raised:
        udfs.XLM_VERSION()

    assert one_line(str(raised.value)) == "XLM_VERSION: unexpected KeyError: 'spot'"
    assert "Traceback" in (home / "xlmargin.log").read_text()


@pytest.mark.parametrize("route_env", ["", "true"])
def test_nothing_to_show_is_na_on_both_routes(monkeypatch, route_env):
    monkeypatch.setenv("XLWINGS_ON_SERVER", route_env)
    monkeypatch.setitem(
        registry.BY_NAME, "XLM_VERSION", replace(registry.BY_NAME["XLM_VERSION"], impl=lambda: None)
    )
    assert udfs.XLM_VERSION() == "#N/A"  # Office.js turns the string into a real #N/A


def test_a_good_call_is_a_value(home):
    assert udfs.XLM_VERSION().startswith("xlmargin ")
    assert not (home / "xlmargin.log").exists()  # nothing logged when nothing failed
