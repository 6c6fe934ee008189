"""A DataFrame's rows in the Python API's errors: the messages number rows as a sheet does (the
header row 1, so row N is ``iloc[N - 2]``); a note under the message says which row of the frame,
and which index label, each named row is (a filtered frame's labels are not its positions)."""

from __future__ import annotations

import pandas as pd
import pytest

import xlmargin
from xlmargin.errors import InputError

AS_OF = "2026-12-07"


def _book() -> pd.DataFrame:
    whole = pd.DataFrame(
        {
            "symbol": ["AAPL", "MSFT", "XYZ", "IBM", "GE"],
            "type": ["stock"] * 5,
            "quantity": [100, 0, 5, 10, 7],
            "price": [190.0, 400.0, -3.0, 150.0, -20.0],
        },
        index=[10, 11, 12, 13, 14],
    )
    return whole[whole.quantity != 0]  # XYZ is iloc 1 (row 3), GE iloc 3 (row 5)


def test_a_filtered_frame_names_the_label_of_each_row_in_error() -> None:
    with pytest.raises(InputError) as raised:
        xlmargin.pm_requirement(_book(), as_of=AS_OF)
    assert str(raised.value).startswith("row 3, price: negative price")  # the message is unchanged
    (note,) = raised.value.__notes__
    assert "row 3 is positions.iloc[1] (index 12)" in note
    assert "row 5 is positions.iloc[3] (index 14)" in note


def test_text_labels_and_every_function() -> None:
    book = _book().rename(index={12: "acct-7/XYZ", 14: "acct-9/GE"})
    for function in (xlmargin.regt_margin, xlmargin.stress_table, xlmargin.read_positions):
        with pytest.raises(InputError) as raised:
            function(book, as_of=AS_OF)
        assert "row 3 is positions.iloc[1] (index 'acct-7/XYZ')" in raised.value.__notes__[0]


def test_two_frames_give_the_rule_without_labels() -> None:
    with pytest.raises(InputError) as raised:
        xlmargin.margin_impact(_book(), _book(), as_of=AS_OF)
    (note,) = raised.value.__notes__
    assert "iloc[N - 2]" in note and "positions or trades" in note and "index" not in note.split(")")[-1]


def test_a_list_of_rows_gets_no_note() -> None:
    rows = [["symbol", "type", "quantity", "price"], ["XYZ", "stock", 5, -3.0]]
    with pytest.raises(InputError) as raised:
        xlmargin.pm_requirement(rows, as_of=AS_OF)
    assert not getattr(raised.value, "__notes__", [])
