"""The decision commands of the ``xlmargin`` command line: ``whatif``, ``hedge``, ``plan``,
``contribution`` and ``cushion``.

``register(subparsers)`` adds them to the main parser; failures are one line on stderr and exit
code 2 (the main parser's handling of :class:`~xlmargin.errors.XlMarginError`).

- ``xlmargin whatif POSITIONS TRADES [--regime R]``: before, after and change of every regime.
- ``xlmargin hedge POSITIONS CANDIDATES [--objective O] [--budget N]``: the optimal hedge (O: pm, regt,
  regt_maintenance, risk or account).
- ``xlmargin plan POSITIONS --equity N [--regime R]``: the least to close to meet a margin call
  (under pm, risk, regt or regt_maintenance), then how far the market can move before the next
  one (under any regime).
- ``xlmargin contribution POSITIONS [--regime R]``: MARGIN_CONTRIBUTION's table.
- ``xlmargin cushion --equity N --requirement N``: MARGIN_CUSHION's excess and cushion.

Files are CSV or XLSX tables with a header row or broker exports, read as ``xlmargin margin`` reads
them (``--max-cells`` too: :func:`xlmargin.cliargs.add_max_cells`); ``--param NAME=VALUE``
(repeatable) and ``--as-of`` are the worksheet functions' ``params`` (``sleeve`` selecting the
positions' rows, as in a worksheet); a parameter the worksheet function does not read under the
regime chosen is refused as in a cell (:func:`xlmargin.regimes.unread_refusal`). A positions file
that is a broker export sets what it sets in ``xlmargin margin`` (``fx_rates=usd``, and ``fx.USD``
in an account of its base currency: :func:`xlmargin.cliargs.with_broker_params`) where the command
computes the account view, a ``--param`` of the same name winning; its errors name its rows and
fields. An export beside a table
where one ``fx_rates`` reading cannot read both makes the account view n/a, or the error where it is
the one regime or the objective: the Python API's check
(:func:`xlmargin.decisions.beside.unread_beside`). The reader's warnings about a book go to stderr,
one ``warning:`` line each (the trades' and the candidates' named as theirs), as ``xlmargin margin``
prints them, and so do a trade's or a chosen candidate's price conflicts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.cliargs import (
    SOME_FAILED,
    add_max_cells,
    amount_of,
    cli_params,
    iso_date,
    with_as_of,
    with_broker_params,
)
from xlmargin.errors import XlMarginError
from xlmargin.textable import render

if TYPE_CHECKING:
    from xlmargin.brokers import BrokerTable


@dataclass(frozen=True, slots=True)
class _File:
    """A file given to a command as rows of cells, read as ``xlmargin margin`` reads a positions
    file: a broker export (detected from its content) as its positions table, ``imported`` being
    the export; else a CSV or XLSX table (in a workbook the sheet "Positions", else the first; the
    header row found below a title). ``name``: whose it is in messages ("" for the positions)."""

    rows: list[list[Any]]
    imported: BrokerTable | None = None
    name: str = ""

    @property
    def warnings(self) -> tuple[str, ...]:
        """The export's reader's warnings (a rate to a base it does not show left blank)."""
        return self.imported.warnings if self.imported is not None else ()

    def explained(self, error: XlMarginError) -> XlMarginError:
        """``error`` in this file's terms: the export's field names, then the table's name (a
        reader that named it already, as the candidates reader does, is read without it first)."""
        from xlmargin.decisions import in_table
        from xlmargin.errors import Problem

        if not self.name:
            return self.imported.explain(error) if self.imported is not None else error
        prefix = f"{self.name} "

        def unnamed(column: str | None) -> str | None:
            return None if column in (None, "", self.name) else column.removeprefix(prefix)

        bare = type(error)([Problem(p.message, p.row, unnamed(p.column)) for p in error.problems])
        return in_table(self.name, self.imported.explain(bare) if self.imported is not None else bare)

    @contextmanager
    def explaining(self) -> Iterator[None]:
        """Errors raised in the body explained in this file's terms (:meth:`explained`)."""
        try:
            yield
        except XlMarginError as error:
            raise self.explained(error) from None


def _read(args: argparse.Namespace, path: str, name: str = "") -> _File:
    """The file at ``path`` (:class:`_File`), refused beyond ``--max-cells`` as ``xlmargin margin``
    refuses it; its errors named as ``name``'s."""
    from xlmargin.api import broker_table
    from xlmargin.positions.source import read_file

    with _File([], None, name).explaining():
        imported = broker_table(path, args.max_cells)
        rows = imported.table() if imported is not None else read_file(Path(path), max_cells=args.max_cells)
    return _File(rows, imported, name)


def _settings(
    args: argparse.Namespace,
    functions: tuple[str, ...],
    chosen: tuple[str, ...],
    computes: tuple[str, ...],
    *,
    positions: _File,
    beside: _File | None = None,
) -> tuple[Any, dict[str, XlMarginError], tuple[str, ...]]:
    """The settings from ``--param`` and ``--as-of``, and what a broker export among the files
    implies (:func:`~xlmargin.cliargs.with_broker_params`, as ``xlmargin margin``; :func:`_export`
    says whose); and the regimes the command ``computes`` that cannot read an export and a table
    ``beside`` it alike (:func:`xlmargin.decisions.beside.unread_beside`, as the Python API asks
    it). A parameter the decisions know but the worksheet ``functions`` the command runs do not
    read under the ``chosen`` regimes is refused as those functions refuse it in a cell
    (:func:`xlmargin.regimes.unread_refusal`): it would change nothing. Then the sleeves of the
    ``sleeve`` parameter, the positions' rows the command reads (:func:`_book`), as a worksheet's
    ``sleeve`` selects them."""
    from xlmargin.decisions import DECISION_PARAMS, decision_settings
    from xlmargin.decisions.beside import unread_beside
    from xlmargin.excel.functions import SLEEVE, sleeve_names, today
    from xlmargin.regimes import function_reads, unread_refusal

    as_of, params = with_as_of(args.param, args.as_of, today())
    used = list({s.name: s for f in functions for r in chosen for s in function_reads(f, r)}.values())
    export = _export(positions, beside)
    unread: dict[str, XlMarginError] = {}
    if (
        export is not None
        and beside is not None
        and (positions.imported is None) != (beside.imported is None)
    ):
        table = positions if positions.imported is None else beside  # the one that is not the export
        given = dict(p.partition("=")[::2] for p in params)
        with table.explaining():
            names = (beside.name if table is positions else "positions", table.name or "positions")
            unread = unread_beside(export, table.rows, names, as_of, given, computes)
    params = with_broker_params(params, export, "decisions", reads=used)
    values = cli_params(params, (*DECISION_PARAMS, SLEEVE), unread=unread_refusal(functions, chosen))
    sleeves = sleeve_names(values.pop("sleeve"))
    return decision_settings(values, as_of), unread, sleeves


def _export(positions: _File, beside: _File | None) -> BrokerTable | None:
    """The broker export whose settings apply: the positions' when it is one (a trades or
    candidates export beside it reads as it does, USD per unit), else a trades or candidates
    export's. Beside a table, the export's reading (``fx_rates=usd``) applies to the table too, the
    regimes that cannot read the two alike being n/a (:func:`_settings`)."""
    if positions.imported is not None or beside is None:
        return positions.imported
    return beside.imported


def _book(source: _File, settings: Any, sleeves: tuple[str, ...] = ()) -> Any:
    """The file read as a book, only the rows of ``sleeves`` when given (the positions', as a
    worksheet's ``sleeve`` parameter selects them); the export's reader warnings and the table's on
    stderr, and for the trades its errors and warnings say whose they are."""
    from xlmargin.excel.functions import select_sleeves
    from xlmargin.positions import read_positions

    with source.explaining():
        book = read_positions(source.rows, as_of=settings.as_of, holdings=source.name != "trades")
        if sleeves:
            book = select_sleeves(book, sleeves)
    _warn((*source.warnings, *book.warnings), source.name)
    return book


def _warn(warnings: tuple[str, ...], name: str = "") -> None:
    """Warnings on stderr, one ``warning:`` line each, with ``name`` saying whose (a reader's)."""
    for warning in warnings:
        print(f"warning: {f'{name}: ' if name else ''}{warning}", file=sys.stderr)


def cmd_whatif(args: argparse.Namespace) -> int:
    from xlmargin.decisions import REGIMES, margin_impact

    regimes = REGIMES if args.regime is None else (args.regime,)
    positions, trades_file = _read(args, args.positions), _read(args, args.trades, "trades")
    settings, unread, sleeves = _settings(
        args, ("MARGIN_IMPACT",), regimes, regimes, positions=positions, beside=trades_file
    )
    book, trades = _book(positions, settings, sleeves), _book(trades_file, settings)
    with positions.explaining():
        result = margin_impact(book, trades, settings, regimes, unread=unread)
    _warn(result.warnings)
    print(render(result.table()))
    return _refused(result.refused)


def cmd_hedge(args: argparse.Namespace) -> int:
    from xlmargin.decisions import hedge_optimize, read_candidates
    from xlmargin.decisions.hedge import SHOWN

    regimes = tuple(dict.fromkeys((args.objective, *SHOWN)))
    positions, listed = _read(args, args.positions), _read(args, args.candidates, "candidates")
    settings, unread, sleeves = _settings(
        args, ("HEDGE_OPTIMIZE",), (args.objective,), regimes, positions=positions, beside=listed
    )
    with listed.explaining():
        account = settings.account if args.objective == "account" else None  # its rates, its way
        candidates = read_candidates(listed.rows, settings.as_of, account)
    book = _book(positions, settings, sleeves)
    # the reader's warnings after the book's, as whatif's trades', and before the search (which may
    # fail); result.candidate_warnings holds them again for the worksheet function's table
    _warn((*listed.warnings, *candidates.portfolio.warnings), "candidates")
    with positions.explaining():
        result = hedge_optimize(book, candidates, settings, args.objective, args.budget, unread=unread)
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
    from xlmargin.decisions import liquidation_plan, margin_call_move
    from xlmargin.decisions.names import PLAN_REGIMES

    planned = args.regime in PLAN_REGIMES  # else only the distance to a call (which scales the
    functions = ("LIQUIDATION_PLAN", "MARGIN_CALL_MOVE") if planned else ("MARGIN_CALL_MOVE",)  # risk view)
    positions = _read(args, args.positions)
    settings, _, sleeves = _settings(
        args, functions, (args.regime,), (args.regime, "risk"), positions=positions
    )
    book = _book(positions, settings, sleeves)
    with positions.explaining():
        if planned:  # both answers computed before either is printed: an error writes nothing
            plan = liquidation_plan(book, args.equity, settings, args.regime)
            move = margin_call_move(book, args.equity, settings, args.regime)
            _warn(tuple(dict.fromkeys((*plan.warnings, *move.warnings))))
            print(render(plan.table()))
            print()
            print(render(moves_shown(move.table())))
            return 0
        # the distance to a call still answers; the least sale is not planned, said once the
        # inputs are known good (an equity of 0 is the one error, not a note and then the error)
        move = margin_call_move(book, args.equity, settings, args.regime)
    print(f"xlmargin: no liquidation plan: {_NOT_PLANNED.format(regime=args.regime)}", file=sys.stderr)
    _warn(move.warnings)
    print(render(moves_shown(move.table())))
    return 0


def moves_shown(rows: list[list[Any]]) -> list[list[Any]]:
    """MARGIN_CALL_MOVE's table for the terminal: a move as a percentage ("-40.75%", cut toward 0
    at the hundredth shown, as the table cuts it: never longer than it is), a scenario's scale as a
    multiple ("1.55×"), no call as "none" (a number, or blank, in the worksheet and the DataFrame)."""
    from xlmargin.money import truncated

    def shown(row: list[Any]) -> list[Any]:
        move = row[1]
        if move is None:
            text = "none"
        else:
            scale = str(row[0]).startswith("scenario")
            text = f"{truncated(move, 2):.2f}{'×' if scale else '%'}"
        return [row[0], text, *row[2:]]

    return [[rows[0][0], "move at the call", *rows[0][2:]], *(shown(r) for r in rows[1:])]


def shares_shown(rows: list[list[Any]]) -> list[list[Any]]:
    """MARGIN_CONTRIBUTION's table for the terminal: the share of the total as a percentage (a
    fraction, 0.47, in the worksheet and the DataFrame)."""
    return [rows[0], *([*r[:4], f"{r[4]:.2%}"] if isinstance(r[4], float) else r for r in rows[1:])]


_NOT_PLANNED = (
    "the liquidation plan is made under pm, risk, regt and regt_maintenance only (LIQUIDATION_PLAN's "
    "regimes); under {regime} the distance to a margin call follows"
)


def cmd_contribution(args: argparse.Namespace) -> int:
    """MARGIN_CONTRIBUTION: each position's incremental and component requirement."""
    from xlmargin.decisions import margin_contribution

    positions = _read(args, args.positions)
    chosen = (args.regime,)
    settings, _, sleeves = _settings(args, ("MARGIN_CONTRIBUTION",), chosen, chosen, positions=positions)
    book = _book(positions, settings, sleeves)
    with positions.explaining():
        result = margin_contribution(book, settings, args.regime)
    _warn(result.warnings)
    print(render(shares_shown([row for row in result.table() if row[0] != "warning"])))  # warnings: stderr
    return 0


def cmd_cushion(args: argparse.Namespace) -> int:
    """MARGIN_CUSHION: the excess of equity over a requirement, and that excess as a share of equity."""
    from xlmargin.capacity import margin_cushion

    excess, share = margin_cushion(args.equity, args.requirement)
    print(render([["excess", "cushion"], [excess, f"{share:.2%}"]]))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "positions",
        help="CSV or XLSX positions file, or a broker export (IBKR Flex XML, activity statement or "
        "portfolio CSV) read as 'xlmargin margin' reads it: for the account view it sets fx_rates=usd "
        "and fx.USD unless given with --param",
    )
    add_max_cells(parser)
    parser.add_argument("--as-of", type=iso_date, help="valuation date (default: today)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter (repeatable), as in the worksheet's params block; sleeve=NAME[,NAME] reads "
        "only the positions of those sleeves",
    )


_DESCRIBED = {  # a subcommand's one line in ``xlmargin --help``, and its own help's description
    "whatif": (
        "before, after and change of the requirement for a set of trades",
        "MARGIN_IMPACT: the requirement of the positions before the trades, after them and the change, "
        "under each regime (or the one --regime names).",
    ),
    "hedge": (
        "the candidate quantities that minimise the requirement (LP/MILP)",
        "HEDGE_OPTIMIZE: the quantities of the candidates, each between its min_qty and max_qty, that "
        "minimise the --objective on the positions plus the candidates, within the --budget if given.",
    ),
    "plan": (
        "the least to close to meet a margin call, and the distance to the next",
        "LIQUIDATION_PLAN and MARGIN_CALL_MOVE: the least to close to bring the requirement within the "
        "--equity (under pm, risk, regt and regt_maintenance), then how far the market can move before "
        "a margin call. Both measure the maintenance requirement wherever the regime has one (Reg T, "
        "SPAN, the account view): a call comes from maintenance (FINRA 4210(c)), a fall below Reg T's "
        "initial 50%% restricts the account; --param basis=initial measures the initial one. The plan's "
        "trades are signed as trades (-5 sells 5 held long, +10 buys back 10 held short) and its "
        "notional is price x multiplier x units closed: an option's premium, not its underlying's value, "
        "so the least notional favours closing options; --param plan_by=trades minimises the positions "
        "touched instead.",
    ),
    "contribution": (
        "which positions use the margin: incremental and component requirement per position",
        "MARGIN_CONTRIBUTION: per position its incremental requirement (total minus total without it) "
        "and a component share adding up to the total, largest first.",
    ),
    "cushion": (
        "the excess of equity over a requirement, and that excess as a share of equity",
        "MARGIN_CUSHION: excess = equity - requirement; cushion = excess / equity, floored at -100% "
        "(0 without equity or requirement, -100% with a requirement and no equity).",
    ),
}


def _described(sub: Any, name: str) -> argparse.ArgumentParser:
    """The subcommand ``name`` with its texts from :data:`_DESCRIBED`."""
    summary, description = _DESCRIBED[name]
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=description)
    return parser


def register(sub: Any) -> None:
    from xlmargin.decisions.names import CONTRIBUTION_REGIMES, OBJECTIVES, PLAN_REGIMES
    from xlmargin.decisions.names import IMPACT_REGIMES as REGIMES

    whatif = _described(sub, "whatif")
    _common(whatif)
    whatif.add_argument(
        "trades", help="CSV or XLSX trades file (the positions' columns, signed quantity) or a broker export"
    )
    whatif.add_argument("--regime", type=str.lower, choices=REGIMES, help="one regime only (default: all)")
    whatif.set_defaults(handler=cmd_whatif)

    hedge = _described(sub, "hedge")
    _common(hedge)
    hedge.add_argument(
        "candidates", help="CSV or XLSX candidates file (optional min_qty, max_qty, cost) or a broker export"
    )
    hedge.add_argument(
        "--objective", type=str.lower, choices=OBJECTIVES, default="pm",
        help="what the hedge minimises: pm (default, portfolio margin), regt or regt_maintenance (Reg T "
        "initial or maintenance, the strategy pairing chosen with the trades), risk (the risk view's worst "
        "stress loss) or account (the account view's requirement, in the account currency)",
    )  # fmt: skip
    hedge.add_argument(
        "--budget", type=amount_of("budget"),
        help="cap on the sum of cost x |quantity| over every trade, a sale's proceeds included (a blank cost "
        "is the dollar notional: selling 200 shares at 420 spends 84,000)",
    )  # fmt: skip
    hedge.set_defaults(handler=cmd_hedge)

    plan = _described(sub, "plan")
    _common(plan)
    plan.add_argument(
        "--equity", type=amount_of("equity"), required=True, help="account equity (net liquidation value)"
    )
    plan.add_argument(
        "--regime", type=str.lower, choices=REGIMES, default="pm",
        help=f"the regime of both answers (default pm); the liquidation plan is made under "
        f"{', '.join(PLAN_REGIMES)} only, the others give the distance to a call alone",
    )  # fmt: skip
    plan.set_defaults(handler=cmd_plan)

    contribution = _described(sub, "contribution")
    _common(contribution)
    contribution.add_argument(
        "--regime", type=str.lower, choices=CONTRIBUTION_REGIMES, default="pm",
        help="pm (default), regt (on the basis param), regt_maintenance, account or risk",
    )  # fmt: skip
    contribution.set_defaults(handler=cmd_contribution)

    cushion = _described(sub, "cushion")
    cushion.add_argument(
        "--equity", type=amount_of("equity"), required=True, help="account equity (net liquidation value)"
    )
    cushion.add_argument(
        "--requirement", type=amount_of("requirement"), required=True, help="a margin requirement"
    )
    cushion.set_defaults(handler=cmd_cushion)
