"""A worksheet function sees only what the cell hands it (issue 10, item 1).

A text in the positions argument used to be read as a file path, so ``=REGT_MARGIN("secret.csv")``
leaked another file's cells into the workbook. Every positions function must refuse text.
"""

import pytest

from xlmargin.excel import registry, udfs

POSITIONS_FUNCTIONS = sorted(f.name for f in registry.FUNCTIONS if f.args and f.args[0].name == "positions")
TRADES = [["symbol", "quantity", "price"], ["SPY", 10.0, 500.0]]
SECOND = {
    "STRESS_PNL": "E10",
    "MAX_NOTIONAL": 1_000_000.0,
    "MARGIN_CALL_MOVE": 1_000_000.0,
    "LIQUIDATION_PLAN": 1_000_000.0,
    "MARGIN_IMPACT": TRADES,
    "HEDGE_OPTIMIZE": TRADES,
}


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text("symbol,quantity,price\nAAPL,10,password=hunter2\n")
    return path


@pytest.mark.parametrize("name", POSITIONS_FUNCTIONS)
@pytest.mark.parametrize("as_text", [str, lambda p: p.name])
def test_a_text_positions_argument_is_refused_and_no_file_is_read(name, secret, as_text, monkeypatch):
    monkeypatch.chdir(secret.parent)
    args = [as_text(secret)]
    if name in SECOND:
        args.append(SECOND[name])
    result = getattr(udfs, name)(*args)
    assert isinstance(result, str) and result.startswith("#INPUT positions: positions must be a range"), (
        result
    )
    assert "hunter2" not in result and "row 2" not in result


def test_the_engine_reader_still_reads_files_for_the_cli_and_python(secret):
    import datetime as dt

    from xlmargin.errors import InputError
    from xlmargin.positions import read_positions

    with pytest.raises(InputError, match="row 2, price"):
        read_positions(secret, as_of=dt.date(2026, 11, 20))


@pytest.mark.parametrize("name", ["MARGIN_IMPACT", "HEDGE_OPTIMIZE"])
def test_a_text_trades_or_candidates_argument_is_refused(name, secret, monkeypatch):
    monkeypatch.chdir(secret.parent)
    result = getattr(udfs, name)(TRADES, secret.name)
    assert isinstance(result, str) and result.startswith("#INPUT"), result
    assert "hunter2" not in result
