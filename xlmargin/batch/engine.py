"""Many accounts in one table: one row of figures per account, or its error, never a stopped batch.

The table is read once (the positions reader, rows numbered as in the table, header = 1) after
the account column is set aside. Rows the reader refuses make their account an error row with
the reader's own message; the other accounts are margined:

- ``pm``: every distinct contract of the union priced once, then all accounts' account steps at
  once (:mod:`xlmargin.batch.pm`); accounts the union cannot stand for go one by one;
- ``regt``, ``account``, ``risk``: one engine call per account (Reg T pairing, the account view,
  the house stress view are not linear in the quantities).

With Dask (``dask=`` a ``distributed.Client``, a scheduler address, or ``"local"``) the accounts are
cut into partitions; the PM risk arrays are computed once, scattered to every worker, and each
partition's account step runs there. Only numpy arrays, plain numbers and strings travel; the
workers need xlmargin installed. Results equal the single-process run.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin._typing import IntArray
from xlmargin.errors import InputError, Problem, XlMarginError
from xlmargin.params import AS_OF, Param, read_params, today_if_missing
from xlmargin.positions import Portfolio, read_positions

REGIMES = ("pm", "regt", "account", "risk")
PARTITION = 100  # accounts per engine-call partition: the unit of progress and of Dask tasks


@dataclass(frozen=True)
class Accounts:
    """The table read once: the portfolio of every readable row, and which account each row is.

    ``account`` maps each portfolio row to an index into ``names``; ``errors`` holds, per account
    index, the one-line message of an account that cannot be margined (rows the reader refused).
    """

    names: list[str]
    portfolio: Portfolio
    account: IntArray
    positions: IntArray  # per account: its number of positions
    errors: dict[int, str]

    def rows_of(self, codes: Iterable[int]) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """(account, its portfolio's arrays) for each account in ``codes`` (in account order)."""
        order = np.argsort(self.account, kind="stable")
        bounds = np.searchsorted(self.account[order], np.arange(len(self.names) + 1))
        a = self.portfolio.arrays
        for code in codes:
            take = order[bounds[code] : bounds[code + 1]]
            yield code, {k: v[take] for k, v in a.items()}


def read_accounts(data: Any, by: str, as_of: dt.date) -> Accounts:
    """Split ``data`` (a DataFrame or a list of lists, header first) by its ``by`` column and read it.

    A row with a blank account, and every row the reader refuses, makes an error for its account
    (the blank one is named ""); a problem the reader cannot place on a row (a missing column)
    stops the batch, as it concerns every account.
    """
    header, rows = _rows(data)
    keys = [str(h).strip().lower() for h in header]
    if by.strip().lower() not in keys:
        raise InputError(Problem(f"the table has no '{by}' column to split the accounts by", 1, by))
    col = keys.index(by.strip().lower())
    raw = [r[col] if col < len(r) else None for r in rows]
    label = {v: "" if _blank(v) else str(v).strip() for v in dict.fromkeys(raw)}
    names = list(dict.fromkeys(label.values()))
    code_of = {name: i for i, name in enumerate(names)}
    code_of_raw = {v: code_of[x] for v, x in label.items()}
    row_account = np.fromiter(map(code_of_raw.__getitem__, raw), np.int64, len(raw))
    errors: dict[int, list[Problem]] = {}
    if "" in code_of:
        blank = np.flatnonzero(row_account == code_of[""]) + 2
        errors[code_of[""]] = [Problem(f"the account is blank in {len(blank)} row(s)", int(blank[0]), by)]
    # the reader ignores a column without a header: the account column stays in place, unread
    head = [None if j == col else h for j, h in enumerate(header)]
    try:
        portfolio = read_positions([head, *rows], as_of=as_of)
    except InputError as exc:
        placed = [(p.row - 2, p) for p in exc.problems if p.row is not None and 2 <= p.row < len(rows) + 2]
        if len(placed) < len(exc.problems):
            raise
        for i, p in placed:
            errors.setdefault(int(row_account[i]), []).append(p)
        bad = np.isin(row_account, list(errors))
        portfolio = read_positions(
            [head, *[[] if b else r for r, b in zip(rows, bad, strict=True)]], as_of=as_of
        )
    account = row_account[portfolio.arrays["row"] - 2]
    positions = np.bincount(account, minlength=len(names))
    for code in errors:
        positions[code] = int(np.count_nonzero(row_account == code))
    return Accounts(
        names=names,
        portfolio=portfolio,
        account=account,
        positions=positions,
        errors={code: _message(InputError(problems)) for code, problems in errors.items()},
    )


def batch(
    data: Any,
    by: str = "account",
    regime: str = "pm",
    params: Mapping[str, Any] | Sequence[Any] | None = None,
    *,
    dask: Any = None,
    progress: bool | None = None,
    today: dt.date | None = None,
    **more: Any,
) -> Any:
    """One row per account of ``data`` under ``regime`` (pm, regt, account or risk): a DataFrame.

    Columns: ``account``, ``positions``, ``requirement`` and the regime's key figures, ``error``
    ("" when the account was margined; else its one-line message and empty figures). ``params``
    (a mapping, or ``name=value`` strings) and keyword arguments are the regime's parameters, as
    for its worksheet function (``as_of`` defaults to ``today``, itself defaulting to the date).
    ``progress`` shows a bar on stderr (default: when stderr is a terminal). ``dask`` runs the
    partitions on a Dask cluster (see the module docstring).
    """
    import pandas as pd

    if regime not in REGIMES:
        raise InputError(
            Problem(f"regime must be one of {', '.join(REGIMES)}, got '{regime}'", None, "regime")
        )
    given = dict(params) if isinstance(params, Mapping) else dict(_named(params))
    values = read_params({**given, **more}, specs(regime))
    as_of = today_if_missing(values, today or dt.date.today())
    values["as_of"] = as_of
    accounts = read_accounts(data, by, as_of)
    show = sys.stderr.isatty() if progress is None else progress
    with _client(dask) as client:
        figures, errors = _run(regime, values, accounts, client, show)
    errors = {**accounts.errors, **errors}
    columns = FIGURES[regime]
    out = {
        "account": accounts.names,
        "positions": accounts.positions.tolist(),
        **{
            c: [np.nan if i in errors else figures[i][c] for i in range(len(accounts.names))] for c in columns
        },
        "error": [errors.get(i, "") for i in range(len(accounts.names))],
    }
    return pd.DataFrame(out)


# --- regimes ---------------------------------------------------------------------------------

FIGURES: dict[str, tuple[str, ...]] = {
    "pm": ("requirement", "regulatory", "initial", "minimum"),
    "regt": ("requirement", "gross", "net"),
    "account": ("requirement", "securities", "futures", "fx/cfd"),
    "risk": ("requirement", "scenario", "correlation_break_loss", "no_offset_requirement", "gross_exposure"),
}


def specs(regime: str) -> tuple[Param, ...]:
    """The parameters ``regime`` accepts."""
    if regime == "pm":
        from xlmargin.pm import PM_PARAMS

        return PM_PARAMS
    if regime == "regt":
        from xlmargin.regt import BASES

        return (
            AS_OF,
            Param("basis", "choice", "initial", "initial (default) or maintenance", choices=BASES),
            Param(
                "net_of_proceeds", "bool", False, "the Cboe net-of-proceeds figure instead of FINRA's gross"
            ),
        )
    if regime == "account":
        from xlmargin.account import ACCOUNT_PARAMS

        return ACCOUNT_PARAMS
    from xlmargin.stress import STRESS_PARAMS

    return STRESS_PARAMS


def one_account(regime: str, values: Mapping[str, Any]) -> Callable[[Portfolio], dict[str, Any]]:
    """The figures of one account's portfolio under ``regime`` (settings built once)."""
    as_of = values["as_of"]
    if regime == "pm":
        from xlmargin.pm import pm_requirement, pm_settings

        pm = pm_settings(values, as_of)

        def pm_figures(p: Portfolio) -> dict[str, Any]:
            r = pm_requirement(p, pm)
            return {
                "requirement": r.requirement,
                "regulatory": r.regulatory,
                "initial": r.initial,
                "minimum": r.minimum,
            }

        return pm_figures
    if regime == "regt":
        from xlmargin.regt import regt_margin

        def regt_figures(p: Portfolio) -> dict[str, Any]:
            r = regt_margin(p, basis=values["basis"], net_of_proceeds=bool(values["net_of_proceeds"]))
            return {"requirement": r.total, "gross": r.gross, "net": r.net}

        return regt_figures
    if regime == "account":
        from xlmargin.account import account_margin, account_settings

        settings = account_settings(values, as_of)

        def account_figures(p: Portfolio) -> dict[str, Any]:
            r = account_margin(p, settings)
            segments = {line.segment: cents(line.requirement) for line in r.lines}
            return {
                "requirement": cents(r.total),
                **{s: segments.get(s, 0.0) for s in FIGURES["account"][1:]},
            }

        return account_figures
    from xlmargin.stress import risk_margin, stress_settings

    stress = stress_settings(values, as_of)

    def risk_figures(p: Portfolio) -> dict[str, Any]:
        r = risk_margin(p, stress)
        return {
            "requirement": cents(r.requirement),
            "scenario": r.scenario_id,
            "correlation_break_loss": cents(r.correlation_break_loss),
            "no_offset_requirement": cents(r.no_offset_requirement),
            "gross_exposure": cents(r.gross_exposure),
        }

    return risk_figures


def cents(value: float) -> float:
    """Money rounded to cents, without a negative zero (as every engine rounds its totals)."""
    return round(float(value), 2) + 0.0


def run_accounts(
    regime: str, values: Mapping[str, Any], books: list[tuple[int, dict[str, np.ndarray]]]
) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """Each account's figures, or its error message, one engine call per account."""
    figures_of = one_account(regime, values)
    figures: dict[int, dict[str, Any]] = {}
    errors: dict[int, str] = {}
    for code, arrays in books:
        try:
            figures[code] = figures_of(Portfolio(arrays, values["as_of"]))
        except XlMarginError as exc:
            errors[code] = _message(exc)
    return figures, errors


# --- running ---------------------------------------------------------------------------------


def _run(
    regime: str, values: Mapping[str, Any], accounts: Accounts, client: Any, show: bool
) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    todo = [i for i in range(len(accounts.names)) if i not in accounts.errors]
    figures: dict[int, dict[str, Any]] = {}
    errors: dict[int, str] = {}
    if regime == "pm" and todo:
        from xlmargin.batch.pm import pm_batch

        todo = pm_batch(values, accounts, todo, client, show, figures)
    parts = [todo[i : i + PARTITION] for i in range(0, len(todo), PARTITION)]
    if client is not None:
        futures = [
            client.submit(run_accounts, regime, dict(values), list(accounts.rows_of(p))) for p in parts
        ]
        results: Iterable[Any] = (future.result() for future in futures)
    else:
        results = (run_accounts(regime, values, list(accounts.rows_of(p))) for p in parts)
    for found, failed in bar(results, len(parts), show):
        figures.update(found)
        errors.update(failed)
    return figures, errors


def bar(items: Iterable[Any], total: int, show: bool) -> Iterable[Any]:
    if not show or total <= 1:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit="part", file=sys.stderr, desc="accounts")


@contextmanager
def _client(dask: Any) -> Iterator[Any]:
    """A ``distributed.Client``: the one given, one connected to an address, or a local cluster."""
    if dask is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise XlMarginError("--dask needs dask.distributed: pip install 'xlmargin[dask]'") from None
    if not isinstance(dask, str):
        yield dask
        return
    if dask == "local":
        with LocalCluster(processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(dask, timeout=10)
    except OSError as exc:
        raise XlMarginError(f"cannot reach the Dask scheduler at {dask}: {exc}") from None
    with client:
        yield client


# --- helpers ---------------------------------------------------------------------------------


def _message(exc: XlMarginError) -> str:
    return f"#{exc.code} {exc.summary()}"


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _named(params: Sequence[Any] | None) -> Iterator[tuple[str, Any]]:
    """``name=value`` strings as pairs (the CLI's ``--param``)."""
    for item in params or ():
        name, sep, value = str(item).partition("=")
        if not sep:
            raise InputError(Problem(f"'{item}' is not NAME=VALUE", None, "params"))
        yield name.strip(), value.strip()


def _rows(data: Any) -> tuple[list[Any], list[list[Any]]]:
    """(header, data rows) of a DataFrame or a list of lists (header first)."""
    if type(data).__name__ == "DataFrame":
        values = data.astype(object).where(data.notna(), None).values.tolist()
        return [str(c) for c in data.columns], values
    if isinstance(data, Sequence) and data and isinstance(data[0], Sequence):
        return list(data[0]), [r if isinstance(r, list) else list(r) for r in data[1:]]
    raise InputError(Problem(f"expected a table with a header row, got {type(data).__name__}"))


__all__ = ["FIGURES", "REGIMES", "Accounts", "batch", "read_accounts", "run_accounts", "specs"]
