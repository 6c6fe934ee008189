"""A parameter the chosen regime does not read is refused alike in a cell, in Python and on the
command line (:func:`xlmargin.regimes.unread_refusal`): MARGIN_IMPACT(..., "pm", basis=maintenance)
showed portfolio margin as if the basis had been taken, where ``xlmargin whatif --regime pm
--param basis=maintenance`` refused it. A function computing several regimes (MARGIN_IMPACT with a
blank regime, HEDGE_OPTIMIZE's before/after rows) takes a parameter any of them reads."""

from __future__ import annotations

from pathlib import Path

import pytest

import xlmargin
from tests.books import csv_file as csv
from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.excel import udfs

AS_OF = "2026-11-20"
HEAD = ["symbol", "type", "quantity", "price"]
BOOK = [HEAD, ["XYZ", "stock", 1000.0, 100.0], ["ABC", "stock", 500.0, 40.0]]
TRADES = [HEAD, ["XYZ", "stock", -400.0, 100.0]]
CANDIDATES = [
    [*HEAD, "underlying", "underlying_price", "strike", "days", "right", "volatility", "max_qty"],
    ["XYZ P95", "option", 10.0, 1.5, "XYZ", 100.0, 95.0, 30.0, "put", 0.3, None],
]


# (worksheet function, its arguments between the positions and the params, the parameter, the
# refusal, and the command line that runs the same function alone: None where none does)
CASES = [
    ("MARGIN_IMPACT", (TRADES, "pm"), ("basis", "maintenance"),
     "basis is not read by MARGIN_IMPACT under regime pm: regime futures or account reads it",
     ["whatif", "BOOK", "TRADES", "--regime", "pm"]),
    ("MARGIN_IMPACT", (TRADES, "risk"), ("house.bonds", "treasury"),
     "house.bonds is not read by MARGIN_IMPACT under regime risk: regime regt, regt_maintenance, pm or "
     "account reads it",
     ["whatif", "BOOK", "TRADES", "--regime", "risk"]),
    ("MARGIN_CONTRIBUTION", ("pm",), ("basis", "maintenance"),
     "basis is not read by MARGIN_CONTRIBUTION under regime pm: regime regt or account reads it",
     ["contribution", "BOOK", "--regime", "pm"]),
    ("MARGIN_CONTRIBUTION", ("risk",), ("securities", "pm"),
     "securities is not read by MARGIN_CONTRIBUTION under regime risk: regime account reads it",
     ["contribution", "BOOK", "--regime", "risk"]),
    ("HEDGE_OPTIMIZE", (CANDIDATES, "pm", None), ("cushion", 0.1),
     "cushion is not read by HEDGE_OPTIMIZE under objective pm: LIQUIDATION_PLAN and MAX_NOTIONAL read it",
     ["hedge", "BOOK", "CANDIDATES"]),
    ("MARGIN_CALL_MOVE", (1e6, "account"), ("plan_by", "trades"),
     "plan_by is not read by MARGIN_CALL_MOVE under regime account: LIQUIDATION_PLAN reads it",
     ["plan", "BOOK", "--equity", "1000000", "--regime", "account"]),
    ("LIQUIDATION_PLAN", (1e6, "risk"), ("basis", "maintenance"),
     "basis is not read by LIQUIDATION_PLAN under regime risk: regime regt reads it", None),
    ("MAX_NOTIONAL", (1e6, "pm"), ("basis", "maintenance"),
     "basis is not read by MAX_NOTIONAL under regime pm: regime futures or account reads it",
     None),
    ("MAX_NOTIONAL", (1e6, "regt"), ("leverage.gold", 10.0),
     "leverage.gold is not read by MAX_NOTIONAL under regime regt: regime esma or account reads it", None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "param", "refusal", "argv"), CASES)
def test_a_parameter_the_regime_does_not_read_is_refused_alike_on_every_surface(
    tmp_path: Path, capsys, name: str, args: tuple, param: tuple, refusal: str, argv: list[str] | None
) -> None:
    key, value = param
    cell = getattr(udfs, name)(BOOK, *args, [["as_of", AS_OF], [key, value]])
    assert cell == f"#INPUT row 2 of the range, params: {refusal}"
    with pytest.raises(InputError) as python:
        getattr(xlmargin, name.lower())(BOOK, *args, as_of=AS_OF, **{key.replace(".", "_"): value})
    assert [p.message for p in python.value.problems] == [refusal]
    if argv is None:
        return
    files = {
        "BOOK": csv(tmp_path, "book.csv", BOOK),
        "TRADES": csv(tmp_path, "trades.csv", TRADES),
        "CANDIDATES": csv(tmp_path, "candidates.csv", CANDIDATES),
    }
    given = f"{key}={value}"
    code = main([*(files.get(a, a) for a in argv), "--as-of", AS_OF, "--param", given])
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == (2, "", f"xlmargin: --param {given}: {refusal}\n")


def test_the_plan_command_names_both_functions_it_runs(tmp_path: Path, capsys) -> None:
    """``plan`` under pm or risk runs LIQUIDATION_PLAN and MARGIN_CALL_MOVE: a parameter neither
    reads is refused naming both (the risk view, which the distance to a call scales, reads ``k``)."""
    book = csv(tmp_path, "book.csv", BOOK)
    code = main(
        ["plan", book, "--equity", "1e6", "--regime", "risk", "--as-of", AS_OF, "--param", "basis=initial"]
    )
    err = capsys.readouterr().err
    assert (code, err) == (
        2,
        "xlmargin: --param basis=initial: basis is not read by LIQUIDATION_PLAN and MARGIN_CALL_MOVE under "
        "regime risk: regime regt, futures or account reads it\n",
    )


def test_a_parameter_one_of_the_regimes_computed_reads_is_taken() -> None:
    """MARGIN_IMPACT with a blank regime computes every regime (futures and the account view read
    ``basis``); HEDGE_OPTIMIZE shows the account view beside any objective (it reads
    ``securities``); MARGIN_CONTRIBUTION's regt is on the ``basis`` parameter, as its help says."""
    params = [["as_of", AS_OF], ["basis", "maintenance"]]
    table = udfs.MARGIN_IMPACT(BOOK, TRADES, None, params)
    assert isinstance(table, list), table
    hedge = udfs.HEDGE_OPTIMIZE(BOOK, CANDIDATES, "pm", None, [["as_of", AS_OF], ["securities", "regt"]])
    assert isinstance(hedge, list), hedge
    on_basis = udfs.MARGIN_CONTRIBUTION(BOOK, "regt", params)
    maintenance = udfs.MARGIN_CONTRIBUTION(BOOK, "regt_maintenance", [["as_of", AS_OF]])
    # Reg T maintenance of long stock: 25% (FINRA 4210(c)) of 100,000 + 20,000 = 30,000
    assert on_basis[-1][3] == maintenance[-1][3] == 30_000.0


def test_portfolio_margin_reads_the_account_currency_of_its_equity() -> None:
    """Inside the decisions portfolio margin's ``equity`` is in the account currency, converted by
    ``fx.USD`` (:func:`xlmargin.account.pm_in_usd`): both are read under pm, not refused."""
    params = [["as_of", AS_OF], ["equity", 200_000.0], ["account_currency", "EUR"], ["fx.USD", 0.9]]
    assert isinstance(udfs.MARGIN_IMPACT(BOOK, TRADES, "pm", params), float)


def test_a_parameter_range_read_before_by_a_function_that_takes_it_is_still_refused_where_unread() -> None:
    """The worksheet layer keeps a parameter range it has read (a repeat call skips reading it); a
    range first read where every regime's parameters are taken (MARGIN_IMPACT with a blank regime)
    must not then be served, unchecked, to a call under pm, which does not read ``basis``."""
    params = [["as_of", AS_OF], ["basis", "maintenance"]]
    assert not str(udfs.MARGIN_IMPACT(BOOK, TRADES, None, params)).startswith("#")
    refused = udfs.MARGIN_IMPACT(BOOK, TRADES, "pm", params)
    assert refused == f"#INPUT row 2 of the range, params: {CASES[0][3]}"
