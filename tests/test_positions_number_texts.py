"""A number column's texts read the same on every path: the reader's numpy fast path (a column of
numbers and number texts), its cell-by-cell path (a column holding another text), a column with
blanks, and :func:`xlmargin.cells.to_number` itself. numpy (Python's ``float``) reads '1_00' as 100,
'nan' as NaN and 'inf' as infinity; the rule refuses them, with the row and the column."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.conftest import AS_OF
from xlmargin.cells import to_number
from xlmargin.errors import InputError
from xlmargin.positions import read_positions

TEXTS = ("1_00", "1_000.5", "nan", "NaN", "-nan", "inf", "-Infinity", "infinity", "1e999", " 1e5 ", "0x10",
         "１２", "١٢", "+5", ".5", "12\u2009")  # fmt: skip
# the other cell of the multiplier column: a plain number (the fast path), a blank (the column's
# numbers gathered past its blanks), a number text (a column of texts, as a CSV's)
OTHERS = (5.0, None, "3")


def _read(text: str, other: Any) -> tuple[float | None, list[str]]:
    """The multiplier read from ``text`` on row 2 (None when refused), and the problems of row 2."""
    table = [["symbol", "quantity", "price", "multiplier"], ["AAA", 1, 10.0, text], ["BBB", 1, 2.0, other]]
    try:
        portfolio = read_positions(table, as_of=AS_OF)
    except InputError as exc:
        return None, [str(p) for p in exc.problems if p.row == 2]
    return float(portfolio.arrays["multiplier"][0]), []


@pytest.mark.parametrize("other", OTHERS, ids=["numbers", "a blank", "texts"])
@pytest.mark.parametrize("text", TEXTS)
def test_every_path_reads_a_number_text_as_to_number_does(text: str, other: Any) -> None:
    number, why = to_number(text)
    read, problems = _read(text, other)
    if why is None:
        assert read == number and not problems
    else:
        assert read is None and problems == [f"row 2, multiplier: {why}"]


def test_an_underscore_is_refused_on_the_fast_path() -> None:
    """The case numpy read as 100 on a column of numbers: now refused, naming the row and column."""
    assert _read("1_00", 5.0) == (
        None,
        ["row 2, multiplier: '1_00' is not a number: an underscore is not a digit separator"],
    )


def test_an_underscore_among_blank_cells_is_refused() -> None:
    """The fast path adds the column up with its blank cells read as 0: the text beside them is still
    seen, on its own row."""
    rows = [["S", 1, 1.0, None if k % 3 else 100.0] for k in range(30)]
    rows[14][3] = "1_00"  # after a blank cell
    with pytest.raises(InputError) as caught:
        read_positions([["symbol", "quantity", "price", "multiplier"], *rows], as_of=AS_OF)
    assert [str(p) for p in caught.value.problems] == [
        "row 16, multiplier: '1_00' is not a number: an underscore is not a digit separator"
    ]


@pytest.mark.parametrize("text", ["nan", "inf", "infinity", "1_00"])
def test_texts_float_reads_are_refused_by_the_rule(text: str) -> None:
    assert math.isnan(to_number(text)[0]) and to_number(text)[1]
