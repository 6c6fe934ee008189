"""``allocation_template.xlsx``: an account's positions, equity and margin, ready to fill in."""

from __future__ import annotations

from xlmargin.templates.layout import AS_OF_ROW, POSITIONS, blocks, grid, input_rows
from xlmargin.templates.model import (
    DATE,
    MONEY,
    PCT,
    PNL,
    PRICE,
    QTY,
    Array,
    Book,
    Cell,
    Name,
    Sheet,
    Table,
    Value,
)

ALLOCATION_POSITIONS: tuple[tuple[Value, ...], ...] = (
    ("AAPL", "stock", 600, 260.00, None, None, None, None, None, None, "core"),
    ("AAPL", "option", -6, 4.10, "AAPL", 260.00, 275, 35, "call", 100, "core"),
    ("MSFT", "stock", 300, 520.00, None, None, None, None, None, None, "core"),
    ("MSFT", "option", 3, 11.50, "MSFT", 520.00, 500, 63, "put", 100, "core"),
    ("SPY", "etf", 500, 690.00, None, None, None, None, None, None, "core"),
    ("TLT", "etf", 900, 88.00, None, None, None, None, None, None, "hedge"),
)
_ALLOCATION_HEADER = (
    "symbol",
    "type",
    "quantity",
    "price",
    "underlying",
    "underlying_price",
    "strike",
    "days",
    "right",
    "multiplier",
    "sleeve",
)

_ALLOCATION_POSITIONS_SHEET = Sheet(
    "Positions",
    cells=(
        Cell("A1", "Positions", "title"),
        Cell(
            "A2",
            "Paste your positions over the example rows (the table grows as you add rows below it). "
            "Quantities signed, short < 0; option prices per share; days = days to expiry.",
            "subtitle",
        ),
    ),
    tables=(
        Table(
            "tblPositions",
            "A4",
            _ALLOCATION_HEADER,
            ALLOCATION_POSITIONS,
            {"quantity": QTY, "price": PRICE, "underlying_price": PRICE, "strike": PRICE},
        ),
    ),
    widths={"A": 10, "B": 9, "C": 11, "D": 10, "E": 12, "F": 17, "G": 9, "H": 7, "I": 7, "J": 12, "K": 10},
    freeze="A5",
)

_ALLOCATION_BLOCK_CELLS, _ALLOCATION_BLOCK_NAMES = blocks(
    "Margin",
    "A17",
    (
        ("AllocRegT", "Reg T parameters", (AS_OF_ROW,)),
        ("AllocPM", "portfolio-margin parameters", (AS_OF_ROW, ("rate", "=RiskFreeRate"))),
    ),
)

_ALLOCATION_MARGIN_SHEET = Sheet(
    "Margin",
    cells=(
        Cell("A1", "Margin panel", "title"),
        Cell(
            "A2",
            "Every figure recalculates from the positions table and the inputs below (yellow).",
            "subtitle",
        ),
        *input_rows(
            "A4",
            [
                (
                    "Account equity",
                    500_000,
                    MONEY,
                    "Net liquidation value: cash plus positions at market minus any loan.",
                ),
                (
                    "Valuation date",
                    None,
                    DATE,
                    "Blank = today; options are valued to their days to expiry from it.",
                ),
                (
                    "Risk-free rate",
                    0.04,
                    "0.00%",
                    "Continuously compounded; used to revalue options under portfolio margin.",
                ),
            ],
        ),
        *grid("A8", [("Measure", "Requirement", "Excess over equity", "Cushion", "Rule")], "header"),
        Cell("A9", "Reg T initial", "label"),
        Cell("B9", f'=REGT_MARGIN({POSITIONS},"initial",FALSE,AllocRegT)', "result", MONEY),
        Cell("E9", "Regulation T 12 CFR 220.12 / FINRA 4210, strategies paired optimally.", "aside"),
        Cell("A10", "Reg T maintenance", "label"),
        Cell("B10", f'=REGT_MARGIN({POSITIONS},"maintenance",FALSE,AllocRegT)', "result", MONEY),
        Cell("E10", "FINRA Rule 4210(c): what the account must keep once the positions are on.", "aside"),
        Cell("A11", "Portfolio margin", "label"),
        Cell("B11", f"=PM_REQUIREMENT({POSITIONS},AllocPM)", "result", MONEY),
        Cell("E11", "FINRA 4210(g) / OCC TIMS; needs $100,000 of equity.", "aside"),
        Cell(
            "A12",
            "Excess over equity = equity − requirement (MARGIN_CUSHION); cushion = excess / equity.",
            "aside",
        ),
        Cell("A14", "xlmargin and rule sets", "label"),
        Cell("B14", "=XLM_VERSION()", "aside"),
        *_ALLOCATION_BLOCK_CELLS,
    ),
    arrays=tuple(
        Array(
            f"C{r}:D{r}",
            f"=MARGIN_CUSHION(AccountEquity,B{r})",
            formats={"C": PNL, "D": PCT},
            errors_everywhere=True,
        )
        for r in (9, 10, 11)
    ),
    widths={"A": 30, "B": 16, "C": 18, "D": 11, "E": 40},
    heights={8: 30},
)

ALLOCATION_TEMPLATE = Book(
    "allocation_template",
    (_ALLOCATION_MARGIN_SHEET, _ALLOCATION_POSITIONS_SHEET),
    names=(
        Name("AccountEquity", "Margin!$B$4"),
        Name("ValuationDate", "Margin!$B$5"),
        Name("RiskFreeRate", "Margin!$B$6"),
        *_ALLOCATION_BLOCK_NAMES,
    ),
    reports=("Margin!$A$8:$D$11",),
)
