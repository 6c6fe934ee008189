"""Many accounts in one table: one row of figures per account, or its error, never a stopped batch.

An IBKR Flex report of several accounts is read by :mod:`xlmargin.batch.sources` into groups of
accounts implying the same parameters, each group a table margined as below with its parameters;
each account's error is kept as the exception until its row is made, there explained in the
export's field names.

The table is read once (the positions reader, rows numbered as in the table, header = 1) after
the account column is set aside. Rows the reader refuses make their account an error row with
the reader's own message; the other accounts are margined:

- ``pm``: every distinct contract of the union priced once, then all accounts' account steps at
  once (:mod:`xlmargin.batch.pm`); accounts the union cannot stand for go one by one;
- ``risk``: the accounts of a part valued as one book (every distinct contract priced once), each
  account's figures then taken from its own rows as the engine takes them alone
  (:func:`xlmargin.stress.risk_margins`);
- ``regt``: the accounts of a part paired in one engine call, each account's class groups renamed
  apart (the pairing never spans two class groups), so that their programs are stacked into a few
  solves; each account's figures are the sums of its own groups (:func:`xlmargin.regt.regt_margins`);
- ``account``: with Reg T for securities, the accounts' securities paired in one call as under
  ``regt``, then each account's view made with its own Reg T result; with portfolio margin for
  securities, one engine call per account.

An account holding a row the part's engine call refuses is taken out and goes alone, where it gets
its own error; a Reg T part whose solve reaches the time limit goes one account at a time, as each
would alone.

With Dask (``dask=`` a ``distributed.Client``, a scheduler address, or ``"local"``) the accounts are
cut into partitions; the PM risk arrays are computed once, scattered to every worker, and each
partition's account step runs there. Only numpy arrays, plain numbers and strings travel; the
workers need xlmargin installed, the client's version (checked before any work is sent; an address
is connected to under one deadline: :mod:`xlmargin.batch.cluster`). Results equal the single-process run.

Each account's warnings are those of its engine on the account alone, however it was valued: the
PM account step's made for all accounts at once from the union's arrays
(:func:`xlmargin.batch.pm.pm_warnings`, in the main process), Reg T's kept per class group of the
pairing call, the risk view's naming the account's own rows (``Book.warnings_by``, all accounts in one pass).

With an equity column (:mod:`xlmargin.batch.equity`) each account's engine is given its own equity:
the PM account step's eligibility warning made per account, Reg T's minimum-equity check added to
each account's result of the pairing call (``with_minimum_equity``, as ``regt_margin`` adds it),
the account view made with settings holding the account's equity; each account's equity travels
to a Dask worker with its part, as a plain number.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from xlmargin.batch.accounts import RETRIES, Accounts, Part, bar, joined, message, read_accounts
from xlmargin.batch.cluster import dask_client
from xlmargin.batch.sources import WARNINGS
from xlmargin.errors import InputError, Problem, XlMarginError
from xlmargin.house_bonds import regt_rules_of
from xlmargin.money import cents
from xlmargin.params import Param, norm, read_params
from xlmargin.positions import Portfolio
from xlmargin.regimes import regime_params

if TYPE_CHECKING:  # the account view is imported where a regime needs it
    from xlmargin.account import AccountSettings

REGIMES = ("pm", "regt", "account", "risk")
_Figures = dict[str, Any]  # an account's figures by column, and its engine's warnings
PARTITION = 100  # accounts per engine-call partition: the unit of progress and of Dask tasks
# ... but where the accounts of a part are valued together (``TOGETHER``), larger parts save more
# in one process: 1,000 accounts of 50 positions are a book of 50,000 rows.
TOGETHER_PARTITION = 1000


def batch(
    data: Any,
    by: str = "account",
    regime: str = "pm",
    params: Mapping[str, Any] | Sequence[Any] | None = None,
    *,
    equity: str | float | None = None,
    dask: Any = None,
    progress: bool | None = None,
    today: dt.date | None = None,
    max_cells: int | None = None,
    **more: Any,
) -> Any:
    """One row per account of ``data`` under ``regime`` (pm, regt, account or risk): a DataFrame.

    ``data`` is a DataFrame or a list of rows (header first) with the ``by`` column naming each
    row's account, or the path of such a file (CSV, XLSX or Parquet, read as ``xlmargin batch``
    reads it), or the path of an IBKR Flex Query report of several accounts: each position's
    ``accountId`` is its account (``by`` left out, or ``"accountId"``; another is refused), read as
    ``xlmargin margin`` reads a report of that account alone (:mod:`xlmargin.batch.sources`).
    Columns: ``account``, ``positions``, ``requirement`` and the regime's key figures, ``error``
    ("" when the account was margined; else its one-line message and empty figures), ``warnings``
    (the account's warnings as ``xlmargin margin`` gives them for it alone, joined by " | "; ""
    when none or when it erred; a report's account's own export's warnings first). ``params``
    (a mapping, or ``name=value`` strings, each name once) and keyword arguments (a keyword replaces
    the parameter of its name) are the regime's parameters, as for its worksheet function (``as_of``
    defaults to ``today``, itself defaulting to the date).
    ``equity`` (text) names the column of ``data`` holding each account's equity
    (:mod:`xlmargin.batch.equity`): the results then hold ``equity``, ``excess`` and ``cushion``
    before ``error``, and each account's minimum-equity warnings (portfolio margin's 4210(g)
    eligibility, Reg T's 4210(b)(2) minimum) are those of its engine given its own equity; a number
    is the ``equity`` parameter, as before (the same for every account, ``pm`` and ``account``).
    ``progress`` shows a bar on stderr (default: when stderr is a terminal). ``dask`` runs the
    partitions on a Dask cluster (see the module docstring). ``max_cells``: a file of more cells is
    refused before it is parsed (default: a workbook
    :data:`~xlmargin.positions.sheets.MAX_CELLS`, a CSV, Parquet or Flex report none).
    """
    from xlmargin.batch.sources import flex_account_column, flex_equity, read_table
    from xlmargin.brokers import detect

    if regime not in REGIMES:
        raise InputError(
            Problem(f"regime must be one of {', '.join(REGIMES)}, got '{regime}'", None, "regime")
        )
    column = equity if isinstance(equity, str) else None
    if equity is not None and column is None:
        more = {**more, "equity": equity}  # the parameter, as a keyword (before the equity column was)
    rows = _param_rows(params, more)
    values = _values(regime, rows, today)
    if column is not None and values.get("equity") is not None:
        raise InputError(Problem(BOTH, None, "equity"))
    show = sys.stderr.isatty() if progress is None else progress
    if isinstance(data, str | Path):
        if (kind := detect(Path(data))) is not None:
            if kind == "ibkr-flex" and (why := flex_account_column(by, "by")) is not None:
                raise InputError(Problem(why, None, "by"))
            if kind == "ibkr-flex" and column is not None:
                raise InputError(Problem(flex_equity("equity"), None, "equity"))
            return _export_batch(Path(data), regime, rows, values, dask, show, max_cells)
        data = read_table(Path(data), max_cells)
    accounts = read_accounts(data, by, values["as_of"], column)
    with dask_client(dask) as client:
        return _frame(regime, values, accounts, client, show)


def _param_rows(params: Mapping[str, Any] | Sequence[Any] | None, more: Mapping[str, Any]) -> list[list[Any]]:
    """``params`` and the keywords ``more`` as a params range's rows: a keyword replaces the
    parameter of its name; a name ``params`` gives twice is left for read_params to refuse, as the
    command line's --param is (a dict of the pairs kept the last one silently)."""
    given = params.items() if isinstance(params, Mapping) else _named(params)
    replaced = {norm(name) for name in more}
    rows = [[] if norm(str(name)) in replaced else [str(name), value] for name, value in given]
    return [*rows, *([name, value] for name, value in more.items())]


def _values(regime: str, rows: list[list[Any]], today: dt.date | None) -> dict[str, Any]:
    """The regime's parameters read from ``rows``, the valuation date given or ``today``."""
    values = read_params(rows, specs(regime))
    given_date = values.get("as_of")
    as_of = given_date if isinstance(given_date, dt.date) else today
    if as_of is None:
        # the engine never reads the clock: the caller (the command line, the Python API) says which day
        raise InputError(Problem("give the valuation date: as_of=YYYY-MM-DD", None, "as_of"))
    values["as_of"] = as_of
    return values


def _export_batch(
    path: Path,
    regime: str,
    rows: list[list[Any]],
    values: Mapping[str, Any],
    dask: Any,
    show: bool,
    max_cells: int | None = None,
) -> Any:
    """The accounts of a Flex report: each group of accounts implying the same parameters margined
    as one table, with those parameters; an account the export cannot be read for, its error row."""
    from xlmargin.batch.sources import ACCOUNT, read_export

    given = {str(row[0]): row[1] for row in rows if row}
    export = read_export(path, specs(regime), given, max_cells)
    frames = []
    with dask_client(dask) as client:
        for group in export.groups:
            own = _values(regime, [*rows, *([n, v] for n, v in group.params.items())], values["as_of"])
            accounts = read_accounts(group.table(), ACCOUNT, own["as_of"])
            frames.append(_frame(regime, own, accounts, client, show, group.explain))
    return export.frame(frames, FIGURES[regime], message)


def _frame(
    regime: str,
    values: Mapping[str, Any],
    accounts: Accounts,
    client: Any,
    show: bool,
    explain: Callable[[str, XlMarginError], XlMarginError] | None = None,
) -> Any:
    """The accounts' results as a DataFrame: figures, or each erring account's message (its error
    first given to ``explain`` with the account's name)."""
    import pandas as pd

    figures, failed = _run(regime, values, accounts, client, show)
    errors = {**accounts.errors, **failed}
    if explain is not None:
        errors = {i: explain(accounts.names[i], exc) for i, exc in errors.items()}
    n = len(accounts.names)
    out = {
        "account": accounts.names,
        "positions": accounts.positions.tolist(),
        **{c: [np.nan if i in errors else figures[i][c] for i in range(n)] for c in FIGURES[regime]},
        **_equity_columns(accounts, figures, errors),
        "error": [message(errors[i]) if i in errors else "" for i in range(n)],
        WARNINGS: [
            "" if i in errors else joined([*accounts.warnings.get(i, ()), *figures[i].get("warnings", ())])
            for i in range(n)
        ],
    }
    frame = pd.DataFrame(out)
    # the reader's on the file as a whole (those on an account's rows are in its ``warnings`` cell)
    frame.attrs[WARNINGS] = [(text, "") for text in accounts.file_warnings()]
    return frame


def _equity_columns(
    accounts: Accounts, figures: Mapping[int, Mapping[str, Any]], errors: Mapping[int, XlMarginError]
) -> dict[str, list[float]]:
    """The results' equity columns (:mod:`xlmargin.batch.equity`) when the table has an equity
    column: each margined account's equity, excess and cushion on its requirement; blank on an
    error row."""
    from xlmargin.batch.equity import equity_columns

    if accounts.equity is None:
        return {}
    n = len(accounts.names)
    return equity_columns(
        accounts.equity, [None if i in errors else figures[i]["requirement"] for i in range(n)]
    )


# Refused: the equity given twice (an account's row would say which one its figures used)
BOTH = (
    "give the accounts' equity either as a column (equity='NAME', --equity-column) or as the equity "
    "parameter (the same for every account), not both"
)


# --- regimes ---------------------------------------------------------------------------------

FIGURES: dict[str, tuple[str, ...]] = {
    "pm": ("requirement", "regulatory", "initial", "minimum"),
    "regt": ("requirement", "gross", "net"),
    "account": ("requirement", "securities", "futures", "fx/cfd"),
    "risk": ("requirement", "scenario", "correlation_break_loss", "no_offset_requirement", "gross_exposure"),
}


def specs(regime: str) -> tuple[Param, ...]:
    """The parameters ``regime`` accepts: its engine's (:func:`xlmargin.regimes.regime_params`),
    and under ``regt`` the basis and convention of the figure, which the batch takes as parameters."""
    if regime == "regt":
        from xlmargin.regt import BASES

        return (
            *regime_params("regt"),
            Param("basis", "choice", "initial", "initial (default) or maintenance", choices=BASES),
            Param(
                "net_of_proceeds", "bool", False, "the Cboe net-of-proceeds figure instead of FINRA's gross"
            ),
        )
    return regime_params(regime)


def one_account(regime: str, values: Mapping[str, Any]) -> Callable[[Portfolio, float | None], _Figures]:
    """The figures of one account's portfolio under ``regime``, given its equity from the equity
    column (None: none, the settings' own; settings built once)."""
    as_of = values["as_of"]
    if regime == "pm":
        from xlmargin.pm import pm_requirement, pm_settings

        pm = pm_settings(values, as_of)

        def pm_figures(p: Portfolio, equity: float | None) -> dict[str, Any]:
            r = pm_requirement(p, pm if equity is None else replace(pm, equity=equity))
            return {
                "requirement": r.requirement,
                "regulatory": r.regulatory,
                "initial": r.initial,
                "minimum": r.minimum,
                "warnings": r.warnings,
            }

        return pm_figures
    if regime == "regt":
        from xlmargin.regt import regt_margin

        rules = regt_rules_of(values)

        def regt_figures(p: Portfolio, equity: float | None) -> dict[str, Any]:
            net = bool(values["net_of_proceeds"])
            own = values["equity"] if equity is None else equity  # the column's, else the parameter's
            found = regt_margin(p, basis=values["basis"], net_of_proceeds=net, equity=own, rules=rules)
            return _regt_figures(found)

        return regt_figures
    if regime == "account":
        from xlmargin.account import account_margin, account_settings

        settings = account_settings(values, as_of)

        def account_figures(p: Portfolio, equity: float | None) -> dict[str, Any]:
            return _account_figures(account_margin(p, _with_equity(settings, equity)))

        return account_figures
    from xlmargin.stress import risk_margin, stress_settings

    stress = stress_settings(values, as_of)

    def risk_figures(p: Portfolio, equity: float | None) -> dict[str, Any]:
        return _risk_figures(risk_margin(p, stress))  # no rule of the risk view reads the equity

    return risk_figures


def run_accounts(
    regime: str, values: Mapping[str, Any], part: Part, equity: Mapping[int, float] | None = None
) -> tuple[dict[int, dict[str, Any]], dict[int, XlMarginError]]:
    """Each account's figures, or its error message: under the regimes of ``TOGETHER`` the accounts
    valued together (:func:`together`), the rest one engine call per account. ``equity``: the
    equity of the accounts the equity column gives one."""
    figures: dict[int, dict[str, Any]] = {}
    errors: dict[int, XlMarginError] = {}
    own = equity or {}
    value = TOGETHER[regime](values) if regime in TOGETHER else None
    books = together(value, values["as_of"], part, figures, own) if value is not None else part.books()
    figures_of = one_account(regime, values)
    for code, arrays in books:
        try:
            figures[code] = figures_of(Portfolio(arrays, values["as_of"]), own.get(code))
        except XlMarginError as exc:
            errors[code] = exc  # its message made where it can be explained (a Dask worker sends it back)
    return figures, errors


_Book = tuple[int, dict[str, np.ndarray]]  # an account's code and its portfolio's arrays
# The figures of many accounts from one book of their rows, account k the rows bounds[k]..bounds[k+1]
# with the equity equity[k] (None: none given); None for an account (or all of them) to be valued
# alone after all
_Equity = list[float | None]
_Together = Callable[[Portfolio, list[int], _Equity], Sequence[dict[str, Any] | None] | None]


def together(
    value: _Together,
    as_of: dt.date,
    part: Part,
    figures: dict[int, dict[str, Any]],
    equity: Mapping[int, float],
) -> list[_Book]:
    """The figures of many accounts from one engine call on their rows together (``value``), into
    ``figures``. Returns the accounts to value alone: those holding a row the union's engine call
    refuses (each then gets its own error), or all of them after ``RETRIES`` refusals, one that
    names no row, or when ``value`` says so (None, for one account or for all)."""
    alone: list[_Book] = []
    for _ in range(RETRIES):
        if len(part.codes) < 2:
            break
        try:
            found = value(part.portfolio(as_of), part.bounds, [equity.get(code) for code in part.codes])
        except XlMarginError as exc:
            named = [p.row for p in exc.problems if p.row is not None]
            if not named:
                break
            rows = part.arrays["row"]
            refused = [bool(np.isin(rows[lo:hi], named).any()) for lo, hi in itertools.pairwise(part.bounds)]
            if not any(refused):  # rows of no account here: the same call would fail again
                break
            alone += part.only(refused).books()
            part = part.only([not bad for bad in refused])
            continue
        if found is None:
            break
        figures.update({code: f for code, f in zip(part.codes, found, strict=True) if f is not None})
        return alone + part.only([f is None for f in found]).books()
    return alone + part.books()


def _risk_together(values: Mapping[str, Any]) -> _Together:
    """The house risk view of many accounts: the book valued once (every distinct contract priced
    once), each account's figures from its own rows as alone (:func:`xlmargin.stress.risk_margins`)."""
    from xlmargin.stress import risk_margins, stress_settings

    settings = stress_settings(values, values["as_of"])

    def value(union: Portfolio, bounds: list[int], equity: _Equity) -> list[dict[str, Any]]:
        return [_risk_figures(r) for r in risk_margins(union, settings, bounds)]

    return value


def _regt_together(values: Mapping[str, Any]) -> _Together:
    """Reg T for many accounts in one pairing call (:func:`xlmargin.regt.regt_margins`), then FINRA
    4210(b)(2)'s minimum-equity check of each account given its equity, as ``regt_margin`` adds it."""
    from xlmargin.regt import regt_margins, with_minimum_equity

    basis, net_of_proceeds = values["basis"], bool(values["net_of_proceeds"])
    rules = regt_rules_of(values)
    given = values["equity"]  # the parameter, every account's where the column gives none

    def value(union: Portfolio, bounds: list[int], equity: _Equity) -> list[dict[str, Any]] | None:
        results = regt_margins(union, bounds, basis=basis, net_of_proceeds=net_of_proceeds, rules=rules)
        if results is None:
            return None
        own = [given if e is None else e for e in equity]
        return [
            _regt_figures(r if e is None else with_minimum_equity(r, union.part(lo, hi), e, rules))
            for r, e, (lo, hi) in zip(results, own, itertools.pairwise(bounds), strict=True)
        ]

    return value


def _account_together(values: Mapping[str, Any]) -> _Together:
    """The account view for many accounts: their securities valued at once (Reg T: paired in one
    call; portfolio margin: every distinct contract priced once), then each account's view as alone
    with its own securities figures (:func:`xlmargin.account.account_margin`'s ``securities``)."""
    from xlmargin.account import SEGMENTS, account_margin, account_settings

    settings = account_settings(values, values["as_of"])
    securities = SEGMENTS["securities"]
    valued = _regt_securities(settings) if settings.securities == "regt" else _pm_securities(settings)

    def value(union: Portfolio, bounds: list[int], equity: _Equity) -> list[dict[str, Any] | None] | None:
        codes, types = union.codes("type")  # found once here, then carried to each account's part
        held = np.array([t in securities for t in types], dtype=bool)[codes]
        owner = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
        own_bounds = np.searchsorted(owner[held], np.arange(len(bounds))).tolist()
        found = valued(union.select(held), own_bounds, equity)
        if found is None:
            return None
        out: list[dict[str, Any] | None] = []
        for (lo, hi), own, e in zip(itertools.pairwise(bounds), found, equity, strict=True):
            if own is None:  # its securities are not valued with the others': the account alone
                out.append(None)
                continue
            try:
                view = account_margin(union.part(lo, hi), _with_equity(settings, e), securities=own)
                out.append(_account_figures(view))
            except XlMarginError:  # another segment refuses a row: that account alone, for its error
                out.append(None)
        return out

    return value


# The securities of many accounts (one book, account k the rows bounds[k]..bounds[k+1], its equity
# equity[k]) valued at once: each account's figures (None: value that account alone), or None for all
_Securities = Callable[[Portfolio, list[int], _Equity], Sequence[Any | None] | None]


def _regt_securities(settings: AccountSettings) -> _Securities:
    """Reg T: the accounts' securities paired in one call (None when the time limit cut it short)."""
    from xlmargin.account import securities_in_usd
    from xlmargin.regt import regt_margins

    def value(book: Portfolio, bounds: list[int], equity: _Equity) -> Sequence[Any | None] | None:
        # (the minimum-equity check is account_margin's, on each account's result)
        usd = securities_in_usd(book, settings)
        return regt_margins(usd, bounds, basis=settings.basis, rules=settings.regt_rules)

    return value


def _pm_securities(settings: AccountSettings) -> _Securities:
    """Portfolio margin: the accounts' securities priced as one book and each account's figure found
    by the PM batch's account step (:mod:`xlmargin.batch.pm`), on the account view's basis (the
    initial figure or the requirement). An account the union would not treat as its own book
    (:func:`~xlmargin.batch.pm.irregular_accounts`: a bond, say) is valued alone; a pricing that
    refuses named rows raises, and :func:`together` values their accounts alone."""
    from xlmargin.account import SecuritiesFigures, equity_in_usd, pm_in_usd, securities_in_usd
    from xlmargin.batch.pm import account_figures, irregular_accounts, pm_warnings, shared_risk
    from xlmargin.pm.risk import risk_arrays

    figure = "initial" if settings.basis == "initial" else "requirement"

    def value(book: Portfolio, bounds: list[int], equity: _Equity) -> list[SecuritiesFigures | None]:
        # as account_margin passes it: the equity of the eligibility warning in USD. Found here, in
        # the call together() guards: a missing fx.USD names no row, so each account is valued alone
        # (an error row for one holding securities, figures for the others), not the batch refused
        pm = pm_in_usd(settings)
        book = securities_in_usd(book, settings)  # as account_margin converts each account's
        n = len(bounds) - 1
        # each account's equity in US dollars, as pm_in_usd passes it to the eligibility check
        given = any(e is not None for e in equity)
        own = [equity_in_usd(_with_equity(settings, e)) for e in equity] if given else None
        account = np.repeat(np.arange(n), np.diff(bounds))
        regular = ~irregular_accounts(book, account, n, settings.pm)
        keep = regular[account]
        found = np.zeros(n)
        warnings: list[tuple[str, ...]] = [()] * n
        if keep.any():
            risk = risk_arrays(book.select(keep), pm)
            local = account[keep][risk.index]  # each covered row's account
            rows = np.argsort(local, kind="stable")
            step = account_figures(shared_risk(risk), rows, local[rows], risk.quantity[rows], n)
            found = step[figure]
            dollars = None if own is None else np.array([np.nan if e is None else e for e in own])
            warnings = pm_warnings(risk, local, n, step["requirement"], step["regulatory"], dollars)
        return [
            SecuritiesFigures(cents(x), x, settings.basis, w) if own else None
            for x, own, w in zip(found.tolist(), regular.tolist(), warnings, strict=True)
        ]

    return value


TOGETHER: dict[str, Callable[[Mapping[str, Any]], _Together | None]] = {
    "risk": _risk_together,
    "regt": _regt_together,
    "account": _account_together,
}


def _with_equity(settings: AccountSettings, equity: float | None) -> AccountSettings:
    """The account view's settings with an account's own ``equity`` (None: the settings' own)."""
    return settings if equity is None else replace(settings, pm=replace(settings.pm, equity=equity))


def _account_figures(r: Any) -> dict[str, Any]:
    segments = {line.segment: cents(line.requirement) for line in r.lines}
    figures = {s: segments.get(s, 0.0) for s in FIGURES["account"][1:]}
    return {"requirement": cents(r.total), **figures, "warnings": r.warnings}


def _regt_figures(r: Any) -> dict[str, Any]:
    return {"requirement": r.total, "gross": r.gross, "net": r.net, "warnings": r.warnings}


def _risk_figures(r: Any) -> dict[str, Any]:
    return {
        "requirement": cents(r.requirement),
        "scenario": r.scenario_id,
        "correlation_break_loss": cents(r.correlation_break_loss),
        "no_offset_requirement": cents(r.no_offset_requirement),
        "gross_exposure": cents(r.gross_exposure),
        "warnings": r.warnings,
    }


# --- running ---------------------------------------------------------------------------------


def _run(
    regime: str, values: Mapping[str, Any], accounts: Accounts, client: Any, show: bool
) -> tuple[dict[int, dict[str, Any]], dict[int, XlMarginError]]:
    todo = [i for i in range(len(accounts.names)) if i not in accounts.errors]
    figures: dict[int, dict[str, Any]] = {}
    errors: dict[int, XlMarginError] = {}
    if regime == "pm" and todo:
        from xlmargin.batch.pm import pm_batch

        todo = pm_batch(values, accounts, todo, client, show, figures)
    # one process: large parts (each contract priced, each program stacked, once per part); on a
    # cluster, parts of PARTITION accounts, so that every worker has some
    grouped = regime in TOGETHER and TOGETHER[regime](values) is not None
    size = TOGETHER_PARTITION if grouped and client is None else PARTITION
    parts = [todo[i : i + size] for i in range(0, len(todo), size)]
    if client is not None:
        futures = [
            client.submit(run_accounts, regime, dict(values), accounts.part(p), accounts.equity_of(p))
            for p in parts
        ]
        results: Iterable[Any] = (future.result() for future in futures)
    else:
        results = (run_accounts(regime, values, accounts.part(p), accounts.equity_of(p)) for p in parts)
    for found, failed in bar(results, len(parts), show):
        figures.update(found)
        errors.update(failed)
    return figures, errors


# --- helpers ---------------------------------------------------------------------------------


def _named(params: Sequence[Any] | None) -> Iterator[tuple[str, Any]]:
    """``name=value`` strings as pairs (the CLI's ``--param``)."""
    for item in params or ():
        name, sep, value = str(item).partition("=")
        if not sep:
            raise InputError(Problem(f"'{item}' is not NAME=VALUE", None, "params"))
        yield name.strip(), value.strip()


__all__ = ["FIGURES", "REGIMES", "Accounts", "batch", "read_accounts", "run_accounts", "specs"]
