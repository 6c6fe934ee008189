"""The command line's tables print their note and warning rows under the table: a sentence in the
figures' column would widen it to the sentence's length and push every figure away from its label.
Layout, not figures."""

from __future__ import annotations

import pytest

from xlmargin.cli import main
from xlmargin.textable import render

NOTE = (
    "xlmargin house risk view, NOT a regulatory or broker margin: cross-asset offsets are granted by no CCP"
)


def test_a_note_row_no_longer_widens_the_figures_column() -> None:
    rows = [["measure", "value", "scenario"], ["worst loss", 486_577.28, "S5"], ["scenarios", 56, ""],
            ["note", NOTE, ""], ["warning", "row 3: assumed", None]]  # fmt: skip
    lines = render(rows, width=200).splitlines()
    assert lines[0] == "measure          value  scenario"  # the figures' width, right-aligned
    assert lines[2] == "worst loss  486,577.28  S5"
    assert lines[3] == "scenarios           56"
    assert lines[4:] == ["", f"note: {NOTE}", "warning: row 3: assumed"]


def test_a_long_note_wraps_whole_under_the_table() -> None:
    text = render([["measure", "value"], ["total", 1.0], ["note", NOTE]], width=40)
    table, notes = text.split("\n\n")
    assert max(len(line) for line in text.splitlines()) <= 40
    assert table.splitlines()[2] == "total     1.00"
    assert " ".join(line.strip() for line in notes.splitlines()) == f"note: {NOTE}"  # nothing lost
    assert notes.splitlines()[1].startswith("  ")


def test_a_row_labelled_note_with_figures_stays_in_the_table() -> None:
    rows = [["measure", "value", "scenario"], ["note", "text", "S5"], ["total", 2.0, ""]]
    assert render(rows).splitlines()[2].split() == ["note", "text", "S5"]
    assert "\n\n" not in render(rows)


def test_the_risk_views_figures_sit_beside_their_labels(capsys: pytest.CaptureFixture[str]) -> None:
    # before: the value column was as wide as the disclaimer note (~190 characters), the figures
    # left-aligned in it and the scenario ids far to the right
    assert main(["margin", "--regime", "risk", "--as-of", "2025-12-31"]) == 0
    out = capsys.readouterr().out
    worst = next(line for line in out.splitlines() if line.startswith("worst loss"))
    assert len(worst.split("  S")[0]) < 50
    header = next(line for line in out.splitlines() if line.startswith("measure"))
    assert header.split() == ["measure", "value", "scenario", "note"]
    assert out.rstrip().splitlines()[-1].startswith("note: xlmargin house risk view, NOT a regulatory")
