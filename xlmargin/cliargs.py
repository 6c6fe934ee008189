"""Argument types and exit codes the command-line modules share (the margin, batch, decision and
workbook commands)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xlmargin.brokers import BrokerTable
    from xlmargin.params import Param

# The exit codes (the README's table; 0: every result computed). A script tells them apart: with
# SOME_FAILED the output is there to read, with BAD_INPUT there is none.
SOME_FAILED = 1
"""The output is written (``batch``'s results, ``recalc``'s or ``freeze``'s workbook), but some of
its results are errors: an account's error row, a cell where an xlmargin function failed."""
BAD_INPUT = 2
"""Bad input or usage, nothing written (argparse's own code for a usage error)."""
EXIT_CODES = (
    "exit codes: 0 done; 1 the output written (batch's results, recalc's or freeze's workbook, whatif's "
    "or hedge's table) but some of its results are errors, named on stderr (install, uninstall, status: "
    "a step failed or a problem was found, as printed); 2 bad input or usage, nothing written"
)
"""The exit codes as ``--help`` states them."""


def iso_date(text: str) -> dt.date:
    """A ``--as-of`` value: an ISO date, or argparse's one-line usage error."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def amount_of(name: str, above_zero: str | None = None) -> Callable[[str], float]:
    """The argparse type of an amount option (``--equity``, ``--budget``): its text read as the
    worksheet function reads the same argument (:func:`xlmargin.cells.to_number`, the cell's
    ``amount`` rule): '$1,000,000' and '1,000' are read; '1_000', 'nan', 'inf', a decimal comma
    and '15%' are refused in the cell's words, which argparse prints after the option ("argument
    --equity: '15%' is a percentage, but equity is an amount: ...") with exit code 2. ``name`` is
    the cell's name for the value (``equity``). ``above_zero``: a limit's wording ("is not a whole
    number above 0") for a number at or below 0; a text that is no number (or 1e20, too large) is
    refused in the cell's words. The command line takes no rate; a rate option would read its '%'
    with ``to_number(text)`` alone."""

    def read(text: str) -> float:
        from xlmargin.cells import AMOUNT_ARGUMENT_RATES, to_number

        number, problem = to_number(text, name, AMOUNT_ARGUMENT_RATES)
        if above_zero is not None and problem is None and not number > 0:
            problem = f"'{text}' {above_zero}"
        elif problem is not None and not text.strip():
            problem = f"{name} is missing"
        if problem is not None:
            raise argparse.ArgumentTypeError(problem)
        return number

    return read


def count_above_zero(name: str) -> Callable[[str], int]:
    """The argparse type of a limit such as ``--max-cells``: a whole number above 0 (0 or less
    would refuse every workbook, or none), read by :func:`amount_of`'s rule ('1,000,000' as the
    help prints the default; '1_000' and '15%' refused)."""
    refusal = "is not a whole number above 0"
    amount = amount_of(name, refusal)

    def read(text: str) -> int:
        number = amount(text)
        if not number.is_integer():
            raise argparse.ArgumentTypeError(f"'{text}' {refusal}")
        return int(number)

    return read


def add_max_cells(parser: argparse.ArgumentParser, unlimited: str = "a CSV or broker export") -> None:
    """Give ``parser`` the ``--max-cells N`` option every command reading a positions file takes
    (``margin``, ``batch``, ``whatif``, ``hedge``, ``plan``, ``contribution``): a file of more cells
    is refused before it is read (:func:`xlmargin.files.cells_checked`), a workbook by default
    beyond :data:`~xlmargin.files.MAX_CELLS`. ``unlimited``: the files it sets no default limit for."""
    from xlmargin.files import MAX_CELLS

    parser.add_argument(
        "--max-cells", type=count_above_zero("max_cells"), metavar="N",
        help=f"refuse a file of more cells before reading it (default: a workbook {MAX_CELLS:,}; "
        f"{unlimited} no limit)",
    )  # fmt: skip


def with_as_of(params: list[str], as_of: dt.date | None, today: dt.date) -> tuple[dt.date, list[str]]:
    """The valuation date and the ``--param`` list holding it: ``--as-of`` added to the list; else
    an ``as_of`` given with ``--param`` (read as a params range reads it); else today, added. Both
    at once are refused."""
    from xlmargin.cells import NOT_A_DATE, to_date
    from xlmargin.errors import InputError, Problem
    from xlmargin.params import norm

    given = [p for p in params if norm(p.partition("=")[0]) == "asof"]
    if len(given) + (as_of is not None) > 1:
        raise InputError(Problem("the valuation date is given more than once: give one --as-of or as_of"))
    if given:
        value = given[0].partition("=")[2].strip()
        date = to_date(value)
        if date is None:  # named by its option, as cli_params names the others
            raise InputError(Problem(f"--param {given[0]}: '{value}' {NOT_A_DATE}"))
        return date, list(params)
    date = as_of or today
    return date, [*params, f"as_of={date.isoformat()}"]


def with_broker_params(
    params: list[str],
    imported: BrokerTable | None,
    params_key: str | None,
    account_currency: Any = None,
    regime: str = "",
    reads: Sequence[Param] | None = None,
) -> list[str]:
    """The ``--param NAME=VALUE`` list with what the positions file ``imported`` (a broker export;
    None for a positions table: the list as it is) implies added, a name given kept: the settings
    of :func:`xlmargin.api.broker_params` (``fx_rates=usd``, and ``fx.USD`` in an account of the
    export's base currency), where the command reads ``fx_rates``. Every command reading a broker
    export takes its settings here, so that ``margin``, ``whatif`` and ``hedge`` read one export
    alike."""
    if imported is None:
        return list(params)
    from xlmargin.api import broker_params

    given = dict(p.partition("=")[::2] for p in params)
    implied = broker_params(imported, params_key, given, account_currency, regime, reads)
    return [*params, *(f"{name}={value}" for name, value in implied.items())]


def cli_params(
    params: list[str],
    specs: Sequence[Param],
    hints: Mapping[str, str] | None = None,
    unread: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """The ``--param NAME=VALUE`` options read against ``specs`` as a params range is read
    (:func:`~xlmargin.params.read_params`: every spec's value, given or default), each problem
    naming its option ("--param basis=maint: basis: 'maint' is not one of initial, maintenance"):
    the command line has no range whose row and column it could name. ``unread``: a name of
    ``specs`` the command does not read → why it is refused, as the worksheet function refuses it
    (:func:`xlmargin.regimes.unread_refusal`). A name ``specs`` lack that ``hints`` holds (keyed by
    :func:`~xlmargin.params.norm`: ``basis``, given where it is an option or another regime's
    parameter) is refused with its hint, not as an unknown parameter."""
    from xlmargin.errors import InputError, Problem
    from xlmargin.params import norm, read_params

    def where(row: int) -> str:
        return f"--param {params[row - 1]}"

    used = {norm(spec.name) for spec in specs}
    problems = []
    for row, given in enumerate(params, start=1):
        name = norm(given.partition("=")[0])
        if "=" not in given:
            problems.append(Problem("not NAME=VALUE", None, where(row)))
        elif name not in used and hints and name in hints:
            problems.append(Problem(hints[name], None, where(row)))
    if problems:
        raise InputError(problems)
    return read_params(params, specs, where, unread)
