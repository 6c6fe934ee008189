"""A table argument (positions, trades, candidates) that is not a range says what its cell holds."""

import pytest

from xlmargin.excel import udfs

BOOK = [["Symbol", "Type", "Qty", "Price"], ["AAPL", "stock", 100.0, 200.0]]


@pytest.mark.parametrize("error", ["#REF!", "#N/A", "#VALUE!"])
@pytest.mark.parametrize(
    "name, args, arg",
    [
        ("PM_REQUIREMENT", (None,), "positions"),
        ("REGT_BREAKDOWN", (None, None, None), "positions"),
        ("MARGIN_IMPACT", (BOOK, None, None, None), "trades"),
        ("HEDGE_OPTIMIZE", (BOOK, None, "pm", None, None), "candidates"),
    ],
)
def test_an_excel_error_value_is_named_as_for_a_number_argument(name, args, arg, error):
    """As MARGIN_CUSHION names an error in a number argument; not "got the text '#REF!'"."""
    at = 1 if arg != "positions" else 0
    given = [*args]
    given[at] = error
    assert getattr(udfs, name)(*given) == f"#INPUT {arg}: the cell holds the error value {error}"
    assert udfs.MARGIN_CUSHION(error, 5.0) == f"#INPUT equity: the cell holds the error value {error}"


def test_another_cells_error_a_blank_and_a_file_path_are_told_apart():
    failed = "#INPUT row 4, quantity: 'ten' is not a number"
    assert udfs.PM_REQUIREMENT(failed) == f"#INPUT positions: the cell holds an error, not a range: {failed}"
    assert (
        udfs.MARGIN_IMPACT(BOOK, None) == "#INPUT trades: trades is missing: give a range with a header row"
    )
    assert udfs.PM_REQUIREMENT("book.csv").startswith(
        "#INPUT positions: positions must be a range with a header row, got the text 'book.csv'; "
        "worksheet functions never read files"
    )
    assert udfs.HEDGE_OPTIMIZE(BOOK, "c.csv").startswith(
        "#INPUT candidates: candidates must be a range with a header row, got the text 'c.csv'; "
        "worksheet functions never read files"
    )
    assert (
        udfs.PM_REQUIREMENT(5.0)
        == "#INPUT positions: positions must be a range with a header row, got a float"
    )
