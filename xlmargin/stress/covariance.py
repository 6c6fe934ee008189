"""Factor covariances: the assembled default of stress-scenarios.md §2.2 and a user's range."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from xlmargin import instruments
from xlmargin._typing import FloatArray
from xlmargin.cells import excel_error, is_boolean, to_number
from xlmargin.errors import InputError, Problem, RuleError, shown
from xlmargin.stress.factors import factor_index, factors, stress_rules


@dataclass(frozen=True)
class Covariance:
    """An annualised covariance of some factors, in their printed units (%², bp², % × bp...)."""

    factors: tuple[str, ...]
    matrix: FloatArray
    source: str

    def vols(self) -> FloatArray:
        """Annualised standard deviation of each factor, in its unit."""
        return np.sqrt(np.maximum(np.diag(self.matrix), 0.0))


def _tlt_duration() -> float:
    tlt = instruments.bond_etf("TLT")
    if tlt is None:
        raise RuleError(
            "stress.toml: the covariance converts long-Treasury vols with TLT's duration; TLT is missing"
        )
    return tlt.duration


def factor_vol(vol: float, unit: str, factor: str) -> float:
    """A vol printed in ``unit`` as a vol in the factor's own unit."""
    if unit == "tlt_return_pct":
        return vol / _tlt_duration() * 100.0  # % return per unit duration = % of yield = 100 bp
    expected = next(f.unit for f in factors() if f.id == factor)
    if unit != expected:
        raise RuleError(f"stress.toml: a vol in {unit} cannot drive factor {factor} (unit {expected})")
    return vol


@cache
def default_covariance() -> Covariance:
    """The assembled default of stress-scenarios.md §2.2 on the factors (``[covariance.default]``)."""
    table = stress_rules().get("covariance.default")
    corr = np.array(table["correlation"], dtype=np.float64)
    used = [i for i, f in enumerate(table["factors"]) if f]
    names = tuple(str(table["factors"][i]) for i in used)
    signs = np.array([float(table["signs"][i]) for i in used])
    vols = np.array(
        [
            factor_vol(float(table["factor_vols"][i]), str(table["factor_vol_units"][i]), names[j])
            for j, i in enumerate(used)
        ]
    )
    sub = corr[np.ix_(used, used)] * np.outer(signs, signs)
    return Covariance(names, sub * np.outer(vols, vols), str(table["source"]))


def _blank_cell(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_range(data: Any) -> bool:
    """Blank cells, empty text and zeros only (an unfilled covariance block of a template)."""
    if isinstance(data, Sequence) and not isinstance(data, str):
        return all(_blank_range(r) for r in data)
    return _blank_cell(data) or (isinstance(data, int | float) and not isinstance(data, bool) and data == 0)


def covariance_or_default(data: Sequence[Sequence[Any]] | None) -> Covariance:
    """A user covariance range parsed, or :func:`default_covariance` when the range is blank."""
    if data is None or _blank_range(data):
        return default_covariance()
    return parse_covariance(data)


def _not_a_range(value: Any) -> InputError:
    return InputError(
        Problem(
            f"a covariance must be a range, a square matrix with the factor names as its first row and "
            f"column, not the single value '{shown(value)}'",
            None,
            "covariance",
        )
    )


def _grid(data: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The range as rows of cells without its trailing blank rows; an empty range, or a text or a
    number given for one (whose characters would be read as rows), is an error."""
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise _not_a_range(data)
    table = [list(r) if isinstance(r, Sequence) and not isinstance(r, str) else [r] for r in data]
    while table and all(_blank_cell(c) for c in table[-1]):
        table.pop()
    if not table:
        raise InputError(Problem("the covariance range is empty", None, "covariance"))
    return table


def _factor_name(cell: Any, row: int, problems: list[Problem]) -> str | None:
    """The factor a header cell names (case, spaces, dots and dashes ignored), or a problem."""
    known = factor_index()
    name = re.sub(r"[\s\-.]+", "_", str(cell).strip().lower())
    if name in known:
        return name
    problems.append(Problem(f"'{shown(cell)}' is not a factor; known: {', '.join(known)}", row, "covariance"))
    return None


_NO_PERCENT = "rates take one; a covariance is in the factors' units, %² or bp² (a 20% vol: 400)"


def _number(cell: Any) -> float | str:
    """A cell's number, or why it holds none; a number typed as text ('400', '1,600') reads as an
    amount of the positions table (:func:`xlmargin.cells.to_number`): a covariance is in the
    factors' printed units (a 20% vol is a variance of 400 %²), so '4%' is refused, not read as 0.04."""
    if _blank_cell(cell):
        return "the cell is blank; give a number"
    if isinstance(cell, str) and excel_error(cell) is None:
        number, why = to_number(cell, "a covariance", _NO_PERCENT)
        return number if why is None else why
    if is_boolean(cell) or not isinstance(cell, int | float) or not math.isfinite(cell):
        return f"{shown(repr(cell))} is not a number"
    return float(cell)


def _numbers(body: Sequence[tuple[int, Sequence[Any]]], cols: Sequence[str | None]) -> FloatArray:
    """The matrix body (range row number, cells) × the columns after the names, every cell a finite
    number."""
    values = np.zeros((len(body), len(cols)))
    problems = []
    for i, (row, cells) in enumerate(body):
        for j, col in enumerate(cols):
            found = _number(cells[j + 1] if j + 1 < len(cells) else None)
            if isinstance(found, str):
                problems.append(Problem(f"column {col}: {found}", row, "covariance"))
            else:
                values[i, j] = found
    if problems:
        raise InputError(problems)
    return values


def _check_psd(matrix: FloatArray) -> None:
    """Refuse a matrix that is not symmetric or not positive semi-definite (to rounding)."""
    scale = max(float(np.abs(matrix).max()), 1.0)
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-9 * scale):
        raise InputError(Problem("the covariance matrix is not symmetric", None, "covariance"))
    low = float(np.linalg.eigvalsh(matrix).min())
    if low < -1e-9 * scale:
        raise InputError(
            Problem(
                f"the covariance matrix is not positive semi-definite (smallest eigenvalue "
                f"{low:.4g}); repair it, e.g. clip eigenvalues or use Higham's nearest "
                "correlation method",
                None,
                "covariance",
            )
        )


def parse_covariance(data: Sequence[Sequence[Any]]) -> Covariance:
    """A user covariance range: factor names across the first row and down the first column.

    Values are annualised covariances in the factors' printed units (% for prices, bp for yields and
    spreads, points for VIX): a 20 % vol is a variance of 400. The matrix must be symmetric and
    positive semi-definite; rows and columns may come in different orders. A number typed as text
    reads as in the positions table. Cells are numbered as in the range (its first row is row 1,
    blank rows counted); a single text or number for the range is refused.
    """
    table = _grid(data)
    header = table[0]
    width = len(header)
    while width > 1 and (_blank_cell(header[width - 1]) or header[width - 1] == 0):
        width -= 1
    problems: list[Problem] = []
    # each body row with its number in the range (blank rows between them are skipped, not renumbered)
    body = [(i + 1, r) for i, r in enumerate(table) if i and not all(_blank_cell(c) for c in r)]
    if width <= 1 and not body:  # a single cell: no factor names, no matrix
        raise _not_a_range(header[0] if header else None)
    cols = [_factor_name(c, 1, problems) for c in header[1:width]]
    rows = [_factor_name(r[0], row, problems) for row, r in body]
    if len(rows) != len(cols):
        problems.append(
            Problem(
                f"the matrix has {len(cols)} factor columns but {len(rows)} rows; it must be square",
                None,
                "covariance",
            )
        )
    if problems:
        raise InputError(problems)
    col_names = [c for c in cols if c is not None]
    row_names = [r for r in rows if r is not None]
    if len(set(col_names)) != len(col_names) or sorted(col_names) != sorted(row_names):
        raise InputError(
            Problem(
                "the first row and the first column must name the same factors, each once", 1, "covariance"
            )
        )
    values = _numbers(body, cols)
    matrix = values[[row_names.index(c) for c in col_names], :]
    _check_psd(matrix)
    return Covariance(tuple(col_names), matrix, "user covariance range")
