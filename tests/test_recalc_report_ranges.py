"""R12 F1: report ranges are read back cut to the cells their sheet holds, within ``--max-cells`` and
``--timeout``, and a report that cannot be printed never says "nothing written" of a written file.

The workbooks are a few cells written here (invented content); the trimming is tested on range
addresses over the whole sheet, never by reading a million rows.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
import xlsxwriter

from xlmargin.workbook import WorkbookError
from xlmargin.workbook import cli as wcli
from xlmargin.workbook.ranges import TooLarge, named_ranges

LAST_ROW, LAST_COL = 1_048_575, 16_383  # XlsxWriter counts from 0


def book(path: Path, names: dict[str, str]) -> Path:
    """Sheet Out: a two-row table in A1:B2, one text at XFD1048576; sheet Blank: the same table and
    one formatted, empty cell at Z100000."""
    wb = xlsxwriter.Workbook(str(path))
    for name in ("Out", "Blank"):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, ["symbol", "figure"])
        ws.write_row(1, 0, ["AAPL", 12.5])
    wb.get_worksheet_by_name("Out").write_string(LAST_ROW, LAST_COL, "x")
    wb.get_worksheet_by_name("Blank").write_blank(99_999, 25, None, wb.add_format({"bg_color": "yellow"}))
    for name, ref in names.items():
        wb.define_name(name, ref)
    wb.close()
    return path


def test_whole_columns_are_cut_to_their_last_value_and_a_huge_area_is_not_read(tmp_path: Path) -> None:
    path = book(tmp_path / "r.xlsx", {"RepA": "=Blank!$A:$Z", "RepB": "=Out!$A$1:$XFD$1048576"})
    got = {
        name: (title, rows) for name, title, rows in named_ranges(path, re.compile("Rep."), max_cells=1000)
    }
    title, rows = got["RepA"]
    assert title == "Blank!A1:B2"  # not 100,000 rows of 26 blank cells
    assert [[c.value for c in row] for row in rows] == [["symbol", "figure"], ["AAPL", 12.5]]
    assert got["RepB"] == ("Out!A1:XFD1048576", TooLarge(1_048_576 * 16_384))


def run(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser(prog="xlmargin")
    wcli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return int(args.handler(args))


def test_a_report_range_too_large_to_print_is_exit_1_with_the_file_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = book(tmp_path / "r.xlsx", {"xlmReport1": "=Out!$A$1:$XFD$1048576", "xlmReport2": "=Blank!$A:$Z"})
    out = tmp_path / "o.xlsx"
    assert run("recalc", src, "-o", out) == 1
    printed = capsys.readouterr()
    assert out.exists() and "nothing written" not in printed.err
    assert "report range Out!A1:XFD1048576 is not printed: 17,179,869,184 cells" in printed.err
    assert "Blank!A1:B2" in printed.out and "AAPL" in printed.out


@pytest.mark.parametrize(
    "failure", [MemoryError(), WorkbookError("r.xlsx: recalculation took longer than 1 s")]
)
def test_running_out_of_memory_or_time_while_printing_does_not_say_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(wcli, "named_ranges", exhausted)
    out = tmp_path / "o.xlsx"
    assert run("recalc", book(tmp_path / "r.xlsx", {"xlmReport1": "=Blank!$A:$Z"}), "-o", out) == 1
    err = capsys.readouterr().err
    assert out.exists() and "nothing written" not in err
    assert f"{out} is written, but its report ranges are not printed" in err
