"""The Python API: every worksheet function as a snake_case function taking a DataFrame.

::

    import pandas as pd, xlmargin
    book = pd.read_csv("positions.csv")
    xlmargin.pm_requirement(book, as_of=date(2026, 12, 4), rate=0.04)   # a float, to the cent
    xlmargin.regt_margin(book, basis="maintenance")
    xlmargin.pm_breakdown(book)                                         # a DataFrame
    xlmargin.stress_table("positions.xlsx")                             # a path is read here

Each twin is made from the worksheet function's registry entry (:data:`xlmargin.excel.registry.FUNCTIONS`),
so a function added there has its twin here without more code: ``MARGIN_IMPACT`` becomes
``xlmargin.margin_impact``. The arguments keep their worksheet names and order. A table argument
(positions, trades, candidates, covariance) may be a DataFrame, a list of rows with the header first,
or the path of a CSV/XLSX positions file or a broker export; the API reads the file, the worksheet
layer never does. The optional params range becomes keyword arguments (``as_of=date``, ``rate=0.04``,
``offset_us_broad=0.5`` for ``offset.us_broad``; names match as in a params range) or a mapping
passed as ``params=``. A broker export sets what it sets on the command line (:func:`broker_params`),
the positions' or else a trades or candidates export's, and an export beside a table is checked as
``whatif`` and ``hedge`` check it (:func:`xlmargin.decisions.beside.unread_beside`). A scalar result
is a float rounded to the cent (:func:`xlmargin.money.cents`);
a table is a DataFrame whose columns are the table's header row. Errors raise
:class:`xlmargin.errors.XlMarginError` subclasses, never a ``#`` text.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.errors import InputError, Problem, XlMarginError, shown
from xlmargin.money import cents

if TYPE_CHECKING:
    import pandas as pd

    from xlmargin.brokers import BrokerTable
    from xlmargin.excel.registry import Function
    from xlmargin.params import Param
    from xlmargin.positions import Portfolio

TABLE_ARGS = ("positions", "trades", "candidates", "covariance")
BESIDE_ARGS = ("trades", "candidates")  # a decision's second table of positions: either may be an export
TableLike = Any  # a DataFrame, a list of rows (header first), or the path of a file
MAX_CELLS_KEYWORD = "max_cells"  # every twin's keyword limiting the files it reads (rows_of)


# --- tables in -----------------------------------------------------------------------------------


def rows_of(
    data: TableLike, *, sheet: str | None = None, table: str | None = None, max_cells: int | None = None
) -> list[list[Any]]:
    """A table argument as the worksheet functions take it: a list of rows, header first.

    A path is a CSV/XLSX positions file (``sheet``/``table`` pick a range inside a workbook; the
    header row is found) or a broker export, recognised from its content; a file of more than
    ``max_cells`` cells is refused before it is parsed (default: a workbook
    :data:`~xlmargin.files.MAX_CELLS`, a CSV or an export none), as ``--max-cells`` refuses it.
    """
    if isinstance(data, str | Path):
        from xlmargin.positions.source import read_file

        imported = broker_table(data, max_cells)
        if imported is not None:
            return imported.table()
        return read_file(Path(data), sheet, table, max_cells=max_cells)
    if type(data).__name__ == "DataFrame":
        return _frame_rows(data)
    if isinstance(data, list | tuple):
        return [list(r) if isinstance(r, list | tuple) else [r] for r in data]
    raise InputError(
        Problem(f"expected a DataFrame, a list of rows or a file path, got {type(data).__name__}")
    )


def _frame_rows(frame: pd.DataFrame) -> list[list[Any]]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InputError(Problem(f"expected a DataFrame, got {type(frame).__name__}"))
    if isinstance(frame.columns, pd.MultiIndex):
        raise InputError(
            Problem(
                f"the DataFrame's columns have {frame.columns.nlevels} levels: each is a tuple such as "
                f"{shown(repr(frame.columns[0]))} (as groupby().agg() with a list of functions makes "
                "them): give it one header row of positions-table names, e.g. "
                "df.columns = [name for name, _ in df.columns] when the second level only says how "
                "each column was aggregated"
            )
        )
    if not isinstance(frame.index, pd.RangeIndex) and any(n is not None for n in frame.index.names):
        frame = _index_as_columns(frame)
    frame = _periods_as_dates(frame)
    values = frame.astype(object).where(frame.notna(), None).values.tolist()
    header = [str(c) for c in frame.columns]
    if not isinstance(frame.index, pd.RangeIndex):  # a labelled index (a covariance matrix) is column one
        return [["", *header], *([str(i), *row] for i, row in zip(frame.index, values, strict=True))]
    return [header, *values]


def _index_as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose index has a name made columns again (``df.set_index("symbol")``): each named
    level a column, but a level named as one of the frame's own columns
    (``df.set_index("symbol", drop=False)``) is dropped where it holds that column's values, and
    refused where it holds others (which of the two is the symbol is not for the reader to guess)."""
    import pandas as pd

    names = list(frame.index.names)
    shared = [k for k, n in enumerate(names) if n is not None and n in frame.columns]
    for k in shared:
        name = names[k]
        level = pd.Series(frame.index.get_level_values(k), index=frame.index).astype(object)
        if not level.equals(frame[name].astype(object)):
            raise InputError(
                Problem(
                    f"the DataFrame's index is named {shown(str(name))}, as one of its columns, and "
                    "holds other values: drop the index (df.reset_index(drop=True)) or rename it "
                    "(df.rename_axis('...'))",
                    None,
                    str(name),
                )
            )
    if shared:
        frame = frame.reset_index(level=shared, drop=True)
    if isinstance(frame.index, pd.RangeIndex) or all(n is None for n in frame.index.names):
        return frame
    return frame.reset_index()


def _periods_as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose columns of daily periods (``pd.PeriodIndex(..., freq="D")``: an expiry) are
    their dates; a column of longer periods (a month, '2026-01') is refused naming it: which of its
    days is meant is not for the reader to guess."""
    import pandas as pd

    periods = [c for c in frame.columns if isinstance(frame[c].dtype, pd.PeriodDtype)]
    if not periods:
        return frame
    frame = frame.copy()
    for column in periods:
        dtype = frame[column].dtype
        if dtype.name != "period[D]":
            raise InputError(
                Problem(
                    f"a column of {dtype.name}, periods longer than a day: give its dates (a date "
                    "column, or periods of freq 'D')",
                    None,
                    str(column),
                )
            )
        frame[column] = frame[column].dt.to_timestamp()
    return frame


def broker_table(data: TableLike, max_cells: int | None = None) -> BrokerTable | None:
    """The broker export ``data`` names, imported (within ``max_cells``); None when it is not a path
    to one."""
    from xlmargin.brokers import detect, import_broker

    if isinstance(data, str | Path) and Path(data).is_file() and detect(Path(data)) is not None:
        return import_broker(data, max_cells=max_cells)
    return None


def read_positions(
    data: TableLike,
    *,
    as_of: Any = None,
    sheet: str | None = None,
    table: str | None = None,
    max_cells: int | None = None,
) -> Portfolio:
    """A validated portfolio from a DataFrame, a list of rows, a positions file or a broker export;
    ``as_of`` (default: today) is the valuation date: a date, an ISO text or an Excel serial number,
    as the twins' ``as_of`` takes it; ``max_cells`` as :func:`rows_of` takes it."""
    from xlmargin.brokers import detect, read_broker
    from xlmargin.cells import to_date
    from xlmargin.excel.functions import today
    from xlmargin.positions import read_positions as read

    when = today() if as_of is None else to_date(as_of)
    if when is None:
        message = f"{as_of!r} is not a date (use a date, an Excel serial number or YYYY-MM-DD)"
        raise InputError(Problem(message, None, "as_of"))
    if isinstance(data, str | Path) and Path(data).is_file() and detect(Path(data)) is not None:
        return read_broker(data, as_of=when, max_cells=max_cells)
    try:
        return read(rows_of(data, sheet=sheet, table=table, max_cells=max_cells), as_of=when)
    except XlMarginError as exc:
        positions = {"positions": data} if type(data).__name__ == "DataFrame" else {}
        raise frame_rows_noted(exc, positions) from None


def frame_rows_noted(error: XlMarginError, frames: Mapping[str, pd.DataFrame]) -> XlMarginError:
    """``error`` with a note (:meth:`BaseException.add_note`, printed under its message) saying
    which DataFrame row each row it names is: rows are numbered as in a sheet, the header being
    row 1, so row N is ``frame.iloc[N - 2]``, whose index label a filtered or sorted frame shows
    instead (row 4 of ``df[df.quantity != 0]`` may be label 7). Nothing when no table argument is
    a DataFrame; the rule alone, without labels, when two are (a row number does not say whose)."""
    if not frames:
        return error
    rule = "rows are numbered as in a sheet, the header being row 1: row N is the DataFrame's iloc[N - 2]"
    if len(frames) > 1:
        error.add_note(f"{rule} (in {' or '.join(frames)}, as the message says)")
        return error
    ((name, given),) = frames.items()
    labels = []
    for row in dict.fromkeys(p.row for p in error.problems if p.row is not None):
        if 2 <= row < len(given) + 2:
            label = given.index[row - 2]
            label = label.item() if hasattr(label, "item") else label  # np.int64(7) → 7
            labels.append(f"row {row} is {name}.iloc[{row - 2}] (index {label!r})")
    error.add_note(f"{rule}; " + "; ".join(labels) if labels else rule)
    return error


def import_broker(path: str | Path) -> pd.DataFrame:
    """A broker export (IBKR Flex XML, activity statement CSV, TWS/Portal portfolio CSV) as a
    positions DataFrame with the canonical columns."""
    import pandas as pd

    from xlmargin.brokers import import_broker as read

    table = read(path)
    return pd.DataFrame([list(r) for r in table.rows], columns=list(table.header))


# --- results out ---------------------------------------------------------------------------------


def frame(rows: list[list[Any]], columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A worksheet table as a DataFrame: the header row (a first row of texts) becomes the columns;
    a table without one (MARGIN_CUSHION's single row of figures) takes ``columns``, its function's
    names for them (numbered where it has none)."""
    import pandas as pd

    from xlmargin.excel.functions import EMPTY

    # the worksheet's placeholder for an empty label cell is a missing value in a DataFrame
    body = [[None if c == EMPTY else c for c in r] for r in rows]
    if body and all(isinstance(c, str) for c in rows[0]):
        return pd.DataFrame(body[1:], columns=list(rows[0]))
    return pd.DataFrame(body, columns=list(columns) or None)


def call(entry: Function, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run a worksheet function the Python way: tables read, params from keywords, results typed."""
    names = [a.name for a in entry.args]
    max_cells = kwargs.pop(MAX_CELLS_KEYWORD, None)  # the files' limit, no parameter (rows_of)
    values, params = _bind(entry, args, kwargs)
    imported = broker_table(values.get("positions"), max_cells)
    beside = next((n for n in BESIDE_ARGS if values.get(n) is not None), None)
    other = broker_table(values[beside], max_cells) if beside else None
    export = imported if imported is not None else other  # the positions', else the one beside them
    extra: dict[str, Any] = {}
    if export is not None:  # the readers write rates USD per unit
        regime = str(values.get("regime") or "")
        reads = _chosen_reads(entry, values)  # a regime's or objective's: where another's would be refused
        implied = broker_params(export, entry.params, params, values.get("account_currency"), regime, reads)
        if beside and (imported is None) != (other is None):  # an export beside a table
            extra["unread"] = _unread_beside(
                entry, values, params, export, "positions" if other else beside, max_cells
            )
        params = {**implied, **params}
    tables = {name: values[name] for name in TABLE_ARGS if values.get(name) is not None}  # as given
    for name in TABLE_ARGS:
        if values.get(name) is not None:
            export_of = {"positions": imported, beside: other}.get(name)  # read once
            read = export_of.table() if export_of is not None else rows_of(values[name], max_cells=max_cells)
            values[name] = read
    if "params" in names:
        values["params"] = params or None
    frames = {n: given for n, given in tables.items() if type(given).__name__ == "DataFrame"}
    try:
        result = entry.impl(*(values.get(n) for n in names), **extra)
    except XlMarginError as exc:
        raise frame_rows_noted(imported.explain(exc) if imported else exc, frames) from None
    if entry.shape == "table" and isinstance(result, list):  # not MARGIN_IMPACT's one change
        return frame(result, entry.columns)
    if isinstance(result, float):
        return cents(result)
    return result


def _chosen_reads(entry: Function, values: dict[str, Any]) -> tuple[Param, ...] | None:
    """What a function computing a chosen regime (a decision, MAX_NOTIONAL) reads under the regime
    or objective given, as its worksheet function chooses it (blank: pm; MARGIN_IMPACT's: every
    regime): :func:`xlmargin.regimes.function_reads`. None for another function, or a choice it
    refuses (it says so itself)."""
    from xlmargin.cells import is_blank
    from xlmargin.excel.functions import choice
    from xlmargin.regimes import choices_of, function_reads

    choices = choices_of(entry.name)
    if not choices:
        return None
    given = values.get("objective" if entry.name == "HEDGE_OPTIMIZE" else "regime")
    if entry.name == "MARGIN_IMPACT" and is_blank(given):
        chosen = choices
    else:
        try:
            chosen = (choice(given, "regime", choices, "pm"),)
        except XlMarginError:
            return None
    return tuple({s.name: s for r in chosen for s in function_reads(entry.name, r)}.values())


def _unread_beside(
    entry: Function,
    values: dict[str, Any],
    given: dict[str, Any],
    export: BrokerTable,
    name: str,
    max_cells: int | None = None,
) -> dict[str, XlMarginError]:
    """The regimes that cannot read the broker export ``export`` and the table ``name`` beside it
    (the positions, the trades or the candidates) alike: the command line's check
    (:func:`xlmargin.decisions.beside.unread_beside`), asked of every regime the decision may compute."""
    from xlmargin.decisions import REGIMES
    from xlmargin.decisions.beside import unread_beside
    from xlmargin.excel.functions import param_specs, params_of

    as_of = params_of(given or None, param_specs(entry.params or ""))[1]
    exported = next(n for n in ("positions", *BESIDE_ARGS) if n != name and values.get(n) is not None)
    table = rows_of(values[name], max_cells=max_cells)
    return unread_beside(export, table, (exported, name), as_of, given, REGIMES)


def broker_params(
    imported: Any,
    params_key: str | None,
    given: Mapping[str, Any],
    account_currency: Any,
    regime: str = "",
    reads: Sequence[Param] | None = None,
) -> dict[str, Any]:
    """The parameters a broker export implies to a function whose params (``params_key``) hold
    ``fx_rates`` (the account view, the ESMA functions, capacity, the decisions), those ``given``
    kept: :meth:`~xlmargin.brokers.BrokerTable.account_params`, in the account currency
    ``account_currency`` (the ESMA functions' argument, ``--account-currency``) or else its default,
    EUR for the ESMA functions and an ``esma`` regime (:data:`~xlmargin.esma.DEFAULT_ACCOUNT_CURRENCY`),
    USD otherwise. ``reads``: the parameters the caller reads, where fewer than ``params_key``'s (a
    decision command computing some regimes only refuses a parameter none of them reads). Nothing
    where ``fx_rates`` is not read. The one source of these settings: the Python API, ``xlmargin
    margin`` and the decision commands (through :func:`~xlmargin.cliargs.with_broker_params`)."""
    from xlmargin.dollars import ENGINE_CURRENCY
    from xlmargin.esma import DEFAULT_ACCOUNT_CURRENCY
    from xlmargin.excel.functions import param_specs

    if reads is None:
        reads = () if params_key is None else param_specs(params_key)
    if not any(spec.name == "fx_rates" for spec in reads):
        return {}
    esma = params_key == "esma" or regime.strip().lower() == "esma"
    default = DEFAULT_ACCOUNT_CURRENCY if esma else ENGINE_CURRENCY
    return dict(imported.account_params(given, account_currency, default))


def _bind(
    entry: Function, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The arguments by name and the params, from a Python call's positional and keyword
    arguments (a keyword that is not an argument is a param, when the function takes params)."""
    names = [a.name for a in entry.args]
    takes_params = "params" in names
    positional = [n for n in names if n != "params"]
    if len(args) > len(positional):
        raise TypeError(
            f"{entry.name.lower()}() takes {len(positional)} positional arguments, got {len(args)}"
        )
    values: dict[str, Any] = dict(zip(positional, args, strict=False))
    params = _given_params(kwargs)
    for key, value in kwargs.items():
        if key in positional:
            if key in values:
                raise TypeError(f"{entry.name.lower()}() got two values for '{key}'")
            values[key] = value
        elif takes_params:
            params[key] = value
        else:
            raise TypeError(f"{entry.name.lower()}() got an unexpected keyword argument '{key}'")
    return values, params


def _given_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The ``params=`` mapping taken out of ``kwargs`` (a copy; empty when not given)."""
    given = kwargs.pop("params", None)
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise TypeError("params must be a mapping of parameter names to values")
    return dict(given)


def twin(entry: Function) -> Callable[..., Any]:
    """The Python function for one worksheet function: signature and help from its registry entry."""

    def function(*args: Any, **kwargs: Any) -> Any:
        return call(entry, args, kwargs)

    parameters = []
    for arg in entry.args:
        if arg.name == "params":
            continue
        default = None if arg.optional else inspect.Parameter.empty
        annotation = "TableLike" if arg.name in TABLE_ARGS else "Any"
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        parameters.append(inspect.Parameter(arg.name, kind, default=default, annotation=annotation))
    if any(a.name == "params" for a in entry.args):
        parameters.append(inspect.Parameter("params", inspect.Parameter.VAR_KEYWORD, annotation="Any"))
    returns = "pd.DataFrame" if entry.shape == "table" else "float"
    function.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    function.__name__ = function.__qualname__ = entry.name.lower()
    function.__module__ = __name__
    lines = [entry.summary, "", f"The twin of ={entry.signature} in Excel.", ""]
    lines += [f"{a.name}: {a.help}" for a in entry.args if a.name != "params"]
    if any(a.name == "params" for a in entry.args):
        lines.append("**params: parameters by name (as_of=date, rate=0.04, ...); XLM_PARAMS lists them.")
    lines.append("max_cells=N (a keyword of every twin): a file of more cells is refused before it is read.")
    function.__doc__ = "\n".join(lines)
    return function


# --- the core twins, spelled out for editors and type checkers ------------------------------------


def pm_requirement(positions: TableLike, **params: Any) -> float:
    """Portfolio margin (FINRA 4210(g), OCC TIMS method) of a book, to the cent."""
    return float(_call("PM_REQUIREMENT", (positions,), params))


def pm_breakdown(positions: TableLike, **params: Any) -> pd.DataFrame:
    """Portfolio-margin breakdown per class and product group, as a DataFrame."""
    result: pd.DataFrame = _call("PM_BREAKDOWN", (positions,), params)
    return result


def regt_margin(
    positions: TableLike, basis: str = "initial", net_of_proceeds: bool = False, **params: Any
) -> float:
    """Strategy-based (Reg T / FINRA 4210) margin, initial or maintenance, to the cent."""
    return float(_call("REGT_MARGIN", (positions, basis, net_of_proceeds), params))


def stress_table(positions: TableLike, covariance: TableLike | None = None, **params: Any) -> pd.DataFrame:
    """The house stress library with the book's P&L under each scenario, worst first."""
    result: pd.DataFrame = _call("STRESS_TABLE", (positions,), {**params, "covariance": covariance})
    return result


def _call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    from xlmargin.excel.registry import BY_NAME

    return call(BY_NAME[name], args, dict(kwargs))


EXPLICIT = {"pm_requirement": pm_requirement, "pm_breakdown": pm_breakdown,
            "regt_margin": regt_margin, "stress_table": stress_table}  # fmt: skip


def twins() -> dict[str, Callable[..., Any]]:
    """Every worksheet function's Python twin, by snake_case name."""
    from xlmargin.excel.registry import FUNCTIONS

    return {f.name.lower(): EXPLICIT.get(f.name.lower()) or twin(f) for f in FUNCTIONS}


def __getattr__(name: str) -> Any:
    found = twins().get(name)
    if found is None:
        raise AttributeError(f"module 'xlmargin.api' has no attribute '{name}'")
    globals()[name] = found
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *twins()})
