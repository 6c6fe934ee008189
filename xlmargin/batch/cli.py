"""``xlmargin batch FILE``: one row of figures per account of a positions file, to CSV or Parquet.

``register(subparsers)`` adds the command to the main parser. The file is CSV, XLSX (the sheet
"Positions", else the first) or Parquet, with an account column besides the positions columns,
or an IBKR Flex Query report of several accounts, each ``accountId`` (a position's, else its
statement's) an account read as ``margin`` reads a report of that account alone
(:mod:`xlmargin.batch.sources`); the CSV exports are refused in one line saying so (``margin``,
``whatif``, ``hedge`` and ``plan`` read one).
Results go to ``-o results.csv`` or ``results.parquet``, written atomically to a new file (an
existing one is kept unless ``--force``; the input is never overwritten), or as CSV to stdout.
Each account's row holds its engine's warnings (its ``warnings`` cell). ``--equity-column NAME``
names the column of each account's equity (:mod:`xlmargin.batch.equity`): equity, excess and
cushion columns, and each account's minimum-equity warnings given its own equity. A summary line (accounts,
errors, seconds) goes to stderr, with a progress bar on a terminal, and one line per distinct
warning of the table's reader and the exports naming the accounts it concerns
(:func:`warnings_summary`). ``--account-column`` with a Flex report is refused unless it names
``accountId``: the report's accounts are its ``accountId``s.
An account the engine refuses gets its error row and never stops the others; when any account has
one, the results are still written, the accounts and their errors are named on stderr, and the
exit code is 1 (:data:`~xlmargin.cliargs.SOME_FAILED`); 2 is an input error, nothing written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from xlmargin.cliargs import SOME_FAILED, add_max_cells, cli_params, iso_date, with_as_of
from xlmargin.errors import XlMarginError
from xlmargin.files import atomic_output, csv_safe_frame, refuse_existing
from xlmargin.params import norm

WRITERS = (".csv", ".parquet")
REGIMES = ("pm", "regt", "account", "risk")  # xlmargin.batch.engine.REGIMES, not imported at start-up
LISTED = 5  # accounts named in the summary of the error rows


def check_output(output: Path, *, force: bool) -> str:
    """What makes ``output`` unwritable, refused before the work (its suffix, an existing file
    without ``force``, a missing folder); its suffix otherwise."""
    suffix = output.suffix.lower()
    if suffix not in WRITERS:
        raise XlMarginError(f"{output.name}: results are written as .csv or .parquet")
    refuse_existing(output, force)
    if not output.parent.is_dir():
        raise XlMarginError(f"{output}: the folder {output.parent} does not exist")
    return suffix


def write_table(frame: Any, output: Path, *, force: bool) -> None:
    """Write ``frame`` to ``output`` (CSV or Parquet by its suffix) through a temporary file."""
    suffix = check_output(output, force=force)
    with atomic_output(output) as temp:
        if suffix == ".csv":
            csv_safe_frame(frame).to_csv(temp, index=False)
        else:
            try:
                frame.to_parquet(temp, index=False)
            except ImportError:
                raise XlMarginError(
                    f"{output.name}: writing Parquet needs pyarrow: pip install 'xlmargin[parquet]'"
                ) from None


def _param_hints(regime: str) -> dict[str, str]:
    """For a ``--param`` that ``regime`` does not take: the regimes of the batch that take it."""
    from xlmargin.batch.engine import specs

    takes: dict[str, list[str]] = {}
    for other in REGIMES:
        for spec in specs(other):
            takes.setdefault(norm(spec.name), []).append(other)
    own = {"equity": "; each account's own equity: --equity-column NAME"}  # any regime, one per account
    return {
        name: f"{name} is not a parameter of --regime {regime}; --regime {' or '.join(others)} takes it"
        + own.get(name, "")
        for name, others in takes.items()
        if regime not in others
    }


def cmd_batch(args: argparse.Namespace) -> int:
    from xlmargin.batch import batch
    from xlmargin.batch.engine import specs
    from xlmargin.batch.sources import WARNINGS, flex_account_column, flex_equity
    from xlmargin.brokers import detect
    from xlmargin.excel.functions import today

    source = Path(args.file)
    output = Path(args.output) if args.output else None
    if output is not None and output.resolve() == source.resolve():
        raise XlMarginError("the results would overwrite the input file; choose another -o")
    if output is not None:
        check_output(output, force=args.force)  # before the work, not after it
    params = list(args.param)
    if args.as_of or any(norm(p.partition("=")[0]) == "asof" for p in params):
        params = with_as_of(params, args.as_of, today())[1]
    # a bad one named by its option, not by a params range's row; another regime's, said so
    cli_params(params, specs(args.regime), hints=_param_hints(args.regime))
    if detect(source) == "ibkr-flex" and (
        why := flex_account_column(args.account_column, "--account-column")
    ):
        raise XlMarginError(why)  # not silently the accountIds
    if detect(source) == "ibkr-flex" and args.equity_column is not None:
        raise XlMarginError(flex_equity("--equity-column"))
    started = time.perf_counter()
    try:
        frame = batch(
            source,
            args.account_column,
            args.regime,
            params,
            equity=args.equity_column,
            dask=args.dask,
            today=today(),
            max_cells=args.max_cells,
        )
    except OSError as exc:
        raise XlMarginError(f"the Dask cluster failed: {exc}") from None
    errors = int((frame["error"] != "").sum())
    try:
        if output is None:
            csv_safe_frame(frame).to_csv(sys.stdout, index=False)
        else:
            write_table(frame, output, force=args.force)
    except OSError as exc:
        raise XlMarginError(f"cannot write {output}: {exc}") from None
    print(
        f"{len(frame)} accounts, {errors} with errors, {time.perf_counter() - started:.2f} s"
        + (f"; results in {output}" if output else ""),
        file=sys.stderr,
    )
    for line in warnings_summary(frame.attrs.get(WARNINGS, ())):
        print(f"warning: {line}", file=sys.stderr)
    if errors:
        print(f"xlmargin: {errors_summary(frame)}", file=sys.stderr)
        return SOME_FAILED
    return 0


def errors_summary(frame: Any) -> str:
    """One line naming the accounts with an error row and each one's message (its code left out),
    the first :data:`LISTED` of them: "2 of 40 accounts have errors: ACC7 (row 12, price: ...), ..."."""
    failed = frame[frame["error"] != ""]
    named = [
        f"{account if account.strip() else '(blank)'} ({_shortened(error.partition(' ')[2])})"
        for account, error in zip(failed["account"][:LISTED], failed["error"][:LISTED], strict=True)
    ]
    more = f" and {len(failed) - LISTED} more" if len(failed) > LISTED else ""
    have = "has an error" if len(failed) == 1 else "have errors"
    return f"{len(failed)} of {len(frame)} accounts {have}: {', '.join(named)}{more}"


def warnings_summary(warnings: Any) -> list[str]:
    """One line per distinct warning of the batch (``(text, account)`` pairs, as the results'
    ``attrs["warnings"]`` hold them), the accounts it concerns after it, each with the rows the
    warning names in its export: "rows ..., fxRateToBase: ... (2 accounts: U1 (row 7), U2 (row 12))".
    The first :data:`LISTED` accounts of a warning and :data:`LISTED` × 2 warnings are shown."""
    by_text: dict[str, list[str]] = {}
    for text, account in warnings:
        where, rest = _located(text)
        key = rest if account else text
        label = f"{account if account.strip() else '(blank)'}" + (f" ({where})" if where else "")
        by_text.setdefault(key, []).append(label if account else "")
    lines = []
    for text, accounts in list(by_text.items())[: 2 * LISTED]:
        named = [a for a in dict.fromkeys(accounts) if a]
        if not named:
            lines.append(text)
            continue
        more = f" and {len(named) - LISTED} more" if len(named) > LISTED else ""
        count = "1 account" if len(named) == 1 else f"{len(named)} accounts"
        lines.append(f"{text} ({count}: {', '.join(named[:LISTED])}{more})")
    if len(by_text) > 2 * LISTED:
        lines.append(f"and {len(by_text) - 2 * LISTED} more warnings")
    return lines


def _located(text: str) -> tuple[str, str]:
    """A warning's leading rows ("row 7, " or "rows 7, 9 and 3 more, ") and the rest."""
    import re

    found = re.match(r"(rows? \d+(?:, \d+)*(?: and \d+ more)?), (.*)", text, re.DOTALL)
    return (found.group(1), found.group(2)) if found else ("", text)


def _shortened(text: str, limit: int = 100) -> str:
    """``text``, or its words that fit in ``limit`` characters with "..." (the results hold it whole)."""
    return text if len(text) <= limit else text[: limit - 2].rsplit(" ", 1)[0] + " ..."


def register(subparsers: Any) -> None:
    """Add ``batch`` to the ``xlmargin`` parser's subparsers (importing no engine: ``--help`` stays fast)."""
    parser = subparsers.add_parser(
        "batch",
        help="margin every account of a positions file: one row per account",
        description="Read a CSV, XLSX or Parquet file of positions with an account column, or an IBKR Flex "
        "Query XML report of several accounts (each accountId an account, read with its own "
        "base currency and rates as 'xlmargin margin' reads a report of that account alone), and write one "
        "row per account: the requirement and key figures, or the account's error. An account with an "
        "error never stops the others: every account gets its row and the results are written, but the "
        "accounts with errors are named on stderr and the exit code is 1 (0 when every account was "
        "margined; 2 for bad input or options, nothing written).",
    )
    parser.add_argument(
        "file",
        help="the positions file (.csv, .xlsx or .parquet) or an IBKR Flex Query XML report of several "
        "accounts (not an activity statement or portfolio CSV: margin reads one)",
    )
    parser.add_argument(
        "--account-column",
        default="account",
        help="the column naming the account (default: account); not for a Flex report, whose accounts are "
        "its accountIds",
    )
    parser.add_argument(
        "--equity-column",
        metavar="NAME",
        help="the column holding each account's equity (net liquidation value; US dollars under pm, regt "
        "and risk, the account currency under account), on every row of the account or on one row, the "
        "others blank: the results then hold equity, excess (equity - requirement: negative is a margin "
        "call) and cushion (excess / equity, as MARGIN_CUSHION), and each account's minimum-equity "
        "warnings (portfolio margin's eligibility, Reg T's 4210(b)(2) minimum); two amounts or a "
        "non-number are that account's error (a negative amount is an account in deficit). Not with "
        "--param equity, nor a Flex report (xlmargin reads no equity from it)",
    )
    parser.add_argument(
        "--regime", type=str.lower, choices=REGIMES, default="pm",
        help="each account's requirement: pm: portfolio margin (default); regt: Reg T strategy margin; "
        "account: every segment added; risk: the house stress view",
    )  # fmt: skip
    parser.add_argument("-o", "--output", help="results file, .csv or .parquet (default: CSV on stdout)")
    parser.add_argument("--force", action="store_true", help="replace an existing results file")
    parser.add_argument("--as-of", type=iso_date, help="valuation date (default: today)")
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a regime parameter (repeatable)"
    )
    add_max_cells(parser, "a CSV, Parquet file or Flex report")
    parser.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="run on a Dask cluster: its scheduler address (tcp://host:8786) or 'local'",
    )
    parser.set_defaults(handler=cmd_batch)


__all__ = ["cmd_batch", "errors_summary", "register", "warnings_summary", "write_table"]
