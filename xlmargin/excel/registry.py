"""The registry: the single source of every worksheet function's name, help and result shape.

``udfs.py`` decorates one thin wrapper per entry (tests check that the two agree), the README's
function reference and the template workbooks are generated from it, and the Office.js route
reads the same names. Descriptions are at most 255 characters (Excel's Function Wizard limit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xlmargin.errors import InputError, Problem
from xlmargin.excel import decisions as dec
from xlmargin.excel import functions as fn

CATEGORY = "xlmargin"
NAMESPACE = "XLMARGIN"
HELP_URL = "https://github.com/xlmargin/xlmargin#worksheet-functions"

POSITIONS_HELP = (
    "The positions table including its header row (symbol, type, quantity, price, ...); "
    "an Excel Table as Table[#All] or an oversized range: blank rows are ignored."
)
PARAMS_HELP = "Optional two-column range of name/value pairs (or name=value texts), e.g. as_of, rate."


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    help: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Function:
    """One worksheet function. ``shape`` is "scalar" (one cell) or "table" (an array formula)."""

    name: str
    summary: str
    args: tuple[Arg, ...]
    shape: str
    impl: Callable[..., Any]
    params: str | None = None  # the engine whose parameter list applies, for XLM_PARAMS
    # a table without a header row (MARGIN_CUSHION's one row of figures): its columns' names, the
    # Python twin's DataFrame columns (the command line's headings)
    columns: tuple[str, ...] = ()

    @property
    def signature(self) -> str:
        parts = [f"[{a.name}]" if a.optional else a.name for a in self.args]
        return f"{self.name}({', '.join(parts)})"


POSITIONS = Arg("positions", POSITIONS_HELP)
PARAMS = Arg("params", PARAMS_HELP, optional=True)
COVARIANCE = Arg(
    "covariance",
    "Optional square covariance matrix with factor names as first row and column; blank = the default.",
    optional=True,
)
BASIS = Arg("basis", '"initial" (default) or "maintenance".', optional=True)
NET = Arg(
    "net_of_proceeds",
    "FALSE (default): gross, short options carry 100% of their value (FINRA). "
    "TRUE: net of short-option sale proceeds (Cboe tables).",
    optional=True,
)


def xlm_params(function: Any) -> list[list[Any]]:
    """The parameters a worksheet function accepts, one per row: name, default, meaning, the regimes
    that read it and whether it accepts a '%'."""
    fn.cell_error(function, "function")
    name = str(function or "").strip().upper().split("(")[0].split(".")[-1]
    entry = BY_NAME.get(name)
    if entry is None or entry.params is None:
        with_params = ", ".join(f.name for f in FUNCTIONS if f.params)
        raise InputError(Problem(f"'{function}' takes no parameter range; functions that do: {with_params}"))
    return fn.param_table(entry.params, entry.name)


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "REGT_MARGIN",
        "Strategy-based margin (Reg T / FINRA 4210 / Cboe 10.3) of a positions table, "
        "with legs paired into spreads, straddles, covered calls... optimally.",
        (POSITIONS, BASIS, NET, PARAMS),
        "scalar",
        fn.regt_margin,
        "regt",
    ),
    Function(
        "REGT_BREAKDOWN",
        "Reg T breakdown: one row per recognised strategy or leg group with its legs, the rule "
        "applied and its requirement, then the total.",
        (POSITIONS, BASIS, NET, PARAMS),
        "table",
        fn.regt_breakdown,
        "regt",
    ),
    Function(
        "PM_REQUIREMENT",
        "Portfolio margin (FINRA 4210(g), OCC TIMS method): worst loss of each class group over "
        "the valuation points, per-contract minimums and product-group offsets.",
        (POSITIONS, PARAMS),
        "scalar",
        fn.pm_requirement,
        "pm",
    ),
    Function(
        "PM_SCENARIOS",
        "Portfolio-margin P&L grid: one row per class group plus a total, one column per "
        "valuation point (the ten equidistant price moves).",
        (POSITIONS, PARAMS),
        "table",
        fn.pm_scenarios,
        "pm",
    ),
    Function(
        "PM_BREAKDOWN",
        "Portfolio-margin breakdown per class and product group: requirement, worst point, "
        "minimum applied, offsets taken, and the $100,000 eligibility flag.",
        (POSITIONS, PARAMS),
        "table",
        fn.pm_breakdown,
        "pm",
    ),
    Function(
        "FUTURES_MARGIN",
        "Futures and options-on-futures margin, SPAN-style: 16-scenario scanning risk per combined "
        "commodity, calendar spread charges, inter-commodity credits, short-option minimum.",
        (POSITIONS, PARAMS),
        "scalar",
        fn.futures_margin,
        "span",
    ),
    Function(
        "FUTURES_BREAKDOWN",
        "SPAN-style breakdown per combined commodity: scanning risk, worst scenario, spread charges "
        "and credits, short-option minimum, maintenance and initial.",
        (POSITIONS, PARAMS),
        "table",
        fn.futures_breakdown,
        "span",
    ),
    Function(
        "ESMA_MARGIN",
        "EU retail initial margin under the ESMA leverage caps (30:1 major FX ... 2:1 crypto), "
        "in the account currency.",
        (POSITIONS, Arg("account_currency", 'Three-letter code, "EUR" by default.', optional=True), PARAMS),
        "scalar",
        fn.esma_margin,
        "esma",
    ),
    Function(
        "ESMA_BREAKDOWN",
        "ESMA breakdown per position: class (and what gave it: the class column, or what a blank "
        "class was read from), leverage cap, notional and initial margin in the account currency, "
        "and the 50% margin close-out level.",
        (POSITIONS, Arg("account_currency", 'Three-letter code, "EUR" by default.', optional=True), PARAMS),
        "table",
        fn.esma_breakdown,
        "esma",
    ),
    Function(
        "ACCOUNT_MARGIN",
        "The whole account as brokers segment it: securities under Reg T or portfolio margin, "
        "futures under SPAN, FX and CFDs under their retail rule, added.",
        (POSITIONS, PARAMS),
        "scalar",
        fn.account_margin,
        "account",
    ),
    Function(
        "ACCOUNT_BREAKDOWN",
        "The account view by segment: regime, positions and requirement of each, then the total.",
        (POSITIONS, PARAMS),
        "table",
        fn.account_breakdown,
        "account",
    ),
    Function(
        "STRESS_PNL",
        "House risk view (not a regulation): the book's P&L under one named scenario - a historical "
        "event, a k-sigma or principal-component move, or a correlation break.",
        (
            POSITIONS,
            Arg("scenario", "A scenario id such as E10 (COVID crash) or CB2; STRESS_TABLE lists them."),
            PARAMS,
            COVARIANCE,
        ),
        "scalar",
        fn.stress_pnl,
        "stress",
    ),
    Function(
        "STRESS_TABLE",
        "House risk view (not a regulation): every scenario of the library with the book's P&L, worst first.",
        (POSITIONS, PARAMS, COVARIANCE),
        "table",
        fn.stress_table,
        "stress",
    ),
    Function(
        "RISK_MARGIN",
        "House risk view (not a regulation): the worst loss over the scenario library, shown beside "
        "the regulatory numbers; cross-asset correlation offsets included.",
        (POSITIONS, PARAMS, COVARIANCE),
        "scalar",
        fn.risk_margin,
        "stress",
    ),
    Function(
        "RISK_BREAKDOWN",
        "House risk view: the worst loss and its scenario, the worst correlation-break loss, and the "
        "figure with no cross-asset offsets, by liquidation group.",
        (POSITIONS, PARAMS, COVARIANCE),
        "table",
        fn.risk_breakdown,
        "stress",
    ),
    Function(
        "MARGIN_CUSHION",
        "One row: the excess of equity over a requirement, and that excess as a share of equity.",
        (
            Arg("equity", "Account equity (net liquidation value)."),
            Arg("requirement", "A margin requirement."),
        ),
        "table",
        fn.margin_cushion,
        columns=("excess", "cushion"),
    ),
    Function(
        "MAX_NOTIONAL",
        "The gross notional the book can be scaled to at the given equity before the requirement "
        "reaches it (less a cushion), under the chosen regime.",
        (
            POSITIONS,
            Arg("equity", "Account equity available to margin the book."),
            Arg(
                "regime", '"pm" (default), "regt", "regt_maintenance", "futures", "esma" or "account".', True
            ),
            PARAMS,
        ),
        "scalar",
        fn.max_notional,
        "capacity",
    ),
    Function(
        "XLM_PARAMS",
        "The parameters a function's params range accepts: name, default, the regimes that read it, "
        "whether it accepts a '%', and meaning.",
        (Arg("function", 'The function\'s name, e.g. "PM_REQUIREMENT".'),),
        "table",
        xlm_params,
    ),
    Function(
        "XLM_VERSION",
        "The xlmargin version and the ids of the rule sets in use, so a saved workbook shows what made it.",
        (),
        "scalar",
        fn.xlm_version,
    ),
    Function(
        "MARGIN_IMPACT",
        "What trades do to the requirement before they are placed: before, after and change for Reg T, "
        "portfolio margin, futures, the account and the risk view; with regime, that change alone.",
        (
            POSITIONS,
            Arg(
                "trades",
                "Trades as a table with the positions' columns (signed quantity); a trade on a held "
                "contract nets against it.",
            ),
            Arg(
                "regime",
                'Blank for the table, or "regt", "regt_maintenance", "pm", "futures", "account" or '
                '"risk" for that change alone.',
                True,
            ),
            PARAMS,
        ),
        "table",
        dec.margin_impact,
        "decisions",
    ),
    Function(
        "MARGIN_CONTRIBUTION",
        "Which positions use the margin: per position its incremental requirement (total minus total "
        "without it) and a component share adding up to the total, largest first.",
        (
            POSITIONS,
            Arg(
                "regime",
                '"pm" (default), "regt" (on the basis param), "regt_maintenance", "account" or "risk".',
                True,
            ),
            PARAMS,
        ),
        "table",
        dec.margin_contribution,
        "decisions",
    ),
    Function(
        "HEDGE_OPTIMIZE",
        "Exact (LP/MILP) hedge: quantities of candidate instruments minimising portfolio margin, Reg T "
        "or the worst stress loss within a budget, then before/after for PM, Reg T and the risk view.",
        (
            POSITIONS,
            Arg(
                "candidates",
                "Candidate rows like positions, with optional min_qty, max_qty and cost columns; "
                "a blank min or max = the quantity's side of 0 (both blank: from 0 to the quantity).",
            ),
            Arg(
                "objective",
                '"pm" (default, regulatory portfolio margin), "regt" or "regt_maintenance" (Reg T), "risk" '
                '(worst stress loss) or "account" (the account view, each segment by its engine).',
                True,
            ),
            Arg(
                "budget",
                "Optional cap on the sum of cost x |quantity| over every trade, a sale's proceeds "
                "included (cost blank: the dollar notional, so selling 200 shares at 420 spends 84,000); "
                "empty: no budget; 0 or less is refused.",
                True,
            ),
            PARAMS,
        ),
        "table",
        dec.hedge_optimize,
        "decisions",
    ),
    Function(
        "MARGIN_CALL_MOVE",
        "How far the market can move before a margin call: the smallest uniform move down and up, and the "
        "scale of the worst stress scenario, against the maintenance requirement where the regime has one "
        "(a call comes from maintenance; basis=initial for initial).",
        (
            POSITIONS,
            Arg("equity", "Account equity (net liquidation value) now."),
            Arg(
                "regime",
                '"pm" (default), "regt" (maintenance unless params basis=initial), "regt_maintenance", '
                '"futures" or "account" (maintenance unless basis=initial) or "risk".',
                True,
            ),
            PARAMS,
        ),
        "table",
        dec.margin_call_move,
        "decisions",
    ),
    Function(
        "LIQUIDATION_PLAN",
        "The least notional (price x multiplier x units: an option's premium, not its underlying value; "
        "plan_by=trades: fewest positions) to close, in whole units, so the maintenance requirement fits "
        "equity less the cushion; trades signed: -5 sells, +10 buys back.",
        (
            POSITIONS,
            Arg("equity", "Account equity (net liquidation value)."),
            Arg(
                "regime",
                '"pm" (default), "risk", "regt" (maintenance, where a call comes from, unless params '
                'basis=initial) or "regt_maintenance" (Reg T: the sale and the pairing in one program).',
                True,
            ),
            PARAMS,
        ),
        "table",
        dec.liquidation_plan,
        "decisions",
    ),
)

BY_NAME = {f.name: f for f in FUNCTIONS}
