"""The ``xlmargin`` command line.

``xlmargin margin [FILE] --regime regt|pm|futures|esma|account|risk`` prints the requirement and the
breakdown of a positions table: a CSV file, a table inside a workbook (``--sheet``/``--table``; the
header row is found below any title) or a broker export (detected from its content). ``--format``
picks a plain-text table that fits the terminal, CSV or JSON. Every error is one clear message and
exit code 2 (:data:`~xlmargin.cliargs.BAD_INPUT`: nothing written); exit code 1
(:data:`~xlmargin.cliargs.SOME_FAILED`) is ``batch``'s, ``recalc``'s and ``freeze``'s output
written with some of its results errors; running out of memory is one line and exit code 2 too.
Nothing prints a traceback, and a closed pipe
(``| head -1``) ends every command quietly.

Other commands register themselves in :func:`build_parser` (``COMMAND_MODULES``, one line each).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from xlmargin import __version__
from xlmargin.cliargs import (
    BAD_INPUT,
    EXIT_CODES,
    add_max_cells,
    cli_params,
    iso_date,
    with_as_of,
    with_broker_params,
)
from xlmargin.errors import XlMarginError
from xlmargin.files import csv_safe
from xlmargin.params import read_params
from xlmargin.textable import fmt, render

SAMPLE = "sample_positions.csv"
BASIS = "initial"  # Reg T's basis when --basis is not given
OUT_OF_MEMORY = "xlmargin: out of memory; the input is too large for this machine (nothing written)"


def sample_positions() -> Path:
    """The bundled sample positions file."""
    return Path(str(resources.files("xlmargin.data").joinpath(SAMPLE)))


# --- the regimes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Regime:
    """What ``margin --regime NAME`` prints: a headline figure and the engine result's tables."""

    label: str
    run: Callable[[list[list[Any]], argparse.Namespace, list[str]], Any]  # the engine result
    figure: str  # the result's attribute holding the requirement
    tables: tuple[str, ...]  # the result's methods returning tables, the first being the breakdown
    params: str  # the engine whose parameters its worksheet functions take (functions.param_specs)


def _regimes() -> dict[str, Regime]:
    # The worksheet functions' own paths (xlmargin.excel.functions), so the command, Excel and the
    # Python API compute through one route and cache.
    from xlmargin.excel import functions as fn

    def risk(rows: list[list[Any]], args: argparse.Namespace, params: list[str]) -> Any:
        from xlmargin.stress import risk_margin

        return fn.stress_result("risk_margin", rows, params, None, risk_margin)

    return {
        "regt": Regime(
            "Reg T {basis} requirement ({convention})",
            lambda rows, a, p: fn.regt_result(rows, a.basis or BASIS, a.net, p), "total", ("table",), "regt",
        ),
        "pm": Regime(
            "Portfolio margin requirement", lambda rows, a, p: fn.pm_result(rows, p), "requirement",
            ("breakdown_table", "scenarios_table"), "pm",
        ),
        "futures": Regime(
            "Futures (SPAN-style) requirement",
            lambda rows, a, p: fn.futures_result(rows, p), "requirement", ("table",), "span",
        ),
        "esma": Regime(
            "ESMA initial margin ({currency})",
            lambda rows, a, p: fn.esma_result(rows, a.account_currency, p), "total", ("table",), "esma",
        ),
        "account": Regime(
            "Account requirement", lambda rows, a, p: fn.account_result(rows, p), "total", ("table",),
            "account",
        ),
        "risk": Regime(
            "Risk view (house, not a regulation): worst stress loss", risk, "requirement", ("table",),
            "stress",
        ),
    }  # fmt: skip


REGIMES = ("regt", "pm", "futures", "esma", "account", "risk")
# The options of ``margin`` that some regimes only take: (option, attribute, those regimes, the
# account view's parameter for the same thing). Given with another regime they are refused, not
# ignored (``--regime pm --basis maintenance`` printed portfolio margin as if it had not been given).
REGIME_OPTIONS = (
    ("--basis", "basis", ("regt",), "basis"),
    ("--net", "net", ("regt",), None),
    ("--account-currency", "account_currency", ("esma",), "account_currency"),
)


# --- commands ----------------------------------------------------------------------------------


def _as_of(args: argparse.Namespace) -> tuple[dt.date, list[str]]:
    """The valuation date (``--as-of``, an ``as_of`` in ``--param``, or today) and the parameters."""
    from xlmargin.excel.functions import today

    return with_as_of(args.param, args.as_of, today())


def _refuse_other_regimes_options(args: argparse.Namespace) -> None:
    """One line naming an option given with a regime it does not apply to, and the regimes it does."""
    for option, name, regimes, param in REGIME_OPTIONS:
        if getattr(args, name) not in (None, False) and args.regime not in regimes:
            account = param is not None and args.regime == "account"
            hint = f" (the account view takes --param {param}=...)" if account else ""
            raise XlMarginError(
                f"{option} applies to --regime {' or '.join(regimes)} only, not {args.regime}{hint}"
            )


def _param_hints(regime: str) -> dict[str, str]:
    """What ``--param NAME=...`` is told when NAME is one of :data:`REGIME_OPTIONS`, which ``regime``
    does not take as a parameter: the option that sets it (and the account view's parameter)."""
    from xlmargin.params import norm

    hints = {}
    for option, name, regimes, param in REGIME_OPTIONS:
        if regime in regimes:
            hint = f"{name} is not a parameter of --regime {regime}: use the option {option} instead"
        else:
            hint = (
                f"{name} is not a parameter of --regime {regime}: {option} sets it for --regime "
                + " or ".join(regimes)
            )
            if param is not None:
                hint += f", and --regime account takes --param {param}=..."
        hints[norm(param or name)] = hint
    return hints


def cmd_margin(args: argparse.Namespace) -> int:
    from xlmargin.api import broker_table
    from xlmargin.excel.functions import SLEEVE, param_specs
    from xlmargin.money import cents

    _refuse_other_regimes_options(args)
    path = Path(args.file) if args.file else sample_positions()
    as_of, params = _as_of(args)
    regime = _regimes()[args.regime]
    # a bad one named by its option; one that is an option here (basis) or another regime's, said so
    cli_params(params, (*param_specs(regime.params), SLEEVE), hints=_param_hints(args.regime))
    imported = broker_table(
        path, args.max_cells
    )  # its rates are USD per unit: the parameters it implies, as the API's
    params = with_broker_params(params, imported, regime.params, args.account_currency, args.regime)
    portfolio, result = _margin_result(args, path, imported, regime, as_of, params)
    figure = cents(getattr(result, regime.figure))
    label = _margin_label(regime, args)
    tables = [getattr(result, name)() for name in regime.tables]
    read = imported.warnings if imported is not None else ()  # the export's reader's, then the table's
    warnings = [*read, *getattr(portfolio, "warnings", ()), *getattr(result, "warnings", ())]
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    source = f"{path.name} ({imported.format})" if imported is not None else path.name
    if args.format == "json":
        document = {
            "file": source, "positions": len(portfolio), "as_of": as_of.isoformat(), "regime": args.regime,
            "label": label, "requirement": figure,
            "tables": [{"columns": t[0], "rows": [[_plain(c) for c in r] for r in t[1:]]} for t in tables],
            "warnings": warnings,
        }  # fmt: skip
        import json

        print(json.dumps(document, indent=2, default=str))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows([[csv_safe(_plain(c)) for c in r] for r in tables[0]])
    else:
        _print_margin_text(source, len(portfolio), as_of, f"{label}: {fmt(figure)}", tables)
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """``xlmargin params NAME``: XLM_PARAMS' table, for a regime of ``margin`` (its worksheet
    functions' parameters, those ``--param`` takes) or a worksheet function."""
    from xlmargin.errors import InputError, Problem
    from xlmargin.excel import functions as fn
    from xlmargin.excel.registry import FUNCTIONS, xlm_params

    name = args.name.strip()
    regimes = _regimes()
    # regt_maintenance, the decisions' name for Reg T on the maintenance basis, reads Reg T's parameters
    regime = regimes.get("regt" if name.lower() == "regt_maintenance" else name.lower())
    if regime is not None:
        rows = fn.param_table(regime.params)
    elif name.upper().split("(")[0] in (f.name for f in FUNCTIONS if f.params):
        rows = xlm_params(name)
    else:
        functions = ", ".join(f.name for f in FUNCTIONS if f.params)
        raise InputError(
            Problem(
                f"'{name}' is neither a regime ({', '.join([*regimes, 'regt_maintenance'])}) nor a worksheet "
                f"function taking a params range ({functions})"
            )
        )
    if args.format == "json":
        import json

        print(json.dumps([dict(zip(rows[0], row, strict=True)) for row in rows[1:]], indent=2, default=str))
    elif args.format == "csv":
        csv.writer(sys.stdout, lineterminator="\n").writerows([[csv_safe(c) for c in r] for r in rows])
    else:
        print(render(rows, width=terminal_width()))
    return 0


def _margin_result(
    args: argparse.Namespace, path: Path, imported: Any, regime: Regime, as_of: dt.date, params: list[str]
) -> tuple[Any, Any]:
    """The portfolio read from ``path`` (or from the broker export ``imported``) and the regime's
    result; an error in a broker export is explained in that export's terms."""
    from xlmargin.api import rows_of
    from xlmargin.excel.functions import portfolio_of

    if imported is not None and (args.sheet or args.table):
        raise XlMarginError(f"{path.name} is a broker export ({imported.format}): it has no sheets or tables")
    from xlmargin.files import MAX_CELLS
    from xlmargin.params import norm
    from xlmargin.positions.source import located, workbook_rows

    where: tuple[str, int] | None = None  # a workbook's sheet and first column, which its errors name
    if imported is not None:
        rows = imported.table()
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        cells = MAX_CELLS if args.max_cells is None else args.max_cells
        rows, title, left = workbook_rows(path, args.sheet, args.table, cells)
        where = (title, left)
    else:
        rows = rows_of(path, sheet=args.sheet, table=args.table, max_cells=args.max_cells)
    # the positions margined: the sleeve's when --param sleeve= selects one, as the regime reads them
    sleeve = next((p.partition("=")[2] for p in params if norm(p.partition("=")[0]) == "sleeve"), None)
    try:
        _, portfolio = portfolio_of(rows, as_of, sleeve or None)
        result = regime.run(rows, args, params)
    except XlMarginError as exc:
        if imported is not None:
            raise imported.explain(exc) from None
        raise (located(exc, path, *where, rows) if where else exc) from None
    return portfolio, result


def _margin_label(regime: Regime, args: argparse.Namespace) -> str:
    from xlmargin.cells import is_blank
    from xlmargin.esma import DEFAULT_ACCOUNT_CURRENCY

    given = args.account_currency
    return regime.label.format(
        basis=args.basis or BASIS,
        convention="net of short-option proceeds" if args.net else "gross",
        currency=DEFAULT_ACCOUNT_CURRENCY if is_blank(given) else str(given).upper(),
    )


def _print_margin_text(source: str, positions: int, as_of: dt.date, headline: str, tables: list[Any]) -> None:
    print(f"{source}: {positions} positions, valued {as_of.isoformat()}")
    print(headline)
    for table in tables:
        print()
        print(render(table, width=terminal_width()))


def _plain(cell: Any) -> Any:
    """A table cell for CSV/JSON: figures without binary noise (``48400.00000000001`` → 48400.0)."""
    from xlmargin.money import rounded

    if isinstance(cell, float) and not isinstance(cell, bool):
        return rounded(cell, 9)
    return cell


def terminal_width() -> int:
    """The terminal's width; unlimited (no wrapping) when the output is not a terminal and COLUMNS
    is not set."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return 1_000_000


# The modules that add the other commands, in the order ``--help`` lists them, with the commands
# each adds (a test checks them). A command given on the command line loads only its own module, so
# that ``xlmargin recalc`` does not import the installer; anything else (``--help``, no command, an
# unknown word) loads them all.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "xlmargin.workbook.cli": ("recalc", "freeze", "templates"),
    "xlmargin.install": ("install", "uninstall", "status"),
    "xlmargin.decisions.cli": ("whatif", "hedge", "plan", "contribution", "cushion"),
    "xlmargin.batch.cli": ("batch",),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (given the ``command`` about to run) ``margin`` and that command's."""
    parser = argparse.ArgumentParser(
        prog="xlmargin", description="Margin requirements for Excel positions tables.", epilog=EXIT_CODES
    )
    parser.add_argument("--version", action="version", version=f"xlmargin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    margin = sub.add_parser(
        "margin",
        help="print the requirement and breakdown of a positions file under one regime",
        description="Read a positions table (CSV, a table inside a workbook, or an IBKR export: Flex XML, "
        "activity statement or portfolio CSV, detected from its content) and print its requirement "
        "and breakdown. An export's rates are USD per unit: with --regime account or esma it sets "
        "fx_rates=usd and, in an account of its base currency, fx.USD to its own dollar rate, unless "
        "given with --param (whatif and hedge read an export so too).",
    )
    margin.add_argument(
        "file", nargs="?", help="CSV/XLSX positions file or broker export (default: the bundled sample)"
    )
    margin.add_argument(
        "--regime", type=str.lower, choices=REGIMES, default="regt",
        help="regt: Reg T strategy margin (default); pm: portfolio margin; futures: SPAN-style; "
        "esma: EU retail caps; account: every segment added; risk: the house stress view",
    )  # fmt: skip
    margin.add_argument(
        "--sheet", help="the workbook sheet holding the table (default: Positions, else the first)"
    )
    margin.add_argument("--table", help="the Excel table (e.g. tblPositions) holding the positions")
    add_max_cells(margin)
    margin.add_argument(
        "--format", choices=("table", "csv", "json"), default="table",
        help="table: plain text fitted to the terminal (default); csv: the breakdown table; json: everything",
    )  # fmt: skip
    margin.add_argument(
        "--basis", choices=("initial", "maintenance"),
        help=f"Reg T basis (default {BASIS}); --regime regt only, as --net is",
    )  # fmt: skip
    margin.add_argument("--net", action="store_true", help="Reg T net of short-option sale proceeds")
    margin.add_argument(
        "--account-currency", metavar="CCY", help="ESMA: the account's currency (default EUR); esma only"
    )
    margin.add_argument("--as-of", type=iso_date, help="valuation date, YYYY-MM-DD (default: today)")
    margin.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE",
        help="a parameter of the regime, repeatable ('xlmargin params REGIME' lists them, as XLM_PARAMS)",
    )  # fmt: skip
    margin.set_defaults(handler=cmd_margin)

    params = sub.add_parser(
        "params",
        help="list the parameters a regime (--param) or a worksheet function (params range) accepts",
        description="The table XLM_PARAMS shows: each parameter's name, default and meaning, the regimes "
        "that read it and whether it accepts a '%' (a rate: 4% is 0.04).",
    )
    params.add_argument(
        "name", help="a regime of margin (regt, pm, ...) or a worksheet function (PM_REQUIREMENT)"
    )
    params.add_argument("--format", choices=("table", "csv", "json"), default="table", help="as margin's")
    params.set_defaults(handler=cmd_params)

    wanted = [m for m, commands in COMMAND_MODULES.items() if command in commands] or list(COMMAND_MODULES)
    for module in wanted:
        importlib.import_module(module).register(sub)
    return parser


@contextmanager
def native_stdout_hidden() -> Iterator[None]:
    """Keep the process's standard output for what xlmargin prints: while the body runs, native
    code writing to file descriptor 1 (HiGHS prints some MIP messages with ``printf`` whatever its
    options say) writes to the null device, and ``sys.stdout`` writes to a copy of the real
    descriptor. A ``--format json`` or ``csv`` document stays parseable. Without a descriptor behind
    ``sys.stdout`` (a test's capture, a GUI host) there is nothing native code could reach: no
    change."""
    python_stdout = sys.stdout
    fd = _descriptor(python_stdout)
    if fd is None:
        yield
        return
    python_stdout.flush()  # a closed pipe raises here: main ends quietly
    kept = os.dup(fd)
    ours = io.TextIOWrapper(  # closed below (and ``kept`` with it), after the descriptors are put back
        io.BufferedWriter(io.FileIO(kept, "w")), encoding=python_stdout.encoding,
        errors=python_stdout.errors, line_buffering=getattr(python_stdout, "line_buffering", False),
    )  # fmt: skip
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)
    sys.stdout = ours
    try:
        yield
    finally:
        _flush_native_stdio()  # what native code buffered goes to the null device, not to our output
        os.dup2(kept, fd)
        sys.stdout = python_stdout
        ours.close()  # writes what we printed (a closed pipe raises here, as at the end of main)


def _descriptor(stream: Any) -> int | None:
    """The open file descriptor behind ``stream``, or None (a test's capture, no console, a
    closed standard output that Python shows as ``sys.stdout = None``)."""
    try:
        fd = int(stream.fileno())
        os.fstat(fd)
    except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation is both
        return None
    return fd


def _flush_native_stdio() -> None:
    """Flush the C library's stdio buffers (``fflush(NULL)``): output HiGHS has ``printf``-ed but
    not written yet. Best effort: a C library that cannot be loaded has nothing of ours buffered."""
    import ctypes

    try:
        libc = ctypes.CDLL("ucrtbase") if os.name == "nt" else ctypes.CDLL(None)
        libc.fflush(None)
    except (OSError, AttributeError):
        pass


def _on_options(
    exc: XlMarginError, parser: argparse.ArgumentParser, args: argparse.Namespace, given: Sequence[str]
) -> str:
    """Every problem of ``exc``, one per line, each that refuses a value the command line gave
    prefixed as argparse and :func:`~xlmargin.cliargs.cli_params` prefix theirs: a problem of no row
    whose column is an option given (``argument --requirement: a requirement cannot be negative``)
    or a ``--param`` given (``--param sleeve=nope: sleeve: no position is in sleeve 'nope'``)."""
    from xlmargin.params import norm

    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command = sub.choices[args.command]
    options = {
        a.dest: next(o for o in a.option_strings if o.startswith("--"))
        for a in command._actions
        if any(o.startswith("--") for o in a.option_strings) and a.dest != "param"
    }
    typed = {w.partition("=")[0] for w in given if w.startswith("--")}  # argparse reads "--req" too
    params = {norm(p.partition("=")[0]): p for p in getattr(args, "param", None) or ()}
    lines = []
    for problem in exc.problems:
        column = problem.column or ""
        if problem.row is None and any(options.get(column, " ").startswith(w) for w in typed):
            lines.append(f"argument {options[column]}: {problem.message}")
        elif problem.row is None and column and norm(column) in params:
            lines.append(f"--param {params[norm(column)]}: {problem}")
        else:
            lines.append(str(problem))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args_given = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(args_given[0] if args_given else None)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, a usage error: flush while a closed pipe is caught
            sys.stdout.flush()
            return exc.code if isinstance(exc.code, int) else BAD_INPUT
        handler: Callable[[argparse.Namespace], int] = args.handler
        try:
            with native_stdout_hidden():
                code = handler(args)
        except XlMarginError as exc:
            print(f"xlmargin: {_on_options(exc, parser, args, args_given)}", file=sys.stderr)
            code = BAD_INPUT
        except MemoryError:  # nothing was written: every output is written whole at the end
            print(OUT_OF_MEMORY, file=sys.stderr)
            code = BAD_INPUT
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of our output went away (`xlmargin margin | head -1`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


__all__ = ["fmt", "main", "read_params", "render"]


if __name__ == "__main__":
    sys.exit(main())
