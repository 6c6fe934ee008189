"""The decision commands of the ``xlmargin`` command line: ``whatif``, ``hedge`` and ``plan``.

``register(subparsers)`` adds them to the main parser; failures are one line on stderr and exit
code 2 (the main parser's handling of :class:`~xlmargin.errors.XlMarginError`).

- ``xlmargin whatif POSITIONS TRADES [--regime R]``: before, after and change of every regime.
- ``xlmargin hedge POSITIONS CANDIDATES [--objective pm|risk] [--budget N]``: the optimal hedge.
- ``xlmargin plan POSITIONS --equity N [--regime pm|risk]``: the least to close to meet a margin
  call, then how far the market can move before the next one.

Files are CSV or XLSX tables with a header row, read as ``xlmargin margin`` reads them;
``--param NAME=VALUE`` (repeatable) and ``--as-of`` are the worksheet functions' ``params``, except
that a parameter no regime the command computes reads is refused (a worksheet's params block is
shared by every decision; an option is given to one command). The reader's warnings about a book
go to stderr, one ``warning:`` line each (the trades' and the candidates' named as theirs), as
``xlmargin margin`` prints them, and so do a trade's or a chosen candidate's price conflicts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.cliargs import SOME_FAILED, cli_params, iso_date, with_as_of
from xlmargin.textable import render

if TYPE_CHECKING:
    from xlmargin.params import Param


def _table(path: str) -> list[list[Any]]:
    """A CSV or XLSX file as rows of cells, read as ``xlmargin margin`` reads a positions file
    (in a workbook the sheet "Positions", else the first; the header row is found below a title)."""
    from xlmargin.positions.source import read_file

    return read_file(Path(path))


def _settings(args: argparse.Namespace, regimes: tuple[str, ...], *more: Param, computed: str) -> Any:
    """The settings from ``--param`` and ``--as-of``. A parameter the decisions know but neither
    the ``regimes`` the command computes nor its ``more`` own (the cushion, the time limit) use
    is refused, ``computed`` saying what the command computes: it would change nothing."""
    from xlmargin.decisions import DECISION_PARAMS, decision_settings
    from xlmargin.excel.functions import today
    from xlmargin.regimes import regime_params

    as_of, params = with_as_of(args.param, args.as_of, today())
    used = [*more, *(spec for regime in dict.fromkeys(regimes) for spec in regime_params(regime))]
    values = cli_params(params, used, DECISION_PARAMS, computed)
    return decision_settings(values, as_of)


def _book(path: str, settings: Any, name: str = "") -> Any:
    """The positions file read as a book; its reader warnings on stderr, and with ``name`` (the
    trades) its errors and warnings say whose they are."""
    from xlmargin.decisions import in_table
    from xlmargin.errors import XlMarginError
    from xlmargin.positions import read_positions

    try:
        book = read_positions(_table(path), as_of=settings.as_of)
    except XlMarginError as error:
        raise (in_table(name, error) if name else error) from None
    _warn(book.warnings, name)
    return book


def _warn(warnings: tuple[str, ...], name: str = "") -> None:
    """Warnings on stderr, one ``warning:`` line each, with ``name`` saying whose (a reader's)."""
    for warning in warnings:
        print(f"warning: {f'{name}: ' if name else ''}{warning}", file=sys.stderr)


def cmd_whatif(args: argparse.Namespace) -> int:
    from xlmargin.decisions import REGIMES, margin_impact

    regimes = REGIMES if args.regime is None else (args.regime,)
    command = "whatif" if args.regime is None else f"whatif --regime {args.regime}"
    settings = _settings(args, regimes, computed=f"{command} (it computes {', '.join(regimes)})")
    book, trades = _book(args.positions, settings), _book(args.trades, settings, "trades")
    result = margin_impact(book, trades, settings, regimes)
    _warn(result.warnings)
    print(render(result.table()))
    return _refused(result.refused)


def cmd_hedge(args: argparse.Namespace) -> int:
    from xlmargin.decisions import hedge_optimize, read_candidates
    from xlmargin.decisions._common import TIME_LIMIT
    from xlmargin.decisions.hedge import SHOWN

    regimes = (args.objective, *SHOWN)
    computed = f"hedge (it computes {', '.join(dict.fromkeys(regimes))} and searches within time_limit)"
    settings = _settings(args, regimes, TIME_LIMIT, computed=computed)
    candidates = read_candidates(_table(args.candidates), settings.as_of)
    book = _book(args.positions, settings)
    # the reader's warnings after the book's, as whatif's trades', and before the search (which may
    # fail); result.candidate_warnings holds them again for the worksheet function's table
    _warn(candidates.portfolio.warnings, "candidates")
    result = hedge_optimize(book, candidates, settings, args.objective, args.budget)
    _warn(result.warnings)
    print(render(result.table()))
    return _refused(result.impact.refused)


def _refused(lines: tuple[Any, ...]) -> int:
    """The exit code once the table is printed: 1 (:data:`~xlmargin.cliargs.SOME_FAILED`) when a
    regime could not read the book (its n/a note says why, and stderr names it), else 0; a regime
    whose rule does not apply (portfolio margin and futures) is not a failure."""
    if not lines:
        return 0
    names = ", ".join(dict.fromkeys(line.label for line in lines))
    print(
        f"xlmargin: n/a where the input could not be read: {names} (the note column says why)",
        file=sys.stderr,
    )
    return SOME_FAILED


def cmd_plan(args: argparse.Namespace) -> int:
    from xlmargin.capacity import CUSHION
    from xlmargin.decisions import liquidation_plan, margin_call_move
    from xlmargin.decisions._common import PLAN_BY, TIME_LIMIT
    from xlmargin.decisions.liquidation import NOT_REGT
    from xlmargin.decisions.names import LINEAR_REGIMES

    planned = args.regime in LINEAR_REGIMES
    computed = f"{args.regime} and the risk view's worst scenario"  # the distance to a call scales it
    if not planned:
        computed += "; no liquidation plan is made under Reg T"
    more = (CUSHION, TIME_LIMIT, PLAN_BY) if planned else ()
    settings = _settings(
        args, (args.regime, "risk"), *more, computed=f"plan --regime {args.regime} (it computes {computed})"
    )
    book = _book(args.positions, settings)
    if planned:
        print(render(liquidation_plan(book, args.equity, settings, args.regime).table()))
        print()
    else:  # the distance to a call still answers under Reg T; the least sale does not (NOT_REGT)
        print(f"xlmargin: no liquidation plan: {NOT_REGT}", file=sys.stderr)
    print(render(margin_call_move(book, args.equity, settings, args.regime).table()))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("positions", help="CSV or XLSX positions file")
    parser.add_argument("--as-of", type=iso_date, help="valuation date (default: today)")
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter (repeatable)"
    )


def register(sub: Any) -> None:
    from xlmargin.decisions.names import IMPACT_REGIMES as REGIMES
    from xlmargin.decisions.names import LINEAR_REGIMES as PLAN_REGIMES
    from xlmargin.decisions.names import OBJECTIVES

    whatif = sub.add_parser("whatif", help="before, after and change of the requirement for a set of trades")
    _common(whatif)
    whatif.add_argument("trades", help="CSV or XLSX trades file (the positions' columns, signed quantity)")
    whatif.add_argument("--regime", choices=REGIMES, help="one regime only (default: all)")
    whatif.set_defaults(handler=cmd_whatif)

    hedge = sub.add_parser("hedge", help="the candidate quantities that minimise the requirement (LP/MILP)")
    _common(hedge)
    hedge.add_argument("candidates", help="CSV or XLSX candidates file (optional min_qty, max_qty, cost)")
    hedge.add_argument("--objective", choices=OBJECTIVES, default="pm")
    hedge.add_argument("--budget", type=float, help="cap on the sum of cost x |quantity|")
    hedge.set_defaults(handler=cmd_hedge)

    plan = sub.add_parser(
        "plan", help="the least to close to meet a margin call, and the distance to the next"
    )
    _common(plan)
    plan.add_argument("--equity", type=float, required=True, help="account equity (net liquidation value)")
    plan.add_argument(
        "--regime", choices=(*PLAN_REGIMES, "regt", "regt_maintenance"), default="pm"
    )  # Reg T: says why not
    plan.set_defaults(handler=cmd_plan)
