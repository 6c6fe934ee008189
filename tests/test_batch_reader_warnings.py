"""The reader's warnings on an account's rows go to that account's ``warnings`` cell in a batch, as
``xlmargin margin`` shows them for the account alone (rows numbered as in the file); a warning on
the file as a whole (a column ignored) stays on stderr. Defect of round 5: a ticker such as "UST C"
("the symbol reads like an option") or a DTE beside an expiry that disagree was printed once on
stderr for the whole file, naming rows but no account, and no account's cell showed it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import AS_OF
from xlmargin.batch import batch
from xlmargin.cli import main
from xlmargin.positions import read_positions

HEADER = ["account", "symbol", "type", "quantity", "price", "note"]
LIKE_OPTION = "the symbol reads like an option"
BOOK = [
    HEADER,
    ["A", "UST C", "stock", 100, 10.0, "x"],
    ["B", "MSFT", "stock", 10, 300.0, None],
    ["A", "AAPL", "stock", 10, 150.0, None],
    ["B", "IBM", "stock", 5, 100.0, None],
]


def _alone(book: list[list[Any]], account: str) -> list[list[Any]]:
    """The account's rows alone, the others blank (each row keeps its number)."""
    return [book[0][1:], *(r[1:] if r[0] == account else [] for r in book[1:])]


def _row_warnings(book: list[list[Any]], account: str) -> list[str]:
    """The reader's warnings naming rows for the account alone (``margin`` prints them first)."""
    return [w for w in read_positions(_alone(book, account), as_of=AS_OF).warnings if w.startswith("row")]


@pytest.mark.parametrize("regime", ["regt", "risk", "pm"])
def test_a_symbol_like_an_option_is_its_own_account_s_warning(regime: str) -> None:
    result = batch(BOOK, regime=regime, as_of=AS_OF).set_index("account")
    assert (result["error"] == "").all(), result["error"].tolist()
    own = _row_warnings(BOOK, "A")
    assert len(own) == 1 and own[0].startswith(f"row 2: {LIKE_OPTION}")
    assert result.loc["A", "warnings"].split(" | ")[:1] == own
    assert LIKE_OPTION not in result.loc["B", "warnings"]
    # stderr's: the ignored column, the file's (the row's warning is only in its account's cell)
    assert result.attrs["warnings"] == [("columns ignored (not positions fields): note", "")]


def test_via_a_dataframe_and_dask_the_same() -> None:
    frame = pd.DataFrame(BOOK[1:], columns=HEADER)
    result = batch(frame, by="account", regime="regt", as_of=AS_OF)
    cells = dict(zip(result["account"], result["warnings"], strict=True))
    assert cells["A"].startswith(f"row 2: {LIKE_OPTION}") and cells["B"] == ""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(processes=False, n_workers=2, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        pd.testing.assert_frame_equal(
            batch(frame, by="account", regime="regt", as_of=AS_OF, dask=client), result
        )


def test_warnings_on_many_rows_split_by_account_with_the_file_s_row_numbers() -> None:
    # 12 rows like an option (the whole file's warning named 8 and "4 more"), every account's own
    book = [HEADER, *([f"K{i % 3}", f"X{i} P", "stock", 10, 20.0 + i, None] for i in range(12))]
    book.append(["K3", "MSFT", "stock", 10, 300.0, None])
    result = batch(book, regime="regt", as_of=AS_OF)
    cells = dict(zip(result["account"], result["warnings"], strict=True))
    for k in range(3):
        rows = ", ".join(str(2 + i) for i in range(k, 12, 3))
        assert cells[f"K{k}"].split(" | ")[:1] == _row_warnings(book, f"K{k}")
        assert cells[f"K{k}"].startswith(f"rows {rows}: {LIKE_OPTION}")
    assert cells["K3"] == ""


def test_cli_batch_cell_equals_margin_on_the_account_alone(tmp_path: Path, capsys: Any) -> None:
    source, alone = tmp_path / "book.csv", tmp_path / "a.csv"
    pd.DataFrame(BOOK[1:], columns=HEADER).to_csv(source, index=False)
    pd.DataFrame([r for r in BOOK[1:] if r[0] == "A"], columns=HEADER).to_csv(alone, index=False)
    out = tmp_path / "out.csv"
    argv = ["--regime", "regt", "--as-of", AS_OF.isoformat()]
    assert main(["batch", str(source), "--account-column", "account", *argv, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert LIKE_OPTION not in err and "columns ignored (not positions fields): note" in err
    cells = pd.read_csv(out, keep_default_na=False).set_index("account")["warnings"]
    assert LIKE_OPTION not in cells["B"]
    assert main(["margin", str(alone), *argv, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)["warnings"]
    # margin reads A's rows as rows 2 and 3; the batch names row 2 (A's first row in both)
    assert [w for w in shown if LIKE_OPTION in w] == [w for w in cells["A"].split(" | ") if LIKE_OPTION in w]


def test_a_dte_beside_a_disagreeing_expiry_is_its_own_account_s() -> None:
    head = ["account", "symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike"]
    head += ["right", "expiry", "days"]
    stock = [None] * 6
    book = [
        head,
        ["A", "AAPL", "stock", 100, 150.0, *stock],
        ["B", "MSFT", "stock", 100, 300.0, *stock],
        ["B", "MSFT", "option", -1, 5.0, "MSFT", 300.0, 320, "call", "2026-12-18", 60],
    ]
    result = batch(book, regime="regt", as_of=AS_OF)
    cells = dict(zip(result["account"], result["warnings"], strict=True))
    own = _row_warnings(book, "B")
    assert len(own) == 1 and own[0].startswith("row 4, days: disagrees with expiry")
    assert cells["B"].split(" | ")[:1] == own and cells["A"] == ""
