"""The parameter range reader: row shapes it accepts, and one clear line for each it refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xlmargin.errors import InputError
from xlmargin.params import AS_OF, RATE, Param, read_params, with_defaults

SPECS = (
    AS_OF,
    RATE,
    Param("include", "text", "", "scenario ids"),
    Param("hrp", "bool", True, "speculator account"),
    Param("basis", "choice", "maintenance", "which figure", choices=("maintenance", "initial")),
)


def message(data: Any) -> str:
    with pytest.raises(InputError) as err:
        read_params(data, SPECS)
    return str(err.value)


def test_a_trailing_blank_cell_after_a_zero_value_is_fine() -> None:
    """Issue 10 item 11: ``["rate", 0, ""]`` is rate 0, not "cannot read ['rate']"."""
    assert read_params([["rate", 0, ""]], SPECS)["rate"] == 0.0
    assert read_params([["rate", 0.03, None, 0]], SPECS)["rate"] == 0.03
    assert read_params([["rate", 0]], SPECS)["rate"] == 0.0


@pytest.mark.parametrize(
    "data",
    [
        [["rate", 0.02], ["hrp", "no"]],  # two columns
        [["rate", 0.02, None], [None, None, None], ["hrp", False, ""]],  # oversized, a blank row
        [[None, "rate", 0.02], [None, "hrp", 0]],  # a blank column before the names
        ["rate=0.02", "hrp=FALSE"],  # name=value down a column
        [["rate=0.02", "hrp=off", None, ""]],  # ... or across one row
        [["rate=0.02", ""], ["hrp=n", None]],  # name=value with a blank neighbour
        {"rate": 0.02, "hrp": False},  # a Python mapping
    ],
)
def test_row_shapes(data: Any) -> None:
    values = read_params(data, SPECS)
    assert (values["rate"], values["hrp"]) == (0.02, False)


@pytest.mark.parametrize("data", [None, "", "  ", 0, [], [[None, None]], [["", 0]]])
def test_empty_ranges_give_the_defaults(data: Any) -> None:
    assert read_params(data, SPECS) == {s.name: s.default for s in SPECS}


def test_values_of_each_kind() -> None:
    values = read_params(
        [["as_of", "2026-11-20"], ["include", " E1, E2 "], ["basis", "Initial"], ["hrp", 1]], SPECS
    )
    assert values["as_of"] == dt.date(2026, 11, 20)
    assert (values["include"], values["basis"], values["hrp"]) == ("E1, E2", "initial", True)
    assert read_params([["include", None, None]], SPECS)["include"] == ""  # blank text is blank


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([["rate", 0.02, 5]], "row 1, params: a parameter row holds a name and one value"),
        ([["rate=0.02", 5]], "row 1, params: cannot read ['rate=0.02', 5] as a name and a value"),
        ([[7, 0.02]], "row 1, params: cannot read [7, 0.02] as a name and a value"),
        ([["rate"]], "row 1, params: rate: no value given"),
        ([["rate", None, ""]], "row 1, params: rate: no value given"),
        ([["rate", "#N/A"]], "row 1, params: rate: the cell holds the error value #N/A"),
        ([["hrp", 0.5]], "row 1, params: hrp: '0.5' is not TRUE or FALSE"),
        ([["basis", "both"]], "row 1, params: basis: 'both' is not one of maintenance, initial"),
        ([["rate", 0.9]], "row 1, params: rate: must be at most 0.5"),
        ([["rate", 0.01], ["Rate", 0.02]], "row 2, params: parameter 'rate' is given twice (rows 1 and 2)"),
        ([["shock", 1]], "row 1, params: unknown parameter 'shock'; known: as_of, rate, include"),
        (5, "params: expected a two-column name/value range, got 5"),
    ],
)
def test_refusals_are_one_line_naming_the_row(data: Any, expected: str) -> None:
    text = message(data)
    assert expected in text
    assert "\n" not in text


def test_where_names_each_row_by_the_place_it_came_from() -> None:
    """The command line's ``--param`` has no range: ``where`` names the option instead of the row,
    also in a name given twice; without it the row and the column "params" are named."""
    given = ["basis=both", "rate=0.01", "Rate=0.02", "hrp="]
    with pytest.raises(InputError) as err:
        read_params(given, SPECS, where=lambda row: f"--param {given[row - 1]}")
    assert [str(p) for p in err.value.problems] == [
        "--param basis=both: basis: 'both' is not one of maintenance, initial",
        "--param Rate=0.02: parameter 'rate' is given twice (also --param rate=0.01)",
        "--param hrp=: no value given",  # an option has no row to clear or delete
    ]
    with pytest.raises(InputError) as err:
        read_params(given, SPECS)
    assert [str(p) for p in err.value.problems] == [
        "row 1, params: basis: 'both' is not one of maintenance, initial",
        "row 3, params: parameter 'rate' is given twice (rows 2 and 3)",
        "row 4, params: hrp: no value given (clear the name too, or delete the row, to use the default)",
    ]


def test_every_bad_row_is_reported_at_once() -> None:
    with pytest.raises(InputError) as err:
        read_params([["rate", "x"], ["hrp", "maybe"], ["basis", "none"]], SPECS)
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "params"), (2, "params"), (3, "params")]
    assert str(err.value).endswith("(+2 more)")


def test_a_python_mapping_s_choice_is_read_as_the_range_reads_it():
    """A Python caller's ``{"fx_rates": "USD"}`` meant the usd reading and silently got the default
    (the settings compared it with "usd"); a choice not offered is named, never the default."""
    from xlmargin.account import account_settings
    from xlmargin.esma import esma_settings

    today = dt.date(2026, 1, 5)
    assert esma_settings({"fx_rates": "USD"}, today).reading == "usd"
    assert account_settings({"basis": "Maintenance"}, today).basis == "maintenance"
    with pytest.raises(InputError, match="params: fx_rates: 'dollars' is not one of account, usd"):
        esma_settings({"fx_rates": "dollars"}, today)
    spec = Param("mode", "choice", "a", "", choices=("a", "b"))
    assert with_defaults({"mode": None}, [spec]) == {"mode": "a"}  # None: the caller's "not given"


def test_a_python_mapping_s_number_is_held_to_the_range_s_bounds():
    """``esma_settings({"leverage.major_fx": 31})`` took a leverage above ESMA's 30:1 cap, which the
    params range refuses: the margin would fall below the rule's minimum. A Python mapping's number
    is now read as the range reads it, bounds and all."""
    from xlmargin.esma import esma_settings
    from xlmargin.stress import stress_settings

    today = dt.date(2026, 1, 5)
    with pytest.raises(InputError, match=r"leverage\.major_fx: must be at most 30, got 31"):
        esma_settings({"leverage.major_fx": 31}, today)
    assert esma_settings({"leverage.major_fx": "25"}, today).leverage["major_fx"] == 25.0
    with pytest.raises(InputError, match=r"rate: must be at most 0\.5, got 0\.9"):
        stress_settings({"rate": 0.9}, today)


def test_a_python_mapping_s_none_is_the_default_whatever_the_kind():
    """A Python caller's None means "not given": ``stress_settings({"rate": None})`` raised
    ``TypeError`` from ``float()``; ``account_settings({"securities": None})`` stored the text
    'None', which the account view read as Reg T and the batch as portfolio margin. The API's
    keyword arguments (read by ``read_params`` from a mapping) read None so too."""
    from xlmargin.account import account_settings
    from xlmargin.pm import pm_settings
    from xlmargin.stress import stress_settings

    today = dt.date(2026, 1, 5)
    assert stress_settings({"rate": None}, today) == stress_settings({}, today)
    assert pm_settings({"rate": None, "as_of": None}, today) == pm_settings({}, today)
    assert account_settings({"securities": None, "fx_rule": None}, today) == account_settings({}, today)
    assert read_params({"rate": None}, [RATE]) == read_params({}, [RATE])
