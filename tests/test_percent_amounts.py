"""One rule for '%' wherever a number is read: a rate may be typed with '%' ('15%' is 0.15), an
amount may not. The positions table already refused '15%' in its amount columns; every other reader
of numbers (the params range and ``--param``, the Python keywords, the worksheet functions' equity,
requirement and budget, the candidates' min_qty/max_qty/cost, the batch's equity column, broker
exports, the covariance range, a bond's years to maturity) read it as 0.15, an equity of 15 cents.
Which numbers are rates is data: :attr:`xlmargin.params.Param.rate` and the positions columns'
``rate``. (Regression tests of input reading; no published figure is involved.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import xlmargin
from tests.test_excel_functions import PARAMS, classic_book
from xlmargin.batch import batch
from xlmargin.brokers import read_broker
from xlmargin.cells import percent_refused, to_number
from xlmargin.cli import main
from xlmargin.decisions import read_candidates
from xlmargin.errors import InputError
from xlmargin.excel import functions as fn
from xlmargin.excel import udfs
from xlmargin.params import Param, read_params, with_defaults

AS_OF = dt.date(2026, 11, 20)
COLUMNS = "rate columns take one: volatility, dividend_yield, coupon, yield, special_maintenance"
PM_RATES = (
    "rate parameters take one: rate, house.vol_up, house.vol_down, house.extreme_cover, "
    "house.concentration_move, house.concentration_other_move, ..."
)


def refusal(value: str, amount: str, rates: str) -> str:
    return f"'{value}' is a percentage, but {amount} is an amount: type the number without '%' (only {rates})"


def problems(call: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        call()
    return [str(p) for p in info.value.problems]


# --- the rule --------------------------------------------------------------------------------------


def test_one_rule_a_rate_takes_percent_an_amount_refuses_it() -> None:
    assert to_number("15%") == (0.15, None)
    assert to_number(" $1,500 ", "equity") == (1500.0, None)
    number, why = to_number("15 %", "equity", "rates take one")
    assert number != number and why == refusal("15 %", "equity", "rates take one")
    # the positions reader's wording is this one
    assert percent_refused("15%", "price", COLUMNS) == refusal("15%", "price", COLUMNS)
    assert problems(lambda: xlmargin.read_positions([["symbol", "quantity", "price"], ["X", 1, "15%"]])) == [
        f"row 2, price: {refusal('15%', 'price', COLUMNS)}"
    ]


def test_which_parameters_are_rates_is_data_on_their_specs() -> None:
    """Every number parameter is a rate (a fraction: haircut, move, cushion, credit) or not (an
    equity, a price scan in dollars, days, a multiple, a count, an exchange rate, a leverage)."""
    rates, amounts = set(), set()
    for engine in ("regt", "pm", "span", "account", "stress", "esma", "capacity", "decisions"):
        for spec in fn.param_specs(engine):
            if spec.kind == "number":
                group = spec.name.split(".")[0] + ".*" if "." in spec.name else spec.name
                (rates if spec.rate else amounts).add(group)
    assert rates == {
        "rate", "cushion", "house.*", "offset.*", "extreme_cover", "vol_scan.*", "inter.*",
        "conversion.*", "fixed_income.*", "nfa.*",  # unconfirmed [L] rates (xlmargin.unconfirmed)
        "margin_rate.*",  # ESMA's percentages (Decision (EU) 2018/796 Annex I: 3.33% ...)
    }  # fmt: skip
    assert amounts == {
        "equity", "k", "horizon_days", "pca_components", "time_limit", "house.*", "initial_multiple",
        "extreme_multiple", "lookahead_days", "scan.*", "intra.*", "short_option_minimum.*", "delivery.*",
        "fx.*", "leverage.*", "house_bonds.*",  # house_bonds.ibkr.treasury.six_month_years: years
    }  # fmt: skip


# --- parameters: the range (cell), the keywords (Python), --param (CLI) -----------------------------


def test_an_amount_parameter_typed_with_percent_is_refused_naming_it() -> None:
    book = classic_book()
    assert udfs.PM_BREAKDOWN(book, [*PARAMS, ["equity", "15%"]]) == (
        f"#INPUT row 3 of the range, params: equity: {refusal('15%', 'equity', PM_RATES)}"
    )
    assert udfs.STRESS_TABLE(book, [*PARAMS, ["k", "300%"]]) == (
        f"#INPUT row 3 of the range, params: k: {refusal('300%', 'k', 'rate parameters take one: rate')}"
    )
    with pytest.raises(InputError, match=r"equity: '15%' is a percentage, but equity is an amount"):
        xlmargin.pm_requirement(book, as_of=AS_OF, equity="15%")
    specs = (Param("notional", "number", None, "an amount"), Param("haircut", "number", 0.0, "", rate=True))
    assert problems(lambda: with_defaults({"notional": "2%"}, specs)) == [
        f"params: notional: {refusal('2%', 'notional', 'rate parameters take one: haircut')}"
    ]
    assert read_params([["haircut", "2%"]], specs)["haircut"] == 0.02


def test_a_rate_parameter_keeps_its_percent() -> None:
    book = classic_book()
    as_of = ["as_of", dt.datetime(2026, 11, 20)]
    assert udfs.PM_REQUIREMENT(book, [as_of, ["rate", "4%"]]) == udfs.PM_REQUIREMENT(
        book, [as_of, ["rate", 0.04]]
    )
    assert xlmargin.pm_requirement(book, as_of=AS_OF, **{"house.vol_up": "15%"}) == xlmargin.pm_requirement(
        book, as_of=AS_OF, **{"house.vol_up": 0.15}
    )
    cushion = udfs.MAX_NOTIONAL(book, 1e6, "pm", [*PARAMS, ["cushion", "10%"]])
    assert cushion == udfs.MAX_NOTIONAL(book, 1e6, "pm", [*PARAMS, ["cushion", 0.1]])


def test_the_command_line_refuses_an_amount_parameter_typed_with_percent(capsys: Any) -> None:
    sample = str(Path(xlmargin.__file__).parent / "data" / "sample_positions.csv")
    code = main(["margin", sample, "--regime", "pm", "--as-of", "2026-11-20", "--param", "equity=15%"])
    assert code == 2
    assert f"--param equity=15%: equity: {refusal('15%', 'equity', PM_RATES)}" in capsys.readouterr().err
    assert main(["margin", sample, "--regime", "pm", "--as-of", "2026-11-20", "--param", "rate=4%"]) == 0


# --- the worksheet functions' amounts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: udfs.MARGIN_CUSHION("15%", 1000), "equity"),
        (lambda: udfs.MARGIN_CUSHION(1000, "15%"), "requirement"),
        (lambda: udfs.MAX_NOTIONAL(classic_book(), "15%", "pm", PARAMS), "equity"),
        (lambda: udfs.MARGIN_CALL_MOVE(classic_book(), "15%", "pm", PARAMS), "equity"),
        (lambda: udfs.HEDGE_OPTIMIZE(classic_book(), CANDIDATES, "pm", "15%", PARAMS), "budget"),
    ],
)
def test_a_worksheet_amount_typed_with_percent_is_refused_naming_it(call: Any, name: str) -> None:
    # MARGIN_CUSHION('15%', 1000) gave an excess of -999.85
    assert call() == f"#INPUT {name}: {refusal('15%', name, 'rate parameters take one')}"
    if name != "budget":  # the Python twin reads its arguments as the cell does
        with pytest.raises(InputError, match=f"{name}: '15%' is a percentage"):
            xlmargin.margin_cushion(*(("15%", 1000) if name == "equity" else (1000, "15%")))


CANDIDATES = [
    ["symbol", "type", "quantity", "price", "min_qty", "max_qty", "cost"],
    ["SPY", "etf", -100, 598.3],
]


@pytest.mark.parametrize("column", ["min_qty", "max_qty", "cost"])
def test_a_candidate_amount_typed_with_percent_is_refused_naming_row_and_column(column: str) -> None:
    table = [list(r) for r in CANDIDATES]
    table[1] += [None, None, None]
    table[1][table[0].index(column)] = "5%"
    expected = f"row 2, candidates {column}: {refusal('5%', column, COLUMNS)}"
    assert problems(lambda: read_candidates(table, AS_OF)) == [expected]
    in_range = expected.replace("row 2,", "row 2 of the range,")
    assert udfs.HEDGE_OPTIMIZE(classic_book(), table, "pm", None, PARAMS) == f"#INPUT {in_range}"


# --- tables other than the positions table ---------------------------------------------------------


def test_a_batch_equity_typed_with_percent_is_the_accounts_error_row(tmp_path: Path, capsys: Any) -> None:
    table = [
        ["account", "symbol", "type", "quantity", "price", "Net Liq"],
        ["A1", "AAPL", "stock", 100, 250, "15%"],
        ["A2", "MSFT", "stock", 100, 400, 100_000],
    ]
    results = batch(table, regime="regt", equity="Net Liq", as_of=AS_OF)
    why = f"row 2, Net Liq: {refusal('15%', 'Net Liq', 'rate columns and parameters take one')}"
    assert results["error"].tolist()[0] == f"#INPUT {why}"
    assert results["equity"].tolist()[1] == 100_000
    path = tmp_path / "batch.csv"
    path.write_text("\n".join(",".join(map(str, row)) for row in table) + "\n", encoding="utf-8")
    assert (
        main(["batch", str(path), "--regime", "regt", "--equity-column", "Net Liq", "--as-of", "2026-11-20"])
        == 1
    )
    assert why in capsys.readouterr().out


PORTFOLIO = "Financial Instrument,Asset Class,Position,Mark Price,Currency,Multiplier,FX Rate To Base\n"


def test_a_broker_exports_amount_typed_with_percent_is_refused_naming_its_line_and_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "portfolio.csv"
    path.write_text(PORTFOLIO + "AAPL,STK,100,15%,USD,1,1\nVOD,STK,1000,0.72,GBP,1,115%\n", encoding="utf-8")
    assert problems(lambda: read_broker(path, as_of=AS_OF)) == [
        f"row 2, Mark Price: {refusal('15%', 'price', COLUMNS)}",
        f"row 3, FX Rate To Base: {refusal('115%', 'fx rate', COLUMNS)}",
    ]


def test_a_covariance_and_a_maturity_typed_with_percent_are_refused() -> None:
    book = classic_book()
    covariance = [["", "us_equity"], ["us_equity", "4%"]]
    [message] = problems(lambda: xlmargin.stress_table(book, covariance=covariance, as_of=AS_OF))
    assert message.startswith("row 2, covariance: column us_equity: '4%' is a percentage, but a covariance")
    bond = [["symbol", "type", "quantity", "price", "class", "coupon", "maturity"]]
    assert problems(
        lambda: xlmargin.read_positions([*bond, ["T", "bond", 1000, 99, "treasury", 4, "5%"]])
    ) == [f"row 2, maturity: {refusal('5%', 'maturity', COLUMNS)}"]
    assert fn.number("$1,500", "equity") == 1500.0
