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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlmargin.cells import (
    AMOUNT_ARGUMENT_RATES,
    NOT_A_DATE,
    error_message,
    excel_error,
    is_blank,
    is_missing,
    to_date,
    to_number,
    valuation_date_refused,
)
from xlmargin.errors import InputError, Problem, shown

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def norm(name: str) -> str:
    return re.sub(r"[\s_\-.\ufeff]+", "", name.strip().lower())


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter a function accepts: its name, kind, default and one line of help."""

    name: str
    kind: str  # "number" | "bool" | "date" | "text" | "choice" | "currency" (an ISO 4217 code)
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # a number that is a rate (a haircut, a move, a cushion): it may be typed with '%' ('15%' is
    # 0.15); any other number is an amount (an equity, a price, days, a multiple), '%' refused
    rate: bool = False
    positive: bool = (
        False  # a number that must be above 0 (a rate of exchange), not only at least ``minimum``
    )


def read_params(
    data: Any,
    specs: Iterable[Param],
    where: Callable[[int], str] | None = None,
    unread: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """Parse ``data`` against ``specs``; returns every spec's value (given or default).

    Every problem is collected and raised once as an :class:`InputError`. A problem names its row
    of the range and the column "params"; with ``where``, the place ``where(row)`` names instead
    (the command line's ``--param NAME=VALUE``: it has no range, so a blank value is "no value
    given", without the range's advice to clear the name or delete the row). A mapping (the Python
    API's keywords) has no rows: a problem names the keyword alone, and a missing value (None, NaN,
    ``pd.NA``: :func:`~xlmargin.cells.is_missing`) is not given, so the default holds. ``unread``:
    a known name → why the caller refuses it (it would change nothing:
    :func:`xlmargin.regimes.unread_refusal`), None to read it.
    """
    specs = tuple(specs)
    rates = rate_params(specs)
    by_norm = {norm(s.name): s for s in specs}
    values = {s.name: s.default for s in specs}
    problems: list[Problem] = []
    seen: dict[str, int] = {}

    keywords = isinstance(data, Mapping)  # Python keywords: no rows; a problem names its keyword

    def at(message: str, row: int) -> Problem:
        if where is not None:
            return Problem(message, None, where(row))
        return Problem(message) if keywords else Problem(message, row, "params")

    for row, name, raw in _pairs(data, problems, at):
        spec = by_norm.get(norm(name))
        if spec is None:
            known = ", ".join(s.name for s in specs) or "none"
            problems.append(at(f"unknown parameter '{shown(name)}'; known: {known}", row))
            continue
        if spec.name in seen:
            first = seen[spec.name]
            also = f"rows {first} and {row}" if where is None else f"also {where(first)}"
            problems.append(at(f"parameter '{spec.name}' is given twice ({also})", row))
            continue
        seen[spec.name] = row
        if unread is not None and (why := unread(spec.name)) is not None:
            problems.append(at(why, row))
            continue
        try:
            values[spec.name] = _convert(spec, raw, rates)
        except _NoValue as exc:  # a range's row to clear or delete; an option is simply left out
            problems.append(at(f"{spec.name}: {exc}" if where is None else "no value given", row))
        except ValueError as exc:
            problems.append(at(f"{spec.name}: {exc}", row))
    if problems:
        raise InputError(problems)
    return values


def with_defaults(params: Mapping[str, Any], specs: Iterable[Param]) -> dict[str, Any]:
    """Every spec's value, given or default, from ``read_params`` output or a Python mapping.

    Engines' ``*_settings`` functions start here, so a Python caller may pass only what it changes;
    a name no spec knows is an :class:`InputError` that lists the known ones, a choice is read as
    the range reads it (``"USD"`` is ``usd``; one not offered is an error naming it, never the
    default by another name), a number is held to the range's bounds (``leverage.major_fx`` above
    ESMA's 30:1 is refused, as in a range), and a value of None is not given (the default).
    """
    known = {spec.name: spec for spec in specs}
    unknown = [name for name in params if name not in known]
    if unknown:
        names = ", ".join(known)
        raise InputError(
            [Problem(f"unknown parameter '{shown(n)}'; known: {names}", None, "params") for n in unknown]
        )
    # None is a Python caller's "not given": the default, whatever the kind (a choice's None was
    # stored as the text 'None' and read as another choice by each engine's own test)
    given = {k: v for k, v in params.items() if not is_missing(v)}
    rates = rate_params(known.values())
    problems = []
    for name, value in given.items():
        spec = known[name]
        convert = _FROM_PYTHON.get(spec.kind)
        if convert is not None and value is not None:
            try:
                given[name] = convert(spec, value, rates)
            except ValueError as exc:
                problems.append(Problem(f"{name}: {exc}", None, "params"))
    if problems:
        raise InputError(problems)
    return {name: spec.default for name, spec in known.items()} | given


HEADER = ("name", "value")  # a params range's optional header row


def _pairs(
    data: Any, problems: list[Problem], at: Callable[[str, int], Problem]
) -> list[tuple[int, str, Any]]:
    """(row, name, value) for every non-blank row of the parameter range; ``at`` makes a row's problem.
    A first row that is exactly the header ``name | value`` is a header, not a parameter 'name'."""
    out = []
    for row, cells in _rows(data, problems):
        if row == 1 and [str(c).strip().lower() for c in cells if not is_blank(c)] == list(HEADER):
            continue
        entry = _entry(cells)
        if isinstance(entry, str):
            problems.append(at(entry, row))
        elif entry is not None:
            out.append((row, *entry))
    return out


def _rows(data: Any, problems: list[Problem]) -> list[tuple[int, list[Any]]]:
    """The range as numbered rows of cells: a mapping is one row per item, a string one cell, and a
    single row of ``name=value`` strings (Bloomberg style, across) one row per string."""
    if isinstance(data, Mapping):  # None, NaN, pd.NA: a Python caller's "not given", the default
        return [(i, [str(k), v]) for i, (k, v) in enumerate(data.items(), start=1) if not is_missing(v)]
    if isinstance(data, str) or is_blank(data):  # an empty single cell arrives as None, "" or 0
        data = [[data]]
    if not isinstance(data, Sequence):
        problems.append(Problem(f"expected a two-column name/value range, got {data!r}", None, "params"))
        return []
    rows = [list(r) if isinstance(r, Sequence) and not isinstance(r, str) else [r] for r in data]
    filled = [c for c in rows[0] if not is_blank(c)] if len(rows) == 1 else []
    if len(filled) > 1 and all(_assignment(c) for c in filled):
        rows = [[c] for c in rows[0]]
    return list(enumerate(rows, start=1))


def _entry(cells: list[Any]) -> tuple[str, Any] | str | None:
    """A row's (name, value); ``None`` for a blank row; a message for a row that is neither.

    The name is the first non-blank cell: ``name=value`` text, or a name with its value in the next
    cell (whatever that holds, 0 included). Any cell after that must be blank.
    """
    start = next((j for j, c in enumerate(cells) if not is_blank(c)), None)
    if start is None:
        return None
    name = cells[start]
    used = 1 if _assignment(name) else 2
    if not isinstance(name, str) or any(not is_blank(c) for c in cells[start + used :]):
        if isinstance(name, str) and used == 2:
            return "a parameter row holds a name and one value"
        return f"cannot read {[c for c in cells if not is_blank(c)]!r} as a name and a value"
    if used == 1:
        key, _, value = name.partition("=")
        return key, value.strip()
    return name, cells[start + 1] if start + 1 < len(cells) else None


def _assignment(cell: Any) -> bool:
    return isinstance(cell, str) and "=" in cell


class _NoValue(ValueError):
    """A parameter named without a value."""


def rate_params(specs: Iterable[Param]) -> str:
    """What takes a '%' among ``specs``, as a refusal of one in an amount says it."""
    names = [s.name for s in specs if s.kind == "number" and s.rate]
    if not names:
        return f"{AMOUNT_ARGUMENT_RATES}; none is given here"
    return f"{AMOUNT_ARGUMENT_RATES}: " + ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")


def _convert(spec: Param, raw: Any, rates: str) -> Any:
    """The value of one parameter cell for its spec, or a ``ValueError`` saying why not."""
    if (error := excel_error(raw)) is not None:
        raise ValueError(error_message(error))
    if spec.kind == "text":
        return text_of(raw)
    if spec.kind == "currency":
        return _to_currency(spec, raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise _NoValue("no value given (clear the name too, or delete the row, to use the default)")
    convert = _CONVERTERS.get(spec.kind)
    if convert is None:
        raise ValueError(f"parameter kind '{spec.kind}' is not known")  # a programming error, shown plainly
    return convert(spec, raw, rates)


def text_of(raw: Any) -> str:
    """A text parameter's value as the positions reader shows a text cell: stripped, a whole number
    without its ``.0`` (a sleeve cell holding 1.0 reads as '1', so ``sleeve`` = 1.0 must too), and
    blank for a blank cell (Office.js' 0 included, as the reader takes it)."""
    if is_blank(raw):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _to_bounded_number(spec: Param, raw: Any, rates: str) -> float:
    """A number parameter's value within its bounds; '%' only in a rate (:attr:`Param.rate`)."""
    number, problem = to_number(raw, None if spec.rate else spec.name, rates)
    if problem:
        raise ValueError(problem)
    if spec.positive and not number > 0:
        raise ValueError(f"must be above 0, got {number:g}")
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(f"must be at least {spec.minimum:g}, got {number:g}")
    if spec.maximum is not None and number > spec.maximum:
        raise ValueError(f"must be at most {spec.maximum:g}, got {number:g}")
    return number


def _to_currency(spec: Param, raw: Any, rates: str = "") -> str:
    """A currency parameter's value: an ISO 4217 code of esma.toml ``[currencies] codes``, upper-cased,
    or "" when blank (the default); a number, a TRUE, a date or a lookalike letter is refused."""
    from xlmargin.symbols import currency_codes  # symbols loads the rules' tables

    code = text_of(raw).upper() if isinstance(raw, str) else ("" if is_blank(raw) else str(raw))
    if code and code not in currency_codes(True):
        raise ValueError(f"'{shown(raw)}' is not an ISO 4217 currency code (EUR, USD, GBP)")
    return code


def _to_bool(spec: Param, raw: Any, rates: str = "") -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"'{raw}' is not TRUE or FALSE")


def _to_param_date(spec: Param, raw: Any, rates: str = "") -> dt.date:
    date = to_date(raw)
    if date is None:
        raise ValueError(f"'{raw}' {NOT_A_DATE}")
    if (refused := valuation_date_refused(date)) is not None and spec.name == "as_of":
        raise ValueError(refused)
    return date


def _to_choice(spec: Param, raw: Any, rates: str = "") -> str:
    for choice in spec.choices:
        if norm(choice) == norm(str(raw)):
            return choice
    raise ValueError(f"'{raw}' is not one of {', '.join(spec.choices)}")


_CONVERTERS: dict[str, Callable[[Param, Any, str], Any]] = {
    "number": _to_bounded_number,
    "bool": _to_bool,
    "date": _to_param_date,
    "choice": _to_choice,
}
# how with_defaults reads a Python mapping's values: as a range reads them, numbers and choices
_FROM_PYTHON: dict[str, Callable[[Param, Any, str], Any]] = {
    "number": _to_bounded_number,
    "choice": _to_choice,
    "currency": _to_currency,
}


AS_OF = Param("as_of", "date", None, "valuation date; when absent, today (supplied by the Excel layer)")
RATE = Param(
    "rate",
    "number",
    0.0,
    "risk-free rate, continuously compounded, as a decimal (or with '%')",
    minimum=-0.05,
    maximum=0.5,
    rate=True,
)


def today_if_missing(values: dict[str, Any], today: dt.date) -> dt.date:
    """The valuation date: the ``as_of`` parameter, else the date the caller supplies."""
    as_of = values.get("as_of")
    return as_of if isinstance(as_of, dt.date) else today
