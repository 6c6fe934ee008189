"""Argument types and exit codes the command-line modules share (the margin, batch, decision and
workbook commands)."""

from __future__ import annotations

import argparse
import datetime as dt
import math
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


def count_above_zero(text: str) -> int:
    """A limit such as ``--max-cells``: a whole number above 0 (0 or less would refuse every
    workbook, or none)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number above 0")
    return number


def seconds_above_zero(text: str) -> float:
    """A ``--timeout``: a finite number of seconds above 0."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0 < number < math.inf:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return number


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
