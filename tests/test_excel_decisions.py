"""The decision worksheet functions end their tables with the positions reader's warnings, as the
breakdown tables do (MARGIN_IMPACT also with the trades', HEDGE_OPTIMIZE with the candidates'), and
the decision commands print them on stderr as ``xlmargin margin`` does: a user sees the same
warnings wherever the book is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.excel import decisions as fn
from xlmargin.excel.functions import pm_breakdown

PARAMS = [["as_of", "2026-11-20"]]
# "desk" is no positions field: the reader keeps the book and warns that the column is ignored
BOOK = [
    ["symbol", "type", "quantity", "price", "desk"],
    ["XYZ", "stock", 1000.0, 100.0, "alpha"],
    ["ABC", "stock", 500.0, 40.0, "beta"],
]
IGNORED = "columns ignored (not positions fields): desk"
TRADES = [["symbol", "type", "quantity", "price", "note"], ["XYZ", "stock", -400.0, 100.0, "trim"]]
CANDIDATES = [
    ["symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right",
     "volatility"],
    ["XYZ P95", "option", 10.0, 1.5, "XYZ", 100.0, 95.0, 30.0, "put", 0.3],
]  # fmt: skip


def _warnings(table: list[list[Any]]) -> list[str]:
    return [r[1] for r in table if r[0] == "warning"]


def _files(folder: Path, **tables: list[list[Any]]) -> list[str]:
    """Each table written as ``folder/<name>.csv``; their paths, in order."""
    for name, rows in tables.items():
        (folder / f"{name}.csv").write_text(
            "\n".join(",".join(map(str, r)) for r in rows) + "\n", encoding="utf-8"
        )
    return [str(folder / f"{name}.csv") for name in tables]


TABLES = {
    "MARGIN_IMPACT": lambda: fn.margin_impact(BOOK, TRADES, None, PARAMS),
    "MARGIN_CONTRIBUTION": lambda: fn.margin_contribution(BOOK, "pm", PARAMS),
    "HEDGE_OPTIMIZE": lambda: fn.hedge_optimize(BOOK, CANDIDATES, "pm", None, PARAMS),
    "MARGIN_CALL_MOVE": lambda: fn.margin_call_move(BOOK, 20_000.0, "pm", PARAMS),
    "LIQUIDATION_PLAN": lambda: fn.liquidation_plan(BOOK, 15_000.0, "pm", PARAMS),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_decision_table_ends_with_the_readers_warnings(name: str) -> None:
    table = TABLES[name]()
    assert IGNORED in _warnings(pm_breakdown(BOOK, PARAMS))  # the breakdown shows it ...
    assert IGNORED in _warnings(table)  # ... and so does the decision table
    first = next(i for i, r in enumerate(table) if r[0] == "warning")
    assert all(r[0] == "warning" for r in table[first:])  # the last rows
    assert len({len(r) for r in table}) == 1  # still rectangular


def test_margin_impact_names_the_trades_warnings_as_theirs() -> None:
    warnings = _warnings(fn.margin_impact(BOOK, TRADES, None, PARAMS))
    assert "trades: columns ignored (not positions fields): note" in warnings
    assert fn.margin_impact(BOOK, TRADES, "pm", PARAMS) == -6000.0  # a scalar: no rows


def test_a_trade_priced_apart_from_the_books_row_is_a_warning_row_and_on_stderr(
    tmp_path: Path, capsys: Any
) -> None:
    trades = [TRADES[0], ["XYZ", "stock", -400.0, 95.5, "trim"]]
    conflict = (
        "trades row 2: price 95.5 differs from 100 on positions row 2, the same contract (XYZ); the "
        "book's price is used, as margin values a held position at its mark, not at a trade's price"
    )
    assert conflict in _warnings(fn.margin_impact(BOOK, trades, None, PARAMS))
    assert fn.margin_impact(BOOK, trades, "pm", PARAMS) == -6000.0  # at the book's $100, not $95.50
    paths = _files(tmp_path, book=BOOK, trades=trades)
    assert main(["whatif", *paths, "--as-of", "2026-11-20", "--regime", "pm"]) == 0
    assert f"warning: {conflict}" in capsys.readouterr().err.splitlines()


def test_trades_of_one_new_contract_at_two_prices_are_a_warning_row_and_on_stderr(
    tmp_path: Path, capsys: Any
) -> None:
    """Two DEF trades (the book holds none) at $50 and $52 were two rows at their own prices, with no
    warning; they make one row at the first one's price: 200 × $50 × 15% = 1,500."""
    trades = [TRADES[0], ["DEF", "stock", 100.0, 50.0, ""], ["DEF", "stock", 100.0, 52.0, ""]]
    conflict = (
        "trades row 3: price 52 differs from 50 on trades row 2, the same contract (DEF); the book does "
        "not hold it, so its trades make one row at the first one's price, as a trade on a held contract "
        "takes the book's price"
    )
    assert conflict in _warnings(fn.margin_impact(BOOK, trades, None, PARAMS))
    assert fn.margin_impact(BOOK, trades, "pm", PARAMS) == 1500.0
    paths = _files(tmp_path, book=BOOK, trades=trades)
    assert main(["whatif", *paths, "--as-of", "2026-11-20", "--regime", "pm"]) == 0
    assert f"warning: {conflict}" in capsys.readouterr().err.splitlines()


def test_a_chosen_candidate_priced_apart_from_the_books_row_is_a_warning_row_and_on_stderr(
    tmp_path: Path, capsys: Any
) -> None:
    """HEDGE_OPTIMIZE and ``xlmargin hedge`` net a chosen candidate into the book's row, at the
    book's price, as MARGIN_IMPACT does a trade; the price conflict was said for trades only."""
    candidates = [["symbol", "type", "quantity", "price"], ["XYZ", "stock", -500.0, 99.0]]
    conflict = (
        "candidates row 2: price 99 differs from 100 on positions row 2, the same contract (XYZ); the "
        "book's price is used, as margin values a held position at its mark, not at a trade's price"
    )
    table = fn.hedge_optimize(BOOK, candidates, "pm", None, PARAMS)
    assert conflict in _warnings(table)
    assert table[-1][0] == "warning" and len({len(r) for r in table}) == 1  # the last rows, rectangular
    paths = _files(tmp_path, book=BOOK, candidates=candidates)
    assert main(["hedge", *paths, "--as-of", "2026-11-20"]) == 0
    assert f"warning: {conflict}" in capsys.readouterr().err.splitlines()


def test_hedge_names_the_candidates_warnings_as_theirs(tmp_path: Path, capsys: Any) -> None:
    """The candidates reader's warnings were shown neither in HEDGE_OPTIMIZE's table nor on hedge's
    stderr, as the trades' are for MARGIN_IMPACT and whatif; its own columns (min_qty, max_qty,
    cost) are read by it, not ignored, and are not listed."""
    candidates = [
        [*CANDIDATES[0], "min_qty", "max_qty", "cost", "note"],
        [*CANDIDATES[1], 0.0, 10.0, 150.0, "tail hedge"],
    ]
    ignored = "candidates: columns ignored (not positions fields): note"
    table = fn.hedge_optimize(BOOK, candidates, "pm", None, PARAMS)
    assert ignored in _warnings(table) and IGNORED in _warnings(table)
    assert not any("min_qty" in text for text in _warnings(table))
    assert table[-1][0] == "warning" and len({len(r) for r in table}) == 1  # the last rows, rectangular
    assert _warnings(fn.hedge_optimize(BOOK, CANDIDATES, "pm", None, PARAMS)) == [IGNORED]
    paths = _files(tmp_path, book=BOOK, candidates=candidates)
    assert main(["hedge", *paths, "--as-of", "2026-11-20"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [f"warning: {IGNORED}", f"warning: {ignored}"]


def test_a_clean_book_adds_no_warning_rows() -> None:
    clean = [r[:4] for r in BOOK]
    assert _warnings(fn.margin_contribution(clean, "pm", PARAMS)) == []


def test_the_decision_commands_print_the_warnings_on_stderr(tmp_path: Path, capsys: Any) -> None:
    def csv(name: str, rows: list[list[Any]]) -> str:
        path = tmp_path / name
        path.write_text("\n".join(",".join(str(c) for c in r) for r in rows) + "\n", encoding="utf-8")
        return str(path)

    book, trades = csv("book.csv", BOOK), csv("trades.csv", TRADES)
    date = ["--as-of", "2026-11-20"]
    assert main(["whatif", book, trades, *date, "--regime", "pm"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert f"warning: {IGNORED}" in err
    assert "warning: trades: columns ignored (not positions fields): note" in err
    assert main(["plan", book, "--equity", "15000", *date]) == 0
    assert f"warning: {IGNORED}" in capsys.readouterr().err.splitlines()


def _edit_row_outside_the_digest(rows: list[list[Any]], column: str, value: Any) -> list[list[Any]]:
    """A copy of ``rows`` with one cell changed in a row that is neither the first, the middle nor
    the last row (the rows a cheap range digest samples)."""
    assert len(rows) >= 5
    changed = [list(r) for r in rows]
    changed[3][rows[0].index(column)] = value
    return changed


def test_margin_impact_follows_an_edit_of_any_trades_row() -> None:
    """The trades enter the result's cache key in full: an edit of a row that a digest of the range
    (its size, first, middle and last rows) does not see still changes the result."""
    trades = [TRADES[0], *([sym, "stock", -100.0, 10.0, ""] for sym in ("XYZ", "ABC", "XYZ", "ABC"))]
    edited = _edit_row_outside_the_digest(trades, "quantity", -300.0)
    before = fn.margin_impact(BOOK, trades, "pm", PARAMS)
    after = fn.margin_impact(BOOK, edited, "pm", PARAMS)
    assert after != before
    assert after == fn.margin_impact(BOOK, [list(r) for r in edited], "pm", PARAMS)  # a hit: the same


def test_hedge_optimize_follows_an_edit_of_any_candidates_row() -> None:
    """As for the trades: the candidate range is in the cache key in full, every row of it."""
    put = CANDIDATES[1]
    rows = [CANDIDATES[0], *([f"XYZ P{k}", *put[1:6], float(k), *put[7:]] for k in (90, 92, 94, 96))]
    edited = _edit_row_outside_the_digest(rows, "symbol", "XYZ P94 edited")
    items = [row[1] for row in fn.hedge_optimize(BOOK, rows, "pm", None, PARAMS)]
    assert "XYZ P94 (row 4)" in items
    items = [row[1] for row in fn.hedge_optimize(BOOK, edited, "pm", None, PARAMS)]
    assert "XYZ P94 EDITED (row 4)" in items  # symbols read in upper case


def test_a_true_trade_quantity_after_a_trade_of_1_is_refused_not_served_from_the_cache():
    """The trades range is part of the cache key (``freeze``): a TRUE where a 1 was is another key,
    so the reader sees it and refuses it (``True == 1`` in Python, with the same hash)."""
    from xlmargin.errors import InputError

    def trades(quantity: object) -> list[list[Any]]:
        return [["symbol", "type", "quantity", "price"], ["XYZ", "stock", quantity, 100.0]]

    assert fn.margin_impact(BOOK, trades(1.0), "pm", PARAMS) == 15.0  # 15% of 100
    with pytest.raises(InputError, match="row 2, trades quantity: True is not a number"):
        fn.margin_impact(BOOK, trades(True), "pm", PARAMS)


@pytest.mark.parametrize("budget", [0, 0.0, -10.0, "0"])
def test_a_budget_of_zero_is_refused_as_a_negative_one(budget: Any) -> None:
    # 0 read as a blank budget: "spend: no budget", and the plan spent
    shown = f"{float(budget):g}" if not isinstance(budget, str) else "0"
    with pytest.raises(InputError, match=f"a budget must be above 0, got {shown}"):
        fn.hedge_optimize(BOOK, CANDIDATES, "pm", budget, PARAMS)


@pytest.mark.parametrize("budget", [None, "", " "])
def test_only_an_empty_budget_is_no_budget(budget: Any) -> None:
    rows = fn.hedge_optimize(BOOK, CANDIDATES, "pm", budget, PARAMS)
    assert next(r for r in rows if r[0] == "spend")[1] == "no budget"
