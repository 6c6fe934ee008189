"""The reader's fast paths and the paths they fall back to read alike.

A number column is packed whole (no blank), around the blanks another column shares (a stock row
leaves every option column blank), or around blanks of its own found by their truth (a dividend
yield given on some rows); a bad cell sends any of them cell by cell. A text column is coded
through a set (up to 256 values as bytes, more by numpy), other columns in one pass or two through
dictionaries. The marks check mixes the number columns of a contract into its key and checks the
rows it finds against every column, coding the numbers by sorting when two keys mixed to one.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import numpy as np
import pytest

from tests.conftest import AS_OF
from xlmargin.errors import InputError
from xlmargin.positions import marks, read_positions
from xlmargin.positions.reader import factorize

HEADER = ["symbol", "type", "quantity", "price", "underlying", "underlying price", "strike", "right",
          "multiplier", "volatility", "dividend yield", "expiry"]  # fmt: skip
EXPIRY = dt.datetime(2027, 1, 15)
BAD = (True, "abc", math.nan, "", "1_00")
NUMBERS = ("quantity", "price", "underlying price", "strike", "multiplier", "volatility", "dividend yield")


def _book(pattern: str) -> list[list[Any]]:
    """40 rows, every fifth a stock (its option cells blank); the dividend yield blank or 0 on some
    rows as ``pattern`` says."""
    rows: list[list[Any]] = [HEADER]
    for k in range(40):
        stock = k % 5 == 0
        underlying = f"U{k % 4}"
        dividend: Any = 0.01 * (k % 4 + 1)
        if pattern in ("own blanks", "own blanks and zeros") and k % 3 == 1:
            dividend = None
        if pattern == "own blanks and zeros" and k % 7 == 2:
            dividend = 0.0
        if pattern == "shared blanks" and stock:
            dividend = None
        if stock:
            rows.append([underlying, "stock", 10.0 + k, 50.0 + k % 4, underlying, None, None, None,
                         None, 0.2, dividend, None])  # fmt: skip
        else:
            right = "C" if k % 2 else "P"
            rows.append([f"{underlying}O{k}", "option", float(k % 3 + 1), 1.0 + k / 10, underlying,
                         50.0 + k % 4, 45.0 + k, right, 100.0, 0.2 + k / 100, dividend, EXPIRY])  # fmt: skip
    return rows


def _read(table: list[list[Any]]) -> tuple[dict[str, np.ndarray] | None, list[str]]:
    try:
        return read_positions(table, as_of=AS_OF, holdings=False).arrays, []
    except InputError as exc:
        return None, [str(p) for p in exc.problems]


@pytest.mark.parametrize("pattern", ["no blanks", "shared blanks", "own blanks", "own blanks and zeros"])
def test_a_number_column_reads_alike_whatever_its_blanks(pattern: str) -> None:
    table = _book(pattern)
    arrays, problems = _read(table)
    assert arrays is not None and not problems
    given = [row[HEADER.index("dividend yield")] for row in table[1:]]
    expected = [math.nan if v is None else v for v in given]
    np.testing.assert_array_equal(arrays["dividend_yield"], np.nan_to_num(expected, nan=0.0))
    underlying_price = [row[HEADER.index("underlying price")] for row in table[1:]]
    np.testing.assert_array_equal(
        arrays["underlying_price"], [math.nan if v is None else v for v in underlying_price]
    )


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize("column", NUMBERS)
def test_one_bad_cell_is_named_alike_whatever_the_column_s_blanks(column: str, bad: Any) -> None:
    """The bad cell on row 8 (an option row) names its row and column with one message, whether the
    column's other cells are all numbers, blank where another column is, or blank on rows of its own
    (a '' is a blank where the column may be blank, and reads alike too)."""
    found = set()
    for pattern in ("no blanks", "shared blanks", "own blanks", "own blanks and zeros"):
        table = _book(pattern)
        table[7][HEADER.index(column)] = bad
        arrays, problems = _read(table)
        ours = tuple(p for p in problems if p.startswith("row 8,"))
        assert all(f", {column.replace(' ', '_')}: " in p for p in ours), (pattern, problems)
        assert (arrays is None) == bool(ours) and (ours or bad == ""), (pattern, problems)
        found.add(ours)
    assert len(found) == 1, found


def _first_seen(values: list[Any]) -> tuple[list[int], list[Any]]:
    uniques: list[Any] = []
    codes = []
    for v in values:
        for k, u in enumerate(uniques):
            if u.__class__ is v.__class__ and u == v:
                codes.append(k)
                break
        else:
            codes.append(len(uniques))
            uniques.append(v)
    return codes, uniques


@pytest.mark.parametrize("distinct", [1, 3, 255, 256, 257, 600])
def test_a_text_column_is_coded_in_the_order_its_values_first_appear(distinct: int) -> None:
    rng = random.Random(distinct)
    values: list[Any] = [f"T{rng.randrange(distinct)}" for _ in range(3000)]
    values[1] = None
    codes, uniques = factorize(values)
    assert (codes.tolist(), uniques) == _first_seen(values)
    assert codes.dtype == np.int64


def test_a_text_column_keeps_true_apart_from_1() -> None:
    values = ["A", 1.0, True, "A", None, 1, False, 0.0, True]
    codes, uniques = factorize(values)
    assert [uniques[k] for k in codes.tolist()] == values
    assert [type(uniques[k]) for k in codes.tolist()] == [type(v) for v in values]
    assert uniques == ["A", 1.0, True, None, 1, False, 0.0]


def _keys(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    return [
        rng.integers(0, 3, n),
        rng.integers(0, 40, n),
        np.round(rng.choice([-0.0, 0.0, 5.0, 7.5, 100.0], n), 1),
        rng.choice([1.0, 100.0], n),
    ]


@pytest.mark.parametrize("seed", range(5))
def test_the_contracts_mixed_by_their_bits_are_those_coded_by_sorting(seed: int, monkeypatch: Any) -> None:
    keys = _keys(np.random.default_rng(seed), 400)
    exact = marks._firsts_coded(keys, 400)
    assert exact is not None
    np.testing.assert_array_equal(marks._firsts(keys, 400), exact)
    monkeypatch.setattr(marks, "_MIX", 0)  # every key mixed onto its numbers' bits: the check falls back
    np.testing.assert_array_equal(marks._firsts(keys, 400), exact)


def test_a_contract_at_two_prices_is_named_as_before() -> None:
    table = _book("no blanks")
    table.append(list(table[2]))
    table[-1][HEADER.index("price")] = 9.5
    with pytest.raises(InputError) as caught:
        read_positions(table, as_of=AS_OF)
    assert [str(p) for p in caught.value.problems] == [
        f"row 42, price: rows 3 and 42 hold {table[2][0]} 2027-01-15 {table[2][6]:g} call at different "
        f"prices ({table[2][3]:,.10g}, 9.5): one contract has one price"
    ]
