"""Input and command-line items the reviews left open (regression tests, no published figures):

- every command reading a positions file takes ``--max-cells`` (``whatif``, ``hedge``, ``plan`` and
  ``contribution`` had none), through one option (:func:`xlmargin.cliargs.add_max_cells`);
- a Parquet file is checked against the limit from its metadata, before its columns are loaded;
- a quantity beyond symbols.toml ``[reading] quantity_max`` is refused naming the row and the bound;
- an option's expiry of 0 is refused as no date; a future's reads as the empty cell Office.js sends;
- the batch warns an account whose stock is priced apart from its options' underlying price.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from xlmargin import rules
from xlmargin.batch import batch
from xlmargin.batch.sources import WARNINGS, parquet_cells
from xlmargin.cli import build_parser, main
from xlmargin.errors import InputError
from xlmargin.positions import conventions, read_positions
from xlmargin.positions.infer import RowsWarning

AS_OF = "2026-11-20"
BOOK = "symbol,type,quantity,price\nXYZ,stock,1000,100\nABC,stock,500,40\n"  # 12 cells and more
TRADES = "symbol,type,quantity,price\nXYZ,stock,-400,100\n"
CANDIDATES = (
    "symbol,type,quantity,price,underlying,underlying_price,strike,days,right,volatility,max_qty\n"
    "XYZ P95,option,10,1.5,XYZ,100,95,30,put,0.3,\n"
)


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- --max-cells on every command reading a positions file ---------------------------------------


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_reading_a_positions_file_takes_max_cells() -> None:
    """Every command given a file takes --max-cells: those reading a positions file through
    :func:`~xlmargin.cliargs.add_max_cells` (its help names the positions file's default), recalc
    and freeze their workbook's own limit."""
    given_a_file = {
        name: parser
        for name, parser in _commands().items()
        if any(a.dest in ("file", "positions") for a in parser._actions if not a.option_strings)
    }
    assert set(given_a_file) == {
        "margin",
        "batch",
        "whatif",
        "hedge",
        "plan",
        "contribution",
        "recalc",
        "freeze",
    }
    for name, parser in given_a_file.items():
        limit = next(a for a in parser._actions if "--max-cells" in a.option_strings)
        if name not in ("recalc", "freeze"):
            assert limit.help is not None and "a workbook 10,000,000" in limit.help, name


@pytest.mark.parametrize(
    ("command", "over"),
    [
        (["whatif", "BOOK", "TRADES"], "book.csv"),
        (["whatif", "SMALL", "BOOK"], "trades: book.csv"),  # the trades' file, named as theirs
        (["hedge", "BOOK", "CANDIDATES"], "book.csv"),
        (["plan", "BOOK", "--equity", "10000"], "book.csv"),
        (["contribution", "BOOK"], "book.csv"),
    ],
)
def test_the_decision_commands_take_max_cells(
    tmp_path: Path, capsys: Any, command: list[str], over: str
) -> None:
    files = {
        "BOOK": _write(tmp_path, "book.csv", BOOK),
        "SMALL": _write(tmp_path, "small.csv", "symbol,quantity,price\nXYZ,1,100\n"),
        "TRADES": _write(tmp_path, "trades.csv", TRADES),
        "CANDIDATES": _write(tmp_path, "candidates.csv", CANDIDATES),
    }
    argv = [files.get(word, word) for word in command]
    assert main([*argv, "--as-of", AS_OF, "--max-cells", "10"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"xlmargin: {over}: 13 cells or more, over the 10 a positions file may hold (max_cells); split it"
    )
    assert main([*argv, "--as-of", AS_OF, "--max-cells", "1,000"]) == 0
    capsys.readouterr()
    assert main([*argv, "--max-cells", "0"]) == 2  # the option's own rule, as margin's
    assert "argument --max-cells: '0' is not a whole number above 0" in capsys.readouterr().err


# --- a Parquet file counted before it is loaded --------------------------------------------------


def test_a_parquet_file_is_refused_from_its_metadata_before_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "accounts.parquet"
    frame = pd.DataFrame({"account": ["A", "B"], "symbol": ["AAPL", "MSFT"], "quantity": [100, 10]})
    frame.to_parquet(path)
    assert parquet_cells(path) == frame.size == 6
    indexed = tmp_path / "indexed.parquet"
    frame.set_index("account").to_parquet(indexed)  # the index is a column of the file, not a cell
    assert parquet_cells(indexed) == pd.read_parquet(indexed).size == 4

    def loaded(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the file was loaded before its size was checked")

    monkeypatch.setattr(pd, "read_parquet", loaded)
    with pytest.raises(InputError, match=r"^accounts\.parquet: 6 cells or more, over the 5 a positions file"):
        batch(path, regime="regt", as_of=AS_OF, max_cells=5)
    assert main(["batch", str(path), "--regime", "regt", "--max-cells", "5", "--as-of", AS_OF]) == 2


def test_a_file_that_is_no_parquet_is_one_line_under_a_limit_too(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    path.write_bytes(b"account,symbol\n")
    with pytest.raises(InputError, match=r"^cannot read accounts\.parquet: "):
        batch(path, regime="regt", as_of=AS_OF, max_cells=5)


# --- a quantity of sensible size -----------------------------------------------------------------


def _read(rows: list[list[Any]]) -> Any:
    return read_positions(rows, as_of=dt.date(2026, 1, 5))


def test_a_quantity_beyond_the_rule_files_bound_is_refused_naming_it() -> None:
    most = float(rules.load("symbols")["reading"]["quantity_max"])
    assert most == 1e13
    header = ["symbol", "quantity", "price"]
    with pytest.raises(InputError) as caught:
        _read([header, ["AAPL", 1e15, 150], ["MSFT", 1, 300], ["BRK", "-2e13", 5], ["T", 1e13, 1]])
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        (row, "quantity", f"quantity {q} is beyond the 1e+13 a position may hold long or short (symbols.toml "
         "[reading] quantity_max); check the quantity")
        for row, q in ((2, "1e+15"), (4, "-2e+13"))
    ]  # fmt: skip
    assert _read([header, ["AAPL", -1e13, 150]]).arrays["quantity"].tolist() == [-1e13]


def test_a_quantity_bound_is_read_from_the_rule_file(monkeypatch: pytest.MonkeyPatch) -> None:
    read = conventions.reading()
    monkeypatch.setattr(conventions, "reading", lambda: {**read, "quantity_max": 1000})
    with pytest.raises(InputError, match="quantity 1001 is beyond the 1000 a position"):
        _read([["symbol", "quantity", "price"], ["AAPL", 1001, 150]])


def test_a_cash_amount_beyond_the_bound_is_no_typing_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2e13 Vietnamese dong is some $800 million: a large account's cash, not a mistyped quantity
    read = conventions.reading()
    monkeypatch.setattr(conventions, "reading", lambda: {**read, "quantity_max": 1000})
    book = _read([["symbol", "type", "quantity", "price"], ["VND", "cash", 2000, 1]])
    assert book.arrays["quantity"].tolist() == [2000]
    with pytest.raises(InputError, match="row 3, quantity: quantity 1001 is beyond"):
        _read(
            [["symbol", "type", "quantity", "price"], ["VND", "cash", 2000, 1], ["AAPL", "stock", 1001, 150]]
        )


# --- an expiry of 0 on a future ------------------------------------------------------------------

FUTURE = ["symbol", "type", "quantity", "price", "multiplier", "expiry", "days"]
NO_DATE = (
    "an expiry of 0 is no date (Excel's serial 0, which an empty date cell reads as): give the expiry date"
)


@pytest.mark.parametrize("zero", [0, 0.0])
def test_a_futures_expiry_of_0_reads_as_the_empty_cell_office_js_sends(zero: float) -> None:
    # excel-integration.md 2.3: on Office.js an empty cell arrives as 0, and a future needs no expiry
    book = _read(
        [FUTURE, ["ESZ6", "future", 1, 5000, 50, zero, None], ["NQZ6", "future", 1, 20000, 20, None, zero]]
    )
    assert book.arrays["expiry"].tolist() == [None, None]


def test_an_options_expiry_of_0_says_so_and_futures_without_one_still_read() -> None:
    option = ["symbol", "type", "quantity", "price", "strike", "right", "underlying_price", "expiry"]
    with pytest.raises(InputError, match=f"^row 2, expiry: {re.escape(NO_DATE)} \\(or days to expiry\\)$"):
        _read([option, ["AAPL C100", "option", 1, 5, 100, "C", 100, 0]])
    book = _read(
        [FUTURE, ["ESZ6", "future", 1, 5000, 50, None, None], ["NQZ6", "future", 1, 20000, 20, 0, 30]]
    )
    assert book.arrays["expiry"].tolist() == [None, dt.date(2026, 2, 4)]  # 0 beside days: a blank cell
    assert _read([FUTURE[:5], ["ESZ6", "future", 1, 5000, 50]]).arrays["expiry"].tolist() == [None]


# --- the batch's accounts get the stock-and-options price warning -------------------------------


def test_a_batch_account_is_warned_of_a_stock_priced_apart_from_its_options() -> None:
    header = ["account", "symbol", "underlying", "type", "quantity", "price", "strike", "right",
              "underlying_price", "expiry", "volatility"]  # fmt: skip
    stock = ["AAPL", "AAPL", "stock", 100, 150, None, None, None, None, None]
    call = ["AAPL C160", "AAPL", "option", -1, 3, 160, "C", 150, "2026-03-20", 0.25]
    apart = [*call[:7], 151, *call[8:]]
    rows = [header, ["A", *stock], ["A", *apart], ["B", *stock], ["B", *call], ["C", *stock], ["D", *apart]]
    frame = batch(rows, regime="regt", as_of="2026-01-05")
    alone = _read([row[1:] for row in (header, rows[1], rows[2])]).warnings
    assert len(alone) == 1 and isinstance(alone[0], RowsWarning) and alone[0].rows == (2, 3)
    assert frame["warnings"].tolist() == [alone[0], "", "", ""]  # C's stock and D's options: apart
    assert frame.attrs[WARNINGS] == []
