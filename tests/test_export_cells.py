"""Cells as exports write them (QA round R4): a header cell starting with a byte-order mark, an
accounting negative '(500)' and the Unicode minus '−500' in a number cell, an account column of
floats in a batch; and the decision commands' own help."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import AS_OF
from xlmargin.batch import batch
from xlmargin.cells import to_number
from xlmargin.cli import main
from xlmargin.params import read_params
from xlmargin.pm.settings import PM_PARAMS
from xlmargin.positions import read_positions


def test_a_byte_order_mark_before_a_header_is_not_part_of_it() -> None:
    rows = [["\ufeffsymbol", "quantity", "price"], ["AAPL", 10, 200.0]]
    (position,) = read_positions(rows, as_of=AS_OF).positions
    assert (position.symbol, position.quantity) == ("AAPL", 10.0)
    assert read_params([["\ufeffrate", 0.05]], PM_PARAMS)["rate"] == 0.05


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("(500)", -500.0),
        ("( 1,250.50 )", -1250.5),
        ("($1,250.50)", -1250.5),
        ("$(12)", -12.0),
        ("−500", -500.0),
    ],
)
def test_accounting_negatives_and_the_unicode_minus_are_negative_numbers(text: str, number: float) -> None:
    assert to_number(text) == (number, None)


@pytest.mark.parametrize("text", ["(-5)", "((5))", "()", "(-5%)", "(5)%", "(5", "5)"])
def test_other_parentheses_are_still_no_number(text: str) -> None:
    assert to_number(text)[1] == f"'{text}' is not a number"


def test_a_short_position_typed_as_an_export_writes_it() -> None:
    rows = [
        ["symbol", "type", "quantity", "price"],
        ["XOM", "stock", "(500)", "100"],
        ["XOM", "stock", "−500", 100],
    ]
    assert [p.quantity for p in read_positions(rows, as_of=AS_OF).positions] == [-500.0, -500.0]


def test_whole_float_account_numbers_print_as_integers_and_text_ids_are_kept() -> None:
    frame = pd.DataFrame(
        {
            "account": [1001.0, 1002.0, 1002.5],
            "symbol": ["AAPL", "MSFT", "IBM"],
            "quantity": [10, 5, 1],
            "price": [100.0, 300.0, 100.0],
        }
    )
    assert batch(frame, regime="regt", as_of=AS_OF)["account"].tolist() == ["1001", "1002", "1002.5"]
    frame["account"] = ["1001.0", "A-7", " 0042 "]
    assert batch(frame, regime="regt", as_of=AS_OF)["account"].tolist() == ["1001.0", "A-7", "0042"]


@pytest.mark.parametrize("command", ["whatif", "hedge", "plan"])
def test_each_decision_command_describes_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    paragraphs = capsys.readouterr().out.split("\n\n")
    assert paragraphs[1].split(":")[0] in {"whatif": "MARGIN_IMPACT", "hedge": "HEDGE_OPTIMIZE"}.get(
        command, "LIQUIDATION_PLAN and MARGIN_CALL_MOVE"
    ), paragraphs[:2]
