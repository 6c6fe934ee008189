"""The worksheet functions as plain Python: Excel-shaped values in, a number or a 2-D list out.

This is the contract both Excel routes share (classic Windows COM and Office.js), and what the
tests call. Ranges arrive as lists of lists with the header row first; blanks as ``None``, ``''``
or ``0``; integers as ints or floats; dates as datetimes or serial numbers. Results are a finite
float, a string, or a rectangular 2-D list of str/float. Problems are raised as
:class:`~xlmargin.errors.XlMarginError`; :mod:`xlmargin.excel.udfs` turns them into what each
route can show. The only "today" in xlmargin is supplied here, when the user gives no ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from xlmargin import __version__, rules
from xlmargin.cells import (
    AMOUNT_ARGUMENT_RATES,
    error_message,
    excel_error,
    is_blank,
    is_blank_range,
    to_number,
)
from xlmargin.collector import collector_paused
from xlmargin.errors import InputError, Problem, is_error_text
from xlmargin.excel.cache import SEQUENCE, ResultCache, digest, freeze, size_of, snapshot
from xlmargin.house_bonds import REGT_RULE_PARAMS, regt_rules_of
from xlmargin.params import AS_OF, Param, read_params
from xlmargin.positions import Portfolio, read_positions
from xlmargin.regimes import REGT_EQUITY, regime_params, regimes_reading, unread_refusal

T = TypeVar("T")

CACHE = ResultCache()


def today() -> dt.date:
    """The valuation date when the user gives none: the machine's local date."""
    return dt.date.today()


# --- shared plumbing ---------------------------------------------------------------------------


def cell_error(value: Any, name: str) -> None:
    """Refuse a single-cell argument holding an Excel error value (``#N/A``: xlwings hands it over as
    its text, ``err_to_str``) or another xlmargin cell's error, naming the argument: never read as
    "not given", which would mean the default (no budget, the initial basis)."""
    if (error := excel_error(value)) is not None:
        raise InputError(Problem(error_message(error), None, name))
    if is_error_text(value):
        raise InputError(Problem(f"the cell holds an error: {value.strip()}", None, name))


def choice(value: Any, name: str, choices: Sequence[str], default: str) -> str:
    """An optional text argument; blank (None, '' or Office.js' 0) means the default."""
    cell_error(value, name)
    if is_blank(value):
        return default
    text = str(value).strip().lower().replace(" ", "_")
    for option in choices:
        if text == option:
            return option
    raise InputError(Problem(f"{name} must be one of {', '.join(choices)}, got '{value}'", None, name))


def flag(value: Any, name: str, default: bool = False) -> bool:
    """An optional TRUE/FALSE argument; blank means the default."""
    cell_error(value, name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    raise InputError(Problem(f"{name} must be TRUE or FALSE, got '{value}'", None, name))


def number(value: Any, name: str) -> float:
    """A required amount argument (a single cell: an equity, a requirement, a budget), parsed like an
    amount cell of the positions table: '15%' is refused naming ``name``, never read as 0.15."""
    if isinstance(value, list | tuple):
        flat = [v for row in value for v in (row if isinstance(row, list | tuple) else [row])]
        if len(flat) != 1:
            raise InputError(Problem(f"{name} must be a single cell, got {len(flat)} cells", None, name))
        value = flat[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(Problem(f"{name} is missing", None, name))
    if is_error_text(value):  # another xlmargin cell's error
        raise InputError(Problem(f"the cell holds an error, not a number: {value.strip()}", None, name))
    parsed, problem = to_number(value, name, AMOUNT_ARGUMENT_RATES)
    if problem:
        raise InputError(Problem(problem, None, name))
    return parsed


SLEEVE = Param(
    "sleeve",
    "text",
    None,
    "only the positions whose sleeve column is one of these names (comma-separated, each one "
    "that some position holds), e.g. core; blank: the whole book",
)


def params_of(
    data: Any, specs: Sequence[Param], unread: Callable[[str], str | None] | None = None
) -> tuple[dict[str, Any], dt.date, str | None]:
    """The parameter range read against ``specs`` (plus ``sleeve``): engine values, the valuation
    date they imply, and the sleeve filter; ``unread`` refuses a name the function would not read
    (:func:`xlmargin.regimes.unread_refusal`)."""
    values, as_of, sleeve, _ = read_params_of(data, specs, unread)
    return values, as_of, sleeve


# Parameter ranges read before, by content (``freeze``: a TRUE is not a 1) and the specs object:
# a recalculation's cells share a few small ranges, and reading one (names normalized, each value
# converted) and freezing its values for the results key cost a quarter of a repeat call.
_READ: dict[Hashable, tuple[Sequence[Param], dict[str, Any], str | None, Hashable]] = {}


def read_params_of(
    data: Any, specs: Sequence[Param], unread: Callable[[str], str | None] | None = None
) -> tuple[dict[str, Any], dt.date, str | None, Hashable]:
    """:func:`params_of`, plus the values frozen (the results cache's key); a range read before
    with the same specs is not read again. Its values come as a new dict each call, so a caller
    changing it changes nothing kept; a range that cannot be read is never kept, nor one read with
    ``unread`` (a decision function's check of its regime, which the kept reading would skip)."""
    keep = unread is None and (data is None or isinstance(data, SEQUENCE))
    key = (id(specs), freeze(data)) if keep else None
    kept = _READ.get(key) if key is not None else None
    if kept is None or kept[0] is not specs:  # the very specs: an id is reused only once freed
        values = read_params(data, (*specs, SLEEVE), unread=unread)
        sleeve = values.pop("sleeve")
        kept = (specs, values, sleeve, freeze(values))
        if key is not None:
            if len(_READ) >= 64:
                _READ.clear()
            _READ[key] = kept
    _, values, sleeve, frozen = kept
    as_of = values.get("as_of")
    return dict(values), as_of if isinstance(as_of, dt.date) else today(), sleeve, frozen


def portfolio_of(
    positions: Any, as_of: dt.date, sleeve: str | None = None, holdings: bool = True
) -> tuple[Hashable, Portfolio]:
    """The validated portfolio for a positions range, parsed once per content and date, keeping
    only the chosen sleeves when ``sleeve`` is given; and a small token naming that content.
    ``holdings``: read as a book's holdings (:func:`~xlmargin.positions.read_positions`)."""
    table_range(positions, "positions")
    token = digest(positions)
    portfolio = CACHE.get_or_compute(
        ("positions" if holdings else "trades", token, as_of),
        lambda: read_positions(positions, as_of=as_of, holdings=holdings),
        size_of(positions),
        check=positions,
        keep=lambda: snapshot(positions),
    )
    names = sleeve_names(sleeve)
    if not names:
        return (token, None), portfolio
    return (token, names), CACHE.get_or_compute(
        ("sleeve", token, as_of, names), lambda: select_sleeves(portfolio, names), check=portfolio
    )


def table_range(value: Any, name: str) -> None:
    """Refuse a table argument (positions, trades, candidates) that is not a range, saying what the
    cell holds: an Excel error value or another xlmargin cell's error as :func:`number` names them,
    nothing at all, or a text, which would be a file path (a worksheet function never reads a file
    the workbook does not contain)."""
    if isinstance(value, SEQUENCE):
        return
    if (error := excel_error(value)) is not None:
        text = error_message(error)
    elif is_error_text(value):  # another xlmargin cell's error
        text = f"the cell holds an error, not a range: {value.strip()}"
    elif is_blank(value, zero_is_blank=False):
        text = f"{name} is missing: give a range with a header row"
    elif isinstance(value, str):
        text = (
            f"{name} must be a range with a header row, got the text '{value}'; worksheet functions "
            "never read files (use the xlmargin command or the Python API for files)"
        )
    else:
        text = f"{name} must be a range with a header row, got a {type(value).__name__}"
    raise InputError(Problem(text, None, name))


def sleeve_names(sleeve: str | None) -> tuple[str, ...]:
    """The sleeve names a ``sleeve`` parameter holds (comma-separated), lower-cased, sorted and
    without repeats; none (no filter) when it is blank."""
    return tuple(sorted({s.strip().lower() for s in (sleeve or "").split(",") if s.strip()}))


def select_sleeves(portfolio: Portfolio, names: Sequence[str]) -> Portfolio:
    """The positions whose ``sleeve`` is one of ``names`` (lower-case, as :func:`sleeve_names` gives
    them), compared case-insensitively with the text the reader made of the sleeve cell. Every name
    must match a sleeve: a misspelt one would otherwise leave a silently partial total."""
    sleeves = [None if s is None else str(s).lower() for s in portfolio.arrays["sleeve"].tolist()]
    missing = [name for name in names if name not in sleeves]
    if missing:
        found = sorted({str(s) for s in portfolio.arrays["sleeve"].tolist() if s is not None}) or ["none"]
        shown = ", ".join(f"'{name}'" for name in missing)
        noun = "sleeve" if len(missing) == 1 else "sleeves"
        raise InputError(
            Problem(f"no position is in {noun} {shown}; sleeves found: {', '.join(found)}", None, "sleeve")
        )
    wanted = set(names)
    return portfolio.select([s in wanted for s in sleeves])


def cached(
    kind: str, token: Hashable, options: Hashable, portfolio: Portfolio, compute: Callable[[], T]
) -> T:
    """An engine result, computed once per (engine, positions content, options). A hit must come from
    the very portfolio the positions cache just verified, so a hash collision can never leak."""
    return CACHE.get_or_compute((kind, token, options), compute, check=portfolio)


def finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise InputError(Problem(f"{what} is not a finite number; check the inputs"))
    return float(value)


EMPTY = "–"  # an empty label cell: an empty string is stored without a cached value, which
# LibreOffice and other viewers treat as "not computed" and recalculate (to #NAME? without the add-in)


def warnings_of(portfolio: Portfolio, result: Any) -> tuple[str, ...]:
    """What a result warns of, each once: the positions reader's warnings, then the engine's own
    (``result.warnings``: Reg T's pairing and currency notes, portfolio margin's eligibility and
    offset notes, the account view's segments')."""
    return tuple(dict.fromkeys([*portfolio.warnings, *getattr(result, "warnings", ())]))


def table(rows: list[list[Any]], warnings: Sequence[str] = ()) -> list[list[Any]]:
    """A rectangular 2-D list of str/float (int for a count or a row number), never None, NaN or an
    empty string; each of ``warnings`` becomes a last row ``["warning", text, ...]``, once, unless
    the rows already show it as a ``note`` or ``warning`` row (the stress tables' notes, a
    contribution's warnings)."""
    width = max((len(r) for r in rows), default=0)
    shown = {r[1] for r in rows if len(r) > 1 and r[0] in ("note", "warning")}
    added = [text for text in dict.fromkeys(warnings) if text not in shown]
    out = []
    for row in [*rows, *(["warning", text] for text in added)]:
        cells = []
        for cell in [*row, *([""] * (width - len(row)))]:
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                cells.append(EMPTY)
            elif isinstance(cell, float) and not math.isfinite(cell):
                raise InputError(Problem("a result cell is not a finite number; check the inputs"))
            elif isinstance(cell, dt.date):
                cells.append(cell.isoformat())
            else:
                cells.append(cell)
        out.append(cells)
    return out


def run(
    kind: str,
    positions: Any,
    params: Any,
    specs: Sequence[Param],
    engine: Callable[[Portfolio, dict[str, Any], dt.date], T],
    *options: Hashable,
    rows: Callable[[T], list[list[Any]]] | None = None,
    own_warnings: bool = True,
    unread: Callable[[str], str | None] | None = None,
) -> Any:
    """Read the params and positions, then run ``engine(portfolio, values, as_of)`` once per
    content: the shared path of every positions-based worksheet function. With ``rows`` (a
    breakdown), the result's rows as a :func:`table` that ends with the reader's and (unless not
    ``own_warnings``: a P&L grid, which the engine's notes on the requirement do not explain) the
    engine's warnings (:func:`warnings_of`), made
    once per result and view (a Reg T breakdown of the benchmark book is 14 ms of formatting) and
    handed out as a copy, so that a caller changing what it gets changes nothing kept. ``unread``:
    as :func:`params_of`'s."""
    values, as_of, sleeve, frozen = read_params_of(params, specs, unread)
    token, portfolio = portfolio_of(positions, as_of, sleeve)
    key = (as_of, frozen, *options)
    result = cached(kind, token, key, portfolio, lambda: engine(portfolio, values, as_of))
    if rows is None:
        return result
    warnings = warnings_of(portfolio, result) if own_warnings else portfolio.warnings
    if rows.__closure__:  # a view that depends on more than the result: made each time
        return table(rows(result), warnings)
    shown = CACHE.get_or_compute(
        ("table", kind, token, key, rows.__code__),
        lambda: table(rows(result), warnings),
        size_of(positions),
        check=result,
    )
    return [list(row) for row in shown]


# --- Reg T ---------------------------------------------------------------------------------------

# Strategy-based margin prices nothing, but accepts `rate` so one parameter block serves every function.
REGT_PARAMS: tuple[Param, ...] = (
    AS_OF,
    Param(
        "rate",
        "number",
        0.0,
        "not used by strategy-based margin (accepted so one params block serves all)",
        rate=True,
    ),
    REGT_EQUITY,
    *REGT_RULE_PARAMS,  # house.bonds and the unconfirmed [L] terms of regt.toml
)
BASES = ("initial", "maintenance")


def regt_result(positions: Any, basis: Any, net_of_proceeds: Any, params: Any, rows: Any = None) -> Any:
    from xlmargin.regt import regt_margin

    chosen = choice(basis, "basis", BASES, "initial")
    net = flag(net_of_proceeds, "net_of_proceeds")
    return run(
        "regt", positions, params, REGT_PARAMS,
        lambda p, v, d: regt_margin(
            p, basis=chosen, net_of_proceeds=net, equity=v["equity"], rules=regt_rules_of(v)
        ),
        chosen, net, rows=rows,
    )  # fmt: skip


def regt_margin(positions: Any, basis: Any = None, net_of_proceeds: Any = None, params: Any = None) -> float:
    return finite(regt_result(positions, basis, net_of_proceeds, params).total, "the Reg T requirement")


def regt_breakdown(
    positions: Any, basis: Any = None, net_of_proceeds: Any = None, params: Any = None
) -> list[list[Any]]:
    return regt_result(positions, basis, net_of_proceeds, params, rows=lambda r: r.table())


# --- portfolio margin ------------------------------------------------------------------------------


def pm_result(positions: Any, params: Any, rows: Any = None, own_warnings: bool = True) -> Any:
    from xlmargin.pm import PM_PARAMS, pm_requirement, pm_settings

    return run(
        "pm", positions, params, PM_PARAMS, lambda p, v, d: pm_requirement(p, pm_settings(v, d)),
        rows=rows, own_warnings=own_warnings,
    )  # fmt: skip


def pm_requirement(positions: Any, params: Any = None) -> float:
    return finite(pm_result(positions, params).requirement, "the portfolio-margin requirement")


def pm_scenarios(positions: Any, params: Any = None) -> list[list[Any]]:
    return pm_result(positions, params, rows=lambda r: r.scenarios_table(), own_warnings=False)


def pm_breakdown(positions: Any, params: Any = None) -> list[list[Any]]:
    return pm_result(positions, params, rows=lambda r: r.breakdown_table())


# --- futures (SPAN-style) ----------------------------------------------------------------------------


def futures_result(positions: Any, params: Any, rows: Any = None) -> Any:
    from xlmargin.span import SPAN_PARAMS, futures_margin, span_settings

    return run(
        "span",
        positions,
        params,
        SPAN_PARAMS,
        lambda p, v, d: futures_margin(p, span_settings(v, d)),
        rows=rows,
    )


def futures_margin(positions: Any, params: Any = None) -> float:
    return finite(futures_result(positions, params).requirement, "the futures requirement")


def futures_breakdown(positions: Any, params: Any = None) -> list[list[Any]]:
    return futures_result(positions, params, rows=lambda r: r.table())


# --- EU retail (ESMA) ----------------------------------------------------------------------------------


def esma_result(positions: Any, account_currency: Any, params: Any, rows: Any = None) -> Any:
    from xlmargin.esma import DEFAULT_ACCOUNT_CURRENCY, ESMA_PARAMS, esma_margin, esma_settings

    cell_error(account_currency, "account_currency")
    blank = is_blank(account_currency)
    currency = DEFAULT_ACCOUNT_CURRENCY if blank else str(account_currency).strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InputError(
            Problem(f"'{account_currency}' is not a currency code such as EUR", None, "account_currency")
        )
    return run(
        "esma", positions, params, ESMA_PARAMS,
        lambda p, v, d: esma_margin(p, currency, esma_settings(v, d)), currency, rows=rows,
    )  # fmt: skip


def esma_margin(positions: Any, account_currency: Any = None, params: Any = None) -> float:
    return finite(esma_result(positions, account_currency, params).total, "the ESMA initial margin")


def esma_breakdown(positions: Any, account_currency: Any = None, params: Any = None) -> list[list[Any]]:
    return esma_result(positions, account_currency, params, rows=lambda r: r.table())


# --- the account view and capacity ----------------------------------------------------------------------


def account_result(positions: Any, params: Any, rows: Any = None) -> Any:
    from xlmargin.account import ACCOUNT_PARAMS, account_margin, account_settings

    return run(
        "account", positions, params, ACCOUNT_PARAMS,
        lambda p, v, d: account_margin(p, account_settings(v, d)), rows=rows,
    )  # fmt: skip


def account_margin(positions: Any, params: Any = None) -> float:
    return finite(account_result(positions, params).total, "the account requirement")


def account_breakdown(positions: Any, params: Any = None) -> list[list[Any]]:
    return account_result(positions, params, rows=lambda r: r.table())


def margin_cushion(equity: Any, requirement: Any) -> list[list[Any]]:
    """One row: the excess of equity over the requirement, and that excess as a share of equity."""
    from xlmargin.capacity import margin_cushion as cushion

    excess, share = cushion(number(equity, "equity"), number(requirement, "requirement"))
    return table([[excess, share]])


def max_notional(positions: Any, equity: Any, regime: Any = None, params: Any = None) -> float:
    from xlmargin.capacity import CAPACITY_PARAMS, REGIMES, capacity_settings
    from xlmargin.capacity import max_notional as solve

    amount = number(equity, "equity")
    chosen = choice(regime, "regime", REGIMES, "pm")
    result = run(
        "max_notional", positions, params, CAPACITY_PARAMS,
        lambda p, v, d: solve(p, amount, chosen, capacity_settings(v, d)), amount, chosen,
        unread=unread_refusal(("MAX_NOTIONAL",), (chosen,)),
    )  # fmt: skip
    return finite(result.gross_notional, "the maximum notional")


# --- the cross-asset risk view (a house model, not a regulation) ------------------------------------


# A first call reads the range into over 10,000 short-lived objects (row copies, columns, keys)
# that hold no reference cycles; the collector's scans of them (about 1 ms of a 25 ms call on the
# benchmark book, more as the workbook's cached ranges grow the heap) find nothing to free.
@collector_paused()
def stress_result(
    kind: str,
    positions: Any,
    params: Any,
    covariance: Any,
    compute: Callable[[Portfolio, Any], T],
    *options: Hashable,
    rows: Any = None,
) -> Any:
    from xlmargin.stress import STRESS_PARAMS, stress_settings

    matrix = None if is_blank_range(covariance) else covariance
    return run(
        kind, positions, params, STRESS_PARAMS,
        lambda p, v, d: compute(p, stress_settings(v, d, matrix)), freeze(matrix), *options, rows=rows,
    )  # fmt: skip


def stress_pnl(positions: Any, scenario: Any, params: Any = None, covariance: Any = None) -> float:
    from xlmargin.stress import stress_pnl as pnl

    cell_error(scenario, "scenario")
    if is_blank(scenario):
        raise InputError(Problem("give a scenario id, e.g. E10 (STRESS_TABLE lists them)", None, "scenario"))
    name = str(scenario).strip()
    result = stress_result("stress_pnl", positions, params, covariance, lambda p, s: pnl(p, name, s), name)
    return finite(result.pnl, "the stress P&L")


def stress_table(positions: Any, params: Any = None, covariance: Any = None) -> list[list[Any]]:
    from xlmargin.stress import stress_table as grid

    return stress_result("stress_table", positions, params, covariance, grid, rows=lambda r: r)


def risk_margin(positions: Any, params: Any = None, covariance: Any = None) -> float:
    from xlmargin.stress import risk_margin as worst

    return finite(
        stress_result("risk_margin", positions, params, covariance, worst).requirement, "the risk margin"
    )


def risk_breakdown(positions: Any, params: Any = None, covariance: Any = None) -> list[list[Any]]:
    from xlmargin.stress import risk_margin as worst

    return stress_result("risk_margin", positions, params, covariance, worst, rows=lambda r: r.table())


# --- about -----------------------------------------------------------------------------------------


def xlm_version() -> str:
    """The package version and the id of every rule set, so a saved workbook shows what made it."""
    ids = "; ".join(f"{name} {rule_id}" for name, rule_id in rules.rule_set_ids().items())
    return f"xlmargin {__version__}; rules: {ids}"


def param_specs(engine: str) -> tuple[Param, ...]:
    """The parameters an engine's worksheet functions accept (besides ``sleeve``)."""
    if engine == "regt":
        return REGT_PARAMS
    if engine in ("pm", "span", "account", "stress"):  # the regime's engine's own
        return regime_params({"span": "futures", "stress": "risk"}.get(engine, engine))
    if engine == "esma":
        from xlmargin.esma import ESMA_PARAMS

        return ESMA_PARAMS
    if engine == "capacity":
        from xlmargin.capacity import CAPACITY_PARAMS

        return CAPACITY_PARAMS
    if engine == "decisions":
        from xlmargin.decisions import DECISION_PARAMS

        return DECISION_PARAMS
    raise InputError(Problem(f"no parameters are documented for '{engine}'"))


def param_table(engine: str, function: str = "") -> list[list[Any]]:
    """The parameters of an engine's worksheet functions, one per row: name, default, the regimes
    that read it (:func:`~xlmargin.regimes.regimes_reading`, under ``function`` where it computes a
    chosen regime), whether it accepts a '%' (a rate, ``Param.rate``) and meaning."""
    regimes = regimes_reading(function)
    under = "objectives" if function == "HEDGE_OPTIMIZE" else "regimes"  # its choices, as it names them
    rows: list[list[Any]] = [["parameter", "default", under, "accepts %", "meaning"]]  # the long text last
    for spec in (*param_specs(engine), SLEEVE):
        default = spec.default
        if isinstance(default, bool):
            default = "TRUE" if default else "FALSE"
        shown = "" if default is None else default
        rows.append([spec.name, shown, regimes(spec.name), "yes" if spec.rate else "no", spec.help])
    return table(rows)
