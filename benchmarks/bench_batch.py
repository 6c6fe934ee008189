"""Batch benchmark: many accounts of ~50 positions each through portfolio margin.

Run from the repository root::

    python -m benchmarks.bench_batch                    # 10,000 accounts, 3 repetitions
    python -m benchmarks.bench_batch --accounts 1000 --repeat 5 --loop

Each account holds ``--positions`` rows drawn from the 5,000-position book of
``benchmarks/book.py`` (so accounts share contracts, as a broker's accounts do) with quantities
redrawn. Prints, in seconds (best / median):

- ``batch(table)`` end to end: the account column set aside, the table read once, every distinct
  contract priced once, all accounts' account steps with numpy;
- its parts: the reader, the union's risk arrays, the account step;
- ``batch(table, regime="risk")``: the house stress view, the accounts of each part of 1,000
  valued as one book (each distinct contract priced once per part), each account's figures from
  its own rows;
- ``batch(table, regime="account", params={"securities": "pm"})``: the account view with portfolio
  margin for securities, the securities of each part of 1,000 accounts priced as one book and each
  account's figure found by the PM batch's account step;
- with ``--regt``: ``batch(table, regime="regt")`` once, the accounts of each part of 1,000 paired
  in one engine call;
- with ``--loop``: the same accounts one ``read_positions`` + ``pm_requirement`` call each (the
  figure the batch replaces), and its ratio to the batch;
- with ``--dask``: the batch on a local in-process Dask cluster (partitions, scattered risk arrays);
- with ``--equity``: ``batch(table, equity="equity")``, PM with each account's equity in a column
  (on its first row), adding the equity, excess and cushion columns and each account's
  eligibility warning.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from benchmarks.book import AS_OF, book
from benchmarks.timing import timed
from xlmargin.batch import batch
from xlmargin.batch.engine import read_accounts
from xlmargin.batch.pm import account_figures, shared_risk
from xlmargin.pm import pm_requirement, pm_settings
from xlmargin.pm.risk import risk_arrays
from xlmargin.positions import read_positions


def accounts_table(n_accounts: int, per_account: int, seed: int = 13) -> list[list[Any]]:
    """``n_accounts`` × ``per_account`` rows drawn from the benchmark book, header first."""
    universe = book()
    rng = np.random.default_rng(seed)
    picks = rng.integers(1, len(universe), (n_accounts, per_account))
    quantity = rng.integers(1, 21, picks.shape) * np.where(rng.random(picks.shape) < 0.55, -1, 1)
    table = [["account", *universe[0]]]
    for a in range(n_accounts):
        name = f"ACC{a:05d}"
        for j in range(per_account):
            row = [name, *universe[picks[a, j]]]
            row[3] = float(quantity[a, j])
            table.append(row)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop", action="store_true", help="also time one pm_requirement call per account")
    parser.add_argument("--dask", action="store_true", help="also time the batch on a local Dask cluster")
    parser.add_argument("--regt", action="store_true", help="also time the Reg T batch once (about 40 s)")
    parser.add_argument("--equity", action="store_true", help="also time PM with an equity column")
    args = parser.parse_args()
    table = accounts_table(args.accounts, args.positions)
    n = args.repeat
    print(
        f"{args.accounts:,} accounts × {args.positions} positions; {n} repetitions; seconds (best / median)"
    )

    def show(label: str, ms: tuple[float, float]) -> tuple[float, float]:
        print(f"{label:<52} {ms[0] / 1e3:8.3f} / {ms[1] / 1e3:8.3f}")
        return ms

    whole = show("batch(table), PM, end to end", timed(lambda: batch(table, as_of=AS_OF, progress=False), n))
    settings = pm_settings({}, AS_OF)
    accounts = read_accounts(table, "account", AS_OF)
    show(
        "  reading the table (account column set aside)",
        timed(lambda: read_accounts(table, "account", AS_OF), n),
    )
    risk = risk_arrays(accounts.portfolio, settings)
    show(
        "  risk arrays of the union (each contract priced once)",
        timed(lambda: risk_arrays(accounts.portfolio, settings), n),
    )
    shared = shared_risk(risk)
    owner = accounts.account[risk.index]
    rows = np.argsort(owner, kind="stable")
    show(
        "  account step, every account at once",
        timed(
            lambda: account_figures(shared, rows, owner[rows], risk.quantity[rows], len(accounts.names)), n
        ),
    )
    print(
        f"distinct option contracts priced: {len(risk.series_group):,} for {len(risk.index):,} covered rows"
    )
    show(
        "batch(table), house risk view (regime risk)",
        timed(lambda: batch(table, regime="risk", as_of=AS_OF, progress=False), n),
    )
    show(
        "batch(table), account view, PM securities",
        timed(
            lambda: batch(table, regime="account", params={"securities": "pm"}, as_of=AS_OF, progress=False),
            n,
        ),
    )
    if args.equity:
        with_equity = [[*table[0], "equity"]]
        for k, row in enumerate(table[1:]):  # the account's equity on its first row, the others blank
            with_equity.append([*row, 50_000.0 + 100.0 * k if k % args.positions == 0 else None])
        show(
            "batch(table, equity=...), PM, an equity column",
            timed(lambda: batch(with_equity, equity="equity", as_of=AS_OF, progress=False), n),
        )
    if args.regt:
        regt = timed(lambda: batch(table, regime="regt", as_of=AS_OF, progress=False), 1)
        show("batch(table), Reg T (regime regt), once", regt)
    if args.dask:
        from distributed import Client, LocalCluster

        with LocalCluster(processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
            show(
                "batch(table) on a local Dask cluster",
                timed(lambda: batch(table, as_of=AS_OF, dask=client), n),
            )
    if args.loop:
        header = table[0][1:]
        books: dict[str, list[list[Any]]] = {}
        for row in table[1:]:
            books.setdefault(row[0], [header]).append(row[1:])

        def loop() -> None:
            for rows_of in books.values():
                pm_requirement(read_positions(rows_of, as_of=AS_OF), settings)

        looped = show("one read_positions + pm_requirement per account", timed(loop, 1))
        print(f"loop / batch: {looped[1] / whole[1]:.1f}x")


if __name__ == "__main__":
    main()
