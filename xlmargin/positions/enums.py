"""Coded columns: each row's type as a code (:class:`Kinds`), and a text column's distinct values
mapped to their canonical names (:func:`enum_values`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from xlmargin._typing import BoolArray, IntArray
from xlmargin.positions.columns import norm_header
from xlmargin.positions.model import TYPES
from xlmargin.positions.reader import ColumnReader, Text, indices

TYPE_NAMES = sorted(TYPES)
TYPE_CODE = {t: i for i, t in enumerate(TYPE_NAMES)}


@dataclass(frozen=True, slots=True)
class Kinds:
    """Each row's type as a code into ``TYPE_NAMES``: masks compare integers, not text."""

    codes: IntArray

    def of(self, *names: str) -> BoolArray:
        """True on the rows of any of the types ``names``."""
        out = self.codes == TYPE_CODE[names[0]]
        for name in names[1:]:
            out |= self.codes == TYPE_CODE[name]
        return out

    def __getitem__(self, i: int) -> str:
        return TYPE_NAMES[self.codes[i]]


def enum_values(
    r: ColumnReader,
    name: str,
    text: Text,
    table: Mapping[str, str],
    unknown: Callable[[str], str],
    rows: BoolArray | None = None,
) -> list[str | None]:
    """The canonical value of each distinct text (``text.values``), None where blank or unknown; an
    unknown value is reported with ``unknown(value)`` on each of its rows (of ``rows`` when given)."""
    found: list[str | None] = []
    bad: dict[int, str] = {}
    for k, value in enumerate(text.values):
        canonical = None if value is None else table.get(norm_header(value))
        if value is not None and canonical is None:
            bad[k] = unknown(value)
        found.append(canonical)
    if bad:
        mask = np.isin(text.codes, list(bad))
        for i in indices(mask if rows is None else mask & rows):
            r.bad(i, name, bad[int(text.codes[i])])
    return found
