"""``hedge_comparison.xlsx``: a diversified basket against a cross-asset hedge sleeve, margined
under PM, Reg T and ESMA and stressed by the house risk view."""

from __future__ import annotations

import datetime as dt

from xlmargin import stress
from xlmargin.templates.layout import AS_OF_ROW, POSITIONS, blocks, column, grid, text_rows
from xlmargin.templates.model import (
    BOOL,
    DATE,
    MONEY,
    PCT,
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
    Value,
)

# A $1,000,000 diversified basket and a 25% cross-asset hedge sleeve. Illustrative late-2026 prices
# (not quotes); quantities rounded so the basket comes to $998,750 and the sleeve to $250,000.
HEDGE_POSITIONS: tuple[tuple[Value, ...], ...] = (
    ("SPY", "etf", 300, 690.00, "core", "SPDR S&P 500 ETF"),
    ("QQQ", "etf", 250, 620.00, "core", "Invesco QQQ (Nasdaq-100)"),
    ("IWM", "etf", 400, 250.00, "core", "iShares Russell 2000 ETF"),
    ("XLK", "etf", 250, 290.00, "core", "Technology Select Sector SPDR"),
    ("XLF", "etf", 1250, 54.00, "core", "Financial Select Sector SPDR"),
    ("XLV", "etf", 450, 150.00, "core", "Health Care Select Sector SPDR"),
    ("EFA", "etf", 1100, 95.00, "core", "iShares MSCI EAFE ETF"),
    ("EEM", "etf", 1400, 55.00, "core", "iShares MSCI Emerging Markets ETF"),
    ("AAPL", "stock", 200, 260.00, "core", "Apple"),
    ("MSFT", "stock", 100, 520.00, "core", "Microsoft"),
    ("JPM", "stock", 140, 312.50, "core", "JPMorgan Chase"),
    ("TLT", "etf", 1000, 88.00, "hedge", "iShares 20+ Year Treasury Bond ETF"),
    ("IEF", "etf", 700, 96.00, "hedge", "iShares 7-10 Year Treasury Bond ETF"),
    ("GLD", "etf", 150, 380.00, "hedge", "SPDR Gold Shares"),
    ("UUP", "etf", 1400, 27.00, "hedge", "Invesco DB US Dollar Index Bullish"),
)
HEDGE_CLASS_GROUPS = 15  # SPX, NDX, RUT, MXEA, MXEF baskets + XLK, XLF, XLV, AAPL, MSFT, JPM + 4 hedge ETFs
CORE_CLASS_GROUPS = 11
STRESS_INCLUDE = "historical, correlation_break"
STRESS_NOTE_ROWS = 3  # STRESS_TABLE's notes: the house-view caveat, blank source cells, the sigma horizon


def _stress_rows() -> int:
    """STRESS_TABLE's height for the scenarios kept: header, one row per scenario, the notes."""
    settings = stress.stress_settings(
        {"include": STRESS_INCLUDE}, dt.date(2026, 1, 1)
    )  # any date: same library
    return 1 + len(stress.scenario_library(settings)) + STRESS_NOTE_ROWS


_HEDGE_TABLE = Table(
    "tblPositions",
    "A4",
    ("symbol", "type", "quantity", "price", "sleeve", "description"),
    HEDGE_POSITIONS,
    {"quantity": QTY, "price": PRICE},
)

_HEDGE_POSITIONS_SHEET = Sheet(
    "Positions",
    cells=(
        Cell(
            "A1",
            "Positions: a $1,000,000 diversified basket (sleeve core) and a 25% cross-asset hedge "
            "sleeve (sleeve hedge)",
            "title",
        ),
        Cell(
            "A2",
            "Edit quantities and prices, or add rows inside the table. Prices are illustrative "
            "late-2026 levels, not quotes: replace them with your own. Stocks and ETFs only, so nothing "
            "expires; an option row needs a days (to expiry) column.",
            "subtitle",
        ),
        Cell("H4", "Market value by sleeve", "section"),
        Cell("H5", "Core basket", "label"),
        Cell(
            "I5",
            "=SUMPRODUCT((tblPositions[sleeve]=CoreSleeve)*tblPositions[quantity]*tblPositions[price])",
            "result",
            MONEY,
        ),
        Cell("H6", "Hedge sleeve", "label"),
        Cell(
            "I6",
            "=SUMPRODUCT((tblPositions[sleeve]=HedgeSleeve)*tblPositions[quantity]*tblPositions[price])",
            "result",
            MONEY,
        ),
        Cell("H7", "Hedge sleeve / core basket", "label"),
        Cell("I7", "=I6/I5", "result", PCT),
        Cell("H8", "Quantity × price of the rows of each sleeve (stocks and ETFs).", "note"),
    ),
    tables=(_HEDGE_TABLE,),
    widths={"A": 9, "B": 8, "C": 11, "D": 11, "E": 9, "F": 36, "G": 3, "H": 28, "I": 14},
    freeze="A5",
    landscape=False,
)

_PARAM_ROWS: tuple[tuple[Value, Value, str], ...] = (
    (
        "Valuation date",
        None,
        "Blank = today (the date of the machine that recalculates). A date fixes "
        "every valuation; stocks and ETFs do not depend on it, options and bonds do.",
    ),
    (
        "Risk-free rate",
        0.04,
        "Continuously compounded, as a decimal. Used to revalue options (portfolio "
        "margin, stress view); the basket holds none, so it changes nothing until you add some.",
    ),
    (
        "Account equity",
        1_000_000,
        "The account's net liquidation value: cash plus positions at market "
        "minus any loan. Here the $1,000,000 the investor commits. Headroom and max notional are measured "
        "against it.",
    ),
    ("Core sleeve", "core", "The sleeve column value of the diversified basket."),
    ("Hedge sleeve", "hedge", "The sleeve column value of the cross-asset hedge sleeve."),
    (
        "House layer: volatility",
        False,
        "Portfolio margin, a broker's house layer (not a regulation): every "
        "implied volatility shifted up and down by house.vol_up / house.vol_down (pm.toml: 15%) at each "
        "price point. FALSE = the regulatory FINRA 4210(g) figure.",
    ),
    ("House layer: extreme moves", False, "House layer: extreme moves (2 × the range) counted at 35%."),
    (
        "House layer: concentration",
        False,
        "House layer: the two riskiest class groups moved ±30%, all others ±5% (IBKR notice).",
    ),
    ("House layer: initial multiple", False, "House layer: initial margin = 110% of maintenance."),
    (
        "Stressed market: implied-volatility rise",
        0.5,
        "The stressed portfolio margin turns the volatility "
        "layer on with every IV × (1 + this), e.g. 0.5: VIX 16 → 24. Options only.",
    ),
    (
        "Stressed market: correlation-break scenario",
        "CB1",
        "The house stress view's scenario in which the "
        "hedge legs move against the basket (stress.toml: CB1 dash for cash with the dollar falling, CB2 "
        "inflation shock, CB3 April 2025, CB4 every hedge leg at its worst, CB_REGIME).",
    ),
    (
        "Stress view: scenarios kept",
        STRESS_INCLUDE,
        "Scenario kinds or ids the risk view uses "
        "(historical, correlation_break, sigma, pca); blank = the whole library.",
    ),
)
_PARAM_NAMES = (
    "ValuationDate",
    "RiskFreeRate",
    "AccountEquity",
    "CoreSleeve",
    "HedgeSleeve",
    "HouseVolatility",
    "HouseExtreme",
    "HouseConcentration",
    "HouseInitial",
    "StressVolUp",
    "CBScenario",
    "StressInclude",
)
_PARAM_FORMATS = {
    "ValuationDate": DATE,
    "AccountEquity": MONEY,
    "RiskFreeRate": "0.00%",
    "StressVolUp": "0%",
    **dict.fromkeys(("HouseVolatility", "HouseExtreme", "HouseConcentration", "HouseInitial"), BOOL),
}

_CORE = "=CoreSleeve"
_CORE_HEDGE = '=CoreSleeve&","&HedgeSleeve'
_HOUSE = (
    ("house.volatility", "=HouseVolatility"),
    ("house.extreme", "=HouseExtreme"),
    ("house.concentration", "=HouseConcentration"),
    ("house.initial", "=HouseInitial"),
)
_STRESSED = (
    ("house.volatility", True),
    ("house.vol_up", "=StressVolUp"),
    ("house.extreme", "=HouseExtreme"),
    ("house.concentration", "=HouseConcentration"),
    ("house.initial", "=HouseInitial"),
)
_RATE = ("rate", "=RiskFreeRate")
_INCLUDE = ('=IF(StressInclude="","","include")', '=IF(StressInclude="","",StressInclude)')

_HEDGE_BLOCK_CELLS, _HEDGE_BLOCK_NAMES = blocks(
    "Parameters",
    "A20",
    (
        ("CoreRegT", "Reg T, core only", (AS_OF_ROW, ("sleeve", _CORE))),
        ("CoreHedgeRegT", "Reg T, core + hedge", (AS_OF_ROW, ("sleeve", _CORE_HEDGE))),
        ("CorePM", "portfolio margin, core only", (AS_OF_ROW, _RATE, ("sleeve", _CORE), *_HOUSE)),
        (
            "CoreHedgePM",
            "portfolio margin, core + hedge",
            (AS_OF_ROW, _RATE, ("sleeve", _CORE_HEDGE), *_HOUSE),
        ),
        ("HedgePM", "portfolio margin, hedge only", (AS_OF_ROW, _RATE, ("sleeve", "=HedgeSleeve"), *_HOUSE)),
        (
            "StressedCorePM",
            "stressed portfolio margin, core only",
            (AS_OF_ROW, _RATE, ("sleeve", _CORE), *_STRESSED),
        ),
        (
            "StressedCoreHedgePM",
            "stressed portfolio margin, core + hedge",
            (AS_OF_ROW, _RATE, ("sleeve", _CORE_HEDGE), *_STRESSED),
        ),
        ("CoreStress", "stress view, core only", (AS_OF_ROW, _RATE, ("sleeve", _CORE), _INCLUDE)),
        (
            "CoreHedgeStress",
            "stress view, core + hedge",
            (AS_OF_ROW, _RATE, ("sleeve", _CORE_HEDGE), _INCLUDE),
        ),
    ),
)

_HEDGE_PARAMETERS_SHEET = Sheet(
    "Parameters",
    cells=(
        Cell("A1", "Parameters", "title"),
        Cell(
            "A2",
            "Yellow cells are inputs. The named blocks below feed the formulas of the other sheets; "
            "they point at the inputs, so edit the inputs, not the blocks.",
            "subtitle",
        ),
        *grid("A4", [("Parameter", "Value", "Meaning")], "header"),
        *(Cell(f"A{5 + i}", label, "label") for i, (label, _, _) in enumerate(_PARAM_ROWS)),
        *(
            Cell(f"B{5 + i}", value, "input", _PARAM_FORMATS.get(_PARAM_NAMES[i]))
            for i, (_, value, _) in enumerate(_PARAM_ROWS)
        ),
        *(Cell(f"C{5 + i}", note, "note") for i, (_, _, note) in enumerate(_PARAM_ROWS)),
        Cell(
            "A18",
            "Parameter blocks (defined names). A row whose input is blank disappears (e.g. as_of: "
            "no date = today). Each engine accepts only its own names, hence one block per engine.",
            "subtitle",
        ),
        *_HEDGE_BLOCK_CELLS,
    ),
    widths={"A": 44, "B": 28, "C": 100},
    freeze="A5",
)
# rows 5.. of the input cells hold the named parameters
_PARAM_DEFINED = tuple(Name(name, f"Parameters!$B${5 + i}") for i, name in enumerate(_PARAM_NAMES))

_VEHICLES = (
    "Reg T baseline",
    "Portfolio margin, diversified basket",
    "Basket + cross-asset hedge sleeve (PM)",
    "Cash reserve (no leverage)",
)
_NOTES = (
    "Reg T 220.12 / FINRA 4210: 50% of each long position's market value, position by position; no credit "
    "for diversification. The requirement does not move with volatility.",
    "FINRA 4210(g) / OCC TIMS: each class group's worst loss over ten equidistant moves (+6/-8% S&P 500 and "
    "Nasdaq-100, ±10% Russell 2000 and MSCI EAFE/EM, ±15% sector ETFs and stocks). Needs $100,000 equity.",
    "Same method on basket + sleeve. TLT, IEF, GLD and UUP are each their own class group in no product "
    "group: the sleeve adds its own ~15% and offsets nothing (see the workings). The stress view credits it "
    "in 2008-like scenarios, not when correlations break.",
    "Defined as the basket bought outright: upfront equity = its market value (quantity × price of the core "
    "rows). No loan, so no margin call; the max notional is the equity itself. Losses are the basket's.",
)
_ROWS = range(5, 9)
_COMPARISON_CELLS = (
    Cell(
        "A1",
        "Hedge vehicles for a $1,000,000 diversified basket: upfront equity, efficiency, liquidity, "
        "headroom and risk",
        "title",
    ),
    Cell(
        "A2",
        '="Account equity "&TEXT(AccountEquity,"$#,##0")&". Every figure is a live xlmargin formula '
        "over tblPositions and the Parameters sheet, computed by the rules the About sheet describes; "
        'none is typed in."',
        "subtitle",
    ),
    *grid(
        "A3",
        [
            (
                "",
                "Requirement",
                "",
                "Stressed market",
                "Headroom at the equity",
                "",
                "Capacity",
                "Risk view (house)",
                "",
            )
        ],
        "group",
    ),
    Cell("J3", "", "header"),  # ends the centred "Risk view" group
    *grid(
        "A4",
        [
            (
                "Vehicle",
                "Upfront equity",
                "Efficiency vs Reg T",
                "Liquidity impact",
                "Excess over equity",
                "Cushion",
                "Max notional",
                "Worst stress loss",
                "Correlation-break loss",
                "Notes",
            )
        ],
        "header",
    ),
    *(Cell(f"A{r}", v, "label") for r, v in zip(_ROWS, _VEHICLES)),
    *(Cell(f"J{r}", v, "note") for r, v in zip(_ROWS, _NOTES)),
    # upfront equity
    Cell("B5", f'=REGT_MARGIN({POSITIONS},"initial",FALSE,CoreRegT)', "result", MONEY),
    Cell("B6", f"=PM_REQUIREMENT({POSITIONS},CorePM)", "result", MONEY),
    Cell("B7", f"=PM_REQUIREMENT({POSITIONS},CoreHedgePM)", "result", MONEY),
    Cell("B8", "=B15", "result", MONEY),
    # margin efficiency: 1 - requirement / Reg T on the same positions
    Cell("C5", "=1-B5/$B$5", "result", PCT),
    Cell("C6", "=1-B6/$B$5", "result", PCT),
    Cell("C7", "=1-B7/$B$12", "result", PCT),
    Cell("C8", "=1-B8/$B$5", "result", PCT),
    # liquidity impact: stressed requirement - requirement now
    Cell("D5", "=MAX(B5,I5)-B5", "result", MONEY),
    Cell("D6", "=MAX(B13,I6)-B6", "result", MONEY),
    Cell("D7", "=MAX(B14,I7)-B7", "result", MONEY),
    Cell("D8", "=MAX(B8,I8)-B8", "result", MONEY),
    # max notional at the equity
    Cell("G5", f'=MAX_NOTIONAL({POSITIONS},AccountEquity,"regt",CoreRegT)', "result", MONEY),
    Cell("G6", f'=MAX_NOTIONAL({POSITIONS},AccountEquity,"pm",CorePM)', "result", MONEY),
    Cell("G7", f'=MAX_NOTIONAL({POSITIONS},AccountEquity,"pm",CoreHedgePM)', "result", MONEY),
    Cell("G8", "=AccountEquity", "result", MONEY),
    # risk view (house stress view, not a regulation)
    *(
        Cell(f"H{r}", f"=RISK_MARGIN({POSITIONS},{p})", "result", MONEY)
        for r, p in zip(_ROWS, ("CoreStress", "CoreStress", "CoreHedgeStress", "CoreStress"))
    ),
    *(
        Cell(f"I{r}", f"=-STRESS_PNL({POSITIONS},CBScenario,{p})", "result", PNL)
        for r, p in zip(_ROWS, ("CoreStress", "CoreStress", "CoreHedgeStress", "CoreStress"))
    ),
    # workings
    Cell("A11", "Workings: every figure the table uses, live", "section"),
    *text_rows(
        "A12",
        [
            ("Reg T initial on basket + sleeve", ""),
            ("Stressed portfolio margin: basket", ""),
            ("Stressed portfolio margin: basket + sleeve", ""),
            ("Market value of the basket", ""),
        ],
    ),
    Cell("B12", f'=REGT_MARGIN({POSITIONS},"initial",FALSE,CoreHedgeRegT)', "result", MONEY),
    Cell("B13", f"=PM_REQUIREMENT({POSITIONS},StressedCorePM)", "result", MONEY),
    Cell("B14", f"=PM_REQUIREMENT({POSITIONS},StressedCoreHedgePM)", "result", MONEY),
    Cell("B15", "=CoreMarketValue", "result", MONEY),
    Cell("C12", "The base of row 7's margin efficiency: Reg T on the same positions.", "aside"),
    Cell(
        "C13",
        "Portfolio margin with the house volatility layer on, every implied volatility × (1 + the "
        "stressed IV rise); other house layers as on the Parameters sheet.",
        "aside",
    ),
    Cell("C14", "The same for basket + sleeve.", "aside"),
    Cell(
        "C15",
        "Quantity × price of the core rows (Positions sheet): the cash reserve's upfront equity.",
        "aside",
    ),
    Cell("A17", "The hedge sleeve, measured", "section"),
    *text_rows(
        "A18",
        [
            ("Sleeve market value", ""),
            ("Sleeve's own portfolio margin", ""),
            ("What it adds to the basket's portfolio margin", ""),
            ("What it changes in the worst stress loss", ""),
            ("What it changes in the correlation-break loss", ""),
        ],
    ),
    Cell("B18", "=HedgeMarketValue", "result", MONEY),
    Cell("B19", f"=PM_REQUIREMENT({POSITIONS},HedgePM)", "result", MONEY),
    Cell("B20", "=B7-B6", "result", PNL),
    Cell("B21", "=H7-H6", "result", PNL),
    Cell("B22", "=I7-I6", "result", PNL),
    Cell("C19", "Each hedge ETF alone at its ±15% range.", "aside"),
    Cell(
        "C20",
        "Row 7 − row 6. Equal to the sleeve's own requirement: regulatory portfolio margin gives the "
        "sleeve no offset against the basket.",
        "aside",
    ),
    Cell(
        "C21",
        "Row 7 − row 6 of the risk view (house view): negative = the sleeve cushions the worst "
        "historical loss.",
        "aside",
    ),
    Cell(
        "C22",
        "Row 7 − row 6: positive = in the correlation-break scenario the sleeve loses with the basket.",
        "aside",
    ),
    Cell("A24", "What the columns mean (the About sheet has the exact definitions)", "section"),
    *text_rows(
        "A25",
        [
            ("Upfront equity", "The requirement: the equity the account must hold for these positions."),
            (
                "Margin efficiency vs Reg T",
                "1 − requirement / Reg T initial on the same positions (row 7: basket "
                "+ sleeve, B12). Negative = more than Reg T.",
            ),
            (
                "Liquidity impact",
                "Stressed requirement − requirement now; stressed = the larger of the method "
                "with the volatility-up house layer (B13, B14) and the correlation-break loss (column I).",
            ),
            ("Headroom", "MARGIN_CUSHION: excess = equity − requirement; cushion = excess / equity."),
            (
                "Max notional",
                "MAX_NOTIONAL: the gross notional the book scales to before the requirement reaches "
                "the equity. Cash: the equity.",
            ),
            (
                "Risk view",
                "House stress view, not a regulation: worst loss over the scenarios kept (RISK_MARGIN); "
                "loss in the correlation-break scenario (STRESS_PNL).",
            ),
        ],
        "aside",
    ),
)

_COMPARISON_SHEET = Sheet(
    "Comparison",
    cells=_COMPARISON_CELLS,
    arrays=tuple(
        Array(
            f"E{r}:F{r}",
            f"=MARGIN_CUSHION(AccountEquity,B{r})",
            formats={"E": PNL, "F": PCT},
            errors_everywhere=True,
        )
        for r in _ROWS
    ),
    widths={"A": 46, "B": 15, "C": 13, "D": 15, "E": 15, "F": 11, "G": 15, "H": 15, "I": 16, "J": 70},
    heights={4: 32},
    freeze="B5",
)

_GRID_ALL_ROWS = 1 + HEDGE_CLASS_GROUPS + 1
_GRID_CORE_ROWS = 1 + CORE_CLASS_GROUPS + 1
_G1 = 5  # first row of the basket + sleeve grid
_G1_END = _G1 + _GRID_ALL_ROWS - 1
_G2 = _G1_END + 3
_G2_END = _G2 + _GRID_CORE_ROWS - 1
_ST = _G2_END + 3
_ST_END = _ST + _stress_rows() - 1

_SCENARIOS_SHEET = Sheet(
    "Scenarios",
    cells=(
        Cell("A1", "Scenarios: the portfolio-margin valuation grid and the house stress view", "title"),
        Cell(
            "A2",
            "P&L in dollars, signed (loss < 0). The grids are FINRA 4210(g) / OCC TIMS: every class "
            "group moved by its own range at each of ten points; the stress table is xlmargin's house view, "
            "not a regulation.",
            "subtitle",
        ),
        Cell(f"A{_G1 - 1}", "Portfolio margin P&L grid: basket + hedge sleeve (PM_SCENARIOS)", "section"),
        Cell(f"A{_G2 - 1}", "Portfolio margin P&L grid: basket alone (PM_SCENARIOS)", "section"),
        Cell(
            f"A{_ST - 1}",
            "House stress view: historical and correlation-break scenarios on basket + sleeve, "
            "worst first (STRESS_TABLE)",
            "section",
        ),
    ),
    arrays=(
        Array(f"A{_G1}:M{_G1_END}", f"=PM_SCENARIOS({POSITIONS},CoreHedgePM)", PNL, header=True),
        Array(f"A{_G2}:M{_G2_END}", f"=PM_SCENARIOS({POSITIONS},CorePM)", PNL, header=True),
        Array(
            f"A{_ST}:F{_ST_END}",
            f"=STRESS_TABLE({POSITIONS},CoreHedgeStress)",
            PNL,
            {"E": "0.0"},
            header=True,
        ),
    ),
    charts=(
        Chart(
            "line",
            "O4",
            "Sum of the class groups' P&L at each valuation point (not the requirement)",
            f"Scenarios!$D${_G1}:$M${_G1}",
            (
                Series(f"Scenarios!$D${_G1_END}:$M${_G1_END}", "Basket + hedge sleeve"),
                Series(f"Scenarios!$D${_G2_END}:$M${_G2_END}", "Basket alone"),
            ),
            x_title="Valuation point (-5 = the largest down move of each class group's range)",
            y_title="P&L ($)",
        ),
        Chart(
            "bar",
            f"O{_G2}",
            "Upfront equity per vehicle",
            "Comparison!$A$5:$A$8",
            (Series("Comparison!$B$5:$B$8", "Upfront equity (requirement)"),),
            y_title="Requirement ($)",
            y_format='$#,##0,"k"',
        ),
    ),
    widths={"A": 12, "B": 58, "C": 17, **{column("D", i): 11 for i in range(10)}},
    freeze="A3",
)

_SOURCES = (
    (
        "Reg T baseline",
        "Regulation T 12 CFR 220.12 (initial margin 50%) and FINRA Rule 4210 (maintenance); "
        "margin-rules.md §1.1. REGT_MARGIN, basis initial.",
    ),
    (
        "Portfolio margin",
        "FINRA Rule 4210(g); SEC Release 34-46576 (table of valuation ranges); OCC TIMS / "
        "customer portfolio margin (class groups, product groups, offsets); margin-rules.md §2. "
        "PM_REQUIREMENT, "
        "PM_SCENARIOS.",
    ),
    (
        "House layers",
        "A broker's model, not a regulation (Interactive Brokers, margin-rules.md §3.1): "
        "volatility shifts, extreme moves, concentration, initial multiple. pm.toml [house.*].",
    ),
    (
        "Stress view",
        "xlmargin's house risk view (stress-scenarios.md, stress.toml): historical replays and "
        "correlation breaks. No CCP grants its cross-asset offsets. RISK_MARGIN, STRESS_PNL, STRESS_TABLE.",
    ),
    (
        "Futures, EU retail",
        "CME SPAN (margin-rules.md §4) and ESMA35-43-1000 (§5) are not used here: the "
        "basket holds neither futures nor CFDs. See netting_example.xlsx for ESMA.",
    ),
)

_ABOUT_SHEET = Sheet(
    "About",
    cells=(
        Cell("A1", "About this workbook", "title"),
        Cell(
            "A2",
            "Compares four ways to carry a $1,000,000 diversified basket, with every number computed "
            "live by the xlmargin add-in from the Positions and Parameters sheets.",
            "subtitle",
        ),
        Cell("A4", "Rows (Comparison sheet)", "section"),
        *text_rows("A5", list(zip(_VEHICLES, _NOTES))),
        Cell("A10", "Columns", "section"),
        *text_rows(
            "A11",
            [
                (
                    "Upfront equity (requirement)",
                    "The margin requirement of the row's positions under its "
                    "method: Reg T initial (REGT_MARGIN), portfolio margin (PM_REQUIREMENT), or for the cash "
                    "reserve the basket's market value.",
                ),
                (
                    "Margin efficiency vs Reg T",
                    "1 − requirement / Reg T initial on the same positions. Row 7 "
                    "compares with Reg T on basket + sleeve (Comparison!B12).",
                ),
                (
                    "Liquidity impact (stressed market)",
                    "How much the requirement jumps when the market turns: "
                    "stressed requirement − requirement now, where stressed requirement = MAX((a) "
                    "the method in a "
                    "stressed market: portfolio margin with the house volatility layer on and every implied "
                    "volatility × (1 + the stressed IV rise) (Comparison!B13:B14); Reg T and the "
                    "cash reserve "
                    "do not move with volatility; (b) the positions' loss in the correlation-break scenario "
                    "(column I), i.e. a house stress test in which the hedge legs move with the basket). The "
                    "loss itself also comes out of equity: the headroom falls by the loss plus this figure.",
                ),
                (
                    "Headroom: excess over equity",
                    "MARGIN_CUSHION(equity, requirement), first cell: equity − "
                    "requirement. Negative = a deficit (a margin call).",
                ),
                ("Headroom: cushion", "MARGIN_CUSHION, second cell: excess / equity, floored at −100%."),
                (
                    "Max notional at the equity",
                    "MAX_NOTIONAL(positions, equity, regime): the largest gross "
                    "notional the book can be scaled to (every quantity × one factor, the engine "
                    "re-run) before "
                    "the requirement reaches the equity. Cash reserve: the equity (no leverage).",
                ),
                (
                    "Risk view: worst stress loss",
                    "RISK_MARGIN: the worst loss over the scenarios kept "
                    "(Parameters), house view. The same positions lose the same whatever the margin method.",
                ),
                (
                    "Risk view: correlation-break loss",
                    "−STRESS_PNL(positions, scenario): the loss in the "
                    "correlation-break scenario chosen on the Parameters sheet.",
                ),
            ],
        ),
        Cell("A20", "Rule sources", "section"),
        *text_rows("A21", list(_SOURCES)),
        Cell("A27", "Sizes", "section"),
        *text_rows(
            "A28",
            [
                (
                    "Fixed-size results",
                    "The P&L grids and the stress table fill fixed ranges, one INDEX(FUNCTION(...), row, "
                    f"column) formula per cell: {_GRID_ALL_ROWS} and {_GRID_CORE_ROWS} rows (header, one "
                    f"row per class group, Total) and {_ST_END - _ST + 1} rows (header, each scenario kept, "
                    "notes). If a class group is added, copy the last row's formulas down one row and "
                    "raise its row number; cells past the result show #REF!. In Excel 365 you may instead "
                    "type the function once and let it spill.",
                ),
                (
                    "Error lines",
                    "A cell whose text starts with # is an error line (e.g. #INPUT row 4 of the range, "
                    "price: ...; rows count from the range's first row): it turns red. Fix the named "
                    "row and column.",
                ),
                (
                    "Without the add-in",
                    "After `xlmargin recalc` every cell stores its value, and LibreOffice shows them; "
                    "Excel without the add-in recalculates on open and shows #NAME? for the xlmargin "
                    "functions. Send `xlmargin freeze` output (values only) to readers without the add-in.",
                ),
            ],
        ),
        Cell("A32", "Version", "section"),
        Cell("A33", "xlmargin and rule sets", "label"),
        Cell("B33", "=XLM_VERSION()", "note"),
    ),
    widths={"A": 38, "B": 140},
)

HEDGE_COMPARISON = Book(
    "hedge_comparison",
    (_COMPARISON_SHEET, _HEDGE_POSITIONS_SHEET, _HEDGE_PARAMETERS_SHEET, _SCENARIOS_SHEET, _ABOUT_SHEET),
    names=(
        *_PARAM_DEFINED,
        *_HEDGE_BLOCK_NAMES,
        Name("CoreMarketValue", "Positions!$I$5"),
        Name("HedgeMarketValue", "Positions!$I$6"),
    ),
    reports=("Comparison!$A$4:$I$8",),
)
