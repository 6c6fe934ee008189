"""Review R14 of the batch: account ids never merged silently, Dask addresses that are no Dask
scheduler, workers without xlmargin, and the messages of an empty file and blank ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import openpyxl
import pandas as pd
import pytest

from benchmarks.book import AS_OF
from xlmargin.batch import batch
from xlmargin.cli import main


def _ids(ids: list[Any]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({"account": ids, "symbol": ["KO"] * n, "quantity": [100] * n, "price": [62.0] * n})


def test_a_true_in_the_account_column_is_its_error_never_account_1(tmp_path: Any, capsys: Any) -> None:
    """R14: TRUE, 1, 0, FALSE gave two accounts, "True" (2 positions) and "0", exit 0: True == 1
    as a dict key, so account 1 vanished into "True"."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["account", "symbol", "type", "quantity", "price"], [True, "JPM", "stock", 100, 242.1]):
        sheet.append(row)
    for row in ([1, "KO", "stock", 100, 62], [0, "KO", "stock", 100, 62], [False, "XOM", "stock", -100, 112.4]):
        sheet.append(row)
    book.save(source := tmp_path / "ids.xlsx")
    assert main(["batch", str(source), "--regime", "regt", "--as-of", AS_OF.isoformat()]) == 1
    out = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    assert out["account"].tolist() == ["TRUE", "1", "0", "FALSE"]
    assert out["positions"].tolist() == ["1", "1", "1", "1"]
    assert out["error"].tolist() == [
        "#INPUT row 2, account: TRUE is a TRUE/FALSE cell, not an account id",
        "",
        "",
        "#INPUT row 5, account: FALSE is a TRUE/FALSE cell, not an account id",
    ]


def test_one_number_however_stored_is_one_account_and_a_bool_or_date_is_refused() -> None:
    """1, 1.0 (Excel stores every number as a float) and the text "1" show one id: one account;
    TRUE and a date are errors naming every row they are on."""
    frame = _ids([1, "1", 1.0, True, dt.date(2026, 3, 1), True, "001"])
    out = batch(frame, regime="regt", as_of=AS_OF)
    assert out["account"].tolist() == ["1", "TRUE", "2026-03-01", "001"]
    assert out["positions"].tolist() == [3, 2, 1, 1]
    assert out["error"].tolist() == [
        "",
        "#INPUT row 5, account: TRUE is a TRUE/FALSE cell (rows 5, 7), not an account id",
        "#INPUT row 6, account: 2026-03-01 is a date, not an account id; Excel may have turned an id "
        "into a date: format the column as text and type the ids again",
        "",
    ]
    assert out.attrs["warnings"] == [
        (
            "accounts '1' and '001' are one number written in different ways: margined as 2 accounts "
            "(an id is read as written); if they are one account, write its id one way",
            "",
        )
    ]


def test_an_error_value_in_the_account_column_is_its_error() -> None:
    out = batch(_ids(["A", "#N/A"]), regime="regt", as_of=AS_OF)
    assert out["error"].tolist() == ["", "#INPUT row 3, account: the cell holds the error value #N/A"]


def test_blank_account_ids_name_their_rows() -> None:
    """R14: "the account is blank in 2 row(s)" named only the first."""
    out = batch(_ids(["A", None, "B", *[" "] * 9]), regime="regt", as_of=AS_OF)
    assert out["account"].tolist() == ["A", "", "B"]
    assert out["error"].tolist()[1] == (
        "#INPUT row 3, account: the account is blank in rows 3, 5, 6, 7, 8, 9, 10, 11 and 2 more"
    )
