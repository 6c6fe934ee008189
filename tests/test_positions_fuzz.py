"""The positions reader fuzzed: whatever a worksheet range holds, the answer is a portfolio or an
``XlMarginError`` whose text is one line, never another exception (STYLE.md, "every cell gets a
number or a clear error").

Headers come from the real column names and aliases (in any case and spacing), unknown text and
blank or numeric cells; rows are ragged and hold blanks, numbers (NaN, infinities, huge ones
included), booleans, dates, the words the reader knows (types, rights, styles) and Excel error
values, so that the generated tables reach past the header check into every column's parser.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AS_OF
from xlmargin.errors import XlMarginError
from xlmargin.positions import COLUMNS, TYPES, Portfolio, read_positions

EXCEL_ERRORS = ("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!")
NAMES = [c.name for c in COLUMNS] + [a for c in COLUMNS for a in c.aliases]
WORDS = (*TYPES, "C", "P", "call", "Put", "american", "E", "SPX", "ESZ6", "EURUSD", "equity", "2026-12-18",
         "12/18/2026", "1.5%", "$1,000", "(200)", "garbage", " ")  # fmt: skip

header_cells = st.one_of(
    st.sampled_from(NAMES).map(lambda n: n.upper() if len(n) % 2 else n.replace("_", " ")),
    st.sampled_from(NAMES),
    st.text(max_size=6),
    st.sampled_from((None, "", 0, 1.5, *EXCEL_ERRORS)),
)
values = st.one_of(
    st.none(),
    st.sampled_from(("", *WORDS, *EXCEL_ERRORS)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**18), 10**18),
    st.sampled_from((0, 1, -3, 100, 0.2, 45000.0, 1e16)),
    st.booleans(),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)),
    st.text(max_size=8),
)


# values a column of that name plausibly holds, so that many rows pass and reach the later checks
PLAUSIBLE = {
    "symbol": st.sampled_from(("SPY", "XYZ", "ESZ6", "EURUSD", "SPX", "TLT", "6EZ6")),
    "type": st.sampled_from((*TYPES, "stk", "opt", "fop", "forex")),
    "quantity": st.integers(-5, 5),
    "price": st.sampled_from((0.5, 2.0, 15.0, 100.0, 590.0, 1.08)),
    "underlying_price": st.sampled_from((100.0, 590.0, 5900.0)),
    "strike": st.sampled_from((90.0, 100.0, 600.0, 5900.0)),
    "expiry": st.dates(dt.date(2026, 11, 1), dt.date(2027, 12, 31)),
    "days": st.sampled_from((0, 1, 30, 365)),
    "right": st.sampled_from(("C", "P", "call", "put")),
    "style": st.sampled_from(("american", "european", "E")),
    "volatility": st.sampled_from((0.2, 0.35, 20.0)),
    "currency": st.sampled_from(("USD", "EUR", "JPY", "usd")),
    "fx_rate": st.sampled_from((1.0, 1.08, 0.0065)),
    "multiplier": st.sampled_from((1, 50, 100)),
}
COLUMN_OF = {n.lower(): c.name for c in COLUMNS for n in (c.name, *c.aliases)}


def cell(draw: st.DrawFn, name: Any) -> Any:
    """A plausible value of the column ``name`` names (or a blank), and one time in eight anything."""
    if draw(st.integers(0, 7)) == 7:  # (hypothesis favours 0: the plausible branch)
        return draw(values)
    return draw(PLAUSIBLE.get(COLUMN_OF.get(str(name).lower().replace(" ", "_"), ""), st.none()))


def spelling(column: Any) -> st.SearchStrategy[str]:
    """The column's name or an alias, in upper case or with spaces for underscores."""
    names = st.sampled_from((column.name, *column.aliases))
    return st.one_of(names, names.map(str.upper), names.map(lambda n: n.replace("_", " ").title()))


@st.composite
def tables(draw: st.DrawFn) -> list[list[Any]]:
    if draw(st.integers(0, 4)) == 4:  # hostile headers: duplicates, unknown text, blanks, numbers
        header = draw(st.lists(header_cells, max_size=8))
    else:  # distinct known columns, most often with the price a position needs
        chosen = draw(st.lists(st.sampled_from(COLUMNS), max_size=7, unique_by=lambda c: c.name))
        must = [c for c in COLUMNS if c.name in ("symbol", "quantity", "price")]
        columns = [*must[: draw(st.sampled_from((3, 3, 2, 1)))], *(c for c in chosen if c not in must)]
        header = [draw(spelling(c)) for c in columns]
        if draw(st.booleans()):
            header.append(draw(header_cells))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        row = [cell(draw, name) for name in header]
        rows.append(
            row[: draw(st.integers(max(len(row) - 2, 0), len(row)))] + draw(st.lists(values, max_size=1))
        )
    return [header, *rows]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=tables())
def test_the_reader_answers_or_says_what_is_wrong_in_one_line(data: list[list[Any]]) -> None:
    try:
        portfolio = read_positions(data, as_of=AS_OF)
    except XlMarginError as exc:
        text = str(exc)
        assert text.strip() and "\n" not in text, text
        assert all(p.message.strip() for p in exc.problems)
    else:
        assert isinstance(portfolio, Portfolio)
        assert len(portfolio) >= 1


scalars = st.one_of(st.none(), st.floats(), st.integers(), st.booleans(), st.dates())


@given(data=st.one_of(scalars, st.lists(values, max_size=3), st.lists(st.lists(values, max_size=3))))
def test_shapes_that_are_no_table(data: Any) -> None:
    """A scalar, a flat list or an empty range: a one-line error too, never a traceback. (A string
    is a file path to ``read_positions``, the Python API, so it is not fuzzed here.)"""
    try:
        read_positions(data, as_of=AS_OF)
    except XlMarginError as exc:
        assert "\n" not in str(exc)
