"""The decision commands (``xlmargin whatif``, ``hedge``, ``plan``) and the worksheet functions'
error lines: a result table on stdout, or one line on stderr / in the cell naming the cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlmargin.cli import main
from xlmargin.excel import udfs

BOOK = "symbol,type,quantity,price\nXYZ,stock,1000,100\nABC,stock,500,40\n"
TRADES = "symbol,type,quantity,price\nXYZ,stock,-400,100\n"
CANDIDATES = (
    "symbol,type,quantity,price,underlying,underlying_price,strike,days,right,volatility,max_qty\n"
    "XYZ P95,option,10,1.5,XYZ,100,95,30,put,0.3,\n"
)


TOO_LARGE = "is not a finite number of sensible size (at most 1e+15 in absolute value)"


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_whatif_hedge_and_plan_print_their_tables(tmp_path: Path, capsys) -> None:
    book = write(tmp_path, "book.csv", BOOK)
    date = ["--as-of", "2026-11-20"]
    assert main(["whatif", book, write(tmp_path, "trades.csv", TRADES), *date, "--regime", "pm"]) == 0
    out = capsys.readouterr().out
    # 1,000 → 600 XYZ at $100 and 500 ABC at $40, 15% each: 18,000 → 12,000
    assert "18,000.00" in out and "12,000.00" in out and "-6,000.00" in out
    assert main(["hedge", book, write(tmp_path, "candidates.csv", CANDIDATES), *date]) == 0
    assert "XYZ P95 (row 2)" in capsys.readouterr().out
    assert main(["plan", book, "--equity", "10000", *date]) == 0
    out = capsys.readouterr().out
    assert "notional closed" in out and "market down" in out


def test_plan_under_reg_t_gives_the_least_sale_and_the_distance(tmp_path: Path, capsys) -> None:
    book = write(tmp_path, "book.csv", BOOK)
    assert main(["plan", book, "--equity", "20000", "--regime", "regt", "--as-of", "2026-11-20"]) == 0
    captured = capsys.readouterr()
    # a call comes from maintenance (FINRA 4210(c), margin-rules.md §1.1): 25% of 1,000 XYZ at $100 and
    # 500 ABC at $40 = 30,000 > 20,000; each dollar of stock sold frees 25 cents: $40,000 sold
    assert "30,000.00" in captured.out and "Reg T maintenance requirement before" in captured.out
    assert "market down" in captured.out
    assert "notional closed" in captured.out and "40,000.00" in captured.out
    assert captured.err == ""


def test_plan_on_reg_t_initial_when_the_basis_says_so(tmp_path: Path, capsys) -> None:
    book = write(tmp_path, "book.csv", BOOK)
    argv = ["plan", book, "--equity", "20000", "--regime", "regT", "--as-of", "2026-11-20"]
    assert main([*argv, "--param", "basis=initial"]) == 0  # the regime's case as a cell reads it
    captured = capsys.readouterr()
    # Reg T initial: 50% of $120,000 = 60,000 > 20,000; each dollar sold frees 50 cents: $80,000 sold
    assert "60,000.00" in captured.out and "Reg T initial requirement before" in captured.out
    assert "80,000.00" in captured.out and "basis=initial" in captured.out


def test_plan_under_another_regime_says_why_no_sale_and_still_gives_the_distance(
    tmp_path: Path, capsys
) -> None:
    book = write(tmp_path, "book.csv", BOOK)
    assert main(["plan", book, "--equity", "20000", "--regime", "account", "--as-of", "2026-11-20"]) == 0
    captured = capsys.readouterr()
    assert "market down" in captured.out and "notional closed" not in captured.out
    assert captured.err.startswith(
        "xlmargin: no liquidation plan: the liquidation plan is made under pm, risk, regt and "
        "regt_maintenance only"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "BOOK", "--equity", "0"], "equity must be above 0"),
        (["hedge", "BOOK", "EMPTY"], "candidate list is empty"),
        (["whatif", "BOOK", "MISSING"], "trades: no such file"),
    ],
)
def test_bad_input_is_one_line_on_stderr(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    files = {
        "BOOK": write(tmp_path, "book.csv", BOOK),
        "EMPTY": write(tmp_path, "empty.csv", "symbol,type\n"),
    }
    files["MISSING"] = str(tmp_path / "missing.csv")
    assert main([files.get(a, a) for a in argv] + ["--as-of", "2026-11-20"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


POSITIONS = [["symbol", "type", "quantity", "price"], ["XYZ", "stock", 1000.0, 100.0]]
PARAMS = [["as_of", "2026-11-20"]]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("HEDGE_OPTIMIZE", (POSITIONS, [["symbol", "type", "quantity", "price"]], "pm", None, PARAMS),
         "candidate list is empty"),
        ("HEDGE_OPTIMIZE", (POSITIONS, [["symbol", "type", "quantity", "price"], ["TLT", "etf", 10.0, None]],
                            "pm", None, PARAMS), "row 2 of the range, candidates price"),
        ("HEDGE_OPTIMIZE", (POSITIONS, [["symbol", "type", "quantity", "price"], ["TLT", "etf", 10.0, 90.0]],
                            "futures", None, PARAMS), "objective must be one of"),
        ("LIQUIDATION_PLAN", (POSITIONS, -5.0, "pm", PARAMS), "equity must be above 0"),
        ("MARGIN_CALL_MOVE", (POSITIONS, 0.0, None, PARAMS), "equity must be above 0"),
        ("MARGIN_CALL_MOVE", (POSITIONS, 1e300, None, PARAMS), "equity: 1e+300 is not a finite number"),
        ("HEDGE_OPTIMIZE", (POSITIONS, [["symbol", "type", "quantity", "price"], ["TLT", "etf", 10.0, 90.0]],
                            "pm", 1e16, PARAMS), "budget: 1e+16 is not a finite number of sensible size"),
        ("MARGIN_IMPACT", (POSITIONS, [POSITIONS[0]], None, PARAMS), "trades table has a header but no rows"),
        ("MARGIN_CONTRIBUTION", (POSITIONS, "futures", PARAMS), "regime must be one of"),
        ("MARGIN_IMPACT", (POSITIONS, "trades.csv", None, PARAMS), "trades must be a range"),
        ("HEDGE_OPTIMIZE", (POSITIONS, "candidates.csv", None, None, PARAMS), "candidates must be a range"),
    ],
)  # fmt: skip
def test_worksheet_functions_show_one_error_line(name: str, args: tuple, message: str) -> None:
    result = getattr(udfs, name)(*args)
    assert isinstance(result, str) and result.startswith("#") and message in result, result
    assert "\n" not in result


# --- hostile input: the trades table's rows are named as the trades' ----------------------------

TRADES_HEADER = ["symbol", "type", "quantity", "price"]


@pytest.mark.parametrize(
    ("trades", "message"),
    [
        (
            [TRADES_HEADER, ["XYZ", "stock", "abc", 100.0]],
            "row 2 of the range, trades quantity: 'abc' is not a number",
        ),
        (
            [TRADES_HEADER, ["XYZ", "stock", None, 100.0]],
            "row 2 of the range, trades quantity: missing quantity",
        ),
        ([TRADES_HEADER, ["XYZ", "stock", 10.0, "n/a"]], "row 2 of the range, trades price"),
        ([TRADES_HEADER, ["", "stock", 10.0, 100.0]], "row 2 of the range, trades symbol: missing symbol"),
    ],
)
def test_a_bad_trade_is_one_line_naming_the_trades_row(trades: list, message: str) -> None:
    result = udfs.MARGIN_IMPACT(POSITIONS, trades, None, PARAMS)
    assert isinstance(result, str) and result.startswith("#") and message in result, result


def test_an_engine_refusing_a_trade_names_the_trades_row(tmp_path: Path, capsys) -> None:
    """Portfolio margin refuses a futures trade: the note (all regimes) and the error (one regime)
    name row 2 of the trades, not row 2 of the positions (a stock the engine takes)."""
    future = [TRADES_HEADER, ["ESZ6", "future", 1.0, 6000.0]]
    table = udfs.MARGIN_IMPACT(POSITIONS, future, None, PARAMS)
    notes = {r[0]: r[5] for r in table[1:]}
    assert notes["portfolio margin"].startswith("row 2, trades type: a future position")
    single = udfs.MARGIN_IMPACT(POSITIONS, future, "pm", PARAMS)
    assert single.startswith("#") and "row 2 of the range, trades type" in single
    book = write(tmp_path, "book.csv", BOOK)
    trades = write(tmp_path, "trades.csv", "symbol,type,quantity,price\nXYZ,stock,abc,100\n")
    assert main(["whatif", book, trades, "--as-of", "2026-11-20"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "row 2, trades quantity: 'abc' is not a number" in err[0]


@pytest.mark.parametrize(
    ("equity", "refused"),
    [
        # read by the cells' number rule before any file is (tests/test_cli_amounts.py); argparse's
        # float passed these on and the engine refused them ("equity must be ...")
        *(
            (text, f"argument --equity: {text} {TOO_LARGE}")
            for text in ("inf", "-inf", "nan", "1e400", "1e300")
        ),
        # a number the engine refuses, named by its option as argparse names the others
        ("0", "xlmargin: argument --equity: equity must be above 0, got 0"),
        ("-5", "xlmargin: argument --equity: equity must be above 0, got -5"),
    ],
)
def test_an_equity_that_is_not_a_finite_positive_number_is_one_line(
    tmp_path: Path, capsys, equity: str, refused: str
) -> None:
    book = write(tmp_path, "book.csv", BOOK)
    assert main(["plan", book, f"--equity={equity}", "--as-of", "2026-11-20"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(refused) and "Traceback" not in "".join(err)


def test_an_infinite_or_empty_budget_is_refused(tmp_path: Path, capsys) -> None:
    book = write(tmp_path, "book.csv", BOOK)
    candidates = write(tmp_path, "candidates.csv", CANDIDATES)
    for budget, refused in (
        ("inf", f"argument --budget: inf {TOO_LARGE}"),  # read as the cell reads it
        ("0", "xlmargin: argument --budget: a budget must be above 0, got 0"),  # the engine's check
    ):
        assert main(["hedge", book, candidates, f"--budget={budget}", "--as-of", "2026-11-20"]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1].endswith(refused)


@pytest.mark.parametrize("command", ["whatif", "plan", "hedge"])
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("latin1.csv", b"symbol,quantity,price\nCAF\xe9,100,228.5\n", "latin1.csv is not UTF-8 text"),
        ("fake.xlsx", b"hello", "fake.xlsx: not an Excel workbook (.xlsx/.xlsm is a zip archive)"),
    ],
)
def test_a_file_margin_refuses_is_refused_the_same_way(
    tmp_path: Path, capsys, command: str, name: str, data: bytes, message: str
) -> None:
    """A non-UTF-8 CSV was a UnicodeDecodeError and a text file named .xlsx a BadZipFile traceback
    here; the decision commands now read their files as ``xlmargin margin`` does."""
    bad = tmp_path / name
    bad.write_bytes(data)
    book = write(tmp_path, "book.csv", BOOK)
    argv = {
        "whatif": ["whatif", str(bad), book],
        "plan": ["plan", str(bad), "--equity", "10000"],
        "hedge": ["hedge", book, str(bad)],
    }[command]
    assert main([*argv, "--as-of", "2026-11-20"]) == 2
    err = capsys.readouterr().err
    whose = "candidates: " if command == "hedge" else ""  # named as the trades' are
    assert err.startswith(f"xlmargin: {whose}{message}") and len(err.splitlines()) == 1


def test_an_amount_beyond_what_a_cell_may_hold_is_refused(tmp_path: Path, capsys) -> None:
    """--equity 1e300 was a decimal.InvalidOperation traceback (rounding to the cent) and --budget
    had no bound: both stop at 1e15, the largest number a positions cell may hold, refused as the
    cell refuses it (the engine's own bound, "equity must be at most 1e+15", is there for Python)."""
    book = write(tmp_path, "book.csv", BOOK)
    candidates = write(tmp_path, "candidates.csv", CANDIDATES)
    for argv, message in (
        (["plan", book, "--equity", "1e300"], f"argument --equity: 1e300 {TOO_LARGE}"),
        (["hedge", book, candidates, "--budget", "2e15"], f"argument --budget: 2e15 {TOO_LARGE}"),
    ):
        assert main([*argv, "--as-of", "2026-11-20"]) == 2
        assert capsys.readouterr().err.splitlines()[-1].endswith(message)
    assert main(["plan", book, "--equity", "1e15", "--as-of", "2026-11-20"]) == 0


@pytest.mark.parametrize(
    ("argv", "refused"),
    [
        (["whatif", "BOOK", "TRADES", "--regime", "pm", "--param", "basis=maintenance"],
         "basis is not read by MARGIN_IMPACT under regime pm: regime futures or account reads it"),
        (["whatif", "BOOK", "TRADES", "--param", "cushion=0.1"],
         "cushion is not read by MARGIN_IMPACT under regimes regt, regt_maintenance, pm, futures, account, "
         "risk: LIQUIDATION_PLAN and MAX_NOTIONAL read it"),
        (["hedge", "BOOK", "CANDIDATES", "--param", "plan_by=trades"],
         "plan_by is not read by HEDGE_OPTIMIZE under objective pm: LIQUIDATION_PLAN reads it"),
        (["plan", "BOOK", "--equity", "10000", "--regime", "account", "--param", "cushion=0.1"],
         "cushion is not read by MARGIN_CALL_MOVE under regime account: LIQUIDATION_PLAN and MAX_NOTIONAL "
         "read it"),
        (["plan", "BOOK", "--equity", "10000", "--regime", "regt", "--param", "cushion=0.1"], None),
        (["plan", "BOOK", "--equity", "10000", "--param", "securities=pm"],
         "securities is not read by LIQUIDATION_PLAN and MARGIN_CALL_MOVE under regime pm: regime account "
         "reads it"),
        (["contribution", "BOOK", "--regime", "risk", "--param", "house.bonds=treasury"],
         "house.bonds is not read by MARGIN_CONTRIBUTION under regime risk: regime regt, regt_maintenance, "
         "pm or account reads it"),
        (["contribution", "BOOK", "--regime", "pm", "--param", "time_limit=5"],
         "time_limit is not read by MARGIN_CONTRIBUTION under regime pm: regime regt, regt_maintenance or "
         "account reads it"),
        # a parameter one of the regimes computed reads is taken
        (["whatif", "BOOK", "TRADES", "--param", "basis=maintenance"], None),
        # MARGIN_CONTRIBUTION's regt is on the basis param, and its Reg T pairing searches within
        # time_limit: both were refused as unused
        (["contribution", "BOOK", "--regime", "regt", "--param", "basis=maintenance"], None),
        (["contribution", "BOOK", "--regime", "regt", "--param", "time_limit=5"], None),
        (["whatif", "BOOK", "TRADES", "--regime", "account", "--param", "basis=maintenance"], None),
        (["hedge", "BOOK", "CANDIDATES", "--param", "time_limit=5", "--param", "securities=pm"], None),
        (["plan", "BOOK", "--equity", "10000", "--param", "cushion=0.1", "--param", "plan_by=trades"], None),
        (["plan", "BOOK", "--equity", "10000", "--regime", "regt", "--param", "k=2"], None),
    ],
)  # fmt: skip
def test_a_param_no_regime_of_the_command_uses_is_refused(
    tmp_path: Path, capsys, argv: list[str], refused: str | None
) -> None:
    """`whatif --regime pm --param basis=maintenance` printed portfolio margin as if the basis had
    not been given; a parameter is taken when any regime the command computes reads it (the risk
    view's worst scenario always, for the distance to a call)."""
    files = {
        "BOOK": write(tmp_path, "book.csv", BOOK),
        "TRADES": write(tmp_path, "trades.csv", TRADES),
        "CANDIDATES": write(tmp_path, "candidates.csv", CANDIDATES),
    }
    code = main([files.get(a, a) for a in argv] + ["--as-of", "2026-11-20"])
    captured = capsys.readouterr()
    if refused is None:
        assert code == 0, captured.err
    else:
        name = argv[-1]
        assert (code, captured.out, captured.err) == (2, "", f"xlmargin: --param {name}: {refused}\n")


def test_the_candidates_warnings_print_even_when_no_plan_fits(tmp_path: Path, capsys) -> None:
    """The candidates reader's warnings go to stderr before the search, so a search that fails
    still shows them (why cmd_hedge prints them from the candidates, not from the result)."""
    book = write(tmp_path, "book.csv", BOOK)
    noted = CANDIDATES.replace(",max_qty\n", ",max_qty,min_qty,note\n").replace("0.3,\n", "0.3,20,10,mine\n")
    candidates = write(tmp_path, "candidates.csv", noted)
    assert main(["hedge", book, candidates, "--budget", "1", "--as-of", "2026-11-20"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "warning: candidates: columns ignored (not positions fields): note"
    assert err[-1].startswith("xlmargin: ") and "no plan fits the budget of 1.00" in err[-1]


YEN_BOOK = (
    "symbol,type,quantity,price,currency,fx_rate\n7203,stock,300,2800,JPY,\nAAPL,stock,100,228.5,USD,\n"
)
YEN = ["--param", "fx.JPY=0.0067", "--as-of", "2026-01-05"]
WHY = "row 2, fx_rate: a position in JPY needs the USD value of one JPY in the fx_rate column"


def test_whatif_and_hedge_show_each_regime_or_why_not_when_only_the_account_view_has_a_rate(
    tmp_path: Path, capsys
) -> None:
    # the account view fills the yen's rate from fx.JPY; Reg T, PM and the risk view need it in the
    # table: they failed the whole command, where each regime that cannot give its figure says why
    book = write(tmp_path, "book.csv", YEN_BOOK)
    trades = write(tmp_path, "trades.csv", "symbol,type,quantity,price\nAAPL,stock,50,228.5\n")
    # exit 1: the table is printed, but some regimes could not read the book (a script can tell)
    assert main(["whatif", book, trades, *YEN]) == 1
    out, err = capsys.readouterr()
    assert err == (
        "xlmargin: n/a where the input could not be read: Reg T initial, Reg T maintenance, portfolio "
        "margin, risk view: worst stress loss, risk view: worst correlation-break loss (the note column "
        "says why)\n"
    )
    table = {line.split("  ")[0]: line for line in out.splitlines()}
    # 300 × 2,800 × 0.0067 = 5,628 and 100 × 228.5 = 22,850, 50% each; the trade adds 11,425 × 50%
    assert "14,239.00" in table["account view"] and "19,951.50" in table["account view"]
    for regime in ("Reg T initial", "portfolio margin", "risk view: worst stress loss"):
        assert table[regime].split()[-len(WHY.split()) - 4 :] == ["n/a", "n/a", "n/a", "USD", *WHY.split()]
    candidates = write(
        tmp_path, "candidates.csv", "symbol,type,quantity,price,min_qty\nAAPL,stock,-100,228.5,-100\n"
    )
    assert main(["hedge", book, candidates, "--objective", "account", "--param", "securities=pm", *YEN]) == 1
    assert f"portfolio margin (n/a: {WHY})" in capsys.readouterr().out
    # a regime whose rule does not apply (portfolio margin of a future) is not a failure: exit 0
    futures = write(tmp_path, "futures.csv", "symbol,type,quantity,price\nESZ6,future,1,6000\n")
    assert main(["whatif", futures, futures, "--as-of", "2026-01-05"]) == 0
    assert "portfolio margin" in capsys.readouterr().out
    # the regime alone, or a book no regime can read, is still the error it was
    assert main(["whatif", book, trades, "--as-of", "2026-01-05", "--regime", "pm"]) == 2
    assert capsys.readouterr().err == f"xlmargin: {WHY}\n"
    assert main(["whatif", book, trades, "--as-of", "2026-01-05"]) == 2
    assert WHY in capsys.readouterr().err


ACCOUNT_BOOK = "symbol,type,quantity,price\nXYZ,stock,1000,100\nESZ6,future,1,6000\nEURUSD,fx,10000,1.1\n"


def test_the_pm_objective_on_a_book_portfolio_margin_does_not_cover_says_what_to_run(
    tmp_path: Path, capsys
) -> None:
    """A book holding a future has no portfolio margin (the engine refuses it), so the pm objective
    has nothing to minimise and no engine figure to check its answer by: still refused, but the
    message (it said "use FUTURES_MARGIN") names the other rows and what answers the question: the
    account objective with securities=pm, which picks the trades portfolio margin on the securities
    alone picks, and shows the account view before and after. The worksheet function says the same."""
    book, candidates = write(tmp_path, "book.csv", ACCOUNT_BOOK), write(tmp_path, "c.csv", CANDIDATES)
    date = ["--as-of", "2026-11-20"]
    assert main(["hedge", book, candidates, *date]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "xlmargin: row 3, type: a future position is not covered by portfolio margin (nor are the book's "
        "row 4), so the book has no portfolio margin for the pm objective to minimise;"
    )
    assert "use the account objective with securities=pm" in err and len(err.splitlines()) == 1
    cell = udfs.HEDGE_OPTIMIZE(
        [r.split(",") for r in ACCOUNT_BOOK.split()],
        [r.split(",") for r in CANDIDATES.split("\n") if r],
        params=[["as_of", "2026-11-20"]],
    )
    unsupported = "#UNSUP row 3 of the range, type: a future position is not covered"
    assert isinstance(cell, str) and cell.startswith(unsupported)
    assert "use the account objective with securities=pm" in cell
    # what the message advises answers it: the trades of pm on the securities alone
    assert main(["hedge", book, candidates, "--objective", "account", "--param", "securities=pm", *date]) == 0
    advised = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("trade ")]
    securities = write(tmp_path, "securities.csv", "\n".join(ACCOUNT_BOOK.split("\n")[:2]) + "\n")
    assert main(["hedge", securities, candidates, *date]) == 0
    assert [
        line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("trade ")
    ] == advised
    assert advised == [["trade", "XYZ", "P95", "(row", "2)", "10.00", "1,500.00", "USD"]]
