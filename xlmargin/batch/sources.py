"""What ``batch`` reads: a positions table of many accounts (CSV, XLSX, Parquet), or an IBKR Flex
Query report of many accounts.

A report is split by account, a position's own ``accountId`` else its ``<FlexStatement>``'s
(:func:`xlmargin.brokers.import_accounts`), each account read as ``xlmargin margin`` reads a report
of that account alone: its own base currency and rates, made USD per unit, and the parameters its
export implies (``fx_rates=usd``, and ``fx.USD`` in an account view of its base currency:
:func:`xlmargin.api.broker_params`). Accounts implying the same parameters make one group, a
positions table with an ``account`` column where each position stands at its file line, so that the
batch's row numbers are the report's lines, and each account's errors are explained in the
export's own field names (:meth:`xlmargin.brokers.BrokerTable.explain`). An account the export
cannot be read for (a position the importer refuses, a statement without positions) keeps its
error, and the others go on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from xlmargin.batch.accounts import case_twins, joined
from xlmargin.errors import InputError, Problem, XlMarginError

if TYPE_CHECKING:
    from xlmargin.brokers import BrokerTable
    from xlmargin.params import Param

ACCOUNT = "account"  # the account column of a report's groups
FLEX_ACCOUNT = "accountId"  # the Flex attribute a report's accounts are


def flex_account_column(by: str, option: str) -> str | None:
    """Why the account column ``by`` (given as ``option``) cannot split a Flex report, or None when
    it names what does (the default ``account``, or ``accountId``): each position's account is its
    own ``accountId``, read with that account's base currency and rates, so no other attribute may
    group the positions into accounts."""
    if by.strip().lower() in (ACCOUNT, FLEX_ACCOUNT.lower()):
        return None
    return (
        f"{option} '{by}' does not apply to an IBKR Flex report: its accounts are its {FLEX_ACCOUNT}s "
        f"(leave {option} out)"
    )


def flex_equity(option: str) -> str:
    """Why an equity column (given as ``option``) cannot be read from a Flex report: the Flex reader
    reads the ``<OpenPosition>`` rows only, not an account's net liquidation value."""
    return (
        f"{option} does not apply to an IBKR Flex report: xlmargin reads its open positions, not the "
        "accounts' equity (net liquidation value); give the positions as a table with an equity column"
    )


WARNINGS = "warnings"  # the results' column, and attrs key: (warning, its account or "") pairs


def read_table(path: Path, max_cells: int | None = None) -> Any:
    """The file's table: CSV and XLSX as rows of cells, read as ``xlmargin margin`` reads a positions
    file (the header row found, rows numbered as in the file, ``max_cells`` as it takes it);
    Parquet as a DataFrame, refused before it is loaded when its metadata counts more than
    ``max_cells`` cells (:func:`parquet_cells`; default: no limit)."""
    from xlmargin.files import cells_checked, input_file
    from xlmargin.positions.source import read_file

    suffix = input_file(path).suffix.lower()
    if suffix in (".csv", ".txt", ".xlsx", ".xlsm"):
        return read_file(path, max_cells=max_cells)
    if suffix == ".parquet":
        import pandas as pd

        try:
            if max_cells is not None:  # counted from the file's footer, before any column is loaded
                cells_checked(path.name, parquet_cells(path), max_cells)
            frame = pd.read_parquet(path)
        except (OSError, ValueError, ImportError) as exc:
            raise InputError(Problem(f"cannot read {path.name}: {exc}")) from None
        return frame
    raise InputError(Problem(f"{path.name}: a batch file must be .csv, .xlsx or .parquet"))


def parquet_cells(path: Path) -> int:
    """The cells of the Parquet file's table, read from its metadata (the footer) alone: its rows
    times its columns, less the columns pandas restores as the index (the frame
    ``pandas.read_parquet`` gives holds that many cells)."""
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    pandas = pq.read_schema(path).pandas_metadata or {}
    index = sum(isinstance(column, str) for column in pandas.get("index_columns", ()))
    return int(metadata.num_rows) * max(int(metadata.num_columns) - index, 0)


@dataclass(frozen=True)
class Group:
    """Accounts of a report implying the same ``params``: their positions as one table (header
    ``account`` and the canonical columns, each position at its file line) and each one's export."""

    params: dict[str, Any]
    tables: dict[str, BrokerTable]

    def table(self) -> list[list[Any]]:
        from xlmargin.brokers import HEADER

        # the columns an account's export adds (a bond's maturity and coupon), each under one header
        extra = list(dict.fromkeys(name for t in self.tables.values() for name in t.extra))
        placed = sorted(
            (line, account, [*row[: len(HEADER)], *(_extra(t, row, name) for name in extra)])
            for account, t in self.tables.items()
            for line, row in zip(t.lines, t.rows, strict=True)
        )
        out: list[list[Any]] = [[ACCOUNT, *HEADER, *extra]]
        for line, account, row in placed:
            out.extend([] for _ in range(line - len(out) - 1))
            out.append([account, *row])
        return out

    def explain(self, account: str, error: XlMarginError) -> XlMarginError:
        """``error`` in the account's export's terms (its field names, why a rate was left blank)."""
        return self.tables[account].explain(error) if account in self.tables else error


def _extra(table: BrokerTable, row: tuple[Any, ...], name: str) -> Any:
    """The row's cell of the column ``name`` its export adds (None where it adds none)."""
    from xlmargin.brokers import HEADER

    return row[len(HEADER) + table.extra.index(name)] if name in table.extra else None


@dataclass(frozen=True)
class Export:
    """A report's accounts in the order of the file, those it cannot be read for with their error
    and their number of positions, and the others in groups."""

    accounts: list[str]
    failed: dict[str, tuple[int, XlMarginError]] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)

    def frame(
        self, frames: Sequence[Any], figures: Sequence[str], message: Callable[[XlMarginError], str]
    ) -> Any:
        """The groups' results and the failed accounts' error rows, in the order of the file."""
        import pandas as pd

        read = {account: t.warnings for g in self.groups for account, t in g.tables.items()}
        rows = [row for f in frames for row in f.to_dict("records")]
        for row in rows:  # as margin prints them: the export's warnings, then the engine's
            if not row["error"] and read.get(row[ACCOUNT]):
                row[WARNINGS] = joined([*read[row[ACCOUNT]], *filter(None, [row[WARNINGS]])])
        rows += [
            {ACCOUNT: a, "positions": n, **dict.fromkeys(figures, np.nan), "error": message(e), WARNINGS: ""}
            for a, (n, e) in self.failed.items()
        ]
        order = {account: i for i, account in enumerate(self.accounts)}
        rows.sort(key=lambda row: order[row[ACCOUNT]])
        out = pd.DataFrame(rows, columns=[ACCOUNT, "positions", *figures, "error", WARNINGS])
        out.attrs[WARNINGS] = list(
            dict.fromkeys(
                [
                    *((text, "") for text in case_twins(self.accounts)),  # in a group or not
                    *((text, a) for g in self.groups for a, t in g.tables.items() for text in t.warnings),
                    *(w for f in frames for w in f.attrs.get(WARNINGS, ())),
                ]
            )
        )  # the ids differing in case; each account's export's (a rate left blank); the groups' readers'
        return out


def read_export(
    path: Path, reads: Sequence[Param], given: Mapping[str, Any], max_cells: int | None = None
) -> Export:
    """The accounts of the report at ``path`` (refused beyond ``max_cells`` cells, its attributes),
    grouped by the parameters each implies to a regime reading ``reads``, those ``given`` kept
    (:func:`xlmargin.api.broker_params`, as ``margin`` takes them)."""
    from xlmargin.api import broker_params
    from xlmargin.brokers import import_accounts

    found = _numbered(import_accounts(path, max_cells=max_cells))
    failed: dict[str, tuple[int, XlMarginError]] = {}
    groups: dict[tuple[tuple[str, str], ...], Group] = {}
    for account, count, table in found:
        if isinstance(table, XlMarginError):
            failed[account] = (count, table)
            continue
        implied = broker_params(table, None, given, None, reads=reads)
        key = tuple(sorted((name, repr(value)) for name, value in implied.items()))
        groups.setdefault(key, Group(implied, {})).tables[account] = table
    return Export([account for account, _, _ in found], failed, list(groups.values()))


_Found = list[tuple[str, int, "BrokerTable | XlMarginError"]]


def _numbered(found: _Found) -> _Found:
    """The accounts' positions numbered through the report from 2 when their lines do not rise
    from one account to the next (an XML written on one line), so that no two positions share a row."""
    lines = [line for _, _, t in found if not isinstance(t, XlMarginError) for line in t.lines]
    if all(b > a for a, b in zip([1, *lines], lines, strict=False)):
        return found
    out: _Found = []
    start = 2
    for account, count, table in found:
        if not isinstance(table, XlMarginError):
            lines = list(range(start, start + len(table.lines)))
            table = dataclasses.replace(table, lines=tuple(lines))
            start += len(lines)
        out.append((account, count, table))
    return out


__all__ = [
    "ACCOUNT",
    "FLEX_ACCOUNT",
    "Export",
    "Group",
    "flex_account_column",
    "flex_equity",
    "read_export",
    "read_table",
]
