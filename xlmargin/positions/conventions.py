"""What a cell alone cannot say, decided by the reader's conventions (symbols.toml ``[reading]``).

Coupons and yields are read one way per column, or per account where one table holds many
(:class:`Groups`, the batch): in percent when a value in it is above the rules file's
``percent_above`` or above the column's ``decimal_max`` (no credible decimal), else as decimals; a
cell typed with '%' says its own unit. A value that could be read either way is named in a warning.
A bond's yield that could be read either way, on a row giving its price, coupon and maturity, is
read the way nearer the yield its price implies (:func:`xlmargin.instruments.bond_yield`), whatever
the column's unit; where the price says nothing (no fitting yield) the column's rule holds. A number
below ``bare_year_below`` in a date column is a year typed alone (2031), not an Excel serial:
refused, naming the row, the column and the date the serial would be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.cells import EXCEL_EPOCH, is_boolean
from xlmargin.positions.infer import rows_warning, warn_rows
from xlmargin.positions.reader import ColumnReader


def reading() -> Mapping[str, Any]:
    """symbols.toml ``[reading]`` (the rule file is parsed once)."""
    return rules.load("symbols")["reading"]


def maturity_years_max() -> float:
    """The most years to maturity a maturity cell may give as a number (more is refused, as is 0):
    symbols.toml ``[reading] maturity_years_max``."""
    return float(reading()["maturity_years_max"])


def quantity_max() -> float:
    """The largest quantity a row may hold either way (more is refused naming the row): symbols.toml
    ``[reading] quantity_max``."""
    return float(reading()["quantity_max"])


@dataclass
class Groups:
    """The accounts of a table holding many (the batch): the data row numbered ``first + i`` is
    account ``codes[i]``. The reader decides each account's coupon and yield units on its own rows,
    as it would on the account alone, and puts the warnings of that decision in ``warnings`` under
    the account, not in the portfolio's warnings (which concern every account)."""

    first: int
    codes: IntArray
    warnings: dict[int, list[str]] = field(default_factory=dict)


def rate_column(
    r: ColumnReader,
    name: str,
    warnings: list[str],
    groups: Groups | None = None,
    implied: FloatArray | None = None,
) -> FloatArray:
    """A coupon or yield column as decimals, its unit decided once for the column, or once per
    account of ``groups``. ``implied``: per row, the yield its bond's price implies (NaN where none
    does), which settles the unit of a yield that could be read either way."""
    values = r.number(name)
    plain = ~np.isnan(values) & ~r.typed_percent(name)  # a cell typed '0.625%' is already a fraction
    size = np.where(plain, np.abs(values), 0.0)
    account = groups.codes[r.rows - groups.first] if groups is not None else np.zeros(r.n, dtype=np.int64)
    codes = np.unique(account).tolist()
    said = [warnings] if groups is None else [[] for _ in codes]  # each account's, by index in ``codes``
    decimal = np.zeros(r.n, dtype=bool)  # the plain values read as decimals
    by_price = np.zeros(r.n, dtype=bool)
    if implied is not None:
        either = (size > 0) & (size <= float(reading()["percent_above"])) & ~np.isnan(implied)
        if either.any():
            # nearer by ratio: a decimal v against percent v/100 is nearer the price's yield y where
            # |log(v/y)| <= |log(v/100/y)|, that is v <= 10 y (a difference would read 0.4 beside a
            # yield of 17% as 0.4%); a yield at or below 0 (no ratio) by difference
            ratio = implied > 0
            with np.errstate(invalid="ignore"):
                nearer = np.where(
                    ratio,
                    values <= 10.0 * implied,
                    np.abs(values - implied) <= np.abs(values / 100.0 - implied),
                )
            by_price, decimal = either, either & nearer
    for k, code in enumerate(codes):
        own = account == code
        considered = np.where(own & ~by_price, size, 0.0)
        decimal |= own & _column_unit(r, values, considered, name, said[k], groups is not None)
        _price_warning(r, said[k], values, implied, name, own & by_price, decimal)
    if groups is not None:
        groups.warnings.update((int(code), found) for code, found in zip(codes, said, strict=True) if found)
    return np.where(plain & ~decimal, values / 100.0, values)


def _column_unit(
    r: ColumnReader, values: FloatArray, size: FloatArray, name: str, warnings: list[str], own: bool = False
) -> BoolArray:
    """Where the values of ``size`` (0 where not considered) are read as decimals: all of them or
    none, by the column's rule; the warnings naming the values either reading would fit. ``own``:
    the values are one account's (of a table of many), whose unit is decided apart."""
    table = reading()
    whole = f"account's {name} column" if own else f"whole {name} column"
    decimal_max, ambiguous_above = (float(table[name][k]) for k in ("decimal_max", "ambiguous_above"))
    above_one = size > float(table["percent_above"])
    if not (size > decimal_max).any():
        unsure = size > ambiguous_above
        warn_rows(
            r, warnings, unsure,
            f"{name} {_values(values, unsure)} read as decimals ({_example(values, unsure, 1.0)}), as the "
            f"{whole} is (no value in it is above {decimal_max:g}); if percent was meant, type "
            "it with '%'",
        )  # fmt: skip
        return size > 0
    if not above_one.any():
        deciding = size > decimal_max
        warn_rows(
            r, warnings, deciding,
            f"{name} {_values(values, deciding)} is no credible decimal (above {decimal_max:g}): the "
            f"{whole} is read in percent ({_example(values, deciding, 0.01)})",
        )  # fmt: skip
    unsure = (size > 0) & (size <= decimal_max)
    warn_rows(
        r, warnings, unsure,
        f"{name} {_values(values, unsure)} read in percent ({_example(values, unsure, 0.01)}), as the "
        f"{whole} is; if a decimal was meant, type it in percent or with '%'",
    )  # fmt: skip
    return np.zeros(r.n, dtype=bool)


def _price_warning(
    r: ColumnReader,
    warnings: list[str],
    values: FloatArray,
    implied: FloatArray | None,
    name: str,
    by_price: BoolArray,
    decimal: BoolArray,
) -> None:
    """One warning per row of ``by_price`` whose yield the price read in percent or as a decimal
    above the column's ``ambiguous_above`` (a reading the column's rule would have named): both
    readings and the price's yield named."""
    if implied is None or not by_price.any():
        return
    unsure = by_price & ~(decimal & (np.abs(values) <= float(reading()[name]["ambiguous_above"])))
    for i in np.flatnonzero(unsure).tolist():
        value, near = float(values[i]), float(implied[i]) * 100
        read, other = (
            (f"{value * 100:g}%", f"{value:g}%") if decimal[i] else (f"{value:g}%", f"{value * 100:g}%")
        )
        warnings.append(
            rows_warning(
                [int(r.rows[i])],
                f": {name} {value:g} read as {read}, not {other}: the row's price implies a {name} of "
                f"{near:.3g}%",
            )
        )


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
    most = maturity_years_max()
    years = f" or the years to maturity (a number up to {most:g})" if column == "maturity" else ""
    return (
        f"{value:g} is a number, not a date: as an Excel serial it would be {serial}; type the {column} as a "
        f"date (YYYY-MM-DD or a date cell){years}"
    )
