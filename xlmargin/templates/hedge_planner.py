"""``hedge_planner.xlsx``: a book, candidates, the optimal hedge, a what-if and the margin-call distance.

A $960,000 US equity book (stocks and ETFs), six hedge candidates (SPY puts, an E-mini S&P put on
the future, an E-mini short, TLT, GLD, UUP), HEDGE_OPTIMIZE over them within a premium budget,
MARGIN_IMPACT of a trade to try with a before/after chart, and MARGIN_CALL_MOVE at the account's
equity. Prices are illustrative late-2026 levels, not quotes.
"""

from __future__ import annotations

from xlmargin.templates.layout import AS_OF_ROW, POSITIONS, blocks, grid, input_rows
from xlmargin.templates.model import (
    DATE,
    MONEY,
    PNL,
    PRICE,
    QTY,
    Array,
    Book,
    Cell,
    Chart,
    Name,
    Series,
    Sheet,
    Table,
)

PLANNER_POSITIONS = (
    ("SPY", "etf", 500, 690.00, "SPDR S&P 500 ETF"),
    ("QQQ", "etf", 300, 620.00, "Invesco QQQ (Nasdaq-100)"),
    ("AAPL", "stock", 400, 260.00, "Apple"),
    ("MSFT", "stock", 150, 520.00, "Microsoft"),
    ("EFA", "etf", 1000, 95.00, "iShares MSCI EAFE ETF"),
    ("IWM", "etf", 400, 250.00, "iShares Russell 2000 ETF"),
)
_CANDIDATE_HEADER = (
    "symbol", "type", "quantity", "price", "underlying", "underlying_price", "strike", "days", "right",
    "multiplier", "min_qty", "max_qty", "cost",
)  # fmt: skip
PLANNER_CANDIDATES = (
    ("SPY P650", "option", 10, 7.80, "SPY", 690.00, 650, 60, "put", None, None, None, None),
    ("SPY P620", "option", 10, 4.10, "SPY", 690.00, 620, 60, "put", None, None, None, None),
    ("ES P6400", "future_option", 2, 60.00, "ESZ6", 6920.00, 6400, 60, "put", 50, None, None, None),
    ("ESZ6", "future", -2, 6920.00, None, None, None, None, None, 50, None, None, 0.01),
    ("TLT", "etf", 3000, 88.00, None, None, None, None, None, None, None, None, None),
    ("GLD", "etf", 500, 380.00, None, None, None, None, None, None, None, None, None),
    ("UUP", "etf", 5000, 27.00, None, None, None, None, None, None, None, None, None),
)
PLANNER_TRADES = (("SPY P650", "option", 10, 7.80, "SPY", 690.00, 650, 60, "put"),)

HEDGE_ROWS = 12  # header, status, objective, check, 2 trades, spend, 5 figures (for the inputs shipped)
IMPACT_ROWS = 9  # header, seven regime rows, portfolio margin's warning (the unconfirmed us_broad offset)
_CHARTED = 7  # the regime rows the chart shows (not the warning)
CALL_ROWS = 6  # header, now, down, up, the worst scenario scaled, portfolio margin's warning

_HEDGE_TOP = 12
_IMPACT_TOP = _HEDGE_TOP + HEDGE_ROWS + 2
_CALL_TOP = _IMPACT_TOP + IMPACT_ROWS + 2
_PARAMS_TOP = _CALL_TOP + CALL_ROWS + 2

_BLOCK_CELLS, _BLOCK_NAMES = blocks(
    "Planner",
    f"A{_PARAMS_TOP}",
    (("PlanParams", "parameters of every function", (AS_OF_ROW, ("rate", "=RiskFreeRate"))),),
)

_HEDGE = f"=HEDGE_OPTIMIZE({POSITIONS},tblCandidates[#All],Objective,Budget,PlanParams)"
_IMPACT = f'=MARGIN_IMPACT({POSITIONS},tblTrades[#All],"",PlanParams)'
_CALL = f'=MARGIN_CALL_MOVE({POSITIONS},AccountEquity,"pm",PlanParams)'

_PLANNER = Sheet(
    "Planner",
    cells=(
        Cell("A1", "Hedge planner: the optimal hedge, a what-if and the distance to a margin call", "title"),
        Cell(
            "A2",
            "Edit the yellow inputs and the Positions, Candidates and Trades tables. The optimiser is exact "
            "(LP/MILP): options and shares in whole units; its value is re-checked by the engine.",
            "subtitle",
        ),
        *input_rows(
            "A4",
            [
                (
                    "Account equity",
                    250_000,
                    MONEY,
                    "Net liquidation value: the margin-call distance is measured against it.",
                ),
                (
                    "Valuation date",
                    None,
                    DATE,
                    "Blank = today; options are valued to their days to expiry from it.",
                ),
                ("Risk-free rate", 0.04, "0.00%", "Continuously compounded; used to revalue options."),
            ],
        ),
        Cell("A7", "Objective", "label"),
        Cell("B7", "risk", "input"),
        Cell(
            "C7",
            '"risk": worst loss over the house scenarios, correlation breaks included (takes futures); '
            '"pm": regulatory portfolio margin (stock, ETF and option candidates only).',
            "aside",
        ),
        Cell("A8", "Budget", "label"),
        Cell("B8", 60_000, "input", MONEY),
        Cell(
            "C8", "Cap on Σ cost × |quantity|: premium for options, notional for shares and futures.", "aside"
        ),
        Cell(
            "A10",
            "Optimal hedge (HEDGE_OPTIMIZE): chosen trades, then each regime before and after them",
            "section",
        ),
        Cell(f"A{_IMPACT_TOP - 1}", "A trade to try (MARGIN_IMPACT of the Trades table)", "section"),
        Cell(
            f"A{_CALL_TOP - 1}",
            "Distance to a margin call under portfolio margin (MARGIN_CALL_MOVE at the account equity)",
            "section",
        ),
        *grid(
            f"I{_IMPACT_TOP + IMPACT_ROWS + 1}",
            [("n/a: the regime does not margin the book (see the note).",)],
            "aside",
        ),
        *_BLOCK_CELLS,
    ),
    arrays=(
        Array(
            f"A{_HEDGE_TOP}:H{_HEDGE_TOP + HEDGE_ROWS - 1}",
            _HEDGE,
            fmt=MONEY,
            formats={"C": QTY, "G": PNL},
            header=True,
        ),
        Array(
            f"A{_IMPACT_TOP}:F{_IMPACT_TOP + IMPACT_ROWS - 1}",
            _IMPACT,
            fmt=MONEY,
            formats={"D": PNL},
            header=True,
        ),
        Array(
            f"A{_CALL_TOP}:E{_CALL_TOP + CALL_ROWS - 1}", _CALL, fmt=MONEY, formats={"B": "0.00"}, header=True
        ),
    ),
    charts=(
        Chart(
            "bar",
            f"I{_IMPACT_TOP}",
            "Requirement before and after the trade",
            f"Planner!$A${_IMPACT_TOP + 1}:$A${_IMPACT_TOP + _CHARTED}",
            (
                Series(f"Planner!$B${_IMPACT_TOP + 1}:$B${_IMPACT_TOP + _CHARTED}", "before"),
                Series(f"Planner!$C${_IMPACT_TOP + 1}:$C${_IMPACT_TOP + _CHARTED}", "after"),
            ),
            y_title="USD",
            width_cm=16.0,
            height_cm=8.0,
        ),
    ),
    widths={"A": 34, "B": 38, "C": 11, "D": 13, "E": 13, "F": 13, "G": 15, "H": 9},
)

_POSITIONS = Sheet(
    "Positions",
    cells=(
        Cell("A1", "Positions: a US equity book", "title"),
        Cell("A2", "Edit or add rows inside the table. Prices are illustrative, not quotes.", "subtitle"),
    ),
    tables=(
        Table(
            "tblPositions",
            "A4",
            ("symbol", "type", "quantity", "price", "description"),
            PLANNER_POSITIONS,
            {"quantity": QTY, "price": PRICE},
        ),
    ),
    widths={"A": 10, "B": 8, "C": 11, "D": 11, "E": 34},
    freeze="A5",
    landscape=False,
)

_CANDIDATES = Sheet(
    "Candidates",
    cells=(
        Cell("A1", "Hedge candidates", "title"),
        Cell(
            "A2",
            "quantity = the most to trade (signed); min_qty / max_qty override it; cost per unit, "
            "blank = price × multiplier (a future's cost is a token 0.01 here: its margin, not its "
            "notional, is what it uses).",
            "subtitle",
        ),
    ),
    tables=(
        Table(
            "tblCandidates",
            "A4",
            _CANDIDATE_HEADER,
            PLANNER_CANDIDATES,
            {"quantity": QTY, "price": PRICE, "underlying_price": PRICE, "strike": PRICE},
        ),
    ),
    widths={
        "A": 11,
        "B": 13,
        "C": 10,
        "D": 10,
        "E": 11,
        "F": 17,
        "G": 9,
        "H": 7,
        "I": 7,
        "J": 11,
        "K": 9,
        "L": 9,
        "M": 9,
    },
    freeze="A5",
)

_TRADES = Sheet(
    "Trades",
    cells=(
        Cell("A1", "A trade to try", "title"),
        Cell("A2", "Signed quantities; a trade on a held contract nets against it.", "subtitle"),
    ),
    tables=(
        Table(
            "tblTrades",
            "A4",
            _CANDIDATE_HEADER[:9],
            PLANNER_TRADES,
            {"quantity": QTY, "price": PRICE, "underlying_price": PRICE, "strike": PRICE},
        ),
    ),
    widths={"A": 11, "B": 9, "C": 10, "D": 10, "E": 11, "F": 17, "G": 9, "H": 7, "I": 7},
    freeze="A5",
)

HEDGE_PLANNER = Book(
    "hedge_planner",
    (_PLANNER, _POSITIONS, _CANDIDATES, _TRADES),
    names=(
        Name("AccountEquity", "Planner!$B$4"),
        Name("ValuationDate", "Planner!$B$5"),
        Name("RiskFreeRate", "Planner!$B$6"),
        Name("Objective", "Planner!$B$7"),
        Name("Budget", "Planner!$B$8"),
        *_BLOCK_NAMES,
    ),
    reports=(
        f"Planner!$A${_HEDGE_TOP}:$H${_HEDGE_TOP + HEDGE_ROWS - 1}",
        f"Planner!$A${_IMPACT_TOP}:$F${_IMPACT_TOP + IMPACT_ROWS - 1}",
        f"Planner!$A${_CALL_TOP}:$E${_CALL_TOP + CALL_ROWS - 1}",
    ),
)
