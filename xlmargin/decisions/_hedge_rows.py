"""The hedge's candidate rows beside the book: how an engine's error names them, and the position
each one trades (as :func:`~._common.with_trades` nets it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from xlmargin.decisions._common import held_rows, in_table, opening_trades
from xlmargin.errors import XlMarginError
from xlmargin.positions import Portfolio


def marked(candidates: Portfolio) -> Portfolio:
    """The candidate rows with their row numbers negated, as :func:`trade_union` marks the trades:
    joined to the book's rows and priced by an engine, a problem on one of them names the candidates
    table (:func:`named`), not the positions row of the same number."""
    rows = candidates.arrays["row"]
    codes = {name: candidates.codes(name) for name in candidates.coded()}
    return Portfolio({**candidates.arrays, "row": -rows}, candidates.as_of, candidates.warnings, codes)


@contextmanager
def named(joined: bool = True) -> Iterator[None]:
    """An engine's error in the body named as the candidates': with ``joined`` (book and
    :func:`marked` candidates priced together) its problems on negative rows, else all of them."""
    try:
        yield
    except XlMarginError as error:
        raise in_table("candidates", error, joined) from None


def position_of(book: Portfolio, candidates: Portfolio) -> np.ndarray:
    """Per candidate, the position it trades as :func:`with_trades` nets it: the index of the book's
    row holding its contract (:func:`held_rows`), or for a contract the book does not hold ``−1 − k``,
    k the first candidate of it (:func:`opening_trades`)."""
    held = held_rows(book, candidates)
    return np.where(held >= 0, held, -1 - opening_trades(candidates, held))


def by_position(position: np.ndarray, pick: np.ndarray) -> dict[int, list[int]]:
    """The candidates ``pick`` (indices) by the position they trade (:func:`~._hedge_rows.position_of`)."""
    out: dict[int, list[int]] = {}
    for k in pick.tolist():
        out.setdefault(int(position[k]), []).append(k)
    return out
