"""XLM_PARAMS' ``regimes`` and ``accepts %`` columns, the same in a cell, in Python and on the
command line (``xlmargin params``). Not figures: the columns must say what the engines do, so each
is checked against the code that decides it (``regimes.unread_refusal``, ``Param.rate``)."""

from __future__ import annotations

import csv
import io
import json

import pytest

import xlmargin
from xlmargin.cli import main
from xlmargin.excel import functions as fn
from xlmargin.excel import udfs
from xlmargin.excel.registry import FUNCTIONS
from xlmargin.regimes import choices_of, unread_refusal

HEADER = ["parameter", "default", "regimes", "accepts %", "meaning"]
CHOOSING = ["MARGIN_IMPACT", "MARGIN_CONTRIBUTION", "HEDGE_OPTIMIZE", "MARGIN_CALL_MOVE", "LIQUIDATION_PLAN",
            "MAX_NOTIONAL"]  # fmt: skip


def by_name(function: str) -> dict[str, list[object]]:
    rows = udfs.XLM_PARAMS(function)
    return {str(row[0]): row for row in rows[1:]}


@pytest.mark.parametrize("function", [f.name for f in FUNCTIONS if f.params])
def test_every_table_is_rectangular_with_a_regimes_and_a_percent_column(function: str) -> None:
    rows = udfs.XLM_PARAMS(function)
    header = HEADER if function != "HEDGE_OPTIMIZE" else ["parameter", "default", "objectives", *HEADER[3:]]
    assert rows[0] == header
    assert {len(row) for row in rows} == {5}
    assert all(cell is not None and cell != "" for row in rows[1:] for cell in (row[2], row[3], row[4]))
    engine = next(f for f in FUNCTIONS if f.name == function).params
    specs = {spec.name: spec for spec in (*fn.param_specs(str(engine)), fn.SLEEVE)}
    for name, row in by_name(function).items():
        assert row[3] == ("yes" if specs[name].rate else "no"), name  # Param.rate: '%' accepted


@pytest.mark.parametrize("function", CHOOSING)
def test_a_choosing_functions_regimes_are_those_it_does_not_refuse_the_parameter_under(function: str) -> None:
    # the column and the refusal (a parameter the chosen regime does not read is an error) agree
    for name, row in by_name(function).items():
        listed = str(row[2])
        for regime in choices_of(function):
            read = unread_refusal((function,), (regime,))(name) is None
            shown = listed == "all" or regime in listed.split(", ")
            assert shown == read, (function, name, regime, listed)


def test_engine_tables_name_the_regimes_reading_each_parameter() -> None:
    regt = by_name("REGT_MARGIN")
    assert regt["rate"][2] == "pm, futures, account, risk"  # accepted by Reg T, read by no Reg T figure
    assert regt["equity"][2] == "regt, pm, account"  # the minimum-equity check of the breakdown
    assert regt["as_of"][2] == regt["sleeve"][2] == "all"
    assert by_name("RISK_MARGIN")["k"][2] == "risk"
    assert by_name("ESMA_MARGIN")["leverage.major_fx"][2] == "esma, account"
    assert by_name("PM_REQUIREMENT")["offset.us_broad"][2:4] == ["pm, account", "yes"]
    assert by_name("MAX_NOTIONAL")["rate"][2] == "pm, futures, account"  # neither regt nor esma
    assert by_name("HEDGE_OPTIMIZE")["cushion"][2] == "none"  # refused under every objective


def test_python_and_the_command_line_give_the_cells_table(capsys: pytest.CaptureFixture[str]) -> None:
    cell = udfs.XLM_PARAMS("LIQUIDATION_PLAN")
    frame = xlmargin.xlm_params("LIQUIDATION_PLAN")  # a blank default is None there, "–" in the cell
    assert frame.drop(columns="default").values.tolist() == [[r[0], *r[2:]] for r in cell[1:]]
    assert main(["params", "liquidation_plan", "--format", "csv"]) == 0
    shown = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert shown == [[str(c) for c in row] for row in cell]
    # a regime of margin: its worksheet functions' table, what --param takes
    assert main(["params", "risk", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [row["parameter"] for row in document] == [row[0] for row in udfs.XLM_PARAMS("RISK_MARGIN")[1:]]
    assert document[1] == dict(zip(HEADER, udfs.XLM_PARAMS("RISK_MARGIN")[2], strict=True))
    assert main(["params", "risk"]) == 0
    text = capsys.readouterr().out
    assert "accepts %" in text.splitlines()[0] and "horizon_days" in text
    assert main(["params", "XLM_VERSION"]) == 2
    assert "nor a worksheet function taking a params range" in capsys.readouterr().err


def test_params_takes_the_decisions_maintenance_regime_and_names_what_it_takes(capsys) -> None:
    """`regt_maintenance` (a regime of plan, hedge and MAX_NOTIONAL) lists Reg T's parameters; a name
    that is neither a regime nor a function says both lists (it said "takes no parameter range")."""
    assert main(["params", "regt_maintenance", "--format", "csv"]) == 0
    maintenance = capsys.readouterr().out
    assert main(["params", "regt", "--format", "csv"]) == 0
    assert maintenance == capsys.readouterr().out
    assert main(["params", "nonsense"]) == 2
    said = capsys.readouterr().err
    assert "'nonsense' is neither a regime (regt, pm, futures, esma, account, risk, regt_maintenance)" in said
    assert "nor a worksheet function taking a params range (REGT_MARGIN, " in said
