"""The optional parameter range of the worksheet functions: name/value pairs, validated.

A parameter range is a two-column range (name, value), or a list of ``name=value`` strings
(Bloomberg's override style), or a mapping from Python. Names match like table headers
(case, spaces, underscores, hyphens and dots are ignored). Each function declares the
parameters it knows as :class:`Param` specs; an unknown name is an error that lists them.
Blank rows are ignored, so users can select an oversized range.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlmargin.cells import NOT_A_DATE, error_message, excel_error, is_blank, to_date, to_number
from xlmargin.errors import InputError, Problem

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def norm(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.strip().lower())


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter a function accepts: its name, kind, default and one line of help."""

    name: str
    kind: str  # "number" | "bool" | "date" | "text" | "choice"
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def read_params(data: Any, specs: Iterable[Param]) -> dict[str, Any]:
    """Parse ``data`` against ``specs``; returns every spec's value (given or default).

    Every problem is collected and raised once as an :class:`InputError`.
    """
    specs = tuple(specs)
    by_norm = {norm(s.name): s for s in specs}
    values = {s.name: s.default for s in specs}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row, name, raw in _pairs(data, problems):
        spec = by_norm.get(norm(name))
        if spec is None:
            known = ", ".join(s.name for s in specs) or "none"
            problems.append(Problem(f"unknown parameter '{name}'; known: {known}", row, "params"))
            continue
        if spec.name in seen:
            problems.append(
                Problem(
                    f"parameter '{spec.name}' is given twice (rows {seen[spec.name]} and {row})",
                    row,
                    "params",
                )
            )
            continue
        seen[spec.name] = row
        try:
            values[spec.name] = _convert(spec, raw)
        except ValueError as exc:
            problems.append(Problem(f"{spec.name}: {exc}", row, "params"))
    if problems:
        raise InputError(problems)
    return values


def with_defaults(params: Mapping[str, Any], specs: Iterable[Param]) -> dict[str, Any]:
    """Every spec's value, given or default, from ``read_params`` output or a Python mapping.

    Engines' ``*_settings`` functions start here, so a Python caller may pass only what it changes;
    a name no spec knows is an :class:`InputError` that lists the known ones.
    """
    known = {spec.name: spec for spec in specs}
    unknown = [name for name in params if name not in known]
    if unknown:
        names = ", ".join(known)
        raise InputError(
            [Problem(f"unknown parameter '{n}'; known: {names}", None, "params") for n in unknown]
        )
    return {name: spec.default for name, spec in known.items()} | dict(params)


def _pairs(data: Any, problems: list[Problem]) -> list[tuple[int, str, Any]]:
    """(row, name, value) for every non-blank entry of the parameter range."""
    if data is None or (isinstance(data, str) and not data.strip()):
        return []
    if isinstance(data, Mapping):
        return [(i + 1, str(k), v) for i, (k, v) in enumerate(data.items())]
    if isinstance(data, str):
        data = [data]
    if not isinstance(data, Sequence):
        if isinstance(data, int | float) and data == 0:  # an empty single cell from Office.js
            return []
        problems.append(Problem(f"expected a two-column name/value range, got {data!r}", None, "params"))
        return []
    rows = [list(r) if isinstance(r, Sequence) and not isinstance(r, str) else [r] for r in data]
    if len(rows) == 1 and len(rows[0]) > 2 and all(isinstance(v, str) and "=" in v for v in rows[0] if v):
        rows = [[v] for v in rows[0]]  # one row of name=value strings
    if len(rows) == 1 and len(rows[0]) == 2 and all(isinstance(v, str) and "=" in v for v in rows[0]):
        rows = [[v] for v in rows[0]]
    out = []
    for i, cells in enumerate(rows, start=1):
        cells = [c for c in cells if not _blank(c)] if len(cells) != 2 else cells
        if all(_blank(c) for c in cells):
            continue
        if len(cells) >= 2 and isinstance(cells[0], str) and "=" not in cells[0]:
            if len(cells) > 2 and not all(_blank(c) for c in cells[2:]):
                problems.append(Problem("a parameter row holds a name and one value", i, "params"))
                continue
            out.append((i, cells[0], cells[1]))
        elif (len(cells) == 1 and isinstance(cells[0], str) and "=" in cells[0]) or (
            len(cells) == 2 and _blank(cells[1]) and isinstance(cells[0], str) and "=" in cells[0]
        ):
            name, _, value = cells[0].partition("=")
            out.append((i, name, value.strip()))
        else:
            problems.append(Problem(f"cannot read {cells!r} as a name and a value", i, "params"))
    return out


def _blank(value: Any) -> bool:
    return is_blank(value)


def _convert(spec: Param, raw: Any) -> Any:
    if (error := excel_error(raw)) is not None:
        raise ValueError(error_message(error))
    if spec.kind == "number":
        number = _number(raw)
        if spec.minimum is not None and number < spec.minimum:
            raise ValueError(f"must be at least {spec.minimum:g}, got {number:g}")
        if spec.maximum is not None and number > spec.maximum:
            raise ValueError(f"must be at most {spec.maximum:g}, got {number:g}")
        return number
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float) and raw in (0, 1):
            return bool(raw)
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"'{raw}' is not TRUE or FALSE")
    if spec.kind == "date":
        date = to_date(raw)
        if date is None:
            raise ValueError(f"'{raw}' {NOT_A_DATE}")
        return date
    if spec.kind == "choice":
        text = str(raw).strip().lower()
        for choice in spec.choices:
            if norm(choice) == norm(text):
                return choice
        raise ValueError(f"'{raw}' is not one of {', '.join(spec.choices)}")
    if spec.kind == "text":
        return str(raw).strip()
    raise ValueError(f"parameter kind '{spec.kind}' is not known")  # a programming error, shown plainly


def _number(raw: Any) -> float:
    number, problem = to_number(raw)
    if problem:
        raise ValueError(problem)
    return number


AS_OF = Param("as_of", "date", None, "valuation date; when absent, today (supplied by the Excel layer)")
RATE = Param(
    "rate", "number", 0.0, "risk-free rate, continuously compounded, as a decimal", minimum=-0.05, maximum=0.5
)


def today_if_missing(values: dict[str, Any], today: dt.date) -> dt.date:
    """The valuation date: the ``as_of`` parameter, else the date the caller supplies."""
    as_of = values.get("as_of")
    return as_of if isinstance(as_of, dt.date) else today
