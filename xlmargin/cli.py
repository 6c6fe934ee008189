"""The ``xlmargin`` command line.

``xlmargin margin [FILE]`` prints the requirement and breakdown of a CSV or XLSX positions file
(the bundled sample when FILE is omitted). Every error is one clear message and exit code 2;
nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from xlmargin import __version__
from xlmargin.errors import XlMarginError
from xlmargin.params import read_params
from xlmargin.textable import fmt, render

SAMPLE = "sample_positions.csv"


def sample_positions() -> Path:
    """The bundled sample positions file."""
    return Path(str(resources.files("xlmargin.data").joinpath(SAMPLE)))


# --- commands ----------------------------------------------------------------------------------


def _as_of(args: argparse.Namespace) -> dt.date:
    return args.as_of or dt.date.today()


def cmd_margin(args: argparse.Namespace) -> int:
    from xlmargin.positions import read_positions

    path = Path(args.file) if args.file else sample_positions()
    as_of = _as_of(args)
    portfolio = read_positions(path, as_of=as_of)
    print(f"{path.name}: {len(portfolio)} positions, valued {as_of.isoformat()}")
    warnings: tuple[str, ...]
    if args.regime == "regt":
        from xlmargin.regt import regt_margin

        if args.param:
            raise XlMarginError("--param is not used by the Reg T regime; use --as-of")
        result = regt_margin(portfolio, basis=args.basis, net_of_proceeds=args.net)
        convention = "net of short-option proceeds" if args.net else "gross"
        print(f"Reg T {args.basis} requirement ({convention}): {result.total:,.2f}\n")
        print(render(result.table()))
        warnings = result.warnings
    else:
        from xlmargin.pm import PM_PARAMS, pm_requirement, pm_settings

        values = read_params([*args.param, f"as_of={as_of.isoformat()}"], PM_PARAMS)
        pm = pm_requirement(portfolio, pm_settings(values, as_of))
        print(f"Portfolio margin requirement: {pm.requirement:,.2f}\n")
        print(render(pm.breakdown_table()))
        print()
        print(render(pm.scenarios_table()))
        warnings = pm.warnings
    for warning in warnings:
        print(f"warning: {warning}")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlmargin", description="Margin requirements for Excel positions tables."
    )
    parser.add_argument("--version", action="version", version=f"xlmargin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    margin = sub.add_parser("margin", help="print the requirement and breakdown of a positions file")
    margin.add_argument("file", nargs="?", help="CSV or XLSX positions file (default: the bundled sample)")
    margin.add_argument("--regime", choices=("regt", "pm"), default="regt")
    margin.add_argument("--basis", choices=("initial", "maintenance"), default="initial")
    margin.add_argument("--net", action="store_true", help="net of short-option sale proceeds")
    margin.add_argument("--as-of", type=_date, help="valuation date (default: today)")
    margin.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter (repeatable)"
    )
    margin.set_defaults(handler=cmd_margin)

    from xlmargin import install
    from xlmargin.workbook.cli import register as register_workbook_commands

    register_workbook_commands(sub)
    install.register(sub)
    from xlmargin.batch.cli import register as register_batch_command

    register_batch_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except XlMarginError as exc:
        print(f"xlmargin: {exc.details()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of our output went away (`xlmargin margin | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


__all__ = ["fmt", "main", "read_params", "render"]


if __name__ == "__main__":
    sys.exit(main())
