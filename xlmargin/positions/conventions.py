"""What a cell alone cannot say, decided by the reader's conventions (symbols.toml ``[reading]``).

Coupons and yields are read one way per column: in percent when a value is above ``percent_above``
(4.25) or above the column's ``decimal_max`` (0.625: a 62.5% coupon is no credible decimal), else
as decimals; a cell typed with '%' says its own unit. A value that could be read either way is
named in a warning. A number below ``bare_year_below`` in a date column is a year typed alone
(2031), not an Excel serial (day 2031 is 1905-07-24): refused, naming the row and the column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray, FloatArray
from xlmargin.cells import EXCEL_EPOCH, is_boolean
from xlmargin.positions.infer import warn_rows
from xlmargin.positions.reader import ColumnReader


def reading() -> Mapping[str, Any]:
    """symbols.toml ``[reading]`` (the rule file is parsed once)."""
    return rules.load("symbols")["reading"]


def rate_column(r: ColumnReader, name: str, warnings: list[str]) -> FloatArray:
    """A coupon or yield column as decimals, its unit decided once for the whole column."""
    values = r.number(name)
    table = reading()
    decimal_max, ambiguous_above = (float(table[name][k]) for k in ("decimal_max", "ambiguous_above"))
    plain = ~np.isnan(values) & ~r.typed_percent(name)  # a cell typed '0.625%' is already a fraction
    size = np.where(plain, np.abs(values), 0.0)
    above_one = size > float(table["percent_above"])
    if not (size > decimal_max).any():
        unsure = size > ambiguous_above
        warn_rows(
            r, warnings, unsure,
            f"{name} {_values(values, unsure)} read as decimals ({_example(values, unsure, 1.0)}), as the "
            f"whole {name} column is (no value in it is above {decimal_max:g}); if percent was meant, type "
            "it with '%'",
        )  # fmt: skip
        return values
    if not above_one.any():
        deciding = size > decimal_max
        warn_rows(
            r, warnings, deciding,
            f"{name} {_values(values, deciding)} is no credible decimal (above {decimal_max:g}): the whole "
            f"{name} column is read in percent ({_example(values, deciding, 0.01)})",
        )  # fmt: skip
    unsure = (size > 0) & (size <= decimal_max)
    warn_rows(
        r, warnings, unsure,
        f"{name} {_values(values, unsure)} read in percent ({_example(values, unsure, 0.01)}), as the whole "
        f"{name} column is; if a decimal was meant, type it in percent or with '%'",
    )  # fmt: skip
    return np.where(plain, values / 100.0, values)


def _values(values: FloatArray, mask: BoolArray) -> str:
    found = list(dict.fromkeys(values[mask].tolist()))
    shown = ", ".join(f"{v:g}" for v in found[:3])
    return shown + (", ..." if len(found) > 3 else "")


def _example(values: FloatArray, mask: BoolArray, scale: float) -> str:
    """How the first value at ``mask`` reads: '0.625 is 0.625%' (scale 0.01) or '0.125 is 12.5%'."""
    found = values[mask]
    if not len(found):
        return ""
    value = float(found[0])
    return f"{value:g} is {value * scale * 100:g}%"


def bare_year(value: Any, column: str) -> str | None:
    """Why a number in a date column is refused as a year typed alone, or None."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 4:
        value = int(value.strip())  # '2031' typed as text
    if is_boolean(value) or not isinstance(value, int | float):
        return None
    if not 1 <= value < int(reading()["bare_year_below"]):
        return None
    serial = EXCEL_EPOCH + dt.timedelta(days=int(value))
    years = " or the years to maturity" if column == "maturity" else ""
    return (
        f"{value:g} is a number, not a date: as an Excel serial it would be {serial}; type the {column} as a "
        f"date (YYYY-MM-DD or a date cell){years}"
    )
